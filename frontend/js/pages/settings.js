// Settings: CONFIG values grouped and editable (errors inline), snapshots,
// theme, and the API token.

const GROUPS = [
  ['Network', /^(bind|port|tcp-|timeout|maxclients|unixsocket|protected-mode|io-|tls-|hz$|dynamic-hz)/],
  ['HTTP API & dashboard', /^http-/],
  ['Security', /^(requirepass|acl|rate-limit|audit|rename-command|enable-)/],
  ['Memory & eviction', /^(maxmemory|lfu-|lazyfree|active-|replica-lazy|oom-)/],
  ['Persistence', /^(dir|dbfilename|save|append|wal|snapshot|rdb|aof|stop-writes)/],
  ['Logging & observability', /^(log|slowlog|latency|notify-|syslog|crash|busy-reply)/],
  ['Limits & encodings', /(-max-|^proto-|^client-|-entries|-value|^list-|^set-|^zset-|^hash-|^hll-|^stream-)/],
];
const SECRET = /^(requirepass|http-token|masterauth|tls-.*pass)/;

function groupOf(name) {
  for (const [g, re] of GROUPS) if (re.test(name)) return g;
  return 'Other';
}

/** Client-side check before CONFIG SET: numbers stay numbers. */
export function validate(current, value) {
  if (/^-?\d+$/.test(current) && !/^-?\d+(\.\d+)?\s*([kmgt]i?b?)?$/i.test(value.trim())) return 'expects a number (units like 1gb allowed)';
  if (/^(yes|no)$/.test(current) && !/^(yes|no)$/i.test(value.trim())) return 'expects yes or no';
  return null;
}

