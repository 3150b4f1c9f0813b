/**
 * Adaptive noise schedule for R-DDP: a small state machine, independent of DDP, that decides
 * after every iteration the noise level sigma (and sample count M) of the next one, when to
 * switch to exact derivatives (plain DDP "polishing") and when to stop.
 *
 * Why a schedule at all: the smoothed problem is not the real one. R-DDP must shrink the noise
 * so that it converges to a solution of the original, non-smooth problem, and the seed paper
 * stresses the two failure modes: reducing too fast collapses R-DDP into plain DDP (and its
 * poor, contact-blind solution); reducing too slowly wastes iterations. The paper's exact rule
 * is not available to us; the rules below are those of the public work listed in
 * notes/randomized-smoothing.md, every constant a parameter with a documented default.
 *
 * Rules (`rule`):
 * - 'continuation' (default): keep sigma while the true (non-smooth) cost improves by a relative
 *   decrease >= `progressThreshold`; after `patience` iterations without such progress, or a
 *   rejected step, sigma <- sigma / `reductionFactor` (and the threshold <- threshold ×
 *   `thresholdFactor`). At most one reduction per iteration, and only after `minItersPerLevel`
 *   iterations at the current level (not too fast); a reduction is forced after
 *   `maxItersPerLevel` iterations at one level (not too slow).
 * - 'sensitivity' (differentiable-rendering paper): a moving average v <- momentum v +
 *   (1 - momentum) dJ/dsigma of the caller's estimate of the derivative of the cost with
 *   respect to sigma (`sigmaDerivative` below computes one with the zero-order estimator);
 *   when v > 0 (more noise would raise the cost: the smoothing now hurts more than it helps),
 *   sigma <- sigma / `reductionFactor` (1.1 by default here) and M <- min(M × `sampleGrowth`,
 *   `maxSamples`) (the noise is smaller, the estimate needs more samples to stay as precise
 *   relative to its signal). The rendering code tests every 50 Adam steps out of 800;
 *   `sensitivityInterval` defaults to 1 because R-DDP runs tens of iterations, not hundreds.
 *   `maxItersPerLevel` forces a reduction here too.
 * - 'decay' (irs_mpc): sigma_k = sigma0 / sqrt(k + 1) for the k-th smoothed iteration
 *   (0-based), whatever the costs.
 * Noise increase (continuation and sensitivity, `maxIncreases` > 0): when a stall (or a
 *   rejection) would reduce sigma but the smoothed model itself saw nothing to gain (every iteration at this level made
 *   no progress and the last one's predicted decrease, relative to the cost, was below the
 *   progress threshold), the noise is too small to reach the contact event (the seed's
 *   "detecting when to increase the noise"): sigma <- min(sigma × `increaseFactor`, `sigmaMax`)
 *   instead, at most `maxIncreases` times per solve, never after the level has made progress
 *   and never once sigma has been reduced (a level that saw something and stalled was left on
 *   purpose: going back up would oscillate).
 * Budget tail (all rules, `budget` set): the last `polishTail` iterations of the budget are
 *   polish iterations whatever sigma is (reason 'budget-tail'), so an R-DDP result is always
 *   finished by exact derivatives on the true problem.
 * Floor (all rules): when sigma would fall below `sigmaMin` (default sigma0 × 1e-3) it becomes 0:
 * phase 'polish', i.e. exact derivatives, plain DDP on the true dynamics. Polishing stops
 * (`stop: true`) after `polishPatience` iterations without a relative decrease of at least
 * `polishThreshold`.
 *
 * The history (sigma, M, phase, costs, decision per iteration) is kept for telemetry.
 * This module runs once per R-DDP iteration, not in sample loops: it allocates freely.
 */
import { sigmaDerivative } from './smoothing.ts';
import { MAX_SAMPLES } from '../../shared/limits.ts';
import type { NOISE_RULES } from '../../shared/protocol.ts';

export { sigmaDerivative };

export type NoiseRule = (typeof NOISE_RULES)[number];

/** 'smooth': randomized-smoothing derivatives at sigma > 0; 'polish': exact derivatives (sigma = 0). */
export type SchedulePhase = 'smooth' | 'polish';

