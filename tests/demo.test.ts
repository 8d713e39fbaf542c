// The demo page in headless Chromium (WebGPU on SwiftShader), served by Vite with a small
// configuration so it trains in CI time. What a visitor does: start, watch numbers and samples
// move, pause, save, reset, load, mistype a setting, use the keyboard, a narrow screen, and a
// browser without WebGPU. A screenshot mid-training is kept in test-results/demo.png.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../src/gan/checkpoint.js';
import { launchChromium, openDemoPage, testIdText, useDemoServer } from './support/chromium.js';
import { useTempDirs } from './support/temp.js';

const tempDir = useTempDirs();

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SMALL = '?subset=1000&gHidden=32,32&dHidden=32,32&batch=16&evalEvery=10&evalN=200';

const demoUrl = useDemoServer();

const text = testIdText;
const stepOf = async (page: Page) => Number(await text(page, 'step'));

describe('demo page', { timeout: 300_000 }, () => {
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium(true);
    page = await openDemoPage(browser, `${demoUrl()}/${SMALL}`, consoleErrors, { acceptDownloads: true });
    page.on('dialog', (dialog) => void dialog.accept()); // Reset asks before it discards the run
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('shows the adapter and trains: the step advances and the losses are finite numbers', async () => {
    expect(await text(page, 'adapter')).toMatch(/Adapter: .*browser/);
    const before = await page.locator('[data-testid=samples]').screenshot();
    await page.click('[data-testid=start]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=step]')!.textContent) >= 20, null, {
      timeout: 120_000,
    });
    await page.waitForFunction(() => document.querySelector('[data-testid=loss-d]')!.textContent !== '–', null, {
      timeout: 60_000,
    });
    for (const id of ['loss-d', 'loss-g', 'd-real', 'd-fake'])
      expect(Number.isFinite(Number(await text(page, id))), id).toBe(true);
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-results', 'demo.png') });
    const after = await page.locator('[data-testid=samples]').screenshot();
    expect(after.equals(before), 'the samples canvas changed while training').toBe(false);
  });

  it('scores the samples while training goes on: a distance, its chart and ten class bars', async () => {
    await page.waitForFunction(
      () => /^Step \d+: distance \d/.test(document.querySelector('[data-testid=quality-text]')!.textContent ?? ''),
      null,
      { timeout: 120_000 },
    );
    const scored = await text(page, 'quality-text');
    expect(scored).toMatch(/over 200 samples; \d+ of 10 digits have at least 5% of them/);
    expect(await page.locator('[data-testid=class-bars] .class-bar').count()).toBe(10);
    const heights = await page
      .locator('[data-testid=class-bars] .fill')
      .evaluateAll((fills) => fills.map((f) => Number.parseFloat((f as HTMLElement).style.height)));
    expect(Math.max(...heights)).toBe(100);
    // Training did not wait for the score: steps kept coming while it was computed.
    const step = await stepOf(page);
    await page.waitForFunction((s) => Number(document.querySelector('[data-testid=step]')!.textContent) > s, step, {
      timeout: 60_000,
    });
  });

  it('Pause holds the step', async () => {
    await page.click('[data-testid=pause]');
    await page.waitForTimeout(500); // let work already submitted land
    const held = await stepOf(page);
    await page.waitForTimeout(1500);
    expect(await stepOf(page)).toBe(held);
  });

  it('Save downloads a safetensors checkpoint that Load restores after a Reset', async () => {
    const saved = await stepOf(page);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=save]')]);
    expect(download.suggestedFilename()).toBe(`webgpu-gan-step-${saved}.safetensors`);
    const file = join(tempDir('demo-download-'), download.suggestedFilename());
    await download.saveAs(file);
    expect(decodeCheckpoint(readFileSync(file)).step).toBe(saved);

    await page.click('[data-testid=reset]');
    await page.waitForFunction(() => document.querySelector('[data-testid=step]')!.textContent === '0');
    await page.setInputFiles('[data-testid=load]', file);
    await page.waitForFunction((s) => document.querySelector('[data-testid=step]')!.textContent === String(s), saved);
    expect(await text(page, 'file-message')).toContain(`step ${saved}`);
  });

  it('a wrong file gives a message, not a broken page', async () => {
    await page.setInputFiles('[data-testid=load]', {
      name: 'notes.safetensors',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('definitely not a checkpoint'),
    });
    await page.waitForFunction(() =>
      /Could not load/.test(document.querySelector('[data-testid=file-message]')!.textContent ?? ''),
    );
    expect(await text(page, 'file-message')).toMatch(/Could not load notes\.safetensors: .*header length/);
    await page.click('[data-testid=step-once]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=step]')!.textContent) > 0);
  });

  it('an invalid setting is refused with a message and put back as it was', async () => {
    await page.fill('input[name=discriminatorLr]', '5');
    await page.click('[data-testid=apply]');
    expect(await text(page, 'form-message')).toBe(
      'D learning rate must be between 0.000001 and 0.1. D learning rate: kept as before. ' +
        'Nothing to apply: these are the settings training runs with.',
    );
    expect(await page.inputValue('input[name=discriminatorLr]')).toBe('0.0004');
    await page.fill('input[name=batch]', '2.5');
    await page.click('[data-testid=apply]');
    expect(await text(page, 'form-message')).toMatch(
      /^Batch size must be a whole number\. Batch size: kept as before\./,
    );
    expect(await page.inputValue('input[name=batch]')).toBe('16');
  });

  it('loss, spectral normalisation and learning rates are settings: rates apply live, the others restart', async () => {
    // New rates: nothing restarts.
    await page.fill('input[name=discriminatorLr]', '0.0003');
    await page.click('[data-testid=apply]');
    expect(await text(page, 'form-message')).toBe(
      'Learning rates D 0.0003, G 0.0001, β1 0.5 apply from the next step.',
    );
    await page.selectOption('select[name=loss]', 'least-squares');
    await page.uncheck('input[name=spectralNorm]');
    await page.click('[data-testid=apply]');
    await page.waitForFunction(
      () => /Restarted/.test(document.querySelector('[data-testid=form-message]')!.textContent ?? ''),
      null,
      { timeout: 120_000 },
    );
    expect(await text(page, 'form-message')).toMatch(/least-squares loss, real label/);
    await page.selectOption('select[name=loss]', 'hinge');
    await page.check('input[name=spectralNorm]');
    await page.fill('input[name=realLabel]', '0.9');
    await page.click('[data-testid=apply]');
    // The real label is refused and put back; the rest applies.
    await page.waitForFunction(
      () => /Restarted.*hinge loss/.test(document.querySelector('[data-testid=form-message]')!.textContent ?? ''),
      null,
      { timeout: 120_000 },
    );
    expect(await text(page, 'form-message')).toMatch(
      /^Real label: .*hinge loss has no targets to smooth.* Real label: kept as before\. Restarted with/,
    );
    expect(await text(page, 'form-message')).toMatch(
      /hinge loss \(D spectrally normalised\).*learning rates D 0.0003, G 0.0001\.$/,
    );
    await page.click('[data-testid=step-once]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=step]')!.textContent) === 1);
  });

  it('conditional: the grid draws a row per digit, and the picker draws one digit', async () => {
    expect(await page.isHidden('#class-picker')).toBe(true);
    await page.check('input[name=conditional]');
    // A conditional GAN trains the default recipe, spectral normalisation included, and its D the
    // conditional recipe's auxiliary classifier (the page's URL keeps G's widths small).
    expect(await page.isDisabled('input[name=spectralNorm]')).toBe(false);
    expect(await page.inputValue('select[name=conditioning]')).toBe('auxiliary');
    await page.click('[data-testid=apply]');
    await page.waitForFunction(
      () =>
        /Restarted conditional on the digit \(an auxiliary classifier in D\)/.test(
          document.querySelector('[data-testid=form-message]')!.textContent ?? '',
        ),
      null,
      { timeout: 120_000 },
    );
    expect(await page.isVisible('#class-picker')).toBe(true);
    await page.click('[data-testid=step-once]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=step]')!.textContent) === 1, null, {
      timeout: 120_000,
    });
    // Ten rows of eight: the canvas is taller than the unconditional grid of eight rows.
    const box = await page.locator('[data-testid=samples]').boundingBox();
    expect(box!.height).toBeGreaterThan(box!.width);
    // Picking a digit needs no step: the grid and the walk draw it from the next frame on.
    await page.selectOption('[data-testid=show-class]', '7');
    expect(await page.inputValue('[data-testid=show-class]')).toBe('7');
    await page.uncheck('input[name=conditional]');
    expect(await page.isEnabled('input[name=spectralNorm]')).toBe(true);
    await page.click('[data-testid=apply]');
    await page.waitForFunction(
      () => /Restarted with/.test(document.querySelector('[data-testid=form-message]')!.textContent ?? ''),
      null,
      { timeout: 120_000 },
    );
    expect(await page.isHidden('#class-picker')).toBe(true);
  });

  it('works from the keyboard: Space starts and pauses', async () => {
    await page.locator('h1').click();
    await page.keyboard.press('Space');
    await expect.poll(() => page.isEnabled('[data-testid=pause]')).toBe(true);
    await page.keyboard.press('Space');
    await expect.poll(() => page.isEnabled('[data-testid=start]')).toBe(true);
  });

  it('fits a narrow screen without sideways scrolling', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    // The charts follow their panels' width through ResizeObservers, at the page's next frames.
    const width = () => page.evaluate(() => document.documentElement.scrollWidth);
    for (let waited = 0; (await width()) > 375 && waited < 5000; waited += 250) await page.waitForTimeout(250);
    expect(await width()).toBeLessThanOrEqual(375);
    await page.setViewportSize({ width: 1280, height: 1000 });
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});

