//! Stage 4, minhash: a shingle set → a signature of `k` values (`u32`) whose agreement rate
//! with another signature estimates the two sets' Jaccard similarity.
//!
//! The scheme is SuperMinHash (Ertl, 2017) evaluated round by round. Every shingle draws, for
//! round `j = 0, 1, …, k-1`, a bin from its own random permutation of the `k` bins and a value
//! `j + u` with `u` uniform in [0, 1); each bin keeps the smallest value that reaches it. Round 0
//! alone is one-permutation hashing: one hash evaluation per shingle, which fills every bin of a
//! document with a few hundred shingles or more. Later rounds are evaluated only while some bin
//! could still change (a round-`j` value never beats a value of an earlier round). They run
//! round by round over all shingles, and stop after the round that fills the last empty bin:
//! about `k ln k` draws in all for a short document (each shingle's permutation is then kept
//! whole, a byte per bin), about one extra draw per shingle for a long one. In between, from
//! round 2 on, only where each shingle's permutation holds the few bins still empty is kept.
//!
//! Why this scheme: a bin of two documents agrees exactly when the smallest value over the union
//! of their shingles belongs to a shared shingle, which happens with probability equal to their
//! Jaccard similarity, so the estimator is unbiased; because each shingle visits the bins without
//! replacement, its variance is at most classic k-permutation MinHash's (strictly less for sets
//! of fewer than a few times `k` shingles). Densification schemes for empty bins cost less for
//! tiny documents but have a larger variance there (measured in the tests below).
//!
//! Invariants: identical shingle sets give identical signatures; a signature depends only on
//! the set, the seed and `k`, never on thread count or shingle order. A scan keeps the
//! signatures of a corpus in one flat `Vec<u16>`, the top 16 bits of each value ([`shorten`]),
//! `k` values per document: half the memory, for an agreement by chance of 2^-16 per position
//! that [`short_estimate`] takes out.

use crate::shingle::fmix64;

/// Computes MinHash signatures of length `k` under one seed.
///
/// ```
/// use neardup::minhash::{MinHasher, Scratch};
/// let mh = MinHasher::new(128, 42);
/// let a: Vec<u64> = (0..1000).collect();
/// let b: Vec<u64> = (500..1500).collect();
/// let (mut sa, mut sb) = (vec![0; 128], vec![0; 128]);
/// let mut scratch = Scratch::default();
/// mh.signature_into(&a, &mut scratch, &mut sa);
/// mh.signature_into(&b, &mut scratch, &mut sb);
/// let est = neardup::minhash::estimate(&sa, &sb);
/// assert!((est - 1.0 / 3.0).abs() < 0.15);
/// ```
#[derive(Clone, Debug)]
pub struct MinHasher {
    k: usize,
    seed: u64,
}

/// Reusable buffers for [`MinHasher::signature_into`].
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    mins: Vec<u64>,
    hashes: Vec<u64>,
    /// One later round's mixed hashes, one per shingle.
    round: Vec<u64>,
    rounds: Vec<u32>,
    perm: Vec<u32>,
    stamp: Vec<u32>,
    perms: Vec<u8>,
    /// Breadth-first rounds: `LAZY_SLOTS` (position, bin) entries per shingle, of which the
    /// first `lazy_len` are in use.
    lazy: Vec<(u16, u16)>,
    lazy_len: Vec<u8>,
    /// Round 1 and the breadth-first rounds after it: the bins still empty when the round began.
    open: Vec<bool>,
    /// Tracked rounds: the bins empty after round 1, and where each shingle's permutation
    /// holds them, [`TRACKED`] lanes per shingle.
    tracked_bins: Vec<usize>,
    tracked: Vec<[u8; TRACKED]>,
}

impl Scratch {
    /// Frees the buffers a large set left large (see [`crate::scan::SCRATCH_KEEP`]).
    pub(crate) fn trim(&mut self) {
        crate::scan::release(&mut self.hashes);
        crate::scan::release(&mut self.round);
        crate::scan::release(&mut self.rounds);
        crate::scan::release(&mut self.stamp);
        crate::scan::release(&mut self.perm);
        crate::scan::release(&mut self.perms);
        crate::scan::release(&mut self.lazy);
        crate::scan::release(&mut self.lazy_len);
        crate::scan::release(&mut self.tracked);
    }
}

/// Shingles mixed at a time in round 0: a signature holds the mixed hashes of at most this many
/// shingles at once, unless it needs later rounds.
const ROUND0_CHUNK: usize = 1 << 16;

/// With `k` above 256, sets of at least this many eighths of `k` shingles finish their later
/// rounds breadth-first, smaller ones depth-first.
const BREADTH_FIRST_MIN_EIGHTHS: usize = 18;

/// With `k` up to 256, sets of at least this many eighths of `k` shingles finish their later
/// rounds by tracking where each shingle's permutation holds the bins round 1 left empty (see
/// [`MinHasher::later_rounds_tracked`]); smaller ones, which leave more bins empty, with whole
/// permutations. At k = 128 the two cost the same near 150 shingles; at 200, tracking takes a
/// quarter less time than whole permutations, at 300 two fifths less than the breadth-first
/// rounds it replaced.
const TRACKED_MIN_EIGHTHS: usize = 10;

