import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadUrdfFile, parseUrdf, UrdfError } from '../../server/model/urdf.ts';
import { joint, link, robot, urdfError } from './helpers.ts';

const src = 'bad.urdf';
const parse = (xml: string, opts: Parameters<typeof parseUrdf>[1] = {}) => parseUrdf(xml, { source: src, ...opts });
const err = (xml: string, opts: Parameters<typeof parseUrdf>[1] = {}) => urdfError(() => parse(xml, opts));
/** A valid two-link robot with `jointExtra` inside the joint and `linkExtra` inside link b. */
const twoLinks = (jointExtra = '', linkExtra = '', type = 'revolute') =>
  robot(link('a') + link('b', linkExtra) + joint('j', 'a', 'b', type, jointExtra));

describe('UrdfError', () => {
  it('formats file: element: problem', () => {
    const e = new UrdfError('solo.urdf', "joint 'FL_HFE'", "parent link 'foo' does not exist");
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toBe("solo.urdf: joint 'FL_HFE': parent link 'foo' does not exist");
    expect(e.file).toBe('solo.urdf');
    expect(e.element).toBe("joint 'FL_HFE'");
    expect(e.problem).toBe("parent link 'foo' does not exist");
  });

  it('the valid base document used below parses', () => {
    expect(parse(twoLinks()).model.nq).toBe(1);
  });
});

