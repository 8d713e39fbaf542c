// GPU time per kernel of a training step, from timestamp queries: each kernel is recorded in its
// own compute pass with timestampWrites, averaged over several steps. Separate passes cost a
// little extra, so the sum is an upper bound on the GPU time of the fused step.
import type { GpuContext } from '../src/gpu/context.js';
import type { GanTrainer, StepKernel } from '../src/gan/trainer.js';
import { MatmulKernel } from '../src/kernels/matmul.js';
import { choiceName } from './tune.js';

export interface KernelTime {
  label: string;
  microseconds: number;
}

/** The kernel's label, with the variant, split and specialisation of a matmul. */
function describe(kernel: StepKernel): string {
  return kernel instanceof MatmulKernel ? `${kernel.label} [${choiceName(kernel.choice)}]` : kernel.label;
}

export async function profileStep(ctx: GpuContext, trainer: GanTrainer, steps: number): Promise<KernelTime[] | null> {
  if (!ctx.device.features.has('timestamp-query')) return null;
  const kernels = trainer.stepKernelList;
  const count = kernels.length * 2;
  const querySet = ctx.device.createQuerySet({ type: 'timestamp', count });
  const resolve = ctx.memory.createBuffer({
    label: 'timestamps',
    size: count * 8,
    usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
  });
  const totals = new Float64Array(kernels.length);
  try {
    for (let s = 0; s < steps; s++) {
      const encoder = ctx.device.createCommandEncoder({ label: 'profile' });
      kernels.forEach((kernel, i) => {
        const pass = encoder.beginComputePass({
          timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
        });
        kernel.record(pass);
        pass.end();
      });
      encoder.resolveQuerySet(querySet, 0, count, resolve, 0);
      ctx.submit([encoder.finish()]);
      const stamps = new BigUint64Array(await ctx.readBytes(resolve));
      kernels.forEach((_, i) => {
        totals[i]! += Number(stamps[2 * i + 1]! - stamps[2 * i]!) / 1000;
      });
    }
    return kernels.map((k, i) => ({ label: describe(k), microseconds: totals[i]! / steps }));
  } finally {
    ctx.memory.release(resolve);
    querySet.destroy();
  }
}
