/**
 * Seeded pseudo-random numbers for randomized smoothing: xoshiro128** (Blackman & Vigna 2018)
 * seeded through the SeedSequence entropy mixer (O'Neill's seed_seq_fe, as numpy's
 * `SeedSequence`), Gaussian variates by Box-Muller with the second value cached.
 *
 * Why these choices:
 * - xoshiro128** uses only 32-bit operations (xor, shift, rotate, `Math.imul`), so in JS it runs
 *   on small integers without BigInt or allocation, and the same generator can be written in
 *   WGSL (u32 only) if a GPU backend ever has to draw its own noise. 128 bits of state, period
 *   2^128 - 1, no known statistical weakness in its authors' BigCrush and PractRand runs; its
 *   output is the reference implementation's, bit for bit
 *   (test/control/rng.test.ts checks published-reference values).
 * - Streams. R-DDP draws the noise of knot t at iteration k from `streamFor(seed, t, k)`: the
 *   generator state is a hash of (seed, t, k, purpose) alone, so the noise does not depend on
 *   which thread computes the knot, in which order, or how many knots a worker handles. The
 *   worker-pool backend is therefore bit-identical to the single-thread one. The hash is
 *   SeedSequence's mixer (every input word affects every state word, avalanche tested by its
 *   author); its output matches numpy's `SeedSequence(words).generate_state(4, uint32)`, which
 *   the tests check. Distinct keys give unrelated 128-bit starting points; two streams of
 *   length L overlap with probability about L^2 / 2^128, i.e. never in practice.
 * - Gaussians by Box-Muller (not Ziggurat): a fixed 4 u32 draws per pair of variates, no
 *   rejection, no tables; simple to reproduce elsewhere. `Math.log`, `Math.sqrt`, `Math.cos`
 *   and `Math.sin` are V8's fdlibm ports, identical in every thread of a process (and on every
 *   machine running the same Node version), so Gaussian streams are reproducible bit for bit.
 *
 * Hot path: `fillGaussian`, `fillFloat` and `reseed` allocate nothing (tested), whatever the JIT
 * decides to inline. The scalar draws (`nextU32`, `nextFloat`, `nextGaussian`) allocate nothing
 * themselves, but V8 boxes a returned double (or a uint32 above 2^30) when the call is not
 * inlined into its caller: fill arrays in sample loops. `streamFor` allocates one generator; in
 * loops keep one per worker and `reseed` it.
 */

const TWO_POW_32 = 4294967296;
const TWO_POW_M53 = 1 / 9007199254740992; // 2^-53
const TWO_PI = 2 * Math.PI;

// SeedSequence constants (numpy/random/bit_generator.pyx, after M. O'Neill's seed_seq_fe).
const INIT_A = 0x43b0d7e5;
const MULT_A = 0x931e8875;
const INIT_B = 0x8b51f9dd;
const MULT_B = 0x58f38ded;
const MIX_MULT_L = 0xca01f9dd;
const MIX_MULT_R = 0x4973f715;
const POOL = 4;

/** Default stream purpose: the smoothing perturbations W of a knot. */
export const PURPOSE_NOISE = 0;

/**
 * Checks a seed: an integer in [0, 2^53) (any JS safe non-negative integer), split into two
 * 32-bit words for hashing. Throws a RangeError otherwise, so a fractional or negative seed
 * cannot silently alias another one.
 */
function checkSeed(seed: number, what: string): void {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`${what} must be an integer in [0, 2^53), got ${seed}`);
  }
}

/**
 * Mixes the key words into 4 pool words, then draws 4 state words, exactly as numpy's
 * SeedSequence with `entropy = words` (each word < 2^32), pool size 4, no spawn key.
 * `pool` and `words` are caller scratch (length >= 4 and >= count).
 *
 * Written out by hand with int32 locals and no helper calls: a 32-bit value above 2^30 that
 * crosses a (non-inlined) call boundary or sits in a plain variable outside the function is a
 * boxed heap number in V8, so helper functions here allocated ~200 bytes per reseed.
 * hashmix(v): v ^= hc; hc *= MULT_A; v *= hc; v ^= v >>> 16.   mix(x, y): r = L x - R y; r ^= r >>> 16.
 */
function seedSequenceInto(words: Uint32Array, count: number, pool: Uint32Array): void {
  let hc = INIT_A | 0;
  let v = 0;
  for (let i = 0; i < POOL; i++) {
    v = (i < count ? words[i] : 0) ^ hc;
    hc = Math.imul(hc, MULT_A);
    v = Math.imul(v, hc);
    pool[i] = v ^ (v >>> 16);
  }
  for (let src = 0; src < POOL; src++) {
    for (let dst = 0; dst < POOL; dst++) {
      if (src === dst) continue;
      v = pool[src] ^ hc;
      hc = Math.imul(hc, MULT_A);
      v = Math.imul(v, hc);
      v ^= v >>> 16;
      const r = (Math.imul(MIX_MULT_L, pool[dst]) - Math.imul(MIX_MULT_R, v)) | 0;
      pool[dst] = r ^ (r >>> 16);
    }
  }
  for (let src = POOL; src < count; src++) {
    for (let dst = 0; dst < POOL; dst++) {
      v = words[src] ^ hc;
      hc = Math.imul(hc, MULT_A);
      v = Math.imul(v, hc);
      v ^= v >>> 16;
      const r = (Math.imul(MIX_MULT_L, pool[dst]) - Math.imul(MIX_MULT_R, v)) | 0;
      pool[dst] = r ^ (r >>> 16);
    }
  }
  let hb = INIT_B | 0;
  for (let i = 0; i < POOL; i++) {
    v = pool[i] ^ hb;
    hb = Math.imul(hb, MULT_B);
    v = Math.imul(v, hb);
    words[i] = v ^ (v >>> 16);
  }
}

