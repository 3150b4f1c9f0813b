/**
 * The panel's solver form starts from the server's defaults: for every task, each field's value
 * (and the backend) is what a plan with an empty solverParams actually runs, as the planner
 * records it in PlanResult.solverParams (a plan cancelled before its first iteration).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, SOLVER_FIELDS, solverFormDefaults, type TaskInfo } from '../../client/panel.ts';
import { plan } from '../../server/planning/planner.ts';
import { PlanCreateSchema } from '../../shared/protocol.ts';
import type { RunningServer } from '../../server/api/server.ts';
import { startTestServer, tempDir } from '../api/helpers.ts';

const tmp = tempDir('rsddp-solver-form-');
let server: RunningServer;
let tasks: TaskInfo[];
beforeAll(async () => {
  server = await startTestServer(path.join(tmp.dir, 'data'));
  tasks = ((await (await fetch(`${server.url}/api/tasks`)).json()) as { tasks: TaskInfo[] }).tasks;
});
afterAll(async () => { await server.close(); tmp.remove(); });

describe('solver form defaults', () => {
  it('shows, for every task, exactly the solver parameters a plan with empty solverParams runs', async () => {
    expect(tasks.map((t) => t.name).sort()).toEqual(['cube-lift', 'lift-leg', 'reach', 'swing-up']);
    const cancelled = new AbortController();
    cancelled.abort();
    for (const task of tasks) {
      const form = solverFormDefaults(task);
      const ran = await plan({ task: task.name, solver: 'rddp', solverParams: {}, signal: cancelled.signal });
      expect(ran.iterations).toBe(0);
      for (const f of SOLVER_FIELDS) {
        const want = ran.solverParams[f.name as keyof typeof ran.solverParams];
        expect(form.fields[f.name], `${task.name} ${f.name}`).toBe(want);
        // what the input shows reads back as the same value (readForm: Number() of the text)
        expect(f.type === 'enum' ? String(want) : Number(String(want)), `${task.name} ${f.name}`).toBe(want);
      }
      expect(form.backend, `${task.name} backend`).toBe(ran.solverParams.backend);
      expect(BACKENDS).toContain(form.backend);
      // the form's defaults are a valid plan request
      const body = { task: task.name, solverParams: form.fields, backend: form.backend };
      expect(PlanCreateSchema.safeParse(body).success, task.name).toBe(true);
    }
  });

  it('leaves a field empty (the server decides) when the server gives no usable value', () => {
    const form = solverFormDefaults({ solverDefaults: { iterations: 12, sigma0: 'big', estimator: 'nope', backend: 'quantum' } });
    expect(form.fields.iterations).toBe(12);
    expect(form.fields.sigma0).toBeUndefined();
    expect(form.fields.samples).toBeUndefined();
    expect(form.fields.estimator).toBeUndefined();
    expect(form.backend).toBeUndefined();
  });
});
