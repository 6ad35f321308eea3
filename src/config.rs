//! The validated engine configuration of a scan. The CLI builds it from its arguments; the
//! engine never sees clap.

use crate::boilerplate::BoilerplateConfig;
use crate::corpus::InputOptions;
use crate::error::{Error, Result};
use crate::lsh::LshParams;
use crate::shingle::ShingleKind;

/// Default word shingle size (words per shingle); see the README for the measurements.
pub const DEFAULT_WORD_SHINGLE: usize = 4;
/// Default Jaccard threshold for a near duplicate.
pub const DEFAULT_THRESHOLD: f64 = 0.45;
/// Default signature length (values per document).
pub const DEFAULT_NUM_PERM: usize = 128;
/// Default seed of every hash.
pub const DEFAULT_SEED: u64 = 1;
/// Documents read per batch in the first pass.
pub const READ_BATCH_DOCS: usize = 2048;
/// Documents read to measure the mean size of a corpus's documents
/// ([`crate::corpus::Corpus::mean_document_bytes`]).
pub const PROBE_DOCS: usize = 64;
/// Fewest documents to a batch sized by [`docs_per_batch`].
pub const MIN_BATCH_DOCS: usize = 64;

/// Documents to a batch that keeps about `keep_bytes` of words or shingle hashes of what it
/// reads, for documents of `mean` bytes: [`READ_BATCH_DOCS`] for short documents, or when
/// nothing was measured or nothing is kept; fewer for long ones, never under
/// [`MIN_BATCH_DOCS`]. A word (or word shingle) takes a hash of 8 bytes, about 1.4 bytes per
/// byte of English text, counted here as 1.5.
pub fn docs_per_batch(keep_bytes: usize, mean: Option<f64>) -> usize {
    match mean {
        Some(mean) if mean > 0.0 && keep_bytes > 0 => ((keep_bytes as f64 / (1.5 * mean)) as usize)
            .clamp(MIN_BATCH_DOCS.min(READ_BATCH_DOCS), READ_BATCH_DOCS),
        _ => READ_BATCH_DOCS,
    }
}

/// Bytes of JSONL records and mbox messages read per batch, at most (one record more):
/// batches of long records hold fewer of them.
pub const READ_BATCH_BYTES: usize = 16 << 20;
/// Bytes of words the boilerplate census keeps of the documents it read, so that the first
/// pass does not read and split them again (less under `--memory`: see `MemoryPlan` in `scan.rs`).
pub const CENSUS_KEEP_BYTES: usize = 96 << 20;
/// Bytes of shingle sets the first pass keeps for verification, of documents that share a
/// band with one read before them (most will be in a candidate pair), so that verification
/// does not read them again (less under `--memory`). Each set kept saves reading and splitting
/// its document again, about 20 µs of one core for a news article.
pub const VERIFY_KEEP_BYTES: usize = 192 << 20;
/// Bytes of the table of band keys that picks those documents (see [`crate::lsh`]).
pub const SEEN_BANDS_BYTES: usize = 16 << 20;
/// Most documents whose shingle sets are held at once while verifying.
pub const VERIFY_BATCH_DOCS: usize = 4096;
/// Most bytes of shingle sets held at once while verifying (fewer documents when they are long).
pub const VERIFY_BATCH_BYTES: usize = 64 << 20;

/// Everything a scan needs to know.
#[derive(Clone, Debug)]
pub struct ScanConfig {
    /// Which files are read and how.
    pub input: InputOptions,
    /// How documents are cut into shingles.
    pub shingle: ShingleKind,
    /// Signature length.
    pub num_perm: usize,
    /// Seed of the shingle and signature hashes.
    pub seed: u64,
    /// Jaccard similarity from which two documents are near duplicates.
    pub threshold: f64,
    /// Bands and rows; `None` derives them from the threshold.
    pub lsh: Option<LshParams>,
    /// Check every candidate with exact Jaccard (true) or trust the MinHash estimate.
    pub verify: bool,
    /// How site boilerplate is learned and left out.
    pub boilerplate: BoilerplateConfig,
    /// Also report documents of which at least this share lies in another (kind
    /// `contained`); `None` looks for near duplicates only.
    pub containment: Option<f64>,
    /// Memory budget in bytes: when the signatures and band tables would need more, they go
    /// to temporary files (see [`crate::spill`]). `None`: no budget.
    pub memory: Option<u64>,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            input: InputOptions::default(),
            shingle: ShingleKind::default(),
            num_perm: DEFAULT_NUM_PERM,
            seed: DEFAULT_SEED,
            threshold: DEFAULT_THRESHOLD,
            lsh: None,
            verify: true,
            boilerplate: BoilerplateConfig::default(),
            containment: None,
            memory: None,
        }
    }
}

