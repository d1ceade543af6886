//! `nedra explain`: why a text gave the records it gave, and why not others.
//!
//! For each sentence: which rules were tried and where (word starts whose character is in
//! the rule's first set), what matched, what became of each match — a record that was kept,
//! a record that lost an overlap (to which match, and why: longer, priority, earlier, …), or
//! no record at all (and why) — and, for a rule named with `--rule` that did not match, how
//! far its grammar got: the furthest position any attempt reached and what the grammar
//! expected there, from pest's parse error.
//!
//! "Tried" means the places the matcher considers for a rule: word starts whose character is
//! in the rule's first set (the matcher's prefilter may skip some of them, but only where no
//! match can begin, so the matches are the same). The furthest point of a failed rule comes
//! from pest's own error, with `pest::set_error_detail` on: the grammar rules and literal
//! tokens it expected there, and what a `!` lookahead refused.
//!
//! All offsets shown are byte offsets into the raw text, like those of records.

use crate::extract::overlap::LossReason;
use crate::extract::{Extractor, Trace};
use crate::record::Record;
use crate::rules::Rule;
use crate::rules::grammar::FirstSet;
use crate::text::Lang;
use crate::text::normalize::{Normalized, normalize};
use crate::text::sentences::Sentence;
use pest::error::{ErrorVariant, InputLocation};
use std::fmt;

/// What `explain` found in a text.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// The rule the explanation is about, if one was named.
    pub rule: Option<String>,
    /// One entry per sentence.
    pub sentences: Vec<SentenceReport>,
}

/// One sentence: what was tried, what matched, what did not.
#[derive(Debug, Clone)]
pub struct SentenceReport {
    /// 1-based number.
    pub number: usize,
    /// Its language (the rules of that language run on it).
    pub lang: Lang,
    /// Raw byte span.
    pub start: usize,
    /// Raw byte end.
    pub end: usize,
    /// Its raw text.
    pub text: String,
    /// The rules tried, with the raw offsets they were tried at.
    pub tried: Vec<(String, Vec<usize>)>,
    /// Rules of the sentence's language that found no place to start.
    pub not_tried: usize,
    /// What the matches became, in text order.
    pub matches: Vec<MatchReport>,
    /// Why the named rule did not match, when it did not.
    pub miss: Option<Miss>,
}

/// One grammar match and its fate.
#[derive(Debug, Clone)]
pub struct MatchReport {
    /// The rule.
    pub rule: String,
    /// Raw span of the whole match.
    pub start: usize,
    /// Raw end of the whole match.
    pub end: usize,
    /// Raw text of the whole match.
    pub text: String,
    /// What became of it.
    pub fate: Fate,
}

/// What became of a match.
#[derive(Debug, Clone)]
pub enum Fate {
    /// It made this record, which is in the output.
    Kept(Record),
    /// It made this record, of a type that is not printed (it feeds links).
    Hidden(Record),
    /// It made this record, which lost to another.
    Lost {
        /// The record it would have made.
        record: Record,
        /// The winner's rule.
        rule: String,
        /// The winner's record text.
        text: String,
        /// The winner's raw start.
        start: usize,
        /// Why the winner won.
        reason: LossReason,
    },
    /// It made no record; why.
    NoRecord(String),
}

/// Why the named rule did not match in a sentence.
#[derive(Debug, Clone)]
pub enum Miss {
    /// The rule runs on sentences of another language.
    OtherLanguage(Lang),
    /// The grammar's best attempt.
    Attempt(Attempt),
}

/// The furthest any attempt of a rule's grammar got in a sentence.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// No word of the sentence starts with a character the rule can start with; the attempt
    /// shown was made anyway, at every word start.
    pub no_start: bool,
    /// What the rule can start with.
    pub first: String,
    /// Raw offset the best attempt started at.
    pub start: usize,
    /// Raw offset it reached.
    pub reached: usize,
    /// Raw text from the start to the point reached.
    pub matched: String,
    /// Raw text from the point reached to the end of the sentence.
    pub rest: String,
    /// Grammar rules expected at that point.
    pub expected: Vec<String>,
    /// Literal tokens expected at that point.
    pub tokens: Vec<String>,
    /// What a negative lookahead (`!…`) refused at that point.
    pub refused: Vec<String>,
    /// The rules those expectations were inside.
    pub inside: Vec<String>,
    /// The grammar matched, but the match ends inside a word.
    pub inside_word: bool,
}

