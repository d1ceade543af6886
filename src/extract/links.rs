//! Filling linked fields from the sentence (see [`crate::rules::link`]).

use super::PlacedByType;
use super::fields::FieldContext;
use crate::record::FieldValue;
use crate::rules::RuleSet;
use crate::rules::lexicon::Lexicons;
use crate::rules::link::{Link, Scanner, scanned_entries};
use crate::text::class::{
    SHORT_INDEXED, is_alphanumeric, lower_case_russian, short_chars, short_index,
};
use crate::text::sentences::Sentence;
use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind, StartKind};
use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;
use std::sync::{Arc, LazyLock};

/// The link scanners of a rule set, each as a [`WordScanner`], by the signature of the
/// [`Scanner`] it stands for (scanners with one signature find the same hits).
#[derive(Debug, Default)]
pub struct WordScanners {
    index: HashMap<Arc<str>, usize, foldhash::fast::FixedState>,
    scanners: Vec<WordScanner>,
}

impl WordScanners {
    /// One word scanner per distinct scanner the links of `rules` use.
    pub fn new(rules: &RuleSet) -> WordScanners {
        // The table every scan reads, built with the rule set rather than by the first
        // document's first scan.
        LazyLock::force(&WORD_CHARS);
        let mut all = WordScanners::default();
        let links = rules.rules.iter().flat_map(|r| &r.links);
        let used = links.flat_map(|l| [&l.scan, &l.introduced_by, &l.within_clause]);
        for scanner in used.flatten() {
            if all.index.contains_key(scanner.signature()) {
                continue;
            }
            if let Some(word) = WordScanner::of(scanner, &rules.lexicons) {
                all.index
                    .insert(scanner.signature().clone(), all.scanners.len());
                all.scanners.push(word);
            }
        }
        all
    }

    /// The word scanner standing for `scanner`, and its index.
    fn get(&self, scanner: &Scanner) -> Option<(usize, &WordScanner)> {
        let &i = self.index.get(scanner.signature())?;
        Some((i, &self.scanners[i]))
    }
}

/// What a [`Scanner`] finds, found by trying its forms only where one may begin: at a word
/// start for a form that begins with a letter or digit (a form may not begin inside a
/// word), and at a character that is neither for the others, and only where some form
/// begins with the byte there. `Scanner::find` runs an automaton over every character of
/// the stretch and then drops what does not begin a word; an anchored walk from a word
/// start ends within a letter or two in most words. Links scan whole sentences (an
/// agreement's topics), and this was a third of their scanning instructions.
#[derive(Debug, Clone)]
pub struct WordScanner {
    /// The forms, for anchored walks (matches of every length along a walk).
    dfa: DFA,
    start: StateID,
    /// Per byte: some form begins with it.
    opens: [bool; 256],
    /// Whether some form begins with a letter or digit. When none does (clause breaks:
    /// `, а также`, `; `), a form begins only where a byte of `opens` is, whatever the
    /// words around it: the scan looks for those bytes alone, not at every character.
    word_forms: bool,
    /// Per pattern: any letters may follow the form (a stem).
    stems: Vec<bool>,
    /// Per pattern: its entry in `entries`.
    entry_of: Vec<u32>,
    /// What links read of the entries the forms belong to.
    entries: Vec<LinkedEntry>,
}

/// What a link reads of a lexicon entry it found: its id and attributes (a copy of the
/// whole entry, forms and all, cost more than the rest of building the scanner).
#[derive(Debug, Clone, PartialEq)]
pub struct LinkedEntry {
    /// The entry's id.
    pub id: String,
    /// The entry's attributes.
    pub attrs: std::collections::BTreeMap<String, toml::Value>,
}

/// One place a [`WordScanner`] found a form: normalised byte offsets of the form's start
/// and of the end of the word it is in (the form's end when it is a whole word).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WordHit {
    /// Start of the form.
    pub start: usize,
    /// End of the form, or of the word when the form is a stem.
    pub end: usize,
    /// The form's entry (see [`WordScanner::entry`]).
    entry: u32,
}

