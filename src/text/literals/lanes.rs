//! The dense table's walk over many ranges of a text at once ([`LiteralSet::for_each_in`]):
//! two lanes, the first half of the ranges and the second, walked side by side. A walk is
//! a chain of table reads, each waiting for the one before; two independent chains let the
//! processor overlap their waits. On the bench sample the prefilter's pass went from about
//! 260 to 350 MB/s (best of four runs of each, the stages timed alone), and extraction as a
//! whole from 47.5 to 49.4 MB/s, though the walk takes more instructions (115.4 M to 118.7 M
//! for all of extraction).
//!
//! [`LiteralSet::for_each_in`]: super::LiteralSet::for_each_in

use super::{Dense, STOPS, STOPS_LEN, taken, two_index};
use std::ops::Range;

/// How many stops of its second lane [`Dense::walk_ranges`] holds while the first is walked:
/// they can only be reported once the first is done. When they fill it, the first lane
/// finishes alone. (About a stop per 12 bytes: this holds the second half of a 24 KB text.)
const HELD_LEN: usize = 2048;

thread_local! {
    /// [`Dense::walk_ranges`]'s stops of the second lane, kept like [`STOPS`].
    static HELD: std::cell::Cell<Vec<(usize, usize)>> = const { std::cell::Cell::new(Vec::new()) };
}

/// One of the two walks of [`Dense::walk_ranges`]: the ranges it has still to walk (the
/// first is the one it is in), its state, and the byte where it stands.
struct Lane<'r> {
    ranges: &'r [Range<usize>],
    state: usize,
    at: usize,
}

impl<'r> Lane<'r> {
    /// At the start of the first of `ranges`, in state `initial`.
    fn new(ranges: &'r [Range<usize>], initial: usize) -> Lane<'r> {
        Lane {
            ranges,
            state: initial,
            at: ranges.first().map_or(0, |r| r.start),
        }
    }

    /// The end of the range it is in.
    fn end(&self) -> usize {
        self.ranges.first().map_or(self.at, |r| r.end)
    }
}

/// Where [`Dense::to_stops_two`] paused, and which lane made it.
enum Pause {
    /// The lane's list of stops is full but for one.
    Full(Which),
    /// The lane has fewer than two bytes left in its range, or a character of three or four
    /// bytes next.
    Edge(Which),
}

/// A lane of [`Dense::walk_ranges`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    First,
    Second,
}

impl Dense {
    /// [`Dense::walk`] over each of `ranges` of `text` alone (see
    /// [`LiteralSet::for_each_in`]), reporting offsets of `text`, range by range. The ranges
    /// are split in two lanes of about as many bytes, walked at once while both have
    /// characters of one or two bytes ahead; the second lane's stops are held until the
    /// first lane is done.
    pub(super) fn walk_ranges(
        &self,
        text: &str,
        ranges: &[Range<usize>],
        mut found: impl FnMut(u32, usize, usize),
    ) {
        let total: usize = ranges.iter().map(ExactSizeIterator::len).sum();
        let mut seen = 0;
        let half = ranges
            .iter()
            .position(|r| {
                seen += r.len();
                seen * 2 >= total
            })
            .map_or(ranges.len(), |k| k + 1);
        let (first, second) = ranges.split_at(half.min(ranges.len()));
        let mut stops = taken(&STOPS, STOPS_LEN);
        let mut held = Vec::new();
        let (mut a, mut b) = (
            Lane::new(first, self.initial),
            Lane::new(second, self.initial),
        );
        let (mut n, mut held_n) = (0, 0);
        if !second.is_empty() {
            held = taken(&HELD, HELD_LEN);
            let bytes = text.as_bytes();
            loop {
                match self.to_stops_two(
                    bytes,
                    &mut a,
                    &mut b,
                    &mut stops,
                    &mut n,
                    &mut held,
                    &mut held_n,
                ) {
                    Pause::Full(Which::First) => {
                        self.report(&stops[..n], &mut found);
                        n = 0;
                    }
                    Pause::Full(Which::Second) => break,
                    Pause::Edge(which) => {
                        let (lane, stops, n) = match which {
                            Which::First => (&mut a, &mut stops, &mut n),
                            Which::Second => (&mut b, &mut held, &mut held_n),
                        };
                        if lane.at < lane.end() {
                            (lane.state, lane.at) =
                                self.step_one(text, lane.state, lane.at, stops, n);
                        } else {
                            // On to its next range, if any.
                            *lane =
                                Lane::new(lane.ranges.get(1..).unwrap_or_default(), self.initial);
                            if lane.ranges.is_empty() {
                                break;
                            }
                        }
                    }
                }
            }
        }
        self.report(&stops[..n], &mut found);
        self.finish(text, a, &mut stops, &mut found);
        self.report(&held[..held_n], &mut found);
        self.finish(text, b, &mut stops, &mut found);
        STOPS.set(stops);
        if !held.is_empty() {
            HELD.set(held);
        }
    }

