//! Deduplication: which copy of every story to keep, which documents to drop, and a new corpus
//! without the dropped ones.
//!
//! The plan starts from the scan's clusters. In each cluster the keep policy picks a document;
//! the members that match it directly (identical, Jaccard at least the threshold, or, with
//! containment, mostly contained in it) are dropped as its duplicates. Members that match it
//! only through a chain (A~B~C where C is not like A) are not dropped for it: the policy picks
//! again among them, and so on, so a cluster may be split into several kept documents. Nothing
//! is dropped that is not a direct duplicate of a kept document. Without containment, a member
//! whose size or signature rules it out (sizes further apart than the threshold allows, or an
//! estimate below the floor verification uses) is not scored against the kept document: one
//! that matches is missed that way less than once in 10,000 times.
//!
//! Output mirrors input: a folder gives a folder with every file copied byte for byte except
//! the dropped documents (JSONL files inside it lose their dropped records); a JSONL file gives
//! a JSONL file with the kept records exactly as they were. Several inputs give a folder with
//! one entry per input, named after it. Everything is written to a temporary path beside the
//! output and renamed into place at the end, so an interrupted run leaves no partial output.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::config::ScanConfig;
use crate::corpus::{Corpus, Format};
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::scan::Analysis;

/// Which document of a cluster is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Keep {
    /// The longest text: the most complete version.
    #[default]
    Longest,
    /// The shortest text.
    Shortest,
    /// The smallest id.
    First,
    /// The latest file modification time, or JSONL date field.
    Newest,
}

/// A document to drop, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dropped {
    /// The dropped document.
    pub id: String,
    /// The kept document it duplicates.
    pub kept: String,
    /// Their Jaccard similarity.
    pub jaccard: f64,
    /// Share of the dropped document found in the kept one (containment mode).
    pub containment: Option<f64>,
    /// `exact`, `near` or `contained`.
    pub kind: &'static str,
}

/// A cluster that the chaining guard split into several kept documents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Split {
    /// The cluster's smallest member id.
    pub first: String,
    /// How many documents it keeps.
    pub kept: usize,
}

/// What a deduplication keeps and drops.
#[derive(Debug)]
pub struct Plan {
    /// Documents read.
    pub documents: usize,
    /// Documents to drop, by id.
    pub dropped: Vec<Dropped>,
    /// Clusters split by the chaining guard, by first id.
    pub splits: Vec<Split>,
    /// The analysis behind the plan (skipped inputs, warnings, timings).
    pub analysis: Analysis,
    /// Locator `(file, line)` of every dropped document, and of every clustered document its
    /// cluster number and kept document (for `--annotate`).
    marks: HashMap<(u32, u32), Mark>,
}

#[derive(Clone, Debug)]
struct Mark {
    cluster: usize,
    duplicate_of: Option<String>,
}

impl Keep {
    /// True when document `a` is preferred over `b` (ties go to the smaller index, which is
    /// the smaller id).
    fn prefers(self, analysis: &Analysis, a: u32, b: u32) -> bool {
        let (x, y) = (&analysis.metas[a as usize], &analysis.metas[b as usize]);
        let order = match self {
            Keep::Longest => x.bytes.cmp(&y.bytes),
            Keep::Shortest => y.bytes.cmp(&x.bytes),
            Keep::First => std::cmp::Ordering::Equal,
            Keep::Newest => x.date.cmp(&y.date),
        };
        order.then(b.cmp(&a)).is_gt()
    }
}

