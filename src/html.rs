//! Part of stage 1, corpus: an HTML page → its headline and its visible text, one line per
//! block element.
//!
//! No DOM is built. html5gum tokenizes the page (WHATWG tokenization, with its naive state
//! switches so that scripts, styles and titles are read as raw text), and the emitter here keeps
//! a stack of open elements in place of the tree: enough to know whether text sits inside an
//! element nobody sees, and where lines break. Attributes, comments and doctypes are skipped
//! without being copied, and the tokenizer's error reporting is turned off. This reads pages
//! about four times as fast as walking a DOM that scraper builds.
//!
//! Invariants: on well-formed pages the text is what a walk of the parsed DOM gives (a property
//! test checks this against scraper); malformed markup never panics and costs time linear in its
//! length (an end tag looks at most [`MATCH_DEPTH`] open elements down for its start tag).

use html5gum::{Emitter, Error, State, Tokenizer};

/// How far down the stack of open elements an end tag looks for the element it closes. Pages
/// nest a few dozen deep; the bound keeps stray end tags in pathological pages linear.
pub const MATCH_DEPTH: usize = 1024;

/// What an element means for the visible text.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// Its content is never visible (scripts, styles, the head, drawings, embedded objects).
    Hidden,
    /// It starts and ends a line of text.
    Block,
    /// Inline or unknown: text flows through it.
    Inline,
}

fn kind(name: &[u8]) -> Kind {
    match name {
        b"script" | b"style" | b"noscript" | b"template" | b"head" | b"svg" | b"iframe"
        | b"object" | b"canvas" => Kind::Hidden,
        b"p" | b"div" | b"br" | b"li" | b"ul" | b"ol" | b"h1" | b"h2" | b"h3" | b"h4" | b"h5"
        | b"h6" | b"tr" | b"td" | b"th" | b"table" | b"section" | b"article" | b"header"
        | b"footer" | b"nav" | b"aside" | b"main" | b"blockquote" | b"pre" | b"hr" | b"dd"
        | b"dt" | b"figcaption" | b"title" => Kind::Block,
        _ => Kind::Inline,
    }
}

/// Elements that never have content, whatever the markup says.
fn is_void(name: &[u8]) -> bool {
    matches!(
        name,
        b"area"
            | b"base"
            | b"br"
            | b"col"
            | b"embed"
            | b"hr"
            | b"img"
            | b"input"
            | b"link"
            | b"meta"
            | b"param"
            | b"source"
            | b"track"
            | b"wbr"
    )
}

/// Start tags that may stay inside `<head>`; any other start tag ends it and begins the body.
fn head_may_hold(name: &[u8]) -> bool {
    matches!(
        name,
        b"base"
            | b"basefont"
            | b"bgsound"
            | b"link"
            | b"meta"
            | b"noframes"
            | b"noscript"
            | b"script"
            | b"style"
            | b"template"
            | b"title"
            | b"head"
            | b"html"
    )
}

/// HTML start tags that end an SVG or MathML drawing left open around them.
fn breaks_out_of_foreign(name: &[u8]) -> bool {
    matches!(
        name,
        b"b" | b"big"
            | b"blockquote"
            | b"body"
            | b"br"
            | b"center"
            | b"code"
            | b"dd"
            | b"div"
            | b"dl"
            | b"dt"
            | b"em"
            | b"embed"
            | b"h1"
            | b"h2"
            | b"h3"
            | b"h4"
            | b"h5"
            | b"h6"
            | b"head"
            | b"hr"
            | b"i"
            | b"img"
            | b"li"
            | b"listing"
            | b"menu"
            | b"meta"
            | b"nobr"
            | b"ol"
            | b"p"
            | b"pre"
            | b"ruby"
            | b"s"
            | b"small"
            | b"span"
            | b"strong"
            | b"strike"
            | b"sub"
            | b"sup"
            | b"table"
            | b"tt"
            | b"u"
            | b"ul"
            | b"var"
    )
}

