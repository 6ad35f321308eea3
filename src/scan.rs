//! The scan pipeline: corpus → normalize → shingle → minhash → lsh → verify → cluster →
//! report, wired together. Each stage lives in its own module; this one only orders them,
//! keeps the per-document metadata, and times the stages.
//!
//! Memory holds, per document, one signature (`num_perm` × 2 bytes) and a small [`DocMeta`];
//! texts are never held all at once. A document is read to fingerprint it and once more if it
//! is in a candidate pair, unless the first pass kept its shingle set (up to
//! [`VERIFY_KEEP_BYTES`] of them, for documents that share a band with one read before them);
//! one in the boilerplate census's sample is read by the census too, unless the census kept
//! its words (up to [`CENSUS_KEEP_BYTES`] of them).

use std::collections::HashSet;
use std::hash::BuildHasherDefault;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_128;

use crate::boilerplate::{Boilerplate, Census, Kept, LineScratch, Prehashed};
use crate::cluster::{self, UnionFind};
use crate::config::{
    ScanConfig, CENSUS_KEEP_BYTES, READ_BATCH_DOCS, SEEN_BANDS_BYTES, VERIFY_BATCH_BYTES,
    VERIFY_BATCH_DOCS, VERIFY_KEEP_BYTES,
};
use crate::corpus::{Corpus, Locator, Pending, Problem};
use crate::error::Result;
use crate::lsh;
use crate::lsh::{LshParams, SeenBands};
use crate::minhash::{self, MinHasher};
use crate::normalize::{normalize_into, word_count, word_hashes_into};
use crate::progress::Progress;
use crate::report::{
    self, Cluster, ClusterKind, Link, Member, MemberKind, Params, Report, Summary,
};
use crate::shingle::{ShingleKind, Shingler};
use crate::verify::{self, DocMap, Known, Overlap, Sets};

/// What is kept of every document between the passes.
#[derive(Clone, Debug)]
pub struct DocMeta {
    /// Document id.
    pub id: String,
    /// Where to read it again.
    pub loc: Locator,
    /// Size of its shingle set.
    pub shingles: u32,
    /// Hash of its canonical text: equal hashes are exact duplicates.
    pub content: u128,
    /// Length of its text in bytes.
    pub bytes: u64,
    /// When it was written (see [`crate::corpus::Document::date`]).
    pub date: Option<String>,
}

/// Timings and counts of a run, for the summary on stderr. Unlike [`Report`], these vary from
/// run to run.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Wall time per stage, in pipeline order.
    pub stages: Vec<(&'static str, Duration)>,
    /// Bytes of text fingerprinted.
    pub bytes: u64,
    /// Candidate pairs from LSH.
    pub candidates: usize,
    /// Candidates left after the signature-estimate filter and scored: exactly, unless
    /// `--no-verify`.
    pub checked: usize,
    /// Candidates left after the signature-estimate filter but not scored, their documents
    /// being already in one cluster by then (without containment only).
    pub linked: usize,
    /// Pairs that passed verification.
    pub verified: usize,
    /// Documents whose shingle set the first pass kept for verification, instead of it
    /// reading them again (thread timing decides among near-simultaneous ones: it may differ
    /// by a few between runs).
    pub kept_sets: usize,
    /// With a `--memory` budget that the corpus passed: the band-table runs written per band.
    pub spill_runs: Option<usize>,
}

/// Everything a scan produced.
#[derive(Debug)]
pub struct ScanOutput {
    /// The deterministic report.
    pub report: Report,
    /// Inputs that were skipped, in input order.
    pub skipped: Vec<Problem>,
    /// Inputs read with a problem (invalid UTF-8 replaced, unreadable at verification).
    pub warnings: Vec<Problem>,
    /// Timings and counts.
    pub stats: Stats,
}

/// Per-thread buffers, reused for every document.
#[derive(Default)]
pub(crate) struct Scratch {
    pub(crate) norm: String,
    lines: LineScratch,
    words: Vec<u64>,
    pub(crate) shingles: Vec<u64>,
    table: Vec<u64>,
    /// The table of [`crate::shingle::dedup_hashes`].
    slots: Vec<u32>,
    pub(crate) mins: minhash::Scratch,
    /// A signature at full width, before [`minhash::shorten`].
    full: Vec<u32>,
}

/// Buffers of a thread's [`Scratch`] with room for more than this many values (eight times as
/// many bytes, for text) are freed once used: a large document's words, shingles and tables take many times
/// its size, and would otherwise stay with the thread for the rest of the run.
pub(crate) const SCRATCH_KEEP: usize = 1 << 20;

/// Frees `v` when it has room for more than [`SCRATCH_KEEP`] values.
pub(crate) fn release<T>(v: &mut Vec<T>) {
    if v.capacity() > SCRATCH_KEEP {
        *v = Vec::new();
    }
}

impl Scratch {
    /// Frees the buffers a large document left large.
    pub(crate) fn trim(&mut self) {
        release(&mut self.words);
        release(&mut self.shingles);
        release(&mut self.table);
        release(&mut self.slots);
        if self.norm.capacity() > 8 * SCRATCH_KEEP {
            self.norm = String::new();
        }
        self.lines.trim();
        self.mins.trim();
    }
}

/// Boilerplate removal, normalization and shingling as one step, the same in both passes.
pub(crate) struct Fingerprinter<'a> {
    boilerplate: &'a Boilerplate,
    shingler: Shingler,
}

impl<'a> Fingerprinter<'a> {
    pub(crate) fn new(config: &ScanConfig, boilerplate: &'a Boilerplate) -> Self {
        Fingerprinter {
            boilerplate,
            shingler: Shingler::new(config.shingle, config.seed),
        }
    }

    /// The shingles of the body lines of `text` (lines of at least [`BODY_LINE_MIN_WORDS`]
    /// words that are not boilerplate), each line shingled on its own so that no shingle spans
    /// a left-out line; sorted and unique.
    pub(crate) fn body_shingles(&self, text: &str, s: &mut Scratch) -> Vec<u64> {
        let mut body = Vec::new();
        let by_words = matches!(self.shingler.kind(), ShingleKind::Word(_));
        for raw in text.split('\n') {
            if by_words {
                word_hashes_into(raw, &mut s.norm, &mut s.words);
                if s.words.len() < BODY_LINE_MIN_WORDS || self.boilerplate.contains_words(&s.words)
                {
                    continue;
                }
                self.shingler.from_words_into(&s.words, &mut s.shingles);
            } else {
                normalize_into(raw, &mut s.norm);
                if word_count(&s.norm) < BODY_LINE_MIN_WORDS || self.boilerplate.contains(&s.norm) {
                    continue;
                }
                self.shingler
                    .positional_into(&s.norm, &mut s.words, &mut s.shingles);
            }
            body.extend_from_slice(&s.shingles);
        }
        crate::shingle::sort_hashes(&mut body, &mut s.table);
        body.dedup();
        body
    }

    /// [`Self::shingles`] and [`Self::body_shingles`] at once: word shingles from one pass over
    /// the text, whose lines give the body too.
    pub(crate) fn shingles_and_body(&self, text: &str, s: &mut Scratch) -> (u128, Vec<u64>) {
        if !matches!(self.shingler.kind(), ShingleKind::Word(_)) {
            let content = self.shingles(text, s);
            let all = std::mem::take(&mut s.shingles);
            let body = self.body_shingles(text, s);
            s.shingles = all;
            return (content, body);
        }
        let mut body = Vec::new();
        let (shingler, line) = (&self.shingler, &mut s.shingles);
        let content = self.boilerplate.words_into_with(
            text,
            &mut s.lines,
            &mut s.words,
            |words, boilerplate| {
                if words.len() >= BODY_LINE_MIN_WORDS && !boilerplate {
                    shingler.from_words_into(words, line);
                    body.extend_from_slice(line);
                }
            },
        );
        self.cut(s, true);
        crate::shingle::sort_hashes(&mut body, &mut s.table);
        body.dedup();
        (content, body)
    }

    /// Leaves the shingle set of `text` (boilerplate left out) in `s.shingles`, sorted; returns
    /// the exact-duplicate hash of the whole text. Word shingles are hashed straight from the
    /// text; character shingles go through its canonical form, left in `s.norm`.
    pub(crate) fn shingles(&self, text: &str, s: &mut Scratch) -> u128 {
        self.fill(text, s, true)
    }

    /// Reads `pending` and leaves its shingle set in `s.shingles` as [`Self::shingles`] does,
    /// or, unless `sorted`, with word shingles in no particular order, de-duplicated by hashing
    /// instead of sorting: enough for a signature and a count, and cheaper. Returns what else
    /// is kept of it; the problem when it cannot be read or has no words. The text is dropped
    /// as soon as it is split, so that a large document's text and shingles are not all held
    /// at once.
    pub(crate) fn read_into(
        &self,
        corpus: &Corpus,
        pending: Pending,
        s: &mut Scratch,
        sorted: bool,
    ) -> Result1<First> {
        let (loc, doc, warning) = corpus.read(pending)?;
        let content = self.split(&doc.text, s);
        let bytes = doc.text.len() as u64;
        let crate::corpus::Document { id, date, .. } = doc;
        self.cut(s, sorted);
        self.first(
            corpus,
            s,
            First {
                loc,
                id,
                date,
                bytes,
                warning,
                content,
            },
        )
    }

    /// [`Self::read_into`] (unsorted) for a document the census kept: the same shingles and
    /// outcome, without reading the document again.
    fn kept_into(&self, corpus: &Corpus, kept: Kept, s: &mut Scratch) -> Result1<First> {
        let content = self.boilerplate.kept_words_into(&kept, &mut s.words);
        let Kept {
            loc,
            id,
            date,
            warning,
            bytes,
            ..
        } = kept;
        self.cut(s, false);
        self.first(
            corpus,
            s,
            First {
                loc,
                id,
                date,
                bytes,
                warning,
                content,
            },
        )
    }

