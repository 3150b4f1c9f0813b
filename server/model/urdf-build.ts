/**
 * URDF stage 2: `buildModel` checks the tree (names, parents, roots, cycles), numbers the
 * joints depth-first from the root with children in file order (an explicit stack: no
 * recursion), merges fixed joints into their moving parent body, and fills the flat arrays of
 * `Model` (see model.ts for conventions).
 */
import { jointForUrdf, jointType, JOINT_FREE } from './joints/index.ts';
import { type Frame, type Geometry, type GeometryShape, type Model } from './model.ts';
import { resolveMeshUri } from './mesh-uri.ts';
import { addInertia, compose, IDENTITY, inertialWarnings, inertiaTo10, linkInertia, poseToSE3, se3Array, transformInertia, ZERO_INERTIA, type Inertia, type SE3 } from './urdf-inertia.ts';
import { UrdfError, type ParseUrdfOptions, type UrdfJoint, type UrdfLink, type UrdfRobot, type Vec3 } from './urdf-types.ts';

// ---------------------------------------------------------------------------------------------
// Stage 2: tree -> Model
// ---------------------------------------------------------------------------------------------

interface MovingJoint {
  name: string;
  kind: number;
  body: string;
  parent: number;
  placement: SE3;
  axis: Vec3;
  urdf: UrdfJoint | null; // null for the free-flyer
}

