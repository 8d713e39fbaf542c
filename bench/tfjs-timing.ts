// What both TensorFlow.js peers (bench/tfjs-peer.ts, bench/tfjs-dcgan.ts) share: its WebGPU
// backend on our Dawn adapter, the loss, and the timing of a step function the way ours is timed
// (steps queued back to back, one wait at the end).
import * as tf from '@tensorflow/tfjs-core';

/** TensorFlow.js's WebGPU backend, on `gpu` (in Node, Dawn's GPU object as navigator.gpu). */
export async function useTfjsWebGpu(gpu: GPU): Promise<void> {
  if (typeof navigator === 'undefined' || !('gpu' in navigator)) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
  }
  await import('@tensorflow/tfjs-backend-webgpu');
  await tf.setBackend('webgpu');
  await tf.ready();
}

/** Binary cross-entropy on logits against a constant target, as our step's loss. */
export const bceWithLogits = (logits: tf.Tensor, target: number) =>
  tf.mean(tf.sub(tf.softplus(logits), tf.mul(logits, target))) as tf.Scalar;

/**
 * Milliseconds per step of `step` (which returns its losses), after `warmup` untimed steps: the
 * steps are queued back to back and only the last loss is read, so the time is the GPU's.
 */
export async function msPerStep(step: () => tf.Scalar[], steps: number, warmup: number): Promise<number> {
  for (let i = 0; i < warmup; i++) tf.dispose(step());
  await tf.ready();
  const t0 = performance.now();
  let last: tf.Scalar[] = [];
  for (let i = 0; i < steps; i++) {
    tf.dispose(last);
    last = step();
  }
  await last[0]!.data(); // the one wait at the end
  const ms = (performance.now() - t0) / steps;
  tf.dispose(last);
  return ms;
}