/// A tag name as one number: short names packed byte for byte, longer ones hashed (with the top
/// bit set, which no packed ASCII name has).
fn key(name: &[u8]) -> u64 {
    if name.len() <= 8 {
        packed(name)
    } else {
        xxhash_rust::xxh3::xxh3_64(name) | 1 << 63
    }
}

/// A name of at most eight bytes, packed into a number.
/// Shifted into place byte by byte: copied into an array, the bytes went through memory and the
/// read of the whole number waited for them (a stall that cost 3 % of a scan of many pages).
const fn packed(name: &[u8]) -> u64 {
    let mut v = 0u64;
    let mut i = 0;
    while i < name.len() {
        v |= (name[i] as u64) << (8 * i);
        i += 1;
    }
    v
}

const HEAD: u64 = packed(b"head");
const H1: u64 = packed(b"h1");

#[derive(Clone, Copy)]
struct Open {
    key: u64,
    kind: Kind,
    /// Inside an SVG or MathML drawing (the drawing's own element included).
    foreign: bool,
}

/// The emitter's state: the tag being read, the open elements, and the text so far.
#[derive(Default)]
struct Page {
    tag: Vec<u8>,
    end_tag: bool,
    self_closing: bool,
    last_start: Vec<u8>,
    /// Text read since the last tag, comment or doctype: the tokenizer hands it over in pieces
    /// that may cut a character in two (next to a character reference).
    pending: Vec<u8>,
    stack: Vec<Open>,
    /// Open elements of kind [`Kind::Hidden`].
    hidden: usize,
    in_head: bool,
    in_body: bool,
    in_title: bool,
    title: Option<String>,
    title_text: String,
    /// 0 before the first `<h1>`, 1 inside it, 2 after it.
    h1: u8,
    h1_text: String,
    /// The visible text: words separated by one space, lines by one `\n`, no empty lines.
    out: String,
    space: bool,
    newline: bool,
    line_has_text: bool,
}

fn squash_is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// A byte of a word: ASCII, not white space (see [`squash_is_space`]). Without branches, so
/// that a block of bytes is checked at once.
#[inline]
fn is_word_byte(c: u8) -> bool {
    (c < 0x80) & (c != b' ') & (c.wrapping_sub(b'\t') > b'\r' - b'\t')
}

/// The length of the longest start of `b` made of ASCII word bytes, with single spaces
/// between them: text that folding white space leaves as it is. Checked 16 bytes at a time.
fn plain_run(b: &[u8]) -> usize {
    // At `j`, a word byte, or a space with a word byte after it.
    let fine = |c: u8, next: u8| is_word_byte(c) | ((c == b' ') & is_word_byte(next));
    let mut i = 0;
    while let Some(block) = b.get(i..i + 17) {
        let mut bad = 0u16;
        for j in 0..16 {
            bad |= u16::from(!fine(block[j], block[j + 1])) << j;
        }
        if bad != 0 {
            return i + bad.trailing_zeros() as usize;
        }
        i += 16;
    }
    while i < b.len() && fine(b[i], b.get(i + 1).copied().unwrap_or(b'\n')) {
        i += 1;
    }
    i
}

/// Where the word going on at byte `i` of `t` ends: at the first white space or the end.
fn word_end(t: &str, mut i: usize) -> usize {
    let b = t.as_bytes();
    while i < b.len() {
        let c = b[i];
        if c < 0x80 {
            if squash_is_space(c) {
                break;
            }
            i += 1;
        } else {
            let ch = t[i..].chars().next().expect("i is on a char boundary");
            if ch.is_whitespace() {
                break;
            }
            i += ch.len_utf8();
        }
    }
    i
}

impl Page {
    fn break_line(&mut self) {
        if self.line_has_text {
            self.newline = true;
            self.line_has_text = false;
            self.space = false;
        }
    }

