/**
 * DDP / iLQR with box-constrained controls: LQR against an independent Riccati recursion,
 * positive-definite regularized Quu, monotone cost, bounds (and a brute-force reference on a
 * tiny boxed LQ problem), double-pendulum swing-up on the Simulator with finite-difference
 * linearization, hooks and cancellation. Also the problem.ts helpers (fdLinearization on a
 * linear system, makeDynamics' tangent operations).
 */
import { describe, expect, it } from 'vitest';
import { ControlRegularization, CostSum, QuadraticCost, StateRegularization } from '../../server/control/cost.ts';
import { DdpSolver, type IterateInfo } from '../../server/control/ddp.ts';
import {
  differenceState, fdLinearization, integrateState, makeDynamics, type Dynamics, type LinearizationProvider,
} from '../../server/control/problem.ts';
import { createData } from '../../server/dynamics/data.ts';
import { forwardKinematics, updateFramePlacement } from '../../server/dynamics/kinematics.ts';
import { Simulator } from '../../server/dynamics/step.ts';
import { choleskyInPlace } from '../../server/math/linalg.ts';
import { frameIndex } from '../../server/model/model.ts';
import { loadRobot, posture } from '../../server/model/robots.ts';
import { gaussian, mulberry32 } from '../helpers/random-model.ts';

// ---- a linear system x+ = A x + B u as a Dynamics (Euclidean: nq = nv = n/2) ----

function linearDynamics(A: Float64Array, B: Float64Array, n: number, m: number): Dynamics & { calls: number } {
  return {
    nq: n / 2, nv: n / 2, nu: m, calls: 0,
    step(x, u, xn) {
      this.calls++;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += A[i * n + j] * x[j];
        for (let a = 0; a < m; a++) s += B[i * m + a] * u[a];
        xn[i] = s;
      }
    },
    integrate(x, dx, out) { for (let i = 0; i < n; i++) out[i] = x[i] + dx[i]; },
    difference(x0, x1, out) { for (let i = 0; i < n; i++) out[i] = x1[i] - x0[i]; },
  };
}

function exactLinearization(A: Float64Array, B: Float64Array, n: number, m: number): LinearizationProvider & { calls: number } {
  return {
    calls: 0,
    linearize(_xs, us, As, Bs) {
      this.calls++;
      for (let t = 0; t < us.length; t++) { As.set(A, t * n * n); Bs.set(B, t * n * m); }
    },
  };
}

// small dense helpers for the independent references
type Mat = number[][];
const mat = (a: ArrayLike<number>, r: number, c: number): Mat => Array.from({ length: r }, (_, i) => Array.from({ length: c }, (_, j) => a[i * c + j]));
const T_ = (a: Mat): Mat => a[0].map((_, j) => a.map((r) => r[j]));
const mul = (a: Mat, b: Mat): Mat => a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));
const add = (a: Mat, b: Mat): Mat => a.map((r, i) => r.map((v, j) => v + b[i][j]));
const scale = (a: Mat, s: number): Mat => a.map((r) => r.map((v) => v * s));
function solve(A: Mat, B: Mat): Mat {
  // Gauss-Jordan with partial pivoting: A X = B
  const n = A.length;
  const M = A.map((r, i) => [...r, ...B[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    const d = M[c][c];
    for (let k = 0; k < M[c].length; k++) M[c][k] /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c];
      for (let k = 0; k < M[r].length; k++) M[r][k] -= f * M[c][k];
    }
  }
  return M.map((r) => r.slice(n));
}

/** Finite-horizon discrete Riccati recursion (independent of the solver): optimal us and cost. */
function riccati(A: Mat, B: Mat, Q: Mat, R: Mat, QT: Mat, x0: number[], T: number): { us: number[][]; cost: number } {
  let P = QT;
  const Ks: Mat[] = [];
  for (let t = T - 1; t >= 0; t--) {
    const BtP = mul(T_(B), P);
    const K = solve(add(R, mul(BtP, B)), mul(BtP, A)); // u = −K x
    Ks[t] = K;
    const Acl = add(A, scale(mul(B, K), -1));
    P = add(add(Q, mul(mul(T_(K), R), K)), mul(mul(T_(Acl), P), Acl));
  }
  let x = x0.map((v) => [v]);
  const us: number[][] = [];
  let cost = 0;
  for (let t = 0; t < T; t++) {
    const u = scale(mul(Ks[t], x), -1);
    us.push(u.map((r) => r[0]));
    cost += 0.5 * (mul(mul(T_(x), Q), x)[0][0] + mul(mul(T_(u), R), u)[0][0]);
    x = add(mul(A, x), mul(B, u));
  }
  cost += 0.5 * mul(mul(T_(x), QT), x)[0][0];
  return { us, cost };
}

