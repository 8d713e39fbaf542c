#!/usr/bin/env bash
# The trained models the package ships (models/*-gan.safetensors and models/*-restore-*.safetensors,
# read by `--checkpoint NAME`), made again from nothing: each GAN is the default MLP trained with a
# fixed seed, then stored as a model file (weights without Adam's moments) in F16. Training is
# deterministic, so the same adapter makes the same file; QUALITY.md records how good each is and
# what F16 costs.
#   bash scripts/shipped-models.sh [work folder]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/webgpu-gan-shipped}
node scripts/build-lib.mjs --if-stale
for data in mnist fashion-mnist; do
  node bin/webgpu-gan.js train --data "$data" --steps 5000 --seed 1 --out "$work/$data" --force
  node scripts/model-file.mjs "$work/$data/checkpoint.safetensors" "models/$data-gan.safetensors" --float16
done
# The restorers (`restore --checkpoint mnist|fashion-mnist --degradation KIND`): for each set, one
# per degradation at its default, trained 1000 steps with the defaults (batch 64, seed 1, l1, Adam
# 1e-3), stored in F16; MNIST's Gaussian-noise restorer 2000 steps (QUALITY.md: 1000 left its
# accuracy below the noisy picture's).
declare -A restorers=(
  [blur]=blur [noise]=noise [salt]='noise:sigma=0,salt=0.1' [downscale2]='downscale:factor=2'
  [downscale4]='downscale:factor=4' [dark]=dark [mask]=mask
)
for data in mnist fashion-mnist; do
  for name in "${!restorers[@]}"; do
    steps=1000
    [[ $data == mnist && $name == noise ]] && steps=2000
    node bin/webgpu-gan.js train --task restore --data "$data" --degradation "${restorers[$name]}" --steps "$steps" \
      --out "$work/$data-restore-$name" --force
    node scripts/model-file.mjs "$work/$data-restore-$name/restorer.safetensors" \
      "models/$data-restore-$name.safetensors" --float16
  done
done
