//! The benchmark behind `nedra bench`: throughput of the default rules on one thread and on
//! all threads, with the rule set grown tenfold, against a single `regex` pass over the same
//! text (so the result reads as a ratio that holds on a noisy machine), and the peak memory
//! of `nedra extract` on two corpus sizes.

use crate::batch::{self, BatchOptions};
use crate::error::LoadErrors;
use crate::extract::Extractor;
use crate::input::Document;
use crate::rules::RuleSet;
use crate::rules::source::{self, FileKind, SourceFile};
use std::time::Instant;

/// A corpus in memory: the test articles repeated until it reaches a size.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// (id, text) documents.
    pub docs: Vec<(String, String)>,
    /// Total bytes.
    pub bytes: usize,
}

impl Corpus {
    /// Repeats `articles` until the corpus holds at least `min_bytes`.
    pub fn build(articles: &[String], min_bytes: usize) -> Corpus {
        let mut docs = Vec::new();
        let mut bytes = 0;
        if articles.iter().all(String::is_empty) {
            return Corpus { docs, bytes };
        }
        while bytes < min_bytes {
            for a in articles {
                docs.push((format!("d{}", docs.len()), a.clone()));
                bytes += a.len();
            }
        }
        Corpus { docs, bytes }
    }

    /// The corpus as JSONL lines, for feeding a `nedra extract` process.
    pub fn jsonl(&self) -> String {
        let mut out = String::with_capacity(self.bytes + self.docs.len() * 32);
        for (id, text) in &self.docs {
            out.push_str(&serde_json::json!({ "id": id, "text": text }).to_string());
            out.push('\n');
        }
        out
    }
}

/// Extracts the first few megabytes of `corpus` with `ex`, untimed: the first pass of a
/// process pays for growing the allocator's heap, lazily built tables and cold caches (25 %
/// of a 10 MB pass was seen), which is not the speed of a long batch.
pub fn warm_up(ex: &Extractor, corpus: &Corpus) {
    let mut seen = 0;
    let docs: Vec<(String, String)> = corpus
        .docs
        .iter()
        .take_while(|(_, t)| {
            seen += t.len();
            seen <= WARM_UP_BYTES
        })
        .cloned()
        .collect();
    let bytes = docs.iter().map(|(_, t)| t.len()).sum();
    let sample = Corpus { docs, bytes };
    let _ = throughput(ex, &sample, 1);
}

/// How much of the corpus [`warm_up`] extracts.
const WARM_UP_BYTES: usize = 5 << 20;

/// Megabytes per second of extracting `corpus` with `ex` on `jobs` threads, and the records.
pub fn throughput(ex: &Extractor, corpus: &Corpus, jobs: usize) -> (f64, usize) {
    let docs = corpus.docs.iter().map(|(id, t)| Document {
        id: id.clone(),
        content: Ok(t.as_bytes().to_vec()),
    });
    let mut count = CountRecords(0);
    let start = Instant::now();
    let opts = BatchOptions::new(jobs);
    let _ = batch::run_with(ex, docs, opts, &mut count);
    (
        corpus.bytes as f64 / 1e6 / start.elapsed().as_secs_f64().max(1e-9),
        count.0,
    )
}

/// The sink of [`throughput`]: counts the records and leaves them to be freed by the worker
/// that made them, as `extract`'s sink does (see [`batch::ResultSink::take`]).
struct CountRecords(usize);

impl batch::ResultSink for &mut CountRecords {
    fn take(&mut self, result: &mut batch::DocResult) -> bool {
        self.0 += result.records.len();
        true
    }
}

/// Megabytes per second of `ex` over `corpus` on the calling thread alone, one document
/// after another, the records dropped as they come: what one core extracts. [`throughput`]
/// with one worker adds the batch pipeline (a reading thread, a hand-on thread, the
/// documents and results passed between them), which is what `extract --jobs 1` runs; the
/// two read together show what the pipeline costs.
pub fn sequential_throughput(ex: &Extractor, corpus: &Corpus) -> f64 {
    let start = Instant::now();
    for (id, text) in &corpus.docs {
        std::hint::black_box(ex.extract_bytes(id, text.as_bytes()));
    }
    corpus.bytes as f64 / 1e6 / start.elapsed().as_secs_f64().max(1e-9)
}

/// Megabytes per second of each stage before matching, on one thread: where a document's
/// time goes, so the speed of the whole reads against the cost of its parts. The stages
/// are timed one document at a time, as extraction runs them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stages {
    /// Normalising the text (see `text::normalize`), which also finds the places where a
    /// sentence may end and counts the language votes on the way.
    pub normalize: f64,
    /// Splitting it into sentences and telling their language, from what normalising found.
    pub split: f64,
    /// The prefilter's pass: which rules may match where.
    pub prefilter: f64,
}

