/**
 * The Perception tab (DOM): the fit form in the side panel (object, target: a random pose with
 * the cube at a chosen height on the rail, or an uploaded PNG; initial error, seed, size,
 * iterations, methods, whether the translation is fitted), start / cancel, the fit on screen,
 * "use this pose", the fit recordings; and in the centre the target image, each method's
 * current render beside its silhouette outlined over the target, and the loss, sigma and
 * rotation-error plots (uPlot, one line per method). The logic lives in perception-model.ts.
 */
import { mulberry32 } from '../shared/mulberry32.ts';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { FitCreate, FitMethod } from '../shared/protocol.ts';
import {
  alignFitSeries, bestMethod, imageAt, cubeLiftParamsFromPose, FIT_METHOD_ORDER, fitsNewestFirst, maskIoU, maskOutline, METHOD_COLORS, METHOD_TITLES, methodLine,
  randomRotation, renderHeightOf, silhouetteMask, type FitRecordingInfo, type FitsState, type FitView,
} from './perception-model.ts';
import { PerceptionScene } from './perception-scene.ts';

export interface PerceptionHandlers {
  start(body: FitCreate): void;
  cancel(id: string): void;
  /** Plan cube-lift from the estimate (the params from cubeLiftParamsFromPose). */
  usePose(params: { initialHeight: number }, why: string): void;
  select(id: string): void;
  refreshRecordings(): void;
  openRecording(id: string): void;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

const decoded = new Map<string, Promise<ImageData>>();
/** Pixels of an image URL (PNG data URL or the target's), cached (a few entries). */
function pixels(src: string): Promise<ImageData> {
  let p = decoded.get(src);
  if (!p) {
    p = (async () => {
      const img = new Image();
      img.src = src;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.naturalWidth; c.height = img.naturalHeight;
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      return ctx.getImageData(0, 0, c.width, c.height);
    })();
    if (decoded.size > 64) decoded.delete(decoded.keys().next().value!);
    decoded.set(src, p);
    p.catch(() => decoded.delete(src));
  }
  return p;
}

function hexRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Outline colours over the target: the method's plot colour, but cyan for hard (its grey would vanish on the cube). */
const OUTLINE_COLORS: Record<FitMethod, string> = { hard: '#06b6d4', softras: METHOD_COLORS.softras, perturbed: METHOD_COLORS.perturbed };

interface Card { fig: HTMLElement; line: HTMLElement; render: HTMLCanvasElement; overlay: HTMLCanvasElement; key: string }

export class PerceptionView {
  readonly cards = new Map<FitMethod, Card>();
  readonly plots: uPlot[] = [];
  #targetSrc = '';
  #plotKey = '';
  /** Silhouette IoU of each method's render with the target's (for the tests and the captions). */
  readonly iou: Partial<Record<FitMethod, number>> = {};
  /** The 3D pose view (null without WebGL). */
  readonly scene3d: PerceptionScene | null;

