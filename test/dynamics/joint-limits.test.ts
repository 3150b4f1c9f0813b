/**
 * Joint position limits as unilateral rows of the contact step (step.ts, joint-limits.ts):
 * analytic pendulum cases (the stop holds, the reaction balances the load), no effect on a
 * joint moving away from its stop (bit for bit), a stop and four foot contacts in one problem
 * on Solo-12 checked against dense references (G = J H^-1 J^T, v = v_free + H^-1 J^T lambda,
 * complementarity), and MuJoCo's limited hinge as a qualitative peer.
 */
import v8 from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { Simulator } from '../../server/dynamics/step.ts';
import { Linearizer } from '../../server/dynamics/step-derivatives.ts';
import { defaultScene } from '../../server/dynamics/scene.ts';
import { createData } from '../../server/dynamics/data.ts';
import { computeGeneralizedGravity } from '../../server/dynamics/rnea.ts';
import { crba } from '../../server/dynamics/crba.ts';
import { setCompiledKernels } from '../../server/dynamics/compiled/emit.ts';
import { LIMIT_LOWER, LIMIT_UPPER } from '../../server/dynamics/joint-limits.ts';
import { staticEquilibrium } from '../../server/dynamics/statics.ts';
import { parseUrdf } from '../../server/model/urdf.ts';
import { loadRobot, posture } from '../../server/model/robots.ts';
import type { Model } from '../../server/model/model.ts';
import { loadModelFromString, loadMujoco } from '../../server/peer/mujoco-wasm.ts';
import { ContactTracer } from '../../server/planning/contact-trace.ts';
import { getTask } from '../../server/control/tasks/index.ts';
import { resolveParams } from '../../server/control/tasks/types.ts';
import { TrajectorySchema } from '../../shared/protocol.ts';

const LOWER = -0.5, UPPER = 0.8, MASS = 1, ARM = 0.5;
/** A point-like mass on an arm of 0.5 m, hinged about y; q = 0 hangs down. */
const PENDULUM = `<robot name="pendulum"><link name="base"/>
<joint name="hinge" type="revolute"><parent link="base"/><child link="arm"/><origin xyz="0 0 0"/><axis xyz="0 1 0"/>
  <limit lower="${LOWER}" upper="${UPPER}" effort="20" velocity="30"/></joint>
<link name="arm"><inertial><origin xyz="0 0 -${ARM}"/><mass value="${MASS}"/>
  <inertia ixx="0.001" iyy="0.001" izz="0.001" ixy="0" ixz="0" iyz="0"/></inertial></link></robot>`;

const noGround = () => ({ ...defaultScene(), ground: null });
const pendulum = () => parseUrdf(PENDULUM).model;

/** Steps (q, v) under a constant torque; returns the largest violation of the stops. */
function drive(sim: Simulator, q: Float64Array, v: Float64Array, tau: number, steps: number): number {
  const u = Float64Array.of(tau);
  let worst = 0;
  for (let k = 0; k < steps; k++) {
    sim.stepInto(q, v, u, q, v);
    worst = Math.max(worst, q[0] - UPPER, LOWER - q[0]);
  }
  return worst;
}

