//! Load problems shown the way compilers show them: the `FILE:LINE:COL: kind: message` line
//! (greppable, and what editors jump to), then the source line with the offending token
//! underlined, rendered by `annotate-snippets` (the renderer rustc and cargo use).
//!
//! A [`LoadError`] knows its line and column, not the extent of what is wrong, so the
//! underline covers the token that starts there: a quoted string, a bracketed table or
//! array, or a word.

use crate::error::LoadError;
use crate::rules::source::SourceFile;
use crate::rules::types::offset_of;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use std::ops::Range;

/// Renders one problem (an error, or a warning when its kind is one) with its source line
/// when the file is among `sources`. `color` adds terminal colours.
pub fn render(problem: &LoadError, sources: &[SourceFile], color: bool) -> String {
    let level = if problem.kind.is_warning() {
        Level::WARNING
    } else {
        Level::ERROR
    };
    let title = format!(
        "{}: {}: {}",
        problem.location, problem.kind, problem.message
    );
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let file = sources
        .iter()
        .find(|f| f.name == problem.location.file && !f.text.is_empty());
    let rendered = match file {
        Some(f) => {
            let at = offset_of(&f.text, problem.location.line, problem.location.col);
            let span = token(&f.text, at);
            renderer.render(&[level.primary_title(title).element(
                Snippet::source(f.text.as_str()).annotation(AnnotationKind::Primary.span(span)),
            )])
        }
        None => renderer.render(&[Group::with_title(level.primary_title(title))]),
    };
    rendered.trim_end().to_string()
}

/// The extent of the token that starts at byte `at`, kept to its line.
fn token(text: &str, at: usize) -> Range<usize> {
    let line_end = text[at..].find('\n').map_or(text.len(), |p| at + p);
    let line = &text[at..line_end];
    let Some(first) = line.chars().next() else {
        return at..at;
    };
    let end = match first {
        '"' | '\'' => {
            let mut escaped = false;
            line.char_indices()
                .skip(1)
                .find(|&(_, c)| {
                    let close = c == first && !escaped;
                    escaped = first == '"' && c == '\\' && !escaped;
                    close
                })
                .map_or(line.trim_end().len(), |(i, c)| i + c.len_utf8())
        }
        '{' | '[' => {
            let close = if first == '{' { '}' } else { ']' };
            let mut depth = 0usize;
            let mut quote: Option<char> = None;
            let mut found = None;
            for (i, c) in line.char_indices() {
                match (quote, c) {
                    (Some(q), c) if c == q => quote = None,
                    (Some(_), _) => {}
                    (None, '"' | '\'') => quote = Some(c),
                    (None, c) if c == first => depth += 1,
                    (None, c) if c == close => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            found = Some(i + c.len_utf8());
                            break;
                        }
                    }
                    _ => {}
                }
            }
            found.unwrap_or(line.trim_end().len())
        }
        c if c.is_alphanumeric() || c == '_' => line
            .char_indices()
            .find(|&(_, c)| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .map_or(line.len(), |(i, _)| i),
        c => c.len_utf8(),
    };
    at..at + end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{LoadErrorKind, Location};
    use crate::rules::source::FileKind;

    fn problem(line: usize, col: usize, kind: LoadErrorKind) -> LoadError {
        LoadError::new(
            Location {
                file: "r/x.toml".into(),
                line,
                col,
            },
            kind,
            "something",
        )
    }

    #[test]
    fn underlines_the_token_at_the_location() {
        let files = [SourceFile::new(
            "r/x.toml",
            "[[rule]]\nentry = \"amout_ru\"\nvalue = { number = \"x\" } # c\n",
            FileKind::Rules,
            1,
        )];
        let out = render(&problem(2, 9, LoadErrorKind::Reference), &files, false);
        assert_eq!(
            out,
            "error: r/x.toml:2:9: unknown name: something\n  |\n2 | entry = \"amout_ru\"\n  |         ^^^^^^^^^^"
        );
        let out = render(&problem(3, 9, LoadErrorKind::Untested), &files, false);
        assert!(
            out.starts_with("warning: r/x.toml:3:9: untested rule: something"),
            "{out}"
        );
        assert!(out.ends_with("|         ^^^^^^^^^^^^^^^^"), "{out}");
    }

    #[test]
    fn without_the_file_there_is_only_the_title() {
        let out = render(&problem(1, 1, LoadErrorKind::Io), &[], false);
        assert_eq!(out, "error: r/x.toml:1:1: cannot read: something");
    }
}
