// A small SVG line chart over a sliding time window: no library.
// const c = lineChart(el, {series: [{name: 'ops/s'}], windowSec: 300, yFormat: (v) => ...});
// c.push(Date.now(), [1250]);
import { el } from './ui.js';

const NS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs) {
  const n = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, String(v));
  return n;
}

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

export function lineChart(host, { series = [], windowSec = 300, yFormat = (v) => String(Math.round(v)), yMax = null, label = 'chart' } = {}) {
  const names = series.map((s) => (typeof s === 'string' ? { name: s } : s));
  let points = []; // [t(ms), [values]]
  const root = el('figure', { class: 'chart' });
  const box = svg('svg', { class: 'chart-svg', role: 'img', 'aria-label': label, preserveAspectRatio: 'none' });
  const legend = el('figcaption', { class: 'chart-legend' });
  const values = names.map((s, i) => {
    const v = el('span', { class: 'legend-value' }, '—');
    legend.append(el('span', { class: 'legend-item' }, el('span', { class: `swatch s${i % 6}`, 'aria-hidden': 'true' }), s.name + ' ', v));
    return v;
  });
  root.append(box, legend);
  host.append(root);
  const grid = svg('g', { class: 'chart-grid' });
  const lines = names.map((_, i) => svg('polyline', { class: `chart-line s${i % 6}`, fill: 'none' }));
  box.append(grid, ...lines);
  let w = 0, h = 0;

  function draw() {
    w = box.clientWidth || 600;
    h = box.clientHeight || 160;
    box.setAttribute('viewBox', `0 0 ${w} ${h}`);
    const now = points.length ? points[points.length - 1][0] : Date.now();
    const t0 = now - windowSec * 1000;
    points = points.filter((p) => p[0] >= t0 - 2000);
    let max = 0;
    for (const [, vs] of points) for (const v of vs) if (v !== null && v > max) max = v;
    max = yMax !== null ? Math.max(yMax, max) : niceMax(max * 1.1);
    const left = 56, right = 6, top = 8, bottom = 18;
    const pw = Math.max(1, w - left - right), ph = Math.max(1, h - top - bottom);
    const x = (t) => left + ((t - t0) / (windowSec * 1000)) * pw;
    const y = (v) => top + ph - (v / max) * ph;
    grid.replaceChildren();
    for (let i = 0; i <= 4; i++) {
      const v = (max * i) / 4, yy = y(v);
      grid.append(svg('line', { x1: left, x2: w - right, y1: yy, y2: yy }));
      const t = svg('text', { x: left - 6, y: yy + 4, 'text-anchor': 'end' });
      t.textContent = yFormat(v);
      grid.append(t);
    }
    for (let m = 0; m <= windowSec / 60; m++) {
      const xx = x(now - m * 60000);
      if (xx < left) break;
      const t = svg('text', { x: xx, y: h - 4, 'text-anchor': m === 0 ? 'end' : 'middle' });
      t.textContent = m === 0 ? 'now' : `-${m}m`;
      grid.append(t);
    }
    lines.forEach((pl, i) => {
      const pts = [];
      for (const [t, vs] of points) {
        const v = vs[i];
        if (v === null || v === undefined || isNaN(v)) continue;
        pts.push(`${x(t).toFixed(1)},${y(v).toFixed(1)}`);
      }
      pl.setAttribute('points', pts.join(' '));
    });
    box.dataset.points = String(points.length);
  }

  const ro = new ResizeObserver(() => { if (box.clientWidth !== w || box.clientHeight !== h) draw(); });
  ro.observe(box);

  return {
    el: root,
    push(t, vs) {
      points.push([t, vs]);
      vs.forEach((v, i) => { if (values[i]) values[i].textContent = v === null || v === undefined ? '—' : yFormat(v); });
      draw();
    },
    clear() { points = []; draw(); },
    get length() { return points.length; },
    destroy() { ro.disconnect(); root.remove(); },
  };
}
