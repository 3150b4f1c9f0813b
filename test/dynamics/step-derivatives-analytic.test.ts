/**
 * Analytic Jacobians of the contact-free step (AnalyticLinearizer) against central differences
 * of full, fresh steps (tangent space, lie.ts difference), on random airborne states of Solo-12
 * (free-flyer: SE(3) integrator, transport term) and random states of the double pendulum
 * (with and without joint damping), to 1e-6 relative; and against the forward-difference
 * Linearizer on the same states.
 */
import { describe, expect, it } from 'vitest';
import { difference } from '../../server/dynamics/lie.ts';
import { AnalyticLinearizer } from '../../server/dynamics/step-derivatives-analytic.ts';
import { Linearizer } from '../../server/dynamics/step-derivatives.ts';
import { Simulator } from '../../server/dynamics/step.ts';
import { defaultScene, type Scene } from '../../server/dynamics/scene.ts';
import { loadRobot, posture } from '../../server/model/robots.ts';
import { staticEquilibrium } from '../../server/dynamics/statics.ts';
import type { Model } from '../../server/model/model.ts';
import { centralStepJacobians } from '../helpers/central-step.ts';
import { mulberry32 } from '../helpers/random-model.ts';

/** Central differences of full steps (test/helpers/central-step.ts); each step has `contacts` contacts (-1: any) and, with none, no pushing stop. */
const centralReference = (model: Model, sim: Simulator, q: Float64Array, v: Float64Array, u: Float64Array, h: number, contacts = 0) =>
  centralStepJacobians(model, sim, q, v, u, h, (info) => {
    if (contacts >= 0) expect(info.contacts).toBe(contacts);
    if (contacts === 0) expect(info.limits).toBe(0);
  });

function relErr(a: Float64Array, b: Float64Array): number {
  let e = 0, m = 0;
  for (let i = 0; i < a.length; i++) { e = Math.max(e, Math.abs(a[i] - b[i])); m = Math.max(m, Math.abs(b[i])); }
  return e / m;
}

function uniform(rng: () => number, lo: number, hi: number): number { return lo + (hi - lo) * rng(); }

/** A random airborne Solo-12 state: base 2 m up, any orientation, joints within their stops. */
function soloState(model: Model, rng: () => number) {
  const q = new Float64Array(model.nq), v = new Float64Array(model.nv), u = new Float64Array(model.nu);
  q[0] = uniform(rng, -1, 1); q[1] = uniform(rng, -1, 1); q[2] = 2;
  let n = 0;
  for (let i = 3; i < 7; i++) { q[i] = uniform(rng, -1, 1); n += q[i] * q[i]; }
  for (let i = 3; i < 7; i++) q[i] /= Math.sqrt(n);
  for (let i = 7; i < model.nq; i++) q[i] = uniform(rng, -0.9, 0.9);
  for (let i = 0; i < model.nv; i++) v[i] = uniform(rng, -2, 2);
  for (let i = 0; i < model.nu; i++) u[i] = uniform(rng, -2, 2);
  return { q, v, u };
}

function pendulumState(model: Model, rng: () => number) {
  const q = new Float64Array(model.nq), v = new Float64Array(model.nv), u = new Float64Array(model.nu);
  for (let i = 0; i < model.nq; i++) q[i] = uniform(rng, -Math.PI, Math.PI);
  for (let i = 0; i < model.nv; i++) v[i] = uniform(rng, -4, 4);
  for (let i = 0; i < model.nu; i++) u[i] = uniform(rng, -3, 3);
  return { q, v, u };
}

const noGround: Scene = { ground: null, boxes: [] };

const cases = [
  { name: 'Solo-12 in the air', robot: 'solo12', state: soloState, damping: 0, scene: defaultScene() },
  // the pendulum hangs from the origin: no ground (as the swing-up task)
  { name: 'the double pendulum', robot: 'double_pendulum', state: pendulumState, damping: 0, scene: noGround },
  { name: 'the double pendulum with joint damping', robot: 'double_pendulum', state: pendulumState, damping: 0.3, scene: noGround },
];

