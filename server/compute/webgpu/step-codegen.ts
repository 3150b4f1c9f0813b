/**
 * Generates the body of the WGSL step kernel for one model: the contact time step of
 * server/dynamics/step.ts traced through trace.ts, so the tree, the joint axes, the inertias and
 * the collision candidates unroll into straight-line f32 code over registers (every model
 * number a literal). One invocation steps one sample.
 *
 * This file orchestrates; each stage is a file of ./step/ named after its CPU twin, and
 * test/compute/webgpu-stages.test.ts runs each against the CPU on the adapter (lavapipe in CI).
 * Joint-specific pieces (placements, S) come from the joint types (server/model/joints/).
 *
 * Stages, in step.ts order (same formulas; the CPU file names the reference of each):
 *   forward kinematics with body velocities (kinematics.ts);
 *   collision candidates of every shape against the ground and the boxes (collision.ts), with
 *     the velocity-dependent margin of positionStage; a candidate is active when its signed
 *     distance is below the margin (the CPU's contact list is exactly the active candidates, in
 *     the same order);
 *   CRBA (crba.ts) with composite inertias in origin form, H = M + dt D, its tree-sparse LTDL
 *     factor (factor-m.ts);
 *   contact Jacobians in the contact frames [t1 t2 n], W = D^-1/2 L^-T Jc^T and G = W^T W along
 *     each contact's dof chain, the normal bias (contact-solver.ts computeContactBias);
 *   RNEA nonlinear effects, effort clamp, v_free = v + H^-1 dt (tau - nle - D v) with the
 *     free-flyer's w x v term;
 *   PGS on the De Saxcé NCP from a cold start (contact-solver.ts solvePgs: sticking candidate
 *     by the 3x3 block inverse, else normal then tangential split step; residual = max of
 *     primal, dual and complementarity; exact re-evaluation of sigma before declaring
 *     convergence), over the active candidates in order;
 *   impulses v = v_free + H^-1 Jc^T lambda; manifold integration (step.ts advance).
 *
 * The CPU's active-set polish of sticking contacts runs in a static f32 form after PGS
 * (step/pgs.ts); joint-limit rows do not: a sample with a stop within reach is flagged and
 * stepped on the CPU.
 */
import type { PackedModel } from './model-pack.ts';
import { Tracer, type B, type V } from './trace.ts';
import { traceCandidates } from './step/collision.ts';
import { stepTrace } from './step/common.ts';
import { traceContactRows } from './step/contact-rows.ts';
import { traceCrba, traceDampedInertia } from './step/crba.ts';
import { traceFactor } from './step/factor.ts';
import { integrateFF, traceIntegrate, traceNearLimit } from './step/integrate.ts';
import { traceKinematics } from './step/kinematics.ts';
import { DEFAULT_GPU_SOLVER, tracePgs, type GpuSolverOptions } from './step/pgs.ts';
import { traceFreeVelocity, traceNle } from './step/rnea.ts';

export { DEFAULT_GPU_SOLVER, type GpuSolverOptions } from './step/pgs.ts';

export interface StepCode {
  /** WGSL statements (inside main) computing qn (nq) and vn (nv) from q, v, u. */
  lines: string[];
  qn: V[];
  vn: V[];
  /** WGSL bool expressions (or constants) for the status bits. */
  notPd: B;
  /** Name of the WGSL bool variable set when PGS stopped above tolerance (or null without contacts). */
  notConverged: string | null;
  /** A joint stop is within reach (the CPU's rule, the margin widened for f32): the step is the CPU's business. */
  nearLimit: B;
}

/** Traces one step; q, v, u are the names (or constants) of the inputs. */
export function traceStep(pm: PackedModel, q: V[], v: V[], u: V[], solver: GpuSolverOptions = DEFAULT_GPU_SOLVER): StepCode {
  const t = new Tracer();
  const s = stepTrace(t, pm);
  const kin = traceKinematics(s, q, v);
  const cands = traceCandidates(s, kin);
  const fac = traceFactor(s, traceDampedInertia(s, traceCrba(s, kin)));
  const rows = traceContactRows(s, kin, cands, fac);
  const vfree = traceFreeVelocity(s, fac, traceNle(s, kin, v), v, u);
  const solved = tracePgs(s, solver, cands, rows, fac, vfree);
  const { qn, vn } = traceIntegrate(s, q, solved.v);
  const nearLimit = traceNearLimit(s, q, v);
  return { lines: t.lines, qn, vn, notPd: fac.notPd, notConverged: solved.notConverged, nearLimit };
}

/** Applies the smoothing perturbation x ⊕ sigma∘w, u + sigma∘w (traced), used before traceStep. */
export function tracePerturb(pm: PackedModel, q: V[], v: V[], u: V[], dx: V[], du: V[]): { lines: string[]; q: V[]; v: V[]; u: V[] } {
  const t = new Tracer('p');
  const model = pm.model, nv = model.nv;
  const qo = q.slice();
  let first = 1;
  if (model.floating) {
    first = 2;
    const r = integrateFF(t, [q[0], q[1], q[2]], [q[3], q[4], q[5], q[6]], [dx[0], dx[1], dx[2]], [dx[3], dx[4], dx[5]]);
    qo[0] = r.p[0]; qo[1] = r.p[1]; qo[2] = r.p[2];
    for (let k = 0; k < 4; k++) qo[3 + k] = r.q[k];
  }
  for (let j = first; j < model.njoints; j++) {
    for (let k = 0; k < model.nvs[j]; k++) qo[model.idxQ[j] + k] = t.add(q[model.idxQ[j] + k], dx[model.idxV[j] + k]);
  }
  const vo = v.map((x, i) => t.add(x, dx[nv + i]));
  const uo = u.map((x, i) => t.add(x, du[i]));
  return { lines: t.lines, q: qo, v: vo, u: uo };
}
