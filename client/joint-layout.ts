/**
 * Where each joint's value sits in a configuration q, from the robot summary's joint list (the
 * model's order, GET /api/robots/:id): a free-flyer takes 7 entries ([x y z qx qy qz qw]), every
 * other joint one. Pure, shared by the robot view (setting q) and the task view (plotting q entries).
 */
export interface JointInfo { name: string; type: string }

export interface JointLayout { base: number | null; joints: { name: string; index: number }[] }

export function jointLayout(joints: readonly JointInfo[]): JointLayout {
  let i = 0;
  let base: number | null = null;
  const out: { name: string; index: number }[] = [];
  for (const j of joints) {
    if (j.type === 'free') { base = i; i += 7; } else { out.push({ name: j.name, index: i }); i += 1; }
  }
  return { base, joints: out };
}
