//! Stage 3, shingle: canonical text → the sorted, de-duplicated set of its shingle hashes.
//!
//! Word shingles (the default) are runs of `n` consecutive words. Every word is hashed once
//! ([`crate::normalize::word_hash`], straight from the raw bytes for ASCII text), and each
//! n-gram hash is derived arithmetically from its word hashes and the seed, so no byte is
//! hashed twice. Character shingles are runs of `n` characters of the canonical text
//! (spaces included), for scripts written without spaces between words.
//!
//! Invariants: the output is sorted and free of repeats; a non-empty text shorter than one
//! shingle still yields exactly one shingle (the whole text), so that very short documents can
//! at least match exactly; an empty text yields none.

use std::fmt;
use std::str::FromStr;

use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::normalize::word_hash;

/// How a document is cut into shingles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShingleKind {
    /// Runs of `n` words.
    Word(usize),
    /// Runs of `n` characters.
    Char(usize),
}

impl Default for ShingleKind {
    fn default() -> Self {
        ShingleKind::Word(crate::config::DEFAULT_WORD_SHINGLE)
    }
}

impl fmt::Display for ShingleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShingleKind::Word(n) => write!(f, "word:{n}"),
            ShingleKind::Char(n) => write!(f, "char:{n}"),
        }
    }
}

impl FromStr for ShingleKind {
    type Err = String;

    /// Parses `word:N` or `char:N` (a bare `word` or `char` takes the default size).
    fn from_str(s: &str) -> Result<Self, String> {
        let (kind, size) = match s.split_once(':') {
            Some((k, n)) => (k, Some(n)),
            None => (s, None),
        };
        let size = match size {
            None => None,
            Some(n) => Some(
                n.parse::<usize>()
                    .ok()
                    .filter(|&n| (1..=64).contains(&n))
                    .ok_or_else(|| {
                        format!("shingle size {n:?} must be a whole number from 1 to 64")
                    })?,
            ),
        };
        match kind {
            "word" => Ok(ShingleKind::Word(
                size.unwrap_or(crate::config::DEFAULT_WORD_SHINGLE),
            )),
            "char" => Ok(ShingleKind::Char(size.unwrap_or(5))),
            other => Err(format!(
                "shingle kind {other:?} is neither \"word\" nor \"char\" (try word:5 or char:5)"
            )),
        }
    }
}

/// Cuts canonical text into hashed shingles.
///
/// ```
/// use neardup::shingle::{ShingleKind, Shingler};
/// let shingler = Shingler::new(ShingleKind::Word(2), 7);
/// let (mut words, mut out) = (Vec::new(), Vec::new());
/// shingler.shingles_into("a b c a b", &mut words, &mut out);
/// assert_eq!(out.len(), 3); // "a b", "b c", "c a"; the second "a b" is a repeat
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Shingler {
    kind: ShingleKind,
    seed: u64,
    /// The seed, mixed: where the hash of every word n-gram starts.
    start: u64,
}

const MIX: u64 = 0x9e37_79b9_7f4a_7c15;

/// A strong 64-bit finalizer (murmur3's fmix64): every input bit affects every output bit.
#[inline]
pub(crate) fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(FMIX_1);
    h ^= h >> 33;
    h = h.wrapping_mul(FMIX_2);
    h ^ (h >> 33)
}

/// [`fmix64`]'s multipliers.
const FMIX_1: u64 = 0xff51_afd7_ed55_8ccd;
const FMIX_2: u64 = 0xc4ce_b9fe_1a85_ec53;

/// Multiplier of [`combine`]'s steps.
const STEP: u64 = 0xd6e8_feb8_6659_fd93;

/// Hash of a run of word hashes under a mixed seed; order-sensitive.
#[inline]
fn combine(start: u64, words: &[u64]) -> u64 {
    let mut h = start;
    for &w in words {
        h = (h ^ w).wrapping_mul(STEP).rotate_left(29);
    }
    fmix64(h)
}

/// `out[i] = combine(start, &words[i..i + n])` for every window of `n` words.
fn windows_into(start: u64, words: &[u64], n: usize, out: &mut Vec<u64>) {
    let count = words.len() + 1 - n;
    out.clear();
    out.resize(count, 0);
    #[cfg(target_arch = "x86_64")]
    {
        if count >= 16 && wide::available() {
            // SAFETY: the CPU has the features `windows_wide` is compiled for.
            unsafe { windows_wide(start, words, n, out) };
            return;
        }
    }
    for (o, w) in out.iter_mut().zip(words.windows(n)) {
        *o = combine(start, w);
    }
}

