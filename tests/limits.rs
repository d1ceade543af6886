//! Limits: a document that is too large, or that exhausts the matching budget, is an error
//! on that document, reported with the reason; nothing hangs and nothing panics.

use nedra::extract::ExtractLimits;
use nedra::{DocError, Extractor, RuleSet, RuleSources};

fn defaults() -> RuleSet {
    RuleSet::load_defaults().expect("default rules load")
}

#[test]
fn a_document_over_the_size_limit_is_refused_with_its_size() {
    let ex = Extractor::new(defaults()).with_limits(ExtractLimits {
        max_bytes: 10,
        ..ExtractLimits::default()
    });
    let (records, err) = ex.extract_bytes("big", "рост на 5% и ещё 10 млн тонн".as_bytes());
    assert!(
        matches!(err, Some(DocError::TooLarge { limit: 10, .. })),
        "{err:?}"
    );
    assert_eq!(records.len(), 1, "only the document record");
    let e = records[0]
        .field("error")
        .and_then(|v| v.as_text())
        .unwrap_or_default()
        .to_string();
    assert!(e.starts_with("too large:"), "{e}");
}

#[test]
fn a_document_that_exhausts_the_step_budget_is_an_error_not_a_hang() {
    let tight = ExtractLimits {
        base_steps: 50,
        steps_per_byte: 0,
        ..ExtractLimits::default()
    };
    let ex = Extractor::new(defaults()).with_limits(tight);
    let (records, err) = ex.extract_bytes(
        "d",
        "Добыча выросла на 5% до 10 млн тонн, а экспорт на 3%.".as_bytes(),
    );
    assert!(
        matches!(&err, Some(DocError::Budget(why)) if why == "step budget"),
        "{err:?}"
    );
    assert_eq!(records.len(), 1);
    // The same text within the default budget gives its records.
    let (records, err) = Extractor::new(defaults()).extract_bytes(
        "d",
        "Добыча выросла на 5% до 10 млн тонн, а экспорт на 3%.".as_bytes(),
    );
    assert!(err.is_none());
    assert!(records.len() >= 3);
}

#[test]
fn a_recursive_grammar_on_deep_nesting_hits_the_nesting_limit() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("nest.pest"),
        "nest = { \"(\" ~ nest? ~ \")\" }\nnested = ${ nest }\n",
    )
    .expect("write grammar");
    std::fs::write(
        dir.path().join("nest.toml"),
        "lang = \"ru\"\n[record.brackets]\nfields = { depth = \"string\" }\n\n[[rule]]\nid = \"nest\"\nentry = \"nested\"\nemits = \"brackets\"\n",
    )
    .expect("write rules");
    let rules = RuleSet::load(&RuleSources {
        defaults: false,
        dirs: vec![dir.path().to_path_buf()],
    })
    .expect("loads");
    let ex = Extractor::new(rules);
    let shallow = format!("{}{}", "(".repeat(10), ")".repeat(10));
    let (records, err) = ex.extract_bytes("shallow", shallow.as_bytes());
    assert!(err.is_none(), "{err:?}");
    assert!(records.iter().any(|r| r.kind == "brackets"));
    let deep = format!("{}{}", "(".repeat(5000), ")".repeat(5000));
    let (_, err) = ex.extract_bytes("deep", deep.as_bytes());
    assert!(
        matches!(&err, Some(DocError::Budget(why)) if why == "nesting limit"),
        "{err:?}"
    );
    // The same on a thread with a small stack: nesting up to the limit must not overflow
    // it (an overflow aborts the process, not one document), whatever the build.
    let on_small_stack = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(move || ex.extract_bytes("deep", deep.as_bytes()).1)
        .expect("thread starts")
        .join()
        .expect("no panic");
    assert!(
        matches!(&on_small_stack, Some(DocError::Budget(why)) if why == "nesting limit"),
        "{on_small_stack:?}"
    );
}
