// A restorer's reconstruction loss against the clean pictures, with its gradient, in one pass:
//   l2: L = (1/d) Σ_i (y_i − t_i)²,  dL/dy_i = 2 (y_i − t_i) / d
//   l1: L = (1/d) Σ_i |y_i − t_i|,   dL/dy_i = sign(y_i − t_i) / d   (0 where they are equal)
// with d the divisor (the value count for a mean). Where the pictures come out of an activation
// (GATE), the gradient is taken on through it, dL/dz = dL/dy · f'(y), which is what a network's
// backward pass expects of its last block. One workgroup, each thread striding over the values,
// then a fixed-order tree sum: the loss is the same on every run.
// requires: activation_math.wgsl, workgroup_sum.wgsl

struct ReconstructionParams {
  n: u32,
  divisor: f32,
  alpha: f32,  // leaky-ReLU slope for the gate
}

override L1: bool = false;
override GATE: u32 = 0u;
override ACCUMULATE: bool = false;  // add the loss into stats[0] instead of overwriting it

@group(0) @binding(0) var<uniform> params: ReconstructionParams;
@group(0) @binding(1) var<storage, read> restored: array<f32>;
@group(0) @binding(2) var<storage, read> target_values: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;

const THREADS = 256u;

@compute @workgroup_size(THREADS)
fn reconstruction_loss(@builtin(local_invocation_id) lid: vec3<u32>) {
  var loss = 0.0;
  for (var i = lid.x; i < params.n; i += THREADS) {
    let y = restored[i];
    let difference = y - target_values[i];
    var slope = 2.0 * difference;
    if (L1) {
      loss += abs(difference);
      slope = sign(difference);
    } else {
      loss += difference * difference;
    }
    grad[i] = slope / params.divisor * derivative_from_output(GATE, y, params.alpha);
  }
  let total = workgroup_sum3(vec3<f32>(loss, 0.0, 0.0), lid.x);
  if (lid.x == 0u) {
    let previous = select(0.0, stats[0], ACCUMULATE);
    stats[0] = previous + total.x / params.divisor;
  }
}
