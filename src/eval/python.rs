//! The few pieces of Python semantics `score_records.py` relies on, so that `nedra eval`
//! agrees with it number for number: `Decimal(str(v))` equality, `==` and truthiness of
//! JSON-loaded values, `str()`/`repr()` for error lines, `str.casefold()`, the `\s` of
//! `re`, and `json.dumps` separators.

use super::casefold_table::FOLDS;
use serde_json::Value;
use std::cmp::Ordering;
use std::io;
use unicode_normalization::UnicodeNormalization;

/// A number as Python's `Decimal` compares it: sign, significant digits, exponent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dec {
    /// A finite number: `digits × 10^exp`, `digits` without leading or trailing zeros
    /// (empty for zero, which has no sign).
    Finite {
        /// Negative.
        neg: bool,
        /// Significant digits.
        digits: String,
        /// Power of ten of the last digit.
        exp: i64,
    },
    /// ±Infinity.
    Infinite(bool),
    /// Not a number: never equal to anything.
    NaN,
}

impl Dec {
    /// Python's `Decimal(s)` for a string, `None` where it raises `InvalidOperation`.
    pub fn parse(s: &str) -> Option<Dec> {
        let s = s.trim_matches(is_py_space);
        let (neg, body) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let lower = body.to_ascii_lowercase();
        match lower.as_str() {
            "inf" | "infinity" => return Some(Dec::Infinite(neg)),
            "nan" | "snan" => return Some(Dec::NaN),
            _ => {}
        }
        if lower.starts_with("nan") || lower.starts_with("snan") {
            // NaN with a payload, such as `NaN123`.
            let digits = lower.trim_start_matches('s').trim_start_matches("nan");
            return digits
                .chars()
                .all(|c| c.is_ascii_digit())
                .then_some(Dec::NaN);
        }
        let (mantissa, exp) = match lower.find('e') {
            Some(p) => (&lower[..p], Some(&lower[p + 1..])),
            None => (lower.as_str(), None),
        };
        let exp: i64 = match exp {
            None => 0,
            Some(e) => digits_with_underscores(e.strip_prefix(['+', '-']).unwrap_or(e))
                .and_then(|d| d.parse::<i64>().ok())
                .map(|v| if e.starts_with('-') { -v } else { v })?,
        };
        let (int, frac) = match mantissa.split_once('.') {
            Some((i, f)) => (i, f),
            None => (mantissa, ""),
        };
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        let int = if int.is_empty() {
            String::new()
        } else {
            digits_with_underscores(int)?
        };
        let frac = if frac.is_empty() {
            String::new()
        } else {
            digits_with_underscores(frac)?
        };
        let all = format!("{int}{frac}");
        let exp = exp - frac.len() as i64;
        Some(Dec::finite(neg, &all, exp))
    }

    fn finite(neg: bool, digits: &str, exp: i64) -> Dec {
        let lead = digits.trim_start_matches('0');
        let trimmed = lead.trim_end_matches('0');
        if trimmed.is_empty() {
            return Dec::Finite {
                neg: false,
                digits: String::new(),
                exp: 0,
            };
        }
        Dec::Finite {
            neg,
            digits: trimmed.to_string(),
            exp: exp + (lead.len() - trimmed.len()) as i64,
        }
    }

    /// `dec(v)` of the script: `Decimal(str(v)).normalize()` of a JSON-loaded value, `None`
    /// for `None` and for whatever `Decimal` refuses (booleans, lists, objects, words).
    pub fn of_json(v: Option<&Value>) -> Option<Dec> {
        match v? {
            Value::Number(n) => Dec::parse(&py_number_str(n)),
            Value::String(s) => Dec::parse(s),
            _ => None,
        }
    }

    /// Python's `!=` between two results of `dec`.
    pub fn differ(a: &Option<Dec>, b: &Option<Dec>) -> bool {
        match (a, b) {
            (Some(Dec::NaN), _) | (_, Some(Dec::NaN)) => true,
            (a, b) => a != b,
        }
    }
}

/// Digits with single underscores between them, as Python's `Decimal` accepts; the digits.
fn digits_with_underscores(s: &str) -> Option<String> {
    if s.is_empty() || s.starts_with('_') || s.ends_with('_') || s.contains("__") {
        return None;
    }
    let digits: String = s.chars().filter(|&c| c != '_').collect();
    digits.chars().all(|c| c.is_ascii_digit()).then_some(digits)
}

/// Whether a JSON number is an `int` once Python's `json` has loaded it.
pub fn is_int(n: &serde_json::Number) -> bool {
    !n.to_string().contains(['.', 'e', 'E'])
}

