// The generator's feature-matching loss (Salimans et al. 2016): the squared distance between the
// mean features of the generated and of the real batch at the layer before D's class logits,
//   L = (1/F) Σ_j (m_fake_j − m_real_j)²,  m_·_j = (1/B) Σ_r h[r, j] over each batch's rows,
// with its gradient for the generated rows, dL/dh[r, j] = 2 (m_fake_j − m_real_j) / (F·B), times
// f'(h[r, j]) where the features come out of an activation (the gradient buffer then holds the
// pre-activation gradient, as the backward pass expects). Rows [0, B) of `features` are the
// generated batch, [B, 2B) the real one. The statistics also take D's reading of the generated
// rows, the mean of σ(log Σ_k exp(l_k)) over their class logits. One workgroup, fixed-order sums.
// requires: activation_math.wgsl

struct MatchParams {
  rows: u32,      // B: generated rows, then as many real rows
  width: u32,     // F
  classes: u32,   // K
  alpha: f32,     // leaky-ReLU slope for the gate
}

override GATE: u32 = 0u;
override ACCUMULATE: bool = false;

@group(0) @binding(0) var<uniform> params: MatchParams;
@group(0) @binding(1) var<storage, read> features: array<f32>;      // 2B × F
@group(0) @binding(2) var<storage, read> logits: array<f32>;        // B × K: the generated rows'
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;    // B × F
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;   // [loss, mean reading, 0]

const THREADS = 256u;

var<workgroup> sums: array<vec2<f32>, THREADS>;

fn column_mean(j: u32, first: u32) -> f32 {
  var sum = 0.0;
  for (var r = first; r < first + params.rows; r++) { sum += features[r * params.width + j]; }
  return sum / f32(params.rows);
}

fn reading(r: u32) -> f32 {
  let base = r * params.classes;
  var largest = logits[base];
  for (var k = 1u; k < params.classes; k++) { largest = max(largest, logits[base + k]); }
  var total = 0.0;
  for (var k = 0u; k < params.classes; k++) { total += exp(logits[base + k] - largest); }
  return stable_sigmoid(largest + log(total));
}

@compute @workgroup_size(THREADS)
fn feature_matching(@builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.x;
  let scale = 2.0 / (f32(params.width) * f32(params.rows));
  var own = vec2<f32>(0.0);
  for (var j = t; j < params.width; j += THREADS) {
    let difference = column_mean(j, 0u) - column_mean(j, params.rows);
    own.x += difference * difference;
    for (var r = 0u; r < params.rows; r++) {
      var value = scale * difference;
      if (GATE != ACT_NONE) { value *= derivative_from_output(GATE, features[r * params.width + j], params.alpha); }
      grad[r * params.width + j] = value;
    }
  }
  for (var r = t; r < params.rows; r += THREADS) { own.y += reading(r); }
  sums[t] = own;
  workgroupBarrier();
  for (var stride = THREADS / 2u; stride > 0u; stride /= 2u) {
    if (t < stride) { sums[t] += sums[t + stride]; }
    workgroupBarrier();
  }
  if (t == 0u) {
    let result = vec2<f32>(sums[0].x / f32(params.width), sums[0].y / f32(params.rows));
    let previous = select(vec2<f32>(0.0), vec2<f32>(stats[0], stats[1]), ACCUMULATE);
    stats[0] = previous.x + result.x;
    stats[1] = previous.y + result.y;
  }
}
