#!/usr/bin/env bash
# Installs what is missing, builds, and starts the main job: the GUI with the default session when a display
# is available, otherwise the headless demo (`atelier-cli demo`, results and report in out/).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
BUILD=${ATELIER_BUILD_DIR:-build}
gui_exe="$BUILD/app/gui/atelier"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ "${ATELIER_BUILD_GUI:-ON}" = "ON" ]; then
  scripts/build.sh atelier atelier-cli
  if [ -x "$gui_exe" ]; then
    exec "$gui_exe" --session assets/session/default.json "$@"
  fi
  echo "run.sh: the GUI was not built; running the headless demo instead" >&2
else
  scripts/build.sh atelier-cli
fi
exec "$BUILD/app/atelier-cli" demo --out out "$@"
