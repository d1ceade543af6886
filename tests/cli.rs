//! End-to-end tests of the `nedra` binary: rule folders loaded at run time, rule-file
//! diagnostics with file:line:column, input kinds (files, folders, JSONL, stdin), output
//! formats, document failures, and byte offsets into the raw input.

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

// ---- helpers ---------------------------------------------------------------------------

/// What one run of the binary gave.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn describe(&self) -> String {
        format!(
            "exit code {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `nedra ARGS...` in `cwd` (the current directory when `None`), feeding `stdin`.
fn nedra_in(cwd: Option<&Path>, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nedra"));
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    let mut child = cmd.spawn().expect("cannot start nedra");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(bytes).expect("cannot write stdin");
        drop(pipe);
    }
    let out = child.wait_with_output().expect("nedra did not finish");
    Run {
        code: out.status.code().expect("nedra was killed by a signal"),
        stdout: String::from_utf8(out.stdout).expect("stdout is not UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is not UTF-8"),
    }
}

fn nedra(args: &[&str]) -> Run {
    nedra_in(None, args, None)
}

fn nedra_stdin(args: &[&str], stdin: &[u8]) -> Run {
    nedra_in(None, args, Some(stdin))
}

/// Parses JSONL output: one JSON object per line, no blank lines.
fn jsonl(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| {
            let v: Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l:?}"));
            assert!(v.is_object(), "not a JSON object: {l}");
            v
        })
        .collect()
}

/// Runs `extract` and parses its records, requiring exit code 0.
fn extract_ok(args: &[&str]) -> Vec<Value> {
    let mut all = vec!["extract"];
    all.extend_from_slice(args);
    let run = nedra(&all);
    assert_eq!(run.code, 0, "{}", run.describe());
    jsonl(&run.stdout)
}

/// Writes `text` to `dir/name` (creating folders) and returns the path.
fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn s(p: &Path) -> &str {
    p.to_str().expect("temp path is not UTF-8")
}

fn str_field<'a>(r: &'a Value, k: &str) -> &'a str {
    r[k].as_str()
        .unwrap_or_else(|| panic!("field `{k}` is not a string in {r}"))
}

fn offset(r: &Value, k: &str) -> usize {
    r[k].as_u64()
        .unwrap_or_else(|| panic!("field `{k}` is not an offset in {r}")) as usize
}

/// Asserts that a number field prints as `want` (decimals are JSON numbers, e.g. `14.4`).
fn assert_number(r: &Value, k: &str, want: &str) {
    assert!(r[k].is_number(), "field `{k}` is not a JSON number in {r}");
    assert_eq!(r[k].to_string(), want, "field `{k}` of {r}");
}

/// Checks the span invariant: `text` is exactly `input[start..end]` (bytes).
fn assert_span_matches(r: &Value, input: &[u8]) {
    let (start, end) = (offset(r, "start"), offset(r, "end"));
    assert!(start < end && end <= input.len(), "bad span in {r}");
    let slice = std::str::from_utf8(&input[start..end])
        .unwrap_or_else(|_| panic!("span of {r} does not fall on character boundaries"));
    assert_eq!(
        str_field(r, "text"),
        slice,
        "text is not input[start..end] in {r}"
    );
}

fn of_rule<'a>(records: &'a [Value], rule: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["rule"] == rule).collect()
}

fn of_type<'a>(records: &'a [Value], ty: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["type"] == ty).collect()
}

/// `FILE:LINE:COL` as nedra prints it for a file under a `--rules` folder given as `dir`.
fn loc(dir: &Path, file: &str, line: usize, col: usize) -> String {
    format!("{}:{line}:{col}", dir.join(file).display())
}

/// A malformed rule folder must stop `extract` (exit 2, nothing on stdout) and fail
/// `check` (exit 1), both printing exactly one `error: LOC: KIND: MESSAGE` line whose
/// message contains every one of `words`.
fn assert_refused(dir: &Path, location: &str, kind: &str, words: &[&str]) {
    let input = write(dir.parent().unwrap(), "input.txt", "Выделят 5 млн тенге.");
    let runs = [
        (
            "extract",
            2,
            nedra(&["extract", "--rules", s(dir), s(&input)]),
        ),
        ("check", 1, nedra(&["check", "--rules", s(dir)])),
    ];
    for (what, code, run) in runs {
        assert_eq!(run.code, code, "{what}: {}", run.describe());
        if what == "extract" {
            assert!(
                run.stdout.is_empty(),
                "extract printed records: {}",
                run.describe()
            );
        } else {
            assert!(
                !run.stdout.contains("ok:"),
                "check said ok: {}",
                run.describe()
            );
        }
        let errors: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(
            errors.len(),
            1,
            "{what}: expected one error line: {}",
            run.describe()
        );
        let prefix = format!("error: {location}: {kind}: ");
        assert!(
            errors[0].starts_with(&prefix),
            "{what}: expected an error starting with {prefix:?}, got {:?}",
            errors[0]
        );
        for w in words {
            assert!(
                errors[0].contains(w),
                "{what}: error does not mention {w:?}: {:?}",
                errors[0]
            );
        }
    }
}

