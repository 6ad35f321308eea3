//! The command line: clap arguments → validated engine config → library call → report on
//! stdout, summary and problems on stderr, exit code.

pub(crate) mod alloc;
mod args;
mod index;
mod progress;

use std::io::{self, IsTerminal, Write};
use std::time::Instant;

use anyhow::Context;
use clap::Parser;

use args::{
    Cli, Command, CompareArgs, DedupArgs, EvalArgs, EvalFormat, HeadlinesArgs, LinesArgs, ScanArgs,
};
use neardup::corpus::{Corpus, Problem};

/// Exit codes, as DESIGN.md fixes them.
pub const EXIT_OK: i32 = 0;
/// Finished, but some inputs were skipped.
pub const EXIT_SKIPPED: i32 = 1;
/// Usage or fatal error.
pub const EXIT_ERROR: i32 = 2;
/// `--fail-on-duplicates` and duplicates were found.
pub const EXIT_DUPLICATES: i32 = 3;

/// Runs the command line and returns the exit code.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    // Under a memory budget, freed memory goes back to the system as usual.
    let budget = match &cli.command {
        Command::Scan(a) => a.engine.memory,
        Command::Dedup(a) => a.engine.memory,
        _ => None,
    };
    if budget.is_none() {
        crate::keep_freed_memory();
    }
    if let Some(n) = cli.threads {
        // Only fails when a pool already exists, which cannot happen this early.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    }
    let result = match cli.command {
        Command::Scan(args) => scan(args),
        Command::Eval(args) => eval(args),
        Command::Compare(args) => compare(args),
        Command::Lines(args) => lines(args),
        Command::Dedup(args) => dedup(args),
        Command::Headlines(args) => headlines(args),
        Command::Index(args) => index::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return EXIT_OK;
            }
            eprintln!("neardup: {err:#}");
            EXIT_ERROR
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn scan(args: ScanArgs) -> anyhow::Result<i32> {
    let started = Instant::now();
    let config = args.engine.to_config()?;
    let quiet = args.quiet;
    let corpus = Corpus::open(&args.paths, config.input.clone())?;
    let bars = progress::Bars::new(!quiet && io::stderr().is_terminal());
    let out = neardup::scan::scan(&corpus, &config, &bars)?;
    drop(bars);

    let stdout = io::stdout();
    let mut lock = io::BufWriter::new(stdout.lock());
    out.report
        .write(args.format.into(), &mut lock)
        .context("writing the report")?;
    lock.flush().context("writing the report")?;

    let mut err = io::stderr().lock();
    name_problems(&mut err, &out.skipped, &out.warnings);
    let s = &out.report.summary;
    let st = &out.stats;
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    if matches!(args.stats, EvalFormat::Json) {
        let stages: serde_json::Map<String, serde_json::Value> = st
            .stages
            .iter()
            .map(|(name, d)| (name.to_string(), d.as_secs_f64().into()))
            .collect();
        let v = serde_json::json!({
            "documents": s.documents,
            "skipped": s.skipped,
            "bytes": st.bytes,
            "seconds": secs,
            "documents_per_second": s.documents as f64 / secs,
            "mb_per_second": st.bytes as f64 / 1e6 / secs,
            "stage_seconds": stages,
            "candidates": st.candidates,
            "checked": st.checked,
            "already_linked": st.linked,
            "verified": st.verified,
            "kept_for_verification": st.kept_sets,
            "spill_runs_per_band": st.spill_runs,
            "clusters": s.exact_clusters + s.near_clusters,
            "duplicates": s.duplicates,
            "peak_memory_mib": peak_memory_mib(),
        });
        let _ = writeln!(err, "{v}");
    } else if !quiet {
        let _ = writeln!(
            err,
            "neardup: {} documents read, {} skipped, {} ignored; {:.1} MB of text in {:.2} s ({:.0} documents/s, {:.1} MB/s)",
            s.documents,
            s.skipped,
            s.ignored,
            st.bytes as f64 / 1e6,
            secs,
            s.documents as f64 / secs,
            st.bytes as f64 / 1e6 / secs,
        );
        let _ = writeln!(
            err,
            "neardup: {} exact and {} near clusters, {} duplicate documents; {} boilerplate lines left out; {} candidate pairs, {} checked, {} verified{}",
            s.exact_clusters, s.near_clusters, s.duplicates, s.boilerplate_lines, st.candidates, st.checked, st.verified,
            if st.linked > 0 { format!(", {} not checked (already in one cluster)", st.linked) } else { String::new() }
        );
        let times: Vec<String> = st
            .stages
            .iter()
            .map(|(name, d)| format!("{name} {:.2} s", d.as_secs_f64()))
            .collect();
        let peak = peak_memory_mib().map_or(String::new(), |m| format!("; peak memory {m:.0} MiB"));
        let spill = st.spill_runs.map_or(String::new(), |r| {
            format!("; over --memory: signatures and band tables on disk, {r} runs per band")
        });
        let _ = writeln!(err, "neardup: time {}{peak}{spill}", times.join(", "));
    }
    Ok(if !out.skipped.is_empty() {
        EXIT_SKIPPED
    } else if args.fail_on_duplicates && !out.report.clusters.is_empty() {
        EXIT_DUPLICATES
    } else {
        EXIT_OK
    })
}

fn dedup(args: DedupArgs) -> anyhow::Result<i32> {
    let started = Instant::now();
    let config = args.engine.to_config()?;
    let output = neardup::dedup::Output {
        out: args.out.clone().unwrap_or_default(),
        force: args.force,
        annotate: args.annotate,
    };
    if !args.dry_run {
        neardup::dedup::check_output(&args.paths, &output)?;
    }
    let corpus = Corpus::open(&args.paths, config.input.clone())?;
    let bars = progress::Bars::new(!args.quiet && io::stderr().is_terminal());
    let mut plan = neardup::dedup::plan(&corpus, &config, args.keep.into(), &bars)?;
    drop(bars);
    if args.dry_run {
        let mut out = io::BufWriter::new(io::stdout().lock());
        for d in &plan.dropped {
            write!(out, "drop {}  ({}, jaccard {:.4}", d.id, d.kind, d.jaccard)?;
            if let Some(c) = d.containment {
                write!(out, ", containment {c:.4}")?;
            }
            writeln!(out, ") duplicate of {}", d.kept)?;
        }
        writeln!(
            out,
            "{} documents: {} kept, {} dropped",
            plan.documents,
            plan.documents - plan.dropped.len(),
            plan.dropped.len()
        )?;
        out.flush().context("writing the plan")?;
    } else {
        neardup::dedup::write(&corpus, &args.paths, &plan, &output)?;
    }
    if let Some(report) = &args.report {
        if !args.dry_run {
            neardup::dedup::write_report(&plan, report)?;
        }
    }
    let mut err = io::stderr().lock();
    let warnings = plan.analysis.take_warnings();
    name_problems(&mut err, &plan.analysis.skipped, &warnings);
    if !args.quiet {
        if !plan.splits.is_empty() {
            let list: Vec<String> = plan
                .splits
                .iter()
                .take(10)
                .map(|s| format!("{} ({} kept)", s.first, s.kept))
                .collect();
            let _ = writeln!(
                err,
                "neardup: {} clusters were split because members matched only through others: {}{}",
                plan.splits.len(),
                list.join(", "),
                if plan.splits.len() > 10 { ", ..." } else { "" }
            );
        }
        let verb = if args.dry_run { "would keep" } else { "kept" };
        let _ = writeln!(
            err,
            "neardup: {} documents read, {} skipped; {verb} {}, dropped {} in {:.2} s{}",
            plan.documents,
            plan.analysis.skipped.len(),
            plan.documents - plan.dropped.len(),
            plan.dropped.len(),
            started.elapsed().as_secs_f64(),
            peak_memory_mib().map_or(String::new(), |m| format!("; peak memory {m:.0} MiB"))
        );
    }
    Ok(if plan.analysis.skipped.is_empty() {
        EXIT_OK
    } else {
        EXIT_SKIPPED
    })
}

fn lines(args: LinesArgs) -> anyhow::Result<i32> {
    let corpus = Corpus::open(&args.corpus.paths, args.corpus.input.to_options())?;
    let bars = progress::Bars::new(!args.corpus.quiet && io::stderr().is_terminal());
    let (do_within, do_across) = match (args.within, args.across) {
        (false, false) => (true, true),
        (w, a) => (w, a),
    };
    let (repeats, mut documents, mut skipped) = if do_within {
        neardup::lines::within_corpus(&corpus, &bars)
    } else {
        (Vec::new(), 0, Vec::new())
    };
    let shared = if do_across {
        let a = neardup::lines::across(&corpus, args.min_documents, args.max_ids, &bars);
        documents = a.documents;
        skipped = a.skipped;
        Some(a.lines)
    } else {
        None
    };
    drop(bars);
    let mut out = io::BufWriter::new(io::stdout().lock());
    match args.corpus.format {
        EvalFormat::Json => {
            let mut v = serde_json::json!({ "documents": documents });
            if do_within {
                v["within"] = serde_json::to_value(&repeats)?;
            }
            if let Some(s) = &shared {
                v["across"] = serde_json::to_value(s)?;
            }
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        EvalFormat::Text => {
            if do_within {
                writeln!(out, "within documents: {} repeated lines", repeats.len())?;
                for r in &repeats {
                    let lines: Vec<String> = r.lines.iter().map(|l| l.to_string()).collect();
                    write!(out, "  {} lines {}: {}", r.id, lines.join(", "), r.text)?;
                    for n in &r.near {
                        write!(out, "  (line {} near, {:.2})", n.line, n.similarity)?;
                    }
                    writeln!(out)?;
                }
            }
            if let Some(s) = &shared {
                writeln!(
                    out,
                    "across documents: {} lines in {} or more documents",
                    s.len(),
                    args.min_documents.max(2)
                )?;
                for l in s {
                    writeln!(
                        out,
                        "  {:>8}  {}  [{}]",
                        l.documents,
                        l.text,
                        l.ids.join(", ")
                    )?;
                }
            }
        }
    }
    out.flush().context("writing the report")?;
    let mut err = io::stderr().lock();
    name_problems(&mut err, &skipped, &[]);
    if !args.corpus.quiet {
        let _ = writeln!(
            err,
            "neardup: {documents} documents read, {} skipped",
            skipped.len()
        );
    }
    Ok(if skipped.is_empty() {
        EXIT_OK
    } else {
        EXIT_SKIPPED
    })
}

fn headlines(args: HeadlinesArgs) -> anyhow::Result<i32> {
    if !(args.threshold > 0.0 && args.threshold <= 1.0) {
        anyhow::bail!(
            "invalid option: --threshold {} must be above 0 and at most 1",
            args.threshold
        );
    }
    let corpus = Corpus::open(&args.corpus.paths, args.corpus.input.to_options())?;
    let bars = progress::Bars::new(!args.corpus.quiet && io::stderr().is_terminal());
    let h = neardup::headline::headlines(&corpus, args.threshold, &bars);
    drop(bars);
    let mut out = io::BufWriter::new(io::stdout().lock());
    match args.corpus.format {
        EvalFormat::Json => {
            let v = serde_json::json!({ "documents": h.documents, "groups": h.groups });
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        EvalFormat::Text => {
            for g in &h.groups {
                writeln!(out, "{} documents: {}", g.members.len(), g.headline)?;
                for m in &g.members {
                    writeln!(out, "  {}  {:.2}  {}", m.id, m.similarity, m.headline)?;
                }
                writeln!(out)?;
            }
            writeln!(out, "{} groups", h.groups.len())?;
        }
    }
    out.flush().context("writing the report")?;
    let mut err = io::stderr().lock();
    name_problems(&mut err, &h.skipped, &[]);
    if !args.corpus.quiet {
        let _ = writeln!(
            err,
            "neardup: {} documents read, {} skipped, {} without a headline",
            h.documents,
            h.skipped.len(),
            h.without_headline
        );
    }
    Ok(if h.skipped.is_empty() {
        EXIT_OK
    } else {
        EXIT_SKIPPED
    })
}

fn compare(args: CompareArgs) -> anyhow::Result<i32> {
    let config = args.to_config()?;
    let a = neardup::corpus::read_one(&args.a, &config.input)?;
    let b = neardup::corpus::read_one(&args.b, &config.input)?;
    let c = neardup::compare::compare(&a.text, &b.text, &config);
    let mut out = io::BufWriter::new(io::stdout().lock());
    match args.format {
        EvalFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &c)?;
            writeln!(out)?;
        }
        EvalFormat::Text => {
            writeln!(out, "A: {} ({} shingles)", a.id, c.a_shingles)?;
            writeln!(out, "B: {} ({} shingles)", b.id, c.b_shingles)?;
            writeln!(
                out,
                "jaccard   {:.4} (MinHash estimate {:.4})",
                c.jaccard, c.estimate
            )?;
            writeln!(
                out,
                "a_in_b    {:.4} of A's body shingles are in B",
                c.a_in_b
            )?;
            writeln!(
                out,
                "b_in_a    {:.4} of B's body shingles are in A",
                c.b_in_a
            )?;
            writeln!(
                out,
                "shared    {} shingles, {} passages",
                c.shared_shingles,
                c.passages.len()
            )?;
            for p in &c.passages {
                writeln!(
                    out,
                    "  A lines {}-{} = B lines {}-{} ({} words): {}",
                    p.a_lines[0], p.a_lines[1], p.b_lines[0], p.b_lines[1], p.words, p.text
                )?;
            }
        }
    }
    out.flush()?;
    Ok(EXIT_OK)
}

fn eval(args: EvalArgs) -> anyhow::Result<i32> {
    let truth = neardup::eval::read_truth(&args.truth)?;
    let clusters = neardup::eval::read_clusters(&args.result)?;
    let s = neardup::eval::score(&truth, &clusters, &args.ignore_kind)?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    match args.format {
        EvalFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &s)?;
            writeln!(out)?;
        }
        EvalFormat::Text => {
            writeln!(out, "documents        {}", s.documents)?;
            writeln!(
                out,
                "pairs            {} true, {} predicted, {} correct",
                s.true_pairs, s.predicted_pairs, s.correct_pairs
            )?;
            writeln!(out, "precision        {:.4}", s.precision)?;
            writeln!(out, "recall           {:.4}", s.recall)?;
            writeln!(out, "f1               {:.4}", s.f1)?;
            writeln!(out, "adjusted rand    {:.4}", s.adjusted_rand_index)?;
            for (kind, k) in &s.by_kind {
                writeln!(out, "found {kind:<10} {}/{}", k.found, k.documents)?;
            }
            for (kinds, n) in &s.wrong_pairs_by_kinds {
                writeln!(out, "wrong pairs {kinds}: {n}")?;
            }
        }
    }
    out.flush()?;
    Ok(EXIT_OK)
}

/// Names every skipped input and every warning on stderr, one a line. Errors writing to
/// stderr are ignored: there is nowhere left to report them.
fn name_problems(err: &mut impl Write, skipped: &[Problem], warnings: &[Problem]) {
    for p in skipped {
        let _ = writeln!(err, "neardup: skipped {p}");
    }
    for p in warnings {
        let _ = writeln!(err, "neardup: warning: {p}");
    }
}

/// Peak resident memory of this process, where the OS tells it (Linux).
fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
