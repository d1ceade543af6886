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
    /// Where each line of `text` begins, built at the first [`SourceFile::location`]: loading
    /// the rules asks for about 1,700 locations (every rule, example and capture keeps one
    /// for later reports), and counting lines from the file's start for each took a tenth
    /// of the loading.
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

impl SourceFile {
    /// A file named `name` (as errors show it) holding `text`.
    pub fn new(
        name: impl Into<String>,
        text: impl Into<String>,
        kind: FileKind,
        layer: usize,
    ) -> SourceFile {
        SourceFile {
            name: name.into(),
            text: text.into(),
            kind,
            layer,
            line_starts: std::sync::OnceLock::new(),
        }
    }

    /// The location (line and column, 1-based) of byte `offset` of the file; an offset past
    /// the end or inside a character is taken back to the character boundary before it. The
    /// same answer as [`Location::from_offset`], by a binary search of the file's lines.
    pub fn location(&self, offset: usize) -> Location {
        let text = self.text.as_str();
        let offset = offset.min(text.len());
        let offset = (0..=offset)
            .rev()
            .find(|&o| text.is_char_boundary(o))
            .unwrap_or(0);
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(at, _)| at + 1))
                .collect()
        });
        // The last line that begins at or before `offset`; the first begins at 0.
        let line = starts.partition_point(|&start| start <= offset).max(1);
        let col = text[starts[line - 1]..offset].chars().count() + 1;
        Location {
            file: self.name.clone(),
            line,
            col,
        }
    }
}

/// The default rules and grammars compiled into the binary.
pub fn defaults() -> Vec<SourceFile> {
    embedded::EMBEDDED
        .iter()
        .filter_map(|(path, text)| {
            Some(SourceFile::new(
                format!("<default>/{path}"),
                *text,
                kind_of(Path::new(path))?,
                0,
            ))
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
                Ok(text) => files.push(SourceFile::new(name, text, kind, layer)),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The line index gives what counting from the file's start gives, at every offset:
    /// line starts, ends, empty lines, CRLF, characters of several bytes (offsets inside
    /// them go back to their start) and offsets past the end.
    #[test]
    fn locations_by_line_index_are_locations_by_counting() {
        for text in [
            "",
            "\n",
            "a",
            "[[rule]]\nid = \"золото\"\n\n\r\nentry = «x»\n",
            "без перевода строки в конце — ещё 𝟙 символ",
            "\n\nқазақ\n",
        ] {
            let file = SourceFile::new("f.toml", text, FileKind::Rules, 0);
            for offset in 0..=text.len() + 2 {
                assert_eq!(
                    file.location(offset),
                    Location::from_offset("f.toml", text, offset),
                    "offset {offset} of {text:?}"
                );
            }
        }
    }
}
