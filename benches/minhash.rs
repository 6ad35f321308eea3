//! Signature throughput (shingles per second) at k = 128, for news-sized and short documents.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use neardup::minhash::{estimate, MinHasher, Scratch};

fn set(n: u64, offset: u64) -> Vec<u64> {
    (offset..offset + n)
        .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (i << 7))
        .collect()
}

fn bench(c: &mut Criterion) {
    let mh = MinHasher::new(128, 1);
    let mut g = c.benchmark_group("signature k=128");
    for n in [10u64, 50, 200, 300, 500, 1000, 5000] {
        let a = set(n, 0);
        let b = set(n, n / 2);
        let (mut s, mut sa, mut sb) = (Scratch::default(), vec![0u32; 128], vec![0u32; 128]);
        mh.signature_into(&a, &mut s, &mut sa);
        mh.signature_into(&b, &mut s, &mut sb);
        // Half of each set is shared: Jaccard 1/3.
        let e = estimate(&sa, &sb);
        assert!((e - 1.0 / 3.0).abs() < 0.2, "estimate {e}");
        g.throughput(Throughput::Elements(n));
        g.bench_with_input(BenchmarkId::from_parameter(n), &a, |bench, a| {
            bench.iter(|| {
                mh.signature_into(a, &mut s, &mut sa);
                sa[0]
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
