//! Repeated lines: inside one document (a headline printed twice, once reworded) and across a
//! corpus (site navigation, footers, bylines, reused headlines).
//!
//! Lines are compared after normalization. `within` groups a document's lines that are equal,
//! or near: lines of [`NEAR_LINE_MIN_WORDS`] words or more whose word sets have a Dice
//! coefficient (twice the shared words over the sum of both sizes) of at least
//! [`NEAR_LINE_SIMILARITY`]. Dice rather than Jaccard because a reworded headline keeps most
//! of its words but drops or swaps a few, which Jaccard punishes twice; the word floor keeps
//! short lines ("Body paragraph one", "Body paragraph two") from matching on two words. `across` counts, for every line, the documents that
//! carry it, in two streaming passes: a count-min sketch of fixed size first, then exact counts
//! for the lines the sketch says may reach the floor (the sketch never undercounts, so no line
//! is missed). Memory is the sketch plus the frequent lines, never the corpus.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap, HashSet};

use rayon::prelude::*;
use serde::Serialize;

use crate::boilerplate::{line_hash, Hashed};
use crate::cluster::UnionFind;
use crate::corpus::{Corpus, Document, Problem};
use crate::normalize::line_words;
use crate::progress::Progress;
use crate::shingle::{dice, sorted_set};

/// Word-set Dice coefficient from which two lines of one document are near repeats.
pub const NEAR_LINE_SIMILARITY: f64 = 0.6;
/// Fewest words a line needs to be matched as a near repeat (exact repeats need one).
pub const NEAR_LINE_MIN_WORDS: usize = 5;
/// Documents with more distinct lines than this are searched for exact repeats only.
const NEAR_LINE_MAX_LINES: usize = 2000;

/// A line that occurs more than once in one document.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Repeat {
    /// The document.
    pub id: String,
    /// The first occurrence, as written.
    pub text: String,
    /// 1-based line numbers of every occurrence, exact and near.
    pub lines: Vec<usize>,
    /// The near occurrences: their line and word-set similarity to the first.
    pub near: Vec<NearLine>,
}

/// An occurrence that is not word for word the same.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NearLine {
    /// 1-based line number.
    pub line: usize,
    /// Word-set Dice similarity to the first occurrence.
    pub similarity: f64,
}

/// The pairs `(a, b)`, `a < b`, of lines (given by their word counts and sorted sets of word
/// hashes) that have [`NEAR_LINE_MIN_WORDS`] words or more each and a word-set Dice
/// coefficient of at least [`NEAR_LINE_SIMILARITY`], in no particular order.
///
/// Not every pair is compared, which took a fifth of a second for a long article's thousand
/// lines: a pair that similar shares at least `α = t / (2 - t)` of either line's words (`t` the
/// threshold), so it shares a word among the first `n - ⌈α n⌉ + 1` of each line's `n` words
/// when words are ranked rarest first. Lines are compared only with the earlier lines that
/// have one of their own first words among those first words.
fn near_pairs(counts: &[usize], sets: &[Vec<u64>]) -> Vec<(u32, u32)> {
    let t = NEAR_LINE_SIMILARITY;
    let alpha = t / (2.0 - t);
    let eligible: Vec<u32> = (0..counts.len() as u32)
        .filter(|&i| counts[i as usize] >= NEAR_LINE_MIN_WORDS)
        .collect();
    // Words ranked by the number of eligible lines carrying them, rarest first.
    let mut freq: HashMap<u64, u32, Hashed> = HashMap::default();
    for &i in &eligible {
        for &w in &sets[i as usize] {
            *freq.entry(w).or_default() += 1;
        }
    }
    let mut ranked: Vec<(u32, u64)> = freq.into_iter().map(|(w, n)| (n, w)).collect();
    ranked.sort_unstable();
    let rank: HashMap<u64, u64, Hashed> = ranked
        .iter()
        .enumerate()
        .map(|(r, &(_, w))| (w, r as u64))
        .collect();
    let ids: Vec<Vec<u64>> = eligible
        .iter()
        .map(|&i| {
            let mut v: Vec<u64> = sets[i as usize].iter().map(|w| rank[w]).collect();
            v.sort_unstable();
            v
        })
        .collect();
    // For each word (by rank), the earlier lines having it among their first words.
    let mut by_word: Vec<Vec<u32>> = vec![Vec::new(); ranked.len()];
    let mut compared = vec![usize::MAX; ids.len()];
    let mut pairs = Vec::new();
    for (k, words) in ids.iter().enumerate() {
        // Less a hair, so that a product that should be whole is not rounded up.
        let need = (alpha * words.len() as f64 - 1e-9).ceil().max(1.0) as usize;
        let prefix = &words[..words.len() + 1 - need.min(words.len())];
        for w in prefix {
            for &j in &by_word[*w as usize] {
                if compared[j as usize] != k {
                    compared[j as usize] = k;
                    if dice(&ids[j as usize], words) >= t {
                        pairs.push((eligible[j as usize], eligible[k]));
                    }
                }
            }
        }
        for &w in prefix {
            by_word[w as usize].push(k as u32);
        }
    }
    pairs
}

