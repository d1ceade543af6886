//! Rules that share an entry grammar rule are matched once per place (as one group) and
//! their candidates are shared; each rule still makes its own record and contends with its
//! own priority. Records of candidates that lose an overlap are not built outside `explain`.

mod author_support;

use author_support::articles;
use nedra::extract::Extractor;
use nedra::record::Record;
use nedra::rules::{RuleSet, RuleSources};

fn defaults() -> RuleSet {
    RuleSet::load_defaults().expect("default rules load")
}

/// The default rules and one more rule file.
fn defaults_with(rule_file: &str) -> Extractor {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("extra.toml"), rule_file).expect("write rule file");
    let set = RuleSet::load(&RuleSources {
        defaults: true,
        dirs: vec![dir.path().to_path_buf()],
    })
    .expect("rules load");
    Extractor::new(set)
}

/// `copy2.amount.ru` -> `amount.ru`.
fn original_id(id: &str) -> &str {
    match id.strip_prefix("copy") {
        Some(rest) => rest.split_once('.').map_or(id, |(_, original)| original),
        None => id,
    }
}

#[test]
fn copies_of_every_rule_change_nothing_but_which_copy_wins() {
    // Every rule three times under new ids: the same matches, so the same records; among
    // equal candidates the smallest rule id wins (`copy1.percentage.ru` before
    // `percentage.ru`, `amount.ru` before `copy1.amount.ru`).
    let plain = Extractor::new(defaults());
    let grown = Extractor::new(nedra::bench::grown_rules(3).expect("grown rules load"));
    assert_eq!(grown.rules().rules.len(), 3 * plain.rules().rules.len());
    let mut records = 0;
    let mut copies_won = 0;
    for (name, text) in articles() {
        let want = plain.extract(&name, &text);
        let mut got: Vec<Record> = grown.extract(&name, &text);
        assert_eq!(got.len(), want.len(), "{name}");
        for (g, w) in got.iter_mut().zip(&want) {
            let original = original_id(&g.rule).to_string();
            if original != g.rule {
                copies_won += 1;
                assert!(w.rule > g.rule, "{name}: {} won over {}", g.rule, w.rule);
            }
            g.rule = original;
        }
        assert_eq!(got, want, "{name}");
        records += want.len();
    }
    assert!(records > 50, "the test corpus gives records ({records})");
    assert!(copies_won > 0, "some copies rank first by id");
}

#[test]
fn copies_ranked_below_their_originals_lose_to_them_everywhere() {
    // Copy k of a rule has its priority less k: a rule of its own for the engine (not
    // collapsed into its original), which loses every overlap to the original on priority.
    let plain = Extractor::new(defaults());
    let ranked = Extractor::new(nedra::bench::grown_rules_ranked(3).expect("ranked rules load"));
    let rules = &ranked.rules().rules;
    assert_eq!(rules.len(), 3 * plain.rules().rules.len());
    let priority = |id: &str| {
        rules
            .iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("rule {id}"))
            .priority
    };
    assert_eq!(priority("amount.ru"), 0);
    assert_eq!(priority("copy2.amount.ru"), -2);
    assert_eq!(priority("agr.ru.agreement.orgs"), 1);
    assert_eq!(priority("copy1.agr.ru.agreement.orgs"), 0);
    let mut records = 0;
    for (name, text) in articles() {
        let want = plain.extract(&name, &text);
        assert_eq!(ranked.extract(&name, &text), want, "{name}");
        records += want.len();
    }
    assert!(records > 50, "the test corpus gives records ({records})");
}

#[test]
fn rules_sharing_a_grammar_contend_with_their_own_priority() {
    let ex = defaults_with(
        r#"lang = "ru"

[[rule]]
id = "zz.amount.kind_only"
description = "The default amount grammar, only the kind, ranked above amount.ru."
entry = "amount_ru"
emits = "amount"
priority = 5
[rule.fields]
kind = { lexicon = ["currency", "iso_currency", "unit"], attr = "kind" }
"#,
    );
    let text = "Добыто 40,4 тыс. тонн руды.";
    let (records, trace) = ex.trace("t", text, None);
    let amounts: Vec<&Record> = records.iter().filter(|r| r.kind == "amount").collect();
    assert_eq!(amounts.len(), 1, "{records:?}");
    assert_eq!(amounts[0].rule, "zz.amount.kind_only");
    // The whole match is its span (it names none), and it has only the field it asks for.
    assert_eq!(
        amounts[0].span.as_ref().map(|s| s.text.as_str()),
        Some("40,4 тыс. тонн")
    );
    assert_eq!(amounts[0].fields.len(), 1, "{:?}", amounts[0].fields);
    // Both rules matched the same text, and the trace built the loser's record too.
    let rule_of = |o: &nedra::extract::Outcome| {
        ex.rules().rules[trace.candidates[o.candidate].rule]
            .id
            .as_str()
    };
    let loser = trace
        .outcomes
        .iter()
        .find(|o| rule_of(o) == "amount.ru")
        .expect("amount.ru matched too");
    let loser_record = loser
        .result
        .as_ref()
        .expect("its record is built for the trace");
    assert!(loser_record.field("unit").is_some(), "{loser_record:?}");
    let (winner, why) = loser.lost_to.expect("amount.ru lost");
    assert_eq!(rule_of(&trace.outcomes[winner]), "zz.amount.kind_only");
    assert_eq!(why, nedra::extract::overlap::LossReason::Priority);
}

