//! Sentence-level linking, as rule files declare it: fields filled from what else the
//! sentence names — lexicon entries found anywhere in it (minerals, places, countries) or
//! records of another type in it, optionally introduced by certain words (`запасы`, `қоры`).
//! Deposits and agreements both use it; nothing here knows either.

use crate::rules::lexicon::{Entry, Lexicons};
use crate::text::class::is_alphanumeric;
use crate::text::literals::LiteralSet;

/// Finds the forms of some lexicons anywhere in a text, at word starts.
#[derive(Debug, Clone)]
pub struct Scanner {
    /// The forms, in pattern order.
    forms: Vec<String>,
    /// An automaton over `forms`, built by the first [`Scanner::find`]. Extraction scans
    /// with word-start walks built from the same lexicons (`extract::links::WordScanner`) and
    /// never calls `find`: building it with the rule set was a tenth of loading them.
    automaton: std::sync::OnceLock<Option<LiteralSet>>,
    /// Pattern index → (lexicon, entry id).
    patterns: Vec<(String, String)>,
    /// Per pattern: any letters may follow the form (a stem); otherwise it must end at a
    /// word end. True for every pattern of a `prefix` link, and for entries with `stem = true`.
    stems: Vec<bool>,
    /// What it was built from (lexicon names, prefix or not): scanners with the same
    /// signature find the same hits, so their scans can be shared.
    signature: std::sync::Arc<str>,
    /// The lexicons it scans for, in order.
    names: Vec<String>,
    /// Every form is a stem (a `prefix` link).
    prefix: bool,
}

/// Scanners are equal when they find the same hits: when their signatures are.
impl PartialEq for Scanner {
    fn eq(&self, other: &Scanner) -> bool {
        self.signature == other.signature
    }
}

/// One place a lexicon form occurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// Normalised byte offset of the form's start.
    pub start: usize,
    /// End of the word it is in (the form's end when it is a whole word).
    pub end: usize,
    /// Index into the scanner's patterns.
    pattern: usize,
}

/// The entries a scanner over the lexicons `names` finds the forms of, in pattern order,
/// each with whether its forms are stems (every form of a `prefix` scan, and the forms of
/// entries with `stem = true`): the one reading of a scan's lexicons, shared by
/// [`Scanner`] and extraction's word-start walks, so that both find the same forms.
pub fn scanned_entries<'l>(
    lexicons: &'l Lexicons,
    names: &'l [String],
    prefix: bool,
) -> impl Iterator<Item = (&'l Entry, bool)> + 'l {
    names
        .iter()
        .flat_map(|name| lexicons.entries(name))
        .map(move |e| (e, prefix || e.flag("stem")))
}

impl Scanner {
    /// A scanner over the forms of `names`; `None` when they hold no forms.
    pub fn new(lexicons: &Lexicons, names: &[String], prefix: bool) -> Option<Scanner> {
        let mut forms = Vec::new();
        let mut patterns = Vec::new();
        let mut stems = Vec::new();
        for (e, stem) in scanned_entries(lexicons, names, prefix) {
            for f in &e.forms {
                forms.push(f.clone());
                patterns.push((e.lexicon.clone(), e.id.clone()));
                stems.push(stem);
            }
        }
        // An empty form is no hit: without another form there is nothing to find.
        if forms.iter().all(String::is_empty) {
            return None;
        }
        Some(Scanner {
            forms,
            automaton: std::sync::OnceLock::new(),
            patterns,
            stems,
            signature: format!("{prefix}:{}", names.join(",")).into(),
            names: names.to_vec(),
            prefix,
        })
    }

    /// The lexicons the scanner finds the forms of, in order (other scanners of the same
    /// forms, such as extraction's word-start walks, are built from them).
    pub fn lexicon_names(&self) -> &[String] {
        &self.names
    }

    /// Whether every form is a stem, which any letters may follow.
    pub fn prefix(&self) -> bool {
        self.prefix
    }

    /// What the scanner was built from; equal signatures find equal hits.
    pub fn signature(&self) -> &std::sync::Arc<str> {
        &self.signature
    }

    /// Every non-overlapping occurrence in `text[range]`, longest first at each start.
    pub fn find(&self, text: &str, range: std::ops::Range<usize>) -> Vec<Hit> {
        let hay = &text[range.clone()];
        let mut hits: Vec<Hit> = Vec::new();
        let automaton = self.automaton.get_or_init(|| LiteralSet::new(&self.forms));
        let Some(automaton) = automaton else {
            return hits;
        };
        automaton.for_each(hay, |pattern, start, end| {
            let start = range.start + start;
            let mut end = range.start + end;
            let before = text[..start].chars().next_back();
            let first = text[start..].chars().next();
            // A form that starts with a letter must start a word; one that starts with
            // punctuation (", а также") may follow a word directly.
            if first.is_some_and(is_alphanumeric) && before.is_some_and(is_alphanumeric) {
                return;
            }
            let last = text[..end].chars().next_back();
            let after = text[end..range.end].chars().next();
            let word_form = first.is_some_and(is_alphanumeric) && last.is_some_and(is_alphanumeric);
            if word_form && after.is_some_and(is_alphanumeric) {
                if !self.stems.get(pattern).copied().unwrap_or(false) {
                    return;
                }
                end += text[end..range.end]
                    .char_indices()
                    .find(|&(_, c)| !is_alphanumeric(c))
                    .map_or(range.end - end, |(i, _)| i);
            }
            hits.push(Hit {
                start,
                end,
                pattern,
            });
        });
        hits.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
        let mut out: Vec<Hit> = Vec::new();
        for h in hits {
            if out.last().is_none_or(|l| h.start >= l.end) {
                out.push(h);
            }
        }
        out
    }

    /// The lexicon entry a hit found.
    pub fn entry<'l>(&self, hit: &Hit, lexicons: &'l Lexicons) -> Option<&'l Entry> {
        let (lex, id) = self.patterns.get(hit.pattern)?;
        lexicons.entries(lex).find(|e| &e.id == id)
    }
}

