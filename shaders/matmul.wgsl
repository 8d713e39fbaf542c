// Tiled matrix multiply with a fused epilogue:
//   C = gate'(activation(op(A) · op(B) + bias))
// where op(X) is X or Xᵀ. One kernel thus serves the forward pass (X·W + b, then f), the input
// gradient ((dY·Wᵀ) ⊙ f'(y), the derivative fused in so dZ never makes a round trip through
// memory) and the weight gradient (Xᵀ·dY). Matrices are dense, row-major f32.
//
// Variants, numbered as in llm.c's dev/cuda and each checked against the float64 reference:
//   v1 matmul_bias_act      16×16 threads, 64×64 tile, 4×4 outputs per thread
//   v3 matmul_bias_act_db   v1 with two tile buffers: the next K tile is fetched into registers
//                           while the current one is multiplied, one barrier per tile
//   v4 matmul_bias_act_vec4 v1 with one vec4 global load per operand per thread and tile (where
//                           the operands' contiguous dimensions are multiples of 4)
//   v5 matmul_bias_act_128x64  128×64 tile, 8×4 outputs per thread, v4's vec4 loads
// There is no v2 (its 8×8 blocks made neighbouring threads read every other vec4 of a tile) and
// no longer a v6 (128×128 tiles): no tuned shape chose it (BENCHMARKS.md, "Measurements behind
// the code's choices", says what the tuning runs showed).
// A and B are staged through workgroup memory 16 columns of K at a time, stored K-major so the
// inner loop reads whole vec4s. Out-of-range rows, columns and K load as zero: any M, N, K ≥ 1.
//
// Row sums (HAS_ROW_SUMS): the first column of workgroups also adds up each row of op(A) over K,
// from the tiles it already holds. For a weight gradient dZᵀ·X that is Σ_rows dZ, the bias
// gradient, so no separate reduction pass reads dZ again.
//
// Workgroup tiles are stored with 4 floats of padding per K row: the transposing stores of the
// loads then spread over the memory banks instead of all hitting one.
//
// Split-K (SPLIT_K): workgroup z sums only K range [z·k_chunk, (z+1)·k_chunk) and writes the raw
// partial sum to slice z of C (splits × M × N); matmul_split_reduce then adds the slices in a
// fixed order and applies the epilogue. For the weight gradients, whose K is the batch (up to
// 8192) but whose C has few tiles, this keeps the whole GPU busy and stays deterministic.
// requires: activation_math.wgsl

struct MatmulParams {
  m: u32,        // rows of C
  n: u32,        // columns of C
  k: u32,        // the shared inner dimension
  alpha: f32,    // leaky-ReLU slope, used by ACTIVATION or GATE = 1
  k_chunk: u32,  // K per split (a multiple of 16); k when not split
  splits: u32,   // number of K splits (1 when not split)
}

override TRANSPOSE_A: bool = false;  // A is stored K×M (use Aᵀ)
override TRANSPOSE_B: bool = false;  // B is stored N×K (use Bᵀ)
override HAS_BIAS: bool = false;     // add bias[column]
override ACTIVATION: u32 = 0u;       // applied to the result: ACT_* from activation_math.wgsl
override GATE: u32 = 0u;             // multiply by f'(gate) for this ACT_* kind; gate holds f's output
override SPLIT_K: bool = false;      // write raw partial sums per K split (see above)
override HAS_ROW_SUMS: bool = false; // also write Σ_k op(A)[row][k] to row_sums
// A shape-specialised pipeline (SHAPE_M nonzero) has the dimensions and the K split as constants
// instead of uniforms: the compiler then knows the K loop's trip count and which bounds checks
// can never fail. The uniforms carry the same values (the host sets both).
override SHAPE_M: u32 = 0u;
override SHAPE_N: u32 = 0u;
override SHAPE_K: u32 = 0u;
override SHAPE_K_CHUNK: u32 = 0u;
override SHAPE_SPLITS: u32 = 0u;

