/** The simulator's settings (step.ts) and their documented defaults. */
import type { ContactSolverOptions } from '../contact-solver.ts';

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
