#!/usr/bin/env bash
# Installs every Debian package Atelier needs (idempotent: does nothing when all are present).
# Usage: scripts/setup.sh            (uses sudo when not root)
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build pkg-config
  qt6-base-dev libqt6opengl6-dev qt6-charts-dev
  libtorch-dev libopenblas0-openmp
  libopencv-dev libimgui-dev
  libgtest-dev libgmock-dev nlohmann-json3-dev libcli11-dev
  libpng-dev
  xvfb xauth libgl1-mesa-dri
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${#missing[@]} missing packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