/// A rule folder with a troy-ounce rule built on the default building blocks.
const GOLD_PEST: &str = "\
troy_gold = ${ amount_value ~ ws ~ ounce_word }
ounce_word = _{ ounce ~ wb }
";

const GOLD_TOML: &str = r#"[lexicon.ounce]
oz = { forms = ["тр. унций", "тр. унции"], kind = "mass" }

[[rule]]
id = "test.troy"
entry = "troy_gold"
emits = "amount"
lang = "ru"
[rule.fields]
kind = { lexicon = "ounce", attr = "kind" }
value = { number = "amount_value" }
unit = { value = "oz" }
"#;

// ---- 1. a new rule without recompiling -----------------------------------------------------

#[test]
fn rule_folder_adds_a_rule_at_run_time() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    write(&rules, "gold.pest", GOLD_PEST);
    write(&rules, "gold.toml", GOLD_TOML);
    let text = "В 2024 году на месторождении добыли 120 тыс. тр. унций золота.";
    let input = write(tmp.path(), "gold.txt", text);

    let records = extract_ok(&["--rules", s(&rules), s(&input)]);
    let troy = of_rule(&records, "test.troy");
    assert_eq!(troy.len(), 1, "records: {records:#?}");
    let r = troy[0];
    assert_eq!(r["type"], "amount");
    assert_eq!(r["doc"], s(&input));
    assert_eq!(r["lang"], "ru");
    assert_number(r, "value", "120000");
    assert_eq!(r["unit"], "oz");
    assert_eq!(r["kind"], "mass");
    assert_eq!(r["text"], "120 тыс. тр. унций");
    assert_span_matches(r, text.as_bytes());
    let start = text.find("120 тыс").unwrap();
    assert_eq!(offset(r, "start"), start);
    assert_eq!(offset(r, "end"), start + "120 тыс. тр. унций".len());

    // Without the folder the rule does not exist.
    let records = extract_ok(&[s(&input)]);
    assert!(of_rule(&records, "test.troy").is_empty(), "{records:#?}");
    assert!(records.iter().all(|r| r["unit"] != "oz"), "{records:#?}");
    assert_eq!(of_type(&records, "document").len(), 1);
}

// ---- 2. --no-default-rules -------------------------------------------------------------------

#[test]
fn no_default_rules_uses_only_the_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    // Self-contained: its own building blocks and record type.
    write(
        &rules,
        "kg.pest",
        "int = @{ ASCII_DIGIT+ }\nkg_value = { int }\nkg_amount = ${ kg_value ~ \" \" ~ \"кг\" ~ !LETTER }\n",
    );
    write(
        &rules,
        "kg.toml",
        r#"[record.amount]
fields = { value = "decimal", unit = "string" }

[[rule]]
id = "tiny.kg"
entry = "kg_amount"
emits = "amount"
lang = "ru"
[rule.fields]
value = { number = "kg_value" }
unit = { value = "kg" }
"#,
    );
    let text = "Компания получила $5 млн и отгрузила 7 кг золота, рост составил 5%.";
    let input = write(tmp.path(), "in.txt", text);

    let records = extract_ok(&["--no-default-rules", "--rules", s(&rules), s(&input)]);
    assert_eq!(
        records.len(),
        2,
        "document + one amount expected: {records:#?}"
    );
    assert_eq!(records[0]["type"], "document");
    let r = &records[1];
    assert_eq!(r["rule"], "tiny.kg");
    assert_eq!(r["text"], "7 кг");
    assert_number(r, "value", "7");
    assert_eq!(r["unit"], "kg");
    assert_span_matches(r, text.as_bytes());

    // Without --no-default-rules (and without the folder, whose `[record.amount]` would
    // replace the built-in record type) the built-in rules fire on the same text.
    let records = extract_ok(&[s(&input)]);
    let builtin = of_rule(&records, "amount.ru");
    assert!(
        builtin.iter().any(|r| r["text"] == "$5 млн"),
        "built-in rule missing with defaults on: {records:#?}"
    );

    let check = nedra(&["check", "--no-default-rules", "--rules", s(&rules)]);
    assert_eq!(check.code, 0, "{}", check.describe());
    assert!(
        check.stdout.starts_with("ok: 1 rules"),
        "{}",
        check.describe()
    );
}

