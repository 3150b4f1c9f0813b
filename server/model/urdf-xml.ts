/**
 * URDF stage 1: XML text -> typed intermediate description (`UrdfRobot`). Every number is
 * parsed strictly here (fast-xml-parser keeps attribute values as strings), every attribute
 * and element checked, nothing about the tree assumed yet.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { DEFAULT_MAX_URDF_LINKS } from '../../shared/limits.ts';
import { UrdfError, type Rgba, type UrdfGeometry, type UrdfInertial, type UrdfJoint, type UrdfLimit, type UrdfLink, type UrdfPose, type UrdfRobot, type UrdfShape, type Vec3 } from './urdf-types.ts';
import { jointForUrdf, JOINT_TYPES } from './joints/index.ts';

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
  const accepted = ['fixed', ...JOINT_TYPES.flatMap((t) => t.urdfTypes)];
  if (type === 'floating' || type === 'planar') {
    ctx.fail(
      `unsupported joint type '${type}' (only ${accepted.join(', ')}; ` +
        `a free-flying base is requested with the 'floating' option instead)`,
    );
  }
  if (type !== 'fixed' && jointForUrdf(type) === undefined) {
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

/** An entity reference left in a value: XML's five are expanded by the parser, any other stays. */
const UNEXPANDED_ENTITY = /&(?:[A-Za-z_][\w.-]*|#\d+|#x[0-9a-fA-F]+);/;

/** item, after checking that no earlier element of its kind has its name (lines: name -> line of the first). */
function uniquelyNamed<T extends { name: string }>(ctx: Ctx, kind: string, item: T, line: number, lines: Map<string, number>): T {
  const prev = lines.get(item.name);
  if (prev !== undefined) ctx.fail(`duplicate ${kind} name (first defined on line ${prev})`);
  lines.set(item.name, line);
  return item;
}

/** Stage 1: XML text -> typed, validated description (tree not checked yet). */
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
      links.push(uniquelyNamed(ctx, 'link', readLink(ctx, el, warnings), el.line, linkLine));
    } else if (el.tag === 'joint') {
      const ctx = new Ctx(source, describe('joint', el, jointIdx++));
      joints.push(uniquelyNamed(ctx, 'joint', readJoint(ctx, el, warnings), el.line, jointLine));
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

