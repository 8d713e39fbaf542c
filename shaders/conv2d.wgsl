// 2-D convolution (NCHW, PyTorch's Conv2d: cross-correlation, no dilation) as an implicit GEMM:
// the tile loop of matmul.wgsl's v1, where the operands' elements are gathered from the image,
// the weights or the output gradient by index arithmetic instead of being copied into an im2col
// matrix first. One module, three GEMMs, chosen by MODE:
//
//   MODE_FORWARD      y[n,co,oh,ow] = Σ_{ci,kh,kw} w[co,ci,kh,kw]·x[n,ci,oh·s−p+kh,ow·s−p+kw]
//                     rows co, columns (n,oh,ow), K (ci,kh,kw)
//   MODE_INPUT_GRAD   dx[n,ci,ih,iw] = Σ over the (co,kh,kw) whose output pixel covers (ih,iw)
//                     of dy[n,co,oh,ow]·w[co,ci,kh,kw]. This is also ConvTranspose2d's forward
//                     (its weight [in,out,kh,kw] is the conv's [out,in,kh,kw]), so one kernel
//                     serves both.
//   MODE_WEIGHT_GRAD  dw[co,ci,kh,kw] = Σ_{n,oh,ow} dy[n,co,oh,ow]·x[n,ci,oh·s−p+kh,ow·s−p+kw]
//                     rows co, columns (ci,kh,kw), K (n,oh,ow): long, so split over workgroups
//                     z (SPLIT_K) and added up by conv_split_reduce in a fixed order.
//
// The input gradient runs one GEMM per stride phase (workgroups z): the input pixels whose
// (ih + pad) ≡ rh (mod stride) are reached only by taps kh ≡ rh, so each phase multiplies over
// those ⌈KH/stride⌉ taps alone. A stride-2 layer thus does no multiplications by the zeros a
// zero-inserted (dilated) gradient would hold, a quarter of the work.
//
// Every size is an override constant: a pipeline is built per layer shape, and the divisions by
// KW, OW and the like are by constants the compiler turns into multiplications.
// The GEMM's rows are always channels. THREAD_ROWS × THREAD_COLS threads each compute 4×4
// outputs on a GPU: 16×16 (64×64 tiles) in general, 2×32 (8×128 tiles) when there are few
// channels, which a 64-row tile would compute up to 64 times over, and 16×4 (64×16 tiles) when
// there are few columns (a 1-channel image's weight gradient: 16 taps). On a CPU adapter each
// thread computes up to 16×16 (BLOCKS_ROWS × BLOCKS_COLS blocks of 4×4; see conv_gemm). An input
// gradient of at most 4 channels (that of a 1-channel image) skips the GEMM: conv_input_grad_direct.
// conv_channel_sum adds up a gradient per channel over batch and pixels: a bias gradient.
// requires: activation_math.wgsl

const MODE_FORWARD = 0u;
const MODE_INPUT_GRAD = 1u;
const MODE_WEIGHT_GRAD = 2u;

override MODE: u32 = 0u;
override BATCH: u32 = 1u;
override C_IN: u32 = 1u;
override H_IN: u32 = 1u;
override W_IN: u32 = 1u;
override C_OUT: u32 = 1u;
override K_H: u32 = 1u;
override K_W: u32 = 1u;
override STRIDE_H: u32 = 1u;
override STRIDE_W: u32 = 1u;
override PAD_H: u32 = 0u;
override PAD_W: u32 = 0u;
override H_OUT: u32 = 1u;
override W_OUT: u32 = 1u;
override HAS_BIAS: bool = false;      // add bias[channel] (forward and input-gradient modes)
override ACTIVATION: u32 = 0u;        // ACT_* applied to the result
override GATE: u32 = 0u;              // multiply by f'(gate), gate holding f's output (shaped as the output)
override LEAKY_SLOPE: f32 = 0.2;
override SPLIT_K: bool = false;       // weight gradient: raw partial sums, one slice per split
override K_CHUNK: u32 = 16u;          // K per split, a multiple of TILE_K
override SPLITS: u32 = 1u;
override THREAD_ROWS: u32 = 16u;      // 16 or 2
override THREAD_COLS: u32 = 16u;      // 16, 32 (with 2 rows) or 4 (with 16 rows)