/// Why an explanation could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExplainError {
    /// `--rule` names no rule.
    #[error("no rule with id `{0}`{1}")]
    UnknownRule(String, String),
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

fn glues(c: char) -> bool {
    matches!(c, '%' | '/' | '=' | '&' | '_' | '#' | '@' | '\\')
}

/// The places a rule may be tried in a sentence: word starts (and other non-space
/// characters), as the matcher chooses them.
fn starts(text: &str, s: &Sentence) -> Vec<(usize, char)> {
    let mut out = Vec::new();
    let mut prev: Option<char> = None;
    for (offset, c) in text[s.start..s.end].char_indices() {
        // Kept word for word as the matcher writes it.
        #[allow(clippy::nonminimal_bool)]
        let at_start = (!is_word_char(c) || !prev.is_some_and(is_word_char))
            && !(is_word_char(c) && prev.is_some_and(glues));
        prev = Some(c);
        if at_start && c != ' ' {
            out.push((s.start + offset, c));
        }
    }
    out
}

fn describe_first(first: &FirstSet) -> String {
    if first.any {
        return "any character".into();
    }
    let mut parts: Vec<String> = first
        .chars
        .iter()
        .take(16)
        .map(|c| format!("{c:?}"))
        .collect();
    if first.chars.len() > 16 {
        parts.push(format!("… ({} more)", first.chars.len() - 16));
    }
    parts.extend(first.ranges.iter().map(|(a, b)| format!("{a:?}..={b:?}")));
    parts.join(" ")
}

struct Texts<'a> {
    raw: &'a str,
    norm: &'a Normalized,
}

impl Texts<'_> {
    fn start(&self, n: usize) -> usize {
        self.norm.map.raw_start(n)
    }
    fn end(&self, n: usize) -> usize {
        self.norm.map.raw_end(n)
    }
    fn slice(&self, a: usize, b: usize) -> String {
        let (s, e) = (self.start(a), self.end(b));
        self.raw.get(s..e.max(s)).unwrap_or_default().to_string()
    }
}

/// Explains how the rules of `ex` read `raw`, optionally with every sentence forced to
/// `lang`, and with the details of one rule when `rule` names it.
pub fn explain(
    ex: &Extractor,
    raw: &str,
    lang: Option<Lang>,
    rule: Option<&str>,
) -> Result<Explanation, ExplainError> {
    let set = ex.rules();
    let named: Option<(usize, &Rule)> = match rule {
        None => None,
        Some(id) => Some(
            set.rules
                .iter()
                .enumerate()
                .find(|(_, r)| r.id == id)
                .ok_or_else(|| {
                    ExplainError::UnknownRule(
                        id.to_string(),
                        crate::suggest::did_you_mean(id, set.rules.iter().map(|r| r.id.as_str())),
                    )
                })?,
        ),
    };
    let (_, trace) = ex.trace("explain", raw, lang);
    let norm = normalize(raw);
    let texts = Texts { raw, norm: &norm };
    let mut sentences = Vec::new();
    for (si, s) in trace.sentences.iter().enumerate() {
        let places = starts(&trace.text, s);
        let mut tried = Vec::new();
        let mut not_tried = 0;
        for r in set.rules.iter().filter(|r| r.lang == s.lang) {
            if named.is_some_and(|(_, n)| n.id != r.id) {
                continue;
            }
            let at: Vec<usize> = places
                .iter()
                .filter(|(_, c)| r.first.contains(*c))
                .map(|(p, _)| texts.start(*p))
                .collect();
            if at.is_empty() {
                not_tried += 1;
            } else {
                tried.push((r.id.clone(), at));
            }
        }
        let matches = matches_in(&trace, ex, s, &texts, named.map(|(i, _)| i));
        let miss = match named {
            Some((ri, r))
                if !trace
                    .candidates
                    .iter()
                    .any(|c| c.rule == ri && within(c.start, s)) =>
            {
                Some(miss(ex, r, &trace.text, s, &places, &texts))
            }
            _ => None,
        };
        sentences.push(SentenceReport {
            number: si + 1,
            lang: s.lang,
            start: texts.start(s.start),
            end: texts.end(s.end),
            text: texts.slice(s.start, s.end),
            tried,
            not_tried,
            matches,
            miss,
        });
    }
    Ok(Explanation {
        rule: named.map(|(_, r)| r.id.clone()),
        sentences,
    })
}

