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

    /// Converts to an [`IoError`] for a block of a file that starts on line `first_line` at byte
    /// `base_offset` (the line number is computed from the block's bytes).
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

/// Bytes per block when streaming Matrix Market and triplet files (changeable only by tests).
///
/// Two blocks are in memory at a time (one parsed while the next is read), so this bounds the
/// reader's buffers; 4 MiB keeps them small next to the matrix (W3, 159 MB of text: about 13 MB
/// of buffers for a 63 MB CSR matrix) while still giving the threads 1 MiB chunks to share and
/// losing nothing in speed to larger blocks.
static STREAM_BLOCK_BYTES: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(4 << 20);

/// Sets the streaming block size (tests only).
pub(crate) fn set_stream_block_bytes(n: usize) {
    STREAM_BLOCK_BYTES.store(n.max(1), std::sync::atomic::Ordering::Relaxed);
}

/// The streaming block size.
pub(crate) fn stream_block_bytes() -> usize {
    STREAM_BLOCK_BYTES.load(std::sync::atomic::Ordering::Relaxed)
}

/// An open file being streamed in line-aligned blocks.
pub(crate) struct Stream<'a> {
    pub path: &'a Path,
    pub file: &'a std::fs::File,
    pub len: u64,
    pub parallel: bool,
}

/// One line-aligned block of a streamed file, as handed to a merge step.
pub(crate) struct Block<'a> {
    /// File offset of `data[0]`.
    pub offset: u64,
    /// The block's bytes: whole lines (the last one may lack its newline only at the end of
    /// the file).
    pub data: &'a [u8],
    /// Chunk ranges, relative to `data`, in file order.
    pub chunks: &'a [(usize, usize)],
}

