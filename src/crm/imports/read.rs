//! Reading an uploaded file into rows of text.
//!
//! Users bring what Excel gave them: xlsx, a GBK "CSV" from Chinese Windows, "CSV UTF-8" with a
//! BOM, semicolons from a European locale. Out comes trimmed text numbered as a spreadsheet
//! shows the rows, so mapping and validation never see floats, bytes or encodings.

use calamine::{Data, Reader, Sheets};
use std::fmt;
use std::io::Cursor;

/// An uploaded file as text: the header row and the non-empty data rows under it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    /// Column names as written in the file, trimmed.
    pub headers: Vec<String>,
    /// Data rows; rows with every cell empty are left out.
    pub rows: Vec<Row>,
}

/// One data row, with the number the user sees for it so errors can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based row number as a spreadsheet shows it; the header row is usually 1.
    pub line: usize,
    /// Trimmed cells; may be shorter or longer than the header row.
    pub cells: Vec<String>,
}

impl Row {
    /// The cell in a column, or "" when this row is shorter than that.
    pub fn cell(&self, col: usize) -> &str {
        self.cells.get(col).map_or("", String::as_str)
    }
}

/// The text encodings Kith reads, chosen by detection or by the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark.
    Utf8,
    /// UTF-16 little-endian ("Unicode text" from Excel).
    Utf16Le,
    /// UTF-16 big-endian.
    Utf16Be,
    /// GB18030, a superset of the GBK and GB2312 files Chinese Windows writes.
    Gb18030,
}

impl Encoding {
    /// The name shown in the import form and stored with the import.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf16Le => "utf-16le",
            Encoding::Utf16Be => "utf-16be",
            Encoding::Gb18030 => "gb18030",
        }
    }

    /// Reads a name from the import form; also accepts the usual aliases (`gbk`, `utf8`).
    pub fn parse(s: &str) -> Option<Encoding> {
        match s.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "utf-16le" | "utf16le" | "utf-16" => Some(Encoding::Utf16Le),
            "utf-16be" | "utf16be" => Some(Encoding::Utf16Be),
            "gb18030" | "gbk" | "gb2312" | "cp936" => Some(Encoding::Gb18030),
            _ => None,
        }
    }
}

/// What the user may override when detection guesses wrong.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Text encoding of a CSV file; `None` detects it.
    pub encoding: Option<Encoding>,
    /// Workbook sheet to read; `None` reads the first.
    pub sheet: Option<String>,
    /// CSV delimiter; `None` sniffs `,` `;` or tab.
    pub delimiter: Option<u8>,
}

/// What was detected, so the form can show it and offer the alternatives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// `"csv"`, or the workbook kind: `"xlsx"` (also `"xls"`, `"xlsb"`, `"ods"`).
    pub format: &'static str,
    /// The encoding used for a CSV file.
    pub encoding: Option<Encoding>,
    /// The delimiter used for a CSV file.
    pub delimiter: Option<u8>,
    /// Sheet names of a workbook, in order.
    pub sheets: Vec<String>,
}

/// Why a file could not be read; each has an i18n key for the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// No bytes, or no row with any text to use as the header.
    Empty,
    /// The chosen encoding does not fit the bytes.
    Encoding(Encoding),
    /// The chosen sheet does not exist: the name asked for, and the sheets there are.
    Sheet(String, Vec<String>),
    /// The workbook is damaged or not a workbook.
    Xlsx(String),
    /// The CSV parser gave up.
    Csv(String),
}

impl ReadError {
    /// The i18n key of the message shown to the user.
    pub fn key(&self) -> &'static str {
        match self {
            ReadError::Empty => "import.error.empty",
            ReadError::Encoding(_) => "import.error.encoding",
            ReadError::Sheet(..) => "import.error.sheet",
            ReadError::Xlsx(_) => "import.error.xlsx",
            ReadError::Csv(_) => "import.error.csv",
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Empty => write!(f, "The file is empty or has no header row."),
            ReadError::Encoding(e) => write!(f, "The file is not valid {} text.", e.as_str()),
            ReadError::Sheet(name, all) => {
                let all = all.join(", ");
                write!(f, "There is no sheet \"{name}\"; the sheets are: {all}.")
            }
            ReadError::Xlsx(e) => write!(f, "The spreadsheet could not be read: {e}."),
            ReadError::Csv(e) => write!(f, "The CSV file could not be read: {e}."),
        }
    }
}

