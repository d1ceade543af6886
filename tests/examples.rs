//! Every example written in the built-in rule files holds: the same machinery as `nedra test`.

use nedra::{Extractor, RuleSet};

#[test]
fn builtin_rule_examples_hold() {
    let rules = RuleSet::load_defaults().expect("default rules load");
    let extractor = Extractor::new(rules);
    let report = nedra::examples::run(&extractor, None);
    let failures: Vec<String> = report.failures.iter().map(|f| f.to_string()).collect();
    assert!(
        failures.is_empty(),
        "failing examples:\n{}",
        failures.join("\n")
    );
    assert!(report.passed >= 90, "examples ran: {}", report.passed);
}

#[test]
fn every_builtin_rule_has_examples() {
    let rules = RuleSet::load_defaults().expect("default rules load");
    for r in &rules.rules {
        assert!(
            !r.examples.is_empty(),
            "rule {} has no positive example",
            r.id
        );
    }
}
