import { afterAll, describe, expect, it } from 'vitest';
import { renderTarget, runFitJob, type FitJob } from '../../server/perception/fit-job.ts';
import { FitThreads } from '../../server/perception/fit-threads.ts';
import { decodePng } from '../../server/rendering/png-decode.ts';
import { poseProblem } from '../../server/rendering/problems.ts';

const truth = { rotation: [0.4, -0.6, 0.3], translation: [0, 0, 0] };
const job = (over: Partial<FitJob> = {}): FitJob => ({
  object: 'cube', size: 32, method: 'perturbed', iterations: 30, seed: 1, samples: 8, noise: 'gaussian', translation: false,
  target: renderTarget('cube', over.size ?? 32, over.truth ?? truth), truth, init: { rotation: [0.55, -0.45, 0.2], translation: [0, 0, 0] }, imageEvery: 10, ...over,
});

const threads = new FitThreads();
afterAll(() => threads.close());

describe('a fit method run (server/perception)', () => {
  it('streams every iteration with the pose it evaluated and a render every imageEvery iterations and at the last', async () => {
    const its: { i: number; png: string | null; rot: number[] }[] = [];
    const r = await runFitJob(job(), (it) => its.push({ i: it.record.iteration, png: it.png, rot: it.pose.rotation }));
    expect(its.map((x) => x.i)).toEqual([...Array(30).keys()]);
    expect(its.filter((x) => x.png).map((x) => x.i)).toEqual([0, 10, 20, 29]);
    expect(its[0].rot).toEqual([0.55, -0.45, 0.2]); // the first evaluation is at the initial pose
    expect(decodePng(Buffer.from(its[29].png!, 'base64')).width).toBe(32);
    expect(r.telemetry).toHaveLength(30);
    expect(r.cancelled).toBe(false);
    // the returned pose is the evaluated pose of lowest loss
    const best = r.telemetry.reduce((a, b) => (b.loss < a.loss ? b : a));
    expect(r.bestLoss).toBe(best.loss);
    expect(r.rotation).toEqual(its[best.iteration].rot);
  });

  it('on a worker thread gives the same numbers as on this thread', async () => {
    const inline = await runFitJob(job({ method: 'softras' }), () => {});
    const seen: number[] = [];
    const threaded = await threads.run(job({ method: 'softras' }), (it) => seen.push(it.record.iteration));
    expect(threaded.telemetry.map((t) => t.loss)).toEqual(inline.telemetry.map((t) => t.loss));
    expect(threaded.rotation).toEqual(inline.rotation);
    expect(seen).toHaveLength(30);
  });

  it('stops at a cancel with the best pose seen so far', async () => {
    let n = 0;
    const r = await runFitJob(job({ iterations: 200 }), () => { n++; }, () => n >= 7);
    expect(r.cancelled).toBe(true);
    expect(r.iterations).toBe(7);
    expect(r.telemetry).toHaveLength(7);
    expect(r.bestLoss).toBe(Math.min(...r.telemetry.map((t) => t.loss)));
    // a cancel before the first iteration: the initial pose
    const none = await runFitJob(job(), () => {}, () => true);
    expect(none).toMatchObject({ cancelled: true, iterations: 0, rotation: [0.55, -0.45, 0.2] });
    expect(none.errorDeg).toBeCloseTo(none.initialErrorDeg!, 12);
  });

  it('with the translation fitted, the perturbed renderer moves a raised cube\'s height towards the truth (4 problems of the protocol at 20 deg)', async () => {
    // measured (64 px, 300 iterations, problems 0-5 of seed 7): heights 1.96, 2.12, -0.11, 1.65, 2.11, 2.08 for 2 (two of
    // six rotations end 65-90 deg off); SoftRas 1.83, 1.60, -1.05, 1.43, 2.84, 2.03
    let sum = 0;
    for (let k = 0; k < 4; k++) {
      const p = poseProblem(7, k, 20);
      const raised = { rotation: p.truth, translation: [0, 2, 0] };
      const r = await runFitJob(job({ size: 64, iterations: 300, translation: true, truth: raised, target: renderTarget('cube', 64, raised), init: { rotation: p.init, translation: [0, 0, 0] }, imageEvery: 1000 }), () => {});
      sum += Math.abs(r.translation[1] - 2);
    }
    // from 2 units off (the initial translation is the origin) to less than half of it on average
    expect(sum / 4).toBeLessThan(1);
  }, 30_000);
});