/** Why the schedule decided what it did after an iteration. */
export type ScheduleReason =
  | 'progress' // continuation: enough relative decrease, sigma kept
  | 'waiting' // nothing changes yet: a stall shorter than `patience` (or `polishPatience`), v <= 0, inside minItersPerLevel, between sensitivity checks
  | 'stall' // continuation: `patience` iterations without progress
  | 'rejected' // continuation: the step was rejected
  | 'max-iters-per-level' // forced reduction
  | 'sensitivity' // sensitivity rule: v > 0
  | 'decay' // fixed decay
  | 'floor' // sigma fell below sigmaMin: switch to polishing
  | 'budget-tail' // the last `polishTail` iterations of the budget: switch to polishing
  | 'blind' // a stall where the smoothed model predicted no decrease: sigma increased
  | 'polish-progress' // polishing still improves
  | 'polish-stall'; // polishing no longer improves: stop

/** Parameters; only sigma0 is required. */
export interface NoiseScheduleParams {
  /** Initial noise scale (> 0; 0 starts directly in the polish phase). */
  sigma0: number;
  /** Initial sample count M. Default 32. */
  samples0?: number;
  /** Default 'continuation'. */
  rule?: NoiseRule;
  /** Floor below which sigma becomes 0 (polish). Default sigma0 × 1e-3. */
  sigmaMin?: number;
  /** sigma <- sigma / reductionFactor on a reduction. Default 2 ('continuation'), 1.1 ('sensitivity'); unused by 'decay'. */
  reductionFactor?: number;
  /** Continuation: relative decrease (before - after) / |before| that counts as progress. Default 1e-3. */
  progressThreshold?: number;
  /** Continuation: threshold <- threshold × thresholdFactor at each reduction. Default 1 (kept); 0.5 halves it as one reimplementation does. */
  thresholdFactor?: number;
  /** Continuation: iterations without progress before a reduction. Default 2. */
  patience?: number;
  /**
   * Continuation: when the stall is made of rejected steps only, reduce after this many
   * consecutive rejections instead of `patience` (rejections redraw the samples: where contacts
   * stick, steps are rejected until a sample breaks the contact). Default `patience`.
   */
  rejectPatience?: number;
  /** Continuation: reduce after a rejected step (line search failed on the true dynamics). Default true. */
  reduceOnReject?: boolean;
  /** Iterations at a level before any reduction may happen (not too fast). Default 1: at most one reduction per iteration. */
  minItersPerLevel?: number;
  /** Iterations at a level after which a reduction is forced (not too slow; continuation and sensitivity). Default 10. */
  maxItersPerLevel?: number;
  /** Sensitivity: moving-average weight of the previous value. Default 0.9. */
  momentum?: number;
  /** Sensitivity: test v > 0 every this many iterations. Default 1. */
  sensitivityInterval?: number;
  /** Sensitivity: M <- min(M × sampleGrowth, maxSamples) at each reduction. Defaults 2 and MAX_SAMPLES (shared/limits.ts). */
  sampleGrowth?: number;
  maxSamples?: number;
  /** Polish: relative decrease that counts as progress. Default 1e-6. */
  polishThreshold?: number;
  /** Polish: iterations without progress before stopping. Default 2. */
  polishPatience?: number;
  /** Denominator floor of the relative decrease (costs near 0). Default 1e-12. */
  costFloor?: number;
  /** Noise increase: sigma <- min(sigma × increaseFactor, sigmaMax) on a blind stall. Default 2. */
  increaseFactor?: number;
  /** Upper bound of an increased sigma. Default sigma0 × increaseFactor^maxIncreases. */
  sigmaMax?: number;
  /** Increases allowed per solve (0: never). Default 0 (the planner turns it on). */
  maxIncreases?: number;
  /** Total iterations of the solve (0: unknown, no budget tail). Default 0. */
  budget?: number;
  /** Iterations at the end of the budget run as polish. Default 0. */
  polishTail?: number;
}

export type ResolvedNoiseScheduleParams = Required<NoiseScheduleParams>;

/** What the caller reports after each R-DDP iteration. */
export interface IterationStats {
  /** True (non-smooth dynamics) cost of the iterate the iteration started from. */
  trueCostBefore: number;
  /** True cost after the forward pass / line search (ignored when not accepted). */
  trueCostAfter: number;
  /** Whether the step was accepted. */
  accepted: boolean;
  /** Decrease predicted by the (smoothed) quadratic model for a full step (the noise increase's blindness test). */
  expectedImprovement?: number;
  /** Estimate of dJ/dsigma at this iteration (required by the 'sensitivity' rule while smoothing). */
  dJdSigma?: number;
}

