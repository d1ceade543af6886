//! Scoring records against a gold file: `nedra eval`, with the semantics of
//! `shared/eval/score_records.py`, number for number.
//!
//! - Amounts and percentages are matched one-to-one by overlapping spans (each gold
//!   record, in order of its start, takes the unused prediction it overlaps most); a pair
//!   counts for `span`, for `exact_span` when both ends agree, and for `correct` when
//!   `value`/`min`/`max` (as decimals), `unit` (`%` by default for percentages) and, for
//!   amounts, `kind` agree exactly.
//! - Deposits are matched by normalised name within a document; `minerals_ok` counts
//!   matched names whose mineral lists agree as sets.
//! - Agreements are matched one-to-one by their set of parties within a document;
//!   `kind_ok` counts matched ones whose kind agrees.
//!
//! Gold offsets are character indices into the gold text; predicted `start`/`end` are
//! UTF-8 byte offsets (as nedra prints them) and are converted first.

mod casefold_table;
pub mod python;

use python::{Dec, as_int, char_slice, eq, name_of, norm_name, norm_party, sorted_items, str_of};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Why a gold or prediction file cannot be scored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// A line is not JSON.
    #[error("line {line}: not JSON: {message}")]
    BadJson {
        /// 1-based line number.
        line: usize,
        /// What the JSON parser said.
        message: String,
    },
    /// A line is JSON but not the object the format needs.
    #[error("line {line}: {message}")]
    BadShape {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// One gold document.
#[derive(Debug, Clone)]
pub struct GoldDoc {
    /// Its `id`, as JSON text: the key predictions are grouped by.
    pub key: String,
    /// Its `id`.
    pub id: Value,
    /// Its `lang`, if any.
    pub lang: Option<String>,
    /// Its text (gold offsets are character indices into it).
    pub text: String,
    /// Its gold records.
    pub records: Vec<Map<String, Value>>,
}

/// A gold file: documents in file order, a repeated id replacing the earlier document in
/// its place (as a Python dict does).
#[derive(Debug, Clone, Default)]
pub struct Gold {
    /// The documents.
    pub docs: Vec<GoldDoc>,
}

fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim_matches(python::is_py_space).is_empty())
}

fn object(line: usize, l: &str) -> Result<Map<String, Value>, EvalError> {
    match serde_json::from_str::<Value>(l) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err(EvalError::BadShape {
            line,
            message: "not a JSON object".into(),
        }),
        Err(e) => Err(EvalError::BadJson {
            line,
            message: e.to_string(),
        }),
    }
}

fn key_of(v: Option<&Value>) -> String {
    serde_json::to_string(v.unwrap_or(&Value::Null)).unwrap_or_default()
}

impl Gold {
    /// Reads a gold JSONL text: `{"id", "text", "lang", "records": [...]}` per line.
    pub fn parse(text: &str) -> Result<Gold, EvalError> {
        let mut gold = Gold::default();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (n, l) in lines(text) {
            let o = object(n, l)?;
            let bad = |m: &str| EvalError::BadShape {
                line: n,
                message: m.to_string(),
            };
            let id = o.get("id").cloned().ok_or_else(|| bad("no `id`"))?;
            let text = o
                .get("text")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("no `text` string"))?
                .to_string();
            let records = match o.get("records") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|r| {
                        r.as_object()
                            .cloned()
                            .ok_or_else(|| bad("a record is not an object"))
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err(bad("`records` is not a list")),
            };
            let doc = GoldDoc {
                key: key_of(Some(&id)),
                id,
                lang: o.get("lang").and_then(Value::as_str).map(str::to_string),
                text,
                records,
            };
            match index.get(&doc.key) {
                Some(&i) => gold.docs[i] = doc,
                None => {
                    index.insert(doc.key.clone(), gold.docs.len());
                    gold.docs.push(doc);
                }
            }
        }
        Ok(gold)
    }

    /// Only the documents whose `lang` is `lang` (`--lang`).
    pub fn only_lang(mut self, lang: &str) -> Gold {
        self.docs.retain(|d| d.lang.as_deref() == Some(lang));
        self
    }
}