/// A checked `[[rule.link]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// The field it fills.
    pub field: String,
    /// Lexicon scan, if any.
    pub scan: Option<Scanner>,
    /// Entry attribute to take from scan hits (the id when absent).
    pub attr: Option<String>,
    /// Record type to take from the sentence, if any.
    pub record: Option<String>,
    /// Field of those records to take (the whole record when absent).
    pub record_field: Option<String>,
    /// Words that must come before a linked record.
    pub introduced_by: Option<Scanner>,
    /// Most words between the introducing word and the record.
    pub window: Option<usize>,
    /// Collect all distinct values.
    pub all: bool,
    /// Join all distinct values into one string with this separator.
    pub join: Option<String>,
    /// Fewest distinct values for the record to exist.
    pub min: usize,
    /// Ignore what lies inside the record's own span.
    pub outside_span: bool,
    /// Clause breaks: links look only between the breaks around the record.
    pub within_clause: Option<Scanner>,
}

/// A checked suffix rewrite table.
#[derive(Debug, Clone)]
pub struct Rewrite {
    /// (suffix, replacement), longest suffix first.
    pub suffixes: Vec<(String, String)>,
    /// Shortest stem a word keeps.
    pub min_stem: usize,
    /// Only the last word is rewritten.
    pub last_word_only: bool,
}

impl Rewrite {
    /// Rewrites a name word by word, keeping each word's capitalisation of its stem.
    pub fn apply(&self, name: &str) -> String {
        let words: Vec<&str> = name.split(' ').collect();
        let n = words.len();
        words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if self.last_word_only && i + 1 < n {
                    (*w).to_string()
                } else {
                    self.word(w)
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn word(&self, w: &str) -> String {
        let lower = w.to_lowercase();
        for (suffix, repl) in &self.suffixes {
            if lower.ends_with(suffix.as_str())
                && lower.chars().count() >= suffix.chars().count() + self.min_stem
            {
                let keep = w.chars().count() - suffix.chars().count();
                let stem: String = w.chars().take(keep).collect();
                return format!("{stem}{repl}");
            }
        }
        w.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Location;
    use crate::rules::schema::EntryDef;

    fn lexicons() -> Lexicons {
        let mut l = Lexicons::default();
        let def = |forms: &[&str]| EntryDef {
            forms: forms.iter().map(|s| s.to_string()).collect(),
            attrs: Default::default(),
        };
        l.add(
            "country",
            "KZ",
            &def(&["казахстан", "қазақстан"]),
            Location::file_start("x"),
        )
        .unwrap();
        l.add(
            "country",
            "CN",
            &def(&["китай", "кнр"]),
            Location::file_start("x"),
        )
        .unwrap();
        l
    }

    #[test]
    fn finds_whole_words_and_with_prefix_stems() {
        let l = lexicons();
        let text = "казахстан и китай; казахстаном; кнр.";
        let whole = Scanner::new(&l, &["country".into()], false).unwrap();
        let ids: Vec<_> = whole
            .find(text, 0..text.len())
            .iter()
            .map(|h| whole.entry(h, &l).unwrap().id.clone())
            .collect();
        assert_eq!(ids, ["KZ", "CN", "CN"]);
        let stems = Scanner::new(&l, &["country".into()], true).unwrap();
        assert_eq!(stems.find(text, 0..text.len()).len(), 4);
    }

    /// Loading a rule set builds no automaton: only a scan does.
    #[test]
    fn builds_its_automaton_on_the_first_scan() {
        let l = lexicons();
        let s = Scanner::new(&l, &["country".into()], false).unwrap();
        assert!(s.automaton.get().is_none());
        assert_eq!(s.find("китай", 0..10).len(), 1);
        assert!(s.automaton.get().is_some_and(Option::is_some));
    }

    /// Nothing to find, no scanner (as when the automaton was built with the scanner).
    #[test]
    fn lexicons_without_forms_make_no_scanner() {
        let l = lexicons();
        assert!(Scanner::new(&l, &["missing".into()], false).is_none());
        assert!(Scanner::new(&l, &[], true).is_none());
    }

    #[test]
    fn never_starts_inside_a_word() {
        let l = lexicons();
        let s = Scanner::new(&l, &["country".into()], true).unwrap();
        assert!(s.find("прокитайский", 0..24).is_empty());
    }

    #[test]
    fn rewrites_adjective_endings_keeping_case() {
        let r = Rewrite {
            suffixes: vec![
                ("ского".into(), "ское".into()),
                ("него".into(), "нее".into()),
            ],
            min_stem: 3,
            last_word_only: false,
        };
        assert_eq!(r.apply("Верхнего Кайрактинского"), "Верхнее Кайрактинское");
        assert_eq!(r.apply("Инкай"), "Инкай");
    }
}
