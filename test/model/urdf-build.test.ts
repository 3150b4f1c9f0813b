import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JOINT_FREE, JOINT_PRISMATIC, JOINT_REVOLUTE, frameIndex, totalMass } from '../../server/model/model.ts';
import { parseUrdf, readUrdf, resolveMeshUri, rpyToMatrix } from '../../server/model/urdf.ts';
import { axisAngle, expectClose, joint, link, robot, upstreamRobots } from './helpers.ts';

const parse = (xml: string, opts: Parameters<typeof parseUrdf>[1] = {}) => parseUrdf(xml, { source: 't.urdf', ...opts });
const I10 = (inertias: Float64Array, j: number) => Array.from(inertias.subarray(10 * j, 10 * j + 10));
const inertial = (m: number, xyz: string, rpy: string, d: [number, number, number], off = [0, 0, 0]) =>
  `<inertial><origin xyz="${xyz}" rpy="${rpy}"/><mass value="${m}"/>` +
  `<inertia ixx="${d[0]}" iyy="${d[1]}" izz="${d[2]}" ixy="${off[0]}" ixz="${off[1]}" iyz="${off[2]}"/></inertial>`;

describe('rotations', () => {
  it('URDF rpy is fixed-axis roll-pitch-yaw: R = Rz(y) Ry(p) Rx(r)', () => {
    const [r, p, y] = [0.3, -0.7, 1.1];
    const mul = (a: number[], b: number[]) =>
      [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j]));
    const expected = mul(mul(axisAngle([0, 0, 1], y), axisAngle([0, 1, 0], p)), axisAngle([1, 0, 0], r));
    expectClose(rpyToMatrix(r, p, y), expected, 1e-15, 'R');
  });

  it('joint origin rpy goes into jointPlacements (row-major R, then p)', () => {
    const { model } = parse(robot(link('a') + link('b') + joint('j', 'a', 'b', 'revolute', '<origin xyz="1 2 3" rpy="0 0 1.5707963267948966"/>')));
    expectClose(model.jointPlacements.subarray(12, 24), [0, -1, 0, 1, 0, 0, 0, 0, 1, 1, 2, 3], 1e-15, 'placement');
    expectClose(model.jointPlacements.subarray(0, 12), [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0], 0, 'universe');
  });
});

describe('inertials', () => {
  it('rpy on the inertial origin rotates the tensor: 90 deg about z swaps xx and yy', () => {
    const { model } = parse(robot(link('a') + `<link name="b">${inertial(2, '0.1 0.2 0.3', '0 0 1.5707963267948966', [1, 2, 3])}</link>` + joint('j', 'a', 'b')));
    expectClose(I10(model.inertias, 1), [2, 0.1, 0.2, 0.3, 2, 1, 3, 0, 0, 0], 1e-12, 'inertia');
  });

  it('general rpy: I_link = R I R^T', () => {
    const rpy = [0.4, -0.2, 0.9];
    const { model } = parse(robot(`<link name="a">${inertial(1, '0 0 0', rpy.join(' '), [1, 2, 3], [0.1, 0, 0.2])}</link>`), { floating: true });
    const R = rpyToMatrix(rpy[0], rpy[1], rpy[2]);
    const I = [1, 0.1, 0, 0.1, 2, 0.2, 0, 0.2, 3];
    const RI = [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => R[3 * i] * I[j] + R[3 * i + 1] * I[3 + j] + R[3 * i + 2] * I[6 + j]));
    const RIRt = [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => RI[3 * i] * R[3 * j] + RI[3 * i + 1] * R[3 * j + 1] + RI[3 * i + 2] * R[3 * j + 2]));
    expectClose(I10(model.inertias, 1).slice(4), [RIRt[0], RIRt[4], RIRt[8], RIRt[1], RIRt[2], RIRt[5]], 1e-14, 'I');
    // Trace is invariant.
    expect(RIRt[0] + RIRt[4] + RIRt[8]).toBeCloseTo(6, 14);
  });

  it('missing inertial is zero mass; a zero-mass, zero-inertia moving body warns', () => {
    const { model, warnings } = parse(robot(link('a') + '<link name="b"/>' + joint('j', 'a', 'b')));
    expect(I10(model.inertias, 1)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(warnings).toEqual(["t.urdf: joint 'j': body 'b' has zero mass and zero inertia (singular mass matrix)"]);
  });

  it('a zero-mass link merged through a fixed joint does not warn', () => {
    const { model, warnings } = parse(robot(link('a') + link('b') + '<link name="tip"/>' + joint('j', 'a', 'b') + joint('f', 'b', 'tip', 'fixed', '<origin xyz="0 0 1"/>')));
    expect(warnings).toEqual([]);
    expect(model.inertias[10]).toBe(1);
  });
});

