/**
 * Telemetry plots (uPlot), one series per viewport (left blue, right red):
 * - cost versus iteration, log scale;
 * - smoothing noise sigma versus iteration, log scale (R-DDP; DDP's sigma is 0 and not drawn);
 * - the task's key quantity versus time (foot height for lift-leg, see task-view.ts), with the
 *   target as a dashed line and the timeline's current time as a vertical cursor;
 * - the task's extra quantities versus time (lift-leg: other feet, base height, knee angle),
 *   one plot each, after the key one (a second row on wide windows), with the same cursor.
 * Non-positive or missing values on log scales are gaps.
 * R-DDP's polish iterations (exact derivatives, σ = 0, a gap on the σ plot) are shaded orange
 * on the cost and σ plots (`data-polish` on the cost element counts them).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { IterationRecordMsg } from '../shared/protocol.ts';
import { alignOnTime } from './task-view.ts';

export const SLOT_COLORS = ['#2563eb', '#dc2626'] as const;
const HEIGHT = 150;
export const POLISH_COLOR = 'rgba(249, 115, 22, 0.22)';
/** Columns of plots in the wide layout (style.css: three plot columns and the telemetry). */
const PLOT_COLUMNS = 3;

/** Iterations run in R-DDP's polish phase, over both viewports' histories (sorted, unique). */
export function polishIterations(series: readonly (readonly IterationRecordMsg[])[]): number[] {
  return [...new Set(series.flatMap((s) => s.filter((p) => p.phase === 'polish').map((p) => p.iteration)))].sort((a, b) => a - b);
}

/** Aligns per-viewport histories on a common iteration axis (uPlot's data layout); only positive finite values on a log scale. */
export function alignSeries(series: readonly (readonly IterationRecordMsg[])[], value: (p: IterationRecordMsg) => number | null): [number[], ...(number | null)[][]] {
  const xs = [...new Set(series.flatMap((s) => s.map((p) => p.iteration)))].sort((a, b) => a - b);
  const pos = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const y: (number | null)[] = new Array(xs.length).fill(null);
    for (const p of s) { const v = value(p); y[pos.get(p.iteration)!] = v !== null && v > 0 && Number.isFinite(v) ? v : null; }
    return y;
  });
  return [xs, ...ys];
}

/**
 * Height of a plot's drawing area (px) with `rows` rows of plots in a window `windowHeight` tall:
 * the plots (each with about 46 px of title and legend) take at most about half the window, so
 * the 3D view keeps the rest; 150 px when that allows, never under 80.
 */
export function plotHeight(windowHeight: number, rows: number): number {
  return Math.max(80, Math.min(HEIGHT, Math.floor((windowHeight / 2 - 40) / Math.max(1, rows) - 46)));
}

export interface TraceData { label: string; unit: string; target: number | null; series: ({ dt: number; values: readonly number[] } | null)[] }

function lineSeries(label: string, color: string, dash?: number[]): uPlot.Series {
  return { label, stroke: color, width: dash ? 1.5 : 2, spanGaps: true, dash, points: { show: !dash, size: 4 } };
}

function width(el: HTMLElement): number { return Math.max(160, el.clientWidth); }

function makePlot(el: HTMLElement, height: number, title: string, xLabel: string, yLabel: string, series: uPlot.Series[], log: boolean, hooks?: uPlot.Hooks.Arrays): uPlot {
  el.replaceChildren();
  const opts: uPlot.Options = {
    title, width: width(el), height,
    scales: { x: { time: false }, y: log ? { distr: 3 } : { auto: true } },
    axes: [{ label: xLabel, size: 34, labelSize: 16 }, { label: yLabel, size: 56, labelSize: 16 }],
    series: [{ label: xLabel }, ...series],
    legend: { show: true, live: false },
    cursor: { drag: { x: false, y: false } },
    hooks,
  };
  return new uPlot(opts, [[], ...series.map(() => [])] as unknown as uPlot.AlignedData, el);
}

/**
 * One quantity versus time: a line per viewport, the target dashed (when the quantity has one),
 * the timeline's time as a vertical cursor. `data-points` on its element counts the plotted points.
 */
class TimePlot {
  u!: uPlot;
  #key = '';
  #cursorTime: number | null = null;

  constructor(readonly el: HTMLElement, readonly height: () => number) {}

