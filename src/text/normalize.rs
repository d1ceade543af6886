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

use super::class::{SHORT_INDEXED, lower_case_russian, short_chars, short_index};
use super::offsets::OffsetMap;
use super::sentences::{ALNUM, LangVotes, RUSSIAN, STOP, WordScan, class_of};
use unicode_normalization::{UnicodeNormalization, char::canonical_combining_class};

/// Text ready for matching, plus the way back to the raw input.
#[derive(Debug, Clone)]
pub struct Normalized {
    /// The normalised text the grammars run on.
    pub text: String,
    /// Normalised byte offset → raw byte offset.
    pub map: OffsetMap,
    /// The language votes and the places a sentence may end, counted while normalising
    /// (see [`WordScan`]): the sentence splitter reads them.
    pub(crate) scan: WordScan,
}

/// Normalises `raw` for matching; see the module documentation for what changes.
pub fn normalize(raw: &str) -> Normalized {
    let bytes = raw.as_bytes();
    let mut text = String::with_capacity(raw.len());
    let mut map = OffsetMap::default();
    let mut scan = WordScan::default();
    let table = &*TABLE;
    // Bytes copied one for one since the last run of another kind; consecutive linear units
    // merge into one run anyway, so they are recorded once, when something else comes.
    let mut linear = 0;
    let mut i = 0;
    while i < bytes.len() {
        // A run of characters that map one for one (see [`copy_one_for_one`]: most of a
        // text) is found first and copied a stretch of kept characters at a time.
        let run = i;
        i = copy_one_for_one(raw, i, table, &mut text, &mut map, &mut linear, &mut scan);
        let Some(&b) = bytes.get(i) else {
            break;
        };
        // The character that ended the run goes the general way. A combining mark belongs
        // with the character before it (one unit, composed the general way), so that one is
        // taken back: one or two bytes long, and as long in the text.
        let nonstarter = if b < 0x80 {
            false
        } else if b < 0xE0 {
            bytes
                .get(i + 1)
                .is_some_and(|&b1| table[short_index(b, b1)] & NONSTARTER != 0)
        } else {
            raw[i..]
                .chars()
                .next()
                .is_some_and(|c| canonical_combining_class(c) != 0)
        };
        let unit_start = if nonstarter && i > run {
            let back = if bytes[i - 1] < 0x80 { 1 } else { 2 };
            text.truncate(text.len() - back);
            scan.cut(text.len());
            linear -= back;
            i - back
        } else {
            i
        };
        let rest = &raw[unit_start..];
        let Some(first) = rest.chars().next() else {
            break;
        };
        let before = text.len();
        i = unit_start + normalize_unit(rest, first, &mut text, &mut map, &mut linear);
        scan.feed(&text, before);
    }
    flush(&mut map, &mut linear);
    scan.finish(text.as_bytes(), text.len());
    Normalized { text, map, scan }
}

/// Appends the normalised form of the run of one-for-one characters that starts at byte `i`
/// of `raw`, and returns where the run ends. They are the kept ones (see [`KEPT`]) and those
/// that map to one character of the same UTF-8 length and start a unit (upper-case letters,
/// tab): an upper-case letter every few words would otherwise end the run, and every run
/// costs a call and a look at the character that ended it. Every character written is
/// given to `scan`. Not inlined: on its own the loop keeps everything in registers.
#[inline(never)]
fn copy_one_for_one(
    raw: &str,
    mut i: usize,
    table: &Table,
    text: &mut String,
    map: &mut OffsetMap,
    linear: &mut usize,
    scan: &mut WordScan,
) -> usize {
    let bytes = raw.as_bytes();
    // Where the one-for-one stretch the run is in started (see `linear` in [`normalize`]).
    let mut linear_from = i;
    loop {
        let run = i;
        i = kept_run_end(bytes, i, table, text.as_bytes(), scan);
        if i > run {
            text.push_str(&raw[run..i]);
        }
        let entry = match *bytes.get(i..).unwrap_or_default() {
            // `&` may start an entity.
            [b'&', ..] => SLOW,
            [b, ..] if b < 0x80 => table[usize::from(b)],
            [b, b1, ..] => table[short_index(b, b1)],
            _ => SLOW,
        };
        // What follows starts a unit of its own: ASCII and the first two rows of Cyrillic
        // always do.
        let next_starts = |len: usize| {
            bytes
                .get(i + len)
                .is_none_or(|&n| n < 0x80 || n & 0xFE == 0xD0)
        };
        if entry & (SLOW | NONSTARTER) != 0 {
            // NBSP and guillemets (one ASCII character for two bytes) are taken here too,
            // as the general path would, when what follows starts a unit of its own: a map
            // entry of their own.
            if entry & SHRINK == 0 || !next_starts(2) {
                *linear += i - linear_from;
                return i;
            }
            *linear += i - linear_from;
            flush(map, linear);
            text.push(char::from(entry.to_le_bytes()[0]));
            scan.step(text.as_bytes(), text.len() - 1, 1, class_bits(entry));
            map.push(2, 1, false);
            i += 2;
            linear_from = i;
            continue;
        }
        let c = char::from_u32(entry & CODE).unwrap_or(char::REPLACEMENT_CHARACTER);
        // See [`RISKY`]: before what may be a combining mark, the general path takes it.
        if entry & RISKY != 0 && !next_starts(c.len_utf8()) {
            *linear += i - linear_from;
            return i;
        }
        text.push(c);
        // As long as the character it replaces.
        let len = c.len_utf8();
        scan.step(text.as_bytes(), text.len() - len, len, class_bits(entry));
        i += len;
    }
}

