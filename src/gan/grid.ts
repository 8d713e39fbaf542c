// Lays out square grayscale samples (values in [−1, 1]) as one image: a grid, or a strip.

export interface GrayImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/** Side of a square image of `dim` pixels, or an error for data that is not images. */
export function imageSide(dim: number): number {
  const side = Math.round(Math.sqrt(dim));
  if (side * side !== dim) throw new Error(`samples of ${dim} values are not square images`);
  return side;
}

export function sampleGrid(
  samples: Float32Array,
  count: number,
  dim: number,
  columns = Math.ceil(Math.sqrt(count)),
  padding = 2,
): GrayImage {
  const side = imageSide(dim);
  const rows = Math.ceil(count / columns);
  const cell = side + padding;
  const width = columns * cell + padding,
    height = rows * cell + padding;
  const pixels = new Uint8Array(width * height); // black background, like MNIST's
  for (let i = 0; i < count; i++) {
    const ox = padding + (i % columns) * cell,
      oy = padding + Math.floor(i / columns) * cell;
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const v = samples[i * dim + y * side + x]!;
        pixels[(oy + y) * width + ox + x] = Math.round(
          Math.min(1, Math.max(-1, Number.isFinite(v) ? v : -1)) * 127.5 + 127.5,
        );
      }
    }
  }
  return { width, height, pixels };
}
