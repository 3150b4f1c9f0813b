import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/api/server.ts';
import { FitManager } from '../../server/api/fits.ts';
import { ApiError } from '../../server/api/sessions.ts';
import { renderTarget } from '../../server/perception/fit-job.ts';
import { decodePng } from '../../server/rendering/png-decode.ts';
import { encodePng } from '../../server/rendering/png.ts';
import { FitStateSchema, MAX_FIT_SIZE, ServerMessageSchema, type FitFinalMessage, type FitIterateMessage, type FitState, type ServerMessage } from '../../shared/protocol.ts';
import { json, post, startTestServer, tempDir, TestClient } from './helpers.ts';

let server: RunningServer;
const tmp = tempDir();

beforeAll(async () => { server = await startTestServer(tmp.dir, { iterateIntervalMs: 20 }); });
afterAll(async () => { await server.close(); tmp.remove(); });

const isFitFinal = (fit: string, method?: string) => (m: ServerMessage) => m.type === 'fit-final' && m.fit === fit && (!method || m.method === method);

describe('pose fits over HTTP and WebSocket', () => {
  it('fits a 32 px cube with the three methods side by side: iterates with renders, finals, recordings', async () => {
    const c = await TestClient.connect(server.url);
    c.send({ type: 'subscribe-fits', fits: 'all' });
    const res = await post(`${server.url}/api/fits`, { object: 'cube', size: 32, iterations: 60, initErrorDeg: 20, seed: 3 });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toMatch(/^\/api\/fits\/f/);
    const { id, fit } = await json(res);
    expect(FitStateSchema.parse(fit).methods.map((m) => m.method)).toEqual(['hard', 'softras', 'perturbed']);
    const finals = await Promise.all(['hard', 'softras', 'perturbed'].map((m) => c.waitFor<FitFinalMessage>(isFitFinal(id, m), 60_000, `${m} final`)));
    // every message fits the shared protocol
    for (const m of c.messages) expect(ServerMessageSchema.safeParse(m).success).toBe(true);
    const its = c.messages.filter((m): m is FitIterateMessage => m.type === 'fit-iterate' && m.fit === id);
    for (const method of ['hard', 'softras', 'perturbed']) {
      const mine = its.filter((m) => m.method === method);
      expect(mine.length).toBeGreaterThan(0);
      // the latest iterate is delivered before the final, with the render of the last iteration
      expect(mine.at(-1)!.record.iteration).toBe(59);
      const imgs = mine.filter((m) => m.image);
      expect(imgs.length).toBeGreaterThan(0);
      const png = decodePng(Buffer.from(imgs.at(-1)!.image!.png, 'base64'));
      expect([png.width, png.height]).toEqual([32, 32]);
      expect(mine.at(-1)!.pose.rotation).toHaveLength(3);
    }
    const [hard, softras, perturbed] = finals.map((f) => f.result);
    for (const r of [hard, softras, perturbed]) {
      expect(r.initialErrorDeg).toBeCloseTo(20, 6);
      expect(r.telemetry).toHaveLength(60);
      expect(r.cancelled).toBe(false);
      expect(decodePng(Buffer.from(r.image, 'base64')).width).toBe(32);
    }
    // hard rasterization has a null gradient almost everywhere: the pose does not move
    expect(hard.errorDeg).toBeCloseTo(20, 6);
    // the smoothed methods move the pose towards the target
    expect(softras.errorDeg!).toBeLessThan(20);
    expect(perturbed.errorDeg!).toBeLessThan(20);
    // state, list, the target image (the hard render of the target pose)
    const state: FitState = FitStateSchema.parse(await json(await fetch(`${server.url}/api/fits/${id}`)));
    expect(state.status).toBe('done');
    expect(state.methods.every((m) => m.status === 'done' && m.iteration === 60)).toBe(true);
    const list = await json(await fetch(`${server.url}/api/fits`));
    expect(list.fits.map((f: FitState) => f.id)).toContain(id);
    const target = await fetch(`${server.url}${state.targetUrl}`);
    expect(target.headers.get('content-type')).toBe('image/png');
    const tImg = decodePng(new Uint8Array(await target.arrayBuffer()));
    const want = renderTarget('cube', 32, state.targetPose!);
    for (let i = 0; i < 32 * 32; i++) expect(Math.abs(tImg.rgba[4 * i] - want[3 * i])).toBeLessThanOrEqual(0.5 / 255 + 1e-12);
    // recorded: listed under fits, readable with telemetry, target and renders
    await server.fits.idle();
    const done = FitStateSchema.parse(await json(await fetch(`${server.url}/api/fits/${id}`)));
    expect(done.methods.map((m) => m.recording)).toEqual(['hard', 'softras', 'perturbed'].map((m) => `${id}-${m}`));
    const recs = await json(await fetch(`${server.url}/api/recordings`));
    expect(recs.errors).toEqual([]);
    const rec = recs.fits.find((r: { id: string }) => r.id === `${id}-perturbed`);
    expect(rec).toMatchObject({ kind: 'fit', fit: id, method: 'perturbed', object: 'cube', imageSize: 32, iterations: 60, status: 'done' });
    expect(rec.errorDeg).toBeCloseTo(perturbed.errorDeg!, 9);
    const content = await json(await fetch(`${server.url}/api/recordings/${id}-perturbed`));
    expect(content.telemetry).toHaveLength(60);
    expect(content.telemetry.map((t: { loss: number }) => t.loss)).toEqual(perturbed.telemetry.map((t) => t.loss));
    expect(decodePng(Buffer.from(content.target, 'base64')).width).toBe(32);
    expect(content.images.length).toBeGreaterThan(10);
    expect(content.images.at(-1).iteration).toBe(59);
    const file = await fetch(`${server.url}/api/recordings/${id}-perturbed/file`);
    expect(file.status).toBe(200);
    await c.close();
  });

  it('fits an uploaded PNG (no known pose: errors are null), subscribed by id', async () => {
    const pose = { rotation: [0.4, -0.3, 0.2], translation: [0, 0, 0] };
    const png = encodePng(renderTarget('cube', 40, pose), 40, 40, 3);
    const res = await post(`${server.url}/api/fits`, {
      image: `data:image/png;base64,${png.toString('base64')}`, initialPose: { rotation: [0.5, -0.2, 0.1] }, methods: ['softras'], iterations: 20,
    });
    expect(res.status).toBe(202);
    const { id, fit } = await json(res);
    expect(fit).toMatchObject({ target: 'image', targetPose: null, size: 40 });
    const c = await TestClient.connect(server.url);
    c.send({ type: 'subscribe-fits', fits: [id] });
    const fin = await c.waitFor<FitFinalMessage>(isFitFinal(id, 'softras'), 30_000, 'final');
    expect(fin.result.errorDeg).toBeNull();
    expect(fin.result.bestLoss).toBeGreaterThanOrEqual(0);
    expect(fin.result.telemetry.every((t) => t.errorDeg === null)).toBe(true);
    // the uploaded image is the target, unchanged at its own size
    const back = decodePng(new Uint8Array(await (await fetch(`${server.url}/api/fits/${id}/target.png`)).arrayBuffer()));
    const orig = decodePng(png);
    expect(Array.from(back.rgba)).toEqual(Array.from(orig.rgba));
    await c.close();
  });

  it('cancels a running fit (HTTP DELETE and WebSocket cancel-fit) within a second; the cancelled run is recorded', async () => {
    const c = await TestClient.connect(server.url);
    c.send({ type: 'subscribe-fits', fits: 'all' });
    const { id } = await json(await post(`${server.url}/api/fits`, { size: 64, iterations: 2000, methods: ['perturbed', 'softras'], seed: 5 }));
    await c.waitFor((m) => m.type === 'fit-iterate' && m.fit === id && m.method === 'perturbed', 30_000, 'an iterate');
    const t0 = Date.now();
    const del = await fetch(`${server.url}/api/fits/${id}`, { method: 'DELETE' });
    expect(del.status).toBe(202);
    const fin = await c.waitFor<FitFinalMessage>(isFitFinal(id, 'perturbed'), 10_000, 'cancelled final');
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(fin.result.cancelled).toBe(true);
    expect(fin.result.iterations).toBeLessThan(2000);
    expect(fin.result.telemetry).toHaveLength(fin.result.iterations);
    // softras was running (cancelled within an iteration: a final) or still queued (cancelled there: none)
    await server.fits.idle();
    const st: FitState = await json(await fetch(`${server.url}/api/fits/${id}`));
    expect(st.status).toBe('cancelled');
    expect(st.methods.map((m) => m.status)).toEqual(['cancelled', 'cancelled']);
    const recs = await json(await fetch(`${server.url}/api/recordings`));
    expect(recs.fits.find((r: { id: string }) => r.id === `${id}-perturbed`)).toMatchObject({ status: 'cancelled', cancelled: true });
    // over the WebSocket
    const { id: id2 } = await json(await post(`${server.url}/api/fits`, { size: 64, iterations: 2000, methods: ['perturbed'], seed: 6 }));
    await c.waitFor((m) => m.type === 'fit-iterate' && m.fit === id2, 30_000, 'an iterate');
    c.send({ type: 'cancel-fit', fit: id2 });
    const fin2 = await c.waitFor<FitFinalMessage>(isFitFinal(id2), 10_000, 'cancelled final');
    expect(fin2.result.cancelled).toBe(true);
    await c.close();
  });

  it('refuses bad input with a 4xx naming the field', async () => {
    const bad = async (body: unknown, status: number, field: string, re?: RegExp) => {
      const res = await post(`${server.url}/api/fits`, body);
      const b = await json(res);
      expect({ status: res.status, field: b.field }).toEqual({ status, field });
      if (re) expect(b.error).toMatch(re);
    };
    await bad({ object: 'teapot' }, 404, 'object', /unknown object 'teapot'/);
    await bad({ image: Buffer.from('GIF89a not a png at all').toString('base64') }, 400, 'image', /not a PNG/);
    await bad({ image: 'this is not base64!' }, 400, 'image', /base64/);
    await bad({ image: 'A'.repeat(800_000) }, 400, 'image', /larger than/);
    await bad({ size: MAX_FIT_SIZE + 1 }, 400, 'size');
    await bad({ size: 4 }, 400, 'size');
    await bad({ iterations: 0 }, 400, 'iterations');
    await bad({ methods: ['hard', 'magic'] }, 400, 'methods.1');
    await bad({ methods: ['hard', 'hard'] }, 400, 'methods');
    await bad({ targetPose: { rotation: [0, 0, 0] }, image: encodePng(new Float64Array(3 * 64), 8, 8, 3).toString('base64') }, 400, 'image', /not both/);
    await bad({ image: encodePng(new Float64Array(3 * 64), 8, 8, 3).toString('base64'), initErrorDeg: 20 }, 400, 'initErrorDeg');
    await bad({ image: encodePng(new Float64Array(3 * 80), 10, 8, 3).toString('base64') }, 400, 'image', /square/);
    await bad({ targetPose: { rotation: [0, 0] } }, 400, 'targetPose.rotation');
    await bad({ colour: 'red' }, 400, 'colour');
    const missing = await fetch(`${server.url}/api/fits/nope`);
    expect(missing.status).toBe(404);
    expect((await json(missing)).field).toBe('fit');
    expect((await fetch(`${server.url}/api/fits/nope/target.png`)).status).toBe(404);
    const c = await TestClient.connect(server.url);
    c.send({ type: 'subscribe-fits', fits: ['nope'] });
    expect(await c.waitFor((m) => m.type === 'error')).toMatchObject({ field: 'fits' });
    await c.close();
  });
});

describe('the fit manager\'s limits', () => {
  it('stops a run at its wall-clock limit, saying so; refuses a fit that would overflow the queue (429)', async () => {
    // 4 s: a cold fit thread takes a while to start on a loaded machine; 2000 perturbed iterations at 64 px take far longer
    const m = new FitManager({ concurrency: 1, queueLimit: 2, timeLimitS: 4 });
    try {
      const id = m.create({ size: 64, iterations: 2000, methods: ['perturbed'] });
      let err: unknown = null;
      try { m.create({ size: 32 }); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({ status: 429, headers: { 'retry-after': '10' } });
      expect((err as Error).message).toMatch(/^queue: /);
      await m.idle();
      const st = m.state(id);
      expect(st.methods[0]).toMatchObject({ status: 'cancelled', error: 'time limit: stopped after 4 s of wall clock' });
      expect(st.methods[0].iteration).toBeGreaterThan(0);
      expect(st.methods[0].iteration).toBeLessThan(2000);
    } finally {
      await m.close();
    }
  }, 30_000);
});
