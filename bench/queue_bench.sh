#!/usr/bin/env bash
# Queue benchmarks on a fresh embedded database holding the corpus (imported --no-analyze):
#   1. claim + ack without analysis ("$bin"/bench/queue_bench, 4 threads, batches of 200)
#   2. end to end: every file analyzed through the queue by WORKERS `midilib worker --once`
#      processes (--jobs 1 each), median of ROUNDS; files/s = jobs done / wall time.
# Prints one JSON line each.  Usage: bench/queue_bench.sh [CORPUS] [WORKERS] [ROUNDS]
set -euo pipefail
bin=${MIDILIB_BUILD:-build} # the build folder (bench/run uses a Release build)
cd "$(dirname "$0")/.."
corpus=$(realpath "${1:-../shared/corpus}")
workers=${2:-2}
rounds=${3:-5}
tmp=$(mktemp -d /tmp/midilib-bench-XXXXXX)
chmod 755 "$tmp" # the server runs as postgres when root
trap '"$bin"/midilib --data-dir "$tmp/pg" db stop >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
m() { "$bin"/midilib -q --data-dir "$tmp/pg" "$@"; }
m import --no-analyze --json "$corpus" > /dev/null
"$bin"/bench/queue_bench "$(m db url)" 4 200 5
files=$(psql -X -At "$(m db url)" -c "SELECT count(*) FROM midi_files")
for i in $(seq "$rounds"); do
    m analyze --requeue --all > /dev/null
    start=$(date +%s.%N)
    for w in $(seq "$workers"); do m worker --once --jobs 1 > /dev/null & done
    wait
    echo "$start $(date +%s.%N)" >> "$tmp/times"
done
python3 - "$tmp/times" "$files" "$workers" <<'PY'
import json, statistics, sys
times = [float(b) - float(a) for a, b in (l.split() for l in open(sys.argv[1]))]
s = statistics.median(times)
files = int(sys.argv[2])
print(json.dumps({"bench": "queue_end_to_end", "files": files, "workers": int(sys.argv[3]), "rounds": len(times),
                  "median_seconds": round(s, 3), "files_per_sec": round(files / s)}))
PY
