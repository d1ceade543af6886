//! `nedra test` through the built binary: each failing example as expected-vs-got, failing
//! negatives, values that do not fit their declared type, exit codes.

mod author_support;

use author_support::{TINY_PEST, loc, nedra, s, write};

/// Line numbers matter: the failures below are located by them.
const PARCELS_TOML: &str = r#"[record.parcel]
fields = { value = "decimal", unit = "enum:kg,t", label = "enum:small,large" }

[[rule]]
id = "p.kg"
entry = "kg_amount"
emits = "parcel"
lang = "ru"
negative = ["нет веса", "весит 9 кг"]
[rule.fields]
value = { number = "kg_value" }
unit = { value = "kg" }
label = { text = "kg_value" }
[[rule.example]]
text = "весит 7 кг"
expect = { value = 8, unit = "kg" }
[[rule.example]]
text = "весит 7 кг"
expect = { value = 7 }
[[rule.example]]
text = "весит 7 т"
expect = { value = 7 }
"#;

#[test]
fn test_prints_each_failure_as_expected_versus_got() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rules");
    write(&dir, "tiny.pest", TINY_PEST);
    write(&dir, "parcels.toml", PARCELS_TOML);
    // The folder loads: a text capture may fill an enum, which only running can check.
    let check = nedra(&["check", "--no-default-rules", "--rules", s(&dir)]);
    assert_eq!(check.code, 0, "{}", check.describe());

    let run = nedra(&["test", "--no-default-rules", "--rules", s(&dir)]);
    assert_eq!(run.code, 1, "{}", run.describe());
    let at = |line, col| loc(&dir, "parcels.toml", line, col);
    let expected = format!(
        "FAIL {}: rule `p.kg`, example \"весит 7 кг\":
    value: expected 8, got 7
FAIL {}: rule `p.kg`, example \"весит 7 кг\":
    label: \"7\" is not one of: small, large (declared `enum:small,large`)
FAIL {}: rule `p.kg`, example \"весит 7 т\":
    expected a record from this rule, got none
FAIL {}: rule `p.kg`, example \"весит 9 кг\":
    expected no parcel record, got parcel \"9 кг\" by `p.kg` [value=9, unit=\"kg\", label=\"9\"]
1 passed, 4 failed
",
        at(15, 8),
        at(18, 8),
        at(21, 8),
        at(9, 25)
    );
    assert_eq!(run.stdout, expected, "{}", run.describe());
}

#[test]
fn test_of_an_unknown_rule_says_so() {
    let run = nedra(&["test", "--rule", "amount.ru.monye"]);
    assert_eq!(run.code, 1, "{}", run.describe());
    assert!(
        run.stderr.contains("no rule with id `amount.ru.monye`"),
        "{}",
        run.describe()
    );
}

#[test]
fn test_of_rules_that_do_not_load_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rules");
    write(&dir, "bad.toml", "[[rule]]\nid = 1\n");
    let run = nedra(&["test", "--rules", s(&dir)]);
    assert_eq!(run.code, 1, "{}", run.describe());
    assert!(
        run.stderr.starts_with(&format!(
            "error: {}: bad rule file:",
            loc(&dir, "bad.toml", 2, 6)
        )),
        "{}",
        run.describe()
    );
}

#[test]
fn built_in_examples_pass_through_the_binary() {
    let run = nedra(&["test"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert!(
        run.stdout.ends_with(" passed, 0 failed\n"),
        "{}",
        run.describe()
    );
}
