/** Small mesh files for the mesh tests (written to temp dirs by the tests). */

/** Unit cube centred at the origin: 8 vertices, 6 quads (outward, counter-clockwise). */
export const CUBE_V = [
  [-0.5, -0.5, -0.5], [0.5, -0.5, -0.5], [0.5, 0.5, -0.5], [-0.5, 0.5, -0.5],
  [-0.5, -0.5, 0.5], [0.5, -0.5, 0.5], [0.5, 0.5, 0.5], [-0.5, 0.5, 0.5],
];
export const CUBE_F = [[1, 4, 3, 2], [5, 6, 7, 8], [1, 2, 6, 5], [2, 3, 7, 6], [3, 4, 8, 7], [4, 1, 5, 8]];
export const cubeTriangles = (): number[][][] =>
  CUBE_F.flatMap((f) => [[f[0], f[1], f[2]], [f[0], f[2], f[3]]].map((t) => t.map((i) => CUBE_V[i - 1])));

export function cubeObj(): string {
  return `# unit cube\no cube\n${CUBE_V.map((v) => `v ${v.join(' ')}`).join('\n')}\nvn 0 0 1\n${CUBE_F.map((f) => `f ${f.map((i) => `${i}//1`).join(' ')}`).join('\n')}\n`;
}

/** Binary STL whose 80-byte header starts with "solid" (the exporters' pitfall). */
export function binaryStl(tris: number[][][], header = 'solid cube'): Buffer {
  const b = Buffer.alloc(84 + 50 * tris.length);
  b.write(header.padEnd(80, ' '), 0, 'latin1');
  b.writeUInt32LE(tris.length, 80);
  tris.forEach((t, k) => {
    const o = 84 + 50 * k;
    t.forEach((v, j) => v.forEach((x, c) => b.writeFloatLE(x, o + 12 + 12 * j + 4 * c)));
  });
  return b;
}

