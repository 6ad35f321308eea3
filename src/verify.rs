//! Stage 6, verify: candidate pairs → exact overlap scores, from the documents' shingle sets.
//!
//! Shingle sets are not kept for the whole corpus: the documents of a few thousand candidate
//! pairs are read again, fingerprinted, compared and dropped, batch after batch. Pairs are
//! ordered by the connected component they belong to, so a family of copies is usually read
//! once, in one batch.
//!
//! Invariants: scores are exact set arithmetic on sorted, de-duplicated shingle sets; the result
//! for pair `i` is at index `i`, whatever the thread count.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use rayon::prelude::*;

use crate::cluster::UnionFind;
use crate::shingle::intersection_len;

/// Exact overlap of two shingle sets A and B. The default is no overlap at all.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Overlap {
    /// |A ∩ B| / |A ∪ B|.
    pub jaccard: f64,
    /// |A ∩ B| / |A|: how much of A is found in B.
    pub a_in_b: f64,
    /// |A ∩ B| / |B|.
    pub b_in_a: f64,
    /// |A ∩ B|.
    pub shared: usize,
}

/// The overlap of two sorted, de-duplicated shingle sets.
///
/// ```
/// let o = neardup::verify::overlap(&[1, 2, 3, 4], &[3, 4, 5, 6, 7, 8]);
/// assert_eq!(o.shared, 2);
/// assert_eq!(o.jaccard, 0.25);
/// assert_eq!(o.a_in_b, 0.5);
/// ```
pub fn overlap(a: &[u64], b: &[u64]) -> Overlap {
    let shared = intersection_len(a, b);
    let ratio = |num: usize, den: usize| {
        if den == 0 {
            0.0
        } else {
            num as f64 / den as f64
        }
    };
    Overlap {
        jaccard: ratio(shared, a.len() + b.len() - shared),
        a_in_b: ratio(shared, a.len()),
        b_in_a: ratio(shared, b.len()),
        shared,
    }
}

/// The shingles of one document as verification needs them.
#[derive(Clone, Debug, Default)]
pub struct Sets {
    /// Every shingle, sorted and unique; shared, so that a set the first pass kept is lent to
    /// verification rather than copied.
    pub all: std::sync::Arc<[u64]>,
    /// The shingles of the document's body lines (see [`body_overlap`]), sorted and unique;
    /// empty when only Jaccard is wanted.
    pub body: Vec<u64>,
}

/// Like [`overlap`], but containment counts only the body shingles of the contained side:
/// `a_in_b` is the share of A's body shingles found among all of B's. A side without body
/// shingles counts all of its shingles. Page furniture of one page alone (its headline, byline,
/// links to other stories, a "continue reading" teaser) then does not hide a truncated copy.
pub fn body_overlap(a: &Sets, b: &Sets) -> Overlap {
    let mut o = overlap(&a.all, &b.all);
    let share = |body: &[u64], other: &[u64]| {
        if body.is_empty() {
            None
        } else {
            Some(intersection_len(body, other) as f64 / body.len() as f64)
        }
    };
    if let Some(x) = share(&a.body, &b.all) {
        o.a_in_b = x;
    }
    if let Some(x) = share(&b.body, &a.all) {
        o.b_in_a = x;
    }
    o
}

/// Hashes document numbers (and pairs of them) for the maps of [`overlaps_kept`] and of the
/// cluster stage, which look documents up once or twice per pair (millions of times among a
/// site's near-identical pages): one multiplication per number instead of SipHash. Not for
/// keys an adversary picks.
#[derive(Default)]
pub struct DocHasher(u64);

