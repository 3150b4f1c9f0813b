import { describe, expect, it } from 'vitest';
import {
  SHAPE_BOX,
  SHAPE_CAPSULE,
  SHAPE_CYLINDER,
  SHAPE_NONE,
  SHAPE_SPHERE,
  clearContacts,
  CollisionWorkspace,
  collideBoxBox,
  collideBoxPlane,
  collideCapsuleBox,
  collideCapsulePlane,
  collideCylinderBox,
  collideCylinderPlane,
  collideShapeBox,
  collideShapePlane,
  collideSphereBox,
  collideSpherePlane,
  collisionShapeFromGeometry,
  contactFrame,
  createContactBuffer,
  groundPlane,
  makeBoxObstacle,
  makeCollisionShape,
  makePlane,
  type ContactBuffer,
} from '../../server/dynamics/collision.ts';

/** The collision routines' scratch (the caller's; one for the whole file). */
const ws = new CollisionWorkspace();

// ---------------------------------------------------------------------------------------------
// Independent helpers: rotations as 3x3 nested arrays

type Mat = number[][];
type Vec = [number, number, number];

function rotAxis(axis: Vec, angle: number): Mat {
  const l = Math.hypot(...axis);
  const [x, y, z] = axis.map((v) => v / l);
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const C = 1 - c;
  return [
    [c + x * x * C, x * y * C - z * s, x * z * C + y * s],
    [y * x * C + z * s, c + y * y * C, y * z * C - x * s],
    [z * x * C - y * s, z * y * C + x * s, c + z * z * C],
  ];
}
const I3: Mat = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
];
function mul(A: Mat, B: Mat): Mat {
  return A.map((r) => [0, 1, 2].map((j) => r[0] * B[0][j] + r[1] * B[1][j] + r[2] * B[2][j]));
}
function apply(R: Mat, v: Vec): Vec {
  return [0, 1, 2].map((i) => R[i][0] * v[0] + R[i][1] * v[1] + R[i][2] * v[2]) as Vec;
}
function add(a: Vec, b: Vec): Vec {
  return [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
}
function scale(a: Vec, s: number): Vec {
  return [a[0] * s, a[1] * s, a[2] * s];
}
/** SE3 as 12 numbers, optionally at an offset inside a larger array. */
function se3(R: Mat, p: Vec, offset = 0): Float64Array {
  const M = new Float64Array(offset + 12);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) M[offset + 3 * i + j] = R[i][j];
  M.set(p, offset + 9);
  return M;
}
function world(R: Mat, p: Vec, local: Vec): Vec {
  return add(apply(R, local), p);
}

function contact(buf: ContactBuffer, k: number) {
  return {
    pos: Array.from(buf.pos.subarray(3 * k, 3 * k + 3)) as Vec,
    normal: Array.from(buf.normal.subarray(3 * k, 3 * k + 3)) as Vec,
    dist: buf.dist[k],
    geom: buf.geom[k],
    env: buf.env[k],
  };
}
function expectVec(a: ArrayLike<number>, b: ArrayLike<number>, digits = 10) {
  for (let i = 0; i < 3; i++) expect(a[i]).toBeCloseTo(b[i], digits);
}

const ground = groundPlane(0);

// ---------------------------------------------------------------------------------------------

describe('contact frame', () => {
  it('is a right-handed rotation [t1 t2 n], identity for n = +z', () => {
    const out = new Float64Array(9);
    contactFrame(new Float64Array([0, 0, 1]), 0, out, 0);
    [1, 0, 0, 0, 1, 0, 0, 0, 1].forEach((v, i) => expect(out[i]).toBeCloseTo(v, 15));
    let seed = 1;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const normals: Vec[] = [[0, 0, -1], [1, 0, 0], [0, -1, 0], [0, 0.6, -0.8], [1e-9, 0, -1]];
    for (let k = 0; k < 200; k++) normals.push([rnd(), rnd(), rnd()]);
    for (const n0 of normals) {
      const l = Math.hypot(...n0);
      const n = new Float64Array([0, n0[0] / l, n0[1] / l, n0[2] / l]);
      const R = new Float64Array(11);
      contactFrame(n, 1, R, 2);
      const col = (c: number): Vec => [R[2 + c], R[2 + 3 + c], R[2 + 6 + c]];
      const [t1, t2, nn] = [col(0), col(1), col(2)];
      expectVec(nn, [n[1], n[2], n[3]], 15);
      const dot = (a: Vec, b: Vec) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
      expect(dot(t1, t1)).toBeCloseTo(1, 12);
      expect(dot(t2, t2)).toBeCloseTo(1, 12);
      expect(dot(t1, t2)).toBeCloseTo(0, 12);
      expect(dot(t1, nn)).toBeCloseTo(0, 12);
      expect(dot(t2, nn)).toBeCloseTo(0, 12);
      const cross: Vec = [t1[1] * t2[2] - t1[2] * t2[1], t1[2] * t2[0] - t1[0] * t2[2], t1[0] * t2[1] - t1[1] * t2[0]];
      expectVec(cross, nn, 12);
    }
  });
});