    /// `first`, unless the document has no shingles.
    fn first(&self, corpus: &Corpus, s: &Scratch, first: First) -> Result1<First> {
        if s.shingles.is_empty() {
            return Err(Problem {
                input: corpus.describe(first.loc),
                cause: "empty document (no words)".into(),
            });
        }
        Ok(first)
    }

    fn fill(&self, text: &str, s: &mut Scratch, sorted: bool) -> u128 {
        let content = self.split(text, s);
        self.cut(s, sorted);
        content
    }

    /// Splits `text` into what its shingles are cut from (word hashes in `s.words`, or the
    /// canonical text in `s.norm`), boilerplate left out; returns its exact-duplicate hash.
    fn split(&self, text: &str, s: &mut Scratch) -> u128 {
        if matches!(self.shingler.kind(), ShingleKind::Word(_)) {
            self.boilerplate
                .words_into(text, &mut s.lines, &mut s.words)
        } else {
            self.boilerplate
                .canonical_into(text, &mut s.lines, &mut s.norm)
        }
    }

    /// The shingle set of what [`Self::split`] left, into `s.shingles`: sorted, or as
    /// [`Self::read_into`] describes.
    fn cut(&self, s: &mut Scratch, sorted: bool) {
        if matches!(self.shingler.kind(), ShingleKind::Word(_)) {
            self.shingler.from_words_into(&s.words, &mut s.shingles);
            release(&mut s.words);
            if sorted {
                crate::shingle::sort_hashes(&mut s.shingles, &mut s.table);
                s.shingles.dedup();
            } else {
                crate::shingle::dedup_hashes(&mut s.shingles, &mut s.slots);
            }
            release(&mut s.table);
            release(&mut s.slots);
        } else {
            self.shingler
                .shingles_into(&s.norm, &mut s.words, &mut s.shingles);
        }
    }
}

type Result1<T> = std::result::Result<T, Problem>;

/// What the first pass keeps of a document it read, besides its shingles.
pub(crate) struct First {
    pub(crate) loc: Locator,
    pub(crate) id: String,
    pub(crate) date: Option<String>,
    /// Length of its text in bytes.
    pub(crate) bytes: u64,
    /// Its reading warning (invalid UTF-8 replaced).
    pub(crate) warning: Option<Problem>,
    /// Its exact-duplicate hash.
    pub(crate) content: u128,
}

/// A document for the first pass: still to be read, or kept by the boilerplate census.
enum Work {
    Read(Pending),
    Kept(Kept),
}

impl Work {
    fn from(pending: Pending, census: &mut Census) -> Self {
        match census.take(&pending) {
            Some(k) => Work::Kept(k),
            None => Work::Read(pending),
        }
    }
}

enum Outcome {
    Doc {
        meta: DocMeta,
        sig: Vec<u16>,
        bytes: u64,
        warning: Option<Problem>,
        /// Its sorted shingle set, when kept for verification.
        set: Option<Arc<[u64]>>,
    },
    Skip(Problem),
}

/// Keeps, within a budget, the shingle sets of documents that share a band with one read
/// before them, for verification. What it keeps is exactly what verification would read, so
/// which documents it keeps (thread timing decides among near-simultaneous ones) changes no
/// result, only how many documents are read again.
struct SetKeeper {
    seen: SeenBands,
    room: AtomicUsize,
}

impl SetKeeper {
    /// `s.shingles` (the set of the document with exact-duplicate hash `content` and signature
    /// `sig`), sorted, when worth keeping and within the budget.
    fn keep(&self, content: u128, sig: &[u16], s: &mut Scratch) -> Option<Arc<[u64]>> {
        if self.room.load(Ordering::Relaxed) == 0 || !self.seen.shares_a_band(content as u64, sig) {
            return None;
        }
        let bytes = s.shingles.len() * std::mem::size_of::<u64>();
        self.room
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |r| {
                r.checked_sub(bytes)
            })
            .ok()?;
        // Unique already (see `Fingerprinter::cut`); sorted in place, since the first pass
        // needs only its size after this.
        crate::shingle::sort_hashes(&mut s.shingles, &mut s.table);
        Some(Arc::from(s.shingles.as_slice()))
    }
}

/// The smallest buffer for a band's sorted runs, whatever the budget.
const MIN_RUN_BYTES: usize = 16 << 20;

/// How a run shares its memory. Without `--memory`, the stores of what one pass saves for a
/// later one have fixed bounds and nothing spills. With a budget, the part no spilling removes
/// ([`META_BYTES_PER_DOC`] per document) comes first, then the signatures and their band keys
/// when they fit (otherwise they spill); each store gets at most an eighth of what is left; the
/// band-table runs of a spilled corpus get the rest.
#[derive(Clone, Copy, Debug, PartialEq)]
struct MemoryPlan {
    /// Signatures and band tables go to disk.
    spill: bool,
    /// Bytes of words the boilerplate census keeps for the first pass.
    census: usize,
    /// Bytes of shingle sets the first pass keeps for verification.
    verify: usize,
    /// Bytes of the table of band keys that picks those sets.
    seen: usize,
    /// Bytes for each band's sorted runs, when spilled.
    runs: usize,
    /// Bytes of verified pairs kept for the scores after clustering ([`Known::with_room`]);
    /// `None`: all of them.
    known: Option<usize>,
}

impl MemoryPlan {
    fn new(memory: Option<u64>, docs: usize, k: usize) -> Self {
        let Some(m) = memory else {
            return MemoryPlan {
                spill: false,
                census: CENSUS_KEEP_BYTES,
                verify: VERIFY_KEEP_BYTES,
                seen: SEEN_BANDS_BYTES,
                runs: 0,
                known: None,
            };
        };
        let docs = docs as u64;
        let fixed = docs * META_BYTES_PER_DOC;
        let signatures = docs * (2 * k as u64 + 32);
        let spill = fixed + signatures > m;
        let left = m.saturating_sub(fixed + if spill { 0 } else { signatures });
        let share = |most: usize| most.min(usize::try_from(left / 8).unwrap_or(usize::MAX));
        let (census, verify, seen) = (
            share(CENSUS_KEEP_BYTES),
            share(VERIFY_KEEP_BYTES),
            share(SEEN_BANDS_BYTES),
        );
        // The kept sets and the band-key table live while the band tables are built.
        let runs = usize::try_from(left)
            .unwrap_or(usize::MAX)
            .saturating_sub(verify + seen)
            .max(MIN_RUN_BYTES);
        // Verification holds the kept sets and the verified pairs at once.
        MemoryPlan {
            spill,
            census,
            verify,
            seen,
            runs,
            known: Some(share(usize::MAX)),
        }
    }
}

/// In containment mode, lines of at least this many words are a document's body: containment
/// is measured on the body, so that a page's own headline, byline, links and teaser (short
/// lines) do not count against a truncated copy.
pub const BODY_LINE_MIN_WORDS: usize = 20;

/// In containment mode, the smallest size (in shingles) of a contained document relative to
/// its container that candidate generation is tuned for. Smaller shares would need LSH bands of
/// one row, which make nearly every pair that shares a shingle a candidate.
pub const MIN_CONTAINED_SIZE: f64 = 0.3;

/// Reorders `data`, made of blocks of `k` values, so that block `i` becomes the old block
/// `order[i]`, following the permutation's cycles with one block of scratch space.
fn permute_blocks<T: Copy + Default>(data: &mut [T], k: usize, order: &[u32]) {
    let mut done = vec![false; order.len()];
    let mut saved = vec![T::default(); k];
    for start in 0..order.len() {
        if done[start] {
            continue;
        }
        saved.copy_from_slice(&data[start * k..][..k]);
        let mut at = start;
        loop {
            done[at] = true;
            let from = order[at] as usize;
            if from == start {
                data[at * k..][..k].copy_from_slice(&saved);
                break;
            }
            data.copy_within(from * k..from * k + k, at * k);
            at = from;
        }
    }
}

/// Reorders `data` so that element `i` becomes the old element `order[i]`, following the
/// permutation's cycles with swaps.
fn permute<T>(data: &mut [T], order: &[u32]) {
    let mut done = vec![false; order.len()];
    for start in 0..order.len() {
        let mut at = start;
        while !done[at] {
            done[at] = true;
            let from = order[at] as usize;
            if from == start {
                break;
            }
            data.swap(at, from);
            at = from;
        }
    }
}

/// The Jaccard similarity of a set of `small` elements of which share `c` lies in a set of
/// `large` elements.
fn needed_jaccard(c: f64, small: f64, large: f64) -> f64 {
    let shared = c * small;
    shared / (small + large - shared).max(f64::MIN_POSITIVE)
}

/// The estimate below which a pair of true Jaccard `j` falls with probability under 1 in
/// 10,000 (3.7 standard deviations of a `k`-value estimate, and half a position of rounding).
pub(crate) fn estimate_floor(j: f64, k: usize) -> f64 {
    j - 3.7 * (j * (1.0 - j) / k as f64).sqrt() - 0.5 / k as f64
}

/// The signature estimate below which a pair of Jaccard `j` is not worth checking: with
/// verification, [`estimate_floor`]; without, the estimate is the score, so `j` itself.
fn check_floor(config: &ScanConfig, j: f64) -> f64 {
    if config.verify {
        estimate_floor(j, config.num_perm)
    } else {
        j
    }
}

/// Overlap scores implied by an estimated Jaccard similarity and the two set sizes.
fn estimated_overlap(j: f64, a: u32, b: u32) -> Overlap {
    let shared = j * (a + b) as f64 / (1.0 + j);
    Overlap {
        jaccard: j,
        a_in_b: (shared / a.max(1) as f64).min(1.0),
        b_in_a: (shared / b.max(1) as f64).min(1.0),
        shared: shared.round() as usize,
    }
}

/// Bytes of memory per document besides its signature and band keys (metadata, id, file list,
/// the report's entry), as the `--memory` budget counts them: measured at about 530 on a
/// million generated articles with 30 % duplicates and all signatures on disk.
pub const META_BYTES_PER_DOC: u64 = 512;