describe('fixed joints are merged into the moving parent body', () => {
  // Body of j1: link A (m 2, COM 0, I 0.01 E). Fixed joint f: xyz (0 0 1), yaw 90 deg, to link B
  // (m 1, COM (1 0 0) in B, I diag(0.1 0.2 0.3)). Hand computation in the j1 frame:
  //   B COM -> Rz90 (1 0 0) + (0 0 1) = (0 1 1); B inertia rotated -> diag(0.2 0.1 0.3).
  //   m = 3, c = (0 1/3 1/3); d_A = (0 -1/3 -1/3), d_B = (0 2/3 2/3).
  //   parallel axis m (|d|^2 E - d d^T): A: xx 4/9, yy 2/9, zz 2/9, yz -2/9; B: xx 8/9, yy 4/9, zz 4/9, yz -4/9
  //   Ixx = 0.01 + 0.2 + 12/9, Iyy = 0.01 + 0.1 + 6/9, Izz = 0.01 + 0.3 + 6/9, Iyz = -6/9.
  const xml = robot(
    link('base') +
      `<link name="A">${inertial(2, '0 0 0', '0 0 0', [0.01, 0.01, 0.01])}</link>` +
      `<link name="B">${inertial(1, '1 0 0', '0 0 0', [0.1, 0.2, 0.3])}</link>` +
      link('C') +
      joint('j1', 'base', 'A', 'revolute', '<origin xyz="0 0 0.5"/><axis xyz="0 0 1"/>') +
      joint('f', 'A', 'B', 'fixed', '<origin xyz="0 0 1" rpy="0 0 1.5707963267948966"/>') +
      joint('j2', 'B', 'C', 'revolute', '<origin xyz="0.5 0 0"/><axis xyz="1 0 0"/>'),
  );

  it('combined inertia (parallel-axis theorem, rotated tensor)', () => {
    const { model, warnings } = parse(xml);
    expect(warnings).toEqual([]);
    expect(model.njoints).toBe(3);
    expect(model.jointNames).toEqual(['universe', 'j1', 'j2']);
    expectClose(
      I10(model.inertias, 1),
      [3, 0, 1 / 3, 1 / 3, 0.01 + 0.2 + 12 / 9, 0.01 + 0.1 + 6 / 9, 0.01 + 0.3 + 6 / 9, 0, 0, -6 / 9],
      1e-14,
      'merged inertia',
    );
  });

  it('a moving joint below a fixed joint gets the composed placement', () => {
    const { model } = parse(xml);
    // Rz90 with p = (0 0 1) + Rz90 (0.5 0 0) = (0 0.5 1); axis stays in the joint frame.
    expectClose(model.jointPlacements.subarray(24, 36), [0, -1, 0, 1, 0, 0, 0, 0, 1, 0, 0.5, 1], 1e-15, 'j2');
    expectClose(model.axes.subarray(6, 9), [1, 0, 0], 0, 'axis');
    expect(model.parents[2]).toBe(1);
  });

  it('the merged link is a fixed frame and the fixed joint a joint frame', () => {
    const { model } = parse(xml);
    const B = model.frames[frameIndex(model, 'B')];
    expect(B.kind).toBe('fixed');
    expect(B.parentJoint).toBe(1);
    expectClose(B.placement, [0, -1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1], 1e-15, 'B');
    const f = model.frames.find((fr) => fr.name === 'f');
    expect(f?.kind).toBe('joint');
    expect(f?.parentJoint).toBe(1);
    expectClose(f!.placement, B.placement, 0, 'f');
    expect(model.frames.map((fr) => `${fr.name}:${fr.kind}:${fr.parentJoint}`)).toEqual([
      'base:body:0', 'j1:joint:1', 'A:body:1', 'f:joint:1', 'B:fixed:1', 'j2:joint:2', 'C:body:2',
    ]);
    // Moving joint frames sit at their joint with the identity placement.
    expectClose(model.frames[1].placement, [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0], 0, 'j1 frame');
  });

  it('fixed children of a fixed-base root go into rootInertia', () => {
    const x = robot(
      `<link name="r">${inertial(1, '0 0 0', '0 0 0', [1, 1, 1])}</link>` +
        `<link name="s">${inertial(1, '0 0 0', '0 0 0', [1, 1, 1])}</link>` +
        joint('f', 'r', 's', 'fixed', '<origin xyz="2 0 0"/>'),
    );
    const { model, warnings } = parse(x);
    expect(warnings).toEqual([]);
    expect(model.njoints).toBe(1);
    expect(model.nq).toBe(0);
    expect(model.bodyNames).toEqual(['r']);
    expectClose(model.rootInertia, [2, 1, 0, 0, 2, 4, 4, 0, 0, 0], 1e-14, 'root');
    expect(totalMass(model)).toBe(0);
    // Floating: the same body becomes body 1.
    const fl = parse(x, { floating: true }).model;
    expectClose(fl.inertias.subarray(10, 20), [2, 1, 0, 0, 2, 4, 4, 0, 0, 0], 1e-14, 'body 1');
    expectClose(fl.rootInertia, new Float64Array(10), 0, 'rootInertia');
  });
});

