//! Helper records (types with `output = false`) are matched only in the sentences where a
//! printed record can read them (see `nedra::extract::demand`); what is printed must not
//! change.

use nedra::extract::Extractor;
use nedra::extract::demand::Demand;
use nedra::extract::matcher::Groups;
use nedra::record::{FieldValue, Record};
use nedra::rules::{RuleSet, RuleSources};

fn load(extra: Option<&str>) -> RuleSet {
    let dir = tempfile::tempdir().expect("temp dir");
    if let Some(file) = extra {
        std::fs::write(dir.path().join("extra.toml"), file).expect("write rule file");
    }
    RuleSet::load(&RuleSources {
        defaults: true,
        dirs: vec![dir.path().to_path_buf()],
    })
    .expect("rules load")
}

/// The ids of the rules whose groups run on demand.
fn on_demand_rules(set: &RuleSet) -> Vec<String> {
    let groups = Groups::new(set);
    let demand = Demand::new(set, &groups);
    let mut ids: Vec<String> = groups
        .groups
        .iter()
        .enumerate()
        .filter(|&(g, _)| demand.is_on_demand(g))
        .flat_map(|(_, g)| g.members.iter().map(|&r| set.rules[r].id.clone()))
        .collect();
    ids.sort();
    ids
}

fn rule_index(set: &RuleSet, id: &str) -> usize {
    set.rules
        .iter()
        .position(|r| r.id == id)
        .unwrap_or_else(|| panic!("no rule {id}"))
}

#[test]
fn the_default_helpers_run_on_demand_and_printed_types_never_do() {
    let set = load(None);
    let groups = Groups::new(&set);
    let demand = Demand::new(&set, &groups);
    let mut helpers = demand.helpers().to_vec();
    helpers.sort();
    assert_eq!(helpers, ["agr_org", "agr_party", "deposit_anaphor"]);
    let ids = on_demand_rules(&set);
    for id in [
        "agr.ru.party",
        "agr.ru.place",
        "agr.kk.org.quoted",
        "deposit.ru.anaphor",
    ] {
        assert!(ids.iter().any(|i| i == id), "{id} runs on demand: {ids:?}");
    }
    for r in &set.rules {
        let helper = helpers.contains(&r.emits);
        assert_eq!(ids.contains(&r.id), helper, "{} emits {}", r.id, r.emits);
    }
}

#[test]
fn a_reader_wants_its_helpers_in_its_sentence_and_an_absorber_also_in_the_next_ones() {
    let set = load(None);
    let groups = Groups::new(&set);
    let demand = Demand::new(&set, &groups);
    let helper = |name: &str| {
        demand
            .helpers()
            .iter()
            .position(|h| h == name)
            .expect("a helper")
    };
    let (party, org, anaphor) = (
        helper("agr_party"),
        helper("agr_org"),
        helper("deposit_anaphor"),
    );
    // An agreement candidate in sentence 2 and a deposit candidate in sentence 5 of 8.
    let agreement = rule_index(&set, "agr.ru.agreement");
    let deposit = rule_index(&set, "deposit.ru");
    let amount = rule_index(&set, "amount.ru");
    let orgs = rule_index(&set, "agr.ru.agreement.orgs");
    let wanted = demand.wanted([(orgs, 2)], 8);
    assert_eq!(
        (0..8).filter(|&s| wanted.get(org, s)).collect::<Vec<_>>(),
        [2]
    );
    let wanted = demand.wanted([(agreement, 2), (deposit, 5), (amount, 0)], 8);
    let rows = |h: usize| (0..8).filter(|&s| wanted.get(h, s)).collect::<Vec<_>>();
    assert_eq!(rows(party), [2], "links read their own sentence");
    // `agr.ru.agreement` reads `agr_party`, `agr.ru.agreement.orgs` (same trigger, so a
    // candidate of one comes with a candidate of the other) reads `agr_org`.
    assert!(
        rows(org).is_empty(),
        "agr.ru.agreement alone reads no agr_org"
    );
    assert_eq!(rows(anaphor), [5, 6], "absorbed within one sentence after");
    assert_eq!(
        (0..8).filter(|&s| wanted.any_in(s)).collect::<Vec<_>>(),
        [2, 5, 6]
    );
    // The last sentence: the window is cut at the end of the document.
    let wanted = demand.wanted([(deposit, 7)], 8);
    assert_eq!(
        (0..8)
            .filter(|&s| wanted.get(anaphor, s))
            .collect::<Vec<_>>(),
        [7]
    );
    // Nothing asked for: nothing wanted.
    let wanted = demand.wanted([(amount, 3)], 8);
    assert!((0..8).all(|s| !wanted.any_in(s)));
}

