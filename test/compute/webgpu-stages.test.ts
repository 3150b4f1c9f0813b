/**
 * Each stage of the WGSL step (server/compute/webgpu/step/) against its f64 CPU twin, on the
 * adapter this machine has (CI: lavapipe), as MuJoCo's MJX tests each stage against C: forward
 * kinematics, CRBA, the LTDL factor's solve, the RNEA's nonlinear effects and the manifold
 * integration, on Solo-12 and on random trees with revolute joints about arbitrary axes and
 * prismatic joints. The whole step (collisions, contact rows, PGS) is compared in
 * webgpu.test.ts. With RSDDP_REQUIRE_WEBGPU=1 a missing adapter fails these tests.
 *
 * Bounds: f32 rounding. Measured maxima on lavapipe (64 samples per case; errors relative to
 * max(1, largest reference entry)): FK 1.2e-7, CRBA 2.0e-7, RNEA 2.3e-7, integration 8.1e-8;
 * the solve's normwise backward error is reported by RSDDP_STAGE_REPORT=1 as well. The bound
 * is 1e-4 for every stage: far above f32 rounding, far below a wrong formula (O(1)).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireDevice, probeAdapter } from '../../server/compute/webgpu/device.ts';
import { packModel } from '../../server/compute/webgpu/model-pack.ts';
import { stepTrace } from '../../server/compute/webgpu/step/common.ts';
import { traceCrba, traceDampedInertia } from '../../server/compute/webgpu/step/crba.ts';
import { traceFactor } from '../../server/compute/webgpu/step/factor.ts';
import { traceIntegrate } from '../../server/compute/webgpu/step/integrate.ts';
import { traceKinematics } from '../../server/compute/webgpu/step/kinematics.ts';
import { traceNle } from '../../server/compute/webgpu/step/rnea.ts';
import { crba } from '../../server/dynamics/crba.ts';
import { createData } from '../../server/dynamics/data.ts';
import { forwardKinematics } from '../../server/dynamics/kinematics.ts';
import { nonLinearEffects } from '../../server/dynamics/rnea.ts';
import { defaultScene } from '../../server/dynamics/scene.ts';
import { Simulator } from '../../server/dynamics/step.ts';
import { JOINT_PRISMATIC } from '../../server/model/joints/index.ts';
import type { Model } from '../../server/model/model.ts';
import { loadRobot } from '../../server/model/robots.ts';
import { mulberry32, randomConfiguration, randomModel, randomVector } from '../helpers/random-model.ts';
import { runTraced } from '../helpers/wgsl-stage.ts';

const required = process.env.RSDDP_REQUIRE_WEBGPU === '1';
const adapter = await probeAdapter();
const gpuDescribe = describe.skipIf(!adapter && !required);

const N = 64;
const TOL = 1e-4;

interface Case { label: string; sim: Simulator }
const cases: Case[] = [
  { label: 'Solo-12', sim: new Simulator(loadRobot('solo12').model, defaultScene(), { dt: 0.01 }) },
  { label: 'random fixed-base tree', sim: new Simulator(withDamping(randomModel(7, 9, false)), { ground: null, boxes: [] }, { dt: 0.01 }) },
  { label: 'random floating tree', sim: new Simulator(randomModel(11, 8, true), { ground: null, boxes: [] }, { dt: 0.01 }) },
];

/** The random trees have no damping: give some, so that H = M + dt D differs from M. */
function withDamping(m: Model): Model {
  const damping = Float64Array.from({ length: m.nv }, (_, i) => 0.1 * (i % 3));
  return { ...m, damping };
}

/** Samples of [q, v] (random configurations, velocities of scale 1). */
function samples(model: Model, seed: number, extra = 0): Float64Array {
  const rng = mulberry32(seed);
  const n = model.nq + model.nv + extra;
  const x = new Float64Array(N * n);
  for (let s = 0; s < N; s++) {
    x.set(randomConfiguration(model, rng), s * n);
    x.set(randomVector(model.nv + extra, rng), s * n + model.nq);
  }
  return x;
}

/** max |gpu - cpu| / max(1, max |cpu|) over the samples (printed with RSDDP_STAGE_REPORT=1). */
function relErr(gpu: Float64Array, cpu: Float64Array, what: string): number {
  let d = 0, m = 1;
  for (let i = 0; i < cpu.length; i++) { d = Math.max(d, Math.abs(gpu[i] - cpu[i])); m = Math.max(m, Math.abs(cpu[i])); }
  if (process.env.RSDDP_STAGE_REPORT === '1') process.stdout.write(`stage ${what}: ${(d / m).toExponential(2)}\n`);
  return d / m;
}