@group(0) @binding(0) var<storage, read> image: array<f32>;    // x: [BATCH, C_IN, H_IN, W_IN]
@group(0) @binding(1) var<storage, read> weight: array<f32>;   // w: [C_OUT, C_IN, K_H, K_W]
@group(0) @binding(2) var<storage, read> grad: array<f32>;     // dy: [BATCH, C_OUT, H_OUT, W_OUT]
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> gate: array<f32>;     // shaped as the output
@group(0) @binding(5) var<storage, read_write> output: array<f32>;
@group(0) @binding(6) var<storage, read> partials: array<f32>;

const TILE_K = 16u;
// The largest tiles' workgroup arrays: A up to 64 rows (128 with K_STEP = 8), B up to 128 columns,
// each K row padded by one vec4 so the transposing stores spread over memory banks (as
// matmul.wgsl). 12.5 KiB together, within WebGPU's default 16 KiB.
var<workgroup> tile_a: array<vec4<f32>, 272>;  // [K_STEP][rows / 4 + 1]
var<workgroup> tile_b: array<vec4<f32>, 528>;  // [K_STEP][cols / 4 + 1]

// The stride phases of the input gradient: each takes ⌈K/stride⌉ taps per axis over
// ⌈H_IN/stride⌉ input rows (fewer where the phase runs past the edge).
override TAPS_H: u32 = (K_H + STRIDE_H - 1u) / STRIDE_H;
override TAPS_W: u32 = (K_W + STRIDE_W - 1u) / STRIDE_W;
override PHASE_H: u32 = (H_IN + STRIDE_H - 1u) / STRIDE_H;
override PHASE_W: u32 = (W_IN + STRIDE_W - 1u) / STRIDE_W;

fn gemm_rows() -> u32 {
  if (MODE == MODE_INPUT_GRAD) { return C_IN; }
  return C_OUT;
}

fn gemm_cols() -> u32 {
  if (MODE == MODE_FORWARD) { return BATCH * H_OUT * W_OUT; }
  if (MODE == MODE_INPUT_GRAD) { return BATCH * PHASE_H * PHASE_W; }
  return C_IN * K_H * K_W;
}

fn gemm_k() -> u32 {
  if (MODE == MODE_FORWARD) { return C_IN * K_H * K_W; }
  if (MODE == MODE_INPUT_GRAD) { return C_OUT * TAPS_H * TAPS_W; }
  return BATCH * H_OUT * W_OUT;
}

// One input-gradient phase: which kernel row/column offsets it takes (rh, rw), its first input
// pixel (ih0, iw0) and the output pixel that tap 0 of input step 0 reads (base).
struct Phase {
  rh: u32,
  rw: u32,
  ih0: u32,
  iw0: u32,
  base_h: i32,
  base_w: i32,
}

fn phase_of(z: u32) -> Phase {
  let rh = z / STRIDE_W;
  let rw = z % STRIDE_W;
  // The first ih ≥ 0 with (ih + PAD_H) % STRIDE_H == rh.
  let ih0 = (rh + STRIDE_H - PAD_H % STRIDE_H) % STRIDE_H;
  let iw0 = (rw + STRIDE_W - PAD_W % STRIDE_W) % STRIDE_W;
  return Phase(rh, rw, ih0, iw0, i32((ih0 + PAD_H - rh) / STRIDE_H), i32((iw0 + PAD_W - rw) / STRIDE_W));
}

// x[n, ci, ih, iw], zero outside the image (the padding).
fn image_at(n: u32, ci: u32, ih: i32, iw: i32) -> f32 {
  if (ih < 0 || iw < 0 || ih >= i32(H_IN) || iw >= i32(W_IN)) { return 0.0; }
  return image[((n * C_IN + ci) * H_IN + u32(ih)) * W_IN + u32(iw)];
}

// dy[n, co, oh, ow], zero outside the output.
fn grad_at(n: u32, co: u32, oh: i32, ow: i32) -> f32 {
  if (oh < 0 || ow < 0 || oh >= i32(H_OUT) || ow >= i32(W_OUT)) { return 0.0; }
  return grad[((n * C_OUT + co) * H_OUT + u32(oh)) * W_OUT + u32(ow)];
}

