// Softmax cross-entropy with class labels, fused: one pass gives every row's class probabilities,
// d(loss)/d(logit) and the reduced statistics (mean loss, accuracy). For a classifier's training
// step (with labels) and for scoring generated images (probabilities only, no labels).
//
//   p_c = exp(x_c − max_x) / Σ exp(x_j − max_x)        (no exp of a positive number)
//   loss = max_x + log Σ exp(x_j − max_x) − x_label    (= −log p_label)
//   d loss / d x_c = (p_c − [c = label]) / divisor
//
// Labels arrive as floats (a label set gathered by the same kernel and shuffle as the images). A
// label that is not a class index is counted in stats[2] and gives that row no loss and no target.
// A row's logits may be the first `classes` of `stride` values (a two-heads D's class logits,
// its real/fake logit after them); probabilities and gradients are written packed, rows × classes.
// One workgroup; each thread owns whole rows, then a fixed tree reduction: deterministic.
// requires: workgroup_sum.wgsl

struct SoftmaxParams {
  rows: u32,
  classes: u32,
  divisor: f32,  // loss and gradient are divided by this (rows for a mean)
  stride: u32,   // values from one row's first logit to the next's (classes or more)
}

override HAS_LABELS: bool = true;
override WRITE_GRAD: bool = true;
override WRITE_PROBS: bool = false;

@group(0) @binding(0) var<uniform> params: SoftmaxParams;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad_logits: array<f32>;
@group(0) @binding(4) var<storage, read_write> probabilities: array<f32>;
// [0] Σ loss / divisor, [1] fraction of rows whose most likely class is the label, [2] bad labels
@group(0) @binding(5) var<storage, read_write> stats: array<f32>;

const THREADS = 256u;

// The row's label as a class index, or `classes` when it has none (or a bad one).
fn row_label(row: u32) -> u32 {
  if (!HAS_LABELS) { return params.classes; }
  let value = labels[row];
  if (value >= 0.0 && value < f32(params.classes) && value == floor(value)) { return u32(value); }
  return params.classes;
}

@compute @workgroup_size(THREADS)
fn softmax_cross_entropy(@builtin(local_invocation_id) lid: vec3<u32>) {
  var sums = vec3<f32>(0.0);  // (loss, rows classified right, bad labels)
  for (var row = lid.x; row < params.rows; row += THREADS) {
    let base = row * params.stride;
    let out = row * params.classes;
    var top = logits[base];
    var best = 0u;
    for (var c = 1u; c < params.classes; c++) {
      if (logits[base + c] > top) { top = logits[base + c]; best = c; }
    }
    var total = 0.0;
    for (var c = 0u; c < params.classes; c++) { total += exp(logits[base + c] - top); }
    let log_total = log(total);
    let label = row_label(row);
    if (label < params.classes) {
      sums.x += top + log_total - logits[base + label];
      if (best == label) { sums.y += 1.0; }
    } else if (HAS_LABELS) {
      sums.z += 1.0;
    }
    for (var c = 0u; c < params.classes; c++) {
      let p = exp(logits[base + c] - top - log_total);
      if (WRITE_PROBS) { probabilities[out + c] = p; }
      if (WRITE_GRAD) { grad_logits[out + c] = (p - select(0.0, 1.0, c == label)) / params.divisor; }
    }
  }
  let total = workgroup_sum3(sums, lid.x);
  if (lid.x == 0u) {
    stats[0] = total.x / params.divisor;
    stats[1] = total.y / f32(params.rows);
    stats[2] = total.z;
  }
}
