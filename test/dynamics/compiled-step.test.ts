/**
 * The generated kernels (server/dynamics/compiled/) against the generic loops they unroll,
 * through whole simulations: every state, impulse and linearization must be equal as numbers.
 */
import { describe, expect, it } from 'vitest';
import { choleskyKernels, MAX_CHOLESKY_KERNEL } from '../../server/dynamics/compiled/cholesky-kernel.ts';
import { compileKernel, setCompiledKernels } from '../../server/dynamics/compiled/emit.ts';
import { choleskyInvDiagInPlace, choleskyInvDiagSolveInPlace } from '../../server/math/linalg.ts';
import { mulberry32, randomVector } from '../helpers/random-model.ts';
import { Linearizer } from '../../server/dynamics/step-derivatives.ts';
import { parseScene } from '../../server/dynamics/scene.ts';
import { staticEquilibrium } from '../../server/dynamics/statics.ts';
import { Simulator } from '../../server/dynamics/step.ts';
import { ContactLayout } from '../../server/dynamics/step/layout.ts';
import { loadRobot, posture } from '../../server/model/robots.ts';

function mismatches(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = a.length === b.length ? 0 : 1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (!(a[i] === b[i])) n++;
  return n;
}

/** Runs `run` with the generated kernels on, then off; returns both results. */
function bothWays<T>(run: () => T): [T, T] {
  try {
    setCompiledKernels(true);
    const on = run();
    setCompiledKernels(false);
    return [on, run()];
  } finally {
    setCompiledKernels(true);
  }
}

