//! Phone numbers as people type them and as imported spreadsheets contain them, normalized to
//! one canonical form so that the same number written differently is recognized as the same:
//! duplicate detection and search by digits depend on it.
//!
//! Mainland China numbers (mobile, landline with area code, 400/800 service numbers) are
//! validated against the national numbering plan; numbers elsewhere (including Hong Kong,
//! Macau and Taiwan) are accepted with their country code and only checked for length.

use std::fmt;

/// The mainland China country code, without the `+`.
const CHINA: &str = "86";

/// Longest extension accepted, in digits.
const MAX_EXTENSION_DIGITS: usize = 10;

/// What kind of number a [`Phone`] is. It exists because display format and search digits
/// differ by kind, and because users filter contacts by it (e.g. "mobile numbers only").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhoneKind {
    /// A mainland China mobile number: 11 digits, `1` then `3`–`9`.
    Mobile,
    /// A mainland China landline: area code plus subscriber number.
    Landline,
    /// A mainland China nationwide service number (400/800 plus 7 digits).
    Service,
    /// Any number outside mainland China, kept with its country code.
    International,
}

/// Why an input was not accepted as a phone number. It exists so that forms and the
/// spreadsheet importer can tell the user what to fix, in their language (see
/// [`PhoneError::message_key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhoneError {
    /// Nothing but whitespace or separators was given.
    Empty,
    /// Something other than digits, separators and an extension marker.
    InvalidCharacters,
    /// Too few digits to be any phone number.
    TooShort,
    /// Too many digits to be any phone number (or extension).
    TooLong,
    /// The digits fit no known numbering plan, e.g. a local number without its area code.
    UnknownFormat,
}

impl PhoneError {
    /// The i18n key of the message shown to the user. It exists because the UI is
    /// bilingual and must not show the English [`fmt::Display`] text to Chinese users.
    pub fn message_key(&self) -> &'static str {
        match self {
            PhoneError::Empty => "phone.error.empty",
            PhoneError::InvalidCharacters => "phone.error.characters",
            PhoneError::TooShort => "phone.error.short",
            PhoneError::TooLong => "phone.error.long",
            PhoneError::UnknownFormat => "phone.error.format",
        }
    }
}

impl fmt::Display for PhoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PhoneError::Empty => "No phone number was given.",
            PhoneError::InvalidCharacters => {
                "A phone number may contain only digits, separators and an extension."
            }
            PhoneError::TooShort => "The phone number has too few digits.",
            PhoneError::TooLong => "The phone number has too many digits.",
            PhoneError::UnknownFormat => {
                "The phone number fits no known format; include the area or country code."
            }
        })
    }
}

impl std::error::Error for PhoneError {}

/// A valid phone number in canonical E.164-like form (`+8613800138000`), with an optional
/// extension. It exists so that the rest of Kith never handles raw phone strings: once a
/// value is a `Phone`, it is valid, and two spellings of one number are equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone {
    e164: String,
    extension: Option<String>,
    kind: PhoneKind,
}

