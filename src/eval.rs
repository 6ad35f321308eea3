//! Scoring a scan against ground truth: pair precision, recall, F1 and the adjusted Rand index,
//! so that users can tune the threshold on their own labelled data.
//!
//! The truth file is JSONL, one object per document: `{"id": ID, "family": F}` with any JSON
//! value as `F`; documents that share a family are duplicates of each other; a document in a
//! family of its own is unique. An optional `"kind"` string labels the document (as the corpus
//! generator does); `ignore_kinds` leaves documents of those kinds out of both sides.
//!
//! Pairs are counted, never listed: the counts come from the contingency table of predicted
//! clusters against families, so a corpus of millions scores in linear time.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};

/// One labelled document.
#[derive(Clone, Debug)]
pub struct TruthRow {
    /// Document id.
    pub id: String,
    /// Its family, as the text of the JSON value.
    pub family: String,
    /// Its kind label, or `""`.
    pub kind: String,
}

/// Per-kind recall: of the documents of one kind that have family members, how many share a
/// predicted cluster with at least one of them.
#[derive(Clone, Debug, Default, Serialize)]
pub struct KindRecall {
    /// Documents of this kind with at least one family member.
    pub documents: usize,
    /// Of those, found with a family member.
    pub found: usize,
}

/// The scores of one result.
#[derive(Clone, Debug, Serialize)]
pub struct Scores {
    /// Documents scored.
    pub documents: usize,
    /// Pairs that are duplicates in the truth.
    pub true_pairs: u64,
    /// Pairs in the same predicted cluster.
    pub predicted_pairs: u64,
    /// Pairs in both.
    pub correct_pairs: u64,
    /// correct / predicted (1 when nothing was predicted).
    pub precision: f64,
    /// correct / true (1 when there is nothing to find).
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Adjusted Rand index of the clustering against the families.
    pub adjusted_rand_index: f64,
    /// Recall by document kind.
    pub by_kind: BTreeMap<String, KindRecall>,
    /// Wrong pairs by the kinds of their two documents ("a+b", sorted).
    pub wrong_pairs_by_kinds: BTreeMap<String, u64>,
}

/// Reads a truth file.
///
/// # Errors
/// [`Error::Io`] when it cannot be read, [`Error::Config`] naming the line that is malformed.
pub fn read_truth(path: &Path) -> Result<Vec<TruthRow>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |why: &str| Error::Config(format!("{}:{}: {why}", path.display(), i + 1));
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| bad(&format!("malformed JSON: {e}")))?;
        let id = v["id"]
            .as_str()
            .ok_or_else(|| bad("no string \"id\""))?
            .to_owned();
        let family = match &v["family"] {
            serde_json::Value::Null => return Err(bad("no \"family\"")),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let kind = v["kind"].as_str().unwrap_or("").to_owned();
        rows.push(TruthRow { id, family, kind });
    }
    Ok(rows)
}

