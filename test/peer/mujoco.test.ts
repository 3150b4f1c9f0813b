/**
 * Checks of the MuJoCo peer harness against closed-form results, before anyone compares our
 * algorithms with it.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mujocoFromUrdf, type PeerModel } from '../../server/peer/mujoco.ts';
import { mujocoBodyInertiaTensor } from '../../server/peer/mujoco-inertia.ts';
import { MJ_OBJ_BODY, MJ_OBJ_GEOM, MJ_OBJ_JOINT, loadModelFromString, loadMujoco, type MujocoModule } from '../../server/peer/mujoco-wasm.ts';
import { quatToMat, rpyToMat } from '../../server/peer/rotations.ts';
import { readUrdf, stripUrdfGeometry } from '../../server/peer/urdf-info.ts';
import {
  DOUBLE_PENDULUM_URDF,
  SOLO12_FEET,
  SOLO12_FOOT_RADIUS,
  SOLO12_STANDING_Q,
  SOLO12_URDF,
  mujocoSolo12ForBench,
} from '../../bench/mujoco-scene.ts';

// ------------------------------------------------------------------------------ helpers

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function randn(r: () => number, n: number, scale = 1): Float64Array {
  return Float64Array.from({ length: n }, () => scale * (2 * r() - 1));
}

function randomUnitQuatXYZW(r: () => number): number[] {
  const q = [2 * r() - 1, 2 * r() - 1, 2 * r() - 1, 2 * r() - 1];
  const n = Math.hypot(...q);
  return q.map((x) => x / n);
}

/** Rotation base -> world from a free-flyer q = [x y z qx qy qz qw ...]. */
function rotXYZW(q: ArrayLike<number>): number[] {
  return quatToMat([q[6], q[3], q[4], q[5]]);
}

const cross = (a: ArrayLike<number>, b: ArrayLike<number>): number[] => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];
const matTVec = (R: number[], v: ArrayLike<number>): number[] => [
  R[0] * v[0] + R[3] * v[1] + R[6] * v[2],
  R[1] * v[0] + R[4] * v[1] + R[7] * v[2],
  R[2] * v[0] + R[5] * v[1] + R[8] * v[2],
];
const mat3Vec = (I: number[], v: ArrayLike<number>): number[] => [
  I[0] * v[0] + I[1] * v[1] + I[2] * v[2],
  I[3] * v[0] + I[4] * v[1] + I[5] * v[2],
  I[6] * v[0] + I[7] * v[1] + I[8] * v[2],
];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Solve A x = b (dense, row-major, Gaussian elimination with partial pivoting). */
function solve(A: Float64Array, b: ArrayLike<number>): Float64Array {
  const n = b.length;
  const M = Float64Array.from(A);
  const x = Float64Array.from(b);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(M[i * n + k]) > Math.abs(M[p * n + k])) p = i;
    if (p !== k) {
      for (let j = 0; j < n; j++) [M[k * n + j], M[p * n + j]] = [M[p * n + j], M[k * n + j]];
      [x[k], x[p]] = [x[p], x[k]];
    }
    for (let i = k + 1; i < n; i++) {
      const f = M[i * n + k] / M[k * n + k];
      for (let j = k; j < n; j++) M[i * n + j] -= f * M[k * n + j];
      x[i] -= f * x[k];
    }
  }
  for (let k = n - 1; k >= 0; k--) {
    let s = x[k];
    for (let j = k + 1; j < n; j++) s -= M[k * n + j] * x[j];
    x[k] = s / M[k * n + k];
  }
  return x;
}

function matVecN(A: Float64Array, x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += A[i * n + j] * x[j];
    y[i] = s;
  }
  return y;
}

/** A one-link URDF: a rigid body with the given inertial (com c, inertia tensor about c). */
function singleBodyUrdf(m: number, c: number[], I: number[]): string {
  // I = [ixx iyy izz ixy ixz iyz]
  return `<?xml version="1.0"?>
<robot name="body">
  <link name="box">
    <inertial>
      <origin xyz="${c.join(' ')}" rpy="0 0 0"/>
      <mass value="${m}"/>
      <inertia ixx="${I[0]}" iyy="${I[1]}" izz="${I[2]}" ixy="${I[3]}" ixz="${I[4]}" iyz="${I[5]}"/>
    </inertial>
    <visual><geometry><box size="0.1 0.2 0.3"/></geometry></visual>
    <collision><geometry><box size="0.1 0.2 0.3"/></geometry></collision>
  </link>
</robot>`;
}

