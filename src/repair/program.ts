// The GPU side of a repair search, built once: its buffers in one workspace, and its kernels in
// the order an iteration records them (see repairer.ts for the iteration):
//   evaluation: [z and the class joined] · G forward · [D forward · realism term · D backward to ∂/∂y] ·
//               known-pixel error
//   update:     G backward to ∂/∂z (through the joined input's noise columns where G takes the class
//               beside its noise) · step counter · Adam on z · [z back onto the prior's sphere]
import type { GpuContext } from '../gpu/context.js';
import { Workspace } from '../gpu/workspace.js';
import { createAdam } from '../kernels/adam.js';
import { createStepCounter, type StepCounter } from '../kernels/counter.js';
import type { Kernel } from '../kernels/kernel.js';
import { createRepairGate, createRepairPixels, createRepairRealism } from '../kernels/latentRepair.js';
import { createRandomFill } from '../kernels/random.js';
import { createLatentToSphere } from '../kernels/latentPrior.js';
import { STREAMS } from '../kernels/streams.js';
import { buildPlan, forwardPlan, type ClassCondition, type NetworkWeights } from '../nn/network.js';
import { backwardPlan, gateOf, needsScratch } from '../nn/networkBackward.js';
import { elements } from '../nn/model.js';
import type { GanConfig } from '../gan/config.js';
import { realismHead } from '../gan/networks.js';
import { createClassInput, createClassInputGrad } from '../kernels/classInput.js';
import { buildDegradationChain, type DegradationChain } from '../restore/operator.js';
import { pictureSize } from '../kernels/degrade.js';
import type { RepairSettings } from './options.js';

/** The buffers the search reads and writes between its kernels. */
export interface RepairBuffers {
  /** starts × noiseDim: each start's noise, its gradient and its Adam moments. */
  z: GPUBuffer;
  zGrad: GPUBuffer;
  moment1: GPUBuffer;
  moment2: GPUBuffer;
  /** starts × dataDim: G(z). */
  generated: GPUBuffer;
  /** dataDim: the damaged image, and 1 where its pixel is known (restoration: fitDim of each used). */
  target: GPUBuffer;
  known: GPUBuffer;
  /** starts × 2: each start's known-pixel error and realism term. */
  scores: GPUBuffer;
}

export interface RepairProgram {
  /** Owns every buffer and kernel below. */
  ws: Workspace;
  buffers: RepairBuffers;
  /** Whether the realism term is computed (a discriminator and λ > 0). */
  withCritic: boolean;
  /** Fills z with the seeded starting points. */
  startNoise: Kernel;
  /**
   * With the sphere prior: puts every z back on it, recorded after startNoise and after each
   * iteration's update (kept out of `update`, whose last two are the counter and Adam).
   */
  prior: Kernel | null;
  /** Through the known-pixel kernel: the objective's scores and its gradient at G's output. */
  evaluation: Kernel[];
  /** The rest of an iteration: G backward to z, the counter and Adam. */
  update: Kernel[];
  counter: StepCounter;
  /** The known-pixel kernel's place in `evaluation`: it is rebuilt per image (its K is a uniform). */
  pixelsSlot: number;
  buildPixels(knownCount: number): Promise<Kernel>;
  /** Values of the picture the search fits: dataDim, or the degraded picture's size for restoration. */
  fitDim: number;
  /** Whether it fits through a degradation (restoration) rather than to known pixels (repair). */
  restoring: boolean;
}

