/**
 * Contact time stepping: x_next = step(x, u) for x = (q, v), with hard unilateral contacts and
 * Coulomb friction on the exact cone, at the velocity level (the scheme of the simulators the
 * seed paper's authors use).
 *
 * Pipeline of one step (named stages, as MuJoCo's mj_step):
 *   position:  forward kinematics; collision detection of the robot's collision primitives
 *              against the scene (ground half-space, static boxes) within a margin;
 *              mass matrix M(q) (CRBA), H = M + dt D (implicit joint damping), its sparse LTDL
 *              factor H = L^T D L (tree-sparse, factor-m.ts); contact Jacobians Jc (3 rows per
 *              contact in its frame [t1 t2 n]); W = D^-1/2 L^-T Jc^T and the Delassus matrix
 *              G = Jc H^-1 Jc^T = W^T W, all stored compactly along each contact's chain of
 *              ancestor dofs (a foot of Solo touches 9 of the 18 dofs), two contacts coupling
 *              only through the dofs their chains share.
 *   velocity:  nonlinear effects nle(q, v) (RNEA); torques tau = clamp(u, effort limits) on the
 *              actuated dofs; free velocity v_free = v + H^-1 dt (tau - nle - D v).
 *   contact:   g = Jc v_free, normal bias from the signed distances (speculative for gaps,
 *              non-energetic Baumgarte-like correction for penetrations: contact-solver.ts),
 *              impulses lambda from the De Saxcé NCP (PGS or ADMM), v_next = v_free + H^-1 Jc^T lambda.
 *              Joint position limits within reach are 1-D unilateral rows of the same NCP
 *              (joint-limits.ts), after the contact rows, with the same bias rule.
 *   integrate: semi-implicit Euler on the configuration manifold: joints q + dt v; the
 *              free-flyer translates on a straight line and turns by exp(dt w) (quaternion
 *              kept unit), with the -w x v_lin term of the body-frame velocity handled exactly
 *              (see freeVelocity/advance: no energy gain for spinning bodies).
 *
 * Modelling choices (documented defaults in SimOptions): no restitution (a perfectly
 * inelastic impact: the solver drives the normal velocity to zero), friction from the scene
 * object touched, no self-collision, joint position limits enforced as hard unilateral stops
 * (SimOptions.enforceLimits). Collision meshes collide as their convex hulls (mesh-collision.ts)
 * once `await initMeshCollision()` has run; before that they give no contacts (a model whose
 * only collision geometry is meshes is then refused).
 *
 * Hot path: `stepInto` and the stage functions allocate nothing. The kinematics, CRBA, LTDL,
 * RNEA and the contact rows, Delassus blocks and sticking solve run as kernels generated for the
 * model (compiled/), equal as numbers to the generic loops beside them (setCompiledKernels).
 */
import { actuatedDofs, type Model } from '../model/model.ts';
import { jointOf } from '../model/joints/index.ts';
import { createData, type Data } from './data.ts';
import { crbaFromPlacements } from './crba.ts';
import { factorMassMatrix, ltdlSolveL, solveMassMatrix } from './factor-m.ts';
import { forwardKinematics } from './kinematics.ts';
import { integrate, turnQuaternion } from './lie.ts';
import { rneaFromPlacements } from './rnea.ts';
import { jointJacobiansFromPlacements } from './jacobian.ts';
import {
  clearContacts, collideShapeBox, collideShapePlane, collisionShapeFromGeometry, createContactBuffer,
  groundPlane, makeBoxObstacle, SHAPE_CAPSULE, SHAPE_CYLINDER, SHAPE_NONE, SHAPE_SPHERE, type BoxObstacle, type CollisionShape, type ContactBuffer,
} from './collision.ts';
import {
  computeContactBias, createContactSolverResult, createContactSolverWorkspace, defaultContactSolverOptions,
  solveContacts, type ContactBiasParams, type ContactSolverOptions, type ContactSolverResult,
} from './contact-solver.ts';
import { detectLimitRows, JointLimits, LimitRows } from './joint-limits.ts';
import { se3Mul } from '../model/spatial.ts';
import { choleskyInvDiagInPlace, choleskyInvDiagSolveInPlace } from '../math/linalg.ts';
import { defaultScene, type Scene } from './scene.ts';
import { compiledKernelsEnabled } from './compiled/emit.ts';
import { choleskyKernels, type CholeskyKernels } from './compiled/cholesky-kernel.ts';
import {
  chainOffset, contactImpulseKernel, contactRowsKernel, contactVelocityKernel, delassusBlockKernel, delassusDiagonalKernel,
  type ChainLayout, type ContactImpulseKernel, type ContactRowsKernel, type ContactVelocityKernel, type DelassusBlockKernel,
} from './compiled/contact-kernel.ts';
import { collideMeshScene, hullCollisionShape, meshCollisionReady, meshCollisionShape, SHAPE_MESH, type MeshCollisionShape } from './mesh-collision.ts';

export interface SimOptions {
  /** Time step (s). */
  dt: number;
  /** Contacts are detected while the signed distance is below this margin (m). */
  margin: number;
  /** Contact solver settings (method, iterations, tolerance); warm start across steps is on. */
  solver: Partial<ContactSolverOptions>;
  /** Penetration tolerated without correction (m). */
  slop: number;
  /** Fraction of the excess penetration removed per step, in [0, 1]. */
  beta: number;
  /** Cap on the separating correction velocity (m/s). */
  maxCorrectionVelocity: number;
  /** Clamp controls to the URDF effort limits (default true). */
  clampEffort: boolean;
  /** Maximum number of simultaneous contacts (buffer size). */
  maxContacts: number;
  /** Enforce the URDF's joint position limits (default true). */
  enforceLimits: boolean;
  /** A joint stop enters the step within this distance (rad or m) plus dt |v_joint| (default 0.01). */
  limitMargin: number;
}

export function defaultSimOptions(overrides: Partial<SimOptions> = {}): SimOptions {
  return {
    dt: 0.01,
    margin: 0.01,
    solver: {},
    slop: 5e-4,
    beta: 0.2,
    maxCorrectionVelocity: 0.5,
    clampEffort: true,
    maxContacts: 32,
    enforceLimits: true,
    limitMargin: 0.01,
    ...overrides,
  };
}

/** What one step reports (written in place by stepInto). */
export interface StepInfo {
  contacts: number;
  /** Joint-limit rows in the step's problem (stops within reach; active or not). */
  limits: number;
  solver: ContactSolverResult;
}

/**
 * A simulator for one model in one scene: the Model, a Data workspace and every contact buffer.
 * One per thread; reuse it for every step.
 */
export class Simulator {
  readonly model: Model;
  readonly scene: Scene;
  readonly options: SimOptions;
  readonly data: Data;
  /** Contacts of the last position stage. */
  readonly contacts: ContactBuffer;
  /** The model's limited joints (none when enforceLimits is off). */
  readonly jointLimits: JointLimits;
  /** Joint-limit rows of the last position stage. */
  readonly limits: LimitRows;
  /**
   * Impulses of the last step: 3 per contact (contact frames), N s, then one per limit row
   * (at 3 nc + l, >= 0, pushing the joint away from its stop; N m s or N s).
   */
  readonly lambda: Float64Array;
  readonly info: StepInfo;
  /**
   * Generalized external force (nv numbers, N and N m), added to the actuation over every step
   * while set (e.g. an operator's push, external-force.ts); null (the default) leaves the step
   * exactly as without it.
   */
  externalForce: Float64Array | null = null;
  /** Actuated dof indices (u order). */
  readonly actuated: Int32Array;
  /** Per dof: its index in u, or -1 (not actuated). */
  private readonly controlOfDof: Int32Array;
  /** Floating model whose other joints are all one-dof, in order: q[7 + i] pairs with v[6 + i]. */
  private readonly oneDofTail: boolean;

