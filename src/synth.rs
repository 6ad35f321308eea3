//! Synthetic scraped-news corpora with planted duplicates and a ground-truth file: the test
//! bed for quality figures, benchmarks and threshold tuning. Not a pipeline stage.
//!
//! Each document is a page of some site: the site's header lines, a headline, a byline, the
//! article body, and the site's footer with links to other articles. Bodies come from real prose
//! (a folder of `.txt` files, cut into article-sized runs of sentences, never reused) or, when
//! that runs out or none is given, from a Zipf-distributed synthetic vocabulary.
//!
//! Planted copies, each in the family of its original: exact copies; syndicated copies (another
//! site's template, a new headline, sometimes light copy edits); copy-edited versions (a few
//! percent of words changed, two paragraphs swapped); re-wrapped and re-typeset copies (curly
//! quotes, non-breaking spaces, Unicode hyphens, CRLF, other line widths); updated stories (a new
//! paragraph on top); and, on request, truncated copies (40 to 70 percent of the article under
//! another site's template, ending in "Continue reading"). Near-miss negatives: distinct articles
//! that share a long quotation, and short articles on sites with heavy templates.
//!
//! The truth file has one JSON object per line: `{"id": ID, "family": N, "kind": KIND}`.
//! Documents with the same `family` are duplicates of each other; `kind` is `original`,
//! `exact`, `syndicated`, `copyedit`, `retyped`, `updated`, `truncated`, `quote` (an original
//! that shares a quotation with others) or `short` (an original on a heavy template).

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::shingle::fmix64;

/// What to generate.
#[derive(Clone, Debug)]
pub struct SynthConfig {
    /// Documents to write, copies included.
    pub docs: usize,
    /// Seed: the same seed gives the same corpus.
    pub seed: u64,
    /// Share of documents that are planted copies.
    pub copy_share: f64,
    /// Number of site templates.
    pub sites: usize,
    /// Folder of real prose (`.txt` files) to draw article bodies from.
    pub source: Option<PathBuf>,
    /// Plant truncated copies too (for containment).
    pub truncated: bool,
    /// Write one JSONL file (`corpus.jsonl`, fields `id` and `text`) instead of a folder.
    pub jsonl: bool,
    /// What each file of a folder holds: the article as text, as a web page, or as a message.
    pub format: SynthFormat,
    /// Least and most words of a full article's body (short items are 50 to 150 words).
    pub words: (usize, usize),
}

/// What the files of a generated folder are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SynthFormat {
    /// `.txt` files: the page's text.
    #[default]
    Text,
    /// `.html` pages: the same lines as visible paragraphs, in a page with the weight of a news
    /// site's (metadata, an inline style and script sheet, a navigation bar of links with
    /// attributes, a JSON state blob). The site's name and navigation are visible.
    Html,
    /// `.eml` messages: routing and address headers, the headline as subject, the page's text
    /// as body; one in three bodies quoted-printable.
    Mail,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            docs: 1000,
            seed: 7,
            copy_share: 0.3,
            sites: 24,
            source: None,
            truncated: false,
            jsonl: false,
            format: SynthFormat::Text,
            words: (250, 900),
        }
    }
}

/// A small, fast, seedable generator (SplitMix64).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator with the given seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        fmix64(self.0)
    }
    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    /// A uniformly chosen element.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Synthetic words with Zipf-like frequencies.
struct Vocabulary {
    words: Vec<String>,
    /// Cumulative weights, scaled to u64.
    cumulative: Vec<f64>,
}

impl Vocabulary {
    fn new(rng: &mut Rng, size: usize) -> Self {
        const ONSETS: [&str; 20] = [
            "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w",
            "st", "tr", "ch",
        ];
        const VOWELS: [&str; 8] = ["a", "e", "i", "o", "u", "ai", "ea", "ou"];
        const CODAS: [&str; 8] = ["", "n", "r", "s", "t", "l", "nd", "st"];
        let mut seen = std::collections::HashSet::new();
        let mut words = Vec::with_capacity(size);
        while words.len() < size {
            let syllables = 1 + rng.below(3) + usize::from(words.len() > 500);
            let mut w = String::new();
            for _ in 0..syllables {
                for part in [&ONSETS[..], &VOWELS[..], &CODAS[..]] {
                    let piece: &&str = rng.pick(part);
                    w.push_str(piece);
                }
            }
            if seen.insert(w.clone()) {
                words.push(w);
            }
        }
        let mut total = 0.0;
        let cumulative = (1..=size)
            .map(|r| {
                total += 1.0 / (r as f64).powf(1.05);
                total
            })
            .collect();
        Vocabulary { words, cumulative }
    }