// ---- 3. replacing a built-in rule ------------------------------------------------------------

#[test]
fn folder_rule_replaces_builtin_rule_with_same_id() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    write(
        &rules,
        "pct.pest",
        "xxx_percent = ${ \"ххх\" ~ ws ~ \"процентов\" ~ wb }\n",
    );
    write(
        &rules,
        "pct.toml",
        r#"[[rule]]
id = "percentage.ru"
entry = "xxx_percent"
emits = "percentage"
lang = "ru"
[rule.fields]
unit = { value = "%" }
"#,
    );
    let growth = write(
        tmp.path(),
        "growth.txt",
        "В этом году зафиксирован рост на 5% по сравнению с прошлым.",
    );
    let xxx_text = "Доля компании составила ХХХ процентов рынка.";
    let xxx = write(tmp.path(), "xxx.txt", xxx_text);

    // Sanity: the built-in rule does fire on this text.
    let records = extract_ok(&[s(&growth)]);
    assert!(
        of_rule(&records, "percentage.ru")
            .iter()
            .any(|r| r["text"] == "5%"),
        "{records:#?}"
    );

    let records = extract_ok(&["--rules", s(&rules), s(&growth), s(&xxx)]);
    let pct = of_type(&records, "percentage");
    assert_eq!(
        pct.len(),
        1,
        "only the replacement should fire: {records:#?}"
    );
    let r = pct[0];
    assert_eq!(r["rule"], "percentage.ru");
    assert_eq!(r["doc"], s(&xxx));
    assert_eq!(r["text"], "ХХХ процентов");
    assert_eq!(r["unit"], "%");
    assert!(
        r.get("value").is_none(),
        "the replacement sets no value: {r}"
    );
    assert_span_matches(r, xxx_text.as_bytes());

    let check = nedra(&["check", "--rules", s(&rules)]);
    let defaults = nedra(&["check"]);
    assert_eq!(check.code, 0, "{}", check.describe());
    assert_eq!(
        check.stdout, defaults.stdout,
        "replacing a rule must not change the number of rules"
    );
}

// ---- 4. malformed rule folders ------------------------------------------------------------

#[test]
fn toml_syntax_error_is_located() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    write(
        &rules,
        "bad.toml",
        // line 3: `entry = "unclosed` — 17 characters, the missing `"` is due at column 18
        "[[rule]]\nid = \"x.y\"\nentry = \"unclosed\nemits = \"amount\"\n",
    );
    assert_refused(
        &rules,
        &loc(&rules, "bad.toml", 3, 18),
        "bad rule file",
        &[],
    );
}

#[test]
fn toml_syntax_error_column_counts_characters() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    write(
        &rules,
        "bad.toml",
        // line 7: `text = "всего 5 тонн` — 20 characters (27 bytes): column 21
        "[[rule]]\nid = \"x.y\"\nentry = \"amount_ru\"\nemits = \"amount\"\nlang = \"ru\"\n[[rule.example]]\ntext = \"всего 5 тонн\n",
    );
    assert_refused(
        &rules,
        &loc(&rules, "bad.toml", 7, 21),
        "bad rule file",
        &[],
    );
}

#[test]
fn unknown_rule_key_is_located() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    write(
        &rules,
        "bad.toml",
        // line 6, column 1: the misspelt key
        "[[rule]]\nid = \"x.y\"\nentry = \"amount_ru\"\nemits = \"amount\"\nlang = \"ru\"\npriorty = 1\n",
    );
    assert_refused(
        &rules,
        &loc(&rules, "bad.toml", 6, 1),
        "bad rule file",
        &["priorty"],
    );
}

#[test]
fn unknown_entry_rule_is_located_at_the_entry_value() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    write(
        &rules,
        "bad.toml",
        // line 3: `entry = "no_such_rule"` — the value starts at column 9
        "[[rule]]\nid = \"x.y\"\nentry = \"no_such_rule\"\nemits = \"amount\"\nlang = \"ru\"\n",
    );
    assert_refused(
        &rules,
        &loc(&rules, "bad.toml", 3, 9),
        "unknown name",
        &["no_such_rule"],
    );
}

#[test]
fn pest_syntax_error_is_located_in_the_pest_file() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    // line 2: `broken = { "a" ~ }` — the missing term is at the `}`, column 18
    write(
        &rules,
        "bad.pest",
        "good = { \"a\" }\nbroken = { \"a\" ~ }\n",
    );
    assert_refused(&rules, &loc(&rules, "bad.pest", 2, 18), "bad grammar", &[]);
}

