// Binary cross-entropy with logits, fused: one pass computes d(loss)/d(logit) for every row and
// the reduced statistics (mean loss, mean sigmoid per half). Rows [0, split) have target
// target_first, rows [split, n) target_second; so a discriminator's real and fake halves
// (targets 1 and 0, or a smoothed 0.9) go through one dispatch.
//
// loss(x, t) = softplus(x) − t·x with softplus(x) = max(x, 0) + log1p(exp(−|x|)):
// no exp of a positive number, so logits of ±1e4 give finite losses and gradients.
// One workgroup; each thread strides over the rows, then a tree reduction in workgroup memory.
// The reduction order is fixed, so results are deterministic run to run.
// requires: activation_math.wgsl, workgroup_sum.wgsl

struct BceParams {
  n: u32,
  split: u32,
  target_first: f32,
  target_second: f32,
  divisor: f32,  // loss and gradient are divided by this (n for a mean)
}

override ACCUMULATE: bool = false;  // add into stats instead of overwriting

@group(0) @binding(0) var<uniform> params: BceParams;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad_logits: array<f32>;
// [0] loss / divisor, [1] mean sigmoid of rows < split, [2] mean sigmoid of rows >= split
@group(0) @binding(3) var<storage, read_write> stats: array<f32>;

const THREADS = 256u;

@compute @workgroup_size(THREADS)
fn bce_logits_loss_grad(@builtin(local_invocation_id) lid: vec3<u32>) {
  var sums = vec3<f32>(0.0);  // (loss, sigmoid sum first part, sigmoid sum second part)
  for (var i = lid.x; i < params.n; i += THREADS) {
    let x = logits[i];
    let first = i < params.split;
    let t = select(params.target_second, params.target_first, first);
    let p = stable_sigmoid(x);
    grad_logits[i] = (p - t) / params.divisor;
    sums.x += softplus(x) - t * x;
    if (first) { sums.y += p; } else { sums.z += p; }
  }
  let total = workgroup_sum3(sums, lid.x);
  if (lid.x == 0u) {
    let result = bce_statistics(total, params.n, params.split, params.divisor);
    let previous = select(vec3<f32>(0.0), vec3<f32>(stats[0], stats[1], stats[2]), ACCUMULATE);
    stats[0] = previous.x + result.x; stats[1] = previous.y + result.y; stats[2] = previous.z + result.z;
  }
}
