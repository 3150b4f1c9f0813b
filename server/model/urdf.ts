/**
 * URDF -> Model.
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
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import {
  JOINT_FREE,
  JOINT_PRISMATIC,
  JOINT_REVOLUTE,
  type Frame,
  type Geometry,
  type GeometryShape,
  type Model,
} from './model.ts';
import { FileTooLargeError, readTextBounded } from './read-bounded.ts';
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

export type UrdfJointType = 'revolute' | 'continuous' | 'prismatic' | 'fixed';

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

// ---------------------------------------------------------------------------------------------
// XML -> element tree
// ---------------------------------------------------------------------------------------------

interface XmlEl {
  tag: string;
  attrs: Record<string, string>;
  children: XmlEl[];
  line: number;
}

const META = XMLParser.getMetaDataSymbol() as unknown as symbol;

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function lineOf(starts: number[], index: number | undefined): number {
  if (index === undefined || index < 0) return 0;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** Converts fast-xml-parser's preserveOrder output into XmlEl nodes (text, comments dropped). */
function toElements(nodes: unknown, starts: number[]): XmlEl[] {
  const out: XmlEl[] = [];
  if (!Array.isArray(nodes)) return out;
  for (const node of nodes as Record<string, unknown>[]) {
    if (node === null || typeof node !== 'object') continue;
    for (const key of Object.keys(node)) {
      if (key === ':@' || key === '#text' || key.startsWith('?')) continue;
      const rawAttrs = (node[':@'] ?? {}) as Record<string, unknown>;
      const attrs: Record<string, string> = {};
      for (const [k, v] of Object.entries(rawAttrs)) attrs[k] = String(v);
      const meta = (node as Record<symbol, { startIndex?: number } | undefined>)[META];
      out.push({
        tag: key,
        attrs,
        children: toElements(node[key], starts),
        line: lineOf(starts, meta?.startIndex),
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Strict number parsing
// ---------------------------------------------------------------------------------------------

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NONFINITE_RE = /^[+-]?(?:nan|inf|infinity)$/i;
const INF_RE = /^[+-]?(?:inf|infinity)$/i;

/** Context for messages while reading one element of the file. */
class Ctx {
  constructor(
    readonly file: string,
    readonly element: string,
  ) {}
  fail(problem: string): never {
    throw new UrdfError(this.file, this.element, problem);
  }
}

function parseNumberToken(
  ctx: Ctx,
  what: string,
  token: string,
  allowInfinity = false,
): number {
  if (allowInfinity && INF_RE.test(token)) return token.startsWith('-') ? -Infinity : Infinity;
  if (NONFINITE_RE.test(token)) ctx.fail(`${what}: '${token}' is not a finite number`);
  if (!NUMBER_RE.test(token)) ctx.fail(`${what}: '${token}' is not a number`);
  const x = Number(token);
  if (!Number.isFinite(x)) ctx.fail(`${what}: '${token}' is not a finite number`);
  return x;
}

function parseNumbers(ctx: Ctx, what: string, text: string, count: number): number[] {
  const trimmed = text.trim();
  const tokens = trimmed === '' ? [] : trimmed.split(/\s+/);
  if (tokens.length !== count) {
    ctx.fail(`${what}: expected ${count} numbers, got ${tokens.length} ('${text}')`);
  }
  return tokens.map((t) => parseNumberToken(ctx, what, t));
}

function attrNumber(
  ctx: Ctx,
  el: XmlEl,
  attr: string,
  opts: { required?: boolean; allowInfinity?: boolean } = {},
): number | undefined {
  const s = el.attrs[attr];
  if (s === undefined) {
    if (opts.required) ctx.fail(`<${el.tag}> is missing required attribute '${attr}'`);
    return undefined;
  }
  return parseNumberToken(ctx, `<${el.tag}> ${attr}`, s.trim(), opts.allowInfinity);
}

function attrVec3(ctx: Ctx, el: XmlEl, attr: string, dflt: Vec3): Vec3 {
  const s = el.attrs[attr];
  if (s === undefined) return [dflt[0], dflt[1], dflt[2]];
  const v = parseNumbers(ctx, `<${el.tag}> ${attr}`, s, 3);
  return [v[0], v[1], v[2]];
}

function childrenNamed(el: XmlEl, tag: string): XmlEl[] {
  return el.children.filter((c) => c.tag === tag);
}

/** The single child `tag`, or undefined; a second one is an error (ambiguous). */
function onlyChild(ctx: Ctx, el: XmlEl, tag: string): XmlEl | undefined {
  const found = childrenNamed(el, tag);
  if (found.length > 1) ctx.fail(`<${el.tag}> has ${found.length} <${tag}> elements (line ${found[1].line})`);
  return found[0];
}

function readPose(ctx: Ctx, parent: XmlEl): UrdfPose {
  const o = onlyChild(ctx, parent, 'origin');
  if (!o) return { xyz: [0, 0, 0], rpy: [0, 0, 0] };
  return { xyz: attrVec3(ctx, o, 'xyz', [0, 0, 0]), rpy: attrVec3(ctx, o, 'rpy', [0, 0, 0]) };
}

function readRgba(ctx: Ctx, colorEl: XmlEl, warnings: string[]): Rgba {
  const s = colorEl.attrs.rgba;
  if (s === undefined) ctx.fail(`<color> is missing required attribute 'rgba'`);
  const v = parseNumbers(ctx, '<color> rgba', s, 4);
  if (v.some((x) => x < 0 || x > 1)) {
    warnings.push(`${ctx.file}: ${ctx.element}: <color> rgba '${s}' outside [0, 1], clamped`);
  }
  const c = v.map((x) => Math.min(1, Math.max(0, x)));
  return [c[0], c[1], c[2], c[3]];
}

// ---------------------------------------------------------------------------------------------
// Reading the document
// ---------------------------------------------------------------------------------------------

function describe(kind: string, el: XmlEl, index: number): string {
  const name = el.attrs.name;
  return name !== undefined ? `${kind} '${name}'` : `${kind} #${index + 1} (line ${el.line})`;
}

function readInertial(ctx: Ctx, el: XmlEl): UrdfInertial {
  const origin = readPose(ctx, el);
  const massEl = onlyChild(ctx, el, 'mass');
  if (!massEl) ctx.fail('<inertial> has no <mass> element');
  const mass = attrNumber(ctx, massEl, 'value', { required: true }) as number;
  if (mass < 0) ctx.fail(`<inertial> <mass> value ${mass} is negative`);
  const inEl = onlyChild(ctx, el, 'inertia');
  if (!inEl) ctx.fail('<inertial> has no <inertia> element');
  const names = ['ixx', 'iyy', 'izz', 'ixy', 'ixz', 'iyz'] as const;
  const v = names.map((n) => attrNumber(ctx, inEl, n, { required: true }) as number);
  return { origin, mass, inertia: [v[0], v[1], v[2], v[3], v[4], v[5]] };
}

function positive(ctx: Ctx, what: string, x: number): number {
  if (!(x > 0)) ctx.fail(`${what} ${x} must be positive`);
  return x;
}

function readShape(ctx: Ctx, geomEl: XmlEl, what: string): UrdfShape {
  const shapes = geomEl.children;
  if (shapes.length === 0) ctx.fail(`${what} <geometry> has no shape (box, sphere, cylinder, capsule or mesh)`);
  if (shapes.length > 1) ctx.fail(`${what} <geometry> has ${shapes.length} shapes; exactly one is allowed`);
  const s = shapes[0];
  const req = (attr: string): string => {
    const v = s.attrs[attr];
    if (v === undefined) ctx.fail(`${what} <${s.tag}> is missing required attribute '${attr}'`);
    return v;
  };
  const num = (attr: string): number =>
    positive(ctx, `${what} <${s.tag}> ${attr}`, parseNumberToken(ctx, `${what} <${s.tag}> ${attr}`, req(attr).trim()));
  switch (s.tag) {
    case 'box': {
      const v = parseNumbers(ctx, `${what} <box> size`, req('size'), 3);
      for (const x of v) positive(ctx, `${what} <box> size component`, x);
      return { type: 'box', size: [v[0], v[1], v[2]] };
    }
    case 'sphere':
      return { type: 'sphere', radius: num('radius') };
    case 'cylinder':
      return { type: 'cylinder', radius: num('radius'), length: num('length') };
    case 'capsule':
      return { type: 'capsule', radius: num('radius'), length: num('length') };
    case 'mesh': {
      const uri = req('filename').trim();
      if (uri === '') ctx.fail(`${what} <mesh> filename is empty`);
      const scale = attrVec3(ctx, s, 'scale', [1, 1, 1]);
      if (scale.some((x) => x === 0)) ctx.fail(`${what} <mesh> scale '${s.attrs.scale}' has a zero component`);
      return { type: 'mesh', uri, scale };
    }
    default:
      return ctx.fail(`${what} <geometry> has unknown shape <${s.tag}>`);
  }
}

function readGeometry(
  ctx: Ctx,
  el: XmlEl,
  index: number,
  warnings: string[],
): UrdfGeometry {
  const name = el.attrs.name ?? '';
  const what = name ? `<${el.tag}> '${name}'` : `<${el.tag}> #${index + 1}`;
  const origin = readPose(ctx, el);
  const g = onlyChild(ctx, el, 'geometry');
  if (!g) ctx.fail(`${what} has no <geometry> element`);
  const shape = readShape(ctx, g, what);
  let materialName = '';
  let rgba: Rgba | undefined;
  // Materials only matter for visuals; a <material> inside <collision> (upstream Solo) is ignored.
  if (el.tag === 'visual') {
    const m = onlyChild(ctx, el, 'material');
    if (m) {
      materialName = m.attrs.name ?? '';
      const c = onlyChild(ctx, m, 'color');
      if (c) rgba = readRgba(ctx, c, warnings);
    }
  }
  return { name, origin, shape, materialName, rgba, line: el.line };
}

function readLink(ctx: Ctx, el: XmlEl, warnings: string[]): UrdfLink {
  const name = el.attrs.name;
  if (name === undefined || name.trim() === '') ctx.fail(`missing required attribute 'name'`);
  const inertialEl = onlyChild(ctx, el, 'inertial');
  const inertial = inertialEl ? readInertial(ctx, inertialEl) : null;
  const visuals = childrenNamed(el, 'visual').map((v, i) => readGeometry(ctx, v, i, warnings));
  const collisions = childrenNamed(el, 'collision').map((v, i) => readGeometry(ctx, v, i, warnings));
  return { name, line: el.line, inertial, visuals, collisions };
}

function readJoint(ctx: Ctx, el: XmlEl, warnings: string[]): UrdfJoint {
  const name = el.attrs.name;
  if (name === undefined || name.trim() === '') ctx.fail(`missing required attribute 'name'`);
  const type = el.attrs.type;
  if (type === undefined) ctx.fail(`missing required attribute 'type'`);
  if (type === 'floating' || type === 'planar') {
    ctx.fail(
      `unsupported joint type '${type}' (only revolute, continuous, prismatic and fixed; ` +
        `a free-flying base is requested with the 'floating' option instead)`,
    );
  }
  if (type !== 'revolute' && type !== 'continuous' && type !== 'prismatic' && type !== 'fixed') {
    ctx.fail(`unknown joint type '${type}'`);
  }
  const linkRef = (tag: 'parent' | 'child'): string => {
    const e = onlyChild(ctx, el, tag);
    if (!e) ctx.fail(`missing <${tag}> element`);
    const l = e.attrs.link;
    if (l === undefined || l.trim() === '') ctx.fail(`<${tag}> is missing required attribute 'link'`);
    return l;
  };
  const parent = linkRef('parent');
  const child = linkRef('child');
  const origin = readPose(ctx, el);
  let axis: Vec3 = [1, 0, 0];
  let limit: UrdfLimit | null = null;
  let damping = 0;
  let friction = 0;
  // Fixed joints: <axis>, <limit>, <dynamics> are meaningless (upstream Solo has <limit> on
  // them); they are ignored without being read.
  if (type !== 'fixed') {
    const axisEl = onlyChild(ctx, el, 'axis');
    if (axisEl) {
      const a = attrVec3(ctx, axisEl, 'xyz', [1, 0, 0]);
      const n = Math.hypot(a[0], a[1], a[2]);
      if (n < 1e-12) ctx.fail(`<axis> xyz '${axisEl.attrs.xyz}' is zero`);
      axis = [a[0] / n, a[1] / n, a[2] / n];
    }
    const limEl = onlyChild(ctx, el, 'limit');
    if (limEl) {
      limit = {
        lower: attrNumber(ctx, limEl, 'lower', { allowInfinity: true }),
        upper: attrNumber(ctx, limEl, 'upper', { allowInfinity: true }),
        effort: attrNumber(ctx, limEl, 'effort', { allowInfinity: true }),
        velocity: attrNumber(ctx, limEl, 'velocity', { allowInfinity: true }),
      };
      if (limit.effort !== undefined && limit.effort < 0) ctx.fail(`<limit> effort ${limit.effort} is negative`);
      if (limit.velocity !== undefined && limit.velocity < 0) {
        ctx.fail(`<limit> velocity ${limit.velocity} is negative`);
      }
      if (
        type !== 'continuous' &&
        limit.lower !== undefined &&
        limit.upper !== undefined &&
        limit.lower > limit.upper
      ) {
        ctx.fail(`<limit> lower ${limit.lower} is greater than upper ${limit.upper}`);
      }
    }
    const dynEl = onlyChild(ctx, el, 'dynamics');
    if (dynEl) {
      damping = attrNumber(ctx, dynEl, 'damping') ?? 0;
      friction = attrNumber(ctx, dynEl, 'friction') ?? 0;
      if (damping < 0) ctx.fail(`<dynamics> damping ${damping} is negative`);
      if (friction < 0) ctx.fail(`<dynamics> friction ${friction} is negative`);
    }
    if (onlyChild(ctx, el, 'mimic')) {
      warnings.push(`${ctx.file}: ${ctx.element}: <mimic> is not supported; the joint is independent`);
    }
  }
  return { name, line: el.line, type, parent, child, origin, axis, limit, damping, friction };
}

/** Stage 1: XML text -> typed, validated description (tree not checked yet). */
/** An entity reference left in a value: XML's five are expanded by the parser, any other stays. */
const UNEXPANDED_ENTITY = /&(?:[A-Za-z_][\w.-]*|#\d+|#x[0-9a-fA-F]+);/;

export function readUrdf(xml: string, source = '<string>', warnings: string[] = [], maxLinks = DEFAULT_MAX_URDF_LINKS): UrdfRobot {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    const where = line ? `line ${line}${col ? `, column ${col}` : ''}` : 'document';
    throw new UrdfError(source, where, `malformed XML: ${msg}`);
  }
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: true,
    captureMetaData: true,
  });
  let doc: XmlEl[];
  try {
    doc = toElements(parser.parse(xml), lineStarts(xml));
  } catch (e) {
    throw new UrdfError(source, 'document', `malformed XML: ${(e as Error).message}`);
  }
  const robots = doc.filter((e) => e.tag === 'robot');
  if (robots.length === 0) {
    const found = doc.length ? `<${doc[0].tag}>` : 'nothing';
    throw new UrdfError(source, 'document', `no <robot> root element (found ${found})`);
  }
  if (robots.length > 1) throw new UrdfError(source, 'document', `${robots.length} <robot> elements; expected one`);
  const robotEl = robots[0];
  const robotName = robotEl.attrs.name;
  if (robotName === undefined || robotName.trim() === '') {
    throw new UrdfError(source, 'robot', `missing required attribute 'name'`);
  }

  for (const tag of ['link', 'joint']) {
    const n = robotEl.children.reduce((k, e) => k + (e.tag === tag ? 1 : 0), 0);
    if (n > maxLinks) throw new UrdfError(source, `robot '${robotName}'`, `${n} <${tag}> elements, over the limit of ${maxLinks}`);
  }

  const materials = new Map<string, Rgba | undefined>();
  const links: UrdfLink[] = [];
  const joints: UrdfJoint[] = [];
  const linkLine = new Map<string, number>();
  const jointLine = new Map<string, number>();
  let linkIdx = 0;
  let jointIdx = 0;
  let materialIdx = 0;
  for (const el of robotEl.children) {
    if (el.tag === 'material') {
      const ctx = new Ctx(source, describe('material', el, materialIdx++));
      const name = el.attrs.name;
      if (name === undefined) ctx.fail(`missing required attribute 'name'`);
      const c = onlyChild(ctx, el, 'color');
      materials.set(name, c ? readRgba(ctx, c, warnings) : undefined);
    } else if (el.tag === 'link') {
      const ctx = new Ctx(source, describe('link', el, linkIdx++));
      const link = readLink(ctx, el, warnings);
      const prev = linkLine.get(link.name);
      if (prev !== undefined) ctx.fail(`duplicate link name (first defined on line ${prev})`);
      linkLine.set(link.name, el.line);
      links.push(link);
    } else if (el.tag === 'joint') {
      const ctx = new Ctx(source, describe('joint', el, jointIdx++));
      const joint = readJoint(ctx, el, warnings);
      const prev = jointLine.get(joint.name);
      if (prev !== undefined) ctx.fail(`duplicate joint name (first defined on line ${prev})`);
      jointLine.set(joint.name, el.line);
      joints.push(joint);
    }
    // Anything else (<gazebo>, <transmission>, xacro leftovers, ...) is not about the model.
  }
  const names: [string, string][] = [['robot', robotName], ...links.map((l): [string, string] => ['link', l.name]),
    ...joints.map((j): [string, string] => ['joint', j.name]), ...[...materials.keys()].map((m): [string, string] => ['material', m])];
  for (const [kind, name] of names) {
    const entity = UNEXPANDED_ENTITY.exec(name);
    if (entity) warnings.push(`${source}: ${kind} '${name}': the name contains the unexpanded XML entity '${entity[0]}' (a DOCTYPE the parser does not read, or a xacro leftover?)`);
  }
  return { name: robotName, source, links, joints, materials };
}

// ---------------------------------------------------------------------------------------------
// Small SE3 / inertia helpers (private; allocation is fine, this runs once)
// ---------------------------------------------------------------------------------------------

type Mat3 = number[]; // 9, row-major

interface SE3 {
  R: Mat3;
  p: Vec3;
}

const IDENTITY: SE3 = { R: [1, 0, 0, 0, 1, 0, 0, 0, 1], p: [0, 0, 0] };

/** URDF rpy: fixed-axis roll, pitch, yaw: R = Rz(yaw) Ry(pitch) Rx(roll). */
export function rpyToMatrix(r: number, p: number, y: number): Mat3 {
  const cr = Math.cos(r);
  const sr = Math.sin(r);
  const cp = Math.cos(p);
  const sp = Math.sin(p);
  const cy = Math.cos(y);
  const sy = Math.sin(y);
  return [
    cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr,
    sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr,
    -sp, cp * sr, cp * cr,
  ];
}

function poseToSE3(pose: UrdfPose): SE3 {
  return { R: rpyToMatrix(pose.rpy[0], pose.rpy[1], pose.rpy[2]), p: [...pose.xyz] };
}

function matMul(a: Mat3, b: Mat3): Mat3 {
  const c = new Array<number>(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      c[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
    }
  }
  return c;
}

function matVec(a: Mat3, v: Vec3): Vec3 {
  return [
    a[0] * v[0] + a[1] * v[1] + a[2] * v[2],
    a[3] * v[0] + a[4] * v[1] + a[5] * v[2],
    a[6] * v[0] + a[7] * v[1] + a[8] * v[2],
  ];
}

function transpose(a: Mat3): Mat3 {
  return [a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]];
}

function compose(a: SE3, b: SE3): SE3 {
  const rp = matVec(a.R, b.p);
  return { R: matMul(a.R, b.R), p: [rp[0] + a.p[0], rp[1] + a.p[1], rp[2] + a.p[2]] };
}

function se3Array(t: SE3): Float64Array {
  const out = new Float64Array(12);
  out.set(t.R, 0);
  out.set(t.p, 9);
  return out;
}

/** Body inertia with a full symmetric 3x3 tensor about the COM, for merging. */
interface Inertia {
  m: number;
  c: Vec3;
  I: Mat3;
}

const ZERO_INERTIA = (): Inertia => ({ m: 0, c: [0, 0, 0], I: [0, 0, 0, 0, 0, 0, 0, 0, 0] });

function symFrom6(v: readonly number[]): Mat3 {
  // ixx, iyy, izz, ixy, ixz, iyz
  return [v[0], v[3], v[4], v[3], v[1], v[5], v[4], v[5], v[2]];
}

/** Expresses an inertia given in frame B in frame A, where T maps B to A. */
function transformInertia(T: SE3, J: Inertia): Inertia {
  const c = matVec(T.R, J.c);
  return {
    m: J.m,
    c: [c[0] + T.p[0], c[1] + T.p[1], c[2] + T.p[2]],
    I: matMul(matMul(T.R, J.I), transpose(T.R)),
  };
}

/** Sum of two rigidly attached inertias in the same frame (parallel-axis theorem). */
function addInertia(a: Inertia, b: Inertia): Inertia {
  const m = a.m + b.m;
  const c: Vec3 =
    m > 0
      ? [
          (a.m * a.c[0] + b.m * b.c[0]) / m,
          (a.m * a.c[1] + b.m * b.c[1]) / m,
          (a.m * a.c[2] + b.m * b.c[2]) / m,
        ]
      : [0, 0, 0];
  const I = new Array<number>(9).fill(0);
  for (const part of [a, b]) {
    const d = [part.c[0] - c[0], part.c[1] - c[1], part.c[2] - c[2]];
    const d2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        I[3 * i + j] += part.I[3 * i + j] + part.m * ((i === j ? d2 : 0) - d[i] * d[j]);
      }
    }
  }
  return { m, c, I };
}