#[test]
fn pest_syntax_error_column_counts_characters() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    // line 2: `broken = { "тонна" ~ }` — the `}` is character 22 (byte 27)
    write(
        &rules,
        "bad.pest",
        "// комментарий\nbroken = { \"тонна\" ~ }\n",
    );
    assert_refused(&rules, &loc(&rules, "bad.pest", 2, 22), "bad grammar", &[]);
}

#[test]
fn undefined_grammar_reference_is_located_in_its_pest_file() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    // Validation errors are found in the combined grammar (defaults first) and must be
    // mapped back: line 3, `bar = { undefined_thing }`, the name at column 9.
    write(
        &rules,
        "bad.pest",
        "// Ёмкость\nfoo = { \"ёмкость\" }\nbar = { undefined_thing }\n",
    );
    assert_refused(
        &rules,
        &loc(&rules, "bad.pest", 3, 9),
        "bad grammar",
        &["undefined_thing"],
    );
}

#[test]
fn example_expecting_unknown_field_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    write(
        &rules,
        "bad.toml",
        // line 10: `expect = { value = 5, colour = "red" }` — the table starts at column 10
        r#"[[rule]]
id = "x.y"
entry = "amount_ru"
emits = "amount"
lang = "ru"
[rule.fields]
value = { number = "amount_value" }
[[rule.example]]
text = "всего 5 тонн"
expect = { value = 5, colour = "red" }
"#,
    );
    assert_refused(
        &rules,
        &loc(&rules, "bad.toml", 10, 10),
        "failing example",
        &["colour", "example"],
    );
}

#[test]
fn failing_example_is_reported_by_nedra_test() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    write(&rules, "gold.pest", GOLD_PEST);
    write(
        &rules,
        "gold.toml",
        // GOLD_TOML has 12 lines; the examples follow:
        // line 13 `[[rule.example]]`, line 14 `text = "..."` (value at column 8), line 15 expect;
        // line 16 `[[rule.example]]`, line 17 a passing example.
        format!(
            "{GOLD_TOML}[[rule.example]]\ntext = \"добыли 120 тыс. тр. унций золота\"\nexpect = {{ value = 12, unit = \"oz\" }}\n[[rule.example]]\ntext = \"добыли 5 тр. унций\"\nexpect = {{ value = 5, unit = \"oz\", text = \"5 тр. унций\" }}\n"
        ),
    );
    assert_eq!(GOLD_TOML.lines().count(), 12);
    // The structure is valid: the folder loads.
    let check = nedra(&["check", "--rules", s(&rules)]);
    assert_eq!(check.code, 0, "{}", check.describe());

    let run = nedra(&["test", "--rules", s(&rules), "--rule", "test.troy"]);
    assert_eq!(run.code, 1, "{}", run.describe());
    let lines: Vec<&str> = run.stdout.lines().collect();
    let fail = format!(
        "FAIL {}: rule `test.troy`, example \"добыли 120 тыс. тр. унций золота\":",
        loc(&rules, "gold.toml", 14, 8)
    );
    let at = lines
        .iter()
        .position(|l| *l == fail)
        .unwrap_or_else(|| panic!("no line {fail:?} in: {}", run.describe()));
    assert_eq!(
        lines.get(at + 1).map(|l| l.trim()),
        Some("value: expected 12, got 120000"),
        "{}",
        run.describe()
    );
    assert!(
        lines[at + 1].starts_with("    "),
        "problem lines are indented"
    );
    assert_eq!(lines.iter().filter(|l| l.starts_with("FAIL ")).count(), 1);
    assert_eq!(
        lines.last(),
        Some(&"1 passed, 1 failed"),
        "{}",
        run.describe()
    );

    // --rule limits the run to that rule: the built-in rules' examples are not counted.
    let all = nedra(&["test", "--rules", s(&rules)]);
    assert_eq!(all.code, 1, "{}", all.describe());
    assert_ne!(all.stdout.lines().last(), Some("1 passed, 1 failed"));
}

#[test]
fn passing_examples_exit_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    write(&rules, "gold.pest", GOLD_PEST);
    write(
        &rules,
        "gold.toml",
        format!(
            "{GOLD_TOML}[[rule.example]]\ntext = \"добыли 120 тыс. тр. унций золота\"\nexpect = {{ value = 120000, unit = \"oz\", kind = \"mass\" }}\n"
        ),
    );
    let run = nedra(&["test", "--rules", s(&rules), "--rule", "test.troy"]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert!(!run.stdout.contains("FAIL"), "{}", run.describe());
    assert_eq!(run.stdout.lines().last(), Some("1 passed, 0 failed"));
}