/// `flat` of the script: fields under `"fields"` lifted to the top (top-level keys win).
fn flat(mut r: Map<String, Value>) -> Map<String, Value> {
    if let Some(Value::Object(f)) = r.remove("fields") {
        for (k, v) in f {
            r.entry(k).or_insert(v);
        }
    }
    r
}

/// Predicted records grouped by document key.
#[derive(Debug, Clone, Default)]
pub struct Predictions {
    by_doc: HashMap<String, Vec<Map<String, Value>>>,
}

impl Predictions {
    /// Reads nedra's JSONL output (one record per line; type fields flat or under
    /// `"fields"`), or lines that are whole documents `{"doc"|"id", "records": [...]}`.
    pub fn parse(text: &str) -> Result<Predictions, EvalError> {
        let mut p = Predictions::default();
        for (n, l) in lines(text) {
            let d = object(n, l)?;
            if d.contains_key("records") {
                let doc = d.get("doc").or_else(|| d.get("id")).cloned();
                let Some(Value::Array(rs)) = d.get("records") else {
                    return Err(EvalError::BadShape {
                        line: n,
                        message: "`records` is not a list".into(),
                    });
                };
                for r in rs {
                    let Value::Object(r) = r else {
                        return Err(EvalError::BadShape {
                            line: n,
                            message: "a record is not an object".into(),
                        });
                    };
                    let mut r = flat(r.clone());
                    r.entry("doc").or_insert(doc.clone().unwrap_or(Value::Null));
                    p.add(&key_of(doc.as_ref()), r);
                }
            } else {
                let r = flat(d);
                let doc = if r.contains_key("doc") {
                    r.get("doc")
                } else {
                    r.get("id")
                };
                p.add(&key_of(doc), r);
            }
        }
        Ok(p)
    }

    /// Adds a record of the document whose key (its id as JSON text) is `key`.
    pub fn add(&mut self, key: &str, record: Map<String, Value>) {
        self.by_doc.entry(key.to_string()).or_default().push(record);
    }
}

/// A predicted record with its character offsets (`-1` when its byte offsets do not fall
/// on characters; absent when it has none).
struct Pred<'a> {
    r: &'a Map<String, Value>,
    chars: Option<(i128, i128)>,
}

fn char_offsets(text: &str, r: &Map<String, Value>) -> Option<(i128, i128)> {
    let (Some(s), Some(e)) = (r.get("start"), r.get("end")) else {
        return None;
    };
    let start = as_int(s)?;
    // Python slices `b[:None]` to the end.
    let end = match e {
        Value::Null => text.len() as i128,
        e => as_int(e).unwrap_or(start),
    };
    let bytes = text.as_bytes();
    let conv = |b: i128| -> Option<i128> {
        let n = bytes.len() as i128;
        let cut = if b < 0 { (n + b).max(0) } else { b.min(n) } as usize;
        std::str::from_utf8(&bytes[..cut])
            .ok()
            .map(|s| s.chars().count() as i128)
    };
    match (conv(start), conv(end)) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => Some((-1, -1)),
    }
}

fn int_field(r: &Map<String, Value>, k: &str) -> i128 {
    match r.get(k) {
        Some(v) => as_int(v).unwrap_or_else(|| v.as_f64().map_or(0, |f| f as i128)),
        None => 0,
    }
}

fn is_type(r: &Map<String, Value>, t: &str) -> bool {
    r.get("type").and_then(Value::as_str) == Some(t)
}

