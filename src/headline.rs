//! Repeated headlines across a corpus: the same story under the same or nearly the same
//! headline, even when the bodies differ (an updated story, a rewrite).
//!
//! A document's headline is its HTML `<title>` (the longest part when the title is cut by
//! ` | ` or ` - `, which usually drops the site name) or first `<h1>`, its JSONL title field,
//! or else its first line that is not site boilerplate (learned as `scan` learns it) and looks
//! like a headline: at least [`MIN_HEADLINE_WORDS`] words, and not a menu (two or more `|`).
//! Headlines are compared after normalization: equal, or near: the Dice coefficient of their
//! sets of distinctive words is at least the threshold, both having [`MIN_NEAR_WORDS`] such
//! words or more. Distinctive words are those in at most 1 % of the headlines (and at most
//! [`STOP_MIN_HEADLINES`] of them): "to", "the", "of" would otherwise link unrelated
//! headlines, and, in a large corpus, make nearly every pair a candidate. Candidates come
//! from MinHash and LSH over the word sets, so a corpus of millions is never compared pair by
//! pair; only the headlines (a few dozen bytes each) are held in memory.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;
use xxhash_rust::xxh3::{xxh3_128, xxh3_64_with_seed};

use crate::boilerplate::{Boilerplate, BoilerplateConfig};
use crate::cluster::{self, UnionFind};
use crate::corpus::{Corpus, Document, Problem};
use crate::lsh::{self, LshParams};
use crate::minhash::{self, MinHasher};
use crate::normalize::normalize_into;
use crate::progress::Progress;
use crate::shingle::{dice, sorted_set};

/// Default Dice coefficient of word sets from which two headlines are near the same.
pub const DEFAULT_SIMILARITY: f64 = 0.6;
/// Fewest words both headlines need for a near match (equal headlines need one).
pub const MIN_NEAR_WORDS: usize = 3;
/// Fewest words of a line taken as a headline when the document names none.
pub const MIN_HEADLINE_WORDS: usize = 3;

/// A word in more headlines than this (and than 1 % of them) is not distinctive.
pub const STOP_MIN_HEADLINES: usize = 50;
/// Share of headlines above which a word is not distinctive.
const STOP_SHARE: f64 = 0.01;

/// Signature length for headlines: they have few words, so few values suffice.
const HEADLINE_PERM: usize = 128;

/// One document in a group.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Member {
    /// Document id.
    pub id: String,
    /// Its headline as written.
    pub headline: String,
    /// Dice similarity of its headline's distinctive words to the group headline's.
    pub similarity: f64,
}

/// Documents with the same or nearly the same headline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Group {
    /// The group's most common headline, as written in the first document (by id) that has it.
    pub headline: String,
    /// Members, by id.
    pub members: Vec<Member>,
}

/// What `headlines` found.
#[derive(Clone, Debug, Default)]
pub struct Headlines {
    /// Groups of two or more documents, largest first.
    pub groups: Vec<Group>,
    /// Documents read.
    pub documents: usize,
    /// Documents in which no headline was found.
    pub without_headline: usize,
    /// Inputs skipped.
    pub skipped: Vec<Problem>,
}

/// The headline of `doc`, as written, or `None`.
pub fn headline_of(doc: &Document, boilerplate: &Boilerplate) -> Option<String> {
    let mut buf = String::new();
    if let Some(t) = &doc.title {
        let best = t
            .split(" | ")
            .flat_map(|p| p.split(" - "))
            .flat_map(|p| p.split(" – "))
            .max_by_key(|p| p.trim().len())
            .unwrap_or(t)
            .trim();
        normalize_into(best, &mut buf);
        if !buf.is_empty() {
            return Some(best.to_owned());
        }
    }
    doc.text.lines().find_map(|raw| {
        normalize_into(raw, &mut buf);
        let menu = raw.matches('|').count() >= 2;
        let headline = crate::normalize::word_count(&buf) >= MIN_HEADLINE_WORDS
            && !menu
            && !boilerplate.contains(&buf);
        headline.then(|| raw.trim().to_owned())
    })
}

/// The distinct words of a normalized headline, sorted.
fn words(normalized: &str) -> Vec<&str> {
    let mut words: Vec<&str> = normalized.split(' ').collect();
    words.sort_unstable();
    words.dedup();
    words
}

/// Groups the documents of `corpus` by headline. `similarity` is the Dice threshold.
pub fn headlines(corpus: &Corpus, similarity: f64, progress: &dyn Progress) -> Headlines {
    // The sample reads pages that are read again next: extracted once.
    corpus.keep_extracted();
    progress.begin("boilerplate", None);
    let boilerplate = Boilerplate::learn(corpus, &BoilerplateConfig::default());
    progress.finish();
    let mut result = Headlines::default();
    // (id, headline as written, normalized headline)
    let mut rows: Vec<(String, String, String)> = Vec::new();
    progress.begin("reading", None);
    corpus.for_each_batch(crate::config::READ_BATCH_DOCS, |batch| {
        let n = batch.len() as u64;
        let got: Vec<Result<(String, Option<String>), Problem>> = batch
            .into_par_iter()
            .map(|p| {
                corpus.read(p).map(|(_, doc, _)| {
                    let h = headline_of(&doc, &boilerplate);
                    (doc.id, h)
                })
            })
            .collect();
        for g in got {
            match g {
                Err(p) => result.skipped.push(p),
                Ok((id, None)) => {
                    let _ = id;
                    result.documents += 1;
                    result.without_headline += 1;
                }
                Ok((id, Some(h))) => {
                    result.documents += 1;
                    let mut norm = String::new();
                    normalize_into(&h, &mut norm);
                    rows.push((id, h, norm));
                }
            }
        }
        progress.advance(n);
    });
    progress.finish();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    result.groups = group(&rows, similarity);
    result
}

