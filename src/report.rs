//! Stage 8, report: the serde model of a scan's result and its renderers (text, JSON, JSONL,
//! CSV), each writing bytes to a caller's writer.
//!
//! Invariants: the model holds no timings or other run-dependent values, so rendering the same
//! result gives the same bytes; scores are rounded to four decimals.

use std::io::{self, Write};

use rayon::prelude::*;
use serde::Serialize;

/// The whole result of a scan.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The parameters in force.
    pub params: Params,
    /// Counts.
    pub summary: Summary,
    /// Groups of two or more matching documents, by smallest member id.
    pub clusters: Vec<Cluster>,
}

/// Parameters that decide the result, so that a report says how it was made.
#[derive(Clone, Debug, Serialize)]
pub struct Params {
    /// Shingle kind and size, such as `word:5`.
    pub shingle: String,
    /// Signature length.
    pub num_perm: usize,
    /// Hash seed.
    pub seed: u64,
    /// Jaccard threshold.
    pub threshold: f64,
    /// LSH bands.
    pub bands: usize,
    /// LSH rows per band.
    pub rows: usize,
    /// Whether every pair was checked with exact Jaccard.
    pub verified: bool,
    /// The containment threshold, when containment was looked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub containment: Option<f64>,
}

/// Counts over the whole run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Documents fingerprinted.
    pub documents: usize,
    /// Inputs skipped (each named on stderr).
    pub skipped: usize,
    /// Files in folders left out because of their extension.
    pub ignored: usize,
    /// Distinct lines treated as site boilerplate and left out of the fingerprints.
    pub boilerplate_lines: usize,
    /// Clusters whose members are all identical after normalization.
    pub exact_clusters: usize,
    /// Other clusters.
    pub near_clusters: usize,
    /// Documents in clusters, less one per cluster: what a deduplication would drop.
    pub duplicates: usize,
    /// Members of kind `contained`.
    pub contained: usize,
}

/// How a cluster's members relate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClusterKind {
    /// All members identical after normalization.
    Exact,
    /// At least one member differs.
    Near,
}

/// How a member relates to its cluster's representative.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberKind {
    /// The representative itself.
    Representative,
    /// Identical to the representative after normalization.
    Exact,
    /// Similar to the representative, or to another member (see `linked_by`).
    Near,
    /// Mostly contained in the representative (containment mode), though not similar overall:
    /// a truncated copy, an excerpt.
    Contained,
}

/// A direct verified match of a member, shown when the member is not itself close to the
/// representative: the link that put it into the cluster.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Link {
    /// The member it matched.
    pub id: String,
    /// Their Jaccard similarity.
    pub jaccard: f64,
    /// The larger share of either found in the other (containment mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub containment: Option<f64>,
}

/// One document of a cluster.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Member {
    /// Document id.
    pub id: String,
    /// Its relation to the representative.
    pub kind: MemberKind,
    /// Jaccard similarity to the representative.
    pub jaccard: f64,
    /// Share of the member's shingles found in the representative (containment mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub containment: Option<f64>,
    /// The direct match that brought it in, when its Jaccard to the representative is below
    /// the threshold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linked_by: Option<Link>,
}

/// A group of matching documents.
#[derive(Clone, Debug, Serialize)]
pub struct Cluster {
    /// 1-based number in report order.
    pub id: usize,
    /// Exact or near.
    pub kind: ClusterKind,
    /// The id of the most complete member.
    pub representative: String,
    /// Members, by id.
    pub members: Vec<Member>,
}

/// Rounds a score to four decimals for output.
pub fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A readable report, one block per cluster.
    Text,
    /// One JSON object.
    Json,
    /// One JSON object per cluster, one per line.
    Jsonl,
    /// One row per member.
    Csv,
}

impl Report {
    /// Renders the report in `format` to `out`.
    ///
    /// # Errors
    /// Any error of the writer (a closed pipe, a full disk).
    pub fn write(&self, format: Format, out: &mut dyn Write) -> io::Result<()> {
        match format {
            Format::Json => {
                self.write_json(out)?;
                out.write_all(b"\n")
            }
            Format::Jsonl => {
                for c in &self.clusters {
                    serde_json::to_writer(&mut *out, c)?;
                    out.write_all(b"\n")?;
                }
                Ok(())
            }
            Format::Csv => self.write_csv(out),
            Format::Text => self.write_text(out),
        }
    }

