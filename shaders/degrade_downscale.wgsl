// Downscaling by a factor f as a linear operator for super-resolution (src/restore/): the box
// average of each f×f block, and its adjoint. Images are rows of planar C×H×W values; the small
// picture is C×⌈H/f⌉×⌈W/f⌉, and a block cut by the border averages the pixels it has, so odd
// sizes need no padding convention.
//   forward: y[c, o] = (1 / n_o) Σ_{q in block o} x[c, q]
//   adjoint: x̂[c, q] = y[c, o(q)] / n_{o(q)}

struct DownscaleParams {
  rows: u32,
  channels: u32,
  height: u32,      // of the full-size picture
  width: u32,
  factor: u32,
  out_height: u32,  // ⌈height / factor⌉
  out_width: u32,
}

@group(0) @binding(0) var<uniform> params: DownscaleParams;
@group(0) @binding(1) var<storage, read> source: array<f32>;
@group(0) @binding(2) var<storage, read_write> result: array<f32>;

const THREADS = 256u;

fn element_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * THREADS;
}

// How many full-size pixels block (oh, ow) holds: f×f, fewer where the border cuts it.
fn block_size(oh: u32, ow: u32) -> f32 {
  let f = params.factor;
  let rows = min(f, params.height - oh * f);
  let cols = min(f, params.width - ow * f);
  return f32(rows * cols);
}

// One thread per small-picture value: the mean of its block.
@compute @workgroup_size(THREADS)
fn downscale_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = element_index(gid, groups);
  let small = params.out_height * params.out_width;
  if (i >= params.rows * params.channels * small) { return; }
  let plane = i / small;
  let oh = (i % small) / params.out_width;
  let ow = i % params.out_width;
  let f = params.factor;
  let base = plane * params.height * params.width;
  var sum = 0.0;
  for (var h = oh * f; h < min(oh * f + f, params.height); h++) {
    for (var w = ow * f; w < min(ow * f + f, params.width); w++) {
      sum += source[base + h * params.width + w];
    }
  }
  result[i] = sum / block_size(oh, ow);
}

// One thread per full-size value: its block's value, shared out over the block.
@compute @workgroup_size(THREADS)
fn downscale_adjoint(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = element_index(gid, groups);
  let full = params.height * params.width;
  if (i >= params.rows * params.channels * full) { return; }
  let plane = i / full;
  let oh = (i % full) / params.width / params.factor;
  let ow = (i % params.width) / params.factor;
  let o = plane * params.out_height * params.out_width + oh * params.out_width + ow;
  result[i] = source[o] / block_size(oh, ow);
}
