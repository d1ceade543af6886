//! Reading documents: files, folders (recursively, `*.txt`), JSONL files of
//! `{"id", "text"}` lines, and standard input (plain text or JSONL, told apart by content).
//!
//! Reading is lazy: [`Inputs`] yields one document at a time, so memory stays flat however
//! large the corpus. A document that cannot be read is yielded as a failure, never dropped.

mod jsonl_line;

use crate::error::DocError;
use jsonl_line::parse_line;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// One input document, or the reason it could not be read.
#[derive(Debug)]
pub struct Document {
    /// `doc` of its records: the path as given, or the JSONL `id`.
    pub id: String,
    /// Its bytes, or why there are none.
    pub content: Result<Vec<u8>, DocError>,
}

enum Pending {
    Failed(Document),
    Path(PathBuf, String),
    Stdin,
    Jsonl(Box<dyn BufRead>, String, usize),
}

/// A lazy iterator over the documents named by command-line inputs.
pub struct Inputs {
    queue: VecDeque<Pending>,
}

impl Inputs {
    /// Inputs as given on the command line (`-` is standard input).
    pub fn new(args: &[String]) -> Inputs {
        let queue = args
            .iter()
            .map(|a| {
                if a == "-" {
                    Pending::Stdin
                } else {
                    Pending::Path(PathBuf::from(a), a.clone())
                }
            })
            .collect();
        Inputs { queue }
    }
}

fn is_jsonl(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "jsonl")
}

fn list_dir(
    dir: &Path,
    shown: &str,
    out: &mut Vec<(PathBuf, String)>,
    errors: &mut Vec<Document>,
    depth: usize,
) {
    if depth > 64 {
        errors.push(Document {
            id: shown.to_string(),
            content: Err(DocError::Unreadable("folders nested too deep".into())),
        });
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(Document {
                id: shown.to_string(),
                content: Err(DocError::Unreadable(e.to_string())),
            });
            return;
        }
    };
    let mut items: Vec<_> = entries.flatten().collect();
    items.sort_by_key(|e| e.file_name());
    for e in items {
        let path = e.path();
        let name = format!(
            "{}/{}",
            shown.trim_end_matches('/'),
            e.file_name().to_string_lossy()
        );
        let is_link = e.file_type().is_ok_and(|t| t.is_symlink());
        if path.is_dir() {
            if !is_link {
                list_dir(&path, &name, out, errors, depth + 1);
            }
        } else if path.extension().is_some_and(|x| x == "txt") {
            // A FIFO or device named *.txt would block or never end: in a folder walk only
            // regular files are documents; anything else is reported, not read.
            match std::fs::metadata(&path) {
                Ok(m) if !m.is_file() => errors.push(Document {
                    id: name,
                    content: Err(DocError::Unreadable(
                        "not a regular file (a FIFO, socket or device); skipped".into(),
                    )),
                }),
                _ => out.push((path, name)),
            }
        }
    }
}

/// Reads up to the first byte that is not ASCII whitespace, without taking it: that byte
/// (`None` at the end of the input) and the whitespace before it.
fn first_non_space(reader: &mut impl BufRead) -> std::io::Result<(Option<u8>, Vec<u8>)> {
    let mut leading = Vec::new();
    loop {
        // `read_until`, used for the lines after, retries an interrupted read; so must this.
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok((None, leading));
        }
        let spaces = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let first = buf.get(spaces).copied();
        leading.extend_from_slice(&buf[..spaces]);
        reader.consume(spaces);
        if first.is_some() {
            return Ok((first, leading));
        }
    }
}

impl Iterator for Inputs {
    type Item = Document;