  // collision set-up (shapes and their joints are read by the analytic derivatives)
  readonly shapes: CollisionShape[] = [];
  readonly shapeJoint: Int32Array;
  /** Bounding radius of each shape about its centre (m). */
  private readonly shapeRadius: Float64Array;
  private readonly shapePlacement: Float64Array;
  private readonly shapeWorld: Float64Array;
  private readonly plane: Float64Array | null;
  private readonly boxes: BoxObstacle[];
  private readonly envFriction: Float64Array;
  /** Per shape: generated kernels of its body's dof chain (null: generic loops). */
  private readonly rowsKernel: (ContactRowsKernel | null)[];
  private readonly velocityKernel: (ContactVelocityKernel | null)[];
  private readonly impulseKernel: (ContactImpulseKernel | null)[];
  /** Per shape: the run-time offset of its chain layout, passed to those kernels. */
  private readonly shapeOffset: Int32Array;
  /** Per shape: its body's dof chain (last dof, then its ancestors), nv entries each, and its length. */
  private readonly shapeChain: Int32Array;
  private readonly shapeChainLength: Int32Array;
  /** Per pair of shapes (row-major): the number of dofs their bodies' chains share. */
  private readonly sharedChain: Int32Array;
  /** Per shared chain length: generated Delassus block kernels, off-diagonal and diagonal (null: generic loop). */
  private readonly blockKernel: (DelassusBlockKernel | null)[];
  private readonly diagonalKernel: (DelassusBlockKernel | null)[];

  // workspaces (sized for maxContacts)
  /** Contact Jacobian rows (3 per contact, contact frame), compact: row r of contact c holds the
   * entry of dof chains[c nv + t] at r nv + t, t < chainLength[c]. */
  readonly Jc: Float64Array;
  /** D^-1/2 L^-T Jc^T rows (H = L^T D L), compact like Jc: G = W^T W. */
  readonly W: Float64Array;
  /**
   * Per contact: its dof chain (deepest dof of the body, then its ancestors). Written only for
   * contacts of shapes without generated kernels (which have their chain built in).
   */
  readonly chains: Int32Array;
  readonly chainLength: Int32Array;
  /** Scratch nv vector. */
  private readonly rv: Float64Array;
  /** D^-1/2 of the H factor (position stage), for W and applyImpulses. */
  private readonly sqrtDinv: Float64Array;
  /** Limit rows' D^-1/2 L^-T e_dof s along the dof's chain (nv per row, compact like W). */
  private readonly WL: Float64Array;
  /** Per limited joint: its dof chain (its dof, then its ancestors), nv entries each, and its length. */
  private readonly limChain: Int32Array;
  private readonly limChainLength: Int32Array;
  /** Dofs shared by the chains of two limited joints (row-major), of a shape and a limited joint (shape-major). */
  private readonly limShared: Int32Array;
  private readonly shapeLimShared: Int32Array;
  /** Warm start of the limit rows, per (limited joint, side): 2 l + (upper ? 1 : 0). */
  private readonly prevLimLambda: Float64Array;
  private readonly prevLimKeys: Int32Array;
  private prevLimCount = 0;
  /** Polish: the limit rows with a positive impulse. */
  private readonly limActive: Int32Array;
  private polishLimCount = 0;
  private readonly polishLimSet: Int32Array;
  /** G (n x n, n = 3 nc + nl, stride n): contact rows first, then limit rows. */
  readonly G: Float64Array;
  readonly g: Float64Array;
  readonly mu: Float64Array;
  /** Normal bias per contact, then one per limit row (at nc + l). */
  readonly bias: Float64Array;
  readonly vfree: Float64Array;
  readonly tau: Float64Array;
  readonly dampDiag: Float64Array;
  private readonly solverWs;
  private readonly solverOpts: ContactSolverOptions;
  private readonly biasParams: ContactBiasParams;
  private readonly prevGeom: Int32Array;
  private readonly prevEnv: Int32Array;
  private prevCount = 0;
  private readonly prevLambda: Float64Array;
  private readonly stickIdx: Int32Array;
  /** Incremented by every position stage: G (and so the polish factor) belongs to one version. */
  private positionVersion = 0;
  /** data.J holds every column for the last position stage's configuration. */
  private jacobiansValid = false;
  /** data.M (and data.Ycrb) hold the CRBA of the last position stage's configuration. */
  private massValid = false;
  /** Per joint: redone by a partial CRBA or RNEA (the joints from..to and their ancestors). */
  private readonly affected: Uint8Array;
  /** The last position stage was partial (from..to). */
  private partialStage = false;
  /** positionVersion of the last freeVelocity's RNEA (-1: none). */
  private rneaVersion = -1;
  private polishVersion = -1;
  private polishCount = 0;
  private readonly polishSet: Int32Array;
  private readonly stickMask: Uint8Array;
  private readonly polishK: Float64Array;
  private readonly polishR: Float64Array;
  private readonly polishRidge = new Float64Array(1);
  /** advance: the base's rotation vector dt w at [3..6]. */
  private readonly turnTmp = new Float64Array(6);
  /** Per number of sticking contacts: generated Cholesky kernels of that size (null: generic). */
  private readonly polishKernel: (CholeskyKernels | null)[];

