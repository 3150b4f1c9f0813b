/**
 * Thread side of ParallelRenderer (parallel.ts): takes bands from the shared counter and runs
 * the kernel on each, into the shared image and the band's gradient slot.
 */
import { RasterKernel, type KernelParams } from '../kernel.ts';
import { serve } from '../../compute/worker-entry.ts';

export interface RenderBandsInit {
  kind: 'init';
  width: number;
  height: number;
  maxFragments: number;
  maxSamples: number;
  rowsPerBand: number;
  accLength: number;
  geom: SharedArrayBuffer;
  image: SharedArrayBuffer;
  target: SharedArrayBuffer;
  acc: SharedArrayBuffer;
  counter: SharedArrayBuffer;
}

export interface RenderBandsRun {
  kind: 'run';
  params: Omit<KernelParams, 'background'> & { background: number[] };
  nFaces: number;
  withTarget: boolean;
}

export type RenderBandsMsg = RenderBandsInit | RenderBandsRun;

let state: { init: RenderBandsInit; kernel: RasterKernel; geom: Float64Array; image: Float64Array; target: Float64Array; acc: Float64Array; counter: Int32Array } | null = null;

serve<RenderBandsMsg>((m) => {
  if (m.kind === 'init') {
    state = {
      init: m,
      kernel: new RasterKernel(m.width, m.height, m.maxFragments, m.maxSamples, m.rowsPerBand),
      geom: new Float64Array(m.geom), image: new Float64Array(m.image), target: new Float64Array(m.target),
      acc: new Float64Array(m.acc), counter: new Int32Array(m.counter),
    };
    return;
  }
  if (!state) throw new Error('render thread: run before init');
  const s = state, L = s.init.accLength;
  const kp: KernelParams = { ...m.params, background: Float64Array.from(m.params.background) };
  const bands = s.kernel.bands;
  for (;;) {
    const b = Atomics.add(s.counter, 0, 1);
    if (b >= bands) break;
    const slot = s.acc.subarray(b * L, (b + 1) * L);
    slot.fill(0);
    s.kernel.renderBand(b, s.geom, m.nFaces, kp, s.image, m.withTarget ? s.target : null, slot);
  }
});