fn match_spans(gs: &[&Map<String, Value>], ps: &[Pred<'_>]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..gs.len()).collect();
    order.sort_by_key(|&i| int_field(gs[i], "start"));
    let mut used = HashSet::new();
    let mut pairs = Vec::new();
    for gi in order {
        let (gs_, ge) = (int_field(gs[gi], "start"), int_field(gs[gi], "end"));
        let mut best: Option<(i128, usize)> = None;
        for (pi, p) in ps.iter().enumerate() {
            let Some((ps_, pe)) = p.chars.filter(|&(s, _)| s >= 0) else {
                continue;
            };
            if used.contains(&pi) {
                continue;
            }
            let ov = ge.min(pe) - gs_.max(ps_);
            if ov > 0 && best.is_none_or(|(b, _)| ov > b) {
                best = Some((ov, pi));
            }
        }
        if let Some((_, pi)) = best {
            used.insert(pi);
            pairs.push((gi, pi));
        }
    }
    pairs
}

fn same_value(g: &Map<String, Value>, p: &Map<String, Value>, typ: &str) -> bool {
    for k in ["value", "min", "max"] {
        if Dec::differ(&Dec::of_json(g.get(k)), &Dec::of_json(p.get(k))) {
            return false;
        }
    }
    let pct = Value::String("%".into());
    let unit = |r: &Map<String, Value>| -> Option<Value> {
        match r.get("unit") {
            u if python::truthy(u) => u.cloned(),
            _ if typ == "percentage" => Some(pct.clone()),
            _ => None,
        }
    };
    if !eq(unit(g).as_ref(), unit(p).as_ref()) {
        return false;
    }
    typ != "amount" || eq(g.get("kind"), p.get("kind"))
}

/// Precision, recall, F1 (each rounded to 4 places, like the script) and the counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prf {
    /// Precision.
    pub p: f64,
    /// Recall.
    pub r: f64,
    /// F1.
    pub f1: f64,
    /// True positives.
    pub tp: usize,
    /// Predictions.
    pub pred: usize,
    /// Gold records.
    pub gold: usize,
}

/// Python's `round(x, 4)`: correctly rounded, ties to even.
fn round4(x: f64) -> f64 {
    format!("{x:.4}").parse().unwrap_or(x)
}

impl Prf {
    fn new(tp: usize, pred: usize, gold: usize) -> Prf {
        let p = if pred > 0 {
            tp as f64 / pred as f64
        } else {
            0.0
        };
        let r = if gold > 0 {
            tp as f64 / gold as f64
        } else {
            0.0
        };
        let f1 = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        Prf {
            p: round4(p),
            r: round4(r),
            f1: round4(f1),
            tp,
            pred,
            gold,
        }
    }

    fn json(&self) -> Value {
        json!({"p": self.p, "r": self.r, "f1": self.f1, "tp": self.tp, "pred": self.pred, "gold": self.gold})
    }

    fn row(&self, what: &str) -> String {
        format!(
            "{what:<32} {:6.3} {:6.3} {:6.3}   {}/{}/{}",
            self.p, self.r, self.f1, self.tp, self.pred, self.gold
        )
    }
}

/// Scores of one span-matched type (amount, percentage).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpanScores {
    /// Pairs with overlapping spans.
    pub span: Prf,
    /// Pairs with identical spans.
    pub exact_span: Prf,
    /// Pairs whose values agree.
    pub correct: Prf,
}

/// One disagreement, as the script lists it with `--show-errors`: document, type, what
/// (`missed`, `spurious`, `wrong value`), the text or name, and context.
pub type ErrorLine = [String; 5];

/// Everything `nedra eval` reports.
#[derive(Debug, Clone)]
pub struct Report {
    /// Amounts.
    pub amount: SpanScores,
    /// Percentages.
    pub percentage: SpanScores,
    /// Deposits by name.
    pub deposit: Prf,
    /// Matched deposits whose minerals agree.
    pub minerals_ok: usize,
    /// Agreements by parties.
    pub agreement: Prf,
    /// Matched agreements whose kind agrees.
    pub kind_ok: usize,
    /// Every disagreement, in the script's order.
    pub errors: Vec<ErrorLine>,
}

