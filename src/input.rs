//! Reading documents: files, folders (recursively, `*.txt`), JSONL files of
//! `{"id", "text"}` lines, and standard input (plain text or JSONL, told apart by content).
//!
//! Reading is lazy: [`Inputs`] yields one document at a time, so memory stays flat however
//! large the corpus. A document that cannot be read is yielded as a failure, never dropped.

use crate::error::DocError;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// One input document, or the reason it could not be read.
#[derive(Debug)]
pub struct Document {
    /// `doc` of its records: the path as given, or the JSONL `id`.
    pub id: String,
    /// Its bytes, or why there are none.
    pub content: Result<Vec<u8>, DocError>,
}

enum Pending {
    Failed(Document),
    Path(PathBuf, String),
    Stdin,
    Jsonl(Box<dyn BufRead>, String, usize),
}

/// A lazy iterator over the documents named by command-line inputs.
pub struct Inputs {
    queue: VecDeque<Pending>,
}

impl Inputs {
    /// Inputs as given on the command line (`-` is standard input).
    pub fn new(args: &[String]) -> Inputs {
        let queue = args
            .iter()
            .map(|a| {
                if a == "-" {
                    Pending::Stdin
                } else {
                    Pending::Path(PathBuf::from(a), a.clone())
                }
            })
            .collect();
        Inputs { queue }
    }
}

fn is_jsonl(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "jsonl")
}

fn parse_line(line: &str, fallback_id: &str) -> Document {
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

fn list_dir(
    dir: &Path,
    shown: &str,
    out: &mut Vec<(PathBuf, String)>,
    errors: &mut Vec<Document>,
    depth: usize,
) {
    if depth > 64 {
        errors.push(Document {
            id: shown.to_string(),
            content: Err(DocError::Unreadable("folders nested too deep".into())),
        });
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(Document {
                id: shown.to_string(),
                content: Err(DocError::Unreadable(e.to_string())),
            });
            return;
        }
    };
    let mut items: Vec<_> = entries.flatten().collect();
    items.sort_by_key(|e| e.file_name());
    for e in items {
        let path = e.path();
        let name = format!(
            "{}/{}",
            shown.trim_end_matches('/'),
            e.file_name().to_string_lossy()
        );
        let is_link = e.file_type().is_ok_and(|t| t.is_symlink());
        if path.is_dir() {
            if !is_link {
                list_dir(&path, &name, out, errors, depth + 1);
            }
        } else if path.extension().is_some_and(|x| x == "txt") {
            // A FIFO or device named *.txt would block or never end: in a folder walk only
            // regular files are documents; anything else is reported, not read.
            match std::fs::metadata(&path) {
                Ok(m) if !m.is_file() => errors.push(Document {
                    id: name,
                    content: Err(DocError::Unreadable(
                        "not a regular file (a FIFO, socket or device); skipped".into(),
                    )),
                }),
                _ => out.push((path, name)),
            }
        }
    }
}

/// Reads up to the first byte that is not ASCII whitespace, without taking it: that byte
/// (`None` at the end of the input) and the whitespace before it.
fn first_non_space(reader: &mut impl BufRead) -> std::io::Result<(Option<u8>, Vec<u8>)> {
    let mut leading = Vec::new();
    loop {
        // `read_until`, used for the lines after, retries an interrupted read; so must this.
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok((None, leading));
        }
        let spaces = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let first = buf.get(spaces).copied();
        leading.extend_from_slice(&buf[..spaces]);
        reader.consume(spaces);
        if first.is_some() {
            return Ok((first, leading));
        }
    }
}

impl Iterator for Inputs {
    type Item = Document;

