/**
 * Telemetry plots (uPlot), one series per viewport (left blue, right red):
 * - cost versus iteration, log scale;
 * - smoothing noise sigma versus iteration, log scale (R-DDP; DDP's sigma is 0 and not drawn);
 * - the task's key quantity versus time (foot height for lift-leg, see task-view.ts), with the
 *   target as a dashed line and the timeline's current time as a vertical cursor.
 * Non-positive or missing values on log scales are gaps.
 * R-DDP's polish iterations (exact derivatives, σ = 0, a gap on the σ plot) are shaded orange
 * on the cost and σ plots (`data-polish` on the cost element counts them).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { IterationRecord } from './connection.ts';
import { alignOnTime } from './task-view.ts';

export const SLOT_COLORS = ['#2563eb', '#dc2626'] as const;
const HEIGHT = 150;
export const POLISH_COLOR = 'rgba(249, 115, 22, 0.22)';

/** Iterations run in R-DDP's polish phase, over both viewports' histories (sorted, unique). */
export function polishIterations(series: readonly (readonly IterationRecord[])[]): number[] {
  return [...new Set(series.flatMap((s) => s.filter((p) => p.phase === 'polish').map((p) => p.iteration)))].sort((a, b) => a - b);
}

/** Aligns per-viewport histories on a common iteration axis (uPlot's data layout); only positive finite values on a log scale. */
export function alignSeries(series: readonly (readonly IterationRecord[])[], value: (p: IterationRecord) => number | null): [number[], ...(number | null)[][]] {
  const xs = [...new Set(series.flatMap((s) => s.map((p) => p.iteration)))].sort((a, b) => a - b);
  const pos = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const y: (number | null)[] = new Array(xs.length).fill(null);
    for (const p of s) { const v = value(p); y[pos.get(p.iteration)!] = v !== null && v > 0 && Number.isFinite(v) ? v : null; }
    return y;
  });
  return [xs, ...ys];
}

export interface TraceData { label: string; unit: string; target: number | null; series: ({ dt: number; values: number[] } | null)[] }

function lineSeries(label: string, color: string, dash?: number[]): uPlot.Series {
  return { label, stroke: color, width: dash ? 1.5 : 2, spanGaps: true, dash, points: { show: !dash, size: 4 } };
}

function width(el: HTMLElement): number { return Math.max(160, el.clientWidth); }

export class Plots {
  cost!: uPlot;
  sigma!: uPlot;
  trace!: uPlot;
  #labels: [string, string] = ['', ''];
  #traceLabel = '';
  #cursorTime: number | null = null;
  #polish: number[] = [];

  constructor(readonly costEl: HTMLElement, readonly sigmaEl: HTMLElement, readonly traceEl: HTMLElement) {
    this.#build(['DDP', 'R-DDP'], 'foot height (m)');
    new ResizeObserver(() => this.resize()).observe(costEl.parentElement ?? costEl);
  }