const n = 4, m = 2;
const A = new Float64Array([1, 0.1, 0, 0, 0, 1, 0.1, 0, 0, 0, 1, 0.1, 0.05, 0, 0, 0.98]);
const B = new Float64Array([0, 0, 0.1, 0, 0, 0.1, 0.2, 0.05]);
const Q = new Float64Array([1, 0.2, 0, 0, 0.2, 1, 0, 0, 0, 0, 0.5, 0, 0, 0, 0, 0.5]);
const R = new Float64Array([0.1, 0.02, 0.02, 0.2]);
const QT = Q.map((v) => 10 * v);
const x0 = [1, -1, 0.5, 2];

function lqrProblem(T: number, bounds?: { lo: number[]; hi: number[] }) {
  const dyn = linearDynamics(A, B, n, m);
  return {
    dyn,
    problem: {
      dynamics: dyn,
      running: new QuadraticCost(n, m, { Q, R }),
      terminal: new QuadraticCost(n, m, { Q: QT }),
      x0,
      T,
      uLower: bounds?.lo,
      uUpper: bounds?.hi,
    },
  };
}

/** Cholesky-based PD check of every knot's regularized Quu (independent factorization). */
function allQuuPD(solver: DdpSolver): boolean {
  const nu = solver.nu;
  for (let t = 0; t < solver.T; t++) {
    const H = Float64Array.from(solver.Quu.subarray(t * nu * nu, (t + 1) * nu * nu));
    for (let i = 0; i < nu; i++) for (let j = 0; j < i; j++) if (Math.abs(H[i * nu + j] - H[j * nu + i]) > 1e-9 * (1 + Math.abs(H[i * nu + j]))) return false;
    if (!choleskyInPlace(H, nu)) return false;
  }
  return true;
}

describe('problem.ts helpers', () => {
  it('fdLinearization recovers A and B of a linear system', () => {
    const dyn = linearDynamics(A, B, n, m);
    const T = 3;
    const rng = mulberry32(1);
    const xs = Array.from({ length: T + 1 }, () => new Float64Array(n).map(() => gaussian(rng)));
    const us = Array.from({ length: T }, () => new Float64Array(m).map(() => gaussian(rng)));
    const As = new Float64Array(T * n * n), Bs = new Float64Array(T * n * m);
    fdLinearization(dyn).linearize(xs, us, As, Bs, { iteration: 0 });
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < n * n; i++) expect(As[t * n * n + i]).toBeCloseTo(A[i], 8);
      for (let i = 0; i < n * m; i++) expect(Bs[t * n * m + i]).toBeCloseTo(B[i], 8);
    }
  });

  it('makeDynamics on Solo-12: x ⊕ (y ⊖ x) = y, step = Simulator.stepInto, fd A close to a coarser fd A', () => {
    const { model, meta } = loadRobot('solo12');
    const sim = new Simulator(model, { ground: null, boxes: [] }, { dt: 0.01 });
    const dyn = makeDynamics(sim);
    expect([dyn.nq, dyn.nv, dyn.nu]).toEqual([19, 18, 12]);
    const rng = mulberry32(9);
    const q = posture(meta, model, 'standing');
    const x = new Float64Array(37); x.set(q);
    const d1 = new Float64Array(36).map(() => 0.7 * gaussian(rng));
    const y = new Float64Array(37);
    integrateState(model, x, d1, y);
    const d = new Float64Array(36);
    dyn.difference(x, y, d);
    for (let i = 0; i < 36; i++) expect(d[i]).toBeCloseTo(d1[i], 10);
    const z = new Float64Array(37);
    dyn.integrate(x, d, z);
    for (let i = 0; i < 37; i++) expect(z[i]).toBeCloseTo(y[i], 10);
    differenceState(model, y, y, d);
    expect(Math.max(...Array.from(d, Math.abs))).toBeLessThan(1e-12);
    // step against the simulator
    const u = new Float64Array(12).map(() => gaussian(rng));
    const xn = new Float64Array(37);
    dyn.step(y, u, xn);
    const ref = new Simulator(model, { ground: null, boxes: [] }, { dt: 0.01 }).step(y, u);
    for (let i = 0; i < 37; i++) expect(xn[i]).toBeCloseTo(ref[i], 12);
    // free fall, no contact: smooth, so two finite-difference steps agree
    const As1 = new Float64Array(36 * 36), Bs1 = new Float64Array(36 * 12);
    const As2 = new Float64Array(36 * 36), Bs2 = new Float64Array(36 * 12);
    fdLinearization(dyn, { h: 1e-6 }).linearize([y, xn], [u], As1, Bs1, { iteration: 0 });
    fdLinearization(dyn, { h: 1e-4 }).linearize([y, xn], [u], As2, Bs2, { iteration: 0 });
    let e = 0;
    for (let i = 0; i < As1.length; i++) e = Math.max(e, Math.abs(As1[i] - As2[i]));
    for (let i = 0; i < Bs1.length; i++) e = Math.max(e, Math.abs(Bs1[i] - Bs2[i]));
    expect(e).toBeLessThan(1e-5);
  });
});

