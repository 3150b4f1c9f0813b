/** Cluster test helpers: results without their wall-clock fields, for bit-for-bit comparison. */
import type { PlanResult } from '../../server/planning/planner.ts';

/** A result with every timing removed (they are wall clock); everything else must match exactly. */
export function withoutTimes(r: PlanResult): unknown {
  const { timings: _t, telemetry, ...rest } = r;
  return { ...rest, telemetry: telemetry.map(({ times: _x, ...rec }) => rec) };
}

export async function until(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!(await pred())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