/// Where the signatures are.
enum Signatures {
    /// In memory, `k` [`minhash::shorten`]ed values per document, in id order.
    Memory(Vec<u16>),
    /// In a temporary file (see [`crate::spill`]).
    Disk(crate::spill::SpilledSignatures),
}

impl std::fmt::Debug for Signatures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Signatures::Memory(v) => write!(f, "Signatures::Memory({} values)", v.len()),
            Signatures::Disk(s) => write!(f, "Signatures::Disk({} documents)", s.len()),
        }
    }
}

impl Signatures {
    /// Calls `f` with the signature of document `d`; `None` when it cannot be read back.
    fn with<R>(&self, d: u32, k: usize, f: impl FnOnce(&[u16]) -> R) -> Option<R> {
        match self {
            Signatures::Memory(v) => Some(f(&v[d as usize * k..][..k])),
            Signatures::Disk(s) => {
                let mut sig = vec![0u16; k];
                s.read(d, &mut sig).ok().map(|()| f(&sig))
            }
        }
    }

    fn estimate(&self, a: u32, b: u32, k: usize) -> f64 {
        self.with(a, k, |x| self.with(b, k, |y| minhash::short_estimate(x, y)))
            .flatten()
            .unwrap_or(0.0)
    }
}

/// The pipeline's result before any report: documents, clusters and the verified scores.
#[derive(Debug)]
pub struct Analysis {
    /// Every document read, in id order.
    pub metas: Vec<DocMeta>,
    /// For each document, the first document (by id) with the same canonical text.
    pub content_rep: Vec<u32>,
    /// Groups of two or more documents (union-find components), members by id.
    pub groups: Vec<Vec<u32>>,
    /// Verified scores of the accepted pairs verification scored (not those it left out as
    /// already in one cluster), keyed `(smaller, larger)` document index: all of them, or under
    /// a memory budget as many as its share holds.
    pub known: Known,
    sigs: Signatures,
    boilerplate: Boilerplate,
    /// Shingle sets the first pass kept for verification, by document (empty when none); they
    /// serve the scores against representatives or keepers too, until
    /// [`Analysis::release_sets`].
    pass_sets: Vec<Option<Arc<[u64]>>>,
    /// Timings and counts.
    pub stats: Stats,
    /// Inputs that were skipped, in input order.
    pub skipped: Vec<Problem>,
    /// Inputs read with a problem.
    pub warnings: Vec<Problem>,
    reread_problems: Mutex<Vec<(u32, Problem)>>,
    /// The candidate pairs worth checking (`a < b`, sorted), scored or not: where
    /// [`Analysis::links`] looks for what linked a chained member.
    checked: Vec<(u32, u32)>,
}

/// How many pairs of a chained member, those its signature ranks highest, are scored to name
/// the direct match that linked it (all of them when none of these is accepted).
pub const LINK_CANDIDATES: usize = 8;

/// A document's [`LINK_CANDIDATES`] pairs with the highest signature estimates so far, highest
/// first (the smaller partner first on a tie): the same whatever order they come in.
#[derive(Clone, Copy, Default)]
struct Top {
    len: usize,
    pairs: [(f64, u32); LINK_CANDIDATES],
}

impl Top {
    fn push(&mut self, e: f64, y: u32) {
        let before = |p: &(f64, u32)| e.total_cmp(&p.0).then(p.1.cmp(&y)).is_gt();
        let at = self.list().iter().position(before).unwrap_or(self.len);
        if at == LINK_CANDIDATES {
            return;
        }
        self.len = (self.len + 1).min(LINK_CANDIDATES);
        self.pairs.copy_within(at..self.len - 1, at + 1);
        self.pairs[at] = (e, y);
    }

    fn list(&self) -> &[(f64, u32)] {
        &self.pairs[..self.len]
    }
}

/// Whether verification accepts a pair scoring `o`: similar, or one contained in the other.
fn accepted(config: &ScanConfig, o: &Overlap) -> bool {
    o.jaccard >= config.threshold
        || config
            .containment
            .is_some_and(|c| o.a_in_b.max(o.b_in_a) >= c)
}