describe('sphere - plane', () => {
  it('sphere at height h over the ground: dist = h - r, normal +z, point below the centre', () => {
    const buf = createContactBuffer(4, 0.01);
    const s = makeCollisionShape(SHAPE_SPHERE, 0.1);
    const R = rotAxis([1, 2, 3], 0.7); // orientation is irrelevant
    expect(collideSpherePlane(s, se3(R, [0.3, -0.2, 0.105]), 0, ground, 7, -1, buf, ws)).toBe(1);
    const c = contact(buf, 0);
    expect(c.dist).toBeCloseTo(0.005, 14);
    expectVec(c.normal, [0, 0, 1], 15);
    expectVec(c.pos, [0.3, -0.2, 0], 14);
    expect(c.geom).toBe(7);
    expect(c.env).toBe(-1);
    // robot witness point = pos + dist n = lowest point of the sphere
    expect(c.pos[2] + c.dist * c.normal[2]).toBeCloseTo(0.105 - 0.1, 14);
    // frame of the contact is the identity for +z
    [1, 0, 0, 0, 1, 0, 0, 0, 1].forEach((v, i) => expect(buf.frame[i]).toBeCloseTo(v, 15));
    // penetration
    collideSpherePlane(s, se3(I3, [0, 0, 0.07]), 0, ground, 0, 0, buf, ws);
    expect(buf.dist[1]).toBeCloseTo(-0.03, 14);
  });

  it('tilted plane, ground height, and SE3 read at an offset', () => {
    const buf = createContactBuffer(4, 0.01);
    const s = makeCollisionShape(SHAPE_SPHERE, 0.2);
    const plane = makePlane(1, 0, 1, 0.3);
    const n: Vec = [Math.SQRT1_2, 0, Math.SQRT1_2];
    const centre: Vec = add(scale(n, 0.49), [0.2, 0.1, -0.2]); // 0.19 above the plane
    const M = se3(I3, centre, 24);
    expect(collideSpherePlane(s, M, 24, plane, 0, 0, buf, ws)).toBe(1);
    const d = n[0] * centre[0] + n[2] * centre[2] - 0.3;
    expect(d).toBeCloseTo(0.19, 14);
    expect(buf.dist[0]).toBeCloseTo(-0.01, 14);
    expectVec(buf.normal, n, 15);
    expectVec(buf.pos, add(centre, scale(n, -d)), 14);
    const g = groundPlane(0.25);
    clearContacts(buf);
    collideSpherePlane(s, se3(I3, [0, 0, 0.44]), 0, g, 0, 0, buf, ws);
    expect(buf.dist[0]).toBeCloseTo(-0.01, 14);
    expect(buf.pos[2]).toBeCloseTo(0.25, 14);
  });

  it('margin: reported while dist < margin only', () => {
    const buf = createContactBuffer(4, 0.005);
    const s = makeCollisionShape(SHAPE_SPHERE, 0.1);
    expect(collideSpherePlane(s, se3(I3, [0, 0, 0.1049]), 0, ground, 0, 0, buf, ws)).toBe(1);
    expect(collideSpherePlane(s, se3(I3, [0, 0, 0.1051]), 0, ground, 0, 0, buf, ws)).toBe(0);
    expect(buf.count).toBe(1);
    buf.margin = 0;
    expect(collideSpherePlane(s, se3(I3, [0, 0, 0.1]), 0, ground, 0, 0, buf, ws)).toBe(0); // touching, not closing
    expect(collideSpherePlane(s, se3(I3, [0, 0, 0.0999]), 0, ground, 0, 0, buf, ws)).toBe(1);
  });
});

