// Every public function and creator, called with arguments of the wrong type (null, a string, a
// number, an empty object), throws or rejects with one of the project's named errors, whose message
// says what was expected: never a bare TypeError or RangeError from deep inside.
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import * as node from '../src/node.js';
import { CheckpointFormatError, DatasetError } from '../src/index.js';
import { ArgumentError, DestroyedError } from '../src/base/errors.js';
import { GpuDeviceError, WebGpuUnavailableError } from '../src/gpu/errors.js';
import { useGpu } from './support/gpu.js';

const gpu = useGpu();
const NAMED = [
  ArgumentError,
  DestroyedError,
  DatasetError,
  CheckpointFormatError,
  GpuDeviceError,
  WebGpuUnavailableError,
];
const WRONG: unknown[] = [null, 'a string', 42, {}];

/** Error classes and plain values: nothing to call. */
const NOT_CALLED = new Set([
  'ADAM_DEFAULTS',
  'DEFAULT_GAN_CONFIG',
  'ARCHITECTURES',
  'CONDITIONINGS',
  'AUXILIARY_HEADS',
  'WEIGHT_NORM_INITS',
  'PICTURE_HEADER_BYTES',
  'FASHION_MNIST_CLASSES',
  'CLASSIFIER_FILES',
  'SHIPPED_MODELS',
  'SHIPPED_RESTORERS',
  'DEGRADATION_KINDS',
  'RECONSTRUCTION_LOSSES',
  'REPAIR_BLENDS',
  'REPAIR_PRIORS',
  'REPAIR_CONTEXTS',
  'NEARNESS_WINDOW',
]);
/** Functions that take nothing, or only optional settings where any value is read as "the default". */
const NO_ARGUMENTS = new Set(['classifierWeightsPath', 'fashionMnistDir', 'mnistTrainImagesPath']);
/** Classes made only by their static creators (TypeScript's private constructors). */
const PRIVATE_CONSTRUCTORS = new Set([
  'GanTrainer',
  'GanSampler',
  'GanClassifier',
  'ImageRepairer',
  'GpuDataset',
  'RestorerTrainer',
  'TrainedRestorer',
]);
/**
 * Calls whose "wrong" value is of the type the argument takes (a path that names no file, a name
 * that is not a dataset's): refused for its value, with a message that says which values are taken.
 */
const TAKEN_TYPE = new RegExp(
  '^(loadMnistImages|loadMnistLabels|loadImageFolder|readCheckpointFile|readClassifierFile|parseDegradation|' +
    'shippedModelPath|shippedRestorerPath)' +
    '\\("a string"\\)',
);

type Call = { what: string; call: () => unknown };
type AnyFunction = (...args: unknown[]) => unknown;
/** TypeScript-private statics, which JavaScript still lists. */
const PRIVATE_STATICS = new Set(['noiseFill', 'build', 'buildIn']);

/**
 * The wrong-type calls of one export: each argument position wrong in turn, the positions before
 * it given the test's context (the right value for a creator's first argument, a wrong one elsewhere).
 */
function callsOf(name: string, value: unknown): Call[] {
  if (NOT_CALLED.has(name) || NO_ARGUMENTS.has(name)) return [];
  if (typeof value !== 'function') throw new Error(`${name}: an export of a new kind; list it here`);
  if (!/^class/.test(Function.prototype.toString.call(value))) return positional(name, value as AnyFunction);
  if (/Error$/.test(name)) return [];
  const statics = value as unknown as Record<string, AnyFunction>;
  const calls = Object.getOwnPropertyNames(value)
    .filter((s) => typeof statics[s] === 'function' && !PRIVATE_STATICS.has(s))
    .flatMap((s) => positional(`${name}.${s}`, (...a) => statics[s]!(...a), statics[s]!.length));
  if (PRIVATE_CONSTRUCTORS.has(name)) return calls;
  const ctor = value as new (...args: unknown[]) => unknown;
  return [...calls, ...positional(`new ${name}`, (...a) => new ctor(...a), ctor.length)];
}

function positional(what: string, call: AnyFunction, arity = call.length): Call[] {
  const calls: Call[] = [];
  for (let position = 0; position < Math.max(arity, 1); position++)
    for (const wrong of WRONG)
      calls.push({
        what: `${what}(${[...Array(position).fill('ctx'), JSON.stringify(wrong)].join(', ')})`,
        call: () => call(...Array(position).fill(gpu.ctx), wrong),
      });
  return calls;
}

describe('every export, given arguments of the wrong type', () => {
  const exports = { ...api, ...node };
  it('throws a named error that says what was expected', async () => {
    const failures: string[] = [];
    for (const [name, value] of Object.entries(exports))
      for (const { what, call } of callsOf(name, value)) {
        let error: unknown = null;
        try {
          await (async () => call())();
        } catch (e) {
          error = e;
        }
        if (error === null) continue; // a value of this type is one the function takes
        const named = NAMED.some((E) => error instanceof E);
        if (named && TAKEN_TYPE.test(what)) continue;
        if (
          !named ||
          !/must be|has a "train" and a "test" split|takes mnist or fashion-mnist/.test((error as Error).message)
        )
          failures.push(`${what}: ${(error as Error)?.name}: ${(error as Error)?.message}`);
      }
    expect(failures).toEqual([]);
  });
});
