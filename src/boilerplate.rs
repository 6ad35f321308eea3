//! Between corpus and shingle: site boilerplate, learned from the corpus and left out of the
//! fingerprints.
//!
//! Scraped pages carry their site's header, navigation, share buttons and footer. Those lines
//! make two different short articles of one site look alike, and a syndicated copy under another
//! site's template look different. A first pass over a sample of the corpus (every document when
//! it is small) counts, for every normalized line, the distinct documents that carry it
//! (documents identical after normalization count once). A line is boilerplate when
//!
//! 1. it is carried by at least `max(min_docs, share × sampled documents)` documents, and
//! 2. the documents that carry it are, on average, at least [`MIN_OWN_SHARE`] of their own
//!    words outside such lines: a site template surrounds different articles, while the lines of
//!    a story copied many times surround little else, and must stay so the copies still match.
//!
//! Fingerprinting then normalizes each document line by line and skips boilerplate lines; a
//! document that is nothing but boilerplate keeps all its lines. The exact-duplicate hash always
//! covers every line, so "exact" keeps meaning "the whole page is the same".
//!
//! The census keeps the words of the documents it read, in input order up to a byte budget,
//! so that fingerprinting takes them from there instead of reading and splitting those
//! documents a second time.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use crate::corpus::{Corpus, Locator, Pending, Problem};
use crate::normalize::{line_words, normalize_into, word_hash};
use rayon::prelude::*;

/// The key of a line: a hash of its word hashes, in order. Word `i` is folded into lane
/// `i mod 4`, so that a word's multiplication does not wait for the one before it (as one
/// chain, each word waited about five cycles for the last).
#[inline]
pub(crate) fn line_hash(words: &[u64]) -> u64 {
    let step = |h: u64, w: u64| (h ^ w).wrapping_mul(0xd6e8_feb8_6659_fd93).rotate_left(29);
    let n = words.len() as u64;
    let mut lanes = [
        0x1319_8a2e_0370_7344 ^ n,
        0x0801_2a3c_6b5d_4e9f ^ n,
        0x3707_344a_4093_822f ^ n,
        0x299f_31d0_082e_fa98 ^ n,
    ];
    let mut quads = words.chunks_exact(4);
    for q in &mut quads {
        for (l, &w) in lanes.iter_mut().zip(q) {
            *l = step(*l, w);
        }
    }
    for (l, &w) in lanes.iter_mut().zip(quads.remainder()) {
        *l = step(*l, w);
    }
    crate::shingle::fmix64(fold_lanes(lanes))
}

/// Four lanes as one value, each turned by a different amount so that equal lanes do not
/// cancel.
#[inline]
fn fold_lanes(l: [u64; 4]) -> u64 {
    l[0] ^ l[1].rotate_left(16) ^ l[2].rotate_left(32) ^ l[3].rotate_left(48)
}

/// The key of a line of canonical text (see [`crate::normalize::normalize_into`]).
pub fn line_key(normalized: &str) -> u64 {
    let words: Vec<u64> = if normalized.is_empty() {
        Vec::new()
    } else {
        normalized
            .as_bytes()
            .split(|&b| b == b' ')
            .map(word_hash)
            .collect()
    };
    line_hash(&words)
}

/// The exact-duplicate hash of a whole text: two independent 64-bit folds of every word hash
/// of every line, so it depends only on the canonical text, not on its line breaks. Each fold
/// runs in four lanes, word `i` of the text going to lane `i mod 4` (the lanes turn by one
/// every word, so the lane to fold into is always the first), which lets consecutive words'
/// multiplications overlap.
#[derive(Clone, Copy)]
struct ContentHash {
    a: [u64; 4],
    b: [u64; 4],
    words: u64,
}

impl ContentHash {
    fn new() -> Self {
        ContentHash {
            a: [
                0x243f_6a88_85a3_08d3,
                0x1319_8a2e_0370_7344,
                0x4528_21e6_38d0_1377,
                0xbe54_66cf_34e9_0c6c,
            ],
            b: [
                0xa409_3822_299f_31d0,
                0x082e_fa98_ec4e_6c89,
                0xc0ac_29b7_c97c_50dd,
                0x3f84_d5b5_b547_0917,
            ],
            words: 0,
        }
    }

