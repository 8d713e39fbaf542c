// Trains the MNIST classifier that scores generated digits (src/eval/classifier.ts) with this
// project's own kernels, and writes its weights (models/mnist-classifier.safetensors, committed so
// every machine scores with the same network); with --data fashion-mnist, the same network on
// Fashion-MNIST's training split, tested on its held-out split
// (models/fashion-mnist-classifier.safetensors). Each step runs entirely on the GPU: the images
// and their labels are gathered by the same shuffle, the forward pass, the fused softmax
// cross-entropy, the backward pass and Adam; the test set's accuracy is measured after each epoch.
//   npm run train:classifier [-- --data mnist|fashion-mnist --epochs 10 --batch 128 --lr 1e-3 --seed 7 --out FILE]
//     [--float16] [--from FILE]
// --float16 stores the weights in F16 (half the file; the shipped classifiers are so stored), with
// the accuracy and the reference statistics measured on the rounded weights. --from FILE takes an
// earlier file's weights instead of training (to store a trained classifier in F16).
// The learning rate steps down twice (learningRate), which settles the test accuracy.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { acquireGpu } from '../src/gpu/device.js';
import { formatAdapter } from '../src/gpu/adapter.js';
import type { GpuContext } from '../src/gpu/context.js';
import { GpuDataset } from '../src/data/dataset.js';
import { createBatchGather } from '../src/kernels/gather.js';
import { loadMnistImages, loadMnistLabels, mnistFilePath } from '../src/data/mnistNode.js';
import { loadFashionMnist } from '../src/data/fashionMnistNode.js';
import type { ImageSet } from '../src/io/idx.js';
import { createAdam, type AdamKernel } from '../src/kernels/adam.js';
import { createStepCounter } from '../src/kernels/counter.js';
import type { Kernel } from '../src/kernels/kernel.js';
import { createSoftmaxCrossEntropy } from '../src/kernels/softmaxCrossEntropy.js';
import { MlpParameters } from '../src/nn/mlp.js';
import { backwardKernels, forwardKernels } from '../src/nn/passes.js';
import { addMlpTensors, flattenMlpTensors } from '../src/nn/tensors.js';
import { CLASS_COUNT, CLASSIFIER_PREFIX, CLASSIFIER_SPEC, referenceToTensors } from '../src/eval/classifier.js';
import { CLASSIFIER_FILES, type ClassifiedDataset, readClassifierFile } from '../src/eval/classifierFile.js';
import { float16Bytes, floatsFromFloat16Bytes } from '../src/io/float16.js';
import { referenceStatistics } from '../src/eval/scorer.js';
import { createAccuracyMeter } from '../src/eval/accuracy.js';
import { encodeSafetensors, type TensorMap } from '../src/io/safetensors.js';
import { writeFileAtomic } from '../src/gan/checkpointFile.js';
import { seededRandom } from '../src/gan/interpolate.js';

const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '10' },
    batch: { type: 'string', default: '128' },
    lr: { type: 'string', default: '1e-3' },
    seed: { type: 'string', default: '7' },
    data: { type: 'string', default: 'mnist' },
    out: { type: 'string' },
    float16: { type: 'boolean', default: false },
    from: { type: 'string' },
  },
});
if (!Object.hasOwn(CLASSIFIER_FILES, args.data))
  throw new Error(`--data ${args.data}: give one of ${Object.keys(CLASSIFIER_FILES).join(', ')}`);
const DATA = args.data as ClassifiedDataset;
const OUT = args.out ?? `models/${CLASSIFIER_FILES[DATA]}`;
const EPOCHS = Number(args.epochs);
const BATCH = Number(args.batch);
const LR = Number(args.lr);
const SEED = Number(args.seed);
const STEPS_PER_SUBMIT = 10;
const FLOAT16 = args.float16 === true;

