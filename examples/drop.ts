/**
 * Drop Solo-12 onto the ground and print the contact forces.
 *
 * Shows: the contact time stepper (server/dynamics/step.ts: hard unilateral contacts with
 * Coulomb friction, one `stepInto` per time step) and how to read a step's contacts: their
 * points (`sim.contacts.pos`) and world forces in newtons (`sim.contactForces`). The robot starts
 * in its standing posture with the base raised, held by a joint PD about that posture plus the
 * torques that hold it in static equilibrium on its four feet. It falls, lands on its feet and
 * settles: at rest the contact forces carry exactly its weight, which the last line compares.
 *
 * Run: npx tsx examples/drop.ts [--height 0.4] [--duration 2] [--dt 0.01]
 */
import { parseArgs } from 'node:util';
import { defaultScene } from '../server/dynamics/scene.ts';
import { staticEquilibrium } from '../server/dynamics/statics.ts';
import { Simulator } from '../server/dynamics/step.ts';
import { actuatedDofs, totalMass } from '../server/model/model.ts';
import { loadRobot, posture } from '../server/model/robots.ts';

const { values: opt } = parseArgs({ options: { height: { type: 'string', default: '0.4' }, duration: { type: 'string', default: '2' }, dt: { type: 'string', default: '0.01' } } });
const height = Number(opt.height), duration = Number(opt.duration), dt = Number(opt.dt);

const { model, meta } = loadRobot('solo12');
const qRef = posture(meta, model, 'standing');
const tauHold = staticEquilibrium(model, qRef, meta.contactFrames).tau;
const KP = 5, KD = 0.1;
// ground at z = 0, friction 0.9
const sim = new Simulator(model, defaultScene(), { dt });

const q = Float64Array.from(qRef), v = new Float64Array(model.nv), u = new Float64Array(model.nu);
q[2] = height;
const act = actuatedDofs(model); // v index of each control
const qIndex = (vi: number) => vi + model.nq - model.nv; // the base's quaternion is the one q number more than v
const forces = new Float64Array(3 * sim.options.maxContacts);
const weight = totalMass(model) * 9.81;

console.log(`Solo-12 dropped with its base at ${height} m (standing height ${qRef[2]} m), held by joint PD (kp ${KP}, kd ${KD}) about its standing posture; dt ${dt} s, ${duration} s`);
console.log('   t (s)   base z (m)   contacts   sum fz (N)');
let peak = { fz: 0, t: 0 };
let nc = 0;
const steps = Math.round(duration / dt);
for (let k = 1; k <= steps; k++) {
  for (let i = 0; i < model.nu; i++) u[i] = tauHold[i] + KP * (qRef[qIndex(act[i])] - q[qIndex(act[i])]) - KD * v[act[i]];
  sim.stepInto(q, v, u, q, v);
  nc = sim.contactForces(forces);
  let fz = 0;
  for (let c = 0; c < nc; c++) fz += forces[3 * c + 2];
  if (fz > peak.fz) peak = { fz, t: k * dt };
  if (k % Math.max(1, Math.round(0.05 / dt)) === 0) {
    console.log(`${(k * dt).toFixed(2).padStart(8)}   ${q[2].toFixed(4).padStart(10)}   ${String(nc).padStart(8)}   ${fz.toFixed(3).padStart(10)}`);
  }
}
console.log(`largest total vertical contact force: ${peak.fz.toFixed(3)} N at t = ${peak.t.toFixed(2)} s (the landing)`);
console.log(`contacts at t = ${(steps * dt).toFixed(2)} s (world frame; point on the ground, force on the robot):`);
const sum = [0, 0, 0];
for (let c = 0; c < nc; c++) {
  const p = sim.contacts.pos.subarray(3 * c, 3 * c + 3), f = forces.subarray(3 * c, 3 * c + 3);
  for (let r = 0; r < 3; r++) sum[r] += f[r];
  console.log(`  at [${Array.from(p, (x) => x.toFixed(4)).join(' ')}] m   force [${Array.from(f, (x) => x.toFixed(3)).join(' ')}] N`);
}
console.log(`sum of the contact forces: [${sum.map((x) => x.toFixed(3)).join(' ')}] N; weight m g = ${weight.toFixed(3)} N`);
