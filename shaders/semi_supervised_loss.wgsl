// The discriminator's loss with K class logits l(x) (Salimans et al. 2016, "Improved techniques
// for training GANs"): "fake" is an implicit K+1th class whose logit is held at 0, so that
//   P(real | x) = Z / (Z + 1),  Z = Σ_k exp(l_k),  and the real/fake logit is LSE(l) = log Z.
// Rows come in three blocks, each with its own loss:
//   [0, fake_rows)                   generated:  ℓ(LSE(l), target_fake) / divisor
//   [fake_rows, + real_rows)         real, unlabelled:  ℓ(LSE(l), target_real) / divisor
//   [fake_rows + real_rows, rows)    real, labelled:  −log softmax(l)_y / labelled_divisor
// with ℓ the real/fake loss of logit_loss.wgsl (BCE: −log D(x) and −log(1 − D(G(z))) exactly).
// The gradient of each row's logits is written: ∂ℓ/∂LSE · softmax(l) for the first two blocks,
// (softmax(l) − onehot(y)) / labelled_divisor for the third.
// An auxiliary classifier (AC-GAN in this K + 1 form) also classes rows of the first two blocks:
// rows [class_first, class_first + class_rows) add class_weight · (−log softmax(l)_y) / divisor,
// y = labels[r − class_first], to their real/fake loss (D: the real rows' classes; G: the classes
// its samples were drawn for). Their mean cross-entropy and accuracy go where a labelled block's
// would (a configuration has one or the other). One workgroup; each thread takes rows in turn and
// the sums are added in a fixed tree, so results are deterministic.
// With OWN_LOGIT (Odena et al.'s two heads) each row holds K class logits and then a real/fake
// logit of its own (rows × (K + 1)): the real/fake loss scores that logit alone, and the class
// logits learn only on classed or labelled rows, by their own softmax.
// requires: activation_math.wgsl, logit_loss.wgsl

struct SemiParams {
  rows: u32,
  classes: u32,
  fake_rows: u32,
  real_rows: u32,
  target_fake: f32,
  target_real: f32,
  divisor: f32,
  labelled_divisor: f32,
  // Scales the real/fake rows' loss and gradient: 0 trains on the labelled rows alone (a baseline).
  adversarial_weight: f32,
  class_first: u32,
  class_rows: u32,
  class_weight: f32,
}

override ACCUMULATE: bool = false;  // add into the statistics instead of overwriting them
override OWN_LOGIT: bool = false;   // a real/fake logit after the class logits, not their log-sum-exp

@group(0) @binding(0) var<uniform> params: SemiParams;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;        // one per labelled (or classed) row
@group(0) @binding(3) var<storage, read_write> grad_logits: array<f32>;
// [0] real/fake loss, [1] mean reading of the generated rows, [2] of the unlabelled real rows
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;
// [0] the labelled (or classed) rows' mean cross-entropy, [1] the fraction whose largest logit is their label
@group(0) @binding(5) var<storage, read_write> supervised: array<f32>;

const THREADS = 256u;

// Values per row: the class logits, and the real/fake logit where it is a column of its own.
fn row_width() -> u32 { return params.classes + select(0u, 1u, OWN_LOGIT); }

// Σ real/fake loss, Σ reading of generated rows, Σ reading of real rows, Σ cross-entropy; Σ correct.
var<workgroup> sums: array<vec4<f32>, THREADS>;
var<workgroup> correct: array<f32, THREADS>;

// log Σ_k exp(l_k) of row r, from its largest logit, and that logit's class.
fn log_sum_exp(r: u32) -> vec2<f32> {
  let base = r * row_width();
  var largest = logits[base];
  var arg = 0u;
  for (var k = 1u; k < params.classes; k++) {
    if (logits[base + k] > largest) { largest = logits[base + k]; arg = k; }
  }
  var total = 0.0;
  for (var k = 0u; k < params.classes; k++) { total += exp(logits[base + k] - largest); }
  return vec2<f32>(largest + log(total), f32(arg));
}

