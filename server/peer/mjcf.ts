/**
 * MJCF writing: a compiled model rewritten as MJCF text at full precision (mj_saveLastXML
 * writes 6 digits), optionally with static links merged exactly into their parent (MuJoCo
 * 3.3.8's fusestatic merges rotated inertias wrongly, see mujoco.ts) and with a contact scene
 * (primitives on links, ground, static boxes).
 */
import { MJ_JNT_FREE, MJ_JNT_HINGE, MJ_JNT_SLIDE, MJ_OBJ_BODY, MJ_OBJ_JOINT, type MjModelT, type MujocoModule } from './mujoco-wasm.ts';
import { matVec, quatMul, quatToMat, rotateDiag, type Mat3, type Quat, type Vec3 } from './rotations.ts';

interface GeomPlacement {
  /** URDF link the geom is attached to (its frame), e.g. 'FL_FOOT'. */
  link: string;
  /** Position in the link frame (default origin). */
  pos?: [number, number, number];
  /** Orientation in the link frame, MuJoCo order [w x y z] (default identity). */
  quat?: [number, number, number, number];
  name?: string;
}

export type ExtraGeom = GeomPlacement &
  (
    | { type: 'sphere'; radius: number }
    /** A box centred at pos, aligned with the link frame (or rotated by quat). */
    | { type: 'box'; /** Half sizes (MuJoCo's box size), m. */ halfSize: [number, number, number] }
    /** Capsule / cylinder along the local z axis (URDF's and MuJoCo's convention), of half length halfLength. */
    | { type: 'capsule' | 'cylinder'; radius: number; halfLength: number }
  );

/** A static box of the environment (world frame); it collides with the robot's geoms. */
export interface StaticBox {
  name: string;
  halfSize: [number, number, number];
  pos: [number, number, number];
  /** [w x y z] */
  quat: [number, number, number, number];
  /** Sliding friction coefficient (default: the scene's). */
  friction?: number;
}

export interface ContactScene {
  /** Primitives attached to links; they collide with the ground and static boxes only. */
  geoms: ExtraGeom[];
  /** Add an infinite ground plane (default true). */
  ground?: boolean;
  /** Height of the ground plane (default 0). */
  groundHeight?: number;
  /** Sliding friction of the ground (default: friction[0]). */
  groundFriction?: number;
  /** Static boxes of the environment (default none). */
  boxes?: StaticBox[];
  /**
   * geom friction (default MuJoCo's 1 0.005 0.0001). The environment (ground, boxes) has geom
   * priority 1: a contact takes ITS friction, solref and solimp (MuJoCo's rule for unequal
   * priorities), so groundFriction / a box's friction is the contact's coefficient.
   */
  friction?: [number, number, number];
  /** Friction cone (MuJoCo's option cone; default 'pyramidal'). */
  cone?: 'pyramidal' | 'elliptic';
  /** Ratio of frictional to normal constraint impedance (option impratio; default 1). */
  impratio?: number;
  /** Contact solref [timeconst, dampratio] of every added geom and the ground (default MuJoCo's 0.02 1). */
  solref?: [number, number];
  /** Contact solimp [dmin, dmax, width, midpoint, power] (default MuJoCo's 0.9 0.95 0.001 0.5 2). */
  solimp?: [number, number, number, number, number];
  /** Solver iterations / tolerance (MuJoCo defaults 100 / 1e-8). */
  iterations?: number;
  tolerance?: number;
}

const fmt = (x: number): string => (Object.is(x, -0) ? '0' : x.toPrecision(17).replace(/\.?0+(e|$)/, '$1'));
const fmtv = (a: ArrayLike<number>): string => Array.from(a, fmt).join(' ');

interface Pose {
  p: Vec3;
  q: Quat;
}

function composePose(a: Pose, b: Pose): Pose {
  const R = quatToMat(a.q);
  const bp = matVec(R, b.p);
  return { p: [a.p[0] + bp[0], a.p[1] + bp[1], a.p[2] + bp[2]], q: quatMul(a.q, b.q) };
}

/**
 * Rewrite a compiled model as MJCF text with 17 significant digits (mj_saveLastXML only writes
 * 6), optionally merging jointless bodies into their parent (exactly, unlike MuJoCo 3.3.8's
 * fusestatic) and adding contact geometry.
 */
