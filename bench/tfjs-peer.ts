// The TensorFlow.js peer: the same GAN step (same layers, Adam settings, losses, batch) on
// TensorFlow.js's WebGPU backend, on the same Dawn adapter, timed the same way (warm-up, then
// many steps, one wait at the end). Written with tf.variable and optimizer.minimize, as a user of
// TensorFlow.js would.
import * as tf from '@tensorflow/tfjs-core';
// The core package alone has no gradients; the full `@tensorflow/tfjs` registers them this way.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { bceWithLogits, msPerStep, useTfjsWebGpu } from './tfjs-timing.js';

type Layer = { w: tf.Variable; b: tf.Variable };

function dense(inFeatures: number, outFeatures: number): Layer {
  const bound = 1 / Math.sqrt(inFeatures);
  return {
    w: tf.variable(tf.randomUniform([inFeatures, outFeatures], -bound, bound)),
    b: tf.variable(tf.randomUniform([outFeatures], -bound, bound)),
  };
}

function mlp(x: tf.Tensor2D, layers: Layer[], output: 'tanh' | 'none'): tf.Tensor2D {
  let h = x;
  layers.forEach((layer, i) => {
    const z = tf.add(tf.matMul(h, layer.w), layer.b) as tf.Tensor2D;
    h = i + 1 < layers.length ? tf.leakyRelu(z, 0.2) : output === 'tanh' ? tf.tanh(z) : z;
  });
  return h;
}

/** Mean binary cross-entropy from logits, computed stably: softplus(x) − t·x. */
export async function timeTfjsSteps(
  gpu: GPU,
  batch: number,
  steps: number,
): Promise<{ impl: string; batch: number; msPerStep: number; stepsPerSec: number }> {
  await useTfjsWebGpu(gpu);
  const G = [dense(100, 128), dense(128, 256), dense(256, 784)];
  const D = [dense(784, 256), dense(256, 128), dense(128, 1)];
  const gVars = G.flatMap((l) => [l.w, l.b]);
  const dVars = D.flatMap((l) => [l.w, l.b]);
  const optG = tf.train.adam(2e-4, 0.5, 0.999);
  const optD = tf.train.adam(2e-4, 0.5, 0.999);
  const real = tf.sub(tf.mul(tf.randomUniform([batch, 784]), 2), 1) as tf.Tensor2D;
  const step = () => {
    const lossD = optD.minimize(
      () => {
        const fake = mlp(tf.randomNormal([batch, 100]), G, 'tanh');
        return tf.add(bceWithLogits(mlp(real, D, 'none'), 1), bceWithLogits(mlp(fake, D, 'none'), 0)) as tf.Scalar;
      },
      true,
      dVars,
    );
    const lossG = optG.minimize(
      () => bceWithLogits(mlp(mlp(tf.randomNormal([batch, 100]), G, 'tanh'), D, 'none'), 1),
      true,
      gVars,
    );
    return [lossD!, lossG!];
  };
  const ms = await msPerStep(step, steps, 3);
  tf.dispose([real, ...gVars, ...dVars]);
  optG.dispose();
  optD.dispose();
  return { impl: 'tfjs-webgpu', batch, msPerStep: ms, stepsPerSec: 1000 / ms };
}
