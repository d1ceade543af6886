//! `nedra eval` through the built binary: precision, recall and F1 per record type, and the
//! same numbers (and the same bytes) as `shared/eval/score_records.py` on the same output.

mod author_support;

use author_support::{nedra, root, s, write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// One gold document: "Выделят 5 млн тенге и 10% акций месторождения «Инкай»." with an
/// amount, a percentage, a deposit and an agreement.
const GOLD: &str = r#"{"id": "d1", "lang": "ru", "text": "Выделят 5 млн тенге и 10% акций месторождения «Инкай».", "records": [{"type": "amount", "start": 8, "end": 19, "text": "5 млн тенге", "kind": "money", "value": 5000000, "unit": "KZT", "qualifier": "exact"}, {"type": "percentage", "start": 22, "end": 25, "text": "10%", "value": 10, "unit": "%"}, {"type": "deposit", "name": "Инкай", "minerals": ["uranium"]}, {"type": "agreement", "kind": "signed", "parties": ["KZ", "FR"]}]}
"#;

/// Byte offsets: "5 млн тенге" is 15..34, "10%" 38..41. The amount is right, the
/// percentage has the wrong value, the deposit name matches, the agreement is missed and an
/// extra amount is spurious (its end, byte 5, falls inside "д": it can match nothing).
const PRED: &str = r#"{"doc":"d1","type":"document","rule":"document","lang":"ru"}
{"doc":"d1","type":"amount","start":15,"end":34,"text":"5 млн тенге","kind":"money","value":5000000,"unit":"KZT"}
{"doc":"d1","type":"percentage","start":38,"end":41,"text":"10%","value":11,"unit":"%"}
{"doc":"d1","type":"amount","start":0,"end":5,"text":"Выд","kind":"money","value":1,"unit":"KZT"}
{"doc":"d1","type":"deposit","name":"«Инкай»","minerals":["uranium"]}
"#;

#[test]
fn eval_scores_nedra_output_against_gold() {
    let tmp = tempfile::tempdir().unwrap();
    let gold = write(tmp.path(), "gold.jsonl", GOLD);
    let pred = write(tmp.path(), "pred.jsonl", PRED);
    let run = nedra(&["eval", s(&gold), "--pred", s(&pred)]);
    assert_eq!(run.code, 0, "{}", run.describe());
    assert_eq!(
        run.stdout,
        "what                                  P      R     F1   tp/pred/gold
amount span                       0.500  1.000  0.667   1/2/1
amount exact_span                 0.500  1.000  0.667   1/2/1
amount correct                    0.500  1.000  0.667   1/2/1
percentage span                   1.000  1.000  1.000   1/1/1
percentage exact_span             1.000  1.000  1.000   1/1/1
percentage correct                0.000  0.000  0.000   0/1/1
deposit name                      1.000  1.000  1.000   1/1/1  minerals ok 1
agreement parties                 0.000  0.000  0.000   0/0/1  kind ok 0
"
    );
    let run = nedra(&[
        "eval",
        s(&gold),
        "--pred",
        s(&pred),
        "--json",
        "--show-errors",
        "10",
    ]);
    assert!(
        run.stdout.starts_with(r#"{"amount": {"span": {"p": 0.5, "r": 1.0, "f1": 0.6667, "tp": 1, "pred": 2, "gold": 1}"#),
        "{}",
        run.describe()
    );
    assert_eq!(
        run.stderr,
        "d1 | amount | spurious | Выд | Выделят 5 млн тенге и 10% акц\n\
         d1 | percentage | wrong value | 10% | gold 10 % \u{20}| pred 11 % \n\
         d1 | agreement | missed | KZ,FR | \n"
    );
}

#[test]
fn eval_refuses_a_malformed_prediction_line() {
    let tmp = tempfile::tempdir().unwrap();
    let gold = write(tmp.path(), "gold.jsonl", GOLD);
    let pred = write(tmp.path(), "pred.jsonl", "{\"doc\":\"d1\"}\n\n{not json\n");
    let run = nedra(&["eval", s(&gold), "--pred", s(&pred)]);
    assert_eq!(run.code, 1, "{}", run.describe());
    assert!(
        run.stderr.contains("line 3: not JSON"),
        "{}",
        run.describe()
    );
}

fn script() -> Option<PathBuf> {
    let path = root().join("../shared/eval/score_records.py");
    let python = Command::new("python3").arg("--version").output();
    (path.is_file() && python.is_ok_and(|o| o.status.success())).then_some(path)
}

/// Runs the Python scorer; (stdout, stderr).
fn python(script: &Path, args: &[&str]) -> (String, String) {
    let out = Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).expect("UTF-8"),
        String::from_utf8(out.stderr).expect("UTF-8"),
    )
}

