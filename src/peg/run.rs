//! Running a [`Program`]: ordered choice with backtracking, pest's atomicity rules, a step
//! budget and a nesting limit, and the furthest failure for explanations.

use super::openings::has_prefix;
use super::{Expr, Kind, Program, RuleId};

/// Results of memoised rule calls (see `CompiledRule::memo`) at positions of one input,
/// shared by every attempt on that input: when `amount`, `percentage` and their ranges
/// all begin at the same digit, the number there is parsed once.
///
/// The table is a cache, not a map: each (rule, position, context) has one slot, and a
/// result that lands on a taken slot replaces what was there. Losing a result only costs
/// parsing it again, and a fixed table needs no hashing of growing buckets, no probing and
/// no rehash (a hash map's inserts were 2 % of all extraction instructions).
///
/// A memo belongs to one input: used with another, it forgets what it held first. It
/// borrows the input, so the input cannot be freed and its address reused by another
/// text while the memo holds entries about it.
#[derive(Debug)]
pub struct Memo<'i> {
    /// The input the entries are about.
    input: Option<&'i str>,
    /// Slots, a power of two of them; a slot counts only when its `generation` is the
    /// memo's (forgetting everything is one increment).
    slots: Vec<MemoSlot>,
    generation: u32,
    /// Nodes of successful entries: absolute offsets, depth relative to the memoised call.
    nodes: Vec<(RuleId, usize, usize, u32)>,
}

#[derive(Debug, Clone, Copy)]
struct MemoEntry {
    end: Option<usize>,
    nodes: (usize, usize),
}

#[derive(Debug, Clone, Copy)]
struct MemoSlot {
    generation: u32,
    rule: RuleId,
    pos: usize,
    context: u8,
    entry: MemoEntry,
}

const EMPTY_SLOT: MemoSlot = MemoSlot {
    generation: 0,
    rule: 0,
    pos: 0,
    context: 0,
    entry: MemoEntry {
        end: None,
        nodes: (0, 0),
    },
};

impl Default for Memo<'_> {
    fn default() -> Self {
        Memo::with_capacity(0)
    }
}

impl<'i> Memo<'i> {
    /// An empty memo with room for about `entries` results before slots are shared.
    pub fn with_capacity(entries: usize) -> Memo<'i> {
        let slots = entries
            .saturating_mul(2)
            .clamp(64, 1 << 16)
            .next_power_of_two();
        Memo {
            input: None,
            slots: vec![EMPTY_SLOT; slots],
            generation: 1,
            nodes: Vec::with_capacity(entries),
        }
    }

    fn bind(&mut self, input: &'i str) {
        let same = self.input.is_some_and(|held| {
            std::ptr::eq(held.as_ptr(), input.as_ptr()) && held.len() == input.len()
        });
        if !same {
            self.forget();
            self.input = Some(input);
        }
    }

    fn forget(&mut self) {
        self.nodes.clear();
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // After 2^32 inputs a stale slot could look current: clear them for real.
            self.slots.fill(EMPTY_SLOT);
            self.generation = 1;
        }
    }

    fn slot(&self, rule: RuleId, pos: usize, context: u8) -> usize {
        let h = (pos as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .wrapping_add(u64::from(rule).wrapping_mul(0xc2b2_ae3d_27d4_eb4f))
            .wrapping_add(u64::from(context).wrapping_mul(0x1656_67b1_9e37_79f9));
        ((h ^ (h >> 29)) as usize) & (self.slots.len() - 1)
    }

    fn get(&self, rule: RuleId, pos: usize, context: u8) -> Option<MemoEntry> {
        let s = &self.slots[self.slot(rule, pos, context)];
        (s.generation == self.generation && s.rule == rule && s.pos == pos && s.context == context)
            .then_some(s.entry)
    }

    fn insert(&mut self, rule: RuleId, pos: usize, context: u8, entry: MemoEntry) {
        let i = self.slot(rule, pos, context);
        self.slots[i] = MemoSlot {
            generation: self.generation,
            rule,
            pos,
            context,
            entry,
        };
    }
}

/// Bounds on one match attempt, so a pathological text or grammar cannot hang a worker.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Expression steps one attempt may take.
    pub steps: u64,
    /// Rule calls that may be nested.
    pub depth: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            steps: 2_000_000,
            depth: 256,
        }
    }
}

/// A successful match: the nodes of named rules, in pre-order, with their nesting depth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// End of the match (bytes into the input).
    pub end: usize,
    /// Steps the attempt took.
    pub steps: u64,
    /// (rule, start, end, depth) for every node, parents before children.
    pub nodes: Vec<(RuleId, usize, usize, u32)>,
}

impl Match {
    /// Gives the match's node buffer back to this thread's attempts, which reuse it. A
    /// successful attempt hands its buffer over instead of a copy of it (an allocation and
    /// a copy per match); a caller done with the nodes returns it here, or the next attempt
    /// grows a new one.
    pub fn recycle(self) {
        let nodes = self.nodes;
        NODES.with(|n| {
            let mut held = n.borrow_mut();
            if nodes.capacity() > held.capacity() {
                *held = nodes;
            }
        });
    }
}

/// How far an attempt that did not match got.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Failure {
    /// The furthest byte offset at which something was tried.
    pub furthest: usize,
    /// Steps the attempt took.
    pub steps: u64,
    /// The rules being tried there (innermost named rules).
    pub expected: Vec<RuleId>,
}

/// Why there is no match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchError {
    /// The grammar does not match here.
    NoMatch(Failure),
    /// The step budget or nesting limit was reached.
    Limit(&'static str),
}

thread_local! {
    // Failed attempts are the common case: they reuse this thread's node buffer and
    // allocate nothing.
    static NODES: std::cell::RefCell<Vec<(RuleId, usize, usize, u32)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Where implicit whitespace is skipped and nodes are made (pest's atomicity).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Atomicity {
    Atomic,
    CompoundAtomic,
    NonAtomic,
}

/// How a call of one rule runs, given its caller's atomicity: decided once per rule and
/// atomicity when the grammar is compiled, since every call asked the same questions of
/// the rule's kind.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallMode {
    /// The atomicity the body runs in.
    inner: Atomicity,
    /// The call makes a node (outside lookaheads).
    node: bool,
}

impl CallMode {
    /// The modes of a rule of `kind` (`trivia`: `WHITESPACE`/`COMMENT`), indexed by the
    /// caller's atomicity.
    pub(crate) fn of(kind: Kind, trivia: bool) -> [CallMode; 3] {
        [
            Atomicity::Atomic,
            Atomicity::CompoundAtomic,
            Atomicity::NonAtomic,
        ]
        .map(|saved| {
            // pest: Atomic/Normal/Silent open their node in the caller's atomicity,
            // CompoundAtomic/NonAtomic switch first; no node while atomic or in lookahead.
            let inner = if trivia {
                Atomicity::Atomic
            } else {
                match kind {
                    Kind::Normal | Kind::Silent => saved,
                    Kind::Atomic => Atomicity::Atomic,
                    Kind::CompoundAtomic => Atomicity::CompoundAtomic,
                    Kind::NonAtomic => Atomicity::NonAtomic,
                }
            };
            let node_atomicity = match kind {
                Kind::CompoundAtomic | Kind::NonAtomic if !trivia => inner,
                _ => saved,
            };
            CallMode {
                inner,
                node: kind != Kind::Silent && node_atomicity != Atomicity::Atomic,
            }
        })
    }
}

/// What a call of one rule needs, in one record, so a call reads one place (it used to
/// look in the rules, their modes and the first sets: three tables, three bounds checks).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RuleRun {
    /// The rule's body.
    expr: usize,
    /// See `CompiledRule::memo`.
    memo: bool,
    /// Not silent: explanations name it.
    named: bool,
    /// How the call runs, by the caller's atomicity.
    modes: [CallMode; 3],
    /// The first bytes of the body's matches.
    starts: super::starts::Starts,
}

impl RuleRun {
    /// The record of `rule`, given the first sets of the program's expressions.
    pub(crate) fn of(rule: &super::CompiledRule, starts: &[super::starts::Starts]) -> RuleRun {
        RuleRun {
            expr: rule.expr,
            memo: rule.memo,
            named: rule.kind != Kind::Silent,
            modes: CallMode::of(rule.kind, rule.trivia),
            starts: starts[rule.expr],
        }
    }
}