describe('tree, order and joint kinds', () => {
  const xml = robot(
    link('root') + link('a1') + link('a2') + link('b1') + link('m') + link('c1') +
      joint('ja1', 'root', 'a1') +
      joint('jfix', 'root', 'm', 'fixed') +
      joint('jb1', 'root', 'b1', 'prismatic', '<axis xyz="0 0 2"/>') +
      joint('ja2', 'a1', 'a2', 'continuous', '<axis xyz="0 1 0"/>') +
      joint('jc1', 'm', 'c1'),
  );

  it('depth-first from the root, children in file order; parents[i] < i', () => {
    const { model } = parse(xml);
    expect(model.jointNames).toEqual(['universe', 'ja1', 'ja2', 'jc1', 'jb1']);
    expect(model.bodyNames).toEqual(['root', 'a1', 'a2', 'c1', 'b1']);
    expect(Array.from(model.parents)).toEqual([-1, 0, 1, 0, 0]);
    for (let i = 1; i < model.njoints; i++) expect(model.parents[i]).toBeLessThan(i);
  });

  it('joint kinds, sizes, axes; continuous has nq 1 and no position limit', () => {
    const { model } = parse(xml);
    expect(Array.from(model.jointTypes).slice(1)).toEqual([JOINT_REVOLUTE, JOINT_REVOLUTE, JOINT_REVOLUTE, JOINT_PRISMATIC]);
    expect(Array.from(model.continuous)).toEqual([0, 0, 1, 0, 0]);
    expect(Array.from(model.nqs)).toEqual([0, 1, 1, 1, 1]);
    expect(Array.from(model.idxQ)).toEqual([0, 0, 1, 2, 3]);
    expect(model.nq).toBe(4);
    expect(model.nv).toBe(4);
    expect(model.nu).toBe(4);
    expectClose(model.axes, [0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1], 0, 'axes (normalised, default x)');
    expect(model.lowerPositionLimit[1]).toBe(-Infinity);
    expect(model.upperPositionLimit[1]).toBe(Infinity);
  });

  it('floating adds root_joint as joint 1 (nq 7, nv 6), not actuated', () => {
    const { model } = parse(xml, { floating: true });
    expect(model.floating).toBe(true);
    expect(model.jointNames.slice(0, 2)).toEqual(['universe', 'root_joint']);
    expect(model.bodyNames.slice(0, 2)).toEqual(['universe', 'root']);
    expect(model.jointTypes[1]).toBe(JOINT_FREE);
    expect([model.nqs[1], model.nvs[1], model.nq, model.nv, model.nu]).toEqual([7, 6, 11, 10, 4]);
    expect(Array.from(model.idxQ)).toEqual([0, 0, 7, 8, 9, 10]);
    expect(Array.from(model.idxV)).toEqual([0, 0, 6, 7, 8, 9]);
    expect(model.frames[0]).toMatchObject({ name: 'root_joint', kind: 'joint', parentJoint: 1 });
    expect(model.frames[1]).toMatchObject({ name: 'root', kind: 'body', parentJoint: 1 });
    for (let i = 0; i < 7; i++) expect(model.lowerPositionLimit[i]).toBe(-Infinity);
    for (let i = 0; i < 6; i++) expect(model.effortLimit[i]).toBe(Infinity);
    expect(Array.from(model.gravity)).toEqual([0, 0, -9.81]);
  });
});