    /// Appends visible text, folding every run of white space into one space (or one line
    /// break when the run holds a `\n`), as `str::split_whitespace` would see it.
    fn push_text(&mut self, t: &str) {
        let b = t.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if c == b'\n' {
                self.break_line();
                i += 1;
                continue;
            }
            let (len, space) = if c < 0x80 {
                (1, squash_is_space(c))
            } else {
                let ch = t[i..].chars().next().expect("i is on a char boundary");
                (ch.len_utf8(), ch.is_whitespace())
            };
            if space {
                self.space |= self.line_has_text;
                i += len;
                continue;
            }
            // ASCII words with one space between them are already folded: copied at once. A
            // word that starts beyond ASCII is copied to its end.
            let end = if c < 0x80 {
                i + plain_run(&b[i..])
            } else {
                word_end(t, i + len)
            };
            if self.newline {
                self.out.push('\n');
            } else if self.space {
                self.out.push(' ');
            }
            self.newline = false;
            self.space = false;
            self.line_has_text = true;
            self.out.push_str(&t[i..end]);
            i = end;
        }
    }

    /// Closes the open elements from index `at` up.
    fn pop_to(&mut self, at: usize) {
        while self.stack.len() > at {
            let open = self.stack.pop().expect("the stack is longer than at");
            match open.kind {
                Kind::Hidden => self.hidden -= 1,
                Kind::Block if self.hidden == 0 => self.break_line(),
                _ => {}
            }
            if open.key == HEAD {
                self.in_head = false;
            } else if open.key == H1 && self.h1 == 1 {
                self.h1 = 2;
            }
        }
    }

    /// The body begins: an open head ends first.
    fn enter_body(&mut self) {
        self.in_body = true;
        if self.in_head {
            if let Some(at) = self.stack.iter().rposition(|o| o.key == HEAD) {
                self.pop_to(at);
            }
            self.in_head = false;
        }
    }

    fn start_tag(&mut self) -> Option<State> {
        let name = std::mem::take(&mut self.tag);
        let foreign = self.stack.last().is_some_and(|o| o.foreign);
        if foreign && breaks_out_of_foreign(&name) {
            while self.stack.last().is_some_and(|o| o.foreign) {
                self.pop_to(self.stack.len() - 1);
            }
        }
        let foreign = self.stack.last().is_some_and(|o| o.foreign);
        match name.as_slice() {
            b"head" => {
                if !self.in_body && !self.in_head {
                    self.in_head = true;
                } else {
                    // A second head, or one inside the body, is ignored.
                    self.tag = name;
                    return None;
                }
            }
            b"body" => self.enter_body(),
            n if !head_may_hold(n) => self.enter_body(),
            _ => {}
        }
        match name.as_slice() {
            b"title" => self.in_title = true,
            b"h1" if self.h1 == 0 => self.h1 = 1,
            _ => {}
        }
        let drawing = matches!(name.as_slice(), b"svg" | b"math");
        let childless = is_void(&name) || (self.self_closing && (foreign || drawing));
        let k = kind(&name);
        if k == Kind::Block && self.hidden == 0 && (self.in_body || name != b"title") {
            self.break_line();
        }
        if childless {
            if name == b"h1" && self.h1 == 1 {
                self.h1 = 2;
            }
        } else {
            if k == Kind::Hidden {
                self.hidden += 1;
            }
            self.stack.push(Open {
                key: key(&name),
                kind: k,
                foreign: foreign || drawing,
            });
        }
        // A self-closed element in a drawing has no content to switch the tokenizer for.
        let next = if childless {
            None
        } else {
            html5gum::naive_next_state(&name)
        };
        self.last_start.clear();
        self.last_start.extend_from_slice(&name);
        self.tag = name;
        next
    }

    fn end_tag(&mut self) {
        let name = std::mem::take(&mut self.tag);
        if name == b"title" && self.in_title {
            self.in_title = false;
            if self.title.is_none() {
                self.title = Some(std::mem::take(&mut self.title_text));
            }
        }
        let k = key(&name);
        let depth = self.stack.len();
        let found = self
            .stack
            .iter()
            .rev()
            .take(MATCH_DEPTH)
            .position(|o| o.key == k)
            .map(|from_top| depth - 1 - from_top);
        match found {
            Some(at) => self.pop_to(at),
            // `</br>` is a line break; `</p>` without a paragraph is an empty one.
            None if (name == b"br" || name == b"p") && self.hidden == 0 => self.break_line(),
            None => {}
        }
        self.tag = name;
    }

    /// Takes in the text read since the last tag.
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let bytes = std::mem::take(&mut self.pending);
        match std::str::from_utf8(&bytes) {
            Ok(t) => self.text(t),
            Err(_) => self.text(&String::from_utf8_lossy(&bytes)),
        }
        self.pending = bytes;
        self.pending.clear();
    }

    /// Whether [`Self::text`] would do nothing with text read now: it is hidden, and it is not
    /// part of the title or of the first `<h1>`, nor directly inside the head (where it would
    /// begin the body).
    #[inline]
    fn text_is_unused(&self) -> bool {
        self.hidden > 0
            && !self.in_title
            && self.h1 != 1
            && self.stack.last().is_some_and(|o| o.key != HEAD)
    }

    fn text(&mut self, t: &str) {
        if self.in_title {
            if self.title.is_none() {
                self.title_text.push_str(t);
            }
            if !self.in_body {
                // A title outside the body belongs to the head.
                return;
            }
        } else if !self.in_body
            && t.bytes().any(|b| !b.is_ascii_whitespace())
            && (self.hidden == 0 || self.stack.last().is_some_and(|o| o.key == HEAD))
        {
            // Text outside the head's own elements begins the body.
            self.enter_body();
        }
        if self.h1 == 1 {
            self.h1_text.push_str(t);
        }
        if self.hidden == 0 {
            self.push_text(t);
        }
    }
}