// Element (row, k) of the GEMM's left operand; rows are channels.
fn load_a(row: u32, k: u32, phase: Phase) -> f32 {
  if (row >= gemm_rows() || k >= gemm_k()) { return 0.0; }
  if (MODE == MODE_FORWARD) { return weight[row * gemm_k() + k]; }
  if (MODE == MODE_INPUT_GRAD) {
    let co = k / (TAPS_H * TAPS_W);
    let kh = phase.rh + STRIDE_H * ((k / TAPS_W) % TAPS_H);
    let kw = phase.rw + STRIDE_W * (k % TAPS_W);
    if (kh >= K_H || kw >= K_W) { return 0.0; }
    return weight[((co * C_IN + row) * K_H + kh) * K_W + kw];
  }
  let n = k / (H_OUT * W_OUT);
  return grad[(n * C_OUT + row) * H_OUT * W_OUT + k % (H_OUT * W_OUT)];
}

// Element (k, col) of the GEMM's right operand; columns are pixels (or, for the weight gradient,
// the weight's (ci, kh, kw)).
fn load_b(k: u32, col: u32, phase: Phase) -> f32 {
  if (k >= gemm_k() || col >= gemm_cols()) { return 0.0; }
  if (MODE == MODE_FORWARD) {
    return tap(col / (H_OUT * W_OUT), (col / W_OUT) % H_OUT, col % W_OUT, k / (K_H * K_W), (k / K_W) % K_H, k % K_W);
  }
  if (MODE == MODE_INPUT_GRAD) {
    let co = k / (TAPS_H * TAPS_W);
    let th = i32((k / TAPS_W) % TAPS_H);
    let tw = i32(k % TAPS_W);
    let n = col / (PHASE_H * PHASE_W);
    let jh = i32((col / PHASE_W) % PHASE_H);
    let jw = i32(col % PHASE_W);
    return grad_at(n, co, phase.base_h + jh - th, phase.base_w + jw - tw);
  }
  return tap(k / (H_OUT * W_OUT), (k / W_OUT) % H_OUT, k % W_OUT, col / (K_H * K_W), (col / K_W) % K_H, col % K_W);
}

// The image value that tap (kh, kw) of input channel ci sees from output pixel (oh, ow).
fn tap(n: u32, oh: u32, ow: u32, ci: u32, kh: u32, kw: u32) -> f32 {
  return image_at(n, ci, i32(oh * STRIDE_H + kh) - i32(PAD_H), i32(ow * STRIDE_W + kw) - i32(PAD_W));
}

// Where GEMM element (row, col) lives in the output tensor, or -1 for an input-gradient column
// past the image's edge (a phase with fewer rows or columns than PHASE_H × PHASE_W).
fn output_index(row: u32, col: u32, phase: Phase) -> i32 {
  if (MODE == MODE_FORWARD) {
    let pixels = H_OUT * W_OUT;
    return i32(((col / pixels) * C_OUT + row) * pixels + col % pixels);
  }
  if (MODE == MODE_INPUT_GRAD) {
    let n = col / (PHASE_H * PHASE_W);
    let ih = phase.ih0 + STRIDE_H * ((col / PHASE_W) % PHASE_H);
    let iw = phase.iw0 + STRIDE_W * (col % PHASE_W);
    if (ih >= H_IN || iw >= W_IN) { return -1; }
    return i32(((n * C_IN + row) * H_IN + ih) * W_IN + iw);
  }
  return i32(row * gemm_cols() + col);
}

fn store(row: u32, col: u32, split: u32, phase: Phase, sum: f32) {
  if (row >= gemm_rows() || col >= gemm_cols()) { return; }
  let at = output_index(row, col, phase);
  if (at < 0) { return; }
  let index = u32(at);
  if (SPLIT_K) {
    output[split * gemm_rows() * gemm_cols() + index] = sum;
    return;
  }
  var v = sum;
  if (HAS_BIAS) { v += bias[row]; }
  v = activate(ACTIVATION, v, LEAKY_SLOPE);
  if (GATE != ACT_NONE) { v *= derivative_from_output(GATE, gate[index], LEAKY_SLOPE); }
  output[index] = v;
}

