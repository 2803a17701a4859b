//! Matrix Market (`.mtx`) files: `coordinate` (sparse) and `array` (dense) matrices with
//! `real`, `integer` or `pattern` values and `general`, `symmetric` or `skew-symmetric` symmetry.
//!
//! The file is streamed in line-aligned blocks (never held whole); each block is split into
//! chunks at line boundaries, parsed in parallel with a hand-written integer parser and
//! `fast_float2` for values, then appended in file order. General files whose entries are sorted
//! by row then column (the usual case for generated files) go straight into the CSR column and
//! value arrays, the rows only counted: reading needs the matrix plus a few blocks of memory.
//! Other coordinate files keep `u32`/`u32`/`f64` triplets until they are sorted into CSR; array
//! values go straight into the dense matrix.

use std::path::Path;

use faer::Mat;
use lowrank_core::op::{CsrMatrix, SparseBuildError};

use crate::text::{
    line_end, line_number, parse_uint, read_head, show, stream_block_bytes, strip_cr, trim, Stream,
    TextError,
};
use crate::IoError;

/// `coordinate` or `array`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    Coordinate,
    Array,
}

/// The value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    Real,
    Integer,
    Pattern,
}

/// The symmetry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Symmetry {
    General,
    Symmetric,
    SkewSymmetric,
}

/// What the banner and size line say.
#[derive(Clone, Debug)]
pub(crate) struct Header {
    pub layout: Layout,
    pub field: Field,
    pub symmetry: Symmetry,
    pub nrows: usize,
    pub ncols: usize,
    /// Declared stored entries (coordinate) or values (array).
    pub entries: u64,
    /// 1-based line of the size line.
    pub size_line: u64,
    /// Offset of the first body byte.
    pub body_start: usize,
}

