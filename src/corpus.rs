//! Stage 1, corpus: paths → documents, streamed in batches, with every skipped input named.
//!
//! Folders are walked recursively in file-name order (hidden entries below a given folder are
//! left out). Files are read by format: plain text (`.txt`, `.md`, no extension), HTML
//! (`.html`, `.htm`: the visible text, with `<title>` or else the first `<h1>` as headline,
//! see [`crate::html`]), e-mail (`.eml`, and plain-text files that open with a mail header: the
//! subject and body text, see [`crate::mail`]; files in a Maildir's `cur` and `new` folders
//! count as having no extension), mailboxes (`.mbox`, `.mbx`: one document per message), and
//! JSONL (`.jsonl`, `.ndjson`: one record a line). `-`
//! reads JSONL from standard input, which is first copied to a temporary file so that
//! documents can be read again for verification.
//!
//! Document ids follow the contract in DESIGN.md: a file's path relative to the folder that was
//! given (a file given directly: the path as given), `/`-separated; a JSONL record's
//! `--id-field` value, else `PATH:LINE`; a mailbox's message `PATH:N`, N counting from 1.
//!
//! Invariants: nothing here holds more than one batch of texts; each document is addressed by a
//! small [`Locator`] that [`Corpus::load`] turns back into the same [`Document`]; inputs are only
//! ever opened for reading.

use rayon::prelude::*;
use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use crate::config::READ_BATCH_BYTES;
use crate::error::{Error, Result};
use crate::folders::Folders;

/// How a file's bytes become documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The whole file is one document.
    Text,
    /// The whole file is one document: its visible text.
    Html,
    /// One document per non-blank line, each a JSON object.
    Jsonl,
    /// The whole file is one e-mail message: its subject and body text.
    Mail,
    /// A mailbox (mbox): one document per message, each opened by a `From ` line.
    Mbox,
}

impl Format {
    /// Whether a file of this format holds many documents, read as records by
    /// [`Corpus::for_each_batch`] (JSONL lines, mbox messages) rather than as a whole file.
    pub fn has_records(self) -> bool {
        matches!(self, Format::Jsonl | Format::Mbox)
    }
}

/// Options that decide which files are read and how records are understood.
#[derive(Clone, Debug)]
pub struct InputOptions {
    /// File extensions (lower case, no dot; `""` for none) read inside folders. `None` means
    /// the default set: txt, md, none, html, htm, jsonl, ndjson, eml.
    pub extensions: Option<Vec<String>>,
    /// JSONL field holding the text.
    pub text_field: String,
    /// JSONL field holding the id; `None` gives `PATH:LINE` ids.
    pub id_field: Option<String>,
    /// JSONL field holding the headline, if any.
    pub title_field: Option<String>,
    /// JSONL field holding the document's date, if any.
    pub date_field: Option<String>,
}

impl Default for InputOptions {
    fn default() -> Self {
        InputOptions {
            extensions: None,
            text_field: "text".into(),
            id_field: None,
            title_field: None,
            date_field: None,
        }
    }
}

/// One document: its id, its headline if the input has one, and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// The document id (see the module docs).
    pub id: String,
    /// The headline: HTML `<title>` or first `<h1>`, or the JSONL title field.
    pub title: Option<String>,
    /// The text, lines kept.
    pub text: String,
    /// When it was written, as text that sorts in time order: a file's modification time
    /// (nanoseconds since 1970, zero-padded), or the JSONL `--date-field` value (strings as
    /// they are, so ISO 8601 dates sort right; whole numbers zero-padded).
    pub date: Option<String>,
}

/// Where a document lives, small enough to keep for every document of a large corpus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Locator {
    /// Index into [`Corpus::files`].
    pub file: u32,
    /// 1-based line for a JSONL record, 1-based number for an mbox message, 0 for a whole
    /// file.
    pub line: u32,
    /// Byte offset of the JSONL record's line or of the mbox message.
    pub offset: u64,
}

/// A named input and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The input: a path, or `PATH:LINE` for a JSONL record (`PATH:N` for a message).
    pub input: String,
    /// The cause, in words.
    pub cause: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.input, self.cause)
    }
}

/// A file to read.
#[derive(Debug)]
pub struct InputFile {
    /// Where to open it.
    pub path: PathBuf,
    /// Its document id (or the `PATH` of JSONL ids).
    pub name: String,
    /// How to read it.
    pub format: Format,
}

/// Work for one document, produced in input order by [`Corpus::for_each_batch`] and turned
/// into a [`Document`] by [`Corpus::read`], which may run on any thread.
#[derive(Debug)]
pub enum Pending {
    /// A whole file.
    File(u32),
    /// A JSONL line or an mbox message already read.
    Line {
        /// Where it is.
        loc: Locator,
        /// Its bytes: a line without its line end, a message as it is in the file.
        raw: Vec<u8>,
    },
    /// An input that could not even be listed or read.
    Failed(Problem),
}

/// A document read, with a warning when it was read only in part (invalid UTF-8 replaced).
pub type Read1 = std::result::Result<(Locator, Document, Option<Problem>), Problem>;

/// The set of inputs of one run.
#[derive(Debug)]
pub struct Corpus {
    files: Vec<InputFile>,
    listing_problems: Vec<(usize, Problem)>,
    opts: InputOptions,
    ignored: usize,
    /// [`Corpus::estimate_documents`], counted once.
    estimate: OnceLock<usize>,
    /// With [`Corpus::keep_extracted`], the documents extracted so far from HTML and from
    /// messages costly to parse again.
    extracted: OnceLock<crate::extracted::Store>,
    /// JSONL files kept open by [`Corpus::load`], by index into `files`.
    open_jsonl: Mutex<HashMap<u32, Arc<File>>>,
    /// Handles on the folders most files are in, to open those files by name.
    folders: Folders,
    _stdin: Option<tempfile::NamedTempFile>,
}

/// Part of a folder's listing.
#[derive(Default)]
struct Listing {
    files: Vec<InputFile>,
    /// Problems, each at the number of files listed before it.
    problems: Vec<(usize, Problem)>,
    ignored: usize,
}

impl Listing {
    /// Takes one entry of a walk of the folder `root`: a file with a wanted extension is listed,
    /// a walk error becomes a problem, anything else is passed over.
    fn take(&mut self, root: &Path, entry: walkdir::Result<walkdir::DirEntry>, wanted: &[String]) {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                let input = err
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| root.display().to_string());
                let cause = err
                    .io_error()
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| err.to_string());
                self.problems
                    .push((self.files.len(), Problem { input, cause }));
                return;
            }
        };
        let is_file =
            entry.file_type().is_file() || (entry.path_is_symlink() && entry.path().is_file());
        if !is_file {
            return;
        }
        let path = entry.path();
        let (parent, name) = last_names(path);
        let ext = match parent.map_or_else(|| in_maildir(path), is_maildir_folder) {
            true => String::new(),
            false => name_extension(name),
        };
        if !wanted.contains(&ext) {
            self.ignored += 1;
            return;
        }
        self.files.push(InputFile {
            path: path.to_path_buf(),
            name: relative_name(root, path),
            format: format_for(&ext),
        });
    }
}

/// Entries of a folder listed in one task, at most.
const ENTRIES_PER_TASK: usize = 2048;

/// Lists the folder `dir`, inside the folder `root` given by the user, as one walk sorted by
/// name would (the folder, its errors, then its entries by name, each sub-folder's listing in
/// its place), in parts to be joined in order. Sub-folders, and the entries of a large folder
/// in runs of [`ENTRIES_PER_TASK`], are listed in parallel, at every depth.
fn list_folder(root: &Path, dir: &Path, wanted: &[String]) -> Vec<Listing> {
    // One level only, and sorted here: walkdir's sorter reads every sub-folder it meets in
    // full, even past its maximum depth.
    let mut entries: Vec<walkdir::Result<walkdir::DirEntry>> = walkdir::WalkDir::new(dir)
        .max_depth(1)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e))
        .collect();
    entries.sort_by(|a, b| match (a, b) {
        (Ok(a), Ok(b)) => {
            (a.depth(), last_names(a.path()).1).cmp(&(b.depth(), last_names(b.path()).1))
        }
        (Ok(a), Err(_)) => (a.depth() > 0).cmp(&false),
        (Err(_), Ok(b)) => false.cmp(&(b.depth() > 0)),
        (Err(_), Err(_)) => std::cmp::Ordering::Equal,
    });
    enum Task {
        Folder(PathBuf),
        Entries(Vec<walkdir::Result<walkdir::DirEntry>>),
    }
    let mut tasks: Vec<Task> = Vec::new();
    for entry in entries {
        match entry {
            Ok(e) if e.depth() == 1 && e.file_type().is_dir() => {
                tasks.push(Task::Folder(e.into_path()))
            }
            other => match tasks.last_mut() {
                Some(Task::Entries(run)) if run.len() < ENTRIES_PER_TASK => run.push(other),
                _ => tasks.push(Task::Entries(vec![other])),
            },
        }
    }
    let parts: Vec<Vec<Listing>> = tasks
        .into_par_iter()
        .map(|task| match task {
            Task::Folder(sub) => list_folder(root, &sub, wanted),
            Task::Entries(run) => {
                let mut part = Listing::default();
                for entry in run {
                    part.take(root, entry, wanted);
                }
                vec![part]
            }
        })
        .collect();
    parts.into_iter().flatten().collect()
}

