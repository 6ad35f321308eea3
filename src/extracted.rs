//! Part of the corpus stage: the text extracted from documents that are costly to read (HTML
//! pages, and messages whose body is mostly attachments or markup), kept in a temporary file
//! for the rest of a run.
//!
//! A scan reads a document up to three times: in the boilerplate sample, to fingerprint it, and
//! to verify its candidate pairs. Turning a page into text costs far more than reading the
//! text back (on real documentation pages, 250 MB/s of HTML per core), so the first read
//! writes the result here and later reads take it from here. Memory holds only where each
//! document's record starts; the texts are on disk, in an unnamed file the system removes when
//! the run ends, however it ends.
//!
//! Invariants: a document's record, once written, never changes; a read gives back exactly
//! what was written. Any failure (no temporary space, a short read) only means the document
//! is extracted again, as without the store.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

/// What is kept of one extracted document: all of [`crate::corpus::Document`] but its id,
/// which the corpus knows, plus the cause of its reading warning.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extracted {
    /// The headline.
    pub title: Option<String>,
    /// The text.
    pub text: String,
    /// The date, as the corpus writes it.
    pub date: Option<String>,
    /// Why the document was read only in part, if it was.
    pub warning: Option<String>,
}

/// An [`Extracted`] document borrowed, as [`Store::put`] takes it.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    /// The headline.
    pub title: Option<&'a str>,
    /// The text.
    pub text: &'a str,
    /// The date.
    pub date: Option<&'a str>,
    /// The reading warning's cause.
    pub warning: Option<&'a str>,
}

impl Extracted {
    /// This document as [`Store::put`] takes it.
    pub fn record(&self) -> Record<'_> {
        Record {
            title: self.title.as_deref(),
            text: &self.text,
            date: self.date.as_deref(),
            warning: self.warning.as_deref(),
        }
    }
}

