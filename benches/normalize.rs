//! Normalize + shingle throughput (bytes of raw text per second), on the sample articles: the
//! canonical-text path (character shingles, `compare`) and the one-pass word path of `scan`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use neardup::boilerplate::{Boilerplate, LineScratch};
use neardup::normalize::normalize_into;
use neardup::shingle::{ShingleKind, Shingler};

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
}

criterion_group!(benches, bench);
criterion_main!(benches);