impl Phone {
    /// Validates and normalizes a number written in any common way: with or without `+86`,
    /// `0086` or `86`, with separators, full-width characters and an extension
    /// (`转123`, `ext. 123`, `x123`, `#123`, `,123`, or `;ext=123` as in [`Phone::stored`]).
    /// It is the only way to get a `Phone`.
    ///
    /// # Errors
    ///
    /// [`PhoneError`] says what is wrong: nothing given, stray characters, too few or too many
    /// digits, or digits that fit no numbering plan (such as a local number without its area
    /// code).
    pub fn parse(input: &str) -> Result<Phone, PhoneError> {
        let chars: Vec<char> = input.chars().map(fold_full_width).collect();
        if chars.iter().all(|&c| is_separator(c)) {
            return Err(PhoneError::Empty);
        }

        let mut digits = String::new();
        let mut plus = false;
        let mut extension = None;
        for (i, &c) in chars.iter().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if digits.is_empty() && !plus => plus = true,
                c if is_separator(c) => {}
                _ => {
                    let rest = chars.get(i..).unwrap_or_default();
                    extension = Some(parse_extension(rest)?);
                    break;
                }
            }
        }

        // The digits after an international prefix (`+` or `00`), or the digits as written.
        let (international, number) = if plus {
            (true, digits.as_str())
        } else if let Some(rest) = digits.strip_prefix("00") {
            (true, rest)
        } else {
            (false, digits.as_str())
        };
        if number.len() < 7 {
            return Err(PhoneError::TooShort);
        }
        if number.len() > 15 {
            return Err(PhoneError::TooLong);
        }

        let (e164, kind) = if let Some(national) = number.strip_prefix(CHINA) {
            // `+86 …`, `0086 …`, or `86 …` without a prefix: no Chinese number written
            // nationally starts with 86, so a leading 86 is always the country code.
            china_after_country_code(national)?
        } else if international {
            foreign(number)?
        } else if let Some(after_trunk) = number.strip_prefix('0') {
            china(after_trunk)?
        } else {
            // Without the trunk 0 only mobile and service numbers are complete; a bare
            // local number lacks its area code and Kith cannot know the city.
            match china(number)? {
                found @ (_, PhoneKind::Mobile | PhoneKind::Service) => found,
                _ => return Err(PhoneError::UnknownFormat),
            }
        };
        Ok(Phone {
            e164,
            extension,
            kind,
        })
    }

    /// The canonical number, e.g. `+8613800138000`. It exists as the identity of the number:
    /// duplicate detection compares it.
    pub fn e164(&self) -> &str {
        &self.e164
    }

    /// The extension, if any, e.g. `123`. It exists because an extension is not part of the
    /// number's identity but must be kept to call the person.
    pub fn extension(&self) -> Option<&str> {
        self.extension.as_deref()
    }

    /// Mobile, landline, service or international. It exists for filtering and display.
    pub fn kind(&self) -> PhoneKind {
        self.kind
    }

    /// The digits people type when searching: `13800138000`, `01012345678` (Chinese
    /// landlines with the trunk 0, as people dial them), `4008108888`, and country code plus
    /// number for international numbers (`14155550123`). It exists to be stored next to the
    /// number so that a search for partial digits finds it.
    pub fn digits(&self) -> String {
        match self.kind {
            PhoneKind::Mobile | PhoneKind::Service => self.china_national().to_string(),
            PhoneKind::Landline => format!("0{}", self.china_national()),
            PhoneKind::International => self.without_plus().to_string(),
        }
    }

    /// How Kith shows the number: `138 0013 8000`, `010-1234 5678`, `0755-8888 8888`,
    /// `0571-888 8888`, `400-810-8888`, `+1 4155550123`, with ` ext. 123` appended when there
    /// is an extension. It exists so that every page writes numbers the same readable way.
    pub fn display(&self) -> String {
        let shown = match self.kind {
            PhoneKind::Mobile => {
                let (a, rest) = split(self.china_national(), 3);
                let (b, c) = split(rest, 4);
                format!("{a} {b} {c}")
            }
            PhoneKind::Service => {
                let (a, rest) = split(self.china_national(), 3);
                let (b, c) = split(rest, 3);
                format!("{a}-{b}-{c}")
            }
            PhoneKind::Landline => {
                let national = self.china_national();
                let (area, subscriber) = split(national, area_code_len(national));
                let (head, tail) = split(subscriber, subscriber.len().saturating_sub(4));
                format!("0{area}-{head} {tail}")
            }
            PhoneKind::International => {
                let digits = self.without_plus();
                let (cc, rest) = split(digits, country_code_len(digits));
                format!("+{cc} {rest}")
            }
        };
        match &self.extension {
            Some(ext) => format!("{shown} ext. {ext}"),
            None => shown,
        }
    }

    /// What goes in the database: the canonical number plus `;ext=123` if there is an
    /// extension (the RFC 3966 spelling). It exists so that the stored text keeps the
    /// extension and `Phone::parse` of it gives back an equal `Phone`.
    pub fn stored(&self) -> String {
        match &self.extension {
            Some(ext) => format!("{};ext={ext}", self.e164),
            None => self.e164.clone(),
        }
    }

    fn without_plus(&self) -> &str {
        self.e164.strip_prefix('+').unwrap_or(&self.e164)
    }

    /// The national number of a mainland China phone, without the trunk 0.
    fn china_national(&self) -> &str {
        let digits = self.without_plus();
        digits.strip_prefix(CHINA).unwrap_or(digits)
    }
}

