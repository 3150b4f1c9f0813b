/**
 * URDF reading: errors, options and the typed intermediate description (`UrdfRobot`) that
 * urdf-xml.ts produces and urdf-build.ts turns into a Model.
 */
import type { Model } from './model.ts';
import { DEFAULT_MAX_URDF_BYTES, DEFAULT_MAX_URDF_LINKS } from '../../shared/limits.ts';

// ---------------------------------------------------------------------------------------------
// Errors and options
// ---------------------------------------------------------------------------------------------

export class UrdfError extends Error {
  readonly file: string;
  readonly element: string;
  readonly problem: string;
  constructor(file: string, element: string, problem: string) {
    super(`${file}: ${element}: ${problem}`);
    this.name = 'UrdfError';
    this.file = file;
    this.element = element;
    this.problem = problem;
  }
}

export interface ParseUrdfOptions {
  /** Name of the source for messages and `Model.source` (default '<string>'). */
  source?: string;
  /** Give the root link a free-flyer joint 'root_joint' (default false: welded to the world). */
  floating?: boolean;
  /** Directories searched for `package://` mesh URIs. */
  packageDirs?: string[];
  /** Directory relative mesh paths are resolved against (and whose ancestors are searched). */
  baseDir?: string;
  /** Make an unresolvable collision mesh an error instead of a warning. */
  needCollisionMeshes?: boolean;
  /** Bounds on the input (defaults: shared/limits.ts). */
  limits?: Partial<UrdfLimits>;
}

export interface UrdfLimits {
  /** Bytes of the URDF file (loadUrdfFile checks the size before reading). */
  maxBytes: number;
  /** <link> elements (and <joint> elements: a tree has fewer). */
  maxLinks: number;
}

export const DEFAULT_URDF_LIMITS: Readonly<UrdfLimits> = { maxBytes: DEFAULT_MAX_URDF_BYTES, maxLinks: DEFAULT_MAX_URDF_LINKS };

export type LoadUrdfOptions = Omit<ParseUrdfOptions, 'source' | 'baseDir'>;

export interface UrdfResult {
  model: Model;
  warnings: string[];
}

// ---------------------------------------------------------------------------------------------
// Intermediate typed structure
// ---------------------------------------------------------------------------------------------

export type Vec3 = [number, number, number];
export type Rgba = [number, number, number, number];

export interface UrdfPose {
  xyz: Vec3;
  rpy: Vec3;
}

export interface UrdfInertial {
  origin: UrdfPose;
  mass: number;
  /** ixx, iyy, izz, ixy, ixz, iyz about the COM, in the inertial origin frame. */
  inertia: [number, number, number, number, number, number];
}

export type UrdfShape =
  | { type: 'box'; size: Vec3 }
  | { type: 'sphere'; radius: number }
  | { type: 'cylinder'; radius: number; length: number }
  | { type: 'capsule'; radius: number; length: number }
  | { type: 'mesh'; uri: string; scale: Vec3 };

export interface UrdfGeometry {
  name: string;
  origin: UrdfPose;
  shape: UrdfShape;
  /** Material name (reference or inline definition), '' when none. */
  materialName: string;
  /** Inline colour, when given. */
  rgba?: Rgba;
  line: number;
}

export interface UrdfLink {
  name: string;
  line: number;
  inertial: UrdfInertial | null;
  visuals: UrdfGeometry[];
  collisions: UrdfGeometry[];
}

/** 'fixed' or a URDF type a registered joint type accepts (joints/index.ts: revolute, continuous, prismatic). */
export type UrdfJointType = string;

export interface UrdfLimit {
  lower?: number;
  upper?: number;
  effort?: number;
  velocity?: number;
}

export interface UrdfJoint {
  name: string;
  line: number;
  type: UrdfJointType;
  parent: string;
  child: string;
  origin: UrdfPose;
  /** Unit axis (default x). Meaningless for fixed joints. */
  axis: Vec3;
  limit: UrdfLimit | null;
  damping: number;
  friction: number;
}

export interface UrdfRobot {
  name: string;
  source: string;
  links: UrdfLink[];
  joints: UrdfJoint[];
  /** Top-level materials: name -> colour (undefined when the material has only a texture). */
  materials: Map<string, Rgba | undefined>;
}