/** The schedule's answer: settings for the next iteration. */
export interface ScheduleDecision {
  /** Noise scale for the next iteration (0 in the polish phase). */
  sigma: number;
  /** Sample count for the next iteration (unused while polishing). */
  samples: number;
  phase: SchedulePhase;
  /** True when the optimization should stop (polishing no longer improves). */
  stop: boolean;
  /** True when sigma changed (reduced, increased, or set to 0 for polishing). */
  reduced: boolean;
  reason: ScheduleReason;
}

/** One entry per completed iteration: the settings it ran with, what happened, the decision. */
export interface ScheduleRecord {
  iteration: number;
  sigma: number;
  samples: number;
  phase: SchedulePhase;
  trueCostBefore: number;
  trueCostAfter: number;
  accepted: boolean;
  /** (before - after) / max(|before|, costFloor) for accepted steps, 0 for rejected ones. */
  relativeDecrease: number;
  expectedImprovement?: number;
  dJdSigma?: number;
  /** Sensitivity moving average after this iteration (0 for other rules). */
  sensitivity: number;
  decision: ScheduleDecision;
}

export interface NoiseSchedule {
  readonly params: Readonly<ResolvedNoiseScheduleParams>;
  /** Settings for the next iteration to run. */
  readonly sigma: number;
  readonly samples: number;
  readonly phase: SchedulePhase;
  readonly stopped: boolean;
  /** Completed iterations. */
  readonly iteration: number;
  /** Current continuation threshold (after thresholdFactor reductions). */
  readonly progressThreshold: number;
  /** Sensitivity moving average v. */
  readonly sensitivity: number;
  readonly history: readonly ScheduleRecord[];
  /** Call after each iteration; returns the settings for the next. Throws once stopped. */
  update(stats: IterationStats): ScheduleDecision;
}

/** Fills defaults and checks ranges (throws RangeError with the offending name). */
export function resolveNoiseScheduleParams(p: NoiseScheduleParams): ResolvedNoiseScheduleParams {
  const rule = p.rule ?? 'continuation';
  if (rule !== 'continuation' && rule !== 'sensitivity' && rule !== 'decay') throw new RangeError(`unknown noise rule '${String(rule)}'`);
  const r: ResolvedNoiseScheduleParams = {
    sigma0: p.sigma0,
    samples0: p.samples0 ?? 32,
    rule,
    sigmaMin: p.sigmaMin ?? p.sigma0 * 1e-3,
    reductionFactor: p.reductionFactor ?? (rule === 'sensitivity' ? 1.1 : 2),
    progressThreshold: p.progressThreshold ?? 1e-3,
    thresholdFactor: p.thresholdFactor ?? 1,
    patience: p.patience ?? 2,
    rejectPatience: p.rejectPatience ?? p.patience ?? 2,
    reduceOnReject: p.reduceOnReject ?? true,
    minItersPerLevel: p.minItersPerLevel ?? 1,
    maxItersPerLevel: p.maxItersPerLevel ?? 10,
    momentum: p.momentum ?? 0.9,
    sensitivityInterval: p.sensitivityInterval ?? 1,
    sampleGrowth: p.sampleGrowth ?? 2,
    maxSamples: p.maxSamples ?? MAX_SAMPLES,
    polishThreshold: p.polishThreshold ?? 1e-6,
    polishPatience: p.polishPatience ?? 2,
    costFloor: p.costFloor ?? 1e-12,
    increaseFactor: p.increaseFactor ?? 2,
    sigmaMax: p.sigmaMax ?? p.sigma0 * Math.pow(p.increaseFactor ?? 2, p.maxIncreases ?? 0),
    maxIncreases: p.maxIncreases ?? 0,
    budget: p.budget ?? 0,
    polishTail: p.polishTail ?? 0,
  };
  const need = (ok: boolean, what: string, v: unknown): void => {
    if (!ok) throw new RangeError(`noise schedule: ${what}, got ${String(v)}`);
  };
  const posInt = (v: number): boolean => Number.isInteger(v) && v >= 1;
  need(Number.isFinite(r.sigma0) && r.sigma0 >= 0, 'sigma0 must be finite and >= 0', r.sigma0);
  need(posInt(r.samples0), 'samples0 must be a positive integer', r.samples0);
  need(Number.isFinite(r.sigmaMin) && r.sigmaMin >= 0, 'sigmaMin must be finite and >= 0', r.sigmaMin);
  need(r.reductionFactor > 1 && Number.isFinite(r.reductionFactor), 'reductionFactor must be > 1', r.reductionFactor);
  need(r.progressThreshold >= 0, 'progressThreshold must be >= 0', r.progressThreshold);
  need(r.thresholdFactor > 0 && r.thresholdFactor <= 1, 'thresholdFactor must be in (0, 1]', r.thresholdFactor);
  need(posInt(r.patience), 'patience must be a positive integer', r.patience);
  need(posInt(r.rejectPatience), 'rejectPatience must be a positive integer', r.rejectPatience);
  need(posInt(r.minItersPerLevel), 'minItersPerLevel must be a positive integer', r.minItersPerLevel);
  need(posInt(r.maxItersPerLevel) && r.maxItersPerLevel >= r.minItersPerLevel, 'maxItersPerLevel must be an integer >= minItersPerLevel', r.maxItersPerLevel);
  need(r.momentum >= 0 && r.momentum < 1, 'momentum must be in [0, 1)', r.momentum);
  need(posInt(r.sensitivityInterval), 'sensitivityInterval must be a positive integer', r.sensitivityInterval);
  need(r.sampleGrowth >= 1 && Number.isFinite(r.sampleGrowth), 'sampleGrowth must be >= 1', r.sampleGrowth);
  need(posInt(r.maxSamples) && r.maxSamples >= r.samples0, 'maxSamples must be an integer >= samples0', r.maxSamples);
  need(r.polishThreshold >= 0, 'polishThreshold must be >= 0', r.polishThreshold);
  need(posInt(r.polishPatience), 'polishPatience must be a positive integer', r.polishPatience);
  need(r.costFloor > 0, 'costFloor must be > 0', r.costFloor);
  need(r.increaseFactor > 1 && Number.isFinite(r.increaseFactor), 'increaseFactor must be > 1', r.increaseFactor);
  need(Number.isFinite(r.sigmaMax) && r.sigmaMax >= r.sigma0, 'sigmaMax must be finite and >= sigma0', r.sigmaMax);
  need(Number.isInteger(r.maxIncreases) && r.maxIncreases >= 0, 'maxIncreases must be an integer >= 0', r.maxIncreases);
  need(Number.isInteger(r.budget) && r.budget >= 0, 'budget must be an integer >= 0', r.budget);
  need(Number.isInteger(r.polishTail) && r.polishTail >= 0, 'polishTail must be an integer >= 0', r.polishTail);
  return r;
}

