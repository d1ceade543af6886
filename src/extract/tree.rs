//! The match tree: pest's pairs turned into owned nodes with absolute offsets into the
//! normalised text, so field builders can search captures by name.

use crate::peg::{Match, Program};

/// One named grammar rule matched over `start..end` (normalised byte offsets).
///
/// The rule name is borrowed from the compiled program (`'r`): match trees are built for
/// every candidate, and an owned name was an allocation per node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node<'r> {
    /// Grammar rule name.
    pub rule: &'r str,
    /// Start in the normalised text.
    pub start: usize,
    /// End (exclusive) in the normalised text.
    pub end: usize,
    /// Named sub-matches in order.
    pub children: Vec<Node<'r>>,
}

impl<'r> Node<'r> {
    /// The top-level nodes of a compiled-program match made on a slice starting at `base`.
    pub fn from_match(m: &Match, program: &'r Program, base: usize) -> Vec<Node<'r>> {
        let mut roots = Vec::new();
        let mut stack: Vec<(u32, Node)> = Vec::new();
        fn attach<'r>(n: Node<'r>, stack: &mut [(u32, Node<'r>)], roots: &mut Vec<Node<'r>>) {
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
                rule: program.rule_name(rule),
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
    pub fn find(&self, rule: &str) -> Option<&Node<'r>> {
        if self.rule == rule {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(rule))
    }

    /// The first `Some` that `f` gives for a node in pre-order, this node included; like
    /// `walk().into_iter().find_map(f)` without collecting the nodes.
    pub fn find_map<'n, T>(&'n self, f: &mut impl FnMut(&'n Node<'r>) -> Option<T>) -> Option<T> {
        f(self).or_else(|| self.children.iter().find_map(|c| c.find_map(f)))
    }

    /// Every node in pre-order, this node included.
    pub fn walk(&self) -> Vec<&Node<'r>> {
        fn visit<'n, 'r>(n: &'n Node<'r>, out: &mut Vec<&'n Node<'r>>) {
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

    fn node(rule: &'static str, children: Vec<Node<'static>>) -> Node<'static> {
        Node {
            rule,
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
        let order: Vec<&str> = tree.walk().iter().map(|n| n.rule).collect();
        assert_eq!(order, ["a", "b", "c", "d", "e", "f"]);
        // find_map stops at the first node in the same order.
        let mut seen = Vec::new();
        let found = tree.find_map(&mut |n| {
            seen.push(n.rule);
            (n.rule == "d" || n.rule == "e").then_some(n.rule)
        });
        assert_eq!(found, Some("d"));
        assert_eq!(seen, ["a", "b", "c", "d"]);
    }
}
