//! The subcommands of the `nedra` binary, one module each, and what they share.

pub mod bench;
pub mod check;
pub mod common;
pub mod diff;
pub mod eval;
pub mod explain;
pub mod extract;
pub mod git;
pub mod test;
