// A workgroup's sum of one vec3 per invocation, added in a fixed tree order so that the result is
// the same on every run. The shader that requires this file defines THREADS (a power of two, its
// workgroup size) and calls workgroup_sum3 from uniform control flow in every invocation.

var<workgroup> partial_sums: array<vec3<f32>, THREADS>;

fn workgroup_sum3(value: vec3<f32>, invocation: u32) -> vec3<f32> {
  partial_sums[invocation] = value;
  workgroupBarrier();
  for (var width = THREADS / 2u; width > 0u; width /= 2u) {
    if (invocation < width) { partial_sums[invocation] += partial_sums[invocation + width]; }
    workgroupBarrier();
  }
  return partial_sums[0];
}
