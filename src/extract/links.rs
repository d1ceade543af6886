//! Filling linked fields from the sentence (see [`crate::rules::link`]).

use super::PlacedByType;
use super::fields::FieldContext;
use crate::record::FieldValue;
use crate::rules::link::{Hit, Link, Scanner};
use crate::text::sentences::Sentence;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;
use std::sync::Arc;

/// The lexicon scans of one document, by scanner signature and range: the records of a
/// sentence whose links scan the same lexicons over the same stretch get the same hits,
/// so each scan runs once per document instead of once per record.
#[derive(Debug, Default)]
pub struct ScanCache {
    hits: RefCell<HashMap<ScanKey, Rc<[Hit]>, foldhash::fast::FixedState>>,
}

/// A scanner's signature and the range it scans.
type ScanKey = (Arc<str>, usize, usize);

impl ScanCache {
    /// `scanner.find(text, range)`, computed once per signature and range.
    pub fn find(&self, scanner: &Scanner, text: &str, range: Range<usize>) -> Rc<[Hit]> {
        let key = (scanner.signature().clone(), range.start, range.end);
        if let Some(hits) = self.hits.borrow().get(&key) {
            return hits.clone();
        }
        let hits: Rc<[Hit]> = scanner.find(text, range).into();
        self.hits.borrow_mut().insert(key, hits.clone());
        hits
    }
}

/// What a link can see: the sentence, the record's own span, and the final records of the
/// types built before this one.
pub struct LinkContext<'a> {
    /// The sentence of the record.
    pub sentence: &'a Sentence,
    /// Its index.
    pub sentence_index: usize,
    /// The record's span (normalised offsets).
    pub norm_span: (usize, usize),
    /// Final records of earlier types.
    pub(crate) placed: &'a PlacedByType,
    /// Texts, lexicons.
    pub fields: &'a FieldContext<'a>,
    /// Scans already made in this document.
    pub scans: &'a ScanCache,
    /// Whether a link that fails says why (a trace shows it); extraction only needs to
    /// know that it failed, and formatting the reason was most of the cost of a failure.
    pub why: bool,
}

fn words_between(text: &str, from: usize, to: usize) -> usize {
    if to <= from {
        return 0;
    }
    text[from..to]
        .split(|c: char| !crate::text::class::is_alphanumeric(c))
        .filter(|w| !w.is_empty())
        .count()
}

/// The value a link gives, `Ok(None)` when it finds nothing, `Err` when it finds fewer
/// distinct values than its `min`.
pub fn apply(link: &Link, cx: &LinkContext<'_>) -> Result<Option<FieldValue>, String> {
    let text = &cx.fields.norm.text;
    let mut range = cx.sentence.start..cx.sentence.end;
    if let Some(breaks) = &link.within_clause {
        for b in cx.scans.find(breaks, text, range.clone()).iter() {
            if b.end <= cx.norm_span.0 {
                range.start = range.start.max(b.end);
            } else if b.start >= cx.norm_span.1 {
                range.end = range.end.min(b.start);
            }
        }
    }
    let inside = |s: usize, e: usize| s < cx.norm_span.1 && cx.norm_span.0 < e;
    // Distinct values in the order first found: kept as they come, not collected first.
    let mut distinct: Vec<FieldValue> = Vec::new();
    let mut add = |v: FieldValue| {
        if !distinct.contains(&v) {
            distinct.push(v);
        }
    };
    if let Some(scan) = &link.scan {
        for hit in cx.scans.find(scan, text, range.clone()).iter() {
            if link.outside_span && inside(hit.start, hit.end) {
                continue;
            }
            let Some(e) = scan.entry(hit, cx.fields.lexicons) else {
                continue;
            };
            let v = link
                .attr
                .as_ref()
                .and_then(|a| e.attrs.get(a))
                .and_then(FieldValue::from_toml)
                .unwrap_or_else(|| FieldValue::Text(e.id.clone()));
            add(v);
        }
    }
    if let Some(ty) = &link.record {
        let intro = link
            .introduced_by
            .as_ref()
            .map(|s| cx.scans.find(s, text, range.clone()));
        for p in cx
            .placed
            .get(ty)
            .into_iter()
            .flatten()
            .filter(|p| p.sentence == cx.sentence_index)
        {
            if link.outside_span && inside(p.norm.0, p.norm.1) {
                continue;
            }
            if let Some(hits) = &intro {
                let introduced = hits.iter().any(|h| {
                    h.end <= p.norm.0
                        && link
                            .window
                            .is_none_or(|w| words_between(text, h.end, p.norm.0) <= w)
                });
                if !introduced {
                    continue;
                }
            }
            let v = match link.record_field.as_deref() {
                Some("text") => p
                    .record
                    .span
                    .as_ref()
                    .map(|s| FieldValue::Text(s.text.clone())),
                Some(f) => p.record.field(f).cloned(),
                None => {
                    let mut m = Vec::new();
                    if let Some(s) = &p.record.span {
                        m.push(("text".to_string(), FieldValue::Text(s.text.clone())));
                    }
                    m.extend(p.record.fields.iter().cloned());
                    Some(FieldValue::Map(m))
                }
            };
            v.into_iter().for_each(&mut add);
        }
    }
    if distinct.len() < link.min {
        if !cx.why {
            return Err(String::new());
        }
        return Err(format!(
            "`{}` needs {} distinct values, the sentence has {}",
            link.field,
            link.min,
            distinct.len()
        ));
    }
    if let Some(sep) = &link.join {
        let texts: Vec<String> = distinct
            .iter()
            .filter_map(|v| match v {
                FieldValue::Text(t) => Some(t.clone()),
                FieldValue::Decimal(d) => Some(d.to_string()),
                _ => None,
            })
            .collect();
        return Ok((!texts.is_empty()).then(|| FieldValue::Text(texts.join(sep))));
    }
    Ok(if link.all {
        (!distinct.is_empty()).then_some(FieldValue::List(distinct))
    } else {
        distinct.into_iter().next()
    })
}
