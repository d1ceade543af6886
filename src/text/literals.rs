//! Every occurrence of many literals in a text, in one pass: the prefilter's anchors and
//! starts, and the lexicon forms that links look for in a sentence.
//!
//! A set of literals is walked by a deterministic automaton over character classes
//! ([`Dense`]): one table read per character, with no failure links to follow, and the
//! character's class read from a table by its UTF-8 bytes without decoding it (most text is
//! two-byte Cyrillic). The automaton is the `aho-corasick` crate's (its contiguous NFA); the
//! table only lays out its transitions by character class, which costs loading the default
//! rules about 127 M instructions (456 M to 583 M; a hand-built trie with failure links did it
//! for nothing, but the project keeps its Aho–Corasick in a well-kept crate). The prefilter's walk over every character of every sentence was a
//! seventh of all extraction instructions with `daachorse`'s character-wise double array
//! (about 57 instructions per character: decoding, a code table, the double array's check,
//! failure links); the dense table takes about a fifth of that. A set whose table would be
//! too big (more than [`DENSE_LIMIT`] entries: large lexicons) keeps the double array, which
//! is small (the default rules' 1,426 prefilter literals take 150 KB, where
//! `aho-corasick`'s contiguous NFA took 1 MB and its DFA 10 MB).

use daachorse::CharwiseDoubleArrayAhoCorasick;
use std::ops::Range;

mod lanes;

/// A set of non-empty literals to find, overlapping, in texts. Equal literals may be given:
/// an occurrence reports each of them, in the order they were given.
#[derive(Clone)]
pub struct LiteralSet {
    /// Over the distinct literals. The value of a literal given once is its index; of one
    /// given several times, [`SHARED`] and an index into `shared`. Most literals are given
    /// once, and reporting them then reads no memory beyond the automaton's (a vector per
    /// literal cost a pointer chase, a cache miss, per occurrence).
    automaton: Automaton,
    /// Per literal given several times: the indices of the given literals equal to it,
    /// ascending.
    shared: Vec<Vec<usize>>,
    /// Distinct literals, for `Debug`.
    distinct: usize,
    /// Per given literal: only its occurrences at a word's start count (see
    /// [`LiteralSet::with_word_starts`]). Read only by the double array, which finds every
    /// occurrence and drops the others when reporting; the dense table never finds them.
    word_start: Vec<bool>,
    /// Whether a word can begin after a character (see [`LiteralSet::with_word_starts`]).
    breaks: Option<Breaks>,
}

/// Whether a word can begin after a character (see [`LiteralSet::with_word_starts`]).
type Breaks = fn(char) -> bool;

/// The automaton of a [`LiteralSet`]: a dense table where it is small enough, else the
/// double array.
#[derive(Clone)]
enum Automaton {
    Dense(Dense),
    Double(CharwiseDoubleArrayAhoCorasick<u32>),
}

/// The bit of an automaton value that says it indexes [`LiteralSet::shared`].
const SHARED: u32 = 1 << 31;

/// The most entries (states times classes, the classes rounded up to a power of two) a
/// [`Dense`] table may have: 2 Mi entries of two bytes, 4 MB. The default rules' Russian
/// prefilter literals take 0.56 Mi (4,393 states, 119 classes); a set that needs more keeps
/// the double array.
const DENSE_LIMIT: usize = 1 << 21;

impl std::fmt::Debug for LiteralSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let bytes = match &self.automaton {
            Automaton::Dense(d) => d.heap_bytes(),
            Automaton::Double(a) => a.heap_bytes(),
        };
        write!(f, "LiteralSet({} literals, {bytes} bytes)", self.distinct)
    }
}

impl LiteralSet {
    /// The set of `literals`, skipping empty ones (they occur everywhere; a caller that
    /// accepts them places them itself). `None` when none is left or the automaton cannot be
    /// built (more than it can address).
    pub fn new<S: AsRef<str>>(literals: &[S]) -> Option<LiteralSet> {
        let literals: Vec<(&str, bool)> = literals.iter().map(|l| (l.as_ref(), false)).collect();
        LiteralSet::with_limit(&literals, None, DENSE_LIMIT)
    }

