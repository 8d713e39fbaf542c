// A model file from a run's checkpoint: its networks' weights without Adam's moments, in F16 with
// --float16 (encodeModelFile). A restorer's file (train --task restore) is stored again the same
// way, in F16 with --float16. Needs dist/ (npm run build:lib).
//   node scripts/model-file.mjs run/checkpoint.safetensors models/mnist-gan.safetensors --float16
import { decodeCheckpoint, decodeRestorer, encodeModelFile, encodeRestorer, isRestorerFile } from '../dist/index.js';
import { readFileSync } from 'node:fs';
import { readCheckpointFile, writeFileAtomic } from '../dist/node.js';

const [from, to, ...rest] = process.argv.slice(2);
if (!from || !to || rest.some((flag) => flag !== '--float16')) {
  process.stderr.write('usage: node scripts/model-file.mjs CHECKPOINT OUT [--float16]\n');
  process.exit(2);
}
const float16 = rest.includes('--float16');
const given = new Uint8Array(readFileSync(from));
// Each is read back before it replaces anything.
const bytes = isRestorerFile(given)
  ? encodeRestorer(decodeRestorer(given), { float16 })
  : encodeModelFile(readCheckpointFile(from), { float16 });
if (isRestorerFile(bytes)) decodeRestorer(bytes);
else decodeCheckpoint(bytes);
writeFileAtomic(to, bytes);
process.stdout.write(`${to}: ${(bytes.length / 1024).toFixed(0)} kB\n`);
