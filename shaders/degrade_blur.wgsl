// Blur as a linear operator for restoration (src/restore/): its forward, and its adjoint, which
// carries a data-fit gradient at the blurred picture back to the picture before the blur.
// Images are rows of planar C×H×W values. The blur is a convolution with a kh×kw kernel (odd
// sides, taps summing to 1), renormalised at the border by the weight of the taps that fall
// inside: y = B x with B[p, q] = k(p − q) / coverage(p), so a flat picture stays flat (a −1
// background stays black rather than fading to grey as zero padding would make it).
//   forward: y[c, p] = inv_coverage[p] · Σ_t k[t] · x[c, p − t + r]      (in-bounds taps only)
//   adjoint: x̂[c, q] = Σ_t k[t] · inv_coverage[q + t − r] · y[c, q + t − r]
// r is the kernel's centre; inv_coverage (H×W) is computed once on the host.

struct BlurParams {
  rows: u32,
  channels: u32,
  height: u32,
  width: u32,
  kernel_height: u32,
  kernel_width: u32,
}

@group(0) @binding(0) var<uniform> params: BlurParams;
@group(0) @binding(1) var<storage, read> source: array<f32>;        // rows × C×H×W
@group(0) @binding(2) var<storage, read_write> result: array<f32>;  // rows × C×H×W
@group(0) @binding(3) var<storage, read> taps: array<f32>;          // kh × kw
@group(0) @binding(4) var<storage, read> inv_coverage: array<f32>;  // H × W

const THREADS = 256u;

fn element_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * THREADS;
}

fn element_count() -> u32 {
  return params.rows * params.channels * params.height * params.width;
}

// Σ over the taps t that land inside the plane of taps[t] · weight(q) · source[q], where q is the
// pixel tap t joins to i: q = i − t + r for the forward (direction −1), q = i + t − r for the
// adjoint (direction +1); weight(q) is inv_coverage[q] in the adjoint and 1 in the forward.
fn tap_sum(i: u32, direction: i32, weigh_by_coverage: bool) -> f32 {
  let plane = params.height * params.width;
  let base = i - i % plane;
  let h = i32((i % plane) / params.width);
  let w = i32(i % params.width);
  let rh = i32(params.kernel_height / 2u);
  let rw = i32(params.kernel_width / 2u);
  var sum = 0.0;
  for (var a = 0; a < i32(params.kernel_height); a++) {
    let qh = h + direction * (a - rh);
    if (qh < 0 || qh >= i32(params.height)) { continue; }
    for (var b = 0; b < i32(params.kernel_width); b++) {
      let qw = w + direction * (b - rw);
      if (qw < 0 || qw >= i32(params.width)) { continue; }
      let q = u32(qh) * params.width + u32(qw);
      let weight = select(1.0, inv_coverage[q], weigh_by_coverage);
      sum += taps[u32(a) * params.kernel_width + u32(b)] * weight * source[base + q];
    }
  }
  return sum;
}

// One thread per output value: the taps that land inside the picture, renormalised.
@compute @workgroup_size(THREADS)
fn blur_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = element_index(gid, groups);
  if (i >= element_count()) { return; }
  result[i] = tap_sum(i, -1, false) * inv_coverage[i % (params.height * params.width)];
}

// One thread per input value: every output that the value reached, weighted as it was reached.
@compute @workgroup_size(THREADS)
fn blur_adjoint(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = element_index(gid, groups);
  if (i >= element_count()) { return; }
  result[i] = tap_sum(i, 1, true);
}
