//! `nedra diff` through the built binary: two rule sets over a corpus, records added,
//! removed and changed field by field, with counts per record type.

mod author_support;

use author_support::{TINY_PEST, nedra, s, write};
use std::path::Path;

const OLD: &str = r#"lang = "ru"

[record.weight]
fields = { value = "decimal", unit = "string" }

[record.share]
fields = { value = "decimal" }

[[rule]]
id = "w.kg"
entry = "kg_amount"
emits = "weight"
[rule.fields]
value = { number = "kg_value" }
unit = { value = "kg" }

[[rule]]
id = "w.pct"
entry = "pct_amount"
emits = "share"
[rule.fields]
value = { number = "kg_value" }
"#;

/// `w.kg` now says "kilogram", `w.pct` is gone, `w.t` is new.
const NEW: &str = r#"lang = "ru"

[record.weight]
fields = { value = "decimal", unit = "string" }

[record.share]
fields = { value = "decimal" }

[[rule]]
id = "w.kg"
entry = "kg_amount"
emits = "weight"
[rule.fields]
value = { number = "kg_value" }
unit = { value = "kilogram" }

[[rule]]
id = "w.t"
entry = "t_amount"
emits = "weight"
[rule.fields]
value = { number = "kg_value" }
unit = { value = "t" }
"#;

fn folders(tmp: &Path) -> (String, String) {
    let old = tmp.join("old");
    let new = tmp.join("new");
    for (dir, toml) in [(&old, OLD), (&new, NEW)] {
        write(dir, "tiny.pest", TINY_PEST);
        write(dir, "rules.toml", toml);
    }
    (s(&old).to_string(), s(&new).to_string())
}

#[test]
fn diff_shows_one_added_one_removed_and_one_changed_record() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, new) = folders(tmp.path());
    let doc = write(tmp.path(), "doc.txt", "Груз 7 кг, доля 5%, вагон 3 т.");
    let run = nedra(&[
        "diff",
        "--no-default-rules",
        "--old",
        &old,
        "--new",
        &new,
        s(&doc),
    ]);
    assert_eq!(run.code, 0, "{}", run.describe());
    let expected = format!(
        "{}
  - share 26..28 \"5%\" value=5  [w.pct]
  + weight 41..45 \"3 т\" value=3 unit=\"t\"  [w.t]
  ~ weight 9..15 \"7 кг\"
      unit: \"kg\" -> \"kilogram\"

type               added removed changed unchanged
document               0       0       0         1
share                  0       1       0         0
weight                 1       0       1         0
total                  1       1       1         1
1 of 1 documents changed
",
        s(&doc)
    );
    assert_eq!(run.stdout, expected, "{}", run.describe());

    // --exit-code makes a difference fail, as `git diff --exit-code` does.
    let run = nedra(&[
        "diff",
        "--no-default-rules",
        "--old",
        &old,
        "--new",
        &new,
        "--exit-code",
        s(&doc),
    ]);
    assert_eq!(run.code, 1, "{}", run.describe());
}

#[test]
fn diff_pairs_a_longer_span_as_a_change_not_a_removal_and_an_addition() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, _) = folders(tmp.path());
    // The new side also takes the word before: "около 7 кг".
    let new = tmp.path().join("wider");
    write(
        &new,
        "w.pest",
        &format!("{TINY_PEST}about_kg = ${{ \"около\" ~ \" \" ~ kg_amount }}\n"),
    );
    write(
        &new,
        "w.toml",
        &OLD.replace("entry = \"kg_amount\"", "entry = \"about_kg\""),
    );
    let doc = write(tmp.path(), "doc.txt", "Груз около 7 кг.");
    let run = nedra(&[
        "diff",
        "--no-default-rules",
        "--old",
        &old,
        "--new",
        s(&new),
        s(&doc),
    ]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert!(
        run.stdout.contains(
            "  ~ weight 9..26 \"около 7 кг\"\n      start: 20 -> 9\n      text: \"7 кг\" -> \"около 7 кг\"\n"
        ),
        "{}",
        run.describe()
    );
    assert!(
        run.stdout
            .contains("weight                 0       0       1         0\n"),
        "{}",
        run.describe()
    );
}

#[test]
fn diff_of_equal_rule_sets_reports_no_change() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, _) = folders(tmp.path());
    let corpus = tmp.path().join("corpus");
    write(&corpus, "a.txt", "Груз 7 кг, доля 5%.");
    write(&corpus, "b.txt", "Ничего.");
    let run = nedra(&[
        "diff",
        "--no-default-rules",
        "--old",
        &old,
        "--new",
        &old,
        "--exit-code",
        s(&corpus),
    ]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert!(
        run.stdout.ends_with(
            "total                  0       0       0         4\n0 of 2 documents changed\n"
        ),
        "{}",
        run.describe()
    );
}

#[test]
fn diff_refuses_a_side_that_does_not_load() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, _) = folders(tmp.path());
    let bad = tmp.path().join("bad");
    write(&bad, "bad.toml", "[[rule]]\nid = 5\n");
    let doc = write(tmp.path(), "doc.txt", "7 кг");
    let run = nedra(&[
        "diff",
        "--no-default-rules",
        "--old",
        &old,
        "--new",
        s(&bad),
        s(&doc),
    ]);
    assert_eq!(run.code, 2, "{}", run.describe());
    assert!(
        run.stderr.contains("nedra: the new rules do not load"),
        "{}",
        run.describe()
    );
}

/// The built-in rules of two git revisions: the same revision twice changes nothing.
#[test]
fn diff_takes_built_in_rules_from_git_revisions() {
    let git = std::process::Command::new("git")
        .args(["rev-parse", "--verify", "HEAD"])
        .current_dir(author_support::root())
        .output();
    if !git.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: not in a git work tree with commits");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let doc = write(tmp.path(), "doc.txt", "Компания вложит $5 млн, рост 3%.");
    let run = nedra(&[
        "diff",
        "--old-rev",
        "HEAD",
        "--new-rev",
        "HEAD",
        "--exit-code",
        s(&doc),
    ]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert!(
        run.stdout.ends_with("0 of 1 documents changed\n"),
        "{}",
        run.describe()
    );

    let run = nedra(&["diff", "--old-rev", "no-such-revision", s(&doc)]);
    assert_ne!(run.code, 0, "{}", run.describe());
}
