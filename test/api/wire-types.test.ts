/**
 * The wire's types are defined once, by the zod schemas of shared/protocol.ts, and the server's
 * types are derived from them. This test fails when the two drift:
 * - at run time: real output (short DDP and R-DDP plans, the solver's own iteration records, a pose fit)
 *   sent through JSON parses with the schemas strictly, and parsing changes nothing
 *   (zod drops keys it does not know at any depth: a field the schema lacks shows as a
 *   difference), and every field the schema declares is emitted;
 * - at compile time (`tsc`, run by CI): the server's and the client's types equal the schemas'.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import {
  DdpIterationSchema, FitIterateSchema, FitResultSchema, IterationRecordSchema, RecordingContentSchema, RecordingInfoSchema, RecordingListSchema, PlanResultSchema, ResolvedSolverParamsSchema, TrajectorySchema,
  type ComputeInfo as WireComputeInfo, type ContactSampleMsg, type DdpIteration, type IterationRecordMsg, type LimitSampleMsg,
  type PlanResultMsg, type SolveJobRequest, type TrajectoryMsg, type FitIterateMsg, type FitMethod, type FitResultMsg,
} from '../../shared/protocol.ts';
import { plan, type IterationRecord, type PlanRequest, type PlanResult, type SolverParams, type Trajectory } from '../../server/planning/planner.ts';
import { DdpSolver, type IterateTelemetry } from '../../server/control/ddp.ts';
import { QuadraticCost } from '../../server/control/cost.ts';
import { fdLinearization, type Dynamics } from '../../server/control/problem.ts';
import type { ComputeInfo } from '../../server/compute/providers.ts';
import type { ContactSample, LimitSample } from '../../server/planning/contact-trace.ts';
import type { NoiseRule } from '../../server/control/schedule.ts';
import type { Estimator } from '../../server/control/estimators.ts';
import type { SolveView } from '../../client/connection.ts';
import { RecordingStore, type RecordingContent } from '../../server/store/recordings.ts';
import type { FitIterate } from '../../server/rendering/pose-fit.ts';
import type { RenderMode } from '../../server/rendering/renderer.ts';
import { renderTarget, runFitJob, type FitJobIterate, type FitJobResult } from '../../server/perception/fit-job.ts';

/**
 * A wire type with its `number | null` (JSON's NaN and ±Infinity) read as plain numbers: the
 * in-memory form, for records whose every nullable number is such a number.
 */
type InMemory<T> = T extends number | null ? (null extends T ? Exclude<T, null> : T)
  : T extends string | boolean | undefined ? T
  : { [K in keyof T]: InMemory<T[K]> }; // homomorphic: arrays and tuples stay arrays and tuples

const roundTrip = <T>(v: T): unknown => JSON.parse(JSON.stringify(v));

