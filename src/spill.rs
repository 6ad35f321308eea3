//! Beyond memory: when a corpus's signatures and band tables would pass the `--memory` budget,
//! signatures go to a temporary file instead of memory, and each LSH band table is built from
//! that file as sorted runs on disk, then merged run against run, one band at a time.
//!
//! Signatures are the scan's shortened ones ([`crate::minhash::shorten`]), two bytes a value.
//! Memory then holds the per-document metadata, two `u32` per document to translate between
//! input order and id order, and run buffers of at most the budget given. The candidates are
//! exactly those of the in-memory path ([`crate::lsh::candidates`]), in the same order.
//!
//! Files live in a temporary folder (under `TMPDIR`) that is removed when the spilled data is
//! dropped, also after an error.

use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::lsh::{self, band_entry, band_key, LshParams, PairSet};

/// Bytes of one band-table entry ([`lsh::band_entry`]), in memory and on disk.
const ENTRY: usize = 8;
/// Bytes of one signature value on disk.
const VALUE: usize = 2;
/// Documents read from the signature file at a time.
const CHUNK_DOCS: usize = 4096;

/// Signatures appended to a temporary file in input order.
pub struct SignatureWriter {
    dir: tempfile::TempDir,
    out: BufWriter<File>,
    k: usize,
    docs: usize,
}

/// Signatures in a temporary file, read by id-order document number.
pub struct SpilledSignatures {
    dir: tempfile::TempDir,
    file: File,
    k: usize,
    /// For each document in id order, its position in the file.
    order: Vec<u32>,
}

fn io_err(path: &Path) -> impl Fn(io::Error) -> io::Error + '_ {
    move |e| io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

impl SignatureWriter {
    /// A writer for signatures of `k` values, in a new temporary folder.
    ///
    /// # Errors
    /// When the temporary folder or file cannot be created.
    pub fn new(k: usize) -> io::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("neardup-spill-")
            .tempdir()?;
        let path = dir.path().join("signatures");
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io_err(&path))?;
        Ok(SignatureWriter {
            out: BufWriter::with_capacity(1 << 20, file),
            dir,
            k,
            docs: 0,
        })
    }

    /// The folder the spilled files go to.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Appends one signature.
    ///
    /// # Errors
    /// When the file cannot be written (a full disk, for instance).
    pub fn push(&mut self, sig: &[u16]) -> io::Result<()> {
        debug_assert_eq!(sig.len(), self.k);
        let mut bytes = [0u8; VALUE * 64];
        for chunk in sig.chunks(64) {
            for (i, v) in chunk.iter().enumerate() {
                bytes[VALUE * i..VALUE * (i + 1)].copy_from_slice(&v.to_le_bytes());
            }
            self.out.write_all(&bytes[..VALUE * chunk.len()])?;
        }
        self.docs += 1;
        Ok(())
    }

    /// Ends writing; `order[i]` is the position in the file of the `i`-th document in id order.
    ///
    /// # Errors
    /// When the file cannot be flushed.
    pub fn finish(self, order: Vec<u32>) -> io::Result<SpilledSignatures> {
        assert_eq!(order.len(), self.docs, "one position per document");
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        Ok(SpilledSignatures {
            dir: self.dir,
            file,
            k: self.k,
            order,
        })
    }
}

/// A sorted run of one band's entries ([`lsh::band_entry`]), read back in order.
struct Run {
    reader: BufReader<File>,
    next: Option<u64>,
}

impl Run {
    fn open(path: &Path) -> io::Result<Run> {
        let file = File::open(path).map_err(io_err(path))?;
        let mut run = Run {
            reader: BufReader::with_capacity(1 << 16, file),
            next: None,
        };
        run.advance()?;
        Ok(run)
    }

    fn advance(&mut self) -> io::Result<()> {
        let mut e = [0u8; ENTRY];
        self.next = match self.reader.read_exact(&mut e) {
            Ok(()) => Some(u64::from_le_bytes(e)),
            Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => None,
            Err(err) => return Err(err),
        };
        Ok(())
    }
}

