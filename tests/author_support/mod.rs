//! Helpers shared by integration tests: running the built binary, writing rule folders, the
//! test corpus.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What one run of the binary gave.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Everything, for assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "exit code {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// The lines of stderr that start a diagnostic (`error: …`, `warning: …`).
    pub fn diagnostics(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("error: ") || l.starts_with("warning: "))
            .collect()
    }
}

/// The articles of `tests/corpus/` as (path, text), sorted by path.
pub fn articles() -> Vec<(String, String)> {
    let dir = root().join("tests/corpus");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("tests/corpus")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("UTF-8 article");
            (p.display().to_string(), text)
        })
        .collect();
    out.sort();
    out
}

/// The package root (the working directory of every run).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `nedra ARGS...` in the package root with `stdin`.
pub fn nedra_with(args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nedra"));
    cmd.args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("cannot start nedra");
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(text.as_bytes()).expect("write stdin");
    }
    let out = child.wait_with_output().expect("nedra did not finish");
    Run {
        code: out.status.code().expect("killed by a signal"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// Runs `nedra ARGS...` in the package root.
pub fn nedra(args: &[&str]) -> Run {
    nedra_with(args, None)
}

/// Writes `text` to `dir/name`, creating folders; returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, text).expect("write");
    path
}

/// A path as a `&str`.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// `FILE:LINE:COL` as nedra prints it for `file` in the folder `dir`.
pub fn loc(dir: &Path, file: &str, line: usize, col: usize) -> String {
    format!("{}:{line}:{col}", dir.join(file).display())
}

/// A self-contained grammar for `--no-default-rules` folders: "7 кг", "3 т", "5 %".
pub const TINY_PEST: &str = "\
int = @{ ASCII_DIGIT+ }
kg_value = { int }
kg_amount = ${ kg_value ~ \" \" ~ \"кг\" ~ !LETTER }
t_amount = ${ kg_value ~ \" \" ~ \"т\" ~ !LETTER }
pct_amount = ${ kg_value ~ \" \"? ~ \"%\" }
";
