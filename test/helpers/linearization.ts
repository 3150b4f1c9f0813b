/**
 * A task's initial-guess trajectory and its exact linearization in process: the reference the
 * worker-pool tests compare against bit for bit.
 */
import { ExactLinearization } from '../../server/control/derivative-providers.ts';
import { getTask, resolveParams } from '../../server/control/tasks/index.ts';

export function exactReference(task: string, overrides: Record<string, number | string> = {}) {
  const def = getTask(task);
  const params = resolveParams(def, overrides);
  const built = def.build(params);
  const m = built.model, T = built.T, ndx = 2 * m.nv;
  const xs: Float64Array[] = [built.x0];
  for (let t = 0; t < T; t++) xs.push(built.sim.step(xs[t], built.uInit[t]));
  const us = built.uInit.map((u) => Float64Array.from(u));
  const ref = { A: new Float64Array(T * ndx * ndx), B: new Float64Array(T * ndx * m.nu) };
  new ExactLinearization(built.sim).linearize(xs, us, ref.A, ref.B);
  /** Pool options for this task. */
  const poolOptions = (size: number) => ({ task, params, smoothing: null, T, nx: m.nq + m.nv, ndx, nu: m.nu, size });
  /** A, B in shared memory, as DdpSolver allocates them. */
  const sharedOutputs = () => ({
    A: new Float64Array(new SharedArrayBuffer(8 * T * ndx * ndx)), B: new Float64Array(new SharedArrayBuffer(8 * T * ndx * m.nu)),
  });
  return { params, built, T, xs, us, ref, poolOptions, sharedOutputs };
}
