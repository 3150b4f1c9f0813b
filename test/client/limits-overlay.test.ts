/**
 * Joint stops in the viewport (issue: limits shown in the client): the trajectory's per-knot
 * `limits` trace becomes one ring per pushing stop at the joint, coloured by side, hidden with
 * the contacts' toggle; joints the view does not have are skipped.
 */
import * as THREE from 'three';
import { describe, expect, it } from 'vitest';
import { Overlays } from '../../client/overlays.ts';

const positions: Record<string, [number, number, number]> = { FL_KFE: [0.2, 0.15, 0.1], HR_HFE: [-0.2, -0.1, 0.2] };
const place = (joint: string, out: THREE.Vector3) => {
  const p = positions[joint];
  if (!p) return false;
  out.set(...p);
  return true;
};

describe('joint-stop overlay', () => {
  it('one ring per pushing stop, at the joint, magenta at the lower stop and yellow at the upper', () => {
    const o = new Overlays(new THREE.Scene());
    o.setLimits([{ joint: 'FL_KFE', side: 'lower', torque: 1.2 }, { joint: 'HR_HFE', side: 'upper', torque: -0.4 }, { joint: 'NO_SUCH', side: 'lower', torque: 1 }], place);
    expect(o.stats().limits).toEqual(['FL_KFE lower', 'HR_HFE upper']);
    const rings = o.limitGroup.children.filter((c) => c.visible) as THREE.Mesh[];
    expect(rings).toHaveLength(2);
    expect(rings[0].position.toArray()).toEqual(positions.FL_KFE);
    expect(rings[1].position.toArray()).toEqual(positions.HR_HFE);
    const color = (m: THREE.Mesh) => (m.material as THREE.MeshBasicMaterial).color.getHex();
    expect(color(rings[0])).not.toBe(color(rings[1]));
    // the next knot has one stop: the pool is reused, the others hidden
    o.setLimits([{ joint: 'HR_HFE', side: 'lower', torque: 0.3 }], place);
    expect(o.stats().limits).toEqual(['HR_HFE lower']);
    expect(o.limitGroup.children.filter((c) => c.visible)).toHaveLength(1);
    expect(color(o.limitGroup.children[0] as THREE.Mesh)).toBe(color(rings[0]));
    o.setLimits(null, place);
    expect(o.stats().limits).toEqual([]);
  });

  it('the contacts toggle hides them', () => {
    const o = new Overlays(new THREE.Scene());
    o.setLimits([{ joint: 'FL_KFE', side: 'upper', torque: -1 }], place);
    o.setVisible({ contacts: false, forces: true, target: true, trails: true });
    expect(o.stats().limits).toEqual([]);
    expect(o.limitGroup.visible).toBe(false);
    o.setVisible({ contacts: true, forces: true, target: true, trails: true });
    expect(o.stats().limits).toEqual(['FL_KFE upper']);
  });
});
