/**
 * Contact time stepping: x_next = step(x, u) for x = (q, v), with hard unilateral contacts and
 * Coulomb friction on the exact cone, at the velocity level (the scheme of the simulators the
 * seed paper's authors use).
 *
 * `Simulator` runs one step as named stages (as MuJoCo's mj_step: mj_fwdPosition,
 * mj_fwdVelocity, the constraint solve, integration), each stage's work in its own file under
 * step/:
 *   position:  forward kinematics; collision detection of the robot's collision primitives
 *              against the scene (ground half-space, static boxes) within a margin
 *              (step/collide.ts); mass matrix M(q) (CRBA), H = M + dt D (implicit joint
 *              damping), its sparse LTDL factor H = L^T D L (tree-sparse, factor-m.ts); the
 *              contact rows (step/rows.ts): Jacobians Jc (3 rows per contact in its frame
 *              [t1 t2 n]), W = D^-1/2 L^-T Jc^T and the Delassus matrix G = Jc H^-1 Jc^T = W^T W,
 *              all stored compactly along each contact's chain of ancestor dofs (a foot of Solo
 *              touches 9 of the 18 dofs), two contacts coupling only through the dofs their
 *              chains share (step/layout.ts: the chains and the generated kernels chosen for
 *              them, fixed by the model).
 *   velocity:  nonlinear effects nle(q, v) (RNEA); torques tau = clamp(u, effort limits) on the
 *              actuated dofs; free velocity v_free = v + H^-1 dt (tau - nle - D v)
 *              (step/velocity.ts).
 *   contact:   g = Jc v_free, normal bias from the signed distances (speculative for gaps,
 *              non-energetic Baumgarte-like correction for penetrations: contact-solver.ts),
 *              impulses lambda from the De Saxcé NCP (PGS or ADMM), warm-started across steps,
 *              then an exact active-set polish (step/polish.ts),
 *              v_next = v_free + H^-1 Jc^T lambda (step/contact.ts).
 *              Joint position limits within reach are 1-D unilateral rows of the same NCP
 *              (joint-limits.ts), after the contact rows, with the same bias rule.
 *   integrate: semi-implicit Euler on the configuration manifold: joints q + dt v; the
 *              free-flyer translates on a straight line and turns by exp(dt w) (quaternion
 *              kept unit), with the -w x v_lin term of the body-frame velocity handled exactly
 *              (step/velocity.ts, step/integrate.ts: no energy gain for spinning bodies).
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
 * model (compiled/), equal as numbers to the generic loops beside them (setCompiledKernels). Stage functions take no
 * double arguments (V8 would box them): they read dt and the margins from the options.
 */
import { actuatedDofs, type Model } from '../model/model.ts';
import { createData, type Data } from './data.ts';
import { crbaFromPlacements } from './crba.ts';
import { factorMassMatrix } from './factor-m.ts';
import { forwardKinematics } from './kinematics.ts';
import { jointJacobiansFromPlacements } from './jacobian.ts';
import { createContactBuffer, type CollisionShape, type ContactBuffer } from './collision.ts';
import {
  computeContactBias, createContactSolverResult, createContactSolverWorkspace, defaultContactSolverOptions,
  solveContacts, type ContactBiasParams, type ContactSolverOptions, type ContactSolverResult,
} from './contact-solver.ts';
import { detectLimitRows, JointLimits, LimitRows } from './joint-limits.ts';
import { defaultScene, type Scene } from './scene.ts';
import { defaultSimOptions, type SimOptions } from './step/options.ts';
import { SceneCollider } from './step/collide.ts';
import { ContactLayout } from './step/layout.ts';
import { ContactRows, contactRows, delassus, factorScale, limitRows } from './step/rows.ts';
import { computeFreeVelocity } from './step/velocity.ts';
import { applyImpulses, rowVelocities, WarmStart } from './step/contact.ts';
import { Polish } from './step/polish.ts';
import { Integrator } from './step/integrate.ts';

export { defaultSimOptions, type SimOptions } from './step/options.ts';

/** What one step reports (written in place by stepInto). */
export interface StepInfo {
  contacts: number;
  /** Joint-limit rows in the step's problem (stops within reach; active or not). */
  limits: number;
  solver: ContactSolverResult;
}

