/**
 * Mesh collision (server/dynamics/mesh-collision.ts): convex hulls through Rapier, exact
 * hull-plane contacts, hull-box contacts (hull vertices + Rapier's contactShape), and the
 * Simulator with mesh collision geometry: a mesh cube rests like the analytic box, a mesh
 * sphere like the analytic sphere (within the tessellation error), a mesh cube on a table,
 * and the upstream Solo-12 with its own meshes dropped from 0.1 m.
 *
 * The first block runs BEFORE initMeshCollision() (each test file has its own module state).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clearContacts, CollisionWorkspace, collideBoxBox, collideBoxPlane, createContactBuffer, groundPlane, makeBoxObstacle, makeCollisionShape,
  makePlane, SHAPE_BOX, type ContactBuffer,
} from '../../server/dynamics/collision.ts';
import {
  collideMeshBox, collideMeshPlane, convexHullFromPoints, initMeshCollision, meshCollisionReady, meshCollisionShape,
  meshShapeFromHull, SHAPE_MESH, type MeshCollisionShape,
} from '../../server/dynamics/mesh-collision.ts';
import { parseScene, type Scene } from '../../server/dynamics/scene.ts';
import { staticEquilibrium } from '../../server/dynamics/statics.ts';
import { Simulator } from '../../server/dynamics/step.ts';
import type { Model } from '../../server/model/model.ts';
import { loadUrdfFile, parseUrdf } from '../../server/model/urdf.ts';
import { binaryStl, cubeObj, cubeTriangles } from '../helpers/mesh-fixtures.ts';
import { upstream, upstreamRobots } from '../model/helpers.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mesh-collision-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(path.join(dir, 'cube.obj'), cubeObj());
writeFileSync(path.join(dir, 'cube.stl'), binaryStl(cubeTriangles()));

const SPHERE_R = 0.05;
const SPHERE_NLAT = 16;
/** UV sphere of radius r: poles, rings of quads (fans in the loader), pole caps of triangles. */
function uvSphereObj(r: number, nlat: number, nlon: number): string {
  const lines = [`v 0 0 ${-r}`];
  for (let i = 1; i < nlat; i++) {
    const th = (Math.PI * i) / nlat;
    for (let j = 0; j < nlon; j++) {
      const ph = (2 * Math.PI * j) / nlon;
      lines.push(`v ${r * Math.sin(th) * Math.cos(ph)} ${r * Math.sin(th) * Math.sin(ph)} ${-r * Math.cos(th)}`);
    }
  }
  lines.push(`v 0 0 ${r}`);
  const ring = (i: number, j: number) => 2 + (i - 1) * nlon + (j % nlon);
  for (let j = 0; j < nlon; j++) lines.push(`f 1 ${ring(1, j + 1)} ${ring(1, j)}`);
  for (let i = 1; i < nlat - 1; i++) {
    for (let j = 0; j < nlon; j++) lines.push(`f ${ring(i, j)} ${ring(i, j + 1)} ${ring(i + 1, j + 1)} ${ring(i + 1, j)}`);
  }
  for (let j = 0; j < nlon; j++) lines.push(`f -1 ${ring(nlat - 1, j)} ${ring(nlat - 1, j + 1)}`);
  return lines.join('\n') + '\n';
}
writeFileSync(path.join(dir, 'sphere.obj'), uvSphereObj(SPHERE_R, SPHERE_NLAT, 32));

/** A floating 1 kg body with one collision geometry (inertia of a 0.1 m cube: irrelevant at rest). */
function body(geometry: string, name = 'body'): Model {
  const xml = `<?xml version="1.0"?>
<robot name="${name}">
  <link name="body">
    <inertial><mass value="1"/><inertia ixx="0.0016666666666666667" iyy="0.0016666666666666667" izz="0.0016666666666666667" ixy="0" ixz="0" iyz="0"/></inertial>
    <collision><origin xyz="0 0 0" rpy="0 0 0"/><geometry>${geometry}</geometry></collision>
  </link>
</robot>`;
  return parseUrdf(xml, { floating: true, baseDir: dir, needCollisionMeshes: true }).model;
}

