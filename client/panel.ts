/**
 * The operator panel: robot and task choice, a form generated from the task's parameter schema
 * (GET /api/tasks) plus the solver parameters, and Plan / Replan / Cancel. Server errors are
 * shown as the server words them (`params.height: ...`).
 */
import { BACKEND_CHOICES, SolverParamsSchema, type ParamSpec, type PlanCreate, type TaskInfo } from '../shared/protocol.ts';
import { MAX_ITERATIONS, MAX_SAMPLES, MIN_SAMPLES } from '../shared/limits.ts';

/** The compute backends the protocol accepts (PlanCreate.backend), so the form follows the schema. */
export const BACKENDS: readonly string[] = BACKEND_CHOICES;

export type { ParamSpec, TaskInfo };

/** A solver field of the form: its default is the server's (TaskInfo.solverDefaults), never the client's. */
export type SolverField = Omit<ParamSpec, 'default'>;

/**
 * The solver parameters the form offers (a subset of SolverParams), with their input kinds;
 * bounds and choices come from the shared limits and schema, so the form offers exactly what
 * the server accepts. Their values come from GET /api/tasks (`solverDefaults`: the task's
 * settings over the planner's generic defaults), so the form shows what a plan with an empty
 * solverParams runs.
 */
export const SOLVER_FIELDS: readonly SolverField[] = [
  { name: 'iterations', type: 'integer', min: 1, max: MAX_ITERATIONS, description: 'iterations' },
  { name: 'samples', type: 'integer', min: MIN_SAMPLES, max: MAX_SAMPLES, description: 'R-DDP samples per knot' },
  { name: 'sigma0', type: 'number', min: 0, max: 1e6, description: 'initial smoothing noise σ0' },
  { name: 'estimator', type: 'enum', options: SolverParamsSchema.shape.estimator.unwrap().options, description: 'smoothing estimator' },
  { name: 'derivatives', type: 'enum', options: SolverParamsSchema.shape.derivatives.unwrap().options, description: 'exact step Jacobians: fd (finite differences) or analytic (finite differences for steps it does not cover)' },
  { name: 'rule', type: 'enum', options: SolverParamsSchema.shape.rule.unwrap().options, description: 'R-DDP noise schedule: continuation (reduce when the true cost stops improving, raise when progress stalls), sensitivity (reduce when the estimated dJ/dσ is positive), decay (σ0/√k)' },
];

/**
 * What the solver part of the form starts with for a task: each field's value from the server's
 * `solverDefaults` (a field the server gives no usable value for stays empty, and an empty field
 * is left out of the request, so the server's default applies), and the backend.
 */
export function solverFormDefaults(task: Pick<TaskInfo, 'solverDefaults'>): { fields: Record<string, number | string | undefined>; backend: string | undefined } {
  const fields: Record<string, number | string | undefined> = {};
  for (const f of SOLVER_FIELDS) {
    const v = task.solverDefaults[f.name];
    const ok = f.type === 'enum' ? typeof v === 'string' && (f.options ?? []).includes(v) : typeof v === 'number' && Number.isFinite(v);
    fields[f.name] = ok ? (v as number | string) : undefined;
  }
  const b = task.solverDefaults.backend;
  return { fields, backend: typeof b === 'string' && BACKENDS.includes(b) ? b : undefined };
}

export interface PanelHandlers {
  plan(body: PlanCreate): void;
  replan(params: Record<string, number | string>): void;
  cancel(): void;
  /** The operator picked another plan to watch. */
  select(planId: string): void;
  /** The operator chose a task or a robot: show that robot for that task until the next plan. */
  choose(task: string, robot: string): void;
}

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

/** One labelled input; `value` undefined leaves it empty (the server's default applies). */
function field(spec: SolverField, value: number | string | undefined, prefix: string): HTMLElement {
  const label = h('label', { title: spec.description });
  label.append(h('span', {}, `${spec.name}${spec.unit ? ` (${spec.unit})` : ''}`));
  let input: HTMLInputElement | HTMLSelectElement;
  if (spec.type === 'enum') {
    input = h('select');
    if (value === undefined) input.append(h('option', { value: '' }, '(server default)'));
    for (const o of spec.options ?? []) input.append(h('option', { value: o }, o));
    input.value = value === undefined ? '' : String(value);
  } else {
    input = h('input', { type: 'number', step: spec.type === 'integer' ? '1' : 'any' });
    if (spec.min !== undefined) input.min = String(spec.min);
    if (spec.max !== undefined) input.max = String(spec.max);
    input.value = value === undefined ? '' : String(value);
  }
  input.name = spec.name;
  input.id = `${prefix}-${spec.name}`;
  input.dataset.kind = spec.type;
  label.append(input);
  return label;
}

function readForm(el: HTMLElement): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const input of Array.from(el.querySelectorAll<HTMLInputElement | HTMLSelectElement>("input, select"))) {
    if (input.value === '') continue;
    out[input.name] = input.dataset.kind === 'enum' ? input.value : Number(input.value);
  }
  return out;
}

