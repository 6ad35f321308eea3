//! Normalize + shingle throughput (bytes of raw text per second), on the sample articles: the
//! canonical-text path (character shingles, `compare`) and the one-pass word path of `scan`;
//! and the step before them for HTML files and mail, a page or message to its visible text, and
//! the temporary store that keeps that text for a run's later reads.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use neardup::boilerplate::{Boilerplate, LineScratch};
use neardup::html::html_text;
use neardup::mail::mail_text;
use neardup::normalize::normalize_into;
use neardup::shingle::{dedup_hashes, ShingleKind, Shingler};

fn sample_text() -> String {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/samples");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

fn bench(c: &mut Criterion) {
    // The samples hold a few curly quotes; the ASCII input replaces every other character. The
    // typographic input has curly apostrophes and no-break spaces (separators that need no
    // Unicode normalization); the accented one an é for every e, so that most words go through
    // NFKC.
    let text: String = sample_text()
        .chars()
        .map(|c| if c.is_ascii() { c } else { ' ' })
        .collect();
    let typographic = text.replace('\'', "\u{2019}").replace(' ', "\u{a0} ");
    let accented = text.replace('e', "\u{e9}");
    let inputs = [
        ("ascii", &text),
        ("typographic", &typographic),
        ("accented", &accented),
    ];
    let mut g = c.benchmark_group("normalize+shingle");
    for (name, input) in inputs {
        let shingler = Shingler::new(ShingleKind::Word(4), 1);
        let (mut norm, mut words, mut out) = (String::new(), Vec::new(), Vec::new());
        normalize_into(input, &mut norm);
        shingler.shingles_into(&norm, &mut words, &mut out);
        // A fast wrong answer cannot pass: every input gives its exact number of shingles.
        assert!(out.len() > 10_000, "{name}: {} shingles", out.len());
        let expected = out.len();
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                normalize_into(input, &mut norm);
                shingler.shingles_into(&norm, &mut words, &mut out);
                assert_eq!(out.len(), expected);
            })
        });
    }
    g.finish();

    // What scan does per document: one pass from raw text to word hashes, then n-grams.
    let mut g = c.benchmark_group("words+shingle (scan)");
    let bp = Boilerplate::none();
    for (name, input) in inputs {
        let shingler = Shingler::new(ShingleKind::Word(4), 1);
        let (mut norm, mut words, mut want) = (String::new(), Vec::new(), Vec::new());
        normalize_into(input, &mut norm);
        shingler.shingles_into(&norm, &mut words, &mut want);
        let (mut s, mut got) = (LineScratch::default(), Vec::new());
        let run = |s: &mut LineScratch, words: &mut Vec<u64>, got: &mut Vec<u64>| {
            bp.words_into(input, s, words);
            shingler.from_words_into(words, got);
            got.sort_unstable();
            got.dedup();
        };
        run(&mut s, &mut words, &mut got);
        // The same set as the canonical-text path.
        assert_eq!(got, want, "{name}");
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                run(&mut s, &mut words, &mut got);
                got.len()
            })
        });
    }
    g.finish();

    // The first pass of scan needs a document's shingle set only for its signature and size:
    // repeats are taken out by a hash table, in no particular order. Documents of news size.
    let mut g = c.benchmark_group("shingle set (scan's first pass)");
    let shingler = Shingler::new(ShingleKind::Word(4), 1);
    let (mut s, mut words, mut all) = (LineScratch::default(), Vec::new(), Vec::new());
    bp.words_into(&text, &mut s, &mut words);
    shingler.from_words_into(&words, &mut all);
    for size in [300usize, 1000, 3000] {
        // A document's shingles with repeats: a run of the sample, then part of it again.
        let mut doc: Vec<u64> = all[..size].to_vec();
        doc.extend_from_slice(&all[size / 3..size / 2]);
        let mut want = doc.clone();
        want.sort_unstable();
        want.dedup();
        let (mut got, mut table) = (Vec::with_capacity(doc.len()), Vec::new());
        // Checked before the bench, which a filter on the command line may skip.
        got.extend_from_slice(&doc);
        dedup_hashes(&mut got, &mut table);
        got.sort_unstable();
        assert_eq!(got, want, "{size} shingles");
        g.throughput(Throughput::Elements(doc.len() as u64));
        g.bench_function(format!("{size} shingles"), |b| {
            b.iter(|| {
                got.clear();
                got.extend_from_slice(&doc);
                dedup_hashes(&mut got, &mut table);
                got.len()
            })
        });
    }
    g.finish();
}

/// A news page around `paragraphs`, with the furniture that makes pages heavy (an inline style
/// and script, a navigation list of links with attributes, a footer), and the visible lines a
/// reader would see.
fn news_page(n: usize, paragraphs: &[&str]) -> (String, Vec<String>) {
    let escape = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut lines: Vec<String> = (0..60).map(|i| format!("Section {i}")).collect();
    let nav: String = (0..60)
        .map(|i| {
            format!("<li class=\"nav-item\"><a href=\"/section/{i}/index.html\" class=\"nav-link\" data-track=\"nav-{i}\">Section {i}</a></li>\n")
        })
        .collect();
    let headline = format!("Story number {n}");
    lines.push(headline.clone());
    let body: String = paragraphs
        .iter()
        .map(|p| format!("<p>{}</p>\n", escape(p)))
        .collect();
    // Line breaks in the source stay line breaks, as in every text neardup reads.
    lines.extend(
        paragraphs
            .iter()
            .flat_map(|p| p.lines())
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|l| !l.is_empty()),
    );
    lines.push("Copyright The Daily Bench".into());
    let style =
        ".nav-link { color: #333; padding: 0 4px; } p > a:hover { text-decoration: underline; }\n"
            .repeat(20);
    let script =
        "if (window.items && items.length < 10 && x > 2) { track('view', {id: 1}); }\n".repeat(30);
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{headline} | The Daily Bench</title>\n\
         <style>{style}</style><script>{script}</script></head>\n<body><header><nav><ul>\n{nav}</ul></nav></header>\n\
         <main><article><h1>{headline}</h1>\n{body}</article></main>\n<footer><p>Copyright The Daily Bench</p></footer></body></html>\n"
    );
    (html, lines)
}

