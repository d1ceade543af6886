//! The extraction pipeline for one document: bytes → UTF-8 → normalised text with an offset
//! map → sentences with languages → candidate matches → overlap resolution → records.

pub mod fields;
pub mod matcher;
pub mod numeral;
pub mod overlap;
pub mod tree;

use crate::error::DocError;
use crate::record::{FieldValue, Record, Span};
use crate::rules::RuleSet;
use crate::text::Lang;
use crate::text::normalize::{Normalized, normalize};
use crate::text::sentences::{self, Sentence};
use fields::FieldContext;
use matcher::Candidate;
use overlap::{Contender, LossReason};
use std::collections::BTreeMap;

/// Record type of the one-per-input document record.
pub const DOCUMENT: &str = "document";

/// How many leading sentences document rules (datelines) look at.
const HEADER_SENTENCES: usize = 6;

/// A loaded rule set, ready to extract from any number of documents (shareable across threads).
#[derive(Debug)]
pub struct Extractor {
    rules: RuleSet,
    by_lang: BTreeMap<Lang, Vec<usize>>,
}

/// A candidate that became (or failed to become) a record, for tools that explain.
#[derive(Debug, Clone)]
pub struct Traced {
    /// The grammar match.
    pub candidate: Candidate,
    /// The record it makes, or why it makes none.
    pub outcome: Result<Record, String>,
    /// `Some((winner index, reason))` when it lost an overlap.
    pub lost_to: Option<(usize, LossReason)>,
}

/// Everything one document gave: its sentences and every candidate with its fate.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    /// The normalised text.
    pub text: String,
    /// The sentences.
    pub sentences: Vec<Sentence>,
    /// All candidates, in text order.
    pub candidates: Vec<Traced>,
}

impl Extractor {
    /// Prepares a rule set for extraction.
    pub fn new(rules: RuleSet) -> Extractor {
        let mut by_lang: BTreeMap<Lang, Vec<usize>> = BTreeMap::new();
        for (i, r) in rules.rules.iter().enumerate() {
            by_lang.entry(r.lang).or_default().push(i);
        }
        Extractor { rules, by_lang }
    }

