//! The README's worked example is the real files of `examples/troy-ounces/`, word for word,
//! and it does what the README says (see also the CLI test that runs it through the binary).

use nedra::{Extractor, RuleSet, RuleSources};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn readme_shows_the_example_files_verbatim() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    for (file, lang) in [("troy.pest", "pest"), ("troy.toml", "toml")] {
        let text = std::fs::read_to_string(root().join("examples/troy-ounces").join(file))
            .expect("example file");
        let block = format!("```{lang}\n{text}```");
        assert!(
            readme.contains(&block),
            "README does not show examples/troy-ounces/{file} verbatim"
        );
    }
}

#[test]
fn readme_example_extracts_what_the_readme_says() {
    let rules = RuleSet::load(&RuleSources {
        defaults: true,
        dirs: vec![root().join("examples/troy-ounces")],
    })
    .expect("example rules load");
    let records = Extractor::new(rules).extract("-", "рудник произвел 120 тыс. тр. унций золота");
    let r = records
        .iter()
        .find(|r| r.rule == "amount.ru.troy_ounces")
        .expect("a troy-ounce record");
    assert_eq!(
        r.span.as_ref().map(|s| s.text.as_str()),
        Some("120 тыс. тр. унций")
    );
    let json = serde_json::to_value(r).expect("serialises");
    assert_eq!(json["value"], serde_json::json!(120000));
    assert_eq!(json["unit"], "oz");
}