/** torch.nn.Linear's default: weights and biases uniform in ±1/√fan_in. */
function initialWeights(mlp: MlpParameters, seed: number): Float32Array {
  const next = seededRandom(seed);
  const flat = new Float32Array(mlp.layout.totalFloats);
  for (const layer of mlp.layout.layers) {
    const bound = 1 / Math.sqrt(layer.inFeatures);
    for (const view of [layer.weight, layer.bias]) {
      for (let i = 0; i < view.count; i++) flat[view.offset + i] = (2 * next() - 1) * bound;
    }
  }
  return flat;
}

/** Layer outputs (activations, and the last one's logits) for `rows` rows. */
function layerBuffers(ctx: GpuContext, rows: number, label: string): GPUBuffer[] {
  return CLASSIFIER_SPEC.widths.slice(1).map((w, l) => ctx.memory.createStorage(`${label} layer ${l + 1}`, rows * w));
}

async function trainingStep(ctx: GpuContext, mlp: MlpParameters, images: GpuDataset, labels: GpuDataset) {
  const counter = await createStepCounter(ctx);
  const x = ctx.memory.createStorage('batch images', BATCH * 784);
  const y = ctx.memory.createStorage('batch labels', BATCH);
  const outputs = layerBuffers(ctx, BATCH, 'train');
  const grads = layerBuffers(ctx, BATCH, 'train grad');
  const stats = ctx.memory.createStorage('train stats', 3);
  const gather = (dataset: GpuDataset, output: GPUBuffer, label: string) =>
    createBatchGather(ctx, {
      dataset: dataset.buffer,
      packedU8: dataset.packedU8,
      count: dataset.count,
      dim: dataset.dim,
      rows: BATCH,
      output,
      seed: SEED,
      stepCount: counter.buffer,
      label,
    });
  const kernels: Kernel[] = [
    counter,
    await gather(images, x, 'gather images'),
    await gather(labels, y, 'gather labels'),
    ...(await forwardKernels(ctx, mlp, { rows: BATCH, input: x, outputs })),
    await createSoftmaxCrossEntropy(ctx, {
      rows: BATCH,
      classes: CLASS_COUNT,
      logits: outputs.at(-1)!,
      labels: y,
      gradLogits: grads.at(-1)!,
      stats,
    }),
    ...(await backwardKernels(ctx, mlp, { rows: BATCH, input: x, outputs, preActivationGrads: grads })),
    await createAdam(ctx, {
      n: mlp.layout.totalFloats,
      weights: mlp.weights,
      grads: mlp.grads,
      moment1: mlp.moment1,
      moment2: mlp.moment2,
      stepCount: counter.buffer,
      lr: LR,
      beta1: 0.9,
      beta2: 0.999,
    }),
  ];
  return { kernels, stats, adam: kernels.at(-1) as AdamKernel };
}

/** The learning rate of `epoch` (1-based): full for the first 60% of epochs, then 0.3×, then 0.1× past 80%. */
function learningRate(epoch: number): number {
  if (epoch > 0.8 * EPOCHS) return LR * 0.1;
  if (epoch > 0.6 * EPOCHS) return LR * 0.3;
  return LR;
}

function run(ctx: GpuContext, kernels: Kernel[], times: number): void {
  const encoder = ctx.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  for (let t = 0; t < times; t++) for (const k of kernels) k.record(pass);
  pass.end();
  ctx.submit([encoder.finish()]);
}

/** The training and test images with their labels: MNIST's own split, or Fashion-MNIST's held-out one. */
function loadData(): { train: ImageSet; trainLabels: Uint8Array; test: ImageSet; testLabels: Uint8Array } {
  if (DATA === 'fashion-mnist') {
    const train = loadFashionMnist('train');
    const test = loadFashionMnist('test');
    return { train, trainLabels: train.labels, test, testLabels: test.labels };
  }
  return {
    train: loadMnistImages(mnistFilePath('train-images')),
    trainLabels: loadMnistLabels(mnistFilePath('train-labels')),
    test: loadMnistImages(mnistFilePath('t10k-images')),
    testLabels: loadMnistLabels(mnistFilePath('t10k-labels')),
  };
}

