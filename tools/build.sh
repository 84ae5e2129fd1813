#!/usr/bin/env bash
# Installs missing dependencies and builds midilib into build/ (warnings are errors under CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
cmake -S . -B build -DMIDILIB_WERROR=$werror >/dev/null
cmake --build build -j"$(nproc)"
