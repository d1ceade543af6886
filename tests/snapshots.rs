//! One YAML snapshot per article of `tests/corpus/`, kept in the top-level `snapshots/`.
//!
//! Review changes with `cargo insta review`; every value in a snapshot was checked by hand
//! against its article and `records.md` before it was accepted.

use nedra::{Extractor, RuleSet};

#[test]
fn corpus_articles() {
    let rules = RuleSet::load_defaults().expect("default rules load");
    let extractor = Extractor::new(rules);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::glob!("corpus", "*.txt", |path| {
            let text = std::fs::read_to_string(path).expect("corpus files are UTF-8");
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("file name");
            let records = extractor.extract(name, &text);
            for r in &records {
                if let Some(span) = &r.span {
                    assert_eq!(
                        &text[span.start..span.end],
                        span.text,
                        "record text is the raw slice"
                    );
                }
            }
            insta::assert_yaml_snapshot!(records);
        });
    });
}
