//! Matrix Market (`.mtx`) files: `coordinate` (sparse) and `array` (dense) matrices with
//! `real`, `integer` or `pattern` values and `general`, `symmetric` or `skew-symmetric` symmetry.
//!
//! The body is split into chunks at line boundaries and parsed in parallel with a hand-written
//! integer parser and `fast_float2` for values. Files whose entries are already sorted by row
//! then column (the usual case for generated files) become CSR without any sorting.

use std::path::Path;

use faer::Mat;
use lowrank_core::op::{CsrMatrix, DuplicatePolicy};

use crate::text::{
    chunk_ranges, line_end, line_number, map_chunks, parse_uint, show, strip_cr, trim, TextError,
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

/// What a chunk parse reports: its entries are written into the slices it was given.
#[derive(Debug)]
struct ChunkStats {
    /// Entries written.
    n: usize,
    /// Strictly increasing in (row, column) within the chunk.
    sorted: bool,
    first: u64,
    last: u64,
}

/// Output slices for one chunk (0-based indices), at least as long as its line count.
struct Sink<'a> {
    rows: &'a mut [u32],
    cols: &'a mut [u32],
    vals: &'a mut [f64],
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

/// Parses the coordinate entries in `data[start..end]` into `out`, which has room for one
/// entry per line.
fn parse_coo_chunk(
    data: &[u8],
    start: usize,
    end: usize,
    h: &Header,
    out: Sink<'_>,
) -> Result<ChunkStats, TextError> {
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
        let k = stats.n;
        out.rows[k] = r0;
        out.cols[k] = c0;
        out.vals[k] = v;
        stats.n += 1;
    }
    stats.last = prev.unwrap_or(0);
    Ok(stats)
}

/// Lines in `data[start..end]` (the last one may lack its newline): an upper bound on entries.
fn count_lines(data: &[u8], start: usize, end: usize) -> usize {
    if start >= end {
        return 0;
    }
    memchr::memchr_iter(b'\n', &data[start..end]).count() + usize::from(data[end - 1] != b'\n')
}

