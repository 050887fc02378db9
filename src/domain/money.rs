//! Amounts of money, kept exact as whole minor units (分, cents): never floating point.

use std::fmt;

/// An amount in minor units of its currency (two decimals).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Money(i64);

/// Why text is not an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyError {
    /// Not a number.
    Invalid,
    /// More than two decimals.
    Precision,
    /// Below zero where that makes no sense.
    Negative,
    /// Larger than any real amount (a typo).
    TooLarge,
}

impl MoneyError {
    /// The i18n key of the message.
    pub fn message_key(self) -> &'static str {
        match self {
            MoneyError::Invalid => "money.error.invalid",
            MoneyError::Precision => "money.error.precision",
            MoneyError::Negative => "money.error.negative",
            MoneyError::TooLarge => "money.error.too_large",
        }
    }
}

/// The largest amount accepted: a trillion in major units.
const MAX: i64 = 1_000_000_000_000 * 100;

impl Money {
    /// An amount from minor units.
    pub const fn from_minor(minor: i64) -> Money {
        Money(minor)
    }

    /// The amount in minor units.
    pub const fn minor(self) -> i64 {
        self.0
    }

    /// Parses an amount as people type it: `1234.5`, `1,234.50`, `¥1 234`, `-20`. Currency
    /// signs, spaces and thousands separators are ignored; more than two decimals is an
    /// error rather than a silent rounding.
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        let cleaned: String = text
            .trim()
            .chars()
            .filter(|c| {
                !matches!(
                    c,
                    ',' | '，' | ' ' | '¥' | '￥' | '$' | '€' | '_' | '\u{a0}'
                )
            })
            .collect();
        let (negative, digits) = match cleaned.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, cleaned.as_str()),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() && frac.is_empty() {
            return Err(MoneyError::Invalid);
        }
        if !whole
            .chars()
            .chain(frac.chars())
            .all(|c| c.is_ascii_digit())
        {
            return Err(MoneyError::Invalid);
        }
        if frac.len() > 2 {
            return Err(MoneyError::Precision);
        }
        if whole.len() > 13 {
            return Err(MoneyError::TooLarge);
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| MoneyError::Invalid)?
        };
        let cents: i64 = format!("{frac:0<2}")
            .parse()
            .map_err(|_| MoneyError::Invalid)?;
        let minor = whole * 100 + cents;
        if minor > MAX {
            return Err(MoneyError::TooLarge);
        }
        Ok(Money(if negative { -minor } else { minor }))
    }

    /// Like [`Money::parse`], refusing amounts below zero.
    pub fn parse_positive(text: &str) -> Result<Money, MoneyError> {
        let m = Money::parse(text)?;
        if m.0 < 0 {
            return Err(MoneyError::Negative);
        }
        Ok(m)
    }

    /// The amount as a form puts it back: `1234.50`, no separators.
    pub fn plain(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", a / 100, a % 100)
    }

    /// `part` percent of this amount, rounded half away from zero to the minor unit.
    pub fn percent(self, part: i64) -> Money {
        let n = i128::from(self.0) * i128::from(part);
        let q = n / 100;
        let r = n % 100;
        let rounded = if r.abs() * 2 >= 100 {
            q + n.signum()
        } else {
            q
        };
        Money(i64::try_from(rounded).unwrap_or(i64::MAX))
    }
}

impl fmt::Display for Money {
    /// With thousands separators: `1,234,567.50`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0.unsigned_abs();
        let whole = (a / 100).to_string();
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{grouped}.{:02}", a % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_as_people_type_them() {
        let cents = |s: &str| Money::parse(s).map(Money::minor);
        assert_eq!(cents("1234.5"), Ok(123_450));
        assert_eq!(cents("1,234.50"), Ok(123_450));
        assert_eq!(cents("¥1 234"), Ok(123_400));
        assert_eq!(cents("￥0.07"), Ok(7));
        assert_eq!(cents(".5"), Ok(50));
        assert_eq!(cents("-20"), Ok(-2000));
        assert_eq!(cents("12.345"), Err(MoneyError::Precision));
        assert_eq!(cents("12a"), Err(MoneyError::Invalid));
        assert_eq!(cents(""), Err(MoneyError::Invalid));
        assert_eq!(cents("."), Err(MoneyError::Invalid));
        assert_eq!(cents("1.2.3"), Err(MoneyError::Invalid));
        assert_eq!(cents("99999999999999"), Err(MoneyError::TooLarge));
        assert_eq!(
            Money::parse_positive("-1").map(Money::minor),
            Err(MoneyError::Negative)
        );
    }

    #[test]
    fn amounts_show_grouped_and_go_back_into_forms_plain() {
        assert_eq!(Money::from_minor(123_456_750).to_string(), "1,234,567.50");
        assert_eq!(Money::from_minor(5).to_string(), "0.05");
        assert_eq!(Money::from_minor(-100_000).to_string(), "-1,000.00");
        assert_eq!(Money::from_minor(100_000).plain(), "1000.00");
        assert_eq!(Money::from_minor(-5).plain(), "-0.05");
    }

    #[test]
    fn percentages_round_half_away_from_zero() {
        assert_eq!(Money::from_minor(1_000).percent(30).minor(), 300);
        assert_eq!(Money::from_minor(5).percent(50).minor(), 3);
        assert_eq!(Money::from_minor(-5).percent(50).minor(), -3);
        assert_eq!(Money::from_minor(333).percent(10).minor(), 33);
    }
}