describe('joint limits: single pendulum', () => {
  for (const [tau, side] of [[5, LIMIT_UPPER], [-8, LIMIT_LOWER], [20, LIMIT_UPPER]] as const) {
    it(`a constant torque of ${tau} N m drives it into its ${side > 0 ? 'lower' : 'upper'} stop: it stays within 1e-9 rad, and at rest the stop's reaction is the load to 1e-6`, () => {
      const model = pendulum();
      for (const dt of [0.01, 0.002]) {
        const sim = new Simulator(model, noGround(), { dt });
        const q = new Float64Array(1), v = new Float64Array(1);
        // the speculative bias closes the gap exactly: no overshoot at all, well below the slop
        const worst = drive(sim, q, v, tau, Math.round(3 / dt));
        expect(worst).toBeLessThan(1e-9);
        const stop = side > 0 ? LOWER : UPPER;
        expect(Math.abs(q[0] - stop)).toBeLessThan(1e-9);
        expect(Math.abs(v[0])).toBeLessThan(1e-9);
        const J = new Int32Array(2), S = new Int8Array(2), F = new Float64Array(2);
        expect(sim.limitForces(J, S, F)).toBe(1);
        expect(J[0]).toBe(1);
        expect(S[0]).toBe(side);
        // at rest: 0 = tau - g(q) + f  =>  f = g(q) - tau (g from the RNEA, independent of the step)
        const g = computeGeneralizedGravity(model, createData(model), q)[0];
        expect(g).toBeCloseTo(MASS * 9.81 * ARM * Math.sin(q[0]), 12);
        const load = g - tau;
        expect(Math.sign(F[0])).toBe(side);
        expect(Math.abs(F[0] - load)).toBeLessThan(1e-6 * Math.abs(load));
      }
    });
  }

  it('a joint moving away from its stop is unaffected: bit-identical to the step without limits, row present or not', () => {
    const model = pendulum();
    const on = new Simulator(model, noGround(), { dt: 0.01 });
    const off = new Simulator(model, noGround(), { dt: 0.01, enforceLimits: false });
    const qa = Float64Array.of(UPPER - 0.004), va = Float64Array.of(-1.5);
    const qb = qa.slice(), vb = va.slice();
    const u = Float64Array.of(0.3);
    let rowsSeen = 0;
    for (let k = 0; k < 30; k++) {
      on.stepInto(qa, va, u, qa, va);
      off.stepInto(qb, vb, u, qb, vb);
      rowsSeen += on.info.limits;
      expect(on.lambda[0]).toBe(0);
      expect(qa[0]).toBe(qb[0]);
      expect(va[0]).toBe(vb[0]);
    }
    expect(rowsSeen).toBeGreaterThan(0); // the stop was within reach, as a row with no impulse
    expect(off.info.limits).toBe(0);
  });

  it('a step with an active stop allocates nothing (as step-alloc.test.ts measures)', () => {
    const sim = new Simulator(pendulum(), noGround(), { dt: 0.01 });
    const q = new Float64Array(1), v = new Float64Array(1), u = Float64Array.of(5);
    drive(sim, q, v, 5, 200);
    const q1 = new Float64Array(1), v1 = new Float64Array(1);
    const J = new Int32Array(2), S = new Int8Array(2), F = new Float64Array(2);
    const call = () => { sim.stepInto(q, v, u, q1, v1); sim.limitForces(J, S, F); };
    const newSpace = () => v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space')!.space_used_size;
    let best = Infinity;
    for (let w = 0; w < 4; w++) {
      for (let i = 0; i < 3000; i++) call();
      const before = newSpace();
      for (let i = 0; i < 3000; i++) call();
      const after = newSpace();
      if (after >= before) best = Math.min(best, (after - before) / 3000);
    }
    expect(sim.info.limits).toBe(1);
    expect(best).toBeLessThan(2);
  });

  it('resting on its stop, the step is insensitive to pushing harder to machine precision (null gradient, as a sticking contact)', () => {
    const sim = new Simulator(pendulum(), noGround(), { dt: 0.01 });
    const q = new Float64Array(1), v = new Float64Array(1);
    drive(sim, q, v, 5, 300);
    const A = new Float64Array(4), B = new Float64Array(2), qn = new Float64Array(1), vn = new Float64Array(1);
    new Linearizer(sim).linearize(q, v, Float64Array.of(5), qn, vn, A, B);
    expect(sim.info.limits).toBe(1);
    // x = (q, v): the stop absorbs a velocity or torque perturbation toward it exactly; a position
    // perturbation is kept (the nominal bias), as for contacts
    // (zero up to the rounding of a difference of states divided by the step h = 1e-6)
    expect(A[0]).toBeCloseTo(1, 9);
    for (const x of [A[1], A[2], A[3], B[0], B[1]]) expect(Math.abs(x)).toBeLessThan(1e-10);
    // away from the stop the torque acts: finite, free-pendulum sensitivity
    new Linearizer(sim).linearize(q, v, Float64Array.of(1), qn, vn, A, B);
    expect(B[1]).toBeGreaterThan(0.01 / 0.26);
  });

  it('limits off: the pendulum swings through its stop', () => {
    const sim = new Simulator(pendulum(), noGround(), { dt: 0.01, enforceLimits: false });
    const q = new Float64Array(1), v = new Float64Array(1);
    expect(drive(sim, q, v, 5, 300)).toBeGreaterThan(0.1);
  });
});

