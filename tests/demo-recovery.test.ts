// The demo keeps the run: autosaves to the browser's storage, a device destroyed mid-run is
// replaced and training goes on from the last autosave without a reload, a reload offers the
// autosaved run, and a device that keeps failing ends in a prominent message with the controls
// off. The page's devices are captured by an init script (test code only) so that the test can
// destroy the one in use, as a driver reset or a GPU switch would.
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, launchChromiumLosingCanvases, testIdText, useDemoServer } from './support/chromium.js';

const SMALL = '?subset=1000&gHidden=32,32&dHidden=32,32&batch=16&autosave=10';

const demoUrl = useDemoServer();

function captureDevices(): void {
  const original = GPUAdapter.prototype.requestDevice;
  GPUAdapter.prototype.requestDevice = async function (
    this: GPUAdapter,
    ...args: Parameters<GPUAdapter['requestDevice']>
  ) {
    const device = await original.apply(this, args);
    const w = window as unknown as { devices?: GPUDevice[] };
    w.devices ??= [];
    w.devices.push(device);
    return device;
  };
}

const text = testIdText;
const deviceCount = (page: Page) => page.evaluate(() => (window as unknown as { devices: GPUDevice[] }).devices.length);
const destroyDevice = (page: Page) =>
  page.evaluate(() => (window as unknown as { devices: GPUDevice[] }).devices.at(-1)!.destroy());
const waitForStep = (page: Page, atLeast: number) =>
  page.waitForFunction((n) => Number(document.querySelector('[data-testid=step]')!.textContent) >= n, atLeast, {
    timeout: 120_000,
  });

async function autosavedStep(page: Page, after = 0): Promise<number> {
  await page.waitForFunction(
    (n) => {
      const m = /Autosaved step (\d+)/.exec(document.querySelector('[data-testid=autosave]')!.textContent ?? '');
      return m !== null && Number(m[1]) > n;
    },
    after,
    { timeout: 120_000 },
  );
  return Number(/Autosaved step (\d+)/.exec(await text(page, 'autosave'))![1]);
}

describe('the demo keeps the run', { timeout: 300_000 }, () => {
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium(true);
    const context = await browser.newContext();
    await context.addInitScript(captureDevices);
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(`${demoUrl()}/${SMALL}`);
    await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 120_000 });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('a device destroyed mid-run is replaced and training goes on from the last autosave', async () => {
    expect(await page.isHidden('[data-testid=resume-offer]')).toBe(true); // a fresh browser: nothing saved yet
    await page.click('[data-testid=start]');
    const saved = await autosavedStep(page);
    await waitForStep(page, saved + 5);
    await destroyDevice(page);
    await page.waitForFunction(
      () => /was replaced/.test(document.querySelector('[data-testid=run-alert]')!.textContent ?? ''),
      null,
      { timeout: 120_000 },
    );
    const alert = await text(page, 'run-alert');
    expect(alert).toMatch(
      new RegExp(
        '^The GPU device was lost at step \\d+ \\(destroyed.*\\) and was replaced; ' +
          'training goes on from the autosave of step \\d+\\.$',
      ),
    );
    const resumedFrom = Number(/autosave of step (\d+)/.exec(alert)![1]);
    expect(resumedFrom).toBeGreaterThanOrEqual(saved);
    expect(await deviceCount(page)).toBe(2);
    // Still running, on the new device, from the autosave onwards.
    expect(await page.isEnabled('[data-testid=pause]')).toBe(true);
    await waitForStep(page, resumedFrom + 5);
    expect(pageErrors).toEqual([]);
  });

  it('a reload offers the autosaved run, which resumes at its step', async () => {
    const stored = await autosavedStep(page, 0);
    await page.click('[data-testid=pause]');
    // An autosave already begun lands first: wait until the message holds still for a second.
    let last = -1;
    for (let seen = stored; seen !== last; ) {
      last = seen;
      await page.waitForTimeout(1000);
      seen = Number(/Autosaved step (\d+)/.exec(await text(page, 'autosave'))![1]);
    }
    expect(last).toBeGreaterThanOrEqual(stored);
    await page.reload();
    await page.waitForSelector('[data-testid=resume-offer]:not([hidden])', { timeout: 120_000 });
    expect(await text(page, 'resume-text')).toContain(`at step ${last} `);
    // Resume is enabled once the reloaded page has built its trainer: about 30 s on SwiftShader
    // with two cores, which is Playwright's default wait for a click.
    await page.click('[data-testid=resume]', { timeout: 120_000 });
    await page.waitForFunction((s) => document.querySelector('[data-testid=step]')!.textContent === String(s), last, {
      timeout: 60_000,
    });
    expect(await text(page, 'file-message')).toBe(`Loaded the autosave: step ${last}.`);
    await page.click('[data-testid=start]');
    await waitForStep(page, last + 3);
  });

  it('a device that keeps being lost stops the page with a prominent message and the controls off', async () => {
    for (let loss = 1; loss <= 3; loss++) {
      const devices = await deviceCount(page);
      await destroyDevice(page);
      if (loss < 3)
        await page.waitForFunction(
          (n) =>
            (window as unknown as { devices: GPUDevice[] }).devices.length > n &&
            /was replaced/.test(document.querySelector('[data-testid=run-alert]')!.textContent ?? ''),
          devices,
          { timeout: 120_000 },
        );
    }
    await page.waitForFunction(
      () => /lost 3 times in five minutes/.test(document.querySelector('[data-testid=run-alert]')!.textContent ?? ''),
      null,
      { timeout: 60_000 },
    );
    expect(await text(page, 'run-alert')).toMatch(
      new RegExp(
        'Your run is saved in this browser at step \\d+: reloading the page offers it\\. ' +
          'Reload the page, or try another browser\\.$',
      ),
    );
    expect(await page.getAttribute('[data-testid=run-alert]', 'class')).toContain('bad');
    for (const id of ['start', 'pause', 'step-once', 'save', 'reset'])
      expect(await page.isDisabled(`[data-testid=${id}]`), id).toBe(true);
  });
});

describe('a browser whose device is lost while the page starts', { timeout: 300_000 }, () => {
  it('ends in a prominent message saying how to go on, with the controls off', async () => {
    const browser = await launchChromiumLosingCanvases();
    try {
      const page = await browser.newPage();
      await page.goto(`${demoUrl()}/${SMALL}`);
      // Whether this browser then offers a new device or none, the page ends saying how to go on.
      await page.waitForFunction(
        () =>
          /Reload the page, or try another browser\.$/.test(
            document.querySelector('[data-testid=run-alert]')?.textContent ?? '',
          ),
        null,
        { timeout: 180_000 },
      );
      expect(await text(page, 'run-alert')).toMatch(/^The GPU device was lost .*(stopped replacing it|failed: )/);
      expect(await page.isVisible('[data-testid=run-alert]')).toBe(true);
      for (const id of ['start', 'pause', 'step-once', 'save'])
        expect(await page.isDisabled(`[data-testid=${id}]`), id).toBe(true);
    } finally {
      await browser.close();
    }
  });
});
