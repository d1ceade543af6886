//! Extraction restricted to some record types (`nedra extract --types amount,deposit`).
//!
//! An analyst who wants only amounts should not pay for agreements. A record of one type
//! depends on records of another only through what it reads: a link to a record type, or
//! an absorbed type (see [`super::demand::readers`]); overlaps, one record per sentence
//! and merges are settled within a type. So the types asked for, with every type they read
//! (and those read in turn), give exactly the records a full run gives for them, and the
//! rules of every other type need not run at all: their grammar groups are left out of
//! the prefilter and never tried.
//!
//! One difference remains, on purpose: a document's matching budget counts only the
//! steps of the rules that run, so a document that exhausts it in a full run can succeed
//! when fewer types are asked for.

use super::DOCUMENT;
use super::demand::readers;
use super::matcher::Groups;
use crate::rules::RuleSet;
use std::collections::{BTreeSet, HashSet};

/// A `--types` list naming a record type the rules do not make.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown record type {}; the rules make: {}", quoted(.unknown), .known.join(", "))]
pub struct UnknownType {
    /// The names asked for that no rule makes.
    pub unknown: Vec<String>,
    /// Every type the rules make, `document` included, sorted.
    pub known: Vec<String>,
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which record types a run prints, and which grammar groups it must run for them.
#[derive(Debug, Clone)]
pub struct Selection {
    /// The types asked for.
    printed: HashSet<String>,
    /// The types asked for and every type they read, directly or not.
    needed: HashSet<String>,
    /// Per group: some member makes a needed type.
    runs: Vec<bool>,
}

impl Selection {
    /// The selection of `types` over the rules `set` grouped as `groups`; an error names
    /// the types no rule makes (a typo would otherwise print nothing, silently).
    pub fn new(set: &RuleSet, groups: &Groups, types: &[String]) -> Result<Selection, UnknownType> {
        let known: BTreeSet<&str> = set
            .rules
            .iter()
            .map(|r| r.emits.as_str())
            .chain(set.records.keys().map(String::as_str))
            .chain([DOCUMENT])
            .collect();
        let unknown: Vec<String> = types
            .iter()
            .filter(|t| !known.contains(t.as_str()))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(UnknownType {
                unknown,
                known: known.into_iter().map(str::to_string).collect(),
            });
        }
        let printed: HashSet<String> = types.iter().cloned().collect();
        let reads = readers(set);
        let mut needed = printed.clone();
        let mut todo: Vec<String> = printed.iter().cloned().collect();
        while let Some(reader) = todo.pop() {
            for &(read, by, _) in &reads {
                if by == reader && needed.insert(read.to_string()) {
                    todo.push(read.to_string());
                }
            }
        }
        let runs = groups
            .groups
            .iter()
            .map(|g| {
                g.members
                    .iter()
                    .any(|&r| needed.contains(&set.rules[r].emits))
            })
            .collect();
        Ok(Selection {
            printed,
            needed,
            runs,
        })
    }

    /// Per group: whether it runs.
    pub fn groups(&self) -> &[bool] {
        &self.runs
    }

    /// Whether records of type `t` are made (asked for, or read by one that is).
    pub fn needs(&self, t: &str) -> bool {
        self.needed.contains(t)
    }

    /// Whether records of type `t` are returned.
    pub fn prints(&self, t: &str) -> bool {
        self.printed.contains(t)
    }
}
