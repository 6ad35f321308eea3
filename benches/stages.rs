//! The stages around the signatures: reading a JSONL dump, the boilerplate census, LSH
//! candidates, exact verification, and the persistent index's add and query. Each bench first checks that the
//! stage finds what was planted.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use neardup::boilerplate::{Boilerplate, BoilerplateConfig};
use neardup::corpus::{Corpus, InputOptions};
use neardup::index::{AddOptions, Index, Requested};
use neardup::lsh::{self, LshParams};
use neardup::minhash::{MinHasher, Scratch};
use neardup::progress::NoProgress;
use neardup::synth::{generate, Rng, SynthConfig};
use neardup::verify;

/// `n` random sets of 400 shingles; every tenth document is followed by a copy with 10 % of its
/// shingles replaced (Jaccard 0.82). Returns the sets and the planted pairs.
fn planted(n: usize) -> (Vec<Vec<u64>>, Vec<(u32, u32)>) {
    let mut rng = Rng::new(5);
    let mut sets: Vec<Vec<u64>> = Vec::with_capacity(n);
    let mut pairs = Vec::new();
    while sets.len() < n {
        let mut s: Vec<u64> = (0..400).map(|_| rng.next_u64()).collect();
        s.sort_unstable();
        sets.push(s.clone());
        if sets.len() % 10 == 1 && sets.len() < n {
            for x in s.iter_mut().step_by(10) {
                *x = rng.next_u64();
            }
            s.sort_unstable();
            pairs.push((sets.len() as u32 - 1, sets.len() as u32));
            sets.push(s);
        }
    }
    (sets, pairs)
}

fn bench_lsh(c: &mut Criterion) {
    let n = 20_000;
    let (sets, planted) = planted(n);
    let k = 128;
    let mh = MinHasher::new(k, 1);
    // Shortened to 16 bits, as a scan keeps them.
    let mut sigs = vec![0u16; n * k];
    let (mut s, mut full) = (Scratch::default(), vec![0u32; k]);
    for (set, sig) in sets.iter().zip(sigs.chunks_exact_mut(k)) {
        mh.signature_into(set, &mut s, &mut full);
        neardup::minhash::shorten(&full, sig);
    }
    let docs: Vec<u32> = (0..n as u32).collect();
    let params = LshParams::for_threshold(0.45, k);
    let found = lsh::candidates(&sigs, k, &docs, params, |_, _| true);
    for p in &planted {
        assert!(found.binary_search(p).is_ok(), "planted pair {p:?} missed");
    }
    // Unrelated random sets share no band, up to chance collisions.
    assert!(
        found.len() < planted.len() + 10,
        "{} candidates",
        found.len()
    );
    let mut g = c.benchmark_group("lsh");
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("candidates, 20000 signatures, 42 x 3", |b| {
        b.iter(|| lsh::candidates(&sigs, k, &docs, params, |_, _| true).len())
    });
    g.finish();
}

fn bench_verify(c: &mut Criterion) {
    let (sets, planted) = planted(20_000);
    let scores = verify::overlaps(
        &planted,
        sets.len(),
        4096,
        |d| Some(sets[d as usize].clone()),
        |a, b| verify::overlap(a, b),
    );
    for o in &scores {
        // 40 of 400 shingles replaced: 360 shared of 440.
        let o = o.expect("every set loads");
        assert_eq!(o.shared, 360);
        assert!((o.jaccard - 360.0 / 440.0).abs() < 1e-12);
    }
    let mut g = c.benchmark_group("verify");
    // One pair of news-sized sets: 1,000 shingles each, 900 shared.
    let mut rng = Rng::new(9);
    let shared: Vec<u64> = (0..900).map(|_| rng.next_u64()).collect();
    let mut one = |n: usize| {
        let mut s = shared.clone();
        s.extend((0..n).map(|_| rng.next_u64()));
        s.sort_unstable();
        s
    };
    let (x, y) = (one(100), one(100));
    assert_eq!(neardup::shingle::intersection_len(&x, &y), 900);
    g.throughput(Throughput::Elements(1));
    g.bench_function("intersection of two 1000-shingle sets", |b| {
        b.iter(|| neardup::shingle::intersection_len(&x, &y))
    });
    g.throughput(Throughput::Elements(planted.len() as u64));
    g.bench_function("exact overlaps of planted pairs (400 shingles)", |b| {
        b.iter(|| {
            verify::overlaps(
                &planted,
                sets.len(),
                4096,
                |d| Some(sets[d as usize].clone()),
                |a, b| verify::overlap(a, b),
            )
            .len()
        })
    });
    g.finish();
}

/// Every record of `corpus`, read in batches as `scan` reads them, as (where, id, text bytes).
fn read_all(corpus: &Corpus) -> Vec<(neardup::corpus::Locator, String, usize)> {
    use rayon::prelude::*;
    let mut out = Vec::new();
    corpus.for_each_batch(2048, |batch| {
        let docs: Vec<_> = batch
            .into_par_iter()
            .filter_map(|p| corpus.read(p).ok())
            .map(|(loc, doc, _)| (loc, doc.id, doc.text.len()))
            .collect();
        out.extend(docs);
    });
    out
}