/// [`windows_into`] for four consecutive windows at a time: step `t` of windows `i..i + 4`
/// reads words `i + t..i + t + 4`, one unaligned load.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx512f,avx512dq,avx512vl")]
fn windows_wide(start: u64, words: &[u64], n: usize, out: &mut [u64]) {
    use std::arch::x86_64::*;
    let (start4, step) = (
        _mm256_set1_epi64x(start as i64),
        _mm256_set1_epi64x(STEP as i64),
    );
    let blocks = out.len() / 4;
    for b in 0..blocks {
        let i = 4 * b;
        let mut h = start4;
        for t in 0..n {
            // The last window of the block ends at word i + 3 + n - 1, inside `words`.
            let w = wide::load(&words[i + t..i + t + 4]);
            h = _mm256_rol_epi64::<29>(_mm256_mullo_epi64(_mm256_xor_si256(h, w), step));
        }
        wide::store(&mut out[i..i + 4], wide::fmix64(h));
    }
    for i in 4 * blocks..out.len() {
        out[i] = combine(start, &words[i..i + n]);
    }
}

/// Four 64-bit lanes at a time in 256-bit registers, on x86-64 CPUs with AVX-512DQ (the
/// 64-bit lane multiply) and AVX-512VL (at 256 bits): 512-bit registers measured slower here,
/// since they lower the whole core's clock on many CPUs.
#[cfg(target_arch = "x86_64")]
pub(crate) mod wide {
    use std::arch::x86_64::*;

    /// Whether this CPU runs the functions of this module.
    #[inline]
    pub(crate) fn available() -> bool {
        std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl")
    }

    /// The first four values of `x`.
    ///
    /// # Panics
    /// When `x` holds fewer than four.
    #[inline]
    #[target_feature(enable = "avx2")]
    pub(crate) fn load(x: &[u64]) -> __m256i {
        let x = &x[..4];
        // SAFETY: `x` is four u64; the load is unaligned.
        unsafe { _mm256_loadu_si256(x.as_ptr().cast()) }
    }

    /// Stores four values into the first four of `out`.
    ///
    /// # Panics
    /// When `out` holds fewer than four.
    #[inline]
    #[target_feature(enable = "avx2")]
    pub(crate) fn store(out: &mut [u64], v: __m256i) {
        let out = &mut out[..4];
        // SAFETY: `out` is four u64; the store is unaligned.
        unsafe { _mm256_storeu_si256(out.as_mut_ptr().cast(), v) }
    }

    /// [`super::fmix64`] of each lane.
    #[inline]
    #[target_feature(enable = "avx2,avx512f,avx512dq,avx512vl")]
    pub(crate) fn fmix64(mut h: __m256i) -> __m256i {
        let c1 = _mm256_set1_epi64x(super::FMIX_1 as i64);
        let c2 = _mm256_set1_epi64x(super::FMIX_2 as i64);
        h = _mm256_xor_si256(h, _mm256_srli_epi64::<33>(h));
        h = _mm256_mullo_epi64(h, c1);
        h = _mm256_xor_si256(h, _mm256_srli_epi64::<33>(h));
        h = _mm256_mullo_epi64(h, c2);
        _mm256_xor_si256(h, _mm256_srli_epi64::<33>(h))
    }
}

impl Shingler {
    /// A shingler of the given kind whose hashes depend on `seed`.
    pub fn new(kind: ShingleKind, seed: u64) -> Self {
        Shingler {
            kind,
            seed,
            start: MIX ^ fmix64(seed),
        }
    }

    /// For word shingles: writes the hash of the n-gram starting at every word of `words`
    /// (the [`word_hash`]es of a canonical text, in order) into `out`, repeats kept; a text
    /// shorter than one shingle gives one hash. Gives what [`Shingler::positional_into`] gives
    /// for the canonical text.
    ///
    /// # Panics
    /// For a character shingler, which needs the text itself.
    pub fn from_words_into(&self, words: &[u64], out: &mut Vec<u64>) {
        let ShingleKind::Word(n) = self.kind else {
            panic!("character shingles need the canonical text");
        };
        out.clear();
        if words.is_empty() {
            return;
        }
        if words.len() <= n {
            out.push(combine(self.start, words));
        } else {
            windows_into(self.start, words, n, out);
        }
    }

    /// The kind of shingle this shingler cuts.
    pub fn kind(&self) -> ShingleKind {
        self.kind
    }

