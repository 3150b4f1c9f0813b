/**
 * The per-pixel work of the renderer, over a band of image rows: binning of the projected faces
 * into per-pixel fragment lists, coverage and aggregation in one of three modes, and (given a
 * target image) the loss and its reverse-mode gradient with respect to the projected face
 * vertices (screen x, y and camera depth), the shaded face colours and the smoothing
 * parameters (sigma, gamma).
 *
 * Modes (coverage of a pixel by a face from the signed squared distance D to the face's edges,
 * D > 0 inside, in NDC units squared as PyTorch3D's `dists`; aggregation over the pixel's faces
 * with inverse depths zinv = (far - z) / (far - near) and a background entry eps):
 * - hard: H(D) and the nearest covering face (null gradient almost everywhere);
 * - softras (Liu et al. 2019): p = sigmoid(D / sigma), weights softmax(log p + zinv / gamma)
 *   with the background entry eps / gamma;
 * - perturbed (Le Lidec et al. 2021, the seed's eqs. 3 and 5): p = (1/M) sum_s H(D + sigma eps_s),
 *   then the perturbed argmax of (gamma log p + zinv, eps) with noise gamma Z_s; gradients by
 *   the zero-order estimator with the unperturbed output as control variate:
 *   dp/dD = (1/M) sum_s (H(D + sigma eps_s) - H(D)) psi(eps_s) / sigma and
 *   dw/dz = (1/M) sum_s (onehot(a_s) - onehot(a_0)) psi(Z_s)^T / gamma, psi the score of the law.
 *   The derivatives in sigma and gamma are the score estimators (eps psi(eps) - 1) / sigma and
 *   (sum_k Z_k psi(Z_k) - d) / gamma (d = entries that can win), plus gamma's share through
 *   gamma log p. Gaussian draws are bounded (|Z| <= 6.34 from 32-bit uniforms), so entries more
 *   than 2 x 6.34 gamma below the best cannot win: they draw no noise (a pixel with one such
 *   entry left is deterministic), which leaves every argmax unchanged and only removes
 *   zero-mean terms from the estimator.
 * The sample noise is drawn from `noise.ts` by (key, pixel, sample, face): identical for any
 * split of the rows, and common to nearby poses (fragments entering or leaving a pixel's list
 * do not reassign the other faces' noise). Fragments per pixel are capped (`maxFragments`, the nearest kept, as
 * PyTorch3D's faces_per_pixel); faces with D below -ln(1e4 - 1) sigma are not fragments (its
 * blur radius: SoftRas coverage under 1e-4; Gaussian noise is cut at 6.24 sigma by the 32-bit
 * uniforms, so nothing is lost; Cauchy tails beyond are truncated, as in the reference code).
 *
 * Hot loops allocate nothing: every array is allocated by the constructor.
 */
import { GAUSS_MAX, mix32 } from './noise.ts';

export const MODE_HARD = 0;
export const MODE_SOFTRAS = 1;
export const MODE_PERTURBED = 2;

/** Numbers per projected face in the geometry buffer. */
export const FACE_STRIDE = 16;
// Layout: x0 y0 x1 y1 x2 y2 (NDC), z0 z1 z2 (camera depth), area (signed, NDC), r g b (shaded), valid.
const F_Z = 6, F_AREA = 9, F_COLOR = 10, F_VALID = 13;

/** Accumulator layout per face: 9 screen-vertex numbers (dX, dY, dz per vertex) then 3 colour. */
export const ACC_PER_FACE = 12;
/**
 * Extra numbers after the faces: loss, dL/dsigma, dL/dgamma (and a fourth used by the
 * silhouette layout below).
 */
export const ACC_EXTRA = 4;

/**
 * The silhouette pass (`silhouetteBand`) accumulates two sums and their gradients instead of a
 * loss: I = sum alpha t (intersection with the target mask t) and A = sum alpha (1 - t) (the
 * union less the mask's area). Per face: dI/d(X0, Y0, X1, Y1, X2, Y2), then dA/d(same); after
 * the faces: I, A, dI/dsigma, dA/dsigma. Any loss of (I, A) is then chained by the caller
 * (silhouette-loss.ts).
 */
export const SIL_A = 6;

/** Blur threshold in units of sigma: SoftRas coverage sigmoid(-t) = 1e-4. */
export const BLUR_SIGMAS = Math.log(1e4 - 1);
/** Beyond this many sigmas Gaussian draws (|eps| <= 6.34 from 32-bit uniforms) cannot flip H. */
const GAUSS_CUT = GAUSS_MAX;

export interface KernelParams {
  mode: number;
  /** 0 Gaussian, 1 Cauchy. */
  noise: number;
  sigma: number;
  gamma: number;
  samples: number;
  /** Noise key word (noise.ts `noiseKey`). */
  key: number;
  /** Background entry of the aggregation (as the reference, 1e-10). */
  eps: number;
  background: Float64Array;
  near: number;
  far: number;
  /** Fragments have D > -blur sigma (default BLUR_SIGMAS). */
  blur: number;
}

