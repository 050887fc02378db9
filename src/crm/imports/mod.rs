//! Importing spreadsheets and CSV files into records.

pub mod mapping;
pub mod read;