/// A JSON integer as Python's `int`, saturated to `i128` (offsets never come near).
pub fn as_int(v: &Value) -> Option<i128> {
    match v {
        Value::Number(n) if is_int(n) => {
            let t = n.to_string();
            Some(t.parse::<i128>().unwrap_or(if t.starts_with('-') {
                i128::MIN
            } else {
                i128::MAX
            }))
        }
        _ => None,
    }
}

/// `str()` of a JSON number as Python loads it: integers as written, floats by `repr`.
fn py_number_str(n: &serde_json::Number) -> String {
    let t = n.to_string();
    if is_int(n) {
        return t.trim_start_matches('+').to_string();
    }
    match t.parse::<f64>() {
        Ok(f) => py_float_repr(f),
        Err(_) => t,
    }
}

/// Python's `repr(float)`: the shortest digits that read back, positional between 1e-4
/// and 1e16, scientific (`1e-05`, `1e+16`) outside.
pub fn py_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let sci = format!("{f:e}"); // shortest digits: "1.3e6", "-2.5e-5"
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..16).contains(&exp) {
        let s = format!("{f}");
        if s.contains('.') { s } else { format!("{s}.0") }
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    }
}

/// Python truthiness of a JSON-loaded value (`None` for a missing key).
pub fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => Dec::parse(&py_number_str(n))
            .is_none_or(|d| !matches!(d, Dec::Finite { ref digits, .. } if digits.is_empty())),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}

fn numeric(v: &Value) -> Option<Option<Dec>> {
    match v {
        Value::Bool(b) => Some(Some(Dec::finite(false, if *b { "1" } else { "0" }, 0))),
        Value::Number(n) => Some(Dec::parse(&py_number_str(n))),
        _ => None,
    }
}

/// Python's `==` between two JSON-loaded values (`None` for a missing key, like `.get`).
pub fn eq(a: Option<&Value>, b: Option<&Value>) -> bool {
    let a = a.filter(|v| !v.is_null());
    let b = b.filter(|v| !v.is_null());
    match (a, b) {
        (None, None) => true,
        (None, _) | (_, None) => false,
        (Some(a), Some(b)) => match (numeric(a), numeric(b)) {
            (Some(x), Some(y)) => !Dec::differ(&x, &y),
            (Some(_), None) | (None, Some(_)) => false,
            (None, None) => match (a, b) {
                (Value::String(x), Value::String(y)) => x == y,
                (Value::Array(x), Value::Array(y)) => {
                    x.len() == y.len() && x.iter().zip(y).all(|(p, q)| eq(Some(p), Some(q)))
                }
                (Value::Object(x), Value::Object(y)) => {
                    x.len() == y.len()
                        && x.iter()
                            .all(|(k, v)| y.get(k).is_some_and(|w| eq(Some(v), Some(w))))
                }
                _ => false,
            },
        },
    }
}

/// `sorted(v or [])` of the script, for a list of names; `None` where Python would raise.
pub fn sorted_items(v: Option<&Value>) -> Option<Vec<Value>> {
    let mut items: Vec<Value> = if !truthy(v) {
        Vec::new()
    } else {
        match v? {
            Value::Array(a) => a.clone(),
            Value::String(s) => s.chars().map(|c| Value::String(c.to_string())).collect(),
            Value::Object(o) => o.keys().map(|k| Value::String(k.clone())).collect(),
            _ => return None,
        }
    };
    let all_str = items.iter().all(Value::is_string);
    if !all_str && items.len() > 1 {
        return None;
    }
    items.sort_by(|a, b| match (a, b) {
        (Value::String(x), Value::String(y)) => x.cmp(y),
        _ => Ordering::Equal,
    });
    Some(items)
}

/// Python's `str()` of a JSON-loaded value.
pub fn str_of(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        other => repr(other),
    }
}

/// Python's `repr()` of a JSON-loaded value.
pub fn repr(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "None".into(),
        Some(Value::Bool(b)) => if *b { "True" } else { "False" }.into(),
        Some(Value::Number(n)) => py_number_str(n),
        Some(Value::String(s)) => {
            if s.contains('\'') && !s.contains('"') {
                format!("\"{}\"", s.replace('\\', "\\\\"))
            } else {
                format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
            }
        }
        Some(Value::Array(a)) => {
            let items: Vec<String> = a.iter().map(|i| repr(Some(i))).collect();
            format!("[{}]", items.join(", "))
        }
        Some(Value::Object(o)) => {
            let items: Vec<String> = o
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}: {}",
                        repr(Some(&Value::String(k.clone()))),
                        repr(Some(v))
                    )
                })
                .collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

