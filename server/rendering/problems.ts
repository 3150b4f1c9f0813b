/**
 * Pose problems as in the rendering paper's protocol: a uniformly random true rotation
 * (Shoemake's uniform quaternion) and an initial rotation at a given angle from it about a
 * uniformly random axis, R_init = R_true exp(theta u). Drawn from the counter-based hash of
 * `noise.ts` under (seed, index): reproducible, and problem k is the same whatever the count.
 */
import { mix32, normalQuantile } from './noise.ts';
import { expSO3, logSO3, mul33 } from './rotation.ts';

export interface PoseProblem {
  index: number;
  /** Axis-angle of the true rotation. */
  truth: number[];
  /** Axis-angle of the initial rotation. */
  init: number[];
  initErrorDeg: number;
}

function uniforms(seed: number, index: number, n: number): number[] {
  const lo = seed >>> 0, hi = Math.floor(seed / 4294967296) >>> 0;
  const base = mix32(mix32(mix32(lo ^ 0x6a09e667) ^ hi) ^ mix32(index ^ 0xbb67ae85));
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((mix32(mix32(base + Math.imul(i + 1, 0x9e3779b9)) ^ 0x3c6ef372) + 0.5) / 4294967296);
  return out;
}

export function poseProblem(seed: number, index: number, initErrorDeg: number): PoseProblem {
  if (!(initErrorDeg >= 0 && initErrorDeg <= 180)) throw new RangeError(`initial error must be in [0, 180] degrees, got ${initErrorDeg}`);
  const u = uniforms(seed, index, 6);
  // Uniform unit quaternion (Shoemake).
  const a = Math.sqrt(1 - u[0]), b = Math.sqrt(u[0]);
  const qx = a * Math.sin(2 * Math.PI * u[1]), qy = a * Math.cos(2 * Math.PI * u[1]);
  const qz = b * Math.sin(2 * Math.PI * u[2]), qw = b * Math.cos(2 * Math.PI * u[2]);
  const R = new Float64Array([
    1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy - qz * qw), 2 * (qx * qz + qy * qw),
    2 * (qx * qy + qz * qw), 1 - 2 * (qx * qx + qz * qz), 2 * (qy * qz - qx * qw),
    2 * (qx * qz - qy * qw), 2 * (qy * qz + qx * qw), 1 - 2 * (qx * qx + qy * qy),
  ]);
  // Uniform axis from three Gaussians.
  const g = [normalQuantile(u[3]), normalQuantile(u[4]), normalQuantile(u[5])];
  const n = Math.hypot(g[0], g[1], g[2]);
  const th = (initErrorDeg * Math.PI) / 180;
  const P = expSO3(g.map((x) => (x / n) * th), new Float64Array(9));
  const Rinit = mul33(R, P, new Float64Array(9));
  return { index, truth: Array.from(logSO3(R, new Float64Array(3))), init: Array.from(logSO3(Rinit, new Float64Array(3))), initErrorDeg };
}
