//! Stage 5, lsh: signatures → candidate pairs, each pair once.
//!
//! A signature of `k` values is cut into `bands` bands of `rows` values; two documents become
//! candidates when all values of at least one band agree. A pair with Jaccard `j` becomes a
//! candidate with probability `1 - (1 - j^rows)^bands`. [`LshParams::for_threshold`] picks the
//! largest `rows` for which a pair exactly at the threshold is a candidate with probability at
//! least [`MIN_RECALL_AT_THRESHOLD`] when every band that fits in `k` is used: larger `rows`
//! means fewer dissimilar pairs to reject later, more bands only raises recall.
//!
//! Bands are processed a few at a time per thread (as many as fit in [`PASS_TABLE_BYTES`], at
//! most eight), each pass reading the signatures once, so memory never holds all tables. A table
//! entry is one `u64`: the high 32 bits of the band's key above the document number, so that
//! sorting plain integers groups a band's documents.
//! Two different bands whose keys share those 32 bits make a spurious candidate (about
//! n²/2³³ per band for n documents: two per band at 150,000); the signature estimate drops it.
//!
//! Invariants: every pair `(a, b)` has `a < b`, appears once, and the output is sorted, so it
//! does not depend on thread count.

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::shingle::fmix64;

/// Lowest acceptable probability that a pair exactly at the threshold becomes a candidate.
pub const MIN_RECALL_AT_THRESHOLD: f64 = 0.95;

/// Buckets larger than this (documents sharing one band) pair each member only with its next
/// [`LARGE_BUCKET_WINDOW`] members, so a huge family of copies costs linear, not quadratic,
/// work; the chain still connects the whole family.
pub const LARGE_BUCKET: usize = 256;
/// See [`LARGE_BUCKET`].
pub const LARGE_BUCKET_WINDOW: usize = 32;

/// Bytes of band tables one thread builds in one pass over the signatures (up to eight bands):
/// more bands per pass read the signatures fewer times, at this much memory per thread.
pub const PASS_TABLE_BYTES: usize = 64 << 20;

/// How signatures are cut into bands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LshParams {
    /// Number of bands.
    pub bands: usize,
    /// Signature values per band.
    pub rows: usize,
}

impl LshParams {
    /// Bands and rows for signatures of `k` values and a Jaccard `threshold` in (0, 1].
    ///
    /// ```
    /// use neardup::lsh::LshParams;
    /// let p = LshParams::for_threshold(0.5, 128);
    /// assert!(p.bands * p.rows <= 128);
    /// assert!(p.probability(0.5) >= 0.95);
    /// ```
    pub fn for_threshold(threshold: f64, k: usize) -> LshParams {
        let mut best = LshParams { bands: k, rows: 1 };
        for rows in 1..=k {
            let p = LshParams {
                bands: k / rows,
                rows,
            };
            if p.probability(threshold) >= MIN_RECALL_AT_THRESHOLD {
                best = p;
            }
        }
        best
    }

    /// Probability that a pair of Jaccard similarity `j` becomes a candidate.
    pub fn probability(&self, j: f64) -> f64 {
        1.0 - (1.0 - j.powi(self.rows as i32)).powi(self.bands as i32)
    }
}

