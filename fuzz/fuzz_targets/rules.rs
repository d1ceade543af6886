//! The rule loader on arbitrary TOML and pest text: it reports problems, it never panics.
//! The input is split at the first NUL byte into a rule file and a grammar file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nedra::rules::source::{FileKind, SourceFile};
use nedra::{Extractor, RuleSet};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (toml, pest) = text.split_once('\0').unwrap_or((text, ""));
    let files = vec![
        SourceFile { name: "fuzz.toml".into(), text: toml.into(), kind: FileKind::Rules, layer: 1 },
        SourceFile { name: "fuzz.pest".into(), text: pest.into(), kind: FileKind::Grammar, layer: 1 },
    ];
    if let Ok(rules) = RuleSet::from_files(files) {
        // A rule set that loads must also run.
        let ex = Extractor::new(rules);
        let _ = ex.extract_bytes("fuzz", "Добыча 5 млн тонн, рост на 3%. ((((a))))".as_bytes());
    }
});
