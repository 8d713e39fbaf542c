// A float64 CPU trainer for the same GAN algorithm as src/gan/trainer.ts, written plainly (no
// fusion, no flat buffers), fed the same initial weights, noise and batches.
import type { Activation } from '../src/index.js';
import type { GanConfig } from '../src/gan/config.js';
import type { TensorMap } from '../src/io/safetensors.js';
import { STREAMS } from '../src/kernels/streams.js';
import {
  activate,
  adamReference,
  derivativeFromOutput,
  logitLoss,
  normalReference,
  spectralNormGradientReference,
  spectralNormReference,
  type SpectralNormStep,
  type AdamState,
  type LogitLossKind,
} from './cpu.js';
import { batchExamples } from './shuffle.js';

interface Layer {
  w: Float64Array;
  b: Float64Array;
  inF: number;
  outF: number;
  act: Activation;
}
interface Net {
  layers: Layer[];
  adam: AdamState[];
  ema?: Float64Array[];
  /** Per tensor (as adam): entries that some step updated from a gradient within rounding of 0. */
  undecided: Set<number>[];
}

function makeNet(
  tensors: TensorMap,
  prefix: string,
  widths: number[],
  hidden: Activation,
  output: Activation,
  withEma: boolean,
  c: GanConfig,
): Net {
  const layers: Layer[] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    const saved = Float64Array.from(tensors.get(`${prefix}.${2 * l}.weight`)!.data);
    layers.push({
      // Saved for a plain one-hot: the class columns as trained are those over the hot value.
      w: l === 0 ? scaleClassColumns(saved, widths[0]!, c, 1 / c.oneHotValue) : saved,
      b: Float64Array.from(tensors.get(`${prefix}.${2 * l}.bias`)!.data),
      inF: widths[l]!,
      outF: widths[l + 1]!,
      act: l + 2 === widths.length ? output : hidden,
    });
  }
  // One Adam state per tensor (weights then bias of each layer).
  const adam = layers.flatMap((L) =>
    [L.w, L.b].map((p) => ({ weights: p, m: new Float64Array(p.length), v: new Float64Array(p.length) })),
  );
  return {
    layers,
    adam,
    undecided: adam.map(() => new Set<number>()),
    ema: withEma ? layers.flatMap((L) => [Float64Array.from(L.w), Float64Array.from(L.b)]) : undefined,
  };
}

/** A first layer's weight ([out, in + classes]) with its class columns times `factor`. */
function scaleClassColumns(w: Float64Array, inF: number, c: GanConfig, factor: number): Float64Array {
  const out = Float64Array.from(w);
  for (let o = 0; o < out.length / inF; o++) for (let k = inF - c.classes; k < inF; k++) out[o * inF + k]! *= factor;
  return out;
}

/** The smallest |pre-activation| of any leaky-ReLU unit one run's forward passes met (ReferenceGan.nearestKink). */
type KinkWatch = { nearest: number };

/** Activated outputs of every layer for `rows` input rows; pre-activations near the kink go to `kink`. */
function forward(net: Net, input: Float64Array, rows: number, alpha: number, kink: KinkWatch): Float64Array[] {
  const outs: Float64Array[] = [];
  let x = input;
  for (const L of net.layers) {
    const y = new Float64Array(rows * L.outF);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < L.outF; o++) {
        let s = L.b[o]!;
        for (let i = 0; i < L.inF; i++) s += x[r * L.inF + i]! * L.w[o * L.inF + i]!;
        if (L.act === 'leaky-relu') kink.nearest = Math.min(kink.nearest, Math.abs(s));
        y[r * L.outF + o] = activate(L.act, s, alpha);
      }
    }
    outs.push(y);
    x = y;
  }
  return outs;
}

/** |b| + Σ|x·w| for each row's logit (the last layer's one output): the scale of its float32 rounding. */
function logitMagnitudes(net: Net, input: Float64Array, outs: Float64Array[], rows: number): Float64Array {
  const last = net.layers.at(-1)!;
  const x = net.layers.length > 1 ? outs.at(-2)! : input;
  return Float64Array.from({ length: rows }, (_, r) => {
    let m = Math.abs(last.b[0]!);
    for (let i = 0; i < last.inF; i++) m += Math.abs(x[r * last.inF + i]! * last.w[i]!);
    return m;
  });
}

