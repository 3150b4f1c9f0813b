/**
 * Contact simulation cross-checked against MuJoCo 3.3.8 (mujoco-js, server/peer/mujoco.ts), an
 * engine nobody here wrote: the cube of robots/cube.urdf (1 kg, 0.1 m box collision geometry)
 * dropped on the ground and sliding on it, simulated by both at dt = 1 ms from the same state.
 *
 * What must agree, and why not exactly (numbers seen when the file was written):
 *
 * - Rest height. Ours is hard contact: the cube rests at exactly z = 0.05. MuJoCo's contacts are
 *   soft: a constraint reaches equilibrium at the penetration where its reference acceleration
 *   aref = -k d(r) r balances the weight, with k = 1 / (dmax^2 tc^2 zeta^2) (solref tc = 0.02 s,
 *   zeta = 1; solimp dmax = 0.95) and the impedance d(r) in [0.9, 0.95]. For the elliptic cone
 *   the steady penetration is r = g (1 - d) / (4 d^2 k), the factor 4 being the ratio of the
 *   true Delassus eigenvalue of the four corners pushing together (4/m) to MuJoCo's diagonal
 *   approximation of it (1/m, the translational inverse weight) that scales its regularizer
 *   R = (1 - d)/d * diagApprox: 0.108 mm (checked below to 0.1 %). With the (default)
 *   pyramidal cone: 0.017 mm. Both scale as tc^2 (checked below). Tolerance 0.2 mm.
 * - Slide distance at 1 m/s, mu = 0.5. Ours: exactly the semi-implicit-Euler distance
 *   v0^2/(2 mu g) - v0 dt/2 = 0.101437 m. MuJoCo: 0.101665 (elliptic) / 0.101712 (pyramidal),
 *   0.2-0.3 mm further: its friction is soft too (regularized, velocity-proportional near zero
 *   slip, so the last millimetre/second of sliding decays instead of stopping at once: it comes
 *   to |v| < 1e-3 m/s at 0.23 s, ours at 0.204 s = 1/(mu g)), and its soft normal contact makes the
 *   four corner loads fluctuate (measured deceleration 3.9..5.7 m/s^2 around mu g = 4.905).
 *   Tolerance 1 mm (1 %).
 * - The cone. Ours is the exact (circular) Coulomb cone, MuJoCo's elliptic cone too: sliding
 *   along the diagonal gives the same distance. MuJoCo's pyramidal cone (edges n +- mu t1,
 *   n +- mu t2) only allows mu/sqrt(2) of friction along a diagonal: the box slides sqrt(2)
 *   further (0.1439 m vs 0.1014), which this file checks as a property of the peer.
 * - A tilted drop: both end face-down at the same height, but where (x, y, yaw) depends on the
 *   bounce sequence, which soft and hard impacts make differ (seen 1-2 cm, a few degrees): only
 *   the height and the face-down orientation are compared.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScene } from '../../server/dynamics/scene.ts';
import { Simulator } from '../../server/dynamics/step.ts';
import { loadRobot } from '../../server/model/robots.ts';
import type { ContactScene } from '../../server/peer/mjcf.ts';
import { mujocoFromUrdf, type PeerModel } from '../../server/peer/mujoco.ts';
import { REPO_ROOT } from '../../bench/mujoco-scene.ts';
import path from 'node:path';

const DT = 1e-3;
const MU = 0.5;
const G = 9.81;
const CUBE_URDF = readFileSync(path.join(REPO_ROOT, 'robots/cube.urdf'), 'utf8');
const { model } = loadRobot('cube');

function contactScene(cone: 'pyramidal' | 'elliptic', solref?: [number, number]): ContactScene {
  return {
    geoms: [{ link: 'cube', type: 'box', halfSize: [0.05, 0.05, 0.05] }],
    friction: [MU, 0.005, 0.0001],
    cone,
    solref,
  };
}

/** Our simulation from (q0, v0) for n steps: final state. */
function ours(q0: number[], v0: number[], n: number): { q: Float64Array; v: Float64Array; contacts: number } {
  const sim = new Simulator(model, parseScene({ ground: { height: 0, friction: MU } }), { dt: DT });
  const q = Float64Array.from(q0), v = Float64Array.from(v0);
  for (let k = 0; k < n; k++) sim.stepInto(q, v, [], q, v);
  return { q, v, contacts: sim.info.contacts };
}

