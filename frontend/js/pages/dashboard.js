// Dashboard: server identity, live charts from the WebSocket `stats`
// stream, persistence status and recent alerts.

export function mount(root, ctx) {
  const { el, fmt, replace } = ctx;
  const WINDOW = ctx.HISTORY_SEC;
  let kinds = null; // command name → 'read' | 'write' | 'other'
  let prev = null;  // the previous stats message (for interval hit rate)
  let config = {};
  let info = {};

  const identity = el('dl', { class: 'kv', id: 'identity' });
  const tiles = el('div', { class: 'stats', id: 'tiles' });
  const persistence = el('dl', { class: 'kv', id: 'persistence' });
  const alertList = el('ul', { class: 'alerts', id: 'alert-list', 'aria-label': 'Recent alerts' });
  const topCmds = el('div', { id: 'top-commands' });
  const dbBars = el('div', { id: 'keys-per-db' });

  const panel = (title, ...body) => el('section', { class: 'panel', 'aria-label': title }, el('h2', {}, title), ...body);
  const chartBox = (id) => el('div', { id, class: 'chart-box' });
  const boxes = {
    ops: chartBox('chart-ops'), clients: chartBox('chart-clients'), memory: chartBox('chart-memory'),
    keys: chartBox('chart-keys'), hits: chartBox('chart-hits'), latency: chartBox('chart-latency'),
  };

  root.append(
    el('div', { class: 'page-head' }, el('h1', {}, 'Dashboard'), el('span', { class: 'spacer' }),
      el('span', { class: 'muted', id: 'updated' }, 'waiting for live stats…')),
    el('div', { class: 'grid' },
      panel('Server', identity),
      panel('Now', tiles)),
    el('div', { class: 'grid' },
      panel('Operations per second', boxes.ops),
      panel('Latency (per command, last second)', boxes.latency),
      panel('Connected clients', boxes.clients),
      panel('Memory', boxes.memory),
      panel('Keys', boxes.keys, dbBars),
      panel('Cache hit rate (per second)', boxes.hits)),
    el('div', { class: 'grid' },
      panel('Top commands (last second)', topCmds),
      panel('Persistence', persistence),
      panel('Recent alerts', alertList)),
  );

  const num = (v) => fmt.number(v, v < 1 ? 2 : v < 10 ? 1 : 0);
  const charts = {
    ops: ctx.lineChart(boxes.ops, { series: ['total', 'reads', 'writes', 'other'], windowSec: WINDOW, yFormat: num, label: 'Operations per second' }),
    latency: ctx.lineChart(boxes.latency, { series: ['p50', 'p99'], windowSec: WINDOW, yFormat: fmt.usec, label: 'Command latency p50 and p99' }),
    clients: ctx.lineChart(boxes.clients, { series: ['clients'], windowSec: WINDOW, yFormat: num, label: 'Connected clients' }),
    memory: ctx.lineChart(boxes.memory, { series: ['used', 'maxmemory'], windowSec: WINDOW, yFormat: fmt.bytes, label: 'Memory used and maxmemory' }),
    keys: ctx.lineChart(boxes.keys, { series: ['keys'], windowSec: WINDOW, yFormat: num, label: 'Keys' }),
    hits: ctx.lineChart(boxes.hits, { series: ['hit rate'], windowSec: WINDOW, yFormat: (v) => fmt.percent(v), yMax: 1, label: 'Cache hit rate' }),
  };

  function kv(dl, rows) {
    replace(dl, rows.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  }

  function renderIdentity(s) {
    const srv = info.server || {};
    kv(identity, [
      ['Version', `FlashDB ${s.version || srv.flashdb_version || '?'} (Redis ${s.redis_version || srv.redis_version || '?'} compatible)`],
      ['Uptime', el('span', { id: 'uptime' }, fmt.duration(s.uptime_seconds))],
      ['Role', (info.replication && info.replication.role) || 'master'],
      ['RESP port', String(srv.tcp_port ?? config.port ?? '?')],
      ['HTTP port', location.port || (location.protocol === 'https:' ? '443' : '80')],
      ['Data dir', el('code', {}, config.dir || '?')],
      ['Process', `pid ${srv.process_id ?? '?'}`],
    ]);
  }

  function renderTiles(s) {
    const lat = s.latency_usec || {};
    const max = Number(s.maxmemory || 0);
    replace(tiles,
      ctx.stat('Ops/s', fmt.number(s.ops_per_sec, 0), 'tile-ops'),
      ctx.stat('Clients', fmt.number(s.connected_clients), 'tile-clients'),
      ctx.stat('Memory', max ? `${fmt.bytes(s.used_memory)} / ${fmt.bytes(max)}` : fmt.bytes(s.used_memory), 'tile-memory'),
      ctx.stat('Keys', fmt.number(s.keys), 'tile-keys'),
      ctx.stat('Hit rate (all time)', fmt.percent(s.hit_rate), 'tile-hits'),
      ctx.stat('p50 / p99', lat.p50 == null ? '—' : `${fmt.usec(lat.p50)} / ${fmt.usec(lat.p99)}`, 'tile-latency'),
    );
  }

  function renderPersistence(s) {
    const w = s.wal || {};
    const snapOk = s.last_snapshot_status === 'ok';
    kv(persistence, [
      ['Last snapshot', s.last_snapshot_time ? `${fmt.time(s.last_snapshot_time * 1000)}` : 'never'],
      ['Snapshot status', el('span', { class: snapOk ? 'ok-text' : 'error-text' }, s.last_snapshot_status || '?')],
      ['Changes since snapshot', fmt.number(s.changes_since_last_snapshot)],
      ['WAL', s.wal_enabled ? `${fmt.bytes(w.total_bytes ?? s.wal_bytes)} in ${w.segments ?? '?'} segment(s)` : 'off'],
      ['WAL health', w.failing ? el('span', { class: 'error-text' }, `failing (${w.write_errors} errors)`) : el('span', { class: 'ok-text' }, 'ok')],
      ['fsync policy', config.appendfsync || '?'],
      ['Last fsync', w.last_fsync ? `${fmt.time(w.last_fsync * 1000)}, took ${fmt.usec(w.last_fsync_usec)}` : 'none yet'],
    ]);
  }

  function renderTop(s) {
    const rows = Object.entries(s.commands || {}).map(([name, c]) => ({ name, ...c }))
      .sort((a, b) => b.ops_per_sec - a.ops_per_sec).slice(0, 8);
    replace(topCmds, ctx.table([
      { label: 'Command', get: (r) => r.name, class: 'mono' },
      { label: 'Type', get: (r) => kindOf(r.name) },
      { label: 'Ops/s', get: (r) => fmt.number(r.ops_per_sec, 1), class: 'num' },
      { label: 'Avg latency', get: (r) => fmt.usec(r.avg_usec), class: 'num' },
    ], rows, { empty: 'No commands in the last second.' }));
  }

  function renderDbs(s) {
    const per = s.keys_per_db || {};
    const total = Math.max(1, ...Object.values(per));
    const rows = Object.entries(per).sort((a, b) => a[0] - b[0]);
    replace(dbBars, rows.length ? rows.map(([db, n]) => {
      const bar = el('span', {});
      bar.style.width = `${(100 * n) / total}%`;
      return el('div', { class: 'db-row' }, el('span', { class: 'mono' }, `db${db}`),
        el('div', { class: 'meter', role: 'meter', 'aria-label': `keys in db${db}`, 'aria-valuenow': n, 'aria-valuemin': 0, 'aria-valuemax': total }, bar),
        el('span', { class: 'num' }, fmt.number(n)));
    }) : el('p', { class: 'muted' }, 'No keys.'));
  }

  function renderAlerts() {
    const list = ctx.alerts.slice(0, 10);
    replace(alertList, list.length ? list.map((a) => el('li', {},
      el('span', { class: `badge ${a.level}` }, a.level), el('span', { class: 'muted' }, fmt.clock(a.time)),
      el('span', {}, `${a.kind}: ${a.message}`))) : el('li', { class: 'muted' }, 'No alerts since this page was opened.'));
  }

  function kindOf(name) {
    if (!kinds) return 'other';
    return kinds[name] || kinds[name.split('|')[0]] || 'other';
  }

  function push(s) {
    const t = s.time || Date.now();
    let r = 0, w = 0, o = 0;
    for (const [name, c] of Object.entries(s.commands || {})) {
      const k = kindOf(name);
      if (k === 'read') r += c.ops_per_sec; else if (k === 'write') w += c.ops_per_sec; else o += c.ops_per_sec;
    }
    charts.ops.push(t, [s.ops_per_sec, r, w, o]);
    const lat = s.latency_usec || {};
    charts.latency.push(t, [lat.p50 ?? null, lat.p99 ?? null]);
    charts.clients.push(t, [s.connected_clients]);
    charts.memory.push(t, [s.used_memory, s.maxmemory ? s.maxmemory : null]);
    charts.keys.push(t, [s.keys]);
    let rate = null;
    if (prev) {
      const dh = s.keyspace_hits - prev.keyspace_hits, dm = s.keyspace_misses - prev.keyspace_misses;
      if (dh + dm > 0) rate = dh / (dh + dm);
    }
    charts.hits.push(t, [rate]);
    prev = s;
  }

  function onStats(s) {
    push(s);
    renderTiles(s);
    renderPersistence(s);
    renderTop(s);
    renderDbs(s);
    const up = root.querySelector('#uptime');
    if (up) up.textContent = fmt.duration(s.uptime_seconds);
    root.querySelector('#updated').textContent = `updated ${fmt.clock(s.time || Date.now())}`;
  }

  // Start: identity from /stats and /config; the command table for the
  // read/write split; history kept by the shell; then live.
  (async () => {
    try {
      const [st, cf] = await Promise.all([ctx.api('GET', '/stats'), ctx.api('GET', '/config')]);
      info = st.info || {};
      config = cf || {};
      renderIdentity(st.summary || {});
      if (!prev) { renderTiles(st.summary || {}); renderPersistence(st.summary || {}); renderDbs(st.summary || {}); }
    } catch (e) {
      ctx.fail(e, 'Loading the server status');
      kv(identity, [['Error', el('span', { class: 'error-text' }, e.message)]]);
    }
    try {
      const cmds = await ctx.exec(['COMMAND']);
      kinds = {};
      for (const c of cmds.reply || []) {
        const flags = Array.isArray(c[2]) ? c[2] : [];
        kinds[String(c[0]).toLowerCase()] = flags.includes('write') ? 'write' : flags.includes('readonly') ? 'read' : 'other';
      }
    } catch (e) {
      ctx.fail(e, 'Loading the command table');
    }
  })();
  for (const s of ctx.statsHistory) push(s);
  if (ctx.statsHistory.length) onStats(ctx.statsHistory[ctx.statsHistory.length - 1]);
  renderAlerts();

  const offs = [ctx.ws.on('stats', onStats), ctx.ws.on('alert', () => setTimeout(renderAlerts))];
  return () => {
    offs.forEach((f) => f());
    Object.values(charts).forEach((c) => c.destroy());
  };
}