describe('DdpSolver on LQR', () => {
  it('converges in one iteration plus a confirming one to the Riccati solution (μ = 0)', async () => {
    const T = 20;
    const { problem } = lqrProblem(T);
    const solver = new DdpSolver(problem, { regInit: 0, regMin: 0 });
    const lin = exactLinearization(A, B, n, m);
    const res = await solver.solve(Array.from({ length: T }, () => [0, 0]), { linearization: lin, maxIterations: 10 });
    const ref = riccati(mat(A, n, n), mat(B, n, m), mat(Q, n, n), mat(R, m, m), mat(QT, n, n), x0, T);
    expect(res.converged).toBe(true);
    expect(res.iterations).toBe(2);
    expect(res.telemetry[0].accepted).toBe(true);
    expect(res.telemetry[0].stepLength).toBe(1);
    // the quadratic model is exact: actual = expected improvement
    expect(res.telemetry[0].actualImprovement).toBeCloseTo(res.telemetry[0].expectedImprovement, 9);
    expect(res.telemetry[1].converged).toBe(true);
    expect(res.cost).toBeCloseTo(ref.cost, 10);
    for (let t = 0; t < T; t++) for (let a = 0; a < m; a++) expect(res.us[t][a]).toBeCloseTo(ref.us[t][a], 9);
    expect(lin.calls).toBe(2);
  });

  it('with the default options (μ0 = 1e-6, both regularization modes) it converges within 3 iterations to the same solution', async () => {
    const T = 20;
    const ref = riccati(mat(A, n, n), mat(B, n, m), mat(Q, n, n), mat(R, m, m), mat(QT, n, n), x0, T);
    for (const regularization of ['control', 'state'] as const) {
      const { problem } = lqrProblem(T);
      const solver = new DdpSolver(problem, { regularization });
      const res = await solver.solve(Array.from({ length: T }, () => [0.3, -0.2]), {
        linearization: exactLinearization(A, B, n, m),
        onIterate: () => { expect(allQuuPD(solver)).toBe(true); },
      });
      expect(res.converged).toBe(true);
      expect(res.iterations).toBeLessThanOrEqual(3);
      expect(Math.abs(res.cost - ref.cost) / ref.cost).toBeLessThan(1e-9);
      for (let t = 0; t < T; t++) for (let a = 0; a < m; a++) expect(res.us[t][a]).toBeCloseTo(ref.us[t][a], 4);
    }
  });

  it('tight bounds: the solution equals a brute-force enumeration of the condensed QP; bounds respected', async () => {
    const T = 4;
    const lo = [-2, -1.5], hi = [1.5, 2];
    const { problem } = lqrProblem(T, { lo, hi });
    const solver = new DdpSolver(problem);
    const lin = exactLinearization(A, B, n, m);
    const costs: number[] = [];
    const res = await solver.solve(Array.from({ length: T }, () => [0, 0]), {
      linearization: lin,
      onIterate: (it) => {
        if (it.accepted) costs.push(it.cost);
        for (const u of it.us) for (let a = 0; a < m; a++) {
          expect(u[a]).toBeGreaterThanOrEqual(lo[a]);
          expect(u[a]).toBeLessThanOrEqual(hi[a]);
        }
        expect(allQuuPD(solver)).toBe(true);
      },
    });
    expect(res.converged).toBe(true);

    // condensed QP in U = (u_0..u_{T-1}): x_t = A^t x0 + Σ A^{t-1-s} B u_s
    const N = T * m;
    const Am = mat(A, n, n), Bm = mat(B, n, m);
    const pow: Mat[] = [Am.map((r, i) => r.map((_, j) => (i === j ? 1 : 0)))];
    for (let t = 1; t <= T; t++) pow.push(mul(Am, pow[t - 1]));
    // H = Σ_t Γ_tᵀ Q_t Γ_t + blockdiag(R), g = Σ_t Γ_tᵀ Q_t Φ_t x0
    const H: Mat = Array.from({ length: N }, () => new Array<number>(N).fill(0));
    const g = new Array<number>(N).fill(0);
    for (let a = 0; a < T; a++) for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) H[a * m + i][a * m + j] += R[i * m + j];
    for (let t = 1; t <= T; t++) {
      const Qt = t === T ? mat(QT, n, n) : mat(Q, n, n);
      const Gam: Mat = Array.from({ length: n }, () => new Array<number>(N).fill(0));
      for (let s = 0; s < t; s++) {
        const blk = mul(pow[t - 1 - s], Bm);
        for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) Gam[i][s * m + j] = blk[i][j];
      }
      const phi = mul(pow[t], x0.map((v) => [v]));
      const GtQ = mul(T_(Gam), Qt);
      const h = mul(GtQ, Gam), gg = mul(GtQ, phi);
      for (let i = 0; i < N; i++) { g[i] += gg[i][0]; for (let j = 0; j < N; j++) H[i][j] += h[i][j]; }
    }
    const lb = Array.from({ length: N }, (_, i) => lo[i % m]), ub = Array.from({ length: N }, (_, i) => hi[i % m]);
    let best: { u: number[]; v: number } | null = null;
    let active = 0;
    for (let code = 0; code < 3 ** N; code++) {
      const kind: number[] = [];
      let c = code;
      for (let i = 0; i < N; i++) { kind.push(c % 3); c = Math.floor(c / 3); }
      const u = kind.map((k, i) => (k === 1 ? lb[i] : k === 2 ? ub[i] : 0));
      const free = kind.map((k, i) => (k === 0 ? i : -1)).filter((i) => i >= 0);
      if (free.length) {
        const sol = solve(free.map((i) => free.map((j) => H[i][j])), free.map((i) => [-g[i] - u.reduce((s, v, j) => s + (kind[j] ? H[i][j] * v : 0), 0)]));
        free.forEach((i, a) => { u[i] = sol[a][0]; });
      }
      if (u.some((v, i) => v < lb[i] - 1e-12 || v > ub[i] + 1e-12)) continue;
      const v = u.reduce((s, ui, i) => s + ui * (g[i] + 0.5 * u.reduce((z, uj, j) => z + H[i][j] * uj, 0)), 0);
      if (!best || v < best.v) { best = { u, v }; active = kind.filter((k) => k !== 0).length; }
    }
    expect(best).not.toBeNull();
    expect(active).toBeGreaterThanOrEqual(2); // the bounds matter
    for (let t = 0; t < T; t++) for (let a = 0; a < m; a++) expect(res.us[t][a]).toBeCloseTo(best!.u[t * m + a], 5);
    for (let i = 1; i < costs.length; i++) expect(costs[i]).toBeLessThanOrEqual(costs[i - 1]);
    const bfCost = solver.trueCostOf(Array.from({ length: T }, (_, t) => best!.u.slice(t * m, (t + 1) * m)));
    expect(res.cost).toBeCloseTo(bfCost, 9);
    console.log(`[ddp] boxed LQ (T = ${T}, ${active} of ${N} controls on a bound): ${res.iterations} iterations, cost ${res.cost} vs brute force ${bfCost}`);
  });
});

