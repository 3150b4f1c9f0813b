/**
 * A minimal PNG encoder (8-bit RGB, no filtering, zlib from node) for rendered images:
 * previews from the CLI and, later, images on the wire.
 */
import { deflateSync } from 'node:zlib';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** PNG bytes of an image with `channels` numbers per pixel in [0, 1] (the first 3 are used). */
export function encodePng(pixels: ArrayLike<number>, width: number, height: number, channels = 4): Buffer {
  const raw = Buffer.alloc((3 * width + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (3 * width + 1)] = 0;
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const v = pixels[(y * width + x) * channels + c];
        raw[y * (3 * width + 1) + 1 + 3 * x + c] = Math.round(255 * Math.min(1, Math.max(0, v)));
      }
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}