function inertiaTo10(J: Inertia, out: Float64Array, offset: number): void {
  out[offset] = J.m;
  out[offset + 1] = J.c[0];
  out[offset + 2] = J.c[1];
  out[offset + 3] = J.c[2];
  out[offset + 4] = J.I[0];
  out[offset + 5] = J.I[4];
  out[offset + 6] = J.I[8];
  out[offset + 7] = 0.5 * (J.I[1] + J.I[3]);
  out[offset + 8] = 0.5 * (J.I[2] + J.I[6]);
  out[offset + 9] = 0.5 * (J.I[5] + J.I[7]);
}

/** Eigenvalues of a symmetric 3x3 matrix (closed form), ascending. */
function eigenSym3(A: Mat3): [number, number, number] {
  const a = A[0];
  const b = A[4];
  const c = A[8];
  const d = A[1];
  const e = A[5];
  const f = A[2];
  const p1 = d * d + e * e + f * f;
  if (p1 === 0) return [a, b, c].sort((x, y) => x - y) as [number, number, number];
  const q = (a + b + c) / 3;
  const p2 = (a - q) ** 2 + (b - q) ** 2 + (c - q) ** 2 + 2 * p1;
  const p = Math.sqrt(p2 / 6);
  const B = [a - q, d, f, d, b - q, e, f, e, c - q].map((x) => x / p);
  const detB =
    B[0] * (B[4] * B[8] - B[5] * B[7]) - B[1] * (B[3] * B[8] - B[5] * B[6]) + B[2] * (B[3] * B[7] - B[4] * B[6]);
  const r = Math.max(-1, Math.min(1, detB / 2));
  const phi = Math.acos(r) / 3;
  // Eigenvalues q + 2p cos(phi + 2k pi/3): k = 0 the largest, k = 1 the smallest.
  const hi = q + 2 * p * Math.cos(phi);
  const lo = q + 2 * p * Math.cos(phi + (2 * Math.PI) / 3);
  return [lo, 3 * q - hi - lo, hi];
}

