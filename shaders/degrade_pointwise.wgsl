// The degradations that act on each value alone (src/restore/): a mask, and exposure.
// Pictures are in [−1, 1]; exposure works on u = (x + 1) / 2 ∈ [0, 1]:
//   u' = lift + gain · clamp(u, 0, 1)^gamma,   x' = 2u' − 1
// (dark: gain < 1; washed out: lift > 0 and gamma < 1). It is not linear, so restoration
// back-propagates through it with its derivative at the input x,
//   ∂x'/∂x = gain · gamma · u^(gamma − 1)   for 0 < u < 1, and 0 where the clamp holds.
// The mask keeps the known values (m = 1) and zeroes the rest; it is its own adjoint.

struct PointwiseParams {
  n: u32,     // values in the batch (rows × dim)
  dim: u32,   // values per picture: the mask repeats for every row
  gain: f32,
  gamma: f32,
  lift: f32,
}

@group(0) @binding(0) var<uniform> params: PointwiseParams;
@group(0) @binding(1) var<storage, read> source: array<f32>;        // forward: x; backward: ∂L/∂x'
@group(0) @binding(2) var<storage, read_write> result: array<f32>;
@group(0) @binding(3) var<storage, read> mask: array<f32>;          // dim
@group(0) @binding(4) var<storage, read> exposure_input: array<f32>; // x, for the backward pass

const THREADS = 256u;

fn element_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * THREADS;
}

@compute @workgroup_size(THREADS)
fn mask_apply(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = element_index(gid, groups);
  if (i >= params.n) { return; }
  result[i] = source[i] * mask[i % params.dim];
}

@compute @workgroup_size(THREADS)
fn exposure_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = element_index(gid, groups);
  if (i >= params.n) { return; }
  let u = clamp(0.5 * (source[i] + 1.0), 0.0, 1.0);
  result[i] = 2.0 * (params.lift + params.gain * pow(u, params.gamma)) - 1.0;
}

@compute @workgroup_size(THREADS)
fn exposure_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = element_index(gid, groups);
  if (i >= params.n) { return; }
  let u = 0.5 * (exposure_input[i] + 1.0);
  var slope = 0.0;
  if (u > 0.0 && u < 1.0) { slope = params.gain * params.gamma * pow(u, params.gamma - 1.0); }
  result[i] = source[i] * slope;
}