impl WordScanner {
    /// The word scanner finding what `scanner` finds: the forms of its lexicons (read by
    /// [`scanned_entries`], as the scanner read them), in the same order; `None` when they
    /// hold no forms.
    fn of(scanner: &Scanner, lexicons: &Lexicons) -> Option<WordScanner> {
        let mut forms: Vec<&str> = Vec::new();
        let mut stems = Vec::new();
        let mut entry_of = Vec::new();
        let mut entries = Vec::new();
        for (e, stem) in scanned_entries(lexicons, scanner.lexicon_names(), scanner.prefix()) {
            // An empty form is no hit (as in `Scanner::find`).
            for f in e.forms.iter().filter(|f| !f.is_empty()) {
                forms.push(f);
                stems.push(stem);
                entry_of.push(u32::try_from(entries.len()).ok()?);
            }
            entries.push(LinkedEntry {
                id: e.id.clone(),
                attrs: e.attrs.clone(),
            });
        }
        if forms.is_empty() {
            return None;
        }
        // A DFA rather than a contiguous NFA: a step is one table read, not a search of the
        // state's transitions, and only anchored walks are made, so only their states are
        // built. The walks were a fifth of the scanning instructions; the tables cost
        // about 1.2 MB and 1 ms of loading for the default rules.
        let dfa = DFA::builder()
            .match_kind(MatchKind::Standard)
            .start_kind(StartKind::Anchored)
            .prefilter(false)
            .build(&forms)
            .ok()?;
        let start = dfa.start_state(Anchored::Yes).ok()?;
        let mut opens = [false; 256];
        for f in &forms {
            opens[usize::from(f.as_bytes()[0])] = true;
        }
        let word_forms = forms
            .iter()
            .any(|f| f.chars().next().is_some_and(is_alphanumeric));
        Some(WordScanner {
            dfa,
            start,
            opens,
            word_forms,
            stems,
            entry_of,
            entries,
        })
    }

    /// What links read of the entry of a hit.
    pub fn entry(&self, hit: &WordHit) -> &LinkedEntry {
        &self.entries[hit.entry as usize]
    }

    /// Every non-overlapping occurrence in `text[range]` at a place a form may begin, the
    /// one ending last at each start (see `Scanner::find`, whose hits these are).
    ///
    /// One pass over the characters, which mostly skips: a run of lower-case Russian
    /// letters inside a word is eight bytes at a time (no form begins inside a word), a
    /// character of one or two bytes is one table read, and a hit's stretch is jumped over
    /// (hits do not overlap).
    pub fn find(&self, text: &str, range: Range<usize>) -> Vec<WordHit> {
        if !self.word_forms {
            return self.find_at_opening_bytes(text, range);
        }
        let word_chars: &[bool] = &WORD_CHARS;
        let bytes = text.as_bytes();
        let end = range.end;
        let mut hits = Vec::new();
        let mut at = range.start;
        let mut prev_alnum = alnum_before(text, at);
        while at < end {
            if prev_alnum && let Some(chunk) = bytes.get(at..at + 8) {
                let chunk = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
                let run = lower_case_russian(chunk);
                at += run;
                // Eight letters may be followed by more; fewer end at a character that is
                // not one, which the next chunk would only find again: it is read here.
                if run == 8 {
                    continue;
                }
                if at >= end {
                    break;
                }
            }
            let b0 = bytes[at];
            let (len, alnum) = if b0 < 0x80 {
                (1, word_chars[usize::from(b0)])
            } else if b0 < 0xE0 {
                (2, word_chars[short_index(b0, bytes[at + 1])])
            } else {
                let c = text[at..]
                    .chars()
                    .next()
                    .expect("a character at a boundary");
                (c.len_utf8(), is_alphanumeric(c))
            };
            let inside_word = alnum && prev_alnum;
            prev_alnum = alnum;
            if !inside_word
                && self.opens[usize::from(b0)]
                && !self.dies_unmatched(&bytes[at..end])
                && let Some(hit) = self.longest_at(text, end, at, alnum)
            {
                hits.push(hit);
                at = hit.end;
                prev_alnum = alnum_before(text, at);
                continue;
            }
            at += len;
        }
        hits
    }

    /// [`WordScanner::find`] for a scanner none of whose forms begins with a letter or
    /// digit: a form may then begin at any character whose first byte opens one (that
    /// character is no letter or digit, so it is never inside a word), and only there;
    /// the bytes between are passed over without reading their characters.
    fn find_at_opening_bytes(&self, text: &str, range: Range<usize>) -> Vec<WordHit> {
        let bytes = text.as_bytes();
        let end = range.end;
        let mut hits = Vec::new();
        let mut at = range.start;
        while let Some(found) = bytes[at.min(end)..end]
            .iter()
            .position(|&b| self.opens[usize::from(b)])
        {
            at += found;
            // A byte that opens a form is a character's first: an ASCII character or the
            // lead byte of a longer one.
            let alnum = text[at..].chars().next().is_some_and(is_alphanumeric);
            match self.longest_at(text, end, at, alnum) {
                Some(hit) => {
                    hits.push(hit);
                    at = hit.end;
                }
                None => at += 1,
            }
        }
        hits
    }