    /// Walks what is left of `lane` alone.
    fn finish(
        &self,
        text: &str,
        lane: Lane<'_>,
        stops: &mut [(usize, usize)],
        found: &mut impl FnMut(u32, usize, usize),
    ) {
        for (k, range) in lane.ranges.iter().enumerate() {
            let at = if k == 0 {
                (lane.state, lane.at)
            } else {
                (self.initial, range.start)
            };
            if let Some(here) = text.get(..range.end) {
                self.walk_from(here, at, stops, found);
            }
        }
    }

    /// [`Dense::to_stops`] for two lanes at once, noting the stops of `a` in `a_stops` and
    /// those of `b` in `b_stops`, until one lane pauses (see [`Pause`]). Both lanes stand
    /// in ranges of `bytes` (as [`Lane`]s do). The two chains of table reads are
    /// independent, so the processor runs them side by side.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn to_stops_two(
        &self,
        bytes: &[u8],
        a: &mut Lane<'_>,
        b: &mut Lane<'_>,
        a_stops: &mut [(usize, usize)],
        a_n: &mut usize,
        b_stops: &mut [(usize, usize)],
        b_n: &mut usize,
    ) -> Pause {
        let (next, shift, first) = (&self.next[..], self.shift, self.first_output);
        let (ascii, two) = (&self.ascii, &*self.two);
        let (a_end, b_end) = (a.end(), b.end());
        let mut a_rest = bytes.get(a.at..a_end).unwrap_or_default();
        let mut b_rest = bytes.get(b.at..b_end).unwrap_or_default();
        let (a_full, b_full) = (
            a_stops.len().saturating_sub(1),
            b_stops.len().saturating_sub(1),
        );
        let (mut a_state, mut b_state) = (a.state, b.state);
        let (mut a_k, mut b_k) = (*a_n, *b_n);
        let pause = loop {
            // Checked before a step, so that every step (here or by `step_one`) has room.
            if a_k >= a_full {
                break Pause::Full(Which::First);
            }
            if b_k >= b_full {
                break Pause::Full(Which::Second);
            }
            let [x, x1, ..] = *a_rest else {
                break Pause::Edge(Which::First);
            };
            let [y, y1, ..] = *b_rest else {
                break Pause::Edge(Which::Second);
            };
            let a_class = if x < 0x80 {
                ascii[usize::from(x)]
            } else if x < 0xE0 {
                two[two_index(x, x1)]
            } else {
                break Pause::Edge(Which::First);
            };
            let b_class = if y < 0x80 {
                ascii[usize::from(y)]
            } else if y < 0xE0 {
                two[two_index(y, y1)]
            } else {
                break Pause::Edge(Which::Second);
            };
            a_rest = &a_rest[1 + usize::from(x >= 0x80)..];
            b_rest = &b_rest[1 + usize::from(y >= 0x80)..];
            a_state = usize::from(next[(a_state << shift) | usize::from(a_class)]);
            b_state = usize::from(next[(b_state << shift) | usize::from(b_class)]);
            if a_state >= first {
                if let Some(slot) = a_stops.get_mut(a_k) {
                    *slot = (a_state, a_end - a_rest.len());
                }
                a_k += 1;
            }
            if b_state >= first {
                if let Some(slot) = b_stops.get_mut(b_k) {
                    *slot = (b_state, b_end - b_rest.len());
                }
                b_k += 1;
            }
        };
        (a.state, a.at) = (a_state, a_end - a_rest.len());
        (b.state, b.at) = (b_state, b_end - b_rest.len());
        *a_n = a_k.min(a_stops.len());
        *b_n = b_k.min(b_stops.len());
        pause
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::literals::{Automaton, Breaks, DENSE_LIMIT, LiteralSet};
    use proptest::prelude::*;

    /// What [`LiteralSet::for_each_in`] should report: each range searched alone with
    /// [`LiteralSet::for_each`], offsets moved to the text's.
    fn range_by_range(
        set: &LiteralSet,
        text: &str,
        ranges: &[Range<usize>],
    ) -> Vec<(usize, usize, usize)> {
        let mut want = Vec::new();
        for r in ranges {
            set.for_each(&text[r.clone()], |i, s, e| {
                want.push((i, r.start + s, r.start + e))
            });
        }
        want
    }

    /// Ranges of `text` (ascending, disjoint, at character boundaries) from `cuts`: each pair
    /// of cuts (as fractions of its characters) is a range, and `gaps` drops every other
    /// stretch between them.
    fn ranges_of(text: &str, cuts: &[u8], gaps: bool) -> Vec<Range<usize>> {
        let bounds: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain([text.len()])
            .collect();
        let mut at: Vec<usize> = cuts
            .iter()
            .map(|&c| bounds[usize::from(c) * (bounds.len() - 1) / 255])
            .collect();
        at.sort_unstable();
        at.insert(0, 0);
        at.push(text.len());
        let ranges = at.windows(2).map(|w| w[0]..w[1]);
        if gaps {
            ranges.step_by(2).collect()
        } else {
            ranges.collect()
        }
    }

    proptest! {
        /// Ranges searched at once (two lanes in the dense table) report what each range
        /// searched alone reports, in the same order.
        #[test]
        fn ranges_at_once_find_what_each_range_alone_finds(
            literals in proptest::collection::vec(("[аәб1 .a—😀]{0,3}", any::<bool>()), 1..8),
            text in "[аәб1 .a—😀№Ғ,ӘЁ%]{0,40}",
            cuts in proptest::collection::vec(any::<u8>(), 0..6),
            gaps in any::<bool>(),
            word_starts in any::<bool>(),
        ) {
            let breaks: Option<Breaks> =
                word_starts.then_some(|c: char| !c.is_alphanumeric() && c != '%');
            let given: Vec<(&str, bool)> =
                literals.iter().map(|(l, w)| (l.as_str(), *w && word_starts)).collect();
            let ranges = ranges_of(&text, &cuts, gaps);
            for limit in [DENSE_LIMIT, 0] {
                if let Some(set) = LiteralSet::with_limit(&given, breaks, limit) {
                    let mut got = Vec::new();
                    set.for_each_in(&text, &ranges, |i, s, e| got.push((i, s, e)));
                    prop_assert_eq!(got, range_by_range(&set, &text, &ranges));
                }
            }
        }
    }

    /// Two lanes with more stops than their lists hold (the first's reported as it goes,
    /// the second's held until the first is done, then walked alone), characters of three
    /// bytes and ranges that end in one of one byte, get every occurrence, in order.
    #[test]
    fn long_ranges_at_once_lose_no_stop() {
        let literals = ["а", "б а", " ", "—", "z"];
        let set = LiteralSet::new(&literals).expect("set");
        assert!(matches!(set.automaton, Automaton::Dense(_)));
        let part = format!(
            "{}—{}z",
            "аб ".repeat(STOPS_LEN),
            "аб ".repeat(HELD_LEN / 4)
        );
        let text = part.repeat(6);
        let ranges: Vec<Range<usize>> = (0..6)
            .map(|k| k * part.len()..(k + 1) * part.len() - 1)
            .collect();
        let mut got = Vec::new();
        set.for_each_in(&text, &ranges, |i, s, e| got.push((i, s, e)));
        let want = range_by_range(&set, &text, &ranges);
        assert!(want.len() > 3 * HELD_LEN);
        assert_eq!(got, want);
        // The last byte of each range is where a range ends, not the text: found there too.
        let ends: Vec<Range<usize>> = (0..6)
            .map(|k| k * part.len()..(k + 1) * part.len())
            .collect();
        let mut got = Vec::new();
        set.for_each_in(&text, &ends, |i, s, e| got.push((i, s, e)));
        assert_eq!(got.iter().filter(|&&(i, _, _)| i == 4).count(), 6);
        assert_eq!(got, range_by_range(&set, &text, &ends));
    }
}
