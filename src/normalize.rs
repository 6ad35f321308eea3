//! Stage 2, normalize: `&str` → canonical text in a caller's buffer.
//!
//! The canonical form is the sequence of the text's words, each lower-cased, separated by one
//! ASCII space, with nothing before the first or after the last. A word is a maximal run of
//! alphanumeric characters after Unicode NFKC, so that curly and straight quotes, non-breaking
//! and ordinary spaces, U+2011 and ASCII hyphens, CRLF and LF, and any re-wrapping of lines
//! all give the same canonical text. Punctuation never belongs to a word.
//!
//! Invariants: the output is idempotent (normalizing it again changes nothing) and contains
//! only alphanumeric characters and single spaces. ASCII input takes a fast path that never
//! touches the Unicode tables.

use unicode_normalization::UnicodeNormalization;

/// Writes the canonical form of `text` into `out` (cleared first).
///
/// ```
/// let mut out = String::new();
/// neardup::normalize::normalize_into("Drug\u{2011}trafficking, “it’s”\r\nOVER", &mut out);
/// assert_eq!(out, "drug trafficking it s over");
/// ```
pub fn normalize_into(text: &str, out: &mut String) {
    out.clear();
    out.reserve(text.len());
    if text.is_ascii() {
        ascii_into(text.as_bytes(), out);
    } else {
        unicode_into(text, out);
    }
}

/// Returns the canonical form of `text` in a new string; see [`normalize_into`].
pub fn normalize(text: &str) -> String {
    let mut out = String::new();
    normalize_into(text, &mut out);
    out
}

fn ascii_into(bytes: &[u8], out: &mut String) {
    // Copies whole runs of word bytes, then lower-cases the lot: far fewer branches than
    // pushing byte by byte. Every byte is ASCII, so any run boundary is a char boundary.
    let text = std::str::from_utf8(bytes).unwrap_or_default();
    let mut i = 0;
    let n = bytes.len();
    while i < n {
        while i < n && !bytes[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let start = i;
        while i < n && bytes[i].is_ascii_alphanumeric() {
            i += 1;
        }
        if start < i {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&text[start..i]);
        }
    }
    out.make_ascii_lowercase();
}

fn unicode_into(text: &str, out: &mut String) {
    // ASCII punctuation and spaces separate words before and after NFKC alike (NFKC never
    // changes an ASCII character, and nothing it composes from one is alphanumeric), so the
    // text is cut there and only the pieces that hold non-ASCII characters pay for NFKC.
    for piece in text.split(|c: char| c.is_ascii() && !c.is_ascii_alphanumeric()) {
        if piece.is_empty() {
            continue;
        }
        if piece.is_ascii() {
            if !out.is_empty() {
                out.push(' ');
            }
            let start = out.len();
            out.push_str(piece);
            // Only the bytes just pushed, which are ASCII.
            out[start..].make_ascii_lowercase();
            continue;
        }
        let mut pending_space = !out.is_empty();
        for c in piece.nfkc() {
            if c.is_alphanumeric() {
                for lower in c.to_lowercase() {
                    // Lower-casing can yield a combining mark (İ → i + U+0307); marks are not
                    // word characters, so dropping them here keeps the output idempotent.
                    if lower.is_alphanumeric() {
                        if pending_space {
                            out.push(' ');
                            pending_space = false;
                        }
                        out.push(lower);
                    }
                }
            } else if !out.is_empty() {
                pending_space = true;
            }
        }
    }
}

/// Number of words in canonical text produced by [`normalize_into`].
pub fn word_count(normalized: &str) -> usize {
    if normalized.is_empty() {
        0
    } else {
        normalized.bytes().filter(|&b| b == b' ').count() + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table() {
        let cases = [
            ("", ""),
            ("   \r\n\t ", ""),
            ("Hello, World!", "hello world"),
            ("line one\r\nline\ntwo", "line one line two"),
            ("drug\u{2011}trafficking", "drug trafficking"),
            ("drug-trafficking", "drug trafficking"),
            ("\u{201c}It\u{2019}s\u{201d}", "it s"),
            ("\"It's\"", "it s"),
            ("a\u{00a0}b", "a b"),
            ("ﬁne ＡＢＣ", "fine abc"),
            ("Straße ÉCOLE", "straße école"),
            ("e\u{0301}cole", "école"),
            ("x²", "x2"),
            ("İstanbul", "istanbul"),
            ("--- ... ---", ""),
            ("日本語 テキスト", "日本語 テキスト"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize(input), want, "input {input:?}");
        }
    }

    #[test]
    fn rewrapping_does_not_matter() {
        let a = "The quick brown fox\njumps over the lazy dog.";
        let b = "The quick brown\r\nfox jumps over\r\nthe lazy   dog .";
        assert_eq!(normalize(a), normalize(b));
    }

    #[test]
    fn word_count_counts_words() {
        assert_eq!(word_count(""), 0);
        assert_eq!(word_count("a"), 1);
        assert_eq!(word_count(&normalize("one, two; three")), 3);
    }

    proptest! {
        #[test]
        fn idempotent(s in "\\PC{0,64}") {
            let once = normalize(&s);
            prop_assert_eq!(normalize(&once), once.clone());
            prop_assert!(!once.starts_with(' ') && !once.ends_with(' ') && !once.contains("  "));
        }

        /// The piecewise NFKC path gives what NFKC over the whole text gives.
        #[test]
        fn piecewise_nfkc_agrees_with_whole_text_nfkc(s in "([a-zA-Z0-9 ,.'<=-]|\\PC|\\p{M}){0,40}") {
            let mut whole = String::new();
            let mut pending = false;
            for c in s.nfkc() {
                if c.is_alphanumeric() {
                    for lower in c.to_lowercase().filter(|l| l.is_alphanumeric()) {
                        if pending { whole.push(' '); pending = false; }
                        whole.push(lower);
                    }
                } else if !whole.is_empty() {
                    pending = true;
                }
            }
            prop_assert_eq!(normalize(&s), whole);
        }

        #[test]
        fn ascii_path_agrees_with_unicode_path(s in "[ -~\\t\\r\\n]{0,80}") {
            let mut fast = String::new();
            ascii_into(s.as_bytes(), &mut fast);
            let mut slow = String::new();
            unicode_into(&s, &mut slow);
            prop_assert_eq!(fast, slow);
        }
    }
}
