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

/// Counts of evidence for each language in a stretch of text.
#[derive(Debug, Default, Clone, Copy)]
struct LangVotes {
    cyrillic_words: usize,
    kazakh_words: usize,
}

impl LangVotes {
    fn of(text: &str) -> LangVotes {
        let mut v = LangVotes::default();
        for word in text.split(|c: char| !c.is_alphanumeric()) {
            if !word.chars().any(is_cyrillic) {
                continue;
            }
            v.cyrillic_words += 1;
            if word.chars().any(|c| KAZAKH_LETTERS.contains(&c))
                || KAZAKH_PLAIN_WORDS.contains(&word)
            {
                v.kazakh_words += 1;
            }
        }
        v
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
    while i < bytes.len() {
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
        .find(|&(_, c)| !c.is_alphanumeric() && c != '.')
        .map_or(sentence_start, |(p, c)| sentence_start + p + c.len_utf8());
    let word = &text[word_start..stop];
    !abbreviations.contains(word)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalize::normalize;

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
