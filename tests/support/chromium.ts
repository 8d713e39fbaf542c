// Launching Debian's Chromium for the browser tests, and serving pages with Vite.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll } from 'vitest';
import { createServer, type InlineConfig, type ViteDevServer } from 'vite';
import { CHROMIUM } from './preflight.js';

/** Keep Chromium off the closed network. */
const QUIET = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
/**
 * WebGPU on SwiftShader. The Vulkan/ANGLE flags matter for canvases: without them headless
 * Chromium 156 loses the device ("A valid external Instance reference no longer exists") at the
 * first presented frame, while compute-only pages work either way.
 */
const WEBGPU = [
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--enable-features=Vulkan',
  '--use-angle=vulkan',
  '--use-vulkan=swiftshader',
  '--ignore-gpu-blocklist',
];
const NO_WEBGPU = ['--disable-gpu', '--disable-features=WebGPU'];

export function launchChromium(webgpu: boolean): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...QUIET, ...(webgpu ? WEBGPU : NO_WEBGPU)] });
}

/**
 * WebGPU without the canvas flags: compute works, and the device is lost at the first presented
 * frame. A stand-in for a GPU that keeps failing.
 */
export function launchChromiumLosingCanvases(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...QUIET, ...WEBGPU.slice(0, 3)] });
}

/** Starts a Vite dev server on a free loopback port; returns it with its base URL. */
export async function serve(config: InlineConfig): Promise<{ server: ViteDevServer; url: string }> {
  const server = await createServer({
    logLevel: 'error',
    ...config,
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, ...config.server },
  });
  await server.listen();
  const address = server.httpServer!.address();
  if (!address || typeof address === 'string') throw new Error('vite did not report a port');
  return { server, url: `http://127.0.0.1:${address.port}` };
}

/** The demo served with its own vite.config.ts for one test file; the function gives its base URL. */
export function useDemoServer(): () => string {
  let served: { server: ViteDevServer; url: string } | undefined;
  beforeAll(async () => {
    served = await serve({ configFile: join(fileURLToPath(new URL('../..', import.meta.url)), 'vite.config.ts') });
  });
  afterAll(async () => {
    await served?.server.close();
  });
  return () => {
    if (!served) throw new Error('the demo server is used outside a test');
    return served.url;
  };
}

/** The text of the element with this data-testid ('' when it has none). */
export const testIdText = (page: Page, id: string) => page.textContent(`[data-testid=${id}]`).then((t) => t ?? '');

/**
 * A new 1280×1000 page of `browser` at `url`, its console errors and page errors pushed to
 * `errors`, once the demo is ready to start.
 */
export async function openDemoPage(
  browser: Browser,
  url: string,
  errors: string[],
  options: { acceptDownloads?: boolean } = {},
): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, ...options });
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 120_000 });
  return page;
}

/**
 * The set-up most demo test files share: the demo served, Chromium with WebGPU, and one page at
 * `query` (e.g. '?subset=1000'), ready to start, for all the file's tests; closed after them. The
 * page's console errors gather in `errors`.
 */
export function useDemoPage(
  query: string,
  options: { acceptDownloads?: boolean } = {},
): { page: () => Page; errors: string[]; url: () => string } {
  const url = useDemoServer();
  const errors: string[] = [];
  let browser: Browser | undefined;
  let page: Page | undefined;
  beforeAll(async () => {
    browser = await launchChromium(true);
    page = await openDemoPage(browser, `${url()}/${query}`, errors, options);
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    page: () => {
      if (!page) throw new Error('the demo page is used outside a test');
      return page;
    },
    errors,
    url,
  };
}

/**
 * Waits until the text of `id` matches `pattern`, polling from the test: `page.waitForFunction`
 * can starve while the demo trains, since its frames keep the page's main thread busy.
 */
export async function waitForTestIdText(page: Page, id: string, pattern: RegExp, timeout = 120_000): Promise<string> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const text = await testIdText(page, id);
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`[data-testid=${id}] never matched ${pattern}: it says "${text}"`);
    await page.waitForTimeout(250);
  }
}
