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

use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

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
    unicode_into_with(text, out, true);
}

/// [`unicode_into`], with the table of [`Bmp`] for pieces it covers when `fast`; without
/// it, every piece takes the Unicode library's way (the tests compare the two).
fn unicode_into_with(text: &str, out: &mut String, fast: bool) {
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
        if fast {
            let table = Bmp::get();
            if piece.chars().all(|c| table.simple(c)) {
                for c in piece.chars() {
                    match table.lower(c) {
                        Some(lower) => {
                            if pending_space {
                                out.push(' ');
                                pending_space = false;
                            }
                            out.push(lower);
                        }
                        None => pending_space = !out.is_empty(),
                    }
                }
                continue;
            }
        }
        // Most pieces (accented words of European languages) are already in NFKC, which the
        // quick check confirms from a table; only the others pay for the normalizer.
        let normalized: &mut dyn Iterator<Item = char> =
            if is_nfkc_quick(piece.chars()) == IsNormalized::Yes {
                &mut piece.chars()
            } else {
                &mut piece.nfkc()
            };
        for c in normalized {
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

/// What the canonical form does with each character of the Basic Multilingual Plane, worked
/// out once from the Unicode tables (about 150 KB): looking a character up in the library's
/// alphabetic and lower-case tables costs a search each time, and text in Cyrillic, Greek or
/// Chinese has nearly every character there.
struct Bmp {
    /// Characters that pass NFKC's quick check with Yes and have combining class 0 (a run of
    /// them is in NFKC already), and that are not alphanumeric or lower-case to one
    /// alphanumeric character: each maps on its own, as [`Bmp::lower`] says.
    simple: Vec<u64>,
    /// For a simple alphanumeric character, its lower case; 0 for other characters.
    lower: Vec<u16>,
}

impl Bmp {
    fn get() -> &'static Bmp {
        static TABLE: std::sync::OnceLock<Bmp> = std::sync::OnceLock::new();
        TABLE.get_or_init(Bmp::build)
    }

    fn build() -> Bmp {
        use unicode_normalization::char::canonical_combining_class;
        let mut table = Bmp {
            simple: vec![0; 1 << 10],
            lower: vec![0; 1 << 16],
        };
        for c in (0..=0xffff).filter_map(char::from_u32) {
            if is_nfkc_quick(std::iter::once(c)) != IsNormalized::Yes
                || canonical_combining_class(c) != 0
            {
                continue;
            }
            if c.is_alphanumeric() {
                let mut lower = c.to_lowercase();
                match (lower.next(), lower.next()) {
                    (Some(l), None) if l.is_alphanumeric() && (l as u32) <= 0xffff => {
                        table.lower[c as usize] = l as u16;
                    }
                    _ => continue,
                }
            }
            table.simple[c as usize >> 6] |= 1 << (c as u32 & 63);
        }
        table
    }

    #[inline]
    fn simple(&self, c: char) -> bool {
        let c = c as usize;
        c <= 0xffff && self.simple[c >> 6] >> (c & 63) & 1 == 1
    }

    /// The lower case of a simple character, `None` for one that is not alphanumeric.
    #[inline]
    fn lower(&self, c: char) -> Option<char> {
        match self.lower[c as usize] {
            0 => None,
            l => char::from_u32(u32::from(l)),
        }
    }
}

/// Which bytes are ASCII letters or digits: the word bytes of ASCII text.
static ALNUM: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 128 {
        t[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    t
};

/// Each byte repeated eight times in a `u64`.
const fn bytes8(b: u8) -> u64 {
    0x0101_0101_0101_0101 * b as u64
}

/// The high bit of each byte of `v` (eight bytes read little-endian) that is an ASCII letter or
/// digit; other bits clear. Range tests on all eight bytes at once: adding `0x80 - lo` to a
/// 7-bit byte sets its high bit when the byte is at least `lo`, and adding `0x7f - hi` when it
/// is above `hi`; no sum carries into the next byte.
#[inline(always)]
fn alnum_bits(v: u64) -> u64 {
    const HIGH: u64 = bytes8(0x80);
    let x = v & !HIGH;
    let digit = x.wrapping_add(bytes8(0x80 - b'0')) & !x.wrapping_add(bytes8(0x7f - b'9'));
    let lower = x | FOLD;
    let letter = lower.wrapping_add(bytes8(0x80 - b'a')) & !lower.wrapping_add(bytes8(0x7f - b'z'));
    (digit | letter) & !v & HIGH
}

/// The end of the run of ASCII letters and digits that starts at `bytes[i]`: the first index
/// at or after `i` that is not one, or `bytes.len()`. Eight bytes per step.
#[inline(always)]
fn ascii_word_end(bytes: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = bytes.get(i..i + 8) {
        let v = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let stop = !alnum_bits(v) & bytes8(0x80);
        if stop != 0 {
            return i + (stop.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < bytes.len() && ALNUM[bytes[i] as usize] {
        i += 1;
    }
    i
}

/// Sets bit 5 of every byte: lower-cases an ASCII letter and leaves an ASCII digit as it is.
const FOLD: u64 = 0x2020_2020_2020_2020;

/// Hash of the bytes of one word, each byte OR-ed with `fold` (0 for canonical words, [`FOLD`]
/// for raw ASCII letters and digits, which lower-cases them on the way). Eight bytes per
/// step; two words of at most eight bytes and the same length never collide.
#[inline]
fn hash_folded(bytes: &[u8], fold: u64) -> u64 {
    const K: u64 = 0xd6e8_feb8_6659_fd93;
    let mut h = (bytes.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x243f_6a88_85a3_08d3;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let v = u64::from_le_bytes(c.try_into().expect("eight bytes")) | fold;
        h = (h ^ v).wrapping_mul(K).rotate_left(32);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        let mask = u64::MAX >> (64 - 8 * rest.len());
        let v = u64::from_le_bytes(buf) | (fold & mask);
        h = (h ^ v).wrapping_mul(K).rotate_left(32);
    }
    crate::shingle::fmix64(h)
}

/// [`hash_folded`] of the raw ASCII word `bytes[start..end]` with [`FOLD`]. Words of up to
/// 16 bytes, nearly all of them, take no branch on their length: both rounds are computed and
/// the second kept only when the word has a second chunk.
#[inline(always)]
fn hash_ascii_word(bytes: &[u8], start: usize, end: usize) -> u64 {
    const K: u64 = 0xd6e8_feb8_6659_fd93;
    let len = end - start;
    if len > 16 {
        return hash_folded(&bytes[start..end], FOLD);
    }
    let round = |h: u64, v: u64| (h ^ v).wrapping_mul(K).rotate_left(32);
    // The low `k` bytes (1 <= k <= 8).
    let low = |k: usize| u64::MAX >> (64 - 8 * k);
    let (c0, c1) = match bytes.get(start..start + 16) {
        Some(b) => (
            u64::from_le_bytes(b[..8].try_into().expect("eight bytes")),
            u64::from_le_bytes(b[8..].try_into().expect("eight bytes")),
        ),
        None => {
            let mut buf = [0u8; 16];
            buf[..len].copy_from_slice(&bytes[start..end]);
            (
                u64::from_le_bytes(buf[..8].try_into().expect("eight bytes")),
                u64::from_le_bytes(buf[8..].try_into().expect("eight bytes")),
            )
        }
    };
    let h = (len as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x243f_6a88_85a3_08d3;
    let one = round(h, (c0 | FOLD) & low(len.min(8)));
    let two = round(one, (c1 | FOLD) & low(len.saturating_sub(8).max(1)));
    crate::shingle::fmix64(if len > 8 { two } else { one })
}

/// Bytes are classified this many at a time by [`classify`].
const BLOCK: usize = 64;

/// Two masks of the [`BLOCK`] bytes from `bytes[at]` on, bit j for byte `at + j`; bytes past
/// the end count as separators. The first marks ASCII letters and digits (word bytes), the
/// second `\n` and non-ASCII bytes: the bytes where the word loop of [`line_words`] stops.
#[inline(always)]
fn classify(bytes: &[u8], at: usize) -> (u64, u64) {
    match bytes.get(at..at + BLOCK) {
        Some(block) => classify_block(block.try_into().expect("a whole block")),
        None => {
            let mut block = [0u8; BLOCK];
            let rest = &bytes[at..];
            block[..rest.len()].copy_from_slice(rest);
            classify_block(&block)
        }
    }
}

/// [`classify`] for one whole block, sixteen bytes per SSE2 step (every x86-64 has SSE2).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn classify_block(block: &[u8; BLOCK]) -> (u64, u64) {
    use std::arch::x86_64::*;
    // `x` is in lo..=hi when `x - lo` is below `hi - lo + 1` as an unsigned byte; SSE2 only
    // compares signed bytes, so both sides are shifted by 0x80.
    #[inline(always)]
    fn in_range(x: __m128i, lo: u8, hi: u8) -> __m128i {
        // SAFETY: SSE2 is part of every x86-64 target; these intrinsics only compute on values.
        unsafe {
            let shifted = _mm_add_epi8(x, _mm_set1_epi8(0x80u8.wrapping_sub(lo) as i8));
            _mm_cmplt_epi8(shifted, _mm_set1_epi8((hi - lo + 1) as i8 - 0x7f - 1))
        }
    }
    let (mut word, mut stop) = (0u64, 0u64);
    for (q, chunk) in block.chunks_exact(16).enumerate() {
        let half = |h: usize| i64::from_le_bytes(chunk[8 * h..8 * h + 8].try_into().expect("8"));
        // SAFETY: as above; the bytes are read by safe code and handed over as values.
        let (w, s) = unsafe {
            let v = _mm_set_epi64x(half(1), half(0));
            let letter = in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), b'a', b'z');
            let digit = in_range(v, b'0', b'9');
            let w = _mm_movemask_epi8(_mm_or_si128(letter, digit));
            let newline = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8));
            // The sign bit is set exactly on the non-ASCII bytes.
            (w, _mm_movemask_epi8(_mm_or_si128(v, newline)))
        };
        word |= (w as u32 as u64) << (16 * q);
        stop |= (s as u32 as u64) << (16 * q);
    }
    (word, stop)
}

/// [`classify`] for one whole block, eight bytes per step with [`alnum_bits`].
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn classify_block(block: &[u8; BLOCK]) -> (u64, u64) {
    classify_block_swar(block)
}

/// The portable classifier: the high bit of each byte's test, gathered into one bit per byte
/// by a multiplication.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline(always)]
fn classify_block_swar(block: &[u8; BLOCK]) -> (u64, u64) {
    const HIGH: u64 = bytes8(0x80);
    let gather = |high: u64| (high >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56;
    let (mut word, mut stop) = (0u64, 0u64);
    for (q, chunk) in block.chunks_exact(8).enumerate() {
        let v = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let x = v ^ bytes8(b'\n');
        // A zero byte of `x` is a newline (the classic has-zero-byte test, exact per byte
        // when the bytes' high bits are cleared first).
        let newline = !(((x & !HIGH).wrapping_add(!HIGH)) | x) & HIGH;
        word |= gather(alnum_bits(v)) << (8 * q);
        stop |= gather((v & HIGH) | newline) << (8 * q);
    }
    (word, stop)
}

/// The length in bytes of the character at the start of `bytes` when it is common typographic
/// punctuation that separates words exactly as an ASCII space does under [`normalize_into`]:
/// not alphanumeric, unchanged by NFKC or mapped to characters that are not alphanumeric either
/// (no-break space, ellipsis, non-breaking hyphen), and never composed with a neighbour. News
/// text is full of these (curly quotes and apostrophes, dashes, ©); they then cost no Unicode
/// normalization. `None` for any other character.
#[inline]
fn plain_separator_len(bytes: &[u8]) -> Option<usize> {
    match *bytes {
        // U+00A0 no-break space, © « ® ° · ».
        [0xc2, 0xa0 | 0xa9 | 0xab | 0xae | 0xb0 | 0xb7 | 0xbb, ..] => Some(2),
        // U+2010..=U+2015 hyphens and dashes, ‘ ’ ‚ “ ” „, • bullet, … ellipsis, ′ prime.
        [0xe2, 0x80, 0x90..=0x95 | 0x98..=0x9a | 0x9c..=0x9e | 0xa2 | 0xa6 | 0xb2, ..] => Some(3),
        _ => None,
    }
}

/// Calls `on_line` with the [`word_hash`]es of the canonical words of each line of `text`
/// (lines end at `\n`), reusing `words` and `buf` as buffers. One pass over the bytes, 64 at a
/// time: ASCII words are found in a block's masks and hashed as they are read; a piece of text
/// holding other characters (up to the nearest ASCII space or punctuation) is normalized on its
/// own.
pub fn line_words(
    text: &str,
    buf: &mut String,
    words: &mut Vec<u64>,
    mut on_line: impl FnMut(&[u64]),
) {
    let bytes = text.as_bytes();
    let n = bytes.len();
    let below = |j: usize| if j >= 64 { u64::MAX } else { (1u64 << j) - 1 };
    // Invariant: `i` is at the start of the text, a line or a word, or on a separator.
    let mut i = 0;
    words.clear();
    while i < n {
        let (word, stop) = classify(bytes, i);
        let limit = stop.trailing_zeros() as usize;
        let mut runs = word & below(limit);
        let mut next = i + limit;
        if limit == BLOCK && word >> 63 != 0 {
            // The last run of word bytes may go on in the next block: leave it for that block.
            let last = BLOCK - (!word).leading_zeros() as usize;
            if last == 0 {
                // A word of at least a whole block, starting at `i`.
                let end = ascii_word_end(bytes, i);
                words.push(hash_ascii_word(bytes, i, end));
                i = end;
                continue;
            }
            runs &= below(last);
            next = i + last;
        }
        while runs != 0 {
            let s = runs.trailing_zeros() as usize;
            let e = s + (!(runs >> s)).trailing_zeros() as usize;
            words.push(hash_ascii_word(bytes, i + s, i + e));
            // Adding the lowest set bit carries through the lowest run and clears it.
            runs &= runs.wrapping_add(runs & runs.wrapping_neg());
        }
        i = next;
        if limit < BLOCK {
            // `i` is on a stop byte, inside the text: stop bytes are never padding.
            if bytes[i] == b'\n' {
                on_line(words);
                words.clear();
                i += 1;
            } else if let Some(len) = plain_separator_len(&bytes[i..]) {
                i += len;
            } else {
                // Not ASCII: the piece around this byte, out to the nearest ASCII separators,
                // goes through NFKC. ASCII separators cut words before and after NFKC alike
                // (see `unicode_into`), so the rest of the line keeps the fast path.
                let mut start = i;
                while start > 0 && ALNUM[bytes[start - 1] as usize] {
                    start -= 1;
                }
                if start < i {
                    // The piece's ASCII head was hashed as a word of its own.
                    words.pop();
                }
                let mut end = i + 1;
                while end < n && (bytes[end] >= 0x80 || ALNUM[bytes[end] as usize]) {
                    end += 1;
                }
                // ASCII bytes are char boundaries.
                buf.clear();
                unicode_into(&text[start..end], buf);
                if !buf.is_empty() {
                    words.extend(buf.as_bytes().split(|&b| b == b' ').map(word_hash));
                }
                i = end;
            }
        }
    }
    on_line(words);
}

/// Hash of one word of canonical text (see [`normalize_into`]). Shingles, boilerplate lines
/// and exact-duplicate hashes are all built from these.
///
/// ```
/// use neardup::normalize::{word_hash, word_hashes_into};
/// let (mut buf, mut words) = (String::new(), Vec::new());
/// word_hashes_into("Hello, WORLD!", &mut buf, &mut words);
/// assert_eq!(words, vec![word_hash(b"hello"), word_hash(b"world")]);
/// ```
#[inline]
pub fn word_hash(word: &[u8]) -> u64 {
    hash_folded(word, 0)
}

/// Writes the [`word_hash`] of every word of the canonical form of `text` into `out` (cleared
/// first), as if `text` were normalized and split at its spaces. ASCII text is hashed straight
/// from its bytes, with no canonical copy; other text goes through [`normalize_into`] with
/// `buf` as its buffer.
pub fn word_hashes_into(text: &str, buf: &mut String, out: &mut Vec<u64>) {
    out.clear();
    let bytes = text.as_bytes();
    if !bytes.is_ascii() {
        normalize_into(text, buf);
        if !buf.is_empty() {
            out.extend(buf.as_bytes().split(|&b| b == b' ').map(word_hash));
        }
        return;
    }
    let n = bytes.len();
    let mut i = 0;
    while i < n {
        while i < n && !ALNUM[bytes[i] as usize] {
            i += 1;
        }
        let start = i;
        i = ascii_word_end(bytes, i);
        if start < i {
            out.push(hash_ascii_word(bytes, start, i));
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

    /// Each line's word hashes as [`line_words`] gives them, and as [`word_hashes_into`] gives
    /// them for the line alone.
    fn both_ways(s: &str) -> (Vec<Vec<u64>>, Vec<Vec<u64>>) {
        let mut got: Vec<Vec<u64>> = Vec::new();
        line_words(s, &mut String::new(), &mut Vec::new(), |w| {
            got.push(w.to_vec())
        });
        let (mut buf, mut words) = (String::new(), Vec::new());
        let want = s
            .split('\n')
            .map(|line| {
                word_hashes_into(line, &mut buf, &mut words);
                words.clone()
            })
            .collect();
        (got, want)
    }

    #[test]
    fn alnum_bits_agree_with_the_byte_table() {
        for b in 0..=255u8 {
            for at in 0..8 {
                // The byte among neighbours of every kind, so no carry can hide.
                let mut chunk = [b'a', 0xff, b'9', b' ', 0x7f, b'Z', 0x80, b'0'];
                chunk[at] = b;
                let bits = alnum_bits(u64::from_le_bytes(chunk));
                for (j, &c) in chunk.iter().enumerate() {
                    assert_eq!(
                        bits >> (8 * j + 7) & 1 == 1,
                        ALNUM[c as usize],
                        "{b:#x} at {at}"
                    );
                }
            }
        }
    }

    #[test]
    fn classifiers_agree_with_the_byte_table() {
        for start in 0..=255u8 {
            // Every byte value, in four blocks, at every position of a block.
            let block: [u8; BLOCK] = std::array::from_fn(|j| start.wrapping_add(j as u8 * 4));
            let want_word: u64 = (0..BLOCK)
                .filter(|&j| ALNUM[block[j] as usize])
                .map(|j| 1 << j)
                .sum();
            let want_stop: u64 = (0..BLOCK)
                .filter(|&j| block[j] == b'\n' || block[j] >= 0x80)
                .map(|j| 1 << j)
                .sum();
            assert_eq!(classify_block(&block), (want_word, want_stop), "{start}");
            assert_eq!(
                classify_block_swar(&block),
                (want_word, want_stop),
                "{start}"
            );
        }
    }

    #[test]
    fn plain_separators_separate_like_a_space() {
        let plain: Vec<char> = (0x80..0x3000u32)
            .filter_map(char::from_u32)
            .filter(|c| plain_separator_len(c.to_string().as_bytes()).is_some())
            .collect();
        assert_eq!(plain.len(), 22, "{plain:?}");
        for c in plain {
            assert_eq!(
                plain_separator_len(c.to_string().as_bytes()),
                Some(c.len_utf8())
            );
            // Through NFKC (the Unicode path), next to letters, digits and a combining mark.
            for (text, want) in [
                (format!("Ab{c}cD"), "ab cd"),
                (format!("{c}9{c}"), "9"),
                (format!("e{c}\u{301}x"), "e x"),
            ] {
                let mut out = String::new();
                unicode_into(&text, &mut out);
                assert_eq!(out, want, "{c:?} in {text:?}");
            }
        }
    }

    #[test]
    fn words_of_every_length_across_block_edges() {
        for len in 1..=140 {
            let word: String = (0..len).map(|j| char::from(b"aB3zQ9"[j % 6])).collect();
            for (pad, lead) in (0..70).flat_map(|p| [(p, ""), (p, "\u{201c}")]) {
                for tail in [
                    "",
                    " x",
                    "\nnext line, Here",
                    "\ncafé",
                    "é",
                    "\u{2019}s more",
                ] {
                    let text = format!("{}{lead}{word}{tail}", ",".repeat(pad));
                    let (got, want) = both_ways(&text);
                    assert_eq!(got, want, "{len} after {pad} with {tail:?}");
                    if tail != "é" {
                        assert_eq!(got[0][0], word_hash(word.to_ascii_lowercase().as_bytes()));
                    }
                }
            }
        }
    }

    #[test]
    fn ascii_word_end_stops_at_the_first_other_byte() {
        let text = b"abcdefghijKLMNOPQRSTuvwxyz0123456789-and,mixed caf\xc3\xa9 end";
        for i in 0..text.len() {
            for len in i..=text.len() {
                let bytes = &text[..len];
                let want = (i..len).find(|&j| !ALNUM[bytes[j] as usize]).unwrap_or(len);
                assert_eq!(ascii_word_end(bytes, i), want, "from {i} in {len} bytes");
            }
        }
    }

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

    #[test]
    fn bmp_table_maps_letters_and_leaves_the_hard_cases_to_the_library() {
        let t = Bmp::get();
        assert_eq!(t.lower('Ж'), Some('ж'));
        assert_eq!(t.lower('Σ'), Some('σ'));
        assert_eq!(t.lower('中'), Some('中'));
        assert_eq!(t.lower('ж'), Some('ж'));
        assert!(
            t.simple('—') && t.lower('—').is_none(),
            "punctuation: simple, no word"
        );
        // NFKC changes these, or they are marks, or lower-case to two characters.
        for c in ['Ａ', 'ﬁ', '\u{301}', 'İ', '\u{1d400}'] {
            assert!(!t.simple(c), "{c:?}");
        }
        let mut out = String::new();
        normalize_into("Съешь ЖЕ ещё этих мягких французских булок", &mut out);
        assert_eq!(out, "съешь же ещё этих мягких французских булок");
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

        /// Hashing raw text gives the hashes of its canonical words, on both paths.
        #[test]
        fn word_hashes_are_those_of_the_canonical_words(s in "([ -~\\t\\r\\n]|\\PC){0,80}") {
            let (mut buf, mut fast) = (String::new(), Vec::new());
            word_hashes_into(&s, &mut buf, &mut fast);
            let canonical = normalize(&s);
            let want: Vec<u64> = if canonical.is_empty() {
                Vec::new()
            } else {
                canonical.split(' ').map(|w| word_hash(w.as_bytes())).collect()
            };
            prop_assert_eq!(fast, want);
        }

        /// The one-pass line splitter gives each line's word hashes.
        #[test]
        fn line_words_agree_with_word_hashes(s in "([ -~\\t\\r\\n]|\\PC){0,120}") {
            let (got, want) = both_ways(&s);
            prop_assert_eq!(got, want);
        }

        #[test]
        fn line_words_agree_on_typographic_text(
            s in "([a-cA-C0 .,\n]|\u{2019}|\u{201c}|\u{2014}|\u{a0}|\u{2026}|\u{301}|é|ß|\u{fb01}){0,150}"
        ) {
            let (got, want) = both_ways(&s);
            prop_assert_eq!(got, want);
        }

        #[test]
        fn ascii_path_agrees_with_unicode_path(s in "[ -~\\t\\r\\n]{0,80}") {
            let mut fast = String::new();
            ascii_into(s.as_bytes(), &mut fast);
            let mut slow = String::new();
            unicode_into(&s, &mut slow);
            prop_assert_eq!(fast, slow);
        }

        /// The table of the Basic Multilingual Plane gives what the Unicode library gives, on
        /// any printable text and on scripts whose letters it covers, mixed with characters it
        /// leaves to the library (fullwidth forms, ligatures, combining marks, İ, Hangul jamo,
        /// characters beyond the BMP).
        #[test]
        fn bmp_table_agrees_with_the_unicode_library(
            s in "(\\PC|[а-яА-ЯёЁ]|[α-ωΑ-Ω]|[一-龥]|[ا-ي]|[가-힣]|[Ａ-Ｚ]|ﬁ|İ|\u{301}|\u{1100}|\u{1161}|\u{334}|\u{345}|[\u{5b0}-\u{5bd}]|[א-ת]|\u{1d400}|·|[ .,0-9a-z]){0,60}"
        ) {
            let mut fast = String::new();
            unicode_into_with(&s, &mut fast, true);
            let mut slow = String::new();
            unicode_into_with(&s, &mut slow, false);
            prop_assert_eq!(fast, slow);
        }
    }
}