describe('capsule - plane', () => {
  const r = 0.05;
  const hl = 0.2;
  const cap = makeCollisionShape(SHAPE_CAPSULE, r, hl);

  it('rotated capsule: lower hemisphere centre only', () => {
    const buf = createContactBuffer(4, 0.005);
    const th = Math.PI / 6;
    const R = mul(rotAxis([0, 0, 1], 0.4), rotAxis([0, 1, 0], th)); // tilt then yaw
    const z = hl * Math.cos(th) + r - 0.01;
    expect(collideCapsulePlane(cap, se3(R, [1, 2, z]), 0, ground, 3, 0, buf, ws)).toBe(1);
    const low = world(R, [1, 2, z], [0, 0, -hl]);
    expect(buf.dist[0]).toBeCloseTo(-0.01, 14);
    expectVec(buf.pos, [low[0], low[1], 0], 14);
    expectVec(buf.normal, [0, 0, 1], 15);
  });

  it('lying flat: both endpoints, same distance', () => {
    const buf = createContactBuffer(4, 0.005);
    const R = rotAxis([1, 0, 0], Math.PI / 2);
    expect(collideCapsulePlane(cap, se3(R, [0, 0, r + 0.002]), 0, ground, 0, 0, buf, ws)).toBe(2);
    expect(buf.dist[0]).toBeCloseTo(0.002, 14);
    expect(buf.dist[1]).toBeCloseTo(0.002, 14);
    expect(Math.abs(buf.pos[1] - buf.pos[4])).toBeCloseTo(2 * hl, 14);
  });

  it('nearly flat: the upper end is reported only within the margin', () => {
    const buf = createContactBuffer(4, 0.005);
    const rise = 0.004; // upper end 4 mm higher
    const R = rotAxis([1, 0, 0], Math.PI / 2 - Math.asin(rise / (2 * hl)));
    expect(collideCapsulePlane(cap, se3(R, [0, 0, r + rise / 2]), 0, ground, 0, 0, buf, ws)).toBe(2);
    const d = [buf.dist[0], buf.dist[1]].sort((a, b) => a - b);
    expect(d[0]).toBeCloseTo(0, 12);
    expect(d[1]).toBeCloseTo(rise, 12);
    buf.margin = 0.003;
    clearContacts(buf);
    expect(collideCapsulePlane(cap, se3(R, [0, 0, r + rise / 2]), 0, ground, 0, 0, buf, ws)).toBe(1);
  });
});

describe('cylinder - plane', () => {
  const r = 0.1;
  const hl = 0.15;
  const cyl = makeCollisionShape(SHAPE_CYLINDER, r, hl);

  it('standing flat: 4 rim points of the bottom cap, dist 0', () => {
    const buf = createContactBuffer(16, 0.005);
    const yaw = 0.3;
    const R = rotAxis([0, 0, 1], yaw);
    expect(collideCylinderPlane(cyl, se3(R, [1, 1, hl]), 0, ground, 0, 0, buf, ws)).toBe(4);
    const expected = [[r, 0], [-r, 0], [0, r], [0, -r]].map(([x, y]) => world(R, [1, 1, hl], [x, y, -hl]));
    for (let k = 0; k < 4; k++) {
      expect(buf.dist[k]).toBeCloseTo(0, 14);
      expectVec(buf.normal.subarray(3 * k), [0, 0, 1], 15);
      const p = contact(buf, k).pos;
      const match = expected.findIndex((e) => Math.hypot(e[0] - p[0], e[1] - p[1], e[2] - p[2]) < 1e-12);
      expect(match).toBeGreaterThanOrEqual(0);
      expected.splice(match, 1);
    }
  });

  it('tilted: the deepest rim point, at the analytic height', () => {
    const buf = createContactBuffer(16, 0.005);
    const th = 0.5;
    const R = rotAxis([1, 0, 0], th);
    // lowest point height = z - hl cos(th) - r sin(th)
    const z = hl * Math.cos(th) + r * Math.sin(th) - 0.003;
    expect(collideCylinderPlane(cyl, se3(R, [0, 0, z]), 0, ground, 0, 0, buf, ws)).toBe(1);
    expect(buf.dist[0]).toBeCloseTo(-0.003, 14);
    // brute force over the rim of both caps
    let best = Infinity;
    let bestP: Vec = [0, 0, 0];
    for (const s of [-1, 1]) {
      for (let a = 0; a < 3600; a++) {
        const ang = (a * Math.PI) / 1800;
        const p = world(R, [0, 0, z], [r * Math.cos(ang), r * Math.sin(ang), s * hl]);
        if (p[2] < best) {
          best = p[2];
          bestP = p;
        }
      }
    }
    expect(buf.dist[0]).toBeCloseTo(best, 6);
    expectVec(buf.pos, [bestP[0], bestP[1], 0], 4);
  });

  it('lying on its side: the two bottom rim points', () => {
    const buf = createContactBuffer(16, 0.005);
    const R = rotAxis([0, 1, 0], Math.PI / 2);
    expect(collideCylinderPlane(cyl, se3(R, [0, 0, r - 0.001]), 0, ground, 0, 0, buf, ws)).toBe(2);
    expect(buf.dist[0]).toBeCloseTo(-0.001, 14);
    expect(buf.dist[1]).toBeCloseTo(-0.001, 14);
    expect(Math.abs(buf.pos[0] - buf.pos[3])).toBeCloseTo(2 * hl, 14);
  });
});

