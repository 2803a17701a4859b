//! Shared helpers for the text formats: chunking at line boundaries, number parsing, field
//! splitting, delimiter detection and error positions.

use std::path::Path;

use crate::IoError;

/// Smallest chunk worth handing to another thread.
const MIN_CHUNK_BYTES: usize = 1 << 20;
/// Chunks per thread (more than one, so that uneven chunks still balance).
const CHUNKS_PER_THREAD: usize = 8;

/// A parse error found inside a chunk: positions are absolute byte offsets into the whole file
/// buffer, converted into a line number only when the error is reported.
#[derive(Debug)]
pub(crate) struct TextError {
    /// Offset of the start of the offending line.
    pub line_start: usize,
    /// 1-based field number, if the error is about one field.
    pub field: Option<u64>,
    /// Offset of the offending text.
    pub offset: usize,
    pub message: String,
}

impl TextError {
    pub(crate) fn new(line_start: usize, field: Option<u64>, offset: usize, msg: String) -> Self {
        TextError {
            line_start,
            field,
            offset,
            message: msg,
        }
    }

    /// Converts to an [`IoError`] with a 1-based line number computed from the file buffer.
    pub(crate) fn into_io(self, path: &Path, data: &[u8]) -> IoError {
        self.into_io_at(path, data, 1, 0)
    }

    /// Like [`TextError::into_io`] for a block of a file that starts on line `first_line` at
    /// byte `base_offset`.
    pub(crate) fn into_io_at(
        self,
        path: &Path,
        data: &[u8],
        first_line: u64,
        base_offset: u64,
    ) -> IoError {
        let line = first_line - 1 + line_number(data, self.line_start);
        // Chunks do not know line numbers: messages may say `{line}` and get it filled in here.
        let message = self.message.replace("{line}", &line.to_string());
        IoError::at_line(
            path,
            line,
            self.field,
            Some(base_offset + self.offset as u64),
            message,
        )
    }
}

/// 1-based line number of the line containing byte `offset`.
pub(crate) fn line_number(data: &[u8], offset: usize) -> u64 {
    let offset = offset.min(data.len());
    1 + memchr::memchr_iter(b'\n', &data[..offset]).count() as u64
}

/// Splits `data[start..]` into ranges that end just after a newline (or at the end), about
/// equally sized. One range when `parallel` is false or the input is small.
pub(crate) fn chunk_ranges(data: &[u8], start: usize, parallel: bool) -> Vec<(usize, usize)> {
    let end = data.len();
    if start >= end {
        return Vec::new();
    }
    let len = end - start;
    let target = if parallel {
        (len / MIN_CHUNK_BYTES).clamp(1, rayon::current_num_threads().max(1) * CHUNKS_PER_THREAD)
    } else {
        1
    };
    let step = len / target;
    let mut ranges = Vec::with_capacity(target);
    let mut s = start;
    for k in 1..target {
        let guess = (start + k * step).max(s);
        if guess >= end {
            break;
        }
        let e = match memchr::memchr(b'\n', &data[guess..]) {
            Some(p) => guess + p + 1,
            None => end,
        };
        if e > s {
            ranges.push((s, e));
            s = e;
        }
        if s >= end {
            break;
        }
    }
    if s < end {
        ranges.push((s, end));
    }
    ranges
}

/// Runs `f` over the chunks, in parallel if asked, and returns the results in chunk order.
pub(crate) fn map_chunks<T, F>(chunks: &[(usize, usize)], parallel: bool, f: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize, usize) -> T + Sync + Send,
{
    if parallel && chunks.len() > 1 {
        use rayon::prelude::*;
        chunks.par_iter().map(|&(s, e)| f(s, e)).collect()
    } else {
        chunks.iter().map(|&(s, e)| f(s, e)).collect()
    }
}

/// The end of the line starting at `pos` (the offset of its `\n`, or `end`).
#[inline]
pub(crate) fn line_end(data: &[u8], pos: usize, end: usize) -> usize {
    match memchr::memchr(b'\n', &data[pos..end]) {
        Some(p) => pos + p,
        None => end,
    }
}

/// Strips one trailing `\r`.
#[inline]
pub(crate) fn strip_cr(line: &[u8]) -> &[u8] {
    match line.last() {
        Some(b'\r') => &line[..line.len() - 1],
        _ => line,
    }
}

#[inline]
pub(crate) fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|&b| b == b' ' || b == b'\t' || b == b'\r')
}

/// Trims spaces, tabs and carriage returns on both sides.
pub(crate) fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t' | b'\r', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t' | b'\r'] = s {
        s = rest;
    }
    s
}

