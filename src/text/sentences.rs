//! Normalised text → sentences, each with its language.
//!
//! Matches never cross a sentence, and the language of the sentence picks the rules that
//! run on it. News pages are lists of headlines as much as prose, so every line break ends a
//! sentence; inside a line a sentence ends at `.`, `!`, `?` or `…` followed by a space and a
//! character that is upper-case in the raw text (the normalised text has no case left), unless
//! the word before the stop is a known abbreviation (`тыс.`, `млн.`, `г.`).
//!
//! The places a sentence may end and the language votes are found while normalising (see
//! [`WordScan`]): the normaliser classifies every character anyway.

use super::Lang;
use super::normalize::Normalized;
use std::collections::HashSet;

/// A sentence: a byte range of the normalised text and the language it is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sentence {
    /// Start, as a normalised byte offset.
    pub start: usize,
    /// End (exclusive), as a normalised byte offset.
    pub end: usize,
    /// Language of the sentence.
    pub lang: Lang,
}

/// Letters that Kazakh Cyrillic has and Russian does not.
const KAZAKH_LETTERS: &[char] = &['ә', 'ғ', 'қ', 'ң', 'ө', 'ұ', 'ү', 'һ', 'і'];

/// Frequent Kazakh words spelt with Russian letters only.
const KAZAKH_PLAIN_WORDS: &[&str] = &[
    "мен",
    "бен",
    "пен",
    "жылы",
    "бойынша",
    "туралы",
    "деп",
    "осы",
    "арасында",
    "жоқ",
    "бар",
];

/// Bit `n` set: a word of [`KAZAKH_PLAIN_WORDS`] is `n` bytes long (all are shorter than
/// 64). Most words have none of these lengths, and this spares them the comparisons.
const PLAIN_WORD_LENGTHS: u64 = {
    let mut mask = 0;
    let mut i = 0;
    while i < KAZAKH_PLAIN_WORDS.len() {
        assert!(KAZAKH_PLAIN_WORDS[i].len() < 64);
        mask |= 1 << KAZAKH_PLAIN_WORDS[i].len();
        i += 1;
    }
    mask
};

/// Counts of evidence for each language in a stretch of text; a [`WordScan`] keeps them
/// from the start of the text, and a sentence's are the difference of two.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LangVotes {
    cyrillic_words: usize,
    kazakh_words: usize,
}

impl LangVotes {
    /// The votes of a stretch of text on its own.
    #[cfg(test)]
    fn of(text: &str) -> LangVotes {
        let mut scan = WordScan::default();
        scan.feed(text, 0);
        scan.finish(text.as_bytes(), text.len());
        scan.votes
    }

    /// Counts one word of `len` bytes, whose bytes are `word()`'s two slices, one after the
    /// other (a word the normaliser finds may have begun in text it wrote before; asked only
    /// of the few words as long as a plain Kazakh word); `classes` is the union of its
    /// characters' classes (see [`CLASSES`]): whether it has a Cyrillic and a Kazakh-only
    /// letter.
    #[inline(always)]
    pub(crate) fn count_word<'w>(
        &mut self,
        len: usize,
        classes: u8,
        word: impl FnOnce() -> (&'w [u8], &'w [u8]),
    ) {
        if classes & CYRILLIC != 0 {
            self.cyrillic_words += 1;
            let plain = len < 64 && PLAIN_WORD_LENGTHS & (1 << len) != 0 && {
                let (head, tail) = word();
                is_plain_kazakh_word(head, tail)
            };
            if classes & KAZAKH != 0 || plain {
                self.kazakh_words += 1;
            }
        }
    }

    /// The votes counted since `before` was taken.
    fn since(self, before: LangVotes) -> LangVotes {
        LangVotes {
            cyrillic_words: self.cyrillic_words - before.cyrillic_words,
            kazakh_words: self.kazakh_words - before.kazakh_words,
        }
    }

    /// The language the votes show, or `None` when they are too few to say.
    fn decide(self) -> Option<Lang> {
        if self.cyrillic_words == 0 {
            return None;
        }
        if self.kazakh_words * 6 >= self.cyrillic_words.max(2) {
            Some(Lang::Kk)
        } else if self.kazakh_words == 0 && self.cyrillic_words >= 4 {
            Some(Lang::Ru)
        } else if self.kazakh_words == 0 {
            None
        } else {
            Some(Lang::Ru)
        }
    }
}