describe('box - plane', () => {
  const he: Vec = [0.2, 0.1, 0.05];
  const box = makeCollisionShape(SHAPE_BOX, ...he);

  it('resting flat: the 4 bottom corners with dist 0', () => {
    const buf = createContactBuffer(16, 0.005);
    const R = rotAxis([0, 0, 1], 1.1);
    expect(collideBoxPlane(box, se3(R, [0.5, 0, he[2]]), 0, ground, 0, 0, buf, ws)).toBe(4);
    for (let k = 0; k < 4; k++) {
      expect(buf.dist[k]).toBeCloseTo(0, 14);
      expect(buf.pos[3 * k + 2]).toBeCloseTo(0, 14);
    }
  });

  it('tilted: the deepest corner and every corner within the margin', () => {
    const buf = createContactBuffer(16, 0.02);
    const R = mul(rotAxis([0.3, 1, 0.2], 0.35), rotAxis([1, 0, 0], 0.2));
    const p: Vec = [0.1, -0.2, 0.08];
    const n = collideBoxPlane(box, se3(R, p), 0, ground, 0, 0, buf, ws);
    const zs: number[] = [];
    for (const x of [-1, 1]) for (const y of [-1, 1]) for (const z of [-1, 1]) zs.push(world(R, p, [x * he[0], y * he[1], z * he[2]])[2]);
    const inMargin = zs.filter((z) => z < 0.02).sort((a, b) => a - b);
    expect(n).toBe(inMargin.length);
    const got = Array.from(buf.dist.subarray(0, n)).sort((a, b) => a - b);
    for (let k = 0; k < n; k++) expect(got[k]).toBeCloseTo(inMargin[k], 14);
    expect(got[0]).toBeLessThan(0);
  });

  it('dispatch, geometry conversion (full sizes), meshes give nothing', () => {
    const buf = createContactBuffer(16, 0.005);
    const s = collisionShapeFromGeometry({ type: 'box', size: [0.4, 0.2, 0.1] });
    expect(s.kind).toBe(SHAPE_BOX);
    expect(Array.from(s.dims)).toEqual([0.2, 0.1, 0.05]);
    expect(collideShapePlane(s, se3(I3, [0, 0, 0.05]), 0, ground, 0, 0, buf, ws)).toBe(4);
    const c = collisionShapeFromGeometry({ type: 'capsule', radius: 0.1, length: 0.6 });
    expect(c.kind).toBe(SHAPE_CAPSULE);
    expect(c.dims[1]).toBeCloseTo(0.3, 15);
    expect(collisionShapeFromGeometry({ type: 'cylinder', radius: 0.1, length: 0.6 }).kind).toBe(SHAPE_CYLINDER);
    expect(collisionShapeFromGeometry({ type: 'sphere', radius: 0.1 }).kind).toBe(SHAPE_SPHERE);
    const m = collisionShapeFromGeometry({ type: 'mesh', uri: 'x.stl', path: null, scale: [1, 1, 1] });
    expect(m.kind).toBe(SHAPE_NONE);
    expect(collideShapePlane(m, se3(I3, [0, 0, -1]), 0, ground, 0, 0, buf, ws)).toBe(0);
    expect(collideShapeBox(m, se3(I3, [0, 0, 0]), 0, makeBoxObstacle(se3(I3, [0, 0, 0]), [1, 1, 1]), 0, 0, buf, ws)).toBe(0);
  });

  it('a full buffer drops contacts and counts them', () => {
    const buf = createContactBuffer(3, 0.005);
    expect(collideBoxPlane(box, se3(I3, [0, 0, he[2]]), 0, ground, 0, 0, buf, ws)).toBe(3);
    expect(buf.count).toBe(3);
    expect(buf.dropped).toBe(1);
    clearContacts(buf);
    expect(buf.count).toBe(0);
    expect(buf.dropped).toBe(0);
  });
});