/// Lines repeated inside `doc`, exactly or nearly, in order of first occurrence.
///
/// ```
/// let doc = neardup::corpus::Document {
///     id: "a".into(),
///     title: None,
///     text: "Big News From The Town Hall\n\nBig news from the town hall!\nBody text.\nBig News From Town Hall Again".into(),
///     date: None,
/// };
/// let r = neardup::lines::within(&doc);
/// assert_eq!(r.len(), 1);
/// assert_eq!(r[0].lines, vec![1, 3, 5]);
/// ```
pub fn within(doc: &Document) -> Vec<Repeat> {
    // Distinct lines, by the hash of their canonical words: each line's word count (the
    // first occurrence's), its set of word hashes, and the lines it stands at (1-based).
    // `line_words` cuts the text at every '\n', as `split` does.
    let raw: Vec<&str> = doc.text.split('\n').collect();
    let mut index: HashMap<u64, usize, Hashed> = HashMap::default();
    let mut counts: Vec<usize> = Vec::new();
    let mut sets: Vec<Vec<u64>> = Vec::new();
    let mut at: Vec<Vec<usize>> = Vec::new();
    let mut line = 0;
    let (mut buf, mut words) = (String::new(), Vec::new());
    line_words(&doc.text, &mut buf, &mut words, |words| {
        line += 1;
        if words.is_empty() {
            return;
        }
        match index.entry(line_hash(words)) {
            Entry::Occupied(g) => at[*g.get()].push(line),
            Entry::Vacant(v) => {
                v.insert(at.len());
                counts.push(words.len());
                sets.push(sorted_set(words.iter().copied()));
                at.push(vec![line]);
            }
        }
    });
    let mut uf = UnionFind::new(at.len());
    if at.len() <= NEAR_LINE_MAX_LINES {
        for (a, b) in near_pairs(&counts, &sets) {
            uf.union(a, b);
        }
    }
    let mut groups: HashMap<u32, Vec<usize>> = HashMap::new();
    for g in 0..at.len() {
        groups.entry(uf.find(g as u32)).or_default().push(g);
    }
    let mut out: Vec<Repeat> = groups
        .into_values()
        .filter_map(|members| {
            let mut lines: Vec<usize> = members
                .iter()
                .flat_map(|&g| at[g].iter().copied())
                .collect();
            if lines.len() < 2 {
                return None;
            }
            lines.sort_unstable();
            let first = *members
                .iter()
                .min_by_key(|&&g| at[g][0])
                .expect("non-empty group");
            let mut near: Vec<NearLine> = members
                .iter()
                .filter(|&&g| g != first)
                .flat_map(|&g| {
                    let similarity = crate::report::round4(dice(&sets[first], &sets[g]));
                    at[g].iter().map(move |&line| NearLine { line, similarity })
                })
                .collect();
            near.sort_by_key(|n| n.line);
            Some(Repeat {
                id: doc.id.clone(),
                text: raw[at[first][0] - 1].trim().to_owned(),
                lines,
                near,
            })
        })
        .collect();
    out.sort_by_key(|r| r.lines[0]);
    out
}

/// [`within`] over every document of `corpus`: the repeats sorted by document id, then line;
/// the number of documents read; and the inputs skipped.
pub fn within_corpus(
    corpus: &Corpus,
    progress: &dyn Progress,
) -> (Vec<Repeat>, usize, Vec<Problem>) {
    let mut repeats = Vec::new();
    let mut skipped = Vec::new();
    let mut documents = 0;
    progress.begin("reading", None);
    corpus.for_each_batch(crate::config::READ_BATCH_DOCS, |batch| {
        let n = batch.len() as u64;
        let found: Vec<Result<Vec<Repeat>, Problem>> = batch
            .into_par_iter()
            .map(|p| corpus.read(p).map(|(_, doc, _)| within(&doc)))
            .collect();
        for f in found {
            match f {
                Ok(r) => {
                    documents += 1;
                    repeats.extend(r);
                }
                Err(p) => skipped.push(p),
            }
        }
        progress.advance(n);
    });
    progress.finish();
    repeats.sort_by(|a, b| a.id.cmp(&b.id).then(a.lines[0].cmp(&b.lines[0])));
    (repeats, documents, skipped)
}

