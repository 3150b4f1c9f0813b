/**
 * The planning server's wire protocol, shared by the server and the web client: HTTP request
 * bodies and WebSocket messages as zod schemas, with the TypeScript types inferred from them.
 * Documented in docs/api.md. Bump PROTOCOL_VERSION on any incompatible change; the server sends
 * it in `hello`, and a client message may carry `v` (must equal it when given).
 */
import { z } from 'zod';
import {
  MAX_FIT_API_ITERATIONS, MAX_FIT_IMAGE_BYTES, MAX_FIT_SIZE, MAX_ITERATIONS, MAX_LIVE_HORIZON_S, MAX_LIVE_ITERATIONS, MAX_PUSH_DURATION_S,
  MAX_PUSH_FORCE_N, MAX_REAL_TIME_FACTOR, MAX_RENDER_SAMPLES, MAX_SAMPLES, MAX_TIME_LIMIT_S, MAX_WORKERS, MIN_LIVE_HORIZON_S,
  MIN_REAL_TIME_FACTOR, MIN_RENDER_SIZE, MIN_SAMPLES, MIN_TIME_LIMIT_S,
} from './limits.ts';

export * from './limits.ts';

export const PROTOCOL_VERSION = 1;

export const SOLVERS = ['ddp', 'rddp'] as const;
/** Where derivatives are computed (server/compute/providers.ts); 'auto' picks one. */
export const BACKEND_CHOICES = ['cpu', 'workers', 'webgpu', 'auto'] as const;
/** R-DDP's smoothing estimators (server/control/estimators.ts has one entry per name). */
export const ESTIMATORS = ['zero', 'first', 'lsq'] as const;
/** How exact step derivatives are computed: finite differences, or analytic (with finite differences for the steps it does not cover). */
export const DERIVATIVES = ['fd', 'analytic'] as const;
/** R-DDP's noise schedules (server/control/schedule.ts). */
export const NOISE_RULES = ['continuation', 'sensitivity', 'decay'] as const;
export type DerivativesMode = (typeof DERIVATIVES)[number];
/** The default: analytic wherever it applies (finite differences stay the reference, and the fallback for what it does not cover). */
export const DEFAULT_DERIVATIVES: DerivativesMode = 'analytic';
export const SolverSchema = z.enum(SOLVERS);
export type Solver = z.infer<typeof SolverSchema>;

const Id = z.string().min(1).max(200);
/** What a JSON value is, for error messages ("null", "an object", "Infinity", ...). */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `a string of ${v.length} characters`;
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}
const ParamValue = z.union([z.number(), z.string().max(200)], {
  error: (iss) => `expected a finite number or a string of at most 200 characters, got ${describeValue(iss.input)}`,
});
/** Keys no parameter may have: they would reach (or be dropped as) the object's prototype. */
export const FORBIDDEN_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];
/**
 * Task parameters: names the task declares (checked by the server against the task), values
 * numbers or strings. JSON.parse makes `"__proto__"` an own key, which a record parse would drop
 * silently (assigned, it sets the prototype): it is refused here, before the record is built.
 */
export const ParamsSchema = z.unknown().superRefine((v, ctx) => {
  if (typeof v !== 'object' || v === null) return;
  for (const k of FORBIDDEN_KEYS) {
    if (Object.hasOwn(v, k)) ctx.addIssue({ code: 'custom', path: [k], message: `'${k}' is not a parameter name` });
  }
}).pipe(z.record(z.string().max(100), ParamValue));

export const SolverParamsSchema = z.strictObject({
  iterations: z.number().int().min(1).max(MAX_ITERATIONS).optional(),
  samples: z.number().int().min(MIN_SAMPLES).max(MAX_SAMPLES).optional(),
  sigma0: z.number().positive().max(1e6).optional(),
  estimator: z.enum(ESTIMATORS).optional(),
  derivatives: z.enum(DERIVATIVES).optional(),
  rule: z.enum(NOISE_RULES).optional(),
  stateNoiseRatio: z.number().min(0).max(100).optional(),
  seed: z.number().int().min(0).max(2 ** 31).optional(),
  /** Linearization threads asked for; the server grants at most what its --max-workers leaves free. */
  workers: z.number().int().min(1).max(MAX_WORKERS).optional(),
  /** Seconds of wall clock each solve may run; only lowers the server's limit. */
  timeLimit: z.number().min(MIN_TIME_LIMIT_S).max(MAX_TIME_LIMIT_S).optional(),
});

export const BackendSchema = z.enum(BACKEND_CHOICES);
/** A plan's solver parameters as a solve receives them (a cluster job's, planner.ts PlanRequest's): POST's solverParams with the backend folded in. */
export const PlanSolverParamsSchema = SolverParamsSchema.extend({ backend: BackendSchema.optional() });
/**
 * The solver parameters a plan runs, resolved (the request's over the task's over the server's
 * defaults, server/planning/planner.ts solverParamsFor): what PlanResult.solverParams holds.
 */
export const ResolvedSolverParamsSchema = PlanSolverParamsSchema.required({
  iterations: true, samples: true, sigma0: true, estimator: true, rule: true, stateNoiseRatio: true, seed: true, backend: true, derivatives: true,
});
export type SolverParams = z.infer<typeof ResolvedSolverParamsSchema>;

/** POST /api/plans */
export const PlanCreateSchema = z.strictObject({
  robot: z.string().min(1).max(200).optional(),
  task: z.string().min(1).max(200),
  params: ParamsSchema.optional(),
  solvers: z.array(SolverSchema).min(1).max(2)
    .refine((a) => new Set(a).size === a.length, 'solvers must not repeat').optional(),
  solverParams: SolverParamsSchema.optional(),
  backend: BackendSchema.optional(),
});
export type PlanCreate = z.infer<typeof PlanCreateSchema>;

