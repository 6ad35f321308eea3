"""datasketch (pip install datasketch==2.0.*): MinHash with 128 permutations and MinHashLSH at
Jaccard 0.45 over the same word 4-gram shingles, no verification (datasketch has none).
Usage: python datasketch_scan.py FOLDER > result.json"""
import sys
import time

from datasketch import MinHash, MinHashLSH

from common import log, peak_mib, read_folder, shingles, write_clusters

t0 = time.time()
ids, texts = read_folder(sys.argv[1])
lsh = MinHashLSH(threshold=0.45, num_perm=128)
sigs = []
for i, text in enumerate(texts):
    m = MinHash(num_perm=128)
    m.update_batch([s.encode("utf-8") for s in shingles(text)])
    sigs.append(m)
    lsh.insert(i, m)
pairs = [(i, j) for i, m in enumerate(sigs) for j in lsh.query(m) if i < j]
write_clusters(ids, pairs, sys.stdout)
log(f"datasketch: {len(ids)} documents in {time.time() - t0:.2f} s, peak {peak_mib():.0f} MiB")
