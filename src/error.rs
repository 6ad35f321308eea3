//! The library's one error type. Every message names the input or the value at fault.

use std::path::PathBuf;

/// Errors that stop a whole run. Problems with single documents are not errors: they are
/// reported as [`crate::corpus::Problem`]s and the run goes on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A path given by the user does not exist.
    #[error("{}: no such file or folder", .path.display())]
    NotFound {
        /// The path as given.
        path: PathBuf,
    },
    /// An I/O error on a named path that makes the run impossible.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An option value that cannot work, with the reason.
    #[error("invalid option: {0}")]
    Config(String),
    /// A document that a command needs could not be read.
    #[error("{input}: {cause}")]
    Document {
        /// The input, as a user would find it.
        input: String,
        /// What is wrong with it.
        cause: String,
    },
    /// A persistent index that cannot be opened, read or written, or does not fit this use.
    #[error("index {}: {cause}", .path.display())]
    Index {
        /// The index file.
        path: PathBuf,
        /// What is wrong.
        cause: String,
    },
    /// Standard input could not be read or spooled.
    #[error("standard input: {0}")]
    Stdin(std::io::Error),
}

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
