//! Settling the candidates of one record type: overlaps, one record per sentence, repeated
//! mentions merged. Records are built lazily, only for candidates that can still win.

use super::matcher::Groups;
use super::overlap::{self, Contender, LossReason};
use super::tree::{Node, Tree};
use super::{Candidate, Extractor, Outcome};
use crate::record::{FieldValue, Record};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// How much of its work [`Extractor`] keeps for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Detail {
    /// Only the final records: records of candidates that lose an overlap are not built.
    Records,
    /// Every candidate's record, and why it won or lost (for explanations).
    Trace,
}

/// One record to be made: a candidate (and occurrence, for `each` rules) in its sentence.
#[derive(Clone, Copy)]
pub(super) struct Pending<'t> {
    pub(super) candidate: usize,
    pub(super) occurrence: Option<Node<'t>>,
    pub(super) sentence: usize,
    pub(super) norm: (usize, usize),
    /// The raw span the record will have (overlaps are decided on it).
    pub(super) raw: (usize, usize),
}

impl Extractor {
    /// Resolves overlaps, one-per-sentence and merging among the outcomes of one type
    /// (`outcomes[first..]`, made from `pending`); returns the indices of the final records
    /// in text order.
    ///
    /// A record is built (by `build`) only when it could still win: contenders are taken
    /// best first, and one whose span overlaps a winner loses without being built. Most
    /// candidates lose (rules that share a grammar all match at the same place), so this is
    /// most of the record-building work saved. With [`Detail::Trace`] the losers are built
    /// afterwards, for tools that show what every candidate would have been.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn settle<'p>(
        &self,
        ty: &str,
        outcomes: &mut [Outcome],
        first: usize,
        candidates: &[Candidate],
        pending: &[Pending<'p>],
        detail: Detail,
        build: impl Fn(&Pending<'p>) -> Result<Record, String>,
    ) -> Vec<usize> {
        let contender = |i: usize| {
            let p = &pending[i - first];
            let c = &candidates[p.candidate];
            let r = &self.rules.rules[c.rule];
            Contender {
                start: p.raw.0,
                end: p.raw.1,
                len: c.end - c.start,
                priority: r.priority,
                id_order: self.id_order[c.rule],
            }
        };
        let cs: Vec<Contender> = (first..outcomes.len()).map(contender).collect();
        let rt = self.rules.records.get(ty);
        // One record per sentence: contenders never overlap across sentences, so the best
        // one a sentence can build is its only winner, and once it is found the rest of the
        // sentence need not be built. (A trace builds everything anyway, and reports the
        // losers against their overlap winners first, as below.)
        let one_early = detail == Detail::Records && rt.is_some_and(|rt| rt.one_per_sentence);
        let mut sentence_done: HashSet<usize, foldhash::fast::FixedState> = HashSet::default();
        // Only a trace builds the rest afterwards.
        let mut built = match detail {
            Detail::Trace => vec![false; cs.len()],
            Detail::Records => Vec::new(),
        };
        // Why a recipe failed on a match tree (and occurrence): the same recipe fails there
        // again for every rule that has it. Only rules of one group share a tree; a tree of
        // one rule's match (most of them) is never looked up again, and is not kept.
        type FailureKey<'n> = (usize, *const Tree<'n>, Option<usize>);
        let mut failed: HashMap<FailureKey<'_>, String, foldhash::fast::FixedState> =
            HashMap::default();
        let failure_key = |p: &Pending<'p>| {
            let c = &candidates[p.candidate];
            let occurrence = p.occurrence.map(|o| o.index());
            (Arc::strong_count(&c.tree) > 1)
                .then(|| (self.recipe[c.rule], Arc::as_ptr(&c.tree), occurrence))
        };
        let admit = |k: usize| {
            let sentence = pending[k].sentence;
            if one_early && sentence_done.contains(&sentence) {
                return false;
            }
            let result = match failure_key(&pending[k]) {
                None => build(&pending[k]),
                Some(key) => match failed.get(&key) {
                    Some(why) => Err(why.clone()),
                    None => {
                        let result = build(&pending[k]);
                        if let Err(why) = &result {
                            failed.insert(key, why.clone());
                        }
                        result
                    }
                },
            };
            if let Some(done) = built.get_mut(k) {
                *done = true;
            }
            let ok = result.is_ok();
            outcomes[first + k].result = result;
            if ok && one_early {
                sentence_done.insert(sentence);
            }
            ok
        };
        // Who lost to whom is only reported in a trace.
        let res = match detail {
            Detail::Trace => overlap::resolve_with(&cs, admit),
            Detail::Records => overlap::Resolution {
                winners: overlap::winners_with(&cs, admit),
                losers: Vec::new(),
            },
        };
        if detail == Detail::Trace {
            for (k, done) in built.iter().enumerate() {
                if !done {
                    outcomes[first + k].result = build(&pending[k]);
                }
            }
        }
        // A record that cannot be built never contended, so it lost to no one.
        let mut lost: Vec<(usize, usize, LossReason)> = res
            .losers
            .iter()
            .filter(|&&(l, _, _)| outcomes[first + l].result.is_ok())
            .map(|&(l, w, why)| (first + l, first + w, why))
            .collect();
        let mut winners: Vec<usize> = res.winners.iter().map(|&w| first + w).collect();
        if rt.is_some_and(|rt| rt.one_per_sentence) {
            let mut best: BTreeMap<usize, usize> = BTreeMap::new();
            for &w in &winners {
                let s = pending[w - first].sentence;
                match best.get(&s) {
                    Some(&b) if overlap::rank(&contender(b), &contender(w)).is_le() => {
                        lost.push((w, b, LossReason::SameSentence));
                    }
                    Some(&b) => {
                        lost.push((b, w, LossReason::SameSentence));
                        best.insert(s, w);
                    }
                    None => {
                        best.insert(s, w);
                    }
                }
            }
            winners.retain(|w| best.values().any(|b| b == w));
        }
        // A lone winner has no one to merge with: its key is not made.
        if let Some(rt) = rt.filter(|rt| !rt.merge_on.is_empty() && winners.len() > 1) {
            let mut kept: Vec<usize> = Vec::new();
            // Each record's key is made once (comparing every winner with every kept
            // record made them again for each pair: 3 % of all extraction instructions).
            let mut first_of: HashMap<Vec<String>, usize, foldhash::fast::FixedState> =
                HashMap::default();
            for w in winners {
                let found = match merge_key(&outcomes[w], &rt.merge_on) {
                    Some(key) => match first_of.get(&key) {
                        Some(&k) => Some(k),
                        None => {
                            first_of.insert(key, w);
                            None
                        }
                    },
                    None => None,
                };
                match found {
                    Some(k) => {
                        let later = outcomes[w].result.clone();
                        if let (Ok(into), Ok(from)) = (&mut outcomes[k].result, later) {
                            merge_into(into, from);
                        }
                        lost.push((w, k, LossReason::Merged));
                    }
                    None => kept.push(w),
                }
            }
            winners = kept;
        }
        for (l, w, why) in lost {
            outcomes[l].lost_to = Some((w, why));
        }
        winners
    }
}