describe('the static build', () => {
  it('works from a plain static server under a sub-path', { timeout: 300_000 }, async () => {
    const outDir = tempDir('demo-build-');
    await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true } });
    // Any static host: files only, served under /some/sub/path/ to prove the relative base.
    const prefix = '/some/sub/path/';
    const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
    const host = createHttpServer((req, res) => {
      const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
      if (!path.startsWith(prefix)) {
        res.statusCode = 404;
        res.end();
        return;
      }
      const file = join(outDir, path.slice(prefix.length) || 'index.html');
      if (!file.startsWith(outDir) || !existsSync(file) || statSync(file).isDirectory()) {
        res.statusCode = 404;
        res.end();
        return;
      }
      res.setHeader('Content-Type', types[extname(file)] ?? 'application/octet-stream');
      res.end(readFileSync(file));
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    const browser = await launchChromium(true);
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`http://127.0.0.1:${(host.address() as AddressInfo).port}${prefix}${SMALL}`);
      await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 120_000 });
      await page.click('[data-testid=step-once]');
      await page.waitForFunction(() => document.querySelector('[data-testid=step]')!.textContent === '1');
      // The classifier file is part of the build: no "could not be loaded" in the quality panel.
      expect(await page.locator('[data-testid=quality-text]').textContent()).not.toMatch(/No quality scores/);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      host.close();
    }
  });
});

describe('demo page without WebGPU', () => {
  it('says what to do, and nothing else breaks', { timeout: 120_000 }, async () => {
    const browser = await launchChromium(false);
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${demoUrl()}/`);
      const message = page.locator('[data-testid=webgpu-error]');
      await message.waitFor({ state: 'visible' });
      expect(await message.textContent()).toMatch(/WebGPU.*(Chrome|--enable-unsafe-webgpu)/);
      expect(await page.isHidden('#app')).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
