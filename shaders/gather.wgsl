// Gathers one training batch from a dataset that lives on the GPU, in a seeded shuffled order,
// with no permutation buffer and no upload: example = shuffle(seed, epoch)(position), where
// (epoch, position) come from the sample number (step − 1)·rows + row and the step counter.
// The shuffle is a 4-round Feistel network over 2^(2·half_bits) ≥ count indices, keyed by
// Philox(seed, epoch), with cycle-walking to stay below count: a true permutation of the
// dataset for every epoch. philox4x32 and sequence_bits come from philox.wgsl.
// requires: philox.wgsl

struct GatherParams {
  rows: u32,       // batch rows to fill
  dim: u32,        // values per example (784 for MNIST)
  count: u32,      // examples in the dataset
  seed_lo: u32,
  seed_hi: u32,
  half_bits: u32,  // Feistel half width
  first_row: u32,  // rows are written from here on (a row offset needs no buffer-offset alignment)
  noise_count: u32,   // gather_batch_with_noise: N(0, 1) values to write to `noise`
  noise_stream: u32,  // and their Philox stream (as random.wgsl's `stream`)
}

override PACKED_U8: bool = true;  // bytes, 4 per u32, scaled to [-1, 1]; otherwise raw f32 bits
// Advance the step counter (counter.wgsl's two words): this is step_count[0] + 1, and thread 0
// writes that to step_count[1] for the step's later kernels. Otherwise this is step step_count[0].
override ADVANCE_STEP: bool = false;
// Without ADVANCE_STEP: the step is this word of step_count. 1 reads the step in progress that an
// earlier kernel of the same step advanced (a second gather, e.g. the batch's labels).
override STEP_WORD: u32 = 0u;

@group(0) @binding(0) var<uniform> params: GatherParams;
@group(0) @binding(1) var<storage, read> dataset: array<u32>;
@group(0) @binding(2) var<storage, read_write> step_count: array<u32>;
@group(0) @binding(3) var<storage, read_write> batch: array<f32>;
@group(0) @binding(4) var<storage, read_write> noise: array<f32>;

// The shuffle's Philox stream, set from src/kernels/streams.ts, where every use's stream is kept apart.
override SHUFFLE_STREAM: u32;
// Invocations per workgroup: one batch row, or THREADS × 4 noise values, per workgroup.
const THREADS = 256u;
var<workgroup> chosen_example: u32;

// An integer mixer (xor-shift-multiply): a different bijection of u32 for every key.
fn mix32(value: u32, key: u32) -> u32 {
  var x = value ^ key;
  x ^= x >> 16u;
  x *= 0x7FEB352Du;
  x ^= x >> 15u;
  x *= 0x846CA68Bu;
  x ^= x >> 16u;
  return x;
}

fn feistel(index: u32, keys: vec4<u32>) -> u32 {
  let mask = (1u << params.half_bits) - 1u;
  var left = index >> params.half_bits;
  var right = index & mask;
  for (var round = 0u; round < 4u; round++) {
    let next = left ^ (mix32(right, keys[round]) & mask);
    left = right;
    right = next;
  }
  return (left << params.half_bits) | right;
}

fn shuffled(position: u32, keys: vec4<u32>) -> u32 {
  var x = feistel(position, keys);
  loop {
    if (x < params.count) { break; }
    x = feistel(x, keys);
  }
  return x;
}

// Every invocation reads word 0 only; the one write (of word 1) cannot race it.
fn this_step(first_invocation: bool) -> u32 {
  if (!ADVANCE_STEP) { return step_count[STEP_WORD]; }
  let step = step_count[0] + 1u;
  if (first_invocation) { step_count[1] = step; }
  return step;
}

fn load_value(example: u32, p: u32) -> f32 {
  let index = example * params.dim + p;
  if (PACKED_U8) {
    let byte = (dataset[index / 4u] >> (8u * (index % 4u))) & 0xFFu;
    // (2·byte − 255) / 255 as one correctly rounded product: bit-identical on every adapter,
    // where a division (2.5 ulp in WGSL) or a fusable multiply-add would not be.
    return f32(i32(2u * byte) - 255) * (1.0 / 255.0);
  }
  return bitcast<f32>(dataset[index]);
}

// Batch row `row` of step `step`, by one workgroup: thread 0 picks the example, all copy it.
fn gather_row(row: u32, thread: u32, step: u32) {
  if (thread == 0u) {
    let sample = (max(step, 1u) - 1u) * params.rows + row;
    let counter = vec4<u32>(sample / params.count, 0u, SHUFFLE_STREAM, 0u);
    let keys = philox4x32(counter, vec2<u32>(params.seed_lo, params.seed_hi));
    chosen_example = shuffled(sample % params.count, keys);
  }
  let example = workgroupUniformLoad(&chosen_example);
  for (var p = thread; p < params.dim; p += THREADS) {
    batch[(params.first_row + row) * params.dim + p] = load_value(example, p);
  }
}

@compute @workgroup_size(THREADS)
fn gather_batch(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  gather_row(wid.x, lid.x, this_step(wid.x == 0u && lid.x == 0u));
}

// The step's real batch and its generator noise in one dispatch: workgroups [0, rows) gather
// rows as gather_batch does, the rest write N(0, 1) values to `noise` exactly as random.wgsl's
// random_normal does (the same Philox counters: chunk, step, stream), so the values match it bit
// for bit.
@compute @workgroup_size(THREADS)
fn gather_batch_with_noise(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
                           @builtin(num_workgroups) groups: vec3<u32>) {
  let group_index = wid.x + wid.y * groups.x;
  let step = this_step(group_index == 0u && lid.x == 0u);
  if (group_index < params.rows) {
    gather_row(group_index, lid.x, step);
    return;
  }
  let chunk = (group_index - params.rows) * THREADS + lid.x;
  if (chunk * 4u >= params.noise_count) { return; }
  let bits = sequence_bits(chunk, step, params.noise_stream, params.seed_lo, params.seed_hi);
  let values = box_muller(unit_uniform(bits));
  for (var j = 0u; j < 4u; j++) {
    if (chunk * 4u + j < params.noise_count) { noise[chunk * 4u + j] = values[j]; }
  }
}
