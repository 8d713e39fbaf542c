// The class term of a projection discriminator (Miyato and Koyama 2018): with φ the input of D's
// last layer (its features, rows × width) and V one row of width values per class,
//   logit(x, y) = w·φ(x) + b + V[y]·φ(x).
// projection_forward writes each row's b + V[y_r]·φ_r, which the logit head adds to its w·φ_r as a
// per-row bias; the head writes each row's loss gradient g_r, from which
//   projection_input_grad adds g_r·V[y_r, j]·f'(φ[r, j]) to the head's input gradient, and
//   projection_weight_grad writes dV[k, j] = Σ_{r: y_r = k} g_r·φ[r, j] (and db = Σ_r g_r).
// Row r takes the label of row r mod label_rows, so that a discriminator's fake rows share the real
// batch's labels. A label that is not a class index (never the case for a checked dataset) adds
// nothing. Every sum runs in a fixed order: the results are deterministic.
// requires: activation_math.wgsl

struct ProjectionParams {
  rows: u32,
  width: u32,
  classes: u32,
  label_rows: u32,
  alpha: f32,        // leaky-ReLU slope for the gate
}

override GATE: u32 = 0u;         // activation whose derivative (from `features`) gates the input gradient
override HAS_BIAS: bool = false;  // the head's bias: added to the offsets, its gradient written

@group(0) @binding(0) var<uniform> params: ProjectionParams;
@group(0) @binding(1) var<storage, read> features: array<f32>;
@group(0) @binding(2) var<storage, read> class_weight: array<f32>;       // classes × width
@group(0) @binding(3) var<storage, read> labels: array<f32>;
@group(0) @binding(4) var<storage, read> head_bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> offsets: array<f32>;       // rows
@group(0) @binding(6) var<storage, read> row_grads: array<f32>;           // rows: g_r from the head
@group(0) @binding(7) var<storage, read_write> input_grad: array<f32>;    // rows × width, added to
@group(0) @binding(8) var<storage, read_write> class_weight_grad: array<f32>;
@group(0) @binding(9) var<storage, read_write> bias_grad: array<f32>;

const ROW_THREADS = 64u;
const THREADS = 256u;

var<workgroup> partial: array<f32, ROW_THREADS>;

// The class index of row r, or params.classes where its label is not one.
fn class_of(r: u32) -> u32 {
  let label = labels[r % params.label_rows];
  let valid = label >= 0.0 && label < f32(params.classes) && label == floor(label);
  return select(params.classes, u32(label), valid);
}

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * THREADS;
}

// One workgroup per row: strided partial dot products, then a fixed halving tree.
@compute @workgroup_size(ROW_THREADS)
fn projection_forward(
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let r = wid.x + wid.y * groups.x;
  let t = lid.x;
  let c = class_of(min(r, params.rows - 1u));
  var sum = 0.0;
  if (r < params.rows && c < params.classes) {
    for (var j = t; j < params.width; j += ROW_THREADS) {
      sum += class_weight[c * params.width + j] * features[r * params.width + j];
    }
  }
  partial[t] = sum;
  workgroupBarrier();
  for (var stride = ROW_THREADS / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) { partial[t] += partial[t + stride]; }
    workgroupBarrier();
  }
  if (t == 0u && r < params.rows) {
    var value = partial[0];
    if (HAS_BIAS) { value += head_bias[0]; }
    offsets[r] = value;
  }
}

@compute @workgroup_size(THREADS)
fn projection_input_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.rows * params.width) { return; }
  let r = i / params.width;
  let c = class_of(r);
  if (c >= params.classes) { return; }
  var value = row_grads[r] * class_weight[c * params.width + i - r * params.width];
  if (GATE != ACT_NONE) {
    value *= derivative_from_output(GATE, features[i], params.alpha);
  }
  input_grad[i] += value;
}

// A thread per entry of V, adding its class's rows in row order; one more thread for db.
@compute @workgroup_size(THREADS)
fn projection_weight_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  let n = params.classes * params.width;
  if (i < n) {
    let k = i / params.width;
    let j = i - k * params.width;
    var sum = 0.0;
    for (var r = 0u; r < params.rows; r++) {
      if (class_of(r) == k) { sum += row_grads[r] * features[r * params.width + j]; }
    }
    class_weight_grad[i] = sum;
  }
  if (HAS_BIAS && i == n) {
    var sum = 0.0;
    for (var r = 0u; r < params.rows; r++) { sum += row_grads[r]; }
    bias_grad[0] = sum;
  }
}