/// Parses the banner, comments and size line at the start of `data`.
pub(crate) fn parse_header(path: &Path, data: &[u8]) -> Result<Header, IoError> {
    let first_end = line_end(data, 0, data.len());
    let banner = strip_cr(&data[..first_end]);
    let banner_text = String::from_utf8_lossy(banner);
    let tokens: Vec<String> = banner_text
        .split_whitespace()
        .map(|t| t.to_ascii_lowercase())
        .collect();
    let bad_banner = |msg: String| IoError::at_line(path, 1, None, Some(0), msg);
    if tokens.first().map(String::as_str) != Some("%%matrixmarket") {
        return Err(bad_banner(format!(
            "not a Matrix Market file: the first line must start with '%%MatrixMarket', found '{}'",
            show(banner)
        )));
    }
    if tokens.len() != 5 {
        return Err(bad_banner(format!(
            "malformed banner '{}': expected '%%MatrixMarket matrix <coordinate|array> \
             <real|integer|pattern> <general|symmetric|skew-symmetric>'",
            show(banner)
        )));
    }
    if tokens[1] != "matrix" {
        return Err(IoError::unsupported(
            path,
            format!(
                "Matrix Market object '{}' (only 'matrix' is supported)",
                tokens[1]
            ),
        ));
    }
    let layout = match tokens[2].as_str() {
        "coordinate" => Layout::Coordinate,
        "array" => Layout::Array,
        other => {
            return Err(bad_banner(format!(
                "unknown Matrix Market format '{other}' (expected 'coordinate' or 'array')"
            )))
        }
    };
    let field = match tokens[3].as_str() {
        "real" | "double" => Field::Real,
        "integer" => Field::Integer,
        "pattern" => Field::Pattern,
        "complex" => return Err(IoError::unsupported(
            path,
            "Matrix Market field 'complex': only real, integer and pattern matrices can be read",
        )),
        other => {
            return Err(bad_banner(format!(
                "unknown Matrix Market field '{other}' (expected real, integer or pattern)"
            )))
        }
    };
    let symmetry = match tokens[4].as_str() {
        "general" => Symmetry::General,
        "symmetric" => Symmetry::Symmetric,
        "skew-symmetric" => Symmetry::SkewSymmetric,
        "hermitian" => {
            return Err(IoError::unsupported(
                path,
                "Matrix Market symmetry 'hermitian' (complex matrices are not supported)",
            ))
        }
        other => {
            return Err(bad_banner(format!(
                "unknown Matrix Market symmetry '{other}' (expected general, symmetric or skew-symmetric)"
            )))
        }
    };
    if layout == Layout::Array && field == Field::Pattern {
        return Err(bad_banner(
            "'array pattern' is not a valid Matrix Market type".into(),
        ));
    }
    // Skip comments and blank lines up to the size line.
    let mut pos = first_end + 1;
    loop {
        if pos >= data.len() {
            return Err(IoError::at_line(
                path,
                line_number(data, data.len()),
                None,
                Some(data.len() as u64),
                "the file ends before the size line",
            ));
        }
        let e = line_end(data, pos, data.len());
        let line = trim(&data[pos..e]);
        if line.is_empty() || line[0] == b'%' {
            pos = e + 1;
            continue;
        }
        let size_line = line_number(data, pos);
        let fields: Vec<&[u8]> = line
            .split(|&b| b == b' ' || b == b'\t')
            .filter(|f| !f.is_empty())
            .collect();
        let want = if layout == Layout::Coordinate { 3 } else { 2 };
        let expected = if layout == Layout::Coordinate {
            "rows columns entries"
        } else {
            "rows columns"
        };
        let bad = |msg: String| IoError::at_line(path, size_line, None, Some(pos as u64), msg);
        if fields.len() != want {
            return Err(bad(format!(
                "malformed size line '{}': expected {want} integers ({expected})",
                show(line)
            )));
        }
        let mut nums = [0u64; 3];
        for (k, f) in fields.iter().enumerate() {
            nums[k] = match parse_uint(f, 0) {
                Some((v, end)) if end == f.len() => v,
                _ => {
                    return Err(IoError::at_line(
                        path,
                        size_line,
                        Some(k as u64 + 1),
                        Some(pos as u64),
                        format!(
                            "malformed size line '{}': '{}' is not a non-negative integer \
                             (expected {expected})",
                            show(line),
                            show(f)
                        ),
                    ))
                }
            };
        }
        let nrows = usize::try_from(nums[0]).map_err(|_| bad("too many rows".into()))?;
        let ncols = usize::try_from(nums[1]).map_err(|_| bad("too many columns".into()))?;
        if nrows > u32::MAX as usize || ncols > u32::MAX as usize {
            return Err(IoError::unsupported(
                path,
                format!(
                    "{nrows}x{ncols} matrix: at most {} rows and columns are supported",
                    u32::MAX
                ),
            ));
        }
        if symmetry != Symmetry::General && nrows != ncols {
            return Err(bad(format!(
                "a {:?} matrix must be square, the size line says {nrows}x{ncols}",
                symmetry
            )
            .replace("SkewSymmetric", "skew-symmetric")
            .replace("Symmetric", "symmetric")));
        }
        let entries = match layout {
            Layout::Coordinate => nums[2],
            Layout::Array => {
                let n = nrows as u64;
                match symmetry {
                    Symmetry::General => nums[0]
                        .checked_mul(nums[1])
                        .ok_or_else(|| bad("the matrix is too large".into()))?,
                    Symmetry::Symmetric => n * (n + 1) / 2,
                    Symmetry::SkewSymmetric => n * n.saturating_sub(1) / 2,
                }
            }
        };
        return Ok(Header {
            layout,
            field,
            symmetry,
            nrows,
            ncols,
            entries,
            size_line,
            body_start: (e + 1).min(data.len()),
        });
    }
}

/// What a chunk parse reports: its entries are in its [`CooChunk`].
#[derive(Debug)]
struct ChunkStats {
    /// Entries written.
    n: usize,
    /// Strictly increasing in (row, column) within the chunk.
    sorted: bool,
    first: u64,
    last: u64,
}

/// One chunk's entries (0-based indices), in file order; reused from block to block.
#[derive(Default)]
struct CooChunk {
    rows: Vec<u32>,
    cols: Vec<u32>,
    vals: Vec<f64>,
}

#[inline]
fn skip_blanks(data: &[u8], mut p: usize, end: usize) -> usize {
    while p < end && (data[p] == b' ' || data[p] == b'\t') {
        p += 1;
    }
    p
}

fn token_at(data: &[u8], p: usize, end: usize) -> &[u8] {
    let e = data[p..end]
        .iter()
        .position(|&b| b == b' ' || b == b'\t' || b == b'\n' || b == b'\r')
        .map_or(end, |x| p + x);
    &data[p..e]
}

