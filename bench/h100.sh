#!/usr/bin/env bash
# One device run on the lent H100 (see BENCHMARKS.md): our bench and the PyTorch peer in the same
# run, then a few thousand MNIST steps with the CLI and a PyTorch load of the checkpoint.
# Prepared here by bench/pack-h100.sh; run there as: bash .gpu/app/h100.sh
# PROFILE=64,4096 adds per-kernel timestamps, STEP_VARIANTS=v1,v3 whole steps with every matmul forced
# to one variant; TRAIN_STEPS=0 skips training. TUNE=64,256,1024,4096 measures every matmul variant and
# split count per shape of the step (bench/tune.ts) into $OUT/matmul-tuning.json, then times whole
# steps again with those choices: all in this run, beside the default. ROBUSTNESS_OFF=1 also times
# both with Dawn's robustness off. Without TUNE, SHIPPED=1 times the library's shipped choices in
# that place instead. SUSTAINED=3000 then times batch 4096 in runs of that many steps (the shipped
# choices). CLOCK_LOG=1 samples the GPU's clocks, power and clock-event reasons every 100 ms into
# clocks.csv, with each phase's start time in the log, to tell a slow run's cause. BATCHES, STEPS
# and MATMUL shrink the run (to try the script on a software adapter first).
set -uo pipefail
G=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
# Few files come back from a device run, so the GPU's name heads bench.txt instead of its own file.
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$OUT/bench.txt"
if [ -n "${CLOCK_LOG:-}" ]; then
  nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,temperature.gpu,utilization.gpu,clocks_event_reasons.active \
    --format=csv -lms 100 > "$OUT/clocks.csv" 2>&1 &
  CLOCK_PID=$!
  trap 'kill $CLOCK_PID 2>/dev/null' EXIT
fi
phase() { echo "h100.sh: $(date +%T.%3N) $1 (${SECONDS} s)"; }
phase 'bench with the rules'
BATCHES=${BATCHES:-64,256,1024,4096}
UNSAFE=${ROBUSTNESS_OFF:+--robustness-off}
# Runs of 3000 steps: in runs of 300, some took 20-55 ms longer than the rest while the GPU's
# timestamps and clocks stayed put (2026-11-27, BENCHMARKS.md); 3000 steps weigh such a delay a
# tenth as much. The peer times the same count.
STEPS=${STEPS:-3000}
bash "$G/run.sh" bench.mjs --batches "$BATCHES" --steps "$STEPS" --matmul "${MATMUL:-1024,2048,4096}" ${PROFILE:+--profile "$PROFILE"} \
  ${STEP_VARIANTS:+--step-variants "$STEP_VARIANTS"} $UNSAFE --no-tuning --json "$OUT/bench.json" 2>&1 | grep -v '^Warning' | tee -a "$OUT/bench.txt"
# The peer right after our bench, so that a run cut short in the tuning still has both.
python3 "$G/app/torch_gan.py" "$BATCHES" "$STEPS" "${MATMUL:-1024,2048,4096}" 2>&1 | tee "$OUT/torch.jsonl"
phase 'bench and peer done'
# A device command may run 600 s. The tuning gets what is left of RUN_LIMIT (default 570 s) after
# keeping TUNED_RESERVE (default 120 s) for the tuned bench, unless TUNE_LIMIT sets it. No shape
# starts after the limit (the heaviest go first), and the table is rewritten after every shape;
# the timeout is only a backstop against a hang.
LIMIT=${TUNE_LIMIT:-$(( ${RUN_LIMIT:-570} - SECONDS - ${TUNED_RESERVE:-120} ))}
if [ -n "${TUNE:-}" ] && [ "$LIMIT" -lt 20 ]; then
  echo "h100.sh: only ${LIMIT} s left for tuning; skipped" | tee "$OUT/tune.txt"
elif [ -n "${TUNE:-}" ]; then
  timeout $((LIMIT + 60)) bash "$G/run.sh" bench.mjs --tune "$TUNE" --tune-limit "$LIMIT" --write-tuning "$OUT/matmul-tuning.json" 2>&1 | grep -v '^Warning' | tee "$OUT/tune.txt"
  phase 'tuning done; tuned bench'
  bash "$G/run.sh" bench.mjs --tuning "$OUT/matmul-tuning.json" --batches "$BATCHES" --steps "$STEPS" --matmul "${MATMUL:-4096}" ${PROFILE:+--profile "$PROFILE"} \
    $UNSAFE --no-tfjs --json "$OUT/tuned.json" 2>&1 | grep -v '^Warning' | tee "$OUT/tuned.txt"
  phase 'tuned bench done'
elif [ -n "${SHIPPED:-}" ]; then
  phase 'bench with the shipped choices'
  bash "$G/run.sh" bench.mjs --batches "$BATCHES" --steps "$STEPS" --matmul "${MATMUL:-4096}" ${PROFILE:+--profile "$PROFILE"} \
    $UNSAFE --no-tfjs --json "$OUT/tuned.json" 2>&1 | grep -v '^Warning' | tee "$OUT/tuned.txt"
  phase 'shipped bench done'
fi
if [ -n "${SUSTAINED:-}" ]; then
  phase "batch 4096 in runs of ${SUSTAINED} steps"
  bash "$G/run.sh" bench.mjs --batches 4096 --steps "$SUSTAINED" --matmul none --no-tfjs --json "$OUT/sustained.json" 2>&1 | grep -v '^Warning' | tee "$OUT/sustained.txt"
  phase 'sustained run done'
fi
[ "${TRAIN_STEPS:-5000}" = 0 ] && exit 0
mkdir -p "$OUT/run"
bash "$G/run.sh" cli.mjs train --steps "${TRAIN_STEPS:-5000}" --batch 64 --data mnist-train-images.gz --out "$OUT/run" \
  --log-every 250 --sample-every 2500 --steps-per-submit 25 2>&1 | grep -v '^Warning' | tail -n 5 | tee "$OUT/train.txt"
bash "$G/run.sh" export-samples.mjs "$OUT/run/checkpoint.safetensors" "$OUT/run" 16 2>&1 | grep -v '^Warning'
python3 "$G/app/check_torch_load.py" "$OUT/run/checkpoint.safetensors" "$OUT/run" | tee "$OUT/torch-load.json"
rm -f "$OUT/run/noise.f32" "$OUT/run/images.f32"
