#!/usr/bin/env bash
# What the database alone costs an import: the ceiling no import on this machine can pass.
#
#   bench/copy_ceiling.sh BIN DATA_DIR [IMPORT_FILES_PER_SEC] [ROUNDS]
#
# DATA_DIR is an embedded database (`midilib --data-dir DATA_DIR`) that `midilib import` filled.
# Its rows are copied out once, then, ROUNDS times (default 3): the library's tables are emptied
# (not timed) and the same rows COPYed back over the wire into the same tables, with their indexes,
# keys, search partitions and GIN pending lists, in one transaction, followed by the import's
# own finish (midilib_finish_import: pending lists merged, statistics). Nothing is read, parsed,
# analyzed, staged or merged ON CONFLICT, and the search rows arrive built. The library is left
# as it was. Prints one JSON line: files/s of the median round, and the import's share of it
# when IMPORT_FILES_PER_SEC (the same files' `midilib import`) is given.
set -euo pipefail
bin=$1
data=$2
import_fps=${3:-0}
rounds=${4:-3}

"$bin"/midilib -q --data-dir "$data" db start >/dev/null
url=$("$bin"/midilib -q --data-dir "$data" db url)
dump=$(mktemp -d /tmp/midilib-copy-ceiling-XXXXXX)
trap 'rm -rf "$dump"' EXIT
sql() { psql -X -q -v ON_ERROR_STOP=1 "$url" "$@"; }

# In the order of their foreign keys. (file_search is partitioned: COPY TO needs a query.)
tables=(midi_files midi_file_paths file_analysis analysis_jobs file_search search_words)
for t in "${tables[@]}"; do
    sql -c "\\copy (SELECT * FROM $t) TO '$dump/$t.copy'"
done
files=$(sql -At -c "SELECT count(*) FROM midi_files")

load="$dump/load.sql"
{
    echo "BEGIN;"
    for t in "${tables[@]}"; do
        echo "\\copy $t FROM '$dump/$t.copy'"
    done
    echo "COMMIT;"
    echo "SELECT midilib_finish_import($files);"
} > "$load"

times=()
for _ in $(seq "$rounds"); do
    # A separate transaction: with wal_level = minimal, rows COPYed into a table emptied in the
    # same transaction would skip the WAL, which an import's never do.
    sql -c "SET client_min_messages = warning; TRUNCATE midi_files, search_words CASCADE"
    sql -c "CHECKPOINT"
    start=$(date +%s%N)
    sql -o /dev/null -f "$load"
    times+=("$(($(date +%s%N) - start))")
done

python3 - "$files" "$import_fps" "${times[@]}" <<'PY'
import json, statistics, sys
files, import_fps, times = int(sys.argv[1]), float(sys.argv[2]), [int(t) / 1e9 for t in sys.argv[3:]]
seconds = statistics.median(times)
r = {"bench": "copy_ceiling", "files": files, "rounds": len(times), "median_seconds": round(seconds, 3),
     "files_per_sec": round(files / seconds)}
if import_fps > 0:
    r["import_files_per_sec"] = round(import_fps)
    r["ratio"] = round(import_fps / (files / seconds), 3)
print(json.dumps(r))
PY
