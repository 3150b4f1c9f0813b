/**
 * The physical phenomena of hard frictional contact that the seed paper builds on, reproduced by
 * the Simulator (server/dynamics/step.ts). Each test measures one phenomenon against its closed
 * form and would fail for a soft (penalty) contact, a wrong friction cone or a leaky solver:
 *
 *  - a cube held by the ground under an upward force smaller than its weight does not move AT
 *    ALL, and the derivative of its next height w.r.t. that force is exactly zero (the flat
 *    region of the seed's Fig. 2, which is why gradient-based planners need smoothing);
 *    above the weight it lifts off with dz_next/du = dt^2 / m;
 *  - Coulomb friction: a sliding box decelerates at mu g; on a slope below the friction angle
 *    it sticks, above it slides with g (sin t - mu cos t);
 *  - no drift at rest, and no energy created by contacts;
 *  - Solo-12 stands under static-equilibrium torques + PD, and settles after a 0.3 m drop.
 *
 * Numbers seen when this file was written (dt as in each test) are quoted in the comments.
 */
import { describe, expect, it } from 'vitest';
import { createData, type Data } from '../../server/dynamics/data.ts';
import { kineticEnergy, potentialEnergy } from '../../server/dynamics/energy.ts';
import { forwardKinematics } from '../../server/dynamics/kinematics.ts';
import { parseScene, defaultScene, type Scene } from '../../server/dynamics/scene.ts';
import { staticEquilibrium } from '../../server/dynamics/statics.ts';
import { Simulator } from '../../server/dynamics/step.ts';
import { parseUrdf } from '../../server/model/urdf.ts';
import { type Model } from '../../server/model/model.ts';
import { loadRobot, posture } from '../../server/model/robots.ts';
import { se3Mul } from '../../server/model/spatial.ts';

const G = 9.81;

/** The cube of robots/cube.urdf (1 kg, 0.1 m) on a vertical prismatic rail: u = vertical force (N). */
const CUBE_ON_RAIL_URDF = `<?xml version="1.0"?>
<robot name="cube_on_rail">
  <link name="world"/>
  <joint name="lift" type="prismatic">
    <parent link="world"/><child link="cube"/>
    <origin xyz="0 0 0" rpy="0 0 0"/><axis xyz="0 0 1"/>
    <limit lower="-10" upper="10" effort="1000" velocity="100"/>
  </joint>
  <link name="cube">
    <inertial><origin xyz="0 0 0"/><mass value="1"/>
      <inertia ixx="0.0016666666666666667" iyy="0.0016666666666666667" izz="0.0016666666666666667" ixy="0" ixz="0" iyz="0"/>
    </inertial>
    <collision><origin xyz="0 0 0"/><geometry><box size="0.1 0.1 0.1"/></geometry></collision>
  </link>
</robot>`;

function cubeModel(): Model {
  return loadRobot('cube').model;
}

/** Floating cube resting flat on the ground (centre at 0.05), optionally with a velocity. */
function restingCube(v: number[] = [0, 0, 0, 0, 0, 0]): { q: Float64Array; v: Float64Array } {
  return { q: Float64Array.from([0, 0, 0.05, 0, 0, 0, 1]), v: Float64Array.from(v) };
}

function withGravity(model: Model, g: [number, number, number]): Model {
  return { ...model, gravity: Float64Array.from(g) };
}

function energy(model: Model, data: Data, q: Float64Array, v: Float64Array): number {
  return kineticEnergy(model, data, q, v) + potentialEnergy(model, data, q);
}

/** Unit quaternion [x y z w] of a rotation by `angle` about the unit `axis`. */
function quat(axis: [number, number, number], angle: number): [number, number, number, number] {
  const s = Math.sin(angle / 2);
  return [axis[0] * s, axis[1] * s, axis[2] * s, Math.cos(angle / 2)];
}

/** R^T w for the rotation of quaternion [x y z w] (world vector -> base frame). */
function toBase(qt: ArrayLike<number>, w: [number, number, number]): [number, number, number] {
  const [x, y, z, s] = [qt[0], qt[1], qt[2], qt[3]];
  const R = [
    1 - 2 * (y * y + z * z), 2 * (x * y - s * z), 2 * (x * z + s * y),
    2 * (x * y + s * z), 1 - 2 * (x * x + z * z), 2 * (y * z - s * x),
    2 * (x * z - s * y), 2 * (y * z + s * x), 1 - 2 * (x * x + y * y),
  ];
  return [0, 1, 2].map((j) => R[j] * w[0] + R[3 + j] * w[1] + R[6 + j] * w[2]) as [number, number, number];
}

