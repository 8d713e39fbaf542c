// The demo's semi-supervised run and drawing panel, in headless Chromium (WebGPU on SwiftShader):
// before labelled images the panel says how to get a classifier; Labelled images 20 puts the
// semi-supervised recipe in the form and restarts training with D learning the digits' classes; a
// stroke drawn with the mouse is read by D, ten class probabilities that add up to one, the most
// likely marked; the quality panel reports D's accuracy on MNIST's test digits as training goes.
// A conditional run whose D is an auxiliary classifier reads digits and is scored the same way;
// loading its own checkpoint back starts the accuracy line afresh.
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openDemoPage, testIdText, useDemoServer } from './support/chromium.js';

const EVAL_EVERY = 40;
const TEST_DIGITS = 500;
const SMALL = `?subset=300&gHidden=32,32&dHidden=32,32&batch=16&evalEvery=${EVAL_EVERY}&evalN=64&testN=${TEST_DIGITS}`;
const demoUrl = useDemoServer();
const text = testIdText;

describe('the demo’s classify panel', { timeout: 300_000 }, () => {
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium(true);
    page = await openDemoPage(browser, `${demoUrl()}/${SMALL}`, consoleErrors, { acceptDownloads: true });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('says how to get a classifier while D has no classes', async () => {
    expect(await text(page, 'classify-note')).toMatch(/^Set Labelled images above 0 and Apply/);
    expect(await page.inputValue('input[name=labeled]')).toBe('0');
    expect(await page.locator('[data-testid=test-accuracy]').isHidden()).toBe(true);
    expect(await page.getAttribute('[data-testid=test-accuracy]', 'title')).toMatch(
      /^The share of MNIST’s test digits/,
    );
  });

  it('trains with 20 labelled digits and reads a drawn stroke as ten probabilities', async () => {
    // The default recipe (hinge loss, D spectrally normalised) gives way to the semi-supervised one
    // in the form as soon as labelled images are asked for, before Apply.
    expect(await page.inputValue('select[name=loss]')).toBe('hinge');
    expect(await page.isChecked('input[name=spectralNorm]')).toBe(true);
    await page.fill('input[name=labeled]', '20');
    await page.locator('input[name=labeled]').dispatchEvent('change');
    expect(await page.inputValue('select[name=loss]')).toBe('bce');
    expect(await page.isChecked('input[name=spectralNorm]')).toBe(false);
    expect(await page.inputValue('input[name=generatorLr]')).toBe('0.001');
    // The recipe's noisy D and batch-normed G (at the URL's small widths) show in the model panel before Apply.
    expect(await text(page, 'model-d')).toContain('GaussianNoise(0.6)');
    expect(await text(page, 'model-g')).toContain('BatchNorm1d(32');
    const message = await text(page, 'form-message');
    expect(message).toMatch(/^Labelled images: the form now has the semi-supervised recipe \(.*G's rate 0\.001\), /);
    // The networks' words come from the recipe's own settings.
    expect(message).toContain(
      "Salimans et al.'s networks (D 1000-500-250-250-250 with noise, G 500-500 with batch norms)",
    );
    await page.click('[data-testid=apply]');
    await page.waitForFunction(
      () =>
        /^Restarted learning the classes of 20 labelled images/.test(
          document.querySelector('[data-testid=form-message]')!.textContent ?? '',
        ),
      undefined,
      { timeout: 120_000 },
    );
    const restarted = await text(page, 'form-message');
    expect(restarted).toMatch(/labelled images \(G by feature matching\), with batch 16, seed \d+, bce loss, real/);
    expect(await text(page, 'test-accuracy')).toBe(
      `D's accuracy on MNIST's test digits appears here every ${EVAL_EVERY} steps.`,
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

  it('reports D’s accuracy on the test digits every few steps, its count consistent', async () => {
    const pattern = /^D's test accuracy at step (\d+): (\d+\.\d)% \((\d+) of (\d+) MNIST test digits read right\)/;
    const reading = async () => pattern.exec(await text(page, 'test-accuracy'));
    for (let waited = 0; !(await reading()) && waited < 180_000; waited += 500) await page.waitForTimeout(500);
    const first = (await reading())!;
    expect(first, await text(page, 'test-accuracy')).not.toBeNull();
    const [step, percent, right, count] = first.slice(1).map(Number) as [number, number, number, number];
    expect(step).toBeGreaterThanOrEqual(EVAL_EVERY);
    expect(count).toBe(TEST_DIGITS);
    expect(percent).toBeCloseTo((100 * right) / count, 1);
    // A later reading, of D trained further; the line keeps the run's best when the latest is lower.
    for (let waited = 0; Number((await reading())?.[1]) === step && waited < 180_000; waited += 500)
      await page.waitForTimeout(500);
    const later = (await reading())!;
    expect(Number(later[1])).toBeGreaterThan(step);
    // D has learnt the digits from its 20 labels: twice chance (it read 43% at step 80 when written).
    expect(Number(later[2])).toBeGreaterThan(20);
    expect(await text(page, 'test-accuracy')).toMatch(/ read right\)(\.|; best \d+\.\d% at step \d+\.)$/);
    console.log(`demo test accuracy: ${percent}% at step ${step}, ${later[2]}% at step ${later[1]}`);
    expect(consoleErrors).toEqual([]);
  });

  it('a conditional run with an auxiliary classifier in D reads digits and is scored too', async () => {
    await page.fill('input[name=labeled]', '0');
    await page.check('input[name=conditional]');
    await page.selectOption('select[name=conditioning]', 'auxiliary');
    await page.click('[data-testid=apply]');
    const restarted = /^Restarted conditional on the digit \(an auxiliary classifier in D\), with batch 16/;
    for (let waited = 0; !restarted.test(await text(page, 'form-message')) && waited < 120_000; waited += 500)
      await page.waitForTimeout(500);
    expect(await text(page, 'form-message')).toMatch(restarted);
    // Without labels the recipe's networks give way to the design's.
    expect(await text(page, 'model-d')).not.toContain('GaussianNoise');
    expect(await text(page, 'model-g')).not.toContain('BatchNorm1d');
    expect(await text(page, 'classify-note')).toMatch(/^Draw a digit: D reads it as one of its 10 classes/);
    expect(await page.inputValue('select[name=conditioning]')).toBe('auxiliary');
    // The latent search reads D's real/fake logit off its class logits: repair is offered.
    expect(await page.getAttribute('[data-testid=repair-model]', 'hidden')).not.toBeNull();
    const pattern = /^D's test accuracy at step (\d+): \d+\.\d% \(\d+ of 500 MNIST test digits read right\)/;
    for (let waited = 0; !pattern.test(await text(page, 'test-accuracy')) && waited < 180_000; waited += 500)
      await page.waitForTimeout(500);
    expect(await text(page, 'test-accuracy')).toMatch(pattern);
    // The head and G's class weight are the auxiliary classifier's own: under projection they hide
    // and are not held against the form.
    await page.selectOption('select[name=auxiliaryHead]', 'two-heads');
    await page.fill('input[name=classWeight]', '2');
    await page.selectOption('select[name=conditioning]', 'projection');
    expect(await page.isHidden('input[name=classWeight]')).toBe(true);
    await page.click('[data-testid=apply]');
    const projected = /^Restarted conditional on the digit \(by projection in D\)/;
    for (let waited = 0; !projected.test(await text(page, 'form-message')) && waited < 120_000; waited += 500)
      await page.waitForTimeout(500);
    expect(await text(page, 'form-message')).toMatch(projected);
    // A class projection is the one D the latent search does not take: the repair panel says why, and what to change.
    expect(await page.getAttribute('[data-testid=repair-model]', 'hidden')).toBeNull();
    const why = (await text(page, 'repair-model')).replace(/\s+/g, ' ').trim();
    expect(why).toMatch(/^Repair needs D’s real\/fake logit without a class projection: this run’s D takes the class/);
    // Two heads and a class weight restart the run: D ends in ten class logits and a real/fake one,
    // and the accuracy reads the ten.
    await page.selectOption('select[name=conditioning]', 'auxiliary');
    await page.selectOption('select[name=auxiliaryHead]', 'two-heads');
    await page.fill('input[name=classWeight]', '2');
    await page.click('[data-testid=apply]');
    const twoHeads =
      /^Restarted conditional on the digit \(an auxiliary classifier in D, two heads, G's class weight 2\)/;
    for (let waited = 0; !twoHeads.test(await text(page, 'form-message')) && waited < 120_000; waited += 500)
      await page.waitForTimeout(500);
    expect(await text(page, 'form-message')).toMatch(twoHeads);
    expect(await text(page, 'model-d')).toMatch(/Linear\(\d+, 11/);
    expect(await text(page, 'classify-note')).toMatch(/^Draw a digit: D reads it as one of its 10 classes/);
    for (let waited = 0; !pattern.test(await text(page, 'test-accuracy')) && waited < 180_000; waited += 500)
      await page.waitForTimeout(500);
    expect(await text(page, 'test-accuracy')).toMatch(pattern);
    expect(consoleErrors).toEqual([]);
  });

  it('a checkpoint of the same settings loaded back starts the accuracy line afresh', async () => {
    await page.click('[data-testid=pause]');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=save]')]);
    const buffer = readFileSync(await download.path());
    await page.setInputFiles('[data-testid=load]', {
      name: 'same.safetensors',
      mimeType: 'application/octet-stream',
      buffer,
    });
    await page.waitForFunction(() =>
      /^Loaded same\.safetensors/.test(document.querySelector('[data-testid=file-message]')!.textContent ?? ''),
    );
    // A reading begun before the load, landing later, is the run before's: it is not shown.
    await page.waitForTimeout(2000);
    expect(await text(page, 'test-accuracy')).toBe(
      `D's accuracy on MNIST's test digits appears here every ${EVAL_EVERY} steps.`,
    );
    expect(await text(page, 'quality-text')).not.toMatch(/^Step \d+: distance/);
    expect(consoleErrors).toEqual([]);
  });
});
