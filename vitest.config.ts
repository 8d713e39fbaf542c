// Node tests run on Dawn (npm `webgpu`) with whatever adapter it finds — lavapipe on CI.
// tests/browser.test.ts drives Debian's Chromium for the same kernels in a page.
import { defineConfig } from 'vitest/config';
import { wgslVitePlugin } from './scripts/wgsl.mjs';

export default defineConfig({
  // .wgsl imports become shader objects, as in every build (scripts/wgsl.mjs).
  plugins: [wgslVitePlugin()],
  // Examples import the package by name, as a user would.
  resolve: { alias: { 'webgpu-gan': new URL('./src/index.ts', import.meta.url).pathname } },
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/support/build-lib.ts', 'tests/support/preflight.ts'],
    reporters: ['default', './tests/support/summary-reporter.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
