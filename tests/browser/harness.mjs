// The browser-test harness: starts the real flashdb binary (free ports, a
// temp data dir, stopped by PID), drives Debian's headless Chromium with
// playwright-core, fails a test on any console error or page error, saves
// screenshots under target/browser-shots/, and talks RESP via redis-cli.
import { chromium } from 'playwright-core';
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SHOTS = join(ROOT, 'target', 'browser-shots');
export const BIN = process.env.FLASHDB_BIN || join(ROOT, 'target', 'debug', 'flashdb');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on loopback. */
export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); });
  });
}

/** `resp(port, 'SET', 'k', 'v')` or `resp({port, password}, ...)` via redis-cli → its stdout (trimmed). */
export function resp(target, ...args) {
  const t = typeof target === 'object' ? target : { port: target };
  const cli = ['-h', '127.0.0.1', '-p', String(t.port)];
  if (t.password) cli.push('--no-auth-warning', '-a', t.password);
  return new Promise((res, rej) => {
    execFile('redis-cli', [...cli, ...args.map(String)], { timeout: 10000 }, (err, stdout, stderr) => {
      if (err) rej(new Error(`redis-cli ${args.join(' ')}: ${err.message} ${stderr}`));
      else res(stdout.replace(/\n$/, ''));
    });
  });
}

/** Starts the binary; resolves when its HTTP health check answers. */
export async function startServer(extra = [], { password, dir: inDir, port: fixedPort, http: fixedHttp } = {}) {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run cargo build first`);
  const dir = inDir || mkdtempSync(join(tmpdir(), 'flashdb-browser-'));
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = fixedPort || await freePort();
    const http = fixedHttp || await freePort();
    const logPath = join(dir, 'server.log');
    const fd = openSync(logPath, 'a');
    const args = ['--port', port, '--dir', dir, '--http-port', http, ...extra].map(String);
    const child = spawn(BIN, args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    let exited = false;
    child.on('exit', () => { exited = true; });
    const base = `http://127.0.0.1:${http}`;
    const t0 = Date.now();
    let up = false;
    while (Date.now() - t0 < 15000 && !exited) {
      try {
        const r = await fetch(base + '/api/v1/readyz');
        if (r.status === 200) { up = true; break; }
      } catch { /* not listening yet */ }
      await sleep(50);
    }
    if (!up) {
      if (!exited) { process.kill(child.pid, 'SIGKILL'); await waitExit(child, 5000); }
      continue;
    }
    const srv = {
      port, http, dir, base, pid: child.pid, child, password, extra,
      log: () => readFileSync(logPath, 'utf8'),
      resp: (...a) => resp({ port, password }, ...a),
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          process.kill(child.pid, 'SIGTERM');
          if (!(await waitExit(child, 10000))) { process.kill(child.pid, 'SIGKILL'); await waitExit(child, 5000); }
        }
      },
      cleanup() { rmSync(dir, { recursive: true, force: true }); },
    };
    return srv;
  }
  throw new Error('flashdb did not start; log:\n' + (existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8') : ''));
}

function waitExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((res) => {
    const t = setTimeout(() => res(false), ms);
    child.once('exit', () => { clearTimeout(t); res(true); });
  });
}

let browser = null;
/**
 * The shared browser (one per run; every test gets fresh contexts).
 * playwright-core gives each launch a fresh temporary user-data-dir and
 * removes it on close.
 */
export async function getBrowser() {
  if (browser) return browser;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: CHROMIUM_FLAGS,
    timeout: 60000,
  });
  return browser;
}

export async function closeBrowser() {
  if (browser) await browser.close().catch(() => {});
  browser = null;
}

/** What a test gets: servers it starts, pages it opens, error capture. */
export class Harness {
  constructor(name) {
    this.name = name;
    this.servers = [];
    this.contexts = [];
    this.errors = [];
    this.allowed = [];
  }

  /** Starts a flashdb (stopped after the test). */
  async start(extra = [], opts = {}) {
    const s = await startServer(extra, opts);
    this.servers.push(s);
    this.server = this.server || s;
    return s;
  }

  /** Restarts a stopped server on the same ports and data dir. */
  async restart(old, tries = 50) {
    let lastErr;
    for (let i = 0; i < tries; i++) {
      try {
        const s = await startServer(old.extra, { password: old.password, dir: old.dir, port: old.port, http: old.http });
        this.servers.push(s);
        return s;
      } catch (e) { lastErr = e; await sleep(200); }
    }
    throw lastErr;
  }

  /** Console errors matching `re` are expected by this test (e.g. a 401). */
  allowConsole(re) { this.allowed.push(re); }

  /**
   * Opens `path` (e.g. '#/console') on `srv` in a fresh context.
   * opts: theme 'light'|'dark', viewport {width, height}, token.
   */
  async open(path = '', { srv = this.server, theme = 'light', viewport = { width: 1280, height: 800 }, token } = {}) {
    const b = await getBrowser();
    const context = await b.newContext({ viewport, colorScheme: theme, reducedMotion: 'reduce' });
    this.contexts.push(context);
    // No request may leave for another host.
    await context.route('**/*', (route) => {
      const u = new URL(route.request().url());
      if (u.hostname !== '127.0.0.1' && u.protocol !== 'data:') {
        this.errors.push(`request to another host: ${u.href}`);
        return route.abort();
      }
      return route.continue();
    });
    if (token) await context.addInitScript((t) => localStorage.setItem('flashdb.token', t), token);
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning' && /Content Security Policy/.test(m.text())) {
        const text = `console.${m.type()}: ${m.text()}`;
        if (!this.allowed.some((re) => re.test(m.text()))) this.errors.push(text);
      }
    });
    page.on('pageerror', (e) => this.errors.push(`page error: ${e.message}\n${e.stack || ''}`));
    page.setDefaultTimeout(10000);
    await page.goto(`${srv.base}/${path}`, { timeout: 30000 });
    await page.waitForSelector('#view > *');
    return page;
  }

  /** Saves a screenshot as target/browser-shots/<name>.png. */
  async shot(page, name) {
    mkdirSync(SHOTS, { recursive: true });
    const file = join(SHOTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage: false });
    return file;
  }

  async close() {
    for (const c of this.contexts) await c.close().catch(() => {});
    for (const s of this.servers) await s.stop();
    for (const s of this.servers) s.cleanup();
  }
}

/** Asserts; throws with `msg`. */
export function assert(cond, msg) {
  if (!cond) throw new Error('assertion failed: ' + msg);
}

/** Polls `fn` until it returns a truthy value (or throws after `ms`). */
export async function until(fn, ms = 10000, what = 'condition') {
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < ms) {
    try { last = await fn(); if (last) return last; } catch (e) { last = e; }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what} (last: ${last && last.message || last})`);
}