@group(0) @binding(0) var<uniform> params: MatmulParams;
@group(0) @binding(1) var<storage, read> matrix_a: array<f32>;
@group(0) @binding(2) var<storage, read> matrix_b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> gate: array<f32>;
@group(0) @binding(5) var<storage, read_write> matrix_c: array<f32>;
@group(0) @binding(6) var<storage, read> partials: array<f32>;
@group(0) @binding(7) var<storage, read_write> row_sums: array<f32>;

const TILE_K = 16u;
// Each variant's C tile (rows × columns), which sets the host's grid (src/kernels/matmul.ts).
const V1_TILE_ROWS = 64u;
const V1_TILE_COLS = 64u;
const V3_TILE_ROWS = 64u;
const V3_TILE_COLS = 64u;
const V4_TILE_ROWS = 64u;
const V4_TILE_COLS = 64u;
const V5_TILE_ROWS = 128u;
const V5_TILE_COLS = 64u;

fn dim_m() -> u32 { if (SHAPE_M != 0u) { return SHAPE_M; } return params.m; }
fn dim_n() -> u32 { if (SHAPE_M != 0u) { return SHAPE_N; } return params.n; }
fn dim_k() -> u32 { if (SHAPE_M != 0u) { return SHAPE_K; } return params.k; }
fn k_chunk() -> u32 { if (SHAPE_M != 0u) { return SHAPE_K_CHUNK; } return params.k_chunk; }
fn split_count() -> u32 { if (SHAPE_M != 0u) { return SHAPE_SPLITS; } return params.splits; }

fn load_a(row: u32, kk: u32) -> f32 {
  if (row >= dim_m() || kk >= dim_k()) { return 0.0; }
  if (TRANSPOSE_A) { return matrix_a[kk * dim_m() + row]; }
  return matrix_a[row * dim_k() + kk];
}

fn load_b(kk: u32, col: u32) -> f32 {
  if (kk >= dim_k() || col >= dim_n()) { return 0.0; }
  if (TRANSPOSE_B) { return matrix_b[col * dim_k() + kk]; }
  return matrix_b[kk * dim_n() + col];
}

// Which (row-or-column, k) element of a tile thread `e` loads. Consecutive threads walk along
// whichever dimension is contiguous in memory, so the global loads coalesce.
fn tile_coords(e: u32, k_contiguous: bool, span: u32) -> vec2<u32> {
  if (k_contiguous) { return vec2<u32>(e / TILE_K, e % TILE_K); }
  return vec2<u32>(e % span, e / span);
}

fn k_range(split: u32) -> vec2<u32> {
  let begin = split * k_chunk();
  return vec2<u32>(begin, min(dim_k(), begin + k_chunk()));
}

// bias, activation and gate for one element of C.
fn epilogue(row: u32, col: u32, sum: f32) -> f32 {
  var v = sum;
  if (HAS_BIAS) { v += bias[col]; }
  v = activate(ACTIVATION, v, params.alpha);
  if (GATE != ACT_NONE) { v *= derivative_from_output(GATE, gate[row * dim_n() + col], params.alpha); }
  return v;
}

// Four consecutive columns of one row. Helpers like this keep every register-array index a
// constant: an index the compiler cannot resolve would move the accumulators to slow local memory.
fn store4(row: u32, col: u32, split: u32, v: vec4<f32>) {
  store(row, col, split, v.x);
  store(row, col + 1u, split, v.y);
  store(row, col + 2u, split, v.z);
  store(row, col + 3u, split, v.w);
}

fn store_row_sums4(row: u32, split: u32, v: vec4<f32>) {
  store_row_sum(row, split, v.x);
  store_row_sum(row + 1u, split, v.y);
  store_row_sum(row + 2u, split, v.z);
  store_row_sum(row + 3u, split, v.w);
}