fn within(pos: usize, s: &Sentence) -> bool {
    s.start <= pos && pos < s.end.max(s.start + 1)
}

fn matches_in(
    trace: &Trace,
    ex: &Extractor,
    s: &Sentence,
    texts: &Texts<'_>,
    only: Option<usize>,
) -> Vec<MatchReport> {
    let set = ex.rules();
    let mut out = Vec::new();
    for (ci, c) in trace.candidates.iter().enumerate() {
        if !within(c.start, s) || only.is_some_and(|r| r != c.rule) {
            continue;
        }
        let rule = &set.rules[c.rule];
        let report = |fate| MatchReport {
            rule: rule.id.clone(),
            start: texts.start(c.start),
            end: texts.end(c.end),
            text: texts.slice(c.start, c.end),
            fate,
        };
        let outcomes: Vec<_> = trace
            .outcomes
            .iter()
            .filter(|o| o.candidate == ci)
            .collect();
        if outcomes.is_empty() {
            let why = match &rule.each {
                Some(each) => format!("its `each` capture `{each}` does not occur in the match"),
                None => "the match was dropped before it made a record".into(),
            };
            out.push(report(Fate::NoRecord(why)));
        }
        for o in outcomes {
            let fate = match (&o.result, o.lost_to) {
                (Err(why), _) => Fate::NoRecord(why.clone()),
                (Ok(rec), Some((w, reason))) => {
                    let winner = &trace.outcomes[w];
                    let wrule = &set.rules[trace.candidates[winner.candidate].rule];
                    let (text, start) = winner
                        .result
                        .as_ref()
                        .ok()
                        .and_then(|r| r.span.as_ref())
                        .map_or((String::new(), 0), |sp| (sp.text.clone(), sp.start));
                    Fate::Lost {
                        record: rec.clone(),
                        rule: wrule.id.clone(),
                        text,
                        start,
                        reason,
                    }
                }
                (Ok(rec), None) => {
                    let printed = set.records.get(&rec.kind).is_none_or(|rt| rt.output);
                    if printed {
                        Fate::Kept(rec.clone())
                    } else {
                        Fate::Hidden(rec.clone())
                    }
                }
            };
            out.push(report(fate));
        }
    }
    out.sort_by_key(|m| (m.start, std::cmp::Reverse(m.end)));
    out
}