export class RasterKernel {
  readonly width: number;
  readonly height: number;
  readonly maxFragments: number;
  readonly maxSamples: number;
  readonly rowsPerBand: number;
  // Fragment lists of one band.
  private readonly count: Int32Array;
  private readonly fFace: Int32Array;
  private readonly fD: Float64Array;
  private readonly fZ: Float64Array;
  // Per-pixel scratch.
  private readonly prob: Float64Array;
  private readonly zt: Float64Array;
  private readonly w: Float64Array;
  private readonly g: Float64Array;
  private readonly dz: Float64Array;
  private readonly hit: Uint8Array;
  private readonly reps: Float64Array;
  private readonly aZ: Float64Array;
  private readonly arg: Int32Array;
  /** Aggregation entries that can win (finite, and with Gaussian noise within 2 GAUSS_MAX gamma of the best). */
  private readonly act: Uint8Array;
  private nAct = 0;
  /**
   * Numbers that cross method boundaries go through typed arrays: V8 boxes a double (or an
   * integer beyond 2^30) passed to or returned from a call it does not inline, an allocation
   * per call (these methods are too large to be inlined). u32: key, sample base. tmp: dD,
   * dZinv of `scatter`, the last draw, edge distances.
   */
  private readonly u32 = new Uint32Array(2);
  private readonly tmp = new Float64Array(8);

  constructor(width: number, height: number, maxFragments: number, maxSamples: number, rowsPerBand = 8) {
    this.width = width;
    this.height = height;
    this.maxFragments = maxFragments;
    this.maxSamples = maxSamples;
    this.rowsPerBand = rowsPerBand;
    const n = width * rowsPerBand;
    this.count = new Int32Array(n);
    this.fFace = new Int32Array(n * maxFragments);
    this.fD = new Float64Array(n * maxFragments);
    this.fZ = new Float64Array(n * maxFragments);
    const K1 = maxFragments + 1;
    this.prob = new Float64Array(K1);
    this.zt = new Float64Array(K1);
    this.w = new Float64Array(K1);
    this.g = new Float64Array(K1);
    this.dz = new Float64Array(K1);
    this.hit = new Uint8Array(maxSamples * maxFragments);
    this.reps = new Float64Array(maxSamples * maxFragments);
    this.aZ = new Float64Array(maxSamples * K1);
    this.arg = new Int32Array(maxSamples);
    this.act = new Uint8Array(K1);
  }

  /** Number of bands of the image. */
  get bands(): number {
    return Math.ceil(this.height / this.rowsPerBand);
  }

  /**
   * Renders band `band` into `image` (RGBA per pixel, whole image layout). With a `target`
   * (RGB per pixel), adds the band's loss (mean squared error over the whole image's RGB) and
   * gradient into `acc` (ACC_PER_FACE per face, then ACC_EXTRA), which the caller zeroes.
   */
  renderBand(band: number, geom: Float64Array, nFaces: number, p: KernelParams, image: Float64Array, target: Float64Array | null, acc: Float64Array): void {
    const W = this.width, H = this.height;
    const y0 = band * this.rowsPerBand;
    const y1 = Math.min(H, y0 + this.rowsPerBand);
    this.bin(geom, nFaces, p, y0, y1);
    this.u32[0] = p.key;
    const K = this.maxFragments;
    const lossScale = 1 / (3 * W * H);
    const accExtra = ACC_PER_FACE * nFaces;
    for (let y = y0; y < y1; y++) {
      for (let x = 0; x < W; x++) {
        const local = (y - y0) * W + x;
        const pix = y * W + x;
        const n = this.count[local];
        const base = local * K;
        let r: number, gch: number, b: number, alpha: number;
        const bg = p.background;
        if (n === 0) {
          r = bg[0]; gch = bg[1]; b = bg[2]; alpha = 0;
          image[4 * pix] = r; image[4 * pix + 1] = gch; image[4 * pix + 2] = b; image[4 * pix + 3] = alpha;
          if (target !== null) {
            const er = r - target[3 * pix], eg = gch - target[3 * pix + 1], eb = b - target[3 * pix + 2];
            acc[accExtra] += (er * er + eg * eg + eb * eb) * lossScale;
          }
          continue;
        }
        if (p.mode === MODE_HARD) this.forwardHard(base, n, geom, p);
        else if (p.mode === MODE_SOFTRAS) this.forwardSoft(base, n, p);
        else this.forwardPerturbed(base, n, pix, nFaces, p);
        // Colour and silhouette.
        const w = this.w;
        r = w[n] * bg[0]; gch = w[n] * bg[1]; b = w[n] * bg[2];
        for (let k = 0; k < n; k++) {
          const fo = this.fFace[base + k] * FACE_STRIDE + F_COLOR;
          r += w[k] * geom[fo]; gch += w[k] * geom[fo + 1]; b += w[k] * geom[fo + 2];
        }
        if (p.mode === MODE_HARD) alpha = 1;
        else {
          let t = 1;
          for (let k = 0; k < n; k++) t *= 1 - this.prob[k];
          alpha = 1 - t;
        }
        image[4 * pix] = r; image[4 * pix + 1] = gch; image[4 * pix + 2] = b; image[4 * pix + 3] = alpha;
        if (target === null) continue;
        const er = r - target[3 * pix], eg = gch - target[3 * pix + 1], eb = b - target[3 * pix + 2];
        acc[accExtra] += (er * er + eg * eg + eb * eb) * lossScale;
        if (p.mode === MODE_HARD) continue;
        const gr = 2 * er * lossScale, gg = 2 * eg * lossScale, gb = 2 * eb * lossScale;
        // dL/d(weight) of each entry, and the colour gradients.
        const g = this.g;
        g[n] = gr * bg[0] + gg * bg[1] + gb * bg[2];
        for (let k = 0; k < n; k++) {
          const f = this.fFace[base + k];
          const fo = f * FACE_STRIDE + F_COLOR;
          g[k] = gr * geom[fo] + gg * geom[fo + 1] + gb * geom[fo + 2];
          const ao = f * ACC_PER_FACE + 9;
          acc[ao] += w[k] * gr; acc[ao + 1] += w[k] * gg; acc[ao + 2] += w[k] * gb;
        }
        if (p.mode === MODE_SOFTRAS) this.backwardSoft(base, n, x, y, geom, p, acc, accExtra);
        else this.backwardPerturbed(base, n, x, y, geom, p, acc, accExtra);
      }
    }
  }

