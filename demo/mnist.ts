// Fetches the gzipped MNIST training images (with progress) and their labels, and unpacks them in
// the browser.
import { parseIdxImages, parseIdxLabels, type ImageSet } from 'webgpu-gan';

export async function fetchMnist(url: string, onProgress: (fraction: number | null) => void): Promise<ImageSet> {
  return parseIdxImages(await fetchGzipped(url, onProgress), url);
}

/** The training digits' labels (a conditional GAN trains on them). */
export async function fetchMnistLabels(url: string): Promise<Uint8Array> {
  return parseIdxLabels(await fetchGzipped(url, () => {}), url);
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
