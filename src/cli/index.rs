//! `neardup index`: argument handling and output of the persistent index commands; the work is
//! in `neardup::index`.

use std::io::{self, IsTerminal, Write};
use std::time::Instant;

use anyhow::Context;
use neardup::corpus::Corpus;
use neardup::index::{self, AddOptions, Index};

use super::args::{
    EvalFormat, IndexAddArgs, IndexArgs, IndexCommand, IndexEvictArgs, IndexQueryArgs,
    IndexRemoveArgs, IndexStatsArgs, QueryFormat,
};
use super::{name_problems, peak_memory_mib, progress, EXIT_DUPLICATES, EXIT_OK, EXIT_SKIPPED};

/// Runs one `neardup index` subcommand.
pub fn run(args: IndexArgs) -> anyhow::Result<i32> {
    match args.command {
        IndexCommand::Add(a) => add(a),
        IndexCommand::Query(a) => query(a),
        IndexCommand::Remove(a) => remove(a),
        IndexCommand::Evict(a) => evict(a),
        IndexCommand::Stats(a) => stats(a),
    }
}

fn add(args: IndexAddArgs) -> anyhow::Result<i32> {
    let started = Instant::now();
    let input = args.input.to_options();
    // The inputs first: a missing path should not leave an empty index behind.
    let corpus = Corpus::open(&args.paths, input.clone())?;
    let mut index = Index::open(&args.index.index, &args.params.to_requested(), true)?;
    let opts = AddOptions {
        store_shingles: args.store_shingles,
        added_at: args.added_at.unwrap_or_else(index::now),
        commit_docs: args.commit_every,
    };
    let bars = progress::Bars::new(!args.quiet && io::stderr().is_terminal());
    let (s, skipped, warnings) = index.add(&corpus, &input, &opts, &bars)?;
    drop(bars);
    index.checkpoint()?;
    let mut err = io::stderr().lock();
    name_problems(&mut err, &skipped, &warnings);
    if !args.quiet {
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        let _ = writeln!(
            err,
            "neardup: {} documents read, {} skipped; {} added, {} replaced, {} unchanged in {:.2} s ({:.0} documents/s){}",
            s.documents,
            s.skipped,
            s.added,
            s.replaced,
            s.unchanged,
            secs,
            s.documents as f64 / secs,
            peak_memory_mib().map_or(String::new(), |m| format!("; peak memory {m:.0} MiB"))
        );
    }
    Ok(if skipped.is_empty() {
        EXIT_OK
    } else {
        EXIT_SKIPPED
    })
}