/// Parses the coordinate entries in `data[start..end]` into `out` (cleared first).
fn parse_coo_chunk(
    data: &[u8],
    start: usize,
    end: usize,
    h: &Header,
    out: &mut CooChunk,
) -> Result<ChunkStats, TextError> {
    out.rows.clear();
    out.cols.clear();
    out.vals.clear();
    let pattern = h.field == Field::Pattern;
    let mut stats = ChunkStats {
        n: 0,
        sorted: true,
        first: 0,
        last: 0,
    };
    let (nrows, ncols) = (h.nrows as u64, h.ncols as u64);
    let mut prev: Option<u64> = None;
    let mut pos = start;
    while pos < end {
        let ls = pos;
        let mut p = skip_blanks(data, pos, end);
        if p >= end {
            break;
        }
        match data[p] {
            b'\n' => {
                pos = p + 1;
                continue;
            }
            b'%' | b'\r' => {
                let e = line_end(data, p, end);
                if data[p] == b'\r' && !trim(&data[p..e]).is_empty() {
                    return Err(TextError::new(ls, None, p, "stray carriage return".into()));
                }
                pos = e + 1;
                continue;
            }
            _ => {}
        }
        let bad_token = |field: u64, p: usize, what: &str| {
            let tok = token_at(data, p, end);
            let msg = if tok.is_empty() {
                format!("expected {what}, found the end of the line")
            } else {
                format!("expected {what}, found '{}'", show(tok))
            };
            TextError::new(ls, Some(field), p, msg)
        };
        // Row index.
        let (r, q) = match parse_uint(data, p) {
            Some((r, q)) if q >= end || matches!(data[q], b' ' | b'\t') => (r, q),
            _ => return Err(bad_token(1, p, "a row index (a positive integer)")),
        };
        if r == 0 || r > nrows {
            return Err(TextError::new(
                ls,
                Some(1),
                p,
                format!("row index {r} is out of range: the header declares {nrows} rows (indices are 1-based)"),
            ));
        }
        p = skip_blanks(data, q, end);
        // Column index.
        let (c, q) = match parse_uint(data, p) {
            Some((c, q)) if q >= end || matches!(data[q], b' ' | b'\t' | b'\n' | b'\r') => (c, q),
            _ => return Err(bad_token(2, p, "a column index (a positive integer)")),
        };
        if c == 0 || c > ncols {
            return Err(TextError::new(
                ls,
                Some(2),
                p,
                format!(
                    "column index {c} is out of range: the header declares {ncols} columns (indices are 1-based)"
                ),
            ));
        }
        p = q;
        let v = if pattern {
            1.0
        } else {
            let vp = skip_blanks(data, p, end);
            if vp == p {
                return Err(bad_token(3, vp, "a value"));
            }
            match fast_float2::parse_partial::<f64, _>(&data[vp..end]) {
                Ok((v, n)) => {
                    p = vp + n;
                    if p < end && !matches!(data[p], b' ' | b'\t' | b'\n' | b'\r') {
                        return Err(bad_token(3, vp, "a number"));
                    }
                    v
                }
                Err(_) => return Err(bad_token(3, vp, "a number")),
            }
        };
        // Rest of the line: only blanks.
        p = skip_blanks(data, p, end);
        if p < end && data[p] == b'\r' {
            p += 1;
        }
        if p < end && data[p] != b'\n' {
            let field = if pattern { 3 } else { 4 };
            let tok = token_at(data, p, end);
            return Err(TextError::new(
                ls,
                Some(field),
                p,
                format!(
                    "unexpected '{}' after the entry (expected 'row column{}' on each line)",
                    show(tok),
                    if pattern { "" } else { " value" }
                ),
            ));
        }
        pos = p + 1;
        let (r0, c0) = ((r - 1) as u32, (c - 1) as u32);
        let key = ((r0 as u64) << 32) | c0 as u64;
        match prev {
            None => stats.first = key,
            Some(pk) => stats.sorted &= key > pk,
        }
        prev = Some(key);
        out.rows.push(r0);
        out.cols.push(c0);
        out.vals.push(v);
        stats.n += 1;
    }
    stats.last = prev.unwrap_or(0);
    Ok(stats)
}

