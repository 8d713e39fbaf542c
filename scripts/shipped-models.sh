#!/usr/bin/env bash
# The trained models the package ships (models/*-gan.safetensors, read by `--checkpoint NAME`),
# made again from nothing: each is the default MLP trained with a fixed seed, then stored as a
# model file (weights without Adam's moments) in F16. Training is deterministic, so the same
# adapter makes the same file; QUALITY.md records how good each is and what F16 costs.
#   bash scripts/shipped-models.sh [work folder]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/webgpu-gan-shipped}
node scripts/build-lib.mjs --if-stale
for data in mnist fashion-mnist; do
  node bin/webgpu-gan.js train --data "$data" --steps 5000 --seed 1 --out "$work/$data" --force
  node scripts/model-file.mjs "$work/$data/checkpoint.safetensors" "models/$data-gan.safetensors" --float16
done