const G = [0, 0, -9.81];
const SOLO_JOINTS = ['FL', 'FR', 'HL', 'HR'].flatMap((l) => ['HAA', 'HFE', 'KFE'].map((j) => `${l}_${j}`));

let mj: MujocoModule;
beforeAll(async () => {
  mj = await loadMujoco();
});

// ------------------------------------------------------------------------------ tests

describe('mujoco-js in Node', () => {
  it('loads the wasm module once and compiles a model from the virtual FS', async () => {
    expect(await loadMujoco()).toBe(mj);
    expect(mj.mj_version()).toBeGreaterThanOrEqual(330);
    const m = loadModelFromString(
      mj,
      '<mujoco><worldbody><body><freejoint/><geom type="sphere" size="0.1"/></body></worldbody></mujoco>',
      'xml',
    );
    expect(m.nq).toBe(7);
    expect(m.nv).toBe(6);
    m.delete();
  });

  it('reports MuJoCo load errors', () => {
    expect(() => loadModelFromString(mj, '<robot name="x"><joint name="j" type="revolute"/></robot>', 'urdf')).toThrow(
      /MuJoCo could not load/,
    );
  });
});

describe('free rigid body: M = blockdiag(m I3, I), nle = [m w x v - m R^T g; w x I w]', () => {
  const m = 3.7;
  const Idiag = [0.21, 0.34, 0.17];
  let peer: PeerModel;
  beforeAll(async () => {
    peer = await mujocoFromUrdf(singleBodyUrdf(m, [0, 0, 0], [...Idiag, 0, 0, 0]), { floating: true });
  });

  it('has a free joint only, body mass and inertia as written', () => {
    expect(peer.nq).toBe(7);
    expect(peer.nv).toBe(6);
    expect(peer.jointNames).toEqual([]);
    const b = mj.mj_name2id(peer.model, MJ_OBJ_BODY, 'box');
    expect(peer.model.body_mass[b]).toBe(m);
    const I = mujocoBodyInertiaTensor(peer.model, b);
    expect(maxAbsDiff(I, [Idiag[0], 0, 0, 0, Idiag[1], 0, 0, 0, Idiag[2]])).toBeLessThan(1e-15);
  });

  it('matches the closed form at random states', () => {
    const r = rng(1);
    for (let trial = 0; trial < 10; trial++) {
      const q = Float64Array.from([...randn(r, 3), ...randomUnitQuatXYZW(r)]);
      const v = randn(r, 6, 3);
      const R = rotXYZW(q);
      const M = peer.massMatrix(q);
      const Mx = new Float64Array(36);
      for (let k = 0; k < 3; k++) {
        Mx[k * 6 + k] = m;
        Mx[(k + 3) * 6 + k + 3] = Idiag[k];
      }
      expect(maxAbsDiff(M, Mx)).toBeLessThan(1e-12);

      const vl = v.subarray(0, 3);
      const w = v.subarray(3, 6);
      const gb = matTVec(R, G);
      const wxv = cross(w, vl);
      const Iw = [Idiag[0] * w[0], Idiag[1] * w[1], Idiag[2] * w[2]];
      const wxIw = cross(w, Iw);
      const nleX = [0, 1, 2].map((k) => m * wxv[k] - m * gb[k]).concat(wxIw);
      expect(maxAbsDiff(peer.nonLinearEffects(q, v), nleX)).toBeLessThan(1e-12);

      // forward dynamics = M^-1 (tau - nle), inverse dynamics = M a + nle
      const tau = randn(r, 6, 5);
      const a = peer.forwardDynamics(q, v, tau);
      const aX = [0, 1, 2, 3, 4, 5].map((k) => (tau[k] - nleX[k]) / Mx[k * 7]);
      expect(maxAbsDiff(a, aX)).toBeLessThan(1e-12);
      expect(maxAbsDiff(peer.inverseDynamics(q, v, a), tau)).toBeLessThan(1e-12);
    }
  });

  it('with an offset centre of mass and products of inertia: spatial-inertia closed form', async () => {
    const c = [0.05, -0.02, 0.11];
    const Ic = [0.21, 0.34, 0.17, 0.013, -0.021, 0.008]; // ixx iyy izz ixy ixz iyz
    const p = await mujocoFromUrdf(singleBodyUrdf(m, c, Ic), { floating: true });
    const I3 = [Ic[0], Ic[3], Ic[4], Ic[3], Ic[1], Ic[5], Ic[4], Ic[5], Ic[2]];
    const r = rng(2);
    for (let trial = 0; trial < 10; trial++) {
      const q = Float64Array.from([...randn(r, 3), ...randomUnitQuatXYZW(r)]);
      const v = randn(r, 6, 3);
      const R = rotXYZW(q);
      // Spatial inertia at the body origin: [[m I, -m [c]x], [m [c]x, Ic - m [c]x^2]].
      const Mx = new Float64Array(36);
      const cx = [0, -c[2], c[1], c[2], 0, -c[0], -c[1], c[0], 0];
      for (let i = 0; i < 3; i++) {
        Mx[i * 6 + i] = m;
        for (let j = 0; j < 3; j++) {
          Mx[i * 6 + 3 + j] = -m * cx[i * 3 + j];
          Mx[(3 + i) * 6 + j] = m * cx[i * 3 + j];
          let cx2 = 0;
          for (let k = 0; k < 3; k++) cx2 += cx[i * 3 + k] * cx[k * 3 + j];
          Mx[(3 + i) * 6 + 3 + j] = I3[i * 3 + j] - m * cx2;
        }
      }
      expect(maxAbsDiff(p.massMatrix(q), Mx)).toBeLessThan(1e-12);
      // nle = v x* (I v) - I [R^T g; 0]
      const vl = v.subarray(0, 3);
      const w = v.subarray(3, 6);
      const h = matVecN(Mx, v);
      const hl = h.subarray(0, 3);
      const ha = h.subarray(3, 6);
      const fl = cross(w, hl);
      const fa = cross(w, ha).map((x, k) => x + cross(vl, hl)[k]);
      const gb = matTVec(R, G);
      const Ig = matVecN(Mx, [...gb, 0, 0, 0]);
      const nleX = [...fl, ...fa].map((x, k) => x - Ig[k]);
      expect(maxAbsDiff(p.nonLinearEffects(q, v), nleX)).toBeLessThan(1e-12);
    }
    p.dispose();
  });
});