// Row sums go to row_sums, or after the splits × M × N partial products when K is split.
fn store_row_sum(row: u32, split: u32, sum: f32) {
  if (row >= dim_m()) { return; }
  if (SPLIT_K) {
    matrix_c[split_count() * dim_m() * dim_n() + split * dim_m() + row] = sum;
  } else {
    row_sums[row] = sum;
  }
}

fn store(row: u32, col: u32, split: u32, sum: f32) {
  if (row >= dim_m() || col >= dim_n()) { return; }
  let index = row * dim_n() + col;
  if (SPLIT_K) {
    matrix_c[split * dim_m() * dim_n() + index] = sum;
  } else {
    matrix_c[index] = epilogue(row, col, sum);
  }
}

// ---- v1: 64×64 tile, 4×4 per thread ----

const ROW1 = 17u;  // vec4s per padded K row of a v1 tile: 64 floats + 4 padding
var<workgroup> tile_a: array<vec4<f32>, 272>;  // [TILE_K][ROW1]
var<workgroup> tile_b: array<vec4<f32>, 272>;

@compute @workgroup_size(16, 16)
fn matmul_bias_act(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let tid = lid.y * 16u + lid.x;
  let row0 = wid.y * V1_TILE_ROWS;
  let col0 = wid.x * V1_TILE_COLS;
  let ks = k_range(wid.z);
  var acc: array<vec4<f32>, 4>;
  var row_sum = vec4<f32>(0.0);
  let sums_rows = HAS_ROW_SUMS && wid.x == 0u && lid.x == 0u;

  for (var k0 = ks.x; k0 < ks.y; k0 += TILE_K) {
    for (var i = 0u; i < 4u; i++) {
      let e = tid + i * 256u;
      let ta = tile_coords(e, !TRANSPOSE_A, 64u);  // (row, k)
      tile_a[ta.y * ROW1 + ta.x / 4u][ta.x % 4u] = load_a(row0 + ta.x, k0 + ta.y);
      let tb = tile_coords(e, TRANSPOSE_B, 64u);   // (col, k)
      tile_b[tb.y * ROW1 + tb.x / 4u][tb.x % 4u] = load_b(k0 + tb.y, col0 + tb.x);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      let av = tile_a[kk * ROW1 + lid.y];
      if (sums_rows) { row_sum += av; }
      acc = outer4(av, tile_b[kk * ROW1 + lid.x], acc);
    }
    workgroupBarrier();
  }
  store_tile4x4(row0 + lid.y * 4u, col0 + lid.x * 4u, wid.z, acc, sums_rows, row_sum);
}

// ---- v3: v1 double-buffered ----

var<workgroup> tile_a3: array<vec4<f32>, 544>;  // two [TILE_K][ROW1] buffers
var<workgroup> tile_b3: array<vec4<f32>, 544>;

// The element of A (or B) that thread-slot e loads for the tile starting at k0, as in v1.
fn fetch_a(e: u32, row0: u32, k0: u32) -> f32 {
  let ta = tile_coords(e, !TRANSPOSE_A, 64u);
  return load_a(row0 + ta.x, k0 + ta.y);
}

fn fetch_b(e: u32, col0: u32, k0: u32) -> f32 {
  let tb = tile_coords(e, TRANSPOSE_B, 64u);
  return load_b(k0 + tb.y, col0 + tb.x);
}

fn stash_a(e: u32, base: u32, value: f32) {
  let ta = tile_coords(e, !TRANSPOSE_A, 64u);
  tile_a3[base + ta.y * ROW1 + ta.x / 4u][ta.x % 4u] = value;
}

fn stash_b(e: u32, base: u32, value: f32) {
  let tb = tile_coords(e, TRANSPOSE_B, 64u);
  tile_b3[base + tb.y * ROW1 + tb.x / 4u][tb.x % 4u] = value;
}