/// A line carried by several documents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Shared {
    /// The line as written in the document with the smallest id.
    pub text: String,
    /// The exact number of documents that carry it.
    pub documents: usize,
    /// The smallest ids among them.
    pub ids: Vec<String>,
}

/// What `across` produced.
#[derive(Clone, Debug, Default)]
pub struct Across {
    /// Lines in at least the floor of documents, most frequent first.
    pub lines: Vec<Shared>,
    /// Documents read.
    pub documents: usize,
    /// Inputs skipped, in input order.
    pub skipped: Vec<Problem>,
}

/// A count-min sketch with conservative update: estimates never fall below true counts.
struct Sketch {
    rows: Vec<Vec<u32>>,
    mask: u64,
}

impl Sketch {
    fn new(depth: usize, width_log2: u32) -> Self {
        Sketch {
            rows: vec![vec![0; 1 << width_log2]; depth],
            mask: (1u64 << width_log2) - 1,
        }
    }
    fn slot(&self, row: usize, h: u64) -> usize {
        (crate::shingle::fmix64(h ^ (row as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)) & self.mask)
            as usize
    }
    fn estimate(&self, h: u64) -> u32 {
        (0..self.rows.len())
            .map(|r| self.rows[r][self.slot(r, h)])
            .min()
            .unwrap_or(0)
    }
    fn add(&mut self, h: u64) {
        let new = self.estimate(h).saturating_add(1);
        for r in 0..self.rows.len() {
            let s = self.slot(r, h);
            self.rows[r][s] = self.rows[r][s].max(new);
        }
    }
}

/// Sketch size: 4 rows of 2^22 counters, 64 MiB.
const SKETCH_DEPTH: usize = 4;
const SKETCH_WIDTH_LOG2: u32 = 22;

/// A document's id and its distinct lines that may be frequent (key, line as written).
type IdLines = (String, Vec<(u64, String)>);

/// Scratch space of [`distinct_lines`].
type LineBuf = (String, Vec<u64>, HashSet<u64, Hashed>);

/// The distinct lines of `doc`, blank ones left out: the key of each (the hash of its
/// canonical words) and the index of its first occurrence among the text's lines as cut at
/// every '\n'.
fn distinct_lines(doc: &Document, (buf, words, seen): &mut LineBuf) -> Vec<(u64, usize)> {
    seen.clear();
    let mut out = Vec::new();
    let mut line = 0;
    line_words(&doc.text, buf, words, |words| {
        if !words.is_empty() {
            let h = line_hash(words);
            if seen.insert(h) {
                out.push((h, line));
            }
        }
        line += 1;
    });
    out
}