    #[inline]
    fn add(&mut self, words: &[u64]) {
        let [mut a0, mut a1, mut a2, mut a3] = self.a;
        let [mut b0, mut b1, mut b2, mut b3] = self.b;
        for &w in words {
            let a = (a0 ^ w).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(31);
            let b = (b0 ^ w.rotate_left(17))
                .wrapping_mul(0xc2b2_ae3d_27d4_eb4f)
                .rotate_left(27);
            (a0, a1, a2, a3) = (a1, a2, a3, a);
            (b0, b1, b2, b3) = (b1, b2, b3, b);
        }
        self.a = [a0, a1, a2, a3];
        self.b = [b0, b1, b2, b3];
        self.words += words.len() as u64;
    }

    fn finish(self) -> u128 {
        use crate::shingle::fmix64;
        let a = fmix64(fold_lanes(self.a) ^ self.words);
        let b = fmix64(fold_lanes(self.b) ^ self.words.rotate_left(32));
        (a as u128) << 64 | b as u128
    }
}

/// Mean share of a carrying document's words that must lie outside frequent lines for a
/// frequent line to count as boilerplate (condition 2 in the module docs).
pub const MIN_OWN_SHARE: f64 = 0.1;

/// How boilerplate is learned.
#[derive(Clone, Debug)]
pub struct BoilerplateConfig {
    /// Learn and strip boilerplate at all.
    pub enabled: bool,
    /// Share of sampled documents a line must be in.
    pub share: f64,
    /// Fewest documents a line must be in.
    pub min_docs: usize,
    /// Documents sampled (evenly spread over the corpus) for the census.
    pub sample: usize,
}

/// Bytes of text the census samples at most (about: documents are counted at the mean size
/// of a probe of [`PROBE_DOCS`](crate::config::PROBE_DOCS)), unless that is fewer than
/// [`MIN_SAMPLE`] documents.
const CENSUS_SAMPLE_BYTES: usize = 256 << 20;
/// Fewest documents the census samples, when the corpus has as many.
const MIN_SAMPLE: usize = 1000;

/// Documents the census samples, at most `wanted`, for documents of `mean` bytes.
fn sample_size(wanted: usize, mean: Option<f64>) -> usize {
    match mean {
        Some(mean) if mean > 0.0 => {
            let fit = (CENSUS_SAMPLE_BYTES as f64 / mean) as usize;
            wanted.min(fit.max(MIN_SAMPLE))
        }
        _ => wanted,
    }
}

impl Default for BoilerplateConfig {
    fn default() -> Self {
        BoilerplateConfig {
            enabled: true,
            share: 0.002,
            min_docs: 5,
            sample: 20_000,
        }
    }
}

/// A [`Hasher`] for keys that are already well-mixed 64-bit or 128-bit hashes (line and
/// content hashes, hashes of document ids): the key is its own hash, or its two halves
/// combined, instead of SipHash's per-lookup work.
#[derive(Default)]
pub(crate) struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not used by `u64` keys; any other key still gets a well-defined hash.
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64 ^ (n >> 64) as u64;
    }
}

/// Hash maps and sets keyed by such hashes.
pub(crate) type Hashed = BuildHasherDefault<Prehashed>;

/// A set of hashes, hashed as they are.
type HashesSet = HashSet<u64, Hashed>;

/// The set of boilerplate lines (hashes of normalized lines).
#[derive(Clone, Debug, Default)]
pub struct Boilerplate {
    lines: HashesSet,
    sampled: usize,
}

/// Per-thread buffers for [`Boilerplate::canonical_into`] and [`Boilerplate::words_into`].
#[derive(Debug, Default)]
pub struct LineScratch {
    line: String,
    words: Vec<u64>,
    /// A whole document's words, for the census to keep.
    all: Vec<u64>,
}

