/**
 * A small PNG decoder for uploaded target images (POST /api/fits): 8-bit greyscale, grey +
 * alpha, RGB and RGBA, non-interlaced, every filter type; chunk CRCs checked. The image header
 * is checked against `maxSide` before anything is inflated, and inflation is capped at the
 * size the header implies, so a small file cannot expand into a large allocation. Errors are
 * `PngError`s whose message says what is wrong (the API answers 400 with it).
 */
import { crc32, inflateSync } from 'node:zlib';

export class PngError extends Error {}

export interface DecodedPng {
  width: number;
  height: number;
  /** RGBA, 4 numbers per pixel in [0, 1], rows top to bottom. */
  rgba: Float64Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
/** Channels per colour type (0 grey, 2 RGB, 4 grey + alpha, 6 RGBA). */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

export function decodePng(bytes: Uint8Array, maxSide = 4096): DecodedPng {
  if (!isPng(bytes)) throw new PngError('not a PNG file (the 8-byte PNG signature is missing)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let width = 0, height = 0, channels = 0;
  const idat: Uint8Array[] = [];
  let sawHeader = false, sawEnd = false;
  while (pos < bytes.length) {
    if (pos + 12 > bytes.length) throw new PngError('truncated PNG (a chunk header runs past the end)');
    const len = view.getUint32(pos);
    const type = String.fromCharCode(bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7]);
    if (pos + 12 + len > bytes.length) throw new PngError(`truncated PNG (chunk ${type} runs past the end)`);
    const data = bytes.subarray(pos + 8, pos + 8 + len);
    if (crc32(bytes.subarray(pos + 4, pos + 8 + len)) !== view.getUint32(pos + 8 + len)) throw new PngError(`damaged PNG (chunk ${type} fails its CRC)`);
    pos += 12 + len;
    if (!sawHeader) {
      if (type !== 'IHDR' || len !== 13) throw new PngError('damaged PNG (the first chunk is not IHDR)');
      sawHeader = true;
      width = view.getUint32(pos - 12 - len + 8);
      height = view.getUint32(pos - 12 - len + 12);
      const depth = data[8], colour = data[9], compression = data[10], filter = data[11], interlace = data[12];
      if (width < 1 || height < 1) throw new PngError(`PNG of ${width}x${height} pixels is empty`);
      if (width > maxSide || height > maxSide) throw new PngError(`PNG of ${width}x${height} pixels is larger than ${maxSide}x${maxSide}`);
      if (depth !== 8) throw new PngError(`PNG bit depth ${depth} is not supported (8-bit only)`);
      if (!(colour in CHANNELS)) throw new PngError(`PNG colour type ${colour} is not supported (grey, grey + alpha, RGB, RGBA; no palette)`);
      if (compression !== 0 || filter !== 0) throw new PngError('PNG with an unknown compression or filter method');
      if (interlace !== 0) throw new PngError('interlaced PNG is not supported');
      channels = CHANNELS[colour];
      continue;
    }
    if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') { sawEnd = true; break; }
    else if (type === 'IHDR') throw new PngError('damaged PNG (two IHDR chunks)');
    // other chunks (gAMA, sRGB, tEXt, ...) are skipped
  }
  if (!sawHeader) throw new PngError('damaged PNG (no IHDR chunk)');
  if (!sawEnd) throw new PngError('truncated PNG (no IEND chunk)');
  if (idat.length === 0) throw new PngError('damaged PNG (no image data)');
  const stride = width * channels;
  const expected = (stride + 1) * height;
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat), { maxOutputLength: expected + 1 });
  } catch (e) {
    throw new PngError(`damaged PNG (image data does not inflate: ${(e as Error).message})`);
  }
  if (raw.length !== expected) throw new PngError(`damaged PNG (image data is ${raw.length} bytes, expected ${expected})`);
  const pix = new Uint8Array(stride * height);
  const bpp = channels;
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1, dst = y * stride, prev = dst - stride;
    for (let x = 0; x < stride; x++) {
      const v = raw[src + x];
      const a = x >= bpp ? pix[dst + x - bpp] : 0;
      const b = y > 0 ? pix[prev + x] : 0;
      const c = x >= bpp && y > 0 ? pix[prev + x - bpp] : 0;
      let out: number;
      switch (f) {
        case 0: out = v; break;
        case 1: out = v + a; break;
        case 2: out = v + b; break;
        case 3: out = v + ((a + b) >> 1); break;
        case 4: {
          const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
          out = v + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
          break;
        }
        default: throw new PngError(`damaged PNG (row ${y} has filter type ${f})`);
      }
      pix[dst + x] = out & 0xff;
    }
  }
  const rgba = new Float64Array(4 * width * height);
  for (let i = 0; i < width * height; i++) {
    const o = i * channels;
    let r: number, g: number, b: number, al = 255;
    if (channels <= 2) { r = g = b = pix[o]; if (channels === 2) al = pix[o + 1]; }
    else { r = pix[o]; g = pix[o + 1]; b = pix[o + 2]; if (channels === 4) al = pix[o + 3]; }
    rgba[4 * i] = r / 255; rgba[4 * i + 1] = g / 255; rgba[4 * i + 2] = b / 255; rgba[4 * i + 3] = al / 255;
  }
  return { width, height, rgba };
}

/**
 * RGB target (3 per pixel) of `side` x `side` from a decoded image: alpha composited over
 * `background`, then resampled by area averaging (each target pixel the mean of the source
 * area it covers; exact copy when the sizes match). The image must be square.
 */
export function targetFromImage(img: DecodedPng, side: number, background: readonly number[] = [0, 0, 0]): Float64Array {
  if (img.width !== img.height) throw new PngError(`the image must be square (got ${img.width}x${img.height})`);
  const n = img.width, out = new Float64Array(3 * side * side);
  const s = n / side;
  for (let ty = 0; ty < side; ty++) {
    const y0 = ty * s, y1 = y0 + s;
    for (let tx = 0; tx < side; tx++) {
      const x0 = tx * s, x1 = x0 + s;
      let r = 0, g = 0, b = 0, w = 0;
      for (let y = Math.floor(y0); y < Math.min(n, Math.ceil(y1)); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.min(n, Math.ceil(x1)); x++) {
          const wx = Math.min(x + 1, x1) - Math.max(x, x0);
          const k = wx * wy, i = 4 * (y * n + x), al = img.rgba[i + 3];
          r += k * (al * img.rgba[i] + (1 - al) * background[0]);
          g += k * (al * img.rgba[i + 1] + (1 - al) * background[1]);
          b += k * (al * img.rgba[i + 2] + (1 - al) * background[2]);
          w += k;
        }
      }
      const o = 3 * (ty * side + tx);
      out[o] = r / w; out[o + 1] = g / w; out[o + 2] = b / w;
    }
  }
  return out;
}