  constructor(readonly state: FitsState, readonly handlers: PerceptionHandlers) {
    let scene: PerceptionScene | null = null;
    try { scene = new PerceptionScene($('pc-scene')); } catch { $('pc-scene').textContent = '3D view unavailable (WebGL)'; }
    this.scene3d = scene;
    const row = $('pc-row');
    for (const m of FIT_METHOD_ORDER) {
      const fig = h('figure', { class: 'pc-fig', 'data-method': m });
      const cap = h('figcaption');
      const title = h('b', { style: `color:${METHOD_COLORS[m]}` }, METHOD_TITLES[m]);
      const line = h('span', { class: 'pc-line' }, '–');
      cap.append(title, ' ', line);
      const pair = h('div', { class: 'pc-pair' });
      const render = h('canvas', { class: 'pc-render', title: `${METHOD_TITLES[m]}: its current render (the estimate's exact render once finished)` });
      const overlay = h('canvas', { class: 'pc-overlay', title: `${METHOD_TITLES[m]}: its silhouette outlined over the target` });
      pair.append(render, overlay);
      fig.append(cap, pair);
      row.append(fig);
      this.cards.set(m, { fig, line, render, overlay, key: '' });
    }
    const mk = (el: HTMLElement, title: string, y: string, log: boolean) => {
      const series: uPlot.Series[] = FIT_METHOD_ORDER.map((m) => ({ label: METHOD_TITLES[m], stroke: METHOD_COLORS[m], width: 2, spanGaps: true, points: { show: false } }));
      const u = new uPlot({
        title, width: Math.max(200, el.clientWidth), height: 150,
        scales: { x: { time: false }, y: log ? { distr: 3 } : { auto: true } },
        axes: [{ label: 'iteration', size: 34, labelSize: 16 }, { label: y, size: 56, labelSize: 16 }],
        series: [{ label: 'iteration' }, ...series], legend: { show: true, live: false }, cursor: { drag: { x: false, y: false } },
      }, [[], [], [], []] as unknown as uPlot.AlignedData, el);
      this.plots.push(u);
    };
    mk($('pc-plot-loss'), 'loss (mean squared RGB error)', 'loss', true);
    mk($('pc-plot-sigma'), 'σ (coverage smoothing)', 'σ', true);
    mk($('pc-plot-error'), 'rotation error', 'deg', false);
    const resize = () => this.plots.forEach((u, i) => u.setSize({ width: Math.max(200, [$('pc-plot-loss'), $('pc-plot-sigma'), $('pc-plot-error')][i].clientWidth), height: 150 }));
    window.addEventListener('resize', resize);
    new ResizeObserver(resize).observe($('pc-plots'));
    this.#bind();
  }

  #bind(): void {
    const kind = $<HTMLSelectElement>('pc-target-kind');
    const syncKind = () => {
      const image = kind.value === 'image';
      $('pc-file-row').hidden = !image;
      $('pc-height-row').hidden = image;
      $('pc-error-row').hidden = image;
    };
    kind.addEventListener('change', syncKind);
    syncKind();
    $('pc-start').addEventListener('click', () => void this.#start());
    $('pc-cancel').addEventListener('click', () => { if (this.state.current) this.handlers.cancel(this.state.current); });
    $('pc-select').addEventListener('change', (e) => this.handlers.select((e.target as HTMLSelectElement).value));
    $('pc-use').addEventListener('click', () => this.#use());
    $('pc-rec-refresh').addEventListener('click', () => this.handlers.refreshRecordings());
    $('pc-iter').addEventListener('input', () => this.render());
  }

  /** The iteration the slider selects (null: at its end, following the latest render). */
  get selectedIteration(): number | null {
    const el = $<HTMLInputElement>('pc-iter');
    return Number(el.value) >= Number(el.max) ? null : Number(el.value);
  }

  async #start(): Promise<void> {
    const num = (id: string) => Number($<HTMLInputElement>(id).value);
    const methods = FIT_METHOD_ORDER.filter((m) => $<HTMLInputElement>(`pc-m-${m}`).checked);
    const body: FitCreate = {
      object: $<HTMLSelectElement>('pc-object').value, size: num('pc-size'), iterations: num('pc-iterations'), seed: num('pc-seed'),
      methods: methods.length ? methods : undefined, translation: $<HTMLInputElement>('pc-translation').checked,
    };
    if ($<HTMLSelectElement>('pc-target-kind').value === 'image') {
      const file = $<HTMLInputElement>('pc-file').files?.[0];
      if (!file) { this.showInfo('choose a PNG file first'); return; }
      body.image = await new Promise<string>((resolve, reject) => {
        const r = new FileReader();
        r.onload = () => resolve(String(r.result));
        r.onerror = () => reject(r.error);
        r.readAsDataURL(file);
      });
      body.initialPose = { rotation: [0, 0, 0] };
      delete body.size; // the image's own side (at most the server's limit)
    } else {
      // a random rotation (from the seed), the cube at the chosen height on the rail
      const [rx, ry, rz] = randomRotation(mulberry32(body.seed ?? 1));
      body.targetPose = { rotation: [rx, ry, rz], translation: [0, renderHeightOf(num('pc-height')), 0] };
      body.initErrorDeg = num('pc-error');
    }
    this.handlers.start(body);
  }