  /** Builds the plot for these series names and label; does nothing when they are what it shows. */
  build(labels: readonly [string, string], label: string, unit: string, withTarget: boolean): void {
    const key = JSON.stringify([labels, label, unit, withTarget]);
    if (key === this.#key) return;
    this.#key = key;
    this.u?.destroy();
    const cursor = (u: uPlot) => {
      if (this.#cursorTime === null) return;
      const x = u.valToPos(this.#cursorTime, 'x', true);
      if (!(x >= u.bbox.left && x <= u.bbox.left + u.bbox.width)) return;
      const ctx = u.ctx;
      ctx.save();
      ctx.strokeStyle = '#111827';
      ctx.lineWidth = 1;
      ctx.setLineDash([]); // uPlot leaves the last series' dash (the target's) set
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.restore();
    };
    const series = labels.map((l, i) => lineSeries(l, SLOT_COLORS[i]));
    if (withTarget) series.push(lineSeries('target', '#16a34a', [6, 4]));
    this.u = makePlot(this.el, this.height(), `${label} (${unit}) vs time`, 'time (s)', unit, series, false, { draw: [cursor] });
  }

  setData(labels: readonly [string, string], d: TraceData, withTarget: boolean): void {
    this.build(labels, d.label, d.unit, withTarget);
    const [xs, ...ys] = alignOnTime(d.series);
    const data = withTarget ? [xs, ...ys, xs.map(() => d.target)] : [xs, ...ys];
    this.u.setData(data as uPlot.AlignedData);
    this.el.dataset.points = String(ys.reduce((a, y) => a + y.filter((v) => v !== null).length, 0));
  }

  resize(): void { this.u?.setSize({ width: width(this.el), height: this.height() }); }

  /** Moves the cursor (redraws only when it moves by a pixel or more). */
  setTime(t: number | null): void {
    const u = this.u;
    if (!u?.data[0]?.length) { this.#cursorTime = t; return; }
    const px = (v: number | null) => (v === null ? -1 : Math.round(u.valToPos(v, 'x')) || 0);
    if (px(t) === px(this.#cursorTime)) { this.#cursorTime = t; return; }
    this.#cursorTime = t;
    u.redraw(false, false);
  }

  destroy(): void { this.u?.destroy(); this.el.remove(); }
}

export class Plots {
  cost!: uPlot;
  sigma!: uPlot;
  readonly trace: TimePlot;
  /** The task's extra plots, in its order; their elements follow the trace plot's. */
  #extras: { id: string; plot: TimePlot }[] = [];
  #labels: [string, string] = ['', ''];
  #polish: number[] = [];
  #height = HEIGHT;

  constructor(readonly costEl: HTMLElement, readonly sigmaEl: HTMLElement, readonly traceEl: HTMLElement) {
    this.trace = new TimePlot(traceEl, () => this.#height);
    this.#build(['DDP', 'R-DDP']);
    this.trace.build(this.#labels, 'foot height', 'm', true);
    new ResizeObserver(() => this.resize()).observe(costEl.parentElement ?? costEl);
    window.addEventListener('resize', () => this.resize());
  }

  #build(labels: [string, string]): void {
    this.cost?.destroy(); this.sigma?.destroy();
    this.#labels = labels;
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
    this.cost = makePlot(this.costEl, this.#height, 'cost vs iteration (log; orange: polish)', 'iteration', 'cost', labels.map((l, i) => lineSeries(l, SLOT_COLORS[i])), true, { drawClear: [shade] });
    this.sigma = makePlot(this.sigmaEl, this.#height, 'σ vs iteration (log; orange: polish, σ = 0)', 'iteration', 'σ', labels.map((l, i) => lineSeries(l, SLOT_COLORS[i])), true, { drawClear: [shade] });
  }

  /** Series names follow what the viewports show (rebuilds the plots when they change). */
  setLabels(labels: [string, string], trace: { label: string; unit: string }): void {
    if (labels[0] !== this.#labels[0] || labels[1] !== this.#labels[1]) this.#build(labels);
    this.trace.build(labels, trace.label, trace.unit, true);
  }

  resize(): void {
    this.#height = plotHeight(window.innerHeight, 1 + Math.ceil(this.#extras.length / PLOT_COLUMNS));
    for (const [u, el] of [[this.cost, this.costEl], [this.sigma, this.sigmaEl]] as const) u.setSize({ width: width(el), height: this.#height });
    for (const p of [this.trace, ...this.#extras.map((e) => e.plot)]) p.resize();
  }

  /** Redraws the iteration plots from the histories; returns the number of plotted cost points (also on data-points). */
  update(left: readonly IterationRecordMsg[], right: readonly IterationRecordMsg[]): number {
    this.#polish = polishIterations([left, right]);
    this.costEl.dataset.polish = String(this.#polish.length);
    const cost = alignSeries([left, right], (p) => p.cost);
    this.cost.setData(cost as uPlot.AlignedData);
    this.sigma.setData(alignSeries([left, right], (p) => p.sigma) as uPlot.AlignedData);
    const n = cost.slice(1).reduce((acc, ys) => acc + (ys as (number | null)[]).filter((y) => y !== null).length, 0);
    this.costEl.dataset.points = String(n);
    return n;
  }

  /** Redraws the key quantity's plot (values per knot of each viewport's trajectory). */
  updateTrace(d: TraceData): void {
    this.trace.setData(this.#labels, d, true);
  }

  /**
   * Redraws the extra plots, one per entry (in this order), adding and removing plots as the
   * tasks on screen declare them. A plot shows its target only when it has one.
   */
  updateExtras(ds: readonly (TraceData & { id: string })[]): void {
    const ids = ds.map((d) => d.id);
    if (ids.join('\n') !== this.#extras.map((e) => e.id).join('\n')) {
      for (const e of this.#extras) e.plot.destroy();
      let after: HTMLElement = this.traceEl;
      this.#extras = ids.map((id) => {
        const el = document.createElement('div');
        el.className = 'plot plot-extra';
        el.id = `plot-extra-${id}`;
        el.dataset.extra = id;
        after.after(el);
        after = el;
        return { id, plot: new TimePlot(el, () => this.#height) };
      });
      this.traceEl.parentElement?.classList.toggle('with-extras', ids.length > 0);
      this.resize();
    }
    ds.forEach((d, j) => this.#extras[j].plot.setData(this.#labels, d, d.target !== null));
  }

  /** The time plots on screen, the key quantity's first (for tests and the console). */
  timePlots(): { id: string; el: HTMLElement; u: uPlot }[] {
    return [{ id: 'trace', el: this.traceEl, u: this.trace.u }, ...this.#extras.map((e) => ({ id: e.id, el: e.plot.el, u: e.plot.u }))];
  }

  /** Moves the time cursor of the time plots (each redraws only when it moves by a pixel or more). */
  setTime(t: number | null): void {
    this.trace.setTime(t);
    for (const e of this.#extras) e.plot.setTime(t);
  }
}