/// Whether `head` then `tail` spell one of [`KAZAKH_PLAIN_WORDS`]. A word is most often
/// all in `tail`, compared with each plain word in place (the comparisons of constant
/// lengths unrolled); one that is not is put together first.
#[inline(always)]
fn is_plain_kazakh_word(head: &[u8], tail: &[u8]) -> bool {
    if head.is_empty() {
        KAZAKH_PLAIN_WORDS.iter().any(|w| w.as_bytes() == tail)
    } else {
        is_plain_kazakh_word_in_two(head, tail)
    }
}

/// [`is_plain_kazakh_word`] of a word in two pieces. Not inlined: rare.
#[inline(never)]
fn is_plain_kazakh_word_in_two(head: &[u8], tail: &[u8]) -> bool {
    let mut buf = [0; 64];
    let len = head.len() + tail.len();
    let Some(word) = buf.get_mut(..len) else {
        return false;
    };
    word[..head.len()].copy_from_slice(head);
    word[head.len()..].copy_from_slice(tail);
    KAZAKH_PLAIN_WORDS.iter().any(|w| w.as_bytes() == word)
}

fn is_cyrillic(c: char) -> bool {
    ('\u{0400}'..='\u{04FF}').contains(&c)
}

/// Class bit: `char::is_alphanumeric`.
pub(crate) const ALNUM: u8 = 1;
/// Class bit: [`is_cyrillic`].
const CYRILLIC: u8 = 2;
/// Class bit: one of [`KAZAKH_LETTERS`].
const KAZAKH: u8 = 4;
/// The classes of a lower-case Russian letter (checked by
/// `tests::russian_letters_are_cyrillic_letters`).
pub(crate) const RUSSIAN: u8 = ALNUM | CYRILLIC;
/// Class bit: a sentence may end here (`\n`, `.`, `!`, `?`, `…`).
pub(crate) const STOP: u8 = 8;

/// [`CLASSES`], indexed by [`short_index`].
type Classes = [u8; SHORT_INDEXED];

/// The classes of every character below U+0800 (one and two UTF-8 bytes), which is all of
/// Cyrillic: the Unicode lookups behind `is_alphanumeric` are slow outside ASCII, and the
/// language votes make one per character. Computed from [`class_of`]. The indexes of longer
/// characters are 0, so the fast path leaves them to the general one.
static CLASSES: std::sync::LazyLock<Box<Classes>> = std::sync::LazyLock::new(|| {
    let mut table = Box::new([0; SHORT_INDEXED]);
    for (index, c) in short_chars() {
        table[index] = class_of(c);
    }
    table
});

/// The classes of a character of normalised text (see [`ALNUM`] and the bits after it).
pub(crate) fn class_of(c: char) -> u8 {
    let mut class = 0;
    if is_alphanumeric(c) {
        class |= ALNUM;
    }
    if is_cyrillic(c) {
        class |= CYRILLIC;
    }
    if KAZAKH_LETTERS.contains(&c) {
        class |= KAZAKH;
    }
    if matches!(c, '\n' | '.' | '!' | '?' | '…') {
        class |= STOP;
    }
    class
}

use super::class::{SHORT_INDEXED, is_alphanumeric, short_chars, short_index};

/// A character where a sentence may end (a line break, `.`, `!`, `?` or `…`) in normalised
/// text, found by the normaliser (see [`WordScan`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stop {
    /// Its byte offset.
    pub(crate) at: usize,
    /// The byte offset just past it.
    pub(crate) end: usize,
    /// The votes of the text before it, from the start of the text.
    votes: LangVotes,
}

/// The language votes and the [`Stop`]s of a normalised text, counted word by word while
/// the normaliser writes it: the letters it classifies for normalising are the ones the
/// votes need, so the text is not walked a second time to split it into sentences. Words are
/// runs of alphanumeric characters of the normalised text; every other character ends one.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct WordScan {
    /// The votes of the words ended so far.
    pub(crate) votes: LangVotes,
    /// Where the current word starts (normalised byte offset).
    pub(crate) word_start: usize,
    /// The union of the classes of the current word's characters so far.
    pub(crate) classes: u8,
    /// The stops so far.
    pub(crate) stops: Vec<Stop>,
}

impl WordScan {
    /// Takes one character of class `class`, `len` bytes at normalised offset `at`;
    /// `text` is the normalised text up to `at` at least (for the word it may end).
    #[inline(always)]
    pub(crate) fn step(&mut self, text: &[u8], at: usize, len: usize, class: u8) {
        if class & ALNUM != 0 {
            self.classes |= class;
            return;
        }
        self.end_word(text, at);
        self.word_start = at + len;
        if class & STOP != 0 {
            self.push_stop(at, len);
        }
    }

