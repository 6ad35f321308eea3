//! A persistent index for incremental deduplication: the signatures and LSH band keys of
//! documents already seen, in an SQLite database, so that new documents can be checked against
//! an archive without scanning the archive again.
//!
//! The database (one file, plus SQLite's `-wal` and `-shm` files while it is in use) holds:
//!
//! - `meta`: the parameters the index was built with (shingle, signature length, seed,
//!   threshold, bands, rows, boilerplate removal) and the format version. Every use checks them.
//! - `docs`: per document its id, where its text lives (folder, file name, JSONL line and
//!   offset), its size in bytes and shingles, the hash of its canonical text, when it was added,
//!   its signature, and, with `store_shingles`, its shingle set (32-bit hashes, delta-coded).
//! - `bands`: `(band key, document)` for every band of every signature. Keys are 32-bit; two
//!   unrelated bands that collide only cost one more candidate, which the signature estimate
//!   then drops.
//! - `boilerplate`: hashes of the boilerplate lines learned so far. Each `add` learns the
//!   boilerplate of its input (as `scan` does) and keeps the union.
//!
//! Writes go through SQLite transactions in WAL mode, one per batch of documents: a writer
//! killed midway leaves every finished batch in place and nothing of the others; readers go on
//! while a writer adds; a second writer waits for the first.
//!
//! Matches are verified: the exact Jaccard similarity on shingle sets from the stored shingles
//! when there are some, else from the indexed text read again at its recorded place (when it
//! still has the recorded content), else the signature estimate. Each match says which.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use xxhash_rust::xxh3::{xxh3_128, xxh3_64_with_seed};

use crate::boilerplate::{Boilerplate, BoilerplateConfig};
use crate::config::{docs_per_batch, ScanConfig, PROBE_DOCS, READ_BATCH_DOCS};
use crate::corpus::{Corpus, InputOptions, Locator, Problem};
use crate::error::{Error, Result};
use crate::lsh::LshParams;
use crate::minhash::{self, MinHasher};
use crate::progress::Progress;
use crate::scan::{estimate_floor, Fingerprinter, Scratch};
use crate::shingle::ShingleKind;
use crate::verify;

/// Version of the database layout and of the hashes stored in it (2: content and line hashes
/// folded in four lanes); an index of another version is refused.
pub const FORMAT_VERSION: u32 = 2;

/// How long a writer waits for another writer (or a checkpoint) before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(600);

/// SQLite page cache per connection, in KiB.
const CACHE_KIB: i64 = 131_072;
/// Bytes of shingle sets (or of the coded sets to store) that a batch of documents keeps,
/// about: one batch is fingerprinted while the one before it is matched and written.
const BATCH_SET_BYTES: usize = 64 << 20;

/// The parameters an index is built with; fixed when it is created.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct IndexParams {
    /// Shingles, as `word:N` or `char:N`.
    #[serde(serialize_with = "as_string")]
    pub shingle: ShingleKind,
    /// Signature length.
    pub num_perm: usize,
    /// Seed of every hash.
    pub seed: u64,
    /// Jaccard similarity from which two documents are near duplicates.
    pub threshold: f64,
    /// LSH bands.
    pub bands: usize,
    /// LSH rows per band.
    pub rows: usize,
    /// Site boilerplate is learned and left out of the fingerprints.
    pub boilerplate: bool,
}

fn as_string<S: serde::Serializer>(k: &ShingleKind, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&k.to_string())
}

