#!/usr/bin/env bash
# Compares two folders of scripts/fixed-seed-outputs.sh: every binary byte for byte, logs with
# paths, times and speeds taken out. A checkpoint whose bytes differ is compared again on its
# tensor data alone, which says whether only its metadata changed.
#   bash scripts/compare-outputs.sh /tmp/before /tmp/after
a=$1
b=$2
root="$(cd "$(dirname "$0")/.." && pwd)"
norm() {
  tr '\r' '\n' < "$1/$2" |
    sed -E "s#$1#RUN#g; s/\"(stepsPerSec|time)\":[^,}]*//g; s/[0-9.]+ steps\/s//g; s/ETA [0-9:]+//g; s/in [0-9.]+ ?s//g" |
    grep -v '^build:lib'
}
tensors() {
  node --input-type=module -e "
    import { readFileSync } from 'node:fs';
    import { decodeSafetensors } from '$root/dist/index.js';
    const [x, y] = process.argv.slice(1).map((f) => decodeSafetensors(readFileSync(f)));
    console.log(Buffer.from(x.data).equals(Buffer.from(y.data)) ? 'tensors identical' : 'tensors DIFFER');" "$1" "$2"
}
for f in $(cd "$a" && find . -type f | sort); do
  case $f in
    *.log | *.jsonl)
      if diff -q <(norm "$a" "$f") <(norm "$b" "$f") > /dev/null; then echo "same $f (normalised)"; else echo "DIFF $f"; fi
      ;;
    *.safetensors)
      if cmp -s "$a/$f" "$b/$f"; then echo "same $f"; else echo "DIFF $f: $(tensors "$a/$f" "$b/$f")"; fi
      ;;
    *) if cmp -s "$a/$f" "$b/$f"; then echo "same $f"; else echo "DIFF $f"; fi ;;
  esac
done