    /// Counts the current word, which ends at `end`, and starts none.
    #[inline(always)]
    pub(crate) fn end_word(&mut self, text: &[u8], end: usize) {
        let (start, classes) = (self.word_start, std::mem::take(&mut self.classes));
        if classes != 0 {
            self.votes.count_word(end - start, classes, || {
                (text.get(start..end).unwrap_or_default(), &[])
            });
        }
    }

    /// Notes a stop of `len` bytes at `at`. Not inlined: a few per sentence.
    #[inline(never)]
    pub(crate) fn push_stop(&mut self, at: usize, len: usize) {
        self.stops.push(Stop {
            at,
            end: at + len,
            votes: self.votes,
        });
    }

    /// Takes every character of `text[from..]`, the general way.
    pub(crate) fn feed(&mut self, text: &str, from: usize) {
        let table = &*CLASSES;
        let bytes = text.as_bytes();
        for (i, c) in text.get(from..).unwrap_or_default().char_indices() {
            let at = from + i;
            let len = c.len_utf8();
            let class = match bytes[at..] {
                [b] | [b, ..] if b < 0x80 => table[usize::from(b)],
                [b, b1, ..] if len == 2 => table[short_index(b, b1)],
                _ => class_of(c),
            };
            self.step(bytes, at, len, class);
        }
    }

    /// The text was cut back to `len` bytes, the character just before which is taken
    /// again with what follows it (see `normalize`): a stop it was is forgotten. Nothing else
    /// needs undoing for the characters this is asked for (see `normalize::RISKY`).
    pub(crate) fn cut(&mut self, len: usize) {
        while self.stops.last().is_some_and(|s| s.at >= len) {
            self.stops.pop();
        }
    }

    /// Counts the last word, which ends the text at `end`.
    pub(crate) fn finish(&mut self, text: &[u8], end: usize) {
        self.end_word(text, end);
    }
}

/// The main language of a document: the language of most of its sentences' text (by bytes),
/// counting only sentences whose language is clear; Russian when nothing tells.
pub fn main_language(sentences: &[(usize, usize, Option<Lang>)]) -> Lang {
    let (mut ru, mut kk) = (0usize, 0usize);
    for &(s, e, lang) in sentences {
        match lang {
            Some(Lang::Ru) => ru += e - s,
            Some(Lang::Kk) => kk += e - s,
            None => {}
        }
    }
    if kk > ru { Lang::Kk } else { Lang::Ru }
}

/// Splits a normalised document into sentences; `raw` is the text before normalisation,
/// consulted for upper case, and `abbreviations` are normalised words after which a full stop
/// does not end a sentence. Sentences too short to tell their language get the document's
/// main language (see [`main_language`]). Returns the sentences and the main language.
pub fn split(
    norm: &Normalized,
    raw: &str,
    abbreviations: &HashSet<String>,
) -> (Vec<Sentence>, Lang) {
    let raw_sentences = split_undecided(norm, raw, abbreviations);
    let main = main_language(&raw_sentences);
    let sentences = raw_sentences
        .into_iter()
        .map(|(start, end, lang)| Sentence {
            start,
            end,
            lang: lang.unwrap_or(main),
        })
        .collect();
    (sentences, main)
}

/// Splits the text into sentences, each with the language its votes show: both from the
/// stops and votes the normaliser counted as it wrote the text (see [`WordScan`]), so the
/// text is not walked again here.
fn split_undecided(
    norm: &Normalized,
    raw: &str,
    abbreviations: &HashSet<String>,
) -> Vec<(usize, usize, Option<Lang>)> {
    let text = norm.text.as_str();
    let abbreviations = Abbreviations {
        words: abbreviations,
        longest: abbreviations.iter().map(String::len).max().unwrap_or(0),
    };
    // Room for a sentence every 64 bytes: more than news text has, so the vector is not
    // grown while it fills.
    let mut out = Vec::with_capacity(text.len() / 64 + 4);
    let mut push = |start: usize, end: usize, votes: LangVotes| {
        let slice = &text[start..end];
        // Empty once trimmed, from the start alone. Most sentences start with a character
        // that is plainly not a space (printable ASCII, Cyrillic), which is enough to tell.
        let plain = slice
            .as_bytes()
            .first()
            .is_some_and(|&b| (0x21..0x7F).contains(&b) || b & 0xFE == 0xD0);
        if !plain && slice.trim_start().is_empty() {
            return;
        }
        out.push((start, end, votes.decide()));
    };
    let mut start = 0;
    let mut before = LangVotes::default();
    for stop in &norm.scan.stops {
        let end = if text.as_bytes()[stop.at] == b'\n' {
            stop.at
        } else if ends_sentence(text, raw, norm, start, stop.at, stop.end, &abbreviations) {
            stop.end
        } else {
            continue;
        };
        push(start, end, stop.votes.since(before));
        start = stop.end;
        before = stop.votes;
    }
    push(start, text.len(), norm.scan.votes.since(before));
    out
}