/// Parameters asked for on the command line; `None` takes the index's value (or the default
/// for a new index).
#[derive(Clone, Debug, Default)]
pub struct Requested {
    /// `--shingle`.
    pub shingle: Option<ShingleKind>,
    /// `--num-perm`.
    pub num_perm: Option<usize>,
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--threshold`. A query may ask for a higher threshold than the index's, never a lower
    /// one: its bands were chosen for the index's threshold.
    pub threshold: Option<f64>,
    /// `--bands` and `--rows`.
    pub lsh: Option<LshParams>,
    /// `--keep-boilerplate` (false) or the default (true).
    pub boilerplate: Option<bool>,
}

impl Requested {
    fn new_params(&self) -> Result<IndexParams> {
        let config = ScanConfig {
            shingle: self.shingle.unwrap_or_default(),
            num_perm: self.num_perm.unwrap_or(crate::config::DEFAULT_NUM_PERM),
            seed: self.seed.unwrap_or(crate::config::DEFAULT_SEED),
            threshold: self.threshold.unwrap_or(crate::config::DEFAULT_THRESHOLD),
            lsh: self.lsh,
            ..ScanConfig::default()
        };
        config.validate()?;
        let lsh = config.lsh_params();
        Ok(IndexParams {
            shingle: config.shingle,
            num_perm: config.num_perm,
            seed: config.seed,
            threshold: config.threshold,
            bands: lsh.bands,
            rows: lsh.rows,
            boilerplate: self.boilerplate.unwrap_or(true),
        })
    }

    /// Compares with the index's parameters; returns the threshold in force.
    fn check(&self, have: &IndexParams, path: &Path, query: bool) -> Result<f64> {
        let mut wrong = Vec::new();
        if let Some(s) = self.shingle.filter(|s| *s != have.shingle) {
            wrong.push(format!("--shingle {s} (the index uses {})", have.shingle));
        }
        if let Some(k) = self.num_perm.filter(|k| *k != have.num_perm) {
            wrong.push(format!("--num-perm {k} (the index uses {})", have.num_perm));
        }
        if let Some(s) = self.seed.filter(|s| *s != have.seed) {
            wrong.push(format!("--seed {s} (the index uses {})", have.seed));
        }
        if let Some(p) = self
            .lsh
            .filter(|p| p.bands != have.bands || p.rows != have.rows)
        {
            wrong.push(format!(
                "--bands {} --rows {} (the index uses {} and {})",
                p.bands, p.rows, have.bands, have.rows
            ));
        }
        if let Some(b) = self.boilerplate.filter(|b| *b != have.boilerplate) {
            wrong.push(if b {
                "boilerplate removal (the index was built with --keep-boilerplate)".to_string()
            } else {
                "--keep-boilerplate (the index leaves boilerplate out)".to_string()
            });
        }
        let threshold = match self.threshold {
            Some(t) if query && t > have.threshold && t <= 1.0 => t,
            Some(t) if t != have.threshold => {
                wrong.push(if query {
                    format!(
                        "--threshold {t} (the index's bands are made for {}; a query may only ask for more)",
                        have.threshold
                    )
                } else {
                    format!("--threshold {t} (the index uses {})", have.threshold)
                });
                have.threshold
            }
            _ => have.threshold,
        };
        if wrong.is_empty() {
            Ok(threshold)
        } else {
            Err(Error::Index {
                path: path.to_path_buf(),
                cause: format!(
                    "built with other parameters; this run asks for {}. Leave these options out to use the index's own.",
                    wrong.join(", ")
                ),
            })
        }
    }
}

/// Options of an add, also used by `query --add`.
#[derive(Clone, Debug)]
pub struct AddOptions {
    /// Keep each document's shingle set in the index, so matches stay exactly verified when
    /// the text is gone (about 3.5 bytes per shingle).
    pub store_shingles: bool,
    /// The time recorded as "added", in seconds since 1970 (for `evict`).
    pub added_at: i64,
    /// Documents per transaction (see [`COMMIT_DOCS`]).
    pub commit_docs: usize,
}

/// What an add did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct AddSummary {
    /// Documents read.
    pub documents: usize,
    /// New ids added.
    pub added: usize,
    /// Ids already there with other content, replaced.
    pub replaced: usize,
    /// Ids already there with the same content, left as they were.
    pub unchanged: usize,
    /// Inputs skipped (see the problems).
    pub skipped: usize,
    /// Boilerplate lines the index knows after the run.
    pub boilerplate_lines: usize,
}

/// How a match was verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// Same canonical text (equal content hashes).
    Identical,
    /// Exact Jaccard on the indexed text, read again at its recorded place.
    Text,
    /// Exact Jaccard on the shingle set stored in the index (32-bit shingle hashes).
    StoredShingles,
    /// The indexed text is gone or changed and no shingles were stored: the signature
    /// estimate.
    Estimate,
}

/// Kinds of match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchKind {
    /// Same canonical text.
    Exact,
    /// Jaccard similarity at or above the threshold.
    Near,
}

/// One indexed document that a query document duplicates.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Match {
    /// The indexed document's id.
    pub id: String,
    /// Jaccard similarity of the two shingle sets (rounded to 4 places).
    pub jaccard: f64,
    /// Exact or near.
    pub kind: MatchKind,
    /// How the similarity was measured.
    pub basis: Basis,
}

impl Match {
    fn new(id: &str, jaccard: f64, basis: Basis) -> Match {
        Match {
            id: id.to_owned(),
            jaccard: crate::report::round4(jaccard),
            kind: if basis == Basis::Identical {
                MatchKind::Exact
            } else {
                MatchKind::Near
            },
            basis,
        }
    }
}

/// The answer for one query document.
#[derive(Clone, Debug, serde::Serialize)]
pub struct QueryResult {
    /// The query document's id.
    pub id: String,
    /// Indexed documents it duplicates, most similar first (ties by id).
    pub matches: Vec<Match>,
    /// With `query --add`: whether it was added (it duplicates nothing indexed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added: Option<bool>,
}

/// Counts of a query.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct QuerySummary {
    /// Documents queried.
    pub documents: usize,
    /// Of these, documents with at least one match.
    pub duplicates: usize,
    /// Matches in all.
    pub matches: usize,
    /// Matches measured by the signature estimate only.
    pub estimated: usize,
    /// With `--add`: documents added (new ids and replaced ones).
    pub added: usize,
    /// Inputs skipped.
    pub skipped: usize,
}

/// Everything a query produced.
#[derive(Clone, Debug, serde::Serialize)]
pub struct QueryOutput {
    /// The index's parameters, and the threshold in force.
    pub params: IndexParams,
    /// Counts.
    pub summary: QuerySummary,
    /// One entry per query document, in input order.
    pub results: Vec<QueryResult>,
    /// Inputs skipped, in input order.
    #[serde(skip)]
    pub skipped: Vec<Problem>,
    /// Inputs read with a problem, and indexed documents that could not be read again.
    #[serde(skip)]
    pub warnings: Vec<Problem>,
    /// Wall time per stage.
    #[serde(skip)]
    pub stages: Vec<(&'static str, Duration)>,
}

/// What `stats` reports.
#[derive(Clone, Debug, serde::Serialize)]
pub struct IndexStats {
    /// The index file.
    pub path: String,
    /// Documents indexed.
    pub documents: u64,
    /// Of these, documents with stored shingles.
    pub stored_shingles: u64,
    /// Bytes on disk: the database and its write-ahead log.
    pub bytes_on_disk: u64,
    /// `bytes_on_disk / documents`.
    pub bytes_per_document: f64,
    /// Boilerplate lines known.
    pub boilerplate_lines: u64,
    /// Earliest and latest "added" time, seconds since 1970.
    pub added_range: Option<(i64, i64)>,
    /// Parameters.
    pub params: IndexParams,
}

/// An open index.
pub struct Index {
    conn: Connection,
    path: PathBuf,
    params: IndexParams,
}

/// A document fingerprinted for adding or querying.
struct Fp {
    id: String,
    loc: Locator,
    content: u128,
    /// The shingle set, when [`Keeps::sets`] (for verification in the run); empty otherwise.
    shingles: Vec<u64>,
    /// Shingles in the set.
    size: usize,
    /// [`encode_set`] of its [`short_set`], when it is to be stored if added.
    stored: Option<Vec<u8>>,
    sig: Vec<u32>,
    /// [`short_sig`] of `sig`.
    short: Vec<u8>,
    /// [`band_keys`] of `short`.
    keys: Vec<i64>,
    bytes: u64,
}

/// What fingerprinting keeps of each document beyond its signature and band keys.
#[derive(Clone, Copy)]
struct Keeps {
    /// The whole shingle set, to verify matches within the run (queries).
    sets: bool,
    /// The coded set stored with a document added (with `--store-shingles`, and always for
    /// standard input, whose text cannot be read again): `None` when nothing is added.
    stored: Option<bool>,
}

enum Read {
    Doc(Box<Fp>, Option<Problem>),
    Skip(Problem),
}

/// Candidate pairs `(query document, indexed document)` of a batch, and the indexed rows.
struct Candidates {
    pairs: Vec<(usize, i64)>,
    rows: HashMap<i64, Row>,
}

/// What verification needs besides the documents.
struct Verifier<'a> {
    input: &'a InputOptions,
    fp: &'a Fingerprinter<'a>,
    floor: f64,
    threshold: f64,
    k: usize,
}

/// A shingle set loaded for verification, and where it came from.
type Loaded = (Vec<u64>, Basis);

/// An indexed document as verification needs it.
struct Row {
    id: String,
    place: Option<(String, String, u32, u64)>,
    content: u128,
    short: Vec<u8>,
    stored: Option<Vec<u8>>,
}

fn sql_err(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| Error::Index {
        path: path.to_path_buf(),
        cause: e.to_string(),
    }
}

/// The signature as stored: the top 16 bits of each value, little-endian. Two values of
/// unrelated shingles agree by chance with probability 2^-16, which [`short_estimate`] takes
/// out; it halves the largest part of an index.
fn short_sig(sig: &[u32]) -> Vec<u8> {
    sig.iter()
        .flat_map(|&v| minhash::short_value(v).to_le_bytes())
        .collect()
}

/// Puts the database in WAL mode. Changing the journal mode needs the database to itself, and
/// SQLite reports a busy database at once instead of calling the busy handler (two processes
/// creating one index at the same moment: about one run in twenty of the two-writer test), so
/// this waits and tries again, for up to [`BUSY_TIMEOUT`] like every other lock.
fn set_wal(conn: &Connection) -> rusqlite::Result<()> {
    let started = Instant::now();
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            other => return other.map(|_| ()),
        }
    }
}

/// The Jaccard estimate of two stored signatures, corrected for chance agreement of 16-bit
/// values.
fn short_estimate(a: &[u8], b: &[u8]) -> f64 {
    if a.len() != b.len() {
        return 0.0;
    }
    let same = a
        .chunks_exact(2)
        .zip(b.chunks_exact(2))
        .filter(|(x, y)| x == y)
        .count();
    minhash::short_estimate_of(same, a.len() / 2)
}

/// The shingle set reduced to 32-bit hashes, sorted and unique, as stored.
fn short_set(shingles: &[u64]) -> Vec<u64> {
    crate::shingle::sorted_set(shingles.iter().map(|s| s >> 32))
}

/// Delta and LEB128 coding of a sorted set of 32-bit values.
fn encode_set(set: &[u64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(set.len() * 4);
    let mut prev = 0u64;
    for &v in set {
        let mut d = v - prev;
        prev = v;
        loop {
            let byte = (d & 0x7f) as u8;
            d >>= 7;
            if d == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
    }
    out
}

/// The inverse of [`encode_set`]; `None` when the bytes are not a valid coding.
fn decode_set(bytes: &[u8]) -> Option<Vec<u64>> {
    let mut out = Vec::with_capacity(bytes.len() / 3);
    let (mut prev, mut d, mut shift) = (0u64, 0u64, 0u32);
    for &b in bytes {
        if shift > 35 {
            return None;
        }
        d |= ((b & 0x7f) as u64) << shift;
        if b & 0x80 == 0 {
            prev += d;
            out.push(prev);
            d = 0;
            shift = 0;
        } else {
            shift += 7;
        }
    }
    (shift == 0).then_some(out)
}

/// The band keys of a stored signature: 32-bit hashes of each band's values, sorted and
/// unique. A band of 16-bit values collides by chance about as rarely as one of 32-bit values
/// once it has two rows or more.
fn band_keys(short: &[u8], p: &IndexParams) -> Vec<i64> {
    let width = 2 * p.rows;
    let mut keys: Vec<i64> = (0..p.bands)
        .map(|b| xxh3_64_with_seed(&short[b * width..][..width], b as u64) as i32 as i64)
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Parses a duration such as `30d`, `12h`, `90m`, `45s` or `2w` (a bare number is seconds).
///
/// ```
/// use neardup::index::parse_duration;
/// assert_eq!(parse_duration("2w").unwrap().as_secs(), 14 * 86_400);
/// assert_eq!(parse_duration("90m").unwrap().as_secs(), 5_400);
/// assert!(parse_duration("soon").is_err());
/// ```
pub fn parse_duration(s: &str) -> std::result::Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration such as 30d, 12h, 90m or 45s"))?;
    let scale = match unit.trim() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {s:?}: use s, m, h, d or w"
            ))
        }
    };
    n.checked_mul(scale)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{s:?} is too long"))
}