describe('fixed-base double pendulum: closed-form planar dynamics', () => {
  const urdf = readFileSync(DOUBLE_PENDULUM_URDF(), 'utf8');
  const info = readUrdf(urdf);
  let peer: PeerModel;
  beforeAll(async () => {
    peer = await mujocoFromUrdf(urdf, { floating: false });
  });

  // Both axes are x: only y-z components and Ixx matter.
  const L1 = info.inertials.get('link1')!;
  const L2 = info.inertials.get('link2')!;
  const j2 = info.joints.find((j) => j.name === 'joint2')!;
  const [m1, m2] = [L1.mass, L2.mass];
  const c1 = L1.xyz;
  const c2 = L2.xyz;
  const p = j2.xyz;
  const I1 = L1.inertia[0] + m1 * (c1[1] ** 2 + c1[2] ** 2);
  const I2 = L2.inertia[0] + m2 * (c2[1] ** 2 + c2[2] ** 2);
  const rotx = (t: number, u: number[]) => [u[1] * Math.cos(t) - u[2] * Math.sin(t), u[1] * Math.sin(t) + u[2] * Math.cos(t)];
  const closedForm = (q: ArrayLike<number>, v: ArrayLike<number>) => {
    const rc2 = rotx(q[1], c2); // R(q2) c2, (y, z)
    const a = m2 * (p[1] * rc2[0] + p[2] * rc2[1]);
    const da = m2 * (p[1] * -rc2[1] + p[2] * rc2[0]);
    const M = [I1 + I2 + m2 * (p[1] ** 2 + p[2] ** 2) + 2 * a, I2 + a, I2 + a, I2];
    // gravity: dV/dq with V = 9.81 sum m z, d z(Rx(t) u)/dt = y(Rx(t) u)
    const y1 = rotx(q[0], c1)[0];
    const pc2 = [0, p[1] + rc2[0], p[2] + rc2[1]];
    const y2 = rotx(q[0], pc2)[0];
    const y2b = rotx(q[0] + q[1], c2)[0];
    const g = [9.81 * (m1 * y1 + m2 * y2), 9.81 * m2 * y2b];
    const nle = [2 * da * v[0] * v[1] + da * v[1] * v[1] + g[0], -da * v[0] * v[0] + g[1]];
    return { M, nle };
  };

  it('imports two hinges in URDF order, masses as written, no armature/damping', () => {
    expect(peer.nq).toBe(2);
    expect(peer.nv).toBe(2);
    expect(peer.jointNames).toEqual(['joint1', 'joint2']);
    expect(mj.mj_id2name(peer.model, MJ_OBJ_JOINT, 0)).toBe('joint1');
    expect(Array.from(peer.model.dof_armature)).toEqual([0, 0]);
    expect(Array.from(peer.model.dof_damping)).toEqual([0, 0]);
    for (const [link, L] of [['link1', L1], ['link2', L2]] as const) {
      const b = mj.mj_name2id(peer.model, MJ_OBJ_BODY, link);
      expect(peer.model.body_mass[b]).toBe(L.mass);
    }
  });

  it('M(q) and C(q,v)v + g(q) match the closed form', () => {
    const r = rng(3);
    for (let trial = 0; trial < 20; trial++) {
      const q = randn(r, 2, Math.PI);
      const v = randn(r, 2, 4);
      const { M, nle } = closedForm(q, v);
      const Mp = peer.massMatrix(q);
      expect(maxAbsDiff(Mp, M)).toBeLessThan(1e-15);
      expect(maxAbsDiff(peer.nonLinearEffects(q, v), nle)).toBeLessThan(1e-13);
      const tau = randn(r, 2, 0.5);
      const a = peer.forwardDynamics(q, v, tau);
      const aX = solve(Float64Array.from(M), [tau[0] - nle[0], tau[1] - nle[1]]);
      expect(maxAbsDiff(a, aX)).toBeLessThan(1e-9);
    }
  });

  it('jointDamping keeps the URDF damping (0.05): a changes by -M^-1 D v', async () => {
    const damped = await mujocoFromUrdf(urdf, { floating: false, jointDamping: true });
    const q = [0.3, -0.7];
    const v = [1.5, -2];
    const a0 = peer.forwardDynamics(q, v, [0, 0]);
    const a1 = damped.forwardDynamics(q, v, [0, 0]);
    const da = solve(peer.massMatrix(q), [-0.05 * v[0], -0.05 * v[1]]);
    expect(maxAbsDiff(a1.map((x, i) => x - a0[i]), da)).toBeLessThan(1e-10);
    damped.dispose();
  });
});

