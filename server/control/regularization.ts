/**
 * DDP's Levenberg-Marquardt regularization μ and its schedule (ddp.ts DdpOptions):
 * μ ← max(μ · regIncrease, regFailureFloor) after a failed backward pass, a rejected step or an
 * accepted step shorter than regIncreaseStepLength (a poor model); μ ← max(μ / regDecrease,
 * regMin) after an accepted step of length ≥ regDecreaseStepLength. Past regMax the solve
 * gives up ('regularizationLimit').
 */
/** The fields of DdpOptions (ddp.ts, documented there) the schedule reads. */
export interface RegularizationOptions {
  regInit: number; regIncrease: number; regDecrease: number; regMin: number; regMax: number; regFailureFloor: number;
  regIncreaseStepLength: number; regDecreaseStepLength: number;
}

export class Regularization {
  mu: number;

  constructor(private readonly o: RegularizationOptions) {
    this.mu = o.regInit;
  }

  reset(): void {
    this.mu = this.o.regInit;
  }

  /** Raises μ; false when it passed regMax. */
  increase(): boolean {
    this.mu = Math.max(this.mu * this.o.regIncrease, this.o.regFailureFloor);
    return this.mu <= this.o.regMax;
  }

  /** After an accepted step of length alpha; false when μ passed regMax. */
  accepted(alpha: number): boolean {
    if (alpha >= this.o.regDecreaseStepLength) { this.mu = Math.max(this.mu / this.o.regDecrease, this.o.regMin); return true; }
    if (alpha < this.o.regIncreaseStepLength) return this.increase();
    return true;
  }
}