export function regenerateMjcf(
  mj: MujocoModule,
  m: MjModelT,
  opts: { fuseStatic: boolean; contact?: ContactScene; timestep?: number; modelName: string },
): { xml: string; tensors: Map<string, Mat3> } {
  const nb = m.nbody;
  const parent = Array.from(m.body_parentid);
  const jntnum = Array.from(m.body_jntnum);
  const jntadr = Array.from(m.body_jntadr);
  const bpos = Array.from(m.body_pos);
  const bquat = Array.from(m.body_quat);
  const ipos = Array.from(m.body_ipos);
  const iquat = Array.from(m.body_iquat);
  const mass = Array.from(m.body_mass);
  const inertia = Array.from(m.body_inertia);
  const jtype = Array.from(m.jnt_type);
  const jpos = Array.from(m.jnt_pos);
  const jaxis = Array.from(m.jnt_axis);
  const jdof = Array.from(m.jnt_dofadr);
  const damping = Array.from(m.dof_damping);
  const frictionloss = Array.from(m.dof_frictionloss);
  const armature = Array.from(m.dof_armature);
  const bodyName = (b: number) => mj.mj_id2name(m, MJ_OBJ_BODY, b);
  const jointName = (j: number) => mj.mj_id2name(m, MJ_OBJ_JOINT, j);

  // target[b]: body of the regenerated model that b ends up in; pose of b in it.
  const target = new Array<number>(nb).fill(0);
  const poseIn: Pose[] = new Array<Pose>(nb);
  poseIn[0] = { p: [0, 0, 0], q: [1, 0, 0, 0] };
  for (let b = 1; b < nb; b++) {
    const local: Pose = {
      p: [bpos[3 * b], bpos[3 * b + 1], bpos[3 * b + 2]],
      q: [bquat[4 * b], bquat[4 * b + 1], bquat[4 * b + 2], bquat[4 * b + 3]],
    };
    if (opts.fuseStatic && jntnum[b] === 0) {
      target[b] = target[parent[b]];
      poseIn[b] = composePose(poseIn[parent[b]], local);
    } else {
      target[b] = b;
      poseIn[b] = { p: [0, 0, 0], q: [1, 0, 0, 0] };
    }
  }

  // Inertial of each kept body: members merged about their common centre of mass.
  const tensors = new Map<string, Mat3>();
  const inertialXml = (t: number): string => {
    const members: number[] = [];
    for (let b = 1; b < nb; b++) if (target[b] === t && mass[b] > 0) members.push(b);
    if (members.length === 1 && members[0] === t) {
      const iq: Quat = [iquat[4 * t], iquat[4 * t + 1], iquat[4 * t + 2], iquat[4 * t + 3]];
      tensors.set(bodyName(t), rotateDiag(quatToMat(iq), inertia.slice(3 * t, 3 * t + 3)));
      return `<inertial pos="${fmtv(ipos.slice(3 * t, 3 * t + 3))}" quat="${fmtv(iquat.slice(4 * t, 4 * t + 4))}" mass="${fmt(mass[t])}" diaginertia="${fmtv(inertia.slice(3 * t, 3 * t + 3))}"/>`;
    }
    let M = 0;
    const c: Vec3 = [0, 0, 0];
    const parts: { m: number; c: Vec3; I: Mat3 }[] = [];
    for (const b of members) {
      const pose = poseIn[b];
      const R = quatToMat(pose.q);
      const cb = matVec(R, ipos.slice(3 * b, 3 * b + 3));
      const com: Vec3 = [pose.p[0] + cb[0], pose.p[1] + cb[1], pose.p[2] + cb[2]];
      const Ri = quatToMat(quatMul(pose.q, [iquat[4 * b], iquat[4 * b + 1], iquat[4 * b + 2], iquat[4 * b + 3]]));
      parts.push({ m: mass[b], c: com, I: rotateDiag(Ri, inertia.slice(3 * b, 3 * b + 3)) });
      M += mass[b];
      for (let k = 0; k < 3; k++) c[k] += mass[b] * com[k];
    }
    if (M === 0) return '';
    for (let k = 0; k < 3; k++) c[k] /= M;
    const I = new Array<number>(9).fill(0);
    for (const part of parts) {
      const d = [part.c[0] - c[0], part.c[1] - c[1], part.c[2] - c[2]];
      const dd = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++)
          I[3 * i + j] += part.I[3 * i + j] + part.m * ((i === j ? dd : 0) - d[i] * d[j]);
    }
    tensors.set(bodyName(t), I);
    // fullinertia = ixx iyy izz ixy ixz iyz
    return `<inertial pos="${fmtv(c)}" mass="${fmt(M)}" fullinertia="${fmtv([I[0], I[4], I[8], I[1], I[2], I[5]])}"/>`;
  };

  const contact = opts.contact;
  const friction =
    (contact?.friction ? ` friction="${fmtv(contact.friction)}"` : '') +
    (contact?.solref ? ` solref="${fmtv(contact.solref)}"` : '') +
    (contact?.solimp ? ` solimp="${fmtv(contact.solimp)}"` : '');
  const geomsOf = new Map<number, string[]>();
  if (contact) {
    for (const g of contact.geoms) {
      const b = mj.mj_name2id(m, MJ_OBJ_BODY, g.link);
      if (b < 0) throw new Error(`contact geom: no link/body named '${g.link}'`);
      const pose = composePose(poseIn[b], { p: g.pos ?? [0, 0, 0], q: g.quat ?? [1, 0, 0, 0] });
      const t = target[b];
      const list = geomsOf.get(t) ?? [];
      // contype 2 / conaffinity 1: collides with the environment (1/2), not with each other.
      // composePose leaves the link's orientation in its merged target body.
      const size = g.type === 'sphere' ? fmt(g.radius) : g.type === 'box' ? fmtv(g.halfSize) : fmtv([g.radius, g.halfLength]);
      const quat = g.type === 'sphere' ? '' : ` quat="${fmtv(pose.q)}"`;
      list.push(
        `<geom name="${g.name ?? `${g.link}_${g.type}`}" type="${g.type}" size="${size}" pos="${fmtv(pose.p)}"${quat} contype="2" conaffinity="1" mass="0"${friction}/>`,
      );
      geomsOf.set(t, list);
    }
  }

  const lines: string[] = [];
  const emit = (b: number, indent: string) => {
    const isWorld = b === 0;
    if (!isWorld) {
      lines.push(
        `${indent}<body name="${bodyName(b)}" pos="${fmtv(bpos.slice(3 * b, 3 * b + 3))}" quat="${fmtv(bquat.slice(4 * b, 4 * b + 4))}">`,
      );
      const inert = inertialXml(b);
      if (inert) lines.push(`${indent}  ${inert}`);
      for (let j = jntadr[b]; j < jntadr[b] + jntnum[b]; j++) {
        const name = jointName(j);
        const t = jtype[j];
        if (t === MJ_JNT_FREE) {
          lines.push(`${indent}  <freejoint name="${name}"/>`);
          continue;
        }
        const typ = t === MJ_JNT_HINGE ? 'hinge' : t === MJ_JNT_SLIDE ? 'slide' : 'ball';
        const d = jdof[j];
        lines.push(
          `${indent}  <joint name="${name}" type="${typ}" pos="${fmtv(jpos.slice(3 * j, 3 * j + 3))}" axis="${fmtv(jaxis.slice(3 * j, 3 * j + 3))}" limited="false" damping="${fmt(damping[d])}" frictionloss="${fmt(frictionloss[d])}" armature="${fmt(armature[d])}"/>`,
        );
      }
    }
    for (const g of geomsOf.get(b) ?? []) lines.push(`${indent}  ${g}`);
    for (let c = 1; c < nb; c++) {
      if (parent[c] !== b) continue;
      if (target[c] === c) emit(c, isWorld ? indent : `${indent}  `);
      else emitMergedChildren(c, isWorld ? indent : `${indent}  `);
    }
    if (!isWorld) lines.push(`${indent}</body>`);
  };
  // A merged (jointless) body contributes its inertia and geoms to its target; its own
  // children that keep a joint become children of the target, at their composed pose.
  const emitMergedChildren = (b: number, indent: string) => {
    for (let c = 1; c < nb; c++) {
      if (parent[c] !== b) continue;
      if (target[c] !== c) {
        emitMergedChildren(c, indent);
        continue;
      }
      const pose = composePose(poseIn[b], {
        p: [bpos[3 * c], bpos[3 * c + 1], bpos[3 * c + 2]],
        q: [bquat[4 * c], bquat[4 * c + 1], bquat[4 * c + 2], bquat[4 * c + 3]],
      });
      const start = lines.length;
      emit(c, indent);
      lines[start] = lines[start]
        .replace(/ pos="[^"]*"/, ` pos="${fmtv(pose.p)}"`)
        .replace(/ quat="[^"]*"/, ` quat="${fmtv(pose.q)}"`);
    }
  };
  emit(0, '    ');

  let flags = '';
  if (!contact) flags = '<flag contact="disable" constraint="disable"/>';
  let optAttrs = '';
  if (contact?.cone) optAttrs += ` cone="${contact.cone}"`;
  if (contact?.impratio !== undefined) optAttrs += ` impratio="${fmt(contact.impratio)}"`;
  if (contact?.iterations !== undefined) optAttrs += ` iterations="${contact.iterations}"`;
  if (contact?.tolerance !== undefined) optAttrs += ` tolerance="${fmt(contact.tolerance)}"`;
  // The environment: priority 1, so that its friction, solref and solimp are the contact's.
  const envParams = (mu: number | undefined): string => {
    const f = contact?.friction ?? [1, 0.005, 0.0001];
    return (mu === undefined ? friction : ` friction="${fmtv([mu, f[1], f[2]])}"` + friction.replace(/ friction="[^"]*"/, ''));
  };
  let ground = contact && contact.ground !== false
    ? `    <geom name="ground" type="plane" size="0 0 1" pos="0 0 ${fmt(contact.groundHeight ?? 0)}" contype="1" conaffinity="2" priority="1"${envParams(contact.groundFriction)}/>\n`
    : '';
  for (const box of contact?.boxes ?? []) {
    ground += `    <geom name="${box.name}" type="box" size="${fmtv(box.halfSize)}" pos="${fmtv(box.pos)}" quat="${fmtv(box.quat)}" contype="1" conaffinity="2" priority="1"${envParams(box.friction)}/>\n`;
  }
  const xml = `<mujoco model="${opts.modelName}">
  <compiler angle="radian" autolimits="true" inertiafromgeom="false" balanceinertia="false" fusestatic="false" alignfree="false" boundmass="0" boundinertia="0"/>
  <option timestep="${fmt(opts.timestep ?? 0.002)}" gravity="0 0 -9.81"${optAttrs}>${flags}</option>
  <worldbody>
${ground}${lines.join('\n')}
  </worldbody>
</mujoco>
`;
  return { xml, tensors };
}
