//! One JSONL line read into the two fields nedra needs, `id` and `text`, without building a
//! `serde_json::Value`: that built a map and copied the whole article once more than needed.
//! What is read is what a `Value` gave (see the test against it): a later key replaces an
//! earlier one, a value that is not an object has neither field, and nesting is limited as
//! `serde_json` limits it.

use super::Document;
use crate::error::DocError;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// The document of one JSONL `line`; `fallback_id` names it when the line has no usable
/// `id` (a string or a number).
pub(super) fn parse_line(line: &str, fallback_id: &str) -> Document {
    let fields: LineFields<'_> = match serde_json::from_str(line) {
        Ok(fields) => fields,
        Err(e) => {
            return Document {
                id: fallback_id.to_string(),
                content: Err(DocError::BadJsonl(e.to_string())),
            };
        }
    };
    let id = match fields.id {
        Some(serde_json::Value::String(s)) => s,
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => fallback_id.to_string(),
    };
    match fields.text {
        Some(Text::Str(t)) => Document {
            id,
            content: Ok(t.into_owned().into_bytes()),
        },
        _ => Document {
            id,
            content: Err(DocError::BadJsonl("no string field `text`".into())),
        },
    }
}

/// The two fields of a JSONL line nedra reads, and nothing else: a line parsed into a
/// `serde_json::Value` built a map and copied the text (the whole article) once more than
/// needed. Any JSON value is read as a `serde_json::Value` would be read for `id` and
/// `text`: a later key replaces an earlier one, and a value that is not an object has
/// neither.
#[derive(Default)]
struct LineFields<'a> {
    /// `id`, small: kept as a value so that a number prints as `serde_json` prints it.
    id: Option<serde_json::Value>,
    /// `text`, borrowed from the line when it has no escapes.
    text: Option<Text<'a>>,
}

/// The `text` of a line: a string, or anything else (which is an error on the document).
enum Text<'a> {
    Str(Cow<'a, str>),
    NotAString,
}

/// A key of the line's object, told apart without allocating.
enum Key {
    Id,
    Text,
    Other,
}

impl<'de> Deserialize<'de> for LineFields<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LineVisitor)
    }
}

/// Reads a line's value into [`LineFields`].
struct LineVisitor;

impl<'de> Visitor<'de> for LineVisitor {
    type Value = LineFields<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = LineFields::default();
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Id => fields.id = Some(map.next_value()?),
                Key::Text => fields.text = Some(map.next_value()?),
                Key::Other => {
                    map.next_value::<Skip>()?;
                }
            }
        }
        Ok(fields)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Skip::seq(seq)?;
        Ok(LineFields::default())
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(LineFields::default())
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(LineFields::default())
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(LineFields::default())
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(LineFields::default())
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(LineFields::default())
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(LineFields::default())
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_identifier(KeyVisitor)
    }
}

/// Reads a key into a [`Key`].
struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E>(self, key: &str) -> Result<Key, E> {
        Ok(match key {
            "id" => Key::Id,
            "text" => Key::Text,
            _ => Key::Other,
        })
    }
}

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

/// Reads a `text` value into a [`Text`].
struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Text<'de>, E> {
        Ok(Text::Str(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Text<'de>, E> {
        Ok(Text::Str(Cow::Owned(s.to_string())))
    }

    fn visit_string<E>(self, s: String) -> Result<Text<'de>, E> {
        Ok(Text::Str(Cow::Owned(s)))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Text<'de>, A::Error> {
        Skip::map(map)?;
        Ok(Text::NotAString)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Text<'de>, A::Error> {
        Skip::seq(seq)?;
        Ok(Text::NotAString)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Text<'de>, E> {
        Ok(Text::NotAString)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Text<'de>, E> {
        Ok(Text::NotAString)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Text<'de>, E> {
        Ok(Text::NotAString)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Text<'de>, E> {
        Ok(Text::NotAString)
    }

    fn visit_unit<E>(self) -> Result<Text<'de>, E> {
        Ok(Text::NotAString)
    }
}

/// A value nedra does not read, parsed as a `serde_json::Value` would be (nesting depth
/// included: `IgnoredAny` skips without the recursion limit) and dropped.
struct Skip;