describe('shapes vs an oriented box obstacle', () => {
  const he: Vec = [0.3, 0.2, 0.1];
  const RB = mul(rotAxis([0, 0, 1], 0.5), rotAxis([1, 0, 0], 0.1));
  const pB: Vec = [1, -0.5, 0.3];
  const obstacle = makeBoxObstacle(se3(RB, pB), he);
  const W = (local: Vec) => world(RB, pB, local);
  const Wd = (local: Vec) => apply(RB, local);

  it('sphere touching a face', () => {
    const buf = createContactBuffer(4, 0.005);
    const s = makeCollisionShape(SHAPE_SPHERE, 0.05);
    expect(collideSphereBox(s, se3(I3, W([0.1, -0.05, he[2] + 0.05 + 0.002])), 0, obstacle, 1, 4, buf, ws)).toBe(1);
    const c = contact(buf, 0);
    expect(c.dist).toBeCloseTo(0.002, 13);
    expectVec(c.normal, Wd([0, 0, 1]), 13);
    expectVec(c.pos, W([0.1, -0.05, he[2]]), 13);
    expect(c.env).toBe(4);
  });

  it('sphere touching an edge and a corner', () => {
    const buf = createContactBuffer(4, 0.005);
    const s = makeCollisionShape(SHAPE_SPHERE, 0.05);
    // edge x = +hx, z = +hz
    const off: Vec = [0.03, 0, 0.035];
    collideSphereBox(s, se3(I3, W([he[0] + off[0], 0.07, he[2] + off[2]])), 0, obstacle, 0, 0, buf, ws);
    const l = Math.hypot(off[0], off[2]);
    expect(buf.dist[0]).toBeCloseTo(l - 0.05, 13);
    expectVec(buf.normal, Wd([off[0] / l, 0, off[2] / l]), 13);
    expectVec(buf.pos, W([he[0], 0.07, he[2]]), 13);
    // corner (-hx, +hy, -hz)
    const o2: Vec = [-0.02, 0.03, -0.025];
    collideSphereBox(s, se3(I3, W([-he[0] + o2[0], he[1] + o2[1], -he[2] + o2[2]])), 0, obstacle, 0, 0, buf, ws);
    const l2 = Math.hypot(...o2);
    expect(buf.dist[1]).toBeCloseTo(l2 - 0.05, 13);
    expectVec(buf.normal.subarray(3), Wd(scale(o2, 1 / l2)), 13);
    expectVec(buf.pos.subarray(3), W([-he[0], he[1], -he[2]]), 13);
  });

  it('sphere centre inside the box: least-penetration face', () => {
    const buf = createContactBuffer(4, 0.005);
    const s = makeCollisionShape(SHAPE_SPHERE, 0.05);
    collideSphereBox(s, se3(I3, W([0.25, 0.0, 0.02])), 0, obstacle, 0, 0, buf, ws); // 0.05 from +x face
    expect(buf.dist[0]).toBeCloseTo(-0.05 - 0.05, 13);
    expectVec(buf.normal, Wd([1, 0, 0]), 13);
    expectVec(buf.pos, W([he[0], 0, 0.02]), 13);
  });

  it('capsule lying on the top face: its two endpoints', () => {
    const buf = createContactBuffer(8, 0.005);
    const cap = makeCollisionShape(SHAPE_CAPSULE, 0.04, 0.15);
    const R = mul(RB, rotAxis([0, 1, 0], Math.PI / 2)); // axis along the box x
    expect(collideCapsuleBox(cap, se3(R, W([0, 0.05, he[2] + 0.04 + 0.001])), 0, obstacle, 0, 0, buf, ws)).toBe(2);
    const ends = [W([-0.15, 0.05, he[2]]), W([0.15, 0.05, he[2]])];
    for (let k = 0; k < 2; k++) {
      expect(buf.dist[k]).toBeCloseTo(0.001, 12);
      expectVec(buf.normal.subarray(3 * k), Wd([0, 0, 1]), 12);
      const p = contact(buf, k).pos;
      expect(Math.min(...ends.map((e) => Math.hypot(e[0] - p[0], e[1] - p[1], e[2] - p[2])))).toBeLessThan(1e-8);
    }
  });

  it('capsule hanging over an edge: the endpoint on the face and the edge point', () => {
    const buf = createContactBuffer(8, 0.005);
    const cap = makeCollisionShape(SHAPE_CAPSULE, 0.04, 0.15);
    const R = mul(RB, rotAxis([0, 1, 0], Math.PI / 2));
    const centre = W([he[0], 0.05, he[2] + 0.04 + 0.001]); // half over the edge x = +hx
    expect(collideCapsuleBox(cap, se3(R, centre), 0, obstacle, 0, 0, buf, ws)).toBe(2);
    const expected = [W([he[0] - 0.15, 0.05, he[2]]), W([he[0], 0.05, he[2]])];
    const found = [false, false];
    for (let k = 0; k < 2; k++) {
      expect(buf.dist[k]).toBeCloseTo(0.001, 8);
      expectVec(buf.normal.subarray(3 * k), Wd([0, 0, 1]), 8);
      const p = contact(buf, k).pos;
      const d = expected.map((e) => Math.hypot(e[0] - p[0], e[1] - p[1], e[2] - p[2]));
      expect(Math.min(...d)).toBeLessThan(1e-6);
      found[d[0] < d[1] ? 0 : 1] = true;
    }
    expect(found).toEqual([true, true]);
    // penetrating by 1 mm: same two supports, at depth 1 mm
    clearContacts(buf);
    expect(collideCapsuleBox(cap, se3(R, W([he[0], 0.05, he[2] + 0.04 - 0.001])), 0, obstacle, 0, 0, buf, ws)).toBe(2);
    expect(buf.dist[0]).toBeCloseTo(-0.001, 8);
    expect(buf.dist[1]).toBeCloseTo(-0.001, 8);
  });

  it('capsule crossing an edge (seesaw): one contact at the edge, normal perpendicular to the axis', () => {
    const buf = createContactBuffer(8, 0.005);
    const r = 0.05;
    const hl = 0.2;
    const gap = 0.002;
    const cap = makeCollisionShape(SHAPE_CAPSULE, r, hl);
    const th = -0.35; // axis (cos th, 0, sin th) in the box frame, descending to +x
    const u: Vec = [Math.cos(th), 0, Math.sin(th)];
    const up: Vec = [-Math.sin(th), 0, Math.cos(th)];
    const edge: Vec = [he[0], 0.02, he[2]];
    const centreLocal = add(edge, scale(up, r + gap));
    // rotation taking local z to u (in the box frame): rotation about y by (pi/2 - th)
    const R = mul(RB, rotAxis([0, 1, 0], Math.PI / 2 - th));
    expectVec(apply(R, [0, 0, 1]), Wd(u), 12);
    expect(collideCapsuleBox(cap, se3(R, W(centreLocal)), 0, obstacle, 0, 0, buf, ws)).toBe(1);
    expect(buf.dist[0]).toBeCloseTo(gap, 12);
    expectVec(buf.pos, W(edge), 7);
    expectVec(buf.normal, Wd(up), 7);
  });

  it('capsule standing on its end on the top face', () => {
    const buf = createContactBuffer(8, 0.005);
    const cap = makeCollisionShape(SHAPE_CAPSULE, 0.04, 0.15);
    expect(collideCapsuleBox(cap, se3(RB, W([0.1, 0.1, he[2] + 0.15 + 0.04 - 0.003])), 0, obstacle, 0, 0, buf, ws)).toBe(1);
    expect(buf.dist[0]).toBeCloseTo(-0.003, 10);
    expectVec(buf.pos, W([0.1, 0.1, he[2]]), 8);
  });

  it('cylinder standing on the top face: 4 rim points', () => {
    const buf = createContactBuffer(16, 0.005);
    const cyl = makeCollisionShape(SHAPE_CYLINDER, 0.05, 0.1);
    expect(collideCylinderBox(cyl, se3(RB, W([0, 0, he[2] + 0.1 + 0.001])), 0, obstacle, 0, 0, buf, ws)).toBe(4);
    for (let k = 0; k < 4; k++) {
      expect(buf.dist[k]).toBeCloseTo(0.001, 12);
      expectVec(buf.normal.subarray(3 * k), Wd([0, 0, 1]), 12);
    }
  });

  it('cylinder lying across an edge: rim point on the face and the edge point', () => {
    const buf = createContactBuffer(16, 0.005);
    const r = 0.05;
    const hl = 0.1;
    const cyl = makeCollisionShape(SHAPE_CYLINDER, r, hl);
    const R = mul(RB, rotAxis([0, 1, 0], Math.PI / 2)); // axis along the box x
    expect(collideCylinderBox(cyl, se3(R, W([he[0], 0, he[2] + r + 0.001])), 0, obstacle, 0, 0, buf, ws)).toBe(2);
    const expected = [W([he[0] - hl, 0, he[2]]), W([he[0], 0, he[2]])];
    for (let k = 0; k < 2; k++) {
      expect(buf.dist[k]).toBeCloseTo(0.001, 8);
      expectVec(buf.normal.subarray(3 * k), Wd([0, 0, 1]), 8);
      const p = contact(buf, k).pos;
      expect(Math.min(...expected.map((e) => Math.hypot(e[0] - p[0], e[1] - p[1], e[2] - p[2])))).toBeLessThan(1e-6);
    }
  });

  it('box resting on the box: 4 corners; tilted: the deepest corner', () => {
    const buf = createContactBuffer(16, 0.005);
    const b = makeCollisionShape(SHAPE_BOX, 0.1, 0.05, 0.02);
    expect(collideBoxBox(b, se3(RB, W([0, 0, he[2] + 0.02])), 0, obstacle, 0, 0, buf, ws)).toBe(4);
    for (let k = 0; k < 4; k++) {
      expect(buf.dist[k]).toBeCloseTo(0, 12);
      expectVec(buf.normal.subarray(3 * k), Wd([0, 0, 1]), 12);
    }
    clearContacts(buf);
    const Rl = rotAxis([1, 1, 0], 0.3);
    let low = Infinity; // lowest corner relative to the centre, box frame
    for (const x of [-1, 1]) for (const y of [-1, 1]) for (const z of [-1, 1]) low = Math.min(low, apply(Rl, [0.1 * x, 0.05 * y, 0.02 * z])[2]);
    const p: Vec = [0, 0, he[2] - low - 0.002]; // lowest corner 2 mm inside the top face
    const n = collideBoxBox(b, se3(mul(RB, Rl), W(p)), 0, obstacle, 0, 0, buf, ws);
    expect(n).toBe(1);
    expect(buf.dist[0]).toBeCloseTo(-0.002, 12);
    expectVec(buf.normal, Wd([0, 0, 1]), 12);
  });

  it('dispatch to every pair', () => {
    const buf = createContactBuffer(32, 0.005);
    const M = se3(RB, W([0, 0, he[2] + 0.049]));
    expect(collideShapeBox(makeCollisionShape(SHAPE_SPHERE, 0.05), M, 0, obstacle, 0, 0, buf, ws)).toBe(1);
    const Mv = se3(RB, W([0, 0, he[2] + 0.1 + 0.04]));
    expect(collideShapeBox(makeCollisionShape(SHAPE_CAPSULE, 0.04, 0.1), Mv, 0, obstacle, 0, 0, buf, ws)).toBe(1);
    const Mc = se3(RB, W([0, 0, he[2] + 0.1]));
    expect(collideShapeBox(makeCollisionShape(SHAPE_CYLINDER, 0.04, 0.1), Mc, 0, obstacle, 0, 0, buf, ws)).toBe(4);
    expect(collideShapeBox(makeCollisionShape(SHAPE_BOX, 0.1, 0.1, 0.1), Mc, 0, obstacle, 0, 0, buf, ws)).toBe(4);
    expect(buf.count).toBe(10);
  });
});

