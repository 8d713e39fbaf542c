// Draws square samples (values in [−1, 1], count × channels × side² floats in a storage buffer,
// each sample grey or planar RGB) as a grid on a canvas, straight from the GPU buffer: no
// readback. One full-screen triangle; each fragment finds its cell and pixel and reads the value
// of each channel.

struct GridParams {
  count: u32,
  columns: u32,
  side: u32,        // pixels per sample edge (28 for MNIST)
  padding: u32,     // sample pixels between cells
  scale: f32,       // canvas pixels per sample pixel
  channels: u32,    // 1: grey; 3: planar RGB
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: GridParams;
@group(0) @binding(1) var<storage, read> samples: array<f32>;

@vertex
fn grid_vertex(@builtin(vertex_index) index: u32) -> @builtin(position) vec4<f32> {
  // A triangle that covers the whole viewport.
  let corner = vec2<f32>(f32((index << 1u) & 2u), f32(index & 2u));
  return vec4<f32>(corner * 2.0 - 1.0, 0.0, 1.0);
}

@fragment
fn grid_fragment(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
  let background = vec4<f32>(0.08, 0.08, 0.1, 1.0);
  let pixel = vec2<u32>(position.xy / params.scale);
  let cell_size = params.side + params.padding;
  if (pixel.x < params.padding || pixel.y < params.padding) { return background; }
  let p = pixel - vec2<u32>(params.padding);
  let cell = p / cell_size;
  let inner = p % cell_size;
  let index = cell.y * params.columns + cell.x;
  if (cell.x >= params.columns || inner.x >= params.side || inner.y >= params.side || index >= params.count) {
    return background;
  }
  let plane = params.side * params.side;
  let at = index * params.channels * plane + inner.y * params.side + inner.x;
  // Grey reads its one plane three times; colour reads a plane per channel.
  let step = select(0u, plane, params.channels == 3u);
  let rgb = vec3<f32>(samples[at], samples[at + step], samples[at + 2u * step]);
  return vec4<f32>(clamp(rgb * 0.5 + 0.5, vec3<f32>(0.0), vec3<f32>(1.0)), 1.0);
}
