//! Exact numeric values of number captures: digits, number words and scale words.
//!
//! Which text is a digit group, a number word or a scale word is the grammar's and the
//! lexicons' business; this module only adds them up, the way Duckling's numeral dimension
//! does: grammar rules named `int` (digits, any separators) and `frac` (digits after the
//! decimal mark), and lexicon entries with an attribute `number` (`три`, `бес`, `жүз`) or
//! `scale` (`тыс.`, `млн`, `мың`). `2 млн 038 мың` = 2·10⁶ + 38·10³; `екі жүз елу мың` =
//! (2·100 + 50)·10³; `1,6 млрд` = 1.6·10⁹. All arithmetic is checked: an overflow is no value.

use super::tree::Node;
use crate::rules::lexicon::Lexicons;
use rust_decimal::Decimal;

/// The value of a number capture and the last scale word in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Numeral {
    /// The exact value.
    pub value: Decimal,
    /// The last scale applied (`млрд` → 10⁹), if any.
    pub scale: Option<Decimal>,
}

fn attr_decimal(v: &toml::Value) -> Option<Decimal> {
    match v {
        toml::Value::Integer(i) => Some(Decimal::from(*i)),
        toml::Value::String(s) => s.parse().ok(),
        toml::Value::Float(f) => f.to_string().parse().ok(),
        _ => None,
    }
}

enum Token {
    Digits(Decimal),
    /// The digits after the decimal mark, as a whole number, and how many there are.
    Fraction(Decimal, usize),
    Word(Decimal),
    Scale(Decimal),
}

/// The ASCII digits of `text` (separators skipped) read as one whole number, and how many
/// there are; `None` when there are more than `most`. Read in place: collecting them into a
/// string to parse was an allocation per number.
fn digits(text: &str, most: usize) -> Option<(Decimal, usize)> {
    let mut value: u128 = 0;
    let mut count = 0;
    for b in text.bytes().filter(u8::is_ascii_digit) {
        count += 1;
        if count > most {
            return None;
        }
        // At most 27 digits: far below `u128::MAX` and within a decimal's 96 bits.
        value = value * 10 + u128::from(b - b'0');
    }
    Some((
        Decimal::from_i128_with_scale(i128::try_from(value).ok()?, 0),
        count,
    ))
}

/// Adds the tokens of `node` to `sum`, in text order: they are summed as they are read,
/// not collected first (a vector per number was an allocation and its growth).
fn tokens(node: Node<'_>, text: &str, lexicons: &Lexicons, sum: &mut Sum) -> Option<()> {
    match node.rule {
        "int" => {
            let (value, count) = digits(&text[node.start..node.end], 27)?;
            if count == 0 {
                return None;
            }
            return sum.add(Token::Digits(value));
        }
        "frac" => {
            let (value, count) = digits(&text[node.start..node.end], 20)?;
            return sum.add(Token::Fraction(value, count));
        }
        _ => {}
    }
    if let Some(entry) = lexicons.entry_of_id(node.id) {
        if let Some(v) = entry.attrs.get("number").and_then(attr_decimal) {
            return sum.add(Token::Word(v));
        }
        if let Some(v) = entry.attrs.get("scale").and_then(attr_decimal) {
            return sum.add(Token::Scale(v));
        }
    }
    for c in node.children() {
        tokens(c, text, lexicons, sum)?;
    }
    Some(())
}

/// Evaluates the number in `node` (normalised `text`); `None` when it holds no number or the
/// value overflows.
pub fn evaluate(node: Node<'_>, text: &str, lexicons: &Lexicons) -> Option<Numeral> {
    let mut sum = Sum::default();
    tokens(node, text, lexicons, &mut sum)?;
    if !sum.any {
        return None;
    }
    let value = sum.total.checked_add(sum.current.unwrap_or_default())?;
    Some(Numeral {
        value: value.normalize(),
        scale: sum.scale,
    })
}

/// A number read so far: the scaled parts, the part not scaled yet, the last scale.
#[derive(Default)]
struct Sum {
    total: Decimal,
    current: Option<Decimal>,
    scale: Option<Decimal>,
    /// Whether a digit, number or scale word was read (a fraction alone is no number).
    any: bool,
}

impl Sum {
    /// Adds the next token; `None` when the value overflows.
    fn add(&mut self, t: Token) -> Option<()> {
        let hundred = Decimal::from(100);
        let ten = Decimal::from(10);
        match t {
            Token::Digits(d) => {
                self.current = Some(self.current.unwrap_or_default().checked_add(d)?);
                self.any = true;
            }
            Token::Fraction(_, 0) => {}
            Token::Fraction(f, count) => {
                let mut div = Decimal::ONE;
                for _ in 0..count {
                    div = div.checked_mul(ten)?;
                }
                self.current = Some(
                    self.current
                        .unwrap_or_default()
                        .checked_add(f.checked_div(div)?)?,
                );
            }
            Token::Word(v) => {
                self.any = true;
                self.current = Some(match self.current {
                    Some(c) if v == hundred && c > Decimal::ZERO && c < ten => {
                        c.checked_mul(hundred)?
                    }
                    Some(c) => c.checked_add(v)?,
                    None => v,
                });
            }
            Token::Scale(s) => {
                self.any = true;
                self.total = self
                    .total
                    .checked_add(self.current.unwrap_or(Decimal::ONE).checked_mul(s)?)?;
                self.current = None;
                self.scale = Some(s);
            }
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_skip_separators_and_refuse_too_many() {
        assert_eq!(digits("1 234,5", 27), Some((Decimal::from(12345), 5)));
        assert_eq!(digits("007", 27), Some((Decimal::from(7), 3)));
        assert_eq!(digits("", 27), Some((Decimal::ZERO, 0)));
        let most = "9".repeat(27);
        let parsed: Decimal = most.parse().expect("27 digits parse");
        assert_eq!(digits(&most, 27), Some((parsed, 27)));
        assert_eq!(digits(&"9".repeat(28), 27), None);
        assert_eq!(digits("12345", 4), None);
    }
}
