//! Batch extraction through the built binary: many documents in parallel, streamed in input
//! order, every document accounted for; CSV tables that a CSV parser reads back.

use std::process::Command;

fn nedra(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nedra"))
        .args(args)
        .output()
        .expect("run nedra")
}

fn records(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSONL"))
        .collect()
}

#[test]
fn two_thousand_documents_come_back_in_order_whatever_the_jobs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("many.jsonl");
    let texts = [
        "Добыча выросла на 5% до 10 млн тонн.",
        "Жобаға 72 млрд теңгеден астам қаржы бөлінді.",
        "Без чисел.",
        "",
    ];
    let mut lines = String::new();
    for i in 0..2000 {
        let text = texts[i % texts.len()];
        lines.push_str(&serde_json::json!({"id": format!("doc{i:04}"), "text": text}).to_string());
        lines.push('\n');
    }
    std::fs::write(&input, lines).expect("write input");
    let input = input.to_str().expect("UTF-8 path");
    let one = nedra(&["extract", "--jobs", "1", input]);
    let four = nedra(&["extract", "--jobs", "4", "--quiet", input]);
    assert!(one.status.success() && four.status.success());
    assert_eq!(
        one.stdout, four.stdout,
        "--jobs 1 and --jobs 4 give the same bytes"
    );
    let recs = records(&one.stdout);
    let docs: Vec<&str> = recs
        .iter()
        .filter(|r| r["type"] == "document")
        .filter_map(|r| r["doc"].as_str())
        .collect();
    assert_eq!(docs.len(), 2000, "one document record per input");
    let expected: Vec<String> = (0..2000).map(|i| format!("doc{i:04}")).collect();
    assert_eq!(docs, expected, "input order");
    // Every record follows its own document record.
    let mut current = "";
    for r in &recs {
        if r["type"] == "document" {
            current = r["doc"].as_str().unwrap_or_default();
        } else {
            assert_eq!(r["doc"].as_str(), Some(current));
        }
    }
    assert_eq!(recs.iter().filter(|r| r["type"] == "amount").count(), 1000);
    // Unordered output holds the same records, in some order.
    let unordered = nedra(&["extract", "--jobs", "4", "--unordered", input]);
    let mut a: Vec<String> = String::from_utf8_lossy(&one.stdout)
        .lines()
        .map(String::from)
        .collect();
    let mut b: Vec<String> = String::from_utf8_lossy(&unordered.stdout)
        .lines()
        .map(String::from)
        .collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

#[test]
fn csv_tables_round_trip_through_a_csv_parser() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("a.txt");
    std::fs::write(
        &input,
        "Инвестиции превысят $1,1 млрд, добыча — 40,4 тыс. тонн; доля 14,4%.\nНа месторождениях «Сандык» и Зардалек, где запасы меди превышают 400 миллионов тонн.",
    )
    .expect("write");
    let out = dir.path().join("tables");
    let run = nedra(&[
        "extract",
        "--format",
        "csv",
        "--out",
        out.to_str().expect("path"),
        input.to_str().expect("path"),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let read = |name: &str| -> Vec<csv::StringRecord> {
        let mut r = csv::Reader::from_path(out.join(name)).expect("a table per type");
        let head: Vec<String> = r
            .headers()
            .expect("header")
            .iter()
            .take(6)
            .map(String::from)
            .collect();
        assert_eq!(head, ["doc", "rule", "lang", "start", "end", "text"]);
        r.records().map(|x| x.expect("row")).collect()
    };
    let mut amounts = csv::Reader::from_path(out.join("amount.csv")).expect("amount.csv");
    let headers = amounts.headers().expect("header").clone();
    let col = |row: &csv::StringRecord, name: &str| {
        row.get(headers.iter().position(|h| h == name).expect("column"))
            .unwrap_or_default()
            .to_string()
    };
    let rows: Vec<csv::StringRecord> = amounts.records().map(|r| r.expect("row")).collect();
    let usd = rows
        .iter()
        .find(|r| col(r, "unit") == "USD")
        .expect("the dollar amount");
    assert_eq!(col(usd, "value"), "1100000000");
    assert_eq!(col(usd, "qualifier"), "more_than");
    assert_eq!(col(usd, "text"), "$1,1 млрд");
    let t = rows
        .iter()
        .find(|r| col(r, "unit") == "t" && col(r, "value") == "40400")
        .expect("40,4 тыс. тонн");
    assert_eq!(col(t, "kind"), "mass");
    let text = std::fs::read_to_string(&input).expect("read");
    let (s, e): (usize, usize) = (
        col(t, "start").parse().expect("start"),
        col(t, "end").parse().expect("end"),
    );
    assert_eq!(&text[s..e], col(t, "text"), "offsets round-trip");
    assert_eq!(read("percentage.csv").len(), 1);
    let deposits = read("deposit.csv");
    assert_eq!(deposits.len(), 2);
    assert!(
        deposits.iter().any(|d| d.iter().any(|c| c == "copper")),
        "lists become cells"
    );
    assert_eq!(read("document.csv").len(), 1);
}

#[test]
fn types_select_record_types_and_csv_without_a_folder_needs_one_type() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("a.txt");
    std::fs::write(&input, "рост на 5%, выручка $2 млрд").expect("write");
    let p = input.to_str().expect("path");
    let only = nedra(&["extract", "--types", "percentage", p]);
    let recs = records(&only.stdout);
    assert!(!recs.is_empty() && recs.iter().all(|r| r["type"] == "percentage"));
    let csv_out = nedra(&["extract", "--format", "csv", "--types", "amount", p]);
    assert!(csv_out.status.success());
    let mut r = csv::Reader::from_reader(&csv_out.stdout[..]);
    assert_eq!(r.records().count(), 1);
    let refused = nedra(&["extract", "--format", "csv", p]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("one table per record type"));
}

/// A pipe that writes one article and waits for its records before it writes the next (a
/// service calling nedra per article) gets them: standard input is not read to its end
/// first, and a document's records are written and flushed without waiting for the next
/// document. Before, the records of the first article came only once the second was sent.
#[test]
fn a_pipe_gets_each_articles_records_before_it_sends_the_next() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    use std::sync::mpsc;
    use std::time::Duration;

    let mut child = Command::new(env!("CARGO_BIN_EXE_nedra"))
        .args(["extract", "--quiet", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run nedra");
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    // Lines of output, read on a thread so that waiting for one can time out.
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let articles = [
        ("first", "Экспорт угля составил 3 млн тонн.", "3 млн тонн"),
        ("second", "Инвестиции оцениваются в $1,1 млрд.", "$1,1 млрд"),
    ];
    for (id, text, amount) in articles {
        let line = serde_json::json!({ "id": id, "text": text }).to_string();
        writeln!(stdin, "{line}").expect("write an article");
        stdin.flush().expect("flush");
        // The document record and the amount, while the pipe stays open.
        let mut got = Vec::new();
        while got.len() < 2 {
            let line = rx
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("no records for {id} while the pipe is open: {got:?}"));
            got.push(serde_json::from_str::<serde_json::Value>(&line).expect("JSONL"));
        }
        assert!(got.iter().all(|r| r["doc"] == id), "{got:#?}");
        assert_eq!(got[0]["type"], "document");
        assert_eq!(got[1]["type"], "amount");
        assert_eq!(got[1]["text"], amount);
    }
    drop(stdin);
    let status = child.wait().expect("nedra ends");
    assert!(status.success());
    reader.join().expect("reader");
    assert!(rx.try_recv().is_err(), "nothing after the last article");
}