describe('limits and dynamics', () => {
  const twoLinks = (extra: string, type = 'revolute') => robot(link('a') + link('b') + joint('j', 'a', 'b', type, extra));

  it('limits go to idxQ / idxV; damping and friction to idxV', () => {
    const { model, warnings } = parse(twoLinks('<limit lower="-1.5" upper="2" effort="3" velocity="4"/><dynamics damping="0.5" friction="0.25"/>'), { floating: true });
    expect(warnings).toEqual([]);
    expect([model.lowerPositionLimit[7], model.upperPositionLimit[7]]).toEqual([-1.5, 2]);
    expect([model.effortLimit[6], model.velocityLimit[6], model.damping[6], model.friction[6]]).toEqual([3, 4, 0.5, 0.25]);
  });

  it('missing limits are infinite, without warnings', () => {
    const { model, warnings } = parse(twoLinks(''));
    expect(warnings).toEqual([]);
    expect([model.lowerPositionLimit[0], model.upperPositionLimit[0], model.effortLimit[0], model.velocityLimit[0]]).toEqual([-Infinity, Infinity, Infinity, Infinity]);
    expect([model.damping[0], model.friction[0]]).toEqual([0, 0]);
  });

  it('one-sided position limit', () => {
    const { model } = parse(twoLinks('<limit lower="-1" effort="1" velocity="1"/>'));
    expect([model.lowerPositionLimit[0], model.upperPositionLimit[0]]).toEqual([-1, Infinity]);
  });

  it('lower = upper = 0 (and effort/velocity 0) are placeholders: unlimited, with one warning', () => {
    const { model, warnings } = parse(twoLinks('<limit lower="0" upper="0" effort="0" velocity="0"/>'));
    expect([model.lowerPositionLimit[0], model.upperPositionLimit[0], model.effortLimit[0], model.velocityLimit[0]]).toEqual([-Infinity, Infinity, Infinity, Infinity]);
    expect(warnings).toEqual([
      "t.urdf: joint 'j': <limit> lower = upper = 0 read as no position limit; effort 0 read as no effort limit; velocity 0 read as no velocity limit",
    ]);
  });

  it('continuous joints ignore position limits', () => {
    const { model, warnings } = parse(twoLinks('<limit lower="-1" upper="1" effort="2" velocity="3"/>', 'continuous'));
    expect(warnings).toEqual([]);
    expect(model.continuous[1]).toBe(1);
    expect([model.lowerPositionLimit[0], model.upperPositionLimit[0], model.effortLimit[0]]).toEqual([-Infinity, Infinity, 2]);
  });

  it('inf is accepted in limits', () => {
    const { model } = parse(twoLinks('<limit lower="-inf" upper="inf" effort="inf" velocity="10"/>'));
    expect([model.lowerPositionLimit[0], model.upperPositionLimit[0], model.effortLimit[0], model.velocityLimit[0]]).toEqual([-Infinity, Infinity, Infinity, 10]);
  });

  it('fixed joints with <limit>, <dynamics> and no <axis> are fine', () => {
    const { model, warnings } = parse(robot(link('a') + link('b') + joint('f', 'a', 'b', 'fixed', '<limit effort="1000" lower="-10" upper="10" velocity="1000"/><dynamics damping="0.0" friction="0.0"/>')));
    expect(warnings).toEqual([]);
    expect(model.nq).toBe(0);
  });

  it('<mimic> is reported as unsupported', () => {
    const { warnings } = parse(twoLinks('<mimic joint="x"/>'));
    expect(warnings).toEqual(["t.urdf: joint 'j': <mimic> is not supported; the joint is independent"]);
  });
});

