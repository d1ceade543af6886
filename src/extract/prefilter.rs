//! One pass over a document decides which rules can match in which sentence.
//!
//! Every rule's anchors (clauses that every match satisfies, each by containing one of its
//! literals or a digit; see [`crate::rules::grammar::Anchors`]) are combined into one
//! Aho–Corasick automaton over all rules, so the cost grows with the text and the matches,
//! not with the number of rules times the text. A rule is eligible in a sentence that
//! satisfies all its clauses, and only up to the last place there where each clause still
//! holds (a match contains its anchors, so it begins before them); a rule without anchors
//! is eligible everywhere.
//!
//! The same automaton finds where matches can *begin*: every rule's start literals (the
//! forms a match can open with), plus digits for rules that open with a number. A rule is
//! tried only there; rules that can open with anything (a letter class) are tried at every
//! word start whose character is in their first set.
//!
//! Each sentence is scanned once, by the [`LiteralSet`] of its language's rules (the other
//! language's rules never run there), and the ten ASCII digits are patterns too, so digits
//! need no scan of their own. The automaton reports about one match per
//! eight bytes of news, so what a match costs is most of what the prefilter costs: a match
//! of an anchor only notes its place for its clauses (patterns with the same clauses share
//! a note), and the clauses are brought up to date once per note and sentence. A start
//! literal that begins with a letter or a digit, and a clause's literal where every match
//! has one of the clause's literals at a word start (see
//! [`crate::rules::grammar::AnyOf::initial`]: country names, number words), is found by the
//! automaton only where it begins a word (most of their places were inside words, and each
//! cost a stop); whether another start literal opens a word is read from its first
//! character, known beforehand. A literal may so be two patterns, one found anywhere.
//! A start literal that no letter follows in a match opening with it (`num_word ~ wb`,
//! `qualifier ~ wb`; see [`crate::rules::grammar::Grammar::word_ends`]) is a hit only where
//! it ends a word or its sentence too: "сто" in "стоило", "до" in "добычу" try nothing.

use crate::rules::RuleSet;
use crate::rules::grammar::AnyOf;
use crate::text::Lang;
use crate::text::class::is_alphanumeric;
use crate::text::literals::LiteralSet;
use crate::text::sentences::Sentence;
use std::collections::BTreeMap;

mod near;
pub use near::Near;

/// The combined anchors and starts of a rule set.
#[derive(Debug)]
pub struct Prefilter {
    /// Per language ([`lang_index`]): the anchor and start literals of its rules, and the
    /// ten digits, by pattern index; `None` when there are none or the automaton could not
    /// be built. A sentence is scanned with its language's only: rules run only in
    /// sentences of their language, and the other language's literals (Russian
    /// prepositions inside Kazakh words, Kazakh endings) were most of the matches.
    automata: [Option<LiteralSet>; 2],
    /// The pattern of the empty literal, if a rule has one (`^""`): the literal set does not
    /// take it, and it begins at every character.
    empty: Option<usize>,
    /// Pattern index -> what a match of it means. Flat and small, since every match of the
    /// automaton reads one: vectors per pattern cost pointer chases per match.
    patterns: Vec<Pattern>,
    /// The distinct clause lists of patterns, each a range (see `anchor_sets`).
    pattern_clauses: Vec<u32>,
    /// The start rules of all patterns, each pattern's a range (see [`Pattern::starts`]).
    pattern_starts: Vec<u32>,
    /// The distinct clause lists of patterns ([`Pattern::set`]), ranges of
    /// `pattern_clauses`. Anchors that satisfy the same clauses (the Kazakh endings "та",
    /// "те", "да", "де", …) are staged as one in a sentence: one entry and one update of
    /// its clauses where there were one per pattern.
    anchor_sets: Vec<(u32, u32)>,
    /// Clauses that a digit satisfies.
    digit_clauses: Vec<usize>,
    /// Per rule: its clauses (see [`Deciding`]).
    clauses: Vec<Deciding>,
    /// The clauses of all rules. Equal clauses of different rules are one clause (the 131
    /// clauses of the default rules are 81), and a rule keeps none that holds wherever
    /// another of its clauses does: neither changes any rule's last places.
    rule_clauses: Vec<u32>,
    /// The number of distinct clauses.
    clause_count: usize,
    /// Rules that can begin with a digit.
    digit_start: Vec<usize>,
    /// Rules that can begin anywhere, with their clauses, by language ([`lang_index`]):
    /// they are asked about in every sentence, and only those of its language can run
    /// there, so the others are not asked about at all.
    any_start: [Vec<AnyStart>; 2],
    /// Per rule: the language of the sentences it runs in.
    rule_lang: Vec<Lang>,
    /// Where a word can begin after a character (see [`Breaks`]).
    breaks: Breaks,
}

/// The clauses of one rule, all of which hold before a place where it can begin.
#[derive(Debug, Clone, Copy)]
enum Deciding {
    /// None: the rule is always eligible.
    Any,
    /// One to four, the first repeated to fill (a minimum over repeats is the same): every
    /// default rule has at most four, and the earliest of their last places is then four
    /// loads, with no loop and no list to find.
    Four([u32; 4]),
    /// More: a range of the prefilter's `rule_clauses`.
    Many(usize, usize),
}

impl Deciding {
    fn new(all: &[u32], from: usize) -> Deciding {
        match all[from..] {
            [] => Deciding::Any,
            [a] => Deciding::Four([a; 4]),
            [a, b] => Deciding::Four([a, b, a, a]),
            [a, b, c] => Deciding::Four([a, b, c, a]),
            [a, b, c, d] => Deciding::Four([a, b, c, d]),
            _ => Deciding::Many(from, all.len()),
        }
    }
}

/// A rule that can begin anywhere, as the prefilter keeps it.
#[derive(Debug)]
struct AnyStart {
    /// The rule.
    rule: usize,
    /// Its clauses (see [`Prefilter::clauses`]).
    clauses: Deciding,
    /// How near its clauses' literals its matches begin, when that is known.
    near: Option<Near>,
}

/// What the prefilter needs of one rule.
#[derive(Debug, Clone)]
struct Keys {
    /// The language of the sentences it runs in.
    lang: Lang,
    /// Its anchors' clauses, all of which hold in a sentence it can match; none when it
    /// is eligible everywhere.
    anchors: Vec<Literals>,
    /// What a match can begin with; `None` when it can begin with anything.
    starts: Option<Literals>,
    /// The start literals that no letter follows in a match that opens with them (see
    /// [`crate::rules::grammar::Grammar::word_ends`]): they count only where they end a
    /// word too.
    word_ends: std::collections::BTreeSet<String>,
    /// The most runs of spaces a match can hold (see
    /// [`crate::rules::grammar::Grammar::space_runs`]); asked for rules that can begin
    /// anywhere only.
    runs: Option<u32>,
}

/// Literals, and whether an ASCII digit stands with them: an anchor clause, or the
/// starts of a rule that cannot begin with anything.
type Literals = AnyOf;

/// What a match of one pattern of the automaton means, while the prefilter is built.
#[derive(Debug, Default)]
struct PatternRules {
    /// Clauses it satisfies in the sentence where it starts.
    anchor: Vec<usize>,
    /// Rules that can begin with it: tried where it starts.
    start: Vec<usize>,
    /// It is an ASCII digit: the digit clauses hold, and the digit-start rules are tried
    /// where a run of digits begins.
    digit: bool,
}

/// [`PatternRules`] as the scan reads it: ranges into the prefilter's flat lists, and
/// what to do with a match in one byte.
#[derive(Debug, Clone, Copy, Default)]
struct Pattern {
    /// Rules that can begin with it: `pattern_starts[starts.0..starts.1]`.
    starts: (u32, u32),
    /// The clauses it satisfies, as an index among the distinct lists of clauses of
    /// patterns (see [`Prefilter::anchor_sets`]): patterns with equal lists share one.
    set: u32,
    /// [`ANCHOR`], [`OPENS`], [`WORD_END`], [`OPENS_IF_WORD_START`], [`DIGIT`].
    flags: u8,
}

/// [`Pattern::flags`]: it satisfies clauses.
const ANCHOR: u8 = 1;
/// It has start rules and begins with a sign (neither a letter, a digit nor a space): a
/// word start wherever it is; or with a letter or a digit, and the automaton finds it only
/// at word starts (see [`opens_word`]).
const OPENS: u8 = 2;
/// It opens rules only where no letter follows it (see [`Keys::word_ends`]): a match
/// ending before a letter of its sentence is no hit ("сто" in "стоило", "до" in "добычу").
const WORD_END: u8 = 4;
/// It has start rules and is the empty literal: whether it opens a word depends on the
/// character it stands before. (A start literal that begins with a space opens none.)
const OPENS_IF_WORD_START: u8 = 8;
/// It is an ASCII digit.
const DIGIT: u8 = 16;

