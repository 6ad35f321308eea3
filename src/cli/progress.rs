//! Progress bars on stderr (indicatif), behind the library's `Progress` trait.

use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use neardup::progress::Progress;

/// Draws one bar per stage, or nothing when disabled.
pub struct Bars {
    enabled: bool,
    current: Mutex<Option<ProgressBar>>,
}

impl Bars {
    /// Bars that draw only when `enabled` (a terminal, and not `--quiet`).
    pub fn new(enabled: bool) -> Self {
        Bars {
            enabled,
            current: Mutex::new(None),
        }
    }
}

impl Progress for Bars {
    fn begin(&self, stage: &'static str, total: Option<u64>) {
        if !self.enabled {
            return;
        }
        let bar = match total {
            Some(n) => ProgressBar::new(n).with_style(
                ProgressStyle::with_template(
                    "{msg:>14} [{bar:40}] {pos}/{len} {per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{msg:>14} {spinner} {pos} {per_sec}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        bar.set_message(stage);
        if let Ok(mut cur) = self.current.lock() {
            if let Some(old) = cur.replace(bar) {
                old.finish_and_clear();
            }
        }
    }

    fn advance(&self, n: u64) {
        if let Ok(cur) = self.current.lock() {
            if let Some(bar) = cur.as_ref() {
                bar.inc(n);
            }
        }
    }

    fn finish(&self) {
        if let Ok(mut cur) = self.current.lock() {
            if let Some(bar) = cur.take() {
                bar.finish_and_clear();
            }
        }
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        self.finish();
    }
}
