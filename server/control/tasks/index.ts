import { cubeLift } from './cube-lift.ts';
import { liftLeg } from './lift-leg.ts';
import { reach } from './reach.ts';
import { swingUp } from './swing-up.ts';
import { UnknownTaskError, type TaskDefinition } from './types.ts';

export const TASKS: readonly TaskDefinition[] = [liftLeg, cubeLift, swingUp, reach];

export function getTask(name: string): TaskDefinition {
  const t = TASKS.find((x) => x.name === name);
  if (!t) throw new UnknownTaskError(name, TASKS.map((x) => x.name));
  return t;
}

export * from './types.ts';
export { robotById, taskRobot } from './task-robot.ts';
