//! `nedra diff`: what a rule change does to a corpus — the records two rule sets give on the
//! same documents, compared: added, removed, and changed field by field, with a count per
//! record type. This is the review a maintainer reads before merging a rule change.
//!
//! Records of one document and type are paired first by identical span, then by
//! overlapping span (largest overlap first), so a rule that now takes `более $5 млн`
//! instead of `$5 млн` shows one changed record, not one removed and one added. Records
//! without a span (`document`) pair by type.

use crate::record::Record;
use std::collections::BTreeMap;
use std::fmt;

/// One field that differs between the old and the new record (`None`: absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// The field (`text`, `start`, `end` and `rule` included).
    pub field: String,
    /// Old value, as JSON.
    pub old: Option<String>,
    /// New value, as JSON.
    pub new: Option<String>,
}

/// A record both rule sets give, differently.
#[derive(Debug, Clone)]
pub struct Change {
    /// The old record.
    pub old: Record,
    /// The new record.
    pub new: Record,
    /// What differs.
    pub fields: Vec<FieldChange>,
}

/// The differences in one document.
#[derive(Debug, Clone, Default)]
pub struct DocDiff {
    /// The document.
    pub doc: String,
    /// Records only the new rules give.
    pub added: Vec<Record>,
    /// Records only the old rules give.
    pub removed: Vec<Record>,
    /// Records both give, with differences.
    pub changed: Vec<Change>,
}

impl DocDiff {
    /// Whether the rule sets agree on this document.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// Counts per record type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Added records.
    pub added: usize,
    /// Removed records.
    pub removed: usize,
    /// Changed records.
    pub changed: usize,
    /// Records both give identically.
    pub same: usize,
}

/// Counts per record type over a corpus.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Record type → counts.
    pub by_type: BTreeMap<String, Counts>,
    /// Documents compared.
    pub documents: usize,
    /// Documents with any difference.
    pub documents_changed: usize,
}

impl Summary {
    /// Adds one document's comparison.
    pub fn add(&mut self, d: &DocDiff, same: &BTreeMap<String, usize>) {
        self.documents += 1;
        if !d.is_empty() {
            self.documents_changed += 1;
        }
        for r in &d.added {
            self.by_type.entry(r.kind.clone()).or_default().added += 1;
        }
        for r in &d.removed {
            self.by_type.entry(r.kind.clone()).or_default().removed += 1;
        }
        for c in &d.changed {
            self.by_type.entry(c.new.kind.clone()).or_default().changed += 1;
        }
        for (t, n) in same {
            self.by_type.entry(t.clone()).or_default().same += n;
        }
    }

