// REST client: the envelope, the stored token, errors as ApiError.
const TOKEN_KEY = 'flashdb.token';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

export function getToken() {
  try { return localStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; }
}

export function setToken(t) {
  try {
    if (t) localStorage.setItem(TOKEN_KEY, t); else localStorage.removeItem(TOKEN_KEY);
  } catch { /* storage disabled: the token lives for this page only */ }
  memToken = t || '';
}

let memToken = '';
let unauthorized = null;

/** Called (once per burst) when the server answers 401. */
export function onUnauthorized(fn) { unauthorized = fn; }

function token() { return getToken() || memToken; }

export function authHeaders() {
  const t = token();
  return t ? { Authorization: 'Bearer ' + t } : {};
}

/** `api('GET', '/stats')` → the envelope's data; throws ApiError. */
export async function api(method, path, body) {
  const url = path.startsWith('/api/') ? path : '/api/v1' + path;
  const headers = { Accept: 'application/json', ...authHeaders() };
  // credentials: 'omit' — the token travels in the Authorization header;
  // with cookies/HTTP auth off, a 401 (which carries a Basic challenge)
  // never opens the browser's own login dialog.
  const init = { method, headers, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch (e) {
    throw new ApiError(0, 'NETWORK', 'Cannot reach the server (' + (e && e.message || e) + ')');
  }
  let j = null;
  try { j = await res.json(); } catch { /* not JSON */ }
  if (!j || typeof j !== 'object' || typeof j.success !== 'boolean') {
    throw new ApiError(res.status, 'BAD_RESPONSE', `HTTP ${res.status} ${res.statusText}: not an API answer`);
  }
  if (!j.success) {
    const e = j.error || {};
    if (res.status === 401 && unauthorized) unauthorized();
    throw new ApiError(res.status, e.code || 'ERROR', e.message || `HTTP ${res.status}`, e.details);
  }
  return j.data;
}

/** Runs one command through POST /execute. */
export function exec(args, { db = 0, typed = false } = {}) {
  return api('POST', '/execute', { command: args, db, typed });
}