/** MuJoCo from (q0, v0) for n steps (project coordinates). */
function theirs(peer: PeerModel, q0: number[], v0: number[], n: number) {
  return peer.step(q0, v0, new Float64Array(6), n);
}

const Z_TOL = 2e-4;
const X_TOL = 1e-3;

describe('MuJoCo cross-check: cube dropped and sliding (dt 1 ms)', () => {
  const peers: Partial<Record<'pyramidal' | 'elliptic', PeerModel>> = {};
  beforeAll(async () => {
    peers.pyramidal = await mujocoFromUrdf(CUBE_URDF, { floating: true, timestep: DT, contact: contactScene('pyramidal') });
    peers.elliptic = await mujocoFromUrdf(CUBE_URDF, { floating: true, timestep: DT, contact: contactScene('elliptic') });
  });
  afterAll(() => {
    peers.pyramidal?.dispose();
    peers.elliptic?.dispose();
  });

  it('the peer sees the same cube: mass, box geom, no contact in the air', () => {
    const peer = peers.elliptic!;
    expect(peer.model.ngeom).toBe(2); // ground plane + the cube's box
    const st = theirs(peer, [0, 0, 0.5, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0], 10);
    expect(st.ncon).toBe(0);
    // free fall: MuJoCo's Euler is semi-implicit like ours: z = z0 - g dt^2 n (n + 1) / 2
    expect(st.q[2]).toBeCloseTo(0.5 - (G * DT * DT * 10 * 11) / 2, 12);
    expect(ours([0, 0, 0.5, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0], 10).q[2]).toBeCloseTo(st.q[2], 12);
  });

  it('dropped flat from 0.2 m: same rest pose, heights within 0.2 mm (MuJoCo penetrates)', () => {
    const q0 = [0, 0, 0.25, 0, 0, 0, 1];
    const us = ours(q0, [0, 0, 0, 0, 0, 0], 1500);
    expect(us.contacts).toBe(4);
    expect(us.q[2]).toBeCloseTo(0.05, 9);
    for (const cone of ['pyramidal', 'elliptic'] as const) {
      const mj = theirs(peers[cone]!, q0, [0, 0, 0, 0, 0, 0], 1500);
      expect(mj.ncon).toBe(4);
      expect(Math.hypot(...mj.v)).toBeLessThan(1e-6); // at rest
      const dz = us.q[2] - mj.q[2]; // seen: 1.7e-5 (pyramidal), 1.08e-4 (elliptic)
      expect(dz).toBeGreaterThan(0); // MuJoCo sinks in, we do not
      expect(dz).toBeLessThan(Z_TOL);
      expect(Math.hypot(mj.q[0] - us.q[0], mj.q[1] - us.q[1])).toBeLessThan(1e-9);
      expect(Math.abs(mj.q[6])).toBeGreaterThan(1 - 1e-12);
    }
  });

  it("MuJoCo's rest penetration is its soft-contact equilibrium: g (1-d) / (4 d^2 k), and scales as tc^2", async () => {
    const pen: Record<string, number> = {};
    for (const cone of ['pyramidal', 'elliptic'] as const) {
      for (const tc of [0.02, 0.01]) {
        const peer = await mujocoFromUrdf(CUBE_URDF, { floating: true, timestep: DT, contact: contactScene(cone, [tc, 1]) });
        pen[`${cone}${tc}`] = 0.05 - theirs(peer, [0, 0, 0.25, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0], 1500).q[2];
        peer.dispose();
      }
    }
    // seen: pyramidal 17.07 / 4.27 um, elliptic 107.76 / 27.30 um (ratio 3.95: d(r) varies a little)
    expect(Math.abs(pen['pyramidal0.02'] / pen['pyramidal0.01'] / 4 - 1)).toBeLessThan(0.03);
    expect(Math.abs(pen['elliptic0.02'] / pen['elliptic0.01'] / 4 - 1)).toBeLessThan(0.03);
    // elliptic: solve r = g (1 - d(r)) / (4 d(r)^2 k) with MuJoCo's default solimp
    // (dmin 0.9, dmax 0.95, width 1 mm, midpoint 0.5, power 2)
    for (const tc of [0.02, 0.01]) {
      const k = 1 / (0.95 * 0.95 * tc * tc);
      const imp = (r: number) => {
        const x = Math.min(r / 0.001, 1);
        const y = x <= 0.5 ? x * x / 0.5 : 1 - (1 - x) * (1 - x) / 0.5;
        return 0.9 + y * (0.95 - 0.9);
      };
      let r = 1e-4;
      for (let it = 0; it < 50; it++) { const d = imp(r); r = (G * (1 - d)) / (4 * d * d * k); }
      expect(Math.abs(pen[`elliptic${tc}`] / r - 1)).toBeLessThan(1e-3);
    }
  });

  it('tilted drop: both come to rest face-down at the same height (0.2 mm)', () => {
    const s = Math.sin(0.3), c = Math.cos(0.3);
    const q0 = [0, 0, 0.25, 0.6 * s, 0.8 * s, 0, c];
    const us = ours(q0, [0, 0, 0, 0, 0, 0], 2000);
    for (const cone of ['pyramidal', 'elliptic'] as const) {
      const mj = theirs(peers[cone]!, q0, [0, 0, 0, 0, 0, 0], 2000);
      for (const st of [us, mj]) {
        expect(Math.hypot(...st.v)).toBeLessThan(1e-6);
        // face-down: the rotation is about the vertical only (qx = qy = 0)
        expect(Math.hypot(st.q[3], st.q[4])).toBeLessThan(1e-6);
      }
      expect(Math.abs(us.q[2] - mj.q[2])).toBeLessThan(Z_TOL);
    }
  });

  it('sliding at 1 m/s (mu 0.5): slide distances agree within 1 mm; ours is the closed form', () => {
    const q0 = [0, 0, 0.05, 0, 0, 0, 1];
    const v0 = [1, 0, 0, 0, 0, 0];
    const us = ours(q0, v0, 1000);
    expect(Math.hypot(...us.v)).toBeLessThan(1e-6);
    const closedForm = 1 / (2 * MU * G) - DT / 2;
    expect(Math.abs(us.q[0] - closedForm)).toBeLessThan(1e-5); // seen: 0.1014368
    for (const cone of ['pyramidal', 'elliptic'] as const) {
      const mj = theirs(peers[cone]!, q0, v0, 1000);
      expect(Math.hypot(...mj.v)).toBeLessThan(1e-6);
      const dx = mj.q[0] - us.q[0]; // seen: 2.8e-4 (pyramidal), 2.3e-4 (elliptic)
      expect(Math.abs(dx)).toBeLessThan(X_TOL);
      expect(Math.abs(mj.q[1])).toBeLessThan(1e-9);
      expect(Math.abs(mj.q[2] - us.q[2])).toBeLessThan(Z_TOL);
    }
  });

  it('sliding along the diagonal: same distance as along x for us and the elliptic cone; the pyramid slides sqrt(2) further', () => {
    const q0 = [0, 0, 0.05, 0, 0, 0, 1];
    const v0 = [Math.SQRT1_2, Math.SQRT1_2, 0, 0, 0, 0];
    const us = ours(q0, v0, 1000);
    const dUs = Math.hypot(us.q[0], us.q[1]);
    expect(Math.abs(dUs - ours(q0, [1, 0, 0, 0, 0, 0], 1000).q[0])).toBeLessThan(1e-9); // isotropic cone
    const ell = theirs(peers.elliptic!, q0, v0, 1000);
    const dEll = Math.hypot(ell.q[0], ell.q[1]); // seen: 0.10219
    expect(Math.abs(dEll - dUs)).toBeLessThan(X_TOL);
    const pyr = theirs(peers.pyramidal!, q0, v0, 1000);
    const dPyr = Math.hypot(pyr.q[0], pyr.q[1]); // seen: 0.14394
    expect(Math.abs(dPyr / dUs / Math.SQRT2 - 1)).toBeLessThan(0.02);
  });
});
