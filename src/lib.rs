//! appxview: find the bad package fast in Windows AppX/MSIX deployment logs.
//!
//! Data flows one way:
//! `ingest` (EVTX and JSON files → [`model::Event`]) → `sigma` (rules mark events) →
//! `filter` (what is shown) → `export` / `ui` (what the investigator sees and takes away).
//! Only `jobs` starts threads; only `ui` knows egui. See ARCHITECTURE.md.

pub mod appx;
pub mod evtx_writer;
pub mod model;