// ---------------------------------------------------------------- pose fits (POST /api/fits)

/** Objects a fit can look for (server/rendering/objects.ts); the paper's coloured cube. */
export const FIT_OBJECTS = ['cube'] as const;
/** The renderer's modes, fitted side by side (server/rendering/renderer.ts). */
export const FIT_METHODS = ['hard', 'softras', 'perturbed'] as const;
export const FitMethodSchema = z.enum(FIT_METHODS);
export type FitMethod = z.infer<typeof FitMethodSchema>;

const Finite = z.number().refine(Number.isFinite, 'must be finite');
const Vec3Finite = z.tuple([Finite, Finite, Finite]);
/** An object pose in the render scene: axis-angle rotation (rad) and translation (cube half-sides). */
export const FitPoseSchema = z.strictObject({
  rotation: Vec3Finite.refine((r) => Math.hypot(...r) <= 10, 'axis-angle longer than 10 rad'),
  translation: Vec3Finite.refine((t) => t.every((x) => Math.abs(x) <= 3), 'each coordinate within [-3, 3]').optional(),
});
export type FitPose = z.infer<typeof FitPoseSchema>;

/** Base64 characters of the largest PNG accepted (MAX_FIT_IMAGE_BYTES), padding included. */
export const MAX_FIT_IMAGE_BASE64 = 4 * Math.ceil(MAX_FIT_IMAGE_BYTES / 3);

/**
 * POST /api/fits. The target is a pose (`targetPose`, rendered exactly), an uploaded PNG
 * (`image`, base64; square; resampled to `size`), or neither: then a random pose drawn from
 * `seed` (the rendering paper's protocol). The initial pose is `initialPose`, or the target's
 * rotation turned by `initErrorDeg` about a random axis (from `seed`; needs a known target pose).
 */
export const FitCreateSchema = z.strictObject({
  object: z.string().min(1).max(200).optional(),
  targetPose: FitPoseSchema.optional(),
  image: z.string().max(MAX_FIT_IMAGE_BASE64, `larger than ${MAX_FIT_IMAGE_BYTES} bytes of PNG`).optional(),
  initialPose: FitPoseSchema.optional(),
  initErrorDeg: z.number().min(0).max(180).optional(),
  methods: z.array(FitMethodSchema).min(1).max(3)
    .refine((a) => new Set(a).size === a.length, 'methods must not repeat').optional(),
  size: z.number().int().min(MIN_RENDER_SIZE).max(MAX_FIT_SIZE).optional(),
  iterations: z.number().int().min(1).max(MAX_FIT_API_ITERATIONS).optional(),
  seed: z.number().int().min(0).max(2 ** 31).optional(),
  /** Initial Monte Carlo samples of the perturbed method (doubled on each reduction). */
  samples: z.number().int().min(1).max(MAX_RENDER_SAMPLES).optional(),
  noise: z.enum(['gaussian', 'cauchy']).optional(),
  /** Also fit the translation (the paper fits the rotation only). */
  translation: z.boolean().optional(),
});
export type FitCreate = z.infer<typeof FitCreateSchema>;

/** POST /api/plans/:id/replan */
export const ReplanSchema = z.strictObject({ params: ParamsSchema });
export type ReplanBody = z.infer<typeof ReplanSchema>;

// ---------------------------------------------------------------- live sessions (docs/api.md, server/live/)

/** Solver settings of a live session: iterations per replan and R-DDP's noise. */
export const LiveSolverParamsSchema = z.strictObject({
  iterations: z.number().int().min(1).max(MAX_LIVE_ITERATIONS).optional(),
  /** R-DDP: how many of each replan's iterations (the last ones) use exact derivatives (server/planning/mpc.ts). */
  polish: z.number().int().min(0).max(MAX_LIVE_ITERATIONS).optional(),
  /** Iterations of the first (cold) replan after a start, a reset or a parameter change. */
  warmup: z.number().int().min(1).max(MAX_ITERATIONS).optional(),
  samples: z.number().int().min(MIN_SAMPLES).max(MAX_SAMPLES).optional(),
  sigma0: z.number().positive().max(1e6).optional(),
  estimator: z.enum(ESTIMATORS).optional(),
  seed: z.number().int().min(0).max(2 ** 31).optional(),
});
export type LiveSolverParams = z.infer<typeof LiveSolverParamsSchema>;

/** POST /api/live */
export const LiveCreateSchema = z.strictObject({
  task: z.string().min(1).max(200),
  params: ParamsSchema.optional(),
  solvers: z.array(SolverSchema).min(1).max(2)
    .refine((a) => new Set(a).size === a.length, 'solvers must not repeat').optional(),
  solverParams: LiveSolverParamsSchema.optional(),
  /** Planning horizon (s); the task's `horizon` parameter is set to it. Default 0.4. */
  horizon: z.number().min(MIN_LIVE_HORIZON_S).max(MAX_LIVE_HORIZON_S).optional(),
  /** Simulated seconds per wall-clock second. Default 1. */
  realTimeFactor: z.number().min(MIN_REAL_TIME_FACTOR).max(MAX_REAL_TIME_FACTOR).optional(),
});
export type LiveCreate = z.infer<typeof LiveCreateSchema>;

/** POST /api/live/:id/push: a world-frame force at a body or frame of the robot for a duration. */
export const LivePushSchema = z.strictObject({
  body: z.string().min(1).max(200),
  force: z.tuple([Finite, Finite, Finite])
    .refine((f) => Math.hypot(f[0], f[1], f[2]) <= MAX_PUSH_FORCE_N, `the force's magnitude must be at most ${MAX_PUSH_FORCE_N} N`),
  duration: z.number().positive().max(MAX_PUSH_DURATION_S),
});
export type LivePush = z.infer<typeof LivePushSchema>;

