//! Writing rows of text to CSV and XLSX files.
//!
//! A [`Writer`] takes rows one at a time as borrowed [`Cell`]s, so a list view can be streamed
//! from its query without copying every value into owned strings first. Every text cell, headers
//! included, goes through [`neutralize`] in both formats.

use std::borrow::Cow;

use rust_xlsxwriter::{Format as XlsxFormat, Workbook, Worksheet, XlsxError};

/// UTF-8 byte order mark: without it Excel reads a CSV in the local code page and garbles Chinese.
const BOM: &[u8] = b"\xEF\xBB\xBF";
/// Rows in an Excel sheet, header included.
const XLSX_MAX_ROWS: u32 = 1_048_576;
/// Excel's limit on a cell's text in UTF-16 units; longer text is cut rather than refused.
const XLSX_MAX_TEXT: usize = 32_767;
/// Column widths (in characters, CJK counting double) are clamped to this range.
const WIDTHS: (usize, usize) = (8, 50);

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// An export needs at least one column.
    #[error("an export needs at least one column")]
    NoColumns,
    /// A row did not have exactly one cell per header.
    #[error("row has {got} cells but the export has {expected} columns")]
    RowWidth {
        /// Number of headers.
        expected: usize,
        /// Number of cells in the offending row.
        got: usize,
    },
    /// More rows than one XLSX sheet holds; the UI should suggest CSV or a narrower filter.
    #[error("too many rows for one XLSX sheet (limit {limit})")]
    TooManyRows {
        /// Data rows a sheet holds below its header.
        limit: u32,
    },
    /// The CSV encoder failed.
    #[error("writing CSV")]
    Csv(#[from] csv::Error),
    /// The XLSX encoder failed (including more than 16,384 columns).
    #[error("writing XLSX")]
    Xlsx(#[from] XlsxError),
}

/// Defuses spreadsheet formula injection (OWASP "CSV injection"): a value starting with `=`,
/// `+`, `-`, `@`, tab or carriage return gets a leading `'`, so Excel, LibreOffice and Google
/// Sheets show it as text instead of evaluating it.
///
/// This is deliberately blunt: a negative number typed into a text field (`-12.5`) or a phone
/// number (`+86 138…`) is prefixed too, which is expected for CSV. Columns that really hold
/// numbers should be passed as [`Cell::Number`], which is never prefixed.
pub fn neutralize(cell: &str) -> String {
    neutralized(cell).into_owned()
}

fn neutralized(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The file formats a list view can be exported to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// UTF-8 CSV with a BOM and CRLF line endings, as Excel expects.
    Csv,
    /// An Excel workbook with one sheet.
    Xlsx,
}

impl Format {
    /// Parses the `format` query parameter (`csv` or `xlsx`, any case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "xlsx" => Some(Self::Xlsx),
            _ => None,
        }
    }

    /// File name extension, without the dot, for `Content-Disposition`.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }

    /// `Content-Type` header value for the download.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// One value in an exported row, borrowed from the caller's data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// Free text; always neutralized.
    Text(&'a str),
    /// A numeric column (amounts, quantities): a real number in XLSX, plain digits in CSV.
    /// NaN and infinities, which spreadsheets cannot hold, become empty cells.
    Number(f64),
    /// No value.
    Empty,
}

impl<'a> From<Option<&'a str>> for Cell<'a> {
    fn from(s: Option<&'a str>) -> Self {
        s.map_or(Cell::Empty, Cell::Text)
    }
}

/// Streams rows into an in-memory CSV or XLSX file.
pub struct Writer {
    columns: usize,
    inner: Inner,
}

enum Inner {
    Csv(Box<csv::Writer<Vec<u8>>>),
    /// The sheet, the next row to write, and the widest value seen per column.
    Xlsx(Box<Worksheet>, u32, Vec<usize>),
}

impl Writer {
    /// Starts an export with one header per column. `sheet_name` names the XLSX sheet (made
    /// valid for Excel: at most 31 characters, none of `[]:*?/\`); CSV ignores it.
    pub fn new(format: Format, headers: &[String], sheet_name: &str) -> Result<Self, ExportError> {
        if headers.is_empty() {
            return Err(ExportError::NoColumns);
        }
        let inner = match format {
            Format::Csv => {
                let mut csv = csv::WriterBuilder::new()
                    .terminator(csv::Terminator::CRLF)
                    .from_writer(BOM.to_vec());
                csv.write_record(headers.iter().map(|h| neutralized(h).into_owned()))?;
                Inner::Csv(Box::new(csv))
            }
            Format::Xlsx => {
                let mut sheet = Worksheet::new();
                sheet.set_name(valid_sheet_name(sheet_name))?;
                let bold = XlsxFormat::new().set_bold();
                let mut widths = Vec::with_capacity(headers.len());
                for (col, header) in (0u16..).zip(headers) {
                    let text = neutralized(header);
                    sheet.write_string_with_format(0, col, fit_text(&text), &bold)?;
                    widths.push(display_width(&text));
                }
                sheet.set_freeze_panes(1, 0)?;
                Inner::Xlsx(Box::new(sheet), 1, widths)
            }
        };
        let columns = headers.len();
        Ok(Self { columns, inner })
    }

