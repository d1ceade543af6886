//! nedra's compiled matcher gives exactly what pest_vm gives: for every built-in rule, at
//! every word start of every test article, the same match end (or the same failure).

use nedra::RuleSet;
use nedra::peg::{Limits, MatchError, Memo};

#[test]
fn compiled_matcher_agrees_with_pest_vm_on_the_test_corpus() {
    let set = RuleSet::load_defaults().expect("default rules load");
    let program = set.grammar.program();
    let vm = set.grammar.vm();
    let mut compared = 0usize;
    let mut matched = 0usize;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("corpus")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for path in files {
        let raw = std::fs::read_to_string(&path).expect("UTF-8");
        let text = nedra::text::normalize::normalize(&raw).text;
        for line in text.lines() {
            let starts = line
                .char_indices()
                .filter(|&(i, c)| {
                    c.is_alphanumeric()
                        && !line[..i]
                            .chars()
                            .next_back()
                            .is_some_and(char::is_alphanumeric)
                })
                .map(|(i, _)| i);
            for pos in starts {
                let input = &line[pos..];
                for rule in &set.rules {
                    if !rule.first.contains(input.chars().next().unwrap_or(' ')) {
                        continue;
                    }
                    let id = program.rule_id(&rule.entry).expect("entry compiled");
                    let ours = match program.matches(id, input, Limits::default()) {
                        Ok(m) => Some(m.end),
                        Err(MatchError::NoMatch(_)) => None,
                        Err(MatchError::Limit(why)) => panic!("limit {why} on {input:?}"),
                    };
                    let theirs = vm
                        .parse(&rule.entry, input)
                        .ok()
                        .and_then(|pairs| pairs.map(|p| p.as_span().end()).max());
                    assert_eq!(
                        ours,
                        theirs,
                        "rule {} at {:?} in {}",
                        rule.id,
                        &input[..input.len().min(60)],
                        path.display()
                    );
                    compared += 1;
                    matched += usize::from(ours.is_some());
                }
            }
        }
    }
    assert!(
        compared > 10_000 && matched > 50,
        "compared {compared}, matched {matched}"
    );
}