/// The classes (see [`class_of`]) of the character a table entry maps to.
#[inline(always)]
fn class_bits(entry: u32) -> u8 {
    (entry >> CLASS_SHIFT) as u8
}

/// Where the run of kept characters (see [`KEPT`]) that starts at byte `i` of `bytes` ends.
/// They are given to `scan` as they are found (`done` is the normalised text written before
/// them): the language votes are counted and the stops found on this pass.
#[inline(always)]
fn kept_run_end(bytes: &[u8], i: usize, table: &Table, done: &[u8], scan: &mut WordScan) -> usize {
    let mut rest = bytes.get(i..).unwrap_or_default();
    // The normalised offset of a raw one in the run is `at - i + done.len()`.
    let base = done.len();
    // The state in locals (registers) while the loop runs, written back when it returns.
    let mut classes = scan.classes;
    let mut votes = scan.votes;
    let mut word_start = scan.word_start;
    // Counts the word that ends at raw offset `at`, whose bytes are in `done` (up to the
    // run) and `bytes` (from the run on).
    let count = |votes: &mut LangVotes, word_start: usize, at: usize, classes| {
        votes.count_word((at - i + base).saturating_sub(word_start), classes, || {
            if word_start >= base {
                (
                    &[][..],
                    bytes.get(word_start - base + i..at).unwrap_or_default(),
                )
            } else {
                (
                    done.get(word_start..).unwrap_or_default(),
                    bytes.get(i..at).unwrap_or_default(),
                )
            }
        });
    };
    while let Some(&b) = rest.first() {
        // Lower-case Russian letters, most of a text, four at a time.
        if b & 0xFE == 0xD0
            && let Some(chunk) = rest.first_chunk::<8>()
        {
            let len = lower_case_russian(u64::from_le_bytes(*chunk));
            rest = &rest[len..];
            if len > 0 {
                classes |= RUSSIAN;
                if len == 8 {
                    continue;
                }
                // Most words end at a space before the next one: the word is counted here,
                // as the code below would.
                if chunk.get(len) == Some(&b' ') {
                    let at = bytes.len() - rest.len();
                    count(&mut votes, word_start, at, classes);
                    classes = 0;
                    word_start = at - i + base + 1;
                    rest = &rest[1..];
                    continue;
                }
            }
        }
        // One character the table way: one the above does not take, as the loop would find
        // it again. While two bytes are left, a character's first byte has one after it.
        let [b, b1, ..] = *rest else {
            break;
        };
        let entry = table[short_index(b, b1)];
        if entry & KEPT == 0 {
            break;
        }
        let len = if b < 0x80 { 1 } else { 2 };
        let class = class_bits(entry);
        if class & ALNUM != 0 {
            classes |= class;
        } else {
            let at = bytes.len() - rest.len();
            count(&mut votes, word_start, at, classes);
            classes = 0;
            word_start = at - i + base + len;
            if class & STOP != 0 {
                scan.votes = votes;
                scan.push_stop(at - i + base, len);
            }
        }
        rest = &rest[len..];
    }
    // A character in the last byte alone is ASCII.
    if let [b] = *rest
        && table[short_index(b, 0)] & KEPT != 0
    {
        let entry = table[short_index(b, 0)];
        let class = class_bits(entry);
        let at = bytes.len() - 1;
        if class & ALNUM != 0 {
            classes |= class;
        } else {
            count(&mut votes, word_start, at, classes);
            classes = 0;
            word_start = at - i + base + 1;
            if class & STOP != 0 {
                scan.votes = votes;
                scan.push_stop(at - i + base, 1);
            }
        }
        rest = &[];
    }
    scan.classes = classes;
    scan.votes = votes;
    scan.word_start = word_start;
    bytes.len() - rest.len()
}

