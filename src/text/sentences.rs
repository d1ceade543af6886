//! Normalised text → sentences, each with its language.
//!
//! Matches never cross a sentence, and the language of the sentence picks the rules that
//! run on it. News pages are lists of headlines as much as prose, so every line break ends a
//! sentence; inside a line a sentence ends at `.`, `!`, `?` or `…` followed by a space and a
//! character that is upper-case in the raw text (the normalised text has no case left), unless
//! the word before the stop is a known abbreviation (`тыс.`, `млн.`, `г.`).

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

/// Counts of evidence for each language in a stretch of text.
#[derive(Debug, Default, Clone, Copy)]
struct LangVotes {
    cyrillic_words: usize,
    kazakh_words: usize,
}

impl LangVotes {
    /// The votes of a stretch of text on its own (the splitter counts them while it scans).
    #[cfg(test)]
    fn of(text: &str) -> LangVotes {
        let mut scan = Scan::default();
        let mut i = 0;
        while let Some(stop) = scan.next_stop(text, i) {
            i = stop.end;
        }
        scan.end_word(text.as_bytes(), text.len());
        scan.votes
    }

    /// Counts one word, `bytes[start..end]`; `classes` is the union of its characters' classes
    /// (see [`CLASSES`]): whether it has a Cyrillic and a Kazakh-only letter.
    #[inline(always)]
    fn count_word(&mut self, bytes: &[u8], start: usize, end: usize, classes: u8) {
        if classes & CYRILLIC != 0 {
            self.cyrillic_words += 1;
            let len = end - start;
            let plain = len < 64
                && PLAIN_WORD_LENGTHS & (1 << len) != 0
                && KAZAKH_PLAIN_WORDS
                    .iter()
                    .any(|w| w.as_bytes() == &bytes[start..end]);
            if classes & KAZAKH != 0 || plain {
                self.kazakh_words += 1;
            }
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

fn is_cyrillic(c: char) -> bool {
    ('\u{0400}'..='\u{04FF}').contains(&c)
}

/// Class bit: `char::is_alphanumeric`.
const ALNUM: u8 = 1;
/// Class bit: [`is_cyrillic`].
const CYRILLIC: u8 = 2;
/// Class bit: one of [`KAZAKH_LETTERS`].
const KAZAKH: u8 = 4;
/// The classes of a lower-case Russian letter (checked by
/// `tests::russian_letters_are_cyrillic_letters`).
const RUSSIAN: u8 = ALNUM | CYRILLIC;
/// Class bit: a sentence may end here (`\n`, `.`, `!`, `?`; `…` is three bytes long and
/// checked apart).
const STOP: u8 = 8;

/// [`CLASSES`], indexed by [`short_index`].
type Classes = [u8; SHORT_INDEXED];

/// The classes of every character below U+0800 (one and two UTF-8 bytes), which is all of
/// Cyrillic: the Unicode lookups behind `is_alphanumeric` are slow outside ASCII, and the
/// language votes make one per character. Computed from the predicates themselves. The
/// indexes of longer characters are 0, so the fast path leaves them to the general one.
static CLASSES: std::sync::LazyLock<Box<Classes>> = std::sync::LazyLock::new(|| {
    let mut table = Box::new([0; SHORT_INDEXED]);
    for (index, c) in short_chars() {
        let class = &mut table[index];
        if c.is_alphanumeric() {
            *class |= ALNUM;
        }
        if is_cyrillic(c) {
            *class |= CYRILLIC;
        }
        if KAZAKH_LETTERS.contains(&c) {
            *class |= KAZAKH;
        }
        if matches!(c, '\n' | '.' | '!' | '?') {
            *class |= STOP;
        }
    }
    table
});

use super::class::{SHORT_INDEXED, is_alphanumeric, lower_case_russian, short_chars, short_index};

/// A character where a sentence may end (a line break, `.`, `!`, `?` or `…`), where
/// [`Scan::next_stop`] stopped.
#[derive(Debug, Clone, Copy)]
struct Stop {
    /// Its byte offset.
    at: usize,
    /// The byte offset just past it.
    end: usize,
}

/// One pass over a text that counts the language votes word by word and stops where a
/// sentence may end, so that the splitter looks for sentence ends on the same pass.
#[derive(Debug, Default)]
struct Scan {
    votes: LangVotes,
    /// Where the current word starts.
    word_start: usize,
    /// The union of the classes of the current word's characters so far.
    classes: u8,
}

impl Scan {
    /// Counts the words from byte `i` on up to the next [`Stop`] and returns it (`None` at the
    /// end of the text; the last word is left to [`Scan::end_word`]). Not inlined: on its own
    /// the loop over every character keeps everything in registers.
    #[inline(never)]
    fn next_stop(&mut self, text: &str, i: usize) -> Option<Stop> {
        let bytes = text.as_bytes();
        let table = &*CLASSES;
        let mut rest = bytes.get(i..).unwrap_or_default();
        // The state in locals (registers) while the loop runs, written back when it returns.
        let mut classes = self.classes;
        let mut votes = self.votes;
        let mut word_start = self.word_start;
        loop {
            // The alphanumeric characters of a word.
            while let Some(&b) = rest.first() {
                if b & 0xFE == 0xD0
                    && let Some(chunk) = rest.first_chunk::<8>()
                {
                    // Russian letters come by the dozen: up to four at once.
                    let len = lower_case_russian(u64::from_le_bytes(*chunk));
                    rest = &rest[len..];
                    if len > 0 {
                        classes |= RUSSIAN;
                        if len == 8 {
                            continue;
                        }
                        // Most words end at a space before the next one: the word is
                        // counted here, as the code below would.
                        if chunk.get(len) == Some(&b' ') {
                            let at = bytes.len() - rest.len();
                            votes.count_word(bytes, word_start, at, classes);
                            classes = 0;
                            word_start = at + 1;
                            rest = &rest[1..];
                            continue;
                        }
                    }
                }
                // One character the table way: one the above does not take, as the loop
                // would find it again. While two bytes are left, a character's first byte
                // has one after it; a last byte alone is left to the code below.
                let [b, b1, ..] = *rest else {
                    break;
                };
                let class = table[short_index(b, b1)];
                if class & ALNUM == 0 {
                    break;
                }
                classes |= class;
                rest = &rest[if b < 0x80 { 1 } else { 2 }..];
            }
            let at = bytes.len() - rest.len();
            let Some(&b) = rest.first() else {
                self.classes = classes;
                self.votes = votes;
                self.word_start = word_start;
                return None;
            };
            let (len, stop) = if b < 0x80 {
                let class = table[usize::from(b)];
                if class & ALNUM != 0 {
                    // The last byte, which the loop above leaves.
                    classes |= class;
                    rest = &rest[1..];
                    continue;
                }
                (1, class & STOP != 0)
            } else if b < 0xE0 {
                (2, false)
            } else {
                // Three- and four-byte characters: neither Cyrillic nor Kazakh.
                let c = text[at..].chars().next().unwrap_or(' ');
                if is_alphanumeric(c) {
                    classes |= ALNUM;
                    rest = &rest[c.len_utf8()..];
                    continue;
                }
                (c.len_utf8(), c == '…')
            };
            votes.count_word(bytes, word_start, at, classes);
            classes = 0;
            word_start = at + len;
            rest = &rest[len..];
            if stop {
                self.classes = 0;
                self.votes = votes;
                self.word_start = word_start;
                return Some(Stop { at, end: at + len });
            }
        }
    }

    /// Counts the current word, which ends at byte `end`.
    fn end_word(&mut self, bytes: &[u8], end: usize) {
        self.votes
            .count_word(bytes, self.word_start, end, self.classes);
        self.classes = 0;
    }

    /// Starts the votes of a new sentence at byte `start`, just past a stop.
    fn restart(&mut self, start: usize) {
        self.votes = LangVotes::default();
        self.word_start = start;
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

/// Splits the text into sentences and counts each one's language votes, on one pass.
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
    let mut scan = Scan::default();
    let mut start = 0;
    let mut i = 0;
    while let Some(stop) = scan.next_stop(text, i) {
        i = stop.end;
        let end = if text.as_bytes()[stop.at] == b'\n' {
            stop.at
        } else if ends_sentence(text, raw, norm, start, stop.at, stop.end, &abbreviations) {
            stop.end
        } else {
            continue;
        };
        push(start, end, scan.votes);
        start = stop.end;
        scan.restart(start);
    }
    scan.end_word(text.as_bytes(), text.len());
    push(start, text.len(), scan.votes);
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

    fn assert_votes_as_reference(text: &str) {
        let v = LangVotes::of(text);
        assert_eq!(
            (v.cyrillic_words, v.kazakh_words),
            reference_votes(text),
            "votes of {text:?}"
        );
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