    /// Writes the sorted, de-duplicated shingle hashes of `normalized` (canonical text from
    /// [`crate::normalize::normalize_into`]) into `out`; `scratch` is a reusable buffer.
    pub fn shingles_into(&self, normalized: &str, scratch: &mut Vec<u64>, out: &mut Vec<u64>) {
        self.positional_into(normalized, scratch, out);
        out.sort_unstable();
        out.dedup();
    }

    /// Writes the hash of the shingle starting at every word (or character) of `normalized`
    /// into `out`, in text order, repeats kept: the input of passage finding. A text shorter
    /// than one shingle gives one hash.
    pub fn positional_into(&self, normalized: &str, scratch: &mut Vec<u64>, out: &mut Vec<u64>) {
        out.clear();
        scratch.clear();
        if normalized.is_empty() {
            return;
        }
        match self.kind {
            ShingleKind::Word(_) => {
                scratch.extend(normalized.as_bytes().split(|&b| b == b' ').map(word_hash));
                self.from_words_into(scratch, out);
            }
            ShingleKind::Char(n) => {
                let bytes = normalized.as_bytes();
                // Byte offsets of every character start, then the end of the text.
                scratch.extend(normalized.char_indices().map(|(i, _)| i as u64));
                scratch.push(bytes.len() as u64);
                let chars = scratch.len() - 1;
                if chars <= n {
                    out.push(xxh3_64_with_seed(bytes, self.seed));
                } else {
                    out.extend((0..=chars - n).map(|i| {
                        let (a, b) = (scratch[i] as usize, scratch[i + n] as usize);
                        xxh3_64_with_seed(&bytes[a..b], self.seed)
                    }));
                }
            }
        }
    }
}

/// Removes repeated values from `v` in linear time, keeping the first of each where it was;
/// `table` is a reusable buffer. For shingle hashes, whose bits are already uniform, so that
/// they index an open-addressing table as they are. When only the set matters and not its
/// order, this is several times cheaper than sorting. More than [`DEDUP_TABLE_MAX`] values are
/// sorted instead, so their order is not kept.
pub fn dedup_hashes(v: &mut Vec<u64>, table: &mut Vec<u32>) {
    if v.len() < 2 {
        return;
    }
    if v.len() > DEDUP_TABLE_MAX {
        // A table of four slots per hash would take several times the memory of the hashes
        // and miss the cache at every probe: sorted in place instead.
        use rayon::slice::ParallelSliceMut;
        v.par_sort_unstable();
        v.dedup();
        return;
    }
    // At most a quarter full: a probe that finds its slot taken is a mispredicted branch, and
    // at half full (the usual sizing) those cost more than clearing a table twice the size.
    // A slot holds the place of its value among those kept so far, plus one (0 marks a free
    // slot): half the bytes of the value itself, so half the table to clear per document.
    let mask = (4 * v.len()).next_power_of_two() - 1;
    table.clear();
    table.resize(mask + 1, 0);
    let mut kept = 0;
    for r in 0..v.len() {
        let x = v[r];
        let mut i = (x >> 32) as usize & mask;
        let new = loop {
            match table[i] {
                0 => {
                    // `kept` is below DEDUP_TABLE_MAX, far below u32::MAX.
                    table[i] = kept as u32 + 1;
                    break true;
                }
                // Places below `kept` are never written again, and `kept <= r`.
                t if v[t as usize - 1] == x => break false,
                _ => i = (i + 1) & mask,
            }
        };
        if new {
            v[kept] = x;
            kept += 1;
        }
    }
    v.truncate(kept);
}

/// Above this many hashes, [`dedup_hashes`] sorts instead of using a table.
pub const DEDUP_TABLE_MAX: usize = 1 << 17;

/// One stable counting-sort pass of a least-significant-digit radix sort: `from` goes to `to`
/// ordered by the digit `(x >> shift) % counts.len()` (`counts.len()` a power of two, below
/// 2^32 values); `counts` is scratch space.
pub(crate) fn counting_pass(from: &[u64], to: &mut [u64], shift: u32, counts: &mut [u32]) {
    let mask = counts.len() - 1;
    counts.fill(0);
    for &x in from {
        counts[(x >> shift) as usize & mask] += 1;
    }
    let mut sum = 0;
    for c in counts.iter_mut() {
        (*c, sum) = (sum, sum + *c);
    }
    for &x in from {
        let b = (x >> shift) as usize & mask;
        to[counts[b] as usize] = x;
        counts[b] += 1;
    }
}

