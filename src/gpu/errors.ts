// Errors of the GPU itself: none to be had, or one that failed. Errors of the caller's input are in
// base/errors.ts.

/** No WebGPU implementation or adapter could be found. The message says how to get one. */
export class WebGpuUnavailableError extends Error {
  override name = 'WebGpuUnavailableError';
}

/** The device was lost or reported a validation / out-of-memory error. */
export class GpuDeviceError extends Error {
  override name = 'GpuDeviceError';
}

/**
 * A failure of the GPU itself rather than of the code: the device was lost (a driver reset, a
 * GPU switch, the browser's own limits) or ran out of memory.
 */
export class GpuFailureError extends GpuDeviceError {
  override name = 'GpuFailureError';
}
