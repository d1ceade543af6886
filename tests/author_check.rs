//! `nedra check` through the built binary: every problem of a rule folder at once, each at
//! its exact file:line:column with the source line underlined; warnings; exit codes.

mod author_support;

use author_support::{TINY_PEST, loc, nedra, s, write};

/// Seven problems of different kinds in one file; line numbers are noted on the right.
const WEIGHTS_TOML: &str = r#"[record.weight]
fields = { value = "decimal", unit = "enum:kg,t", note = "decimel" }

[[rule]]
id = "w.typo"
entry = "kg_amout"
emits = "weight"
lang = "ru"

[[rule]]
id = "w.key"
entry = "kg_amount"
emits = "weight"
lang = "ru"
priorty = 1

[[rule]]
id = "w.type"
entry = "kg_amount"
emits = "weight"
lang = "ru"
priority = "high"

[[rule]]
id = "w.capture"
entry = "kg_amount"
emits = "weight"
lang = "ru"
[rule.fields]
value = { number = "kg_valu" }

[[rule]]
id = "w.enum"
entry = "kg_amount"
emits = "weight"
lang = "ru"
[rule.fields]
unit = { value = "кг" }

[[rule]]
id = "w.dup"
entry = "t_amount"
emits = "weight"
lang = "ru"

[[rule]]
id = "w.dup"
entry = "t_amount"
emits = "weight"
lang = "ru"
"#;

#[test]
fn check_reports_every_problem_at_once_with_its_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rules");
    write(&dir, "tiny.pest", TINY_PEST);
    write(&dir, "weights.toml", WEIGHTS_TOML);
    let run = nedra(&["check", "--no-default-rules", "--rules", s(&dir)]);
    assert_eq!(run.code, 1, "{}", run.describe());
    assert!(!run.stdout.contains("ok:"), "{}", run.describe());
    let at = |line, col| loc(&dir, "weights.toml", line, col);
    let expected = [
        // line 2: `note = "decimel"`, the key at column 51
        format!(
            "error: {}: type mismatch: field `note` of record type `weight`: unknown field type `decimel` (did you mean `decimal`?)",
            at(2, 51)
        ),
        // line 6: `entry = "kg_amout"`, the value at column 9
        format!(
            "error: {}: unknown name: no grammar rule `kg_amout` (did you mean `kg_amount`?)",
            at(6, 9)
        ),
        // line 15: the misspelt key
        format!(
            "error: {}: bad rule file: unknown field `priorty`",
            at(15, 1)
        ),
        // line 22: `priority = "high"`, the value at column 12
        format!(
            "error: {}: bad rule file: invalid type: string \"high\", expected i32",
            at(22, 12)
        ),
        // line 30: `value = { number = "kg_valu" }`, the field's table at column 9
        format!(
            "error: {}: unknown name: capture `kg_valu` is not a grammar rule reachable from `kg_amount` (did you mean `kg_value`?)",
            at(30, 9)
        ),
        // line 38: `unit = { value = "кг" }`, the table at column 8
        format!(
            "error: {}: type mismatch: field `unit` of `weight` is declared `enum:kg,t`, but the constant gives \"кг\", which is not one of: kg, t",
            at(38, 8)
        ),
        // line 47: the second `id = "w.dup"`, the value at column 6
        format!(
            "error: {}: bad rule file: rule id `w.dup` is already used at {}",
            at(47, 6),
            at(41, 6)
        ),
    ];
    let got = run.diagnostics();
    assert_eq!(got.len(), expected.len(), "{}", run.describe());
    for (g, e) in got.iter().zip(&expected) {
        assert!(g.starts_with(e.as_str()), "expected {e:?}\n     got {g:?}");
    }
    assert!(got[2].ends_with("(did you mean `priority`?)"), "{}", got[2]);
    assert!(
        run.stderr.contains("nedra: 7 problem(s) in the rules"),
        "{}",
        run.describe()
    );
}

#[test]
fn each_problem_shows_its_source_line_underlined() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rules");
    write(&dir, "tiny.pest", TINY_PEST);
    write(&dir, "weights.toml", WEIGHTS_TOML);
    let run = nedra(&["check", "--no-default-rules", "--rules", s(&dir)]);
    let block = format!(
        "error: {}: unknown name: no grammar rule `kg_amout` (did you mean `kg_amount`?)\n  |\n6 | entry = \"kg_amout\"\n  |         ^^^^^^^^^^\n",
        loc(&dir, "weights.toml", 6, 9)
    );
    assert!(
        run.stderr.contains(&block),
        "no block\n{block}\nin\n{}",
        run.stderr
    );
    let block = format!(
        "error: {}: type mismatch: field `unit` of `weight` is declared `enum:kg,t`, but the constant gives \"кг\", which is not one of: kg, t\n   |\n38 | unit = {{ value = \"кг\" }}\n   |        ^^^^^^^^^^^^^^^^\n",
        loc(&dir, "weights.toml", 38, 8)
    );
    assert!(
        run.stderr.contains(&block),
        "no block\n{block}\nin\n{}",
        run.stderr
    );
}