impl Analysis {
    /// Runs the pipeline over `corpus` up to the clusters.
    ///
    /// # Errors
    /// [`crate::Error::Config`] when `config` does not validate. Problems with single inputs
    /// are not errors: they are in [`Analysis::skipped`] and [`Analysis::warnings`].
    pub fn run(corpus: &Corpus, config: &ScanConfig, progress: &dyn Progress) -> Result<Analysis> {
        config.validate()?;
        // Pages are read up to three times (sample, fingerprint, verification): extracted once,
        // their text is read back from then on (messages too, when costly to parse again).
        corpus.keep_extracted();
        let k = config.num_perm;
        let params = config.lsh_params();
        let hasher = MinHasher::new(k, config.seed);
        let mut stats = Stats::default();
        let mut skipped = Vec::new();
        let mut warnings = Vec::new();

        let t = Instant::now();
        progress.begin("boilerplate", None);
        // At most one document per file that is not JSONL, one per line of a JSONL file.
        let expected = corpus.estimate_documents();
        let plan = MemoryPlan::new(config.memory, expected, k);
        // Word shingles of the documents the census read are taken from what it kept, within a
        // budget, instead of reading them again.
        let keep_bytes = match config.shingle {
            ShingleKind::Word(_) => plan.census,
            _ => 0,
        };
        let (boilerplate, mut census) =
            Boilerplate::learn_keeping(corpus, &config.boilerplate, keep_bytes);
        progress.finish();
        stats.stages.push(("boilerplate", t.elapsed()));
        let fp = Fingerprinter::new(config, &boilerplate);

        // Pass 1: fingerprint every document.
        let t = Instant::now();
        let has_records = corpus.files().iter().any(|f| f.format.has_records());
        progress.begin(
            "fingerprinting",
            (!has_records).then_some(corpus.files().len() as u64),
        );
        // Room for every document up front, so that the largest allocation of the run is never
        // copied to grow: the copy would briefly hold both.
        let mut metas: Vec<DocMeta> = Vec::with_capacity(expected);
        let mut sigs: Vec<u16> = Vec::new();
        let spill_err = |e: std::io::Error, dir: &std::path::Path| crate::Error::Io {
            path: dir.to_path_buf(),
            source: e,
        };
        // With a budget the corpus would pass, signatures go to disk as they come.
        let mut writer = if plan.spill {
            Some(
                crate::spill::SignatureWriter::new(k)
                    .map_err(|e| spill_err(e, &std::env::temp_dir()))?,
            )
        } else {
            None
        };
        if writer.is_none() {
            sigs.reserve_exact(expected * k);
        }
        let mut write_error: Option<std::io::Error> = None;
        // Sets kept for verification, by document as `metas`; only a set-by-set verification
        // of whole sets can use them.
        let keeper = (config.verify && config.containment.is_none()).then(|| SetKeeper {
            seen: SeenBands::new(expected, params, plan.seen),
            room: AtomicUsize::new(plan.verify),
        });
        let mut pass_sets: Vec<Option<Arc<[u64]>>> = Vec::new();
        // Keys are hashes already: SipHash over them took a sixth of this sequential step.
        let mut seen_ids: HashSet<u128, BuildHasherDefault<Prehashed>> =
            HashSet::with_capacity_and_hasher(expected, Default::default());
        // A batch's outcomes are taken in (in input order, on one thread) while the next batch
        // is fingerprinted, so that neither core waits for that sequential step.
        let mut absorb = |outcomes: Vec<Outcome>| {
            for o in outcomes {
                match o {
                    Outcome::Skip(p) => skipped.push(p),
                    Outcome::Doc {
                        meta,
                        sig,
                        bytes,
                        warning,
                        set,
                    } => {
                        warnings.extend(warning);
                        if !seen_ids.insert(xxh3_128(meta.id.as_bytes())) {
                            skipped.push(Problem {
                                input: corpus.describe(meta.loc),
                                cause: format!(
                                    "document id {:?} already used by an earlier input",
                                    meta.id
                                ),
                            });
                            continue;
                        }
                        stats.bytes += bytes;
                        metas.push(meta);
                        if keeper.is_some() {
                            stats.kept_sets += usize::from(set.is_some());
                            pass_sets.push(set);
                        }
                        match writer.as_mut() {
                            Some(w) => {
                                if let Err(e) = w.push(&sig) {
                                    write_error.get_or_insert(e);
                                }
                            }
                            None => sigs.extend_from_slice(&sig),
                        }
                    }
                }
            }
        };
        let mut previous: Vec<Outcome> = Vec::new();
        corpus.for_each_batch(READ_BATCH_DOCS, |batch| {
            let count = batch.len() as u64;
            let work: Vec<Work> = batch
                .into_iter()
                .map(|p| Work::from(p, &mut census))
                .collect();
            let done = std::mem::take(&mut previous);
            let (outcomes, ()) = rayon::join(
                || {
                    work.into_par_iter()
                        .map_init(Scratch::default, |s, w| {
                            let first = match w {
                                Work::Kept(kept) => fp.kept_into(corpus, kept, s),
                                Work::Read(pending) => fp.read_into(corpus, pending, s, false),
                            };
                            let outcome = match first {
                                Err(p) => Outcome::Skip(p),
                                Ok(f) => {
                                    s.full.resize(k, 0);
                                    hasher.signature_into(&s.shingles, &mut s.mins, &mut s.full);
                                    let mut sig = vec![0u16; k];
                                    minhash::shorten(&s.full, &mut sig);
                                    let set =
                                        keeper.as_ref().and_then(|kp| kp.keep(f.content, &sig, s));
                                    Outcome::Doc {
                                        meta: DocMeta {
                                            id: f.id,
                                            loc: f.loc,
                                            shingles: s.shingles.len() as u32,
                                            content: f.content,
                                            bytes: f.bytes,
                                            date: f.date,
                                        },
                                        sig,
                                        bytes: f.bytes,
                                        warning: f.warning,
                                        set,
                                    }
                                }
                            };
                            s.trim();
                            outcome
                        })
                        .collect::<Vec<Outcome>>()
                },
                || absorb(done),
            );
            previous = outcomes;
            progress.advance(count);
        });
        absorb(previous);
        // Empty unless a JSONL file lost lines since the census.
        drop(census);
        drop(seen_ids);
        progress.finish();
        // From here on, documents are numbered in id order, so every tie broken by number is
        // broken by id, and the result does not depend on input order.
        let mut order: Vec<u32> = (0..metas.len() as u32).collect();
        order.par_sort_unstable_by(|&a, &b| metas[a as usize].id.cmp(&metas[b as usize].id));
        if let (Some(e), Some(w)) = (write_error, writer.as_ref()) {
            return Err(spill_err(e, w.dir()));
        }
        let sigs = match writer {
            Some(w) => {
                let dir = w.dir().to_path_buf();
                Signatures::Disk(w.finish(order.clone()).map_err(|e| spill_err(e, &dir))?)
            }
            None => {
                // In place: a reordered copy would double the largest allocation of the run.
                permute_blocks(&mut sigs, k, &order);
                Signatures::Memory(sigs)
            }
        };
        // In place too: a reordered copy is fresh memory, touched on one thread.
        permute(&mut metas, &order);
        if !pass_sets.is_empty() {
            permute(&mut pass_sets, &order);
        }
        drop(order);
        drop(keeper);
        stats.stages.push(("fingerprint", t.elapsed()));
        let n = metas.len();

        // Exact duplicates: one representative per distinct canonical text takes part in LSH.
        let t = Instant::now();
        let mut by_content: Vec<u32> = (0..n as u32).collect();
        by_content.par_sort_unstable_by_key(|&d| (metas[d as usize].content, d));
        let mut content_rep: Vec<u32> = (0..n as u32).collect();
        for group in
            by_content.chunk_by(|&a, &b| metas[a as usize].content == metas[b as usize].content)
        {
            for &d in group {
                content_rep[d as usize] = group[0];
            }
        }
        drop(by_content);
        let unique: Vec<u32> = (0..n as u32)
            .filter(|&d| content_rep[d as usize] == d)
            .collect();
        stats.stages.push(("exact", t.elapsed()));

        // LSH candidates, then a cheap filter on the signature estimate.
        let t = Instant::now();
        progress.begin("candidates", None);
        let size = |d: u32| metas[d as usize].shingles;
        let find = |p: LshParams, keep: &(dyn Fn(u32, u32) -> bool + Sync)| match &sigs {
            Signatures::Memory(v) => Ok((lsh::candidates(v, k, &unique, p, keep), None)),
            Signatures::Disk(s) => s
                .candidates(&unique, p, keep, plan.runs)
                .map(|(c, runs)| (c, Some(runs)))
                .map_err(|e| crate::Error::Io {
                    path: std::env::temp_dir(),
                    source: e,
                }),
        };
        let (mut candidates, runs) = find(params, &|_, _| true)?;
        stats.spill_runs = runs;
        let containment_params = config.containment.map(|c| {
            // A document contained at share c in one at most 1/MIN_CONTAINED_SIZE times its size
            // has at least this Jaccard similarity with it.
            let j = needed_jaccard(c, MIN_CONTAINED_SIZE, 1.0);
            LshParams::for_threshold(j, k)
        });
        if let Some(cp) = containment_params {
            let sized = |a: u32, b: u32| {
                let (x, y) = (size(a).min(size(b)), size(a).max(size(b)));
                x as f64 >= MIN_CONTAINED_SIZE * y as f64
            };
            // Both lists are sorted and unique: merged in the larger one, not sorted again.
            candidates = lsh::union_sorted(candidates, find(cp, &sized)?.0);
        }
        stats.candidates = candidates.len();
        let floor = |j: f64| check_floor(config, j);
        let main_floor = floor(config.threshold);
        // The pairs worth verifying, chosen on all threads and kept in place.
        let worth: Vec<bool> = candidates
            .par_iter()
            .map(|&(a, b)| {
                let e = sigs.estimate(a, b, k);
                let near = e >= main_floor;
                let contained = config.containment.is_some_and(|c| {
                    let (x, y) = (size(a).min(size(b)) as f64, size(a).max(size(b)) as f64);
                    e >= floor(needed_jaccard(c, x, y))
                });
                near || contained
            })
            .collect();
        let mut worth = worth.into_iter();
        candidates.retain(|_| worth.next() == Some(true));
        let mut pairs = candidates;
        stats.checked = pairs.len();
        progress.finish();
        stats.stages.push(("lsh", t.elapsed()));

        // Verification: exact Jaccard and containment on shingle sets read again; each batch of
        // accepted pairs joins the clusters as it comes, so that no list of every accepted pair
        // is ever held whole (millions, among near-identical pages).
        let t = Instant::now();
        let mut analysis = Analysis {
            metas,
            content_rep,
            groups: Vec::new(),
            known: Known::default(),
            sigs,
            boilerplate,
            pass_sets,
            stats: Stats::default(),
            skipped,
            warnings,
            reread_problems: Mutex::new(Vec::new()),
            checked: Vec::new(),
        };
        let content_rep = &analysis.content_rep;
        let accepts = |o: &Overlap| accepted(config, o);
        let mut uf = UnionFind::new(n);
        for d in 0..n as u32 {
            uf.union(d, content_rep[d as usize]);
        }
        // Shared by the verification's batches, which join the clusters, and the check that
        // leaves out pairs already in one cluster.
        let uf = std::cell::RefCell::new(uf);
        // Without containment, a pair whose documents are already in one cluster cannot change
        // the clusters: such pairs are left unscored, which turns a family of thousands of near
        // copies (millions of pairs) into a few batches. Containment chooses each excerpt's
        // best container among all its pairs, so it scores them all.
        let mut linked = 0usize;
        let skip = |a: u32, b: u32| {
            let mut uf = uf.borrow_mut();
            let same = config.containment.is_none() && uf.find(a) == uf.find(b);
            linked += usize::from(same);
            same
        };
        let mut known = plan.known.map_or_else(Known::default, Known::with_room);
        // A document contained in others joins the cluster of its best container only, so that a
        // short excerpt found in two different stories does not chain them together.
        let mut container: DocMap<u32, (u32, f64)> = DocMap::default();
        // Time spent taking accepted pairs in, which is the cluster stage's.
        let mut linking = Duration::ZERO;
        let size = |d: u32| analysis.metas[d as usize].shingles;
        progress.begin("verifying", Some(pairs.len() as u64));
        // Every choice below keeps the best by a total order, so the batches' order does not
        // matter.
        analysis.overlaps_skipping(
            corpus,
            config,
            &mut pairs,
            accepts,
            skip,
            |checked, batch| {
                progress.advance(checked as u64);
                let t = Instant::now();
                stats.verified += batch.len();
                let mut uf = uf.borrow_mut();
                for (a, b, o) in batch {
                    if o.jaccard >= config.threshold {
                        uf.union(a, b);
                    } else {
                        let (small, large, share) = if o.a_in_b >= o.b_in_a {
                            (a, b, o.a_in_b)
                        } else {
                            (b, a, o.b_in_a)
                        };
                        let e = container.entry(small).or_insert((large, share));
                        if share > e.1 || (share == e.1 && large < e.0) {
                            *e = (large, share);
                        }
                    }
                    known.push(a, b, o, (size(a), size(b)));
                }
                linking += t.elapsed();
            },
        );
        let mut uf = uf.into_inner();
        stats.checked -= linked;
        stats.linked = linked;
        // Unscored pairs were left swapped: every pair as it came, in its first order again.
        for p in &mut pairs {
            *p = (p.0.min(p.1), p.0.max(p.1));
        }
        pairs.par_sort_unstable();
        analysis.checked = pairs;
        progress.finish();
        stats
            .stages
            .push(("verify", t.elapsed().saturating_sub(linking)));

        // Clusters.
        let t = Instant::now();
        known.seal();
        for (&small, &(large, _)) in &container {
            uf.union(small, large);
        }
        drop(container);
        // Documents are numbered in id order.
        let groups = cluster::groups_by_number(&mut uf, n);
        drop(uf);
        stats.stages.push(("cluster", t.elapsed() + linking));
        analysis.groups = groups;
        analysis.known = known;
        analysis.stats = stats;
        Ok(analysis)
    }
}