// Which (row-or-column, k) element of a tile thread slot e loads: consecutive slots walk along
// the dimension that is contiguous in memory, so that loads coalesce.
fn slot_coords(e: u32, k_fastest: bool, span: u32) -> vec2<u32> {
  if (k_fastest) { return vec2<u32>(e / K_STEP, e % K_STEP); }
  return vec2<u32>(e % span, e / span);
}

// A's weights (forward) and output gradient (weight gradient) are contiguous along K; B's
// pixels are contiguous along columns, but for the weight gradient K walks the image's pixels.
override A_K_FASTEST: bool = MODE != MODE_INPUT_GRAD;
override B_K_FASTEST: bool = MODE == MODE_WEIGHT_GRAD;

fn outer4(a: vec4<f32>, b: vec4<f32>, acc: array<vec4<f32>, 4>) -> array<vec4<f32>, 4> {
  return array<vec4<f32>, 4>(fma(vec4<f32>(a.x), b, acc[0]), fma(vec4<f32>(a.y), b, acc[1]),
                             fma(vec4<f32>(a.z), b, acc[2]), fma(vec4<f32>(a.w), b, acc[3]));
}

fn store_row4(row: u32, col: u32, split: u32, phase: Phase, v: vec4<f32>) {
  store(row, col, split, phase, v.x);
  store(row, col + 1u, split, phase, v.y);
  store(row, col + 2u, split, phase, v.z);
  store(row, col + 3u, split, phase, v.w);
}

fn store_block(row: u32, col: u32, split: u32, phase: Phase, acc: array<vec4<f32>, 4>) {
  store_row4(row, col, split, phase, acc[0]);
  store_row4(row + 1u, col, split, phase, acc[1]);
  store_row4(row + 2u, col, split, phase, acc[2]);
  store_row4(row + 3u, col, split, phase, acc[3]);
}

// Outputs per thread: BLOCKS_ROWS × BLOCKS_COLS blocks of 4×4 (1, 2 or 4 each way), block i a
// further 4 · THREAD_ROWS rows down and block j 4 · THREAD_COLS columns across, so that
// neighbouring threads read neighbouring vec4s of the tiles. A thread reads 4 · (BLOCKS_ROWS +
// BLOCKS_COLS) floats of the tiles per k for 16 · BLOCKS_ROWS · BLOCKS_COLS multiply-adds. On a
// CPU adapter every such read is a gather, one scalar load per SIMD lane, and costs far more than
// the multiply-adds (even with the accumulators spilt to the stack), so it takes the largest
// blocks; a GPU keeps 4×4 outputs per thread. 128-wide tiles take K_STEP = 8 columns of K at a
// time, to stay in the same workgroup memory.
override BLOCKS_ROWS: u32 = 1u;
override BLOCKS_COLS: u32 = 1u;
override K_STEP: u32 = TILE_K;  // 16, or 8 with 128-wide tiles

alias Block = array<vec4<f32>, 4>;
alias Blocks = array<Block, 16>;  // [BLOCKS_ROWS][4], row block i column block j at 4·i + j

// acc + a ⊗ b over the blocks in use (the constant conditions fold away; every index is a constant,
// so the accumulators stay values rather than an array in memory).
fn outer_blocks(a: array<vec4<f32>, 4>, b: array<vec4<f32>, 4>, acc: Blocks) -> Blocks {
  var r = acc;
  r[0] = outer4(a[0], b[0], r[0]);
  if (BLOCKS_COLS > 1u) { r[1] = outer4(a[0], b[1], r[1]); }
  if (BLOCKS_COLS > 2u) { r[2] = outer4(a[0], b[2], r[2]); r[3] = outer4(a[0], b[3], r[3]); }
  if (BLOCKS_ROWS > 1u) {
    r[4] = outer4(a[1], b[0], r[4]);
    if (BLOCKS_COLS > 1u) { r[5] = outer4(a[1], b[1], r[5]); }
    if (BLOCKS_COLS > 2u) { r[6] = outer4(a[1], b[2], r[6]); r[7] = outer4(a[1], b[3], r[7]); }
  }
  if (BLOCKS_ROWS > 2u) {
    r[8] = outer4(a[2], b[0], r[8]);
    r[12] = outer4(a[3], b[0], r[12]);
    if (BLOCKS_COLS > 1u) { r[9] = outer4(a[2], b[1], r[9]); r[13] = outer4(a[3], b[1], r[13]); }
    if (BLOCKS_COLS > 2u) {
      r[10] = outer4(a[2], b[2], r[10]);
      r[11] = outer4(a[2], b[3], r[11]);
      r[14] = outer4(a[3], b[2], r[14]);
      r[15] = outer4(a[3], b[3], r[15]);
    }
  }
  return r;
}