/** Gradients of every tensor (same order as net.adam) and, if asked, dLoss/d(input). */
function backward(
  net: Net,
  input: Float64Array,
  outs: Float64Array[],
  dLast: Float64Array,
  rows: number,
  alpha: number,
): { grads: Float64Array[]; magnitudes: Float64Array[]; dInput: Float64Array } {
  const grads: Float64Array[] = new Array(net.layers.length * 2);
  const magnitudes: Float64Array[] = new Array(net.layers.length * 2);
  let dZ = dLast;
  let dInput = new Float64Array(0);
  for (let l = net.layers.length - 1; l >= 0; l--) {
    const L = net.layers[l]!;
    const x = l === 0 ? input : outs[l - 1]!;
    const gw = new Float64Array(L.outF * L.inF),
      gb = new Float64Array(L.outF);
    const mw = new Float64Array(L.outF * L.inF),
      mb = new Float64Array(L.outF);
    const dX = new Float64Array(rows * L.inF);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < L.outF; o++) {
        const d = dZ[r * L.outF + o]!;
        gb[o]! += d;
        mb[o]! += Math.abs(d);
        for (let i = 0; i < L.inF; i++) {
          gw[o * L.inF + i]! += d * x[r * L.inF + i]!;
          mw[o * L.inF + i]! += Math.abs(d * x[r * L.inF + i]!);
          dX[r * L.inF + i]! += d * L.w[o * L.inF + i]!;
        }
      }
    }
    grads[2 * l] = gw;
    grads[2 * l + 1] = gb;
    magnitudes[2 * l] = mw;
    magnitudes[2 * l + 1] = mb;
    if (l > 0) {
      const prev = net.layers[l - 1]!;
      dZ = dX.map((g, j) => g * derivativeFromOutput(prev.act, outs[l - 1]![j]!, alpha));
    } else {
      dInput = dX;
    }
  }
  return { grads, magnitudes, dInput };
}

/**
 * The loss of logits with targets by row, divided by `divisor`: (loss, dLoss/dlogit, D's
 * readings), and the scale of the loss's float32 rounding: Σ (|row loss| + |ℓ'|·|logit's scale|).
 */
function lossOf(
  kind: LogitLossKind,
  logits: Float64Array,
  scales: Float64Array,
  target: (row: number) => number,
  divisor: number,
): { loss: number; magnitude: number; grad: Float64Array; readings: Float64Array } {
  let loss = 0,
    magnitude = 0;
  const grad = new Float64Array(logits.length),
    readings = new Float64Array(logits.length);
  logits.forEach((x, i) => {
    const scored = logitLoss(kind, x, target(i));
    readings[i] = scored.reading;
    loss += scored.loss;
    magnitude += Math.abs(scored.loss) + Math.abs(scored.grad) * scales[i]!;
    grad[i] = scored.grad / divisor;
  });
  return { loss: loss / divisor, magnitude: magnitude / divisor, grad, readings };
}

export interface ReferenceDataset {
  values: (example: number) => ArrayLike<number>;
  count: number;
  /** Each example's class, for a conditional GAN. */
  label?: (example: number) => number;
}

/** The first `cols` columns of a rows × inF matrix. */
function leadingColumns(m: ArrayLike<number>, rows: number, inF: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let o = 0; o < rows; o++) for (let i = 0; i < cols; i++) out[o * cols + i] = m[o * inF + i]!;
  return out;
}

/** A copy of the rows × inF matrix m with its first `cols` columns replaced by `leading`. */
function withLeadingColumns(
  m: Float64Array,
  rows: number,
  inF: number,
  leading: ArrayLike<number>,
  cols: number,
): Float64Array {
  const out = Float64Array.from(m);
  for (let o = 0; o < rows; o++) for (let i = 0; i < cols; i++) out[o * inF + i] = leading[o * cols + i]!;
  return out;
}

/**
 * Rows of `width` values with each row's one-hot class appended, its hot entry `hot` (no classes:
 * the rows as they are).
 */
