// The Monitoring page: the live command stream (pause, filter), slow log,
// clients with kill; screenshots.
import { assert, until, sleep } from './harness.mjs';
import { createConnection } from 'node:net';

const streamText = (page) => page.textContent('#stream');

export const tests = [
  {
    name: 'shows a command issued through RESP, pauses and filters',
    fn: async (h) => {
      const srv = await h.start();
      const page = await h.open('#/monitoring');
      await page.waitForSelector('#conn[data-state="open"]');
      // The stream is opt-in; once subscribed, a probe shows up.
      await until(async () => {
        await srv.resp('PING', 'warmup');
        return (await streamText(page)).includes('warmup');
      }, 20000, 'the command stream to start');
      const t0 = Date.now();
      await srv.resp('SET', 'mon:probe', 'hello');
      await until(async () => (await streamText(page)).includes('"SET" "mon:probe" "hello"'), 10000, 'the SET in the stream');
      console.log(`    (SET seen in the page ${Date.now() - t0} ms after redis-cli returned)`);
      // Filter: only matching lines stay visible.
      await page.fill('#stream-filter', 'mon:probe');
      const visible = await page.$$eval('#stream .stream-line:not(.hidden)', (ls) => ls.map((l) => l.textContent));
      assert(visible.length >= 1 && visible.every((l) => l.includes('mon:probe')), `filtered lines: ${JSON.stringify(visible)}`);
      await page.fill('#stream-filter', '');
      // Pause: new commands wait; resume shows them.
      await page.click('#stream-pause');
      assert((await page.getAttribute('#stream-pause', 'aria-pressed')) === 'true', 'pause is pressed');
      await srv.resp('SET', 'mon:paused', '1');
      await until(async () => /1 waiting|[1-9]\d* waiting/.test(await page.textContent('#stream-count')), 10000, 'a command held while paused');
      assert(!(await streamText(page)).includes('mon:paused'), 'not shown while paused');
      await page.click('#stream-pause');
      await until(async () => (await streamText(page)).includes('mon:paused'), 5000, 'the held command after resume');
      await h.shot(page, 'monitoring-light');
    },
  },
  {
    name: 'slow log and clients tables; a client is killed from the page',
    fn: async (h) => {
      const srv = await h.start(['--slowlog-log-slower-than', '0']);
      // A named RESP client that stays connected.
      const sock = createConnection({ host: '127.0.0.1', port: srv.port });
      await new Promise((r) => sock.once('connect', r));
      sock.write('*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$8\r\nvictim-1\r\n');
      await new Promise((r) => sock.once('data', r));
      let closed = false;
      sock.on('close', () => { closed = true; });
      sock.on('error', () => {});
      await srv.resp('SET', 'slow:one', 'x');
      const page = await h.open('#/monitoring', { theme: 'dark' });
      await until(async () => (await page.textContent('#slowlog')).includes('slow:one'), 15000, 'the slow log entry');
      await until(async () => (await page.textContent('#clients')).includes('victim-1'), 15000, 'the named client');
      await page.waitForSelector('#conn[data-state="open"]');
      await until(async () => {
        await srv.resp('HSET', 'user:42', 'name', 'Ada', 'visits', '3');
        return (await streamText(page)).includes('user:42');
      }, 20000, 'commands in the stream');
      await srv.resp('GET', 'slow:one');
      await srv.resp('INCR', 'counter');
      await until(async () => (await streamText(page)).includes('counter'), 10000, 'the INCR in the stream');
      await h.shot(page, 'monitoring-dark');
      const row = page.locator('#clients tr', { hasText: 'victim-1' });
      await row.getByRole('button', { name: /Kill client/ }).click();
      // The accessible confirmation dialog.
      const dlg = page.getByRole('dialog');
      await dlg.waitFor();
      await dlg.getByRole('button', { name: 'Kill client' }).click();
      await until(() => closed, 10000, 'the victim connection to be closed');
      const list = await srv.resp('CLIENT', 'LIST');
      assert(!list.includes('victim-1'), `CLIENT LIST no longer has it: ${list}`);
      await until(async () => !(await page.textContent('#clients')).includes('victim-1'), 10000, 'the table to drop it');
      sock.destroy();
      await sleep(10);
    },
  },
];
