/**
 * The renderer on worker threads: the image's bands are the parallel work (pixels x samples).
 * This thread projects the mesh (renderer.ts `RenderSetup`) into a shared geometry buffer;
 * each thread (threads/render-bands.ts, on a worker-pool.ts gang) runs whole bands taken from a shared counter, writing the
 * image rows and the band's own gradient slot; this thread then sums the slots in band order
 * and applies the chain rule. A band's numbers do not depend on who computed it and the sum's
 * order is fixed, so the results equal the single-thread `Renderer`'s bit for bit (tested).
 */
import { WorkerPool } from '../compute/worker-pool.ts';
import { newGradient, RenderSetup, type Pose, type RendererOptions, type RenderGradient, type RenderParams } from './renderer.ts';
import type { Camera, Light, RenderMesh } from './scene.ts';
import type { RenderBandsInit, RenderBandsMsg, RenderBandsRun } from './threads/render-bands.ts';

export class ParallelRenderer {
  readonly setup: RenderSetup;
  readonly image: Float64Array;
  private readonly pool: WorkerPool<RenderBandsMsg>;
  private readonly geom: Float64Array;
  private readonly target: Float64Array;
  private readonly bandAcc: Float64Array;
  private readonly counter: Int32Array;

  private constructor(setup: RenderSetup, n: number) {
    this.setup = setup;
    const cam = setup.camera, P = cam.width * cam.height;
    const sab = (len: number) => new SharedArrayBuffer(8 * len);
    const init: RenderBandsInit = {
      kind: 'init', width: cam.width, height: cam.height, maxFragments: setup.maxFragments, maxSamples: setup.maxSamples,
      rowsPerBand: setup.rowsPerBand, accLength: setup.acc.length,
      geom: sab(setup.geom.length), image: sab(4 * P), target: sab(3 * P), acc: sab(setup.bands * setup.acc.length), counter: new SharedArrayBuffer(4),
    };
    this.geom = new Float64Array(init.geom);
    this.image = new Float64Array(init.image);
    this.target = new Float64Array(init.target);
    this.bandAcc = new Float64Array(init.acc);
    this.counter = new Int32Array(init.counter);
    this.pool = new WorkerPool<RenderBandsMsg>({ entry: new URL('./threads/render-bands.ts', import.meta.url), name: 'render thread', init, size: n });
  }

  static async create(mesh: RenderMesh, camera: Camera, light: Light, workers: number, opts: RendererOptions = {}): Promise<ParallelRenderer> {
    if (!(Number.isInteger(workers) && workers >= 1)) throw new RangeError(`workers must be a positive integer, got ${workers}`);
    const r = new ParallelRenderer(new RenderSetup(mesh, camera, light, opts), workers);
    await r.pool.ready;
    return r;
  }

  async render(pose: Pose, params: RenderParams): Promise<Float64Array> {
    await this.run(pose, params, null);
    return this.image;
  }

  async lossAndGradient(pose: Pose, params: RenderParams, target: Float64Array, out: RenderGradient = newGradient(this.setup.nVertices)): Promise<RenderGradient> {
    if (target.length !== this.target.length) throw new RangeError(`target has ${target.length} numbers, expected ${this.target.length}`);
    this.target.set(target);
    await this.run(pose, params, target);
    return this.setup.chain(pose, out);
  }

  private async run(pose: Pose, params: RenderParams, target: Float64Array | null): Promise<void> {
    const s = this.setup;
    const kp = s.setParams(params);
    s.project(pose);
    this.geom.set(s.geom);
    Atomics.store(this.counter, 0, 0);
    const msg: RenderBandsRun = { kind: 'run', params: { ...kp, background: Array.from(kp.background) }, nFaces: s.nFaces, withTarget: target !== null };
    await Promise.all(this.pool.threads.map((w) => w.call(msg)));
    const acc = s.acc, L = acc.length, band = this.bandAcc;
    acc.fill(0);
    for (let b = 0; b < s.bands; b++) {
      const o = b * L;
      for (let i = 0; i < L; i++) acc[i] += band[o + i];
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
