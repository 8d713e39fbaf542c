// The demo page with the visitor's own pictures and the repair panel, in headless Chromium (WebGPU
// on SwiftShader) with demo.test.ts's small configuration. Pictures are dropped as a DataTransfer
// built in the page (whose items have no file-system entries, so the page falls back to its
// files), chosen through the file input, and chosen as a folder whose sub-folders are classes.
// A digit is damaged with mouse drags and repaired; everything erased gets a message.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openDemoPage, testIdText, useDemoServer } from './support/chromium.js';
import { useTempDirs } from './support/temp.js';

const tempDir = useTempDirs();
const SMALL = '?subset=1000&gHidden=32,32&dHidden=32,32&batch=16&evalEvery=10&evalN=200&restoreBatch=4';
/** A short search, so that a repair takes seconds on SwiftShader. */
const SHORT_REPAIR = '&repairStarts=8&repairSteps=40';

const demoUrl = useDemoServer();
const text = testIdText;
const stepOf = async (page: Page) => Number(await text(page, 'step'));

const waitForText = (page: Page, id: string, pattern: RegExp, timeout = 120_000) =>
  page.waitForFunction(
    ([id, source]) => new RegExp(source).test(document.querySelector(`[data-testid=${id}]`)!.textContent ?? ''),
    [id, pattern.source] as const,
    { timeout },
  );

async function stepOnce(page: Page): Promise<void> {
  const before = await stepOf(page);
  await page.click('[data-testid=step-once]');
  await page.waitForFunction((s) => Number(document.querySelector('[data-testid=step]')!.textContent) > s, before, {
    timeout: 120_000,
  });
}

/** A grey PNG: a bright disc on black, `width` × `height`. */
function greyPng(width: number, height: number, radius: number): Buffer {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const v = Math.hypot(x - width / 2, y - height / 2) < radius ? 230 : 10;
      png.data.set([v, v, v, 255], 4 * (y * width + x));
    }
  return PNG.sync.write(png);
}

/** Whether any pixel of a screenshot has red and green more than `by` apart: colour, not grey. */
function hasColour(screenshot: Buffer, by = 12): boolean {
  const { data } = PNG.sync.read(screenshot);
  for (let p = 0; p < data.length; p += 4) if (Math.abs(data[p]! - data[p + 1]!) > by) return true;
  return false;
}

/** A canvas's pixels (2-D context) as RGBA bytes. */
const canvasPixels = (page: Page, id: string) =>
  page.evaluate((id) => {
    const canvas = document.querySelector(`[data-testid=${id}]`) as HTMLCanvasElement;
    return Array.from(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data);
  }, id);

/** Drags the mouse across the canvas along a row, at fractions of its width and height. */
async function dragAcross(page: Page, canvas: Locator, y: number, from = 0, to = 1): Promise<void> {
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width * from + 1, box.y + box.height * y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * to - 1, box.y + box.height * y, { steps: 8 });
  await page.mouse.up();
}

