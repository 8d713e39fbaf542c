// Batch normalisation over NCHW data seen as [N, C, S] (S = H·W; S = 1 for BatchNorm1d), with
// PyTorch's semantics: biased variance to normalise, unbiased variance for the running estimate,
// and an optional activation applied after the affine step.
//
// Training forward and backward give one workgroup to each channel: the N·S values of a channel
// are strided over its THREADS invocations and combined by workgroup_sum3's fixed tree, so the
// statistics come out bit-identical on every run (no atomics, no order that depends on timing).
// Eval forward is element-wise, since it needs no statistics.
//
// Every kernel may work on a window of rows, [first_row, first_row + batch), of tensors that hold
// more: a GAN's discriminator keeps its fake and real examples in one buffer and normalises each
// half by its own statistics (PyTorch runs D on each apart). A window, not a bound sub-range,
// because a half rarely starts on minStorageBufferOffsetAlignment.
//
// Variance by the corrected two-pass formula: a first pass finds a provisional mean m0; a second
// sums d = x − m0 and d², giving mean = m0 + Σd/n and var = (Σd² − (Σd)²/n)/n. Because d is
// small where x has a large common offset (and x − m0 is then exact), this keeps the precision
// that E[x²] − E[x]² loses to cancellation; the Σd term repairs the rounding in m0.
//
// Binding names avoid single letters: wgsl_reflect mistakes `gid.y` for a use of `y`.
// requires: activation_math.wgsl, workgroup_sum.wgsl

struct BatchNormParams {
  batch: u32,
  channels: u32,
  spatial: u32,   // S = H·W
  eps: f32,
  momentum: f32,  // weight of the new batch in the running estimates
  alpha: f32,     // leaky-ReLU slope
  first_row: u32, // the window's first row (see the file's head)
  grad_params: u32,  // GRAD_PARAMS_*: what the backward does with dgamma and dbeta
}

// The backward's dgamma and dbeta: not written (only dx is wanted), written, or added to what the
// buffers hold (a second window's share: one float32 addition, in recording order, so exact and
// the same on every run).
const GRAD_PARAMS_NONE = 0u;
const GRAD_PARAMS_WRITE = 1u;
const GRAD_PARAMS_ADD = 2u;

override ACTIVATION: u32 = 0u;  // ACT_* from activation_math.wgsl

@group(0) @binding(0) var<uniform> params: BatchNormParams;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
@group(0) @binding(4) var<storage, read> beta: array<f32>;
@group(0) @binding(5) var<storage, read_write> running_mean: array<f32>;
@group(0) @binding(6) var<storage, read_write> running_var: array<f32>;
// [C means, then C inverse standard deviations] of the last training batch, for the backward.
@group(0) @binding(7) var<storage, read_write> saved_stats: array<f32>;
// The running estimates again, read-only, so that eval may share their buffers with other readers.
@group(0) @binding(8) var<storage, read> eval_mean: array<f32>;
@group(0) @binding(9) var<storage, read> eval_var: array<f32>;
@group(0) @binding(10) var<storage, read> grad_output: array<f32>;
@group(0) @binding(11) var<storage, read_write> grad_input: array<f32>;
@group(0) @binding(12) var<storage, read_write> grad_gamma: array<f32>;
@group(0) @binding(13) var<storage, read_write> grad_beta: array<f32>;
// The forward's activated output, for f'(y) when an activation was fused.
@group(0) @binding(14) var<storage, read> saved_output: array<f32>;
// saved_stats again, read-only for the backward, so that it may share a buffer with its inputs.
@group(0) @binding(15) var<storage, read> batch_stats: array<f32>;

const THREADS = 256u;  // per workgroup, a power of two (workgroup_sum3's tree needs one)

// The channel a workgroup owns; the host splits more than 65535 channels over x and y.
fn channel_of(wid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return wid.x + wid.y * groups.x;
}

// The flat index of the k-th of channel c's N·S values (k = n·S + s).
fn element(c: u32, k: u32) -> u32 {
  let n = k / params.spatial;
  let s = k - n * params.spatial;
  return ((params.first_row + n) * params.channels + c) * params.spatial + s;
}

fn channel_mean(c: u32, t: u32, count: u32) -> f32 {
  var sum = 0.0;
  for (var k = t; k < count; k += THREADS) { sum += input[element(c, k)]; }
  return workgroup_sum3(vec3<f32>(sum, 0.0, 0.0), t).x / f32(count);
}

// (mean, biased variance) of channel c by the corrected two-pass formula (see the file's head).
fn channel_statistics(c: u32, t: u32, count: u32) -> vec2<f32> {
  let provisional = channel_mean(c, t, count);
  // Every invocation must have read the first total before the tree's memory is reused.
  workgroupBarrier();
  var deviations = vec2<f32>(0.0, 0.0);  // (Σd, Σd²)
  for (var k = t; k < count; k += THREADS) {
    let d = input[element(c, k)] - provisional;
    deviations += vec2<f32>(d, d * d);
  }
  let sums = workgroup_sum3(vec3<f32>(deviations, 0.0), t);
  let n = f32(count);
  let shift = sums.x / n;
  return vec2<f32>(provisional + shift, max(sums.y / n - shift * shift, 0.0));
}