/// Lines carried by at least `min_documents` documents of `corpus`, with exact counts and the
/// `max_ids` smallest ids of each.
pub fn across(
    corpus: &Corpus,
    min_documents: usize,
    max_ids: usize,
    progress: &dyn Progress,
) -> Across {
    let min_documents = min_documents.max(2);
    // Two passes over every document: pages and messages are extracted in the first only.
    corpus.keep_extracted();
    let mut sketch = Sketch::new(SKETCH_DEPTH, SKETCH_WIDTH_LOG2);
    progress.begin("counting lines", None);
    corpus.for_each_batch(crate::config::READ_BATCH_DOCS, |batch| {
        let n = batch.len() as u64;
        let hashes: Vec<Vec<u64>> = batch
            .into_par_iter()
            .map_init(LineBuf::default, |buf, p| match corpus.read(p) {
                Ok((_, doc, _)) => distinct_lines(&doc, buf)
                    .into_iter()
                    .map(|(h, _)| h)
                    .collect(),
                Err(_) => Vec::new(),
            })
            .collect();
        for h in hashes.into_iter().flatten() {
            sketch.add(h);
        }
        progress.advance(n);
    });
    progress.finish();

    struct Entry {
        documents: usize,
        text: String,
        ids: BTreeSet<String>,
    }
    let mut exact: HashMap<u64, Entry> = HashMap::new();
    let mut result = Across::default();
    progress.begin("confirming", None);
    corpus.for_each_batch(crate::config::READ_BATCH_DOCS, |batch| {
        let n = batch.len() as u64;
        let docs: Vec<Result<IdLines, Problem>> = batch
            .into_par_iter()
            .map_init(LineBuf::default, |buf, p| {
                corpus.read(p).map(|(_, doc, _)| {
                    let mut lines = distinct_lines(&doc, buf);
                    lines.retain(|(h, _)| sketch.estimate(*h) as usize >= min_documents);
                    let raw: Vec<&str> = if lines.is_empty() {
                        Vec::new()
                    } else {
                        doc.text.split('\n').collect()
                    };
                    let lines = lines
                        .into_iter()
                        .map(|(h, i)| (h, raw[i].trim().to_owned()))
                        .collect();
                    (doc.id, lines)
                })
            })
            .collect();
        for d in docs {
            let (id, lines) = match d {
                Ok(x) => x,
                Err(p) => {
                    result.skipped.push(p);
                    continue;
                }
            };
            result.documents += 1;
            for (h, raw) in lines {
                let e = exact.entry(h).or_insert_with(|| Entry {
                    documents: 0,
                    text: raw.clone(),
                    ids: BTreeSet::new(),
                });
                e.documents += 1;
                let smallest = e.ids.first().is_none_or(|f| id < *f);
                if smallest {
                    e.text = raw;
                }
                e.ids.insert(id.clone());
                if e.ids.len() > max_ids {
                    e.ids.pop_last();
                }
            }
        }
        progress.advance(n);
    });
    progress.finish();
    let mut lines: Vec<Shared> = exact
        .into_values()
        .filter(|e| e.documents >= min_documents)
        .map(|e| Shared {
            text: e.text,
            documents: e.documents,
            ids: e.ids.into_iter().collect(),
        })
        .collect();
    lines.sort_by(|a, b| {
        b.documents
            .cmp(&a.documents)
            .then_with(|| a.text.cmp(&b.text))
    });
    result.lines = lines;
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::word_hash;

    fn doc(text: &str) -> Document {
        Document {
            id: "d".into(),
            title: None,
            text: text.into(),
            date: None,
        }
    }

    #[test]
    fn headline_printed_twice_and_reworded() {
        let text = "Site Name\nSection\n\nMayor Rejects Plan to Close the Old Bridge: \"Not Now\"\n\n\
            Mayor Rejects Plan to Close the Old Bridge: \"Not Now\"\n\nSummary paragraph of the story.\n\n\
            Mayor Rejects Bridge Closure: \"Not Now\"\n\nBody paragraph one.\nBody paragraph two.";
        let r = within(&doc(text));
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0].lines, vec![4, 6, 10]);
        assert_eq!(
            r[0].text,
            "Mayor Rejects Plan to Close the Old Bridge: \"Not Now\""
        );
        assert_eq!(r[0].near.len(), 1);
        assert_eq!(r[0].near[0].line, 10);
        assert!(r[0].near[0].similarity >= NEAR_LINE_SIMILARITY);
    }

    #[test]
    fn different_lines_are_not_repeats() {
        let r = within(&doc("The cat sat on the mat.\nA dog ran in the park today.\nThe cat sat.\nok\nok\nBody paragraph one.\nBody paragraph two."));
        assert_eq!(r.len(), 1, "only the exact short repeat: {r:?}");
        assert_eq!(r[0].lines, vec![4, 5]);
    }

    proptest::proptest! {
        /// The pairs found without comparing every two lines are those that comparing every
        /// two lines finds, on lines drawn from a small vocabulary (many near pairs).
        #[test]
        fn near_pairs_equal_every_pair_compared(
            lines in proptest::collection::vec(
                proptest::collection::vec(0u8..14, 1..14), 0..40)
        ) {
            let hashed: Vec<Vec<u64>> = lines
                .iter()
                .map(|l| l.iter().map(|w| word_hash(format!("w{w}").as_bytes())).collect())
                .collect();
            let counts: Vec<usize> = lines.iter().map(Vec::len).collect();
            let sets: Vec<Vec<u64>> = hashed.iter().map(|h| sorted_set(h.iter().copied())).collect();
            let mut got = near_pairs(&counts, &sets);
            got.sort_unstable();
            // Every pair, with sets of the words themselves.
            let words: Vec<BTreeSet<u8>> = lines.iter().map(|l| l.iter().copied().collect()).collect();
            let mut want = Vec::new();
            for a in 0..lines.len() {
                for b in a + 1..lines.len() {
                    let shared = words[a].intersection(&words[b]).count();
                    let score = 2.0 * shared as f64 / (words[a].len() + words[b].len()) as f64;
                    if lines[a].len() >= NEAR_LINE_MIN_WORDS
                        && lines[b].len() >= NEAR_LINE_MIN_WORDS
                        && score >= NEAR_LINE_SIMILARITY
                    {
                        want.push((a as u32, b as u32));
                    }
                }
            }
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn sketch_never_undercounts() {
        let mut s = Sketch::new(2, 4); // tiny: many collisions
        let mut truth = HashMap::new();
        for i in 0..500u64 {
            let h = i % 37;
            s.add(h);
            *truth.entry(h).or_insert(0u32) += 1;
        }
        for (h, c) in truth {
            assert!(s.estimate(h) >= c);
        }
    }
}
