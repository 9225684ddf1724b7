//! appxview: find the bad package fast in Windows AppX/MSIX deployment logs.
//!
//! Data flows one way:
//! `ingest` (EVTX and JSON files → [`model::Event`]) → `sigma` (rules mark events) →
//! `store` (everything loaded) → `filter` (what is shown) → `export` / `ui` (what the
//! investigator sees and takes away). `schema` explains events (types, decodings, messages).
//! Only `jobs` starts threads; only `ui` knows egui. See ARCHITECTURE.md.

pub mod appx;
pub mod bench;
pub mod cli;
pub mod evtx_format;
pub mod evtx_writer;
pub mod export;
pub mod filter;
pub mod ingest;
pub mod inspect;
pub mod jobs;
pub mod memory;
pub mod model;
pub mod packed;
pub mod schema;
pub mod sigma;
pub mod store;
pub mod ui;