@compute @workgroup_size(THREADS)
fn batch_norm_train_forward(
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let c = channel_of(wid, groups);
  if (c >= params.channels) { return; }  // uniform: the whole workgroup leaves together
  let t = lid.x;
  let count = params.batch * params.spatial;
  let stats = channel_statistics(c, t, count);
  let inv_std = inverseSqrt(stats.y + params.eps);
  let scale = gamma[c] * inv_std;
  // (x − mean)·scale, not x·scale + (beta − mean·scale): with a large offset the latter cancels.
  for (var k = t; k < count; k += THREADS) {
    let i = element(c, k);
    output[i] = activate(ACTIVATION, (input[i] - stats.x) * scale + beta[c], params.alpha);
  }
  if (t == 0u) {
    saved_stats[c] = stats.x;
    saved_stats[params.channels + c] = inv_std;
    let unbiased = stats.y * f32(count) / f32(count - 1u);
    let m = params.momentum;
    running_mean[c] = (1.0 - m) * running_mean[c] + m * stats.x;
    running_var[c] = (1.0 - m) * running_var[c] + m * unbiased;
  }
}

@compute @workgroup_size(THREADS)
fn batch_norm_eval_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let j = gid.x + gid.y * groups.x * THREADS;
  if (j >= params.batch * params.channels * params.spatial) { return; }
  let c = (j / params.spatial) % params.channels;
  let i = params.first_row * params.channels * params.spatial + j;
  let scale = gamma[c] * inverseSqrt(eval_var[c] + params.eps);
  let normalised = (input[i] - eval_mean[c]) * scale + beta[c];
  output[i] = activate(ACTIVATION, normalised, params.alpha);
}

// dL/dz for z the affine output: dL/dy through the fused activation, if any.
fn grad_affine(i: u32) -> f32 {
  if (ACTIVATION == ACT_NONE) { return grad_output[i]; }
  return grad_output[i] * derivative_from_output(ACTIVATION, saved_output[i], params.alpha);
}

// dgamma = Σ g·x̂ and dbeta = Σ g are written, added or left alone (GRAD_PARAMS_*), and
// dx = gamma·invstd·(g − Σg/n − x̂·Σ(g·x̂)/n), which is the usual formula with 1/n taken inside.
@compute @workgroup_size(THREADS)
fn batch_norm_backward(
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let c = channel_of(wid, groups);
  if (c >= params.channels) { return; }
  let t = lid.x;
  let count = params.batch * params.spatial;
  let mean = batch_stats[c];
  let inv_std = batch_stats[params.channels + c];
  var partial = vec2<f32>(0.0, 0.0);  // (Σg, Σg·x̂)
  for (var k = t; k < count; k += THREADS) {
    let i = element(c, k);
    let g = grad_affine(i);
    partial += vec2<f32>(g, g * (input[i] - mean) * inv_std);
  }
  let sums = workgroup_sum3(vec3<f32>(partial, 0.0), t);
  if (t == 0u && params.grad_params != GRAD_PARAMS_NONE) {
    var dbeta = sums.x;
    var dgamma = sums.y;
    if (params.grad_params == GRAD_PARAMS_ADD) {
      dbeta += grad_beta[c];
      dgamma += grad_gamma[c];
    }
    grad_beta[c] = dbeta;
    grad_gamma[c] = dgamma;
  }
  let n = f32(count);
  let mean_grad = sums.x / n;
  let mean_grad_xhat = sums.y / n;
  let scale = gamma[c] * inv_std;
  for (var k = t; k < count; k += THREADS) {
    let i = element(c, k);
    let x_hat = (input[i] - mean) * inv_std;
    grad_input[i] = scale * (grad_affine(i) - mean_grad - x_hat * mean_grad_xhat);
  }
}

// The eval-mode backward, dx = dL/dz · gamma / sqrt(running_var + eps), element-wise: in eval
// mode the mean and variance are constants, so each value's gradient is its own, scaled per
// channel (a network run forward to be differentiated with respect to its input: repair's search).
@compute @workgroup_size(THREADS)
fn batch_norm_eval_backward(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let j = gid.x + gid.y * groups.x * THREADS;
  if (j >= params.batch * params.channels * params.spatial) { return; }
  let c = (j / params.spatial) % params.channels;
  let i = params.first_row * params.channels * params.spatial + j;
  grad_input[i] = grad_affine(i) * gamma[c] * inverseSqrt(eval_var[c] + params.eps);
}
