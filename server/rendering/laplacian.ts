/**
 * The uniform Laplacian smoothness term of mesh fitting (SoftRas `LaplacianLoss`):
 * (L v)_i = v_i - mean of v_i's neighbours, loss = sum_i |(L v)_i|^2, gradient 2 L^T L v.
 * L's rows sum to zero, so L (A v + b) = A (L v) for an affine map: the term penalizes
 * bending, not translation, rotation or scaling of a flat region, and it is zero on the
 * interior of a regular planar grid. Neighbours from the triangles' edges (CSR); evaluation
 * allocates nothing.
 */
import { meshEdges } from './icosphere.ts';

export class UniformLaplacian {
  readonly nVertices: number;
  /** Neighbours of vertex i: nbr[start[i] .. start[i + 1]). */
  readonly start: Int32Array;
  readonly nbr: Int32Array;
  /** L v of the last evaluation, 3 per vertex. */
  readonly lv: Float64Array;

  constructor(nVertices: number, faces: Uint32Array) {
    this.nVertices = nVertices;
    const edges = meshEdges(faces);
    const deg = new Int32Array(nVertices);
    for (let e = 0; e < edges.length; e++) {
      if (edges[e] >= nVertices) throw new RangeError(`face index ${edges[e]} beyond ${nVertices} vertices`);
      deg[edges[e]]++;
    }
    this.start = new Int32Array(nVertices + 1);
    for (let i = 0; i < nVertices; i++) this.start[i + 1] = this.start[i] + deg[i];
    this.nbr = new Int32Array(this.start[nVertices]);
    const fill = this.start.slice(0, nVertices);
    for (let e = 0; e < edges.length; e += 2) {
      const a = edges[e], b = edges[e + 1];
      this.nbr[fill[a]++] = b;
      this.nbr[fill[b]++] = a;
    }
    this.lv = new Float64Array(3 * nVertices);
  }

  /** L v into `lv` (isolated vertices: 0). */
  apply(v: Float64Array): Float64Array {
    const lv = this.lv, st = this.start, nb = this.nbr;
    for (let i = 0; i < this.nVertices; i++) {
      const s = st[i], e = st[i + 1];
      if (e === s) { lv[3 * i] = 0; lv[3 * i + 1] = 0; lv[3 * i + 2] = 0; continue; }
      let x = 0, y = 0, z = 0;
      for (let k = s; k < e; k++) { const j = nb[k]; x += v[3 * j]; y += v[3 * j + 1]; z += v[3 * j + 2]; }
      const inv = 1 / (e - s);
      lv[3 * i] = v[3 * i] - x * inv; lv[3 * i + 1] = v[3 * i + 1] - y * inv; lv[3 * i + 2] = v[3 * i + 2] - z * inv;
    }
    return lv;
  }

  /** sum_i |(L v)_i|^2; adds `weight` times its gradient 2 L^T L v into `grad` (3 per vertex). */
  lossAndGradient(v: Float64Array, grad: Float64Array, weight = 1): number {
    const lv = this.apply(v), st = this.start, nb = this.nbr;
    let loss = 0;
    for (let k = 0; k < lv.length; k++) loss += lv[k] * lv[k];
    const w2 = 2 * weight;
    for (let i = 0; i < this.nVertices; i++) {
      const s = st[i], e = st[i + 1];
      if (e === s) continue;
      const x = lv[3 * i], y = lv[3 * i + 1], z = lv[3 * i + 2];
      grad[3 * i] += w2 * x; grad[3 * i + 1] += w2 * y; grad[3 * i + 2] += w2 * z;
      const c = w2 / (e - s);
      for (let k = s; k < e; k++) {
        const j = nb[k];
        grad[3 * j] -= c * x; grad[3 * j + 1] -= c * y; grad[3 * j + 2] -= c * z;
      }
    }
    return loss;
  }
}
