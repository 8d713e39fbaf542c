// Adam with bias correction and optional decoupled weight decay (AdamW), in place, over one
// flat parameter buffer. The step number t is read from word STEP_WORD of a GPU counter
// (counter.wgsl) so that many steps can be recorded without any upload. With COMMIT_STEP, the
// last kernel of a step also copies word 1 (the step in progress) to word 0 (see counter.wgsl).
// Order of operations follows torch.optim.AdamW: decay, moments, then the corrected step.
// With EMA set, an exponential moving average of the weights is updated in the same pass
// (ema = decay·ema + (1 − decay)·w after the step), which costs one read and one write. With a
// warm-up W > 0 the decay of step t is min(decay, (1 + t) / (W + t)): short averages early on.
// With FLAG_NON_FINITE, any thread whose new weight, moment or average is NaN or infinite sets
// non_finite[0] to 1: a divergence alarm that the trainer's periodic statistics read carries
// back, so no step needs a readback of its own. Every writer stores the same value, so the race
// between them is harmless.

struct AdamParams {
  n: u32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  epsilon: f32,
  weight_decay: f32,
  ema_decay: f32,
  ema_warmup: f32,  // 0: none
}

override EMA: bool = false;
override STEP_WORD: u32 = 0u;
override COMMIT_STEP: bool = false;  // needs STEP_WORD 1: thread 0 writes word 0, which no one here reads
override FLAG_NON_FINITE: bool = false;

@group(0) @binding(0) var<uniform> params: AdamParams;
@group(0) @binding(1) var<storage, read_write> weights: array<f32>;
@group(0) @binding(2) var<storage, read> grads: array<f32>;
@group(0) @binding(3) var<storage, read_write> moment1: array<f32>;
@group(0) @binding(4) var<storage, read_write> moment2: array<f32>;
@group(0) @binding(5) var<storage, read_write> step_count: array<u32>;
@group(0) @binding(6) var<storage, read_write> ema_weights: array<f32>;
@group(0) @binding(7) var<storage, read_write> non_finite: array<f32>;

// By the exponent bits: a compiler may fold `x != x` away under fast-math assumptions.
fn is_finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

const THREADS = 256u;  // per workgroup; the host sizes its grid from the reflected workgroup size

@compute @workgroup_size(THREADS)
fn adam_step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * THREADS;
  let step = step_count[STEP_WORD];
  if (COMMIT_STEP && i == 0u) { step_count[0] = step; }
  if (i >= params.n) { return; }
  // A counter still at 0 would divide by zero; treat it as the first step.
  let t = f32(max(step, 1u));
  let correction1 = 1.0 - pow(params.beta1, t);
  let correction2 = 1.0 - pow(params.beta2, t);
  let g = grads[i];
  var w = weights[i] * (1.0 - params.lr * params.weight_decay);
  let m = params.beta1 * moment1[i] + (1.0 - params.beta1) * g;
  let v = params.beta2 * moment2[i] + (1.0 - params.beta2) * g * g;
  moment1[i] = m;
  moment2[i] = v;
  w -= (params.lr / correction1) * m / (sqrt(v) / sqrt(correction2) + params.epsilon);
  weights[i] = w;
  var average = 0.0;
  if (EMA) {
    var decay = params.ema_decay;
    if (params.ema_warmup > 0.0) { decay = min(decay, (1.0 + t) / (params.ema_warmup + t)); }
    average = decay * ema_weights[i] + (1.0 - decay) * w;
    ema_weights[i] = average;
  }
  if (FLAG_NON_FINITE && !(is_finite(w) && is_finite(m) && is_finite(v) && is_finite(average))) {
    non_finite[0] = 1.0;
  }
}
