// Philox4x32-10 (Salmon et al., SC'11): a counter-based generator, shared by random.wgsl and
// data.wgsl (appended to them by scripts/wgsl.mjs). Its output is a pure function of a 128-bit counter
// and a 64-bit key, computed with 32-bit integer arithmetic only: identical on every adapter.

const PHILOX_M0 = 0xD2511F53u;
const PHILOX_M1 = 0xCD9E8D57u;
const PHILOX_W0 = 0x9E3779B9u;
const PHILOX_W1 = 0xBB67AE85u;

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

// The random bits of chunk `chunk` (four values) of a (seed, step, stream) sequence: the one
// counter layout that random.wgsl's fills and data.wgsl's noise share, so they agree bit for bit.
fn sequence_bits(chunk: u32, step: u32, stream: u32, seed_lo: u32, seed_hi: u32) -> vec4<u32> {
  return philox4x32(vec4<u32>(chunk, step, stream, 0u), vec2<u32>(seed_lo, seed_hi));
}

// [0, 1) with 24 random bits: every value is exactly representable in f32.
fn unit_uniform(bits: vec4<u32>) -> vec4<f32> {
  return vec4<f32>(bits >> vec4<u32>(8u)) * (1.0 / 16777216.0);
}

// Four N(0, 1) values from four uniforms by Box–Muller. The radius uniforms are shifted to
// (0, 1] so log never sees zero.
fn box_muller(u: vec4<f32>) -> vec4<f32> {
  let r = sqrt(-2.0 * log(vec2<f32>(u.x, u.z) + vec2<f32>(1.0 / 16777216.0)));
  let theta = 6.283185307179586 * vec2<f32>(u.y, u.w);
  return vec4<f32>(r.x * cos(theta.x), r.x * sin(theta.x), r.y * cos(theta.y), r.y * sin(theta.y));
}