/** Builds the search for `generator` (and `discriminator`'s realism term when given and λ > 0). */
export function buildRepairProgram(
  ctx: GpuContext,
  config: GanConfig,
  generator: NetworkWeights,
  discriminator: NetworkWeights | null,
  settings: RepairSettings,
): Promise<RepairProgram> {
  return Workspace.build(ctx, 'repair', async (ws) => {
    const { starts } = settings;
    const rows = (name: string, width: number) => ws.rows(name, starts, width);
    const buffers: RepairBuffers = {
      z: rows('z', config.noiseDim),
      zGrad: rows('dz', config.noiseDim),
      moment1: rows('adam m', config.noiseDim),
      moment2: rows('adam v', config.noiseDim),
      generated: rows('G(z)', config.dataDim),
      target: ws.storage('target', config.dataDim),
      known: ws.storage('known', config.dataDim),
      scores: rows('scores', 2),
    };
    // Each block's output (G's last is G(z)) and gradient, and scratch where a batch norm follows an activation.
    const G = passBuffers(generator, rows, 'G', buffers.generated);
    const labels = settings.label === null ? null : ws.storage('labels', new Float32Array(starts).fill(settings.label));
    // A one-hot conditional network takes the class in its first layer's class columns.
    const condition = (network: NetworkWeights, name: string): ClassCondition | undefined =>
      labels && network.layout.layers[0]!.classWeight
        ? { labels, labelRows: starts, onehot: rows(`${name} one-hot`, config.classes) }
        : undefined;

    const startNoise = ws.own(
      await createRandomFill(ctx, {
        n: starts * config.noiseDim,
        output: buffers.z,
        seed: settings.seed,
        stream: STREAMS.repairNoise,
        distribution: { kind: 'normal' },
        label: 'repair starting points',
      }),
    );
    const generatorWeights = settings.useEma ? generator.ema! : generator.weights;
    const generatorCondition = condition(generator, 'G');
    // Or G takes the class as a one-hot beside the noise (an auxiliary classifier's, a DCGAN's):
    // the search moves the noise columns of its input and keeps the class columns.
    const besideNoise =
      labels && !generatorCondition ? await addClassInput(ctx, ws, config, buffers, labels, starts) : null;
    const evaluation: Kernel[] = besideNoise ? [besideNoise.forward] : [];
    // Batch norms on their running estimates (eval mode), so that each start depends on its own z alone.
    const gPass = {
      rows: starts,
      input: besideNoise?.input ?? buffers.z,
      outputs: G.outputs,
      stats: [],
      mode: 'eval' as const,
      weights: generatorWeights,
      ...(generatorCondition && { condition: generatorCondition }),
    };
    evaluation.push(...(await ownAll(ws, buildPlan(ctx, forwardPlan(generator, gPass)))));
    const withCritic = discriminator !== null && settings.realism > 0;
    const imageGrads = withCritic
      ? await addCritic(ctx, ws, evaluation, discriminator, buffers, settings, {
          config,
          condition: condition(discriminator, 'D'),
        })
      : null;
    // The pixel kernel folds in f' of G's output activation, as the layer after it would.
    const outputActivation = gateOf(generator.blocks.at(-1)!, config.leakySlope)?.kind ?? 'none';
    const chain = settings.degradation ? await addDegradation(ctx, ws, evaluation, config, buffers, settings) : null;
    const fitDim = chain ? pictureSize(chain.outputGeometry) : config.dataDim;
    const buildPixels = (knownCount: number) =>
      createRepairPixels(ctx, {
        rows: starts,
        dim: fitDim,
        // Restoration compares A(G(z)) with the degraded picture; its gradient goes back through
        // the chain to the gate below, which adds the realism term and f'(y).
        generated: chain ? chain.output : buffers.generated,
        target: buffers.target,
        known: buffers.known,
        knownCount,
        ...(imageGrads && !chain && { imageGrads }),
        outputGrads: chain ? chain.outputGrad! : G.grads.at(-1)!,
        scores: buffers.scores,
        outputActivation: chain ? 'none' : outputActivation,
        leakySlope: config.leakySlope,
      });
    const pixelsSlot = evaluation.length;
    evaluation.push(ws.own(await buildPixels(fitDim)));
    if (chain) {
      evaluation.push(...chain.backward);
      const gate = await createRepairGate(ctx, {
        rows: starts,
        dim: config.dataDim,
        generated: buffers.generated,
        fitGrads: chain.inputGrad!,
        ...(imageGrads && { imageGrads }),
        outputGrads: G.grads.at(-1)!,
        outputActivation,
        leakySlope: config.leakySlope,
      });
      evaluation.push(ws.own(gate));
    }

    const backward = backwardPlan(generator, {
      ...gPass,
      grads: G.grads,
      scratch: G.scratch,
      inputGrad: { output: besideNoise?.inputGrad ?? buffers.zGrad },
      inputGradOnly: true,
    });
    const update: Kernel[] = await ownAll(ws, buildPlan(ctx, backward));
    if (besideNoise) update.push(besideNoise.backward);
    const counter = ws.own(await createStepCounter(ctx, { label: 'repair step' }));
    update.push(counter);
    update.push(
      ws.own(
        await createAdam(ctx, {
          n: starts * config.noiseDim,
          weights: buffers.z,
          grads: buffers.zGrad,
          moment1: buffers.moment1,
          moment2: buffers.moment2,
          stepCount: counter.buffer,
          lr: settings.lr,
          beta1: 0.9,
          beta2: 0.999,
          label: 'repair adam on z',
        }),
      ),
    );
    const prior =
      settings.prior === 'sphere'
        ? ws.own(await createLatentToSphere(ctx, { rows: starts, dim: config.noiseDim, latents: buffers.z }))
        : null;
    return {
      ws,
      buffers,
      withCritic,
      startNoise,
      prior,
      evaluation,
      update,
      counter,
      pixelsSlot,
      buildPixels,
      fitDim,
      restoring: chain !== null,
    };
  });
}

/**
 * The realism term's kernels, appended to `evaluation`: D forward on G(z) (batch norms on their
 * running estimates), λ·softplus(−D) and its derivative, and D backward to the image. Returns the
 * image gradient's buffer (∂/∂y).
 */
