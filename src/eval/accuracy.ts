// A classifier's accuracy on a labelled image set, measured on the GPU: the forward pass and the
// softmax cross-entropy kernel's accuracy statistic (the share of rows whose most likely class is
// their label). Built once, measured as often as wanted (the classifier's training script does so
// after each epoch; the scorer's test checks the committed weights against their stated accuracy).
import { ArgumentError } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { Workspace } from '../gpu/workspace.js';
import type { Kernel } from '../kernels/kernel.js';
import { createSoftmaxCrossEntropy } from '../kernels/softmaxCrossEntropy.js';
import type { MlpWeights } from '../nn/mlp.js';
import { forwardKernels } from '../nn/passes.js';
import { pixelsFromBytes } from './classifier.js';

export interface AccuracyMeter {
  /** The share of images whose most likely class is their label, with the network's weights as they are now. */
  measure(): Promise<number>;
  /**
   * Each image's most likely class (the first of equal logits), with the weights as they are now:
   * what a paired comparison of two sets of pictures needs, picture by picture.
   */
  predictions(): Promise<Uint16Array>;
  destroy(): void;
}

/** `images`: 784 bytes per image; `labels`: one class index per image. */
export async function createAccuracyMeter(
  ctx: GpuContext,
  network: MlpWeights,
  images: Uint8Array,
  labels: Uint8Array,
): Promise<AccuracyMeter> {
  const rows = labels.length;
  const pixels = network.spec.widths[0]!;
  if (rows === 0 || images.length !== rows * pixels)
    throw new ArgumentError('images', `must hold ${pixels} bytes for each of the ${rows} labels, got ${images.length}`);
  return Workspace.build(ctx, 'accuracy', async (ws) => {
    const input = ws.storage('images', pixelsFromBytes(images));
    const stats = ws.storage('stats', 3);
    const outputs = network.spec.widths.slice(1).map((w, l) => ws.rows(`layer ${l + 1}`, rows, w));
    const kernels = (await forwardKernels(ctx, network, { rows, input, outputs })).map((k) => ws.own(k));
    kernels.push(
      ws.own(
        await createSoftmaxCrossEntropy(ctx, {
          rows,
          classes: network.spec.widths.at(-1)!,
          logits: outputs.at(-1)!,
          labels: ws.storage('labels', Float32Array.from(labels)),
          stats,
        }),
      ),
    );
    const logits = { buffer: outputs.at(-1)!, classes: network.spec.widths.at(-1)! };
    return meter(ctx, kernels, stats, logits, ws);
  });
}

/** Measures by recording `kernels` and reading the accuracy statistic from `stats` (or the logits). */
function meter(
  ctx: GpuContext,
  kernels: Kernel[],
  stats: GPUBuffer,
  logits: { buffer: GPUBuffer; classes: number },
  ws: Workspace,
): AccuracyMeter {
  const run = () => {
    const encoder = ctx.device.createCommandEncoder({ label: 'accuracy' });
    const pass = encoder.beginComputePass();
    for (const k of kernels) k.record(pass);
    pass.end();
    ctx.submit([encoder.finish()]);
  };
  return {
    async measure() {
      run();
      return (await ctx.readF32(stats))[1]!;
    },
    async predictions() {
      run();
      const values = await ctx.readF32(logits.buffer);
      const { classes } = logits;
      return Uint16Array.from({ length: values.length / classes }, (_, row) => {
        let best = 0;
        for (let c = 1; c < classes; c++) if (values[row * classes + c]! > values[row * classes + best]!) best = c;
        return best;
      });
    },
    destroy: () => ws.destroy(),
  };
}