/// Where the grammar of `rule` got furthest in sentence `s`.
fn miss(
    ex: &Extractor,
    rule: &Rule,
    text: &str,
    s: &Sentence,
    places: &[(usize, char)],
    texts: &Texts<'_>,
) -> Miss {
    if rule.lang != s.lang {
        return Miss::OtherLanguage(rule.lang);
    }
    let fitting: Vec<usize> = places
        .iter()
        .filter(|(_, c)| rule.first.contains(*c))
        .map(|(p, _)| *p)
        .collect();
    let no_start = fitting.is_empty();
    let at: Vec<usize> = if no_start {
        places.iter().map(|(p, _)| *p).collect()
    } else {
        fitting
    };
    let vm = ex.rules().grammar.vm();
    pest::set_error_detail(true);
    let mut best: Option<(usize, usize, Attempt)> = None; // (reached, start, attempt)
    for &p in &at {
        let input = &text[p..s.end];
        let (reached, mut attempt) = match vm.parse(&rule.entry, input) {
            Ok(pairs) => {
                let end = pairs.map(|x| p + x.as_span().end()).max().unwrap_or(p);
                (end, Attempt::empty(end > p))
            }
            Err(e) => {
                let err_at = match e.location {
                    InputLocation::Pos(x) => x,
                    InputLocation::Span((x, _)) => x,
                };
                let mut a = Attempt::empty(false);
                // pest places its error at the furthest *rule* attempt; the detailed attempts
                // also follow literals and silent rules, so they may reach further.
                // (Inside atomic rules nothing is tracked: such detail says nothing.)
                let detail = e.parse_attempts().filter(|pa| {
                    pa.max_position >= err_at
                        && !(pa.expected_tokens().is_empty()
                            && pa.unexpected_tokens().is_empty()
                            && pa.call_stacks().is_empty())
                });
                let at = detail.as_ref().map_or(err_at, |pa| pa.max_position);
                if let (true, ErrorVariant::ParsingError { positives, .. }) =
                    (at == err_at, &e.variant)
                {
                    a.expected = positives.iter().map(|r| r.to_string()).collect();
                }
                if let Some(pa) = detail.filter(|pa| pa.max_position == at) {
                    a.tokens = pa.expected_tokens().iter().map(token).collect();
                    a.refused = pa.unexpected_tokens().iter().map(token).collect();
                    for cs in pa.call_stacks() {
                        if let Some(r) = cs.deepest.get_rule()
                            && !a.expected.iter().any(|x| x == r)
                        {
                            a.expected.push(r.to_string());
                        }
                        if let Some(parent) = cs.parent
                            && !a.inside.iter().any(|x| *x == parent)
                        {
                            a.inside.push(parent.to_string());
                        }
                    }
                }
                (p + at, a)
            }
        };
        // The attempt that matched the most text; the earliest of equals.
        let better = best
            .as_ref()
            .is_none_or(|(r, st, _)| reached - p > r - st || (reached - p == r - st && p < *st));
        if better {
            attempt.start = texts.start(p);
            attempt.reached = texts.start(reached.min(s.end));
            attempt.matched = texts.slice(p, reached.min(s.end));
            attempt.rest = texts.slice(reached.min(s.end), s.end);
            best = Some((reached, p, attempt));
        }
    }
    pest::set_error_detail(false);
    let mut attempt = best.map_or_else(|| Attempt::empty(false), |(_, _, a)| a);
    attempt.no_start = no_start;
    attempt.first = describe_first(&rule.first);
    Miss::Attempt(attempt)
}

/// A token pest expected or refused, for people: literals quoted, character classes named.
fn token(t: &impl fmt::Display) -> String {
    match t.to_string().as_str() {
        "BUILTIN_RULE" => "a character class such as LETTER".to_string(),
        text => format!("{text:?}"),
    }
}

impl Attempt {
    fn empty(inside_word: bool) -> Attempt {
        Attempt {
            no_start: false,
            first: String::new(),
            start: 0,
            reached: 0,
            matched: String::new(),
            rest: String::new(),
            expected: Vec::new(),
            tokens: Vec::new(),
            refused: Vec::new(),
            inside: Vec::new(),
            inside_word,
        }
    }
}

/// ` k=v k=v` (with its leading space), or nothing for a record without fields.
fn fields(r: &Record) -> String {
    r.fields
        .iter()
        .map(|(k, v)| format!(" {k}={}", serde_json::to_string(v).unwrap_or_default()))
        .collect()
}

fn list(items: &[String], max: usize) -> String {
    let mut shown: Vec<String> = items.iter().take(max).cloned().collect();
    if items.len() > max {
        shown.push(format!("… ({} more)", items.len() - max));
    }
    shown.join(", ")
}

