// The latent search's prior step (Yeh et al. 2017 keep each z where the prior puts its mass): after
// each Adam step, every start's z is scaled back onto the sphere of radius √d. Under the N(0, I)
// prior that the generator was trained on, almost all of a d-dimensional z's mass lies in a thin
// shell at that radius, so a z pushed off it (towards 0, or far out) feeds the generator an input
// it never saw. A z of norm 0 has no direction and is left as it is.
// requires: workgroup_sum.wgsl

struct PriorParams {
  rows: u32,
  dim: u32,      // values per z
  radius: f32,   // √dim, the shell's radius
}

@group(0) @binding(0) var<uniform> params: PriorParams;
@group(0) @binding(1) var<storage, read_write> latents: array<f32>; // rows × dim

const THREADS = 64u;

// A workgroup per row: each thread takes every THREADS-th value, a fixed-order tree sums the
// squares (the same result on every run), then each thread rescales the values it read.
@compute @workgroup_size(THREADS)
fn latent_to_sphere(
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let r = wid.x + wid.y * groups.x;
  var squares = 0.0;
  if (r < params.rows) {
    for (var j = lid.x; j < params.dim; j += THREADS) {
      let v = latents[r * params.dim + j];
      squares += v * v;
    }
  }
  let total = workgroup_sum3(vec3<f32>(squares, 0.0, 0.0), lid.x).x;
  if (r >= params.rows || total == 0.0) { return; }
  let scale = params.radius / sqrt(total);
  for (var j = lid.x; j < params.dim; j += THREADS) {
    latents[r * params.dim + j] *= scale;
  }
}