/** Solo-12 with its FL knee stops set `below` and `above` the standing angle. */
function soloWithKneeStops(below: number, above: number): { model: Model; q0: Float64Array; kneeQ: number; kneeV: number; knee: number; u0: Float64Array } {
  const { model: base, meta } = loadRobot('solo12');
  const knee = base.jointNames.indexOf('FL_KFE');
  const lower = base.lowerPositionLimit.slice(), upper = base.upperPositionLimit.slice();
  const q0 = posture(meta, base, 'standing');
  const kneeQ = base.idxQ[knee], kneeV = base.idxV[knee];
  lower[kneeQ] = q0[kneeQ] - below;
  upper[kneeQ] = q0[kneeQ] + above;
  const model: Model = { ...base, lowerPositionLimit: lower, upperPositionLimit: upper };
  const u0 = Float64Array.from(staticEquilibrium(base, q0, meta.contactFrames).tau);
  return { model, q0, kneeQ, kneeV, knee, u0 };
}

/** PD hold about q0 with feed-forward u0, the FL knee's own torque replaced by `kneeTau`. */
function holdControls(model: Model, q: Float64Array, v: Float64Array, q0: Float64Array, u0: Float64Array, kneeU: number, kneeTau: number | null, u: Float64Array): void {
  for (let i = 0; i < model.nu; i++) u[i] = u0[i] + 5 * (q0[7 + i] - q[7 + i]) - 0.1 * v[6 + i];
  if (kneeTau !== null) u[kneeU] = kneeTau;
}