  /**
   * Silhouette of band `band` into `image` (alpha = 1 - prod_k (1 - p_k) over the pixel's
   * fragments, written to all four channels). With a `mask` (one number per pixel in [0, 1]),
   * adds I, A and their gradients into `acc` in the silhouette layout (SIL_A above), which the
   * caller zeroes. Only coverage is computed: the aggregation does not shape the silhouette.
   * Softras: p = sigmoid(D / sigma), exact derivatives; perturbed: p = (1/M) sum_s H(D + sigma
   * eps_s) with the zero-order estimator of dp/dD and dp/dsigma (control variate H(D));
   * hard: p = H(D), no gradient.
   */
  silhouetteBand(band: number, geom: Float64Array, nFaces: number, p: KernelParams, image: Float64Array, mask: Float64Array | null, acc: Float64Array): void {
    const W = this.width, H = this.height;
    const y0 = band * this.rowsPerBand;
    const y1 = Math.min(H, y0 + this.rowsPerBand);
    this.bin(geom, nFaces, p, y0, y1);
    this.u32[0] = p.key;
    const K = this.maxFragments, M = p.samples, kind = p.noise;
    const extra = ACC_PER_FACE * nFaces;
    const prob = this.prob, pre = this.zt, dpD = this.g, dpS = this.dz, hit = this.hit, reps = this.reps;
    const sigma = p.sigma;
    for (let y = y0; y < y1; y++) {
      for (let x = 0; x < W; x++) {
        const local = (y - y0) * W + x;
        const pix = y * W + x;
        const n = this.count[local];
        const base = local * K;
        let alpha = 0;
        if (n > 0) {
          if (p.mode === MODE_HARD) alpha = 1;
          else {
            if (p.mode === MODE_SOFTRAS) {
              for (let k = 0; k < n; k++) {
                const D = this.fD[base + k];
                const t = D / sigma;
                const pk = t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t));
                prob[k] = pk;
                dpD[k] = (pk * (1 - pk)) / sigma;
                dpS[k] = (-pk * (1 - pk) * D) / (sigma * sigma);
              }
            } else {
              this.coveragePerturbed(base, n, pix, p);
              if (mask !== null) {
                for (let k = 0; k < n; k++) {
                  const H0 = this.fD[base + k] >= 0 ? 1 : 0;
                  let sD = 0, sS = 0;
                  for (let s = 0; s < M; s++) {
                    const diff = hit[s * K + k] - H0;
                    if (diff === 0) continue;
                    const e = reps[s * K + k];
                    const ps = kind === 0 ? e : (2 * e) / (1 + e * e);
                    sD += diff * ps;
                    sS += diff * (e * ps - 1);
                  }
                  dpD[k] = sD / (M * sigma);
                  dpS[k] = sS / (M * sigma);
                }
              }
            }
            // pre[k] = prod_{j<k} (1 - p_j); alpha = 1 - pre[n].
            pre[0] = 1;
            for (let k = 0; k < n; k++) pre[k + 1] = pre[k] * (1 - prob[k]);
            alpha = 1 - pre[n];
          }
        }
        image[4 * pix] = alpha; image[4 * pix + 1] = alpha; image[4 * pix + 2] = alpha; image[4 * pix + 3] = alpha;
        if (mask === null) continue;
        const t = mask[pix];
        acc[extra] += alpha * t;
        acc[extra + 1] += alpha * (1 - t);
        if (n === 0 || p.mode === MODE_HARD) continue;
        // d alpha / d p_k = prod_{j != k} (1 - p_j): prefix times the running suffix.
        let suf = 1, dS = 0;
        for (let k = n - 1; k >= 0; k--) {
          const q = pre[k] * suf;
          suf *= 1 - prob[k];
          const dD = q * dpD[k];
          dS += q * dpS[k];
          if (dD === 0) continue;
          this.tmp[0] = dD * t; this.tmp[1] = dD * (1 - t);
          this.scatterEdge(base + k, x, y, geom, acc);
        }
        acc[extra + 2] += dS * t;
        acc[extra + 3] += dS * (1 - t);
      }
    }
  }

  /** Perturbed coverage of a pixel's fragments: prob, and the draws (hit, reps) per sample. */
  private coveragePerturbed(base: number, n: number, pix: number, p: KernelParams): void {
    const K = this.maxFragments, M = p.samples, kind = p.noise, sigma = p.sigma;
    const prob = this.prob, hit = this.hit, reps = this.reps;
    const cut = kind === 0 ? GAUSS_CUT * sigma : Infinity;
    for (let k = 0; k < n; k++) prob[k] = 0;
    for (let s = 0; s < M; s++) {
      this.sampleBase(pix, s);
      const o = s * K;
      for (let k = 0; k < n; k++) {
        const D = this.fD[base + k];
        let h: number, e: number;
        if (D > cut) { h = 1; e = 0; }
        else if (D < -cut) { h = 0; e = 0; }
        else {
          this.draw(kind, this.fFace[base + k], reps, o + k);
          e = reps[o + k];
          h = D + sigma * e >= 0 ? 1 : 0;
        }
        hit[o + k] = h;
        reps[o + k] = e;
        prob[k] += h;
      }
    }
    for (let k = 0; k < n; k++) prob[k] /= M;
  }

  /**
   * Silhouette layout: chains dalpha/dD of one fragment (tmp[0] weighted by t for I, tmp[1] by
   * 1 - t for A) into its face's screen-vertex slots, through the nearest edge as `scatter`.
   */
  private scatterEdge(fi: number, x: number, y: number, geom: Float64Array, acc: Float64Array): void {
    const wI = this.tmp[0], wA = this.tmp[1];
    const f = this.fFace[fi];
    const o = f * FACE_STRIDE;
    const ao = f * ACC_PER_FACE;
    const px = (2 * x + 1) / this.width - 1, py = 1 - (2 * y + 1) / this.height;
    const sgn = this.fD[fi] >= 0 ? 1 : -1;
    this.edgeDist2(geom, o, px, py);
    const d0 = this.tmp[2], d1 = this.tmp[3], d2 = this.tmp[4];
    let e = 0;
    if (d1 < d0 && d1 <= d2) e = 1;
    else if (d2 < d0 && d2 < d1) e = 2;
    const i0 = e, i1 = (e + 1) % 3;
    const ex = geom[o + 2 * i0], ey = geom[o + 2 * i0 + 1], fx = geom[o + 2 * i1], fy = geom[o + 2 * i1 + 1];
    const dx = fx - ex, dy = fy - ey;
    const len2 = dx * dx + dy * dy;
    let t = len2 > 0 ? ((px - ex) * dx + (py - ey) * dy) / len2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    const rx = px - (ex + t * dx), ry = py - (ey + t * dy);
    // dD/d(e) = -2 sgn r (1 - t), dD/d(f) = -2 sgn r t.
    const ax = -2 * sgn * rx, ay = -2 * sgn * ry;
    acc[ao + 2 * i0] += wI * ax * (1 - t); acc[ao + 2 * i0 + 1] += wI * ay * (1 - t);
    acc[ao + 2 * i1] += wI * ax * t; acc[ao + 2 * i1 + 1] += wI * ay * t;
    acc[ao + SIL_A + 2 * i0] += wA * ax * (1 - t); acc[ao + SIL_A + 2 * i0 + 1] += wA * ay * (1 - t);
    acc[ao + SIL_A + 2 * i1] += wA * ax * t; acc[ao + SIL_A + 2 * i1 + 1] += wA * ay * t;
  }

  /** Fragment lists of rows [y0, y1): faces in index order, the nearest `maxFragments` kept. */
  private bin(geom: Float64Array, nFaces: number, p: KernelParams, y0: number, y1: number): void {
    const W = this.width, H = this.height, K = this.maxFragments;
    const count = this.count;
    count.fill(0, 0, (y1 - y0) * W);
    const thr = p.mode === MODE_HARD ? 0 : p.blur * p.sigma;
    const rad = Math.sqrt(thr);
    const sx = W / 2, sy = H / 2;
    for (let f = 0; f < nFaces; f++) {
      const o = f * FACE_STRIDE;
      if (geom[o + F_VALID] === 0) continue;
      const ax = geom[o], ay = geom[o + 1], bx = geom[o + 2], by = geom[o + 3], cx = geom[o + 4], cy = geom[o + 5];
      const minX = Math.min(ax, bx, cx) - rad, maxX = Math.max(ax, bx, cx) + rad;
      const minY = Math.min(ay, by, cy) - rad, maxY = Math.max(ay, by, cy) + rad;
      // Pixel x centre: X = (2 ix + 1) / W - 1; row y centre: Y = 1 - (2 iy + 1) / H.
      const ix0 = Math.max(0, Math.ceil((minX + 1) * sx - 0.5));
      const ix1 = Math.min(W - 1, Math.floor((maxX + 1) * sx - 0.5));
      const iy0 = Math.max(y0, Math.ceil((1 - maxY) * sy - 0.5));
      const iy1 = Math.min(y1 - 1, Math.floor((1 - minY) * sy - 0.5));
      if (ix0 > ix1 || iy0 > iy1) continue;
      const area = geom[o + F_AREA];
      const z0 = geom[o + F_Z], z1 = geom[o + F_Z + 1], z2 = geom[o + F_Z + 2];
      for (let iy = iy0; iy <= iy1; iy++) {
        const py = 1 - (2 * iy + 1) / H;
        for (let ix = ix0; ix <= ix1; ix++) {
          const px = (2 * ix + 1) / W - 1;
          const la = ((bx - px) * (cy - py) - (by - py) * (cx - px)) / area;
          const lb = ((px - ax) * (cy - ay) - (py - ay) * (cx - ax)) / area;
          const lc = ((bx - ax) * (py - ay) - (by - ay) * (px - ax)) / area;
          const inside = la >= 0 && lb >= 0 && lc >= 0;
          let D: number;
          if (p.mode === MODE_HARD) {
            if (!inside) continue;
            D = 0; // only the sign matters for hard coverage; kept >= 0
          } else {
            this.edgeDist2(geom, o, px, py);
            const d2 = Math.min(this.tmp[2], this.tmp[3], this.tmp[4]);
            D = inside ? d2 : -d2;
            if (D <= -thr) continue;
          }
          const ca = la > 0 ? la : 0, cb = lb > 0 ? lb : 0, cc = lc > 0 ? lc : 0;
          const z = (ca * z0 + cb * z1 + cc * z2) / (ca + cb + cc);
          const local = (iy - y0) * W + ix;
          const base = local * K;
          let slot = count[local];
          if (slot < K) {
            count[local] = slot + 1;
          } else {
            // Full: replace the farthest fragment if this one is nearer.
            let far = 0;
            for (let k = 1; k < K; k++) if (this.fZ[base + k] > this.fZ[base + far]) far = k;
            if (this.fZ[base + far] <= z) continue;
            slot = far;
          }
          this.fFace[base + slot] = f;
          this.fD[base + slot] = D;
          this.fZ[base + slot] = z;
        }
      }
    }
  }

  private forwardHard(base: number, n: number, _geom: Float64Array, p: KernelParams): void {
    const w = this.w;
    let best = -1, bestZ = p.eps;
    for (let k = 0; k < n; k++) {
      w[k] = 0;
      const zi = (p.far - this.fZ[base + k]) / (p.far - p.near);
      if (zi > bestZ) { bestZ = zi; best = k; }
    }
    w[n] = 0;
    w[best < 0 ? n : best] = 1;
    for (let k = 0; k < n; k++) this.prob[k] = 1;
  }

  private forwardSoft(base: number, n: number, p: KernelParams): void {
    const w = this.w, prob = this.prob, zt = this.zt;
    let m = p.eps / p.gamma;
    for (let k = 0; k < n; k++) {
      const t = this.fD[base + k] / p.sigma;
      // log sigmoid(t), stable.
      const lp = t >= 0 ? -Math.log1p(Math.exp(-t)) : t - Math.log1p(Math.exp(t));
      prob[k] = Math.exp(lp);
      zt[k] = lp + (p.far - this.fZ[base + k]) / (p.far - p.near) / p.gamma;
      if (zt[k] > m) m = zt[k];
    }
    zt[n] = p.eps / p.gamma;
    let s = 0;
    for (let k = 0; k <= n; k++) { w[k] = Math.exp(zt[k] - m); s += w[k]; }
    for (let k = 0; k <= n; k++) w[k] /= s;
  }

  private forwardPerturbed(base: number, n: number, pix: number, nFaces: number, p: KernelParams): void {
    const K = this.maxFragments, K1 = K + 1, M = p.samples;
    const prob = this.prob, zt = this.zt, w = this.w, hit = this.hit, reps = this.reps, aZ = this.aZ, arg = this.arg;
    const sigma = p.sigma, gamma = p.gamma, kind = p.noise;
    const cut = kind === 0 ? GAUSS_CUT * sigma : Infinity;
    for (let k = 0; k <= n; k++) { prob[k] = 0; w[k] = 0; }
    // the coverage draws of coveragePerturbed, written out here: called from this per-pixel
    // function, the shared one allocated (~2 kB per render, the allocation test in
    // test/rendering/renderer.test.ts), inlined it does not
    for (let s = 0; s < M; s++) {
      this.sampleBase(pix, s);
      const o = s * K;
      for (let k = 0; k < n; k++) {
        const D = this.fD[base + k];
        let h: number, e: number;
        if (D > cut) { h = 1; e = 0; }
        else if (D < -cut) { h = 0; e = 0; }
        else {
          this.draw(kind, this.fFace[base + k], reps, o + k);
          e = reps[o + k];
          h = D + sigma * e >= 0 ? 1 : 0;
        }
        hit[o + k] = h;
        reps[o + k] = e;
        prob[k] += h;
      }
    }
    let top = p.eps;
    for (let k = 0; k < n; k++) {
      prob[k] /= M;
      zt[k] = prob[k] > 0 ? gamma * Math.log(prob[k]) + (p.far - this.fZ[base + k]) / (p.far - p.near) : -Infinity;
      if (zt[k] > top) top = zt[k];
    }
    zt[n] = p.eps;
    // Entries that can win: with Gaussian noise (|Z| <= GAUSS_MAX) none below top - 2 GAUSS_MAX gamma.
    // Leaving their draws out changes no argmax; it only drops zero-mean terms of the estimator.
    const floor = kind === 0 ? top - 2 * GAUSS_MAX * gamma : -Infinity;
    const act = this.act;
    let nAct = 0, only = n;
    for (let k = 0; k <= n; k++) {
      act[k] = zt[k] !== -Infinity && zt[k] >= floor ? 1 : 0;
      if (act[k] === 1) { nAct++; only = k; }
    }
    this.nAct = nAct;
    if (nAct === 1) {
      for (let s = 0; s < M; s++) arg[s] = only;
      w[only] = 1;
      return;
    }
    for (let s = 0; s < M; s++) {
      this.sampleBase(pix, s);
      const o = s * K1;
      let best = n, bestV = -Infinity;
      for (let k = 0; k <= n; k++) {
        if (act[k] === 0) continue;
        this.draw(kind, k === n ? 2 * nFaces : nFaces + this.fFace[base + k], aZ, o + k);
        const z = aZ[o + k];
        const v = zt[k] + gamma * z;
        if (v > bestV) { bestV = v; best = k; }
      }
      arg[s] = best;
      w[best] += 1;
    }
    for (let k = 0; k <= n; k++) w[k] /= M;
  }

  private backwardSoft(base: number, n: number, x: number, y: number, geom: Float64Array, p: KernelParams, acc: Float64Array, accExtra: number): void {
    const w = this.w, g = this.g, prob = this.prob;
    let gbar = 0;
    for (let k = 0; k <= n; k++) gbar += w[k] * g[k];
    const sigma = p.sigma, gamma = p.gamma;
    let dSigma = 0, dGamma = 0;
    for (let k = 0; k <= n; k++) {
      const du = w[k] * (g[k] - gbar);
      if (k === n) { dGamma -= (du * p.eps) / (gamma * gamma); continue; }
      const D = this.fD[base + k];
      const zi = (p.far - this.fZ[base + k]) / (p.far - p.near);
      const dD = (du * (1 - prob[k])) / sigma;
      dSigma -= (du * (1 - prob[k]) * D) / (sigma * sigma);
      dGamma -= (du * zi) / (gamma * gamma);
      this.tmp[0] = dD; this.tmp[1] = du / gamma;
      this.scatter(base + k, x, y, geom, p, acc);
    }
    acc[accExtra + 1] += dSigma;
    acc[accExtra + 2] += dGamma;
  }

  private backwardPerturbed(base: number, n: number, x: number, y: number, geom: Float64Array, p: KernelParams, acc: Float64Array, accExtra: number): void {
    const K = this.maxFragments, K1 = K + 1, M = p.samples, kind = p.noise;
    const g = this.g, zt = this.zt, dz = this.dz, prob = this.prob, arg = this.arg, aZ = this.aZ, hit = this.hit, reps = this.reps;
    const sigma = p.sigma, gamma = p.gamma;
    // Unperturbed argmax (control variate).
    let a0 = n, v0 = zt[n];
    for (let k = 0; k < n; k++) if (zt[k] > v0) { v0 = zt[k]; a0 = k; }
    if (this.nAct === 1) return; // deterministic aggregation: no gradient
    const act = this.act, d = this.nAct;
    for (let k = 0; k <= n; k++) dz[k] = 0;
    let dGamma = 0;
    for (let s = 0; s < M; s++) {
      const c = g[arg[s]] - g[a0];
      if (c === 0) continue;
      const o = s * K1;
      let zs = 0;
      for (let k = 0; k <= n; k++) {
        if (act[k] === 0) continue;
        const z = aZ[o + k];
        const ps = kind === 0 ? z : (2 * z) / (1 + z * z);
        dz[k] += c * ps;
        zs += z * ps;
      }
      dGamma += c * (zs - d);
    }
    const inv = 1 / (M * gamma);
    dGamma *= inv;
    let dSigma = 0;
    for (let k = 0; k < n; k++) {
      if (act[k] === 0) continue;
      const dzk = dz[k] * inv;
      dGamma += dzk * Math.log(prob[k]);
      const dp = (dzk * gamma) / prob[k];
      const D = this.fD[base + k];
      const H0 = D >= 0 ? 1 : 0;
      let sD = 0, sS = 0;
      for (let s = 0; s < M; s++) {
        const diff = hit[s * K + k] - H0;
        if (diff === 0) continue;
        const e = reps[s * K + k];
        const ps = kind === 0 ? e : (2 * e) / (1 + e * e);
        sD += diff * ps;
        sS += diff * (e * ps - 1);
      }
      const dD = (dp * sD) / (M * sigma);
      dSigma += (dp * sS) / (M * sigma);
      this.tmp[0] = dD; this.tmp[1] = dzk;
      this.scatter(base + k, x, y, geom, p, acc);
    }
    acc[accExtra + 1] += dSigma;
    acc[accExtra + 2] += dGamma;
  }

  /**
   * Chains dL/dD and dL/dzinv of one fragment at pixel (x, y) into its face's screen-space
   * vertex gradients: D through the nearest edge (segment distance), the interpolated depth
   * through the clipped screen-space barycentrics.
   */
  private scatter(fi: number, x: number, y: number, geom: Float64Array, p: KernelParams, acc: Float64Array): void {
    const dD = this.tmp[0], dZinv = this.tmp[1];
    const f = this.fFace[fi];
    const o = f * FACE_STRIDE;
    const ao = f * ACC_PER_FACE;
    const W = this.width, H = this.height;
    const px = (2 * x + 1) / W - 1, py = 1 - (2 * y + 1) / H;
    const ax = geom[o], ay = geom[o + 1], bx = geom[o + 2], by = geom[o + 3], cx = geom[o + 4], cy = geom[o + 5];
    const area = geom[o + F_AREA];
    if (dD !== 0) {
      const D = this.fD[fi];
      const sgn = D >= 0 ? 1 : -1;
      // Nearest edge (the one the forward pass's min picked; ties go to the first).
      this.edgeDist2(geom, o, px, py);
      const d0 = this.tmp[2], d1 = this.tmp[3], d2 = this.tmp[4];
      let e = 0;
      if (d1 < d0 && d1 <= d2) e = 1;
      else if (d2 < d0 && d2 < d1) e = 2;
      const i0 = e, i1 = (e + 1) % 3;
      const ex = geom[o + 2 * i0], ey = geom[o + 2 * i0 + 1], fx = geom[o + 2 * i1], fy = geom[o + 2 * i1 + 1];
      const dx = fx - ex, dy = fy - ey;
      const len2 = dx * dx + dy * dy;
      let t = len2 > 0 ? ((px - ex) * dx + (py - ey) * dy) / len2 : 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const rx = px - (ex + t * dx), ry = py - (ey + t * dy);
      // d(d2)/d(e) = -2 r (1 - t), d(d2)/d(f) = -2 r t.
      const k = -2 * sgn * dD;
      acc[ao + 3 * i0] += k * rx * (1 - t); acc[ao + 3 * i0 + 1] += k * ry * (1 - t);
      acc[ao + 3 * i1] += k * rx * t; acc[ao + 3 * i1 + 1] += k * ry * t;
    }
    if (dZinv !== 0) {
      const gz = -dZinv / (p.far - p.near); // dL/dz of the interpolated depth
      const la = ((bx - px) * (cy - py) - (by - py) * (cx - px)) / area;
      const lb = ((px - ax) * (cy - ay) - (py - ay) * (cx - ax)) / area;
      const lc = ((bx - ax) * (py - ay) - (by - ay) * (px - ax)) / area;
      const z0 = geom[o + F_Z], z1 = geom[o + F_Z + 1], z2 = geom[o + F_Z + 2];
      const ca = la > 0 ? la : 0, cb = lb > 0 ? lb : 0, cc = lc > 0 ? lc : 0;
      const S = ca + cb + cc;
      const z = (ca * z0 + cb * z1 + cc * z2) / S;
      acc[ao + 2] += (gz * ca) / S; acc[ao + 5] += (gz * cb) / S; acc[ao + 8] += (gz * cc) / S;
      // dL/d(lambda_i) for the active (unclipped) barycentrics.
      const Ga = la > 0 ? (gz * (z0 - z)) / S : 0;
      const Gb = lb > 0 ? (gz * (z1 - z)) / S : 0;
      const Gc = lc > 0 ? (gz * (z2 - z)) / S : 0;
      const Gs = Ga * la + Gb * lb + Gc * lc;
      // lambda_i = e_i / A; dL/dv = (sum_i G_i de_i/dv - Gs dA/dv) / A.
      const inv = 1 / area;
      acc[ao] += (Gb * (py - cy) + Gc * (by - py) - Gs * (by - cy)) * inv;
      acc[ao + 1] += (Gb * (cx - px) + Gc * (px - bx) - Gs * (cx - bx)) * inv;
      acc[ao + 3] += (Ga * (cy - py) + Gc * (py - ay) - Gs * (cy - ay)) * inv;
      acc[ao + 4] += (Ga * (px - cx) + Gc * (ax - px) - Gs * (ax - cx)) * inv;
      acc[ao + 6] += (Ga * (py - by) + Gb * (ay - py) - Gs * (ay - by)) * inv;
      acc[ao + 7] += (Ga * (bx - px) + Gb * (px - ax) - Gs * (bx - ax)) * inv;
    }
  }

  /** Squared distances from (px, py) to the three edges of face at `o`, into tmp[2..4]. */
  private edgeDist2(geom: Float64Array, o: number, px: number, py: number): void {
    for (let e = 0; e < 3; e++) {
      const e1 = e === 2 ? 0 : e + 1;
      const ax = geom[o + 2 * e], ay = geom[o + 2 * e + 1];
      const dx = geom[o + 2 * e1] - ax, dy = geom[o + 2 * e1 + 1] - ay;
      const len2 = dx * dx + dy * dy;
      let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const rx = px - (ax + t * dx), ry = py - (ay + t * dy);
      this.tmp[2 + e] = rx * rx + ry * ry;
    }
  }

  /** One draw, for tests: the variate of (key, pixel, sample, slot) as the loops draw it. */
  drawFor(kind: number, key: number, pix: number, s: number, slot: number): number {
    this.u32[0] = key;
    this.sampleBase(pix, s);
    this.draw(kind, slot, this.tmp, 5);
    return this.tmp[5];
  }

  /** The base word of (key, pixel, sample) into u32[1] (noise.ts `sampleBase`). */
  private sampleBase(pix: number, s: number): void {
    this.u32[1] = mix32(mix32(this.u32[0] ^ pix) + Math.imul(s, 0x9e3779b9));
  }

  /** The variate of `slot` under the current sample base into out[i] (noise.ts `uniformAt`, `variate`). */
  private draw(kind: number, slot: number, out: Float64Array, i: number): void {
    let h = (this.u32[1] + Math.imul(slot + 1, 0x85ebca77)) | 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x7feb352d);
    h ^= h >>> 15;
    h = Math.imul(h, 0x846ca68b);
    h ^= h >>> 16;
    const u = ((h >>> 0) + 0.5) / 4294967296;
    if (kind === 0) {
      // Acklam's inverse normal CDF, as noise.ts `normalQuantile` (written out: a returned double is boxed unless inlined).
      let z: number;
      if (u < 0.02425 || u > 0.97575) {
        const q = Math.sqrt(-2 * Math.log(u < 0.5 ? u : 1 - u));
        z = (((((-7.784894002430293e-3 * q - 3.223964580411365e-1) * q - 2.400758277161838) * q - 2.549732539343734) * q + 4.374664141464968) * q + 2.938163982698783) /
          ((((7.784695709041462e-3 * q + 3.224671290700398e-1) * q + 2.445134137142996) * q + 3.754408661907416) * q + 1);
        if (u > 0.5) z = -z;
      } else {
        const q = u - 0.5, r = q * q;
        z = (((((-3.969683028665376e1 * r + 2.209460984245205e2) * r - 2.759285104469687e2) * r + 1.38357751867269e2) * r - 3.066479806614716e1) * r + 2.506628277459239) * q /
          (((((-5.447609879822406e1 * r + 1.615858368580409e2) * r - 1.556989798598866e2) * r + 6.680131188771972e1) * r - 1.328068155288572e1) * r + 1);
      }
      out[i] = z;
    } else {
      const c = Math.tan(Math.PI * (u - 0.5));
      out[i] = c > 1e7 ? 1e7 : c < -1e7 ? -1e7 : c;
    }
  }
}

/** Squared distance from (px, py) to the segment (a, b). */
export function segDist2(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax, dy = by - ay;
  const len2 = dx * dx + dy * dy;
  let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const rx = px - (ax + t * dx), ry = py - (ay + t * dy);
  return rx * rx + ry * ry;
}