describe('AnalyticLinearizer', () => {
  for (const c of cases) {
    it(`matches central differences of full steps on ${c.name}`, () => {
      const { model } = loadRobot(c.robot);
      model.damping.fill(c.damping);
      const nv = model.nv, nx = 2 * nv, nu = model.nu;
      const rng = mulberry32(2026);
      for (let trial = 0; trial < 3; trial++) {
        const { q, v, u } = c.state(model, rng);
        const sim = new Simulator(model, c.scene, { dt: 0.01 });
        const A = new Float64Array(nx * nx), B = new Float64Array(nx * nu);
        const qn = new Float64Array(model.nq), vn = new Float64Array(nv);
        new AnalyticLinearizer(sim).linearize(q, v, u, qn, vn, A, B);
        // the nominal step is the simulator's
        const qs = new Float64Array(model.nq), vs = new Float64Array(nv);
        new Simulator(model, c.scene, { dt: 0.01 }).stepInto(q, v, u, qs, vs);
        expect(Array.from(qn)).toEqual(Array.from(qs));
        expect(Array.from(vn)).toEqual(Array.from(vs));
        const ref = centralReference(model, new Simulator(model, c.scene, { dt: 0.01 }), q, v, u, 1e-6);
        if (process.env.DERIV_VERBOSE) console.log(c.name, relErr(A, ref.A), relErr(B, ref.B), relErr(A, Af0(model, c.scene, q, v, u)));
        expect(relErr(A, ref.A)).toBeLessThan(1e-6);
        expect(relErr(B, ref.B)).toBeLessThan(1e-6);
        // and the forward-difference Linearizer agrees to its own accuracy (one-sided, h = 1e-6)
        const Af = new Float64Array(nx * nx), Bf = new Float64Array(nx * nu);
        new Linearizer(new Simulator(model, c.scene, { dt: 0.01 })).linearize(q, v, u, qn, vn, Af, Bf);
        expect(relErr(A, Af)).toBeLessThan(1e-5);
        expect(relErr(B, Bf)).toBeLessThan(1e-5);
      }
    });
  }

});

/** Solo-12 settled on its four feet under a PD hold around the standing posture (as linearize.test.ts). */
function settledSolo() {
  const { model, meta } = loadRobot('solo12');
  const q = posture(meta, model, 'standing');
  const v = new Float64Array(model.nv);
  const qref = q.slice(7);
  const eq = staticEquilibrium(model, q, meta.contactFrames);
  const sim = new Simulator(model, undefined, { dt: 0.01 });
  const u = new Float64Array(model.nu);
  for (let k = 0; k < 60; k++) {
    for (let i = 0; i < 12; i++) u[i] = eq.tau[i] + 2 * (qref[i] - q[7 + i]) - 0.05 * v[6 + i];
    sim.stepInto(q, v, u, q, v);
  }
  return { model, meta, q, v, u, eq };
}

function analytic(model: Model, q: Float64Array, v: Float64Array, u: Float64Array) {
  const nx = 2 * model.nv;
  const lin = new AnalyticLinearizer(new Simulator(model, undefined, { dt: 0.01 }));
  const A = new Float64Array(nx * nx), B = new Float64Array(nx * model.nu);
  lin.linearize(q, v, u, new Float64Array(model.nq), new Float64Array(model.nv), A, B);
  return { lin, A, B };
}