/// Memoised grammar rules (see `nedra::peg::Memo`) change nothing: at every word start of
/// every test article, every rule attempted with one memo shared by the whole line gives
/// the same match, nodes and all, as a fresh attempt on the text from that position.
#[test]
fn memoised_attempts_match_fresh_attempts_on_the_test_corpus() {
    let set = RuleSet::load_defaults().expect("default rules load");
    let program = set.grammar.program();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut compared = 0usize;
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("corpus").flatten().collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let raw = std::fs::read_to_string(entry.path()).expect("UTF-8");
        let text = nedra::text::normalize::normalize(&raw).text;
        for line in text.lines() {
            let mut memo = Memo::default();
            for (pos, _) in line.char_indices() {
                for rule in &set.rules {
                    let id = program.rule_id(&rule.entry).expect("entry compiled");
                    let fresh = program.matches(id, &line[pos..], Limits::default());
                    let shared = program
                        .matches_at(id, line, pos, Limits::default(), &mut memo)
                        .map(|m| {
                            let shift = |p: usize| p - pos;
                            (
                                shift(m.end),
                                m.nodes
                                    .iter()
                                    .map(|&(r, s, e, d)| (r, shift(s), shift(e), d))
                                    .collect::<Vec<_>>(),
                            )
                        });
                    match (fresh, shared) {
                        (Ok(f), Ok(s)) => {
                            assert_eq!((f.end, f.nodes), s, "rule {} at {pos} of {line:?}", rule.id)
                        }
                        (Err(MatchError::NoMatch(_)), Err(MatchError::NoMatch(_))) => {}
                        (f, s) => panic!("rule {} at {pos} of {line:?}: {f:?} vs {s:?}", rule.id),
                    }
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 100_000, "compared {compared}");
}

/// A rule that reaches `SOI` is never shared between attempts that began at different
/// places: `SOI` is where each attempt began.
#[test]
fn rules_that_reach_soi_are_not_memoised() {
    let grammar = r#"
        s = { SOI ~ "x" ~ "x"* }
        t = { s | "z" ~ s }
        u = { s }
    "#;
    let (_, rules) = pest_meta::parse_and_optimize(grammar).expect("grammar parses");
    let program = nedra::peg::compile(&rules, &[]).expect("compiles");
    let id = |n: &str| program.rule_id(n).expect("rule");
    let mut memo = Memo::default();
    let input = "zxx";
    // `t` tries `s` at 1 in an attempt that began at 0, where SOI is not.
    assert!(
        program
            .matches_at(id("t"), input, 0, Limits::default(), &mut memo)
            .is_err()
    );
    // An attempt beginning at 1 has SOI there.
    let m = program
        .matches_at(id("u"), input, 1, Limits::default(), &mut memo)
        .expect("u matches from 1");
    assert_eq!(m.end, 3);
}

/// Skipping by first byte (an alternative, call or repetition that cannot begin with the
/// byte in front of it is not run; after a Cyrillic first byte, by the character) changes
/// no result, on a grammar that has every kind of expression, including ones that match
/// empty, Cyrillic ones whose characters have each of the four first bytes, and runs of a
/// set up to a stop (`adj`, `untilq`: one step in nedra's matcher): compared with pest_vm at
/// every position.
#[test]
fn first_byte_skipping_agrees_with_pest_vm_on_every_kind_of_expression() {
    let grammar = r#"
        word    = @{ LETTER+ }
        num     = @{ ASCII_DIGIT+ ~ ("," ~ ASCII_DIGIT+)? }
        maybe   = { "x"? ~ "y" }
        many    = { "ab"* ~ "c" }
        ins     = { ^"usd" ~ "!" }
        range   = { 'а'..'я' ~ 'a'..'c' }
        look    = { &"q" ~ ANY ~ !"z" ~ ANY }
        choice  = { "tonn" | "t" | num | ^"kg" | maybe }
        empty   = { "" ~ "e" }
        anyc    = { ANY ~ ANY }
        eoi     = { "end" ~ EOI }
        cyr     = { "тонн" | "ұлт" | "қ" | 'р'..'т' ~ "x" | ^"әб" | "ѐ" | "ӿ" }
        cyrword = @{ (LOWERCASE_LETTER | "ё") ~ LETTER* }
        wide    = { 'я'..'ә' ~ ANY }
        top     = { (choice | many | ins | range | look | empty | eoi | cyr | wide | word) ~ (" " ~ top)? }
        wb      = _{ !LETTER }
        adj     = @{ (!(("ского" | "ный") ~ wb) ~ (LETTER | "-"))+ ~ ("ского" | "ный") ~ wb }
        untilq  = @{ (!("q" | "кон") ~ 'a'..'z')* ~ ("q" | "z") }
    "#;
    let (_, rules) = pest_meta::parse_and_optimize(grammar).expect("grammar parses");
    let program = nedra::peg::compile(&rules, &[]).expect("compiles");
    let vm = pest_vm::Vm::new(rules);
    let inputs = [
        "tonn 12,5 xy y ababc c USD! Usd! бa qaz qzz e end",
        "t kg KG 7 abab аc ё€ end",
        "ababab xyz жb q",
        "тонна ұлтқ рx сx тx уx әб ӘБ ёж Ђж ѐ ӿ Ӿ яя ѣѣ әә өө",
        "қазақстан тонн ұ ҚҚ",
        "богутинского верхне-ный ныйный ского скогоx синий-ный abcq abz abкон qz ab",
        "",
    ];
    let names = [
        "word", "num", "maybe", "many", "ins", "range", "look", "choice", "empty", "anyc", "eoi",
        "cyr", "cyrword", "wide", "top", "adj", "untilq",
    ];
    let mut matched = 0;
    for input in inputs {
        for (pos, _) in input.char_indices().chain([(input.len(), ' ')]) {
            let rest = &input[pos..];
            for name in names {
                let id = program.rule_id(name).expect("rule");
                let ours = program
                    .matches(id, rest, Limits::default())
                    .ok()
                    .map(|m| m.end);
                let theirs = vm
                    .parse(name, rest)
                    .ok()
                    .and_then(|pairs| pairs.map(|p| p.as_span().end()).max());
                assert_eq!(ours, theirs, "{name} at {rest:?}");
                matched += usize::from(ours.is_some());
            }
        }
    }
    assert!(matched > 50, "matched {matched}");
}

/// A rule's nodes as pest_vm gives them: (rule, start, end), parents before children.
fn vm_nodes(pairs: pest::iterators::Pairs<'_, &str>, out: &mut Vec<(String, usize, usize)>) {
    for pair in pairs {
        let span = pair.as_span();
        out.push((pair.as_rule().to_string(), span.start(), span.end()));
        vm_nodes(pair.into_inner(), out);
    }
}

/// Bounded repetitions (`x{1,4}`, `x{0,3}`, which pest unrolls into runs of `x?` that the
/// matcher folds into one step) give pest_vm's match end and nodes, with implicit
/// whitespace between the copies and without, for items that can match empty and items
/// that make nodes, and a repetition that ends its rule (so where it stops is the rule's end).
#[test]
fn bounded_repetitions_agree_with_pest_vm() {
    let body = r#"
        item  = { "ab" | "c" }
        maybe = { "m"? }
        rep   = { "q" ~ item{1,4} ~ "d"? ~ ("x"?){0,3} ~ maybe{0,2} ~ "e" }
        quote = ${ "\"" ~ (!("\"" | "\n") ~ ANY){1,6} ~ "\"" }
        tail  = { "t" ~ "x"{0,3} ~ "yz"{0,2} }
        top   = { (rep | quote | tail) ~ (" " ~ top)? }
    "#;
    let inputs = [
        "qabce",
        "qabcabcabe",
        "q ab c ab d x x m e",
        "qcdxxxe",
        "qcxxxxe",
        "qe",
        "\"Казах\" \"abcdefg\" \"\"",
        "q ab  c e qabe",
        "qmme qm m e",
        "t ",
        "tx x  y",
        "t x x x x",
        "tx yz y ",
        "t yzyzy",
    ];
    let mut matched = 0;
    for whitespace in ["", r#"WHITESPACE = _{ " " }"#] {
        let grammar = format!("{body}\n{whitespace}");
        let (_, rules) = pest_meta::parse_and_optimize(&grammar).expect("grammar parses");
        let program = nedra::peg::compile(&rules, &[]).expect("compiles");
        let vm = pest_vm::Vm::new(rules);
        for input in inputs {
            for (pos, _) in input.char_indices() {
                let rest = &input[pos..];
                for name in ["rep", "quote", "tail", "top"] {
                    let id = program.rule_id(name).expect("rule");
                    let ours = program.matches(id, rest, Limits::default()).ok().map(|m| {
                        let nodes: Vec<(String, usize, usize)> = m
                            .nodes
                            .iter()
                            .map(|&(r, s, e, _)| (program.rule_name(r).to_string(), s, e))
                            .collect();
                        (m.end, nodes)
                    });
                    let theirs = vm.parse(name, rest).ok().map(|pairs| {
                        let end = pairs.clone().map(|p| p.as_span().end()).max().unwrap_or(0);
                        let mut nodes = Vec::new();
                        vm_nodes(pairs, &mut nodes);
                        (end, nodes)
                    });
                    assert_eq!(ours, theirs, "{name} at {rest:?} ({whitespace:?})");
                    matched += usize::from(ours.is_some());
                }
            }
        }
    }
    assert!(matched > 20, "matched {matched}");
}