impl Skip {
    fn seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }

    fn map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Skip, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }
}

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

/// Reads any value into a [`Skip`].
struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Skip, A::Error> {
        Skip::map(map)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Skip, A::Error> {
        Skip::seq(seq)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How a line was read before, through a `serde_json::Value`: what [`parse_line`] must
    /// still give.
    fn parse_line_through_a_value(line: &str, fallback_id: &str) -> Document {
        let value: serde_json::Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                return Document {
                    id: fallback_id.to_string(),
                    content: Err(DocError::BadJsonl(e.to_string())),
                };
            }
        };
        let id = match value.get("id") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            _ => fallback_id.to_string(),
        };
        match value.get("text").and_then(|t| t.as_str()) {
            Some(t) => Document {
                id,
                content: Ok(t.as_bytes().to_vec()),
            },
            None => Document {
                id,
                content: Err(DocError::BadJsonl("no string field `text`".into())),
            },
        }
    }

    #[test]
    fn lines_read_as_through_a_value() {
        let lines = [
            r#"{"id": "a", "text": "Экспорт вырос."}"#,
            r#"{"text": "без id", "id": 7}"#,
            r#"{"id": -3, "text": ""}"#,
            r#"{"id": 1.50, "text": "x"}"#,
            r#"{"id": 1e400, "text": "x"}"#,
            r#"{"id": 123456789012345678901234567890, "text": "x"}"#,
            r#"{"id": null, "text": "x"}"#,
            r#"{"id": true, "text": "x"}"#,
            r#"{"id": ["a"], "text": "x"}"#,
            r#"{"id": {"n": 1}, "text": "x"}"#,
            r#"{"id": "a\nb\u0041", "text": "line\nbreak \"quoted\" \u0416\ud83d\ude00"}"#,
            r#"{"\u0069d": "escaped key", "te\u0078t": "escaped key"}"#,
            r#"{"id": "first", "id": "second", "text": "a", "text": "b"}"#,
            r#"{"id": "x", "text": "a", "text": 5}"#,
            r#"{"id": "x", "text": 5, "text": "a"}"#,
            r#"{"id": "x", "text": null}"#,
            r#"{"id": "x", "text": ["a"]}"#,
            r#"{"id": "x", "text": {"a": [1, {"b": 2.5e3}]}}"#,
            r#"{"id": "x"}"#,
            r#"{"meta": {"deep": [1, 2, {"x": null}]}, "text": "t", "n": 1.0, "b": false}"#,
            r#"{}"#,
            r#"[1, 2, 3]"#,
            r#""just a string""#,
            r#"42"#,
            r#"-0.5"#,
            r#"null"#,
            r#"true"#,
            r#"{"id": "x", "text": "a",}"#,
            r#"{"id": "x", "text": "a"} trailing"#,
            r#"{"id": "x", "text": "a"#,
            r#"{"id": "x", "text": "bad \q escape"}"#,
            r#"{"id": "x", "text": "lone \ud800 surrogate"}"#,
            r#"{"id": "x", "text": "a", "n": 01}"#,
            r#"{"id": "x" "text": "a"}"#,
            r#"{id: "x"}"#,
            "{\"id\": \"x\", \"text\": \"raw\ttab\"}",
            "",
            "not json",
        ];
        let nested = |depth: usize, open: &str, close: &str| {
            format!(
                "{{\"text\": \"a\", \"x\": {}1{}}}",
                open.repeat(depth),
                close.repeat(depth)
            )
        };
        let deep: Vec<String> = [126, 127, 128, 200]
            .into_iter()
            .flat_map(|n| [nested(n, "[", "]"), nested(n, "{\"k\":", "}")])
            .chain([format!(
                "{{\"text\": {}\"a\"{}}}",
                "[".repeat(127),
                "]".repeat(127)
            )])
            .collect();
        for line in lines.iter().copied().chain(deep.iter().map(String::as_str)) {
            let (new, old) = (
                parse_line(line, "f:1"),
                parse_line_through_a_value(line, "f:1"),
            );
            assert_eq!(new.id, old.id, "{line}");
            assert_eq!(
                format!("{:?}", new.content),
                format!("{:?}", old.content),
                "{line}"
            );
        }
    }
}
