// The demo's Restore panel in headless Chromium (WebGPU on SwiftShader): every shipped restorer
// undoes its damage on a test digit, closer to the truth than the damaged picture (PSNR, as the
// page says it and as recomputed here from its canvases); a picture chosen through the file input
// and one dropped are restored without a truth; a file that is no picture is named; and the
// hand-erased choice brings the latent search's controls back.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeRestorer, restorationKey } from '../src/index.js';
import { testIdText as text, useDemoPage, waitForTestIdText } from './support/chromium.js';
import { useTempDirs } from './support/temp.js';

// The first test digit, a 7, every time: the shipped ×4 restorer beats the blown-up picture by more
// than 1 dB on 95.5% of the test digits, not all (QUALITY.md), so a random one failed this file
// about one run in eighteen.
const SMALL =
  '?subset=200&gHidden=32,32&dHidden=32,32&batch=16&evalEvery=100000&start=scratch&restoreBatch=8&testDigit=1';
/** Canvas pixels per picture pixel, as the page draws. */
const SCALE = 8;

/** A canvas's picture, one value per picture pixel in [0, 1] (its red channel at each square's centre). */
const pictureOf = (page: Page, id: string, side: number) =>
  page.evaluate(
    ({ id, side }) => {
      const canvas = document.querySelector(`[data-testid=${id}]`) as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      const step = canvas.width / side;
      return Array.from({ length: side * side }, (_, p) => {
        const [x, y] = [(p % side) * step + step / 2, Math.floor(p / side) * step + step / 2];
        return data[4 * (Math.floor(y) * canvas.width + Math.floor(x))]! / 255;
      });
    },
    { id, side },
  );
const canvasWidth = (page: Page, id: string) =>
  page.evaluate((id) => (document.querySelector(`[data-testid=${id}]`) as HTMLCanvasElement).width, id);

function psnr(a: number[], b: number[]): number {
  const mse = a.reduce((sum, v, i) => sum + (v - b[i]!) ** 2, 0) / a.length;
  return 10 * Math.log10(1 / mse);
}

/** A 28×28 white bar on black with every 9th background pixel turned white: salt on a "1". */
function saltedBarPng(): Buffer {
  const png = new PNG({ width: 28, height: 28 });
  for (let p = 0; p < 28 * 28; p++) {
    const [x, y] = [p % 28, Math.floor(p / 28)];
    const bar = Math.abs(x - 14) < 3 && y > 4 && y < 24;
    const v = bar || p % 9 === 0 ? 255 : 0;
    png.data.set([v, v, v, 255], 4 * p);
  }
  return PNG.sync.write(png);
}
const onBar = (p: number) => Math.abs((p % 28) - 14) < 2 && Math.floor(p / 28) > 6 && Math.floor(p / 28) < 22;
const farFromBar = (p: number) => Math.abs((p % 28) - 14) > 6;
const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;

const tempDir = useTempDirs();

