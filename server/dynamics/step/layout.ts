/**
 * The contact rows' layout, fixed by the model: each collision shape's body has a fixed dof
 * chain (its last dof, then every ancestor dof), so its Jacobian rows, W solve and the chain
 * lengths two shapes share are model constants; likewise each limited joint's chain. And the
 * kernel choice: per shape's body, generated kernels for its rows (compiled/contact-kernel.ts),
 * per shared chain length the Delassus blocks, per number of sticking contacts the polish's
 * Cholesky factor; null where the generic loops run instead (setCompiledKernels(false)).
 */
import type { Model } from '../../model/model.ts';
import { jointOf } from '../../model/joints/index.ts';
import { compiledKernelsEnabled } from '../compiled/emit.ts';
import { choleskyKernels, type CholeskyKernels } from '../compiled/cholesky-kernel.ts';
import {
  chainOffset, contactImpulseKernel, contactRowsKernel, contactVelocityKernel, delassusBlockKernel, delassusDiagonalKernel,
  type ChainLayout, type ContactImpulseKernel, type ContactRowsKernel, type ContactVelocityKernel, type DelassusBlockKernel,
} from '../compiled/contact-kernel.ts';
import type { JointLimits } from '../joint-limits.ts';

export class ContactLayout {
  /** Per shape: generated kernels of its body's dof chain (null: generic loops). */
  readonly rowsKernel: (ContactRowsKernel | null)[];
  readonly velocityKernel: (ContactVelocityKernel | null)[];
  readonly impulseKernel: (ContactImpulseKernel | null)[];
  /** Per shape: the run-time offset of its chain layout, passed to those kernels. */
  readonly shapeOffset: Int32Array;
  /** Per shape: its body's dof chain (last dof, then its ancestors), nv entries each, and its length. */
  readonly shapeChain: Int32Array;
  readonly shapeChainLength: Int32Array;
  /** Per pair of shapes (row-major): the number of dofs their bodies' chains share. */
  readonly sharedChain: Int32Array;
  /** Per shared chain length: generated Delassus block kernels, off-diagonal and diagonal (null: generic loop). */
  readonly blockKernel: (DelassusBlockKernel | null)[];
  readonly diagonalKernel: (DelassusBlockKernel | null)[];
  /** Per number of sticking contacts: generated Cholesky kernels of that size (null: generic). */
  readonly polishKernel: (CholeskyKernels | null)[];
  /** Per limited joint: its dof chain (its dof, then its ancestors), nv entries each, and its length. */
  readonly limChain: Int32Array;
  readonly limChainLength: Int32Array;
  /** Dofs shared by the chains of two limited joints (row-major), of a shape and a limited joint (shape-major). */
  readonly limShared: Int32Array;
  readonly shapeLimShared: Int32Array;

