//! The extraction pipeline for one document: bytes → UTF-8 → normalised text with an offset
//! map → sentences with languages → candidate matches → records, type by type.
//!
//! Record types are built in dependency order: a rule whose links take records of another
//! type (a deposit's reserves are an `amount`) runs after that type is final. For each type:
//! build every candidate's records (one per occurrence for `each` rules), fill linked fields,
//! resolve overlaps, keep one per sentence where the type asks, merge repeated mentions.

pub mod demand;
pub mod fields;
pub mod links;
pub mod matcher;
pub mod numeral;
pub mod overlap;
pub mod prefilter;
pub mod selection;
mod settle;
pub mod tree;

use crate::error::DocError;
use crate::record::{FieldValue, Record, Span};
use crate::rules::{Rule, RuleSet};
use crate::text::Lang;
use crate::text::normalize::{Normalized, normalize};
use crate::text::sentences::{self, Sentence};
use fields::{FieldContext, Scope};
use matcher::Candidate;
use overlap::LossReason;
use settle::{Detail, Pending, merge_into};
use std::collections::{BTreeMap, HashMap, HashSet};
use tree::Node;

/// Record type of the one-per-input document record.
pub const DOCUMENT: &str = "document";

/// How many leading sentences document rules (datelines) look at.
const HEADER_SENTENCES: usize = 6;

/// A loaded rule set, ready to extract from any number of documents (shareable across threads).
#[derive(Debug)]
pub struct Extractor {
    rules: RuleSet,
    type_order: Vec<String>,
    /// Per rule: the position of the type it emits in `type_order`.
    type_of_rule: Vec<usize>,
    /// Per rule: the position of its id among all ids in order (ties in overlaps go to the
    /// smaller id; comparing positions is cheaper than comparing the strings).
    id_order: Vec<u32>,
    /// Per rule: the first rule that builds records the same way (see [`recipes`]).
    recipe: Vec<usize>,
    /// Per rule: its span ends with the capitalised words a field keeps (see
    /// [`trims_span`]).
    trims_span: Vec<bool>,
    /// Per group of `contending`: every record its members make needs a capital letter at
    /// or after the place its match begins (see [`capitalised_only`]), so it is not tried
    /// where the sentence holds none from there on.
    capitalised_only: Vec<bool>,
    /// Per group of `contending`: every record its members make needs the raw word where
    /// its match begins to start with a capital letter (see [`capital_first`]), so it is not
    /// tried where that word does not.
    capital_first: Vec<bool>,
    groups: matcher::Groups,
    /// The groups without the members that never make a record of their own (see
    /// [`settle::contending`]): what extraction runs; a trace runs every member.
    contending: matcher::Groups,
    /// Over the groups' representatives: its rule indices are group indices.
    prefilter: prefilter::Prefilter,
    /// Which groups make only helper records, and run only where those are read.
    demand: demand::Demand,
    /// Which groups make no record where their sentence holds too few records of a type
    /// they link to, and are not run there.
    needs: demand::Needs,
    /// The links' lexicon scanners, tried at word starts.
    word_scanners: links::WordScanners,
    /// The record types asked for, when not all (see [`Extractor::with_types`]).
    selection: Option<selection::Selection>,
    limits: ExtractLimits,
}

/// A record made (or not) from one candidate, for tools that explain.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Index into [`Trace::candidates`].
    pub candidate: usize,
    /// The record, or why the match makes none.
    pub result: Result<Record, String>,
    /// `Some((winner outcome index, reason))` when it lost an overlap or was merged away.
    pub lost_to: Option<(usize, LossReason)>,
}

/// Everything one document gave: its sentences, every candidate and what became of it.
/// Match trees borrow rule names from the extractor's rules (`'r`). Only
/// [`Extractor::trace`] fills it in full; extraction keeps no more than it needs (records
/// are built only for candidates that can win, and move out of their outcomes).
#[derive(Debug, Clone, Default)]
pub struct Trace<'r> {
    /// The normalised text.
    pub text: String,
    /// The sentences.
    pub sentences: Vec<Sentence>,
    /// All grammar matches, in text order per sentence.
    pub candidates: Vec<Candidate<'r>>,
    /// What each became.
    pub outcomes: Vec<Outcome>,
    /// Why the document could not be processed (a limit), if it could not.
    pub error: Option<DocError>,
}

/// Limits that keep one document from taking a worker down; reaching one is an error on
/// that document only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtractLimits {
    /// Largest document, in bytes.
    pub max_bytes: usize,
    /// Matching steps a document may take: this many per byte, plus `base_steps`.
    pub steps_per_byte: u64,
    /// Matching steps every document may take whatever its size.
    pub base_steps: u64,
    /// Deepest nesting of grammar rule calls.
    pub max_depth: u32,
}

impl Default for ExtractLimits {
    fn default() -> ExtractLimits {
        ExtractLimits {
            max_bytes: 64 << 20,
            steps_per_byte: 2_000,
            base_steps: 20_000_000,
            max_depth: 256,
        }
    }
}

/// A final record with where it sits, for links of later types.
#[derive(Debug, Clone)]
pub(crate) struct Placed {
    pub(crate) record: Record,
    pub(crate) sentence: usize,
    pub(crate) norm: (usize, usize),
}

/// The final records of each type built so far, by type name. Links look a type up for
/// every record they build: a fast hash, not the default SipHash (its order is never read:
/// the records are sorted before they are returned).
pub(crate) type PlacedByType = HashMap<String, Vec<Placed>, foldhash::fast::FixedState>;

/// Record types in an order where every type comes after the types its links take.
fn type_order(rules: &RuleSet) -> Vec<String> {
    let mut deps: BTreeMap<&str, HashSet<&str>> = BTreeMap::new();
    for name in rules.records.keys() {
        deps.entry(name.as_str()).or_default();
    }
    for r in &rules.rules {
        let d = deps.entry(r.emits.as_str()).or_default();
        d.extend(r.links.iter().filter_map(|l| l.record.as_deref()));
    }
    for (name, rt) in &rules.records {
        if let Some((absorbed, _)) = &rt.absorb {
            deps.entry(name.as_str())
                .or_default()
                .insert(absorbed.as_str());
        }
    }
    let mut order = Vec::new();
    let mut done = HashSet::new();
    fn visit<'a>(
        t: &'a str,
        deps: &BTreeMap<&'a str, HashSet<&'a str>>,
        done: &mut HashSet<&'a str>,
        order: &mut Vec<String>,
    ) {
        if !done.insert(t) {
            return;
        }
        let mut ds: Vec<&str> = deps.get(t).into_iter().flatten().copied().collect();
        ds.sort_unstable();
        for d in ds {
            visit(d, deps, done, order);
        }
        order.push(t.to_string());
    }
    for t in deps.keys() {
        visit(t, &deps, &mut done, &mut order);
    }
    order
}