describe('the demo Restore panel', { timeout: 300_000 }, () => {
  const demo = useDemoPage(SMALL, { acceptDownloads: true });

  it('offers each shipped restorer, and shows its controls instead of the search', async () => {
    const page = demo.page();
    const options = await page.locator('[data-testid=restore-kind] option').allTextContents();
    expect(options).toHaveLength(8);
    expect(options[0]).toMatch(/Erased with the pointer/);
    expect(await page.isVisible('[data-testid=repair-by-hand]')).toBe(true);
    expect(await page.isHidden('[data-testid=restore-trained]')).toBe(true);
    await page.selectOption('[data-testid=restore-kind]', 'blur:sigma=1.5');
    expect(await page.isVisible('[data-testid=restore-trained]')).toBe(true);
    expect(await page.isHidden('[data-testid=repair-by-hand]')).toBe(true);
  });

  const kinds = [
    ['blur:sigma=1.5', 28],
    ['noise:sigma=0.2,salt=0', 28],
    ['noise:sigma=0,salt=0.1', 28],
    ['downscale:factor=2', 14],
    ['downscale:factor=4', 7],
    ['exposure:gain=0.4,gamma=1.5,lift=0', 28],
    ['mask:first=11,last=18', 28],
  ] as const;
  it.each(kinds)('restores a test digit damaged by %s closer to the truth than the damage', async (kind, input) => {
    const page = demo.page();
    await page.selectOption('[data-testid=restore-kind]', kind);
    await page.click('[data-testid=restore-test]');
    const said = await waitForTestIdText(page, 'restore-message', /^(Test digit|Could not)/);
    expect(said).toMatch(/^Test digit 1 of MNIST's 10,000, .*PSNR against the truth/);
    const restoredDb = Number(said.match(/restored ([\d.]+) dB/)![1]);
    const [truth, restored] = [
      await pictureOf(page, 'restore-truth', 28),
      await pictureOf(page, 'restore-restored', 28),
    ];
    // The page's figure, from values before they became bytes; the canvases' bytes agree to a few tenths.
    expect(Math.abs(psnr(restored, truth) - restoredDb)).toBeLessThan(0.5);
    const damagedDb = Number(said.match(/damaged ([\d.]+) dB/)![1]);
    expect(restoredDb).toBeGreaterThan(damagedDb + 1);
    // A smaller picture is drawn at its own size, each pixel a larger square on a canvas as wide as
    // the others: read at 28×28 it is the blown-up picture the page scores.
    expect(await canvasWidth(page, 'restore-degraded')).toBe(28 * SCALE);
    expect(Math.abs(psnr(await pictureOf(page, 'restore-degraded', 28), truth) - damagedDb)).toBeLessThan(0.5);
    if (input < 28) expect(said).toContain('(blown up pixel by pixel, as shown)');
    else expect(said).not.toContain('blown up');
    expect(await text(page, 'restore-truth-caption')).toBe('Truth');
  });

  it('restores a chosen salt-and-pepper picture: the bar stays, the salt goes, and the truth is unknown', async () => {
    const page = demo.page();
    await page.selectOption('[data-testid=restore-kind]', 'noise:sigma=0,salt=0.1');
    await page.setInputFiles('[data-testid=restore-file]', {
      name: 'salted-one.png',
      mimeType: 'image/png',
      buffer: saltedBarPng(),
    });
    const said = await waitForTestIdText(page, 'restore-message', /^(Restored|Could not)/);
    expect(said).toMatch(/^Restored salted-one\.png, read as 28×28 grey and taken as salt and pepper/);
    expect(await text(page, 'restore-truth-caption')).toBe('Truth (not known for your picture)');
    const [damaged, restored] = [
      await pictureOf(page, 'restore-degraded', 28),
      await pictureOf(page, 'restore-restored', 28),
    ];
    const indices = Array.from({ length: 28 * 28 }, (_, p) => p);
    const far = indices.filter(farFromBar);
    expect(mean(far.map((p) => damaged[p]!))).toBeGreaterThan(0.08);
    expect(mean(far.map((p) => restored[p]!))).toBeLessThan(0.04);
    expect(mean(indices.filter(onBar).map((p) => restored[p]!))).toBeGreaterThan(0.6);
  });

  it('restores a dropped picture, and names a dropped file that is no picture', async () => {
    const page = demo.page();
    await page.selectOption('[data-testid=restore-kind]', 'blur:sigma=1.5');
    const drop = async (name: string, bytes: number[], type: string) => {
      const transfer = await page.evaluateHandle(
        ({ name, bytes, type }) => {
          const dt = new DataTransfer();
          dt.items.add(new File([new Uint8Array(bytes)], name, { type }));
          return dt;
        },
        { name, bytes, type },
      );
      await page.dispatchEvent('[data-testid=restore-drop]', 'drop', { dataTransfer: transfer });
    };
    await drop('one.png', Array.from(saltedBarPng()), 'image/png');
    expect(await waitForTestIdText(page, 'restore-message', /^(Restored|Could not)/)).toMatch(
      /^Restored one\.png, read as 28×28 grey and taken as blurred/,
    );
    await drop('notes.txt', Array.from(Buffer.from('milk, eggs')), 'text/plain');
    expect(await waitForTestIdText(page, 'restore-message', /^(Restored|Could not)/)).toMatch(
      /^Could not restore: notes\.txt could not be read: /,
    );
  });

  it('trains a blur restorer here, restores with it or the shipped one, and saves it', async () => {
    const page = demo.page();
    await page.selectOption('[data-testid=restore-kind]', 'blur:sigma=1.5');
    expect(await page.isHidden('[data-testid=restore-own-label]')).toBe(true);
    await page.fill('[data-testid=restore-steps]', '30');
    await page.click('[data-testid=restore-train]');
    const said = await waitForTestIdText(page, 'restore-train-message', /^(Trained|The restorer could not)/);
    expect(said).toMatch(/^Trained “Blurred \(Gaussian, σ = 1\.5\)” for 30 steps on 200 MNIST digits in \d+ s: /);
    const trained = said.match(/l1 loss ([\d.]+) over the first steps, ([\d.]+) over the last\./);
    expect(trained, said).not.toBeNull();
    expect(Number(trained![2])).toBeLessThan(Number(trained![1]));
    expect(await page.isChecked('[data-testid=restore-own]')).toBe(true);
    expect(await text(page, 'restore-own-label')).toContain('(30 steps)');

    const testDigit = async () => {
      await page.click('[data-testid=restore-test]');
      return waitForTestIdText(page, 'restore-message', /^(Test digit|Could not)/);
    };
    expect(await testDigit()).toMatch(/restored [\d.]+ dB by the restorer trained here \(30 steps\)\.$/);
    await page.uncheck('[data-testid=restore-own]');
    expect(await testDigit()).toMatch(/restored [\d.]+ dB by the shipped restorer\.$/);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=restore-save]')]);
    expect(download.suggestedFilename()).toBe('restorer-blur-sigma-1.5-step-30.safetensors');
    const path = join(tempDir('demo-restorer-'), download.suggestedFilename());
    await download.saveAs(path);
    const file = decodeRestorer(readFileSync(path));
    expect([restorationKey(file.settings.degradation), file.step, file.data]).toEqual(['blur:sigma=1.5', 30, 'mnist']);

    // Another damage has no restorer trained here yet.
    await page.selectOption('[data-testid=restore-kind]', 'downscale:factor=2');
    expect(await page.isHidden('[data-testid=restore-own-label]')).toBe(true);
    expect(await page.isHidden('[data-testid=restore-save]')).toBe(true);
  });

  it('stops a training when asked, keeping the steps done, and refuses a step count out of range', async () => {
    const page = demo.page();
    await page.selectOption('[data-testid=restore-kind]', 'downscale:factor=2');
    await page.fill('[data-testid=restore-steps]', '0');
    await page.click('[data-testid=restore-train]');
    expect(await text(page, 'restore-train-message')).toBe('Steps: write a whole number from 1 to 20,000.');
    await page.fill('[data-testid=restore-steps]', '5000');
    await page.click('[data-testid=restore-train]');
    await waitForTestIdText(page, 'restore-train-message', /step 10 of 5000/);
    expect(await text(page, 'restore-train')).toBe('Stop');
    await page.click('[data-testid=restore-train]');
    const said = await waitForTestIdText(page, 'restore-train-message', /^(Trained|The restorer could not)/);
    const steps = Number(said.match(/^Trained “Downscaled ×2 \(14×14\)” for (\d+) steps/)?.[1]);
    expect(steps).toBeGreaterThanOrEqual(10);
    expect(steps).toBeLessThan(5000);
    expect(await text(page, 'restore-train')).toBe('Train one here');
    expect(await text(page, 'restore-own-label')).toContain(`(${steps} steps)`);
  });

  it('goes back to the search by hand, with its controls and no console errors', async () => {
    const page = demo.page();
    await page.selectOption('[data-testid=restore-kind]', 'hand');
    expect(await page.isVisible('[data-testid=repair-real]')).toBe(true);
    expect(await page.isHidden('[data-testid=restore-trained]')).toBe(true);
    expect(demo.errors).toEqual([]);
  });
});