/// html5gum's tokenizer owns its emitter; this one lends it the page.
struct Reader<'a>(&'a mut Page);

impl Emitter for Reader<'_> {
    type Token = std::convert::Infallible;

    fn set_last_start_tag(&mut self, last_start_tag: Option<&[u8]>) {
        self.0.last_start.clear();
        self.0
            .last_start
            .extend_from_slice(last_start_tag.unwrap_or_default());
    }
    fn emit_eof(&mut self) {
        self.0.flush();
    }
    fn emit_error(&mut self, _: Error) {}
    #[inline]
    fn should_emit_errors(&mut self) -> bool {
        false
    }
    fn pop_token(&mut self) -> Option<Self::Token> {
        None
    }
    fn emit_string(&mut self, s: &[u8]) {
        // Scripts and styles are most of the bytes of many pages: their text is not even
        // copied. What `text` does with it depends on nothing that changes before the flush.
        if !self.0.text_is_unused() {
            self.0.pending.extend_from_slice(s);
        }
    }
    fn init_start_tag(&mut self) {
        self.0.flush();
        self.0.tag.clear();
        self.0.end_tag = false;
        self.0.self_closing = false;
    }
    fn init_end_tag(&mut self) {
        self.0.flush();
        self.0.tag.clear();
        self.0.end_tag = true;
        self.0.self_closing = false;
    }
    fn init_comment(&mut self) {
        self.0.flush();
    }
    fn emit_current_tag(&mut self) -> Option<State> {
        if self.0.end_tag {
            self.0.end_tag();
            None
        } else {
            self.0.start_tag()
        }
    }
    fn emit_current_comment(&mut self) {}
    fn emit_current_doctype(&mut self) {}
    fn set_self_closing(&mut self) {
        self.0.self_closing = true;
    }
    fn set_force_quirks(&mut self) {}
    /// The tokenizer hands tag names over in lower case already.
    fn push_tag_name(&mut self, s: &[u8]) {
        self.0.tag.extend_from_slice(s);
    }
    fn push_comment(&mut self, _: &[u8]) {}
    fn push_doctype_name(&mut self, _: &[u8]) {}
    fn init_doctype(&mut self) {
        self.0.flush();
    }
    fn init_attribute(&mut self) {}
    fn push_attribute_name(&mut self, _: &[u8]) {}
    fn push_attribute_value(&mut self, _: &[u8]) {}
    fn set_doctype_public_identifier(&mut self, _: &[u8]) {}
    fn set_doctype_system_identifier(&mut self, _: &[u8]) {}
    fn push_doctype_public_identifier(&mut self, _: &[u8]) {}
    fn push_doctype_system_identifier(&mut self, _: &[u8]) {}
    fn current_is_appropriate_end_tag_token(&mut self) -> bool {
        self.0.end_tag && !self.0.last_start.is_empty() && self.0.last_start == self.0.tag
    }
}