/// Runs the whole pipeline over `corpus` and builds the report.
///
/// # Errors
/// [`crate::Error::Config`] when `config` does not validate. Problems with single inputs are
/// not errors: they are in [`ScanOutput::skipped`] and [`ScanOutput::warnings`].
pub fn scan(corpus: &Corpus, config: &ScanConfig, progress: &dyn Progress) -> Result<ScanOutput> {
    let mut analysis = Analysis::run(corpus, config, progress)?;
    let t = Instant::now();
    let a = &analysis;
    let (metas, content_rep) = (&a.metas, &a.content_rep);
    let id = |d: u32| metas[d as usize].id.as_str();
    let size = |d: u32| metas[d as usize].shingles;
    let reps: Vec<u32> = a
        .groups
        .iter()
        .map(|g| cluster::representative(g, size, id))
        .collect();
    let wanted: Vec<(u32, u32)> = a
        .groups
        .iter()
        .zip(&reps)
        .flat_map(|(g, &rep)| g.iter().map(move |&m| (m, rep)))
        .collect();
    let scores = a.scores_to(corpus, config, &wanted);
    drop(wanted);
    // Where each group's scores start in `scores` (the order of `wanted`).
    let starts: Vec<usize> = a
        .groups
        .iter()
        .scan(0, |at, g| {
            let start = *at;
            *at += g.len();
            Some(start)
        })
        .collect();
    // Members only chained to their representative (through others): a direct match explains
    // each.
    let chained: Vec<u32> = (0..a.groups.len())
        .into_par_iter()
        .flat_map_iter(|i| {
            let r = content_rep[reps[i] as usize];
            let group = a.groups[i].iter().zip(&scores[starts[i]..]);
            group.filter_map(move |(&m, &(o, inside))| {
                let c = content_rep[m as usize];
                let contained = config.containment.is_some_and(|t| inside >= t);
                (c != r && o.jaccard < config.threshold && !contained).then_some(c)
            })
        })
        .collect();
    let links = analysis.links(corpus, config, &chained);
    drop(chained);
    analysis.release_pairs();
    let a = &analysis;
    let (metas, content_rep) = (&a.metas, &a.content_rep);
    let id = |d: u32| metas[d as usize].id.as_str();
    let round = |x: Option<f64>| x.map(report::round4);
    let clusters: Vec<Cluster> = (0..a.groups.len())
        .into_par_iter()
        .map(|i| {
            let (g, rep) = (&a.groups[i], reps[i]);
            let r = content_rep[rep as usize];
            let members: Vec<Member> = g
                .iter()
                .zip(&scores[starts[i]..])
                .map(|(&m, &(o, inside))| {
                    let c = content_rep[m as usize];
                    let mut member = Member {
                        id: id(m).to_owned(),
                        kind: MemberKind::Exact,
                        jaccard: 1.0,
                        containment: config.containment.map(|_| 1.0),
                        linked_by: None,
                    };
                    if m == rep {
                        member.kind = MemberKind::Representative;
                        return member;
                    }
                    if c == r {
                        return member;
                    }
                    member.jaccard = report::round4(o.jaccard);
                    member.containment = round(config.containment.map(|_| inside));
                    let contained = config.containment.is_some_and(|t| inside >= t);
                    member.kind = if o.jaccard < config.threshold && contained {
                        MemberKind::Contained
                    } else {
                        MemberKind::Near
                    };
                    if o.jaccard < config.threshold && !contained {
                        member.linked_by = links.get(&c).map(|&(other, lo)| Link {
                            id: id(other).to_owned(),
                            jaccard: report::round4(lo.jaccard),
                            containment: round(
                                config.containment.map(|_| lo.a_in_b.max(lo.b_in_a)),
                            ),
                        });
                    }
                    member
                })
                .collect();
            let all_exact = g.iter().all(|&m| content_rep[m as usize] == r);
            Cluster {
                id: i + 1,
                kind: if all_exact {
                    ClusterKind::Exact
                } else {
                    ClusterKind::Near
                },
                representative: id(rep).to_owned(),
                members,
            }
        })
        .collect();
    let mut summary = Summary {
        documents: metas.len(),
        boilerplate_lines: a.boilerplate.len(),
        ignored: corpus.ignored(),
        ..Default::default()
    };
    for c in &clusters {
        summary.contained += c
            .members
            .iter()
            .filter(|m| m.kind == MemberKind::Contained)
            .count();
        match c.kind {
            ClusterKind::Exact => summary.exact_clusters += 1,
            ClusterKind::Near => summary.near_clusters += 1,
        }
        summary.duplicates += c.members.len() - 1;
    }
    analysis.release_sets();
    let elapsed = t.elapsed();
    analysis.stats.stages.push(("report", elapsed));
    let params = config.lsh_params();
    summary.skipped = analysis.skipped.len();
    let report = Report {
        params: Params {
            shingle: config.shingle.to_string(),
            num_perm: config.num_perm,
            seed: config.seed,
            threshold: config.threshold,
            bands: params.bands,
            rows: params.rows,
            verified: config.verify,
            containment: config.containment,
        },
        summary,
        clusters,
    };
    let warnings = analysis.take_warnings();
    Ok(ScanOutput {
        report,
        skipped: std::mem::take(&mut analysis.skipped),
        warnings,
        stats: std::mem::take(&mut analysis.stats),
    })
}

impl Analysis {
    /// The documents' signature estimate of Jaccard similarity.
    fn estimate(&self, a: u32, b: u32, k: usize) -> f64 {
        self.sigs.estimate(a, b, k)
    }

    /// The shingle set of document `d` that the first pass kept, if it did (and it is not
    /// released yet).
    fn kept_set(&self, d: u32) -> Option<&Arc<[u64]>> {
        self.pass_sets.get(d as usize)?.as_ref()
    }

    /// A document's shingle sets read again, or `None` (with the reason recorded) when it can
    /// no longer be read or has changed since the first pass.
    fn load(&self, corpus: &Corpus, config: &ScanConfig, d: u32) -> Option<Sets> {
        if let Some(set) = self.kept_set(d) {
            return Some(Sets {
                all: Arc::clone(set),
                body: Vec::new(),
            });
        }
        let meta = &self.metas[d as usize];
        thread_local! {
            static SCRATCH: std::cell::RefCell<Scratch> = Default::default();
        }
        let fp = Fingerprinter::new(config, &self.boilerplate);
        let problem = match corpus.load(meta.loc) {
            Err(p) => p,
            Ok((_, doc, _)) => {
                let sets = SCRATCH.with_borrow_mut(|s| {
                    let (content, body) = if config.containment.is_some() {
                        fp.shingles_and_body(&doc.text, s)
                    } else {
                        (fp.shingles(&doc.text, s), Vec::new())
                    };
                    let sets = (content == meta.content).then(|| Sets {
                        // A copy of exactly the set's size; the buffer stays for the next one.
                        all: Arc::from(s.shingles.as_slice()),
                        body,
                    });
                    s.trim();
                    sets
                });
                if sets.is_some() {
                    return sets;
                }
                Problem {
                    input: corpus.describe(meta.loc),
                    cause: "changed during the run; its pairs were not verified".into(),
                }
            }
        };
        self.reread_problems
            .lock()
            .expect("no panics while held")
            .push((d, problem));
        None
    }

    /// Overlaps of `pairs` (document indices, `a < b`) that `keep` takes, handed to `each`
    /// batch after batch as `(a, b, overlap)`, after the number of pairs the batch checked:
    /// exact from the sets the first pass kept or the documents read again (a pair with a
    /// document that cannot be read is left out), or estimated from the signatures with
    /// `--no-verify`. `pairs` is reordered: the pairs of two kept sets first, then the others as
    /// [`verify::Checker::run`] leaves them.
    pub fn overlaps_each(
        &self,
        corpus: &Corpus,
        config: &ScanConfig,
        pairs: &mut [(u32, u32)],
        keep: impl Fn(&Overlap) -> bool + Sync,
        each: impl FnMut(usize, Vec<(u32, u32, Overlap)>),
    ) {
        self.overlaps_skipping(corpus, config, pairs, keep, |_, _| false, each);
    }

    /// [`Analysis::overlaps_each`], leaving unscored the pairs `skip` names when their batch
    /// is formed (after every earlier batch went to `each`), as [`verify::Checker::run_skipping`]
    /// does: they count among the pairs a batch checked and are left swapped in `pairs`.
    pub fn overlaps_skipping(
        &self,
        corpus: &Corpus,
        config: &ScanConfig,
        pairs: &mut [(u32, u32)],
        keep: impl Fn(&Overlap) -> bool + Sync,
        mut skip: impl FnMut(u32, u32) -> bool,
        mut each: impl FnMut(usize, Vec<(u32, u32, Overlap)>),
    ) {
        let k = config.num_perm;
        // A chunk's pairs to score; the others left swapped.
        let mut todo = |chunk: &mut [(u32, u32)]| -> Vec<(u32, u32)> {
            let mut todo = Vec::with_capacity(chunk.len());
            for p in chunk.iter_mut() {
                if !verify::left_out(p, &mut skip) {
                    todo.push(*p);
                }
            }
            todo
        };
        if config.verify {
            // Pairs of two sets the first pass kept are scored as they are, on all threads: the
            // checker's batching is for documents read again, and its bookkeeping is sequential
            // (it took most of the time of `dedup`'s thousands of rounds on a large family).
            let kept = |d: u32| self.kept_set(d);
            // Those pairs first, moved to the front in place.
            let mut ready = 0;
            for i in 0..pairs.len() {
                let (a, b) = pairs[i];
                if kept(a).is_some() && kept(b).is_some() {
                    pairs.swap(ready, i);
                    ready += 1;
                }
            }
            let (ready, pairs) = pairs.split_at_mut(ready);
            for chunk in ready.chunks_mut(verify::BATCH_PAIRS) {
                let batch: Vec<(u32, u32, Overlap)> = todo(chunk)
                    .par_iter()
                    .filter_map(|&(a, b)| {
                        let o = verify::overlap(kept(a)?, kept(b)?);
                        keep(&o).then_some((a, b, o))
                    })
                    .collect();
                each(chunk.len(), batch);
            }
            let checker = verify::Checker {
                n_docs: self.metas.len(),
                room: (VERIFY_BATCH_BYTES, |d: u32| {
                    // The sets' bytes, the body's as many again; each document weighs at least
                    // its share of the room at VERIFY_BATCH_DOCS to a batch.
                    let sides = 1 + usize::from(config.containment.is_some());
                    (8 * sides * self.metas[d as usize].shingles as usize)
                        .max(VERIFY_BATCH_BYTES / VERIFY_BATCH_DOCS)
                }),
                load: |d| self.load(corpus, config, d),
                score: verify::body_overlap,
                wanted: keep,
            };
            checker.run_skipping(pairs, skip, each);
        } else {
            for chunk in pairs.chunks_mut(verify::BATCH_PAIRS) {
                let batch: Vec<(u32, u32, Overlap)> = todo(chunk)
                    .par_iter()
                    .filter_map(|&(a, b)| {
                        let (sa, sb) = (
                            self.metas[a as usize].shingles,
                            self.metas[b as usize].shingles,
                        );
                        Some((a, b, estimated_overlap(self.estimate(a, b, k), sa, sb)))
                            .filter(|p| keep(&p.2))
                    })
                    .collect();
                each(chunk.len(), batch);
            }
        }
    }

