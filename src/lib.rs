//! nedra: rule-based extraction of amounts, percentages, deposits and agreements from
//! Russian and Kazakh news, with rules and grammars loaded at run time.
//!
//! Data flows one way: raw bytes → [`text`] (normalised text with an offset map, sentences
//! with languages) → [`extract`] (grammar matches, overlap resolution, field building) →
//! [`record::Record`]s. [`rules`] loads and checks the rule set the pipeline runs;
//! [`examples`] runs the examples written in rule files; [`input`] reads documents.
//!
//! The rule author's tools: [`diagnostics`] shows load problems in their source lines,
//! [`lint`] finds warnings, [`explain`] tells why a text gave what it gave, [`diff`] compares
//! two rule sets' records, [`eval`] scores records against a gold file.

pub mod batch;
pub mod bench;
pub mod diagnostics;
pub mod diff;
pub mod error;
pub mod eval;
pub mod examples;
pub mod explain;
pub mod extract;
pub mod input;
pub mod lint;
pub mod output;
pub mod peg;
pub mod record;
pub mod rules;
pub mod suggest;
pub mod text;

pub use error::{DocError, LoadError, LoadErrors, Location};
pub use extract::Extractor;
pub use record::{FieldValue, Record};
pub use rules::{RuleSet, RuleSources};
pub use text::Lang;
