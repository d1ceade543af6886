//! `--types` (Extractor::with_types): only the record types asked for are matched, and they
//! come out exactly as a full run makes them.

mod author_support;

use author_support::articles;
use nedra::extract::{DOCUMENT, Extractor};
use nedra::record::Record;
use nedra::rules::{RuleSet, RuleSources};
use std::process::Command;

fn defaults() -> RuleSet {
    RuleSet::load(&RuleSources {
        defaults: true,
        dirs: Vec::new(),
    })
    .expect("default rules load")
}

fn types(list: &[&str]) -> Vec<String> {
    list.iter().map(|t| t.to_string()).collect()
}

/// The test articles, and short texts where a type is read by another (a deposit's reserves
/// are an amount; a deposit absorbs an anaphor in the next sentence).
fn texts() -> Vec<(String, String)> {
    let mut out = articles();
    assert!(out.len() >= 5, "the test corpus holds the seed articles");
    out.push((
        "reserves".into(),
        "Запасы месторождения Бозшаколь оцениваются в 1,2 млрд тонн руды. Компания \
         вложит $2 млрд в его освоение."
            .into(),
    ));
    out.push((
        "anaphor".into(),
        "Компания начала разведку на месторождении Жомарт. На этом месторождении \
         запасы меди составляют 150 тыс. тонн."
            .into(),
    ));
    out
}

fn run(ex: &Extractor, texts: &[(String, String)]) -> Vec<Vec<Record>> {
    texts.iter().map(|(id, t)| ex.extract(id, t)).collect()
}

#[test]
fn selected_types_come_out_as_a_full_run_makes_them() {
    let texts = texts();
    let full = run(&Extractor::new(defaults()), &texts);
    let mut seen_by_selection = Vec::new();
    for selection in [
        &["amount"][..],
        &["percentage"],
        &["deposit"],
        &["agreement"],
        &["document"],
        &["amount", "deposit"],
        &["percentage", "agreement"],
    ] {
        let ex = Extractor::new(defaults())
            .with_types(&types(selection))
            .expect("known types");
        let mut seen = 0;
        for (got, all) in run(&ex, &texts).iter().zip(&full) {
            let (doc, rest) = got.split_first().expect("a document record first");
            assert_eq!(doc.kind, DOCUMENT);
            let expected: Vec<&Record> = all[1..]
                .iter()
                .filter(|r| selection.contains(&r.kind.as_str()))
                .collect();
            assert_eq!(rest.iter().collect::<Vec<_>>(), expected, "{selection:?}");
            if selection.contains(&DOCUMENT) {
                assert_eq!(doc, &all[0], "the document record, when asked for");
            }
            seen += expected.len() + usize::from(selection.contains(&DOCUMENT));
        }
        seen_by_selection.push((selection, seen));
    }
    // The comparison is not empty: every selection finds records in these texts.
    for (selection, seen) in seen_by_selection {
        assert!(seen > 0, "{selection:?} found nothing to compare");
    }
}

#[test]
fn types_that_are_read_are_made_but_not_returned() {
    let ex = Extractor::new(defaults())
        .with_types(&types(&["deposit"]))
        .expect("known type");
    let text = "Запасы месторождения Бозшаколь оцениваются в 1,2 млрд тонн руды.";
    let records = ex.extract("d", text);
    let deposit = records
        .iter()
        .find(|r| r.kind == "deposit")
        .expect("the deposit");
    let reserves = deposit
        .fields
        .iter()
        .find(|(name, _)| name == "reserves")
        .map(|(_, v)| serde_json::to_string(v).expect("serialises"));
    assert!(
        reserves
            .as_deref()
            .is_some_and(|v| v.contains("1200000000")),
        "the reserves amount is read: {reserves:?}"
    );
    assert!(records.iter().all(|r| r.kind != "amount"), "{records:?}");
}

#[test]
fn rules_of_types_not_asked_for_are_never_tried() {
    let text = "Казахстан и Китай подписали соглашение о поставках 500 тыс. тонн меди на \
                $1,2 млрд. Доля компании выросла до 25%.";
    let full = Extractor::new(defaults());
    let (_, trace) = full.trace("d", text, None);
    let kinds = |ex: &Extractor, trace: &nedra::extract::Trace<'_>| -> Vec<String> {
        let mut k: Vec<String> = trace
            .candidates
            .iter()
            .map(|c| ex.rules().rules[c.rule].emits.clone())
            .collect();
        k.sort();
        k.dedup();
        k
    };
    let all_kinds = kinds(&full, &trace);
    assert!(
        ["agreement", "amount", "percentage"]
            .iter()
            .all(|t| all_kinds.iter().any(|k| k == t)),
        "a full run tries them all: {all_kinds:?}"
    );
    let only = Extractor::new(defaults())
        .with_types(&types(&["amount"]))
        .expect("known type");
    let (records, trace) = only.trace("d", text, None);
    assert_eq!(kinds(&only, &trace), ["amount"]);
    assert_eq!(records.iter().filter(|r| r.kind == "amount").count(), 2);
}

#[test]
fn an_unknown_type_is_an_error_that_lists_the_known_ones() {
    let err = Extractor::new(defaults())
        .with_types(&types(&["amount", "amout"]))
        .expect_err("amout is no type");
    assert_eq!(err.unknown, ["amout"]);
    for t in ["agreement", "amount", "deposit", "document", "percentage"] {
        assert!(err.known.iter().any(|k| k == t), "{t} in {:?}", err.known);
    }
    let message = err.to_string();
    assert!(
        message.contains("`amout`") && message.contains("amount, "),
        "{message}"
    );
}

#[test]
fn the_command_line_refuses_an_unknown_type_before_writing_anything() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out_dir = dir.path().join("out");
    let out = Command::new(env!("CARGO_BIN_EXE_nedra"))
        .args(["extract", "--types", "amount,amout", "--out"])
        .arg(&out_dir)
        .arg("tests/corpus")
        .output()
        .expect("nedra runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--types") && stderr.contains("`amout`"),
        "{stderr}"
    );
    assert!(!out_dir.exists(), "no output folder for a refused run");
}