describe('joint limits: Solo-12, a knee stop and four foot contacts in one problem', () => {
  afterEach(() => setCompiledKernels(true));

  it('the knee rests on its stop while the feet stand: G, impulses and complementarity match dense references; compiled = generic', () => {
    const runs: Float64Array[] = [];
    for (const compiled of [true, false]) {
      setCompiledKernels(compiled);
      // a stop 2 mrad on either side of the standing knee angle; the knee unpowered except for
      // a torque pressing it toward the ground-bending side
      const { model, q0, kneeQ, kneeV, u0 } = soloWithKneeStops(0.002, 0.002);
      const sim = new Simulator(model, defaultScene(), { dt: 0.01 });
      const q = q0.slice(), v = new Float64Array(model.nv), u = new Float64Array(model.nu);
      const kneeU = kneeV - 6;
      // FL knee angle is -1.6 standing; pushing it further negative bends it more
      for (let k = 0; k < 150; k++) {
        holdControls(model, q, v, q0, u0, kneeU, -1.0, u);
        sim.stepInto(q, v, u, q, v);
        expect(q[kneeQ]).toBeGreaterThanOrEqual(model.lowerPositionLimit[kneeQ] - 1e-9);
      }
      // the last step by stages, to check it against dense references
      holdControls(model, q, v, q0, u0, kneeU, -1.0, u);
      const nc = sim.positionStage(q, v);
      sim.freeVelocity(v, u);
      const vt = new Float64Array(model.nv);
      sim.contactStage(vt);
      const nl = sim.limits.count, n = 3 * nc + nl, nv = model.nv;
      expect(nc).toBe(4);
      expect(nl).toBe(2); // both stops are within the margin: the lower one pushes, the upper one does not
      const lam = sim.lambda;
      const lowerRow = sim.limits.side[0] === LIMIT_LOWER ? 0 : 1;
      expect(lam[3 * nc + lowerRow]).toBeGreaterThan(0);
      expect(lam[3 * nc + 1 - lowerRow]).toBe(0);
      for (let c = 0; c < nc; c++) expect(lam[3 * c + 2]).toBeGreaterThan(0);
      // dense J (contact rows in their frames from the compact rows, limit rows s e_dof) and H = M
      const Jd = new Float64Array(n * nv);
      if (!compiled) {
        for (let c = 0; c < nc; c++) for (let r = 0; r < 3; r++) {
          for (let t = 0; t < sim.chainLength[c]; t++) Jd[(3 * c + r) * nv + sim.chains[c * nv + t]] = sim.Jc[3 * c * nv + r * nv + t];
        }
      } else {
        // compiled rows do not spell the chains out: the generic run below checks them; here
        // use the dense contact rows the generic run leaves (same configuration, same model)
        setCompiledKernels(false);
        const ref = new Simulator(model, defaultScene(), { dt: 0.01 });
        expect(ref.positionStage(q, v)).toBe(nc);
        for (let c = 0; c < nc; c++) for (let r = 0; r < 3; r++) {
          for (let t = 0; t < ref.chainLength[c]; t++) Jd[(3 * c + r) * nv + ref.chains[c * nv + t]] = ref.Jc[3 * c * nv + r * nv + t];
        }
        setCompiledKernels(true);
        sim.positionStage(q, v); sim.freeVelocity(v, u); sim.contactStage(vt);
      }
      for (let l = 0; l < nl; l++) Jd[(3 * nc + l) * nv + sim.limits.dof[l]] = sim.limits.side[l];
      const M = crba(model, createData(model), q).slice();
      const Hinv = invert(M, nv);
      // G = J H^-1 J^T
      let gmax = 0, gerr = 0;
      for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) {
        let x = 0;
        for (let i = 0; i < nv; i++) for (let j = 0; j < nv; j++) x += Jd[a * nv + i] * Hinv[i * nv + j] * Jd[b * nv + j];
        gmax = Math.max(gmax, Math.abs(x));
        gerr = Math.max(gerr, Math.abs(x - sim.G[a * n + b]));
      }
      expect(gerr).toBeLessThan(1e-10 * gmax);
      // v_next = v_free + H^-1 J^T lambda
      let verr = 0;
      for (let i = 0; i < nv; i++) {
        let x = sim.vfree[i];
        for (let j = 0; j < nv; j++) for (let a = 0; a < n; a++) x += Hinv[i * nv + j] * Jd[a * nv + j] * lam[a];
        verr = Math.max(verr, Math.abs(x - vt[i]));
      }
      expect(verr).toBeLessThan(1e-10);
      // complementarity: sticking feet have zero velocity, the pushing stop zero velocity
      // (with its bias), the other stop a non-negative one
      const sigma = (a: number) => {
        let x = 0;
        for (let i = 0; i < nv; i++) x += Jd[a * nv + i] * vt[i];
        return x + (a >= 3 * nc ? sim.bias[nc + a - 3 * nc] : a % 3 === 2 ? sim.bias[(a / 3) | 0] : 0);
      };
      for (let a = 0; a < 3 * nc; a++) expect(Math.abs(sigma(a))).toBeLessThan(1e-12);
      expect(Math.abs(sigma(3 * nc + lowerRow))).toBeLessThan(1e-12);
      expect(sigma(3 * nc + 1 - lowerRow)).toBeGreaterThanOrEqual(0);
      // limitForces reports the pushing stop only, with its torque
      const J = new Int32Array(4), S = new Int8Array(4), F = new Float64Array(4);
      expect(sim.limitForces(J, S, F)).toBe(1);
      expect(model.jointNames[J[0]]).toBe('FL_KFE');
      expect(S[0]).toBe(LIMIT_LOWER);
      expect(F[0]).toBeCloseTo(lam[3 * nc + lowerRow] / 0.01, 12);
      runs.push(Float64Array.from([...q, ...v, ...vt, ...lam.subarray(0, n)]));
    }
    expect(Array.from(runs[0])).toEqual(Array.from(runs[1]));
  });

  it('knee on its stop, feet sticking: pushing the knee harder changes nothing to machine precision (polish with a stop)', () => {
    const { model, q0, kneeV, u0 } = soloWithKneeStops(0.002, 0.002);
    const sim = new Simulator(model, defaultScene(), { dt: 0.01 });
    const q = q0.slice(), v = new Float64Array(model.nv), u = new Float64Array(model.nu);
    const kneeU = kneeV - 6;
    for (let k = 0; k < 150; k++) {
      holdControls(model, q, v, q0, u0, kneeU, -1.0, u);
      sim.stepInto(q, v, u, q, v);
    }
    holdControls(model, q, v, q0, u0, kneeU, -1.0, u);
    const nx = 2 * model.nv;
    const A = new Float64Array(nx * nx), B = new Float64Array(nx * model.nu);
    new Linearizer(sim).linearize(q, v, u, new Float64Array(model.nq), new Float64Array(model.nv), A, B);
    // the knee's torque and the stop's reaction are the same torque pair on thigh and shank:
    // while the stop pushes and the feet stick, the whole next state ignores the knee torque
    let worst = 0, other = 0;
    for (let r = 0; r < nx; r++) {
      worst = Math.max(worst, Math.abs(B[r * model.nu + kneeU]));
      other = Math.max(other, Math.abs(B[r * model.nu + kneeU + 1])); // FR_HAA: a free joint torque acts
    }
    // measured 7e-9: a few ulps of the state over the step h = 1e-6 (PGS's own 1e-12 residual
    // over h would be ~1e-6; lift-leg's contact-only null gradients are below 5e-7)
    expect(worst).toBeLessThan(1e-7);
    expect(other).toBeGreaterThan(1e-3);
  });

  it('a stop within reach that never pushes changes nothing, bit for bit, contacts and linearization included', () => {
    // the knee held by PD about its standing angle (it swings by -13..+27 mrad while the robot
    // settles), stops 20 mrad below and 35 mrad above: within the 1 cm margin at times (rows
    // are built), never reached
    const { model, q0, u0 } = soloWithKneeStops(0.02, 0.035);
    const on = new Simulator(model, defaultScene(), { dt: 0.01 });
    const off = new Simulator(model, defaultScene(), { dt: 0.01, enforceLimits: false });
    const qa = q0.slice(), va = new Float64Array(model.nv), qb = q0.slice(), vb = new Float64Array(model.nv);
    const u = new Float64Array(model.nu);
    let rows = 0;
    let within: [Float64Array, Float64Array, Float64Array] | null = null;
    for (let k = 0; k < 60; k++) {
      holdControls(model, qa, va, q0, u0, 0, null, u);
      const before: [Float64Array, Float64Array, Float64Array] = [qa.slice(), va.slice(), u.slice()];
      on.stepInto(qa, va, u, qa, va);
      off.stepInto(qb, vb, u, qb, vb);
      rows += on.info.limits;
      if (on.info.limits > 0 && within === null) within = before;
      expect(Array.from(qa)).toEqual(Array.from(qb));
      expect(Array.from(va)).toEqual(Array.from(vb));
    }
    expect(rows).toBeGreaterThan(0);
    const nx = 2 * model.nv;
    const A1 = new Float64Array(nx * nx), B1 = new Float64Array(nx * model.nu), A2 = A1.slice(), B2 = B1.slice();
    const x1 = new Float64Array(model.nq), v1 = new Float64Array(model.nv);
    // at a state whose step has a stop within reach
    const [ql, vl, ul] = within!;
    new Linearizer(on).linearize(ql, vl, ul, x1, v1, A1, B1);
    expect(on.info.limits).toBeGreaterThan(0);
    new Linearizer(off).linearize(ql, vl, ul, x1, v1, A2, B2);
    expect(Array.from(A1)).toEqual(Array.from(A2));
    expect(Array.from(B1)).toEqual(Array.from(B2));
  });
});