/**
 * The robot's inertia scale: the largest link inertia (sum of |diagonal|). Tolerances on a link's
 * tensor are relative to it as well as to the link's own, so that a link whose tensor is all but
 * zero (iCub ships one with a zero diagonal and an off-diagonal of 1.4e-20) is judged against the
 * robot's scale instead of against its own zero trace.
 */
const inertiaScales = new WeakMap<UrdfRobot, number>();
function robotInertiaScale(robot: UrdfRobot): number {
  let s = inertiaScales.get(robot);
  if (s === undefined) {
    s = 0;
    for (const l of robot.links) {
      const v = l.inertial?.inertia;
      if (v) s = Math.max(s, Math.abs(v[0]) + Math.abs(v[1]) + Math.abs(v[2]));
    }
    inertiaScales.set(robot, s);
  }
  return s;
}

/** Relative tolerance of the inertia checks (round-off of tensors written with ~9 digits). */
const INERTIA_RTOL = 1e-9;

function inertiaTolerance(robot: UrdfRobot, Ic: Mat3): number {
  const own = Math.abs(Ic[0]) + Math.abs(Ic[4]) + Math.abs(Ic[8]);
  return INERTIA_RTOL * Math.max(own, robotInertiaScale(robot)) + 1e-300;
}

/**
 * Physically suspicious inertials, as warnings (the model still builds): principal moments that
 * violate the triangle inequality (no rigid body has them), and zero mass with non-zero inertia.
 */