/**
 * xoshiro128** generator with a cached Box-Muller Gaussian. The four state words are plain
 * number fields holding int32 bit patterns (the natural result type of JS bit operations):
 * measured 2 to 3 times faster per draw than a typed-array state or uint32-valued fields.
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** Second Box-Muller variate of the last pair, valid when hasSpare. Part of the state. */
  private spare = 0;
  private hasSpare = false;
  /** Scratch for reseeding (key words, SeedSequence pool): allocated once per generator. */
  private readonly keyWords = new Uint32Array(8);
  private readonly pool = new Uint32Array(POOL);

  /**
   * A generator keyed by `seed` alone (key words [seed lo, seed hi]); `reseed` re-keys it to a
   * (seed, knot, iteration, purpose) stream.
   */
  constructor(seed = 0) {
    checkSeed(seed, 'seed');
    this.reseedWords(seed, -1, -1, -1);
  }

  /**
   * Sets the raw xoshiro128** state (for known-answer tests and for porting). The all-zero
   * state is a fixed point of the generator and is refused. Clears the Gaussian cache.
   */
  setState(a: number, b: number, c: number, d: number): void {
    const s0 = a | 0, s1 = b | 0, s2 = c | 0, s3 = d | 0;
    if ((s0 | s1 | s2 | s3) === 0) throw new RangeError('xoshiro128** state must not be all zero');
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    this.hasSpare = false;
    this.spare = 0;
  }

  /** Copies the raw state words into out[0..4] (telemetry, checkpoints, tests). */
  getState(out: Uint32Array): void {
    out[0] = this.s0 >>> 0;
    out[1] = this.s1 >>> 0;
    out[2] = this.s2 >>> 0;
    out[3] = this.s3 >>> 0;
  }

  /**
   * Re-keys this generator in place to the stream (seed, knotIndex, iteration, purpose), the
   * same state `streamFor` would build, without allocating. Integers in [0, 2^32) for the
   * three indices, [0, 2^53) for the seed.
   */
  reseed(seed: number, knotIndex: number, iteration: number, purpose = PURPOSE_NOISE): void {
    checkSeed(seed, 'seed');
    checkIndex(knotIndex, 'knotIndex');
    checkIndex(iteration, 'iteration');
    checkIndex(purpose, 'purpose');
    this.reseedWords(seed, knotIndex, iteration, purpose);
  }

  /**
   * Key layout: [seed lo, seed hi, knot, iteration, purpose]; the plain-seed constructor uses
   * [seed lo, seed hi] only (negative indices mean "absent"), a key of different length, so a
   * plain generator never coincides with a stream.
   */
  private reseedWords(seed: number, knot: number, iter: number, purpose: number): void {
    const w = this.keyWords;
    w[0] = seed >>> 0;
    w[1] = Math.floor(seed / TWO_POW_32) >>> 0;
    let count = 2;
    if (knot >= 0) {
      w[2] = knot;
      w[3] = iter;
      w[4] = purpose;
      count = 5;
    }
    seedSequenceInto(w, count, this.pool);
    // SeedSequence output is all zero with probability 2^-128; guard anyway.
    if ((w[0] | w[1] | w[2] | w[3]) === 0) w[0] = 1;
    this.s0 = w[0] | 0;
    this.s1 = w[1] | 0;
    this.s2 = w[2] | 0;
    this.s3 = w[3] | 0;
    this.hasSpare = false;
    this.spare = 0;
  }

  /** Next 32 random bits as an integer in [0, 2^32) (xoshiro128** reference algorithm). */
  nextU32(): number {
    const s0 = this.s0, s1 = this.s1;
    let s2 = this.s2, s3 = this.s3;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    this.s1 = s1 ^ s2;
    this.s0 = s0 ^ s3;
    this.s2 = s2 ^ t;
    this.s3 = (s3 << 11) | (s3 >>> 21);
    return result;
  }

  /**
   * Uniform double in [0, 1) with 53 random bits: the top 27 bits of one draw and the top 26
   * of the next, (a * 2^26 + b) / 2^53. Every representable multiple of 2^-53 is equally
   * likely; 0 is possible, 1 is not. (The high bits are used because they are the strongest
   * bits of most generators; for xoshiro128** all bits are good.)
   */
  nextFloat(): number {
    const a = this.nextU32() >>> 5;
    const b = this.nextU32() >>> 6;
    return (a * 67108864 + b) * TWO_POW_M53;
  }

  /**
   * Standard normal variate by Box-Muller: from u1 in (0, 1] (1 - nextFloat, so log never sees
   * 0) and u2 in [0, 1), r = sqrt(-2 ln u1), returns r cos(2 pi u2) and caches r sin(2 pi u2)
   * for the next call. The smallest u1 is 2^-53, so |z| <= sqrt(2 * 53 ln 2) ~ 8.57.
   */
  nextGaussian(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    const u1 = 1 - this.nextFloat();
    const u2 = this.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u1));
    const th = TWO_PI * u2;
    this.spare = r * Math.sin(th);
    this.hasSpare = true;
    return r * Math.cos(th);
  }

  /**
   * Writes n standard normal variates to out[offset .. offset+n). The values are exactly those
   * of n successive `nextGaussian` calls (the cache is used and left as they would leave it),
   * so splitting a fill into pieces never changes the stream.
   */
  fillGaussian(out: Float64Array, offset: number, n: number): void {
    let i = offset;
    const end = offset + n;
    if (end > out.length || offset < 0 || n < 0) {
      throw new RangeError(`fillGaussian: [${offset}, ${end}) outside an array of length ${out.length}`);
    }
    if (i < end && this.hasSpare) {
      out[i++] = this.spare;
      this.hasSpare = false;
    }
    // Pairs, with the generator inlined on local state (same arithmetic as nextGaussian ->
    // nextFloat -> nextU32): no calls that return doubles or uint32s (a value that does not fit
    // a small integer is boxed, i.e. allocated, when it crosses a non-inlined call), and the
    // state stays in registers for the whole fill. An odd tail caches the second variate.
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    while (i < end) {
      // 4 x nextU32 -> 2 x nextFloat (53 bits each).
      let m = Math.imul(s1, 5);
      let t = s1 << 9;
      const a1 = Math.imul((m << 7) | (m >>> 25), 9) >>> 5;
      s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = (s3 << 11) | (s3 >>> 21);
      m = Math.imul(s1, 5);
      t = s1 << 9;
      const b1 = Math.imul((m << 7) | (m >>> 25), 9) >>> 6;
      s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = (s3 << 11) | (s3 >>> 21);
      m = Math.imul(s1, 5);
      t = s1 << 9;
      const a2 = Math.imul((m << 7) | (m >>> 25), 9) >>> 5;
      s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = (s3 << 11) | (s3 >>> 21);
      m = Math.imul(s1, 5);
      t = s1 << 9;
      const b2 = Math.imul((m << 7) | (m >>> 25), 9) >>> 6;
      s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = (s3 << 11) | (s3 >>> 21);
      const u1 = 1 - (a1 * 67108864 + b1) * TWO_POW_M53;
      const u2 = (a2 * 67108864 + b2) * TWO_POW_M53;
      const r = Math.sqrt(-2 * Math.log(u1));
      const th = TWO_PI * u2;
      out[i] = r * Math.cos(th);
      const second = r * Math.sin(th);
      if (i + 1 < end) {
        out[i + 1] = second;
      } else {
        this.spare = second;
        this.hasSpare = true;
      }
      i += 2;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }

  /**
   * Writes n uniform doubles in [0, 1) to out[offset .. offset+n): exactly the values of n
   * successive `nextFloat` calls, generator inlined on local state (no boxed returns).
   */
  fillFloat(out: Float64Array, offset: number, n: number): void {
    const end = offset + n;
    if (end > out.length || offset < 0 || n < 0) {
      throw new RangeError(`fillFloat: [${offset}, ${end}) outside an array of length ${out.length}`);
    }
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    for (let i = offset; i < end; i++) {
      let m = Math.imul(s1, 5);
      let t = s1 << 9;
      const a = Math.imul((m << 7) | (m >>> 25), 9) >>> 5;
      s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = (s3 << 11) | (s3 >>> 21);
      m = Math.imul(s1, 5);
      t = s1 << 9;
      const b = Math.imul((m << 7) | (m >>> 25), 9) >>> 6;
      s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = (s3 << 11) | (s3 >>> 21);
      out[i] = (a * 67108864 + b) * TWO_POW_M53;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }
}

function checkIndex(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v >= TWO_POW_32) {
    throw new RangeError(`${what} must be an integer in [0, 2^32), got ${v}`);
  }
}

/** A generator keyed by a seed alone (tests, one-off sampling). */
export function createRng(seed: number): Rng {
  return new Rng(seed);
}

/**
 * The generator for the noise of knot `knotIndex` at R-DDP iteration `iteration` (and an
 * optional `purpose` tag to separate other uses of randomness at the same knot/iteration).
 * Its state depends on these integers alone, so any thread computing that knot draws the same
 * numbers. Common random numbers across iterations: pass the same `iteration` (e.g. 0) every
 * time, or keep the W matrix.
 */
export function streamFor(seed: number, knotIndex: number, iteration: number, purpose = PURPOSE_NOISE): Rng {
  const r = new Rng(0);
  r.reseed(seed, knotIndex, iteration, purpose);
  return r;
}