/// Most bins [`MinHasher::later_rounds_tracked`] follows: more left empty after round 1, and
/// the rounds go on with whole permutations.
const TRACKED: usize = 16;

/// Rounds of a breadth-first signature that keep each shingle's permutation as it goes (see
/// [`MinHasher::later_rounds_breadth_first`]): one entry per round at most.
const LAZY_SLOTS: usize = 16;

/// Bits of a bin value below the round number.
const FRAC_BITS: u32 = 52;
const EMPTY: u64 = u64::MAX;

impl MinHasher {
    /// A hasher for signatures of `k` values (1 ≤ `k` ≤ 4096).
    ///
    /// # Panics
    /// When `k` is out of range; [`crate::config::ScanConfig::validate`] rejects that first.
    pub fn new(k: usize, seed: u64) -> Self {
        assert!(
            (1..=4096).contains(&k),
            "signature length must be from 1 to 4096"
        );
        MinHasher {
            k,
            seed: fmix64(seed ^ 0x5bd1_e995_1234_5678),
        }
    }

    /// Number of values per signature.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Round `j` of a shingle with mixed hash `h`: a position in `j..k` of its permutation and
    /// the value's fraction bits. Round 0 uses `h` itself.
    #[inline]
    fn draw(&self, h: u64, j: usize) -> (usize, u64) {
        let z = if j == 0 { h } else { fmix64(h ^ round_key(j)) };
        self.place(z, j)
    }

    /// `log2 k` when `k` is a power of two above 1: then round 0's product in [`Self::place`]
    /// is a shift by it.
    #[inline]
    fn shift0(&self) -> Option<u32> {
        (self.k.is_power_of_two() && self.k > 1).then(|| self.k.trailing_zeros())
    }

    /// The bin of round 0, as [`Self::place`] gives it.
    #[inline]
    fn bin0(&self, z: u64) -> usize {
        match self.shift0() {
            Some(bits) => (z >> (64 - bits)) as usize,
            None => self.place(z, 0).0,
        }
    }

    /// [`Self::draw`] from the round's mixed hash `z` (`h` itself in round 0).
    #[inline]
    fn place(&self, z: u64, j: usize) -> (usize, u64) {
        let prod = z as u128 * (self.k - j) as u128;
        (j + (prod >> 64) as usize, (prod as u64) >> (64 - FRAC_BITS))
    }

    /// Writes the signature of `shingles` (any order, without repeats) into `out`, which must
    /// hold `k` values. An empty set gives `u32::MAX` everywhere.
    ///
    /// # Panics
    /// When `out.len() != k`.
    pub fn signature_into(&self, shingles: &[u64], s: &mut Scratch, out: &mut [u32]) {
        let k = self.k;
        assert_eq!(out.len(), k, "signature buffer has the wrong length");
        if shingles.is_empty() {
            out.fill(u32::MAX);
            return;
        }
        s.mins.clear();
        s.mins.resize(k, EMPTY);
        // Round 0 for every shingle: one-permutation hashing. A large set is mixed a chunk at
        // a time, so that its mixed hashes are not all held at once (a large document's take
        // as many bytes as its text or more); the later rounds that need them all almost
        // never come for such a set.
        for chunk in shingles.chunks(ROUND0_CHUNK) {
            mix_all(chunk, self.seed, &mut s.hashes);
            self.round0(&s.hashes, &mut s.mins[..k]);
        }
        let mins = &s.mins[..k];
        let filled = mins.iter().filter(|&&m| m != EMPTY).count();
        if filled < k {
            if shingles.len() > ROUND0_CHUNK {
                mix_all(shingles, self.seed, &mut s.hashes);
            }
            if k <= 256 && shingles.len() * 8 >= TRACKED_MIN_EIGHTHS * k {
                self.later_rounds_tracked(s);
            } else if shingles.len() * 8 >= BREADTH_FIRST_MIN_EIGHTHS * k {
                self.later_rounds_breadth_first(s);
            } else if k <= 256 {
                self.later_rounds_small(s, k - filled);
            } else {
                self.later_rounds(s);
            }
        }
        for (o, &m) in out.iter_mut().zip(&s.mins) {
            *o = (fmix64(m) >> 32) as u32;
        }
    }

    /// Round 0 for the mixed hashes `hashes`. With `k` a power of two, the product in
    /// [`Self::place`] is a shift, which saves a wide multiplication per shingle; the loop is
    /// written out for it (one loop through a helper choosing per call measured no faster, at
    /// times slower). Filled bins are counted by the caller afterwards: counted inside, each
    /// shingle's update waited for the one before.
    #[inline]
    fn round0(&self, hashes: &[u64], mins: &mut [u64]) {
        if let Some(bits) = self.shift0() {
            for &h in hashes {
                let slot = &mut mins[(h >> (64 - bits)) as usize];
                *slot = (*slot).min((h << bits) >> (64 - FRAC_BITS));
            }
        } else {
            for &h in hashes {
                let (bin, frac) = self.place(h, 0);
                let slot = &mut mins[bin];
                *slot = (*slot).min(frac);
            }
        }
    }