/**
 * A simulator for one model in one scene: the Model, a Data workspace, every contact buffer and
 * each stage's set-up and workspace. One per thread; reuse it for every step.
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

  // stages' set-up (fixed by the model and scene) and workspaces (sized for maxContacts)
  private readonly collider: SceneCollider;
  private readonly layout: ContactLayout;
  private readonly rows: ContactRows;
  private readonly warm: WarmStart;
  private readonly polisher: Polish;
  private readonly integrator: Integrator;
  /** The collision shapes (collider's; with their joints, read by the analytic derivatives). */
  readonly shapes: CollisionShape[];
  readonly shapeJoint: Int32Array;
  /** The contact rows' workspace (step/rows.ts), exposed for the derivatives and tests. */
  readonly Jc: Float64Array;
  readonly W: Float64Array;
  readonly chains: Int32Array;
  readonly chainLength: Int32Array;
  readonly G: Float64Array;
  readonly g: Float64Array;
  readonly mu: Float64Array;
  readonly bias: Float64Array;
  /** Free velocity and torques of the last velocity stage. */
  readonly vfree: Float64Array;
  readonly tau: Float64Array;
  /** dt times each dof's damping: H = M + diag(dampDiag). */
  readonly dampDiag: Float64Array;
  /** Scratch nv vector. */
  private readonly rv: Float64Array;
  private readonly solverWs;
  private readonly solverOpts: ContactSolverOptions;
  private readonly biasParams: ContactBiasParams;
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
    this.integrator = new Integrator(model, o);
    const nv = model.nv;

    this.collider = new SceneCollider(model, scene);
    this.shapes = this.collider.shapes;
    this.shapeJoint = this.collider.shapeJoint;

    if (!(o.limitMargin >= 0)) throw new Error(`simulator: limitMargin must be >= 0, got ${o.limitMargin}`);
    const nc = o.maxContacts;
    this.jointLimits = new JointLimits(model, o.enforceLimits);
    const nlMax = 2 * this.jointLimits.count, nMax = 3 * nc + nlMax;
    this.limits = new LimitRows(nlMax, o.limitMargin, o.dt);
    this.contacts = createContactBuffer(nc, o.margin);
    this.lambda = new Float64Array(nMax);
    this.warm = new WarmStart(nc, nlMax);
    this.polisher = new Polish(nc, nlMax);
    const rows = this.rows = new ContactRows(nv, nc, nlMax);
    this.Jc = rows.Jc; this.W = rows.W; this.chains = rows.chains; this.chainLength = rows.chainLength;
    this.G = rows.G; this.g = rows.g; this.mu = rows.mu; this.bias = rows.bias;
    this.rv = new Float64Array(nv);
    this.vfree = new Float64Array(nv);
    this.tau = new Float64Array(nv);
    this.dampDiag = new Float64Array(nv);
    for (let i = 0; i < nv; i++) this.dampDiag[i] = o.dt * model.damping[i];
    this.solverWs = createContactSolverWorkspace(nc, nlMax);
    this.solverOpts = defaultContactSolverOptions({ maxIterations: 500, tolerance: 1e-12, ...o.solver, warmStart: true });
    this.biasParams = { dt: o.dt, slop: o.slop, beta: o.beta, maxCorrectionVelocity: o.maxCorrectionVelocity, speculative: true };
    this.info = { contacts: 0, limits: 0, solver: createContactSolverResult() };
    this.layout = new ContactLayout(model, this.data.dofParent, this.shapeJoint, this.jointLimits, o.maxContacts);
  }

  get dt(): number {
    return this.options.dt;
  }

  /**
   * Position stage at q: kinematics, contacts, H = M + dt D and its factor, contact Jacobians,
   * W and the Delassus matrix G, the limit rows, the bias. Returns the number of contacts.
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
    const model = this.model, data = this.data, nv = model.nv;
    this.positionVersion++;
    forwardKinematics(model, data, q, v, undefined, from, to);
    // collisions; with v, each shape's margin grows by the distance it can travel in the step
    const buf = this.contacts;
    this.collider.detect(model, data, v, this.options, buf);
    const nc = buf.count;
    this.massStage(keepMass, from, to);
    // joint stops within reach (their rows need only the factor of H)
    const nl = this.jointLimits.count > 0 ? detectLimitRows(this.jointLimits, q, v, this.limits) : 0;
    const rows = this.rows, layout = this.layout;
    if (nc === 0) {
      this.jacobiansValid = false;
      if (nl > 0) {
        factorScale(rows, data, nv);
        limitRows(rows, layout, this.limits, buf.geom, data, this.biasParams, nv, this.jointLimits.count, 0, nl);
      }
      return 0;
    }
    // the columns outside from..to are still those of the previous stage if it computed them
    if (this.jacobiansValid) jointJacobiansFromPlacements(model, data, from, to);
    else jointJacobiansFromPlacements(model, data);
    this.jacobiansValid = true;
    // H = L^T D L: scale W by D^-1/2 so that G = W^T W
    factorScale(rows, data, nv);
    contactRows(rows, layout, buf, data, this.collider.envFriction, nv, nc);
    delassus(rows, layout, buf, nv, this.shapes.length, nc, nl);
    if (nl > 0) limitRows(rows, layout, this.limits, buf.geom, data, this.biasParams, nv, this.jointLimits.count, nc, nl);
    computeContactBias(nc, buf.dist, this.biasParams, rows.bias);
    return nc;
  }

  /**
   * The position stage's mass matrix with implicit damping, factorized (unless keepMass); for a
   * partial stage, the CRBA redoes only the joints from..to and their ancestors (data.M holds
   * the previous stage's matrix).
   */
  private massStage(keepMass: boolean, from: number, to: number): void {
    const model = this.model, data = this.data;
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
  }

  /**
   * Free velocity for (v, u) after positionStage(q) (which left the joint placements in
   * data.liMi): v_free = v + H^-1 dt (tau - nle - D v),
   * tau = clamp(u) on the actuated dofs. Written to this.vfree. sameV: the caller promises v
   * equals the previous call's (the linearization's position columns), which lets a partial
   * position stage's RNEA be partial too.
   */
  freeVelocity(v: ArrayLike<number>, u: ArrayLike<number>, sameV = false): void {
    // sameV: v is the one of the previous call, which ran right after the previous position
    // stage; if this stage was partial, the RNEA redoes only the joints it changed
    const partial = sameV && this.partialStage && this.rneaVersion === this.positionVersion - 1;
    computeFreeVelocity(this.model, this.data, this.options, this.controlOfDof, this.externalForce, v, u, partial ? this.affected : undefined, this.tau, this.vfree);
    this.rneaVersion = this.positionVersion;
  }

  /**
   * Integration stage: from q and the end-of-step velocity vt (base linear part in the old base
   * frame, as contactStage leaves it), the next configuration and velocity. Free-flyer: the base
   * moves on a straight line p' = p + dt R vt_lin and turns R' = R exp(dt w); its stored
   * linear velocity is re-expressed in the new frame, v_lin' = exp(-dt w) vt_lin. Other joints:
   * q' = q + dt v. qOut may alias q and vOut may alias vt.
   */
  advance(q: ArrayLike<number>, vt: ArrayLike<number>, qOut: Float64Array, vOut: Float64Array): void {
    this.integrator.advance(q, vt, qOut, vOut);
  }

  /**
   * Contact stage: impulses for the current vfree and contacts, then vOut = v_free + H^-1 Jc^T lambda.
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
    const rows = this.rows, layout = this.layout, buf = this.contacts, lam = this.lambda;
    rowVelocities(rows, layout, buf, this.limits, vf, nv, nc, nl);
    const same = this.warm.load(buf, this.limits, lam, nc, nl);
    // With a warm start, first try the warm start's active set exactly: when it is still right
    // (the common case along a trajectory and in finite differences), the iterative solver
    // only confirms the residual and returns without iterating. When every contact sticks and
    // the exact solve stays in the cones, it IS the NCP solution (sigma = 0 satisfies the dual
    // cone and complementarity): no check needed.
    const res = this.info.solver;
    if (same && this.polisher.run(rows, layout, lam, this.positionVersion, nc, nl)) {
      res.iterations = 0; res.residual = 0; res.primal = 0; res.dual = 0; res.complementarity = 0; res.converged = true;
    } else {
      solveContacts(nc, rows.G, rows.g, rows.mu, rows.bias, lam, this.solverOpts, this.solverWs, res, nl);
      if (!same || res.iterations > 0) this.polisher.run(rows, layout, lam, this.positionVersion, nc, nl);
    }
    applyImpulses(rows, layout, buf, this.limits, lam, this.data, vf, this.rv, nv, vOut, vo);
  }

  /** Remembers the last contact set and impulses as the next warm start. */
  commitWarmStart(): void {
    this.warm.commit(this.contacts, this.limits, this.lambda);
  }

  /** Forgets the warm start (e.g. before simulating an unrelated state). */
  resetWarmStart(): void {
    this.warm.reset();
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
