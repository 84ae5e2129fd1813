#!/usr/bin/env bash
# Installs the Debian 12 packages midilib needs to build, test and run, plus any named as arguments
# (tools/fuzz.sh adds clang); installs only what is missing.
set -euo pipefail

PACKAGES=(
    build-essential cmake pkg-config git
    libpqxx-dev libpq-dev libtbb-dev libspdlog-dev libfmt-dev libsmf-dev libxxhash-dev
    libcli11-dev nlohmann-json3-dev libarchive-dev
    libgtest-dev googletest libbenchmark-dev clang-format clang-tidy
    zip libarchive-tools python3-mido python3-psycopg2
    postgresql-15 postgresql-client-15 postgresql-common
    "$@"
)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "midilib: installing ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "midilib: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
fi
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