/** POST /api/live/:id/params: new task parameters (merged over the session's). */
export const LiveParamsSchema = z.strictObject({ params: ParamsSchema });

/** 'starting': the worlds wait at t = 0 for their first plans (the warm-up replans) before the clock runs. */
export const LiveStatusSchema = z.enum(['starting', 'running', 'paused', 'stopped', 'failed']);

/** Per world: what its planner has done so far. */
export const LiveSolverStatsSchema = z.object({
  solver: SolverSchema,
  /** Plans adopted; their rate over the last 2 s of wall clock (Hz). */
  replans: z.number().int(),
  replanRateHz: z.number(),
  /** The last adopted plan's solve time (ms), iterations and σ (0: exact derivatives). */
  solveMs: z.number().nullable(),
  iterations: z.number().int().nullable(),
  sigma: z.number().nullable(),
  /** |x ⊖ x̄| of the state against the adopted plan's prediction (tangent norm). */
  trackingError: z.number(),
  /** Per push, ms from its arrival to the first adopted plan that starts after it (null: none yet). */
  pushLatencyMs: z.array(z.number().nullable()),
  error: z.string().nullable(),
});
export type LiveSolverStats = z.infer<typeof LiveSolverStatsSchema>;

export const LiveStateSchema = z.object({
  id: z.string(),
  task: z.string(),
  robot: z.string(),
  params: ParamsSchema,
  solvers: z.array(SolverSchema),
  solverParams: z.record(z.string(), z.unknown()),
  horizon: z.number(),
  realTimeFactor: z.number(),
  dt: z.number(),
  status: LiveStatusSchema,
  createdAt: z.string(),
  /** Simulated time (s) and step. */
  t: z.number(),
  step: z.number().int(),
  stats: z.array(LiveSolverStatsSchema),
  /** Recording ids, once written (when the session stops). */
  recordings: z.array(z.string()),
  error: z.string().nullable(),
});
export type LiveState = z.infer<typeof LiveStateSchema>;

/** One operator event, stamped with the step at which both worlds received it. */
export const LiveEventSchema = z.object({
  kind: z.enum(['push', 'params', 'pause', 'resume', 'reset']),
  step: z.number().int(),
  t: z.number(),
  body: z.string().optional(),
  force: Vec3Schema().optional(),
  duration: z.number().optional(),
  params: ParamsSchema.optional(),
});
export type LiveEvent = z.infer<typeof LiveEventSchema>;

// ---------------------------------------------------------------- client -> server (WebSocket)

const PlanSelection = z.union([z.literal('all'), z.array(Id).max(1000)]);
const base = { v: z.literal(PROTOCOL_VERSION).optional() };
/** Live sessions named by a subscribe (their state, plan and event messages). */
const LiveSelection = z.array(Id).max(16);

export const ClientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('subscribe'), plans: PlanSelection.optional(), live: LiveSelection.optional(), ...base })
    .refine((m) => m.plans !== undefined || m.live !== undefined, { message: 'plans or live: name what to subscribe to', path: ['plans'] }),
  z.strictObject({ type: z.literal('unsubscribe'), plans: PlanSelection.optional(), live: LiveSelection.optional(), ...base }),
  z.strictObject({ type: z.literal('replan'), plan: Id, params: ParamsSchema, ...base }),
  z.strictObject({ type: z.literal('cancel'), plan: Id, ...base }),
  /** Pose fits: their fit-status / fit-iterate / fit-final messages ('all' or ids). */
  z.strictObject({ type: z.literal('subscribe-fits'), fits: PlanSelection, ...base }),
  z.strictObject({ type: z.literal('unsubscribe-fits'), fits: PlanSelection, ...base }),
  z.strictObject({ type: z.literal('cancel-fit'), fit: Id, ...base }),
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

// ---------------------------------------------------------------- HTTP responses (GET)

/** One task parameter as GET /api/tasks declares it (server/control/tasks: the task's schema). */
export const ParamSpecSchema = z.object({
  name: z.string(),
  type: z.enum(['number', 'integer', 'enum']),
  default: z.union([z.number(), z.string()]),
  min: z.number().optional(),
  max: z.number().optional(),
  options: z.array(z.string()).optional(),
  unit: z.string().optional(),
  description: z.string(),
});
export type ParamSpec = z.infer<typeof ParamSpecSchema>;

/** GET /api/tasks: one entry per task. */
export const TaskInfoSchema = z.object({
  name: z.string(), title: z.string(), description: z.string(),
  /** The robot a plan runs on when it names none. */
  robot: z.string(),
  /** What the task needs of a robot, in words. */
  needs: z.string().optional(),
  /** The server's robots this task can run on (GET /api/robots ids), default first when it is one. */
  robots: z.array(z.string()).optional(),
  params: z.array(ParamSpecSchema),
  defaults: z.record(z.string(), z.union([z.number(), z.string()])),
  /** What a plan with no solverParams runs (the task's solver defaults over the server's). */
  solverDefaults: z.record(z.string(), z.unknown()),
});
export type TaskInfo = z.infer<typeof TaskInfoSchema>;
export const TaskListSchema = z.object({ tasks: z.array(TaskInfoSchema), solvers: z.array(SolverSchema) });