/// The page's bytes as html5gum reads them, with a search for the bytes that end a state's run
/// made for markup: most runs are a few bytes long (a tag name, an attribute, a word between
/// two tags), where jetscii's string instruction spent more time setting up than searching
/// (a sixth of the cycles on pages of documentation).
struct Bytes<'a>(&'a [u8]);

impl html5gum::Reader for Bytes<'_> {
    type Error = std::convert::Infallible;

    #[inline(always)]
    fn read_byte(&mut self) -> Result<Option<u8>, Self::Error> {
        Ok(self.0.split_first().map(|(&b, rest)| {
            self.0 = rest;
            b
        }))
    }

    #[inline(always)]
    fn try_read_string(&mut self, s: &[u8], case_sensitive: bool) -> Result<bool, Self::Error> {
        let found = self
            .0
            .get(..s.len())
            .is_some_and(|head| head == s || (!case_sensitive && head.eq_ignore_ascii_case(s)));
        if found {
            self.0 = &self.0[s.len()..];
        }
        Ok(found)
    }

    #[inline(always)]
    fn read_until<'b>(
        &'b mut self,
        needle: &[u8],
        _: &'b mut [u8; 4],
    ) -> Result<Option<&'b [u8]>, Self::Error> {
        if self.0.is_empty() {
            return Ok(None);
        }
        // A needle byte first is returned alone; otherwise the run up to the next one.
        let at = find_any(needle, self.0).map_or(self.0.len(), |i| i.max(1));
        let (run, rest) = self.0.split_at(at);
        self.0 = rest;
        Ok(Some(run))
    }
}

/// Where the first byte of `hay` that is in `needle` stands.
#[inline(always)]
fn find_any(needle: &[u8], hay: &[u8]) -> Option<usize> {
    if needle.contains(hay.first()?) {
        return Some(0);
    }
    let mut i = 0;
    while let Some(block) = hay.get(i..i + 16) {
        let hits = block_hits(needle, block.try_into().expect("sixteen bytes"));
        if hits != 0 {
            return Some(i + hits.trailing_zeros() as usize);
        }
        i += 16;
    }
    hay[i..]
        .iter()
        .position(|b| needle.contains(b))
        .map(|j| i + j)
}

/// Bit j set when byte j of `block` is in `needle`: one SSE2 comparison per needle byte.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn block_hits(needle: &[u8], block: &[u8; 16]) -> u32 {
    use std::arch::x86_64::*;
    let half = |h: usize| i64::from_le_bytes(block[8 * h..8 * h + 8].try_into().expect("8"));
    // SAFETY: SSE2 is part of every x86-64 target; these intrinsics only compute on values.
    unsafe {
        let v = _mm_set_epi64x(half(1), half(0));
        let mut any = _mm_setzero_si128();
        for &n in needle {
            any = _mm_or_si128(any, _mm_cmpeq_epi8(v, _mm_set1_epi8(n as i8)));
        }
        _mm_movemask_epi8(any) as u32
    }
}

/// [`block_hits`] byte by byte, where there is no SSE2.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn block_hits(needle: &[u8], block: &[u8; 16]) -> u32 {
    (0..16).fold(0, |m, j| m | u32::from(needle.contains(&block[j])) << j)
}

/// Collapses white space to single spaces; `None` when nothing is left.
fn squash(s: &str) -> Option<String> {
    let t = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!t.is_empty()).then_some(t)
}