impl LineScratch {
    /// Frees the buffers a large document left large (see [`crate::scan::SCRATCH_KEEP`]).
    pub(crate) fn trim(&mut self) {
        crate::scan::release(&mut self.words);
        crate::scan::release(&mut self.all);
        if self.line.capacity() > 8 * crate::scan::SCRATCH_KEEP {
            self.line = String::new();
        }
    }
}

/// What the census keeps of one sampled document: its distinct lines with their word counts,
/// and the hash of its whole canonical text.
struct DocLines {
    lines: Vec<(u64, u32)>,
    content: u64,
}

/// A sampled document as the census read it, with what the fingerprinting pass needs of it:
/// kept, within a byte budget, so that such a document is read and split into words once per
/// run instead of twice (see [`Boilerplate::learn_keeping`]).
#[derive(Debug)]
pub(crate) struct Kept {
    pub(crate) loc: Locator,
    pub(crate) id: String,
    pub(crate) date: Option<String>,
    pub(crate) warning: Option<Problem>,
    /// Length of the text in bytes.
    pub(crate) bytes: u64,
    /// The exact-duplicate hash, as [`Boilerplate::words_into`] returns it.
    pub(crate) content: u128,
    /// The word hashes of every line with words, in order.
    words: Vec<u64>,
    /// Those lines in order: line hash and number of words.
    lines: Vec<(u64, u32)>,
}

impl Kept {
    /// Heap bytes held, for the budget.
    pub(crate) fn size(&self) -> usize {
        self.words.len() * 8 + self.lines.len() * 16 + self.id.len() + 128
    }
}

/// The documents the census kept, by input (file, and line for a JSONL record).
#[derive(Debug, Default)]
pub(crate) struct Census {
    /// By (file, record) number.
    kept: crate::verify::DocMap<(u32, u32), Kept>,
}

impl Census {
    /// The document of `pending` when the census kept it, taken out: the fingerprinting pass
    /// then frees the memory as it goes.
    pub(crate) fn take(&mut self, pending: &Pending) -> Option<Kept> {
        if self.kept.is_empty() {
            return None;
        }
        let key = match pending {
            Pending::File(i) => (*i, 0),
            Pending::Line { loc, .. } => (loc.file, loc.line),
            Pending::Failed(_) => return None,
        };
        self.kept.remove(&key)
    }
}

/// The lines with words of `text` in order, as (line hash, number of words), and the hash of
/// its canonical text; and its word hashes, in order, when they take at most `keep_bytes`.
fn ordered_lines(
    text: &str,
    s: &mut LineScratch,
    keep_bytes: usize,
) -> (Vec<(u64, u32)>, u128, Option<Vec<u64>>) {
    let mut lines: Vec<(u64, u32)> = Vec::new();
    let mut content = ContentHash::new();
    let cap = keep_bytes / 8;
    let mut all = std::mem::take(&mut s.all);
    all.clear();
    if cap > 0 {
        // As in `Boilerplate::words_into`.
        all.reserve((text.len() / 2 + 1).min(cap));
    }
    let mut complete = cap > 0;
    line_words(text, &mut s.line, &mut s.words, |words| {
        if !words.is_empty() {
            content.add(words);
            lines.push((line_hash(words), words.len() as u32));
            if complete && all.len() + words.len() <= cap {
                all.extend_from_slice(words);
            } else {
                complete = false;
            }
        }
    });
    // Copied once at its size: grown as it filled, it would be copied more.
    let words = (complete && !all.is_empty()).then(|| all.to_vec());
    s.all = all;
    s.trim();
    (lines, content.finish(), words)
}

impl DocLines {
    fn new(mut lines: Vec<(u64, u32)>, content: u128) -> Self {
        lines.sort_unstable();
        lines.dedup_by_key(|l| l.0);
        DocLines {
            lines,
            content: content as u64,
        }
    }
}

#[cfg(test)]
fn doc_lines(text: &str, s: &mut LineScratch) -> DocLines {
    let (lines, content, _) = ordered_lines(text, s, 0);
    DocLines::new(lines, content)
}

