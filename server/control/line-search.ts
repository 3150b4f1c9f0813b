/**
 * DDP's backtracking line search on the true dynamics: α = 1, α·factor, … down to minStepLength;
 * a trial is accepted when its actual improvement over the quadratic model's,
 *     (J − J_α) / (−ΔJ(α)),  ΔJ(α) = α d1 + ½ α² d2,
 * is at least acceptanceRatio (and the model predicts a descent).
 */
export interface LineSearchOptions {
  lineSearchFactor: number;
  minStepLength: number;
  acceptanceRatio: number;
}

/** What the last trial gave (the accepted one when accepted). */
export interface LineSearchOutcome {
  accepted: boolean;
  /** Last step length tried. */
  alpha: number;
  /** Its true cost. */
  cost: number;
  /** −ΔJ(α) at that step length. */
  expected: number;
  trials: number;
}

/** tryStep(α) rolls the trial out and returns its true cost (Infinity when not finite). */
export function backtrackingLineSearch(
  tryStep: (alpha: number) => number, costBefore: number, d1: number, d2: number, o: LineSearchOptions, out: LineSearchOutcome,
): LineSearchOutcome {
  out.accepted = false; out.trials = 0;
  let alpha = 1;
  for (;;) {
    const J = tryStep(alpha);
    out.trials++;
    const expected = -(alpha * d1 + 0.5 * alpha * alpha * d2);
    out.alpha = alpha; out.cost = J; out.expected = expected;
    if (expected > 0 && (costBefore - J) / expected >= o.acceptanceRatio) { out.accepted = true; return out; }
    alpha *= o.lineSearchFactor;
    if (alpha < o.minStepLength * (1 - 1e-12)) return out;
  }
}
