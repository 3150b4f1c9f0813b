/**
 * A minimal URDF reader (only what the harness needs: tree, joint order, inertials). It is
 * deliberately independent of server/model/urdf.ts.
 */
import { XMLParser } from 'fast-xml-parser';

export interface UrdfInertial {
  mass: number;
  xyz: [number, number, number];
  rpy: [number, number, number];
  /** ixx iyy izz ixy ixz iyz */
  inertia: [number, number, number, number, number, number];
}

export interface UrdfJointInfo {
  name: string;
  type: string;
  parent: string;
  child: string;
  xyz: [number, number, number];
  rpy: [number, number, number];
  axis: [number, number, number];
}

export interface UrdfInfo {
  name: string;
  links: string[];
  joints: UrdfJointInfo[];
  inertials: Map<string, UrdfInertial>;
  root: string;
  /** Moving (non-fixed) joints in depth-first order, children in file order. */
  movingJointOrder: string[];
}

type XmlNode = Record<string, unknown>;

function asArray(x: unknown): XmlNode[] {
  if (x === undefined || x === null) return [];
  return (Array.isArray(x) ? x : [x]) as XmlNode[];
}

function attr(node: XmlNode | undefined, name: string): string | undefined {
  if (!node) return undefined;
  const v = node[`@_${name}`];
  return v === undefined ? undefined : String(v);
}

function vec3(s: string | undefined, dflt: [number, number, number]): [number, number, number] {
  if (s === undefined) return dflt;
  const p = s.trim().split(/\s+/).map(Number);
  return [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0];
}

export function readUrdf(urdfXml: string): UrdfInfo {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' });
  const doc = parser.parse(urdfXml) as XmlNode;
  const robot = doc.robot as XmlNode | undefined;
  if (!robot) throw new Error('not a URDF: no <robot>');
  const links = asArray(robot.link).map((l) => attr(l, 'name') ?? '');
  const inertials = new Map<string, UrdfInertial>();
  for (const l of asArray(robot.link)) {
    const inert = asArray(l.inertial)[0];
    if (!inert) continue;
    const origin = asArray(inert.origin)[0];
    const I = asArray(inert.inertia)[0];
    const g = (k: string) => Number(attr(I, k) ?? 0);
    inertials.set(attr(l, 'name') ?? '', {
      mass: Number(attr(asArray(inert.mass)[0], 'value') ?? 0),
      xyz: vec3(attr(origin, 'xyz'), [0, 0, 0]),
      rpy: vec3(attr(origin, 'rpy'), [0, 0, 0]),
      inertia: [g('ixx'), g('iyy'), g('izz'), g('ixy'), g('ixz'), g('iyz')],
    });
  }
  const joints: UrdfJointInfo[] = asArray(robot.joint).map((j) => {
    const origin = asArray(j.origin)[0];
    return {
      name: attr(j, 'name') ?? '',
      type: attr(j, 'type') ?? '',
      parent: attr(asArray(j.parent)[0], 'link') ?? '',
      child: attr(asArray(j.child)[0], 'link') ?? '',
      xyz: vec3(attr(origin, 'xyz'), [0, 0, 0]),
      rpy: vec3(attr(origin, 'rpy'), [0, 0, 0]),
      axis: vec3(attr(asArray(j.axis)[0], 'xyz'), [1, 0, 0]),
    };
  });
  const children = new Set(joints.map((j) => j.child));
  const roots = links.filter((l) => !children.has(l));
  if (roots.length !== 1) throw new Error(`URDF must have exactly one root link, got ${roots.join(', ')}`);
  const root = roots[0];
  const movingJointOrder: string[] = [];
  const visit = (link: string) => {
    for (const j of joints) {
      if (j.parent !== link) continue;
      if (j.type !== 'fixed') movingJointOrder.push(j.name);
      visit(j.child);
    }
  };
  visit(root);
  return { name: attr(robot, 'name') ?? '', links, joints, inertials, root, movingJointOrder };
}

/** Remove <visual>, <collision> (and any <mujoco> extension block) from a URDF document. */
export function stripUrdfGeometry(urdfXml: string): string {
  return urdfXml
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<visual\b[^>]*\/>/g, '')
    .replace(/<visual\b[\s\S]*?<\/visual>/g, '')
    .replace(/<collision\b[^>]*\/>/g, '')
    .replace(/<collision\b[\s\S]*?<\/collision>/g, '')
    .replace(/<mujoco\b[\s\S]*?<\/mujoco>/g, '');
}
