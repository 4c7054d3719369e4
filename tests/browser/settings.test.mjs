// The Settings page: CONFIG editing (validated, errors inline), snapshots,
// theme; screenshots.
import { assert, until } from './harness.mjs';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const row = (name) => `form.cfg-row[data-name="${name}"]`;

export const tests = [
  {
    name: 'changes slowlog-log-slower-than and CONFIG GET agrees; errors inline',
    fn: async (h) => {
      // The refused CONFIG SET is a 400 answer, which Chromium itself
      // logs; that one line is expected here.
      h.allowConsole(/status of 400 \(Bad Request\)/);
      const srv = await h.start();
      const page = await h.open('#/settings');
      await page.waitForSelector(row('slowlog-log-slower-than'));
      await h.shot(page, 'settings-light');
      const input = `${row('slowlog-log-slower-than')} input`;
      assert((await page.inputValue(input)) === '10000', 'shows the current value');
      await page.fill(input, '12345');
      await page.click(`${row('slowlog-log-slower-than')} button[type="submit"]`);
      await until(async () => (await srv.resp('CONFIG', 'GET', 'slowlog-log-slower-than')).endsWith('12345'), 10000, 'CONFIG GET to agree');
      // A client-side check: not a number.
      await page.fill(input, 'abc');
      const err = await page.textContent(`${row('slowlog-log-slower-than')} .error-text`);
      assert(/number/.test(err), `inline validation error: ${err}`);
      assert((await page.getAttribute(input, 'aria-invalid')) === 'true', 'marked invalid');
      // A server-side refusal: shown inline with Redis's message.
      const pol = `${row('maxmemory-policy')} input`;
      await page.fill(pol, 'bogus-policy');
      await page.click(`${row('maxmemory-policy')} button[type="submit"]`);
      await until(async () => /ERR|argument|invalid/i.test(await page.textContent(`${row('maxmemory-policy')} .error-text`)), 10000, 'the server error inline');
      assert((await srv.resp('CONFIG', 'GET', 'maxmemory-policy')).endsWith('noeviction'), 'policy unchanged');
    },
  },
  {
    name: 'creates a snapshot and lists it; theme follows the choice',
    fn: async (h) => {
      const srv = await h.start();
      await srv.resp('SET', 'snap:k', 'v');
      const page = await h.open('#/settings');
      await page.waitForSelector('#snapshots table');
      await page.click('#snapshot-create');
      await until(async () => /snapshot-\d+\.fdb/.test(await page.textContent('#snapshots')), 15000, 'the snapshot file in the list');
      const shown = (await page.textContent('#snapshots')).match(/snapshot-\d+\.fdb/)[0];
      assert(readdirSync(join(srv.dir, 'snapshots')).includes(shown), `${shown} exists in the data dir`);
      // Theme: dark, persisted across a reload.
      await page.getByRole('radio', { name: 'Dark' }).check();
      assert(await page.evaluate(() => document.documentElement.dataset.theme === 'dark'), 'dark theme applied');
      await page.reload();
      await page.waitForSelector(row('maxmemory'));
      assert(await page.evaluate(() => document.documentElement.dataset.theme === 'dark'), 'dark theme kept after reload');
      await h.shot(page, 'settings-dark');
      await page.getByRole('radio', { name: 'Follow the OS' }).check();
      assert(await page.evaluate(() => !document.documentElement.dataset.theme), 'system theme');
    },
  },
];