/// Per rule: the first rule with the same recipe, the parts of a rule that make its record
/// from a match (record type, span capture, fields, `each` capture and links). Rules of one
/// recipe differ only in id, priority, grammar or language, so on one match tree they build
/// records that differ only in their rule id, or fail for the same reason;
/// [`Extractor::settle`] then builds a failure once, not once per rule (rule sets that
/// override or copy a rule under another id have many).
fn recipes(rules: &RuleSet) -> Vec<usize> {
    let same = |a: &Rule, b: &Rule| {
        a.emits == b.emits
            && a.span == b.span
            && a.fields == b.fields
            && a.each == b.each
            && a.links == b.links
    };
    let mut firsts: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut recipe = Vec::with_capacity(rules.rules.len());
    for (r, rule) in rules.rules.iter().enumerate() {
        let firsts = firsts.entry(rule.emits.as_str()).or_default();
        match firsts.iter().find(|&&f| same(&rules.rules[f], rule)) {
            Some(&f) => recipe.push(f),
            None => {
                firsts.push(r);
                recipe.push(r);
            }
        }
    }
    recipe
}

impl Extractor {
    /// Prepares a rule set for extraction.
    pub fn new(rules: RuleSet) -> Extractor {
        let type_order = type_order(&rules);
        let type_of_rule = rules
            .rules
            .iter()
            .map(|r| type_order.iter().position(|t| *t == r.emits).unwrap_or(0))
            .collect();
        let mut by_id: Vec<usize> = (0..rules.rules.len()).collect();
        by_id.sort_by(|&a, &b| rules.rules[a].id.cmp(&rules.rules[b].id));
        let mut id_order = vec![0; by_id.len()];
        for (position, &r) in by_id.iter().enumerate() {
            id_order[r] = position as u32;
        }
        let recipe = recipes(&rules);
        let trims_span = rules.rules.iter().map(trims_span).collect();
        let groups = matcher::Groups::new(&rules);
        let contending = settle::contending(
            &groups,
            &recipe,
            &id_order,
            |r| rules.rules[r].priority,
            |r| record_span_can_be_empty(&rules, &rules.rules[r]),
        );
        let capitalised_only = contending
            .groups
            .iter()
            .map(|g| {
                !g.members.is_empty()
                    && g.members.iter().all(|&r| capitalised_only(&rules.rules[r]))
            })
            .collect();
        let capital_first = contending
            .groups
            .iter()
            .map(|g| !g.members.is_empty() && g.members.iter().all(|&r| capital_first(&rules, r)))
            .collect();
        let prefilter = prefilter::Prefilter::new(&rules, &groups.representatives());
        let demand = demand::Demand::new(&rules, &groups);
        let needs = demand::Needs::new(&rules, &groups);
        let word_scanners = links::WordScanners::new(&rules);
        Extractor {
            rules,
            type_order,
            type_of_rule,
            id_order,
            recipe,
            trims_span,
            capitalised_only,
            capital_first,
            groups,
            contending,
            prefilter,
            demand,
            needs,
            word_scanners,
            selection: None,
            limits: ExtractLimits::default(),
        }
    }

    /// The same extractor, returning only records of `types` (and the `document` record,
    /// always first, whose fields are filled only when `document` is among them); an empty
    /// list means every type. Rules run only for these types and the types they read (see
    /// [`selection`]), so asking for fewer types is faster.
    pub fn with_types(mut self, types: &[String]) -> Result<Extractor, selection::UnknownType> {
        if types.is_empty() {
            if self.selection.take().is_some() {
                self.prefilter =
                    prefilter::Prefilter::new(&self.rules, &self.groups.representatives());
            }
            return Ok(self);
        }
        let chosen = selection::Selection::new(&self.rules, &self.groups, types)?;
        // The groups not chosen are never eligible in this prefilter: matching needs no
        // other check to leave them out.
        self.prefilter = prefilter::Prefilter::only(
            &self.rules,
            &self.groups.representatives(),
            chosen.groups(),
        );
        self.selection = Some(chosen);
        Ok(self)
    }

    /// The same extractor with other limits.
    pub fn with_limits(mut self, limits: ExtractLimits) -> Extractor {
        self.limits = limits;
        self
    }

    /// The limits in force.
    pub fn limits(&self) -> ExtractLimits {
        self.limits
    }

    /// The rule set.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The time each stage before matching takes on `raw`: normalising, splitting into
    /// sentences, and the prefilter's pass. For the benchmark's breakdown of where a
    /// document's time goes (see [`crate::bench::stages`]); it runs the stages extraction
    /// runs, through the same [`Extractor::read`].
    pub fn stage_times(&self, raw: &str) -> [std::time::Duration; 3] {
        let mut laps = [std::time::Instant::now(); 4];
        let mut done = 0;
        let read = self.read(raw, None, || {
            done += 1;
            laps[done] = std::time::Instant::now();
        });
        std::hint::black_box(read.eligible.tries.len());
        [laps[1] - laps[0], laps[2] - laps[1], laps[3] - laps[2]]
    }