/// Whether `re`'s `\s` (and `str.strip()`) takes `c` as space: Rust's whitespace plus the
/// information separators U+001C–U+001F.
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.casefold()`.
pub fn casefold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match FOLDS.binary_search_by(|(k, _)| k.cmp(&c)) {
            Ok(i) => out.push_str(FOLDS[i].1),
            Err(_) => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// `norm_name` of the script: NFC, case-folded, `ё`→`е`, quotes dropped, dashes unified,
/// spaces collapsed and trimmed.
pub fn norm_name(s: &str) -> String {
    let nfc: String = s.nfc().collect();
    let folded = casefold(&nfc).replace('ё', "е");
    let mut out = String::with_capacity(folded.len());
    let mut space = false;
    for c in folded.chars() {
        if matches!(c, '«' | '»' | '"' | '“' | '”' | '„' | '\'' | '`') {
            continue;
        }
        if is_py_space(c) {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(if ('\u{2010}'..='\u{2015}').contains(&c) {
            '-'
        } else {
            c
        });
    }
    out
}

/// A name value as `norm_name(s or "")` sees it (non-text counts as empty).
pub fn name_of(v: Option<&Value>) -> &str {
    v.and_then(Value::as_str).unwrap_or("")
}

/// `norm_party` of the script: two-letter codes upper-cased.
pub fn norm_party(s: &str) -> String {
    if s.chars().count() == 2 {
        norm_name(s).to_uppercase()
    } else {
        norm_name(s)
    }
}

/// Python's `text[a:b]` on characters, with its negative and out-of-range indices.
pub fn char_slice(text: &str, a: i128, b: i128) -> String {
    let n = text.chars().count() as i128;
    let fix = |i: i128| if i < 0 { (n + i).max(0) } else { i.min(n) };
    let (a, b) = (fix(a), fix(b));
    if a >= b {
        return String::new();
    }
    text.chars()
        .skip(a as usize)
        .take((b - a) as usize)
        .collect()
}

/// Writes JSON the way Python's `json.dumps` does by default: `", "` between items and
/// `": "` after keys, on one line.
pub struct PythonFormatter;

impl serde_json::ser::Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decimals_compare_like_python() {
        let d = |s: &str| Dec::parse(s);
        assert_eq!(d("1.30"), d("1.3"));
        assert_eq!(d("1300000"), d("1.3e6"));
        assert_eq!(d("-0"), d("0.000"));
        assert_eq!(d(" 1_000 "), d("1000"));
        assert_eq!(d("abc"), None);
        assert_eq!(d("1__0"), None);
        assert!(Dec::differ(&d("nan"), &d("nan")));
        assert_eq!(Dec::of_json(Some(&json!(1300000.0))), d("1300000"));
        assert_eq!(Dec::of_json(Some(&json!(true))), None);
    }

    #[test]
    fn float_repr_is_pythons() {
        assert_eq!(py_float_repr(1300000.0), "1300000.0");
        assert_eq!(py_float_repr(0.0001), "0.0001");
        assert_eq!(py_float_repr(0.00001), "1e-05");
        assert_eq!(py_float_repr(1e16), "1e+16");
        assert_eq!(py_float_repr(14.4), "14.4");
    }

    #[test]
    fn equality_and_truth_follow_python() {
        assert!(eq(Some(&json!(1)), Some(&json!(1.0))));
        assert!(eq(Some(&json!(true)), Some(&json!(1))));
        assert!(eq(None, Some(&Value::Null)));
        assert!(!eq(Some(&json!("t")), Some(&json!("kg"))));
        assert!(!truthy(Some(&json!(""))));
        assert!(!truthy(Some(&json!(0.0))));
        assert!(truthy(Some(&json!("%"))));
    }

    #[test]
    fn names_normalise_like_the_script() {
        assert_eq!(
            norm_name("  «Верхнее  Кайрактинское» "),
            "верхнее кайрактинское"
        );
        assert_eq!(norm_name("Кутессай\u{2013}II"), "кутессай-ii");
        assert_eq!(norm_name("Ёлкино\u{1f}поле"), "елкино поле");
        assert_eq!(casefold("Straße ΣΑΣ"), "strasse σασ");
        assert_eq!(norm_party("kz"), "KZ");
    }

    #[test]
    fn slices_characters_like_python() {
        assert_eq!(char_slice("абвгд", 1, 3), "бв");
        assert_eq!(char_slice("абвгд", -2, 99), "гд");
        assert_eq!(char_slice("абвгд", 0, -1), "абвг");
    }

    #[test]
    fn json_is_written_with_python_separators() {
        let v = json!({"a": {"p": 0.5, "tp": 1}, "b": [1, 2]});
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut out, PythonFormatter);
        serde::Serialize::serialize(&v, &mut ser).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a": {"p": 0.5, "tp": 1}, "b": [1, 2]}"#
        );
    }
}
