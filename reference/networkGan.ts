// A float64 trainer for a GAN of layer-list networks (src/gan/networkStep.ts's algorithm), written
// plainly from the per-layer references: the same noise and batches (Philox and the shuffle's
// references), batch norms on the batch's own statistics with PyTorch's running estimates, the
// loss, both Adam updates and the generator's moving average; with spectral normalisation, each
// pass through the discriminator on W / σ after a power-iteration step (batch norms as they are);
// with weight normalisation, on g · v / ‖v‖, its gradients turned into those of v and g.
// The discriminator runs as PyTorch's DCGAN example runs it: D(real), then D(fake) for its update
// (two training passes, each half on its own statistics, gradients summed), then D(fake) again
// through the updated D for the generator's, each pass updating D's running estimates in turn.
// A conditional GAN (classes > 0): G's input is its noise and the real batch's labels as one-hots,
// and each of D's logits gains V[y]·φ, φ the input of D's last layer (a projection discriminator),
// with V spectrally normalised like the layers' weights. D's Gaussian-noise layers draw as the GPU
// does: one draw over each pass's rows ([fake; real] or [fake; real; labelled] for D's update, the
// fake rows, or [fake; real] for feature matching, for G's), of which each reference pass takes its rows.
import type { GanConfig } from '../src/gan/config.js';
import { discriminatorNoiseStream, STREAMS, type DiscriminatorPass } from '../src/kernels/streams.js';
import type { TensorView } from '../src/nn/mlp.js';
import { elements, type ModelLayout } from '../src/nn/model.js';
import { batchStatistics } from './batchNorm.js';
import {
  adamReference,
  logitLoss,
  normalReference,
  spectralNormGradientReference,
  spectralNormReference,
  type AdamState,
  type LogitLossKind,
  type SpectralNormStep,
} from './cpu.js';
import { updateMovingAverage } from './gan.js';
import { weightNormGradientReference, weightNormReference } from './weightNorm.js';
import { blockIndex, networkBackwardReference, networkForwardReference, type NoiseValues } from './network.js';
import { featureMatchingReference, semiSupervisedReference } from './semiSupervised.js';
import { batchExamples } from './shuffle.js';

export interface ReferenceImages {
  count: number;
  /** Example e's values, as the GPU dataset holds them (bytes mapped to [−1, 1] in float32). */
  values(e: number): ArrayLike<number>;
  /** Example e's class, for a conditional GAN. */
  label?(e: number): number;
  /** A semi-supervised GAN's labelled images (a subset of the examples) and their classes. */
  labeled?: { count: number; values(e: number): ArrayLike<number>; label(e: number): number };
}

interface ReferenceNetwork {
  layout: ModelLayout;
  adam: AdamState;
  /** Running means and variances in the network's state layout. */
  state: Float64Array;
}

export interface ReferenceNetworkStep {
  lossD: number;
  lossG: number;
  /** dL/d(parameters) of each update, as the GPU's gradient buffers hold them after the step. */
  gradD: Float64Array;
  gradG: Float64Array;
}

export class ReferenceNetworkGan {
  readonly G: ReferenceNetwork;
  readonly D: ReferenceNetwork;
  readonly ema: Float64Array;
  step = 0;

  constructor(
    readonly c: GanConfig,
    layouts: { generator: ModelLayout; discriminator: ModelLayout },
    initial: {
      generator: Float32Array;
      generatorState: Float32Array;
      discriminator: Float32Array;
      /** D's running statistics; default zeros (a D without batch norms has none). */
      discriminatorState?: Float32Array;
    },
    private readonly data: ReferenceImages,
    /** With spectral normalisation: each normalised layer's starting u, in layer order. */
    readonly spectralU: Float64Array[] = [],
  ) {
    const network = (layout: ModelLayout, weights: Float32Array, state: Float32Array): ReferenceNetwork => ({
      layout,
      adam: {
        weights: Float64Array.from(weights),
        m: new Float64Array(weights.length),
        v: new Float64Array(weights.length),
      },
      state: Float64Array.from(state),
    });
    this.G = network(layouts.generator, initial.generator, initial.generatorState);
    this.D = network(
      layouts.discriminator,
      initial.discriminator,
      initial.discriminatorState ?? new Float32Array(layouts.discriminator.stateFloats),
    );
    this.ema = Float64Array.from(initial.generator);
  }

