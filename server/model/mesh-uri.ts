/**
 * Mesh URIs of a URDF to files: `package://pkg/rest` is looked up in each package dir as
 * dir/pkg/rest, dir/rest, then with further leading components stripped; after the explicit
 * dirs, the ancestors of baseDir are tried the same way (keeping at least one directory
 * component), which resolves the upstream example-robot-data layout with no options.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

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