/// Finds the line holding the `n`-th (0-based) entry counted from `data[start..]`, for "too
/// many entries" errors. With `values_per_line`, every value on a line counts (array files).
fn nth_entry_offset(data: &[u8], start: usize, n: u64, values_per_line: bool) -> Option<usize> {
    let mut count = 0u64;
    let mut pos = start;
    while pos < data.len() {
        let e = line_end(data, pos, data.len());
        let line = trim(&data[pos..e]);
        if !line.is_empty() && line[0] != b'%' {
            let k = if values_per_line {
                line.split(|&b| b == b' ' || b == b'\t')
                    .filter(|f| !f.is_empty())
                    .count() as u64
            } else {
                1
            };
            if count + k > n {
                return Some(pos);
            }
            count += k;
        }
        pos = e + 1;
    }
    None
}

/// "header declares N entries, file has M". `extra_at` is the file offset of the line holding
/// the first entry beyond the declared count, if the file has more.
fn count_error(
    stream: &Stream<'_>,
    h: &Header,
    found: u64,
    what: &str,
    extra_at: Option<u64>,
) -> IoError {
    let path = stream.path;
    let declared = h.entries;
    let shape_note = if h.layout == Layout::Array {
        format!(" ({}x{} {:?})", h.nrows, h.ncols, h.symmetry).to_lowercase()
    } else {
        String::new()
    };
    if found > declared {
        let off = extra_at.unwrap_or(stream.len);
        let line = match stream.line_at(off) {
            Ok(line) => line,
            Err(e) => return e,
        };
        IoError::at_line(
            path,
            line,
            None,
            Some(off),
            format!(
                "header (line {}) declares {declared} {what}{shape_note}, file has {found}: \
                 this line holds the first extra one",
                h.size_line
            ),
        )
    } else {
        IoError::at_line(
            path,
            h.size_line,
            None,
            None,
            format!("header declares {declared} {what}{shape_note}, file has {found}"),
        )
    }
}

/// Memory the streaming reader needs besides the matrix: two blocks, plus the parsed entries of
/// two blocks (one is merged while the next is parsed; 16 bytes per coordinate entry, 8 per
/// array value), from the file's average bytes per entry.
pub(crate) fn streaming_bytes(h: &Header, file_len: u64) -> u64 {
    let body = file_len.saturating_sub(h.body_start as u64);
    let block = (stream_block_bytes() as u64).min(body);
    let per_entry = body.checked_div(h.entries).unwrap_or(body).max(2);
    let parsed = if h.layout == Layout::Coordinate {
        16
    } else {
        8
    };
    block
        .saturating_mul(2)
        .saturating_add((block / per_entry).saturating_mul(2 * parsed))
}

/// Are the (complete) entry lines in `head` past the size line valid and in strictly increasing
/// (row, column) order? A hint, from the start of the file only, that the reader can build CSR
/// directly.
pub(crate) fn prefix_in_row_order(head: &[u8], h: &Header) -> bool {
    let start = h.body_start.min(head.len());
    let end = memchr::memrchr(b'\n', &head[start..]).map_or(start, |p| start + p + 1);
    let mut chunk = CooChunk::default();
    parse_coo_chunk(head, start, end, h, &mut chunk).is_ok_and(|st| st.sorted)
}

/// What the reader produces: a sparse or dense matrix.
pub(crate) enum MtxMatrix {
    Sparse(CsrMatrix),
    Dense(Mat<f64>),
}

/// Does `data` (whole lines) reach a size line: a line after the banner that is neither blank
/// nor a comment?
fn reaches_size_line(data: &[u8]) -> bool {
    let mut pos = match memchr::memchr(b'\n', data) {
        Some(p) => p + 1,
        None => return false,
    };
    while pos < data.len() {
        let e = line_end(data, pos, data.len());
        let line = trim(&data[pos..e]);
        if !line.is_empty() && line[0] != b'%' {
            return true;
        }
        pos = e + 1;
    }
    false
}

/// Reads the start of the file up to and including the size line (more if the banner and
/// comments are long) and parses the header.
pub(crate) fn read_header(stream: &Stream<'_>) -> Result<(Vec<u8>, Header), IoError> {
    read_head(stream, |head, whole| {
        if whole {
            return Some(parse_header(stream.path, head));
        }
        // Only whole lines: the size line must not be cut by the end of the prefix.
        let cut = memchr::memrchr(b'\n', head).map_or(0, |p| p + 1);
        reaches_size_line(&head[..cut]).then(|| parse_header(stream.path, &head[..cut]))
    })
}

