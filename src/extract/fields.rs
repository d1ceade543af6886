//! Record fields from a match tree, as each rule's field specs declare.

use super::numeral::{self, Numeral};
use super::tree::Node;
use crate::record::FieldValue;
use crate::rules::lexicon::{Entry, Lexicons};
use crate::rules::link::Rewrite;
use crate::rules::{FieldSource, NameCase, RewriteSource, Rule};
use crate::text::normalize::Normalized;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// What field building needs besides the tree: the texts, lexicons and rewrite tables.
pub struct FieldContext<'a> {
    /// The raw input.
    pub raw: &'a str,
    /// Its normalised form.
    pub norm: &'a Normalized,
    /// The rule set's lexicons.
    pub lexicons: &'a Lexicons,
    /// The rule set's rewrite tables.
    pub rewrites: &'a BTreeMap<String, Rewrite>,
}

impl FieldContext<'_> {
    fn raw_text(&self, node: Node<'_>) -> &str {
        let s = self.norm.map.raw_start(node.start);
        let e = self.norm.map.raw_end(node.end).max(s);
        &self.raw[s..e]
    }

    fn entry_in(&self, tree: Node<'_>, lexicons: &[String]) -> Option<&Entry> {
        tree.find_map(|n| {
            self.lexicons
                .entry_of_id(n.id)
                .filter(|e| lexicons.contains(&e.lexicon))
        })
    }
}

/// The lexicon entries of the nodes of a record's whole match tree, in pre-order, read
/// from the tree at the first field that asks and then kept for the record's other fields:
/// an amount's kind, unit and factor each looked for an entry of their lexicons by walking
/// the whole tree again (4 % of extraction's instructions went to field building).
#[derive(Default)]
struct TreeEntries<'c> {
    /// `None` until a field asks.
    of_tree: Option<Vec<&'c Entry>>,
}

impl<'c> TreeEntries<'c> {
    /// The first entry in pre-order of the whole match `tree` that belongs to one of
    /// `lexicons`: what [`FieldContext::entry_in`] finds in the whole tree.
    fn first_of(
        &mut self,
        cx: &FieldContext<'c>,
        tree: Node<'_>,
        lexicons: &[String],
    ) -> Option<&'c Entry> {
        let lexicon_of = cx.lexicons;
        self.of_tree
            .get_or_insert_with(|| {
                tree.walk()
                    .filter_map(|n| lexicon_of.entry_of_id(n.id))
                    .collect()
            })
            .iter()
            .copied()
            .find(|e| lexicons.contains(&e.lexicon))
    }
}

/// Where captures are looked up: inside the current occurrence (for rules with `each`)
/// first, then in the whole match.
#[derive(Clone, Copy)]
pub struct Scope<'t> {
    /// The whole match.
    pub tree: Node<'t>,
    /// The occurrence a record is made for, if the rule makes one per occurrence.
    pub occurrence: Option<Node<'t>>,
}

impl<'t> Scope<'t> {
    fn find(&self, capture: &str) -> Option<Node<'t>> {
        self.occurrence
            .and_then(|o| o.find(capture))
            .or_else(|| self.tree.find(capture))
    }
}

/// Why a match could not become a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError(pub String);

