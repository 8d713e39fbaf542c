// A configuration's networks as the rows a person reads (the demo's layer table, the library's
// model list): each layer of the nn.Sequential it trains, as PyTorch would print it, with its output
// shape and parameter count. Worked out from the configuration alone, with nothing on the GPU.
import type { Layer, ModelLayout, PlacedLayer } from '../nn/model.js';
import { networkLayout } from '../nn/network.js';
import { requireGanConfig, type GanConfig } from './config.js';
import { discriminatorNetworkSpec, generatorNetworkSpec } from './networks.js';

export interface LayerSummary {
  /** Its index in the Sequential: the prefix of its tensors' names in a checkpoint. */
  index: number;
  /** As PyTorch prints the module, e.g. "ConvTranspose2d(100, 256, 7, stride=1, padding=0, bias=False)". */
  module: string;
  /** One example's output, e.g. [256, 7, 7]. */
  outShape: readonly number[];
  /** Trained parameters (running statistics are not parameters). */
  parameters: number;
}

export interface NetworkSummary {
  inShape: readonly number[];
  layers: LayerSummary[];
  /** Trained parameters in all, a projection's included. */
  parameters: number;
  /**
   * A conditional DCGAN discriminator's class projection, beside the Sequential: as PyTorch
   * prints it, "Embedding(10, 6272)", whose row for the class is dotted with the last layer's input.
   */
  projection?: { module: string; parameters: number };
}

/** Both networks of a configuration (resolved: resolveGanConfig), layer by layer. */
export function modelSummary(config: GanConfig): { generator: NetworkSummary; discriminator: NetworkSummary } {
  requireGanConfig('config', config);
  return { generator: summarise(generatorLayout(config)), discriminator: summarise(discriminatorLayout(config)) };
}

function generatorLayout(config: GanConfig): ModelLayout {
  return networkLayout(generatorNetworkSpec(config));
}

function discriminatorLayout(config: GanConfig): ModelLayout {
  return networkLayout(discriminatorNetworkSpec(config));
}

/** Inputs of a layer as PyTorch's module holds them: a linear layer's class columns are more of its inputs. */
const inputsOf = (p: PlacedLayer) => p.inShape[0]! + (p.classWeight?.shape[1] ?? 0);

function summarise(layout: ModelLayout): NetworkSummary {
  const layers = layout.layers.map((p) => ({
    index: p.index,
    module: moduleText(p),
    outShape: p.outShape,
    parameters:
      (p.weight?.count ?? 0) + (p.bias?.count ?? 0) + (p.classWeight?.count ?? 0) + (p.weightScale?.count ?? 0),
  }));
  // A one-hot class enters as more inputs of the first layer, as the Sequential that loads the checkpoint takes it.
  const first = layout.layers[0]!;
  const inShape = first.classWeight ? [inputsOf(first)] : layout.inShape;
  const p = layout.projection;
  const projection = p && { module: `Embedding(${p.shape[0]}, ${p.shape[1]})`, parameters: p.count };
  return { inShape, layers, parameters: layout.parameterCount, ...(projection && { projection }) };
}

const ACTIVATIONS: Record<string, string> = {
  relu: 'ReLU()',
  'leaky-relu': 'LeakyReLU(0.2)',
  tanh: 'Tanh()',
  sigmoid: 'Sigmoid()',
};

function moduleText(p: PlacedLayer): string {
  const layer: Layer = p.layer;
  const noBias = 'bias' in layer && layer.bias === false ? ', bias=False' : '';
  switch (layer.kind) {
    case 'linear':
      return `Linear(${inputsOf(p)}, ${layer.out}${noBias})`;
    case 'conv2d':
    case 'conv-transpose2d': {
      const name = layer.kind === 'conv2d' ? 'Conv2d' : 'ConvTranspose2d';
      const geometry = `${layer.kernel}, stride=${layer.stride ?? 1}, padding=${layer.padding ?? 0}`;
      return `${name}(${p.inShape[0]}, ${layer.out}, ${geometry}${noBias})`;
    }
    case 'batch-norm':
      return `BatchNorm${p.inShape.length === 3 ? '2d' : '1d'}(${p.inShape[0]})`;
    case 'activation':
      return ACTIVATIONS[layer.fn]!;
    case 'gaussian-noise':
      // Not a torch.nn module: nn.Identity() loads in its place, as the layer is in eval mode.
      return `GaussianNoise(${layer.sigma})`;
    case 'add-input':
      // Not a torch.nn module either: a PyTorch copy adds the network's input in its forward.
      return 'AddInput()';
    case 'flatten':
      return 'Flatten()';
    case 'unflatten':
      return `Unflatten(1, (${layer.shape.join(', ')}))`;
  }
}