// -------------------------------------------------------------------------------------------------

describe('hard contact: force below the weight (seed Fig. 2)', () => {
  const { model } = parseUrdf(CUBE_ON_RAIL_URDF, { source: 'cube_on_rail' });
  const m = 1;
  const dt = 0.01;
  const z0 = 0.05; // resting on the ground
  const sim = new Simulator(model, defaultScene(), { dt });
  const next = (u: number): Float64Array => {
    sim.resetWarmStart();
    return sim.step([z0, 0], [u]);
  };

  it('the model is the 1-D force-vs-height system', () => {
    expect([model.nq, model.nv, model.nu]).toEqual([1, 1, 1]);
    const x = next(0);
    expect(sim.info.contacts).toBe(4); // the four bottom corners
    expect(x[0]).toBe(z0);
  });

  it('u < m g: the cube stays exactly still and dz_next/du = 0 (central FD)', () => {
    const h = 1e-3;
    for (const u of [0, 3, 7.5, 9.7]) {
      const x = next(u);
      expect(Math.abs(x[0] - z0)).toBeLessThan(1e-12); // seen: exactly 0
      expect(Math.abs(x[1])).toBeLessThan(1e-12);
      const dz = (next(u + h)[0] - next(u - h)[0]) / (2 * h);
      const dv = (next(u + h)[1] - next(u - h)[1]) / (2 * h);
      expect(Math.abs(dz)).toBeLessThan(1e-12); // seen: exactly 0
      expect(Math.abs(dv)).toBeLessThan(1e-12);
    }
  });

  it('u > m g: lifts off with dz_next/du = dt^2 / m and dv_next/du = dt / m', () => {
    const h = 1e-3;
    for (const u of [9.9, 12, 20]) {
      const x = next(u);
      expect(x[0]).toBeGreaterThan(z0);
      expect(x[0] - z0).toBeCloseTo((dt * dt * (u - m * G)) / m, 12);
      const dz = (next(u + h)[0] - next(u - h)[0]) / (2 * h);
      const dv = (next(u + h)[1] - next(u - h)[1]) / (2 * h);
      expect(Math.abs(dz / (dt * dt / m) - 1)).toBeLessThan(0.01); // seen: 6e-12
      expect(Math.abs(dv / (dt / m) - 1)).toBeLessThan(0.01);
    }
  });
});

