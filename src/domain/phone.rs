//! Phone numbers as people type them, normalized so the same number written differently is
//! recognized as the same: duplicate detection and search by digits depend on it.

/// What kind of number it is; decides how it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhoneKind {
    /// A mainland China mobile (11 digits, 1[3-9]…).
    Mobile,
    /// A mainland China landline with its area code.
    Landline,
    /// A mainland China 400/800 service number.
    Service,
    /// Any number outside mainland China, given with its country code.
    International,
}

/// Why a phone number was not accepted; each maps to an i18n message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneError {
    /// Nothing was given.
    Empty,
    /// Something other than digits and separators.
    InvalidCharacters,
    /// Fewer than seven digits.
    TooShort,
    /// More than fifteen digits.
    TooLong,
    /// Digits that fit no known plan (e.g. a local number without its area code).
    UnknownFormat,
}

impl PhoneError {
    /// The i18n key of the message.
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

impl std::fmt::Display for PhoneError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PhoneError::Empty => "no phone number was given",
            PhoneError::InvalidCharacters => {
                "a phone number may contain only digits and separators"
            }
            PhoneError::TooShort => "the phone number is too short",
            PhoneError::TooLong => "the phone number is too long",
            PhoneError::UnknownFormat => "the phone number fits no known format",
        })
    }
}

impl std::error::Error for PhoneError {}

/// A valid phone number in canonical form (`+8613800138000`), with an optional extension.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone {
    e164: String,
    extension: Option<String>,
    kind: PhoneKind,
}

/// Splits off an extension written as 转123, ext 123, x123, #123 or ,123.
fn split_extension(s: &str) -> (&str, Option<String>) {
    let lower = s.to_lowercase();
    for marker in ["转", "ext.", "ext", "x", "#", ","] {
        if let Some(pos) = lower.rfind(marker) {
            let ext: String = lower[pos + marker.len()..].trim().to_string();
            if !ext.is_empty()
                && ext.len() <= 6
                && ext.chars().all(|c| c.is_ascii_digit())
                && pos > 0
            {
                return (&s[..pos], Some(ext));
            }
        }
    }
    (s, None)
}

/// Digits of the number, with full-width forms folded and separators dropped; `true` when it
/// began with an international prefix (`+`).
fn digits_of(s: &str) -> Result<(String, bool), PhoneError> {
    let mut digits = String::new();
    let mut plus = false;
    for c in s.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '０'..='９' => {
                let d = (c as u32 - '０' as u32) as u8;
                digits.push(char::from(b'0' + d));
            }
            '+' | '＋' if digits.is_empty() && !plus => plus = true,
            ' ' | '\u{3000}' | '\t' | '-' | '–' | '－' | '.' | '/' | '(' | ')' | '（' | '）' =>
                {}
            _ => return Err(PhoneError::InvalidCharacters),
        }
    }
    Ok((digits, plus))
}

/// Length of a Chinese area code (without the trunk 0) at the start of `national`.
fn area_code_len(national: &str) -> usize {
    if national.starts_with("10") || national.starts_with('2') {
        2
    } else {
        3
    }
}

