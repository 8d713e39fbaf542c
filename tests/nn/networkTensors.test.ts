// A layer-list network's tensors under PyTorch's names, through a safetensors file and back: the
// 28×28 DCGAN generator's state_dict names, shapes and int64 batch counters, a byte-exact round
// trip, and each way a foreign file can fail to fit named.
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { layoutModel } from '../../src/nn/model.js';
import { flatFromTensors, networkTensorProblem, networkTensors } from '../../src/nn/networkTensors.js';
import { dcganGenerator } from '../../src/nn/presets.js';
import { randomArray } from '../support/gpu.js';

const layout = layoutModel(
  [100, 1, 1],
  dcganGenerator({ noise: 100, channels: 1, side: 28, discriminatorBatchNorm: true }),
);

function flat() {
  return {
    parameters: randomArray(layout.parameterFloats, 61),
    state: randomArray(layout.stateFloats, 62, 0.1, 2),
  };
}

/** The flat buffers with the padding between tensors zeroed, as flatFromTensors leaves it. */
function withoutPadding(values: { parameters: Float32Array; state: Float32Array }) {
  const zeroed = {
    parameters: new Float32Array(values.parameters.length),
    state: new Float32Array(values.state.length),
  };
  for (const p of layout.layers) {
    for (const [view, buffer] of [
      [p.weight, 'parameters'],
      [p.bias, 'parameters'],
      [p.runningMean, 'state'],
      [p.runningVar, 'state'],
    ] as const) {
      if (view) zeroed[buffer].set(values[buffer].subarray(view.offset, view.offset + view.count), view.offset);
    }
  }
  return zeroed;
}

describe('network tensors', () => {
  it("lists state_dict's names and shapes, with int64 num_batches_tracked", () => {
    const { tensors, integers } = networkTensors(layout, 'generator', flat(), 1234);
    expect([...tensors].map(([name, t]) => `${name} [${t.shape}]`)).toEqual([
      'generator.0.weight [100,256,7,7]',
      'generator.1.weight [256]',
      'generator.1.bias [256]',
      'generator.1.running_mean [256]',
      'generator.1.running_var [256]',
      'generator.3.weight [256,128,4,4]',
      'generator.4.weight [128]',
      'generator.4.bias [128]',
      'generator.4.running_mean [128]',
      'generator.4.running_var [128]',
      'generator.6.weight [128,1,4,4]',
    ]);
    expect([...integers.keys()]).toEqual(['generator.1.num_batches_tracked', 'generator.4.num_batches_tracked']);
    const bytes = encodeSafetensors(tensors, {}, integers);
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    const counter = header['generator.1.num_batches_tracked'];
    expect(counter.dtype).toBe('I64');
    expect(counter.shape).toEqual([]);
    expect(counter.data_offsets[1] - counter.data_offsets[0]).toBe(8);
    const at = 8 + headerLength + counter.data_offsets[0];
    expect(new DataView(bytes.buffer).getBigInt64(at, true)).toBe(1234n);
  });

  it('round-trips through a safetensors file to the same flat buffers', () => {
    const original = flat();
    const { tensors, integers } = networkTensors(layout, 'generator', original, 7);
    const decoded = decodeSafetensors(encodeSafetensors(tensors, { kind: 'test' }, integers));
    expect(networkTensorProblem(layout, 'generator', decoded.tensors, decoded.integers)).toBeNull();
    expect(decoded.integers.get('generator.4.num_batches_tracked')!.data[0]).toBe(7n);
    const back = flatFromTensors(layout, 'generator', decoded.tensors);
    const expected = withoutPadding(original);
    expect(Buffer.from(back.parameters.buffer).equals(Buffer.from(expected.parameters.buffer))).toBe(true);
    expect(Buffer.from(back.state.buffer).equals(Buffer.from(expected.state.buffer))).toBe(true);
  });

  it('names what a foreign file lacks or gets wrong', () => {
    const fresh = () => networkTensors(layout, 'generator', flat(), 3);
    const problem = (edit: (t: ReturnType<typeof fresh>) => void) => {
      const t = fresh();
      edit(t);
      return networkTensorProblem(layout, 'generator', t.tensors, t.integers);
    };
    expect(problem((t) => t.tensors.delete('generator.3.weight'))).toBe('has no tensor "generator.3.weight"');
    expect(problem((t) => (t.tensors.get('generator.3.weight')!.shape = [128, 256, 4, 4]))).toBe(
      'tensor "generator.3.weight" has shape [128,256,4,4] but this model needs [256,128,4,4]',
    );
    expect(problem((t) => (t.tensors.get('generator.1.bias')!.data[5] = Number.NaN))).toBe(
      'tensor "generator.1.bias" contains NaN or infinite values',
    );
    expect(problem((t) => (t.tensors.get('generator.4.running_var')!.data[0] = -1))).toContain('has negative values');
    expect(problem((t) => t.integers.delete('generator.1.num_batches_tracked'))).toBe(
      'has no tensor "generator.1.num_batches_tracked"',
    );
    expect(
      problem((t) => {
        t.integers.delete('generator.4.num_batches_tracked');
        t.tensors.set('generator.4.num_batches_tracked', { shape: [], data: Float32Array.of(3) });
      }),
    ).toBe('tensor "generator.4.num_batches_tracked" must be int64, as PyTorch keeps it');
    expect(problem((t) => (t.integers.get('generator.1.num_batches_tracked')!.data[0] = -2n))).toBe(
      'tensor "generator.1.num_batches_tracked" must hold one count of at least 0',
    );
    expect(problem(() => {})).toBeNull();
  });
});