describe('Coulomb friction', () => {
  const mu = 0.5;
  const scene: Scene = parseScene({ ground: { height: 0, friction: mu } });

  it('a box sliding at 1 m/s decelerates at mu g (1 %) and stops after v0^2 / (2 mu g)', () => {
    const model = cubeModel();
    const dt = 1e-3;
    const sim = new Simulator(model, scene, { dt });
    const { q, v } = restingCube([1, 0, 0, 0, 0, 0]);
    const vx: number[] = [1];
    for (let k = 0; k < 300; k++) {
      sim.stepInto(q, v, [], q, v);
      vx.push(v[0]);
    }
    // while clearly sliding (v > 0.05 m/s): every step removes mu g dt (seen: 4.9049998..4.9050001)
    let n = 0;
    for (let k = 1; k < vx.length && vx[k] > 0.05; k++, n++) {
      expect(Math.abs((vx[k - 1] - vx[k]) / dt / (mu * G) - 1)).toBeLessThan(0.01);
    }
    expect(n).toBeGreaterThan(150);
    // then it stops (sticks) and stays put, flat on the ground
    const tStop = vx.findIndex((x) => x < 1e-9) * dt;
    expect(Math.abs(tStop - 1 / (mu * G))).toBeLessThan(2 * dt); // seen: 0.204 vs 0.2039
    expect(Math.abs(v[0])).toBeLessThan(1e-8);
    // distance of semi-implicit Euler under constant deceleration: v0^2/(2a) - v0 dt / 2
    expect(Math.abs(q[0] - (1 / (2 * mu * G) - dt / 2))).toBeLessThan(1e-5); // seen: 0.101437
    expect(Math.abs(q[2] - 0.05)).toBeLessThan(1e-9);
  });

  it('on a slope below the friction angle the box sticks (drift < 1e-6 m over 1 s)', () => {
    const theta = (20 * Math.PI) / 180; // tan 20 deg = 0.36 < mu = 0.5
    const model = withGravity(cubeModel(), [G * Math.sin(theta), 0, -G * Math.cos(theta)]);
    const sim = new Simulator(model, scene, { dt: 1e-3 });
    const { q, v } = restingCube();
    let drift = 0;
    for (let k = 0; k < 1000; k++) {
      sim.stepInto(q, v, [], q, v);
      drift = Math.max(drift, Math.hypot(q[0], q[1], q[2] - 0.05));
    }
    expect(drift).toBeLessThan(1e-6); // seen: 4e-13
  });

  it('above the friction angle it slides with a = g (sin t - mu cos t) (2 %)', () => {
    for (const deg of [30, 35]) { // tan 30 = 0.58, tan 35 = 0.70 > mu
      const theta = (deg * Math.PI) / 180;
      const model = withGravity(cubeModel(), [G * Math.sin(theta), 0, -G * Math.cos(theta)]);
      const dt = 1e-3;
      const sim = new Simulator(model, scene, { dt });
      const { q, v } = restingCube();
      let v100 = 0;
      for (let k = 1; k <= 1000; k++) {
        sim.stepInto(q, v, [], q, v);
        if (k === 100) v100 = v[0];
      }
      const a = (v[0] - v100) / (900 * dt);
      const expected = G * (Math.sin(theta) - mu * Math.cos(theta)); // 0.657 and 1.609 m/s^2
      expect(Math.abs(a / expected - 1)).toBeLessThan(0.02); // seen: 3e-12
      expect(Math.abs(q[2] - 0.05)).toBeLessThan(1e-6); // slides flat, does not tip
    }
  });
});

