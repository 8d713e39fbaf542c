// A chain of degradations on the GPU, built once: each stage's kernel (forward) and the kernel
// that carries a gradient back through it (the adjoint, or exposure's derivative), recorded in
// order into the caller's command buffer. Built for `degrade` it makes a degraded picture, noise
// included; built for `fit` it leaves noise out (the fit compares with the noisy picture itself)
// and adds the backward pass that latent search needs.
import { requireArrayLike, requireContext, requireObject } from '../base/arguments.js';
import { ArgumentError } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { Workspace } from '../gpu/workspace.js';
import {
  createBlur,
  createDownscale,
  createExposure,
  createMask,
  createNoise,
  downscaledGeometry,
  pictureSize,
  type ImageGeometry,
} from '../kernels/degrade.js';
import type { Kernel } from '../kernels/kernel.js';
import { STREAMS } from '../kernels/streams.js';
import { isFitted, type Degradation, type NoiseDegradation } from './spec.js';
import { gaussianTaps, type BlurTaps } from './taps.js';

export type ChainPurpose = 'degrade' | 'fit';

export interface ChainOptions {
  /** The clean pictures the chain starts from. */
  geometry: ImageGeometry;
  purpose: ChainPurpose;
  /** rows × C×H×W: the pictures to degrade (a fit's G(z)). */
  input: GPUBuffer;
  /** fit: 1 where a value is known, for every mask of the chain instead of its band (C×H×W or H×W). */
  mask?: ArrayLike<number>;
  /** Every blur's kernel instead of its Gaussian (e.g. a kernel given as a picture). */
  blurKernel?: BlurTaps;
  /**
   * degrade: the step counter word whose step picks the noise's numbers (a restorer in training
   * degrades each batch with new noise); default a fixed block.
   */
  noiseStep?: { buffer: GPUBuffer; word: 0 | 1 };
}

export interface DegradationChain {
  readonly ws: Workspace;
  /** The degraded pictures' geometry (downscaling shrinks them). */
  readonly outputGeometry: ImageGeometry;
  /** Where forward writes A(input); the input itself when the chain has nothing to do. */
  readonly output: GPUBuffer;
  /** fit: where the caller writes ∂L/∂output; backward leaves ∂L/∂input in inputGrad. */
  readonly outputGrad: GPUBuffer | null;
  readonly inputGrad: GPUBuffer | null;
  readonly forward: Kernel[];
  readonly backward: Kernel[];
  destroy(): void;
}

/** Builds the chain's buffers and kernels for `options.geometry.rows` pictures at once. */
export function buildDegradationChain(
  ctx: GpuContext,
  chain: readonly Degradation[],
  options: ChainOptions,
): Promise<DegradationChain> {
  requireContext(ctx);
  requireArrayLike('chain', chain, 'an array of degradations (from parseDegradation)');
  requireObject('options', options, 'an object of settings');
  const stages = options.purpose === 'fit' ? chain.filter(isFitted) : [...chain];
  return Workspace.build(ctx, 'degradation', async (ws) => {
    const forward: Kernel[] = [];
    const backward: Kernel[] = [];
    let geometry = options.geometry;
    let values = options.input;
    const inputs: GPUBuffer[] = [];
    const geometries: ImageGeometry[] = [];
    for (const [index, stage] of stages.entries()) {
      inputs.push(values);
      geometries.push(geometry);
      const next = stage.kind === 'downscale' ? downscaledGeometry(geometry, stage.factor) : geometry;
      const out = ws.storage(`stage ${index + 1} ${stage.kind}`, next.rows * pictureSize(next));
      forward.push(...(await stageForward(ctx, ws, stage, index, geometry, values, out, options)));
      [values, geometry] = [out, next];
    }
    if (options.purpose === 'degrade' || stages.length === 0) {
      const outputGrad =
        options.purpose === 'fit' ? ws.storage('output grad', geometry.rows * pictureSize(geometry)) : null;
      return chainOf(ws, geometry, values, outputGrad, outputGrad, forward, backward);
    }
    const outputGrad = ws.storage('output grad', geometry.rows * pictureSize(geometry));
    let grad = outputGrad;
    for (let index = stages.length - 1; index >= 0; index--) {
      const g = geometries[index]!;
      const inputGrad = ws.storage(`stage ${index + 1} input grad`, g.rows * pictureSize(g));
      const stage = stages[index]! as Exclude<Degradation, NoiseDegradation>;
      const kernel = await linearOrExposure(
        ctx,
        ws,
        stage,
        index,
        g,
        'adjoint',
        grad,
        inputGrad,
        inputs[index]!,
        options,
      );
      backward.push(ws.own(kernel));
      grad = inputGrad;
    }
    return chainOf(ws, geometry, values, outputGrad, grad, forward, backward);
  });
}

