//! The user-defined record type of the README, end to end through the built binary: the
//! files of `examples/licence/` are shown verbatim, load, pass their examples, extract the
//! records the README shows, and a mistake in them is reported at its line and column.

mod author_support;

use author_support::{loc, nedra, root, s, write};
use serde_json::Value;

fn example(file: &str) -> String {
    std::fs::read_to_string(root().join("examples/licence").join(file)).expect("example file")
}

#[test]
fn readme_shows_the_licence_files_verbatim() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    for (file, lang) in [("licence.toml", "toml"), ("licence.pest", "pest")] {
        let block = format!("```{lang}\n{}```", example(file));
        assert!(
            readme.contains(&block),
            "README does not show examples/licence/{file} verbatim"
        );
    }
}

#[test]
fn licence_folder_checks_and_its_examples_pass() {
    let run = nedra(&["check", "--rules", "examples/licence"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert!(run.diagnostics().is_empty(), "{}", run.describe());
    let run = nedra(&[
        "test",
        "--rules",
        "examples/licence",
        "--rule",
        "licence.ru",
    ]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(run.stdout, "4 passed, 0 failed\n");
}

#[test]
fn licence_records_are_extracted_as_the_readme_shows() {
    let run = nedra(&[
        "extract",
        "--rules",
        "examples/licence",
        "examples/licence/news.txt",
    ]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let shown = readme
        .split("```json\n")
        .filter_map(|b| b.split("```").next())
        .flat_map(str::lines)
        .find(|l| l.contains("\"type\":\"licence\""))
        .expect("the README shows a licence record");
    assert!(
        run.stdout.lines().any(|l| l == shown),
        "the README's record is not in the output:\n{shown}\n{}",
        run.describe()
    );
    let records: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .filter(|r: &Value| r["type"] == "licence")
        .collect();
    assert_eq!(records.len(), 2);
    let r = &records[0];
    assert_eq!(r["kind"], "production");
    assert_eq!(r["minerals"], serde_json::json!(["gold"]));
    assert_eq!(r["holder"], "ТОО Алтын Тау");
    assert_eq!(r["term_years"], 25);
    // A `ref:amount` field holds the nested amount record.
    assert_eq!(r["area"]["text"], "12 кв. км");
    assert_eq!(r["area"]["unit"], "km2");
    assert_eq!(r["area"]["value"], 12);
    assert_eq!(records[1]["holder"], "Kazakhmys Copper");
    assert!(records[1].get("area").is_none(), "{}", records[1]);

    // Without the folder there is no such record type.
    let run = nedra(&["extract", "examples/licence/news.txt"]);
    assert!(!run.stdout.contains("\"licence\""), "{}", run.describe());
}

#[test]
fn a_licence_value_outside_its_declared_type_is_reported_where_it_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("licence");
    write(&dir, "licence.pest", &example("licence.pest"));
    // A new mineral whose id the record type does not allow, and a term that is no number.
    let toml = example("licence.toml")
        .replace(
            "uranium = { forms = [\"уран\"] }",
            "uranium = { forms = [\"уран\"] }\nlithium = { forms = [\"лити\"] }",
        )
        .replace(
            "term_years = { number = \"licence_years\" }",
            "term_years = { text = \"licence_years\" }",
        );
    write(&dir, "licence.toml", &toml);
    let line_of = |needle: &str| {
        toml.lines()
            .position(|l| l.starts_with(needle))
            .expect("line")
            + 1
    };
    let run = nedra(&["check", "--rules", s(&dir)]);
    assert_eq!(run.code, 1, "{}", run.describe());
    let got = run.diagnostics();
    assert_eq!(got.len(), 2, "{}", run.describe());
    assert!(
        got[0].starts_with(&format!(
            "error: {}: type mismatch: field `term_years` of `licence` is declared `decimal`, but it gives text, not a `decimal`",
            loc(&dir, "licence.toml", line_of("term_years ="), 14)
        )),
        "{}",
        got[0]
    );
    assert!(
        got[1].starts_with(&format!(
            "error: {}: type mismatch: field `minerals` of `licence` is declared `list:enum:gold,silver,copper,tungsten,uranium`, but lexicon entry `licence_mineral.lithium`",
            loc(&dir, "licence.toml", line_of("[[rule.link]]"), 1)
        )),
        "{}",
        got[1]
    );
}