/** Parses strictly at the top level and checks that nothing below was dropped or changed. */
function expectExact(schema: z.ZodObject, value: unknown): void {
  const json = roundTrip(value);
  const r = schema.strict().safeParse(json);
  if (!r.success) throw new Error(`does not parse: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  expect(r.data).toEqual(json);
}

/** Every key the schema declares (one level into nested objects), optional ones included unless skipped, is present in the value. */
function expectAllFields(schema: z.ZodObject, value: object, skip: readonly string[] = []): void {
  for (const [k, s] of Object.entries(schema.shape)) {
    if (skip.includes(k)) continue;
    expect(Object.keys(value), `field '${k}'`).toContain(k);
    const inner = (s as z.ZodType).def.type === 'object' ? (s as z.ZodObject) : null;
    if (inner) for (const k2 of Object.keys(inner.shape)) expect(Object.keys((value as Record<string, object>)[k]), `field '${k}.${k2}'`).toContain(k2);
  }
}

describe('real planner output matches the wire schemas exactly', () => {
  for (const solver of ['ddp', 'rddp'] as const) {
    it(`${solver}: the result, every iteration record and the iterates' trajectories`, async () => {
      const records: IterationRecord[] = [];
      const trajectories: Trajectory[] = [];
      const result = await plan({
        task: 'cube-lift', solver, params: { horizon: 0.1 }, solverParams: { iterations: 4, samples: 4, backend: 'cpu' }, feedbackGains: true,
        onIterate: (rec, traj) => { records.push(rec); trajectories.push(traj()); },
      });
      expect(records.length).toBeGreaterThan(0);
      expectExact(PlanResultSchema, result);
      expect(result.feedback).toBeDefined();
      // on the wire any record; what the planner resolved parses with its own (strict) schema
      expect(ResolvedSolverParamsSchema.parse(result.solverParams)).toEqual(result.solverParams);
      for (const rec of [...records, ...result.telemetry]) {
        expectExact(IterationRecordSchema, rec);
        // the solver's diagnostics, optional on the wire for older recordings, are all emitted
        expectAllFields(IterationRecordSchema, rec);
      }
      expect(result.telemetry).toEqual(records);
      for (const t of trajectories) expectExact(TrajectorySchema, t);
      // recorded and read back: the listing and the content are the wire's too
      const dir = mkdtempSync(path.join(os.tmpdir(), 'rsddp-wire-'));
      try {
        const store = new RecordingStore(dir);
        const now = new Date();
        await store.save({ plan: 'p', run: 0, warmStart: false, startedAt: now, finishedAt: now, result });
        const list = await store.list();
        expectExact(RecordingListSchema, list);
        expect(list.recordings).toHaveLength(1);
        expectAllFields(RecordingInfoSchema, list.recordings[0], ['kind']); // kind: 'live' for live sessions, absent for plans
        expectExact(RecordingContentSchema, await store.read(list.recordings[0].id));
      } finally { rmSync(dir, { recursive: true, force: true }); }
    });
  }

  it("the DDP solver's own records match DdpIterationSchema", async () => {
    // a double integrator with quadratic costs: the records come from the solver, not the planner
    const n = 2, dt = 0.1;
    const dynamics: Dynamics = {
      nq: 1, nv: 1, nu: 1,
      step(x, u, out) { out[1] = x[1] + dt * u[0]; out[0] = x[0] + dt * out[1]; },
      integrate(x, dx, out) { for (let i = 0; i < n; i++) out[i] = x[i] + dx[i]; },
      difference(x0, x1, out) { for (let i = 0; i < n; i++) out[i] = x1[i] - x0[i]; },
    };
    const solver = new DdpSolver({
      dynamics, T: 10, x0: Float64Array.of(1, 0), uLower: [-2], uUpper: [2],
      running: new QuadraticCost(n, 1, { Q: [1, 0, 0, 0.1], R: [0.01] }),
      terminal: new QuadraticCost(n, 1, { Q: [100, 0, 0, 10] }),
    });
    const telemetry: IterateTelemetry[] = [];
    const res = await solver.solve(Array.from({ length: 10 }, () => new Float64Array(1)), {
      maxIterations: 5, linearization: fdLinearization(dynamics),
      onIterate: ({ xs: _xs, us: _us, ...rec }) => { telemetry.push(rec); },
    });
    expect(res.telemetry).toEqual(telemetry);
    expect(telemetry.length).toBeGreaterThan(0);
    for (const rec of telemetry) { expectExact(DdpIterationSchema, rec); expectAllFields(DdpIterationSchema, rec); }
  });

  it("a pose fit's iterates and result (perturbed, 5 iterations at 16 px)", async () => {
    const truth = { rotation: [0.4, -0.6, 0.3], translation: [0, 0, 0] };
    const records: FitJobIterate['record'][] = [];
    const r = await runFitJob({
      object: 'cube', size: 16, method: 'perturbed', iterations: 5, seed: 1, samples: 4, noise: 'gaussian', translation: false,
      target: renderTarget('cube', 16, truth), truth, init: { rotation: [0.55, -0.45, 0.2], translation: [0, 0, 0] }, imageEvery: 10,
    }, (it) => records.push(it.record));
    expect(records).toHaveLength(5);
    expectExact(FitResultSchema, r);
    for (const rec of records) { expectExact(FitIterateSchema, rec); expectAllFields(FitIterateSchema, rec); }
  });

  it('a field the schema does not know fails (the check above can fail)', () => {
    const rec = { iteration: 0, cost: 1, costBefore: 2, expectedImprovement: 1, actualImprovement: 1, stepLength: 1, regularization: 0, gradientNorm: 0, accepted: true, sigma: 0, samples: 0, phase: 'exact', times: { linearize: 0, backward: 0, forward: 0, total: 0 } };
    expect(() => expectExact(IterationRecordSchema, rec)).not.toThrow();
    expect(() => expectExact(IterationRecordSchema, { ...rec, extra: 1 })).toThrow();
    expect(() => expectExact(IterationRecordSchema, { ...rec, times: { ...rec.times, extra: 1 } })).toThrow();
  });
});