/// Finds the line holding the `n`-th (0-based) entry of the body, for "too many entries" errors.
fn nth_entry_offset(
    data: &[u8],
    body_start: usize,
    n: u64,
    values_per_line: bool,
) -> Option<usize> {
    let mut count = 0u64;
    let mut pos = body_start;
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

fn count_error(path: &Path, data: &[u8], h: &Header, found: u64, what: &str) -> IoError {
    let declared = h.entries;
    let shape_note = if h.layout == Layout::Array {
        format!(" ({}x{} {:?})", h.nrows, h.ncols, h.symmetry).to_lowercase()
    } else {
        String::new()
    };
    if found > declared {
        let off = nth_entry_offset(data, h.body_start, declared, h.layout == Layout::Array)
            .unwrap_or(data.len());
        IoError::at_line(
            path,
            line_number(data, off),
            None,
            Some(off as u64),
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

/// What the reader produces: a sparse or dense matrix.
pub(crate) enum MtxMatrix {
    Sparse(CsrMatrix),
    Dense(Mat<f64>),
}

/// Reads a Matrix Market file held in memory.
pub(crate) fn read(path: &Path, data: &[u8], parallel: bool) -> Result<MtxMatrix, IoError> {
    let h = parse_header(path, data)?;
    match h.layout {
        Layout::Coordinate => read_coordinate(path, data, &h, parallel).map(MtxMatrix::Sparse),
        Layout::Array => read_array(path, data, &h, parallel).map(MtxMatrix::Dense),
    }
}

fn read_coordinate(
    path: &Path,
    data: &[u8],
    h: &Header,
    parallel: bool,
) -> Result<CsrMatrix, IoError> {
    // Pass 1: lines per chunk, so that every chunk can parse straight into the final arrays.
    let chunks = chunk_ranges(data, h.body_start, parallel);
    let caps = map_chunks(&chunks, parallel, |s, e| count_lines(data, s, e));
    let cap: usize = caps.iter().sum();
    let mut rows = vec![0u32; cap];
    let mut cols = vec![0u32; cap];
    let mut vals = vec![0f64; cap];
    let mut sinks = Vec::with_capacity(chunks.len());
    {
        let (mut r, mut c, mut v) = (&mut rows[..], &mut cols[..], &mut vals[..]);
        for &n in &caps {
            let (r0, r1) = std::mem::take(&mut r).split_at_mut(n);
            let (c0, c1) = std::mem::take(&mut c).split_at_mut(n);
            let (v0, v1) = std::mem::take(&mut v).split_at_mut(n);
            sinks.push(Sink {
                rows: r0,
                cols: c0,
                vals: v0,
            });
            (r, c, v) = (r1, c1, v1);
        }
    }
    // Pass 2: parse.
    let work = |(&(s, e), sink): (&(usize, usize), Sink<'_>)| parse_coo_chunk(data, s, e, h, sink);
    let results: Vec<Result<ChunkStats, TextError>> = if parallel && chunks.len() > 1 {
        use rayon::prelude::*;
        chunks.par_iter().zip(sinks).map(work).collect()
    } else {
        chunks.iter().zip(sinks).map(work).collect()
    };
    let mut stats = Vec::with_capacity(results.len());
    for r in results {
        stats.push(r.map_err(|e| e.into_io(path, data))?);
    }
    let found: u64 = stats.iter().map(|s| s.n as u64).sum();
    if found != h.entries {
        return Err(count_error(path, data, h, found, "entries"));
    }
    // Blank or comment lines leave gaps at the ends of chunks: close them.
    if found as usize != cap {
        let (mut w, mut start) = (0usize, 0usize);
        for (s, &c) in stats.iter().zip(&caps) {
            rows.copy_within(start..start + s.n, w);
            cols.copy_within(start..start + s.n, w);
            vals.copy_within(start..start + s.n, w);
            w += s.n;
            start += c;
        }
        rows.truncate(w);
        cols.truncate(w);
        vals.truncate(w);
    }
    let total = rows.len();
    let nonempty: Vec<&ChunkStats> = stats.iter().filter(|s| s.n > 0).collect();
    let sorted =
        nonempty.iter().all(|s| s.sorted) && nonempty.windows(2).all(|w| w[0].last < w[1].first);
    let sparse_err = |source| IoError::Sparse {
        path: path.to_path_buf(),
        source,
    };
    if h.symmetry == Symmetry::General && sorted {
        // Already in CSR order: count the entries of each row; the arrays are used as they are.
        let mut row_ptr = vec![0usize; h.nrows + 1];
        for &r in &rows {
            row_ptr[r as usize + 1] += 1;
        }
        for i in 0..h.nrows {
            row_ptr[i + 1] += row_ptr[i];
        }
        drop(rows);
        return CsrMatrix::new(h.nrows, h.ncols, row_ptr, cols, vals).map_err(sparse_err);
    }
    // Otherwise: triplets (mirrored for symmetric matrices), then a counting sort by row.
    let mirror = h.symmetry != Symmetry::General;
    let sign = if h.symmetry == Symmetry::SkewSymmetric {
        -1.0
    } else {
        1.0
    };
    let cap = if mirror { 2 * total } else { total };
    let mut tr = Vec::with_capacity(cap);
    let mut tc = Vec::with_capacity(cap);
    let mut tv = Vec::with_capacity(cap);
    for k in 0..total {
        let (r, c, v) = (rows[k] as usize, cols[k] as usize, vals[k]);
        tr.push(r);
        tc.push(c);
        tv.push(v);
        if mirror && r != c {
            tr.push(c);
            tc.push(r);
            tv.push(sign * v);
        }
    }
    drop((rows, cols, vals));
    CsrMatrix::from_triplets(h.nrows, h.ncols, &tr, &tc, &tv, DuplicatePolicy::Sum)
        .map_err(sparse_err)
}

/// Parses the array values in `data[start..end]` (any number per line).
fn parse_array_chunk(data: &[u8], start: usize, end: usize) -> Result<Vec<f64>, TextError> {
    let mut vals = Vec::with_capacity((end - start) / 16 + 16);
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
    Ok(vals)
}

fn read_array(path: &Path, data: &[u8], h: &Header, parallel: bool) -> Result<Mat<f64>, IoError> {
    let chunks = chunk_ranges(data, h.body_start, parallel);
    let results = map_chunks(&chunks, parallel, |s, e| parse_array_chunk(data, s, e));
    let mut vals = Vec::new();
    for r in results {
        match r {
            Ok(p) => {
                if vals.is_empty() {
                    vals = p;
                } else {
                    vals.extend_from_slice(&p);
                }
            }
            Err(e) => return Err(e.into_io(path, data)),
        }
    }
    if vals.len() as u64 != h.entries {
        return Err(count_error(path, data, h, vals.len() as u64, "values"));
    }
    let (m, n) = (h.nrows, h.ncols);
    let mut mat = Mat::<f64>::zeros(m, n);
    match h.symmetry {
        Symmetry::General => {
            // Column-major in the file, like faer.
            for (j, col) in crate::dense::columns_mut(&mut mat).into_iter().enumerate() {
                col.copy_from_slice(&vals[j * m..(j + 1) * m]);
            }
        }
        Symmetry::Symmetric | Symmetry::SkewSymmetric => {
            // Lower triangle by columns (strictly lower for skew-symmetric).
            let skew = h.symmetry == Symmetry::SkewSymmetric;
            let mut k = 0;
            for j in 0..n {
                let from = if skew { j + 1 } else { j };
                for i in from..n {
                    let v = vals[k];
                    k += 1;
                    mat[(i, j)] = v;
                    if i != j {
                        mat[(j, i)] = if skew { -v } else { v };
                    }
                }
            }
        }
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
            let n = count_lines(text, 0, text.len());
            let (mut r, mut c, mut v) = (vec![0u32; n], vec![0u32; n], vec![0f64; n]);
            let sink = Sink {
                rows: &mut r,
                cols: &mut c,
                vals: &mut v,
            };
            parse_coo_chunk(text, 0, text.len(), &h, sink).map(|s| (s, r, c, v))
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
}