    /// A document up to matching: normalised, split into sentences (all of language `lang`
    /// when given), and passed through the prefilter. `lap` is called after each of the
    /// three stages (the benchmark times them; extraction passes a closure that does
    /// nothing).
    fn read(&self, raw: &str, lang: Option<Lang>, mut lap: impl FnMut()) -> Read<'_> {
        let norm = normalize(raw);
        lap();
        let (mut sents, mut main_lang) = sentences::split(&norm, raw, &self.rules.abbreviations);
        if let Some(l) = lang {
            // Before the prefilter, which scans each sentence for its language's rules.
            main_lang = l;
            sents.iter_mut().for_each(|s| s.lang = l);
        }
        lap();
        let eligible = self.prefilter.eligible(&norm.text, &sents);
        lap();
        Read {
            norm,
            sents,
            main_lang,
            eligible,
        }
    }

    /// Extracts from raw bytes. Always returns the `document` record first; a document that
    /// is not UTF-8 (or that hits a bug) gives only that record, with an `error` field.
    pub fn extract_bytes(&self, doc: &str, bytes: &[u8]) -> (Vec<Record>, Option<DocError>) {
        if bytes.len() > self.limits.max_bytes {
            let err = DocError::TooLarge {
                bytes: bytes.len(),
                limit: self.limits.max_bytes,
            };
            return (vec![failed_document(doc, &err)], Some(err));
        }
        // SIMD validation: `std::str::from_utf8` walks non-ASCII text (all of Cyrillic) a
        // character at a time, and was 2 % of a one-thread run; `compat` keeps the offset of
        // the first bad byte for the error.
        match simdutf8::compat::from_utf8(bytes) {
            Ok(text) => {
                // A bug in a grammar or in nedra must cost one document, not the batch.
                let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    self.run(doc, text, None, Detail::Records)
                }));
                match run {
                    Ok((records, trace)) => (records, trace.error),
                    Err(payload) => {
                        let what = crate::error::panic_message(&*payload);
                        let err = DocError::Internal(what);
                        (vec![failed_document(doc, &err)], Some(err))
                    }
                }
            }
            Err(e) => {
                let err = DocError::NotUtf8 {
                    offset: e.valid_up_to(),
                };
                (vec![failed_document(doc, &err)], Some(err))
            }
        }
    }

    /// Extracts from a text: the `document` record, then every record in text order.
    pub fn extract(&self, doc: &str, raw: &str) -> Vec<Record> {
        self.run(doc, raw, None, Detail::Records).0
    }

    /// Like [`Extractor::extract`], with every sentence forced to `lang` when given (rule
    /// examples use it: a three-word example has too little text to tell its language), and
    /// the full trace of what matched and why it won or lost.
    pub fn trace(&self, doc: &str, raw: &str, lang: Option<Lang>) -> (Vec<Record>, Trace<'_>) {
        self.run(doc, raw, lang, Detail::Trace)
    }

    /// Leaves out the tries (in `tries`, and the places `anywhere` lets a group begin at) of
    /// the [`capitalised_only`] groups where sentence `s` holds no capital letter from the
    /// try's place to its end: every record of such a group is an occurrence that its
    /// `case` field wants capitalised, within the match, so a match there makes no record.
    ///
    /// Such a match changes nothing else either. Its records fail to build, and a contender
    /// that fails is never a winner and blocks no other (overlap resolution keeps only those
    /// admitted; one per sentence, merging and absorption read only winners). It could ask
    /// for helper records (see [`demand`]), but only for readers in its own sentences: a
    /// reader that makes a record asks for them itself. Fewer matching steps are spent, so a
    /// document that ran out of its budget may not any more. A trace tries everything.
    ///
    /// The grammars see lower-cased text: a Kazakh deposit's names stand before its
    /// trigger, so its group is tried at every word before one, mostly at lower-case words
    /// with no name after them (on the bench sample, 600 of its 640 places).
    fn skip_capital_free(
        &self,
        raw: &str,
        norm: &Normalized,
        s: &Sentence,
        tries: &mut Vec<(usize, usize)>,
        anywhere: &mut [(usize, usize, usize)],
    ) {
        let checked = |g: usize| self.capitalised_only.get(g).copied().unwrap_or(false);
        if !tries.iter().any(|&(_, g)| checked(g)) && !anywhere.iter().any(|&(g, ..)| checked(g)) {
            return;
        }
        let bound = capital_free_from(raw, norm, s);
        // Where no capital follows: the raw text of a capture that begins at or after
        // `pos` begins at or after `raw_start(pos)` (the map never goes back).
        let free = |pos: usize| norm.map.raw_start(pos) >= bound;
        tries.retain(|&(pos, g)| !checked(g) || !free(pos));
        for (g, from, until) in anywhere.iter_mut() {
            if !checked(*g) {
                continue;
            }
            // The first place from which none is left: `free` holds from there on.
            let (mut lo, mut hi) = (*from, (*until).min(s.end).max(*from));
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if free(mid) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            *until = (*until).min(lo);
        }
    }

    fn run(
        &self,
        doc: &str,
        raw: &str,
        lang: Option<Lang>,
        detail: Detail,
    ) -> (Vec<Record>, Trace<'_>) {
        let Read {
            norm,
            sents,
            main_lang,
            eligible,
        } = self.read(raw, lang, || {});
        let cx = FieldContext {
            raw,
            norm: &norm,
            lexicons: &self.rules.lexicons,
            rewrites: &self.rules.rewrites,
        };
        let mut candidates = Vec::new();
        let mut sentence_of = Vec::new();
        let steps = self
            .limits
            .base_steps
            .saturating_add(self.limits.steps_per_byte.saturating_mul(raw.len() as u64));
        let budget = matcher::Budget::new(steps, self.limits.max_depth);
        // About one memoised result per try (a number under its amount, percentage and
        // range groups is one): room for them saves growing the table as they come. Capped,
        // so a huge document does not reserve more than the results it will hold.
        let mut rule_memo = crate::peg::Memo::with_capacity(eligible.tries.len().min(4096));
        // Per-sentence lists, reused: most sentences have a few tries or none.
        let mut tries: Vec<(usize, usize)> = Vec::new();
        let mut anywhere: Vec<(usize, usize, usize)> = Vec::new();
        // Helper records on demand (see `demand`): first every other group, then the
        // helpers' groups where what was found asks for them. A trace runs everything.
        let on_demand = detail == Detail::Records && self.demand.any();
        let groups = match detail {
            Detail::Records => &self.contending,
            Detail::Trace => &self.groups,
        };
        let mut match_sentence = |i: usize, in_pass: &dyn Fn(usize) -> bool| {
            let s = &sents[i];
            // A group runs in sentences of its language, datelines only in the header, and
            // where the prefilter allows it: its tries already hold only allowed sentences,
            // groups that can start anywhere are checked here.
            let runs_here = |g: usize| {
                let group = &groups.groups[g];
                group.lang == s.lang && (i < HEADER_SENTENCES || !group.header_only) && in_pass(g)
            };
            tries.clear();
            tries.extend(
                eligible
                    .tries_in(s.start, s.end)
                    .iter()
                    .copied()
                    .filter(|&(_, g)| runs_here(g)),
            );
            anywhere.clear();
            anywhere.extend(
                eligible
                    .anywhere(i, s.lang)
                    .filter(|&(g, _, _)| runs_here(g))
                    .map(|(g, until, near)| {
                        // The earliest place it may begin at, near its clauses' literals.
                        let from = near.map_or(s.start, |near| near.from(&norm.text, s, until));
                        (g, from, s.start.saturating_add(until as usize))
                    }),
            );
            if detail == Detail::Records {
                self.skip_capital_free(raw, &norm, s, &mut tries, &mut anywhere);
            }
            matcher::candidates(
                &self.rules,
                groups,
                &norm.text,
                s,
                &tries,
                &anywhere,
                &budget,
                &mut rule_memo,
                match detail {
                    Detail::Records => matcher::CapitalFirst {
                        groups: &self.capital_first,
                        raw: Some((raw, &norm.map)),
                    },
                    Detail::Trace => matcher::CapitalFirst::none(),
                },
            )
        };
        // Groups whose matches cannot make a record in a sentence (see `demand::Needs`),
        // per sentence; a trace runs them all.
        let needs = detail == Detail::Records && self.needs.any();
        let (mut counts, mut short) = (Vec::new(), Vec::new());
        for (i, s) in sents.iter().enumerate() {
            short.clear();
            if needs {
                let tried = eligible.tries_in(s.start, s.end);
                if tried.iter().any(|&(_, g)| self.needs.is_needy(g)) {
                    self.needs.short(
                        tried.iter().copied(),
                        eligible.anywhere(i, s.lang).map(|(g, _, _)| g),
                        &mut counts,
                        &mut short,
                    );
                }
            }
            let found = match_sentence(i, &|g| {
                (!on_demand || !self.demand.is_on_demand(g)) && !short.contains(&g)
            });
            sentence_of.resize(sentence_of.len() + found.len(), i);
            candidates.extend(found);
        }
        if on_demand {
            let wanted = self.demand.wanted(
                candidates
                    .iter()
                    .map(|c| c.rule)
                    .zip(sentence_of.iter().copied()),
                sents.len(),
            );
            let before = candidates.len();
            for i in (0..sents.len()).filter(|&i| wanted.any_in(i)) {
                let found = match_sentence(i, &|g| self.demand.runs(&wanted, g, i));
                sentence_of.resize(sentence_of.len() + found.len(), i);
                candidates.extend(found);
            }
            if candidates.len() > before {
                // Back to the order of one pass: by sentence, then start, then rule. Each
                // pass is in that order already, so merging them is enough (sorting the
                // whole list was 0.6 % of extraction).
                let later: Vec<(usize, Candidate<'_>)> = sentence_of
                    .split_off(before)
                    .into_iter()
                    .zip(candidates.split_off(before))
                    .collect();
                let first: Vec<(usize, Candidate<'_>)> =
                    sentence_of.drain(..).zip(candidates.drain(..)).collect();
                let key = |(s, c): &(usize, Candidate<'_>)| (*s, c.start, c.rule);
                for (s, c) in merge_sorted(first, later, key) {
                    sentence_of.push(s);
                    candidates.push(c);
                }
            }
        }
        // Most candidates make one outcome: room for all of them at once, since a record
        // is large and growing the list type by type copied it (rule sets with many rules
        // of one grammar make many candidates).
        let mut outcomes: Vec<Outcome> = Vec::with_capacity(candidates.len());
        // Room for every type: growing the table as types come rehashed it three times.
        let mut placed =
            PlacedByType::with_capacity_and_hasher(self.type_order.len(), Default::default());
        let scans = links::ScanCache::new(&self.word_scanners);
        // Counted first: rule sets with many rules of one grammar give long lists, which
        // would otherwise grow by copies.
        let mut counts = vec![0; self.type_order.len()];
        for c in &candidates {
            counts[self.type_of_rule[c.rule]] += 1;
        }
        let mut of_type: Vec<Vec<usize>> = counts.into_iter().map(Vec::with_capacity).collect();
        for (ci, c) in candidates.iter().enumerate() {
            of_type[self.type_of_rule[c.rule]].push(ci);
        }
        let mut occs = Vec::new();
        // The final records of the types whose links wait for absorption (see `Links`),
        // with what they were made from, to be made in full once absorbed.
        let mut unfinished: Vec<(&str, Vec<Pending<'_>>)> = Vec::new();
        // `rt` is the record type of `p`'s rule, looked up once per type, not per record.
        let record_of = |placed: &PlacedByType,
                         p: &Pending<'_>,
                         rt: Option<&crate::rules::RecordType>,
                         links: Links| {
            let ctx = links::LinkContext {
                scans: &scans,
                sentence: &sents[p.sentence],
                sentence_index: p.sentence,
                norm_span: p.norm,
                placed,
                fields: &cx,
                why: detail == Detail::Trace,
            };
            let c = &candidates[p.candidate];
            let rule = &self.rules.rules[c.rule];
            let lang = s_lang(&sents, p.sentence);
            self.record(doc, rule, c, p, lang, &ctx, detail, rt, links)
        };
        for (ty, of_type) in self.type_order.iter().zip(&of_type) {
            // A group that runs for a needed type may have members of other types.
            // A type without candidates has no records to settle, place or absorb into.
            if of_type.is_empty() || self.selection.as_ref().is_some_and(|sel| !sel.needs(ty)) {
                continue;
            }
            let first = outcomes.len();
            // Most candidates make one outcome: room for them saves growing by copies.
            outcomes.reserve(of_type.len());
            let mut pending: Vec<Pending<'_>> = Vec::with_capacity(of_type.len()); // per outcome of this type
            for &ci in of_type {
                let c = &candidates[ci];
                let rule = &self.rules.rules[c.rule];
                let sentence = sentence_of[ci];
                occurrences(rule, c.tree.root(), &mut occs);
                for &occ in &occs {
                    let norm_span = match (occ, &rule.span) {
                        (Some(o), _) => (o.start, o.end),
                        (None, Some(cap)) => c
                            .tree
                            .root()
                            .find(cap)
                            .map_or((c.start, c.end), |n| (n.start, n.end)),
                        (None, None) => (c.start, c.end),
                    };
                    // The record is built in `settle`, and only if it can still win
                    // (every one for a trace); until then the outcome holds no record.
                    outcomes.push(Outcome {
                        candidate: ci,
                        result: Err(String::new()),
                        lost_to: None,
                    });
                    pending.push(Pending {
                        candidate: ci,
                        occurrence: occ,
                        sentence,
                        norm: norm_span,
                        raw: raw_offsets(&norm, norm_span.0, norm_span.1),
                    });
                }
            }
            let links = if detail == Detail::Records && self.demand.read_only_by_absorption(ty) {
                Links::Failable
            } else {
                Links::All
            };
            let record_type = self.rules.records.get(ty);
            let build = |p: &Pending<'_>| record_of(&placed, p, record_type, links);
            let finals = self.settle(
                ty,
                &mut outcomes,
                first,
                &candidates,
                &pending,
                detail,
                build,
            );
            if let Some((absorbed, within)) = record_type.and_then(|rt| rt.absorb.as_ref()) {
                let made_from = unfinished
                    .iter()
                    .find(|(t, _)| t == absorbed)
                    .map(|(_, made_from)| made_from);
                let absorbed_type = self.rules.records.get(absorbed);
                for (k, a) in placed.get(absorbed).into_iter().flatten().enumerate() {
                    // The nearest final record of this type that starts before it.
                    let target = finals
                        .iter()
                        .copied()
                        .filter(|&i| {
                            let (s, norm) = (pending[i - first].sentence, pending[i - first].norm);
                            norm.0 < a.norm.0 && s <= a.sentence && s + within >= a.sentence
                        })
                        .max_by_key(|&i| pending[i - first].norm.0);
                    if let Some(t) = target
                        && let Ok(into) = &mut outcomes[t].result
                    {
                        let mut from = match made_from.and_then(|m| m.get(k)) {
                            // It made a record before, without the links it waited
                            // for: with them it makes one again.
                            Some(p) => match record_of(&placed, p, absorbed_type, Links::All) {
                                Ok(full) => full,
                                Err(_) => continue,
                            },
                            None => a.record.clone(),
                        };
                        // Only what this type declares: the absorbed type's own fields
                        // (the anaphor's `next`, which only checks the word after it)
                        // are not this type's and are not printed.
                        from.fields
                            .retain(|(name, _)| record_type.is_none_or(|rt| rt.has_field(name)));
                        merge_into(into, from);
                    }
                }
            }
            let mut finished = Vec::with_capacity(finals.len());
            let mut made_from = Vec::new();
            for i in finals {
                let p = &pending[i - first];
                // Only a trace reads the outcomes again: otherwise the record moves, and is
                // not copied.
                let record = match detail {
                    Detail::Trace => outcomes[i].result.clone(),
                    Detail::Records => {
                        std::mem::replace(&mut outcomes[i].result, Err(String::new()))
                    }
                };
                let Ok(record) = record else { continue };
                if links == Links::Failable {
                    made_from.push(*p);
                }
                finished.push(Placed {
                    record,
                    sentence: p.sentence,
                    norm: p.norm,
                });
            }
            if links == Links::Failable {
                unfinished.push((ty, made_from));
            }
            placed.insert(ty.clone(), finished);
        }
        let mut document = Record {
            doc: doc.to_string(),
            kind: DOCUMENT.to_string(),
            rule: DOCUMENT.to_string(),
            lang: Some(main_lang),
            span: None,
            fields: Vec::new(),
        };
        if let Some(first) = placed.get(DOCUMENT).and_then(|d| d.first()) {
            document.rule = first.record.rule.clone();
            document.fields = first.record.fields.clone();
        }
        let mut records: Vec<Record> = placed
            .into_iter()
            .filter(|(ty, _)| {
                ty != DOCUMENT
                    && self.rules.records.get(ty).is_none_or(|rt| rt.output)
                    && self.selection.as_ref().is_none_or(|sel| sel.prints(ty))
            })
            .flat_map(|(_, ps)| ps.into_iter().map(|p| p.record))
            .collect();
        records.sort_by(|a, b| {
            let key = |r: &Record| r.span.as_ref().map_or((0, 0), |s| (s.start, s.end));
            key(a)
                .cmp(&key(b))
                .then_with(|| a.kind.cmp(&b.kind))
                .then_with(|| a.rule.cmp(&b.rule))
        });
        if detail == Detail::Records {
            for r in &mut records {
                r.doc = doc.to_string();
            }
        }
        records.insert(0, document);
        let error = budget
            .exceeded
            .get()
            .map(|why| DocError::Budget(why.to_string()));
        if let Some(e) = &error {
            records = vec![failed_document(doc, e)];
        }
        let trace = Trace {
            text: norm.text,
            sentences: sents,
            candidates,
            outcomes,
            error,
        };
        (records, trace)
    }

    /// The record of pending outcome `p` (candidate `c` of `rule`); its span is the raw
    /// span `p` was ranked by.
    ///
    /// With [`Detail::Records`] nothing of a match that makes no record is kept but the
    /// failure, so the links that can fail (that need `min` values) are applied before the
    /// fields are built: too few values (an agreement needs two parties) is the commonest
    /// reason a match makes no record, and its fields are then never built. The other links
    /// (lexicon scans, the costliest part) come last, after the fields, which fail more
    /// often than they do, and not at all with [`Links::Failable`]. A trace keeps the
    /// fields-first order, for the reason it reports.
    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        doc: &str,
        rule: &Rule,
        c: &Candidate,
        p: &Pending<'_>,
        lang: Lang,
        ctx: &links::LinkContext<'_>,
        detail: Detail,
        record_type: Option<&crate::rules::RecordType>,
        which: Links,
    ) -> Result<Record, String> {
        let cx = ctx.fields;
        let scope = Scope {
            tree: c.tree.root(),
            occurrence: p.occurrence,
        };
        let early = |link: &crate::rules::link::Link| detail == Detail::Records && link.min > 0;
        // Allocated only by a rule with a link that can fail (most have none).
        let mut linked = Vec::new();
        for link in rule.links.iter().filter(|l| early(l)) {
            linked.push(links::apply(link, ctx)?);
        }
        let mut fields = fields::build(rule, scope, cx).map_err(|e| e.0)?;
        let mut early_values = linked.into_iter();
        for link in &rule.links {
            let v = if early(link) {
                early_values.next().flatten()
            } else if which == Links::All {
                links::apply(link, ctx)?
            } else {
                None
            };
            if let Some(v) = v {
                fields.retain(|(k, _)| *k != link.field);
                fields.push((link.field.clone(), v));
            }
        }
        if let Some(rt) = record_type {
            sort_fields(&mut fields, |name| rt.position(name));
        }
        let kept = self.trims_span[c.rule]
            .then(|| fields::capitalized_end(&cx.raw[p.raw.0..p.raw.1]))
            .flatten();
        let end = kept.map_or(p.raw.1, |k| p.raw.0 + k);
        // Extraction names the document only in the records it returns (see
        // `Extractor::run`): most records built are helpers, merged away or dropped. Those
        // of a type never printed are read only for their span and fields.
        let hidden = detail == Detail::Records && record_type.is_some_and(|rt| !rt.output);
        let copy = |s: &str| if hidden { String::new() } else { s.to_string() };
        Ok(Record {
            doc: match detail {
                Detail::Records => String::new(),
                Detail::Trace => doc.to_string(),
            },
            kind: copy(&rule.emits),
            rule: copy(&rule.id),
            lang: Some(lang),
            span: Some(Span {
                start: p.raw.0,
                end,
                text: cx.raw[p.raw.0..end].to_string(),
            }),
            fields,
        })
    }
}

/// Which of a rule's links a record is made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Links {
    /// Every link: the record as it is printed or read.
    All,
    /// Only the links that can fail (with a `min`), with [`Detail::Records`]: enough to
    /// know whether the match makes a record, for a type whose records are read only when
    /// another type absorbs them (see [`demand::Demand::read_only_by_absorption`]); the
    /// ones absorbed are made again with every link.
    Failable,
}

/// Whether a record of `rule` can have an empty span: the grammar rule its span is read
/// from (its `each`, else its `span`, else its entry) may match nothing.
fn record_span_can_be_empty(rules: &RuleSet, rule: &Rule) -> bool {
    let from = rule.each.as_ref().or(rule.span.as_ref());
    rules
        .grammar
        .first_set(from.unwrap_or(&rule.entry))
        .nullable
}

/// Whether a record of `rule` ends where the capitalised words of its name end: a `text`
/// field with `case = "capitalized"` (or `"all_capitalized"`) reads the very capture that
/// is the record's span (its `each`, else its `span`). The grammar sees lower-cased text
/// and cannot tell a name from the words after it (`месторождении Сандык в Кыргызстане`);
/// the field can, and the span should cover what the field names.
fn trims_span(rule: &Rule) -> bool {
    let Some(span) = rule.each.as_ref().or(rule.span.as_ref()) else {
        return false;
    };
    rule.fields.iter().any(|f| {
        matches!(
            &f.source,
            crate::rules::FieldSource::Text {
                capture,
                case: crate::rules::NameCase::Capitalized | crate::rules::NameCase::AllCapitalized,
                ..
            } if capture == span
        )
    })
}

/// Whether every record of `rule` needs its occurrence to begin with a capital letter: the
/// rule makes one record per occurrence (`each`), and a `text` field with `case =
/// "capitalized"` (or `"all_capitalized"`) reads that very capture, directly or as the first
/// part of a `join` (a later part is read only when the ones before give a value). Such a
/// field fails the record when the capture's first word does not start with a capital
/// (see `fields::capitalized_prefix`), and [`fields::build`] reads every field until one
/// fails. The occurrence is found, as the field's capture, in itself.
fn capitalised_only(rule: &Rule) -> bool {
    rule.each
        .as_ref()
        .is_some_and(|each| reads_capitalised(rule, each))
}

/// Whether a `text` field of `rule` with `case = "capitalized"` (or `"all_capitalized"`)
/// reads `name`, directly or as the first part of a `join` (a later part is read only when
/// the ones before give a value): the record fails where that capture opens no
/// capitalised word.
fn reads_capitalised(rule: &Rule, name: &str) -> bool {
    rule.fields.iter().any(|f| {
        let source = match &f.source {
            crate::rules::FieldSource::Join(parts) => parts.first(),
            other => Some(other),
        };
        matches!(
            source,
            Some(crate::rules::FieldSource::Text {
                capture,
                case: crate::rules::NameCase::Capitalized | crate::rules::NameCase::AllCapitalized,
                ..
            }) if capture == name
        )
    })
}

/// Whether every record of rule `r` needs the raw word where its match begins to start
/// with a capital letter: the rule makes one record per match (no `each`), and a `text`
/// field with `case = "capitalized"` (or `"all_capitalized"`), directly or as the first
/// part of a `join`, reads a capture that every match opens with and holds as a node.
/// The field reads the first node of that name in the tree, in pre-order: the one at the
/// match's start, whose raw text a word that [`fields::may_open_capitalized`] rejects
/// opens, and then fails the record (see [`capitalised_only`] for why that fails it).
///
/// "Opens with": the entry rule's expression is a call of the capture, or a sequence whose
/// first item is (pest puts no implicit whitespace before a sequence's first item).
/// "Holds as a node": the capture is not silent, and the entry is not atomic (`@`), under
/// which no node is made inside; `${}` (the deposit names) keeps them.
fn capital_first(rules: &RuleSet, r: usize) -> bool {
    use crate::peg::Kind;
    use pest_meta::optimizer::OptimizedExpr as E;
    let rule = &rules.rules[r];
    if rule.each.is_some() {
        return false;
    }
    let program = rules.grammar.program();
    let kind = |name: &str| {
        program
            .rule_id(name)
            .map(|id| program.rules[id as usize].kind)
    };
    if !matches!(
        kind(&rule.entry),
        Some(Kind::Normal | Kind::CompoundAtomic | Kind::NonAtomic)
    ) {
        return false;
    }
    // The call every match of the entry opens with, if it opens with one.
    let mut first = rules.grammar.expr(&rule.entry);
    while let Some(E::Seq(a, _)) = first {
        first = Some(a);
    }
    let Some(E::Ident(opener)) = first else {
        return false;
    };
    if matches!(kind(opener), None | Some(Kind::Silent)) {
        return false;
    }
    reads_capitalised(rule, opener)
}

/// The raw offset in sentence `s` from which no capital letter (`char::is_uppercase`)
/// follows up to its end: just past the last one, or the sentence's raw start. A sentence
/// whose raw bounds are not character boundaries gives `usize::MAX`: nothing is known.
fn capital_free_from(raw: &str, norm: &Normalized, s: &Sentence) -> usize {
    let (start, end) = raw_offsets(norm, s.start, s.end);
    let Some(text) = raw.get(start..end) else {
        return usize::MAX;
    };
    match text.char_indices().rev().find(|(_, c)| c.is_uppercase()) {
        Some((i, _)) => start + i + 1,
        None => start,
    }
}

/// Sorts a record's fields by `position` of their names, stably. Each name's position is
/// looked up once, not at every comparison; a record has a few fields, so the keys are kept
/// on the stack and sorted by insertion, where `sort_by_cached_key` allocated a vector of
/// keys for every record.
fn sort_fields(fields: &mut [(String, FieldValue)], position: impl Fn(&str) -> usize) {
    const INLINE: usize = 16;
    if fields.len() > INLINE {
        fields.sort_by_cached_key(|(name, _)| position(name));
        return;
    }
    let mut keys = [0; INLINE];
    for (key, (name, _)) in keys.iter_mut().zip(fields.iter()) {
        *key = position(name);
    }
    for i in 1..fields.len() {
        // Strictly greater only: equal keys keep their order.
        let mut j = i;
        while j > 0 && keys[j - 1] > keys[j] {
            keys.swap(j - 1, j);
            fields.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// The items of `a` and `b`, each already ascending by `key`, in one ascending list; of equal
/// keys, those of `a` come first.
fn merge_sorted<T, K: Ord>(a: Vec<T>, b: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let from_a = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => key(x) <= key(y),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return out,
        };
        out.extend(if from_a { a.next() } else { b.next() });
    }
}

fn s_lang(sents: &[Sentence], i: usize) -> Lang {
    sents[i].lang
}

/// The occurrences a rule makes records for, into `out`: every `each` capture, or the
/// match once.
fn occurrences<'t>(rule: &Rule, tree: Node<'t>, out: &mut Vec<Option<Node<'t>>>) {
    out.clear();
    match &rule.each {
        None => out.push(None),
        Some(each) => out.extend(tree.walk().filter(|n| n.rule == each).map(Some)),
    }
}

/// Raw byte offsets of the normalised span `start..end`.
fn raw_offsets(norm: &Normalized, start: usize, end: usize) -> (usize, usize) {
    let s = norm.map.raw_start(start);
    (s, norm.map.raw_end(end).max(s))
}

/// What [`Extractor::read`] makes of a document before matching.
struct Read<'p> {
    norm: Normalized,
    sents: Vec<Sentence>,
    /// The language most of the document is in.
    main_lang: Lang,
    eligible: prefilter::Eligible<'p>,
}

