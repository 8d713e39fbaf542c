// The batch-sized buffers of a layer-list GAN's step (networkStep.ts), as a plan: what each holds,
// its rows per example and its width. The step allocates from this plan and the memory estimate
// (modelMemory.ts) reads the same plan, so that "the largest batch that fits" is worked out from
// exactly the buffers the step will make, before any of them is.
import type { Block } from '../nn/network.js';
import { needsScratch } from '../nn/networkBackward.js';
import type { GanConfig } from './config.js';

/** One batch-sized buffer: `rowsPerExample` rows (1 for G's, 2 or 3 for D's) of `width` floats per example. */
export interface RowBuffer {
  label: string;
  /** What it holds, for a message. */
  holds: string;
  rowsPerExample: number;
  width: number;
}

export interface ClassRows {
  labels: RowBuffer;
  /** G's input of noise and one-hot, where the class enters beside the noise. */
  generatorInput?: RowBuffer;
  /** Where each network's first layer takes the class (one-hot conditioning): its one-hot rows. */
  generatorOnehot?: RowBuffer;
  discriminatorOnehot?: RowBuffer;
  /** A projection discriminator's (an auxiliary classifier has none). */
  offsets?: RowBuffer;
  rowGrads?: RowBuffer;
}

export interface NetworkStepRows {
  z: RowBuffer;
  /** D's input: the fake rows (G's output), the real ones and, semi-supervised, the labelled ones. */
  x: RowBuffer;
  labeledLabels: RowBuffer | null;
  /** A conditional GAN's batch labels, G's input of noise and one-hot, and D's per-row logit terms. */
  classes: ClassRows | null;
  /** G's block outputs; null for the last, which is written into x's fake rows. */
  gOut: Array<RowBuffer | null>;
  gGrad: RowBuffer[];
  gScratch: Array<RowBuffer | null>;
  dOut: RowBuffer[];
  dGrad: RowBuffer[];
  dScratch: Array<RowBuffer | null>;
}

/**
 * The step's batch-sized buffers for networks of these blocks; `hidden` of D's blocks run as
 * ordinary blocks (the rest is the fused logit head).
 */
export function networkStepRows(
  config: GanConfig,
  G: readonly Block[],
  D: readonly Block[],
  hidden: number,
  sizes: { noise: number; data: number },
): NetworkStepRows {
  const semi = config.labelClasses > 0;
  const dRows = semi ? 3 : 2;
  const row = (label: string, rowsPerExample: number, width: number, holds = label) => ({
    label,
    holds,
    rowsPerExample,
    width,
  });
  const layer = (name: string, b: Block) =>
    `${name} layer ${b.layer.index} (${b.layer.layer.kind}, [${b.layer.outShape}])`;
  // A batch norm after an activated layer writes dL/dx here before that layer's f' is applied.
  const scratchOf = (blocks: readonly Block[], rows: number, name: string) =>
    blocks.map((_, i) => (needsScratch(blocks, i) ? row(`${name} scratch ${i}`, rows, blocks[i - 1]!.width) : null));
  const dHidden = D.slice(0, hidden);
  return {
    z: row('z', 1, sizes.noise, 'the noise z'),
    x: semi
      ? row(
          'D input X (fake; real; labelled)',
          dRows,
          sizes.data,
          "the discriminator's input (fake, real and labelled rows)",
        )
      : row('D input X (fake; real)', dRows, sizes.data, "the discriminator's input (fake and real rows)"),
    labeledLabels: semi ? row('labelled batch labels', 1, 1) : null,
    classes:
      config.classes > 0
        ? {
            labels: row('batch labels', 1, 1, "the real batch's labels"),
            ...(config.conditioning === 'one-hot'
              ? {
                  generatorOnehot: row('G one-hot labels', 1, config.classes, "the generator's one-hot labels"),
                  discriminatorOnehot: row(
                    'D one-hot labels (fake; real)',
                    dRows,
                    config.classes,
                    "the discriminator's one-hot labels",
                  ),
                }
              : {
                  generatorInput: row(
                    'G input (noise; one-hot)',
                    1,
                    sizes.noise + config.classes,
                    "the generator's input",
                  ),
                }),
            ...(config.conditioning === 'projection' && {
              offsets: row('D logit offsets', 2, 1, "the class projection's logit terms"),
              rowGrads: row('D logit gradients', 2, 1, "each row's logit gradient"),
            }),
          }
        : null,
    gOut: G.map((b, i) => (i + 1 < G.length ? row(`G out ${i}`, 1, b.width, layer('generator', b)) : null)),
    gGrad: G.map((b, i) => row(`G grad ${i}`, 1, b.width, `${layer('generator', b)}'s gradient`)),
    gScratch: scratchOf(G, 1, 'G'),
    dOut: dHidden.map((b, i) => row(`D out ${i}`, dRows, b.width, layer('discriminator', b))),
    dGrad: dHidden.map((b, i) => row(`D grad ${i}`, dRows, b.width, `${layer('discriminator', b)}'s gradient`)),
    dScratch: scratchOf(dHidden, dRows, 'D'),
  };
}

/** Every buffer of the plan, in one list. */
export function rowBuffers(rows: NetworkStepRows): RowBuffer[] {
  return [
    rows.z,
    rows.x,
    rows.labeledLabels,
    ...(rows.classes ? Object.values(rows.classes) : []),
    ...rows.gOut,
    ...rows.gGrad,
    ...rows.gScratch,
    ...rows.dOut,
    ...rows.dGrad,
    ...rows.dScratch,
  ].filter((r): r is RowBuffer => r !== null);
}
