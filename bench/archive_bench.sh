#!/usr/bin/env bash
# Archive import benchmark: the corpus as loose files vs the same files in one zip, each
# imported ROUNDS times into a fresh embedded database; prints one JSON line with the
# medians and their ratio (issue target: zip >= 80 % of the loose rate).
# Usage: bench/archive_bench.sh [CORPUS] [ROUNDS]   (run tools/build.sh first)
set -euo pipefail
bin=${MIDILIB_BUILD:-build} # the build folder (bench/run uses a Release build)
cd "$(dirname "$0")/.."
corpus=$(realpath "${1:-../shared/corpus}")
rounds=${2:-5}
tmp=$(mktemp -d /tmp/midilib-bench-XXXXXX)
chmod 755 "$tmp" # the server runs as postgres when root
trap 'for d in "$tmp"/pg*; do "$bin"/midilib --data-dir "$d" db stop >/dev/null 2>&1 || true; done; rm -rf "$tmp"' EXIT
(cd "$corpus" && zip -qr "$tmp/corpus.zip" .)
for i in $(seq "$rounds"); do
    for kind in loose zip; do
        d="$tmp/pg-$kind-$i"
        "$bin"/midilib -q --data-dir "$d" db start >/dev/null
        src=$([ "$kind" = loose ] && echo "$corpus" || echo "$tmp/corpus.zip")
        "$bin"/midilib -q --data-dir "$d" import --json "$src" >> "$tmp/$kind.jsonl"
        "$bin"/midilib --data-dir "$d" db stop >/dev/null
    done
done
python3 - "$tmp/loose.jsonl" "$tmp/zip.jsonl" "$(stat -c %s "$tmp/corpus.zip")" <<'PY'
import json, statistics, sys
loose = [json.loads(l) for l in open(sys.argv[1])]
packed = [json.loads(l) for l in open(sys.argv[2])]
lr = statistics.median(r["files_per_sec"] for r in loose)
zr = statistics.median(r["files_per_sec"] for r in packed)
print(json.dumps({"bench": "archive_import", "files": packed[0]["scanned"], "zip_bytes": int(sys.argv[3]),
                  "rounds": len(packed), "loose_files_per_sec": round(lr), "zip_files_per_sec": round(zr),
                  "zip_peak_rss_mb": round(max(r["peak_rss_mb"] for r in packed), 1),
                  "ratio": round(zr / lr, 3)}))
PY
