//! Field types of record types, and the load-time check that every rule fills each field
//! only with values of its declared type.
//!
//! A record type declares its fields as `name = "TYPE"`:
//!
//! | type | values |
//! | --- | --- |
//! | `decimal` | an exact number |
//! | `string` | any text |
//! | `date` | ISO 8601: `2025`, `2025-04`, `2025-04-28`, `2025-04-28T10:03` |
//! | `enum:a,b,c` | one of the listed words |
//! | `list`, `list:TYPE` | a list (of values of `TYPE`) |
//! | `ref:TYPE` | a nested record of another declared record type |
//!
//! What a field source gives is known at load time for constants, defaults, lexicon ids and
//! attributes, numbers, dates and links to records; for raw text captures it is known only
//! to be text (an `enum` or `date` field filled from text is checked when `nedra test` runs
//! the rule's examples, see [`FieldType::fits`]).

use crate::error::{LoadError, LoadErrorKind, Location};
use crate::record::{FieldValue, Record};
use crate::rules::lexicon::Lexicons;
use crate::rules::schema::{LinkDef, RuleDef};
use crate::rules::source::SourceFile;
use crate::rules::{Field, FieldSource, RecordType};
use std::collections::BTreeMap;
use std::fmt;

/// The declared type of one record field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldType {
    /// An exact decimal number.
    Decimal,
    /// Any text.
    String,
    /// An ISO 8601 date (year, month, day, time as far as known).
    Date,
    /// A list, of values of the inner type when one is given.
    List(Option<Box<FieldType>>),
    /// One of these words.
    Enum(Vec<String>),
    /// A nested record of this record type.
    Ref(String),
}

const TYPE_HELP: &str = "use decimal, string, date, enum:A,B,…, list, list:TYPE or ref:RECORD_TYPE";

impl FieldType {
    /// Parses a declared type such as `enum:money,mass` or `list:ref:amount`.
    pub fn parse(text: &str) -> Result<FieldType, String> {
        let t = text.trim();
        match t {
            "decimal" => return Ok(FieldType::Decimal),
            "string" => return Ok(FieldType::String),
            "date" => return Ok(FieldType::Date),
            "list" => return Ok(FieldType::List(None)),
            _ => {}
        }
        if let Some(inner) = t.strip_prefix("list:") {
            return Ok(FieldType::List(Some(Box::new(FieldType::parse(inner)?))));
        }
        if let Some(values) = t.strip_prefix("enum:") {
            let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
            if values.iter().any(String::is_empty) {
                return Err(format!(
                    "`{t}` has an empty value: write the allowed values as enum:a,b,c"
                ));
            }
            return Ok(FieldType::Enum(values));
        }
        if let Some(name) = t.strip_prefix("ref:") {
            let name = name.trim();
            if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                return Err(format!(
                    "`{t}` does not name a record type: write ref:RECORD_TYPE"
                ));
            }
            return Ok(FieldType::Ref(name.to_string()));
        }
        let known = ["decimal", "string", "date", "list"];
        Err(format!(
            "unknown field type `{t}`{}: {TYPE_HELP}",
            crate::suggest::did_you_mean(t, known)
        ))
    }

    /// The record types this type refers to (`ref:T`, `list:ref:T`).
    pub fn refs(&self) -> Vec<&str> {
        match self {
            FieldType::Ref(t) => vec![t.as_str()],
            FieldType::List(Some(inner)) => inner.refs(),
            _ => Vec::new(),
        }
    }

    /// Whether `value` is a value of this type; the error says why not, to follow the
    /// value (`is not one of: a, b`). Nested records (`ref:`) are only checked to be
    /// records here, see [`check_record`].
    pub fn fits(&self, value: &FieldValue) -> Result<(), String> {
        match (self, value) {
            (_, FieldValue::Null) => Ok(()),
            (FieldType::Decimal, FieldValue::Decimal(_)) => Ok(()),
            (FieldType::String, FieldValue::Text(_)) => Ok(()),
            (FieldType::Date, FieldValue::Text(t)) if is_iso_date(t) => Ok(()),
            (FieldType::Date, FieldValue::Text(_)) => {
                Err("is not an ISO 8601 date (2025, 2025-04, 2025-04-28, 2025-04-28T10:03)".into())
            }
            (FieldType::Enum(values), FieldValue::Text(t)) => {
                if values.iter().any(|v| v == t) {
                    Ok(())
                } else {
                    Err(format!("is not one of: {}", values.join(", ")))
                }
            }
            (FieldType::List(inner), FieldValue::List(items)) => match inner {
                None => Ok(()),
                Some(inner) => items.iter().try_for_each(|i| {
                    inner
                        .fits(i)
                        .map_err(|e| format!("has {} which {e}", shown(i)))
                }),
            },
            (FieldType::Ref(_), FieldValue::Map(_)) => Ok(()),
            (ty, _) => Err(format!("is not a `{ty}` value")),
        }
    }
}