impl Pattern {
    fn range((from, to): (u32, u32)) -> std::ops::Range<usize> {
        from as usize..to as usize
    }
}

/// In [`Eligible::tries`] construction: a hit of the digit-start rules, not of a pattern.
const DIGIT_HIT: u32 = u32::MAX;

/// Where a letter or digit begins a word: at a sentence's start, or after a character that
/// is neither a letter, a digit, nor one that glues what follows into a token (`%`, `/`, …).
/// The same answer as [`super::matcher::word_start`] gives for a letter or digit, from a
/// table: it is asked for most matches, and decoding the character before took a fifth of
/// what a match cost.
#[derive(Debug)]
struct Breaks {
    /// Per ASCII character: a word may begin after it.
    ascii: [bool; 128],
    /// Per code point below 0x800 (two UTF-8 bytes at most): it is a letter or a digit.
    word: Box<[bool; 0x800]>,
}

impl Breaks {
    fn new() -> Breaks {
        let mut ascii = [false; 128];
        for (b, slot) in ascii.iter_mut().enumerate() {
            let c = char::from(b as u8);
            *slot = !is_alphanumeric(c) && !super::matcher::glues(c);
        }
        let mut word = Box::new([false; 0x800]);
        for (cp, slot) in word.iter_mut().enumerate() {
            *slot = char::from_u32(cp as u32).is_some_and(is_alphanumeric);
        }
        Breaks { ascii, word }
    }

    /// Whether a letter or digit at byte `pos` of `text` (a character start) begins a word
    /// in a sentence that begins at `sentence_start` (at or before `pos`).
    #[inline(always)]
    fn opens(&self, text: &str, pos: usize, sentence_start: usize) -> bool {
        if pos <= sentence_start {
            return true;
        }
        let bytes = text.as_bytes();
        match bytes.get(pos - 1) {
            Some(&b) if b < 0x80 => self.ascii[b as usize],
            _ => self.after_non_ascii(text, pos),
        }
    }

    /// [`Breaks::opens`] after a character of two bytes or more; none of those glues.
    #[inline(never)]
    fn after_non_ascii(&self, text: &str, pos: usize) -> bool {
        let bytes = text.as_bytes();
        if pos >= 2 && (0xC0..0xE0).contains(&bytes[pos - 2]) {
            let cp = (usize::from(bytes[pos - 2] & 0x1F) << 6) | usize::from(bytes[pos - 1] & 0x3F);
            return !self.word[cp];
        }
        !text[..pos].chars().next_back().is_some_and(is_alphanumeric)
    }
}

/// Which rules may match in which sentence of one document, and up to where.
///
/// A match contains a literal of each of its rule's clauses, so it begins at or before the
/// last place in the sentence where some literal of each clause begins: a rule is tried
/// only before that place, not in the whole sentence. (`2019` after the last unit of a
/// sentence is no amount's start; on the bench corpus this drops 28 % of the attempts of
/// the default rules, and 18 % of their matching steps.)
#[derive(Debug)]
pub struct Eligible<'p> {
    /// sentence * clauses + clause -> the last place in the sentence (see [`after`]; 0:
    /// none) where a literal of the clause begins, digits included.
    last: Vec<u32>,
    /// The prefilter's rules that can begin anywhere (see `Prefilter::any_start`).
    any_start: &'p [Vec<AnyStart>; 2],
    /// The prefilter's clauses of each rule (see `Prefilter::clauses`).
    clauses: &'p [Deciding],
    rule_clauses: &'p [u32],
    clause_count: usize,
    sentences: usize,
    /// (position, rule): where a rule with known starts can begin, sorted, deduplicated.
    /// Only word starts (see `matcher::word_start`) inside a sentence that the
    /// rule is eligible in, before its last anchors there, are listed: a match cannot start
    /// anywhere else.
    pub tries: Vec<(usize, usize)>,
}

impl<'p> Eligible<'p> {
    /// Whether rule `r` may match somewhere in sentence `s`.
    #[inline(always)]
    pub fn allows(&self, s: usize, r: usize) -> bool {
        self.until(s, r) > 0
    }

    /// How many bytes after the start of sentence `s` a match of rule `r` can begin at
    /// most (exclusive): 0 when it cannot match there.
    // Asked about once per sentence and rule that can begin anywhere: a call would cost as
    // much as the answer.
    #[inline(always)]
    pub fn until(&self, s: usize, r: usize) -> u32 {
        match self.clauses.get(r) {
            Some(clauses) if s < self.sentences => {
                let m = self.clause_count;
                until(&self.last[s * m..(s + 1) * m], self.rule_clauses, *clauses)
            }
            _ => u32::MAX,
        }
    }

    /// The tries (place, group) whose place lies in `start..end` (a sentence), in order.
    pub fn tries_in(&self, start: usize, end: usize) -> &[(usize, usize)] {
        let lo = self.tries.partition_point(|&(p, _)| p < start);
        let hi = self.tries.partition_point(|&(p, _)| p < end);
        &self.tries[lo..hi]
    }

    /// The rules of language `lang` that can begin anywhere and may match in sentence
    /// `s`, each with its [`Eligible::until`] there and, when known, how near its clauses'
    /// literals its matches begin (see [`Near::from`]).
    pub fn anywhere(
        &self,
        s: usize,
        lang: Lang,
    ) -> impl Iterator<Item = (usize, u32, Option<&'p Near>)> + '_ {
        let m = self.clause_count;
        // Past the sentences (none are asked about), every rule may begin anywhere.
        let row = self.last.get(s * m..(s + 1) * m);
        self.any_start[lang_index(lang)]
            .iter()
            .map(move |a| match row {
                Some(row) => (
                    a.rule,
                    until(row, self.rule_clauses, a.clauses),
                    a.near.as_ref(),
                ),
                None => (a.rule, u32::MAX, None),
            })
            .filter(|&(_, until, _)| until > 0)
    }
}

/// The index of `lang` in per-language tables.
fn lang_index(lang: Lang) -> usize {
    match lang {
        Lang::Ru => 0,
        Lang::Kk => 1,
    }
}

/// [`Eligible::until`] from the last places `row` of all clauses in one sentence: the
/// earliest of the last places of a rule's `clauses` (ranges of `rule_clauses`) there.
/// Computed when asked for, not for every sentence and rule: most pairs are never asked
/// about (building a table of them all took 0.7 % of all extraction instructions).
#[inline]
fn until(row: &[u32], rule_clauses: &[u32], clauses: Deciding) -> u32 {
    match clauses {
        Deciding::Any => u32::MAX,
        Deciding::Four([a, b, c, d]) => {
            let at = |c: u32| row[c as usize];
            at(a).min(at(b)).min(at(c).min(at(d)))
        }
        Deciding::Many(from, to) => rule_clauses[from..to]
            .iter()
            .map(|&c| row[c as usize])
            .min()
            .unwrap_or(u32::MAX),
    }
}

/// A byte offset from a sentence's start, plus one (0 stands for "nowhere"), in the `u32`s
/// of the prefilter's tables. A sentence of 4 GB or more saturates: places in it past that
/// are all taken as the last, so nothing is ruled out there.
#[inline(always)]
fn after(start: usize, sentence_start: usize) -> u32 {
    // Branch-free: every match of the automaton computes one.
    (start - sentence_start).min(u32::MAX as usize - 1) as u32 + 1
}

/// The clauses of a rule that decide where it may begin: equal ones once, and none that
/// holds wherever another does (it holds at least as late, so the earliest last place is
/// another's).
fn deciding(mut clauses: Vec<Literals>) -> Vec<Literals> {
    clauses.sort();
    clauses.dedup();
    (0..clauses.len())
        .filter(|&i| !(0..clauses.len()).any(|j| j != i && clauses[j].implies(&clauses[i])))
        .map(|i| clauses[i].clone())
        .collect()
}

/// The literals of a clause, or of a rule's starts, that the automaton must find: not those
/// that begin with another of them, which begins wherever they do, in the same sentence and
/// word ("тан" after "та", "процентов" after "процент", "во" after "в"), and so already
/// stands for them in the clause's last place and in the rule's tries. Fewer literals to
/// find, and fewer in-word matches to drop: most of them are longer forms of short ones.
fn needed(literals: &std::collections::BTreeSet<String>) -> impl Iterator<Item = &str> {
    literals.iter().map(String::as_str).filter(|l| {
        !l.char_indices()
            .skip(1)
            .any(|(i, _)| literals.contains(&l[..i]))
    })
}

/// The start literals of a rule that the automaton must find, as [`needed`], where those
/// in `word_ends` count only where they end a word: such a literal stands for no longer
/// one ("сто" at "стоимость"), and is only left out for a shorter one that counts anywhere.
fn needed_starts<'a>(
    literals: &'a std::collections::BTreeSet<String>,
    word_ends: &'a std::collections::BTreeSet<String>,
) -> impl Iterator<Item = (&'a str, bool)> {
    literals.iter().map(String::as_str).filter_map(|l| {
        let covered = l.char_indices().skip(1).any(|(i, _)| {
            let prefix = &l[..i];
            literals.contains(prefix) && !word_ends.contains(prefix)
        });
        (!covered).then(|| (l, word_ends.contains(l)))
    })
}