    /// Whether the walk of the forms along `bytes` dies before it reaches any form: then
    /// [`WordScanner::longest_at`] there finds nothing. Most walks from a word start die
    /// within its first two letters (no form begins so), and this walk, made in place, is a
    /// few table reads where the call that finds and ranks matches cost over a hundred
    /// instructions each time.
    #[inline(always)]
    fn dies_unmatched(&self, bytes: &[u8]) -> bool {
        let dfa = &self.dfa;
        let mut sid = self.start;
        for &b in bytes {
            sid = dfa.next_state(Anchored::Yes, sid, b);
            // Dead and match states are the special ones.
            if dfa.is_special(sid) {
                return dfa.is_dead(sid);
            }
        }
        false
    }

    /// The hit at `at` that ends last (a stem ends with its word), of the shortest form
    /// among those ending there, and of the first pattern among equal forms: what
    /// `Scanner::find` keeps at a start. `end` bounds the forms and the words.
    fn longest_at(&self, text: &str, end: usize, at: usize, alnum: bool) -> Option<WordHit> {
        let dfa = &self.dfa;
        let bytes = &text.as_bytes()[..end];
        // (hit, form length, pattern).
        let mut best: Option<(WordHit, usize, usize)> = None;
        let mut sid = self.start;
        for (walked, &b) in bytes[at..].iter().enumerate() {
            sid = dfa.next_state(Anchored::Yes, sid, b);
            if !dfa.is_special(sid) {
                continue;
            }
            if dfa.is_dead(sid) {
                break;
            }
            if !dfa.is_match(sid) {
                continue;
            }
            let len = walked + 1;
            for m in 0..dfa.match_len(sid) {
                let pid = dfa.match_pattern(sid, m);
                // Match states also carry forms reached through failure links, which
                // begin after `at`.
                if dfa.pattern_len(pid) != len {
                    continue;
                }
                let p = pid.as_usize();
                let Some(hit_end) = self.hit_end(text, end, at + len, alnum, p) else {
                    continue;
                };
                let better = best.is_none_or(|(b, b_len, b_pid)| {
                    hit_end > b.end || (hit_end == b.end && len == b_len && p < b_pid)
                });
                if better {
                    let hit = WordHit {
                        start: at,
                        end: hit_end,
                        entry: self.entry_of[p],
                    };
                    best = Some((hit, len, p));
                }
            }
        }
        best.map(|(hit, ..)| hit)
    }

    /// Where the hit of pattern `p` ending at `form_end` ends: a form of letters that a
    /// letter follows is part of a longer word, and a hit only if it is a stem (then up to
    /// the word's end, within `end`).
    fn hit_end(
        &self,
        text: &str,
        end: usize,
        form_end: usize,
        first_alnum: bool,
        p: usize,
    ) -> Option<usize> {
        let last = text[..form_end].chars().next_back();
        let word_form = first_alnum && last.is_some_and(is_alphanumeric);
        let rest = &text[form_end..end];
        if !word_form || !rest.chars().next().is_some_and(is_alphanumeric) {
            return Some(form_end);
        }
        if !self.stems[p] {
            return None;
        }
        let word = rest
            .char_indices()
            .find(|&(_, c)| !is_alphanumeric(c))
            .map_or(rest.len(), |(i, _)| i);
        Some(form_end + word)
    }
}

/// Per [`short_index`] of a character of one or two bytes: whether it is alphanumeric
/// (read once per scan, not once per character as [`is_alphanumeric`] reads its table).
static WORD_CHARS: LazyLock<Box<[bool]>> = LazyLock::new(|| {
    let mut table = vec![false; SHORT_INDEXED];
    for (index, c) in short_chars() {
        table[index] = is_alphanumeric(c);
    }
    table.into_boxed_slice()
});

/// Whether the character before `at` in `text` is alphanumeric (a form beginning with one
/// at `at` would begin inside a word).
fn alnum_before(text: &str, at: usize) -> bool {
    text[..at].chars().next_back().is_some_and(is_alphanumeric)
}

/// The lexicon scans of one document, by scanner and range: the records of a sentence
/// whose links scan the same lexicons over the same stretch get the same hits, so each
/// scan runs once per document instead of once per record.
#[derive(Debug)]
pub struct ScanCache<'s> {
    scanners: &'s WordScanners,
    hits: RefCell<HashMap<ScanKey, Rc<[WordHit]>, foldhash::fast::FixedState>>,
}

/// A word scanner's index and the range it scans.
type ScanKey = (usize, usize, usize);