/// A value as JSON, for messages.
fn shown(v: &FieldValue) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldType::Decimal => f.write_str("decimal"),
            FieldType::String => f.write_str("string"),
            FieldType::Date => f.write_str("date"),
            FieldType::List(None) => f.write_str("list"),
            FieldType::List(Some(inner)) => write!(f, "list:{inner}"),
            FieldType::Enum(values) => write!(f, "enum:{}", values.join(",")),
            FieldType::Ref(t) => write!(f, "ref:{t}"),
        }
    }
}

/// `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`, with plausible numbers.
fn is_iso_date(s: &str) -> bool {
    let num = |part: &str, len: usize, range: std::ops::RangeInclusive<u32>| {
        part.len() == len
            && part.chars().all(|c| c.is_ascii_digit())
            && part.parse::<u32>().is_ok_and(|n| range.contains(&n))
    };
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let parts: Vec<&str> = date.split('-').collect();
    let date_ok = match parts.as_slice() {
        [y] => num(y, 4, 0..=9999),
        [y, m] => num(y, 4, 0..=9999) && num(m, 2, 1..=12),
        [y, m, d] => num(y, 4, 0..=9999) && num(m, 2, 1..=12) && num(d, 2, 1..=31),
        _ => false,
    };
    let time_ok = match time {
        None => true,
        Some(t) => {
            parts.len() == 3
                && matches!(t.split_once(':'), Some((h, m)) if num(h, 2, 0..=23) && num(m, 2, 0..=59))
        }
    };
    date_ok && time_ok
}

/// What a field source can give, as far as load time can tell.
#[derive(Debug, Clone)]
enum Gives {
    /// This exact value; the string says where it comes from.
    Value(FieldValue, String),
    /// Some number.
    Number,
    /// Some text.
    Text,
    /// An ISO date.
    Date,
    /// A nested record of this type.
    Record(String),
    /// A list whose items are any of these.
    List(Vec<Gives>),
}

impl Gives {
    /// Why this does not fit `ty`, if it does not.
    fn misfit(&self, ty: &FieldType) -> Option<String> {
        match (self, ty) {
            (Gives::Value(v, from), _) => ty
                .fits(v)
                .err()
                .map(|e| format!("{from} gives {}, which {e}", shown(v))),
            (Gives::Number, FieldType::Decimal) => None,
            (Gives::Number, _) => Some(format!("it gives a number, not a `{ty}`")),
            // Which text is known only at run time: `nedra test` checks enum and date fields.
            (Gives::Text, FieldType::String | FieldType::Enum(_) | FieldType::Date) => None,
            (Gives::Text, _) => Some(format!("it gives text, not a `{ty}`")),
            (Gives::Date, FieldType::Date | FieldType::String) => None,
            (Gives::Date, _) => Some(format!("it gives a date, not a `{ty}`")),
            (Gives::Record(t), FieldType::Ref(want)) if t == want => None,
            (Gives::Record(t), _) => Some(format!("it gives a `{t}` record, not a `{ty}`")),
            (Gives::List(_), FieldType::List(None)) => None,
            (Gives::List(items), FieldType::List(Some(inner))) => {
                items.iter().find_map(|i| i.misfit(inner))
            }
            (Gives::List(_), _) => Some(format!("it gives a list, not a `{ty}`")),
        }
    }
}