  #use(): void {
    const v = this.state.current ? this.state.fits.get(this.state.current) : undefined;
    const best = v ? bestMethod(v) : null;
    if (!v || !best?.pose) return;
    const params = cubeLiftParamsFromPose(best.pose);
    const how = v.state.translation ? 'estimated by the fit' : 'not fitted (the initial translation, here the target\'s)';
    this.handlers.usePose(params, `cube-lift from ${METHOD_TITLES[best.method]}'s estimate (lowest loss): initialHeight ${params.initialHeight} m, the height ${how}; the rotation is not used (the rail holds the cube upright)`);
  }

  showInfo(text: string): void { $('pc-use-info').textContent = text; }

  setRecordings(list: FitRecordingInfo[]): void {
    const root = $('pc-recs');
    root.replaceChildren();
    $('pc-rec-count').textContent = `${list.length} fit recording${list.length === 1 ? '' : 's'}`;
    for (const r of list.slice(0, 50)) {
      const b = h('button', { type: 'button', class: 'link', 'data-id': r.id, title: `open ${r.id}` },
        `${METHOD_TITLES[r.method] ?? r.method} · ${r.imageSize}px · ${r.iterations} it · ${r.errorDeg === null ? 'image' : `${r.errorDeg.toFixed(1)}°`}${r.cancelled ? ' (cancelled)' : ''}`);
      b.addEventListener('click', () => this.handlers.openRecording(r.id));
      const row = h('div', { class: 'pc-rec' });
      const a = h('a', { href: `/api/recordings/${encodeURIComponent(r.id)}/file`, download: `${r.id}.mcap`, title: 'download the MCAP file' }, '⤓');
      row.append(b, a);
      root.append(row);
    }
  }

