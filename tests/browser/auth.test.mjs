// A server that requires credentials: the page asks for the token, then
// works (REST and the live stream), and remembers it.
import { assert, until } from './harness.mjs';

export const tests = [
  {
    name: 'a password-protected server shows the token prompt and works after it',
    fn: async (h) => {
      // Before the token is given, the API answers 401, which Chromium
      // logs itself; those lines are expected here and only here.
      h.allowConsole(/status of 401 \(Unauthorized\)/);
      const srv = await h.start(['--requirepass', 's3cret-pw'], { password: 's3cret-pw' });
      const page = await h.open('#/dashboard');
      const dlg = page.getByRole('dialog', { name: 'Authentication required' });
      await dlg.waitFor();
      // The live connection says it waits for credentials.
      await until(async () => (await page.textContent('#conn-label')) === 'needs token', 10000, 'the needs-token state');
      await h.shot(page, 'auth-prompt-light');
      await dlg.getByLabel('API token or password').fill('s3cret-pw');
      await dlg.getByRole('button', { name: 'OK' }).click();
      await dlg.waitFor({ state: 'detached' });
      // REST works: the identity panel is filled.
      await until(async () => (await page.textContent('#identity')).includes(srv.dir), 15000, 'the identity after the token');
      // The live stream is authenticated: a key written through RESP shows.
      await page.waitForSelector('#conn[data-state="open"]');
      await srv.resp('SET', 'auth:k', 'v');
      await until(async () => (await page.textContent('#tile-keys')).trim() === '1', 15000, 'live stats after auth');
      // Remembered: a reload asks nothing.
      await page.reload();
      await until(async () => (await page.textContent('#identity')).includes(srv.dir), 15000, 'the identity after reload');
      assert(await page.getByRole('dialog').count() === 0, 'no prompt after reload');
      assert(await page.evaluate(() => localStorage.getItem('flashdb.token')) === 's3cret-pw', 'token stored');
    },
  },
  {
    name: 'an http-token server accepts the token from Settings; the prompt looks right in dark',
    fn: async (h) => {
      h.allowConsole(/status of 401 \(Unauthorized\)/);
      const srv = await h.start(['--http-token', 'tok-abc-123']);
      const page = await h.open('#/settings', { theme: 'dark' });
      const dlg = page.getByRole('dialog', { name: 'Authentication required' });
      await dlg.waitFor();
      await h.shot(page, 'auth-prompt-dark');
      await dlg.getByRole('button', { name: 'Cancel' }).click();
      // The errors are shown on the page, not swallowed.
      await until(async () => /Configuration: /.test(await page.textContent('#config')), 10000, 'the error on the page');
      await page.fill('#token', 'tok-abc-123');
      await page.getByRole('button', { name: 'Save' }).first().click();
      await until(async () => /accepted/.test(await page.textContent('#token-state')), 10000, 'the token accepted');
      await page.waitForSelector('form.cfg-row[data-name="http-token"]');
      await page.waitForSelector('#conn[data-state="open"]');
      void srv;
    },
  },
];