  constructor(model: Model, scene: Scene = defaultScene(), options: Partial<SimOptions> = {}) {
    this.model = model;
    this.scene = scene;
    this.options = defaultSimOptions(options);
    const o = this.options;
    if (!(o.dt > 0)) throw new Error(`simulator: dt must be > 0, got ${o.dt}`);
    if (!(o.margin >= 0)) throw new Error(`simulator: margin must be >= 0, got ${o.margin}`);
    this.data = createData(model);
    this.affected = new Uint8Array(model.njoints);
    this.actuated = actuatedDofs(model);
    this.controlOfDof = new Int32Array(model.nv).fill(-1);
    this.actuated.forEach((i, k) => { this.controlOfDof[i] = k; });
    let tail = model.floating;
    for (let j = 2; j < model.njoints; j++) tail &&= model.nqs[j] === 1 && model.nvs[j] === 1 && model.idxQ[j] === model.idxV[j] + 1;
    this.oneDofTail = tail;
    const nv = model.nv;

    const geomJoint: number[] = [];
    const placements: number[] = [];
    let meshOnly = model.collisions.length > 0;
    for (const g of model.collisions) {
      const shape = g.shape.type === 'mesh' && g.shape.hull ? hullCollisionShape(g.shape.hull, `${g.link} (${g.shape.uri})`)
        : g.shape.type === 'mesh' && g.shape.path !== null && meshCollisionReady()
          ? meshCollisionShape(g.shape) : collisionShapeFromGeometry(g.shape);
      if (shape.kind === SHAPE_MESH && (shape as MeshCollisionShape).hull.raw === null && scene.boxes.length > 0 && !meshCollisionReady()) {
        throw new Error(`simulator: the convex hull of ${g.link}'s collision mesh against the scene's boxes needs Rapier: call \`await initMeshCollision()\` (server/dynamics/mesh-collision.ts) before creating the Simulator (against the ground alone it does not)`);
      }
      if (shape.kind === SHAPE_NONE) continue;
      meshOnly = false;
      if (g.parentJoint === 0) continue; // welded to the world: never moves, never collides
      this.shapes.push(shape);
      geomJoint.push(g.parentJoint);
      placements.push(...g.placement);
    }
    if (meshOnly) {
      throw new Error(`simulator: model ${model.name} has only mesh collision geometry; contacts need primitives (sphere, capsule, cylinder, box), or mesh collision: call \`await initMeshCollision()\` (server/dynamics/mesh-collision.ts) before creating the Simulator, with the mesh files resolved (packageDirs)`);
    }
    this.shapeJoint = Int32Array.from(geomJoint);
    this.shapeRadius = Float64Array.from(this.shapes.map((sh) => {
      const d = sh.dims;
      switch (sh.kind) {
        case SHAPE_SPHERE: return d[0];
        case SHAPE_CAPSULE: return d[0] + d[1];
        case SHAPE_CYLINDER: return Math.hypot(d[0], d[1]);
        default: return Math.hypot(d[0], d[1], d[2]);
      }
    }));
    this.shapePlacement = Float64Array.from(placements);
    this.shapeWorld = new Float64Array(12 * this.shapes.length);
    this.plane = scene.ground ? groundPlane(scene.ground.height) : null;
    this.boxes = scene.boxes.map((b) => makeBoxObstacle(b.placement, [b.size[0] / 2, b.size[1] / 2, b.size[2] / 2]));
    // env index 0 = ground, 1.. = boxes
    this.envFriction = Float64Array.from([scene.ground?.friction ?? 0, ...scene.boxes.map((b) => b.friction)]);

    if (!(o.limitMargin >= 0)) throw new Error(`simulator: limitMargin must be >= 0, got ${o.limitMargin}`);
    const nc = o.maxContacts;
    this.jointLimits = new JointLimits(model, o.enforceLimits);
    const nlMax = 2 * this.jointLimits.count, nMax = 3 * nc + nlMax;
    this.limits = new LimitRows(nlMax, o.limitMargin, o.dt);
    this.contacts = createContactBuffer(nc, o.margin);
    this.lambda = new Float64Array(nMax);
    this.prevLambda = new Float64Array(3 * nc);
    this.prevLimLambda = new Float64Array(nlMax);
    this.prevLimKeys = new Int32Array(nlMax);
    this.limActive = new Int32Array(nlMax);
    this.polishLimSet = new Int32Array(nlMax);
    this.WL = new Float64Array(nlMax * nv);
    this.stickIdx = new Int32Array(nc);
    this.polishSet = new Int32Array(nc);
    this.stickMask = new Uint8Array(nc);
    this.polishK = new Float64Array(nMax * nMax);
    this.polishR = new Float64Array(nMax);
    this.prevGeom = new Int32Array(nc);
    this.prevEnv = new Int32Array(nc);
    this.Jc = new Float64Array(3 * nc * nv);
    this.W = new Float64Array(3 * nc * nv);
    this.chains = new Int32Array(nc * nv).fill(-1);
    this.chainLength = new Int32Array(nc);
    this.rv = new Float64Array(nv);
    this.sqrtDinv = new Float64Array(nv);
    this.G = new Float64Array(nMax * nMax);
    this.g = new Float64Array(nMax);
    this.mu = new Float64Array(nc);
    this.bias = new Float64Array(nc + nlMax);
    this.vfree = new Float64Array(nv);
    this.tau = new Float64Array(nv);
    this.dampDiag = new Float64Array(nv);
    for (let i = 0; i < nv; i++) this.dampDiag[i] = o.dt * model.damping[i];
    this.solverWs = createContactSolverWorkspace(nc, nlMax);
    this.solverOpts = defaultContactSolverOptions({ maxIterations: 500, tolerance: 1e-12, ...o.solver, warmStart: true });
    this.biasParams = { dt: o.dt, slop: o.slop, beta: o.beta, maxCorrectionVelocity: o.maxCorrectionVelocity, speculative: true };
    this.info = { contacts: 0, limits: 0, solver: createContactSolverResult() };

    // contact kernels: each shape's body has a fixed dof chain (its last dof, then every
    // ancestor dof), so its Jacobian rows, W solve and shared chain lengths are model constants
    const ns = this.shapes.length, lambdaDof = this.data.dofParent;
    const shapeChains = this.shapes.map((_, s) => {
      const body = this.shapeJoint[s], chain: number[] = [];
      for (let k = model.idxV[body] + model.nvs[body] - 1; k !== -1; k = lambdaDof[k]) chain.push(k);
      return chain;
    });
    const compiled = compiledKernelsEnabled();
    this.shapeChain = new Int32Array(ns * nv);
    this.shapeChainLength = Int32Array.from(shapeChains, (c) => c.length);
    shapeChains.forEach((c, s) => this.shapeChain.set(c, s * nv));
    // dofs whose world Jacobian column has an exactly zero angular part
    const translationalDof = new Uint8Array(nv);
    for (let j = 1; j < model.njoints; j++) {
      const iv = model.idxV[j], jt = jointOf(model, j);
      for (let k = 0; k < jt.nv; k++) if (jt.translational(k)) translationalDof[iv + k] = 1;
    }
    // one set per body (shapes on the same body share it), written for the body's chain layout:
    // its own branch of the tree relative to a run-time offset, so that bodies with branches of
    // the same shape (the legs) share one compiled function (ChainLayout)
    const children = new Int32Array(model.njoints);
    for (let j = 1; j < model.njoints; j++) children[model.parents[j]]++;
    this.shapeOffset = new Int32Array(ns);
    const byBody = new Map<number, [ContactRowsKernel | null, ContactVelocityKernel | null, ContactImpulseKernel | null]>();
    const kernels = this.shapes.map((_, s) => {
      const body = this.shapeJoint[s], chain = shapeChains[s];
      let branch = 0;
      for (let j = body; ; j = model.parents[j]) {
        branch += model.nvs[j];
        if (model.parents[j] === 0 || children[model.parents[j]] > 1) break;
      }
      const layout: ChainLayout = { chain, branch };
      this.shapeOffset[s] = chainOffset(layout);
      if (!compiled) return [null, null, null] as const;
      if (!byBody.has(body)) {
        const rows = contactRowsKernel(layout, nv, (k) => translationalDof[k] === 1), vel = contactVelocityKernel(layout, nv), imp = contactImpulseKernel(layout, nv);
        // all or none: the generic loops need the contact's chain, which only they write
        byBody.set(body, rows && vel && imp ? [rows, vel, imp] : [null, null, null]);
      }
      return byBody.get(body)!;
    });
    this.rowsKernel = kernels.map((k) => k[0]);
    this.velocityKernel = kernels.map((k) => k[1]);
    this.impulseKernel = kernels.map((k) => k[2]);
    this.sharedChain = new Int32Array(ns * ns);
    for (let a = 0; a < ns; a++) for (let b = 0; b < ns; b++) {
      const ca = shapeChains[a], cb = shapeChains[b];
      let lc = 0;
      while (lc < ca.length && lc < cb.length && ca[ca.length - 1 - lc] === cb[cb.length - 1 - lc]) lc++;
      this.sharedChain[a * ns + b] = lc;
    }
    this.polishKernel = Array.from({ length: o.maxContacts + 1 }, (_, k) => compiled && k > 0 ? choleskyKernels(3 * k) : null);
    // limit rows: each limited joint's dof chain and the dofs it shares with the other limited
    // joints and with each shape's body (common root-side suffix of the chains)
    const JL = this.jointLimits, nlim = JL.count;
    const limChains = Array.from(JL.iv, (k0) => {
      const chain: number[] = [];
      for (let k = k0; k !== -1; k = lambdaDof[k]) chain.push(k);
      return chain;
    });
    const sharedSuffix = (a: number[], b: number[]): number => {
      let lc = 0;
      while (lc < a.length && lc < b.length && a[a.length - 1 - lc] === b[b.length - 1 - lc]) lc++;
      return lc;
    };
    this.limChain = new Int32Array(nlim * nv);
    limChains.forEach((c, l) => this.limChain.set(c, l * nv));
    this.limChainLength = Int32Array.from(limChains, (c) => c.length);
    this.limShared = new Int32Array(nlim * nlim);
    for (let a = 0; a < nlim; a++) for (let b = 0; b < nlim; b++) this.limShared[a * nlim + b] = sharedSuffix(limChains[a], limChains[b]);
    this.shapeLimShared = new Int32Array(ns * nlim);
    for (let s = 0; s < ns; s++) for (let l = 0; l < nlim; l++) this.shapeLimShared[s * nlim + l] = sharedSuffix(shapeChains[s], limChains[l]);
    this.blockKernel = Array.from({ length: nv + 1 }, (_, lc) => compiled ? delassusBlockKernel(lc, nv) : null);
    this.diagonalKernel = Array.from({ length: nv + 1 }, (_, lc) => compiled ? delassusDiagonalKernel(lc, nv) : null);
  }

