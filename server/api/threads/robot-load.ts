/**
 * Thread side of RobotLoader (robot-loader.ts): a call is one load (loadForServing), answered
 * with the served robot; loads run one at a time.
 */
import { loadForServing, type LoadJob } from '../robot-loader.ts';
import { serve } from '../../compute/worker-entry.ts';

serve<LoadJob>((job) => loadForServing(job));