/// [`Stages`] of extracting `corpus` with `ex`.
pub fn stages(ex: &Extractor, corpus: &Corpus) -> Stages {
    let mut total = [std::time::Duration::ZERO; 3];
    for (_, text) in &corpus.docs {
        for (sum, t) in total.iter_mut().zip(ex.stage_times(text)) {
            *sum += t;
        }
    }
    let speed = |d: std::time::Duration| corpus.bytes as f64 / 1e6 / d.as_secs_f64().max(1e-9);
    Stages {
        normalize: speed(total[0]),
        split: speed(total[1]),
        prefilter: speed(total[2]),
    }
}

/// The reference: one pass of a comparable amount pattern with the `regex` crate.
pub fn regex_throughput(corpus: &Corpus) -> (f64, usize) {
    let re = regex::Regex::new(
        r"(?i)\$?\d+(?:[ \u{a0}]\d{3})*(?:[.,]\d+)?\s*(?:тыс\.?|млн|млрд|трлн|мың|миллион\w*|миллиард\w*)?\s*(?:тонн\w*|т\b|доллар\w*|тенге|теңге\w*|руб\w*|сом\w*|%|процент\w*|пайыз\w*|га\b)",
    )
    .expect("the reference pattern compiles");
    let start = Instant::now();
    let found: usize = corpus
        .docs
        .iter()
        .map(|(_, t)| re.find_iter(t).count())
        .sum();
    (
        corpus.bytes as f64 / 1e6 / start.elapsed().as_secs_f64().max(1e-9),
        found,
    )
}

/// The matcher alone, against `pest_vm`: grammar rule `rule` of `set` tried at every place
/// an amount can begin (the start of a run of digits at a word start) of the normalised
/// texts of `corpus`, by nedra's compiled matcher and by `pest_vm` on the same grammar.
/// The project's brief measured `pest_vm` at about 22 MB/s this way (and `pest_derive` at
/// about 80); this says whether the interpreter is still what limits extraction.
#[derive(Debug, Clone, Copy)]
pub struct MatcherSpeed {
    /// MB/s of nedra's matcher (megabytes of corpus text per second of matching).
    pub nedra: f64,
    /// MB/s of `pest_vm`.
    pub pest_vm: f64,
    /// Places tried.
    pub tries: usize,
    /// Places where nedra's matcher matched, and where `pest_vm` did: equal unless the two
    /// disagree (the differential test says they do not).
    pub matches: (usize, usize),
}

/// See [`MatcherSpeed`]. `None` when `rule` is not in the grammar.
pub fn matcher_throughput(set: &RuleSet, rule: &str, corpus: &Corpus) -> Option<MatcherSpeed> {
    let program = set.grammar.program();
    let id = program.rule_id(rule)?;
    let texts: Vec<String> = corpus
        .docs
        .iter()
        .map(|(_, t)| crate::text::normalize::normalize(t).text)
        .collect();
    let places: Vec<Vec<usize>> = texts.iter().map(|t| number_starts(t)).collect();
    let tries = places.iter().map(Vec::len).sum();
    let mb = corpus.bytes as f64 / 1e6;
    let limits = crate::peg::Limits::default();
    let start = Instant::now();
    let mut ours = 0;
    for (text, at) in texts.iter().zip(&places) {
        for &pos in at {
            ours += usize::from(program.matches(id, &text[pos..], limits).is_ok());
        }
    }
    let nedra = mb / start.elapsed().as_secs_f64().max(1e-9);
    let vm = set.grammar.vm();
    let start = Instant::now();
    let mut theirs = 0;
    for (text, at) in texts.iter().zip(&places) {
        for &pos in at {
            theirs += usize::from(vm.parse(rule, &text[pos..]).is_ok());
        }
    }
    let pest_vm = mb / start.elapsed().as_secs_f64().max(1e-9);
    Some(MatcherSpeed {
        nedra,
        pest_vm,
        tries,
        matches: (ours, theirs),
    })
}

/// Byte offsets where a run of ASCII digits begins a word.
fn number_starts(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        if c.is_ascii_digit() && !prev.is_some_and(char::is_alphanumeric) {
            out.push(i);
        }
        prev = Some(c);
    }
    out
}

/// The default rule files with every rule file repeated `times` times under new rule ids:
/// the same work as the defaults, `times` over, to see how matching scales with rules.
/// Exact copies cost little (see `extract::settle::contending`): a copy builds the same
/// records as its original and loses every tie to it, so it makes no candidates.
pub fn grown_rules(times: usize) -> Result<RuleSet, LoadErrors> {
    grow(times, false)
}

/// [`grown_rules`] with each copy `k` ranked below its original: its priority is the
/// original's less `k`. Copies then contend as rules of their own: each makes a candidate
/// wherever its original matches and loses the overlap on priority. This is the cost of
/// growing a rule set with rules that share grammars but differ.
pub fn grown_rules_ranked(times: usize) -> Result<RuleSet, LoadErrors> {
    grow(times, true)
}

