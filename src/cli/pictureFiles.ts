// The picture files of repair and restore: a degraded picture read at the size the chain leaves
// it, and the restored picture (or a strip beside the degraded one) written atomically as PNG.
import { readImageFile } from '../data/imageFolderNode.js';
import { prepareImage } from '../data/images.js';
import { encodePng } from '../io/png.js';
import { downscaledGeometry, type ImageGeometry } from '../kernels/degrade.js';
import { sampleGrid } from '../render/grid.js';
import type { Degradation } from '../restore/spec.js';
import { writeAtomically } from './files.js';

/** The picture's geometry after the chain (downscaling shrinks it). */
export function fittedGeometry(geometry: ImageGeometry, chain: readonly Degradation[]): ImageGeometry {
  return chain.reduce((g, d) => (d.kind === 'downscale' ? downscaledGeometry(g, d.factor) : g), geometry);
}

export function readPicture(file: string, g: ImageGeometry): Float32Array {
  // Bytes to the values training sees: (2·byte − 255) / 255 ∈ [−1, 1].
  const bytes = prepareImage(readImageFile(file), g.width, g.channels as 1 | 3);
  return Float32Array.from(bytes, (b) => (2 * b - 255) / 255);
}

export function writePictures(out: string, pictures: Float32Array[], dim: number, channels: 1 | 3, strip: boolean) {
  const values = Float32Array.from(pictures.flatMap((p) => Array.from(p)));
  const grid = sampleGrid(values, pictures.length, dim, { columns: pictures.length, padding: strip ? 2 : 0, channels });
  writeAtomically(out, encodePng(grid));
}
