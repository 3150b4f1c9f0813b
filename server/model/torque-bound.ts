/**
 * A robot's own actuator torque bound, per actuated joint (u order), and where it came from:
 * 1. the metadata's `torqueLimit` (the user's statement, one value for every joint);
 * 2. else the URDF's `<limit effort>` of every actuated joint, when none is a placeholder;
 * 3. else none (null): the task's default applies.
 *
 * A placeholder effort is one that states no actuator: missing, 0 (the URDF reader already
 * reads 0 as "no limit", urdf-build.ts), not finite, or PLACEHOLDER_EFFORT_NM and above, the
 * round numbers exporters write when they know nothing (example-robot-data's Solo-12 and Solo-8
 * say 1000 N m for motors whose peak is about 2.7 N m). One placeholder among the actuated
 * joints discards the URDF's bounds altogether: a robot half bounded by its data and half by a
 * guess would mislead more than one bounded by the task's stated default.
 */
import { actuatedDofs, type Model } from './model.ts';

/** Effort limits at or above this (N m or N) are exporters' placeholders, not actuators. */
export const PLACEHOLDER_EFFORT_NM = 1000;

export interface RobotTorqueBound {
  /** |u_k| <= bound[k] (u order), or null when the robot states none (the task's default applies). */
  bound: Float64Array | null;
  /** Where it came from (or why there is none), one sentence. */
  why: string;
}

/** Whether a URDF effort limit (Infinity when none) is a placeholder (module doc). */
export function isPlaceholderEffort(effort: number): boolean {
  return !Number.isFinite(effort) || !(effort > 0) || effort >= PLACEHOLDER_EFFORT_NM;
}

/** The robot's torque bound (module doc). */
export function robotTorqueBound(model: Model, metaTorqueLimit: number | null): RobotTorqueBound {
  if (metaTorqueLimit !== null) {
    return { bound: new Float64Array(model.nu).fill(metaTorqueLimit), why: `the metadata's torqueLimit (${metaTorqueLimit} N m)` };
  }
  const act = actuatedDofs(model);
  if (act.length === 0) return { bound: null, why: 'no actuated joint' };
  const efforts = Array.from(act, (i) => model.effortLimit[i]);
  const bad = efforts.map((e, k) => (isPlaceholderEffort(e) ? k : -1)).filter((k) => k >= 0);
  if (bad.length) {
    const e = efforts[bad[0]];
    const what = Number.isFinite(e) ? `${e}` : 'none (missing or 0)';
    return { bound: null, why: `the URDF's effort limits are placeholders (${bad.length} of ${act.length} actuated joints; e.g. ${what}; placeholders: missing, 0, >= ${PLACEHOLDER_EFFORT_NM})` };
  }
  const distinct = [...new Set(efforts)].sort((a, b) => a - b);
  return { bound: Float64Array.from(efforts), why: `the URDF's effort limits (${distinct.join(', ')} N m)` };
}