/// A temporary folder holding `config`'s generated corpus.
fn generated(config: &SynthConfig) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    generate(config, dir.path()).unwrap();
    dir
}

fn bench_corpus(c: &mut Criterion) {
    let docs = 5000;
    let dir = generated(&SynthConfig {
        docs,
        seed: 6,
        jsonl: true,
        ..SynthConfig::default()
    });
    let path = dir.path().join("corpus.jsonl");
    let bytes = std::fs::metadata(&path).unwrap().len();
    let opts = InputOptions {
        id_field: Some("id".into()),
        ..InputOptions::default()
    };
    let corpus = Corpus::open(&[path], opts).unwrap();
    let read = read_all(&corpus);
    assert_eq!(read.len(), docs, "every record read");
    let truth = std::fs::read_to_string(dir.path().join("truth.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(truth.lines().next().unwrap()).unwrap();
    assert_eq!(
        read[0].1,
        first["id"].as_str().unwrap(),
        "ids from the id field, in order"
    );
    // Records read again (as verification does) are the records first read.
    let again: Vec<_> = read.iter().step_by(10).map(|r| r.0).collect();
    for &loc in &again {
        let (_, doc, _) = corpus.load(loc).unwrap();
        let first = read.iter().find(|r| r.0 == loc).unwrap();
        assert_eq!((&doc.id, doc.text.len()), (&first.1, first.2));
    }
    let mut g = c.benchmark_group("corpus");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("read a JSONL dump of 5000 generated articles", |b| {
        b.iter(|| read_all(&corpus).len())
    });
    g.throughput(Throughput::Elements(again.len() as u64));
    g.bench_function("load 500 of its records again", |b| {
        b.iter(|| {
            again
                .iter()
                .map(|&loc| corpus.load(loc).map_or(0, |d| d.1.text.len()))
                .sum::<usize>()
        })
    });
    g.finish();
}

fn bench_boilerplate(c: &mut Criterion) {
    let docs = 5000;
    let config = SynthConfig {
        docs,
        seed: 4,
        ..SynthConfig::default()
    };
    let dir = generated(&config);
    let corpus = Corpus::open(&[dir.path().join("docs")], InputOptions::default()).unwrap();
    let learned = Boilerplate::learn(&corpus, &BoilerplateConfig::default());
    // Every document is sampled at this size; exact copies count once.
    assert!(
        (docs / 2..docs).contains(&learned.sampled()),
        "{}",
        learned.sampled()
    );
    // Every generated site ends its pages with this line, and each has a header of its own.
    assert!(learned.contains("help us improve"));
    assert!(
        learned.len() >= config.sites,
        "{} boilerplate lines",
        learned.len()
    );
    let mut g = c.benchmark_group("boilerplate");
    g.sample_size(10);
    g.throughput(Throughput::Elements(docs as u64));
    g.bench_function("census of 5000 generated articles", |b| {
        b.iter(|| Boilerplate::learn(&corpus, &BoilerplateConfig::default()).len())
    });
    g.finish();
}

fn bench_index(c: &mut Criterion) {
    let docs = 2000;
    let dir = generated(&SynthConfig {
        docs,
        seed: 4,
        ..SynthConfig::default()
    });
    let input = InputOptions::default();
    let corpus = Corpus::open(&[dir.path().join("docs")], input.clone()).unwrap();
    let opts = AddOptions {
        store_shingles: false,
        added_at: 0,
        commit_docs: neardup::index::COMMIT_DOCS,
    };
    let path = dir.path().join("bench.ndx");
    let mut index = Index::open(&path, &Requested::default(), true).unwrap();
    let (added, _, _) = index.add(&corpus, &input, &opts, &NoProgress).unwrap();
    assert_eq!(added.added, docs);
    let threshold = index.params().threshold;
    let out = index
        .query(&corpus, &input, threshold, None, &NoProgress)
        .unwrap();
    // Every document finds itself.
    assert!(out
        .results
        .iter()
        .all(|r| r.matches.iter().any(|m| m.id == r.id)));
    let mut g = c.benchmark_group("index");
    g.sample_size(10);
    g.throughput(Throughput::Elements(docs as u64));
    g.bench_function("add 2000 generated articles to a new index", |b| {
        b.iter_batched(
            || {
                let p = dir.path().join("fresh.ndx");
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
                }
                Index::open(&p, &Requested::default(), true).unwrap()
            },
            |mut fresh| {
                fresh
                    .add(&corpus, &input, &opts, &NoProgress)
                    .unwrap()
                    .0
                    .added
            },
            criterion::BatchSize::PerIteration,
        )
    });
    g.bench_function("query 2000 generated articles", |b| {
        b.iter(|| {
            index
                .query(&corpus, &input, threshold, None, &NoProgress)
                .unwrap()
                .summary
                .matches
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    bench_corpus,
    bench_boilerplate,
    bench_lsh,
    bench_verify,
    bench_index
);
criterion_main!(benches);