@compute @workgroup_size(THREAD_COLS, THREAD_ROWS)
fn conv_gemm(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let threads = THREAD_ROWS * THREAD_COLS;
  let rows = 4u * THREAD_ROWS * BLOCKS_ROWS;
  let cols = 4u * THREAD_COLS * BLOCKS_COLS;
  let a_stride = rows / 4u + 1u;  // vec4s per K row of a tile, one of them padding
  let b_stride = cols / 4u + 1u;
  let tid = lid.y * THREAD_COLS + lid.x;
  let row0 = wid.y * rows;
  let col0 = wid.x * cols;
  var split = 0u;
  var phase = phase_of(0u);
  if (MODE == MODE_INPUT_GRAD) { phase = phase_of(wid.z); } else { split = wid.z; }
  let k_begin = split * K_CHUNK;
  var k_end = gemm_k();
  if (SPLIT_K) { k_end = min(k_end, k_begin + K_CHUNK); }
  var acc: Blocks;

  for (var k0 = k_begin; k0 < k_end; k0 += K_STEP) {
    for (var e = tid; e < rows * K_STEP; e += threads) {
      let ta = slot_coords(e, A_K_FASTEST, rows);  // (row, k)
      tile_a[ta.y * a_stride + ta.x / 4u][ta.x % 4u] = load_a(row0 + ta.x, k0 + ta.y, phase);
    }
    for (var e = tid; e < cols * K_STEP; e += threads) {
      let tb = slot_coords(e, B_K_FASTEST, cols);  // (col, k)
      tile_b[tb.y * b_stride + tb.x / 4u][tb.x % 4u] = load_b(k0 + tb.y, col0 + tb.x, phase);
    }
    workgroupBarrier();
    // With more than 2×2 blocks, a bound the compiler cannot count: a CPU adapter's compiler would
    // unroll a constant one into code that takes it a minute to compile. 4×4 outputs keep the
    // constant bound a GPU's compiler unrolls.
    let k_count = select(K_STEP, min(K_STEP, k_end - k0), BLOCKS_ROWS * BLOCKS_COLS > 4u);
    for (var kk = 0u; kk < k_count; kk++) {
      let at = kk * a_stride + lid.y;
      let bt = kk * b_stride + lid.x;
      var a: array<vec4<f32>, 4>;
      var b: array<vec4<f32>, 4>;
      a[0] = tile_a[at];
      b[0] = tile_b[bt];
      if (BLOCKS_ROWS > 1u) { a[1] = tile_a[at + THREAD_ROWS]; }
      if (BLOCKS_ROWS > 2u) { a[2] = tile_a[at + 2u * THREAD_ROWS]; a[3] = tile_a[at + 3u * THREAD_ROWS]; }
      if (BLOCKS_COLS > 1u) { b[1] = tile_b[bt + THREAD_COLS]; }
      if (BLOCKS_COLS > 2u) { b[2] = tile_b[bt + 2u * THREAD_COLS]; b[3] = tile_b[bt + 3u * THREAD_COLS]; }
      acc = outer_blocks(a, b, acc);
    }
    workgroupBarrier();
  }
  let row = row0 + lid.y * 4u;
  let col = col0 + lid.x * 4u;
  // Constant indices only (see outer_blocks).
  store_blocks_row(row, col, split, phase, acc[0], acc[1], acc[2], acc[3]);
  if (BLOCKS_ROWS > 1u) { store_blocks_row(row + 4u * THREAD_ROWS, col, split, phase, acc[4], acc[5], acc[6], acc[7]); }
  if (BLOCKS_ROWS > 2u) {
    store_blocks_row(row + 8u * THREAD_ROWS, col, split, phase, acc[8], acc[9], acc[10], acc[11]);
    store_blocks_row(row + 12u * THREAD_ROWS, col, split, phase, acc[12], acc[13], acc[14], acc[15]);
  }
}