function inertialWarnings(robot: UrdfRobot, warnings: string[]): void {
  for (const link of robot.links) {
    const inl = link.inertial;
    if (!inl) continue;
    const Ic = symFrom6(inl.inertia);
    const [l0, l1, l2] = eigenSym3(Ic);
    const tol = inertiaTolerance(robot, Ic);
    const where = `${robot.source}: link '${link.name}'`;
    if (l0 >= -tol && l0 + l1 < l2 - tol) {
      warnings.push(`${where}: principal moments of inertia (${[l0, l1, l2].map((x) => x.toPrecision(3)).join(', ')}) violate the triangle inequality (${l0.toPrecision(3)} + ${l1.toPrecision(3)} < ${l2.toPrecision(3)}): no rigid body has this inertia`);
    }
    if (inl.mass === 0 && Math.max(Math.abs(l0), Math.abs(l2)) > tol) {
      warnings.push(`${where}: zero mass with a non-zero inertia tensor`);
    }
  }
}

function linkInertia(robot: UrdfRobot, link: UrdfLink): Inertia {
  const inl = link.inertial;
  if (!inl) return ZERO_INERTIA();
  const Ic = symFrom6(inl.inertia);
  const lmin = eigenSym3(Ic)[0];
  if (lmin < -inertiaTolerance(robot, Ic)) {
    throw new UrdfError(
      robot.source,
      `link '${link.name}'`,
      `<inertia> matrix is not positive semi-definite (smallest eigenvalue ${lmin.toPrecision(3)})`,
    );
  }
  return transformInertia(poseToSE3(inl.origin), { m: inl.mass, c: [0, 0, 0], I: Ic });
}