/// `groups` as extraction runs them: each without the members that never make a record
/// of their own. Members of one group match at the same places; two of them with the same
/// recipe (`recipe`, see [`super::recipes`]) and priority build the same record there but
/// for the rule id, or fail alike, and tie in an overlap on everything but the id. The one
/// whose id sorts first (`id_order`) wins every such tie, so the others' candidates only
/// ever lose: they are not made. A rule copied under another id so costs no more matching
/// or settling than its original. A trace runs every member, to show each one losing.
///
/// Members whose record span can be empty (`can_be_empty`) all stay: an empty span overlaps
/// nothing, so there each of them wins and makes its own record.
pub(super) fn contending(
    groups: &Groups,
    recipe: &[usize],
    id_order: &[u32],
    priority: impl Fn(usize) -> i32,
    can_be_empty: impl Fn(usize) -> bool,
) -> Groups {
    let mut contending = groups.clone();
    for group in &mut contending.groups {
        let members = &group.members;
        let kept: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&r| {
                can_be_empty(r)
                    || !members.iter().any(|&o| {
                        recipe[o] == recipe[r]
                            && priority(o) == priority(r)
                            && id_order[o] < id_order[r]
                    })
            })
            .collect();
        group.members = kept;
    }
    contending
}

/// A comparable form of a field value: text case-folded, lists as sets.
fn norm_key(v: &FieldValue) -> String {
    let mut key = String::new();
    push_key(v, &mut key);
    key
}

