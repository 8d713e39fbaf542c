// The discriminator's last layer (width → 1 logit) fused with its loss, for forward and backward:
//   logit_r = a_r · w + b                       (a: rows × width, the previous layer's output)
//   g_r     = ℓ'(logit_r, target_r) / divisor    (ℓ: LOSS of logit_loss.wgsl; BCE by default)
//   dA[r,j] = g_r · w_j · f'(a[r,j])            (the previous layer's pre-activation gradient)
//   dW_j    = Σ_r g_r · a[r,j],  db = Σ_r g_r    (this layer's parameter gradients)
// plus the loss and mean σ per half as statistics. As a matmul this layer is N = 1: a 64-wide
// tile would waste 63 of its 64 columns, and the loss, the input gradient and the weight gradient
// would be four dispatches with a barrier between each. Here they are one dispatch, or two for
// many rows: workgroups of `rows_per_group` rows write partial sums, and logit_head_reduce adds
// them up, many threads per column. Every sum has a fixed order, so results are deterministic.
// With ROW_OFFSETS (a projection discriminator's class term, shaders/class_projection.wgsl) each
// row's logit gets its own offset, read from `head_bias`, and each row's g_r is written to
// `bias_grad` for the class term's gradients.
// requires: activation_math.wgsl, logit_loss.wgsl

struct HeadParams {
  rows: u32,
  width: u32,
  rows_per_group: u32,
  split: u32,          // rows before it have target_first, the rest target_second
  target_first: f32,
  target_second: f32,
  divisor: f32,        // loss and gradients are divided by this (the batch for a mean)
  alpha: f32,          // leaky-ReLU slope for the gate
}

override GATE: u32 = 0u;                // activation whose derivative (from `head_input`) gates dA; 0: none
override HAS_INPUT_GRAD: bool = true;
override HAS_PARAM_GRADS: bool = true;
override HAS_BIAS: bool = true;       // false: a bias-free last layer (DCGAN's), no bias read or gradient
override ROW_OFFSETS: bool = false;   // head_bias: an offset per row; bias_grad: g per row (HAS_BIAS false)
override WRITE_PARTIALS: bool = false;  // several workgroups: sums go to `partials` for the reduce
override ACCUMULATE: bool = false;      // add into stats instead of overwriting

@group(0) @binding(0) var<uniform> params: HeadParams;
@group(0) @binding(1) var<storage, read> head_input: array<f32>;
@group(0) @binding(2) var<storage, read> head_weight: array<f32>;
@group(0) @binding(3) var<storage, read> head_bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> input_grad: array<f32>;
@group(0) @binding(5) var<storage, read_write> weight_grad: array<f32>;
@group(0) @binding(6) var<storage, read_write> bias_grad: array<f32>;
// [0] loss / divisor, [1] mean reading (σ, see logit_loss) of rows < split, [2] of rows ≥ split
@group(0) @binding(7) var<storage, read_write> stats: array<f32>;
// Per workgroup: Σg, Σloss, Σσ first, Σσ second, then (with parameter gradients) Σ g·a per column.
@group(0) @binding(8) var<storage, read_write> partials: array<f32>;

const THREADS = 256u;
// Threads per row for the logits: 16 lanes read a row's 16 neighbouring values at a time (two
// rows per 32-wide SIMD group, each 64 contiguous bytes), and a group of 16 rows fills all threads.
const LANES_PER_ROW = 16u;
const ROWS_PER_PASS = THREADS / LANES_PER_ROW;
const MAX_GROUP_ROWS = 1024u;
const PARTIAL_HEADER = 4u;

// Floats per workgroup in `partials`.
fn partial_stride() -> u32 {
  return select(PARTIAL_HEADER, params.width + PARTIAL_HEADER, HAS_PARAM_GRADS);
}

var<workgroup> group_grads: array<f32, MAX_GROUP_ROWS>;
var<workgroup> lane_sums: array<f32, THREADS>;
var<workgroup> thread_sums: array<vec4<f32>, THREADS>;

// The logit of each of this workgroup's rows, then its gradient into group_grads. Returns this
// thread's share of (Σg, Σloss, Σσ first, Σσ second).
fn logits_and_grads(first_row: u32, group_rows: u32, t: u32) -> vec4<f32> {
  let lane = t % LANES_PER_ROW;
  var sums = vec4<f32>(0.0);
  for (var base = 0u; base < group_rows; base += ROWS_PER_PASS) {
    let local_row = base + t / LANES_PER_ROW;
    var partial_dot = 0.0;
    if (local_row < group_rows) {
      let start = (first_row + local_row) * params.width;
      for (var j = lane; j < params.width; j += LANES_PER_ROW) {
        partial_dot += head_input[start + j] * head_weight[j];
      }
    }
    lane_sums[t] = partial_dot;
    workgroupBarrier();
    if (lane == 0u && local_row < group_rows) {
      var dot = 0.0;
      for (var l = 0u; l < LANES_PER_ROW; l++) { dot += lane_sums[t + l]; }
      var x = dot;
      if (HAS_BIAS) { x += head_bias[0]; }
      if (ROW_OFFSETS) { x += head_bias[first_row + local_row]; }
      let is_first = first_row + local_row < params.split;
      let wanted = select(params.target_second, params.target_first, is_first);
      let scored = logit_loss(x, wanted);
      let g = scored.y / params.divisor;
      group_grads[local_row] = g;
      if (ROW_OFFSETS) { bias_grad[first_row + local_row] = g; }
      let reading = scored.z;
      sums += vec4<f32>(g, scored.x, select(0.0, reading, is_first), select(reading, 0.0, is_first));
    }
    workgroupBarrier();  // lane_sums is rewritten by the next pass
  }
  return sums;
}

