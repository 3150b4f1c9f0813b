/**
 * Load a URDF and compute its dynamics at a posture.
 *
 * Shows: loading a robot by name (the project's robots/solo12: URDF plus metadata with its
 * standing posture) and by path (the upstream Solo-12 URDF of example-robot-data, meshes and
 * all), then the three rigid-body algorithms at that posture with a velocity and torques:
 *   ABA   forward dynamics   ddq = M(q)⁻¹ (τ − C(q, v) v − g(q))
 *   CRBA  the mass matrix    M(q)
 *   RNEA  inverse dynamics   τ = M(q) ddq + C(q, v) v + g(q)   (with ddq = 0: nle = C v + g)
 * The last lines check them against each other: RNEA of ABA's ddq gives τ back, M ddq + nle = τ,
 * and the base's linear block of M is the robot's mass.
 *
 * Run: npx tsx examples/dynamics.ts [EXAMPLE_ROBOT_DATA_DIR]
 *   The upstream robot is read from EXAMPLE_ROBOT_DATA_DIR (default ../shared/robots/example-robot-data
 *   beside the project); when it is absent that part is skipped with a message.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { aba } from '../server/dynamics/aba.ts';
import { crba } from '../server/dynamics/crba.ts';
import { createData } from '../server/dynamics/data.ts';
import { nonLinearEffects, rnea } from '../server/dynamics/rnea.ts';
import { totalMass, type Model } from '../server/model/model.ts';
import { loadRobot, posture } from '../server/model/robots.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fmt = (a: ArrayLike<number>) => `[${Array.from(a, (x) => x.toFixed(4)).join(' ')}]`;
const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

function dynamicsAt(label: string, model: Model, q: ArrayLike<number>): void {
  const { nv } = model;
  // a velocity and torques to evaluate at: no torque on the free-flyer's 6 unactuated dofs
  const base = model.floating ? 6 : 0;
  const v = Float64Array.from({ length: nv }, (_, i) => 0.1 * Math.sin(i + 1));
  const tau = Float64Array.from({ length: nv }, (_, i) => (i < base ? 0 : 0.5 * Math.cos(i)));
  const data = createData(model);
  // the algorithms write into `data` and return views of it: copy what is kept
  const ddq = Float64Array.from(aba(model, data, q, v, tau));
  const M = Float64Array.from(crba(model, data, q));
  const nle = Float64Array.from(nonLinearEffects(model, data, q, v));
  const tauBack = Float64Array.from(rnea(model, data, q, v, ddq));
  const Mddq = Float64Array.from({ length: nv }, (_, i) => nle[i] + M.subarray(i * nv, (i + 1) * nv).reduce((s, m, k) => s + m * ddq[k], 0));

  console.log(`${label}: ${model.name}, nq ${model.nq}, nv ${nv}, ${model.njoints - 1} joints, mass ${totalMass(model).toFixed(9)} kg`);
  console.log(`  v   = 0.1 sin(i+1); tau = 0.5 cos(i) on the joints${base ? ', 0 on the base' : ''}`);
  console.log(`  ABA  ddq  = ${fmt(ddq)}`);
  console.log(`  CRBA diag(M) = ${fmt(Array.from({ length: nv }, (_, i) => M[i * nv + i]))}`);
  console.log(`  RNEA nle  = ${fmt(nle)}`);
  if (model.floating) console.log(`  check M[0][0] = ${M[0].toFixed(12)} (the total mass)`);
  console.log(`  check max|RNEA(q, v, ABA(q, v, tau)) - tau| = ${maxAbs(tauBack, tau).toExponential(2)}`);
  console.log(`  check max|M ddq + nle - tau| = ${maxAbs(Mddq, tau).toExponential(2)}`);
}

// 1. The project's robot, by name: robots/solo12.json names the URDF, the free-flyer and the postures.
const solo = loadRobot('solo12');
const standing = posture(solo.meta, solo.model, 'standing');
dynamicsAt("robots/solo12 at 'standing'", solo.model, standing);

// 2. An upstream URDF, by path (package:// mesh URIs resolve inside example-robot-data).
const dataDir = path.resolve(process.argv[2] ?? path.join(root, '../shared/robots/example-robot-data'));
const upstreamUrdf = path.join(dataDir, 'robots/solo_description/robots/solo12.urdf');
if (!existsSync(upstreamUrdf)) {
  console.log(`upstream: skipped, ${upstreamUrdf} is absent (pass the example-robot-data folder as the first argument)`);
} else {
  const up = loadRobot(upstreamUrdf, { floating: true });
  for (const w of up.warnings) console.log(`  warning: ${w}`);
  // same joint order as ours (URDF depth-first): our standing posture fits it
  const sameJoints = up.model.jointNames.join() === solo.model.jointNames.join();
  dynamicsAt(`upstream solo12 at ${sameJoints ? "our 'standing'" : 'its neutral posture'}`, up.model, sameJoints ? standing : posture(up.meta, up.model));
}