export class Panel {
  readonly robotSelect: HTMLSelectElement;
  readonly taskSelect: HTMLSelectElement;
  readonly backendSelect: HTMLSelectElement;
  readonly taskForm: HTMLElement;
  readonly solverForm: HTMLElement;
  readonly errorEl: HTMLElement;
  readonly planButton: HTMLButtonElement;
  readonly replanButton: HTMLButtonElement;
  readonly cancelButton: HTMLButtonElement;
  readonly planSelect: HTMLSelectElement;
  tasks: TaskInfo[] = [];
  robots: { id: string }[] = [];
  #planOptions = '';

  constructor(readonly root: HTMLElement, readonly handlers: PanelHandlers) {
    const q = <T extends HTMLElement>(sel: string) => root.querySelector<T>(sel)!;
    this.robotSelect = q('#robot');
    this.taskSelect = q('#task');
    this.backendSelect = q('#backend');
    this.backendSelect.replaceChildren(...BACKENDS.map((b) => h('option', { value: b }, b)));
    this.backendSelect.value = BACKENDS[0] ?? 'cpu';
    this.taskForm = q('#task-params');
    this.solverForm = q('#solver-params');
    this.errorEl = q('#error');
    this.planButton = q('#plan');
    this.replanButton = q('#replan');
    this.cancelButton = q('#cancel');
    this.planSelect = q('#plan-select');
    this.planSelect.addEventListener('change', () => { if (this.planSelect.value) this.handlers.select(this.planSelect.value); });
    this.taskSelect.addEventListener('change', () => { this.#renderTask(); this.#chosen(); });
    this.robotSelect.addEventListener('change', () => this.#chosen());
    this.planButton.addEventListener('click', () => this.#plan());
    this.replanButton.addEventListener('click', () => { this.showError(null); this.handlers.replan(readForm(this.taskForm)); });
    this.cancelButton.addEventListener('click', () => { this.showError(null); this.handlers.cancel(); });
  }

  setOptions(robots: { id: string }[], tasks: TaskInfo[]): void {
    this.tasks = tasks;
    this.robots = robots;
    this.taskSelect.replaceChildren(...tasks.map((t) => h('option', { value: t.name }, `${t.title} (${t.name})`)));
    const preferred = tasks.find((t) => t.name === 'cube-lift') ?? tasks[0];
    if (preferred) this.taskSelect.value = preferred.name;
    this.#renderTask();
  }

  get task(): TaskInfo | undefined { return this.tasks.find((t) => t.name === this.taskSelect.value); }

  /** The robot chosen for the task on screen. */
  get robot(): string { return this.robotSelect.value; }

  #chosen(): void {
    const t = this.task;
    if (t && this.robotSelect.value) this.handlers.choose(t.name, this.robotSelect.value);
  }

  #renderTask(): void {
    const t = this.task;
    if (!t) return;
    // only the robots the task can run on (GET /api/tasks says which), its own robot first
    const ids = t.robots ?? this.robots.map((r) => r.id);
    const prev = this.robotSelect.value;
    this.robotSelect.replaceChildren(...ids.map((id) => h('option', { value: id }, id)));
    this.robotSelect.value = ids.includes(t.robot) ? t.robot : ids.includes(prev) ? prev : ids[0] ?? '';
    this.root.querySelector('#task-description')!.textContent = t.description;
    this.taskForm.replaceChildren(...t.params.map((p) => field(p, t.defaults[p.name] ?? p.default, 'param')));
    const solver = solverFormDefaults(t);
    this.solverForm.replaceChildren(...SOLVER_FIELDS.map((p) => field(p, solver.fields[p.name], 'solver')));
    if (solver.backend) this.backendSelect.value = solver.backend;
  }

  #plan(): void {
    this.showError(null);
    const t = this.task;
    if (!t) { this.showError('no task chosen'); return; }
    this.handlers.plan({
      robot: this.robotSelect.value, task: t.name, params: readForm(this.taskForm),
      solvers: ['ddp', 'rddp'], solverParams: readForm(this.solverForm) as PlanCreate['solverParams'],
      backend: this.backendSelect.value as PlanCreate['backend'],
    });
  }

  /**
   * Enables the buttons that make sense: Replan / Cancel only with a live plan on screen that the
   * server knows (Cancel while it runs).
   */
  setPlanStatus(status: string | null, lost = false): void {
    this.replanButton.disabled = status === null || lost;
    this.cancelButton.disabled = lost || (status !== 'running' && status !== 'queued');
  }

  /** The plans the operator can watch (newest first) and the one on screen. */
  setPlans(plans: { id: string; label: string }[], current: string | null): void {
    const sig = JSON.stringify(plans) + current;
    if (sig === this.#planOptions) return;
    this.#planOptions = sig;
    this.planSelect.replaceChildren(...(plans.length ? plans.map((p) => h('option', { value: p.id }, p.label)) : [h('option', { value: '' }, 'no plans yet')]));
    this.planSelect.value = current ?? '';
    this.planSelect.disabled = plans.length === 0;
  }

  showError(message: string | null): void {
    this.errorEl.textContent = message ?? '';
    this.errorEl.hidden = !message;
  }
}
