//! clap's view of the command line, and its conversion to the engine's validated config.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use neardup::boilerplate::BoilerplateConfig;
use neardup::config::{self, ScanConfig};
use neardup::corpus::InputOptions;
use neardup::lsh::LshParams;
use neardup::shingle::ShingleKind;

/// Find duplicate and near-duplicate documents in large text corpora.
#[derive(Debug, Parser)]
#[command(name = "neardup", version, about)]
pub struct Cli {
    /// Worker threads (default: one per core; RAYON_NUM_THREADS works too).
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find groups of duplicate and near-duplicate documents.
    Scan(ScanArgs),
    /// Show why two documents match: overlap scores and shared passages.
    Compare(CompareArgs),
    /// Write a copy of the corpus without its duplicates.
    Dedup(DedupArgs),
    /// Repeated lines: inside each document (`within`) and across documents (`across`).
    Lines(LinesArgs),
    /// Documents under the same or nearly the same headline.
    Headlines(HeadlinesArgs),
    /// Score a `scan --format json` result against ground truth (pair precision, recall, F1,
    /// adjusted Rand index).
    Eval(EvalArgs),
    /// A persistent index of documents already seen: add, query, remove, evict, stats.
    Index(IndexArgs),
}

/// How documents are fingerprinted; shared by the commands that compute shingles.
#[derive(Debug, Args)]
pub struct FingerprintArgs {
    /// Shingles: `word:N` (N words) or `char:N` (N characters).
    #[arg(long, default_value_t = ShingleKind::default(), value_name = "KIND:N")]
    pub shingle: ShingleKind,
    /// MinHash signature length.
    #[arg(long, default_value_t = config::DEFAULT_NUM_PERM, value_name = "K")]
    pub num_perm: usize,
    /// Seed of every hash: the same seed gives the same signatures.
    #[arg(long, default_value_t = config::DEFAULT_SEED)]
    pub seed: u64,
}

/// Options of `neardup compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The first document (A): a text, HTML or one-record JSONL file.
    #[arg(value_name = "A")]
    pub a: PathBuf,
    /// The second document (B).
    #[arg(value_name = "B")]
    pub b: PathBuf,
    /// Report format: text or json.
    #[arg(long, value_enum, default_value_t = EvalFormat::Text)]
    pub format: EvalFormat,
    #[command(flatten)]
    pub fingerprint: FingerprintArgs,
    /// JSONL field holding the text.
    #[arg(long, default_value = "text", value_name = "FIELD")]
    pub text_field: String,
}

impl CompareArgs {
    /// The engine config these arguments ask for, validated.
    pub fn to_config(&self) -> anyhow::Result<ScanConfig> {
        let config = ScanConfig {
            shingle: self.fingerprint.shingle,
            num_perm: self.fingerprint.num_perm,
            seed: self.fingerprint.seed,
            input: InputOptions {
                text_field: self.text_field.clone(),
                ..InputOptions::default()
            },
            ..ScanConfig::default()
        };
        config.validate()?;
        Ok(config)
    }
}

/// The corpus and the report options of `lines` and `headlines`.
#[derive(Debug, Args)]
pub struct CorpusArgs {
    /// Folders (walked recursively), files, or `-` for JSONL on standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Report format: text or json.
    #[arg(long, value_enum, default_value_t = EvalFormat::Text)]
    pub format: EvalFormat,
    #[command(flatten)]
    pub input: InputArgs,
    /// No progress bars and no summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Options of `neardup lines`.
#[derive(Debug, Args)]
pub struct LinesArgs {
    #[command(flatten)]
    pub corpus: CorpusArgs,
    /// Only lines repeated inside one document (default: both kinds).
    #[arg(long, conflicts_with = "across")]
    pub within: bool,
    /// Only lines shared by several documents (default: both kinds).
    #[arg(long)]
    pub across: bool,
    /// Fewest documents a line must be in to be listed by `across`.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub min_documents: usize,
    /// Ids listed per shared line (the smallest).
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub max_ids: usize,
}

/// Options of `neardup headlines`.
#[derive(Debug, Args)]
pub struct HeadlinesArgs {
    #[command(flatten)]
    pub corpus: CorpusArgs,
    /// Dice similarity of headline words from which two headlines are nearly the same.
    #[arg(long, default_value_t = neardup::headline::DEFAULT_SIMILARITY, value_name = "F")]
    pub threshold: f64,
}

/// Which files are read and how; shared by the commands that read a corpus.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// File extensions read inside folders, comma-separated (`none` for files without one, or
    /// whose last dot is followed by digits only or a long code, as mail folders name messages:
    /// `1.`, `inmail.12`; files in a Maildir's cur/ and new/ too).
    /// Default: txt,md,none,html,htm,jsonl,ndjson,eml,mbox,mbx.
    #[arg(long, value_delimiter = ',', value_name = "EXT,...")]
    pub ext: Option<Vec<String>>,
    /// JSONL field holding the text.
    #[arg(long, default_value = "text", value_name = "FIELD")]
    pub text_field: String,
    /// JSONL field holding the document id (default: PATH:LINE).
    #[arg(long, value_name = "FIELD")]
    pub id_field: Option<String>,
    /// JSONL field holding the headline.
    #[arg(long, value_name = "FIELD")]
    pub title_field: Option<String>,
    /// JSONL field holding the document's date (for `dedup --keep newest`).
    #[arg(long, value_name = "FIELD")]
    pub date_field: Option<String>,
}

