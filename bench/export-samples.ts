// Writes a checkpoint's sample noise and the generator's images for it as raw float32 files, so
// bench/check_torch_load.py can rebuild the generator in PyTorch from the same checkpoint and
// compare its images for the same noise.   node export-samples.mjs CHECKPOINT OUT_DIR [N]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquireGpu } from '../src/gpu/device.js';
import { readCheckpointFile } from '../src/gan/checkpointFile.js';
import { GanSampler, loadGenerator } from '../src/gan/sampler.js';

const [checkpointPath, outDir, n = '16'] = process.argv.slice(2);
if (!checkpointPath || !outDir) {
  console.error('usage: export-samples CHECKPOINT OUT_DIR [N]');
  process.exit(2);
}
const checkpoint = readCheckpointFile(checkpointPath);
const ctx = await acquireGpu();
try {
  const generator = loadGenerator(ctx, checkpoint);
  const sampler = await GanSampler.create(ctx, checkpoint.config, generator, { count: Number(n) });
  const images = await sampler.sample();
  const noise = await ctx.readF32(sampler.noise);
  writeFileSync(join(outDir, 'noise.f32'), noise);
  writeFileSync(join(outDir, 'images.f32'), images);
  console.log(
    `exported ${n} samples (noise ${checkpoint.config.noiseDim}, images ${checkpoint.config.dataDim}) from step ` +
      `${checkpoint.step}`,
  );
  sampler.destroy();
  generator.destroy();
} finally {
  ctx.destroy();
}
