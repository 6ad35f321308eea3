#!/usr/bin/env python3
"""Day 1 / day 2 check of `neardup index`: add the first half of a corpus, query the second,
and compare the cross-half pairs with those of one `neardup scan` of both halves.

    python3 benches/index/halves.py DAY1_DIR DAY2_DIR [--neardup target/release/neardup]

Prints pair precision and recall of the index against the scan (pairs of one document of each
half that the scan puts in one cluster), add and query speed, and index size per document.
Any neardup option after `--` goes to all three commands (e.g. `-- --threshold 0.5`)."""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def run(cmd):
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    secs = time.perf_counter() - t
    if p.returncode not in (0, 3):
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr}")
    return p.stdout, secs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("day1")
    ap.add_argument("day2")
    ap.add_argument("--neardup", default="target/release/neardup")
    ap.add_argument("--store-shingles", action="store_true")
    ap.add_argument("extra", nargs="*")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        index = os.path.join(tmp, "day1.ndx")
        out, _ = run([a.neardup, "scan", a.day1, a.day2, "--format", "json", "-q"] + a.extra)
        scan = json.loads(out)
        add = [a.neardup, "index", "add", "--index", index, a.day1, "-q"] + a.extra
        if a.store_shingles:
            add.append("--store-shingles")
        _, add_secs = run(add)
        out, query_secs = run(
            [a.neardup, "index", "query", "--index", index, a.day2, "--format", "json", "-q"]
            + a.extra
        )
        result = json.loads(out)
        out, _ = run([a.neardup, "index", "stats", "--index", index, "--format", "json"])
        stats = json.loads(out)
    # Ids of folder inputs are relative to their folder; the scan names both folders, so an
    # id belongs to day 2 exactly when the query saw it.
    day2 = {r["id"] for r in result["results"]}
    truth = set()
    for c in scan["clusters"]:
        ids = [m["id"] for m in c["members"]]
        for x in ids:
            if x in day2:
                continue
            for y in ids:
                if y in day2:
                    truth.add((y, x))
    found = {(r["id"], m["id"]) for r in result["results"] for m in r["matches"]}
    both = len(found & truth)
    day1_docs = stats["documents"]
    print(f"day 1 documents       {day1_docs}")
    print(f"day 2 documents       {len(day2)}")
    print(f"cross-half pairs      scan {len(truth)}, index {len(found)}, both {both}")
    print(f"precision             {both / max(len(found), 1):.4f}")
    print(f"recall                {both / max(len(truth), 1):.4f}")
    print(f"add                   {add_secs:.2f} s, {day1_docs / add_secs:.0f} documents/s")
    print(f"query                 {query_secs:.2f} s, {len(day2) / query_secs:.0f} documents/s")
    print(f"index size            {stats['bytes_on_disk']} bytes, "
          f"{stats['bytes_per_document']:.0f} bytes per document")
    basis = {}
    for r in result["results"]:
        for m in r["matches"]:
            basis[m["basis"]] = basis.get(m["basis"], 0) + 1
    print(f"matches by basis      {json.dumps(basis, sort_keys=True)}")


if __name__ == "__main__":
    main()