/// Seconds since 1970, now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Index {
    /// Opens the index at `path`, creating it when `create` is set and it does not exist.
    ///
    /// # Errors
    /// [`Error::NotFound`] for a missing index that is not to be created; [`Error::Index`] when
    /// the file is not a neardup index, is of another format version, or was built with other
    /// parameters than `requested` asks for.
    pub fn open(path: &Path, requested: &Requested, create: bool) -> Result<Index> {
        let err = sql_err(path);
        if !create && !path.exists() {
            return Err(Error::NotFound {
                path: path.to_path_buf(),
            });
        }
        let flags = if create {
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        };
        let mut conn = Connection::open_with_flags(path, flags).map_err(&err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(&err)?;
        rusqlite::vtab::array::load_module(&conn).map_err(&err)?;
        conn.pragma_update(None, "cache_size", -CACHE_KIB)
            .map_err(&err)?;
        let has_meta = |conn: &Connection| -> rusqlite::Result<bool> {
            conn.query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
        };
        let not_index = |e: rusqlite::Error| Error::Index {
            path: path.to_path_buf(),
            cause: format!("not a neardup index ({e})"),
        };
        let not_ours = || Error::Index {
            path: path.to_path_buf(),
            cause: "not a neardup index (an SQLite database without neardup's tables)".into(),
        };
        let empty = |conn: &Connection| -> rusqlite::Result<bool> {
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n == 0)
        };
        if !has_meta(&conn).map_err(not_index)? {
            if !create {
                return Err(not_ours());
            }
            let params = requested.new_params()?;
            // WAL: readers see the last committed state while a writer adds.
            set_wal(&conn).map_err(&err)?;
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(&err)?;
            // Another process may have created it meanwhile.
            if !has_meta(&tx).map_err(&err)? {
                if !empty(&tx).map_err(&err)? {
                    return Err(not_ours());
                }
                tx.execute_batch(SCHEMA).map_err(&err)?;
                let rows = [
                    ("format", FORMAT_VERSION.to_string()),
                    ("shingle", params.shingle.to_string()),
                    ("num_perm", params.num_perm.to_string()),
                    ("seed", params.seed.to_string()),
                    ("threshold", params.threshold.to_string()),
                    ("bands", params.bands.to_string()),
                    ("rows", params.rows.to_string()),
                    ("boilerplate", params.boilerplate.to_string()),
                ];
                for (k, v) in rows {
                    tx.execute(
                        "INSERT INTO meta(key, value) VALUES (?1, ?2)",
                        params![k, v],
                    )
                    .map_err(&err)?;
                }
            }
            tx.commit().map_err(&err)?;
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(&err)?;
        let params = read_params(&conn, path)?;
        let index = Index {
            conn,
            path: path.to_path_buf(),
            params,
        };
        requested.check(&index.params, path, false)?;
        Ok(index)
    }

    /// Opens an existing index for queries, which may ask for a higher threshold than the
    /// index's; returns it with the threshold in force.
    ///
    /// # Errors
    /// As [`Index::open`].
    pub fn open_for_query(
        path: &Path,
        requested: &Requested,
        create: bool,
    ) -> Result<(Index, f64)> {
        let plain = Requested {
            threshold: None,
            ..requested.clone()
        };
        let index = Index::open(path, &plain, create)?;
        let threshold = requested.check(&index.params, path, true)?;
        Ok((index, threshold))
    }

    /// The parameters the index was built with.
    pub fn params(&self) -> &IndexParams {
        &self.params
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> Error + '_ {
        sql_err(&self.path)
    }

    fn scan_config(&self, input: &InputOptions) -> ScanConfig {
        ScanConfig {
            input: input.clone(),
            shingle: self.params.shingle,
            num_perm: self.params.num_perm,
            seed: self.params.seed,
            threshold: self.params.threshold,
            lsh: Some(LshParams {
                bands: self.params.bands,
                rows: self.params.rows,
            }),
            boilerplate: BoilerplateConfig {
                enabled: self.params.boilerplate,
                ..BoilerplateConfig::default()
            },
            ..ScanConfig::default()
        }
    }

    fn stored_boilerplate(&self) -> Result<Boilerplate> {
        let mut stmt = self
            .conn
            .prepare("SELECT line FROM boilerplate")
            .map_err(self.err())?;
        let lines = stmt
            .query_map([], |r| r.get::<_, i64>(0))
            .map_err(self.err())?
            .collect::<rusqlite::Result<Vec<i64>>>()
            .map_err(self.err())?;
        Ok(Boilerplate::from_hashes(
            lines.into_iter().map(|l| l as u64),
        ))
    }

    /// The stored boilerplate and what `corpus` adds to it.
    fn boilerplate_for(&self, corpus: &Corpus, config: &ScanConfig) -> Result<Boilerplate> {
        let mut b = self.stored_boilerplate()?;
        if self.params.boilerplate {
            b.extend(&Boilerplate::learn(corpus, &config.boilerplate));
        }
        Ok(b)
    }

    /// Reads and fingerprints one batch in parallel; results in input order.
    fn fingerprint(
        corpus: &Corpus,
        fp: &Fingerprinter,
        hasher: &MinHasher,
        params: &IndexParams,
        keeps: Keeps,
        batch: Vec<crate::corpus::Pending>,
    ) -> Vec<Read> {
        batch
            .into_par_iter()
            .map_init(Scratch::default, |s, pending| {
                let read = match fp.read_into(corpus, pending, s, true) {
                    Err(p) => Read::Skip(p),
                    Ok(f) => {
                        let mut sig = vec![0u32; hasher.k()];
                        hasher.signature_into(&s.shingles, &mut s.mins, &mut sig);
                        let short = short_sig(&sig);
                        let keys = band_keys(&short, params);
                        let stdin = corpus.files()[f.loc.file as usize].name == "-";
                        let stored = keeps
                            .stored
                            .is_some_and(|always| always || stdin)
                            .then(|| encode_set(&short_set(&s.shingles)));
                        let size = s.shingles.len();
                        let shingles = if keeps.sets {
                            std::mem::take(&mut s.shingles)
                        } else {
                            Vec::new()
                        };
                        Read::Doc(
                            Box::new(Fp {
                                id: f.id,
                                loc: f.loc,
                                content: f.content,
                                shingles,
                                size,
                                stored,
                                sig,
                                short,
                                keys,
                                bytes: f.bytes,
                            }),
                            f.warning,
                        )
                    }
                };
                s.trim();
                read
            })
            .collect()
    }

    /// The folder id of `dir` read with `text_field`, created when new.
    fn source_id(
        tx: &Connection,
        cache: &mut HashMap<(String, String), i64>,
        dir: &str,
        text_field: &str,
    ) -> rusqlite::Result<i64> {
        if let Some(&id) = cache.get(&(dir.to_owned(), text_field.to_owned())) {
            return Ok(id);
        }
        tx.execute(
            "INSERT OR IGNORE INTO sources(dir, text_field) VALUES (?1, ?2)",
            params![dir, text_field],
        )?;
        let id = tx.query_row(
            "SELECT src FROM sources WHERE dir = ?1 AND text_field = ?2",
            params![dir, text_field],
            |r| r.get(0),
        )?;
        cache.insert((dir.to_owned(), text_field.to_owned()), id);
        Ok(id)
    }

    /// Inserts one document (replacing an older entry under its id); returns what happened.
    #[allow(clippy::too_many_arguments)]
    fn put(
        &self,
        tx: &Connection,
        corpus: &Corpus,
        sources: &mut HashMap<(String, String), i64>,
        f: &Fp,
        opts: &AddOptions,
        text_field: &str,
        bands: &mut Vec<i64>,
    ) -> rusqlite::Result<Put> {
        let old: Option<(i64, Vec<u8>, Vec<u8>)> = tx
            .prepare_cached("SELECT doc, content, sig FROM docs WHERE id = ?1")?
            .query_row([&f.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let content = f.content.to_le_bytes();
        let mut outcome = Put::Added;
        if let Some((doc, old_content, old_sig)) = old {
            if old_content == content {
                return Ok(Put::Unchanged);
            }
            self.delete_doc(tx, doc, &old_sig)?;
            outcome = Put::Replaced;
        }
        let file = &corpus.files()[f.loc.file as usize];
        let (src, name) = if file.name == "-" {
            (None, None)
        } else {
            let abs = std::path::absolute(&file.path).unwrap_or_else(|_| file.path.clone());
            let dir = abs
                .parent()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            let name = abs
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (
                Some(Self::source_id(tx, sources, &dir, text_field)?),
                Some(name),
            )
        };
        // Text that cannot be read again (standard input) keeps its shingles (see `Keeps`).
        debug_assert!(f.stored.is_some() == (opts.store_shingles || src.is_none()));
        tx.prepare_cached(
            "INSERT INTO docs(id, src, name, line, offset, bytes, shingles, content, added, sig, stored) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?
        .execute(params![
            f.id,
            src,
            name,
            f.loc.line,
            f.loc.offset as i64,
            f.bytes as i64,
            f.size as i64,
            &content[..],
            opts.added_at,
            f.short,
            f.stored,
        ])?;
        let doc = u32::try_from(tx.last_insert_rowid())
            .map_err(|_| rusqlite::Error::IntegralValueOutOfRange(0, tx.last_insert_rowid()))?;
        bands.extend(f.keys.iter().map(|&key| key << 32 | doc as i64));
        Ok(outcome)
    }

    fn delete_doc(&self, tx: &Connection, doc: i64, short: &[u8]) -> rusqlite::Result<()> {
        tx.prepare_cached("DELETE FROM bands WHERE doc = ?2 AND key IN rarray(?1)")?
            .execute(params![key_array(&band_keys(short, &self.params)), doc])?;
        tx.prepare_cached("DELETE FROM docs WHERE doc = ?1")?
            .execute([doc])?;
        Ok(())
    }

    /// Inserts band rows packed as `key << 32 | doc`, in key order, which keeps the B-tree
    /// descents of one batch on pages already in the cache.
    fn insert_bands(tx: &Connection, mut rows: Vec<i64>) -> rusqlite::Result<()> {
        rows.sort_unstable();
        tx.prepare_cached(
            "INSERT OR IGNORE INTO bands(key, doc) \
             SELECT value >> 32, value & 4294967295 FROM rarray(?1)",
        )?
        .execute([key_array(&rows)])?;
        Ok(())
    }

    /// Reads and fingerprints the batches of `corpus` and hands them, in input order, to
    /// `step`, which runs while the next batch is being fingerprinted. A batch that keeps
    /// shingle sets has fewer documents when they are long (about [`BATCH_SET_BYTES`] of sets).
    fn pipeline(
        corpus: &Corpus,
        fp: &Fingerprinter,
        hasher: &MinHasher,
        params: &IndexParams,
        keeps: Keeps,
        progress: &dyn Progress,
        mut step: impl FnMut(Vec<Read>) -> rusqlite::Result<()> + Send,
    ) -> rusqlite::Result<()> {
        let mut prev: Option<Vec<Read>> = None;
        let mut failure: Option<rusqlite::Error> = None;
        let batch_docs = if keeps.sets || keeps.stored == Some(true) {
            docs_per_batch(BATCH_SET_BYTES, corpus.mean_document_bytes(PROBE_DOCS))
        } else {
            READ_BATCH_DOCS
        };
        corpus.for_each_batch(batch_docs, |batch| {
            if failure.is_some() {
                return;
            }
            let n = batch.len() as u64;
            let (reads, r) = rayon::join(
                || Self::fingerprint(corpus, fp, hasher, params, keeps, batch),
                || prev.take().map_or(Ok(()), &mut step),
            );
            if let Err(e) = r {
                failure = Some(e);
            }
            prev = Some(reads);
            progress.advance(n);
        });
        if let Some(e) = failure {
            return Err(e);
        }
        prev.map_or(Ok(()), step)
    }

    fn save_boilerplate(&self, tx: &Connection, b: &Boilerplate) -> rusqlite::Result<()> {
        let mut ins = tx.prepare_cached("INSERT OR IGNORE INTO boilerplate(line) VALUES (?1)")?;
        for h in b.hashes() {
            ins.execute([h as i64])?;
        }
        Ok(())
    }

    /// Adds the documents of `corpus`. Each batch of documents is one transaction.
    ///
    /// # Errors
    /// [`Error::Index`] when the database cannot be written. Problems with single inputs are
    /// returned with the summary.
    pub fn add(
        &mut self,
        corpus: &Corpus,
        input: &InputOptions,
        opts: &AddOptions,
        progress: &dyn Progress,
    ) -> Result<(AddSummary, Vec<Problem>, Vec<Problem>)> {
        let config = self.scan_config(input);
        // Pages and messages read in the boilerplate sample are not extracted again.
        corpus.keep_extracted();
        progress.begin("boilerplate", None);
        let boilerplate = self.boilerplate_for(corpus, &config)?;
        progress.finish();
        let fp = Fingerprinter::new(&config, &boilerplate);
        let hasher = MinHasher::new(self.params.num_perm, self.params.seed);
        let mut summary = AddSummary::default();
        let (mut skipped, mut warnings) = (Vec::new(), Vec::new());
        let mut seen: HashSet<u128> = HashSet::new();
        let mut sources = HashMap::new();
        let mut first = true;
        let mut writes = Writes::new(opts.commit_docs);
        let params = self.params.clone();
        progress.begin("adding", None);
        let this = &mut *self;
        let keeps = Keeps {
            sets: false,
            stored: Some(opts.store_shingles),
        };
        let r = Self::pipeline(corpus, &fp, &hasher, &params, keeps, progress, |reads| {
            let this: &mut Index = &mut *this;
            writes.begin(&this.conn)?;
            let tx = &this.conn;
            let reads_len = reads.len();
            if std::mem::take(&mut first) {
                this.save_boilerplate(tx, &boilerplate)?;
            }
            let mut bands = Vec::new();
            for read in reads {
                let (f, warning) = match read {
                    Read::Skip(p) => {
                        skipped.push(p);
                        continue;
                    }
                    Read::Doc(f, w) => (f, w),
                };
                if !seen.insert(xxh3_128(f.id.as_bytes())) {
                    skipped.push(repeated_id(corpus, &f));
                    continue;
                }
                warnings.extend(warning);
                summary.documents += 1;
                match this.put(
                    tx,
                    corpus,
                    &mut sources,
                    &f,
                    opts,
                    &input.text_field,
                    &mut bands,
                )? {
                    Put::Added => summary.added += 1,
                    Put::Replaced => summary.replaced += 1,
                    Put::Unchanged => summary.unchanged += 1,
                }
            }
            Self::insert_bands(tx, bands)?;
            writes.done(tx, reads_len)
        });
        progress.finish();
        writes.end(&self.conn, r).map_err(self.err())?;
        summary.skipped = skipped.len();
        summary.boilerplate_lines = self.count("SELECT count(*) FROM boilerplate")? as usize;
        Ok((summary, skipped, warnings))
    }

    fn count(&self, sql: &str) -> Result<u64> {
        self.conn
            .query_row(sql, [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(self.err())
    }

    fn row(&self, doc: i64) -> rusqlite::Result<Row> {
        self.conn
            .prepare_cached(
                "SELECT d.id, s.dir, d.name, s.text_field, d.line, d.offset, d.content, d.sig, d.stored \
                 FROM docs d LEFT JOIN sources s ON s.src = d.src WHERE d.doc = ?1",
            )?
            .query_row([doc], |r| {
                let dir: Option<String> = r.get(1)?;
                let name: Option<String> = r.get(2)?;
                let field: Option<String> = r.get(3)?;
                let content: Vec<u8> = r.get(6)?;
                let mut c = [0u8; 16];
                if content.len() == 16 {
                    c.copy_from_slice(&content);
                }
                let place = match (dir, name, field) {
                    (Some(d), Some(n), Some(f)) => Some((
                        Path::new(&d).join(n).to_string_lossy().into_owned(),
                        f,
                        r.get::<_, i64>(4)? as u32,
                        r.get::<_, i64>(5)? as u64,
                    )),
                    _ => None,
                };
                Ok(Row {
                    id: r.get(0)?,
                    place,
                    content: u128::from_le_bytes(c),
                    short: r.get(7)?,
                    stored: r.get(8)?,
                })
            })
    }

    /// The shingle set of an indexed document for verification: stored, or from its text read
    /// again; `None` when neither is possible (a warning says why).
    fn load_set(
        row: &Row,
        input: &InputOptions,
        fp: &Fingerprinter,
    ) -> (Option<Loaded>, Option<Problem>) {
        if let Some(bytes) = &row.stored {
            return match decode_set(bytes) {
                Some(set) => (Some((set, Basis::StoredShingles)), None),
                None => (
                    None,
                    Some(Problem {
                        input: format!("indexed document {:?}", row.id),
                        cause: "its stored shingles are damaged; the estimate is used".into(),
                    }),
                ),
            };
        }
        let Some((path, field, line, offset)) = &row.place else {
            return (None, None);
        };
        let opts = InputOptions {
            text_field: field.clone(),
            ..input.clone()
        };
        let path = PathBuf::from(path);
        let problem = |cause: String| Problem {
            input: format!("{} (indexed document {:?})", path.display(), row.id),
            cause,
        };
        let corpus = match Corpus::open(std::slice::from_ref(&path), opts) {
            Ok(c) => c,
            Err(e) => return (None, Some(problem(format!("{e}; the estimate is used")))),
        };
        let loc = Locator {
            file: 0,
            line: *line,
            offset: *offset,
        };
        match corpus.load(loc) {
            Err(p) => (
                None,
                Some(problem(format!("{}; the estimate is used", p.cause))),
            ),
            Ok((_, doc, _)) => {
                let mut s = Scratch::default();
                if fp.shingles(&doc.text, &mut s) != row.content {
                    return (
                        None,
                        Some(problem(
                            "changed since it was indexed; the estimate is used".into(),
                        )),
                    );
                }
                (Some((std::mem::take(&mut s.shingles), Basis::Text)), None)
            }
        }
    }

    /// Candidate pairs `(query document, indexed document)` of a batch from the band table,
    /// sorted and unique, and the indexed documents' rows.
    fn lookup(&self, docs: &[Box<Fp>]) -> rusqlite::Result<Candidates> {
        let mut asked: Vec<(i64, usize)> = docs
            .iter()
            .enumerate()
            .flat_map(|(qi, f)| f.keys.iter().map(move |&key| (key, qi)))
            .collect();
        asked.sort_unstable();
        let mut keys: Vec<i64> = asked.iter().map(|a| a.0).collect();
        keys.dedup();
        let mut found: Vec<(i64, i64)> = Vec::new();
        {
            let mut look = self
                .conn
                .prepare_cached("SELECT key, doc FROM bands WHERE key IN rarray(?1)")?;
            let mut rows = look.query([key_array(&keys)])?;
            while let Some(r) = rows.next()? {
                found.push((r.get(0)?, r.get(1)?));
            }
        }
        found.sort_unstable();
        let mut pairs: Vec<(usize, i64)> = Vec::new();
        let mut at = 0;
        for bucket in found.chunk_by(|x, y| x.0 == y.0) {
            let key = bucket[0].0;
            while at < asked.len() && asked[at].0 < key {
                at += 1;
            }
            for &(_, qi) in asked[at..].iter().take_while(|a| a.0 == key) {
                pairs.extend(bucket.iter().map(|&(_, d)| (qi, d)));
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        let mut wanted: Vec<i64> = pairs.iter().map(|p| p.1).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let rows: HashMap<i64, Row> = wanted
            .iter()
            .map(|&d| self.row(d).map(|r| (d, r)))
            .collect::<rusqlite::Result<_>>()?;

        Ok(Candidates { pairs, rows })
    }

    /// The verified matches of each query document of a batch among its candidates.
    fn verify_batch(
        docs: &[Box<Fp>],
        Candidates { pairs, rows }: &Candidates,
        v: &Verifier,
        warnings: &mut Vec<Problem>,
    ) -> Vec<Vec<Match>> {
        let close: Vec<(usize, i64, f64)> = pairs
            .par_iter()
            .filter_map(|&(qi, d)| {
                let row = &rows[&d];
                if row.short.len() != 2 * v.k {
                    return None;
                }
                let e = short_estimate(&docs[qi].short, &row.short);
                (e >= v.floor || row.content == docs[qi].content).then_some((qi, d, e))
            })
            .collect();
        let mut need: Vec<i64> = close
            .iter()
            .filter(|&&(qi, d, _)| rows[&d].content != docs[qi].content)
            .map(|c| c.1)
            .collect();
        need.sort_unstable();
        need.dedup();
        let loaded: Vec<(Option<Loaded>, Option<Problem>)> = need
            .par_iter()
            .map(|d| Self::load_set(&rows[d], v.input, v.fp))
            .collect();
        let mut sets: HashMap<i64, Loaded> = HashMap::new();
        for (&d, (set, problem)) in need.iter().zip(loaded) {
            warnings.extend(problem);
            if let Some(s) = set {
                sets.insert(d, s);
            }
        }
        // Query sets cut to 32-bit hashes, for comparison with stored shingles.
        let mut wants_short = vec![false; docs.len()];
        for c in &close {
            if sets.get(&c.1).is_some_and(|s| s.1 == Basis::StoredShingles) {
                wants_short[c.0] = true;
            }
        }
        let shorts: Vec<Option<Vec<u64>>> = (0..docs.len())
            .into_par_iter()
            .map(|qi| wants_short[qi].then(|| short_set(&docs[qi].shingles)))
            .collect();
        let scored: Vec<(usize, Match)> = close
            .par_iter()
            .filter_map(|&(qi, d, e)| {
                let row = &rows[&d];
                let q = &docs[qi];
                let (jaccard, basis) = if row.content == q.content {
                    (1.0, Basis::Identical)
                } else {
                    match sets.get(&d) {
                        Some((set, Basis::StoredShingles)) => (
                            verify::overlap(shorts[qi].as_deref().unwrap_or_default(), set).jaccard,
                            Basis::StoredShingles,
                        ),
                        Some((set, basis)) => (verify::overlap(&q.shingles, set).jaccard, *basis),
                        None => (e, Basis::Estimate),
                    }
                };
                (jaccard >= v.threshold).then(|| (qi, Match::new(&row.id, jaccard, basis)))
            })
            .collect();
        let mut matches: Vec<Vec<Match>> = vec![Vec::new(); docs.len()];
        for (qi, m) in scored {
            matches[qi].push(m);
        }
        matches
    }

    /// Finds, for each document of `corpus`, the indexed documents it duplicates; with `add`,
    /// adds the documents that duplicate nothing (checked against the documents added before
    /// them in the same run too).
    ///
    /// # Errors
    /// [`Error::Index`] when the database cannot be read or written.
    pub fn query(
        &mut self,
        corpus: &Corpus,
        input: &InputOptions,
        threshold: f64,
        add: Option<&AddOptions>,
        progress: &dyn Progress,
    ) -> Result<QueryOutput> {
        let mut config = self.scan_config(input);
        config.threshold = threshold;
        // Pages and messages are read for the sample, the fingerprints and verification.
        corpus.keep_extracted();
        let mut stages = Vec::new();
        let t = Instant::now();
        progress.begin("boilerplate", None);
        let boilerplate = self.boilerplate_for(corpus, &config)?;
        progress.finish();
        stages.push(("boilerplate", t.elapsed()));
        let fp = Fingerprinter::new(&config, &boilerplate);
        let hasher = MinHasher::new(self.params.num_perm, self.params.seed);
        let k = self.params.num_perm;
        let floor = estimate_floor(threshold, k);
        let mut out = QueryOutput {
            params: IndexParams {
                threshold,
                ..self.params.clone()
            },
            summary: QuerySummary::default(),
            results: Vec::new(),
            skipped: Vec::new(),
            warnings: Vec::new(),
            stages: Vec::new(),
        };
        let mut seen: HashSet<u128> = HashSet::new();
        let mut sources = HashMap::new();
        let mut first = true;
        let mut writes = Writes::new(add.map_or(COMMIT_DOCS, |a| a.commit_docs));
        let (mut t_lookup, mut t_verify, mut t_add) =
            (Duration::ZERO, Duration::ZERO, Duration::ZERO);
        let t_all = Instant::now();
        let params = self.params.clone();
        progress.begin("querying", None);
        let this = &mut *self;
        let keeps = Keeps {
            sets: true,
            stored: add.map(|a| a.store_shingles),
        };
        let r = Self::pipeline(corpus, &fp, &hasher, &params, keeps, progress, |reads| {
            let this: &mut Index = &mut *this;
            let mut docs: Vec<Box<Fp>> = Vec::new();
            for read in reads {
                match read {
                    Read::Skip(p) => out.skipped.push(p),
                    Read::Doc(f, w) => {
                        if !seen.insert(xxh3_128(f.id.as_bytes())) {
                            out.skipped.push(repeated_id(corpus, &f));
                            continue;
                        }
                        out.warnings.extend(w);
                        docs.push(f);
                    }
                }
            }
            {
                let t = Instant::now();
                let candidates = this.lookup(&docs)?;
                t_lookup += t.elapsed();
                let t = Instant::now();
                let mut matches = Self::verify_batch(
                    &docs,
                    &candidates,
                    &Verifier {
                        input,
                        fp: &fp,
                        floor,
                        threshold,
                        k,
                    },
                    &mut out.warnings,
                );
                t_verify += t.elapsed();

                // With --add: documents that match nothing indexed, nor anything added before
                // them in this batch, are added.
                let t = Instant::now();
                let mut added = vec![None; docs.len()];
                if let Some(opts) = add {
                    writes.begin(&this.conn)?;
                    let tx = &this.conn;
                    if first {
                        this.save_boilerplate(tx, &boilerplate)?;
                    }
                    let mut batch_keys: HashMap<i64, Vec<usize>> = HashMap::new();
                    let mut bands = Vec::new();
                    for qi in 0..docs.len() {
                        let q = &docs[qi];
                        if matches[qi].is_empty() {
                            let mut earlier: Vec<usize> = q
                                .keys
                                .iter()
                                .filter_map(|key| batch_keys.get(key))
                                .flatten()
                                .copied()
                                .collect();
                            earlier.sort_unstable();
                            earlier.dedup();
                            for o in earlier {
                                let other = &docs[o];
                                let (j, basis) = if other.content == q.content {
                                    (1.0, Basis::Identical)
                                } else if minhash::estimate(&q.sig, &other.sig) >= floor {
                                    (
                                        verify::overlap(&q.shingles, &other.shingles).jaccard,
                                        Basis::Text,
                                    )
                                } else {
                                    continue;
                                };
                                if j >= threshold {
                                    matches[qi].push(Match::new(&other.id, j, basis));
                                }
                            }
                        }
                        if !matches[qi].is_empty() {
                            added[qi] = Some(false);
                            continue;
                        }
                        let put = this.put(
                            tx,
                            corpus,
                            &mut sources,
                            q,
                            opts,
                            &input.text_field,
                            &mut bands,
                        )?;
                        added[qi] = Some(put != Put::Unchanged);
                        for &key in &q.keys {
                            batch_keys.entry(key).or_default().push(qi);
                        }
                    }
                    Self::insert_bands(tx, bands)?;
                    writes.done(tx, docs.len())?;
                }
                t_add += t.elapsed();
                for ((q, mut m), a) in docs.iter().zip(matches).zip(added) {
                    m.sort_by(|x, y| y.jaccard.total_cmp(&x.jaccard).then(x.id.cmp(&y.id)));
                    m.dedup_by(|x, y| x.id == y.id);
                    out.summary.documents += 1;
                    out.summary.duplicates += usize::from(!m.is_empty());
                    out.summary.matches += m.len();
                    out.summary.estimated +=
                        m.iter().filter(|x| x.basis == Basis::Estimate).count();
                    out.summary.added += usize::from(a == Some(true));
                    out.results.push(QueryResult {
                        id: q.id.clone(),
                        matches: m,
                        added: a,
                    });
                }
                first = false;
                Ok(())
            }
        });
        progress.finish();
        writes.end(&self.conn, r).map_err(self.err())?;
        out.summary.skipped = out.skipped.len();
        stages.extend([
            ("read, fingerprint and match", t_all.elapsed()),
            ("lookup", t_lookup),
            ("verify", t_verify),
            ("add", t_add),
        ]);
        out.stages = stages;
        Ok(out)
    }

    /// Removes the documents with these ids; returns the ids that were not in the index.
    ///
    /// # Errors
    /// [`Error::Index`] when the database cannot be written.
    pub fn remove(&mut self, ids: &[String]) -> Result<Vec<String>> {
        let path = self.path.clone();
        let err = sql_err(&path);
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(&err)?;
        let mut missing = Vec::new();
        for id in ids {
            let found: Option<(i64, Vec<u8>)> = tx
                .query_row("SELECT doc, sig FROM docs WHERE id = ?1", [id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
                .map_err(&err)?;
            match found {
                Some((doc, sig)) => self.delete_doc(&tx, doc, &sig).map_err(&err)?,
                None => missing.push(id.clone()),
            }
        }
        tx.commit().map_err(&err)?;
        Ok(missing)
    }

    /// Removes the documents added before `before` (seconds since 1970); returns how many.
    ///
    /// # Errors
    /// [`Error::Index`] when the database cannot be written.
    pub fn evict(&mut self, before: i64) -> Result<usize> {
        let path = self.path.clone();
        let err = sql_err(&path);
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(&err)?;
        let old: Vec<(i64, Vec<u8>)> = {
            let mut stmt = tx
                .prepare("SELECT doc, sig FROM docs WHERE added < ?1")
                .map_err(&err)?;
            let rows = stmt
                .query_map([before], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(&err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(&err)?
        };
        for (doc, sig) in &old {
            self.delete_doc(&tx, *doc, sig).map_err(&err)?;
        }
        tx.commit().map_err(&err)?;
        Ok(old.len())
    }

    /// Size, contents and parameters.
    ///
    /// # Errors
    /// [`Error::Index`] when the database cannot be read.
    pub fn stats(&self) -> Result<IndexStats> {
        let documents = self.count("SELECT count(*) FROM docs")?;
        let stored_shingles = self.count("SELECT count(*) FROM docs WHERE stored IS NOT NULL")?;
        let boilerplate_lines = self.count("SELECT count(*) FROM boilerplate")?;
        let added_range = self
            .conn
            .query_row("SELECT min(added), max(added) FROM docs", [], |r| {
                Ok(r.get::<_, Option<i64>>(0)?.zip(r.get::<_, Option<i64>>(1)?))
            })
            .map_err(self.err())?;
        let file_size = |suffix: &str| {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            std::fs::metadata(p).map_or(0, |m| m.len())
        };
        let bytes_on_disk = file_size("") + file_size("-wal");
        Ok(IndexStats {
            path: self.path.display().to_string(),
            documents,
            stored_shingles,
            bytes_on_disk,
            bytes_per_document: if documents == 0 {
                0.0
            } else {
                bytes_on_disk as f64 / documents as f64
            },
            boilerplate_lines,
            added_range,
            params: self.params.clone(),
        })
    }

    /// Moves the write-ahead log into the database file, so that its size on disk is the
    /// database's (SQLite also does this on its own as the log grows).
    ///
    /// # Errors
    /// [`Error::Index`] when the database cannot be written.
    pub fn checkpoint(&self) -> Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(self.err())
    }
}

/// Documents written per transaction. Band keys are random, so a transaction dirties pages all
/// over the band table whatever its size: fewer, larger transactions write each page fewer
/// times. A writer killed midway loses at most this many documents, which the same add puts
/// back.
pub const COMMIT_DOCS: usize = 65_536;

/// An open write transaction spanning several batches.
struct Writes {
    open: bool,
    docs: usize,
    limit: usize,
}

impl Writes {
    fn new(limit: usize) -> Self {
        Writes {
            open: false,
            docs: 0,
            limit: limit.max(1),
        }
    }

    fn begin(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        if !self.open {
            conn.execute_batch("BEGIN IMMEDIATE")?;
            self.open = true;
        }
        Ok(())
    }

    /// `docs` more documents are written; commits once there are enough.
    fn done(&mut self, conn: &Connection, docs: usize) -> rusqlite::Result<()> {
        self.docs += docs;
        if self.docs >= self.limit {
            conn.execute_batch("COMMIT")?;
            self.open = false;
            self.docs = 0;
        }
        Ok(())
    }

    /// Commits what is left after `result`, or rolls it back after an error.
    fn end(self, conn: &Connection, result: rusqlite::Result<()>) -> rusqlite::Result<()> {
        if self.open {
            if result.is_ok() {
                conn.execute_batch("COMMIT")?;
            } else {
                let _ = conn.execute_batch("ROLLBACK");
            }
        }
        result
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Put {
    Added,
    Replaced,
    Unchanged,
}

/// Keys as an SQL array for `rarray(?)`.
fn key_array(keys: &[i64]) -> std::rc::Rc<Vec<rusqlite::types::Value>> {
    std::rc::Rc::new(
        keys.iter()
            .map(|&k| rusqlite::types::Value::Integer(k))
            .collect(),
    )
}

fn repeated_id(corpus: &Corpus, f: &Fp) -> Problem {
    Problem {
        input: corpus.describe(f.loc),
        cause: format!("document id {:?} already used by an earlier input", f.id),
    }
}

const SCHEMA: &str = "
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE sources(
    src INTEGER PRIMARY KEY,
    dir TEXT NOT NULL,
    text_field TEXT NOT NULL,
    UNIQUE(dir, text_field)
);
CREATE TABLE docs(
    doc INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    src INTEGER REFERENCES sources(src),
    name TEXT,
    line INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    shingles INTEGER NOT NULL,
    content BLOB NOT NULL,
    added INTEGER NOT NULL,
    sig BLOB NOT NULL,
    stored BLOB
);
CREATE INDEX docs_added ON docs(added);
CREATE TABLE bands(key INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY(key, doc)) WITHOUT ROWID;
CREATE TABLE boilerplate(line INTEGER PRIMARY KEY);
";

fn read_params(conn: &Connection, path: &Path) -> Result<IndexParams> {
    let err = sql_err(path);
    let mut meta: HashMap<String, String> = HashMap::new();
    {
        let mut stmt = conn.prepare("SELECT key, value FROM meta").map_err(&err)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(&err)?;
        for row in rows {
            let (k, v) = row.map_err(&err)?;
            meta.insert(k, v);
        }
    }
    let bad = |what: &str| Error::Index {
        path: path.to_path_buf(),
        cause: format!("damaged: its recorded {what} is missing or unreadable"),
    };
    fn get<T: std::str::FromStr>(m: &HashMap<String, String>, k: &str) -> Option<T> {
        m.get(k).and_then(|v| v.parse().ok())
    }
    let format: u32 = get(&meta, "format").ok_or_else(|| bad("format"))?;
    if format != FORMAT_VERSION {
        return Err(Error::Index {
            path: path.to_path_buf(),
            cause: format!("format version {format}; this neardup reads version {FORMAT_VERSION}"),
        });
    }
    let p = IndexParams {
        shingle: get(&meta, "shingle").ok_or_else(|| bad("shingle"))?,
        num_perm: get(&meta, "num_perm").ok_or_else(|| bad("num_perm"))?,
        seed: get(&meta, "seed").ok_or_else(|| bad("seed"))?,
        threshold: get(&meta, "threshold").ok_or_else(|| bad("threshold"))?,
        bands: get(&meta, "bands").ok_or_else(|| bad("bands"))?,
        rows: get(&meta, "rows").ok_or_else(|| bad("rows"))?,
        boilerplate: get(&meta, "boilerplate").ok_or_else(|| bad("boilerplate"))?,
    };
    if p.bands * p.rows > p.num_perm || p.rows == 0 {
        return Err(bad("bands and rows"));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_coding_round_trips() {
        let set = short_set(&[u64::MAX, 0, 5 << 32, 5 << 32 | 7, 1 << 63, 12_345 << 32]);
        assert_eq!(set, vec![0, 5, 12_345, 1 << 31, u32::MAX as u64]);
        let bytes = encode_set(&set);
        assert_eq!(decode_set(&bytes), Some(set));
        assert_eq!(decode_set(&[]), Some(vec![]));
        // A cut-off value is refused.
        assert_eq!(decode_set(&[0x80]), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30d").unwrap().as_secs(), 30 * 86_400);
        assert_eq!(parse_duration("45").unwrap().as_secs(), 45);
        assert_eq!(parse_duration("12h").unwrap().as_secs(), 43_200);
        assert!(parse_duration("3y").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn mismatched_parameters_are_named() {
        let have = Requested::default().new_params().unwrap();
        let path = Path::new("x.ndx");
        let ask = Requested {
            num_perm: Some(64),
            ..Default::default()
        };
        let e = ask.check(&have, path, false).unwrap_err().to_string();
        assert!(e.contains("--num-perm 64") && e.contains("uses 128"), "{e}");
        // A query may raise the threshold, not lower it.
        let up = Requested {
            threshold: Some(0.8),
            ..Default::default()
        };
        assert_eq!(up.check(&have, path, true).unwrap(), 0.8);
        assert!(up.check(&have, path, false).is_err());
        let down = Requested {
            threshold: Some(0.3),
            ..Default::default()
        };
        assert!(down.check(&have, path, true).is_err());
    }

    /// Adding keeps no shingle set, only its size and, when it is to be stored, its coded
    /// short set; a query keeps the whole set. Signatures and keys are the same either way.
    #[test]
    fn fingerprints_keep_what_their_use_needs() {
        let dir = tempfile::tempdir().unwrap();
        let text = "one two three four five six seven eight nine ten eleven twelve";
        std::fs::write(dir.path().join("a.txt"), text).unwrap();
        let corpus = Corpus::open(&[dir.path().to_path_buf()], InputOptions::default()).unwrap();
        let params = Requested::default().new_params().unwrap();
        let config = ScanConfig::default();
        let boilerplate = Boilerplate::none();
        let fp = Fingerprinter::new(&config, &boilerplate);
        let hasher = MinHasher::new(params.num_perm, params.seed);
        let read = |sets, stored| {
            let mut batch = Vec::new();
            corpus.for_each_batch(READ_BATCH_DOCS, |b| batch.extend(b));
            let keeps = Keeps { sets, stored };
            match Index::fingerprint(&corpus, &fp, &hasher, &params, keeps, batch).pop() {
                Some(Read::Doc(f, None)) => f,
                _ => panic!("one document read"),
            }
        };
        let query = read(true, None);
        // Twelve words, four to a shingle.
        assert_eq!(
            (query.shingles.len(), query.size, &query.stored),
            (9, 9, &None)
        );
        let added = read(false, Some(false));
        assert!(added.shingles.is_empty() && added.stored.is_none());
        assert_eq!(added.size, 9);
        assert_eq!((&added.sig, &added.keys), (&query.sig, &query.keys));
        let stored = read(false, Some(true));
        let coded = stored.stored.as_deref().expect("stored");
        assert_eq!(decode_set(coded), Some(short_set(&query.shingles)));
        assert!(stored.shingles.is_empty());
    }
}
