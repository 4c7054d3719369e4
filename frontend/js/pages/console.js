// Console: a redis-cli in the browser. Lines are split as redis-cli splits
// them, run through POST /api/v1/execute with "typed": true, and the reply
// is printed exactly as redis-cli prints it on a terminal. History (↑/↓,
// kept in localStorage), Tab completion and argument hints from the
// server's COMMAND DOCS, SELECT / HELLO / MULTI aware, clear and copy.
import { splitArgs, apiArg, formatReply, syntax, utf8 } from '../console/format.js';

const HISTORY_KEY = 'flashdb.console.history';
const HISTORY_MAX = 500;
const OUTPUT_MAX = 2000; // entries kept on screen

let docsCache = null; // Promise<{name: doc}> shared by every mount

function loadHistory() {
  try {
    const h = JSON.parse(localStorage.getItem(HISTORY_KEY) || '[]');
    return Array.isArray(h) ? h.filter((x) => typeof x === 'string') : [];
  } catch { return []; }
}

function saveHistory(h) {
  try { localStorage.setItem(HISTORY_KEY, JSON.stringify(h.slice(-HISTORY_MAX))); } catch { /* storage off */ }
}

export function mount(root, ctx) {
  const { el } = ctx;
  // Connection state as redis-cli keeps it: the DB, the protocol, and a
  // transaction being queued (each HTTP request is its own connection, so
  // MULTI ... EXEC is sent as one batch when EXEC comes).
  const state = { db: 0, resp: 2, tx: null, host: location.hostname || 'flashdb', port: '' };
  let history = loadHistory();
  let hpos = history.length; // index into history while browsing
  let draft = '';
  let busy = false;
  let alive = true;
  let completion = null; // {base, matches, i} while cycling with Tab
  let docs = null;

  const promptEl = el('span', { class: 'cli-prompt', id: 'cli-prompt' });
  const input = el('input', {
    id: 'cli-input', class: 'cli-input', type: 'text', autocomplete: 'off', autocapitalize: 'off',
    spellcheck: 'false', 'aria-label': 'Command', 'aria-describedby': 'cli-hint',
  });
  const hint = el('div', { class: 'cli-hint', id: 'cli-hint', 'aria-live': 'polite' });
  const out = el('div', {
    class: 'cli-output', id: 'cli-output', role: 'log', 'aria-live': 'polite', 'aria-label': 'Console output', tabindex: '0',
  });
  const clearBtn = el('button', { type: 'button', id: 'cli-clear', onclick: () => clear() }, 'Clear');
  const copyBtn = el('button', { type: 'button', id: 'cli-copy', onclick: () => copy() }, 'Copy output');

  root.append(
    el('div', { class: 'page-head' },
      el('h1', {}, 'Console'),
      el('span', { class: 'spacer' }),
      el('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Console actions' }, clearBtn, copyBtn)),
    el('section', { class: 'panel cli', 'aria-label': 'Terminal' },
      out,
      el('form', { class: 'cli-line', onsubmit: (e) => { e.preventDefault(); submit(); } },
        el('label', { for: 'cli-input', class: 'cli-prompt-label' }, promptEl), input),
      hint),
    el('p', { class: 'muted cli-help' },
      'Enter runs a line (quoted like redis-cli: "a b", \'c\', "\\x41"). ↑/↓ history, Tab completes, ',
      'Ctrl+L clears. Local commands: clear, help <command>. A leading number repeats a command (3 PING).'),
  );

  function renderPrompt() {
    let p = `${state.host}${state.port ? ':' + state.port : ''}`;
    if (state.db !== 0) p += `[${state.db}]`;
    if (state.tx) p += '(TX)';
    promptEl.textContent = p + '> ';
  }
  renderPrompt();

  // The RESP port for the prompt, as redis-cli shows host:port.
  ctx.api('GET', '/stats').then((s) => {
    const port = s && s.info && s.info.server && s.info.server.tcp_port;
    if (alive && port) { state.port = String(port); renderPrompt(); }
  }).catch((e) => { if (alive) ctx.fail(e, 'Server info'); });

  if (!docsCache) {
    docsCache = ctx.api('POST', '/execute', { command: ['COMMAND', 'DOCS'], resp: 3 })
      .then((d) => (d && typeof d.reply === 'object' && !Array.isArray(d.reply) ? d.reply : {}))
      .catch((e) => { docsCache = null; throw e; });
  }
  docsCache.then((d) => { docs = d; if (alive) updateHint(); })
    .catch((e) => { if (alive) ctx.fail(e, 'Command docs for completion'); });

  // ------------------------------------------------------------ output

  function entry(line, pieces) {
    const block = el('div', { class: 'cli-entry' });
    if (line !== null) block.append(el('div', { class: 'cli-echo' }, el('span', { class: 'cli-echo-prompt' }, promptEl.textContent), line));
    const pre = el('pre', { class: 'cli-reply' });
    for (const [text, kind] of pieces) {
      if (kind) pre.append(el('span', { class: `cli-${kind}` }, text));
      else pre.append(text);
    }
    block.append(pre);
    out.append(block);
    while (out.childElementCount > OUTPUT_MAX) out.firstElementChild.remove();
    out.scrollTop = out.scrollHeight;
    return block;
  }

  function clear() {
    out.replaceChildren();
    input.focus();
  }

  async function copy() {
    const text = [...out.querySelectorAll('.cli-entry')].map((b) => b.innerText.replace(/\n+$/, '')).join('\n');
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
      } else {
        // Plain http://host:8080 is not a secure context: no Clipboard
        // API there, so copy through a selected, hidden text area.
        const area = el('textarea', { class: 'sr-only', 'aria-hidden': 'true', readonly: true });
        area.value = text;
        document.body.append(area);
        area.select();
        const ok = document.execCommand('copy');
        area.remove();
        input.focus();
        if (!ok) throw new Error('the browser refused');
      }
      ctx.notify('Console output copied', 'ok');
    } catch (e) {
      ctx.notify(`Could not copy: ${e.message || e}`, 'error');
    }
  }

  // ------------------------------------------------------------ running

  const request = (body) => ctx.api('POST', '/execute', { ...body, db: state.db, resp: state.resp, typed: true });
  const upper = (a) => (utf8(a) || '').toUpperCase();

  /** Runs one command (args: arrays of bytes) → the typed reply node. */
  async function run(args) {
    const name = upper(args[0]);
    const wire = args.map(apiArg);
    if (state.tx) {
      if (name === 'EXEC' || name === 'DISCARD') {
        const d = await request({ commands: [['MULTI'], ...state.tx, wire] });
        state.tx = null;
        return d.replies[d.replies.length - 1].reply;
      }
      // Queue it, and let the server say QUEUED or why not (an error
      // makes EXEC answer EXECABORT, as it would on one connection).
      const d = await request({ commands: [['MULTI'], ...state.tx, wire] });
      state.tx.push(wire);
      return d.replies[d.replies.length - 1].reply;
    }
    const d = await request({ command: wire });
    const r = d.reply;
    if (r.type !== 'error') {
      if (name === 'SELECT' && args.length === 2) state.db = Number(utf8(args[1]));
      if (name === 'MULTI') state.tx = [];
      if (name === 'HELLO' && args.length >= 2) {
        const v = Number(utf8(args[1]));
        if (v === 2 || v === 3) state.resp = v;
      }
    }
    return r;
  }

  async function submit() {
    if (busy) return;
    const line = input.value;
    input.value = '';
    completion = null;
    updateHint();
    if (line.trim() && history[history.length - 1] !== line) {
      history.push(line);
      if (history.length > HISTORY_MAX) history = history.slice(-HISTORY_MAX);
      saveHistory(history);
    }
    hpos = history.length;
    draft = '';
    if (!line.trim()) return;
    let args = splitArgs(line);
    if (args === null) { entry(line, [['Invalid argument(s)\n', 'error']]); return; }
    // A leading number repeats the command (redis-cli's "3 PING").
    let times = 1;
    const first = utf8(args[0]) || '';
    if (args.length > 1 && /^[0-9]+$/.test(first)) {
      times = Math.min(Number(first), 10000);
      args = args.slice(1);
    }
    const name = upper(args[0]);
    if (name === 'CLEAR' && args.length === 1) { clear(); return; }
    if (name === 'HELP') { entry(line, help(args.slice(1))); return; }
    if (name === 'QUIT' || name === 'EXIT') { entry(line, [['(the console has no connection to close)\n', '']]); return; }
    busy = true;
    input.setAttribute('aria-busy', 'true');
    try {
      for (let i = 0; i < times && alive; i++) {
        const shown = i === 0 ? line : null;
        let pieces;
        try {
          pieces = formatReply(await run(args));
        } catch (e) {
          // Request-level failures (network, auth, NOT_SUPPORTED): shown
          // in the output, in red, as redis-cli shows errors.
          pieces = [[`(error) ${e.message}${e.code && e.code !== 'COMMAND_ERROR' ? ` [${e.code}]` : ''}\n`, 'error']];
        }
        if (!alive) return;
        entry(shown, pieces);
      }
    } finally {
      busy = false;
      input.removeAttribute('aria-busy');
      renderPrompt();
      updateHint();
    }
  }

  // ------------------------------------------------------------ help, hints

  function docOf(words) {
    if (!docs || !words.length) return null;
    const name = words[0].toLowerCase();
    const d = docs[name];
    if (!d) return null;
    if (d.subcommands && words.length > 1) {
      const sub = `${name}|${words[1].toLowerCase()}`;
      if (d.subcommands[sub]) return { name: `${name} ${words[1]}`.toUpperCase(), doc: d.subcommands[sub], depth: 2 };
    }
    return { name: name.toUpperCase(), doc: d, depth: 1 };
  }

  function help(words) {
    const names = words.map((w) => utf8(w) || '');
    if (!names.length) {
      return [['Type a command and press Enter. "help <command>" shows its syntax; Tab completes names.\n', '']];
    }
    const found = docOf(names);
    if (!found) return [[`No help for "${names.join(' ')}".\n`, 'error']];
    const d = found.doc;
    let t = `\n  ${found.name} ${syntax(d.arguments)}\n  summary: ${d.summary || ''}\n  since: ${d.since || ''}\n  group: ${d.group || ''}\n`;
    if (d.subcommands) t += `  subcommands: ${Object.keys(d.subcommands).map((s) => s.split('|')[1].toUpperCase()).join(', ')}\n`;
    return [[t + '\n', '']];
  }

  function updateHint() {
    const v = input.value;
    const words = v.trim().split(/\s+/).filter(Boolean);
    const found = docOf(words);
    if (!found) { hint.replaceChildren(); return; }
    // Hide the leading required arguments already typed, as redis-cli does.
    const typed = Math.max(0, words.length - found.depth - (/\s$/.test(v) ? 0 : 1));
    const rest = [...(found.doc.arguments || [])];
    for (let i = 0; i < typed && rest.length; i++) {
      const f = rest[0].flags || [];
      if (f.includes('optional') || f.includes('multiple')) break;
      rest.shift();
    }
    hint.replaceChildren(
      el('span', { class: 'cli-hint-syntax' }, `${found.name} ${syntax(rest)}`.trim()),
      found.doc.summary ? el('span', { class: 'cli-hint-summary' }, ` — ${found.doc.summary}`) : null);
  }

  function complete() {
    if (!docs) return false;
    const v = input.value;
    if (!completion) {
      const m = /^(\s*)(\S*)(\s+(\S*))?$/.exec(v);
      if (!m) return false;
      let matches;
      let base;
      if (m[3] === undefined) {
        base = m[1];
        const pre = m[2].toLowerCase();
        matches = Object.keys(docs).filter((n) => n.startsWith(pre)).sort().map((n) => n.toUpperCase());
      } else {
        const d = docs[m[2].toLowerCase()];
        if (!d || !d.subcommands) return false;
        base = `${m[1]}${m[2]} `;
        const pre = (m[4] || '').toLowerCase();
        matches = Object.keys(d.subcommands).map((s) => s.split('|')[1]).filter((s) => s.startsWith(pre)).sort()
          .map((s) => s.toUpperCase());
      }
      if (!matches.length) return false;
      completion = { base, matches, i: -1 };
    }
    completion.i = (completion.i + 1) % completion.matches.length;
    input.value = completion.base + completion.matches[completion.i] + (completion.matches.length === 1 ? ' ' : '');
    updateHint();
    return true;
  }

  // ------------------------------------------------------------ keys

  input.addEventListener('keydown', (e) => {
    if (e.key === 'Tab' && !e.shiftKey && !e.altKey && !e.ctrlKey) {
      if (complete()) e.preventDefault();
      return;
    }
    if (e.key !== 'Tab' && e.key !== 'Shift') completion = null;
    if (e.key === 'ArrowUp') {
      if (!history.length || hpos === 0) return;
      e.preventDefault();
      if (hpos === history.length) draft = input.value;
      hpos--;
      input.value = history[hpos];
    } else if (e.key === 'ArrowDown') {
      if (hpos >= history.length) return;
      e.preventDefault();
      hpos++;
      input.value = hpos === history.length ? draft : history[hpos];
    } else if (e.key === 'l' && e.ctrlKey) {
      e.preventDefault();
      clear();
    } else if (e.key === 'Escape') {
      input.value = '';
    } else {
      return;
    }
    updateHint();
  });
  input.addEventListener('input', () => { completion = null; updateHint(); });
  out.addEventListener('click', () => { if (!getSelection().toString()) input.focus(); });

  input.focus();
  return () => { alive = false; };
}
