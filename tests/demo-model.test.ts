// The demo's Model choice and layer table, in headless Chromium (WebGPU on SwiftShader): the table
// follows the form before Apply (the model, spectral normalisation, Conditional, the pictures' size
// and colour), a conditional DCGAN's class inputs, a DCGAN trains a step at a tiny
// batch (a convolutional step takes seconds on a CPU), and the repair panel says it needs the MLP.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openDemoPage, testIdText, useDemoServer } from './support/chromium.js';

const SMALL = '?subset=200&gHidden=32,32&dHidden=32,32&batch=16&evalEvery=100000&repairStarts=8&repairSteps=10';
const DCGAN_G_FIRST = ['0', 'ConvTranspose2d(100, 256, 7, stride=1, padding=0, bias=False)', '256×7×7', '1,254,400'];

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const demoUrl = useDemoServer();
const text = testIdText;

/** A layer table's body rows (or its foot), each as its cells' text. */
const rows = (page: Page, id: string, part = 'tbody') =>
  page
    .locator(`[data-testid=${id}] ${part} tr`)
    .evaluateAll((trs) => trs.map((tr) => Array.from(tr.children, (cell) => cell.textContent ?? '')));
const modules = async (page: Page, id: string) => (await rows(page, id)).map((row) => row[1]);

/**
 * Clicks a button at once. While a DCGAN draws on SwiftShader a frame takes a second or more, and
 * Playwright's click, which waits for the button to hold still over frames, would time out.
 */
const press = (page: Page, id: string) => page.$eval(`[data-testid=${id}]`, (b) => (b as HTMLButtonElement).click());

const waitForText = (page: Page, id: string, pattern: RegExp, timeout = 120_000) =>
  page.waitForFunction(
    ([id, source]) => new RegExp(source).test(document.querySelector(`[data-testid=${id}]`)!.textContent ?? ''),
    [id, pattern.source] as const,
    { timeout },
  );