function withOneHot(
  rows: Float64Array,
  width: number,
  classOfRow: (r: number) => number,
  { classes, oneHotValue: hot }: GanConfig,
) {
  if (classes === 0) return rows;
  const count = rows.length / width;
  const out = new Float64Array(count * (width + classes));
  for (let r = 0; r < count; r++) {
    out.set(rows.subarray(r * width, (r + 1) * width), r * (width + classes));
    out[r * (width + classes) + width + classOfRow(r)] = hot;
  }
  return out;
}

/** The first `width` columns of rows `stride` wide. */
function firstColumns(rows: Float64Array, stride: number, width: number): Float64Array {
  if (stride === width) return rows;
  const count = rows.length / stride;
  const out = new Float64Array(count * width);
  for (let r = 0; r < count; r++) out.set(rows.subarray(r * stride, r * stride + width), r * width);
  return out;
}

export interface ReferenceStep {
  lossD: number;
  lossG: number;
  dReal: number;
  dFake: number;
  /**
   * Each loss's scale of float32 rounding: Σ over rows of |its loss| + |ℓ'|·(|b| + Σ|a·w|), over
   * the divisor. Larger than the loss where rows' losses or a logit's terms cancel (the hinge
   * GAN's generator loss −D(G(z)) is a mean of small logits of either sign).
   */
  magnitude: { lossD: number; lossG: number };
}

export class ReferenceGan {
  readonly G: Net;
  readonly D: Net;
  /** With spectral normalisation: each D layer's power-iteration vector u. */
  private readonly spectralU: Float64Array[];
  step = 0;
  private readonly kink: KinkWatch = { nearest: Infinity };

  /**
   * The smallest |pre-activation| of a leaky-ReLU unit in any forward pass so far. Below ~1e-5 a
   * float32 run may take the other side of the kink and the runs legitimately diverge.
   */
  get nearestKink(): number {
    return this.kink.nearest;
  }

  constructor(
    readonly c: GanConfig,
    initial: TensorMap,
    private readonly data: ReferenceDataset,
  ) {
    // A conditional GAN's first layers take the one-hot class after their inputs, as the
    // checkpoint's [out, in + classes] weights hold them.
    this.G = makeNet(
      initial,
      'generator',
      [c.noiseDim + c.classes, ...c.generatorHidden, c.dataDim],
      'leaky-relu',
      c.generatorOutput,
      true,
      c,
    );
    this.D = makeNet(
      initial,
      'discriminator',
      [c.dataDim + c.classes, ...c.discriminatorHidden, 1],
      'leaky-relu',
      'none',
      false,
      c,
    );
    this.spectralU = c.spectralNorm
      ? this.D.layers.map((_, l) => Float64Array.from(initial.get(`discriminator.${2 * l}.weight_u`)!.data))
      : [];
  }

  /**
   * D as its passes see it: itself, or with spectral normalisation each weight W / σ after one
   * power-iteration step (which advances u), with the steps for the gradient correction.
   */
  private discriminatorInUse(): { net: Net; steps: SpectralNormStep[] } {
    if (!this.c.spectralNorm) return { net: this.D, steps: [] };
    const steps = this.D.layers.map((L, l) => {
      const cols = this.normalizedColumns(l);
      const step = spectralNormReference(leadingColumns(L.w, L.outF, L.inF, cols), L.outF, cols, this.spectralU[l]!);
      this.spectralU[l] = step.u;
      return step;
    });
    const layers = this.D.layers.map((L, l) => ({
      ...L,
      w: withLeadingColumns(L.w, L.outF, L.inF, steps[l]!.normalized, this.normalizedColumns(l)),
    }));
    return { net: { ...this.D, layers }, steps };
  }

  /**
   * The columns of D's layer l that spectral normalisation divides: all of them, but for a
   * conditional first layer's class columns, which are used as trained.
   */
  private normalizedColumns(l: number): number {
    const L = this.D.layers[l]!;
    return l === 0 ? L.inF - this.c.classes : L.inF;
  }