/// A sequence whose first item is a call of a memoised rule, or of a rule whose body is
/// only a call of one (`amount_value = { number }`), possibly through several such rules:
/// the call's result is then the memoised rule's at the same place. Most attempts at a
/// number find it already read by another rule tried there (the memo holds it), and what
/// follows it is not what the sequence wants (no unit after the number, no dash of a range,
/// no ISO code): looking up the number's end and the first byte of the rest there decides
/// that without the calls, the copy of the number's nodes and the items between.
///
/// Why this keeps every result: a memo entry is the result the call would return, the
/// calls in between add nodes only to a sequence that then fails (and drops them), and the
/// rest's first set is a superset of where it can begin (see `starts.rs`).
#[derive(Debug, Clone)]
pub(crate) struct MemoSeq {
    /// The sequence's items.
    pub(crate) items: Box<[usize]>,
    /// The memoised rule whose result the first item's is.
    pub(crate) rule: RuleId,
    /// The atomicity the memoised rule is called in, by the sequence's.
    pub(crate) atomicity: [Atomicity; 3],
    /// The first bytes (and first two characters) of the matches of the items after the
    /// first.
    pub(crate) rest: super::starts::Starts,
    /// The first item is a lookahead on such a sequence (`&(amount_value ~ ws ~ iso) ~ …`),
    /// which fails where that sequence fails: the call is in a lookahead, and `rest` is
    /// that sequence's.
    pub(crate) in_lookahead: bool,
}

impl MemoSeq {
    /// The sequence of `items` as a [`MemoSeq`], when its first item is a call whose result
    /// is a memoised rule's, and the rest cannot match empty (a first set that rules
    /// nothing out would only cost the lookup). Without implicit whitespace only: the rest
    /// would begin after it.
    pub(crate) fn of(
        items: &[usize],
        exprs: &[Expr],
        calls: &[RuleRun],
        starts: &[super::starts::Starts],
        pairs: &mut super::pairs::PairTable,
    ) -> Option<MemoSeq> {
        let (&first, rest) = items.split_first()?;
        if let Expr::PosPred(x) = exprs[first] {
            let inner = match &exprs[x] {
                Expr::Seq(inner) => MemoSeq::of(inner, exprs, calls, starts, pairs),
                Expr::SeqAfterMemo(s) => Some((**s).clone()),
                _ => None,
            }?;
            return Some(MemoSeq {
                items: items.into(),
                in_lookahead: true,
                ..inner
            });
        }
        let Expr::Call(mut rule) = exprs[first] else {
            return None;
        };
        let mut atomicity = [
            Atomicity::Atomic,
            Atomicity::CompoundAtomic,
            Atomicity::NonAtomic,
        ];
        // A chain of rules that only call the next: a few at most (and never a cycle).
        for _ in 0..8 {
            let run = &calls[rule as usize];
            if run.memo {
                let mut rest_starts = super::starts::of_items(rest, exprs, starts, false);
                // Its own pair set (the set may carry an item's, which is not the rest's).
                rest_starts.pairs = pairs.of_items(rest, exprs, starts);
                let rest = rest_starts;
                return (!rest.is_nullable()).then(|| MemoSeq {
                    items: items.into(),
                    rule,
                    atomicity,
                    rest,
                    in_lookahead: false,
                });
            }
            let Expr::Call(next) = exprs[run.expr] else {
                return None;
            };
            atomicity = atomicity.map(|a| run.modes[a as usize].inner);
            rule = next;
        }
        None
    }
}

mod gate;
pub(crate) use gate::Gate;

/// Rule calls nest this many levels between two checks of the stack left (most matches
/// never nest this deep, so they pay for no check).
const STACK_CHECK_EVERY: u32 = 8;
/// The stack a check wants left: room for [`STACK_CHECK_EVERY`] levels of nesting with a wide
/// margin (a debug build takes some 10 KB a level).
const STACK_RED_ZONE: usize = 256 * 1024;
/// The size of a new stack segment when one is needed.
const STACK_SEGMENT: usize = 4 * 1024 * 1024;

/// One attempt. `EXPLAIN`: the attempt notes the furthest failure and skips nothing (see
/// [`Program::explain`]); a constant rather than a field, so the attempts of extraction,
/// which never explain, carry no test of it in every step and call (they were a test and a
/// branch at each).
struct Run<'p, 'i, 'm, const EXPLAIN: bool> {
    p: &'p Program,
    /// The call records the attempt runs by: the program's, or a [`NodeReads`]' (which
    /// make no nodes of rules nobody reads).
    calls: &'p [RuleRun],
    input: &'i str,
    /// Where the attempt began: `SOI` matches here.
    start: usize,
    memo: Option<&'m mut Memo<'i>>,
    nodes: Vec<(RuleId, usize, usize, u32)>,
    steps: u64,
    limits: Limits,
    depth: u32,
    /// Open node-making calls: the depth a new node is nested at.
    node_depth: u32,
    lookahead: u32,
    atomicity: Atomicity,
    stopped: Option<&'static str>,
    furthest: usize,
    expected: Vec<RuleId>,
    rule_stack: Vec<RuleId>,
    /// (expression, position, end): what the body of a lexicon entry found by the
    /// automaton matches, so the body does not compare its literals again (see
    /// `Forms::exact`). Only the very next evaluation can be that body.
    known: (usize, usize, usize),
}

/// The rules whose nodes the reader of some matches uses (see [`Program::node_reads`]), as
/// the call records of a program in which the other rules make no node: a match made by
/// them has the nodes of the rules read only, each at the place and depth among them it has
/// in the full match. Building, memoising and copying nodes nobody reads (`amount_value`,
/// `scaled`, the date forms) was work on every successful call.
#[derive(Debug, Clone)]
pub struct NodeReads {
    /// The program's call records, with no node for rules not read.
    calls: Box<[RuleRun]>,
}

impl Program {
    /// Matches rule `rule` at the start of `input` (it need not consume all of it). A
    /// failure carries no detail; see [`Program::explain`].
    pub fn matches(&self, rule: RuleId, input: &str, limits: Limits) -> Result<Match, MatchError> {
        self.run(rule, input, 0, limits, None, &self.calls)
    }

    /// Call records for matches whose reader uses the nodes of the rules `read` accepts
    /// (by name) and no others: every other rule makes no node. What a match reads is
    /// unchanged as long as `read` accepts every rule it looks for, by name or by id; nodes
    /// of the rules left out only stand between those in the tree.
    pub fn node_reads(&self, read: impl Fn(&str) -> bool) -> NodeReads {
        let calls = self
            .calls
            .iter()
            .zip(&self.rules)
            .map(|(&call, rule)| {
                let mut call = call;
                if !read(&rule.name) {
                    call.modes.iter_mut().for_each(|m| m.node = false);
                }
                call
            })
            .collect();
        NodeReads { calls }
    }

    /// Whether matches made with `reads` have nodes of rule `rule` (where the rule makes
    /// any: a silent rule never does).
    pub fn keeps_nodes_of(&self, reads: &NodeReads, rule: RuleId) -> bool {
        reads
            .calls
            .get(rule as usize)
            .is_some_and(|c| c.modes.iter().any(|m| m.node))
    }

    /// [`Program::matches_at`] making the nodes of the rules `reads` keeps only. `memo`
    /// must serve attempts with the same `reads` alone (its results keep their nodes).
    pub fn matches_reading<'i>(
        &self,
        rule: RuleId,
        input: &'i str,
        start: usize,
        limits: Limits,
        memo: &mut Memo<'i>,
        reads: &NodeReads,
    ) -> Result<Match, MatchError> {
        memo.bind(input);
        self.run(rule, input, start, limits, Some(memo), &reads.calls)
    }

    /// Like [`Program::matches`], with the attempt beginning at byte `start` of `input`
    /// (offsets in the result count from the start of `input`, and `SOI` matches at
    /// `start`), and rule results kept in `memo` for later attempts on the same input.
    pub fn matches_at<'i>(
        &self,
        rule: RuleId,
        input: &'i str,
        start: usize,
        limits: Limits,
        memo: &mut Memo<'i>,
    ) -> Result<Match, MatchError> {
        memo.bind(input);
        self.run(rule, input, start, limits, Some(memo), &self.calls)
    }

    /// Like [`Program::matches`], and a failure says how far the grammar got and what it
    /// expected there (slower: for tools that explain).
    pub fn explain(&self, rule: RuleId, input: &str, limits: Limits) -> Result<Match, MatchError> {
        Run::<true>::new(self, input, 0, limits, None).finish(rule)
    }

    fn run<'i>(
        &self,
        rule: RuleId,
        input: &'i str,
        start: usize,
        limits: Limits,
        memo: Option<&mut Memo<'i>>,
        calls: &[RuleRun],
    ) -> Result<Match, MatchError> {
        let mut run = Run::<false>::new(self, input, start, limits, memo);
        run.calls = calls;
        run.finish(rule)
    }

    /// Attempts on `input` that share `memo` and make the nodes `reads` keeps, each as
    /// [`Program::matches_reading`] would make it: for the many attempts of one sentence.
    pub fn attempts<'p, 'i, 'm>(
        &'p self,
        input: &'i str,
        memo: &'m mut Memo<'i>,
        reads: &'p NodeReads,
    ) -> Attempts<'p, 'i, 'm> {
        memo.bind(input);
        let mut run = Run::<false>::new(self, input, 0, Limits::default(), Some(memo));
        run.calls = &reads.calls;
        Attempts { run }
    }
}