fn stash(tid: u32, base: u32, a: vec4<f32>, b: vec4<f32>) {
  stash_a(tid, base, a.x);
  stash_a(tid + 256u, base, a.y);
  stash_a(tid + 512u, base, a.z);
  stash_a(tid + 768u, base, a.w);
  stash_b(tid, base, b.x);
  stash_b(tid + 256u, base, b.y);
  stash_b(tid + 512u, base, b.z);
  stash_b(tid + 768u, base, b.w);
}

@compute @workgroup_size(16, 16)
fn matmul_bias_act_db(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let tid = lid.y * 16u + lid.x;
  let row0 = wid.y * V3_TILE_ROWS;
  let col0 = wid.x * V3_TILE_COLS;
  let ks = k_range(wid.z);
  let tiles = (ks.y - ks.x + TILE_K - 1u) / TILE_K;
  var acc: array<vec4<f32>, 4>;
  var row_sum = vec4<f32>(0.0);
  let sums_rows = HAS_ROW_SUMS && wid.x == 0u && lid.x == 0u;

  var next_a = vec4<f32>(
    fetch_a(tid, row0, ks.x), fetch_a(tid + 256u, row0, ks.x),
    fetch_a(tid + 512u, row0, ks.x), fetch_a(tid + 768u, row0, ks.x)
  );
  var next_b = vec4<f32>(
    fetch_b(tid, col0, ks.x), fetch_b(tid + 256u, col0, ks.x),
    fetch_b(tid + 512u, col0, ks.x), fetch_b(tid + 768u, col0, ks.x)
  );
  stash(tid, 0u, next_a, next_b);
  workgroupBarrier();
  for (var t = 0u; t < tiles; t++) {
    let current = (t % 2u) * 272u;
    let has_next = t + 1u < tiles;
    if (has_next) {
      // Issued before the multiply so the loads are in flight while it runs.
      let k0 = ks.x + (t + 1u) * TILE_K;
      next_a = vec4<f32>(
        fetch_a(tid, row0, k0), fetch_a(tid + 256u, row0, k0),
        fetch_a(tid + 512u, row0, k0), fetch_a(tid + 768u, row0, k0)
      );
      next_b = vec4<f32>(
        fetch_b(tid, col0, k0), fetch_b(tid + 256u, col0, k0),
        fetch_b(tid + 512u, col0, k0), fetch_b(tid + 768u, col0, k0)
      );
    }
    for (var kk = 0u; kk < TILE_K; kk++) {
      let av = tile_a3[current + kk * ROW1 + lid.y];
      if (sums_rows) { row_sum += av; }
      acc = outer4(av, tile_b3[current + kk * ROW1 + lid.x], acc);
    }
    // The other buffer was last read in iteration t − 1, which every thread has finished.
    if (has_next) { stash(tid, 272u - current, next_a, next_b); }
    workgroupBarrier();
  }
  store_tile4x4(row0 + lid.y * 4u, col0 + lid.x * 4u, wid.z, acc, sums_rows, row_sum);
}

// ---- 128-wide tiles: v4's A and v5 ----

const ROW2 = 33u;  // vec4s per padded K row of a 128-wide tile: 128 floats + 4 padding
var<workgroup> tile_a2: array<vec4<f32>, 528>;  // [TILE_K][ROW2]

// ---- v4: v1 with vec4 global loads ----
// One 16-byte load per thread per tile of A and of B, instead of four scalar loads with a bounds
// check each. It needs the contiguous dimension of each operand to be a multiple of 4 (the host
// checks), so that a vec4 lies wholly inside or wholly outside the matrix. matrix_a4 and
// matrix_b4 view the same bindings as vec4s; an entry point uses one view or the other.
@group(0) @binding(1) var<storage, read> matrix_a4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> matrix_b4: array<vec4<f32>>;

