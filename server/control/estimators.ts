/**
 * The randomized-smoothing estimators R-DDP can use: one entry each, keyed by the wire name
 * (shared/protocol.ts ESTIMATORS; the `satisfies` below makes a name without an entry, or an
 * entry without a name, a compile error). The formulas live in smoothing.ts; an entry says
 * what every sample must provide and turns a filled sample batch into the Jacobian
 * [A B] (m × n). SmoothedLinearization (derivative-providers.ts) and the backends
 * (compute/providers.ts) ask the entry, never the name. Adding an estimator is one entry here
 * plus its name on the wire, and its tests.
 */
import type { ESTIMATORS as WIRE_NAMES } from '../../shared/protocol.ts';
import { firstOrderJacobian, leastSquaresJacobian, zeroOrderJacobian, type SampleBatch } from './smoothing.ts';

export type Estimator = (typeof WIRE_NAMES)[number];

/** The buffers an estimate reads and writes. */
export interface EstimatorIo {
  /** Out: m × n. */
  J: Float64Array;
  /** In ('jacobian' estimators): M × m × n exact Jacobians at the samples. */
  Js: Float64Array;
  /** In ('value' estimators): m × n exact Jacobian, used for the unperturbed columns. */
  fallback: Float64Array;
}

export interface EstimatorDef {
  readonly description: string;
  /**
   * What each sample provides: 'value', its next state (batch.F, with the nominal next state as
   * the baseline f0; the unperturbed columns come from the exact Jacobian), or 'jacobian', the
   * exact Jacobian of the step at the sample (Js).
   */
  readonly samples: 'value' | 'jacobian';
  /** The GPU backend's kernels compute it (the zero-order reduction only). */
  readonly gpu: boolean;
  estimate(batch: SampleBatch, io: EstimatorIo): void;
}

export const ESTIMATOR_DEFS = {
  zero: {
    description: 'zero-order: score function with the f(x, u) baseline (seed eq. 3); sound across contact jumps',
    samples: 'value',
    gpu: true,
    estimate(batch, io) { zeroOrderJacobian(batch, io.J, { fallback: io.fallback }); },
  },
  first: {
    description: 'first-order: the mean of the exact Jacobians at the samples (seed eq. 4); zero where every sample sticks',
    samples: 'jacobian',
    gpu: false,
    estimate(batch, io) { firstOrderJacobian(batch, io.Js, io.J); },
  },
  lsq: {
    description: 'least squares: the linear model through f(x, u) that best fits the sampled differences (the same smoothed Jacobian as zero-order in expectation, lower variance where f is nearly affine over the noise); zero-order when the fit is singular',
    samples: 'value',
    gpu: false,
    estimate(batch, io) {
      if (!leastSquaresJacobian(batch, io.J, { fallback: io.fallback })) zeroOrderJacobian(batch, io.J, { fallback: io.fallback });
    },
  },
} as const satisfies Record<Estimator, EstimatorDef>;

export function estimatorDef(name: Estimator): EstimatorDef {
  return ESTIMATOR_DEFS[name];
}