    /// Like [`LiteralSet::new`], but a literal given with `true` is only reported where it
    /// begins a word: at the text's start, or after a character for which `breaks` holds.
    /// The dense table never even stops at its other occurrences (most hits of a short word
    /// such as "в" or "по" are inside longer words): the walk reads the text as if a mark
    /// followed every character that breaks words and stood at its start, and such a literal
    /// is looked for with the mark before it (see [`MARK`]).
    pub fn with_word_starts<S: AsRef<str>>(
        literals: &[(S, bool)],
        breaks: Breaks,
    ) -> Option<LiteralSet> {
        let literals: Vec<(&str, bool)> = literals.iter().map(|(l, w)| (l.as_ref(), *w)).collect();
        LiteralSet::with_limit(&literals, Some(breaks), DENSE_LIMIT)
    }

    /// [`LiteralSet::with_word_starts`] (`breaks` `None`: [`LiteralSet::new`], and no
    /// literal may be given with `true`) with a dense table of at most `limit` entries (0:
    /// always the double array, which tests compare the dense table with).
    fn with_limit(
        literals: &[(&str, bool)],
        breaks: Option<Breaks>,
        limit: usize,
    ) -> Option<LiteralSet> {
        // Values below `SHARED` are indices of given literals.
        if literals.len() >= SHARED as usize || literals.iter().all(|(l, _)| l.is_empty()) {
            return None;
        }
        let word_start: Vec<bool> = literals
            .iter()
            .map(|&(_, w)| w && breaks.is_some())
            .collect();
        // The dense table tells a literal that counts anywhere from the same one at word
        // starts; the double array finds them as one.
        let (distinct, values, shared) = group(literals, |&(l, w)| (l, w && breaks.is_some()));
        let count = distinct.len();
        let triples: Vec<(&str, u32, bool)> = distinct
            .iter()
            .zip(&values)
            .map(|(&(l, w), &v)| (l, v, w))
            .collect();
        if let Some(dense) = Dense::new(&triples, breaks, limit) {
            return Some(LiteralSet {
                automaton: Automaton::Dense(dense),
                shared,
                distinct: count,
                word_start,
                breaks,
            });
        }
        let (distinct, values, shared) = group(literals, |&(l, _)| l);
        let pairs: Vec<(&str, u32)> = distinct.into_iter().zip(values).collect();
        let automaton = CharwiseDoubleArrayAhoCorasick::with_values(pairs).ok()?;
        Some(LiteralSet {
            automaton: Automaton::Double(automaton),
            shared,
            distinct: count,
            word_start,
            breaks,
        })
    }

    /// Calls `found(literal, start, end)` for every occurrence in `text` of every literal
    /// (its index as given; byte offsets), in order of the occurrence's end.
    #[inline]
    pub fn for_each(&self, text: &str, mut found: impl FnMut(usize, usize, usize)) {
        // The double array finds literals that count only at word starts everywhere: the
        // others are dropped here (the dense table never finds them).
        let double = matches!(self.automaton, Automaton::Double(_));
        let counts = |i: usize, start: usize| {
            !double
                || !self.word_start[i]
                || start == 0
                || text[..start]
                    .chars()
                    .next_back()
                    .is_some_and(|c| self.breaks.is_none_or(|breaks| breaks(c)))
        };
        let mut report = |value: u32, start: usize, end: usize| {
            if value & SHARED == 0 {
                if counts(value as usize, start) {
                    found(value as usize, start, end);
                }
            } else {
                for &i in &self.shared[(value & !SHARED) as usize] {
                    if counts(i, start) {
                        found(i, start, end);
                    }
                }
            }
        };
        match &self.automaton {
            Automaton::Dense(dense) => dense.walk(text, report),
            Automaton::Double(automaton) => {
                for m in automaton.find_overlapping_iter(text) {
                    report(m.value(), m.start(), m.end());
                }
            }
        }
    }