describe('rest and energy', () => {
  it('a cube at rest drifts less than 1e-6 m in 10 s (dt 0.01)', () => {
    const model = cubeModel();
    const sim = new Simulator(model, defaultScene(), { dt: 0.01 });
    const { q, v } = restingCube();
    let drift = 0;
    for (let k = 0; k < 1000; k++) {
      sim.stepInto(q, v, [], q, v);
      drift = Math.max(drift, Math.hypot(q[0], q[1], q[2] - 0.05));
    }
    expect(drift).toBeLessThan(1e-6); // seen: 2.8e-13
    expect(sim.info.contacts).toBe(4);
  });

  /**
   * Passive drops with contacts: the impacts are inelastic and friction dissipates, so the
   * total energy must never increase from one step to the next. The spin is about the world
   * vertical, so the free flight before the impact is a pure rotation + fall (see the known
   * bug below for a general spin); after the corner impact the cube tumbles with a general
   * angular velocity until it lies on a face. Seen: largest step-to-step increase 6e-14
   * (relative), final energy m g a/2 = 0.4905 J.
   */
  it('energy never increases: tilted cube dropped from 0.3 m spinning about the vertical (2 s)', () => {
    const model = cubeModel();
    const data = createData(model);
    for (const dt of [0.01, 0.002]) {
      const sim = new Simulator(model, defaultScene(), { dt });
      const qt = quat([0.6, 0.8, 0], 0.6);
      const q = Float64Array.from([0, 0, 0.3, ...qt]);
      const v = Float64Array.from([0, 0, 0, ...toBase(qt, [0, 0, 5])]);
      const E0 = energy(model, data, q, v);
      let E = E0, worst = -Infinity, maxContacts = 0;
      for (let k = 0; k < Math.round(2 / dt); k++) {
        sim.stepInto(q, v, [], q, v);
        maxContacts = Math.max(maxContacts, sim.info.contacts);
        const E1 = energy(model, data, q, v);
        worst = Math.max(worst, (E1 - E) / E0);
        E = E1;
      }
      expect(maxContacts).toBeGreaterThanOrEqual(4);
      expect(worst).toBeLessThan(1e-9);
      expect(Math.abs(E - 0.05 * G)).toBeLessThan(1e-6); // at rest on a face
    }
  });

  it('energy never increases: flat cube dropped from 0.3 m sliding and spinning (2 s, dt 0.01)', () => {
    const model = cubeModel();
    const data = createData(model);
    const sim = new Simulator(model, defaultScene(), { dt: 0.01 });
    const q = Float64Array.from([0, 0, 0.3, 0, 0, 0, 1]);
    const v = Float64Array.from([0.5, 0, 0, 0, 0, 5]);
    const E0 = energy(model, data, q, v);
    let E = E0, worst = -Infinity;
    for (let k = 0; k < 200; k++) {
      sim.stepInto(q, v, [], q, v);
      const E1 = energy(model, data, q, v);
      worst = Math.max(worst, (E1 - E) / E0);
      E = E1;
    }
    expect(worst).toBeLessThan(1e-9); // seen: 4e-13
  });

  /**
   * Regression: the base's body-frame transport term m w x v_lin used to be integrated
   * explicitly, lengthening v_lin every step (speed 1.1968 after 1 s at dt 0.01 in the test
   * below, and energy gains of 9e-4 per step for a spinning drop). step.ts now handles it
   * exactly (freeVelocity/advance): the world velocity of a free body is preserved.
   */
  it('a spinning free cube keeps its world speed (no gravity, no ground)', () => {
    const model = withGravity(cubeModel(), [0, 0, 0]);
    const dt = 0.01;
    const sim = new Simulator(model, { ground: null, boxes: [] }, { dt });
    const q = Float64Array.from([0, 0, 0, 0, 0, 0, 1]);
    const v = Float64Array.from([1, 0, 0, 0, 0, 6]);
    for (let k = 0; k < 100; k++) sim.stepInto(q, v, [], q, v);
    // the world linear velocity of a free body is constant: |v_lin| = 1 (seen: 1.1968)
    expect(Math.abs(Math.hypot(v[0], v[1], v[2]) - 1)).toBeLessThan(1e-9);
  });

  it('energy never increases: cube dropped from 0.3 m with a general spin', () => {
    const model = cubeModel();
    const data = createData(model);
    const sim = new Simulator(model, defaultScene(), { dt: 0.01 });
    const q = Float64Array.from([0, 0, 0.3, ...quat([0.6, 0.8, 0], 0.6)]);
    const v = Float64Array.from([0.2, 0, 0, 3, -2, 5]);
    const E0 = energy(model, data, q, v);
    let E = E0, worst = -Infinity;
    for (let k = 0; k < 200; k++) {
      sim.stepInto(q, v, [], q, v);
      const E1 = energy(model, data, q, v);
      worst = Math.max(worst, (E1 - E) / E0);
      E = E1;
    }
    expect(worst).toBeLessThan(1e-9); // seen: 9.0e-4 at t = 0.20 s, in free flight
  });
});

/**
 * Regression: contacts used to be detected only within a fixed margin (0.01 m), so a body
 * approaching faster than margin/dt ended its step inside the ground (18 mm for a 0.5 m drop at
 * dt 0.01). The margin now grows with each shape's reach during the step.
 */
describe('no tunnelling through the contact margin', () => {
  it('a cube dropped from 0.5 m at dt 0.01 never sinks deeper than the slop', () => {
    const model = cubeModel();
    const sim = new Simulator(model, defaultScene(), { dt: 0.01 });
    const q = Float64Array.from([0, 0, 0.55, 0, 0, 0, 1]), v = new Float64Array(6);
    let depth = 0;
    for (let k = 0; k < 100; k++) {
      sim.stepInto(q, v, [], q, v);
      depth = Math.max(depth, 0.05 - q[2]);
    }
    expect(depth).toBeLessThanOrEqual(sim.options.slop + 1e-12); // seen: 0.0180 m
  });
});

// -------------------------------------------------------------------------------------------------

