// The objective of image repair by latent search, per starting point r (a row of the batch):
//   L_r = (1 / K) Σ_j m_j (y_rj − x_j)²  +  λ · softplus(−D(y_r))
// y_r = G(z_r) the generated image, x the damaged image, m_j ≥ 0 pixel j's weight (1 known, 0 to
// fill; Yeh et al.'s weighting gives a known pixel more the nearer it is to the hole), K = Σ m_j,
// D the discriminator's logit. The first term asks y to agree with the known pixels;
// the second, the non-saturating generator loss, asks D to find y real, so the unknown pixels are
// filled with something that looks like the data rather than anything at all.
//
// Two entry points, recorded around the discriminator's backward pass:
//   repair_realism: λ·softplus(−D) per row into scores, and its gradient λ(σ(D) − 1) with respect
//                   to the logit, the top gradient of D's backward pass (which yields ∂/∂y). A D
//                   that reads classes ends in `dim` logits a row: its real/fake logit D is their
//                   log-sum-exp (K + 1, Salimans et al.), each class logit's gradient that of D
//                   times its softmax; or its last logit (two heads), the class logits' gradient 0.
//   repair_pixels:  the known pixels' (weighted) mean squared error per row into scores, and the
//                   gradient of L with respect to the generator's last pre-activation,
//                   (2 m (y − x) / K + ∂realism/∂y) ⊙ f'(y), the top gradient of G's backward pass.
//   repair_gate:    restoration (src/restore/): the data fit compares A(y) with the degraded picture,
//                   its gradient comes back through the operator's backward pass as fit_grads, and
//                   this adds the realism gradient and gates by f'(y): (fit_grads + ∂realism/∂y) ⊙ f'(y).
//                   (repair_pixels then runs on A(y) with the identity activation and no realism.)
// scores holds two floats per row: (known-pixel error, realism term).
// requires: activation_math.wgsl, workgroup_sum.wgsl

struct RepairParams {
  rows: u32,
  dim: u32,             // pixels per image
  inv_known: f32,       // 1 / K, K the weights' sum
  realism_weight: f32,  // λ
  alpha: f32,           // leaky-ReLU slope, for the generator's output activation
}

override OUTPUT_ACTIVATION: u32 = 2u;  // ACT_* of the generator's last layer
override HEAD: u32 = 0u;               // how repair_realism reads D's logits: one of HEAD_* below

const HEAD_ONE_LOGIT = 0u;     // one real/fake logit a row
const HEAD_LOG_SUM_EXP = 1u;   // `dim` class logits, their log-sum-exp the real/fake logit
const HEAD_LAST_LOGIT = 2u;    // class logits, then a real/fake logit of its own
override REALISM: bool = true;         // whether image_grads holds D's gradient to add

@group(0) @binding(0) var<uniform> params: RepairParams;
@group(0) @binding(1) var<storage, read> generated: array<f32>;    // rows × dim: y
@group(0) @binding(2) var<storage, read> target_image: array<f32>; // dim: x
@group(0) @binding(3) var<storage, read> known: array<f32>;        // dim: m, each weight ≥ 0
@group(0) @binding(4) var<storage, read> image_grads: array<f32>;  // rows × dim: ∂realism/∂y
@group(0) @binding(5) var<storage, read_write> output_grads: array<f32>; // rows × dim
@group(0) @binding(6) var<storage, read_write> scores: array<f32>; // rows × 2
@group(0) @binding(7) var<storage, read> logits: array<f32>;       // rows × dim (repair_realism): D(y)
@group(0) @binding(8) var<storage, read_write> logit_grads: array<f32>; // rows × dim
@group(0) @binding(9) var<storage, read> fit_grads: array<f32>;    // rows × dim: Aᵀ ∂fit/∂A(y)

const THREADS = 256u;

// A thread per row: the realism term and its gradient with respect to the logits (`dim` a row).
@compute @workgroup_size(THREADS)
fn repair_realism(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = gid.x + gid.y * groups.x * THREADS;
  if (r >= params.rows) { return; }
  let first = r * params.dim;
  let last = first + params.dim - 1u;
  var logit = logits[last];
  // The log-sum-exp about the largest logit, so that no exp overflows; `total` ≥ 1.
  var largest = logits[first];
  var total = 1.0;
  if (HEAD == HEAD_LOG_SUM_EXP) {
    for (var i = first + 1u; i <= last; i++) { largest = max(largest, logits[i]); }
    total = 0.0;
    for (var i = first; i <= last; i++) { total += exp(logits[i] - largest); }
    logit = largest + log(total);
  }
  scores[2u * r + 1u] = params.realism_weight * softplus(-logit);
  let grad = params.realism_weight * (stable_sigmoid(logit) - 1.0);
  for (var i = first; i <= last; i++) {
    var share = select(0.0, 1.0, i == last);
    if (HEAD == HEAD_LOG_SUM_EXP) { share = exp(logits[i] - largest) / total; }
    logit_grads[i] = grad * share;
  }
}

// A workgroup per row: each thread takes every THREADS-th pixel, then a fixed-order tree sums the
// squared errors, so the score is the same on every run.
@compute @workgroup_size(THREADS)
fn repair_pixels(
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let r = wid.x + wid.y * groups.x;
  var squared = 0.0;
  if (r < params.rows) {
    for (var j = lid.x; j < params.dim; j += THREADS) {
      let i = r * params.dim + j;
      let y = generated[i];
      let weight = known[j];
      // (For a 0/1 mask these are the products of the unweighted error, bit for bit.)
      let difference = y - target_image[j];
      var grad = 2.0 * weight * difference * params.inv_known;
      if (REALISM) { grad += image_grads[i]; }
      output_grads[i] = grad * derivative_from_output(OUTPUT_ACTIVATION, y, params.alpha);
      squared += weight * difference * difference;
    }
  }
  let total = workgroup_sum3(vec3<f32>(squared, 0.0, 0.0), lid.x);
  if (r < params.rows && lid.x == 0u) { scores[2u * r] = total.x * params.inv_known; }
}

// A thread per value: the data fit's gradient from the operator's backward pass, the realism
// gradient beside it, gated by the output activation's derivative.
@compute @workgroup_size(THREADS)
fn repair_gate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * THREADS;
  if (i >= params.rows * params.dim) { return; }
  var grad = fit_grads[i];
  if (REALISM) { grad += image_grads[i]; }
  output_grads[i] = grad * derivative_from_output(OUTPUT_ACTIVATION, generated[i], params.alpha);
}