  /** Brings the panel and the centre up to date with the store. */
  render(): void {
    const s = this.state;
    const v = s.current ? s.fits.get(s.current) : undefined;
    // panel
    const sel = $<HTMLSelectElement>('pc-select');
    const opts = fitsNewestFirst(s).map((f) => `${f.state.id}|${f.state.status}`).join(',');
    if (sel.dataset.opts !== opts) {
      sel.dataset.opts = opts;
      sel.replaceChildren(...fitsNewestFirst(s).map((f) => h('option', { value: f.state.id }, `${f.state.id.startsWith('rec:') ? 'recording ' : ''}${f.state.object} ${f.state.size}px · ${f.state.status} · ${f.state.id}`)));
    }
    if (s.current) sel.value = s.current;
    const live = !!v && !v.state.id.startsWith('rec:');
    $<HTMLButtonElement>('pc-cancel').disabled = !live || !(v!.state.status === 'running' || v!.state.status === 'queued');
    const best = v ? bestMethod(v) : null;
    $<HTMLButtonElement>('pc-use').disabled = !best?.pose;
    $('pc-info').textContent = v
      ? `fit ${v.state.id}: ${v.state.target === 'image' ? 'uploaded image' : 'rendered target'}, ${v.state.size} px, ${v.state.iterations} iterations, ${v.state.status}${best ? ` · best: ${METHOD_TITLES[best.method]}` : ''}`
      : 'no fit yet: choose a target and press Fit';
    $('perception').dataset.status = v?.state.status ?? '';
    $('pc-empty').hidden = !!v;
    // target
    const img = $<HTMLImageElement>('pc-target-img');
    const src = v?.state.targetUrl ?? '';
    if (src !== this.#targetSrc) { this.#targetSrc = src; if (src) img.src = src; else img.removeAttribute('src'); }
    this.scene3d?.update(v);
    // the iteration slider: over the fit's iterations, at its end it follows the latest render
    const slider = $<HTMLInputElement>('pc-iter');
    const maxIt = String(v ? v.state.iterations : 0);
    if (slider.max !== maxIt) { slider.max = maxIt; slider.value = maxIt; }
    const at = this.selectedIteration;
    $('pc-iter-label').textContent = at === null ? 'latest' : `it ${at}`;
    // methods
    for (const m of FIT_METHOD_ORDER) {
      const card = this.cards.get(m)!;
      const mv = v?.methods[m];
      card.fig.hidden = !mv;
      card.fig.dataset.status = mv?.status ?? '';
      card.line.textContent = v ? methodLine(mv, v.state.iterations) : '–';
      card.line.title = card.line.textContent;
      const im = mv ? imageAt(mv, at) : null;
      const key = im ? `${v!.state.id}|${im.iteration}|${im.png.length}|${im.png.slice(-16)}` : '';
      if (key && key !== card.key && src) {
        card.key = key;
        card.fig.dataset.shows = String(im!.iteration);
        void this.#draw(card, m, `data:image/png;base64,${im!.png}`, src, key);
      }
    }
    // plots
    const hist = FIT_METHOD_ORDER.map((m) => v?.methods[m]?.history ?? []);
    const pk = `${v?.state.id}|${hist.map((x) => `${x.length}:${x[x.length - 1]?.iteration}`).join(',')}`;
    if (pk !== this.#plotKey) {
      this.#plotKey = pk;
      this.plots[0].setData(alignFitSeries(hist, (p) => p.loss, true) as uPlot.AlignedData);
      // hard rasterization has no smoothing: no sigma line
      this.plots[1].setData(alignFitSeries(hist.map((x, i) => (FIT_METHOD_ORDER[i] === 'hard' ? [] : x)), (p) => p.sigma, true) as uPlot.AlignedData);
      this.plots[2].setData(alignFitSeries(hist, (p) => p.errorDeg, false) as uPlot.AlignedData);
      $('pc-plots').dataset.points = String(hist.reduce((a, x) => a + x.length, 0));
    }
  }

  /** A frame of the 3D view (when something moved). */
  frame(): void { this.scene3d?.frame(); }

  /** The render on its canvas; over the dimmed target, the render's silhouette tinted and outlined in the method's colour. */
  async #draw(card: Card, m: FitMethod, renderSrc: string, targetSrc: string, key: string): Promise<void> {
    let r: ImageData, t: ImageData;
    try { [r, t] = await Promise.all([pixels(renderSrc), pixels(targetSrc)]); } catch { return; }
    if (card.key !== key) return; // superseded
    card.render.width = r.width; card.render.height = r.height;
    card.render.getContext('2d')!.putImageData(r, 0, 0);
    if (t.width !== r.width || t.height !== r.height) return;
    const w = r.width, hh = r.height;
    const mask = silhouetteMask(r.data, w, hh), edge = maskOutline(mask, w, hh);
    this.iou[m] = maskIoU(mask, silhouetteMask(t.data, w, hh));
    card.fig.dataset.iou = this.iou[m]!.toFixed(3);
    const out = new ImageData(w, hh);
    const [cr, cg, cb] = hexRgb(OUTLINE_COLORS[m]);
    for (let i = 0; i < w * hh; i++) {
      const o = 4 * i;
      let R = 0.55 * t.data[o], G = 0.55 * t.data[o + 1], B = 0.55 * t.data[o + 2];
      if (mask[i]) { R = 0.7 * R + 0.3 * cr; G = 0.7 * G + 0.3 * cg; B = 0.7 * B + 0.3 * cb; }
      if (edge[i]) { R = cr; G = cg; B = cb; }
      out.data[o] = R; out.data[o + 1] = G; out.data[o + 2] = B; out.data[o + 3] = 255;
    }
    card.overlay.width = w; card.overlay.height = hh;
    card.overlay.getContext('2d')!.putImageData(out, 0, 0);
    card.overlay.title = `${METHOD_TITLES[m]}: silhouette over the target (IoU ${this.iou[m]!.toFixed(2)})`;
  }
}
