//! Exporting list views to CSV and XLSX files.

pub mod write;
