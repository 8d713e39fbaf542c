// The TensorFlow.js peer of the 28×28 DCGAN preset: the same networks (transposed convolutions with
// batch norm and ReLU, tanh; convolutions with leaky-ReLU to one logit, no batch norm in D, as our
// step), Adam settings, loss and batch, on TensorFlow.js's WebGPU backend and the same Dawn
// adapter, timed like bench/tfjs-peer.ts. Tensors are NHWC, TensorFlow.js's own layout; "same"
// padding on these sizes is PyTorch's padding 1.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { bceWithLogits, msPerStep, useTfjsWebGpu } from './tfjs-timing.js';

const normal = (shape: number[], mean = 0) => tf.variable(tf.randomNormal(shape, mean, 0.02));

export async function timeTfjsDcganSteps(
  gpu: GPU,
  batch: number,
  steps: number,
): Promise<{ impl: string; arch: string; batch: number; msPerStep: number; stepsPerSec: number }> {
  await useTfjsWebGpu(gpu);
  // Transposed-convolution filters are [kh, kw, out, in] in TensorFlow.js.
  const g = {
    w1: normal([7, 7, 256, 100]),
    g1: normal([256], 1),
    b1: tf.variable(tf.zeros([256])),
    w2: normal([4, 4, 128, 256]),
    g2: normal([128], 1),
    b2: tf.variable(tf.zeros([128])),
    w3: normal([4, 4, 1, 128]),
  };
  const d = { w1: normal([4, 4, 1, 64]), w2: normal([4, 4, 64, 128]), w3: normal([7, 7, 128, 1]) };
  const norm = (x: tf.Tensor4D, gamma: tf.Variable, beta: tf.Variable) => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return tf.batchNorm4d(x, mean, variance, beta, gamma, 1e-5);
  };
  const generator = (z: tf.Tensor4D) => {
    let h = tf.conv2dTranspose(z, g.w1 as tf.Tensor4D, [batch, 7, 7, 256], 1, 'valid');
    h = tf.relu(norm(h, g.g1, g.b1));
    h = tf.conv2dTranspose(h, g.w2 as tf.Tensor4D, [batch, 14, 14, 128], 2, 'same');
    h = tf.relu(norm(h, g.g2, g.b2));
    return tf.tanh(tf.conv2dTranspose(h, g.w3 as tf.Tensor4D, [batch, 28, 28, 1], 2, 'same'));
  };
  const discriminator = (x: tf.Tensor4D) => {
    let h = tf.leakyRelu(tf.conv2d(x, d.w1 as tf.Tensor4D, 2, 'same'), 0.2);
    h = tf.leakyRelu(tf.conv2d(h, d.w2 as tf.Tensor4D, 2, 'same'), 0.2);
    return tf.reshape(tf.conv2d(h, d.w3 as tf.Tensor4D, 1, 'valid'), [-1, 1]);
  };
  const gVars = Object.values(g);
  const dVars = Object.values(d);
  const optG = tf.train.adam(2e-4, 0.5, 0.999);
  const optD = tf.train.adam(2e-4, 0.5, 0.999);
  const real = tf.sub(tf.mul(tf.randomUniform([batch, 28, 28, 1]), 2), 1) as tf.Tensor4D;
  const noise = () => tf.randomNormal([batch, 1, 1, 100]) as tf.Tensor4D;
  const step = () => {
    const lossD = optD.minimize(
      () =>
        tf.add(bceWithLogits(discriminator(real), 1), bceWithLogits(discriminator(generator(noise())), 0)) as tf.Scalar,
      true,
      dVars,
    );
    const lossG = optG.minimize(() => bceWithLogits(discriminator(generator(noise())), 1), true, gVars);
    return [lossD!, lossG!];
  };
  const ms = await msPerStep(step, steps, 1);
  tf.dispose([real, ...gVars, ...dVars]);
  optG.dispose();
  optD.dispose();
  return { impl: 'tfjs-webgpu', arch: 'dcgan', batch, msPerStep: ms, stepsPerSec: 1000 / ms };
}