/// Table entry bit: the character is not a plain one-for-one mapping, take the general path.
const SLOW: u32 = 1 << 15;
/// Table entry bit: the character has a non-zero canonical combining class.
const NONSTARTER: u32 = 1 << 14;
/// Table entry bit: the character is copied as it is and starts a unit: a one- or two-byte
/// character that maps to itself and combines with nothing before it, except `&` (an entity
/// may start there) and the [`RISKY`] ones.
const KEPT: u32 = 1 << 13;
/// Table entry bit (with [`SLOW`]): a two-byte character that starts a unit and maps to one
/// ASCII character, whose code is in the low byte.
const SHRINK: u32 = 1 << 12;
/// Table entry bit: a one-for-one character that, composed with a combining mark after it,
/// may give one of other classes (see [`class_of`]), or a stop: see [`RISKY_CHARS`].
const RISKY: u32 = 1 << 11;
/// Table entry bits: the code point a one-for-one character maps to.
const CODE: u32 = 0x7FF;
/// Where the classes (see [`class_of`]) of the character an entry maps to are, in the entry.
const CLASS_SHIFT: u32 = 16;

/// The characters after which a combining mark may change what the language votes and
/// the stops saw of them. The fast paths give each character to the [`WordScan`] as they
/// copy it, and a combining mark after one makes the general path take the character again
/// with its marks: what the scan took of the character must then be what it would have
/// taken of the composed one, which holds for every one-for-one character but these (a
/// Kazakh letter that loses its Kazakh-ness with a diaeresis: `і` + `◌̈` is `ї`). They are
/// not [`KEPT`], and before anything that may be a combining mark the general path takes
/// them. `tests::risky_chars_are_all_that_composition_can_change` checks the list.
const RISKY_CHARS: &[char] = &['і', 'І', 'ә', 'Ә', 'ө', 'Ө'];

/// [`TABLE`], indexed by [`short_index`]; the indexes no character of one or two UTF-8 bytes
/// has are [`SLOW`].
type Table = [u32; SHORT_INDEXED];

/// For every character below U+0800 (one and two UTF-8 bytes): whether it combines with
/// the character before it, whether it is kept as it is, what it maps to when that is one
/// character of the same UTF-8 length, and that character's classes for the language votes.
/// Computed from [`push_mapped`], `canonical_combining_class` and [`class_of`] themselves,
/// so the fast path cannot disagree with the general one.
static TABLE: std::sync::LazyLock<Box<Table>> = std::sync::LazyLock::new(|| {
    let mut table = Box::new([SLOW; SHORT_INDEXED]);
    let mut out = String::new();
    for (index, c) in short_chars() {
        let entry = &mut table[index];
        out.clear();
        push_mapped(c, &mut out);
        let mut chars = out.chars();
        *entry = match (chars.next(), chars.next()) {
            (Some(m), None) if m.len_utf8() == c.len_utf8() => {
                u32::from(m) | u32::from(class_of(m)) << CLASS_SHIFT
            }
            _ => SLOW,
        };
        let starter = canonical_combining_class(c) == 0;
        if !starter {
            *entry |= NONSTARTER;
        }
        let risky = RISKY_CHARS.contains(&c);
        if risky {
            *entry |= RISKY;
        }
        let kept = *entry & SLOW == 0 && *entry & CODE == u32::from(c);
        if kept && starter && c != '&' && !risky {
            *entry |= KEPT;
        }
        if let (Ok(m), 2, true) = (u8::try_from(chars_of(&out)), c.len_utf8(), starter)
            && m.is_ascii()
        {
            *entry =
                SLOW | SHRINK | u32::from(m) | u32::from(class_of(char::from(m))) << CLASS_SHIFT;
        }
    }
    table
});

/// The code of the one character `s` has, or `u32::MAX` when it has none or more.
fn chars_of(s: &str) -> u32 {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => u32::from(c),
        _ => u32::MAX,
    }
}

/// Records the pending one-for-one run, before a run of another kind.
fn flush(map: &mut OffsetMap, linear: &mut usize) {
    if *linear > 0 {
        map.push(*linear, *linear, true);
        *linear = 0;
    }
}