describe('Solo-12 standing and dropped under static-equilibrium torques + PD', () => {
  const { model, meta } = loadRobot('solo12');
  const qRef = posture(meta, model, 'standing');
  const tauEq = staticEquilibrium(model, qRef, meta.contactFrames).tau;
  const data = createData(model);
  const spheres = model.collisions.filter((g) => g.shape.type === 'sphere');
  const p = new Float64Array(12);
  /** Heights of the bottoms of the four foot spheres above the ground (m). */
  const footHeights = (q: ArrayLike<number>): number[] => {
    forwardKinematics(model, data, q);
    return spheres.map((g) => {
      se3Mul(data.oMi, 12 * g.parentJoint, g.placement, 0, p, 0);
      return p[11] - (g.shape as { radius: number }).radius;
    });
  };
  const gap = footHeights(qRef)[0];
  /** Base height standing with the feet on the ground. */
  const zStand = qRef[2] - gap;
  const pd = (q: Float64Array, v: Float64Array, u: Float64Array, kp: number, kd: number) => {
    for (let i = 0; i < model.nu; i++) u[i] = tauEq[i] + kp * (qRef[7 + i] - q[7 + i]) - kd * v[6 + i];
  };

  it('the reference posture has the four feet 3 mm above the ground', () => {
    expect(spheres.length).toBe(4);
    for (const h of footHeights(qRef)) expect(h).toBeCloseTo(0.0031, 4);
    expect(Array.from(model.effortLimit.subarray(6))).toEqual(new Array(12).fill(2.7));
  });

  it('stands: after 0.5 s of settling the base height stays within 1 mm for 5 s (dt 0.01)', () => {
    const dt = 0.01, kp = 5, kd = 0.1;
    const sim = new Simulator(model, defaultScene(), { dt });
    const q = Float64Array.from(qRef), v = new Float64Array(model.nv), u = new Float64Array(model.nu);
    let zMin = Infinity, zMax = -Infinity, xyDrift = 0;
    for (let k = 1; k <= 550; k++) {
      pd(q, v, u, kp, kd);
      sim.stepInto(q, v, u, q, v);
      if (k <= 50) continue;
      expect(sim.info.contacts).toBe(4);
      zMin = Math.min(zMin, q[2]); zMax = Math.max(zMax, q[2]);
      xyDrift = Math.max(xyDrift, Math.hypot(q[0], q[1]));
    }
    // seen: z in [0.231874, 0.231908], zStand = 0.231899 (the 3.1 mm drop, then ~0.03 mm sag)
    expect(zMax - zMin).toBeLessThan(1e-3);
    expect(Math.abs(zMin - zStand)).toBeLessThan(1e-3);
    expect(Math.abs(zMax - zStand)).toBeLessThan(1e-3);
    expect(xyDrift).toBeLessThan(1e-6); // seen: 6e-8
    for (const h of footHeights(q)) expect(Math.abs(h)).toBeLessThan(1e-3);
  });

  /**
   * Feet 0.3 m above the ground (base z = 0.3 + zStand), no initial velocity. The PD runs
   * explicitly on light legs (knee inertia 5.4e-4 kg m^2), so kd dt / I must stay well below 2:
   * at dt 0.01 only soft gains are stable and the robot ends 6..15 mm above zStand (the feet
   * stick where they landed, friction holding the PD springs loaded: the offset scales as 1/kp).
   * At dt 0.002, kp 16, kd 0.25 (kd dt / I = 0.9): seen z - zStand = 3.1 mm, feet at 1e-15 m,
   * |v| 2e-4 at t = 2 s.
   */
  it('dropped from 0.3 m it settles on its four feet within 2 s (dt 0.002)', () => {
    const dt = 0.002, kp = 16, kd = 0.25;
    const sim = new Simulator(model, defaultScene(), { dt });
    const q = Float64Array.from(qRef), v = new Float64Array(model.nv), u = new Float64Array(model.nu);
    q[2] = 0.3 + zStand;
    let touched = false;
    for (let k = 1; k <= 1250; k++) {
      pd(q, v, u, kp, kd);
      sim.stepInto(q, v, u, q, v);
      if (!q.every(Number.isFinite)) throw new Error(`non-finite state at t = ${k * dt}`);
      touched ||= sim.info.contacts > 0;
      if (k * dt < 2 - 1e-9) continue;
      // from t = 2 s to 2.5 s: settled
      expect(sim.info.contacts).toBe(4);
      for (const h of footHeights(q)) expect(Math.abs(h)).toBeLessThan(2e-3);
      expect(Math.abs(q[2] - zStand)).toBeLessThan(5e-3);
      expect(Math.hypot(...v)).toBeLessThan(0.01);
      expect(Math.abs(q[6])).toBeGreaterThan(Math.cos(0.05)); // upright (tilt/yaw < 0.1 rad)
    }
    expect(touched).toBe(true);
  });
});
