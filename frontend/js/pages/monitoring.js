// Monitoring: the live command stream (WebSocket `command` events),
// throughput and latency charts, slow log, connected clients (with kill),
// alerts.

const MAX_LINES = 500;
const REFRESH_MS = 5000;

export function mount(root, ctx) {
  const { el, fmt, replace } = ctx;
  let paused = false;
  let filter = '';
  const buffered = []; // events received while paused
  let shown = 0;

  const stream = el('div', { class: 'stream', id: 'stream', role: 'log', 'aria-label': 'Command stream', 'aria-live': 'off', tabindex: '0' });
  const pauseBtn = el('button', { type: 'button', id: 'stream-pause', 'aria-pressed': 'false', onclick: togglePause }, 'Pause');
  const filterInput = el('input', { type: 'search', id: 'stream-filter', placeholder: 'filter (text in command, client or db)', 'aria-label': 'Filter the command stream',
    oninput: () => { filter = filterInput.value.toLowerCase(); applyFilter(); } });
  const count = el('span', { class: 'muted', id: 'stream-count' }, '0 commands');
  const slowBox = el('div', { id: 'slowlog' }, el('p', { class: 'muted' }, 'Loading…'));
  const clientsBox = el('div', { id: 'clients' }, el('p', { class: 'muted' }, 'Loading…'));
  const alertList = el('ul', { class: 'alerts', id: 'monitor-alerts', 'aria-label': 'Alerts' });
  const opsBox = el('div', { id: 'mon-chart-ops' });
  const latBox = el('div', { id: 'mon-chart-latency' });

  const panel = (title, tools, ...body) => el('section', { class: 'panel', 'aria-label': title },
    el('div', { class: 'page-head' }, el('h2', {}, title), el('span', { class: 'spacer' }), tools), ...body);

  root.append(
    el('div', { class: 'page-head' }, el('h1', {}, 'Monitoring')),
    panel('Command stream', el('div', { class: 'toolbar' }, filterInput, pauseBtn,
      el('button', { type: 'button', onclick: () => { stream.replaceChildren(); shown = 0; updateCount(); } }, 'Clear'), count), stream),
    el('div', { class: 'grid' },
      panel('Throughput', null, opsBox),
      panel('Latency', null, latBox)),
    panel('Slow log', el('div', { class: 'toolbar' },
      el('button', { type: 'button', onclick: loadSlow }, 'Refresh'),
      el('button', { type: 'button', onclick: resetSlow }, 'Reset')), slowBox),
    panel('Connected clients', el('button', { type: 'button', onclick: loadClients }, 'Refresh'), clientsBox),
    panel('Alerts', null, alertList),
  );

  const num = (v) => fmt.number(v, v < 1 ? 2 : v < 10 ? 1 : 0);
  const ops = ctx.lineChart(opsBox, { series: ['ops/s'], windowSec: ctx.HISTORY_SEC, yFormat: num, label: 'Operations per second' });
  const lat = ctx.lineChart(latBox, { series: ['p50', 'p99', 'p99.9'], windowSec: ctx.HISTORY_SEC, yFormat: fmt.usec, label: 'Latency percentiles' });
  const pushStats = (s) => {
    const t = s.time || Date.now();
    ops.push(t, [s.ops_per_sec]);
    const l = s.latency_usec || {};
    lat.push(t, [l.p50 ?? null, l.p99 ?? null, l['p99.9'] ?? null]);
  };
  for (const s of ctx.statsHistory) pushStats(s);

  function line(ev) {
    const when = new Date(ev.time * 1000);
    const t = when.toLocaleTimeString('en-GB', { hour12: false }) + '.' + String(when.getMilliseconds()).padStart(3, '0');
    const n = el('div', { class: 'stream-line' }, el('span', { class: 't' }, `${t} [${ev.db} ${ev.client}] `), ev.command);
    n.dataset.text = `${ev.db} ${ev.client} ${ev.command}`.toLowerCase();
    if (ev.skipped) n.prepend(el('span', { class: 'warn-text' }, `(${ev.skipped} skipped) `));
    return n;
  }
  function matches(n) { return !filter || n.dataset.text.includes(filter); }
  function applyFilter() {
    for (const n of stream.children) n.classList.toggle('hidden', !matches(n));
  }
  function updateCount() {
    count.textContent = `${shown} command${shown === 1 ? '' : 's'}${paused ? ` (paused, ${buffered.length} waiting)` : ''}`;
  }
  function add(ev) {
    const atBottom = stream.scrollTop + stream.clientHeight >= stream.scrollHeight - 4;
    const n = line(ev);
    if (!matches(n)) n.classList.add('hidden');
    stream.append(n);
    shown++;
    while (stream.children.length > MAX_LINES) stream.firstElementChild.remove();
    if (atBottom) stream.scrollTop = stream.scrollHeight;
  }
  function onCommand(ev) {
    if (paused) { buffered.push(ev); if (buffered.length > MAX_LINES) buffered.shift(); } else add(ev);
    updateCount();
  }
  function togglePause() {
    paused = !paused;
    pauseBtn.textContent = paused ? 'Resume' : 'Pause';
    pauseBtn.setAttribute('aria-pressed', String(paused));
    if (!paused) { buffered.splice(0).forEach(add); }
    updateCount();
  }

  async function loadSlow() {
    try {
      const d = await ctx.api('GET', '/slowlog?count=50');
      replace(slowBox, ctx.table([
        { label: 'Id', get: (r) => r.id, class: 'num' },
        { label: 'Time', get: (r) => fmt.time(r.timestamp * 1000) },
        { label: 'Duration', get: (r) => fmt.usec(r.duration_us), class: 'num' },
        { label: 'Command', get: (r) => (r.command || []).map((a) => (typeof a === 'string' ? a : '<binary>')).join(' '), class: 'mono' },
        { label: 'Client', get: (r) => `${r.client_addr}${r.client_name ? ` (${r.client_name})` : ''}` },
      ], d.entries || [], { empty: 'The slow log is empty.' }));
    } catch (e) {
      replace(slowBox, el('p', { class: 'error-text' }, `Slow log: ${e.message}`));
      if (e.status !== 0) ctx.fail(e, 'Slow log');
    }
  }
  async function resetSlow() {
    try { await ctx.exec(['SLOWLOG', 'RESET']); ctx.notify('Slow log reset', 'ok'); loadSlow(); } catch (e) { ctx.fail(e, 'SLOWLOG RESET'); }
  }

  async function kill(c) {
    if (!(await ctx.confirm(`Disconnect client ${c.id} (${c.addr}${c.name ? `, ${c.name}` : ''})?`, { ok: 'Kill client', danger: true }))) return;
    try {
      await ctx.exec(['CLIENT', 'KILL', 'ID', String(c.id)]);
      ctx.notify(`Client ${c.id} disconnected`, 'ok');
    } catch (e) { ctx.fail(e, 'CLIENT KILL'); }
    loadClients();
  }
  async function loadClients() {
    try {
      const d = await ctx.api('GET', '/clients');
      replace(clientsBox, ctx.table([
        { label: 'Id', get: (r) => r.id, class: 'num' },
        { label: 'Address', get: (r) => r.addr, class: 'mono' },
        { label: 'Name', get: (r) => r.name || '' },
        { label: 'User', get: (r) => r.user },
        { label: 'DB', get: (r) => r.db, class: 'num' },
        { label: 'Age', get: (r) => fmt.duration(r.age), class: 'num' },
        { label: 'Idle', get: (r) => fmt.duration(r.idle), class: 'num' },
        { label: 'Last command', get: (r) => r.cmd, class: 'mono' },
        { label: 'Flags', get: (r) => r.flags },
        { label: '', get: (r) => el('button', { type: 'button', class: 'small danger', 'aria-label': `Kill client ${r.id}`, onclick: () => kill(r) }, 'Kill') },
      ], d.clients || [], { caption: `${d.count} connected`, empty: 'No RESP clients are connected.' }));
    } catch (e) {
      replace(clientsBox, el('p', { class: 'error-text' }, `Clients: ${e.message}`));
      if (e.status !== 0) ctx.fail(e, 'Clients');
    }
  }

  function renderAlerts() {
    const list = ctx.alerts.slice(0, 50);
    replace(alertList, list.length ? list.map((a) => el('li', {},
      el('span', { class: `badge ${a.level}` }, a.level), el('span', { class: 'muted' }, fmt.clock(a.time)),
      el('span', {}, `${a.kind}: ${a.message}`))) : el('li', { class: 'muted' }, 'No alerts since this page was opened.'));
  }

  ctx.ws.want('command');
  const offs = [
    ctx.ws.on('command', onCommand),
    ctx.ws.on('stats', pushStats),
    ctx.ws.on('alert', () => setTimeout(renderAlerts)),
    // After a reconnect the subscription is sent again by ws.js.
  ];
  loadSlow();
  loadClients();
  renderAlerts();
  const timer = setInterval(() => { if (!document.hidden) { loadClients(); loadSlow(); } }, REFRESH_MS);
  return () => {
    clearInterval(timer);
    offs.forEach((f) => f());
    ctx.ws.unwant('command');
    ops.destroy();
    lat.destroy();
  };
}
