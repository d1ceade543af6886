//! The match tree: pest's pairs turned into owned nodes with absolute offsets into the
//! normalised text, so field builders can search captures by name.

use crate::peg::{Match, Program};
use pest::iterators::Pair;

/// One named grammar rule matched over `start..end` (normalised byte offsets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Grammar rule name.
    pub rule: String,
    /// Start in the normalised text.
    pub start: usize,
    /// End (exclusive) in the normalised text.
    pub end: usize,
    /// Named sub-matches in order.
    pub children: Vec<Node>,
}

impl Node {
    /// Converts a pest pair matched on a slice starting at `base`.
    pub fn from_pair(pair: Pair<'_, &str>, base: usize) -> Node {
        let span = pair.as_span();
        Node {
            rule: pair.as_rule().to_string(),
            start: base + span.start(),
            end: base + span.end(),
            children: pair
                .into_inner()
                .map(|p| Node::from_pair(p, base))
                .collect(),
        }
    }

    /// The top-level nodes of a compiled-program match made on a slice starting at `base`.
    pub fn from_match(m: &Match, program: &Program, base: usize) -> Vec<Node> {
        let mut roots = Vec::new();
        let mut stack: Vec<(u32, Node)> = Vec::new();
        fn attach(n: Node, stack: &mut [(u32, Node)], roots: &mut Vec<Node>) {
            match stack.last_mut() {
                Some((_, parent)) => parent.children.push(n),
                None => roots.push(n),
            }
        }
        for &(rule, start, end, depth) in &m.nodes {
            while stack.last().is_some_and(|(d, _)| *d >= depth) {
                if let Some((_, n)) = stack.pop() {
                    attach(n, &mut stack, &mut roots);
                }
            }
            let node = Node {
                rule: program.rule_name(rule).to_string(),
                start: base + start,
                end: base + end,
                children: Vec::new(),
            };
            stack.push((depth, node));
        }
        while let Some((_, n)) = stack.pop() {
            attach(n, &mut stack, &mut roots);
        }
        roots
    }

    /// The first node named `rule` in pre-order, this node included.
    pub fn find(&self, rule: &str) -> Option<&Node> {
        if self.rule == rule {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(rule))
    }

    /// The first `Some` that `f` gives for a node in pre-order, this node included; like
    /// `walk().into_iter().find_map(f)` without collecting the nodes.
    pub fn find_map<'n, T>(&'n self, f: &mut impl FnMut(&'n Node) -> Option<T>) -> Option<T> {
        f(self).or_else(|| self.children.iter().find_map(|c| c.find_map(f)))
    }

    /// Every node in pre-order, this node included.
    pub fn walk(&self) -> Vec<&Node> {
        fn visit<'n>(n: &'n Node, out: &mut Vec<&'n Node>) {
            out.push(n);
            n.children.iter().for_each(|c| visit(c, out));
        }
        let mut out = Vec::new();
        visit(self, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Node;

    fn node(rule: &str, children: Vec<Node>) -> Node {
        Node {
            rule: rule.to_string(),
            start: 0,
            end: 0,
            children,
        }
    }

    #[test]
    fn walk_is_pre_order() {
        let tree = node(
            "a",
            vec![
                node("b", vec![node("c", vec![]), node("d", vec![])]),
                node("e", vec![node("f", vec![])]),
            ],
        );
        let order: Vec<&str> = tree.walk().iter().map(|n| n.rule.as_str()).collect();
        assert_eq!(order, ["a", "b", "c", "d", "e", "f"]);
        // find_map stops at the first node in the same order.
        let mut seen = Vec::new();
        let found = tree.find_map(&mut |n| {
            seen.push(n.rule.clone());
            (n.rule == "d" || n.rule == "e").then(|| n.rule.clone())
        });
        assert_eq!(found.as_deref(), Some("d"));
        assert_eq!(seen, ["a", "b", "c", "d"]);
    }
}