/// The hash of the values of one band (full `u32` or shortened `u16` signature values); equal
/// bands give equal keys.
#[inline]
pub(crate) fn band_key<T: Copy + Into<u64>>(values: &[T], band: usize) -> u64 {
    let mut h = (band as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for &v in values {
        h = (h ^ v.into())
            .wrapping_mul(0xd6e8_feb8_6659_fd93)
            .rotate_left(31);
    }
    fmix64(h)
}

/// A document's entry in a band table: the band key's high 32 bits above the document number,
/// so that sorting the entries groups equal keys and orders each group by document.
#[inline]
pub(crate) fn band_entry(key: u64, doc: u32) -> u64 {
    key & !0xffff_ffff | doc as u64
}

/// Sorts band entries whose documents (low 32 bits) are already in ascending order: a stable
/// radix sort on the key bits alone (three passes of 11, 11 and 10 bits) then leaves each
/// key's documents in order, the same result as sorting the whole values, in a fraction of the
/// time for a band of many documents.
/// `other` is scratch space (any contents), reused from call to call.
fn sort_by_key_bits(table: &mut Vec<u64>, other: &mut Vec<u64>) {
    if table.len() < 4096 {
        table.sort_unstable();
        return;
    }
    other.clear();
    other.resize(table.len(), 0);
    // Digits of 11, 11 and 10 bits: above bit 64 the third digit's top bit is always zero.
    let mut counts = vec![0u32; 1 << 11];
    for shift in [32, 43, 54] {
        crate::shingle::counting_pass(table, other, shift, &mut counts);
        std::mem::swap(table, other);
    }
}

/// Appends the pairs of one bucket (documents sharing a band, sorted) to `pairs`, packed as
/// `a << 32 | b` with `a < b`: every pair of a small bucket, each member with its next
/// [`LARGE_BUCKET_WINDOW`] members in a large one.
pub(crate) fn bucket_pairs<F>(bucket: &[u32], keep: &F, pairs: &mut Vec<u64>)
where
    F: Fn(u32, u32) -> bool,
{
    if bucket.len() < 2 {
        return;
    }
    let window = if bucket.len() > LARGE_BUCKET {
        LARGE_BUCKET_WINDOW
    } else {
        bucket.len()
    };
    for (i, &a) in bucket.iter().enumerate() {
        for &b in bucket[i + 1..].iter().take(window) {
            if keep(a, b) {
                pairs.push((a as u64) << 32 | b as u64);
            }
        }
    }
}

/// Pairs waiting to join a [`PairSet`] are merged in once there are this many, or, if that is
/// more, a quarter of those merged already shared among the threads that add pairs.
const FRESH_PAIRS: usize = 1 << 16;

/// Candidate pairs, packed as `a << 32 | b`, that several threads add to: one sorted, unique
/// list. Each thread gathers the pairs of its latest bands in a buffer of its own and merges
/// them in when the buffer is due. A pair usually agrees in several bands, and often in bands
/// of different threads; one list for all keeps memory near the number of distinct pairs (a
/// list per thread held most pairs once per thread, and their union once more), and merging
/// whenever the buffers reach a share of the list keeps the cost linear.
pub(crate) struct PairSet {
    merged: Mutex<Vec<u64>>,
    /// The length of `merged`, read without the lock.
    len: AtomicUsize,
    /// How many threads add pairs.
    writers: usize,
}

impl PairSet {
    /// An empty set that `writers` threads add pairs to.
    pub(crate) fn new(writers: usize) -> Self {
        PairSet {
            merged: Mutex::new(Vec::new()),
            len: AtomicUsize::new(0),
            writers: writers.max(1),
        }
    }

    /// Merges the pairs waiting in `fresh` (in any order, repeats allowed) in when there are
    /// enough of them, leaving `fresh` empty then.
    pub(crate) fn settle_if_due(&self, fresh: &mut Vec<u64>) {
        let share = self.len.load(Ordering::Relaxed) / (4 * self.writers);
        if fresh.len() >= share.max(FRESH_PAIRS) {
            self.settle(fresh);
        }
    }

    /// Merges the pairs waiting in `fresh` in, leaving it empty.
    pub(crate) fn settle(&self, fresh: &mut Vec<u64>) {
        fresh.sort_unstable();
        fresh.dedup();
        let mut merged = self.merged.lock().unwrap_or_else(|e| e.into_inner());
        merge_into(&mut merged, fresh);
        self.len.store(merged.len(), Ordering::Relaxed);
    }

    /// All pairs, sorted and unique.
    pub(crate) fn into_sorted(self) -> Vec<u64> {
        let mut merged = self.merged.into_inner().unwrap_or_else(|e| e.into_inner());
        merged.shrink_to_fit();
        merged
    }
}

/// Merges the sorted, unique `fresh` into the sorted, unique `merged`, leaving `fresh` empty:
/// only the pairs not merged yet are added, in place, into room made at the end of `merged`.
fn merge_into<T: Copy + Ord + Default>(merged: &mut Vec<T>, fresh: &mut Vec<T>) {
    let (mut at, mut kept) = (0, 0);
    for r in 0..fresh.len() {
        let x = fresh[r];
        while at < merged.len() && merged[at] < x {
            at += 1;
        }
        if merged.get(at) != Some(&x) {
            fresh[kept] = x;
            kept += 1;
        }
    }
    fresh.truncate(kept);
    // Merge from the back.
    let (mut i, mut j) = (merged.len(), fresh.len());
    merged.reserve_exact(j);
    merged.resize(i + j, T::default());
    while j > 0 {
        let out = i + j - 1;
        if i > 0 && merged[i - 1] > fresh[j - 1] {
            merged[out] = merged[i - 1];
            i -= 1;
        } else {
            merged[out] = fresh[j - 1];
            j -= 1;
        }
    }
    fresh.clear();
}

/// The union of two sorted, unique lists, sorted and unique, made in the larger one.
pub(crate) fn union_sorted<T: Copy + Ord + Default>(a: Vec<T>, b: Vec<T>) -> Vec<T> {
    let (mut merged, mut fresh) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    merge_into(&mut merged, &mut fresh);
    merged
}

/// Pairs packed as `a << 32 | b`, unpacked in the same order. Converted from the back a
/// chunk at a time, the packed list shrinking behind: a whole copy beside it doubled the largest
/// allocation of the run on a large family of near-copies (11M candidates, 89 MB held twice at
/// the end of the stage). The unpacked list is zeroed memory, resident only as it is written.
pub(crate) fn unpack(mut packed: Vec<u64>) -> Vec<(u32, u32)> {
    const CHUNK: usize = 1 << 20;
    let mut out = vec![(0u32, 0u32); packed.len()];
    while !packed.is_empty() {
        let end = packed.len();
        let start = end.saturating_sub(CHUNK);
        for (o, &p) in out[start..end].iter_mut().zip(&packed[start..]) {
            *o = ((p >> 32) as u32, p as u32);
        }
        packed.truncate(start);
        packed.shrink_to_fit();
    }
    out
}

/// Candidate pairs among the documents listed in `docs` (indices into the flat `signatures`,
/// `k` values each, `u32` or [`crate::minhash::shorten`]ed to `u16`), as `(smaller, larger)`
/// document indices, sorted and unique. Only pairs that `keep` accepts are emitted
/// (containment mode uses it to skip pairs of very different sizes before they cost memory).
pub fn candidates<T, F>(
    signatures: &[T],
    k: usize,
    docs: &[u32],
    params: LshParams,
    keep: F,
) -> Vec<(u32, u32)>
where
    T: Copy + Into<u64> + Sync,
    F: Fn(u32, u32) -> bool + Sync,
{
    assert!(
        params.bands * params.rows <= k,
        "bands × rows exceeds the signature length"
    );
    let ascending = docs.windows(2).all(|w| w[0] < w[1]);
    // Passes of up to eight bands (as many as fit in PASS_TABLE_BYTES), as many passes for
    // every thread, bands spread evenly over them; each thread keeps its tables from one pass
    // to the next, so fresh memory is touched once per thread rather than once per pass.
    let threads = rayon::current_num_threads().max(1);
    let widest = (PASS_TABLE_BYTES / (8 * docs.len().max(1))).clamp(1, 8);
    let passes = params.bands.div_ceil(widest).div_ceil(threads) * threads;
    let group = params.bands.div_ceil(passes.max(1)).max(1);
    let starts: Vec<usize> = (0..params.bands).step_by(group).collect();
    let per_thread = starts.len().div_ceil(threads).max(1);
    let pairs = PairSet::new(threads);
    starts.par_chunks(per_thread).for_each(|firsts| {
        let mut tables: Vec<Vec<u64>> = Vec::new();
        let (mut scratch, mut bucket, mut fresh) = (Vec::new(), Vec::new(), Vec::new());
        for &first in firsts {
            let bands = first..(first + group).min(params.bands);
            tables.resize_with(bands.len(), Vec::new);
            for table in &mut tables {
                table.clear();
                table.reserve(docs.len());
            }
            for &d in docs {
                let sig = &signatures[d as usize * k..][..k];
                for (table, band) in tables.iter_mut().zip(bands.clone()) {
                    let start = band * params.rows;
                    table.push(band_entry(
                        band_key(&sig[start..start + params.rows], band),
                        d,
                    ));
                }
            }
            for table in &mut tables {
                if ascending {
                    sort_by_key_bits(table, &mut scratch);
                } else {
                    table.sort_unstable();
                }
                for group in table.chunk_by(|x, y| x >> 32 == y >> 32) {
                    bucket.clear();
                    bucket.extend(group.iter().map(|&e| e as u32));
                    bucket_pairs(&bucket, &keep, &mut fresh);
                    pairs.settle_if_due(&mut fresh);
                }
            }
        }
        pairs.settle(&mut fresh);
    });
    unpack(pairs.into_sorted())
}

/// Band keys of the documents fingerprinted so far, shared by the threads of the first pass:
/// tells whether a document shares a band with one recorded before it, so most likely will be
/// in a candidate pair, before any table is built. Lossy, never wrong the harmful way for its
/// use: it records only the first [`SEEN_BANDS`] bands, a slot holds 32 bits of a key
/// (two keys alike in those bits pass for one, about once in four billion lookups), and once
/// three quarters full it records nothing more and answers no. Which document counts as first
/// depends on thread timing; whatever is decided with it must not change a result.
pub(crate) struct SeenBands {
    slots: Vec<AtomicU32>,
    mask: usize,
    params: LshParams,
    /// Keys recorded or being recorded, against `limit`.
    filled: AtomicUsize,
    limit: usize,
}

/// The smallest page size of the platforms neardup runs on.
const PAGE_BYTES: usize = 4096;

/// Most bands [`SeenBands`] records of a document.
pub(crate) const SEEN_BANDS: usize = 8;

impl SeenBands {
    /// Room for the first [`SEEN_BANDS`] bands (cut as `params` cuts) of `docs` documents,
    /// within `max_bytes`.
    pub(crate) fn new(docs: usize, params: LshParams, max_bytes: usize) -> SeenBands {
        let params = LshParams {
            bands: params.bands.min(SEEN_BANDS),
            rows: params.rows,
        };
        // Half full at most, for short probe sequences; always room for one document.
        let want = (2 * (docs.max(1) * (params.bands + 1))).next_power_of_two();
        let most = (max_bytes / 4).max(1).next_power_of_two();
        let len = want
            .min(most)
            .max(4 * (params.bands + 1).next_power_of_two());
        let slots: Vec<AtomicU32> = (0..len).map(|_| AtomicU32::new(0)).collect();
        // Large zeroed memory comes as pages not mapped yet. Were a page's first use the load in
        // `shares_a_band`, it would map the shared zero page, and the compare-and-swap after it
        // would have to replace that page and interrupt the other cores to drop it from their
        // TLBs: about 4,000 such interrupts on a 150k-document scan. A store to each page first
        // maps every page once, here, with no other core to tell.
        for slot in slots
            .iter()
            .step_by(PAGE_BYTES / std::mem::size_of::<AtomicU32>())
        {
            slot.store(0, Ordering::Relaxed);
        }
        SeenBands {
            slots,
            mask: len - 1,
            params,
            filled: AtomicUsize::new(0),
            limit: len / 4 * 3,
        }
    }

    /// Records `content` (a hash of the document's text) and the bands of `sig`; true when no
    /// earlier document had this text and one had at least one of these bands.
    pub(crate) fn shares_a_band(&self, content: u64, sig: &[u16]) -> bool {
        // The text's key and one per band.
        let count = self.params.bands + 1;
        if self.filled.fetch_add(count, Ordering::Relaxed) + count > self.limit {
            return false;
        }
        let mut keys = [0u64; SEEN_BANDS + 1];
        // An exact copy is left to the exact-duplicate stage: its bands are its original's.
        keys[0] = fmix64(content ^ 0x5ee9_ba9d_0000_0001);
        for band in 0..self.params.bands {
            let start = band * self.params.rows;
            keys[band + 1] = band_key(&sig[start..start + self.params.rows], band);
        }
        // Every key's first slot is read before any is written: the reads go out to memory
        // together, where each compare-and-swap would wait for the ones before it.
        let mut first = [0u32; SEEN_BANDS + 1];
        for (f, &key) in first.iter_mut().zip(&keys[..count]) {
            *f = self.slots[self.home(key)].load(Ordering::Relaxed);
        }
        if self.record(keys[0], first[0]) {
            return false;
        }
        let mut seen = false;
        for band in 1..=self.params.bands {
            seen |= self.record(keys[band], first[band]);
        }
        seen
    }

    /// The slot where the probe for `key` starts.
    fn home(&self, key: u64) -> usize {
        (key >> 32) as usize & self.mask
    }

    /// Records `key`, whose first slot held `found` when read; true when it was recorded
    /// before.
    fn record(&self, key: u64, mut found: u32) -> bool {
        let tag = key as u32 | 1;
        let mut at = self.home(key);
        loop {
            if found == tag {
                return true;
            }
            if found == 0 {
                match self.slots[at].compare_exchange(0, tag, Ordering::Relaxed, Ordering::Relaxed)
                {
                    Ok(_) => return false,
                    // Taken since it was read: look at what took it.
                    Err(now) => {
                        found = now;
                        continue;
                    }
                }
            }
            at = (at + 1) & self.mask;
            found = self.slots[at].load(Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_bands_answer_for_shared_bands_of_new_texts_only() {
        let params = LshParams { bands: 16, rows: 4 };
        let seen = SeenBands::new(100, params, 1 << 20);
        let a: Vec<u16> = (0..64).collect();
        // `b` agrees with `a` in its third band only; `c` in none.
        let mut b: Vec<u16> = (1000..1064).collect();
        b[8..12].copy_from_slice(&a[8..12]);
        let c: Vec<u16> = (2000..2064).collect();
        assert!(!seen.shares_a_band(1, &a));
        assert!(seen.shares_a_band(2, &b));
        assert!(!seen.shares_a_band(3, &c));
        // A copy of an earlier text is not reported, whatever its bands.
        assert!(!seen.shares_a_band(1, &b));
        // A band past the recorded ones does not count.
        let mut d: Vec<u16> = (3000..3064).collect();
        d[4 * SEEN_BANDS..4 * SEEN_BANDS + 4]
            .copy_from_slice(&a[4 * SEEN_BANDS..4 * SEEN_BANDS + 4]);
        assert!(!seen.shares_a_band(4, &d));
        // Once three quarters full, the table records nothing and says no.
        let tiny = SeenBands::new(1, params, 0);
        let slots = tiny.slots.len();
        let mut saw_full = false;
        for t in 0..slots as u64 {
            let sig: Vec<u16> = (0..64).map(|i| (t * 64 + i) as u16).collect();
            saw_full |= !tiny.shares_a_band(100 + t, &sig)
                && tiny.filled.load(Ordering::Relaxed) > tiny.limit;
        }
        assert!(saw_full);
        // A new text with the bands of the first: a table with room would say yes.
        assert!(!tiny.shares_a_band(u64::MAX, &(0..64).collect::<Vec<u16>>()));
    }

    #[test]
    fn key_bit_sort_equals_a_whole_value_sort() {
        for n in [0u32, 5, 4095, 4096, 20_000] {
            // Documents ascending, keys with many repeats and every bit pattern in between.
            let mut table: Vec<u64> = (0..n)
                .map(|d| band_entry(fmix64(u64::from(d % 97)) ^ u64::from(d % 5) << 40, d))
                .collect();
            let mut want = table.clone();
            want.sort_unstable();
            sort_by_key_bits(&mut table, &mut vec![7; 3]);
            assert!(table == want, "{n}");
        }
    }

    #[test]
    fn merging_sorted_lists_equals_sorting_them_as_one() {
        let lists: Vec<Vec<u64>> = (0..5u64)
            .map(|l| {
                // Overlapping ranges, some values in every list, one list empty.
                let mut v: Vec<u64> = (0..l * 300)
                    .map(|i| ((i * (l + 1)) % 700) | ((i % 3) << 32))
                    .collect();
                v.sort_unstable();
                v.dedup();
                v
            })
            .collect();
        assert!(lists[0].is_empty());
        let mut all: Vec<u64> = lists.concat();
        all.sort_unstable();
        all.dedup();
        assert!(all.len() > lists.iter().map(Vec::len).max().unwrap());
        let union = |lists: &[Vec<u64>]| lists.iter().cloned().fold(Vec::new(), union_sorted);
        assert_eq!(union(&lists), all);
        // In either order of two lists, the smaller one first too.
        assert_eq!(
            union_sorted(lists[1].clone(), lists[4].clone()),
            union(&[lists[4].clone(), lists[1].clone()])
        );
        assert_eq!(union(&lists[2..3]), lists[2]);
        assert!(union(&[]).is_empty());
    }

    #[test]
    fn unpacking_keeps_every_pair_in_order() {
        // Across the chunks it converts at a time, and around them.
        for n in [0usize, 1, (1 << 20) - 1, (1 << 21) + 5] {
            let packed: Vec<u64> = (0..n as u64)
                .map(|i| (i / 3) << 32 | (i * 7 + 1) & 0xffff_ffff)
                .collect();
            let want: Vec<(u32, u32)> = packed
                .iter()
                .map(|&p| ((p >> 32) as u32, p as u32))
                .collect();
            assert_eq!(unpack(packed), want, "{n}");
        }
    }

    /// Pairs added in batches of every size, with repeats within and across batches, come out
    /// sorted and unique, as one sort of them all would give, whenever the merges happen.
    #[test]
    fn a_pair_set_equals_sorting_everything_once() {
        let mut rng = 0x1234_5678_9abc_def0u64;
        let mut next = |m: u64| {
            rng = fmix64(rng.wrapping_add(0x9e37_79b9_7f4a_7c15));
            rng % m
        };
        for batches in [0usize, 1, 3, 40] {
            let set = PairSet::new(2);
            // Two writers' buffers, taking turns.
            let mut fresh = [Vec::new(), Vec::new()];
            let mut all = Vec::new();
            for b in 0..batches {
                // Small value ranges make repeats common; some batches pass FRESH_PAIRS alone.
                let len = if b % 7 == 3 {
                    FRESH_PAIRS + 5
                } else {
                    next(5000) as usize
                };
                let range = 1 + next(200_000);
                for _ in 0..len {
                    let p = next(range) << 32 | next(range);
                    fresh[b % 2].push(p);
                    all.push(p);
                }
                set.settle_if_due(&mut fresh[b % 2]);
                let merged = set.merged.lock().unwrap();
                assert!(merged.windows(2).all(|w| w[0] < w[1]));
                assert_eq!(set.len.load(Ordering::Relaxed), merged.len());
            }
            for f in &mut fresh {
                set.settle(f);
                assert!(f.is_empty());
            }
            all.sort_unstable();
            all.dedup();
            assert_eq!(set.into_sorted(), all, "{batches} batches");
        }
    }

    #[test]
    fn params_meet_the_recall_floor() {
        for k in [16, 64, 128, 256] {
            for t in [0.3, 0.5, 0.7, 0.8, 0.9, 0.95] {
                let p = LshParams::for_threshold(t, k);
                assert!(p.bands * p.rows <= k);
                assert!(
                    p.probability(t) >= MIN_RECALL_AT_THRESHOLD,
                    "k {k} t {t}: {p:?}"
                );
                // One more row per band would miss the floor: rows is the largest that works.
                let tighter = LshParams {
                    bands: k / (p.rows + 1),
                    rows: p.rows + 1,
                };
                assert!(tighter.bands == 0 || tighter.probability(t) < MIN_RECALL_AT_THRESHOLD);
            }
        }
    }

    #[test]
    fn finds_agreeing_bands_once() {
        let k = 8;
        // Docs 0 and 2 agree everywhere, 1 agrees with 0 in the first band only, 3 nowhere.
        let sigs: Vec<u32> = [
            [1, 2, 3, 4, 5, 6, 7, 8],
            [1, 2, 0, 0, 0, 0, 0, 0],
            [1, 2, 3, 4, 5, 6, 7, 8],
            [9, 9, 9, 9, 9, 9, 9, 9],
        ]
        .concat();
        let params = LshParams { bands: 4, rows: 2 };
        let got = candidates(&sigs, k, &[0, 1, 2, 3], params, |_, _| true);
        assert_eq!(got, vec![(0, 1), (0, 2), (1, 2)]);
        // Leaving doc 1 out of the participants removes its pairs.
        assert_eq!(
            candidates(&sigs, k, &[0, 2, 3], params, |_, _| true),
            vec![(0, 2)]
        );
    }

    #[test]
    fn large_buckets_stay_connected() {
        let k = 4;
        let n = LARGE_BUCKET as u32 * 3;
        let sigs: Vec<u32> = (0..n).flat_map(|_| [5u32, 5, 5, 5]).collect();
        let docs: Vec<u32> = (0..n).collect();
        let got = candidates(&sigs, k, &docs, LshParams { bands: 2, rows: 2 }, |_, _| {
            true
        });
        assert!(got.len() < (n as usize) * LARGE_BUCKET_WINDOW);
        // Every doc is paired with its successor, so the family is one chain.
        for d in 0..n - 1 {
            assert!(got.binary_search(&(d, d + 1)).is_ok());
        }
    }
}