describe('joint limits: MuJoCo (limited hinge, default solref) as a qualitative peer', () => {
  it('the pendulum driven into its stop settles at the same angle, with the same reaction', async () => {
    const mj = await loadMujoco();
    const tau = 5;
    const xml = `<mujoco><compiler angle="radian"/>
      <option timestep="0.002" gravity="0 0 -9.81"/>
      <worldbody><body name="arm"><joint name="hinge" type="hinge" axis="0 1 0" limited="true" range="${LOWER} ${UPPER}"/>
        <inertial pos="0 0 -${ARM}" mass="${MASS}" diaginertia="0.001 0.001 0.001"/></body></worldbody></mujoco>`;
    const m = loadModelFromString(mj, xml, 'xml');
    const d = new mj.MjData(m);
    try {
      expect(m.jnt_limited[0]).toBe(1);
      for (let k = 0; k < 1500; k++) { d.qfrc_applied[0] = tau; mj.mj_step(m, d); }
      const qMj = d.qpos[0], fMj = d.qfrc_constraint[0];
      const sim = new Simulator(pendulum(), noGround(), { dt: 0.01 });
      const q = new Float64Array(1), v = new Float64Array(1);
      drive(sim, q, v, tau, 300);
      const J = new Int32Array(2), S = new Int8Array(2), F = new Float64Array(2);
      sim.limitForces(J, S, F);
      // MuJoCo's soft limit settles slightly past the stop (its constraint is a spring-damper);
      // ours holds it exactly: the two stop positions agree within a few mrad
      expect(qMj).toBeGreaterThan(UPPER - 1e-3);
      expect(Math.abs(qMj - q[0])).toBeLessThan(0.01);
      expect(Math.abs(d.qvel[0])).toBeLessThan(1e-6);
      // the reaction torques agree to the gravity change over that penetration
      expect(Math.abs(fMj - F[0])).toBeLessThan(0.02 * Math.abs(F[0]));
    } finally {
      d.delete();
      m.delete();
    }
  });
});