impl<'s> ScanCache<'s> {
    /// An empty cache over the rule set's `scanners`.
    pub fn new(scanners: &'s WordScanners) -> ScanCache<'s> {
        ScanCache {
            scanners,
            hits: RefCell::default(),
        }
    }

    /// What `scanner` finds in `text[range]`, computed once per scanner and range, and
    /// the word scanner that found it (for the hits' entries). `None` for a scanner of
    /// no rule of the set.
    pub fn find(
        &self,
        scanner: &Scanner,
        text: &str,
        range: Range<usize>,
    ) -> Option<(&'s WordScanner, Rc<[WordHit]>)> {
        let (i, word) = self.scanners.get(scanner)?;
        let key = (i, range.start, range.end);
        if let Some(hits) = self.hits.borrow().get(&key) {
            return Some((word, hits.clone()));
        }
        let hits: Rc<[WordHit]> = word.find(text, range).into();
        self.hits.borrow_mut().insert(key, hits.clone());
        Some((word, hits))
    }

    /// The hits alone (see [`ScanCache::find`]), none for a scanner of no rule.
    fn hits(&self, scanner: &Scanner, text: &str, range: Range<usize>) -> Rc<[WordHit]> {
        self.find(scanner, text, range)
            .map_or_else(|| Rc::from([]), |(_, hits)| hits)
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
    pub scans: &'a ScanCache<'a>,
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
        for b in cx.scans.hits(breaks, text, range.clone()).iter() {
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
    if let Some((word, hits)) = link
        .scan
        .as_ref()
        .and_then(|scan| cx.scans.find(scan, text, range.clone()))
    {
        for hit in hits.iter() {
            if link.outside_span && inside(hit.start, hit.end) {
                continue;
            }
            let e = word.entry(hit);
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
        // The words that introduce a record, scanned for at the first record of the
        // sentence that needs them: most sentences hold none (a deposit's reserves are an
        // amount after a reserve word), and then the scan is not made.
        let mut intro: Option<Rc<[WordHit]>> = None;
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
            if let Some(scanner) = &link.introduced_by {
                let hits = intro.get_or_insert_with(|| cx.scans.hits(scanner, text, range.clone()));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalize::normalize;

    /// Every scanner of the default rules finds with word-start walks exactly what its
    /// automaton over every character finds, entry for entry, over the test articles: in
    /// whole texts, in every sentence, and in stretches that begin and end inside words.
    #[test]
    fn word_scanners_find_what_scanners_find() {
        let set = crate::bench::grown_rules(1).expect("default rules load");
        let words = WordScanners::new(&set);
        let mut scanners: Vec<&Scanner> = Vec::new();
        for l in set.rules.iter().flat_map(|r| &r.links) {
            for s in [&l.scan, &l.introduced_by, &l.within_clause]
                .into_iter()
                .flatten()
            {
                if !scanners.iter().any(|k| k.signature() == s.signature()) {
                    scanners.push(s);
                }
            }
        }
        assert!(scanners.len() >= 4, "{}", scanners.len());
        // Both ways of scanning are compared: from word starts, and at opening bytes alone
        // (the clause breaks, which all begin with punctuation).
        let word_forms: Vec<bool> = scanners
            .iter()
            .map(|s| words.get(s).expect("a word scanner").1.word_forms)
            .collect();
        assert!(word_forms.contains(&true) && word_forms.contains(&false));
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
        let mut texts: Vec<String> = std::fs::read_dir(dir)
            .expect("test corpus")
            .map(|f| std::fs::read_to_string(f.expect("corpus file").path()).expect("text"))
            .map(|raw| normalize(&raw).text)
            .collect();
        texts.push("казахстан, а также китай и кнр; казахстаном; медеплавильного".into());
        // Breaks next to words and quotes, at the very start and end, and right after one.
        texts.push("; «медь», а также; ;, а также, а также».золото,в том числе; ".into());
        let mut compared = 0;
        for text in &texts {
            let bounds: Vec<usize> = (0..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .collect();
            // Whole text, lines, and stretches cut at every 37th character.
            let mut ranges: Vec<Range<usize>> = std::iter::once(0..text.len()).collect();
            let mut at = 0;
            for line in text.split('\n') {
                ranges.push(at..at + line.len());
                at += line.len() + 1;
            }
            ranges.extend(bounds.windows(38).step_by(37).map(|w| w[0]..w[37]));
            for scanner in &scanners {
                let (_, word) = words.get(scanner).expect("a word scanner per scanner");
                for range in &ranges {
                    let want: Vec<(usize, usize, &str)> = scanner
                        .find(text, range.clone())
                        .iter()
                        .map(|h| {
                            let e = scanner.entry(h, &set.lexicons).expect("entry");
                            (h.start, h.end, e.id.as_str())
                        })
                        .collect();
                    let got: Vec<(usize, usize, &str)> = word
                        .find(text, range.clone())
                        .iter()
                        .map(|h| (h.start, h.end, word.entry(h).id.as_str()))
                        .collect();
                    assert_eq!(
                        got,
                        want,
                        "{} in {:?}",
                        scanner.signature(),
                        &text[range.clone()]
                    );
                    compared += want.len();
                }
            }
        }
        assert!(compared > 500, "{compared}");
    }
}
