/**
 * The WebSocket's wiring: the link status line, and each server message to its store (the Live
 * tab's session, the pose fits, the plans), with what it triggers (a panel redraw, a reload of
 * the recordings lists, the error line); the time spent goes to AppState.perf.
 */
import type { AppState } from './app-state.ts';
import { applyMessage, Connection, type LinkStatus } from './connection.ts';
import { $ } from './dom.ts';
import { applyFitMessage } from './perception-model.ts';

export interface LinkDeps {
  showError(message: string | null): void;
  /** The Live tab's panel (a message about its session arrived). */
  renderLive(): void;
  /** A solve or a fit was recorded: reload the lists soon. */
  recordingsChanged(): void;
  fitRecordingsChanged(): void;
}

function showLink(app: AppState, s: LinkStatus): void {
  const el = $('conn');
  el.className = `conn ${s.state}`;
  el.textContent = s.state === 'open' ? 'connected' : s.state === 'connecting' ? 'connecting…'
    : `disconnected: retrying in ${(s.retryInMs / 1000).toFixed(1)} s${s.attempt > 0 ? ` (attempt ${s.attempt + 1})` : ''}`;
  el.title = s.state === 'open' ? `server ${app.plans.server ?? ''}` : 'the view keeps the last state; it catches up on reconnection';
}

/** The connection to the page's server (/ws), not started yet. */
export function connect(app: AppState, deps: LinkDeps): Connection {
  const { perf, liveModel } = app;
  const conn: Connection = new Connection(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`, {
    onStatus(s) {
      showLink(app, s);
      // (re)subscribe to the live session followed
      if (s.state === 'open' && liveModel.id) conn.send({ type: 'subscribe', live: [liveModel.id], v: 1 });
    },
    onMessage(msg) {
      perf.messages++;
      const t0 = performance.now();
      if (msg.type.startsWith('live.')) {
        // a live world's state only moves its robot (drawn in animate); plans and statuses refresh
        if (liveModel.apply(msg)) { app.dirty = true; deps.renderLive(); }
        perf.messageMs += performance.now() - t0;
        return;
      }
      if (applyFitMessage(app.fits, msg)) {
        app.perceptionDirty = true;
        if (msg.type === 'fit-status' && msg.fit.methods.some((m) => m.recording) && app.tab === 'perception') deps.fitRecordingsChanged();
        perf.messageMs += performance.now() - t0;
        return;
      }
      applyMessage(app.plans, msg);
      perf.messageMs += performance.now() - t0;
      if (msg.type === 'error') deps.showError(`server: ${msg.message}`);
      if (msg.type === 'hello') { showLink(app, { state: 'open' }); conn.send({ type: 'subscribe-fits', fits: 'all', v: 1 }); }
      if (msg.type === 'status' && msg.plan.solves.some((s) => s.recording && !app.recModel.find(s.recording))) deps.recordingsChanged();
      app.dirty = true;
    },
    onInvalid(reason) { console.warn(`rsddp: ignored a server message that does not fit the protocol: ${reason}`); },
  });
  return conn;
}
