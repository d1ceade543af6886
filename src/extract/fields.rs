//! Record fields from a match tree, as each rule's field specs declare.

use super::numeral::{self, Numeral};
use super::tree::Node;
use crate::record::FieldValue;
use crate::rules::lexicon::{Entry, Lexicons};
use crate::rules::{FieldSource, Rule};
use crate::text::normalize::Normalized;
use rust_decimal::Decimal;

/// What field building needs besides the tree: the texts and the lexicons.
pub struct FieldContext<'a> {
    /// The raw input.
    pub raw: &'a str,
    /// Its normalised form.
    pub norm: &'a Normalized,
    /// The rule set's lexicons.
    pub lexicons: &'a Lexicons,
}

impl FieldContext<'_> {
    fn raw_text(&self, node: &Node) -> String {
        let s = self.norm.map.raw_start(node.start);
        let e = self.norm.map.raw_end(node.end).max(s);
        self.raw[s..e].to_string()
    }

    fn entry_in(&self, tree: &Node, lexicons: &[String]) -> Option<&Entry> {
        tree.walk().into_iter().find_map(|n| {
            self.lexicons
                .entry_of_rule(&n.rule)
                .filter(|e| lexicons.contains(&e.lexicon))
        })
    }
}

/// Why a match could not become a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError(pub String);

/// Builds every field of `rule` from `tree`; absent optional sources leave the field out.
pub fn build(
    rule: &Rule,
    tree: &Node,
    cx: &FieldContext<'_>,
) -> Result<Vec<(String, FieldValue)>, FieldError> {
    let mut out = Vec::with_capacity(rule.fields.len());
    for f in &rule.fields {
        match value(&f.source, tree, cx)? {
            Some(v) => out.push((f.name.clone(), v)),
            None => {
                if let Some(d) = &f.default {
                    out.push((f.name.clone(), d.clone()));
                }
            }
        }
    }
    Ok(out)
}

fn value(
    source: &FieldSource,
    tree: &Node,
    cx: &FieldContext<'_>,
) -> Result<Option<FieldValue>, FieldError> {
    Ok(match source {
        FieldSource::Const(v) => Some(v.clone()),
        FieldSource::Lexicon {
            lexicons,
            attr,
            or_id,
            within,
        } => {
            let scope = match within {
                Some(w) => match tree.find(w) {
                    Some(n) => n,
                    None => return Ok(None),
                },
                None => tree,
            };
            cx.entry_in(scope, lexicons).and_then(|e| match attr {
                None => Some(FieldValue::Text(e.id.clone())),
                Some(a) => match e.attrs.get(a) {
                    Some(v) => FieldValue::from_toml(v),
                    None if *or_id => Some(FieldValue::Text(e.id.clone())),
                    None => None,
                },
            })
        }
        FieldSource::Number {
            capture,
            inherit_scale,
            multiply,
        } => {
            let Some(node) = tree.find(capture) else {
                return Ok(None);
            };
            let Some(mut n) = numeral::evaluate(node, &cx.norm.text, cx.lexicons) else {
                return Err(FieldError(format!(
                    "`{capture}` holds no computable number"
                )));
            };
            if n.scale.is_none() {
                if let Some(other) = inherit_scale.as_ref().and_then(|c| tree.find(c)) {
                    if let Some(Numeral { scale: Some(s), .. }) =
                        numeral::evaluate(other, &cx.norm.text, cx.lexicons)
                    {
                        n.value = n
                            .value
                            .checked_mul(s)
                            .ok_or_else(|| FieldError("number overflows".into()))?;
                    }
                }
            }
            if let Some(m) = multiply {
                let factor = match value(m, tree, cx)? {
                    Some(FieldValue::Decimal(d)) => Some(d),
                    Some(FieldValue::Text(t)) => t.parse::<Decimal>().ok(),
                    _ => None,
                };
                if let Some(factor) = factor {
                    n.value = n
                        .value
                        .checked_mul(factor)
                        .ok_or_else(|| FieldError("number overflows".into()))?;
                }
            }
            Some(FieldValue::Decimal(n.value.normalize()))
        }
        FieldSource::Text(capture) => tree.find(capture).map(|n| FieldValue::Text(cx.raw_text(n))),
        FieldSource::Date(capture) => tree
            .find(capture)
            .and_then(|n| date(n, cx))
            .map(FieldValue::Text),
    })
}

/// An ISO 8601 date (`2025-04-28`, `2025-12-12T15:22`) from the captures `year`, `month`
/// (digits, or a lexicon entry with a `month` attribute), `day`, `hour`, `minute`.
fn date(node: &Node, cx: &FieldContext<'_>) -> Option<String> {
    let int = |name: &str| -> Option<u32> {
        let Some(n) = node.find(name) else {
            // A month may be a name anywhere in the date ("28 апреля 2025").
            return node.walk().into_iter().find_map(|m| {
                let e = cx.lexicons.entry_of_rule(&m.rule)?;
                e.attrs
                    .get(name)
                    .and_then(|v| v.as_integer())
                    .and_then(|v| u32::try_from(v).ok())
            });
        };
        let digits: String = cx.norm.text[n.start..n.end]
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        if let Ok(v) = digits.parse() {
            return Some(v);
        }
        n.walk().into_iter().find_map(|m| {
            let e = cx.lexicons.entry_of_rule(&m.rule)?;
            e.attrs
                .get(name)
                .and_then(|v| v.as_integer())
                .and_then(|v| u32::try_from(v).ok())
        })
    };
    let year = int("year")?;
    let month = int("month")?;
    if !(1900..=2100).contains(&year) || !(1..=12).contains(&month) {
        return None;
    }
    let Some(day) = int("day") else {
        return Some(format!("{year:04}-{month:02}"));
    };
    if !(1..=31).contains(&day) {
        return None;
    }
    match (int("hour"), int("minute")) {
        (Some(h), Some(m)) if h < 24 && m < 60 => {
            Some(format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}"))
        }
        _ => Some(format!("{year:04}-{month:02}-{day:02}")),
    }
}

/// Compares an expected example value with a record field: decimals by value, the rest by text.
pub fn same_value(expected: &toml::Value, got: &FieldValue) -> bool {
    match (FieldValue::from_toml(expected), got) {
        (Some(FieldValue::Decimal(a)), FieldValue::Decimal(b)) => a.normalize() == b.normalize(),
        (Some(FieldValue::Text(a)), FieldValue::Decimal(b)) => {
            a.parse::<Decimal>().is_ok_and(|a| a == *b)
        }
        (Some(a), b) => a == *b,
        (None, _) => false,
    }
}
