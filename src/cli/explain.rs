//! `nedra explain`: which rules were tried where, what matched and what won, and how far
//! a named rule's grammar got where it did not match.

use super::common::{RuleArgs, load};
use anyhow::{Context, Result};
use nedra::{Extractor, Lang};
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

/// The text to explain: `-` is standard input, an existing file is read, anything else is
/// the text itself.
fn text_of(input: &str) -> Result<String> {
    if input == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading standard input")?;
        return Ok(s);
    }
    let path = Path::new(input);
    if path.is_file() {
        let bytes = std::fs::read(path).with_context(|| format!("reading {input}"))?;
        return String::from_utf8(bytes).with_context(|| format!("{input} is not UTF-8"));
    }
    Ok(input.to_string())
}

/// Runs `explain`: exit 0, 1 for an unknown `--rule` or unreadable input, 2 when the rules
/// do not load.
pub fn run(
    input: &str,
    rule: Option<&str>,
    lang: Option<&str>,
    rules: &RuleArgs,
) -> Result<ExitCode> {
    let lang = match lang {
        None => None,
        Some(l) => match Lang::parse(l) {
            Some(l) => Some(l),
            None => {
                eprintln!("nedra: unknown language `{l}`: use ru or kk");
                return Ok(ExitCode::from(1));
            }
        },
    };
    let text = match text_of(input) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("nedra: {e:#}");
            return Ok(ExitCode::from(1));
        }
    };
    let Some(set) = load(rules) else {
        return Ok(ExitCode::from(2));
    };
    let ex = Extractor::new(set);
    match nedra::explain::explain(&ex, &text, lang, rule) {
        Ok(e) => {
            print!("{e}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("nedra: {e}");
            Ok(ExitCode::from(1))
        }
    }
}