    /// Rounds 1.. one round at a time over all shingles, for sets large enough that round 0
    /// left only a few bins empty: after the round in which the last empty bin fills, no later
    /// value can win any bin, so that round is the last. Gives exactly the values of
    /// [`Self::later_rounds`], usually after a single extra draw per shingle.
    fn later_rounds_breadth_first(&self, s: &mut Scratch) {
        // Round 1, where almost every such set ends, from all its mixed hashes at once.
        self.round1(s);
        if !s.mins.contains(&EMPTY) {
            return;
        }
        // Rounds 2.. with each shingle's permutation kept as the few positions above the
        // current round whose bin is not their own, up to `LAZY_SLOTS` rounds; replayed from
        // round 0 after that (a set this large that is still not full by then is vanishingly
        // rare).
        let n = s.hashes.len();
        if s.lazy.len() < n * LAZY_SLOTS {
            s.lazy.resize(n * LAZY_SLOTS, (0, 0));
        }
        s.lazy_len.clear();
        s.lazy_len.resize(n, 0);
        for (i, (&h, &z)) in s.hashes.iter().zip(&s.round).enumerate() {
            // After round 0, position r0 holds bin 0; after round 1, position r1 holds what
            // position 1 held.
            let r0 = self.bin0(h);
            let (r1, _) = self.place(z, 1);
            let entries = &mut s.lazy[i * LAZY_SLOTS..];
            let mut len = 0;
            if r0 >= 2 && r0 != r1 {
                entries[len] = (r0 as u16, 0);
                len += 1;
            }
            if r1 >= 2 {
                entries[len] = (r1 as u16, u16::from(r0 != 1));
                len += 1;
            }
            s.lazy_len[i] = len as u8;
        }
        let mut j = 2;
        while j < self.k.min(LAZY_SLOTS) && s.mins.contains(&EMPTY) {
            mix_all(&s.hashes, round_key(j), &mut s.round);
            s.open.clear();
            s.open.extend(s.mins.iter().map(|&m| m == EMPTY));
            for (i, &z) in s.round.iter().enumerate() {
                let (r, frac) = self.place(z, j);
                let len = s.lazy_len[i] as usize;
                let entries = &mut s.lazy[i * LAZY_SLOTS..i * LAZY_SLOTS + LAZY_SLOTS];
                // Entries below `j` are stale but never match: lookups are at `j` and above.
                let find = |entries: &[(u16, u16)], pos: usize| {
                    entries[..len].iter().position(|e| e.0 as usize == pos)
                };
                let held =
                    |at: Option<usize>, pos: usize| at.map_or(pos, |e| entries[e].1 as usize);
                let at_r = find(entries, r);
                let bin = held(at_r, r);
                if s.open[bin] {
                    let slot = &mut s.mins[bin];
                    *slot = (*slot).min((j as u64) << FRAC_BITS | frac);
                }
                if r > j {
                    // Position r now holds what position j held.
                    let moved = held(find(entries, j), j) as u16;
                    match at_r {
                        Some(e) => entries[e].1 = moved,
                        None => {
                            entries[len] = (r as u16, moved);
                            s.lazy_len[i] += 1;
                        }
                    }
                }
            }
            j += 1;
        }
        let mut swaps: Vec<(usize, usize)> = Vec::new();
        while j < self.k && s.mins.contains(&EMPTY) {
            for &h in &s.hashes {
                let (bin, frac) = self.bin_at(h, j, &mut swaps);
                let value = (j as u64) << FRAC_BITS | frac;
                let slot = &mut s.mins[bin];
                *slot = (*slot).min(value);
            }
            j += 1;
        }
    }

    /// Round 1 over all shingles, from all their mixed hashes at once (left in `s.round`). A
    /// value of round 0 beats every later one: only the bins round 0 left empty can change, so
    /// most draws only test a bit.
    fn round1(&self, s: &mut Scratch) {
        mix_all(&s.hashes, round_key(1), &mut s.round);
        s.open.clear();
        s.open.extend(s.mins.iter().map(|&m| m == EMPTY));
        for (&h, &z) in s.hashes.iter().zip(&s.round) {
            // Round 0 swapped positions 0 and r0, so position r1 (≥ 1) holds 0 when r1 == r0.
            let r0 = self.bin0(h);
            let (r1, frac) = self.place(z, 1);
            let bin = if r1 == r0 { 0 } else { r1 };
            if s.open[bin] {
                let slot = &mut s.mins[bin];
                *slot = (*slot).min(1 << FRAC_BITS | frac);
            }
        }
    }

