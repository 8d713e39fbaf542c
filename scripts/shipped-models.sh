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
# 1e-3), stored in F16; longer where 1000 steps left the classifier's accuracy on the restored
# pictures below a baseline's (QUALITY.md): MNIST's blur and factor-2 downscaling 3000 (level with
# their baselines either way; 1.2 to 1.9 dB better), Fashion-MNIST's factor-2 downscaling, blur and
# mask 3000 (better than 1000 steps on every measure). Both sets' Gaussian noise is the residual
# network with an l2 loss, 1000 steps: 0.9 and 1.4 dB above the encoder–decoders they replace, and
# more pictures read right than the noisy ones, though not beyond chance (QUALITY.md).
declare -A restorers=(
  [blur]=blur [noise]=noise [salt]='noise:sigma=0,salt=0.1' [downscale2]='downscale:factor=2'
  [downscale4]='downscale:factor=4' [dark]=dark [mask]=mask
)
declare -A longer=(
  [mnist-blur]=3000 [mnist-downscale2]=3000
  [fashion-mnist-downscale2]=3000 [fashion-mnist-blur]=3000 [fashion-mnist-mask]=3000
)
declare -A otherwise=([mnist-noise]='--residual --loss l2' [fashion-mnist-noise]='--residual --loss l2')
for data in mnist fashion-mnist; do
  for name in "${!restorers[@]}"; do
    steps=${longer[$data-$name]:-1000}
    # shellcheck disable=SC2086 # the recipe's flags are words of their own
    node bin/webgpu-gan.js train --task restore --data "$data" --degradation "${restorers[$name]}" --steps "$steps" \
      ${otherwise[$data-$name]:-} --out "$work/$data-restore-$name" --force
    node scripts/model-file.mjs "$work/$data-restore-$name/restorer.safetensors" \
      "models/$data-restore-$name.safetensors" --float16
  done
done
