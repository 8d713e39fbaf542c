// A model file from a run's checkpoint: its networks' weights without Adam's moments, in F16 with
// --float16 (encodeModelFile). Needs dist/ (npm run build:lib).
//   node scripts/model-file.mjs run/checkpoint.safetensors models/mnist-gan.safetensors --float16
import { decodeCheckpoint, encodeModelFile } from '../dist/index.js';
import { readCheckpointFile, writeFileAtomic } from '../dist/node.js';

const [from, to, ...rest] = process.argv.slice(2);
if (!from || !to || rest.some((flag) => flag !== '--float16')) {
  process.stderr.write('usage: node scripts/model-file.mjs CHECKPOINT OUT [--float16]\n');
  process.exit(2);
}
const bytes = encodeModelFile(readCheckpointFile(from), { float16: rest.includes('--float16') });
decodeCheckpoint(bytes); // read back before it replaces anything
writeFileAtomic(to, bytes);
process.stdout.write(`${to}: ${(bytes.length / 1024).toFixed(0)} kB\n`);
