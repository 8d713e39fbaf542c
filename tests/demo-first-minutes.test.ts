// The demo page as a newcomer meets it (issue 31): every term explained, one learning rate per
// network, an Apply during a restart waits for it instead of being lost, a refused setting is named
// as the form names it and holds back only itself, a restart keeps training, Step moves the
// numbers, Reset asks first, a conditional grid's rows are labelled, and on a phone the samples
// are in view after Start. The autosave offer shows before the run is ready and goes on Start.
import { describe, expect, it } from 'vitest';
import { testIdText as text, useDemoPage, waitForTestIdText } from './support/chromium.js';

const SMALL = '?subset=1000&gHidden=32,32&dHidden=32,32&batch=16&evalEvery=1000&autosave=5';

describe('the demo page in its first minutes', { timeout: 300_000 }, () => {
  const demo = useDemoPage(SMALL);
  const stepOf = async () => Number(await text(demo.page(), 'step'));
  /** Waits for the step to pass `step`, polling from the test (the page is busy training). */
  async function waitForStep(step: number): Promise<void> {
    await expect.poll(stepOf, { timeout: 120_000, interval: 250 }).toBeGreaterThan(step);
  }

  it('explains each term in one sentence: a tooltip where it is shown, and the help panel', async () => {
    const page = demo.page();
    const terms = await page.locator('[data-testid=help-terms] dt').allTextContents();
    for (const term of ['D(x)', 'D(G(z))', 'Adam β1', 'Spectral normalisation', 'Real label (smoothing)'])
      expect(terms).toContain(term);
    for (const term of ['Moving-average decay', 'Moving-average warm-up', 'Fréchet classifier distance', 'Confidence'])
      expect(terms).toContain(term);
    const sentences = await page.locator('[data-testid=help-terms] dd').allTextContents();
    expect(sentences).toHaveLength(terms.length);
    expect(await page.getAttribute('[data-testid=help-d-real]', 'title')).toBe(sentences[terms.indexOf('D(x)')]);
    for (const name of ['beta1', 'realLabel', 'emaDecay', 'emaWarmup'])
      expect(await page.locator(`label:has(input[name=${name}])`).getAttribute('title')).toMatch(/\w{3,}/);
    expect(await page.locator('label:has(input[name=spectralNorm])').getAttribute('title')).toMatch(/singular value/);
  });

  it('has one learning rate per network, showing the rates that train', async () => {
    const page = demo.page();
    expect(await page.locator('input[name=lr]').count()).toBe(0);
    expect(await page.inputValue('input[name=discriminatorLr]')).toBe('0.0004');
    expect(await page.inputValue('input[name=generatorLr]')).toBe('0.0001');
    await page.click('[data-testid=apply]');
    expect(await text(page, 'form-message')).toBe('Nothing to apply: these are the settings training runs with.');
  });

  it('keeps training through a restart, and an Apply during it waits and then applies the form', async () => {
    const page = demo.page();
    await page.click('[data-testid=start]');
    await waitForStep(3);
    // Two Applies in one go: the second comes while the first restart is being built.
    await page.selectOption('select[name=loss]', 'least-squares');
    await page.evaluate(() => {
      const form = document.querySelector<HTMLFormElement>('[data-testid=settings]')!;
      form.requestSubmit();
      (form.elements.namedItem('spectralNorm') as HTMLInputElement).checked = false;
      form.requestSubmit();
    });
    // (After an autosave in progress, if one is: a restart waits for it.)
    await waitForTestIdText(page, 'form-message', /^Training is restarting: the settings apply as soon as it has\.$/);
    const restarted = await waitForTestIdText(page, 'form-message', /^Restarted/);
    expect(restarted).toMatch(/least-squares loss, real label/);
    expect(restarted).not.toMatch(/spectrally normalised/);
    expect(await page.isChecked('input[name=spectralNorm]')).toBe(false);
    // Still training: the new run's steps come without pressing Start.
    expect(await page.isEnabled('[data-testid=pause]')).toBe(true);
    await waitForStep(2);
    await page.click('[data-testid=apply]');
    expect(await text(page, 'form-message')).toBe('Nothing to apply: these are the settings training runs with.');
  });

  it('a refused setting is named as the form names it, gets the focus, and the other changes apply', async () => {
    const page = demo.page();
    await page.selectOption('select[name=loss]', 'hinge');
    await page.fill('input[name=realLabel]', '0.9');
    await page.fill('input[name=batch]', '8');
    await page.click('[data-testid=apply]');
    const said = await waitForTestIdText(page, 'form-message', /Restarted/);
    expect(said).toMatch(/^Real label: is 0\.9, but the hinge loss has no targets to smooth/);
    expect(said).toMatch(/Real label: kept as before\. Restarted with batch 8, .*hinge loss/);
    expect(said).not.toMatch(/realLabel|\bbce\b/);
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement).name)).toBe('realLabel');
    expect(await page.inputValue('input[name=realLabel]')).toBe('1');
    // A number out of range: refused and put back, while the rate beside it applies.
    await page.fill('input[name=beta1]', '7');
    await page.fill('input[name=generatorLr]', '0.0002');
    await page.click('[data-testid=apply]');
    expect(await text(page, 'form-message')).toBe(
      'Adam β1 must be between 0 and 0.999. Adam β1: kept as before. ' +
        'Learning rates D 0.0004, G 0.0002, β1 0.5 apply from the next step.',
    );
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement).name)).toBe('beta1');
  });

  it('Step moves the numbers, and Reset asks before it discards the run', async () => {
    const page = demo.page();
    await page.click('[data-testid=pause]');
    await page.click('[data-testid=apply]'); // nothing changed: no restart
    await page.fill('input[name=seed]', '2');
    await page.click('[data-testid=apply]');
    await waitForTestIdText(page, 'form-message', /^Restarted/);
    expect(await page.isEnabled('[data-testid=start]')).toBe(true); // paused before: the new run waits
    expect(await text(page, 'loss-d')).toBe('–');
    await page.click('[data-testid=step-once]');
    await waitForTestIdText(page, 'loss-d', /^-?\d/);
    expect(await stepOf()).toBe(1);
    let asked = '';
    page.once('dialog', (dialog) => {
      asked = dialog.message();
      void dialog.dismiss();
    });
    await page.click('[data-testid=reset]');
    expect(asked).toMatch(/discards the 1 steps/);
    expect(await stepOf()).toBe(1);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('[data-testid=reset]');
    await waitForTestIdText(page, 'form-message', /^Reset to step 0/);
    expect(await stepOf()).toBe(0);
  });

  it('labels a conditional grid’s rows with their digits', async () => {
    const page = demo.page();
    await page.check('input[name=conditional]');
    await page.click('[data-testid=apply]');
    await waitForTestIdText(page, 'form-message', /^Restarted conditional/);
    const labels = page.locator('[data-testid=row-labels] li');
    expect(await labels.allTextContents()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    // Each label sits beside its row of the canvas.
    const grid = (await page.locator('[data-testid=samples]').boundingBox())!;
    const third = (await labels.nth(3).boundingBox())!;
    const middle = third.y + third.height / 2;
    expect(middle).toBeGreaterThan(grid.y + (grid.height * 3) / 10);
    expect(middle).toBeLessThan(grid.y + (grid.height * 4) / 10);
    await page.selectOption('[data-testid=show-class]', '7');
    expect(new Set(await labels.allTextContents())).toEqual(new Set(['7']));
    await page.uncheck('input[name=conditional]');
    await page.click('[data-testid=apply]');
    await waitForTestIdText(page, 'form-message', /^Restarted with/);
    expect(await page.isHidden('[data-testid=row-labels]')).toBe(true);
  });

  it('on a 420-pixel phone, Start brings the samples into view', async () => {
    const page = demo.page();
    await page.setViewportSize({ width: 420, height: 800 });
    await page.evaluate(() => window.scrollTo(0, 0));
    const width = () => page.evaluate(() => document.documentElement.scrollWidth);
    await expect.poll(width, { timeout: 5000 }).toBeLessThanOrEqual(420);
    // The samples come right after the training controls, before the settings form.
    const samples = page.locator('[data-testid=samples]');
    const settings = page.locator('[data-testid=settings]');
    expect((await samples.boundingBox())!.y).toBeLessThan((await settings.boundingBox())!.y);
    await page.click('[data-testid=start]');
    const inView = await samples.evaluate((canvas) => {
      const box = canvas.getBoundingClientRect();
      return { top: Math.round(box.top), bottom: Math.round(box.bottom), height: innerHeight };
    });
    expect(inView.top).toBeGreaterThanOrEqual(0);
    expect(inView.bottom).toBeLessThanOrEqual(inView.height);
    await page.click('[data-testid=pause]');
    await page.setViewportSize({ width: 1280, height: 1000 });
  });

  it('offers the autosave at once on a reload, and Start trains afresh and takes the offer away', async () => {
    const page = demo.page();
    await page.click('[data-testid=start]');
    await waitForTestIdText(page, 'autosave', /^Autosaved step/);
    await page.reload();
    await page.waitForSelector('[data-testid=resume-offer]:not([hidden])', { timeout: 120_000 });
    await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 120_000 });
    expect(await page.isVisible('[data-testid=resume-offer]')).toBe(true);
    await page.click('[data-testid=start]');
    expect(await page.isHidden('[data-testid=resume-offer]')).toBe(true);
    await page.click('[data-testid=pause]');
  });

  it('logged no console errors', () => {
    expect(demo.errors).toEqual([]);
  });
});