  #make(el: HTMLElement, title: string, xLabel: string, yLabel: string, series: uPlot.Series[], log: boolean, hooks?: uPlot.Hooks.Arrays): uPlot {
    el.replaceChildren();
    const opts: uPlot.Options = {
      title, width: width(el), height: HEIGHT,
      scales: { x: { time: false }, y: log ? { distr: 3 } : { auto: true } },
      axes: [{ label: xLabel, size: 34, labelSize: 16 }, { label: yLabel, size: 56, labelSize: 16 }],
      series: [{ label: xLabel }, ...series],
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      hooks,
    };
    return new uPlot(opts, [[], ...series.map(() => [])] as unknown as uPlot.AlignedData, el);
  }

  #build(labels: [string, string], traceLabel: string): void {
    this.cost?.destroy(); this.sigma?.destroy(); this.trace?.destroy();
    this.#labels = labels;
    this.#traceLabel = traceLabel;
    // one band per polish iteration, half an iteration either side, under the lines
    const shade = (u: uPlot) => {
      if (this.#polish.length === 0) return;
      const ctx = u.ctx;
      ctx.save();
      ctx.fillStyle = POLISH_COLOR;
      for (const it of this.#polish) {
        const a = u.valToPos(it - 0.5, 'x', true), b = u.valToPos(it + 0.5, 'x', true);
        const l = Math.max(a, u.bbox.left), r = Math.min(b, u.bbox.left + u.bbox.width);
        if (r > l) ctx.fillRect(l, u.bbox.top, r - l, u.bbox.height);
      }
      ctx.restore();
    };
    this.cost = this.#make(this.costEl, 'cost vs iteration (log; orange: polish)', 'iteration', 'cost', labels.map((l, i) => lineSeries(l, SLOT_COLORS[i])), true, { drawClear: [shade] });
    this.sigma = this.#make(this.sigmaEl, 'σ vs iteration (log; orange: polish, σ = 0)', 'iteration', 'σ', labels.map((l, i) => lineSeries(l, SLOT_COLORS[i])), true, { drawClear: [shade] });
    const cursor = (u: uPlot) => {
      if (this.#cursorTime === null) return;
      const x = u.valToPos(this.#cursorTime, 'x', true);
      if (!(x >= u.bbox.left && x <= u.bbox.left + u.bbox.width)) return;
      const ctx = u.ctx;
      ctx.save();
      ctx.strokeStyle = '#111827';
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.restore();
    };
    this.trace = this.#make(this.traceEl, `${traceLabel} vs time`, 'time (s)', traceLabel,
      [...labels.map((l, i) => lineSeries(l, SLOT_COLORS[i])), lineSeries('target', '#16a34a', [6, 4])], false, { draw: [cursor] });
  }

  /** Series names follow what the viewports show (rebuilds the plots when they change). */
  setLabels(labels: [string, string], traceLabel: string): void {
    if (labels[0] !== this.#labels[0] || labels[1] !== this.#labels[1] || traceLabel !== this.#traceLabel) this.#build(labels, traceLabel);
  }

  resize(): void {
    for (const [u, el] of [[this.cost, this.costEl], [this.sigma, this.sigmaEl], [this.trace, this.traceEl]] as const) u.setSize({ width: width(el), height: HEIGHT });
  }

  /** Redraws the iteration plots from the histories; returns the number of plotted cost points (also on data-points). */
  update(left: readonly IterationRecord[], right: readonly IterationRecord[]): number {
    this.#polish = polishIterations([left, right]);
    this.costEl.dataset.polish = String(this.#polish.length);
    const cost = alignSeries([left, right], (p) => p.cost);
    this.cost.setData(cost as uPlot.AlignedData);
    this.sigma.setData(alignSeries([left, right], (p) => p.sigma) as uPlot.AlignedData);
    const n = cost.slice(1).reduce((acc, ys) => acc + (ys as (number | null)[]).filter((y) => y !== null).length, 0);
    this.costEl.dataset.points = String(n);
    return n;
  }

  /** Redraws the trace plot (values per knot of each viewport's trajectory). */
  updateTrace(d: TraceData): void {
    this.setLabels(this.#labels, `${d.label} (${d.unit})`);
    const [xs, ...ys] = alignOnTime(d.series);
    const target = xs.map(() => d.target);
    this.trace.setData([xs, ...ys, target] as uPlot.AlignedData);
    this.traceEl.dataset.points = String(ys.reduce((a, y) => a + y.filter((v) => v !== null).length, 0));
  }

  /** Moves the time cursor of the trace plot (redraws only when it moves by a pixel or more). */
  setTime(t: number | null): void {
    const u = this.trace;
    if (!u.data[0]?.length) { this.#cursorTime = t; return; }
    const px = (v: number | null) => (v === null ? -1 : Math.round(u.valToPos(v, 'x')) || 0);
    if (px(t) === px(this.#cursorTime)) { this.#cursorTime = t; return; }
    this.#cursorTime = t;
    u.redraw(false, false);
  }
}