    /// As [`Analysis::overlaps_each`], all at once, sorted by pair.
    pub fn overlaps(
        &self,
        corpus: &Corpus,
        config: &ScanConfig,
        pairs: &[(u32, u32)],
        keep: impl Fn(&Overlap) -> bool + Sync,
    ) -> Vec<(u32, u32, Overlap)> {
        let mut order = pairs.to_vec();
        let mut got = Vec::new();
        self.overlaps_each(corpus, config, &mut order, keep, |_, batch| {
            got.extend(batch)
        });
        got.par_sort_unstable_by_key(|&(a, b, _)| (a, b));
        got
    }

    /// The verified overlap of documents `a` and `b` (`a < b`) when the pair was accepted.
    pub fn known(&self, a: u32, b: u32) -> Option<Overlap> {
        self.known.get(a, b, |d| self.metas[d as usize].shingles)
    }

    /// For each `(member, target)`, in the order given, the member's overlap with the target and
    /// the share of the member found in it, from verified pairs where known and computed
    /// otherwise. Exact copies score 1; a pair that cannot be read scores 0 (the reason is
    /// among the warnings).
    pub fn scores_to(
        &self,
        corpus: &Corpus,
        config: &ScanConfig,
        wanted: &[(u32, u32)],
    ) -> Vec<(Overlap, f64)> {
        let key = |a: u32, b: u32| (a.min(b), a.max(b));
        let rep = |d: u32| self.content_rep[d as usize];
        // Exact copies and verified pairs are looked up (twice: cheaper than holding what was
        // found for every pair wanted); the rest are computed.
        let mut missing: Vec<(u32, u32)> = wanted
            .par_iter()
            .map(|&(m, t)| key(rep(m), rep(t)))
            .filter(|&(x, y)| x != y && self.known(x, y).is_none())
            .collect();
        missing.par_sort_unstable();
        missing.dedup();
        // Sorted by pair. A pair that cannot be read is left out, and scores 0 below.
        let computed = self.overlaps(corpus, config, &missing, |_| true);
        drop(missing);
        wanted
            .par_iter()
            .map(|&(m, t)| {
                let (c, r) = (rep(m), rep(t));
                if c == r {
                    let same = Overlap {
                        jaccard: 1.0,
                        a_in_b: 1.0,
                        b_in_a: 1.0,
                        shared: self.metas[m as usize].shingles as usize,
                    };
                    return (same, 1.0);
                }
                let (x, y) = key(c, r);
                let o = self.known(x, y).unwrap_or_else(|| {
                    computed
                        .binary_search_by_key(&(x, y), |&(a, b, _)| (a, b))
                        .map_or_else(|_| Overlap::default(), |i| computed[i].2)
                });
                let inside = if c < r { o.a_in_b } else { o.b_in_a };
                (o, inside)
            })
            .collect()
    }

    /// As [`Analysis::scores_to`], but only for the pairs that match (Jaccard at least the
    /// threshold, or the member contained in the target): `None` for the others. Without
    /// containment, a pair whose sizes rule it out, or whose signatures estimate it below the
    /// floor that verification uses, is not scored (a matching pair falls there less than once
    /// in 10,000 times).
    pub fn matches_to(
        &self,
        corpus: &Corpus,
        config: &ScanConfig,
        wanted: &[(u32, u32)],
    ) -> Vec<Option<(Overlap, f64)>> {
        let key = |a: u32, b: u32| (a.min(b), a.max(b));
        let rep = |d: u32| self.content_rep[d as usize];
        let size = |d: u32| self.metas[d as usize].shingles;
        let k = config.num_perm;
        let floor = check_floor(config, config.threshold);
        // With containment every pair is scored: the share of a member inside the target counts
        // its body shingles, which neither the set sizes nor the signatures give.
        let hopeless = |m: u32, t: u32| {
            let (c, r) = (rep(m), rep(t));
            if c == r || config.containment.is_some() {
                return false;
            }
            let (x, y) = key(c, r);
            // Jaccard is at most the ratio of the sizes (computed as the scores are, so that a
            // pair exactly at the threshold is not lost to rounding); an estimate is not.
            let (p, q) = (size(x).min(size(y)), size(x).max(size(y)));
            if config.verify && (p as f64 / q as f64) < config.threshold {
                return true;
            }
            // Below the floor verification uses too.
            self.estimate(x, y, k) < floor
        };
        let skip: Vec<bool> = wanted.par_iter().map(|&(m, t)| hopeless(m, t)).collect();
        let rest: Vec<(u32, u32)> = wanted
            .iter()
            .zip(&skip)
            .filter(|(_, s)| !**s)
            .map(|(&p, _)| p)
            .collect();
        let mut scores = self.scores_to(corpus, config, &rest).into_iter();
        skip.iter()
            .map(|&s| {
                if s {
                    return None;
                }
                let (o, inside) = scores.next().expect("a score for every pair left");
                let near = o.jaccard >= config.threshold;
                let contained = config.containment.is_some_and(|t| inside >= t);
                (near || contained).then_some((o, inside))
            })
            .collect()
    }

    /// The direct match that linked each of `chained` (documents, each its exact copies'
    /// first) to its cluster: the strongest accepted pair (by its largest score, the smaller
    /// document on a tie) among its [`LINK_CANDIDATES`] pairs worth checking that its signature
    /// ranks highest, or among all of them when none of these is accepted. Ranking by the
    /// signatures, which every run computes the same, keeps the choice the same whichever pairs
    /// verification scored, and scores a few pairs per member where a family of thousands of
    /// near copies has thousands.
    pub fn links(
        &self,
        corpus: &Corpus,
        config: &ScanConfig,
        chained: &[u32],
    ) -> DocMap<u32, (u32, Overlap)> {
        let mut links = DocMap::default();
        if chained.is_empty() {
            return links;
        }
        let k = config.num_perm;
        let mut members = chained.to_vec();
        members.par_sort_unstable();
        members.dedup();
        // Each member's place in `tops`.
        let mut slot = vec![u32::MAX; self.metas.len()];
        for (i, &d) in members.iter().enumerate() {
            slot[d as usize] = i as u32;
        }
        let place = |d: u32| Some(slot[d as usize] as usize).filter(|&i| i != u32::MAX as usize);
        // Each member's pairs its signature ranks highest, in one table (a family of thousands
        // of chained copies has millions of pairs; a table per thread would hold every member
        // again): the estimates of a chunk of pairs on all threads, then each thread takes in
        // the pairs of its own share of the members.
        let mut tops = vec![Top::default(); members.len()];
        let share = members.len().div_ceil(rayon::current_num_threads()).max(1);
        for chunk in self.checked.chunks(1 << 16) {
            let estimates: Vec<f64> = chunk
                .par_iter()
                .map(|&(a, b)| {
                    if place(a).is_some() || place(b).is_some() {
                        self.estimate(a, b, k)
                    } else {
                        0.0
                    }
                })
                .collect();
            tops.par_chunks_mut(share)
                .enumerate()
                .for_each(|(part, tops)| {
                    let first = part * share;
                    for (&(a, b), &e) in chunk.iter().zip(&estimates) {
                        for (x, y) in [(a, b), (b, a)] {
                            match place(x) {
                                Some(i) if (first..first + tops.len()).contains(&i) => {
                                    tops[i - first].push(e, y);
                                }
                                _ => {}
                            }
                        }
                    }
                });
        }
        let strength = |o: &Overlap| o.jaccard.max(o.a_in_b).max(o.b_in_a);
        // The strongest accepted pair of each member among `pairs` (member first).
        let strongest = |pairs: &[(u32, u32)], links: &mut DocMap<u32, (u32, Overlap)>| {
            let scores = self.scores_to(corpus, config, pairs);
            for (&(x, y), &(o, _)) in pairs.iter().zip(&scores) {
                if !accepted(config, &o) {
                    continue;
                }
                let e = links.entry(x).or_insert((y, o));
                if strength(&o) > strength(&e.1) || (strength(&o) == strength(&e.1) && y < e.0) {
                    *e = (y, o);
                }
            }
        };
        let first: Vec<(u32, u32)> = members
            .iter()
            .zip(&tops)
            .flat_map(|(&x, top)| top.list().iter().map(move |&(_, y)| (x, y)))
            .collect();
        drop(tops);
        strongest(&first, &mut links);
        drop(first);
        // Members none of whose first pairs is accepted: all their pairs.
        let mut unlinked = false;
        for &x in &members {
            if links.contains_key(&x) {
                slot[x as usize] = u32::MAX;
            } else {
                unlinked = true;
            }
        }
        if unlinked {
            let place = |d: u32| slot[d as usize] != u32::MAX;
            let rest: Vec<(u32, u32)> = self
                .checked
                .iter()
                .flat_map(|&(a, b)| [(a, b), (b, a)])
                .filter(|&(x, _)| place(x))
                .collect();
            strongest(&rest, &mut links);
        }
        links
    }

    /// Frees the candidate pairs kept for [`Analysis::links`] (8 bytes a pair: millions
    /// among a family of near copies), when no link is wanted.
    pub fn release_pairs(&mut self) {
        self.checked = Vec::new();
    }

    /// Frees the shingle sets the first pass kept: what is scored from then on is read again.
    pub fn release_sets(&mut self) {
        self.pass_sets = Vec::new();
    }

