//! What the subcommands share: the rule-folder arguments, and loading rules with every
//! problem shown in its source line.

use clap::Args;
use nedra::rules::source::SourceFile;
use nedra::{LoadErrors, RuleSet, RuleSources};
use std::io::IsTerminal;
use std::path::PathBuf;

/// `--rules DIR` (repeatable) and `--no-default-rules`.
#[derive(Args, Clone, Debug, Default)]
pub struct RuleArgs {
    /// A rule folder (`.toml` rules and lexicons, `.pest` grammars); repeatable. Its rules
    /// are added to the defaults, or replace those with the same id.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Use only the rule folders given with --rules.
    #[arg(long)]
    pub no_default_rules: bool,
}

impl RuleArgs {
    /// The sources these arguments name.
    pub fn sources(&self) -> RuleSources {
        RuleSources {
            defaults: !self.no_default_rules,
            dirs: self.rules.clone(),
        }
    }
}

/// Whether standard error takes colours: a terminal, and `NO_COLOR` unset.
pub fn color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Prints every problem to standard error, each with its source line, then a count.
pub fn report(errors: &LoadErrors, files: &[SourceFile]) {
    let color = color();
    for e in &errors.0 {
        eprintln!("{}", nedra::diagnostics::render(e, files, color));
    }
    eprintln!("nedra: {} problem(s) in the rules", errors.0.len());
}

/// Runs `f` without the panic message Rust prints by default: loading contains the panics
/// of `pest_meta` on malformed grammars and reports them as load errors.
pub fn quietly<T>(f: impl FnOnce() -> T) -> T {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let out = f();
    std::panic::set_hook(hook);
    out
}

/// Loads rules from files already read, reporting every problem; `None` when they do not
/// load.
pub fn load_files(files: Vec<SourceFile>) -> Option<RuleSet> {
    match quietly(|| RuleSet::from_files(files.clone())) {
        Ok(set) => Some(set),
        Err(errors) => {
            report(&errors, &files);
            None
        }
    }
}

/// Reads and loads the rules `args` name, reporting every problem; `None` when they do not
/// load.
pub fn load(args: &RuleArgs) -> Option<RuleSet> {
    match RuleSet::read(&args.sources()) {
        Ok(files) => load_files(files),
        Err(errors) => {
            report(&errors, &[]);
            None
        }
    }
}
