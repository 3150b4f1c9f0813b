/** A worker-pool job kind for test/compute/worker-pool.test.ts: echoes, emits, waits for a cancel, fails, exits. */
import { serve } from '../../server/compute/worker-entry.ts';
import { TaskParamError } from '../../server/control/errors.ts';

export type EchoIn =
  | { kind: 'init'; tag: string }
  | { kind: 'tag' }
  | { kind: 'echo'; value: Float64Array }
  | { kind: 'events'; n: number }
  | { kind: 'wait' }
  | { kind: 'fail' }
  | { kind: 'typed' }
  | { kind: 'exit'; code: number };

let tag = '';

serve<EchoIn>((m, call) => {
  switch (m.kind) {
    case 'init': tag = m.tag; return undefined;
    case 'tag': return tag;
    case 'echo': return Array.from(m.value, (x) => 2 * x);
    case 'events': for (let i = 0; i < m.n; i++) call.emit(i); return m.n;
    case 'wait': return new Promise((resolve) => call.signal.addEventListener('abort', () => resolve('cancelled'), { once: true }));
    case 'fail': throw new Error('it failed here');
    case 'typed': throw new TaskParamError('cube-lift', 'height', "'height' must be <= 1");
    case 'exit': process.exit(m.code);
  }
});