impl Phone {
    /// Parses a number in any common way of writing it.
    pub fn parse(input: &str) -> Result<Phone, PhoneError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        let (number, ext_from_stored) = match trimmed.split_once(";ext=") {
            Some((n, e)) => (n, Some(e.to_string())),
            None => (trimmed, None),
        };
        let (number, extension) = match ext_from_stored {
            Some(e) => (number, Some(e)),
            None => split_extension(number),
        };
        let (mut digits, plus) = digits_of(number)?;
        if digits.len() < 7 {
            return Err(PhoneError::TooShort);
        }
        let international = plus || digits.starts_with("00");
        if digits.starts_with("00") {
            digits.drain(..2);
        }
        // The national number, and whether a country code 86 stood before it.
        let china: Option<(String, bool)> = if international {
            digits.strip_prefix("86").map(|n| (n.to_string(), true))
        } else if digits.len() == 13 && digits.starts_with("861") {
            Some((digits[2..].to_string(), true))
        } else if digits.starts_with("86") && digits.len() >= 11 && !digits.starts_with("860") {
            // 86-10-12345678 written without the plus: a landline after the country code.
            let rest = &digits[2..];
            if (rest.len() >= 9 && !rest.starts_with('1')) || rest.starts_with("10") {
                Some((rest.to_string(), true))
            } else {
                Some((digits.clone(), false))
            }
        } else {
            Some((digits.clone(), false))
        };
        let phone = match china {
            Some((national, cc)) => Self::china(&national, cc)?,
            None => Self::foreign(&digits)?,
        };
        Ok(Phone { extension, ..phone })
    }

    fn china(national: &str, with_country_code: bool) -> Result<Phone, PhoneError> {
        let national = national
            .strip_prefix('0')
            .filter(|_| with_country_code)
            .unwrap_or(national);
        let make = |e164: String, kind| Phone {
            e164,
            extension: None,
            kind,
        };
        if national.len() > 15 {
            return Err(PhoneError::TooLong);
        }
        let bytes = national.as_bytes();
        if national.len() == 11 && bytes[0] == b'1' {
            return if (b'3'..=b'9').contains(&bytes[1]) {
                Ok(make(format!("+86{national}"), PhoneKind::Mobile))
            } else {
                Err(PhoneError::UnknownFormat)
            };
        }
        if national.len() == 10 && (national.starts_with("400") || national.starts_with("800")) {
            return Ok(make(format!("+86{national}"), PhoneKind::Service));
        }
        // Landline: with the trunk 0 when written nationally, without it after +86.
        let rest = match national.strip_prefix('0') {
            Some(r) => r,
            None if with_country_code => national,
            None => return Err(PhoneError::UnknownFormat),
        };
        if rest.starts_with('0') || rest.starts_with('1') && !rest.starts_with("10") {
            return Err(PhoneError::UnknownFormat);
        }
        let area = area_code_len(rest);
        let subscriber = rest.len().saturating_sub(area);
        let ok = if area == 2 {
            subscriber == 8
        } else {
            (7..=8).contains(&subscriber)
        };
        if ok {
            Ok(make(format!("+86{rest}"), PhoneKind::Landline))
        } else if rest.len() > 12 {
            Err(PhoneError::TooLong)
        } else {
            Err(PhoneError::UnknownFormat)
        }
    }

    fn foreign(digits: &str) -> Result<Phone, PhoneError> {
        if digits.len() > 15 {
            return Err(PhoneError::TooLong);
        }
        let ok = if digits.starts_with('1') {
            digits.len() == 11
        } else {
            digits.len() >= 8
        };
        if !ok {
            return Err(if digits.len() < 8 {
                PhoneError::TooShort
            } else {
                PhoneError::UnknownFormat
            });
        }
        Ok(Phone {
            e164: format!("+{digits}"),
            extension: None,
            kind: PhoneKind::International,
        })
    }

    /// The canonical number, e.g. `+8613800138000`.
    pub fn e164(&self) -> &str {
        &self.e164
    }

    /// The extension, if any.
    pub fn extension(&self) -> Option<&str> {
        self.extension.as_deref()
    }

    /// Mobile, landline, service or international.
    pub fn kind(&self) -> PhoneKind {
        self.kind
    }

    /// The digits people type when searching: national form with the trunk 0 for Chinese
    /// landlines (`01012345678`), the country code included for foreign numbers.
    pub fn digits(&self) -> String {
        let d = self.e164.trim_start_matches('+');
        match self.kind {
            PhoneKind::Mobile | PhoneKind::Service => d[2..].to_string(),
            PhoneKind::Landline => format!("0{}", &d[2..]),
            PhoneKind::International => d.to_string(),
        }
    }

    /// How Kith shows the number: `138 0013 8000`, `010-1234 5678`, `400-810-8888`.
    pub fn display(&self) -> String {
        let national = self.digits();
        let shown = match self.kind {
            PhoneKind::Mobile => {
                format!("{} {} {}", &national[..3], &national[3..7], &national[7..])
            }
            PhoneKind::Service => {
                format!("{}-{}-{}", &national[..3], &national[3..6], &national[6..])
            }
            PhoneKind::Landline => {
                let area = 1 + area_code_len(&national[1..]);
                let (code, sub) = national.split_at(area);
                if sub.len() == 8 {
                    format!("{code}-{} {}", &sub[..4], &sub[4..])
                } else {
                    format!("{code}-{sub}")
                }
            }
            PhoneKind::International => {
                let d = &self.e164[1..];
                let cc = if d.starts_with('1') || d.starts_with('7') {
                    1
                } else if [
                    "852", "853", "886", "855", "856", "880", "971", "972", "966",
                ]
                .iter()
                .any(|p| d.starts_with(p))
                {
                    3
                } else {
                    2
                };
                format!("+{} {}", &d[..cc], &d[cc..])
            }
        };
        match &self.extension {
            Some(e) => format!("{shown} ext. {e}"),
            None => shown,
        }
    }

    /// What is stored in the database; parsing it gives back an equal `Phone`.
    pub fn stored(&self) -> String {
        match &self.extension {
            Some(e) => format!("{};ext={e}", self.e164),
            None => self.e164.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(s: &str) -> String {
        Phone::parse(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .e164()
            .to_string()
    }

    #[test]
    fn a_chinese_mobile_is_the_same_number_in_every_common_spelling() {
        for s in [
            "13800138000",
            "+86 138-0013-8000",
            "138 0013 8000",
            "8613800138000",
            "008613800138000",
            "+86 (138) 0013 8000",
            "+86 13800138000",
            "１３８００１３８０００",
            "＋86 138 0013 8000",
        ] {
            assert_eq!(e164(s), "+8613800138000", "{s}");
        }
        assert_eq!(
            Phone::parse("13800138000").unwrap().kind(),
            PhoneKind::Mobile
        );
    }

    #[test]
    fn landlines_keep_their_area_code() {
        for s in [
            "010-12345678",
            "(010) 1234 5678",
            "+86 10 1234 5678",
            "86-10-12345678",
            "010 1234 5678",
        ] {
            assert_eq!(e164(s), "+861012345678", "{s}");
        }
        assert_eq!(e164("0755-88888888"), "+8675588888888");
        assert_eq!(e164("+86 0755 8888 8888"), "+8675588888888");
        assert_eq!(e164("0571-8888888"), "+865718888888");
        assert_eq!(e164("021-6123 4567"), "+862161234567");
        assert_eq!(
            Phone::parse("010-12345678").unwrap().kind(),
            PhoneKind::Landline
        );
    }

    #[test]
    fn service_and_international_numbers_are_recognized() {
        assert_eq!(e164("400-810-8888"), "+864008108888");
        assert_eq!(e164("800 810 8888"), "+868008108888");
        assert_eq!(
            Phone::parse("4008108888").unwrap().kind(),
            PhoneKind::Service
        );
        assert_eq!(e164("+852 9123 4567"), "+85291234567");
        assert_eq!(e164("00852 91234567"), "+85291234567");
        assert_eq!(e164("+1 (415) 555-0123"), "+14155550123");
        assert_eq!(e164("+49 30 1234567"), "+49301234567");
        assert_eq!(
            Phone::parse("+1 415 555 0123").unwrap().kind(),
            PhoneKind::International
        );
    }

    #[test]
    fn extensions_are_kept_apart() {
        for s in [
            "010-12345678转123",
            "010-12345678 ext 123",
            "010-12345678 ext.123",
            "010-12345678 x123",
            "010-12345678#123",
        ] {
            let p = Phone::parse(s).unwrap();
            assert_eq!(p.e164(), "+861012345678", "{s}");
            assert_eq!(p.extension(), Some("123"), "{s}");
        }
    }

    #[test]
    fn bad_input_names_its_problem() {
        assert_eq!(Phone::parse("  "), Err(PhoneError::Empty));
        assert_eq!(Phone::parse("abc"), Err(PhoneError::InvalidCharacters));
        assert_eq!(Phone::parse("12345"), Err(PhoneError::TooShort));
        assert_eq!(Phone::parse("1380013800"), Err(PhoneError::UnknownFormat));
        assert_eq!(Phone::parse("12345678"), Err(PhoneError::UnknownFormat));
        assert_eq!(Phone::parse("11012345678"), Err(PhoneError::UnknownFormat));
        assert_eq!(
            Phone::parse("+86 1234567890123456"),
            Err(PhoneError::TooLong)
        );
        assert_eq!(
            PhoneError::UnknownFormat.message_key(),
            "phone.error.format"
        );
    }

    #[test]
    fn numbers_are_shown_the_way_people_write_them() {
        assert_eq!(
            Phone::parse("8613800138000").unwrap().display(),
            "138 0013 8000"
        );
        assert_eq!(
            Phone::parse("+86 10 12345678").unwrap().display(),
            "010-1234 5678"
        );
        assert_eq!(
            Phone::parse("0755-88888888").unwrap().display(),
            "0755-8888 8888"
        );
        assert_eq!(
            Phone::parse("0571-8888888").unwrap().display(),
            "0571-8888888"
        );
        assert_eq!(
            Phone::parse("4008108888").unwrap().display(),
            "400-810-8888"
        );
        assert_eq!(
            Phone::parse("+14155550123").unwrap().display(),
            "+1 4155550123"
        );
        assert_eq!(
            Phone::parse("+85291234567").unwrap().display(),
            "+852 91234567"
        );
        assert_eq!(
            Phone::parse("010-12345678转8").unwrap().display(),
            "010-1234 5678 ext. 8"
        );
    }

    #[test]
    fn digits_are_what_people_type_and_stored_values_round_trip() {
        assert_eq!(
            Phone::parse("+86 138 0013 8000").unwrap().digits(),
            "13800138000"
        );
        assert_eq!(
            Phone::parse("+861012345678").unwrap().digits(),
            "01012345678"
        );
        assert_eq!(Phone::parse("400-810-8888").unwrap().digits(), "4008108888");
        assert_eq!(
            Phone::parse("+1 415 555 0123").unwrap().digits(),
            "14155550123"
        );
        for s in [
            "13800138000",
            "010-12345678转123",
            "+852 9123 4567",
            "400-810-8888",
        ] {
            let p = Phone::parse(s).unwrap();
            assert_eq!(Phone::parse(&p.stored()).unwrap(), p, "{s}");
        }
    }
}
