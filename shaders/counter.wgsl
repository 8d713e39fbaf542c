// Advances a step counter that lives on the GPU, so recorded steps need no per-step upload:
// Adam's bias correction and the random generator's counter both read it.

@group(0) @binding(0) var<storage, read_write> counter: array<u32>;

@compute @workgroup_size(1)
fn increment_counter() {
  counter[0] = counter[0] + 1u;
}
