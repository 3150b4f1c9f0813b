/**
 * npm start: the main job. The planning server and web client are not built yet (see the
 * issues); until they are, this says what the project offers today and exits.
 */
import { listRobots } from '../model/robots.ts';

process.stdout.write(`rsddp ${process.env.npm_package_version ?? ''}

The planning server (http://127.0.0.1:8080) is not part of this build yet.
Available now:
  npm run inspect -- <robot|urdf> [--json]     model summary
  npm run dynamics -- <robot|urdf> < in.jsonl  ABA / CRBA / RNEA on JSON lines
  npm run simulate -- --robot solo12            contact simulation (drop test, PD hold) to JSON
  npm run plan -- --task cube-lift --solver rddp   DDP / R-DDP planning, headless
  npm run bench [-- --json]                     algorithm timings with a MuJoCo peer
  npm test                                      all tests

Robots in robots/: ${listRobots().join(', ')}
`);