#[test]
fn grammar_and_rule_file_problems_are_reported_together() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rules");
    // line 2: `broken = { "a" ~ }` — the missing term is due at the `}`, column 18
    write(&dir, "bad.pest", "good = { \"a\" }\nbroken = { \"a\" ~ }\n");
    // line 5: an unknown key; line 9: a field that names no lexicon
    write(
        &dir,
        "bad.toml",
        "[record.thing]\nfields = { kind = \"string\" }\n[[rule]]\nid = \"a\"\nentri = \"good\"\n[[rule]]\nid = \"b\"\nentry = \"good\"\nemits = \"thing\"\nlang = \"ru\"\n[rule.fields]\nkind = { lexicon = \"no_such_lexicon\" }\n",
    );
    let run = nedra(&["check", "--no-default-rules", "--rules", s(&dir)]);
    assert_eq!(run.code, 1, "{}", run.describe());
    let got = run.diagnostics();
    assert_eq!(got.len(), 3, "{}", run.describe());
    assert!(
        got[0].starts_with(&format!(
            "error: {}: bad grammar: ",
            loc(&dir, "bad.pest", 2, 18)
        )),
        "{}",
        got[0]
    );
    assert!(
        got[1].starts_with(&format!(
            "error: {}: bad rule file: unknown field `entri`",
            loc(&dir, "bad.toml", 5, 1)
        )),
        "{}",
        got[1]
    );
    assert!(
        got[2].starts_with(&format!(
            "error: {}: unknown name: no lexicon `no_such_lexicon`",
            loc(&dir, "bad.toml", 12, 8)
        )),
        "{}",
        got[2]
    );
}

#[test]
fn a_grammar_that_makes_pest_meta_panic_is_reported_at_its_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rules");
    write(
        &dir,
        "bad.pest",
        "ok_rule = { \"y\" }\nbad = { \"\\u{D800}\" }\nalso_bad = { PEEK[2147483648..] }\n",
    );
    let run = nedra(&["check", "--rules", s(&dir)]);
    assert_eq!(run.code, 1, "{}", run.describe());
    assert!(!run.stderr.contains("panicked at"), "{}", run.describe());
    let got = run.diagnostics();
    assert_eq!(got.len(), 2, "{}", run.describe());
    for (g, line) in got.iter().zip([2, 3]) {
        let want = format!(
            "error: {}: bad grammar: pest cannot read this rule (pest_meta panics: ",
            loc(&dir, "bad.pest", line, 1)
        );
        assert!(g.starts_with(&want), "expected {want:?}\n     got {g:?}");
    }
}

#[test]
fn warnings_do_not_fail_the_check_unless_strict() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rules");
    write(&dir, "tiny.pest", TINY_PEST);
    write(
        &dir,
        "w.toml",
        r#"[record.weight]
fields = { value = "decimal", unit = "string" }

[lexicon.colour]
red = { forms = ["красный"] }

[lexicon.size]
big = { forms = ["большой"] }
small = { forms = ["маленький"] }

[[rule]]
id = "w.kg"
entry = "kg_amount"
emits = "weight"
lang = "ru"
negative = ["7 кгс"]
[rule.fields]
value = { number = "kg_value" }
unit = { value = "kg" }
[[rule.example]]
text = "весит 7 кг"
expect = { value = 7 }

[[rule]]
id = "w.t"
entry = "t_amount"
emits = "weight"
lang = "ru"
[rule.fields]
unit = { lexicon = "size" }
"#,
    );
    // A later folder replaces `w.kg`.
    let over = tmp.path().join("over");
    write(
        &over,
        "o.toml",
        "[[rule]]\nid = \"w.kg\"\nentry = \"kg_amount\"\nemits = \"weight\"\nlang = \"ru\"\nnegative = [\"кг\"]\n[[rule.example]]\ntext = \"7 кг\"\n",
    );
    let args = [
        "check",
        "--no-default-rules",
        "--rules",
        s(&dir),
        "--rules",
        s(&over),
    ];
    let run = nedra(&args);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(run.stdout, "ok: 2 rules, 1 record types\n");
    let w = |file: &str, line, col, rest: &str| {
        format!(
            "warning: {}: {rest}",
            loc(if file == "o.toml" { &over } else { &dir }, file, line, col)
        )
    };
    let expected = [
        // the whole `colour` lexicon: nothing matches or reads it
        w(
            "w.toml",
            5,
            7,
            "unused lexicon entry: no rule uses lexicon `colour` (1 entries)",
        ),
        // `w.t` has neither kind of example
        w(
            "w.toml",
            25,
            6,
            "untested rule: rule `w.t` has no positive example",
        ),
        w(
            "w.toml",
            25,
            6,
            "untested rule: rule `w.t` has no negative example",
        ),
        w(
            "o.toml",
            2,
            6,
            &format!(
                "shadowed rule: rule `w.kg` replaces the rule with the same id at {}",
                loc(&dir, "w.toml", 12, 6)
            ),
        ),
    ];
    let got = run.diagnostics();
    assert_eq!(got.len(), expected.len(), "{}", run.describe());
    for e in &expected {
        assert!(
            got.iter().any(|g| g.starts_with(e.as_str())),
            "no warning {e:?} in\n{}",
            run.stderr
        );
    }
    assert!(run.stderr.contains("nedra: 4 warning(s)"), "{}", run.stderr);

    let mut strict = args.to_vec();
    strict.push("--strict");
    let run = nedra(&strict);
    assert_eq!(run.code, 1, "{}", run.describe());
}