function chainOf(
  ws: Workspace,
  outputGeometry: ImageGeometry,
  output: GPUBuffer,
  outputGrad: GPUBuffer | null,
  inputGrad: GPUBuffer | null,
  forward: Kernel[],
  backward: Kernel[],
): DegradationChain {
  return { ws, outputGeometry, output, outputGrad, inputGrad, forward, backward, destroy: () => ws.destroy() };
}

async function stageForward(
  ctx: GpuContext,
  ws: Workspace,
  stage: Degradation,
  index: number,
  g: ImageGeometry,
  source: GPUBuffer,
  result: GPUBuffer,
  options: ChainOptions,
): Promise<Kernel[]> {
  if (stage.kind === 'noise') return noiseKernels(ctx, ws, stage, index, g, source, result, options.noiseStep);
  return [ws.own(await linearOrExposure(ctx, ws, stage, index, g, 'forward', source, result, source, options))];
}

async function linearOrExposure(
  ctx: GpuContext,
  ws: Workspace,
  stage: Exclude<Degradation, NoiseDegradation>,
  index: number,
  g: ImageGeometry,
  direction: 'forward' | 'adjoint',
  source: GPUBuffer,
  result: GPUBuffer,
  stageInput: GPUBuffer,
  options: ChainOptions,
): Promise<Kernel> {
  const n = g.rows * pictureSize(g);
  switch (stage.kind) {
    case 'blur': {
      const { taps, height, width } = options.blurKernel ?? gaussianTaps(stage.sigma);
      return createBlur(ctx, {
        geometry: g,
        taps,
        kernelHeight: height,
        kernelWidth: width,
        direction,
        source,
        result,
      });
    }
    case 'downscale':
      return createDownscale(ctx, { geometry: g, factor: stage.factor, direction, source, result });
    case 'exposure':
      return createExposure(ctx, { n, ...stage, direction, source, result, input: stageInput });
    case 'mask': {
      const mask = maskBuffer(ws, stage, g, options.mask, index, direction);
      return createMask(ctx, { rows: g.rows, dim: pictureSize(g), mask, source, result });
    }
  }
}

/** The mask stage's known values, made once and shared by its forward and adjoint kernels. */
function maskBuffer(
  ws: Workspace,
  stage: { first: number; last: number },
  g: ImageGeometry,
  given: ArrayLike<number> | undefined,
  index: number,
  direction: 'forward' | 'adjoint',
): GPUBuffer {
  const name = `stage ${index + 1} known values`;
  if (direction === 'adjoint') return ws.buffer(name);
  const plane = g.height * g.width;
  const known = new Float32Array(pictureSize(g)).fill(1);
  if (given) {
    if (given.length !== plane && given.length !== known.length)
      throw new ArgumentError(
        'mask',
        `must hold ${plane} (H×W) or ${known.length} (C×H×W) values, got ${given.length}`,
      );
    for (let i = 0; i < known.length; i++) known[i] = Number(given[i % given.length]) > 0.5 ? 1 : 0;
  } else {
    if (stage.last >= g.height)
      throw new ArgumentError('degradation', `mask: last=${stage.last} is outside pictures ${g.height} rows high`);
    for (let c = 0; c < g.channels; c++)
      known.fill(0, c * plane + stage.first * g.width, c * plane + (stage.last + 1) * g.width);
  }
  return ws.storage(name, known);
}

async function noiseKernels(
  ctx: GpuContext,
  ws: Workspace,
  stage: NoiseDegradation,
  index: number,
  g: ImageGeometry,
  source: GPUBuffer,
  result: GPUBuffer,
  step: ChainOptions['noiseStep'],
): Promise<Kernel[]> {
  const n = g.rows * pictureSize(g);
  // A second noise stage of a chain draws other numbers than the first from the same seed.
  const seed = stage.seed + index;
  const common = { n, seed, result, ...(step && { stepCount: step.buffer, stepWord: step.word }) };
  if (stage.sigma > 0 && stage.salt > 0) {
    const between = ws.storage(`stage ${index + 1} gaussian part`, n);
    return [
      ws.own(
        await createNoise(ctx, {
          ...common,
          kind: 'gaussian',
          amount: stage.sigma,
          source,
          result: between,
          stream: STREAMS.degradeNoise,
        }),
      ),
      ws.own(
        await createNoise(ctx, {
          ...common,
          kind: 'salt-pepper',
          amount: stage.salt,
          source: between,
          stream: STREAMS.degradeSalt,
        }),
      ),
    ];
  }
  const [kind, amount, stream] =
    stage.sigma > 0
      ? (['gaussian', stage.sigma, STREAMS.degradeNoise] as const)
      : (['salt-pepper', stage.salt, STREAMS.degradeSalt] as const);
  return [ws.own(await createNoise(ctx, { ...common, kind, amount, source, stream }))];
}
