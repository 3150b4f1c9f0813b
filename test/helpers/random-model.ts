/**
 * Random kinematic trees built directly as Model objects (no URDF), so the dynamics identities
 * are tested independently of the parser. Deterministic given a seed.
 */
import { JOINT_FREE, JOINT_PRISMATIC, JOINT_REVOLUTE, type Frame, type Model } from '../../server/model/model.ts';
import { axisAngleToRot } from '../../server/model/spatial.ts';
import { mulberry32 } from '../../shared/mulberry32.ts';

export { mulberry32 };

export function gaussian(rng: () => number): number {
  const u = Math.max(rng(), 1e-12), v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function randomModel(seed: number, nMoving: number, floating: boolean): Model {
  const rng = mulberry32(seed);
  const nj = nMoving + 1 + (floating ? 1 : 0);
  const jointTypes = new Int32Array(nj), parents = new Int32Array(nj);
  const idxQ = new Int32Array(nj), idxV = new Int32Array(nj), nqs = new Int32Array(nj), nvs = new Int32Array(nj);
  const P = new Float64Array(12 * nj), axes = new Float64Array(3 * nj), inertias = new Float64Array(10 * nj);
  parents[0] = -1;
  let nq = 0, nv = 0;
  const names = ['universe'];
  const frames: Frame[] = [];
  for (let j = 1; j < nj; j++) {
    const free = floating && j === 1;
    jointTypes[j] = free ? JOINT_FREE : rng() < 0.8 ? JOINT_REVOLUTE : JOINT_PRISMATIC;
    // floating: every body hangs below the free-flyer; fixed: several roots on the universe allowed
    parents[j] = j === 1 ? 0 : floating ? 1 + Math.floor(rng() * (j - 1)) : Math.floor(rng() * j);
    nqs[j] = free ? 7 : 1; nvs[j] = free ? 6 : 1;
    idxQ[j] = nq; idxV[j] = nv; nq += nqs[j]; nv += nvs[j];
    // random placement
    let ax = gaussian(rng), ay = gaussian(rng), az = gaussian(rng);
    let n = Math.hypot(ax, ay, az);
    axisAngleToRot(ax / n, ay / n, az / n, free ? 0 : (rng() - 0.5) * 2, P, 12 * j);
    if (!free) for (let k = 0; k < 3; k++) P[12 * j + 9 + k] = (rng() - 0.5) * 0.4;
    ax = gaussian(rng); ay = gaussian(rng); az = gaussian(rng); n = Math.hypot(ax, ay, az);
    if (!free) { axes[3 * j] = ax / n; axes[3 * j + 1] = ay / n; axes[3 * j + 2] = az / n; }
    // random inertia: mass, com, and a PD inertia R diag R^T satisfying the triangle inequality
    const m = 0.2 + rng() * 2;
    const d = [0.01 + rng() * 0.05, 0.01 + rng() * 0.05, 0.01 + rng() * 0.05];
    const Rr = new Float64Array(9);
    axisAngleToRot(ax / n, ay / n, az / n, rng() * 3, Rr, 0);
    const I = [0, 0, 0, 0, 0, 0, 0, 0, 0];
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let k = 0; k < 3; k++) I[3 * a + b] += Rr[3 * a + k] * d[k] * Rr[3 * b + k];
    inertias.set([m, (rng() - 0.5) * 0.2, (rng() - 0.5) * 0.2, (rng() - 0.5) * 0.2, I[0], I[4], I[8], I[1], I[2], I[5]], 10 * j);
    names.push(free ? 'root_joint' : `j${j}`);
    const pl = new Float64Array(12); pl.set([1, 0, 0, 0, 1, 0, 0, 0, 1, 0.05 * j, -0.02, 0.1]);
    frames.push({ name: `tip${j}`, kind: 'fixed', parentJoint: j, placement: pl });
  }
  const inf = (k: number, v: number) => new Float64Array(k).fill(v);
  return {
    name: `random${seed}`, source: '<random>', nq, nv, nu: nv - (floating ? 6 : 0), njoints: nj,
    jointNames: names, bodyNames: names.map((x) => `body_${x}`), jointTypes, parents, idxQ, idxV, nqs, nvs,
    continuous: new Uint8Array(nj), jointPlacements: P, axes, inertias,
    lowerPositionLimit: inf(nq, -Infinity), upperPositionLimit: inf(nq, Infinity),
    velocityLimit: inf(nv, Infinity), effortLimit: inf(nv, Infinity), damping: inf(nv, 0), friction: inf(nv, 0),
    gravity: new Float64Array([0, 0, -9.81]), frames, visuals: [], collisions: [], rootInertia: new Float64Array(10), floating,
  };
}

/** Random configuration (unit quaternion for the free-flyer) and vector helpers. */
export function randomConfiguration(model: Model, rng: () => number): Float64Array {
  const q = new Float64Array(model.nq);
  for (let j = 1; j < model.njoints; j++) {
    const iq = model.idxQ[j];
    if (model.jointTypes[j] === JOINT_FREE) {
      for (let k = 0; k < 3; k++) q[iq + k] = gaussian(rng);
      const x = gaussian(rng), y = gaussian(rng), z = gaussian(rng), w = gaussian(rng);
      const n = Math.hypot(x, y, z, w);
      q[iq + 3] = x / n; q[iq + 4] = y / n; q[iq + 5] = z / n; q[iq + 6] = w / n;
    } else {
      q[iq] = (rng() - 0.5) * 4;
    }
  }
  return q;
}

export function randomVector(n: number, rng: () => number, scale = 1): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = scale * gaussian(rng);
  return v;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}
