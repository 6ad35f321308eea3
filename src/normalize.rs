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
    // Safety of the push below: only ASCII bytes are ever pushed, so `out` stays UTF-8.
    let mut pending_space = false;
    for &b in bytes {
        if b.is_ascii_alphanumeric() {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(b.to_ascii_lowercase() as char);
        } else if !out.is_empty() {
            pending_space = true;
        }
    }
}

fn unicode_into(text: &str, out: &mut String) {
    let mut pending_space = false;
    for c in text.nfkc() {
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
