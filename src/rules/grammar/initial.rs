//! Which literals of a rule's clauses every match has at a word start (see
//! [`AnyOf::initial`]): the prefilter's automaton then looks for them only there, and never
//! stops at their places inside words (country names and abbreviations such as «ес» and
//! «кр», number words such as «сто», trigger words).

use super::*;

/// The state of [`Grammar::word_initial`].
struct InitialWalk<'g, 'm> {
    /// Per rule met: whether every place it is met at begins a word.
    context: HashMap<&'g str, bool>,
    /// Per literal met: whether every place of it begins a word.
    literals: HashMap<Cow<'g, str>, bool>,
    /// Rules to walk (again): met for the first time, or in a weaker context.
    todo: Vec<&'g str>,
    /// The rules whose [`Grammar::word_after`] or [`Grammar::forms`] is being found.
    visiting: HashSet<&'g str>,
    /// Whether a rule met again inside itself cut the answer being found short: such an
    /// answer depends on where the walk began, and is not kept in `memo`.
    cut: bool,
    /// Where the answers about rules that do not depend on the entry are kept (see
    /// [`Memo::ends`], [`Memo::forms`]).
    memo: &'m mut Memo,
    /// Whether to keep them there.
    remember: bool,
}

/// The most literals [`Grammar::forms`] lists: more are hardly a lexicon.
const MAX_FORMS: usize = 4096;