#[test]
fn built_in_rules_check_clean_of_errors() {
    let run = nedra(&["check"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert!(run.stdout.starts_with("ok: "), "{}", run.describe());
    assert!(
        run.diagnostics().iter().all(|d| d.starts_with("warning: ")),
        "{}",
        run.describe()
    );
}

#[test]
fn user_record_types_are_checked_against_their_declaration_at_load() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rules");
    write(&dir, "tiny.pest", TINY_PEST);
    write(
        &dir,
        "types.toml",
        r#"[record.parcel]
fields = { kind = "enum:small,large", weight = "ref:weigth", when = "date", tags = "list:enum:a,b" }

[record.weight]
fields = { value = "decimal" }

[lexicon.parcel_size]
small = { forms = ["мал"] }
huge = { forms = ["огромн"] }

[[rule]]
id = "p.kg"
entry = "kg_amount"
emits = "parcel"
lang = "ru"
[rule.fields]
kind = { lexicon = "parcel_size" }
when = { value = "28.04.2025" }
tags = { value = ["a", "c"] }
[[rule.link]]
field = "weight"
record = "weight"
record_field = "value"
[[rule.example]]
text = "7 кг"
expect = { kind = "medium" }
"#,
    );
    let run = nedra(&["check", "--no-default-rules", "--rules", s(&dir)]);
    assert_eq!(run.code, 1, "{}", run.describe());
    let at = |line, col| loc(&dir, "types.toml", line, col);
    let expected = [
        // line 2: `weight = "ref:weigth"`, the key at column 39
        format!(
            "error: {}: unknown name: field `weight` of record type `parcel` refers to record type `weigth`, which is not declared (did you mean `weight`?)",
            at(2, 39)
        ),
        // line 17: the lexicon field; entry `huge` is no `kind`
        format!(
            "error: {}: type mismatch: field `kind` of `parcel` is declared `enum:small,large`, but lexicon entry `parcel_size.huge` ({}) gives \"huge\", which is not one of: small, large",
            at(17, 8),
            at(9, 8)
        ),
        // line 18: a date constant that is no ISO date
        format!(
            "error: {}: type mismatch: field `when` of `parcel` is declared `date`, but the constant gives \"28.04.2025\", which is not an ISO 8601 date",
            at(18, 8)
        ),
        // line 19: a list constant with a value outside the enum
        format!(
            "error: {}: type mismatch: field `tags` of `parcel` is declared `list:enum:a,b`, but the constant gives [\"a\",\"c\"], which has \"c\" which is not one of: a, b",
            at(19, 8)
        ),
        // line 20: the link gives a decimal to a `ref:` field
        format!(
            "error: {}: type mismatch: field `weight` of `parcel` is declared `ref:weigth`, but it gives a number, not a `ref:weigth`",
            at(20, 1)
        ),
        // line 26: the example expects a kind outside the enum
        format!(
            "error: {}: type mismatch: example expects field `kind` of `parcel` (declared `enum:small,large`) to be \"medium\", which is not one of: small, large",
            at(26, 10)
        ),
    ];
    let got = run.diagnostics();
    assert_eq!(got.len(), expected.len(), "{}", run.describe());
    for (g, e) in got.iter().zip(&expected) {
        assert!(g.starts_with(e.as_str()), "expected {e:?}\n     got {g:?}");
    }
}