#[test]
fn grammar_rule_named_like_pest_builtin_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    // line 2, column 1: the rule name
    write(
        &rules,
        "bad.pest",
        "ok_rule = { \"y\" }\nNEWLINE = { \"x\" }\n",
    );
    assert_refused(
        &rules,
        &loc(&rules, "bad.pest", 2, 1),
        "bad grammar",
        &["NEWLINE", "builtin"],
    );
}

#[test]
fn field_capture_not_reachable_from_entry_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    write(
        &rules,
        "bad.toml",
        // line 7: `value = { number = "nope" }` — the field's table starts at column 9
        r#"[[rule]]
id = "x.y"
entry = "amount_ru"
emits = "amount"
lang = "ru"
[rule.fields]
value = { number = "nope" }
"#,
    );
    assert_refused(
        &rules,
        &loc(&rules, "bad.toml", 7, 9),
        "unknown name",
        &["nope", "amount_ru"],
    );
}

#[test]
fn field_capture_existing_but_unreachable_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    // `percentage_value` is a grammar rule, but `amount_ru` never reaches it.
    write(
        &rules,
        "bad.toml",
        "[[rule]]\nid = \"x.y\"\nentry = \"amount_ru\"\nemits = \"amount\"\nlang = \"ru\"\n[rule.fields]\nvalue = { number = \"percentage_value\" }\n",
    );
    assert_refused(
        &rules,
        &loc(&rules, "bad.toml", 7, 9),
        "unknown name",
        &["percentage_value"],
    );
}

// ---- 5. JSONL input ---------------------------------------------------------------------------

#[test]
fn jsonl_file_records_carry_the_ids() {
    let tmp = tempfile::tempdir().unwrap();
    let a = "Правительство выделит 5 млн тенге на ремонт.";
    let b = "Добыча выросла на 14,4% за год.";
    let lines = format!(
        "{}\n{}\n",
        serde_json::json!({"id": "a", "text": a}),
        serde_json::json!({"id": "b", "text": b})
    );
    let input = write(tmp.path(), "docs.jsonl", lines);
    let records = extract_ok(&[s(&input)]);

    let docs: Vec<&str> = of_type(&records, "document")
        .iter()
        .map(|r| str_field(r, "doc"))
        .collect();
    assert_eq!(docs, ["a", "b"]);
    // Every record belongs to a or b, a's records come first, each doc starts with its
    // document record.
    let order: Vec<&str> = records.iter().map(|r| str_field(r, "doc")).collect();
    let first_b = order.iter().position(|d| *d == "b").unwrap();
    assert!(order[..first_b].iter().all(|d| *d == "a"), "{order:?}");
    assert!(order[first_b..].iter().all(|d| *d == "b"), "{order:?}");
    assert_eq!(records[0]["type"], "document");
    assert_eq!(records[first_b]["type"], "document");

    let amount = of_type(&records, "amount");
    assert_eq!(amount.len(), 1, "{records:#?}");
    assert_eq!(amount[0]["doc"], "a");
    assert_number(amount[0], "value", "5000000");
    assert_eq!(amount[0]["unit"], "KZT");
    assert_span_matches(amount[0], a.as_bytes());

    let pct = of_type(&records, "percentage");
    assert_eq!(pct.len(), 1, "{records:#?}");
    assert_eq!(pct[0]["doc"], "b");
    assert_number(pct[0], "value", "14.4");
    assert_span_matches(pct[0], b.as_bytes());
}

// ---- 6. folder input ----------------------------------------------------------------------

#[test]
fn folder_input_is_read_recursively_in_sorted_order() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    // Written out of order on purpose.
    write(&corpus, "c.txt", "Выделят 3 млн тенге.");
    write(&corpus, "a/z/deep.txt", "Рост на 5%.");
    write(&corpus, "b/w.txt", "Добыто 3 тонны.");
    write(&corpus, "a/y.txt", "Добыто 7 тонн.");
    write(&corpus, "b/notes.md", "Добыто 9 тонн.");
    write(&corpus, "b/data.json", "{\"id\":\"x\",\"text\":\"9 тонн\"}");
    write(&corpus, "a/readme", "9 тонн");

    // Given as an absolute path.
    let records = extract_ok(&[s(&corpus)]);
    let docs: Vec<&str> = of_type(&records, "document")
        .iter()
        .map(|r| str_field(r, "doc"))
        .collect();
    let root = s(&corpus);
    let want: Vec<String> = ["a/y.txt", "a/z/deep.txt", "b/w.txt", "c.txt"]
        .iter()
        .map(|n| format!("{root}/{n}"))
        .collect();
    assert_eq!(docs, want);
    assert!(
        records.iter().all(|r| r["value"] != 9),
        "non-.txt files were read: {records:#?}"
    );
    // Records follow their document.
    let amount_docs: Vec<&str> = of_type(&records, "amount")
        .iter()
        .map(|r| str_field(r, "doc"))
        .collect();
    assert_eq!(amount_docs, [&want[0], &want[2], &want[3]]);

    // Given as a relative path: doc names are relative too.
    let run = nedra_in(Some(tmp.path()), &["extract", "corpus"], None);
    assert_eq!(run.code, 0, "{}", run.describe());
    let records = jsonl(&run.stdout);
    let docs: Vec<&str> = of_type(&records, "document")
        .iter()
        .map(|r| str_field(r, "doc"))
        .collect();
    assert_eq!(
        docs,
        [
            "corpus/a/y.txt",
            "corpus/a/z/deep.txt",
            "corpus/b/w.txt",
            "corpus/c.txt"
        ]
    );
}

