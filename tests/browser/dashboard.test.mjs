// The Dashboard page: identity from the real server, live charts fed by
// the WebSocket stats stream, persistence status; screenshots.
import { assert, until } from './harness.mjs';

const points = (page, id) => page.$eval(`#${id} svg`, (s) => Number(s.dataset.points || 0));

export const tests = [
  {
    name: 'shows the server identity and live charts that update',
    fn: async (h) => {
      const srv = await h.start();
      const page = await h.open('#/dashboard');
      await page.waitForSelector('#identity dd');
      const ident = await page.textContent('#identity');
      assert(ident.includes('FlashDB'), `identity names the server: ${ident}`);
      assert(ident.includes(srv.dir), `identity shows the data dir ${srv.dir}: ${ident}`);
      assert(ident.includes(String(srv.port)), `identity shows the RESP port: ${ident}`);
      // Stats arrive once a second; the chart grows.
      await until(async () => (await points(page, 'chart-ops')) >= 1, 15000, 'a first stats point');
      const before = await points(page, 'chart-ops');
      // Write through RESP; the keys tile and the keys chart follow.
      for (let i = 0; i < 25; i++) await srv.resp('SET', `dash:key:${i}`, String(i));
      await until(async () => (await page.textContent('#tile-keys')).trim() === '25', 15000, 'the keys tile to show 25');
      await until(async () => (await points(page, 'chart-ops')) >= before + 2, 15000, 'two more chart points');
      const legend = await page.textContent('#chart-keys');
      assert(legend.includes('25'), `keys chart legend shows the current value: ${legend}`);
      // The polyline has as many vertices as points with values.
      const verts = await page.$eval('#chart-clients polyline', (p) => p.getAttribute('points').trim().split(/\s+/).length);
      assert(verts >= 2, `clients line drawn with ${verts} vertices`);
      // db0 bar and persistence panel.
      assert((await page.textContent('#keys-per-db')).includes('db0'), 'keys per db lists db0');
      const pers = await page.textContent('#persistence');
      assert(pers.includes('everysec'), `fsync policy shown: ${pers}`);
      await h.shot(page, 'dashboard-light');
      await page.click('#theme-toggle');
      assert(await page.evaluate(() => document.documentElement.dataset.theme === 'dark'), 'theme toggled to dark');
      await h.shot(page, 'dashboard-dark');
    },
  },
  {
    name: 'is readable on a 390-px phone screen and keyboard navigable',
    fn: async (h) => {
      await h.start();
      const page = await h.open('#/dashboard', { viewport: { width: 390, height: 844 } });
      await page.waitForSelector('#identity dd');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 0, `no horizontal scrolling on a phone (overflow ${overflow}px)`);
      await h.shot(page, 'dashboard-phone');
      // Tab reaches the navigation with a visible focus ring.
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const a = document.activeElement;
        return { text: a.textContent, outline: getComputedStyle(a).outlineStyle };
      });
      assert(focused.text === 'Dashboard' && focused.outline !== 'none', `focus on the nav with a ring: ${JSON.stringify(focused)}`);
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => location.hash === '#/monitoring');
    },
  },
  {
    name: 'reconnects after a server restart and shows the state',
    fn: async (h) => {
      // While the server is down, Chromium itself logs the refused
      // WebSocket and fetch attempts; those (and only those) are expected.
      h.allowConsole(/WebSocket connection to .* failed/);
      h.allowConsole(/ERR_CONNECTION_REFUSED/);
      const srv = await h.start();
      const page = await h.open('#/dashboard');
      await page.waitForSelector('#conn[data-state="open"]');
      await srv.stop();
      await page.waitForSelector('#conn[data-state="closed"]');
      const label = await page.textContent('#conn-label');
      assert(/disconnected/.test(label), `state shown: ${label}`);
      // Same ports and data dir again.
      const again = await h.restart(srv);
      await page.waitForSelector('#conn[data-state="open"]', { timeout: 30000 });
      await again.resp('SET', 'after:restart', '1');
      await until(async () => (await page.textContent('#tile-keys')).trim() === '1', 15000, 'stats after the restart');
    },
  },
];
