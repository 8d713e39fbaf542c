// The models the package ships, by name: `--checkpoint mnist` samples and scores without training
// first (repair and restore read --checkpoint the same way); a file of that name in the current
// folder is read instead; a run is not resumed from a model file. The shipped file itself is a
// model file in F16 of a trained model: its samples score well on the project's classifier. The
// shipped restorers answer `restore --checkpoint mnist` (or fashion-mnist) for the degradations they undo.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { readCheckpointFile } from '../src/gan/checkpointFile.js';
import { SHIPPED_RESTORERS, shippedModelPath, shippedRestorerPath } from '../src/gan/shippedModels.js';
import { loadFashionMnist } from '../src/data/fashionMnistNode.js';
import { loadMnistImages, mnistFilePath } from '../src/data/mnistNode.js';
import { decodeRestorer } from '../src/restore/restorerFile.js';
import { restorationKey } from '../src/restore/spec.js';
import { cli } from './support/cli.js';
import { useTempDirs } from './support/temp.js';

const tempDir = useTempDirs();

describe('the shipped MNIST model', { timeout: 300_000 }, () => {
  it('is a trained model file in F16: weights only, the default MLP', () => {
    const path = shippedModelPath('mnist');
    const model = readCheckpointFile(path);
    expect(model.weightsOnly).toBe(true);
    expect(model).toMatchObject({ dataset: 'mnist', config: { architecture: 'mlp', classes: 0 } });
    expect(model.step).toBeGreaterThanOrEqual(5000);
    const header = readFileSync(path)
      .subarray(8, 8 + 4096)
      .toString();
    expect(header).toContain('"dtype":"F16"');
    expect(header).not.toContain('optimizer.');
  });

  it('`sample --checkpoint mnist` draws from it, saying so; a file named mnist in the folder wins', () => {
    const dir = tempDir('gan-shipped-');
    const out = join(dir, 'digits.png');
    const r = cli(['sample', '--checkpoint', 'mnist', '--out', out, '--n', '16'], { cwd: dir });
    expect(r.status, r.errors.join('\n')).toBe(0);
    expect(r.stderr).toMatch(/^checkpoint: the shipped mnist model \(mnist-gan\.safetensors, mlp at step \d+\)$/m);
    const png = PNG.sync.read(readFileSync(out));
    expect(new Set(png.data).size).toBeGreaterThan(16);
    // A file called mnist here is the user's: read as a checkpoint (this one is not), never shadowed.
    writeFileSync(join(dir, 'mnist'), 'not a checkpoint');
    const own = cli(['sample', '--checkpoint', 'mnist', '--out', out], { cwd: dir });
    expect(own.status).toBe(2);
    expect(own.errors.join('\n')).toMatch(/mnist/);
    expect(own.stderr).not.toContain('the shipped');
  });

  it('`eval --checkpoint mnist` scores it as a trained generator', () => {
    const r = cli(['eval', '--checkpoint', 'mnist', '--n', '1000', '--json']);
    expect(r.status, r.errors.join('\n')).toBe(0);
    const score = JSON.parse(r.stdout.trim().split('\n').pop()!) as { distance: number };
    console.log(`shipped mnist model: ${r.stdout.trim().split('\n').pop()}`);
    // A generator after one step scores 1308 here, the shipped one 59.
    expect(score.distance).toBeLessThan(120);
  });

  it('has a Fashion-MNIST sibling: `eval --checkpoint fashion-mnist` scores it against its own classifier', () => {
    const model = readCheckpointFile(shippedModelPath('fashion-mnist'));
    expect(model).toMatchObject({ weightsOnly: true, dataset: 'fashion-mnist', config: { architecture: 'mlp' } });
    const r = cli(['eval', '--checkpoint', 'fashion-mnist', '--n', '1000', '--json']);
    expect(r.status, r.errors.join('\n')).toBe(0);
    expect(r.stderr).toMatch(/^checkpoint: the shipped fashion-mnist model \(fashion-mnist-gan\.safetensors/m);
    const score = JSON.parse(r.stdout.trim().split('\n').pop()!) as { distance: number };
    console.log(`shipped fashion-mnist model: ${r.stdout.trim().split('\n').pop()}`);
    // A generator after one step scores 683 here, the shipped one 47.
    expect(score.distance).toBeLessThan(100);
  });

  it('a run cannot be resumed from it: one line saying what it is for', () => {
    const dir = tempDir('gan-shipped-');
    copyFileSync(shippedModelPath('mnist'), join(dir, 'checkpoint.safetensors'));
    const r = cli(['train', '--resume', '--out', dir, '--steps', '6000']);
    expect(r.status).toBe(2);
    expect(r.errors.join('\n')).toMatch(/model file/);
  });
});

/** A 28×28 grey picture written as a PNG in `dir`, then damaged by `restore --degrade-only`: the damaged file. */
function damaged(dir: string, pixels: Uint8Array, degradation: string): string {
  const clean = join(dir, 'clean.png');
  const png = new PNG({ width: 28, height: 28 });
  for (let p = 0; p < 784; p++) png.data.set([pixels[p]!, pixels[p]!, pixels[p]!, 255], 4 * p);
  writeFileSync(clean, PNG.sync.write(png));
  const out = join(dir, `${degradation}.png`);
  const made = cli(['restore', '--image', clean, '--degradation', degradation, '--degrade-only', '--out', out]);
  expect(made.status, made.errors.join('\n')).toBe(0);
  return out;
}

/** The RMS difference in grey levels between a 28×28 PNG and the truth's bytes. */
function rmsAgainst(file: string, truth: Uint8Array): number {
  const data = PNG.sync.read(readFileSync(file)).data;
  return Math.sqrt(truth.reduce((sum, v, p) => sum + (data[4 * p]! - v) ** 2, 0) / truth.length);
}

/** The shipped restorers trained longer than 1000 steps (scripts/shipped-models.sh's `longer`). */
const LONGER: Record<string, number> = {
  'mnist blur:sigma=1.5': 3000,
  'mnist downscale:factor=2': 3000,
  'fashion-mnist downscale:factor=2': 3000,
  'fashion-mnist blur:sigma=1.5': 3000,
  'fashion-mnist mask:first=11,last=18': 3000,
};
/** scripts/shipped-models.sh: the restorers trained otherwise than the default (l1, the encoder–decoder). */
const OTHERWISE: Record<string, { loss: string; residual: boolean }> = {
  'mnist noise:sigma=0.2,salt=0': { loss: 'l2', residual: true },
  'fashion-mnist noise:sigma=0.2,salt=0': { loss: 'l2', residual: true },
};

describe('the shipped restorers', { timeout: 300_000 }, () => {
  it.each(['mnist', 'fashion-mnist'] as const)(
    'of %s are restorer files in F16, each trained on its set to undo the degradation it is listed under',
    (data) => {
      const listed = Object.entries(SHIPPED_RESTORERS[data]);
      expect(listed).toHaveLength(7);
      for (const [degradation, file] of listed) {
        const path = shippedRestorerPath(data, degradation)!;
        expect(path.endsWith(file)).toBe(true);
        const bytes = new Uint8Array(readFileSync(path));
        const restorer = decodeRestorer(bytes);
        expect(restorationKey(restorer.settings.degradation)).toBe(degradation);
        // scripts/shipped-models.sh: 1000 steps each, but those trained longer.
        const steps = LONGER[`${data} ${degradation}`] ?? 1000;
        const recipe = OTHERWISE[`${data} ${degradation}`] ?? { loss: 'l1', residual: false };
        const trainedWith = { channels: 1, side: 28, adversarial: 0, edgeWeight: 0, ...recipe };
        expect(restorer).toMatchObject({ data, step: steps, settings: trainedWith });
        expect(new TextDecoder().decode(bytes.subarray(8, 4096))).toContain('"dtype":"F16"');
      }
      expect(shippedRestorerPath(data, 'blur:sigma=0.7')).toBeNull();
    },
  );

  it('`restore --checkpoint fashion-mnist` brightens a dark garment with its shipped restorer', () => {
    const dir = tempDir('gan-shipped-fashion-');
    const garment = loadFashionMnist('test').pixels.subarray(0, 784);
    const dark = damaged(dir, garment, 'dark');
    const restored = join(dir, 'restored.png');
    const r = cli([
      'restore',
      '--checkpoint',
      'fashion-mnist',
      '--degradation',
      'dark',
      '--image',
      dark,
      '--out',
      restored,
    ]);
    expect(r.status, r.errors.join('\n')).toBe(0);
    expect(r.stderr).toMatch(
      /^checkpoint: the shipped fashion-mnist restorer for exposure:gain=0\.4,gamma=1\.5,lift=0$/m,
    );
    const error = (file: string) => rmsAgainst(file, garment);
    expect(error(restored)).toBeLessThan(0.5 * error(dark));
  });

  it('`restore --checkpoint mnist` undoes a blur with the shipped restorer; a search flag asks for the search', () => {
    const dir = tempDir('gan-shipped-restore-');
    // MNIST's first test digit (a 7), as a user would have it.
    const digit = loadMnistImages(mnistFilePath('t10k-images')).pixels.subarray(0, 784);
    const blurred = damaged(dir, digit, 'blur');
    const restored = join(dir, 'restored.png');
    const r = cli(['restore', '--checkpoint', 'mnist', '--degradation', 'blur', '--image', blurred, '--out', restored]);
    expect(r.status, r.errors.join('\n')).toBe(0);
    expect(r.stderr).toMatch(/^checkpoint: the shipped mnist restorer for blur:sigma=1\.5$/m);
    const error = (file: string) => rmsAgainst(file, digit);
    // The restorer's digit is much nearer the clean one than the blurred picture is (in grey levels).
    console.log(
      `shipped blur restorer on test digit 0: RMS ${error(blurred).toFixed(1)} → ${error(restored).toFixed(1)}`,
    );
    expect(error(restored)).toBeLessThan(0.6 * error(blurred));
    const search = cli([
      'restore',
      '--checkpoint',
      'mnist',
      '--degradation',
      'blur',
      '--image',
      blurred,
      '--out',
      restored,
      '--starts',
      '2',
      '--steps',
      '2',
    ]);
    expect(search.status, search.errors.join('\n')).toBe(0);
    expect(search.stderr).toMatch(/^checkpoint: the shipped mnist model/m);
  });
});