/// Names starting with a dot (inside a folder given by the user) are not read.
fn is_hidden(entry: &walkdir::DirEntry) -> bool {
    last_names(entry.path()).1.starts_with(b".")
}

/// Whether byte `b` of a path's encoded bytes is a separator (separators are ASCII).
fn is_separator(b: u8) -> bool {
    b.is_ascii() && std::path::is_separator(b as char)
}

/// The last two names of a path that walkdir built (a folder joined with a name read from
/// it), straight from its bytes: the folder's name (`None` when the bytes do not show it
/// plainly, as in `..` or `a/.`) and the file's. `Path::file_name` and `Path::parent` parse
/// the path on every call; with walkdir's sort by name calling them twice per comparison,
/// that parsing was half of listing a folder of 150,000 files.
fn last_names(path: &Path) -> (Option<&[u8]>, &[u8]) {
    let bytes = path.as_os_str().as_encoded_bytes();
    let cut = |b: &[u8]| b.iter().rposition(|&c| is_separator(c));
    let Some(at) = cut(bytes) else {
        return (None, bytes);
    };
    let name = &bytes[at + 1..];
    let mut head = &bytes[..at];
    while let Some((&last, rest)) = head.split_last() {
        if !is_separator(last) {
            break;
        }
        head = rest;
    }
    let parent = &head[cut(head).map_or(0, |i| i + 1)..];
    let plain = !parent.is_empty() && parent != b"." && parent != b"..";
    (plain.then_some(parent), name)
}

fn format_for(ext: &str) -> Format {
    match ext {
        "html" | "htm" => Format::Html,
        "jsonl" | "ndjson" => Format::Jsonl,
        "eml" => Format::Mail,
        "mbox" | "mbx" => Format::Mbox,
        _ => Format::Text,
    }
}

/// Whether `path` is a message in a Maildir: a file in its `cur` or `new` folder. Their names
/// (`TIME.ID.HOST:2,FLAGS`) look as if they had an extension; they count as having none.
fn in_maildir(path: &Path) -> bool {
    path.parent()
        .and_then(Path::file_name)
        .is_some_and(|dir| is_maildir_folder(dir.as_encoded_bytes()))
}

/// Whether a folder of this name holds a Maildir's delivered messages.
fn is_maildir_folder(name: &[u8]) -> bool {
    name == b"cur" || name == b"new"
}

/// The extension of `path`, lower case; `""` for none, and for what follows the last dot but is
/// no extension: digits only (`inmail.1`, `log.2`), more than eight characters (SpamAssassin's
/// `00001.7c53336b...`), or anything besides letters and digits (Maildir's `host:2,S`).
fn extension(path: &Path) -> String {
    path.file_name()
        .map(|n| name_extension(n.as_encoded_bytes()))
        .unwrap_or_default()
}

/// [`extension`] of a file name given as bytes.
fn name_extension(name: &[u8]) -> String {
    let ext = match name.iter().rposition(|&c| c == b'.') {
        // A name that starts with its only dot (`.profile`) has no extension.
        None | Some(0) => return String::new(),
        Some(i) => &name[i + 1..],
    };
    let is_extension = ext.len() <= 8
        && ext.iter().all(u8::is_ascii_alphanumeric)
        && !ext.iter().all(u8::is_ascii_digit);
    match is_extension {
        // ASCII letters and digits only, so valid UTF-8.
        true => String::from_utf8(ext.to_ascii_lowercase()).unwrap_or_default(),
        false => String::new(),
    }
}

const DEFAULT_EXTENSIONS: [&str; 10] = [
    "txt", "md", "", "html", "htm", "jsonl", "ndjson", "eml", "mbox", "mbx",
];

/// The name of `path`, found under the folder `root`, relative to it with `/` between names.
fn relative_name(root: &Path, path: &Path) -> String {
    // A walk joins names to `root`, so its bytes lead; comparing them is much cheaper than
    // `Path::strip_prefix`, which parses both paths.
    let (r, p) = (root.as_os_str().to_str(), path.as_os_str().to_str());
    if let (Some(r), Some(p), true) = (r, p, std::path::MAIN_SEPARATOR == '/') {
        if let Some(rest) = p.strip_prefix(r) {
            return rest.trim_start_matches('/').to_owned();
        }
    }
    slash_path(path.strip_prefix(root).unwrap_or(path))
}

