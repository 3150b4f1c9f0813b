/**
 * The one rule for files a robot may expose (served meshes, meshes embedded in recordings):
 * a file counts only when its real path lies inside one of the robot's folders.
 */
import path from 'node:path';

/** Whether real path p lies inside one of the (real) folders. */
export function insideAny(p: string, roots: readonly string[]): boolean {
  return roots.some((r) => { const rel = path.relative(r, p); return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel); });
}
