/**
 * Limits on what one plan request can claim: the single source of truth. The request schemas
 * (shared/protocol.ts) state them, and the server's compute code (noise schedule, sample
 * batches, worker pools) imports the same constants, so every value the schema accepts runs
 * end to end. No imports: both the web client and the server load this module.
 */

/** R-DDP samples per knot (the sample batches are sized for MAX_SAMPLES; the estimator needs 2). */
export const MIN_SAMPLES = 2;
export const MAX_SAMPLES = 128;

/** Iterations of one solve. */
export const MAX_ITERATIONS = 1000;

/** Linearization worker threads one plan may ask for (the server grants at most what is free). */
export const MAX_WORKERS = 64;

/**
 * The work one plan may claim: knots (horizon / dt) × samples per knot (1 for DDP) ×
 * iterations, summed over nothing: checked per solve. 4e6 is e.g. 250 knots × 128 samples ×
 * 125 iterations, or the default lift-leg R-DDP plan (100 × 16 × 60) about 40 times over.
 */
export const MAX_PLAN_WORK = 4_000_000;

/** Wall-clock seconds one solve may run on the server unless its task or --plan-timeout says otherwise. */
export const DEFAULT_PLAN_TIME_LIMIT_S = 600;

/** solverParams.timeLimit: seconds of wall clock one solve may run (the server's limit caps it). */
export const MIN_TIME_LIMIT_S = 1;
export const MAX_TIME_LIMIT_S = 3600;

/**
 * URDF files the server loads (robots/ and --robots folders): bytes per file (checked with stat
 * before the file is read) and <link> elements per robot (<joint> elements likewise). Operators
 * raise them with --max-urdf-bytes / --max-urdf-links. The largest upstream URDFs (Talos, iCub) are well under
 * 1 MB and 200 links.
 */
export const DEFAULT_MAX_URDF_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_URDF_LINKS = 2000;

/**
 * Collision meshes collided as convex hulls (server/model/convex-hull.ts, lift-leg's
 * meshCollision 'hulls'): vertices of one mesh read into a hull, and vertices of the hull (each
 * is tested against the ground at every step). The upstream Solo-12's largest collision mesh has
 * a few thousand vertices and a hull of a few hundred.
 */
export const MAX_HULL_INPUT_VERTICES = 200_000;
export const MAX_HULL_VERTICES = 2048;

/**
 * Live sessions (POST /api/live, server/live/): each runs two simulated worlds on the server's
 * event loop and one planner thread per world, so a server runs only a few at once (429 beyond).
 */
export const MAX_LIVE_SESSIONS = 2;
/** DDP iterations per replan. */
export const MAX_LIVE_ITERATIONS = 20;
/** Planning horizon (s) and its knots (horizon / the task's dt). */
export const MIN_LIVE_HORIZON_S = 0.05;
export const MAX_LIVE_HORIZON_S = 2;
export const MAX_LIVE_KNOTS = 200;
/** Real-time factor: simulated seconds per wall-clock second. */
export const MIN_REAL_TIME_FACTOR = 0.05;
export const MAX_REAL_TIME_FACTOR = 2;
/** A push: force magnitude (N, world frame) and duration (s). Solo-12 weighs about 25 N. */
export const MAX_PUSH_FORCE_N = 100;
export const MAX_PUSH_DURATION_S = 1;
/** Operator events (push, params, pause, resume, reset) per live session per second (429 beyond). */
export const MAX_LIVE_EVENTS_PER_S = 10;
/** A live session stops itself after this much wall-clock time (its recording is written then). */
export const MAX_LIVE_WALL_S = 30 * 60;
/** A live recording keeps the last this many simulated seconds of states. */
export const MAX_LIVE_RECORDED_S = 120;
/** State messages per world per second the server sends (at least 30). */
export const LIVE_STATE_RATE_HZ = 40;

/**
 * Rendering and pose fits (server/rendering/): image side in pixels, Monte Carlo samples of the
 * perturbed renderer (the paper's cap), fit iterations, fragments kept per pixel.
 */
export const MIN_RENDER_SIZE = 8;
export const MAX_RENDER_SIZE = 512;
export const MAX_RENDER_SAMPLES = 128;
export const MAX_FIT_ITERATIONS = 5000;
export const MAX_FRAGMENTS_PER_PIXEL = 64;

/**
 * Pose fits over the API (POST /api/fits, server/api/fits.ts): image side, uploaded PNG bytes
 * (decoded from base64; the JSON body limit of 1 MiB leaves room for it), iterations, method
 * runs at once (one worker thread each) and waiting.
 */
export const MAX_FIT_SIZE = 128;
export const DEFAULT_FIT_SIZE = 64;
export const MAX_FIT_IMAGE_BYTES = 512 * 1024;
export const MAX_FIT_API_ITERATIONS = 2000;
export const DEFAULT_FIT_ITERATIONS = 300;
export const DEFAULT_FIT_CONCURRENCY = 2;
export const DEFAULT_FIT_QUEUE_LIMIT = 24;
/** Wall-clock seconds one method run may take (then stopped as a cancel is, with an error saying so). */
export const FIT_TIME_LIMIT_S = 300;
