// Console page: commands typed in the browser give exactly what redis-cli
// prints on a terminal for the same command against the same server
// (redis-cli run under `script` so that it sees a tty), errors in red,
// SELECT / HELLO / MULTI awareness, history, completion and hints.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, until } from './harness.mjs';

/** What redis-cli prints for `line` on a terminal (tty formatting). */
function cliTTY(port, line, { resp3 = false, db = 0 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'flashdb-cli-'));
  const file = join(dir, 'in.txt');
  writeFileSync(file, line + '\n');
  const cmd = `redis-cli -h 127.0.0.1 -p ${port} -n ${db}${resp3 ? ' -3' : ''} < ${file}`;
  return new Promise((res, rej) => {
    execFile('script', ['-qc', cmd, '/dev/null'], { timeout: 10000, encoding: 'latin1' }, (err, stdout) => {
      rmSync(dir, { recursive: true, force: true });
      if (err) rej(new Error(`script/redis-cli: ${err.message}`));
      else res(stdout.replace(/\r\n/g, '\n'));
    });
  });
}

/** Types a line into the console and waits for its reply; returns it. */
async function run(page, line) {
  const before = await page.locator('#cli-output .cli-entry').count();
  await page.fill('#cli-input', line);
  await page.press('#cli-input', 'Enter');
  await until(async () => (await page.locator('#cli-output .cli-entry').count()) > before, 10000, `reply to ${line}`);
  const last = page.locator('#cli-output .cli-entry').last();
  return {
    text: await last.locator('.cli-reply').evaluate((n) => n.textContent),
    echo: await last.locator('.cli-echo').textContent(),
    error: await last.locator('.cli-error').count(),
  };
}

/** The reply's text as redis-cli's bytes would read in latin1. */
const latin1 = (s) => Buffer.from(s, 'utf8').toString('latin1');