  /** The loss of each logit, its gradient (over the batch) and the mean loss. */
  private scored(kind: LogitLossKind, logits: Float64Array, target: (row: number) => number) {
    const B = this.c.batch;
    let loss = 0;
    const grad = logits.map((x, r) => {
      const s = logitLoss(kind, x, target(r));
      loss += s.loss;
      return s.grad / B;
    });
    return { loss: loss / B, grad };
  }

  /** A network's batch norms' running estimates after a training-mode pass of B rows over `outputs`. */
  private updateRunningStatistics(net: ReferenceNetwork, input: ArrayLike<number>, outputs: Float64Array[]): void {
    const { layout, state } = net;
    const B = this.c.batch;
    for (const [i, p] of layout.layers.entries()) {
      if (p.layer.kind !== 'batch-norm') continue;
      const x = i === 0 ? input : outputs[i - 1]!;
      const channels = p.inShape[0]!;
      const spatial = elements(p.inShape) / channels;
      const stats = batchStatistics(x, { batch: B, channels, spatial }, p.layer.eps ?? 1e-5);
      const momentum = p.layer.momentum ?? 0.1;
      const n = B * spatial;
      for (let ch = 0; ch < channels; ch++) {
        const mean = p.runningMean!.offset + ch;
        const variance = p.runningVar!.offset + ch;
        state[mean] = (1 - momentum) * state[mean]! + momentum * stats.mean[ch]!;
        state[variance] = (1 - momentum) * state[variance]! + (momentum * stats.variance[ch]! * n) / (n - 1);
      }
    }
  }

  /** The discriminator's linear and convolution weights and its projection: what spectral normalisation divides. */
  private normalizedWeights(): TensorView[] {
    const layout = this.D.layout;
    const weights = layout.layers
      .filter((p) => p.layer.kind === 'linear' || p.layer.kind === 'conv2d')
      .map((p) => p.weight!);
    return layout.projection ? [...weights, layout.projection] : weights;
  }

  /** D's parameters as its passes see them, after a power-iteration step each (which advances u). */
  private discriminatorInUse(): { params: Float64Array; steps: SpectralNormStep[] } {
    const params = Float64Array.from(this.D.adam.weights);
    if (this.c.weightNorm) {
      for (const { weight, scale, rows, cols } of this.weightNormLayers())
        params.set(weightNormReference(this.slice(weight, rows * cols), this.slice(scale, rows), rows, cols), weight);
      return { params, steps: [] };
    }
    if (!this.c.spectralNorm) return { params, steps: [] };
    const steps = this.normalizedWeights().map((w, l) => {
      const rows = w.shape[0]!;
      const step = spectralNormReference(
        params.subarray(w.offset, w.offset + w.count),
        rows,
        w.count / rows,
        this.spectralU[l]!,
      );
      this.spectralU[l] = step.u;
      params.set(step.normalized, w.offset);
      return step;
    });
    return { params, steps };
  }

  /** D's weight-normalised layers: where each v and g lives, and the shape of v as a matrix. */
  private weightNormLayers() {
    return this.D.layout.layers
      .filter((p) => p.weightScale)
      .map((p) => {
        const rows = p.weight!.shape[0]!;
        return { weight: p.weight!.offset, scale: p.weightScale!.offset, rows, cols: p.weight!.count / rows };
      });
  }

  /** `count` of D's trained parameters from `offset`. */
  private slice(offset: number, count: number): Float64Array {
    return this.D.adam.weights.subarray(offset, offset + count);
  }

  /** Gradients of W / σ (or of g · v / ‖v‖) into gradients of W (of v and g), in place. */
  private correctGradients(grad: Float64Array, steps: SpectralNormStep[]): void {
    if (this.c.weightNorm) {
      for (const { weight, scale, rows, cols } of this.weightNormLayers()) {
        const v = this.slice(weight, rows * cols);
        const g = this.slice(scale, rows);
        const corrected = weightNormGradientReference(grad.subarray(weight, weight + rows * cols), v, g, rows, cols);
        grad.set(corrected.v, weight);
        grad.set(corrected.g, scale);
      }
      return;
    }
    steps.forEach((step, l) => {
      const w = this.normalizedWeights()[l]!;
      const rows = w.shape[0]!;
      const corrected = spectralNormGradientReference(
        grad.subarray(w.offset, w.offset + w.count),
        step,
        rows,
        w.count / rows,
      );
      grad.set(corrected.grad, w.offset);
    });
  }