const meshCube = (file = 'cube.obj') => body(`<mesh filename="${file}" scale="0.1 0.1 0.1"/>`, 'mesh_cube');
const boxCube = () => body('<box size="0.1 0.1 0.1"/>', 'box_cube');

/** Drops a floating body from z0 for `settle` s, then records the max drift over `hold` s. */
function settle(model: Model, scene: Scene | undefined, z0: number, settleSteps: number, holdSteps: number) {
  const sim = new Simulator(model, scene, { dt: 0.01 });
  const q = Float64Array.from([0, 0, z0, 0, 0, 0, 1]), v = new Float64Array(6), u = new Float64Array(0);
  for (let k = 0; k < settleSteps; k++) sim.stepInto(q, v, u, q, v);
  const q0 = q.slice();
  const contacts = sim.info.contacts;
  const env = Array.from(sim.contacts.env.subarray(0, contacts));
  let drift = 0;
  for (let k = 0; k < holdSteps; k++) {
    sim.stepInto(q, v, u, q, v);
    drift = Math.max(drift, Math.hypot(q[0] - q0[0], q[1] - q0[1], q[2] - q0[2]));
  }
  return { z: q0[2], q: q0, contacts, env, drift, sim };
}

describe('before initMeshCollision()', () => {
  it('the Simulator refuses a mesh-only model and says to call initMeshCollision; Rapier\'s mesh functions throw', () => {
    expect(meshCollisionReady()).toBe(false);
    const model = meshCube();
    expect(() => new Simulator(model)).toThrow(/only mesh collision geometry.*await initMeshCollision\(\)/);
    const g = model.collisions[0].shape;
    if (g.type !== 'mesh') throw new Error('expected a mesh');
    expect(() => meshCollisionShape(g)).toThrow(/before Rapier is initialized: call `await initMeshCollision\(\)`/);
    const fake = { kind: SHAPE_MESH, dims: new Float64Array(3), hull: {} } as unknown as MeshCollisionShape;
    const M = Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
    // (the hull-plane query needs no Rapier: test/dynamics/hull-contact.test.ts)
    const box = makeBoxObstacle(M, [1, 1, 1]);
    expect(() => collideMeshBox(fake, M, 0, box, 0, 1, createContactBuffer(4))).toThrow(/collideMeshBox before Rapier is initialized/);
  });
});