  /** lambdaDof: each dof's parent dof (-1 at a root), as data.dofParent. */
  constructor(model: Model, lambdaDof: Int32Array, shapeJoint: Int32Array, jointLimits: JointLimits, maxContacts: number) {
    const nv = model.nv;
    // contact kernels: each shape's body has a fixed dof chain (its last dof, then every
    // ancestor dof), so its Jacobian rows, W solve and shared chain lengths are model constants
    const ns = shapeJoint.length;
    const shapeChains = Array.from(shapeJoint, (body) => {
      const chain: number[] = [];
      for (let k = model.idxV[body] + model.nvs[body] - 1; k !== -1; k = lambdaDof[k]) chain.push(k);
      return chain;
    });
    const compiled = compiledKernelsEnabled();
    this.shapeChain = new Int32Array(ns * nv);
    this.shapeChainLength = Int32Array.from(shapeChains, (c) => c.length);
    shapeChains.forEach((c, s) => this.shapeChain.set(c, s * nv));
    // dofs whose world Jacobian column has an exactly zero angular part
    const translationalDof = new Uint8Array(nv);
    for (let j = 1; j < model.njoints; j++) {
      const iv = model.idxV[j], jt = jointOf(model, j);
      for (let k = 0; k < jt.nv; k++) if (jt.translational(k)) translationalDof[iv + k] = 1;
    }
    // one set per body (shapes on the same body share it), written for the body's chain layout:
    // its own branch of the tree relative to a run-time offset, so that bodies with branches of
    // the same shape (the legs) share one compiled function (ChainLayout)
    const children = new Int32Array(model.njoints);
    for (let j = 1; j < model.njoints; j++) children[model.parents[j]]++;
    this.shapeOffset = new Int32Array(ns);
    const byBody = new Map<number, [ContactRowsKernel | null, ContactVelocityKernel | null, ContactImpulseKernel | null]>();
    const kernels = shapeChains.map((chain, s) => {
      const body = shapeJoint[s];
      let branch = 0;
      for (let j = body; ; j = model.parents[j]) {
        branch += model.nvs[j];
        if (model.parents[j] === 0 || children[model.parents[j]] > 1) break;
      }
      const layout: ChainLayout = { chain, branch };
      this.shapeOffset[s] = chainOffset(layout);
      if (!compiled) return [null, null, null] as const;
      if (!byBody.has(body)) {
        const rows = contactRowsKernel(layout, nv, (k) => translationalDof[k] === 1), vel = contactVelocityKernel(layout, nv), imp = contactImpulseKernel(layout, nv);
        // all or none: the generic loops need the contact's chain, which only they write
        byBody.set(body, rows && vel && imp ? [rows, vel, imp] : [null, null, null]);
      }
      return byBody.get(body)!;
    });
    this.rowsKernel = kernels.map((k) => k[0]);
    this.velocityKernel = kernels.map((k) => k[1]);
    this.impulseKernel = kernels.map((k) => k[2]);
    this.sharedChain = new Int32Array(ns * ns);
    for (let a = 0; a < ns; a++) for (let b = 0; b < ns; b++) this.sharedChain[a * ns + b] = sharedSuffix(shapeChains[a], shapeChains[b]);
    this.polishKernel = Array.from({ length: maxContacts + 1 }, (_, k) => compiled && k > 0 ? choleskyKernels(3 * k) : null);
    // limit rows: each limited joint's dof chain and the dofs it shares with the other limited
    // joints and with each shape's body (common root-side suffix of the chains)
    const nlim = jointLimits.count;
    const limChains = Array.from(jointLimits.iv, (k0) => {
      const chain: number[] = [];
      for (let k = k0; k !== -1; k = lambdaDof[k]) chain.push(k);
      return chain;
    });
    this.limChain = new Int32Array(nlim * nv);
    limChains.forEach((c, l) => this.limChain.set(c, l * nv));
    this.limChainLength = Int32Array.from(limChains, (c) => c.length);
    this.limShared = new Int32Array(nlim * nlim);
    for (let a = 0; a < nlim; a++) for (let b = 0; b < nlim; b++) this.limShared[a * nlim + b] = sharedSuffix(limChains[a], limChains[b]);
    this.shapeLimShared = new Int32Array(ns * nlim);
    for (let s = 0; s < ns; s++) for (let l = 0; l < nlim; l++) this.shapeLimShared[s * nlim + l] = sharedSuffix(shapeChains[s], limChains[l]);
    this.blockKernel = Array.from({ length: nv + 1 }, (_, lc) => compiled ? delassusBlockKernel(lc, nv) : null);
    this.diagonalKernel = Array.from({ length: nv + 1 }, (_, lc) => compiled ? delassusDiagonalKernel(lc, nv) : null);
  }
}

/** Length of the common root-side part (suffix) of two dof chains. */
function sharedSuffix(a: number[], b: number[]): number {
  let lc = 0;
  while (lc < a.length && lc < b.length && a[a.length - 1 - lc] === b[b.length - 1 - lc]) lc++;
  return lc;
}