// The class of row r when it has one to learn (a labelled or classed row), else −1 (`classes`
// for a label that is no class: such a row is scored as wrong and its gradient pushes every logit down).
fn class_of(r: u32) -> i32 {
  let labelled_start = params.fake_rows + params.real_rows;
  var label = -1.0;
  if (r >= labelled_start) {
    label = labels[r - labelled_start];
  } else if (r >= params.class_first && r - params.class_first < params.class_rows) {
    label = labels[r - params.class_first];
  } else {
    return -1;
  }
  let valid = label >= 0.0 && label < f32(params.classes) && label == floor(label);
  return select(i32(params.classes), i32(label), valid);
}

// −log softmax(l)_y of row r (y = classes: no class, the whole log-sum-exp), and the softmax
// minus the one-hot over `scale`, added to the row's gradient when `add`, else written.
fn class_term(r: u32, y: u32, lse: f32, scale: f32, add: bool) -> f32 {
  let base = r * row_width();
  for (var k = 0u; k < params.classes; k++) {
    let hot = select(0.0, 1.0, k == y);
    let g = (exp(logits[base + k] - lse) - hot) / scale;
    grad_logits[base + k] = select(g, grad_logits[base + k] + g, add);
  }
  return lse - select(lse, logits[base + min(y, params.classes - 1u)], y < params.classes);
}

// Row r's share of the sums; writes its logits' gradient.
fn score_row(r: u32) -> vec4<f32> {
  let base = r * row_width();
  let lse = log_sum_exp(r);
  let labelled_start = params.fake_rows + params.real_rows;
  let y = class_of(r);
  if (OWN_LOGIT) { grad_logits[base + params.classes] = 0.0; }
  if (r < labelled_start) {
    let is_fake = r < params.fake_rows;
    let real_fake = select(lse.x, logits[base + params.classes], OWN_LOGIT);
    let scored = logit_loss(real_fake, select(params.target_real, params.target_fake, is_fake));
    let g = params.adversarial_weight * scored.y / params.divisor;
    for (var k = 0u; k < params.classes; k++) {
      grad_logits[base + k] = select(g * exp(logits[base + k] - lse.x), 0.0, OWN_LOGIT);
    }
    if (OWN_LOGIT) { grad_logits[base + params.classes] = g; }
    let loss = params.adversarial_weight * scored.x;
    var entropy = 0.0;
    if (y >= 0) { entropy = class_term(r, u32(y), lse.x, params.divisor / params.class_weight, true); }
    return vec4<f32>(loss, select(0.0, scored.z, is_fake), select(scored.z, 0.0, is_fake), entropy);
  }
  return vec4<f32>(0.0, 0.0, 0.0, class_term(r, u32(y), lse.x, params.labelled_divisor, false));
}

@compute @workgroup_size(THREADS)
fn semi_supervised_loss(@builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  var own = vec4<f32>(0.0);
  var right = 0.0;
  let labelled_start = params.fake_rows + params.real_rows;
  for (var r = t; r < params.rows; r += THREADS) {
    own += score_row(r);
    let y = class_of(r);
    if (y >= 0) { right += select(0.0, 1.0, log_sum_exp(r).y == f32(y)); }
  }
  sums[t] = own;
  correct[t] = right;
  workgroupBarrier();
  for (var stride = THREADS / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) {
      sums[t] += sums[t + stride];
      correct[t] += correct[t + stride];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    let total = sums[0];
    let labelled = params.rows - labelled_start;
    let result = vec3<f32>(
      total.x / params.divisor,
      select(0.0, total.y / f32(params.fake_rows), params.fake_rows > 0u),
      select(0.0, total.z / f32(params.real_rows), params.real_rows > 0u));
    let previous = select(vec3<f32>(0.0), vec3<f32>(stats[0], stats[1], stats[2]), ACCUMULATE);
    stats[0] = previous.x + result.x; stats[1] = previous.y + result.y; stats[2] = previous.z + result.z;
    if (labelled > 0u) {
      let before = select(vec2<f32>(0.0), vec2<f32>(supervised[0], supervised[1]), ACCUMULATE);
      supervised[0] = before.x + total.w / params.labelled_divisor;
      supervised[1] = before.y + correct[0] / f32(labelled);
    } else if (params.class_rows > 0u) {
      let before = select(vec2<f32>(0.0), vec2<f32>(supervised[0], supervised[1]), ACCUMULATE);
      supervised[0] = before.x + total.w / f32(params.class_rows);
      supervised[1] = before.y + correct[0] / f32(params.class_rows);
    }
  }
}
