#!/usr/bin/python3
"""BASELINE, not midilib: the importer a user might write instead, for comparison.

Walks a folder, reads every MIDI file with mido, extracts the metadata midilib's import
stores without analysis (format, tracks, ppq, duration, tempo, signatures, note count,
channels, programs, track names, texts), and COPYs the rows into a temporary table with
psycopg2 (one COPY per 2,000 files). Files mido cannot read are counted as failed.

Usage: python_baseline.py CONNINFO FOLDER   (Debian: python3-mido python3-psycopg2)
Prints one JSON line.
"""
import hashlib
import io
import json
import os
import sys
import time

import mido
import psycopg2

COLUMNS = ("path", "hash", "format", "tracks", "ppq", "seconds", "tempo_bpm", "time_signatures",
           "key_signatures", "notes", "channels", "programs", "track_names", "texts")


def facts(path):
    data = open(path, "rb").read()
    midi = mido.MidiFile(file=io.BytesIO(data), clip=True)
    tempo, sigs, keys, notes, channels, programs, names, texts = None, [], [], 0, set(), {}, [], []
    for track in midi.tracks:
        for msg in track:
            if msg.type == "set_tempo" and tempo is None:
                tempo = mido.tempo2bpm(msg.tempo)
            elif msg.type == "time_signature":
                sigs.append(f"{msg.numerator}/{msg.denominator}")
            elif msg.type == "key_signature":
                keys.append(msg.key)
            elif msg.type == "note_on" and msg.velocity > 0:
                notes += 1
                channels.add(msg.channel + 1)
            elif msg.type == "program_change":
                programs.setdefault(msg.channel, msg.program)
            elif msg.type == "track_name":
                names.append(msg.name)
            elif msg.type == "text":
                texts.append(msg.text)
    return (path, hashlib.blake2b(data, digest_size=16).hexdigest(), midi.type, len(midi.tracks),
            midi.ticks_per_beat, midi.length, tempo or 120.0, sigs, keys, notes, sorted(channels),
            [programs.get(c, -1) for c in range(16)], names, texts)


def pg_array(values):
    quoted = ('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return "{" + ",".join(quoted) + "}"


def copy_rows(cur, rows):
    buf = io.StringIO()
    for row in rows:
        fields = [pg_array(v) if isinstance(v, list) else str(v) for v in row]
        buf.write("\t".join(f.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                            .replace("\r", "\\r").replace("\x00", "") for f in fields) + "\n")
    buf.seek(0)
    cur.copy_expert(f"COPY baseline_files ({', '.join(COLUMNS)}) FROM STDIN", buf)


def main():
    conninfo, folder = sys.argv[1], sys.argv[2]
    start = time.monotonic()
    conn = psycopg2.connect(conninfo)
    cur = conn.cursor()
    cur.execute("CREATE TEMP TABLE baseline_files (path text, hash text, format int, tracks int, ppq int,"
                " seconds float8, tempo_bpm float8, time_signatures text[], key_signatures text[], notes int,"
                " channels int[], programs int[], track_names text[], texts text[])")
    rows, files, failed = [], 0, 0
    for root, _, names in os.walk(folder):
        for name in names:
            if not name.lower().endswith((".mid", ".midi", ".kar", ".rmi", ".smf")):
                continue
            files += 1
            try:
                rows.append(facts(os.path.join(root, name)))
            except Exception:  # what mido refuses; a user's script would log and go on
                failed += 1
            if len(rows) >= 2000:
                copy_rows(cur, rows)
                conn.commit()
                rows = []
    copy_rows(cur, rows)
    conn.commit()
    seconds = time.monotonic() - start
    print(json.dumps({"bench": "python_baseline", "files": files, "failed": failed, "seconds": round(seconds, 3),
                      "files_per_sec": round(files / seconds)}))


if __name__ == "__main__":
    main()