    /// Rounds 1.. for `k` ≤ 256, one round at a time over all shingles, as
    /// [`Self::later_rounds_breadth_first`], for sets that round 1 leaves with at most
    /// [`TRACKED`] empty bins: only those bins can change in later rounds, so of each
    /// shingle's permutation only where it holds them is kept (a byte each, in `j..k`: no
    /// shingle drew them in rounds 0 and 1). A draw of round `j` at position `r` fills the
    /// tracked bin held there, if any, and swaps positions `j` and `r`, which moves a tracked
    /// bin only if it was at `j`. Both tests take one comparison of all lanes at once. Sets
    /// that leave more bins empty go on with [`Self::later_rounds_small`].
    fn later_rounds_tracked(&self, s: &mut Scratch) {
        let k = self.k;
        self.round1(s);
        s.tracked_bins.clear();
        s.tracked_bins
            .extend((0..k).filter(|&b| s.mins[b] == EMPTY));
        let m = s.tracked_bins.len();
        if m == 0 {
            return;
        }
        if m > TRACKED {
            // Round 1 again there changes no value: each bin keeps its smallest.
            self.later_rounds_small(s, m);
            return;
        }
        // Where each shingle's permutation holds the tracked bins after rounds 0 and 1: bin
        // `b` at position `b`, bin 0 at r0 (round 0's swap); the one at position 1 then went to
        // r1. Lanes past `m` hold 0, a position no round from 2 on draws, as does the lane of
        // a bin once drawn. Written in place: lanes built on the stack and copied would wait
        // for their byte writes to land before being read back whole.
        let mut start = [0u8; TRACKED];
        for (lane, &b) in start.iter_mut().zip(&s.tracked_bins) {
            *lane = b as u8;
        }
        let zero = s.tracked_bins[0] == 0;
        let one = s.tracked_bins.iter().position(|&b| b == 1);
        s.tracked.clear();
        s.tracked.resize(s.hashes.len(), start);
        // Most often neither bin 0 nor bin 1 is tracked, and every shingle starts alike.
        if zero || one.is_some() {
            for ((&h, &z), lanes) in s.hashes.iter().zip(&s.round).zip(s.tracked.iter_mut()) {
                let r0 = self.bin0(h);
                let (r1, _) = self.place(z, 1);
                if zero {
                    lanes[0] = r0 as u8;
                }
                // Bin 1 is tracked only if no shingle drew position 1 in round 0.
                match one {
                    Some(lane) => lanes[lane] = r1 as u8,
                    None if zero && r0 == 1 => lanes[0] = r1 as u8,
                    None => {}
                }
            }
        }
        let mut j = 2;
        while j < k && s.tracked_bins.iter().any(|&b| s.mins[b] == EMPTY) {
            mix_all(&s.hashes, round_key(j), &mut s.round);
            for (&z, lanes) in s.round.iter().zip(s.tracked.iter_mut()) {
                let (r, frac) = self.place(z, j);
                let hit = lanes_equal(lanes, r as u8);
                let moved = lanes_equal(lanes, j as u8);
                if hit != 0 {
                    let lane = hit.trailing_zeros() as usize;
                    let slot = &mut s.mins[s.tracked_bins[lane]];
                    *slot = (*slot).min((j as u64) << FRAC_BITS | frac);
                    // The bin drawn goes to position j, which no later round draws.
                    lanes[lane] = 0;
                }
                if moved != 0 && moved != hit {
                    lanes[moved.trailing_zeros() as usize] = r as u8;
                }
            }
            j += 1;
        }
    }

    /// The bin a shingle visits in round `j` and its value's fraction bits, by replaying its
    /// lazy Fisher-Yates permutation (the swaps kept in `swaps`) from round 0.
    fn bin_at(&self, h: u64, j: usize, swaps: &mut Vec<(usize, usize)>) -> (usize, u64) {
        swaps.clear();
        let get = |swaps: &[(usize, usize)], pos: usize| {
            swaps.iter().rev().find(|e| e.0 == pos).map_or(pos, |e| e.1)
        };
        let mut frac = 0;
        for t in 0..=j {
            let (r, f) = self.draw(h, t);
            let (at_t, at_r) = (get(swaps, t), get(swaps, r));
            swaps.push((t, at_r));
            swaps.push((r, at_t));
            frac = f;
        }
        (get(swaps, j), frac)
    }