  private adam(net: ReferenceNetwork, grad: Float64Array, t: number, lr: number): void {
    const h = {
      lr: Math.fround(lr),
      beta1: Math.fround(this.c.beta1),
      beta2: Math.fround(this.c.beta2),
      epsilon: Math.fround(this.c.epsilon),
      weightDecay: 0,
    };
    adamReference(net.adam, grad, t, h);
  }

  /**
   * A projection discriminator's class term on one pass of B rows (row r of class labels[r]): the
   * logits with V[y]·φ added, the gradient it sends to φ (the last layer's input, layer L − 2's
   * output), and V's gradient. Without a projection, the logits as they are and nothing else.
   */
  private projection(input: Float64Array, outs: Float64Array[], params: Float64Array, labels: number[]) {
    const v = this.D.layout.projection;
    const last = this.D.layout.layers.length - 1;
    const features = last === 0 ? input : outs[last - 1]!;
    const width = features.length / this.c.batch;
    const row = (r: number) => features.subarray(r * width, (r + 1) * width);
    const classRow = (r: number) => v!.offset + labels[r]! * width;
    return {
      logits: (head: Float64Array) =>
        v ? head.map((x, r) => x + row(r).reduce((sum, f, j) => sum + f * params[classRow(r) + j]!, 0)) : head,
      featureGrad: (grad: ArrayLike<number>) =>
        v && {
          layer: last - 1,
          grad: features.map((_, i) => {
            const r = Math.floor(i / width);
            return grad[r]! * params[classRow(r) + (i - r * width)]!;
          }),
        },
      addWeightGrad: (grad: ArrayLike<number>, dParams: Float64Array) => {
        if (!v) return;
        for (let r = 0; r < this.c.batch; r++)
          row(r).forEach((f, j) => {
            dParams[classRow(r) + j]! += grad[r]! * f;
          });
      },
    };
  }

  trainStep(): ReferenceNetworkStep {
    const { c } = this;
    const B = c.batch;
    const a = c.leakySlope;
    const t = ++this.step;
    const noiseWidth = elements(this.G.layout.inShape) - c.classes;
    const noise = normalReference(B * noiseWidth, c.seed, STREAMS.noise, t);
    const examples = batchExamples(t, B, this.data.count, c.seed);
    const labels = c.classes > 0 ? examples.map((e) => this.data.label!(e)) : [];
    const gInput = c.classes > 0 ? withOneHots(noise, noiseWidth, labels, c.classes) : noise;
    const gOuts = networkForwardReference(this.G.layout, B, gInput, this.G.adam.weights, a);
    this.updateRunningStatistics(this.G, gInput, gOuts);
    const fake = gOuts.at(-1)!;
    const real = Float64Array.from(examples.flatMap((e) => Array.from(this.data.values(e))));
    if (c.labelClasses > 0 || (c.classes > 0 && c.conditioning === 'auxiliary'))
      return this.classLogitStep(t, gInput, gOuts, real, labels);

    // D's update: netD(real), then netD(fake), each a training pass with its own statistics.
    const dUpdate = this.discriminatorInUse();
    const dPass = (input: Float64Array, firstRow: number) => {
      const noise = this.dNoise('discriminator update', t, firstRow, 2 * B);
      const outs = networkForwardReference(this.D.layout, B, input, dUpdate.params, a, undefined, noise);
      this.updateRunningStatistics(this.D, input, outs);
      return outs;
    };
    const dReal = dPass(real, B);
    const dFakeOuts = dPass(fake, 0);
    const project = (input: Float64Array, outs: Float64Array[], params: Float64Array) =>
      this.projection(input, outs, params, labels);
    const [realProjection, fakeProjection] = [
      project(real, dReal, dUpdate.params),
      project(fake, dFakeOuts, dUpdate.params),
    ];
    const logits = Float64Array.from([
      ...fakeProjection.logits(dFakeOuts.at(-1)!),
      ...realProjection.logits(dReal.at(-1)!),
    ]);
    const dLoss = this.scored(c.loss, logits, (r) => (r < B ? 0 : c.realLabel));
    const backward = (
      input: Float64Array,
      outs: Float64Array[],
      grad: Float64Array,
      projected: ReturnType<typeof project>,
    ) => {
      const { dParams } = networkBackwardReference(
        this.D.layout,
        B,
        input,
        dUpdate.params,
        outs,
        grad,
        a,
        projected.featureGrad(grad),
      );
      projected.addWeightGrad(grad, dParams);
      return dParams;
    };
    const fakeGrad = backward(fake, dFakeOuts, dLoss.grad.subarray(0, B), fakeProjection);
    const realGrad = backward(real, dReal, dLoss.grad.subarray(B), realProjection);
    const gradD = fakeGrad.map((g, i) => g + realGrad[i]!);
    this.correctGradients(gradD, dUpdate.steps);
    this.adam(this.D, gradD, t, c.discriminatorLr ?? c.lr);

    // G's update through the updated D: netD(fake) once more, in training mode.
    const dForG = this.discriminatorInUse().params;
    const gNoise = this.dNoise('generator update', t, 0, B);
    const dFake = networkForwardReference(this.D.layout, B, fake, dForG, a, undefined, gNoise);
    this.updateRunningStatistics(this.D, fake, dFake);
    const fakeForG = project(fake, dFake, dForG);
    const gLoss = this.scored(c.loss === 'hinge' ? 'negative-logit' : c.loss, fakeForG.logits(dFake.at(-1)!), () => 1);
    const dImage = networkBackwardReference(
      this.D.layout,
      B,
      fake,
      dForG,
      dFake,
      gLoss.grad,
      a,
      fakeForG.featureGrad(gLoss.grad),
    ).dInput;
    const gradG = this.generatorUpdate(t, gInput, gOuts, dImage);
    return { lossD: dLoss.loss, lossG: gLoss.loss, gradD, gradG };
  }