fn query(args: IndexQueryArgs) -> anyhow::Result<i32> {
    let started = Instant::now();
    let input = args.input.to_options();
    let corpus = Corpus::open(&args.paths, input.clone())?;
    let (mut index, threshold) =
        Index::open_for_query(&args.index.index, &args.params.to_requested(), args.add)?;
    let opts = AddOptions {
        store_shingles: args.store_shingles,
        added_at: args.added_at.unwrap_or_else(index::now),
        commit_docs: args.commit_every,
    };
    let bars = progress::Bars::new(!args.quiet && io::stderr().is_terminal());
    let out = index.query(&corpus, &input, threshold, args.add.then_some(&opts), &bars)?;
    drop(bars);
    if args.add {
        index.checkpoint()?;
    }
    let mut w = io::BufWriter::new(io::stdout().lock());
    match args.format {
        QueryFormat::Json => {
            serde_json::to_writer_pretty(&mut w, &out)?;
            writeln!(w)?;
        }
        QueryFormat::Jsonl => {
            for r in &out.results {
                serde_json::to_writer(&mut w, r)?;
                writeln!(w)?;
            }
        }
        QueryFormat::Text => {
            for r in &out.results {
                if r.matches.is_empty() {
                    if r.added == Some(true) {
                        writeln!(w, "{}  new, added", r.id)?;
                    }
                    continue;
                }
                let list: Vec<String> = r
                    .matches
                    .iter()
                    .map(|m| {
                        let basis = serde_json::to_value(m.basis)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default();
                        format!("{} ({:.4}, {basis})", m.id, m.jaccard)
                    })
                    .collect();
                writeln!(w, "{}  duplicates  {}", r.id, list.join(", "))?;
            }
        }
    }
    w.flush().context("writing the results")?;
    let mut err = io::stderr().lock();
    name_problems(&mut err, &out.skipped, &out.warnings);
    let s = &out.summary;
    if !args.quiet {
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        let added = if args.add {
            format!(", {} added", s.added)
        } else {
            String::new()
        };
        let _ = writeln!(
            err,
            "neardup: {} documents queried, {} skipped; {} duplicate indexed documents ({} matches, {} by estimate only){added} in {:.2} s ({:.0} documents/s){}",
            s.documents,
            s.skipped,
            s.duplicates,
            s.matches,
            s.estimated,
            secs,
            s.documents as f64 / secs,
            peak_memory_mib().map_or(String::new(), |m| format!("; peak memory {m:.0} MiB"))
        );
        let times: Vec<String> = out
            .stages
            .iter()
            .map(|(name, d)| format!("{name} {:.2} s", d.as_secs_f64()))
            .collect();
        let _ = writeln!(err, "neardup: time {}", times.join(", "));
    }
    Ok(if !out.skipped.is_empty() {
        EXIT_SKIPPED
    } else if args.fail_on_duplicates && s.duplicates > 0 {
        EXIT_DUPLICATES
    } else {
        EXIT_OK
    })
}

fn remove(args: IndexRemoveArgs) -> anyhow::Result<i32> {
    let mut index = Index::open(&args.index.index, &Default::default(), false)?;
    let missing = index.remove(&args.ids)?;
    index.checkpoint()?;
    let mut err = io::stderr().lock();
    for id in &missing {
        let _ = writeln!(err, "neardup: not in the index: {id:?}");
    }
    let _ = writeln!(
        err,
        "neardup: {} documents removed",
        args.ids.len() - missing.len()
    );
    Ok(if missing.is_empty() {
        EXIT_OK
    } else {
        EXIT_SKIPPED
    })
}

fn evict(args: IndexEvictArgs) -> anyhow::Result<i32> {
    let mut index = Index::open(&args.index.index, &Default::default(), false)?;
    let secs = i64::try_from(args.older_than.as_secs()).unwrap_or(i64::MAX);
    let n = index.evict(index::now().saturating_sub(secs))?;
    index.checkpoint()?;
    let _ = writeln!(io::stderr(), "neardup: {n} documents evicted");
    Ok(EXIT_OK)
}

fn stats(args: IndexStatsArgs) -> anyhow::Result<i32> {
    let index = Index::open(&args.index.index, &Default::default(), false)?;
    let s = index.stats()?;
    let mut w = io::BufWriter::new(io::stdout().lock());
    match args.format {
        EvalFormat::Json => {
            serde_json::to_writer_pretty(&mut w, &s)?;
            writeln!(w)?;
        }
        EvalFormat::Text => {
            let p = &s.params;
            writeln!(w, "index            {}", s.path)?;
            writeln!(w, "documents        {}", s.documents)?;
            writeln!(w, "stored shingles  {}", s.stored_shingles)?;
            writeln!(
                w,
                "size on disk     {} bytes ({:.0} bytes per document)",
                s.bytes_on_disk, s.bytes_per_document
            )?;
            writeln!(w, "boilerplate      {} lines", s.boilerplate_lines)?;
            if let Some((a, b)) = s.added_range {
                writeln!(w, "added            {a} to {b} (seconds since 1970)")?;
            }
            writeln!(
                w,
                "parameters       shingle {}, num_perm {}, seed {}, threshold {}, bands {} x rows {}, boilerplate {}",
                p.shingle,
                p.num_perm,
                p.seed,
                p.threshold,
                p.bands,
                p.rows,
                if p.boilerplate { "left out" } else { "kept" }
            )?;
        }
    }
    w.flush()?;
    Ok(EXIT_OK)
}
