#!/usr/bin/env bash
# Import benchmark: imports the corpus into a fresh embedded database ROUNDS times and
# prints one JSON line with the median run (files, bytes, seconds, files_per_sec, peak_rss_mb),
# and the median re-run (nothing changed) as a share of it.
# Usage: bench/import_bench.sh [CORPUS] [ROUNDS] [IMPORT OPTIONS...]   (run tools/build.sh first)
# e.g. bench/import_bench.sh ../shared/corpus 5 --no-analyze
set -euo pipefail
bin=${MIDILIB_BUILD:-build} # the build folder (bench/run uses a Release build)
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpus}
rounds=${2:-5}
shift $(( $# > 2 ? 2 : $# ))
options=("$@")
tmp=$(mktemp -d /tmp/midilib-bench-XXXXXX)
chmod 755 "$tmp" # the server runs as postgres when root
trap 'for d in "$tmp"/pg*; do "$bin"/midilib --data-dir "$d" db stop >/dev/null 2>&1 || true; done; rm -rf "$tmp"' EXIT
for i in $(seq "$rounds"); do
    "$bin"/midilib -q --data-dir "$tmp/pg$i" db start >/dev/null
    "$bin"/midilib -q --data-dir "$tmp/pg$i" import --json "${options[@]}" "$corpus" >> "$tmp/runs.jsonl"
    "$bin"/midilib -q --data-dir "$tmp/pg$i" import --json "${options[@]}" "$corpus" >> "$tmp/reruns.jsonl"
    "$bin"/midilib --data-dir "$tmp/pg$i" db stop >/dev/null
done
python3 - "$tmp/runs.jsonl" "$tmp/reruns.jsonl" "${options[@]}" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
reruns = [json.loads(l) for l in open(sys.argv[2])]
med = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
rerun_s = statistics.median(r["seconds"] for r in reruns)
print(json.dumps({"bench": "import", "options": " ".join(sys.argv[3:]), "files": med["scanned"], "bytes": med["bytes"], "seconds": round(med["seconds"], 4),
                  "files_per_sec": round(med["files_per_sec"]), "peak_rss_mb": round(med["peak_rss_mb"], 1),
                  "rounds": len(runs), "rerun_seconds": round(rerun_s, 4),
                  "rerun_ratio": round(rerun_s / med["seconds"], 3)}))
PY
