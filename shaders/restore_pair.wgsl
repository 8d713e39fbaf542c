// The pair discriminator's input, for a restorer trained with an adversarial term as in pix2pix:
// each row holds the degraded picture, blown up to the clean side by repeating its pixels, and
// then a picture of the clean side (the restored one, or the clean one): 2C planes of side².
//   pair_pack: pair[r] = [up(degraded[r]) ; picture[r]]
//   pair_grad: grad[r, k] += weight · pair_grads[r, C·side² + k] · f'(y[r, k]), the discriminator's
//              gradient with respect to the restored half of the pair, taken back through the
//              restorer's output activation and added to the gradient its own loss wrote there.
// A thread per value; the degraded half's gradient is not needed (nothing trains through it).
// requires: activation_math.wgsl

struct PairParams {
  rows: u32,
  plane: u32,       // C · side²: values of one picture of the clean side
  side: u32,
  input_side: u32,  // the degraded side, side / f for a whole f
  weight: f32,
  alpha: f32,       // leaky-ReLU slope for the gate
}

override GATE: u32 = 0u;

@group(0) @binding(0) var<uniform> params: PairParams;
@group(0) @binding(1) var<storage, read> degraded: array<f32>;    // rows × C·input_side²
@group(0) @binding(2) var<storage, read> picture: array<f32>;     // rows × plane: y for pair_grad
@group(0) @binding(3) var<storage, read_write> pair: array<f32>;  // rows × 2·plane
@group(0) @binding(4) var<storage, read> pair_grads: array<f32>;  // rows × 2·plane
@group(0) @binding(5) var<storage, read_write> grad: array<f32>;  // rows × plane

const THREADS = 256u;

@compute @workgroup_size(THREADS)
fn pair_pack(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * THREADS;
  let width = 2u * params.plane;
  if (i >= params.rows * width) { return; }
  let r = i / width;
  let k = i % width;
  if (k >= params.plane) {
    pair[i] = picture[r * params.plane + k - params.plane];
    return;
  }
  let area = params.side * params.side;
  let channels = params.plane / area;
  let c = k / area;
  let y = (k % area) / params.side;
  let x = k % params.side;
  let factor = params.side / params.input_side;
  let small = params.input_side * params.input_side;
  pair[i] = degraded[(r * channels + c) * small + (y / factor) * params.input_side + x / factor];
}

@compute @workgroup_size(THREADS)
fn pair_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * THREADS;
  if (i >= params.rows * params.plane) { return; }
  let r = i / params.plane;
  let from_pair = pair_grads[(2u * r + 1u) * params.plane + i % params.plane];
  grad[i] += params.weight * from_pair * derivative_from_output(GATE, picture[i], params.alpha);
}
