/**
 * A robot's torque bound from its URDF's effort limits unless they are placeholders
 * (server/model/torque-bound.ts), and lift-leg's bounds (parameter > 0, else the robot's, else
 * Solo's 2.7 N m). The reference is the URDF text itself: each actuated joint's `effort`
 * attribute, read here with a regular expression, independently of the URDF reader.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseUrdf } from '../../server/model/urdf.ts';
import { loadRobot } from '../../server/model/robots.ts';
import { actuatedDofs } from '../../server/model/model.ts';
import { PLACEHOLDER_EFFORT_NM, isPlaceholderEffort, robotTorqueBound } from '../../server/model/torque-bound.ts';
import { FALLBACK_TORQUE_LIMIT, liftLegTorqueBound } from '../../server/control/tasks/lift-leg.ts';

const DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../data/robots');
const GO1 = path.join(DATA, 'go1_description/urdf/go1.urdf');

/** name -> effort of every revolute/prismatic/continuous joint, from the text. */
function effortsFromText(xml: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of xml.matchAll(/<joint\s+name="([^"]+)"\s+type="(revolute|continuous|prismatic)"[\s\S]*?<\/joint>/g)) {
    const e = /effort="([^"]+)"/.exec(m[0]);
    if (e) out.set(m[1], Number(e[1]));
  }
  return out;
}

/** A two-link chain on a floating base with the given effort attribute ('' for none). */
function chain(effort: string): string {
  const link = (n: string) => `<link name="${n}"><inertial><mass value="1"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial></link>`;
  const lim = (e: string) => `<limit lower="-1" upper="1" velocity="10"${e ? ` effort="${e}"` : ''}/>`;
  return `<robot name="c">${link('base')}${link('a')}${link('b')}
    <joint name="j1" type="revolute"><parent link="base"/><child link="a"/><axis xyz="0 1 0"/>${lim('5')}</joint>
    <joint name="j2" type="revolute"><parent link="a"/><child link="b"/><origin xyz="0 0 -0.2"/><axis xyz="0 1 0"/>${lim(effort)}</joint></robot>`;
}

describe('robot torque bound (URDF effort limits unless placeholders)', () => {
  it('Go1: per joint, the effort of each actuated joint in its URDF text (hip/thigh 23.7, calf 35.55 N m)', () => {
    const robot = loadRobot(GO1);
    const text = effortsFromText(readFileSync(GO1, 'utf8'));
    const tb = robotTorqueBound(robot.model, robot.meta.torqueLimit);
    expect(tb.bound).not.toBeNull();
    const act = actuatedDofs(robot.model);
    expect(act.length).toBe(12);
    // the joint of each actuated dof, by name (one dof per joint here)
    const names = Array.from(act, (i) => robot.model.jointNames[robot.model.idxV.indexOf(i)]);
    names.forEach((n, k) => expect(tb.bound![k]).toBe(text.get(n)));
    expect(new Set(tb.bound)).toEqual(new Set([23.7, 35.55]));
    // lift-leg with torqueLimit 0 (its default) takes them; a positive parameter overrides
    expect(Array.from(liftLegTorqueBound(robot, 0).bound)).toEqual(Array.from(tb.bound!));
    expect(Array.from(liftLegTorqueBound(robot, 10).bound)).toEqual(new Array(12).fill(10));
  });

  it('placeholders: missing, 0, >= 1000 N m discard the URDF bounds (one is enough); real values are kept', () => {
    expect(isPlaceholderEffort(Infinity)).toBe(true);
    expect(isPlaceholderEffort(0)).toBe(true);
    expect(isPlaceholderEffort(PLACEHOLDER_EFFORT_NM)).toBe(true);
    expect(isPlaceholderEffort(999)).toBe(false);
    for (const e of ['', '0', '1000', '1e9']) {
      const { model } = parseUrdf(chain(e), { floating: true });
      expect(robotTorqueBound(model, null).bound, `effort '${e}'`).toBeNull();
    }
    const { model } = parseUrdf(chain('7.5'), { floating: true });
    expect(Array.from(robotTorqueBound(model, null).bound!)).toEqual([5, 7.5]);
    // metadata's torqueLimit wins over the URDF
    expect(Array.from(robotTorqueBound(model, 3).bound!)).toEqual([3, 3]);
  });

  it("upstream-style placeholder (1000 N m) and the project's Solo-12: lift-leg keeps 2.7 N m", () => {
    const { model } = parseUrdf(chain('1000'), { floating: true });
    const fake = { model, meta: { torqueLimit: null } } as unknown as Parameters<typeof liftLegTorqueBound>[0];
    expect(Array.from(liftLegTorqueBound(fake, 0).bound)).toEqual([FALLBACK_TORQUE_LIMIT, FALLBACK_TORQUE_LIMIT]);
    const solo = loadRobot('solo12');
    expect(new Set(liftLegTorqueBound(solo, 0).bound)).toEqual(new Set([2.7]));
  });
});
