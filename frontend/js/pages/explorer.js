// Explorer: a key browser over SCAN (pattern, type, DB, namespace tree on
// ':'), and a panel per key: type, TTL (live countdown), memory,
// encoding, and a viewer / editor for its value (string as text, JSON or
// hex; hash, list, set and sorted set as paged tables with add / edit /
// delete; stream entries paged with add / delete), rename, TTL, delete, and bulk delete by pattern (UNLINK).
import { keyId, keyLabel, keyPath, valueText, hexDump, namespaceTree } from '../explorer/keys.js';
import { fromBase64 } from '../console/format.js';

const PAGE = 200; // keys per SCAN page
const VALUES = 50; // elements per value page
const TYPES = ['', 'string', 'hash', 'list', 'set', 'zset', 'stream'];

export function mount(root, ctx) {
  const { el } = ctx;
  let alive = true;
  const st = {
    db: 0, match: '*', type: '', cursor: '0', done: false, keys: [], seen: new Set(), types: new Map(),
    view: 'tree', selected: null, loading: null,
  };
  const timers = new Set();
  const every = (fn, ms) => { const t = setInterval(fn, ms); timers.add(t); return t; };
  const stop = (t) => { clearInterval(t); timers.delete(t); };

  // ------------------------------------------------------------ layout

  const dbSel = el('select', { id: 'ex-db', 'aria-label': 'Database' }, el('option', { value: '0' }, 'db0'));
  const matchIn = el('input', { id: 'ex-match', type: 'search', value: '*', placeholder: 'pattern, e.g. user:*', 'aria-label': 'Key pattern (glob)', spellcheck: 'false' });
  const typeSel = el('select', { id: 'ex-type', 'aria-label': 'Type filter' },
    TYPES.map((t) => el('option', { value: t }, t || 'all types')));
  const viewSel = el('select', { id: 'ex-view', 'aria-label': 'Key list view' },
    el('option', { value: 'tree' }, 'tree'), el('option', { value: 'list' }, 'list'));
  const count = el('span', { class: 'muted', id: 'ex-count', role: 'status' });
  const list = el('div', { class: 'ex-keys', id: 'ex-keys', role: 'region', 'aria-label': 'Keys' });
  const more = el('button', { type: 'button', id: 'ex-more', onclick: () => loadPage() }, 'Load more');
  const panel = el('section', { class: 'panel ex-panel', id: 'ex-panel', 'aria-label': 'Key details', tabindex: '-1' },
    el('p', { class: 'muted' }, 'Select a key to see its value.'));

  root.append(
    el('div', { class: 'page-head' }, el('h1', {}, 'Explorer'), el('span', { class: 'spacer' }),
      el('div', { class: 'toolbar' },
        el('button', { type: 'button', id: 'ex-new', onclick: () => newKey() }, 'New key'),
        el('button', { type: 'button', id: 'ex-bulk', class: 'danger', onclick: () => bulkDelete() }, 'Delete by pattern…'))),
    el('div', { class: 'ex-layout' },
      el('section', { class: 'panel ex-browser', 'aria-label': 'Key browser' },
        el('form', { class: 'ex-filter', role: 'search', onsubmit: (e) => { e.preventDefault(); search(); } },
          dbSel, matchIn, typeSel, el('button', { type: 'submit', class: 'primary', id: 'ex-search' }, 'Search')),
        el('div', { class: 'toolbar ex-listbar' }, count, el('span', { class: 'spacer' }),
          el('label', { for: 'ex-view' }, 'View'), viewSel),
        list,
        el('div', { class: 'toolbar' }, more)),
      panel));

  dbSel.addEventListener('change', () => { st.db = Number(dbSel.value); search(); });
  typeSel.addEventListener('change', () => search());
  viewSel.addEventListener('change', () => { st.view = viewSel.value; renderKeys(); });

  // DBs: how many, and how many keys each holds.
  Promise.all([ctx.api('GET', '/config?match=databases'), ctx.api('GET', '/stats')]).then(([cfg, stats]) => {
    if (!alive) return;
    const n = Number(cfg.databases) || 16;
    const per = (stats.summary && stats.summary.keys_per_db) || {};
    dbSel.replaceChildren(...Array.from({ length: n }, (_, i) => el('option', { value: String(i) }, `db${i}${per[i] ? ` (${per[i]})` : ''}`)));
    dbSel.value = String(st.db);
  }).catch((e) => alive && ctx.fail(e, 'Databases'));

  // ------------------------------------------------------------ key list

  function search() {
    st.match = matchIn.value.trim() || '*';
    st.type = typeSel.value;
    st.cursor = '0';
    st.done = false;
    st.keys = [];
    st.seen = new Set();
    st.types = new Map();
    renderKeys();
    loadPage();
  }

  async function loadPage() {
    const gen = st.seen; // a new search makes a new set
    if (st.loading === gen || st.done) return;
    st.loading = gen;
    more.disabled = true;
    count.textContent = 'Scanning…';
    try {
      // SCAN pages can be empty with a pattern; keep going until a page
      // brings keys or the iteration ends.
      let got = 0;
      for (let i = 0; i < 50 && !st.done && got < PAGE; i++) {
        const q = new URLSearchParams({ cursor: st.cursor, count: String(PAGE), match: st.match, db: String(st.db) });
        if (st.type) q.set('type', st.type);
        const d = await ctx.api('GET', '/keys?' + q);
        if (!alive || gen !== st.seen) return;
        st.cursor = d.cursor;
        st.done = d.done;
        const fresh = d.keys.filter((k) => !st.seen.has(keyId(k)));
        for (const k of fresh) { st.seen.add(keyId(k)); st.keys.push(k); }
        got += fresh.length;
        if (fresh.length) loadTypes(fresh);
      }
    } catch (e) {
      if (alive) ctx.fail(e, 'Scanning keys');
    } finally {
      if (st.loading === gen) st.loading = null;
      if (alive && gen === st.seen) renderKeys();
    }
  }

  async function loadTypes(keys) {
    try {
      const d = await ctx.api('POST', '/execute', { commands: keys.map((k) => ['TYPE', k]), db: st.db });
      d.replies.forEach((r, i) => { if (typeof r.reply === 'string') st.types.set(keyId(keys[i]), r.reply); });
      if (alive) renderKeys();
    } catch (e) {
      if (alive) ctx.fail(e, 'Key types');
    }
  }

  function keyButton(k, text) {
    const id = keyId(k);
    const t = st.types.get(id);
    return el('button', {
      type: 'button', class: 'ex-key', 'data-key': keyLabel(k),
      'aria-current': st.selected && keyId(st.selected) === id ? 'true' : null,
      onclick: () => select(k),
    }, t ? el('span', { class: `type-badge t-${t}` }, t) : null, el('span', { class: 'ex-key-name' }, text));
  }

  function renderKeys() {
    count.textContent = `${st.keys.length} key${st.keys.length === 1 ? '' : 's'}${st.done ? '' : ' so far'}`;
    more.disabled = st.done || st.loading === st.seen;
    more.hidden = st.done;
    if (!st.keys.length) {
      list.replaceChildren(el('p', { class: 'muted' }, st.loading === st.seen ? 'Scanning…' : st.done ? 'No keys match.' : ''));
      return;
    }
    const sorted = [...st.keys].sort((a, b) => (keyLabel(a) < keyLabel(b) ? -1 : 1));
    if (st.view === 'list') {
      list.replaceChildren(el('ul', { class: 'ex-flat' }, sorted.map((k) => el('li', {}, keyButton(k, keyLabel(k))))));
      return;
    }
    const open = new Set([...list.querySelectorAll('details[open]')].map((d) => d.dataset.path));
    const node = (n) => el('ul', { class: 'ex-tree' },
      [...n.children.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((c) => el('li', {},
        el('details', { 'data-path': c.path, open: open.has(c.path) || st.match !== '*' || c.count <= 3 },
          el('summary', {}, el('span', { class: 'ex-ns' }, c.name + ':'), ' ', el('span', { class: 'muted' }, `(${c.count})`)),
          node(c)))),
      n.keys.map((k) => el('li', {}, keyButton(k, keyLabel(k).slice(n.path.length)))));
    list.replaceChildren(node(namespaceTree(sorted)));
  }

  // ------------------------------------------------------------ key panel

  let ttlTimer = null;
  let detail = null; // the last GET /key answer
  let offset = 0;

  async function select(k, keepOffset = false) {
    st.selected = k;
    if (!keepOffset) offset = 0;
    renderKeys();
    if (ttlTimer) { stop(ttlTimer); ttlTimer = null; }
    panel.replaceChildren(el('p', { class: 'muted' }, `Loading ${keyLabel(k)}…`));
    try {
      // EXISTS first: a key that expired meanwhile is not an error.
      const ex = await ctx.api('POST', '/execute', { command: ['EXISTS', k], db: st.db });
      if (!alive || st.selected !== k) return;
      if (ex.reply === 0) { gone(k); return; }
      const q = new URLSearchParams({ db: String(st.db), offset: String(offset), limit: String(VALUES) });
      detail = await ctx.api('GET', `/key/${keyPath(k)}?${q}`);
      if (!alive || st.selected !== k) return;
      st.types.set(keyId(k), detail.type);
      renderPanel(k, detail);
    } catch (e) {
      if (!alive) return;
      if (e.code === 'KEY_NOT_FOUND') { gone(k); return; }
      panel.replaceChildren(el('p', { class: 'error-text', role: 'alert' }, `Could not load ${keyLabel(k)}: ${e.message}`));
      ctx.fail(e, 'Loading the key');
    }
  }

  function gone(k) {
    panel.replaceChildren(el('p', { class: 'muted', role: 'status' }, `The key ${keyLabel(k)} does not exist (any more).`));
    forget(k);
  }

  function forget(k) {
    const id = keyId(k);
    if (st.seen.delete(id)) st.keys = st.keys.filter((x) => keyId(x) !== id);
    if (st.selected && keyId(st.selected) === id) st.selected = null;
    renderKeys();
  }

  /** Runs a command on the key's DB; errors are shown and rethrown. */
  async function run(args, what) {
    try {
      return (await ctx.api('POST', '/execute', { command: args, db: st.db })).reply;
    } catch (e) {
      ctx.fail(e, what);
      throw e;
    }
  }

  /** Runs commands as one MULTI/EXEC transaction. */
  async function atomically(cmds, what) {
    const d = await ctx.api('POST', '/execute', { commands: [['MULTI'], ...cmds, ['EXEC']], db: st.db })
      .catch((e) => { ctx.fail(e, what); throw e; });
    const exec = d.replies[d.replies.length - 1];
    const err = d.replies.find((r) => r.type === 'error') || (Array.isArray(exec.reply) && exec.reply.find((r) => r && r.error));
    if (err) {
      const msg = err.error || err.reply && err.reply.error || 'failed';
      ctx.notify(`${what}: ${msg}`, 'error');
      throw new Error(msg);
    }
    return exec.reply;
  }

  function renderPanel(k, d) {
    const ttlEl = el('dd', { id: 'ex-ttl' });
    const deadline = d.pttl >= 0 ? Date.now() + d.pttl : null;
    const showTtl = () => {
      if (deadline === null) { ttlEl.textContent = 'no expiry'; return; }
      const left = deadline - Date.now();
      if (left <= 0) {
        ttlEl.textContent = 'expired';
        if (ttlTimer) { stop(ttlTimer); ttlTimer = null; }
        setTimeout(() => { if (alive && st.selected === k) select(k); }, 300);
        return;
      }
      ttlEl.textContent = ctx.fmt.duration(Math.ceil(left / 1000)) + (left < 60000 ? '' : ` (${Math.ceil(left / 1000)} s)`);
    };
    showTtl();
    if (deadline !== null) ttlTimer = every(showTtl, 1000);

    const length = d.length !== undefined ? d.length : null;
    panel.replaceChildren(
      el('div', { class: 'ex-head' },
        el('h2', { id: 'ex-key-name', class: 'mono' }, keyLabel(k)),
        el('span', { class: `type-badge t-${d.type}`, id: 'ex-key-type' }, d.type)),
      el('dl', { class: 'kv ex-meta' },
        el('dt', {}, 'TTL'), ttlEl,
        el('dt', {}, 'Memory'), el('dd', { id: 'ex-memory' }, ctx.fmt.bytes(d.memory)),
        el('dt', {}, 'Encoding'), el('dd', { id: 'ex-encoding' }, d.encoding || '—'),
        length !== null ? [el('dt', {}, 'Length'), el('dd', { id: 'ex-length' }, ctx.fmt.number(length))] : null,
        el('dt', {}, 'Database'), el('dd', {}, `db${d.db}`)),
      el('div', { class: 'toolbar ex-actions', role: 'toolbar', 'aria-label': 'Key actions' },
        el('button', { type: 'button', id: 'ex-refresh', onclick: () => select(k, true) }, 'Refresh'),
        el('button', { type: 'button', id: 'ex-rename', onclick: () => rename(k) }, 'Rename'),
        el('button', { type: 'button', id: 'ex-setttl', onclick: () => setTtl(k) }, 'Set TTL'),
        deadline !== null ? el('button', { type: 'button', id: 'ex-persist', onclick: () => persist(k) }, 'Remove TTL') : null,
        el('button', { type: 'button', id: 'ex-delete', class: 'danger', onclick: () => del(k) }, 'Delete key')),
      valueView(k, d));
  }

  // ------------------------------------------------------------ key actions

  async function rename(k) {
    const to = await ctx.prompt('Rename key', { label: 'New name', value: keyLabel(k) });
    if (to === null || to === '' || to === keyLabel(k)) return;
    try {
      const r = await run(['RENAMENX', k, to], 'Rename');
      if (r === 0) { ctx.notify(`A key named ${to} already exists; nothing renamed.`, 'error'); return; }
      ctx.notify(`Renamed to ${to}`, 'ok');
      forget(k);
      st.seen.add(keyId(to));
      st.keys.push(to);
      select(to);
    } catch { /* shown */ }
  }

  async function setTtl(k) {
    const v = await ctx.prompt('Set TTL', { label: 'Seconds until the key expires', type: 'number', value: '3600' });
    if (v === null || v === '') return;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) { ctx.notify('The TTL must be a whole number of seconds above 0.', 'error'); return; }
    try { await run(['EXPIRE', k, String(n)], 'Set TTL'); select(k, true); } catch { /* shown */ }
  }

  async function persist(k) {
    try { await run(['PERSIST', k], 'Remove TTL'); select(k, true); } catch { /* shown */ }
  }

  async function del(k) {
    if (!(await ctx.confirm(`Delete the key "${keyLabel(k)}" from db${st.db}? This cannot be undone.`, { ok: 'Delete', danger: true }))) return;
    try {
      await run(['UNLINK', k], 'Delete');
      ctx.notify(`Deleted ${keyLabel(k)}`, 'ok');
      gone(k);
    } catch { /* shown */ }
  }

  async function bulkDelete() {
    const pattern = await ctx.prompt('Delete keys by pattern', {
      label: `Glob pattern (db${st.db})`, value: st.match !== '*' ? st.match : '',
      note: 'Every key matching it is found with SCAN, then removed with UNLINK after you confirm.',
    });
    if (pattern === null || pattern.trim() === '') return;
    const found = [];
    try {
      let cursor = '0';
      do {
        const q = new URLSearchParams({ cursor, count: '1000', match: pattern, db: String(st.db) });
        const d = await ctx.api('GET', '/keys?' + q);
        found.push(...d.keys);
        cursor = d.done ? null : d.cursor;
      } while (cursor !== null && alive);
    } catch (e) { ctx.fail(e, 'Scanning'); return; }
    const uniq = [...new Map(found.map((k) => [keyId(k), k])).values()];
    if (!uniq.length) { ctx.notify(`No key matches ${pattern} in db${st.db}.`, 'info'); return; }
    if (!(await ctx.confirm(`Delete ${uniq.length} key${uniq.length === 1 ? '' : 's'} matching "${pattern}" in db${st.db}? This cannot be undone.`, { ok: `Delete ${uniq.length}`, danger: true }))) return;
    let deleted = 0;
    try {
      for (let i = 0; i < uniq.length; i += 500) {
        deleted += await run(['UNLINK', ...uniq.slice(i, i + 500)], 'Bulk delete');
      }
      ctx.notify(`Deleted ${deleted} key${deleted === 1 ? '' : 's'} matching ${pattern}`, 'ok');
    } catch { /* shown */ }
    search();
    panel.replaceChildren(el('p', { class: 'muted' }, 'Select a key to see its value.'));
  }

  async function newKey() {
    // A key still loading must not replace the form.
    st.selected = null;
    if (ttlTimer) { stop(ttlTimer); ttlTimer = null; }
    renderKeys();
    const name = el('input', { id: 'ex-new-name', 'aria-label': 'Key name', spellcheck: 'false' });
    const type = el('select', { id: 'ex-new-type', 'aria-label': 'Type' }, TYPES.slice(1).map((t) => el('option', { value: t }, t)));
    const a = el('input', { id: 'ex-new-a', 'aria-label': 'Value, field, member or score', spellcheck: 'false' });
    const b = el('input', { id: 'ex-new-b', 'aria-label': 'Second value (hash value, sorted-set member)', spellcheck: 'false' });
    const hintEl = el('p', { class: 'muted' });
    name.placeholder = 'key name';
    const hint = () => {
      const [pa, pb] = { string: ['value'], hash: ['field', 'value'], list: ['first element'], set: ['first member'], zset: ['score', 'member'], stream: ['field', 'value'] }[type.value];
      a.placeholder = pa;
      b.placeholder = pb || '';
      hintEl.textContent = `A new ${type.value} needs: ${pb ? `${pa} and ${pb}` : pa}.`;
      b.hidden = !pb;
    };
    type.addEventListener('change', hint);
    hint();
    const form = el('form', { class: 'ex-new-form', onsubmit: async (e) => {
      e.preventDefault();
      const k = name.value;
      if (!k) { name.setAttribute('aria-invalid', 'true'); return; }
      const cmd = {
        string: ['SET', k, a.value, 'NX'], hash: ['HSETNX', k, a.value, b.value], list: ['RPUSH', k, a.value],
        set: ['SADD', k, a.value], zset: ['ZADD', k, 'NX', a.value, b.value],
        stream: ['XADD', k, '*', a.value, b.value],
      }[type.value];
      try {
        const exists = await run(['EXISTS', k], 'New key');
        if (exists) { ctx.notify(`The key ${k} already exists.`, 'error'); return; }
        await run(cmd, 'New key');
        form.remove();
        if (!st.seen.has(keyId(k))) { st.seen.add(keyId(k)); st.keys.push(k); }
        select(k);
      } catch { /* shown */ }
    } },
    el('h3', {}, 'New key'), el('div', { class: 'ex-form-row' }, name, type, a, b, hintEl),
    el('div', { class: 'toolbar' }, el('button', { type: 'submit', class: 'primary' }, 'Create'),
      el('button', { type: 'button', onclick: () => form.remove() }, 'Cancel')));
    panel.replaceChildren(form);
    name.focus();
  }

  // ------------------------------------------------------------ values

  function valueView(k, d) {
    switch (d.type) {
      case 'string': return stringView(k, d);
      case 'hash': return tableView(k, d, {
        cols: ['Field', 'Value'],
        rows: (Array.isArray(d.value) ? d.value : Object.entries(d.value)).map(([f, v]) => ({ id: f, cells: [f, v] })),
        edit: (r, v) => run(['HSET', k, r.id, v], 'Edit field'),
        remove: (r) => run(['HDEL', k, r.id], 'Delete field'),
        add: { labels: ['Field', 'Value'], run: ([f, v]) => run(['HSET', k, f, v], 'Add field') },
      });
      case 'list': return tableView(k, d, {
        cols: ['Index', 'Element'], indexed: true,
        rows: d.value.map((v, i) => ({ id: d.offset + i, cells: [String(d.offset + i), v] })),
        edit: (r, v) => run(['LSET', k, String(r.id), v], 'Edit element'),
        // Delete by index: mark the element, then remove the mark, in one
        // transaction.
        remove: (r) => {
          const mark = `__flashdb_deleted_${Date.now()}_${Math.random().toString(36).slice(2)}`;
          return atomically([['LSET', k, String(r.id), mark], ['LREM', k, '1', mark]], 'Delete element');
        },
        add: { labels: ['Element'], run: ([v]) => run(['RPUSH', k, v], 'Append element'), button: 'Append' },
      });
      case 'set': return tableView(k, d, {
        cols: ['Member'],
        rows: d.value.map((m) => ({ id: m, cells: [m] })),
        edit: (r, v) => atomically([['SREM', k, r.id], ['SADD', k, v]], 'Edit member'),
        remove: (r) => run(['SREM', k, r.id], 'Delete member'),
        add: { labels: ['Member'], run: ([m]) => run(['SADD', k, m], 'Add member') },
      });
      case 'zset': return tableView(k, d, {
        cols: ['Member', 'Score'], editCol: 1,
        rows: d.value.map((e) => ({ id: e.member, cells: [e.member, String(e.score)] })),
        edit: (r, v) => {
          if (v.trim() === '' || isNaN(Number(v))) { ctx.notify('A score is a number.', 'error'); return Promise.reject(new Error('bad score')); }
          return run(['ZADD', k, 'XX', v, r.id], 'Edit score');
        },
        remove: (r) => run(['ZREM', k, r.id], 'Delete member'),
        add: { labels: ['Score', 'Member'], run: ([s, m]) => {
          if (s.trim() === '' || isNaN(Number(s))) { ctx.notify('A score is a number.', 'error'); return Promise.reject(new Error('bad score')); }
          return run(['ZADD', k, s, m], 'Add member');
        } },
      });
      // Entries are immutable in a stream: no edit; delete is XDEL, add is
      // XADD with a server-generated ID (one field/value; more with the
      // Console).
      case 'stream': return tableView(k, d, {
        cols: ['ID', 'Fields'],
        rows: d.value.map((e) => ({ id: e.id, cells: [e.id, fieldsText(e.fields)] })),
        remove: (r) => run(['XDEL', k, r.id], 'Delete entry'),
        add: { labels: ['Field', 'Value'], run: ([f, v]) => run(['XADD', k, '*', f, v], 'Add entry'), button: 'Add entry' },
      });
      default:
        return el('p', { class: 'muted' }, `No viewer for ${d.type} values yet; use the Console.`);
    }
  }

  function stringView(k, d) {
    const bin = typeof d.value === 'object' && d.value !== null;
    const bytes = bin ? fromBase64(d.value.base64) : new TextEncoder().encode(d.value);
    const text = bin ? null : d.value;
    let json = null;
    if (text !== null) { try { const j = JSON.parse(text); if (j !== null && typeof j === 'object') json = j; } catch { /* not JSON */ } }
    const modes = [text !== null ? 'text' : null, json ? 'json' : null, 'hex'].filter(Boolean);
    const modeSel = el('select', { id: 'ex-str-mode', 'aria-label': 'Show as' }, modes.map((m) => el('option', { value: m }, m)));
    modeSel.value = json ? 'json' : modes[0];
    const box = el('div', { class: 'ex-string' });
    const draw = () => {
      const m = modeSel.value;
      if (m === 'hex') {
        box.replaceChildren(el('pre', { class: 'ex-hex', id: 'ex-hex', tabindex: '0', 'aria-label': 'Hex dump' }, hexDump(bytes)),
          bin ? el('p', { class: 'muted' }, 'Binary value (not UTF-8): shown in hex; edit it with the Console (SET key "\\x00...").') : null);
        return;
      }
      const area = el('textarea', { id: 'ex-str-value', rows: '10', 'aria-label': 'Value', spellcheck: 'false' });
      area.value = m === 'json' ? JSON.stringify(json, null, 2) : text;
      const save = el('button', { type: 'button', class: 'primary', id: 'ex-str-save', onclick: async () => {
        let v = area.value;
        if (m === 'json') {
          try { v = JSON.stringify(JSON.parse(v)); } catch (e) { ctx.notify(`Not valid JSON: ${e.message}`, 'error'); area.setAttribute('aria-invalid', 'true'); return; }
        }
        try { await run(['SET', k, v, 'KEEPTTL'], 'Save'); ctx.notify('Saved', 'ok'); select(k, true); } catch { /* shown */ }
      } }, 'Save');
      box.replaceChildren(area, el('div', { class: 'toolbar' }, save,
        el('span', { class: 'muted' }, `${ctx.fmt.number(bytes.length)} bytes${m === 'json' ? ' · saved compact' : ''}`)));
    };
    modeSel.addEventListener('change', draw);
    draw();
    return el('div', { class: 'ex-value' }, el('div', { class: 'toolbar' }, el('label', { for: 'ex-str-mode' }, 'Show as'), modeSel), box);
  }

  /** A stream entry's fields on one line: `f1=v1  f2=v2`. */
  function fieldsText(fields) {
    const pairs = Array.isArray(fields) ? fields : Object.entries(fields);
    return pairs.map(([f, v]) => `${valueText(f)}=${valueText(v)}`).join('  ');
  }

  function pager(k, d) {
    if (d.length === undefined || d.length <= VALUES && offset === 0) return null;
    const from = d.offset + 1, to = d.offset + (Array.isArray(d.value) ? d.value.length : Object.keys(d.value).length);
    return el('div', { class: 'toolbar ex-pager', role: 'navigation', 'aria-label': 'Value pages' },
      el('button', { type: 'button', id: 'ex-prev', disabled: offset === 0, onclick: () => { offset = Math.max(0, offset - VALUES); select(k, true); } }, '← Previous'),
      el('span', { class: 'muted' }, `${from}–${to} of ${ctx.fmt.number(d.length)}`),
      el('button', { type: 'button', id: 'ex-next', disabled: !d.truncated, onclick: () => { offset += VALUES; select(k, true); } }, 'Next →'));
  }

  function tableView(k, d, spec) {
    const editCol = spec.editCol ?? spec.cols.length - 1;
    const tbody = el('tbody', {});
    const refresh = () => select(k, true);
    const rowEl = (r) => {
      const tr = el('tr', {});
      const cells = r.cells.map((c, i) => el('td', { class: i === 0 && spec.indexed ? 'num' : 'mono' }, valueText(c)));
      const editBtn = el('button', { type: 'button', class: 'small', 'aria-label': `Edit ${valueText(r.cells[0])}`, onclick: () => startEdit() }, 'Edit');
      const delBtn = el('button', { type: 'button', class: 'small', 'aria-label': `Delete ${valueText(r.cells[0])}`, onclick: async () => {
        if (!(await ctx.confirm(`Delete ${spec.cols[0].toLowerCase()} ${valueText(r.cells[0])}?`, { ok: 'Delete', danger: true }))) return;
        try { await spec.remove(r); refresh(); } catch { /* shown */ }
      } }, 'Delete');
      const binary = r.cells.some((c) => typeof c === 'object' && c !== null) || (typeof r.id === 'object' && r.id !== null);
      if (binary) editBtn.disabled = true;
      if (!spec.edit) editBtn.hidden = true;
      const startEdit = () => {
        const cur = r.cells[editCol];
        const input = el('input', { class: 'ex-edit', value: typeof cur === 'string' ? cur : '', 'aria-label': `New ${spec.cols[editCol].toLowerCase()}` });
        const save = async () => {
          try { await spec.edit(r, input.value); refresh(); } catch { input.setAttribute('aria-invalid', 'true'); }
        };
        input.addEventListener('keydown', (e) => {
          if (e.key === 'Enter') { e.preventDefault(); save(); }
          if (e.key === 'Escape') { e.preventDefault(); tr.replaceWith(rowEl(r)); }
        });
        cells[editCol].replaceChildren(input, ' ',
          el('button', { type: 'button', class: 'small primary', onclick: save }, 'Save'), ' ',
          el('button', { type: 'button', class: 'small', onclick: () => tr.replaceWith(rowEl(r)) }, 'Cancel'));
        input.focus();
      };
      tr.append(...cells, el('td', { class: 'ex-row-actions' }, editBtn, ' ', delBtn));
      return tr;
    };
    tbody.append(...spec.rows.map(rowEl));
    if (!spec.rows.length) tbody.append(el('tr', {}, el('td', { colspan: spec.cols.length + 1, class: 'muted' }, 'No elements on this page.')));

    const inputs = spec.add.labels.map((l) => el('input', { 'aria-label': l, placeholder: l, spellcheck: 'false', class: 'ex-add-input' }));
    const addForm = el('form', { class: 'ex-add', 'aria-label': 'Add an element', onsubmit: async (e) => {
      e.preventDefault();
      try { await spec.add.run(inputs.map((i) => i.value)); inputs.forEach((i) => { i.value = ''; }); refresh(); } catch { /* shown */ }
    } }, inputs, el('button', { type: 'submit', class: 'primary' }, spec.add.button || 'Add'));

    return el('div', { class: 'ex-value' },
      el('div', { class: 'table-wrap ex-table' },
        el('table', { id: 'ex-value-table' },
          el('thead', {}, el('tr', {}, spec.cols.map((c, i) => el('th', { scope: 'col', class: i === 0 && spec.indexed ? 'num' : '' }, c)),
            el('th', { scope: 'col' }, el('span', { class: 'sr-only' }, 'Actions')))),
          tbody)),
      pager(k, d),
      addForm);
  }

  // ------------------------------------------------------------ start

  search();
  return () => {
    alive = false;
    for (const t of timers) clearInterval(t);
    timers.clear();
  };
}