/// Scores `pred` against `gold`.
pub fn score(gold: &Gold, pred: &Predictions) -> Report {
    let mut c: BTreeMap<String, usize> = BTreeMap::new();
    let mut add = |k: String, n: usize| *c.entry(k).or_default() += n;
    let mut errors: Vec<ErrorLine> = Vec::new();
    let empty = Vec::new();
    for g in &gold.docs {
        let doc = str_of(Some(&g.id));
        let text = &g.text;
        let precs = pred.by_doc.get(&g.key).unwrap_or(&empty);
        for typ in ["amount", "percentage"] {
            let gs: Vec<&Map<String, Value>> =
                g.records.iter().filter(|r| is_type(r, typ)).collect();
            let ps: Vec<Pred<'_>> = precs
                .iter()
                .filter(|r| is_type(r, typ))
                .map(|r| Pred {
                    r,
                    chars: char_offsets(text, r),
                })
                .collect();
            let pairs = match_spans(&gs, &ps);
            let exact = pairs
                .iter()
                .filter(|&&(gi, pi)| {
                    ps[pi].chars.is_some_and(|(s, e)| {
                        int_field(gs[gi], "start") == s && int_field(gs[gi], "end") == e
                    })
                })
                .count();
            let correct = pairs
                .iter()
                .filter(|&&(gi, pi)| same_value(gs[gi], ps[pi].r, typ))
                .count();
            add(format!("{typ}.gold"), gs.len());
            add(format!("{typ}.pred"), ps.len());
            add(format!("{typ}.overlap"), pairs.len());
            add(format!("{typ}.exact"), exact);
            add(format!("{typ}.correct"), correct);
            let mg: HashSet<usize> = pairs.iter().map(|p| p.0).collect();
            let mp: HashSet<usize> = pairs.iter().map(|p| p.1).collect();
            for (gi, gr) in gs.iter().enumerate() {
                if !mg.contains(&gi) {
                    errors.push([
                        doc.clone(),
                        typ.into(),
                        "missed".into(),
                        str_of(gr.get("text")),
                        String::new(),
                    ]);
                }
            }
            for (pi, p) in ps.iter().enumerate() {
                if !mp.contains(&pi) {
                    let (s, e) = p.chars.unwrap_or((0, 0));
                    let context = char_slice(text, (s - 30).max(0), e + 30).replace('\n', " ");
                    let shown =
                        p.r.get("text")
                            .map_or_else(String::new, |t| str_of(Some(t)));
                    errors.push([doc.clone(), typ.into(), "spurious".into(), shown, context]);
                }
            }
            for &(gi, pi) in &pairs {
                if !same_value(gs[gi], ps[pi].r, typ) {
                    let (gr, pr) = (gs[gi], ps[pi].r);
                    let show = |r: &Map<String, Value>| {
                        let value = match r.get("value") {
                            Some(v) => str_of(Some(v)),
                            None => format!(
                                "({}, {})",
                                python::repr(r.get("min")),
                                python::repr(r.get("max"))
                            ),
                        };
                        let kind = r.get("kind").map_or_else(String::new, |k| str_of(Some(k)));
                        format!("{value} {} {kind}", str_of(r.get("unit")))
                    };
                    errors.push([
                        doc.clone(),
                        typ.into(),
                        "wrong value".into(),
                        str_of(gr.get("text")),
                        format!("gold {} | pred {}", show(gr), show(pr)),
                    ]);
                }
            }
        }
        // Deposits by name: a dict keeps the first position and the last record of a name.
        let by_name = |rs: &mut dyn Iterator<Item = &Map<String, Value>>| {
            let mut keys: Vec<String> = Vec::new();
            let mut last: HashMap<String, Map<String, Value>> = HashMap::new();
            for r in rs {
                let k = norm_name(name_of(r.get("name")));
                if !last.contains_key(&k) {
                    keys.push(k.clone());
                }
                last.insert(k, r.clone());
            }
            (keys, last)
        };
        let (gk, gn) = by_name(&mut g.records.iter().filter(|r| is_type(r, "deposit")));
        let (pk, pn) = by_name(&mut precs.iter().filter(|r| is_type(r, "deposit")));
        let hit: Vec<&String> = gk.iter().filter(|k| pn.contains_key(*k)).collect();
        add("deposit.gold".into(), gk.len());
        add("deposit.pred".into(), pk.len());
        add("deposit.match".into(), hit.len());
        let minerals_ok = hit
            .iter()
            .filter(|k| {
                let a = sorted_items(gn[**k].get("minerals"));
                let b = sorted_items(pn[**k].get("minerals"));
                matches!((a, b), (Some(a), Some(b)) if a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| eq(Some(x), Some(y))))
            })
            .count();
        add("deposit.minerals_ok".into(), minerals_ok);
        for k in gk.iter().filter(|k| !pn.contains_key(*k)) {
            errors.push([
                doc.clone(),
                "deposit".into(),
                "missed".into(),
                k.clone(),
                String::new(),
            ]);
        }
        for k in pk.iter().filter(|k| !gn.contains_key(*k)) {
            errors.push([
                doc.clone(),
                "deposit".into(),
                "spurious".into(),
                k.clone(),
                String::new(),
            ]);
        }
        // Agreements by the set of parties, one to one.
        let parties = |r: &Map<String, Value>| -> Vec<String> {
            match r.get("parties") {
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|x| x.as_str().unwrap_or("").to_string())
                    .collect(),
                Some(Value::String(s)) => s.chars().map(String::from).collect(),
                _ => Vec::new(),
            }
        };
        let party_set = |r: &Map<String, Value>| -> Vec<String> {
            let mut s: Vec<String> = parties(r).iter().map(|x| norm_party(x)).collect();
            s.sort();
            s.dedup();
            s
        };
        let ga: Vec<&Map<String, Value>> = g
            .records
            .iter()
            .filter(|r| is_type(r, "agreement"))
            .collect();
        let pa: Vec<&Map<String, Value>> =
            precs.iter().filter(|r| is_type(r, "agreement")).collect();
        let mut used = HashSet::new();
        let (mut m, mut mk) = (0, 0);
        for gr in &ga {
            let gp = party_set(gr);
            match (0..pa.len()).find(|pi| !used.contains(pi) && party_set(pa[*pi]) == gp) {
                Some(pi) => {
                    used.insert(pi);
                    m += 1;
                    mk += usize::from(eq(gr.get("kind"), pa[pi].get("kind")));
                }
                None => errors.push([
                    doc.clone(),
                    "agreement".into(),
                    "missed".into(),
                    parties(gr).join(","),
                    gr.get("evidence")
                        .map_or_else(String::new, |e| str_of(Some(e))),
                ]),
            }
        }
        for (pi, pr) in pa.iter().enumerate() {
            if !used.contains(&pi) {
                errors.push([
                    doc.clone(),
                    "agreement".into(),
                    "spurious".into(),
                    parties(pr).join(","),
                    pr.get("text").map_or_else(String::new, |t| str_of(Some(t))),
                ]);
            }
        }
        add("agreement.gold".into(), ga.len());
        add("agreement.pred".into(), pa.len());
        add("agreement.match".into(), m);
        add("agreement.kind_ok".into(), mk);
    }
    let n = |k: &str| c.get(k).copied().unwrap_or(0);
    let spans = |t: &str| SpanScores {
        span: Prf::new(
            n(&format!("{t}.overlap")),
            n(&format!("{t}.pred")),
            n(&format!("{t}.gold")),
        ),
        exact_span: Prf::new(
            n(&format!("{t}.exact")),
            n(&format!("{t}.pred")),
            n(&format!("{t}.gold")),
        ),
        correct: Prf::new(
            n(&format!("{t}.correct")),
            n(&format!("{t}.pred")),
            n(&format!("{t}.gold")),
        ),
    };
    Report {
        amount: spans("amount"),
        percentage: spans("percentage"),
        deposit: Prf::new(n("deposit.match"), n("deposit.pred"), n("deposit.gold")),
        minerals_ok: n("deposit.minerals_ok"),
        agreement: Prf::new(
            n("agreement.match"),
            n("agreement.pred"),
            n("agreement.gold"),
        ),
        kind_ok: n("agreement.kind_ok"),
        errors,
    }
}