/** GET /api/robots/:id: the model summary (server/api/robots.ts). */
export const RobotSummarySchema = z.object({
  id: z.string(), source: z.string(), name: z.string(),
  nq: z.number().int(), nv: z.number().int(), nu: z.number().int(), floating: z.boolean(),
  joints: z.array(z.object({ name: z.string(), type: z.string(), parent: z.string(), body: z.string(), lower: z.array(z.number().nullable()), upper: z.array(z.number().nullable()) })),
  frames: z.array(z.object({ name: z.string(), kind: z.string(), parentJoint: z.string() })),
  postures: z.record(z.string(), z.array(z.number())),
  contactFrames: z.array(z.string()),
  torqueLimit: z.number().nullable(),
  /** An arm's end effector frame (reach, swing-up). */
  endEffector: z.string().nullable().optional(),
  /** Contact sphere radius stated for feet without a collision sphere (m). */
  footRadius: z.number().nullable().optional(),
  /** The SRDF read beside the URDF (file name). */
  srdf: z.string().nullable().optional(),
  /** Where each description field came from (metadata, SRDF, detection), one sentence each. */
  why: z.record(z.string(), z.string()).optional(),
  /** lift-leg's foot codes (FL, FR, HL, HR) → the foot frame and the joint that moves it; null where lift-leg cannot run. */
  legs: z.record(z.string(), z.object({ frame: z.string(), knee: z.string() })).nullable().optional(),
  meshes: z.array(z.object({ uri: z.string(), url: z.string().nullable() })),
  warnings: z.array(z.string()),
  urdf: z.string(),
});
export type RobotSummary = z.infer<typeof RobotSummarySchema>;

// ---------------------------------------------------------------- server -> client

export const SolveStatusSchema = z.enum(['queued', 'running', 'done', 'cancelled', 'failed']);
export type SolveStatus = z.infer<typeof SolveStatusSchema>;

/** A number as JSON carries it: NaN and +-Infinity arrive as null. */
const Num = z.number().nullable();

/**
 * Records whose numbers may be non-finite (a cost of Infinity, an improvement of NaN) have two
 * forms: in the server's memory a plain number, on the wire `Num` (JSON writes NaN and ±Infinity
 * as null). Their schemas are built by functions of the number schema: the wire's are exported
 * (built over `Num`), the server's types (IterationRecord, PlanResult, FitIterate, FitResult)
 * are inferred from the same functions over z.number(), so both ends have one definition.
 */
type NumberSchema = z.ZodType<number | null>;

/** Phase times of one iteration (ms); with a streaming provider linearize and backward overlap, so total < their sum. */
const IterationTimes = z.object({ linearize: z.number(), backward: z.number(), forward: z.number(), total: z.number() });
/**
 * One iteration: `ddp` what the DDP solver measures (server/control/ddp.ts emits exactly this),
 * `record` the same with the smoothing it ran at (server/planning/planner.ts adds sigma, samples
 * and phase): what results, recordings and iterate messages carry. The solver's diagnostics are
 * optional in `record`: recordings written before they were kept, and live sessions' records
 * (one per adopted plan, server/live/recording.ts), have none.
 */
function iterationSchemas<N extends NumberSchema>(num: N) {
  const ddp = z.object({
    /** 0-based iteration index. */
    iteration: z.number().int(),
    /** Cost of the nominal before the iteration, and after it (= the trial's cost when accepted). */
    costBefore: num, cost: num,
    /** −ΔJ(α) of the quadratic model at the last step length tried (> 0 for a descent step). */
    expectedImprovement: num,
    /** −ΔJ(1): the convergence measure. */
    expectedImprovementFullStep: num,
    /** costBefore − cost of the last trial (NaN when no forward pass ran). */
    actualImprovement: num,
    /** Last step length tried (the accepted one when accepted; 0 when no forward pass ran). */
    stepLength: num,
    /** μ used by the backward pass that produced the step. */
    regularization: num,
    /** Projected gradient max_t ‖Qu_t‖∞ at the nominal (controls on a bound with Qu pushing outward excluded). */
    gradientNorm: num,
    accepted: z.boolean(),
    /** This iteration met a convergence test (no forward pass then). */
    converged: z.boolean(),
    /** Backward passes run (1 + restarts after a non-PD Quu), and rollouts of the line search. */
    backwardAttempts: z.number().int(), lineSearchTrials: z.number().int(),
    /** Whether the provider was called this iteration. */
    linearized: z.boolean(),
    /** `costs`: the cost derivatives along the nominal. */
    times: IterationTimes.extend({ costs: z.number() }),
  });
  const record = ddp.partial({ expectedImprovementFullStep: true, converged: true, backwardAttempts: true, lineSearchTrials: true, linearized: true }).extend({
    times: IterationTimes.extend({ costs: z.number().optional() }),
    /** R-DDP's noise level and samples per knot (0 and 0 with exact derivatives). */
    sigma: z.number(), samples: z.number(),
    phase: z.enum(['exact', 'smooth', 'polish']),
  });
  return { ddp, record };
}
const iterationWire = iterationSchemas(Num);
export const IterationRecordSchema = iterationWire.record;
export type IterationRecordMsg = z.infer<typeof IterationRecordSchema>;
/** The solver's part of a record, on the wire (strict: a test parses the solver's own records with it). */
export const DdpIterationSchema = iterationWire.ddp;
type IterationInMemory = ReturnType<typeof iterationSchemas<z.ZodNumber>>;
/** The server's iteration record (numbers possibly non-finite): IterationRecordSchema in memory. */
export type IterationRecord = z.infer<IterationInMemory['record']>;
/** What the DDP solver emits per iteration (server/control/ddp.ts). */
export type DdpIteration = z.infer<IterationInMemory['ddp']>;

