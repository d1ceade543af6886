//! Overlapping matches of one record type: who wins, and why.
//!
//! Two candidates conflict when their *record spans* overlap (so `2,6 и 6 млн тонн` can
//! give both `2,6` and `6 млн тонн`). The policy is total and deterministic: the longer
//! *match* wins (context such as a qualifier word counts: `более $2 млрд` beats `$2 млрд`);
//! between equally long matches the higher priority; then the earlier start; then the
//! smaller rule id.

use std::cmp::{Ordering, Reverse};

/// What overlap resolution needs to know of a candidate.
#[derive(Debug, Clone, Copy)]
pub struct Contender {
    /// Record span start.
    pub start: usize,
    /// Record span end.
    pub end: usize,
    /// Length of the whole match, context included.
    pub len: usize,
    /// Rule priority.
    pub priority: i32,
    /// The position of the rule's id among all rule ids in order: the smaller id wins a
    /// tie.
    pub id_order: u32,
}

/// Why a candidate lost to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossReason {
    /// The winner's match is longer.
    Longer,
    /// Same length, the winner's rule has a higher priority.
    Priority,
    /// Same length and priority, the winner starts earlier.
    Earlier,
    /// All equal but the rule id, which sorts first for the winner.
    RuleId,
    /// The record type keeps one record per sentence, and the winner ranks higher.
    SameSentence,
    /// A repeated mention, merged into the first record with the same key.
    Merged,
}

impl LossReason {
    /// A word for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            LossReason::Longer => "longer",
            LossReason::Priority => "priority",
            LossReason::Earlier => "earlier",
            LossReason::RuleId => "rule id",
            LossReason::SameSentence => "one per sentence",
            LossReason::Merged => "merged into an earlier mention",
        }
    }
}

/// Orders contenders best first.
pub fn rank(a: &Contender, b: &Contender) -> Ordering {
    rank_key(a).cmp(&rank_key(b))
}

/// What [`rank`] compares, smallest best: longer, higher priority, earlier, smaller id.
fn rank_key(c: &Contender) -> (Reverse<usize>, Reverse<i32>, usize, u32) {
    (Reverse(c.len), Reverse(c.priority), c.start, c.id_order)
}

fn reason(w: &Contender, l: &Contender) -> LossReason {
    if w.len != l.len {
        LossReason::Longer
    } else if w.priority != l.priority {
        LossReason::Priority
    } else if w.start != l.start {
        LossReason::Earlier
    } else {
        LossReason::RuleId
    }
}

/// The outcome: indices of winners (in text order) and of losers with the winner and reason.
#[derive(Debug, Clone, Default)]
pub struct Resolution {
    /// Winning candidates, sorted by start.
    pub winners: Vec<usize>,
    /// (loser, winner, reason).
    pub losers: Vec<(usize, usize, LossReason)>,
}

/// Resolves overlaps among `cs`.
pub fn resolve(cs: &[Contender]) -> Resolution {
    resolve_with(cs, |_| true)
}

/// Resolves overlaps among the contenders `i` of `cs` that `admit(i)` lets contend.
/// `admit` is asked only of a contender that overlaps no winner yet, best first, so a
/// costly check runs only where it could change the result; a contender that overlaps a
/// winner loses to it without being asked.
///
/// A loser's winner is the best-ranked winner it overlaps.
pub fn resolve_with(cs: &[Contender], admit: impl FnMut(usize) -> bool) -> Resolution {
    resolve_inner(cs, admit, true)
}

/// [`resolve_with`] without the losers: only the winners, for extraction, which never
/// reads who lost to whom (only explanations do).
pub fn winners_with(cs: &[Contender], admit: impl FnMut(usize) -> bool) -> Vec<usize> {
    resolve_inner(cs, admit, false).winners
}