// ---- 7. a document that is not UTF-8 --------------------------------------------------------

#[test]
fn non_utf8_document_fails_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let good1 = write(
        tmp.path(),
        "good1.txt",
        "Правительство выделит 5 млн тенге.",
    );
    let mut bytes = "Цена 5 тонн ".as_bytes().to_vec(); // 20 bytes
    assert_eq!(bytes.len(), 20);
    bytes.extend_from_slice(b"\xff\xfe and 7 \xd0");
    let bad = write(tmp.path(), "bad.txt", &bytes);
    let good2 = write(tmp.path(), "good2.txt", "Добыча выросла на 14,4% за год.");

    let run = nedra(&["extract", s(&good1), s(&bad), s(&good2)]);
    assert_eq!(run.code, 1, "{}", run.describe());
    let err_lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(err_lines.len(), 1, "{}", run.describe());
    assert!(err_lines[0].contains(s(&bad)), "{}", run.describe());
    assert!(err_lines[0].contains("not UTF-8"), "{}", run.describe());
    assert!(err_lines[0].contains("byte 20"), "{}", run.describe());
    assert!(!run.stderr.contains("good"), "{}", run.describe());

    let records = jsonl(&run.stdout);
    let docs: Vec<&Value> = of_type(&records, "document");
    let names: Vec<&str> = docs.iter().map(|r| str_field(r, "doc")).collect();
    assert_eq!(names, [s(&good1), s(&bad), s(&good2)]);
    let bad_doc = docs[1];
    let error = str_field(bad_doc, "error");
    assert!(
        error.contains("not UTF-8") && error.contains("20"),
        "{bad_doc}"
    );
    assert!(docs[0].get("error").is_none() && docs[2].get("error").is_none());
    // Only the document record for the bad file.
    assert_eq!(records.iter().filter(|r| r["doc"] == s(&bad)).count(), 1);

    let amount = of_type(&records, "amount");
    assert_eq!(amount.len(), 1, "{records:#?}");
    assert_eq!(amount[0]["doc"], s(&good1));
    assert_number(amount[0], "value", "5000000");
    let pct = of_type(&records, "percentage");
    assert_eq!(pct.len(), 1, "{records:#?}");
    assert_eq!(pct[0]["doc"], s(&good2));
    assert_number(pct[0], "value", "14.4");
}

// ---- 8. standard input ----------------------------------------------------------------------

#[test]
fn stdin_plain_text_is_one_document_named_dash() {
    let text = "Общий объем инвестиций оценивался в $1,1 млрд.";
    let run = nedra_stdin(&["extract", "-"], text.as_bytes());
    assert_eq!(run.code, 0, "{}", run.describe());
    let records = jsonl(&run.stdout);
    assert!(records.iter().all(|r| r["doc"] == "-"), "{records:#?}");
    assert_eq!(of_type(&records, "document").len(), 1);
    let amount = of_type(&records, "amount");
    assert_eq!(amount.len(), 1, "{records:#?}");
    assert_eq!(amount[0]["text"], "$1,1 млрд");
    assert_number(amount[0], "value", "1100000000");
    assert_eq!(amount[0]["unit"], "USD");
    assert_eq!(amount[0]["kind"], "money");
    assert_span_matches(amount[0], text.as_bytes());
}

