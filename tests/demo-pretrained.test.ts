// The demo on a software adapter (issue 31, item 1): headless Chromium's SwiftShader is one, so
// the page opens on the generator trained ahead (models/mnist-gan.safetensors),
// says so in one line, and its grid shows digits where a step-0 generator shows grey noise. New
// settings start from scratch as before, and "Start from scratch" goes to step 0 and is
// remembered through a reload of the tab.
import { PNG } from 'pngjs';
import type { Page } from 'playwright';
import { describe, expect, it } from 'vitest';
import { testIdText as text, useDemoPage, waitForTestIdText } from './support/chromium.js';

/** The default model (no network or batch parameters: those would not fit the shipped file). */
const DEFAULT_MODEL = '?subset=1000&evalN=200';

/** How much of the grid is dark background and how much bright stroke, from a screenshot of it. */
async function gridInk(page: Page): Promise<{ dark: number; bright: number }> {
  const { data, width, height } = PNG.sync.read(await page.locator('[data-testid=samples]').screenshot());
  let dark = 0;
  let bright = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i]! < 50) dark++;
    else if (data[i]! > 200) bright++;
  }
  return { dark: dark / (width * height), bright: bright / (width * height) };
}

/** Waits until the page is ready for Start again (after a reload or a restart). */
const ready = (page: Page) => page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 180_000 });

describe('the demo page on a software adapter', { timeout: 600_000 }, () => {
  const demo = useDemoPage(DEFAULT_MODEL);
  let pretrainedInk = { dark: 0, bright: 0 };

  it('starts from the shipped generator at its step, says why in one line, and shows digits', async () => {
    const page = demo.page();
    expect(await text(page, 'adapter')).toMatch(/software/);
    expect(await page.isVisible('[data-testid=pretrained-note]')).toBe(true);
    const line = await text(page, 'pretrained-text');
    expect(line).toMatch(/^Software adapter \(slow\): started from a generator pretrained to step (\d+)/);
    const shippedStep = line.match(/step (\d+)/)![1]!;
    expect(Number(shippedStep)).toBeGreaterThanOrEqual(1000);
    expect(await text(page, 'step')).toBe(shippedStep);
    expect(await page.isVisible('[data-testid=from-scratch]')).toBe(true);
    // Digits: mostly black background with bright strokes.
    pretrainedInk = await gridInk(page);
    expect(pretrainedInk.dark).toBeGreaterThan(0.5);
    expect(pretrainedInk.bright).toBeGreaterThan(0.03);
    // Training goes on from the shipped step.
    await page.click('[data-testid=step-once]');
    await waitForTestIdText(page, 'step', new RegExp(`^${Number(shippedStep) + 1}$`));
    expect(demo.errors).toEqual([]);
  });

  it('new settings (Apply) start from scratch as before, and the line goes', async () => {
    const page = demo.page();
    await page.fill('input[name=batch]', '32');
    await page.click('[data-testid=apply]');
    await waitForTestIdText(page, 'form-message', /Restarted/);
    // The step counter is redrawn at the next animation frame, which a loaded machine may delay.
    await waitForTestIdText(page, 'step', /^0$/);
    expect(await page.isHidden('[data-testid=pretrained-note]')).toBe(true);
    await page.click('[data-testid=step-once]');
    await waitForTestIdText(page, 'step', /^1$/);
    expect(demo.errors).toEqual([]);
  });

  it('"Start from scratch" goes to step 0, where the grid is noise, and a reload of the tab remembers it', async () => {
    const page = demo.page();
    await page.reload();
    await ready(page);
    // The Apply did not choose scratch: the reloaded page starts from the shipped generator again.
    expect(await page.isVisible('[data-testid=pretrained-note]')).toBe(true);
    await page.click('[data-testid=from-scratch]');
    await waitForTestIdText(page, 'form-message', /^Started from scratch at step 0/);
    expect(await text(page, 'step')).toBe('0');
    expect(await page.isHidden('[data-testid=pretrained-note]')).toBe(true);
    // A step-0 generator draws grey noise: far less black background than the digits had.
    const untrained = await gridInk(page);
    expect(untrained.dark).toBeLessThan(pretrainedInk.dark / 2);
    await page.reload();
    await ready(page);
    expect(await text(page, 'step')).toBe('0');
    expect(await page.isHidden('[data-testid=pretrained-note]')).toBe(true);
    await page.click('[data-testid=step-once]');
    await waitForTestIdText(page, 'step', /^1$/);
    expect(demo.errors).toEqual([]);
  });
});
