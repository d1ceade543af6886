//! nedra's compiled matcher gives exactly what pest_vm gives: for every built-in rule, at
//! every word start of every test article, the same match end (or the same failure).

use nedra::peg::{Limits, MatchError};
use nedra::{RuleSet, RuleSources};

#[test]
fn compiled_matcher_agrees_with_pest_vm_on_the_test_corpus() {
    let set = RuleSet::load(&RuleSources {
        defaults: true,
        dirs: vec![],
    })
    .expect("default rules load");
    let program = set.grammar.program();
    let vm = set.grammar.vm();
    let mut compared = 0usize;
    let mut matched = 0usize;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("corpus")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for path in files {
        let raw = std::fs::read_to_string(&path).expect("UTF-8");
        let text = nedra::text::normalize::normalize(&raw).text;
        for line in text.lines() {
            let starts = line
                .char_indices()
                .filter(|&(i, c)| {
                    c.is_alphanumeric()
                        && !line[..i]
                            .chars()
                            .next_back()
                            .is_some_and(char::is_alphanumeric)
                })
                .map(|(i, _)| i);
            for pos in starts {
                let input = &line[pos..];
                for rule in &set.rules {
                    if !rule.first.contains(input.chars().next().unwrap_or(' ')) {
                        continue;
                    }
                    let id = program.rule_id(&rule.entry).expect("entry compiled");
                    let ours = match program.matches(id, input, Limits::default()) {
                        Ok(m) => Some(m.end),
                        Err(MatchError::NoMatch(_)) => None,
                        Err(MatchError::Limit(why)) => panic!("limit {why} on {input:?}"),
                    };
                    let theirs = vm
                        .parse(&rule.entry, input)
                        .ok()
                        .and_then(|pairs| pairs.map(|p| p.as_span().end()).max());
                    assert_eq!(
                        ours,
                        theirs,
                        "rule {} at {:?} in {}",
                        rule.id,
                        &input[..input.len().min(60)],
                        path.display()
                    );
                    compared += 1;
                    matched += usize::from(ours.is_some());
                }
            }
        }
    }
    assert!(
        compared > 10_000 && matched > 50,
        "compared {compared}, matched {matched}"
    );
}
