// Activation functions and their derivatives, shared by every kernel with an activation epilogue.
// Those kernels name it in a `// requires:` line; scripts/wgsl.mjs appends it (WGSL has no include).
// Derivatives are written in terms of the activation's *output* y, so the backward pass needs
// only the stored activations, never the pre-activations.

const ACT_NONE: u32 = 0u;
const ACT_LEAKY_RELU: u32 = 1u;
const ACT_TANH: u32 = 2u;
const ACT_SIGMOID: u32 = 3u;

// tanh through exp(-2|x|): never forms exp of a large positive number, so it cannot overflow
// into inf/inf = NaN the way sinh/cosh can. The series keeps relative accuracy near zero.
fn stable_tanh(x: f32) -> f32 {
  let ax = abs(x);
  if (ax < 0.01) {
    let x2 = x * x;
    return x * (1.0 - x2 * (1.0 / 3.0 - x2 * (2.0 / 15.0)));
  }
  let e = exp(-2.0 * ax);
  return sign(x) * (1.0 - e) / (1.0 + e);
}

// Only ever exponentiates a non-positive number, so it is finite for every finite input.
fn stable_sigmoid(x: f32) -> f32 {
  if (x >= 0.0) {
    return 1.0 / (1.0 + exp(-x));
  }
  let e = exp(x);
  return e / (1.0 + e);
}

// log(1 + e) for e in [0, 1]; the series avoids the cancellation of log(1 + tiny).
fn log1p_small(e: f32) -> f32 {
  if (e < 1e-4) { return e * (1.0 - e * (0.5 - e * (1.0 / 3.0))); }
  return log(1.0 + e);
}

// softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^−|x|): finite for every finite x.
fn softplus(x: f32) -> f32 {
  return max(x, 0.0) + log1p_small(exp(-abs(x)));
}

// BCE statistics from sums over n rows split at `split`: (Σ loss, Σσ of rows < split, Σσ of the
// rest) → (Σ loss / divisor, mean σ of each part, 0 for an empty part).
fn bce_statistics(sums: vec3<f32>, n: u32, split: u32, divisor: f32) -> vec3<f32> {
  let second_count = n - split;
  return vec3<f32>(
    sums.x / divisor,
    select(0.0, sums.y / f32(split), split > 0u),
    select(0.0, sums.z / f32(second_count), second_count > 0u));
}

fn activate(kind: u32, x: f32, alpha: f32) -> f32 {
  switch (kind) {
    case 1u: { return select(alpha * x, x, x > 0.0); }
    case 2u: { return stable_tanh(x); }
    case 3u: { return stable_sigmoid(x); }
    default: { return x; }
  }
}

// f'(x) expressed through y = f(x).
fn derivative_from_output(kind: u32, y: f32, alpha: f32) -> f32 {
  switch (kind) {
    case 1u: { return select(alpha, 1.0, y > 0.0); }
    case 2u: { return 1.0 - y * y; }
    case 3u: { return y * (1.0 - y); }
    default: { return 1.0; }
  }
}
