//! neardup finds duplicate and near-duplicate documents in large text corpora.
//!
//! The pipeline, one module per stage: [`corpus`] → [`normalize`] → [`shingle`] → [`minhash`]
//! → [`lsh`] → [`verify`] → [`cluster`] → [`report`]; [`scan`] wires them together. The
//! library never prints or exits: progress goes through [`progress::Progress`], problems with
//! single inputs come back as values.
//!
//! ```no_run
//! use neardup::{config::ScanConfig, corpus::Corpus, progress::NoProgress};
//! let config = ScanConfig::default();
//! let corpus = Corpus::open(&["articles".into()], config.input.clone())?;
//! let out = neardup::scan::scan(&corpus, &config, &NoProgress)?;
//! for cluster in &out.report.clusters {
//!     println!("{} documents like {}", cluster.members.len(), cluster.representative);
//! }
//! # Ok::<(), neardup::Error>(())
//! ```
#![deny(missing_docs)]

pub mod boilerplate;
pub mod cluster;
pub mod compare;
pub mod config;
pub mod corpus;
pub mod dedup;
pub mod error;
pub mod eval;
pub mod extracted;
mod folders;
pub mod headline;
pub mod html;
pub mod index;
pub mod lines;
pub mod lsh;
pub mod mail;
pub mod minhash;
pub mod normalize;
pub mod progress;
pub mod report;
pub mod scan;
pub mod shingle;
pub mod spill;
pub mod verify;

pub use error::{Error, Result};
pub mod synth;