describe('generated kernels through whole steps', () => {
  it('Solo-12 dropped beside a step, landing and moving under a noisy PD hold: same states, impulses and linearizations', () => {
    const { model, meta } = loadRobot('solo12');
    const scene = parseScene({ ground: { height: 0, friction: 0.9 }, boxes: [{ name: 'step', size: [0.3, 0.4, 0.02], position: [0.3, 0, 0.01], friction: 0.7 }] });
    const [on, off] = bothWays(() => {
      const sim = new Simulator(model, scene, { dt: 0.01 });
      const q = posture(meta, model, 'standing'), v = new Float64Array(model.nv), u = new Float64Array(model.nu);
      const qref = q.slice(7), eq = staticEquilibrium(model, q, meta.contactFrames);
      q[2] += 0.06;
      let rng = 11;
      const rand = () => ((rng = (rng * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
      const states: number[] = [], lambdas: number[] = [], contacts: number[] = [], lin: number[] = [];
      const nx = 2 * model.nv;
      const A = new Float64Array(nx * nx), B = new Float64Array(nx * model.nu);
      const linearizer = new Linearizer(new Simulator(model, scene, { dt: 0.01 }));
      for (let k = 0; k < 50; k++) {
        for (let i = 0; i < 12; i++) u[i] = eq.tau[i] + 2 * (qref[i] - q[7 + i]) - 0.05 * v[6 + i] + 3 * rand();
        u[0] += 0.3 * Math.sin(k); // sway: the base moves over the step edge
        sim.stepInto(q, v, u, q, v);
        states.push(...q, ...v);
        lambdas.push(...sim.lambda.subarray(0, 3 * sim.info.contacts));
        contacts.push(sim.info.contacts);
        if (k % 10 === 3) {
          linearizer.linearize(q, v, u, new Float64Array(model.nq), new Float64Array(model.nv), A, B);
          lin.push(...A, ...B);
        }
      }
      return { states, lambdas, contacts, lin };
    });
    expect(new Set(on.contacts).size).toBeGreaterThan(1); // flight, landing and stance were all stepped
    expect(on.contacts).toEqual(off.contacts);
    expect(mismatches(on.states, off.states)).toBe(0);
    expect(mismatches(on.lambdas, off.lambdas)).toBe(0);
    expect(on.lin.length).toBeGreaterThan(0);
    expect(mismatches(on.lin, off.lin)).toBe(0);
  });
});

describe('generated contact kernels', () => {
  it('a cube landing on a tilted box (contact frames other than the identity): same states and impulses both ways', () => {
    const { model } = loadRobot('cube');
    const scene = parseScene({ ground: null, boxes: [{ name: 'ramp', size: [1, 1, 0.1], position: [0, 0, -0.05], rpy: [0.25, -0.15, 0], friction: 0.6 }] });
    const [on, off] = bothWays(() => {
      const sim = new Simulator(model, scene, { dt: 0.005 });
      const q = Float64Array.from([0.05, -0.02, 0.15, 0.1, 0.05, 0, Math.sqrt(1 - 0.0125)]), v = new Float64Array(model.nv), u = new Float64Array(model.nu);
      const states: number[] = [], lambdas: number[] = [], normalsZ: number[] = [];
      for (let k = 0; k < 120; k++) {
        sim.stepInto(q, v, u, q, v);
        states.push(...q, ...v);
        lambdas.push(...sim.lambda.subarray(0, 3 * sim.info.contacts));
        for (let c = 0; c < sim.info.contacts; c++) normalsZ.push(sim.contacts.normal[3 * c + 2]);
      }
      return { states, lambdas, normalsZ };
    });
    expect(on.normalsZ.length).toBeGreaterThan(0);
    expect(on.normalsZ.every((z) => z < 1 - 1e-3)).toBe(true); // every contact took the rotated-frame path
    expect(mismatches(on.states, off.states)).toBe(0);
    expect(mismatches(on.lambdas, off.lambdas)).toBe(0);
  });

  it("Solo-12's four legs share one compiled function per contact kernel (one copy of the code)", () => {
    const { model } = loadRobot('solo12');
    const sim = new Simulator(model);
    const layout = new ContactLayout(model, sim.data.dofParent, sim.shapeJoint, sim.jointLimits, sim.options.maxContacts);
    for (const field of ['rowsKernel', 'velocityKernel', 'impulseKernel'] as const) {
      const kernels: Array<unknown> = layout[field];
      const feet = new Set(kernels.filter((k, s) => k !== null && model.jointNames[sim.shapeJoint[s]] !== 'root_joint'));
      expect(feet.size, field).toBe(1);
    }
  });
});

describe('generated kernels on other joints', () => {
  it.each([['cube_rail', 0.12, 'resting'], ['cube', 0.2, null]] as const)('%s (prismatic / free-flyer only) falling, landing and pushed: same states both ways', (name, height, postureName) => {
    const { model, meta } = loadRobot(name);
    const [on, off] = bothWays(() => {
      const sim = new Simulator(model, undefined, { dt: 0.005 });
      const q = postureName ? posture(meta, model, postureName) : Float64Array.from([0, 0, 0, 0.2, 0.1, 0, Math.sqrt(0.95)]);
      if (model.floating) q[2] = height; else q[0] = height;
      const v = new Float64Array(model.nv), u = new Float64Array(model.nu);
      if (model.floating) { v[3] = 2; v[1] = 0.3; }
      const states: number[] = [], contacts: number[] = [];
      for (let k = 0; k < 120; k++) {
        if (model.nu > 0) u[0] = 5 * Math.sin(0.2 * k);
        sim.stepInto(q, v, u, q, v);
        states.push(...q, ...v);
        contacts.push(sim.info.contacts);
      }
      return { states, contacts };
    });
    expect(Math.max(...on.contacts)).toBeGreaterThan(0);
    expect(on.contacts).toEqual(off.contacts);
    expect(mismatches(on.states, off.states)).toBe(0);
  });
});

describe('generated Cholesky kernels', () => {
  it('factor and solve equal linalg.ts loops for every unrolled size, and refuse what the loop refuses', () => {
    const rng = mulberry32(5);
    for (let n = 1; n <= MAX_CHOLESKY_KERNEL; n++) {
      const k = choleskyKernels(n);
      expect(k).not.toBeNull();
      // A = X X^T + ridge: symmetric positive definite, condition of a Delassus block
      const X = randomVector(n * n, rng), A = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        let s = i === j ? 1e-3 : 0;
        for (let t = 0; t < n; t++) s += X[i * n + t] * X[j * n + t];
        A[i * n + j] = s;
      }
      // in place without a ridge, and from a source matrix into another with one (the polish)
      const A1 = A.slice(), A2 = A.slice(), L3 = new Float64Array(n * n), A4 = A.slice();
      const ridge = 1e-14 * A[0];
      expect(k!.factor(A1, A1, new Float64Array(1))).toBe(true);
      expect(choleskyInvDiagInPlace(A2, n)).toBe(true);
      expect(k!.factor(A, L3, Float64Array.of(ridge))).toBe(true);
      for (let i = 0; i < n; i++) A4[i * n + i] += ridge;
      expect(choleskyInvDiagInPlace(A4, n)).toBe(true);
      const lower = (X: Float64Array) => Array.from(X).filter((_, i) => i % n <= Math.floor(i / n));
      expect(mismatches(lower(A1), lower(A2))).toBe(0);
      expect(mismatches(lower(L3), lower(A4))).toBe(0);
      const b = randomVector(n, rng), b1 = b.slice(), b2 = b.slice();
      k!.solve(A1, b1); choleskyInvDiagSolveInPlace(A2, n, b2);
      expect(mismatches(b1, b2)).toBe(0);
      const bad = A.slice(); bad[n * n - 1] = -1;
      expect(k!.factor(bad.slice(), bad.slice(), new Float64Array(1))).toBe(choleskyInvDiagInPlace(bad.slice(), n));
    }
    expect(choleskyKernels(MAX_CHOLESKY_KERNEL + 3)).toBeNull();
  });
});

describe('kernel compilation', () => {
  it('one function per distinct source (warm kernels are shared), a different source gets its own', () => {
    const a = compileKernel<(x: Float64Array) => void>('k', ['x'], 'x[0] += 1;');
    const b = compileKernel<(x: Float64Array) => void>('k', ['x'], 'x[0] += 1;');
    const c = compileKernel<(x: Float64Array) => void>('k', ['x'], 'x[0] += 2;');
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    const x = new Float64Array(1);
    a!(x); c!(x);
    expect(x[0]).toBe(3);
    expect(compileKernel('k', ['x'], 'x[0] += 1;'.repeat(10_000))).toBeNull(); // too large to optimize
    expect(() => compileKernel('bad name', [], '')).toThrow(/bad kernel name/);
  });
});
