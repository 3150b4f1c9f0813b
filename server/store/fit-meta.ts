/**
 * What a pose fit's recording says about itself (its MCAP metadata record `rsddp.fit`), and
 * how it is told from a plan recording (`kind: 'fit'`). fit-recordings.ts writes and reads them.
 */
import type { FitRecordingInfo, FitRecordingMeta } from '../../shared/protocol.ts';

export const FIT_METADATA = 'rsddp.fit';

/** Defined once, on the wire (shared/protocol.ts FitRecordingMetaSchema, FitRecordingInfoSchema). */
export type { FitRecordingInfo, FitRecordingMeta };

export function isFitMeta(m: object): m is FitRecordingMeta {
  return (m as { kind?: unknown }).kind === 'fit';
}
