#!/usr/bin/env bash
# Checks the C++ sources against .clang-format and .clang-tidy (both version 14, Debian's
# clang-format and clang-tidy): clang-format on every tracked *.cpp and *.hpp, then clang-tidy on
# the tracked .cpp files outside tests/fuzz (those build with clang and libFuzzer, so they are not
# in the compilation database). Exits non-zero on any format difference or clang-tidy finding.
#
#   tools/lint.sh [--format | --tidy] [FILE...]     default: both, over the whole tree
#
# clang-tidy reads build/compile_commands.json (MIDILIB_BUILD_DIR overrides; cmake -S . -B build
# writes it). Over the whole tree it costs about 20 CPU-minutes (about 10 minutes on 2 idle
# cores), so pass the files you changed while working.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=all
case "${1:-}" in
--format) mode=format; shift ;;
--tidy) mode=tidy; shift ;;
esac

if [ $# -gt 0 ]; then
    files=("$@")
else
    mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
fi
status=0

if [ "$mode" != tidy ]; then
    command -v clang-format >/dev/null || { echo "lint: clang-format not found (tools/install-deps.sh)" >&2; exit 2; }
    echo "== clang-format: ${#files[@]} files" >&2
    clang-format --dry-run -Werror "${files[@]}" || status=1
fi

if [ "$mode" != format ]; then
    command -v clang-tidy >/dev/null || { echo "lint: clang-tidy not found (tools/install-deps.sh)" >&2; exit 2; }
    build="${MIDILIB_BUILD_DIR:-build}"
    [ -f "$build/compile_commands.json" ] ||
        { echo "lint: $build/compile_commands.json missing: run cmake -S . -B $build first" >&2; exit 2; }
    sources=()
    for f in "${files[@]}"; do
        case "$f" in
        tests/fuzz/*) ;;
        *.cpp) sources+=("$PWD/$f") ;;
        esac
    done
    if [ ${#sources[@]} -gt 0 ]; then
        echo "== clang-tidy: ${#sources[@]} files" >&2
        log=$(mktemp)
        trap 'rm -f "$log"' EXIT
        # GCC's warning options in the compilation database mean nothing to clang.
        extra=-extra-arg=-Wno-unknown-warning-option
        if command -v run-clang-tidy >/dev/null; then
            # Each argument is a regular expression over the database's paths: escape the dots.
            run-clang-tidy -quiet -p "$build" -j "$(nproc)" "$extra" "${sources[@]//./\\.}" >"$log" 2>&1 || status=1
        else
            printf '%s\0' "${sources[@]}" |
                xargs -0 -n 1 -P "$(nproc)" clang-tidy --quiet -p "$build" "$extra" >"$log" 2>&1 || status=1
        fi
        # clang-tidy exits 0 on warnings: a finding in the output fails the check.
        if grep -E ': (warning|error): ' "$log"; then
            status=1
        elif [ $status -ne 0 ]; then
            cat "$log"
        fi
    fi
fi
exit $status
