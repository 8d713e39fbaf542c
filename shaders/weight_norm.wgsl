// Weight normalisation of a network's weight matrices (Salimans and Kingma, 2016): each row i of W
// (rows × cols, torch.nn.Linear layout; a convolution's output channel) is used as
//   w_i = g_i · v_i / ‖v_i‖
// where v is the trained weight and g a trained scale per row (torch.nn.utils.weight_norm with
// dim = 0). wn_normalize writes w, with the bias and g copied, into `normalized`, which the
// network's passes read; wn_gradients turns the gradient G of w into the gradients of v and g:
//   dL/dg_i = ⟨G_i, v_i⟩ / ‖v_i‖
//   dL/dv_i = (g_i / ‖v_i‖) · (G_i − (dL/dg_i / ‖v_i‖) · v_i)
// A workgroup per row, each layer's rows at workgroup_id.y = the layer: every layer of a network
// goes through one dispatch. Sums run in a fixed order, so results are deterministic.
// requires: workgroup_sum.wgsl

// One layer: its shape and where its tensors live, in floats. weight, bias and scale (g, rows
// floats) index `weights`, `normalized` and `grads` (the network's flat buffers); norms (rows
// floats, each row's ‖v_i‖ for the gradient) indexes `scratch`.
struct WnLayer {
  rows: u32,
  cols: u32,
  weight: u32,
  bias: u32,
  scale: u32,
  norms: u32,
  has_bias: u32,  // 0: a bias-free layer (a DCGAN convolution), nothing to copy
  pad: u32,
}

@group(0) @binding(0) var<storage, read> layers: array<WnLayer>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read_write> normalized: array<f32>;
@group(0) @binding(3) var<storage, read_write> grads: array<f32>;
@group(0) @binding(4) var<storage, read_write> scratch: array<f32>;

const THREADS = 256u;
// Guards the division by ‖v_i‖ for a row of zeros (PyTorch divides by zero there).
const EPS = 1e-12;

// ‖v_i‖ of row i, reduced across the workgroup in a fixed order.
fn row_norm(layer: WnLayer, row: u32, t: u32) -> f32 {
  var sum = 0.0;
  for (var j = t; j < layer.cols; j += THREADS) {
    let v = weights[layer.weight + row * layer.cols + j];
    sum += v * v;
  }
  return max(sqrt(workgroup_sum3(vec3<f32>(sum, 0.0, 0.0), t).x), EPS);
}

// w_i = g_i · v_i / ‖v_i‖ into `normalized`, with the row's bias and g copied as they are.
@compute @workgroup_size(THREADS)
fn wn_normalize(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let layer = layers[wid.y];
  let row = wid.x;
  // Rows past this layer's (the dispatch spans the longest layer) leave before the barrier: the
  // condition is the same across the workgroup, so control flow stays uniform for the others.
  if (row >= layer.rows) { return; }
  let t = lid.x;
  let norm = row_norm(layer, row, t);
  let g = weights[layer.scale + row];
  let factor = g / norm;
  for (var j = t; j < layer.cols; j += THREADS) {
    let e = layer.weight + row * layer.cols + j;
    normalized[e] = weights[e] * factor;
  }
  if (t == 0u) {
    scratch[layer.norms + row] = norm;
    normalized[layer.scale + row] = g;
    if (layer.has_bias != 0u) { normalized[layer.bias + row] = weights[layer.bias + row]; }
  }
}

// G_i (in `grads`, the gradient of w_i) into dL/dv_i in place, and dL/dg_i into g's slot.
@compute @workgroup_size(THREADS)
fn wn_gradients(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let layer = layers[wid.y];
  let row = wid.x;
  if (row >= layer.rows) { return; }
  let t = lid.x;
  var sum = 0.0;
  for (var j = t; j < layer.cols; j += THREADS) {
    let e = layer.weight + row * layer.cols + j;
    sum += grads[e] * weights[e];
  }
  let inner = workgroup_sum3(vec3<f32>(sum, 0.0, 0.0), t).x;
  let norm = scratch[layer.norms + row];
  let g_grad = inner / norm;
  let factor = weights[layer.scale + row] / norm;
  let along = g_grad / norm;
  for (var j = t; j < layer.cols; j += THREADS) {
    let e = layer.weight + row * layer.cols + j;
    grads[e] = factor * (grads[e] - along * weights[e]);
  }
  if (t == 0u) { grads[layer.scale + row] = g_grad; }
}
