#!/usr/bin/env bash
# README command 2: install, build, and run every test against a throw-away PostgreSQL (pg_virtualenv).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/build.sh
pg_virtualenv ctest --test-dir build --output-on-failure -j"$(nproc)"
