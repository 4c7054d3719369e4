// The live connection: one WebSocket, typed listeners, reconnect with
// backoff, and a visible state ('connecting' | 'open' | 'closed' | 'auth').
import { getToken } from './api.js';

export class Live extends EventTarget {
  constructor() {
    super();
    this.state = 'connecting';
    this.handlers = new Map();
    this.streams = new Set(['stats', 'keyspace', 'alert']);
    this.sock = null;
    this.delay = 500;
    this.timer = null;
    this.retryAt = 0;
    this.stopped = false;
  }

  setState(s, detail) {
    this.state = s;
    this.dispatchEvent(new CustomEvent('state', { detail: { state: s, ...detail } }));
  }

  connect() {
    clearTimeout(this.timer);
    this.stopped = false;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${proto}//${location.host}/api/v1/ws`;
    const t = getToken();
    let ws;
    try {
      ws = t ? new WebSocket(url, ['flashdb', 'bearer.' + t]) : new WebSocket(url);
    } catch (e) {
      this.schedule();
      return;
    }
    this.sock = ws;
    this.setState('connecting');
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.delay = 500;
      ws.send(JSON.stringify({ subscribe: [...this.streams] }));
      this.setState('open');
    };
    ws.onmessage = (e) => {
      let m;
      try { m = JSON.parse(e.data); } catch { return; }
      if (m.type === 'welcome' && m.data && m.data.authenticated === false) this.setState('auth');
      const fns = this.handlers.get(m.type);
      if (fns) for (const fn of [...fns]) {
        try { fn(m.data, m); } catch (err) { setTimeout(() => { throw err; }); }
      }
    };
    ws.onclose = () => {
      if (this.sock !== ws) return;
      this.sock = null;
      if (this.stopped) return;
      // A refused handshake (401) closes before open: ask for credentials.
      this.schedule(opened ? undefined : 'unreachable');
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  schedule(why) {
    const d = this.delay;
    this.delay = Math.min(this.delay * 2, 15000);
    this.retryAt = Date.now() + d;
    this.setState('closed', { retryIn: d, why });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), d);
  }

  /** Reconnect now (after a new token, or on the user's request). */
  reconnect() {
    this.delay = 500;
    const s = this.sock;
    this.sock = null;
    if (s) try { s.close(); } catch { /* already closed */ }
    this.connect();
  }

  send(obj) {
    if (this.sock && this.sock.readyState === WebSocket.OPEN) this.sock.send(JSON.stringify(obj));
  }

  /** Adds a stream to the subscription (e.g. 'command', which is opt-in). */
  want(stream) {
    if (this.streams.has(stream)) return;
    this.streams.add(stream);
    this.send({ subscribe: [...this.streams] });
  }

  unwant(stream) {
    if (!this.streams.delete(stream)) return;
    this.send({ subscribe: [...this.streams] });
  }

  /** Listens to one message type; returns the function that stops it. */
  on(type, fn) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(fn);
    return () => { const s = this.handlers.get(type); if (s) s.delete(fn); };
  }

  /** Listens to state changes; returns the function that stops it. */
  onState(fn) {
    const h = (e) => fn(e.detail.state, e.detail);
    this.addEventListener('state', h);
    return () => this.removeEventListener('state', h);
  }
}
