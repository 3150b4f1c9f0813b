/**
 * What a pose fit's recording says about itself (its MCAP metadata record `rsddp.fit`), and
 * how it is told from a plan recording (`kind: 'fit'`). fit-recordings.ts writes and reads them.
 */
export const FIT_METADATA = 'rsddp.fit';

export interface FitRecordingMeta {
  id: string;
  kind: 'fit';
  fit: string;
  method: string;
  object: string;
  /** Image side (px). */
  imageSize: number;
  seed: number;
  /** Iterations run (fewer than asked when cancelled). */
  iterations: number;
  status: string;
  cancelled: boolean;
  success: boolean | null;
  /** Rotation error of the returned pose and of the initial pose (deg; null for an image of unknown pose). */
  errorDeg: number | null;
  initialErrorDeg: number | null;
  bestLoss: number | null;
  target: 'pose' | 'image';
  targetPose: { rotation: number[]; translation: number[] } | null;
  initialPose: { rotation: number[]; translation: number[] };
  pose: { rotation: number[]; translation: number[] };
  fitsTranslation: boolean;
  projectVersion: string;
  startedAt: string;
  finishedAt: string;
  timeMs: number;
}

export interface FitRecordingInfo extends FitRecordingMeta {
  file: string;
  /** File size (bytes). */
  size: number;
}

export function isFitMeta(m: object): m is FitRecordingMeta {
  return (m as { kind?: unknown }).kind === 'fit';
}