const Vec3 = z.tuple([z.number(), z.number(), z.number()]);
function Vec3Schema() { return z.tuple([z.number(), z.number(), z.number()]); }
/** One contact at one knot, world frame: point p (m) and force f (N) over the step (server/control/contact-trace.ts). */
export const ContactSampleSchema = z.object({ p: Vec3, f: Vec3 });
export type ContactSampleMsg = z.infer<typeof ContactSampleSchema>;
/**
 * One joint stop that pushed over a knot's step (server/planning/contact-trace.ts): the joint,
 * the stop (lower pushes q up, upper down) and its generalized force over the step (N m; N for
 * a prismatic joint), signed along the joint axis.
 */
export const LimitSampleSchema = z.object({ joint: z.string(), side: z.enum(['lower', 'upper']), torque: z.number() });
export type LimitSampleMsg = z.infer<typeof LimitSampleSchema>;

export const TrajectorySchema = z.object({
  dt: z.number(), q: z.array(z.array(z.number())), v: z.array(z.array(z.number())), u: z.array(z.array(z.number())),
  /** Optional: the contacts of every knot (one list per entry of q), for display. */
  contacts: z.array(z.array(ContactSampleSchema)).optional(),
  /** Optional: the joint stops that pushed at every knot (one list per entry of q); absent in older recordings. */
  limits: z.array(z.array(LimitSampleSchema)).optional(),
});
export type TrajectoryMsg = z.infer<typeof TrajectorySchema>;

/**
 * Where a solve runs (or ran): `worker` is 'server' for the server's own solve threads, else the
 * id of the cluster worker that took the job (`npm run worker`); `attempt` counts the workers
 * that started it (a worker that died mid-job is replaced by the next one).
 */
export const SolveWhereSchema = z.object({ worker: z.string(), host: z.string(), attempt: z.number().int().min(1) });
export type SolveWhere = z.infer<typeof SolveWhereSchema>;

/** The state of one solve (one solver of a plan) as the server reports it. */
export const SolveStateSchema = z.object({
  solver: SolverSchema,
  status: SolveStatusSchema,
  /** Incremented on every replan of the plan; messages of older runs are not sent. */
  run: z.number().int(),
  warmStart: z.boolean(),
  iteration: z.number().int(),
  latest: IterationRecordSchema.nullable(),
  cost: Num,
  success: z.boolean().nullable(),
  error: z.string().nullable(),
  recording: z.string().nullable(),
  /** Null until the solve starts. */
  where: SolveWhereSchema.nullable().optional(),
});
export type SolveState = z.infer<typeof SolveStateSchema>;

export const PlanStateSchema = z.object({
  id: z.string(),
  robot: z.string(),
  task: z.string(),
  params: ParamsSchema,
  status: SolveStatusSchema,
  createdAt: z.string(),
  /** Iteration budget of each solve (the plan's solverParams over the task's defaults). */
  iterations: z.number().int().positive().optional(),
  solves: z.array(SolveStateSchema),
});
export type PlanState = z.infer<typeof PlanStateSchema>;

/** Where a solve's derivatives were computed, and why (server/compute/providers.ts). */
export const BackendNameSchema = z.enum(['cpu', 'workers', 'webgpu']);
export const ComputeInfoSchema = z.object({
  requested: BackendSchema,
  /** The backend that computes the smoothed samples (or all derivatives). */
  backend: BackendNameSchema,
  /** One sentence: why this backend. */
  reason: z.string(),
  /** The WebGPU adapter, when one was looked at. */
  adapter: z.string().optional(),
  /** Set when a webgpu backend failed during the plan and workers took over. */
  fallback: z.string().optional(),
  /** Where the exact derivatives are computed (DDP, state columns, polishing phase). */
  exact: BackendNameSchema,
  /** Description of the backend in use, e.g. 'workers (2 threads)'. */
  description: z.string(),
  /** Server: linearization threads the solve asked for (null: the default) and was granted under --max-workers. */
  workers: z.object({ asked: z.number().int().nullable(), granted: z.number().int() }).optional(),
});
export type ComputeInfo = z.infer<typeof ComputeInfoSchema>;

/**
 * The feedback the solver's own rollouts apply: u_t = u*_t + K_t (x_t ⊖ x*_t), with x ⊖ x* the
 * tangent-space difference of problem.ts's differenceState (2 nv numbers: SE(3) log for a
 * free-flyer base, then velocities), clamped to the control bounds. K_t = -Quu⁻¹ Qux of the last
 * backward pass (regularized; zero rows for controls at a bound), as Crocoddyl's solver.K.
 */
export const FeedbackGainsSchema = z.object({
  /** T matrices, each nu rows of ndx = 2 nv numbers. */
  K: z.array(z.array(z.array(z.number()))),
  /**
   * True when the last backward pass was linearized at the final nominal; false when its step
   * was accepted (the nominal then moved once more: the gains are those of the nominal before).
   */
  atFinalNominal: z.boolean(),
  /** Phase of the last iteration: 'smooth' (R-DDP's smoothed Jacobians) or 'exact' / 'polish' (exact derivatives). */
  phase: IterationRecordSchema.shape.phase,
});
export type FeedbackGains = z.infer<typeof FeedbackGainsSchema>;

/**
 * A plan's result (server/planning/planner.ts plan()). On the wire `solverParams` is any record
 * (live sessions' recordings carry their own settings there); in memory it is the plan's
 * resolved ResolvedSolverParamsSchema.
 */