describe('the demo’s model choice and layer table', { timeout: 600_000 }, () => {
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

  it('shows the fully connected networks training now, layer by layer', async () => {
    expect(await page.inputValue('[data-testid=architecture]')).toBe('mlp');
    expect((await rows(page, 'model-g'))[0]).toEqual(['0', 'Linear(100, 32)', '32', '3,232']);
    expect(await modules(page, 'model-d')).toEqual([
      'Linear(784, 32)',
      'LeakyReLU(0.2)',
      'Linear(32, 32)',
      'LeakyReLU(0.2)',
      'Linear(32, 1)',
    ]);
    expect(await text(page, 'model-note')).toBe('This is the model training now.');
    expect(await page.isHidden('[data-testid=model-slow]')).toBe(true);
  });

  it('picking dcgan shows its layers and examples/dcgan’s recipe before Apply; SN swaps D’s batch norm', async () => {
    await page.selectOption('[data-testid=architecture]', 'dcgan');
    expect((await rows(page, 'model-g'))[0]).toEqual(DCGAN_G_FIRST);
    expect((await rows(page, 'model-g')).at(-1)).toEqual(['7', 'Tanh()', '1×28×28', '0']);
    expect(await rows(page, 'model-g', 'tfoot')).toEqual([['', 'Total', '', '1,781,504']]);
    expect(await text(page, 'model-note')).toMatch(/^Not training yet: Apply/);
    // The form takes examples/dcgan's recipe, in view: BCE, batch norm in D, 2e-4 for both, no warm-up.
    expect(await text(page, 'form-message')).toMatch(/^DCGAN: the form now has PyTorch's examples\/dcgan recipe/);
    expect(await page.inputValue('select[name=loss]')).toBe('bce');
    expect(await page.isChecked('input[name=spectralNorm]')).toBe(false);
    expect(await page.inputValue('input[name=discriminatorLr]')).toBe('0.0002');
    expect(await page.inputValue('input[name=generatorLr]')).toBe('0.0002');
    expect(await page.inputValue('input[name=emaWarmup]')).toBe('0');
    expect((await rows(page, 'model-d'))[3]).toEqual(['3', 'BatchNorm2d(128)', '128×7×7', '256']);
    expect(await rows(page, 'model-d', 'tfoot')).toEqual([['', 'Total', '', '138,624']]);
    await page.check('input[name=spectralNorm]');
    expect(await modules(page, 'model-d')).not.toContain('BatchNorm2d(128)');
    expect(await rows(page, 'model-d', 'tfoot')).toEqual([['', 'Total', '', '138,368']]);
    await page.uncheck('input[name=spectralNorm]');
    // Back on the MLP, the running run's kind, its own settings return, a smoothed real label
    // included (the hinge loss would refuse it); on the DCGAN again, its recipe.
    await page.fill('input[name=realLabel]', '0.9');
    await page.selectOption('[data-testid=architecture]', 'mlp');
    expect(await page.inputValue('select[name=loss]')).toBe('hinge');
    expect(await page.isChecked('input[name=spectralNorm]')).toBe(true);
    expect(await page.inputValue('input[name=discriminatorLr]')).toBe('0.0004');
    expect(await page.inputValue('input[name=realLabel]')).toBe('1');
    expect(await text(page, 'form-message')).toBe(
      'The form has the running run’s loss, normalisation, rates and warm-up back. Apply keeps the run going ' +
        '(no restart).',
    );
    await page.selectOption('[data-testid=architecture]', 'dcgan');
    expect(await page.isChecked('input[name=spectralNorm]')).toBe(false);
    // The page knows a software adapter (its adapter line says so): a DCGAN is slow there.
    const software = /software/.test(await text(page, 'adapter'));
    expect(await page.isVisible('[data-testid=model-slow]')).toBe(software);
  });

  it('ticking Conditional shows a conditional DCGAN: the one-hot in G’s input, the class projection in D', async () => {
    await page.check('input[name=conditional]');
    await page.waitForFunction(() =>
      document
        .querySelector('[data-testid=model-g] tbody td:nth-child(2)')
        ?.textContent?.startsWith('ConvTranspose2d(110,'),
    );
    expect((await rows(page, 'model-g'))[0]![1]).toBe('ConvTranspose2d(110, 256, 7, stride=1, padding=0, bias=False)');
    expect((await rows(page, 'model-d')).at(-1)).toEqual(['projection', 'Embedding(10, 6272)', '1', '62,720']);
    expect(await text(page, 'model-error')).toBe('');
    // A conditional DCGAN keeps the default recipe: spectral normalisation, so no batch norm in D.
    expect(await page.isChecked('input[name=spectralNorm]')).toBe(true);
    expect(await page.inputValue('select[name=loss]')).toBe('hinge');
    expect(await modules(page, 'model-d')).not.toContain('BatchNorm2d(128)');
    const conditional = await text(page, 'form-message');
    expect(conditional).toMatch(
      /^A conditional DCGAN keeps the default recipe \(hinge loss, spectral normalisation of D,/,
    );
    expect(conditional).toContain('D at 0.0004 and G at 0.0001). Conditional: the DCGAN takes the class by projection');
    await page.uncheck('input[name=conditional]');
    expect((await rows(page, 'model-g'))[0]).toEqual(DCGAN_G_FIRST);
    expect(await modules(page, 'model-d')).not.toContain('Embedding(10, 6272)');
    expect(await page.isChecked('input[name=spectralNorm]')).toBe(false);
    expect(await page.inputValue('select[name=loss]')).toBe('bce');
    // Labelled images: a semi-supervised D cannot have batch norms, so spectral normalisation returns.
    await page.fill('input[name=labeled]', '20');
    await page.locator('input[name=labeled]').dispatchEvent('change');
    expect(await page.isChecked('input[name=spectralNorm]')).toBe(true);
    const labelled = await text(page, 'form-message');
    expect(labelled).toMatch(
      /^A DCGAN learning from labelled images keeps spectral normalisation of D and the default/,
    );
    expect(labelled).toContain(
      'Labelled images: the form now has the semi-supervised recipe (non-saturating BCE loss)',
    );
    expect(await text(page, 'model-error')).toBe('');
    await page.fill('input[name=labeled]', '0');
    await page.locator('input[name=labeled]').dispatchEvent('change');
    expect(await page.isChecked('input[name=spectralNorm]')).toBe(false);
    expect(await text(page, 'form-message')).toMatch(/^DCGAN: the form now has PyTorch's examples\/dcgan recipe/);
  });

  it('Apply trains the DCGAN: a step at batch 2 moves the counter and draws new samples', async () => {
    await page.fill('input[name=batch]', '2');
    await page.click('[data-testid=apply]');
    // Building a DCGAN's pipelines takes a minute on SwiftShader.
    await waitForText(page, 'form-message', /^Restarted/, 300_000);
    expect(await text(page, 'form-message')).toMatch(/^Restarted with the convolutional \(DCGAN\) model, batch 2,/);
    expect(await text(page, 'model-note')).toBe('This is the model training now.');
    expect((await rows(page, 'model-g'))[0]).toEqual(DCGAN_G_FIRST);
    expect(await text(page, 'step')).toBe('0');
    const samples = page.locator('[data-testid=samples]');
    const before = await samples.screenshot({ timeout: 120_000 });
    await press(page, 'step-once');
    await page.waitForFunction(() => document.querySelector('[data-testid=step]')!.textContent === '1', null, {
      timeout: 120_000,
    });
    const after = await samples.screenshot({ timeout: 120_000 });
    expect(after.equals(before), 'the samples canvas changed after a step').toBe(false);
  });

  it('repairs a digit with the DCGAN (batch norms on their running estimates), then goes back to the MLP', async () => {
    expect(await page.isHidden('[data-testid=repair-model]')).toBe(true);
    await press(page, 'repair-real');
    await press(page, 'repair-erase-half');
    expect(await page.isDisabled('[data-testid=repair-run]')).toBe(false);
    await press(page, 'repair-run');
    await waitForText(page, 'repair-progress', /^(Repaired|Could not)/, 300_000);
    expect(await text(page, 'repair-progress')).toMatch(
      /^Repaired .+ with the generator of step 1: after 10 steps on 8 starts/,
    );
    await page.selectOption('[data-testid=architecture]', 'mlp', { force: true });
    await page.fill('input[name=batch]', '16', { force: true });
    await press(page, 'apply');
    await waitForText(page, 'form-message', /^Restarted with batch 16/);
    expect(await page.isHidden('[data-testid=repair-model]')).toBe(true);
    expect(await modules(page, 'model-g')).toContain('Linear(100, 32)');
  });

  it('follows the pictures trained on: 32×32 colour pictures make a 32×32 colour DCGAN', async () => {
    await page.selectOption('[data-testid=picture-side]', '32');
    const transfer = await page.evaluateHandle(async () => {
      const dt = new DataTransfer();
      for (let i = 0; i < 4; i++) {
        const canvas = new OffscreenCanvas(36, 36);
        const g = canvas.getContext('2d')!;
        g.fillStyle = i % 2 ? '#d02020' : '#2040e0';
        g.fillRect(0, 0, 36, 36);
        const blob = await canvas.convertToBlob({ type: 'image/png' });
        dt.items.add(new File([blob], `picture-${i}.png`, { type: 'image/png' }));
      }
      return dt;
    });
    for (const type of ['dragenter', 'dragover', 'drop'])
      await page.dispatchEvent('[data-testid=drop-zone]', type, { dataTransfer: transfer });
    await waitForText(page, 'pictures-message', /^Read 4 pictures/);
    // The fully connected model trains now, on 3 × 32 × 32 values.
    expect((await rows(page, 'model-g')).at(-2)).toEqual(['4', 'Linear(32, 3072)', '3072', '101,376']);
    await page.selectOption('[data-testid=architecture]', 'dcgan');
    expect((await rows(page, 'model-g'))[0]).toEqual([
      '0',
      'ConvTranspose2d(100, 256, 4, stride=1, padding=0, bias=False)',
      '256×4×4',
      '409,600',
    ]);
    expect((await rows(page, 'model-g')).at(-2)?.slice(2)).toEqual(['3×32×32', '3,072']);
    expect(await page.locator('[data-testid=model-d] caption').textContent()).toBe(
      'Discriminator, from an input of 3×32×32',
    );
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-results', 'demo-model.png'), fullPage: true });
    await page.selectOption('[data-testid=architecture]', 'mlp');
  });

  it('ticking Conditional for the MLP offers the conditional recipe: an auxiliary D and a wider G', async () => {
    // The design's widths (no ?gHidden): the recipe's G shows in the table as it would train.
    const plain = await openDemoPage(browser, `${demoUrl()}/?subset=200&batch=16&evalEvery=100000`, consoleErrors);
    try {
      expect((await rows(plain, 'model-g'))[0]).toEqual(['0', 'Linear(100, 128)', '128', '12,928']);
      await plain.check('input[name=conditional]');
      expect(await plain.inputValue('select[name=conditioning]')).toBe('auxiliary');
      expect(await text(plain, 'form-message')).toBe(
        'Conditional: the form now takes the class by an auxiliary classifier in D, which keeps samples on their ' +
          'class, and G will have 512-1024 hidden units. Apply restarts with it; choose another way to take the ' +
          'class first to train otherwise.',
      );
      expect((await rows(plain, 'model-g'))[0]).toEqual(['0', 'Linear(110, 512)', '512', '56,832']);
      expect(await modules(plain, 'model-d')).toContain('Linear(128, 10)');
      // Another way of taking the class gives the design's G back; unticked, the running networks stay.
      await plain.selectOption('select[name=conditioning]', 'one-hot');
      expect((await rows(plain, 'model-g'))[0]).toEqual(['0', 'Linear(110, 128)', '128', '14,208']);
      await plain.uncheck('input[name=conditional]');
      expect((await rows(plain, 'model-g'))[0]).toEqual(['0', 'Linear(100, 128)', '128', '12,928']);
      // Ticked again, the recipe is offered again; a DCGAN takes its projection, and back on the MLP
      // the recipe returns.
      await plain.selectOption('select[name=conditioning]', 'projection');
      await plain.check('input[name=conditional]');
      expect(await plain.inputValue('select[name=conditioning]')).toBe('auxiliary');
      expect(await text(plain, 'form-message')).toMatch(/^Conditional: the form now takes the class by an auxiliary/);
      await plain.selectOption('[data-testid=architecture]', 'dcgan');
      expect(await plain.inputValue('select[name=conditioning]')).toBe('projection');
      expect(await text(plain, 'form-message')).toMatch(/^Conditional: the DCGAN takes the class by projection in D\./);
      await plain.selectOption('[data-testid=architecture]', 'mlp');
      expect(await plain.inputValue('select[name=conditioning]')).toBe('auxiliary');
      expect((await rows(plain, 'model-g'))[0]).toEqual(['0', 'Linear(110, 512)', '512', '56,832']);
    } finally {
      await plain.close();
    }
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
