/**
 * MuJoCo (mujoco-js, the official WebAssembly build) as an independent reference for our
 * rigid-body algorithms and as a peer for benchmarks.
 *
 * Everything a PeerModel takes or returns is in the PROJECT's (Pinocchio's) coordinates (the
 * mapping: coordinates.ts).
 *
 * Files: mujoco-wasm.ts (the WebAssembly module, model loading), urdf-info.ts (a minimal URDF
 * reader), rotations.ts, mujoco-inertia.ts (inertia refinement), mjcf.ts (MJCF writing),
 * coordinates.ts (state mapping), peer-model.ts (queries and stepping); this file imports a
 * URDF (the steps below).
 *
 * Model import: MuJoCo's own URDF importer with visuals/collisions stripped, no armature,
 * no joint damping/friction (unless asked), inertiafromgeom=false, balanceinertia=false,
 * gravity (0,0,-9.81), contacts and constraints disabled (unless a contact scene is asked).
 * A floating base is imported by adding a URDF link "world" and a "floating" joint
 * 'root_joint' to the root link, which MuJoCo turns into a free joint.
 *
 * MuJoCo 3.3.8 (mujoco-js 0.0.7) quirk: compiler fusestatic=true merges the inertia of a
 * fixed child link WRONGLY when the child's principal inertia axes are rotated (upstream
 * issues #2982 / PR #3250: mjCBody::AccumulateInertia composes the poses in the wrong order).
 * On Solo-12 the merged FOOT+LOWER_LEG centre of mass comes out as (-0.00147, 0.00642, -0.10225)
 * instead of (0, 0.00790, -0.10225) and M is off by 7e-5. So the reference model is imported
 * with fusestatic=false (fixed links stay separate, welded bodies: exact dynamics), and the
 * optional fused model (fuseStatic: true) is rebuilt by this file from the imported model,
 * merging inertias itself (17-digit MJCF), and checked against the unfused one in the tests.
 * Second quirk: MuJoCo stores an inertia as principal moments + quaternion, and its compiler's
 * eigen-decomposition is only good to ~1e-10..5e-9 relative for tensors with several products
 * of inertia (double pendulum link2: 4.5e-9). After compiling, body_inertia/body_iquat are
 * replaced by a machine-precision decomposition of the URDF tensors (worst 8e-16 relative).
 * mj_saveLastXML is not used: it writes 6 significant digits.
 */
import { regenerateMjcf } from './mjcf.ts';
import { mujocoBodyInertiaTensor, refineInertias } from './mujoco-inertia.ts';
import { loadModelFromString, loadMujoco, MJ_DSBL_CONSTRAINT, MJ_DSBL_CONTACT, MJ_OBJ_BODY } from './mujoco-wasm.ts';
import { makePeer, type PeerModel } from './peer-model.ts';
import { rotateFull, rpyToMat, type Mat3 } from './rotations.ts';
import { readUrdf, stripUrdfGeometry } from './urdf-info.ts';
import type { ContactScene } from './mjcf.ts';

export type { PeerModel, PeerState } from './peer-model.ts';

export interface MujocoFromUrdfOptions {
  /** Add a free joint ('root_joint') to the root link. */
  floating: boolean;
  /** Visual/collision geometry (meshes included) is always stripped before loading. */
  meshes?: 'strip';
  /**
   * Moving joints in the project's order (default: depth-first, children in file order, which
   * is Pinocchio's/our order for the example-robot-data robots). Pass model.jointNames.slice(...)
   * to be sure.
   */
  jointOrder?: readonly string[];
  /** Keep the URDF's joint damping and friction (default: zeroed). Armature is always 0. */
  jointDamping?: boolean;
  /**
   * Merge links attached by fixed joints into their parent body (exact merge done here, see the
   * header comment; default false: MuJoCo's importer output, welded bodies kept separate).
   */
  fuseStatic?: boolean;
  /** A contact scene (ground + primitives on links). Enables contacts and constraints. */
  contact?: ContactScene;
  /** Integration step for step() / mj_step (default 0.002, MuJoCo's). */
  timestep?: number;
}

/**
 * Load a URDF into MuJoCo for dynamics comparison (see the header comment for what is done to
 * it), wrapped so that every quantity is in the project's coordinates.
 */
export async function mujocoFromUrdf(urdfXml: string, opts: MujocoFromUrdfOptions): Promise<PeerModel> {
  const mj = await loadMujoco();
  const info = readUrdf(urdfXml);
  let urdf = stripUrdfGeometry(urdfXml);
  const compiler =
    '<mujoco><compiler angle="radian" fusestatic="false" discardvisual="true" balanceinertia="false" ' +
    'inertiafromgeom="false" alignfree="false" boundmass="0" boundinertia="0" strippath="true"/></mujoco>';
  let extra = compiler;
  if (opts.floating) {
    if (info.links.includes('world')) throw new Error('floating: the URDF already has a link named world');
    extra +=
      '<link name="world"/><joint name="root_joint" type="floating">' +
      `<parent link="world"/><child link="${info.root}"/></joint>`;
  }
  urdf = urdf.replace(/<robot\b([^>]*)>/, (s) => `${s}${extra}`);
  let model = loadModelFromString(mj, urdf, 'urdf');
  let data = new mj.MjData(model);
  // The inertia tensors as written in the URDF (about the centre of mass, link frame).
  const tensors = new Map<string, Mat3>();
  for (const [link, L] of info.inertials) {
    const b = mj.mj_name2id(model, MJ_OBJ_BODY, link);
    if (b <= 0) continue;
    if (model.body_mass[b] !== L.mass) throw new Error(`link ${link}: MuJoCo mass ${model.body_mass[b]} != ${L.mass}`);
    const R = rpyToMat(L.rpy);
    const [ixx, iyy, izz, ixy, ixz, iyz] = L.inertia;
    const I = rotateFull(R, [ixx, ixy, ixz, ixy, iyy, iyz, ixz, iyz, izz]);
    // Sanity: MuJoCo read the same tensor (up to its eig3 accuracy).
    const Imj = mujocoBodyInertiaTensor(model, b);
    const scale = Math.max(...I.map(Math.abs));
    if (I.some((x, k) => Math.abs(x - Imj[k]) > 1e-6 * scale))
      throw new Error(`link ${link}: MuJoCo inertia ${Imj.join(' ')} != URDF ${I.join(' ')}`);
    tensors.set(link, I);
  }
  refineInertias(mj, model, data, tensors);

  if (opts.fuseStatic || opts.contact) {
    const regen = regenerateMjcf(mj, model, {
      fuseStatic: opts.fuseStatic ?? false,
      contact: opts.contact,
      timestep: opts.timestep,
      modelName: info.name,
    });
    data.delete();
    model.delete();
    model = loadModelFromString(mj, regen.xml, 'xml');
    data = new mj.MjData(model);
    refineInertias(mj, model, data, regen.tensors);
  }

  const opt = model.opt;
  opt.gravity[0] = 0;
  opt.gravity[1] = 0;
  opt.gravity[2] = -9.81;
  if (opts.timestep !== undefined) opt.timestep = opts.timestep;
  opt.disableflags = opts.contact ? 0 : MJ_DSBL_CONSTRAINT | MJ_DSBL_CONTACT;
  model.dof_armature.fill(0);
  if (!opts.jointDamping) {
    model.dof_damping.fill(0);
    model.dof_frictionloss.fill(0);
  }
  mj.mj_setConst(model, data);
  return makePeer(mj, model, data, opts.floating, opts.jointOrder ?? info.movingJointOrder);
}