/** Trains the classifier on the GPU from its seeded start; its weights, flat, as the layout lays them out. */
async function trainWeights(ctx: GpuContext, mlp: MlpParameters, data: ReturnType<typeof loadData>) {
  const { train, trainLabels, test, testLabels } = data;
  const images = GpuDataset.fromBytes(ctx, train.pixels, train.count, 784, `${DATA} train images`);
  const labels = GpuDataset.fromFloats(ctx, Float32Array.from(trainLabels), trainLabels.length, 1, `${DATA} labels`);
  ctx.write(mlp.weights, initialWeights(mlp, SEED));
  const step = await trainingStep(ctx, mlp, images, labels);
  const testAccuracy = await createAccuracyMeter(ctx, mlp, test.pixels, testLabels);
  const stepsPerEpoch = Math.floor(train.count / BATCH);
  const started = performance.now();
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    step.adam.setHyperparameters({ lr: learningRate(epoch) });
    for (let s = 0; s < stepsPerEpoch; s += STEPS_PER_SUBMIT)
      run(ctx, step.kernels, Math.min(STEPS_PER_SUBMIT, stepsPerEpoch - s));
    const [loss] = await ctx.readF32(step.stats);
    const accuracy = await testAccuracy.measure();
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    const percent = (100 * accuracy).toFixed(2);
    console.log(`epoch ${epoch}: last batch loss ${loss!.toFixed(4)}, test accuracy ${percent}% (${seconds} s)`);
  }
  return ctx.readF32(mlp.weights);
}

const RECIPE =
  `${EPOCHS} epochs, batch ${BATCH}, Adam lr ${LR} (0.3× after 60% of the epochs, 0.1× after 80%), ` +
  `seed ${SEED}, scripts/train-classifier.ts`;

async function main(): Promise<void> {
  // The output folder is made before training, so minutes of work never end in a failed write.
  mkdirSync(dirname(OUT), { recursive: true });
  const ctx = await acquireGpu();
  console.log(`adapter: ${formatAdapter(ctx.adapter)}`);
  const data = loadData();
  const mlp = new MlpParameters(ctx, CLASSIFIER_SPEC, 'classifier', false);
  const earlier = args.from ? readClassifierFile(args.from) : null;
  let weights: Float32Array;
  if (earlier) weights = flattenMlpTensors(mlp.layout, CLASSIFIER_PREFIX, earlier.tensors);
  else weights = await trainWeights(ctx, mlp, data);
  // In F16 the network is the rounded one: its accuracy and reference statistics are measured on
  // the weights as the file stores them, so that every score agrees with the file.
  if (FLOAT16) weights = roundedToFloat16(weights);
  ctx.write(mlp.weights, weights);
  const accuracy = await (await createAccuracyMeter(ctx, mlp, data.test.pixels, data.testLabels)).measure();
  const tensors: TensorMap = new Map();
  addMlpTensors(mlp.layout, CLASSIFIER_PREFIX, weights, tensors);
  // The reference every score compares with: the test digits' features, by the trained network.
  const { test } = data;
  referenceToTensors(await referenceStatistics(ctx, tensors, test.pixels, test.count), tensors);
  const stored = FLOAT16 ? '; weights stored in F16 (--float16), the reference and accuracy of those' : '';
  const metadata = {
    format: 'webgpu-gan mnist classifier 1',
    dataset: DATA,
    widths: CLASSIFIER_SPEC.widths.join(','),
    test_accuracy: accuracy.toFixed(4),
    reference_count: String(test.count),
    recipe: `${earlier?.metadata.recipe?.replace(/; weights stored in F16.*$/, '') ?? RECIPE}${stored}`,
  };
  // The weights in F16 halve the file; the reference statistics stay F32, as FCD needs them.
  const float16 = (name: string) => FLOAT16 && name.startsWith(`${CLASSIFIER_PREFIX}.`);
  writeFileAtomic(OUT, encodeSafetensors(tensors, metadata, new Map(), { float16 }));
  console.log(`wrote ${OUT}: test accuracy ${(100 * accuracy).toFixed(2)}%`);
  ctx.destroy();
}

/** Each value rounded to the nearest float16, as a file stored in F16 gives it back. */
const roundedToFloat16 = (values: Float32Array) => floatsFromFloat16Bytes(float16Bytes(values));

await main();