    /// Rounds 1.. one round at a time, as [`Self::later_rounds_breadth_first`], for sets of
    /// fewer than [`TRACKED_MIN_EIGHTHS`] eighths of `k` shingles and `k` ≤ 256: each
    /// shingle's permutation of the bins is kept whole (a byte per bin), so that a draw costs
    /// the same in every round. About `k ln k` draws in all, where depth-first takes about
    /// `k ln² k`. `empty` is the number of bins still empty (round 1 may have been applied
    /// already: applied again, it changes nothing).
    fn later_rounds_small(&self, s: &mut Scratch, mut empty: usize) {
        let k = self.k;
        s.perms.clear();
        for &h in &s.hashes {
            let start = s.perms.len();
            s.perms.extend((0..k).map(|b| b as u8));
            let (r0, _) = self.draw(h, 0);
            s.perms.swap(start, start + r0);
        }
        // Shingle `p`'s draw of round `j`: position `r` of its permutation, and the value's
        // fraction bits. Of the swap of positions j and r, only r is written: later rounds
        // draw from positions above j. Returns whether the bin was empty.
        let visit = |mins: &mut [u64], p: &mut [u8], j: usize, r: usize, frac: u64| {
            let bin = p[r] as usize;
            p[r] = p[j];
            let slot = &mut mins[bin];
            let was_empty = *slot == EMPTY;
            *slot = (*slot).min((j as u64) << FRAC_BITS | frac);
            was_empty
        };
        let mut j = 1;
        // A few dozen shingles or more: each round's hashes mixed at once, and the empty bins
        // counted once per round (counted at every draw, they were a tenth of the work of a
        // round of a few hundred draws). Fewer take many rounds of a few draws each, cheaper
        // one at a time.
        if s.hashes.len() >= 32 {
            while empty > 0 && j < k {
                mix_all(&s.hashes, round_key(j), &mut s.round);
                for (&z, p) in s.round.iter().zip(s.perms.chunks_exact_mut(k)) {
                    let (r, frac) = self.place(z, j);
                    visit(&mut s.mins, p, j, r, frac);
                }
                empty = s.mins.iter().filter(|&&m| m == EMPTY).count();
                j += 1;
            }
        } else {
            while empty > 0 && j < k {
                for (&h, p) in s.hashes.iter().zip(s.perms.chunks_exact_mut(k)) {
                    let (r, frac) = self.draw(h, j);
                    empty -= usize::from(visit(&mut s.mins, p, j, r, frac));
                }
                j += 1;
            }
        }
    }

    /// Rounds 1.. with SuperMinHash's pruning: a shingle stops at the first round above the
    /// largest round any bin's value comes from, since no later value can win a bin.
    fn later_rounds(&self, s: &mut Scratch) {
        let k = self.k;
        // rounds[r]: bins whose value comes from round r; empty bins count as round k-1.
        s.rounds.clear();
        s.rounds.resize(k, 0);
        for &m in &s.mins {
            let r = if m == EMPTY { k - 1 } else { 0 };
            s.rounds[r] += 1;
        }
        let mut top = k - 1;
        while s.rounds[top] == 0 {
            top -= 1;
        }
        s.perm.clear();
        s.perm.resize(k, 0);
        s.stamp.clear();
        s.stamp.resize(k, u32::MAX);
        for (i, &h) in s.hashes.iter().enumerate() {
            if top == 0 {
                break;
            }
            let stamp = i as u32;
            // The lazy permutation starts as the identity, with round 0's swap applied.
            let (r0, _) = self.draw(h, 0);
            s.stamp[0] = stamp;
            s.perm[0] = 0;
            s.stamp[r0] = stamp;
            s.perm[r0] = 0;
            s.perm[0] = r0 as u32;
            let mut j = 1;
            while j <= top {
                let (r, frac) = self.draw(h, j);
                if s.stamp[j] != stamp {
                    s.stamp[j] = stamp;
                    s.perm[j] = j as u32;
                }
                if s.stamp[r] != stamp {
                    s.stamp[r] = stamp;
                    s.perm[r] = r as u32;
                }
                s.perm.swap(j, r);
                let bin = s.perm[j] as usize;
                let value = (j as u64) << FRAC_BITS | frac;
                let old = s.mins[bin];
                if value < old {
                    s.mins[bin] = value;
                    let old_round = if old == EMPTY {
                        k - 1
                    } else {
                        (old >> FRAC_BITS) as usize
                    };
                    if j < old_round {
                        s.rounds[old_round] -= 1;
                        s.rounds[j] += 1;
                        while s.rounds[top] == 0 {
                            top -= 1;
                        }
                    }
                }
                j += 1;
            }
        }
    }
}

/// Share of positions where two signatures agree: the MinHash estimate of Jaccard similarity.
///
/// # Panics
/// When the signatures differ in length.
pub fn estimate(a: &[u32], b: &[u32]) -> f64 {
    assert_eq!(a.len(), b.len(), "signatures of different lengths");
    if a.is_empty() {
        return 0.0;
    }
    let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
    same as f64 / a.len() as f64
}

/// A bit for each lane of `lanes` equal to `x`, lane 0 lowest: one SSE2 comparison (every
/// x86-64 has SSE2).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn lanes_equal(lanes: &[u8; TRACKED], x: u8) -> u32 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of every x86-64 target; the load reads the 16 bytes of `lanes`.
    unsafe {
        let v = _mm_loadu_si128(lanes.as_ptr().cast::<__m128i>());
        _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(x as i8))) as u32
    }
}

/// A bit for each lane of `lanes` equal to `x`, lane 0 lowest.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn lanes_equal(lanes: &[u8; TRACKED], x: u8) -> u32 {
    lanes
        .iter()
        .enumerate()
        .fold(0, |mask, (i, &l)| mask | (u32::from(l == x) << i))
}

