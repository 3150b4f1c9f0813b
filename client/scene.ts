/**
 * The 3D view: one WebGL canvas split into side-by-side viewports (one per solver), each with
 * its own scene (ground grid, lights, shadows) and one shared camera + OrbitControls, so both
 * are always seen from the same point. World z is up (the URDF convention).
 */
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';

export interface Viewport { scene: THREE.Scene; label: string }

function makeScene(): THREE.Scene {
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0xf3f4f6);
  scene.fog = new THREE.Fog(0xf3f4f6, 4, 9); // the ground fades into the background
  scene.add(new THREE.HemisphereLight(0xffffff, 0x8d8d8d, 1.6));
  const sun = new THREE.DirectionalLight(0xffffff, 2.2);
  sun.position.set(2, -3, 5);
  sun.castShadow = true;
  sun.shadow.mapSize.set(1024, 1024);
  const c = sun.shadow.camera;
  c.left = -2; c.right = 2; c.top = 2; c.bottom = -2; c.near = 0.1; c.far = 20;
  sun.shadow.bias = -0.0005;
  scene.add(sun);
  const ground = new THREE.Mesh(new THREE.PlaneGeometry(20, 20), new THREE.MeshStandardMaterial({ color: 0xe5e7eb, roughness: 1 }));
  ground.receiveShadow = true;
  ground.position.z = -0.0005;
  scene.add(ground);
  const grid = new THREE.GridHelper(10, 50, 0x9ca3af, 0xd1d5db);
  grid.rotation.x = Math.PI / 2; // GridHelper lies in XZ; the world is z-up
  scene.add(grid);
  scene.add(new THREE.AxesHelper(0.25));
  return scene;
}

/** Whether WebGL runs on a CPU rasterizer (then shadows cost more than they show). */
function isSoftwareRenderer(r: THREE.WebGLRenderer): boolean {
  try {
    const gl = r.getContext();
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const name = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    return /swiftshader|llvmpipe|software|lavapipe/i.test(name);
  } catch {
    return false;
  }
}

export class SplitView {
  readonly renderer: THREE.WebGLRenderer;
  readonly camera: THREE.PerspectiveCamera;
  readonly controls: OrbitControls;
  readonly viewports: Viewport[];
  /** A software rasterizer (SwiftShader, llvmpipe: headless browsers, VMs) draws without shadows. */
  readonly software: boolean;
  /** Set when the picture must be redrawn (camera moved, size changed); `render` clears it. */
  needsRender = true;
  #size = '';

  constructor(readonly container: HTMLElement, labels: string[]) {
    this.renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(2, window.devicePixelRatio));
    this.renderer.shadowMap.enabled = true;
    this.renderer.shadowMap.type = THREE.PCFShadowMap;
    this.renderer.setScissorTest(true);
    container.appendChild(this.renderer.domElement);
    this.camera = new THREE.PerspectiveCamera(45, 1, 0.01, 100);
    this.camera.up.set(0, 0, 1);
    this.camera.position.set(1.2, -1.6, 0.9);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.target.set(0, 0, 0.25);
    this.controls.update();
    this.controls.addEventListener('change', () => { this.needsRender = true; });
    this.viewports = labels.map((label) => ({ scene: makeScene(), label }));
    this.software = isSoftwareRenderer(this.renderer);
    if (this.software) this.renderer.shadowMap.enabled = false;
  }

  /** Points the shared camera at a robot of about `size` metres centred at `center`. */
  frame(center: THREE.Vector3, size: number): void {
    const d = Math.max(0.4, size * 1.15);
    this.controls.target.copy(center);
    this.camera.position.set(center.x + 0.7 * d, center.y - d, center.z + 0.5 * d);
    this.controls.update();
  }

  /** Draws both viewports when `force`, when needsRender is set, or when the container's size changed. */
  render(force = false): boolean {
    const el = this.renderer.domElement;
    const w = this.container.clientWidth, h = this.container.clientHeight;
    if (w === 0 || h === 0) return false;
    const size = `${w}x${h}`;
    if (!force && !this.needsRender && size === this.#size) return false;
    this.#size = size;
    this.needsRender = false;
    if (el.width !== Math.floor(w * this.renderer.getPixelRatio()) || el.height !== Math.floor(h * this.renderer.getPixelRatio())) {
      this.renderer.setSize(w, h, false);
      el.style.width = '100%';
      el.style.height = '100%';
    }
    const n = this.viewports.length;
    const vw = Math.floor(w / n);
    this.camera.aspect = vw / h;
    this.camera.updateProjectionMatrix();
    this.viewports.forEach((v, i) => {
      this.renderer.setViewport(i * vw, 0, vw, h);
      this.renderer.setScissor(i * vw, 0, vw, h);
      this.renderer.render(v.scene, this.camera);
    });
    return true;
  }
}