/// Reads the clusters (lists of member ids) of a `scan --format json` result.
///
/// # Errors
/// [`Error::Io`] when it cannot be read, [`Error::Config`] when it is not such a result.
pub fn read_clusters(path: &Path) -> Result<Vec<Vec<String>>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |why: &str| Error::Config(format!("{}: {why}", path.display()));
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(&format!("not JSON: {e}")))?;
    let clusters = v["clusters"].as_array().ok_or_else(|| {
        bad("no \"clusters\" array (expected `neardup scan --format json` output)")
    })?;
    clusters
        .iter()
        .map(|c| {
            c["members"]
                .as_array()
                .ok_or_else(|| bad("a cluster without \"members\""))?
                .iter()
                .map(|m| {
                    m["id"]
                        .as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| bad("a member without a string \"id\""))
                })
                .collect()
        })
        .collect()
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Scores predicted `clusters` against `truth`. Documents in no cluster are singletons.
///
/// # Errors
/// [`Error::Config`] when a predicted id is not in the truth.
pub fn score(
    truth: &[TruthRow],
    clusters: &[Vec<String>],
    ignore_kinds: &[String],
) -> Result<Scores> {
    let ignored: HashSet<&str> = ignore_kinds.iter().map(String::as_str).collect();
    let rows: Vec<&TruthRow> = truth
        .iter()
        .filter(|r| !ignored.contains(r.kind.as_str()))
        .collect();
    let index: HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let all_ids: HashSet<&str> = truth.iter().map(|r| r.id.as_str()).collect();
    // Predicted cluster of every scored document; singletons get their own number.
    let mut predicted: Vec<usize> = (0..rows.len()).map(|i| usize::MAX - i).collect();
    for (c, members) in clusters.iter().enumerate() {
        for id in members {
            match index.get(id.as_str()) {
                Some(&i) => predicted[i] = c,
                None if all_ids.contains(id.as_str()) => {}
                None => {
                    return Err(Error::Config(format!(
                        "document {id:?} is in the result but not in the truth"
                    )))
                }
            }
        }
    }
    let mut cells: HashMap<(usize, &str), u64> = HashMap::new();
    let mut cluster_sizes: HashMap<usize, u64> = HashMap::new();
    let mut family_sizes: HashMap<&str, u64> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        *cells.entry((predicted[i], r.family.as_str())).or_default() += 1;
        *cluster_sizes.entry(predicted[i]).or_default() += 1;
        *family_sizes.entry(r.family.as_str()).or_default() += 1;
    }
    let correct: u64 = cells.values().map(|&n| pairs(n)).sum();
    let predicted_pairs: u64 = cluster_sizes.values().map(|&n| pairs(n)).sum();
    let true_pairs: u64 = family_sizes.values().map(|&n| pairs(n)).sum();
    let precision = if predicted_pairs == 0 {
        1.0
    } else {
        correct as f64 / predicted_pairs as f64
    };
    let recall = if true_pairs == 0 {
        1.0
    } else {
        correct as f64 / true_pairs as f64
    };
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    let total = pairs(rows.len() as u64) as f64;
    let expected = if total == 0.0 {
        0.0
    } else {
        predicted_pairs as f64 * true_pairs as f64 / total
    };
    let max_index = (predicted_pairs + true_pairs) as f64 / 2.0;
    let adjusted_rand_index = if max_index == expected {
        1.0
    } else {
        (correct as f64 - expected) / (max_index - expected)
    };

    let mut by_kind: BTreeMap<String, KindRecall> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        if family_sizes[r.family.as_str()] < 2 {
            continue;
        }
        let e = by_kind.entry(r.kind.clone()).or_default();
        e.documents += 1;
        if cells[&(predicted[i], r.family.as_str())] >= 2 {
            e.found += 1;
        }
    }
    let mut wrong_pairs_by_kinds: BTreeMap<String, u64> = BTreeMap::new();
    let mut members_of: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, &c) in predicted.iter().enumerate() {
        if cluster_sizes[&c] >= 2 {
            members_of.entry(c).or_default().push(i);
        }
    }
    for members in members_of.values() {
        for (x, &a) in members.iter().enumerate() {
            for &b in &members[x + 1..] {
                if rows[a].family != rows[b].family {
                    let mut k = [rows[a].kind.as_str(), rows[b].kind.as_str()];
                    k.sort_unstable();
                    *wrong_pairs_by_kinds.entry(k.join("+")).or_default() += 1;
                }
            }
        }
    }
    Ok(Scores {
        documents: rows.len(),
        true_pairs,
        predicted_pairs,
        correct_pairs: correct,
        precision,
        recall,
        f1,
        adjusted_rand_index,
        by_kind,
        wrong_pairs_by_kinds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn truth(rows: &[(&str, &str, &str)]) -> Vec<TruthRow> {
        rows.iter()
            .map(|&(id, f, k)| TruthRow {
                id: id.into(),
                family: f.into(),
                kind: k.into(),
            })
            .collect()
    }

    fn ids(c: &[&[&str]]) -> Vec<Vec<String>> {
        c.iter()
            .map(|m| m.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    #[test]
    fn perfect_and_imperfect() {
        let t = truth(&[
            ("a", "1", "original"),
            ("b", "1", "exact"),
            ("c", "1", "near"),
            ("d", "2", "original"),
            ("e", "3", "original"),
        ]);
        let s = score(&t, &ids(&[&["a", "b", "c"]]), &[]).unwrap();
        assert_eq!(
            (s.precision, s.recall, s.adjusted_rand_index),
            (1.0, 1.0, 1.0)
        );
        // Missed c, wrongly joined d: 1 correct pair of 3 predicted, 3 true.
        let s = score(&t, &ids(&[&["a", "b", "d"]]), &[]).unwrap();
        assert_eq!(
            (s.correct_pairs, s.predicted_pairs, s.true_pairs),
            (1, 3, 3)
        );
        assert!((s.precision - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(s.by_kind["near"].found, 0);
        assert_eq!(s.wrong_pairs_by_kinds["exact+original"], 1);
        assert!(s.adjusted_rand_index < 0.5);
    }

    #[test]
    fn ignored_kinds_leave_both_sides() {
        let t = truth(&[
            ("a", "1", "original"),
            ("b", "1", "truncated"),
            ("c", "2", "original"),
        ]);
        let s = score(&t, &ids(&[&["a", "b"]]), &["truncated".into()]).unwrap();
        assert_eq!((s.true_pairs, s.predicted_pairs, s.documents), (0, 0, 2));
    }

    #[test]
    fn unknown_ids_are_an_error() {
        let t = truth(&[("a", "1", "")]);
        assert!(score(&t, &ids(&[&["a", "zz"]]), &[]).is_err());
    }
}
