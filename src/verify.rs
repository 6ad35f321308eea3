//! Stage 6, verify: candidate pairs → exact overlap scores, from the documents' shingle sets.
//!
//! Shingle sets are not kept for the whole corpus: the documents of a few thousand candidate
//! pairs are read again, fingerprinted, compared and dropped, batch after batch. Pairs are
//! ordered by the connected component they belong to, so a family of copies is usually read
//! once, in one batch.
//!
//! Invariants: scores are exact set arithmetic on sorted, de-duplicated shingle sets; which
//! pairs a batch holds, and the order of the results, depend on the pairs and the room, never
//! on the thread count. Accepted pairs are kept in [`Known`], 12 bytes each where the overlap can
//! be computed again from the two set sizes.

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
    Overlap::of_counts(intersection_len(a, b), a.len(), b.len())
}

impl Overlap {
    /// The overlap of two sets of `a` and `b` elements that share `shared`: what [`overlap`]
    /// gives for such sets, bit for bit.
    pub fn of_counts(shared: usize, a: usize, b: usize) -> Overlap {
        let ratio = |num: usize, den: usize| {
            if den == 0 {
                0.0
            } else {
                num as f64 / den as f64
            }
        };
        Overlap {
            jaccard: ratio(shared, a + b - shared),
            a_in_b: ratio(shared, a),
            b_in_a: ratio(shared, b),
            shared,
        }
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

/// Verified overlaps of document pairs `(a, b)`, `a < b`, looked up by pair. A pair whose
/// overlap is the plain one of the two documents' whole sets takes 12 bytes (the sets' sizes
/// are known elsewhere, so the scores are computed again from the shared count, bit for bit),
/// so that the millions of pairs verified among a site's near-identical pages stay small;
/// others (body containment, estimates) keep the whole overlap.
#[derive(Clone, Debug, Default)]
pub struct Known {
    /// `(a, b, shared)`, sorted.
    counts: Vec<(u32, u32, u32)>,
    /// Where each `a` starts in `counts` (`starts[a]..starts[a + 1]`), when there are at least
    /// [`Known::INDEX_MIN`] of them; else empty.
    starts: Vec<u32>,
    /// `(a, b, overlap)`, sorted.
    whole: Vec<(u32, u32, Overlap)>,
    /// Bytes of pairs kept at most (see [`Known::with_room`]); `None`: every pair pushed.
    room: Option<usize>,
}

impl Known {
    /// A table that keeps pairs while they take at most `bytes`, and leaves out the rest:
    /// whoever needs one of those computes it again, to the same value. Which pairs are kept
    /// depends on the order of the pushes.
    pub fn with_room(bytes: usize) -> Known {
        Known {
            room: Some(bytes),
            ..Known::default()
        }
    }

    /// Adds the overlap `o` of `a` and `b`, documents of `sizes` shingles, if there is room.
    /// Call [`Known::seal`] before looking anything up.
    pub fn push(&mut self, a: u32, b: u32, o: Overlap, sizes: (u32, u32)) {
        if let Some(room) = self.room {
            let used = self.counts.len() * size_of::<(u32, u32, u32)>()
                + self.whole.len() * size_of::<(u32, u32, Overlap)>();
            if used + size_of::<(u32, u32, Overlap)>() > room {
                return;
            }
        }
        let plain = Overlap::of_counts(o.shared, sizes.0 as usize, sizes.1 as usize);
        match u32::try_from(o.shared) {
            Ok(shared) if plain == o => self.counts.push((a, b, shared)),
            _ => self.whole.push((a, b, o)),
        }
    }

    /// Pairs from which [`Known::seal`] indexes them by first document: a lookup in the
    /// millions of pairs of a large family of near-copies then searches the few hundred of one
    /// document instead of all of them, most of which are out of cache (a third of `dedup`'s
    /// time on 30,000 variants of one article went to the whole-table search).
    pub const INDEX_MIN: usize = 1 << 15;

    /// Sorts what was pushed, for [`Known::get`].
    pub fn seal(&mut self) {
        self.counts.par_sort_unstable_by_key(|&(a, b, _)| (a, b));
        self.whole.par_sort_unstable_by_key(|&(a, b, _)| (a, b));
        self.counts.shrink_to_fit();
        self.whole.shrink_to_fit();
        self.starts = Vec::new();
        if self.counts.len() >= Self::INDEX_MIN && u32::try_from(self.counts.len()).is_ok() {
            let last = self.counts.last().map_or(0, |p| p.0 as usize);
            let mut starts = Vec::with_capacity(last + 2);
            for (i, &(a, _, _)) in self.counts.iter().enumerate() {
                while starts.len() <= a as usize {
                    starts.push(i as u32);
                }
            }
            starts.push(self.counts.len() as u32);
            self.starts = starts;
        }
    }

    /// The overlap of `a` and `b` (`a < b`), when known; `size` gives a document's shingles.
    pub fn get(&self, a: u32, b: u32, size: impl Fn(u32) -> u32) -> Option<Overlap> {
        let (from, counts) = if self.starts.is_empty() {
            (0, &self.counts[..])
        } else if (a as usize) + 1 < self.starts.len() {
            let (lo, hi) = (self.starts[a as usize], self.starts[a as usize + 1]);
            (lo as usize, &self.counts[lo as usize..hi as usize])
        } else {
            (0, &[][..])
        };
        if let Ok(i) = counts.binary_search_by_key(&(a, b), |&(x, y, _)| (x, y)) {
            let shared = self.counts[from + i].2 as usize;
            return Some(Overlap::of_counts(
                shared,
                size(a) as usize,
                size(b) as usize,
            ));
        }
        self.whole
            .binary_search_by_key(&(a, b), |&(x, y, _)| (x, y))
            .ok()
            .map(|i| self.whole[i].2)
    }

    /// How many pairs are known.
    pub fn len(&self) -> usize {
        self.counts.len() + self.whole.len()
    }

    /// Whether no pair is known.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every pair known, in no particular order.
    pub fn pairs(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        let counts = self.counts.iter().map(|&(a, b, _)| (a, b));
        counts.chain(self.whole.iter().map(|&(a, b, _)| (a, b)))
    }
}

/// Hashes document numbers (and pairs of them) for the maps of [`Checker::run`] and of the
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

/// Exact overlaps of `pairs` (document indices below `n_docs`), index for index. `load` gives a
/// document's shingle sets, or `None` when it can no longer be read (its pairs then get
/// `None`); `score` compares two of them. At most `max_docs` documents' sets are held at once;
/// a document is read again only when the documents still needed after it do not fit.
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
    let mut order = pairs.to_vec();
    let mut got: Vec<(u32, u32, Overlap)> = Vec::new();
    let checker = Checker {
        n_docs,
        room: (max_docs, |_| 1),
        load,
        score,
        wanted: |_: &Overlap| true,
    };
    checker.run(&mut order, |_, batch| got.extend(batch));
    got.sort_unstable_by_key(|&(a, b, _)| (a, b));
    pairs
        .iter()
        .map(|&(a, b)| {
            got.binary_search_by_key(&(a, b), |&(x, y, _)| (x, y))
                .ok()
                .map(|i| got[i].2)
        })
        .collect()
}

/// Most pairs scored in one batch: what a batch gives back stays small even when a family of
/// thousands of near-identical documents fits in it whole, with millions of pairs.
pub const BATCH_PAIRS: usize = 1 << 18;

/// Whether `skip` names `pair`; if so, marks it as left unscored by swapping it in place,
/// `(b, a)`: the mark [`Checker::run_skipping`] and `Analysis::overlaps_skipping` leave.
pub(crate) fn left_out(pair: &mut (u32, u32), skip: &mut impl FnMut(u32, u32) -> bool) -> bool {
    let out = skip(pair.0, pair.1);
    if out {
        *pair = (pair.1, pair.0);
    }
    out
}

/// How [`Checker::run`] verifies pairs.
pub struct Checker<L, F, K, W> {
    /// Documents are numbered below this.
    pub n_docs: usize,
    /// `(room, weight)`: the documents whose sets are held at once weigh at most `room`
    /// together (or are one pair), a document `d` weighing `weight(d)` (its sets' bytes, say, so
    /// that long documents are fewer at once).
    pub room: (usize, W),
    /// A document's shingle sets, or `None` when it can no longer be read (its pairs are then
    /// left out).
    pub load: L,
    /// The overlap of two documents' sets.
    pub score: F,
    /// Which overlaps are given back.
    pub wanted: K,
}

impl<S, L, F, K, W> Checker<L, F, K, W>
where
    S: Send + Sync,
    L: Fn(u32) -> Option<S> + Sync,
    F: Fn(&S, &S) -> Overlap + Sync,
    K: Fn(&Overlap) -> bool + Sync,
    W: Fn(u32) -> usize,
{
    /// Scores `pairs` and hands the overlaps `wanted` takes to `each`, batch after batch, as
    /// `(a, b, overlap)` after the number of pairs the batch checked: memory for one batch of
    /// results, not for every pair checked (millions, among a site's near-identical pages).
    /// `pairs` is left ordered by connected component, each component's pairs by pairs of
    /// blocks of its documents, then by the document of the later block (see the code): the
    /// order batches follow. Which batch a pair lands in depends on the room, never on the
    /// thread count.
    pub fn run<E>(&self, pairs: &mut [(u32, u32)], each: E)
    where
        E: FnMut(usize, Vec<(u32, u32, Overlap)>),
    {
        self.run_skipping(pairs, |_, _| false, each);
    }

    /// [`Checker::run`], leaving unscored the pairs `skip` names when their batch is formed
    /// (after every earlier batch went to `each`); they count among the pairs a batch checked,
    /// and are left swapped in `pairs`, `(b, a)`: with pairs given as `a < b`, the skipped ones
    /// are those with `a > b`. Their documents are not read for them.
    pub fn run_skipping<P, E>(&self, pairs: &mut [(u32, u32)], mut skip: P, mut each: E)
    where
        P: FnMut(u32, u32) -> bool,
        E: FnMut(usize, Vec<(u32, u32, Overlap)>),
    {
        let (room, weight) = (self.room.0, &self.room.1);
        let (n_docs, load, score, wanted) = (self.n_docs, &self.load, &self.score, &self.wanted);
        // Each document's component, so that a family is read together.
        let mut uf = UnionFind::new(n_docs);
        for &(a, b) in pairs.iter() {
            uf.union(a, b);
        }
        let component: Vec<u32> = (0..n_docs as u32).map(|d| uf.find(d)).collect();
        drop(uf);
        // The documents of each component, by number, cut into blocks weighing half the room
        // at most; the pairs sorted in place by block pair (for each block, its pairs with
        // itself, then with each later block), and within one by the document of the later
        // block. While a block's pairs go by, the room holds that block (its documents are the
        // ones needed last soonest, which the eviction below keeps) and the documents of the
        // later blocks stream through the other half, each needed for one run of pairs: a
        // component far larger than the room (thousands of near copies, with `--containment`)
        // reads each block once per block before it, not each document once per batch.
        let mut block: Vec<u32> = vec![0; n_docs];
        {
            let mut paired = vec![false; n_docs];
            for &(a, b) in pairs.iter() {
                paired[a as usize] = true;
                paired[b as usize] = true;
            }
            let mut docs: Vec<u32> = (0..n_docs as u32).filter(|&d| paired[d as usize]).collect();
            drop(paired);
            docs.par_sort_unstable_by_key(|&d| (component[d as usize], d));
            let (mut current, mut filled) = (0u32, 0usize);
            let mut previous = None;
            for &d in &docs {
                let (c, w) = (component[d as usize], weight(d));
                if previous != Some(c) || (filled > 0 && filled + w > room / 2) {
                    current += 1;
                    filled = 0;
                }
                previous = Some(c);
                filled += w;
                block[d as usize] = current;
            }
        }
        drop(component);
        pairs.par_sort_unstable_by_key(|&(a, b)| {
            // `(block, document)` of the earlier and the later side.
            let (early, late) = ((block[a as usize], a), (block[b as usize], b));
            let (early, late) = (early.min(late), early.max(late));
            u128::from(early.0) << 96
                | u128::from(late.0) << 64
                | u128::from(late.1) << 32
                | u128::from(early.1)
        });
        drop(block);
        // Where each document is needed for the last time: until then, a document read for one
        // batch is kept for the next, so that a family larger than a batch (templated pages,
        // thousands alike) is not read again batch after batch.
        let mut last_use: Vec<u32> = vec![0; n_docs];
        for (at, &(a, b)) in pairs.iter().enumerate() {
            last_use[a as usize] = at as u32;
            last_use[b as usize] = at as u32;
        }
        // Documents read and still needed; `None` for one that could not be read.
        let mut held: DocMap<u32, Option<S>> = DocMap::default();
        // What the documents in `held` weigh together.
        let mut held_weight = 0usize;
        let mut start = 0;
        while start < pairs.len() {
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
            let (a, b) = pairs[start];
            let fresh = |d: u32| if held.contains_key(&d) { 0 } else { weight(d) };
            if held_weight + fresh(a) + if a != b { fresh(b) } else { 0 } > room {
                held.retain(|&d, _| d == a || d == b);
                held_weight = held.keys().map(|&d| weight(d)).sum();
            }
            let mut new: DocSet = DocSet::default();
            let mut new_weight = 0;
            let mut end = start;
            // The batch's pairs to score.
            let mut todo: Vec<(u32, u32)> = Vec::new();
            while end < pairs.len() && end - start < BATCH_PAIRS {
                if left_out(&mut pairs[end], &mut skip) {
                    end += 1;
                    continue;
                }
                let (a, b) = pairs[end];
                let fresh = |d: &u32| !held.contains_key(d) && !new.contains(d);
                let extra = if fresh(&a) { weight(a) } else { 0 }
                    + if fresh(&b) && a != b { weight(b) } else { 0 };
                // Always at least one pair.
                if !todo.is_empty() && held_weight + new_weight + extra > room {
                    break;
                }
                for d in [a, b] {
                    if !held.contains_key(&d) && new.insert(d) {
                        new_weight += weight(d);
                    }
                }
                todo.push((a, b));
                end += 1;
            }
            held_weight += new_weight;
            let mut list: Vec<u32> = new.into_iter().collect();
            list.sort_unstable();
            let loaded: Vec<(u32, Option<S>)> = list.par_iter().map(|&d| (d, load(d))).collect();
            held.extend(loaded);
            let scored: Vec<(u32, u32, Overlap)> = todo
                .par_iter()
                .filter_map(|&(a, b)| match (held.get(&a), held.get(&b)) {
                    (Some(Some(x)), Some(Some(y))) => {
                        Some((a, b, score(x, y))).filter(|p| wanted(&p.2))
                    }
                    _ => None,
                })
                .collect();
            each(end - start, scored);
            start = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Leaving out the pairs already in one component changes no component: documents scored
    /// batch by batch (room for three at once), skipping what the accepted pairs of earlier
    /// batches joined, fall into the components of scoring every pair. Skipped pairs are left
    /// swapped, and their documents are not read for them.
    #[test]
    fn skipping_joined_pairs_keeps_the_components() {
        // Document d is 0..60 shifted by 10 d, the second chain by 1000 more: d and d + 1 share
        // 50 of 70, d and d + 2 40 of 80, d and d + 3 30 of 90.
        let set = |d: u32| -> Vec<u64> {
            let start = u64::from(d) * 10 + if d >= 12 { 1000 } else { 0 };
            (start..start + 60).collect()
        };
        let n = 24;
        let pairs: Vec<(u32, u32)> = (0..n)
            .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
            .collect();
        let accepted = |o: &Overlap| o.jaccard >= 0.5;
        let components = |uf: &mut UnionFind| -> Vec<u32> { (0..n).map(|d| uf.find(d)).collect() };
        // Every pair scored.
        let mut all = UnionFind::new(n as usize);
        for &(a, b) in &pairs {
            if accepted(&overlap(&set(a), &set(b))) {
                all.union(a, b);
            }
        }
        let loads = AtomicUsize::new(0);
        let checker = Checker {
            n_docs: n as usize,
            room: (3, |_| 1),
            load: |d: u32| {
                loads.fetch_add(1, Ordering::Relaxed);
                Some(set(d))
            },
            score: |a: &Vec<u64>, b: &Vec<u64>| overlap(a, b),
            wanted: accepted,
        };
        let uf = std::cell::RefCell::new(UnionFind::new(n as usize));
        let mut order = pairs.clone();
        let mut scored = 0;
        checker.run_skipping(
            &mut order,
            |a, b| {
                let mut uf = uf.borrow_mut();
                uf.find(a) == uf.find(b)
            },
            |_, batch| {
                scored += batch.len();
                for (a, b, _) in batch {
                    uf.borrow_mut().union(a, b);
                }
            },
        );
        let mut uf = uf.into_inner();
        assert_eq!(components(&mut uf), components(&mut all));
        let skipped: Vec<(u32, u32)> = order.iter().copied().filter(|p| p.0 > p.1).collect();
        assert!(!skipped.is_empty());
        for &(b, a) in &skipped {
            assert_eq!(uf.find(a), uf.find(b), "{a} {b}");
        }
        let mut back: Vec<(u32, u32)> =
            order.iter().map(|p| (p.0.min(p.1), p.0.max(p.1))).collect();
        back.sort_unstable();
        assert_eq!(back, pairs);
        // Without skipping, every accepted pair is given back and more documents are read.
        let reads_skipping = loads.swap(0, Ordering::Relaxed);
        let mut order = pairs.clone();
        let mut every = 0;
        checker.run(&mut order, |_, batch| every += batch.len());
        assert!(every > scored, "{every} {scored}");
        assert!(loads.load(Ordering::Relaxed) > reads_skipping);
    }

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
    fn known_pairs_read_back_as_pushed() {
        // Plain overlaps are kept as counts, a body overlap whole; each reads back exactly.
        let sets: [&[u64]; 4] = [
            &[1, 2, 3, 4],
            &[3, 4, 5, 6, 7, 8],
            &[1, 2, 3],
            &[2, 3, 4, 9],
        ];
        let size = |d: u32| sets[d as usize].len() as u32;
        let mut known = Known::default();
        let mut body = overlap(sets[2], sets[3]);
        body.a_in_b = 1.0;
        let mut pushed = vec![(2, 3, body)];
        for (a, b) in [(1, 2), (0, 3), (0, 1)] {
            pushed.push((a, b, overlap(sets[a as usize], sets[b as usize])));
        }
        for &(a, b, o) in &pushed {
            known.push(a, b, o, (size(a), size(b)));
        }
        known.seal();
        assert_eq!((known.counts.len(), known.whole.len()), (3, 1));
        for &(a, b, o) in &pushed {
            assert_eq!(known.get(a, b, size), Some(o), "{a} {b}");
        }
        assert_eq!(known.get(0, 2, size), None);
        assert_eq!(known.len(), 4);
        // Sizes that do not match the shared count keep the overlap whole too.
        let mut odd = Known::default();
        odd.push(0, 1, overlap(sets[0], sets[1]), (9, 9));
        odd.seal();
        assert_eq!(odd.whole.len(), 1);
        assert_eq!(odd.get(0, 1, |_| 9), Some(overlap(sets[0], sets[1])));
    }

    #[test]
    fn a_known_table_with_room_keeps_the_first_pairs_that_fit() {
        let size = |_| 10;
        // Room for three plain pairs and a fourth's worth less a byte: three are kept.
        let room = 3 * size_of::<(u32, u32, u32)>() + size_of::<(u32, u32, Overlap)>() - 1;
        let mut known = Known::with_room(room);
        for b in 1..=6u32 {
            known.push(0, b, Overlap::of_counts(b as usize, 10, 10), (10, 10));
        }
        known.seal();
        assert_eq!(known.len(), 3);
        for b in 1..=6u32 {
            let want = (b <= 3).then(|| Overlap::of_counts(b as usize, 10, 10));
            assert_eq!(known.get(0, b, size), want, "{b}");
        }
    }

    #[test]
    fn indexed_pairs_read_back_as_pushed() {
        // Enough pairs for the index by first document; documents without pairs between them
        // and after the last, and pairs never pushed, are not found.
        let size = |d: u32| 40 + d % 7;
        let mut pushed = Vec::new();
        for a in (0..4000u32).filter(|a| a % 5 != 3) {
            for b in (a + 1..a + 40).step_by(3) {
                pushed.push((a, b, (a + b) % 30));
            }
        }
        assert!(pushed.len() >= Known::INDEX_MIN);
        let mut known = Known::default();
        for &(a, b, shared) in pushed.iter().rev() {
            let o = Overlap::of_counts(shared as usize, size(a) as usize, size(b) as usize);
            known.push(a, b, o, (size(a), size(b)));
        }
        known.seal();
        assert!(!known.starts.is_empty());
        for &(a, b, shared) in &pushed {
            let o = known.get(a, b, size).expect("pushed");
            assert_eq!(o.shared, shared as usize, "{a} {b}");
        }
        for (a, b) in [
            (3, 4),
            (8, 9),
            (0, 2),
            (3998, 3999),
            (5000, 5001),
            (u32::MAX - 1, u32::MAX),
        ] {
            assert_eq!(known.get(a, b, size), None, "{a} {b}");
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
        let checker = Checker {
            n_docs: n,
            room,
            load,
            score: |a: &Counted, b: &Counted| overlap(&a.0, &b.0),
            wanted: |_: &Overlap| true,
        };
        let mut order = pairs.to_vec();
        let mut got = Vec::new();
        checker.run(&mut order, |_, batch| got.extend(batch));
        assert_eq!(got.len(), pairs.len());
        for &(a, b, o) in &got {
            let (lo, hi) = (a.min(b), a.max(b));
            assert_eq!(o.jaccard, (lo + 1) as f64 / (hi + 1) as f64, "pair {a} {b}");
        }
        // Every pair once, whatever order the batches took.
        let mut scored: Vec<(u32, u32)> = got.iter().map(|&(a, b, _)| (a, b)).collect();
        scored.sort_unstable();
        let mut want = pairs.to_vec();
        want.sort_unstable();
        assert_eq!(scored, want);
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

    /// A dense family ten times the room goes block pair by block pair: each block of half the
    /// room is read for itself and once for each block before it, not each document once per
    /// batch (the order by document read 40,935 times here).
    #[test]
    fn a_family_far_larger_than_the_room_is_read_by_blocks() {
        static LIVE: Live = Live::new();
        let (n, room) = (300u32, 30);
        let pairs: Vec<(u32, u32)> = (0..n)
            .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
            .collect();
        let loads = family_run(&pairs, n as usize, room, &LIVE);
        let blocks = n as usize / (room / 2);
        let most = blocks * (blocks + 1) / 2 * (room / 2);
        assert!(
            loads >= n as usize && loads <= most,
            "{loads} loads, {most} at most"
        );
    }

    #[test]
    fn only_the_pairs_wanted_are_given_back_by_family() {
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
        let checker = Checker {
            n_docs: 30,
            room: (4, |_| 1),
            load,
            score: |a: &Vec<u64>, b: &Vec<u64>| overlap(a, b),
            wanted: close,
        };
        let mut order = pairs.clone();
        let mut kept = Vec::new();
        checker.run(&mut order, |_, batch| kept.extend(batch));
        // Pairs by family (0, 1, 2, 9; 6, 7; 20, 21, 25); in the first, with blocks of two
        // documents (0, 1 and 2, 9), the pair inside the first block, then those across by
        // their document in the second.
        assert_eq!(order, [(0, 1), (1, 2), (0, 9), (6, 7), (20, 21), (20, 25)]);
        let want: Vec<(u32, u32, Overlap)> = order
            .iter()
            .filter_map(|p| {
                let i = pairs.iter().position(|q| q == p).unwrap();
                all[i].filter(close).map(|o| (p.0, p.1, o))
            })
            .collect();
        assert_eq!(kept, want);
        let shown: Vec<(u32, u32)> = kept.iter().map(|&(a, b, _)| (a, b)).collect();
        assert_eq!(
            shown,
            [(0, 1), (1, 2), (20, 21)],
            "(20, 25) shares 5 of 15, (0, 9) 1 of 19"
        );
    }

    #[test]
    fn a_batch_holds_at_most_its_pairs() {
        // One family of every pair among 800 documents (319,600 pairs), all of it fitting in the
        // room: the results still come in batches of at most BATCH_PAIRS.
        let n = 800u32;
        let mut pairs: Vec<(u32, u32)> = (0..n)
            .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
            .collect();
        let total = pairs.len();
        let checker = Checker {
            n_docs: n as usize,
            room: (n as usize, |_| 1),
            load: |d: u32| Some(vec![u64::from(d)]),
            score: |a: &Vec<u64>, b: &Vec<u64>| overlap(a, b),
            wanted: |_: &Overlap| true,
        };
        let mut sizes = Vec::new();
        checker.run(&mut pairs, |checked, batch| {
            assert_eq!(checked, batch.len(), "every pair is wanted");
            sizes.push(batch.len());
        });
        assert!(sizes.len() >= 2, "{sizes:?}");
        assert!(sizes.iter().all(|&s| s <= BATCH_PAIRS), "{sizes:?}");
        assert_eq!(sizes.iter().sum::<usize>(), total);
    }
}
