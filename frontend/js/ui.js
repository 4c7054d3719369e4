// Small UI helpers shared by the pages: el(), formatting, toasts, an
// accessible modal (confirm / prompt).

/** el('button', {class: 'x', onclick: f}, 'text', child) */
export function el(tag, attrs, ...children) {
  const svg = tag.startsWith('svg:');
  const n = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') n.addEventListener(k.slice(2), v);
    else if (k === 'class') n.setAttribute('class', v);
    else if (k === 'dataset') Object.assign(n.dataset, v);
    else if (k === 'value' && !svg) n.value = v;
    else if (k === 'checked' && !svg) n.checked = !!v;
    else n.setAttribute(k, v === true ? '' : String(v));
  }
  append(n, children);
  return n;
}

function append(n, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(n, c);
    else n.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces a node's children. */
export function replace(n, ...children) {
  n.replaceChildren();
  append(n, children);
  return n;
}

export const fmt = {
  bytes(n) {
    if (n === null || n === undefined || isNaN(n)) return '—';
    const u = ['B', 'KB', 'MB', 'GB', 'TB'];
    let i = 0; let v = Number(n);
    while (Math.abs(v) >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return (i === 0 ? String(Math.round(v)) : v.toFixed(v < 10 ? 2 : 1)) + ' ' + u[i];
  },
  duration(sec) {
    if (sec === null || sec === undefined || isNaN(sec)) return '—';
    sec = Math.max(0, Math.floor(sec));
    const d = Math.floor(sec / 86400), h = Math.floor(sec / 3600) % 24, m = Math.floor(sec / 60) % 60, s = sec % 60;
    if (d) return `${d}d ${h}h ${m}m`;
    if (h) return `${h}h ${m}m ${s}s`;
    if (m) return `${m}m ${s}s`;
    return `${s}s`;
  },
  number(n, digits = 0) {
    if (n === null || n === undefined || isNaN(n)) return '—';
    return Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  },
  usec(n) {
    if (n === null || n === undefined || isNaN(n)) return '—';
    if (n >= 1e6) return (n / 1e6).toFixed(2) + ' s';
    if (n >= 1000) return (n / 1000).toFixed(2) + ' ms';
    return Number(n).toFixed(n < 10 ? 1 : 0) + ' µs';
  },
  percent(x) {
    if (x === null || x === undefined || isNaN(x)) return '—';
    return (x * 100).toFixed(1) + '%';
  },
  time(ms) {
    if (!ms) return '—';
    const d = new Date(ms);
    return d.toLocaleString('en-GB', { hour12: false });
  },
  clock(ms) {
    const d = new Date(ms);
    return d.toLocaleTimeString('en-GB', { hour12: false });
  },
};

/** A toast: kind is 'error' | 'info' | 'ok'. Errors stay until closed. */
export function notify(message, kind = 'info') {
  const box = document.getElementById('toasts');
  if (!box) return;
  const close = () => t.remove();
  const t = el('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    el('span', { class: 'toast-msg' }, String(message)),
    el('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Dismiss', onclick: close }, '×'));
  box.append(t);
  while (box.children.length > 5) box.firstElementChild.remove();
  if (kind !== 'error') setTimeout(close, 4000);
}

/** A modal dialog; resolves with the value of the pressed button. */
function modal({ title, body, buttons, focus }) {
  return new Promise((resolve) => {
    const prev = document.activeElement;
    const back = el('div', { class: 'modal-back' });
    const titleId = 'm-' + Math.random().toString(36).slice(2);
    const dlg = el('div', { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId });
    const done = (v) => {
      document.removeEventListener('keydown', key, true);
      back.remove();
      if (prev && prev.focus) prev.focus();
      resolve(v);
    };
    const btns = buttons.map((b) => el('button', {
      type: b.submit ? 'submit' : 'button', class: b.class || '', onclick: b.submit ? null : () => done(b.value()),
    }, b.label));
    const form = el('form', { onsubmit: (e) => { e.preventDefault(); const s = buttons.find((b) => b.submit); done(s.value()); } },
      el('h2', { id: titleId }, title), body, el('div', { class: 'modal-actions' }, btns));
    dlg.append(form);
    back.append(dlg);
    document.body.append(back);
    const key = (e) => {
      if (e.key === 'Escape') { e.preventDefault(); done(buttons.find((b) => b.cancel).value()); }
      if (e.key === 'Tab') {
        const f = [...dlg.querySelectorAll('button, input, select, textarea')].filter((x) => !x.disabled);
        if (!f.length) return;
        const first = f[0], last = f[f.length - 1];
        if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
        else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
      }
    };
    document.addEventListener('keydown', key, true);
    (focus ? focus(dlg) : btns[btns.length - 1]).focus();
  });
}

/** An accessible confirmation dialog → Promise<boolean>. */
export function confirm(message, { ok = 'OK', danger = false } = {}) {
  return modal({
    title: 'Please confirm',
    body: el('p', {}, message),
    buttons: [
      { label: 'Cancel', cancel: true, value: () => false },
      { label: ok, submit: true, class: danger ? 'danger' : 'primary', value: () => true },
    ],
  });
}

/** A text prompt dialog → Promise<string|null>. */
export function prompt(title, { label = '', type = 'text', value = '', note = '' } = {}) {
  const id = 'p-' + Math.random().toString(36).slice(2);
  const input = el('input', { id, type, value, autocomplete: 'off', spellcheck: 'false' });
  return modal({
    title,
    body: el('div', { class: 'field' }, el('label', { for: id }, label), input, note ? el('p', { class: 'muted' }, note) : null),
    buttons: [
      { label: 'Cancel', cancel: true, value: () => null },
      { label: 'OK', submit: true, class: 'primary', value: () => input.value },
    ],
    focus: () => input,
  });
}

/** A table from column definitions [{label, get(row) → node|text, class}]. */
export function table(columns, rows, { caption, empty = 'Nothing to show.' } = {}) {
  return el('div', { class: 'table-wrap' },
    el('table', {},
      caption ? el('caption', {}, caption) : null,
      el('thead', {}, el('tr', {}, columns.map((c) => el('th', { scope: 'col', class: c.class }, c.label)))),
      el('tbody', {}, rows.length ? rows.map((r) => el('tr', {}, columns.map((c) => el('td', { class: c.class }, c.get(r)))))
        : el('tr', {}, el('td', { colspan: columns.length, class: 'muted' }, empty)))));
}

/** A labelled metric card. */
export function stat(label, value, id) {
  return el('div', { class: 'stat' }, el('div', { class: 'stat-label' }, label), el('div', { class: 'stat-value', id }, value));
}
