// A restorer's reconstruction loss against the clean pictures, with its gradient, in one pass:
//   l2: L = (1/d) Σ_i (y_i − t_i)²,  dL/dy_i = 2 (y_i − t_i) / d
//   l1: L = (1/d) Σ_i |y_i − t_i|,   dL/dy_i = sign(y_i − t_i) / d   (0 where they are equal)
// with d the divisor (the value count for a mean). With EDGES, w (1/d) Σ |Δy − Δt| over every pair
// of neighbours in a row (Δ = value minus its right neighbour) and in a column (minus the one
// below) is added: an l1 on the pictures' gradients, which a blurred guess pays for where the
// truth has an edge. A value's share of it comes from the pairs it is in, up to four. Where the
// pictures come out of an activation (GATE), the gradient is taken on through it,
// dL/dz = dL/dy · f'(y), which is what a network's backward pass expects of its last block. One
// workgroup, each thread striding over the values, then a fixed-order tree sum: the loss is the
// same on every run.
// requires: activation_math.wgsl, workgroup_sum.wgsl

struct ReconstructionParams {
  n: u32,
  divisor: f32,
  alpha: f32,  // leaky-ReLU slope for the gate
  width: u32,  // the pictures' planes (EDGES): values are planes of height × width, row-major
  height: u32,
  edge_weight: f32,
}

override L1: bool = false;
override GATE: u32 = 0u;
override ACCUMULATE: bool = false;  // add the loss into stats[0] instead of overwriting it
override EDGES: bool = false;

@group(0) @binding(0) var<uniform> params: ReconstructionParams;
@group(0) @binding(1) var<storage, read> restored: array<f32>;
@group(0) @binding(2) var<storage, read> target_values: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;

const THREADS = 256u;

/** (restored − target) at i minus the same at j: how far the restored step from i to j is off. */
fn step_error(i: u32, j: u32) -> f32 {
  return (restored[i] - restored[j]) - (target_values[i] - target_values[j]);
}

/** The edge term's loss from the pairs that start at i (right and down), and its slope in value i. */
fn edge_term(i: u32) -> vec2<f32> {
  let plane = params.width * params.height;
  let x = (i % plane) % params.width;
  let y = (i % plane) / params.width;
  var loss = 0.0;
  var slope = 0.0;
  if (x + 1u < params.width) {
    let e = step_error(i, i + 1u);
    loss += abs(e);
    slope += sign(e);
  }
  if (y + 1u < params.height) {
    let e = step_error(i, i + params.width);
    loss += abs(e);
    slope += sign(e);
  }
  if (x > 0u) {
    slope -= sign(step_error(i - 1u, i));
  }
  if (y > 0u) {
    slope -= sign(step_error(i - params.width, i));
  }
  return params.edge_weight * vec2<f32>(loss, slope);
}

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
    if (EDGES) {
      let edges = edge_term(i);
      loss += edges.x;
      slope += edges.y;
    }
    grad[i] = slope / params.divisor * derivative_from_output(GATE, y, params.alpha);
  }
  let total = workgroup_sum3(vec3<f32>(loss, 0.0, 0.0), lid.x);
  if (lid.x == 0u) {
    let previous = select(0.0, stats[0], ACCUMULATE);
    stats[0] = previous + total.x / params.divisor;
  }
}