impl std::error::Error for ReadError {}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
/// Records looked at when sniffing the delimiter.
const SNIFF_RECORDS: usize = 20;

/// Reads an uploaded file into a table of trimmed text, detecting what was not chosen.
pub fn read(
    bytes: &[u8],
    file_name: &str,
    opts: &ReadOptions,
) -> Result<(Table, FileInfo), ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    if is_workbook(bytes, file_name) {
        read_workbook(bytes, opts)
    } else {
        read_csv(bytes, opts)
    }
}

/// Guesses a CSV file's encoding: a byte-order mark, else UTF-8 if valid, else GB18030.
pub fn detect_encoding(bytes: &[u8]) -> Encoding {
    match detect_utf16(bytes) {
        Some(utf16) => utf16,
        None if bytes.starts_with(UTF8_BOM) || std::str::from_utf8(bytes).is_ok() => Encoding::Utf8,
        None => Encoding::Gb18030,
    }
}

fn detect_utf16(bytes: &[u8]) -> Option<Encoding> {
    match bytes {
        [0xFF, 0xFE, ..] => Some(Encoding::Utf16Le),
        [0xFE, 0xFF, ..] => Some(Encoding::Utf16Be),
        _ => None,
    }
}

/// Workbooks are known by their magic bytes; a workbook name counts only for binary content,
/// because "export to Excel" features often write text files named `.xls`.
fn is_workbook(bytes: &[u8], file_name: &str) -> bool {
    let name = file_name.to_ascii_lowercase();
    let named = [".xlsx", ".xlsm", ".xls", ".ods"]
        .iter()
        .any(|e| name.ends_with(e));
    let binary = bytes.iter().take(4096).any(|&b| b == 0) && detect_utf16(bytes).is_none();
    bytes.starts_with(ZIP_MAGIC) || bytes.starts_with(OLE_MAGIC) || (named && binary)
}

fn read_workbook(bytes: &[u8], opts: &ReadOptions) -> Result<(Table, FileInfo), ReadError> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| ReadError::Xlsx(e.to_string()))?;
    let format = match &book {
        Sheets::Xls(_) => "xls",
        Sheets::Xlsx(_) => "xlsx",
        Sheets::Xlsb(_) => "xlsb",
        Sheets::Ods(_) => "ods",
    };
    let sheets = book.sheet_names();
    let name = match &opts.sheet {
        Some(want) => sheets
            .iter()
            .find(|s| *s == want)
            .ok_or_else(|| ReadError::Sheet(want.clone(), sheets.clone()))?,
        None => sheets.first().ok_or(ReadError::Empty)?,
    };
    let range = book
        .worksheet_range(name)
        .map_err(|e| ReadError::Xlsx(e.to_string()))?;
    let top = range.start().map_or(0, |(row, _)| row as usize);
    let records = range
        .rows()
        .enumerate()
        .map(|(i, cells)| (top + i + 1, cells.iter().map(cell_text).collect()));
    Ok((build(records)?, info(format, None, None, sheets)))
}

/// A cell as the user sees it: integers and amounts without float artefacts, dates as ISO.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DurationIso(s) => s.clone(),
        Data::DateTimeIso(s) => iso_text(s),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => b.to_string(),
        Data::Error(e) => e.to_string(),
        Data::DateTime(dt) if dt.is_duration() => number_text(dt.as_f64()),
        Data::DateTime(dt) => {
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            let date = format!("{y:04}-{mo:02}-{d:02}");
            if (h, mi, s) == (0, 0, 0) {
                date
            } else {
                format!("{date} {h:02}:{mi:02}")
            }
        }
    }
}

/// `2026-03-01T10:23:00` as `2026-03-01 10:23`, and a midnight as just the date.
fn iso_text(s: &str) -> String {
    match s.split_once('T') {
        Some((date, time)) if time.trim_start_matches(['0', ':', '.']).is_empty() => date.into(),
        Some((date, time)) => format!("{date} {}", time.get(..5).unwrap_or(time)),
        None => s.to_string(),
    }
}

/// Formats a number to the 15 significant digits Excel keeps, so 858467.4300000001 reads
/// 858467.43 and 13800138000 stays a phone number.
fn number_text(f: f64) -> String {
    if f == 0.0 || !f.is_finite() {
        return "0".to_string();
    }
    let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
    format!("{rounded}")
}

