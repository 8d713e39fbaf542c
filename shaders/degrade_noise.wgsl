// Noise, to make a degraded picture from a clean one (src/restore/), and a network's Gaussian-noise
// layer (nn/networkNoise.ts: unclamped, its values are activations, not pixels). A degradation is never
// inside the fit: restoration fits the noisy picture itself (its forward there is the identity) and
// relies on the generator's range to leave the noise out. Seeded by Philox exactly as random.wgsl
// (chunk, step, stream), so the CPU reference draws the same numbers. The step is a word of a step
// counter: a restorer or a network in training draws new noise each step with no upload; a fixed
// picture reads a 0.
//   gaussian:         x' = clamp(x + σ·n, −1, 1),  n ~ N(0, 1) (Box–Muller); no clamp with CLAMP false
//   salt and pepper:  with u uniform, x' = −1 where u < p/2, +1 where p/2 ≤ u < p, else x
// requires: philox.wgsl

struct NoiseParams {
  n: u32,
  seed_lo: u32,
  seed_hi: u32,
  stream: u32,
  amount: f32,  // gaussian: σ;  salt and pepper: p
}

@group(0) @binding(0) var<uniform> params: NoiseParams;
@group(0) @binding(1) var<storage, read> source: array<f32>;
@group(0) @binding(2) var<storage, read_write> result: array<f32>;
@group(0) @binding(3) var<storage, read> step_count: array<u32>;

// Which word of step_count holds the step (1: the step in progress of a counter the step advances).
override STEP_WORD: u32 = 0u;
// Pictures stay in [−1, 1]; a layer's activations are not clamped.
override CLAMP: bool = true;

// Invocations per workgroup, each one chunk of four values.
const THREADS = 64u;

fn chunk_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * THREADS;
}

fn chunk_uniforms(chunk: u32) -> vec4<f32> {
  return unit_uniform(sequence_bits(chunk, step_count[STEP_WORD], params.stream, params.seed_lo, params.seed_hi));
}

@compute @workgroup_size(THREADS)
fn noise_gaussian(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let chunk = chunk_index(gid, groups);
  if (chunk * 4u >= params.n) { return; }
  let normals = box_muller(chunk_uniforms(chunk));
  for (var j = 0u; j < 4u; j++) {
    let i = chunk * 4u + j;
    if (i >= params.n) { continue; }
    let noisy = source[i] + params.amount * normals[j];
    result[i] = select(noisy, clamp(noisy, -1.0, 1.0), CLAMP);
  }
}

@compute @workgroup_size(THREADS)
fn noise_salt_pepper(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let chunk = chunk_index(gid, groups);
  if (chunk * 4u >= params.n) { return; }
  let u = chunk_uniforms(chunk);
  for (var j = 0u; j < 4u; j++) {
    let i = chunk * 4u + j;
    if (i >= params.n) { continue; }
    var value = source[i];
    if (u[j] < 0.5 * params.amount) { value = -1.0; } else if (u[j] < params.amount) { value = 1.0; }
    result[i] = value;
  }
}
