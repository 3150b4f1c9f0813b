/**
 * Drag to push (the Live tab): press on a body of a robot in either viewport, drag, and let go.
 * An arrow from the grabbed point to the cursor shows the force while dragging; on release the
 * force (NEWTONS_PER_METRE of drag, capped at the server's MAX_PUSH_FORCE_N) is sent as a push
 * on that body, which the server applies to both worlds at the same simulated step. The drag
 * runs in the plane through the grabbed point facing the camera; the camera's orbit controls are
 * off while a body is held. The pure parts (viewport under the cursor, force from the drag) are
 * exported for tests.
 */
import * as THREE from 'three';
import { MAX_PUSH_FORCE_N } from '../shared/limits.ts';
import type { SplitView } from './scene.ts';

/** Newtons per metre of drag in the scene (a 10 cm drag: 20 N). */
export const NEWTONS_PER_METRE = 200;

/** The viewport under a point of the canvas and the point's normalized device coordinates in it. */
export function viewportAt(x: number, y: number, width: number, height: number, n: number): { index: number; ndc: [number, number] } | null {
  if (width <= 0 || height <= 0 || x < 0 || y < 0 || x >= width || y >= height) return null;
  const vw = Math.floor(width / n);
  if (vw <= 0) return null;
  const index = Math.min(n - 1, Math.floor(x / vw));
  return { index, ndc: [((x - index * vw) / vw) * 2 - 1, 1 - (y / height) * 2] };
}

/** The force of a drag from `from` to `to` (world, m): along the drag, NEWTONS_PER_METRE per metre, at most `maxN`. */
export function dragForce(from: readonly number[], to: readonly number[], maxN = MAX_PUSH_FORCE_N, nPerM = NEWTONS_PER_METRE): [number, number, number] {
  const d = [to[0] - from[0], to[1] - from[1], to[2] - from[2]];
  const len = Math.hypot(d[0], d[1], d[2]);
  if (!(len > 0)) return [0, 0, 0];
  const f = Math.min(maxN, nPerM * len);
  return [(d[0] / len) * f, (d[1] / len) * f, (d[2] / len) * f];
}

/** The URDF link an object of a robot belongs to (urdf-loader marks links with isURDFLink). */
function linkOf(o: THREE.Object3D | null): string | null {
  for (let x = o; x; x = x.parent) if ((x as { isURDFLink?: boolean }).isURDFLink) return x.name;
  return null;
}

export interface DragPushOptions {
  /** The robot drawn in viewport i (null: none), and whether pushing is possible now. */
  robot(i: number): THREE.Object3D | null;
  enabled(): boolean;
  /** Sends the push (body name, world force in N). */
  push(body: string, force: [number, number, number]): void;
}

export class DragPush {
  #ray = new THREE.Raycaster();
  #plane = new THREE.Plane();
  #from = new THREE.Vector3();
  #to = new THREE.Vector3();
  #held: { body: string; viewport: number; pointer: number } | null = null;
  #arrow = new THREE.ArrowHelper(new THREE.Vector3(1, 0, 0), new THREE.Vector3(), 0.1, 0xdc2626, 0.03, 0.02);
  /** The force being dragged (N) and the body, while a body is held; for the status line and tests. */
  current: { body: string; force: [number, number, number] } | null = null;

  constructor(private readonly view: SplitView, private readonly opts: DragPushOptions) {
    this.#arrow.visible = false;
    this.#arrow.renderOrder = 20;
    for (const m of [this.#arrow.line.material, this.#arrow.cone.material] as THREE.Material[]) m.depthTest = false;
    const el = view.renderer.domElement;
    el.addEventListener('pointerdown', (e) => this.#down(e), { capture: true });
    el.addEventListener('pointermove', (e) => this.#move(e));
    el.addEventListener('pointerup', (e) => this.#up(e, true));
    el.addEventListener('pointercancel', (e) => this.#up(e, false));
  }

  #rayAt(e: PointerEvent): { index: number } | null {
    const el = this.view.renderer.domElement, r = el.getBoundingClientRect();
    const at = viewportAt(e.clientX - r.left, e.clientY - r.top, r.width, r.height, this.view.viewports.length);
    if (!at) return null;
    this.#ray.setFromCamera(new THREE.Vector2(at.ndc[0], at.ndc[1]), this.view.camera);
    return { index: at.index };
  }

  #down(e: PointerEvent): void {
    if (e.button !== 0 || !this.opts.enabled()) return;
    const at = this.#rayAt(e);
    const robot = at ? this.opts.robot(at.index) : null;
    if (!at || !robot || !robot.visible) return;
    const hit = this.#ray.intersectObject(robot, true).find((h) => linkOf(h.object) !== null);
    if (!hit) return;
    // a body is held: the camera stays where it is until release
    e.stopImmediatePropagation();
    e.preventDefault();
    this.view.controls.enabled = false;
    this.view.renderer.domElement.setPointerCapture?.(e.pointerId);
    this.#held = { body: linkOf(hit.object)!, viewport: at.index, pointer: e.pointerId };
    this.#from.copy(hit.point);
    this.#to.copy(hit.point);
    this.#plane.setFromNormalAndCoplanarPoint(this.view.camera.getWorldDirection(new THREE.Vector3()), hit.point);
    this.view.viewports[at.index].scene.add(this.#arrow);
    this.#update();
  }

  #move(e: PointerEvent): void {
    if (!this.#held || e.pointerId !== this.#held.pointer) return;
    if (!this.#rayAt(e)) return;
    const p = this.#ray.ray.intersectPlane(this.#plane, new THREE.Vector3());
    if (p) { this.#to.copy(p); this.#update(); }
  }

  #update(): void {
    const f = dragForce(this.#from.toArray(), this.#to.toArray());
    const n = Math.hypot(f[0], f[1], f[2]);
    this.current = { body: this.#held!.body, force: f };
    this.#arrow.visible = n > 0;
    if (n > 0) {
      this.#arrow.position.copy(this.#from);
      this.#arrow.setDirection(new THREE.Vector3(f[0] / n, f[1] / n, f[2] / n));
      const len = n / NEWTONS_PER_METRE;
      this.#arrow.setLength(len, Math.min(0.03, 0.35 * len), Math.min(0.02, 0.25 * len));
    }
    this.view.needsRender = true;
  }

  #up(e: PointerEvent, send: boolean): void {
    if (!this.#held || e.pointerId !== this.#held.pointer) return;
    const held = this.#held, cur = this.current;
    this.#held = null;
    this.current = null;
    this.#arrow.visible = false;
    this.#arrow.removeFromParent();
    this.view.controls.enabled = true;
    this.view.needsRender = true;
    if (send && cur && Math.hypot(...cur.force) >= 0.5) this.opts.push(held.body, cur.force);
  }
}