describe('AnalyticLinearizer with contacts and limits (implicit differentiation through the active set)', () => {
  it('matches central differences on Solo-12 standing on four sticking contacts', () => {
    const { model, q, v, u } = settledSolo();
    // off the kink of the gap rule at d = 0 (as linearize.test.ts): 0.2 mm into the slop, where the bias is flat
    q[2] -= 2e-4;
    // and moving a little, so that the velocity-dependent terms are exercised
    for (let i = 0; i < model.nv; i++) v[i] = 0.02 * Math.sin(1.3 * i + 0.4);
    for (let i = 0; i < model.nu; i++) u[i] += 0.3 * Math.cos(0.7 * i);
    const { lin, A, B } = analytic(model, q, v, u);
    expect(lin.activeRows).toBe(12);
    const ref = centralReference(model, new Simulator(model, undefined, { dt: 0.01 }), q, v, u, 1e-6, 4);
    if (process.env.DERIV_VERBOSE) console.log('standing', relErr(A, ref.A), relErr(B, ref.B));
    expect(relErr(A, ref.A)).toBeLessThan(1e-6);
    expect(relErr(B, ref.B)).toBeLessThan(1e-6);
  });

  it('keeps the null gradient of resting contacts exactly: J_S ∂v/∂(v, u) = 0', () => {
    const { model, q, v, u } = settledSolo();
    const { lin } = analytic(model, q, v, u);
    const nv = model.nv, m = lin.activeRows, nc = lin.ncols;
    expect(m).toBe(12);
    let worst = 0, scale = 0;
    for (let a = 0; a < m; a++) {
      for (let c = nv; c < nc; c++) {
        let x = 0;
        for (let r = 0; r < nv; r++) { x += lin.JS[a * nv + r] * lin.X[r * nc + c]; scale = Math.max(scale, Math.abs(lin.X[r * nc + c])); }
        worst = Math.max(worst, Math.abs(x));
      }
    }
    expect(worst / scale).toBeLessThan(1e-13);
  });

  it('matches central differences with separated contacts in the margin (no impulse)', () => {
    const { model, meta } = loadRobot('solo12');
    const q = posture(meta, model, 'standing');
    q[2] += 0.004; // 4 mm above the ground: inside the 1 cm margin, no impact within the step
    const v = new Float64Array(model.nv), u = new Float64Array(model.nu).fill(0.2);
    const { lin, A, B } = analytic(model, q, v, u);
    expect(lin.activeRows).toBe(0);
    const ref = centralReference(model, new Simulator(model, undefined, { dt: 0.01 }), q, v, u, 1e-6, 4);
    expect(relErr(A, ref.A)).toBeLessThan(1e-6);
    expect(relErr(B, ref.B)).toBeLessThan(1e-6);
  });

  it('matches central differences with a joint pushing on its stop (Solo-12 in the air)', () => {
    const { model } = loadRobot('solo12');
    const rng = mulberry32(5);
    const { q, v, u } = soloState(model, rng);
    // FL_HAA (q[7], v[6]) 0.2 mrad past its upper stop 1.2 (inside the 0.5 mrad slop, where the
    // bias is flat), moving and pushed into it
    q[7] = 1.2 + 2e-4; v[6] = 0.5; u[0] = 2;
    const { lin, A, B } = analytic(model, q, v, u);
    expect(lin.activeRows).toBe(1);
    const ref = centralReference(model, new Simulator(model, undefined, { dt: 0.01 }), q, v, u, 1e-6, -1);
    if (process.env.DERIV_VERBOSE) console.log('limit', relErr(A, ref.A), relErr(B, ref.B));
    expect(relErr(A, ref.A)).toBeLessThan(1e-6);
    expect(relErr(B, ref.B)).toBeLessThan(1e-6);
  });

  it('matches central differences with sliding contacts (impulse on the cone boundary)', () => {
    const { model, q, v, u } = settledSolo();
    q[2] -= 2e-4;
    v[0] = 3; v[1] = 1; // the base thrown sideways: the feet slide
    const { lin, A, B } = analytic(model, q, v, u);
    expect(lin.activeRows).toBe(12);
    expect(lin.slidingContacts).toBeGreaterThan(0);
    for (const h of [1e-5, 1e-6]) {
      const ref = centralReference(model, new Simulator(model, undefined, { dt: 0.01 }), q, v, u, h, 4);
      if (process.env.DERIV_VERBOSE) console.log('sliding', lin.slidingContacts, h, relErr(A, ref.A), relErr(B, ref.B));
    }
    const ref = centralReference(model, new Simulator(model, undefined, { dt: 0.01 }), q, v, u, 1e-6, 4);
    expect(relErr(A, ref.A)).toBeLessThan(1e-6);
    expect(relErr(B, ref.B)).toBeLessThan(1e-6);
  });

  it('at an active-set change returns the derivative of the active set the solve found (here: the stop not pushing), one-sided', () => {
    // Solo-12 in the air, FL_HAA 4 mm below its upper stop: the stop's row is in the problem
    // (d <= margin + dt |v|) with the speculative bias d/dt, so it pushes iff the free velocity
    // exceeds d/dt. u_0 (FL_HAA's torque) is set so that the free velocity sits 1e-9 rad/s
    // below that threshold: the stop does not push, and pushing harder on u_0 switches it on.
    const { model } = loadRobot('solo12');
    const { q, v, u } = soloState(model, mulberry32(5));
    const d = 0.004, dt = 0.01;
    q[7] = 1.2 - d; v[6] = 0.4;
    const sim = new Simulator(model, undefined, { dt });
    const vfree = (u0: number) => { u[0] = u0; sim.positionStage(q, v); sim.freeVelocity(v, u); return sim.vfree[6]; };
    const f0 = vfree(0), f1 = vfree(1);
    const ustar = (d / dt - 1e-9 - f0) / (f1 - f0);
    expect(Math.abs(ustar)).toBeLessThan(model.effortLimit[6]);
    u[0] = ustar;
    const { lin, B } = analytic(model, q, v, u);
    expect(lin.activeRows).toBe(0);
    const nv = model.nv, nu = model.nu, h = 1e-6;
    const step = (u0: number) => {
      const uu = u.slice(); uu[0] = u0;
      const s = new Simulator(model, undefined, { dt });
      const qo = new Float64Array(model.nq), vo = new Float64Array(nv);
      const info = s.stepInto(q, v, uu, qo, vo);
      expect(info.limits).toBe(1);
      return { qo, vo };
    };
    const mid = step(ustar), below = step(ustar - h), above = step(ustar + h);
    const column = (a: { qo: Float64Array; vo: Float64Array }, b: { qo: Float64Array; vo: Float64Array }) => {
      const dq = difference(model, a.qo, b.qo, new Float64Array(nv));
      const out = new Float64Array(2 * nv);
      for (let r = 0; r < nv; r++) { out[r] = dq[r] / h; out[nv + r] = (b.vo[r] - a.vo[r]) / h; }
      return out;
    };
    const analyticCol = new Float64Array(2 * nv);
    for (let r = 0; r < 2 * nv; r++) analyticCol[r] = B[r * nu];
    // the backward difference stays on the returned branch (stop inactive): first-order agreement
    expect(relErr(analyticCol, column(below, mid))).toBeLessThan(1e-4);
    // the forward difference crosses into the other branch: the stop holds FL_HAA's velocity
    const forward = column(mid, above);
    expect(Math.abs(forward[nv + 6])).toBeLessThan(1e-3 * Math.abs(analyticCol[nv + 6]));
    expect(relErr(analyticCol, forward)).toBeGreaterThan(0.1);
  });

  for (const robot of ['cube', 'cube_rail']) {
    it(`matches central differences on the ${robot} resting on four corners (rank-deficient active rows)`, () => {
      const { model, meta } = loadRobot(robot);
      const q = posture(meta, model, 'resting'), v = new Float64Array(model.nv), u = new Float64Array(model.nu).fill(0.3);
      q[model.floating ? 2 : 0] -= 2e-4; // 0.2 mm into the slop (the height: q[2] floating, q[0] on the rail)
      const { lin, A, B } = analytic(model, q, v, u);
      // four corners: the solve may load any subset of them (one dof on the rail)
      expect(lin.activeRows).toBeGreaterThanOrEqual(3);
      const ref = centralReference(model, new Simulator(model, undefined, { dt: 0.01 }), q, v, u, 1e-6, 4);
      let scaleA = 0, errB = 0, maxB = 0, refB = 0;
      for (let i = 0; i < A.length; i++) scaleA = Math.max(scaleA, Math.abs(ref.A[i]));
      for (let i = 0; i < B.length; i++) { errB = Math.max(errB, Math.abs(B[i] - ref.B[i])); maxB = Math.max(maxB, Math.abs(B[i])); refB = Math.max(refB, Math.abs(ref.B[i])); }
      if (process.env.DERIV_VERBOSE) console.log(robot, lin.activeRows, relErr(A, ref.A), errB / scaleA, maxB, refB);
      expect(relErr(A, ref.A)).toBeLessThan(1e-6);
      expect(errB / scaleA).toBeLessThan(1e-6);
      // the corners the solve loads lock every dof (the rail's one; the free cube's six: four
      // sticking corners): the physics gives no gradient with respect to v or the force
      // (finite differences: exactly 0), and neither does the null-space projection (no
      // null space left): exactly 0, not 0 to rounding
      expect(lin.lockedDofs).toBe(model.nv);
      expect(refB).toBe(0);
      expect(maxB).toBe(0);
      const nx = 2 * model.nv;
      for (let r = 0; r < nx; r++) for (let c = model.nv; c < nx; c++) expect(A[r * nx + c]).toBe(0);
    });
  }
});

/** The forward-difference Linearizer's A (for the verbose report). */
function Af0(model: Model, scene: Scene, q: Float64Array, v: Float64Array, u: Float64Array): Float64Array {
  const nx = 2 * model.nv, A = new Float64Array(nx * nx);
  new Linearizer(new Simulator(model, scene, { dt: 0.01 })).linearize(q, v, u, new Float64Array(model.nq), new Float64Array(model.nv), A, new Float64Array(nx * model.nu));
  return A;
}
