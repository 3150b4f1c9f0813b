/**
 * What a task can read off a robot's kinematic tree when nobody wrote it down (robot metadata,
 * SRDF): the legs' feet (leaf frames at the end of chains of two or more moving joints), an
 * arm's end effector (the leaf frame of the longest chain), and the sphere each foot touches
 * the ground with. Every guess says why, so `npm run inspect` can show it for a user to check
 * and override in the robot's metadata.
 */
import type { Model } from './model.ts';
import { jointOf } from './joints/index.ts';

export interface Leaf {
  /** The frame at the chain's tip: of the frames on the leaf body, the farthest from its joint. */
  frame: string;
  /** The leaf body's joint. */
  joint: number;
  /** Moving joints from the root to the leaf (the free-flyer not counted). */
  dofs: number;
}

/** One leaf per body with no child body (a body the tree ends at). */
export function leafChains(model: Model): Leaf[] {
  const hasChild = new Uint8Array(model.njoints);
  for (let j = 1; j < model.njoints; j++) if (model.parents[j] > 0) hasChild[model.parents[j]] = 1;
  const out: Leaf[] = [];
  for (let j = 1; j < model.njoints; j++) {
    if (hasChild[j] || !jointOf(model, j).actuated) continue;
    let best = -1, bestD = -1;
    model.frames.forEach((f, i) => {
      if (f.parentJoint !== j || f.kind === 'joint') return;
      const d = Math.hypot(f.placement[9], f.placement[10], f.placement[11]);
      if (d > bestD + 1e-12) { best = i; bestD = d; }
    });
    if (best < 0) continue;
    let dofs = 0;
    for (let k = j; k > 0; k = model.parents[k]) if (jointOf(model, k).actuated) dofs += model.nvs[k];
    out.push({ frame: model.frames[best].name, joint: j, dofs });
  }
  return out;
}

/** Legs: leaves at the end of at least two moving joints; their tip frames are the feet. */
export function detectFeet(model: Model): Leaf[] {
  return leafChains(model).filter((l) => l.dofs >= 2);
}

/** A robot with two or more legs hanging from its root is legged (a free-flying base). */
export function looksLegged(model: Model): boolean {
  return detectFeet(model).length >= 2;
}

/** The end effector of an arm: the tip of the longest chain (first in tree order on a tie), or null. */
export function detectEndEffector(model: Model): Leaf | null {
  let best: Leaf | null = null;
  for (const l of leafChains(model)) if (!best || l.dofs > best.dofs) best = l;
  return best;
}

/** Radius of a collision sphere centred on the frame (within 1 mm), or null. */
export function sphereAtFrame(model: Model, frame: string): number | null {
  const f = model.frames.find((x) => x.name === frame && x.kind !== 'joint');
  if (!f) return null;
  for (const g of model.collisions) {
    if (g.parentJoint !== f.parentJoint || g.shape.type !== 'sphere') continue;
    const d = Math.hypot(g.placement[9] - f.placement[9], g.placement[10] - f.placement[10], g.placement[11] - f.placement[11]);
    if (d < 1e-3) return g.shape.radius;
  }
  return null;
}