fn ends_sentence(
    text: &str,
    raw: &str,
    norm: &Normalized,
    sentence_start: usize,
    stop: usize,
    after: usize,
    abbreviations: &Abbreviations<'_>,
) -> bool {
    let rest = &text[after..];
    let spaces = rest.bytes().take_while(|&b| b == b' ').count();
    if spaces == 0 {
        return false; // "87.45", "т.е." and the like: no space after the stop
    }
    let trimmed = &rest[spaces..];
    let next_pos = text.len() - trimmed.len();
    let Some(next) = trimmed.chars().next() else {
        return true;
    };
    if next == '\n' {
        return true;
    }
    let raw_next = raw[norm.map.raw_start(next_pos)..]
        .chars()
        .next()
        .unwrap_or(next);
    let starts_new = raw_next.is_uppercase() || next.is_ascii_digit() || matches!(next, '"' | '-');
    if !starts_new {
        return false;
    }
    let word_start = text[sentence_start..stop]
        .char_indices()
        .rev()
        .find(|&(_, c)| !is_alphanumeric(c) && c != '.')
        .map_or(sentence_start, |(p, c)| sentence_start + p + c.len_utf8());
    let word = &text[word_start..stop];
    // Hashing a word costs more than the rest of this; most are longer than any abbreviation.
    word.len() > abbreviations.longest || !abbreviations.words.contains(word)
}

