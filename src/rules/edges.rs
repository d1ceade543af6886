//! What every match of a grammar expression begins and ends with, so that the literals on
//! both sides of a join in a sequence fuse into one longer literal that every match
//! contains: `ws ~ "и" ~ ws` (with `ws = _{ " "+ }`) contains `" и "`. The letter `и` is in
//! every other word and anchors nothing; `" и "` is a word, and can (see
//! [`super::grammar::Anchors`]).
//!
//! Only for grammars without implicit whitespace (no `WHITESPACE` or `COMMENT` rule): there
//! the items of a sequence match side by side, with nothing between them.

use super::grammar::{Cx, Grammar};
use pest_meta::optimizer::OptimizedExpr;

/// The longest prefix or suffix kept, in characters: a longer literal is hardly rarer.
const MAX_EDGE: usize = 16;

/// The ends of every match of an expression. `prefix` and `suffix` may be empty (nothing
/// known); when `exact` is known they are its ends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Edges {
    /// The one string every match is (`""` for a lookahead), if there is one and it is
    /// short.
    pub exact: Option<String>,
    /// Every match begins with this.
    pub prefix: String,
    /// Every match ends with this.
    pub suffix: String,
}

impl Edges {
    fn exact(s: &str) -> Edges {
        if s.chars().count() > MAX_EDGE {
            return Edges {
                exact: None,
                prefix: first_chars(s, MAX_EDGE).to_string(),
                suffix: last_chars(s, MAX_EDGE).to_string(),
            };
        }
        Edges {
            exact: Some(s.to_string()),
            prefix: s.to_string(),
            suffix: s.to_string(),
        }
    }

    fn unknown() -> Edges {
        Edges::default()
    }

    /// The ends of `self` followed by `next`.
    fn then(&self, next: &Edges) -> Edges {
        if let (Some(a), Some(b)) = (&self.exact, &next.exact) {
            return Edges::exact(&format!("{a}{b}"));
        }
        let prefix = match &self.exact {
            Some(a) => first_chars(&format!("{a}{}", next.prefix), MAX_EDGE).to_string(),
            None => self.prefix.clone(),
        };
        let suffix = match &next.exact {
            Some(b) => last_chars(&format!("{}{b}", self.suffix), MAX_EDGE).to_string(),
            None => next.suffix.clone(),
        };
        Edges {
            exact: None,
            prefix,
            suffix,
        }
    }

    /// The ends of either `self` or `other`.
    fn or(&self, other: &Edges) -> Edges {
        if self.exact.is_some() && self.exact == other.exact {
            return self.clone();
        }
        Edges {
            exact: None,
            prefix: common_prefix(&self.prefix, &other.prefix).to_string(),
            suffix: common_suffix(&self.suffix, &other.suffix).to_string(),
        }
    }
}

/// The literal that every match of `a ~ b` contains across the join, when it is longer
/// than what either side alone tells: the end of `a` followed by the beginning of `b`.
pub(crate) fn join(a: &Edges, b: &Edges) -> Option<String> {
    (!a.suffix.is_empty() && !b.prefix.is_empty()).then(|| format!("{}{}", a.suffix, b.prefix))
}

/// Whether the items of a sequence of `grammar` always match side by side.
pub(crate) fn contiguous(grammar: &Grammar) -> bool {
    grammar.expr("WHITESPACE").is_none() && grammar.expr("COMMENT").is_none()
}

/// The ends of every match of `e` in `grammar`; `cx` guards against recursive rules
/// and remembers the ends of rules.
pub(crate) fn edges_of<'g>(
    grammar: &'g Grammar,
    e: &'g OptimizedExpr,
    cx: &mut Cx<'g, '_>,
) -> Edges {
    use OptimizedExpr as E;
    match e {
        E::Str(s) => Edges::exact(s),
        // Documents are lower-cased before matching; an ASCII literal matched without case
        // matches its lower-case form there. Other letters may fold in ways not worth
        // guessing.
        E::Insens(s) if s.is_ascii() => Edges::exact(&s.to_ascii_lowercase()),
        E::Range(a, b) if a == b => Edges::exact(a),
        // Lookaheads consume nothing.
        E::PosPred(_) | E::NegPred(_) => Edges::exact(""),
        E::Ident(name) => edges_of_rule(grammar, name, cx),
        E::Push(x) | E::RestoreOnErr(x) => edges_of(grammar, x, cx),
        // `x+`, as pest's optimiser writes it: `x ~ x*`. Its matches end as `x`'s do.
        E::Seq(a, b) if matches!(&**b, E::Rep(r) if r == a) => repeated(edges_of(grammar, a, cx)),
        E::Seq(a, b) => edges_of(grammar, a, cx).then(&edges_of(grammar, b, cx)),
        E::Choice(a, b) => edges_of(grammar, a, cx).or(&edges_of(grammar, b, cx)),
        // May match nothing or several times (`x*`, `x?`), or is a builtin, a stack
        // operation, a skip: nothing certain at either end.
        _ => Edges::unknown(),
    }
}