impl InputArgs {
    /// The engine's input options.
    pub fn to_options(&self) -> InputOptions {
        let extensions = self.ext.as_ref().map(|list| {
            list.iter()
                .map(|e| {
                    let e = e.trim().trim_start_matches('.').to_lowercase();
                    if e == "none" {
                        String::new()
                    } else {
                        e
                    }
                })
                .collect()
        });
        InputOptions {
            extensions,
            text_field: self.text_field.clone(),
            id_field: self.id_field.clone(),
            title_field: self.title_field.clone(),
            date_field: self.date_field.clone(),
        }
    }
}

/// Options of `neardup eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Ground truth: JSONL, one `{"id": ..., "family": ...}` per document (see the README).
    #[arg(long, value_name = "FILE")]
    pub truth: PathBuf,
    /// The result of `neardup scan --format json`.
    #[arg(value_name = "RESULT")]
    pub result: PathBuf,
    /// Leave documents of these kinds (truth `kind` field) out, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "KIND,...")]
    pub ignore_kind: Vec<String>,
    /// Report format: text or json.
    #[arg(long, value_enum, default_value_t = EvalFormat::Text)]
    pub format: EvalFormat,
}

/// Formats of `neardup eval` and `neardup compare`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum EvalFormat {
    /// Readable lines.
    Text,
    /// One JSON object.
    Json,
}

/// Report formats.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OutputFormat {
    /// A readable report: one block per cluster, members with scores.
    Text,
    /// One JSON object with `clusters`, `summary` and `params`.
    Json,
    /// One JSON object per cluster, one per line.
    Jsonl,
    /// One row per cluster member: cluster, id, representative, jaccard, kind, linked_by.
    Csv,
}

impl From<OutputFormat> for neardup::report::Format {
    fn from(f: OutputFormat) -> Self {
        match f {
            OutputFormat::Text => Self::Text,
            OutputFormat::Json => Self::Json,
            OutputFormat::Jsonl => Self::Jsonl,
            OutputFormat::Csv => Self::Csv,
        }
    }
}

/// Options of `neardup scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Folders (walked recursively), files, or `-` for JSONL on standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Exit with code 3 when any duplicates are found (for CI checks).
    #[arg(long)]
    pub fail_on_duplicates: bool,
    /// How the run summary is printed on stderr: text lines, or one JSON object (stage times,
    /// documents/s, MB/s of extracted text, peak memory) for benchmarking scripts.
    #[arg(long, value_enum, default_value_t = EvalFormat::Text, value_name = "FORMAT")]
    pub stats: EvalFormat,
    /// No progress bars and no summary on stderr (problems are still named).
    #[arg(long, short)]
    pub quiet: bool,
}

/// Options that decide what counts as a duplicate; shared by `scan` and `dedup`.
#[derive(Debug, Args)]
pub struct EngineArgs {
    /// Jaccard similarity from which two documents are near duplicates.
    #[arg(long, default_value_t = config::DEFAULT_THRESHOLD, value_name = "F")]
    pub threshold: f64,
    #[command(flatten)]
    pub fingerprint: FingerprintArgs,
    /// LSH bands (with --rows; default: derived from --threshold).
    #[arg(long, requires = "rows", value_name = "B")]
    pub bands: Option<usize>,
    /// LSH rows per band (with --bands).
    #[arg(long, requires = "bands", value_name = "R")]
    pub rows: Option<usize>,
    /// Trust the MinHash estimate instead of checking each pair's exact Jaccard.
    #[arg(long)]
    pub no_verify: bool,
    #[command(flatten)]
    pub input: InputArgs,
    /// Also report documents mostly contained in another (truncated copies, excerpts): at
    /// least this share of their shingles (default 0.9) is found in the other.
    #[arg(long, num_args = 0..=1, default_missing_value = "0.9", value_name = "T")]
    pub containment: Option<f64>,
    /// Keep site boilerplate (lines repeated across many documents) in the fingerprints.
    #[arg(long)]
    pub keep_boilerplate: bool,
    /// Share of documents a line must be in to count as boilerplate.
    #[arg(long, default_value_t = BoilerplateConfig::default().share, value_name = "F")]
    pub boilerplate_share: f64,
    /// Fewest documents a line must be in to count as boilerplate.
    #[arg(long, default_value_t = BoilerplateConfig::default().min_docs, value_name = "N")]
    pub boilerplate_min_docs: usize,
    /// Memory budget (e.g. 512M, 4G): past it, signatures and LSH band tables go to
    /// temporary files (under TMPDIR) as sorted runs, merged band by band. What stays in
    /// memory, about 0.5 KiB per document, is counted first; what one pass keeps for the next
    /// (words, shingle sets) shrinks to fit what is left.
    #[arg(long, value_name = "SIZE", value_parser = config::parse_size)]
    pub memory: Option<u64>,
}

