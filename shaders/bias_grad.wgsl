// Bias gradient: the column sums of an M×N gradient (sum over the batch). Deterministic: no
// atomics; each workgroup owns 16 columns, 16 lanes per column stride down the rows, and a fixed
// tree reduction combines the lanes. Consecutive threads read consecutive columns (coalesced).

struct ColumnSumParams {
  rows: u32,
  cols: u32,
}

@group(0) @binding(0) var<uniform> params: ColumnSumParams;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad_bias: array<f32>;

const COLUMNS = 16u;  // per workgroup, one per invocation in x
const LANES = 16u;    // invocations per column, in y
var<workgroup> lanes: array<array<f32, COLUMNS>, LANES>;  // [row lane][column]

@compute @workgroup_size(COLUMNS, LANES)
fn bias_grad_column_sum(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let col = wid.x * COLUMNS + lid.x;
  var sum = 0.0;
  if (col < params.cols) {
    for (var r = lid.y; r < params.rows; r += LANES) {
      sum += grad[r * params.cols + col];
    }
  }
  lanes[lid.y][lid.x] = sum;
  workgroupBarrier();
  for (var width = LANES / 2u; width > 0u; width /= 2u) {
    if (lid.y < width) { lanes[lid.y][lid.x] += lanes[lid.y + width][lid.x]; }
    workgroupBarrier();
  }
  if (lid.y == 0u && col < params.cols) {
    grad_bias[col] = lanes[0][lid.x];
  }
}
