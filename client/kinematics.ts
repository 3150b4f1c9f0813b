/**
 * Forward kinematics in the browser with urdf-loader: an off-screen copy of the robot (no mesh
 * files) is posed at every knot of a trajectory and the world positions of the frames an
 * overlay needs (feet for trails and the foot-height plot, the target frame) are read back.
 * urdf-loader keeps every URDF link as an object, so frames merged by fixed joints on the
 * server (FL_FOOT, tip) are found by name here. A few milliseconds for 100 knots of Solo-12;
 * results are cached per trajectory object by the caller.
 */
import * as THREE from 'three';
import { RobotView, type RobotSummary } from './robot-view.ts';
import type { FrameTrack, V3 } from './task-view.ts';

export class FrameSampler {
  readonly view: RobotView;
  readonly links: string[];
  #v = new THREE.Vector3();

  constructor(readonly summary: RobotSummary) {
    this.view = new RobotView(summary, undefined, { meshes: false });
    this.links = Object.keys(this.view.robot.links);
  }

  #read(frame: string, out: Float64Array, o: number): boolean {
    const link = this.view.robot.links[frame];
    if (!link) return false;
    link.getWorldPosition(this.#v);
    out[o] = this.#v.x; out[o + 1] = this.#v.y; out[o + 2] = this.#v.z;
    return true;
  }

  /** Positions of `frames` (those the robot has) at every knot of q. */
  track(q: readonly (readonly number[])[], frames: readonly string[]): FrameTrack {
    const known = frames.filter((f) => this.view.robot.links[f]);
    const pos = new Map(known.map((f) => [f, new Float64Array(3 * q.length)]));
    for (let k = 0; k < q.length; k++) {
      this.view.setQ(q[k]);
      this.view.robot.updateMatrixWorld(true);
      for (const f of known) this.#read(f, pos.get(f)!, 3 * k);
    }
    return { knots: q.length, pos };
  }

  /** One frame's position at one configuration. */
  at(q: readonly number[], frame: string): V3 | null {
    const out = new Float64Array(3);
    this.view.setQ(q);
    this.view.robot.updateMatrixWorld(true);
    return this.#read(frame, out, 0) ? [out[0], out[1], out[2]] : null;
  }
}
