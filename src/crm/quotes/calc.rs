//! Exact quote arithmetic: no floating point anywhere.
//!
//! Amounts are whole minor units ([`Money`], 分), percentages are hundredths of a percent
//! ([`Percent`], 7.5% = 750) and quantities thousandths ([`Quantity`], 0.333 = 333), so every
//! product below is an integer and only a division rounds.
//!
//! **The rounding rule.** Each figure is rounded once, per line, to the minor unit, half away
//! from zero (0.005 → 0.01, 84.9915 → 84.99), in this order:
//!
//! 1. `amount` = quantity × unit price × (1 − line discount), rounded;
//! 2. `overall_discount` = `amount` × overall discount, rounded (the line's share);
//! 3. `tax` = (`amount` − `overall_discount`) × tax rate, rounded.
//!
//! The quote's figures are plain sums of the rounded line figures: subtotal = Σ amount,
//! discount = Σ overall_discount, tax = Σ tax, total = subtotal − discount + tax. So the
//! printed totals always add up to the cent, and to the lines above them.

use crate::domain::Money;
use serde::Serialize;
use std::fmt;

/// 100% in hundredths of a percent.
pub const HUNDRED_PERCENT: i64 = 10_000;
/// One unit in thousandths.
const QTY_ONE: i64 = 1_000;
/// The largest quantity accepted, in units (a typo guard).
const MAX_QTY_UNITS: i64 = 1_000_000_000;
/// The largest amount on a quote: a trillion in major units, like [`Money::parse`].
const MAX_MINOR: i128 = 1_000_000_000_000 * 100;

/// Why a number typed into a quote or product form was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberError {
    /// Not a number.
    Invalid,
    /// Too many decimals.
    Precision,
    /// Outside the allowed range.
    Range,
}

/// Reads a non-negative decimal with at most `decimals` decimals as an integer scaled by
/// 10^`decimals`. Spaces, thousands separators and a trailing `%` are ignored.
fn parse_scaled(text: &str, decimals: usize) -> Result<i64, NumberError> {
    let cleaned: String = text
        .trim()
        .trim_end_matches(['%', '％'])
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | ' ' | '_' | '\u{a0}'))
        .collect();
    if cleaned.starts_with('-') {
        return Err(NumberError::Range);
    }
    let (whole, frac) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    if (whole.is_empty() && frac.is_empty())
        || !whole
            .chars()
            .chain(frac.chars())
            .all(|c| c.is_ascii_digit())
    {
        return Err(NumberError::Invalid);
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > decimals {
        return Err(NumberError::Precision);
    }
    if whole.trim_start_matches('0').len() > 12 {
        return Err(NumberError::Range);
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| NumberError::Invalid)?
    };
    let frac: i64 = format!("{frac:0<decimals$}")
        .parse()
        .map_err(|_| NumberError::Invalid)?;
    Ok(whole * 10_i64.pow(decimals as u32) + frac)
}

/// Writes `value / 10^decimals` without trailing zeros: `7.5`, `3`, `0.333`.
fn show_scaled(f: &mut fmt::Formatter<'_>, value: i64, decimals: u32) -> fmt::Result {
    let scale = 10_i64.pow(decimals);
    let (whole, frac) = (value / scale, value % scale);
    if frac == 0 {
        return write!(f, "{whole}");
    }
    let digits = format!("{frac:0width$}", width = decimals as usize);
    write!(f, "{whole}.{}", digits.trim_end_matches('0'))
}

/// A percentage from 0 to 100 with up to two decimals, kept as hundredths of a percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize)]
#[serde(into = "String")]
pub struct Percent(i64);

impl Percent {
    /// No discount, no tax.
    pub const ZERO: Percent = Percent(0);

    /// A percentage from hundredths of a percent (as stored).
    pub const fn from_hundredths(h: i64) -> Percent {
        Percent(h)
    }

    /// Hundredths of a percent (as stored).
    pub const fn hundredths(self) -> i64 {
        self.0
    }

    /// Parses `7.5`, `7.5%` or `13`; blank is zero. Refuses more than two decimals and
    /// anything outside 0–100.
    pub fn parse(text: &str) -> Result<Percent, NumberError> {
        if text.trim().is_empty() {
            return Ok(Percent::ZERO);
        }
        let h = parse_scaled(text, 2)?;
        if h > HUNDRED_PERCENT {
            return Err(NumberError::Range);
        }
        Ok(Percent(h))
    }
}