/// The key mixed into a shingle's hash for round `j` ≥ 1.
#[inline]
fn round_key(j: usize) -> u64 {
    (j as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// `out[i] = fmix64(input[i] ^ key)`: four at a time where [`crate::shingle::wide`] is
/// available, which takes about a third off a signature of a news-sized document; the same
/// values either way.
fn mix_all(input: &[u64], key: u64, out: &mut Vec<u64>) {
    out.clear();
    out.resize(input.len(), 0);
    #[cfg(target_arch = "x86_64")]
    {
        if input.len() >= 16 && crate::shingle::wide::available() {
            // SAFETY: the CPU has the features `mix_wide` is compiled for.
            unsafe { mix_wide(input, key, out) };
            return;
        }
    }
    mix_into(input, key, out);
}

#[inline(always)]
fn mix_into(input: &[u64], key: u64, out: &mut [u64]) {
    for (o, &x) in out.iter_mut().zip(input) {
        *o = fmix64(x ^ key);
    }
}

/// [`mix_into`], four lanes at a time.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx512f,avx512dq,avx512vl")]
fn mix_wide(input: &[u64], key: u64, out: &mut [u64]) {
    use crate::shingle::wide;
    use std::arch::x86_64::{_mm256_set1_epi64x, _mm256_xor_si256};
    let key4 = _mm256_set1_epi64x(key as i64);
    let mut chunks = input.chunks_exact(4);
    let mut outs = out.chunks_exact_mut(4);
    for (x, o) in (&mut chunks).zip(&mut outs) {
        wide::store(o, wide::fmix64(_mm256_xor_si256(wide::load(x), key4)));
    }
    mix_into(chunks.remainder(), key, outs.into_remainder());
}

/// Chance that two values of unrelated shingles agree in their top 16 bits.
const SHORT_CHANCE: f64 = 1.0 / 65_536.0;

/// A signature value as [`shorten`] keeps it: its top 16 bits.
#[inline]
pub fn short_value(v: u32) -> u16 {
    (v >> 16) as u16
}

/// The [`short_value`] of each value of `sig`, into `out` (same length).
///
/// # Panics
/// When the lengths differ.
pub fn shorten(sig: &[u32], out: &mut [u16]) {
    assert_eq!(sig.len(), out.len(), "signatures of different lengths");
    for (o, &v) in out.iter_mut().zip(sig) {
        *o = short_value(v);
    }
}

/// The Jaccard estimate from `same` agreeing positions out of `k` of two [`shorten`]ed
/// signatures: the agreement rate less the chance agreement of unrelated 16-bit values.
pub fn short_estimate_of(same: usize, k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    ((same as f64 / k as f64 - SHORT_CHANCE) / (1.0 - SHORT_CHANCE)).max(0.0)
}

/// [`estimate`] for [`shorten`]ed signatures.
///
/// # Panics
/// When the signatures differ in length.
pub fn short_estimate(a: &[u16], b: &[u16]) -> f64 {
    assert_eq!(a.len(), b.len(), "signatures of different lengths");
    let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
    short_estimate_of(same, a.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Classic k-permutation MinHash, the yardstick for bias and variance.
    fn classic(set: &[u64], k: usize, seed: u64) -> Vec<u64> {
        (0..k as u64)
            .map(|i| {
                let s = fmix64(seed ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
                set.iter().map(|&x| fmix64(x ^ s)).min().unwrap_or(u64::MAX)
            })
            .collect()
    }

    fn jaccard(a: &[u64], b: &[u64]) -> f64 {
        let inter = crate::shingle::intersection_len(a, b) as f64;
        inter / (a.len() as f64 + b.len() as f64 - inter)
    }

    fn sig(mh: &MinHasher, set: &[u64]) -> Vec<u32> {
        let mut out = vec![0; mh.k()];
        mh.signature_into(set, &mut Scratch::default(), &mut out);
        out
    }

    /// Two overlapping sets with sizes (n_a, n_b) sharing `shared` elements, drawn from `base`.
    fn pair(base: u64, n_a: u64, n_b: u64, shared: u64) -> (Vec<u64>, Vec<u64>) {
        let a: Vec<u64> = (0..n_a).map(|i| fmix64(base + i)).collect();
        let mut b: Vec<u64> = (0..shared).map(|i| fmix64(base + i)).collect();
        b.extend((0..n_b - shared).map(|i| fmix64(base + 1_000_000 + i)));
        let (mut a, mut b) = (a, b);
        a.sort_unstable();
        b.sort_unstable();
        (a, b)
    }

    #[test]
    fn identical_sets_identical_signatures() {
        let mh = MinHasher::new(64, 3);
        let set: Vec<u64> = (0..50).map(fmix64).collect();
        let mut rev = set.clone();
        rev.reverse();
        assert_eq!(sig(&mh, &set), sig(&mh, &rev));
        assert_eq!(estimate(&sig(&mh, &set), &sig(&mh, &rev)), 1.0);
    }

    #[test]
    fn disjoint_sets_rarely_agree() {
        let mh = MinHasher::new(128, 3);
        let (a, b) = pair(7, 400, 400, 0);
        assert!(estimate(&sig(&mh, &a), &sig(&mh, &b)) < 0.05);
    }

    /// Round 0 of `set`, one [`MinHasher::draw`] at a time: the scratch later rounds start from.
    fn round_zero_by_draws(mh: &MinHasher, set: &[u64]) -> Scratch {
        let mut s = Scratch::default();
        s.mins.resize(mh.k(), EMPTY);
        for &x in set {
            let h = fmix64(x ^ mh.seed);
            s.hashes.push(h);
            let (bin, frac) = mh.draw(h, 0);
            s.mins[bin] = s.mins[bin].min(frac);
        }
        s
    }

    #[test]
    fn all_later_round_strategies_agree() {
        for k in [64usize, 128, 256] {
            let mh = MinHasher::new(k, 9);
            for n in [1usize, 5, 40, 130, 300, 420, 700] {
                let set: Vec<u64> = (0..n as u64).map(|i| fmix64(i + 77)).collect();
                let mut a = round_zero_by_draws(&mh, &set);
                let (mut b, mut c, mut d) = (a.clone(), a.clone(), a.clone());
                let empty = c.mins.iter().filter(|&&m| m == EMPTY).count();
                mh.later_rounds(&mut a);
                mh.later_rounds_breadth_first(&mut b);
                mh.later_rounds_small(&mut c, empty);
                mh.later_rounds_tracked(&mut d);
                assert_eq!(a.mins, b.mins, "k = {k}, {n} shingles");
                assert_eq!(a.mins, c.mins, "k = {k}, {n} shingles");
                assert_eq!(a.mins, d.mins, "k = {k}, {n} shingles");
                assert!(!a.mins.contains(&EMPTY));
            }
        }
    }

    /// The breadth-first and tracked rounds keep each shingle's permutation in part (a few
    /// moved positions; where it holds the bins still empty); few bins make every case of it
    /// common (a draw of position 1 in round 0, a later draw of a position moved before, bin 0
    /// left empty, sets that need many rounds, more empty bins than are tracked), so many
    /// small sets compare them with the plainest strategy.
    #[test]
    fn breadth_first_rounds_agree_on_many_small_sets() {
        let mut tracked_rounds = 0;
        for k in [3usize, 4, 8, 16, 40, 128] {
            let mh = MinHasher::new(k, 3);
            for trial in 0..300u64 {
                let n = [k / 2, k, 2 * k, 3 * k][trial as usize % 4].max(1);
                let set: Vec<u64> = (0..n as u64).map(|i| fmix64(trial << 20 | i)).collect();
                let mut a = round_zero_by_draws(&mh, &set);
                let (mut b, mut c) = (a.clone(), a.clone());
                mh.later_rounds(&mut a);
                mh.later_rounds_breadth_first(&mut b);
                mh.later_rounds_tracked(&mut c);
                assert_eq!(a.mins, b.mins, "k = {k}, trial {trial}");
                assert_eq!(a.mins, c.mins, "k = {k}, trial {trial}");
                tracked_rounds += usize::from((1..=TRACKED).contains(&c.tracked_bins.len()));
            }
        }
        // Hundreds of these sets went through the tracked rounds rather than their fallback.
        assert!(tracked_rounds > 500, "{tracked_rounds}");
    }

    /// Round 0 by a shift (`k` a power of two) gives the signature of the general product,
    /// here replayed one draw at a time and finished with the plainest later rounds.
    #[test]
    fn round_zero_by_shift_gives_the_signature_of_the_product() {
        for k in [1usize, 2, 64, 100, 128, 1024] {
            let mh = MinHasher::new(k, 5);
            for n in [1usize, 7, 90, 700, 5000] {
                let set: Vec<u64> = (0..n as u64).map(|i| fmix64(i * 31 + 5)).collect();
                let mut r = round_zero_by_draws(&mh, &set);
                if r.mins.contains(&EMPTY) {
                    mh.later_rounds(&mut r);
                }
                let want: Vec<u32> = r.mins.iter().map(|&m| (fmix64(m) >> 32) as u32).collect();
                assert_eq!(sig(&mh, &set), want, "k = {k}, {n} shingles");
            }
        }
    }

    /// Sets mixed a chunk at a time in round 0 get the signature of the set mixed at once; and
    /// a long input of few distinct values (round 0 leaves bins for later rounds) gets the
    /// signature of those values alone.
    #[test]
    fn round_zero_in_chunks_gives_the_signature_of_the_whole() {
        let mh = MinHasher::new(128, 4);
        let n = 3 * ROUND0_CHUNK + 7;
        let set: Vec<u64> = (0..n as u64).map(|i| fmix64(i * 13 + 1)).collect();
        let r = round_zero_by_draws(&mh, &set);
        assert!(!r.mins.contains(&EMPTY));
        let want: Vec<u32> = r.mins.iter().map(|&m| (fmix64(m) >> 32) as u32).collect();
        assert_eq!(sig(&mh, &set), want);

        let few: Vec<u64> = (0..40u64).map(|i| fmix64(i + 900)).collect();
        // All of them in the first chunk, only one in the last.
        let mut long: Vec<u64> = few.iter().copied().cycle().take(ROUND0_CHUNK).collect();
        long.extend(std::iter::repeat_n(few[0], 99));
        assert_eq!(sig(&mh, &long), sig(&mh, &few));
    }

    #[test]
    fn empty_set_is_all_max() {
        let mh = MinHasher::new(16, 3);
        assert!(sig(&mh, &[]).iter().all(|&v| v == u32::MAX));
    }

    /// Over many pairs with known Jaccard (short sets with mostly empty bins, and long ones),
    /// the mean error stays near zero (unbiased) and the mean squared error is no worse than
    /// classic MinHash's on the same pairs, within sampling noise.
    #[test]
    fn unbiased_with_classic_variance() {
        let k = 128;
        // (size of A, size of B, shared): from far fewer shingles than bins to far more.
        let shapes = [
            (3, 3, 2),
            (10, 12, 6),
            (40, 40, 30),
            (100, 80, 50),
            (300, 300, 150),
            (1000, 900, 800),
        ];
        for (n_a, n_b, shared) in shapes {
            let trials = 400;
            let (mut bias_oph, mut mse_oph, mut mse_classic) = (0.0, 0.0, 0.0);
            let mut exact = 0.0;
            for t in 0..trials {
                let seed = 1000 + t;
                let (a, b) = pair(seed * 10_000_000, n_a, n_b, shared);
                exact = jaccard(&a, &b);
                let mh = MinHasher::new(k, seed);
                let e = estimate(&sig(&mh, &a), &sig(&mh, &b));
                bias_oph += e - exact;
                mse_oph += (e - exact).powi(2);
                let (ca, cb) = (classic(&a, k, seed), classic(&b, k, seed));
                let c = ca.iter().zip(&cb).filter(|(x, y)| x == y).count() as f64 / k as f64;
                mse_classic += (c - exact).powi(2);
            }
            let n = trials as f64;
            let (bias, mse_o, mse_c) = (bias_oph / n, mse_oph / n, mse_classic / n);
            let sd = (exact * (1.0 - exact) / k as f64).sqrt();
            assert!(
                bias.abs() < 4.0 * sd / n.sqrt() + 1e-9,
                "{n_a}/{n_b}/{shared}: bias {bias} (J {exact})"
            );
            assert!(
                mse_o <= mse_c * 1.25 + 1e-12,
                "{n_a}/{n_b}/{shared}: mse {mse_o} vs classic {mse_c}"
            );
        }
    }

    #[test]
    fn mixing_many_at_once_equals_one_at_a_time() {
        // Lengths around the four-lane blocks, so that the scalar tail is covered too.
        let input: Vec<u64> = (0..23u64)
            .map(|i| i.wrapping_mul(0x1234_5678_9abc_def1))
            .collect();
        let mut out = vec![7u64; 3];
        for n in 0..=input.len() {
            mix_all(&input[..n], 0xfeed, &mut out);
            let want: Vec<u64> = input[..n].iter().map(|&x| fmix64(x ^ 0xfeed)).collect();
            assert_eq!(out, want, "{n}");
        }
    }

    #[test]
    fn shortened_signatures_estimate_as_full_ones() {
        let mh = MinHasher::new(128, 11);
        let short = |v: &[u32]| {
            let mut out = vec![0u16; v.len()];
            shorten(v, &mut out);
            out
        };
        for trial in 0..400u64 {
            let (a, b) = pair(trial * 10_000_000, 300, 300, trial % 301);
            let (fa, fb) = (sig(&mh, &a), sig(&mh, &b));
            let (sa, sb) = (short(&fa), short(&fb));
            // A shortened pair agrees wherever the full one does, and elsewhere only by chance
            // (2^-16 a position): at most one extra position here, and the correction for
            // chance takes off no more than 1e-4.
            let (full, got) = (estimate(&fa, &fb), short_estimate(&sa, &sb));
            assert!(
                got >= full - 1e-4 && got <= full + 1.0 / 128.0,
                "{trial}: short {got}, full {full}"
            );
            assert_eq!(short_estimate(&sa, &sa), 1.0);
        }
        // Signatures that agree nowhere estimate zero, not below.
        let (x, y) = (vec![1u16; 128], vec![2u16; 128]);
        assert_eq!(short_estimate(&x, &y), 0.0);
    }

    proptest::proptest! {
        #[test]
        fn estimate_stays_near_exact_jaccard(
            shared in 0u64..300, only_a in 0u64..300, only_b in 0u64..300, seed in 0u64..1000
        ) {
            proptest::prop_assume!(shared + only_a > 0 && shared + only_b > 0);
            let (a, b) = pair(seed * 10_000_000, shared + only_a, shared + only_b, shared);
            let mh = MinHasher::new(128, seed);
            let e = estimate(&sig(&mh, &a), &sig(&mh, &b));
            let j = jaccard(&a, &b);
            proptest::prop_assert!((e - j).abs() <= 3.0 / (128f64).sqrt(), "estimate {} exact {}", e, j);
        }
    }
}