    /// The warnings of the run, documents that could not be read again included, in order.
    pub fn take_warnings(&mut self) -> Vec<Problem> {
        let mut reread: Vec<(u32, Problem)> =
            std::mem::take(&mut *self.reread_problems.lock().expect("no panics while held"));
        reread.sort_by_key(|(d, _)| *d);
        reread.dedup_by_key(|(d, _)| *d);
        let mut w = std::mem::take(&mut self.warnings);
        w.extend(reread.into_iter().map(|(_, p)| p));
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boilerplate::BoilerplateConfig;

    #[test]
    fn permutations_move_whole_blocks_and_single_elements() {
        // Block i holds [10i, 10i + 1]; each order is checked against a plain gather.
        for order in [
            vec![0u32, 1, 2, 3],
            vec![3, 2, 1, 0],
            vec![1, 2, 3, 0],
            vec![2, 0, 1, 3],
        ] {
            let mut data: Vec<u32> = (0..4).flat_map(|i| [10 * i, 10 * i + 1]).collect();
            let want: Vec<u32> = order.iter().flat_map(|&i| [10 * i, 10 * i + 1]).collect();
            permute_blocks(&mut data, 2, &order);
            assert_eq!(data, want, "{order:?}");
            let mut single: Vec<u32> = (0..4).collect();
            permute(&mut single, &order);
            assert_eq!(single, order, "{order:?}");
        }
    }

    /// A folder with a site template, a page of nothing but template, CRLF and blank lines,
    /// invalid UTF-8, a page without words, JSONL records and an HTML page.
    fn census_corpus(dir: &std::path::Path) -> Corpus {
        let head = "Daily Planet\nHome | World | Sports | Weather\n";
        let foot = "\nCopyright Daily Planet, all rights reserved.\n";
        for i in 0..12 {
            let body = format!(
                "Story {i} tells of event {i} in the city hall,\r\n\r\nwhere the council met \
                 late and voted {i} times on the budget of the year."
            );
            std::fs::write(
                dir.join(format!("p{i:02}.txt")),
                format!("{head}{body}{foot}"),
            )
            .unwrap();
        }
        std::fs::write(dir.join("bare.txt"), format!("{head}{foot}")).unwrap();
        std::fs::write(
            dir.join("latin1.txt"),
            b"caf\xe9 au lait for four of us, please",
        )
        .unwrap();
        std::fs::write(dir.join("nowords.txt"), "... --- !!! ???").unwrap();
        let records: String = (0..6)
            .map(|i| {
                let text =
                    format!("{head}Record {i} says the river rose {i} feet overnight.{foot}");
                format!("{}\n", serde_json::json!({ "text": text }))
            })
            .collect();
        std::fs::write(dir.join("recs.jsonl"), records).unwrap();
        std::fs::write(
            dir.join("page.html"),
            "<html><head><title>T</title></head><body><p>Daily Planet</p>\
             <p>An HTML story of the harbour and its seven new cranes.</p></body></html>",
        )
        .unwrap();
        Corpus::open(&[dir.to_path_buf()], Default::default()).unwrap()
    }

    #[test]
    fn shingles_and_body_at_once_equal_them_apart() {
        // Boilerplate lines, short lines, CRLF, non-ASCII words and a line repeated.
        let lines = [
            "Subscribe to our newsletter for more stories like this one, delivered to your \
             inbox every morning before breakfast at no cost",
            "Breaking",
            "The council voted on Tuesday to widen the road past the old mill, after a year in \
             which three lorries got stuck there\r",
            "Café owners said the détour would cost them a season of trade, and asked the \
             council for help with their rents until the work ends",
            "Subscribe to our newsletter for more stories like this one, delivered to your \
             inbox every morning before breakfast at no cost",
            "",
            "The council voted on Tuesday to widen the road past the old mill, after a year in \
             which three lorries got stuck there",
            "A short line of eight words, not body.",
        ];
        let text = lines.join("\n");
        let dir = tempfile::tempdir().unwrap();
        for i in 0..60 {
            let other = format!(
                "Story {i} about something else, told briefly.\n{}",
                lines[0]
            );
            std::fs::write(dir.path().join(format!("{i}.txt")), other).unwrap();
        }
        std::fs::write(dir.path().join("this.txt"), &text).unwrap();
        let corpus = Corpus::open(&[dir.path().to_path_buf()], Default::default()).unwrap();
        let bp = Boilerplate::learn(&corpus, &BoilerplateConfig::default());
        assert!(!bp.is_empty(), "the newsletter line is boilerplate");
        for shingle in [
            ShingleKind::Word(4),
            ShingleKind::Word(2),
            ShingleKind::Char(5),
        ] {
            let config = ScanConfig {
                shingle,
                ..Default::default()
            };
            let fp = Fingerprinter::new(&config, &bp);
            let mut s = Scratch::default();
            let content = fp.shingles(&text, &mut s);
            let all = s.shingles.clone();
            let body = fp.body_shingles(&text, &mut s);
            assert!(!body.is_empty() && body.len() < all.len(), "{shingle:?}");
            let mut t = Scratch::default();
            let (content2, body2) = fp.shingles_and_body(&text, &mut t);
            assert_eq!(content2, content, "{shingle:?}");
            assert_eq!(t.shingles, all, "{shingle:?}");
            assert_eq!(body2, body, "{shingle:?}");
        }
    }

    /// Every document the census kept gives the first pass what reading it again gives: the
    /// same shingles, exact-duplicate hash, id, date, size and warning.
    #[test]
    fn kept_documents_fingerprint_as_read_ones() {
        let dir = tempfile::tempdir().unwrap();
        let corpus = census_corpus(dir.path());
        corpus.keep_extracted();
        let config = ScanConfig::default();
        let (bp, mut census) = Boilerplate::learn_keeping(&corpus, &config.boilerplate, usize::MAX);
        assert!(bp.len() >= 3, "the template lines are boilerplate");
        let fp = Fingerprinter::new(&config, &bp);
        let (mut s, mut r) = (Scratch::default(), Scratch::default());
        let mut kept = Vec::new();
        corpus.for_each_batch(READ_BATCH_DOCS, |batch| {
            for p in batch {
                match Work::from(p, &mut census) {
                    Work::Kept(k) => kept.push(k),
                    Work::Read(p) => {
                        let (loc, ..) = corpus.read(p).unwrap_or_else(|e| panic!("{e}"));
                        assert_eq!(
                            corpus.describe(loc),
                            dir.path().join("nowords.txt").display().to_string()
                        );
                    }
                }
            }
        });
        assert_eq!(
            kept.len(),
            12 + 1 + 1 + 6 + 1,
            "all but the page without words"
        );
        for k in kept {
            let (loc, doc, warning) = corpus.load(k.loc).unwrap();
            let content = fp.fill(&doc.text, &mut r, false);
            let id = doc.id.clone();
            let got = fp.kept_into(&corpus, k, &mut s).unwrap();
            assert_eq!(s.shingles, r.shingles, "{id}");
            assert_eq!(got.content, content, "{id}");
            assert_eq!(
                (got.loc, got.id, got.date, got.bytes, got.warning),
                (loc, doc.id, doc.date, doc.text.len() as u64, warning)
            );
        }
    }

    /// A generated corpus of `docs` documents (planted copies among them), and its folder.
    fn synth_corpus(docs: usize, seed: u64) -> (tempfile::TempDir, Corpus) {
        let dir = tempfile::tempdir().unwrap();
        let synth = crate::synth::SynthConfig {
            docs,
            seed,
            ..Default::default()
        };
        crate::synth::generate(&synth, dir.path()).unwrap();
        let corpus = Corpus::open(&[dir.path().join("docs")], Default::default()).unwrap();
        (dir, corpus)
    }

    /// The pairs kept are the strongest by estimate, ties to the smaller partner, whatever the
    /// order they come in.
    #[test]
    fn top_keeps_the_highest_estimates_in_any_order() {
        let mut all: Vec<(f64, u32)> = (0..40u32)
            .map(|y| (f64::from((y * 7) % 13) / 13.0, y))
            .collect();
        all.sort_by(|p, q| q.0.total_cmp(&p.0).then(p.1.cmp(&q.1)));
        let expected = &all[..LINK_CANDIDATES];
        for shift in [0, 5, 17, 39] {
            let mut top = Top::default();
            for i in 0..all.len() {
                let (e, y) = all[(i * 11 + shift) % all.len()];
                top.push(e, y);
            }
            assert_eq!(top.list(), expected, "shift {shift}");
        }
        let mut few = Top::default();
        few.push(0.5, 3);
        few.push(0.9, 7);
        assert_eq!(few.list(), [(0.9, 7), (0.5, 3)]);
    }

    /// A member below the threshold against its representative names its strongest direct
    /// match, with their exact score: in a chain of articles, each sharing 72 of its 80 words
    /// with the next, member `d` is linked by `d - 1` (as strong as `d + 1`, and the smaller).
    #[test]
    fn chained_members_name_their_strongest_direct_match() {
        let dir = tempfile::tempdir().unwrap();
        let word = |i: usize| {
            let letters: String = [i % 26, i / 26 % 26, i / 676]
                .iter()
                .map(|&c| char::from(b'a' + c as u8))
                .collect();
            format!("w{letters}")
        };
        for d in 0..12 {
            let words: Vec<String> = (d * 8..d * 8 + 80).map(word).collect();
            std::fs::write(dir.path().join(format!("d{d:02}.txt")), words.join(" ")).unwrap();
        }
        let corpus = Corpus::open(&[dir.path().to_path_buf()], Default::default()).unwrap();
        let config = ScanConfig::default();
        let out = scan(&corpus, &config, &crate::progress::NoProgress).unwrap();
        let clusters = &out.report.clusters;
        assert_eq!(clusters.len(), 1);
        assert_eq!(clusters[0].representative, "d00.txt");
        // 77 shingles each, 69 shared with a neighbour.
        let neighbours = report::round4(69.0 / 85.0);
        let mut chained = 0;
        for m in &clusters[0].members {
            let d: usize = m.id[1..3].parse().unwrap();
            if m.jaccard >= config.threshold {
                assert!(m.linked_by.is_none(), "{}", m.id);
                continue;
            }
            chained += 1;
            let link = m.linked_by.as_ref().expect("a chained member is linked");
            assert_eq!(link.id, format!("d{:02}.txt", d - 1));
            assert_eq!(link.jaccard, neighbours);
        }
        assert!(chained >= 6, "{chained}");
    }

    #[test]
    fn verification_progress_adds_up_to_the_pairs_checked() {
        /// The total each stage began with, and what was advanced in it.
        #[derive(Default)]
        struct Recorder(Mutex<Vec<(&'static str, Option<u64>, u64)>>);
        impl Progress for Recorder {
            fn begin(&self, stage: &'static str, total: Option<u64>) {
                self.0.lock().unwrap().push((stage, total, 0));
            }
            fn advance(&self, n: u64) {
                self.0.lock().unwrap().last_mut().unwrap().2 += n;
            }
        }
        let (_dir, corpus) = synth_corpus(400, 9);
        for verify in [true, false] {
            let config = ScanConfig {
                verify,
                ..Default::default()
            };
            let recorder = Recorder::default();
            let analysis = Analysis::run(&corpus, &config, &recorder).unwrap();
            let stages = recorder.0.into_inner().unwrap();
            let checked = (analysis.stats.checked + analysis.stats.linked) as u64;
            assert!(checked >= 50, "{checked}");
            let verifying: Vec<_> = stages.iter().filter(|s| s.0 == "verifying").collect();
            assert_eq!(verifying, [&("verifying", Some(checked), checked)]);
        }
    }

    /// Sets the first pass kept are what verification would have read: every verified pair
    /// scores the same when both of its documents are read again.
    #[test]
    fn kept_sets_verify_as_sets_read_again() {
        let (_dir, corpus) = synth_corpus(600, 5);
        let config = ScanConfig::default();
        let analysis = Analysis::run(&corpus, &config, &crate::progress::NoProgress).unwrap();
        assert!(
            !analysis.pass_sets.is_empty(),
            "kept for the scores after clustering"
        );
        let mut analysis = analysis;
        analysis.release_sets();
        assert!(analysis.pass_sets.is_empty());
        assert!(
            analysis.stats.kept_sets >= 50,
            "{}",
            analysis.stats.kept_sets
        );
        let mut pairs: Vec<(u32, u32)> = analysis.known.pairs().collect();
        pairs.sort_unstable();
        assert!(pairs.len() >= 50, "{}", pairs.len());
        let again = analysis.overlaps(&corpus, &config, &pairs, |_| true);
        assert_eq!(again.len(), pairs.len());
        for (a, b, o) in again {
            assert_eq!(analysis.known(a, b), Some(o), "{a} {b}");
        }
    }

    /// What `matches_to` leaves out unscored never matches: it agrees with every score, for
    /// pairs inside clusters and between them, with and without containment, with kept sets
    /// and with sets read again, and with estimates (`--no-verify`).
    #[test]
    fn matches_are_the_pairs_whose_scores_match() {
        let (_dir, corpus) = synth_corpus(500, 13);
        for (containment, verify) in [(None, true), (Some(0.8), true), (None, false)] {
            let config = ScanConfig {
                containment,
                verify,
                ..Default::default()
            };
            let mut analysis =
                Analysis::run(&corpus, &config, &crate::progress::NoProgress).unwrap();
            let g = &analysis.groups;
            let mut wanted: Vec<(u32, u32)> = g
                .iter()
                .flat_map(|g| g.iter().flat_map(move |&a| g.iter().map(move |&b| (a, b))))
                .filter(|(a, b)| a != b)
                .collect();
            wanted.extend(g.windows(2).map(|w| (w[0][0], w[1][0])));
            for release in [false, true] {
                if release {
                    analysis.release_sets();
                }
                let scores = analysis.scores_to(&corpus, &config, &wanted);
                let matches = analysis.matches_to(&corpus, &config, &wanted);
                let mut seen = [0; 2];
                for ((s, m), p) in scores.iter().zip(&matches).zip(&wanted) {
                    let near = s.0.jaccard >= config.threshold;
                    let matching = near || containment.is_some_and(|c| s.1 >= c);
                    let mode = (containment, verify);
                    assert_eq!(m.as_ref(), matching.then_some(s), "{p:?} {mode:?}");
                    seen[usize::from(matching)] += 1;
                }
                assert!(seen[0] >= 20 && seen[1] >= 100, "{seen:?}");
            }
        }
    }

    /// Under `--memory`, what is held at once stays within the budget whenever the budget covers
    /// the part no spilling removes (and the smallest run buffer); without one, the fixed bounds.
    #[test]
    fn the_memory_plan_stays_within_the_budget() {
        let free = MemoryPlan::new(None, 1_000_000, 128);
        assert!(!free.spill && free.known.is_none());
        assert_eq!(
            (free.census, free.verify, free.seen),
            (CENSUS_KEEP_BYTES, VERIFY_KEEP_BYTES, SEEN_BANDS_BYTES)
        );
        let k = 128u64;
        let mut checked = [0; 2];
        for docs in [1_000u64, 150_000, 1_000_000] {
            let fixed = docs * META_BYTES_PER_DOC;
            let signatures = docs * (2 * k + 32);
            let mib = [64u64, 110, 200, 512, 700, 1024, 4096];
            for m in mib.map(|x| x << 20) {
                let p = MemoryPlan::new(Some(m), docs as usize, k as usize);
                assert_eq!(p.spill, fixed + signatures > m, "{docs} docs, {m} bytes");
                let known = p.known.expect("a share for verified pairs under a budget");
                let stores = (p.census + p.verify + p.seen + known) as u64;
                if fixed + MIN_RUN_BYTES as u64 + stores > m {
                    // Too small for what cannot spill: stores shrink to nothing much.
                    assert!(stores <= 4 * (m.saturating_sub(fixed) / 8) + 4, "{p:?}");
                    continue;
                }
                let held = if p.spill {
                    // While band tables are built: the kept sets, the band-key table, the runs.
                    fixed + (p.verify + p.seen + p.runs) as u64
                } else {
                    fixed + signatures + stores
                };
                assert!(held <= m, "{docs} docs, {m} bytes: {p:?} holds {held}");
                checked[usize::from(p.spill)] += 1;
                // A budget large enough leaves the stores their full size.
                if m >= fixed + signatures + 8 * VERIFY_KEEP_BYTES as u64 {
                    assert_eq!(p.verify, VERIFY_KEEP_BYTES, "{docs} docs, {m} bytes");
                }
            }
        }
        // Both kinds of run were checked against their budget, not only passed over.
        assert!(checked[0] > 0 && checked[1] > 0, "{checked:?}");
        // The budget of the README's million-document run: nearly all of it is per document.
        let tight = MemoryPlan::new(Some(512 << 20), 1_000_000, 128);
        assert!(tight.spill);
        assert!(tight.verify < 4 << 20, "{tight:?}");
    }

    /// Within a budget, the census keeps documents in input order, each within its share of
    /// the batch's room, until one does not fit.
    #[test]
    fn the_census_keeps_documents_in_order_within_its_budget() {
        let dir = tempfile::tempdir().unwrap();
        let corpus = census_corpus(dir.path());
        let config = BoilerplateConfig::default();
        // The size of what the census kept of each input, in input order.
        let sizes = |mut census: Census| {
            let mut sizes = Vec::new();
            corpus.for_each_batch(READ_BATCH_DOCS, |batch| {
                sizes.extend(batch.iter().map(|p| census.take(p).map(|k| k.size())));
            });
            sizes
        };
        let all = sizes(Boilerplate::learn_keeping(&corpus, &config, usize::MAX).1);
        assert!(all.len() < READ_BATCH_DOCS, "one batch");
        assert!(sizes(Boilerplate::learn_keeping(&corpus, &config, 0).1)
            .iter()
            .all(Option::is_none));
        let mut seen = std::collections::BTreeSet::new();
        for budget in [200, 1000, 2000, 4000, 8000, 16000] {
            let some = sizes(Boilerplate::learn_keeping(&corpus, &config, budget).1);
            // In input order, each document within its share of the batch's room, until one
            // does not fit in what is left.
            let share = budget / all.len();
            let mut room = budget;
            let want: Vec<Option<usize>> = all
                .iter()
                .map(|&size| match size {
                    Some(n) if n <= share && n <= room => {
                        room -= n;
                        Some(n)
                    }
                    Some(n) if n <= share => {
                        room = 0;
                        None
                    }
                    _ => None,
                })
                .collect();
            assert_eq!(some, want, "budget {budget}");
            let held: usize = some.iter().flatten().sum();
            assert!(held <= budget, "{held} bytes kept of {budget}");
            seen.insert(some.iter().flatten().count());
        }
        assert!(
            seen.len() >= 3,
            "the budgets keep different numbers: {seen:?}"
        );
    }

    /// A document larger than the scratch keeps: read without sorting, it gives the set of
    /// the sorted shingles, and once trimmed no buffer of the scratch stays large.
    #[test]
    fn a_large_document_leaves_no_large_buffers() {
        let dir = tempfile::tempdir().unwrap();
        // About 12 MB of words, 250,000 distinct shingles: beyond the dedup table.
        let text: String = (0..1_200_000u32)
            .map(|i| format!("word{} ", i % 250_000))
            .collect();
        std::fs::write(dir.path().join("big.txt"), &text).unwrap();
        let corpus = Corpus::open(&[dir.path().to_path_buf()], Default::default()).unwrap();
        let config = ScanConfig::default();
        let bp = Boilerplate::none();
        let fp = Fingerprinter::new(&config, &bp);
        let mut want = Scratch::default();
        fp.shingles(&text, &mut want);
        assert!(want.shingles.len() > crate::shingle::DEDUP_TABLE_MAX);
        let mut s = Scratch::default();
        let mut got = Vec::new();
        corpus.for_each_batch(READ_BATCH_DOCS, |batch| {
            for p in batch {
                let f = fp.read_into(&corpus, p, &mut s, false).unwrap();
                assert_eq!(f.bytes, text.len() as u64);
                got = s.shingles.clone();
                s.trim();
            }
        });
        got.sort_unstable();
        assert_eq!(got, want.shingles);
        for (name, cap) in [
            ("words", s.words.capacity()),
            ("shingles", s.shingles.capacity()),
            ("table", s.table.capacity()),
            ("slots", s.slots.capacity()),
        ] {
            assert!(cap <= SCRATCH_KEEP, "{name}: room for {cap}");
        }
    }

    #[test]
    fn needed_jaccard_matches_a_constructed_pair() {
        // 90 of a 100-shingle set inside a 300-shingle set: 90 / (100 + 300 - 90).
        assert!((needed_jaccard(0.9, 100.0, 300.0) - 90.0 / 310.0).abs() < 1e-12);
    }
}