/// Reads a Matrix Market file, streaming it in line-aligned blocks (never held whole), and
/// computes the SHA-256 of the file on the way.
pub(crate) fn read_path(path: &Path, parallel: bool) -> Result<(MtxMatrix, String), IoError> {
    use sha2::Digest;
    let file = std::fs::File::open(path).map_err(|e| IoError::io(path, e))?;
    let len = file.metadata().map_err(|e| IoError::io(path, e))?.len();
    let stream = Stream {
        path,
        file: &file,
        len,
        parallel,
    };
    let (head, h) = read_header(&stream)?;
    let mut hasher = sha2::Sha256::new();
    hasher.update(&head[..h.body_start]);
    drop(head);
    let matrix = match h.layout {
        Layout::Coordinate => MtxMatrix::Sparse(read_coordinate(&stream, &h, &mut hasher)?),
        Layout::Array => MtxMatrix::Dense(read_array(&stream, &h, &mut hasher)?),
    };
    Ok((matrix, crate::hex(&hasher.finalize())))
}

/// At most how many entry lines of at least `min_line` bytes (newline included, but the last)
/// fit in the body.
fn max_lines(stream: &Stream<'_>, h: &Header, min_line: u64) -> u64 {
    (stream.len.saturating_sub(h.body_start as u64) + 1) / min_line
}

/// Coordinate entries as they are gathered, block by block.
struct CooBuilder {
    /// Entries found so far, including any beyond the declared count (which are not kept).
    found: u64,
    cols: Vec<u32>,
    vals: Vec<f64>,
    /// While every entry so far is in strictly increasing (row, column) order and the matrix
    /// is general: entries per row (at `row + 1`, up to the last row seen); the rows themselves
    /// are not kept.
    row_counts: Vec<usize>,
    /// Otherwise: the row of every entry.
    rows: Option<Vec<u32>>,
    /// Key (row << 32 | column) of the last entry kept.
    last_key: Option<u64>,
    /// File offset of the line holding the first entry beyond the declared count.
    extra_at: Option<u64>,
}

impl CooBuilder {
    /// Keeps the first `take` entries of a chunk.
    fn keep(&mut self, st: &ChunkStats, c: &CooChunk, take: usize) {
        match &mut self.rows {
            Some(rows) => rows.extend_from_slice(&c.rows[..take]),
            None => {
                let in_order = st.sorted && self.last_key.is_none_or(|k| k < st.first);
                if in_order {
                    let need = c.rows[take - 1] as usize + 2;
                    if self.row_counts.len() < need {
                        self.row_counts.resize(need, 0);
                    }
                    for &r in &c.rows[..take] {
                        self.row_counts[r as usize + 1] += 1;
                    }
                } else {
                    // Out of order: from now on keep every row index, starting with those so far
                    // (which were in order, so the counts give them back).
                    let mut rows = Vec::with_capacity(self.cols.capacity());
                    for (r, &n) in self.row_counts[1..].iter().enumerate() {
                        rows.extend(std::iter::repeat_n(r as u32, n));
                    }
                    rows.extend_from_slice(&c.rows[..take]);
                    self.rows = Some(rows);
                    self.row_counts = Vec::new();
                }
            }
        }
        self.last_key = Some(st.last);
        self.cols.extend_from_slice(&c.cols[..take]);
        self.vals.extend_from_slice(&c.vals[..take]);
    }
}

