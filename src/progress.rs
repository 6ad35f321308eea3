//! How the library tells its caller how far a run has come, without printing anything itself.

/// Receives progress. Every method has a default that does nothing.
pub trait Progress: Sync {
    /// A stage starts; `total` is the amount of work when it is known in advance.
    fn begin(&self, _stage: &'static str, _total: Option<u64>) {}
    /// `n` more units of the current stage are done.
    fn advance(&self, _n: u64) {}
    /// The current stage is over.
    fn finish(&self) {}
}

/// A [`Progress`] that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