gpuDescribe('WGSL step stages vs their CPU twins', () => {
  let device: GPUDevice;
  beforeAll(async () => { device = (await acquireDevice()).device; }, 60_000);
  afterAll(() => device?.destroy());

  it('the random trees have prismatic joints and axes off the principal ones', () => {
    const m = cases[1].sim.model;
    expect(Array.from(m.jointTypes).includes(JOINT_PRISMATIC)).toBe(true);
    expect(Array.from(m.axes).some((a) => a !== 0 && Math.abs(a) !== 1)).toBe(true);
  });

  for (const { label, sim } of cases) {
    const model = sim.model, nq = model.nq, nv = model.nv, nj = model.njoints;
    const pm = packModel(sim);
    const data = createData(model);

    it(`${label}: forward kinematics (oMi, body velocities)`, async () => {
      const x = samples(model, 1);
      const { out, nout } = await runTraced(device, N, nq + nv, x, (t, xs) => {
        const k = traceKinematics(stepTrace(t, pm), xs.slice(0, nq), xs.slice(nq));
        const o = [];
        for (let j = 1; j < nj; j++) o.push(...k.oR[j], ...k.op[j], ...k.bvl[j], ...k.bva[j]);
        return o;
      });
      const ref = new Float64Array(N * nout);
      for (let s = 0; s < N; s++) {
        const q = x.subarray(s * (nq + nv), s * (nq + nv) + nq), v = x.subarray(s * (nq + nv) + nq, (s + 1) * (nq + nv));
        forwardKinematics(model, data, q, v);
        for (let j = 1; j < nj; j++) {
          ref.set(data.oMi.subarray(12 * j, 12 * j + 12), s * nout + 18 * (j - 1));
          ref.set(data.v.subarray(6 * j, 6 * j + 6), s * nout + 18 * (j - 1) + 12);
        }
      }
      expect(relErr(out, ref, `${label} FK`)).toBeLessThan(TOL);
    }, 300_000);

    it(`${label}: CRBA (M)`, async () => {
      const x = samples(model, 2);
      const { out, nout } = await runTraced(device, N, nq + nv, x, (t, xs) => {
        const s = stepTrace(t, pm);
        return traceCrba(s, traceKinematics(s, xs.slice(0, nq), xs.slice(nq)));
      });
      const ref = new Float64Array(N * nout);
      for (let s = 0; s < N; s++) {
        const M = crba(model, data, x.subarray(s * (nq + nv), s * (nq + nv) + nq));
        // the CPU fills the upper triangle; the trace both
        for (let r = 0; r < nv; r++) for (let c = 0; c < nv; c++) ref[s * nout + r * nv + c] = r <= c ? M[r * nv + c] : M[c * nv + r];
      }
      expect(relErr(out, ref, `${label} CRBA`)).toBeLessThan(TOL);
    }, 300_000);

    it(`${label}: LTDL factor and solve of H = M + dt D (backward error of H x = b in f64)`, async () => {
      const x = samples(model, 3, nv); // [q, v (unused), b]
      const n = nq + 2 * nv;
      const { out } = await runTraced(device, N, n, x, (t, xs) => {
        const s = stepTrace(t, pm);
        const fac = traceFactor(s, traceDampedInertia(s, traceCrba(s, traceKinematics(s, xs.slice(0, nq), xs.slice(nq, nq + nv)))));
        return fac.solve(xs.slice(nq + nv));
      });
      let worst = 0;
      for (let s = 0; s < N; s++) {
        const M = crba(model, data, x.subarray(s * n, s * n + nq));
        const b = x.subarray(s * n + nq + nv, (s + 1) * n), xo = out.subarray(s * nv, (s + 1) * nv);
        // normwise backward error |H x - b| / (|H| |x| + |b|) (infinity norms): what a stable
        // f32 factor and solve bound by a modest multiple of f32's epsilon, whatever H's condition
        let res = 0, normH = 0, normX = 0, normB = 0;
        for (let r = 0; r < nv; r++) {
          let hx = sim.options.dt * model.damping[r] * xo[r], row = Math.abs(sim.options.dt * model.damping[r]);
          for (let c = 0; c < nv; c++) { const h = r <= c ? M[r * nv + c] : M[c * nv + r]; hx += h * xo[c]; row += Math.abs(h); }
          res = Math.max(res, Math.abs(hx - Math.fround(b[r])));
          normH = Math.max(normH, row); normX = Math.max(normX, Math.abs(xo[r])); normB = Math.max(normB, Math.abs(b[r]));
        }
        worst = Math.max(worst, res / (normH * normX + normB));
      }
      if (process.env.RSDDP_STAGE_REPORT === '1') process.stdout.write(`stage ${label} LTDL: ${worst.toExponential(2)}\n`);
      expect(worst).toBeLessThan(TOL);
    }, 300_000);

    it(`${label}: RNEA nonlinear effects`, async () => {
      const x = samples(model, 4);
      const { out, nout } = await runTraced(device, N, nq + nv, x, (t, xs) => {
        const s = stepTrace(t, pm);
        const v = xs.slice(nq);
        return traceNle(s, traceKinematics(s, xs.slice(0, nq), v), v);
      });
      const ref = new Float64Array(N * nout);
      for (let s = 0; s < N; s++) {
        const q = x.subarray(s * (nq + nv), s * (nq + nv) + nq), v = x.subarray(s * (nq + nv) + nq, (s + 1) * (nq + nv));
        ref.set(nonLinearEffects(model, data, q, v), s * nout);
      }
      expect(relErr(out, ref, `${label} RNEA`)).toBeLessThan(TOL);
    }, 300_000);

    it(`${label}: integration on the configuration manifold (Simulator.advance)`, async () => {
      const x = samples(model, 5);
      const { out, nout } = await runTraced(device, N, nq + nv, x, (t, xs) => {
        const r = traceIntegrate(stepTrace(t, pm), xs.slice(0, nq), xs.slice(nq));
        return [...r.qn, ...r.vn];
      });
      const ref = new Float64Array(N * nout);
      const qn = new Float64Array(nq), vn = new Float64Array(nv);
      for (let s = 0; s < N; s++) {
        sim.advance(x.subarray(s * (nq + nv), s * (nq + nv) + nq), x.subarray(s * (nq + nv) + nq, (s + 1) * (nq + nv)), qn, vn);
        ref.set(qn, s * nout); ref.set(vn, s * nout + nq);
      }
      expect(relErr(out, ref, `${label} integrate`)).toBeLessThan(TOL);
    }, 300_000);
  }
});
