// Tiled matrix multiply with a fused epilogue:
//   C = gate'(activation(op(A) · op(B) + bias))
// where op(X) is X or Xᵀ. One kernel thus serves the forward pass (X·W + b, then f), the input
// gradient ((dY·Wᵀ) ⊙ f'(y), the derivative fused in so dZ never makes a round trip through
// memory) and the weight gradient (Xᵀ·dY). Matrices are dense, row-major f32.
//
// Each 16×16 workgroup computes a 64×64 tile of C; each thread a 4×4 block held in registers.
// A and B are staged through workgroup memory 16 columns of K at a time, stored K-major so the
// inner loop reads whole vec4s. Out-of-range rows, columns and K are loaded as zero, so any
// M, N, K ≥ 1 is correct.

struct MatmulParams {
  m: u32,      // rows of C
  n: u32,      // columns of C
  k: u32,      // the shared inner dimension
  alpha: f32,  // leaky-ReLU slope, used by ACTIVATION or GATE = 1
}

override TRANSPOSE_A: bool = false;  // A is stored K×M (use Aᵀ)
override TRANSPOSE_B: bool = false;  // B is stored N×K (use Bᵀ)
override HAS_BIAS: bool = false;     // add bias[column]
override ACTIVATION: u32 = 0u;       // applied to the result: ACT_* from activation_math.wgsl
override GATE: u32 = 0u;             // multiply by f'(gate) for this ACT_* kind; gate holds f's output

@group(0) @binding(0) var<uniform> params: MatmulParams;
@group(0) @binding(1) var<storage, read> matrix_a: array<f32>;
@group(0) @binding(2) var<storage, read> matrix_b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> gate: array<f32>;
@group(0) @binding(5) var<storage, read_write> matrix_c: array<f32>;

const TILE_M = 64u;
const TILE_N = 64u;
const TILE_K = 16u;
const THREADS = 256u;

var<workgroup> tile_a: array<vec4<f32>, 256>;  // [TILE_K][TILE_M / 4]
var<workgroup> tile_b: array<vec4<f32>, 256>;  // [TILE_K][TILE_N / 4]

fn load_a(row: u32, kk: u32) -> f32 {
  if (row >= params.m || kk >= params.k) { return 0.0; }
  if (TRANSPOSE_A) { return matrix_a[kk * params.m + row]; }
  return matrix_a[row * params.k + kk];
}

fn load_b(kk: u32, col: u32) -> f32 {
  if (kk >= params.k || col >= params.n) { return 0.0; }
  if (TRANSPOSE_B) { return matrix_b[col * params.k + kk]; }
  return matrix_b[kk * params.n + col];
}

// Which (row-or-column, k) element of a tile thread `e` loads. Consecutive threads walk along
// whichever dimension is contiguous in memory, so the global loads coalesce.
fn tile_coords(e: u32, k_contiguous: bool, span: u32) -> vec2<u32> {
  if (k_contiguous) { return vec2<u32>(e / TILE_K, e % TILE_K); }
  return vec2<u32>(e % span, e / span);
}

fn store_tile_a(index: u32, value: f32) { tile_a[index / 4u][index % 4u] = value; }
fn store_tile_b(index: u32, value: f32) { tile_b[index / 4u][index % 4u] = value; }

@compute @workgroup_size(16, 16)
fn matmul_bias_act(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let tid = lid.y * 16u + lid.x;
  let row0 = wid.y * TILE_M;
  let col0 = wid.x * TILE_N;
  var acc: array<vec4<f32>, 4>;

  for (var k0 = 0u; k0 < params.k; k0 += TILE_K) {
    for (var i = 0u; i < 4u; i++) {
      let e = tid + i * THREADS;
      let ta = tile_coords(e, !TRANSPOSE_A, TILE_M);  // (row, k)
      store_tile_a(ta.y * TILE_M + ta.x, load_a(row0 + ta.x, k0 + ta.y));
      let tb = tile_coords(e, TRANSPOSE_B, TILE_N);   // (col, k)
      store_tile_b(tb.y * TILE_N + tb.x, load_b(k0 + tb.y, col0 + tb.x));
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      let av = tile_a[kk * (TILE_M / 4u) + lid.y];
      let bv = tile_b[kk * (TILE_N / 4u) + lid.x];
      acc[0] = fma(vec4<f32>(av.x), bv, acc[0]);
      acc[1] = fma(vec4<f32>(av.y), bv, acc[1]);
      acc[2] = fma(vec4<f32>(av.z), bv, acc[2]);
      acc[3] = fma(vec4<f32>(av.w), bv, acc[3]);
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < 4u; i++) {
    let row = row0 + lid.y * 4u + i;
    if (row >= params.m) { break; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + lid.x * 4u + j;
      if (col >= params.n) { break; }
      let index = row * params.n + col;
      var v = acc[i][j];
      if (HAS_BIAS) { v += bias[col]; }
      v = activate(ACTIVATION, v, params.alpha);
      if (GATE != ACT_NONE) { v *= derivative_from_output(GATE, gate[index], params.alpha); }
      matrix_c[index] = v;
    }
  }
}
