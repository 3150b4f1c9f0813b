// Entry of the project's worker threads: registers tsx's TypeScript loader in this thread
// (Node 20 does not pass the parent's --import hooks to workers), then loads the TS module
// named in workerData.entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
