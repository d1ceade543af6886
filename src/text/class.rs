//! Character classes asked at almost every byte (is this a letter? a word character?),
//! answered from a table for the scripts nedra's texts are written in.
//!
//! `char::is_alphabetic` and friends are fast for ASCII only; for Cyrillic they search
//! Unicode tables, and the matcher (word starts, `LETTER`), the sentence splitter and the
//! link scanners spent a tenth of their time there. The table below is filled from those same functions on first use, so it
//! answers exactly as they do; characters past it fall back to them.

use std::sync::LazyLock;

/// Characters the table covers: Basic Latin to the end of Cyrillic Supplement
/// (Kazakh's letters included).
const COVERED: usize = 0x530;

const ALPHABETIC: u8 = 1;
const ALPHANUMERIC: u8 = 2;
const UPPERCASE: u8 = 4;
const LOWERCASE: u8 = 8;
const NUMERIC: u8 = 16;
const WHITESPACE: u8 = 32;

static TABLE: LazyLock<[u8; COVERED]> = LazyLock::new(|| {
    let mut table = [0u8; COVERED];
    for (i, slot) in table.iter_mut().enumerate() {
        let Some(c) = char::from_u32(i as u32) else {
            continue;
        };
        for (has, bit) in [
            (c.is_alphabetic(), ALPHABETIC),
            (c.is_alphanumeric(), ALPHANUMERIC),
            (c.is_uppercase(), UPPERCASE),
            (c.is_lowercase(), LOWERCASE),
            (c.is_numeric(), NUMERIC),
            (c.is_whitespace(), WHITESPACE),
        ] {
            if has {
                *slot |= bit;
            }
        }
    }
    table
});

#[inline]
fn lookup(c: char, bit: u8, slow: fn(char) -> bool) -> bool {
    match TABLE.get(c as usize) {
        Some(flags) => flags & bit != 0,
        None => slow(c),
    }
}

/// Same as [`char::is_alphabetic`].
pub fn is_alphabetic(c: char) -> bool {
    lookup(c, ALPHABETIC, char::is_alphabetic)
}

/// Same as [`char::is_alphanumeric`].
pub fn is_alphanumeric(c: char) -> bool {
    lookup(c, ALPHANUMERIC, char::is_alphanumeric)
}

/// Same as [`char::is_uppercase`].
pub fn is_uppercase(c: char) -> bool {
    lookup(c, UPPERCASE, char::is_uppercase)
}

/// Same as [`char::is_lowercase`].
pub fn is_lowercase(c: char) -> bool {
    lookup(c, LOWERCASE, char::is_lowercase)
}

/// Same as [`char::is_numeric`].
pub fn is_numeric(c: char) -> bool {
    lookup(c, NUMERIC, char::is_numeric)
}

/// Same as [`char::is_whitespace`].
pub fn is_whitespace(c: char) -> bool {
    lookup(c, WHITESPACE, char::is_whitespace)
}

/// Length of a table indexed by [`short_index`].
pub(crate) const SHORT_INDEXED: usize = 0x40C0;

/// Where a table of one- and two-byte characters (ASCII and Cyrillic among them) keeps the
/// character whose UTF-8 form starts with byte `b0`, followed by `b1`: the byte itself for
/// ASCII (`b1` is not looked at), `(b0 << 6) + b1` for the others. Two loads, a shift and an
/// add, and always below [`SHORT_INDEXED`], so the look-up needs no bounds check: the loops
/// over every character of a text (normalising, the language votes) pay little per character.
/// Lead bytes of longer characters give indexes no two-byte character has (see
/// [`short_chars`]), so such a table can send them to a slower path.
#[inline(always)]
pub(crate) fn short_index(b0: u8, b1: u8) -> usize {
    if b0 < 0x80 {
        usize::from(b0)
    } else {
        (usize::from(b0) << 6) + usize::from(b1)
    }
}

