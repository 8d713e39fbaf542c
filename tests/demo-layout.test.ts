// The demo page's layout (issue 31, item 8) at a desktop's 1280 pixels, a tablet's 900 and a
// phone's 420: every option readable in its select, the sample and walk canvases filling their
// panels (the walk beside its words on a phone), no panel left mostly blank beside a taller one,
// and the repair's two pictures side by side on a phone. And item 5: the repair's result shows
// the best fill while the search runs.
import type { Page } from 'playwright';
import { describe, expect, it } from 'vitest';
import { useDemoPage, waitForTestIdText } from './support/chromium.js';

const SMALL = '?subset=1000&gHidden=32,32&dHidden=32,32&batch=16&evalEvery=100000&repairStarts=8&repairSteps=60';
const WIDTHS = [1280, 900, 420];

/** Every visible select's width and the widest of its options' texts, in its own font. */
function selectWidths(page: Page) {
  return page.evaluate(() => {
    const context = document.createElement('canvas').getContext('2d')!;
    return Array.from(document.querySelectorAll('select'))
      .filter((select) => select.offsetParent !== null)
      .map((select) => {
        const style = getComputedStyle(select);
        context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
        const widest = Math.max(...Array.from(select.options, (o) => context.measureText(o.text).width));
        return { name: select.name || select.id, width: select.getBoundingClientRect().width, widest };
      });
  });
}

/** The share of a panel's area, and of its height, that its canvas covers. */
function canvasShare(page: Page, panel: string): Promise<{ area: number; height: number }> {
  return page.evaluate((panel) => {
    const box = document.querySelector(`.${panel}`)!.getBoundingClientRect();
    const canvas = document.querySelector(`.${panel} canvas`)!.getBoundingClientRect();
    return { area: (canvas.width * canvas.height) / (box.width * box.height), height: canvas.height / box.height };
  }, panel);
}

/** Each visible panel's blank height below its last visible child, in pixels. */
function blankBelow(page: Page) {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('main .panel'))
      .filter((panel) => panel.offsetParent !== null)
      .map((panel) => {
        const shown = Array.from(panel.children).filter((c) => (c as HTMLElement).offsetParent !== null);
        const contentBottom = Math.max(...shown.map((c) => c.getBoundingClientRect().bottom));
        const padding = Number.parseFloat(getComputedStyle(panel).paddingBottom);
        return { panel: panel.className, blank: panel.getBoundingClientRect().bottom - padding - contentBottom };
      }),
  );
}

describe('the demo page laid out at every width', { timeout: 300_000 }, () => {
  const demo = useDemoPage(SMALL);

  for (const width of WIDTHS)
    it(`at ${width} pixels: options fit their selects, canvases fill their panels, no panel mostly blank`, async () => {
      const page = demo.page();
      await page.setViewportSize({ width, height: 1000 });
      // A select shows its chosen option with an arrow beside it: each text needs its width and the arrow's.
      for (const { name, width: selectWidth, widest } of await selectWidths(page))
        expect(widest + 20, `the options of ${name}`).toBeLessThanOrEqual(selectWidth);
      expect((await canvasShare(page, 'samples')).area, 'samples').toBeGreaterThan(0.64);
      // One digit: on a phone it sits beside its words, half as wide, but as tall as the panel allows.
      expect((await canvasShare(page, 'walk')).height, 'walk').toBeGreaterThan(0.65);
      for (const { panel, blank } of await blankBelow(page)) expect(blank, `blank in ${panel}`).toBeLessThan(300);
    });

  it('on a phone, the picture to repair and its repair sit side by side', async () => {
    const page = demo.page();
    await page.setViewportSize({ width: 420, height: 800 });
    // Measured together, once the page has laid itself out at the new width.
    const [editor, result] = await page.evaluate(async () => {
      await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
      const box = (id: string) => document.querySelector(`[data-testid=${id}]`)!.getBoundingClientRect().toJSON();
      return [box('repair-editor'), box('repair-result')] as [DOMRect, DOMRect];
    });
    expect(result.y).toBeCloseTo(editor.y, 0);
    expect(result.x).toBeGreaterThanOrEqual(editor.x + editor.width);
    expect(result.x + result.width).toBeLessThanOrEqual(420);
    await page.setViewportSize({ width: 1280, height: 1000 });
  });

  it("draws the search's best fill on the result while it runs, not only at its end", async () => {
    const page = demo.page();
    await page.click('[data-testid=repair-real]');
    await page.click('[data-testid=repair-erase-half]');
    // At each progress line, what the result shows in its erased lower half: blank, the red
    // checker of the damaged picture, or a fill. (An observer runs before the search goes on.)
    await page.evaluate(() => {
      const w = window as unknown as { seen: string[] };
      w.seen = [];
      const canvas = document.querySelector<HTMLCanvasElement>('[data-testid=repair-result]')!;
      const line = document.querySelector('[data-testid=repair-progress]')!;
      new MutationObserver(() => {
        if (!line.textContent!.startsWith('Searching')) return;
        const { data } = canvas.getContext('2d')!.getImageData(0, canvas.height / 2, canvas.width, canvas.height / 2);
        let blank = 0;
        let checker = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3] === 0) blank++;
          else if ((data[i] === 176 && data[i + 1] === 48) || (data[i] === 112 && data[i + 1] === 28)) checker++;
        }
        const pixels = data.length / 4;
        w.seen.push(blank === pixels ? 'blank' : checker === pixels ? 'checker' : checker === 0 ? 'fill' : 'mixed');
      }).observe(line, { childList: true, characterData: true, subtree: true });
    });
    await page.click('[data-testid=repair-run]');
    await waitForTestIdText(page, 'repair-progress', /^Repaired/);
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    expect(seen.length).toBeGreaterThanOrEqual(5);
    // The damaged picture at the first line (no fill yet), then fills for the rest of the search.
    expect(seen[0]).toBe('checker');
    expect(seen.slice(1).every((s) => s === 'fill')).toBe(true);
    expect(demo.errors).toEqual([]);
  });
});
