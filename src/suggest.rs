//! "Did you mean …?": the closest known name to a misspelt one, for load errors.

/// ` (did you mean `NAME`?)` when one of `known` is close to `name`, else an empty string.
pub fn did_you_mean<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    closest(name, known).map_or_else(String::new, |k| format!(" (did you mean `{k}`?)"))
}

/// The known name closest to `name` by edit distance, if it is close enough to be a typo:
/// at most a third of its characters differ.
pub fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    known
        .into_iter()
        .filter(|k| *k != name)
        .map(|k| (distance(name, k), k))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, k)| k)
}

/// Levenshtein distance in characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_only_close_names() {
        let known = ["amount_ru", "amount_kk", "percentage_ru"];
        assert_eq!(closest("amout_ru", known), Some("amount_ru"));
        assert_eq!(closest("deposit", known), None);
        assert_eq!(
            did_you_mean("decimel", ["decimal", "date"]),
            " (did you mean `decimal`?)"
        );
    }
}
