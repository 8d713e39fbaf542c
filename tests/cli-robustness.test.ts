// Nothing lost: the CLI against what a hostile or unlucky user does to it. Divergence, poisoned
// and damaged checkpoints, limits a run would hit, file-system errors (a file in the way, an
// unwritable folder, a full disk), SIGTERM and kill -9, a second run into the same folder.
// Each case checks the exit code, the one line the user sees, and what is left on disk.
import { spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint, tensorChecksum } from '../src/gan/checkpoint.js';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';
import { decodeRestorer } from '../src/restore/restorerFile.js';
import { acquireGpu } from '../src/gpu/device.js';
import { isRunning } from '../src/cli/processes.js';
import { BIN, cli, ROOT, TINY } from './support/cli.js';
import { useTempDirs } from './support/temp.js';

const tempDir = useTempDirs();
const tmp = () => tempDir('gan-robust-');
const CHECKPOINT = 'checkpoint.safetensors';
const isRoot = process.getuid?.() === 0;

const logSteps = (out: string) =>
  readFileSync(join(out, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { step: number }).step);

/** Rewrites a checkpoint with `edit` applied to its tensors, the checksum made to match (or not). */
function poison(
  from: string,
  to: string,
  edit: (tensors: Map<string, { shape: number[]; data: Float32Array }>) => void,
  checksum: 'recompute' | 'drop',
): void {
  const { tensors, metadata } = decodeSafetensors(readFileSync(from));
  edit(tensors);
  const { tensors_crc32: _old, ...rest } = metadata;
  writeFileSync(
    to,
    encodeSafetensors(tensors, checksum === 'recompute' ? { ...rest, tensors_crc32: tensorChecksum(tensors) } : rest),
  );
}