impl EngineArgs {
    /// The engine config these arguments ask for, validated.
    pub fn to_config(&self) -> anyhow::Result<ScanConfig> {
        let config = ScanConfig {
            input: self.input.to_options(),
            shingle: self.fingerprint.shingle,
            num_perm: self.fingerprint.num_perm,
            seed: self.fingerprint.seed,
            threshold: self.threshold,
            lsh: match (self.bands, self.rows) {
                (Some(bands), Some(rows)) => Some(LshParams { bands, rows }),
                _ => None,
            },
            verify: !self.no_verify,
            containment: self.containment,
            memory: self.memory,
            boilerplate: BoilerplateConfig {
                enabled: !self.keep_boilerplate,
                share: self.boilerplate_share,
                min_docs: self.boilerplate_min_docs,
                ..BoilerplateConfig::default()
            },
        };
        config.validate()?;
        Ok(config)
    }
}

/// Which copy `dedup` keeps.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum KeepArg {
    /// The longest text: the most complete version.
    Longest,
    /// The shortest text.
    Shortest,
    /// The smallest id.
    First,
    /// The latest file modification time, or `--date-field` value for JSONL.
    Newest,
}

impl From<KeepArg> for neardup::dedup::Keep {
    fn from(k: KeepArg) -> Self {
        match k {
            KeepArg::Longest => Self::Longest,
            KeepArg::Shortest => Self::Shortest,
            KeepArg::First => Self::First,
            KeepArg::Newest => Self::Newest,
        }
    }
}

/// Options of `neardup dedup`.
#[derive(Debug, Args)]
pub struct DedupArgs {
    /// Folders, files, or `-` for JSONL on standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Where to write the deduplicated corpus: a folder for a folder, a file for a file, a
    /// folder with one entry per input for several inputs. Must not exist or be empty.
    #[arg(long, value_name = "OUT", required_unless_present = "dry_run")]
    pub out: Option<PathBuf>,
    /// Which document of each group of duplicates is kept (ties go to the smallest id).
    #[arg(long, value_enum, default_value_t = KeepArg::Longest)]
    pub keep: KeepArg,
    /// Write one JSON line per dropped document: id, kept, jaccard, containment, kind.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Print what would be kept and dropped; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// JSONL: keep every record and add `neardup_cluster` and `neardup_duplicate_of`.
    #[arg(long)]
    pub annotate: bool,
    /// Replace a non-empty --out.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// No progress bars and no summary on stderr (problems are still named).
    #[arg(long, short)]
    pub quiet: bool,
}

/// Options of `neardup index`.
#[derive(Debug, Args)]
pub struct IndexArgs {
    #[command(subcommand)]
    pub command: IndexCommand,
}

/// Subcommands of `neardup index`.
#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Add documents to the index (created when missing).
    Add(IndexAddArgs),
    /// For each document, the indexed documents it duplicates.
    Query(IndexQueryArgs),
    /// Remove documents by id.
    Remove(IndexRemoveArgs),
    /// Remove the documents added longer ago than a duration.
    Evict(IndexEvictArgs),
    /// Documents, size on disk and parameters.
    Stats(IndexStatsArgs),
}

/// The index file.
#[derive(Debug, Args)]
pub struct IndexPath {
    /// The index: an SQLite database file.
    #[arg(long, value_name = "PATH")]
    pub index: PathBuf,
}

