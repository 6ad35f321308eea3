"""Shared by the peer scripts: read a folder like neardup does, and write clusters in the
shape `neardup eval` reads ({"clusters": [{"members": [{"id": ...}]}]})."""
import json
import os
import re
import sys

WORD = re.compile(r"[^\W_]+", re.UNICODE)


def read_folder(root):
    ids, texts = [], []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8", errors="replace") as f:
                texts.append(f.read())
            ids.append(os.path.relpath(path, root).replace(os.sep, "/"))
    return ids, texts


def shingles(text, n=4):
    words = WORD.findall(text.lower())
    if len(words) <= n:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i:i + n]) for i in range(len(words) - n + 1)}


def write_clusters(ids, pairs, out):
    parent = list(range(len(ids)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    groups = {}
    for i in range(len(ids)):
        groups.setdefault(find(i), []).append(ids[i])
    clusters = sorted(sorted(g) for g in groups.values() if len(g) > 1)
    json.dump({"clusters": [{"members": [{"id": i} for i in c]} for c in clusters]}, out)


def peak_mib():
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def log(msg):
    print(msg, file=sys.stderr, flush=True)
