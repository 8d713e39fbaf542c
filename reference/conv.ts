// Float64 references of PyTorch's Conv2d and ConvTranspose2d (NCHW, no dilation, one group) and
// their gradients, written from the documented formulas one output element at a time: the
// convolution gathers, the transposed convolution scatters, so the two are independent of each
// other and of the GPU's implicit GEMM. Each also returns Σ|terms| per element for the float32
// tolerance (numeric.ts).

export interface ConvShape {
  batch: number;
  inChannels: number;
  outChannels: number;
  inHeight: number;
  inWidth: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
}

export interface ReferenceTensor {
  values: Float64Array;
  /** Σ|terms| of each value's sum. */
  magnitude: Float64Array;
}

export function convOutputSize(shape: ConvShape): { outHeight: number; outWidth: number } {
  return {
    outHeight: Math.floor((shape.inHeight + 2 * shape.padH - shape.kernelH) / shape.strideH) + 1,
    outWidth: Math.floor((shape.inWidth + 2 * shape.padW - shape.kernelW) / shape.strideW) + 1,
  };
}

function tensor(size: number): ReferenceTensor {
  return { values: new Float64Array(size), magnitude: new Float64Array(size) };
}

/** Calls visit(n, co, oh, ow, ci, kh, kw, ih, iw) for every tap that lands inside the image. */
function forEachTap(
  s: ConvShape,
  visit: (
    n: number,
    co: number,
    oh: number,
    ow: number,
    ci: number,
    kh: number,
    kw: number,
    ih: number,
    iw: number,
  ) => void,
): void {
  const { outHeight, outWidth } = convOutputSize(s);
  for (let n = 0; n < s.batch; n++)
    for (let co = 0; co < s.outChannels; co++)
      for (let oh = 0; oh < outHeight; oh++)
        for (let ow = 0; ow < outWidth; ow++)
          for (let ci = 0; ci < s.inChannels; ci++)
            for (let kh = 0; kh < s.kernelH; kh++)
              for (let kw = 0; kw < s.kernelW; kw++) {
                const ih = oh * s.strideH - s.padH + kh;
                const iw = ow * s.strideW - s.padW + kw;
                if (ih < 0 || iw < 0 || ih >= s.inHeight || iw >= s.inWidth) continue;
                visit(n, co, oh, ow, ci, kh, kw, ih, iw);
              }
}

function indexers(s: ConvShape) {
  const { outHeight, outWidth } = convOutputSize(s);
  return {
    x: (n: number, c: number, h: number, w: number) => ((n * s.inChannels + c) * s.inHeight + h) * s.inWidth + w,
    y: (n: number, c: number, h: number, w: number) => ((n * s.outChannels + c) * outHeight + h) * outWidth + w,
    w: (co: number, ci: number, kh: number, kw: number) => ((co * s.inChannels + ci) * s.kernelH + kh) * s.kernelW + kw,
    outHeight,
    outWidth,
  };
}

/** y = conv2d(x, w) + bias (bias per output channel, optional), before any activation. */
export function conv2dReference(
  s: ConvShape,
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  bias?: ArrayLike<number>,
): ReferenceTensor {
  const at = indexers(s);
  const out = tensor(s.batch * s.outChannels * at.outHeight * at.outWidth);
  forEachTap(s, (n, co, oh, ow, ci, kh, kw, ih, iw) => {
    const term = w[at.w(co, ci, kh, kw)]! * x[at.x(n, ci, ih, iw)]!;
    const i = at.y(n, co, oh, ow);
    out.values[i]! += term;
    out.magnitude[i]! += Math.abs(term);
  });
  if (bias) addChannelBias(out, bias, s.outChannels, at.outHeight * at.outWidth);
  return out;
}

/** dL/dx of a convolution given dL/dy, each output's gradient scattered back along its taps. */
export function conv2dInputGradReference(s: ConvShape, dy: ArrayLike<number>, w: ArrayLike<number>): ReferenceTensor {
  const at = indexers(s);
  const out = tensor(s.batch * s.inChannels * s.inHeight * s.inWidth);
  forEachTap(s, (n, co, oh, ow, ci, kh, kw, ih, iw) => {
    const term = dy[at.y(n, co, oh, ow)]! * w[at.w(co, ci, kh, kw)]!;
    const i = at.x(n, ci, ih, iw);
    out.values[i]! += term;
    out.magnitude[i]! += Math.abs(term);
  });
  return out;
}