/// Every character of one or two UTF-8 bytes with its [`short_index`], for filling tables.
pub(crate) fn short_chars() -> impl Iterator<Item = (usize, char)> {
    (0..0x800u32).filter_map(char::from_u32).map(|c| {
        let mut buf = [0; 4];
        let bytes = c.encode_utf8(&mut buf).as_bytes();
        (short_index(bytes[0], bytes.get(1).copied().unwrap_or(0)), c)
    })
}

/// Every byte's lowest bit in each 16-bit lane of a `u64`.
const LANES_LOW: u64 = 0x0001_0001_0001_0001;

/// The byte length (0 to 8) of the lower-case Russian letters `а` to `я` (not `ё`) that
/// `chunk`, eight bytes of text (the first at the lowest) that start at a character, starts
/// with. They are most of a normalised text, and what the loops over every character of it
/// want to know of them is the same for all (letters, Cyrillic, not Kazakh, normalised as
/// they are): each fills one 16-bit lane, 0xD0 then 0xB0 to 0xBF or 0xD1 then 0x80 to 0x8F,
/// so lanes are tested all at once, and the first that is something else ends them.
#[inline(always)]
pub(crate) fn lower_case_russian(chunk: u64) -> usize {
    let lead = (chunk & (LANES_LOW * 0xFE)) ^ (LANES_LOW * 0xD0);
    // The high half of the second byte must be 0xB after 0xD0, 0x8 after 0xD1 (0xB ^ 3).
    let high = (chunk >> 12) & (LANES_LOW * 0xF);
    let after_d1 = chunk & LANES_LOW;
    let other = lead | (high ^ (LANES_LOW * 0xB) ^ (after_d1 * 3));
    (other.trailing_zeros() as usize >> 4) * 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_case_russian_takes_exactly_the_leading_letters() {
        for c in (0x400..0x480u32).filter_map(char::from_u32) {
            // Alone, and before each kind of thing that ends the fast path.
            for after in [
                "",
                " ",
                "x",
                "Ж",
                "ё",
                "і",
                "ә",
                "\u{0301}",
                "…",
                "жжжжжжжж",
            ] {
                let text = format!("{c}{after}");
                let cut = text.len().min(8);
                let mut chunk = [b'&'; 8];
                chunk[..cut].copy_from_slice(&text.as_bytes()[..cut]);
                let len = lower_case_russian(u64::from_le_bytes(chunk));
                let expected = text[..cut]
                    .char_indices()
                    .take_while(|&(_, c)| ('а'..='я').contains(&c))
                    .last()
                    .map_or(0, |(i, c)| i + c.len_utf8());
                assert_eq!(len, expected, "{text:?}");
            }
        }
    }

    #[test]
    fn short_indexes_are_distinct_and_apart_from_longer_characters() {
        let mut seen = vec![false; SHORT_INDEXED];
        for (index, c) in short_chars() {
            assert!(!seen[index], "{c:?}");
            seen[index] = true;
        }
        assert_eq!(seen.iter().filter(|&&s| s).count(), 0x800);
        // Any lead byte of a longer character with any continuation byte after it.
        for b0 in 0xE0..=0xFF {
            for b1 in 0x80..=0xBF {
                assert!(!seen[short_index(b0, b1)], "{b0:x} {b1:x}");
            }
        }
    }

    #[test]
    fn answers_as_the_standard_library_does() {
        let probes = (0..0x800u32).chain([0x1E9E, 0x2160, 0x3000, 0x1F600, 0x10FFFF]);
        for c in probes.filter_map(char::from_u32) {
            assert_eq!(is_alphabetic(c), c.is_alphabetic(), "{c:?}");
            assert_eq!(is_alphanumeric(c), c.is_alphanumeric(), "{c:?}");
            assert_eq!(is_uppercase(c), c.is_uppercase(), "{c:?}");
            assert_eq!(is_lowercase(c), c.is_lowercase(), "{c:?}");
            assert_eq!(is_numeric(c), c.is_numeric(), "{c:?}");
            assert_eq!(is_whitespace(c), c.is_whitespace(), "{c:?}");
        }
    }
}
