/**
 * A robot in a scene: urdf-loader builds it from the URDF text the server serves
 * (GET /api/robots/:id); `setQ` places it from a configuration q in the server's (Pinocchio's)
 * order: a free-flyer base first as [x y z qx qy qz qw], then one value per joint, by name.
 * Meshes (`package://` URIs) are fetched from the URLs the server resolved for them.
 */
import { RobotSummarySchema, type RobotSummary } from '../shared/protocol.ts';
import * as THREE from 'three';
import URDFLoader from 'urdf-loader';
import type { URDFRobot } from 'urdf-loader';
import { jointLayout, type JointLayout } from './joint-layout.ts';

export type { RobotSummary };

export async function fetchRobot(id: string): Promise<RobotSummary> {
  const res = await fetch(`/api/robots/${encodeURIComponent(id)}`);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `GET /api/robots/${id}: ${res.status}`);
  const parsed = RobotSummarySchema.safeParse(body);
  if (!parsed.success) throw new Error(`GET /api/robots/${id}: unexpected answer (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`);
  return parsed.data;
}

export class RobotView {
  readonly robot: URDFRobot;
  readonly layout: JointLayout;
  /** Mesh files fetched and parsed so far (visuals), and those that failed. */
  meshesLoaded = 0;
  meshesFailed = 0;

  /**
   * `meshes: false` builds the kinematic tree (and primitive shapes) without fetching mesh files:
   * for forward kinematics off screen (kinematics.ts).
   */
  constructor(readonly summary: RobotSummary, onMeshLoaded?: () => void, opts: { meshes?: boolean } = {}) {
    const loader = new URDFLoader();
    const urls = new Map(summary.meshes.filter((m) => m.url).map((m) => [m.uri, m.url!]));
    loader.packages = (pkg: string) => `package://${pkg}`;
    loader.loadMeshCb = (p, manager, material, done) => {
      const url = opts.meshes === false ? undefined : urls.get(p) ?? [...urls.entries()].find(([uri]) => uri.endsWith(p.replace(/^.*?\/\//, '')))?.[1];
      if (!url) { done(new THREE.Object3D()); return; }
      loader.defaultMeshLoader(url, manager, material, (obj, err) => {
        obj?.traverse((o) => { if ((o as THREE.Mesh).isMesh) { o.castShadow = true; o.receiveShadow = true; } });
        if (obj && !err) this.meshesLoaded++; else this.meshesFailed++;
        done(obj, err);
        onMeshLoaded?.();
      });
    };
    this.robot = loader.parse(summary.urdf);
    this.robot.traverse((o) => { if ((o as THREE.Mesh).isMesh) { o.castShadow = true; o.receiveShadow = true; } });
    this.layout = jointLayout(summary.joints);
    // show the trajectory's values as they are: the dynamics, not the viewer, enforces limits
    for (const j of Object.values(this.robot.joints)) j.ignoreLimits = true;
  }

  setQ(q: readonly number[]): void {
    const b = this.layout.base;
    if (b !== null && q.length >= b + 7) {
      this.robot.position.set(q[b], q[b + 1], q[b + 2]);
      this.robot.quaternion.set(q[b + 3], q[b + 4], q[b + 5], q[b + 6]).normalize();
    }
    for (const j of this.layout.joints) if (j.index < q.length && this.robot.joints[j.name]) this.robot.setJointValue(j.name, q[j.index]);
  }

  /** Current joint values by name (what the view shows), for the status line and tests. */
  jointValues(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const j of this.layout.joints) {
      const v = this.robot.joints[j.name]?.jointValue?.[0];
      if (typeof v === 'number') out[j.name] = v;
    }
    return out;
  }

  basePosition(): number[] { return this.robot.position.toArray(); }

  /** World position of a joint's frame (false when the robot has no such joint). */
  jointWorldPosition(name: string, out: THREE.Vector3): boolean {
    const j = this.robot.joints[name];
    if (!j) return false;
    j.getWorldPosition(out);
    return true;
  }

  /** Mesh files loaded / failed, and the triangles of every mesh object in the robot (what the e2e test checks). */
  meshStats(): { loaded: number; failed: number; urls: number; triangles: number } {
    let triangles = 0;
    this.robot.traverse((o) => {
      const m = o as THREE.Mesh;
      if (!m.isMesh || !m.geometry) return;
      const g = m.geometry;
      triangles += g.index ? g.index.count / 3 : (g.getAttribute('position')?.count ?? 0) / 3;
    });
    return { loaded: this.meshesLoaded, failed: this.meshesFailed, urls: this.summary.meshes.filter((x) => x.url).length, triangles };
  }

  dispose(): void {
    this.robot.removeFromParent();
    this.robot.traverse((o) => {
      const m = o as THREE.Mesh;
      if (m.isMesh) { m.geometry.dispose(); (Array.isArray(m.material) ? m.material : [m.material]).forEach((x) => x.dispose()); }
    });
  }
}