export function buildModel(robot: UrdfRobot, opts: ParseUrdfOptions = {}, warnings: string[] = []): Model {
  const file = robot.source;
  const fail = (element: string, problem: string): never => {
    throw new UrdfError(file, element, problem);
  };
  const floating = opts.floating ?? false;

  if (robot.links.length === 0) fail(`robot '${robot.name}'`, 'no <link> elements');
  inertialWarnings(robot, warnings);
  const linkByName = new Map<string, UrdfLink>();
  for (const l of robot.links) linkByName.set(l.name, l);

  // Parent joint of every link; children joints of every link, in file order.
  const parentJointOf = new Map<string, UrdfJoint>();
  const childJoints = new Map<string, UrdfJoint[]>();
  for (const j of robot.joints) {
    const el = `joint '${j.name}'`;
    if (!linkByName.has(j.parent)) fail(el, `parent link '${j.parent}' does not exist`);
    if (!linkByName.has(j.child)) fail(el, `child link '${j.child}' does not exist`);
    const prev = parentJointOf.get(j.child);
    if (prev) fail(`link '${j.child}'`, `has two parent joints '${prev.name}' and '${j.name}'`);
    parentJointOf.set(j.child, j);
    const list = childJoints.get(j.parent);
    if (list) list.push(j);
    else childJoints.set(j.parent, [j]);
  }

  const findCycle = (start: string): never => {
    const seen: string[] = [];
    let cur = start;
    while (!seen.includes(cur)) {
      seen.push(cur);
      const pj = parentJointOf.get(cur);
      if (!pj) break;
      cur = pj.parent;
    }
    const loop = seen.slice(seen.indexOf(cur));
    const names = [...loop].reverse().concat(loop[loop.length - 1]).map((n) => `'${n}'`);
    // The loop above walks child -> parent; print it parent -> child.
    return fail(`robot '${robot.name}'`, `kinematic cycle through links ${names.join(' -> ')}`);
  };

  const roots = robot.links.filter((l) => !parentJointOf.has(l.name));
  if (roots.length === 0) findCycle(robot.links[0].name);
  if (roots.length > 1) {
    fail(
      `robot '${robot.name}'`,
      `several root links: ${roots.map((l) => `'${l.name}'`).join(', ')} (all links must form one tree)`,
    );
  }
  const root = roots[0];

  // Depth-first traversal from the root, children in file order.
  const moving: MovingJoint[] = [
    { name: 'universe', kind: -1, body: floating ? 'universe' : root.name, parent: -1, placement: IDENTITY, axis: [0, 0, 0], urdf: null },
  ];
  const bodyInertia: Inertia[] = [ZERO_INERTIA()];
  const frames: Frame[] = [];
  const visuals: Geometry[] = [];
  const collisions: Geometry[] = [];
  const reached = new Set<string>();
  const packageDirs = opts.packageDirs ?? [];

  const addGeometry = (link: UrdfLink, parentJoint: number, T: SE3): void => {
    for (const [list, out, isCollision] of [
      [link.visuals, visuals, false],
      [link.collisions, collisions, true],
    ] as const) {
      for (let i = 0; i < list.length; i++) {
        const g = list[i];
        let shape: GeometryShape;
        if (g.shape.type === 'mesh') {
          const p = resolveMeshUri(g.shape.uri, packageDirs, opts.baseDir);
          if (p === null) {
            const kind = isCollision ? 'collision' : 'visual';
            const problem = `${kind} mesh '${g.shape.uri}' not found (package dirs: ${
              packageDirs.length ? packageDirs.join(', ') : 'none'
            }${opts.baseDir ? `; base dir ${opts.baseDir}` : ''})`;
            if (isCollision && opts.needCollisionMeshes) fail(`link '${link.name}'`, problem);
            warnings.push(`${file}: link '${link.name}': ${problem}`);
          }
          shape = { type: 'mesh', uri: g.shape.uri, path: p, scale: g.shape.scale };
        } else {
          shape = g.shape;
        }
        const geom: Geometry = {
          link: link.name,
          name: g.name,
          parentJoint,
          placement: se3Array(compose(T, poseToSE3(g.origin))),
          shape,
        };
        if (!isCollision) {
          let rgba = g.rgba;
          if (!rgba && g.materialName !== '') {
            if (robot.materials.has(g.materialName)) rgba = robot.materials.get(g.materialName);
            else warnings.push(`${file}: link '${link.name}': material '${g.materialName}' is not defined`);
          }
          if (rgba) geom.rgba = [...rgba];
        }
        out.push(geom);
      }
    }
  };

  // Depth-first, children in file order, with an explicit stack (a 5,000-link chain must not
  // overflow the call stack): a popped edge numbers its joint, then its child link's own edges
  // go on the stack in reverse so that they pop in file order, as a recursive walk would.
  interface Edge { joint: UrdfJoint; mj: number; T: SE3 }
  const stack: Edge[] = [];
  /** Adds `link`, attached to moving joint `mj` with placement T (link frame -> joint frame), and queues its child joints. */
  const enter = (link: UrdfLink, mj: number, T: SE3, kind: 'body' | 'fixed'): void => {
    reached.add(link.name);
    frames.push({ name: link.name, kind, parentJoint: mj, placement: se3Array(T) });
    bodyInertia[mj] = addInertia(bodyInertia[mj], transformInertia(T, linkInertia(robot, link)));
    addGeometry(link, mj, T);
    const children = childJoints.get(link.name) ?? [];
    for (let i = children.length - 1; i >= 0; i--) stack.push({ joint: children[i], mj, T });
  };
  const walk = (): void => {
    for (let e = stack.pop(); e; e = stack.pop()) {
      const { joint: j, mj, T } = e;
      // Each link has at most one parent joint and the root none: this walk is a tree walk.
      const child = linkByName.get(j.child) as UrdfLink;
      const Tj = compose(T, poseToSE3(j.origin));
      if (j.type === 'fixed') {
        frames.push({ name: j.name, kind: 'joint', parentJoint: mj, placement: se3Array(Tj) });
        enter(child, mj, Tj, 'fixed');
      } else {
        const idx = moving.length;
        moving.push({
          name: j.name,
          kind: (jointForUrdf(j.type) ?? fail(`joint '${j.name}'`, `no joint type builds URDF type '${j.type}'`)).kind,
          body: child.name,
          parent: mj,
          placement: Tj,
          axis: j.axis,
          urdf: j,
        });
        bodyInertia.push(ZERO_INERTIA());
        frames.push({ name: j.name, kind: 'joint', parentJoint: idx, placement: se3Array(IDENTITY) });
        enter(child, idx, IDENTITY, 'body');
      }
    }
  };

  if (floating) {
    moving.push({ name: 'root_joint', kind: JOINT_FREE, body: root.name, parent: 0, placement: IDENTITY, axis: [0, 0, 0], urdf: null });
    bodyInertia.push(ZERO_INERTIA());
    frames.push({ name: 'root_joint', kind: 'joint', parentJoint: 1, placement: se3Array(IDENTITY) });
    enter(root, 1, IDENTITY, 'body');
  } else {
    enter(root, 0, IDENTITY, 'body');
  }
  walk();
  for (const l of robot.links) if (!reached.has(l.name)) findCycle(l.name);

  // Flat arrays.
  const njoints = moving.length;
  const jointTypes = new Int32Array(njoints);
  const parents = new Int32Array(njoints);
  const idxQ = new Int32Array(njoints);
  const idxV = new Int32Array(njoints);
  const nqs = new Int32Array(njoints);
  const nvs = new Int32Array(njoints);
  const continuous = new Uint8Array(njoints);
  const jointPlacements = new Float64Array(12 * njoints);
  const axes = new Float64Array(3 * njoints);
  const inertias = new Float64Array(10 * njoints);
  let nq = 0;
  let nv = 0;
  for (let i = 0; i < njoints; i++) {
    const mjnt = moving[i];
    jointTypes[i] = mjnt.kind;
    parents[i] = mjnt.parent;
    jointPlacements.set(se3Array(mjnt.placement), 12 * i);
    axes.set(mjnt.axis, 3 * i);
    if (i === 0) continue;
    const { nq: q, nv: v } = jointType(mjnt.kind);
    idxQ[i] = nq;
    idxV[i] = nv;
    nqs[i] = q;
    nvs[i] = v;
    nq += q;
    nv += v;
    if (mjnt.urdf?.type === 'continuous') continuous[i] = 1;
    inertiaTo10(bodyInertia[i], inertias, 10 * i);
    const J = bodyInertia[i];
    if (J.m === 0 && J.I.every((x) => x === 0)) {
      warnings.push(
        `${file}: joint '${mjnt.name}': body '${mjnt.body}' has zero mass and zero inertia (singular mass matrix)`,
      );
    }
  }
  idxQ[0] = 0;
  idxV[0] = 0;
  const nu = moving.reduce((s, m, i) => (i > 0 && jointType(m.kind).actuated ? s + jointType(m.kind).nv : s), 0);

  const lowerPositionLimit = new Float64Array(nq).fill(-Infinity);
  const upperPositionLimit = new Float64Array(nq).fill(Infinity);
  const velocityLimit = new Float64Array(nv).fill(Infinity);
  const effortLimit = new Float64Array(nv).fill(Infinity);
  const damping = new Float64Array(nv);
  const friction = new Float64Array(nv);
  for (let i = 1; i < njoints; i++) {
    const j = moving[i].urdf;
    if (!j) continue;
    damping[idxV[i]] = j.damping;
    friction[idxV[i]] = j.friction;
    const lim = j.limit;
    if (!lim) continue;
    const placeholders: string[] = [];
    if (j.type !== 'continuous' && lim.lower !== undefined && lim.upper !== undefined) {
      if (lim.lower === 0 && lim.upper === 0) {
        placeholders.push('lower = upper = 0 read as no position limit');
      } else {
        lowerPositionLimit[idxQ[i]] = lim.lower;
        upperPositionLimit[idxQ[i]] = lim.upper;
      }
    } else if (j.type !== 'continuous') {
      // Only one side given: the other side is unlimited.
      if (lim.lower !== undefined) lowerPositionLimit[idxQ[i]] = lim.lower;
      if (lim.upper !== undefined) upperPositionLimit[idxQ[i]] = lim.upper;
    }
    if (lim.effort === 0) placeholders.push('effort 0 read as no effort limit');
    else if (lim.effort !== undefined) effortLimit[idxV[i]] = lim.effort;
    if (lim.velocity === 0) placeholders.push('velocity 0 read as no velocity limit');
    else if (lim.velocity !== undefined) velocityLimit[idxV[i]] = lim.velocity;
    if (placeholders.length) warnings.push(`${file}: joint '${j.name}': <limit> ${placeholders.join('; ')}`);
  }

  const rootInertia = new Float64Array(10);
  if (!floating) inertiaTo10(bodyInertia[0], rootInertia, 0);

  return {
    name: robot.name,
    source: file,
    nq,
    nv,
    nu,
    njoints,
    jointNames: moving.map((m) => m.name),
    bodyNames: moving.map((m) => m.body),
    jointTypes,
    parents,
    idxQ,
    idxV,
    nqs,
    nvs,
    continuous,
    jointPlacements,
    axes,
    inertias,
    lowerPositionLimit,
    upperPositionLimit,
    velocityLimit,
    effortLimit,
    damping,
    friction,
    gravity: new Float64Array([0, 0, -9.81]),
    frames,
    visuals,
    collisions,
    rootInertia,
    floating,
  };
}

