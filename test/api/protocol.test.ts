import { describe, expect, it } from 'vitest';
import { parseClientMessage, PlanCreateSchema, parseWith, PROTOCOL_VERSION, ServerMessageSchema } from '../../shared/protocol.ts';

describe('shared/protocol', () => {
  it('parses valid client messages into typed values', () => {
    const s = parseClientMessage('{"type":"subscribe","plans":"all"}');
    expect(s).toEqual({ ok: true, value: { type: 'subscribe', plans: 'all' } });
    const r = parseClientMessage({ type: 'replan', plan: 'p1', params: { height: 0.4, foot: 'FR' }, v: PROTOCOL_VERSION });
    expect(r.ok && r.value.type === 'replan' && r.value.params.height).toBe(0.4);
    expect(parseClientMessage('{"type":"cancel","plan":"p1"}').ok).toBe(true);
    expect(parseClientMessage('{"type":"unsubscribe","plans":["a","b"]}').ok).toBe(true);
  });

  it('names the field of an invalid message', () => {
    const cases: [unknown, string | undefined][] = [
      ['{', undefined],
      ['"text"', 'type'],
      [{ type: 'nope' }, 'type'],
      [{ type: 'subscribe', plans: 3 }, 'plans'],
      [{ type: 'replan', plan: 'p', params: { h: [1] } }, 'params.h'],
      [{ type: 'cancel', plan: 'p', extra: 1 }, 'extra'],
      [{ type: 'cancel' }, 'plan'],
    ];
    for (const [raw, field] of cases) {
      const p = parseClientMessage(raw);
      expect(p.ok, JSON.stringify(raw)).toBe(false);
      if (!p.ok) {
        expect(p.field, JSON.stringify(raw)).toBe(field);
        if (field) expect(p.message).toContain(field);
      }
    }
  });

  it('validates plan requests and server messages', () => {
    expect(parseWith(PlanCreateSchema, { task: 'cube-lift', solvers: ['ddp', 'ddp'] })).toMatchObject({ ok: false, field: 'solvers' });
    expect(parseWith(PlanCreateSchema, { task: 'cube-lift', solvers: ['rddp'], backend: 'workers' }).ok).toBe(true);
    expect(ServerMessageSchema.safeParse({ type: 'error', message: 'x', field: 'plan' }).success).toBe(true);
    expect(ServerMessageSchema.safeParse({ type: 'hello', version: PROTOCOL_VERSION, server: 's', plans: [] }).success).toBe(true);
  });
});
