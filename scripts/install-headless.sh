#!/usr/bin/env bash
# Installs what a GPU-less Debian bookworm machine needs to run webgpu-gan's tests headless:
#  - Mesa 25's lavapipe (software Vulkan) from bookworm-backports, which Dawn (npm `webgpu`) uses.
#    Bookworm's own Mesa 22 lavapipe lacks features Dawn requires, hence the backport.
#  - Debian's Chromium, whose SwiftShader gives the browser tests a WebGPU adapter.
# Run as root. Safe to run again: it skips what is already in place.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "install-headless.sh: run as root (sudo bash scripts/install-headless.sh where you are not root)" >&2
  exit 1
fi

have_lavapipe() {
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  [ -n "$v" ] && dpkg --compare-versions "$v" ge 25
}

backports=/etc/apt/sources.list.d/backports.sources
if ! have_lavapipe && [ ! -f "$backports" ]; then
  # Reuse the first stanza of the system's own source list so no mirror is named here.
  awk 'BEGIN{RS="";ORS="\n\n"} NR==1' /etc/apt/sources.list.d/debian.sources \
    | sed 's/^Suites:.*/Suites: bookworm-backports/' > "$backports"
fi

export DEBIAN_FRONTEND=noninteractive
if ! have_lavapipe || ! command -v chromium >/dev/null; then
  apt-get update -qq
fi
if ! have_lavapipe; then
  apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers >/dev/null
fi
if ! command -v chromium >/dev/null; then
  apt-get install -y -qq chromium >/dev/null
fi
echo "install-headless.sh: lavapipe $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers), $(chromium --version 2>/dev/null)"