describe('randomized checks against an independent signed distance', () => {
  // standard box SDF: |max(d, 0)| + min(max_k d_k, 0), d = |x| - h
  const sdBox = (h: Vec, x: Vec) => {
    const d = x.map((v, i) => Math.abs(v) - h[i]);
    return Math.hypot(...d.map((v) => Math.max(v, 0))) + Math.min(Math.max(...d), 0);
  };
  let seed = 12345;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const he: Vec = [0.25, 0.15, 0.1];
  const RB = rotAxis([0.2, -0.4, 1], 0.8);
  const pB: Vec = [0.3, 0.2, 0.5];
  const obstacle = makeBoxObstacle(se3(RB, pB), he);
  const toBox = (x: Vec): Vec => {
    const d: Vec = [x[0] - pB[0], x[1] - pB[1], x[2] - pB[2]];
    return [0, 1, 2].map((j) => RB[0][j] * d[0] + RB[1][j] * d[1] + RB[2][j] * d[2]) as Vec;
  };

  it('sphere - box: distance, normal and witness consistent with the SDF (200 placements)', () => {
    const buf = createContactBuffer(4, 0.05);
    for (let k = 0; k < 200; k++) {
      clearContacts(buf);
      const r = 0.02 + 0.05 * Math.abs(rnd());
      const c = world(RB, pB, [0.4 * rnd(), 0.3 * rnd(), 0.25 * rnd()]);
      const ref = sdBox(he, toBox(c)) - r;
      const n = collideSphereBox(makeCollisionShape(SHAPE_SPHERE, r), se3(I3, c), 0, obstacle, 0, 0, buf, ws);
      expect(n).toBe(ref < 0.05 ? 1 : 0);
      if (!n) continue;
      expect(buf.dist[0]).toBeCloseTo(ref, 12);
      const nn = contact(buf, 0).normal;
      expect(Math.hypot(...nn)).toBeCloseTo(1, 12);
      // the witness point lies on the box surface
      expect(sdBox(he, toBox(contact(buf, 0).pos))).toBeCloseTo(0, 12);
      // robot witness = pos + dist n is the sphere point c - r n
      const pr = add(contact(buf, 0).pos, scale(nn, buf.dist[0]));
      expectVec(pr, add(c, scale(nn, -r)), 10);
    }
  });

  it('capsule - box: deepest contact matches a dense search along the segment (200 placements)', () => {
    const buf = createContactBuffer(8, 0.05);
    let checked = 0;
    for (let k = 0; k < 200; k++) {
      clearContacts(buf);
      const r = 0.02 + 0.04 * Math.abs(rnd());
      const hl = 0.05 + 0.2 * Math.abs(rnd());
      const R = rotAxis([rnd(), rnd(), rnd()], 3 * rnd());
      const c = world(RB, pB, [0.4 * rnd(), 0.3 * rnd(), 0.25 * rnd()]);
      const a = apply(R, [0, 0, 1]);
      let ref = Infinity;
      const N = 4000;
      for (let i = 0; i <= N; i++) ref = Math.min(ref, sdBox(he, toBox(add(c, scale(a, hl * (2 * i / N - 1))))) - r);
      const n = collideCapsuleBox(makeCollisionShape(SHAPE_CAPSULE, r, hl), se3(R, c), 0, obstacle, 0, 0, buf, ws);
      if (ref < 0.049) expect(n).toBeGreaterThanOrEqual(1);
      if (ref > 0.051) expect(n).toBe(0);
      expect(n).toBeLessThanOrEqual(4);
      if (!n) continue;
      checked++;
      const dmin = Math.min(...Array.from(buf.dist.subarray(0, n)));
      // the dense grid overestimates the minimum by at most (grid step)^2-ish; the solver is exact
      expect(dmin).toBeLessThanOrEqual(ref + 1e-12);
      expect(dmin).toBeGreaterThan(ref - 2 * hl / N);
      for (let j = 0; j < n; j++) {
        const p = contact(buf, j).pos;
        expect(Math.abs(sdBox(he, toBox(p)))).toBeLessThan(1e-12); // on the box surface
      }
    }
    expect(checked).toBeGreaterThan(50);
  });
});

