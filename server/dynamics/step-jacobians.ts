/**
 * The exact step Jacobians a provider asks for, by the chosen method (shared/protocol.ts
 * DERIVATIVES): 'fd', the finite-difference Linearizer (the reference); 'analytic', the
 * AnalyticLinearizer, with the Linearizer for any step it does not cover (a contact with a
 * static box, a cylinder, a degenerate sliding contact: NotCoveredError), counted in
 * `fallbacks`. Same signature and layout as Linearizer.linearize.
 */
import { DEFAULT_DERIVATIVES, type DerivativesMode } from '../../shared/protocol.ts';
import { AnalyticLinearizer, NotCoveredError } from './step-derivatives-analytic.ts';
import { Linearizer } from './step-derivatives.ts';
import type { Simulator } from './step.ts';

export class StepJacobians {
  readonly mode: DerivativesMode;
  private readonly fd: Linearizer;
  private readonly analytic: AnalyticLinearizer | null;
  /** Steps the analytic path handed to finite differences, and the last reason. */
  fallbacks = 0;
  lastFallback = '';

  constructor(readonly sim: Simulator, mode: DerivativesMode = DEFAULT_DERIVATIVES) {
    this.mode = mode;
    this.fd = new Linearizer(sim);
    let analytic: AnalyticLinearizer | null = null;
    if (mode === 'analytic') {
      try { analytic = new AnalyticLinearizer(sim); } catch (e) {
        if (!(e instanceof NotCoveredError)) throw e;
        this.lastFallback = e.message; // a model it does not cover: finite differences throughout
      }
    }
    this.analytic = analytic;
  }

  linearize(
    q: ArrayLike<number>, v: ArrayLike<number>, u: ArrayLike<number>,
    qNext: Float64Array, vNext: Float64Array, A: Float64Array, B: Float64Array, ao = 0, bo = 0,
  ): void {
    if (this.analytic !== null) {
      try {
        this.analytic.linearize(q, v, u, qNext, vNext, A, B, ao, bo);
        return;
      } catch (e) {
        if (!(e instanceof NotCoveredError)) throw e;
        this.fallbacks++;
        this.lastFallback = e.message;
      }
    }
    this.fd.linearize(q, v, u, qNext, vNext, A, B, ao, bo);
  }
}