describe('numbers and upstream quirks', () => {
  it.each([
    ['0.', 0],
    ['2.6279E-13', 2.6279e-13],
    ['1E-3', 1e-3],
    ['+1.5', 1.5],
    ['-.5', -0.5],
    ['  7  ', 7],
  ])('accepts %j', (s, x) => {
    const { model } = parse(robot(link('a') + link('b') + joint('j', 'a', 'b', 'revolute', `<origin xyz="${s} 0 0"/>`)));
    expect(model.jointPlacements[12 + 9]).toBe(x);
  });

  it('comments, namespaces, <contact>, <material> in <collision>, <inertial> last, <gazebo>', () => {
    const xml = `<?xml version="1.0" ?>
<!-- generated -->
<robot name="q" xmlns:xacro="http://www.ros.org/wiki/xacro">
  <!-- a comment -->
  <xacro:property name="x" value="1"/>
  <link name="a">
    <visual><geometry><box size="1 1 1"/></geometry><material name="grey"><color rgba="0.8 0.8 0.8 1.0"/></material></visual>
    <collision><geometry><box size="1 1 1"/></geometry><material name="grey"><color rgba="0.8 0.8 0.8 1.0"/></material></collision>
    <contact><lateral_friction value="1.0"/><restitution value="0.5"/></contact>
    <inertial><origin rpy="0 0 0" xyz="0 0 0."/><mass value="1."/><inertia ixx="1" ixy="0.0" ixz="0.0" iyy="1" iyz="0.0" izz="1"/></inertial>
  </link>
  <gazebo reference="a"><mu1>0.5</mu1></gazebo>
  <transmission name="t"><type>x</type></transmission>
</robot>`;
    const { model, warnings } = parse(xml);
    expect(warnings).toEqual([]);
    expect(model.rootInertia[0]).toBe(1);
    expect(model.visuals[0].rgba).toEqual([0.8, 0.8, 0.8, 1]);
    expect(model.collisions[0].rgba).toBeUndefined();
  });

  it('readUrdf exposes the typed intermediate structure', () => {
    const r = readUrdf(robot(link('a') + link('b') + joint('j', 'a', 'b', 'revolute', '<axis xyz="0 0 3"/>')), 'x.urdf');
    expect(r.name).toBe('r');
    expect(r.links.map((l) => l.name)).toEqual(['a', 'b']);
    expect(r.joints[0]).toMatchObject({ name: 'j', type: 'revolute', parent: 'a', child: 'b', axis: [0, 0, 1] });
    expect(r.links[0].inertial?.mass).toBe(1);
  });
});

describe('geometry', () => {
  it('shapes, placements in the parent joint frame, materials by reference', () => {
    const xml = robot(
      '<material name="red"><color rgba="1 0 0 1"/></material>' +
        link('a') +
        link('b', '<visual name="v1"><origin xyz="0 0 1"/><geometry><box size="1 2 3"/></geometry><material name="red"/></visual>' +
          '<visual><geometry><capsule radius="0.1" length="0.5"/></geometry><material name="inline"><color rgba="0 1 0 0.5"/></material></visual>' +
          '<collision><geometry><cylinder radius="0.1" length="0.2"/></geometry></collision>') +
        link('c', '<collision name="foot"><origin xyz="0 0 -0.1"/><geometry><sphere radius="0.016"/></geometry></collision>') +
        joint('j', 'a', 'b') +
        joint('f', 'b', 'c', 'fixed', '<origin xyz="1 0 0"/>'),
    );
    const { model, warnings } = parse(xml);
    expect(warnings).toEqual([]);
    expect(model.visuals).toHaveLength(2);
    expect(model.visuals[0]).toMatchObject({ link: 'b', name: 'v1', parentJoint: 1, shape: { type: 'box', size: [1, 2, 3] }, rgba: [1, 0, 0, 1] });
    expectClose(model.visuals[0].placement.subarray(9), [0, 0, 1], 0, 'p');
    expect(model.visuals[1]).toMatchObject({ shape: { type: 'capsule', radius: 0.1, length: 0.5 }, rgba: [0, 1, 0, 0.5] });
    expect(model.collisions.map((g) => g.shape.type)).toEqual(['cylinder', 'sphere']);
    expect(model.collisions[1]).toMatchObject({ link: 'c', name: 'foot', parentJoint: 1 });
    expectClose(model.collisions[1].placement.subarray(9), [1, 0, -0.1], 0, 'foot');
  });

  it('an undefined material reference warns', () => {
    const { warnings } = parse(robot(link('a', '<visual><geometry><sphere radius="1"/></geometry><material name="nope"/></visual>')));
    expect(warnings).toEqual(["t.urdf: link 'a': material 'nope' is not defined"]);
  });

  it('root geometry of a fixed base hangs from joint 0', () => {
    const { model } = parse(robot(link('a', '<visual><geometry><sphere radius="1"/></geometry></visual>')));
    expect(model.visuals[0].parentJoint).toBe(0);
  });
});

