// The models the package ships, by name: `--checkpoint mnist` samples and scores without training
// first (repair and restore read --checkpoint the same way); a file of that name in the current
// folder is read instead; a run is not resumed from a model file. The shipped file itself is a
// model file in F16 of a trained model: its samples score well on the project's classifier.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { readCheckpointFile } from '../src/gan/checkpointFile.js';
import { shippedModelPath } from '../src/gan/shippedModels.js';
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