describe('double-pendulum swing-up (Simulator, finite-difference linearization)', () => {
  const dt = 0.02, T = 75; // 1.5 s
  const { model } = loadRobot('double_pendulum');
  // no ground: the pendulum hangs below its base at z = 0
  const sim = new Simulator(model, { ground: null, boxes: [] }, { dt });
  const dyn = makeDynamics(sim);
  const xUp = [Math.PI, 0, 0, 0];
  const wState = [1, 1, 0.1, 0.1];
  const lim = 2; // N m, below the URDF effort limit (5) so the true dynamics are smooth at the bounds
  const build = () => {
    const running = new CostSum(model)
      .add(new StateRegularization(model, { xRef: xUp, weights: wState }), 1 * dt)
      .add(new ControlRegularization(model.nu), 0.1 * dt);
    const terminal = new CostSum(model).add(new StateRegularization(model, { xRef: xUp, weights: wState }), 100);
    return new DdpSolver({ dynamics: dyn, running, terminal, x0: [0, 0, 0, 0], T, uLower: [-lim, -lim], uUpper: [lim, lim] });
  };

  it('converges within a few dozen iterations to upright; PD Quu, monotone cost, bounds respected', async () => {
    const solver = build();
    const infos: IterateInfo[] = [];
    let pdEverywhere = true;
    let boundsOk = true;
    const t0 = performance.now();
    const res = await solver.solve(Array.from({ length: T }, () => [0, 0]), {
      maxIterations: 60,
      linearization: fdLinearization(dyn),
      onIterate: (it) => {
        infos.push(it);
        if (it.accepted || it.converged) pdEverywhere &&= allQuuPD(solver);
        for (const u of it.us) for (const v of u) boundsOk &&= v >= -lim && v <= lim;
      },
    });
    const wall = performance.now() - t0;
    expect(res.converged).toBe(true);
    expect(res.iterations).toBeLessThanOrEqual(40);
    expect(pdEverywhere).toBe(true);
    expect(boundsOk).toBe(true);
    // the bounds are active somewhere (the swing-up needs more than 2 N m)
    expect(res.us.some((u) => Math.abs(u[0]) === lim || Math.abs(u[1]) === lim)).toBe(true);
    // cost non-increasing over accepted steps, and strictly better than the initial rollout
    const accepted = res.telemetry.filter((t) => t.accepted);
    for (const a of accepted) expect(a.cost).toBeLessThanOrEqual(a.costBefore);
    expect(res.cost).toBeLessThan(res.telemetry[0].costBefore / 100);
    // final state: the terminal weight (100 on angles, 10 on velocities) against running costs of
    // order 1 leaves an error of order (running sensitivity) / 100; measured about 2e-4 rad and
    // 6e-5 rad/s, we allow 1e-2 rad and 0.1 rad/s (0.6 degree)
    const xT = res.xs[T];
    const e = new Float64Array(4);
    differenceState(model, Float64Array.from(xUp), xT, e);
    expect(Math.abs(e[0])).toBeLessThan(1e-2);
    expect(Math.abs(e[1])).toBeLessThan(1e-2);
    expect(Math.abs(e[2])).toBeLessThan(0.1);
    expect(Math.abs(e[3])).toBeLessThan(0.1);
    // the tip is above the base: 0.1 + 0.2 m
    const data = createData(model);
    forwardKinematics(model, data, xT);
    const tip = updateFramePlacement(model, data, frameIndex(model, 'tip'));
    expect(tip[11]).toBeGreaterThan(0.29);
    // the returned trajectory is the true rollout of the returned controls
    expect(solver.trueCostOf(res.us)).toBeCloseTo(res.cost, 10);
    const perIter = infos.map((i) => i.times);
    const mean = (k: keyof IterateInfo['times']) => perIter.reduce((s, t) => s + t[k], 0) / perIter.length;
    console.log(
      `[ddp] swing-up: ${res.iterations} iterations, cost ${infos[0].costBefore.toFixed(2)} -> ${res.cost.toFixed(4)}, ` +
      `final error q ${Math.abs(e[0]).toExponential(1)}/${Math.abs(e[1]).toExponential(1)} rad, v ${Math.abs(e[2]).toExponential(1)}/${Math.abs(e[3]).toExponential(1)} rad/s; ` +
      `mean ms per iteration: linearize ${mean('linearize').toFixed(2)}, costs ${mean('costs').toFixed(2)}, backward ${mean('backward').toFixed(2)}, forward ${mean('forward').toFixed(2)}; total ${wall.toFixed(0)} ms`,
    );
  });

  it('hooks: beforeIteration runs first, invalidateLinearization forces a call, the provider sees the iteration', async () => {
    const solver = build();
    const inner = fdLinearization(dyn);
    const seen: number[] = [];
    const order: string[] = [];
    const provider: LinearizationProvider = {
      async linearize(xs, us, As, Bs, ctx) {
        order.push(`lin${ctx.iteration}`);
        seen.push(ctx.iteration);
        await new Promise((r) => setTimeout(r, 0)); // an asynchronous provider (workers)
        inner.linearize(xs, us, As, Bs, ctx);
      },
    };
    const res = await solver.solve(Array.from({ length: T }, () => [0, 0]), {
      maxIterations: 6,
      linearization: provider,
      beforeIteration: ({ iteration, solver: s }) => { order.push(`before${iteration}`); s.invalidateLinearization(); },
    });
    expect(res.iterations).toBe(6);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]); // invalidated every time, even after rejections
    expect(order.slice(0, 4)).toEqual(['before0', 'lin0', 'before1', 'lin1']);
    expect(solver.lastAccepted().cost).toBe(res.cost);
    expect(solver.cost).toBe(res.cost);
  });

  it('cancellation: aborting returns the best trajectory so far with cancelled: true', async () => {
    const solver = build();
    const ac = new AbortController();
    const costs: number[] = [];
    const res = await solver.solve(Array.from({ length: T }, () => [0, 0]), {
      maxIterations: 50,
      linearization: fdLinearization(dyn),
      signal: ac.signal,
      onIterate: (it) => { costs.push(it.cost); if (it.iteration === 2) ac.abort(); },
    });
    expect(res.cancelled).toBe(true);
    expect(res.converged).toBe(false);
    expect(res.status).toBe('cancelled');
    expect(res.iterations).toBe(3);
    expect(res.cost).toBe(costs[2]);
    expect(res.cost).toBeLessThanOrEqual(Math.min(...costs));
    expect(solver.trueCostOf(res.us)).toBeCloseTo(res.cost, 10);

    const pre = new AbortController();
    pre.abort();
    const res0 = await build().solve(Array.from({ length: T }, () => [0, 0]), { linearization: fdLinearization(dyn), signal: pre.signal });
    expect(res0.cancelled).toBe(true);
    expect(res0.iterations).toBe(0);
    expect(res0.telemetry).toHaveLength(0);
    expect(res0.xs[T][0]).toBe(0); // the initial rollout: hanging still
  });
});

describe('DdpSolver input checks', () => {
  it('rejects bad dimensions, bounds and terminal control terms', () => {
    const { problem } = lqrProblem(5);
    expect(() => new DdpSolver({ ...problem, T: 0 })).toThrow(/T must be/);
    expect(() => new DdpSolver({ ...problem, x0: [1, 2] })).toThrow(/x0/);
    expect(() => new DdpSolver({ ...problem, uLower: [1, 1], uUpper: [0, 2] })).toThrow(/uLower/);
    expect(() => new DdpSolver({ ...problem, running: [problem.running, problem.running] })).toThrow(/running/);
    const { model } = loadRobot('double_pendulum');
    const dyn = makeDynamics(new Simulator(model, { ground: null, boxes: [] }));
    const bad = new CostSum(model).add(new ControlRegularization(model.nu));
    expect(() => new DdpSolver({ dynamics: dyn, running: bad, terminal: bad, x0: [0, 0, 0, 0], T: 3 })).toThrow(/terminal/);
  });
});