/// What the entries of some lexicons give: their ids, or an attribute (ids as fallback).
fn lexicon_gives(
    lexicons: &Lexicons,
    names: &[String],
    attr: Option<&str>,
    or_id: bool,
) -> Vec<Gives> {
    let mut out = Vec::new();
    for name in names {
        for e in lexicons.entries(name) {
            let from = |what: &str| {
                format!(
                    "lexicon entry `{}.{}` ({}){what}",
                    e.lexicon, e.id, e.location
                )
            };
            match attr {
                None => out.push(Gives::Value(FieldValue::Text(e.id.clone()), from(""))),
                Some(a) => match e.attrs.get(a).and_then(FieldValue::from_toml) {
                    Some(v) => out.push(Gives::Value(v, from(&format!(" through `{a}`")))),
                    None if or_id => {
                        out.push(Gives::Value(FieldValue::Text(e.id.clone()), from("")))
                    }
                    None => {}
                },
            }
        }
    }
    out
}

fn source_gives(source: &FieldSource, lexicons: &Lexicons) -> Vec<Gives> {
    #[allow(unreachable_patterns)]
    match source {
        FieldSource::Const(v) => vec![Gives::Value(v.clone(), "the constant".to_string())],
        FieldSource::Lexicon {
            lexicons: names,
            attr,
            or_id,
            ..
        } => lexicon_gives(lexicons, names, attr.as_deref(), *or_id),
        FieldSource::Number { .. } => vec![Gives::Number],
        FieldSource::Text { .. } | FieldSource::Join(_) => vec![Gives::Text],
        FieldSource::Date(_) => vec![Gives::Date],
        _ => Vec::new(),
    }
}

/// What a `[[rule.link]]` gives its field.
fn link_gives(
    l: &LinkDef,
    lexicons: &Lexicons,
    records: &BTreeMap<String, RecordType>,
) -> Vec<Gives> {
    let mut one = Vec::new();
    if let Some(scan) = &l.scan {
        // A scan hit gives the attribute, or the id when the entry lacks it.
        one.extend(lexicon_gives(
            lexicons,
            &scan.to_vec(),
            l.attr.as_deref(),
            true,
        ));
    }
    if let Some(ty) = &l.record {
        match l.record_field.as_deref() {
            None => one.push(Gives::Record(ty.clone())),
            Some("text") => one.push(Gives::Text),
            Some(f) => {
                let declared = records
                    .get(ty)
                    .and_then(|rt| rt.fields.iter().find(|(n, _)| n == f))
                    .and_then(|(_, t)| FieldType::parse(t).ok());
                if let Some(t) = declared {
                    one.extend(type_gives(&t, &format!("field `{f}` of `{ty}`")));
                }
            }
        }
    }
    if l.all && l.join.is_some() {
        vec![Gives::Text]
    } else if l.all {
        vec![Gives::List(one)]
    } else {
        one
    }
}

/// What a field of a declared type gives when copied elsewhere: any of these.
fn type_gives(t: &FieldType, from: &str) -> Vec<Gives> {
    match t {
        FieldType::Decimal => vec![Gives::Number],
        FieldType::String => vec![Gives::Text],
        FieldType::Date => vec![Gives::Date],
        FieldType::Enum(values) => values
            .iter()
            .map(|v| Gives::Value(FieldValue::Text(v.clone()), from.to_string()))
            .collect(),
        FieldType::List(None) => vec![Gives::List(Vec::new())],
        FieldType::List(Some(inner)) => vec![Gives::List(type_gives(inner, from))],
        FieldType::Ref(r) => vec![Gives::Record(r.clone())],
    }
}

fn located(file: &SourceFile, span: std::ops::Range<usize>) -> Location {
    file.location(span.start)
}

