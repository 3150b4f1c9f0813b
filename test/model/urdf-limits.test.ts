/**
 * Bounds on URDF input (issue: safe to put on a network): file size checked before reading,
 * <link>/<joint> counts, XML nesting, and tree walks that do not recurse (a 5,000-link chain
 * used to overflow the call stack). Errors name the file and the problem.
 */
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileTooLargeError, readTextBounded } from '../../server/model/read-bounded.ts';
import { loadRobot } from '../../server/model/robots.ts';
import { loadUrdfFile, parseUrdf } from '../../server/model/urdf.ts';
import { DEFAULT_MAX_URDF_LINKS } from '../../shared/limits.ts';
import { tempDir } from '../api/helpers.ts';
import { joint, link, robot, urdfError } from './helpers.ts';

const LIMIT = '<limit lower="-1" upper="1" effort="1" velocity="1"/>';
const chain = (n: number) => robot(
  Array.from({ length: n + 1 }, (_, i) => link(`l${i}`)).join('') +
  Array.from({ length: n }, (_, i) => joint(`j${i}`, `l${i}`, `l${i + 1}`, 'revolute', `<axis xyz="0 0 1"/>${LIMIT}`)).join(''), 'chain');

describe('URDF limits', () => {
  it('a 5,000-link chain loads (iterative tree walk) when the link limit allows it', () => {
    const { model } = parseUrdf(chain(5000), { limits: { maxLinks: 10_000 } });
    expect(model.nv).toBe(5000);
    for (let j = 1; j < model.njoints; j++) expect(model.parents[j]).toBe(j - 1);
    expect(model.jointNames[5000]).toBe('j4999');
  });

  it('numbers joints in depth-first file order, as a recursive walk would (random trees)', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 5; trial++) {
      const n = 60;
      const parent = [-1, ...Array.from({ length: n - 1 }, (_, i) => Math.floor(rand() * (i + 1)))];
      const fixed = parent.map(() => rand() < 0.3);
      // joints listed in a shuffled order: file order of children is the order of <joint> elements
      const order = Array.from({ length: n - 1 }, (_, i) => i + 1).sort(() => rand() - 0.5);
      const body = Array.from({ length: n }, (_, i) => link(`l${i}`)).join('') +
        order.map((c) => joint(`j${c}`, `l${parent[c]}`, `l${c}`, fixed[c] ? 'fixed' : 'revolute', fixed[c] ? '' : `<axis xyz="0 0 1"/>${LIMIT}`)).join('');
      const { model } = parseUrdf(robot(body));
      // reference: recursive depth-first walk, children in file order
      const expected: string[] = ['universe'];
      const visit = (l: number) => { for (const c of order) if (parent[c] === l) { if (!fixed[c]) expected.push(`j${c}`); visit(c); } };
      visit(0);
      expect(model.jointNames).toEqual(expected);
    }
  });

  it(`refuses more <link> elements than the limit (default ${DEFAULT_MAX_URDF_LINKS}), naming the file`, () => {
    const e = urdfError(() => parseUrdf(chain(DEFAULT_MAX_URDF_LINKS), { source: 'big.urdf' }));
    expect(e.message).toBe(`big.urdf: robot 'chain': ${DEFAULT_MAX_URDF_LINKS + 1} <link> elements, over the limit of ${DEFAULT_MAX_URDF_LINKS}`);
    expect(urdfError(() => parseUrdf(chain(30), { limits: { maxLinks: 30 } })).problem).toBe('31 <link> elements, over the limit of 30');
    expect(parseUrdf(chain(29), { limits: { maxLinks: 30 } }).model.nv).toBe(29);
  });

  it('refuses deeply nested XML with a message, not a stack overflow', () => {
    const deep = '<robot name="d">' + '<a>'.repeat(50_000) + '</a>'.repeat(50_000) + '<link name="x"/></robot>';
    const e = urdfError(() => parseUrdf(deep, { source: 'deep.urdf' }));
    expect(e.message).toMatch(/^deep\.urdf: .*malformed XML/);
  });

  it('refuses a file over the size limit from its size alone (a sparse 100 MB file is never read)', () => {
    const tmp = tempDir('rsddp-urdf-limits-');
    try {
      const f = path.join(tmp.dir, 'huge.urdf');
      writeFileSync(f, '');
      truncateSync(f, 100 * 1024 * 1024);
      const e = urdfError(() => loadUrdfFile(f));
      expect(e.message).toBe(`${f}: file: ${100 * 1024 * 1024} bytes, over the limit of ${8 * 1024 * 1024} bytes`);
      const small = path.join(tmp.dir, 'small.urdf');
      writeFileSync(small, chain(3));
      expect(urdfError(() => loadUrdfFile(small, { limits: { maxBytes: 100 } })).problem).toMatch(/^\d+ bytes, over the limit of 100 bytes$/);
      expect(loadUrdfFile(small).model.nv).toBe(3);
      // a string over the limit, too
      expect(urdfError(() => parseUrdf(chain(3), { limits: { maxBytes: 100 } })).problem).toMatch(/over the limit of 100 bytes/);
      // a folder named .urdf
      mkdirSync(path.join(tmp.dir, 'dir.urdf'));
      expect(urdfError(() => loadUrdfFile(path.join(tmp.dir, 'dir.urdf'))).problem).toBe('cannot read: not a regular file');
    } finally { tmp.remove(); }
  });

  it('bounds robot metadata (.json) files by the same limit', () => {
    const tmp = tempDir('rsddp-urdf-limits-');
    try {
      writeFileSync(path.join(tmp.dir, 'r.urdf'), chain(2));
      writeFileSync(path.join(tmp.dir, 'r.json'), JSON.stringify({ urdf: 'r.urdf', postures: { p: { q: [0, 0] } }, pad: 'x'.repeat(2000) }));
      expect(() => loadRobot(path.join(tmp.dir, 'r.json'), { limits: { maxBytes: 1000 } })).toThrow(/r\.json: cannot read robot metadata: .*over the limit of 1000 bytes/);
      expect(loadRobot(path.join(tmp.dir, 'r.json')).model.nv).toBe(2);
    } finally { tmp.remove(); }
  });

  it('readTextBounded: exact limit is fine, one byte more is not', () => {
    const tmp = tempDir('rsddp-urdf-limits-');
    try {
      const f = path.join(tmp.dir, 'x');
      writeFileSync(f, 'é'.repeat(50)); // 100 bytes
      expect(readTextBounded(f, 100)).toBe('é'.repeat(50));
      expect(() => readTextBounded(f, 99)).toThrow(FileTooLargeError);
    } finally { tmp.remove(); }
  });
});
