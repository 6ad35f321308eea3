//! Part of stage 1, corpus: opening listed files by their name inside an open handle on their
//! folder, so that the system looks up one name per file instead of every folder of its path.
//! Reading 150,000 files of a few kilobytes, that lookup is about a tenth of the time spent in
//! the system.
//!
//! Only folders holding at least [`MIN_FILES`] listed files in a row get a handle, and at most
//! [`MAX_HANDLES`] of them, so that a tree of many small folders (a Maildir of many
//! mailboxes, say) cannot run out of file descriptors. Any other file, and any file whose
//! folder cannot be opened, is opened by its whole path. How a file is opened never changes
//! what is read from it.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A run of fewer listed files than this in one folder is opened by whole paths.
pub(crate) const MIN_FILES: usize = 16;

/// Folders given a handle, at most.
pub(crate) const MAX_HANDLES: usize = 256;

/// No folder handle for a file.
const NONE: u32 = u32::MAX;

/// The folders of a listing that get a handle, and which files are in them.
#[derive(Debug, Default)]
pub(crate) struct Folders {
    /// Per listed file, the index of its folder in `folders`, or [`NONE`].
    of_file: Vec<u32>,
    folders: Vec<Folder>,
}

#[derive(Debug)]
struct Folder {
    path: PathBuf,
    /// Opened at the first file read from it; `None` when it cannot be.
    handle: OnceLock<Option<Handle>>,
}

#[cfg(unix)]
type Handle = std::os::fd::OwnedFd;
#[cfg(not(unix))]
type Handle = ();

impl Folders {
    /// The folders of the files at `paths`, in listing order: runs of files with the same
    /// parent, the longest first up to [`MAX_HANDLES`] of them.
    pub(crate) fn new<'a>(paths: impl Iterator<Item = &'a Path>) -> Self {
        if !cfg!(unix) {
            return Folders::default();
        }
        // (first file, files, parent) of each run of files in one folder.
        let mut runs: Vec<(usize, usize, &Path)> = Vec::new();
        for (i, path) in paths.enumerate() {
            let Some(parent) = path.parent() else {
                continue;
            };
            match runs.last_mut() {
                // Compared as bytes: two spellings of one folder only split a run.
                Some((first, len, p))
                    if p.as_os_str() == parent.as_os_str() && *first + *len == i =>
                {
                    *len += 1
                }
                _ => runs.push((i, 1, parent)),
            }
        }
        let Some(&(last_first, last_len, _)) = runs.last() else {
            return Folders::default();
        };
        let mut big: Vec<(usize, usize, &Path)> = runs
            .into_iter()
            .filter(|r| r.1 >= MIN_FILES && !r.2.as_os_str().is_empty())
            .collect();
        // The longest runs, ties to the first; then back in listing order.
        big.sort_by_key(|r| (std::cmp::Reverse(r.1), r.0));
        big.truncate(MAX_HANDLES);
        big.sort_by_key(|r| r.0);
        let mut of_file = vec![NONE; last_first + last_len];
        let mut folders = Vec::with_capacity(big.len());
        for (first, len, parent) in big {
            of_file[first..first + len].fill(folders.len() as u32);
            folders.push(Folder {
                path: parent.to_path_buf(),
                handle: OnceLock::new(),
            });
        }
        Folders { of_file, folders }
    }

    /// Opens listed file number `file`, found at `path`, for reading.
    pub(crate) fn open(&self, file: usize, path: &Path) -> std::io::Result<File> {
        #[cfg(unix)]
        if let (Some(handle), Some(name)) = (self.handle(file), path.file_name()) {
            use rustix::fs::{Mode, OFlags};
            let fd = rustix::fs::openat(
                handle,
                name,
                OFlags::RDONLY | OFlags::CLOEXEC,
                Mode::empty(),
            )?;
            return Ok(File::from(fd));
        }
        File::open(path)
    }

    /// The open handle on the folder of file number `file`, if it has one.
    #[cfg_attr(not(unix), allow(dead_code))]
    fn handle(&self, file: usize) -> Option<&Handle> {
        let at = *self.of_file.get(file)?;
        let folder = self.folders.get(at as usize)?;
        folder
            .handle
            .get_or_init(|| open_folder(&folder.path))
            .as_ref()
    }

    /// How many folders may get a handle.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.folders.len()
    }
}

#[cfg(unix)]
fn open_folder(path: &Path) -> Option<Handle> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    rustix::fs::open(path, flags, Mode::empty()).ok()
}

#[cfg(not(unix))]
fn open_folder(_: &Path) -> Option<Handle> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_long_runs_get_a_handle_and_files_open_through_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut paths: Vec<PathBuf> = Vec::new();
        for (folder, n) in [("big", MIN_FILES), ("small", MIN_FILES - 1)] {
            std::fs::create_dir(dir.path().join(folder)).unwrap();
            for i in 0..n {
                let p = dir.path().join(folder).join(format!("{i:02}.txt"));
                std::fs::write(&p, format!("{folder} {i}")).unwrap();
                paths.push(p);
            }
        }
        let folders = Folders::new(paths.iter().map(PathBuf::as_path));
        assert_eq!(folders.len(), usize::from(cfg!(unix)));
        for (i, p) in paths.iter().enumerate() {
            assert_eq!(
                folders.handle(i).is_some(),
                cfg!(unix) && i < MIN_FILES,
                "{i}"
            );
            let mut text = String::new();
            std::io::Read::read_to_string(&mut folders.open(i, p).unwrap(), &mut text).unwrap();
            assert_eq!(text, std::fs::read_to_string(p).unwrap(), "{i}");
        }
        // A file gone since the listing gives the error opening it by path gives.
        std::fs::remove_file(&paths[3]).unwrap();
        let err = folders.open(3, &paths[3]).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        assert_eq!(
            err.to_string(),
            File::open(&paths[3]).unwrap_err().to_string()
        );
    }

    #[test]
    fn at_most_the_longest_runs_get_handles() {
        // MAX_HANDLES + 1 runs, the first one shorter than all others.
        let mut paths: Vec<PathBuf> = Vec::new();
        for f in 0..=MAX_HANDLES {
            let n = if f == 0 { MIN_FILES } else { MIN_FILES + 1 };
            paths.extend((0..n).map(|i| PathBuf::from(format!("/d{f}/{i}"))));
        }
        let folders = Folders::new(paths.iter().map(PathBuf::as_path));
        if cfg!(unix) {
            assert_eq!(folders.len(), MAX_HANDLES);
            assert_eq!(folders.of_file[0], NONE);
            assert_eq!(folders.of_file[MIN_FILES], 0);
            assert_eq!(*folders.of_file.last().unwrap() as usize, MAX_HANDLES - 1);
        }
    }
}