export const tests = [
  {
    name: 'replies are formatted exactly as redis-cli formats them',
    fn: async (h) => {
      const srv = await h.start();
      const page = await h.open('#/console');
      await page.waitForSelector('#cli-input');

      // Writes: the console's reply is what redis-cli would print.
      assert((await run(page, 'SET greeting hello')).text === 'OK\n', 'SET → OK');
      assert((await run(page, 'GET greeting')).text === '"hello"\n', 'GET → "hello"');
      assert((await run(page, 'HSET user:1 name Ada lang "C and Rust" visits 3')).text === '(integer) 3\n', 'HSET → (integer) 3');
      await run(page, 'RPUSH list a b c d e f g h i j k');
      await run(page, 'ZADD z 1.5 a 2 b');
      await run(page, 'SADD s member');
      await run(page, 'SET bin "a\\x00b\\xff\\"q\\\\ \\n\\t é"');
      assert(await srv.resp('STRLEN', 'bin') === '13', 'the \\x escapes reached the server as bytes');

      // Reads: compared with redis-cli on a terminal, in RESP2 and RESP3.
      const reads = [
        'GET greeting', 'GET nosuchkey', 'HGETALL user:1', 'LRANGE list 0 -1', 'LRANGE nolist 0 -1',
        'ZRANGE z 0 -1 WITHSCORES', 'ZSCORE z a', 'SMEMBERS s', 'SMEMBERS nos', 'HGETALL nohash', 'GET bin',
        'COMMAND DOCS get', 'CONFIG GET maxmemory', 'EXISTS greeting', 'NOSUCHCOMMAND x', 'LPUSH greeting x',
        'TTL greeting', 'INCR greeting', "ECHO 'single \\' quote'", 'ECHO "unbalanced',
      ];
      for (const line of reads) {
        const want = await cliTTY(srv.port, line);
        const got = await run(page, line);
        assert(latin1(got.text) === want, `${line}\n--- redis-cli\n${want}--- console\n${latin1(got.text)}`);
        assert(got.echo.endsWith(line), `the line is echoed: ${got.echo}`);
      }
      // Errors are shown in red.
      const e = await run(page, 'LPUSH greeting x');
      assert(e.error === 1 && e.text.startsWith('(error) WRONGTYPE'), `error in red: ${JSON.stringify(e)}`);

      // HELLO 3: the console now speaks RESP3, as redis-cli does after it.
      const hello = await run(page, 'HELLO 3');
      assert(hello.text.startsWith('1# "server" => '), `HELLO 3 reply is a map: ${hello.text}`);
      for (const line of ['HGETALL user:1', 'ZRANGE z 0 -1 WITHSCORES', 'ZSCORE z a', 'SMEMBERS s', 'HGETALL nohash', 'COMMAND DOCS get']) {
        const want = await cliTTY(srv.port, line, { resp3: true });
        const got = await run(page, line);
        assert(latin1(got.text) === want, `RESP3 ${line}\n--- redis-cli\n${want}--- console\n${latin1(got.text)}`);
      }
      await h.shot(page, 'console-light');
      await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
      await h.shot(page, 'console-dark');
    },
  },
  {
    name: 'SELECT, MULTI/EXEC, history, completion, clear',
    fn: async (h) => {
      const srv = await h.start();
      const page = await h.open('#/console');
      await page.waitForSelector('#cli-input');
      await until(async () => /:\d+> $/.test(await page.textContent('#cli-prompt')), 10000, 'prompt with the RESP port');
      assert((await page.textContent('#cli-prompt')) === `127.0.0.1:${srv.port}> `, 'prompt is host:port> ');

      // SELECT: later commands run in that DB, and the prompt says so.
      assert((await run(page, 'SELECT 3')).text === 'OK\n', 'SELECT 3');
      assert((await page.textContent('#cli-prompt')).endsWith('[3]> '), 'prompt shows [3]');
      await run(page, 'SET indb3 yes');
      assert(await srv.resp('-n', '3', 'GET', 'indb3') === 'yes', 'the key is in DB 3');
      assert(await srv.resp('GET', 'indb3') === '', 'and not in DB 0');
      const bad = await run(page, 'SELECT 99');
      assert(bad.error === 1, 'SELECT 99 fails');
      assert((await page.textContent('#cli-prompt')).endsWith('[3]> '), 'a failed SELECT keeps the DB');

      // MULTI ... EXEC: queued locally, run as one transaction.
      assert((await run(page, 'MULTI')).text === 'OK\n', 'MULTI');
      assert((await page.textContent('#cli-prompt')).endsWith('[3](TX)> '), 'prompt shows (TX)');
      assert((await run(page, 'INCR counter')).text === 'QUEUED\n', 'INCR queued');
      assert((await run(page, 'INCRBY counter 10')).text === 'QUEUED\n', 'INCRBY queued');
      assert(await srv.resp('-n', '3', 'EXISTS', 'counter') === '0', 'nothing ran before EXEC');
      const exec = await run(page, 'EXEC');
      assert(exec.text === '1) (integer) 1\n2) (integer) 11\n', `EXEC replies: ${exec.text}`);
      assert(await srv.resp('-n', '3', 'GET', 'counter') === '11', 'the transaction ran');
      assert(!(await page.textContent('#cli-prompt')).includes('(TX)'), 'transaction over');
      // An arity error while queueing aborts the transaction, as in Redis.
      await run(page, 'MULTI');
      assert((await run(page, 'INCR')).error === 1, 'INCR without a key is refused while queueing');
      const abort = await run(page, 'EXEC');
      assert(abort.text.startsWith('(error) EXECABORT'), `EXECABORT: ${abort.text}`);

      // A repeat count.
      const rep = await page.locator('#cli-output .cli-entry').count();
      await page.fill('#cli-input', '3 INCR rep');
      await page.press('#cli-input', 'Enter');
      await until(async () => (await page.locator('#cli-output .cli-entry').count()) === rep + 3, 10000, 'three replies');
      assert(await srv.resp('-n', '3', 'GET', 'rep') === '3', 'ran three times');

      // History: ↑ recalls, ↓ returns; it survives a reload.
      await page.focus('#cli-input');
      await page.keyboard.press('ArrowUp');
      assert(await page.inputValue('#cli-input') === '3 INCR rep', 'ArrowUp → last line');
      await page.keyboard.press('ArrowUp');
      assert(await page.inputValue('#cli-input') === 'EXEC', 'ArrowUp again → the one before');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      assert(await page.inputValue('#cli-input') === '', 'ArrowDown back to the empty draft');
      await page.reload();
      await page.waitForSelector('#cli-input');
      await page.focus('#cli-input');
      await page.keyboard.press('ArrowUp');
      assert(await page.inputValue('#cli-input') === '3 INCR rep', 'history persisted in localStorage');

      // Completion and hints from COMMAND DOCS.
      await page.fill('#cli-input', 'hgeta');
      await until(async () => {
        await page.focus('#cli-input');
        await page.keyboard.press('Tab');
        return (await page.inputValue('#cli-input')) === 'HGETALL ';
      }, 10000, 'Tab completes HGETALL');
      await until(async () => (await page.textContent('#cli-hint')).includes('HGETALL key'), 5000, 'hint HGETALL key');
      await page.fill('#cli-input', 'config ge');
      await page.keyboard.press('Tab');
      assert(await page.inputValue('#cli-input') === 'config GET ', 'subcommand completes');
      await until(async () => (await page.textContent('#cli-hint')).includes('CONFIG GET parameter'), 5000, 'subcommand hint');
      await page.fill('#cli-input', 'set k v ');
      await until(async () => /^SET \[NX \| XX\]/.test(await page.textContent('#cli-hint')), 5000, 'typed arguments leave the hint');

      // Copy, then clear.
      await page.click('#cli-copy');
      await page.waitForSelector('.toast-ok:has-text("copied")');
      // Clear.
      await page.click('#cli-clear');
      assert(await page.locator('#cli-output .cli-entry').count() === 0, 'output cleared');
    },
  },
  {
    name: 'works on a phone-sized screen',
    fn: async (h) => {
      await h.start();
      const page = await h.open('#/console', { viewport: { width: 390, height: 800 }, theme: 'dark' });
      await page.waitForSelector('#cli-input');
      const r = await run(page, 'PING');
      assert(r.text === 'PONG\n', 'PING → PONG');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 0, `no horizontal scroll (${overflow}px)`);
      await h.shot(page, 'console-phone-dark');
    },
  },
];
