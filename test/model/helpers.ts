/** Shared helpers for the model tests (no dependency on server/dynamics). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Model } from '../../server/model/model.ts';
import { UrdfError } from '../../server/model/urdf.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const upstreamRobots = path.resolve(repoRoot, '../shared/robots/example-robot-data/robots');
export const upstream = {
  solo12: path.join(upstreamRobots, 'solo_description/robots/solo12.urdf'),
  solo: path.join(upstreamRobots, 'solo_description/robots/solo.urdf'),
  doublePendulum: path.join(upstreamRobots, 'double_pendulum_description/urdf/double_pendulum.urdf'),
  doublePendulumContinuous: path.join(upstreamRobots, 'double_pendulum_description/urdf/double_pendulum_continuous.urdf'),
  doublePendulumSimple: path.join(upstreamRobots, 'double_pendulum_description/urdf/double_pendulum_simple.urdf'),
};

/** Runs fn, expects a UrdfError and returns it. */
export function urdfError(fn: () => unknown): UrdfError {
  try {
    fn();
  } catch (e) {
    if (e instanceof UrdfError) return e;
    throw new Error(`expected a UrdfError, got ${String(e)}`);
  }
  throw new Error('expected a UrdfError, nothing was thrown');
}

/** A link with a unit-ish inertial, for inline URDFs. */
export function link(name: string, extra = ''): string {
  return `<link name="${name}"><inertial><mass value="1"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial>${extra}</link>`;
}

export function joint(name: string, parent: string, child: string, type = 'revolute', extra = ''): string {
  return `<joint name="${name}" type="${type}"><parent link="${parent}"/><child link="${child}"/>${extra}</joint>`;
}

export function robot(body: string, name = 'r'): string {
  return `<?xml version="1.0"?>\n<robot name="${name}">\n${body}\n</robot>\n`;
}

type M3 = number[];
const mul = (a: M3, b: M3): M3 => {
  const c: number[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) c.push(a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j]);
  return c;
};
const mv = (a: M3, v: number[]) => [0, 1, 2].map((i) => a[3 * i] * v[0] + a[3 * i + 1] * v[1] + a[3 * i + 2] * v[2]);

/** Rotation about a unit axis (Rodrigues), row-major. */
export function axisAngle(k: number[], t: number): M3 {
  const c = Math.cos(t), s = Math.sin(t), C = 1 - c;
  const [x, y, z] = k;
  return [
    c + x * x * C, x * y * C - z * s, x * z * C + y * s,
    y * x * C + z * s, c + y * y * C, y * z * C - x * s,
    z * x * C - y * s, z * y * C + x * s, c + z * z * C,
  ];
}

/**
 * Minimal forward kinematics for revolute/free joints, independent of server/dynamics:
 * returns the world placement {R, p} of each joint. The free-flyer q uses [x y z qx qy qz qw].
 */
export function forwardKinematics(model: Model, q: ArrayLike<number>): { R: M3; p: number[] }[] {
  const out: { R: M3; p: number[] }[] = [{ R: [1, 0, 0, 0, 1, 0, 0, 0, 1], p: [0, 0, 0] }];
  for (let j = 1; j < model.njoints; j++) {
    const P = Array.from(model.jointPlacements.subarray(12 * j, 12 * j + 12));
    let Rl = P.slice(0, 9);
    let pl = P.slice(9, 12);
    const iq = model.idxQ[j];
    if (model.jointTypes[j] === 0) {
      const [x, y, z, w] = [q[iq + 3], q[iq + 4], q[iq + 5], q[iq + 6]];
      const Rq = [
        1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
        2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
        2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
      ];
      const t = mv(Rl, [q[iq], q[iq + 1], q[iq + 2]]);
      pl = [pl[0] + t[0], pl[1] + t[1], pl[2] + t[2]];
      Rl = mul(Rl, Rq);
    } else if (model.jointTypes[j] === 1) {
      Rl = mul(Rl, axisAngle(Array.from(model.axes.subarray(3 * j, 3 * j + 3)), q[iq]));
    } else {
      const a = model.axes.subarray(3 * j, 3 * j + 3);
      const t = mv(Rl, [a[0] * q[iq], a[1] * q[iq], a[2] * q[iq]]);
      pl = [pl[0] + t[0], pl[1] + t[1], pl[2] + t[2]];
    }
    const par = out[model.parents[j]];
    const pp = mv(par.R, pl);
    out.push({ R: mul(par.R, Rl), p: [pp[0] + par.p[0], pp[1] + par.p[1], pp[2] + par.p[2]] });
  }
  return out;
}

/** World position of a frame's origin. */
export function framePosition(model: Model, q: ArrayLike<number>, name: string): number[] {
  const f = model.frames.find((fr) => fr.name === name && fr.kind !== 'joint');
  if (!f) throw new Error(`no frame ${name}`);
  const X = forwardKinematics(model, q)[f.parentJoint];
  const t = mv(X.R, Array.from(f.placement.subarray(9, 12)));
  return [t[0] + X.p[0], t[1] + X.p[1], t[2] + X.p[2]];
}

export function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what = ''): void {
  if (a.length !== b.length) throw new Error(`${what}: length ${a.length} != ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i] - b[i]) <= tol)) throw new Error(`${what}[${i}]: ${a[i]} != ${b[i]} (tol ${tol})`);
  }
}