#[test]
fn stdin_jsonl_gives_the_ids() {
    let input = format!(
        "  \n{}\n\n{}\n",
        serde_json::json!({"id": "first", "text": "экспорт зерна достиг 40,4 тыс. тонн"}),
        serde_json::json!({"id": "second", "text": "Рост на 5% за год."})
    );
    let run = nedra_stdin(&["extract", "-"], input.as_bytes());
    assert_eq!(run.code, 0, "{}", run.describe());
    let records = jsonl(&run.stdout);
    let docs: Vec<&str> = of_type(&records, "document")
        .iter()
        .map(|r| str_field(r, "doc"))
        .collect();
    assert_eq!(docs, ["first", "second"]);
    assert!(records.iter().all(|r| r["doc"] != "-"), "{records:#?}");
    let amount = of_type(&records, "amount");
    assert_eq!(amount.len(), 1, "{records:#?}");
    assert_eq!(amount[0]["doc"], "first");
    assert_eq!(amount[0]["text"], "40,4 тыс. тонн");
    assert_number(amount[0], "value", "40400");
    assert_eq!(amount[0]["unit"], "t");
    assert_eq!(amount[0]["kind"], "mass");
    let pct = of_type(&records, "percentage");
    assert_eq!(pct.len(), 1, "{records:#?}");
    assert_eq!(pct[0]["doc"], "second");
}

// ---- 9. output formats ----------------------------------------------------------------------

#[test]
fn json_and_yaml_formats_carry_the_same_records() {
    let tmp = tempfile::tempdir().unwrap();
    let a = write(
        tmp.path(),
        "a.txt",
        "Правительство выделит 5 млн тенге, рост составит 14,4%.",
    );
    let b = write(tmp.path(), "b.txt", "экспорт зерна достиг 40,4 тыс. тонн");

    let records = extract_ok(&[s(&a), s(&b)]);
    assert!(records.len() >= 5, "{records:#?}");
    assert_eq!(of_type(&records, "amount").len(), 2);

    let json = nedra(&["extract", "--format", "json", s(&a), s(&b)]);
    assert_eq!(json.code, 0, "{}", json.describe());
    let array: Value = serde_json::from_str(&json.stdout).expect("--format json is not JSON");
    assert_eq!(array, Value::Array(records.clone()));
    // Key order is the same too.
    assert_eq!(
        serde_json::to_string(&array).unwrap(),
        serde_json::to_string(&records).unwrap()
    );

    let yaml = nedra(&["extract", "--format", "yaml", s(&a), s(&b)]);
    assert_eq!(yaml.code, 0, "{}", yaml.describe());
    assert!(!yaml.stdout.trim().is_empty());
    assert!(yaml.stdout.contains("type: amount"), "{}", yaml.stdout);
    assert_eq!(
        yaml.stdout.lines().filter(|l| l.starts_with("- ")).count(),
        records.len(),
        "{}",
        yaml.stdout
    );
    let parsed: Value = serde_norway::from_str(&yaml.stdout).expect("--format yaml is not YAML");
    let parsed = parsed.as_array().expect("YAML output is not a sequence");
    assert_eq!(parsed.len(), records.len());
    for (y, j) in parsed.iter().zip(&records) {
        let y = y.as_object().unwrap();
        let j = j.as_object().unwrap();
        assert_eq!(y.keys().collect::<Vec<_>>(), j.keys().collect::<Vec<_>>());
        for (k, jv) in j {
            let yv = &y[k];
            if jv.is_number() {
                assert_eq!(yv.as_f64(), jv.as_f64(), "{k}: {yv} vs {jv}");
            } else {
                assert_eq!(yv, jv, "{k}");
            }
        }
    }
}

#[test]
fn json_format_with_only_document_records_is_an_array() {
    let run = nedra_stdin(
        &["extract", "--format", "json", "-"],
        "Ничего интересного.".as_bytes(),
    );
    assert_eq!(run.code, 0, "{}", run.describe());
    let v: Value = serde_json::from_str(&run.stdout).expect("not JSON");
    let arr = v.as_array().expect("not an array");
    assert_eq!(arr.len(), 1);
    assert_eq!(arr[0]["type"], "document");
    assert_eq!(arr[0]["doc"], "-");
}

// ---- 10. byte offsets through normalisation ------------------------------------------------

#[test]
fn offsets_point_into_the_raw_text_through_entities_and_nbsp() {
    // An HTML entity inside the match.
    let text = "Страховщик обещает кешбэк 25&nbsp;процентов на ОСАГО.";
    let run = nedra_stdin(&["extract", "-"], text.as_bytes());
    assert_eq!(run.code, 0, "{}", run.describe());
    let records = jsonl(&run.stdout);
    let pct = of_type(&records, "percentage");
    assert_eq!(pct.len(), 1, "{records:#?}");
    let r = pct[0];
    assert_eq!(r["text"], "25&nbsp;процентов");
    let start = text.find("25&nbsp;").unwrap();
    assert_eq!(offset(r, "start"), start);
    assert_eq!(offset(r, "end"), start + "25&nbsp;процентов".len());
    assert_span_matches(r, text.as_bytes());
    assert_number(r, "value", "25");

    // A raw NBSP (two bytes in UTF-8, one space when normalised) stays in `text`.
    let text = "Акимат выделит 5\u{a0}млн тенге на ремонт школ.";
    let run = nedra_stdin(&["extract", "-"], text.as_bytes());
    assert_eq!(run.code, 0, "{}", run.describe());
    let records = jsonl(&run.stdout);
    let amount = of_type(&records, "amount");
    assert_eq!(amount.len(), 1, "{records:#?}");
    let r = amount[0];
    assert_eq!(r["text"], "5\u{a0}млн тенге");
    let start = text.find("5\u{a0}").unwrap();
    assert_eq!(offset(r, "start"), start);
    assert_eq!(offset(r, "end"), start + "5\u{a0}млн тенге".len());
    assert_span_matches(r, text.as_bytes());
    assert_number(r, "value", "5000000");
    assert_eq!(r["unit"], "KZT");
}