fn read_csv(bytes: &[u8], opts: &ReadOptions) -> Result<(Table, FileInfo), ReadError> {
    let encoding = opts.encoding.unwrap_or_else(|| detect_encoding(bytes));
    let text = decode(bytes, encoding)?;
    let delimiter = opts.delimiter.unwrap_or_else(|| sniff_delimiter(&text));
    let table = build(csv_records(&text, delimiter, usize::MAX)?.into_iter())?;
    Ok((
        table,
        info("csv", Some(encoding), Some(delimiter), Vec::new()),
    ))
}

fn info(
    format: &'static str,
    encoding: Option<Encoding>,
    delimiter: Option<u8>,
    sheets: Vec<String>,
) -> FileInfo {
    FileInfo {
        format,
        encoding,
        delimiter,
        sheets,
    }
}

fn decode(bytes: &[u8], encoding: Encoding) -> Result<String, ReadError> {
    let codec = match encoding {
        Encoding::Utf8 => {
            let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
            let text = std::str::from_utf8(body).map_err(|_| ReadError::Encoding(encoding))?;
            return Ok(text.to_string());
        }
        Encoding::Utf16Le => encoding_rs::UTF_16LE,
        Encoding::Utf16Be => encoding_rs::UTF_16BE,
        Encoding::Gb18030 => encoding_rs::GB18030,
    };
    Ok(codec.decode_with_bom_removal(bytes).0.into_owned())
}

/// Picks the delimiter whose first records agree most on a column count above one.
fn sniff_delimiter(text: &str) -> u8 {
    let mut best = (b',', 0, 0);
    for delimiter in [b',', b';', b'\t'] {
        let Ok(records) = csv_records(text, delimiter, SNIFF_RECORDS) else {
            continue;
        };
        let counts: Vec<usize> = records
            .iter()
            .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
            .map(|(_, cells)| cells.len())
            .collect();
        for &cols in &counts {
            let agree = counts.iter().filter(|&&c| c == cols).count();
            if cols > 1 && (agree, cols) > (best.1, best.2) {
                best = (delimiter, agree, cols);
            }
        }
    }
    best.0
}

/// Parses up to `limit` records with their spreadsheet row numbers: the physical line the
/// record starts on, less the line breaks inside quoted cells before it (blank lines count,
/// as they do when Excel opens the file).
fn csv_records(
    text: &str,
    delimiter: u8,
    limit: usize,
) -> Result<Vec<(usize, Vec<String>)>, ReadError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let (mut out, mut embedded, mut prev) = (Vec::new(), 0, 0);
    for record in reader.records().take(limit) {
        let record = record.map_err(|e| ReadError::Csv(e.to_string()))?;
        // The position is where the parser stood, before any blank lines it skipped.
        let physical = record.position().map_or(prev + 1, |p| {
            let rest = text.get(p.byte() as usize..).unwrap_or_default();
            let blank = rest.len() - rest.trim_start_matches(['\r', '\n']).len();
            p.line() as usize + rest.get(..blank).unwrap_or_default().matches('\n').count()
        });
        let line = physical.saturating_sub(embedded).max(prev + 1);
        embedded += record
            .iter()
            .map(|f| f.matches('\n').count())
            .sum::<usize>();
        prev = line;
        out.push((line, record.iter().map(str::to_string).collect()));
    }
    Ok(out)
}

/// Cleans every cell, takes the first row with any text as the header and keeps the
/// non-empty rows after it.
fn build(records: impl Iterator<Item = (usize, Vec<String>)>) -> Result<Table, ReadError> {
    let mut headers = None;
    let mut rows = Vec::new();
    for (line, cells) in records {
        let cells: Vec<String> = cells.iter().map(|c| clean(c)).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        if headers.is_none() {
            headers = Some(cells);
        } else {
            rows.push(Row { line, cells });
        }
    }
    let headers = headers.ok_or(ReadError::Empty)?;
    Ok(Table { headers, rows })
}