/** Creates the schedule; `sigma`, `samples`, `phase` are the settings of the first iteration. */
export function createNoiseSchedule(params: NoiseScheduleParams): NoiseSchedule {
  const P = resolveNoiseScheduleParams(params);
  let sigma = P.sigma0;
  let samples = P.samples0;
  let phase: SchedulePhase = P.sigma0 > 0 && P.sigma0 >= P.sigmaMin ? 'smooth' : 'polish';
  if (phase === 'polish') sigma = 0;
  let stopped = false;
  let iteration = 0;
  let smoothIters = 0; // completed smoothed iterations (decay rule)
  let itersAtLevel = 0;
  let stall = 0;
  let threshold = P.progressThreshold;
  let v = 0;
  let increases = 0;
  let reductions = 0; // reductions so far: once sigma was reduced from a level that saw something, it is never raised again
  let rejections = 0; // consecutive rejected iterations
  let progressAtLevel = false; // some iteration at the current level made progress
  const history: ScheduleRecord[] = [];

  /** sigma <- next, with the floor; returns the reason to report. */
  const reduceTo = (next: number, reason: ScheduleReason): ScheduleReason => {
    itersAtLevel = 0;
    stall = 0;
    rejections = 0;
    reductions++;
    progressAtLevel = false;
    threshold *= P.thresholdFactor;
    if (next < P.sigmaMin || next <= 0) {
      sigma = 0;
      phase = 'polish';
      return 'floor';
    }
    sigma = next;
    return reason;
  };

  const update = (stats: IterationStats): ScheduleDecision => {
    if (stopped) throw new Error('noise schedule: update() after stop');
    const { trueCostBefore: before, trueCostAfter: after, accepted } = stats;
    if (!Number.isFinite(before)) throw new RangeError(`noise schedule: trueCostBefore must be finite, got ${before}`);
    if (accepted && !Number.isFinite(after)) throw new RangeError(`noise schedule: accepted step with trueCostAfter = ${after}`);
    const ranSigma = sigma;
    const ranSamples = samples;
    const ranPhase = phase;
    const rel = accepted ? (before - after) / Math.max(Math.abs(before), P.costFloor) : 0;
    let reason: ScheduleReason;
    let reduced = false;

    if (accepted && rel >= threshold) progressAtLevel = progressAtLevel || phase === 'smooth';
    // A stall the smoothed model did not see either: it predicted (relative) nothing to gain.
    const blind = (): boolean => {
      if (increases >= P.maxIncreases || reductions > 0 || progressAtLevel || sigma >= P.sigmaMax) return false;
      const e = stats.expectedImprovement;
      return e !== undefined && Number.isFinite(e) && e / Math.max(Math.abs(before), P.costFloor) < threshold;
    };
    const increase = (): ScheduleReason => {
      increases++;
      itersAtLevel = 0;
      stall = 0;
      rejections = 0;
      v = 0;
      sigma = Math.min(sigma * P.increaseFactor, P.sigmaMax);
      return 'blind';
    };

    if (phase === 'polish') {
      if (accepted && rel >= P.polishThreshold) {
        stall = 0;
        reason = 'polish-progress';
      } else {
        stall++;
        reason = stall >= P.polishPatience ? 'polish-stall' : 'waiting';
        if (reason === 'polish-stall') stopped = true;
      }
    } else {
      itersAtLevel++;
      smoothIters++;
      if (P.rule === 'continuation') {
        const progress = accepted && rel >= threshold;
        stall = progress ? 0 : stall + 1;
        rejections = accepted ? 0 : rejections + 1;
        const onlyRejections = rejections === stall;
        let why: ScheduleReason | null = null;
        if (itersAtLevel >= P.minItersPerLevel) {
          if (!accepted && P.reduceOnReject) why = 'rejected';
          else if (stall >= P.patience && blind()) why = 'stall';
          else if (stall >= P.patience && (!onlyRejections || rejections >= P.rejectPatience)) why = 'stall';
          else if (itersAtLevel >= P.maxItersPerLevel) why = 'max-iters-per-level';
        }
        if ((why === 'stall' || why === 'rejected') && blind()) {
          reason = increase();
          reduced = true;
        } else if (why !== null) {
          reason = reduceTo(sigma / P.reductionFactor, why);
          reduced = true;
        } else {
          reason = progress ? 'progress' : 'waiting';
        }
      } else if (P.rule === 'sensitivity') {
        const g = stats.dJdSigma;
        if (g === undefined || !Number.isFinite(g)) throw new RangeError(`noise schedule: the sensitivity rule needs a finite dJdSigma, got ${g}`);
        v = P.momentum * v + (1 - P.momentum) * g;
        stall = accepted && rel >= threshold ? 0 : stall + 1;
        let why: ScheduleReason | null = null;
        if (itersAtLevel >= P.minItersPerLevel && (iteration + 1) % P.sensitivityInterval === 0 && v > 0) why = 'sensitivity';
        else if (itersAtLevel >= P.maxItersPerLevel) why = 'max-iters-per-level';
        if (why === null && stall >= P.patience && blind()) {
          reason = increase();
          reduced = true;
        } else if (why !== null) {
          reason = reduceTo(sigma / P.reductionFactor, why);
          reduced = true;
          samples = Math.min(Math.round(samples * P.sampleGrowth), P.maxSamples);
        } else {
          reason = 'waiting';
        }
      } else {
        reason = reduceTo(P.sigma0 / Math.sqrt(smoothIters + 1), 'decay');
        reduced = true;
      }
    }

    // the tail of the budget is polish, whatever the rule decided
    if (P.budget > 0 && phase === 'smooth' && iteration + 1 >= P.budget - P.polishTail) {
      sigma = 0;
      phase = 'polish';
      stall = 0;
      reason = 'budget-tail';
      reduced = true;
    }
    const decision: ScheduleDecision = { sigma, samples, phase, stop: stopped, reduced, reason };
    history.push({
      iteration,
      sigma: ranSigma,
      samples: ranSamples,
      phase: ranPhase,
      trueCostBefore: before,
      trueCostAfter: after,
      accepted,
      relativeDecrease: rel,
      expectedImprovement: stats.expectedImprovement,
      dJdSigma: stats.dJdSigma,
      sensitivity: v,
      decision,
    });
    iteration++;
    return decision;
  };

  return {
    params: P,
    get sigma() {
      return sigma;
    },
    get samples() {
      return samples;
    },
    get phase() {
      return phase;
    },
    get stopped() {
      return stopped;
    },
    get iteration() {
      return iteration;
    },
    get progressThreshold() {
      return threshold;
    },
    get sensitivity() {
      return v;
    },
    history,
    update,
  };
}