fn slash_path(p: &Path) -> String {
    let s = p.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        s.into_owned()
    } else {
        s.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

impl Corpus {
    /// Lists the inputs behind `paths` (folders, files, or `-` for JSONL on standard input).
    ///
    /// # Errors
    /// [`Error::NotFound`] for a path that does not exist, [`Error::Stdin`] when standard input
    /// cannot be copied. Unreadable entries inside folders are not errors: they are reported by
    /// [`Corpus::for_each_batch`] as [`Pending::Failed`].
    pub fn open(paths: &[PathBuf], opts: InputOptions) -> Result<Corpus> {
        let wanted: Vec<String> = match &opts.extensions {
            Some(list) => list.clone(),
            None => DEFAULT_EXTENSIONS.iter().map(|s| s.to_string()).collect(),
        };
        let mut corpus = Corpus {
            files: Vec::new(),
            listing_problems: Vec::new(),
            opts,
            ignored: 0,
            estimate: OnceLock::new(),
            extracted: OnceLock::new(),
            open_jsonl: Mutex::new(HashMap::new()),
            folders: Folders::default(),
            _stdin: None,
        };
        for path in paths {
            if path.as_os_str() == "-" {
                if corpus._stdin.is_some() {
                    return Err(Error::Config("`-` (standard input) given twice".into()));
                }
                let mut spool = tempfile::NamedTempFile::new().map_err(Error::Stdin)?;
                std::io::copy(&mut std::io::stdin().lock(), spool.as_file_mut())
                    .map_err(Error::Stdin)?;
                corpus.files.push(InputFile {
                    path: spool.path().to_path_buf(),
                    name: "-".into(),
                    format: Format::Jsonl,
                });
                corpus._stdin = Some(spool);
                continue;
            }
            let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Error::NotFound { path: path.clone() },
                _ => Error::Io {
                    path: path.clone(),
                    source: e,
                },
            })?;
            if !meta.is_dir() {
                // A file named on the command line is read whatever its extension.
                corpus.files.push(InputFile {
                    path: path.clone(),
                    name: slash_path(path),
                    format: format_for(&extension(path)),
                });
                continue;
            }
            let parts = list_folder(path, path, &wanted);
            // Room for them all at once: growing by doubling would touch about twice the
            // memory, on one thread.
            corpus
                .files
                .reserve_exact(parts.iter().map(|p| p.files.len()).sum());
            for part in parts {
                let at = corpus.files.len();
                corpus
                    .listing_problems
                    .extend(part.problems.into_iter().map(|(i, p)| (at + i, p)));
                corpus.files.extend(part.files);
                corpus.ignored += part.ignored;
            }
        }
        corpus.folders = Folders::new(corpus.files.iter().map(|f| f.path.as_path()));
        Ok(corpus)
    }

    /// From now on, keeps each document extracted from an HTML page, or from a message whose
    /// body is much larger than its text, in a temporary file, and reads it from there when it
    /// is read again (see [`crate::extracted`]). Nothing changes when no temporary file can be
    /// made.
    pub fn keep_extracted(&self) {
        if self.extracted.get().is_none() {
            if let Ok(store) = crate::extracted::Store::new() {
                let _ = self.extracted.set(store);
            }
        }
    }

    /// The files found, in input order.
    pub fn files(&self) -> &[InputFile] {
        &self.files
    }

    /// The number of documents, counting a JSONL file's lines (blank ones included) without
    /// parsing them. Unreadable files count as one document.
    pub fn estimate_documents(&self) -> usize {
        *self.estimate.get_or_init(|| {
            self.files
                .par_iter()
                .map(|f| match f.format {
                    Format::Jsonl => File::open(&f.path).map_or(0, count_lines).max(1),
                    Format::Mbox => File::open(&f.path).map_or(0, count_messages).max(1),
                    _ => 1,
                })
                .sum()
        })
    }

    /// The mean bytes per document, measured cheaply: whole files by the text of up to `probe`
    /// of them, spread evenly over the corpus (pages and messages extracted); JSONL and mbox
    /// files by their size over their records. `None` when nothing could be measured.
    pub fn mean_document_bytes(&self, probe: usize) -> Option<f64> {
        let (records, whole): (Vec<usize>, Vec<usize>) =
            (0..self.files.len()).partition(|&i| self.files[i].format.has_records());
        let mut bytes = 0.0;
        let mut docs = 0.0;
        if !records.is_empty() {
            bytes += records
                .iter()
                .filter_map(|&i| std::fs::metadata(&self.files[i].path).ok())
                .map(|m| m.len() as f64)
                .sum::<f64>();
            // The estimate counts each whole file as one document.
            docs += (self.estimate_documents() - whole.len()) as f64;
        }
        let stride = whole.len().div_ceil(probe.max(1)).max(1) as u64;
        let mut buf = String::new();
        let picked: Vec<u32> = whole
            .iter()
            .copied()
            .filter(|&i| stride == 1 || self.sample_key(i, 0, &mut buf).is_multiple_of(stride))
            .take(probe)
            .map(|i| i as u32)
            .collect();
        let sizes: Vec<usize> = picked
            .par_iter()
            .filter_map(|&i| self.read(Pending::File(i)).ok())
            .map(|(_, doc, _)| doc.text.len())
            .collect();
        if !sizes.is_empty() {
            let mean = sizes.iter().sum::<usize>() as f64 / sizes.len() as f64;
            bytes += mean * whole.len() as f64;
            docs += whole.len() as f64;
        }
        (docs > 0.0).then(|| bytes / docs)
    }

    /// A hash of the input's name (`PATH`, or `PATH:LINE` for a JSONL record), for sampling
    /// that does not depend on input order. `buf` is scratch space.
    fn sample_key(&self, file: usize, line: u32, buf: &mut String) -> u64 {
        use std::fmt::Write;
        use xxhash_rust::xxh3::xxh3_64;
        let name = &self.files[file].name;
        if line == 0 {
            return xxh3_64(name.as_bytes());
        }
        buf.clear();
        let _ = write!(buf, "{name}:{line}");
        xxh3_64(buf.as_bytes())
    }

    /// Files inside folders left out because of their extension.
    pub fn ignored(&self) -> usize {
        self.ignored
    }

    /// Calls `f` with batches of at most `batch` pending documents, in input order. Whole files
    /// are read later by [`Corpus::read`]; JSONL lines are read here, so one batch holds at
    /// most `batch` records.
    pub fn for_each_batch(&self, batch: usize, f: impl FnMut(Vec<Pending>)) {
        self.for_each_sampled_batch(batch, 1, f);
    }

    /// As [`Corpus::for_each_batch`], but only for the inputs of an even sample: those whose
    /// name (`PATH`, or `PATH:LINE` for a JSONL record) hashes to a multiple of `stride`, about
    /// one in `stride`, whatever the input order. JSONL lines left out are not copied.
    pub fn for_each_sampled_batch(
        &self,
        batch: usize,
        stride: u64,
        mut f: impl FnMut(Vec<Pending>),
    ) {
        if !self.files.iter().any(|file| file.format.has_records()) {
            self.make_batches(batch, stride, |b| {
                f(b);
                true
            });
            return;
        }
        // JSONL lines and mbox messages are read on a thread of their own, one batch ahead of `f`, so that
        // reading does not wait for the work on the batch before and the other way round.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Pending>>(1);
        std::thread::scope(|scope| {
            scope.spawn(move || self.make_batches(batch, stride, |b| tx.send(b).is_ok()));
            for b in rx {
                f(b);
            }
        });
    }

    /// The batches of [`Corpus::for_each_sampled_batch`], handed to `f` until it returns false.
    fn make_batches(&self, batch: usize, stride: u64, f: impl FnMut(Vec<Pending>) -> bool) {
        let batch = batch.max(1);
        let stride = stride.max(1);
        let mut key_buf = String::new();
        let mut out = Batches {
            buf: Vec::with_capacity(batch),
            batch,
            bytes: 0,
            f,
            going: true,
        };
        let mut problems = self.listing_problems.iter().peekable();
        let sampled_problem = |p: &Problem| {
            stride == 1 || xxhash_rust::xxh3::xxh3_64(p.input.as_bytes()).is_multiple_of(stride)
        };
        for (i, file) in self.files.iter().enumerate() {
            if !out.going {
                return;
            }
            while let Some((_, p)) = problems.next_if(|(at, _)| *at <= i) {
                if sampled_problem(p) {
                    out.push(Pending::Failed(p.clone()));
                }
            }
            if !file.format.has_records() {
                if stride == 1 || self.sample_key(i, 0, &mut key_buf).is_multiple_of(stride) {
                    out.push(Pending::File(i as u32));
                }
                continue;
            }
            if file.format == Format::Mbox {
                self.mbox_batches(i, stride, &mut key_buf, &mut out);
                continue;
            }
            let mut reader = match File::open(&file.path) {
                Ok(h) => BlockLines::new(h),
                Err(e) => {
                    let p = self.file_problem(i, e.to_string());
                    if sampled_problem(&p) {
                        out.push(Pending::Failed(p));
                    }
                    continue;
                }
            };
            let (mut offset, mut line) = (0u64, 0u32);
            while out.going {
                match reader.next_line() {
                    None => break,
                    Some(Ok(raw)) => {
                        line += 1;
                        let loc = Locator {
                            file: i as u32,
                            line,
                            offset,
                        };
                        offset += raw.len() as u64;
                        let raw = without_line_end(raw);
                        if raw.iter().all(|b| b.is_ascii_whitespace()) {
                            continue;
                        }
                        if stride > 1
                            && !self
                                .sample_key(i, line, &mut key_buf)
                                .is_multiple_of(stride)
                        {
                            continue;
                        }
                        let raw = raw.to_vec();
                        out.push(Pending::Line { loc, raw });
                    }
                    Some(Err(e)) => {
                        let p = Problem {
                            input: format!("{}:{}", file.path.display(), line + 1),
                            cause: format!("read error, rest of file skipped: {e}"),
                        };
                        if sampled_problem(&p) {
                            out.push(Pending::Failed(p));
                        }
                        break;
                    }
                }
            }
        }
        for (_, p) in problems {
            if sampled_problem(p) {
                out.push(Pending::Failed(p.clone()));
            }
        }
        if !out.buf.is_empty() && out.going {
            (out.f)(out.buf);
        }
    }

    /// The messages of the mbox file `i` into `out`, as [`Self::make_batches`] does lines of
    /// a JSONL file: numbered from 1, sampled by `PATH:NUMBER`.
    fn mbox_batches<F: FnMut(Vec<Pending>) -> bool>(
        &self,
        i: usize,
        stride: u64,
        key_buf: &mut String,
        out: &mut Batches<F>,
    ) {
        let sampled_problem = |p: &Problem| {
            stride == 1 || xxhash_rust::xxh3::xxh3_64(p.input.as_bytes()).is_multiple_of(stride)
        };
        let mut messages = match File::open(&self.files[i].path) {
            Ok(h) => Messages::new(h, 0, BlockLines::<File>::BLOCK),
            Err(e) => {
                let p = self.file_problem(i, e.to_string());
                if sampled_problem(&p) {
                    out.push(Pending::Failed(p));
                }
                return;
            }
        };
        let mut number = 0u32;
        while out.going {
            match messages.next_message() {
                None => break,
                Some(Ok((offset, raw))) => {
                    number += 1;
                    if raw.iter().all(|b| b.is_ascii_whitespace())
                        || (stride > 1
                            && !self.sample_key(i, number, key_buf).is_multiple_of(stride))
                    {
                        continue;
                    }
                    let loc = Locator {
                        file: i as u32,
                        line: number,
                        offset,
                    };
                    out.push(Pending::Line { loc, raw });
                }
                Some(Err(e)) => {
                    let p = Problem {
                        input: format!("{}:{}", self.input_name(i), number + 1),
                        cause: format!("read error, rest of file skipped: {e}"),
                    };
                    if sampled_problem(&p) {
                        out.push(Pending::Failed(p));
                    }
                    break;
                }
            }
        }
    }

    fn file_problem(&self, file: usize, cause: String) -> Problem {
        Problem {
            input: self.input_name(file),
            cause,
        }
    }

    /// Names the input behind `loc` as a user would find it: its path, with `:LINE` for a
    /// JSONL record.
    pub fn describe(&self, loc: Locator) -> String {
        let name = self.input_name(loc.file as usize);
        if loc.line == 0 {
            name
        } else {
            format!("{name}:{}", loc.line)
        }
    }

    fn input_name(&self, file: usize) -> String {
        let f = &self.files[file];
        if f.name == "-" {
            "<stdin>".into()
        } else {
            f.path.display().to_string()
        }
    }

    /// Turns pending work into a document. Safe to call from many threads at once.
    pub fn read(&self, pending: Pending) -> Read1 {
        match pending {
            Pending::Failed(p) => Err(p),
            Pending::File(i) => {
                let loc = Locator {
                    file: i,
                    line: 0,
                    offset: 0,
                };
                self.read_file(loc)
            }
            Pending::Line { loc, raw } => self.parse_entry(loc, &raw),
        }
    }

    /// A record of a file with records: a JSONL line or an mbox message.
    fn parse_entry(&self, loc: Locator, raw: &[u8]) -> Read1 {
        match self.files[loc.file as usize].format {
            Format::Mbox => self.parse_message(loc, raw),
            _ => self.parse_record(loc, raw),
        }
    }

    /// Reads the document at `loc` again, exactly as [`Corpus::read`] first read it.
    ///
    /// # Errors
    /// A [`Problem`] naming the input when it can no longer be read or parsed.
    pub fn load(&self, loc: Locator) -> Read1 {
        let file = &self.files[loc.file as usize];
        if !file.format.has_records() {
            return self.read_file(loc);
        }
        let record = || -> std::io::Result<Vec<u8>> {
            let handle = self.jsonl_handle(loc.file)?;
            let mut raw = Vec::new();
            if file.format == Format::Mbox {
                let at = At {
                    file: &handle,
                    pos: loc.offset,
                };
                return match Messages::new(at, loc.offset, 64 << 10).next_message() {
                    Some(Ok((_, raw))) => Ok(raw),
                    Some(Err(e)) => Err(e),
                    None => Err(std::io::ErrorKind::UnexpectedEof.into()),
                };
            }
            read_line_at(&handle, loc.offset, &mut raw)?;
            raw.truncate(without_line_end(&raw).len());
            Ok(raw)
        };
        match record() {
            Ok(raw) => self.parse_entry(loc, &raw),
            Err(e) => Err(Problem {
                input: format!("{}:{}", self.input_name(loc.file as usize), loc.line),
                cause: e.to_string(),
            }),
        }
    }

    /// The JSONL file `file`, opened once for all the records read again from it (verification
    /// reads thousands), while no more than [`MAX_OPEN_JSONL`] are open at once.
    fn jsonl_handle(&self, file: u32) -> std::io::Result<Arc<File>> {
        let mut open = self.open_jsonl.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(h) = open.get(&file) {
            return Ok(Arc::clone(h));
        }
        let h = Arc::new(File::open(&self.files[file as usize].path)?);
        if open.len() >= MAX_OPEN_JSONL {
            open.clear();
        }
        open.insert(file, Arc::clone(&h));
        Ok(h)
    }

    fn read_file(&self, loc: Locator) -> Read1 {
        let i = loc.file as usize;
        let file = &self.files[i];
        let store = self.extracted.get();
        if let Some(kept) = store.and_then(|s| s.get(loc.file)) {
            let doc = Document {
                id: file.name.clone(),
                title: kept.title,
                text: kept.text,
                date: kept.date,
            };
            return Ok((loc, doc, kept.warning.map(|c| self.file_problem(i, c))));
        }
        // Keeps what was costly to extract for the next read of the same file.
        let keep = |doc: &Document, warning: Option<&Problem>| {
            if let Some(s) = store {
                s.put(
                    loc.file,
                    crate::extracted::Record {
                        title: doc.title.as_deref(),
                        text: &doc.text,
                        date: doc.date.as_deref(),
                        warning: warning.map(|w| w.cause.as_str()),
                    },
                );
            }
        };
        let mut date = None;
        let read = self.folders.open(i, &file.path).and_then(|h| {
            // One metadata call gives the date and the size: `read_to_end` on a bare `Vec`
            // would ask for the size again and seek, two more system calls per file.
            let meta = h.metadata()?;
            date = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| format!("{:020}", d.as_nanos()));
            read_whole(h, meta.len())
        });
        let bytes = match read {
            Ok(b) => b,
            Err(e) => return Err(self.file_problem(i, e.to_string())),
        };
        let is_mail = match file.format {
            Format::Mail => true,
            Format::Text => crate::mail::looks_like_mail(&bytes),
            _ => false,
        };
        if is_mail && !crate::mail::is_mailbox(&bytes) {
            if memchr_nul(&bytes) {
                return Err(self.file_problem(i, BINARY_NUL.into()));
            }
            if let Some(mail) = crate::mail::mail_text(&bytes) {
                let doc = Document {
                    id: file.name.clone(),
                    title: mail.subject,
                    text: mail.text,
                    date: mail.date.map(mail_date).or(date),
                };
                if crate::mail::body_len(&bytes) >= MAIL_KEEP_RATIO * doc.text.len() {
                    keep(&doc, None);
                }
                return Ok((loc, doc, None));
            }
        }
        let mailbox = is_mail && crate::mail::is_mailbox(&bytes);
        let (text, warning) = decode(bytes).map_err(|cause| self.file_problem(i, cause))?;
        // A mailbox not named as one is read whole; say so, and how to have it split.
        let warning = match (warning, mailbox) {
            (w, false) => w,
            (w, true) => Some(
                w.into_iter()
                    .chain([MAILBOX_WHOLE.to_string()])
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        };
        let warning = warning.map(|cause| self.file_problem(i, cause));
        let doc = match file.format {
            Format::Html => {
                let (title, body) = crate::html::html_text(&text);
                let text = match &title {
                    Some(t) => format!("{t}\n{body}"),
                    None => body,
                };
                let doc = Document {
                    id: file.name.clone(),
                    title,
                    text,
                    date,
                };
                keep(&doc, warning.as_ref());
                doc
            }
            _ => Document {
                id: file.name.clone(),
                title: None,
                text,
                date,
            },
        };
        Ok((loc, doc, warning))
    }

    /// A message of an mbox file: its subject and body, as a file of one message gives them;
    /// its id is `PATH:NUMBER`.
    fn parse_message(&self, loc: Locator, raw: &[u8]) -> Read1 {
        let file = &self.files[loc.file as usize];
        let problem = |cause: String| Problem {
            input: format!("{}:{}", self.input_name(loc.file as usize), loc.line),
            cause,
        };
        if memchr_nul(raw) {
            return Err(problem(BINARY_NUL.into()));
        }
        let id = format!("{}:{}", file.name, loc.line);
        if let Some(mail) = crate::mail::mail_text(raw) {
            let doc = Document {
                id,
                title: mail.subject,
                text: mail.text,
                date: mail.date.map(mail_date),
            };
            return Ok((loc, doc, None));
        }
        let (text, warning) = decode(raw.to_vec()).map_err(problem)?;
        let doc = Document {
            id,
            title: None,
            text,
            date: None,
        };
        Ok((loc, doc, warning.map(problem)))
    }

    fn parse_record(&self, loc: Locator, raw: &[u8]) -> Read1 {
        let file = &self.files[loc.file as usize];
        let problem = |cause: String| Problem {
            input: format!("{}:{}", self.input_name(loc.file as usize), loc.line),
            cause,
        };
        // A byte-order mark may open the file, and so its first record.
        let raw = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw);
        let o = &self.opts;
        let names = [
            Some(o.text_field.as_str()),
            o.id_field.as_deref(),
            o.title_field.as_deref(),
            o.date_field.as_deref(),
        ];
        let [text, id_value, title, date] = record_fields(raw, names).map_err(|e| {
            problem(match e.classify() {
                serde_json::error::Category::Data => "record is not a JSON object".into(),
                _ => format!("malformed JSON record: {e}"),
            })
        })?;
        let field = &o.text_field;
        let text = match text {
            Some(serde_json::Value::String(s)) => s,
            Some(_) => return Err(problem(format!("field \"{field}\" is not a string"))),
            None => return Err(problem(format!("record has no field \"{field}\""))),
        };
        let id = match &o.id_field {
            None => format!("{}:{}", file.name, loc.line),
            Some(name) => match id_value {
                Some(serde_json::Value::String(s)) => s,
                Some(serde_json::Value::Number(n)) => n.to_string(),
                Some(_) => {
                    return Err(problem(format!(
                        "id field \"{name}\" is neither a string nor a number"
                    )))
                }
                None => return Err(problem(format!("record has no id field \"{name}\""))),
            },
        };
        let title = match title {
            Some(serde_json::Value::String(s)) => Some(s),
            _ => None,
        };
        let date = date.and_then(|v| match v {
            serde_json::Value::String(s) => Some(s),
            serde_json::Value::Number(n) => Some(match n.as_u64() {
                Some(u) => format!("{u:020}"),
                None => n.to_string(),
            }),
            _ => None,
        });
        Ok((
            loc,
            Document {
                id,
                title,
                text,
                date,
            },
            None,
        ))
    }
}