// One row of blocks: those of BLOCKS_COLS in use.
fn store_blocks_row(row: u32, col: u32, split: u32, phase: Phase, b0: Block, b1: Block, b2: Block, b3: Block) {
  store_block(row, col, split, phase, b0);
  if (BLOCKS_COLS > 1u) { store_block(row, col + 4u * THREAD_COLS, split, phase, b1); }
  if (BLOCKS_COLS > 2u) {
    store_block(row, col + 8u * THREAD_COLS, split, phase, b2);
    store_block(row, col + 12u * THREAD_COLS, split, phase, b3);
  }
}

// The input gradient of a layer with few input channels (a 1-channel image, ConvTranspose2d to
// RGB) without the GEMM: its rows would be those channels, so even an 8-row tile would mostly
// multiply padding, each gathered gradient element feeding one useful multiply. Here a thread owns
// a 4×4 block of one stride phase's pixels, channel after channel (C_IN ≤ 4), and reads each
// gradient row that a tap row needs once, as a window that every tap column shifts; the weights
// it multiplies by are the same for the whole workgroup (uniform loads).
// Threads: x over (n, block row, block column) of the phase, workgroups z the phases.
const DIRECT_THREADS = 64u;
override DIRECT_BLOCKS_H: u32 = (PHASE_H + 3u) / 4u;
override DIRECT_BLOCKS_W: u32 = (PHASE_W + 3u) / 4u;

// dy[n, co, oh, ow + c] for c < count (a constant), zero elsewhere and outside the output; the
// clamped index keeps every read in bounds, so the edges cost selects, not branches.
fn grad_row(n: u32, co: u32, oh: i32, ow: i32, count: u32) -> vec4<f32> {
  let row_ok = oh >= 0 && oh < i32(H_OUT);
  let base = ((n * C_OUT + co) * H_OUT + u32(clamp(oh, 0, i32(H_OUT) - 1))) * W_OUT;
  var v = vec4<f32>();
  for (var c = 0u; c < count; c++) {
    let w = ow + i32(c);
    let ok = row_ok && w >= 0 && w < i32(W_OUT);
    v[c] = select(0.0, grad[base + u32(clamp(w, 0, i32(W_OUT) - 1))], ok);
  }
  return v;
}

// Elements s .. s + 3 of the 8-element window lo ++ hi (s ≤ 4).
fn window4(lo: vec4<f32>, hi: vec4<f32>, s: u32) -> vec4<f32> {
  switch (s) {
    case 0u: { return lo; }
    case 1u: { return vec4<f32>(lo.yzw, hi.x); }
    case 2u: { return vec4<f32>(lo.zw, hi.xy); }
    case 3u: { return vec4<f32>(lo.w, hi.xyz); }
    default: { return hi; }
  }
}

// Up to this many tap columns a gradient row's 3 + TAPS_W elements are read once, as one 8-wide
// window that every tap column shifts; wider kernels read 4 elements per tap column.
const DIRECT_WINDOW_TAPS = 5u;