// dA over the group's rows as one flat, coalesced sweep.
fn input_gradient(first_row: u32, group_rows: u32, t: u32) {
  let start = first_row * params.width;
  let count = group_rows * params.width;
  for (var e = t; e < count; e += THREADS) {
    let local_row = e / params.width;
    let column = e - local_row * params.width;
    var value = group_grads[local_row] * head_weight[column];
    if (GATE != ACT_NONE) {
      value *= derivative_from_output(GATE, head_input[start + e], params.alpha);
    }
    input_grad[start + e] = value;
  }
}

// Σ_r g_r · a[r, column] over the group's rows, in row order; a thread per column.
fn weight_gradient(first_row: u32, group_rows: u32, t: u32, group_index: u32) {
  for (var column = t; column < params.width; column += THREADS) {
    var sum = 0.0;
    for (var r = 0u; r < group_rows; r++) {
      sum += group_grads[r] * head_input[(first_row + r) * params.width + column];
    }
    if (WRITE_PARTIALS) {
      partials[group_index * partial_stride() + PARTIAL_HEADER + column] = sum;
    } else {
      weight_grad[column] = sum;
    }
  }
}

// Writes the bias gradient and the statistics from the totals (Σg, Σloss, Σσ first, Σσ second).
fn finish(total: vec4<f32>) {
  if (HAS_PARAM_GRADS && HAS_BIAS) {
    bias_grad[0] = total.x;
  }
  let result = bce_statistics(total.yzw, params.rows, params.split, params.divisor);
  let previous = select(vec3<f32>(0.0), vec3<f32>(stats[0], stats[1], stats[2]), ACCUMULATE);
  stats[0] = previous.x + result.x; stats[1] = previous.y + result.y; stats[2] = previous.z + result.z;
}

@compute @workgroup_size(THREADS)
fn logit_head(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let t = lid.x;
  let group_index = wid.x;
  let first_row = group_index * params.rows_per_group;
  let group_rows = min(params.rows_per_group, params.rows - first_row);

  thread_sums[t] = logits_and_grads(first_row, group_rows, t);
  workgroupBarrier();  // group_grads complete
  if (HAS_INPUT_GRAD) { input_gradient(first_row, group_rows, t); }
  if (HAS_PARAM_GRADS) { weight_gradient(first_row, group_rows, t, group_index); }

  for (var stride = THREADS / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) { thread_sums[t] += thread_sums[t + stride]; }
    workgroupBarrier();
  }
  if (t == 0u) {
    if (WRITE_PARTIALS) {
      let slot = group_index * partial_stride();
      let total = thread_sums[0];
      partials[slot] = total.x;
      partials[slot + 1u] = total.y;
      partials[slot + 2u] = total.z;
      partials[slot + 3u] = total.w;
    } else {
      finish(thread_sums[0]);
    }
  }
}

// Column sums of `partials` (one row per workgroup of logit_head), COLUMNS_PER_REDUCE columns per
// workgroup: SLOTS threads per column each add every SLOTS-th group in order, then halve in a
// fixed tree. One thread per column adding all groups in turn would be a chain of dependent loads
// (BENCHMARKS.md, "Measurements behind the code's choices"). Workgroup 0 holds the four header
// columns and writes the bias gradient and statistics.
const COLUMNS_PER_REDUCE = 8u;
const SLOTS = THREADS / COLUMNS_PER_REDUCE;

@compute @workgroup_size(THREADS)
fn logit_head_reduce(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let stride = partial_stride();
  let groups = (params.rows + params.rows_per_group - 1u) / params.rows_per_group;
  let t = lid.x;
  let column = wid.x * COLUMNS_PER_REDUCE + t % COLUMNS_PER_REDUCE;
  let slot = t / COLUMNS_PER_REDUCE;
  var sum = 0.0;
  if (column < stride) {
    for (var g = slot; g < groups; g += SLOTS) { sum += partials[g * stride + column]; }
  }
  lane_sums[t] = sum;
  workgroupBarrier();
  for (var half = SLOTS / 2u; half > 0u; half /= 2u) {
    if (slot < half) { lane_sums[t] += lane_sums[t + half * COLUMNS_PER_REDUCE]; }
    workgroupBarrier();
  }
  if (slot == 0u && column >= PARTIAL_HEADER && column < stride && HAS_PARAM_GRADS) {
    weight_grad[column - PARTIAL_HEADER] = lane_sums[t];
  }
  if (wid.x == 0u && t == 0u) {
    finish(vec4<f32>(lane_sums[0], lane_sums[1], lane_sums[2], lane_sums[3]));
  }
}
