//! Why two documents match: their overlap scores and the passages they share.
//!
//! Scores come from the same normalization and shingles as `scan` (without boilerplate
//! removal, which needs a corpus): exact Jaccard, the MinHash estimate, containment both ways.
//! Containment, as in `scan --containment`, counts the contained side's body shingles (lines
//! of [`crate::scan::BODY_LINE_MIN_WORDS`] words or more; all shingles when it has no such
//! line), so a page's own headline, byline and teaser do not hide a truncated copy.
//! Passages are the maximal runs of words present in both documents, found by following
//! diagonals of matching word shingles; a run repeated inside a document is shown once.

use std::collections::HashMap;

use serde::Serialize;

use crate::config::ScanConfig;
use crate::minhash::{self, MinHasher};
use crate::normalize::normalize_into;
use crate::shingle::{ShingleKind, Shingler};
use crate::verify::{body_overlap, Sets};

/// Words shown at each end of a long passage.
const PASSAGE_ENDS_WORDS: usize = 15;
/// Places in B where one shingle of A is looked for: text repeated more often than this
/// inside one document is matched at its first places only.
const MAX_PLACES_PER_SHINGLE: usize = 64;

/// A run of text present in both documents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Passage {
    /// First and last line (1-based) of the run in A.
    pub a_lines: [usize; 2],
    /// First and last line of the run in B.
    pub b_lines: [usize; 2],
    /// Number of words in the run.
    pub words: usize,
    /// The run's words after normalization, shortened in the middle when long.
    pub text: String,
}

/// The overlap of two documents.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// Exact Jaccard similarity of the shingle sets.
    pub jaccard: f64,
    /// The MinHash estimate of it, from the signatures `scan` would compute.
    pub estimate: f64,
    /// Share of A's (body) shingles found in B.
    pub a_in_b: f64,
    /// Share of B's (body) shingles found in A.
    pub b_in_a: f64,
    /// Shingles in both.
    pub shared_shingles: usize,
    /// Shingles of A.
    pub a_shingles: usize,
    /// Shingles of B.
    pub b_shingles: usize,
    /// Shared passages, in A's order.
    pub passages: Vec<Passage>,
}

/// A document cut into normalized words, each with its 1-based line.
struct Words {
    text: String,
    lines: Vec<usize>,
}

fn words_of(text: &str) -> Words {
    let mut out = Words {
        text: String::new(),
        lines: Vec::new(),
    };
    let mut buf = String::new();
    for (i, line) in text.lines().enumerate() {
        normalize_into(line, &mut buf);
        if buf.is_empty() {
            continue;
        }
        if !out.text.is_empty() {
            out.text.push(' ');
        }
        out.text.push_str(&buf);
        out.lines.extend(std::iter::repeat_n(
            i + 1,
            crate::normalize::word_count(&buf),
        ));
    }
    out
}

/// Compares two texts under `config`'s shingles, seed and signature length.
///
/// ```
/// use neardup::{compare::compare, config::ScanConfig};
/// let a = "one two three four five six seven eight";
/// let b = "zero one two three four five six";
/// let c = compare(a, b, &ScanConfig::default());
/// assert_eq!(c.passages.len(), 1);
/// assert_eq!(c.passages[0].words, 6);
/// assert!(c.b_in_a > c.a_in_b);
/// ```
pub fn compare(a: &str, b: &str, config: &ScanConfig) -> Comparison {
    let shingler = Shingler::new(config.shingle, config.seed);
    let hasher = MinHasher::new(config.num_perm, config.seed);
    let (wa, wb) = (words_of(a), words_of(b));
    let mut scratch = Vec::new();
    let (mut sa, mut sb) = (Vec::new(), Vec::new());
    shingler.shingles_into(&wa.text, &mut scratch, &mut sa);
    shingler.shingles_into(&wb.text, &mut scratch, &mut sb);
    let mut ms = minhash::Scratch::default();
    let (mut ga, mut gb) = (vec![0; hasher.k()], vec![0; hasher.k()]);
    hasher.signature_into(&sa, &mut ms, &mut ga);
    hasher.signature_into(&sb, &mut ms, &mut gb);
    let estimate = if sa.is_empty() || sb.is_empty() {
        0.0
    } else {
        minhash::estimate(&ga, &gb)
    };
    let (a_shingles, b_shingles) = (sa.len(), sb.len());
    let none = crate::boilerplate::Boilerplate::none();
    let fp = crate::scan::Fingerprinter::new(config, &none);
    let mut fs = crate::scan::Scratch::default();
    let o = body_overlap(
        &Sets {
            body: fp.body_shingles(a, &mut fs),
            all: sa.into(),
        },
        &Sets {
            body: fp.body_shingles(b, &mut fs),
            all: sb.into(),
        },
    );
    Comparison {
        jaccard: o.jaccard,
        estimate,
        a_in_b: o.a_in_b,
        b_in_a: o.b_in_a,
        shared_shingles: o.shared,
        a_shingles,
        b_shingles,
        passages: passages(&wa, &wb, config),
    }
}