impl fmt::Display for Percent {
    /// Without a percent sign or trailing zeros: `7.5`, `13`, `0.25`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        show_scaled(f, self.0, 2)
    }
}

impl From<Percent> for String {
    fn from(p: Percent) -> String {
        p.to_string()
    }
}

/// A quantity above zero with up to three decimals, kept as thousandths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub struct Quantity(i64);

impl Quantity {
    /// A quantity from thousandths (as stored).
    pub const fn from_thousandths(t: i64) -> Quantity {
        Quantity(t)
    }

    /// Thousandths (as stored).
    pub const fn thousandths(self) -> i64 {
        self.0
    }

    /// Parses `3`, `0.333`, `1,000`; refuses zero, more than three decimals and absurd sizes.
    pub fn parse(text: &str) -> Result<Quantity, NumberError> {
        let t = parse_scaled(text, 3)?;
        if t == 0 || t > MAX_QTY_UNITS * QTY_ONE {
            return Err(NumberError::Range);
        }
        Ok(Quantity(t))
    }
}

impl fmt::Display for Quantity {
    /// Without trailing zeros: `3`, `0.333`, `1.5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        show_scaled(f, self.0, 3)
    }
}

impl From<Quantity> for String {
    fn from(q: Quantity) -> String {
        q.to_string()
    }
}

/// `n / d` rounded half away from zero; `d` must be positive.
pub fn round_div(n: i128, d: i128) -> i128 {
    let (q, r) = (n / d, n % d);
    if r.abs() * 2 >= d { q + n.signum() } else { q }
}

/// What a line is priced from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinePrice {
    /// How many.
    pub quantity: Quantity,
    /// Price of one unit.
    pub price: Money,
    /// The line's own discount.
    pub discount: Percent,
    /// The tax rate of the line.
    pub tax_rate: Percent,
}

/// A line's computed figures, each rounded once (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineTotals {
    /// Quantity × price × (1 − line discount).
    pub amount: Money,
    /// The line's share of the overall discount.
    pub overall_discount: Money,
    /// Tax on what is left after both discounts.
    pub tax: Money,
}

/// A quote's computed figures.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Totals {
    /// Per line, in order.
    pub lines: Vec<LineTotals>,
    /// Σ line amounts.
    pub subtotal: Money,
    /// Σ line shares of the overall discount.
    pub discount: Money,
    /// Σ line taxes.
    pub tax: Money,
    /// subtotal − discount + tax.
    pub total: Money,
}

/// The amounts came out larger than any real quote (a typo in a quantity or price).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge {
    /// The first line whose amount is too large, if a single line is.
    pub line: Option<usize>,
}

fn money(v: i128) -> Option<Money> {
    (v.abs() <= MAX_MINOR)
        .then(|| i64::try_from(v).ok().map(Money::from_minor))
        .flatten()
}

/// Prices a quote: every line, then the sums. See the module docs for the rounding rule.
pub fn compute(lines: &[LinePrice], overall: Percent) -> Result<Totals, TooLarge> {
    let (pct, qty) = (i128::from(HUNDRED_PERCENT), i128::from(QTY_ONE));
    let mut out = Totals::default();
    let (mut subtotal, mut discount, mut tax) = (0_i128, 0_i128, 0_i128);
    for (i, l) in lines.iter().enumerate() {
        let too_large = TooLarge { line: Some(i) };
        let gross = i128::from(l.quantity.0)
            * i128::from(l.price.minor())
            * (pct - i128::from(l.discount.0));
        let amount = round_div(gross, qty * pct);
        let share = round_div(amount * i128::from(overall.0), pct);
        let line_tax = round_div((amount - share) * i128::from(l.tax_rate.0), pct);
        out.lines.push(LineTotals {
            amount: money(amount).ok_or(too_large)?,
            overall_discount: money(share).ok_or(too_large)?,
            tax: money(line_tax).ok_or(too_large)?,
        });
        subtotal += amount;
        discount += share;
        tax += line_tax;
    }
    let all = TooLarge { line: None };
    out.subtotal = money(subtotal).ok_or(all)?;
    out.discount = money(discount).ok_or(all)?;
    out.tax = money(tax).ok_or(all)?;
    out.total = money(subtotal - discount + tax).ok_or(all)?;
    Ok(out)
}

