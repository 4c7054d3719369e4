// Runs every tests/browser/*.test.mjs: each exports
// `tests = [{ name, fn: async (h) => {...} }]`. Prints pass/fail, exits
// non-zero on any failure. `node run.mjs console` runs the files whose
// name contains "console".
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Harness, closeBrowser } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv.slice(2);
const files = readdirSync(here).filter((f) => f.endsWith('.test.mjs'))
  .filter((f) => !filter.length || filter.some((x) => f.includes(x))).sort();

let passed = 0, failed = 0;
const failures = [];
const TEST_TIMEOUT = 90000;

for (const f of files) {
  const mod = await import(pathToFileURL(`${here}/${f}`).href);
  for (const t of mod.tests || []) {
    const name = `${f.replace('.test.mjs', '')} :: ${t.name}`;
    const h = new Harness(name);
    const t0 = Date.now();
    let err = null;
    try {
      let timer;
      await Promise.race([
        t.fn(h),
        new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`timed out after ${TEST_TIMEOUT / 1000}s`)), TEST_TIMEOUT); }),
      ]).finally(() => clearTimeout(timer));
      if (h.errors.length) err = new Error('browser errors:\n  ' + h.errors.join('\n  '));
    } catch (e) {
      err = e;
      if (h.errors.length) err.message += '\nbrowser errors:\n  ' + h.errors.join('\n  ');
    }
    if (err && h.server) {
      try { err.message += '\n--- server log (tail) ---\n' + h.server.log().split('\n').slice(-15).join('\n'); } catch { /* gone */ }
    }
    await h.close();
    const ms = Date.now() - t0;
    if (err) {
      failed++;
      failures.push(name);
      console.log(`FAIL ${name} (${ms} ms)\n  ${String(err.stack || err).split('\n').join('\n  ')}`);
    } else {
      passed++;
      console.log(`ok   ${name} (${ms} ms)`);
    }
  }
}
await closeBrowser();
if (failures.length) console.log('\nfailed:\n  ' + failures.join('\n  '));
console.log(`\nbrowser: ${passed} passed, ${failed} failed`);
process.exit(failed || !passed ? 1 : 0);