describe('URDF errors name the file, the element and the problem', () => {
  it('malformed XML reports the line', () => {
    const e = err('<?xml version="1.0"?>\n<robot name="r">\n  <link name="a">\n</robot>\n');
    expect(e.file).toBe(src);
    expect(e.element).toMatch(/^line 4/);
    expect(e.problem).toMatch(/malformed XML/);
    expect(e.problem).toMatch(/link/);
  });

  it('unclosed attribute quote is malformed XML', () => {
    const e = err('<robot name="r>\n<link name="a"/></robot>');
    expect(e.problem).toMatch(/malformed XML/);
    expect(e.element).toMatch(/^line \d+/);
  });

  it('no <robot> element', () => {
    const e = err('<?xml version="1.0"?>\n<model name="x"><link name="a"/></model>');
    expect(e.element).toBe('document');
    expect(e.problem).toMatch(/no <robot> root element/);
    expect(e.problem).toMatch(/<model>/);
  });

  it('empty document', () => {
    expect(err('').problem).toMatch(/malformed XML|no <robot>/);
  });

  it('robot without name', () => {
    const e = err('<robot>' + link('a') + '</robot>');
    expect(e.element).toBe('robot');
    expect(e.problem).toMatch(/missing required attribute 'name'/);
  });

  it('link without name', () => {
    const e = err(robot(link('a') + '<link><inertial><mass value="1"/></inertial></link>'));
    expect(e.element).toMatch(/^link #2 \(line \d+\)$/);
    expect(e.problem).toMatch(/missing required attribute 'name'/);
  });

  it('duplicate link', () => {
    const e = err(robot(link('a') + link('b') + link('a') + joint('j', 'a', 'b')));
    expect(e.element).toBe("link 'a'");
    expect(e.problem).toMatch(/duplicate link name \(first defined on line 3\)/);
  });

  it('duplicate joint', () => {
    const e = err(robot(link('a') + link('b') + link('c') + joint('j', 'a', 'b') + joint('j', 'a', 'c')));
    expect(e.element).toBe("joint 'j'");
    expect(e.problem).toMatch(/duplicate joint name/);
  });

  it('joint whose parent link does not exist', () => {
    const e = err(robot(link('a') + link('b') + joint('FL_HFE', 'foo', 'b')));
    expect(e.message).toBe("bad.urdf: joint 'FL_HFE': parent link 'foo' does not exist");
  });

  it('joint whose child link does not exist', () => {
    const e = err(robot(link('a') + joint('j', 'a', 'bar')));
    expect(e.element).toBe("joint 'j'");
    expect(e.problem).toBe("child link 'bar' does not exist");
  });

  it('a link with two parent joints', () => {
    const e = err(robot(link('a') + link('b') + link('c') + joint('j1', 'a', 'c') + joint('j2', 'b', 'c')));
    expect(e.element).toBe("link 'c'");
    expect(e.problem).toBe("has two parent joints 'j1' and 'j2'");
  });

  it('a cycle beside a proper root', () => {
    const e = err(robot(link('r') + link('a') + link('b') + joint('j1', 'a', 'b') + joint('j2', 'b', 'a')));
    expect(e.element).toBe("robot 'r'");
    expect(e.problem).toMatch(/kinematic cycle through links/);
    expect(e.problem).toMatch(/'a'/);
    expect(e.problem).toMatch(/'b'/);
  });

  it('a cycle with no root at all', () => {
    const e = err(robot(link('a') + link('b') + joint('j1', 'a', 'b') + joint('j2', 'b', 'a')));
    expect(e.problem).toMatch(/kinematic cycle through links '(a|b)' -> '(a|b)' -> '(a|b)'/);
  });

  it('a link that is its own parent', () => {
    const e = err(robot(link('a') + joint('j', 'a', 'a')));
    expect(e.problem).toBe("kinematic cycle through links 'a' -> 'a'");
  });

  it('several roots are named', () => {
    const e = err(robot(link('a') + link('b') + link('c') + link('d') + joint('j', 'a', 'b')));
    expect(e.element).toBe("robot 'r'");
    expect(e.problem).toMatch(/several root links: 'a', 'c', 'd'/);
  });

  it('no links', () => {
    const e = err(robot('<material name="m"><color rgba="1 0 0 1"/></material>'));
    expect(e.element).toBe("robot 'r'");
    expect(e.problem).toBe('no <link> elements');
  });

  it('unknown joint type', () => {
    const e = err(twoLinks('', '', 'hinge'));
    expect(e.element).toBe("joint 'j'");
    expect(e.problem).toBe("unknown joint type 'hinge'");
  });

  it.each(['floating', 'planar'])('unsupported joint type %s', (type) => {
    const e = err(twoLinks('', '', type));
    expect(e.element).toBe("joint 'j'");
    expect(e.problem).toMatch(new RegExp(`^unsupported joint type '${type}'`));
  });

  it('missing joint type', () => {
    const e = err(robot(link('a') + link('b') + '<joint name="j"><parent link="a"/><child link="b"/></joint>'));
    expect(e.element).toBe("joint 'j'");
    expect(e.problem).toBe("missing required attribute 'type'");
  });

  it('joint without name', () => {
    const e = err(robot(link('a') + link('b') + '<joint type="fixed"><parent link="a"/><child link="b"/></joint>'));
    expect(e.element).toMatch(/^joint #1 \(line \d+\)$/);
    expect(e.problem).toBe("missing required attribute 'name'");
  });

  it('missing <parent>', () => {
    const e = err(robot(link('a') + link('b') + '<joint name="j" type="fixed"><child link="b"/></joint>'));
    expect(e.element).toBe("joint 'j'");
    expect(e.problem).toBe('missing <parent> element');
  });

  it('missing <child>', () => {
    const e = err(robot(link('a') + link('b') + '<joint name="j" type="fixed"><parent link="a"/></joint>'));
    expect(e.problem).toBe('missing <child> element');
  });

  it('<parent> without link attribute', () => {
    const e = err(robot(link('a') + link('b') + '<joint name="j" type="fixed"><parent/><child link="b"/></joint>'));
    expect(e.problem).toBe("<parent> is missing required attribute 'link'");
  });

  it('zero axis', () => {
    const e = err(twoLinks('<axis xyz="0 0 0"/>'));
    expect(e.element).toBe("joint 'j'");
    expect(e.problem).toBe("<axis> xyz '0 0 0' is zero");
  });

  it('negative mass', () => {
    const xml = robot(
      link('a') +
        '<link name="b"><inertial><mass value="-1"/><inertia ixx="1" iyy="1" izz="1" ixy="0" ixz="0" iyz="0"/></inertial></link>' +
        joint('j', 'a', 'b'),
    );
    const e = err(xml);
    expect(e.element).toBe("link 'b'");
    expect(e.problem).toBe('<inertial> <mass> value -1 is negative');
  });

  it('inertia matrix that is not positive semi-definite names the link', () => {
    const xml = robot(
      link('a') +
        '<link name="b"><inertial><mass value="1"/><inertia ixx="1" iyy="1" izz="1" ixy="2" ixz="0" iyz="0"/></inertial></link>' +
        joint('j', 'a', 'b'),
    );
    const e = err(xml);
    expect(e.element).toBe("link 'b'");
    expect(e.problem).toMatch(/<inertia> matrix is not positive semi-definite \(smallest eigenvalue -1\.00\)/);
  });

  it('negative diagonal inertia is not positive semi-definite', () => {
    const xml = robot('<link name="a"><inertial><mass value="1"/><inertia ixx="-1e-6" iyy="1e-6" izz="1e-6" ixy="0" ixz="0" iyz="0"/></inertial></link>');
    expect(err(xml).problem).toMatch(/not positive semi-definite/);
  });

  it('<inertial> without <mass>', () => {
    const e = err(robot('<link name="a"><inertial><inertia ixx="1" iyy="1" izz="1" ixy="0" ixz="0" iyz="0"/></inertial></link>'));
    expect(e.element).toBe("link 'a'");
    expect(e.problem).toBe('<inertial> has no <mass> element');
  });

  it('<inertia> missing a component', () => {
    const e = err(robot('<link name="a"><inertial><mass value="1"/><inertia ixx="1" iyy="1" ixy="0" ixz="0" iyz="0"/></inertial></link>'));
    expect(e.problem).toBe("<inertia> is missing required attribute 'izz'");
  });

  it.each([
    ['abc', "'abc' is not a number"],
    ['1..2', "'1..2' is not a number"],
    ['1,5', "'1,5' is not a number"],
    ['0x10', "'0x10' is not a number"],
    ['1e', "'1e' is not a number"],
  ])('non-numeric number %s', (bad, problem) => {
    const e = err(twoLinks(`<origin xyz="0 ${bad} 0"/>`));
    expect(e.element).toBe("joint 'j'");
    expect(e.problem).toBe(`<origin> xyz: ${problem}`);
  });

  it('non-numeric mass', () => {
    const e = err(robot('<link name="a"><inertial><mass value="heavy"/><inertia ixx="1" iyy="1" izz="1" ixy="0" ixz="0" iyz="0"/></inertial></link>'));
    expect(e.element).toBe("link 'a'");
    expect(e.problem).toBe("<mass> value: 'heavy' is not a number");
  });

  it('wrong-length vector (xyz with 2 numbers)', () => {
    const e = err(twoLinks('<origin xyz="0 1"/>'));
    expect(e.element).toBe("joint 'j'");
    expect(e.problem).toBe("<origin> xyz: expected 3 numbers, got 2 ('0 1')");
  });

  it('wrong-length rpy (4 numbers)', () => {
    const e = err(twoLinks('<origin rpy="0 0 0 0"/>'));
    expect(e.problem).toMatch(/<origin> rpy: expected 3 numbers, got 4/);
  });

  it('wrong-length rgba', () => {
    const e = err(robot('<link name="a"><visual><geometry><sphere radius="1"/></geometry><material name="m"><color rgba="1 0 0"/></material></visual></link>'));
    expect(e.element).toBe("link 'a'");
    expect(e.problem).toMatch(/<color> rgba: expected 4 numbers, got 3/);
  });

  it.each(['nan', 'NaN', 'inf', '-inf', 'Infinity', '1e999'])('non-finite %s in a placement', (bad) => {
    const e = err(twoLinks(`<origin xyz="${bad} 0 0"/>`));
    expect(e.element).toBe("joint 'j'");
    expect(e.problem).toBe(`<origin> xyz: '${bad}' is not a finite number`);
  });

  it('inf mass', () => {
    const e = err(robot('<link name="a"><inertial><mass value="inf"/><inertia ixx="1" iyy="1" izz="1" ixy="0" ixz="0" iyz="0"/></inertial></link>'));
    expect(e.problem).toBe("<mass> value: 'inf' is not a finite number");
  });

  it('NaN in a limit', () => {
    const e = err(twoLinks('<limit lower="nan" upper="1" effort="1" velocity="1"/>'));
    expect(e.problem).toBe("<limit> lower: 'nan' is not a finite number");
  });

  it('lower limit above upper limit', () => {
    const e = err(twoLinks('<limit lower="1" upper="-1" effort="1" velocity="1"/>'));
    expect(e.problem).toBe('<limit> lower 1 is greater than upper -1');
  });

  it('negative effort limit', () => {
    expect(err(twoLinks('<limit effort="-1" velocity="1"/>')).problem).toBe('<limit> effort -1 is negative');
  });

  it('negative damping', () => {
    expect(err(twoLinks('<dynamics damping="-0.1"/>')).problem).toBe('<dynamics> damping -0.1 is negative');
  });

  it.each([
    ['<box size="0.1 0 0.1"/>', '<box> size component 0 must be positive'],
    ['<box size="0.1 0.1"/>', '<box> size: expected 3 numbers, got 2'],
    ['<sphere radius="0"/>', '<sphere> radius 0 must be positive'],
    ['<sphere radius="-0.1"/>', '<sphere> radius -0.1 must be positive'],
    ['<cylinder radius="0.1" length="0"/>', '<cylinder> length 0 must be positive'],
    ['<cylinder radius="-1" length="1"/>', '<cylinder> radius -1 must be positive'],
    ['<capsule radius="0" length="1"/>', '<capsule> radius 0 must be positive'],
    ['<mesh filename="m.stl" scale="1 0 1"/>', "<mesh> scale '1 0 1' has a zero component"],
  ])('non-positive geometry size %s', (shape, problem) => {
    const e = err(robot(`<link name="a"><collision name="c"><geometry>${shape}</geometry></collision></link>`));
    expect(e.element).toBe("link 'a'");
    expect(e.problem).toContain(`<collision> 'c' ${problem}`);
  });

  it('geometry with a missing attribute', () => {
    const e = err(robot('<link name="a"><visual><geometry><cylinder radius="1"/></geometry></visual></link>'));
    expect(e.problem).toBe("<visual> #1 <cylinder> is missing required attribute 'length'");
  });

  it('unknown geometry shape', () => {
    const e = err(robot('<link name="a"><visual><geometry><cone radius="1"/></geometry></visual></link>'));
    expect(e.problem).toBe('<visual> #1 <geometry> has unknown shape <cone>');
  });

  it('visual without geometry', () => {
    const e = err(robot('<link name="a"><visual><origin xyz="0 0 0"/></visual></link>'));
    expect(e.problem).toBe('<visual> #1 has no <geometry> element');
  });

  it('collision mesh not found is an error when collision meshes are needed', () => {
    const xml = robot('<link name="a"><collision><geometry><mesh filename="package://nope/m.stl"/></geometry></collision></link>');
    const e = err(xml, { needCollisionMeshes: true });
    expect(e.element).toBe("link 'a'");
    expect(e.problem).toMatch(/^collision mesh 'package:\/\/nope\/m.stl' not found/);
    // ... and a warning otherwise.
    const { warnings } = parse(xml);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/bad\.urdf: link 'a': collision mesh 'package:\/\/nope\/m.stl' not found/);
  });

  it('two <origin> elements are ambiguous', () => {
    const e = err(twoLinks('<origin xyz="0 0 0"/><origin xyz="1 0 0"/>'));
    expect(e.problem).toMatch(/<joint> has 2 <origin> elements/);
  });

  it('missing file', () => {
    const e = urdfError(() => loadUrdfFile('/nonexistent/robot.urdf'));
    expect(e.message).toBe('/nonexistent/robot.urdf: file: file not found');
  });

  it('loadUrdfFile reports the path as the file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'urdf-'));
    const file = path.join(dir, 'broken.urdf');
    writeFileSync(file, robot(link('a') + joint('j', 'a', 'ghost')));
    const e = urdfError(() => loadUrdfFile(file));
    expect(e.file).toBe(file);
    expect(e.message).toBe(`${file}: joint 'j': child link 'ghost' does not exist`);
  });
});
