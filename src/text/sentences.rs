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
    fn of(text: &str) -> LangVotes {
        let table = &*CLASSES;
        let bytes = text.as_bytes();
        let mut v = LangVotes::default();
        // The current word (a run of alphanumeric characters): where it starts, and the
        // union of its characters' classes (one `|` a character, tested once a word).
        let (mut word_start, mut classes) = (0, 0);
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let (class, len) = if b < 0x80 {
                (table[usize::from(b)], 1)
            } else if b < 0xE0 && i + 1 < bytes.len() {
                (table[decode2(b, bytes[i + 1])], 2)
            } else {
                // Three- and four-byte characters: neither Cyrillic nor Kazakh.
                let c = text[i..].chars().next().unwrap_or(' ');
                (if c.is_alphanumeric() { ALNUM } else { 0 }, c.len_utf8())
            };
            if class & ALNUM != 0 {
                classes |= class;
            } else {
                v.count_word(&text[word_start..i], classes);
                (word_start, classes) = (i + len, 0);
            }
            i += len;
        }
        v.count_word(&text[word_start..], classes);
        v
    }

    /// Counts one word; `classes` is the union of its characters' classes (see [`CLASSES`]):
    /// whether it has a Cyrillic and a Kazakh-only letter.
    #[inline]
    fn count_word(&mut self, word: &str, classes: u8) {
        let kazakh = classes & KAZAKH != 0;
        if classes & CYRILLIC != 0 {
            self.cyrillic_words += 1;
            let plain = word.len() < 64
                && PLAIN_WORD_LENGTHS & (1 << word.len()) != 0
                && KAZAKH_PLAIN_WORDS.contains(&word);
            if kazakh || plain {
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

/// The classes of every character below U+0800 (one and two UTF-8 bytes), which is all of
/// Cyrillic: the Unicode lookups behind `is_alphanumeric` are slow outside ASCII, and the
/// language votes make one per character. Computed from the predicates themselves.
static CLASSES: std::sync::LazyLock<[u8; 0x800]> = std::sync::LazyLock::new(|| {
    let mut table = [0; 0x800];
    for (cp, class) in table.iter_mut().enumerate() {
        let Some(c) = u32::try_from(cp).ok().and_then(char::from_u32) else {
            continue;
        };
        if c.is_alphanumeric() {
            *class |= ALNUM;
        }
        if is_cyrillic(c) {
            *class |= CYRILLIC;
        }
        if KAZAKH_LETTERS.contains(&c) {
            *class |= KAZAKH;
        }
    }
    table
});

use super::class::is_alphanumeric;

/// The code point of a two-byte UTF-8 sequence.
fn decode2(b0: u8, b1: u8) -> usize {
    (usize::from(b0 & 0x1F) << 6) | usize::from(b1 & 0x3F)
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

fn split_undecided(
    norm: &Normalized,
    raw: &str,
    abbreviations: &HashSet<String>,
) -> Vec<(usize, usize, Option<Lang>)> {
    let text = norm.text.as_str();
    let mut out = Vec::new();
    let mut start = 0;
    let mut push = |start: usize, end: usize| {
        let slice = &text[start..end];
        if slice.trim().is_empty() {
            return;
        }
        out.push((start, end, LangVotes::of(slice).decide()));
    };
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(found) = bytes[i..].iter().position(|&b| MAY_END[usize::from(b)]) {
        i += found;
        let b = bytes[i];
        if b == b'\n' {
            push(start, i);
            start = i + 1;
        } else if matches!(b, b'.' | b'!' | b'?') || bytes[i..].starts_with("…".as_bytes()) {
            let stop_len = if b == b'.' || b == b'!' || b == b'?' {
                1
            } else {
                '…'.len_utf8()
            };
            let after = i + stop_len;
            if ends_sentence(text, raw, norm, start, i, after, abbreviations) {
                push(start, after);
                start = after;
            }
            i = after;
            continue;
        }
        i += 1;
    }
    push(start, text.len());
    out
}

/// Bytes where a sentence may end: a line break, `.`, `!`, `?`, and the first byte of `…`.
static MAY_END: [bool; 256] = {
    let mut t = [false; 256];
    t[b'\n' as usize] = true;
    t[b'.' as usize] = true;
    t[b'!' as usize] = true;
    t[b'?' as usize] = true;
    t["…".as_bytes()[0] as usize] = true;
    t
};

fn ends_sentence(
    text: &str,
    raw: &str,
    norm: &Normalized,
    sentence_start: usize,
    stop: usize,
    after: usize,
    abbreviations: &HashSet<String>,
) -> bool {
    let rest = &text[after..];
    let trimmed = rest.trim_start_matches(' ');
    if trimmed.len() == rest.len() {
        return false; // "87.45", "т.е." and the like: no space after the stop
    }
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
    !abbreviations.contains(word)
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
    fn decimal_point_does_not_split() {
        assert_eq!(sentences("USD 87.45 и EUR 102.29").len(), 1);
    }
}
