//! The AppX event schema: package identities, the event catalogue (fields, types, messages per
//! provider and event id), value decoders and the per-event detail model.
//!
//! Knows only what `/work/shared/schema` (compiled into `assets/schema/catalogue.json`) knows;
//! events and values outside it are reported as unknown, never guessed.

pub mod catalogue;
pub mod decode;
pub mod detail;
pub mod message;
pub mod package;

pub use catalogue::{Catalogue, EventSchema, FieldSchema};
pub use decode::{Decoded, DecodedValue, HresultInfo, decode, hresult};
pub use detail::{EventDetail, FieldDetail};
pub use message::{MessageText, render_message};
pub use package::{PackageId, package_name_of, package_of};