#[test]
fn records_are_the_same_whether_losers_are_built_or_not() {
    // `extract` builds a record only where it can still win (an overlap, one per sentence);
    // `trace` builds every candidate's record first. Both must keep the same records.
    let ex = Extractor::new(defaults());
    let mut compared = 0;
    for (name, text) in articles() {
        let lazy = ex.extract(&name, &text);
        let (eager, trace) = ex.trace(&name, &text, None);
        assert_eq!(lazy, eager, "{name}");
        compared += trace.outcomes.len();
    }
    // The test corpus makes several hundred candidates, most of which lose.
    assert!(compared > 200, "candidates compared: {compared}");
}

#[test]
fn copies_fail_for_the_reason_their_original_fails() {
    // A record that cannot be built for one rule is not built again for a rule of the same
    // recipe on the same match (copies here); the reason it reports must still be the one a
    // real build gives, the original's.
    type Key = (String, usize, usize, usize);
    fn failures(ex: &Extractor, name: &str, text: &str) -> Vec<(Key, String)> {
        let (_, trace) = ex.trace(name, text, None);
        let mut seen: std::collections::HashMap<(String, usize, usize), usize> =
            std::collections::HashMap::new();
        let mut out = Vec::new();
        for o in &trace.outcomes {
            let c = &trace.candidates[o.candidate];
            let rule = &ex.rules().rules[c.rule].id;
            let id = original_id(rule).to_string();
            // The how-manieth outcome of this rule's candidate (`each` rules make several).
            let nth = seen.entry((rule.clone(), c.start, c.end)).or_default();
            if let Err(why) = &o.result {
                out.push(((id.clone(), c.start, c.end, *nth), why.clone()));
            }
            *nth += 1;
        }
        out.sort();
        out
    }
    let plain = Extractor::new(defaults());
    let grown = Extractor::new(nedra::bench::grown_rules(3).expect("grown rules load"));
    let mut failed = 0;
    for (name, text) in articles() {
        let want = failures(&plain, &name, &text);
        let got = failures(&grown, &name, &text);
        // Each original failure three times (the original and two copies), same reason.
        let tripled: Vec<_> = want.iter().flat_map(|f| [f, f, f]).cloned().collect();
        assert_eq!(got, tripled, "{name}");
        failed += want.len();
    }
    assert!(failed > 20, "the test corpus has failed builds ({failed})");
}

#[test]
fn a_rule_that_cannot_build_its_record_leaves_its_grammar_neighbours_alone() {
    // Failed builds are remembered per match and recipe: a rule of the same grammar that
    // builds its record another way still builds it.
    let ex = defaults_with(
        r#"lang = "ru"

[[rule]]
id = "zz.amount.capitalised_unit"
description = "The default amount grammar, ranked first, with a unit that must be capitalised."
entry = "amount_ru"
emits = "amount"
span = "amount_core_ru"
priority = 5
[rule.fields]
unit = { text = "amount_core_ru", case = "all_capitalized" }
"#,
    );
    let text = "Добыто 40,4 тыс. тонн руды.";
    let records = ex.extract("t", text);
    let amounts: Vec<&Record> = records.iter().filter(|r| r.kind == "amount").collect();
    assert_eq!(amounts.len(), 1, "{records:?}");
    assert_eq!(amounts[0].rule, "amount.ru");
    let (_, trace) = ex.trace("t", text, None);
    let failed = trace
        .outcomes
        .iter()
        .find(|o| {
            ex.rules().rules[trace.candidates[o.candidate].rule].id == "zz.amount.capitalised_unit"
        })
        .expect("the new rule matched");
    let why = failed
        .result
        .as_ref()
        .expect_err("its record cannot be built");
    assert!(why.contains("capitalised"), "{why}");
}
