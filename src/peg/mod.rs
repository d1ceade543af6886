//! nedra's own PEG matcher: the optimised pest AST (from `pest_meta`) compiled into a flat
//! program of integer-indexed expressions, run by a small interpreter.
//!
//! Why not `pest_vm`: it looks rules up by name in a `HashMap<String, _>` at every call,
//! resolves builtins such as `LETTER` by name (allocating) at every character, and allocates
//! a token queue per attempt; nedra tries grammars at thousands of positions per article.
//! Here rules are indices, builtins are resolved once, and a failed attempt allocates
//! nothing. Grammars stay `.pest` files loaded at run time; the semantics are pest's
//! (ordered choice, atomicity `@`/`$`/`!`, implicit `WHITESPACE`/`COMMENT`, lookahead),
//! checked against `pest_vm` by a differential test. Stack operations (`PUSH`, `POP`,
//! `PEEK`, `DROP`) are not supported and are refused at load.

mod automaton;
mod charset;
mod compile;
mod native;
mod openings;
mod optimize;
mod pairs;
mod run;
mod starts;

pub use compile::{CompileError, LexiconRule, compile};
pub use run::{Attempts, Failure, Limits, Match, MatchError, Memo, NodeReads};

/// Index of a rule in a [`Program`].
pub type RuleId = u32;

/// How a rule treats tokens and implicit whitespace (pest's rule modifiers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `{}`: a node; atomicity inherited.
    Normal,
    /// `_{}`: no node.
    Silent,
    /// `@{}`: a node; atomic, and no nodes inside.
    Atomic,
    /// `${}`: a node; atomic, nodes inside kept.
    CompoundAtomic,
    /// `!{}`: a node; non-atomic again.
    NonAtomic,
}

/// One compiled expression; children are indices into [`Program::exprs`].
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Str(Box<str>),
    Insens(Box<str>),
    Range(char, char),
    Class(fn(char) -> bool),
    Any,
    Soi,
    Eoi,
    Call(RuleId),
    PosPred(usize),
    NegPred(usize),
    Seq(Box<[usize]>),
    Choice(Box<[usize]>),
    Opt(usize),
    Rep(usize),
    /// `x?` written `n` times in a row in a sequence (how pest unrolls `x{0,n}` and the
    /// tail of `x{1,n}`): as many tries of `x` as match, at most `n`. The copies after a
    /// failed one are not tried, since they would fail at the same place too.
    UpTo(usize, u32),
    /// `!(c1 | c2 | …) ~ ANY` with single characters, in a grammar without implicit
    /// whitespace: one character that is none of these, as one step.
    NoneOf(Box<[char]>),
    Skip(Box<[Box<str>]>),
    /// A choice of plain literals, tried longest first, as one step.
    Literals(Box<openings::LiteralChoice>),
    /// A lexicon: the longest form of any entry, found in one anchored automaton run, then
    /// the entry's rule.
    Lexicon(Box<automaton::Forms>),
    /// One character of a set: what a class, a one-character literal or a choice of them
    /// matches, as one step (see `charset`).
    Set(Box<charset::CharSet>),
    /// `!x` with `x` a set: the next character is not in it, or there is none.
    NotSet(Box<charset::CharSet>),
    /// `x*` (`false`) or `x ~ x*` (`true`) with `x` a set, in a grammar without implicit
    /// whitespace: the longest run of its characters, as one step.
    Span(Box<charset::CharSet>, bool),
    /// `(!stop ~ x)*` with `x` a set, in a grammar without implicit whitespace: the longest
    /// run of characters of the set, each at a place where `stop` does not match, as one
    /// step (plus the steps of the `stop` tries).
    SpanUnless(usize, Box<charset::CharSet>),
    /// `(a | b ~ c | …)*` where every alternative is a sequence of pieces that match fixed
    /// characters (sets, literals, lookaheads on sets) and opens with one that consumes, in
    /// a grammar without implicit whitespace: the longest run, as one step (see
    /// `charset::Piece`).
    RunOf(Box<[Box<[charset::Piece]>]>),
    /// A sequence that opens with a call whose result a [`Memo`] may already hold, in a
    /// grammar without implicit whitespace: when it does, and the rest of the sequence
    /// cannot begin where that result ends, the sequence fails without running anything
    /// (see [`run::MemoSeq`]).
    SeqAfterMemo(Box<run::MemoSeq>),
    /// A call of `numeric` whose definition is the one `native` reads: the number read in
    /// Rust, as one step, with the nodes the call would make (see `native`).
    Numeric(native::Numeric),
    /// A choice whose first alternative calls a rule whose body is a natively read
    /// number and an optional tail (`number = { scaled | … }` with
    /// `scaled = { numeric ~ (ws ~ scale_word …)? }`): where the number reads, that rule's
    /// match, the number and the tail read in place of the choice, the call and the
    /// sequence (see `native::NumberFirst`); elsewhere the choice as written.
    NumberFirst(Box<native::NumberFirst>),
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledRule {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    pub(crate) expr: usize,
    /// `WHITESPACE` and `COMMENT` always run atomically.
    pub(crate) trivia: bool,
    /// Results of this rule are kept in a [`Memo`]: it is called from several places (so
    /// the same position is often tried again by another rule or alternative), it is not
    /// cheap (it runs a lexicon, directly or through the rules it calls), and it does not
    /// depend on where the attempt began. See `optimize`.
    pub(crate) memo: bool,
}

/// A compiled grammar, ready to match; cheap to share across threads.
#[derive(Debug, Clone)]
pub struct Program {
    pub(crate) rules: Vec<CompiledRule>,
    pub(crate) exprs: Vec<Expr>,
    pub(crate) by_name: std::collections::HashMap<String, RuleId>,
    pub(crate) whitespace: Option<RuleId>,
    pub(crate) comment: Option<RuleId>,
    /// Per expression: the bytes its matches can begin with.
    pub(crate) starts: Vec<starts::Starts>,
    /// The distinct first-two-characters sets of the program's expressions (see `pairs`;
    /// `Starts::pairs` indexes them).
    pub(crate) pair_sets: Vec<pairs::PairSet>,
    /// Per rule: what a call of it needs, in one record (see [`run::RuleRun`]).
    pub(crate) calls: Vec<run::RuleRun>,
    /// Per rule: what every match of it as an attempt's entry at a digit opens with, when
    /// that is a memoised rule (see [`run::Gate`]).
    pub(crate) gates: Vec<Option<run::Gate>>,
}

impl Program {
    /// The id of a rule by name.
    pub fn rule_id(&self, name: &str) -> Option<RuleId> {
        self.by_name.get(name).copied()
    }

    /// The name of a rule.
    pub fn rule_name(&self, id: RuleId) -> &str {
        &self.rules[id as usize].name
    }

    /// Every rule's name, by id.
    pub fn rule_names(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|r| r.name.as_str())
    }
}
