//! End-to-end scan of a generated folder (documents per second), through the library.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use neardup::config::ScanConfig;
use neardup::corpus::Corpus;
use neardup::progress::NoProgress;
use neardup::synth::{generate, SynthConfig};

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let docs = 3000;
    generate(
        &SynthConfig {
            docs,
            seed: 2,
            ..SynthConfig::default()
        },
        dir.path(),
    )
    .unwrap();
    let config = ScanConfig::default();
    let corpus = Corpus::open(&[dir.path().join("docs")], config.input.clone()).unwrap();
    let first = neardup::scan::scan(&corpus, &config, &NoProgress).unwrap();
    assert_eq!(first.report.summary.documents, docs);
    assert!(
        first.report.summary.duplicates > docs / 5,
        "{:?}",
        first.report.summary
    );
    let mut g = c.benchmark_group("scan");
    g.sample_size(10);
    g.throughput(Throughput::Elements(docs as u64));
    g.bench_function("3000 generated articles", |b| {
        b.iter(|| {
            let out = neardup::scan::scan(&corpus, &config, &NoProgress).unwrap();
            assert_eq!(
                out.report.summary.duplicates,
                first.report.summary.duplicates
            );
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
