// Spectral normalisation of a network's weight matrices (Miyato et al., 2018): each W (rows × cols,
// torch.nn.Linear layout) is used as W / σ, σ its largest singular value estimated by one step of
// power iteration per use from a vector u that persists between steps:
//   t = Wᵀu,  v = t / ‖t‖,  σ = ‖Wv‖ = ‖Wt‖ / ‖t‖,  u ← Wv / σ
// Three dispatches make the normalised copy (sn_left: t; sn_right: s = Wt; sn_scale: the norms,
// σ, u, v and W / σ), two more turn the gradient G of W / σ into the gradient of W, with u and v
// held constant as PyTorch's spectral_norm does:
//   dL/dW = (G − ⟨G, W/σ⟩ · u vᵀ) / σ
// (sn_grad_dot: per-chunk sums of G ⊙ W/σ; sn_grad_apply: their total, then the update). Every
// layer of the network goes through each dispatch at once: workgroup_id.y is the layer. Sums run in
// a fixed order, so results are deterministic.
// requires: workgroup_sum.wgsl

// One layer: its shape and where its tensors live, in floats. weight and bias index `weights`,
// `normalized` and `grads` (the network's flat buffers); u indexes `u_vectors`; v, t, s, sigma and
// partials index `scratch`.
struct SnLayer {
  rows: u32,
  cols: u32,
  weight: u32,
  bias: u32,
  u: u32,
  v: u32,
  t: u32,
  s: u32,
  sigma: u32,
  partials: u32,
  chunks: u32,  // CHUNK-float chunks of the weight matrix (workgroups of sn_grad_dot)
  has_bias: u32,  // 0: a bias-free layer (a DCGAN convolution), nothing to copy
}

@group(0) @binding(0) var<storage, read> layers: array<SnLayer>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read_write> normalized: array<f32>;
@group(0) @binding(3) var<storage, read_write> grads: array<f32>;
@group(0) @binding(4) var<storage, read_write> u_vectors: array<f32>;
@group(0) @binding(5) var<storage, read_write> scratch: array<f32>;

const THREADS = 256u;
// Floats of a matrix per workgroup in sn_scale, sn_grad_dot and sn_grad_apply (4 per thread).
const CHUNK = 1024u;
// Guards the divisions by ‖t‖ and σ, as torch.nn.functional.normalize's eps does.
const EPS = 1e-12;


// t = Wᵀu: a thread per column, down the rows (neighbouring threads read neighbouring floats).
@compute @workgroup_size(THREADS)
fn sn_left(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let layer = layers[wid.y];
  let j = gid.x;
  if (j >= layer.cols) { return; }
  var sum = 0.0;
  for (var i = 0u; i < layer.rows; i++) {
    sum += weights[layer.weight + i * layer.cols + j] * u_vectors[layer.u + i];
  }
  scratch[layer.t + j] = sum;
}

// s = W t: a workgroup per row, its threads along it, then a tree.
@compute @workgroup_size(THREADS)
fn sn_right(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let layer = layers[wid.y];
  let i = wid.x;
  var sum = 0.0;
  if (i < layer.rows) {
    for (var j = lid.x; j < layer.cols; j += THREADS) {
      sum += weights[layer.weight + i * layer.cols + j] * scratch[layer.t + j];
    }
  }
  let total = workgroup_sum3(vec3<f32>(sum, 0.0, 0.0), lid.x);
  if (i < layer.rows && lid.x == 0u) { scratch[layer.s + i] = total.x; }
}

// (‖t‖², ‖s‖²) of a layer, reduced across the workgroup in a fixed order.
fn squared_norms(layer: SnLayer, t: u32) -> vec2<f32> {
  var pair = vec2<f32>(0.0);
  for (var j = t; j < layer.cols; j += THREADS) { pair.x += scratch[layer.t + j] * scratch[layer.t + j]; }
  for (var i = t; i < layer.rows; i += THREADS) { pair.y += scratch[layer.s + i] * scratch[layer.s + i]; }
  return workgroup_sum3(vec3<f32>(pair, 0.0), t).xy;
}

// σ, and W / σ into `normalized` (the bias, where there is one, copied as it is). Workgroup 0 of each layer also
// writes u, v and σ for the gradient and the next step.
@compute @workgroup_size(THREADS)
fn sn_scale(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let layer = layers[wid.y];
  let t = lid.x;
  let norms = squared_norms(layer, t);
  let t_norm = max(sqrt(norms.x), EPS);
  let sigma = max(sqrt(norms.y) / t_norm, EPS);
  let matrix = layer.rows * layer.cols;
  let start = wid.x * CHUNK;
  for (var e = start + t; e < min(start + CHUNK, matrix + layer.rows); e += THREADS) {
    if (e < matrix) {
      normalized[layer.weight + e] = weights[layer.weight + e] / sigma;
    } else if (layer.has_bias != 0u) {
      normalized[layer.bias + e - matrix] = weights[layer.bias + e - matrix];
    }
  }
  if (wid.x == 0u) {
    for (var i = t; i < layer.rows; i += THREADS) { u_vectors[layer.u + i] = scratch[layer.s + i] / t_norm / sigma; }
    for (var j = t; j < layer.cols; j += THREADS) { scratch[layer.v + j] = scratch[layer.t + j] / t_norm; }
    if (t == 0u) { scratch[layer.sigma] = sigma; }
  }
}

// Σ G ⊙ (W / σ) over one chunk of a layer's matrix, into that layer's partials.
@compute @workgroup_size(THREADS)
fn sn_grad_dot(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let layer = layers[wid.y];
  let t = lid.x;
  let matrix = layer.rows * layer.cols;
  let start = wid.x * CHUNK;
  var sum = 0.0;
  for (var e = start + t; e < min(start + CHUNK, matrix); e += THREADS) {
    sum += grads[layer.weight + e] * normalized[layer.weight + e];
  }
  let total = workgroup_sum3(vec3<f32>(sum, 0.0, 0.0), t);
  if (t == 0u && wid.x < layer.chunks) { scratch[layer.partials + wid.x] = total.x; }
}

// G ← (G − ⟨G, W/σ⟩ · u vᵀ) / σ over one chunk, each workgroup adding up the layer's partials.
@compute @workgroup_size(THREADS)
fn sn_grad_apply(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let layer = layers[wid.y];
  let t = lid.x;
  var sum = 0.0;
  for (var k = t; k < layer.chunks; k += THREADS) { sum += scratch[layer.partials + k]; }
  let inner = workgroup_sum3(vec3<f32>(sum, 0.0, 0.0), t).x;
  let sigma = scratch[layer.sigma];
  let matrix = layer.rows * layer.cols;
  let start = wid.x * CHUNK;
  for (var e = start + t; e < min(start + CHUNK, matrix); e += THREADS) {
    let i = e / layer.cols;
    let j = e - i * layer.cols;
    let correction = inner * u_vectors[layer.u + i] * scratch[layer.v + j];
    grads[layer.weight + e] = (grads[layer.weight + e] - correction) / sigma;
  }
}