  get dt(): number {
    return this.options.dt;
  }

  /**
   * Position stage at q: kinematics, contacts, H = M + dt D and its factor, contact Jacobians,
   * Y = H^-1 Jc^T and the Delassus matrix G. Returns the number of contacts.
   *
   * keepMass: reuse the H factor of the previous position stage. Valid when q differs from that
   * stage's configuration only in the free-flyer's pose: M (CRBA in joint frames, base velocity
   * in the base frame) depends on the joint angles alone, bit for bit. The linearization uses
   * it for the base columns.
   *
   * from/to: since the previous position stage, q changed only on joints whose subtrees lie in
   * from..to (joints are in depth-first order: a subtree is a range): kinematics and joint
   * Jacobians are redone there only, the mass matrix for those joints and their ancestors
   * (bit for bit what a full pass gives). v must be the same.
   */
  positionStage(q: ArrayLike<number>, v?: ArrayLike<number>, keepMass = false, from = 1, to = this.model.njoints - 1): number {
    const model = this.model, data = this.data, nv = model.nv, dt = this.options.dt;
    this.positionVersion++;
    forwardKinematics(model, data, q, v, undefined, from, to);
    // collisions; with v, each shape's margin grows by the distance it can travel in the step
    // (speed of its centre + |w| x its bounding radius, + g dt^2), so a fast body cannot pass
    // the margin unseen; the speculative bias lets such a gap close exactly.
    const buf = this.contacts;
    clearContacts(buf);
    const G0 = model.gravity[0], G1 = model.gravity[1], G2 = model.gravity[2];
    const g2 = dt * dt * Math.sqrt(G0 * G0 + G1 * G1 + G2 * G2); // (Math.hypot allocates its arguments)
    for (let s = 0; s < this.shapes.length; s++) {
      const j = this.shapeJoint[s], kind = this.shapes[s].kind, so = 12 * s, P = this.shapePlacement, SW = this.shapeWorld;
      const cx = P[so + 9], cy = P[so + 10], cz = P[so + 11];
      if (v) {
        const V = data.v, o = 6 * j;
        const wx = V[o + 3], wy = V[o + 4], wz = V[o + 5];
        const sx = V[o] + wy * cz - wz * cy, sy = V[o + 1] + wz * cx - wx * cz, sz = V[o + 2] + wx * cy - wy * cx;
        const reach = dt * (Math.sqrt(sx * sx + sy * sy + sz * sz) + Math.sqrt(wx * wx + wy * wy + wz * wz) * this.shapeRadius[s]);
        buf.marginBox[0] = this.options.margin + reach + g2;
      }
      // the shape's world centre (the translation se3Mul writes, the same numbers)
      const O = data.oMi, jo = 12 * j;
      const wx = O[jo] * cx + O[jo + 1] * cy + O[jo + 2] * cz + O[jo + 9];
      const wy = O[jo + 3] * cx + O[jo + 4] * cy + O[jo + 5] * cz + O[jo + 10];
      const wz = O[jo + 6] * cx + O[jo + 7] * cy + O[jo + 8] * cz + O[jo + 11];
      // bounding-sphere cull against the ground: a shape whose sphere lies beyond the margin
      // cannot touch it (the base of a standing robot, a swinging leg)
      let nearGround = this.plane !== null;
      if (nearGround && kind !== SHAPE_MESH) {
        const pl = this.plane!;
        nearGround = pl[0] * wx + pl[1] * wy + pl[2] * wz - pl[3] - this.shapeRadius[s] <= buf.marginBox[0] + 1e-9;
        if (!nearGround && this.boxes.length === 0) continue;
      }
      // a sphere's queries read only its centre (its rotation entries in shapeWorld stay unwritten)
      if (kind === SHAPE_SPHERE) { SW[so + 9] = wx; SW[so + 10] = wy; SW[so + 11] = wz; } else se3Mul(O, jo, P, so, SW, so);
      if (nearGround) collideShapePlane(this.shapes[s], this.shapeWorld, 12 * s, this.plane!, s, 0, buf);
      for (let b = 0; b < this.boxes.length; b++) collideShapeBox(this.shapes[s], this.shapeWorld, 12 * s, this.boxes[b], s, b + 1, buf);
      if (kind === SHAPE_MESH) collideMeshScene(this.shapes[s] as MeshCollisionShape, this.shapeWorld, 12 * s, this.plane, this.boxes, s, buf);
    }
    buf.marginBox[0] = this.options.margin;
    const nc = buf.count;
    // mass matrix with implicit damping, factorized; for a partial stage, the CRBA redoes only
    // the joints from..to and their ancestors (data.M holds the previous stage's matrix)
    const partial = from > 1 || to < model.njoints - 1;
    if (partial) {
      const aff = this.affected;
      aff.fill(0);
      for (let j = from; j <= to; j++) for (let a = j; a > 0 && !aff[a]; a = model.parents[a]) aff[a] = 1;
    }
    this.partialStage = partial;
    if (!keepMass) {
      if (this.massValid && partial) {
        crbaFromPlacements(model, data, this.affected);
      } else {
        crbaFromPlacements(model, data);
      }
      this.massValid = true;
      factorMassMatrix(model, data, this.dampDiag);
    }
    // joint stops within reach (their rows need only the factor of H)
    const nl = this.jointLimits.count > 0 ? detectLimitRows(this.jointLimits, q, v, this.limits) : 0;
    if (nc === 0) {
      this.jacobiansValid = false;
      if (nl > 0) {
        const L = data.Mfactor, sd = this.sqrtDinv;
        for (let k = 0; k < nv; k++) sd[k] = 1 / Math.sqrt(L[k * nv + k]);
        this.limitRows(0, nl);
      }
      return 0;
    }
    // the columns outside from..to are still those of the previous stage if it computed them
    if (this.jacobiansValid) jointJacobiansFromPlacements(model, data, from, to);
    else jointJacobiansFromPlacements(model, data);
    this.jacobiansValid = true;
    // Compact storage along each contact's dof chain: row r of contact c keeps its entry for dof
    // chains[c nv + t] at r nv + t (t < len), so nothing is scattered or zeroed at nv width.
    const J = data.J, Jc = this.Jc, W = this.W, L = data.Mfactor;
    const chains = this.chains, chainLength = this.chainLength, sd = this.sqrtDinv;
    // H = L^T D L: scale W by D^-1/2 so that G = W^T W
    for (let k = 0; k < nv; k++) sd[k] = 1 / Math.sqrt(L[k * nv + k]);
    for (let c = 0; c < nc; c++) {
      const geom = buf.geom[c];
      this.mu[c] = this.envFriction[buf.env[c]];
      const len = this.shapeChainLength[geom];
      chainLength[c] = len;
      // a shape with kernels never needs its chain spelled out (its kernels have it built in)
      const rows = this.rowsKernel[geom];
      if (rows !== null) { rows(c, this.shapeOffset[geom], buf.pos, buf.normal, buf.dist, buf.frame, J, L, sd, Jc, W); continue; }
      // dof chain of the touching body: its last dof, then every ancestor dof (descending)
      const sc = this.shapeChain, so = geom * nv, co = c * nv;
      for (let t = 0; t < len; t++) chains[co + t] = sc[so + t];
      // robot witness point p = pos + dist n; a world motion (v0, w) moves it at v0 + w x p
      const d = buf.dist[c];
      const px = buf.pos[3 * c] + d * buf.normal[3 * c];
      const py = buf.pos[3 * c + 1] + d * buf.normal[3 * c + 1];
      const pz = buf.pos[3 * c + 2] + d * buf.normal[3 * c + 2];
      const F = buf.frame, fo = 9 * c;
      const r0 = 3 * c * nv, r1 = r0 + nv, r2 = r1 + nv;
      // a normal of exactly +z (flat ground): the frame is the identity, the rows are world rows
      const flat = buf.normal[3 * c] === 0 && buf.normal[3 * c + 1] === 0 && buf.normal[3 * c + 2] === 1;
      for (let t = 0; t < len; t++) {
        const k = chains[co + t];
        const wx = J[3 * nv + k], wy = J[4 * nv + k], wz = J[5 * nv + k];
        const vx = J[k] + wy * pz - wz * py;
        const vy = J[nv + k] + wz * px - wx * pz;
        const vz = J[2 * nv + k] + wx * py - wy * px;
        // rows in the contact frame: R^T v with R's columns [t1 t2 n]
        const a = flat ? vx : F[fo] * vx + F[fo + 3] * vy + F[fo + 6] * vz;
        const b = flat ? vy : F[fo + 1] * vx + F[fo + 4] * vy + F[fo + 7] * vz;
        const e = flat ? vz : F[fo + 2] * vx + F[fo + 5] * vy + F[fo + 8] * vz;
        Jc[r0 + t] = a; Jc[r1 + t] = b; Jc[r2 + t] = e;
        W[r0 + t] = a; W[r1 + t] = b; W[r2 + t] = e;
      }
      // W rows = L^-T Jc rows, leaves to root: the ancestors of chain dof t are the chain
      // dofs after it, so the solve stays on the chain (three rows at once)
      for (let t = 0; t < len; t++) {
        const k = chains[co + t], lk = k * nv;
        const w0 = W[r0 + t], w1 = W[r1 + t], w2 = W[r2 + t];
        for (let s2 = t + 1; s2 < len; s2++) {
          const l = L[lk + chains[co + s2]];
          W[r0 + s2] -= l * w0; W[r1 + s2] -= l * w1; W[r2 + s2] -= l * w2;
        }
        const sk = sd[k];
        W[r0 + t] = w0 * sk; W[r1 + t] = w1 * sk; W[r2 + t] = w2 * sk;
      }
    }
    // G = W^T W (symmetric). Contacts ca, cb share the common root-side part of their chains
    // (a suffix of both, the same dofs in the same order): entry (a, b) sums over it only.
    // Row stride n: the limit rows follow the contact rows.
    const n = 3 * nc + nl;
    const G = this.G;
    const ns = this.shapes.length, shared = this.sharedChain;
    for (let ca = 0; ca < nc; ca++) {
      const la = chainLength[ca], sa = buf.geom[ca] * ns;
      for (let cb = ca; cb < nc; cb++) {
        const lb = chainLength[cb];
        const lc = shared[sa + buf.geom[cb]];
        const a0 = 3 * ca * nv + la - lc, b0 = 3 * cb * nv + lb - lc;
        const ra = 3 * ca * n + 3 * cb, rb = 3 * cb * n + 3 * ca;
        const block = ca === cb ? this.diagonalKernel[lc] : this.blockKernel[lc];
        if (block !== null) { block(W, a0, b0, G, ra, rb, n); continue; }
        // the 3x3 block in one pass over the shared dofs
        let g00 = 0, g01 = 0, g02 = 0, g10 = 0, g11 = 0, g12 = 0, g20 = 0, g21 = 0, g22 = 0;
        for (let t = 0; t < lc; t++) {
          const x0 = W[a0 + t], x1 = W[a0 + nv + t], x2 = W[a0 + 2 * nv + t];
          const y0 = W[b0 + t], y1 = W[b0 + nv + t], y2 = W[b0 + 2 * nv + t];
          g00 += x0 * y0; g01 += x0 * y1; g02 += x0 * y2;
          g10 += x1 * y0; g11 += x1 * y1; g12 += x1 * y2;
          g20 += x2 * y0; g21 += x2 * y1; g22 += x2 * y2;
        }
        G[ra] = g00; G[ra + 1] = g01; G[ra + 2] = g02;
        G[ra + n] = g10; G[ra + n + 1] = g11; G[ra + n + 2] = g12;
        G[ra + 2 * n] = g20; G[ra + 2 * n + 1] = g21; G[ra + 2 * n + 2] = g22;
        G[rb] = g00; G[rb + 1] = g10; G[rb + 2] = g20;
        G[rb + n] = g01; G[rb + n + 1] = g11; G[rb + n + 2] = g21;
        G[rb + 2 * n] = g02; G[rb + 2 * n + 1] = g12; G[rb + 2 * n + 2] = g22;
      }
    }
    if (nl > 0) this.limitRows(nc, nl);
    computeContactBias(nc, buf.dist, this.biasParams, this.bias);
    return nc;
  }

