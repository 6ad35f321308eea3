"""gaoya (pip install gaoya==0.2.*): parallel bulk insert and query, the same shingles and LSH
banding as neardup's defaults (word 4-grams, lower case, 42 bands x 3 rows of 126 hashes,
Jaccard threshold 0.45). Usage: python gaoya_scan.py FOLDER > result.json"""
import sys
import time

from gaoya.minhash import MinHashStringIndex

from common import log, peak_mib, read_folder, write_clusters

t0 = time.time()
ids, texts = read_folder(sys.argv[1])
t1 = time.time()
index = MinHashStringIndex(hash_size=32, jaccard_threshold=0.45, num_bands=42, band_size=3,
                           num_hashes=126, analyzer="word", lowercase=True, ngram_range=(4, 4))
index.par_bulk_insert_docs(list(range(len(ids))), texts)
results = index.par_bulk_query(texts)
pairs = [(i, j) for i, found in enumerate(results) for j in found if i < j]
t2 = time.time()
write_clusters(ids, pairs, sys.stdout)
log(f"gaoya: {len(ids)} documents, read {t1 - t0:.2f} s, index+query {t2 - t1:.2f} s, "
    f"total {time.time() - t0:.2f} s, peak {peak_mib():.0f} MiB")