  /** Gradients of W / σ into gradients of W (a no-op without spectral normalisation). */
  private correctGradients(
    gradients: { grads: Float64Array[]; magnitudes: Float64Array[] },
    steps: SpectralNormStep[],
  ): { grads: Float64Array[]; magnitudes: Float64Array[] } {
    steps.forEach((step, l) => {
      const L = this.D.layers[l]!;
      const cols = this.normalizedColumns(l);
      const leading = (m: Float64Array) => leadingColumns(m, L.outF, L.inF, cols);
      const corrected = spectralNormGradientReference(
        leading(gradients.grads[2 * l]!),
        step,
        L.outF,
        cols,
        leading(gradients.magnitudes[2 * l]!),
      );
      // The class columns' gradients are those of the weights as used.
      gradients.grads[2 * l] = withLeadingColumns(gradients.grads[2 * l]!, L.outF, L.inF, corrected.grad, cols);
      gradients.magnitudes[2 * l] = withLeadingColumns(
        gradients.magnitudes[2 * l]!,
        L.outF,
        L.inF,
        corrected.magnitude,
        cols,
      );
    });
    return gradients;
  }

  private adam(net: Net, gradients: { grads: Float64Array[]; magnitudes: Float64Array[] }, t: number, lr: number) {
    const { grads, magnitudes } = gradients;
    // A gradient that cancels to within float32 rounding of 0 has no sign a float32 run must
    // share, and Adam turns either sign into a step of about ±lr.
    grads.forEach((g, i) => {
      g.forEach((v, j) => {
        if (Math.abs(v) <= 1e-5 * magnitudes[i]![j]!) net.undecided[i]!.add(j);
      });
    });
    const h = {
      lr: Math.fround(lr),
      beta1: Math.fround(this.c.beta1),
      beta2: Math.fround(this.c.beta2),
      epsilon: Math.fround(this.c.epsilon),
      weightDecay: 0,
    };
    net.adam.forEach((state, i) => {
      adamReference(state, grads[i]!, t, h);
    });
  }

  trainStep(): ReferenceStep {
    const { c } = this;
    const B = c.batch,
      a = c.leakySlope;
    const t = ++this.step;
    const noise = normalReference(B * c.noiseDim, c.seed, STREAMS.noise, t);
    const examples = batchExamples(t, B, this.data.count, c.seed);
    // Every row, fake or real, takes the class of its row in the real batch.
    const classOf = (r: number) => this.data.label!(examples[r % B]!);
    const z = withOneHot(noise, c.noiseDim, classOf, c);
    const fake = forward(this.G, z, B, a, this.kink).at(-1)!;
    const real = Float64Array.from(examples.flatMap((e) => Array.from(this.data.values(e))));
    const x = withOneHot(Float64Array.from([...fake, ...real]), c.dataDim, classOf, c);
    const fakeInput = withOneHot(fake, c.dataDim, classOf, c);
    // D's update, then G's through the updated D: with spectral normalisation each pass sees
    // W / σ after a power-iteration step of its own, as the GPU step does.
    const dUpdate = this.discriminatorInUse();
    const dOuts = forward(dUpdate.net, x, 2 * B, a, this.kink);
    const dLoss = lossOf(
      c.loss,
      dOuts.at(-1)!,
      logitMagnitudes(dUpdate.net, x, dOuts, 2 * B),
      (r) => (r < B ? 0 : c.realLabel),
      B,
    );
    const dGradients = this.correctGradients(backward(dUpdate.net, x, dOuts, dLoss.grad, 2 * B, a), dUpdate.steps);
    this.adam(this.D, dGradients, t, c.discriminatorLr ?? c.lr);

    const dForG = this.discriminatorInUse().net;
    const dOutsFake = forward(dForG, fakeInput, B, a, this.kink);
    const gLoss = lossOf(
      c.loss === 'hinge' ? 'negative-logit' : c.loss,
      dOutsFake.at(-1)!,
      logitMagnitudes(dForG, fakeInput, dOutsFake, B),
      () => 1,
      B,
    );
    const dInput = firstColumns(
      backward(dForG, fakeInput, dOutsFake, gLoss.grad, B, a).dInput,
      c.dataDim + c.classes,
      c.dataDim,
    );
    const dZ = dInput.map((g, j) => g * derivativeFromOutput(c.generatorOutput, fake[j]!, a));
    const gOuts = forward(this.G, z, B, a, this.kink);
    this.adam(this.G, backward(this.G, z, gOuts, dZ, B, a), t, c.generatorLr ?? c.lr);
    const params = this.G.layers.flatMap((L) => [L.w, L.b]);
    for (const [i, e] of this.G.ema!.entries()) updateMovingAverage(e, params[i]!, c, t);

    const mean = (v: Float64Array, from: number, to: number) =>
      v.slice(from, to).reduce((s, p) => s + p, 0) / (to - from);
    return {
      lossD: dLoss.loss,
      lossG: gLoss.loss,
      dFake: mean(dLoss.readings, 0, B),
      dReal: mean(dLoss.readings, B, 2 * B),
      magnitude: { lossD: dLoss.magnitude, lossG: gLoss.magnitude },
    };
  }