async function addCritic(
  ctx: GpuContext,
  ws: Workspace,
  evaluation: Kernel[],
  discriminator: NetworkWeights,
  buffers: RepairBuffers,
  settings: RepairSettings,
  { config, condition }: { config: GanConfig; condition: ClassCondition | undefined },
): Promise<GPUBuffer> {
  const { starts } = settings;
  const D = passBuffers(discriminator, (name, width) => ws.rows(name, starts, width), 'D');
  const imageGrads = ws.rows('dD/dy', starts, elements(discriminator.layout.inShape));
  const pass = {
    rows: starts,
    input: buffers.generated,
    outputs: D.outputs,
    stats: [],
    mode: 'eval' as const,
    ...(condition && { condition }),
  };
  evaluation.push(...(await ownAll(ws, buildPlan(ctx, forwardPlan(discriminator, pass)))));
  const realism = await createRepairRealism(ctx, {
    rows: starts,
    logits: D.outputs.at(-1)!,
    logitGrads: D.grads.at(-1)!,
    scores: buffers.scores,
    weight: settings.realism,
    ...realismHead(config),
  });
  evaluation.push(ws.own(realism));
  const backward = backwardPlan(discriminator, {
    ...pass,
    grads: D.grads,
    scratch: D.scratch,
    inputGrad: { output: imageGrads },
    inputGradOnly: true,
  });
  evaluation.push(...(await ownAll(ws, buildPlan(ctx, backward))));
  return imageGrads;
}

/**
 * G's input of noise and one-hot class (rows × (noiseDim + classes)) and its gradient, the kernel
 * that joins them before G's forward pass, and the one that takes the noise's gradient from it.
 */
async function addClassInput(
  ctx: GpuContext,
  ws: Workspace,
  config: GanConfig,
  buffers: RepairBuffers,
  labels: GPUBuffer,
  rows: number,
): Promise<{ input: GPUBuffer; inputGrad: GPUBuffer; forward: Kernel; backward: Kernel }> {
  const shape = { rows, noiseWidth: config.noiseDim, classes: config.classes };
  const input = ws.rows('G input', rows, config.noiseDim + config.classes);
  const inputGrad = ws.rows('dG input', rows, config.noiseDim + config.classes);
  const forward = ws.own(
    await createClassInput(ctx, {
      ...shape,
      noise: buffers.z,
      labels,
      output: input,
      label: 'repair: noise and class',
    }),
  );
  const backward = ws.own(
    await createClassInputGrad(ctx, {
      ...shape,
      joinedGrads: inputGrad,
      noiseGrads: buffers.zGrad,
      label: 'repair: the noise columns of dG/dinput',
    }),
  );
  return { input, inputGrad, forward, backward };
}

/**
 * A network's buffers for one pass of `starts` rows: each block's output (the last one `last` when
 * given), each block's gradient, and scratch where a batch norm follows an activated block.
 */
function passBuffers(
  net: NetworkWeights,
  rows: (name: string, width: number) => GPUBuffer,
  name: string,
  last?: GPUBuffer,
): { outputs: GPUBuffer[]; grads: GPUBuffer[]; scratch: Array<GPUBuffer | null> } {
  const blocks = net.blocks;
  const lastBlock = blocks.length - 1;
  const outputs = blocks.map((b, i) => (i === lastBlock && last ? last : rows(`${name} out ${i}`, b.width)));
  const grads = blocks.map((b, i) => rows(`${name} grad ${i}`, b.width));
  const scratch = blocks.map((_, i) =>
    needsScratch(blocks, i) ? rows(`${name} scratch ${i}`, blocks[i - 1]!.width) : null,
  );
  return { outputs, grads, scratch };
}

/** Restoration's chain on G(z), built for fitting; its forward joins `evaluation`, its backward is the caller's. */
async function addDegradation(
  ctx: GpuContext,
  ws: Workspace,
  evaluation: Kernel[],
  config: GanConfig,
  buffers: RepairBuffers,
  settings: RepairSettings,
): Promise<DegradationChain> {
  const side = Math.round(Math.sqrt(config.dataDim / config.channels));
  const geometry = { rows: settings.starts, channels: config.channels, height: side, width: side };
  const chain = ws.own(
    await buildDegradationChain(ctx, settings.degradation!, {
      geometry,
      purpose: 'fit',
      input: buffers.generated,
      ...(settings.degradationMask && { mask: settings.degradationMask }),
      ...(settings.blurKernel && { blurKernel: settings.blurKernel }),
    }),
  );
  evaluation.push(...chain.forward);
  return chain;
}

async function ownAll(ws: Workspace, kernels: Promise<Kernel[]>): Promise<Kernel[]> {
  return (await kernels).map((k) => ws.own(k));
}
