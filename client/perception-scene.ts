/**
 * The object's 3D pose in the fit scene (Perception tab): the target cube (the paper's face
 * colours, translucent; only when its pose is known) and each method's current estimate as
 * edges in the method's colour, with the render camera drawn as a small frustum, under an
 * orbit camera. The fit scene's conventions (server/rendering/scene.ts): y up, the cube of side
 * 2 at the origin, pose world = R(axis-angle) v + t, camera at distance 6.7, elevation 30 deg,
 * azimuth 120 deg, looking at the origin. Three.js's box faces come in the same order as the
 * renderer's (+x, -x, +y, -y, +z, -z), so the colours match. Draws on demand.
 */
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import type { FitMethod } from '../shared/protocol.ts';
import { FIT_METHOD_ORDER, METHOD_COLORS, type FitView, type PoseArrays } from './perception-model.ts';

/** The renderer's cube colours (server/rendering/scene.ts CUBE_COLORS). */
const FACE_COLORS = [0xd91a1a, 0xffab00, 0x1a4dff, 0x1ae61a, 0x991ae6, 0xf2f2f2];
const EDGE_COLORS: Record<FitMethod, string> = { hard: '#06b6d4', softras: METHOD_COLORS.softras, perturbed: METHOD_COLORS.perturbed };

/** Quaternion (x, y, z, w) of an axis-angle vector. */
export function quaternionOf(r: readonly number[]): [number, number, number, number] {
  const t = Math.hypot(r[0], r[1], r[2]);
  if (t < 1e-12) return [r[0] / 2, r[1] / 2, r[2] / 2, 1];
  const s = Math.sin(t / 2) / t;
  return [r[0] * s, r[1] * s, r[2] * s, Math.cos(t / 2)];
}

function place(o: THREE.Object3D, p: PoseArrays): void {
  const [x, y, z, w] = quaternionOf(p.rotation);
  o.quaternion.set(x, y, z, w);
  o.position.set(p.translation[0], p.translation[1], p.translation[2]);
}

export class PerceptionScene {
  readonly renderer: THREE.WebGLRenderer;
  readonly scene = new THREE.Scene();
  readonly camera = new THREE.PerspectiveCamera(45, 1, 0.1, 200);
  readonly controls: OrbitControls;
  readonly target: THREE.Mesh;
  readonly estimates = new Map<FitMethod, THREE.LineSegments>();
  #dirty = true;

  constructor(readonly el: HTMLElement) {
    this.renderer = new THREE.WebGLRenderer({ antialias: true });
    this.renderer.setPixelRatio(Math.min(2, window.devicePixelRatio));
    el.append(this.renderer.domElement);
    this.scene.background = new THREE.Color(0xf8fafc);
    this.scene.add(new THREE.AmbientLight(0xffffff, 1.6), new THREE.GridHelper(10, 10, 0xcbd5e1, 0xe2e8f0));
    (this.scene.children[1] as THREE.Object3D).position.y = -1;
    const box = new THREE.BoxGeometry(2, 2, 2);
    this.target = new THREE.Mesh(box, FACE_COLORS.map((c) => new THREE.MeshBasicMaterial({ color: c, transparent: true, opacity: 0.45 })));
    this.scene.add(this.target);
    const edges = new THREE.EdgesGeometry(box);
    for (const m of FIT_METHOD_ORDER) {
      const l = new THREE.LineSegments(edges, new THREE.LineBasicMaterial({ color: EDGE_COLORS[m] }));
      l.visible = false;
      this.estimates.set(m, l);
      this.scene.add(l);
    }
    // the render camera: where the images are seen from
    const el30 = (30 * Math.PI) / 180, az = (120 * Math.PI) / 180, d = 6.7;
    const eye = new THREE.Vector3(d * Math.cos(el30) * Math.sin(az), d * Math.sin(el30), d * Math.cos(el30) * Math.cos(az));
    const cam = new THREE.PerspectiveCamera(60, 1, 1, 2.2);
    cam.position.copy(eye);
    cam.lookAt(0, 0, 0);
    cam.updateMatrixWorld();
    this.scene.add(new THREE.CameraHelper(cam));
    // the orbit camera: beside the render camera (azimuth 120 + 60 deg), far enough to see both
    const az2 = (180 * Math.PI) / 180, el2 = (35 * Math.PI) / 180, d2 = 11;
    this.camera.position.set(d2 * Math.cos(el2) * Math.sin(az2), d2 * Math.sin(el2), d2 * Math.cos(el2) * Math.cos(az2));
    this.camera.lookAt(eye.clone().multiplyScalar(0.35));
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.target.copy(eye.clone().multiplyScalar(0.35));
    this.controls.update();
    this.controls.addEventListener('change', () => { this.#dirty = true; });
    new ResizeObserver(() => { this.#dirty = true; }).observe(el);
  }

  /** Shows the fit's target pose (when known) and each method's latest pose. */
  update(v: FitView | undefined): void {
    const tp = v?.state.targetPose ?? null;
    this.target.visible = !!tp;
    if (tp) place(this.target, tp);
    for (const m of FIT_METHOD_ORDER) {
      const l = this.estimates.get(m)!;
      const p = v?.methods[m]?.pose ?? null;
      l.visible = !!p;
      if (p) place(l, p);
    }
    this.#dirty = true;
  }

  /** Quaternions on screen (tests). */
  poses(): Partial<Record<FitMethod | 'target', number[]>> {
    const out: Partial<Record<FitMethod | 'target', number[]>> = {};
    if (this.target.visible) out.target = this.target.quaternion.toArray();
    for (const [m, l] of this.estimates) if (l.visible) out[m] = l.quaternion.toArray();
    return out;
  }

  /** Draws when something changed (called every animation frame while the tab shows). */
  frame(): void {
    const w = this.el.clientWidth, h = this.el.clientHeight;
    if (w === 0 || h === 0) return;
    const size = this.renderer.getSize(new THREE.Vector2());
    if (size.x !== w || size.y !== h) { this.renderer.setSize(w, h); this.camera.aspect = w / h; this.camera.updateProjectionMatrix(); this.#dirty = true; }
    if (!this.#dirty) return;
    this.#dirty = false;
    this.renderer.render(this.scene, this.camera);
  }
}