/// The abbreviations, with the byte length of the longest.
struct Abbreviations<'a> {
    words: &'a HashSet<String>,
    longest: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalize::normalize;
    use proptest::prelude::*;

    /// The straightforward vote count the table-driven one must agree with.
    fn reference_votes(text: &str) -> (usize, usize) {
        let mut v = (0, 0);
        for word in text.split(|c: char| !c.is_alphanumeric()) {
            if !word.chars().any(is_cyrillic) {
                continue;
            }
            v.0 += 1;
            if word.chars().any(|c| KAZAKH_LETTERS.contains(&c))
                || KAZAKH_PLAIN_WORDS.contains(&word)
            {
                v.1 += 1;
            }
        }
        v
    }

    /// Checks the votes of `text` counted a character at a time and, when `text` is
    /// already normalised, by the normaliser's fast paths, and its stops.
    fn assert_votes_as_reference(text: &str) {
        let v = LangVotes::of(text);
        assert_eq!(
            (v.cyrillic_words, v.kazakh_words),
            reference_votes(text),
            "votes of {text:?}"
        );
        assert_stops_as_reference(text, &WordScan::of(text).stops);
        let norm = normalize(text);
        if norm.text == text {
            let v = norm.scan.votes;
            assert_eq!(
                (v.cyrillic_words, v.kazakh_words),
                reference_votes(text),
                "votes of {text:?} while normalising"
            );
            assert_stops_as_reference(text, &norm.scan.stops);
        }
    }

    /// Every `\n`, `.`, `!`, `?` and `…` of `text` is a stop, with the votes of the text
    /// before it.
    fn assert_stops_as_reference(text: &str, stops: &[Stop]) {
        let expected: Vec<(usize, usize, (usize, usize))> = text
            .char_indices()
            .filter(|&(_, c)| matches!(c, '\n' | '.' | '!' | '?' | '…'))
            .map(|(at, c)| (at, at + c.len_utf8(), reference_votes(&text[..at])))
            .collect();
        let found: Vec<(usize, usize, (usize, usize))> = stops
            .iter()
            .map(|s| (s.at, s.end, (s.votes.cyrillic_words, s.votes.kazakh_words)))
            .collect();
        assert_eq!(found, expected, "stops of {text:?}");
    }

    impl WordScan {
        /// The scan of `text`, a character at a time.
        fn of(text: &str) -> WordScan {
            let mut scan = WordScan::default();
            scan.feed(text, 0);
            scan.finish(text.as_bytes(), text.len());
            scan
        }
    }

    proptest! {
        /// The normaliser's fast paths find the stops and votes of the text it writes.
        #[test]
        fn stops_and_votes_while_normalising_match_the_reference(parts in proptest::collection::vec(
            prop_oneof![
                proptest::sample::select(KAZAKH_PLAIN_WORDS).prop_map(str::to_string),
                "[a-z0-9а-яёәғқңөұүһі .,!?…\n\"'-]{0,12}",
                any::<String>(),
            ],
            0..12,
        )) {
            let raw: String = parts.concat();
            let norm = normalize(&raw);
            prop_assert_eq!(&norm.scan, &WordScan::of(&norm.text));
        }
    }

    #[test]
    fn table_alphanumeric_is_std_alphanumeric() {
        for c in (0..0x3_0000u32).filter_map(char::from_u32) {
            assert_eq!(is_alphanumeric(c), c.is_alphanumeric(), "{c:?}");
        }
    }

    #[test]
    fn russian_letters_are_cyrillic_letters() {
        let table = &*CLASSES;
        for c in 'а'..='я' {
            let b = c.to_string().into_bytes();
            assert_eq!(table[short_index(b[0], b[1])], RUSSIAN, "{c:?}");
        }
    }

    #[test]
    fn votes_match_the_reference_for_every_character_below_u0800() {
        for c in (0..0x800u32).filter_map(char::from_u32) {
            for s in [
                format!("{c}"),
                format!("мен{c}"),
                format!("{c}мен"),
                format!("ж{c}қ x"),
                format!("a{c}b мен"),
                format!("{c}\u{0301}ж"),
            ] {
                assert_votes_as_reference(&s);
            }
        }
    }

    proptest! {
        #[test]
        fn votes_match_the_reference(parts in proptest::collection::vec(
            prop_oneof![
                proptest::sample::select(KAZAKH_PLAIN_WORDS).prop_map(str::to_string),
                "[a-z0-9а-яёәғқңөұүһі .,\"'-]{0,12}",
                any::<String>(),
            ],
            0..12,
        )) {
            let text: String = parts.concat();
            let v = LangVotes::of(&text);
            prop_assert_eq!((v.cyrillic_words, v.kazakh_words), reference_votes(&text));
        }
    }

    fn sentences(raw: &str) -> Vec<(String, Lang)> {
        let n = normalize(raw);
        let abbr: HashSet<String> = ["тыс", "г"].iter().map(|s| s.to_string()).collect();
        split(&n, raw, &abbr)
            .0
            .into_iter()
            .map(|s| (n.text[s.start..s.end].trim().to_string(), s.lang))
            .collect()
    }

    #[test]
    fn splits_on_stops_before_capitals_and_on_lines() {
        let s =
            sentences("Добыча выросла на 5 тыс. тонн. Экспорт упал.\nҚазақстан мен Қытай келісті.");
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].0, "добыча выросла на 5 тыс. тонн.");
        assert_eq!(s[2].1, Lang::Kk);
        assert_eq!(s[0].1, Lang::Ru);
    }

    #[test]
    fn abbreviation_before_capital_does_not_split() {
        let s = sentences("В 2024 г. Казахстан добыл больше.");
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn multibyte_punctuation_before_a_stop_is_safe() {
        assert_eq!(sentences("Приказ №5. Далее текст").len(), 2);
        assert_eq!(sentences("Участок №. Далее").len(), 2);
    }

    #[test]
    fn words_ending_at_a_space_are_counted_as_the_general_path_counts_them() {
        // Russian letters then a space at every offset of the eight-byte chunk, plain
        // Kazakh words among them (their length is what the count compares first).
        for text in [
            "мен бен пен деп осы жоқ бар жылы туралы бойынша арасында",
            "а аб абв абвг абвгд абвгде абвгдеж абвгдежз абвгдежзи мен",
            "ж мен ж бен жжжжжжжж мен, бар. осы\nдеп  туралы",
        ] {
            assert_votes_as_reference(text);
            assert_votes_as_reference(&format!("{text} "));
        }
    }

    #[test]
    fn the_longest_abbreviation_still_counts() {
        // "тыс" is the longest of the test's abbreviations.
        assert_eq!(sentences("Добыли 5 тыс. Тонн больше.").len(), 1);
        assert_eq!(sentences("Добыли пять тысяч. Тонн больше.").len(), 2);
    }

    #[test]
    fn blank_stretches_between_stops_are_not_sentences() {
        let s = sentences("Первое.  \n \u{00A0}\n\tВторое. \n");
        assert_eq!(s.len(), 2, "{s:?}");
    }

    #[test]
    fn decimal_point_does_not_split() {
        assert_eq!(sentences("USD 87.45 и EUR 102.29").len(), 1);
    }
}