/// [`norm_key`] of `v`, written at the end of `out`: a text folded straight into it, not
/// lower-cased into a string of its own and then searched and copied for `ё` (making the
/// keys cost more than merging the records).
fn push_key(v: &FieldValue, out: &mut String) {
    match v {
        FieldValue::Text(t) => push_folded(t, out),
        FieldValue::List(items) => {
            let mut keys: Vec<String> = items.iter().map(norm_key).collect();
            keys.sort_unstable();
            keys.dedup();
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push('\u{1f}');
                }
                out.push_str(k);
            }
        }
        other => out.push_str(&serde_json::to_string(other).unwrap_or_default()),
    }
}

/// Appends `t` lower-cased (as [`str::to_lowercase`] does) with `ё` read as `е`. ASCII is
/// lowered in place, and Russian capitals by their fixed offset; other characters by
/// [`char::to_lowercase`], which is what `str::to_lowercase` does with every character but
/// a capital sigma (whose form depends on its neighbours): a text with one is lowered whole.
fn push_folded(t: &str, out: &mut String) {
    if t.is_ascii() {
        let from = out.len();
        out.push_str(t);
        out[from..].make_ascii_lowercase();
        return;
    }
    let fold = |c: char| if c == 'ё' { 'е' } else { c };
    if t.contains('Σ') {
        out.extend(t.to_lowercase().chars().map(fold));
        return;
    }
    out.reserve(t.len());
    for c in t.chars() {
        match c {
            'а'..='я' => out.push(c),
            // `А` to `Я` lie 32 code points below `а` to `я`.
            'А'..='Я' => out.push(char::from_u32(u32::from(c) + 32).unwrap_or(c)),
            'ё' | 'Ё' => out.push('е'),
            _ => out.extend(c.to_lowercase().map(fold)),
        }
    }
}

fn merge_key(o: &Outcome, on: &[String]) -> Option<Vec<String>> {
    let rec = o.result.as_ref().ok()?;
    on.iter().map(|f| rec.field(f).map(norm_key)).collect()
}