/// Trims a cell and undoes the apostrophe Kith's own exports put before a leading `= + - @`
/// (formula-injection guard), so an exported file imports back unchanged.
fn clean(cell: &str) -> String {
    let cell = cell.trim();
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest.to_string(),
        _ => cell.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> Option<Vec<u8>> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");
        Some(std::fs::read(format!("{dir}{name}")).expect("sample file in tests/data"))
    }

    fn read_with(bytes: &[u8], opts: &ReadOptions) -> Result<(Table, FileInfo), ReadError> {
        read(bytes, "upload.csv", opts)
    }

    fn sheet(name: &str) -> ReadOptions {
        let sheet = Some(name.to_string());
        ReadOptions {
            sheet,
            ..ReadOptions::default()
        }
    }

    fn forced(name: &str) -> ReadOptions {
        let encoding = Encoding::parse(name);
        ReadOptions {
            encoding,
            ..ReadOptions::default()
        }
    }

    fn csv(text: &str) -> (Table, FileInfo) {
        read_with(text.as_bytes(), &ReadOptions::default()).unwrap()
    }

    /// The rows as `line:cell|cell`, one per line, to compare a whole table at once.
    fn rows(table: &Table) -> String {
        let row = |r: &Row| format!("{}:{}\n", r.line, r.cells.join("|"));
        table.rows.iter().map(row).collect()
    }

    #[test]
    fn gbk_and_utf8_bom_customer_files_read_to_the_same_table() {
        let Some(gbk) = sample("customers-zh-gbk.csv") else {
            return;
        };
        let Some(bom) = sample("customers-zh-utf8-bom.csv") else {
            return;
        };
        let (gbk, gbk_info) = read_with(&gbk, &ReadOptions::default()).unwrap();
        let (bom, bom_info) = read_with(&bom, &ReadOptions::default()).unwrap();
        assert_eq!(gbk_info.encoding, Some(Encoding::Gb18030));
        assert_eq!(bom_info.encoding, Some(Encoding::Utf8));
        assert_eq!(gbk.headers[..2], ["客户名称", "联系人"]);
        assert_eq!((gbk.headers.len(), gbk.rows.len()), (11, 317));
        assert_eq!(gbk.rows[1].cell(10), "老客户, 复购两次");
        assert_eq!(gbk, bom);
    }

    #[test]
    fn english_contact_files_read_with_commas_and_skip_the_empty_row() {
        let files = [
            ("contacts-en.csv", "Email", 201, 202),
            (
                "export-salesforce-style-contacts.csv",
                "Account Name",
                150,
                151,
            ),
            ("export-hubspot-style-contacts.csv", "Email", 150, 151),
        ];
        for (file, third, count, last) in files {
            let Some(bytes) = sample(file) else { continue };
            let (table, info) = read_with(&bytes, &ReadOptions::default()).unwrap();
            assert_eq!((info.format, info.delimiter), ("csv", Some(b',')));
            assert_eq!(table.headers[..3], ["First Name", "Last Name", third]);
            assert_eq!(table.rows.len(), count, "{file}");
            assert_eq!(table.rows.last().map(|r| r.line), Some(last));
            let semicolons = table.rows.iter().any(|r| r.cell(8) == "vip;reseller");
            assert_eq!(semicolons, file == "contacts-en.csv");
        }
    }

    #[test]
    fn deals_workbook_reads_amounts_and_dates_as_plain_text() {
        let Some(bytes) = sample("deals-zh.xlsx") else {
            return;
        };
        let (table, info) = read(&bytes, "deals.xlsx", &ReadOptions::default()).unwrap();
        assert_eq!(
            (info.format, info.sheets.join(",")),
            ("xlsx", "商机".into())
        );
        assert_eq!(
            table.headers.join(","),
            "商机名称,客户名称,金额(元),阶段,预计成交日期,负责人"
        );
        assert_eq!(table.rows.len(), 120);
        let first =
            "2:杭州恒通医疗采购项目0|苏州博远精密机械有限公司|743442.49|方案报价|2026-12-13|欧阳雨";
        assert!(rows(&table).starts_with(first));
        let amounts: Vec<&str> = table.rows.iter().map(|r| r.cell(2)).collect();
        assert!(amounts.contains(&"858467.43") && amounts.contains(&"1592661"));
        assert!(amounts.iter().all(|a| a.len() <= 10 && !a.contains('e')));
        assert!(table.rows.iter().all(|r| r.cell(4).len() == 10));
    }

    #[test]
    fn an_unknown_sheet_is_refused_naming_the_sheets_there_are() {
        let Some(bytes) = sample("deals-zh.xlsx") else {
            return;
        };
        let err = read_with(&bytes, &sheet("Sheet1")).unwrap_err();
        assert_eq!(err.key(), "import.error.sheet");
        assert!(err.to_string().contains("商机"), "{err}");
    }

    #[test]
    fn workbook_cells_become_text_as_a_user_sees_them() {
        use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
        let mut book = Workbook::new();
        book.add_worksheet().set_name("Notes").unwrap();
        let ws = book.add_worksheet().set_name("Data").unwrap();
        let format = Format::new().set_num_format("yyyy-mm-dd hh:mm");
        let day = ExcelDateTime::from_ymd(2026, 3, 1).unwrap();
        let at = day.clone().and_hms(10, 23, 0).unwrap();
        ws.write_row(0, 0, ["phone", "amount", "day", "at", "vip"])
            .unwrap();
        ws.write_row(1, 0, [13800138000.0, 0.1 + 0.2]).unwrap();
        ws.write_datetime_with_format(1, 2, &day, &format).unwrap();
        ws.write_datetime_with_format(1, 3, &at, &format).unwrap();
        ws.write_boolean(3, 4, true).unwrap();
        ws.write_string(4, 0, "'+86 138 0013 8000").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let (table, info) = read_with(&bytes, &sheet("Data")).unwrap();
        assert_eq!(info.sheets, ["Notes", "Data"]);
        let expected =
            "2:13800138000|0.3|2026-03-01|2026-03-01 10:23|\n4:||||true\n5:+86 138 0013 8000||||\n";
        assert_eq!(rows(&table), expected);
    }

    #[test]
    fn semicolon_and_tab_files_are_sniffed() {
        let (table, info) = csv("Name;Amount\nAcme;1,5\nInitech;2,25\n");
        assert_eq!(info.delimiter, Some(b';'));
        assert_eq!(rows(&table), "2:Acme|1,5\n3:Initech|2,25\n");
        let (table, info) = csv("Name\tCompany\nJohn\tAcme, Inc; EU\n");
        assert_eq!(info.delimiter, Some(b'\t'));
        assert_eq!(rows(&table), "2:John|Acme, Inc; EU\n");
    }

    #[test]
    fn quoted_cells_keep_delimiters_quotes_and_newlines_and_rows_keep_their_numbers() {
        let (table, _) = csv(concat!(
            "name , notes\r\n",
            "\"Smith, J\",\"said \"\"hi\"\"\r\nand left\"\r\n",
            " Lee ,'=1+1\r\n\r\nKim\r\n,\r\nPark,x,y\r\n"
        ));
        assert_eq!(table.headers, ["name", "notes"]);
        let expected = "2:Smith, J|said \"hi\"\r\nand left\n3:Lee|=1+1\n5:Kim\n7:Park|x|y\n";
        assert_eq!(rows(&table), expected);
        assert_eq!(table.rows[2].cell(1), "");
    }

    #[test]
    fn utf16_files_with_a_byte_order_mark_are_decoded() {
        let text = "\u{feff}客户名称,手机\r\n张伟,13800138000\r\n".encode_utf16();
        let le: Vec<u8> = text.clone().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.flat_map(u16::to_be_bytes).collect();
        for (bytes, encoding) in [(le, Encoding::Utf16Le), (be, Encoding::Utf16Be)] {
            let (table, info) = read(&bytes, "excel.xls", &ReadOptions::default()).unwrap();
            assert_eq!((info.format, info.encoding), ("csv", Some(encoding)));
            assert_eq!(table.headers, ["客户名称", "手机"]);
            assert_eq!(rows(&table), "2:张伟|13800138000\n");
        }
    }

    #[test]
    fn a_chosen_encoding_overrides_detection_and_invalid_utf8_is_refused() {
        let (gbk, _, _) = encoding_rs::GBK.encode("名称\n张伟\n");
        assert_eq!(detect_encoding(&gbk), Encoding::Gb18030);
        let err = read_with(&gbk, &forced("UTF-8")).unwrap_err();
        assert_eq!(err, ReadError::Encoding(Encoding::Utf8));
        assert_eq!(err.key(), "import.error.encoding");
        let (table, info) = read_with("名称\n张伟\n".as_bytes(), &forced("GBK")).unwrap();
        assert_eq!(info.encoding.map(Encoding::as_str), Some("gb18030"));
        assert_ne!(table.headers[0], "名称");
    }

    #[test]
    fn empty_files_and_files_without_a_header_are_refused() {
        for bytes in [&b""[..], b"\n\n", b" , ,\r\n,\r\n", b"\xEF\xBB\xBF"] {
            let err = read_with(bytes, &ReadOptions::default()).unwrap_err();
            assert_eq!((err.key(), err), ("import.error.empty", ReadError::Empty));
        }
    }
}