impl Boilerplate {
    /// No boilerplate at all.
    pub fn none() -> Self {
        Boilerplate::default()
    }

    /// Learns the boilerplate of `corpus` from an even sample of its documents. Documents that
    /// cannot be read are passed over here; the fingerprinting pass reports them.
    pub fn learn(corpus: &Corpus, config: &BoilerplateConfig) -> Self {
        Self::learn_keeping(corpus, config, 0).0
    }

    /// As [`Boilerplate::learn`], and keeps the sampled documents' words, in input order, up
    /// to about `keep_bytes` of them, for the fingerprinting pass.
    pub(crate) fn learn_keeping(
        corpus: &Corpus,
        config: &BoilerplateConfig,
        keep_bytes: usize,
    ) -> (Self, Census) {
        let mut census = Census::default();
        if !config.enabled {
            return (Boilerplate::none(), census);
        }
        let total = corpus.estimate_documents().max(1);
        // Fewer documents when they are long: the sample's text is read again by the first
        // pass (beyond what fits in `keep_bytes`), so it is held near CENSUS_SAMPLE_BYTES.
        let mean = corpus.mean_document_bytes(crate::config::PROBE_DOCS);
        let sample = sample_size(config.sample, mean);
        let stride = total.div_ceil(sample.max(1)).max(1) as u64;
        // Fewer to a batch when they are long, so that a batch's share of the room (see
        // `learn_keeping`) still holds a document's words.
        let batch = crate::config::docs_per_batch(keep_bytes, mean);
        let mut sampled: Vec<DocLines> = Vec::new();
        let mut room = keep_bytes;
        // Sampled by a hash of the input's name, so the sample does not depend on order.
        corpus.for_each_sampled_batch(batch, stride, |picked| {
            // A document's words are kept only within its share of the room left, so that a
            // batch of long documents never holds more words than the room, even for a moment.
            let share = room / picked.len().max(1);
            let docs: Vec<(DocLines, Option<Kept>)> = picked
                .into_par_iter()
                .map_init(LineScratch::default, |s, p| {
                    let (loc, doc, warning) = corpus.read(p).ok()?;
                    let (lines, content, words) = ordered_lines(&doc.text, s, share);
                    let kept = words.map(|words| Kept {
                        loc,
                        id: doc.id,
                        date: doc.date,
                        warning,
                        bytes: doc.text.len() as u64,
                        content,
                        words,
                        lines: lines.clone(),
                    });
                    Some((DocLines::new(lines, content), kept))
                })
                .flatten()
                .collect();
            // Kept in input order while there is room, so the same documents are kept on
            // every run; one over its share is read again by the first pass.
            for (lines, kept) in docs {
                if let Some(k) = kept.filter(|k| k.size() <= share) {
                    let size = k.size();
                    if size <= room {
                        room -= size;
                        census.kept.insert((k.loc.file, k.loc.line), k);
                    } else {
                        room = 0;
                    }
                }
                if !lines.lines.is_empty() {
                    sampled.push(lines);
                }
            }
        });
        (Self::from_sample(&sampled, config), census)
    }

