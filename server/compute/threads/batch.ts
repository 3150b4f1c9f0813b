/**
 * Thread side of the `workers` batch backend (workers-backend.ts): rebuilds the simulator from a
 * SimSpec once, then evaluates ranges of step pairs or smoothing knots with BatchEvaluator
 * (batch.ts), reading and writing SharedArrayBuffers.
 */
import { BatchEvaluator, type SmoothBatch, type StepBatch } from '../batch.ts';
import { Simulator, type SimOptions } from '../../dynamics/step.ts';
import type { Scene } from '../../dynamics/scene.ts';
import { loadRobot } from '../../model/robots.ts';
import { getTask, resolveParams } from '../../control/tasks/index.ts';
import { serve } from '../worker-entry.ts';

/** How a worker rebuilds the simulator: a task's own, or a robot in a scene. */
export type SimSpec =
  | { task: string; params: Record<string, number | string> }
  | { robot: string; scene: Scene; options: Partial<SimOptions> };

export interface SharedView { buf: SharedArrayBuffer; offset: number; length: number }

export interface BatchWorkerInit { kind: 'init'; spec: SimSpec }

export type BatchWorkerRun =
  | { kind: 'step'; i0: number; i1: number; count: number; x: SharedView; u: SharedView; xNext: SharedView }
  | {
    kind: 'smooth'; t0: number; t1: number; knots: number; samples: number;
    x: SharedView; u: SharedView; sigma: SharedView; noise: SharedView;
    f0: SharedView; value: SharedView; J: SharedView; stdErr: SharedView | null;
  };

/** The Simulator a spec describes (also used in the main thread by the factory). */
export function simulatorFor(spec: SimSpec): Simulator {
  if ('task' in spec) {
    const def = getTask(spec.task);
    return def.build(resolveParams(def, spec.params)).sim;
  }
  const { model } = loadRobot(spec.robot);
  return new Simulator(model, spec.scene, spec.options);
}

const view = (v: SharedView) => new Float64Array(v.buf, v.offset, v.length);

let ev: BatchEvaluator | null = null;
serve<BatchWorkerInit | BatchWorkerRun>((msg) => {
  if (msg.kind === 'init') {
    ev = new BatchEvaluator(simulatorFor(msg.spec));
    return;
  }
  if (!ev) throw new Error('batch thread not initialized');
  if (msg.kind === 'step') {
    const b: StepBatch = { count: msg.count, x: view(msg.x), u: view(msg.u), xNext: view(msg.xNext) };
    ev.stepRange(b, msg.i0, msg.i1);
  } else {
    const b: SmoothBatch = {
      knots: msg.knots, samples: msg.samples, x: view(msg.x), u: view(msg.u), sigma: view(msg.sigma), noise: view(msg.noise),
      f0: view(msg.f0), value: view(msg.value), J: view(msg.J), stdErr: msg.stdErr ? view(msg.stdErr) : undefined,
    };
    ev.smoothRange(b, msg.t0, msg.t1);
  }
});
