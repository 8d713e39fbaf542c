#!/usr/bin/env bash
# A folder of colour pictures for `train --data FOLDER --size 32`: the 3,786 Twemoji images (64×64
# PNG, transparent backgrounds, which the loader composites over black) that the npm package
# emoji-datasource-twitter 16.0.0 ships. Twemoji's graphics are licensed CC-BY 4.0 (Twitter and the
# jdecked/twemoji contributors); samples of a GAN trained on them carry that attribution.
# Nothing is committed: the package is fetched by npm into a scratch folder and its PNGs copied.
#   bash scripts/emoji-folder.sh OUT_FOLDER
set -euo pipefail
out=${1:?usage: bash scripts/emoji-folder.sh OUT_FOLDER}
package=emoji-datasource-twitter@16.0.0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
(cd "$scratch" && npm pack --silent "$package" > /dev/null)
tar -xzf "$scratch"/*.tgz -C "$scratch" --wildcards 'package/img/twitter/64/*.png'
mkdir -p "$out"
cp "$scratch"/package/img/twitter/64/*.png "$out"/
echo "$out: $(find "$out" -maxdepth 1 -name '*.png' | wc -l) pictures from $package (Twemoji, CC-BY 4.0)"
