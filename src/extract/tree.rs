//! The match tree: a compiled-program match's nodes with the rule names they stand for, so
//! field builders can search captures by name.
//!
//! A tree is stored flat, its nodes in pre-order in one vector, each knowing where its
//! descendants end: every candidate gets a tree, and a vector of children per node was an
//! allocation per inner node (4 % of a run's instructions went to building and dropping
//! them). Pre-order is also the order captures are searched in, so a search is a scan.

use crate::peg::{Match, Program, RuleId};

/// A match tree; [`Tree::root`] is where reading starts. Rule names are borrowed from the
/// compiled program (`'r`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree<'r> {
    /// Pre-order; never empty (the root is first).
    nodes: Vec<Flat<'r>>,
}

/// One node as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Flat<'r> {
    rule: &'r str,
    id: RuleId,
    start: usize,
    end: usize,
    /// One past the index of its last descendant (its own index + 1 for a leaf).
    after: usize,
}

/// One named grammar rule matched over `start..end` (normalised byte offsets): a view of a
/// node of a [`Tree`].
#[derive(Clone, Copy)]
pub struct Node<'t> {
    /// Grammar rule name.
    pub rule: &'t str,
    /// Grammar rule id in the compiled program the tree was made from.
    pub id: RuleId,
    /// Start in the normalised text.
    pub start: usize,
    /// End (exclusive) in the normalised text.
    pub end: usize,
    nodes: &'t [Flat<'t>],
    index: usize,
}

impl std::fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("rule", &self.rule)
            .field("start", &self.start)
            .field("end", &self.end)
            .field("children", &self.children().collect::<Vec<_>>())
            .finish()
    }
}

impl<'r> Tree<'r> {
    /// The tree of match `m` of grammar rule `entry` over `start..end` of the text it was
    /// made on (node offsets are the text's). Its root is the match's node of `entry`
    /// when the match made exactly that one top-level node; otherwise (an entry rule that
    /// makes no node of its own) a root named `entry` over the match, above its nodes.
    pub fn from_match(
        m: &Match,
        program: &'r Program,
        entry: RuleId,
        start: usize,
        end: usize,
    ) -> Tree<'r> {
        let top_level = m.nodes.iter().filter(|n| n.3 == 0).count();
        let own_root = top_level == 1 && m.nodes.first().is_some_and(|n| n.0 == entry);
        let mut nodes = Vec::with_capacity(m.nodes.len() + 1);
        let shift = u32::from(!own_root);
        // The nodes whose descendants may still come (the ancestors of the next node) form
        // a chain through their `after` fields, innermost first, each holding the index of
        // the one outside it plus one (0 ends the chain): a stack without an allocation of
        // its own. `innermost` is the chain's first index plus one.
        let depth_of = |i: usize| match i.checked_sub(shift as usize) {
            Some(k) => m.nodes[k].3 + shift,
            None => 0,
        };
        let mut innermost = 0;
        if !own_root {
            nodes.push(Flat {
                rule: program.rule_name(entry),
                id: entry,
                start,
                end,
                after: 0,
            });
            innermost = 1;
        }
        for (k, &(rule, s, e, depth)) in m.nodes.iter().enumerate() {
            let depth = depth + shift;
            while innermost > 0 && depth_of(innermost - 1) >= depth {
                let closed = innermost - 1;
                innermost = nodes[closed].after;
                nodes[closed].after = nodes.len();
            }
            debug_assert_eq!(nodes.len(), k + shift as usize);
            nodes.push(Flat {
                rule: program.rule_name(rule),
                id: rule,
                start: s,
                end: e,
                after: innermost,
            });
            innermost = nodes.len();
        }
        while innermost > 0 {
            let closed = innermost - 1;
            innermost = nodes[closed].after;
            nodes[closed].after = nodes.len();
        }
        Tree { nodes }
    }

    /// The root node.
    pub fn root(&self) -> Node<'_> {
        Node::at(&self.nodes, 0)
    }
}