/// Checks one rule against the record type it emits: its fields' sources and defaults, its
/// links, and the values its examples expect.
pub fn check_rule(
    file: &SourceFile,
    def: &RuleDef,
    fields: &[Field],
    record: &RecordType,
    lexicons: &Lexicons,
    records: &BTreeMap<String, RecordType>,
) -> Vec<LoadError> {
    let emits = def.emits.get_ref();
    let declared = |name: &str| {
        record
            .fields
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, t)| FieldType::parse(t).ok())
    };
    let mut errors = Vec::new();
    let mut mismatch = |loc: Location, field: &str, ty: &FieldType, why: String| {
        errors.push(LoadError::new(
            loc,
            LoadErrorKind::Type,
            format!("field `{field}` of `{emits}` is declared `{ty}`, but {why}"),
        ));
    };
    for f in fields {
        let Some(ty) = declared(&f.name) else {
            continue;
        };
        let Some(spec) = def.fields.get(&f.name) else {
            continue;
        };
        let loc = located(file, spec.span());
        let mut gives = source_gives(&f.source, lexicons);
        if let Some(d) = &f.default {
            gives.push(Gives::Value(d.clone(), "the default".to_string()));
        }
        if let Some(why) = gives.iter().find_map(|g| g.misfit(&ty)) {
            mismatch(loc, &f.name, &ty, why);
        }
    }
    for l in &def.link {
        let Some(ty) = declared(&l.get_ref().field) else {
            continue;
        };
        let gives = link_gives(l.get_ref(), lexicons, records);
        if let Some(why) = gives.iter().find_map(|g| g.misfit(&ty)) {
            mismatch(located(file, l.span()), &l.get_ref().field, &ty, why);
        }
    }
    for e in &def.example {
        let Some(expect) = &e.expect else { continue };
        for (k, v) in expect.get_ref() {
            let (Some(ty), Some(value)) = (declared(k), FieldValue::from_toml(v)) else {
                continue;
            };
            // Examples may write a decimal as text; `nedra test` compares it by value.
            let lenient = matches!((&ty, &value), (FieldType::Decimal, FieldValue::Text(t)) if t.parse::<rust_decimal::Decimal>().is_ok());
            if let (false, Err(why)) = (lenient, ty.fits(&value)) {
                errors.push(LoadError::new(
                    located(file, expect.span()),
                    LoadErrorKind::Type,
                    format!(
                        "example expects field `{k}` of `{emits}` (declared `{ty}`) to be {}, which {why}",
                        shown(&value)
                    ),
                ));
            }
        }
    }
    errors
}

/// Where `key = …` is written in `text` at or after byte `from`, if it is.
fn key_offset(text: &str, from: usize, key: &str) -> Option<usize> {
    let mut at = from.min(text.len());
    while let Some(found) = text.get(at..).and_then(|rest| rest.find(key)) {
        let start = at + found;
        let end = start + key.len();
        let before = text[..start].chars().next_back();
        let boundary = before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '"'));
        let after = text[end..].trim_start_matches([' ', '\t']);
        if boundary && after.starts_with('=') {
            return Some(start);
        }
        at = end;
    }
    None
}

/// Checks the declarations themselves: every type parses, every `ref:` names a declared
/// record type.
pub fn check_declarations(
    records: &BTreeMap<String, RecordType>,
    files: &[SourceFile],
) -> Vec<LoadError> {
    let mut errors = Vec::new();
    for (name, rt) in records {
        for (field, text) in &rt.fields {
            let loc = files
                .iter()
                .find(|f| f.name == rt.location.file)
                .and_then(|f| {
                    let from = offset_of(&f.text, rt.location.line, rt.location.col);
                    key_offset(&f.text, from, field).map(|o| f.location(o))
                })
                .unwrap_or_else(|| rt.location.clone());
            match FieldType::parse(text) {
                Err(why) => errors.push(LoadError::new(
                    loc,
                    LoadErrorKind::Type,
                    format!("field `{field}` of record type `{name}`: {why}"),
                )),
                Ok(ty) => {
                    for r in ty.refs() {
                        if !records.contains_key(r) {
                            errors.push(LoadError::new(
                                loc.clone(),
                                LoadErrorKind::Reference,
                                format!(
                                    "field `{field}` of record type `{name}` refers to record type `{r}`, which is not declared{}",
                                    crate::suggest::did_you_mean(r, records.keys().map(String::as_str))
                                ),
                            ));
                        }
                    }
                }
            }
        }
    }
    errors
}