/// Trims, then removes one pair of surrounding double or single quotes.
pub(crate) fn unquote(s: &[u8]) -> &[u8] {
    let s = trim(s);
    if s.len() >= 2
        && ((s[0] == b'"' && s[s.len() - 1] == b'"') || (s[0] == b'\'' && s[s.len() - 1] == b'\''))
    {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// Is this (trimmed, unquoted) cell a missing value: empty, `NA`, `N/A`, `null`, `NaN`?
pub(crate) fn is_missing(s: &[u8]) -> bool {
    s.is_empty()
        || s.eq_ignore_ascii_case(b"na")
        || s.eq_ignore_ascii_case(b"n/a")
        || s.eq_ignore_ascii_case(b"nan")
        || s.eq_ignore_ascii_case(b"null")
}

/// Parses a whole cell as a number: accepts surrounding whitespace and quotes, `inf`, `nan`,
/// and missing values (read as NaN). `None` if it is not a number.
pub(crate) fn parse_cell(s: &[u8]) -> Option<f64> {
    let s = unquote(s);
    if is_missing(s) {
        return Some(f64::NAN);
    }
    fast_float2::parse::<f64, _>(s).ok()
}

/// Parses an unsigned decimal integer at `data[pos..]`; returns the value and the position after
/// it. `None` if there is no digit or the value overflows `u64`.
#[inline]
pub(crate) fn parse_uint(data: &[u8], mut pos: usize) -> Option<(u64, usize)> {
    let start = pos;
    let mut v: u64 = 0;
    while let Some(&b) = data.get(pos) {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        v = v.checked_mul(10)?.checked_add(d as u64)?;
        pos += 1;
    }
    if pos == start {
        None
    } else {
        Some((v, pos))
    }
}

/// Shows a piece of input in an error message: at most 40 characters, lossy UTF-8.
pub(crate) fn show(s: &[u8]) -> String {
    let text = String::from_utf8_lossy(s);
    let mut out: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// How fields are separated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Delim {
    /// One byte (comma, tab, semicolon, ...): two adjacent delimiters make an empty field.
    Byte(u8),
    /// Runs of spaces and tabs; leading and trailing whitespace is ignored.
    Whitespace,
}

impl Delim {
    pub(crate) fn from_option(d: Option<u8>) -> Option<Delim> {
        d.map(|b| {
            if b == b' ' {
                Delim::Whitespace
            } else {
                Delim::Byte(b)
            }
        })
    }
}

/// Splits one line (without its newline) into raw fields (untrimmed for byte delimiters).
pub(crate) fn split_fields(line: &[u8], delim: Delim) -> Vec<&[u8]> {
    let line = strip_cr(line);
    match delim {
        Delim::Byte(d) => line.split(|&b| b == d).collect(),
        Delim::Whitespace => line
            .split(|&b| b == b' ' || b == b'\t')
            .filter(|f| !f.is_empty())
            .collect(),
    }
}

/// Picks the delimiter from sample lines: tab, semicolon or comma if it occurs the same
/// (non-zero) number of times on every sampled line, in that order of preference (semicolon
/// before comma: where both occur, commas are decimal separators); otherwise runs of whitespace.
pub(crate) fn detect_delimiter(lines: &[&[u8]]) -> Delim {
    for cand in [b'\t', b';', b','] {
        let mut counts = lines.iter().map(|l| memchr::memchr_iter(cand, l).count());
        if let Some(first) = counts.next() {
            if first > 0 && counts.all(|c| c == first) {
                return Delim::Byte(cand);
            }
        }
    }
    // A comma or semicolon on every line, even unevenly: ragged rows get a precise error later.
    // (Uneven tabs are taken as whitespace: tabs and spaces mixed for alignment.)
    for cand in [b';', b','] {
        if !lines.is_empty() && lines.iter().all(|l| memchr::memchr(cand, l).is_some()) {
            return Delim::Byte(cand);
        }
    }
    Delim::Whitespace
}

/// The first `max` non-blank lines of `data[start..]` that do not start with `comment`
/// (complete lines only, unless the data ends), with their start offsets.
pub(crate) fn sample_lines(
    data: &[u8],
    start: usize,
    max: usize,
    comment: Option<u8>,
) -> Vec<(usize, &[u8])> {
    let mut out = Vec::new();
    let mut pos = start;
    while pos < data.len() && out.len() < max {
        let e = line_end(data, pos, data.len());
        let line = strip_cr(&data[pos..e]);
        let skip = is_blank(line) || comment.is_some_and(|c| trim(line).first() == Some(&c));
        if !skip {
            out.push((pos, line));
        }
        pos = e + 1;
    }
    out
}

/// Offset just after a UTF-8 byte-order mark, if there is one.
pub(crate) fn skip_bom(data: &[u8]) -> usize {
    if data.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_input_at_line_boundaries() {
        let mut data = Vec::new();
        for i in 0..300_000 {
            data.extend_from_slice(format!("{i},{}\n", i * 2).as_bytes());
        }
        data.extend_from_slice(b"last,line");
        let chunks = chunk_ranges(&data, 0, true);
        assert!(
            chunks.len() > 1,
            "expected several chunks, got {}",
            chunks.len()
        );
        let mut pos = 0;
        for &(s, e) in &chunks {
            assert_eq!(s, pos);
            assert!(e > s);
            if e < data.len() {
                assert_eq!(data[e - 1], b'\n');
            }
            pos = e;
        }
        assert_eq!(pos, data.len());
        assert_eq!(chunk_ranges(&data, 0, false), vec![(0, data.len())]);
        assert!(chunk_ranges(&data, data.len(), true).is_empty());
    }

    #[test]
    fn uint_and_cells() {
        assert_eq!(parse_uint(b"123 4", 0), Some((123, 3)));
        assert_eq!(parse_uint(b"x", 0), None);
        assert_eq!(parse_uint(b"99999999999999999999999", 0), None);
        assert!(parse_cell(b" NA ").unwrap().is_nan());
        assert!(parse_cell(b"").unwrap().is_nan());
        assert_eq!(parse_cell(b"\"1.5\""), Some(1.5));
        assert_eq!(parse_cell(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_cell(b"abc"), None);
        assert_eq!(line_number(b"a\nb\nc", 4), 3);
    }

    #[test]
    fn delimiter_detection() {
        assert_eq!(
            detect_delimiter(&[b"a\tb\tc", b"1\t2\t3"]),
            Delim::Byte(b'\t')
        );
        assert_eq!(detect_delimiter(&[b"1,2", b"3,4"]), Delim::Byte(b','));
        assert_eq!(detect_delimiter(&[b"1;2,5", b"3;4,5"]), Delim::Byte(b';'));
        assert_eq!(detect_delimiter(&[b"a,b", b"1,2,3"]), Delim::Byte(b','));
        assert_eq!(detect_delimiter(&[b"1  2", b" 3 4"]), Delim::Whitespace);
    }
}