describe('mesh resolution', () => {
  const solo = path.join(upstreamRobots, 'solo_description');
  const stl = path.join(solo, 'meshes/stl/with_foot/solo_foot.stl');

  it('package://example-robot-data/... against .../example-robot-data/robots (leading components stripped)', () => {
    expect(resolveMeshUri('package://example-robot-data/robots/solo_description/meshes/stl/with_foot/solo_foot.stl', [upstreamRobots])).toBe(stl);
  });

  it('package://pkg/rest against a dir that contains pkg, and against the package itself', () => {
    expect(resolveMeshUri('package://solo_description/meshes/stl/with_foot/solo_foot.stl', [upstreamRobots])).toBe(stl);
    expect(resolveMeshUri('package://solo_description/meshes/stl/with_foot/solo_foot.stl', [solo])).toBe(stl);
    expect(resolveMeshUri('package://solo_description/meshes/stl/with_foot/solo_foot.stl', ['/nonexistent', solo])).toBe(stl);
  });

  it('file://, absolute and relative paths; unknown schemes and missing files are null', () => {
    expect(resolveMeshUri(`file://${stl}`, [])).toBe(stl);
    expect(resolveMeshUri(stl, [])).toBe(stl);
    expect(resolveMeshUri('../meshes/stl/with_foot/solo_foot.stl', [], path.join(solo, 'robots'))).toBe(stl);
    expect(resolveMeshUri('../meshes/stl/with_foot/solo_foot.stl', [])).toBeNull();
    expect(resolveMeshUri('http://example.com/m.stl', [upstreamRobots])).toBeNull();
    expect(resolveMeshUri('package://solo_description/meshes/none.stl', [upstreamRobots])).toBeNull();
    expect(resolveMeshUri('package://../../etc/passwd', ['/'])).toBeNull();
  });

  it('the ancestors of baseDir are searched when no package dir matches', () => {
    expect(resolveMeshUri('package://example-robot-data/robots/solo_description/meshes/stl/with_foot/solo_foot.stl', [], path.join(solo, 'robots'))).toBe(stl);
  });

  it('mesh geometry keeps the URI and gets the path; a visual mesh not found warns (path null)', () => {
    const xml = robot(
      link('a',
        '<visual><geometry><mesh filename="package://example-robot-data/robots/solo_description/meshes/stl/with_foot/solo_foot.stl" scale="0.001 0.001 0.001"/></geometry></visual>' +
          '<visual><geometry><mesh filename="package://missing/m.stl"/></geometry></visual>' +
          '<collision><geometry><mesh filename="package://example-robot-data/robots/solo_description/meshes/stl/with_foot/solo_foot.stl"/></geometry></collision>'),
    );
    const { model, warnings } = parse(xml, { packageDirs: [upstreamRobots], needCollisionMeshes: true });
    expect(model.visuals[0].shape).toEqual({
      type: 'mesh',
      uri: 'package://example-robot-data/robots/solo_description/meshes/stl/with_foot/solo_foot.stl',
      path: stl,
      scale: [0.001, 0.001, 0.001],
    });
    expect(model.visuals[1].shape).toMatchObject({ type: 'mesh', path: null });
    expect(model.collisions[0].shape).toMatchObject({ path: stl });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^t\.urdf: link 'a': visual mesh 'package:\/\/missing\/m\.stl' not found/);
  });

  it('relative mesh paths resolve against baseDir', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mesh-'));
    mkdirSync(path.join(dir, 'meshes'));
    writeFileSync(path.join(dir, 'meshes', 'm.stl'), 'solid x\nendsolid x\n');
    const { model, warnings } = parse(robot(link('a', '<collision><geometry><mesh filename="meshes/m.stl"/></geometry></collision>')), { baseDir: dir, needCollisionMeshes: true });
    expect(warnings).toEqual([]);
    expect(model.collisions[0].shape).toMatchObject({ path: path.join(dir, 'meshes', 'm.stl') });
  });
});
