// A conditional generator's input: each row's noise followed by its class as a one-hot,
//   input[r] = [noise[r, 0 .. noise_width); onehot(label_r)]
// so that the first layer sees torch.cat([z, one_hot(y)], 1), as a PyTorch conditional DCGAN
// takes it, and its weight's class rows learn with the rest (no class weights apart). Row r takes
// the label of row r mod label_rows. A label that is not a class index leaves the one-hot zero.
// class_input_grad is its gradient with respect to the noise: the input gradient's noise columns
// (repair's latent search moves the noise and keeps the class).

struct ClassInputParams {
  rows: u32,
  noise_width: u32,
  classes: u32,
  label_rows: u32,
}

@group(0) @binding(0) var<uniform> params: ClassInputParams;
@group(0) @binding(1) var<storage, read> noise: array<f32>;      // rows × noise_width
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read_write> joined: array<f32>;  // rows × (noise_width + classes)
@group(0) @binding(4) var<storage, read> joined_grads: array<f32>;  // rows × (noise_width + classes)
@group(0) @binding(5) var<storage, read_write> noise_grads: array<f32>;  // rows × noise_width

const THREADS = 256u;

@compute @workgroup_size(THREADS)
fn class_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * THREADS;
  let width = params.noise_width + params.classes;
  if (i >= params.rows * width) { return; }
  let r = i / width;
  let j = i - r * width;
  if (j < params.noise_width) {
    joined[i] = noise[r * params.noise_width + j];
    return;
  }
  let label = labels[r % params.label_rows];
  let hot = label == floor(label) && label == f32(j - params.noise_width);
  joined[i] = select(0.0, 1.0, hot);
}

@compute @workgroup_size(THREADS)
fn class_input_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * THREADS;
  if (i >= params.rows * params.noise_width) { return; }
  let r = i / params.noise_width;
  let j = i - r * params.noise_width;
  noise_grads[i] = joined_grads[r * (params.noise_width + params.classes) + j];
}