  /**
   * The limit rows of the position stage (after the contacts' W and sqrtDinv): WL = D^-1/2
   * L^-T (s e_dof) along the dof's chain, their Delassus entries with the contacts and with
   * each other (sums over the shared root-side part of the chains, as between contacts), and
   * their bias (the contacts' rule on the distance to the stop).
   */
  private limitRows(nc: number, nl: number): void {
    const nv = this.model.nv, L = this.data.Mfactor, sd = this.sqrtDinv, WL = this.WL, W = this.W, G = this.G;
    const rows = this.limits, chain = this.limChain, clen = this.limChainLength, nlim = this.jointLimits.count;
    const n = 3 * nc + nl, geom = this.contacts.geom, shared = this.shapeLimShared, limShared = this.limShared;
    for (let l = 0; l < nl; l++) {
      const co = rows.limit[l] * nv, len = clen[rows.limit[l]], o = l * nv;
      WL[o] = rows.side[l];
      for (let t = 1; t < len; t++) WL[o + t] = 0;
      // L^T w = s e_dof, leaves to root along the chain (as the contacts' W rows)
      for (let t = 0; t < len; t++) {
        const k = chain[co + t], w = WL[o + t];
        if (w !== 0) {
          const lk = k * nv;
          for (let s2 = t + 1; s2 < len; s2++) WL[o + s2] -= L[lk + chain[co + s2]] * w;
        }
        WL[o + t] = w * sd[k];
      }
    }
    for (let l = 0; l < nl; l++) {
      const li = rows.limit[l], len = clen[li], lr = 3 * nc + l, o = l * nv;
      for (let c = 0; c < nc; c++) {
        const lc = shared[geom[c] * nlim + li];
        const a0 = 3 * c * nv + this.chainLength[c] - lc, b0 = o + len - lc;
        let s0 = 0, s1 = 0, s2 = 0;
        for (let t = 0; t < lc; t++) {
          const y = WL[b0 + t];
          s0 += W[a0 + t] * y; s1 += W[a0 + nv + t] * y; s2 += W[a0 + 2 * nv + t] * y;
        }
        const rc = 3 * c;
        G[rc * n + lr] = s0; G[(rc + 1) * n + lr] = s1; G[(rc + 2) * n + lr] = s2;
        G[lr * n + rc] = s0; G[lr * n + rc + 1] = s1; G[lr * n + rc + 2] = s2;
      }
      for (let m = l; m < nl; m++) {
        const lm = rows.limit[m], lc = limShared[li * nlim + lm];
        const a0 = o + len - lc, b0 = m * nv + clen[lm] - lc;
        let x = 0;
        for (let t = 0; t < lc; t++) x += WL[a0 + t] * WL[b0 + t];
        G[lr * n + 3 * nc + m] = x; G[(3 * nc + m) * n + lr] = x;
      }
    }
    computeContactBias(nl, rows.dist, this.biasParams, this.bias, nc);
  }

