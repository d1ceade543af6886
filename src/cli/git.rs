//! The built-in rules as they were at a git revision, for `nedra diff --old-rev`.

use anyhow::{Context, Result, bail};
use nedra::rules::source::{FileKind, SourceFile};
use std::process::Command;

fn git(args: &[&str]) -> Result<Vec<u8>> {
    let out = Command::new("git")
        .args(args)
        .output()
        .context("running git (is it installed?)")?;
    if !out.status.success() {
        bail!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(out.stdout)
}

/// The `.pest` and `.toml` files under `grammars/` and `rules/` of the repository holding
/// the current folder, as they are at `rev`; named `REV:PATH`.
pub fn rule_files(rev: &str) -> Result<Vec<SourceFile>> {
    let top = String::from_utf8(git(&["rev-parse", "--show-toplevel"])?)
        .context("git printed a path that is not UTF-8")?;
    let top = top.trim();
    let listing = git(&[
        "-C",
        top,
        "ls-tree",
        "-r",
        "-z",
        "--name-only",
        rev,
        "--",
        "grammars",
        "rules",
    ])?;
    let mut files = Vec::new();
    for path in listing.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        let path = String::from_utf8(path.to_vec()).context("a file name is not UTF-8")?;
        let kind = if path.ends_with(".pest") {
            FileKind::Grammar
        } else if path.ends_with(".toml") {
            FileKind::Rules
        } else {
            continue;
        };
        let text = String::from_utf8(git(&["-C", top, "show", &format!("{rev}:{path}")])?)
            .with_context(|| format!("{rev}:{path} is not UTF-8"))?;
        files.push(SourceFile::new(format!("{rev}:{path}"), text, kind, 0));
    }
    if files.is_empty() {
        bail!("no grammars/ or rules/ files at revision {rev}");
    }
    Ok(files)
}
