#!/usr/bin/env python3
"""Pairwise precision and recall of the works of a generated library against its ground truth.

usage: works_accuracy.py CORPUS_CONNINFO GENERATED_CONNINFO CORPUS OUT

CORPUS_CONNINFO is a library of the corpus itself, GENERATED_CONNINFO one of the files that
tools/generate_library wrote to OUT (with OUT.ground-truth.csv beside it). Two generated files are
truly the same music when their sources are one corpus work (the corpus' own duplicates count, as
the corpus test judges them). Prints one JSON line: precision and recall over all pairs, and recall
over the pairs whose source has a fingerprint (the others never merge, by design).
"""
import csv
import json
import subprocess
import sys
from collections import Counter


def rows(conninfo, sql):
    out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-d", conninfo, "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def pairs(n):
    return n * (n - 1) // 2


def main():
    corpus_db, gen_db, corpus, out = sys.argv[1:5]
    works = ("SELECT p.path, w.work_id, a.print_kind IS NOT NULL FROM midi_file_paths p"
             " JOIN file_works w ON w.file_id = p.file_id JOIN file_analysis a ON a.file_id = p.file_id")
    source_work = {}
    source_printed = {}
    for path, work, printed in rows(corpus_db, works):
        rel = path[len(corpus) + 1:] if path.startswith(corpus + "/") else path
        source_work[rel] = work
        source_printed[rel] = printed == "t"
    gen_work = {}
    for path, work, _ in rows(gen_db, works):
        gen_work[path[len(out) + 1:] if path.startswith(out + "/") else path] = work
    truth = {}
    printed = {}
    with open(out + ".ground-truth.csv", newline="") as f:
        for r in csv.DictReader(f):
            if r["file"] in gen_work:
                truth[r["file"]] = source_work.get(r["source"], "source:" + r["source"])
                printed[r["file"]] = source_printed.get(r["source"], False)
    files = list(truth)
    predicted = Counter(gen_work[f] for f in files)
    true = Counter(truth[f] for f in files)
    both = Counter((truth[f], gen_work[f]) for f in files)
    tp = sum(pairs(n) for n in both.values())
    pred_pairs = sum(pairs(n) for n in predicted.values())
    true_pairs = sum(pairs(n) for n in true.values())
    true_printed = sum(pairs(n) for n in Counter(truth[f] for f in files if printed[f]).values())
    tp_printed = sum(pairs(n) for n in Counter((truth[f], gen_work[f]) for f in files if printed[f]).values())
    print(json.dumps({
        "bench": "works_accuracy",
        "files": len(files),
        "works": len(predicted),
        "precision": round(tp / pred_pairs, 5) if pred_pairs else 1.0,
        "recall": round(tp / true_pairs, 5) if true_pairs else 1.0,
        "recall_fingerprinted": round(tp_printed / true_printed, 5) if true_printed else 1.0,
        "true_pairs": true_pairs,
        "predicted_pairs": pred_pairs,
    }))


if __name__ == "__main__":
    main()