// ---------------------------------------------------------------------------------------------
// Mesh resolution
// ---------------------------------------------------------------------------------------------

function isFile(p: string): boolean {
  try {
    return existsSync(p) && statSync(p).isFile();
  } catch {
    return false;
  }
}

function ancestors(dir: string): string[] {
  const out: string[] = [];
  let d = path.resolve(dir);
  for (;;) {
    out.push(d);
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  return out;
}

/** Absolute path of a mesh URI, or null when no file is found. */
export function resolveMeshUri(uri: string, packageDirs: readonly string[], baseDir?: string): string | null {
  if (uri.startsWith('package://')) {
    const parts = uri.slice('package://'.length).split('/').filter((s) => s !== '' && s !== '.');
    if (parts.length === 0 || parts.includes('..')) return null;
    // Explicit package dirs: dir/pkg/rest, dir/rest (dir is the package), then more stripped.
    for (const dir of packageDirs) {
      for (let k = 0; k < parts.length; k++) {
        const p = path.resolve(dir, ...parts.slice(k));
        if (isFile(p)) return p;
      }
    }
    // Fallback: the ancestors of the URDF's directory, keeping at least one directory level.
    if (baseDir) {
      for (const dir of ancestors(baseDir)) {
        for (let k = 0; k < parts.length - 1; k++) {
          const p = path.resolve(dir, ...parts.slice(k));
          if (isFile(p)) return p;
        }
      }
    }
    return null;
  }
  let p = uri;
  if (uri.startsWith('file://')) p = decodeURIComponent(uri.slice('file://'.length));
  else if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(uri)) return null; // http://, model://, ...
  if (!path.isAbsolute(p)) {
    if (!baseDir) return null;
    p = path.resolve(baseDir, p);
  }
  return isFile(p) ? p : null;
}