impl Grammar {
    /// Per literal (normalised) of the expressions that can make up a match of rule
    /// `entry`: whether every place of it in such a match begins a word there (see
    /// [`AnyOf::initial`]), as far as the grammar tells: it opens the match, or follows an
    /// item whose every match ends with a character that breaks words (`ws`, `" "`). A rule
    /// met in several places is walked again, with the weaker context, until none changes.
    /// Only for grammars whose sequences match side by side (see [`crate::rules::edges`]).
    pub(super) fn word_initial<'g>(
        &'g self,
        entry: &'g str,
        memo: &mut Memo,
        remember: bool,
    ) -> HashMap<Cow<'g, str>, bool> {
        let mut walk = InitialWalk {
            context: HashMap::from([(entry, true)]),
            literals: HashMap::new(),
            todo: vec![entry],
            visiting: HashSet::new(),
            cut: false,
            memo,
            remember,
        };
        while let Some(name) = walk.todo.pop() {
            if let (Some(e), Some(&at_start)) = (self.expr(name), walk.context.get(name)) {
                self.initial_of(e, at_start, &mut walk);
            }
        }
        walk.literals
    }

    /// One step of [`Grammar::word_initial`]: expression `e`, which begins a word where
    /// it starts if `at_start`.
    fn initial_of<'g>(
        &'g self,
        e: &'g OptimizedExpr,
        at_start: bool,
        walk: &mut InitialWalk<'g, '_>,
    ) {
        use OptimizedExpr as E;
        match e {
            E::Str(s) => {
                *walk.literals.entry(Cow::Borrowed(s)).or_insert(true) &= at_start;
            }
            // Anchors take insensitive literals in lower case (see `anchors_of`).
            E::Insens(s) => {
                *walk
                    .literals
                    .entry(Cow::Owned(s.to_lowercase()))
                    .or_insert(true) &= at_start;
            }
            E::Ident(name) => {
                let known = walk.context.get(name.as_str()).copied();
                let now = known.map_or(at_start, |k| k && at_start);
                if known != Some(now) {
                    walk.context.insert(name, now);
                    walk.todo.push(name);
                }
            }
            E::PosPred(x) | E::Push(x) | E::RestoreOnErr(x) => self.initial_of(x, at_start, walk),
            E::Seq(a, b) => {
                self.initial_of(a, at_start, walk);
                let after = self.word_after(a, at_start, walk);
                self.initial_of(b, after, walk);
                // The literal across the join (see `anchors_of`) may begin inside a word.
                let mut cx = Cx::new(walk.memo, walk.remember);
                let left = crate::rules::edges::edges_of(self, a, &mut cx);
                let right = crate::rules::edges::edges_of(self, b, &mut cx);
                if let Some(joined) = crate::rules::edges::join(&left, &right) {
                    walk.literals.insert(Cow::Owned(joined), false);
                }
            }
            E::Choice(a, b) => {
                self.initial_of(a, at_start, walk);
                self.initial_of(b, at_start, walk);
            }
            E::Opt(x) => self.initial_of(x, at_start, walk),
            // A later repetition follows the one before, which may end anyhow but as
            // `word_after` tells.
            E::Rep(x) => {
                let again = self.word_after(x, false, walk);
                self.initial_of(x, at_start && again, walk)
            }
            // What a negative lookahead holds is in no clause; the rest holds no literal.
            _ => {}
        }
    }

    /// Whether a word begins (for a letter or digit) wherever a match of `e` ends, if one
    /// does where it starts (`at_start`): it ends with a character that breaks words, or
    /// matches nothing where a word begins. `false` when unsure.
    fn word_after<'g>(
        &'g self,
        e: &'g OptimizedExpr,
        at_start: bool,
        walk: &mut InitialWalk<'g, '_>,
    ) -> bool {
        use OptimizedExpr as E;
        let ends = |s: &str| match s.chars().next_back() {
            None => at_start,
            Some(c) => breaks_words(c),
        };
        match e {
            E::Str(s) => ends(s),
            E::Insens(s) => ends(&s.to_lowercase()),
            E::Range(a, b) if a == b => ends(a),
            // Lookaheads match nothing.
            E::PosPred(_) | E::NegPred(_) => at_start,
            E::Push(x) | E::RestoreOnErr(x) => self.word_after(x, at_start, walk),
            // A lexicon's entry behind a lookahead for one of its forms (`&"доллара" ~
            // currency__USD`), or a sign's (`&("$" | "€") ~ currency`): only the forms that
            // agree with the lookahead can match.
            E::Seq(look, x) if matches!(&**look, E::PosPred(_)) => {
                let E::PosPred(p) = &**look else {
                    return false;
                };
                match self.forms_after(p, x, walk) {
                    Some(forms) => forms.iter().all(|f| ends(f)),
                    None => self.word_after(x, at_start, walk),
                }
            }
            E::Seq(a, b) => {
                let mid = self.word_after(a, at_start, walk);
                self.word_after(b, mid, walk)
            }
            E::Choice(a, b) => {
                self.word_after(a, at_start, walk) && self.word_after(b, at_start, walk)
            }
            E::Opt(x) => at_start && self.word_after(x, at_start, walk),
            // Each repetition ends as one that begins anyhow does (`false` is the weaker).
            E::Rep(x) => at_start && self.word_after(x, false, walk),
            E::Ident(name) => {
                let Some((key, rule)) = self.rules.get_key_value(name.as_str()) else {
                    // A builtin (`ASCII_DIGIT`, `ANY`): unsure.
                    return false;
                };
                let side = usize::from(at_start);
                if let Some(known) = walk.memo.ends.get(key.as_str()).and_then(|k| k[side]) {
                    return known;
                }
                // A rule met again inside itself: unsure.
                if !walk.visiting.insert(key) {
                    walk.cut = true;
                    return false;
                }
                let outer = std::mem::replace(&mut walk.cut, false);
                let known = self.word_after(&rule.expr, at_start, walk);
                walk.visiting.remove(key.as_str());
                if walk.remember && !walk.cut {
                    walk.memo.ends.entry(key.clone()).or_default()[side] = Some(known);
                }
                walk.cut |= outer;
                known
            }
            _ => false,
        }
    }

    /// What `&p ~ x` can match, when `p` and `x` each match one of a few literals: the
    /// literals of `x` that begin with one of `p` or that one begins with.
    fn forms_after<'g>(
        &'g self,
        p: &'g OptimizedExpr,
        x: &'g OptimizedExpr,
        walk: &mut InitialWalk<'g, '_>,
    ) -> Option<Forms> {
        let ahead = self.forms(p, walk)?;
        let forms = self.forms(x, walk)?;
        let agree = |f: &String| {
            ahead
                .iter()
                .any(|a| a.starts_with(f.as_str()) || f.starts_with(a.as_str()))
        };
        Some(Forms::new(
            forms.iter().filter(|f| agree(f)).cloned().collect(),
        ))
    }

    /// The literals one of which every match of `e` is, if it is one of at most
    /// [`MAX_FORMS`] known ones (a lexicon, a choice of words): `None` when unknown.
    fn forms<'g>(&'g self, e: &'g OptimizedExpr, walk: &mut InitialWalk<'g, '_>) -> Option<Forms> {
        use OptimizedExpr as E;
        let forms = match e {
            E::Str(s) => Forms::new([s.clone()].into()),
            E::Insens(s) if s.is_ascii() => Forms::new([s.to_ascii_lowercase()].into()),
            E::Choice(..) => {
                // A lexicon is a long chain of choices: their union at once.
                let mut all = BTreeSet::new();
                let mut rest = e;
                loop {
                    let (one, next) = match rest {
                        E::Choice(a, b) => (&**a, Some(&**b)),
                        _ => (rest, None),
                    };
                    all.extend(self.forms(one, walk)?.iter().cloned());
                    if all.len() > MAX_FORMS {
                        return None;
                    }
                    match next {
                        Some(next) => rest = next,
                        None => break,
                    }
                }
                Forms::new(all)
            }
            E::Seq(look, x) if matches!(&**look, E::PosPred(_)) => {
                let E::PosPred(p) = &**look else {
                    return None;
                };
                self.forms_after(p, x, walk)?
            }
            E::Ident(name) => {
                let (key, rule) = self.rules.get_key_value(name.as_str())?;
                if let Some(known) = walk.memo.forms.get(key.as_str()) {
                    return known.clone();
                }
                if !walk.visiting.insert(key) {
                    walk.cut = true;
                    return None;
                }
                let outer = std::mem::replace(&mut walk.cut, false);
                let known = self.forms(&rule.expr, walk);
                walk.visiting.remove(key.as_str());
                if walk.remember && !walk.cut {
                    walk.memo.forms.insert(key.clone(), known.clone());
                }
                walk.cut |= outer;
                known?
            }
            _ => return None,
        };
        (forms.len() <= MAX_FORMS).then_some(forms)
    }
}
