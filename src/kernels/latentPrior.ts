// The latent search's prior step (shaders/latent_prior.wgsl): each start's z scaled back onto the
// sphere of radius √d where a d-dimensional N(0, I) puts its mass, recorded after Adam on z.
import { ArgumentError, requirePositiveInteger } from '../base/errors.js';
import type { GpuContext } from '../gpu/context.js';
import { getPipeline } from '../gpu/pipelines.js';
import priorShader from '../../shaders/latent_prior.wgsl';
import { Bindings, BoundKernel, grid1d, type TensorRef } from './kernel.js';

export interface LatentToSphereSpec {
  rows: number;
  /** Values per z (the generator's noise width). */
  dim: number;
  /** rows × dim, rescaled in place. */
  latents: TensorRef;
  label?: string;
}

export async function createLatentToSphere(ctx: GpuContext, spec: LatentToSphereSpec): Promise<BoundKernel> {
  const rows = requirePositiveInteger('rows', spec.rows);
  const dim = requirePositiveInteger('dim', spec.dim);
  if (rows * dim >= 2 ** 32) throw new ArgumentError('rows', 'rows × dim must be below 2^32');
  const resources = new Bindings(ctx)
    .tensor('latents', 'latents', spec.latents, rows * dim)
    .forEntry(priorShader, 'latent_to_sphere');
  const compiled = await getPipeline(ctx.device, priorShader, 'latent_to_sphere');
  return new BoundKernel(
    ctx,
    compiled,
    spec.label ?? `latent prior: z onto the sphere ${rows}×${dim}`,
    resources,
    { rows, dim, radius: Math.sqrt(dim) },
    grid1d(ctx, rows),
  );
}