#[test]
fn offsets_survive_case_folding_soft_hyphens_and_entities_before_the_match() {
    // Everything before the match changes length when normalised: entities, NBSP, a soft
    // hyphen, upper case; the match itself is upper case.
    let text = "&laquo;Ёмкий&raquo;\u{a0}рынок\u{ad}: выделят 7 МЛН ТЕНГЕ и ещё 10&#37;.";
    let run = nedra_stdin(&["extract", "-"], text.as_bytes());
    assert_eq!(run.code, 0, "{}", run.describe());
    let records = jsonl(&run.stdout);
    let spans: Vec<&Value> = records
        .iter()
        .filter(|r| r.get("start").is_some())
        .collect();
    assert_eq!(spans.len(), 2, "{records:#?}");
    for r in &spans {
        assert_span_matches(r, text.as_bytes());
    }
    assert_eq!(spans[0]["text"], "7 МЛН ТЕНГЕ");
    assert_number(spans[0], "value", "7000000");
    assert_eq!(spans[1]["text"], "10&#37;");
    assert_number(spans[1], "value", "10");
}

// ---- record layout ---------------------------------------------------------------------------

#[test]
fn record_keys_start_in_the_documented_order() {
    let run = nedra_stdin(&["extract", "-"], "Инвестиции составят $5 млн.".as_bytes());
    assert_eq!(run.code, 0, "{}", run.describe());
    let records = jsonl(&run.stdout);
    let keys = |r: &Value| -> Vec<String> { r.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(keys(&records[0]), ["doc", "type", "rule", "lang"]);
    let amount = of_type(&records, "amount");
    assert_eq!(amount.len(), 1);
    assert_eq!(
        keys(amount[0])[..7],
        ["doc", "type", "rule", "lang", "start", "end", "text"]
    );
}

/// Fields print in the order their record type declares them (src/record.rs): the built-in
/// `[record.amount]` declares kind, value, unit, qualifier, min, max.
#[test]
fn record_fields_follow_the_record_type_declaration_order() {
    let run = nedra_stdin(&["extract", "-"], "Инвестиции составят $5 млн.".as_bytes());
    assert_eq!(run.code, 0, "{}", run.describe());
    let records = jsonl(&run.stdout);
    let amount = of_type(&records, "amount");
    assert_eq!(amount.len(), 1);
    let keys: Vec<&String> = amount[0].as_object().unwrap().keys().skip(7).collect();
    assert_eq!(keys, ["kind", "value", "unit", "qualifier"]);

    // A folder's own record type: declared `unit` before `value`, while the rule lists
    // `value` first and the alphabet would put `unit` last.
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    write(
        &rules,
        "kg.pest",
        "int = @{ ASCII_DIGIT+ }\nkg_value = { int }\nkg_amount = ${ kg_value ~ \" \" ~ \"кг\" ~ !LETTER }\n",
    );
    write(
        &rules,
        "kg.toml",
        r#"[record.weight]
fields = { unit = "string", value = "decimal", added = "string" }

[[rule]]
id = "tiny.kg"
entry = "kg_amount"
emits = "weight"
lang = "ru"
[rule.fields]
value = { number = "kg_value" }
added = { value = "yes" }
unit = { value = "kg" }
"#,
    );
    let run = nedra_stdin(
        &["extract", "--no-default-rules", "--rules", s(&rules), "-"],
        "Отгрузили 7 кг золота.".as_bytes(),
    );
    assert_eq!(run.code, 0, "{}", run.describe());
    let records = jsonl(&run.stdout);
    let weight = of_type(&records, "weight");
    assert_eq!(weight.len(), 1, "{records:#?}");
    let keys: Vec<&String> = weight[0].as_object().unwrap().keys().skip(7).collect();
    assert_eq!(keys, ["unit", "value", "added"]);
}