/// Folds a later mention into the first: missing fields are filled, lists united.
pub(super) fn merge_into(into: &mut Record, from: Record) {
    for (k, v) in from.fields {
        match into.fields.iter_mut().find(|(name, _)| *name == k) {
            None => into.fields.push((k, v)),
            Some((_, FieldValue::List(have))) => {
                if let FieldValue::List(more) = v {
                    for m in more {
                        if !have.contains(&m) {
                            have.push(m);
                        }
                    }
                }
            }
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key folds text as `to_lowercase` and `ё` → `е` did, whatever the letters.
    #[test]
    fn keys_fold_text_as_lower_case_with_e_for_yo() {
        let texts = [
            "KG",
            "Intent",
            "Верхнее Кайракты",
            "ЁШЛИК ёлка",
            "Ақтөбе ӘЛЕМ Іле",
            "ΣΟΦΟΣ Σ aΣ",
            "İstanbul ǅ ẞ",
            "",
        ];
        for t in texts {
            let want = t.to_lowercase().replace('ё', "е");
            assert_eq!(norm_key(&FieldValue::Text(t.to_string())), want, "{t}");
        }
        // Every character of one to three bytes, alone and after a letter.
        for c in (0..0x1_0000u32).filter_map(char::from_u32) {
            for t in [c.to_string(), format!("Я{c}")] {
                let want = t.to_lowercase().replace('ё', "е");
                assert_eq!(norm_key(&FieldValue::Text(t.clone())), want, "{t:?}");
            }
        }
        let list = |items: &[&str]| {
            FieldValue::List(
                items
                    .iter()
                    .map(|t| FieldValue::Text(t.to_string()))
                    .collect(),
            )
        };
        assert_eq!(norm_key(&list(&["TJ", "kg", "KG"])), "kg\u{1f}tj");
        assert_eq!(norm_key(&list(&[])), "");
    }
    use crate::extract::matcher::Group;
    use crate::text::Lang;

    /// Of the members that share a recipe and a priority only the one whose id sorts first
    /// stays; another priority or another recipe contends on its own.
    #[test]
    fn only_the_first_id_of_a_recipe_and_priority_contends() {
        let groups = Groups {
            groups: vec![Group {
                entry: None,
                lang: Lang::Ru,
                header_only: false,
                members: vec![0, 1, 2, 3],
            }],
        };
        let recipe = [0, 0, 0, 3];
        let id_order = [2, 0, 1, 3];
        let priority = [0, 0, 1, 0];
        let kept = contending(&groups, &recipe, &id_order, |r| priority[r], |_| false);
        assert_eq!(kept.groups[0].members, [1, 2, 3]);
        let all = contending(&groups, &recipe, &id_order, |r| priority[r], |r| r == 0);
        assert_eq!(all.groups[0].members, [0, 1, 2, 3]);
        assert_eq!(groups.groups[0].members, [0, 1, 2, 3]);
    }

    /// Extraction, which makes no candidates of the copies that only lose, gives a trace's
    /// records (a trace runs every member), winners' rule ids included: copies named
    /// `copy1.…` sort before `percentage.ru` and after `amount.ru`.
    #[test]
    fn copies_that_only_lose_change_no_record() {
        let ex = Extractor::new(crate::bench::grown_rules(3).expect("grown rules load"));
        let text = "Казахстан и Китай подписали соглашение о строительстве медеплавильного завода. \
                    Добыча выросла на 5% и составила 2,6 млн тонн. \
                    На месторождении Сандык имеются богатые запасы лития.";
        let records = ex.extract("t", text);
        assert_eq!(records, ex.trace("t", text, None).0);
        let rules: Vec<&str> = records.iter().map(|r| r.rule.as_str()).collect();
        assert!(rules.contains(&"amount.ru"), "{rules:?}");
        assert!(rules.contains(&"copy1.percentage.ru"), "{rules:?}");
        assert!(rules.iter().any(|r| r.contains("agr.")), "{rules:?}");
        let members = |g: &crate::extract::matcher::Groups| -> usize {
            g.groups.iter().map(|g| g.members.len()).sum()
        };
        let (all, kept) = (members(&ex.groups), members(&ex.contending));
        // Copies stay only where a record's span can be empty (the C5 parties' `agr_here`).
        assert!(kept * 2 < all, "copies still contend: {kept} of {all}");
        let rule = |id: &str| {
            ex.rules
                .rules
                .iter()
                .find(|r| r.id == id)
                .unwrap_or_else(|| panic!("rule {id}"))
        };
        let empty = |id: &str| super::super::record_span_can_be_empty(&ex.rules, rule(id));
        assert!(empty("agr.ru.c5.UZ"));
        assert!(!empty("amount.ru") && !empty("deposit.ru") && !empty("percentage.kk"));
    }
}
