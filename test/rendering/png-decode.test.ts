import { crc32, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodePng, isPng, PngError, targetFromImage } from '../../server/rendering/png-decode.ts';
import { encodePng } from '../../server/rendering/png.ts';

/** A reference encoder written from the PNG specification: every row with the given filter type. */
function chunk(type: string, data: Uint8Array): Buffer {
  const b = Buffer.alloc(12 + data.length);
  b.writeUInt32BE(data.length, 0);
  b.write(type, 4, 'ascii');
  Buffer.from(data).copy(b, 8);
  b.writeUInt32BE(crc32(b.subarray(4, 8 + data.length)), 8 + data.length);
  return b;
}

function encode(pix: Uint8Array, w: number, h: number, colour: number, filters: number[], opts: { depth?: number; interlace?: number; extra?: Buffer } = {}): Buffer {
  const ch = { 0: 1, 2: 3, 4: 2, 6: 4 }[colour as 0 | 2 | 4 | 6] ?? 1;
  const stride = w * ch;
  const raw = Buffer.alloc((stride + 1) * h);
  for (let y = 0; y < h; y++) {
    const f = filters[y % filters.length];
    raw[y * (stride + 1)] = f;
    for (let x = 0; x < stride; x++) {
      const v = pix[y * stride + x];
      const a = x >= ch ? pix[y * stride + x - ch] : 0;
      const b = y > 0 ? pix[(y - 1) * stride + x] : 0;
      const c = x >= ch && y > 0 ? pix[(y - 1) * stride + x - ch] : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][f];
      raw[y * (stride + 1) + 1 + x] = (v - pred) & 0xff;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4);
  ihdr[8] = opts.depth ?? 8; ihdr[9] = colour; ihdr[12] = opts.interlace ?? 0;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), ...(opts.extra ? [opts.extra] : []), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; out[i] = s >>> 24; }
  return out;
}

describe('PNG decoder', () => {
  it('reads every filter type and colour type exactly (against a reference encoder)', () => {
    const w = 7, h = 6;
    for (const colour of [0, 2, 4, 6]) {
      const ch = { 0: 1, 2: 3, 4: 2, 6: 4 }[colour as 0 | 2 | 4 | 6]!;
      const pix = randomBytes(w * h * ch, colour + 1);
      for (const filters of [[0], [1], [2], [3], [4], [0, 1, 2, 3, 4]]) {
        const img = decodePng(encode(pix, w, h, colour, filters));
        expect([img.width, img.height]).toEqual([w, h]);
        for (let i = 0; i < w * h; i++) {
          const o = i * ch;
          const want = ch <= 2 ? [pix[o], pix[o], pix[o], ch === 2 ? pix[o + 1] : 255] : [pix[o], pix[o + 1], pix[o + 2], ch === 4 ? pix[o + 3] : 255];
          expect(Array.from(img.rgba.subarray(4 * i, 4 * i + 4)).map((v) => Math.round(v * 255))).toEqual(want);
        }
      }
    }
  });

  it('reads what the renderer encodes (png.ts), skipping ancillary chunks', () => {
    const rgb = new Float64Array(3 * 5 * 4).map((_, i) => (i * 37 % 256) / 255);
    const img = decodePng(encodePng(rgb, 5, 4, 3));
    for (let i = 0; i < 20; i++) for (let c = 0; c < 3; c++) expect(img.rgba[4 * i + c]).toBeCloseTo(rgb[3 * i + c], 12);
    const pix = randomBytes(3 * 9, 3);
    const withText = decodePng(encode(pix, 3, 3, 2, [1], { extra: chunk('tEXt', Buffer.from('Comment\0hello')) }));
    expect(Math.round(withText.rgba[4] * 255)).toBe(pix[3]);
  });

  it('refuses what it cannot read with a message saying why', () => {
    const good = encode(randomBytes(16 * 3, 1), 4, 4, 2, [0]);
    expect(isPng(good)).toBe(true);
    expect(isPng(Buffer.from('GIF89a....'))).toBe(false);
    const bad = (b: Uint8Array, re: RegExp) => { expect(() => decodePng(b)).toThrow(PngError); expect(() => decodePng(b)).toThrow(re); };
    bad(Buffer.from('hello world, not an image'), /not a PNG/);
    const flipped = Buffer.from(good); flipped[40] ^= 0xff;
    bad(flipped, /CRC|inflate|damaged/);
    bad(good.subarray(0, good.length - 20), /truncated/);
    bad(encode(randomBytes(16, 1), 4, 4, 0, [0], { interlace: 1 }), /interlaced/);
    bad(encode(randomBytes(16, 1), 4, 4, 0, [0], { depth: 16 }), /bit depth 16/);
    bad(encode(randomBytes(16, 1), 4, 4, 3, [0]), /colour type 3/);
    expect(() => decodePng(encode(randomBytes(10 * 10, 1), 10, 10, 0, [0]), 8)).toThrow(/10x10 pixels is larger than 8x8/);
  });
});

describe('targetFromImage', () => {
  it('copies at the same size, averages 2x2 blocks at half size, composites alpha over the background', () => {
    const n = 4, rgba = new Float64Array(4 * n * n);
    for (let i = 0; i < n * n; i++) { rgba[4 * i] = i / 16; rgba[4 * i + 1] = 0.5; rgba[4 * i + 2] = 1; rgba[4 * i + 3] = 1; }
    const same = targetFromImage({ width: n, height: n, rgba }, n);
    for (let i = 0; i < n * n; i++) expect(same[3 * i]).toBeCloseTo(i / 16, 14);
    const half = targetFromImage({ width: n, height: n, rgba }, 2);
    // block (0,0) holds pixels 0, 1, 4, 5
    expect(half[0]).toBeCloseTo((0 + 1 + 4 + 5) / 64, 14);
    expect(half[3 * 3]).toBeCloseTo((10 + 11 + 14 + 15) / 64, 14);
    const clear = Float64Array.from(rgba); for (let i = 0; i < n * n; i++) clear[4 * i + 3] = 0.25;
    const comp = targetFromImage({ width: n, height: n, rgba: clear }, n, [1, 0, 0]);
    expect(comp[3 * 5]).toBeCloseTo(0.25 * (5 / 16) + 0.75, 14);
    expect(comp[3 * 5 + 1]).toBeCloseTo(0.125, 14);
    expect(() => targetFromImage({ width: 4, height: 3, rgba: new Float64Array(48) }, 4)).toThrow(/square/);
  });
});
