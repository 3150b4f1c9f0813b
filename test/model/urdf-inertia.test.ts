/**
 * Inertia checks: the positive-semi-definite test tolerates round-off relative to the robot's
 * scale (iCub ships a link whose tensor is zero but for a 1.4e-20 off-diagonal), still refuses
 * a clearly indefinite tensor, and warns (without refusing) about inertias no rigid body has.
 */
import { describe, expect, it } from 'vitest';
import { parseUrdf } from '../../server/model/urdf.ts';
import { joint, robot, urdfError } from './helpers.ts';

const inertial = (m: number, [ixx, iyy, izz, ixy, ixz, iyz]: number[]) =>
  `<inertial><mass value="${m}"/><inertia ixx="${ixx}" iyy="${iyy}" izz="${izz}" ixy="${ixy}" ixz="${ixz}" iyz="${iyz}"/></inertial>`;
const link = (name: string, inner: string) => `<link name="${name}">${inner}</link>`;
/** A base link of ordinary inertia and a child link b with the given inertial. */
const withChild = (inner: string) => robot(link('a', inertial(2, [0.02, 0.03, 0.04, 0, 0, 0])) + link('b', inner) + joint('j', 'a', 'b', 'revolute'));
const parse = (xml: string) => parseUrdf(xml, { source: 'i.urdf' });

describe('inertia checks', () => {
  it('accepts an iCub-like link: zero diagonal, off-diagonal 1.4e-20 (round-off against the robot scale)', () => {
    const { model } = parse(withChild(inertial(0.01, [0, 0, 0, 1.4e-20, 0, 0])));
    expect(model.nv).toBe(1);
  });

  it('still refuses a clearly indefinite tensor, and one that is indefinite at the robot scale', () => {
    expect(urdfError(() => parse(withChild(inertial(1, [1, 1, 1, 2, 0, 0])))).problem).toMatch(/not positive semi-definite/);
    // off-diagonal 1e-4 with a zero diagonal: eigenvalue -1e-4, far beyond 1e-9 of the robot's 0.09
    expect(urdfError(() => parse(withChild(inertial(1, [0, 0, 0, 1e-4, 0, 0])))).problem).toMatch(/smallest eigenvalue -0\.000100/);
  });

  it('warns about principal moments that violate the triangle inequality', () => {
    const { warnings } = parse(withChild(inertial(1, [0.01, 0.01, 0.05, 0, 0, 0])));
    expect(warnings.join('\n')).toMatch(/link 'b': principal moments of inertia .* violate the triangle inequality/);
    // a thin rod (0, I, I) sits on the boundary and is fine
    expect(parse(withChild(inertial(1, [0, 0.01, 0.01, 0, 0, 0]))).warnings).toEqual([]);
    // rotated tensors are judged by their principal moments
    const c = Math.SQRT1_2;
    const rot = [0.5 * (0.01 + 0.05), 0.5 * (0.01 + 0.05), 0.01, 0.5 * (0.01 - 0.05) * (c * c * 2), 0, 0];
    expect(parse(withChild(inertial(1, rot))).warnings.join('\n')).toMatch(/triangle inequality/);
  });

  it('warns about zero mass with a non-zero inertia', () => {
    const { warnings } = parse(withChild(inertial(0, [0.01, 0.01, 0.01, 0, 0, 0])));
    expect(warnings.join('\n')).toMatch(/link 'b': zero mass with a non-zero inertia tensor/);
  });

  it('warns about an unexpanded XML entity in a name', () => {
    const xml = robot(link('a', inertial(1, [0.01, 0.01, 0.01, 0, 0, 0])) + link('leg&side;', inertial(1, [0.01, 0.01, 0.01, 0, 0, 0])) + joint('j', 'a', 'leg&side;', 'revolute'));
    const { warnings } = parse(xml);
    expect(warnings.join('\n')).toMatch(/link 'leg&side;': the name contains the unexpanded XML entity '&side;'/);
  });
});