/// Reads the one document in `path` (a text or HTML file, or a JSONL file of one record).
///
/// # Errors
/// [`Error::NotFound`] for a missing path, [`Error::Document`] when the file cannot be read or
/// holds no document or several.
pub fn read_one(path: &Path, opts: &InputOptions) -> Result<Document> {
    let corpus = Corpus::open(&[path.to_path_buf()], opts.clone())?;
    let mut docs = Vec::new();
    let mut problem = None;
    corpus.for_each_batch(2, |batch| {
        for p in batch {
            match corpus.read(p) {
                Ok((_, d, _)) => docs.push(d),
                Err(p) => problem = problem.take().or(Some(p)),
            }
        }
    });
    let input = path.display().to_string();
    match (docs.len(), problem) {
        (1, _) => Ok(docs.pop().expect("one document")),
        (0, Some(p)) => Err(Error::Document {
            input: p.input,
            cause: p.cause,
        }),
        (0, None) => Err(Error::Document {
            input,
            cause: "holds no document".into(),
        }),
        (n, _) => Err(Error::Document {
            input,
            cause: format!("holds {n} documents; name a file with one"),
        }),
    }
}

/// The values of the fields `names` of the JSON object `raw` (the last one when a name
/// repeats), each `None` when absent or not asked for. Other fields are checked but not built:
/// a record's other metadata costs no allocation. A value that is not an object is a
/// [`serde_json::error::Category::Data`] error.
fn record_fields(
    raw: &[u8],
    names: [Option<&str>; 4],
) -> serde_json::Result<[Option<serde_json::Value>; 4]> {
    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
    use std::fmt;

    /// Which of `names` a key is, read without allocating when it has no escapes.
    struct Key<'n>(&'n [Option<&'n str>; 4]);
    impl<'de> DeserializeSeed<'de> for Key<'_> {
        type Value = Option<usize>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(self)
        }
    }
    impl<'de> Visitor<'de> for Key<'_> {
        type Value = Option<usize>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a field name")
        }
        fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Self::Value, E> {
            Ok(self.0.iter().position(|n| *n == Some(key)))
        }
    }

    struct Record<'n>([Option<&'n str>; 4]);
    impl<'de> Visitor<'de> for Record<'_> {
        type Value = [Option<serde_json::Value>; 4];
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out: [Option<serde_json::Value>; 4] = Default::default();
            while let Some(at) = map.next_key_seed(Key(&self.0))? {
                match at {
                    Some(i) => out[i] = Some(map.next_value()?),
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(out)
        }
    }

    let mut de = serde_json::Deserializer::from_slice(raw);
    let mut out = de.deserialize_any(Record(names))?;
    de.end()?;
    // A field asked for twice (say, the text as its own id) was stored at its first place.
    for j in 1..names.len() {
        if let Some(i) = names[..j]
            .iter()
            .position(|n| n.is_some() && *n == names[j])
        {
            out[j] = out[i].clone();
        }
    }
    Ok(out)
}

