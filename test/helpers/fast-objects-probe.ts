/**
 * Run with `node --allow-natives-syntax --import tsx`: walks the objects the simulator and the
 * linearizer touch per step and prints, as JSON, the paths of those V8 keeps in dictionary
 * mode (every property access a hash lookup). See test/dynamics/fast-objects.test.ts.
 */
import { Linearizer } from '../../server/dynamics/step-derivatives.ts';
import { Simulator } from '../../server/dynamics/step.ts';
import { loadRobot } from '../../server/model/robots.ts';
import { parseScene } from '../../server/dynamics/scene.ts';

// V8 intrinsic syntax: parsed only under --allow-natives-syntax, hence the Function constructor
const hasFast = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean;

const { model } = loadRobot('solo12');
const scene = parseScene({ boxes: [{ name: 'step', size: [0.4, 0.4, 0.05], position: [0.3, 0, 0.025], friction: 0.8 }] });
const sim = new Simulator(model, scene, { dt: 0.01 });
const lin = new Linearizer(sim);

const slow: string[] = [];
const seen = new Set<object>();
function walk(o: unknown, path: string, depth: number): void {
  if (o === null || typeof o !== 'object' || ArrayBuffer.isView(o) || seen.has(o) || depth > 4) return;
  seen.add(o);
  if (!Array.isArray(o) && !(o instanceof Map) && !(o instanceof Set) && !hasFast(o)) slow.push(path);
  const entries = o instanceof Map ? [...o.entries()].map(([k, v], i) => [`${i}:${String(k)}`, v] as const) : Object.entries(o);
  for (const [k, v] of entries) walk(v, `${path}.${k}`, depth + 1);
}
walk(sim, 'simulator', 0);
walk(lin, 'linearizer', 0);
process.stdout.write(JSON.stringify({ checked: seen.size, slow }));
