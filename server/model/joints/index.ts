/**
 * The joint-type registry: every joint type the project knows, indexed by the kind stored in
 * Model.jointTypes. Adding a joint type: a file implementing JointType (types.ts), one line
 * in JOINT_TYPES, and its tests (test/model/joints.test.ts checks every registered type).
 */
import { freeFlyer, JOINT_FREE } from './free-flyer.ts';
import { JOINT_PRISMATIC, prismatic } from './prismatic.ts';
import { JOINT_REVOLUTE, revolute } from './revolute.ts';
import type { JointType } from './types.ts';

export { JOINT_FREE, JOINT_PRISMATIC, JOINT_REVOLUTE };
export * from './types.ts';

/** By kind (JOINT_TYPES[k].kind === k). */
export const JOINT_TYPES: readonly JointType[] = [freeFlyer, revolute, prismatic];

for (let k = 0; k < JOINT_TYPES.length; k++) if (JOINT_TYPES[k].kind !== k) throw new Error(`joint registry: ${JOINT_TYPES[k].name} has kind ${JOINT_TYPES[k].kind} at index ${k}`);

/** The joint type of kind k. */
export function jointType(kind: number): JointType {
  const t = JOINT_TYPES[kind];
  if (t === undefined) throw new Error(`unknown joint kind ${kind}`);
  return t;
}

/** The joint type of joint j of a model. */
export function jointOf(model: { readonly jointTypes: Int32Array }, j: number): JointType {
  return JOINT_TYPES[model.jointTypes[j]];
}

/** The joint type a URDF joint type is built as, or undefined (fixed, floating, planar...). */
export function jointForUrdf(urdfType: string): JointType | undefined {
  return JOINT_TYPES.find((t) => t.urdfTypes.includes(urdfType));
}

/** Name of joint j's type for people (API, CLIs): URDF `continuous` stays visible. */
export function jointTypeName(model: { readonly jointTypes: Int32Array; readonly continuous: Uint8Array }, j: number): string {
  const t = jointOf(model, j);
  return t.kind === JOINT_REVOLUTE && model.continuous[j] ? 'continuous' : t.name;
}
