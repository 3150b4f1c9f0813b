/**
 * Where a detection pass writes its contacts (ContactBuffer, the caller's), and the contact
 * frame each contact gets. Conventions in collision.ts.
 */

/**
 * Contacts found by one detection pass (structure of arrays). A class, not an object literal:
 * a literal with an accessor (margin) is created in V8's dictionary mode, which turned every
 * `buf.count` / `buf.pos` of the step's hot loops into a hash lookup (about 0.1 us per contact).
 */
export class ContactBuffer {
  /** Number of valid contacts. */
  count = 0;
  /** Contacts that did not fit since the last clear. */
  dropped = 0;
  /**
   * The margin's storage. Hot code writes marginBox[0]: assigning a fresh double to a plain
   * object field boxes it (a 16-byte allocation per write in V8).
   */
  readonly marginBox: Float64Array;
  /** World witness point on the environment surface (3 per contact). */
  readonly pos: Float64Array;
  /** World unit normal, environment -> robot (3 per contact). */
  readonly normal: Float64Array;
  /** Signed distance, negative = penetration (1 per contact). */
  readonly dist: Float64Array;
  /** Contact frame rotation [t1 t2 n] as columns, row-major (9 per contact). */
  readonly frame: Float64Array;
  /** Robot geometry index (1 per contact). */
  readonly geom: Int32Array;
  /** Environment object index (1 per contact). */
  readonly env: Int32Array;

  constructor(readonly capacity: number, margin: number) {
    this.marginBox = new Float64Array([margin]);
    this.pos = new Float64Array(3 * capacity);
    this.normal = new Float64Array(3 * capacity);
    this.dist = new Float64Array(capacity);
    this.frame = new Float64Array(9 * capacity);
    this.geom = new Int32Array(capacity);
    this.env = new Int32Array(capacity);
  }

  /** Contacts reported while dist < margin (m); an accessor over marginBox[0]. */
  get margin(): number {
    return this.marginBox[0];
  }

  set margin(m: number) {
    this.marginBox[0] = m;
  }
}

export function createContactBuffer(capacity: number, margin = 0.005): ContactBuffer {
  if (!Number.isInteger(capacity) || capacity < 0) throw new Error(`invalid capacity ${capacity}`);
  if (!(margin >= 0)) throw new Error(`invalid margin ${margin}`);
  return new ContactBuffer(capacity, margin);
}

export function clearContacts(buf: ContactBuffer): void {
  buf.count = 0;
  buf.dropped = 0;
}

/**
 * Contact frame rotation from the unit normal n = nrm[no..no+2]: out[oo..oo+8] = R row-major with
 * columns [t1 t2 n] (right-handed, t1 x t2 = n). Deterministic and continuous except across
 * n_z = 0 from above to below (Duff et al. 2017, "Building an orthonormal basis, revisited");
 * for n = +z, t1 = +x and t2 = +y.
 */
export function contactFrame(nrm: Float64Array, no: number, out: Float64Array, oo: number): void {
  const nx = nrm[no];
  const ny = nrm[no + 1];
  const nz = nrm[no + 2];
  const s = nz >= 0 ? 1 : -1;
  const a = -1 / (s + nz);
  const b = nx * ny * a;
  // columns: t1 = (1 + s nx^2 a, s b, -s nx), t2 = (b, s + ny^2 a, -ny), n
  out[oo] = 1 + s * nx * nx * a;
  out[oo + 1] = b;
  out[oo + 2] = nx;
  out[oo + 3] = s * b;
  out[oo + 4] = s + ny * ny * a;
  out[oo + 5] = ny;
  out[oo + 6] = -s * nx;
  out[oo + 7] = -ny;
  out[oo + 8] = nz;
}
