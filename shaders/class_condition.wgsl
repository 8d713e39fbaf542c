// A class label as a one-hot input of a layer, without building the concatenated input: for the
// first layer of a conditional network, W·[x; h·onehot(c)] + b = (W_x·x + b) + h·W_c[:, c], so
// the matmul computes W_x·x + b (no activation) and this kernel adds h times column c of W_c to
// each row and applies the activation, in place:
//   values[r, o] = f(values[r, o] + h · class_weight[o, c_r])
// h is the one-hot's hot value (1 for a plain one-hot). It also writes h·onehot(c_r) per row, the
// matrix the weight gradient dW_c = dZᵀ·(h·onehot) is a matmul with. Row r takes the label of row
// r mod label_rows, so the fake and the real half of the discriminator's batch share the real
// batch's labels. A label that is not a class index (never the case for a checked dataset) adds
// nothing and leaves its one-hot row zero.
// requires: activation_math.wgsl

struct ConditionParams {
  rows: u32,
  width: u32,       // the layer's outputs per row
  classes: u32,
  label_rows: u32,  // labels given; row r uses label r mod label_rows
  alpha: f32,       // leaky-ReLU slope
  hot: f32,         // the one-hot's hot value h
}

override ACTIVATION: u32 = 0u;  // ACT_* from activation_math.wgsl

@group(0) @binding(0) var<uniform> params: ConditionParams;
@group(0) @binding(1) var<storage, read_write> values: array<f32>;
@group(0) @binding(2) var<storage, read> class_weight: array<f32>;  // width × classes
@group(0) @binding(3) var<storage, read> labels: array<f32>;
@group(0) @binding(4) var<storage, read_write> onehot: array<f32>;   // rows × classes

const THREADS = 256u;

fn flat_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * THREADS;
}

// The class index of row r, or params.classes where its label is not one.
fn class_of(r: u32) -> u32 {
  let label = labels[r % params.label_rows];
  let valid = label >= 0.0 && label < f32(params.classes) && label == floor(label);
  return select(params.classes, u32(label), valid);
}

@compute @workgroup_size(THREADS)
fn class_condition(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(gid, groups);
  let n = params.rows * params.width;
  if (i < n) {
    let r = i / params.width;
    let o = i - r * params.width;
    let c = class_of(r);
    let column = class_weight[o * params.classes + min(c, params.classes - 1u)];
    let added = select(0.0, params.hot * column, c < params.classes);
    values[i] = activate(ACTIVATION, values[i] + added, params.alpha);
  }
  // The one-hot rows, after the layer's values in the flat index.
  let h = i - min(i, n);
  if (i >= n && h < params.rows * params.classes) {
    let r = h / params.classes;
    onehot[h] = select(0.0, params.hot, class_of(r) == h - r * params.classes);
  }
}