/// The ends of one or more matches of an expression with ends `x`, one after another.
fn repeated(x: Edges) -> Edges {
    Edges {
        exact: None,
        prefix: x.prefix,
        suffix: x.suffix,
    }
}

fn edges_of_rule<'g>(grammar: &'g Grammar, name: &str, cx: &mut Cx<'g, '_>) -> Edges {
    // Builtins (`ASCII_DIGIT`, `LETTER`, `SOI`…) and unknown names: nothing known.
    grammar
        .by_rule(
            name,
            cx,
            |m| &mut m.edges,
            Edges::unknown,
            |e, cx| edges_of(grammar, e, cx),
        )
        .unwrap_or_else(Edges::unknown)
}

fn first_chars(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

fn last_chars(s: &str, n: usize) -> &str {
    let count = s.chars().count();
    if count <= n {
        return s;
    }
    s.char_indices().nth(count - n).map_or(s, |(i, _)| &s[i..])
}

fn common_prefix<'a>(a: &'a str, b: &str) -> &'a str {
    let len = a
        .char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((i, _), _)| i);
    &a[..len]
}

fn common_suffix<'a>(a: &'a str, b: &str) -> &'a str {
    let mut len = 0;
    for (x, y) in a.chars().rev().zip(b.chars().rev()) {
        if x != y {
            break;
        }
        len += x.len_utf8();
    }
    &a[a.len() - len..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(s: &str) -> Edges {
        Edges::exact(s)
    }

    fn ends(prefix: &str, suffix: &str) -> Edges {
        Edges {
            exact: None,
            prefix: prefix.into(),
            suffix: suffix.into(),
        }
    }

    #[test]
    fn sequences_concatenate_and_choices_keep_what_is_common() {
        assert_eq!(e("ab").then(&e("cd")), e("abcd"));
        assert_eq!(e("a").then(&ends("b", "c")), ends("ab", "c"));
        assert_eq!(ends("x", "y").then(&e("z")), ends("x", "yz"));
        assert_eq!(ends("x", "y").then(&ends("z", "w")), ends("x", "w"));
        assert_eq!(e("тонна").or(&e("тонны")), ends("тонн", ""));
        assert_eq!(e("млн").or(&e("млн")), e("млн"));
        assert_eq!(e("ая").or(&e("яя")), ends("", "я"));
        assert_eq!(e("").or(&e("a")), ends("", ""));
    }

    #[test]
    fn long_literals_keep_only_their_ends() {
        let long = "a".repeat(MAX_EDGE) + "бв";
        let edges = e(&long);
        assert_eq!(edges.exact, None);
        assert_eq!(edges.prefix.chars().count(), MAX_EDGE);
        assert!(edges.suffix.ends_with("бв"));
        assert_eq!(edges.suffix.chars().count(), MAX_EDGE);
    }

    fn grammar(text: &str) -> Grammar {
        let file = crate::rules::source::SourceFile::new(
            "test.pest",
            text,
            crate::rules::source::FileKind::Grammar,
            0,
        );
        Grammar::build(&[file], &crate::rules::lexicon::Lexicons::default()).expect("grammar")
    }

    fn clause_literals(g: &Grammar, rule: &str) -> Vec<Vec<String>> {
        let anchors = g.anchors(rule).map(|a| a.clauses).unwrap_or_default();
        anchors
            .into_iter()
            .map(|c| c.literals.into_iter().collect())
            .collect()
    }

    /// `" и "` anchors `num ~ ws ~ "и" ~ ws ~ num`; a grammar with implicit whitespace
    /// (which may stand between the items) and a choice in the middle fuse nothing.
    #[test]
    fn joins_become_anchors_only_where_items_touch() {
        let rules = "ws = _{ \" \"+ }\nr = { ASCII_DIGIT+ ~ ws ~ \"и\" ~ ws ~ ASCII_DIGIT+ }\n";
        let fused = clause_literals(&grammar(rules), "r");
        assert!(fused.contains(&vec![" и ".to_string()]), "{fused:?}");
        let spaced = format!("{rules}WHITESPACE = _{{ \"\\t\" }}\n");
        let plain = clause_literals(&grammar(&spaced), "r");
        assert!(
            plain.iter().flatten().all(|l| l.chars().count() < 2),
            "{plain:?}"
        );
        let choice = clause_literals(&grammar("r = { \"ab\" ~ (\"c\" | \"d\") ~ \"ef\" }\n"), "r");
        assert!(
            choice.iter().flatten().all(|l| l == "ab" || l == "ef"),
            "{choice:?}"
        );
    }

    #[test]
    fn joins_need_both_sides() {
        assert_eq!(join(&ends(" ", ""), &e("и ")), None);
        assert_eq!(join(&ends(" ", " "), &e("и ")), Some(" и ".into()));
        assert_eq!(join(&ends(" ", " "), &ends("", "x")), None);
    }
}
