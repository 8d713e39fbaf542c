// The model table's words and numbers, from the library's modelSummary: no shape arithmetic of the
// page's own, only how a shape, a count and a model's name are written. Pure, so tested in Node.
import type { Architecture, NetworkSummary } from 'webgpu-gan';

/** Each model as the form's Model choice names it. */
export const ARCHITECTURE_NAMES: Record<Architecture, string> = {
  mlp: 'fully connected (the design)',
  dcgan: 'convolutional (DCGAN)',
};

/** One example's shape as the page writes it: [256, 7, 7] → "256×7×7". */
export const shapeText = (shape: readonly number[]) => shape.join('×');

/** A parameter count with thousands separated: 1254400 → "1,254,400". */
export const countText = (count: number) => count.toLocaleString('en-US');

/** A row of the layer table, every cell written out. */
export interface LayerRow {
  index: string;
  module: string;
  shape: string;
  parameters: string;
}

/** A network's rows, its input shape and its total, as the table shows them. */
export function networkRows(network: NetworkSummary): { input: string; rows: LayerRow[]; total: string } {
  return {
    input: shapeText(network.inShape),
    rows: [
      ...network.layers.map((layer) => ({
        index: String(layer.index),
        module: layer.module,
        shape: shapeText(layer.outShape),
        parameters: countText(layer.parameters),
      })),
      // A conditional DCGAN's discriminator adds its class's row · the last layer's input to the logit.
      ...(network.projection
        ? [
            {
              index: 'projection',
              module: network.projection.module,
              shape: shapeText([1]),
              parameters: countText(network.projection.parameters),
            },
          ]
        : []),
    ],
    total: countText(network.parameters),
  };
}
