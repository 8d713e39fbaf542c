// Train a small GAN in a page on pictures the page draws itself (rings of random place and size),
// then draw 16 samples on a canvas. Serve this folder with a bundler's dev server (Vite: `npx vite`)
// so that the bare 'webgpu-gan' import resolves. tests/package-examples.test.ts runs it in Chromium.
import { acquireGpu, GanSampler, GanTrainer, GpuDataset, sampleGrid } from 'webgpu-gan';

const SIDE = 28;
const status = document.getElementById('status');
const canvas = document.getElementById('samples');
const steps = Number(new URLSearchParams(location.search).get('steps') ?? 300);

/** `count` white rings on black, SIDE×SIDE grey bytes each, drawn with a 2D canvas. */
function drawRings(count) {
  const sketch = new OffscreenCanvas(SIDE, SIDE).getContext('2d', { willReadFrequently: true });
  const pixels = new Uint8Array(count * SIDE * SIDE);
  for (let i = 0; i < count; i++) {
    sketch.fillStyle = 'black';
    sketch.fillRect(0, 0, SIDE, SIDE);
    sketch.strokeStyle = 'white';
    sketch.lineWidth = 2 + Math.random() * 2;
    sketch.beginPath();
    sketch.arc(8 + Math.random() * 12, 8 + Math.random() * 12, 4 + Math.random() * 4, 0, 2 * Math.PI);
    sketch.stroke();
    const rgba = sketch.getImageData(0, 0, SIDE, SIDE).data;
    for (let p = 0; p < SIDE * SIDE; p++) pixels[i * SIDE * SIDE + p] = rgba[4 * p]; // red = grey
  }
  return pixels;
}

/** Grey bytes onto the canvas, as opaque RGBA. */
function show(grid) {
  const image = new ImageData(grid.width, grid.height);
  for (const [p, v] of grid.pixels.entries()) image.data.set([v, v, v, 255], 4 * p);
  canvas.width = grid.width;
  canvas.height = grid.height;
  canvas.getContext('2d').putImageData(image, 0, 0);
}

let gpu;
try {
  gpu = await acquireGpu(); // navigator.gpu
  const count = 2000;
  const dataset = GpuDataset.fromBytes(gpu, drawRings(count), count, SIDE * SIDE, 'rings');
  const settings = { generatorHidden: [64], discriminatorHidden: [64], noiseDim: 32, batch: 32, lr: 2e-3 };
  const trainer = await GanTrainer.create(gpu, settings, dataset);
  status.textContent = `training ${steps} steps`;
  await trainer.train(steps);
  const sampler = await GanSampler.create(gpu, trainer.config, trainer.generator, { count: 16, useEma: false });
  show(sampleGrid(await sampler.sample(), 16, SIDE * SIDE));
  status.textContent = `${trainer.step} steps trained; 16 samples drawn`;
} catch (error) {
  status.textContent = `error: ${error.message}`;
} finally {
  gpu?.destroy(); // frees every buffer made through gpu, then the device
}
