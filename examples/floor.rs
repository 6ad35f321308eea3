//! The floor for `scan`: a program that only reads every file of a folder and hashes every
//! 4-word shingle (each word once with xxh3, n-grams derived from word hashes), in parallel.
//! Nothing is normalized, compared or kept. `scan` cannot be faster than this.
//!
//! `cargo run --release --example floor -- FOLDER`

use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

fn main() {
    let Some(root) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: floor FOLDER");
        std::process::exit(2);
    };
    let started = Instant::now();
    let files: Vec<PathBuf> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    let (bytes, shingles, checksum) = files
        .par_iter()
        .map_init(Vec::new, |words: &mut Vec<u64>, path| {
            let data = std::fs::read(path).unwrap_or_default();
            words.clear();
            words.extend(
                data.split(|b| b.is_ascii_whitespace())
                    .filter(|w| !w.is_empty())
                    .map(xxh3_64),
            );
            let mut sum = 0u64;
            let mut count = 0u64;
            for w in words.windows(4) {
                let h = w.iter().fold(0x9e37_79b9_7f4a_7c15u64, |h, &x| {
                    (h ^ x).wrapping_mul(0xd6e8_feb8_6659_fd93).rotate_left(29)
                });
                sum = sum.wrapping_add(h);
                count += 1;
            }
            (data.len() as u64, count, sum)
        })
        .reduce(
            || (0, 0, 0),
            |a, b| (a.0 + b.0, a.1 + b.1, a.2.wrapping_add(b.2)),
        );
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{} files, {:.1} MB, {} shingles in {:.2} s ({:.1} MB/s; checksum {:x})",
        files.len(),
        bytes as f64 / 1e6,
        shingles,
        secs,
        bytes as f64 / 1e6 / secs,
        checksum
    );
}