export function mount(root, ctx) {
  const { el, fmt, replace } = ctx;
  let values = {};
  let query = '';

  const configBox = el('div', { id: 'config' }, el('p', { class: 'muted' }, 'Loading…'));
  const search = el('input', { type: 'search', id: 'config-filter', placeholder: 'filter directives', 'aria-label': 'Filter directives',
    oninput: () => { query = search.value.trim().toLowerCase(); renderConfig(); } });
  const snapsBox = el('div', { id: 'snapshots' }, el('p', { class: 'muted' }, 'Loading…'));
  const snapBtn = el('button', { type: 'button', class: 'primary', id: 'snapshot-create', onclick: createSnapshot }, 'Create snapshot');

  const panel = (title, tools, ...body) => el('section', { class: 'panel', 'aria-label': title },
    el('div', { class: 'page-head' }, el('h2', {}, title), el('span', { class: 'spacer' }), tools), ...body);

  // Theme: a radio group.
  const themeName = 'theme-' + Math.random().toString(36).slice(2);
  const themeGroup = el('div', { role: 'radiogroup', 'aria-label': 'Theme', class: 'toolbar', id: 'theme' },
    ['system', 'light', 'dark'].map((t) => el('label', {}, el('input', {
      type: 'radio', name: themeName, value: t, checked: ctx.theme.get() === t, onchange: () => ctx.theme.set(t),
    }), ' ', t === 'system' ? 'Follow the OS' : t[0].toUpperCase() + t.slice(1))));

  // Connection: the token the API and the WebSocket use.
  const tokenInput = el('input', { type: 'password', id: 'token', autocomplete: 'off', value: ctx.getToken() });
  const tokenState = el('p', { class: 'muted', id: 'token-state' }, ctx.getToken() ? 'A token is stored in this browser.' : 'No token stored.');
  const tokenForm = el('form', { class: 'toolbar', onsubmit: async (e) => {
    e.preventDefault();
    ctx.setToken(tokenInput.value);
    tokenState.textContent = tokenInput.value ? 'Token stored; checking…' : 'Token cleared.';
    try { await ctx.api('GET', '/stats'); tokenState.textContent = tokenInput.value ? 'Token stored and accepted.' : 'No token needed: the API is open.'; } catch (err) { tokenState.textContent = `Not accepted: ${err.message}`; }
    load();
  } }, el('label', { for: 'token' }, 'API token or password'), tokenInput,
  el('button', { type: 'submit' }, 'Save'),
  el('button', { type: 'button', onclick: () => { tokenInput.value = ''; ctx.setToken(''); tokenState.textContent = 'Token cleared.'; } }, 'Clear'));

  root.append(
    el('div', { class: 'page-head' }, el('h1', {}, 'Settings')),
    el('div', { class: 'grid' },
      panel('Appearance', null, themeGroup),
      panel('Connection', null, tokenForm, tokenState)),
    panel('Snapshots', snapBtn, snapsBox),
    panel('Configuration', search, configBox),
  );

  function row(name) {
    const cur = String(values[name] ?? '');
    const id = 'cfg-' + name;
    const errId = id + '-err';
    const input = el('input', { id, name, value: cur, type: SECRET.test(name) ? 'password' : 'text', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': errId });
    const err = el('div', { class: 'error-text', id: errId, role: 'alert' });
    const save = el('button', { type: 'submit', class: 'small', disabled: true }, 'Save');
    input.addEventListener('input', () => {
      save.disabled = input.value === String(values[name] ?? '');
      const bad = validate(String(values[name] ?? ''), input.value);
      err.textContent = bad || '';
      input.setAttribute('aria-invalid', bad ? 'true' : 'false');
    });
    const form = el('form', { class: 'cfg-row', dataset: { name } , onsubmit: async (e) => {
      e.preventDefault();
      const bad = validate(String(values[name] ?? ''), input.value);
      if (bad) { err.textContent = bad; input.setAttribute('aria-invalid', 'true'); input.focus(); return; }
      save.disabled = true;
      try {
        await ctx.api('PUT', '/config', { [name]: input.value });
        const fresh = await ctx.api('GET', '/config?match=' + encodeURIComponent(name));
        values[name] = fresh[name];
        input.value = String(fresh[name] ?? '');
        err.textContent = '';
        input.setAttribute('aria-invalid', 'false');
        ctx.notify(`${name} set to ${SECRET.test(name) ? '(hidden)' : JSON.stringify(input.value)}`, 'ok');
      } catch (ex) {
        const msg = (ex.details && ex.details.errors && ex.details.errors[name]) || ex.message;
        err.textContent = msg;
        input.setAttribute('aria-invalid', 'true');
        save.disabled = false;
        if (ex.status === 401) return;
        input.focus();
      }
    } },
    el('label', { for: id, class: 'mono' }, name), input, save, err);
    return form;
  }

  function renderConfig() {
    const names = Object.keys(values).filter((n) => !query || n.includes(query)).sort();
    const groups = new Map();
    for (const n of names) {
      const g = groupOf(n);
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g).push(n);
    }
    const order = [...GROUPS.map((g) => g[0]), 'Other'].filter((g) => groups.has(g));
    replace(configBox, order.length ? order.map((g) => el('details', { class: 'cfg-group', open: true },
      el('summary', {}, `${g} (${groups.get(g).length})`), groups.get(g).map(row))) : el('p', { class: 'muted' }, 'No directive matches.'));
  }

  async function load() {
    try {
      values = await ctx.api('GET', '/config');
      renderConfig();
    } catch (e) {
      replace(configBox, el('p', { class: 'error-text' }, `Configuration: ${e.message}`));
      ctx.fail(e, 'Configuration');
    }
    loadSnapshots();
  }

  async function loadSnapshots() {
    try {
      const d = await ctx.api('GET', '/snapshots');
      snapBtn.disabled = !!d.in_progress;
      replace(snapsBox,
        el('p', { class: 'muted' }, `Last save: ${d.last_save ? fmt.time(d.last_save * 1000) : 'never'} (${d.last_status || '?'})${d.in_progress ? ' — a snapshot is being written' : ''}`),
        ctx.table([
          { label: 'File', get: (r) => r.file, class: 'mono' },
          { label: 'Size', get: (r) => fmt.bytes(r.size), class: 'num' },
          { label: 'Written', get: (r) => fmt.time(r.modified * 1000) },
          { label: 'WAL position (LSN)', get: (r) => String(r.lsn ?? ''), class: 'num' },
        ], d.snapshots || [], { empty: 'No snapshot files yet.' }));
    } catch (e) {
      replace(snapsBox, el('p', { class: 'error-text' }, `Snapshots: ${e.message}`));
      ctx.fail(e, 'Snapshots');
    }
  }

  async function createSnapshot() {
    snapBtn.disabled = true;
    try {
      const d = await ctx.api('POST', '/snapshot');
      ctx.notify(`Snapshot: ${d.reply || d.status}`, 'ok');
    } catch (e) {
      ctx.fail(e, 'Create snapshot');
    }
    // The alert stream says when it is done; poll too in case it is off.
    setTimeout(loadSnapshots, 500);
  }

  const offs = [
    ctx.ws.on('alert', (a) => { if (a.kind === 'snapshot_done' || a.kind === 'snapshot_failed') loadSnapshots(); }),
  ];
  const onTheme = () => { for (const r of themeGroup.querySelectorAll('input')) r.checked = r.value === ctx.theme.get(); };
  document.addEventListener('flashdb-theme', onTheme);
  load();
  return () => { offs.forEach((f) => f()); document.removeEventListener('flashdb-theme', onTheme); };
}