fn group(rows: &[(String, String, String)], similarity: f64) -> Vec<Group> {
    let n = rows.len();
    let mut uf = UnionFind::new(n);
    // Equal headlines.
    let mut by_text: HashMap<u128, u32> = HashMap::new();
    let mut unique: Vec<u32> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        match by_text.entry(xxh3_128(r.2.as_bytes())) {
            std::collections::hash_map::Entry::Occupied(e) => uf.union(*e.get(), i as u32),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(i as u32);
                unique.push(i as u32);
            }
        }
    }
    // Distinctive words: counted over distinct headlines.
    let mut df: HashMap<&str, usize> = HashMap::new();
    for &i in &unique {
        for w in words(&rows[i as usize].2) {
            *df.entry(w).or_default() += 1;
        }
    }
    let stop_above = STOP_MIN_HEADLINES.max((STOP_SHARE * unique.len() as f64) as usize);
    // Each headline's distinctive words, as a sorted set of their hashes.
    let sets: Vec<Vec<u64>> = rows
        .iter()
        .map(|r| {
            // Repeated words hash alike and are removed as the set is made.
            sorted_set(
                r.2.split(' ')
                    .filter(|w| df.get(w).is_none_or(|&c| c <= stop_above))
                    .map(|w| xxh3_64_with_seed(w.as_bytes(), 1)),
            )
        })
        .collect();
    // Near headlines: MinHash over distinctive word sets, LSH, then the exact Dice.
    let hasher = MinHasher::new(HEADLINE_PERM, 1);
    let sigs: Vec<u32> = sets
        .par_iter()
        .flat_map_iter(|set| {
            let mut sig = vec![0u32; HEADLINE_PERM];
            hasher.signature_into(set, &mut minhash::Scratch::default(), &mut sig);
            sig
        })
        .collect();
    let near: Vec<u32> = unique
        .iter()
        .copied()
        .filter(|&i| sets[i as usize].len() >= MIN_NEAR_WORDS)
        .collect();
    // Dice d on sets is Jaccard d / (2 - d).
    let params = LshParams::for_threshold(similarity / (2.0 - similarity), HEADLINE_PERM);
    let pairs = lsh::candidates(&sigs, HEADLINE_PERM, &near, params, |_, _| true);
    let linked: Vec<(u32, u32)> = pairs
        .into_par_iter()
        .filter(|&(a, b)| dice(&sets[a as usize], &sets[b as usize]) >= similarity)
        .collect();
    for (a, b) in linked {
        uf.union(a, b);
    }
    let mut groups: Vec<Group> = cluster::groups(&mut uf, n, |d| rows[d as usize].0.as_str())
        .into_iter()
        .map(|members| {
            // The most common normalized headline; ties go to the first by id.
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for &m in &members {
                *counts.entry(rows[m as usize].2.as_str()).or_default() += 1;
            }
            let top = members
                .iter()
                .max_by(|&&a, &&b| {
                    counts[rows[a as usize].2.as_str()]
                        .cmp(&counts[rows[b as usize].2.as_str()])
                        .then(b.cmp(&a))
                })
                .copied()
                .expect("groups have members");
            let top_words = &sets[top as usize];
            Group {
                headline: rows[top as usize].1.clone(),
                members: members
                    .iter()
                    .map(|&m| {
                        let r = &rows[m as usize];
                        Member {
                            id: r.0.clone(),
                            headline: r.1.clone(),
                            similarity: crate::report::round4(if r.2 == rows[top as usize].2 {
                                1.0
                            } else {
                                dice(top_words, &sets[m as usize])
                            }),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    groups.sort_by(|a, b| {
        b.members
            .len()
            .cmp(&a.members.len())
            .then_with(|| a.members[0].id.cmp(&b.members[0].id))
    });
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, h: &str) -> (String, String, String) {
        (id.into(), h.into(), crate::normalize::normalize(h))
    }

    #[test]
    fn same_and_reworded_headlines_group() {
        let rows = vec![
            row("a", "Sheinbaum Rejects U.S. Plans to Send Troops to Mexico: \"It's Not Going to Happen\""),
            row("b", "Sheinbaum rejects U.S. plans to send troops to Mexico: ‘It’s not going to happen’"),
            row("c", "Sheinbaum Rejects U.S. Troop Incursion: \"It's Not Going to Happen\""),
            row("d", "Local Team Wins the Regional Cup After Extra Time"),
            row("e", "Markets Fall as Oil Prices Climb Again"),
        ];
        let g = group(&rows, DEFAULT_SIMILARITY);
        assert_eq!(g.len(), 1, "{g:?}");
        let ids: Vec<&str> = g[0].members.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(
            g[0].headline, rows[0].1,
            "the most common form, first by id"
        );
        assert_eq!(g[0].members[1].similarity, 1.0);
        assert!(
            g[0].members[2].similarity >= DEFAULT_SIMILARITY && g[0].members[2].similarity < 1.0
        );
    }

    #[test]
    fn headline_sources() {
        let bp = Boilerplate::none();
        let html = Document {
            id: "x".into(),
            title: Some("Big Story Today | The Daily Site".into()),
            date: None,
            text: "x".into(),
        };
        assert_eq!(headline_of(&html, &bp).as_deref(), Some("Big Story Today"));
        let text = Document {
            id: "y".into(),
            title: None,
            text: "Site News\nHome | World | Sports\n  \n First Line Here \nbody".into(),
            date: None,
        };
        assert_eq!(headline_of(&text, &bp).as_deref(), Some("First Line Here"));
        let empty = Document {
            id: "z".into(),
            title: None,
            text: " ... \n".into(),
            date: None,
        };
        assert_eq!(headline_of(&empty, &bp), None);
    }
}