/// The largest effective discount of a quote: over its lines, 1 − (1 − line discount) ×
/// (1 − overall discount), so a line discount and the overall discount compound; a quote
/// without lines has just its overall discount. This is what the approval threshold is
/// compared with, so splitting a discount between a line and the whole quote does not get
/// around approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Largest {
    /// (1 − d) as a product of two factors of [`HUNDRED_PERCENT`]: the smallest kept share.
    kept: i128,
}

impl Largest {
    /// Finds the largest effective discount.
    pub fn of(line_discounts: impl IntoIterator<Item = Percent>, overall: Percent) -> Largest {
        let p = i128::from(HUNDRED_PERCENT);
        let overall_kept = p - i128::from(overall.0);
        let kept = line_discounts
            .into_iter()
            .map(|d| (p - i128::from(d.0)) * overall_kept)
            .min()
            .unwrap_or(p * overall_kept);
        Largest { kept }
    }

    /// Whether it is strictly above `threshold` (exactly, without rounding).
    pub fn exceeds(self, threshold: Percent) -> bool {
        let p = i128::from(HUNDRED_PERCENT);
        self.kept < (p - i128::from(threshold.0)) * p
    }

    /// For display, rounded half away from zero to a hundredth of a percent.
    pub fn percent(self) -> Percent {
        let p = i128::from(HUNDRED_PERCENT);
        let discount = round_div(p * p - self.kept, p);
        Percent(i64::try_from(discount).unwrap_or(HUNDRED_PERCENT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(q: &str, price: &str, disc: &str, tax: &str) -> LinePrice {
        LinePrice {
            quantity: Quantity::parse(q).unwrap(),
            price: Money::parse(price).unwrap(),
            discount: Percent::parse(disc).unwrap(),
            tax_rate: Percent::parse(tax).unwrap(),
        }
    }

    fn cents(m: Money) -> i64 {
        m.minor()
    }

    #[test]
    fn numbers_parse_exactly_and_show_without_trailing_zeros() {
        assert_eq!(Percent::parse("7.5").unwrap().hundredths(), 750);
        assert_eq!(Percent::parse("7.5%").unwrap().hundredths(), 750);
        assert_eq!(Percent::parse(" 13 ").unwrap().hundredths(), 1300);
        assert_eq!(Percent::parse("").unwrap(), Percent::ZERO);
        assert_eq!(Percent::parse("100").unwrap().hundredths(), 10_000);
        assert_eq!(Percent::parse("100.01"), Err(NumberError::Range));
        assert_eq!(Percent::parse("1.005"), Err(NumberError::Precision));
        assert_eq!(Percent::parse("-1"), Err(NumberError::Range));
        assert_eq!(Percent::parse("x"), Err(NumberError::Invalid));
        assert_eq!(Percent::parse("."), Err(NumberError::Invalid));
        assert_eq!(Percent::from_hundredths(750).to_string(), "7.5");
        assert_eq!(Percent::from_hundredths(1300).to_string(), "13");
        assert_eq!(Percent::from_hundredths(25).to_string(), "0.25");
        assert_eq!(Quantity::parse("0.333").unwrap().thousandths(), 333);
        assert_eq!(Quantity::parse("1,000").unwrap().thousandths(), 1_000_000);
        assert_eq!(Quantity::parse("2.500").unwrap().thousandths(), 2_500);
        assert_eq!(Quantity::parse("0"), Err(NumberError::Range));
        assert_eq!(Quantity::parse("0.0005"), Err(NumberError::Precision));
        assert_eq!(Quantity::parse("1e3"), Err(NumberError::Invalid));
        assert_eq!(Quantity::parse("9999999999999"), Err(NumberError::Range));
        assert_eq!(Quantity::from_thousandths(333).to_string(), "0.333");
        assert_eq!(Quantity::from_thousandths(3_000).to_string(), "3");
        assert_eq!(Quantity::from_thousandths(1_500).to_string(), "1.5");
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_div(5, 10), 1);
        assert_eq!(round_div(4, 10), 0);
        assert_eq!(round_div(-5, 10), -1);
        assert_eq!(round_div(-4, 10), 0);
        assert_eq!(round_div(15, 10), 2);
        assert_eq!(round_div(25, 10), 3, "not to even");
    }

    #[test]
    fn awkward_numbers_are_rounded_once_per_line_and_the_totals_add_up() {
        // 3 × 33.33 = 99.99, less 15% = 84.9915 → 84.99; 7.5% of it = 6.37425 → 6.37;
        // 13% of 78.62 = 10.2206 → 10.22; total 84.99 − 6.37 + 10.22 = 88.84.
        let t = compute(
            &[line("3", "33.33", "15", "13")],
            Percent::parse("7.5").unwrap(),
        )
        .unwrap();
        assert_eq!(cents(t.lines[0].amount), 8499);
        assert_eq!(cents(t.lines[0].overall_discount), 637);
        assert_eq!(cents(t.lines[0].tax), 1022);
        assert_eq!(
            (
                cents(t.subtotal),
                cents(t.discount),
                cents(t.tax),
                cents(t.total)
            ),
            (8499, 637, 1022, 8884)
        );
    }

    #[test]
    fn fractional_quantities_and_half_cents_round_up_in_size() {
        // 0.333 × 1.50 = 0.4995 → 0.50.
        let t = compute(&[line("0.333", "1.50", "", "")], Percent::ZERO).unwrap();
        assert_eq!(cents(t.total), 50);
        // 0.5 × 0.01 = 0.005 exactly → 0.01 (half away from zero, not to even).
        let t = compute(&[line("0.5", "0.01", "", "")], Percent::ZERO).unwrap();
        assert_eq!(cents(t.total), 1);
        // 1 × 0.05 less 50% = 0.025 → 0.03; 13% tax of 0.03 = 0.0039 → 0.00.
        let t = compute(&[line("1", "0.05", "50", "13")], Percent::ZERO).unwrap();
        assert_eq!((cents(t.subtotal), cents(t.tax)), (3, 0));
        // 0.1 × 0.05 = 0.005 → 0.01 and its 50% tax = 0.005 → 0.01.
        let t = compute(&[line("0.1", "0.05", "", "50")], Percent::ZERO).unwrap();
        assert_eq!((cents(t.subtotal), cents(t.tax), cents(t.total)), (1, 1, 2));
    }

    #[test]
    fn totals_are_the_sums_of_the_rounded_lines() {
        let lines = [
            line("0.333", "10.01", "3.33", "13"),
            line("7", "0.99", "", "6"),
            line("1.25", "1999.99", "12.5", "9"),
        ];
        let t = compute(&lines, Percent::parse("2.25").unwrap()).unwrap();
        let sum = |f: fn(&LineTotals) -> Money| t.lines.iter().map(|l| f(l).minor()).sum::<i64>();
        assert_eq!(t.subtotal.minor(), sum(|l| l.amount));
        assert_eq!(t.discount.minor(), sum(|l| l.overall_discount));
        assert_eq!(t.tax.minor(), sum(|l| l.tax));
        assert_eq!(
            t.total.minor(),
            t.subtotal.minor() - t.discount.minor() + t.tax.minor()
        );
        // 0.333 × 10.01 × 0.9667 = 3.22232… → 3.22
        assert_eq!(t.lines[0].amount.minor(), 322);
        // 1.25 × 1999.99 × 0.875 = 2187.489… → 2187.49
        assert_eq!(t.lines[2].amount.minor(), 218_749);
    }

    #[test]
    fn an_absurd_amount_is_refused_not_wrapped() {
        let err = compute(
            &[line("999999999", "99999999999.99", "", "")],
            Percent::ZERO,
        );
        assert_eq!(err, Err(TooLarge { line: Some(0) }));
    }

    #[test]
    fn the_largest_discount_compounds_line_and_overall_discounts() {
        let p = |s: &str| Percent::parse(s).unwrap();
        let l = Largest::of([p("15"), p("5")], p("7.5"));
        // 1 − 0.85 × 0.925 = 21.375%
        assert_eq!(l.percent(), p("21.38"));
        assert!(l.exceeds(p("20")));
        assert!(l.exceeds(p("21.37")) && !l.exceeds(p("21.38")));
        assert!(
            !Largest::of([p("20")], Percent::ZERO).exceeds(p("20")),
            "not above"
        );
        assert!(Largest::of([p("20.01")], Percent::ZERO).exceeds(p("20")));
        assert!(Largest::of([], p("25")).exceeds(p("20")));
        assert!(!Largest::of([], Percent::ZERO).exceeds(Percent::ZERO));
    }
}