/// Parameters of an index; left out, they are the index's own (or the defaults for a new one).
#[derive(Debug, Args)]
pub struct IndexParamArgs {
    /// Jaccard similarity from which two documents are near duplicates (default 0.45; a query
    /// may ask for more than the index's).
    #[arg(long, value_name = "F")]
    pub threshold: Option<f64>,
    /// Shingles: `word:N` or `char:N` (default word:4).
    #[arg(long, value_name = "KIND:N")]
    pub shingle: Option<ShingleKind>,
    /// MinHash signature length (default 128).
    #[arg(long, value_name = "K")]
    pub num_perm: Option<usize>,
    /// Seed of every hash (default 1).
    #[arg(long)]
    pub seed: Option<u64>,
    /// LSH bands (with --rows; default: derived from the threshold).
    #[arg(long, requires = "rows", value_name = "B")]
    pub bands: Option<usize>,
    /// LSH rows per band (with --bands).
    #[arg(long, requires = "bands", value_name = "R")]
    pub rows: Option<usize>,
    /// Keep site boilerplate in the fingerprints (fixed when the index is created).
    #[arg(long)]
    pub keep_boilerplate: bool,
}

impl IndexParamArgs {
    /// The parameters asked for.
    pub fn to_requested(&self) -> neardup::index::Requested {
        neardup::index::Requested {
            shingle: self.shingle,
            num_perm: self.num_perm,
            seed: self.seed,
            threshold: self.threshold,
            lsh: match (self.bands, self.rows) {
                (Some(bands), Some(rows)) => Some(LshParams { bands, rows }),
                _ => None,
            },
            boilerplate: self.keep_boilerplate.then_some(false),
        }
    }
}

/// Options of `neardup index add`.
#[derive(Debug, Args)]
pub struct IndexAddArgs {
    #[command(flatten)]
    pub index: IndexPath,
    /// Folders, files, or `-` for JSONL on standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Also store each document's shingle set (about 3.5 bytes per shingle), so matches stay
    /// exactly verified when the text is moved or deleted.
    #[arg(long)]
    pub store_shingles: bool,
    /// Record this time as "added" (seconds since 1970) instead of now, e.g. to load an
    /// archive with its publication dates.
    #[arg(long, value_name = "SECONDS")]
    pub added_at: Option<i64>,
    /// Documents written per transaction: a run that is killed loses at most this many, which
    /// the same add puts back. Smaller is slower on large indexes.
    #[arg(long, default_value_t = neardup::index::COMMIT_DOCS, value_name = "N")]
    pub commit_every: usize,
    #[command(flatten)]
    pub params: IndexParamArgs,
    #[command(flatten)]
    pub input: InputArgs,
    /// No progress bars and no summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Formats of `neardup index query`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum QueryFormat {
    /// One line per query document with matches.
    Text,
    /// One JSON object: `{"results": [{"id", "matches": [{"id", "jaccard", "kind", "basis"}]}]}`.
    Json,
    /// One JSON object per query document, one per line.
    Jsonl,
}

/// Options of `neardup index query`.
#[derive(Debug, Args)]
pub struct IndexQueryArgs {
    #[command(flatten)]
    pub index: IndexPath,
    /// Folders, files, or `-` for JSONL on standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = QueryFormat::Text)]
    pub format: QueryFormat,
    /// Add the documents that duplicate nothing indexed (the index is created when missing).
    #[arg(long)]
    pub add: bool,
    /// With --add: store shingle sets too (see `index add`).
    #[arg(long, requires = "add")]
    pub store_shingles: bool,
    /// With --add: the "added" time, seconds since 1970.
    #[arg(long, requires = "add", value_name = "SECONDS")]
    pub added_at: Option<i64>,
    /// With --add: documents written per transaction (see `index add`).
    #[arg(long, requires = "add", default_value_t = neardup::index::COMMIT_DOCS, value_name = "N")]
    pub commit_every: usize,
    /// Exit with code 3 when any document duplicates an indexed one.
    #[arg(long)]
    pub fail_on_duplicates: bool,
    #[command(flatten)]
    pub params: IndexParamArgs,
    #[command(flatten)]
    pub input: InputArgs,
    /// No progress bars and no summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Options of `neardup index remove`.
#[derive(Debug, Args)]
pub struct IndexRemoveArgs {
    #[command(flatten)]
    pub index: IndexPath,
    /// Ids of the documents to remove.
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
}

/// Options of `neardup index evict`.
#[derive(Debug, Args)]
pub struct IndexEvictArgs {
    #[command(flatten)]
    pub index: IndexPath,
    /// Remove documents added longer ago than this: `30d`, `12h`, `90m`, `45s`, `2w`.
    #[arg(long, value_name = "DURATION", value_parser = neardup::index::parse_duration)]
    pub older_than: std::time::Duration,
}

/// Options of `neardup index stats`.
#[derive(Debug, Args)]
pub struct IndexStatsArgs {
    #[command(flatten)]
    pub index: IndexPath,
    /// Output format.
    #[arg(long, value_enum, default_value_t = EvalFormat::Text)]
    pub format: EvalFormat,
}
