/**
 * Runs traced WGSL (server/compute/webgpu/trace.ts) on a WebGPU device, one invocation per
 * sample: each sample's inputs are the f32 names `x[i]` given to `build`, its outputs the
 * traced values `build` returns. The tests of the WGSL step's stages use it to run one stage
 * against its CPU twin.
 */
import { withTimeout } from '../../server/compute/webgpu/device.ts';
import { Tracer, type V } from '../../server/compute/webgpu/trace.ts';

const COMP = ['x', 'y', 'z', 'w'];
// GPUBufferUsage / GPUMapMode values (the globals exist only once Dawn is loaded)
const STORAGE = 0x80, COPY_SRC = 0x04, COPY_DST = 0x08, MAP_READ = 0x01;

/** Runs `build` over `count` samples of `nin` inputs (row-major in `input`); returns count x nout outputs. */
export async function runTraced(
  device: GPUDevice, count: number, nin: number, input: ArrayLike<number>,
  build: (t: Tracer, x: V[]) => V[],
): Promise<{ out: Float64Array; nout: number }> {
  const NI4 = Math.ceil(nin / 4);
  const head: string[] = [];
  for (let c = 0; c < NI4; c++) head.push(`  let iv${c} = inp[g * ${NI4}u + ${c}u];`);
  const x: V[] = Array.from({ length: nin }, (_, i) => `iv${(i / 4) | 0}.${COMP[i % 4]}`);
  const t = new Tracer();
  const outs = build(t, x);
  const nout = outs.length;
  const NO4 = Math.max(1, Math.ceil(nout / 4));
  const tail: string[] = [];
  for (let c = 0; c < NO4; c++) {
    const comps = [0, 1, 2, 3].map((k) => (4 * c + k < nout ? t.s(outs[4 * c + k]) : '0.0'));
    tail.push(`  outp[g * ${NO4}u + ${c}u] = vec4f(${comps.join(', ')});`);
  }
  const code = `
@group(0) @binding(0) var<storage, read> inp: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> outp: array<vec4f>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let g = gid.x;
  if (g >= ${count}u) { return; }
${head.join('\n')}
${t.lines.join('\n')}
${tail.join('\n')}
}
`;
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code, label: 'stage' });
  const pipe = await withTimeout(device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } }), 300_000, 'compiling a stage kernel');
  const err = await device.popErrorScope();
  if (err) throw new Error(`stage kernel: ${err.message}`);
  const inData = new Float32Array(count * NI4 * 4);
  for (let s = 0; s < count; s++) for (let i = 0; i < nin; i++) inData[s * NI4 * 4 + i] = input[s * nin + i];
  const outBytes = count * NO4 * 16;
  const inBuf = device.createBuffer({ size: Math.max(256, inData.byteLength), usage: STORAGE | COPY_DST });
  const outBuf = device.createBuffer({ size: Math.max(256, outBytes), usage: STORAGE | COPY_SRC });
  const read = device.createBuffer({ size: Math.max(256, outBytes), usage: MAP_READ | COPY_DST });
  try {
    device.queue.writeBuffer(inBuf, 0, inData);
    const bind = device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: inBuf } }, { binding: 1, resource: { buffer: outBuf } }] });
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipe);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(Math.ceil(count / 64));
    pass.end();
    enc.copyBufferToBuffer(outBuf, 0, read, 0, outBytes);
    device.queue.submit([enc.finish()]);
    await withTimeout(read.mapAsync(MAP_READ, 0, outBytes), 120_000, 'reading a stage kernel back');
    const f = new Float32Array(read.getMappedRange(0, outBytes).slice(0));
    read.unmap();
    const out = new Float64Array(count * nout);
    for (let s = 0; s < count; s++) for (let k = 0; k < nout; k++) out[s * nout + k] = f[s * NO4 * 4 + k];
    return { out, nout };
  } finally {
    inBuf.destroy(); outBuf.destroy(); read.destroy();
  }
}