/// The same table, JSON and error lines as the script, for `pred` against `gold`.
fn assert_agrees(script: &Path, gold: &Path, pred: &Path, extra: &[&str]) {
    for mode in [&[][..], &["--json"][..]] {
        let mut args = vec![s(gold), s(pred)];
        args.extend_from_slice(mode);
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--show-errors", "100000"]);
        let (py_out, py_err) = python(script, &args);
        let mut ours = vec!["eval", s(gold), "--pred", s(pred)];
        ours.extend_from_slice(mode);
        ours.extend_from_slice(extra);
        ours.extend_from_slice(&["--show-errors", "100000"]);
        let run = nedra(&ours);
        assert_eq!(run.code, 0, "{}", run.describe());
        assert_eq!(run.stdout, py_out, "scores differ for {args:?}");
        assert_eq!(run.stderr, py_err, "error lines differ for {args:?}");
    }
}

#[test]
fn eval_agrees_with_score_records_py_on_awkward_predictions() {
    let Some(script) = script() else {
        eprintln!("skipped: python3 or ../shared/eval/score_records.py missing");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let gold = write(
        tmp.path(),
        "gold.jsonl",
        &format!(
            "{GOLD}\n{}\n",
            r#"{"id": "d2", "lang": "kk", "text": "Құны 2,5 млрд теңге, үлесі 51%. Кен орны: Ақтоғай.", "records": [{"type": "amount", "start": 5, "end": 19, "text": "2,5 млрд теңге", "kind": "money", "value": 2500000000, "unit": "KZT"}, {"type": "percentage", "start": 27, "end": 30, "text": "51%", "value": 51}, {"type": "deposit", "name": "Ақтоғай", "minerals": ["copper", "gold"]}, {"type": "deposit", "name": "АҚТОҒАЙ", "minerals": ["copper"]}, {"type": "agreement", "kind": "signed", "parties": ["kz", "China"]}]}"#
        ),
    );
    // Floats and strings for numbers, nested fields, a whole-document line, offsets inside a
    // character, a missing unit, a party list in another order and case.
    let pred = write(
        tmp.path(),
        "pred.jsonl",
        r#"{"doc":"d1","type":"amount","start":15,"end":34,"fields":{"kind":"money","value":5000000.0,"unit":"KZT"}}
{"doc":"d1","type":"percentage","start":39,"end":41,"value":"10.0","unit":"%"}
{"doc":"d1","type":"agreement","kind":"signed","parties":["FR","kz"],"text":"соглашение"}
{"doc":"d2","records":[{"type":"amount","start":9,"end":34,"value":2.5e9,"unit":"KZT","kind":"money"},{"type":"percentage","start":47,"end":50,"value":51},{"type":"deposit","name":"актоғай","minerals":["gold","copper"]},{"type":"agreement","kind":"intent","parties":["China","KZ"]}]}
{"doc":"d3","type":"amount","start":0,"end":1}
{"id":"d1","type":"deposit","name":null}
"#,
    );
    assert_agrees(&script, &gold, &pred, &[]);
    assert_agrees(&script, &gold, &pred, &["--lang", "kk"]);
}

#[test]
fn eval_agrees_with_score_records_py_on_the_dev_gold() {
    let Some(script) = script() else {
        eprintln!("skipped: python3 or ../shared/eval/score_records.py missing");
        return;
    };
    let gold = root().join("../shared/corpus/dev/gold.jsonl");
    if !gold.is_file() {
        eprintln!("skipped: ../shared/corpus/dev/gold.jsonl missing");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let extract = nedra(&["extract", s(&gold)]);
    assert_eq!(extract.code, 0, "{}", extract.describe());
    let pred = write(tmp.path(), "pred.jsonl", &extract.stdout);
    for lang in [&[][..], &["--lang", "ru"][..], &["--lang", "kk"][..]] {
        assert_agrees(&script, &gold, &pred, lang);
    }
    // Extracting in-process scores the same as scoring `nedra extract`'s output.
    let inline = nedra(&["eval", s(&gold), "--json"]);
    assert_eq!(inline.code, 0, "{}", inline.describe());
    assert_eq!(
        inline.stdout,
        python(&script, &[s(&gold), s(&pred), "--json"]).0
    );
}