describe('the CLI keeps the user’s work', { timeout: 300_000 }, () => {
  /** A good run: checkpoint at step 4, everything else derived from copies of it. */
  let good: string;
  beforeAll(() => {
    good = tmp();
    const r = cli(['train', '--steps', '4', '--out', good, ...TINY]);
    if (r.status !== 0) throw new Error(r.errors.join('\n'));
  });

  it('a diverging run (--lr 1e9) stops with one line and exit 1, never saving non-finite weights', () => {
    const out = tmp();
    const r = cli([
      'train',
      '--steps',
      '60',
      '--batch',
      '16',
      // The seed's BCE recipe: spectral normalisation would hold D's outputs bounded.
      '--loss',
      'bce',
      '--no-spectral-norm',
      '--lr',
      '1e9',
      '--sample-every',
      '2',
      '--log-every',
      '4',
      '--out',
      out,
    ]);
    expect(r.status).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^webgpu-gan train: training diverged by step \d+: .*learning rate/);
    const kept = /the checkpoint of step (\d+) in .* is kept$/.exec(r.errors[0]!);
    if (kept) {
      // Saved before the weights broke: the loader, which refuses non-finite values, takes it.
      expect(decodeCheckpoint(readFileSync(join(out, CHECKPOINT))).step).toBe(Number(kept[1]));
    } else {
      expect(r.errors[0]).toMatch(/no checkpoint was written$/);
      expect(existsSync(join(out, CHECKPOINT))).toBe(false);
    }
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a run that is running away (--lr 10) is named before it breaks', () => {
    const seed = ['--loss', 'bce', '--no-spectral-norm'];
    const r = cli([
      'train',
      '--steps',
      '40',
      '--batch',
      '16',
      ...seed,
      '--lr',
      '10',
      '--log-every',
      '4',
      '--out',
      tmp(),
    ]);
    expect(r.stderr).toMatch(
      /warning: losses of .* at step \d+: training is running away \(is --lr 10 too high\?\)|training diverged by step/,
    );
  });

  it('sample and --resume refuse NaN weights through the same loader', () => {
    const out = tmp();
    poison(
      join(good, CHECKPOINT),
      join(out, CHECKPOINT),
      (t) => (t.get('generator_ema.4.weight')!.data[7] = NaN),
      'recompute',
    );
    const sampled = cli(['sample', '--checkpoint', join(out, CHECKPOINT), '--out', join(out, 'grid.png')]);
    expect(sampled.status).toBe(2);
    expect(sampled.errors).toEqual([
      expect.stringMatching(/tensor "generator_ema.4.weight" contains NaN or infinite values/),
    ]);
    expect(existsSync(join(out, 'grid.png'))).toBe(false);
    const resumed = cli(['train', '--steps', '8', '--resume', '--out', out]);
    expect(resumed.status).toBe(2);
    expect(resumed.errors).toEqual([expect.stringMatching(/contains NaN or infinite values/)]);
  });

  it('refuses impossible optimiser state and a flipped byte; an old file with no checksum loads, warned', () => {
    const out = tmp();
    poison(
      join(good, CHECKPOINT),
      join(out, CHECKPOINT),
      (t) => (t.get('optimizer.discriminator.exp_avg_sq.0.weight')!.data[3] = -0.5),
      'recompute',
    );
    const negative = cli(['train', '--steps', '8', '--resume', '--out', out]);
    expect(negative.status).toBe(2);
    expect(negative.errors).toEqual([expect.stringMatching(/exp_avg_sq.0.weight" .* has negative values/)]);

    const bytes = readFileSync(join(good, CHECKPOINT));
    bytes[bytes.length - 1000]! ^= 0x10; // one bit of one weight, deep in the data
    writeFileSync(join(out, CHECKPOINT), bytes);
    const flipped = cli(['train', '--steps', '8', '--resume', '--out', out]);
    expect(flipped.status).toBe(2);
    expect(flipped.errors).toEqual([expect.stringMatching(/does not match its checksum .*: the file is damaged/)]);

    poison(join(good, CHECKPOINT), join(out, CHECKPOINT), () => undefined, 'drop');
    const old = cli(['sample', '--checkpoint', join(out, CHECKPOINT), '--out', join(out, 'grid.png')]);
    expect(old.status).toBe(0);
    expect(old.errors).toEqual([expect.stringMatching(/^warning: .* has no checksum/)]);
  });

  it('a batch the device cannot bind is refused before training, naming the largest that fits', async () => {
    const ctx = await acquireGpu();
    const limit = Math.min(ctx.device.limits.maxStorageBufferBindingSize, ctx.device.limits.maxBufferSize);
    ctx.destroy();
    const fits = Math.floor(limit / (2 * 784 * 4)); // the discriminator's input, fake and real rows
    const batch = fits + 1;
    if (batch > 32768) {
      console.log(`this adapter binds ${limit} bytes: every batch the flag allows fits, so nothing to refuse`);
      return;
    }
    const out = tmp();
    const r = cli(['train', '--steps', '5', '--batch', String(batch), '--out', out]);
    expect(r.status).toBe(2);
    expect(r.errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `^webgpu-gan train: --batch: ${batch} needs .* MiB for the discriminator's input .*; use a batch of at ` +
            `most ${fits}$`,
        ),
      ),
    ]);
    expect(existsSync(join(out, CHECKPOINT))).toBe(false);
    // --force removes an old run only once every check has passed: here the old run stays.
    for (const f of readdirSync(good)) copyFileSync(join(good, f), join(out, f));
    const forced = cli(['train', '--steps', '5', '--batch', String(batch), '--force', '--out', out]);
    expect(forced.status).toBe(2);
    expect(readFileSync(join(out, CHECKPOINT)).equals(readFileSync(join(good, CHECKPOINT)))).toBe(true);
    expect(readFileSync(join(out, 'log.jsonl'), 'utf8')).toBe(readFileSync(join(good, 'log.jsonl'), 'utf8'));
  });

  it('--steps past the 32-bit sample counter is refused before any GPU work', () => {
    const r = cli(['train', '--steps', '1e15', '--out', tmp()]);
    expect(r.status).toBe(2);
    expect(r.errors).toEqual([
      expect.stringMatching(
        /--steps 1000000000000000 is more than batch 64 allows \(\d+: the GPU counts samples in 32 bits\)/,
      ),
    ]);
    expect(r.stdout).not.toMatch(/adapter:/);
  });

  it('file-system errors: one line naming the path and what to do, exit 2', () => {
    const dir = tmp();
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const outIsFile = cli(['train', '--steps', '2', '--out', file, ...TINY]);
    expect(outIsFile.status).toBe(2);
    expect(outIsFile.errors).toEqual([
      expect.stringMatching(
        new RegExp(`cannot (create the run folder|use) ${file}.*(a file is in the way|it is a file)`),
      ),
    ]);
    const underFile = cli(['train', '--steps', '2', '--out', join(file, 'run'), ...TINY]);
    expect(underFile.status).toBe(2);
    expect(underFile.errors).toEqual([
      expect.stringMatching(/cannot create the run folder .*a file is in the way where a folder is needed \(ENOTDIR\)/),
    ]);

    const checkpoint = join(ROOT, 'does-not-matter.safetensors');
    const sampleIntoFolder = cli(['sample', '--checkpoint', checkpoint, '--out', dir]);
    expect(sampleIntoFolder.status).toBe(2);
    expect(sampleIntoFolder.errors).toEqual([
      expect.stringMatching(new RegExp(`cannot write ${dir}: it is a folder; name a file`)),
    ]);
    const missingParent = cli(['sample', '--checkpoint', checkpoint, '--out', join(dir, 'no', 'such', 'grid.png')]);
    expect(missingParent.status).toBe(2);
    expect(missingParent.errors).toEqual([
      expect.stringMatching(/its folder .*no\/such does not exist; create it first/),
    ]);
  });

  it('an unwritable run folder is refused before training starts', () => {
    const out = tmp();
    // Root may write anywhere: as root the run is nobody's in root's folder where nobody can read
    // this checkout, and otherwise a read-only file system.
    const nobodyCanRun =
      isRoot &&
      spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(BIN)})`], {
        uid: 65534,
        gid: 65534,
      }).status === 0;
    const readOnlyMount = isRoot && !nobodyCanRun;
    if (readOnlyMount) expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', out]).status).toBe(0);
    else chmodSync(out, 0o555);
    try {
      const asOther = nobodyCanRun ? { uid: 65534, gid: 65534 } : {};
      const r = cli(['train', '--steps', '2', '--out', out, ...TINY], {
        ...asOther,
        env: { ...process.env, HOME: out },
      });
      expect(r.status).toBe(2);
      const why = readOnlyMount
        ? 'the file system is read-only; choose another place \\(EROFS\\)'
        : 'permission denied; choose a place you can write to \\(EACCES\\)';
      expect(r.errors).toEqual([expect.stringMatching(new RegExp(`cannot write into the run folder ${out}: ${why}`))]);
      expect(r.stdout).not.toMatch(/adapter:/);
    } finally {
      if (readOnlyMount) spawnSync('umount', [out]);
      else chmodSync(out, 0o755);
    }
  });

  it.runIf(isRoot)('a full disk at a save: exit 1, one line, the previous checkpoint intact', () => {
    // A 10 MiB file system holds one checkpoint (6.8 MB) but not a second one beside it.
    const out = tmp();
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=10m', 'tmpfs', out]).status).toBe(0);
    try {
      const r = cli(['train', '--steps', '8', '--out', out, ...TINY]);
      expect(r.status).toBe(1);
      expect(r.errors).toEqual([
        expect.stringMatching(
          new RegExp(
            'cannot write .*checkpoint\\.safetensors: the disk is full; free some space \\(ENOSPC\\); ' +
              'the checkpoint of step 4 in .* is kept$',
          ),
        ),
      ]);
      expect(decodeCheckpoint(readFileSync(join(out, CHECKPOINT))).step).toBe(4);
      expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      // The step's artefacts agree: samples of the kept checkpoint's step, a log that ends there in whole lines.
      expect(readdirSync(out).filter((f) => /^samples-\d+\.png$/.test(f))).toEqual(['samples-0000004.png']);
      expect(readFileSync(join(out, 'samples.png')).equals(readFileSync(join(out, 'samples-0000004.png')))).toBe(true);
      expect(readFileSync(join(out, 'log.jsonl'), 'utf8')).toMatch(/\n$/);
      expect(logSteps(out)).toEqual([2, 4]);
    } finally {
      spawnSync('umount', [out]);
    }
  });

  it('SIGTERM saves like Ctrl-C (exit 143), and the resumed log neither repeats nor skips a step', async () => {
    const out = tmp();
    const child = spawn(process.execPath, [BIN, 'train', '--steps', '100000', '--out', out, ...TINY], { cwd: ROOT });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    while (!existsSync(join(out, 'log.jsonl'))) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    const step = decodeCheckpoint(readFileSync(join(out, CHECKPOINT))).step;
    expect(Math.max(...logSteps(out))).toBe(step);
    const resumed = cli(['train', '--steps', String(step + 6), '--resume', '--out', out, '--log-every', '2']);
    expect(resumed.status, resumed.errors.join('\n')).toBe(0);
    const steps = logSteps(out);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(new Set(steps).size).toBe(steps.length);
    expect(steps.at(-1)).toBe(step + 6);
  });

  it("SIGTERM to a restorer's training saves the restorer so far and says so (exit 143)", async () => {
    const out = tmp();
    const args = ['train', '--task', 'restore', '--degradation', 'blur', '--steps', '100000', '--batch', '4'];
    const child = spawn(process.execPath, [BIN, ...args, '--log-every', '2', '--out', out], { cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    while (!existsSync(join(out, 'restorer-log.jsonl'))) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(stderr).toMatch(/terminated: saving the restorer so far \(restorer\.safetensors\)/);
    expect(decodeRestorer(readFileSync(join(out, 'restorer.safetensors'))).step).toBeGreaterThanOrEqual(2);
  });

  it('SIGTERM to npx (npm exec) reaches the trainer through the shell npm runs it in: it saves and ends', async () => {
    // npm runs a command as `sh -c ...` and passes the signal to that shell only, which dies of it.
    const out = tmp();
    const npm = spawn(
      'npm',
      ['exec', '--offline', '--', 'node', BIN, 'train', '--steps', '100000', '--out', out, ...TINY],
      {
        cwd: ROOT,
      },
    );
    const npmExited = new Promise<void>((resolve) => npm.on('exit', () => resolve()));
    while (!existsSync(join(out, 'log.jsonl'))) await new Promise((r) => setTimeout(r, 100));
    const trainer = (JSON.parse(readFileSync(join(out, 'train.lock'), 'utf8')) as { pid: number }).pid;
    expect(trainer).not.toBe(npm.pid);
    npm.kill('SIGTERM');
    await npmExited;
    const deadline = Date.now() + 60_000;
    while (isRunning(trainer) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const orphaned = isRunning(trainer);
    if (orphaned) process.kill(trainer, 'SIGKILL'); // not left running after a failure
    expect(orphaned, 'the trainer outlived npx').toBe(false);
    expect(existsSync(join(out, 'train.lock'))).toBe(false);
    const step = decodeCheckpoint(readFileSync(join(out, CHECKPOINT))).step;
    expect(Math.max(...logSteps(out))).toBe(step);
  });

  it('after kill -9 the next start removes temporary files and trims the log back to the checkpoint', async () => {
    const out = tmp();
    const child = spawn(process.execPath, [BIN, 'train', '--steps', '100000', '--out', out, ...TINY], { cwd: ROOT });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    // Killed once it has saved and gone on logging past the save.
    while (
      !existsSync(join(out, CHECKPOINT)) ||
      Math.max(0, ...(existsSync(join(out, 'log.jsonl')) ? logSteps(out) : [])) < 6
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    await exited;
    // What a kill in the middle of a save leaves (a process id that no longer runs), a log line
    // past the checkpoint and one cut off halfway, and another program's file that must stay.
    copyFileSync(join(out, CHECKPOINT), join(out, `.${CHECKPOINT}.999999999.tmp`));
    writeFileSync(join(out, '.editor-swap.999999999.tmp'), 'not ours');
    const step = decodeCheckpoint(readFileSync(join(out, CHECKPOINT))).step;
    appendFileSync(join(out, 'log.jsonl'), `${JSON.stringify({ step: step + 1000 })}\n{"step": ${step + 10}`);
    const lines = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n');
    const past = lines.filter((l) => !l.endsWith('}') || (JSON.parse(l) as { step: number }).step > step).length;
    const resumed = cli(['train', '--steps', String(step + 4), '--resume', '--out', out, '--log-every', '2']);
    expect(resumed.status, resumed.errors.join('\n')).toBe(0);
    expect(resumed.stdout).toMatch(/removed \d+ temporary files? \(.* MiB\) left in .* by a run that was killed/);
    expect(resumed.stdout).toContain(
      `log.jsonl: dropped ${past} lines past step ${step}, written after the last checkpoint`,
    );
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual(['.editor-swap.999999999.tmp']);
    const steps = logSteps(out);
    expect(new Set(steps).size).toBe(steps.length);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
  });

  it('a second run into a run folder is refused without --resume or --force; --force starts over', () => {
    const out = tmp();
    for (const f of readdirSync(good)) copyFileSync(join(good, f), join(out, f));
    const again = cli(['train', '--steps', '2', '--out', out, ...TINY]);
    expect(again.status).toBe(2);
    expect(again.errors).toEqual([
      expect.stringMatching(
        /already holds a run \(checkpoint\.safetensors\): add --resume to continue it, --force to start over/,
      ),
    ]);
    expect(readFileSync(join(out, CHECKPOINT)).equals(readFileSync(join(good, CHECKPOINT)))).toBe(true);
    const both = cli(['train', '--steps', '2', '--out', out, '--resume', '--force']);
    expect(both.status).toBe(2);
    mkdirSync(join(out, 'unrelated'));
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const forced = cli(['train', '--steps', '2', '--out', out, '--force', ...TINY]);
    expect(forced.status, forced.errors.join('\n')).toBe(0);
    expect(logSteps(out)).toEqual([2]);
    expect(readdirSync(out).filter((f) => /^samples-\d+\.png$/.test(f))).toEqual([]);
    expect(decodeCheckpoint(readFileSync(join(out, CHECKPOINT))).step).toBe(2);
    // Only the run's own files go: what else the folder holds stays.
    expect(existsSync(join(out, 'unrelated'))).toBe(true);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine');

    // A run killed before its first save leaves only a log: --force is the way on.
    const logOnly = tmp();
    copyFileSync(join(good, 'log.jsonl'), join(logOnly, 'log.jsonl'));
    const refused = cli(['train', '--steps', '2', '--out', logOnly, ...TINY]);
    expect(refused.status).toBe(2);
    expect(refused.errors).toEqual([
      expect.stringMatching(
        /holds the log of a run that stopped before its first checkpoint: add --force to start over/,
      ),
    ]);
  });
});