function planResultSchema<N extends NumberSchema, P extends z.ZodType<Record<string, unknown>>>(num: N, solverParams: P) {
  return z.object({
    solver: SolverSchema, robot: z.string(), task: z.string(), params: ParamsSchema,
    solverParams, seed: z.number(), iterations: z.number(),
    cost: num, initialCost: num, converged: z.boolean(), cancelled: z.boolean(),
    status: z.string(), success: z.boolean(), metrics: z.record(z.string(), z.union([num, z.boolean(), z.string()])),
    timings: z.object({ total_s: z.number(), perIteration_ms: z.object({ linearize: z.number(), backward: z.number(), forward: z.number() }) }),
    /** The compute backend asked for and the one that ran (and why). */
    compute: ComputeInfoSchema,
    telemetry: z.array(iterationSchemas(num).record),
    trajectory: TrajectorySchema,
    /** DDP's feedback gains of the final plan, when asked (SolveJobRequest.feedbackGains) and at least one iteration ran. */
    feedback: FeedbackGainsSchema.optional(),
  });
}
export const PlanResultSchema = planResultSchema(Num, z.record(z.string(), z.unknown()));
export type PlanResultMsg = z.infer<typeof PlanResultSchema>;
/** The server's plan result (numbers possibly non-finite, solverParams resolved): PlanResultSchema in memory. */
export type PlanResult = z.infer<ReturnType<typeof planResultSchema<z.ZodNumber, typeof ResolvedSolverParamsSchema>>>;

// ---------------------------------------------------------------- recordings (GET /api/recordings, GET /api/recordings/:id; server/store/)

/** A plan recording's metadata: its MCAP metadata record `rsddp` (server/store/recordings.ts), as JSON. */
export const RecordingMetaSchema = z.object({
  id: z.string(), plan: z.string(), run: z.number(), robot: z.string(), task: z.string(), params: ParamsSchema,
  solver: SolverSchema, seed: z.number(), solverParams: z.record(z.string(), z.unknown()), projectVersion: z.string(),
  status: z.string(), cancelled: z.boolean(), success: z.boolean(), iterations: z.number(), cost: Num, warmStart: z.boolean(),
  startedAt: z.string(), finishedAt: z.string(),
  timings: PlanResultSchema.shape.timings, metrics: PlanResultSchema.shape.metrics,
  /** 'live': a live session's world (its executed trajectory, plans and events); absent: a plan. */
  kind: z.enum(['plan', 'live']).optional(),
});
export type RecordingMeta = z.infer<typeof RecordingMetaSchema>;
/** A recording as listed: its metadata, file name and size (bytes). */
export const RecordingInfoSchema = RecordingMetaSchema.extend({ file: z.string(), size: z.number() });
export type RecordingInfo = z.infer<typeof RecordingInfoSchema>;
/** GET /api/recordings/:id of a plan recording. */
export const RecordingContentSchema = z.object({
  metadata: RecordingMetaSchema,
  /** As written in JSON: non-finite numbers read back as null. */
  telemetry: z.array(IterationRecordSchema),
  /** The final trajectory; with `contacts` per knot when the server traced them. */
  trajectory: TrajectorySchema.nullable(),
});
export type RecordingContent = z.infer<typeof RecordingContentSchema>;

/** One iteration of a pose fit (server/rendering/pose-fit.ts FitIterate, non-finite numbers as null). */
function fitIterateSchema<N extends NumberSchema>(num: N) {
  return z.object({
    iteration: z.number().int(), loss: num, sigma: z.number(), gamma: z.number(), samples: z.number().int(), lr: z.number(),
    /** Rotation error of the iterate (deg); null when the target is an image of unknown pose. */
    errorDeg: Num,
    gradNorm: num, dLdSigma: num, dLdGamma: num,
    /** The moving average of the sensitivity (0 before adaptStart). */
    sensitivity: num,
    reduced: z.boolean(),
  });
}
export const FitIterateSchema = fitIterateSchema(Num);
export type FitIterateMsg = z.infer<typeof FitIterateSchema>;
/** The server's fit iterate (server/rendering/pose-fit.ts; numbers possibly non-finite): FitIterateSchema in memory. */
export type FitIterate = z.infer<ReturnType<typeof fitIterateSchema<z.ZodNumber>>>;
const PoseOut = z.object({ rotation: z.array(z.number()).length(3), translation: z.array(z.number()).length(3) });
/** An object pose as the server reports it: axis-angle rotation (rad) and translation, 3 numbers each. */
export type PoseArrays = z.infer<typeof PoseOut>;

/** One method's state in a fit. */
export const FitMethodStateSchema = z.object({
  method: FitMethodSchema, status: SolveStatusSchema, iteration: z.number().int(), loss: Num, errorDeg: Num,
  success: z.boolean().nullable(), error: z.string().nullable(), recording: z.string().nullable(),
  /** Where it ran: the worker that took it (servers with --redis), else null. */
  where: SolveWhereSchema.nullable().optional(),
});
export const FitStateSchema = z.object({
  id: z.string(), object: z.string(), size: z.number().int(), iterations: z.number().int(), seed: z.number().int(),
  status: SolveStatusSchema, createdAt: z.string(),
  /** 'pose': rendered from `targetPose` (or a random one); 'image': an uploaded PNG. */
  target: z.enum(['pose', 'image']),
  /** The target's pose when known (null for an image). */
  targetPose: PoseOut.nullable(),
  initialPose: PoseOut,
  translation: z.boolean(),
  /** GET this for the target image (PNG, `size` px). */
  targetUrl: z.string(),
  methods: z.array(FitMethodStateSchema),
});
export type FitState = z.infer<typeof FitStateSchema>;

function fitResultSchema<N extends NumberSchema>(num: N) {
  return z.object({
    method: FitMethodSchema, rotation: z.array(z.number()), translation: z.array(z.number()),
    /** Error of the returned (lowest-loss) pose, of the last iterate and of the initial pose (deg; null for an image of unknown pose). */
    errorDeg: Num, lastErrorDeg: Num, initialErrorDeg: Num, success: z.boolean().nullable(), bestLoss: num,
    iterations: z.number().int(), timeMs: z.number(), cancelled: z.boolean(),
    /** Hard render of the returned pose (PNG, base64). */
    image: z.string(),
    telemetry: z.array(fitIterateSchema(num)),
  });
}
export const FitResultSchema = fitResultSchema(Num);
export type FitResultMsg = z.infer<typeof FitResultSchema>;
/** A fit method's result on the server (server/perception/fit-job.ts FitJobResult): FitResultSchema in memory. */
export type FitResult = z.infer<ReturnType<typeof fitResultSchema<z.ZodNumber>>>;