/// Sorts `v`, a list of hashes whose bits are uniform, with `tmp` as a reusable buffer: two
/// counting passes on the top 16 bits, then an insertion pass for the few values that share
/// them. About three times faster than a comparison sort for a document's few hundred
/// shingles. Lists too long for 16 bits to spread them, and lists whose top bits are not
/// spread after all (the insertion pass then gives up after a few moves per value), are sorted
/// by comparison instead; the result is the same.
pub fn sort_hashes(v: &mut [u64], tmp: &mut Vec<u64>) {
    let n = v.len();
    if !(64..=1 << 14).contains(&n) {
        v.sort_unstable();
        return;
    }
    tmp.clear();
    tmp.resize(n, 0);
    let mut counts = [0u32; 256];
    counting_pass(v, tmp, 48, &mut counts);
    counting_pass(tmp, v, 56, &mut counts);
    let mut budget = 4 * n;
    for i in 1..n {
        let x = v[i];
        let mut j = i;
        while j > 0 && v[j - 1] > x {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = x;
        budget = match budget.checked_sub(i - j) {
            Some(b) => b,
            None => {
                v.sort_unstable();
                return;
            }
        };
    }
}

/// A sorted, de-duplicated set of the hashes in `hashes`.
pub fn sorted_set(hashes: impl IntoIterator<Item = u64>) -> Vec<u64> {
    let mut set: Vec<u64> = hashes.into_iter().collect();
    set.sort_unstable();
    set.dedup();
    set
}

/// The Dice coefficient of two sorted, de-duplicated sets: twice what they share over the sum
/// of their sizes (0 for two empty sets).
///
/// ```
/// use neardup::shingle::dice;
/// assert_eq!(dice(&[1, 2, 3], &[2, 3, 4]), 2.0 * 2.0 / 6.0);
/// assert_eq!(dice(&[], &[]), 0.0);
/// ```
pub fn dice(a: &[u64], b: &[u64]) -> f64 {
    let total = a.len() + b.len();
    if total == 0 {
        0.0
    } else {
        2.0 * intersection_len(a, b) as f64 / total as f64
    }
}

/// Sizes of the intersection of two sorted, de-duplicated sets.
pub fn intersection_len(a: &[u64], b: &[u64]) -> usize {
    // A merge advances one step per load-compare-add round trip, each waiting on the last. Cut
    // at the same three values, both sets fall into four parts whose merges are independent:
    // run side by side, the processor overlaps them. Shingle hashes are spread evenly, so the
    // parts are about equal; the count is right whatever the values.
    const CUTS: [u64; 3] = [1 << 62, 2 << 62, 3 << 62];
    if a.len().min(b.len()) < 64 {
        return merge_len(a, b);
    }
    let bounds = |s: &[u64]| {
        let mut at = [0; 5];
        for (k, &c) in CUTS.iter().enumerate() {
            // Never below the last cut, even for a set that is not sorted as it should be.
            at[k + 1] = cut_index(s, c).max(at[k]);
        }
        at[4] = s.len();
        at
    };
    let (ea, eb) = (bounds(a), bounds(b));
    let (mut i, mut j) = ([ea[0], ea[1], ea[2], ea[3]], [eb[0], eb[1], eb[2], eb[3]]);
    let mut n = [0usize; 4];
    loop {
        // A step moves each index by at most one: this many steps stay inside every part.
        let steps = (0..4)
            .map(|w| (ea[w + 1] - i[w]).min(eb[w + 1] - j[w]))
            .min()
            .unwrap_or(0);
        if steps == 0 {
            break;
        }
        for _ in 0..steps {
            for w in 0..4 {
                // Without branches on the comparison, a coin toss for hash values.
                // SAFETY: the cuts rise to the sets' lengths, and each index starts at or
                // above its part's start and moves at most one per step, so `steps` keeps
                // i[w] < ea[w + 1] <= a.len() and j[w] < eb[w + 1] <= b.len().
                let (x, y) = unsafe { (*a.get_unchecked(i[w]), *b.get_unchecked(j[w])) };
                n[w] += usize::from(x == y);
                i[w] += usize::from(x <= y);
                j[w] += usize::from(y <= x);
            }
        }
    }
    (0..4)
        .map(|w| n[w] + merge_len(&a[i[w]..ea[w + 1]], &b[j[w]..eb[w + 1]]))
        .sum()
}

/// The first index of the sorted `s` whose value is at least `c`. Hash values are spread
/// evenly, so the guess from `c`'s place in the range of u64 lands within a few values of it:
/// a set read from main memory costs one or two cache lines here, where a binary search waits
/// for about nine lines, one after another. Right for any sorted `s`; slower when it is
/// lopsided.
fn cut_index(s: &[u64], c: u64) -> usize {
    let n = s.len();
    let mut i = ((u128::from(c) * n as u128) >> 64) as usize;
    while i > 0 && s[i - 1] >= c {
        i -= 1;
    }
    while i < n && s[i] < c {
        i += 1;
    }
    i
}

/// [`intersection_len`] as one merge.
fn merge_len(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        n += usize::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_four_at_a_time_equal_one_at_a_time() {
        // Word counts around the four-window blocks, for n of 1 to 5.
        let words: Vec<u64> = (0..40u64).map(|i| fmix64(i + 1)).collect();
        let mut out = vec![9u64; 2];
        for n in 1..=5usize {
            for len in n..=words.len() {
                windows_into(0x5eed, &words[..len], n, &mut out);
                let want: Vec<u64> = words[..len]
                    .windows(n)
                    .map(|w| combine(0x5eed, w))
                    .collect();
                assert_eq!(out, want, "n {n}, {len} words");
            }
        }
    }

    #[test]
    fn sort_hashes_sorts() {
        let mut tmp = Vec::new();
        for n in [
            0usize,
            1,
            63,
            64,
            65,
            650,
            5000,
            1 << 14,
            (1 << 14) + 1,
            40_000,
        ] {
            let spread: Vec<u64> = (0..n as u64).map(|i| fmix64(i / 2)).collect();
            // Top 16 bits all equal: the insertion pass would be quadratic.
            let bunched: Vec<u64> = spread.iter().map(|x| x >> 16 | 0xabcd << 48).collect();
            // Only the top 16 bits differ, in descending order.
            let descending: Vec<u64> = (0..n as u64).map(|i| (n as u64 - i) << 48).collect();
            for v in [spread, bunched, descending] {
                let mut got = v.clone();
                sort_hashes(&mut got, &mut tmp);
                let mut want = v;
                want.sort_unstable();
                assert!(got == want, "n = {n}");
            }
        }
    }

    #[test]
    fn dedup_hashes_gives_the_set_of_sort_and_dedup() {
        let mut table = Vec::new();
        for n in [0usize, 1, 2, 3, 17, 1000] {
            // Repeats, zeros and values that collide in the table's low bits.
            let v: Vec<u64> = (0..n as u64)
                .map(|i| match i % 5 {
                    0 => 0,
                    1 => fmix64(i / 3),
                    2 => (i % 7) << 40,
                    _ => fmix64(i),
                })
                .collect();
            let mut got = v.clone();
            dedup_hashes(&mut got, &mut table);
            let mut want = v.clone();
            want.sort_unstable();
            want.dedup();
            let mut sorted = got.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, want, "n = {n}");
            // First occurrences, in their original order.
            let mut seen = std::collections::HashSet::new();
            let firsts: Vec<u64> = v.into_iter().filter(|x| seen.insert(*x)).collect();
            assert_eq!(got, firsts, "n = {n}");
        }
    }

    /// Above the table's limit the set is sorted instead: still the set of sort and dedup.
    #[test]
    fn dedup_hashes_beyond_the_table_gives_the_set() {
        let n = DEDUP_TABLE_MAX as u64 + 1000;
        let v: Vec<u64> = (0..n).map(|i| fmix64(i % (n / 3))).collect();
        let mut got = v.clone();
        dedup_hashes(&mut got, &mut Vec::new());
        let mut want = v;
        want.sort_unstable();
        want.dedup();
        assert_eq!(want.len() as u64, n / 3);
        got.sort_unstable();
        assert_eq!(got, want);
    }

    fn shingles(kind: ShingleKind, text: &str) -> Vec<u64> {
        let (mut s, mut out) = (Vec::new(), Vec::new());
        Shingler::new(kind, 1).shingles_into(text, &mut s, &mut out);
        out
    }

    #[test]
    fn counts() {
        let cases: [(ShingleKind, &str, usize); 9] = [
            (ShingleKind::Word(3), "", 0),
            (ShingleKind::Word(3), "one", 1),
            (ShingleKind::Word(3), "one two three", 1),
            (ShingleKind::Word(3), "one two three four", 2),
            (ShingleKind::Word(1), "a b a b", 2),
            (ShingleKind::Word(2), "a b a b", 2),
            (ShingleKind::Char(3), "ab", 1),
            (ShingleKind::Char(3), "abcd", 2),
            (ShingleKind::Char(2), "ééé", 1),
        ];
        for (kind, text, want) in cases {
            assert_eq!(shingles(kind, text).len(), want, "{kind} on {text:?}");
        }
    }

    #[test]
    fn sorted_and_unique() {
        let s = shingles(ShingleKind::Word(2), "a b c d a b c d e f g");
        assert!(s.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(s.len(), 7);
    }

    #[test]
    fn word_order_matters() {
        assert_ne!(
            shingles(ShingleKind::Word(2), "a b"),
            shingles(ShingleKind::Word(2), "b a")
        );
    }

    #[test]
    fn seed_changes_hashes() {
        let (mut s, mut a, mut b) = (Vec::new(), Vec::new(), Vec::new());
        Shingler::new(ShingleKind::Word(2), 1).shingles_into("x y z", &mut s, &mut a);
        Shingler::new(ShingleKind::Word(2), 2).shingles_into("x y z", &mut s, &mut b);
        assert_ne!(a, b);
    }

    #[test]
    fn parse_kinds() {
        assert_eq!("word:3".parse(), Ok(ShingleKind::Word(3)));
        assert_eq!("char:7".parse(), Ok(ShingleKind::Char(7)));
        assert_eq!("char".parse(), Ok(ShingleKind::Char(5)));
        assert!("word:0".parse::<ShingleKind>().is_err());
        assert!("line:3".parse::<ShingleKind>().is_err());
        assert!("word:x".parse::<ShingleKind>().is_err());
    }

    #[test]
    fn intersection() {
        assert_eq!(intersection_len(&[1, 3, 5, 7], &[2, 3, 4, 7, 9]), 2);
        assert_eq!(intersection_len(&[], &[1]), 0);
        assert_eq!(intersection_len(&[u64::MAX], &[0, u64::MAX]), 1);
        // Sets of many sizes and overlaps against a count by binary search.
        for n in 0..60u64 {
            let mut a: Vec<u64> = (0..n).map(|i| fmix64(i) % 97).collect();
            let mut b: Vec<u64> = (0..n * 2 % 50).map(|i| fmix64(i + n) % 97).collect();
            for v in [&mut a, &mut b] {
                v.sort_unstable();
                v.dedup();
            }
            let want = a.iter().filter(|x| b.binary_search(x).is_ok()).count();
            assert_eq!(intersection_len(&a, &b), want, "{a:?} {b:?}");
            assert_eq!(intersection_len(&b, &a), want, "{a:?} {b:?}");
        }
        // Sets large enough to be merged in four parts: hash values spread over the whole
        // range, values crowded into one part or two, and sets of very different sizes.
        let spreads: [fn(u64) -> u64; 3] = [fmix64, |x| fmix64(x) >> 3, |x| fmix64(x) | 3 << 62];
        for (s, spread) in spreads.iter().enumerate() {
            for (na, nb, shared) in [
                (64, 64, 64),
                (100, 300, 50),
                (1000, 1200, 900),
                (5000, 70, 0),
            ] {
                let mut a: Vec<u64> = (0..na).map(spread).collect();
                let mut b: Vec<u64> = (0..nb)
                    .map(|i| spread(if i < shared { i } else { (i + 1) << 40 }))
                    .collect();
                a.sort_unstable();
                b.sort_unstable();
                let want = a.iter().filter(|x| b.binary_search(x).is_ok()).count();
                assert_eq!(want, shared.min(na) as usize, "spread {s}");
                assert_eq!(intersection_len(&a, &b), want, "spread {s}, {na} and {nb}");
                assert_eq!(intersection_len(&b, &a), want, "spread {s}, {nb} and {na}");
            }
        }
        // The cuts themselves, on sets spread evenly, crowded, and made of one value repeated.
        for spread in spreads
            .iter()
            .chain([(|_| 1 << 62) as fn(u64) -> u64].iter())
        {
            for n in [0, 1, 5, 64, 1000] {
                let mut v: Vec<u64> = (0..n).map(spread).collect();
                v.sort_unstable();
                for c in [0, 1, 1 << 62, 2 << 62, 3 << 62, u64::MAX] {
                    assert_eq!(
                        cut_index(&v, c),
                        v.partition_point(|&x| x < c),
                        "{n} at {c}"
                    );
                }
            }
        }
        // Not sorted, as callers must not give: some count, and no panic.
        let mixed: Vec<u64> = (0..500).map(fmix64).collect();
        assert!(intersection_len(&mixed, &mixed) <= mixed.len());
    }
}