    fn from_sample(docs: &[DocLines], config: &BoilerplateConfig) -> Self {
        // Documents identical after normalization count once, whichever of them comes first
        // (copies may wrap their lines differently): everything is counted per distinct
        // (line, content) pair, so the result does not depend on input order.
        let mut pairs: Vec<(u64, u64)> =
            Vec::with_capacity(docs.iter().map(|d| d.lines.len()).sum());
        pairs.extend(
            docs.iter()
                .flat_map(|d| d.lines.iter().map(move |&(h, _)| (h, d.content))),
        );
        pairs.par_sort_unstable();
        pairs.dedup();
        let contents: HashesSet = docs.iter().map(|d| d.content).collect();
        let floor = (config.share * contents.len() as f64)
            .ceil()
            .max(config.min_docs as f64) as usize;
        let frequent: HashesSet = pairs
            .chunk_by(|a, b| a.0 == b.0)
            .filter(|g| g.len() >= floor)
            .map(|g| g[0].0)
            .collect();
        drop(pairs);
        // Own share of every document (its words outside frequent lines), per frequent line
        // it carries; of documents with the same content, the largest share counts.
        let mut shares: Vec<(u64, u64, f64)> = docs
            .par_iter()
            .flat_map_iter(|d| {
                let total: u32 = d.lines.iter().map(|l| l.1).sum();
                let outside: u32 = d
                    .lines
                    .iter()
                    .filter(|l| !frequent.contains(&l.0))
                    .map(|l| l.1)
                    .sum();
                let share = outside as f64 / total.max(1) as f64;
                d.lines
                    .iter()
                    .filter(|l| frequent.contains(&l.0))
                    .map(move |&(h, _)| (h, d.content, share))
            })
            .collect();
        shares.par_sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(b.2.total_cmp(&a.2)));
        shares.dedup_by_key(|x| (x.0, x.1));
        let lines = shares
            .chunk_by(|a, b| a.0 == b.0)
            .filter(|g| g.iter().map(|x| x.2).sum::<f64>() / g.len() as f64 >= MIN_OWN_SHARE)
            .map(|g| g[0].0)
            .collect();
        Boilerplate {
            lines,
            sampled: contents.len(),
        }
    }

    /// The boilerplate made of the lines with these hashes (see [`Boilerplate::hashes`]), as a
    /// persistent index stores it.
    pub fn from_hashes(hashes: impl IntoIterator<Item = u64>) -> Self {
        Boilerplate {
            lines: hashes.into_iter().collect(),
            sampled: 0,
        }
    }

    /// The hashes of the boilerplate lines, smallest first.
    pub fn hashes(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.lines.iter().copied().collect();
        v.sort_unstable();
        v
    }

    /// Adds the lines of `other`.
    pub fn extend(&mut self, other: &Boilerplate) {
        self.lines.extend(other.lines.iter().copied());
        self.sampled += other.sampled;
    }

    /// Number of distinct boilerplate lines.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// True when no line is boilerplate.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// True when the normalized line `normalized` is boilerplate.
    pub fn contains(&self, normalized: &str) -> bool {
        !self.lines.is_empty() && self.lines.contains(&line_key(normalized))
    }

    /// True when the line whose [`word_hash`]es are `words` is boilerplate.
    pub fn contains_words(&self, words: &[u64]) -> bool {
        !self.lines.is_empty() && self.lines.contains(&line_hash(words))
    }

    /// Distinct documents the census looked at.
    pub fn sampled(&self) -> usize {
        self.sampled
    }

    /// Writes the canonical text of `text` without its boilerplate lines into `out` (all lines
    /// when every line is boilerplate) and returns the hash of the canonical text of every line,
    /// which identifies exact duplicates.
    ///
    /// ```
    /// use neardup::boilerplate::{Boilerplate, LineScratch};
    /// let (mut scratch, mut out) = (LineScratch::default(), String::new());
    /// let a = Boilerplate::none().canonical_into("Hello,\r\n  World!", &mut scratch, &mut out);
    /// assert_eq!(out, "hello world");
    /// let b = Boilerplate::none().canonical_into("hello world", &mut scratch, &mut out);
    /// assert_eq!(a, b);
    /// ```
    pub fn canonical_into(&self, text: &str, s: &mut LineScratch, out: &mut String) -> u128 {
        out.clear();
        let mut content = ContentHash::new();
        let mut stripped_any = false;
        for raw in text.split('\n') {
            normalize_into(raw, &mut s.line);
            if s.line.is_empty() {
                continue;
            }
            s.words.clear();
            s.words
                .extend(s.line.as_bytes().split(|&b| b == b' ').map(word_hash));
            content.add(&s.words);
            if !self.lines.is_empty() && self.lines.contains(&line_hash(&s.words)) {
                stripped_any = true;
                continue;
            }
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&s.line);
        }
        if out.is_empty() && stripped_any {
            // Nothing but boilerplate: the page is its boilerplate.
            for raw in text.split('\n') {
                normalize_into(raw, &mut s.line);
                if !s.line.is_empty() {
                    if !out.is_empty() {
                        out.push(' ');
                    }
                    out.push_str(&s.line);
                }
            }
        }
        content.finish()
    }

    /// Like [`Boilerplate::canonical_into`], but writes the [`word_hash`]es of the canonical
    /// text into `out` instead of the text, without building it: the fast path of word
    /// shingles. Returns the same exact-duplicate hash.
    ///
    /// ```
    /// use neardup::boilerplate::{Boilerplate, LineScratch};
    /// use neardup::normalize::word_hash;
    /// let (mut s, mut text, mut words) = (LineScratch::default(), String::new(), Vec::new());
    /// let bp = Boilerplate::none();
    /// let a = bp.words_into("Hello,\r\n  World!", &mut s, &mut words);
    /// assert_eq!(words, vec![word_hash(b"hello"), word_hash(b"world")]);
    /// assert_eq!(a, bp.canonical_into("Hello,\r\n  World!", &mut s, &mut text));
    /// ```
    pub fn words_into(&self, text: &str, s: &mut LineScratch, out: &mut Vec<u64>) -> u128 {
        self.words_into_with(text, s, out, |_, _| {})
    }

    /// [`Boilerplate::words_into`], also showing `each_line` the words of every line that has
    /// any, and whether it is boilerplate (what [`Boilerplate::contains_words`] says of them).
    pub fn words_into_with(
        &self,
        text: &str,
        s: &mut LineScratch,
        out: &mut Vec<u64>,
        mut each_line: impl FnMut(&[u64], bool),
    ) -> u128 {
        out.clear();
        // Room for the most words the text can hold (one byte and a separator each), so that a
        // large document's words are not copied as they grow: pages never written to take no
        // memory.
        out.reserve(text.len() / 2 + 1);
        let mut content = ContentHash::new();
        let mut stripped_any = false;
        line_words(text, &mut s.line, &mut s.words, |words| {
            if words.is_empty() {
                return;
            }
            content.add(words);
            let boilerplate = self.contains_words(words);
            each_line(words, boilerplate);
            if boilerplate {
                stripped_any = true;
                return;
            }
            out.extend_from_slice(words);
        });
        if out.is_empty() && stripped_any {
            line_words(text, &mut s.line, &mut s.words, |words| {
                out.extend_from_slice(words)
            });
        }
        content.finish()
    }

    /// [`Boilerplate::words_into`] for a document the census kept: the same words, without
    /// reading the text again. Returns the same exact-duplicate hash.
    pub(crate) fn kept_words_into(&self, kept: &Kept, out: &mut Vec<u64>) -> u128 {
        out.clear();
        let mut stripped_any = false;
        let mut at = 0;
        for &(hash, n) in &kept.lines {
            let words = &kept.words[at..at + n as usize];
            at += n as usize;
            if !self.lines.is_empty() && self.lines.contains(&hash) {
                stripped_any = true;
                continue;
            }
            out.extend_from_slice(words);
        }
        if out.is_empty() && stripped_any {
            out.extend_from_slice(&kept.words);
        }
        kept.content
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn learn(texts: &[String]) -> Boilerplate {
        let mut s = LineScratch::default();
        let docs: Vec<DocLines> = texts.iter().map(|t| doc_lines(t, &mut s)).collect();
        Boilerplate::from_sample(&docs, &BoilerplateConfig::default())
    }

    fn key(line: &str) -> u64 {
        line_key(&crate::normalize::normalize(line))
    }

    #[test]
    fn long_documents_are_sampled_fewer() {
        let wanted = BoilerplateConfig::default().sample;
        // News-sized documents, or none measured: the whole sample.
        assert_eq!(sample_size(wanted, Some(3_000.0)), wanted);
        assert_eq!(sample_size(wanted, None), wanted);
        assert_eq!(sample_size(wanted, Some(0.0)), wanted);
        // Long ones: about CENSUS_SAMPLE_BYTES of them, but never fewer than MIN_SAMPLE.
        let n = sample_size(wanted, Some(100_000.0));
        assert!(n < wanted && n * 100_000 <= CENSUS_SAMPLE_BYTES, "{n}");
        assert!((n + 1) * 100_000 > CENSUS_SAMPLE_BYTES, "{n}");
        assert_eq!(sample_size(wanted, Some(1e9)), MIN_SAMPLE);
        // A smaller sample asked for stays smaller.
        assert_eq!(sample_size(10, Some(1e9)), 10);
    }

    #[test]
    fn template_lines_are_boilerplate_and_story_lines_are_not() {
        let mut texts: Vec<String> = (0..20)
            .map(|i| format!("Daily Planet\nHome | World | Sports\nArticle number {i} says something new about topic {i}.\nHelp us improve."))
            .collect();
        // One story copied eight times under different headlines: its lines surround little else.
        let story = "A long paragraph of the syndicated story that is copied word for word by many sites.\nIts second paragraph, also copied, with more words to carry the weight of the story.";
        texts.extend((0..8).map(|i| format!("Headline {i}\n{story}")));
        let bp = learn(&texts);
        for line in ["Daily Planet", "Home | World | Sports", "Help us improve."] {
            assert!(bp.lines.contains(&key(line)), "{line}");
        }
        for line in story.lines() {
            assert!(!bp.lines.contains(&key(line)), "{line}");
        }
        assert!(!bp
            .lines
            .contains(&key("Article number 3 says something new about topic 3.")));
    }

    /// The content hash folds words into four turning lanes: it must not depend on where the
    /// lines break, and must change when any word moves, whichever lanes the two land in.
    #[test]
    fn content_hash_sees_every_word_in_order_but_not_line_breaks() {
        let words: Vec<u64> = (0..11u64).map(crate::shingle::fmix64).collect();
        let whole = |w: &[u64]| {
            let mut c = ContentHash::new();
            c.add(w);
            c.finish()
        };
        let reference = whole(&words);
        for cut in 0..=words.len() {
            for cut2 in cut..=words.len() {
                let mut c = ContentHash::new();
                c.add(&words[..cut]);
                c.add(&words[cut..cut2]);
                c.add(&words[cut2..]);
                assert_eq!(c.finish(), reference, "breaks after {cut} and {cut2}");
            }
        }
        let mut seen = std::collections::HashSet::from([reference]);
        for i in 0..words.len() {
            for j in i + 1..words.len() {
                let mut swapped = words.clone();
                swapped.swap(i, j);
                assert!(seen.insert(whole(&swapped)), "words {i} and {j} swapped");
            }
            let mut fewer = words.clone();
            fewer.remove(i);
            assert!(seen.insert(whole(&fewer)), "word {i} left out");
        }
        // The same for a line's key: order counts within and across lanes.
        let mut keys = std::collections::HashSet::new();
        for n in 0..words.len() {
            assert!(keys.insert(line_hash(&words[..n])), "first {n} words");
        }
        for i in 0..words.len() {
            for j in i + 1..words.len() {
                let mut swapped = words.clone();
                swapped.swap(i, j);
                assert!(
                    keys.insert(line_hash(&swapped)),
                    "words {i} and {j} swapped"
                );
            }
        }
    }

    #[test]
    fn exact_copies_count_once() {
        let texts: Vec<String> = (0..10)
            .map(|_| "Same page\nSame words on it".to_string())
            .collect();
        assert!(learn(&texts).is_empty());
    }

    #[test]
    fn canonical_text_skips_boilerplate_but_hashes_everything() {
        let mut bp = Boilerplate::none();
        bp.lines.insert(key("Help us improve."));
        let (mut s, mut out) = (LineScratch::default(), String::new());
        let with = bp.canonical_into("Story text here.\nHelp us improve.", &mut s, &mut out);
        assert_eq!(out, "story text here");
        let without = bp.canonical_into("Story text here.", &mut s, &mut out);
        assert_ne!(with, without, "the exact-duplicate hash covers every line");
        bp.canonical_into("Help us improve.", &mut s, &mut out);
        assert_eq!(
            out, "help us improve",
            "an all-boilerplate page keeps its lines"
        );
    }
}