fn passages(a: &Words, b: &Words, config: &ScanConfig) -> Vec<Passage> {
    // Passages are runs of words, whatever the shingle kind of the scores.
    let n = match config.shingle {
        ShingleKind::Word(n) => n,
        ShingleKind::Char(_) => crate::config::DEFAULT_WORD_SHINGLE,
    };
    let words = Shingler::new(ShingleKind::Word(n), config.seed);
    let mut scratch = Vec::new();
    let (mut ha, mut hb) = (Vec::new(), Vec::new());
    words.positional_into(&a.text, &mut scratch, &mut ha);
    words.positional_into(&b.text, &mut scratch, &mut hb);
    let (na, nb) = (a.lines.len(), b.lines.len());
    if na < n || nb < n {
        // A text shorter than one shingle matches only as a whole.
        if !a.text.is_empty() && a.text == b.text {
            return vec![passage(a, b, 0, 0, na)];
        }
        return Vec::new();
    }
    let mut places: HashMap<u64, Vec<usize>> = HashMap::new();
    for (j, &h) in hb.iter().enumerate() {
        let v = places.entry(h).or_default();
        if v.len() < MAX_PLACES_PER_SHINGLE {
            v.push(j);
        }
    }
    // Maximal diagonal runs: (start in A, start in B, shingles in the run).
    let mut runs: Vec<(usize, usize, usize)> = Vec::new();
    for (i, h) in ha.iter().enumerate() {
        for &j in places.get(h).map(Vec::as_slice).unwrap_or(&[]) {
            if i > 0 && j > 0 && ha[i - 1] == hb[j - 1] {
                continue; // inside a run that starts earlier
            }
            let mut t = 1;
            while i + t < ha.len() && j + t < hb.len() && ha[i + t] == hb[j + t] {
                t += 1;
            }
            runs.push((i, j, t));
        }
    }
    // Longest first; a run whose words in A are already shown is a repeat.
    runs.sort_by(|x, y| y.2.cmp(&x.2).then((x.0, x.1).cmp(&(y.0, y.1))));
    let mut shown = vec![false; na];
    let mut kept = Vec::new();
    for (i, j, t) in runs {
        let len = t + n - 1;
        if shown[i..i + len].iter().any(|&s| s) {
            continue;
        }
        shown[i..i + len].iter_mut().for_each(|s| *s = true);
        kept.push((i, j, len));
    }
    kept.sort_unstable();
    kept.into_iter()
        .map(|(i, j, len)| passage(a, b, i, j, len))
        .collect()
}

fn passage(a: &Words, b: &Words, i: usize, j: usize, len: usize) -> Passage {
    let words: Vec<&str> = a.text.split(' ').skip(i).take(len).collect();
    let text = if words.len() > 2 * PASSAGE_ENDS_WORDS + 5 {
        format!(
            "{} … {}",
            words[..PASSAGE_ENDS_WORDS].join(" "),
            words[words.len() - PASSAGE_ENDS_WORDS..].join(" ")
        )
    } else {
        words.join(" ")
    };
    Passage {
        a_lines: [a.lines[i], a.lines[i + len - 1]],
        b_lines: [b.lines[j], b.lines[j + len - 1]],
        words: len,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_copy_is_contained() {
        let full: String = (0..40)
            .map(|i| format!("Sentence number {i} tells part {} of the story.\n", i * 7))
            .collect();
        let truncated: String = full
            .lines()
            .take(18)
            .map(|l| format!("{l}\n"))
            .collect::<String>()
            + "Continue reading on our partner site.\n";
        let c = compare(&truncated, &full, &ScanConfig::default());
        assert!(c.a_in_b >= 0.9, "{}", c.a_in_b);
        assert!(c.jaccard < 0.5, "{}", c.jaccard);
        assert_eq!(c.passages.len(), 1);
        assert_eq!(c.passages[0].a_lines, [1, 18]);
        assert_eq!(c.passages[0].b_lines, [1, 18]);
        assert!(
            c.passages[0].text.contains(" … "),
            "long passages are shortened"
        );
    }

    #[test]
    fn passages_follow_moved_paragraphs() {
        let p1 = "alpha beta gamma delta epsilon zeta eta theta";
        let p2 = "iota kappa lambda mu nu xi omicron pi";
        let a = format!("{p1}\n{p2}\n");
        let b = format!("intro line here\n{p2}\nmiddle words\n{p1}\n");
        let c = compare(&a, &b, &ScanConfig::default());
        let got: Vec<([usize; 2], [usize; 2], usize)> = c
            .passages
            .iter()
            .map(|p| (p.a_lines, p.b_lines, p.words))
            .collect();
        assert_eq!(got, vec![([1, 1], [4, 4], 8), ([2, 2], [2, 2], 8)]);
        assert_eq!(c.passages[1].text, p2);
    }

    #[test]
    fn unrelated_texts_share_nothing() {
        let c = compare(
            "one two three four five",
            "six seven eight nine ten",
            &ScanConfig::default(),
        );
        assert_eq!((c.shared_shingles, c.passages.len()), (0, 0));
        assert_eq!(c.jaccard, 0.0);
    }
}