fn resolve_inner(
    cs: &[Contender],
    mut admit: impl FnMut(usize) -> bool,
    losers: bool,
) -> Resolution {
    // `rank` as a key held inline, the index last (equal ranks keep input order, so the
    // unstable sort gives a stable order): sorting indices through `rank` reads `cs` at every
    // comparison, and rule sets with many rules of one grammar make many contenders.
    let mut order: Vec<_> = cs
        .iter()
        .enumerate()
        .map(|(i, c)| (rank_key(c), i))
        .collect();
    order.sort_unstable();
    // Winners by (start, end), each with its place in admission order. Winners never
    // overlap, so their ends rise with their starts, and the winners a span overlaps are
    // the run that ends just before the first winner starting at or after the span's end.
    let mut by_start: Vec<(usize, usize, usize)> = Vec::new();
    // Most contenders lose (rules that share a grammar match at the same place).
    let mut res = Resolution {
        winners: Vec::new(),
        losers: Vec::with_capacity(if losers { cs.len() } else { 0 }),
    };
    // The span of the contender decided last, and the admission index of the best winner
    // it overlapped (or became) — valid while no other winner is admitted. Rules that share
    // a grammar give runs of contenders with one span, next to each other in rank order;
    // each after the first is decided without searching the winners.
    let mut last: Option<((usize, usize), Option<usize>)> = None;
    for (_, i) in order {
        let c = &cs[i];
        let best_overlapped = match last {
            Some((span, best)) if span == (c.start, c.end) => best,
            _ => {
                let after = by_start.partition_point(|&(start, ..)| start < c.end);
                by_start[..after]
                    .iter()
                    .rev()
                    .take_while(|&&(_, end, _)| c.start < end)
                    .map(|&(.., admitted)| admitted)
                    .min()
            }
        };
        last = Some(((c.start, c.end), best_overlapped));
        match best_overlapped {
            Some(admitted) if losers => {
                let w = res.winners[admitted];
                res.losers.push((i, w, reason(&cs[w], c)));
            }
            Some(_) => {}
            None if admit(i) => {
                let at =
                    by_start.partition_point(|&(start, end, _)| (start, end) <= (c.start, c.end));
                by_start.insert(at, (c.start, c.end, res.winners.len()));
                // The next contender with this span overlaps this winner alone (it
                // overlapped no other), unless the span is empty and overlaps nothing.
                let overlaps_itself = c.start < c.end;
                last = Some((
                    (c.start, c.end),
                    overlaps_itself.then_some(res.winners.len()),
                ));
                res.winners.push(i);
            }
            None => {}
        }
    }
    res.winners = by_start
        .iter()
        .map(|&(.., admitted)| res.winners[admitted])
        .collect();
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(start: usize, end: usize, priority: i32, rule: &str) -> Contender {
        Contender {
            start,
            end,
            len: end - start,
            priority,
            id_order: u32::from(rule.as_bytes()[0]),
        }
    }

    #[test]
    fn longest_then_priority_then_earliest_then_id() {
        let cs = [
            c(0, 5, 0, "a"),
            c(2, 9, 0, "b"),
            c(10, 14, 1, "c"),
            c(10, 14, 2, "d"),
            c(20, 24, 0, "f"),
            c(20, 24, 0, "e"),
        ];
        let r = resolve(&cs);
        assert_eq!(r.winners, vec![1, 3, 5]);
        assert!(r.losers.contains(&(0, 1, LossReason::Longer)));
        assert!(r.losers.contains(&(2, 3, LossReason::Priority)));
        assert!(r.losers.contains(&(4, 5, LossReason::RuleId)));
    }

    #[test]
    fn disjoint_record_spans_of_overlapping_matches_both_win() {
        // "2,6 и 6 млн тонн": record "2,6" (match 0..16) and record "6 млн тонн" (7..16).
        let cs = [
            Contender {
                start: 0,
                end: 3,
                len: 16,
                priority: 0,
                id_order: 0,
            },
            c(7, 16, 0, "plain"),
        ];
        assert_eq!(resolve(&cs).winners, vec![0, 1]);
    }

    #[test]
    fn admission_is_asked_only_where_it_could_win() {
        // Best first: 0 (longest), then 1 (overlaps 0), then 2 (disjoint, refused), then 3
        // (overlaps only the refused 2).
        let cs = [
            c(0, 10, 0, "a"),
            c(5, 12, 0, "b"),
            c(20, 26, 0, "c"),
            c(24, 29, 0, "d"),
        ];
        let mut asked = Vec::new();
        let r = resolve_with(&cs, |i| {
            asked.push(i);
            i != 2
        });
        assert_eq!(asked, vec![0, 2, 3]);
        assert_eq!(r.winners, vec![0, 3]);
        assert_eq!(r.losers, vec![(1, 0, LossReason::Longer)]);
        // Admitting everyone is plain resolution.
        assert_eq!(resolve_with(&cs, |_| true).winners, resolve(&cs).winners);
        // Without the losers, the same winners, asked in the same order.
        let mut asked_again = Vec::new();
        let winners = winners_with(&cs, |i| {
            asked_again.push(i);
            i != 2
        });
        assert_eq!((winners, asked_again), (r.winners, asked));
    }

    #[test]
    fn earlier_wins_a_tie() {
        let r = resolve(&[c(3, 6, 0, "a"), c(1, 4, 0, "a")]);
        assert_eq!(r.winners, vec![1]);
        assert_eq!(r.losers, vec![(0, 1, LossReason::Earlier)]);
    }

    /// The resolution as first written: every contender against every winner so far.
    fn resolve_by_scan(cs: &[Contender], mut admit: impl FnMut(usize) -> bool) -> Resolution {
        let mut order: Vec<usize> = (0..cs.len()).collect();
        order.sort_by(|&a, &b| rank(&cs[a], &cs[b]));
        let mut res = Resolution::default();
        for i in order {
            let c = &cs[i];
            match res
                .winners
                .iter()
                .find(|&&w| cs[w].start < c.end && c.start < cs[w].end)
            {
                Some(&w) => res.losers.push((i, w, reason(&cs[w], c))),
                None if admit(i) => res.winners.push(i),
                None => {}
            }
        }
        res.winners.sort_by_key(|&w| (cs[w].start, cs[w].end));
        res
    }

    #[test]
    fn the_indexed_winners_decide_as_a_scan_of_all_winners_does() {
        // Many small random sets, with empty spans, equal spans and ties, some refused.
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n) as usize
        };
        for _ in 0..2_000 {
            let n = 1 + next(12);
            let cs: Vec<Contender> = (0..n)
                .map(|_| {
                    let start = next(20);
                    let end = start + next(6);
                    Contender {
                        start,
                        end,
                        len: end - start + next(3),
                        priority: next(3) as i32,
                        id_order: next(4) as u32,
                    }
                })
                .collect();
            let refused = next(n as u64 + 1);
            let fast = resolve_with(&cs, |i| i != refused);
            let slow = resolve_by_scan(&cs, |i| i != refused);
            assert_eq!(fast.winners, slow.winners, "{cs:?}");
            let mut losers = (fast.losers.clone(), slow.losers.clone());
            losers.0.sort_by_key(|&(l, w, _)| (l, w));
            losers.1.sort_by_key(|&(l, w, _)| (l, w));
            assert_eq!(losers.0, losers.1, "{cs:?}");
        }
    }
}
