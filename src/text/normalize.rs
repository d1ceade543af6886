//! Raw text → text normalised for matching, with an [`OffsetMap`] back to the raw input.
//!
//! Grammars are written against this form, so rule authors never think about typography:
//! - Unicode NFC (`unicode-normalization`: current Unicode data, unlike the unmaintained
//!   `unic-normal`), applied per base character with its combining marks;
//! - HTML entities decoded (`&nbsp;`, `&laquo;`, `&#8212;`, …);
//! - every space-like character (NBSP, thin, narrow, figure spaces, tab) becomes `' '`;
//! - typographic double quotes become `"`, single quotes `'`, dashes and minus `-`;
//! - soft hyphens and zero-width characters disappear;
//! - letters are lower-cased (pest's `^"…"` folds ASCII only), and `ё` becomes `е`.

use super::offsets::OffsetMap;
use unicode_normalization::{UnicodeNormalization, char::canonical_combining_class};

/// Text ready for matching, plus the way back to the raw input.
#[derive(Debug, Clone)]
pub struct Normalized {
    /// The normalised text the grammars run on.
    pub text: String,
    /// Normalised byte offset → raw byte offset.
    pub map: OffsetMap,
}

/// Normalises `raw` for matching; see the module documentation for what changes.
pub fn normalize(raw: &str) -> Normalized {
    let mut text = String::with_capacity(raw.len());
    let mut map = OffsetMap::default();
    let mut rest = raw;
    while let Some(first) = rest.chars().next() {
        if first == '&' {
            if let Some((decoded, len)) = decode_entity(rest) {
                let before = text.len();
                push_mapped(decoded, &mut text);
                map.push(len, text.len() - before, false);
                rest = &rest[len..];
                continue;
            }
        }
        let unit_len = unit_len(rest);
        let unit = &rest[..unit_len];
        let before = text.len();
        if unit_len == first.len_utf8() {
            push_mapped(first, &mut text);
            let out = &text[before..];
            let linear = out.len() == unit_len && out.chars().count() == 1;
            map.push(unit_len, out.len(), linear);
        } else {
            for c in unit.nfc() {
                push_mapped(c, &mut text);
            }
            map.push(unit_len, text.len() - before, false);
        }
        rest = &rest[unit_len..];
    }
    Normalized { text, map }
}

/// Normalises a short literal (a lexicon form, a grammar string) the way documents are.
pub fn normalize_literal(s: &str) -> String {
    normalize(s).text
}

/// Byte length of one base character with the combining marks that follow it.
fn unit_len(s: &str) -> usize {
    s.char_indices()
        .skip(1)
        .find(|&(_, c)| canonical_combining_class(c) == 0)
        .map_or(s.len(), |(i, _)| i)
}

fn push_mapped(c: char, out: &mut String) {
    match c {
        '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' | '\t' => {
            out.push(' ')
        }
        '«' | '»' | '„' | '“' | '”' | '‟' | '″' => out.push('"'),
        '‘' | '’' | '‚' | '‛' | '′' => out.push('\''),
        '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
        '\u{00AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => {}
        'ё' | 'Ё' => out.push('е'),
        c if c.is_uppercase() => out.extend(c.to_lowercase()),
        c => out.push(c),
    }
}

/// Decodes an HTML entity at the start of `s`: the character and the entity's byte length.
fn decode_entity(s: &str) -> Option<(char, usize)> {
    let end = s.as_bytes().iter().take(12).position(|&b| b == b';')?;
    let body = &s[1..end];
    let c = if let Some(num) = body.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        char::from_u32(code)?
    } else {
        named_entity(body)?
    };
    Some((c, end + 1))
}

fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "nbsp" => '\u{00A0}',
        "thinsp" => '\u{2009}',
        "ensp" => '\u{2002}',
        "emsp" => '\u{2003}',
        "laquo" => '«',
        "raquo" => '»',
        "ldquo" => '“',
        "rdquo" => '”',
        "bdquo" => '„',
        "lsquo" => '‘',
        "rsquo" => '’',
        "sbquo" => '‚',
        "quot" => '"',
        "apos" => '\'',
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "ndash" => '–',
        "mdash" => '—',
        "minus" => '−',
        "hellip" => '…',
        "shy" => '\u{00AD}',
        "euro" => '€',
        "dollar" => '$',
        "percnt" => '%',
        "deg" => '°',
        "times" => '×',
        "middot" => '·',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw_slice<'a>(raw: &'a str, n: &Normalized, start: usize, end: usize) -> &'a str {
        &raw[n.map.raw_start(start)..n.map.raw_end(end)]
    }

    #[test]
    fn folds_case_spaces_quotes_and_dashes() {
        let n = normalize("«Жетысу Вольфрам» — 5\u{00A0}МЛН Ёшлик");
        assert_eq!(n.text, "\"жетысу вольфрам\" - 5 млн ешлик");
    }

    #[test]
    fn entities_map_back_to_the_whole_entity() {
        let raw = "25&nbsp;процентов";
        let n = normalize(raw);
        assert_eq!(n.text, "25 процентов");
        assert_eq!(raw_slice(raw, &n, 0, n.text.len()), raw);
        assert_eq!(raw_slice(raw, &n, 3, n.text.len()), "процентов");
    }

    #[test]
    fn soft_hyphen_vanishes_and_offsets_still_hold() {
        let raw = "мил\u{00AD}лион";
        let n = normalize(raw);
        assert_eq!(n.text, "миллион");
        assert_eq!(raw_slice(raw, &n, 0, n.text.len()), raw);
    }

    #[test]
    fn decomposed_letters_compose() {
        let raw = "и\u{0306}"; // и + combining breve = й
        let n = normalize(raw);
        assert_eq!(n.text, "й");
        assert_eq!(raw_slice(raw, &n, 0, n.text.len()), raw);
    }

    #[test]
    fn unknown_entity_is_left_alone() {
        assert_eq!(normalize("a &bogus; b").text, "a &bogus; b");
        assert_eq!(normalize("AT&T").text, "at&t");
    }
}