    /// [`LiteralSet::for_each`] over each of `ranges` of `text` (ascending, disjoint, at
    /// character boundaries) as if it were a text of its own: no occurrence crosses a
    /// range's end, and a range's start begins a word. Offsets are `text`'s; occurrences are
    /// reported range by range, each range's in order of end.
    ///
    /// The dense table walks the first half of the ranges and the second at once: a walk is
    /// a chain of table reads, each waiting for the one before, and two chains interleaved
    /// hide much of each other's wait.
    pub fn for_each_in(
        &self,
        text: &str,
        ranges: &[Range<usize>],
        mut found: impl FnMut(usize, usize, usize),
    ) {
        match &self.automaton {
            Automaton::Dense(dense) => dense.walk_ranges(text, ranges, |value, start, end| {
                if value & SHARED == 0 {
                    found(value as usize, start, end);
                } else {
                    for &i in &self.shared[(value & !SHARED) as usize] {
                        found(i, start, end);
                    }
                }
            }),
            Automaton::Double(_) => {
                for range in ranges {
                    if let Some(here) = text.get(range.clone()) {
                        self.for_each(here, |i, s, e| found(i, range.start + s, range.start + e));
                    }
                }
            }
        }
    }
}

/// The distinct non-empty `literals` by `key`, each with its value (see
/// [`LiteralSet::automaton`]), and the lists of given indices of those given several times.
fn group<'l, K: std::hash::Hash + Eq + Copy>(
    literals: &[(&'l str, bool)],
    key: impl Fn(&(&'l str, bool)) -> K,
) -> (Vec<K>, Vec<u32>, Vec<Vec<usize>>) {
    let mut index = std::collections::HashMap::new();
    let mut distinct: Vec<K> = Vec::new();
    let mut same: Vec<Vec<usize>> = Vec::new();
    for (i, literal) in literals.iter().enumerate() {
        if literal.0.is_empty() {
            continue;
        }
        let k = key(literal);
        let d = *index.entry(k).or_insert_with(|| {
            distinct.push(k);
            same.push(Vec::new());
            same.len() - 1
        });
        same[d].push(i);
    }
    let mut shared = Vec::new();
    let values = same
        .into_iter()
        .map(|indices| match indices[..] {
            [only] => only as u32,
            _ => {
                shared.push(indices);
                SHARED | (shared.len() - 1) as u32
            }
        })
        .collect();
    (distinct, values, shared)
}

/// The byte that stands, in the literals of a [`Dense`] table with word starts, for the
/// place after a character that breaks words (and a text's start): no UTF-8 text holds it,
/// so it only ever comes from the table, which steps over it right after every such
/// character. Each literal has it after each of its characters that breaks words, so it
/// still matches the text; one that counts only at word starts has it before it too.
const MARK: u8 = 0xFF;

/// A deterministic Aho–Corasick automaton over character classes, as one dense table: a
/// character costs one table read for its class and one for the next state, where the
/// double array also decodes it, maps it, checks the transition and follows failure links.
#[derive(Clone)]
struct Dense {
    /// Per ASCII character: its class (0: in no literal; from any state, back to the root).
    ascii: [u8; 128],
    /// Per character of two UTF-8 bytes, at [`two_index`] of its bytes: its class, read
    /// without decoding the character.
    two: Box<[u8; TWO]>,
    /// The classes of the literals' characters of three and four bytes, sorted.
    wide: Vec<(char, u8)>,
    /// With word starts (see [`MARK`]): the class of the characters in no literal that
    /// break words, and what tells them; else 0 and `None`.
    other_break: (u8, Option<Breaks>),
    /// The state a walk begins in: the root, or with word starts the one after a mark
    /// (a text begins a word).
    initial: usize,
    /// The base-2 log of a row's length: the classes, rounded up to a power of two.
    shift: u32,
    /// `state << shift | class` -> the state after a character of the class.
    next: Vec<u16>,
    /// The states from this one on have outputs (some literal ends there); the root, 0,
    /// has none.
    first_output: usize,
    /// Per state from `first_output` on: its outputs, a range of `outputs`.
    output_ranges: Vec<(u32, u32)>,
    /// (value, length in bytes) of each literal that ends at a state, longest first.
    outputs: Vec<(u32, u32)>,
}

/// Where [`Dense::to_stops`] stopped.
enum Stop {
    /// At the text's end.
    End,
    /// With its list of stops full but for one.
    Full,
    /// Before a character of three or four bytes, which it leaves to its caller.
    Wide,
}

/// How many stops [`Dense::walk`] notes before it reports them.
const STOPS_LEN: usize = 256;

thread_local! {
    /// [`Dense::walk`]'s list of stops (state, end), kept between walks: made once, never
    /// cleared (only the stops noted in a walk are read).
    static STOPS: std::cell::Cell<Vec<(usize, usize)>> = const { std::cell::Cell::new(Vec::new()) };
}

/// The list of stops kept in `cell`, at least `len` long.
fn taken(
    cell: &'static std::thread::LocalKey<std::cell::Cell<Vec<(usize, usize)>>>,
    len: usize,
) -> Vec<(usize, usize)> {
    let mut stops = cell.take();
    if stops.len() < len {
        stops.resize(len, (0, 0));
    }
    stops
}

/// The length of [`Dense::two`]: [`two_index`] of every pair of bytes that can begin a
/// character of two (a lead byte below 0xE0) is below it.
const TWO: usize = 0x4000;

/// Where the class of the character of two UTF-8 bytes `lead`, `second` is in
/// [`Dense::two`]: the lead's bits above the second's, whose top two bits (`10`) flip two
/// of the lead's: distinct for distinct characters, and two instructions. (Masked to
/// [`TWO`], which changes nothing below 0xE0, so that the table read needs no bounds check.)
#[inline(always)]
fn two_index(lead: u8, second: u8) -> usize {
    ((usize::from(lead) << 6) ^ usize::from(second)) & (TWO - 1)
}

impl Dense {
    /// The automaton of the distinct, non-empty `literals` with their values, and whether
    /// each counts only at word starts, where a word can begin after a character for which
    /// `breaks` holds (`None`: no word starts, and none may count only there); `None` when
    /// its table would have more than `limit` entries, or it needs more than 255 classes
    /// or 65,536 states.
    fn new(literals: &[(&str, u32, bool)], breaks: Option<Breaks>, limit: usize) -> Option<Dense> {
        let mut chars: Vec<char> = literals.iter().flat_map(|(l, _, _)| l.chars()).collect();
        chars.sort_unstable();
        chars.dedup();
        if chars.len() > 253 {
            return None;
        }
        let breaks_after = |c: char| breaks.is_some_and(|b| b(c));
        // With word starts, one class more: characters in no literal that break words.
        let other_break = if breaks.is_some() { chars.len() + 1 } else { 0 };
        let classes = chars.len() + 1 + usize::from(breaks.is_some());
        let shift = classes.next_power_of_two().trailing_zeros();
        let width = 1usize << shift;
        // The Aho–Corasick automaton itself is the `aho-corasick` crate's (its contiguous
        // NFA, over bytes); this table only re-indexes its transitions by character class,
        // at character boundaries, found breadth first from its start state. A character in
        // no literal leads back to the start from every state (no literal can continue
        // through it), which is what class 0 does.
        use aho_corasick::automaton::Automaton as _;
        use aho_corasick::automaton::StateID;
        use aho_corasick::{Anchored, MatchKind, nfa::contiguous::NFA};
        // Each literal as the walk reads the text (see [`MARK`]): a mark after each character
        // that breaks words, and before one that counts only at word starts.
        let patterns = literals.iter().map(|&(l, _, word_start)| {
            let mut bytes = Vec::with_capacity(l.len() + 1);
            if word_start {
                bytes.push(MARK);
            }
            for c in l.chars() {
                bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                if breaks_after(c) {
                    bytes.push(MARK);
                }
            }
            bytes
        });
        let nfa = NFA::builder()
            .match_kind(MatchKind::Standard)
            .build(patterns)
            .ok()?;
        let start = nfa.start_state(Anchored::No).ok()?;
        // After a character that breaks words, the walk steps over a mark too.
        let marked = |s: StateID| nfa.next_state(Anchored::No, s, MARK);
        // Our number of each NFA state met, by its id (an offset into the NFA's own table,
        // so below the NFA's size in four-byte words): a hash map here was most of the cost.
        const UNSEEN: u32 = u32::MAX;
        let mut id_of = vec![UNSEEN; nfa.memory_usage() / 4 + 1];
        *id_of.get_mut(start.as_usize())? = 0;
        let mut nfa_state = vec![start];
        let mut rows: Vec<usize> = Vec::new();
        let mut i = 0;
        while let Some(&u) = nfa_state.get(i) {
            i += 1;
            rows.push(0);
            // The characters are sorted, so those that share a lead byte are neighbours:
            // the state after the lead byte is asked once for all of them (most literals
            // are Cyrillic, on two lead bytes), which halves the questions.
            let mut after_lead: Option<(u8, StateID)> = None;
            for &c in &chars {
                let mut utf8 = [0; 4];
                let bytes = c.encode_utf8(&mut utf8).as_bytes();
                let mid = match after_lead {
                    Some((lead, mid)) if lead == bytes[0] => mid,
                    _ => {
                        let mid = nfa.next_state(Anchored::No, u, bytes[0]);
                        after_lead = Some((bytes[0], mid));
                        mid
                    }
                };
                let mut v = bytes[1..]
                    .iter()
                    .fold(mid, |s, &byte| nfa.next_state(Anchored::No, s, byte));
                if breaks_after(c) {
                    v = marked(v);
                }
                let slot = id_of.get_mut(v.as_usize())?;
                if *slot == UNSEEN {
                    *slot = nfa_state.len() as u32;
                    nfa_state.push(v);
                }
                rows.push(*slot as usize);
            }
            if other_break > 0 {
                // A character in no literal leads to the root, and then over the mark.
                let v = marked(start);
                let slot = id_of.get_mut(v.as_usize())?;
                if *slot == UNSEEN {
                    *slot = nfa_state.len() as u32;
                    nfa_state.push(v);
                }
                rows.push(*slot as usize);
            }
            if nfa_state.len() * width > limit || nfa_state.len() > 1 << 16 {
                return None;
            }
        }
        let states = nfa_state.len();
        // Per state: (value, length) of the literals that end there, longest first.
        let outs: Vec<Vec<(u32, u32)>> = nfa_state
            .iter()
            .map(|&s| {
                // `match_len` answers only for match states.
                let count = if nfa.is_match(s) { nfa.match_len(s) } else { 0 };
                let mut list: Vec<(u32, u32)> = (0..count)
                    .map(|k| {
                        // The length in the text: marks take none.
                        let (literal, value, _) = literals[nfa.match_pattern(s, k).as_usize()];
                        (value, literal.len() as u32)
                    })
                    .collect();
                list.sort_unstable_by_key(|&(_, len)| std::cmp::Reverse(len));
                list
            })
            .collect();
        // States without outputs first (the root, 0, among them), so that one comparison
        // tells a state with outputs.
        let mut renumber = vec![0u16; states];
        let mut old_of = Vec::with_capacity(states);
        for pass in [false, true] {
            for (s, list) in outs.iter().enumerate() {
                if list.is_empty() != pass {
                    renumber[s] = old_of.len() as u16;
                    old_of.push(s);
                }
            }
        }
        let first_output = outs.iter().filter(|l| l.is_empty()).count();
        let row_len = classes;
        let mut table = vec![0u16; states * width];
        for u in 0..states {
            let row = usize::from(renumber[u]) * width;
            for (class, &v) in rows[u * row_len..(u + 1) * row_len].iter().enumerate() {
                table[row + class] = renumber[v];
            }
        }
        let mut outputs = Vec::new();
        let mut output_ranges = Vec::new();
        for &old in &old_of[first_output..] {
            let from = outputs.len() as u32;
            outputs.extend_from_slice(&outs[old]);
            output_ranges.push((from, outputs.len() as u32));
        }
        let mut ascii = [0u8; 128];
        let mut two = Box::new([0u8; TWO]);
        let mut wide = Vec::new();
        if other_break > 0 {
            // Every character that breaks words takes `other_break` unless it is in a literal
            // (below): one that is not leads nowhere but over the mark.
            for (b, slot) in ascii.iter_mut().enumerate() {
                if breaks_after(char::from(b as u8)) {
                    *slot = other_break as u8;
                }
            }
            for c in (0x80..0x800).filter_map(char::from_u32) {
                if breaks_after(c) {
                    let mut utf8 = [0; 2];
                    let bytes = c.encode_utf8(&mut utf8).as_bytes();
                    two[two_index(bytes[0], bytes[1])] = other_break as u8;
                }
            }
        }
        for (i, &c) in chars.iter().enumerate() {
            let class = (i + 1) as u8;
            match c as usize {
                cp @ 0..0x80 => ascii[cp] = class,
                0x80..0x800 => {
                    let mut utf8 = [0; 2];
                    let bytes = c.encode_utf8(&mut utf8).as_bytes();
                    two[two_index(bytes[0], bytes[1])] = class;
                }
                _ => wide.push((c, class)),
            }
        }
        let initial = if other_break > 0 {
            let old = *id_of.get(marked(start).as_usize())?;
            usize::from(*renumber.get(old as usize)?)
        } else {
            0
        };
        Some(Dense {
            ascii,
            two,
            wide,
            other_break: (other_break as u8, breaks),
            initial,
            shift,
            next: table,
            first_output,
            output_ranges,
            outputs,
        })
    }

    /// The memory it takes besides its own size.
    fn heap_bytes(&self) -> usize {
        self.two.len()
            + self.wide.len() * std::mem::size_of::<(char, u8)>()
            + self.next.len() * 2
            + self.output_ranges.len() * 8
            + self.outputs.len() * 8
    }

    /// Calls `found(value, start, end)` for every occurrence of every literal in `text`, in
    /// order of end (at one end, longest first).
    #[inline]
    fn walk(&self, text: &str, mut found: impl FnMut(u32, usize, usize)) {
        let mut stops = taken(&STOPS, STOPS_LEN);
        self.walk_from(text, (self.initial, 0), &mut stops, &mut found);
        STOPS.set(stops);
    }

    /// [`Dense::walk`] from `at` (a state, and the byte of `text` where it stands), noting
    /// stops in `stops` (at least two long).
    fn walk_from(
        &self,
        text: &str,
        mut at: (usize, usize),
        stops: &mut [(usize, usize)],
        found: &mut impl FnMut(u32, usize, usize),
    ) {
        loop {
            let mut n = 0;
            let stop = self.to_stops(text, &mut at, stops, &mut n);
            if let Stop::Wide = stop {
                // `to_stops` returns before a character with room for one more stop.
                (at.0, at.1) = self.step_one(text, at.0, at.1, stops, &mut n);
            }
            self.report(&stops[..n], found);
            if let Stop::End = stop {
                break;
            }
        }
    }

    /// Reports the literals that end at `stops`.
    #[inline(always)]
    fn report(&self, stops: &[(usize, usize)], found: &mut impl FnMut(u32, usize, usize)) {
        for &(state, end) in stops {
            let (from, to) = self.output_ranges[state - self.first_output];
            for &(value, len) in &self.outputs[from as usize..to as usize] {
                found(value, end - len as usize, end);
            }
        }
    }

    /// Walks the character at byte `i` of `text` (of any length) from `state`; notes a stop
    /// in `stops[*n]` (if there is room) when it leads to outputs. The state and byte after.
    #[inline(never)]
    fn step_one(
        &self,
        text: &str,
        state: usize,
        i: usize,
        stops: &mut [(usize, usize)],
        n: &mut usize,
    ) -> (usize, usize) {
        let (class, len) = match *text.as_bytes().get(i..).unwrap_or_default() {
            [b, ..] if b < 0x80 => (self.ascii[usize::from(b)], 1),
            [b, second, ..] if b < 0xE0 => (self.two[two_index(b, second)], 2),
            _ => self.wide_class(text, i),
        };
        let state = self.step(state, class);
        let at = (state, i + len);
        if state >= self.first_output
            && let Some(slot) = stops.get_mut(*n)
        {
            *slot = at;
            *n += 1;
        }
        at
    }

    /// The state after a character of class `class` in state `state`.
    #[inline(always)]
    fn step(&self, state: usize, class: u8) -> usize {
        usize::from(self.next[(state << self.shift) | usize::from(class)])
    }

    /// Walks `text` from `at` (a state, and the byte where it stands), noting each state with
    /// outputs and the byte after the character that led there in `stops[n..]` (`n` counts
    /// them), until the end (`at` there), or a character of three or four bytes (`at`
    /// there, before it), or until `stops` is full but for one (`at` after the last noted).
    /// Not inlined, and with no call in its loop: with few live values, the state, the place
    /// and the tables stay in registers (inlined into the prefilter's scan, they were kept
    /// on the stack, and a character cost half as much again). Stops are noted rather than
    /// returned one by one: a return and a call again cost more than a Cyrillic character.
    #[inline(never)]
    fn to_stops(
        &self,
        text: &str,
        at: &mut (usize, usize),
        stops: &mut [(usize, usize)],
        n: &mut usize,
    ) -> Stop {
        let bytes = text.as_bytes();
        let (mut state, i) = *at;
        let (next, shift, first) = (&self.next[..], self.shift, self.first_output);
        let (ascii, two) = (&self.ascii, &*self.two);
        let full = stops.len().saturating_sub(1);
        let mut k = *n;
        // While two bytes are left, a character of two bytes needs no check of its second:
        // the rest of the text is matched against two bytes, one check that is also the
        // loop's. `rest` is the text from the place `at` will tell.
        let mut rest = bytes.get(i..).unwrap_or_default();
        let stop = loop {
            let [b, second, ..] = *rest else {
                break Stop::End;
            };
            let class = if b < 0x80 {
                rest = &rest[1..];
                ascii[usize::from(b)]
            } else if b < 0xE0 {
                rest = &rest[2..];
                two[two_index(b, second)]
            } else {
                break Stop::Wide;
            };
            state = usize::from(next[(state << shift) | usize::from(class)]);
            if state >= first {
                if let Some(slot) = stops.get_mut(k) {
                    *slot = (state, bytes.len() - rest.len());
                }
                k += 1;
                if k >= full {
                    break Stop::Full;
                }
            }
        };
        let mut i = bytes.len() - rest.len();
        // The last character, if one byte is left: ASCII (`text` is UTF-8).
        if let (Stop::End, [b]) = (&stop, rest) {
            i += 1;
            let class = ascii.get(usize::from(*b)).copied().unwrap_or(0);
            state = usize::from(next[(state << shift) | usize::from(class)]);
            if state >= first {
                if let Some(slot) = stops.get_mut(k) {
                    *slot = (state, i);
                }
                k += 1;
            }
        }
        *at = (state, i);
        *n = k.min(stops.len());
        stop
    }

    /// The class of the character of three or four bytes at byte `i` of `text`, and its
    /// length. (Taking `i` by reference kept it in memory in the walk's loop.)
    #[inline(never)]
    fn wide_class(&self, text: &str, i: usize) -> (u8, usize) {
        let Some(c) = text.get(i..).and_then(|rest| rest.chars().next()) else {
            // Not at a character boundary: cannot be, the walk moves by whole characters.
            return (0, text.len().saturating_sub(i).max(1));
        };
        match self.wide.binary_search_by_key(&c, |&(w, _)| w) {
            Ok(k) => (self.wide[k].1, c.len_utf8()),
            Err(_) => match self.other_break {
                (class, Some(breaks)) if breaks(c) => (class, c.len_utf8()),
                _ => (0, c.len_utf8()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Every occurrence of every literal, as the naive search finds them, duplicates
        /// and literals inside others included, over Cyrillic, Latin, digits and characters
        /// of three and four bytes, by the dense table and by the double array.
        #[test]
        fn finds_what_a_naive_search_finds(
            literals in proptest::collection::vec(("[аәб1 .a—😀]{0,3}", any::<bool>()), 1..8),
            text in "[аәб1 .a—😀№Ғ,ӘЁ%]{0,30}",
            word_starts in any::<bool>(),
        ) {
            // Some literals count only where they begin a word (after a space, a comma, a
            // sign of three or four bytes other than a letter, at the start), if any do.
            let breaks: Option<Breaks> =
                word_starts.then_some(|c: char| !c.is_alphanumeric() && c != '%');
            let given: Vec<(&str, bool)> =
                literals.iter().map(|(l, w)| (l.as_str(), *w && word_starts)).collect();
            for limit in [DENSE_LIMIT, 0] {
                let mut got = Vec::new();
                if let Some(set) = LiteralSet::with_limit(&given, breaks, limit) {
                    let dense = matches!(set.automaton, Automaton::Dense(_));
                    prop_assert_eq!(dense, limit > 0);
                    set.for_each(&text, |i, s, e| got.push((s, e, i)));
                } else {
                    prop_assert!(literals.iter().all(|(l, _)| l.is_empty()));
                }
                let mut want = Vec::new();
                for (i, &(l, word_start)) in given.iter().enumerate().filter(|(_, l)| !l.0.is_empty()) {
                    // Overlapping occurrences too: search again one character on.
                    let mut at = 0;
                    while let Some(p) = text[at..].find(l) {
                        let s = at + p;
                        let opens = s == 0
                            || text[..s].chars().next_back().is_some_and(|c| breaks.is_some_and(|b| b(c)));
                        if !word_start || opens {
                            want.push((s, s + l.len(), i));
                        }
                        at = s + text[s..].chars().next().map_or(1, char::len_utf8);
                    }
                }
                // Reported in order of end.
                prop_assert!(got.windows(2).all(|w| w[0].1 <= w[1].1));
                got.sort_unstable();
                want.sort_unstable();
                prop_assert_eq!(got, want);
            }
        }
    }

    /// A text with more stops than the walk notes at a time (see [`STOPS_LEN`]), among
    /// characters of three bytes and ending in one of one byte, gets every occurrence.
    #[test]
    fn every_stop_of_a_long_text_is_reported() {
        let literals = ["а", "б а", " ", "—", "z"];
        let set = LiteralSet::new(&literals).expect("set");
        assert!(matches!(set.automaton, Automaton::Dense(_)));
        let half = "аб ".repeat(STOPS_LEN);
        let text = format!("{half}—{half}z");
        let mut got = Vec::new();
        set.for_each(&text, |i, s, e| got.push((s, e, i)));
        let mut want = Vec::new();
        for (i, l) in literals.iter().enumerate() {
            want.extend(text.match_indices(l).map(|(s, _)| (s, s + l.len(), i)));
        }
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got.len(), 6 * STOPS_LEN);
        assert_eq!(got, want);
    }

    /// Every character of two bytes has its own place in the dense table's class index.
    #[test]
    fn two_byte_characters_have_distinct_places() {
        let mut seen = vec![false; TWO];
        for c in (0x80..0x800).filter_map(char::from_u32) {
            let mut utf8 = [0; 2];
            let b = c.encode_utf8(&mut utf8).as_bytes();
            let at = two_index(b[0], b[1]);
            assert!(!seen[at], "{c:?}");
            seen[at] = true;
        }
    }

    /// The default rules' literals are small enough for the dense table; a set too big for
    /// it keeps the double array and finds the same.
    #[test]
    fn big_sets_keep_the_double_array() {
        let literals: Vec<String> = (0..200).map(|i| format!("слово{i}")).collect();
        let dense = LiteralSet::new(&literals).expect("set");
        assert!(matches!(dense.automaton, Automaton::Dense(_)));
        let given: Vec<(&str, bool)> = literals.iter().map(|l| (l.as_str(), false)).collect();
        let double = LiteralSet::with_limit(&given, None, 1000).expect("set");
        assert!(matches!(double.automaton, Automaton::Double(_)));
        let text = "слово1 слово150 слово199слово7";
        let (mut a, mut b) = (Vec::new(), Vec::new());
        dense.for_each(text, |i, s, e| a.push((i, s, e)));
        double.for_each(text, |i, s, e| b.push((i, s, e)));
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b);
        assert_eq!(a.len(), 8);
    }
}