// Vec4 `e` of one operand's span×16 tile: A's into tile_a2 (rows op(A), stride ROW2, span 64 or
// 128) or B's into tile_b (columns of op(B), stride ROW1, span 64). `origin` is the tile's first
// row or column, `extent` that dimension's size (m or n). along_extent: the operand is stored
// with that dimension contiguous (Aᵀ stored K×M, or B stored K×N), so a vec4 is four tile entries
// of one K row and is stored as it comes. Otherwise (A, or Bᵀ stored N×K) it is four consecutive
// k of one row, spread over four K rows of the tile.
fn stage4(is_a: bool, along_extent: bool, e: u32, origin: u32, extent: u32, k0: u32, span: u32) {
  let f = fetch4(is_a, along_extent, e, origin, extent, k0, span);
  if (is_a) { put4_wide(&tile_a2, along_extent, f); return; }
  if (along_extent) {
    tile_b[f.kk * ROW1 + f.place] = f.v;
  } else {
    for (var j = 0u; j < 4u; j++) { tile_b[(f.kk + j) * ROW1 + f.place / 4u][f.place % 4u] = f.v[j]; }
  }
}

// A loaded vec4 and where it goes: K row kk and vec4 slot `place` (along_extent), or the first of
// four K rows kk and tile row `place`.
struct Fetched4 {
  v: vec4<f32>,
  kk: u32,
  place: u32,
}

fn fetch4(is_a: bool, along_extent: bool, e: u32, origin: u32, extent: u32, k0: u32, span: u32) -> Fetched4 {
  var v = vec4<f32>(0.0);
  if (along_extent) {
    let kk = e / (span / 4u);
    let slot = e % (span / 4u);
    if (k0 + kk < dim_k() && origin + 4u * slot < extent) {
      v = read4(is_a, ((k0 + kk) * extent + origin) / 4u + slot);
    }
    return Fetched4(v, kk, slot);
  }
  let r = e / 4u;
  let kk = 4u * (e % 4u);
  if (origin + r < extent && k0 + kk < dim_k()) { v = read4(is_a, ((origin + r) * dim_k() + k0 + kk) / 4u); }
  return Fetched4(v, kk, r);
}

// Stores a fetched vec4 into a 128-wide tile (tile_a2).
fn put4_wide(tile: ptr<workgroup, array<vec4<f32>, 528>>, along_extent: bool, f: Fetched4) {
  if (along_extent) {
    (*tile)[f.kk * ROW2 + f.place] = f.v;
  } else {
    for (var j = 0u; j < 4u; j++) { (*tile)[(f.kk + j) * ROW2 + f.place / 4u][f.place % 4u] = f.v[j]; }
  }
}

fn read4(is_a: bool, index: u32) -> vec4<f32> {
  if (is_a) { return matrix_a4[index]; }
  return matrix_b4[index];
}

@compute @workgroup_size(16, 16)
fn matmul_bias_act_vec4(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let tid = lid.y * 16u + lid.x;
  let row0 = wid.y * V4_TILE_ROWS;
  let col0 = wid.x * V4_TILE_COLS;
  let ks = k_range(wid.z);
  var acc: array<vec4<f32>, 4>;
  var row_sum = vec4<f32>(0.0);
  let sums_rows = HAS_ROW_SUMS && wid.x == 0u && lid.x == 0u;

  for (var k0 = ks.x; k0 < ks.y; k0 += TILE_K) {
    stage4(true, TRANSPOSE_A, tid, row0, dim_m(), k0, 64u);
    stage4(false, !TRANSPOSE_B, tid, col0, dim_n(), k0, 64u);
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      let av = tile_a2[kk * ROW2 + lid.y];
      if (sums_rows) { row_sum += av; }
      acc = outer4(av, tile_b[kk * ROW1 + lid.x], acc);
    }
    workgroupBarrier();
  }
  store_tile4x4(row0 + lid.y * 4u, col0 + lid.x * 4u, wid.z, acc, sums_rows, row_sum);
}

// ---- v5: 128×64 tile, 8×4 per thread, vec4 loads ----
// Twice v1's outputs per thread from 1.5× its workgroup-memory reads (two vec4s of A and one of B
// per k for 32 multiply-adds, against one and one for 16), with half as many workgroups as v1
// for the same C. Same shape requirements as v4.

