#!/usr/bin/env bash
# Every CLI command's outputs for fixed seeds, into folder $1: run it before and after a change
# that must not change what training computes (a refactor), then compare the two folders with
# scripts/compare-outputs.sh. Takes a few minutes on a software adapter. Needs `npm run build:lib`.
#   bash scripts/fixed-seed-outputs.sh /tmp/before
set -euo pipefail
out=$1
rm -rf "$out"
mkdir -p "$out"
cd "$(dirname "$0")/.."
gan() { node bin/webgpu-gan.js "$@"; }
gan train --steps 200 --seed 3 --out "$out/default" --sample-every 200 > "$out/default.log" 2>&1
gan train --steps 150 --seed 5 --conditional --out "$out/cond" --sample-every 150 > "$out/cond.log" 2>&1
gan train --steps 120 --seed 7 --loss bce --no-spectral-norm --label-smoothing 0.9 --batch 37 --out "$out/bce" \
  --sample-every 120 > "$out/bce.log" 2>&1
gan sample --checkpoint "$out/default/checkpoint.safetensors" --out "$out/sample.png" > "$out/sample.log" 2>&1
gan sample --checkpoint "$out/cond/checkpoint.safetensors" --out "$out/sample-cond.png" --class 4 > "$out/sample2.log" 2>&1
gan sample --checkpoint "$out/default/checkpoint.safetensors" --out "$out/interp.png" --interpolate > "$out/sample3.log" 2>&1
gan eval --checkpoint "$out/default/checkpoint.safetensors" --n 500 --json > "$out/eval.json" 2>&1
gan eval --checkpoint "$out/cond/checkpoint.safetensors" --n 500 --json > "$out/eval-cond.json" 2>&1
# A picture and a mask (left half known) for repair.
node -e '
const { PNG } = require("pngjs");
const fs = require("fs");
const img = new PNG({ width: 28, height: 28 });
const mask = new PNG({ width: 28, height: 28 });
for (let i = 0; i < 784; i++) {
  const v = (i * 37) % 255;
  const k = i % 28 < 14 ? 255 : 0;
  img.data.set([v, v, v, 255], i * 4);
  mask.data.set([k, k, k, 255], i * 4);
}
fs.writeFileSync(process.argv[1] + "/img.png", PNG.sync.write(img));
fs.writeFileSync(process.argv[1] + "/mask.png", PNG.sync.write(mask));' "$out"
gan repair --checkpoint "$out/default/checkpoint.safetensors" --image "$out/img.png" --mask "$out/mask.png" \
  --out "$out/repair.png" --strip --steps 60 --starts 16 > "$out/repair.log" 2>&1
gan repair --checkpoint "$out/cond/checkpoint.safetensors" --image "$out/img.png" --mask "$out/mask.png" \
  --out "$out/repair-cond.png" --class 2 --steps 40 --starts 8 > "$out/repair2.log" 2>&1
echo "outputs in $out"