/** A pose fit's recording metadata: its MCAP metadata record `rsddp.fit` (server/store/fit-meta.ts), as JSON. */
export const FitRecordingMetaSchema = z.object({
  id: z.string(), kind: z.literal('fit'), fit: z.string(), method: FitMethodSchema, object: z.string(),
  /** Image side (px). */
  imageSize: z.number(),
  seed: z.number(),
  /** Iterations run (fewer than asked when cancelled). */
  iterations: z.number(),
  status: z.string(), cancelled: z.boolean(), success: z.boolean().nullable(),
  /** Rotation error of the returned pose and of the initial pose (deg; null for an image of unknown pose). */
  errorDeg: Num, initialErrorDeg: Num, bestLoss: Num,
  target: z.enum(['pose', 'image']), targetPose: PoseOut.nullable(), initialPose: PoseOut, pose: PoseOut, fitsTranslation: z.boolean(),
  projectVersion: z.string(), startedAt: z.string(), finishedAt: z.string(), timeMs: z.number(),
});
export type FitRecordingMeta = z.infer<typeof FitRecordingMetaSchema>;
export const FitRecordingInfoSchema = FitRecordingMetaSchema.extend({ file: z.string(), size: z.number() });
export type FitRecordingInfo = z.infer<typeof FitRecordingInfoSchema>;
/** GET /api/recordings/:id of a fit's recording: the target (PNG, base64) and the renders every few iterations. */
export const FitRecordingContentSchema = z.object({
  metadata: FitRecordingMetaSchema,
  telemetry: z.array(FitIterateSchema),
  target: z.string().nullable(),
  images: z.array(z.object({ iteration: z.number().int(), png: z.string() })),
});
export type FitRecordingContent = z.infer<typeof FitRecordingContentSchema>;

/** GET /api/recordings: plan (and live) recordings, fits' recordings, and files that could not be read. */
export const RecordingListSchema = z.object({
  recordings: z.array(RecordingInfoSchema),
  fits: z.array(FitRecordingInfoSchema),
  errors: z.array(z.object({ file: z.string(), message: z.string() })),
});
export type RecordingList = z.infer<typeof RecordingListSchema>;

export const ServerMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), version: z.literal(PROTOCOL_VERSION), server: z.string(), plans: z.array(PlanStateSchema) }),
  /** A plan's state changed (created, a solve queued/started/finished/cancelled, replanned). */
  z.object({ type: z.literal('status'), plan: PlanStateSchema }),
  z.object({ type: z.literal('iterate'), plan: z.string(), solver: SolverSchema, run: z.number().int(), record: IterationRecordSchema, trajectory: TrajectorySchema }),
  z.object({ type: z.literal('final'), plan: z.string(), solver: SolverSchema, run: z.number().int(), result: PlanResultSchema }),
  z.object({ type: z.literal('error'), message: z.string(), field: z.string().optional() }),
  /** A live session's state changed (created, paused, resumed, stopped; and once a second while it runs). */
  z.object({ type: z.literal('live.status'), live: LiveStateSchema }),
  /** One world's state, LIVE_STATE_RATE_HZ times a second while it runs (q, v: the model's coordinates). */
  z.object({
    type: z.literal('live.state'), live: z.string(), solver: SolverSchema, step: z.number().int(), t: z.number(),
    q: z.array(z.number()), v: z.array(z.number()), contacts: z.array(ContactSampleSchema), pushing: z.boolean(), trackingError: z.number(),
  }),
  /** A plan a world adopted: its predicted configurations from its start step, with how it was found. */
  z.object({
    type: z.literal('live.plan'), live: z.string(), solver: SolverSchema, replan: z.number().int(),
    /** The step (and time) of the state it starts from, and the step at which it was adopted. */
    step: z.number().int(), t: z.number(), adoptedStep: z.number().int(), dt: z.number(),
    q: z.array(z.array(z.number())), solveMs: z.number(), iterations: z.number().int(), sigma: z.number(), cost: Num,
    shift: z.number().int(), cancelled: z.boolean(), replanRateHz: z.number(),
  }),
  /** An operator event, as both worlds received it. */
  z.object({ type: z.literal('live.event'), live: z.string(), event: LiveEventSchema }),
  /** Pose fits (subscribe-fits): state changes, iterates (throttled; `image` a render every few iterations), a final per method. */
  z.object({ type: z.literal('fit-status'), fit: FitStateSchema }),
  z.object({
    type: z.literal('fit-iterate'), fit: z.string(), method: FitMethodSchema, record: FitIterateSchema, pose: PoseOut,
    /** The method's current render (PNG, base64) and the iteration it shows, when one is new since the last message. */
    image: z.object({ iteration: z.number().int(), png: z.string() }).optional(),
  }),
  z.object({ type: z.literal('fit-final'), fit: z.string(), method: FitMethodSchema, result: FitResultSchema }),
]);
export type ServerMessage = z.infer<typeof ServerMessageSchema>;
export type HelloMessage = Extract<ServerMessage, { type: 'hello' }>;
export type StatusMessage = Extract<ServerMessage, { type: 'status' }>;
export type IterateMessage = Extract<ServerMessage, { type: 'iterate' }>;
export type FinalMessage = Extract<ServerMessage, { type: 'final' }>;
export type ErrorMessage = Extract<ServerMessage, { type: 'error' }>;
export type LiveStatusMessage = Extract<ServerMessage, { type: 'live.status' }>;
export type LiveStateMessage = Extract<ServerMessage, { type: 'live.state' }>;
export type LivePlanMessage = Extract<ServerMessage, { type: 'live.plan' }>;
export type LiveEventMessage = Extract<ServerMessage, { type: 'live.event' }>;
/** The messages of live sessions (routed to their subscribers). */
export type LiveMessage = LiveStatusMessage | LiveStateMessage | LivePlanMessage | LiveEventMessage;
export type FitStatusMessage = Extract<ServerMessage, { type: 'fit-status' }>;
export type FitIterateMessage = Extract<ServerMessage, { type: 'fit-iterate' }>;
export type FitFinalMessage = Extract<ServerMessage, { type: 'fit-final' }>;