/// The `document` record of an input that could not be processed.
pub fn failed_document(doc: &str, err: &DocError) -> Record {
    Record {
        doc: doc.to_string(),
        kind: DOCUMENT.to_string(),
        rule: DOCUMENT.to_string(),
        lang: None,
        span: None,
        fields: vec![("error".to_string(), FieldValue::Text(err.to_string()))],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Extraction applies the links that can fail before the fields (see
    /// [`Extractor::record`]), a trace the fields first: both give the same records, and
    /// the trace still says why a match made none.
    #[test]
    fn records_are_a_traces_whatever_is_checked_first() {
        let ex = Extractor::new(crate::bench::grown_rules(1).expect("default rules load"));
        let text = "Казахстан и Китай подписали соглашение о строительстве медеплавильного завода. \
                    Компания подписала соглашение о строительстве фабрики. \
                    Республика определила 9 перспективных месторождений и 16 участков для изучения.";
        let (traced, trace) = ex.trace("t", text, None);
        assert!(traced.iter().any(|r| r.kind == "agreement"), "{traced:?}");
        assert_eq!(ex.extract("t", text), traced);
        let why: Vec<&str> = trace
            .outcomes
            .iter()
            .filter_map(|o| o.result.as_ref().err())
            .map(String::as_str)
            .collect();
        assert!(
            why.iter().any(|w| w.contains("needs 2 distinct values")),
            "{why:?}"
        );
        assert!(why.iter().any(|w| w.contains("capitalised")), "{why:?}");
    }

    /// A trigger is not run where the sentence's tries cannot give two parties (see
    /// [`demand::Needs`]): not in a sentence that names no country, but where the tries give
    /// exactly two (two countries; one C5 mention at one place, five records; two names
    /// joined by «и»; a place tried both as a country and as an organisation counts once),
    /// and extraction gives a trace's records, which runs every group.
    #[test]
    fn triggers_run_only_where_two_parties_can_be() {
        let ex = Extractor::new(crate::bench::grown_rules(1).expect("default rules load"));
        let trigger = ex
            .groups
            .groups
            .iter()
            .position(|g| ex.rules.rules[g.members[0]].entry == "agr_agreement_ru")
            .expect("the Russian trigger group");
        let short_in = |text: &str| {
            let read = ex.read(text, Some(Lang::Ru), || {});
            let s = &read.sents[0];
            let tried = read.eligible.tries_in(s.start, s.end);
            assert!(tried.iter().any(|&(_, g)| g == trigger), "{text}");
            let (mut counts, mut short) = (Vec::new(), Vec::new());
            ex.needs.short(
                tried.iter().copied(),
                read.eligible.anywhere(0, s.lang).map(|(g, _, _)| g),
                &mut counts,
                &mut short,
            );
            let names: Vec<&str> = tried
                .iter()
                .map(|&(_, g)| {
                    ex.rules.rules[ex.groups.groups[g].members[0]]
                        .entry
                        .as_str()
                })
                .collect();
            (short.contains(&trigger), format!("{names:?}"))
        };
        let skipped = [
            "Компания подписала соглашение о строительстве фабрики.",
            "Стороны подписали соглашение о сотрудничестве с Казахстаном.",
        ];
        let run = [
            "Казахстан и Китай подписали соглашение о строительстве медеплавильного завода.",
            "Государства ЦА подписали соглашение.",
            "Altyn Group и Sojitz запускают совместную переработку руды.",
        ];
        for text in skipped {
            let (short, tried) = short_in(text);
            assert!(short, "{text}: {tried}");
        }
        for text in run {
            let (short, tried) = short_in(text);
            assert!(!short, "{text}: {tried}");
        }
        for text in skipped.iter().chain(&run) {
            let records = ex.extract("t", text);
            assert_eq!(records, ex.trace("t", text, None).0, "{text}");
            let agreements = records.iter().filter(|r| r.kind == "agreement").count();
            assert_eq!(
                agreements,
                usize::from(run.contains(text)),
                "{text}: {records:?}"
            );
        }
    }

    /// An anaphor's scans wait until a deposit absorbs it (see [`Links::Failable`]): the one
    /// absorbed still brings its minerals, and extraction gives a trace's records.
    #[test]
    fn an_absorbed_anaphor_brings_what_its_links_find() {
        let ex = Extractor::new(crate::bench::grown_rules(1).expect("default rules load"));
        assert!(ex.demand.read_only_by_absorption("deposit_anaphor"));
        let text = "Наша страна располагает месторождениями Сандык и Зардалек. \
                    На месторождении имеются богатые запасы лития.";
        let records = ex.extract("t", text);
        let minerals = |name: &str| {
            records
                .iter()
                .find(|r| r.field("name").and_then(FieldValue::as_text) == Some(name))
                .and_then(|r| r.field("minerals").cloned())
        };
        assert_eq!(
            minerals("Зардалек"),
            Some(FieldValue::List(vec![FieldValue::Text("lithium".into())])),
            "{records:?}"
        );
        assert_eq!(minerals("Сандык"), None, "{records:?}");
        assert_eq!(records, ex.trace("t", text, None).0);
    }

    /// The index of rule `id` in `ex`'s rules.
    fn rule_index(ex: &Extractor, id: &str) -> usize {
        ex.rules
            .rules
            .iter()
            .position(|r| r.id == id)
            .unwrap_or_else(|| panic!("rule {id}"))
    }

    /// The contending group rule `r` is a member of.
    fn contending_group(ex: &Extractor, r: usize) -> usize {
        ex.contending
            .groups
            .iter()
            .position(|g| g.members.contains(&r))
            .expect("a contending group")
    }

    /// Where `ex` made candidates of rule `r` in `text`, with `detail`.
    fn candidate_starts(
        ex: &Extractor,
        r: usize,
        text: &str,
        lang: Lang,
        detail: Detail,
    ) -> Vec<usize> {
        let (_, trace) = ex.run("t", text, Some(lang), detail);
        trace
            .candidates
            .iter()
            .filter(|c| c.rule == r)
            .map(|c| c.start)
            .collect()
    }

    /// Extraction makes the records a trace (which tries everything) makes, in each text.
    fn assert_records_as_traced(ex: &Extractor, texts: &[&str], lang: Lang) {
        for text in texts {
            let records = ex.run("t", text, Some(lang), Detail::Records).0;
            assert_eq!(records, ex.trace("t", text, Some(lang)).0, "{text}");
        }
    }

    /// Extraction of `text` makes a record named `name`.
    fn assert_names(ex: &Extractor, text: &str, lang: Lang, name: &str) {
        let records = ex.run("t", text, Some(lang), Detail::Records).0;
        assert!(
            records
                .iter()
                .any(|r| r.field("name").and_then(FieldValue::as_text) == Some(name)),
            "{records:?}"
        );
    }

    /// A group whose every record needs a capital in its occurrence (the Kazakh deposits:
    /// names before the trigger) is not tried where no capital follows in the sentence, as
    /// a trace shows it matching there; where a capital follows, it is tried as before, a
    /// lower-case name before a capitalised one included. Records are a trace's.
    #[test]
    fn groups_that_need_a_capital_are_not_tried_where_none_follows() {
        let ex = Extractor::new(crate::bench::grown_rules(1).expect("default rules load"));
        let rule = |id: &str| rule_index(&ex, id);
        let group_of = |r: usize| contending_group(&ex, r);
        let kk = rule("deposit.kk");
        assert!(ex.capitalised_only[group_of(kk)]);
        assert!(ex.capitalised_only[group_of(rule("deposit.ru"))]);
        assert!(!ex.capitalised_only[group_of(rule("amount.ru"))]);
        // Its name is read after a join: not checked.
        assert!(!capitalised_only(
            &ex.rules.rules[rule("deposit.kk.numbered")]
        ));
        let starts = |text: &str, detail: Detail| candidate_starts(&ex, kk, text, Lang::Kk, detail);
        let lower = "Биыл алтын кен орны игерілді.";
        let at = lower.find("алтын").expect("in the text");
        assert!(starts(lower, Detail::Trace).contains(&at), "{lower}");
        assert!(!starts(lower, Detail::Records).contains(&at), "{lower}");
        let named = "Биыл алтын және Ақтоғай кен орындары игерілді.";
        let at = named.find("алтын").expect("in the text");
        assert!(starts(named, Detail::Records).contains(&at), "{named}");
        let texts = [lower, named, "Ақтоғай кен орны игерілді.", "мыс кен орны"];
        assert_records_as_traced(&ex, &texts, Lang::Kk);
        assert_names(&ex, named, Lang::Kk, "Ақтоғай");
    }

    /// A group whose every record needs the raw word its match begins at capitalised (the
    /// copula and adjective deposits: the name opens the match) is not tried where that
    /// word is lower-case, as a trace shows it matching there; it is tried at capitalised
    /// and quoted names as before. Records are a trace's.
    #[test]
    fn groups_that_open_with_a_capitalised_name_are_not_tried_at_lower_case_words() {
        let ex = Extractor::new(crate::bench::grown_rules(1).expect("default rules load"));
        let rule = |id: &str| rule_index(&ex, id);
        let group_of = |r: usize| contending_group(&ex, r);
        for id in [
            "deposit.ru.copula",
            "deposit.kk.copula",
            "deposit.ru.adjective",
        ] {
            assert!(ex.capital_first[group_of(rule(id))], "{id}");
        }
        // Names after a trigger, read per occurrence, read after a join: not checked.
        for id in [
            "deposit.ru",
            "deposit.ru.quoted",
            "deposit.ru.numbered",
            "amount.ru",
        ] {
            assert!(!capital_first(&ex.rules, rule(id)), "{id}");
        }
        let starts =
            |r: usize, text: &str, detail: Detail| candidate_starts(&ex, r, text, Lang::Ru, detail);
        let copula = rule("deposit.ru.copula");
        let lower = "Говорят, что коксай - крупное медное месторождение.";
        let at = lower.find("коксай").expect("in the text");
        assert!(
            starts(copula, lower, Detail::Trace).contains(&at),
            "{lower}"
        );
        assert!(
            !starts(copula, lower, Detail::Records).contains(&at),
            "{lower}"
        );
        let adjective = rule("deposit.ru.adjective");
        let lower_adj = "Идет разработка медного месторождения.";
        let at = lower_adj.find("медного").expect("in the text");
        assert!(starts(adjective, lower_adj, Detail::Trace).contains(&at));
        assert!(!starts(adjective, lower_adj, Detail::Records).contains(&at));
        let named = "Говорят, что Коксай - крупное медное месторождение.";
        let quoted = "Говорят, что «Коксай» - крупное медное месторождение.";
        for text in [named, quoted] {
            let at = text.find("Коксай").expect("in the text");
            let opens = starts(copula, text, Detail::Records);
            assert!(
                opens.contains(&at) || opens.contains(&(at - "«".len())),
                "{text}"
            );
        }
        let named_adj = "Идет разработка Богутинского месторождения.";
        let at = named_adj.find("Богутинского").expect("in the text");
        assert!(starts(adjective, named_adj, Detail::Records).contains(&at));
        let texts = [lower, lower_adj, named, quoted, named_adj];
        assert_records_as_traced(&ex, &texts, Lang::Ru);
        assert_names(&ex, named, Lang::Ru, "Коксай");
    }

    /// The C5 rules' empty span opens their matches without hiding what they open with:
    /// they are tried where a literal of theirs stands, not at every word (they were 2.6 %
    /// of extraction so).
    #[test]
    fn c5_rules_open_with_their_literals() {
        let set = crate::bench::grown_rules(1).expect("default rules load");
        for entry in ["agr_c5_ru", "agr_c5_us", "agr_c5_kk"] {
            let starts = set.grammar.starts(entry);
            assert!(
                !starts.any && !starts.literals.is_empty(),
                "{entry}: {starts:?}"
            );
        }
    }

    /// The insertion sort on the stack and the allocating one order fields alike, equal
    /// keys (names a record type does not declare) in the order they came.
    #[test]
    fn fields_sort_stably_by_position_inline_or_not() {
        let order = ["kind", "value", "unit", "qualifier"];
        let position = |name: &str| order.iter().position(|o| *o == name).unwrap_or(usize::MAX);
        let names = ["x", "qualifier", "value", "y", "kind", "unit", "value", "z"];
        let field = |n: &&str, i: usize| (n.to_string(), FieldValue::Decimal(i.into()));
        let mut few: Vec<(String, FieldValue)> =
            names.iter().enumerate().map(|(i, n)| field(n, i)).collect();
        let mut want = few.clone();
        want.sort_by_key(|(name, _)| position(name));
        sort_fields(&mut few, position);
        assert_eq!(few, want);
        assert_eq!(few[0].0, "kind");
        assert_eq!(few[1].1, FieldValue::Decimal(2.into()));
        // More fields than the stack holds take the allocating sort.
        let mut many: Vec<(String, FieldValue)> = names
            .iter()
            .cycle()
            .take(40)
            .enumerate()
            .map(|(i, n)| field(n, i))
            .collect();
        let mut want = many.clone();
        want.sort_by_key(|(name, _)| position(name));
        sort_fields(&mut many, position);
        assert_eq!(many, want);
    }

    /// The demand pass's candidates join the first pass's in one order, as a sort of both
    /// would give, the first pass's first where keys are equal.
    #[test]
    fn two_sorted_lists_merge_into_one() {
        let a = vec![(0, 'a'), (2, 'b'), (2, 'c'), (7, 'd')];
        let b = vec![(1, 'x'), (2, 'y'), (8, 'z')];
        let merged = merge_sorted(a.clone(), b.clone(), |&(k, _)| k);
        let mut want = [a, b].concat();
        want.sort_by_key(|&(k, _)| k);
        assert_eq!(merged, want);
        assert_eq!(
            merge_sorted(vec![], vec![(3, 'q')], |&(k, _)| k),
            vec![(3, 'q')]
        );
    }

    #[test]
    fn copies_share_their_originals_recipe_and_different_fields_do_not() {
        let set = crate::bench::grown_rules(2).expect("grown rules load");
        let recipe = recipes(&set);
        let index = |id: &str| {
            set.rules
                .iter()
                .position(|r| r.id == id)
                .unwrap_or_else(|| panic!("rule {id}"))
        };
        let amount = index("amount.ru");
        assert_eq!(recipe[index("copy1.amount.ru")], recipe[amount]);
        // One grammar, one record type, one span: only the constant country differs.
        let (uz, tm) = (index("agr.ru.c5.UZ"), index("agr.ru.c5.TM"));
        assert_ne!(recipe[uz], recipe[tm]);
        assert_eq!(recipe[index("copy1.agr.ru.c5.TM")], recipe[tm]);
        // A recipe is named by its first rule: the Kazakh rule for the same country (another
        // grammar, so other matches) makes its records the same way.
        let first = &set.rules[recipe[uz]];
        assert!(recipe[uz] <= uz && first.fields == set.rules[uz].fields);
        assert_eq!(recipe[recipe[uz]], recipe[uz]);
    }
}
