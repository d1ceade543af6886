//! The map from byte offsets in normalised text back to byte offsets in the raw input.
//!
//! Most of a news article survives normalisation byte for byte in length (lower-casing
//! Cyrillic keeps UTF-8 lengths), so the map stores *runs*: a stretch of text where both
//! sides advance together is one `Copy` run, and every unit whose length changed (an HTML
//! entity, an NBSP that became a space, a deleted soft hyphen) is one `Replace` run. Memory
//! grows with the number of replacements, not with the size of the text.

/// One run of the map: `norm_len` normalised bytes that came from `raw_len` raw bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    norm_start: usize,
    raw_start: usize,
    norm_len: usize,
    raw_len: usize,
    /// `true` when byte `i` of the run maps to raw byte `raw_start + i`.
    linear: bool,
}

/// Maps normalised byte offsets to raw byte offsets, built while normalising.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OffsetMap {
    runs: Vec<Run>,
    norm_len: usize,
    raw_len: usize,
}

impl OffsetMap {
    /// Records that `norm_len` output bytes were produced from `raw_len` input bytes.
    /// `linear` says whether the bytes correspond one to one.
    pub(crate) fn push(&mut self, raw_len: usize, norm_len: usize, linear: bool) {
        let linear = linear && raw_len == norm_len;
        if let Some(last) = self.runs.last_mut()
            && linear
            && last.linear
            && last.norm_start + last.norm_len == self.norm_len
        {
            last.norm_len += norm_len;
            last.raw_len += raw_len;
            self.norm_len += norm_len;
            self.raw_len += raw_len;
            return;
        }
        self.runs.push(Run {
            norm_start: self.norm_len,
            raw_start: self.raw_len,
            norm_len,
            raw_len,
            linear,
        });
        self.norm_len += norm_len;
        self.raw_len += raw_len;
    }

    fn run_containing(&self, norm: usize) -> Option<&Run> {
        // The last run starting at or before `norm` that is not empty on the normalised side.
        let idx = self.runs.partition_point(|r| r.norm_start <= norm);
        self.runs[..idx]
            .iter()
            .rev()
            .find(|r| r.norm_len > 0 && norm < r.norm_start + r.norm_len)
    }

    /// The raw offset where the normalised byte at `norm` came from (start of a span).
    pub fn raw_start(&self, norm: usize) -> usize {
        if norm >= self.norm_len {
            return self.raw_len;
        }
        match self.run_containing(norm) {
            Some(r) if r.linear => r.raw_start + (norm - r.norm_start),
            Some(r) => r.raw_start,
            None => self.raw_len,
        }
    }

    /// The raw offset just past the source of the normalised byte before `norm` (end of a span).
    pub fn raw_end(&self, norm: usize) -> usize {
        if norm == 0 {
            return self.runs.first().map_or(0, |r| r.raw_start);
        }
        match self.run_containing(norm - 1) {
            Some(r) if r.linear => r.raw_start + (norm - r.norm_start),
            Some(r) => r.raw_start + r.raw_len,
            None => self.raw_len,
        }
    }

    /// Length of the raw input the map was built from.
    pub fn raw_len(&self) -> usize {
        self.raw_len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_runs_merge_and_map_through() {
        let mut m = OffsetMap::default();
        m.push(3, 3, true);
        m.push(4, 4, true);
        assert_eq!(m.runs.len(), 1);
        assert_eq!(m.raw_start(5), 5);
        assert_eq!(m.raw_end(7), 7);
    }

    #[test]
    fn replaced_unit_maps_to_its_whole_source() {
        // "a&nbsp;b" -> "a b"
        let mut m = OffsetMap::default();
        m.push(1, 1, true);
        m.push(6, 1, false);
        m.push(1, 1, true);
        assert_eq!(m.raw_start(1), 1);
        assert_eq!(m.raw_end(2), 7);
        assert_eq!(m.raw_start(2), 7);
        assert_eq!(m.raw_end(3), 8);
    }

    #[test]
    fn deleted_unit_is_skipped() {
        // "ab\u{AD}c" -> "abc"
        let mut m = OffsetMap::default();
        m.push(2, 2, true);
        m.push(2, 0, false);
        m.push(1, 1, true);
        assert_eq!(m.raw_start(2), 4);
        assert_eq!(m.raw_end(2), 2);
        assert_eq!(m.raw_end(3), 5);
    }
}
