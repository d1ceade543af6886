//! Error types of the library: what went wrong, and where.
//!
//! Load errors always carry a [`Location`] (file, line, column) because the person who reads
//! them is editing a rule file; document errors name the document and, where it helps, the
//! byte offset in it.

use std::fmt;

/// A place in a rule or grammar file, 1-based like an editor shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The file as the user named it (or `<default>/…` for the built-in rules).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub col: usize,
}

impl Location {
    /// The location of byte offset `offset` in `text`, the contents of `file`.
    pub fn from_offset(file: &str, text: &str, offset: usize) -> Location {
        let offset = offset.min(text.len());
        let offset = (0..=offset)
            .rev()
            .find(|&o| text.is_char_boundary(o))
            .unwrap_or(0);
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |p| p + 1);
        let col = text[line_start..offset].chars().count() + 1;
        Location {
            file: file.to_string(),
            line,
            col,
        }
    }

    /// The start of `file`, for problems that belong to a whole file.
    pub fn file_start(file: &str) -> Location {
        Location {
            file: file.to_string(),
            line: 1,
            col: 1,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// One problem found while loading rules, lexicons or grammars.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {kind}: {message}")]
pub struct LoadError {
    /// Where the problem is.
    pub location: Location,
    /// What sort of problem it is.
    pub kind: LoadErrorKind,
    /// A sentence for the rule author.
    pub message: String,
}

/// The sort of a [`LoadError`]; tests and tools match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoadErrorKind {
    /// The file could not be read, or a path left its rule folder.
    Io,
    /// The TOML is not valid TOML, or does not fit the rule file format.
    Toml,
    /// A pest grammar has a syntax or validation error.
    Grammar,
    /// A rule names something that does not exist, or names it wrongly.
    Reference,
    /// A lexicon entry is malformed.
    Lexicon,
    /// A rule's example does not give what it says.
    Example,
    /// A value does not fit the type its record type declares for the field.
    Type,
    /// Warning: a rule has no positive or no negative example.
    Untested,
    /// Warning: a lexicon entry that no rule can ever match or read.
    Unused,
    /// Warning: a rule replaced by a later rule with the same id.
    Shadowed,
}

impl fmt::Display for LoadErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LoadErrorKind::Io => "cannot read",
            LoadErrorKind::Toml => "bad rule file",
            LoadErrorKind::Grammar => "bad grammar",
            LoadErrorKind::Reference => "unknown name",
            LoadErrorKind::Lexicon => "bad lexicon",
            LoadErrorKind::Example => "failing example",
            LoadErrorKind::Type => "type mismatch",
            LoadErrorKind::Untested => "untested rule",
            LoadErrorKind::Unused => "unused lexicon entry",
            LoadErrorKind::Shadowed => "shadowed rule",
        })
    }
}

impl LoadErrorKind {
    /// Whether problems of this kind are warnings: worth fixing, but the rule set still loads.
    pub fn is_warning(self) -> bool {
        matches!(
            self,
            LoadErrorKind::Untested | LoadErrorKind::Unused | LoadErrorKind::Shadowed
        )
    }
}

impl LoadError {
    /// Builds an error at `location`.
    pub fn new(location: Location, kind: LoadErrorKind, message: impl Into<String>) -> LoadError {
        LoadError {
            location,
            kind,
            message: message.into(),
        }
    }
}

/// Every problem found in one load; loading reports them all, not only the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadErrors(pub Vec<LoadError>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// Why one document could not be processed; the rest of the batch goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocError {
    /// The bytes are not UTF-8.
    #[error("not UTF-8: invalid byte sequence at byte {offset}")]
    NotUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// The input could not be read.
    #[error("cannot read: {0}")]
    Unreadable(String),
    /// Extraction hit a bug (a panic inside nedra or pest); reported, never fatal to a batch.
    #[error("internal error while extracting (please report): {0}")]
    Internal(String),
    /// The document is larger than the size limit.
    #[error("too large: {bytes} bytes, the limit is {limit} (see --max-bytes)")]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// Matching reached the document's step budget or the nesting limit.
    #[error("gave up: {0} exceeded (a pathological text or grammar; see --max-steps)")]
    Budget(String),
    /// A line of a JSONL input is not a `{"id", "text"}` object.
    #[error("bad JSONL line: {0}")]
    BadJsonl(String),
}

/// The message of a caught panic (what `panic!` was given), for reporting it as an error.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".to_string())
}
