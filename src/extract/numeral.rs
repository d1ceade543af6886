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
    Fraction(String),
    Word(Decimal),
    Scale(Decimal),
}

fn tokens(node: Node<'_>, text: &str, lexicons: &Lexicons, out: &mut Vec<Token>) -> Option<()> {
    match node.rule {
        "int" => {
            let digits: String = text[node.start..node.end]
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            if digits.is_empty() || digits.len() > 27 {
                return None;
            }
            out.push(Token::Digits(digits.parse().ok()?));
            return Some(());
        }
        "frac" => {
            let digits: String = text[node.start..node.end]
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            if digits.len() > 20 {
                return None;
            }
            out.push(Token::Fraction(digits));
            return Some(());
        }
        _ => {}
    }
    if let Some(entry) = lexicons.entry_of_id(node.id) {
        if let Some(v) = entry.attrs.get("number").and_then(attr_decimal) {
            out.push(Token::Word(v));
            return Some(());
        }
        if let Some(v) = entry.attrs.get("scale").and_then(attr_decimal) {
            out.push(Token::Scale(v));
            return Some(());
        }
    }
    for c in node.children() {
        tokens(c, text, lexicons, out)?;
    }
    Some(())
}

/// Evaluates the number in `node` (normalised `text`); `None` when it holds no number or the
/// value overflows.
pub fn evaluate(node: Node<'_>, text: &str, lexicons: &Lexicons) -> Option<Numeral> {
    let mut toks = Vec::new();
    tokens(node, text, lexicons, &mut toks)?;
    let hundred = Decimal::from(100);
    let ten = Decimal::from(10);
    let mut total = Decimal::ZERO;
    let mut current: Option<Decimal> = None;
    let mut scale = None;
    let mut any = false;
    for t in toks {
        match t {
            Token::Digits(d) => {
                current = Some(current.unwrap_or_default().checked_add(d)?);
                any = true;
            }
            Token::Fraction(digits) => {
                if digits.is_empty() {
                    continue;
                }
                let f: Decimal = digits.parse().ok()?;
                let mut div = Decimal::ONE;
                for _ in 0..digits.len() {
                    div = div.checked_mul(ten)?;
                }
                current = Some(
                    current
                        .unwrap_or_default()
                        .checked_add(f.checked_div(div)?)?,
                );
            }
            Token::Word(v) => {
                any = true;
                current = Some(match current {
                    Some(c) if v == hundred && c > Decimal::ZERO && c < ten => {
                        c.checked_mul(hundred)?
                    }
                    Some(c) => c.checked_add(v)?,
                    None => v,
                });
            }
            Token::Scale(s) => {
                any = true;
                total = total.checked_add(current.unwrap_or(Decimal::ONE).checked_mul(s)?)?;
                current = None;
                scale = Some(s);
            }
        }
    }
    if !any {
        return None;
    }
    let value = total.checked_add(current.unwrap_or_default())?;
    Some(Numeral {
        value: value.normalize(),
        scale,
    })
}