/// Builds every field of `rule` from the match; absent optional sources leave the field out.
pub fn build(
    rule: &Rule,
    scope: Scope<'_>,
    cx: &FieldContext<'_>,
) -> Result<Vec<(String, FieldValue)>, FieldError> {
    // Room for the linked fields the record may add after these.
    let mut out = Vec::with_capacity(rule.fields.len() + rule.links.len());
    let mut entries = TreeEntries::default();
    for f in &rule.fields {
        match value(&f.source, scope, cx, &mut entries)? {
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

fn value<'c>(
    source: &FieldSource,
    scope: Scope<'_>,
    cx: &FieldContext<'c>,
    entries: &mut TreeEntries<'c>,
) -> Result<Option<FieldValue>, FieldError> {
    let tree = scope.tree;
    Ok(match source {
        FieldSource::Const(v) => Some(v.clone()),
        FieldSource::Lexicon {
            lexicons,
            attr,
            or_id,
            within,
        } => {
            let entry = match within {
                Some(w) => match scope.find(w) {
                    Some(area) => cx.entry_in(area, lexicons),
                    None => return Ok(None),
                },
                None => entries.first_of(cx, tree, lexicons),
            };
            entry.and_then(|e| match attr {
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
            let Some(node) = scope.find(capture) else {
                return Ok(None);
            };
            let Some(mut n) = numeral::evaluate(node, &cx.norm.text, cx.lexicons) else {
                return Err(FieldError(format!(
                    "`{capture}` holds no computable number"
                )));
            };
            if n.scale.is_none()
                && let Some(other) = inherit_scale.as_ref().and_then(|c| scope.find(c))
                && let Some(Numeral { scale: Some(s), .. }) =
                    numeral::evaluate(other, &cx.norm.text, cx.lexicons)
            {
                n.value = n
                    .value
                    .checked_mul(s)
                    .ok_or_else(|| FieldError("number overflows".into()))?;
            }
            if let Some(m) = multiply {
                let factor = match value(m, scope, cx, entries)? {
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
        FieldSource::Join(parts) => {
            let mut texts = Vec::new();
            for p in parts {
                match value(p, scope, cx, entries)? {
                    Some(FieldValue::Text(t)) => texts.push(t),
                    Some(FieldValue::Decimal(d)) => texts.push(d.to_string()),
                    _ => return Ok(None),
                }
            }
            Some(FieldValue::Text(texts.join(" ")))
        }
        FieldSource::Text {
            capture,
            case,
            rewrite,
            exclude,
        } => {
            let Some(node) = scope.find(capture) else {
                return Ok(None);
            };
            let raw = cx.raw_text(node);
            let text = match case {
                NameCase::Any => trim_name(raw),
                NameCase::Capitalized => capitalized_words(raw).ok_or_else(|| {
                    FieldError(format!(
                        "`{capture}` does not start with a capitalised word"
                    ))
                })?,
                NameCase::Lowercase => match capitalized_prefix(raw, |_| {}) {
                    None => trim_name(raw),
                    Some(_) => {
                        return Err(FieldError(format!(
                            "`{capture}` starts with a capital letter"
                        )));
                    }
                },
                NameCase::AllCapitalized => {
                    // Every word of the name kept: counted, not joined and split again.
                    let words = raw.trim_matches(NAME_EDGE).split_whitespace().count();
                    counted_capitalized_words(raw)
                        .filter(|&(_, kept)| kept == words)
                        .map(|(name, _)| name)
                        .ok_or_else(|| {
                            FieldError(format!("`{capture}` is not all capitalised words"))
                        })?
                }
            };
            // Folded only for a stop list to read (most text fields have none).
            if !exclude.is_empty() {
                let folded = crate::text::normalize::normalize_literal(&text);
                if let Some(x) = exclude.iter().find(|x| cx.lexicons.stops(x, &folded)) {
                    return Err(FieldError(format!("`{text}` is in the stop list `{x}`")));
                }
            }
            let table = match rewrite {
                None => None,
                Some(RewriteSource::Table(t)) => cx.rewrites.get(t),
                Some(RewriteSource::FromLexicon { lexicons, attr }) => entries
                    .first_of(cx, tree, lexicons)
                    .and_then(|e| e.attr_text(attr))
                    .and_then(|t| cx.rewrites.get(&t)),
            };
            Some(FieldValue::Text(match table {
                Some(t) => t.apply(&text),
                None => text,
            }))
        }
        FieldSource::Date(capture) => scope
            .find(capture)
            .and_then(|n| date(n, cx))
            .map(FieldValue::Text),
    })
}

const NAME_EDGE: &[char] = &[
    '"', '\'', '«', '»', '“', '”', '„', '(', ')', '[', ']', ',', '.', ';', ':', '!', '?', '-', ' ',
    '\n',
];

/// A name without the quotes and punctuation around it, spaces collapsed.
fn trim_name(raw: &str) -> String {
    raw.trim_matches(NAME_EDGE)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The leading words of `raw` that start (after any quote) with an upper-case letter — or,
/// after the first word, a digit or a numero sign (`Кутессай II`, `Ёшлик 1`); `None` when the
/// first word is not capitalised.
fn capitalized_words(raw: &str) -> Option<String> {
    counted_capitalized_words(raw).map(|(name, _)| name)
}

/// [`capitalized_words`] and how many words it kept.
fn counted_capitalized_words(raw: &str) -> Option<(String, usize)> {
    let mut name = String::with_capacity(raw.len());
    let mut kept = 0;
    capitalized_prefix(raw, |word| {
        if kept > 0 {
            name.push(' ');
        }
        name.push_str(word);
        kept += 1;
    })?;
    Some((name, kept))
}

/// Where the words [`capitalized_words`] keeps end in `raw` (a byte offset, the punctuation
/// that ends a name left out): a record whose span is the capture such a field reads ends
/// there, so `месторождения Сандык в Кыргызстане` spans `Сандык`, as its name says. A
/// quoted capture (`"Южный поток"`) is one name as written, and keeps its span whole: `None`.
pub(crate) fn capitalized_end(raw: &str) -> Option<usize> {
    if raw.trim_start().starts_with(['"', '«', '“', '„', '\'']) {
        return None;
    }
    let end = capitalized_prefix(raw, |_| {})?;
    Some(raw[..end].trim_end_matches([',', ';', ':']).len())
}

/// Whether a capture whose raw text begins where `rest` does can start with a capitalised
/// word: `false` when the first character of `rest` that is neither a space nor a
/// [`NAME_EDGE`] is not upper-case (or there is none). [`capitalized_prefix`] keeps nothing
/// of such a capture, so a `capitalized` or `all_capitalized` field fails on it: the first
/// word it reads is the capture's first run of non-spaces, stripped of [`NAME_EDGE`]s, and
/// that word is either empty or begins with the character found here. Extraction does not
/// try rules whose records all need that where it is `false` (see
/// `Extractor::capital_first`).
pub(crate) fn may_open_capitalized(rest: &str) -> bool {
    rest.chars()
        .find(|c| !c.is_whitespace() && !NAME_EDGE.contains(c))
        .is_some_and(char::is_uppercase)
}

/// Calls `keep` with each word [`capitalized_words`] keeps (never empty), and returns the
/// end in `raw` of the last one as written; `None` when it keeps none. The words are
/// handed over, not collected: most callers want only the end, or one string.
fn capitalized_prefix<'r>(raw: &'r str, mut keep: impl FnMut(&'r str)) -> Option<usize> {
    let mut kept = false;
    let mut end = 0;
    for word in raw.split_whitespace() {
        let bare = word.trim_matches(NAME_EDGE);
        let ok = match bare.chars().next() {
            Some(c) if c.is_uppercase() => true,
            Some(c) if kept => c.is_ascii_digit() || c == '№',
            _ => false,
        };
        if !ok {
            break;
        }
        kept = true;
        keep(bare);
        // `word` is a slice of `raw`: its end is where it lies in `raw` plus its length.
        end = word.as_ptr() as usize - raw.as_ptr() as usize + word.len();
        // A closing quote or a comma ends a name: «Жетысу Вольфрам», …
        if word.ends_with(['"', '»', '”', ',', ';', ':', ')']) {
            break;
        }
    }
    kept.then_some(end)
}

/// An ISO 8601 date (`2025-04-28`, `2025-12-12T15:22`) from the captures `year`, `month`
/// (digits, or a lexicon entry with a `month` attribute), `day`, `hour`, `minute`.
fn date(node: Node<'_>, cx: &FieldContext<'_>) -> Option<String> {
    let int = |name: &str| -> Option<u32> {
        let Some(n) = node.find(name) else {
            // A month may be a name anywhere in the date ("28 апреля 2025").
            return node.walk().find_map(|m| {
                let e = cx.lexicons.entry_of_id(m.id)?;
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
        n.walk().find_map(|m| {
            let e = cx.lexicons.entry_of_id(m.id)?;
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
    match (expected, got) {
        // A table expects a nested record to have (at least) these fields.
        (toml::Value::Table(want), FieldValue::Map(have)) => want.iter().all(|(k, w)| {
            have.iter()
                .find(|(name, _)| name == k)
                .is_some_and(|(_, h)| same_value(w, h))
        }),
        (toml::Value::Array(want), FieldValue::List(have)) => {
            want.len() == have.len() && want.iter().zip(have).all(|(w, h)| same_value(w, h))
        }
        _ => match (FieldValue::from_toml(expected), got) {
            (Some(FieldValue::Decimal(a)), FieldValue::Decimal(b)) => {
                a.normalize() == b.normalize()
            }
            (Some(FieldValue::Text(a)), FieldValue::Decimal(b)) => {
                a.parse::<Decimal>().is_ok_and(|a| a == *b)
            }
            (Some(a), b) => a == *b,
            (None, _) => false,
        },
    }
}

#[cfg(test)]
mod name_tests {
    use super::*;

    #[test]
    fn a_span_ends_with_the_capitalised_words_unless_it_is_quoted() {
        fn end(raw: &str) -> Option<&str> {
            capitalized_end(raw).map(|e| &raw[..e])
        }
        assert_eq!(end("Сандык в Кыргызстане"), Some("Сандык"));
        assert_eq!(end("Верхнее Кайракты в"), Some("Верхнее Кайракты"));
        assert_eq!(end("Кутессай-II, Калесай"), Some("Кутессай-II"));
        assert_eq!(end("Ёшлик 1 и"), Some("Ёшлик 1"));
        assert_eq!(end("«Южный поток»"), None);
        assert_eq!(end("\"Южный поток\""), None);
        assert_eq!(end("перспективные"), None);
    }

    /// A capture [`may_open_capitalized`] rejects is one that `capitalized` and
    /// `all_capitalized` fields keep nothing of (extraction does not try rules that open
    /// with one); the captures it accepts include every name they keep.
    #[test]
    fn captures_that_cannot_open_capitalised_keep_no_name() {
        let raws = [
            "коксай",
            " «коксай»",
            "\"\" Коксай",
            "- Коксай",
            "",
            "  ",
            "«»",
            "1 Коксай",
            "Коксай",
            "«Коксай»",
            " \"Южный поток\"",
            "(Ешлик",
            "Ёшлик 1",
            "- коксай",
            "\" коксай\"",
            "«верхнее Кайракты»",
            "Верхнее Кайракты",
        ];
        for raw in raws {
            if capitalized_words(raw).is_some() || counted_capitalized_words(raw).is_some() {
                assert!(may_open_capitalized(raw), "{raw:?}");
            }
        }
        for lower in [
            "коксай",
            " «коксай»",
            "- коксай",
            "\" коксай\"",
            "1 Коксай",
            "",
        ] {
            assert!(!may_open_capitalized(lower), "{lower:?}");
        }
        for upper in ["Коксай", "«Коксай»", " - Коксай", "(Ешлик"] {
            assert!(may_open_capitalized(upper), "{upper:?}");
        }
    }

    #[test]
    fn capitalized_words_stop_at_the_first_lower_case_word() {
        assert_eq!(
            capitalized_words("Северный Катпар расположено").as_deref(),
            Some("Северный Катпар")
        );
        assert_eq!(
            capitalized_words("«Богутинское» в").as_deref(),
            Some("Богутинское")
        );
        assert_eq!(capitalized_words("перспективные"), None);
        assert_eq!(
            capitalized_words("Кутессай-II, Калесай").as_deref(),
            Some("Кутессай-II")
        );
    }

    /// A name is all capitalised words when it keeps every word its capture has.
    #[test]
    fn capitalized_words_are_counted() {
        assert_eq!(
            counted_capitalized_words("«Жетысу  Вольфрам»"),
            Some(("Жетысу Вольфрам".to_string(), 2))
        );
        assert_eq!(
            counted_capitalized_words("Red Petroleum и"),
            Some(("Red Petroleum".to_string(), 2))
        );
        assert_eq!(counted_capitalized_words("и Red"), None);
        assert_eq!(
            capitalized_prefix("Ёшлик 1 и", |_| {}),
            Some("Ёшлик 1".len())
        );
    }

    #[test]
    fn names_lose_their_quotes() {
        assert_eq!(trim_name("«Жетысу  Вольфрам»"), "Жетысу Вольфрам");
    }
}

#[cfg(test)]
mod entry_tests {
    use super::same_value;

    /// An amount's kind, unit, factor and qualifier are each the first entry of their own
    /// lexicons in one match tree, whose entries are read once for all of them: each field
    /// still gets the entry of its own lexicons.
    #[test]
    fn each_field_reads_the_entry_of_its_own_lexicons() {
        let ex = crate::extract::Extractor::new(
            crate::bench::grown_rules(1).expect("default rules load"),
        );
        let text = "Будет вложено более 1 трлн тенге, около 40,4 тыс. тонн зерна и 25 долларов.";
        let records = ex.extract("t", text);
        let expect = [
            (
                "1 трлн тенге",
                "money",
                1_000_000_000_000_i64,
                "KZT",
                "more_than",
            ),
            ("40,4 тыс. тонн", "mass", 40_400, "t", "approx"),
            ("25 долларов", "money", 25, "USD", "exact"),
        ];
        for (span, kind, value, unit, qualifier) in expect {
            let record = records
                .iter()
                .find(|r| r.span.as_ref().is_some_and(|s| s.text == span))
                .unwrap_or_else(|| panic!("no record spans {span}: {records:?}"));
            let fields = [
                ("kind", toml::Value::from(kind)),
                ("value", toml::Value::from(value)),
                ("unit", toml::Value::from(unit)),
                ("qualifier", toml::Value::from(qualifier)),
            ];
            for (name, want) in fields {
                let got = record
                    .field(name)
                    .unwrap_or_else(|| panic!("{span} has no {name}"));
                assert!(
                    same_value(&want, got),
                    "{span}: {name} is {got:?}, not {want}"
                );
            }
        }
    }
}