/// Folds full-width forms (U+FF01–U+FF5E: `０`–`９`, `＋`, `（`, `）`, `－`, `＃`, `，`, `ｘ`…)
/// to their ASCII counterparts, as Chinese input methods often produce them.
fn fold_full_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Characters that carry no meaning inside a number: whitespace of any kind (including the
/// ideographic space U+3000 and the no-break space spreadsheets use), dashes, dots, slashes,
/// parentheses, and invisible marks left by spreadsheet exports.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '.' | '/' | '(' | ')' | '\u{2010}'
                ..='\u{2015}' | '\u{2212}' | '\u{200B}' | '\u{FEFF}'
        )
}

/// Reads an extension from the rest of the input, starting at its first character that is
/// neither a digit nor a separator: a marker, optional punctuation, then digits, then nothing.
fn parse_extension(rest: &[char]) -> Result<String, PhoneError> {
    const MARKERS: [&str; 10] = [
        ";ext",
        "extension",
        "ext",
        "x",
        "#",
        ",",
        "转",
        "轉",
        "分机",
        "分機",
    ];
    let lower: Vec<char> = rest.iter().map(char::to_ascii_lowercase).collect();
    for marker in MARKERS {
        let marker: Vec<char> = marker.chars().collect();
        let Some(after) = lower.strip_prefix(marker.as_slice()) else {
            continue;
        };
        let after: &[char] = {
            let skip = after
                .iter()
                .take_while(|&&c| c.is_whitespace() || matches!(c, '.' | ':' | '=' | ','))
                .count();
            after.get(skip..).unwrap_or_default()
        };
        let count = after.iter().take_while(|c| c.is_ascii_digit()).count();
        let (digits, trailing) = after.split_at_checked(count).unwrap_or((after, &[]));
        if digits.is_empty() || !trailing.iter().all(|c| c.is_whitespace()) {
            continue;
        }
        if digits.len() > MAX_EXTENSION_DIGITS {
            return Err(PhoneError::TooLong);
        }
        return Ok(digits.iter().collect());
    }
    Err(PhoneError::InvalidCharacters)
}

/// A mainland China number that followed the country code 86. Tolerates the redundant trunk 0
/// people often keep (`+86 0755 …`, `+86 (0) 10 …`).
fn china_after_country_code(national: &str) -> Result<(String, PhoneKind), PhoneError> {
    china(national.strip_prefix('0').unwrap_or(national))
}

/// Classifies a mainland China national number written without the trunk 0 (the form that
/// follows +86): mobile, 400/800 service, or area code plus subscriber number.
fn china(national: &str) -> Result<(String, PhoneKind), PhoneError> {
    let bytes = national.as_bytes();
    let len = bytes.len();
    let kind = match bytes {
        [b'1', b'3'..=b'9', ..] if len == 11 => PhoneKind::Mobile,
        [b'4' | b'8', b'0', b'0', ..] if len == 10 => PhoneKind::Service,
        // Beijing (10) and 20–29: two-digit area code, eight-digit subscriber number.
        [b'1', b'0', ..] | [b'2', ..] if len == 10 => PhoneKind::Landline,
        // Other area codes have three digits and seven- or eight-digit subscriber numbers.
        [b'3'..=b'9', ..] if len == 10 || len == 11 => PhoneKind::Landline,
        // Any other area code and subscriber number (`0120-6108 2376`, `015-5471 1250`): not
        // in today's plan, but written as a landline with its area code, as spreadsheets and
        // old records have them; refusing it would lose the number rather than check it.
        [b'1', b'0'..=b'2', ..] | [b'2', ..] if len == 11 => PhoneKind::Landline,
        [b'1', b'1'..=b'9', ..] if len == 10 => PhoneKind::Landline,
        _ => return Err(PhoneError::UnknownFormat),
    };
    Ok((format!("+{CHINA}{national}"), kind))
}

/// A number outside mainland China, given as country code plus number. Only lengths are
/// checked: +1 (North America) numbers have 11 digits, others 8 to 15.
fn foreign(digits: &str) -> Result<(String, PhoneKind), PhoneError> {
    if digits.starts_with('0') {
        return Err(PhoneError::UnknownFormat);
    }
    if digits.len() < 8 {
        return Err(PhoneError::TooShort);
    }
    if digits.starts_with('1') && digits.len() != 11 {
        return Err(PhoneError::UnknownFormat);
    }
    Ok((format!("+{digits}"), PhoneKind::International))
}