impl Hasher for DocHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u32(u32::from(b));
        }
    }
    fn write_u32(&mut self, d: u32) {
        // The product's high half is well mixed; the table takes its bucket from the low bits.
        self.0 = (u64::from(d) ^ self.0)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(32);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map keyed by document numbers or pairs of them, hashed by [`DocHasher`].
pub type DocMap<K, V> = HashMap<K, V, BuildHasherDefault<DocHasher>>;
type DocSet = HashSet<u32, BuildHasherDefault<DocHasher>>;

/// Exact overlaps of `pairs` (document indices below `n_docs`). `load` gives a document's
/// shingle sets, or `None` when it can no longer be read (its pairs then get `None`); `score`
/// compares two of them. At most `max_docs` documents' sets are held at once; a document is
/// read again only when the documents still needed after it do not fit.
pub fn overlaps<S, L, F>(
    pairs: &[(u32, u32)],
    n_docs: usize,
    max_docs: usize,
    load: L,
    score: F,
) -> Vec<Option<Overlap>>
where
    S: Send + Sync,
    L: Fn(u32) -> Option<S> + Sync,
    F: Fn(&S, &S) -> Overlap + Sync,
{
    let mut results = vec![None; pairs.len()];
    for (i, o) in overlaps_kept(pairs, n_docs, (max_docs, |_| 1), load, score, |_| true) {
        results[i as usize] = Some(o);
    }
    results
}

/// As [`overlaps`], but only the pairs whose overlap `wanted` takes, as `(index in pairs,
/// overlap)` in index order: memory for the pairs that pass, not for every pair checked
/// (millions, among a site's near-identical pages). `room` is `(room, weight)`: the documents
/// whose sets are held at once weigh at most `room` together (or are one pair), a document
/// `d` weighing `weight(d)` (its sets' bytes, say, so that long documents are fewer at once).
pub fn overlaps_kept<S, L, F, K, W>(
    pairs: &[(u32, u32)],
    n_docs: usize,
    room: (usize, W),
    load: L,
    score: F,
    wanted: K,
) -> Vec<(u32, Overlap)>
where
    S: Send + Sync,
    L: Fn(u32) -> Option<S> + Sync,
    F: Fn(&S, &S) -> Overlap + Sync,
    K: Fn(&Overlap) -> bool + Sync,
    W: Fn(u32) -> usize,
{
    let (room, weight) = room;
    let mut uf = UnionFind::new(n_docs);
    for &(a, b) in pairs {
        uf.union(a, b);
    }
    // Pairs by component, each component's in their given order (for sorted pairs, by
    // document); each pair's component found once, not at every comparison of the sort.
    let mut keyed: Vec<u64> = pairs
        .iter()
        .enumerate()
        .map(|(i, &(a, _))| u64::from(uf.find(a)) << 32 | i as u64)
        .collect();
    keyed.par_sort_unstable();
    let order: Vec<u32> = keyed.into_iter().map(|k| k as u32).collect();
    // Where each document is needed for the last time: until then, a document read for one
    // batch is kept for the next, so that a family larger than a batch (templated pages,
    // thousands alike) is not read again batch after batch.
    let mut last_use: Vec<u32> = vec![0; n_docs];
    for (at, &i) in order.iter().enumerate() {
        let (a, b) = pairs[i as usize];
        last_use[a as usize] = at as u32;
        last_use[b as usize] = at as u32;
    }
    let mut results: Vec<(u32, Overlap)> = Vec::new();
    // Documents read and still needed; `None` for one that could not be read.
    let mut held: DocMap<u32, Option<S>> = DocMap::default();
    // What the documents in `held` weigh together.
    let mut held_weight = 0usize;
    let mut start = 0;
    while start < order.len() {
        held.retain(|&d, _| {
            let needed = last_use[d as usize] as usize >= start;
            if !needed {
                held_weight -= weight(d);
            }
            needed
        });
        // Room for at least half a batch of new documents.
        if held_weight > room / 2 {
            // Still needed but too many to keep: those needed last are read again later.
            let mut by_last: Vec<(u32, u32)> =
                held.keys().map(|&d| (last_use[d as usize], d)).collect();
            by_last.sort_unstable();
            let mut kept = 0;
            for &(_, d) in &by_last {
                if kept + weight(d) <= room / 2 {
                    kept += weight(d);
                } else {
                    held.remove(&d);
                }
            }
            held_weight = kept;
        }
        // And always for the next pair, whatever it weighs.
        let (a, b) = pairs[order[start] as usize];
        let fresh = |d: u32| if held.contains_key(&d) { 0 } else { weight(d) };
        if held_weight + fresh(a) + if a != b { fresh(b) } else { 0 } > room {
            held.retain(|&d, _| d == a || d == b);
            held_weight = held.keys().map(|&d| weight(d)).sum();
        }
        let mut new: DocSet = DocSet::default();
        let mut new_weight = 0;
        let mut end = start;
        while end < order.len() {
            let (a, b) = pairs[order[end] as usize];
            let fresh = |d: &u32| !held.contains_key(d) && !new.contains(d);
            let extra = if fresh(&a) { weight(a) } else { 0 }
                + if fresh(&b) && a != b { weight(b) } else { 0 };
            // Always at least one pair.
            if end > start && held_weight + new_weight + extra > room {
                break;
            }
            for d in [a, b] {
                if !held.contains_key(&d) && new.insert(d) {
                    new_weight += weight(d);
                }
            }
            end += 1;
        }
        held_weight += new_weight;
        let mut list: Vec<u32> = new.into_iter().collect();
        list.sort_unstable();
        let loaded: Vec<(u32, Option<S>)> = list.par_iter().map(|&d| (d, load(d))).collect();
        held.extend(loaded);
        let batch = &order[start..end];
        let scored: Vec<(u32, Overlap)> = batch
            .par_iter()
            .filter_map(|&i| {
                let (a, b) = pairs[i as usize];
                match (held.get(&a), held.get(&b)) {
                    (Some(Some(x)), Some(Some(y))) => {
                        Some((i, score(x, y))).filter(|p| wanted(&p.1))
                    }
                    _ => None,
                }
            })
            .collect();
        results.extend(scored);
        start = end;
    }
    // Batches follow the families, not the input order.
    results.sort_unstable_by_key(|p| p.0);
    results
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn overlap_table() {
        type Case<'a> = (&'a [u64], &'a [u64], f64, f64, f64);
        let cases: [Case; 4] = [
            (&[1, 2, 3], &[1, 2, 3], 1.0, 1.0, 1.0),
            (&[1, 2], &[3, 4], 0.0, 0.0, 0.0),
            (&[1, 2], &[1, 2, 3, 4], 0.5, 1.0, 0.5),
            (&[], &[], 0.0, 0.0, 0.0),
        ];
        for (a, b, j, ab, ba) in cases {
            let o = overlap(a, b);
            assert_eq!((o.jaccard, o.a_in_b, o.b_in_a), (j, ab, ba), "{a:?} {b:?}");
        }
    }

    #[test]
    fn body_containment_ignores_page_furniture() {
        // A: body 1..=8 plus furniture 100, 101; B holds all of A's body.
        let a = Sets {
            all: vec![1, 2, 3, 4, 5, 6, 7, 8, 100, 101].into(),
            body: (1..=8).collect(),
        };
        let b = Sets {
            all: (1..=20).collect(),
            body: (1..=20).collect(),
        };
        let o = body_overlap(&a, &b);
        assert_eq!(o.a_in_b, 1.0);
        assert_eq!(o.b_in_a, 8.0 / 20.0);
        assert_eq!(o.jaccard, overlap(&a.all, &b.all).jaccard);
        let no_body = Sets {
            all: a.all.clone(),
            body: Vec::new(),
        };
        assert_eq!(body_overlap(&no_body, &b).a_in_b, 0.8);
    }

    #[test]
    fn scores_land_at_their_pair_and_memory_is_bounded() {
        // Document d holds the shingles 0..=d; one doc cannot be loaded.
        let pairs: Vec<(u32, u32)> = vec![(0, 9), (3, 4), (1, 2), (5, 6), (7, 8), (2, 3), (8, 10)];
        let loads = AtomicUsize::new(0);
        let load = |d: u32| {
            loads.fetch_add(1, Ordering::Relaxed);
            (d != 10).then(|| (0..=d as u64).collect::<Vec<u64>>())
        };
        let got = overlaps(&pairs, 11, 3, load, |a, b| overlap(a, b));
        for (&(a, b), o) in pairs.iter().zip(&got) {
            if b == 10 {
                assert!(o.is_none());
                continue;
            }
            let want = (a + 1) as f64 / (b + 1) as f64;
            assert_eq!(o.unwrap().jaccard, want, "pair {a} {b}");
        }
        // With room for 3 documents a batch, some documents are read more than once, but
        // never more often than they appear in pairs.
        assert!(loads.load(Ordering::Relaxed) <= pairs.len() * 2);
    }

    /// Sets that count what they weigh alive together, and the most ever alive at once.
    struct Counted(Vec<u64>, &'static Live, usize);
    struct Live {
        now: AtomicUsize,
        most: AtomicUsize,
    }
    impl Live {
        const fn new() -> Live {
            Live {
                now: AtomicUsize::new(0),
                most: AtomicUsize::new(0),
            }
        }
        fn hold(&'static self, set: Vec<u64>, weight: usize) -> Counted {
            let now = self.now.fetch_add(weight, Ordering::SeqCst) + weight;
            self.most.fetch_max(now, Ordering::SeqCst);
            Counted(set, self, weight)
        }
    }
    impl Drop for Counted {
        fn drop(&mut self) {
            self.1.now.fetch_sub(self.2, Ordering::SeqCst);
        }
    }

    fn family_run(pairs: &[(u32, u32)], n: usize, max_docs: usize, live: &'static Live) -> usize {
        weighed_run(pairs, n, (max_docs, |_| 1), live)
    }

    /// Runs `pairs` of documents `d` = the set `0..=d` with `room`, checks every overlap and
    /// that the documents alive at once never weighed more than the room, and gives the loads.
    fn weighed_run(
        pairs: &[(u32, u32)],
        n: usize,
        room: (usize, fn(u32) -> usize),
        live: &'static Live,
    ) -> usize {
        let loads = AtomicUsize::new(0);
        let (max_docs, weight) = room;
        let load = |d: u32| {
            loads.fetch_add(1, Ordering::Relaxed);
            Some(live.hold((0..=d as u64).collect(), weight(d)))
        };
        let score = |a: &Counted, b: &Counted| overlap(&a.0, &b.0);
        let got = overlaps_kept(pairs, n, room, load, score, |_| true);
        assert_eq!(got.len(), pairs.len());
        for (&(a, b), &(i, o)) in pairs.iter().zip(&got) {
            let (lo, hi) = (a.min(b), a.max(b));
            assert_eq!(o.jaccard, (lo + 1) as f64 / (hi + 1) as f64, "pair {i}");
        }
        assert_eq!(live.now.load(Ordering::SeqCst), 0, "every set is dropped");
        // A pair heavier than the room is held alone.
        let heaviest = pairs.iter().map(|&(a, b)| weight(a) + weight(b)).max();
        let room = max_docs.max(heaviest.unwrap_or(0));
        assert!(
            live.most.load(Ordering::SeqCst) <= room,
            "{} alive at once, room for {room}",
            live.most.load(Ordering::SeqCst)
        );
        loads.load(Ordering::Relaxed)
    }

    #[test]
    fn a_family_larger_than_a_batch_is_read_once() {
        // Templated pages: one family of 200 documents, each matched with its next four, far
        // more documents than one batch holds. Each is read once, and never more than the
        // batch's room is alive.
        static LIVE: Live = Live::new();
        let n = 200u32;
        let pairs: Vec<(u32, u32)> = (0..n)
            .flat_map(|a| (a + 1..(a + 5).min(n)).map(move |b| (a, b)))
            .collect();
        assert_eq!(family_run(&pairs, n as usize, 16, &LIVE), n as usize);
    }

    #[test]
    fn long_documents_are_fewer_at_once() {
        // A family whose documents weigh 1 to 13. With a room of 30 every pair fits, and each
        // batch holds what fits; with a room of 14 some pairs weigh more, and run alone.
        static LIVE: Live = Live::new();
        static TIGHT: Live = Live::new();
        let n = 120u32;
        let pairs: Vec<(u32, u32)> = (0..n)
            .flat_map(|a| (a + 1..(a + 4).min(n)).map(move |b| (a, b)))
            .collect();
        let weight: fn(u32) -> usize = |d| 1 + (d as usize * 7) % 13;
        let loads = weighed_run(&pairs, n as usize, (30, weight), &LIVE);
        assert!(loads >= n as usize && loads <= 2 * pairs.len(), "{loads}");
        weighed_run(&pairs, n as usize, (14, weight), &TIGHT);
    }

    #[test]
    fn a_dense_family_is_read_again_only_when_it_cannot_fit() {
        // Every document paired with every other: no order fits 12 documents at a time, so
        // some are read again, but the room is never exceeded, even the smallest room.
        static LIVE: Live = Live::new();
        static SMALL: Live = Live::new();
        let n = 40u32;
        let pairs: Vec<(u32, u32)> = (0..n)
            .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
            .collect();
        let loads = family_run(&pairs, n as usize, 12, &LIVE);
        assert!(
            loads > n as usize && loads <= 2 * pairs.len(),
            "{loads} loads"
        );
        let loads = family_run(&pairs, n as usize, 2, &SMALL);
        assert!(loads <= 2 * pairs.len(), "{loads} loads");
    }

    #[test]
    fn only_the_pairs_wanted_are_kept_in_pair_order() {
        // Document d is the set 0..10 + d: neighbours share most, distant ones little. Document 7
        // cannot be read.
        let set = |d: u32| -> Vec<u64> { (u64::from(d)..u64::from(d) + 10).collect() };
        let load = |d: u32| (d != 7).then(|| set(d));
        // Two families, listed so that batches do not follow the input order.
        let pairs: Vec<(u32, u32)> = vec![(20, 21), (0, 1), (20, 25), (0, 9), (6, 7), (1, 2)];
        let all = overlaps(&pairs, 30, 4, load, |a: &Vec<u64>, b: &Vec<u64>| {
            overlap(a, b)
        });
        assert_eq!(all[4], None, "document 7 cannot be read");
        let close = |o: &Overlap| o.jaccard >= 0.5;
        let kept = overlaps_kept(&pairs, 30, (4, |_| 1), load, |a, b| overlap(a, b), close);
        let want: Vec<(u32, Overlap)> = all
            .iter()
            .enumerate()
            .filter_map(|(i, o)| o.filter(close).map(|o| (i as u32, o)))
            .collect();
        assert_eq!(kept, want);
        let shown: Vec<u32> = kept.iter().map(|p| p.0).collect();
        assert_eq!(shown, [0, 1, 5], "(20, 25) shares 5 of 15, (0, 9) 1 of 19");
    }
}