/// The non-empty paragraphs of `text`, trimmed.
fn paragraphs(text: &str) -> Vec<&str> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

fn bench_html(c: &mut Criterion) {
    let text = sample_text();
    let paragraphs = paragraphs(&text);
    let pages: Vec<(String, Vec<String>)> = paragraphs
        .chunks(6)
        .enumerate()
        .map(|(n, ps)| news_page(n, ps))
        .collect();
    for (html, lines) in &pages {
        // A fast wrong answer cannot pass: every page gives exactly its visible lines.
        let (title, body) = html_text(html);
        assert!(title.unwrap().ends_with("| The Daily Bench"));
        assert_eq!(body, lines.join("\n"));
    }
    let bytes: usize = pages.iter().map(|(h, _)| h.len()).sum();
    let mut g = c.benchmark_group("html_text");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("news pages", |b| {
        b.iter(|| {
            pages
                .iter()
                .map(|(h, _)| html_text(h).1.len())
                .sum::<usize>()
        })
    });
    g.finish();
}

/// Messages as mail folders hold them: a header block of a dozen fields, then a body sent
/// quoted-printable (every other message) or as 8-bit text.
fn bench_mail(c: &mut Criterion) {
    let text = sample_text();
    let paragraphs = paragraphs(&text);
    let messages: Vec<(Vec<u8>, String)> = paragraphs
        .chunks(3)
        .enumerate()
        .map(|(n, ps)| {
            let body = ps.join("\n\n");
            let (encoding, sent) = match n % 2 {
                // Quoted-printable with soft breaks: a line may end in `=` and go on below.
                0 => ("quoted-printable", soft_broken(&body)),
                _ => ("8bit", body.clone()),
            };
            let raw = format!(
                "Return-Path: <desk{n}@news.example>\nReceived: from mx.news.example by \
                 mail.example.org; Mon, 3 Jun 2002 10:00:00 -0400\nMessage-ID: \
                 <{n}.{n}@news.example>\nDate: Mon, 3 Jun 2002 10:00:00 -0400\n\
                 From: desk{n}@news.example\nTo: list@example.org\nSubject: Story {n}\n\
                 MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\
                 Content-Transfer-Encoding: {encoding}\n\n{sent}\n"
            );
            (raw.into_bytes(), format!("Story {n}\n{body}\n"))
        })
        .collect();
    for (raw, want) in &messages {
        // A fast wrong answer cannot pass: every message gives its subject and decoded body
        // (quoted-printable decoding ends hard line breaks with CRLF).
        let got = mail_text(raw).unwrap().text;
        assert_eq!(got.replace("\r\n", "\n"), want.replace("\r\n", "\n"));
    }
    let bytes: usize = messages.iter().map(|(m, _)| m.len()).sum();
    let mut g = c.benchmark_group("mail_text");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("quoted-printable and 8-bit messages", |b| {
        b.iter(|| {
            messages
                .iter()
                .map(|(m, _)| mail_text(m).map_or(0, |m| m.text.len()))
                .sum::<usize>()
        })
    });
    g.finish();
}

/// `text` encoded quoted-printable: `=` and non-ASCII bytes as `=XX`, and lines longer than 60
/// characters broken by soft breaks (a line ending in `=` goes on below).
fn soft_broken(text: &str) -> String {
    let mut out = String::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut width = 0;
        for &b in line.as_bytes() {
            let token = match b {
                b'=' | 128.. => format!("={b:02X}"),
                _ => char::from(b).to_string(),
            };
            if width + token.len() > 60 {
                out.push_str("=\n");
                width = 0;
            }
            width += token.len();
            out.push_str(&token);
        }
    }
    out
}

/// What a second read of a page costs once it is kept: its extracted text written to the
/// run's temporary store, then read back, against [`bench_html`]'s extraction of the same pages.
fn bench_extracted(c: &mut Criterion) {
    use neardup::extracted::{Extracted, Store};
    let text = sample_text();
    let paragraphs = paragraphs(&text);
    let docs: Vec<Extracted> = paragraphs
        .chunks(6)
        .enumerate()
        .map(|(n, ps)| {
            let (title, body) = html_text(&news_page(n, ps).0);
            Extracted {
                title,
                text: body,
                date: Some(format!("{n:020}")),
                warning: None,
            }
        })
        .collect();
    let store = Store::new().unwrap();
    for (i, d) in docs.iter().enumerate() {
        store.put(i as u32, d.record());
    }
    for (i, d) in docs.iter().enumerate() {
        assert_eq!(store.get(i as u32).as_ref(), Some(d), "page {i}");
    }
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    let mut g = c.benchmark_group("extracted");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("read back news-page texts", |b| {
        b.iter(|| {
            (0..docs.len() as u32)
                .map(|i| store.get(i).map_or(0, |d| d.text.len()))
                .sum::<usize>()
        })
    });
    g.bench_function("keep news-page texts", |b| {
        b.iter_batched(
            || Store::new().unwrap(),
            |fresh| {
                for (i, d) in docs.iter().enumerate() {
                    fresh.put(i as u32, d.record());
                }
                fresh.bytes()
            },
            criterion::BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench, bench_html, bench_mail, bench_extracted);
criterion_main!(benches);