/// Reads the coordinate body. General files in row order go straight into the CSR arrays (the
/// column and value arrays are the ones being filled; rows are only counted); other files keep
/// `(row, column, value)` triplets, then sort them into CSR.
fn read_coordinate(
    stream: &Stream<'_>,
    h: &Header,
    hasher: &mut sha2::Sha256,
) -> Result<CsrMatrix, IoError> {
    // Room for the declared entries, but never more than the file can hold ("1 1\n" per entry):
    // a lying header cannot make us reserve memory the file does not back.
    let cap = h.entries.min(max_lines(stream, h, 4)) as usize;
    let general = h.symmetry == Symmetry::General;
    let mut b = CooBuilder {
        found: 0,
        cols: Vec::with_capacity(cap),
        vals: Vec::with_capacity(cap),
        // Grown as rows appear: a header declaring billions of rows that the file does not have
        // must not allocate them before the entry count is checked.
        row_counts: vec![0],
        rows: (!general).then(|| Vec::with_capacity(cap)),
        last_key: None,
        extra_at: None,
    };
    stream.for_each_block(
        h.body_start as u64,
        hasher,
        |blk, s, e, chunk: &mut CooChunk| parse_coo_chunk(blk.data, s, e, h, chunk),
        |blk, results, chunks| {
            for (k, r) in results.into_iter().enumerate() {
                let st = r.map_err(|e| stream.error_in(blk, e))?;
                let take = (st.n as u64).min(h.entries.saturating_sub(b.found)) as usize;
                if take < st.n && b.extra_at.is_none() {
                    let off = nth_entry_offset(blk.data, blk.chunks[k].0, take as u64, false)
                        .unwrap_or(blk.data.len());
                    b.extra_at = Some(blk.offset + off as u64);
                }
                b.found += st.n as u64;
                if take > 0 {
                    b.keep(&st, &chunks[k], take);
                }
            }
            Ok(())
        },
    )?;
    if b.found != h.entries {
        return Err(count_error(stream, h, b.found, "entries", b.extra_at));
    }
    let sparse_err = |source| IoError::Sparse {
        path: stream.path.to_path_buf(),
        source,
    };
    match b.rows {
        None => {
            // Already in CSR order: the counts become the row pointers.
            let mut row_ptr = b.row_counts;
            row_ptr.resize(h.nrows + 1, 0);
            for i in 0..h.nrows {
                row_ptr[i + 1] += row_ptr[i];
            }
            CsrMatrix::new(h.nrows, h.ncols, row_ptr, b.cols, b.vals).map_err(sparse_err)
        }
        Some(rows) => csr_from_triplets(h.nrows, h.ncols, rows, b.cols, b.vals, h.symmetry)
            .map_err(sparse_err),
    }
}

/// Builds CSR from 0-based triplets in file order, mirroring the off-diagonal entries of
/// symmetric (negated for skew-symmetric) matrices and summing repeated positions in file order
/// (a mirrored entry comes right after its original). The same result as
/// [`CsrMatrix::from_triplets`] with [`DuplicatePolicy::Sum`] on the expanded triplets, without
/// its `usize` copies: the triplets are freed once scattered by row.
pub(crate) fn csr_from_triplets(
    nrows: usize,
    ncols: usize,
    rows: Vec<u32>,
    cols: Vec<u32>,
    vals: Vec<f64>,
    symmetry: Symmetry,
) -> Result<CsrMatrix, SparseBuildError> {
    debug_assert!(rows.len() == cols.len() && cols.len() == vals.len());
    let mirror = symmetry != Symmetry::General;
    let sign = if symmetry == Symmetry::SkewSymmetric {
        -1.0
    } else {
        1.0
    };
    for (entry, (&r, &c)) in rows.iter().zip(&cols).enumerate() {
        if r as usize >= nrows || c as usize >= ncols {
            return Err(SparseBuildError::OutOfBounds {
                entry,
                row: r as usize,
                col: c as usize,
                nrows,
                ncols,
            });
        }
    }
    // Counting sort by row (stable: each row keeps file order).
    let mut ptr = vec![0usize; nrows + 1];
    for (&r, &c) in rows.iter().zip(&cols) {
        ptr[r as usize + 1] += 1;
        if mirror && r != c {
            ptr[c as usize + 1] += 1;
        }
    }
    for i in 0..nrows {
        ptr[i + 1] += ptr[i];
    }
    let total = ptr[nrows];
    let mut next = ptr[..nrows].to_vec();
    let mut col_idx = vec![0u32; total];
    let mut values = vec![0f64; total];
    for ((&r, &c), &v) in rows.iter().zip(&cols).zip(&vals) {
        let p = &mut next[r as usize];
        col_idx[*p] = c;
        values[*p] = v;
        *p += 1;
        if mirror && r != c {
            let p = &mut next[c as usize];
            col_idx[*p] = r;
            values[*p] = sign * v;
            *p += 1;
        }
    }
    drop((rows, cols, vals, next));
    // Sort each row by column (stable) and sum repeated columns, compacting in place.
    let mut write = 0usize;
    let mut start = 0usize;
    let mut perm: Vec<(u32, usize)> = Vec::new();
    let mut tmp: Vec<f64> = Vec::new();
    for i in 0..nrows {
        let end = ptr[i + 1];
        if col_idx[start..end].windows(2).all(|w| w[0] < w[1]) {
            col_idx.copy_within(start..end, write);
            values.copy_within(start..end, write);
            write += end - start;
        } else {
            perm.clear();
            perm.extend((start..end).map(|k| (col_idx[k], k)));
            perm.sort_unstable(); // by column, then file order
            tmp.clear();
            tmp.extend(perm.iter().map(|&(_, k)| values[k]));
            let mut last: Option<u32> = None;
            for (&(c, _), &v) in perm.iter().zip(&tmp) {
                if last == Some(c) {
                    values[write - 1] += v;
                } else {
                    col_idx[write] = c;
                    values[write] = v;
                    write += 1;
                    last = Some(c);
                }
            }
        }
        ptr[i + 1] = write;
        start = end;
    }
    col_idx.truncate(write);
    values.truncate(write);
    col_idx.shrink_to_fit();
    values.shrink_to_fit();
    CsrMatrix::new(nrows, ncols, ptr, col_idx, values)
}

