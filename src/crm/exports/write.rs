//! Writing rows of text to CSV and XLSX files.
