/**
 * The robot a task is built on: loaded by id (robots/, else the --robots folders) and checked
 * against what the task needs (TaskDefinition.fits). One loaded robot per id and process: the
 * model is immutable and tasks derive what they change (e.g. lift-leg's foot contact spheres).
 */
import type { Model } from '../../model/model.ts';
import { loadRobot, type LoadedRobot } from '../../model/robots.ts';
import { RobotMismatchError } from '../errors.ts';
import { robotOf, type TaskDefinition, type TaskParams } from './types.ts';

const loaded = new Map<string, LoadedRobot>();

/** A robot by id, loaded once per process; RobotMismatchError (unknown) when there is none. */
export function robotById(task: string, id: string): LoadedRobot {
  let r = loaded.get(id);
  if (!r) {
    try { r = loadRobot(id); } catch (e) {
      const msg = (e as Error).message;
      throw new RobotMismatchError(task, id, /^unknown robot/.test(msg), /^unknown robot/.test(msg) ? msg : `robot '${id}' cannot be loaded: ${msg}`);
    }
    loaded.set(id, r);
  }
  return r;
}

/** The task's robot for these parameters, checked: RobotMismatchError names what is missing. */
export function taskRobot(def: TaskDefinition, params: TaskParams): LoadedRobot & { id: string } {
  const id = robotOf(def, params);
  const r = robotById(def.name, id);
  const problem = def.fits(r, id);
  if (problem) throw new RobotMismatchError(def.name, id, false, problem);
  return { ...r, id };
}

/**
 * The model without its mesh collision geometry, for tasks in an empty scene (swing-up, reach:
 * nothing to touch): the Simulator refuses a model whose only collision geometry is meshes
 * unless Rapier's convex hulls are loaded, which such a task does not need. Unchanged (the
 * same object) when it has no mesh.
 */
export function withoutMeshCollisions(model: Model): Model {
  if (!model.collisions.some((g) => g.shape.type === 'mesh')) return model;
  return { ...model, collisions: model.collisions.filter((g) => g.shape.type !== 'mesh') };
}