  /**
   * Free velocity for (v, u) after positionStage(q) (which left the joint placements in
   * data.liMi): v_free = v + H^-1 dt (tau - nle - D v),
   * tau = clamp(u) on the actuated dofs. Written to this.vfree. sameV: the caller promises v
   * equals the previous call's (the linearization's position columns), which lets a partial
   * position stage's RNEA be partial too.
   */
  freeVelocity(v: ArrayLike<number>, u: ArrayLike<number>, sameV = false): void {
    const model = this.model, nv = model.nv, dt = this.options.dt;
    // sameV: v is the one of the previous call, which ran right after the previous position
    // stage; if this stage was partial, the RNEA redoes only the joints it changed
    const partial = sameV && this.partialStage && this.rneaVersion === this.positionVersion - 1;
    const nle = rneaFromPlacements(model, this.data, v, null, partial ? this.affected : undefined);
    this.rneaVersion = this.positionVersion;
    // tau (clamped u on the actuated dofs, 0 elsewhere) and the right-hand side in one pass
    const tau = this.tau, vf = this.vfree, ctl = this.controlOfDof;
    const clamp = this.options.clampEffort, lim = model.effortLimit, damping = model.damping;
    for (let i = 0; i < nv; i++) {
      const k = ctl[i];
      let x = 0;
      if (k >= 0) {
        x = u[k];
        if (clamp) {
          const l = lim[i];
          if (x > l) x = l; else if (x < -l) x = -l;
        }
      }
      tau[i] = x;
      vf[i] = dt * (x - nle[i] - damping[i] * v[i]);
    }
    const fe = this.externalForce;
    if (fe !== null) for (let i = 0; i < nv; i++) vf[i] += dt * fe[i];
    solveMassMatrix(model, this.data, vf, 0);
    for (let i = 0; i < nv; i++) vf[i] += v[i];
    if (model.floating) {
      // The base's body-frame equation carries -w x v_lin (the frame turns under the
      // velocity). Integrated explicitly it lengthens v_lin every step (energy gain of a
      // spinning body). Undo it here: v_free's linear part is then the new world velocity
      // expressed in the OLD base frame, which is also what the contact Jacobians at q expect;
      // `advance` turns it into the new frame. Exact for free rigid-body motion.
      const wx = v[3], wy = v[4], wz = v[5], lx = v[0], ly = v[1], lz = v[2];
      vf[0] += dt * (wy * lz - wz * ly);
      vf[1] += dt * (wz * lx - wx * lz);
      vf[2] += dt * (wx * ly - wy * lx);
    }
  }

  /**
   * Integration stage: from q and the end-of-step velocity vt (base linear part in the old base
   * frame, as contactStage leaves it), the next configuration and velocity. Free-flyer: the base
   * moves on a straight line p' = p + dt R vt_lin and turns R' = R exp(dt w); its stored
   * linear velocity is re-expressed in the new frame, v_lin' = exp(-dt w) vt_lin. Other joints:
   * q' = q + dt v. qOut may alias q and vOut may alias vt.
   */
  advance(q: ArrayLike<number>, vt: ArrayLike<number>, qOut: Float64Array, vOut: Float64Array): void {
    const model = this.model, dt = this.options.dt;
    if (!model.floating) {
      for (let i = 0; i < model.nv; i++) vOut[i] = vt[i];
      integrate(model, q, vOut, qOut, dt);
      return;
    }
    // base: straight-line translation, then rotation (integrate on a zero-linear twist)
    const qx = q[3], qy = q[4], qz = q[5], qw = q[6];
    const lx = vt[0], ly = vt[1], lz = vt[2], wx = vt[3], wy = vt[4], wz = vt[5];
    // R vt_lin via the quaternion
    const cx = 2 * (qy * lz - qz * ly), cy = 2 * (qz * lx - qx * lz), cz = 2 * (qx * ly - qy * lx);
    const px = q[0] + dt * (lx + qw * cx + (qy * cz - qz * cy));
    const py = q[1] + dt * (ly + qw * cy + (qz * cx - qx * cz));
    const pz = q[2] + dt * (lz + qw * cz + (qx * cy - qy * cx));
    // exp(-dt w) vt_lin (Rodrigues)
    const th = dt * Math.sqrt(wx * wx + wy * wy + wz * wz);
    let nlx = lx, nly = ly, nlz = lz;
    if (th > 0) {
      const ax = -dt * wx / th, ay = -dt * wy / th, az = -dt * wz / th;
      const c = Math.cos(th), sn = Math.sin(th), d = (ax * lx + ay * ly + az * lz) * (1 - c);
      nlx = lx * c + (ay * lz - az * ly) * sn + ax * d;
      nly = ly * c + (az * lx - ax * lz) * sn + ay * d;
      nlz = lz * c + (ax * ly - ay * lx) * sn + az * d;
    }
    // R' = R exp(dt w), as lie.ts integrate turns a free-flyer; other joints q + dt v (the
    // free-flyer is joint 1, q[0..7])
    const tw = this.turnTmp;
    tw[3] = dt * wx; tw[4] = dt * wy; tw[5] = dt * wz;
    turnQuaternion(q, 3, tw, qOut, 3);
    if (this.oneDofTail) {
      for (let i = 7; i < model.nq; i++) qOut[i] = q[i] + dt * vt[i - 1];
    } else {
      for (let j = 2; j < model.njoints; j++) qOut[model.idxQ[j]] = q[model.idxQ[j]] + dt * vt[model.idxV[j]];
    }
    qOut[0] = px; qOut[1] = py; qOut[2] = pz;
    for (let i = 3; i < model.nv; i++) vOut[i] = vt[i];
    vOut[0] = nlx; vOut[1] = nly; vOut[2] = nlz;
  }

