/**
 * What the server and the workers agree on besides the job schema (shared/protocol.ts): the
 * BullMQ queue, the Redis names of a job's live channel and cancel flag, the messages on the
 * channel, and how connections are made. A Redis URL may carry a password
 * (redis://:secret@host:6379) and TLS (rediss://); nothing of Redis reaches the HTTP API.
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { IterationRecord, Trajectory } from '../planning/planner.ts';
import type { SolveWhere } from '../../shared/protocol.ts';

/** Key prefix of everything this project keeps in Redis. */
export const PREFIX = 'rsddp';
export const QUEUE = 'solves';
/** Pose fits (one method run each: perception/fit-job.ts). */
export const FIT_QUEUE = 'fits';

/** Worker → server, per job: who started it, then every iteration. */
export const channelOf = (jobId: string) => `${PREFIX}:live:${jobId}`;
/** Server → workers: a cancel (a key, so a worker that starts the job later still sees it, and a message). */
export const cancelKeyOf = (jobId: string) => `${PREFIX}:cancel:${jobId}`;
export const CANCEL_PATTERN = `${PREFIX}:cancel:*`;
export const CANCEL_TTL_S = 24 * 3600;
/** Server: the job was seen to the end (value: its recording's id, '' when none), kept as long as failed jobs are. */
export const settledKeyOf = (jobId: string) => `${PREFIX}:settled:${jobId}`;
export const SETTLED_TTL_S = 24 * 3600;
/** Jobs a server looks through when it starts again (the newest first). */
export const MAX_ADOPT_SCAN = 2000;

/** Worker → server on a job's live channel: where it started, then its iterates (I: per kind of job). */
export type LiveMessage<I> =
  | ({ kind: 'start' } & SolveWhere)
  | { kind: 'iterate'; attempt: number; payload: I };

/** A solve's iterate: the planner's record and the trajectory it evaluated. */
export interface SolveIterate { record: IterationRecord; trajectory: Trajectory }

/** Stall detection of a worker's job lock (BullMQ): a killed worker's job is retried after about lockMs. */
export interface LockOptions {
  /** How long a job's lock lives without renewal (default 30 s, BullMQ's). */
  lockMs?: number;
  /** How often workers look for stalled jobs (default 30 s, BullMQ's). */
  stalledIntervalMs?: number;
}

/**
 * TLS (`rediss://` URLs): the server's certificate is checked against the system's CAs, plus
 * the PEM file named by RSDDP_REDIS_CA (`--redis-ca FILE` sets it), e.g. a lab's own CA or a
 * self-signed Redis certificate.
 */
function tlsOptions(url: string): { tls: { ca: Buffer[] } } | Record<string, never> {
  const file = process.env.RSDDP_REDIS_CA;
  if (!url.startsWith('rediss://') || !file) return {};
  try {
    return { tls: { ca: [readFileSync(file)] } };
  } catch (e) {
    throw new Error(`RSDDP_REDIS_CA: cannot read '${file}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** A connection that retries forever (BullMQ's requirement for workers), reconnecting with backoff. */
export function connect(url: string, name: string): Redis {
  const r = new Redis(url, {
    ...tlsOptions(url),
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: name,
    retryStrategy: (times) => Math.min(100 * times, 2000),
  });
  // reconnects are ioredis's job; an unhandled 'error' event would end the process
  r.on('error', () => undefined);
  return r;
}