  /**
   * Entries of each tensor (checkpoint names) that some step updated from a gradient within
   * float32 rounding of zero: a float32 run may have stepped them the other way.
   */
  signUndecided(): Map<string, Set<number>> {
    const out = new Map<string, Set<number>>();
    for (const [network, net] of [
      ['generator', this.G],
      ['discriminator', this.D],
    ] as const) {
      const prefixes =
        network === 'generator'
          ? ['generator', 'generator_ema', 'optimizer.generator.exp_avg', 'optimizer.generator.exp_avg_sq']
          : ['discriminator', 'optimizer.discriminator.exp_avg', 'optimizer.discriminator.exp_avg_sq'];
      net.undecided.forEach((entries, i) => {
        const name = `${2 * (i >> 1)}.${i % 2 === 0 ? 'weight' : 'bias'}`;
        for (const prefix of prefixes) out.set(`${prefix}.${name}`, entries);
      });
    }
    return out;
  }

  /** Current tensors under the checkpoint names. */
  tensors(): Map<string, Float64Array> {
    const out = new Map<string, Float64Array>();
    // Weights are saved for a plain one-hot input; Adam's moments as trained.
    const forPlainOneHot = (prefix: string, l: number, w: Float64Array, inF: number) =>
      l === 0 && !prefix.startsWith('optimizer.') ? scaleClassColumns(w, inF, this.c, this.c.oneHotValue) : w;
    const put = (prefix: string, net: Net, pick: (i: number) => Float64Array) => {
      net.layers.forEach((L, l) => {
        out.set(`${prefix}.${2 * l}.weight`, forPlainOneHot(prefix, l, pick(2 * l), L.inF));
        out.set(`${prefix}.${2 * l}.bias`, pick(2 * l + 1));
      });
    };
    put('generator', this.G, (i) => this.G.adam[i]!.weights);
    put('generator_ema', this.G, (i) => this.G.ema![i]!);
    put('discriminator', this.D, (i) => this.D.adam[i]!.weights);
    put('optimizer.generator.exp_avg', this.G, (i) => this.G.adam[i]!.m);
    put('optimizer.generator.exp_avg_sq', this.G, (i) => this.G.adam[i]!.v);
    put('optimizer.discriminator.exp_avg', this.D, (i) => this.D.adam[i]!.m);
    put('optimizer.discriminator.exp_avg_sq', this.D, (i) => this.D.adam[i]!.v);
    for (const [l, u] of this.spectralU.entries()) out.set(`discriminator.${2 * l}.weight_u`, u);
    return out;
  }
}

/**
 * The generator's moving average after step t: ema ← d·ema + (1 − d)·w, with d the configured
 * decay held down by the warm-up (1 + t) / (warm-up + t), which the kernel computes in float32.
 */
export function updateMovingAverage(
  ema: Float64Array,
  weights: ArrayLike<number>,
  c: Pick<GanConfig, 'emaDecay' | 'emaWarmup'>,
  t: number,
): void {
  const warm = c.emaWarmup > 0 ? Math.fround(Math.fround(1 + t) / Math.fround(c.emaWarmup + t)) : 1;
  const decay = Math.min(Math.fround(c.emaDecay), warm);
  for (let i = 0; i < ema.length; i++) ema[i] = decay * ema[i]! + (1 - decay) * weights[i]!;
}
