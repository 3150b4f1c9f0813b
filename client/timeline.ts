/**
 * Playback timeline (pure logic, no DOM): time <-> knot index, play / pause / step / scrub /
 * speed / loop, and interpolation of a configuration trajectory between knots (linear, with
 * quaternion slerp for a free-flyer base: q = [x y z qx qy qz qw, joints...], Pinocchio's order).
 */

/** Spherical linear interpolation of unit quaternions [x, y, z, w]; takes the short way round. */
export function slerp(a: ArrayLike<number>, b: ArrayLike<number>, t: number, out: number[] = [0, 0, 0, 1]): number[] {
  let bx = b[0], by = b[1], bz = b[2], bw = b[3];
  let cos = a[0] * bx + a[1] * by + a[2] * bz + a[3] * bw;
  if (cos < 0) { cos = -cos; bx = -bx; by = -by; bz = -bz; bw = -bw; }
  let wa: number, wb: number;
  if (cos > 0.9995) {
    // Nearly parallel: normalized linear interpolation is accurate and avoids 0/0.
    wa = 1 - t; wb = t;
  } else {
    const theta = Math.acos(Math.min(1, cos));
    const s = Math.sin(theta);
    wa = Math.sin((1 - t) * theta) / s;
    wb = Math.sin(t * theta) / s;
  }
  out[0] = wa * a[0] + wb * bx; out[1] = wa * a[1] + wb * by; out[2] = wa * a[2] + wb * bz; out[3] = wa * a[3] + wb * bw;
  const n = Math.hypot(out[0], out[1], out[2], out[3]) || 1;
  for (let i = 0; i < 4; i++) out[i] /= n;
  return out;
}

/** The knot just before time t (clamped to the trajectory) and the fraction towards the next one. */
export function knotAt(t: number, dt: number, knots: number): { index: number; alpha: number } {
  if (knots <= 1 || !(dt > 0)) return { index: 0, alpha: 0 };
  const s = Math.min(Math.max(t / dt, 0), knots - 1);
  const index = Math.min(Math.floor(s), knots - 2);
  return { index, alpha: s - index };
}

/**
 * The configuration at time t of a trajectory of knots q[k] spaced dt apart (clamped to its
 * ends). With `floating`, q[3..6] is the base quaternion (x y z w), slerped; the rest is linear.
 */
export function interpolateQ(q: readonly (readonly number[])[], dt: number, t: number, floating: boolean): number[] {
  if (q.length === 0) return [];
  const { index, alpha } = knotAt(t, dt, q.length);
  const a = q[index], b = q[Math.min(index + 1, q.length - 1)];
  const out = a.map((x, i) => x + alpha * (b[i] - x));
  if (floating && a.length >= 7) {
    const r = slerp(a.slice(3, 7), b.slice(3, 7), alpha);
    for (let i = 0; i < 4; i++) out[3 + i] = r[i];
  }
  return out;
}

export const SPEEDS = [0.1, 0.25, 0.5, 1, 2, 4] as const;

/** Play state over a trajectory of `knots` knots spaced `dt` apart (duration (knots-1)*dt). */
export class Timeline {
  time = 0;
  playing = true;
  speed = 1;
  loop = true;
  dt = 0.01;
  knots = 1;

  get duration(): number { return Math.max(0, (this.knots - 1) * this.dt); }

  /** Sets the trajectory length; keeps the current time (clamped). */
  setLength(knots: number, dt: number): void {
    this.knots = Math.max(1, Math.floor(knots));
    if (dt > 0) this.dt = dt;
    this.time = Math.min(Math.max(this.time, 0), this.duration);
  }

  play(): void {
    if (!this.loop && this.time >= this.duration) this.time = 0;
    this.playing = true;
  }
  pause(): void { this.playing = false; }
  toggle(): void { if (this.playing) this.pause(); else this.play(); }

  setSpeed(speed: number): void { if (speed > 0 && Number.isFinite(speed)) this.speed = speed; }

  /** Advances by `elapsed` seconds of wall time (times speed); wraps when looping, else stops at the end. */
  advance(elapsed: number): void {
    if (!this.playing || !(elapsed > 0)) return;
    const d = this.duration;
    if (d <= 0) { this.time = 0; return; }
    let t = this.time + elapsed * this.speed;
    if (t > d) {
      if (this.loop) t = t % d;
      else { t = d; this.playing = false; }
    }
    this.time = t;
  }

  /** The knot nearest to the current time. */
  get index(): number { return Math.min(Math.max(Math.round(this.time / this.dt), 0), this.knots - 1); }

  /** Moves n knots (negative: back) and pauses; wraps around when looping, else clamps. */
  step(n: number): void {
    this.playing = false;
    const last = this.knots - 1;
    const cur = Math.round(this.time / this.dt);
    let k = cur + n;
    if (this.loop && last > 0) k = ((k % (last + 1)) + (last + 1)) % (last + 1);
    else k = Math.min(Math.max(k, 0), last);
    this.time = k * this.dt;
  }

  /** Jumps to time t (clamped to [0, duration]). */
  seek(t: number): void { this.time = Math.min(Math.max(Number.isFinite(t) ? t : 0, 0), this.duration); }

  /** Jumps to a fraction of the duration (0..1), as a scrub bar does. */
  scrub(fraction: number): void { this.seek(fraction * this.duration); }

  get fraction(): number { const d = this.duration; return d > 0 ? this.time / d : 0; }
}