/// Extracted documents of one run, by input file number.
pub struct Store {
    file: File,
    /// Where the next record goes: records are placed by reserving their length here, so
    /// that threads write at once without a lock.
    end: AtomicU64,
    /// Each stored file's record: where it starts and its length.
    at: Mutex<HashMap<u32, (u64, u32)>>,
    /// Set after a failed write: nothing more is stored.
    broken: AtomicBool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("bytes", &self.end.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Length prefix meaning "no value" for an optional field.
const NONE: u32 = u32::MAX;

fn put_field(out: &mut Vec<u8>, field: Option<&str>) {
    match field {
        Some(s) => {
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        None => out.extend_from_slice(&NONE.to_le_bytes()),
    }
}

/// Reads one optional field at the front of `rest`, leaving `rest` after it; `Err` when the
/// bytes are not a field.
fn take_field(rest: &mut &[u8]) -> Result<Option<String>, ()> {
    let (len, tail) = rest.split_first_chunk::<4>().ok_or(())?;
    let len = u32::from_le_bytes(*len);
    if len == NONE {
        *rest = tail;
        return Ok(None);
    }
    let len = len as usize;
    if tail.len() < len {
        return Err(());
    }
    let (s, tail) = tail.split_at(len);
    *rest = tail;
    String::from_utf8(s.to_vec()).map(Some).map_err(|_| ())
}

/// A record: the three optional fields, each with its length, then the text.
fn encode(doc: Record<'_>) -> Vec<u8> {
    let fields = [doc.title, doc.date, doc.warning];
    let size: usize = fields.iter().map(|f| 4 + f.map_or(0, str::len)).sum();
    let mut out = Vec::with_capacity(size + doc.text.len());
    for f in fields {
        put_field(&mut out, f);
    }
    out.extend_from_slice(doc.text.as_bytes());
    out
}

/// The document in a record read back; the text keeps the record's buffer, without a copy.
fn decode(mut record: Vec<u8>) -> Result<Extracted, ()> {
    let mut rest = &record[..];
    let title = take_field(&mut rest)?;
    let date = take_field(&mut rest)?;
    let warning = take_field(&mut rest)?;
    let header = record.len() - rest.len();
    record.drain(..header);
    let text = String::from_utf8(record).map_err(|_| ())?;
    Ok(Extracted {
        title,
        text,
        date,
        warning,
    })
}

impl Store {
    /// An empty store in a new unnamed temporary file.
    ///
    /// # Errors
    /// When no temporary file can be made.
    pub fn new() -> std::io::Result<Store> {
        Ok(Store {
            file: tempfile::tempfile()?,
            end: AtomicU64::new(0),
            at: Mutex::new(HashMap::new()),
            broken: AtomicBool::new(false),
        })
    }

    /// Keeps `doc` as input file `file`'s extracted document, unless one is kept already or
    /// the store has stopped working.
    pub fn put(&self, file: u32, doc: Record<'_>) {
        if self.broken.load(Ordering::Relaxed) || self.lock().contains_key(&file) {
            return;
        }
        let bytes = encode(doc);
        let Ok(len) = u32::try_from(bytes.len()) else {
            return;
        };
        let start = self.end.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        match self.file.write_all_at(&bytes, start) {
            // Two threads may have written the same file's record: either one will do.
            Ok(()) => {
                self.lock().entry(file).or_insert((start, len));
            }
            Err(_) => self.broken.store(true, Ordering::Relaxed),
        }
    }

    /// Input file `file`'s extracted document, when it is kept and can be read back.
    pub fn get(&self, file: u32) -> Option<Extracted> {
        if self.bytes() == 0 {
            // Nothing stored (a folder of plain text): no lock taken.
            return None;
        }
        let (start, len) = *self.lock().get(&file)?;
        let mut bytes = vec![0u8; len as usize];
        self.file.read_exact_at(&mut bytes, start).ok()?;
        decode(bytes).ok()
    }

    /// Bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.end.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, (u64, u32)>> {
        // A panic while the lock is held cannot leave the map half-changed: take it as it is.
        self.at.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_come_back_as_they_went_in() {
        let store = Store::new().unwrap();
        let docs = [
            Extracted {
                title: Some("Héadline".into()),
                text: "Héadline\nfirst line\n\nsecond".into(),
                date: Some("00000001700000000000".into()),
                warning: None,
            },
            Extracted::default(),
            Extracted {
                title: Some(String::new()),
                text: "x".repeat(100_000),
                date: None,
                warning: Some("invalid UTF-8 replaced".into()),
            },
        ];
        for (i, d) in docs.iter().enumerate() {
            store.put(i as u32 * 7, d.record());
        }
        // A second record for a file is not taken: the first stays.
        store.put(0, docs[1].record());
        for (i, d) in docs.iter().enumerate() {
            assert_eq!(store.get(i as u32 * 7).as_ref(), Some(d), "document {i}");
        }
        assert_eq!(store.get(1), None);
    }

    #[test]
    fn threads_write_at_once_without_mixing_records() {
        use rayon::prelude::*;
        let store = Store::new().unwrap();
        let doc = |i: u32| Extracted {
            title: Some(format!("title {i}")),
            text: format!("text of document {i} ").repeat(i as usize % 50 + 1),
            date: None,
            warning: None,
        };
        (0..2_000u32)
            .into_par_iter()
            .for_each(|i| store.put(i, doc(i).record()));
        for i in 0..2_000u32 {
            assert_eq!(store.get(i), Some(doc(i)), "document {i}");
        }
    }

    #[test]
    fn broken_records_are_not_documents() {
        let doc = Extracted {
            title: Some("a".into()),
            text: "b".into(),
            date: None,
            warning: None,
        };
        let bytes = encode(doc.record());
        assert_eq!(decode(bytes.clone()), Ok(doc));
        for cut in 0..13 {
            assert_eq!(decode(bytes[..cut].to_vec()), Err(()), "cut at {cut}");
        }
    }
}