impl ScanConfig {
    /// Checks that the options can work together.
    ///
    /// # Errors
    /// [`Error::Config`] naming the option and the reason.
    pub fn validate(&self) -> Result<()> {
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return Err(Error::Config(format!(
                "--threshold {} must be above 0 and at most 1",
                self.threshold
            )));
        }
        if !(1..=4096).contains(&self.num_perm) {
            return Err(Error::Config(format!(
                "--num-perm {} must be from 1 to 4096",
                self.num_perm
            )));
        }
        if let Some(p) = self.lsh {
            if p.bands == 0 || p.rows == 0 || p.bands * p.rows > self.num_perm {
                return Err(Error::Config(format!(
                    "--bands {} × --rows {} must be at least 1 and at most --num-perm {}",
                    p.bands, p.rows, self.num_perm
                )));
            }
        }
        if let Some(c) = self.containment {
            if !(c > 0.0 && c <= 1.0) {
                return Err(Error::Config(format!(
                    "--containment {c} must be above 0 and at most 1"
                )));
            }
        }
        let bp = &self.boilerplate;
        if !(0.0..=1.0).contains(&bp.share) || bp.min_docs < 2 || bp.sample == 0 {
            return Err(Error::Config(format!(
                "boilerplate share {} must be from 0 to 1, its minimum documents {} at least 2, its sample {} at least 1",
                bp.share, bp.min_docs, bp.sample
            )));
        }
        if self.input.text_field.is_empty() {
            return Err(Error::Config("--text-field must not be empty".into()));
        }
        Ok(())
    }

    /// The bands and rows in force.
    pub fn lsh_params(&self) -> LshParams {
        self.lsh
            .unwrap_or_else(|| LshParams::for_threshold(self.threshold, self.num_perm))
    }
}

/// Parses a size in bytes: a number with an optional `K`, `M`, `G` or `T` (powers of 1024;
/// `KiB`, `MB` and the like are read the same way).
///
/// ```
/// use neardup::config::parse_size;
/// assert_eq!(parse_size("512M").unwrap(), 512 << 20);
/// assert_eq!(parse_size("1.5G").unwrap(), 3 << 29);
/// assert_eq!(parse_size("4096").unwrap(), 4096);
/// assert!(parse_size("lots").is_err());
/// ```
pub fn parse_size(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size such as 512M or 2G"))?;
    let scale: u64 = match unit
        .trim()
        .to_ascii_uppercase()
        .trim_end_matches(['B', 'I'])
    {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return Err(format!("unknown unit in {s:?}: use K, M, G or T")),
    };
    Ok((n * scale as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert!(ScanConfig::default().validate().is_ok());
        let bad = [
            ScanConfig {
                threshold: 0.0,
                ..Default::default()
            },
            ScanConfig {
                threshold: 1.5,
                ..Default::default()
            },
            ScanConfig {
                threshold: f64::NAN,
                ..Default::default()
            },
            ScanConfig {
                num_perm: 0,
                ..Default::default()
            },
            ScanConfig {
                lsh: Some(LshParams { bands: 65, rows: 2 }),
                ..Default::default()
            },
        ];
        for c in bad {
            assert!(c.validate().is_err(), "{c:?}");
        }
    }

    #[test]
    fn long_documents_are_fewer_to_a_batch() {
        let most = READ_BATCH_DOCS;
        // Whole batches for short documents, when nothing is kept or nothing was measured.
        assert_eq!(docs_per_batch(96 << 20, Some(3_000.0)), most);
        assert_eq!(docs_per_batch(0, Some(300_000.0)), most);
        assert_eq!(docs_per_batch(96 << 20, None), most);
        assert_eq!(docs_per_batch(96 << 20, Some(0.0)), most);
        // Long ones: few enough that each keeps 1.5 bytes a byte of text within the room.
        let b = docs_per_batch(96 << 20, Some(300_000.0));
        assert!(b < most && (96 << 20) / b >= 450_000, "{b}");
        assert!((96 << 20) / (b + 1) < 450_000, "{b}");
        // Never under the smallest batch, however long they are.
        assert_eq!(docs_per_batch(1 << 20, Some(1e9)), MIN_BATCH_DOCS);
    }
}
