// Counter-based random numbers (Philox4x32-10, Salmon et al., SC'11). Each output chunk of four
// numbers is a pure function of (seed, chunk index, step, stream), so the same seed gives the
// same integers on every adapter, in any dispatch order, and a step needs no state but a counter.
// Uniforms are the top 24 bits scaled to [0, 1): exact in f32, hence bit-identical everywhere.
// Normals come from Box–Muller on pairs of uniforms (exact up to the adapter's log/cos/sin).
// sequence_bits, unit_uniform and box_muller come from shaders/philox.wgsl.
// requires: philox.wgsl

struct RandomParams {
  n: u32,
  seed_lo: u32,
  seed_hi: u32,
  stream: u32,   // separates independent uses of one seed (noise, init, shuffle, ...)
  offset: f32,   // uniform: low;  normal: mean
  scale: f32,    // uniform: high − low;  normal: standard deviation
}

@group(0) @binding(0) var<uniform> params: RandomParams;
@group(0) @binding(1) var<storage, read> step_count: array<u32>;
@group(0) @binding(2) var<storage, read_write> values: array<f32>;

fn chunk_bits(chunk: u32) -> vec4<u32> {
  return sequence_bits(chunk, step_count[0], params.stream, params.seed_lo, params.seed_hi);
}

fn store_chunk(chunk: u32, v: vec4<f32>) {
  let base = chunk * 4u;
  for (var j = 0u; j < 4u; j++) {
    if (base + j < params.n) { values[base + j] = params.offset + params.scale * v[j]; }
  }
}

// Invocations per workgroup, each one block of four values; the host sizes its grid from it.
const THREADS = 64u;

fn chunk_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * THREADS;
}

@compute @workgroup_size(THREADS)
fn random_uniform(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let chunk = chunk_index(gid, groups);
  if (chunk * 4u >= params.n) { return; }
  store_chunk(chunk, unit_uniform(chunk_bits(chunk)));
}

@compute @workgroup_size(THREADS)
fn random_normal(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let chunk = chunk_index(gid, groups);
  if (chunk * 4u >= params.n) { return; }
  store_chunk(chunk, box_muller(unit_uniform(chunk_bits(chunk))));
}
