// Errors of the GPU itself: none to be had, or one that failed. Errors of the caller's input are in
// base/errors.ts.

/** No WebGPU implementation or adapter could be found. The message says how to get one. */
export class WebGpuUnavailableError extends Error {
  override name = 'WebGpuUnavailableError';
}

/**
 * The device was lost or reported a validation / out-of-memory error. The message says what
 * failed and what to do; `detail`, where there is one, is the GPU implementation's own text
 * (Dawn's, the browser's), kept apart so that its warnings do not bury the message.
 */
export class GpuDeviceError extends Error {
  override name = 'GpuDeviceError';
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

/**
 * A failure of the GPU itself rather than of the code: the device was lost (a driver reset, a
 * GPU switch, the browser's own limits) or ran out of memory.
 */
export class GpuFailureError extends GpuDeviceError {
  override name = 'GpuFailureError';
}
