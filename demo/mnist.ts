// Fetches the gzipped MNIST training images (with progress) and their labels, and unpacks them in
// the browser; and the test set's, fetched once when a panel first asks for them.
import { parseIdxImages, parseIdxLabels, type ImageSet } from 'webgpu-gan';

export async function fetchMnist(url: string, onProgress: (fraction: number | null) => void): Promise<ImageSet> {
  return parseIdxImages(await fetchGzipped(url, onProgress), url);
}

/** The training digits' labels (a conditional GAN trains on them). */
export async function fetchMnistLabels(url: string): Promise<Uint8Array> {
  return parseIdxLabels(await fetchGzipped(url, () => {}), url);
}

/** MNIST's 10,000 test digits (bytes) and their labels. */
export interface TestDigits {
  pixels: Uint8Array;
  count: number;
  side: number;
}

let testImages: Promise<TestDigits> | null = null;
let testLabels: Promise<Uint8Array> | null = null;

/** The test digits, fetched the first time one is asked for (and again after a failed fetch). */
export function mnistTestImages(): Promise<TestDigits> {
  testImages ??= fetchMnist(`${import.meta.env.BASE_URL}mnist/t10k-images-idx3-ubyte.gz`, () => {}).then(
    (set) => ({ pixels: set.pixels, count: set.count, side: set.rows }),
    (error: unknown) => {
      testImages = null;
      throw error;
    },
  );
  return testImages;
}

/** The test digits' labels, fetched as their images are. */
export function mnistTestLabels(): Promise<Uint8Array> {
  testLabels ??= fetchMnistLabels(`${import.meta.env.BASE_URL}mnist/t10k-labels-idx1-ubyte.gz`).catch(
    (error: unknown) => {
      testLabels = null;
      throw error;
    },
  );
  return testLabels;
}

async function fetchGzipped(url: string, onProgress: (fraction: number | null) => void): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`could not load MNIST from ${url} (HTTP ${response.status})`);
  const total = Number(response.headers.get('Content-Length')) || 0;
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onProgress(total > 0 ? received / total : null);
  }
  const gz = new Blob(chunks as BlobPart[]);
  const unpacked = await new Response(gz.stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer();
  return new Uint8Array(unpacked);
}