  /**
   * The normals D's noise layers add to rows [firstRow, firstRow + B) of a pass of `rows` rows at
   * step t: the GPU draws each layer's over the whole pass, row by row.
   */
  private dNoise(pass: DiscriminatorPass, t: number, firstRow: number, rows: number): NoiseValues {
    const B = this.c.batch;
    return (layer, count) => {
      const width = count / B;
      const stream = discriminatorNoiseStream(pass) + blockIndex(this.D.layout, layer);
      return normalReference(rows * width, this.c.seed, stream, t).subarray(firstRow * width, (firstRow + B) * width);
    };
  }

  /** G's gradient from dL/d(fake), Adam(G) and the moving average; returns the gradient. */
  private generatorUpdate(t: number, gInput: Float64Array, gOuts: Float64Array[], dImage: ArrayLike<number>) {
    const c = this.c;
    const gradG = networkBackwardReference(
      this.G.layout,
      c.batch,
      gInput,
      this.G.adam.weights,
      gOuts,
      dImage,
      c.leakySlope,
    ).dParams;
    this.adam(this.G, gradG, t, c.generatorLr ?? c.lr);
    updateMovingAverage(this.ema, this.G.adam.weights, c, t);
    return gradG;
  }

  /**
   * A step of a D that ends in class logits (no batch norm in D), scored by the semi-supervised
   * loss (reference/semiSupervised.ts). Semi-supervised: D scores [fake; real; a labelled batch],
   * then G's update through the updated D on the fake rows with the real target, as an ordinary
   * step's. An auxiliary classifier: D scores [fake; real] and also learns the real rows' classes
   * (`labels`, the batch's), and G's fake rows also learn the classes they were drawn for (by
   * classWeight); with two heads each row's class logits are followed by a real/fake logit of its own.
   */
  private classLogitStep(t: number, gInput: Float64Array, gOuts: Float64Array[], real: Float64Array, labels: number[]) {
    const { c } = this;
    const auxiliary = c.labelClasses === 0;
    const [B, K, a] = [c.batch, auxiliary ? c.classes : c.labelClasses, c.leakySlope];
    const ownLogit = auxiliary && c.auxiliaryHead === 'two-heads';
    const W = K + (ownLogit ? 1 : 0);
    const fake = gOuts.at(-1)!;
    const dUpdate = this.discriminatorInUse();
    const inputs = [fake, real];
    let dLabels = labels;
    if (!auxiliary) {
      const labeled = this.data.labeled!;
      const chosen = batchExamples(t, B, labeled.count, c.seed);
      inputs.push(Float64Array.from(chosen.flatMap((e) => Array.from(labeled.values(e)))));
      dLabels = chosen.map((e) => labeled.label(e));
    }
    const passes = inputs.map((input, p) => {
      const noise = this.dNoise('discriminator update', t, p * B, inputs.length * B);
      return networkForwardReference(this.D.layout, B, input, dUpdate.params, a, undefined, noise);
    });
    const logits = Float64Array.from(passes.flatMap((outs) => Array.from(outs.at(-1)!)));
    const dLoss = semiSupervisedReference(
      logits,
      K,
      { fakeRows: B, realRows: B, labels: dLabels },
      {
        kind: c.loss,
        targetFake: 0,
        targetReal: c.realLabel,
        divisor: B,
        labelledDivisor: B,
        adversarialWeight: c.labeledOnly ? 0 : 1,
        ...(auxiliary && { classed: { first: B, rows: B, weight: 1 } }),
        ownLogit,
      },
    );
    const gradD = new Float64Array(this.D.layout.parameterFloats);
    passes.forEach((outs, p) => {
      const grad = dLoss.gradLogits.subarray(p * B * W, (p + 1) * B * W);
      const { dParams } = networkBackwardReference(this.D.layout, B, inputs[p]!, dUpdate.params, outs, grad, a);
      dParams.forEach((g, i) => {
        gradD[i]! += g;
      });
    });
    this.correctGradients(gradD, dUpdate.steps);
    this.adam(this.D, gradD, t, c.discriminatorLr ?? c.lr);

    const dForG = this.discriminatorInUse().params;
    // Feature matching runs the fake and the real rows through D as one pass of 2B rows.
    const gRows = c.featureMatching ? 2 * B : B;
    const dFake = networkForwardReference(
      this.D.layout,
      B,
      fake,
      dForG,
      a,
      undefined,
      this.dNoise('generator update', t, 0, gRows),
    );
    if (c.featureMatching) {
      // The features of the layer before the logits (layer L − 2's output), or before the noise
      // layer in front of them (L − 3's), fake rows then real.
      const layers = this.D.layout.layers;
      const layer = layers.length - (layers.at(-2)!.layer.kind === 'gaussian-noise' ? 3 : 2);
      const realNoise = this.dNoise('generator update', t, B, gRows);
      const dReal = networkForwardReference(this.D.layout, B, real, dForG, a, undefined, realNoise);
      const features = Float64Array.from([...dFake[layer]!, ...dReal[layer]!]);
      const matched = featureMatchingReference(features, B, features.length / (2 * B));
      const zero = new Float64Array(B * W);
      const extra = { layer, grad: matched.grad };
      const dImage = networkBackwardReference(this.D.layout, B, fake, dForG, dFake, zero, a, extra).dInput;
      return { lossD: dLoss.total, lossG: matched.loss, gradD, gradG: this.generatorUpdate(t, gInput, gOuts, dImage) };
    }
    const gLoss = semiSupervisedReference(
      dFake.at(-1)!,
      K,
      { fakeRows: B, realRows: 0, labels: auxiliary ? labels : [] },
      {
        kind: c.loss === 'hinge' ? 'negative-logit' : c.loss,
        targetFake: 1,
        divisor: B,
        labelledDivisor: 1,
        ...(auxiliary && { classed: { first: 0, rows: B, weight: c.classWeight } }),
        ownLogit,
      },
    );
    const dImage = networkBackwardReference(this.D.layout, B, fake, dForG, dFake, gLoss.gradLogits, a).dInput;
    const gradG = this.generatorUpdate(t, gInput, gOuts, dImage);
    return { lossD: dLoss.total, lossG: gLoss.total, gradD, gradG };
  }
}

/** Each row's noise followed by its class as a one-hot: a conditional generator's input. */
function withOneHots(noise: ArrayLike<number>, width: number, labels: number[], classes: number): Float64Array {
  const joined = new Float64Array(labels.length * (width + classes));
  labels.forEach((label, r) => {
    for (let j = 0; j < width; j++) joined[r * (width + classes) + j] = noise[r * width + j]!;
    joined[r * (width + classes) + width + label] = 1;
  });
  return joined;
}