/// Parses the array values in `data[start..end]` (any number per line) into `vals` (cleared
/// first).
fn parse_array_chunk(
    data: &[u8],
    start: usize,
    end: usize,
    vals: &mut Vec<f64>,
) -> Result<(), TextError> {
    vals.clear();
    let mut pos = start;
    while pos < end {
        let le = line_end(data, pos, end);
        let line = strip_cr(&data[pos..le]);
        let first = line.iter().position(|&b| b != b' ' && b != b'\t');
        if let Some(f) = first {
            if line[f] != b'%' {
                let mut p = f;
                let mut field = 1u64;
                while p < line.len() {
                    let tok = token_at(line, p, line.len());
                    match fast_float2::parse::<f64, _>(tok) {
                        Ok(v) => vals.push(v),
                        Err(_) => {
                            return Err(TextError::new(
                                pos,
                                Some(field),
                                pos + p,
                                format!("expected a number, found '{}'", show(tok)),
                            ))
                        }
                    }
                    p = skip_blanks(line, p + tok.len(), line.len());
                    field += 1;
                }
            }
        }
        pos = le + 1;
    }
    Ok(())
}

/// Puts array values, in file order, into their places in a dense matrix.
struct ArrayFill<'a> {
    cols: Vec<&'a mut [f64]>,
    symmetry: Symmetry,
    /// Where the next value goes.
    i: usize,
    j: usize,
}

impl ArrayFill<'_> {
    fn push(&mut self, v: f64) {
        let (i, j) = (self.i, self.j);
        self.cols[j][i] = v;
        self.i += 1;
        match self.symmetry {
            // Column-major, like faer.
            Symmetry::General => {
                if self.i == self.cols[j].len() {
                    (self.i, self.j) = (0, j + 1);
                }
            }
            // The lower triangle by columns (strictly lower for skew-symmetric), mirrored.
            Symmetry::Symmetric | Symmetry::SkewSymmetric => {
                let skew = self.symmetry == Symmetry::SkewSymmetric;
                if i != j {
                    self.cols[i][j] = if skew { -v } else { v };
                }
                if self.i == self.cols.len() {
                    self.j = j + 1;
                    self.i = if skew { j + 2 } else { j + 1 };
                }
            }
        }
    }
}