/// Attempts on one input, with one memo and one [`NodeReads`] (see [`Program::attempts`]),
/// that share one attempt's set-up: a sentence's tries (some fifteen thousand on the bench
/// sample) each built an attempt's state, took the thread's node buffer and gave it back,
/// some 150 instructions a try. Each attempt begins from the state a new one has.
pub struct Attempts<'p, 'i, 'm> {
    run: Run<'p, 'i, 'm, false>,
}

impl Attempts<'_, '_, '_> {
    /// [`Program::matches_reading`] of `rule` at `start` of the input, within `limits`.
    pub fn matches_at(
        &mut self,
        rule: RuleId,
        start: usize,
        limits: Limits,
    ) -> Result<Match, MatchError> {
        self.run.reset(start, limits);
        self.run.attempt(rule)
    }
}

impl Drop for Attempts<'_, '_, '_> {
    /// The node buffer goes back to the thread's attempts.
    fn drop(&mut self) {
        let buffer = std::mem::take(&mut self.run.nodes);
        if buffer.capacity() > 0 {
            NODES.with(|n| *n.borrow_mut() = buffer);
        }
    }
}

impl<'p, 'i, 'm, const EXPLAIN: bool> Run<'p, 'i, 'm, EXPLAIN> {
    fn new(
        p: &'p Program,
        input: &'i str,
        start: usize,
        limits: Limits,
        memo: Option<&'m mut Memo<'i>>,
    ) -> Run<'p, 'i, 'm, EXPLAIN> {
        let mut nodes = NODES.with(|n| std::mem::take(&mut *n.borrow_mut()));
        nodes.clear();
        Run {
            p,
            calls: &p.calls,
            input,
            start,
            memo,
            nodes,
            steps: 0,
            limits,
            depth: 0,
            node_depth: 0,
            lookahead: 0,
            atomicity: Atomicity::NonAtomic,
            stopped: None,
            furthest: 0,
            expected: Vec::new(),
            rule_stack: Vec::new(),
            known: (usize::MAX, 0, 0),
        }
    }

    fn finish(mut self, rule: RuleId) -> Result<Match, MatchError> {
        let result = self.attempt(rule);
        let buffer = std::mem::take(&mut self.nodes);
        NODES.with(|n| *n.borrow_mut() = buffer);
        result
    }

    /// Makes the run the one [`Run::new`] makes for an attempt at `start` within `limits`
    /// (on the same input, memo and call records), keeping its node buffer, or taking the
    /// thread's when a match took it.
    fn reset(&mut self, start: usize, limits: Limits) {
        if self.nodes.capacity() == 0 {
            self.nodes = NODES.with(|n| std::mem::take(&mut *n.borrow_mut()));
        }
        self.nodes.clear();
        self.start = start;
        self.steps = 0;
        self.limits = limits;
        self.depth = 0;
        self.node_depth = 0;
        self.lookahead = 0;
        self.atomicity = Atomicity::NonAtomic;
        self.stopped = None;
        self.furthest = 0;
        self.expected.clear();
        self.rule_stack.clear();
        self.known = (usize::MAX, 0, 0);
    }

    /// The attempt of `rule` at the run's start; a match takes the node buffer.
    fn attempt(&mut self, rule: RuleId) -> Result<Match, MatchError> {
        let end = if self.gate_fails(rule) {
            None
        } else {
            self.call(rule, self.start)
        };
        match (self.stopped, end) {
            (Some(why), _) => Err(MatchError::Limit(why)),
            // The buffer itself, not a copy: [`Match::recycle`] gives it back.
            (None, Some(end)) => Ok(Match {
                end,
                steps: self.steps,
                nodes: std::mem::take(&mut self.nodes),
            }),
            (None, None) => {
                let mut expected = std::mem::take(&mut self.expected);
                expected.sort_unstable();
                expected.dedup();
                Err(MatchError::NoMatch(Failure {
                    furthest: self.furthest,
                    steps: self.steps,
                    expected,
                }))
            }
        }
    }

    /// Whether the [`Gate`] of entry `rule` rules out a match at the attempt's start: it
    /// begins at a digit, and the memoised rule every match there opens with fails, or
    /// what follows it cannot follow. Only with a memo (which then keeps that rule's
    /// result for the attempt, should it go on) and never when explaining.
    fn gate_fails(&mut self, rule: RuleId) -> bool {
        if EXPLAIN || self.memo.is_none() {
            return false;
        }
        let p: &'p Program = self.p;
        let Some(gate) = p.gates.get(rule as usize).and_then(Option::as_ref) else {
            return false;
        };
        let input = self.input.as_bytes();
        if !input.get(self.start).is_some_and(u8::is_ascii_digit) {
            return false;
        }
        let (saved, mark) = (self.atomicity, self.nodes.len());
        self.atomicity = gate.atomicity;
        let end = self.call(gate.rule, self.start);
        self.atomicity = saved;
        self.nodes.truncate(mark);
        match end {
            None => true,
            Some(end) => gate
                .rest
                .is_some_and(|r| !r.may_match_at(&p.pair_sets, input, end)),
        }
    }

    /// A failure at `pos`: nothing to do unless explaining (most steps fail, so this is
    /// inlined and the bookkeeping is not).
    #[inline(always)]
    fn fail_at(&mut self, pos: usize) -> Option<usize> {
        if EXPLAIN {
            self.note_failure(pos);
        }
        None
    }

    #[cold]
    #[inline(never)]
    fn note_failure(&mut self, pos: usize) {
        if self.lookahead > 0 {
            return;
        }
        if pos > self.furthest {
            self.furthest = pos;
            self.expected.clear();
        }
        if pos == self.furthest
            && let Some(&r) = self.rule_stack.last()
            && !self.expected.contains(&r)
        {
            self.expected.push(r);
        }
    }

    /// Whether expression `e` may match at `pos`: false when its first character rules it out
    /// (see `starts.rs`), or its first two characters do (see `pairs.rs`).
    /// Explanations see every attempt, so they skip nothing.
    #[inline(always)]
    fn may_match(&self, e: usize, pos: usize) -> bool {
        EXPLAIN || self.starts_allow(&self.p.starts[e], pos)
    }

    /// Whether first set `s` lets a match begin at `pos`, by its first character and its
    /// first two (see `Starts::pairs`).
    #[inline(always)]
    fn starts_allow(&self, s: &super::starts::Starts, pos: usize) -> bool {
        s.may_match_at(&self.p.pair_sets, self.input.as_bytes(), pos)
    }

    /// Calls rule `id` at `pos`, through the memo when the rule is memoised.
    fn call(&mut self, id: RuleId, pos: usize) -> Option<usize> {
        let calls: &'p [RuleRun] = self.calls;
        let rule = &calls[id as usize];
        if !EXPLAIN && !self.starts_allow(&rule.starts, pos) {
            return None;
        }
        if !rule.memo || self.memo.is_none() {
            return self.call_rule(rule, id, pos);
        }
        // A result depends on the atomicity it runs in (implicit whitespace, nodes) and
        // on whether it runs in a lookahead (no nodes).
        let context = self.atomicity as u8 * 2 + u8::from(self.lookahead > 0);
        if let Some(memo) = self.memo.as_deref()
            && let Some(found) = memo.get(id, pos, context).or_else(|| {
                // In a lookahead, a result from outside one serves as well: it ends at the
                // same place, and a lookahead keeps no nodes. So `&(numeric ~ ...)` after
                // the number was read does not read it again.
                (self.lookahead > 0)
                    .then(|| memo.get(id, pos, context & !1))
                    .flatten()
            })
        {
            self.steps += 1;
            if found.end.is_some() && self.lookahead == 0 {
                let depth = self.node_depth;
                self.nodes.extend(
                    memo.nodes[found.nodes.0..found.nodes.1]
                        .iter()
                        .map(|&(r, s, e, d)| (r, s, e, d + depth)),
                );
            }
            return found.end;
        }
        let mark = self.nodes.len();
        let end = self.call_rule(rule, id, pos);
        if self.stopped.is_some() {
            return end;
        }
        let depth = self.node_depth;
        if let Some(memo) = self.memo.as_deref_mut() {
            let first = memo.nodes.len();
            if end.is_some() {
                memo.nodes.extend(
                    self.nodes[mark..]
                        .iter()
                        .map(|&(r, s, e, d)| (r, s, e, d - depth)),
                );
            }
            let entry = MemoEntry {
                end,
                nodes: (first, memo.nodes.len()),
            };
            memo.insert(id, pos, context, entry);
        }
        end
    }

    /// Inlined into [`Run::call`]: a rule call is a fifth of all steps, and as two
    /// functions it paid for two prologues and epilogues.
    #[inline(always)]
    fn call_rule(&mut self, rule: &RuleRun, id: RuleId, pos: usize) -> Option<usize> {
        if self.depth >= self.limits.depth {
            self.stopped.get_or_insert("nesting limit");
            // Every later step now fails at the budget check, which keeps the first reason.
            self.limits.steps = 0;
            return None;
        }
        let expr = rule.expr;
        let saved = self.atomicity;
        let mode = rule.modes[saved as usize];
        let inner = mode.inner;
        let makes_node = mode.node && self.lookahead == 0;
        let mark = self.nodes.len();
        if makes_node {
            self.nodes.push((id, pos, pos, self.node_depth));
            self.node_depth += 1;
        }
        self.depth += 1;
        self.atomicity = inner;
        let named = EXPLAIN && rule.named;
        if named {
            self.rule_stack.push(id);
        }
        let result = if self.depth.is_multiple_of(STACK_CHECK_EVERY) {
            self.eval_with_stack(expr, pos)
        } else {
            self.eval(expr, pos)
        };
        if named {
            self.rule_stack.pop();
        }
        self.atomicity = saved;
        self.depth -= 1;
        if makes_node {
            self.node_depth -= 1;
        }
        match result {
            Some(end) => {
                if makes_node {
                    self.nodes[mark].2 = end;
                }
                Some(end)
            }
            None => {
                self.nodes.truncate(mark);
                None
            }
        }
    }

    /// [`Run::eval`], first moved to a new stack segment on the heap when less than
    /// [`STACK_RED_ZONE`] of this thread's stack is left. Nesting up to the limit recurses
    /// through several functions per rule call, and whether that fits depends on the
    /// thread (a test thread has 2 MB, a debug build's frames are many times a release
    /// build's); a stack overflow aborts the whole process, where the nesting limit costs
    /// one document. `stacker` is what pest itself uses for the same guard.
    #[inline(never)]
    fn eval_with_stack(&mut self, expr: usize, pos: usize) -> Option<usize> {
        stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, || self.eval(expr, pos))
    }

    /// Whether implicit `WHITESPACE`/`COMMENT` is skipped between sequence items here.
    #[inline(always)]
    fn skips(&self) -> bool {
        self.atomicity == Atomicity::NonAtomic
            && (self.p.whitespace.is_some() || self.p.comment.is_some())
    }

    /// Implicit `WHITESPACE`/`COMMENT` between sequence items, outside atomic rules.
    fn skip(&mut self, mut pos: usize) -> usize {
        if !self.skips() {
            return pos;
        }
        loop {
            let before = pos;
            for trivia in [self.p.whitespace, self.p.comment].into_iter().flatten() {
                while let Some(next) = self.call(trivia, pos) {
                    if next == pos {
                        break;
                    }
                    pos = next;
                }
            }
            if pos == before {
                return pos;
            }
        }
    }

    /// One step: terminals are matched here, in the caller's loop, since they are most
    /// steps; compound expressions go to functions of their own, which keeps this one small
    /// enough to inline (a single large `eval` spent a fifth of its instructions saving and
    /// restoring registers).
    #[inline(always)]
    fn eval(&mut self, e: usize, pos: usize) -> Option<usize> {
        self.steps += 1;
        // Also how a stopped attempt unwinds: stopping sets the budget to zero.
        if self.steps > self.limits.steps {
            self.stopped.get_or_insert("step budget");
            return None;
        }
        let p: &'p Program = self.p;
        let input = self.input;
        match &p.exprs[e] {
            Expr::Str(s) => {
                if has_prefix(&input.as_bytes()[pos..], s.as_bytes()) {
                    Some(pos + s.len())
                } else {
                    self.fail_at(pos)
                }
            }
            Expr::Literals(_) if self.known.0 == e && self.known.1 == pos => Some(self.known.2),
            Expr::Literals(lits) => match lits.longest_at(&input.as_bytes()[pos..]) {
                Some(len) => Some(pos + len),
                None => self.fail_at(pos),
            },
            Expr::Range(lo, hi) => match input.as_bytes().get(pos) {
                // ASCII needs no decoding.
                Some(&byte) if byte < 0x80 => {
                    let c = char::from(byte);
                    if *lo <= c && c <= *hi {
                        Some(pos + 1)
                    } else {
                        self.fail_at(pos)
                    }
                }
                _ => self.other(&p.exprs[e], pos),
            },
            Expr::Set(set) => match set.len_at(input, pos) {
                Some(len) => Some(pos + len),
                None => self.fail_at(pos),
            },
            Expr::NotSet(set) => match set.len_at(input, pos) {
                Some(_) => self.fail_at(pos),
                None => Some(pos),
            },
            // Most runs that must not be empty are absent (a space before a word that is not
            // there): decided here, without the call.
            Expr::Span(set, true) if set.len_at(input, pos).is_none() => self.fail_at(pos),
            Expr::Span(set, at_least_one) => self.span(set, *at_least_one, pos),
            Expr::SpanUnless(stop, set) => Some(self.span_unless(*stop, set, pos)),
            Expr::RunOf(alternatives) => Some(self.run_of(alternatives, pos)),
            Expr::Call(id) => self.call(*id, pos),
            Expr::Seq(items) => self.seq(items, pos),
            Expr::SeqAfterMemo(s) => self.seq_after_memo(s, pos),
            Expr::Numeric(n) => self.numeric(*n, pos),
            Expr::NumberFirst(n) => self.number_first(n, pos),
            Expr::Choice(items) => self.choice(items, pos),
            Expr::Opt(x) => self.opt(*x, pos),
            Expr::Rep(x) => Some(self.repeat(*x, pos)),
            Expr::UpTo(x, n) => Some(self.up_to(*x, *n, pos)),
            other => self.other(other, pos),
        }
    }

    #[inline(never)]
    fn seq(&mut self, items: &[usize], pos: usize) -> Option<usize> {
        let mark = self.nodes.len();
        let Some((&first, rest)) = items.split_first() else {
            return Some(pos);
        };
        let mut p = match self.eval(first, pos) {
            Some(next) => next,
            None => {
                self.nodes.truncate(mark);
                return None;
            }
        };
        // The atomicity is the same for every item (calls restore it), so whether anything
        // is skipped between items is decided once.
        let skips = self.skips();
        for &item in rest {
            if skips {
                p = self.skip(p);
            }
            match self.eval(item, p) {
                Some(next) => p = next,
                None => {
                    self.nodes.truncate(mark);
                    return None;
                }
            }
        }
        Some(p)
    }

    /// A [`MemoSeq`]: failed at once when the memo holds its first item's result and the
    /// rest cannot begin where it ends; otherwise run as the sequence it is. Explanations
    /// run it as it is, to see the furthest failure.
    #[inline(never)]
    fn seq_after_memo(&mut self, s: &MemoSeq, pos: usize) -> Option<usize> {
        if !EXPLAIN && let Some(memo) = self.memo.as_deref() {
            // As `call` looks it up (see there).
            let lookahead = self.lookahead > 0 || s.in_lookahead;
            let context = s.atomicity[self.atomicity as usize] as u8 * 2 + u8::from(lookahead);
            let found = memo.get(s.rule, pos, context).or_else(|| {
                lookahead
                    .then(|| memo.get(s.rule, pos, context & !1))
                    .flatten()
            });
            match found.map(|f| f.end) {
                Some(None) => return None,
                Some(Some(end))
                    if !s
                        .rest
                        .may_match_at(&self.p.pair_sets, self.input.as_bytes(), end) =>
                {
                    return None;
                }
                _ => {}
            }
        }
        self.seq(&s.items, pos)
    }

    #[inline(never)]
    fn choice(&mut self, items: &[usize], pos: usize) -> Option<usize> {
        for &item in items.iter() {
            if !self.may_match(item, pos) {
                continue;
            }
            if let Some(p) = self.eval(item, pos) {
                return Some(p);
            }
            if self.stopped.is_some() {
                return None;
            }
        }
        None
    }

    #[inline(never)]
    fn opt(&mut self, x: usize, pos: usize) -> Option<usize> {
        if !self.may_match(x, pos) {
            return Some(pos);
        }
        Some(self.eval(x, pos).unwrap_or(pos))
    }

    /// The less frequent expressions, and a range at a character that is not ASCII.
    #[inline(never)]
    fn other(&mut self, e: &Expr, pos: usize) -> Option<usize> {
        let input = self.input;
        match e {
            Expr::Insens(s) => {
                let end = pos + s.len();
                if input.len() >= end
                    && input.as_bytes()[pos..end].eq_ignore_ascii_case(s.as_bytes())
                {
                    Some(end)
                } else {
                    self.fail_at(pos)
                }
            }
            Expr::Lexicon(forms) => match forms.longest_at(input.as_bytes(), pos) {
                Some((entry, len)) if forms.exact => {
                    if let Some(end) = self.exact_entry(entry, pos, pos + len) {
                        return end;
                    }
                    self.known = (self.calls[entry as usize].expr, pos, pos + len);
                    let end = self.call(entry, pos);
                    // The call may not have evaluated the body (a memoised result).
                    self.known.0 = usize::MAX;
                    end
                }
                Some((entry, _)) => self.call(entry, pos),
                None => self.fail_at(pos),
            },
            Expr::Range(a, b) => match input[pos..].chars().next() {
                Some(c) if *a <= c && c <= *b => Some(pos + c.len_utf8()),
                _ => self.fail_at(pos),
            },
            Expr::Class(f) => match input[pos..].chars().next() {
                Some(c) if f(c) => Some(pos + c.len_utf8()),
                _ => self.fail_at(pos),
            },
            Expr::NoneOf(chars) => match input[pos..].chars().next() {
                Some(c) if !chars.contains(&c) => Some(pos + c.len_utf8()),
                _ => self.fail_at(pos),
            },
            Expr::Any => match input[pos..].chars().next() {
                Some(c) => Some(pos + c.len_utf8()),
                None => self.fail_at(pos),
            },
            Expr::Soi => (pos == self.start).then_some(pos),
            Expr::Eoi => {
                if pos == input.len() {
                    Some(pos)
                } else {
                    self.fail_at(pos)
                }
            }
            // A lookahead whose expression cannot begin here is decided by its first
            // character (most `!ending` tests inside a word are), without running it.
            Expr::PosPred(x) if !self.may_match(*x, pos) => self.fail_at(pos),
            Expr::NegPred(x) if !self.may_match(*x, pos) => Some(pos),
            Expr::PosPred(x) => {
                let x = *x;
                self.lookahead += 1;
                let r = self.eval(x, pos);
                self.lookahead -= 1;
                r.map(|_| pos)
            }
            Expr::NegPred(x) => {
                let x = *x;
                self.lookahead += 1;
                let mark = self.nodes.len();
                let r = self.eval(x, pos);
                self.nodes.truncate(mark);
                self.lookahead -= 1;
                if r.is_some() {
                    self.fail_at(pos)
                } else {
                    Some(pos)
                }
            }
            Expr::Skip(strings) => {
                let mut p = pos;
                while p < input.len()
                    && !strings
                        .iter()
                        .any(|s| input.as_bytes()[p..].starts_with(s.as_bytes()))
                {
                    p += input[p..].chars().next().map_or(1, char::len_utf8);
                }
                Some(p)
            }
            Expr::Str(_)
            | Expr::Literals(_)
            | Expr::Call(_)
            | Expr::Seq(_)
            | Expr::Choice(_)
            | Expr::Opt(_)
            | Expr::Rep(_)
            | Expr::UpTo(..)
            | Expr::Set(_)
            | Expr::NotSet(_)
            | Expr::Span(..)
            | Expr::SpanUnless(..)
            | Expr::RunOf(_)
            | Expr::SeqAfterMemo(_)
            | Expr::Numeric(_)
            | Expr::NumberFirst(_) => unreachable!("handled by eval"),
        }
    }

    /// The call of lexicon entry `id` at `pos` whose body (see `Forms::exact`) the automaton
    /// found to end at `end`, made here as `call` would make it: the body's one step (and
    /// its budget check), the entry's node where the call makes one, and the end. The call
    /// itself was some 170 instructions per number word, unit or currency (its first-set
    /// check, which a match there passes, the dispatch, the depth and atomicity bookkeeping).
    /// `None` where the call must run as written: explanations, a memoised entry (its result
    /// goes through the memo) and at the nesting limit (which the call reports).
    #[inline(always)]
    fn exact_entry(&mut self, id: RuleId, pos: usize, end: usize) -> Option<Option<usize>> {
        let rule = &self.calls[id as usize];
        if EXPLAIN || (rule.memo && self.memo.is_some()) || self.depth >= self.limits.depth {
            return None;
        }
        let node = rule.modes[self.atomicity as usize].node && self.lookahead == 0;
        // The body's step, as `eval` counts it.
        self.steps += 1;
        if self.steps > self.limits.steps {
            self.stopped.get_or_insert("step budget");
            return Some(None);
        }
        if node {
            self.nodes.push((id, pos, end, self.node_depth));
        }
        Some(Some(end))
    }

    /// A call of `numeric` read natively (see `native`): the end and the nodes the call
    /// would give, in one step. Explanations, and calls near the nesting limit (which the
    /// call would reach), run the rules as written. The step budget is not: the reader
    /// takes one step where the rules took about ten, so it can only succeed where they
    /// would have run out of steps.
    #[inline(never)]
    fn numeric(&mut self, n: super::native::Numeric, pos: usize) -> Option<usize> {
        if EXPLAIN || self.depth + 2 >= self.limits.depth {
            return self.call(n.numeric, pos);
        }
        let (int_end, frac) = super::native::read_numeric(self.input.as_bytes(), pos)?;
        if self.lookahead == 0 {
            self.numeric_nodes(n, self.atomicity, self.node_depth, pos, (int_end, frac));
        }
        Some(frac.map_or(int_end, |f| f.1))
    }

    /// The nodes a call of `numeric` (in `atomicity`, its node at `depth`) makes for a
    /// number at `pos` read as `read` (see `native::read_numeric`).
    #[inline(always)]
    fn numeric_nodes(
        &mut self,
        n: super::native::Numeric,
        atomicity: Atomicity,
        mut depth: u32,
        pos: usize,
        (int_end, frac): (usize, Option<(usize, usize)>),
    ) {
        let calls = self.calls;
        let end = frac.map_or(int_end, |f| f.1);
        let outer = calls[n.numeric as usize].modes[atomicity as usize];
        if outer.node {
            self.nodes.push((n.numeric, pos, end, depth));
            depth += 1;
        }
        if calls[n.int as usize].modes[outer.inner as usize].node {
            self.nodes.push((n.int, pos, int_end, depth));
        }
        if let Some((start, end)) = frac
            && calls[n.frac as usize].modes[outer.inner as usize].node
        {
            self.nodes.push((n.frac, start, end, depth));
        }
    }

    /// A [`super::native::NumberFirst`] choice: where the number reads, the call of its rule
    /// as `call_rule` and the rule's sequence would run it (its node, the number's nodes
    /// under it, the tail as the option runs it), in one step for the choice, the call, the
    /// sequence and the number. Anywhere else the choice as written, and so in explanations,
    /// near the nesting limit (the rule, `numeric` and `int` nest three levels below) and
    /// where the rule's call would check the stack.
    #[inline(never)]
    fn number_first(&mut self, n: &super::native::NumberFirst, pos: usize) -> Option<usize> {
        let depth = self.depth + 1;
        if EXPLAIN || depth + 2 >= self.limits.depth || depth.is_multiple_of(STACK_CHECK_EVERY) {
            return self.choice(&n.items, pos);
        }
        let input = self.input.as_bytes();
        let Some(read) = super::native::read_numeric(input, pos) else {
            return self.choice(&n.items, pos);
        };
        let number_end = read.1.map_or(read.0, |f| f.1);
        let saved = self.atomicity;
        let mode = self.calls[n.rule as usize].modes[saved as usize];
        let makes_node = mode.node && self.lookahead == 0;
        let mark = self.nodes.len();
        if makes_node {
            self.nodes.push((n.rule, pos, number_end, self.node_depth));
            self.node_depth += 1;
        }
        if self.lookahead == 0 {
            self.numeric_nodes(n.numeric, mode.inner, self.node_depth, pos, read);
        }
        self.depth = depth;
        self.atomicity = mode.inner;
        let end = if self.p.starts[n.tail].may_match_at(&self.p.pair_sets, input, number_end) {
            self.eval(n.tail, number_end).unwrap_or(number_end)
        } else {
            number_end
        };
        self.atomicity = saved;
        self.depth -= 1;
        if makes_node {
            self.node_depth -= 1;
            self.nodes[mark].2 = end;
        }
        Some(end)
    }

    /// `x?` `n` times in a row of a sequence, stopping at the first that fails (every later
    /// one would fail at the same place): where the sequence would be after the last.
    #[inline(never)]
    fn up_to(&mut self, x: usize, n: u32, mut pos: usize) -> usize {
        for k in 0..n {
            // The sequence skips implicit whitespace before each of its items.
            let at = if k > 0 { self.skip(pos) } else { pos };
            if !self.may_match(x, at) {
                return at;
            }
            match self.eval(x, at) {
                Some(next) => pos = next,
                None => return at,
            }
        }
        pos
    }

    /// A run of characters of `set` from `pos`, as `set*` or `set ~ set*` would match it
    /// where nothing is skipped between items. Where the run stops, the item that would
    /// have been tried there fails, as the repetition's last try does.
    #[inline(never)]
    fn span(
        &mut self,
        set: &super::charset::CharSet,
        at_least_one: bool,
        pos: usize,
    ) -> Option<usize> {
        let mut p = pos;
        while let Some(len) = set.len_at(self.input, p) {
            p += len;
        }
        self.fail_at(p);
        (p > pos || !at_least_one).then_some(p)
    }

    /// `(!stop ~ set)*` from `pos`: where the run stops, as the repetition would. `stop` runs
    /// as the lookahead would (no nodes) and only where its first character allows it.
    #[inline(never)]
    fn span_unless(&mut self, stop: usize, set: &super::charset::CharSet, pos: usize) -> usize {
        let mut p = pos;
        loop {
            if self.may_match(stop, p) {
                self.lookahead += 1;
                let mark = self.nodes.len();
                let found = self.eval(stop, p);
                self.nodes.truncate(mark);
                self.lookahead -= 1;
                if found.is_some() || self.stopped.is_some() {
                    self.fail_at(p);
                    return p;
                }
            }
            match set.len_at(self.input, p) {
                Some(len) => p += len,
                None => {
                    self.fail_at(p);
                    return p;
                }
            }
        }
    }

    /// `(a | b ~ c | …)*` of pieces from `pos`: where the repetition would end. Each round
    /// takes the first alternative whose pieces all match, as the choice would; a piece that
    /// fails is a failure there, as its step would be, except inside a lookahead.
    #[inline(never)]
    fn run_of(&mut self, alternatives: &[Box<[super::charset::Piece]>], pos: usize) -> usize {
        let input = self.input;
        let mut p = pos;
        'rounds: loop {
            'alternatives: for alternative in alternatives {
                let mut q = p;
                for piece in alternative.iter() {
                    match piece.len_at(input, q) {
                        Some(len) => q += len,
                        None => {
                            if !matches!(piece, super::charset::Piece::Peek(_)) {
                                self.fail_at(q);
                            }
                            continue 'alternatives;
                        }
                    }
                }
                // Every alternative opens with a piece that consumes.
                p = q;
                continue 'rounds;
            }
            return p;
        }
    }

    /// `e*` as pest runs it: `(e ~ (skip ~ e)*)?`.
    fn repeat(&mut self, x: usize, pos: usize) -> usize {
        if !self.may_match(x, pos) {
            return pos;
        }
        match self.eval(x, pos) {
            Some(first) => self.repeat_after(x, first),
            None => pos,
        }
    }

    fn repeat_after(&mut self, x: usize, mut pos: usize) -> usize {
        loop {
            let mark = self.nodes.len();
            let skipped = self.skip(pos);
            if !self.may_match(x, skipped) {
                self.nodes.truncate(mark);
                return pos;
            }
            match self.eval(x, skipped) {
                // An item that consumes nothing would repeat forever.
                Some(next) if next > pos => pos = next,
                _ => {
                    self.nodes.truncate(mark);
                    return pos;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A test grammar's rules (for `pest_vm`) and nedra's program of them.
    fn compiled(grammar: &str) -> (Vec<pest_meta::optimizer::OptimizedRule>, Program) {
        let (_, rules) = pest_meta::parse_and_optimize(grammar).expect("grammar parses");
        let program = super::super::compile(&rules, &[]).expect("compiles");
        (rules, program)
    }

    /// How many of the program's expressions are of the folded kind `is`.
    /// Where `pest_vm`'s match of `rule` at the start of `input` ends, if it matches.
    fn pest_end(vm: &pest_vm::Vm, rule: &str, input: &str) -> Option<usize> {
        vm.parse(rule, input)
            .ok()
            .and_then(|pairs| pairs.map(|p| p.as_span().end()).max())
    }

    fn folded(program: &Program, is: impl Fn(&Expr) -> bool) -> usize {
        program.exprs.iter().filter(|e| is(e)).count()
    }

    fn entry(end: usize) -> MemoEntry {
        MemoEntry {
            end: Some(end),
            nodes: (end, end),
        }
    }

    /// Attempts made one after another on one [`Attempts`] give what attempts each on a
    /// run of its own give (same ends, steps, nodes and failures), also after an attempt
    /// that ran out of steps, and at every start (`SOI` matches at each).
    #[test]
    fn shared_attempts_match_as_fresh_ones() {
        let (_, program) = compiled(
            "WHITESPACE = _{ \" \" }\n\
             word = @{ ASCII_ALPHA+ }\n\
             pair = { word ~ \"=\" ~ num }\n\
             num = { ASCII_DIGIT+ ~ (\".\" ~ ASCII_DIGIT+)? }\n\
             first = { SOI ~ word }\n\
             entry = { pair | num | first }\n",
        );
        let rule = |name: &str| program.rule_id(name).expect("a rule");
        let reads = program.node_reads(|_| true);
        let text = String::from("ab = 12.5 cd=7 x = y 33");
        let mut memo = Memo::default();
        let mut attempts = program.attempts(&text, &mut memo, &reads);
        let mut fresh_memo = Memo::default();
        let mut tried = 0;
        for pos in 0..=text.len() {
            for (name, steps) in [("entry", 100), ("pair", 2), ("entry", 100), ("first", 100)] {
                let limits = Limits {
                    steps,
                    ..Limits::default()
                };
                let shared = attempts.matches_at(rule(name), pos, limits);
                let fresh = program.matches_reading(
                    rule(name),
                    &text,
                    pos,
                    limits,
                    &mut fresh_memo,
                    &reads,
                );
                assert_eq!(shared, fresh, "{name} at {pos}");
                tried += usize::from(shared.is_ok());
                if let Ok(m) = shared {
                    m.recycle();
                }
            }
        }
        assert!(tried >= 10, "the text exercises matches ({tried})");
    }

    #[test]
    fn a_memo_slot_answers_only_for_its_own_rule_position_and_context() {
        let text = String::from("some input");
        let mut memo = Memo::with_capacity(0);
        memo.bind(&text);
        memo.insert(3, 5, 1, entry(9));
        assert_eq!(memo.get(3, 5, 1).and_then(|e| e.end), Some(9));
        assert!(memo.get(3, 5, 0).is_none(), "another context");
        assert!(memo.get(3, 6, 1).is_none(), "another position");
        assert!(memo.get(4, 5, 1).is_none(), "another rule");
        // Keys that share a slot are still told apart, on each part of the key.
        let mut clashes = [false; 3];
        for r in 0..64 {
            for p in 0..2_000 {
                let home = memo.slot(r, p, 0);
                memo.insert(r, p, 0, entry(p));
                for (i, other) in [(r, p, 1), (r, p + 1, 0), (r + 1, p, 0)]
                    .into_iter()
                    .enumerate()
                {
                    if memo.slot(other.0, other.1, other.2) == home {
                        assert!(memo.get(other.0, other.1, other.2).is_none(), "{other:?}");
                        clashes[i] = true;
                    }
                }
            }
        }
        assert_eq!(clashes, [true; 3], "a clash of every kind was tried");
        // Another input forgets everything.
        let other = String::from("other input");
        memo.bind(&other);
        assert!(memo.get(3, 5, 1).is_none());
    }

    /// A lookahead takes a memoised result found outside any lookahead (it ends at the same
    /// place; the lookahead keeps no nodes of it) instead of matching again.
    #[test]
    fn a_lookahead_reuses_a_result_memoised_outside_it() {
        // Not a plain run of digits, which is one step and would gain nothing from the memo.
        let grammar = "n = { ASCII_DIGIT ~ ASCII_DIGIT ~ ASCII_DIGIT* } \n p = { &n ~ \"1\" }";
        let (_, rules) = pest_meta::parse_and_optimize(grammar).expect("grammar parses");
        let mut program = super::super::compile(&rules, &[]).expect("compiles");
        let id = |name: &str| program.rule_id(name).expect("rule");
        let (n, p) = (id("n"), id("p"));
        program.rules[n as usize].memo = true;
        program.calls[n as usize].memo = true;
        let input = "12345 x";
        let attempt = |memo: &mut Memo<'_>| {
            program
                .matches_at(p, input, 0, Limits::default(), memo)
                .expect("p matches")
        };
        let fresh = attempt(&mut Memo::default());
        let mut memo = Memo::default();
        let number = program.matches_at(n, input, 0, Limits::default(), &mut memo);
        assert_eq!(number.map(|m| m.end), Ok(5));
        let reused = attempt(&mut memo);
        assert_eq!((reused.end, &reused.nodes), (fresh.end, &fresh.nodes));
        assert_eq!(reused.nodes, vec![(p, 0, 1, 0)], "no node of the lookahead");
        assert!(
            reused.steps < fresh.steps,
            "{} steps, {} fresh",
            reused.steps,
            fresh.steps
        );
    }

    /// A sequence that opens with a memoised rule (here through a rule that only calls it)
    /// fails at once when the memo holds that rule's result and the rest cannot begin where
    /// it ends, and otherwise matches as before.
    #[test]
    fn a_sequence_after_a_memoised_result_fails_by_what_follows_it() {
        // `n` is recursive and called twice: memoised. `v` only calls it. `look` opens with
        // a lookahead on such a sequence, which fails where that sequence fails.
        let grammar = "n = { ASCII_DIGIT ~ n? } \n v = { n } \n kg = { v ~ \" kg\" } \n pct = { v ~ \"%\" } \n look = { &(v ~ \" kg\") ~ v }";
        let (rules, program) = compiled(grammar);
        assert_eq!(folded(&program, |e| matches!(e, Expr::SeqAfterMemo(_))), 4);
        let id = |name: &str| program.rule_id(name).expect("rule");
        let vm = pest_vm::Vm::new(rules);
        for input in ["12345% x", "123 kg", "7 kgs", "x"] {
            let mut memo = Memo::default();
            for name in ["pct", "kg", "look"] {
                let ours = program.matches_at(id(name), input, 0, Limits::default(), &mut memo);
                let theirs = pest_end(&vm, name, input);
                assert_eq!(
                    ours.as_ref().ok().map(|m| m.end),
                    theirs,
                    "{name} at {input:?}"
                );
            }
        }
        // After `pct` read the number, `kg` sees no space after it: one step, the sequence's.
        let input = "12345% x";
        let mut memo = Memo::default();
        assert!(
            program
                .matches_at(id("pct"), input, 0, Limits::default(), &mut memo)
                .is_ok()
        );
        for name in ["kg", "look"] {
            match program.matches_at(id(name), input, 0, Limits::default(), &mut memo) {
                Err(MatchError::NoMatch(f)) => assert_eq!(f.steps, 1, "{name}"),
                other => panic!("{name}: {other:?}"),
            }
        }
        // Where the rest can begin, the sequence runs as written, the number's node included.
        let input = "123 kg";
        let mut memo = Memo::default();
        assert!(
            program
                .matches_at(id("pct"), input, 0, Limits::default(), &mut memo)
                .is_err()
        );
        let m = program.matches_at(id("kg"), input, 0, Limits::default(), &mut memo);
        let m = m.expect("kg matches");
        assert_eq!(m.end, input.len());
        assert!(m.nodes.contains(&(id("v"), 0, 3, 1)), "{:?}", m.nodes);
        let m = program.matches_at(id("look"), input, 0, Limits::default(), &mut memo);
        assert_eq!(m.map(|m| m.end), Ok(3));
    }

    /// A run of a set up to a lookahead's stop (`(!stop ~ set)*`) is folded into one step,
    /// which ends where pest's repetition ends: at the stop, at the end of the set, at the end
    /// of the input. (`tests/peg_differential.rs` compares the same rules with `pest_vm` at
    /// every position.)
    /// An attempt at a digit whose every match opens with a memoised rule (through an
    /// optional item that cannot begin there, a call and a choice) reads that rule and
    /// looks at what follows it first: where nothing the choice wants follows, it fails in
    /// the steps of that rule alone; it matches where pest matches.
    #[test]
    fn an_attempt_at_a_digit_fails_by_what_follows_its_number() {
        let grammar = "n = { ASCII_DIGIT ~ n? } \n v = { n } \n q = { \"about \" } \n c = { v ~ \" kg\" | v ~ \"%\" | \"$\" ~ v } \n e = { q? ~ c }";
        let (rules, program) = compiled(grammar);
        let id = |name: &str| program.rule_id(name).expect("rule");
        let gate = program.gates[id("e") as usize].as_ref().expect("a gate");
        assert_eq!(gate.rule, id("n"));
        let vm = pest_vm::Vm::new(rules);
        for input in [
            "12345 x",
            "123 kg",
            "7%",
            "$5",
            "about 5 kg",
            "5 kgs",
            "5",
            "x",
        ] {
            let theirs = pest_end(&vm, "e", input);
            let fresh =
                program.matches_at(id("e"), input, 0, Limits::default(), &mut Memo::default());
            let plain = program.matches(id("e"), input, Limits::default());
            assert_eq!(fresh.as_ref().ok().map(|m| m.end), theirs, "{input:?}");
            assert_eq!(
                fresh.ok().map(|m| (m.end, m.nodes)),
                plain.ok().map(|m| (m.end, m.nodes)),
                "{input:?}"
            );
        }
        let input = "12345!";
        let number = program.matches_at(id("n"), input, 0, Limits::default(), &mut Memo::default());
        let number_steps = number.expect("a number").steps;
        match program.matches_at(id("e"), input, 0, Limits::default(), &mut Memo::default()) {
            Err(MatchError::NoMatch(f)) => assert_eq!(f.steps, number_steps),
            other => panic!("{other:?}"),
        }
    }

    /// What follows a number past the spaces is ruled out by its first two letters, in a
    /// sequence after a memoised result and at a gate whose alternatives (which pest does
    /// not factor, as it would two that open with `v`) want different words: "года" begins as "га" does, but its second letter fits no unit. Matches stay
    /// pest's.
    #[test]
    fn a_word_after_a_number_is_ruled_out_by_its_first_two_letters() {
        let grammar = r#"
            n    = { ASCII_DIGIT ~ n? }
            v    = { n }
            ws   = _{ " "+ }
            unit = { ("тонн" | "га" | "т") ~ !LETTER }
            cur  = { ("доллар" | "$") ~ !LETTER }
            w    = { v }
            c    = { v ~ (ws ~ unit | ws ~ cur) | w ~ ws ~ "кг" }
            e    = { c }
            u    = { v ~ ws ~ unit }
        "#;
        let (rules, program) = compiled(grammar);
        let id = |name: &str| program.rule_id(name).expect("rule");
        assert!(program.gates[id("e") as usize].is_some(), "a gate");
        let vm = pest_vm::Vm::new(rules);
        for input in [
            "5 года",
            "5  гектар",
            "5 га",
            "5 т.",
            "5 т",
            "5 тонн",
            "5 та",
            "5 доллара",
            "5 долг",
            "5 $",
            "5 кг",
            "5 кино",
            "5",
        ] {
            for name in ["e", "u"] {
                let theirs = pest_end(&vm, name, input);
                let ours =
                    program.matches_at(id(name), input, 0, Limits::default(), &mut Memo::default());
                assert_eq!(ours.ok().map(|m| m.end), theirs, "{name} at {input:?}");
            }
        }
        for input in ["12345 года", "12345  дым", "12345 кино"] {
            let mut memo = Memo::default();
            let number = program.matches_at(id("n"), input, 0, Limits::default(), &mut memo);
            let number_steps = number.expect("a number").steps;
            // The gate: the number's steps alone.
            match program.matches_at(id("e"), input, 0, Limits::default(), &mut Memo::default()) {
                Err(MatchError::NoMatch(f)) => assert_eq!(f.steps, number_steps, "{input:?}"),
                other => panic!("{input:?}: {other:?}"),
            }
            // The sequence after the memoised number: its one step.
            match program.matches_at(id("u"), input, 0, Limits::default(), &mut memo) {
                Err(MatchError::NoMatch(f)) => assert_eq!(f.steps, 1, "{input:?}"),
                other => panic!("{input:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_run_up_to_a_stop_is_one_step_and_ends_where_pest_ends() {
        let grammar = r#"
            wb     = _{ !LETTER }
            adj    = @{ (!(("ского" | "ный") ~ wb) ~ (LETTER | "-"))+ ~ ("ского" | "ный") ~ wb }
            untilq = @{ (!("q" | "кон") ~ 'a'..'z')* ~ ("q" | "z") }
        "#;
        let (_, program) = compiled(grammar);
        assert_eq!(folded(&program, |e| matches!(e, Expr::SpanUnless(..))), 2);
        let end = |name: &str, input: &str| {
            let id = program.rule_id(name).expect("rule");
            program
                .matches(id, input, Limits::default())
                .ok()
                .map(|m| m.end)
        };
        // The stop ends the run only where the word ends after it.
        assert_eq!(
            end("adj", "богутинского месторождения"),
            Some("богутинского".len())
        );
        assert_eq!(end("adj", "верхне-ный"), Some("верхне-ный".len()));
        assert_eq!(end("adj", "скогоx"), None);
        // The set's end, the stop and the input's end each end the run.
        assert_eq!(end("untilq", "abcq"), Some(4));
        assert_eq!(end("untilq", "abкон"), None);
        assert_eq!(end("untilq", "abz"), None);
        assert_eq!(end("untilq", "q"), Some(1));
    }

    /// A repetition of alternatives made of sets, literals and lookaheads on sets is folded
    /// into one step, which ends where pest_vm's repetition ends, and a failed attempt
    /// explains itself as before (the furthest failure inside the run is kept).
    #[test]
    fn a_run_of_pieces_is_one_step_and_ends_where_pest_ends() {
        let grammar = r#"
            word = @{ (LETTER | ASCII_DIGIT) ~ (LETTER | ASCII_DIGIT | "-" ~ (LETTER | ASCII_DIGIT))* }
            latw = @{ ASCII_ALPHA ~ (ASCII_ALPHANUMERIC | "&" | ("'" | "." | "-") ~ &ASCII_ALPHANUMERIC)* ~ !LETTER }
            dots = @{ ("a-" ~ 'b'..'c' | "ab" | "." ~ &"x")* ~ "!" }
        "#;
        let (rules, program) = compiled(grammar);
        assert_eq!(folded(&program, |e| matches!(e, Expr::RunOf(..))), 3);
        let vm = pest_vm::Vm::new(rules);
        let inputs = [
            "северо-западное 12-й a--b 7- -x аб-вг-",
            "AT&T o'neil j.p.morgan x. y.z- x'1 abé ab-ж",
            "a-bab.xab! a-ab! ab.! .x! ! a-b-!",
        ];
        let mut matched = 0;
        for input in inputs {
            for (pos, _) in input.char_indices().chain([(input.len(), ' ')]) {
                let rest = &input[pos..];
                for name in ["word", "latw", "dots"] {
                    let id = program.rule_id(name).expect("rule");
                    let ours = program.matches(id, rest, Limits::default());
                    let theirs = vm
                        .parse(name, rest)
                        .ok()
                        .and_then(|pairs| pairs.map(|p| p.as_span().end()).max());
                    assert_eq!(
                        ours.as_ref().ok().map(|m| m.end),
                        theirs,
                        "{name} at {rest:?}"
                    );
                    matched += usize::from(theirs.is_some());
                    if let Ok(m) = ours {
                        assert!(m.steps <= 6, "{name} at {rest:?}: {} steps", m.steps);
                    }
                }
            }
        }
        assert!(matched > 40, "matched {matched}");
        // The furthest failure is inside the run: after "a-", where 'b'..'c' was expected.
        let dots = program.rule_id("dots").expect("rule");
        match program.explain(dots, "aba-d", Limits::default()) {
            Err(MatchError::NoMatch(f)) => assert_eq!((f.furthest, f.expected), (4, vec![dots])),
            other => panic!("{other:?}"),
        }
    }

    /// `int` of `grammars/number.pest` reads a number's first digits once for all its forms:
    /// it matches what the three forms written out matched (and what `pest_vm` finds), in
    /// fewer steps wherever it has more than one digit.
    #[test]
    fn an_integer_reads_its_first_digits_once() {
        let source = include_str!("../../grammars/number.pest");
        let at = source.find("int = @{").expect("int in number.pest");
        let end = at + source[at..].find("\n}").expect("end of int") + 2;
        let grammar = format!(
            "digit = _{{ ASCII_DIGIT }}\n{}\nold = @{{ digit{{1,3}} ~ (\" \" ~ digit{{3}} ~ !digit)+ | digit{{1,3}} ~ (\".\" ~ digit{{3}} ~ !digit){{2,}} | digit+ }}",
            &source[at..end]
        );
        let (rules, program) = compiled(&grammar);
        let vm = pest_vm::Vm::new(rules);
        let id = |name: &str| program.rule_id(name).expect("rule");
        let inputs = [
            "5",
            "2020 году",
            "24600 тонн",
            "1 000 000 тенге",
            "12 345",
            "1 23",
            "1 2345",
            "1.000.000",
            "1.000",
            "12.345.678,5",
            "1234.567.890",
            "40,4 тыс",
            "87.45",
            "x",
            "1 000 000.000",
            "123 456 7",
        ];
        let mut fewer = 0;
        for input in inputs {
            let new = program.matches(id("int"), input, Limits::default());
            let old = program.matches(id("old"), input, Limits::default());
            let theirs = pest_end(&vm, "int", input);
            assert_eq!(new.as_ref().ok().map(|m| m.end), theirs, "{input:?}");
            assert_eq!(
                new.as_ref().ok().map(|m| m.end),
                old.as_ref().ok().map(|m| m.end),
                "{input:?}"
            );
            if let (Ok(new), Ok(old)) = (&new, &old) {
                fewer += usize::from(new.steps < old.steps);
            }
        }
        // All but "x" (no number) and "5" (one digit: a step more, for the empty rest).
        assert_eq!(fewer, inputs.len() - 2);
        // A number followed by a word: the sequence, its first digit, up to two more, the
        // choice of the rest (no group can begin there), the run of the other digits.
        let m = program.matches(id("int"), "2020 году", Limits::default());
        assert_eq!(m.map(|m| (m.end, m.steps)), Ok((4, 7)));
    }

    /// A successful attempt hands over its node buffer, not a copy, and a recycled match's
    /// buffer is the one the next attempt on the thread fills.
    #[test]
    fn a_recycled_match_buffer_is_the_next_attempts() {
        let (_, program) = compiled("n = { d ~ d* } \n d = { ASCII_DIGIT }");
        let (n, d) = (
            program.rule_id("n").expect("rule"),
            program.rule_id("d").expect("rule"),
        );
        let first = program
            .matches(n, "1234", Limits::default())
            .expect("n matches");
        assert_eq!(first.nodes.len(), 5);
        let buffer = first.nodes.as_ptr();
        first.recycle();
        // A failed attempt in between keeps the buffer too.
        assert!(program.matches(n, "x", Limits::default()).is_err());
        let second = program
            .matches(n, "56", Limits::default())
            .expect("n matches");
        assert_eq!(second.nodes, vec![(n, 0, 2, 0), (d, 0, 1, 1), (d, 1, 2, 1)]);
        assert_eq!(second.nodes.as_ptr(), buffer, "the recycled buffer");
    }

    #[test]
    fn a_full_memo_forgets_but_never_confuses_entries() {
        // Far more results than slots: each lookup finds its own result or nothing.
        let text = String::from("x");
        let mut memo = Memo::with_capacity(0);
        memo.bind(&text);
        let keys: Vec<(RuleId, usize, u8)> = (0..40u32)
            .flat_map(|r| (0..50usize).flat_map(move |p| (0..4u8).map(move |c| (r, p, c))))
            .collect();
        let value = |(r, p, c): (RuleId, usize, u8)| r as usize * 1000 + p * 10 + c as usize;
        for &k in &keys {
            memo.insert(k.0, k.1, k.2, entry(value(k)));
        }
        let mut kept = 0;
        for &k in &keys {
            if let Some(e) = memo.get(k.0, k.1, k.2) {
                assert_eq!(e.end, Some(value(k)), "{k:?}");
                kept += 1;
            }
        }
        assert!(kept > 0 && kept <= memo.slots.len(), "kept {kept}");
    }
}