/// The number of line ends in `source`, up to the end or the first read error.
fn count_lines(source: impl Read) -> usize {
    let mut lines = BlockLines::new(source);
    let mut count = 0;
    while let Some(Ok(line)) = lines.next_line() {
        count += usize::from(line.ends_with(b"\n"));
    }
    count
}

/// The messages of an mbox file in order, each with its bytes as they are in the file (see
/// [`Corpus::for_each_batch`], which numbers them from 1).
pub(crate) fn mbox_messages(source: impl Read) -> impl Iterator<Item = std::io::Result<Vec<u8>>> {
    let mut messages = Messages::new(source, 0, BlockLines::<File>::BLOCK);
    std::iter::from_fn(move || messages.next_message().map(|m| m.map(|(_, raw)| raw)))
}

/// The number of messages in an mbox file, as [`Messages`] splits it.
fn count_messages(source: impl Read) -> usize {
    let mut messages = Messages::new(source, 0, BlockLines::<File>::BLOCK);
    let mut count = 0;
    while let Some(Ok(_)) = messages.next_message() {
        count += 1;
    }
    count
}

/// A message's `Date:` (seconds since 1970) as a document date, in a file's date form.
fn mail_date(secs: u64) -> String {
    format!("{:020}", u128::from(secs) * 1_000_000_000)
}

/// The messages of an mbox file in order, each as (byte offset, its bytes): a message opens
/// with a `From ` line at the start of the source or after an empty line, and runs up to the
/// next such line. Bytes before the first `From ` line make a message of their own. Read from
/// a message's offset, the first message is that message, byte for byte.
struct Messages<R> {
    lines: BlockLines<R>,
    /// Offset of the next line.
    offset: u64,
    /// The message being gathered, and where it starts.
    current: Vec<u8>,
    start: u64,
    /// Whether the last line was empty, or there was none yet.
    open: bool,
}

impl<R: Read> Messages<R> {
    /// Messages of `source`, whose first byte is at `offset` of the file; `block` bytes read
    /// at a time.
    fn new(source: R, offset: u64, block: usize) -> Self {
        Messages {
            lines: BlockLines::with_block(source, block),
            offset,
            current: Vec::new(),
            start: offset,
            open: true,
        }
    }

    fn next_message(&mut self) -> Option<std::io::Result<(u64, Vec<u8>)>> {
        loop {
            let line = match self.lines.next_line() {
                None => {
                    let done = std::mem::take(&mut self.current);
                    return (!done.is_empty()).then_some(Ok((self.start, done)));
                }
                Some(Err(e)) => return Some(Err(e)),
                Some(Ok(line)) => line,
            };
            let at = self.offset;
            self.offset += line.len() as u64;
            let opens = self.open && line.starts_with(b"From ");
            self.open = without_line_end(line).is_empty();
            if opens && !self.current.is_empty() {
                let done = std::mem::replace(&mut self.current, line.to_vec());
                let start = std::mem::replace(&mut self.start, at);
                return Some(Ok((start, done)));
            }
            if self.current.is_empty() {
                self.start = at;
            }
            self.current.extend_from_slice(line);
        }
    }
}

/// Reads `file` from `pos` on by positional reads: a file shared by threads needs no seek.
struct At<'a> {
    file: &'a File,
    pos: u64,
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// Pending work gathered into batches for a consumer that may ask to stop.
struct Batches<F> {
    buf: Vec<Pending>,
    batch: usize,
    /// Bytes of the records in `buf`: a batch ends at [`READ_BATCH_BYTES`] of them too, so that
    /// long records are fewer to a batch.
    bytes: usize,
    f: F,
    /// False once `f` has asked to stop.
    going: bool,
}

impl<F: FnMut(Vec<Pending>) -> bool> Batches<F> {
    fn push(&mut self, p: Pending) {
        if let Pending::Line { raw, .. } = &p {
            self.bytes += raw.len();
        }
        self.buf.push(p);
        if (self.buf.len() >= self.batch || self.bytes >= READ_BATCH_BYTES) && self.going {
            self.going = (self.f)(std::mem::take(&mut self.buf));
            self.bytes = 0;
        }
    }
}

/// Most JSONL files [`Corpus::load`] keeps open at once.
const MAX_OPEN_JSONL: usize = 64;

/// Reads into `out` the line of `file` that starts at `offset`, with its line end (to the end
/// of the file for a last line without one), by positional reads that grow until a line end.
fn read_line_at(file: &File, offset: u64, out: &mut Vec<u8>) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    out.clear();
    let mut ask = 16 << 10;
    loop {
        let have = out.len();
        out.resize(have + ask, 0);
        let n = match file.read_at(&mut out[have..], offset + have as u64) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                out.truncate(have);
                continue;
            }
            Err(e) => return Err(e),
        };
        out.truncate(have + n);
        if n == 0 {
            return Ok(());
        }
        if let Some(i) = memchr::memchr(b'\n', &out[have..]) {
            out.truncate(have + i + 1);
            return Ok(());
        }
        ask = (ask * 2).min(64 << 20);
    }
}

/// `raw` without its line end (`\n` or `\r\n`), if it has one.
fn without_line_end(raw: &[u8]) -> &[u8] {
    match raw.strip_suffix(b"\n") {
        Some(line) => line.strip_suffix(b"\r").unwrap_or(line),
        None => raw,
    }
}

/// The lines of a file, read a large block at a time: one system call per block rather than
/// per line, and nothing copied for a line the caller passes over.
struct BlockLines<R> {
    source: R,
    buf: Vec<u8>,
    /// `buf[start..end]` is read but not yet handed out.
    start: usize,
    end: usize,
    /// From here on, `buf[..end]` has not been searched for a line end.
    searched: usize,
    done: bool,
    /// Bytes asked for at a time.
    block: usize,
}

impl<R: Read> BlockLines<R> {
    /// Bytes asked for at a time; a longer line makes the buffer grow to hold it.
    const BLOCK: usize = 1 << 20;

    fn new(source: R) -> Self {
        Self::with_block(source, Self::BLOCK)
    }

    /// Lines of `source`, read `block` bytes at a time.
    fn with_block(source: R, block: usize) -> Self {
        BlockLines {
            source,
            buf: Vec::new(),
            start: 0,
            end: 0,
            searched: 0,
            done: false,
            block: block.max(1),
        }
    }

    /// The next line with its line end (the last line may have none), or `None` at the end.
    /// After an error, the rest of the source is not read.
    fn next_line(&mut self) -> Option<std::io::Result<&[u8]>> {
        let line_end = loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.searched..self.end]) {
                break self.searched + i + 1;
            }
            self.searched = self.end;
            if self.done {
                if self.start == self.end {
                    return None;
                }
                break self.end;
            }
            // Keep the partial line at the front, with room for a block after it.
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.searched -= self.start;
            self.start = 0;
            if self.buf.len() < self.end + self.block {
                self.buf.resize(self.end + self.block, 0);
            }
            match self.source.read(&mut self.buf[self.end..]) {
                Ok(0) => self.done = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.done = true;
                    self.start = self.end;
                    return Some(Err(e));
                }
            }
        };
        let line = &self.buf[self.start..line_end];
        self.start = line_end;
        self.searched = line_end;
        Some(Ok(line))
    }
}