    /// Appends one row; it must have exactly one cell per header.
    pub fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), ExportError> {
        let (expected, got) = (self.columns, cells.len());
        if got != expected {
            return Err(ExportError::RowWidth { expected, got });
        }
        match &mut self.inner {
            Inner::Csv(csv) => {
                for cell in cells {
                    match *cell {
                        Cell::Text(text) => csv.write_field(neutralized(text).as_bytes())?,
                        Cell::Number(n) if n.is_finite() => csv.write_field(n.to_string())?,
                        Cell::Number(_) | Cell::Empty => csv.write_field("")?,
                    }
                }
                csv.write_record(std::iter::empty::<&[u8]>())?;
            }
            Inner::Xlsx(sheet, row, widths) => {
                if *row >= XLSX_MAX_ROWS {
                    let limit = XLSX_MAX_ROWS - 1;
                    return Err(ExportError::TooManyRows { limit });
                }
                for ((col, cell), width) in (0u16..).zip(cells).zip(widths.iter_mut()) {
                    let shown = match *cell {
                        Cell::Text(text) => {
                            let text = neutralized(text);
                            sheet.write_string(*row, col, fit_text(&text))?;
                            display_width(&text)
                        }
                        Cell::Number(n) if n.is_finite() => {
                            sheet.write_number(*row, col, n)?;
                            n.to_string().len()
                        }
                        Cell::Number(_) | Cell::Empty => 0,
                    };
                    *width = (*width).max(shown);
                }
                *row += 1;
            }
        }
        Ok(())
    }

    /// Finishes the file and returns its bytes.
    pub fn finish(self) -> Result<Vec<u8>, ExportError> {
        match self.inner {
            Inner::Csv(csv) => csv
                .into_inner()
                .map_err(|e| csv::Error::from(e.into_error()).into()),
            Inner::Xlsx(mut sheet, rows, widths) => {
                for (col, width) in (0u16..).zip(&widths) {
                    let width = (width + 2).clamp(WIDTHS.0, WIDTHS.1);
                    sheet.set_column_width(col, u16::try_from(width).unwrap_or(50))?;
                }
                let last_col = u16::try_from(self.columns - 1).unwrap_or(u16::MAX);
                sheet.autofilter(0, 0, rows - 1, last_col)?;
                let mut workbook = Workbook::new();
                workbook.push_worksheet(*sheet);
                Ok(workbook.save_to_buffer()?)
            }
        }
    }
}

/// Makes a name Excel accepts for a sheet: forbidden characters become `_`, at most 31 UTF-16
/// units, no leading or trailing apostrophe, not blank and not the reserved "History".
fn valid_sheet_name(raw: &str) -> String {
    let bad = |c: char| c.is_control() || "[]:*?/\\".contains(c);
    let mut units = 0;
    let name: String = (raw.trim().chars())
        .map(|c| if bad(c) { '_' } else { c })
        .take_while(|c| {
            units += c.len_utf16();
            units <= 31
        })
        .collect();
    match name.trim_matches('\'').trim() {
        "" => "Sheet1".to_owned(),
        n if n.eq_ignore_ascii_case("history") => "Sheet1".to_owned(),
        n => n.to_owned(),
    }
}

