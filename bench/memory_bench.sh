#!/usr/bin/env bash
# Peak memory of the largest inputs: one note-dense file of 63 MB (10.5 million notes), and a zip
# of four such members of 62 MB, each imported ROUNDS times into a fresh embedded database;
# prints one JSON line with the median peak RSS of each (target: the file within 100 MB).
# Usage: bench/memory_bench.sh [ROUNDS]   (run tools/build.sh first)
set -euo pipefail
bin=${MIDILIB_BUILD:-build} # the build folder (bench/run uses a Release build)
cd "$(dirname "$0")/.."
rounds=${1:-3}
tmp=$(mktemp -d /tmp/midilib-bench-XXXXXX)
chmod 755 "$tmp" # the server runs as postgres when root
trap 'for d in "$tmp"/pg*; do "$bin"/midilib --data-dir "$d" db stop >/dev/null 2>&1 || true; done; rm -rf "$tmp"' EXIT

# The file of tests/db/test_memory_bounds.cpp: one track, a note a tick, 6 bytes a note.
dense() { # out, notes
    python3 - "$1" "$2" <<'PY'
import struct, sys
out, n = sys.argv[1], int(sys.argv[2])
period = b"".join(bytes([1, 48 + i % 24, 0, 0, 48 + i % 24, 0x40]) for i in range(1, 25))
rest = b"".join(bytes([1, 48 + i % 24, 0, 0, 48 + i % 24, 0x40]) for i in range(1, (n - 1) % 24 + 1))
track = b"\x00\x90\x3c\x40" + period * ((n - 1) // 24) + rest + b"\x01\x3c\x00" + b"\x00\xff\x2f\x00"
with open(out, "wb") as f:
    f.write(b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0MTrk" + struct.pack(">I", len(track)) + track)
PY
}
mkdir -p "$tmp/file" "$tmp/zip" "$tmp/members"
dense "$tmp/file/dense.mid" 10500000
for i in 0 1 2 3; do dense "$tmp/members/dense$i.mid" $((10400000 - i)); done # four contents
zip -q -1 -j "$tmp/zip/dense.zip" "$tmp"/members/*.mid
rm -rf "$tmp/members"

for i in $(seq "$rounds"); do
    for kind in file zip; do
        d="$tmp/pg-$kind-$i"
        "$bin"/midilib -q --data-dir "$d" db start >/dev/null
        "$bin"/midilib -q --data-dir "$d" import --json "$tmp/$kind" >> "$tmp/$kind.jsonl"
        "$bin"/midilib --data-dir "$d" db stop >/dev/null
    done
done
python3 - "$tmp/file.jsonl" "$tmp/zip.jsonl" "$(stat -c %s "$tmp/file/dense.mid")" "$(stat -c %s "$tmp/zip/dense.zip")" <<'PY'
import json, statistics, sys
single = [json.loads(l) for l in open(sys.argv[1])]
packed = [json.loads(l) for l in open(sys.argv[2])]
assert all(r["imported"] == 1 for r in single) and all(r["imported"] == 4 for r in packed)
print(json.dumps({"bench": "import_memory", "rounds": len(single),
                  "file_mb": round(int(sys.argv[3]) / 1e6, 1),
                  "file_peak_rss_mb": round(statistics.median(r["peak_rss_mb"] for r in single), 1),
                  "zip_members": 4, "zip_bytes": int(sys.argv[4]),
                  "zip_peak_rss_mb": round(statistics.median(r["peak_rss_mb"] for r in packed), 1),
                  "zip_seconds": round(statistics.median(r["seconds"] for r in packed), 2)}))
PY
