//! Writes a synthetic scraped-news corpus with planted duplicates and its ground truth.
//!
//! `cargo run --release --example gen-corpus -- --docs 100000 --out /tmp/corpus`
//! `  [--source DIR] [--seed N] [--copy-share F] [--sites N] [--truncated] [--words LO-HI]`
//! `  [--jsonl | --html | --mail]`
//!
//! `--words` sets the length of a full article's body (default 250-900 words); `--words
//! 150-500` gives news-sized files of about 3 KB.
//!
//! `--html` writes each article as a news site's web page, `--mail` as an e-mail message; the
//! truth file is the same.
//!
//! Then: `neardup scan /tmp/corpus/docs --format json > r.json` and
//! `neardup eval --truth /tmp/corpus/truth.jsonl r.json`.

use std::path::PathBuf;
use std::process::ExitCode;

use neardup::synth::{generate, SynthConfig, SynthFormat};

fn main() -> ExitCode {
    let mut config = SynthConfig::default();
    let mut out: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        let parsed: Result<(), String> = (|| {
            match flag.as_str() {
                "--docs" => config.docs = value()?.parse().map_err(|e| format!("--docs: {e}"))?,
                "--seed" => config.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
                "--copy-share" => {
                    config.copy_share =
                        value()?.parse().map_err(|e| format!("--copy-share: {e}"))?
                }
                "--sites" => {
                    config.sites = value()?.parse().map_err(|e| format!("--sites: {e}"))?
                }
                "--words" => config.words = words(&value()?)?,
                "--source" => config.source = Some(PathBuf::from(value()?)),
                "--out" => out = Some(PathBuf::from(value()?)),
                "--truncated" => config.truncated = true,
                "--jsonl" => config.jsonl = true,
                "--html" => config.format = SynthFormat::Html,
                "--mail" => config.format = SynthFormat::Mail,
                other => return Err(format!("unknown option {other}")),
            }
            Ok(())
        })();
        if let Err(e) = parsed {
            eprintln!("gen-corpus: {e}");
            return ExitCode::from(2);
        }
    }
    let Some(out) = out else {
        eprintln!("gen-corpus: --out DIR is required");
        return ExitCode::from(2);
    };
    match generate(&config, &out) {
        Ok(n) => {
            eprintln!("gen-corpus: {n} documents in {}", out.display());
            ExitCode::SUCCESS
        }
        // Options that do not go together or out of range (checked by `generate`).
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
            eprintln!("gen-corpus: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("gen-corpus: {}: {e}", out.display());
            ExitCode::from(2)
        }
    }
}

/// `LO-HI`, two word counts; `generate` checks that they make a range.
fn words(v: &str) -> Result<(usize, usize), String> {
    let bad = || format!("--words: expected LO-HI such as 150-500, got {v:?}");
    let (lo, hi) = v.split_once('-').ok_or_else(bad)?;
    let lo: usize = lo.trim().parse().map_err(|_| bad())?;
    let hi: usize = hi.trim().parse().map_err(|_| bad())?;
    Ok((lo, hi))
}