/// The warning for a mailbox read as one document.
const MAILBOX_WHOLE: &str =
    "an mbox mailbox read as one document; name it .mbox to read its messages one by one";

/// A message's text is kept in the store of extracted documents (see [`crate::extracted`])
/// only when the message's body takes at least this many times the bytes of its text
/// (attachments, HTML or base64 parts). Storing costs about 1.3 ns per byte of text, and only
/// the documents verified without a kept shingle set (a fifth or so) are read again: parsing
/// a plain or quoted-printable body again costs less than storing every one. On 50,000 such
/// messages, storing them all took 10 % of the scan.
const MAIL_KEEP_RATIO: usize = 3;

/// Why a file with a NUL byte is not read.
const BINARY_NUL: &str = "binary file (contains NUL bytes)";

/// Share of replaced characters above which a file counts as binary, not as text.
const MAX_INVALID_SHARE: f64 = 0.25;

/// The whole of `file`, whose metadata says it holds `size` bytes. The buffer has room for one
/// byte more, so a file that is still that size is read by one call; a file that has grown or
/// shrunk since is read until the end.
fn read_whole(mut file: File, size: u64) -> std::io::Result<Vec<u8>> {
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let mut bytes: Vec<u8> = Vec::with_capacity(size.saturating_add(1).min(1 << 30));
    loop {
        if bytes.len() == bytes.capacity() {
            bytes.reserve(bytes.len().max(4096));
        }
        match read_into_spare(&mut file, &mut bytes) {
            Ok(0) => break,
            Ok(_) => {
                if bytes.len() == size && bytes.len() < bytes.capacity() {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(bytes)
}

/// One read from `file` into the room `bytes` has beyond its length, which grows by what was
/// read. The room is not zeroed first: the kernel writes into it directly.
#[cfg(unix)]
fn read_into_spare(file: &mut File, bytes: &mut Vec<u8>) -> std::io::Result<usize> {
    Ok(rustix::io::read(
        &*file,
        rustix::buffer::spare_capacity(bytes),
    )?)
}

/// [`read_into_spare`] where reading into uninitialized memory has no safe call: the room is
/// zeroed first.
#[cfg(not(unix))]
fn read_into_spare(file: &mut File, bytes: &mut Vec<u8>) -> std::io::Result<usize> {
    let len = bytes.len();
    bytes.resize(bytes.capacity(), 0);
    let got = file.read(&mut bytes[len..]);
    bytes.truncate(len + *got.as_ref().unwrap_or(&0));
    got
}

/// Bytes → text. Binary content (a NUL byte, or mostly invalid UTF-8) is an error; some invalid
/// UTF-8 is replaced and reported as a warning.
fn decode(bytes: Vec<u8>) -> std::result::Result<(String, Option<String>), String> {
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    if memchr_nul(&bytes) {
        return Err(BINARY_NUL.into());
    }
    match String::from_utf8(bytes) {
        Ok(s) => Ok((s, None)),
        Err(e) => {
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let replaced = lossy.chars().filter(|&c| c == '\u{fffd}').count();
            let total = lossy.chars().count().max(1);
            if replaced as f64 / total as f64 > MAX_INVALID_SHARE {
                Err(format!(
                    "binary file ({replaced} of {total} characters are not UTF-8)"
                ))
            } else {
                Ok((
                    lossy,
                    Some(format!(
                        "invalid UTF-8: {replaced} character(s) replaced with U+FFFD"
                    )),
                ))
            }
        }
    }
}

fn memchr_nul(bytes: &[u8]) -> bool {
    bytes.contains(&0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder holding a short file at each of `rels`, and its listing.
    fn listed(rels: &[&str]) -> (tempfile::TempDir, Corpus) {
        let dir = tempfile::tempdir().unwrap();
        for rel in rels {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, "some words here").unwrap();
        }
        let corpus = Corpus::open(&[dir.path().to_path_buf()], InputOptions::default()).unwrap();
        (dir, corpus)
    }

    /// Whole files are measured by their text (a page's, not its markup), records by the
    /// bytes of their files; a probe smaller than the folder still lands near the mean.
    #[test]
    fn mean_document_bytes_of_files_pages_and_records() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let open = || Corpus::open(std::slice::from_ref(&root), InputOptions::default()).unwrap();
        assert_eq!(open().mean_document_bytes(64), None, "an empty folder");
        for i in 0..40 {
            // Texts of 100 and 300 bytes in turn.
            let text = "word ".repeat(if i % 2 == 0 { 20 } else { 60 });
            std::fs::write(root.join(format!("{i:02}.txt")), text.trim_end()).unwrap();
        }
        let mean = open().mean_document_bytes(64).unwrap();
        assert!((mean - 199.0).abs() < 1.0, "{mean}");
        let probed = open().mean_document_bytes(8).unwrap();
        assert!((99.0..=299.0).contains(&probed), "{probed}");
        // A page of 20 words in 4 KB of markup counts its text only.
        let page = format!(
            "<html><head><style>{}</style></head><body><p>{}</p></body></html>",
            "p { margin: 0 } ".repeat(250),
            "word ".repeat(20)
        );
        std::fs::write(root.join("page.html"), page).unwrap();
        let mean = open().mean_document_bytes(64).unwrap();
        assert!(mean < 200.0, "{mean}");
        // Ten records in a 10,000-byte JSONL file beside the 41 files: 1,000 bytes each.
        let line = format!("{{\"text\": \"{}\"}}\n", "x".repeat(987));
        assert_eq!(line.len(), 1000);
        std::fs::write(root.join("r.jsonl"), line.repeat(10)).unwrap();
        let whole = 41.0 * mean;
        let both = open().mean_document_bytes(64).unwrap();
        assert!((both - (whole + 10_000.0) / 51.0).abs() < 1.0, "{both}");
    }

    #[test]
    fn listing_keeps_the_order_of_one_walk_by_name() {
        let (_dir, corpus) = listed(&[
            "b.txt",
            "a/2.txt",
            "a/1.txt",
            "a/sub/x.txt",
            "a/sub/y.html",
            "a-c.txt",
            "c/.hidden.txt",
            ".git/config.txt",
            "c/d/e/f.md",
            "z.bin",
            "0.txt",
        ]);
        let names: Vec<&str> = corpus.files().iter().map(|f| f.name.as_str()).collect();
        // "a" sorts before "a-c.txt", so the folder's files come first, as in one walk.
        let want = [
            "0.txt",
            "a/1.txt",
            "a/2.txt",
            "a/sub/x.txt",
            "a/sub/y.html",
            "a-c.txt",
            "b.txt",
            "c/d/e/f.md",
        ];
        assert_eq!(names, want);
        assert_eq!(corpus.ignored, 1, "z.bin");
    }

    #[test]
    fn a_large_tree_is_listed_as_one_sorted_walk_lists_it() {
        // More entries than one task takes, at the top and below, files beside folders.
        let mut rels: Vec<String> = Vec::new();
        for i in 0..(ENTRIES_PER_TASK + 300) {
            rels.push(format!("{:x}.txt", i * 7919 % 10007));
        }
        for i in 0..(ENTRIES_PER_TASK + 10) {
            rels.push(format!("m/{i}.txt"));
        }
        for i in 0..40 {
            rels.push(format!("m/{}/deep/{i}.md", i % 3));
            rels.push(format!("{i:x}/n.txt"));
        }
        let refs: Vec<&str> = rels.iter().map(String::as_str).collect();
        let (dir, corpus) = listed(&refs);
        let want: Vec<String> = walkdir::WalkDir::new(dir.path())
            .sort_by_file_name()
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e.path().strip_prefix(dir.path()).unwrap();
                rel.to_str()
                    .unwrap()
                    .replace(std::path::MAIN_SEPARATOR, "/")
            })
            .collect();
        let names: Vec<&str> = corpus.files().iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names.len(), rels.len());
        assert_eq!(names, want);
    }

    #[test]
    fn names_are_read_from_the_bytes_of_paths_as_path_reads_them() {
        for (path, parent, name) in [
            ("a/cur/f.txt", Some("cur"), "f.txt"),
            ("a/cur//f", Some("cur"), "f"),
            ("cur/f", Some("cur"), "f"),
            ("f.txt", None, "f.txt"),
            ("/f", None, "f"),
            ("a/./f", None, "f"),
            ("a/../f", None, "f"),
        ] {
            let (p, n) = last_names(Path::new(path));
            assert_eq!(p, parent.map(str::as_bytes), "{path}");
            assert_eq!(n, name.as_bytes(), "{path}");
            if let Some(parent) = parent {
                let by_path = Path::new(path).parent().and_then(Path::file_name);
                assert_eq!(by_path, Some(std::ffi::OsStr::new(parent)), "{path}");
            }
        }
        for (file, ext) in [
            ("a.TXT", "txt"),
            ("a.b.html", "html"),
            (".profile", ""),
            ("..", ""),
            ("a.", ""),
            ("inmail.12", ""),
            ("x.mailhost1", ""),
            ("mx:2,S", ""),
            ("plain", ""),
        ] {
            assert_eq!(extension(Path::new(file)), ext, "{file}");
            assert_eq!(name_extension(file.as_bytes()), ext, "{file}");
        }
        assert_eq!(
            relative_name(Path::new("top/"), Path::new("top/a/b.txt")),
            "a/b.txt"
        );
        assert_eq!(relative_name(Path::new("."), Path::new("./b.txt")), "b.txt");
    }

    /// A plain message is parsed again on each read; one whose body takes far more bytes than
    /// its text (here a base64 attachment) comes from the store.
    #[test]
    fn messages_are_kept_only_when_much_larger_than_their_text() {
        let (dir, corpus) = listed(&["plain.eml", "attached.eml"]);
        let message = |body: &str, attachment: usize| {
            // A long header, as delivered mail has, does not count.
            let mut m = "Received: from relay.example.net by mx.example.com\r\n".repeat(40);
            m.push_str(&format!(
                "From: a@example.com\r\nSubject: Words\r\nMIME-Version: 1.0\r\n\
                 Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
                 --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
                format!("{body} with some more words. ").repeat(20)
            ));
            if attachment > 0 {
                m.push_str(
                    "--b\r\nContent-Type: application/pdf\r\n\
                     Content-Transfer-Encoding: base64\r\n\r\n",
                );
                for _ in 0..attachment {
                    m.push_str("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9w\r\n");
                }
            }
            m.push_str("--b--\r\n");
            m
        };
        let write = |name: &str, text: String| std::fs::write(dir.path().join(name), text).unwrap();
        write("plain.eml", message("old plain body", 0));
        write("attached.eml", message("old attached body", 60));
        corpus.keep_extracted();
        let read = |i: u32| corpus.read(Pending::File(i)).unwrap().1.text;
        // Listed by name: attached.eml, then plain.eml.
        assert!(read(0).contains("old attached body"));
        assert!(read(1).contains("old plain body"));
        write("plain.eml", message("new plain body", 0));
        write("attached.eml", message("new attached body", 60));
        assert!(read(0).contains("old attached body"), "kept");
        assert!(read(1).contains("new plain body"), "parsed again");
    }

    #[test]
    fn pages_are_extracted_once_when_kept_and_text_files_read_each_time() {
        let (dir, corpus) = listed(&["a.html", "b.txt"]);
        let page =
            b"<html><head><title>Old title</title></head><body><p>old \xff body</p></body></html>";
        std::fs::write(dir.path().join("a.html"), page).unwrap();
        std::fs::write(dir.path().join("b.txt"), "old text").unwrap();
        corpus.keep_extracted();
        let read = |i: u32| corpus.read(Pending::File(i)).unwrap();
        let (_, first, warning) = read(0);
        assert_eq!(first.text, "Old title\nold \u{fffd} body");
        assert!(warning.is_some(), "invalid UTF-8 is reported");
        // Changed on disk: the page comes from the store, whole, with its warning and date;
        // the text file is read again.
        std::fs::write(dir.path().join("a.html"), "<title>New</title>").unwrap();
        std::fs::write(dir.path().join("b.txt"), "new text").unwrap();
        let (_, again, warning_again) = read(0);
        assert_eq!(again.text, first.text);
        assert_eq!(again.title.as_deref(), Some("Old title"));
        assert_eq!(again.date, first.date);
        assert_eq!(again.id, "a.html");
        assert_eq!(warning_again.map(|w| w.cause), warning.map(|w| w.cause));
        let loaded = corpus
            .load(Locator {
                file: 0,
                line: 0,
                offset: 0,
            })
            .unwrap()
            .1;
        assert_eq!(loaded.text, first.text);
        assert_eq!(read(1).1.text, "new text");
    }

    #[test]
    fn mail_folders_are_read_whatever_their_names() {
        let (_dir, corpus) = listed(&[
            "enron/allen-p/inbox/1.",
            "trec/inmail.12",
            "spamassassin/00001.7c53336b37003a9286aba55d2945844c",
            "Maildir/cur/1490000000.M1P2.mx:2,S",
            "Maildir/new/1490000001.M3P4.mailhost",
            "Maildir/tmp/1490000002.M5P6.mailhost",
            "messages/a.eml",
            "other/report.pdf",
            "other/notes.backup1",
        ]);
        let names: Vec<&str> = corpus.files().iter().map(|f| f.name.as_str()).collect();
        let want = [
            "Maildir/cur/1490000000.M1P2.mx:2,S",
            "Maildir/new/1490000001.M3P4.mailhost",
            "enron/allen-p/inbox/1.",
            "messages/a.eml",
            "spamassassin/00001.7c53336b37003a9286aba55d2945844c",
            "trec/inmail.12",
        ];
        assert_eq!(names, want);
        // Maildir's tmp/ holds messages still being written; a PDF and a backup are no text.
        assert_eq!(corpus.ignored, 3);
        assert_eq!(corpus.files()[3].format, Format::Mail);
    }

    #[test]
    fn read_whole_reads_to_the_end_whatever_size_it_was_told() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.txt");
        for len in [0usize, 1, 4095, 4096, 4097, 100_000] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            std::fs::write(&path, &data).unwrap();
            // The size metadata gave, and sizes a file that grew or shrank since would give.
            for told in [
                len as u64,
                0,
                len as u64 / 2,
                len as u64 + 1,
                2 * len as u64 + 10,
            ] {
                let got = read_whole(File::open(&path).unwrap(), told).unwrap();
                assert!(got == data, "{len} bytes, told {told}");
            }
        }
    }

    #[test]
    fn decode_cases() {
        assert_eq!(decode(b"plain".to_vec()), Ok(("plain".into(), None)));
        assert_eq!(
            decode(b"\xEF\xBB\xBFbom".to_vec()),
            Ok(("bom".into(), None))
        );
        assert!(decode(b"a\0b".to_vec()).unwrap_err().contains("NUL"));
        let (text, warn) = decode(b"caf\xe9 au lait".to_vec()).unwrap();
        assert_eq!(text, "caf\u{fffd} au lait");
        assert!(warn.unwrap().contains("1 character"));
        assert!(decode(vec![0xff; 100]).unwrap_err().contains("not UTF-8"));
    }

    /// A reader that hands out at most `step` bytes per call, then fails at `fail_at` if set.
    struct Trickle<'a> {
        data: &'a [u8],
        at: usize,
        step: usize,
        fail_at: Option<usize>,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if self.fail_at.is_some_and(|f| self.at >= f) {
                return Err(std::io::Error::other("disk on fire"));
            }
            let end = self.data.len().min(self.at + self.step);
            let end = self.fail_at.map_or(end, |f| end.min(f));
            let n = (end - self.at).min(out.len());
            out[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn lines_of(data: &[u8], step: usize, fail_at: Option<usize>) -> Vec<Result<Vec<u8>, ()>> {
        let mut lines = BlockLines::new(Trickle {
            data,
            at: 0,
            step,
            fail_at,
        });
        let mut out = Vec::new();
        while let Some(line) = lines.next_line() {
            out.push(line.map(<[u8]>::to_vec).map_err(|_| ()));
        }
        out
    }

    #[test]
    fn block_lines_are_the_lines_read_until_gives_whatever_the_reads() {
        let long = "x".repeat(BlockLines::<&[u8]>::BLOCK * 2 + 17);
        let text = format!("a\n\r\nbc\r\n\n{long}\n\u{e9}t\u{e9}\nlast without end");
        let data = text.as_bytes();
        let mut want = Vec::new();
        let mut r = std::io::BufRead::split(data, b'\n').peekable();
        while let Some(Ok(mut line)) = r.next() {
            if r.peek().is_some() || data.ends_with(b"\n") {
                line.push(b'\n');
            }
            want.push(Ok(line));
        }
        assert_eq!(want.len(), 7);
        for step in [1, 2, 3, 1000, 1 << 20, usize::MAX / 2] {
            assert_eq!(lines_of(data, step, None), want, "reads of {step} bytes");
        }
        // A read error ends the lines after those read whole before it.
        let got = lines_of(data, 3, Some(6));
        assert_eq!(
            got,
            vec![Ok(b"a\n".to_vec()), Ok(b"\r\n".to_vec()), Err(())]
        );
        assert!(lines_of(b"", 5, None).is_empty());
    }

    #[test]
    fn read_line_at_reads_the_whole_line_from_its_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        let long = "y".repeat(40_000);
        let text = format!("one\n{long}\r\n\nlast");
        std::fs::write(&path, &text).unwrap();
        let file = File::open(&path).unwrap();
        let mut out = Vec::new();
        let mut offset = 0;
        for want in ["one\n", &format!("{long}\r\n"), "\n", "last"] {
            read_line_at(&file, offset, &mut out).unwrap();
            assert_eq!(out, want.as_bytes());
            offset += want.len() as u64;
        }
        read_line_at(&file, offset, &mut out).unwrap();
        assert!(out.is_empty(), "nothing after the end");
    }

    #[test]
    fn lines_are_counted_across_read_edges() {
        let count = |data: &[u8], step| {
            count_lines(Trickle {
                data,
                at: 0,
                step,
                fail_at: None,
            })
        };
        for step in [1, 2, 3, 5, 64] {
            assert_eq!(count(b"a\n\nbb\nccc\n\n\nd", step), 6, "reads of {step}");
        }
        assert_eq!(count(b"", 4), 0);
    }

    #[test]
    fn record_fields_takes_the_fields_asked_for_and_checks_the_rest() {
        let names = [Some("text"), Some("id"), None, Some("date")];
        let raw = br#"{"meta": {"text": "inner", "list": [1, {"id": 2}]}, "te\u0078t": "a\nb", "id": 7, "date": "x", "date": 20}"#;
        let [text, id, title, date] = record_fields(raw, names).unwrap();
        assert_eq!(
            text,
            Some(serde_json::json!("a\nb")),
            "an escaped key is its name"
        );
        assert_eq!(id, Some(serde_json::json!(7)), "nested fields do not count");
        assert_eq!(title, None);
        assert_eq!(
            date,
            Some(serde_json::json!(20)),
            "the last of a repeated key"
        );
        let same = record_fields(
            br#"{"text": "t"}"#,
            [Some("text"), Some("text"), None, None],
        );
        let same = same.unwrap();
        assert_eq!(
            same[1],
            Some(serde_json::json!("t")),
            "one field asked for twice"
        );
        let category = |raw: &[u8]| record_fields(raw, names).unwrap_err().classify();
        use serde_json::error::Category;
        assert_eq!(category(b"[1, 2]"), Category::Data);
        assert_eq!(category(b"\"text\""), Category::Data);
        assert_eq!(category(br#"{"text": "a"} x"#), Category::Syntax);
        assert_eq!(
            category(br#"{"text": "a", "other": [1, }"#),
            Category::Syntax
        );
        assert_eq!(category(br#"{"text": "a""#), Category::Eof);
    }

    /// A JSONL file with blank lines, CRLF ends, a byte-order mark, a record longer than a
    /// read block and a last line without a line end, in a folder beside a text file.
    fn jsonl_corpus() -> (tempfile::TempDir, Corpus, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let long = "word ".repeat(BlockLines::<&[u8]>::BLOCK / 4);
        let mut lines = vec![format!(
            "\u{feff}{{\"id\": \"first\", \"text\": \"the first one\"}}"
        )];
        lines.push(String::new());
        for i in 0..40 {
            lines.push(format!(
                "{{\"id\": {i}, \"text\": \"record number {i}\", \"x\": [{i}]}}"
            ));
        }
        lines.push("   ".into());
        lines.push(format!("{{\"id\": \"long\", \"text\": \"{long}\"}}\r"));
        lines.push("{\"id\": \"bad\", \"text\": 3}".into());
        lines.push("{\"id\": \"end\", \"text\": \"no line end\"}".into());
        std::fs::write(dir.path().join("d.jsonl"), lines.join("\n")).unwrap();
        std::fs::write(dir.path().join("e.txt"), "a text file").unwrap();
        let opts = InputOptions {
            id_field: Some("id".into()),
            ..InputOptions::default()
        };
        let corpus = Corpus::open(&[dir.path().to_path_buf()], opts).unwrap();
        (dir, corpus, lines)
    }

    fn pending_names(corpus: &Corpus, stride: u64) -> Vec<String> {
        let mut names = Vec::new();
        corpus.for_each_sampled_batch(3, stride, |batch| {
            assert!(batch.len() <= 3);
            for p in batch {
                names.push(match p {
                    Pending::File(i) => corpus.files[i as usize].name.clone(),
                    Pending::Line { loc, .. } => corpus.describe(loc),
                    Pending::Failed(p) => p.input,
                });
            }
        });
        names
    }

    #[test]
    fn jsonl_records_read_again_are_the_records_first_read() {
        let (_dir, corpus, lines) = jsonl_corpus();
        assert_eq!(
            corpus.estimate_documents(),
            lines.len() - 1 + 1,
            "lines and the text file"
        );
        let mut first = Vec::new();
        corpus.for_each_batch(7, |batch| {
            first.extend(batch.into_iter().map(|p| corpus.read(p)));
        });
        // Blank lines are left out but counted.
        assert_eq!(first.len(), lines.len() - 2 + 1);
        let ids: Vec<String> = first
            .iter()
            .filter_map(|r| r.as_ref().ok().map(|(_, d, _)| d.id.clone()))
            .collect();
        assert_eq!(ids[0], "first", "after the byte-order mark");
        assert_eq!(ids[1], "0");
        assert_eq!(ids[ids.len() - 3..], ["long", "end", "e.txt"]);
        let bad = first.iter().find_map(|r| r.as_ref().err()).unwrap();
        assert!(
            bad.input.ends_with(&format!("d.jsonl:{}", lines.len() - 1)),
            "{bad}"
        );
        assert!(bad.cause.contains("is not a string"), "{bad}");
        for r in first.into_iter().flatten() {
            let (loc, doc, _) = r;
            let again = corpus.load(loc).unwrap();
            assert_eq!(again.0, loc);
            assert_eq!(again.1, doc);
        }
    }

    /// An mbox of three messages (CRLF in one, `From ` and `>From ` inside bodies, a blank
    /// line before the first separator) and a message that is only a separator line.
    const MBOX: &str = "\nFrom a@x Mon Jan  1 00:00:00 2024\nFrom: a@x\nSubject: One\n\
        Date: Tue, 02 Jan 2024 10:00:00 +0000\n\nFirst body line.\nFrom here on, more text.\n\
        >From the archive.\n\nFrom b@y Mon Jan  1 00:00:00 2024\r\nFrom: b@y\r\n\
        Subject: Two\r\n\r\nSecond body.\r\n\r\nFrom c@z Mon Jan  1 00:00:00 2024\n\
        From: c@z\nSubject: Three\n\nThird body, no line end at the end of the file.";

    #[test]
    fn mbox_messages_are_documents_read_again_as_first_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("list.mbox"), MBOX).unwrap();
        let corpus = Corpus::open(&[dir.path().to_path_buf()], InputOptions::default()).unwrap();
        assert_eq!(corpus.files()[0].format, Format::Mbox);
        // The blank line before the first separator is a (blank) message of its own.
        assert_eq!(corpus.estimate_documents(), 4);
        let mut first = Vec::new();
        corpus.for_each_batch(2, |batch| {
            first.extend(batch.into_iter().map(|p| corpus.read(p).unwrap()));
        });
        let got: Vec<(&str, Option<&str>, u32)> = first
            .iter()
            .map(|(loc, d, _)| (d.id.as_str(), d.title.as_deref(), loc.line))
            .collect();
        assert_eq!(
            got,
            [
                ("list.mbox:2", Some("One"), 2),
                ("list.mbox:3", Some("Two"), 3),
                ("list.mbox:4", Some("Three"), 4),
            ]
        );
        let one = &first[0].1;
        assert!(
            one.text.contains("From here on, more text."),
            "{}",
            one.text
        );
        assert!(one.text.contains(">From the archive."), "{}", one.text);
        assert!(!one.text.contains("b@y"), "{}", one.text);
        assert_eq!(one.date.as_deref(), Some("01704189600000000000"));
        assert!(first[2]
            .1
            .text
            .ends_with("no line end at the end of the file."));
        for (loc, doc, _) in &first {
            assert_eq!(&corpus.load(*loc).unwrap().1, doc);
        }
        // Every byte is in exactly one message, in order.
        let whole: Vec<u8> = mbox_messages(MBOX.as_bytes())
            .map(|m| m.unwrap())
            .collect::<Vec<_>>()
            .concat();
        assert_eq!(whole, MBOX.as_bytes());

        // Under another name, a mailbox is one document, with a warning that says so.
        std::fs::write(dir.path().join("Inbox"), MBOX.trim_start()).unwrap();
        let corpus = Corpus::open(&[dir.path().join("Inbox")], InputOptions::default()).unwrap();
        let mut read = Vec::new();
        corpus.for_each_batch(2, |batch| {
            read.extend(batch.into_iter().map(|p| corpus.read(p).unwrap()));
        });
        assert_eq!(read.len(), 1);
        let warning = read[0].2.as_ref().expect("a warning");
        assert!(warning.cause.contains("mbox"), "{warning}");
    }

    #[test]
    fn a_sample_is_the_inputs_whose_names_hash_to_a_multiple_of_the_stride() {
        use xxhash_rust::xxh3::xxh3_64;
        let (_dir, corpus, _) = jsonl_corpus();
        let all = pending_names(&corpus, 1);
        let name = |n: &String| match n.rsplit_once("d.jsonl:") {
            Some((_, line)) => format!("d.jsonl:{line}"),
            None => n.clone(),
        };
        for stride in [2, 3, 7] {
            let want: Vec<String> = all
                .iter()
                .filter(|n| xxh3_64(name(n).as_bytes()).is_multiple_of(stride))
                .cloned()
                .collect();
            assert!(!want.is_empty() && want.len() < all.len());
            assert_eq!(pending_names(&corpus, stride), want, "stride {stride}");
        }
    }
}
