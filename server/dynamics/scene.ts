/**
 * The static environment a task declares: a ground half-space and optional static boxes
 * (a step, a table), each with its Coulomb friction coefficient.
 *
 * JSON form (what `npm run simulate -- --scene file.json` reads and tasks send):
 *   {
 *     "ground": { "height": 0, "friction": 0.9 },      // or null for no ground
 *     "boxes": [ { "name": "step", "size": [0.4, 0.4, 0.05], "position": [0.3, 0, 0.025],
 *                  "rpy": [0, 0, 0], "friction": 0.9 } ]
 *   }
 */
import { rpyToRot } from '../model/spatial.ts';

export interface SceneBox {
  name: string;
  /** Full size (m). */
  size: [number, number, number];
  /** World placement (SE3, 12 numbers). */
  placement: Float64Array;
  friction: number;
}

export interface Scene {
  ground: { height: number; friction: number } | null;
  boxes: SceneBox[];
}

export const DEFAULT_FRICTION = 0.9;

export function defaultScene(): Scene {
  return { ground: { height: 0, friction: DEFAULT_FRICTION }, boxes: [] };
}

export class SceneError extends Error {}

function num(x: unknown, where: string, opts: { min?: number; exclusiveMin?: boolean } = {}): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new SceneError(`${where}: expected a finite number, got ${JSON.stringify(x)}`);
  if (opts.min !== undefined && (opts.exclusiveMin ? x <= opts.min : x < opts.min)) {
    throw new SceneError(`${where}: must be ${opts.exclusiveMin ? '>' : '>='} ${opts.min}, got ${x}`);
  }
  return x;
}

function vec3(x: unknown, where: string, positive = false): [number, number, number] {
  if (!Array.isArray(x) || x.length !== 3) throw new SceneError(`${where}: expected an array of 3 numbers`);
  return [0, 1, 2].map((i) => num(x[i], `${where}[${i}]`, positive ? { min: 0, exclusiveMin: true } : {})) as [number, number, number];
}

/** Validates a scene given as parsed JSON; errors name the offending field. */
export function parseScene(json: unknown, source = 'scene'): Scene {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new SceneError(`${source}: expected a JSON object`);
  const obj = json as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (key !== 'ground' && key !== 'boxes') throw new SceneError(`${source}: unknown field '${key}' (expected 'ground', 'boxes')`);
  }
  let ground: Scene['ground'] = { height: 0, friction: DEFAULT_FRICTION };
  if (obj.ground === null) ground = null;
  else if (obj.ground !== undefined) {
    if (typeof obj.ground !== 'object' || Array.isArray(obj.ground)) throw new SceneError(`${source}.ground: expected an object or null`);
    const g = obj.ground as Record<string, unknown>;
    ground = {
      height: g.height === undefined ? 0 : num(g.height, `${source}.ground.height`),
      friction: g.friction === undefined ? DEFAULT_FRICTION : num(g.friction, `${source}.ground.friction`, { min: 0 }),
    };
  }
  const boxes: SceneBox[] = [];
  if (obj.boxes !== undefined) {
    if (!Array.isArray(obj.boxes)) throw new SceneError(`${source}.boxes: expected an array`);
    obj.boxes.forEach((b: unknown, i: number) => {
      const where = `${source}.boxes[${i}]`;
      if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new SceneError(`${where}: expected an object`);
      const r = b as Record<string, unknown>;
      const size = vec3(r.size, `${where}.size`, true);
      const position = r.position === undefined ? [0, 0, 0] : vec3(r.position, `${where}.position`);
      const rpy = r.rpy === undefined ? [0, 0, 0] : vec3(r.rpy, `${where}.rpy`);
      const placement = new Float64Array(12);
      rpyToRot(rpy[0], rpy[1], rpy[2], placement, 0);
      placement[9] = position[0]; placement[10] = position[1]; placement[11] = position[2];
      boxes.push({
        name: typeof r.name === 'string' ? r.name : `box${i}`,
        size,
        placement,
        friction: r.friction === undefined ? DEFAULT_FRICTION : num(r.friction, `${where}.friction`, { min: 0 }),
      });
    });
  }
  return { ground, boxes };
}

/** JSON form of a scene (for recordings and the client). */
export function sceneToJson(scene: Scene): unknown {
  return {
    ground: scene.ground,
    boxes: scene.boxes.map((b) => ({ name: b.name, size: b.size, placement: Array.from(b.placement), friction: b.friction })),
  };
}
