// Hand-drawn live line charts on a canvas: one series per partition over the last minute of
// samples, with an optional dashed limit line per series (what the partition may use).
import { h } from './dom.js';

export const palette = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d'];

export class LineChart {
  constructor(title, unit) {
    this.unit = unit;
    this.canvas = h('canvas', { className: 'chart-canvas', width: 460, height: 170 });
    this.legend = h('div', { className: 'chart-legend' });
    this.element = h('figure', { className: 'chart' }, h('figcaption', {}, title), this.canvas, this.legend);
  }

  /**
   * series: [{ name, color, points: [{ t, v }], limit: number | null }]; the x axis spans
   * `spanMs` up to `nowMs`.
   */
  draw(series, nowMs, spanMs) {
    const ratio = window.devicePixelRatio || 1;
    const cssWidth = this.canvas.clientWidth || 460;
    const cssHeight = 170;
    if (this.canvas.width !== Math.round(cssWidth * ratio)) {
      this.canvas.width = Math.round(cssWidth * ratio);
      this.canvas.height = Math.round(cssHeight * ratio);
    }
    const g = this.canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, cssWidth, cssHeight);
    const left = 44;
    const right = cssWidth - 8;
    const top = 8;
    const bottom = cssHeight - 20;
    // Scaled to the data: a limit far above it (an idle partition's 3,000 units) would flatten
    // every line, so a limit is drawn only when it falls inside the scale (the legend names it).
    let max = 1;
    for (const s of series) for (const p of s.points) max = Math.max(max, p.v);
    max = niceCeiling(max * 1.25);
    const x = (t) => left + ((t - (nowMs - spanMs)) / spanMs) * (right - left);
    const y = (v) => bottom - (v / max) * (bottom - top);
    g.strokeStyle = '#d1d5db';
    g.fillStyle = '#6b7280';
    g.font = '10px system-ui, sans-serif';
    g.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const v = (max * i) / 4;
      g.beginPath();
      g.moveTo(left, y(v));
      g.lineTo(right, y(v));
      g.stroke();
      g.fillText(formatValue(v), 2, y(v) + 3);
    }
    g.fillText(`-${Math.round(spanMs / 1000)} s`, left, cssHeight - 6);
    g.fillText('now', right - 20, cssHeight - 6);
    for (const s of series) {
      if (s.limit !== null && s.limit !== undefined && Number.isFinite(s.limit) && s.limit <= max) {
        g.setLineDash([4, 4]);
        g.strokeStyle = s.color;
        g.globalAlpha = 0.6;
        g.beginPath();
        g.moveTo(left, y(s.limit));
        g.lineTo(right, y(s.limit));
        g.stroke();
        g.globalAlpha = 1;
        g.setLineDash([]);
      }
      g.strokeStyle = s.color;
      g.lineWidth = 2;
      g.beginPath();
      let first = true;
      for (const p of s.points) {
        if (p.t < nowMs - spanMs) continue;
        if (first) g.moveTo(x(p.t), y(p.v));
        else g.lineTo(x(p.t), y(p.v));
        first = false;
      }
      g.stroke();
      g.lineWidth = 1;
    }
    this.legend.replaceChildren(
      ...series.map((s) => {
        const last = s.points.length > 0 ? s.points[s.points.length - 1].v : 0;
        const swatch = h('span', { className: 'swatch' });
        swatch.style.background = s.color;
        const limit = s.limit !== null && s.limit !== undefined && Number.isFinite(s.limit) ? ` of ${formatValue(s.limit)}` : '';
        return h('span', { className: 'legend-entry' }, swatch, `${s.name}: ${formatValue(last)}${limit} ${this.unit}`);
      }),
    );
  }
}

function niceCeiling(v) {
  const magnitude = Math.pow(10, Math.floor(Math.log10(v)));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= v) return step * magnitude;
  return 10 * magnitude;
}

function formatValue(v) {
  if (v >= 1000) return `${(v / 1000).toFixed(1)}k`;
  if (v >= 10 || v === 0) return String(Math.round(v));
  return v.toFixed(1);
}
