//! Every snippet of `docs/rules.md` is exercised:
//!
//! - a block after `<!-- file: PATH -->` must be the contents of PATH, verbatim;
//! - a block after `<!-- output of: COMMAND -->` must be what COMMAND prints (run by `sh` in
//!   the package root, with the built `nedra` first on `PATH`);
//! - every line of an `sh` block is run the same way and must succeed (lines that need
//!   `../shared` are skipped when it is missing, those that need git outside a work tree);
//! - the names of the building-blocks table are rules of the built-in grammar, and the keys of
//!   each `<!-- keys: STRUCT -->` table are fields of that struct of `src/rules/schema.rs`.
//!
//! Any other code block fails the test: the guide has no unexercised snippet.

mod author_support;

use author_support::root;
use nedra::RuleSet;
use std::path::Path;
use std::process::Command;

struct Block {
    line: usize,
    lang: String,
    annotation: Option<String>,
    text: String,
}

fn guide() -> String {
    std::fs::read_to_string(root().join("docs/rules.md")).expect("docs/rules.md")
}

/// The fenced blocks of a Markdown text, each with the HTML comment just before it.
fn blocks(md: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut lines = md.lines().enumerate();
    let mut annotation: Option<String> = None;
    while let Some((i, l)) = lines.next() {
        if let Some(c) = l.strip_prefix("<!--").and_then(|c| c.strip_suffix("-->")) {
            annotation = Some(c.trim().to_string());
            continue;
        }
        if let Some(lang) = l.strip_prefix("```") {
            let mut text = String::new();
            for (_, inner) in lines.by_ref() {
                if inner == "```" {
                    break;
                }
                text.push_str(inner);
                text.push('\n');
            }
            out.push(Block {
                line: i + 1,
                lang: lang.to_string(),
                annotation: annotation.take(),
                text,
            });
            continue;
        }
        if !l.trim().is_empty() {
            annotation = None;
        }
    }
    out
}

/// Runs a shell command in the package root with the built binary first on `PATH`; the
/// exit status and standard output.
fn sh(command: &str) -> (bool, String, String) {
    let bin = Path::new(env!("CARGO_BIN_EXE_nedra"))
        .parent()
        .expect("binary folder")
        .to_path_buf();
    let path = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .expect("PATH");
    let out = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(root())
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .output()
        .expect("sh runs");
    (
        out.status.success(),
        String::from_utf8(out.stdout).expect("UTF-8"),
        String::from_utf8(out.stderr).expect("UTF-8"),
    )
}

fn shared_present() -> bool {
    root().join("../shared/corpus/dev/gold.jsonl").is_file()
}

#[test]
fn every_snippet_of_the_guide_is_exercised() {
    let md = guide();
    let all = blocks(&md);
    assert!(all.len() >= 8, "found only {} blocks", all.len());
    for b in &all {
        let what = format!("docs/rules.md:{}", b.line);
        match b.annotation.as_deref() {
            Some(a) if a.starts_with("file:") => {
                let path = a["file:".len()..].trim();
                let file = std::fs::read_to_string(root().join(path))
                    .unwrap_or_else(|e| panic!("{what}: cannot read {path}: {e}"));
                assert_eq!(b.text, file, "{what}: the block is not {path} verbatim");
            }
            Some(a) if a.starts_with("output of:") => {
                let command = a["output of:".len()..].trim();
                let (ok, stdout, stderr) = sh(command);
                let expects_failure = command.contains("2>&1") && b.text.contains("error: ");
                assert!(
                    ok || expects_failure,
                    "{what}: `{command}` failed:\n{stderr}"
                );
                assert_eq!(stdout, b.text, "{what}: `{command}` prints something else");
            }
            _ if b.lang == "sh" => {
                for line in b.text.lines().filter(|l| !l.trim().is_empty()) {
                    if line.contains("../shared") && !shared_present() {
                        eprintln!("{what}: skipped (no ../shared): {line}");
                        continue;
                    }
                    if line.contains("-rev ") && !sh("git rev-parse --verify HEAD").0 {
                        eprintln!("{what}: skipped (not a git work tree): {line}");
                        continue;
                    }
                    let (ok, _, stderr) = sh(line);
                    assert!(ok, "{what}: `{line}` failed:\n{stderr}");
                }
            }
            _ => panic!(
                "{what}: a ```{} block that no test exercises (annotate it with <!-- file: … --> or <!-- output of: … -->)",
                b.lang
            ),
        }
    }
}

/// The rows of the Markdown table that follows the line `marker`: their first cells, without
/// backticks.
fn table_after(md: &str, marker: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut lines = md.lines().skip_while(|l| l.trim() != marker).skip(1);
    for l in lines.by_ref() {
        if !l.starts_with('|') {
            break;
        }
        let cell = l.split('|').nth(1).unwrap_or_default().trim();
        if let Some(name) = cell.strip_prefix('`').and_then(|c| c.split('`').next()) {
            names.push(name.to_string());
        }
    }
    names
}

#[test]
fn the_building_blocks_the_guide_names_exist() {
    let md = guide();
    let names = table_after(&md, "<!-- building blocks -->");
    assert!(names.len() >= 8, "{names:?}");
    let rules = RuleSet::load_defaults().expect("default rules load");
    for n in names {
        assert!(
            rules.grammar.has_rule(&n),
            "docs/rules.md names `{n}`, no built-in grammar rule"
        );
    }
}

#[test]
fn the_keys_the_guide_documents_exist() {
    let md = guide();
    let schema = std::fs::read_to_string(root().join("src/rules/schema.rs")).expect("schema.rs");
    let mut tables = 0;
    for line in md.lines() {
        let Some(name) = line
            .strip_prefix("<!-- keys: ")
            .and_then(|l| l.strip_suffix(" -->"))
        else {
            continue;
        };
        tables += 1;
        let body = schema
            .split(&format!("pub struct {name} {{"))
            .nth(1)
            .and_then(|rest| rest.split("\n}\n").next())
            .unwrap_or_else(|| panic!("no struct {name} in schema.rs"));
        let keys = table_after(&md, line.trim());
        assert!(!keys.is_empty(), "empty table for {name}");
        for k in keys {
            assert!(
                body.contains(&format!("pub {k}:")),
                "docs/rules.md documents `{k}`, which {name} does not have"
            );
        }
    }
    assert!(tables >= 6, "found {tables} key tables");
}
