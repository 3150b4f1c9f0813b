/**
 * Overlays that explain the physics, one set per viewport, each with its own toggle:
 * - contact points (spheres; orange when the contact carries force, grey when it is only
 *   within the collision margin) and contact-force arrows (world force, FORCE_SCALE m per N,
 *   from the server's per-knot contact data, Trajectory.contacts);
 * - the task's target marker (a ring on the ground under it, a post and a sphere);
 * - joint stops pushing (Trajectory.limits, drawn with the contacts' toggle: both are
 *   unilateral constraints): a ring at the joint, magenta at the lower stop, yellow at the upper;
 * - trails: the paths of the tracked frames (feet) over the whole trajectory.
 * Objects are pooled: moving the timeline allocates nothing.
 */
import * as THREE from 'three';
import type { ContactSampleMsg, LimitSampleMsg } from '../shared/protocol.ts';
import type { FrameTrack, V3 } from './task-view.ts';

export interface OverlayToggles { contacts: boolean; forces: boolean; target: boolean; trails: boolean }
export const OVERLAY_NAMES: (keyof OverlayToggles)[] = ['contacts', 'forces', 'target', 'trails'];

/** Arrow length per newton of contact force (m/N); arrows are capped at MAX_ARROW. */
export const FORCE_SCALE = 0.01;
const MAX_ARROW = 0.6;
/** Contacts carrying less than this (N) are drawn as "in the margin, no force". */
const ACTIVE_FORCE = 1e-3;
const TRAIL_COLORS = [0x0ea5e9, 0xa855f7, 0x22c55e, 0xf59e0b, 0xec4899, 0x14b8a6];

export class Overlays {
  readonly group = new THREE.Group();
  readonly contactGroup = new THREE.Group();
  readonly forceGroup = new THREE.Group();
  readonly targetGroup = new THREE.Group();
  readonly trailGroup = new THREE.Group();
  #spheres: THREE.Mesh[] = [];
  #arrows: THREE.ArrowHelper[] = [];
  #sphereGeo = new THREE.SphereGeometry(1, 12, 8);
  #activeMat = new THREE.MeshBasicMaterial({ color: 0xf97316, depthTest: false, transparent: true, opacity: 0.9 });
  #idleMat = new THREE.MeshBasicMaterial({ color: 0x6b7280, depthTest: false, transparent: true, opacity: 0.6 });
  #trails: THREE.Line[] = [];
  #trailKey: unknown = null;
  readonly limitGroup = new THREE.Group();
  #limitMarks: THREE.Mesh[] = [];
  #limitGeo = new THREE.TorusGeometry(0.022, 0.005, 8, 24);
  #lowerMat = new THREE.MeshBasicMaterial({ color: 0xd946ef, depthTest: false, transparent: true, opacity: 0.9 });
  #upperMat = new THREE.MeshBasicMaterial({ color: 0xeab308, depthTest: false, transparent: true, opacity: 0.9 });
  #shown = { contacts: 0, arrows: 0, limits: [] as string[] };
  #targetWanted = true;
  #hasTarget = false;
  #dir = new THREE.Vector3();
  #origin = new THREE.Vector3();

  constructor(scene: THREE.Scene, private radius = 0.008) {
    this.group.name = 'overlays';
    this.group.add(this.contactGroup, this.forceGroup, this.targetGroup, this.trailGroup, this.limitGroup);
    this.targetGroup.visible = false;
    this.#buildTarget();
    scene.add(this.group);
  }