/// The rule files of [`grown_rules`]; `ranked`: of [`grown_rules_ranked`].
fn grow(times: usize, ranked: bool) -> Result<RuleSet, LoadErrors> {
    let base = source::defaults();
    let mut files: Vec<SourceFile> = base.clone();
    for k in 1..times {
        for f in base
            .iter()
            .filter(|f| f.kind == FileKind::Rules && f.text.contains("[[rule]]"))
        {
            files.push(SourceFile::new(
                format!("{}#copy{k}", f.name),
                copy_rules(&f.text, k, ranked),
                FileKind::Rules,
                0,
            ));
        }
    }
    RuleSet::from_files(files)
}

/// Rule file `text` with its rule ids prefixed `copy{k}.`; `ranked`: each rule's priority
/// (0 when it sets none) lowered by `k`, set on the line after its id.
fn copy_rules(text: &str, k: usize, ranked: bool) -> String {
    let lines: Vec<&str> = text.lines().collect();
    // The priority a rule's own table sets: from its `[[rule]]` line to the next header.
    let priority_after = |at: usize| -> i64 {
        lines[at..]
            .iter()
            .take_while(|l| !l.starts_with('['))
            .find_map(|l| l.strip_prefix("priority = ")?.trim().parse().ok())
            .unwrap_or(0)
    };
    let mut out = Vec::with_capacity(lines.len() + 1);
    let mut priority = 0;
    for (i, line) in lines.iter().enumerate() {
        if *line == "[[rule]]" {
            priority = priority_after(i + 1);
        }
        match line.strip_prefix("id = \"") {
            Some(rest) => {
                out.push(format!("id = \"copy{k}.{rest}"));
                if ranked {
                    out.push(format!("priority = {}", priority - k as i64));
                }
            }
            None if ranked && line.starts_with("priority = ") => {}
            None => out.push(line.to_string()),
        }
    }
    out.join("\n")
}

/// Peak resident memory (KiB) of a finished child, read from /proc while it runs.
pub fn peak_rss_kib(child: &mut std::process::Child) -> Option<u64> {
    let status = format!("/proc/{}/status", child.id());
    let mut peak = None;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status) {
            let hwm = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
            if hwm.is_some() {
                peak = hwm.max(peak);
            }
        }
        match child.try_wait() {
            Ok(Some(_)) | Err(_) => return peak,
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_starts_are_digit_runs_at_word_starts() {
        let text = "в 2024 году 1,5 млн т; a1 b22 №7";
        let starts: Vec<&str> = number_starts(text)
            .into_iter()
            .map(|i| &text[i..i + 1])
            .collect();
        // "1" of "a1" and "2" of "b22" follow a letter; "5" follows a comma, not a letter,
        // so it is a place too (the matcher decides what a number is).
        assert_eq!(starts, ["2", "1", "5", "7"]);
    }

    fn default_rules() -> RuleSet {
        RuleSet::load_defaults().expect("default rules")
    }

    #[test]
    fn the_matcher_and_pest_vm_find_the_same_amounts() {
        let set = default_rules();
        let articles = vec![
            "Добыча выросла до 1,5 млн тонн, инвестиции составят $2 млрд в 2025 году.".to_string(),
            "Экспорт — 300 тыс. т, 12 процентов и 5 км.".to_string(),
        ];
        let corpus = Corpus::build(&articles, 1);
        let m = matcher_throughput(&set, "amount_ru", &corpus).expect("amount_ru exists");
        assert_eq!(m.tries, 7);
        // At «1» of «1,5 млн тонн», at its «5» («5 млн тонн»: every digit run after a
        // non-letter is tried, overlaps are settled later), at «300 тыс. т». Not «2 млрд в»
        // (its currency is the «$» before it, where no number starts), not the year, not
        // «12 процентов» (a percentage), not «5 км» (no unit of the amount lexicon).
        assert_eq!(m.matches, (3, 3));
        assert!(matcher_throughput(&set, "no_such_rule", &corpus).is_none());
    }

    /// Each stage of the breakdown is timed on the document it is given: none reads as
    /// free, and an empty corpus is no stage's time.
    #[test]
    fn every_stage_before_matching_is_timed() {
        let ex = Extractor::new(default_rules());
        let text =
            "Казатомпром увеличит добычу на месторождении Инкай до 4 тыс. тонн урана. ".repeat(20);
        for (stage, took) in ["normalise", "split", "prefilter"]
            .iter()
            .zip(ex.stage_times(&text))
        {
            assert!(took > std::time::Duration::ZERO, "{stage} took no time");
        }
        let corpus = Corpus::build(&[text], 1);
        let speeds = stages(&ex, &corpus);
        for v in [speeds.normalize, speeds.split, speeds.prefilter] {
            assert!(v.is_finite() && v > 0.0, "{speeds:?}");
        }
        let empty = Corpus::build(&[String::new()], 1);
        assert_eq!(stages(&ex, &empty).prefilter, 0.0);
    }
}