describe('the demo on your own pictures, and repair', { timeout: 300_000 }, () => {
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium(true);
    page = await openDemoPage(browser, `${demoUrl()}/${SMALL}${SHORT_REPAIR}`, consoleErrors);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('says it trains on MNIST, and its grid is grey', async () => {
    expect(await text(page, 'data-source')).toBe('Training on MNIST: 1000 digits, 28×28 grey.');
    expect(await page.isHidden('[data-testid=back-to-mnist]')).toBe(true);
    await stepOnce(page);
    expect(hasColour(await page.locator('[data-testid=samples]').screenshot())).toBe(false);
  });

  it('a drop of colour pictures and a text file: the text file is named, and training goes on in colour', async () => {
    await page.selectOption('[data-testid=picture-side]', '32');
    // Made in the page as a visitor's files would be: PNGs from a canvas, and a note.
    const transfer = await page.evaluateHandle(async () => {
      const dt = new DataTransfer();
      for (let i = 0; i < 6; i++) {
        const canvas = new OffscreenCanvas(40 + 4 * i, 30);
        const g = canvas.getContext('2d')!;
        g.fillStyle = i % 2 ? '#d02020' : '#2040e0';
        g.fillRect(0, 0, canvas.width, canvas.height);
        g.fillStyle = '#20c040';
        g.beginPath();
        g.arc(20, 15, 8 + i, 0, 2 * Math.PI);
        g.fill();
        const blob = await canvas.convertToBlob({ type: 'image/png' });
        dt.items.add(new File([blob], `picture-${i}.png`, { type: 'image/png' }));
      }
      dt.items.add(new File(['just some words'], 'notes.txt', { type: 'text/plain' }));
      return dt;
    });
    for (const type of ['dragenter', 'dragover', 'drop'])
      await page.dispatchEvent('[data-testid=drop-zone]', type, { dataTransfer: transfer });
    await waitForText(page, 'pictures-message', /^Read 6 pictures/);
    expect(await text(page, 'pictures-message')).toBe(
      'Read 6 pictures. 1 file skipped — notes.txt: not a PNG or JPEG picture (judged by its content, not its name).',
    );
    expect(await text(page, 'data-source')).toBe('Training on 6 of your pictures, 32×32 colour.');
    expect(await text(page, 'quality-text')).toMatch(/No quality scores: the classifier judges 28×28 grey MNIST/);
    expect(await page.isHidden('[data-testid=chart-quality]')).toBe(true);
    expect(await page.isVisible('[data-testid=back-to-mnist]')).toBe(true);
    expect(await stepOf(page)).toBe(0);
    await page.click('[data-testid=start]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=step]')!.textContent) >= 5, null, {
      timeout: 120_000,
    });
    await page.click('[data-testid=pause]');
    await page.waitForTimeout(300);
    expect(hasColour(await page.locator('[data-testid=samples]').screenshot())).toBe(true);
    // No score is taken of pictures the classifier cannot judge, however long it trains.
    expect(await text(page, 'quality-text')).toMatch(/^No quality scores/);
    // A colour picture is repaired in colour: its three planes share one mask.
    expect(await text(page, 'repair-real')).toBe('Real picture');
    await page.click('[data-testid=repair-real]');
    await page.click('[data-testid=repair-erase-half]');
    await page.click('[data-testid=repair-run]');
    await waitForText(page, 'repair-progress', /^(Repaired|Could not)/);
    expect(await text(page, 'repair-progress')).toMatch(/^Repaired your picture [1-6] with the generator of step/);
    const repaired = await canvasPixels(page, 'repair-result');
    expect(repaired.length).toBe(4 * 256 * 256); // 32 × 32 at 8×
    expect(repaired.some((v, i) => i % 4 === 0 && Math.abs(v - repaired[i + 1]!) > 40)).toBe(true);
  });

  it('trains a restorer on the pictures dropped, and tests it on one of them, in colour', async () => {
    const said = async (id: string, pattern: RegExp) => {
      await waitForText(page, id, pattern);
      return text(page, id);
    };
    await page.selectOption('[data-testid=restore-kind]', 'blur:sigma=1.5');
    await page.fill('[data-testid=restore-steps]', '10');
    await page.click('[data-testid=restore-train]');
    const trained = await said('restore-train-message', /^(Trained|The restorer could not)/);
    expect(trained).toMatch(/^Trained “Blurred \(Gaussian, σ = 1\.5\)” for 10 steps on your pictures in \d+ s/);
    await page.click('[data-testid=restore-test]');
    const tested = await said('restore-message', /^(Your picture|Test digit|Could not)/);
    expect(tested).toMatch(/^Your picture [1-6] of 6 \(one it trained on: the page keeps none back\), blurred /);
    expect(tested).toMatch(/ by the restorer trained here \(10 steps\)\.$/);
    const restored = await canvasPixels(page, 'restore-restored');
    expect(restored.length).toBe(4 * 256 * 256); // 32 × 32 at 8×
    expect(restored.some((v, i) => i % 4 === 0 && Math.abs(v - restored[i + 1]!) > 40)).toBe(true); // in colour
    await page.selectOption('[data-testid=restore-kind]', 'hand');
  });

  it('pictures of which none can be used leave the run alone, with a message naming them', async () => {
    const before = await text(page, 'data-source');
    await page.setInputFiles('[data-testid=pick-files]', [
      { name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('not really a PNG') },
      { name: 'list.txt', mimeType: 'text/plain', buffer: Buffer.from('milk, eggs') },
    ]);
    await waitForText(page, 'pictures-message', /^No usable picture/);
    expect(await text(page, 'pictures-message')).toBe(
      'No usable picture among 2 files, so training goes on as before. 2 files skipped — broken.png: not a PNG or ' +
        'JPEG picture (judged by its content, not its name); list.txt: not a PNG or JPEG picture (judged by its ' +
        'content, not its name).',
    );
    expect(await text(page, 'data-source')).toBe(before);
    await stepOnce(page);
  });

  it('a chosen folder: its sub-folders are the classes, and Conditional draws a row per class', async () => {
    const dir = join(tempDir('demo-pictures-'), 'pets');
    for (const [folder, radii] of [
      ['dogs', [6, 9]],
      ['cats', [4, 12, 7]],
    ] as const) {
      mkdirSync(join(dir, folder), { recursive: true });
      radii.forEach((r, i) => {
        writeFileSync(join(dir, folder, `${i}.png`), greyPng(30, 36, r));
      });
    }
    writeFileSync(join(dir, 'loose.png'), greyPng(20, 20, 5));
    mkdirSync(join(dir, 'cats', 'old'));
    writeFileSync(join(dir, 'cats', 'old', 'x.png'), greyPng(20, 20, 5));
    await page.selectOption('[data-testid=picture-side]', '28');
    await page.check('input[name=conditional]');
    await page.setInputFiles('[data-testid=pick-folder]', dir);
    await waitForText(page, 'pictures-message', /^Read 5 pictures/);
    expect(await text(page, 'pictures-message')).toBe(
      'Read 5 pictures. 2 files skipped — cats/old/x.png: in a folder inside a class folder; loose.png: beside the ' +
        'class folders, so it has no class.',
    );
    expect(await text(page, 'data-source')).toBe(
      'Training on 5 of your pictures, 28×28 grey, 2 classes (cats, dogs), conditional on the class.',
    );
    expect(await page.isVisible('#class-picker')).toBe(true);
    const options = await page.locator('[data-testid=show-class] option').allTextContents();
    expect(options).toEqual(['every class, a row each', 'cats', 'dogs']);
    expect(await page.locator('[data-testid=row-labels] li').allTextContents()).toEqual(['cats', 'dogs']);
    await stepOnce(page);
    // Two rows of eight: wider than tall.
    const box = (await page.locator('[data-testid=samples]').boundingBox())!;
    expect(box.width).toBeGreaterThan(box.height);
    // A conditional generator repairs with the picture's own class.
    await page.click('[data-testid=repair-real]');
    await page.click('[data-testid=repair-erase-half]');
    await page.click('[data-testid=repair-run]');
    await waitForText(page, 'repair-progress', /^(Repaired|Could not)/);
    expect(await text(page, 'repair-progress')).toMatch(
      /^Repaired your picture [1-5] \((cats|dogs)\) with the generator of step 1: after 40 steps/,
    );
    // A generator of one step draws noise: the page says so rather than reporting a success alone.
    expect(await text(page, 'repair-progress')).toMatch(/Careful: a generator of step 1 has not learned the pictures/);
  });

  it('Back to MNIST trains on the digits again, scores included', async () => {
    await page.uncheck('input[name=conditional]');
    await page.click('[data-testid=back-to-mnist]');
    await waitForText(page, 'pictures-message', /^Back to the MNIST digits/);
    expect(await text(page, 'data-source')).toBe('Training on MNIST: 1000 digits, 28×28 grey.');
    expect(await text(page, 'quality-text')).toMatch(/^Scored every few hundred steps/);
    expect(await page.isVisible('[data-testid=chart-quality]')).toBe(true);
    expect(await page.isHidden('[data-testid=back-to-mnist]')).toBe(true);
    expect(await stepOf(page)).toBe(0);
    // The picture being repaired was one of the pets: it is put away, not repaired by a digit generator.
    expect(await page.isDisabled('[data-testid=repair-run]')).toBe(true);
    await page.click('[data-testid=start]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=step]')!.textContent) >= 20, null, {
      timeout: 120_000,
    });
    await page.click('[data-testid=pause]');
    expect(hasColour(await page.locator('[data-testid=samples]').screenshot())).toBe(false);
  });

  it('repairs a real digit erased by mouse drags: the erased pixels change, the kept ones stay', async () => {
    await page.click('[data-testid=repair-real]');
    const original = await canvasPixels(page, 'repair-editor');
    const editor = page.locator('[data-testid=repair-editor]');
    for (const y of [0.4, 0.5, 0.6]) await dragAcross(page, editor, y, 0.15, 0.85);
    const marked = await canvasPixels(page, 'repair-editor');
    // Erased pixels are drawn as a red checker; each picture pixel is 8 × 8 canvas pixels.
    const side = 28;
    const width = side * 8;
    const centre = (x: number, y: number) => 4 * ((8 * y + 4) * width + 8 * x + 4);
    const erased: number[] = [];
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) {
        const at = centre(x, y);
        if (marked[at]! > marked[at + 1]! + 40) erased.push(y * side + x);
      }
    expect(erased.length).toBeGreaterThan(60);
    expect(erased.length).toBeLessThan(400);
    // Every report of the search, as it goes.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { repairTexts: string[] }).repairTexts = seen;
      const element = document.querySelector('[data-testid=repair-progress]')!;
      new MutationObserver(() => seen.push(element.textContent ?? '')).observe(element, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    await page.click('[data-testid=repair-run]');
    await waitForText(page, 'repair-progress', /^(Repaired|Could not)/);
    const done = await text(page, 'repair-progress');
    expect(done).toMatch(/^Repaired the real digit \d with the generator of step \d+: after 40 steps on 8 starts/);
    expect(done).toMatch(/the best matches the kept pixels to an RMS error of \d\.\d{4}/);
    const reports = await page.evaluate(() => (window as unknown as { repairTexts: string[] }).repairTexts);
    expect(reports.some((r) => /^Searching: step \d+ of 40, best error \d\.\d{4}/.test(r))).toBe(true);
    const repaired = await canvasPixels(page, 'repair-result');
    const erasedSet = new Set(erased);
    let changed = 0;
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) {
        const at = centre(x, y);
        const same = [0, 1, 2].every((c) => repaired[at + c] === original[at + c]);
        if (erasedSet.has(y * side + x)) changed += same ? 0 : 1;
        else expect(same, `kept pixel ${x},${y}`).toBe(true);
      }
    expect(changed).toBeGreaterThan(erased.length / 4);
    // Training was paused before and stays paused after.
    expect(await page.isEnabled('[data-testid=start]')).toBe(true);
  });

  it('repairs a generated digit with its lower half erased, while training runs and goes on after', async () => {
    await page.click('[data-testid=repair-generated]');
    await page.click('[data-testid=repair-erase-half]');
    await page.click('[data-testid=start]');
    const step = await stepOf(page);
    await page.click('[data-testid=repair-run]');
    await waitForText(page, 'repair-progress', /^(Repaired|Could not)/);
    expect(await text(page, 'repair-progress')).toMatch(/^Repaired a generated digit of step \d+ .* after 40 steps/);
    await page.waitForFunction((s) => Number(document.querySelector('[data-testid=step]')!.textContent) > s, step, {
      timeout: 120_000,
    });
    await page.click('[data-testid=pause]');
  });

  it('everything erased gets a clear message, and no search', async () => {
    await page.click('[data-testid=repair-real]');
    await page.locator('[data-testid=repair-brush]').evaluate((range: HTMLInputElement) => {
      range.value = '8';
      range.dispatchEvent(new Event('input', { bubbles: true }));
    });
    const editor = page.locator('[data-testid=repair-editor]');
    for (let row = 0; row < 8; row++) await dragAcross(page, editor, (row + 0.5) / 8);
    await page.click('[data-testid=repair-run]');
    expect(await text(page, 'repair-progress')).toBe(
      'Everything is erased: leave some of the picture as it was, so that the search has something to match.',
    );
    await page.click('[data-testid=repair-undo]');
    await page.click('[data-testid=repair-run]');
    expect(await text(page, 'repair-progress')).toMatch(/^Nothing is erased yet/);
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