impl SpilledSignatures {
    /// Number of documents.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when there are no documents.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Reads the signature of document `d` (id order) into `out` (`k` values).
    ///
    /// # Errors
    /// When the file cannot be read.
    pub fn read(&self, d: u32, out: &mut [u16]) -> io::Result<()> {
        let mut bytes = vec![0u8; VALUE * self.k];
        let at = self.order[d as usize] as u64 * (VALUE * self.k) as u64;
        self.file.read_exact_at(&mut bytes, at)?;
        decode_values(&bytes, out);
        Ok(())
    }

    fn run_path(&self, run: usize, band: usize) -> PathBuf {
        self.dir.path().join(format!("run-{run}-band-{band}"))
    }

    /// Candidate pairs among `docs` (id order, sorted), exactly as
    /// [`crate::lsh::candidates`] gives them for the same signatures in memory, with band
    /// tables built as sorted runs of at most `budget` bytes in all, then merged. Returns the
    /// pairs and the number of runs per band.
    ///
    /// # Errors
    /// When a spill file cannot be written or read.
    pub fn candidates<F>(
        &self,
        docs: &[u32],
        params: LshParams,
        keep: F,
        budget: usize,
    ) -> io::Result<(Vec<(u32, u32)>, usize)>
    where
        F: Fn(u32, u32) -> bool + Sync,
    {
        let (k, n) = (self.k, self.order.len());
        assert!(params.bands * params.rows <= k);
        let mut rank = vec![u32::MAX; n];
        for &d in docs {
            rank[self.order[d as usize] as usize] = d;
        }
        // At least 64 documents a run, so that a tiny budget cannot open thousands of files.
        let per_run = (budget / ENTRY).max(params.bands * 64);
        let mut buffers: Vec<Vec<u64>> = vec![Vec::new(); params.bands];
        let mut held = 0usize;
        let mut runs = 0usize;
        let flush = |buffers: &mut Vec<Vec<u64>>, runs: &mut usize| -> io::Result<()> {
            let run = *runs;
            buffers
                .par_iter_mut()
                .enumerate()
                .try_for_each(|(band, table)| -> io::Result<()> {
                    table.sort_unstable();
                    let path = self.run_path(run, band);
                    let mut out = BufWriter::new(File::create(&path).map_err(io_err(&path))?);
                    for &entry in table.iter() {
                        out.write_all(&entry.to_le_bytes())?;
                    }
                    out.flush().map_err(io_err(&path))?;
                    table.clear();
                    Ok(())
                })?;
            *runs += 1;
            Ok(())
        };
        // A clone shares the file position with the original, which only reads at offsets.
        let mut file = self.file.try_clone()?;
        {
            use std::io::Seek;
            file.seek(io::SeekFrom::Start(0))?;
        }
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut bytes = vec![0u8; VALUE * k * CHUNK_DOCS];
        let mut sig = vec![0u16; k];
        let mut pos = 0usize;
        while pos < n {
            let count = CHUNK_DOCS.min(n - pos);
            let chunk = &mut bytes[..VALUE * k * count];
            reader.read_exact(chunk)?;
            for (i, raw) in chunk.chunks_exact(VALUE * k).enumerate() {
                let d = rank[pos + i];
                if d == u32::MAX {
                    continue;
                }
                decode_values(raw, &mut sig);
                for (band, table) in buffers.iter_mut().enumerate() {
                    let start = band * params.rows;
                    table.push(band_entry(
                        band_key(&sig[start..start + params.rows], band),
                        d,
                    ));
                }
                held += params.bands;
                if held >= per_run {
                    flush(&mut buffers, &mut runs)?;
                    held = 0;
                }
            }
            pos += count;
        }
        if held > 0 || runs == 0 {
            flush(&mut buffers, &mut runs)?;
        }
        drop(buffers);
        // The threads merge their bands' pairs into one set, repeats removed as they go.
        let pairs = PairSet::new(rayon::current_num_threads());
        (0..params.bands).into_par_iter().try_for_each_init(
            Vec::new,
            |fresh, band| -> io::Result<()> {
                let mut open: Vec<Run> = (0..runs)
                    .map(|r| Run::open(&self.run_path(r, band)))
                    .collect::<io::Result<_>>()?;
                // Smallest entry first across runs.
                let mut heap: BinaryHeap<std::cmp::Reverse<(u64, usize)>> = open
                    .iter()
                    .enumerate()
                    .filter_map(|(i, r)| r.next.map(|e| std::cmp::Reverse((e, i))))
                    .collect();
                let mut bucket: Vec<u32> = Vec::new();
                let mut current: Option<u64> = None;
                while let Some(std::cmp::Reverse((entry, i))) = heap.pop() {
                    if current != Some(entry >> 32) {
                        lsh::bucket_pairs(&bucket, &keep, fresh);
                        pairs.settle_if_due(fresh);
                        bucket.clear();
                        current = Some(entry >> 32);
                    }
                    bucket.push(entry as u32);
                    open[i].advance()?;
                    if let Some(e) = open[i].next {
                        heap.push(std::cmp::Reverse((e, i)));
                    }
                }
                lsh::bucket_pairs(&bucket, &keep, fresh);
                // Each band's pairs join the set before the next band, so that a buffer never
                // outlives its thread's share of the bands unmerged.
                pairs.settle(fresh);
                for r in 0..runs {
                    // Each band's runs are done with: give the disk space back early.
                    let _ = std::fs::remove_file(self.run_path(r, band));
                }
                Ok(())
            },
        )?;
        let pairs = pairs.into_sorted();
        Ok((lsh::unpack(pairs), runs))
    }
}

