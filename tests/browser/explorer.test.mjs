// Explorer page: finding keys (pattern, type, DB, namespace tree), the key
// panel (type, live TTL, memory, encoding) and editing values; every change
// is checked through RESP (redis-cli) against the real server.
import { assert, until } from './harness.mjs';

const key = (page, name) => page.locator(`#ex-keys .ex-key[data-key="${name}"]`);

async function search(page, pattern, type = '') {
  await page.fill('#ex-match', pattern);
  await page.selectOption('#ex-type', type);
  await page.click('#ex-search');
}

async function openKey(page, name, type) {
  await key(page, name).first().click();
  await until(async () => (await page.textContent('#ex-key-name').catch(() => '')) === name, 10000, `panel for ${name}`);
  await until(async () => (await page.textContent('#ex-key-type')) === type, 10000, `type ${type}`);
}

/** Answers the open modal: fills its input (prompt) and presses `button`. */
async function modal(page, button, value) {
  const m = await page.waitForSelector('.modal');
  if (value !== undefined) await (await m.$('input')).fill(value);
  await (await m.$(`.modal-actions button:text-is("${button}")`)).click();
  // This dialog closes; another may open at once (prompt, then confirm).
  await page.waitForFunction((el) => !el.isConnected, m);
}

export const tests = [
  {
    name: 'finds a key by pattern, shows type and TTL, edits a hash field',
    fn: async (h) => {
      const srv = await h.start();
      await srv.resp('HSET', 'user:1', 'name', 'Ada', 'visits', '3');
      await srv.resp('EXPIRE', 'user:1', '5000');
      await srv.resp('HSET', 'user:2', 'name', 'Linus');
      await srv.resp('HSET', 'user:10', 'name', 'Grace');
      await srv.resp('SET', 'config:theme', 'dark');
      const page = await h.open('#/explorer');
      await page.waitForSelector('#ex-keys .ex-key');

      // The namespace tree groups on ':'.
      assert(await page.locator('#ex-keys summary:has-text("user:")').count() === 1, 'a user: namespace');
      assert(await page.locator('#ex-keys summary:has-text("config:")').count() === 1, 'a config: namespace');

      // A pattern narrows the SCAN.
      await search(page, 'user:1');
      await until(async () => (await page.textContent('#ex-count')).startsWith('1 key'), 10000, 'one key found');
      assert(await key(page, 'user:1').count() === 1, 'user:1 listed');
      assert(await key(page, 'user:10').count() === 0 && await key(page, 'user:2').count() === 0, 'others filtered out');

      await openKey(page, 'user:1', 'hash');
      const ttl1 = await page.textContent('#ex-ttl');
      assert(/^1h 23m \d+s/.test(ttl1), `TTL shown counting down from 5000 s: ${ttl1}`);
      await until(async () => (await page.textContent('#ex-ttl')) !== ttl1, 5000, 'the TTL counts down');
      assert(/\d/.test(await page.textContent('#ex-memory')), 'memory shown');
      assert((await page.textContent('#ex-encoding')) === 'listpack', 'encoding shown');
      assert((await page.textContent('#ex-length')) === '2', 'length 2');
      const rows = await page.locator('#ex-value-table tbody tr').allTextContents();
      assert(rows.some((r) => r.startsWith('nameAda')) && rows.some((r) => r.startsWith('visits3')), `field table: ${rows}`);
      await h.shot(page, 'explorer-light');

      // Edit a field in place; RESP sees the change.
      await page.click('#ex-value-table button[aria-label="Edit name"]');
      await page.fill('#ex-value-table input.ex-edit', 'Ada Lovelace');
      await page.press('#ex-value-table input.ex-edit', 'Enter');
      await until(async () => (await srv.resp('HGET', 'user:1', 'name')) === 'Ada Lovelace', 5000, 'HGET sees the edit');
      await until(async () => (await page.locator('#ex-value-table tbody tr').allTextContents()).some((r) => r.startsWith('nameAda Lovelace')), 5000, 'table refreshed');
      assert(Number(await srv.resp('TTL', 'user:1')) > 4000, 'editing a field keeps the TTL');

      // Add a field, delete one (with confirmation).
      await page.fill('.ex-add input[aria-label="Field"]', 'lang');
      await page.fill('.ex-add input[aria-label="Value"]', 'Analytical Engine');
      await page.click('.ex-add button[type="submit"]');
      await until(async () => (await srv.resp('HGET', 'user:1', 'lang')) === 'Analytical Engine', 5000, 'field added');
      await page.click('#ex-value-table button[aria-label="Delete visits"]');
      await modal(page, 'Delete');
      await until(async () => (await srv.resp('HEXISTS', 'user:1', 'visits')) === '0', 5000, 'field deleted');

      await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
      await h.shot(page, 'explorer-dark');
    },
  },
  {
    name: 'strings, lists, sets, sorted sets, streams, TTL, rename, delete, bulk delete, DBs',
    fn: async (h) => {
      const srv = await h.start();
      await srv.resp('SET', 'doc:1', '{"a":1,"b":[true,null]}');
      await srv.resp('RPUSH', 'queue', 'a', 'b', 'c', 'd');
      await srv.resp('SADD', 'tags', 'red', 'green');
      await srv.resp('ZADD', 'board', '1.5', 'ada', '3', 'bob');
      await srv.resp('XADD', 'events', '1-1', 'kind', 'login', 'user', 'ada');
      await srv.resp('XADD', 'events', '2-0', 'kind', 'logout');
      for (let i = 0; i < 30; i++) await srv.resp('SET', `tmp:${i}`, String(i));
      await srv.resp('-n', '2', 'SET', 'only-in-2', 'here');
      const page = await h.open('#/explorer');
      await page.waitForSelector('#ex-keys .ex-key');

      // Type filter.
      await search(page, '*', 'zset');
      await until(async () => (await page.textContent('#ex-count')).startsWith('1 key'), 10000, 'one zset');
      assert(await key(page, 'board').count() === 1, 'the zset is listed');

      // Sorted set: edit a score, add a member.
      await openKey(page, 'board', 'zset');
      await page.click('#ex-value-table button[aria-label="Edit ada"]');
      await page.fill('#ex-value-table input.ex-edit', '10');
      await page.press('#ex-value-table input.ex-edit', 'Enter');
      await until(async () => (await srv.resp('ZSCORE', 'board', 'ada')) === '10', 5000, 'score edited');
      await page.fill('.ex-add input[aria-label="Score"]', '7');
      await page.fill('.ex-add input[aria-label="Member"]', 'cy');
      await page.click('.ex-add button[type="submit"]');
      await until(async () => (await srv.resp('ZSCORE', 'board', 'cy')) === '7', 5000, 'member added');

      // String: JSON pretty-printed, saved (compact) with SET ... KEEPTTL.
      await search(page, 'doc:*');
      await page.waitForSelector('#ex-keys .ex-key[data-key="doc:1"]');
      await openKey(page, 'doc:1', 'string');
      assert(await page.inputValue('#ex-str-mode') === 'json', 'JSON detected');
      const pretty = await page.inputValue('#ex-str-value');
      assert(pretty === JSON.stringify({ a: 1, b: [true, null] }, null, 2), `pretty JSON: ${pretty}`);
      await page.selectOption('#ex-str-mode', 'hex');
      assert((await page.textContent('#ex-hex')).startsWith('00000000  7b 22 61 22'), 'hex view');
      await page.selectOption('#ex-str-mode', 'json');

      // TTL: set, see it, remove it.
      await page.click('#ex-setttl');
      await modal(page, 'OK', '120');
      await until(async () => Number(await srv.resp('TTL', 'doc:1')) > 100, 5000, 'EXPIRE applied');
      await until(async () => /^[12]m /.test(await page.textContent('#ex-ttl')), 5000, 'TTL shown');
      await page.fill('#ex-str-value', '{"a": 2}');
      await page.click('#ex-str-save');
      await until(async () => (await srv.resp('GET', 'doc:1')) === '{"a":2}', 5000, 'JSON saved');
      assert(Number(await srv.resp('TTL', 'doc:1')) > 100, 'saving keeps the TTL');
      await page.waitForSelector('#ex-persist');
      await page.click('#ex-persist');
      await until(async () => (await srv.resp('TTL', 'doc:1')) === '-1', 5000, 'PERSIST applied');
      await until(async () => (await page.textContent('#ex-ttl')) === 'no expiry', 5000, 'no expiry shown');

      // Rename.
      await page.click('#ex-rename');
      await modal(page, 'OK', 'doc:renamed');
      await until(async () => (await srv.resp('EXISTS', 'doc:renamed')) === '1', 5000, 'renamed');
      assert(await srv.resp('EXISTS', 'doc:1') === '0', 'old name gone');

      // Delete the key, after a confirmation (Cancel first: nothing happens).
      await page.click('#ex-delete');
      await modal(page, 'Cancel');
      assert(await srv.resp('EXISTS', 'doc:renamed') === '1', 'cancel keeps the key');
      await page.click('#ex-delete');
      await modal(page, 'Delete');
      await until(async () => (await srv.resp('EXISTS', 'doc:renamed')) === '0', 5000, 'key deleted');

      // List: edit by index, delete by index, append.
      await search(page, 'queue');
      await page.waitForSelector('#ex-keys .ex-key[data-key="queue"]');
      await openKey(page, 'queue', 'list');
      await page.click('#ex-value-table button[aria-label="Edit 1"]');
      await page.fill('#ex-value-table input.ex-edit', 'B');
      await page.press('#ex-value-table input.ex-edit', 'Enter');
      await until(async () => (await srv.resp('LINDEX', 'queue', '1')) === 'B', 5000, 'LSET applied');
      await page.waitForSelector('#ex-value-table button[aria-label="Delete 2"]');
      await page.click('#ex-value-table button[aria-label="Delete 2"]');
      await modal(page, 'Delete');
      await until(async () => (await srv.resp('LRANGE', 'queue', '0', '-1')) === 'a\nB\nd', 5000, 'element 2 removed');
      await page.fill('.ex-add input[aria-label="Element"]', 'e');
      await page.click('.ex-add button[type="submit"]');
      await until(async () => (await srv.resp('LRANGE', 'queue', '0', '-1')) === 'a\nB\nd\ne', 5000, 'appended');

      // Set: add and remove members.
      await search(page, 'tags');
      await page.waitForSelector('#ex-keys .ex-key[data-key="tags"]');
      await openKey(page, 'tags', 'set');
      await page.fill('.ex-add input[aria-label="Member"]', 'blue');
      await page.click('.ex-add button[type="submit"]');
      await until(async () => (await srv.resp('SISMEMBER', 'tags', 'blue')) === '1', 5000, 'SADD');
      await page.waitForSelector('#ex-value-table button[aria-label="Delete red"]');
      await page.click('#ex-value-table button[aria-label="Delete red"]');
      await modal(page, 'Delete');
      await until(async () => (await srv.resp('SISMEMBER', 'tags', 'red')) === '0', 5000, 'SREM');

      // Stream: entries with their fields, no edit (entries are
      // immutable), add (XADD *), delete (XDEL).
      await search(page, 'events');
      await page.waitForSelector('#ex-keys .ex-key[data-key="events"]');
      await openKey(page, 'events', 'stream');
      await page.waitForSelector('#ex-value-table tbody tr');
      const rows = await page.$$eval('#ex-value-table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent)));
      assert(JSON.stringify(rows) === JSON.stringify([['1-1', 'kind=login  user=ada'], ['2-0', 'kind=logout']]), `stream rows: ${JSON.stringify(rows)}`);
      assert(!(await page.isVisible('#ex-value-table button[aria-label="Edit 1-1"]')), 'no edit for stream entries');
      await page.fill('.ex-add input[aria-label="Field"]', 'kind');
      await page.fill('.ex-add input[aria-label="Value"]', 'signup');
      await page.click('.ex-add button[type="submit"]');
      await until(async () => (await srv.resp('XLEN', 'events')) === '3', 5000, 'XADD');
      await until(async () => (await page.$$('#ex-value-table tbody tr')).length === 3, 5000, 'new entry shown');
      assert((await srv.resp('XREVRANGE', 'events', '+', '-', 'COUNT', '1')).endsWith('kind\nsignup'), 'added entry fields');
      await page.click('#ex-value-table button[aria-label="Delete 1-1"]');
      await modal(page, 'Delete');
      await until(async () => (await srv.resp('XRANGE', 'events', '1-1', '1-1')) === '', 5000, 'XDEL');

      // Bulk delete by pattern: counts first, then UNLINKs only those.
      await page.click('#ex-bulk');
      await modal(page, 'OK', 'tmp:*');
      await page.waitForSelector('.modal');
      const msg = await page.textContent('.modal p');
      assert(msg.includes('Delete 30 keys matching "tmp:*"'), `confirmation counts the keys: ${msg}`);
      await modal(page, 'Delete 30');
      await until(async () => (await srv.resp('KEYS', 'tmp:*')) === '', 5000, 'tmp:* deleted');
      assert(await srv.resp('EXISTS', 'queue', 'tags', 'board', 'events') === '4', 'other keys untouched');

      // DB selector.
      await page.selectOption('#ex-db', '2');
      await search(page, '*');
      await until(async () => (await key(page, 'only-in-2').count()) === 1, 10000, 'DB 2 key listed');
      assert(await key(page, 'queue').count() === 0, 'DB 0 keys not listed in DB 2');
      await openKey(page, 'only-in-2', 'string');
      assert(await page.inputValue('#ex-str-value') === 'here', 'DB 2 value');

      // New key (in the selected DB); an existing name is refused.
      await page.click('#ex-new');
      await page.fill('#ex-new-name', 'fresh');
      await page.selectOption('#ex-new-type', 'hash');
      await page.fill('#ex-new-a', 'f');
      await page.fill('#ex-new-b', 'v');
      await page.click('.ex-new-form button[type="submit"]');
      await until(async () => (await srv.resp('-n', '2', 'HGET', 'fresh', 'f')) === 'v', 5000, 'new hash in DB 2');
      await until(async () => (await page.textContent('#ex-key-type').catch(() => '')) === 'hash', 5000, 'new key opened');
      await page.click('#ex-new');
      await page.fill('#ex-new-name', 'fresh');
      await page.fill('#ex-new-a', 'other');
      await page.click('.ex-new-form button[type="submit"]');
      await page.waitForSelector('.toast-error:has-text("already exists")');
      assert(await srv.resp('-n', '2', 'TYPE', 'fresh') === 'hash', 'the existing key is untouched');
      // A new stream: its first entry with a server-generated ID.
      await page.click('#ex-new');
      await page.fill('#ex-new-name', 'log');
      await page.selectOption('#ex-new-type', 'stream');
      await page.fill('#ex-new-a', 'event');
      await page.fill('#ex-new-b', 'boot');
      await page.click('.ex-new-form button[type="submit"]');
      await until(async () => (await srv.resp('-n', '2', 'XLEN', 'log')) === '1', 5000, 'new stream in DB 2');
      await until(async () => (await page.textContent('#ex-key-type').catch(() => '')) === 'stream', 5000, 'new stream opened');
      await page.waitForSelector('#ex-value-table td:has-text("event=boot")');
    },
  },
  {
    name: 'phone-sized screen, binary keys and values',
    fn: async (h) => {
      const srv = await h.start();
      await srv.resp('SET', 'plain', 'x');
      // A binary value (not UTF-8), through the API's base64 form.
      const r = await fetch(`${srv.base}/api/v1/key/bin%3Avalue`, { method: 'PUT', body: JSON.stringify({ value: { base64: 'AP8Q' } }) });
      assert(r.status === 201, `PUT binary value: ${r.status}`);
      await srv.resp('RPUSH', 'biglist', ...Array.from({ length: 120 }, (_, i) => `item-${i}`));
      const page = await h.open('#/explorer', { viewport: { width: 390, height: 800 }, theme: 'dark' });
      // A long list pages 50 at a time.
      await page.waitForSelector('#ex-keys .ex-key[data-key="biglist"]');
      await openKey(page, 'biglist', 'list');
      assert((await page.textContent('.ex-pager')).includes('1–50 of 120'), 'first page');
      assert(await page.locator('#ex-value-table tbody tr').count() === 50, '50 rows');
      await page.click('#ex-next');
      await until(async () => (await page.textContent('.ex-pager').catch(() => '')).includes('51–100 of 120'), 5000, 'second page');
      assert((await page.locator('#ex-value-table tbody tr').first().textContent()).startsWith('50item-50'), 'index 50 first');
      await page.click('#ex-next');
      await until(async () => (await page.textContent('.ex-pager').catch(() => '')).includes('101–120 of 120'), 5000, 'last page');
      assert(await page.isDisabled('#ex-next'), 'no page after the last');

      await page.waitForSelector('#ex-keys .ex-key[data-key="bin:value"]');
      await openKey(page, 'bin:value', 'string');
      assert(await page.inputValue('#ex-str-mode') === 'hex', 'binary shown as hex');
      assert((await page.textContent('#ex-hex')).startsWith('00000000  00 ff 10'), 'hex bytes');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 0, `no horizontal scroll (${overflow}px)`);
      await h.shot(page, 'explorer-phone-dark');
    },
  },
];
