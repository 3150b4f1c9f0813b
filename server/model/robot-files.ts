/** Where the project's robots live: robots/<name>.json (metadata) next to robots/<name>.urdf. */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's robots/ directory. */
export const DEFAULT_ROBOTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../robots');

/** Names of the robots described in `dir` (the *.json files), sorted. */
export function listRobots(dir: string = DEFAULT_ROBOTS_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}