    fn word(&self, rng: &mut Rng) -> &str {
        let total = *self.cumulative.last().expect("non-empty vocabulary");
        let x = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
        let i = self.cumulative.partition_point(|&c| c < x);
        &self.words[i.min(self.words.len() - 1)]
    }

    fn sentence(&self, rng: &mut Rng) -> String {
        let n = rng.range(7, 24);
        let mut s = String::new();
        for i in 0..n {
            let w = self.word(rng);
            if i == 0 {
                let mut c = w.chars();
                if let Some(f) = c.next() {
                    s.extend(f.to_uppercase());
                    s.push_str(c.as_str());
                }
            } else {
                s.push(' ');
                s.push_str(w);
                if rng.chance(0.06) && i + 1 < n {
                    s.push(',');
                }
            }
        }
        s.push('.');
        s
    }
}

/// Where article bodies come from.
struct Prose {
    sentences: Vec<String>,
    next: usize,
    vocab: Vocabulary,
}

impl Prose {
    fn new(rng: &mut Rng, source: Option<&Path>) -> std::io::Result<Self> {
        let mut sentences = Vec::new();
        let mut seen = std::collections::HashSet::new();
        if let Some(dir) = source {
            let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "txt"))
                .collect();
            files.sort();
            for f in files {
                let text = std::fs::read_to_string(&f)?;
                let mut start = 0;
                let bytes = text.as_bytes();
                for i in 0..bytes.len() {
                    let end_of_sentence = matches!(bytes[i], b'.' | b'?' | b'!')
                        && bytes.get(i + 1).is_none_or(|b| b.is_ascii_whitespace());
                    if end_of_sentence {
                        let s = text[start..=i]
                            .split_whitespace()
                            .collect::<Vec<_>>()
                            .join(" ");
                        // Sources repeat themselves (a speech printed twice); a repeated
                        // sentence would make two "distinct" articles near duplicates.
                        if s.split(' ').count() >= 3 && seen.insert(s.clone()) {
                            sentences.push(s);
                        }
                        start = i + 1;
                    }
                }
            }
        }
        Ok(Prose {
            sentences,
            next: 0,
            vocab: Vocabulary::new(rng, 30_000),
        })
    }

    /// About `words` words of fresh prose, in paragraphs of a few sentences.
    fn paragraphs(&mut self, rng: &mut Rng, words: usize) -> Vec<String> {
        let mut paras = Vec::new();
        let mut count = 0;
        while count < words {
            let n = rng.range(2, 5);
            let mut p = String::new();
            for _ in 0..n {
                if count >= words {
                    break;
                }
                let s = if self.next < self.sentences.len() {
                    self.next += 1;
                    self.sentences[self.next - 1].clone()
                } else {
                    self.vocab.sentence(rng)
                };
                count += s.split(' ').count();
                if !p.is_empty() {
                    p.push(' ');
                }
                p.push_str(&s);
            }
            paras.push(p);
        }
        paras
    }

    fn headline(&self, rng: &mut Rng) -> String {
        let n = rng.range(5, 11);
        (0..n)
            .map(|_| {
                let w = self.vocab.word(rng);
                let mut c = w.chars();
                match c.next() {
                    Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                    None => String::new(),
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

struct Site {
    header: Vec<String>,
    footer: Vec<String>,
    heavy: bool,
}

fn make_site(rng: &mut Rng, prose: &Prose, i: usize, heavy: bool) -> Site {
    const PAPERS: [&str; 10] = [
        "Times",
        "Post",
        "Herald",
        "Daily",
        "Gazette",
        "Tribune",
        "Courier",
        "Ledger",
        "Observer",
        "Chronicle",
    ];
    const SECTIONS: [&str; 16] = [
        "Home", "World", "Politics", "Business", "Tech", "Science", "Health", "Sports", "Opinion",
        "Culture", "Travel", "Climate", "Markets", "Video", "Podcasts", "Local",
    ];
    let name = format!(
        "The {} {} {}",
        capital(prose.vocab.word(rng)),
        rng.pick(&PAPERS),
        i
    );
    let mut header = vec![name.clone()];
    let nav_lines = if heavy { rng.range(4, 7) } else { 1 };
    for _ in 0..nav_lines {
        let n = rng.range(5, 9);
        header.push(
            (0..n)
                .map(|_| *rng.pick(&SECTIONS))
                .collect::<Vec<_>>()
                .join(" | "),
        );
    }
    if heavy {
        header.push(format!(
            "Sign in to {name} to read more, manage your subscription and follow topics"
        ));
    }
    let mut footer = vec![
        "Help us improve.".to_string(),
        "Related Articles".to_string(),
    ];
    footer.push(format!(
        "Subscribe to the {name} newsletter for the latest news, delivered every morning."
    ));
    if heavy {
        for _ in 0..rng.range(3, 5) {
            footer.push(prose.vocab.sentence(rng));
        }
        footer.push("Contact us | Careers | Advertise with us | Privacy policy | Terms of use | Cookie settings | Accessibility".into());
    }
    footer.push(format!("© 2026 {name}. All rights reserved."));
    Site {
        header,
        footer,
        heavy,
    }
}

fn capital(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// An article before it is laid out on a site.
#[derive(Clone)]
struct Article {
    headline: String,
    byline: String,
    paras: Vec<String>,
}

fn byline(rng: &mut Rng, prose: &Prose) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    format!(
        "By {} {} | {} {}, 2026",
        capital(prose.vocab.word(rng)),
        capital(prose.vocab.word(rng)),
        rng.pick(&MONTHS),
        rng.range(1, 28)
    )
}

fn layout(site: &Site, a: &Article, rng: &mut Rng, prose: &Prose) -> String {
    let mut out = String::new();
    for l in &site.header {
        out.push_str(l);
        out.push_str("\n\n");
    }
    let _ = write!(out, "{}\n\n{}\n\n", a.headline, a.byline);
    for p in &a.paras {
        out.push_str(p);
        out.push_str("\n\n");
    }
    for (i, l) in site.footer.iter().enumerate() {
        out.push_str(l);
        out.push_str("\n\n");
        if i == 1 {
            // Links to other stories: they differ from page to page.
            for _ in 0..rng.range(2, 4) {
                out.push_str(&prose.headline(rng));
                out.push_str("\n\n");
            }
        }
    }
    out
}

/// Replaces, deletes or inserts about `share` of the words.
fn copy_edit(a: &mut Article, rng: &mut Rng, prose: &Prose, share: f64) {
    for p in &mut a.paras {
        let mut words: Vec<String> = p.split(' ').map(str::to_owned).collect();
        let mut i = 0;
        while i < words.len() {
            if rng.chance(share) {
                match rng.below(3) {
                    0 => words[i] = prose.vocab.word(rng).to_owned(),
                    1 if words.len() > 3 => {
                        words.remove(i);
                    }
                    _ => words.insert(i, prose.vocab.word(rng).to_owned()),
                }
            }
            i += 1;
        }
        *p = words.join(" ");
    }
}

fn retype(text: &str, rng: &mut Rng) -> String {
    let width = rng.range(50, 90);
    let mut out = String::new();
    for para in text.split("\n\n").filter(|p| !p.is_empty()) {
        let mut line = 0;
        for w in para.split(' ') {
            if line > 0 && line + w.len() > width {
                out.push_str("\r\n");
                line = 0;
            } else if line > 0 {
                out.push(if rng.chance(0.05) { '\u{a0}' } else { ' ' });
                line += 1;
            }
            let w = w
                .replace('\'', "\u{2019}")
                .replace('-', "\u{2011}")
                .replace('"', "\u{201d}");
            out.push_str(&w);
            line += w.chars().count();
        }
        out.push_str("\r\n\r\n");
    }
    out
}

/// One generated document.
struct Doc {
    text: String,
    headline: String,
    family: usize,
    kind: &'static str,
}

/// Writes a corpus into `out` (created): `out/docs/…` files or `out/corpus.jsonl`, and the
/// ground truth `out/truth.jsonl`. Returns the number of documents written.
///
/// # Errors
/// Any I/O error on the source or the output.
pub fn generate(config: &SynthConfig, out: &Path) -> std::io::Result<usize> {
    // Options that cannot be met are refused before anything is generated or written.
    let refuse = |why: String| Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, why));
    if config.words.0 == 0 || config.words.0 > config.words.1 {
        return refuse(format!(
            "article length {}-{} words: the least must be at least 1 and at most the most",
            config.words.0, config.words.1
        ));
    }
    if config.jsonl && config.format != SynthFormat::Text {
        return refuse(
            "a JSONL dump holds text only: pages and messages are written as folders".into(),
        );
    }
    let mut rng = Rng::new(config.seed);
    let mut prose = Prose::new(&mut rng, config.source.as_deref())?;
    let sites: Vec<Site> = (0..config.sites.max(2))
        .map(|i| make_site(&mut rng, &prose, i, i % 4 == 3))
        .collect();
    let heavy: Vec<usize> = (0..sites.len()).filter(|&i| sites[i].heavy).collect();
    let light: Vec<usize> = (0..sites.len()).filter(|&i| !sites[i].heavy).collect();
    let copies_wanted = (config.docs as f64 * config.copy_share).round() as usize;
    let mut docs: Vec<Doc> = Vec::with_capacity(config.docs);
    let mut copies = 0;
    let mut family = 0;
    let mut quotes: Vec<String> = Vec::new();
    while docs.len() < config.docs {
        family += 1;
        // The original.
        let short = rng.chance(0.12);
        let site_ix = if short {
            *rng.pick(&heavy)
        } else {
            *rng.pick(&light)
        };
        let words = if short {
            rng.range(50, 150)
        } else {
            rng.range(config.words.0, config.words.1)
        };
        let mut article = Article {
            headline: prose.headline(&mut rng),
            byline: byline(&mut rng, &prose),
            paras: prose.paragraphs(&mut rng, words),
        };
        let mut kind = if short { "short" } else { "original" };
        if !short && rng.chance(0.08) {
            // Share a long quotation with other originals.
            if quotes.is_empty() || rng.chance(0.35) {
                // Exactly n words: a whole last sentence could make the quotation most of a
                // short article.
                let n = rng.range(60, 120);
                let text = prose.paragraphs(&mut rng, n).join(" ");
                quotes.push(text.split(' ').take(n).collect::<Vec<_>>().join(" "));
            }
            let q = rng.pick(&quotes).clone();
            let at = rng.below(article.paras.len() + 1);
            article.paras.insert(at, format!("\"{q}\""));
            kind = "quote";
        }
        let text = layout(&sites[site_ix], &article, &mut rng, &prose);
        docs.push(Doc {
            text: text.clone(),
            headline: article.headline.clone(),
            family,
            kind,
        });
        if short || copies >= copies_wanted {
            continue;
        }
        let n_copies = 1 + usize::from(rng.chance(0.4)) + usize::from(rng.chance(0.2));
        for _ in 0..n_copies {
            if docs.len() >= config.docs || copies >= copies_wanted {
                break;
            }
            const KINDS: [&str; 8] = [
                "exact",
                "syndicated",
                "syndicated",
                "copyedit",
                "retyped",
                "updated",
                "truncated",
                "truncated",
            ];
            // Truncated copies only on request: the last two entries.
            let kinds = if config.truncated {
                &KINDS[..]
            } else {
                &KINDS[..6]
            };
            let copy_kind = *rng.pick(kinds);
            // Copies under another site may land on a heavy template too.
            let other_site = rng.below(sites.len());
            let (text, headline) = match copy_kind {
                "exact" => (text.clone(), article.headline.clone()),
                "syndicated" => {
                    let mut a = article.clone();
                    a.headline = prose.headline(&mut rng);
                    a.byline = byline(&mut rng, &prose);
                    if rng.chance(0.3) {
                        copy_edit(&mut a, &mut rng, &prose, 0.015);
                    }
                    (layout(&sites[other_site], &a, &mut rng, &prose), a.headline)
                }
                "copyedit" => {
                    let mut a = article.clone();
                    let share = 0.01 + 0.04 * rng.below(100) as f64 / 100.0;
                    copy_edit(&mut a, &mut rng, &prose, share);
                    if a.paras.len() >= 3 {
                        let i = rng.below(a.paras.len() - 1);
                        a.paras.swap(i, i + 1);
                    }
                    (layout(&sites[site_ix], &a, &mut rng, &prose), a.headline)
                }
                "retyped" => (retype(&text, &mut rng), article.headline.clone()),
                "updated" => {
                    let mut a = article.clone();
                    let n = rng.range(30, 90);
                    let mut update = prose.paragraphs(&mut rng, n);
                    update[0] = format!("UPDATE: {}", update[0]);
                    for (i, p) in update.into_iter().enumerate() {
                        a.paras.insert(i, p);
                    }
                    (layout(&sites[site_ix], &a, &mut rng, &prose), a.headline)
                }
                _ => {
                    let mut a = article.clone();
                    let total: usize = a.paras.iter().map(|p| p.split(' ').count()).sum();
                    let keep = total * rng.range(40, 70) / 100;
                    let mut words: Vec<&str> = Vec::new();
                    let mut paras = Vec::new();
                    for p in &article.paras {
                        let rest = keep.saturating_sub(words.len());
                        if rest == 0 {
                            break;
                        }
                        let ws: Vec<&str> = p.split(' ').take(rest).collect();
                        words.extend(&ws);
                        paras.push(ws.join(" "));
                    }
                    paras.push("Continue reading on our partner site.".into());
                    a.paras = paras;
                    a.headline = prose.headline(&mut rng);
                    (layout(&sites[other_site], &a, &mut rng, &prose), a.headline)
                }
            };
            docs.push(Doc {
                text,
                headline,
                family,
                kind: copy_kind,
            });
            copies += 1;
        }
    }
    // Shuffle so that copies do not sit next to their originals.
    for i in (1..docs.len()).rev() {
        let j = rng.below(i + 1);
        docs.swap(i, j);
    }
    write_out(config, out, &docs)
}

fn write_out(config: &SynthConfig, out: &Path, docs: &[Doc]) -> std::io::Result<usize> {
    std::fs::create_dir_all(out)?;
    let mut truth = std::io::BufWriter::new(std::fs::File::create(out.join("truth.jsonl"))?);
    let mut jsonl = if config.jsonl {
        Some(std::io::BufWriter::new(std::fs::File::create(
            out.join("corpus.jsonl"),
        )?))
    } else {
        std::fs::create_dir_all(out.join("docs"))?;
        None
    };
    let ext = match config.format {
        SynthFormat::Text => "txt",
        SynthFormat::Html => "html",
        SynthFormat::Mail => "eml",
    };
    for (i, d) in docs.iter().enumerate() {
        // Folders of 1000 files, as large crawls are usually laid out.
        let id = format!("{:04}/{:07}.{ext}", i / 1000, i);
        match &mut jsonl {
            Some(w) => {
                serde_json::to_writer(&mut *w, &serde_json::json!({"id": id, "text": d.text}))?;
                w.write_all(b"\n")?;
            }
            None => {
                let path = out.join("docs").join(&id);
                if i % 1000 == 0 {
                    std::fs::create_dir_all(path.parent().expect("file in a folder"))?;
                }
                let body = match config.format {
                    SynthFormat::Text => std::borrow::Cow::Borrowed(d.text.as_str()),
                    SynthFormat::Html => html_page(d).into(),
                    SynthFormat::Mail => message(d, i, config.seed).into(),
                };
                std::fs::write(path, body.as_bytes())?;
            }
        }
        serde_json::to_writer(
            &mut truth,
            &serde_json::json!({"id": id, "family": d.family, "kind": d.kind}),
        )?;
        truth.write_all(b"\n")?;
    }
    truth.flush()?;
    if let Some(mut w) = jsonl {
        w.flush()?;
    }
    Ok(docs.len())
}

fn escape_html(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `d` as a news site's page: every non-empty line of its text a paragraph (the headline a
/// heading), around them what makes real pages heavy and what no reader sees. The furniture
/// depends on the site (the text's first line), so a site's pages share it.
fn html_page(d: &Doc) -> String {
    let site = d.text.lines().next().unwrap_or_default().trim();
    let h = fmix64(xxhash_rust::xxh3::xxh3_64(site.as_bytes()));
    let variant = (h % 97) as usize;
    let mut page = String::with_capacity(4 * d.text.len() + 40_000);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>{} | {}</title>\n",
        escape_html(&d.headline),
        escape_html(site)
    );
    for i in 0..16 {
        let _ = writeln!(
            page,
            "<meta property=\"og:field{i}\" content=\"value {i} of site {variant}\">"
        );
    }
    for i in 0..8 {
        let _ = writeln!(
            page,
            "<link rel=\"preload\" href=\"/static/{variant}/chunk-{i:04x}.js\" as=\"script\" crossorigin=\"anonymous\">"
        );
    }
    page.push_str("<style>\n");
    for i in 0..60 + variant {
        let _ = writeln!(
            page,
            ".s{variant}-c{i} {{ margin: {i}px 0; color: #{:06x}; }} .s{variant}-c{i} > a:hover {{ text-decoration: underline; }}",
            (h as usize + i) % 0xff_ffff
        );
    }
    page.push_str("</style>\n<script>\n");
    for i in 0..80 + variant {
        let _ = writeln!(
            page,
            "function f{i}(a, b) {{ if (a < b && b > {i}) {{ return a * {i} + b; }} return document.getElementById('x{i}'); }}"
        );
    }
    page.push_str("</script></head>\n<body class=\"page article\"><div id=\"root\"><header class=\"site-header\"><nav class=\"nav\"><ul>\n");
    for i in 0..12 {
        let _ = writeln!(
            page,
            "<li class=\"nav__item\"><a class=\"nav__link\" href=\"/section/{i}/\" data-track=\"nav-{i}\">Section {i}</a></li>"
        );
    }
    page.push_str("</ul></nav></header>\n<main><article class=\"article\">\n");
    for (n, line) in d.text.lines().map(str::trim_end).enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if line == d.headline {
            let _ = writeln!(
                page,
                "<h1 class=\"article__title\">{}</h1>",
                escape_html(line)
            );
        } else {
            let _ = writeln!(
                page,
                "<div class=\"block block-{n}\" data-block=\"{n}\"><p class=\"paragraph\">{}</p></div>",
                escape_html(line)
            );
        }
    }
    page.push_str("</article></main>\n<script type=\"application/json\" id=\"state\">{\"items\":[");
    for i in 0..40 {
        let _ = write!(
            page,
            "{}{{\"id\":{i},\"url\":\"https://example.com/{variant}/{i}\",\"tags\":[\"a\",\"b\"]}}",
            if i > 0 { "," } else { "" }
        );
    }
    page.push_str("]}</script>\n</div></body></html>\n");
    page
}

/// `d` as an e-mail message: headers of a mailing list's delivery, the headline as subject,
/// the page's text as body. Every third body is quoted-printable.
fn message(d: &Doc, i: usize, seed: u64) -> String {
    let h = fmix64(seed ^ i as u64);
    let mut m = String::with_capacity(d.text.len() + 1500);
    for hop in 0..3 {
        let _ = writeln!(
            m,
            "Received: from relay{hop}.example.net (relay{hop}.example.net [192.0.2.{}])\n\tby mx{hop}.example.com with ESMTPS id {:016x};\n\t{} Jun 2024 {:02}:{:02}:{:02} +0000",
            (h >> (8 * hop)) % 250 + 1,
            h.rotate_left(hop * 7),
            i % 28 + 1,
            i % 24,
            (i / 24) % 60,
            hop
        );
    }
    let qp = i % 3 == 2;
    let _ = write!(
        m,
        "From: Desk {} <desk{}@news.example.org>\nTo: readers@lists.example.com\nSubject: {}\nDate: {} Jun 2024 {:02}:{:02}:00 +0000\nMessage-ID: <{:016x}.{i}@news.example.org>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: {}\n\n",
        h % 40,
        h % 40,
        d.headline,
        i % 28 + 1,
        i % 24,
        (i / 24) % 60,
        h,
        if qp { "quoted-printable" } else { "8bit" }
    );
    if qp {
        quoted_printable(&d.text, &mut m);
    } else {
        m.push_str(&d.text);
    }
    m
}

/// Appends `text` encoded as quoted-printable (RFC 2045): lines of at most 76 characters,
/// `=` and every byte outside printable ASCII as `=XX`, a space or tab that ends a line too.
pub(crate) fn quoted_printable(text: &str, out: &mut String) {
    for piece in text.split_inclusive('\n') {
        let (line, newline) = match piece.strip_suffix('\n') {
            Some(line) => (line, true),
            None => (piece, false),
        };
        let bytes = line.as_bytes();
        let mut col = 0;
        for (j, &b) in bytes.iter().enumerate() {
            let last = j + 1 == bytes.len();
            let plain = (b == b' ' || b == b'\t') && !last || (33..=126).contains(&b) && b != b'=';
            let len = if plain { 1 } else { 3 };
            if col + len > 75 {
                out.push_str("=\n");
                col = 0;
            }
            if plain {
                out.push(b as char);
            } else {
                let _ = write!(out, "={b:02X}");
            }
            col += len;
        }
        if newline {
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_printable_messages_decode_to_their_text() {
        let text = "Caf\u{e9} = 10 \u{2014} \u{201c}quoted\u{201d}\r\nends in a space \n\n\
                    a long line of words that goes on well past the seventy-six characters \
                    one encoded line may hold, with \u{e9}t\u{e9} near its end\n";
        let d = Doc {
            text: text.into(),
            headline: "Caf\u{e9} news".into(),
            family: 1,
            kind: "original",
        };
        // Message 2 is quoted-printable, message 0 is not.
        for i in [0, 2] {
            let m = message(&d, i, 7);
            let (_, body) = m.split_once("\n\n").unwrap();
            assert_eq!(body.contains("=C3=A9"), i == 2, "{m}");
            if i == 2 {
                assert!(body.lines().all(|l| l.len() <= 76), "{m}");
            }
            let mail = crate::mail::mail_text(m.as_bytes()).unwrap();
            assert_eq!(mail.subject.as_deref(), Some("Caf\u{e9} news"));
            let lines =
                |t: &str| -> Vec<String> { t.lines().map(|l| l.trim_end().to_owned()).collect() };
            assert_eq!(lines(&mail.text)[1..], lines(text)[..], "{m}");
        }
    }

    #[test]
    fn words_option_sets_article_length_and_bad_options_are_refused() {
        let bytes = |words: (usize, usize)| -> u64 {
            let dir = tempfile::tempdir().unwrap();
            let config = SynthConfig {
                docs: 300,
                copy_share: 0.0,
                words,
                ..SynthConfig::default()
            };
            assert_eq!(generate(&config, dir.path()).unwrap(), 300);
            walkdir::WalkDir::new(dir.path().join("docs"))
                .into_iter()
                .map(|e| e.unwrap().metadata().unwrap())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        };
        let (short, long) = (bytes((100, 100)), bytes((800, 800)));
        // About 12 % of the articles are short items of their own length, and every page has
        // a headline and a byline; the rest scales with the option (4.2 times here).
        assert!(long > 3 * short, "{short} vs {long}");
        for bad in [(0, 10), (20, 10)] {
            let config = SynthConfig {
                words: bad,
                ..SynthConfig::default()
            };
            let dir = tempfile::tempdir().unwrap();
            let err = generate(&config, dir.path()).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        }
        // Pages or messages in a JSONL dump: refused before anything is written.
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let config = SynthConfig {
            jsonl: true,
            format: SynthFormat::Html,
            ..SynthConfig::default()
        };
        let err = generate(&config, &out).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(!out.exists());
    }

    #[test]
    fn pages_show_their_text_line_for_line() {
        let d = Doc {
            text: "Site & Co\n\nA <headline>\n\nFirst line.\nSecond line\r\n".into(),
            headline: "A <headline>".into(),
            family: 1,
            kind: "original",
        };
        let (title, text) = crate::html::html_text(&html_page(&d));
        assert_eq!(title.as_deref(), Some("A <headline> | Site & Co"));
        let nav: Vec<String> = (0..12).map(|i| format!("Section {i}")).collect();
        let want = [
            nav.join("\n"),
            "Site & Co\nA <headline>\nFirst line.\nSecond line".into(),
        ]
        .join("\n");
        assert_eq!(text, want);
    }
}