/// Plans the deduplication of `corpus`.
///
/// # Errors
/// [`Error::Config`] when `config` does not validate.
pub fn plan(
    corpus: &Corpus,
    config: &ScanConfig,
    keep: Keep,
    progress: &dyn Progress,
) -> Result<Plan> {
    let mut analysis = Analysis::run(corpus, config, progress)?;
    // A plan names what each dropped document duplicates, never what linked it.
    analysis.release_pairs();
    let mut dropped: Vec<(u32, u32, crate::verify::Overlap, f64)> = Vec::new();
    let mut kept_in: Vec<usize> = vec![0; analysis.groups.len()];
    let mut cluster_of: HashMap<u32, usize> = HashMap::new();
    let mut active: Vec<(usize, Vec<u32>)> = analysis
        .groups
        .iter()
        .enumerate()
        .map(|(c, g)| (c, g.clone()))
        .collect();
    let mut keeper_of: HashMap<u32, u32> = HashMap::new();
    while !active.is_empty() {
        let keepers: Vec<u32> = active
            .iter()
            .map(|(_, g)| {
                g.iter()
                    .copied()
                    .reduce(|best, d| {
                        if keep.prefers(&analysis, d, best) {
                            d
                        } else {
                            best
                        }
                    })
                    .expect("groups are never empty")
            })
            .collect();
        let wanted: Vec<(u32, u32)> = active
            .iter()
            .zip(&keepers)
            .flat_map(|((_, g), &k)| g.iter().filter(move |&&m| m != k).map(move |&m| (m, k)))
            .collect();
        // In the order of `wanted`, which the loop below follows.
        let mut scores = analysis.matches_to(corpus, config, &wanted).into_iter();
        let mut next = Vec::new();
        for ((c, g), &k) in active.into_iter().zip(&keepers) {
            kept_in[c] += 1;
            cluster_of.insert(k, c);
            let mut rest = Vec::new();
            for m in g.into_iter().filter(|&m| m != k) {
                let matched = scores
                    .next()
                    .expect("a score for every member but the keeper");
                if let Some((o, inside)) = matched {
                    dropped.push((m, k, o, inside));
                    keeper_of.insert(m, k);
                    cluster_of.insert(m, c);
                } else {
                    rest.push(m);
                }
            }
            match rest.len() {
                0 => {}
                1 => {
                    kept_in[c] += 1;
                    cluster_of.insert(rest[0], c);
                }
                _ => next.push((c, rest)),
            }
        }
        active = next;
    }
    // Every member is scored: what the first pass kept is not needed any more.
    analysis.release_sets();
    let id = |d: u32| analysis.metas[d as usize].id.clone();
    let mut out: Vec<Dropped> = dropped
        .iter()
        .map(|&(m, k, o, inside)| {
            let exact = analysis.content_rep[m as usize] == analysis.content_rep[k as usize];
            Dropped {
                id: id(m),
                kept: id(k),
                jaccard: crate::report::round4(o.jaccard),
                containment: config.containment.map(|_| crate::report::round4(inside)),
                kind: if exact {
                    "exact"
                } else if o.jaccard >= config.threshold {
                    "near"
                } else {
                    "contained"
                },
            }
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    let splits = analysis
        .groups
        .iter()
        .zip(&kept_in)
        .filter(|(_, &n)| n > 1)
        .map(|(g, &n)| Split {
            first: id(g[0]),
            kept: n,
        })
        .collect();
    let marks = cluster_of
        .iter()
        .map(|(&d, &c)| {
            let loc = analysis.metas[d as usize].loc;
            let mark = Mark {
                cluster: c + 1,
                duplicate_of: keeper_of.get(&d).map(|&k| id(k)),
            };
            ((loc.file, loc.line), mark)
        })
        .collect();
    Ok(Plan {
        documents: analysis.metas.len(),
        dropped: out,
        splits,
        analysis,
        marks,
    })
}

impl Plan {
    fn is_dropped(&self, file: u32, line: u32) -> bool {
        self.marks
            .get(&(file, line))
            .is_some_and(|m| m.duplicate_of.is_some())
    }
}

/// Options of the written output.
#[derive(Clone, Debug, Default)]
pub struct Output {
    /// Where to write.
    pub out: PathBuf,
    /// Replace a non-empty `out`.
    pub force: bool,
    /// Keep every JSONL record and add `neardup_cluster` and `neardup_duplicate_of` instead of
    /// dropping.
    pub annotate: bool,
}

/// Checks, before any work, that `out` can be written for `inputs`.
///
/// # Errors
/// [`Error::Config`] when `out` holds something (without `force`) or lies inside an input
/// folder, or `annotate` is asked for input that is not JSONL.
pub fn check_output(inputs: &[PathBuf], output: &Output) -> Result<()> {
    let out = &output.out;
    if let Ok(meta) = std::fs::metadata(out) {
        let empty = if meta.is_dir() {
            std::fs::read_dir(out)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false)
        } else {
            meta.len() == 0
        };
        if !empty && !output.force {
            return Err(Error::Config(format!(
                "--out {}: exists and is not empty (--force replaces it)",
                out.display()
            )));
        }
    }
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    for input in inputs {
        if input.as_os_str() != "-" && input.is_dir() && abs(out).starts_with(abs(input)) {
            return Err(Error::Config(format!(
                "--out {} lies inside the input folder {}; inputs are never modified",
                out.display(),
                input.display()
            )));
        }
    }
    if output.annotate {
        let jsonl = |p: &Path| {
            p.as_os_str() == "-"
                || matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("jsonl" | "ndjson")
                )
        };
        if let Some(bad) = inputs.iter().find(|p| !jsonl(p)) {
            return Err(Error::Config(format!(
                "--annotate works on JSONL input; {} is not a .jsonl file",
                bad.display()
            )));
        }
    }
    Ok(())
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes the deduplicated corpus: see the module docs.
///
/// # Errors
/// [`Error::Io`] naming the path that could not be read or written; nothing is left at `out`
/// then.
pub fn write(corpus: &Corpus, inputs: &[PathBuf], plan: &Plan, output: &Output) -> Result<()> {
    let out = &output.out;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let staging = tempfile::Builder::new()
        .prefix(".neardup-dedup-")
        .tempdir_in(&parent)
        .map_err(io_err(&parent))?;
    let single = inputs.len() == 1;
    let mut names = HashSet::new();
    for (i, input) in inputs.iter().enumerate() {
        let name = if input.as_os_str() == "-" {
            "stdin.jsonl".to_string()
        } else {
            input
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| format!("input-{}", i + 1))
        };
        if !single && !names.insert(name.clone()) {
            return Err(Error::Config(format!(
                "two inputs are both named {name:?}; with several inputs each becomes an entry of --out named after it"
            )));
        }
        let target = if single {
            staging.path().join("out")
        } else {
            std::fs::create_dir_all(staging.path().join("out")).map_err(io_err(out))?;
            staging.path().join("out").join(&name)
        };
        write_input(corpus, input, plan, output.annotate, &target)?;
    }
    let built = staging.path().join("out");
    if std::fs::symlink_metadata(out).is_ok() {
        // Only reached when `out` is empty or --force: move it aside, then swap.
        let old = staging.path().join("old");
        std::fs::rename(out, &old).map_err(io_err(out))?;
    }
    std::fs::rename(&built, out).map_err(io_err(out))?;
    Ok(())
}