impl Report {
    /// The scores as the script's `--json` prints them (same keys, order and separators).
    pub fn to_json(&self) -> String {
        let spans = |s: &SpanScores| json!({"span": s.span.json(), "exact_span": s.exact_span.json(), "correct": s.correct.json()});
        let v = json!({
            "amount": spans(&self.amount),
            "percentage": spans(&self.percentage),
            "deposit": {"name": self.deposit.json(), "minerals_ok": self.minerals_ok},
            "agreement": {"parties": self.agreement.json(), "kind_ok": self.kind_ok},
        });
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut out, python::PythonFormatter);
        // Serialising a `Value` into memory cannot fail.
        let _ = serde::Serialize::serialize(&v, &mut ser);
        String::from_utf8(out).unwrap_or_default()
    }

    /// The scores as the script's table prints them.
    pub fn table(&self) -> String {
        let mut out = vec![format!(
            "{:<32} {:>6} {:>6} {:>6}   tp/pred/gold",
            "what", "P", "R", "F1"
        )];
        for (t, s) in [("amount", &self.amount), ("percentage", &self.percentage)] {
            out.push(s.span.row(&format!("{t} span")));
            out.push(s.exact_span.row(&format!("{t} exact_span")));
            out.push(s.correct.row(&format!("{t} correct")));
        }
        out.push(format!(
            "{}  minerals ok {}",
            self.deposit.row("deposit name"),
            self.minerals_ok
        ));
        out.push(format!(
            "{}  kind ok {}",
            self.agreement.row("agreement parties"),
            self.kind_ok
        ));
        out.join("\n") + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOLD: &str = r#"{"id": "d1", "lang": "ru", "text": "Выделят 5 млн тенге и 10% акций.", "records": [{"type": "amount", "start": 8, "end": 19, "text": "5 млн тенге", "kind": "money", "value": 5000000, "unit": "KZT"}, {"type": "percentage", "start": 22, "end": 25, "text": "10%", "value": 10, "unit": "%"}, {"type": "deposit", "name": "«Инкай»", "minerals": ["uranium"]}]}"#;

    #[test]
    fn scores_spans_values_and_names() {
        let gold = Gold::parse(GOLD).unwrap();
        // "5 млн тенге" is bytes 15..34; "10%" bytes 38..41.
        let pred = Predictions::parse(
            "{\"doc\":\"d1\",\"type\":\"amount\",\"start\":15,\"end\":34,\"kind\":\"money\",\"value\":5000000.0,\"unit\":\"KZT\"}\n\
             {\"doc\":\"d1\",\"type\":\"percentage\",\"start\":38,\"end\":40,\"value\":11}\n\
             {\"doc\":\"d1\",\"type\":\"deposit\",\"name\":\"инкай\",\"minerals\":[\"uranium\"]}\n",
        )
        .unwrap();
        let r = score(&gold, &pred);
        assert_eq!((r.amount.correct.tp, r.amount.exact_span.tp), (1, 1));
        assert_eq!(
            (
                r.percentage.span.tp,
                r.percentage.exact_span.tp,
                r.percentage.correct.tp
            ),
            (1, 0, 0)
        );
        assert_eq!((r.deposit.tp, r.minerals_ok), (1, 1));
        assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
        assert!(r.to_json().starts_with(
            r#"{"amount": {"span": {"p": 1.0, "r": 1.0, "f1": 1.0, "tp": 1, "pred": 1, "gold": 1}"#
        ));
    }

    #[test]
    fn rounds_like_python() {
        assert_eq!(round4(1.0 / 32.0), 0.0312);
        assert_eq!(Prf::new(1, 3, 3).p, 0.3333);
    }
}
