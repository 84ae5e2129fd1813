#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang-14 (ASan + UBSan) into build-fuzz/ and runs
# each for SECONDS (default 60), one after another. See tests/fuzz/README.md.
#
#   tools/fuzz.sh [SECONDS] [TARGET...]     TARGET: smf_reader analyze text search (default: all)
#
# Seeds (read-only) are the corpus's MIDI files (../shared/corpus, if present) and the saved crash
# inputs in tests/data/fuzz-regressions; new inputs go to a temporary directory that is deleted.
# Exits non-zero when a target crashes, and keeps the crash input and the log (paths printed).
# MIDILIB_FUZZ_BUILD_DIR overrides the build directory.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(smf_reader analyze text search)
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: tools/fuzz.sh [SECONDS] [TARGET...]" >&2; exit 2; }
build=${MIDILIB_FUZZ_BUILD_DIR:-build-fuzz}
corpus=$repo/../shared/corpus
regressions=$repo/tests/data/fuzz-regressions

# --- dependencies: the project's, plus clang and its libFuzzer/sanitizer runtimes ---------------
tools/install-deps.sh clang-14 libclang-rt-14-dev

# --- build --------------------------------------------------------------------------------------
CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -DMIDILIB_FUZZ=ON -DBUILD_TESTING=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" >/dev/null
cmake --build "$build" --target fuzz_targets -j"$(nproc)"

# --- seeds --------------------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/midilib-fuzz.XXXXXX")
mkdir -p "$work/seeds/midi" "$work/seeds/search" "$work/artifacts" "$work/logs"
# libFuzzer reads seed directories recursively, but would then also take the CSV, license and
# README files; one flat directory of links to the MIDI files keeps the seeds to what they are.
if [ -d "$corpus" ]; then
    n=0
    while IFS= read -r -d '' f; do
        n=$((n + 1))
        ln -s "$f" "$work/seeds/midi/$n-$(basename "$f")"
    done < <(find "$(cd "$corpus" && pwd)" -type f \( -name '*.mid' -o -name '*.midi2' \) -print0 | sort -z)
    echo "fuzz: $n seed files from $corpus"
else
    echo "fuzz: no corpus at $corpus: seeding with tests/data only" >&2
fi
# Queries for the search target: fields split by 0x1F (see tests/fuzz/fuzz_search.cpp).
search_seeds=$work/seeds/search
printf 'piano' >"$search_seeds/1"
printf 'bach fugue' >"$search_seeds/2"
printf 'bach or mozart' >"$search_seeds/3"
printf '"moonlight sonata" -live' >"$search_seeds/4"
printf 'sonata \x1fr:0.25:42' >"$search_seeds/5"
printf '\x1fv:120:7\x1f\x1f\x1f\x1f\x1f\x01\x00\x00' >"$search_seeds/6"
printf 'jazz\x1f\x1f/music/jazz\x1fstrings piano\x1f3/4\x1fF# minor\x1f\x2f\x32\x00' >"$search_seeds/7"
printf '\x1fi::99\x1f\x1f\x1f\x1fbbm\x1f\x08' >"$search_seeds/8"
# Dictionaries: the words the parsers compare against.
cat >"$work/midi.dict" <<'EOF'
"MThd"
"MTrk"
"mTrk"
"RIFF"
"RMID"
"data"
"\x00\x00\x00\x06"
"\xff\x2f\x00"
"\xff\x51\x03"
"\xff\x58\x04"
"\xff\x59\x02"
"\xff\x03"
"\xf0"
"\xf7"
EOF
cat >"$work/search.dict" <<'EOF'
"\x1f"
" or "
" OR "
"\""
"-"
"r:"
"v:"
"i::"
":"
"/"
"#"
"major"
"minor"
"maj"
"min"
"m"
EOF

seeds_for() { # the seed directories of target $1
    local t=$1
    local dir=$work/seeds/regressions-$t
    mkdir -p "$dir"
    if [ -d "$regressions" ]; then
        find "$regressions" -maxdepth 1 -type f -name "$t-*" -exec cp {} "$dir/" \;
    fi
    echo "$dir"
    case $t in
        search) echo "$search_seeds" ;;
        *) echo "$work/seeds/midi" ;;
    esac
}

# --- run ----------------------------------------------------------------------------------------
failed=0
summary=()
for t in "${targets[@]}"; do
    bin=$build/tests/fuzz/fuzz_$t
    [ -x "$bin" ] || { echo "fuzz: no target $t ($bin)" >&2; exit 2; }
    dict=$work/midi.dict
    [ "$t" = search ] && dict=$work/search.dict
    mkdir -p "$work/corpus-$t"
    mapfile -t seed_dirs < <(seeds_for "$t")
    log=$work/logs/$t.log
    echo "fuzz: running $t for $seconds s (log: $log)"
    rc=0
    "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -dict="$dict" -artifact_prefix="$work/artifacts/$t-" \
        "$work/corpus-$t" "${seed_dirs[@]}" >"$log" 2>&1 || rc=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1 || true)
    artifacts=$(find "$work/artifacts" -name "$t-*" -type f)
    if [ "$rc" -eq 0 ] && [ -z "$artifacts" ]; then
        result=ok
    else
        failed=1
        result="FAILED (exit $rc)"
        grep -E 'ERROR|SUMMARY|invariant violated' "$log" | head -n 5 >&2 || true
        for a in $artifacts; do
            echo "fuzz: $t: crash input $a" >&2
        done
    fi
    summary+=("$(printf 'fuzz: %-10s %5s s  %10s execs  %6s/s  %-18s %s' \
        "$t" "$seconds" "${execs:-?}" "${rate:-?}" "${cov:-cov: ?}" "$result")")
    rm -rf "$work/corpus-$t"
done

printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
    echo "fuzz: kept crash inputs and logs in $work" >&2
    echo "fuzz: minimize with: $build/tests/fuzz/fuzz_TARGET -minimize_crash=1 -runs=100000 CRASH_INPUT" >&2
    exit 1
fi
rm -rf "$work"