// ---------------------------------------------------------------------------------------------
// Stage 2: tree -> Model
// ---------------------------------------------------------------------------------------------

interface MovingJoint {
  name: string;
  kind: number;
  body: string;
  parent: number;
  placement: SE3;
  axis: Vec3;
  urdf: UrdfJoint | null; // null for the free-flyer
}

export function buildModel(robot: UrdfRobot, opts: ParseUrdfOptions = {}, warnings: string[] = []): Model {
  const file = robot.source;
  const fail = (element: string, problem: string): never => {
    throw new UrdfError(file, element, problem);
  };
  const floating = opts.floating ?? false;

  if (robot.links.length === 0) fail(`robot '${robot.name}'`, 'no <link> elements');
  inertialWarnings(robot, warnings);
  const linkByName = new Map<string, UrdfLink>();
  for (const l of robot.links) linkByName.set(l.name, l);

  // Parent joint of every link; children joints of every link, in file order.
  const parentJointOf = new Map<string, UrdfJoint>();
  const childJoints = new Map<string, UrdfJoint[]>();
  for (const j of robot.joints) {
    const el = `joint '${j.name}'`;
    if (!linkByName.has(j.parent)) fail(el, `parent link '${j.parent}' does not exist`);
    if (!linkByName.has(j.child)) fail(el, `child link '${j.child}' does not exist`);
    const prev = parentJointOf.get(j.child);
    if (prev) fail(`link '${j.child}'`, `has two parent joints '${prev.name}' and '${j.name}'`);
    parentJointOf.set(j.child, j);
    const list = childJoints.get(j.parent);
    if (list) list.push(j);
    else childJoints.set(j.parent, [j]);
  }

  const findCycle = (start: string): never => {
    const seen: string[] = [];
    let cur = start;
    while (!seen.includes(cur)) {
      seen.push(cur);
      const pj = parentJointOf.get(cur);
      if (!pj) break;
      cur = pj.parent;
    }
    const loop = seen.slice(seen.indexOf(cur));
    const names = [...loop].reverse().concat(loop[loop.length - 1]).map((n) => `'${n}'`);
    // The loop above walks child -> parent; print it parent -> child.
    return fail(`robot '${robot.name}'`, `kinematic cycle through links ${names.join(' -> ')}`);
  };

  const roots = robot.links.filter((l) => !parentJointOf.has(l.name));
  if (roots.length === 0) findCycle(robot.links[0].name);
  if (roots.length > 1) {
    fail(
      `robot '${robot.name}'`,
      `several root links: ${roots.map((l) => `'${l.name}'`).join(', ')} (all links must form one tree)`,
    );
  }
  const root = roots[0];

  // Depth-first traversal from the root, children in file order.
  const moving: MovingJoint[] = [
    { name: 'universe', kind: -1, body: floating ? 'universe' : root.name, parent: -1, placement: IDENTITY, axis: [0, 0, 0], urdf: null },
  ];
  const bodyInertia: Inertia[] = [ZERO_INERTIA()];
  const frames: Frame[] = [];
  const visuals: Geometry[] = [];
  const collisions: Geometry[] = [];
  const reached = new Set<string>();
  const packageDirs = opts.packageDirs ?? [];

  const addGeometry = (link: UrdfLink, parentJoint: number, T: SE3): void => {
    for (const [list, out, isCollision] of [
      [link.visuals, visuals, false],
      [link.collisions, collisions, true],
    ] as const) {
      for (let i = 0; i < list.length; i++) {
        const g = list[i];
        let shape: GeometryShape;
        if (g.shape.type === 'mesh') {
          const p = resolveMeshUri(g.shape.uri, packageDirs, opts.baseDir);
          if (p === null) {
            const kind = isCollision ? 'collision' : 'visual';
            const problem = `${kind} mesh '${g.shape.uri}' not found (package dirs: ${
              packageDirs.length ? packageDirs.join(', ') : 'none'
            }${opts.baseDir ? `; base dir ${opts.baseDir}` : ''})`;
            if (isCollision && opts.needCollisionMeshes) fail(`link '${link.name}'`, problem);
            warnings.push(`${file}: link '${link.name}': ${problem}`);
          }
          shape = { type: 'mesh', uri: g.shape.uri, path: p, scale: g.shape.scale };
        } else {
          shape = g.shape;
        }
        const geom: Geometry = {
          link: link.name,
          name: g.name,
          parentJoint,
          placement: se3Array(compose(T, poseToSE3(g.origin))),
          shape,
        };
        if (!isCollision) {
          let rgba = g.rgba;
          if (!rgba && g.materialName !== '') {
            if (robot.materials.has(g.materialName)) rgba = robot.materials.get(g.materialName);
            else warnings.push(`${file}: link '${link.name}': material '${g.materialName}' is not defined`);
          }
          if (rgba) geom.rgba = [...rgba];
        }
        out.push(geom);
      }
    }
  };

  // Depth-first, children in file order, with an explicit stack (a 5,000-link chain must not
  // overflow the call stack): a popped edge numbers its joint, then its child link's own edges
  // go on the stack in reverse so that they pop in file order, as a recursive walk would.
  interface Edge { joint: UrdfJoint; mj: number; T: SE3 }
  const stack: Edge[] = [];
  /** Adds `link`, attached to moving joint `mj` with placement T (link frame -> joint frame), and queues its child joints. */
  const enter = (link: UrdfLink, mj: number, T: SE3, kind: 'body' | 'fixed'): void => {
    reached.add(link.name);
    frames.push({ name: link.name, kind, parentJoint: mj, placement: se3Array(T) });
    bodyInertia[mj] = addInertia(bodyInertia[mj], transformInertia(T, linkInertia(robot, link)));
    addGeometry(link, mj, T);
    const children = childJoints.get(link.name) ?? [];
    for (let i = children.length - 1; i >= 0; i--) stack.push({ joint: children[i], mj, T });
  };
  const walk = (): void => {
    for (let e = stack.pop(); e; e = stack.pop()) {
      const { joint: j, mj, T } = e;
      // Each link has at most one parent joint and the root none: this walk is a tree walk.
      const child = linkByName.get(j.child) as UrdfLink;
      const Tj = compose(T, poseToSE3(j.origin));
      if (j.type === 'fixed') {
        frames.push({ name: j.name, kind: 'joint', parentJoint: mj, placement: se3Array(Tj) });
        enter(child, mj, Tj, 'fixed');
      } else {
        const idx = moving.length;
        moving.push({
          name: j.name,
          kind: j.type === 'prismatic' ? JOINT_PRISMATIC : JOINT_REVOLUTE,
          body: child.name,
          parent: mj,
          placement: Tj,
          axis: j.axis,
          urdf: j,
        });
        bodyInertia.push(ZERO_INERTIA());
        frames.push({ name: j.name, kind: 'joint', parentJoint: idx, placement: se3Array(IDENTITY) });
        enter(child, idx, IDENTITY, 'body');
      }
    }
  };

  if (floating) {
    moving.push({ name: 'root_joint', kind: JOINT_FREE, body: root.name, parent: 0, placement: IDENTITY, axis: [0, 0, 0], urdf: null });
    bodyInertia.push(ZERO_INERTIA());
    frames.push({ name: 'root_joint', kind: 'joint', parentJoint: 1, placement: se3Array(IDENTITY) });
    enter(root, 1, IDENTITY, 'body');
  } else {
    enter(root, 0, IDENTITY, 'body');
  }
  walk();
  for (const l of robot.links) if (!reached.has(l.name)) findCycle(l.name);

  // Flat arrays.
  const njoints = moving.length;
  const jointTypes = new Int32Array(njoints);
  const parents = new Int32Array(njoints);
  const idxQ = new Int32Array(njoints);
  const idxV = new Int32Array(njoints);
  const nqs = new Int32Array(njoints);
  const nvs = new Int32Array(njoints);
  const continuous = new Uint8Array(njoints);
  const jointPlacements = new Float64Array(12 * njoints);
  const axes = new Float64Array(3 * njoints);
  const inertias = new Float64Array(10 * njoints);
  let nq = 0;
  let nv = 0;
  for (let i = 0; i < njoints; i++) {
    const mjnt = moving[i];
    jointTypes[i] = mjnt.kind;
    parents[i] = mjnt.parent;
    jointPlacements.set(se3Array(mjnt.placement), 12 * i);
    axes.set(mjnt.axis, 3 * i);
    if (i === 0) continue;
    const q = mjnt.kind === JOINT_FREE ? 7 : 1;
    const v = mjnt.kind === JOINT_FREE ? 6 : 1;
    idxQ[i] = nq;
    idxV[i] = nv;
    nqs[i] = q;
    nvs[i] = v;
    nq += q;
    nv += v;
    if (mjnt.urdf?.type === 'continuous') continuous[i] = 1;
    inertiaTo10(bodyInertia[i], inertias, 10 * i);
    const J = bodyInertia[i];
    if (J.m === 0 && J.I.every((x) => x === 0)) {
      warnings.push(
        `${file}: joint '${mjnt.name}': body '${mjnt.body}' has zero mass and zero inertia (singular mass matrix)`,
      );
    }
  }
  idxQ[0] = 0;
  idxV[0] = 0;
  const nu = moving.reduce((s, m, i) => (i > 0 && m.kind !== JOINT_FREE ? s + 1 : s), 0);

  const lowerPositionLimit = new Float64Array(nq).fill(-Infinity);
  const upperPositionLimit = new Float64Array(nq).fill(Infinity);
  const velocityLimit = new Float64Array(nv).fill(Infinity);
  const effortLimit = new Float64Array(nv).fill(Infinity);
  const damping = new Float64Array(nv);
  const friction = new Float64Array(nv);
  for (let i = 1; i < njoints; i++) {
    const j = moving[i].urdf;
    if (!j) continue;
    damping[idxV[i]] = j.damping;
    friction[idxV[i]] = j.friction;
    const lim = j.limit;
    if (!lim) continue;
    const placeholders: string[] = [];
    if (j.type !== 'continuous' && lim.lower !== undefined && lim.upper !== undefined) {
      if (lim.lower === 0 && lim.upper === 0) {
        placeholders.push('lower = upper = 0 read as no position limit');
      } else {
        lowerPositionLimit[idxQ[i]] = lim.lower;
        upperPositionLimit[idxQ[i]] = lim.upper;
      }
    } else if (j.type !== 'continuous') {
      // Only one side given: the other side is unlimited.
      if (lim.lower !== undefined) lowerPositionLimit[idxQ[i]] = lim.lower;
      if (lim.upper !== undefined) upperPositionLimit[idxQ[i]] = lim.upper;
    }
    if (lim.effort === 0) placeholders.push('effort 0 read as no effort limit');
    else if (lim.effort !== undefined) effortLimit[idxV[i]] = lim.effort;
    if (lim.velocity === 0) placeholders.push('velocity 0 read as no velocity limit');
    else if (lim.velocity !== undefined) velocityLimit[idxV[i]] = lim.velocity;
    if (placeholders.length) warnings.push(`${file}: joint '${j.name}': <limit> ${placeholders.join('; ')}`);
  }

  const rootInertia = new Float64Array(10);
  if (!floating) inertiaTo10(bodyInertia[0], rootInertia, 0);

  return {
    name: robot.name,
    source: file,
    nq,
    nv,
    nu,
    njoints,
    jointNames: moving.map((m) => m.name),
    bodyNames: moving.map((m) => m.body),
    jointTypes,
    parents,
    idxQ,
    idxV,
    nqs,
    nvs,
    continuous,
    jointPlacements,
    axes,
    inertias,
    lowerPositionLimit,
    upperPositionLimit,
    velocityLimit,
    effortLimit,
    damping,
    friction,
    gravity: new Float64Array([0, 0, -9.81]),
    frames,
    visuals,
    collisions,
    rootInertia,
    floating,
  };
}

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