impl Prefilter {
    /// Builds the automaton from the anchors and starts of the rules `rules` of `set`.
    /// The prefilter's rule indices are positions in `rules`: the matcher passes one rule
    /// per group of rules that share a grammar (see [`super::matcher::Groups`]), so the
    /// prefilter's work grows with the distinct grammars, not with the rules.
    pub fn new(set: &RuleSet, rules: &[usize]) -> Prefilter {
        Prefilter::from_keys(rule_keys(set, rules))
    }

    /// Like [`Prefilter::new`], but only the rules whose flag in `keep` is set are ever
    /// eligible or tried: the others add nothing to the automaton. Their indices stay, so
    /// the prefilter's rule indices are still positions in `rules`.
    pub fn only(set: &RuleSet, rules: &[usize], keep: &[bool]) -> Prefilter {
        let never = |lang| Keys {
            lang,
            // A clause without literals or digits never holds, and no place starts a match.
            anchors: vec![Literals::default()],
            starts: Some(Literals::default()),
            word_ends: Default::default(),
            runs: None,
        };
        let keys = rule_keys(set, rules)
            .into_iter()
            .enumerate()
            .map(|(r, k)| {
                if keep.get(r).copied().unwrap_or(false) {
                    k
                } else {
                    never(k.lang)
                }
            })
            .collect();
        Prefilter::from_keys(keys)
    }

    fn from_keys(keys: Vec<Keys>) -> Prefilter {
        // Each pattern is a literal, and whether only its places at word starts count
        // (see [`opens_word`]): a literal may be both, as two patterns.
        let mut literals: Vec<(String, bool)> = Vec::new();
        let mut patterns: Vec<PatternRules> = Vec::new();
        let mut index = std::collections::HashMap::new();
        let mut word_end = Vec::new();
        let mut pattern = |lit: &str, word_start: bool, end: bool| -> usize {
            // The empty literal is one pattern (see `empty`), found everywhere.
            let key = (
                lit.to_string(),
                word_start && opens_word(lit),
                end && !lit.is_empty(),
            );
            *index.entry(key.clone()).or_insert_with(|| {
                literals.push((key.0, key.1));
                word_end.push(key.2);
                patterns.push(PatternRules::default());
                patterns.len() - 1
            })
        };
        let mut clause_ids: BTreeMap<Literals, usize> = BTreeMap::new();
        let mut anchor_ids: Vec<(usize, usize)> = Vec::new();
        let mut ids: Vec<(usize, Vec<usize>)> = Vec::new();
        let mut digit_clauses = Vec::new();
        let mut clauses = Vec::new();
        let mut rule_clauses: Vec<u32> = Vec::new();
        let mut digit_start = Vec::new();
        let mut any_start = [Vec::new(), Vec::new()];
        let mut rule_lang = Vec::new();
        for (r, k) in keys.into_iter().enumerate() {
            rule_lang.push(k.lang);
            let first = rule_clauses.len();
            let mut near = Vec::new();
            for clause in deciding(k.anchors) {
                if !clause.digit {
                    near.push(clause.literals.clone());
                }
                let id = match clause_ids.get(&clause) {
                    Some(&id) => id,
                    None => {
                        let id = clause_ids.len();
                        if clause.digit {
                            digit_clauses.push(id);
                        }
                        anchor_ids.extend(
                            needed(&clause.literals)
                                .map(|l| (pattern(l, clause.initial, false), id)),
                        );
                        clause_ids.insert(clause, id);
                        id
                    }
                };
                rule_clauses.push(id as u32);
            }
            let deciding = Deciding::new(&rule_clauses, first);
            clauses.push(deciding);
            let mut start_ids = Vec::new();
            match k.starts {
                None => {
                    let near = k.runs.and_then(|runs| Near::new(runs, &near));
                    any_start[lang_index(k.lang)].push(AnyStart {
                        rule: r,
                        clauses: deciding,
                        near,
                    });
                }
                Some(st) => {
                    if st.digit {
                        digit_start.push(r);
                    }
                    // A start literal that opens with a letter or digit counts only where it
                    // opens a word: a match begins at a word start.
                    // One that no letter follows in a match counts only where it ends a word
                    // too.
                    start_ids.extend(
                        needed_starts(&st.literals, &k.word_ends)
                            .map(|(l, end)| pattern(l, true, end)),
                    );
                }
            }
            ids.push((r, start_ids));
        }
        let digits: Vec<usize> = (b'0'..=b'9')
            .map(|d| pattern(&char::from(d).to_string(), false, false))
            .collect();
        for (i, clause) in anchor_ids {
            patterns[i].anchor.push(clause);
        }
        for (r, start_ids) in ids {
            for i in start_ids {
                patterns[i].start.push(r);
            }
        }
        for i in digits {
            patterns[i].digit = true;
        }
        // A literal set finds no empty literal; its matches are placed by hand.
        let empty = literals.iter().position(|(l, _)| l.is_empty());
        let used = pattern_langs(&patterns, &rule_clauses, &clauses, &rule_lang);
        let automata = [Lang::Ru, Lang::Kk].map(|lang| {
            // A literal set skips empty literals and keeps the others' indices.
            let own: Vec<(&str, bool)> = literals
                .iter()
                .zip(&patterns)
                .zip(&used)
                .map(|(((l, word_start), _), used)| {
                    if used[lang_index(lang)] {
                        (l.as_str(), *word_start)
                    } else {
                        ("", false)
                    }
                })
                .collect();
            LiteralSet::with_word_starts(&own, breaks_words)
        });
        let (mut pattern_clauses, mut pattern_starts) = (Vec::new(), Vec::new());
        let extend = |list: &mut Vec<u32>, items: &[usize]| {
            let from = list.len() as u32;
            list.extend(items.iter().map(|&i| i as u32));
            (from, list.len() as u32)
        };
        let mut set_ids: std::collections::HashMap<&[usize], u32> = Default::default();
        let mut anchor_sets = Vec::new();
        let patterns = patterns
            .iter()
            .zip(&literals)
            .zip(&word_end)
            .map(|((p, (literal, word_start)), &word_end)| {
                // Clause lists are in the order of clause ids: equal sets are equal lists,
                // kept once.
                let set = *set_ids.entry(&p.anchor).or_insert_with(|| {
                    anchor_sets.push(extend(&mut pattern_clauses, &p.anchor));
                    anchor_sets.len() as u32 - 1
                });
                Pattern {
                    starts: extend(&mut pattern_starts, &p.start),
                    set,
                    flags: flags(p, literal, *word_start, word_end),
                }
            })
            .collect();
        Prefilter {
            automata,
            empty,
            patterns,
            pattern_clauses,
            pattern_starts,
            anchor_sets,
            digit_clauses,
            clauses,
            rule_clauses,
            clause_count: clause_ids.len(),
            digit_start,
            any_start,
            rule_lang,
            breaks: Breaks::new(),
        }
    }