  /**
   * Contact stage: impulses for the current vfree and contacts, then vOut = v_free + Y^T lambda.
   * Warm-starts from the previous solve when the contact set (geometry, object pairs) is the same.
   */
  contactStage(vOut: Float64Array, vo = 0): void {
    const nv = this.model.nv;
    const nc = this.contacts.count, nl = this.limits.count;
    const vf = this.vfree;
    this.info.contacts = nc;
    this.info.limits = nl;
    if (nc === 0 && nl === 0) {
      for (let i = 0; i < nv; i++) vOut[vo + i] = vf[i];
      this.info.solver.iterations = 0; this.info.solver.residual = 0; this.info.solver.converged = true;
      return;
    }
    const Jc = this.Jc, g = this.g, n = 3 * nc, chains = this.chains;
    // g = Jc v_free, the three rows of a contact in one pass over its chain
    const buf = this.contacts;
    for (let c = 0; c < nc; c++) {
      const kern = this.velocityKernel[buf.geom[c]];
      if (kern !== null) { kern(c, this.shapeOffset[buf.geom[c]], Jc, vf, g); continue; }
      const co = c * nv, len = this.chainLength[c], o0 = 3 * c * nv, o1 = o0 + nv, o2 = o1 + nv;
      let s0 = 0, s1 = 0, s2 = 0;
      for (let t = 0; t < len; t++) {
        const x = vf[chains[co + t]];
        s0 += Jc[o0 + t] * x; s1 += Jc[o1 + t] * x; s2 += Jc[o2 + t] * x;
      }
      g[3 * c] = s0; g[3 * c + 1] = s1; g[3 * c + 2] = s2;
    }
    const lam = this.lambda;
    let same = nc === this.prevCount;
    for (let c = 0; same && c < nc; c++) same = buf.geom[c] === this.prevGeom[c] && buf.env[c] === this.prevEnv[c];
    for (let r = 0; r < n; r++) lam[r] = same ? this.prevLambda[r] : 0;
    // limit rows: g = s v_free[dof]; each warm-starts from the same stop's last impulse
    const rows = this.limits;
    for (let l = 0; l < nl; l++) {
      g[n + l] = rows.side[l] * vf[rows.dof[l]];
      lam[n + l] = this.prevLimLambda[2 * rows.limit[l] + (rows.side[l] > 0 ? 0 : 1)];
    }
    // With a warm start, first try the warm start's active set exactly: when it is still right
    // (the common case along a trajectory and in finite differences), the iterative solver
    // only confirms the residual and returns without iterating. When every contact sticks and
    // the exact solve stays in the cones, it IS the NCP solution (sigma = 0 satisfies the dual
    // cone and complementarity): no check needed.
    const res = this.info.solver;
    if (same && this.polish(nc, nl)) {
      res.iterations = 0; res.residual = 0; res.primal = 0; res.dual = 0; res.complementarity = 0; res.converged = true;
    } else {
      solveContacts(nc, this.G, g, this.mu, this.bias, lam, this.solverOpts, this.solverWs, res, nl);
      if (!same || res.iterations > 0) this.polish(nc, nl);
    }
    this.applyImpulses(vOut, vo);
  }

  /**
   * Active-set polish of the iterative solution: the sticking contacts (impulse strictly inside
   * its cone) and the active limit rows (positive impulse) must have zero velocity, a LINEAR
   * condition: solve G_SS lambda_S = -(g + b)_S - G_SF lambda_F exactly (Cholesky with a ridge
   * of 1e-14 trace(G_SS)/|S|, so a rank-deficient box resting on four corners still solves),
   * sliding and separated contacts and inactive limit rows held fixed. The result is kept only
   * if it stays in the cones (and the limit impulses positive). Why: a converged-to-tolerance
   * iterate leaves velocity residuals of ~1e-12 that finite differences divide by their step;
   * with the polish, the null gradients of sticking contacts are null to machine precision.
   *
   * Returns true when the polished impulses solve the whole NCP exactly: every contact sticks
   * and every inactive limit row has a non-negative velocity (sigma = 0 on the rest).
   */
  private polish(nc: number, nl: number): boolean {
    const lam = this.lambda, mu = this.mu, S = this.stickIdx, inS = this.stickMask, A = this.limActive;
    let ns = 0;
    for (let c = 0; c < nc; c++) {
      const o = 3 * c;
      const ln = lam[o + 2], lt = mu[c] * ln * (1 - 1e-9);
      const stick = ln > 0 && lam[o] * lam[o] + lam[o + 1] * lam[o + 1] < lt * lt;
      inS[c] = stick ? 1 : 0;
      if (stick) S[ns++] = c;
    }
    const nc3 = 3 * nc;
    let na = 0;
    for (let l = 0; l < nl; l++) if (lam[nc3 + l] > 0) A[na++] = l;
    if (ns + na === 0) return false;
    const n = nc3 + nl, ms = 3 * ns, m = ms + na, G = this.G, K = this.polishK, r = this.polishR;
    // the factor of G_SS depends only on the position stage and the active set: reuse it
    // across the many velocity/control perturbations of a linearization
    let reuse = this.polishVersion === this.positionVersion && this.polishCount === ns && this.polishLimCount === na;
    for (let t = 0; reuse && t < ns; t++) reuse = this.polishSet[t] === S[t];
    for (let t = 0; reuse && t < na; t++) reuse = this.polishLimSet[t] === A[t];
    const g = this.g, bias = this.bias;
    // rhs: -(g + b) minus the coupling to every contact outside S (inactive limit rows carry
    // no impulse)
    for (let t = 0, a = 0; t < ns; t++) {
      const c0 = S[t];
      for (let k = 0; k < 3; k++, a++) {
        const ra = 3 * c0 + k, row = ra * n;
        let x = -g[ra] - (k === 2 ? bias[c0] : 0);
        if (ns < nc) {
          for (let c = 0; c < nc; c++) {
            if (inS[c]) continue;
            const o = 3 * c;
            x -= G[row + o] * lam[o] + G[row + o + 1] * lam[o + 1] + G[row + o + 2] * lam[o + 2];
          }
        }
        r[a] = x;
      }
    }
    for (let t = 0; t < na; t++) {
      const l = A[t], ra = nc3 + l, row = ra * n;
      let x = -g[ra] - bias[nc + l];
      if (ns < nc) {
        for (let c = 0; c < nc; c++) {
          if (inS[c]) continue;
          const o = 3 * c;
          x -= G[row + o] * lam[o] + G[row + o + 1] * lam[o + 1] + G[row + o + 2] * lam[o + 2];
        }
      }
      r[ms + t] = x;
    }
    // generated Cholesky kernels exist per number of sticking contacts (sizes 3k)
    const kern = na === 0 ? this.polishKernel[ns] : null;
    if (!reuse) {
      this.polishVersion = -1;
      let tr = 0;
      if (ns === nc && nl === 0 && kern !== null) {
        // every contact sticks and there is no limit row: G_SS is G, factored straight from it
        for (let a = 0; a < m; a++) tr += G[a * m + a];
        this.polishRidge[0] = 1e-14 * tr / m;
        if (!kern.factor(G, K, this.polishRidge)) return false;
      } else {
        for (let a = 0; a < m; a++) {
          const row = (a < ms ? 3 * S[(a / 3) | 0] + (a % 3) : nc3 + A[a - ms]) * n;
          for (let t = 0; t < ns; t++) {
            const go = row + 3 * S[t], ko = a * m + 3 * t;
            K[ko] = G[go]; K[ko + 1] = G[go + 1]; K[ko + 2] = G[go + 2];
          }
          for (let t = 0; t < na; t++) K[a * m + ms + t] = G[row + nc3 + A[t]];
          tr += K[a * m + a];
        }
        const ridge = 1e-14 * tr / m;
        if (kern !== null) {
          this.polishRidge[0] = ridge;
          if (!kern.factor(K, K, this.polishRidge)) return false;
        } else {
          for (let a = 0; a < m; a++) K[a * m + a] += ridge;
          if (!choleskyInvDiagInPlace(K, m)) return false;
        }
      }
      this.polishVersion = this.positionVersion;
      this.polishCount = ns;
      this.polishLimCount = na;
      for (let t = 0; t < ns; t++) this.polishSet[t] = S[t];
      for (let t = 0; t < na; t++) this.polishLimSet[t] = A[t];
    }
    if (kern !== null) kern.solve(K, r); else choleskyInvDiagSolveInPlace(K, m, r);
    for (let t = 0; t < ns; t++) {
      const o = 3 * t, lim = mu[S[t]] * r[o + 2];
      if (!(r[o + 2] > 0) || r[o] * r[o] + r[o + 1] * r[o + 1] > lim * lim) return false;
    }
    for (let t = 0; t < na; t++) if (!(r[ms + t] > 0)) return false;
    for (let t = 0; t < ns; t++) for (let k = 0; k < 3; k++) lam[3 * S[t] + k] = r[3 * t + k];
    for (let t = 0; t < na; t++) lam[nc3 + A[t]] = r[ms + t];
    if (ns < nc) return false;
    // inactive limit rows: their velocity with the new impulses must not be negative
    for (let l = 0; na < nl && l < nl; l++) {
      const ra = nc3 + l;
      if (lam[ra] > 0) continue;
      const row = ra * n;
      let x = g[ra] + bias[nc + l];
      for (let c = 0; c < n; c++) x += G[row + c] * lam[c];
      if (!(x >= 0)) return false;
    }
    return true;
  }