/// Length of a Chinese area code (without the trunk 0) at the start of a national number.
fn area_code_len(national: &str) -> usize {
    if national.starts_with("10") || national.starts_with('2') {
        2
    } else {
        3
    }
}

/// Length of the ITU country code at the start of `digits`. Country codes are prefix-free:
/// 1 and 7 have one digit, the listed ones two, all others three.
fn country_code_len(digits: &str) -> usize {
    const TWO_DIGIT: [&str; 44] = [
        "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
        "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
        "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
    ];
    if digits.starts_with('1') || digits.starts_with('7') {
        1
    } else if TWO_DIGIT.iter().any(|cc| digits.starts_with(cc)) {
        2
    } else {
        3
    }
}

/// Splits an ASCII digit string at `mid`, or keeps it whole if it is shorter.
fn split(s: &str, mid: usize) -> (&str, &str) {
    s.split_at_checked(mid).unwrap_or((s, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(input: &str) -> Phone {
        Phone::parse(input).unwrap_or_else(|e| panic!("{input:?} should parse, got {e:?}"))
    }

    #[test]
    fn the_same_number_written_differently_is_the_same_phone() {
        let table: &[(&str, &str, PhoneKind)] = &[
            ("13800138000", "+8613800138000", PhoneKind::Mobile),
            ("+86 138-0013-8000", "+8613800138000", PhoneKind::Mobile),
            ("138 0013 8000", "+8613800138000", PhoneKind::Mobile),
            ("8613800138000", "+8613800138000", PhoneKind::Mobile),
            ("008613800138000", "+8613800138000", PhoneKind::Mobile),
            ("+86 (138) 0013 8000", "+8613800138000", PhoneKind::Mobile),
            ("+86 13800138000", "+8613800138000", PhoneKind::Mobile),
            ("138.0013.8000", "+8613800138000", PhoneKind::Mobile),
            ("138/0013/8000", "+8613800138000", PhoneKind::Mobile),
            ("138–0013–8000", "+8613800138000", PhoneKind::Mobile),
            ("  13800138000\t", "+8613800138000", PhoneKind::Mobile),
            ("010-12345678", "+861012345678", PhoneKind::Landline),
            ("(010) 1234 5678", "+861012345678", PhoneKind::Landline),
            ("+86 10 1234 5678", "+861012345678", PhoneKind::Landline),
            ("86-10-12345678", "+861012345678", PhoneKind::Landline),
            ("0086 10 12345678", "+861012345678", PhoneKind::Landline),
            ("+86 (0)10 1234 5678", "+861012345678", PhoneKind::Landline),
            ("021-6123 4567", "+862161234567", PhoneKind::Landline),
            ("0755-88888888", "+8675588888888", PhoneKind::Landline),
            ("+86 755 8888 8888", "+8675588888888", PhoneKind::Landline),
            ("0571-8888888", "+865718888888", PhoneKind::Landline),
            ("0512-6666 6666", "+8651266666666", PhoneKind::Landline),
            ("400-810-8888", "+864008108888", PhoneKind::Service),
            ("4008108888", "+864008108888", PhoneKind::Service),
            ("+86 400 810 8888", "+864008108888", PhoneKind::Service),
            ("800 810 8888", "+868008108888", PhoneKind::Service),
            (
                "+1 (415) 555-0123",
                "+14155550123",
                PhoneKind::International,
            ),
            ("+14155550123", "+14155550123", PhoneKind::International),
            ("001 415 555 0123", "+14155550123", PhoneKind::International),
            ("+852 9123 4567", "+85291234567", PhoneKind::International),
            ("00852 91234567", "+85291234567", PhoneKind::International),
            ("+853 6612 3456", "+85366123456", PhoneKind::International),
            (
                "+886 912 345 678",
                "+886912345678",
                PhoneKind::International,
            ),
            ("+49 30 1234567", "+49301234567", PhoneKind::International),
        ];
        for &(input, e164, kind) in table {
            let phone = parsed(input);
            assert_eq!(phone.e164(), e164, "{input:?}");
            assert_eq!(phone.kind(), kind, "{input:?}");
            assert_eq!(phone.extension(), None, "{input:?}");
        }
        assert_eq!(parsed("+86 138-0013-8000"), parsed("008613800138000"));
        assert_eq!(parsed("+852 9123 4567"), parsed("00852 91234567"));
    }

    #[test]
    fn a_redundant_trunk_zero_after_the_country_code_is_dropped() {
        let phone = parsed("+86 0755 8888 8888");
        assert_eq!(phone.e164(), "+8675588888888");
        assert_eq!(phone.kind(), PhoneKind::Landline);
        assert_eq!(phone, parsed("0755-88888888"));
        assert_eq!(parsed("86 010 12345678").e164(), "+861012345678");
    }

    #[test]
    fn full_width_input_from_chinese_keyboards_is_understood() {
        for input in [
            "１３８００１３８０００",
            "＋８６　１３８－００１３－８０００",
            "（０１０）１２３４　５６７８",
            "＋86\u{3000}138\u{3000}0013\u{3000}8000",
        ] {
            let phone = parsed(input);
            assert!(
                phone.e164() == "+8613800138000" || phone.e164() == "+861012345678",
                "{input:?} gave {}",
                phone.e164()
            );
        }
        let with_ext = parsed("０１０－１２３４５６７８转１２３");
        assert_eq!(with_ext.e164(), "+861012345678");
        assert_eq!(with_ext.extension(), Some("123"));
        assert_eq!(parsed("010-12345678＃１２３").extension(), Some("123"));
        assert_eq!(parsed("010-12345678，１２３").extension(), Some("123"));
    }

    #[test]
    fn extensions_are_kept_apart_from_the_number() {
        for input in [
            "010-12345678转123",
            "010-12345678 转 123",
            "010-12345678 ext 123",
            "010-12345678 ext.123",
            "010-12345678 Ext. 123",
            "010-12345678 EXT123",
            "010-12345678 x123",
            "010-12345678 X 123",
            "010-12345678#123",
            "010-12345678,123",
            "010-12345678,,123",
            "010-12345678 分机123",
            "010-12345678 轉123",
            "+861012345678;ext=123",
            "010-12345678 x123 ",
        ] {
            let phone = parsed(input);
            assert_eq!(phone.e164(), "+861012345678", "{input:?}");
            assert_eq!(phone.extension(), Some("123"), "{input:?}");
            assert_eq!(phone.kind(), PhoneKind::Landline, "{input:?}");
        }
        assert_ne!(parsed("010-12345678 x123"), parsed("010-12345678"));
    }

    #[test]
    fn a_marker_without_digits_or_with_more_after_them_is_invalid() {
        for input in [
            "010-12345678 ext",
            "010-12345678 x",
            "010-12345678 x12a",
            "010-12345678 x 12 34",
            "010-12345678 x123 x4",
        ] {
            assert_eq!(
                Phone::parse(input),
                Err(PhoneError::InvalidCharacters),
                "{input:?}"
            );
        }
        assert_eq!(
            Phone::parse("010-12345678 x12345678901"),
            Err(PhoneError::TooLong)
        );
    }

    #[test]
    fn empty_or_whitespace_only_input_is_empty() {
        for input in ["", "   ", "\t\n", "\u{3000}", " - ", "()"] {
            assert_eq!(Phone::parse(input), Err(PhoneError::Empty), "{input:?}");
        }
    }

    #[test]
    fn letters_and_stray_symbols_are_invalid_characters() {
        for input in [
            "abc",
            "Tel: 13800138000",
            "138001380O0",
            "138*0013*8000",
            "138+0013+8000",
            "++8613800138000",
            "1.38001E+10",
            "13,800,138,000",
            "📞13800138000",
        ] {
            assert_eq!(
                Phone::parse(input),
                Err(PhoneError::InvalidCharacters),
                "{input:?}"
            );
        }
    }

    #[test]
    fn fewer_than_seven_digits_is_too_short() {
        for input in ["12345", "1", "123-456", "+86 1234", "0012345", "x123"] {
            assert_eq!(Phone::parse(input), Err(PhoneError::TooShort), "{input:?}");
        }
        assert_eq!(Phone::parse("+44 12345"), Err(PhoneError::TooShort));
    }

    #[test]
    fn more_than_fifteen_digits_is_too_long() {
        for input in [
            "1234567890123456",
            "+86 1234567890123456",
            "+44 1234 5678 9012 34",
        ] {
            assert_eq!(Phone::parse(input), Err(PhoneError::TooLong), "{input:?}");
        }
    }

    #[test]
    fn numbers_that_fit_no_plan_are_unknown_format() {
        for input in [
            "1380013800",     // ten digits: a mobile with one missing
            "12345678",       // bare local number: which city?
            "8888888",        // bare seven-digit local number
            "11012345678",    // 1 then 1
            "10012345678",    // 1 then 0
            "12012345678",    // 1 then 2
            "010-1234567",    // Beijing has eight-digit numbers
            "0755-888888",    // six-digit subscriber number
            "0755-888888888", // nine-digit subscriber number
            "7558888888",     // landline without its trunk 0
            "+86 12345678",
            "+1 415 555 012", // +1 needs eleven digits
            "+1 415 555 01234",
            "+0 1234 5678",
            "852 9123 4567", // Hong Kong without + or 00
        ] {
            assert_eq!(
                Phone::parse(input),
                Err(PhoneError::UnknownFormat),
                "{input:?}"
            );
        }
    }

    #[test]
    fn errors_have_i18n_keys_and_english_sentences() {
        let all = [
            (PhoneError::Empty, "phone.error.empty"),
            (PhoneError::InvalidCharacters, "phone.error.characters"),
            (PhoneError::TooShort, "phone.error.short"),
            (PhoneError::TooLong, "phone.error.long"),
            (PhoneError::UnknownFormat, "phone.error.format"),
        ];
        for (error, key) in all {
            assert_eq!(error.message_key(), key);
            let sentence = error.to_string();
            assert!(sentence.ends_with('.'), "{sentence}");
            assert!(sentence.starts_with(char::is_uppercase), "{sentence}");
            let _: &dyn std::error::Error = &error;
        }
    }

    #[test]
    fn numbers_are_displayed_the_way_people_write_them() {
        for (input, shown) in [
            ("+8613800138000", "138 0013 8000"),
            ("+86 10 12345678", "010-1234 5678"),
            ("020 87654321", "020-8765 4321"),
            ("0755-88888888", "0755-8888 8888"),
            ("0571-8888888", "0571-888 8888"),
            ("4008108888", "400-810-8888"),
            ("800 810 8888", "800-810-8888"),
            ("+14155550123", "+1 4155550123"),
            ("+852 9123 4567", "+852 91234567"),
            ("+886 912 345 678", "+886 912345678"),
            ("+44 20 7123 4567", "+44 2071234567"),
            ("+7 495 123 4567", "+7 4951234567"),
            ("010-12345678转8", "010-1234 5678 ext. 8"),
            ("13800138000 x 42", "138 0013 8000 ext. 42"),
        ] {
            assert_eq!(parsed(input).display(), shown, "{input:?}");
        }
    }

    #[test]
    fn digits_are_what_people_type_when_searching() {
        for (input, digits) in [
            ("+86 138 0013 8000", "13800138000"),
            ("+861012345678", "01012345678"),
            ("0755-8888 8888", "075588888888"),
            ("400-810-8888", "4008108888"),
            ("+1 415 555 0123", "14155550123"),
            ("00852 91234567", "85291234567"),
            ("010-12345678 ext 9", "01012345678"),
        ] {
            assert_eq!(parsed(input).digits(), digits, "{input:?}");
        }
    }

    #[test]
    fn the_stored_form_parses_back_to_an_equal_phone() {
        for input in [
            "13800138000",
            "010-12345678转123",
            "0571-8888888",
            "+86 0755 8888 8888 #5",
            "400-810-8888",
            "+852 9123 4567",
            "+1 415 555 0123 ext. 77",
        ] {
            let phone = parsed(input);
            let stored = phone.stored();
            assert_eq!(parsed(&stored), phone, "{input:?} stored as {stored:?}");
        }
        assert_eq!(
            parsed("010-12345678转123").stored(),
            "+861012345678;ext=123"
        );
        assert_eq!(parsed("13800138000").stored(), "+8613800138000");
    }

    #[test]
    fn odd_input_is_rejected_without_panicking() {
        for input in [
            "İİİ",
            "x",
            "#",
            "+",
            "00",
            "+86",
            "+86 0",
            "转",
            "ext.",
            ";ext=",
            "\u{FEFF}13800138000",
            "13800138000\u{00A0}",
            "0000000",
            "+00 86 13800138000",
            "9999999999999999999999999999999999",
        ] {
            let _ = Phone::parse(input);
        }
        assert_eq!(parsed("\u{FEFF}13800138000").e164(), "+8613800138000");
        assert_eq!(
            parsed("138\u{00A0}0013\u{00A0}8000").e164(),
            "+8613800138000"
        );
    }
}
