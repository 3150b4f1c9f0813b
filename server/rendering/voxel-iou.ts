/**
 * 3D IoU of two triangle meshes by voxelization: both on one cubic grid of n^3 voxels over
 * the union of their bounding boxes (2 % margin), a voxel inside a mesh when rays through its
 * centre along x, y and z cross the surface an odd number of times before it, for at least two
 * of the three axes (a majority vote: one leaky row of a mesh that is not quite closed does not
 * decide). Crossings are found per triangle over the rows its bounding box covers and recorded
 * as parity flips, so no crossing lists are sorted. Rays pass a tiny fixed offset away from the
 * voxel centres, so that a ray exactly through a shared edge or vertex is (almost) never met.
 */
import { MAX_VOXEL_GRID } from '../../shared/limits.ts';
export interface VoxelMesh {
  readonly vertices: ArrayLike<number>;
  readonly faces: ArrayLike<number>;
}

export interface VoxelGrid {
  /** Corner of the grid (minimum x, y, z). */
  lo: [number, number, number];
  /** Voxel side. */
  h: number;
  n: number;
}


/** A cubic grid of n^3 voxels holding every given mesh (their bounding boxes' union, 2 % margin). */
export function gridFor(meshes: VoxelMesh[], n: number): VoxelGrid {
  if (!(Number.isInteger(n) && n >= 2 && n <= MAX_VOXEL_GRID)) throw new RangeError(`voxel grid must be an integer in [2, ${MAX_VOXEL_GRID}], got ${n}`);
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (const m of meshes) {
    for (let i = 0; i < m.vertices.length; i++) {
      lo[i % 3] = Math.min(lo[i % 3], m.vertices[i]);
      hi[i % 3] = Math.max(hi[i % 3], m.vertices[i]);
    }
  }
  const side = Math.max(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]) * 1.02;
  if (!(side > 0)) throw new RangeError('meshes have no extent');
  const c = [0, 1, 2].map((k) => (lo[k] + hi[k]) / 2);
  return { lo: [c[0] - side / 2, c[1] - side / 2, c[2] - side / 2], h: side / n, n };
}

/** Occupancy of `mesh` on `grid`: 1 inside, index x + n (y + n z). */
export function voxelize(mesh: VoxelMesh, grid: VoxelGrid): Uint8Array {
  const n = grid.n;
  const votes = new Uint8Array(n * n * n);
  const flips = new Uint8Array((n + 1) * n * n);
  for (let axis = 0; axis < 3; axis++) {
    flips.fill(0);
    parityFlips(mesh, grid, axis, flips);
    // Prefix xor along the ray: voxel i is inside when the crossings before it are odd.
    const b = (axis + 1) % 3, c = (axis + 2) % 3;
    const idx = [0, 0, 0];
    for (let k = 0; k < n; k++) {
      for (let j = 0; j < n; j++) {
        const row = (k * n + j) * (n + 1);
        let par = 0;
        for (let i = 0; i < n; i++) {
          par ^= flips[row + i];
          if (par === 0) continue;
          idx[axis] = i; idx[b] = j; idx[c] = k;
          votes[idx[0] + n * (idx[1] + n * idx[2])]++;
        }
      }
    }
  }
  for (let i = 0; i < votes.length; i++) votes[i] = votes[i] >= 2 ? 1 : 0;
  return votes;
}

/** For rays along `axis` (rows indexed by the next two axes), flips at the first voxel past each crossing. */
function parityFlips(mesh: VoxelMesh, grid: VoxelGrid, axis: number, flips: Uint8Array): void {
  const n = grid.n, h = grid.h, V = mesh.vertices, F = mesh.faces;
  const b = (axis + 1) % 3, c = (axis + 2) % 3;
  // Ray offsets: small irrational fractions of a voxel.
  const ob = h * 1.2345e-4 * (axis + 1), oc = h * 2.7183e-4 * (axis + 1);
  for (let f = 0; f < F.length; f += 3) {
    const i0 = 3 * F[f], i1 = 3 * F[f + 1], i2 = 3 * F[f + 2];
    const b0 = V[i0 + b], b1 = V[i1 + b], b2 = V[i2 + b];
    const c0 = V[i0 + c], c1 = V[i1 + c], c2 = V[i2 + c];
    const area = (b1 - b0) * (c2 - c0) - (b2 - b0) * (c1 - c0);
    if (area === 0) continue; // edge-on: no ray crosses it (its neighbours count)
    const jLo = Math.max(0, Math.ceil((Math.min(b0, b1, b2) - ob - grid.lo[b]) / h - 0.5));
    const jHi = Math.min(n - 1, Math.floor((Math.max(b0, b1, b2) - ob - grid.lo[b]) / h - 0.5));
    const kLo = Math.max(0, Math.ceil((Math.min(c0, c1, c2) - oc - grid.lo[c]) / h - 0.5));
    const kHi = Math.min(n - 1, Math.floor((Math.max(c0, c1, c2) - oc - grid.lo[c]) / h - 0.5));
    const a0 = V[i0 + axis], a1 = V[i1 + axis], a2 = V[i2 + axis];
    for (let k = kLo; k <= kHi; k++) {
      const pc = grid.lo[c] + (k + 0.5) * h + oc;
      for (let j = jLo; j <= jHi; j++) {
        const pb = grid.lo[b] + (j + 0.5) * h + ob;
        const l0 = ((b1 - pb) * (c2 - pc) - (b2 - pb) * (c1 - pc)) / area;
        const l1 = ((b2 - pb) * (c0 - pc) - (b0 - pb) * (c2 - pc)) / area;
        const l2 = 1 - l0 - l1;
        if (l0 < 0 || l1 < 0 || l2 < 0) continue;
        const x = l0 * a0 + l1 * a1 + l2 * a2;
        // First voxel whose centre is past the crossing.
        let i = Math.ceil((x - grid.lo[axis]) / h - 0.5);
        i = i < 0 ? 0 : i > n ? n : i;
        flips[(k * n + j) * (n + 1) + i] ^= 1;
      }
    }
  }
}

export interface VoxelIoU {
  iou: number;
  /** Volumes (voxel counts times the voxel volume). */
  volumeA: number;
  volumeB: number;
  grid: number;
}

/** IoU of two meshes' voxelizations on a common n^3 grid. */
export function voxelIoU(a: VoxelMesh, b: VoxelMesh, n = 64): VoxelIoU {
  const grid = gridFor([a, b], n);
  const va = voxelize(a, grid), vb = voxelize(b, grid);
  let I = 0, U = 0, na = 0, nb = 0;
  for (let i = 0; i < va.length; i++) {
    I += va[i] & vb[i];
    U += va[i] | vb[i];
    na += va[i];
    nb += vb[i];
  }
  const vol = grid.h ** 3;
  return { iou: U > 0 ? I / U : 1, volumeA: na * vol, volumeB: nb * vol, grid: n };
}
