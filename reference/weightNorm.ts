// Weight normalisation in float64 (Salimans and Kingma, 2016; torch.nn.utils.weight_norm with
// dim = 0): row i of W (rows × cols) is g_i · v_i / ‖v_i‖, with the guard of
// shaders/weight_norm.wgsl (‖v_i‖ at least 1e-12), and the gradients of v and g from the gradient
// G of the normalised weight.

/** Each row's ‖v_i‖ (at least 1e-12). */
export function rowNorms(v: ArrayLike<number>, rows: number, cols: number): Float64Array {
  return Float64Array.from({ length: rows }, (_, i) => {
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += v[i * cols + j]! ** 2;
    return Math.max(Math.sqrt(sum), 1e-12);
  });
}

/** g_i · v_i / ‖v_i‖, row by row. */
export function weightNormReference(
  v: ArrayLike<number>,
  g: ArrayLike<number>,
  rows: number,
  cols: number,
): Float64Array {
  const norms = rowNorms(v, rows, cols);
  return Float64Array.from({ length: rows * cols }, (_, e) => {
    const i = Math.floor(e / cols);
    return (g[i]! * v[e]!) / norms[i]!;
  });
}

/**
 * dL/dv and dL/dg from G = dL/dw: dL/dg_i = ⟨G_i, v_i⟩/‖v_i‖, dL/dv_i = (g_i/‖v_i‖)(G_i − dL/dg_i·v_i/‖v_i‖).
 * Also Σ|terms| per entry of each, the scale of its float32 rounding.
 */
export function weightNormGradientReference(
  grad: ArrayLike<number>,
  v: ArrayLike<number>,
  g: ArrayLike<number>,
  rows: number,
  cols: number,
): { v: Float64Array; g: Float64Array; vMagnitude: Float64Array; gMagnitude: Float64Array } {
  const norms = rowNorms(v, rows, cols);
  const out = {
    v: new Float64Array(rows * cols),
    g: new Float64Array(rows),
    vMagnitude: new Float64Array(rows * cols),
    gMagnitude: new Float64Array(rows),
  };
  for (let i = 0; i < rows; i++) {
    let inner = 0,
      innerMagnitude = 0;
    for (let j = 0; j < cols; j++) {
      inner += grad[i * cols + j]! * v[i * cols + j]!;
      innerMagnitude += Math.abs(grad[i * cols + j]! * v[i * cols + j]!);
    }
    const n = norms[i]!;
    out.g[i] = inner / n;
    out.gMagnitude[i] = innerMagnitude / n;
    const factor = Math.abs(g[i]!) / n;
    for (let j = 0; j < cols; j++) {
      const e = i * cols + j;
      out.v[e] = (g[i]! / n) * (grad[e]! - (out.g[i]! / n) * v[e]!);
      out.vMagnitude[e] = factor * (Math.abs(grad[e]!) + (innerMagnitude / n / n) * Math.abs(v[e]!));
    }
  }
  return out;
}