  #buildTarget(): void {
    const mat = new THREE.MeshBasicMaterial({ color: 0x16a34a, transparent: true, opacity: 0.85, depthTest: false });
    const ball = new THREE.Mesh(new THREE.SphereGeometry(0.012, 16, 12), mat);
    ball.name = 'target-ball';
    const ring = new THREE.Mesh(new THREE.RingGeometry(0.025, 0.032, 32), new THREE.MeshBasicMaterial({ color: 0x16a34a, side: THREE.DoubleSide, transparent: true, opacity: 0.7 }));
    ring.name = 'target-ring';
    const post = new THREE.Line(new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(), new THREE.Vector3(0, 0, -1)]),
      new THREE.LineDashedMaterial({ color: 0x16a34a, dashSize: 0.01, gapSize: 0.008 }));
    post.name = 'target-post';
    this.targetGroup.add(ball, ring, post);
    this.targetGroup.renderOrder = 10;
  }

  setVisible(t: OverlayToggles): void {
    this.contactGroup.visible = t.contacts;
    this.limitGroup.visible = t.contacts;
    this.forceGroup.visible = t.forces;
    this.trailGroup.visible = t.trails;
    this.#targetWanted = t.target;
    this.targetGroup.visible = t.target && this.#hasTarget;
  }

  /** Places the target marker (null: none for this task). */
  setTarget(p: V3 | null): void {
    this.#hasTarget = p !== null;
    this.targetGroup.visible = this.#hasTarget && this.#targetWanted;
    if (!p) return;
    const [ball, ring, post] = this.targetGroup.children as [THREE.Mesh, THREE.Mesh, THREE.Line];
    ball.position.set(p[0], p[1], p[2]);
    ring.position.set(p[0], p[1], 0.001);
    post.position.set(p[0], p[1], p[2]);
    post.scale.set(1, 1, Math.max(1e-3, p[2]));
    post.computeLineDistances();
  }

  /** Draws the contacts of one knot (null or [] hides them all). */
  setContacts(contacts: readonly ContactSampleMsg[] | null | undefined): void {
    const list = contacts ?? [];
    while (this.#spheres.length < list.length) {
      const m = new THREE.Mesh(this.#sphereGeo, this.#idleMat);
      m.scale.setScalar(this.radius);
      m.renderOrder = 11;
      this.contactGroup.add(m);
      this.#spheres.push(m);
      const a = new THREE.ArrowHelper(new THREE.Vector3(0, 0, 1), new THREE.Vector3(), 0.1, 0xdc2626, 0.02, 0.012);
      (a.line.material as THREE.Material).depthTest = false;
      (a.cone.material as THREE.Material).depthTest = false;
      a.renderOrder = 12;
      this.forceGroup.add(a);
      this.#arrows.push(a);
    }
    let arrows = 0;
    for (let i = 0; i < this.#spheres.length; i++) {
      const s = this.#spheres[i], a = this.#arrows[i];
      const c = list[i];
      if (!c) { s.visible = false; a.visible = false; continue; }
      const f = Math.hypot(c.f[0], c.f[1], c.f[2]);
      s.visible = true;
      s.position.set(c.p[0], c.p[1], c.p[2]);
      s.material = f > ACTIVE_FORCE ? this.#activeMat : this.#idleMat;
      if (f > ACTIVE_FORCE) {
        const len = Math.min(MAX_ARROW, f * FORCE_SCALE);
        this.#dir.set(c.f[0] / f, c.f[1] / f, c.f[2] / f);
        this.#origin.set(c.p[0], c.p[1], c.p[2]);
        a.position.copy(this.#origin);
        a.setDirection(this.#dir);
        a.setLength(len, Math.min(0.02, 0.35 * len), Math.min(0.012, 0.2 * len));
        a.visible = true;
        arrows++;
      } else a.visible = false;
    }
    this.#shown.contacts = list.length;
    this.#shown.arrows = arrows;
  }

  /**
   * Draws the joint stops that push at one knot (null or [] hides them). `place` writes a
   * joint's world position and returns false for a joint the view does not have.
   */
  setLimits(limits: readonly LimitSampleMsg[] | null | undefined, place: (joint: string, out: THREE.Vector3) => boolean): void {
    const list = limits ?? [];
    while (this.#limitMarks.length < list.length) {
      const m = new THREE.Mesh(this.#limitGeo, this.#lowerMat);
      m.renderOrder = 11;
      this.limitGroup.add(m);
      this.#limitMarks.push(m);
    }
    const shown: string[] = [];
    for (let i = 0; i < this.#limitMarks.length; i++) {
      const m = this.#limitMarks[i], l = list[i];
      if (!l || !place(l.joint, this.#origin)) { m.visible = false; continue; }
      m.visible = true;
      m.position.copy(this.#origin);
      m.material = l.side === 'lower' ? this.#lowerMat : this.#upperMat;
      shown.push(`${l.joint} ${l.side}`);
    }
    this.#shown.limits = shown;
  }

  /**
   * Trails: one line per frame of `track` through all its knots. `key` identifies the data
   * (the trajectory): the lines are rebuilt only when it changes.
   */
  setTrails(track: FrameTrack | null, key: unknown): void {
    if (key === this.#trailKey && key !== null) return;
    this.#trailKey = key;
    for (const l of this.#trails) { l.geometry.dispose(); (l.material as THREE.Material).dispose(); l.removeFromParent(); }
    this.#trails = [];
    if (!track) return;
    let i = 0;
    for (const [frame, pos] of track.pos) {
      const g = new THREE.BufferGeometry();
      g.setAttribute('position', new THREE.BufferAttribute(Float32Array.from(pos), 3));
      const line = new THREE.Line(g, new THREE.LineBasicMaterial({ color: TRAIL_COLORS[i++ % TRAIL_COLORS.length], transparent: true, opacity: 0.9 }));
      line.name = `trail:${frame}`;
      line.frustumCulled = false;
      this.trailGroup.add(line);
      this.#trails.push(line);
    }
  }

  /** What is drawn (for tests and the status line). */
  stats(): { contacts: number; arrows: number; trails: number; target: boolean; limits: string[] } {
    return {
      limits: this.limitGroup.visible ? [...this.#shown.limits] : [],
      contacts: this.contactGroup.visible ? this.#shown.contacts : 0,
      arrows: this.forceGroup.visible ? this.#shown.arrows : 0,
      trails: this.trailGroup.visible ? this.#trails.length : 0,
      target: this.targetGroup.visible,
    };
  }

  dispose(): void {
    this.setTrails(null, null);
    this.group.removeFromParent();
  }
}