fn write_input(
    corpus: &Corpus,
    input: &Path,
    plan: &Plan,
    annotate: bool,
    target: &Path,
) -> Result<()> {
    let files = corpus.files();
    if input.as_os_str() == "-" {
        let i = files
            .iter()
            .position(|f| f.name == "-")
            .expect("stdin is an input");
        return filter_jsonl(&files[i].path, i as u32, plan, annotate, target);
    }
    if !input.is_dir() {
        let i = files
            .iter()
            .position(|f| f.path == input)
            .expect("every input is listed");
        if files[i].format == Format::Jsonl {
            return filter_jsonl(input, i as u32, plan, annotate, target);
        }
        if files[i].format == Format::Mbox {
            return filter_mbox(input, i as u32, plan, target);
        }
        if !plan.is_dropped(i as u32, 0) {
            std::fs::copy(input, target).map_err(io_err(input))?;
        }
        return Ok(());
    }
    let index: HashMap<&Path, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.path.as_path(), i))
        .collect();
    std::fs::create_dir_all(target).map_err(io_err(target))?;
    let walker = walkdir::WalkDir::new(input)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    let mut files_to_write: Vec<(PathBuf, PathBuf)> = Vec::new();
    for entry in walker {
        let entry = entry.map_err(|e| Error::Io {
            path: e.path().unwrap_or(input).to_path_buf(),
            source: e
                .into_io_error()
                .unwrap_or_else(|| std::io::Error::other("folder loop")),
        })?;
        let rel = entry.path().strip_prefix(input).unwrap_or(entry.path());
        let dest = target.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).map_err(io_err(&dest))?;
        } else if entry.file_type().is_file() || entry.path().is_file() {
            // A link to a file is copied as the file; links to folders, broken links and
            // special files are left out, as the corpus walk leaves them out.
            files_to_write.push((entry.path().to_path_buf(), dest));
        }
    }
    // Copies run in parallel: on a folder of 100k+ files they dominate the run otherwise.
    files_to_write
        .par_iter()
        .try_for_each(|(src, dest)| match index.get(src.as_path()) {
            Some(&i) if files[i].format == Format::Jsonl => {
                filter_jsonl(src, i as u32, plan, annotate, dest)
            }
            Some(&i) if files[i].format == Format::Mbox => filter_mbox(src, i as u32, plan, dest),
            Some(&i) if plan.is_dropped(i as u32, 0) => Ok(()),
            _ => std::fs::copy(src, dest).map(|_| ()).map_err(io_err(src)),
        })
}