/// Little-endian signature values from `bytes` into `out`.
fn decode_values(bytes: &[u8], out: &mut [u16]) {
    for (o, c) in out.iter_mut().zip(bytes.chunks_exact(VALUE)) {
        *o = u16::from_le_bytes([c[0], c[1]]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minhash::{MinHasher, Scratch};

    #[test]
    fn spilled_candidates_equal_in_memory_candidates() {
        // 600 documents in families of three (two near copies each), signatures at k = 32.
        let (k, n) = (32usize, 600u32);
        let mh = MinHasher::new(k, 3);
        let mut s = Scratch::default();
        let mut full = vec![0u32; k];
        let mut sigs = vec![0u16; n as usize * k];
        for d in 0..n {
            let family = (d / 3) as u64;
            let set: Vec<u64> = (0..60u64)
                .map(|i| {
                    if i < 50 {
                        family * 1000 + i
                    } else {
                        d as u64 * 7919 + i
                    }
                })
                .collect();
            mh.signature_into(&set, &mut s, &mut full);
            crate::minhash::shorten(&full, &mut sigs[d as usize * k..][..k]);
        }
        // Input order is the reverse of id order.
        let order: Vec<u32> = (0..n).rev().collect();
        let mut w = SignatureWriter::new(k).unwrap();
        for &p in (0..n).collect::<Vec<_>>().iter() {
            let d = order.iter().position(|&x| x == p).unwrap();
            w.push(&sigs[d * k..][..k]).unwrap();
        }
        let spilled = w.finish(order).unwrap();
        let mut got = vec![0u16; k];
        spilled.read(5, &mut got).unwrap();
        assert_eq!(got, sigs[5 * k..6 * k]);
        let docs: Vec<u32> = (0..n).filter(|d| d % 5 != 0).collect();
        let params = LshParams::for_threshold(0.5, k);
        let keep = |a: u32, b: u32| !(a + b).is_multiple_of(7);
        let want = lsh::candidates(&sigs, k, &docs, params, keep);
        assert!(want.len() >= 300, "{} pairs", want.len());
        // A budget so small that every band takes several runs.
        let (pairs, runs) = spilled.candidates(&docs, params, keep, 1).unwrap();
        assert!(runs > 1, "{runs} runs");
        assert_eq!(pairs, want);
        let (pairs, runs) = spilled.candidates(&docs, params, keep, 1 << 30).unwrap();
        assert_eq!(runs, 1);
        assert_eq!(pairs, want);
    }
}
