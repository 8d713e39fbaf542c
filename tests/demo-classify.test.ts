// The demo's semi-supervised run and drawing panel, in headless Chromium (WebGPU on SwiftShader):
// before labelled images the panel says how to get a classifier; Labelled images 20 restarts
// training with D learning the digits' classes; a stroke drawn with the mouse is read by D, ten
// class probabilities that add up to one, the most likely marked.
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openDemoPage, testIdText, useDemoServer } from './support/chromium.js';

const SMALL = '?subset=300&gHidden=32,32&dHidden=32,32&batch=16&evalEvery=100000';
const demoUrl = useDemoServer();
const text = testIdText;

describe('the demo’s classify panel', { timeout: 300_000 }, () => {
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium(true);
    page = await openDemoPage(browser, `${demoUrl()}/${SMALL}`, consoleErrors);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('says how to get a classifier while D has no classes', async () => {
    expect(await text(page, 'classify-note')).toMatch(/^Set Labelled images above 0 and Apply/);
    expect(await page.inputValue('input[name=labeled]')).toBe('0');
  });

  it('trains with 20 labelled digits and reads a drawn stroke as ten probabilities', async () => {
    await page.fill('input[name=labeled]', '20');
    await page.click('[data-testid=apply]');
    await page.waitForFunction(
      () =>
        /^Restarted learning the classes of 20 labelled images/.test(
          document.querySelector('[data-testid=form-message]')!.textContent ?? '',
        ),
      undefined,
      { timeout: 120_000 },
    );
    expect(await text(page, 'classify-note')).toMatch(/^Draw a digit: D reads it as one of its 10 classes/);
    if (await page.isEnabled('[data-testid=start]')) await page.click('[data-testid=start]');
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid=step]')!.textContent) >= 5,
      undefined,
      {
        timeout: 120_000,
      },
    );
    await page.locator('[data-testid=draw]').scrollIntoViewIfNeeded();
    const box = (await page.locator('[data-testid=draw]').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.2);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + box.width / 2, box.y + box.height * (0.2 + 0.06 * i));
    await page.mouse.up();
    // Polled from the test: the page's own polling starves while a drawing frame runs.
    const listed = () => page.locator('[data-testid=class-probabilities] li').count();
    for (let waited = 0; (await listed()) < 10 && waited < 120_000; waited += 500) await page.waitForTimeout(500);
    expect(await listed(), await text(page, 'classify-note')).toBe(10);
    const items = await page.locator('[data-testid=class-probabilities] li').allTextContents();
    const shares = items.map((item, k) => {
      const match = /^(\d): (\d+\.\d)%$/.exec(item);
      expect(match?.[1]).toBe(String(k));
      return Number(match![2]);
    });
    expect(Math.abs(shares.reduce((a, b) => a + b, 0) - 100)).toBeLessThan(0.6);
    const best = await page.locator('[data-testid=class-probabilities] li.best').textContent();
    expect(best).toBe(items[shares.indexOf(Math.max(...shares))]);
    expect(await text(page, 'classify-note')).toMatch(/^D reads class \d \(step \d+\)\.$/);
    await page.click('[data-testid=draw-clear]');
    expect(await page.locator('[data-testid=class-probabilities] li').count()).toBe(0);
    // A second stroke, later in the run: the same classifier reads D as it is by then.
    const firstStep = Number(/step (\d+)/.exec(await text(page, 'classify-note'))![1]);
    await page.waitForFunction(
      (after) => Number(document.querySelector('[data-testid=step]')!.textContent) > after,
      firstStep,
      { timeout: 120_000 },
    );
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + box.width * (0.3 + 0.04 * i), box.y + box.height / 2);
    await page.mouse.up();
    for (let waited = 0; (await listed()) < 10 && waited < 120_000; waited += 500) await page.waitForTimeout(500);
    expect(await listed(), await text(page, 'classify-note')).toBe(10);
    const secondStep = Number(/step (\d+)/.exec(await text(page, 'classify-note'))![1]);
    expect(secondStep).toBeGreaterThan(firstStep);
    expect(consoleErrors).toEqual([]);
  });
});
