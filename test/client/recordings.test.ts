import { describe, expect, it } from 'vitest';
import { filterGroups, formatBytes, formatParams, formatTime, groupRecordings, RecordingsModel } from '../../client/recordings.ts';
import type { RecordingInfo } from '../../client/view-model.ts';

const rec = (plan: string, solver: 'ddp' | 'rddp', run = 0, finishedAt = '2026-01-01T10:00:00.000Z', over: Partial<RecordingInfo> = {}): RecordingInfo => ({
  id: `${plan}-${solver}-r${run}`, plan, run, robot: 'solo12', task: 'lift-leg', params: { foot: 'FL', height: 0.05 }, solver, seed: 1,
  solverParams: { iterations: 40 }, status: 'done', cancelled: false, success: solver === 'rddp', iterations: 10, cost: 1,
  warmStart: run > 0, startedAt: finishedAt, finishedAt, projectVersion: '0.1.0', timings: { total_s: 1, perIteration_ms: { linearize: 1, backward: 1, forward: 1 } }, metrics: {}, file: `${plan}-${solver}-r${run}.mcap`, size: 2048, ...over,
});

const list = [
  rec('pa', 'rddp', 0, '2026-01-01T10:00:02.000Z'), rec('pa', 'ddp', 0, '2026-01-01T10:00:01.000Z'),
  rec('pb', 'ddp', 0, '2026-01-01T11:00:00.000Z', { task: 'cube-lift', robot: 'cube_rail', params: { height: 0.3 } }),
  rec('pa', 'rddp', 1, '2026-01-01T10:30:00.000Z', { status: 'cancelled', cancelled: true }),
];

describe('recordings list model', () => {
  it('groups by plan run, newest group first, DDP before R-DDP', () => {
    const g = groupRecordings(list);
    expect(g.map((x) => x.key)).toEqual(['pb/r0', 'pa/r1', 'pa/r0']);
    expect(g[2].members.map((r) => r.solver)).toEqual(['ddp', 'rddp']);
    expect(g[2].finishedAt).toBe('2026-01-01T10:00:02.000Z');
    expect(g[1].warmStart).toBe(true);
    expect(groupRecordings([])).toEqual([]);
  });

  it('filters on every term (task, solver, status, params), keeping whole groups', () => {
    const g = groupRecordings(list);
    expect(filterGroups(g, '').length).toBe(3);
    expect(filterGroups(g, 'cube').map((x) => x.plan)).toEqual(['pb']);
    expect(filterGroups(g, 'lift-leg cancelled').map((x) => x.key)).toEqual(['pa/r1']);
    expect(filterGroups(g, 'FOOT=fl r-ddp').map((x) => x.key)).toEqual(['pa/r1', 'pa/r0']);
    expect(filterGroups(g, 'pa/r0 nothing-like-this')).toEqual([]);
    expect(filterGroups(g, 'height=0.3').map((x) => x.plan)).toEqual(['pb']);
    // a matching group keeps its non-matching member too: the pair stays a pair
    expect(filterGroups(g, 'r-ddp').find((x) => x.key === 'pa/r0')!.members).toHaveLength(2);
  });

  it('formats sizes, parameters and times', () => {
    expect([0, 1023, 2048, 20_000, 5 * 1024 * 1024].map(formatBytes)).toEqual(['0 B', '1023 B', '2.0 kB', '20 kB', '5.0 MB']);
    expect(formatBytes(NaN)).toBe('–');
    expect(formatParams({ foot: 'FL', height: 0.05 })).toBe('foot=FL height=0.05');
    const now = new Date(2026, 0, 1, 12, 0, 0);
    expect(formatTime(new Date(2026, 0, 1, 9, 5, 7).toISOString(), now)).toBe('09:05:07');
    expect(formatTime(new Date(2025, 11, 31, 9, 5, 7).toISOString(), now)).toBe('2025-12-31 09:05:07');
    expect(formatTime('garbage')).toBe('garbage');
  });

  it('opens a recording with its partner side by side (DDP left, R-DDP right); place puts any recording on either side', () => {
    const m = new RecordingsModel();
    expect(m.loaded).toBe(false);
    m.setList({ recordings: list, fits: [], errors: [{ file: 'x.mcap', message: 'bad' }] });
    expect(m.loaded).toBe(true);
    expect(m.errors).toHaveLength(1);
    expect(m.partner('pa-rddp-r0')?.id).toBe('pa-ddp-r0');
    expect(m.partner('pa-rddp-r1')).toBeUndefined();
    expect(m.open('pa-rddp-r0')).toEqual(['pa-ddp-r0', 'pa-rddp-r0']);
    expect(m.open('pa-ddp-r0')).toEqual(['pa-ddp-r0', 'pa-rddp-r0']);
    expect(m.showing).toBe(true);
    // a lone recording goes to its solver's side, the other side is emptied
    expect(m.open('pa-rddp-r1')).toEqual([null, 'pa-rddp-r1']);
    expect(m.open('pb-ddp-r0')).toEqual(['pb-ddp-r0', null]);
    // unknown id: no change
    expect(m.open('nope')).toEqual(['pb-ddp-r0', null]);
    // compare two R-DDP runs
    m.place(0, 'pa-rddp-r0');
    expect(m.place(1, 'pa-rddp-r1')).toEqual(['pa-rddp-r0', 'pa-rddp-r1']);
    // deleting one empties its viewport and drops it from the list
    m.remove('pa-rddp-r1');
    expect(m.slots).toEqual(['pa-rddp-r0', null]);
    expect(m.find('pa-rddp-r1')).toBeUndefined();
    expect(m.groups.map((g) => g.key)).toEqual(['pb/r0', 'pa/r0']);
    m.remove('pa-rddp-r0');
    expect(m.showing).toBe(false);
  });
});
