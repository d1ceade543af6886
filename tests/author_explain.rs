//! `nedra explain` through the built binary: what was tried where, what matched, who won an
//! overlap and why, and how far a named rule got where it did not match.

mod author_support;

use author_support::{nedra, nedra_with, s, write};
use std::path::{Path, PathBuf};

const PEST: &str = r#"int = @{ ASCII_DIGIT+ }
kg_value = { int }
kg_amount = ${ kg_value ~ " " ~ "кг" ~ !LETTER }
about_kg = ${ "около" ~ " " ~ kg_amount }
t_amount = ${ kg_value ~ " " ~ ("т" | "тонн") ~ !LETTER }
"#;

const TOML: &str = r#"lang = "ru"

[record.weight]
fields = { value = "decimal", unit = "string", qualifier = "string" }

[[rule]]
id = "w.kg"
entry = "kg_amount"
emits = "weight"
[rule.fields]
value = { number = "kg_value" }
unit = { value = "kg" }

[[rule]]
id = "w.kg.preferred"
entry = "kg_amount"
emits = "weight"
priority = 5
[rule.fields]
value = { number = "kg_value" }
unit = { value = "kg" }

[[rule]]
id = "w.about"
entry = "about_kg"
emits = "weight"
span = "kg_amount"
[rule.fields]
value = { number = "kg_value" }
unit = { value = "kg" }
qualifier = { value = "approx" }

[[rule]]
id = "w.t"
entry = "t_amount"
emits = "weight"
[rule.fields]
value = { number = "kg_value" }
unit = { value = "t" }

[[rule]]
id = "w.t.kk"
entry = "t_amount"
emits = "weight"
lang = "kk"
"#;

fn folder(tmp: &Path) -> PathBuf {
    let dir = tmp.join("rules");
    write(&dir, "w.pest", PEST);
    write(&dir, "w.toml", TOML);
    dir
}

const TEXT: &str = "Груз весит около 7 кг, а вагон 5 кг. Всего 3 тыс.";

#[test]
fn explain_shows_what_matched_and_who_won_each_overlap() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(tmp.path());
    let run = nedra(&["explain", "--no-default-rules", "--rules", s(&dir), TEXT]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(
        run.stdout,
        r#"sentence 1 [ru] 0..60: Груз весит около 7 кг, а вагон 5 кг.
  tried: w.kg ×2, w.kg.preferred ×2, w.about ×1, w.t ×2
  match w.about 20..37 "около 7 кг"
    kept: weight "7 кг" value=7 unit="kg" qualifier="approx"
  match w.kg 31..37 "7 кг"
    lost: weight "7 кг" lost to w.about "7 кг" at 31 (longer: the winner's match is longer)
  match w.kg.preferred 31..37 "7 кг"
    lost: weight "7 кг" lost to w.about "7 кг" at 31 (longer: the winner's match is longer)
  match w.kg 53..59 "5 кг"
    lost: weight "5 кг" lost to w.kg.preferred "5 кг" at 53 (priority: equally long, the winner's rule has a higher priority)
  match w.kg.preferred 53..59 "5 кг"
    kept: weight "5 кг" value=5 unit="kg"
sentence 2 [ru] 60..81: Всего 3 тыс.
  tried: w.kg ×1, w.kg.preferred ×1, w.t ×1 (1 more rules found no place to start)
  no match
"#
    );
}

#[test]
fn explain_of_a_rule_that_did_not_match_shows_how_far_it_got() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(tmp.path());
    let run = nedra(&[
        "explain",
        "--no-default-rules",
        "--rules",
        s(&dir),
        "--rule",
        "w.t",
        "Груз весит около 7 кг, а вагон 5 тоннами. Всего 3 тыс.",
    ]);
    assert_eq!(run.code, 0, "{}", run.describe());
    // "т" | "тонн": PEG takes "т" and never tries "тонн", then `!LETTER` refuses "о".
    assert_eq!(
        run.stdout,
        r#"sentence 1 [ru] 0..70: Груз весит около 7 кг, а вагон 5 тоннами.
  tried w.t at 31, 53
  w.t did not match here
    furthest attempt: from 53 it got to 57: "5 т" ⟨here⟩ "оннами."
    refused there by a `!` lookahead: a character class such as LETTER
sentence 2 [ru] 70..91: Всего 3 тыс.
  tried w.t at 82
  w.t did not match here
    furthest attempt: from 82 it got to 86: "3 т" ⟨here⟩ "ыс."
    refused there by a `!` lookahead: a character class such as LETTER
"#
    );
}

#[test]
fn explain_names_what_the_grammar_expected_at_the_furthest_point() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(tmp.path());
    let run = nedra(&[
        "explain",
        "--no-default-rules",
        "--rules",
        s(&dir),
        "--rule",
        "w.t",
        "Вагон 5 кг.",
    ]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert!(
        run.stdout.contains(
            "    furthest attempt: from 11 it got to 13: \"5 \" ⟨here⟩ \"кг.\"\n    expected rule there: t_amount\n    expected text there: \"т\", \"тонн\"\n"
        ),
        "{}",
        run.describe()
    );
}

#[test]
fn explain_says_when_a_rule_is_for_another_language() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(tmp.path());
    let args = [
        "explain",
        "--no-default-rules",
        "--rules",
        s(&dir),
        "--rule",
        "w.t.kk",
    ];
    let run = nedra_with(&[&args[..], &["-"]].concat(), Some("Груз весит 5 т."));
    assert_eq!(run.code, 0, "{}", run.describe());
    assert!(
        run.stdout
            .contains("  w.t.kk did not run: it is a `kk` rule and this sentence is `ru`\n"),
        "{}",
        run.describe()
    );
    // Forcing the language, as rule examples do, runs it.
    let run = nedra(&[&args[..], &["--lang", "kk", "Груз весит 5 т."]].concat());
    assert!(
        run.stdout
            .contains("  match w.t.kk 20..24 \"5 т\"\n    kept: weight \"5 т\"\n"),
        "{}",
        run.describe()
    );
}

#[test]
fn explain_reads_a_file_and_refuses_an_unknown_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = folder(tmp.path());
    let file = write(tmp.path(), "text.txt", TEXT);
    let run = nedra(&[
        "explain",
        "--no-default-rules",
        "--rules",
        s(&dir),
        s(&file),
    ]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert!(
        run.stdout.starts_with("sentence 1 [ru] 0..60: Груз весит"),
        "{}",
        run.describe()
    );

    let run = nedra(&[
        "explain",
        "--no-default-rules",
        "--rules",
        s(&dir),
        "--rule",
        "w.kgg",
        TEXT,
    ]);
    assert_eq!(run.code, 1, "{}", run.describe());
    assert_eq!(
        run.stderr,
        "nedra: no rule with id `w.kgg` (did you mean `w.kg`?)\n"
    );
}
