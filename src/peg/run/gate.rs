//! Gates: a rule tried at a digit reads its number, and looks at what follows it, before
//! anything else (see [`Gate`]). A child of `run`, whose records of rules it reads.

use super::super::Expr;
use super::super::pairs::{PairSet, union_of};
use super::super::starts::Starts;
use super::{Atomicity, RuleId, RuleRun};

/// What every match of a rule that begins at a digit opens with: a call of a memoised
/// rule (a number), after which only something of a first set can follow. An amount tried
/// at a number that no currency, sign or unit follows ("в 2023 году", "5 компаний") went
/// through the entry's sequence, its optional qualifier, the call of its core, the core's
/// choice and the calls down to the number (some ten steps) before its alternatives found
/// nothing after the number; with a gate the attempt reads the number (or finds it in the
/// memo) and looks at what follows it before anything else.
///
/// Why this keeps every result: the gate is a condition every match at a digit meets (see
/// [`Gate::of`]), checked by the call the match would make first, in the atomicity it would
/// make it in; where it holds, the rule runs as before (finding the number in the memo), and
/// a failed check only fails an attempt that would have failed.
#[derive(Debug, Clone)]
pub(crate) struct Gate {
    /// The memoised rule every match at a digit opens with.
    pub(super) rule: RuleId,
    /// The atomicity that rule is called in, when the gated rule is an attempt's entry.
    pub(super) atomicity: Atomicity,
    /// The first bytes of what can follow it (`None`: anything).
    pub(super) rest: Option<Starts>,
}

/// A [`Gate`] in the making: the memoised rule, the atomicity it is called in by the
/// atomicity the expression runs in, and what can follow it.
struct Lead {
    /// The memoised rule.
    rule: RuleId,
    /// The atomicity it is called in, by the atomicity the expression runs in.
    atomicity: [Atomicity; 3],
    /// The first bytes of what can follow it (`None`: anything).
    rest: Option<Starts>,
}

/// Whether first set `s` lets a match begin at an ASCII digit.
fn admits_digit(s: &Starts) -> bool {
    (b'0'..=b'9').any(|d| s.may_match_at(&[], &[d], 0))
}

impl Gate {
    /// The gate of an attempt whose entry is rule `entry`, when every match of it at a
    /// digit opens with the same memoised rule called in the same atomicity. Through
    /// calls, sequences (an optional item that cannot begin at a digit is passed over: it
    /// matches empty there), choices (alternatives that cannot begin at a digit are left
    /// out; the others must all have the same lead, and what follows is any of theirs) and
    /// [`super::MemoSeq`]s (a lookahead on one too: its sequence must match).
    pub(crate) fn of(
        entry: RuleId,
        exprs: &[Expr],
        calls: &[RuleRun],
        starts: &[Starts],
        sets: &mut Vec<PairSet>,
    ) -> Option<Gate> {
        if !admits_digit(&calls[entry as usize].starts) {
            return None;
        }
        let lead = Self::call(entry, exprs, calls, starts, sets, 0)?;
        if lead.rule == entry || lead.rest.is_none() {
            // A memoised entry: the gate would be the attempt itself. With nothing known of
            // what follows, the gate would only find sooner that the rule fails, and make
            // the matches that go on take its result from the memo a second time.
            return None;
        }
        Some(Gate {
            rule: lead.rule,
            atomicity: lead.atomicity[Atomicity::NonAtomic as usize],
            rest: lead.rest,
        })
    }

    /// The lead of a call of rule `id`.
    fn call(
        id: RuleId,
        exprs: &[Expr],
        calls: &[RuleRun],
        starts: &[Starts],
        sets: &mut Vec<PairSet>,
        depth: u32,
    ) -> Option<Lead> {
        let run = &calls[id as usize];
        let inner = Self::lead(run.expr, exprs, calls, starts, sets, depth + 1);
        if run.memo && inner.as_ref().is_none_or(|l| l.rest.is_none()) {
            // The rule itself, unless its body opens with a memoised rule after which
            // only some things can follow: that is known sooner (`amount_core_ru`, itself
            // memoised, opens with a number that a unit must follow).
            return Some(Lead {
                rule: id,
                atomicity: [
                    Atomicity::Atomic,
                    Atomicity::CompoundAtomic,
                    Atomicity::NonAtomic,
                ],
                rest: None,
            });
        }
        let inner = inner?;
        Some(Lead {
            atomicity: run.modes.map(|m| inner.atomicity[m.inner as usize]),
            ..inner
        })
    }

    /// The lead of expression `e`; `depth` bounds the calls followed (a grammar's chains
    /// of calls down to its number are short, and a recursive rule must not loop).
    fn lead(
        e: usize,
        exprs: &[Expr],
        calls: &[RuleRun],
        starts: &[Starts],
        sets: &mut Vec<PairSet>,
        depth: u32,
    ) -> Option<Lead> {
        if depth > 16 {
            return None;
        }
        match &exprs[e] {
            Expr::SeqAfterMemo(s) => Some(Lead {
                rule: s.rule,
                atomicity: s.atomicity,
                rest: Some(s.rest),
            }),
            Expr::Call(id) => Self::call(*id, exprs, calls, starts, sets, depth),
            Expr::Seq(items) => {
                for &item in items.iter() {
                    match exprs[item] {
                        Expr::Opt(x) if !admits_digit(&starts[x]) => continue,
                        _ => return Self::lead(item, exprs, calls, starts, sets, depth + 1),
                    }
                }
                None
            }
            Expr::Choice(items) => {
                let mut merged: Option<Lead> = None;
                for &item in items.iter().filter(|&&i| admits_digit(&starts[i])) {
                    let lead = Self::lead(item, exprs, calls, starts, sets, depth + 1)?;
                    merged = Some(match merged {
                        None => lead,
                        Some(m) if m.rule == lead.rule && m.atomicity == lead.atomicity => {
                            let rest = match (m.rest, lead.rest) {
                                (Some(mut a), Some(b)) => {
                                    a.union(&b);
                                    // Both pair sets, when both are looked for where
                                    // the union's first set looks.
                                    let here = a.looks_past_spaces();
                                    a.pairs =
                                        if m.rest.is_some_and(|r| r.looks_past_spaces() == here)
                                            && b.looks_past_spaces() == here
                                        {
                                            union_of(sets, m.rest.map_or(0, |r| r.pairs), b.pairs)
                                        } else {
                                            0
                                        };
                                    Some(a)
                                }
                                _ => None,
                            };
                            Lead { rest, ..m }
                        }
                        Some(_) => return None,
                    });
                }
                merged
            }
            _ => None,
        }
    }
}