impl Stream<'_> {
    /// Reads `[offset, offset + n)` into `buf` (resized to `n`).
    pub(crate) fn read_at(&self, buf: &mut Vec<u8>, offset: u64, n: usize) -> Result<(), IoError> {
        buf.resize(n, 0);
        crate::read_exact_at(self.file, buf, offset).map_err(|e| IoError::io(self.path, e))
    }

    /// Reads the block of whole lines starting at `offset` into `buf`: about `block` bytes cut
    /// after the last newline (more if one line is longer; the rest of the file at its end).
    /// Returns the block's length (`buf` may hold more bytes after it).
    fn read_lines_at(
        &self,
        buf: &mut Vec<u8>,
        offset: u64,
        block: usize,
    ) -> Result<usize, IoError> {
        let remaining = usize::try_from(self.len - offset).unwrap_or(usize::MAX);
        let mut want = block.min(remaining);
        loop {
            self.read_at(buf, offset, want)?;
            if want == remaining {
                return Ok(want);
            }
            if let Some(p) = memchr::memrchr(b'\n', buf) {
                return Ok(p + 1);
            }
            want = want.saturating_mul(4).min(remaining); // a line longer than a block
        }
    }

    /// 1-based number of the line holding byte `offset` of the file (streams the file up to
    /// there: for error messages only).
    pub(crate) fn line_at(&self, offset: u64) -> Result<u64, IoError> {
        let mut buf = Vec::new();
        let (mut pos, mut line) = (0u64, 1u64);
        while pos < offset {
            let n = (offset - pos).min(1 << 20) as usize;
            self.read_at(&mut buf, pos, n)?;
            line += memchr::memchr_iter(b'\n', &buf).count() as u64;
            pos += n as u64;
        }
        Ok(line)
    }

    /// Converts a chunk's parse error in `block` into an [`IoError`] with its file line.
    pub(crate) fn error_in(&self, block: &Block<'_>, e: TextError) -> IoError {
        match self.line_at(block.offset) {
            Ok(first_line) => e.into_io_at(self.path, block.data, first_line, block.offset),
            Err(io) => io,
        }
    }

    /// Streams `[start, len)` of the file in line-aligned blocks, never holding more than two.
    ///
    /// Each block is split into chunks at line breaks; `parse(block, start, end, scratch)` runs on
    /// every chunk (in parallel when `self.parallel`), each with its own reusable `scratch`.
    /// Then `merge` gets the block, the chunks' results and their scratch buffers, in file order.
    /// A pipeline: while block `k` is parsed, another thread hashes it into `hasher`, merges
    /// block `k - 1` and reads block `k + 1` into the buffer that held block `k - 1`.
    pub(crate) fn for_each_block<S, T, P, M>(
        &self,
        start: u64,
        hasher: &mut sha2::Sha256,
        parse: P,
        mut merge: M,
    ) -> Result<(), IoError>
    where
        S: Default + Send,
        T: Send,
        P: Fn(&Block<'_>, usize, usize, &mut S) -> T + Sync,
        M: FnMut(&Block<'_>, Vec<T>, &mut [S]) -> Result<(), IoError> + Send,
    {
        use sha2::Digest;
        /// A block parsed but not merged yet.
        struct Pending<T> {
            offset: u64,
            len: usize,
            chunks: Vec<(usize, usize)>,
            results: Vec<T>,
        }
        let block = stream_block_bytes();
        // Scratch buffers for the block being parsed and for the one being merged.
        let mut pools: [Vec<S>; 2] = [Vec::new(), Vec::new()];
        let (mut cur, mut other) = (Vec::new(), Vec::new());
        let mut offset = start;
        if offset >= self.len {
            return Ok(());
        }
        let mut len = self.read_lines_at(&mut cur, offset, block)?;
        let mut pending: Option<Pending<T>> = None;
        let mut p = 0usize;
        loop {
            let data = &cur[..len];
            let chunks = chunk_ranges(data, 0, self.parallel);
            let (pool_cur, pool_prev) = match &mut pools {
                [a, b] if p == 0 => (a, b),
                [a, b] => (b, a),
            };
            if pool_cur.len() < chunks.len() {
                pool_cur.resize_with(chunks.len(), S::default);
            }
            let next_offset = offset + len as u64;
            let has_next = next_offset < self.len;
            let mut side = || -> Result<usize, IoError> {
                hasher.update(data);
                if let Some(pd) = pending.take() {
                    let b = Block {
                        offset: pd.offset,
                        data: &other[..pd.len],
                        chunks: &pd.chunks,
                    };
                    merge(&b, pd.results, &mut pool_prev[..pd.chunks.len()])?;
                }
                if has_next {
                    self.read_lines_at(&mut other, next_offset, block)
                } else {
                    Ok(0)
                }
            };
            let b = Block {
                offset,
                data,
                chunks: &chunks,
            };
            let pool_here = &mut pool_cur[..chunks.len()];
            let work = |(&(s, e), sc): (&(usize, usize), &mut S)| parse(&b, s, e, sc);
            let (next_len, results) = if self.parallel {
                rayon::join(side, || {
                    use rayon::prelude::*;
                    chunks
                        .par_iter()
                        .zip(pool_here.par_iter_mut())
                        .map(work)
                        .collect()
                })
            } else {
                let results = chunks.iter().zip(pool_here.iter_mut()).map(work).collect();
                (side(), results)
            };
            let next_len = next_len?;
            pending = Some(Pending {
                offset,
                len,
                chunks,
                results,
            });
            if !has_next {
                break;
            }
            std::mem::swap(&mut cur, &mut other);
            offset = next_offset;
            len = next_len;
            p ^= 1;
        }
        // The last block is still in `cur`.
        let pd = pending.take().expect("a block was parsed");
        let b = Block {
            offset: pd.offset,
            data: &cur[..pd.len],
            chunks: &pd.chunks,
        };
        merge(&b, pd.results, &mut pools[p][..pd.chunks.len()])
    }
}

/// Reads the start of a file, at least up to `need(prefix)` succeeding on it: 1 MiB first, then
/// 16 times more each try, up to the whole file. `need` returns `None` while the prefix is too
/// short; at the whole file its answer is final.
pub(crate) fn read_head<T>(
    stream: &Stream<'_>,
    mut need: impl FnMut(&[u8], bool) -> Option<Result<T, IoError>>,
) -> Result<(Vec<u8>, T), IoError> {
    let mut size = (1u64 << 20).min(stream.len);
    let mut head = Vec::new();
    loop {
        stream.read_at(&mut head, 0, size as usize)?;
        let whole = size == stream.len;
        if let Some(r) = need(&head, whole) {
            return r.map(|t| (head, t));
        }
        if whole {
            return Err(IoError::format(
                stream.path,
                "cannot read the file's header",
            ));
        }
        size = size.saturating_mul(16).min(stream.len);
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