#[test]
fn helpers_run_everywhere_where_demand_would_not_be_sound() {
    // A helper that merges across the document, one read by another helper, and one whose
    // grammar group has a printed member: none may be skipped in a sentence.
    let file = r#"
lang = "ru"

[record.zz_merged]
fields = { name = "string" }
output = false
merge_on = ["name"]

[record.zz_inner]
fields = { name = "string" }
output = false

[record.zz_outer]
fields = { name = "string" }
output = false

[record.zz_shared]
fields = { name = "string" }
output = false

[record.zz_printed]
fields = { a = "list", b = "list", c = "list" }

[[rule]]
id = "zz.merged"
entry = "agr_party_ru"
emits = "zz_merged"

[[rule]]
id = "zz.inner"
entry = "agr_block_ru"
emits = "zz_inner"

[[rule]]
id = "zz.outer"
entry = "agr_venue_ru"
emits = "zz_outer"
[[rule.link]]
field = "name"
record = "zz_inner"
record_field = "name"

[[rule]]
id = "zz.shared"
entry = "percentage_ru"
emits = "zz_shared"

[[rule]]
id = "zz.printed"
entry = "agr_agreement_ru"
emits = "zz_printed"
[[rule.link]]
field = "a"
record = "zz_merged"
record_field = "name"
all = true
[[rule.link]]
field = "b"
record = "zz_outer"
record_field = "name"
all = true
[[rule.link]]
field = "c"
record = "zz_shared"
record_field = "name"
all = true
"#;
    let set = load(Some(file));
    let ids = on_demand_rules(&set);
    assert!(!ids.iter().any(|i| i == "zz.merged"), "merges: {ids:?}");
    assert!(
        !ids.iter().any(|i| i == "zz.inner"),
        "read by a helper: {ids:?}"
    );
    assert!(
        ids.iter().any(|i| i == "zz.outer"),
        "read by a printed type: {ids:?}"
    );
    assert!(
        !ids.iter().any(|i| i == "zz.shared"),
        "groups with percentage.ru: {ids:?}"
    );
    // A default helper in a group with one of them runs everywhere too (`agr.ru.party`
    // with `zz.merged`); the others still run on demand.
    assert!(!ids.iter().any(|i| i == "agr.ru.party"), "{ids:?}");
    assert!(ids.iter().any(|i| i == "agr.ru.team"), "{ids:?}");
}

fn deposit<'a>(records: &'a [Record], name: &str) -> &'a Record {
    records
        .iter()
        .find(|r| r.kind == "deposit" && r.field("name") == Some(&FieldValue::Text(name.into())))
        .unwrap_or_else(|| panic!("no deposit {name}: {records:?}"))
}

#[test]
fn a_helper_in_the_sentence_after_its_reader_is_still_found() {
    // The anaphor is in the sentence after the deposit's: absorbed within one sentence, its
    // minerals reach the deposit as they did when helpers ran everywhere; two sentences on
    // they do not. (Which sentences are wanted is checked exactly above.)
    let ex = Extractor::new(load(None));
    let minerals = |text: &str| {
        let records = ex.extract("t", text);
        deposit(&records, "Сандык").field("minerals").cloned()
    };
    let lithium = Some(FieldValue::List(vec![FieldValue::Text("lithium".into())]));
    assert_eq!(
        minerals(
            "Компания разрабатывает месторождение Сандык. На месторождении имеются богатые запасы лития."
        ),
        lithium
    );
    assert_eq!(
        minerals(
            "Компания разрабатывает месторождение Сандык. Работы идут. На месторождении имеются богатые запасы лития."
        ),
        None
    );
}

#[test]
fn agreements_find_their_parties_with_helpers_on_demand() {
    // Parties in the agreement's sentence are matched after it is found; the sentence
    // before it names other countries, which are not matched (no reader there).
    let ex = Extractor::new(load(None));
    let text = "В Китае и России выросла добыча меди. Казахстан и Узбекистан подписали соглашение о строительстве завода.";
    let records = ex.extract("t", text);
    let agreements: Vec<&Record> = records.iter().filter(|r| r.kind == "agreement").collect();
    assert_eq!(agreements.len(), 1, "{records:?}");
    assert_eq!(
        agreements[0].field("parties"),
        Some(&FieldValue::List(vec![
            FieldValue::Text("KZ".into()),
            FieldValue::Text("UZ".into())
        ]))
    );
    let (traced, _) = ex.trace("t", text, None);
    assert_eq!(
        records, traced,
        "extraction and a full trace keep the same records"
    );
}

#[test]
fn an_absorbed_record_brings_only_the_fields_its_absorber_declares() {
    // The anaphor's `next` (the word after its trigger, a check) is not a deposit field.
    let ex = Extractor::new(load(None));
    let records = ex.extract(
        "t",
        "Компания разрабатывает месторождение Сандык. На месторождении имеются богатые запасы лития.",
    );
    let found = deposit(&records, "Сандык");
    assert!(found.field("minerals").is_some(), "{found:?}");
    let deposit_type = &ex.rules().records["deposit"];
    for (name, _) in &found.fields {
        assert!(
            deposit_type.has_field(name),
            "`{name}` is not a deposit field: {found:?}"
        );
    }
}