    /// The rules each sentence may match, and where rules with known starts can begin.
    pub fn eligible(&self, text: &str, sentences: &[Sentence]) -> Eligible<'_> {
        STAGED.with_borrow_mut(|(stamp, staged)| {
            // Stamps only grow, so what earlier documents (of any prefilter) left in the
            // table never matches a new one; they start again long before they could wrap.
            if staged.len() < self.anchor_sets.len() || *stamp > u32::MAX / 2 {
                let n = staged.len().max(self.anchor_sets.len());
                staged.clear();
                staged.resize(n, (0, 0));
                *stamp = 0;
            }
            let (eligible, last_stamp) = self.eligible_with(text, sentences, staged, *stamp);
            *stamp = last_stamp;
            eligible
        })
    }

    /// [`Prefilter::eligible`] with `staged` as [`Scan::staged`], whose stamps are all at
    /// most `stamp`; returns the last stamp used too.
    fn eligible_with(
        &self,
        text: &str,
        sentences: &[Sentence],
        staged: &mut [(u32, u32)],
        stamp: u32,
    ) -> (Eligible<'_>, u32) {
        let mut scan = Scan::new(self, text, sentences, staged, stamp);
        // A literal that crosses a sentence's end is in no match (matches never cross their
        // sentence), nor is one between sentences: each sentence is scanned alone, each run
        // of sentences of one language in one walk.
        let mut ranges = Vec::with_capacity(sentences.len());
        for run in sentences.chunk_by(|a, b| lang_index(a.lang) == lang_index(b.lang)) {
            if let Some(automaton) = &self.automata[lang_index(run[0].lang)] {
                ranges.clear();
                ranges.extend(run.iter().map(|s| s.start..s.end));
                automaton.for_each_in(text, &ranges, |pid, start, end| {
                    scan.on_match(pid, start, end)
                });
            }
        }
        scan.flush();
        if let Some(pid) = self.empty {
            // The empty literal begins at every character: a second pass over the text,
            // whose hits are sorted in once rather than moved one by one.
            let mut hits = std::mem::take(&mut scan.hits);
            scan.restart();
            for (at, _) in text.char_indices() {
                scan.on_match(pid, at, at);
            }
            scan.flush();
            hits.append(&mut scan.hits);
            hits.sort_unstable();
            scan.hits = hits;
        }
        scan.rows_to(sentences.len());
        let Scan {
            mut last,
            last_digit,
            hits,
            stamp,
            ..
        } = scan;
        let m = self.clause_count;
        if !self.digit_clauses.is_empty() {
            for (last, &digit) in last.chunks_exact_mut(m).zip(&last_digit) {
                if digit > 0 {
                    for &c in &self.digit_clauses {
                        last[c] = last[c].max(digit);
                    }
                }
            }
        }
        let tries = self.expand(hits, &last, sentences);
        let eligible = Eligible {
            last,
            any_start: &self.any_start,
            clauses: &self.clauses,
            rule_clauses: &self.rule_clauses,
            clause_count: m,
            sentences: sentences.len(),
            tries,
        };
        (eligible, stamp)
    }

    /// The (position, rule) tries of sorted hits, keeping the rules that may begin there
    /// (see [`Eligible::until`]; `last` as [`Eligible::last`]), sorted and deduplicated.
    fn expand(
        &self,
        hits: Vec<(usize, u32)>,
        last: &[u32],
        sentences: &[Sentence],
    ) -> Vec<(usize, usize)> {
        let m = self.clause_count;
        let mut tries = Vec::with_capacity(hits.len() * 2);
        // Per rule: (one more than the sentence it was last asked about, its `until` there).
        // A sentence's hits ask about the same few rules again and again (every digit asks
        // about all the rules that open with a number): each is computed once per sentence.
        let mut known = vec![(0, 0); self.clauses.len()];
        let mut k = 0;
        let mut i = 0;
        while i < hits.len() {
            let pos = hits[i].0;
            let mut j = i + 1;
            while j < hits.len() && hits[j].0 == pos {
                j += 1;
            }
            while k < sentences.len() && sentences[k].end <= pos {
                k += 1;
            }
            // `pos` is in sentence `k`: hits are only taken inside sentences.
            let here = after(pos, sentences[k].start);
            let tag = k + 1;
            let row = &last[k * m..(k + 1) * m];
            let lang = sentences[k].lang;
            let mut allows = |r: usize| {
                if self.rule_lang[r] != lang {
                    // It never runs here, and its clauses are not kept up to date here.
                    return false;
                }
                let entry = &mut known[r];
                if entry.0 != tag {
                    *entry = (tag, until(row, &self.rule_clauses, self.clauses[r]));
                }
                here <= entry.1
            };
            let first = tries.len();
            for &(_, id) in &hits[i..j] {
                if id == DIGIT_HIT {
                    for &r in &self.digit_start {
                        if allows(r) {
                            tries.push((pos, r));
                        }
                    }
                } else {
                    let starts = Pattern::range(self.patterns[id as usize].starts);
                    for &r in &self.pattern_starts[starts] {
                        if allows(r as usize) {
                            tries.push((pos, r as usize));
                        }
                    }
                }
            }
            if j - i > 1 {
                // Several patterns begin here: their rule lists overlap.
                tries[first..].sort_unstable();
                let mut w = first;
                for x in first..tries.len() {
                    if w == first || tries[x] != tries[w - 1] {
                        tries[w] = tries[x];
                        w += 1;
                    }
                }
                tries.truncate(w);
            }
            i = j;
        }
        tries
    }
}

/// Per pattern: whether the automaton of each language ([`lang_index`]) looks for it: it
/// satisfies a clause of a rule of the language, opens one, or is a digit.
fn pattern_langs(
    patterns: &[PatternRules],
    rule_clauses: &[u32],
    clauses: &[Deciding],
    rule_lang: &[Lang],
) -> Vec<[bool; 2]> {
    let mut clause_langs: Vec<[bool; 2]> = Vec::new();
    for (r, &deciding) in clauses.iter().enumerate() {
        let ids: &[u32] = match &deciding {
            Deciding::Any => &[],
            Deciding::Four(ids) => ids,
            Deciding::Many(from, to) => &rule_clauses[*from..*to],
        };
        for &c in ids {
            let c = c as usize;
            if clause_langs.len() <= c {
                clause_langs.resize(c + 1, [false; 2]);
            }
            clause_langs[c][lang_index(rule_lang[r])] = true;
        }
    }
    patterns
        .iter()
        .map(|p| {
            let mut used = [p.digit; 2];
            let langs = p.anchor.iter().map(|&c| clause_langs.get(c).copied());
            for l in langs.flatten() {
                used = [used[0] || l[0], used[1] || l[1]];
            }
            for &r in &p.start {
                used[lang_index(rule_lang[r])] = true;
            }
            used
        })
        .collect()
}

/// Whether a letter (`LETTER`, [`crate::text::class::is_alphabetic`]) stands at byte `at` of
/// `text` (a character start) before byte `end` (its sentence's end, past which a match
/// sees nothing): a start literal of [`WORD_END`] that ends there opens no match.
#[inline]
fn letter_at(text: &str, at: usize, end: usize) -> bool {
    if at >= end {
        return false;
    }
    match text.as_bytes().get(at) {
        Some(b) if b.is_ascii() => b.is_ascii_alphabetic(),
        _ => text
            .get(at..)
            .and_then(|rest| rest.chars().next())
            .is_some_and(crate::text::class::is_alphabetic),
    }
}

/// Whether a word can begin after `c`: it is neither a letter, a digit, nor a character
/// that glues what follows into a token. What [`Breaks`] tells from a table.
fn breaks_words(c: char) -> bool {
    !is_alphanumeric(c) && !super::matcher::glues(c)
}

/// Whether the places of `literal` that begin a word can be told from the others by the
/// automaton: it begins with a letter or a digit. Such a literal that opens rules, or
/// satisfies clauses whose every match has one of them at a word start (see
/// [`AnyOf::initial`]), is looked for only there (see [`LiteralSet::with_word_starts`]):
/// most places of short words ("в", "по", "ес", "от") are inside longer words, and each
/// cost a stop of the walk to be dropped.
fn opens_word(literal: &str) -> bool {
    literal.chars().next().is_some_and(is_alphanumeric)
}

/// The [`Pattern::flags`] of a pattern whose literal is `literal`, found only where it
/// begins a word if `word_start`.
fn flags(p: &PatternRules, literal: &str, word_start: bool, word_end: bool) -> u8 {
    let mut flags = 0;
    if !p.anchor.is_empty() {
        flags |= ANCHOR;
    }
    if !p.start.is_empty() {
        flags |= match literal.chars().next() {
            None => OPENS_IF_WORD_START,
            Some(' ') => 0,
            // A sign, or a letter or digit that the automaton finds only where it opens a
            // word (start literals are looked for only there).
            Some(_) => {
                debug_assert!(word_start || !opens_word(literal));
                OPENS
            }
        };
    }
    if p.digit {
        flags |= DIGIT;
    }
    if word_end && !p.start.is_empty() {
        flags |= WORD_END;
    }
    flags
}

