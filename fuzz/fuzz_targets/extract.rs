//! Extraction on arbitrary bytes with the default rules: never a panic, never an internal
//! error, and every record's span is a UTF-8 slice of the input equal to its text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nedra::{DocError, Extractor, RuleSet, RuleSources};
use std::sync::OnceLock;

fn extractor() -> &'static Extractor {
    static EX: OnceLock<Extractor> = OnceLock::new();
    EX.get_or_init(|| Extractor::new(RuleSet::load(&RuleSources { defaults: true, dirs: vec![] }).expect("default rules")))
}

fuzz_target!(|data: &[u8]| {
    let (records, err) = extractor().extract_bytes("fuzz", data);
    assert!(!matches!(err, Some(DocError::Internal(_))), "internal error: {err:?}");
    assert_eq!(records.iter().filter(|r| r.kind == "document").count(), 1);
    if let Ok(text) = std::str::from_utf8(data) {
        for r in &records {
            if let Some(s) = &r.span {
                assert_eq!(&text[s.start..s.end], s.text);
            }
        }
    }
});
