/**
 * The errors of a plan request, typed: each names the part of the request that is wrong
 * (`field`, in the API's terms: `task`, `params.<name>`, `warmStart`), so that callers (the
 * API's PlanManager, the CLIs) decide by class and field, never by the message's wording.
 *
 * A plan that runs on a solve thread (server/planning/thread-solves.ts) loses an error's class at
 * the thread boundary (structured clone keeps only name and message): `errorToWire` and
 * `errorFromWire` carry these classes across with their fields. Other errors arrive as a plain
 * Error with the same message.
 */

/** A plan request the planner refuses (the request, not the computation, is at fault). */
export abstract class PlanRequestError extends Error {
  /** The request field at fault, as the API names it (`params.height`, `warmStart`, `task`). */
  abstract readonly field: string;
}

/** A task parameter that is unknown or out of its schema; `param` is its name (null: the parameters as a whole). */
export class TaskParamError extends PlanRequestError {
  override readonly name = 'TaskParamError';
  constructor(readonly task: string, readonly param: string | null, message: string) { super(message); }
  get field(): string { return this.param === null ? 'params' : `params.${this.param}`; }
}

/** A task name nobody registered. */
export class UnknownTaskError extends PlanRequestError {
  override readonly name = 'UnknownTaskError';
  readonly field = 'task';
  constructor(readonly task: string, readonly known: readonly string[]) {
    super(`unknown task '${task}' (known: ${known.join(', ')})`);
  }
}

/** A robot the task cannot run on (unknown, or missing what the task needs: feet, a standing posture, an end effector). */
export class RobotMismatchError extends PlanRequestError {
  override readonly name = 'RobotMismatchError';
  readonly field = 'robot';
  /** `unknown`: no robot of that id (404 at the API); else the robot lacks something (400). */
  constructor(readonly task: string, readonly robot: string, readonly unknown: boolean, message: string) { super(message); }
}

/** Warm-start controls whose shape does not match the task's horizon / dt (T controls of nu numbers). */
export class WarmStartError extends PlanRequestError {
  override readonly name = 'WarmStartError';
  readonly field = 'warmStart';
  constructor(readonly controls: number, readonly nu: number) {
    super(`warm start must have ${controls} controls of ${nu} numbers (the task's horizon / dt)`);
  }
}

/** What crosses a thread boundary for an error (structured-clone safe). */
export type WireError =
  | { kind: 'TaskParamError'; message: string; task: string; param: string | null }
  | { kind: 'UnknownTaskError'; message: string; task: string; known: string[] }
  | { kind: 'WarmStartError'; message: string; controls: number; nu: number }
  | { kind: 'RobotMismatchError'; message: string; task: string; robot: string; unknown: boolean }
  | { kind: 'Error'; message: string };

export function errorToWire(e: unknown): WireError {
  if (e instanceof TaskParamError) return { kind: 'TaskParamError', message: e.message, task: e.task, param: e.param };
  if (e instanceof UnknownTaskError) return { kind: 'UnknownTaskError', message: e.message, task: e.task, known: [...e.known] };
  if (e instanceof WarmStartError) return { kind: 'WarmStartError', message: e.message, controls: e.controls, nu: e.nu };
  if (e instanceof RobotMismatchError) return { kind: 'RobotMismatchError', message: e.message, task: e.task, robot: e.robot, unknown: e.unknown };
  return { kind: 'Error', message: (e as Error)?.message ?? String(e) };
}

export function errorFromWire(w: WireError): Error {
  switch (w.kind) {
    case 'TaskParamError': return new TaskParamError(w.task, w.param, w.message);
    case 'UnknownTaskError': return new UnknownTaskError(w.task, w.known);
    case 'WarmStartError': return new WarmStartError(w.controls, w.nu);
    case 'RobotMismatchError': return new RobotMismatchError(w.task, w.robot, w.unknown, w.message);
    default: return new Error(w.message);
  }
}