/// The byte offset of a 1-based line and character column in `text`.
pub fn offset_of(text: &str, line: usize, col: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match text[start..].find('\n') {
            Some(p) => start += p + 1,
            None => return text.len(),
        }
    }
    let line_text = &text[start..];
    start
        + line_text
            .char_indices()
            .nth(col.saturating_sub(1))
            .map_or(line_text.len(), |(i, _)| i)
}

/// The problems of a record's field values against its declared type (and, for nested
/// records, the types they refer to): what `nedra test` adds for values load time cannot
/// know, such as an `enum` field filled from raw text.
pub fn check_record(records: &BTreeMap<String, RecordType>, record: &Record) -> Vec<String> {
    let mut out = Vec::new();
    check_fields(records, &record.kind, &record.fields, "", &mut out, 0);
    out
}

fn check_fields(
    records: &BTreeMap<String, RecordType>,
    kind: &str,
    fields: &[(String, FieldValue)],
    prefix: &str,
    out: &mut Vec<String>,
    depth: usize,
) {
    let Some(rt) = records.get(kind) else { return };
    for (name, value) in fields {
        let Some(ty) = rt
            .fields
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, t)| FieldType::parse(t).ok())
        else {
            continue;
        };
        if let Err(why) = ty.fits(value) {
            out.push(format!(
                "{prefix}{name}: {} {why} (declared `{ty}`)",
                shown(value)
            ));
            continue;
        }
        // A nested record: its own fields against the type it refers to (`text` is its span).
        if let (FieldType::Ref(inner), FieldValue::Map(nested)) = (&ty, value)
            && depth < 8
        {
            let nested: Vec<(String, FieldValue)> = nested
                .iter()
                .filter(|(k, _)| k != "text")
                .cloned()
                .collect();
            check_fields(
                records,
                inner,
                &nested,
                &format!("{prefix}{name}."),
                out,
                depth + 1,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_declared_type() {
        assert_eq!(FieldType::parse("decimal"), Ok(FieldType::Decimal));
        assert_eq!(
            FieldType::parse("list:enum:a, b"),
            Ok(FieldType::List(Some(Box::new(FieldType::Enum(vec![
                "a".into(),
                "b".into()
            ])))))
        );
        assert_eq!(
            FieldType::parse("ref:amount"),
            Ok(FieldType::Ref("amount".into()))
        );
        assert!(
            FieldType::parse("decimel")
                .unwrap_err()
                .contains("unknown field type")
        );
        assert!(FieldType::parse("enum:a,,b").is_err());
        assert_eq!(
            FieldType::parse("enum:%,pp")
                .map(|t| t.to_string())
                .as_deref(),
            Ok("enum:%,pp")
        );
    }

    #[test]
    fn values_fit_or_say_why_not() {
        let e = FieldType::parse("enum:money,mass").unwrap();
        assert!(e.fits(&FieldValue::Text("mass".into())).is_ok());
        let why = e.fits(&FieldValue::Text("weight".into())).unwrap_err();
        assert_eq!(why, "is not one of: money, mass");
        let d = FieldType::Date;
        for ok in ["2025", "2025-04", "2025-04-28", "2025-04-28T10:03"] {
            assert!(d.fits(&FieldValue::Text(ok.into())).is_ok(), "{ok}");
        }
        for bad in ["2025-13", "28.04.2025", "2025-04T10:03"] {
            assert!(d.fits(&FieldValue::Text(bad.into())).is_err(), "{bad}");
        }
        let l = FieldType::parse("list:enum:a").unwrap();
        assert!(
            l.fits(&FieldValue::List(vec![FieldValue::Text("b".into())]))
                .is_err()
        );
    }

    #[test]
    fn finds_the_key_of_a_declared_field() {
        let text = "[record.x]\nfields = { kind = \"enum:a\", subkind = \"x\" }\n";
        assert_eq!(key_offset(text, 0, "kind"), Some(22));
        assert_eq!(key_offset(text, 0, "subkind"), Some(39));
        assert_eq!(offset_of(text, 2, 12), 22);
    }
}
