/**
 * Reading a file the server was given (a URDF, robot metadata) with a size bound: the size is
 * checked before anything is read, and a file that grows while it is read is cut off there too.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export class FileTooLargeError extends Error {
  constructor(readonly file: string, readonly problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'FileTooLargeError';
  }
}

/** The file's UTF-8 text; FileTooLargeError over maxBytes, the fs error when it cannot be read, an Error('not a regular file'). */
export function readTextBounded(file: string, maxBytes: number): string {
  const fd = openSync(file, 'r');
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file');
    const over = (size: string) => new FileTooLargeError(file, `${size} bytes, over the limit of ${maxBytes} bytes`);
    if (st.size > maxBytes) throw over(String(st.size));
    const buf = Buffer.allocUnsafe(Math.min(st.size, maxBytes) + 1);
    let n = 0;
    for (let r = 1; r > 0 && n < buf.length; n += r) r = readSync(fd, buf, n, buf.length - n, null);
    if (n > maxBytes) throw over(`more than ${maxBytes}`); // grew while read
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}
