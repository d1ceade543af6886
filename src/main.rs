//! The `nedra` command line: extract records, and the rule author's loop — check, test,
//! explain, diff, eval — all on rules read at run time.

mod allocator;
mod cli;

#[global_allocator]
static ALLOCATOR: allocator::Mimalloc = allocator::Mimalloc;

use anyhow::Result;
use clap::{Parser, Subcommand};
use cli::common::RuleArgs;
use std::path::PathBuf;
use std::process::ExitCode;

/// Rule-based extraction of amounts, percentages, deposits and agreements from Russian and
/// Kazakh news.
#[derive(Parser)]
#[command(name = "nedra", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Extract records from files, folders (recursively, *.txt), JSONL files ({"id","text"}
    /// per line) or `-` (standard input).
    Extract {
        /// Inputs.
        #[arg(required = true)]
        inputs: Vec<String>,
        #[command(flatten)]
        rules: RuleArgs,
        #[command(flatten)]
        args: cli::extract::ExtractArgs,
    },
    /// Measure throughput (MB/s on 1 and all threads, with 10x the rules, against a regex
    /// pass) and peak memory on two corpus sizes built from test articles.
    Bench {
        /// Folder of *.txt articles to build the corpus from.
        #[arg(long, default_value = "tests/corpus")]
        corpus: std::path::PathBuf,
        /// Corpus size for throughput and the first memory reading, in MB.
        #[arg(long, default_value_t = 50)]
        mb: usize,
        /// Corpus size for the second memory reading, in MB.
        #[arg(long, default_value_t = 500)]
        big_mb: usize,
        /// Threads for the all-threads figures; 0 means one per core.
        #[arg(long, short = 'j', default_value_t = 0)]
        jobs: usize,
    },
    /// Load the rule folders and report every problem and warning with file:line:column
    /// and the source line underlined.
    Check {
        #[command(flatten)]
        rules: RuleArgs,
        /// Warnings fail the check too (exit 1).
        #[arg(long)]
        strict: bool,
    },
    /// Run every rule's examples; print each failure as expected-vs-got.
    Test {
        #[command(flatten)]
        rules: RuleArgs,
        /// Only the rules with these ids.
        #[arg(long = "rule", value_name = "ID")]
        only: Vec<String>,
    },
    /// Show, sentence by sentence, which rules were tried where, what matched, which
    /// matches lost an overlap to which and why; with --rule, how far that rule's grammar
    /// got where it did not match.
    Explain {
        /// The text itself, a file holding it, or `-` for standard input.
        input: String,
        /// Explain this rule only, including where it did not match.
        #[arg(long = "rule", value_name = "ID")]
        rule: Option<String>,
        /// Treat every sentence as this language (`ru` or `kk`), as rule examples do.
        #[arg(long)]
        lang: Option<String>,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Run an old and a new rule set over a corpus and print the records added, removed
    /// and changed (field by field), with a count per record type.
    Diff {
        /// Corpus: files, folders, JSONL files or `-`, as for extract.
        #[arg(required = true)]
        corpus: Vec<String>,
        #[command(flatten)]
        sides: cli::diff::Sides,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Precision, recall and F1 per record type against a gold JSONL file, with the
    /// semantics of shared/eval/score_records.py.
    Eval {
        /// The gold file ({"id", "text", "lang", "records"} per line).
        gold: PathBuf,
        /// Score this JSONL output of `nedra extract` instead of extracting.
        #[arg(long, value_name = "FILE")]
        pred: Option<PathBuf>,
        /// Only the gold documents of this language.
        #[arg(long)]
        lang: Option<String>,
        /// Print the scores as JSON.
        #[arg(long)]
        json: bool,
        /// Print this many disagreements (missed, spurious, wrong value) to stderr.
        #[arg(long, value_name = "N", default_value_t = 0)]
        show_errors: usize,
        #[command(flatten)]
        rules: RuleArgs,
    },
}

fn main() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Extract {
            inputs,
            rules,
            args,
        } => cli::extract::run(&inputs, &rules, &args),
        Command::Bench {
            corpus,
            mb,
            big_mb,
            jobs,
        } => cli::bench::run(&corpus, mb, big_mb, jobs),
        Command::Check { rules, strict } => Ok(cli::check::run(&rules, strict)),
        Command::Test { rules, only } => Ok(cli::test::run(&rules, &only)),
        Command::Explain {
            input,
            rule,
            lang,
            rules,
        } => cli::explain::run(&input, rule.as_deref(), lang.as_deref(), &rules),
        Command::Diff {
            corpus,
            sides,
            rules,
        } => cli::diff::run(&corpus, &rules, &sides),
        Command::Eval {
            gold,
            pred,
            lang,
            json,
            show_errors,
            rules,
        } => cli::eval::run(
            &cli::eval::EvalArgs {
                gold: &gold,
                pred: pred.as_deref(),
                lang: lang.as_deref(),
                json,
                show_errors,
            },
            &rules,
        ),
    }
}
