#!/usr/bin/env bash
# README command 1: install, build, start the embedded database, import samples/ and show a search.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/build.sh
echo "== midilib import samples/"
build/midilib import samples/
echo "== midilib search funk"
build/midilib search funk
