/**
 * Contact trace of a trajectory, for display: the trajectory is replayed knot by knot through
 * the task's own Simulator (same model, scene and step options as the solver's), and for every
 * knot k the contacts found at q_k and the force each carries over the step k -> k+1 are kept:
 *
 *   contacts[k] = [{p: [x, y, z], f: [fx, fy, fz]}, ...]    (world frame; p in m, f in N)
 *
 * p is the contact point on the environment's surface (ContactBuffer.pos), f = R_c lambda_c / dt
 * the mean force of the step's impulse expressed in the world (Simulator.contactForces). Each
 * step starts from the trajectory's own state (q_k, v_k), not from a rollout, so the trace shows
 * exactly the states drawn. The last knot has no control of its own: its forces are those of one
 * more step holding the last control. There are as many entries as knots (q.length).
 *
 * The joint stops that pushed over the same step come with them (Simulator.limitForces):
 *
 *   limits[k] = [{joint: 'FL_KFE', side: 'lower' | 'upper', torque}, ...]
 *
 * torque: the stop's generalized force over the step (N m; N for a prismatic joint), signed
 * along the joint axis (a lower stop pushes q up: torque > 0). Stops within reach that did not
 * push are not listed.
 *
 * Contacts inside the collision margin that carry no force are kept (a foot hovering just above
 * the ground); non-finite values (a diverged trajectory) are dropped. Numbers are rounded
 * (0.01 mm, 1 mN, 1 mN m) to keep the JSON small.
 *
 * Cost: one contact step per knot (about the price of one DDP rollout), off the solver's hot
 * path: the planning server traces only the iterates it actually sends and the final plans.
 */
import type { ContactSampleMsg, LimitSampleMsg, TrajectoryMsg as Trajectory } from '../../shared/protocol.ts';
import { getTask, type TaskParams } from '../control/tasks/index.ts';
import type { Simulator } from '../dynamics/step.ts';

/** One contact at one knot: point and force in the world frame. */
export type ContactSample = ContactSampleMsg;
/** Contacts per knot (same length as the trajectory's q). */
export type KnotContacts = ContactSample[][];
/** One joint stop that pushed over a knot's step. */
export type LimitSample = LimitSampleMsg;
/** Active joint stops per knot (same length as the trajectory's q). */
export type KnotLimits = LimitSample[][];

const round = (x: number, scale: number) => Math.round(x * scale) / scale;

/** Replays `traj` through `sim` (its warm start is reset first) and returns the contacts per knot. */
export function traceContacts(sim: Simulator, traj: Pick<Trajectory, 'q' | 'v' | 'u'>): KnotContacts {
  return traceTrajectory(sim, traj).contacts;
}

/** Replays `traj` through `sim` (its warm start is reset first): the contacts and the pushing joint stops per knot. */
export function traceTrajectory(sim: Simulator, traj: Pick<Trajectory, 'q' | 'v' | 'u'>): { contacts: KnotContacts; limits: KnotLimits } {
  const { nq, nv, nu } = sim.model;
  const knots = traj.q.length;
  const qOut = new Float64Array(nq), vOut = new Float64Array(nv);
  const zero = new Float64Array(nu);
  const forces = new Float64Array(3 * sim.contacts.capacity);
  const lcap = sim.limits.capacity;
  const limJoint = new Int32Array(lcap), limSide = new Int8Array(lcap), limForce = new Float64Array(lcap);
  const out: KnotContacts = [];
  const limits: KnotLimits = [];
  sim.resetWarmStart();
  for (let k = 0; k < knots; k++) {
    const q = traj.q[k], v = traj.v[k];
    const u = traj.u[Math.min(k, traj.u.length - 1)] ?? zero;
    const here: ContactSample[] = [];
    out.push(here);
    const stops: LimitSample[] = [];
    limits.push(stops);
    if (!q || !v || q.length !== nq || v.length !== nv || u.length !== nu) continue;
    sim.stepInto(q, v, u, qOut, vOut);
    const nl = sim.limitForces(limJoint, limSide, limForce);
    for (let l = 0; l < nl; l++) {
      const torque = round(limForce[l], 1e3);
      if (Number.isFinite(torque)) stops.push({ joint: sim.model.jointNames[limJoint[l]], side: limSide[l] > 0 ? 'lower' : 'upper', torque });
    }
    const n = sim.contactForces(forces);
    const pos = sim.contacts.pos;
    for (let c = 0; c < n; c++) {
      const p: [number, number, number] = [round(pos[3 * c], 1e5), round(pos[3 * c + 1], 1e5), round(pos[3 * c + 2], 1e5)];
      const f: [number, number, number] = [round(forces[3 * c], 1e3), round(forces[3 * c + 1], 1e3), round(forces[3 * c + 2], 1e3)];
      if (p.every(Number.isFinite) && f.every(Number.isFinite)) here.push({ p, f });
    }
  }
  return { contacts: out, limits };
}

/**
 * A tracer for one task and parameter set: builds the task once (its Simulator) and traces any
 * number of trajectories of it. Not thread-safe (one Simulator); cheap to keep per plan.
 */
export class ContactTracer {
  readonly sim: Simulator;
  readonly nq: number;
  constructor(readonly task: string, readonly params: TaskParams) {
    const built = getTask(task).build(params);
    this.sim = built.sim;
    this.nq = built.model.nq;
  }

  /** The contacts per knot, or null when the trajectory does not fit the task's model. */
  trace(traj: Pick<Trajectory, 'q' | 'v' | 'u'>): KnotContacts | null {
    if (traj.q.length === 0 || traj.q[0].length !== this.nq) return null;
    return traceContacts(this.sim, traj);
  }

  /** The contacts and the pushing joint stops per knot, or null when the trajectory does not fit the task's model. */
  traceAll(traj: Pick<Trajectory, 'q' | 'v' | 'u'>): { contacts: KnotContacts; limits: KnotLimits } | null {
    if (traj.q.length === 0 || traj.q[0].length !== this.nq) return null;
    return traceTrajectory(this.sim, traj);
  }

  /** The trajectory with its contacts and joint stops (a new object; the input is not changed). */
  attach<T extends Pick<Trajectory, 'q' | 'v' | 'u'>>(traj: T): T & { contacts?: KnotContacts; limits?: KnotLimits } {
    const traced = this.traceAll(traj);
    return traced ? { ...traj, contacts: traced.contacts, limits: traced.limits } : traj;
  }
}
