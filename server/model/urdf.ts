/**
 * URDF -> Model.
 *
 * The entry points; the stages live in urdf-xml.ts (stage 1), urdf-build.ts (stage 2),
 * urdf-inertia.ts (origin and inertia algebra, inertia checks) and mesh-uri.ts.
 *
 * Two stages:
 *  1. `readUrdf` turns the XML text into a typed intermediate description (`UrdfRobot`): every
 *     number parsed strictly by us (fast-xml-parser keeps attribute values as strings), every
 *     attribute and element checked, nothing about the tree assumed yet.
 *  2. `buildModel` checks the tree (names, parents, roots, cycles), numbers the joints
 *     depth-first from the root with children in file order, merges fixed joints into their
 *     moving parent body, and fills the flat arrays of `Model` (see model.ts for conventions).
 *
 * Decisions worth knowing:
 *  - 'continuous' joints are revolute joints with nq = 1 (the angle, not Pinocchio's cos/sin
 *    pair), infinite position limits and `continuous[j] = 1`.
 *  - A revolute/prismatic `<limit>` with lower = upper = 0 is the SolidWorks exporter's
 *    placeholder (upstream double pendulum): read as "no position limit", with a warning.
 *    Likewise effort = 0 / velocity = 0 are read as "no limit" with a warning (a zero effort
 *    bound would make an actuated joint unusable). Missing lower/upper/effort/velocity mean
 *    no limit, without warning.
 *  - A fixed-base root link's frame is kind 'body' with parentJoint 0 (it is bodyNames[0]);
 *    links merged through fixed joints are kind 'fixed'. The free-flyer gets a 'joint' frame
 *    named 'root_joint'. Frames come in depth-first order: joint frame, then its child link.
 *  - Mesh URIs: `package://pkg/rest` is looked up in each package dir as dir/pkg/rest,
 *    dir/rest, then with further leading components stripped; after the explicit dirs, the
 *    ancestors of baseDir are tried the same way (keeping at least one directory component),
 *    which resolves the upstream example-robot-data layout with no options.
 */
import path from 'node:path';
import { FileTooLargeError, readTextBounded } from './read-bounded.ts';
import { buildModel } from './urdf-build.ts';
import { DEFAULT_URDF_LIMITS, UrdfError, type LoadUrdfOptions, type ParseUrdfOptions, type UrdfResult } from './urdf-types.ts';
import { readUrdf } from './urdf-xml.ts';

export * from './urdf-types.ts';
export { readUrdf } from './urdf-xml.ts';
export { buildModel } from './urdf-build.ts';
export { resolveMeshUri } from './mesh-uri.ts';
export { rpyToMatrix } from './urdf-inertia.ts';

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

export function parseUrdf(xml: string, opts: ParseUrdfOptions = {}): UrdfResult {
  const limits = { ...DEFAULT_URDF_LIMITS, ...opts.limits };
  const source = opts.source ?? '<string>';
  // UTF-16 length ≤ UTF-8 bytes: the exact byte count is only needed near the limit
  if (xml.length > limits.maxBytes || (xml.length * 3 > limits.maxBytes && Buffer.byteLength(xml) > limits.maxBytes)) {
    throw new UrdfError(source, 'file', `${Buffer.byteLength(xml)} bytes, over the limit of ${limits.maxBytes} bytes`);
  }
  const warnings: string[] = [];
  const robot = readUrdf(xml, source, warnings, limits.maxLinks);
  const model = buildModel(robot, opts, warnings);
  return { model, warnings };
}

export function loadUrdfFile(file: string, opts: LoadUrdfOptions = {}): UrdfResult {
  const limits = { ...DEFAULT_URDF_LIMITS, ...opts.limits };
  let xml: string;
  try {
    xml = readTextBounded(file, limits.maxBytes);
  } catch (e) {
    if (e instanceof FileTooLargeError) throw new UrdfError(file, 'file', e.problem);
    const code = (e as NodeJS.ErrnoException).code;
    throw new UrdfError(file, 'file', code === 'ENOENT' ? 'file not found' : `cannot read: ${(e as Error).message}`);
  }
  return parseUrdf(xml, { ...opts, source: file, baseDir: path.dirname(path.resolve(file)) });
}