describe('with Rapier', () => {
  beforeAll(async () => {
    await Promise.all([initMeshCollision(), initMeshCollision()]); // concurrent calls share one load
    expect(meshCollisionReady()).toBe(true);
  });

  /** Mesh shape of the 0.1 m cube (from the OBJ file through the model). */
  const cubeShape = (): MeshCollisionShape => {
    const g = meshCube().collisions[0].shape;
    if (g.type !== 'mesh') throw new Error('expected a mesh');
    return meshCollisionShape(g);
  };

  /** Random rotation (row-major) from a unit quaternion. */
  function randomPose(rand: () => number, p: number[]): Float64Array {
    let [x, y, z, w] = [rand() - 0.5, rand() - 0.5, rand() - 0.5, rand() - 0.5];
    const l = Math.hypot(x, y, z, w);
    [x, y, z, w] = [x / l, y / l, z / l, w / l];
    return Float64Array.from([
      1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
      2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
      2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
      ...p,
    ]);
  }
  const lcg = (seed: number) => () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);

  /** Contacts of a buffer as sortable rows [pos, normal, dist]. */
  const rows = (b: ContactBuffer) =>
    Array.from({ length: b.count }, (_, c) => [...b.pos.subarray(3 * c, 3 * c + 3), ...b.normal.subarray(3 * c, 3 * c + 3), b.dist[c]])
      .sort((r, s) => r[0] - s[0] || r[1] - s[1] || r[2] - s[2]);

  it('the hull of the cube mesh is its 8 corners; the shape radius is the corner distance', () => {
    const s = cubeShape();
    expect(s.kind).toBe(SHAPE_MESH);
    expect(s.hull.count).toBe(8);
    expect(s.dims[0]).toBeCloseTo(0.05 * Math.sqrt(3), 7);
    expect(cubeShape().hull).toBe(s.hull); // built once per (file, scale)
    // a flat mesh (a plate) is a valid zero-thickness hull; a line is not
    expect(convexHullFromPoints(new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0]), 'flat').count).toBe(4);
    expect(() => convexHullFromPoints(new Float32Array([0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0]), 'line.stl')).toThrow(/mesh collision: line\.stl: the convex hull failed/);
    expect(() => convexHullFromPoints(new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0]), 'tri.obj')).toThrow(/tri\.obj: 3 vertices, a convex hull needs 4 at least/);
  });

  it('hull-plane equals the analytic box-plane contacts for random poses and planes', () => {
    const mesh = cubeShape();
    const box = makeCollisionShape(SHAPE_BOX, 0.05, 0.05, 0.05);
    const rand = lcg(7);
    const a = createContactBuffer(16, 0.005), b = createContactBuffer(16, 0.005);
    let nonEmpty = 0;
    for (let t = 0; t < 300; t++) {
      const plane = t % 3 === 0 ? groundPlane(0.01) : makePlane(rand() - 0.5, rand() - 0.5, 1, 0.02 * (rand() - 0.5));
      const M = randomPose(rand, [0.2 * (rand() - 0.5), 0.2 * (rand() - 0.5), 0]);
      // shift along the plane normal: lowest corner at a distance in [-3, 8] mm (<= 4 corners within the margin)
      let low = Infinity;
      for (let c = 0; c < 8; c++) {
        const x = c & 1 ? 0.05 : -0.05, y = c & 2 ? 0.05 : -0.05, z = c & 4 ? 0.05 : -0.05;
        let d = -plane[3];
        for (let r = 0; r < 3; r++) d += plane[r] * (M[3 * r] * x + M[3 * r + 1] * y + M[3 * r + 2] * z + M[9 + r]);
        low = Math.min(low, d);
      }
      const shift = -0.003 + 0.011 * rand() - low;
      for (let r = 0; r < 3; r++) M[9 + r] += shift * plane[r];
      clearContacts(a); clearContacts(b);
      collideMeshPlane(mesh, M, 0, plane, 3, 0, a);
      collideBoxPlane(box, M, 0, plane, 3, 0, b, new CollisionWorkspace());
      expect(a.count).toBe(b.count);
      const ra = rows(a), rb = rows(b);
      for (let c = 0; c < ra.length; c++) for (let k = 0; k < 7; k++) expect(Math.abs(ra[c][k] - rb[c][k])).toBeLessThan(1e-8); // float32 vertices
      if (a.count > 0) nonEmpty++;
    }
    expect(nonEmpty).toBeGreaterThan(150);
  });

  it('hull-plane keeps 4 spread-out points of a flat-lying octagonal prism (8 candidates)', () => {
    const pts: number[] = [];
    for (const z of [-0.01, 0.01]) for (let k = 0; k < 8; k++) pts.push(0.05 * Math.cos((k * Math.PI) / 4), 0.05 * Math.sin((k * Math.PI) / 4), z);
    const shape = meshShapeFromHull(convexHullFromPoints(Float32Array.from(pts), 'octagon'));
    const buf = createContactBuffer(16, 0.005);
    collideMeshPlane(shape, Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0.01]), 0, groundPlane(), 0, 0, buf);
    expect(buf.count).toBe(4);
    const p = Array.from({ length: 4 }, (_, c) => [buf.pos[3 * c], buf.pos[3 * c + 1]]);
    for (let c = 0; c < 4; c++) expect(Math.abs(buf.dist[c])).toBeLessThan(1e-9);
    // the largest quadrilateral in a regular octagon is a square of area 2 r^2
    const hull = [...p].sort((u, w) => Math.atan2(u[1], u[0]) - Math.atan2(w[1], w[0]));
    let area = 0;
    for (let c = 0; c < 4; c++) area += hull[c][0] * hull[(c + 1) % 4][1] - hull[(c + 1) % 4][0] * hull[c][1];
    expect(area / 2).toBeCloseTo(2 * 0.05 * 0.05, 6);
  });

  it('hull on a box face: the 4 vertex contacts of the analytic box-box, Rapier contact redundant', () => {
    const mesh = cubeShape();
    const robotBox = makeCollisionShape(SHAPE_BOX, 0.05, 0.05, 0.05);
    const table = makeBoxObstacle([0.8, -0.6, 0, 0.6, 0.8, 0, 0, 0, 1, 0.3, -0.2, 0.35], [0.2, 0.3, 0.05]); // top at z = 0.4
    for (const gap of [0.002, 0, -0.001]) {
      const M = Float64Array.from([0, -1, 0, 1, 0, 0, 0, 0, 1, 0.32, -0.21, 0.45 + gap]);
      const a = createContactBuffer(16, 0.005), b = createContactBuffer(16, 0.005);
      expect(collideMeshBox(mesh, M, 0, table, 2, 1, a)).toBe(4);
      collideBoxBox(robotBox, M, 0, table, 2, 1, b, new CollisionWorkspace());
      expect(b.count).toBe(4);
      const ra = rows(a), rb = rows(b);
      for (let c = 0; c < 4; c++) for (let k = 0; k < 7; k++) expect(Math.abs(ra[c][k] - rb[c][k])).toBeLessThan(1e-8); // float32 vertices
      expect(Array.from(a.env.subarray(0, 4))).toEqual([1, 1, 1, 1]);
      expect(Array.from(a.geom.subarray(0, 4))).toEqual([2, 2, 2, 2]);
    }
  });

  it('hull-box edge across edge: no vertex is near, Rapier finds the contact (dist, normal, point)', () => {
    const mesh = cubeShape();
    const s = Math.SQRT1_2;
    // obstacle: a bar along x turned 45 deg about x, its top edge along x at z = 0.2
    const he = 0.05;
    const bar = makeBoxObstacle([1, 0, 0, 0, s, -s, 0, s, s, 0, 0, 0.2 - he * Math.SQRT2], [0.3, he, he]);
    // robot cube turned 45 deg about x... then about z by 90: its bottom edge along y, above the bar edge
    for (const gap of [0.003, 0.0005, -0.0007]) {
      const M = Float64Array.from([s, 0, s, 0, 1, 0, -s, 0, s, 0.01, 0.02, 0.2 + 0.05 * Math.SQRT2 + gap]);
      const buf = createContactBuffer(16, 0.005);
      expect(collideMeshBox(mesh, M, 0, bar, 0, 1, buf)).toBe(1);
      expect(Math.abs(buf.dist[0] - gap)).toBeLessThan(2e-6);
      expect(buf.normal[2]).toBeGreaterThan(1 - 1e-4);
      expect(Math.abs(buf.pos[0] - 0.01)).toBeLessThan(1e-4); // on the bar's edge, under the cube's
      expect(Math.abs(buf.pos[1])).toBeLessThan(1e-5);
      expect(Math.abs(buf.pos[2] - 0.2)).toBeLessThan(1e-5);
      const F = buf.frame; // [t1 t2 n] columns: n is the normal
      expect([F[2], F[5], F[8]]).toEqual([buf.normal[0], buf.normal[1], buf.normal[2]]);
    }
    // beyond the margin: nothing
    const far = Float64Array.from([s, 0, s, 0, 1, 0, -s, 0, s, 0, 0, 0.2 + 0.05 * Math.SQRT2 + 0.02]);
    expect(collideMeshBox(mesh, far, 0, bar, 0, 1, createContactBuffer(4, 0.005))).toBe(0);
  });

  it('allocation: the hull-plane query none; the hull-box query only the Rapier objects (< 1 kB)', async () => {
    const mesh = cubeShape();
    const newSpace = () => v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space')!.space_used_size;
    // Steady-state bytes per call: the least over measuring windows. A window where a scavenge
    // ran (after < before) says nothing, and so does one run before V8's optimizing compiler
    // (a background thread, late on a loaded machine) has replaced the unoptimized code, which
    // boxes doubles. So: a pause between windows for that thread, at least 5 windows, and more
    // (up to 40) while none has come under `bound`.
    const bytesPerCall = async (fn: () => void, calls: number, bound: number) => {
      let best = Infinity;
      for (let w = 0; w < 40 && (w < 5 || !(best < bound)); w++) {
        for (let i = 0; i < calls; i++) fn();
        const before = newSpace();
        for (let i = 0; i < calls; i++) fn();
        const after = newSpace();
        if (after >= before) best = Math.min(best, (after - before) / calls);
        await new Promise((r) => setTimeout(r, 5));
      }
      return best;
    };
    const buf = createContactBuffer(16, 0.01);
    const M = Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0.051]);
    const plane = groundPlane();
    expect(await bytesPerCall(() => { clearContacts(buf); collideMeshPlane(mesh, M, 0, plane, 0, 0, buf); }, 2000, 2)).toBeLessThan(2);
    const table = makeBoxObstacle([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, -0.05], [0.5, 0.5, 0.05]);
    // seen: ~340 bytes (the JS wrappers of RawVector, RawRotation and RawShapeContact)
    expect(await bytesPerCall(() => { clearContacts(buf); collideMeshBox(mesh, M, 0, table, 0, 1, buf); }, 500, 1024)).toBeLessThan(1024);
    expect(buf.count).toBe(4);
  });

  it('a mesh cube (OBJ) rests on the ground like the analytic box: height within 1e-6, 4 contacts, drift < 1e-6 m in 1 s', () => {
    const m = settle(meshCube(), undefined, 0.06, 50, 100);
    const b = settle(boxCube(), undefined, 0.06, 50, 100);
    expect(Math.abs(b.z - 0.05)).toBeLessThan(1e-6);
    expect(Math.abs(m.z - b.z)).toBeLessThan(1e-6); // seen: 7e-10 (0.05 in float32)
    expect(m.contacts).toBe(4);
    expect(b.contacts).toBe(4);
    expect(m.drift).toBeLessThan(1e-6);
    expect(b.drift).toBeLessThan(1e-6);
  });

  it('a mesh sphere rests like the analytic sphere within the tessellation error', () => {
    const tess = SPHERE_R * (1 - Math.cos(Math.PI / SPHERE_NLAT)); // 0.96 mm
    const m = settle(body(`<mesh filename="sphere.obj"/>`), undefined, 0.06, 100, 100);
    const s = settle(body(`<sphere radius="${SPHERE_R}"/>`), undefined, 0.06, 100, 100);
    expect(Math.abs(s.z - SPHERE_R)).toBeLessThan(1e-6);
    expect(Math.abs(m.z - s.z)).toBeLessThanOrEqual(tess); // seen: 7e-10 (balanced on the pole vertex)
    expect(m.contacts).toBeGreaterThanOrEqual(1);
    expect(m.contacts).toBeLessThanOrEqual(4);
    expect(m.drift).toBeLessThan(1e-6);
  });

  it('a mesh cube (binary STL) rests on a static box like the analytic box', () => {
    const scene = parseScene({ boxes: [{ name: 'table', size: [0.4, 0.4, 0.1], position: [0.03, -0.02, 0.05], rpy: [0, 0, 0.3] }] });
    const m = settle(meshCube('cube.stl'), scene, 0.16, 50, 100);
    const b = settle(boxCube(), scene, 0.16, 50, 100);
    expect(Math.abs(b.z - 0.15)).toBeLessThan(1e-6);
    expect(Math.abs(m.z - b.z)).toBeLessThan(1e-6);
    expect(m.contacts).toBe(4);
    expect(m.env).toEqual([1, 1, 1, 1]); // the table, not the ground
    expect(m.drift).toBeLessThan(1e-6);
  });

  describe('upstream Solo-12 (example-robot-data) with its collision meshes', () => {
    const load = () => loadUrdfFile(upstream.solo12, { floating: true, packageDirs: [upstreamRobots], needCollisionMeshes: true }).model;
    const feet = ['FL_FOOT', 'FR_FOOT', 'HL_FOOT', 'HR_FOOT'];
    const qJoints = [0.1, 0.8, -1.6, -0.1, 0.8, -1.6, 0.1, -0.8, 1.6, -0.1, -0.8, 1.6];
    /** Standing posture with the foot wheels (radius 0.016 below the foot frames) `drop` above the ground. */
    const posture = (drop: number) => Float64Array.from([0, 0, 0.2159 + 0.016 + drop, 0, 0, 0, 1, ...qJoints]);

    it('every collision geometry is a mesh hull', () => {
      const model = load();
      expect(model.collisions.length).toBe(17);
      expect(model.collisions.every((g) => g.shape.type === 'mesh')).toBe(true);
      const sim = new Simulator(model);
      expect(sim.positionStage(posture(0.5))).toBe(0);
    });

    it('dropped from 0.1 m under static-equilibrium torques + PD: lands on its feet and settles (dt 0.005, 2 s)', () => {
      const model = load();
      const dt = 0.005, kp = 5, kd = 0.05; // kd dt / I_knee ~ 0.5: stable explicit PD
      const sim = new Simulator(model, undefined, { dt, maxContacts: 64 });
      const qRef = posture(0);
      const tauEq = staticEquilibrium(model, qRef, feet).tau;
      const q = posture(0.1), v = new Float64Array(model.nv), u = new Float64Array(model.nu);
      for (let k = 1; k <= 400; k++) {
        for (let i = 0; i < model.nu; i++) u[i] = tauEq[i] + kp * (qRef[7 + i] - q[7 + i]) - kd * v[6 + i];
        sim.stepInto(q, v, u, q, v);
        if (!q.every(Number.isFinite) || !v.every(Number.isFinite)) throw new Error(`non-finite state at t = ${k * dt}`);
      }
      const nc = sim.info.contacts;
      const links = new Set(Array.from(sim.contacts.geom.subarray(0, nc)).map((g) => model.collisions[g].link));
      for (const f of feet) expect(links.has(f)).toBe(true);
      expect(links.has('base_link')).toBe(false);
      expect(sim.contacts.dropped).toBe(0);
      // seen: z 0.2414, |v| 2.7e-3 at t = 2 s
      expect(q[2]).toBeGreaterThan(0.2);
      expect(q[2]).toBeLessThan(0.26);
      expect(Math.hypot(...v)).toBeLessThan(0.02);
      expect(Math.abs(q[6])).toBeGreaterThan(Math.cos(0.05)); // upright
    });

    it('dropped from 0.1 m with zero torques: collapses onto whatever touches and comes to rest', () => {
      const model = load();
      const sim = new Simulator(model, undefined, { dt: 0.005, maxContacts: 128 });
      const q = posture(0.1), v = new Float64Array(model.nv), u = new Float64Array(model.nu);
      for (let k = 1; k <= 200; k++) {
        sim.stepInto(q, v, u, q, v);
        if (!q.every(Number.isFinite) || !v.every(Number.isFinite)) throw new Error(`non-finite state at t = ${k * 0.005}`);
      }
      expect(sim.contacts.dropped).toBe(0);
      const links = new Set(Array.from(sim.contacts.geom.subarray(0, sim.info.contacts)).map((g) => model.collisions[g].link));
      expect(links.has('base_link')).toBe(true); // seen: every link touches, 68 contacts
      expect(q[2]).toBeGreaterThan(0.02); // the base hull's bottom is 25 mm below its frame
      expect(q[2]).toBeLessThan(0.04);
      expect(Math.hypot(...v)).toBeLessThan(1e-6); // seen: 2e-11
    });
  });
});