describe('Solo-12 (free-flyer)', () => {
  const urdf = readFileSync(SOLO12_URDF(), 'utf8');
  const info = readUrdf(urdf);
  let peer: PeerModel;
  let fused: PeerModel;
  beforeAll(async () => {
    peer = await mujocoFromUrdf(urdf, { floating: true });
    fused = await mujocoFromUrdf(urdf, { floating: true, fuseStatic: true });
  });

  const randomState = (r: () => number) => {
    const q = Float64Array.from([...randn(r, 3), ...randomUnitQuatXYZW(r), ...randn(r, 12, 2)]);
    const v = randn(r, 18, 2);
    return { q, v };
  };

  it('joint order: URDF depth-first = Pinocchio order, MuJoCo ids agree', () => {
    expect(info.movingJointOrder).toEqual(SOLO_JOINTS);
    expect(peer.jointNames).toEqual(SOLO_JOINTS);
    expect(peer.nq).toBe(19);
    expect(peer.nv).toBe(18);
    expect(mj.mj_id2name(peer.model, MJ_OBJ_JOINT, 0)).toBe('root_joint');
    for (let j = 0; j < 12; j++) expect(mj.mj_id2name(peer.model, MJ_OBJ_JOINT, j + 1)).toBe(SOLO_JOINTS[j]);
  });

  it('every URDF link keeps its mass, centre of mass and inertia tensor exactly', () => {
    let total = 0;
    for (const [link, L] of info.inertials) {
      const b = mj.mj_name2id(peer.model, MJ_OBJ_BODY, link);
      expect(b, link).toBeGreaterThan(0);
      expect(peer.model.body_mass[b], link).toBe(L.mass);
      total += L.mass;
      const ipos = Array.from(peer.model.body_ipos.subarray(3 * b, 3 * b + 3));
      expect(maxAbsDiff(ipos, L.xyz), link).toBeLessThan(1e-15);
      const Rr = rpyToMat(L.rpy);
      const [ixx, iyy, izz, ixy, ixz, iyz] = L.inertia;
      const Iu = [ixx, ixy, ixz, ixy, iyy, iyz, ixz, iyz, izz];
      const Ib = new Array<number>(9).fill(0);
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++)
          for (let k = 0; k < 3; k++) for (let l = 0; l < 3; l++) Ib[3 * i + j] += Rr[3 * i + k] * Iu[3 * k + l] * Rr[3 * j + l];
      // MuJoCo stores principal moments + a quaternion: exact up to the eigen-decomposition.
      expect(maxAbsDiff(mujocoBodyInertiaTensor(peer.model, b), Ib), link).toBeLessThan(1e-17);
    }
    expect(Math.abs(total - 2.50000279)).toBeLessThan(1e-12);
  });

  it('exactly fused model (fixed links merged here) equals the unfused import', () => {
    expect(fused.model.nbody).toBe(14);
    expect(peer.model.nbody).toBe(18);
    const r = rng(4);
    for (let trial = 0; trial < 5; trial++) {
      const { q, v } = randomState(r);
      expect(maxAbsDiff(fused.massMatrix(q), peer.massMatrix(q))).toBeLessThan(1e-14);
      expect(maxAbsDiff(fused.nonLinearEffects(q, v), peer.nonLinearEffects(q, v))).toBeLessThan(1e-12);
    }
  });

  it("MuJoCo 3.3.8's own fusestatic merges FOOT into LOWER_LEG with a wrong centre of mass", () => {
    const stripped = stripUrdfGeometry(urdf).replace(
      /<robot\b[^>]*>/,
      (s) => `${s}<mujoco><compiler fusestatic="true" balanceinertia="false" inertiafromgeom="false"/></mujoco>`,
    );
    const m = loadModelFromString(mj, stripped, 'urdf');
    const b = mj.mj_name2id(m, MJ_OBJ_BODY, 'FL_LOWER_LEG');
    const bf = mj.mj_name2id(fused.model, MJ_OBJ_BODY, 'FL_LOWER_LEG');
    const mine = Array.from(fused.model.body_ipos.subarray(3 * bf, 3 * bf + 3));
    const theirs = Array.from(m.body_ipos.subarray(3 * b, 3 * b + 3));
    // Expected merged com: (0, (m_l y_l + m_f y_f) / (m_l + m_f), ...).
    const yExpected = (0.03070001 * 0.00787644 + 0.00693606 * 0.008) / (0.03070001 + 0.00693606);
    expect(Math.abs(mine[0])).toBeLessThan(1e-15);
    expect(Math.abs(mine[1] - yExpected)).toBeLessThan(1e-15);
    // If this starts failing, mujoco-js has the upstream fix (PR #3250): fusestatic is usable.
    expect(Math.abs(theirs[0] - mine[0]) + Math.abs(theirs[1] - mine[1])).toBeGreaterThan(1e-3);
    m.delete();
  });

  it('M and nle do not depend on the base placement except through gravity (body-frame v)', () => {
    const r = rng(5);
    for (let trial = 0; trial < 5; trial++) {
      const { q, v } = randomState(r);
      const q0 = Float64Array.from(q);
      q0.set([0, 0, 0, 0, 0, 0, 1], 0);
      expect(maxAbsDiff(peer.massMatrix(q), peer.massMatrix(q0))).toBeLessThan(1e-13);
      // C(q, v) v alone = nle - g
      const cv = peer.nonLinearEffects(q, v).map((x, i) => x - peer.generalizedGravity(q)[i]);
      const cv0 = peer.nonLinearEffects(q0, v).map((x, i) => x - peer.generalizedGravity(q0)[i]);
      expect(maxAbsDiff(cv, cv0)).toBeLessThan(1e-12);
    }
  });

  it('generalized gravity on the base = total weight (and its moment) in the base frame', () => {
    const r = rng(6);
    const mtot = 2.50000279;
    for (let trial = 0; trial < 5; trial++) {
      const { q } = randomState(r);
      const g = peer.generalizedGravity(q);
      const gb = matTVec(rotXYZW(q), G);
      expect(maxAbsDiff(g.subarray(0, 3), gb.map((x) => -mtot * x))).toBeLessThan(1e-12);
      // moment about the base origin = c x (m g_b) with c the whole-body centre of mass in
      // the base frame (from MuJoCo's subtree_com of the base body, world frame).
      const d = peer.data;
      const base = mj.mj_name2id(peer.model, MJ_OBJ_BODY, 'base_link');
      const sc = d.subtree_com;
      const cw = [0, 1, 2].map((k) => sc[3 * base + k] - q[k]);
      const c = matTVec(rotXYZW(q), cw);
      const n = cross(c, gb).map((x) => -mtot * x);
      expect(maxAbsDiff(g.subarray(3, 6), n)).toBeLessThan(1e-12);
    }
  });

  it('forward/inverse dynamics are consistent and a = dv/dt of the body-frame velocity', () => {
    const r = rng(7);
    for (let trial = 0; trial < 5; trial++) {
      const { q, v } = randomState(r);
      const tau = randn(r, 18, 1);
      const M = peer.massMatrix(q);
      const nle = peer.nonLinearEffects(q, v);
      const a = peer.forwardDynamics(q, v, tau);
      const aX = solve(M, tau.map((x, i) => x - nle[i]));
      expect(maxAbsDiff(a, aX) / maxAbs(aX)).toBeLessThan(1e-9);
      expect(maxAbsDiff(peer.inverseDynamics(q, v, a), tau)).toBeLessThan(1e-9);
      // finite difference through MuJoCo's own integrator and our state conversion
      const h = 1e-7;
      const saved = peer.model.opt.timestep;
      peer.model.opt.timestep = h;
      const next = peer.step(q, v, tau, 1);
      peer.model.opt.timestep = saved;
      const aFd = next.v.map((x, i) => (x - v[i]) / h);
      expect(maxAbsDiff(aFd, a) / maxAbs(a)).toBeLessThan(1e-5);
    }
  });
});

describe('Solo-12 contact scene for the step benchmark', () => {
  it('feet spheres ~3 mm above the ground in the standing posture, four contacts after settling', async () => {
    const scene = await mujocoSolo12ForBench({ contacts: true });
    const { peer, model, data } = scene;
    peer.setState(SOLO12_STANDING_Q);
    mj.mj_kinematics(model, data);
    for (const foot of SOLO12_FEET) {
      const g = mj.mj_name2id(model, MJ_OBJ_GEOM, `${foot}_sphere`);
      expect(g).toBeGreaterThanOrEqual(0);
      const bottom = data.geom_xpos[3 * g + 2] - SOLO12_FOOT_RADIUS;
      expect(bottom).toBeGreaterThan(0.001);
      expect(bottom).toBeLessThan(0.005);
    }
    scene.restore();
    mj.mj_forward(model, data);
    expect(scene.ncon).toBe(4);
    expect(data.ncon).toBe(4);
    mj.mj_step(model, data);
    expect(data.ncon).toBe(4);
    peer.dispose();
  });
});