/// The headline and the visible text of an HTML page, one line per block element.
///
/// The headline is the first `<title>`, or failing that the first `<h1>`. Scripts, styles, the
/// head, drawings and embedded objects are left out; white space is folded, empty lines dropped.
///
/// ```
/// let page = "<html><head><title>Big  news</title><script>var x;</script></head>\
///     <body><h1>Big news</h1><p>First &amp; <b>bold</b> line.</p><p>Second</p></body></html>";
/// let (title, text) = neardup::html::html_text(page);
/// assert_eq!(title.as_deref(), Some("Big news"));
/// assert_eq!(text, "Big news\nFirst & bold line.\nSecond");
/// ```
pub fn html_text(html: &str) -> (Option<String>, String) {
    let mut page = Page::default();
    // The emitter yields no tokens, and reading a `&str` cannot fail: running the tokenizer
    // to its end is all there is to do.
    Tokenizer::new_with_emitter(Bytes(html.as_bytes()), Reader(&mut page)).for_each(|token| {
        match token {
            Ok(never) | Err(never) => match never {},
        }
    });
    let title = match &page.title {
        Some(t) => squash(t),
        // A title left open runs to the end of the page.
        None if page.in_title => squash(&page.title_text),
        None => None,
    }
    .or_else(|| squash(&page.h1_text));
    (title, page.out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The old way: scraper builds the DOM (html5ever's tree builder), and a walk collects the
    /// text, with the same hidden and block elements.
    fn dom_text(html: &str) -> (Option<String>, String) {
        use scraper::{Html, Node, Selector};
        let hidden_el = |n: &str| kind(n.as_bytes()) == Kind::Hidden;
        let block_el = |n: &str| kind(n.as_bytes()) == Kind::Block;
        let doc = Html::parse_document(html);
        let first = |sel: &str| {
            doc.select(&Selector::parse(sel).unwrap())
                .next()
                .and_then(|e| squash(&e.text().collect::<String>()))
        };
        let title = first("title").or_else(|| first("h1"));
        let mut out = String::new();
        let mut hidden = 0usize;
        for edge in doc.tree.root().traverse() {
            match edge {
                ego_tree::iter::Edge::Open(node) => match node.value() {
                    Node::Element(el) if hidden_el(el.name()) => hidden += 1,
                    Node::Element(el) if hidden == 0 && block_el(el.name()) => out.push('\n'),
                    Node::Text(t) if hidden == 0 => out.push_str(t),
                    _ => {}
                },
                ego_tree::iter::Edge::Close(node) => match node.value() {
                    Node::Element(el) if hidden_el(el.name()) => hidden -= 1,
                    Node::Element(el) if hidden == 0 && block_el(el.name()) => out.push('\n'),
                    _ => {}
                },
            }
        }
        let lines: Vec<String> = out.lines().filter_map(squash).collect();
        (title, lines.join("\n"))
    }

    #[test]
    fn plain_runs_end_before_the_first_white_space_to_fold() {
        let long = "word ".repeat(10);
        for (text, want) in [
            ("", 0),
            ("abc", 3),
            ("a b c", 5),
            ("a b c ", 5),
            ("a  b", 1),
            ("a b\tc", 3),
            ("ab\u{e9}c", 2),
            ("a \u{e9}", 1),
            (long.as_str(), long.len() - 1),
            ("words words words words with  two spaces", 28),
            ("words words words words words words\nnext", 35),
        ] {
            assert_eq!(plain_run(text.as_bytes()), want, "{text:?}");
        }
    }

    #[test]
    fn visible_text_and_title() {
        let page = "<html><head><title> My  Story </title><style>p{}</style>\
            <script>var x = 1;</script></head><body><nav>Home</nav><h1>Big news</h1>\
            <p>First <b>bold</b> line.</p><p>Second line</p><noscript>hidden</noscript></body></html>";
        let (title, body) = html_text(page);
        assert_eq!(title.as_deref(), Some("My Story"));
        assert_eq!(body, "Home\nBig news\nFirst bold line.\nSecond line");
    }

    #[test]
    fn title_falls_back_to_h1() {
        let (title, _) = html_text("<body><h1>Only <i>heading</i></h1><p>x</p></body>");
        assert_eq!(title.as_deref(), Some("Only heading"));
    }

    /// Malformed and unusual markup, each with what a DOM walk gives (checked against scraper
    /// too, so a change in either shows).
    #[test]
    fn unusual_markup() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            (
                "<p>a &amp; b&nbsp;c &eacute;t&eacute; &#x41;&#66;</p><div>d<br>e</div>",
                None,
                "a & b c été AB\nd\ne",
            ),
            (
                "<head><title>T</title><p>para after an unclosed head</p>",
                Some("T"),
                "para after an unclosed head",
            ),
            (
                "<head><title>T</title><meta charset=utf-8><body>body text</body>",
                Some("T"),
                "body text",
            ),
            ("<div>one<svg><text>drawn</text></svg>two<svg/>three</div>", None, "onetwothree"),
            (
                "<div>one<object>obj<div>in</div></object>after</div><p>last</p>",
                None,
                "oneafter\nlast",
            ),
            ("<div>x<canvas>fallback</div>more<p>last</p>", None, "x\nmore\nlast"),
            ("<title>A &amp; B</title><p>t</p>", Some("A & B"), "t"),
            (
                "<p>a<!-- comment <p> -->b</p><script>if (a<b) document.write('</p>')</script><p>c</p>",
                None,
                "ab\nc",
            ),
            ("<textarea>typed</textarea><template><p>tpl</p></template><p>v</p>", None, "typed\nv"),
            // Hidden text that still counts: inside the first <h1> (for the headline), and
            // text straight inside the head, which begins the body.
            (
                "<h1>Big<script>x</script> day</h1><p>t</p>",
                Some("Bigx day"),
                "Big day\nt",
            ),
            (
                "<head><script>var s;</script>stray words<style>p{}</style></head><p>p</p>",
                None,
                "stray words\np",
            ),
            ("plain text only & more", None, "plain text only & more"),
            ("a</p>b</br>c", None, "a\nb\nc"),
            ("<svg><g><path d=x/><path/></g><p>out of the drawing</p>", None, "out of the drawing"),
            ("<span>x<canvas>fallback</span>more", None, "xmore"),
            ("<title>unclosed", Some("unclosed"), ""),
            ("<p>&gt;\u{201d} &amp;\u{e9}&lt;</p>", None, ">\u{201d} &\u{e9}<"),
            ("<p>line\none\r\ntwo\u{a0}three\u{2003}four</p>", None, "line\none\ntwo three four"),
        ];
        for &(page, title, text) in cases {
            let want = (title.map(str::to_owned), text.to_owned());
            assert_eq!(html_text(page), want, "{page}");
            assert_eq!(dom_text(page), want, "the DOM walk of {page}");
        }
    }

    #[test]
    fn pathological_nesting_is_linear_and_keeps_text() {
        let mut page = "<div>".repeat(100_000);
        page.push_str("deep");
        page.push_str(&"</span>".repeat(100_000));
        page.push_str("<p>after</p>");
        let (_, text) = html_text(&page);
        assert_eq!(text, "deep\nafter");
    }

    /// Well-formed pages: elements nested as their content model allows.
    fn page() -> impl Strategy<Value = String> {
        let word = prop_oneof![
            "[a-z]{1,8}".prop_map(|w| w),
            Just("&amp;".to_owned()),
            Just("&nbsp;".to_owned()),
            Just("&lt;".to_owned()),
            Just("caf\u{e9}".to_owned()),
        ];
        let space = prop_oneof![Just(" "), Just("\n"), Just("  \t"), Just("")];
        let text = prop::collection::vec((word, space), 1..5).prop_map(|ws| {
            ws.into_iter()
                .map(|(w, s)| format!("{w}{s}"))
                .collect::<String>()
        });
        let inline = text.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                (
                    prop_oneof![Just("b"), Just("i"), Just("span"), Just("a")],
                    prop::collection::vec(inner.clone(), 1..4)
                )
                    .prop_map(|(t, kids)| format!("<{t}>{}</{t}>", kids.concat())),
                Just("<br>".to_owned()),
                Just("<img src=x.png>".to_owned()),
                Just("<script>if (a<b && c>d) { x = '</p>'; }</script>".to_owned()),
                Just(
                    "<svg viewBox=\"0 0 1 1\"><g><path d=\"M0\"/><text>drawn</text></g></svg>"
                        .to_owned()
                ),
                Just("<!-- a <p> comment -->".to_owned()),
            ]
        });
        let flow = inline.clone().prop_recursive(3, 32, 4, move |inner| {
            prop_oneof![
                (
                    prop_oneof![
                        Just("div"),
                        Just("section"),
                        Just("blockquote"),
                        Just("nav")
                    ],
                    prop::collection::vec(inner.clone(), 1..4)
                )
                    .prop_map(|(t, kids)| format!("<{t}>{}</{t}>", kids.concat())),
                (
                    prop_oneof![Just("p"), Just("h1"), Just("h2")],
                    prop::collection::vec(inline.clone(), 1..3)
                )
                    .prop_map(|(t, kids)| format!("<{t}>{}</{t}>", kids.concat())),
                prop::collection::vec(inline.clone(), 1..3).prop_map(|items| format!(
                    "<ul>{}</ul>",
                    items
                        .iter()
                        .map(|i| format!("<li>{i}</li>"))
                        .collect::<String>()
                )),
                Just("<hr>".to_owned()),
                Just("<noscript><p>enable scripts</p></noscript>".to_owned()),
            ]
        });
        (
            proptest::option::of("[a-z]{1,6}( [a-z]{1,6}){0,3}"),
            prop::collection::vec(flow, 1..6),
        )
            .prop_map(|(title, body)| {
                let title = title.map_or(String::new(), |t| format!("<title>{t}</title>"));
                format!(
                    "<!DOCTYPE html><html><head><meta charset=\"utf-8\">{title}<style>p > a {{ x: 1 }}</style></head>\n<body>{}</body></html>",
                    body.concat()
                )
            })
    }

    /// Every run `r` gives, stopping at the bytes of `needle`.
    fn runs(mut r: impl html5gum::Reader, needle: &[u8]) -> Vec<Vec<u8>> {
        std::iter::from_fn(|| {
            r.read_until(needle, &mut [0; 4])
                .unwrap()
                .map(<[u8]>::to_vec)
        })
        .collect()
    }

    proptest! {
        #[test]
        fn same_text_as_a_dom_walk(p in page()) {
            prop_assert_eq!(html_text(&p), dom_text(&p), "{}", p);
        }

        /// Folding white space: words split as `split_whitespace` splits them, one space
        /// between the words of a line, one line break between lines with words.
        #[test]
        fn push_text_folds_white_space(
            pieces in proptest::collection::vec(
                "([ab.]|  ?|\\t|\\n|\\r|\\u{b}|\\u{a0}|\\u{2028}|\\u{e9}|\\u{3000}){0,40}",
                1..4,
            )
        ) {
            let mut page = Page::default();
            for p in &pieces {
                page.push_text(p);
            }
            let all = pieces.concat();
            let want: Vec<String> = all
                .split('\n')
                .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|line| !line.is_empty())
                .collect();
            prop_assert_eq!(page.out, want.join("\n"));
        }

        /// The page reader cuts the same runs as html5gum's own reader of a byte slice, for
        /// any set of bytes to stop at (the tokenizer's sets have at most thirteen).
        #[test]
        fn reads_the_runs_html5gum_reads(
            needle in proptest::collection::vec(proptest::sample::select(b"<>&\"'= \t\n\r\0a".to_vec()), 1..13),
            hay in proptest::collection::vec(proptest::sample::select(b"<>&\"'= \t\n\r\0abc".to_vec()), 0..80),
        ) {
            use html5gum::Readable;
            let got = runs(Bytes(&hay), &needle);
            let want = runs(hay.as_slice().to_reader(), &needle);
            prop_assert_eq!(got, want);
        }

        #[test]
        fn arbitrary_bytes_never_panic(s in "(<|>|/|=|\"|'|!|-|&|;|[a-z]|\\PC| ){0,200}") {
            let _ = html_text(&s);
        }
    }
}
