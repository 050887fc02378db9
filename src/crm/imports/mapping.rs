//! Matching file columns to fields.