/// Copies a JSONL file line by line, leaving out dropped records (or annotating every record).
/// Lines that are not documents (blank, malformed) are kept as they are.
fn filter_jsonl(src: &Path, file: u32, plan: &Plan, annotate: bool, dest: &Path) -> Result<()> {
    let reader = BufReader::new(std::fs::File::open(src).map_err(io_err(src))?);
    let mut w = BufWriter::new(std::fs::File::create(dest).map_err(io_err(dest))?);
    let mut reader = reader;
    let mut line = 0u32;
    let mut raw = Vec::new();
    loop {
        raw.clear();
        if reader.read_until(b'\n', &mut raw).map_err(io_err(src))? == 0 {
            break;
        }
        line += 1;
        let mark = plan.marks.get(&(file, line));
        if annotate {
            if let Ok(serde_json::Value::Object(mut obj)) =
                serde_json::from_slice::<serde_json::Value>(&raw)
            {
                obj.insert(
                    "neardup_cluster".into(),
                    mark.map_or(serde_json::Value::Null, |m| m.cluster.into()),
                );
                obj.insert(
                    "neardup_duplicate_of".into(),
                    mark.and_then(|m| m.duplicate_of.clone())
                        .map_or(serde_json::Value::Null, Into::into),
                );
                serde_json::to_writer(&mut w, &obj).map_err(|e| io_err(dest)(e.into()))?;
                w.write_all(b"\n").map_err(io_err(dest))?;
                continue;
            }
        } else if mark.is_some_and(|m| m.duplicate_of.is_some()) {
            continue;
        }
        w.write_all(&raw).map_err(io_err(dest))?;
    }
    w.into_inner()
        .map_err(|e| io_err(dest)(e.into_error()))?
        .sync_all()
        .map_err(io_err(dest))
}

/// Copies an mbox file message by message, leaving out dropped messages; the rest, blank
/// stretches included, is kept byte for byte.
fn filter_mbox(src: &Path, file: u32, plan: &Plan, dest: &Path) -> Result<()> {
    let reader = std::fs::File::open(src).map_err(io_err(src))?;
    let mut w = BufWriter::new(std::fs::File::create(dest).map_err(io_err(dest))?);
    let mut number = 0u32;
    for message in crate::corpus::mbox_messages(reader) {
        let raw = message.map_err(io_err(src))?;
        number += 1;
        if !plan.is_dropped(file, number) {
            w.write_all(&raw).map_err(io_err(dest))?;
        }
    }
    w.into_inner()
        .map_err(|e| io_err(dest)(e.into_error()))?
        .sync_all()
        .map_err(io_err(dest))
}

/// Writes the report of dropped documents, one JSON object a line, atomically.
///
/// # Errors
/// [`Error::Io`] naming the report path.
pub fn write_report(plan: &Plan, path: &Path) -> Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(&parent).map_err(io_err(&parent))?;
    {
        let mut w = BufWriter::new(tmp.as_file_mut());
        for d in &plan.dropped {
            serde_json::to_writer(&mut w, d).map_err(|e| io_err(path)(e.into()))?;
            w.write_all(b"\n").map_err(io_err(path))?;
        }
        w.flush().map_err(io_err(path))?;
    }
    tmp.persist(path).map_err(|e| io_err(path)(e.error))?;
    Ok(())
}
