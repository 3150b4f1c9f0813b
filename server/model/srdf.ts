/**
 * SRDF (the semantic description MoveIt and example-robot-data ship beside a URDF): what a task
 * can use of it is the reference postures (`<group_state>`, e.g. Solo's `standing`) and the end
 * effectors' links (`<end_effector parent_link=…>`, Solo's feet). Everything else is ignored.
 *
 * Where an SRDF is looked for (findSrdf): the URDF's folder and a sibling `srdf/` folder (the
 * example-robot-data layout: robots/solo12.urdf, srdf/solo.srdf). The file named as the URDF
 * wins, then the one whose name is the longest prefix of the URDF's (solo12 → solo), then the
 * only one there.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { readTextBounded } from './read-bounded.ts';

export interface SrdfJointValue { joint: string; values: number[] }

export interface Srdf {
  file: string;
  /** group_state name → joint values, in the file's order (first state of a name wins). */
  states: Map<string, SrdfJointValue[]>;
  /** end_effector parent links, in the file's order. */
  endEffectors: string[];
}

/** The SRDF beside a URDF (see the module comment), or null. */
export function findSrdf(urdf: string): string | null {
  const base = path.basename(urdf).replace(/\.(urdf|xml)$/, '');
  const dirs = [path.dirname(urdf), path.join(path.dirname(urdf), '..', 'srdf'), path.join(path.dirname(urdf), 'srdf')];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    let files: string[];
    try { files = readdirSync(dir).filter((f) => f.endsWith('.srdf')).sort(); } catch { continue; }
    if (files.length === 0) continue;
    const names = files.map((f) => f.slice(0, -'.srdf'.length));
    const exact = names.indexOf(base);
    if (exact >= 0) return path.resolve(dir, files[exact]);
    const prefixes = names.map((n, i) => ({ n, i })).filter(({ n }) => base.startsWith(n)).sort((a, b) => b.n.length - a.n.length);
    if (prefixes.length) return path.resolve(dir, files[prefixes[0].i]);
    if (files.length === 1) return path.resolve(dir, files[0]);
  }
  return null;
}

const asArray = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/** Reads an SRDF (bounded like a URDF); throws naming the file on malformed XML or numbers. */
export function readSrdf(file: string, maxBytes: number): Srdf {
  const xml = readTextBounded(file, maxBytes);
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`${file}: malformed XML: ${valid.err.msg} (line ${valid.err.line})`);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', parseAttributeValue: false, parseTagValue: false }).parse(xml) as Record<string, unknown>;
  const robot = doc.robot as Record<string, unknown> | undefined;
  if (!robot || typeof robot !== 'object') throw new Error(`${file}: no <robot> root element`);
  const states = new Map<string, SrdfJointValue[]>();
  for (const gs of asArray(robot.group_state as Record<string, unknown> | Record<string, unknown>[])) {
    const name = String(gs.name ?? '');
    if (!name || states.has(name)) continue;
    const joints: SrdfJointValue[] = [];
    for (const j of asArray(gs.joint as Record<string, string> | Record<string, string>[])) {
      const values = String(j.value ?? '').trim().split(/\s+/).map(Number);
      if (!j.name || values.length === 0 || values.some((v) => !Number.isFinite(v))) {
        throw new Error(`${file}: group_state '${name}': joint '${j.name ?? '?'}' needs finite values, got '${j.value ?? ''}'`);
      }
      joints.push({ joint: String(j.name), values });
    }
    states.set(name, joints);
  }
  const endEffectors = asArray(robot.end_effector as Record<string, string> | Record<string, string>[])
    .map((e) => String(e.parent_link ?? '')).filter((l) => l !== '');
  return { file, states, endEffectors };
}