/// The anchors and starts of the rules `rules` of `set`.
fn rule_keys(set: &RuleSet, rules: &[usize]) -> Vec<Keys> {
    rules
        .iter()
        .map(|&r| {
            let rule = &set.rules[r];
            let anchors = set
                .grammar
                .anchors(&rule.entry)
                .map(|a| a.clauses)
                .unwrap_or_default();
            let st = set.grammar.starts(&rule.entry);
            let starts = (!st.any).then_some(Literals {
                literals: st.literals,
                digit: st.digit,
                initial: false,
            });
            let runs = st
                .any
                .then(|| set.grammar.space_runs(&rule.entry))
                .flatten();
            let word_ends = if st.any {
                Default::default()
            } else {
                set.grammar.word_ends(&rule.entry)
            };
            Keys {
                lang: rule.lang,
                anchors,
                starts,
                word_ends,
                runs,
            }
        })
        .collect()
}

thread_local! {
    /// [`Scan::staged`] and the last stamp handed out, kept between documents: a fresh
    /// table per document (11.5 KB for the default rules) cost more in zeroing than the
    /// matches of a short document cost in all.
    static STAGED: std::cell::RefCell<(u32, Vec<(u32, u32)>)> =
        const { std::cell::RefCell::new((0, Vec::new())) };
}

/// The state of one pass over a document.
///
/// Matches come in order of their end, so nearly always in the sentence of the match
/// before or a later one: the scan keeps the sentence it is in, and a match of an anchor
/// there only notes its place in `staged`. Moving on to a later sentence brings that
/// sentence's clauses up to date from the anchor sets noted (see [`Scan::flush`]); the rare
/// match that begins before the sentence (a literal across the end of the one before) goes
/// to its own sentence's clauses at once.
struct Scan<'a> {
    prefilter: &'a Prefilter,
    text: &'a str,
    sentences: &'a [Sentence],
    /// sentence * clauses + clause -> where in the sentence the last literal of the clause
    /// begins (see [`after`]; 0: none), not counting digits. Rows are added, zeroed, as
    /// the scan reaches their sentences (see [`Scan::rows_to`]), and the rest at its end.
    last: Vec<u32>,
    /// Per sentence: where its last ASCII digit is (see [`after`]; 0: none). Digits are
    /// frequent and satisfy many clauses, which take this in once per sentence at the end.
    last_digit: Vec<u32>,
    /// (position, pattern or [`DIGIT_HIT`]) where rules may begin, inside a sentence,
    /// kept sorted.
    hits: Vec<(usize, u32)>,
    /// Per anchor set ([`Pattern::set`]): (`stamp` when a pattern of it last met the
    /// current sentence, the last place there). Kept by the thread between documents (see
    /// [`STAGED`]).
    staged: &'a mut [(u32, u32)],
    /// The anchor sets met in the current sentence, once each.
    touched: Vec<u32>,
    /// Told apart each time the scan enters a sentence.
    stamp: u32,
    /// The current sentence (`sentences.len()` past the last), and its start and end
    /// (`usize::MAX` past the last).
    k: usize,
    start: usize,
    end: usize,
}

