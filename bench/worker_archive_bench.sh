#!/usr/bin/env bash
# Workers on archive members against the same files loose: the files imported --no-analyze into
# two fresh embedded databases (the folder into one, the folder zipped into the other), then,
# ROUNDS times each, every job requeued and `midilib worker --once --json` timed (default --jobs
# and --batch). Prints one JSON line: median files/s of each and their ratio (target: zip >= 0.8
# of loose), and the zip run's archive opens and batches.
# Usage: bench/worker_archive_bench.sh [CORPUS] [ROUNDS] [FILES]   (FILES: only the first FILES
# .mid files of the corpus, by path; bench/run --quick takes 400)
set -euo pipefail
bin=${MIDILIB_BUILD:-build} # the build folder (bench/run uses a Release build)
cd "$(dirname "$0")/.."
corpus=$(realpath "${1:-../shared/corpus}")
rounds=${2:-5}
limit=${3:-}
tmp=$(mktemp -d /tmp/midilib-bench-XXXXXX)
chmod 755 "$tmp" # the server runs as postgres when root
trap 'for d in "$tmp"/pg-*; do "$bin"/midilib --data-dir "$d" db stop >/dev/null 2>&1 || true; done; rm -rf "$tmp"' EXIT
src=$corpus
if [ -n "$limit" ]; then
    src=$tmp/files
    mkdir -p "$src"
    mapfile -d '' -t files < <(cd "$corpus" && find . -type f -name '*.mid' -print0 | LC_ALL=C sort -z)
    (cd "$corpus" && cp --parents -t "$src" "${files[@]:0:$limit}")
fi
(cd "$src" && zip -qr "$tmp/files.zip" .)
m() { local kind=$1; shift; "$bin"/midilib -q --data-dir "$tmp/pg-$kind" "$@"; }
for kind in loose zip; do
    m "$kind" import --no-analyze "$([ "$kind" = loose ] && echo "$src" || echo "$tmp/files.zip")" >/dev/null
done
for i in $(seq "$rounds"); do
    for kind in loose zip; do
        [ "$i" = 1 ] || m "$kind" analyze --requeue --all >/dev/null
        m "$kind" worker --once --json >> "$tmp/$kind.jsonl"
    done
done
python3 - "$tmp/loose.jsonl" "$tmp/zip.jsonl" <<'PY'
import json, statistics, sys
loose = [json.loads(l) for l in open(sys.argv[1])]
packed = [json.loads(l) for l in open(sys.argv[2])]
lr = statistics.median(r["files_per_sec"] for r in loose)
zr = statistics.median(r["files_per_sec"] for r in packed)
print(json.dumps({"bench": "worker_archive", "files": packed[0]["done"], "rounds": len(packed),
                  "loose_files_per_sec": round(lr), "zip_files_per_sec": round(zr), "ratio": round(zr / lr, 3),
                  "zip_archive_opens": packed[0]["archive_opens"], "zip_batches": packed[0]["batches"]}))
PY
