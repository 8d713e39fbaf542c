// The kernels in a real page: Playwright drives Debian's headless Chromium, whose WebGPU runs on
// SwiftShader, through tests/browser/checks.ts. Also checks the message a page gets without WebGPU.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright';
import type { ViteDevServer } from 'vite';
import { fileURLToPath } from 'node:url';
import { launchChromium, serve } from './support/chromium.js';
import { CHECKS, type CheckResult } from './browser/checks.js';
import { firstDigits, SCORED_IMAGES, scoreDigits } from './browser/score.js';
import type { SampleScore } from '../src/eval/scorer.js';
import { classifierWeightsPath } from '../src/eval/classifierFile.js';
import { mnistFilePath } from '../src/data/mnistNode.js';
import { readFileSync } from 'node:fs';
import { wgslVitePlugin } from '../scripts/wgsl.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

let server: ViteDevServer;
let url: string;

beforeAll(async () => {
  const served = await serve({
    configFile: false,
    root: ROOT,
    plugins: [wgslVitePlugin()],
    // ml-matrix's ES entry wraps CommonJS, and jpeg-js (the picture decoder's) is CommonJS: a page
    // can load them only once Vite has pre-bundled them.
    optimizeDeps: { noDiscovery: true, include: ['ml-matrix', 'jpeg-js'] },
  });
  server = served.server;
  url = `${served.url}/tests/browser/index.html`;
});

afterAll(async () => {
  await server?.close();
});

async function openPage(browser: Browser, consoleErrors: string[]): Promise<Page> {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
  return page;
}

describe('kernels in headless Chromium (WebGPU on SwiftShader)', () => {
  let browser: Browser;
  let report: Promise<{ adapter: string; results: CheckResult[]; leakedBuffers: number }>;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium(true);
    const page = await openPage(browser, consoleErrors);
    report = page.evaluate(() => (window as unknown as { runKernelChecks: () => Promise<never> }).runKernelChecks());
    report.catch(() => undefined); // reported by the tests below
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('finds a WebGPU adapter in the page', async () => {
    const { adapter } = await report;
    console.log(`browser adapter: ${adapter}`);
    expect(adapter).toContain('browser');
  });

  for (const name of Object.keys(CHECKS)) {
    it(name, async () => {
      const result = (await report).results.find((r) => r.name === name)!;
      expect(result.error ?? null).toBeNull();
      expect(result.ratio, result.detail).toBeLessThanOrEqual(1);
    });
  }

  it('scores the same digits with the same distance, coverage and confidence as Node', async () => {
    await report; // the kernel checks finish first: one page, one device at a time
    const digits = firstDigits(readFileSync(mnistFilePath('t10k-images')));
    const page = await openPage(browser, consoleErrors);
    const inPage = await page.evaluate(
      (base64) => (window as unknown as { scoreDigits: (d: string) => Promise<SampleScore> }).scoreDigits(base64),
      Buffer.from(digits).toString('base64'),
    );
    await page.close();
    const inNode = await scoreDigits(readFileSync(classifierWeightsPath()), digits);
    console.log(`distance of ${SCORED_IMAGES} test digits: ${inPage.distance} in the page, ${inNode.distance} in Node`);
    // Two adapters (SwiftShader, lavapipe) round float32 differently: equal to 1e-4 relative.
    expect(Math.abs(inPage.distance - inNode.distance)).toBeLessThanOrEqual(1e-4 * inNode.distance + 1e-6);
    expect(inPage.classShares).toEqual(inNode.classShares);
    expect(inPage.meanConfidence).toBeCloseTo(inNode.meanConfidence, 5);
  });

  it('leaves no buffer alive and logs no console error', async () => {
    expect((await report).leakedBuffers).toBe(0);
    expect(consoleErrors).toEqual([]);
  });
});

describe('a browser without WebGPU', () => {
  it('gets a WebGpuUnavailableError that says what to do', async () => {
    const browser = await launchChromium(false);
    try {
      const page = await openPage(browser, []);
      const probe = await page.evaluate(() =>
        (
          window as unknown as { probeWebGpu: () => Promise<{ ok: boolean; name?: string; message?: string }> }
        ).probeWebGpu(),
      );
      expect(probe.ok).toBe(false);
      expect(probe.name).toBe('WebGpuUnavailableError');
      expect(probe.message).toMatch(/Chrome|--enable-unsafe-webgpu/);
    } finally {
      await browser.close();
    }
  });
});
