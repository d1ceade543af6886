//! Where rule files come from: the defaults embedded in the binary, and `--rules` folders.
//!
//! A rule folder is untrusted input: every file is read from inside it, and a symlink that
//! leads out of it is refused rather than followed.

use crate::error::{LoadError, LoadErrorKind, Location};
use std::path::{Path, PathBuf};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// The kind of a rule-folder file, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A pest grammar (`.pest`).
    Grammar,
    /// Rules, lexicons or record types (`.toml`).
    Rules,
}

/// One file of a rule set, read into memory.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The name errors use: `<default>/rules/amount/ru.toml` or the path under a `--rules` folder.
    pub name: String,
    /// The contents.
    pub text: String,
    /// Grammar or rules.
    pub kind: FileKind,
    /// 0 for the defaults, then 1, 2, … for each `--rules` folder in order: a later layer
    /// replaces same-named rules and grammar rules of earlier ones.
    pub layer: usize,
}

/// The default rules and grammars compiled into the binary.
pub fn defaults() -> Vec<SourceFile> {
    embedded::EMBEDDED
        .iter()
        .filter_map(|(path, text)| {
            Some(SourceFile {
                name: format!("<default>/{path}"),
                text: (*text).to_string(),
                kind: kind_of(Path::new(path))?,
                layer: 0,
            })
        })
        .collect()
}

fn kind_of(path: &Path) -> Option<FileKind> {
    match path.extension()?.to_str()? {
        "pest" => Some(FileKind::Grammar),
        "toml" => Some(FileKind::Rules),
        _ => None,
    }
}

/// Reads every `.pest` and `.toml` file under `dir` (recursively, in name order).
pub fn from_dir(dir: &Path, layer: usize) -> Result<Vec<SourceFile>, Vec<LoadError>> {
    let display = dir.display().to_string();
    let root = dir.canonicalize().map_err(|e| {
        vec![LoadError::new(
            Location::file_start(&display),
            LoadErrorKind::Io,
            e.to_string(),
        )]
    })?;
    if !root.is_dir() {
        return Err(vec![LoadError::new(
            Location::file_start(&display),
            LoadErrorKind::Io,
            "not a folder",
        )]);
    }
    let mut paths = Vec::new();
    let mut errors = Vec::new();
    walk(&root, dir, &root, &mut paths, &mut errors, 0);
    paths.sort();
    let mut files = Vec::new();
    for (shown, real) in paths {
        let name = shown.display().to_string();
        let Some(kind) = kind_of(&real) else { continue };
        match std::fs::read(&real) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => files.push(SourceFile {
                    name,
                    text,
                    kind,
                    layer,
                }),
                Err(e) => errors.push(LoadError::new(
                    Location::file_start(&name),
                    LoadErrorKind::Io,
                    format!("not UTF-8 at byte {}", e.utf8_error().valid_up_to()),
                )),
            },
            Err(e) => errors.push(LoadError::new(
                Location::file_start(&name),
                LoadErrorKind::Io,
                e.to_string(),
            )),
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

const MAX_DEPTH: usize = 32;

fn walk(
    root: &Path,
    shown_dir: &Path,
    real_dir: &Path,
    out: &mut Vec<(PathBuf, PathBuf)>,
    errors: &mut Vec<LoadError>,
    depth: usize,
) {
    let here = shown_dir.display().to_string();
    if depth > MAX_DEPTH {
        errors.push(LoadError::new(
            Location::file_start(&here),
            LoadErrorKind::Io,
            "folders nested too deep",
        ));
        return;
    }
    let entries = match std::fs::read_dir(real_dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(LoadError::new(
                Location::file_start(&here),
                LoadErrorKind::Io,
                e.to_string(),
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let shown = shown_dir.join(entry.file_name());
        let name = shown.display().to_string();
        let real = match entry.path().canonicalize() {
            Ok(r) => r,
            Err(e) => {
                errors.push(LoadError::new(
                    Location::file_start(&name),
                    LoadErrorKind::Io,
                    e.to_string(),
                ));
                continue;
            }
        };
        if !real.starts_with(root) {
            errors.push(LoadError::new(
                Location::file_start(&name),
                LoadErrorKind::Io,
                "leads outside the rule folder (symlink); refused",
            ));
            continue;
        }
        if real.is_dir() {
            if entry.file_type().is_ok_and(|t| t.is_symlink()) {
                continue; // a link back into the folder would only repeat files
            }
            walk(root, &shown, &real, out, errors, depth + 1);
        } else if real.is_file() && kind_of(&real).is_some() {
            out.push((shown, real));
        }
    }
}