describe('allocation', () => {
  it('collision calls do not allocate', async () => {
    const buf = createContactBuffer(64, 0.01);
    const shapes = [
      makeCollisionShape(SHAPE_SPHERE, 0.05),
      makeCollisionShape(SHAPE_CAPSULE, 0.04, 0.1),
      makeCollisionShape(SHAPE_CYLINDER, 0.04, 0.1),
      makeCollisionShape(SHAPE_BOX, 0.1, 0.05, 0.02),
    ];
    const obstacle = makeBoxObstacle(se3(rotAxis([0, 0, 1], 0.2), [0, 0, -0.1]), [0.5, 0.5, 0.1]);
    const M = se3(rotAxis([1, 0, 0], 0.1), [0.45, 0, 0.04]);
    const run = (k: number) => {
      for (let i = 0; i < k; i++) {
        clearContacts(buf);
        for (let s = 0; s < 4; s++) {
          collideShapePlane(shapes[s], M, 0, ground, s, -1, buf, ws);
          collideShapeBox(shapes[s], M, 0, obstacle, s, 0, buf, ws);
        }
      }
    };
    run(2000);
    expect(buf.count).toBeGreaterThan(4);
    // Measure a few windows: while the JIT is still (re)compiling under load a window can see
    // unrelated heap growth; allocating code grows the heap in every window.
    let best = Infinity;
    for (let attempt = 0; attempt < 4 && best >= 1024 * 1024; attempt++) {
      run(20_000);
      await new Promise((r) => setTimeout(r, 10));
      const before = process.memoryUsage().heapUsed;
      run(50_000);
      best = Math.min(best, process.memoryUsage().heapUsed - before);
    }
    expect(best).toBeLessThan(1024 * 1024);
  });
});

