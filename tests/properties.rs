//! Properties of extraction on arbitrary input: it never fails internally, and every record
//! points at a UTF-8 slice of the raw input equal to its `text`.

use nedra::{DocError, Extractor, RuleSet};
use proptest::prelude::*;
use std::sync::OnceLock;

fn extractor() -> &'static Extractor {
    static EX: OnceLock<Extractor> = OnceLock::new();
    EX.get_or_init(|| Extractor::new(RuleSet::load_defaults().expect("rules")))
}

fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    let (records, err) = extractor().extract_bytes("p", bytes);
    prop_assert!(
        !matches!(err, Some(DocError::Internal(_))),
        "internal error: {err:?}"
    );
    prop_assert_eq!(records.iter().filter(|r| r.kind == "document").count(), 1);
    if let Ok(text) = std::str::from_utf8(bytes) {
        for r in &records {
            if let Some(s) = &r.span {
                prop_assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
                prop_assert_eq!(&text[s.start..s.end], s.text.as_str());
            }
        }
    }
    Ok(())
}

/// Text made of the pieces that matter to the rules, so cases reach deep into the grammars.
fn newsy() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("5".to_string()),
        Just("40,4".to_string()),
        Just(" ".to_string()),
        Just("\u{a0}".to_string()),
        Just("&nbsp;".to_string()),
        Just("млн".to_string()),
        Just("тыс.".to_string()),
        Just("тонн".to_string()),
        Just("$".to_string()),
        Just("%".to_string()),
        Just("-ға".to_string()),
        Just("мың".to_string()),
        Just("месторождения".to_string()),
        Just("Сандык".to_string()),
        Just("кен орны".to_string()),
        Just("более".to_string()),
        Just("«".to_string()),
        Just("».".to_string()),
        Just("\n".to_string()),
        Just("И\u{0306}".to_string()),
        Just("\u{AD}".to_string()),
        Just("№3".to_string()),
        Just("Ё".to_string()),
        "\\PC{0,3}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings(s in "\\PC{0,200}") {
        check(s.as_bytes())?;
    }

    #[test]
    fn newsy_strings(s in newsy()) {
        check(s.as_bytes())?;
    }

    #[test]
    fn arbitrary_bytes(b in prop::collection::vec(any::<u8>(), 0..300)) {
        check(&b)?;
    }

    #[test]
    fn results_do_not_depend_on_the_number_of_threads(docs in prop::collection::vec(newsy(), 0..12)) {
        let run = |jobs: usize| {
            let input = docs.iter().enumerate().map(|(i, t)| nedra::input::Document {
                id: format!("d{i}"),
                content: Ok(t.as_bytes().to_vec()),
            });
            let mut out = Vec::new();
            let opts = nedra::batch::BatchOptions { jobs, ordered: true, window: 3 };
            nedra::batch::run(extractor(), input, opts, |r| {
                out.push(r.records);
                true
            })
            .expect("pool");
            out
        };
        prop_assert_eq!(run(1), run(3));
    }
}