/// Cuts text to Excel's cell limit at a character boundary.
fn fit_text(text: &str) -> &str {
    let mut units = 0;
    match text.char_indices().find(|(_, c)| {
        units += c.len_utf16();
        units > XLSX_MAX_TEXT
    }) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// Approximate width of the widest line: East Asian wide characters count double.
fn display_width(text: &str) -> usize {
    let wide = |c: char| {
        matches!(u32::from(c), 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6
            | 0x20000..=0x3FFFD)
    };
    let line_width = |line: &str| line.chars().map(|c| if wide(c) { 2 } else { 1 }).sum();
    text.lines().map(line_width).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};

    fn export(format: Format, headers: &[&str], rows: &[Vec<Cell<'_>>]) -> Vec<u8> {
        let headers: Vec<String> = headers.iter().map(|s| (*s).to_owned()).collect();
        let mut w = Writer::new(format, &headers, "Contacts").unwrap();
        rows.iter().for_each(|row| w.row(row).unwrap());
        w.finish().unwrap()
    }

    const FORMULA: &str = "=HYPERLINK(\"http://x\",\"y\")";

    fn sample() -> Vec<Vec<Cell<'static>>> {
        vec![
            vec![
                Cell::Text("张伟"),
                Cell::Text("a, \"q\"\nb"),
                Cell::Number(-12.5),
            ],
            vec![Cell::Text(FORMULA), Cell::Empty, Cell::Number(3.0)],
        ]
    }

    #[test]
    fn neutralize_prefixes_dangerous_first_characters_and_nothing_else() {
        for bad in ["=1+1", "+86 138", "-12.5", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralize(bad), format!("'{bad}"));
        }
        for safe in ["hello", "张伟", "", "a=b", " =1"] {
            assert_eq!(neutralize(safe), safe);
        }
    }

    #[test]
    fn format_parse_and_metadata_agree() {
        assert_eq!(Format::parse("CSV"), Some(Format::Csv));
        assert_eq!(Format::parse("xlsx").map(Format::extension), Some("xlsx"));
        assert_eq!(Format::parse("xls"), None);
        assert_eq!(Format::Csv.content_type(), "text/csv; charset=utf-8");
        assert!(Format::Xlsx.content_type().ends_with("spreadsheetml.sheet"));
    }

    #[test]
    fn csv_has_a_bom_crlf_and_round_trips_awkward_text() {
        let bytes = export(Format::Csv, &["Name", "备注", "Amount"], &sample());
        assert!(bytes.starts_with("\u{feff}Name,备注,Amount\r\n".as_bytes()));
        let mut reader = csv::Reader::from_reader(&bytes[BOM.len()..]);
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(&rows[0], vec!["张伟", "a, \"q\"\nb", "-12.5"]);
        assert_eq!(&rows[1], vec![format!("'{FORMULA}").as_str(), "", "3"]);
    }

    #[test]
    fn csv_neutralizes_headers_and_blanks_non_finite_numbers() {
        let bytes = export(
            Format::Csv,
            &["=cmd", "n"],
            &[vec![Cell::Text("x"), Cell::Number(f64::NAN)]],
        );
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "\u{feff}'=cmd,n\r\nx,\r\n"
        );
    }

    #[test]
    fn a_row_with_the_wrong_number_of_cells_is_refused() {
        for format in [Format::Csv, Format::Xlsx] {
            let mut w = Writer::new(format, &["a".into(), "b".into()], "s").unwrap();
            let err = w.row(&[Cell::Empty]).unwrap_err();
            assert!(matches!(
                err,
                ExportError::RowWidth {
                    expected: 2,
                    got: 1
                }
            ));
        }
        assert!(matches!(
            Writer::new(Format::Csv, &[], "s"),
            Err(ExportError::NoColumns)
        ));
    }

    #[test]
    fn xlsx_reads_back_with_text_numbers_and_neutralized_formulas() {
        let bytes = export(Format::Xlsx, &["Name", "备注", "Amount"], &sample());
        assert!(bytes.starts_with(b"PK"));
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("Contacts").unwrap();
        let rows: Vec<&[Data]> = range.rows().collect();
        let text = |s: &str| Data::String(s.to_owned());
        assert_eq!(rows[0], [text("Name"), text("备注"), text("Amount")]);
        assert_eq!(
            rows[1],
            [text("张伟"), text("a, \"q\"\nb"), Data::Float(-12.5)]
        );
        assert_eq!(
            rows[2],
            [text(&format!("'{FORMULA}")), Data::Empty, Data::Float(3.0)]
        );
    }

    #[test]
    fn sheet_names_text_and_widths_fit_excel_limits() {
        assert_eq!(valid_sheet_name("Deals [Q1]: a/b"), "Deals _Q1__ a_b");
        assert_eq!(valid_sheet_name("'quoted'"), "quoted");
        assert_eq!(valid_sheet_name("  "), "Sheet1");
        assert_eq!(valid_sheet_name("History"), "Sheet1");
        assert_eq!(valid_sheet_name(&"客".repeat(40)).chars().count(), 31);
        assert_eq!(
            fit_text(&"x".repeat(XLSX_MAX_TEXT + 10)).len(),
            XLSX_MAX_TEXT
        );
        assert_eq!(fit_text("short"), "short");
        assert_eq!(display_width("张伟"), 4);
        assert_eq!(display_width("ab\nabcde"), 5);
    }
}