describe('joint limits in the contact trace (server/planning/contact-trace.ts, shared/protocol.ts)', () => {
  it('cube-lift: a knot held at the rail upper stop lists it with its force; knots off the stop list none', () => {
    const def = getTask('cube-lift');
    const params = resolveParams(def, {});
    const tracer = new ContactTracer('cube-lift', params);
    // the cube at rest at its upper stop (2 m) pushed up by 15 N, then at rest mid-rail under 9.81 N
    const traj = { dt: def.build(params).dt, q: [[2], [2], [1], [1]], v: [[0], [0], [0], [0]], u: [[15], [15], [9.81]] };
    const attached = tracer.attach(traj);
    expect(attached.limits).toHaveLength(4);
    for (const k of [0, 1]) expect(attached.limits![k]).toEqual([{ joint: 'lift', side: 'upper', torque: -5.19 }]);
    for (const k of [2, 3]) expect(attached.limits![k]).toEqual([]);
    expect(TrajectorySchema.safeParse(JSON.parse(JSON.stringify(attached))).success).toBe(true);
    expect(TrajectorySchema.safeParse({ ...attached, limits: [[{ joint: 'lift', side: 'up', torque: 1 }]] }).success).toBe(false);
  });
});

/** Dense inverse of an SPD matrix (Gauss-Jordan; a reference, not for hot paths). */
function invert(A: Float64Array, n: number): Float64Array {
  const a = A.slice(), inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]) > Math.abs(a[p * n + c])) p = r;
    for (let k = 0; k < n; k++) {
      [a[c * n + k], a[p * n + k]] = [a[p * n + k], a[c * n + k]];
      [inv[c * n + k], inv[p * n + k]] = [inv[p * n + k], inv[c * n + k]];
    }
    const d = a[c * n + c];
    for (let k = 0; k < n; k++) { a[c * n + k] /= d; inv[c * n + k] /= d; }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r * n + c];
      if (f === 0) continue;
      for (let k = 0; k < n; k++) { a[r * n + k] -= f * a[c * n + k]; inv[r * n + k] -= f * inv[c * n + k]; }
    }
  }
  return inv;
}