// ---------------------------------------------------------------- cluster jobs (server/cluster/)

/**
 * One solve as a cluster job: the request, validated by the API's own schemas, plus the
 * protocol and code version of the server that submitted it (a worker refuses another
 * version's jobs). `solverParams` is the plan's (POST /api/plans) with the backend folded in.
 */
export const SolveJobRequestSchema = z.strictObject({
  task: z.string().min(1).max(200),
  params: ParamsSchema,
  solver: SolverSchema,
  solverParams: PlanSolverParamsSchema,
  warmStart: z.array(z.array(z.number())).max(100_000).optional(),
  feedbackGains: z.boolean().optional(),
});
export type SolveJobRequest = z.infer<typeof SolveJobRequestSchema>;
/**
 * Which plan of which server a job belongs to: a server started again with the same instance
 * name on the same Redis finds its jobs by it and reports them again (server/cluster/).
 */
export const SolveJobOriginSchema = z.object({
  instance: z.string().min(1).max(200),
  plan: z.string().min(1).max(100),
  robot: z.string().max(200).optional(),
  run: z.number().int().min(0),
  solvers: z.array(SolverSchema).min(1).max(4),
  createdAt: z.string().max(40),
});
export type SolveJobOrigin = z.infer<typeof SolveJobOriginSchema>;
/** The envelope read before the request, so that another version's job is named as such. */
export const SolveJobEnvelopeSchema = z.object({ protocol: z.number().int(), code: z.string().max(100), request: z.unknown(), origin: SolveJobOriginSchema.optional() });
/** Any job's envelope (solves carry an origin too; fits do not). */
export const JobEnvelopeSchema = z.object({ protocol: z.number().int(), code: z.string().max(100), request: z.unknown() });

/**
 * One method run of a pose fit as a cluster job (server/perception/fit-job.ts FitJob). The
 * target image travels as the bytes of its Float64Array (little-endian, base64): exact, and a
 * third of the size of its numbers in JSON.
 */
export const FitJobRequestSchema = z.strictObject({
  object: z.string().min(1).max(200),
  size: z.number().int().min(MIN_RENDER_SIZE).max(MAX_FIT_SIZE),
  method: FitMethodSchema,
  iterations: z.number().int().min(1).max(MAX_FIT_API_ITERATIONS),
  seed: z.number().int().min(0).max(2 ** 31),
  samples: z.number().int().min(1).max(MAX_RENDER_SAMPLES),
  noise: z.enum(['gaussian', 'cauchy']),
  translation: z.boolean(),
  /** RGB, 3 doubles per pixel, size x size: 8 · 3 · size² bytes, base64. */
  target: z.string().max(4 * Math.ceil((8 * 3 * MAX_FIT_SIZE * MAX_FIT_SIZE) / 3)),
  truth: PoseOut.nullable(),
  init: PoseOut,
  imageEvery: z.number().int().min(1).max(MAX_FIT_API_ITERATIONS),
});
export type FitJobRequest = z.infer<typeof FitJobRequestSchema>;

// ---------------------------------------------------------------- validation helpers

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string; field?: string };

/** The first issue of a zod error as a message naming the field (dotted path). */
export function describeZodError(err: z.ZodError): { message: string; field?: string } {
  const issue = err.issues[0];
  if (!issue) return { message: 'invalid input' };
  let path = issue.path.map(String);
  let msg = issue.message;
  if (issue.code === 'invalid_key') {
    const inner = (issue as { issues?: Array<{ message: string }> }).issues?.[0];
    if (inner) msg = `invalid name: ${inner.message}`;
  }
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys?: string[] }).keys ?? [];
    path = [...path, keys[0] ?? ''];
    msg = `unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${k}'`).join(', ')}`;
  }
  const field = path.length ? path.join('.') : undefined;
  return { message: field ? `${field}: ${msg}` : msg, field };
}

export function parseWith<T>(schema: z.ZodType<T>, value: unknown): Parsed<T> {
  const r = schema.safeParse(value);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, ...describeZodError(r.error) };
}

const CLIENT_MESSAGE_TYPES: readonly string[] = ['subscribe', 'unsubscribe', 'replan', 'cancel', 'subscribe-fits', 'unsubscribe-fits', 'cancel-fit'];

/** Parses a WebSocket text frame (or an already decoded value) into a typed client message. */
export function parseClientMessage(raw: string | unknown): Parsed<ClientMessage> {
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch (e) {
      return { ok: false, message: `malformed JSON: ${(e as Error).message}` };
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: 'a message must be a JSON object with a "type"', field: 'type' };
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !CLIENT_MESSAGE_TYPES.includes(type)) {
    return { ok: false, message: `type: must be one of ${CLIENT_MESSAGE_TYPES.join(', ')} (got ${JSON.stringify(type) ?? 'nothing'})`, field: 'type' };
  }
  return parseWith(ClientMessageSchema, value);
}