  /**
   * vOut = v_free + H^-1 Jc^T lambda. H^-1 = L^-1 D^-1 L^-T and the position stage already
   * holds W = D^-1/2 L^-T Jc^T, so H^-1 Jc^T lambda = L^-1 D^-1/2 (W lambda): one sweep instead
   * of a full solve.
   */
  private applyImpulses(vOut: Float64Array, vo = 0): void {
    const nv = this.model.nv, nc = this.contacts.count, W = this.W, lam = this.lambda, chains = this.chains;
    const rv = this.rv, sd = this.sqrtDinv, geom = this.contacts.geom;
    for (let i = 0; i < nv; i++) rv[i] = 0;
    // W^T lambda, the three rows of a contact in one pass over its chain (each entry still
    // accumulates row by row, in the same order as row-wise passes)
    for (let c = 0; c < nc; c++) {
      const l0 = lam[3 * c], l1 = lam[3 * c + 1], l2 = lam[3 * c + 2];
      if (l0 === 0 && l1 === 0 && l2 === 0) continue;
      const kern = this.impulseKernel[geom[c]];
      if (kern !== null) { kern(c, this.shapeOffset[geom[c]], W, lam, rv); continue; }
      const co = c * nv, len = this.chainLength[c], o0 = 3 * c * nv, o1 = o0 + nv, o2 = o1 + nv;
      for (let t = 0; t < len; t++) {
        const k = chains[co + t];
        let x = rv[k];
        if (l0 !== 0) x += W[o0 + t] * l0;
        if (l1 !== 0) x += W[o1 + t] * l1;
        if (l2 !== 0) x += W[o2 + t] * l2;
        rv[k] = x;
      }
    }
    // limit rows: WL^T lambda along each joint's chain
    const nl = this.limits.count, WL = this.WL, lchain = this.limChain, llen = this.limChainLength, rows = this.limits;
    for (let l = 0; l < nl; l++) {
      const x = lam[3 * nc + l];
      if (x === 0) continue;
      const li = rows.limit[l], co = li * nv, o = l * nv, len = llen[li];
      for (let t = 0; t < len; t++) rv[lchain[co + t]] += WL[o + t] * x;
    }
    for (let i = 0; i < nv; i++) rv[i] *= sd[i];
    ltdlSolveL(this.data.dofParent, this.data.Mfactor, nv, rv, 0);
    const vf = this.vfree;
    for (let i = 0; i < nv; i++) vOut[vo + i] = vf[i] + rv[i];
  }

  /** Remembers the last contact set and impulses as the next warm start. */
  commitWarmStart(): void {
    const nc = this.contacts.count;
    this.prevCount = nc;
    for (let c = 0; c < nc; c++) { this.prevGeom[c] = this.contacts.geom[c]; this.prevEnv[c] = this.contacts.env[c]; }
    for (let r = 0; r < 3 * nc; r++) this.prevLambda[r] = this.lambda[r];
    // limit rows: forget the previous rows' impulses, keep this step's (keyed per stop)
    const rows = this.limits, pl = this.prevLimLambda, keys = this.prevLimKeys;
    for (let l = 0; l < this.prevLimCount; l++) pl[keys[l]] = 0;
    for (let l = 0; l < rows.count; l++) {
      const key = 2 * rows.limit[l] + (rows.side[l] > 0 ? 0 : 1);
      pl[key] = this.lambda[3 * nc + l];
      keys[l] = key;
    }
    this.prevLimCount = rows.count;
  }

  /** Forgets the warm start (e.g. before simulating an unrelated state). */
  resetWarmStart(): void {
    this.prevCount = 0;
    this.prevLimLambda.fill(0);
    this.prevLimCount = 0;
  }

  /**
   * One step from (q, v) under controls u (nu): writes qOut (nq) and vOut (nv). qOut may alias q
   * and vOut may alias v. Returns this.info. Allocation-free.
   */
  stepInto(q: ArrayLike<number>, v: ArrayLike<number>, u: ArrayLike<number>, qOut: Float64Array, vOut: Float64Array): StepInfo {
    this.positionStage(q, v);
    this.freeVelocity(v, u);
    this.contactStage(vOut);
    this.commitWarmStart();
    this.advance(q, vOut, qOut, vOut);
    return this.info;
  }

  /**
   * Step on a stacked state x = [q; v] (nq + nv): returns a new x_next. Convenience for
   * tools and tests; hot loops use stepInto.
   */
  step(x: ArrayLike<number>, u: ArrayLike<number>): Float64Array {
    const { nq, nv } = this.model;
    const out = new Float64Array(nq + nv);
    const q = Float64Array.from({ length: nq }, (_, i) => x[i]);
    const v = Float64Array.from({ length: nv }, (_, i) => x[nq + i]);
    this.stepInto(q, v, u, out.subarray(0, nq), out.subarray(nq));
    return out;
  }

  /**
   * World contact forces of the last step (N): for contact c, f = R_c lambda_c / dt at the
   * point pos_c. Writes 3 numbers per contact into out and returns the count.
   */
  contactForces(out: Float64Array): number {
    const nc = this.contacts.count, F = this.contacts.frame, lam = this.lambda, idt = 1 / this.options.dt;
    for (let c = 0; c < nc; c++) {
      const fo = 9 * c, lo = 3 * c;
      for (let r = 0; r < 3; r++) {
        out[lo + r] = idt * (F[fo + 3 * r] * lam[lo] + F[fo + 3 * r + 1] * lam[lo + 1] + F[fo + 3 * r + 2] * lam[lo + 2]);
      }
    }
    return nc;
  }

  /**
   * The joint stops that pushed in the last step: for each limit row with a positive impulse,
   * its model joint index, its side (LIMIT_LOWER = +1: the lower stop, pushing q up;
   * LIMIT_UPPER = -1) and the generalized force it applied over the step, s lambda / dt (N m
   * for a revolute joint, N for a prismatic one; signed along the joint's axis). Returns the
   * count. Allocation-free.
   */
  limitForces(joint: Int32Array, side: Int8Array, force: Float64Array): number {
    const rows = this.limits, nl = rows.count, o = 3 * this.contacts.count, idt = 1 / this.options.dt;
    let k = 0;
    for (let l = 0; l < nl; l++) {
      const x = this.lambda[o + l];
      if (!(x > 0)) continue;
      joint[k] = this.jointLimits.joint[rows.limit[l]];
      side[k] = rows.side[l];
      force[k] = rows.side[l] * x * idt;
      k++;
    }
    return k;
  }
}
