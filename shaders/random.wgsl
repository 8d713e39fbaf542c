// Counter-based random numbers (Philox4x32-10, Salmon et al., SC'11). Each output chunk of four
// numbers is a pure function of (seed, chunk index, step, stream), so the same seed gives the
// same integers on every adapter, in any dispatch order, and a step needs no state but a counter.
// Uniforms are the top 24 bits scaled to [0, 1): exact in f32, hence bit-identical everywhere.
// Normals come from Box–Muller on pairs of uniforms (exact up to the adapter's log/cos/sin).

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

const PHILOX_M0 = 0xD2511F53u;
const PHILOX_M1 = 0xCD9E8D57u;
const PHILOX_W0 = 0x9E3779B9u;
const PHILOX_W1 = 0xBB67AE85u;
const TWO_PI = 6.283185307179586;

// Full 64-bit product of two u32 as (high, low), from 16-bit halves (WGSL has no u64).
fn mul_wide(a: u32, b: u32) -> vec2<u32> {
  let a_lo = a & 0xFFFFu; let a_hi = a >> 16u;
  let b_lo = b & 0xFFFFu; let b_hi = b >> 16u;
  let lo_lo = a_lo * b_lo;
  let hi_lo = a_hi * b_lo;
  let lo_hi = a_lo * b_hi;
  let hi_hi = a_hi * b_hi;
  let cross = (lo_lo >> 16u) + (hi_lo & 0xFFFFu) + (lo_hi & 0xFFFFu);
  let high = hi_hi + (hi_lo >> 16u) + (lo_hi >> 16u) + (cross >> 16u);
  return vec2<u32>(high, a * b);
}

fn philox4x32(counter_in: vec4<u32>, key_in: vec2<u32>) -> vec4<u32> {
  var ctr = counter_in;
  var key = key_in;
  for (var round = 0u; round < 10u; round++) {
    let p0 = mul_wide(PHILOX_M0, ctr.x);
    let p1 = mul_wide(PHILOX_M1, ctr.z);
    ctr = vec4<u32>(p1.x ^ ctr.y ^ key.x, p1.y, p0.x ^ ctr.w ^ key.y, p0.y);
    key += vec2<u32>(PHILOX_W0, PHILOX_W1);
  }
  return ctr;
}

fn chunk_bits(chunk: u32) -> vec4<u32> {
  return philox4x32(vec4<u32>(chunk, step_count[0], params.stream, 0u), vec2<u32>(params.seed_lo, params.seed_hi));
}

// [0, 1) with 24 random bits: every value is exactly representable in f32.
fn unit_uniform(bits: vec4<u32>) -> vec4<f32> {
  return vec4<f32>(bits >> vec4<u32>(8u)) * (1.0 / 16777216.0);
}

fn store_chunk(chunk: u32, v: vec4<f32>) {
  let base = chunk * 4u;
  for (var j = 0u; j < 4u; j++) {
    if (base + j < params.n) { values[base + j] = params.offset + params.scale * v[j]; }
  }
}

fn chunk_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 64u;
}

@compute @workgroup_size(64)
fn random_uniform(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let chunk = chunk_index(gid, groups);
  if (chunk * 4u >= params.n) { return; }
  store_chunk(chunk, unit_uniform(chunk_bits(chunk)));
}

@compute @workgroup_size(64)
fn random_normal(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let chunk = chunk_index(gid, groups);
  if (chunk * 4u >= params.n) { return; }
  let u = unit_uniform(chunk_bits(chunk));
  // Shift the radius uniforms to (0, 1] so log never sees zero.
  let r = sqrt(-2.0 * log(vec2<f32>(u.x, u.z) + vec2<f32>(1.0 / 16777216.0)));
  let theta = TWO_PI * vec2<f32>(u.y, u.w);
  store_chunk(chunk, vec4<f32>(r.x * cos(theta.x), r.x * sin(theta.x), r.y * cos(theta.y), r.y * sin(theta.y)));
}
