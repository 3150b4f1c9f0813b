/**
 * Minimal SVG line plots for experiment reports (no dependency, readable in any browser and
 * on GitHub): several named series, optional log-scale y axis, axis ticks and a legend.
 */
export interface Series {
  name: string;
  x: number[];
  y: number[];
  color: string;
  dashed?: boolean;
  /** Points only (a circle at each point, no line): e.g. the polish iterations over a run's line. */
  markers?: boolean;
  /** With markers: open circles (e.g. rejected steps). */
  open?: boolean;
  /** A shaded band drawn under the line (e.g. min..max over seeds around the median). */
  band?: { lo: number[]; hi: number[] };
}

export interface PlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  logY?: boolean;
  width?: number;
  height?: number;
  /** A horizontal reference line (e.g. the target). */
  hline?: { y: number; label: string };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12 * step; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

export function linePlot(series: Series[], opts: PlotOptions): string {
  // the legend's column is as wide as its longest name (about 7 px per character at 12 px)
  const longest = Math.max(0, ...series.map((s) => s.name.length));
  const mr = Math.max(150, 40 + 7 * longest);
  const W = (opts.width ?? 640) + mr - 150, H = opts.height ?? 360, ml = 70, mt = 36, mb = 48;
  const tf = (y: number) => (opts.logY ? Math.log10(Math.max(y, 1e-300)) : y);
  const pts = series.flatMap((s) => [
    ...s.x.map((x, i) => [x, tf(s.y[i])] as const),
    ...(s.band ? s.x.flatMap((x, i) => [[x, tf(s.band!.lo[i])] as const, [x, tf(s.band!.hi[i])] as const]) : []),
  ]).filter(([, y]) => Number.isFinite(y));
  if (opts.hline) pts.push([pts[0]?.[0] ?? 0, tf(opts.hline.y)]);
  let x0 = Math.min(...pts.map((p) => p[0])), x1 = Math.max(...pts.map((p) => p[0]));
  let y0 = Math.min(...pts.map((p) => p[1])), y1 = Math.max(...pts.map((p) => p[1]));
  if (!(x1 > x0)) { x0 -= 1; x1 += 1; }
  if (!(y1 > y0)) { y0 -= 1; y1 += 1; }
  const pad = 0.05 * (y1 - y0); y0 -= pad; y1 += pad;
  const sx = (x: number) => ml + ((x - x0) / (x1 - x0)) * (W - ml - mr);
  const sy = (y: number) => H - mb - ((y - y0) / (y1 - y0)) * (H - mt - mb);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(opts.title)}</text>`);
  for (const t of ticks(x0, x1)) {
    parts.push(`<line x1="${sx(t)}" y1="${H - mb}" x2="${sx(t)}" y2="${mt}" stroke="#eee"/><text x="${sx(t)}" y="${H - mb + 16}" text-anchor="middle">${t}</text>`);
  }
  for (const t of ticks(y0, y1)) {
    const label = opts.logY ? Number((10 ** t).toPrecision(2)).toExponential(0).replace('e+0', '').replace('e+', 'e') : String(t);
    parts.push(`<line x1="${ml}" y1="${sy(t)}" x2="${W - mr}" y2="${sy(t)}" stroke="#eee"/><text x="${ml - 6}" y="${sy(t) + 4}" text-anchor="end">${label}</text>`);
  }
  parts.push(`<rect x="${ml}" y="${mt}" width="${W - ml - mr}" height="${H - mt - mb}" fill="none" stroke="#444"/>`);
  parts.push(`<text x="${(ml + W - mr) / 2}" y="${H - 10}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${(mt + H - mb) / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}${opts.logY ? ' (log)' : ''}</text>`);
  if (opts.hline) {
    const y = sy(tf(opts.hline.y));
    parts.push(`<line x1="${ml}" y1="${y}" x2="${W - mr}" y2="${y}" stroke="#888" stroke-dasharray="2 3"/><text x="${ml + 6}" y="${y - 4}" fill="#666">${esc(opts.hline.label)}</text>`);
  }
  let legend = 0;
  for (const s of series) {
    if (!s.band) continue;
    const up = s.x.map((x, i) => [x, tf(s.band!.hi[i])] as const).filter(([, y]) => Number.isFinite(y));
    const down = s.x.map((x, i) => [x, tf(s.band!.lo[i])] as const).filter(([, y]) => Number.isFinite(y)).reverse();
    const d = [...up, ...down].map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
    if (d) parts.push(`<path d="${d}Z" fill="${s.color}" opacity="0.18" stroke="none"/>`);
  }
  series.forEach((s) => {
    if (s.markers) {
      const paint = s.open ? `fill="none" stroke="${s.color}"` : `fill="${s.color}"`;
      s.x.forEach((x, i) => { const y = tf(s.y[i]); if (Number.isFinite(y)) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" ${paint}/>`); });
      if (!s.name) return;
      const k = legend++;
      parts.push(`<circle cx="${W - mr + 18}" cy="${mt + 14 + 18 * k}" r="3" ${paint}/><text x="${W - mr + 32}" y="${mt + 18 + 18 * k}">${esc(s.name)}</text>`);
      return;
    }
    const d = s.x.map((x, i) => [x, tf(s.y[i])] as const).filter(([, y]) => Number.isFinite(y)).map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"${s.dashed ? ' stroke-dasharray="5 3"' : ''} opacity="0.85"/>`);
    // a marker at each point of short series (a one-iteration run is otherwise invisible)
    if (s.x.length <= 3) s.x.forEach((x, i) => { const y = tf(s.y[i]); if (Number.isFinite(y)) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="4" fill="${s.color}"/>`); });
    if (!s.name) return; // unnamed series (e.g. further seeds) share the legend entry of the first
    const k = legend++;
    parts.push(`<line x1="${W - mr + 8}" y1="${mt + 14 + 18 * k}" x2="${W - mr + 28}" y2="${mt + 14 + 18 * k}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/><text x="${W - mr + 32}" y="${mt + 18 + 18 * k}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