describe('server and client types are the schemas\' (checked by tsc)', () => {
  it('type equalities', () => {
    // the solver emits the wire's record; the planner adds the smoothing level and passes it on
    expectTypeOf<IterateTelemetry>().toEqualTypeOf<DdpIteration>();
    expectTypeOf<IterationRecord>().toEqualTypeOf<InMemory<IterationRecordMsg>>();
    expectTypeOf<IterationRecord>().toExtend<IterationRecordMsg>();
    // (compute has a legitimately nullable number: ComputeInfo, compared below)
    expectTypeOf<Omit<PlanResult, 'solverParams' | 'compute'>>().toEqualTypeOf<InMemory<Omit<PlanResultMsg, 'solverParams' | 'compute'>>>();
    expectTypeOf<PlanResult['compute']>().toEqualTypeOf<PlanResultMsg['compute']>();
    expectTypeOf<PlanResult['solverParams']>().toEqualTypeOf<SolverParams>();
    expectTypeOf<SolverParams>().toEqualTypeOf<z.infer<typeof ResolvedSolverParamsSchema>>();
    expectTypeOf<PlanResult['solverParams']>().toExtend<PlanResultMsg['solverParams']>();
    expectTypeOf<Trajectory>().toEqualTypeOf<TrajectoryMsg>();
    expectTypeOf<ComputeInfo>().toEqualTypeOf<WireComputeInfo>();
    expectTypeOf<ContactSample>().toEqualTypeOf<ContactSampleMsg>();
    expectTypeOf<LimitSample>().toEqualTypeOf<LimitSampleMsg>();
    expectTypeOf<NoiseRule>().toEqualTypeOf<SolverParams['rule']>();
    expectTypeOf<Estimator>().toEqualTypeOf<SolverParams['estimator']>();
    // a plan request is a cluster job's request plus what only this process can pass
    type Local = 'onIterate' | 'signal' | 'resolvedBackend';
    expectTypeOf<Omit<PlanRequest, Local | 'params' | 'solverParams'>>().toEqualTypeOf<Omit<SolveJobRequest, 'params' | 'solverParams'>>();
    expectTypeOf<PlanRequest['solverParams']>().toEqualTypeOf<SolveJobRequest['solverParams'] | undefined>();
    // pose fits: the renderer's iterate and a job's result are the wire's (errorDeg is null for an image of unknown pose, in memory too)
    expectTypeOf<FitIterate>().toExtend<FitIterateMsg>();
    expectTypeOf<keyof FitIterate>().toEqualTypeOf<keyof FitIterateMsg>();
    expectTypeOf<FitIterate['loss']>().toEqualTypeOf<number>();
    expectTypeOf<FitIterate['errorDeg']>().toEqualTypeOf<number | null>();
    expectTypeOf<FitJobResult>().toExtend<FitResultMsg>();
    expectTypeOf<keyof FitJobResult>().toEqualTypeOf<keyof FitResultMsg>();
    expectTypeOf<FitJobResult['telemetry']>().toEqualTypeOf<FitIterate[]>();
    expectTypeOf<RenderMode>().toEqualTypeOf<FitMethod>();
    // what the server reads back from a recording is JSON; the client holds the wire's records
    expectTypeOf<RecordingContent['telemetry'][number]>().toEqualTypeOf<IterationRecordMsg>();
    expectTypeOf<SolveView['latest']>().toEqualTypeOf<IterationRecordMsg | null>();
  });
});