describe('Simulator ground cull', () => {
  it('the bounding-sphere cull never hides a contact the exact box-plane test finds (cube at random poses near the margin)', async () => {
    const { Simulator } = await import('../../server/dynamics/step.ts');
    const { loadRobot } = await import('../../server/model/robots.ts');
    const { model } = loadRobot('cube');
    const sim = new Simulator(model);
    const shape = collisionShapeFromGeometry({ type: 'box', size: [0.1, 0.1, 0.1] });
    const buf = createContactBuffer(8, sim.options.margin);
    let rng = 3;
    const rand = () => (rng = (rng * 16807) % 2147483647) / 2147483647;
    let touching = 0, far = 0;
    for (let t = 0; t < 400; t++) {
      // random unit quaternion, centre height around the half diagonal (0.0866) plus the margin
      const x = rand() - 0.5, y = rand() - 0.5, z = rand() - 0.5, w = rand() - 0.5, n = Math.hypot(x, y, z, w);
      const q = Float64Array.from([0, 0, 0.04 + 0.07 * rand(), x / n, y / n, z / n, w / n]);
      const count = sim.positionStage(q);
      const X = q[3], Y = q[4], Z = q[5], W = q[6];
      const M = Float64Array.from([
        1 - 2 * (Y * Y + Z * Z), 2 * (X * Y - W * Z), 2 * (X * Z + W * Y),
        2 * (X * Y + W * Z), 1 - 2 * (X * X + Z * Z), 2 * (Y * Z - W * X),
        2 * (X * Z - W * Y), 2 * (Y * Z + W * X), 1 - 2 * (X * X + Y * Y), 0, 0, q[2]]);
      clearContacts(buf);
      collideShapePlane(shape, M, 0, groundPlane(0), 0, 0, buf, ws);
      expect(count).toBe(buf.count);
      if (count > 0) touching++; else far++;
    }
    expect(touching).toBeGreaterThan(50);
    expect(far).toBeGreaterThan(50);
  });
});