impl<'a> Scan<'a> {
    fn new(
        prefilter: &'a Prefilter,
        text: &'a str,
        sentences: &'a [Sentence],
        staged: &'a mut [(u32, u32)],
        stamp: u32,
    ) -> Scan<'a> {
        let mut scan = Scan {
            prefilter,
            text,
            sentences,
            last: Vec::with_capacity(sentences.len() * prefilter.clause_count),
            last_digit: vec![0; sentences.len()],
            hits: Vec::with_capacity(text.len() / 8),
            staged,
            touched: Vec::new(),
            stamp,
            k: 0,
            start: 0,
            end: 0,
        };
        scan.restart();
        scan
    }

    /// Goes back to the first sentence, for another pass over the text in order.
    fn restart(&mut self) {
        self.k = 0;
        self.enter();
    }

    /// Makes sentence `k` the current one.
    fn enter(&mut self) {
        self.stamp += 1;
        (self.start, self.end) = match self.sentences.get(self.k) {
            Some(s) => (s.start, s.end),
            None => (usize::MAX, usize::MAX),
        };
    }

    /// Adds the rows of `last` up to that of sentence `k` (all of them past the last),
    /// zeroed, one row at a time. A table zeroed whole when the scan began cost more than
    /// the rest of its set-up: the allocator cleared it byte by byte (`rep stosb`, as
    /// counted), where a row of a few hundred bytes is a few wide stores.
    fn rows_to(&mut self, k: usize) {
        let m = self.prefilter.clause_count;
        let want = (k + 1).min(self.sentences.len()) * m;
        while self.last.len() < want {
            let row = self.last.len() + m;
            self.last.resize(row, 0);
        }
    }

    /// Brings the current sentence's clauses up to date with the anchors met in it.
    fn flush(&mut self) {
        if self.touched.is_empty() {
            return;
        }
        self.rows_to(self.k);
        let m = self.prefilter.clause_count;
        // Patterns are only noted in a sentence, so `k` is one.
        let row = &mut self.last[self.k * m..(self.k + 1) * m];
        for &set in &self.touched {
            let here = self.staged[set as usize].1;
            let clauses = self.prefilter.anchor_sets[set as usize];
            for &c in &self.prefilter.pattern_clauses[Pattern::range(clauses)] {
                let last = &mut row[c as usize];
                *last = (*last).max(here);
            }
        }
        self.touched.clear();
    }

    /// Moves on to the sentence of `start` (or the first after it), past the current one.
    #[inline(never)]
    fn advance(&mut self, start: usize) {
        self.flush();
        while self.k < self.sentences.len() && self.sentences[self.k].end <= start {
            self.k += 1;
        }
        self.enter();
    }

    /// Takes a match of pattern `pid` starting at byte `start`.
    #[inline(always)]
    fn on_match(&mut self, pid: usize, start: usize, end: usize) {
        if start >= self.end {
            self.advance(start);
        }
        if start < self.start {
            self.elsewhere(pid, start, end);
            return;
        }
        let p = self.prefilter.patterns[pid];
        let here = after(start, self.start);
        if p.flags & ANCHOR != 0 {
            let staged = &mut self.staged[p.set as usize];
            if staged.0 != self.stamp {
                *staged = (self.stamp, here);
                self.touched.push(p.set);
            } else {
                staged.1 = staged.1.max(here);
            }
        }
        if p.flags & !ANCHOR != 0 {
            self.take(
                pid,
                p.flags,
                start..end,
                self.k,
                (self.start, self.end),
                here,
            );
        }
    }

    /// Takes a match that begins before the current sentence: in a sentence already left,
    /// or between sentences (where nothing is taken).
    #[inline(never)]
    fn elsewhere(&mut self, pid: usize, start: usize, end: usize) {
        let k = self.sentences.partition_point(|s| s.end <= start);
        let Some(sentence) = self.sentences.get(k) else {
            return;
        };
        if start < sentence.start {
            return;
        }
        let p = self.prefilter.patterns[pid];
        let here = after(start, sentence.start);
        self.rows_to(k);
        let m = self.prefilter.clause_count;
        let clauses = self.prefilter.anchor_sets[p.set as usize];
        for &c in &self.prefilter.pattern_clauses[Pattern::range(clauses)] {
            let last = &mut self.last[k * m + c as usize];
            *last = (*last).max(here);
        }
        let bounds = (sentence.start, sentence.end);
        self.take(pid, p.flags, start..end, k, bounds, here);
    }

    /// Takes what a match of pattern `pid` over `span` in sentence `k` (`bounds`: its start
    /// and end; `here` as [`after`]) means besides anchors: a hit of its start rules where
    /// it opens a word (and ends one, for [`WORD_END`]), a digit.
    #[inline(always)]
    fn take(
        &mut self,
        pid: usize,
        flags: u8,
        span: std::ops::Range<usize>,
        k: usize,
        (sentence_start, sentence_end): (usize, usize),
        here: u32,
    ) {
        let start = span.start;
        let breaks = &self.prefilter.breaks;
        // Most hits of a start literal fall inside words ("в", "по" in every other word):
        // dropped here, they cost no place in the sorted hits nor a try.
        if (flags & OPENS != 0
            || (flags & OPENS_IF_WORD_START != 0
                && super::matcher::word_start(self.text, start, sentence_start)))
            && (flags & WORD_END == 0 || !letter_at(self.text, span.end, sentence_end))
        {
            self.hit(start, pid as u32);
        }
        if flags & DIGIT != 0 {
            self.last_digit[k] = self.last_digit[k].max(here);
            let run_start = start == 0 || !self.text.as_bytes()[start - 1].is_ascii_digit();
            if run_start
                && !self.prefilter.digit_start.is_empty()
                && breaks.opens(self.text, start, sentence_start)
            {
                self.hit(start, DIGIT_HIT);
            }
        }
    }

    /// Adds a hit in order. Hits arrive in order of match end, so a hit belongs at most a
    /// pattern's length of hits before the end: moving it there beats sorting them all.
    #[inline(always)]
    fn hit(&mut self, start: usize, id: u32) {
        let h = (start, id);
        let mut j = self.hits.len();
        self.hits.push(h);
        while j > 0 && self.hits[j - 1] > h {
            self.hits[j] = self.hits[j - 1];
            j -= 1;
        }
        self.hits[j] = h;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::matcher::word_start;

    use crate::text::Lang;
    use crate::text::{normalize::normalize, sentences};
    use aho_corasick::AhoCorasick;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    fn rules() -> &'static (RuleSet, Prefilter) {
        static SET: OnceLock<(RuleSet, Prefilter)> = OnceLock::new();
        SET.get_or_init(|| {
            let set = RuleSet::load_defaults().expect("default rules");
            let all: Vec<usize> = (0..set.rules.len()).collect();
            let prefilter = Prefilter::new(&set, &all);
            (set, prefilter)
        })
    }

    /// The straightforward prefilter the single pass must agree with: one overlapping
    /// search for anchors, one for starts, a digit scan per sentence, a sort; literals
    /// count where they lie within a sentence. Returns [`Eligible::until`] of every
    /// sentence and rule, and every try.
    fn reference(keys: &[Keys], text: &str, sents: &[Sentence]) -> (Vec<u32>, Vec<(usize, usize)>) {
        let n = keys.len();
        let mut until = vec![0; sents.len() * n];
        let mut tries = Vec::new();
        let sentence_at = |pos: usize| sents.partition_point(|s| s.end <= pos);
        let (mut anchors, mut starts) = (Vec::new(), Vec::new());
        let b = text.as_bytes();
        // last[r][c][s]: one more than the offset in sentence s of the last place that
        // satisfies clause c of rule r; 0 when there is none.
        let mut last: Vec<Vec<Vec<u32>>> = Vec::new();
        for (r, k) in keys.iter().enumerate() {
            last.push(Vec::new());
            for (c, clause) in k.anchors.iter().enumerate() {
                last[r].push(
                    sents
                        .iter()
                        .map(|s| {
                            let digits = b[s.start..s.end].iter().rposition(u8::is_ascii_digit);
                            match digits {
                                Some(i) if clause.digit => i as u32 + 1,
                                _ => 0,
                            }
                        })
                        .collect(),
                );
                anchors.extend(clause.literals.iter().map(|l| (l, r, c)));
            }
            if let Some(st) = &k.starts {
                starts.extend(st.literals.iter().map(|l| (l, r)));
                if st.digit {
                    tries.extend(
                        (0..b.len())
                            .filter(|&i| {
                                b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_digit())
                            })
                            .map(|i| (i, r)),
                    );
                }
            }
        }
        let ac = AhoCorasick::new(anchors.iter().map(|(l, _, _)| l)).expect("anchors");
        for m in ac.find_overlapping_iter(text) {
            let s = sentence_at(m.start());
            let (l, r, c) = anchors[m.pattern().as_usize()];
            // A literal of an initial clause that opens with a letter or digit counts only
            // where it begins a word.
            let counts = !keys[r].anchors[c].initial
                || !l.starts_with(|c: char| c.is_alphanumeric())
                || (s < sents.len() && word_start(text, m.start(), sents[s].start));
            if s < sents.len() && m.start() >= sents[s].start && m.end() <= sents[s].end && counts {
                let at = &mut last[r][c][s];
                *at = (*at).max((m.start() - sents[s].start) as u32 + 1);
            }
        }
        for (r, clauses) in last.iter().enumerate() {
            for s in 0..sents.len() {
                until[s * n + r] = clauses.iter().map(|c| c[s]).min().unwrap_or(u32::MAX);
            }
        }
        let ac = AhoCorasick::new(starts.iter().map(|(l, _)| l)).expect("starts");
        for m in ac.find_overlapping_iter(text) {
            let s = sentence_at(m.start());
            let (l, r) = starts[m.pattern().as_usize()];
            // A literal that no letter follows in a match counts only where it ends a word
            // or its sentence.
            let ends = |end: usize| {
                !keys[r].word_ends.contains(l)
                    || end >= sents[s].end
                    || !text[end..].starts_with(|c: char| c.is_alphabetic())
            };
            if s < sents.len() && m.end() <= sents[s].end && ends(m.end()) {
                tries.push((m.start(), r));
            }
        }
        tries.sort_unstable();
        tries.dedup();
        (until, tries)
    }

    fn check(prefilter: &Prefilter, keys: &[Keys], text: &str, sents: &[Sentence]) {
        let got = prefilter.eligible(text, sents);
        let (until, tries) = reference(keys, text, sents);
        let n = keys.len();
        // Only rules of a sentence's language are asked about there.
        let asked = |i: usize| keys[i % n].lang == sents[i / n].lang;
        let got_until: Vec<u32> = (0..sents.len() * n)
            .map(|i| if asked(i) { got.until(i / n, i % n) } else { 0 })
            .collect();
        let until: Vec<u32> = (0..sents.len() * n)
            .map(|i| if asked(i) { until[i] } else { 0 })
            .collect();
        assert_eq!(got_until, until, "until of {text:?} in {sents:?}");
        // The rules that can begin anywhere, of the sentence's language only, where they
        // may match.
        for (s, sentence) in sents.iter().enumerate() {
            let anywhere: Vec<(usize, u32)> = got
                .anywhere(s, sentence.lang)
                .map(|(r, until, _)| (r, until))
                .collect();
            let want: Vec<(usize, u32)> = (0..n)
                .filter(|&r| keys[r].starts.is_none() && keys[r].lang == sentence.lang)
                .map(|r| (r, until[s * n + r]))
                .filter(|&(_, u)| u > 0)
                .collect();
            assert_eq!(anywhere, want, "anywhere in {s} of {text:?} in {sents:?}");
        }
        // A try outside a sentence, after the last place of an anchor of its rule in its
        // sentence, or inside a word, cannot match.
        let useful: Vec<(usize, usize)> = tries
            .into_iter()
            .filter(|&(p, r)| {
                let s = sents.partition_point(|s| s.end <= p);
                s < sents.len()
                    && p >= sents[s].start
                    && keys[r].lang == sents[s].lang
                    && ((p - sents[s].start) as u32) < until[s * n + r]
                    && word_start(text, p, sents[s].start)
            })
            .collect();
        assert_eq!(got.tries, useful, "tries of {text:?} in {sents:?}");
    }

    fn check_default(raw: &str) {
        static KEYS: OnceLock<Vec<Keys>> = OnceLock::new();
        let (set, prefilter) = rules();
        let keys = KEYS.get_or_init(|| rule_keys(set, &(0..set.rules.len()).collect::<Vec<_>>()));
        let norm = normalize(raw);
        let (sents, _) = sentences::split(&norm, raw, &set.abbreviations);
        check(prefilter, keys, &norm.text, &sents);
    }

    /// The texts of the test corpus, normalised, with their sentences.
    fn test_corpus() -> Vec<(String, Vec<Sentence>)> {
        let (set, _) = rules();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
        let mut texts = Vec::new();
        for entry in std::fs::read_dir(dir).expect("tests/corpus") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "txt") {
                let raw = std::fs::read_to_string(&path).expect("text");
                let norm = normalize(&raw);
                let (sents, _) = sentences::split(&norm, &raw, &set.abbreviations);
                texts.push((norm.text, sents));
            }
        }
        assert!(!texts.is_empty());
        texts
    }

    /// Anchors are sound: wherever a rule's grammar matches (tried at every character, not
    /// only where the prefilter would try it), the rest of its sentence from there
    /// satisfies every clause, so the prefilter never hides a match. Also checks that
    /// anchors are worth having: most rules have some, and some have several clauses.
    #[test]
    fn every_match_satisfies_its_anchors() {
        let (set, _) = rules();
        let program = set.grammar.program();
        let mut entries: Vec<&str> = set.rules.iter().map(|r| r.entry.as_str()).collect();
        entries.sort_unstable();
        entries.dedup();
        let anchors: Vec<_> = entries.iter().map(|e| set.grammar.anchors(e)).collect();
        let starts: Vec<_> = entries.iter().map(|e| set.grammar.starts(e)).collect();
        let word_ends: Vec<_> = entries.iter().map(|e| set.grammar.word_ends(e)).collect();
        // Number words and qualifiers count only where they end a word.
        assert!(
            word_ends
                .iter()
                .any(|w| w.contains("сто") && w.contains("до"))
        );
        let anchored = anchors.iter().flatten().count();
        assert!(
            anchored * 4 > entries.len() * 3,
            "{anchored} of {}",
            entries.len()
        );
        assert!(anchors.iter().flatten().any(|a| a.clauses.len() > 1));
        // Some clauses count only at word starts (see `AnyOf::initial`).
        assert!(
            anchors
                .iter()
                .flatten()
                .flat_map(|a| &a.clauses)
                .any(|c| c.initial)
        );
        let mut matches = 0;
        for (text, sents) in test_corpus() {
            for sent in &sents {
                let here = &text[sent.start..sent.end];
                // A literal of an initial clause that begins with a letter or digit must be
                // met where it begins a word.
                let holds = |c: &crate::rules::grammar::AnyOf, pos: usize| {
                    let rest = &text[pos..sent.end];
                    let counts = |l: &str, at: usize| {
                        !c.initial || !opens_word(l) || word_start(&text, pos + at, sent.start)
                    };
                    (c.digit && rest.bytes().any(|b| b.is_ascii_digit()))
                        || c.literals
                            .iter()
                            .any(|l| rest.match_indices(l.as_str()).any(|(at, _)| counts(l, at)))
                };
                let input = &text[..sent.end];
                for (e, (entry, anchors)) in entries.iter().zip(&anchors).enumerate() {
                    let (Some(id), Some(anchors)) = (program.rule_id(entry), anchors) else {
                        continue;
                    };
                    let mut memo = crate::peg::Memo::default();
                    for (offset, _) in here.char_indices() {
                        let pos = sent.start + offset;
                        let limits = crate::peg::Limits::default();
                        if let Ok(m) = program.matches_at(id, input, pos, limits, &mut memo)
                            && m.end > pos
                        {
                            matches += 1;
                            // Tries are made at word starts only (see `matcher::word_start`).
                            let tried = word_start(&text, pos, sent.start);
                            for clause in anchors.clauses.iter().filter(|c| tried || !c.initial) {
                                assert!(
                                    holds(clause, pos),
                                    "{entry} at {pos} in {here:?}: {clause:?}"
                                );
                            }
                            // It opens with a start literal, which ends a word if it is
                            // one no letter follows in a match (see `Grammar::word_ends`).
                            let st = &starts[e];
                            let opens = |l: &String| {
                                let end = pos + l.len();
                                text[pos..sent.end].starts_with(l.as_str())
                                    && (!word_ends[e].contains(l)
                                        || !letter_at(&text, end, sent.end))
                            };
                            assert!(
                                st.any
                                    || (st.digit && text.as_bytes()[pos].is_ascii_digit())
                                    || st.literals.iter().any(opens),
                                "{entry} at {pos} in {here:?}: starts"
                            );
                        }
                    }
                }
            }
        }
        assert!(matches > 100, "{matches}");
    }

    /// A letter or digit opens a word after exactly the characters `matcher::word_start`
    /// says it does: every character of one and two bytes, and some of three and four, before
    /// letters and digits of one and two bytes, and at a sentence's start.
    #[test]
    fn breaks_agree_with_word_start() {
        let breaks = Breaks::new();
        let before = (1..0x800u32)
            .chain([0x2014, 0x201C, 0x20B8, 0x2116, 0x3000, 0x1F600])
            .filter_map(char::from_u32);
        let letters = ['a', 'Z', '7', 'в', 'Ә', 'і', 'ü'];
        for p in before {
            for c in letters {
                let text = format!("{p}{c}");
                let at = p.len_utf8();
                assert_eq!(
                    breaks.opens(&text, at, 0),
                    word_start(&text, at, 0),
                    "{p:?} {c:?}"
                );
                assert!(
                    breaks.opens(&text, at, at),
                    "{p:?} {c:?} at a sentence start"
                );
            }
        }
    }

    /// The rules' idea of a character that breaks words is the prefilter's (and so the
    /// matcher's): initial clauses rest on it.
    #[test]
    fn rules_and_prefilter_agree_on_word_breaks() {
        for c in (0..0x3100).filter_map(char::from_u32) {
            assert_eq!(
                crate::rules::grammar::breaks_words(c),
                breaks_words(c),
                "{c:?}"
            );
        }
    }

    /// A literal that begins with another of its set is not looked for; the others are.
    #[test]
    fn literals_beginning_with_another_are_not_needed() {
        let set = [
            "та",
            "тан",
            "ес",
            "ест",
            "е",
            "процент",
            "процентов",
            "п.п.",
            "п",
        ];
        let set: std::collections::BTreeSet<String> = set.map(String::from).into();
        let kept: Vec<&str> = needed(&set).collect();
        assert_eq!(kept, ["е", "п", "та"]);
        let none: std::collections::BTreeSet<String> = Default::default();
        assert_eq!(needed(&none).count(), 0);
    }

    /// `l` as literals with no digit and no word-start mark.
    fn plain_literals(l: &[&str]) -> Literals {
        Literals {
            literals: l.iter().map(|s| s.to_string()).collect(),
            digit: false,
            initial: false,
        }
    }

    /// The automaton leaves out a clause's literal that begins with another of the clause,
    /// and a start literal that begins with another start of its rule: "тан" and "во" here,
    /// so two patterns and the ten digits.
    #[test]
    fn literals_beginning_with_another_are_left_out() {
        let of = plain_literals;
        let keys = vec![Keys {
            lang: Lang::Ru,
            anchors: vec![of(&["та", "тан"])],
            starts: Some(of(&["в", "во"])),
            word_ends: Default::default(),
            runs: None,
        }];
        let prefilter = Prefilter::from_keys(keys.clone());
        assert_eq!(prefilter.patterns.len(), 2 + 10);
        let text = "во тан вот";
        let sents = [Sentence {
            start: 0,
            end: text.len(),
            lang: Lang::Ru,
        }];
        check(&prefilter, &keys, text, &sents);
    }

    /// A sentence is scanned for the literals of its language's rules only, and gets tries
    /// of those rules only; a literal across a sentence's end is no try.
    #[test]
    fn sentences_are_scanned_for_their_languages_rules() {
        let of = plain_literals;
        let rule = |lang, starts: &[&str]| Keys {
            lang,
            anchors: vec![],
            starts: Some(of(starts)),
            word_ends: Default::default(),
            runs: None,
        };
        let keys = vec![rule(Lang::Ru, &["ab", "cd"]), rule(Lang::Kk, &["ab", "ef"])];
        let prefilter = Prefilter::from_keys(keys.clone());
        let found = |lang, text: &str| {
            let mut found = 0;
            if let Some(automaton) = &prefilter.automata[lang_index(lang)] {
                automaton.for_each(text, |_, _, _| found += 1);
            }
            found
        };
        assert_eq!(found(Lang::Kk, "cd ab"), 1);
        assert_eq!(found(Lang::Ru, "ef ab"), 1);
        let text = "ab ab cd ef a";
        let sentence = |start, end, lang| Sentence { start, end, lang };
        let sents = [
            sentence(0, 2, Lang::Ru),
            sentence(3, 5, Lang::Kk),
            sentence(6, 11, Lang::Ru),
            sentence(12, 13, Lang::Kk),
        ];
        let got = prefilter.eligible(text, &sents);
        assert_eq!(got.tries, [(0, 0), (3, 1), (6, 0)]);
        check(&prefilter, &keys, text, &sents);
        // "ab" across the end of "a": no try.
        let sents = [sentence(0, 1, Lang::Ru), sentence(1, 2, Lang::Ru)];
        assert!(prefilter.eligible("ab", &sents).tries.is_empty());
    }

    /// A rule that can begin anywhere whose matches hold at most two runs of spaces (the
    /// adjective deposit names) may begin two runs before the first place of its trigger,
    /// not three, and anywhere when its last place is that near the sentence's start.
    #[test]
    fn a_rule_near_its_anchors_begins_at_most_its_runs_before_them() {
        let (set, prefilter) = rules();
        let r = set
            .rules
            .iter()
            .position(|r| r.entry == "deposit_adj_ru")
            .expect("deposit_adj_ru");
        let from = |text: &str| {
            let sentence = Sentence {
                start: 3,
                end: text.len(),
                lang: Lang::Ru,
            };
            let eligible = prefilter.eligible(text, std::slice::from_ref(&sentence));
            let (_, until, near) = eligible
                .anywhere(0, Lang::Ru)
                .find(|&(rule, _, _)| rule == r)
                .expect("eligible");
            let near = near.expect("near its trigger");
            near.from(text, &sentence, until)
        };
        let text = "ok. мы были у нас на  богутинского месторождения и месторождения";
        assert_eq!(from(text), text.find("на  богут").expect("на"));
        let text = "ok. у богутинского месторождения и месторождения";
        assert_eq!(from(text), 3);
        let text = "ok. богутинского месторождения";
        assert_eq!(from(text), 3);
    }

    /// Places count from one, and saturate at `u32::MAX` rather than wrap in a sentence of
    /// 4 GB or more (where they then rule nothing out).
    /// A start literal that no letter follows in a match is tried only where it ends a
    /// word or its sentence; one that a letter may follow, everywhere it begins a word.
    #[test]
    fn literals_no_letter_follows_open_whole_words_only() {
        let starts = Literals {
            literals: ["сто".to_string()].into(),
            digit: false,
            initial: false,
        };
        let key = |word_ends: &[&str]| Keys {
            lang: Lang::Ru,
            anchors: Vec::new(),
            starts: Some(starts.clone()),
            word_ends: word_ends.iter().map(|s| s.to_string()).collect(),
            runs: None,
        };
        let keys = vec![key(&["сто"]), key(&[])];
        let prefilter = Prefilter::from_keys(keys.clone());
        let text = "стоило сто, сто5 сто";
        let sents = [Sentence {
            start: 0,
            end: text.len(),
            lang: Lang::Ru,
        }];
        let got = prefilter.eligible(text, &sents);
        let at = |word: usize| text.match_indices("сто").nth(word).map(|(i, _)| i).unwrap();
        let mut want = vec![(at(1), 0), (at(2), 0), (at(3), 0)];
        want.extend((0..4).map(|w| (at(w), 1)));
        want.sort_unstable();
        assert_eq!(got.tries, want);
        check(&prefilter, &keys, text, &sents);
        // A letter past the sentence's end is not seen.
        let sents = [Sentence {
            start: 0,
            end: "сто".len(),
            lang: Lang::Ru,
        }];
        assert_eq!(prefilter.eligible(text, &sents).tries, vec![(0, 0), (0, 1)]);
    }

    /// A start literal that ends a word stands for no longer literal; one that counts
    /// anywhere stands for the longer ones of either kind.
    #[test]
    fn literals_ending_words_stand_for_no_longer_ones() {
        let set = |l: &[&str]| -> std::collections::BTreeSet<String> {
            l.iter().map(|s| s.to_string()).collect()
        };
        let literals = set(&["с", "сто", "стоимость"]);
        let ends = set(&["с", "сто"]);
        let got: Vec<(&str, bool)> = needed_starts(&literals, &ends).collect();
        assert_eq!(got, [("с", true), ("сто", true), ("стоимость", false)]);
        let ends = set(&["сто"]);
        let got: Vec<(&str, bool)> = needed_starts(&literals, &ends).collect();
        assert_eq!(got, [("с", false)]);
    }

    /// The table of last places has a zeroed row for every sentence, those the scan never
    /// stops in too (before, between and after the ones with a literal), though rows are
    /// added only as the scan reaches them (see `Scan::rows_to`).
    #[test]
    fn every_sentence_has_a_row_of_last_places() {
        let of = plain_literals;
        let keys = vec![Keys {
            lang: Lang::Ru,
            anchors: vec![of(&["ab"])],
            starts: Some(of(&["ab"])),
            word_ends: Default::default(),
            runs: None,
        }];
        let prefilter = Prefilter::from_keys(keys.clone());
        let text = "xx ab yy ab zz ab ww";
        let sents: Vec<Sentence> = [
            (0, 2),
            (3, 5),
            (6, 8),
            (9, 11),
            (12, 14),
            (15, 17),
            (18, 20),
        ]
        .map(|(start, end)| Sentence {
            start,
            end,
            lang: Lang::Ru,
        })
        .into();
        for n in 0..=sents.len() {
            let got = prefilter.eligible(text, &sents[..n]);
            assert_eq!(got.last.len(), n * prefilter.clause_count, "{n} sentences");
            assert!(
                got.last.iter().step_by(2).all(|&l| l == 0),
                "{:?}",
                got.last
            );
            check(&prefilter, &keys, text, &sents[..n]);
        }
    }

    #[test]
    fn places_saturate_instead_of_wrapping() {
        assert_eq!(after(7, 7), 1);
        assert_eq!(after(12, 7), 6);
        let big = u32::MAX as usize;
        assert_eq!(after(big - 2, 0), u32::MAX - 1);
        assert_eq!(after(big - 1, 0), u32::MAX);
        assert_eq!(after(big + 5, 0), u32::MAX);
    }

    #[test]
    fn single_pass_matches_the_reference_on_the_test_corpus() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).expect("tests/corpus") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "txt") {
                check_default(&std::fs::read_to_string(&path).expect("text"));
                seen += 1;
            }
        }
        assert!(seen > 0);
        check_default("");
        check_default("1");
        check_default("12 345,6 млн тонн.\n\n7% \"Казахмыс\"");
    }

    fn literals() -> impl Strategy<Value = Literals> {
        (
            // The empty literal too: it begins everywhere.
            proptest::collection::btree_set("[ab1. ]{0,4}", 0..4),
            any::<bool>(),
            // Only its places at word starts count, for those that open with a letter or
            // digit.
            any::<bool>(),
        )
            .prop_map(|(literals, digit, initial)| Literals {
                literals,
                digit,
                initial,
            })
    }

    proptest! {
        #[test]
        fn single_pass_matches_the_reference_on_news(parts in proptest::collection::vec(
            prop_oneof![
                proptest::sample::select(&[
                    "млн", "тонн", "тыс. ", "месторождение", "ТОО", "АО ", "в ", "на ", "по ",
                    "%", "процента", "долл.", "$", "₸", "19", "2024", "5,5", " ", "\n", ". ",
                    "«", "»", "—", "Қазақстан", "мен", "кен орны", "келісім", "млрд", "8-",
                ][..]).prop_map(str::to_string),
                "[0-9 .,а-яА-Я\n%-]{0,10}",
            ],
            0..30,
        )) {
            check_default(&parts.concat());
        }

        /// Random rules on random text cut into random sentences: patterns that span
        /// sentences, sentences with gaps, empty key sets.
        #[test]
        fn single_pass_matches_the_reference_on_random_rules(
            rules in proptest::collection::vec(
                // Up to six clauses: more than four take another path (see `Deciding`).
                (
                    proptest::collection::vec(literals(), 0..7),
                    proptest::option::of(literals()),
                    any::<bool>(),
                    // Which of its start literals count only where they end a word.
                    proptest::collection::vec(any::<bool>(), 4),
                ),
                1..6,
            ),
            text in "[ab1. ]{0,40}",
            cuts in proptest::collection::vec(0usize..=40, 0..12),
        ) {
            let keys: Vec<Keys> = rules
                .into_iter()
                .map(|(anchors, starts, kazakh, ends)| Keys {
                    lang: if kazakh { Lang::Kk } else { Lang::Ru },
                    word_ends: starts
                        .iter()
                        .flat_map(|s| s.literals.iter().enumerate())
                        // `Grammar::word_ends` never lists the empty literal.
                        .filter(|&(i, l)| ends[i % ends.len()] && !l.is_empty())
                        .map(|(_, l)| l.clone())
                        .collect(),
                    anchors,
                    starts,
                    runs: None,
                })
                .collect();
            let prefilter = Prefilter::from_keys(keys.clone());
            // Sentences from sorted cuts: every other stretch is a sentence, the rest gaps.
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(text.len())).collect();
            cuts.push(0);
            cuts.push(text.len());
            cuts.sort_unstable();
            cuts.dedup();
            let sents: Vec<Sentence> = cuts
                .windows(2)
                .enumerate()
                .filter(|(i, w)| i % 3 != 2 && w[0] < w[1])
                .map(|(i, w)| Sentence {
                    start: w[0],
                    end: w[1],
                    lang: if i % 2 == 0 { Lang::Ru } else { Lang::Kk },
                })
                .collect();
            check(&prefilter, &keys, &text, &sents);
        }
    }
}