    fn next(&mut self) -> Option<Document> {
        loop {
            match self.queue.pop_front()? {
                Pending::Failed(doc) => return Some(doc),
                Pending::Stdin => {
                    // Only as much is read as tells JSONL from plain text: JSONL is then
                    // read line by line, so a pipe streams and memory stays flat.
                    let unreadable = |e: std::io::Error| Document {
                        id: "-".into(),
                        content: Err(DocError::Unreadable(e.to_string())),
                    };
                    let mut reader = BufReader::new(std::io::stdin());
                    let (first, leading) = match first_non_space(&mut reader) {
                        Ok(found) => found,
                        Err(e) => return Some(unreadable(e)),
                    };
                    if first == Some(b'{') {
                        // Blank lines before the first document still count as lines.
                        let lines = leading.iter().filter(|&&b| b == b'\n').count();
                        self.queue
                            .push_front(Pending::Jsonl(Box::new(reader), "-".into(), lines));
                        continue;
                    }
                    // A plain text is one document, whitespace in front included (offsets
                    // count from the first byte).
                    let mut buf = leading;
                    if let Err(e) = reader.read_to_end(&mut buf) {
                        return Some(unreadable(e));
                    }
                    return Some(Document {
                        id: "-".into(),
                        content: Ok(buf),
                    });
                }
                Pending::Jsonl(mut reader, name, line_no) => {
                    let mut line = Vec::new();
                    match reader.read_until(b'\n', &mut line) {
                        Ok(0) => continue,
                        Ok(_) => {
                            let n = line_no + 1;
                            self.queue
                                .push_front(Pending::Jsonl(reader, name.clone(), n));
                            let fallback = format!("{name}:{n}");
                            // SIMD validation: `String::from_utf8` walks Cyrillic a
                            // character at a time, and was most of the time spent reading.
                            let text = match simdutf8::compat::from_utf8(&line) {
                                Ok(t) => t,
                                Err(e) => {
                                    return Some(Document {
                                        id: fallback,
                                        content: Err(DocError::NotUtf8 {
                                            offset: e.valid_up_to(),
                                        }),
                                    });
                                }
                            };
                            if text.trim().is_empty() {
                                continue;
                            }
                            return Some(parse_line(text.trim_end(), &fallback));
                        }
                        Err(e) => {
                            return Some(Document {
                                id: format!("{name}:{}", line_no + 1),
                                content: Err(DocError::Unreadable(e.to_string())),
                            });
                        }
                    }
                }
                Pending::Path(path, shown) => {
                    if path.is_dir() {
                        let mut files = Vec::new();
                        let mut errors = Vec::new();
                        list_dir(&path, &shown, &mut files, &mut errors, 0);
                        for (p, s) in files.into_iter().rev() {
                            self.queue.push_front(Pending::Path(p, s));
                        }
                        for e in errors.into_iter().rev() {
                            self.queue.push_front(Pending::Failed(e));
                        }
                        continue;
                    }
                    if is_jsonl(&path) {
                        match std::fs::File::open(&path) {
                            Ok(f) => {
                                self.queue.push_front(Pending::Jsonl(
                                    Box::new(BufReader::new(f)),
                                    shown,
                                    0,
                                ));
                                continue;
                            }
                            Err(e) => {
                                return Some(Document {
                                    id: shown,
                                    content: Err(DocError::Unreadable(e.to_string())),
                                });
                            }
                        }
                    }
                    let content =
                        std::fs::read(&path).map_err(|e| DocError::Unreadable(e.to_string()));
                    return Some(Document { id: shown, content });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::ErrorKind;

    /// Gives its bytes a few at a time, with an interrupted read before each piece.
    struct Interrupting {
        bytes: Vec<u8>,
        at: usize,
        interrupt: bool,
    }

    impl Read for Interrupting {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            self.interrupt = !self.interrupt;
            if self.interrupt {
                return Err(std::io::Error::from(ErrorKind::Interrupted));
            }
            let n = out.len().min(2).min(self.bytes.len() - self.at);
            out[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    #[test]
    fn an_interrupted_read_is_retried_while_looking_for_the_first_byte() {
        let source = Interrupting {
            bytes: b" \n  {\"id\":1}".to_vec(),
            at: 0,
            interrupt: false,
        };
        let mut reader = BufReader::with_capacity(2, source);
        let (first, leading) = first_non_space(&mut reader).expect("interruptions are retried");
        assert_eq!(first, Some(b'{'));
        assert_eq!(leading, b" \n  ");
        let mut rest = String::new();
        reader.read_line(&mut rest).expect("rest of the line");
        assert_eq!(rest, "{\"id\":1}");
    }
}