    fn next(&mut self) -> Option<Document> {
        loop {
            match self.queue.pop_front()? {
                Pending::Failed(doc) => return Some(doc),
                Pending::Stdin => {
                    // Only as much is read as tells JSONL from plain text: JSONL is then
                    // read line by line, so a pipe streams and memory stays flat.
                    let unreadable = |e: std::io::Error| Document {
                        id: "-".into(),
                        content: Err(DocError::Unreadable(e.to_string())),
                    };
                    let mut reader = BufReader::new(std::io::stdin());
                    let (first, leading) = match first_non_space(&mut reader) {
                        Ok(found) => found,
                        Err(e) => return Some(unreadable(e)),
                    };
                    if first == Some(b'{') {
                        // Blank lines before the first document still count as lines.
                        let lines = leading.iter().filter(|&&b| b == b'\n').count();
                        self.queue
                            .push_front(Pending::Jsonl(Box::new(reader), "-".into(), lines));
                        continue;
                    }
                    // A plain text is one document, whitespace in front included (offsets
                    // count from the first byte).
                    let mut buf = leading;
                    if let Err(e) = reader.read_to_end(&mut buf) {
                        return Some(unreadable(e));
                    }
                    return Some(Document {
                        id: "-".into(),
                        content: Ok(buf),
                    });
                }
                Pending::Jsonl(mut reader, name, line_no) => {
                    let mut line = Vec::new();
                    match reader.read_until(b'\n', &mut line) {
                        Ok(0) => continue,
                        Ok(_) => {
                            let n = line_no + 1;
                            self.queue
                                .push_front(Pending::Jsonl(reader, name.clone(), n));
                            let fallback = format!("{name}:{n}");
                            // SIMD validation: `String::from_utf8` walks Cyrillic a
                            // character at a time, and was most of the time spent reading.
                            let text = match simdutf8::compat::from_utf8(&line) {
                                Ok(t) => t,
                                Err(e) => {
                                    return Some(Document {
                                        id: fallback,
                                        content: Err(DocError::NotUtf8 {
                                            offset: e.valid_up_to(),
                                        }),
                                    });
                                }
                            };
                            if text.trim().is_empty() {
                                continue;
                            }
                            return Some(parse_line(text.trim_end(), &fallback));
                        }
                        Err(e) => {
                            return Some(Document {
                                id: format!("{name}:{}", line_no + 1),
                                content: Err(DocError::Unreadable(e.to_string())),
                            });
                        }
                    }
                }
                Pending::Path(path, shown) => {
                    if path.is_dir() {
                        let mut files = Vec::new();
                        let mut errors = Vec::new();
                        list_dir(&path, &shown, &mut files, &mut errors, 0);
                        for (p, s) in files.into_iter().rev() {
                            self.queue.push_front(Pending::Path(p, s));
                        }
                        for e in errors.into_iter().rev() {
                            self.queue.push_front(Pending::Failed(e));
                        }
                        continue;
                    }
                    if is_jsonl(&path) {
                        match std::fs::File::open(&path) {
                            Ok(f) => {
                                self.queue.push_front(Pending::Jsonl(
                                    Box::new(BufReader::new(f)),
                                    shown,
                                    0,
                                ));
                                continue;
                            }
                            Err(e) => {
                                return Some(Document {
                                    id: shown,
                                    content: Err(DocError::Unreadable(e.to_string())),
                                });
                            }
                        }
                    }
                    let content =
                        std::fs::read(&path).map_err(|e| DocError::Unreadable(e.to_string()));
                    return Some(Document { id: shown, content });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::ErrorKind;

    /// Gives its bytes a few at a time, with an interrupted read before each piece.
    struct Interrupting {
        bytes: Vec<u8>,
        at: usize,
        interrupt: bool,
    }

    impl Read for Interrupting {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            self.interrupt = !self.interrupt;
            if self.interrupt {
                return Err(std::io::Error::from(ErrorKind::Interrupted));
            }
            let n = out.len().min(2).min(self.bytes.len() - self.at);
            out[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

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

    #[test]
    fn an_interrupted_read_is_retried_while_looking_for_the_first_byte() {
        let source = Interrupting {
            bytes: b" \n  {\"id\":1}".to_vec(),
            at: 0,
            interrupt: false,
        };
        let mut reader = BufReader::with_capacity(2, source);
        let (first, leading) = first_non_space(&mut reader).expect("interruptions are retried");
        assert_eq!(first, Some(b'{'));
        assert_eq!(leading, b" \n  ");
        let mut rest = String::new();
        reader.read_line(&mut rest).expect("rest of the line");
        assert_eq!(rest, "{\"id\":1}");
    }
}
