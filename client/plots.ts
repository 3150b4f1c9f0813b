/**
 * Telemetry plots (uPlot): cost versus iteration on a log scale for both solvers, and the
 * R-DDP smoothing noise sigma versus iteration. Non-positive or missing costs are gaps.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { IterPoint } from './connection.ts';

const COLORS = { ddp: '#2563eb', rddp: '#dc2626' };

/** Aligns per-solver histories on a common iteration axis (uPlot's data layout). */
export function alignSeries(series: IterPoint[][], value: (p: IterPoint) => number | null): [number[], ...(number | null)[][]] {
  const xs = [...new Set(series.flatMap((s) => s.map((p) => p.iteration)))].sort((a, b) => a - b);
  const pos = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const y: (number | null)[] = new Array(xs.length).fill(null);
    for (const p of s) { const v = value(p); y[pos.get(p.iteration)!] = v !== null && v > 0 && Number.isFinite(v) ? v : null; }
    return y;
  });
  return [xs, ...ys];
}

function make(el: HTMLElement, title: string, series: uPlot.Series[], yLabel: string): uPlot {
  const opts: uPlot.Options = {
    title, width: Math.max(200, el.clientWidth), height: 170,
    scales: { x: { time: false }, y: { distr: 3 } },
    axes: [{ label: 'iteration', size: 36 }, { label: yLabel, size: 60 }],
    series: [{ label: 'iteration' }, ...series],
    legend: { show: true },
  };
  return new uPlot(opts, [[], ...series.map(() => [])] as unknown as uPlot.AlignedData, el);
}

export class Plots {
  readonly cost: uPlot;
  readonly sigma: uPlot;

  constructor(readonly costEl: HTMLElement, readonly sigmaEl: HTMLElement) {
    this.cost = make(costEl, 'cost (log)', [
      { label: 'DDP', stroke: COLORS.ddp, width: 2, spanGaps: true, points: { show: true, size: 4 } },
      { label: 'R-DDP', stroke: COLORS.rddp, width: 2, spanGaps: true, points: { show: true, size: 4 } },
    ], 'cost');
    this.sigma = make(sigmaEl, 'R-DDP σ (log)', [{ label: 'σ', stroke: COLORS.rddp, width: 2, spanGaps: true, points: { show: true, size: 4 } }], 'σ');
    new ResizeObserver(() => this.resize()).observe(costEl.parentElement ?? costEl);
  }

  resize(): void {
    this.cost.setSize({ width: Math.max(200, this.costEl.clientWidth), height: 170 });
    this.sigma.setSize({ width: Math.max(200, this.sigmaEl.clientWidth), height: 170 });
  }

  /** Redraws from the histories; returns the number of plotted cost points (also on data-points). */
  update(ddp: IterPoint[], rddp: IterPoint[]): number {
    const cost = alignSeries([ddp, rddp], (p) => p.cost);
    this.cost.setData(cost as uPlot.AlignedData);
    this.sigma.setData(alignSeries([rddp], (p) => p.sigma) as uPlot.AlignedData);
    const n = cost.slice(1).reduce((acc, ys) => acc + (ys as (number | null)[]).filter((y) => y !== null).length, 0);
    this.costEl.dataset.points = String(n);
    return n;
  }
}