fn read_array(
    stream: &Stream<'_>,
    h: &Header,
    hasher: &mut sha2::Sha256,
) -> Result<Mat<f64>, IoError> {
    let (m, n) = (h.nrows, h.ncols);
    // Allocate the matrix only if the file can hold its values ("1\n" each); otherwise just
    // count them for the error.
    let fits = h.entries <= max_lines(stream, h, 2);
    let mut mat = Mat::<f64>::zeros(if fits { m } else { 0 }, if fits { n } else { 0 });
    let mut fill = fits.then(|| ArrayFill {
        cols: crate::dense::columns_mut(&mut mat),
        symmetry: h.symmetry,
        i: if h.symmetry == Symmetry::SkewSymmetric {
            1
        } else {
            0
        },
        j: 0,
    });
    let mut found = 0u64;
    let mut extra_at = None;
    stream.for_each_block(
        h.body_start as u64,
        hasher,
        |blk, s, e, vals: &mut Vec<f64>| parse_array_chunk(blk.data, s, e, vals),
        |blk, results, chunks| {
            for (k, r) in results.into_iter().enumerate() {
                r.map_err(|e| stream.error_in(blk, e))?;
                let vals = &chunks[k];
                let take = (vals.len() as u64).min(h.entries.saturating_sub(found)) as usize;
                if take < vals.len() && extra_at.is_none() {
                    let off = nth_entry_offset(blk.data, blk.chunks[k].0, take as u64, true)
                        .unwrap_or(blk.data.len());
                    extra_at = Some(blk.offset + off as u64);
                }
                found += vals.len() as u64;
                if let Some(fill) = &mut fill {
                    for &v in &vals[..take] {
                        fill.push(v);
                    }
                }
            }
            Ok(())
        },
    )?;
    drop(fill);
    if found != h.entries {
        return Err(count_error(stream, h, found, "values", extra_at));
    }
    Ok(mat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields() {
        let d = b"%%MatrixMarket matrix coordinate pattern symmetric\n% c\n\n 3 3 2\n2 1\n3 1\n";
        let h = parse_header(Path::new("a.mtx"), d).unwrap();
        assert_eq!(
            (h.layout, h.field, h.symmetry),
            (Layout::Coordinate, Field::Pattern, Symmetry::Symmetric)
        );
        assert_eq!((h.nrows, h.ncols, h.entries, h.size_line), (3, 3, 2, 4));
        assert_eq!(&d[h.body_start..], b"2 1\n3 1\n");
    }

    #[test]
    fn chunk_parse_rejects_bad_lines() {
        let h = Header {
            layout: Layout::Coordinate,
            field: Field::Real,
            symmetry: Symmetry::General,
            nrows: 3,
            ncols: 3,
            entries: 2,
            size_line: 1,
            body_start: 0,
        };
        let run = |text: &[u8]| {
            let mut out = CooChunk::default();
            parse_coo_chunk(text, 0, text.len(), &h, &mut out)
                .map(|s| (s, out.rows, out.cols, out.vals))
        };
        let (s, r, c, v) = run(b"1 1 2.5\n 2\t3 -1e3 \r\n\n% x\n").unwrap();
        assert_eq!((s.n, s.sorted), (2, true));
        assert_eq!(&r[..2], &[0, 1]);
        assert_eq!(&c[..2], &[0, 2]);
        assert_eq!(&v[..2], &[2.5, -1000.0]);
        for (text, field) in [
            (&b"1 1 abc\n"[..], Some(3)),
            (b"1 4 1.0\n", Some(2)),
            (b"0 1 1.0\n", Some(1)),
            (b"1 1\n", Some(3)),
            (b"1 1 1.0 2.0\n", Some(4)),
            (b"1x 1 1.0\n", Some(1)),
        ] {
            let e = run(text).unwrap_err();
            assert_eq!(
                e.field,
                field,
                "{}: {}",
                String::from_utf8_lossy(text),
                e.message
            );
        }
    }
    #[test]
    fn triplets_to_csr_matches_the_core() {
        use lowrank_core::op::DuplicatePolicy;
        // Random triplets with many duplicates, in random order; mirrored for symmetric kinds.
        let mut state = 7u64;
        let mut next = move |n: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        let n = 40usize;
        let (mut r, mut c, mut v) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..3000 {
            let (i, j) = (next(n as u64) as u32, next(n as u64) as u32);
            r.push(i.max(j));
            c.push(i.min(j));
            v.push(next(1000) as f64 / 7.0 - 70.0);
        }
        for sym in [
            Symmetry::General,
            Symmetry::Symmetric,
            Symmetry::SkewSymmetric,
        ] {
            let sign = if sym == Symmetry::SkewSymmetric {
                -1.0
            } else {
                1.0
            };
            let (mut tr, mut tc, mut tv) = (Vec::new(), Vec::new(), Vec::new());
            for k in 0..r.len() {
                tr.push(r[k] as usize);
                tc.push(c[k] as usize);
                tv.push(v[k]);
                if sym != Symmetry::General && r[k] != c[k] {
                    tr.push(c[k] as usize);
                    tc.push(r[k] as usize);
                    tv.push(sign * v[k]);
                }
            }
            let want = CsrMatrix::from_triplets(n, n, &tr, &tc, &tv, DuplicatePolicy::Sum).unwrap();
            let got = csr_from_triplets(n, n, r.clone(), c.clone(), v.clone(), sym).unwrap();
            assert_eq!(got, want, "{sym:?}");
        }
        let e = csr_from_triplets(
            2,
            2,
            vec![0, 2],
            vec![0, 0],
            vec![1.0, 2.0],
            Symmetry::General,
        );
        assert!(
            matches!(e, Err(SparseBuildError::OutOfBounds { entry: 1, .. })),
            "{e:?}"
        );
    }
}
