/**
 * The reference the step's Jacobians are checked against: central differences of full, fresh
 * steps (warm start reset each time), A (2nv x 2nv, tangent space) and B (2nv x nu), in the
 * layout of server/dynamics/step-derivatives.ts. `check` sees every step's info (e.g. that the
 * contact count stays the same across the perturbations).
 */
import { difference, integrate } from '../../server/dynamics/lie.ts';
import type { Simulator, StepInfo } from '../../server/dynamics/step.ts';
import type { Model } from '../../server/model/model.ts';

export function centralStepJacobians(model: Model, sim: Simulator, q: Float64Array, v: Float64Array, u: Float64Array, h: number, check?: (info: StepInfo) => void): { A: Float64Array; B: Float64Array } {
  const nv = model.nv, nx = 2 * nv, nu = model.nu;
  const full = (qq: Float64Array, vv: Float64Array, uu: Float64Array) => {
    const qo = new Float64Array(model.nq), vo = new Float64Array(nv);
    sim.resetWarmStart();
    const info = sim.stepInto(qq, vv, uu, qo, vo);
    check?.(info);
    return [qo, vo] as const;
  };
  const [q0] = full(q, v, u);
  const A = new Float64Array(nx * nx), B = new Float64Array(nx * nu);
  const col = (M: Float64Array, ld: number, k: number, p: readonly [Float64Array, Float64Array], m: readonly [Float64Array, Float64Array]) => {
    const d1 = difference(model, q0, p[0], new Float64Array(nv)), d2 = difference(model, q0, m[0], new Float64Array(nv));
    for (let r = 0; r < nv; r++) {
      M[r * ld + k] = (d1[r] - d2[r]) / (2 * h);
      M[(nv + r) * ld + k] = (p[1][r] - m[1][r]) / (2 * h);
    }
  };
  for (let k = 0; k < nx; k++) {
    const dx = new Float64Array(nx);
    const at = (s: number) => {
      dx.fill(0); dx[k] = s * h;
      const qq = integrate(model, q, dx.subarray(0, nv), new Float64Array(model.nq));
      return full(qq, v.map((x, i) => x + dx[nv + i]), u);
    };
    col(A, nx, k, at(1), at(-1));
  }
  for (let k = 0; k < nu; k++) {
    const up = u.slice(), um = u.slice(); up[k] += h; um[k] -= h;
    col(B, nu, k, full(q, v, up), full(q, v, um));
  }
  return { A, B };
}