/// Normalises the unit (an entity, or a base character with its combining marks) at the
/// start of `rest`, whose first character is `first`, the general way; returns its raw byte
/// length. `linear` is the length of the pending one-for-one run.
fn normalize_unit(
    rest: &str,
    first: char,
    text: &mut String,
    map: &mut OffsetMap,
    linear: &mut usize,
) -> usize {
    if first == '&'
        && let Some((decoded, len)) = decode_entity(rest)
    {
        flush(map, linear);
        let before = text.len();
        push_mapped(decoded, text);
        map.push(len, text.len() - before, false);
        return len;
    }
    let unit_len = unit_len(rest);
    let unit = &rest[..unit_len];
    let before = text.len();
    if unit_len == first.len_utf8() {
        push_mapped(first, text);
        let out = &text[before..];
        let mut chars = out.chars();
        if out.len() == unit_len && chars.next().is_some() && chars.next().is_none() {
            *linear += unit_len;
        } else {
            let norm_len = out.len();
            flush(map, linear);
            map.push(unit_len, norm_len, false);
        }
    } else {
        for c in unit.nfc() {
            push_mapped(c, text);
        }
        flush(map, linear);
        map.push(unit_len, text.len() - before, false);
    }
    unit_len
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
    use proptest::prelude::*;

    /// The straightforward normaliser the fast paths must agree with: one unit at a time,
    /// one map entry per unit.
    fn reference(raw: &str) -> Normalized {
        let mut text = String::with_capacity(raw.len());
        let mut map = OffsetMap::default();
        let mut rest = raw;
        while let Some(first) = rest.chars().next() {
            if first == '&'
                && let Some((decoded, len)) = decode_entity(rest)
            {
                let before = text.len();
                push_mapped(decoded, &mut text);
                map.push(len, text.len() - before, false);
                rest = &rest[len..];
                continue;
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
        // The votes and stops, from the finished text, a character at a time.
        let mut scan = WordScan::default();
        scan.feed(&text, 0);
        scan.finish(text.as_bytes(), text.len());
        Normalized { text, map, scan }
    }

    fn assert_same_as_reference(raw: &str) {
        let (fast, slow) = (normalize(raw), reference(raw));
        assert_eq!(fast.text, slow.text, "text of {raw:?}");
        assert_eq!(fast.map, slow.map, "map of {raw:?}");
        assert_eq!(fast.scan, slow.scan, "scan of {raw:?}");
    }

    /// Pieces that exercise every path: ASCII (upper case, tab, `&`), Russian and Kazakh
    /// letters in both cases, combining marks after ASCII, Cyrillic and three-byte
    /// characters, enclosing marks (class 0), entities good and bad, spaces, quotes, dashes,
    /// deleted characters, and characters outside the two-byte table.
    const PIECES: &[&str] = &[
        "a",
        "Z",
        "Mln",
        "42",
        " ",
        "\t",
        "\n",
        ".",
        "&",
        "&amp;",
        "&nbsp;",
        "&#8212;",
        "&#x41;",
        "&bogus;",
        "&#xD800;",
        "&laquo",
        "ё",
        "Ё",
        "Ж",
        "ж",
        "ӘҒҚҢӨҰҮҺІ",
        "әғқңөұүһі",
        "Ӏ",
        "ӏ",
        "\u{0301}",
        "\u{0306}",
        "\u{0308}",
        "\u{0483}",
        "\u{0488}",
        "\u{034F}",
        "\u{0591}",
        "\u{20D7}",
        "\u{00A0}",
        "\u{00AD}",
        "\u{200B}",
        "\u{202F}",
        "\u{FEFF}",
        "«",
        "»",
        "„",
        "“",
        "—",
        "–",
        "\u{2212}",
        "’",
        "′",
        "″",
        "…",
        "№",
        "°",
        "Ω",
        "\u{2126}",
        "\u{212B}",
        "Σ",
        "ς",
        "İ",
        "ẞ",
        "Ǆ",
        "ǅ",
        "\u{1E9E}",
        "中",
        "😀",
        "\u{1D400}",
        "é",
        "É",
        "Å",
        "\u{0041}\u{030A}",
        "\u{0415}\u{0308}",
        "\u{0438}\u{0306}",
        "\u{0406}\u{0308}",
        "\u{0456}\u{0308}",
        "\u{04D9}\u{0308}",
        ".\u{0301}",
        "\u{0338}",
        "=",
        "\u{1100}\u{1161}",
        "ﬁ",
        "Ⅻ",
        "ⓐ",
        "Ⓐ",
    ];

    #[test]
    fn every_piece_alone_and_in_pairs_matches_the_reference() {
        for a in PIECES {
            assert_same_as_reference(a);
            for b in PIECES {
                assert_same_as_reference(&format!("{a}{b}"));
            }
        }
    }

    /// The classes of what a character is normalised to, for the language votes.
    fn mapped_class(c: char) -> Option<u8> {
        let mut out = String::new();
        push_mapped(c, &mut out);
        out.chars().next().map(class_of)
    }

    /// A one-for-one character not in [`RISKY_CHARS`] is taken again with a combining mark
    /// after it, without undoing what the scan took of it (but a stop), so any character it
    /// composes into must leave the scan as it was: a word character whose classes hold its
    /// own, or a character that is none.
    #[test]
    fn risky_chars_are_all_that_composition_can_change() {
        let table = &*TABLE;
        let bases: Vec<(char, String)> = short_chars()
            .filter(|&(index, _)| table[index] & (SLOW | NONSTARTER) == 0)
            .map(|(_, c)| (c, c.nfd().collect()))
            .collect();
        let mut risky = Vec::new();
        for composed in (0..0x11_0000u32).filter_map(char::from_u32) {
            let mut nfd = String::new();
            unicode_normalization::char::decompose_canonical(composed, |d| nfd.push(d));
            if nfd.chars().nth(1).is_none() {
                continue;
            }
            for (base, base_nfd) in &bases {
                if *base == composed || !nfd.starts_with(base_nfd.as_str()) {
                    continue;
                }
                let (Some(before), Some(after)) = (mapped_class(*base), mapped_class(composed))
                else {
                    continue;
                };
                let safe = if before & ALNUM != 0 {
                    after & ALNUM != 0 && after & before == before
                } else {
                    after & ALNUM == 0
                };
                if !safe && !risky.contains(base) {
                    risky.push(*base);
                }
            }
        }
        risky.sort();
        let mut listed = RISKY_CHARS.to_vec();
        listed.sort();
        assert_eq!(risky, listed);
    }

    #[test]
    fn lower_case_russian_is_kept() {
        let table = &*TABLE;
        for c in 'а'..='я' {
            let b = c.to_string().into_bytes();
            assert_ne!(table[short_index(b[0], b[1])] & KEPT, 0, "{c:?}");
        }
    }

    #[test]
    fn the_run_takes_upper_case_letters_and_tabs_mapped() {
        let src = "Жетысу\tМайнинг Co ёлка Қазақ ВВП 42";
        let (end, text) = run_from_start(src);
        assert_eq!(end, src.len());
        assert_eq!(text, "жетысу майнинг co елка қазақ ввп 42");
        // What does not map one for one ends it.
        for stop in ["&amp;", "\u{00AD}", "\u{0301}", "—", "ẞ"] {
            let (end, text) = run_from_start(&format!("Жж{stop}Ж"));
            assert_eq!(end, 4, "{stop:?}");
            assert_eq!(text, "жж");
        }
    }

    /// Where the one-for-one run from the start of `src` ends, and the text it wrote.
    fn run_from_start(src: &str) -> (usize, String) {
        let (mut text, mut map, mut linear) = (String::new(), OffsetMap::default(), 0);
        let mut scan = WordScan::default();
        let end = copy_one_for_one(src, 0, &TABLE, &mut text, &mut map, &mut linear, &mut scan);
        (end, text)
    }

    #[test]
    fn the_run_takes_nbsp_and_guillemets_before_a_starter() {
        let src = "«Жетысу» 5\u{00A0}млн\u{00A0}в «г»";
        let (end, text) = run_from_start(src);
        assert_eq!(end, src.len());
        assert_eq!(text, "\"жетысу\" 5 млн в \"г\"");
        // Before a combining mark, or what may be one, they are left to the general path.
        for after in ["\u{0301}", "\u{0483}", "中", "\u{00A0}"] {
            let (end, _) = run_from_start(&format!("ж\u{00A0}{after}"));
            assert_eq!(end, 2, "{after:?}");
        }
    }

    #[test]
    fn every_character_below_u0800_matches_the_reference() {
        for c in (0..0x800u32).filter_map(char::from_u32) {
            for s in [
                format!("{c}"),
                format!("a{c}\u{0301}"),
                format!("Ж{c}b"),
                format!("{c}{c}"),
            ] {
                assert_same_as_reference(&s);
            }
        }
    }

    proptest! {
        #[test]
        fn fast_paths_match_the_reference(parts in proptest::collection::vec(
            prop_oneof![
                proptest::sample::select(PIECES).prop_map(str::to_string),
                "[a-zA-Zа-яА-ЯёЁ0-9 .,&;#]{0,12}",
                any::<String>(),
            ],
            0..12,
        )) {
            let raw: String = parts.concat();
            let (fast, slow) = (normalize(&raw), reference(&raw));
            prop_assert_eq!(&fast.text, &slow.text);
            prop_assert_eq!(&fast.map, &slow.map);
            prop_assert_eq!(&fast.scan, &slow.scan);
        }
    }

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
