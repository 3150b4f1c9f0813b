/**
 * Step derivatives on Solo-12, airborne (no contact) and standing on four sticking contacts:
 * the analytic Jacobians (AnalyticLinearizer: RNEA derivatives, H⁻¹, implicit differentiation
 * through the contact active set, the SE(3) integrator) against the forward-difference
 * Linearizer, timed in the same interleaved rounds; and the RNEA and forward-dynamics
 * derivatives alone.
 */
import { createData } from '../server/dynamics/data.ts';
import { abaDerivatives, createRneaDerivativesData, rneaDerivatives } from '../server/dynamics/rnea-derivatives.ts';
import { AnalyticLinearizer } from '../server/dynamics/step-derivatives-analytic.ts';
import { Linearizer } from '../server/dynamics/step-derivatives.ts';
import { Simulator } from '../server/dynamics/step.ts';
import { loadRobot, posture } from '../server/model/robots.ts';
import { standingSolo } from './contact.ts';
import { type BenchResult, quantile, timeInterleavedUs, timeMedianUs } from './harness.ts';

export async function derivativesBench(): Promise<BenchResult[]> {
  const { model, meta } = loadRobot('solo12');
  const nv = model.nv, nx = 2 * nv, nu = model.nu;
  const q = posture(meta, model, 'standing');
  q[2] = 1; // airborne: no contact, so both paths differentiate the same contact-free step
  const v = new Float64Array(nv).map((_, i) => 0.3 * Math.sin(1.7 * i));
  const u = new Float64Array(nu).map((_, i) => 0.5 * Math.sin(2.3 * i));
  const a = new Float64Array(nv).map((_, i) => Math.cos(0.9 * i));
  const qn = new Float64Array(model.nq), vn = new Float64Array(nv);
  const A1 = new Float64Array(nx * nx), B1 = new Float64Array(nx * nu), A2 = new Float64Array(nx * nx), B2 = new Float64Array(nx * nu);
  const analytic = new AnalyticLinearizer(new Simulator(model, undefined, { dt: 0.01 }));
  const fd = new Linearizer(new Simulator(model, undefined, { dt: 0.01 }));
  const t = await timeInterleavedUs([
    () => analytic.linearize(q, v, u, qn, vn, A1, B1),
    () => fd.linearize(q, v, u, qn, vn, A2, B2),
  ]);
  const ratios = t.rounds.map((r) => r[1] / r[0]);
  const speedup = quantile(ratios, 0.5);
  let err = 0, scale = 0;
  for (let i = 0; i < A1.length; i++) { err = Math.max(err, Math.abs(A1[i] - A2[i])); scale = Math.max(scale, Math.abs(A1[i])); }

  // Solo-12 standing on four sticking contacts (the issue's `linearize` benchmark)
  const st = standingSolo();
  const stA = new AnalyticLinearizer(new Simulator(model, undefined, { dt: st.sim.options.dt }));
  const stF = new Linearizer(new Simulator(model, undefined, { dt: st.sim.options.dt }));
  const A3 = new Float64Array(nx * nx), B3 = new Float64Array(nx * nu), A4 = new Float64Array(nx * nx), B4 = new Float64Array(nx * nu);
  const ts = await timeInterleavedUs([
    () => stA.linearize(st.q, st.v, st.u, qn, vn, A3, B3),
    () => stF.linearize(st.q, st.v, st.u, qn, vn, A4, B4),
  ]);
  if (stA.activeRows !== 12) throw new Error(`bench: expected 4 sticking contacts, got ${stA.activeRows / 3} rows`);
  const stSpeedup = quantile(ts.rounds.map((r) => r[1] / r[0]), 0.5);
  let err2 = 0, scale2 = 0;
  for (let i = 0; i < A3.length; i++) { err2 = Math.max(err2, Math.abs(A3[i] - A4[i])); scale2 = Math.max(scale2, Math.abs(A3[i])); }

  const data = createData(model), w = createRneaDerivativesData(model);
  const rd = timeMedianUs(() => rneaDerivatives(model, data, w, q, v, a));
  const ad = timeMedianUs(() => abaDerivatives(model, data, w, q, v, a));
  return [
    {
      name: 'linearize_free_analytic', median_us: t.medians[0], peer: 'finite differences (Linearizer), same run, interleaved',
      peer_median_us: t.medians[1], speedup_vs_peer: speedup, max_rel_diff_A: err / scale,
      note: 'Solo-12 airborne (no contact): A (36x36), B (36x12) of one step; speedup = median of per-round ratios',
    },
    {
      name: 'linearize_analytic', median_us: ts.medians[0], target_us: 40, peer: 'finite differences (Linearizer), same run, interleaved',
      peer_median_us: ts.medians[1], speedup_vs_peer: stSpeedup, max_rel_diff_A: err2 / scale2,
      note: 'Solo-12 standing on 4 sticking contacts (implicit differentiation through the active set); speedup = median of per-round ratios',
    },
    { name: 'rnea_derivatives', median_us: rd.median, iqr_us: rd.iqr, note: 'Solo-12: dtau/dq, dtau/dv' },
    { name: 'aba_derivatives', median_us: ad.median, iqr_us: ad.iqr, note: 'Solo-12: da/dq, da/dv, M^-1 (dense)' },
  ];
}