/** dL/dw of a convolution given dL/dy and its input x. */
export function conv2dWeightGradReference(s: ConvShape, dy: ArrayLike<number>, x: ArrayLike<number>): ReferenceTensor {
  const at = indexers(s);
  const out = tensor(s.outChannels * s.inChannels * s.kernelH * s.kernelW);
  forEachTap(s, (n, co, oh, ow, ci, kh, kw, ih, iw) => {
    const term = dy[at.y(n, co, oh, ow)]! * x[at.x(n, ci, ih, iw)]!;
    const i = at.w(co, ci, kh, kw);
    out.values[i]! += term;
    out.magnitude[i]! += Math.abs(term);
  });
  return out;
}

/** Σ over batch and pixels of dy per channel: a convolution's bias gradient. */
export function channelSumReference(
  dy: ArrayLike<number>,
  batch: number,
  channels: number,
  pixels: number,
): ReferenceTensor {
  const out = tensor(channels);
  for (let n = 0; n < batch; n++)
    for (let c = 0; c < channels; c++)
      for (let p = 0; p < pixels; p++) {
        const v = dy[(n * channels + c) * pixels + p]!;
        out.values[c]! += v;
        out.magnitude[c]! += Math.abs(v);
      }
  return out;
}

export interface ConvTransposeShape {
  batch: number;
  inChannels: number;
  outChannels: number;
  inHeight: number;
  inWidth: number;
  kernelH: number;
  kernelW: number;
  stride: number;
  pad: number;
  outputPadding: number;
}

/** PyTorch's ConvTranspose2d output size: (in − 1)·stride − 2·pad + kernel + outputPadding. */
export function convTransposeOutputSize(s: ConvTransposeShape): { outHeight: number; outWidth: number } {
  return {
    outHeight: (s.inHeight - 1) * s.stride - 2 * s.pad + s.kernelH + s.outputPadding,
    outWidth: (s.inWidth - 1) * s.stride - 2 * s.pad + s.kernelW + s.outputPadding,
  };
}

/**
 * ConvTranspose2d's forward as PyTorch documents it: every input pixel scatters its value times
 * the kernel (weight [in, out, kh, kw]) into the output at (ih·stride − pad + kh, …).
 */
export function convTranspose2dReference(
  s: ConvTransposeShape,
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  bias?: ArrayLike<number>,
): ReferenceTensor {
  const { outHeight, outWidth } = convTransposeOutputSize(s);
  const out = tensor(s.batch * s.outChannels * outHeight * outWidth);
  for (let n = 0; n < s.batch; n++)
    for (let ci = 0; ci < s.inChannels; ci++)
      for (let ih = 0; ih < s.inHeight; ih++)
        for (let iw = 0; iw < s.inWidth; iw++) {
          const v = x[((n * s.inChannels + ci) * s.inHeight + ih) * s.inWidth + iw]!;
          for (let co = 0; co < s.outChannels; co++)
            for (let kh = 0; kh < s.kernelH; kh++)
              for (let kw = 0; kw < s.kernelW; kw++) {
                const oh = ih * s.stride - s.pad + kh;
                const ow = iw * s.stride - s.pad + kw;
                if (oh < 0 || ow < 0 || oh >= outHeight || ow >= outWidth) continue;
                const term = v * w[((ci * s.outChannels + co) * s.kernelH + kh) * s.kernelW + kw]!;
                const i = ((n * s.outChannels + co) * outHeight + oh) * outWidth + ow;
                out.values[i]! += term;
                out.magnitude[i]! += Math.abs(term);
              }
        }
  if (bias) addChannelBias(out, bias, s.outChannels, outHeight * outWidth);
  return out;
}

function addChannelBias(out: ReferenceTensor, bias: ArrayLike<number>, channels: number, pixels: number): void {
  for (let i = 0; i < out.values.length; i++) {
    const b = bias[Math.floor(i / pixels) % channels]!;
    out.values[i]! += b;
    out.magnitude[i]! += Math.abs(b);
  }
}
