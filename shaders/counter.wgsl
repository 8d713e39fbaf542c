// Advances a step counter that lives on the GPU, so recorded steps need no per-step upload:
// Adam's bias correction and the random generator's counter both read it.
// Two words: [0] the step number, [1] the step in progress. They are equal between steps. A step
// can instead advance the counter inside kernels it runs anyway (see data.wgsl's ADVANCE_STEP
// and adam.wgsl's COMMIT_STEP): its first kernel writes [1] = [0] + 1 and its last copies [1] back
// to [0], so no kernel ever reads the word that is being written in the same dispatch.

@group(0) @binding(0) var<storage, read_write> counter: array<u32>;

@compute @workgroup_size(1)
fn increment_counter() {
  let next = counter[0] + 1u;
  counter[0] = next;
  counter[1] = next;
}