@compute @workgroup_size(DIRECT_THREADS)
fn conv_input_grad_direct(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let blocks = DIRECT_BLOCKS_H * DIRECT_BLOCKS_W;
  if (gid.x >= BATCH * blocks) { return; }
  // From the workgroup id, so that the compiler sees the weights' addresses are uniform.
  let phase = phase_of(wid.z);
  let n = gid.x / blocks;
  let jh0 = ((gid.x / DIRECT_BLOCKS_W) % DIRECT_BLOCKS_H) * 4u;
  let jw0 = (gid.x % DIRECT_BLOCKS_W) * 4u;
  // Output pixel (row, column) that tap (0, 0) of pixel (jh0, jw0) reads.
  let oh0 = phase.base_h + i32(jh0);
  let ow0 = phase.base_w + i32(jw0);
  // Channels one after another: each with its 4 rows in 4 named registers, since an array that a
  // loop indexes would be spilled to memory and searched by the CPU compiler.
  for (var ci = 0u; ci < C_IN; ci++) {
    var acc0 = vec4<f32>();
    var acc1 = vec4<f32>();
    var acc2 = vec4<f32>();
    var acc3 = vec4<f32>();
    for (var co = 0u; co < C_OUT; co++) {
      for (var th = 0u; th < TAPS_H; th++) {
        let kh = phase.rh + STRIDE_H * th;
        if (kh >= K_H) { continue; }
        // The four gradient rows that tap row th reads, from the last tap column's first pixel
        // on: 3 + TAPS_W elements each, read once and shifted per tap column.
        let oh = oh0 - i32(th);
        let left = ow0 + 1 - i32(TAPS_W);
        let first = select(0u, 4u, TAPS_W <= DIRECT_WINDOW_TAPS);  // none for wider kernels
        let more = select(0u, TAPS_W - 1u, TAPS_W <= DIRECT_WINDOW_TAPS);
        let lo0 = grad_row(n, co, oh, left, first);
        let hi0 = grad_row(n, co, oh, left + 4, more);
        let lo1 = grad_row(n, co, oh + 1, left, first);
        let hi1 = grad_row(n, co, oh + 1, left + 4, more);
        let lo2 = grad_row(n, co, oh + 2, left, first);
        let hi2 = grad_row(n, co, oh + 2, left + 4, more);
        let lo3 = grad_row(n, co, oh + 3, left, first);
        let hi3 = grad_row(n, co, oh + 3, left + 4, more);
        for (var tw = 0u; tw < TAPS_W; tw++) {
          let kw = phase.rw + STRIDE_W * tw;
          if (kw >= K_W) { continue; }
          let wv = vec4<f32>(weight[((co * C_IN + ci) * K_H + kh) * K_W + kw]);
          if (TAPS_W <= DIRECT_WINDOW_TAPS) {
            let s = TAPS_W - 1u - tw;
            acc0 = fma(wv, window4(lo0, hi0, s), acc0);
            acc1 = fma(wv, window4(lo1, hi1, s), acc1);
            acc2 = fma(wv, window4(lo2, hi2, s), acc2);
            acc3 = fma(wv, window4(lo3, hi3, s), acc3);
          } else {
            acc0 = fma(wv, grad_row(n, co, oh, ow0 - i32(tw), 4u), acc0);
            acc1 = fma(wv, grad_row(n, co, oh + 1, ow0 - i32(tw), 4u), acc1);
            acc2 = fma(wv, grad_row(n, co, oh + 2, ow0 - i32(tw), 4u), acc2);
            acc3 = fma(wv, grad_row(n, co, oh + 3, ow0 - i32(tw), 4u), acc3);
          }
        }
      }
    }
    let rows = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
    for (var r = 0u; r < 4u; r++) {
      for (var c = 0u; c < 4u; c++) {
        let jh = jh0 + r;
        let jw = jw0 + c;
        if (jh < PHASE_H && jw < PHASE_W) {
          store(ci, (n * PHASE_H + jh) * PHASE_W + jw, 0u, phase, rows[r][c]);
        }
      }
    }
  }
}

// The weight gradient's split partial sums added in split order, so the result is the same on
// every run (no float atomics).
@compute @workgroup_size(256)
fn conv_split_reduce(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let index = gid.x + gid.y * groups.x * 256u;
  let size = gemm_rows() * gemm_cols();
  if (index >= size) { return; }
  var sum = 0.0;
  for (var z = 0u; z < SPLITS; z++) { sum += partials[z * size + index]; }
  output[index] = sum;
}

// Σ over batch and pixels of grad[n, c, :, :] for channel c = workgroup x: the bias gradient of a
// convolution (C_OUT channels of H_OUT × W_OUT). A fixed tree order keeps it deterministic.
const SUM_THREADS = 256u;
var<workgroup> channel_partials: array<f32, SUM_THREADS>;

@compute @workgroup_size(SUM_THREADS)
fn conv_channel_sum(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let c = wid.x;
  let pixels = H_OUT * W_OUT;
  var sum = 0.0;
  for (var i = lid.x; i < BATCH * pixels; i += SUM_THREADS) {
    sum += grad[((i / pixels) * C_OUT + c) * pixels + i % pixels];
  }
  channel_partials[lid.x] = sum;
  workgroupBarrier();
  for (var width = SUM_THREADS / 2u; width > 0u; width /= 2u) {
    if (lid.x < width) { channel_partials[lid.x] += channel_partials[lid.x + width]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { output[c] = channel_partials[0]; }
}