fn record_text(r: &Record) -> &str {
    r.span.as_ref().map_or("", |s| s.text.as_str())
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.sentences {
            writeln!(
                f,
                "sentence {} [{}] {}..{}: {}",
                s.number,
                s.lang,
                s.start,
                s.end,
                s.text.trim()
            )?;
            if s.tried.is_empty() && self.rule.is_none() {
                writeln!(f, "  tried: no rule found a place to start")?;
            }
            for (rule, at) in &s.tried {
                if self.rule.is_some() {
                    let at: Vec<String> = at.iter().map(usize::to_string).collect();
                    writeln!(f, "  tried {rule} at {}", list(&at, 20))?;
                }
            }
            if self.rule.is_none() && !s.tried.is_empty() {
                let tried: Vec<String> = s
                    .tried
                    .iter()
                    .map(|(r, at)| format!("{r} ×{}", at.len()))
                    .collect();
                write!(f, "  tried: {}", tried.join(", "))?;
                if s.not_tried > 0 {
                    write!(f, " ({} more rules found no place to start)", s.not_tried)?;
                }
                writeln!(f)?;
            }
            for m in &s.matches {
                write!(f, "  match {} {}..{} {:?}", m.rule, m.start, m.end, m.text)?;
                match &m.fate {
                    Fate::Kept(r) => writeln!(
                        f,
                        "\n    kept: {} {:?}{}",
                        r.kind,
                        record_text(r),
                        fields(r)
                    )?,
                    Fate::Hidden(r) => writeln!(
                        f,
                        "\n    kept, not printed (feeds links): {} {:?}{}",
                        r.kind,
                        record_text(r),
                        fields(r)
                    )?,
                    Fate::Lost {
                        record,
                        rule,
                        text,
                        start,
                        reason,
                    } => writeln!(
                        f,
                        "\n    lost: {} {:?} lost to {rule} {:?} at {start} ({})",
                        record.kind,
                        record_text(record),
                        text,
                        reason_text(*reason)
                    )?,
                    Fate::NoRecord(why) => writeln!(f, "\n    no record: {why}")?,
                }
            }
            if s.matches.is_empty() && self.rule.is_none() {
                writeln!(f, "  no match")?;
            }
            match &s.miss {
                None => {}
                Some(Miss::OtherLanguage(l)) => writeln!(
                    f,
                    "  {} did not run: it is a `{l}` rule and this sentence is `{}`",
                    self.rule.as_deref().unwrap_or_default(),
                    s.lang
                )?,
                Some(Miss::Attempt(a)) => {
                    let rule = self.rule.as_deref().unwrap_or_default();
                    writeln!(f, "  {rule} did not match here")?;
                    if a.no_start {
                        writeln!(
                            f,
                            "    it can only start with {}, and no word here does",
                            a.first
                        )?;
                    }
                    if a.inside_word {
                        writeln!(
                            f,
                            "    its grammar matches {:?} at {}, but the match ends inside a word",
                            a.matched, a.start
                        )?;
                        continue;
                    }
                    if a.reached == a.start {
                        writeln!(
                            f,
                            "    no attempt got past its first character; at {}, before {:?}:",
                            a.start, a.rest
                        )?;
                    } else {
                        writeln!(
                            f,
                            "    furthest attempt: from {} it got to {}: {:?} ⟨here⟩ {:?}",
                            a.start, a.reached, a.matched, a.rest
                        )?;
                    }
                    if !a.expected.is_empty() {
                        let expected = grouped(&a.expected);
                        write!(f, "    expected rule there: {}", list(&expected, 12))?;
                        if !a.inside.is_empty() {
                            write!(f, " (inside {})", list(&a.inside, 6))?;
                        }
                        writeln!(f)?;
                    }
                    if !a.tokens.is_empty() {
                        writeln!(f, "    expected text there: {}", list(&a.tokens, 12))?;
                    }
                    if !a.refused.is_empty() {
                        writeln!(
                            f,
                            "    refused there by a `!` lookahead: {}",
                            list(&a.refused, 12)
                        )?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Rule names with lexicon entry rules (`unit__t`, `unit__kg`) grouped by their lexicon:
/// `unit (t, kg)`.
fn grouped(names: &[String]) -> Vec<String> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for n in names {
        match n.split_once("__") {
            Some((lex, id)) => match out.iter_mut().find(|(l, ids)| l == lex && !ids.is_empty()) {
                Some((_, ids)) => ids.push(id.to_string()),
                None => out.push((lex.to_string(), vec![id.to_string()])),
            },
            None => out.push((n.clone(), Vec::new())),
        }
    }
    out.into_iter()
        .map(|(l, ids)| {
            if ids.is_empty() {
                l
            } else {
                format!("{l} ({})", list(&ids, 8))
            }
        })
        .collect()
}

/// The reason an overlap was lost, as a sentence.
fn reason_text(r: LossReason) -> &'static str {
    #[allow(unreachable_patterns)]
    match r {
        LossReason::Longer => "longer: the winner's match is longer",
        LossReason::Priority => "priority: equally long, the winner's rule has a higher priority",
        LossReason::Earlier => {
            "earlier: equally long and equal priority, the winner starts earlier"
        }
        LossReason::RuleId => "rule id: all else equal, the winner's rule id sorts first",
        LossReason::SameSentence => {
            "one per sentence: the record type keeps the best of each sentence"
        }
        LossReason::Merged => "merged: a repeated mention, folded into the first",
        other => other.as_str(),
    }
}
