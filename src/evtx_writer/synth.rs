//! Synthetic events (placeholder).
