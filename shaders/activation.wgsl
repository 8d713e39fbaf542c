// Element-wise activations, forward (y = f(x)) and backward (dx = dy ⊙ f'(y), from the stored
// output y). Binding names avoid single letters: wgsl_reflect mistakes `gid.y` for a use of `y`.
// Used where an activation cannot ride in a matmul epilogue; `add_forward` is the sum of two arrays
// (a network's input added back to its output: an add-input layer). Large arrays are
// dispatched as a 2-D grid of 256-wide workgroups, flattened here.
// requires: activation_math.wgsl

struct ElementwiseParams {
  n: u32,
  alpha: f32,  // leaky-ReLU slope
}

override ACTIVATION: u32 = 1u;  // ACT_* from activation_math.wgsl

@group(0) @binding(0) var<uniform> params: ElementwiseParams;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;
@group(0) @binding(3) var<storage, read> grad_output: array<f32>;
@group(0) @binding(4) var<storage, read> saved_output: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad_input: array<f32>;
@group(0) @binding(6) var<storage, read> addend: array<f32>;

const THREADS = 256u;  // per workgroup; the host sizes its grid from the reflected workgroup size

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * THREADS;
}

@compute @workgroup_size(THREADS)
fn activation_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  output[i] = activate(ACTIVATION, input[i], params.alpha);
}

@compute @workgroup_size(THREADS)
fn activation_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  grad_input[i] = grad_output[i] * derivative_from_output(ACTIVATION, saved_output[i], params.alpha);
}

@compute @workgroup_size(THREADS)
fn add_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  output[i] = input[i] + addend[i];
}
