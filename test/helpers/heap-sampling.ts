/**
 * Bytes allocated by code under a folder while `run` runs, measured by V8's sampling heap
 * profiler (objects collected by minor and major GCs included), with where they were
 * allocated: the allocation tests of the hot loops (a per-pixel or per-knot allocation shows
 * as kilobytes per call; a few boxed numbers per call do not).
 */
import { Session } from 'node:inspector/promises';

type Node = { callFrame: { url: string; functionName: string }; selfSize: number; children: Node[] };

export async function sampledAllocations(run: () => void, folder: string): Promise<{ bytes: number; where: string[] }> {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', { samplingInterval: 128, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true });
  run();
  const { profile } = await session.post('HeapProfiler.stopSampling');
  session.disconnect();
  let bytes = 0;
  const where: string[] = [];
  // counted from the first frame in `folder` down (what it calls allocates on its behalf)
  const walk = (n: Node, inside: boolean) => {
    const here = inside || n.callFrame.url.includes(folder);
    if (here && n.selfSize > 0) { bytes += n.selfSize; where.push(`${n.callFrame.functionName} ${n.selfSize}`); }
    for (const c of n.children) walk(c, here);
  };
  walk(profile.head as unknown as Node, false);
  return { bytes, where };
}
