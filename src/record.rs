//! Records: the typed facts nedra emits, and how they print.
//!
//! A record serialises flat, in a fixed key order (`doc, type, rule, lang, start, end, text`,
//! then the type's fields in the order its record type declares them), the same for JSON, YAML and
//! snapshots. Decimals print as JSON numbers without float noise: `40400`, `14.4`.

use crate::text::Lang;
use rust_decimal::Decimal;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// The value of one record field.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// An exact decimal number.
    Decimal(Decimal),
    /// Text, including enum values and ids.
    Text(String),
    /// A list of values.
    List(Vec<FieldValue>),
    /// A nested record (a `ref:TYPE` field): its text and fields.
    Map(Vec<(String, FieldValue)>),
    /// Explicitly nothing.
    Null,
}

impl FieldValue {
    /// The text, if this is text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            FieldValue::Text(s) => Some(s),
            _ => None,
        }
    }

    /// Converts a TOML constant; floats go through their shortest printed form so `0.01`
    /// stays exactly `0.01`.
    pub fn from_toml(v: &toml::Value) -> Option<FieldValue> {
        Some(match v {
            toml::Value::String(s) => FieldValue::Text(s.clone()),
            toml::Value::Integer(i) => FieldValue::Decimal(Decimal::from(*i)),
            toml::Value::Float(f) => FieldValue::Decimal(f.to_string().parse().ok()?),
            toml::Value::Boolean(b) => FieldValue::Text(b.to_string()),
            toml::Value::Array(a) => {
                FieldValue::List(a.iter().map(FieldValue::from_toml).collect::<Option<_>>()?)
            }
            _ => return None,
        })
    }
}

/// Serialises a decimal as an integer when it is whole, as a float when the float prints
/// back to the same decimal, and as a string otherwise (never a noisy float).
fn serialize_decimal<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    let d = d.normalize();
    if d.scale() == 0
        && let Ok(i) = i128::try_from(d)
    {
        return s.serialize_i128(i);
    }
    let text = d.to_string();
    if let Ok(f) = text.parse::<f64>()
        && f.is_finite()
        && f.to_string().parse::<Decimal>().ok() == Some(d)
    {
        return s.serialize_f64(f);
    }
    s.serialize_str(&text)
}

impl Serialize for FieldValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FieldValue::Decimal(d) => serialize_decimal(d, s),
            FieldValue::Text(t) => s.serialize_str(t),
            FieldValue::Null => s.serialize_none(),
            FieldValue::Map(entries) => {
                let mut m = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
            FieldValue::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
        }
    }
}

/// One extracted fact.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The document: a file path as given, or the `id` of a JSONL line.
    pub doc: String,
    /// Record type: `amount`, `percentage`, `document`, or a user-declared type.
    pub kind: String,
    /// Id of the rule that made it.
    pub rule: String,
    /// Language of the sentence (of the document, for `document` records; `None` when the
    /// document could not be read).
    pub lang: Option<Lang>,
    /// Byte span in the raw input, with the raw text of that span; `None` for `document`.
    pub span: Option<Span>,
    /// The type's fields, in the order the record type declares them.
    pub fields: Vec<(String, FieldValue)>,
}

/// A byte range of the raw input and the text it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// `input[start..end]`.
    pub text: String,
}

impl Record {
    /// The value of a field, if present.
    pub fn field(&self, name: &str) -> Option<&FieldValue> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("doc", &self.doc)?;
        m.serialize_entry("type", &self.kind)?;
        m.serialize_entry("rule", &self.rule)?;
        m.serialize_entry("lang", &self.lang)?;
        if let Some(span) = &self.span {
            m.serialize_entry("start", &span.start)?;
            m.serialize_entry("end", &span.end)?;
            m.serialize_entry("text", &span.text)?;
        }
        for (k, v) in &self.fields {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(d: &str) -> String {
        serde_json::to_string(&FieldValue::Decimal(d.parse().unwrap())).unwrap()
    }

    #[test]
    fn decimals_print_without_float_noise() {
        assert_eq!(json("40400.0"), "40400");
        assert_eq!(json("14.4"), "14.4");
        assert_eq!(json("3000000000000"), "3000000000000");
        assert_eq!(json("0.01"), "0.01");
        assert_eq!(json("1.20"), "1.2");
    }
}
