// The dashboard shell: hash router, the shared context handed to every
// page, theme, connection state, and the token prompt.
import { api, exec, ApiError, getToken, setToken, onUnauthorized } from './api.js';
import { Live } from './ws.js';
import { el, replace, fmt, notify, confirm, prompt, table, stat } from './ui.js';
import { lineChart } from './chart.js';

const PAGES = ['dashboard', 'console', 'explorer', 'monitoring', 'settings'];
const THEME_KEY = 'flashdb.theme';

const ws = new Live();

// Kept while the tab is open, so charts and the alert list have history
// when a page is opened: the last 5 minutes of `stats`, the last 100 alerts.
const HISTORY_SEC = 300;
const statsHistory = [];
const alerts = [];
ws.on('stats', (d) => {
  statsHistory.push(d);
  const cut = (d.time || Date.now()) - HISTORY_SEC * 1000;
  while (statsHistory.length && (statsHistory[0].time || 0) < cut) statsHistory.shift();
});
ws.on('alert', (a) => {
  alerts.unshift(a);
  if (alerts.length > 100) alerts.pop();
});

function applyTheme(t) {
  if (t === 'light' || t === 'dark') document.documentElement.dataset.theme = t;
  else delete document.documentElement.dataset.theme;
}

const theme = {
  get() { try { return localStorage.getItem(THEME_KEY) || 'system'; } catch { return 'system'; } },
  set(t) {
    try { if (t === 'system') localStorage.removeItem(THEME_KEY); else localStorage.setItem(THEME_KEY, t); } catch { /* ignore */ }
    applyTheme(t);
    document.dispatchEvent(new CustomEvent('flashdb-theme', { detail: t }));
  },
  effective() {
    const t = theme.get();
    if (t !== 'system') return t;
    return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  },
};
applyTheme(theme.get());

let asking = null;
/** Asks for the API token; resolves true when one was stored. */
async function askToken(reason) {
  if (asking) return asking;
  asking = (async () => {
    const t = await prompt('Authentication required', {
      label: 'API token or password',
      type: 'password',
      note: reason || 'The server requires credentials (http-token or requirepass). They are kept in this browser\u2019s local storage.',
    });
    asking = null;
    if (t === null || t === '') return false;
    setToken(t);
    ws.reconnect();
    route(true);
    return true;
  })();
  return asking;
}
onUnauthorized(() => { askToken(); });

const ctx = {
  api, exec, ws, el, replace, fmt, notify, confirm, prompt, table, stat, lineChart, ApiError, theme,
  askToken, statsHistory, alerts, HISTORY_SEC,
  setToken(t) { setToken(t); ws.reconnect(); },
  getToken,
  /** Shows an API error (never swallowed); 401s already open the prompt. */
  fail(e, what) {
    if (e && e.status === 401) return;
    const msg = e instanceof ApiError ? `${e.message}${e.code && e.code !== 'ERROR' ? ` (${e.code})` : ''}` : String(e && e.message || e);
    notify(what ? `${what}: ${msg}` : msg, 'error');
  },
};
window.flashdb = { ctx };

let current = null; // { name, unmount }

async function route(force) {
  let name = (location.hash.replace(/^#\/?/, '').split(/[/?]/)[0] || 'dashboard').toLowerCase();
  if (!PAGES.includes(name)) name = 'dashboard';
  if (current && current.name === name && !force) return;
  if (current && current.unmount) {
    try { current.unmount(); } catch (e) { notify('Leaving the page failed: ' + e.message, 'error'); }
  }
  current = { name, unmount: null };
  const me = current;
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.page === name) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  document.title = `FlashDB \u2014 ${name[0].toUpperCase()}${name.slice(1)}`;
  const view = document.getElementById('view');
  view.replaceChildren();
  view.dataset.page = name;
  let mod;
  try {
    mod = await import(`./pages/${name}.js`);
  } catch (e) {
    if (me !== current) return;
    replace(view, el('section', { class: 'panel' }, el('h1', {}, 'Page failed to load'),
      el('p', { class: 'error-text' }, `pages/${name}.js: ${e.message}`)));
    notify(`The ${name} page failed to load: ${e.message}`, 'error');
    return;
  }
  if (me !== current) return;
  const root = el('div', { class: `page page-${name}` });
  view.append(root);
  try {
    const un = mod.mount(root, ctx);
    me.unmount = typeof un === 'function' ? un : null;
  } catch (e) {
    notify(`The ${name} page failed: ${e.message}`, 'error');
    throw e;
  }
}

function connState(state, detail = {}) {
  const box = document.getElementById('conn');
  const label = document.getElementById('conn-label');
  box.dataset.state = state;
  let text = { connecting: 'connecting…', open: 'live', auth: 'needs token', closed: 'disconnected' }[state] || state;
  if (state === 'closed' && detail.retryIn) text = `disconnected \u2014 retrying in ${Math.ceil(detail.retryIn / 1000)}s`;
  label.textContent = text;
}

function start() {
  ws.onState(connState);
  ws.on('error', (d) => {
    if (d && d.code === 'UNAUTHORIZED') askToken();
    else notify(`Live stream: ${d && d.message || 'error'}`, 'error');
  });
  ws.on('welcome', (d) => { if (d && d.authenticated === false) askToken(); });
  ws.on('alert', (a) => {
    if (a && a.level && a.level !== 'info') notify(`Alert (${a.kind}): ${a.message}`, a.level === 'error' ? 'error' : 'info');
  });
  document.getElementById('theme-toggle').addEventListener('click', () => {
    theme.set(theme.effective() === 'dark' ? 'light' : 'dark');
  });
  window.addEventListener('hashchange', () => route(false));
  // A handshake refused for credentials: ask when the REST API says so.
  ws.onState((s, d) => {
    if (s === 'closed' && d.why === 'unreachable') {
      api('GET', '/healthz').then(() => api('GET', '/stats')).catch(() => { /* 401 opens the prompt; others show on the page */ });
    }
  });
  ws.connect();
  route(true);
}

start();
