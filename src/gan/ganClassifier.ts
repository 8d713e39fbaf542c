// A semi-supervised GAN's discriminator as a classifier (Salimans et al. 2016): its class logits
// l(x), read as P(class k | x is real) = softmax(l)_k, the implicit "fake" class left out. Built
// from a checkpoint's tensors (a trainer's: exportTensors), weights divided by σ from the stored
// power-iteration vectors as training last used them; batched on the GPU, one readback per batch.
import { ArgumentError, DestroyedError, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { Workspace } from '../gpu/workspace.js';
import type { TensorMap } from '../io/safetensors.js';
import type { Kernel } from '../kernels/kernel.js';
import { createSoftmaxCrossEntropy } from '../kernels/softmaxCrossEntropy.js';
import type { TensorView } from '../nn/mlp.js';
import {
  buildPlan,
  forwardPlan,
  NetworkParameters,
  NetworkWeights,
  networkBlocks,
  networkLayout,
} from '../nn/network.js';
import { guardedCreation } from '../gpu/creation.js';
import { checkRowsFit } from './modelMemory.js';
import { NetworkNormalization } from '../nn/networkSpectralNorm.js';
import { applyWeightNorm } from '../nn/networkWeightNorm.js';
import { flatFromTensors } from '../nn/networkTensors.js';
import { requireGanConfig, type GanConfig } from './config.js';
import { largestSingularValue } from './discriminator.js';
import { classHeadClasses, discriminatorNetworkSpec, discriminatorOutputs } from './networks.js';
import { tensorProblem } from './state.js';
import { GanTrainer } from './trainer.js';
import { requireContext, requireInstance, requireObject } from '../base/arguments.js';

export interface Classification {
  /** Each picture's most likely class. */
  classes: Int32Array;
  /** count × classes: each picture's class probabilities (given that it is real). */
  probabilities: Float32Array;
}

/** How a classifier did on labelled pictures. */
export interface ClassificationScore {
  /** The share of pictures whose most likely class is their label. */
  accuracy: number;
  /** Pictures classified right, of `count`. */
  right: number;
  count: number;
  /** confusion[true][predicted]: counts (a label outside the classes is refused). */
  confusion: number[][];
}

/** Scores each picture's most likely class (`classes`) against its label, over `K` classes. */
export function scoreClassification(classes: Int32Array, labels: Uint8Array, K: number): ClassificationScore {
  if (!(classes instanceof Int32Array))
    throw new ArgumentError('classes', 'must be an Int32Array, a class per picture');
  if (!(labels instanceof Uint8Array) || labels.length !== classes.length)
    throw new ArgumentError('labels', `must be a Uint8Array of one label per picture (${classes.length})`);
  requirePositiveInteger('K', K);
  const outside = labels.findIndex((label) => label >= K);
  if (outside >= 0)
    throw new ArgumentError(
      'labels',
      `picture ${outside}'s label is ${labels[outside]}, but D reads ${K} classes (0 to ${K - 1}): give pictures ` +
        'of its classes',
    );
  const confusion = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  let right = 0;
  classes.forEach((c, r) => {
    const truth = labels[r]!;
    if (c >= 0 && c < K) confusion[truth]![c]!++;
    if (c === truth) right++;
  });
  return { accuracy: classes.length > 0 ? right / classes.length : 0, right, count: classes.length, confusion };
}

export class GanClassifier {
  private destroyed = false;

  private constructor(
    private readonly ctx: GpuContext,
    readonly config: GanConfig,
    /** Pictures per GPU pass. */
    readonly batch: number,
    private readonly ws: Workspace,
    private readonly kernels: Kernel[],
    /** Copies the source's weights in again: a trainer's, whose D goes on training; null for a checkpoint's. */
    private readonly reload: (() => void) | null,
  ) {}

  /** The classes the discriminator tells apart. */
  get classes(): number {
    return classHeadClasses(this.config);
  }

  /** A classifier from a semi-supervised checkpoint's discriminator; refuses any other checkpoint. */
  static async create(
    ctx: GpuContext,
    checkpoint: { config: GanConfig; tensors: TensorMap },
    options: { batch?: number } = {},
  ): Promise<GanClassifier> {
    requireContext(ctx);
    requireObject('checkpoint', checkpoint, 'a checkpoint (decodeCheckpoint())');
    requireGanConfig('checkpoint.config', checkpoint.config);
    requireInstance('checkpoint.tensors', checkpoint.tensors, Map, 'a Map of tensors');
    requireObject('options', options, 'an object of options (batch)');
    const { config, tensors } = checkpoint;
    requireClassHead(config, 'checkpoint');
    const problem = tensorProblem(config, tensors, (prefix) => prefix === 'discriminator');
    if (problem) throw new ArgumentError('checkpoint', problem);
    return GanClassifier.build(ctx, config, options, false, (net) => () => {
      const flat = flatFromTensors(net.layout, 'discriminator', tensors);
      if (config.spectralNorm) divideBySigma(net, flat.parameters, tensors);
      if (config.weightNorm) applyWeightNorm(net.layout, flat.parameters);
      ctx.write(net.weights, flat.parameters);
      ctx.write(net.state, flat.state.length > 0 ? flat.state : new Float32Array(1));
    });
  }

  /**
   * A classifier from a semi-supervised trainer's discriminator as it is now: its weights
   * copied on the GPU in queue order, so a step in flight is never half-read; normalised ones as a
   * checkpoint of this step loads them (W / σ from one power-iteration step from the current u,
   * or g · v / ‖v‖), without moving the trainer's u. The classifier keeps its own copy: training
   * on does not change it.
   */
  static async fromTrainer(ctx: GpuContext, trainer: GanTrainer, options: { batch?: number } = {}) {
    requireContext(ctx);
    requireInstance('trainer', trainer, GanTrainer, 'a GanTrainer');
    requireObject('options', options, 'an object of options (batch)');
    const config = trainer.config;
    requireClassHead(config, 'trainer');
    const source = trainer.discriminator;
    if (!(source instanceof NetworkParameters)) throw new ArgumentError('trainer', 'has no layer-list discriminator');
    const sn = trainer.spectralNorm instanceof NetworkNormalization ? trainer.spectralNorm : null;
    const wn = trainer.weightNorm;
    return GanClassifier.build(ctx, config, options, true, (net, ws) => {
      // Spectral normalisation's u is training state: the copy below is made from it, then it is put back.
      const keptU = sn ? ws.storage('spectral norm u, kept', sn.kernels.u.size / 4) : null;
      return () => {
        if (source.destroyed)
          throw new DestroyedError('GanClassifier', 'refresh', 'its trainer was destroyed; make a new classifier');
        const encoder = ctx.device.createCommandEncoder({ label: 'classifier weights from the trainer' });
        if (sn || wn) renormalize(encoder, sn, wn, keptU);
        encoder.copyBufferToBuffer(
          sn?.normalized ?? wn?.normalized ?? source.weights,
          0,
          net.weights,
          0,
          net.weights.size,
        );
        encoder.copyBufferToBuffer(source.state, 0, net.state, 0, net.state.size);
        ctx.submit([encoder.finish()]);
      };
    });
  }

  private static async build(
    ctx: GpuContext,
    config: GanConfig,
    options: { batch?: number },
    refreshable: boolean,
    prepare: Prepare,
  ): Promise<GanClassifier> {
    const batch = requirePositiveInteger('batch', options.batch ?? 256);
    const widest = Math.max(
      config.dataDim,
      ...networkBlocks(networkLayout(discriminatorNetworkSpec(config))).map((b) => b.width),
    );
    checkRowsFit(ctx.device.limits, 'batch', batch, {
      label: "the discriminator's widest layer",
      bytesPerRow: 4 * widest,
    });
    return guardedCreation(ctx, 'GanClassifier.create', () =>
      GanClassifier.buildIn(ctx, config, batch, refreshable, prepare),
    );
  }

  private static buildIn(
    ctx: GpuContext,
    config: GanConfig,
    batch: number,
    refreshable: boolean,
    prepare: Prepare,
  ): Promise<GanClassifier> {
    return Workspace.build(ctx, 'classifier', async (ws) => {
      const net = ws.own(new NetworkWeights(ctx, discriminatorNetworkSpec(config), 'classifier'));
      const fill = prepare(net, ws);
      fill();
      const input = ws.rows('pictures', batch, config.dataDim);
      const outputs = net.blocks.map((b, i) => ws.rows(`block ${i}`, batch, b.width));
      const probabilities = ws.rows('probabilities', batch, classHeadClasses(config));
      const plan = [
        ...forwardPlan(net, { rows: batch, input, outputs, stats: [], mode: 'eval' }),
        {
          build: (c: GpuContext) =>
            createSoftmaxCrossEntropy(c, {
              rows: batch,
              classes: classHeadClasses(config),
              // Two heads: the class logits are each row's first, its real/fake logit after them.
              logits: outputs.at(-1)!,
              logitStride: discriminatorOutputs(config),
              probabilities,
              stats: ws.storage('stats', 4),
              label: 'class probabilities',
            }),
        },
      ];
      const kernels = (await buildPlan(ctx, plan)).map((k) => ws.own(k));
      return new GanClassifier(ctx, config, batch, ws, kernels, refreshable ? fill : null);
    });
  }

  /**
   * Reads the trainer's discriminator again, as it is now, for a classifier made by fromTrainer
   * (its D goes on training): one copy on the GPU, no new GPU object. Refused once the trainer is
   * destroyed. A classifier made from a checkpoint has nothing to read again: for it, a no-op.
   */
  refresh(): void {
    if (this.destroyed) throw new DestroyedError('GanClassifier', 'refresh');
    this.reload?.();
  }

  /** Classifies `images` (count × dataDim values in [−1, 1], as the GAN trains on them). */
  async classify(images: Float32Array): Promise<Classification> {
    if (this.destroyed) throw new DestroyedError('GanClassifier', 'classify');
    const dim = this.config.dataDim;
    if (!(images instanceof Float32Array) || images.length === 0 || images.length % dim !== 0)
      throw new ArgumentError('images', `must be a Float32Array of whole pictures of ${dim} values each`);
    if (!images.every(Number.isFinite)) throw new ArgumentError('images', 'contain NaN or infinite values');
    const count = images.length / dim;
    const K = this.classes;
    const probabilities = new Float32Array(count * K);
    for (let first = 0; first < count; first += this.batch) {
      const rows = Math.min(this.batch, count - first);
      this.ctx.write(this.ws.buffer('pictures'), images.subarray(first * dim, (first + rows) * dim));
      const encoder = this.ctx.device.createCommandEncoder({ label: 'classify' });
      const pass = encoder.beginComputePass();
      for (const k of this.kernels) k.record(pass);
      pass.end();
      this.ctx.submit([encoder.finish()]);
      const read = await this.ctx.readF32(this.ws.buffer('probabilities'), 0, rows * K);
      probabilities.set(read, first * K);
    }
    const classes = Int32Array.from({ length: count }, (_, r) => {
      const row = probabilities.subarray(r * K, (r + 1) * K);
      return row.indexOf(Math.max(...row));
    });
    return { classes, probabilities };
  }

  /**
   * Classifies pictures given as bytes (count × dataDim, 0–255, as image files and the built-in
   * sets hold them) and scores them against their labels. Converts a batch at a time, so that
   * 10,000 pictures never take a float copy of them all.
   */
  async score(pictures: Uint8Array, labels: Uint8Array): Promise<ClassificationScore> {
    if (this.destroyed) throw new DestroyedError('GanClassifier', 'score');
    const dim = this.config.dataDim;
    if (!(labels instanceof Uint8Array) || labels.length === 0)
      throw new ArgumentError('labels', 'must be a non-empty Uint8Array, one class per picture');
    if (!(pictures instanceof Uint8Array) || pictures.length !== labels.length * dim)
      throw new ArgumentError(
        'pictures',
        `must be a Uint8Array of ${dim} bytes for each of the ${labels.length} labels`,
      );
    const classes = new Int32Array(labels.length);
    for (let first = 0; first < labels.length; first += this.batch) {
      const bytes = pictures.subarray(first * dim, Math.min(labels.length, first + this.batch) * dim);
      const read = await this.classify(Float32Array.from(bytes, (b) => (2 * b - 255) / 255));
      classes.set(read.classes, first);
    }
    return scoreClassification(classes, labels, this.classes);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.ws.destroy();
  }
}

function requireClassHead(config: GanConfig, argument: string): void {
  if (classHeadClasses(config) === 0)
    throw new ArgumentError(
      argument,
      'has no class head: its discriminator tells real from fake only; train one with labelled images (--labeled N) ' +
        'or as an auxiliary classifier (--conditional --conditioning auxiliary)',
    );
}

/** Each spectrally normalised weight (layers' and a projection's) divided by σ from its stored u. */
function divideBySigma(net: NetworkWeights, flat: Float32Array, tensors: TensorMap): void {
  const views: TensorView[] = net.layout.layers
    .filter((p) => p.layer.kind === 'linear' || p.layer.kind === 'conv2d')
    .map((p) => p.weight!);
  if (net.layout.projection) views.push(net.layout.projection);
  for (const view of views) {
    const u = tensors.get(`discriminator.${view.name}_u`)!.data;
    const rows = view.shape[0]!;
    const w = flat.subarray(view.offset, view.offset + view.count);
    const sigma = largestSingularValue(w, rows, view.count / rows, u);
    for (let i = 0; i < w.length; i++) w[i] = w[i]! / sigma;
  }
}

/** Makes what a classifier's weights need once (in its workspace) and returns what writes them. */
type Prepare = (net: NetworkWeights, ws: Workspace) => () => void;

/**
 * Writes a trainer's normalised copy of D from its weights as they are now. The copy is otherwise
 * written only inside a step, so a trainer that has not stepped since it was built or restored
 * holds none yet (zeros) or an older one. Weight normalisation keeps no state between steps;
 * spectral normalisation's power-iteration step moves u, which is kept aside and put back, so
 * that training goes on exactly as it would have (its other vectors are rewritten by each step).
 */
function renormalize(
  encoder: GPUCommandEncoder,
  sn: NetworkNormalization | null,
  wn: GanTrainer['weightNorm'],
  keptU: GPUBuffer | null,
): void {
  if (sn && keptU) encoder.copyBufferToBuffer(sn.kernels.u, 0, keptU, 0, keptU.size);
  const pass = encoder.beginComputePass({ label: "the trainer's D normalised for the classifier" });
  sn?.kernels.recordNormalize(pass);
  wn?.kernels.recordNormalize(pass);
  pass.end();
  if (sn && keptU) encoder.copyBufferToBuffer(keptU, 0, sn.kernels.u, 0, keptU.size);
}