impl<'t> Node<'t> {
    fn at(nodes: &'t [Flat<'t>], index: usize) -> Node<'t> {
        let n = &nodes[index];
        Node {
            rule: n.rule,
            id: n.id,
            start: n.start,
            end: n.end,
            nodes,
            index,
        }
    }

    /// Its place in its tree's pre-order: with the tree, what identifies a node.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Named sub-matches in order.
    pub fn children(&self) -> impl Iterator<Item = Node<'t>> + use<'t> {
        let nodes = self.nodes;
        let after = nodes[self.index].after;
        let mut next = self.index + 1;
        std::iter::from_fn(move || {
            (next < after).then(|| {
                let child = Node::at(nodes, next);
                next = nodes[next].after;
                child
            })
        })
    }

    /// Every node in pre-order, this node included.
    pub fn walk(&self) -> impl Iterator<Item = Node<'t>> + use<'t> {
        let nodes = self.nodes;
        (self.index..nodes[self.index].after).map(move |i| Node::at(nodes, i))
    }

    /// The first node named `rule` in pre-order, this node included.
    pub fn find(&self, rule: &str) -> Option<Node<'t>> {
        self.walk().find(|n| n.rule == rule)
    }

    /// The first `Some` that `f` gives for a node in pre-order, this node included.
    pub fn find_map<T>(&self, f: impl FnMut(Node<'t>) -> Option<T>) -> Option<T> {
        self.walk().find_map(f)
    }
}

#[cfg(test)]
mod tests {
    use super::{Node, Tree};
    use crate::peg::Limits;

    /// The tree of grammar rule `rule` matched at the start of `text`.
    fn tree_of<'p>(program: &'p crate::peg::Program, rule: &str, text: &str) -> Tree<'p> {
        let id = program.rule_id(rule).expect("rule exists");
        let m = program
            .matches(id, text, Limits::default())
            .expect("matches");
        Tree::from_match(&m, program, id, 0, m.end)
    }

    fn program(grammar: &str) -> crate::peg::Program {
        let (_, rules) = pest_meta::parse_and_optimize(grammar).expect("grammar parses");
        crate::peg::compile(&rules, &[]).expect("compiles")
    }

    #[test]
    fn walk_is_pre_order_and_children_are_the_next_level() {
        let program = program(
            "a = { b ~ e }\nb = { c ~ d }\nc = { \"c\" }\nd = { \"d\" }\ne = { f }\nf = { \"f\" }",
        );
        let tree = tree_of(&program, "a", "cdf");
        let root = tree.root();
        let order: Vec<&str> = root.walk().map(|n| n.rule).collect();
        assert_eq!(order, ["a", "b", "c", "d", "e", "f"]);
        assert!(root.walk().all(|n| program.rule_name(n.id) == n.rule));
        let children: Vec<&str> = root.children().map(|n| n.rule).collect();
        assert_eq!(children, ["b", "e"]);
        let b = root.find("b").expect("b is in the tree");
        let under_b: Vec<&str> = b.children().map(|n| n.rule).collect();
        assert_eq!(under_b, ["c", "d"]);
        // A search stays inside the node it starts from.
        assert!(b.find("f").is_none());
        // find_map stops at the first node in the same order.
        let mut seen = Vec::new();
        let found = root.find_map(|n| {
            seen.push(n.rule);
            (n.rule == "d" || n.rule == "e").then_some(n.rule)
        });
        assert_eq!(found, Some("d"));
        assert_eq!(seen, ["a", "b", "c", "d"]);
    }

    /// The shape of a match: a node of the entry rule is the root when the match made it
    /// alone; otherwise a root named after the entry holds the match's top-level nodes.
    #[test]
    fn from_match_nests_nodes_by_depth_under_one_root() {
        let program = program(
            "num = { d+ }\nd = { ASCII_DIGIT }\npair = { num ~ \",\" ~ num }\nbare = _{ num ~ \",\" ~ num }",
        );
        let shape = |rule: &str, text: &str| {
            let tree = tree_of(&program, rule, text);
            let mut out = Vec::new();
            fn show(n: Node<'_>, depth: usize, out: &mut Vec<String>) {
                out.push(format!(
                    "{}{}:{}-{}",
                    " ".repeat(depth),
                    n.rule,
                    n.start,
                    n.end
                ));
                n.children().for_each(|c| show(c, depth + 1, out));
            }
            show(tree.root(), 0, &mut out);
            // Pre-order is the order of the flat nodes.
            let walked: Vec<String> = tree.root().walk().map(|n| n.rule.to_string()).collect();
            let shown: Vec<String> = out
                .iter()
                .map(|l| {
                    l.trim_start()
                        .split(':')
                        .next()
                        .unwrap_or_default()
                        .to_string()
                })
                .collect();
            assert_eq!(walked, shown);
            out
        };
        assert_eq!(
            shape("pair", "12,3"),
            [
                "pair:0-4", " num:0-2", "  d:0-1", "  d:1-2", " num:3-4", "  d:3-4"
            ]
        );
        assert_eq!(
            shape("bare", "1,23"),
            [
                "bare:0-4", " num:0-1", "  d:0-1", " num:2-4", "  d:2-3", "  d:3-4"
            ]
        );
    }
}