@compute @workgroup_size(16, 16)
fn matmul_bias_act_128x64(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let tid = lid.y * 16u + lid.x;
  let row0 = wid.y * V5_TILE_ROWS;
  let col0 = wid.x * V5_TILE_COLS;
  let ks = k_range(wid.z);
  var acc_lo: array<vec4<f32>, 4>;  // rows lid.y·8 + 0…3, columns lid.x·4 … + 3
  var acc_hi: array<vec4<f32>, 4>;  // rows lid.y·8 + 4…7
  var sum_lo = vec4<f32>(0.0);
  var sum_hi = vec4<f32>(0.0);
  let sums_rows = HAS_ROW_SUMS && wid.x == 0u && lid.x == 0u;

  for (var k0 = ks.x; k0 < ks.y; k0 += TILE_K) {
    stage4(true, TRANSPOSE_A, tid, row0, dim_m(), k0, 128u);
    stage4(true, TRANSPOSE_A, tid + 256u, row0, dim_m(), k0, 128u);
    stage4(false, !TRANSPOSE_B, tid, col0, dim_n(), k0, 64u);
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      let a_lo = tile_a2[kk * ROW2 + lid.y * 2u];
      let a_hi = tile_a2[kk * ROW2 + lid.y * 2u + 1u];
      let bv = tile_b[kk * ROW1 + lid.x];
      if (sums_rows) {
        sum_lo += a_lo;
        sum_hi += a_hi;
      }
      acc_lo = outer4(a_lo, bv, acc_lo);
      acc_hi = outer4(a_hi, bv, acc_hi);
    }
    workgroupBarrier();
  }
  let row = row0 + lid.y * 8u;
  let col = col0 + lid.x * 4u;
  store_tile4x4(row, col, wid.z, acc_lo, sums_rows, sum_lo);
  store_tile4x4(row + 4u, col, wid.z, acc_hi, sums_rows, sum_hi);
}

// acc + a ⊗ b: four rows (a) times four columns (b), added to a thread's 4×4 accumulators.
// Taken and returned by value, so every accumulator index stays a constant (see store4).
fn outer4(a: vec4<f32>, b: vec4<f32>, acc: array<vec4<f32>, 4>) -> array<vec4<f32>, 4> {
  return array<vec4<f32>, 4>(fma(vec4<f32>(a.x), b, acc[0]), fma(vec4<f32>(a.y), b, acc[1]),
                             fma(vec4<f32>(a.z), b, acc[2]), fma(vec4<f32>(a.w), b, acc[3]));
}

// A thread's 4×4 outputs (and its row sums, where it keeps them).
fn store_tile4x4(row: u32, col: u32, split: u32, acc: array<vec4<f32>, 4>, sums_rows: bool, row_sum: vec4<f32>) {
  store4(row, col, split, acc[0]);
  store4(row + 1u, col, split, acc[1]);
  store4(row + 2u, col, split, acc[2]);
  store4(row + 3u, col, split, acc[3]);
  if (sums_rows) { store_row_sums4(row, split, row_sum); }
}

// ---- split-K reduction: C = epilogue(Σ_z partials[z]) in a fixed order ----

const REDUCE_THREADS = 256u;

@compute @workgroup_size(REDUCE_THREADS)
fn matmul_split_reduce(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let index = gid.x + gid.y * groups.x * REDUCE_THREADS;
  let size = dim_m() * dim_n();
  if (index >= size) { return; }
  var sum = 0.0;
  for (var z = 0u; z < split_count(); z++) {
    sum += partials[z * size + index];
  }
  matrix_c[index] = epilogue(index / dim_n(), index % dim_n(), sum);
  if (HAS_ROW_SUMS && index < dim_m()) {
    var row_sum = 0.0;
    for (var z = 0u; z < split_count(); z++) {
      row_sum += partials[split_count() * size + z * dim_m() + index];
    }
    row_sums[index] = row_sum;
  }
}