    /// Whether anything differs.
    pub fn is_empty(&self) -> bool {
        self.by_type
            .values()
            .all(|c| c.added == 0 && c.removed == 0 && c.changed == 0)
    }
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// The flat JSON view of a record: every key it prints, with its value.
fn view(r: &Record) -> Vec<(String, String)> {
    let mut out = vec![
        ("rule".to_string(), json(&r.rule)),
        ("lang".to_string(), json(&r.lang)),
    ];
    if let Some(s) = &r.span {
        out.push(("start".into(), s.start.to_string()));
        out.push(("end".into(), s.end.to_string()));
        out.push(("text".into(), json(&s.text)));
    }
    out.extend(r.fields.iter().map(|(k, v)| (k.clone(), json(v))));
    out
}

fn changes(old: &Record, new: &Record) -> Vec<FieldChange> {
    let (a, b) = (view(old), view(new));
    let mut keys: Vec<&String> = a.iter().map(|(k, _)| k).collect();
    for (k, _) in &b {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.into_iter()
        .filter_map(|k| {
            let o = a.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
            let n = b.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
            (o != n).then(|| FieldChange {
                field: k.clone(),
                old: o,
                new: n,
            })
        })
        .collect()
}

fn span(r: &Record) -> Option<(usize, usize)> {
    r.span.as_ref().map(|s| (s.start, s.end))
}

/// Compares the records two rule sets gave for one document. Also returns, per record type,
/// how many records are identical.
pub fn diff_doc(doc: &str, old: &[Record], new: &[Record]) -> (DocDiff, BTreeMap<String, usize>) {
    let mut d = DocDiff {
        doc: doc.to_string(),
        ..DocDiff::default()
    };
    let mut same: BTreeMap<String, usize> = BTreeMap::new();
    let mut old_used = vec![false; old.len()];
    let mut new_used = vec![false; new.len()];
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    // 1. identical records, 2. identical spans (or both spanless), 3. overlapping spans.
    for (i, o) in old.iter().enumerate() {
        if let Some(j) = (0..new.len()).find(|&j| !new_used[j] && new[j] == *o) {
            old_used[i] = true;
            new_used[j] = true;
            *same.entry(o.kind.clone()).or_default() += 1;
        }
    }
    for (i, o) in old.iter().enumerate() {
        if old_used[i] {
            continue;
        }
        if let Some(j) = (0..new.len())
            .find(|&j| !new_used[j] && new[j].kind == o.kind && span(&new[j]) == span(o))
        {
            old_used[i] = true;
            new_used[j] = true;
            pairs.push((i, j));
        }
    }
    let mut overlaps: Vec<(usize, usize, usize)> = Vec::new();
    for (i, o) in old.iter().enumerate().filter(|(i, _)| !old_used[*i]) {
        let Some((os, oe)) = span(o) else { continue };
        for (j, n) in new.iter().enumerate().filter(|(j, _)| !new_used[*j]) {
            let Some((ns, ne)) = span(n) else { continue };
            let ov = oe.min(ne).saturating_sub(os.max(ns));
            if n.kind == o.kind && ov > 0 {
                overlaps.push((ov, i, j));
            }
        }
    }
    overlaps.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    for (_, i, j) in overlaps {
        if !old_used[i] && !new_used[j] {
            old_used[i] = true;
            new_used[j] = true;
            pairs.push((i, j));
        }
    }
    pairs.sort_by_key(|&(i, j)| (span(&new[j]), i));
    d.changed = pairs
        .into_iter()
        .map(|(i, j)| Change {
            old: old[i].clone(),
            new: new[j].clone(),
            fields: changes(&old[i], &new[j]),
        })
        .collect();
    d.removed = old
        .iter()
        .zip(&old_used)
        .filter(|(_, u)| !**u)
        .map(|(r, _)| r.clone())
        .collect();
    d.added = new
        .iter()
        .zip(&new_used)
        .filter(|(_, u)| !**u)
        .map(|(r, _)| r.clone())
        .collect();
    (d, same)
}

fn one_line(r: &Record) -> String {
    let mut s = r.kind.clone();
    if let Some(sp) = &r.span {
        s.push_str(&format!(" {}..{} {}", sp.start, sp.end, json(&sp.text)));
    }
    for (k, v) in &r.fields {
        s.push_str(&format!(" {k}={}", json(v)));
    }
    s.push_str(&format!("  [{}]", r.rule));
    s
}

impl fmt::Display for DocDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return Ok(());
        }
        writeln!(f, "{}", self.doc)?;
        for r in &self.removed {
            writeln!(f, "  - {}", one_line(r))?;
        }
        for r in &self.added {
            writeln!(f, "  + {}", one_line(r))?;
        }
        for c in &self.changed {
            let at = c.new.span.as_ref().map_or_else(String::new, |s| {
                format!(" {}..{} {}", s.start, s.end, json(&s.text))
            });
            writeln!(f, "  ~ {}{at}", c.new.kind)?;
            for fc in &c.fields {
                writeln!(
                    f,
                    "      {}: {} -> {}",
                    fc.field,
                    fc.old.as_deref().unwrap_or("(none)"),
                    fc.new.as_deref().unwrap_or("(none)")
                )?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<16} {:>7} {:>7} {:>7} {:>9}",
            "type", "added", "removed", "changed", "unchanged"
        )?;
        let mut total = Counts::default();
        for (t, c) in &self.by_type {
            writeln!(
                f,
                "{t:<16} {:>7} {:>7} {:>7} {:>9}",
                c.added, c.removed, c.changed, c.same
            )?;
            total.added += c.added;
            total.removed += c.removed;
            total.changed += c.changed;
            total.same += c.same;
        }
        writeln!(
            f,
            "{:<16} {:>7} {:>7} {:>7} {:>9}",
            "total", total.added, total.removed, total.changed, total.same
        )?;
        write!(
            f,
            "{} of {} documents changed",
            self.documents_changed, self.documents
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{FieldValue, Span};

    fn rec(kind: &str, start: usize, end: usize, text: &str, value: i64) -> Record {
        Record {
            doc: "d".into(),
            kind: kind.into(),
            rule: format!("{kind}.ru"),
            lang: Some(crate::Lang::Ru),
            span: Some(Span {
                start,
                end,
                text: text.into(),
            }),
            fields: vec![("value".into(), FieldValue::Decimal(value.into()))],
        }
    }

    #[test]
    fn pairs_by_span_then_overlap() {
        let old = [
            rec("amount", 0, 5, "$5 млн", 5),
            rec("amount", 10, 14, "7 кг", 7),
            rec("percentage", 20, 22, "5%", 5),
        ];
        let new = [
            rec("amount", 0, 5, "$5 млн", 5),
            rec("amount", 6, 14, "более 7 кг", 7),
            rec("amount", 30, 34, "3 т", 3),
        ];
        let (d, same) = diff_doc("d", &old, &new);
        assert_eq!(same.get("amount"), Some(&1));
        assert_eq!(d.added.len(), 1);
        assert_eq!(d.removed.len(), 1);
        assert_eq!(d.changed.len(), 1);
        let fields: Vec<&str> = d.changed[0]
            .fields
            .iter()
            .map(|c| c.field.as_str())
            .collect();
        assert_eq!(fields, ["start", "text"]);
        let mut s = Summary::default();
        s.add(&d, &same);
        assert_eq!(
            s.by_type["amount"],
            Counts {
                added: 1,
                removed: 0,
                changed: 1,
                same: 1
            }
        );
        assert_eq!(s.by_type["percentage"].removed, 1);
    }
}