    /// The rule set.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Extracts from raw bytes. Always returns the `document` record first; a document that
    /// is not UTF-8 gives only that record, with an `error` field.
    pub fn extract_bytes(&self, doc: &str, bytes: &[u8]) -> (Vec<Record>, Option<DocError>) {
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                // A bug in a grammar or in nedra must cost one document, not the batch.
                let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    self.extract(doc, text)
                }));
                match run {
                    Ok(records) => (records, None),
                    Err(payload) => {
                        let what = payload
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        let err = DocError::Internal(what);
                        (vec![failed_document(doc, &err)], Some(err))
                    }
                }
            }
            Err(e) => {
                let err = DocError::NotUtf8 {
                    offset: e.valid_up_to(),
                };
                (vec![failed_document(doc, &err)], Some(err))
            }
        }
    }

    /// Extracts from a text: the `document` record, then every record in text order.
    pub fn extract(&self, doc: &str, raw: &str) -> Vec<Record> {
        self.trace(doc, raw, None).0
    }

    /// Like [`Extractor::extract`], with every sentence forced to `lang` when given (rule
    /// examples use it: a three-word example has too little text to tell its language).
    pub fn trace(&self, doc: &str, raw: &str, lang: Option<Lang>) -> (Vec<Record>, Trace) {
        let norm = normalize(raw);
        let (mut sents, mut main_lang) = sentences::split(&norm, raw, &self.rules.abbreviations);
        if let Some(l) = lang {
            main_lang = l;
            sents.iter_mut().for_each(|s| s.lang = l);
        }
        let cx = FieldContext {
            raw,
            norm: &norm,
            lexicons: &self.rules.lexicons,
        };
        let mut traced: Vec<Traced> = Vec::new();
        for (i, s) in sents.iter().enumerate() {
            let Some(rules) = self.by_lang.get(&s.lang) else {
                continue;
            };
            for c in matcher::candidates(&self.rules, rules, &norm.text, s) {
                let rule = &self.rules.rules[c.rule];
                if rule.emits == DOCUMENT && i >= HEADER_SENTENCES {
                    continue;
                }
                let outcome = self.record(doc, &c, s.lang, &cx);
                traced.push(Traced {
                    candidate: c,
                    outcome,
                    lost_to: None,
                });
            }
        }
        // Overlaps are resolved among the records of one type.
        let mut by_type: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, t) in traced.iter().enumerate() {
            if t.outcome.is_ok() {
                by_type
                    .entry(self.rules.rules[t.candidate.rule].emits.as_str())
                    .or_default()
                    .push(i);
            }
        }
        let mut winners = Vec::new();
        let mut losses = Vec::new();
        for idx in by_type.values() {
            let cs: Vec<Contender<'_>> = idx
                .iter()
                .map(|&i| {
                    let c = &traced[i].candidate;
                    let r = &self.rules.rules[c.rule];
                    // Every candidate here has a record (see `by_type`); conflicts are
                    // between record spans, ranking by the whole match.
                    let span = traced[i]
                        .outcome
                        .as_ref()
                        .ok()
                        .and_then(|rec| rec.span.as_ref());
                    let (start, end) = span.map_or((c.start, c.end), |s| (s.start, s.end));
                    Contender {
                        start,
                        end,
                        len: c.end - c.start,
                        priority: r.priority,
                        rule: &r.id,
                    }
                })
                .collect();
            let res = overlap::resolve(&cs);
            winners.extend(res.winners.iter().map(|&w| idx[w]));
            losses.extend(res.losers.iter().map(|&(l, w, why)| (idx[l], idx[w], why)));
        }
        for (l, w, why) in losses {
            traced[l].lost_to = Some((w, why));
        }
        winners.sort_by_key(|&i| {
            (
                traced[i].candidate.start,
                traced[i].candidate.end,
                traced[i].candidate.rule,
            )
        });
        let mut document = Record {
            doc: doc.to_string(),
            kind: DOCUMENT.to_string(),
            rule: DOCUMENT.to_string(),
            lang: Some(main_lang),
            span: None,
            fields: Vec::new(),
        };
        let mut records = Vec::new();
        for i in winners {
            let Ok(rec) = &traced[i].outcome else {
                continue;
            };
            if rec.kind == DOCUMENT {
                if document.rule == DOCUMENT {
                    document.rule = rec.rule.clone();
                    document.fields = rec.fields.clone();
                }
            } else {
                records.push(rec.clone());
            }
        }
        records.insert(0, document);
        let trace = Trace {
            text: norm.text.clone(),
            sentences: sents,
            candidates: traced,
        };
        (records, trace)
    }

    fn record(
        &self,
        doc: &str,
        c: &Candidate,
        lang: Lang,
        cx: &FieldContext<'_>,
    ) -> Result<Record, String> {
        let rule = &self.rules.rules[c.rule];
        let mut fields = fields::build(rule, &c.tree, cx).map_err(|e| e.0)?;
        if let Some(rt) = self.rules.records.get(&rule.emits) {
            fields.sort_by_key(|(name, _)| rt.position(name));
        }
        let (start, end) = match &rule.span {
            Some(cap) => match c.tree.find(cap) {
                Some(n) => (n.start, n.end),
                None => (c.start, c.end),
            },
            None => (c.start, c.end),
        };
        Ok(Record {
            doc: doc.to_string(),
            kind: rule.emits.clone(),
            rule: rule.id.clone(),
            lang: Some(lang),
            span: Some(raw_span(cx.raw, cx.norm, start, end)),
            fields,
        })
    }
}

fn raw_span(raw: &str, norm: &Normalized, start: usize, end: usize) -> Span {
    let s = norm.map.raw_start(start);
    let e = norm.map.raw_end(end).max(s);
    Span {
        start: s,
        end: e,
        text: raw[s..e].to_string(),
    }
}

/// The `document` record of an input that could not be processed.
pub fn failed_document(doc: &str, err: &DocError) -> Record {
    Record {
        doc: doc.to_string(),
        kind: DOCUMENT.to_string(),
        rule: DOCUMENT.to_string(),
        lang: None,
        span: None,
        fields: vec![("error".to_string(), FieldValue::Text(err.to_string()))],
    }
}
