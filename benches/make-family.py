#!/usr/bin/env python3
"""Writes a folder with one huge family of near-identical articles, for measuring memory and
time when every pair of thousands of documents is a candidate (README: "A family of thousands
of copies").

Usage: make-family.py SOURCE OUT [VARIANTS] [OTHERS]

SOURCE is a folder written by gen-corpus (its docs/ sub-folders, e.g. /tmp/n150/docs); OUT
gets VARIANTS (default 30000) copies of SOURCE's first article, each on one line with 1 to 25
of its words replaced by words of a State of the Union address when SOTU (env, default
/tmp/sotu/1861_abraham_lincoln_r.txt) exists, else by numbered words; and the next OTHERS
(default 4000, fewer if the first three sub-folders hold fewer) articles of SOURCE unchanged.
The same arguments write the same files.
"""
import os
import random
import shutil
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    src, out = sys.argv[1], sys.argv[2]
    variants = int(sys.argv[3]) if len(sys.argv) > 3 else 30000
    others = int(sys.argv[4]) if len(sys.argv) > 4 else 4000
    rng = random.Random(7)
    files = []
    for sub in sorted(os.listdir(src))[:3]:
        folder = os.path.join(src, sub)
        files.extend(os.path.join(folder, f) for f in sorted(os.listdir(folder)))
    with open(files[0], encoding="utf-8") as f:
        words = f.read().split()
    sotu = os.environ.get("SOTU", "/tmp/sotu/1861_abraham_lincoln_r.txt")
    if os.path.exists(sotu):
        with open(sotu, encoding="utf-8") as f:
            vocabulary = f.read().split()
    else:
        vocabulary = [f"word{i}" for i in range(5000)]
    for i in range(variants):
        changed = list(words)
        for _ in range(rng.randint(1, 25)):
            changed[rng.randrange(len(changed))] = rng.choice(vocabulary)
        folder = os.path.join(out, "f%02d" % (i // 1000))
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "v%05d.txt" % i), "w", encoding="utf-8") as f:
            f.write(" ".join(changed))
    folder = os.path.join(out, "others")
    os.makedirs(folder, exist_ok=True)
    for j, path in enumerate(files[1 : others + 1]):
        shutil.copy(path, os.path.join(folder, "o%05d.txt" % j))


if __name__ == "__main__":
    main()