    /// Pretty JSON, byte for byte what `serde_json::to_writer_pretty` writes, with the
    /// clusters rendered on all threads: each on its own, then indented to its depth (a JSON
    /// string never holds a raw line break, so every line break is between tokens).
    fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        /// The report without its clusters, which come last.
        #[derive(Serialize)]
        struct Head<'a> {
            params: &'a Params,
            summary: &'a Summary,
            clusters: [(); 0],
        }
        let mut head = serde_json::to_vec_pretty(&Head {
            params: &self.params,
            summary: &self.summary,
            clusters: [],
        })?;
        if self.clusters.is_empty() {
            return out.write_all(&head);
        }
        // Ends in the empty list and the closing brace.
        let tail = b"[]\n}";
        debug_assert!(head.ends_with(tail));
        head.truncate(head.len() - tail.len());
        out.write_all(&head)?;
        out.write_all(b"[\n")?;
        // Windows of clusters, so that only a window's text is held at once.
        const WINDOW: usize = 8192;
        const PIECE: usize = 256;
        for (w, window) in self.clusters.chunks(WINDOW).enumerate() {
            let pieces: Vec<io::Result<Vec<u8>>> = window
                .par_chunks(PIECE)
                .enumerate()
                .map(|(p, piece)| {
                    let mut text = Vec::new();
                    let mut one = Vec::new();
                    for (i, cluster) in piece.iter().enumerate() {
                        if w + p + i > 0 {
                            text.extend_from_slice(b",\n");
                        }
                        one.clear();
                        serde_json::to_writer_pretty(&mut one, cluster)?;
                        // Two levels deep: the report, then its list of clusters.
                        for (l, line) in one.split(|&b| b == b'\n').enumerate() {
                            if l > 0 {
                                text.push(b'\n');
                            }
                            text.extend_from_slice(b"    ");
                            text.extend_from_slice(line);
                        }
                    }
                    Ok(text)
                })
                .collect();
            for piece in pieces {
                out.write_all(&piece?)?;
            }
        }
        out.write_all(b"\n  ]\n}")
    }

    fn write_csv(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "cluster,id,representative,jaccard,containment,kind,linked_by"
        )?;
        for c in &self.clusters {
            for m in &c.members {
                let kind = serde_json::to_value(m.kind).unwrap_or_default();
                writeln!(
                    out,
                    "{},{},{},{},{},{},{}",
                    c.id,
                    csv_field(&m.id),
                    csv_field(&c.representative),
                    m.jaccard,
                    m.containment.map_or(String::new(), |c| c.to_string()),
                    kind.as_str().unwrap_or(""),
                    csv_field(m.linked_by.as_ref().map_or("", |l| l.id.as_str())),
                )?;
            }
        }
        Ok(())
    }

    fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        for c in &self.clusters {
            let kind = match c.kind {
                ClusterKind::Exact => "exact",
                ClusterKind::Near => "near",
            };
            writeln!(
                out,
                "cluster {} ({kind}, {} documents)",
                c.id,
                c.members.len()
            )?;
            for m in &c.members {
                match m.kind {
                    MemberKind::Representative => writeln!(out, "  {}  (representative)", m.id)?,
                    MemberKind::Exact => writeln!(out, "  {}  exact copy", m.id)?,
                    MemberKind::Contained => writeln!(
                        out,
                        "  {}  contained {:.4} (jaccard {:.4})",
                        m.id,
                        m.containment.unwrap_or(0.0),
                        m.jaccard
                    )?,
                    MemberKind::Near => {
                        write!(out, "  {}  jaccard {:.4}", m.id, m.jaccard)?;
                        if let Some(l) = &m.linked_by {
                            write!(out, "  (via {}, jaccard {:.4})", l.id, l.jaccard)?;
                        }
                        writeln!(out)?;
                    }
                }
            }
            writeln!(out)?;
        }
        let s = &self.summary;
        writeln!(
            out,
            "{} documents: {} exact and {} near clusters, {} duplicate documents",
            s.documents, s.exact_clusters, s.near_clusters, s.duplicates
        )
    }
}

/// Quotes a CSV field when it holds a comma, quote or line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Report {
        Report {
            params: Params {
                shingle: "word:5".into(),
                num_perm: 128,
                seed: 1,
                threshold: 0.5,
                bands: 42,
                rows: 3,
                verified: true,
                containment: None,
            },
            summary: Summary {
                documents: 3,
                near_clusters: 1,
                duplicates: 1,
                ..Default::default()
            },
            clusters: vec![Cluster {
                id: 1,
                kind: ClusterKind::Near,
                representative: "a,1.txt".into(),
                members: vec![
                    Member {
                        id: "a,1.txt".into(),
                        kind: MemberKind::Representative,
                        jaccard: 1.0,
                        containment: None,
                        linked_by: None,
                    },
                    Member {
                        id: "b.txt".into(),
                        kind: MemberKind::Near,
                        jaccard: 0.75,
                        containment: None,
                        linked_by: None,
                    },
                ],
            }],
        }
    }

    fn render(f: Format) -> String {
        let mut out = Vec::new();
        sample().write(f, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_quotes_and_rows() {
        let csv = render(Format::Csv);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1], "1,\"a,1.txt\",\"a,1.txt\",1,,representative,");
        assert_eq!(lines[2], "1,b.txt,\"a,1.txt\",0.75,,near,");
    }

    #[test]
    fn json_and_jsonl_parse_back() {
        let v: serde_json::Value = serde_json::from_str(&render(Format::Json)).unwrap();
        assert_eq!(v["clusters"][0]["members"][1]["id"], "b.txt");
        assert!(v["clusters"][0]["members"][0].get("linked_by").is_none());
        let jsonl = render(Format::Jsonl);
        assert_eq!(jsonl.lines().count(), 1);
        let c: serde_json::Value = serde_json::from_str(jsonl.trim()).unwrap();
        assert_eq!(c["representative"], "a,1.txt");
    }

    /// The clusters are rendered in pieces on all threads: the whole is what serde_json
    /// writes for the report in one go, with no clusters, one, and more than a window.
    #[test]
    fn json_is_serde_jsons_pretty_json() {
        let mut report = sample();
        for n in [0usize, 1, 2, 257, 8193] {
            let one = sample().clusters[0].clone();
            report.clusters = (0..n)
                .map(|i| Cluster {
                    id: i + 1,
                    representative: format!("r{i}"),
                    ..one.clone()
                })
                .collect();
            let mut want = serde_json::to_vec_pretty(&report).unwrap();
            want.push(b'\n');
            let mut got = Vec::new();
            report.write(Format::Json, &mut got).unwrap();
            assert!(got == want, "{n} clusters");
        }
    }

    #[test]
    fn text_names_every_member() {
        let t = render(Format::Text);
        assert!(t.contains("cluster 1 (near, 2 documents)"));
        assert!(t.contains("b.txt  jaccard 0.7500"));
    }

    #[test]
    fn rounding() {
        assert_eq!(round4(0.123456), 0.1235);
        assert_eq!(round4(1.0), 1.0);
    }
}
