//! Dense delimited text (CSV, TSV, semicolon- or whitespace-separated).
//!
//! The file is streamed twice through 32 MiB line-aligned blocks (never held whole): the first
//! pass counts the data lines of every chunk of every block, so that in the second pass each
//! chunk, parsed in parallel, writes straight into its own rows of the column-major matrix.
//! Errors carry byte offsets and are turned into line numbers afterwards (each block knows the
//! line it starts on), so line numbers are exact whatever the chunking.

use std::path::Path;

use faer::Mat;

use crate::text::{
    chunk_ranges, detect_delimiter, is_blank, line_end, line_number, map_chunks, parse_cell,
    sample_lines, show, skip_bom, split_fields, strip_cr, trim, unquote, Delim, TextError,
};
use crate::{HeaderMode, IoError, ReadOptions};

/// Lines sampled to detect the delimiter and the header.
const SAMPLE_LINES: usize = 20;

/// What the first lines of a delimited file say about it.
pub(crate) struct Layout {
    pub delim: Delim,
    /// Header cells (trimmed, unquoted), if there is a header.
    pub header: Option<Vec<String>>,
    /// Offset of the first data line (after the header).
    pub body_start: usize,
    /// Fields per data line (from the first data line, or the header when there is no data).
    pub ncols: usize,
    /// Offset of the first data line, if there is one.
    pub first_data: Option<usize>,
}

/// Reads the delimiter, header and column count from the start of the file.
pub(crate) fn layout(path: &Path, data: &[u8], opts: &ReadOptions) -> Result<Layout, IoError> {
    let start = skip_bom(data);
    let samples = sample_lines(data, start, SAMPLE_LINES, None);
    let Some(&(first_start, first_line)) = samples.first() else {
        return Err(IoError::format(path, "the file holds no data"));
    };
    let delim = Delim::from_option(opts.delimiter).unwrap_or_else(|| {
        let lines: Vec<&[u8]> = samples.iter().map(|&(_, l)| l).collect();
        detect_delimiter(&lines)
    });
    let first_fields = split_fields(first_line, delim);
    let has_header = match opts.header {
        HeaderMode::Present => true,
        HeaderMode::Absent => false,
        HeaderMode::Auto => first_fields.iter().any(|f| parse_cell(f).is_none()),
    };
    let (header, body_start, data_line) = if has_header {
        let names = first_fields
            .iter()
            .map(|f| String::from_utf8_lossy(unquote(f)).into_owned())
            .collect::<Vec<_>>();
        let after = line_end(data, first_start, data.len()) + 1;
        (Some(names), after.min(data.len()), samples.get(1).copied())
    } else {
        (None, first_start, Some((first_start, first_line)))
    };
    let (ncols, first_data) = match data_line {
        Some((off, line)) => (split_fields(line, delim).len(), Some(off)),
        None => (header.as_ref().map_or(0, Vec::len), None),
    };
    if let (Some(h), Some(off)) = (&header, first_data) {
        if h.len() != ncols {
            return Err(IoError::at_line(
                path,
                line_number(data, off),
                None,
                Some(off as u64),
                format!(
                    "the first data line has {ncols} fields but the header (line {}) has {}",
                    line_number(data, first_start),
                    h.len()
                ),
            ));
        }
    }
    Ok(Layout {
        delim,
        header,
        body_start,
        ncols,
        first_data,
    })
}

/// Bytes per block while streaming (changeable only by tests, to exercise block edges).
static BLOCK_BYTES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(32 << 20);

/// Sets the streaming block size (tests only).
pub(crate) fn set_block_bytes(n: usize) {
    BLOCK_BYTES.store(n.max(1), std::sync::atomic::Ordering::Relaxed);
}

/// One line-aligned block of the file, as found by the counting pass.
struct Block {
    /// File offset of its first byte.
    offset: u64,
    len: usize,
    /// 1-based line number of its first line.
    first_line: u64,
    /// Chunk ranges, relative to the block.
    chunks: Vec<(usize, usize)>,
    /// Data lines in each chunk.
    counts: Vec<usize>,
}

/// Reads the block `[offset, offset + len)` into `buf`.
fn read_block(
    file: &std::fs::File,
    path: &Path,
    buf: &mut Vec<u8>,
    offset: u64,
    len: usize,
) -> Result<(), IoError> {
    buf.resize(len, 0);
    crate::read_exact_at(file, buf, offset).map_err(|e| IoError::io(path, e))
}

/// Finds the layout from the start of the file; looks further than `head` if the first lines
/// do not fit in it.
fn layout_from_file(
    path: &Path,
    file: &std::fs::File,
    file_len: u64,
    opts: &ReadOptions,
) -> Result<(Layout, Vec<u8>), IoError> {
    let mut size = (1usize << 20).min(file_len as usize);
    loop {
        let mut head = Vec::new();
        read_block(file, path, &mut head, 0, size)?;
        let lay = layout(path, &head, opts)?;
        let whole = size as u64 == file_len;
        let cut = lay.body_start >= head.len()
            || lay
                .first_data
                .is_some_and(|o| memchr::memchr(b'\n', &head[o..]).is_none());
        if whole || !cut {
            return Ok((lay, head));
        }
        if size >= 1 << 30 {
            return Err(IoError::format(
                path,
                "the first lines are longer than 1 GiB",
            ));
        }
        size = (size * 16).min(file_len as usize);
    }
}

/// Reads a dense matrix from a delimited text file.
///
/// Two passes over line-aligned blocks: the first counts the data lines of each chunk (so each
/// chunk knows its first row), the second parses each chunk straight into its rows of the
/// column-major matrix. Blocks are read while the previous one is parsed.
pub(crate) fn read_path(
    path: &Path,
    opts: &ReadOptions,
) -> Result<(Mat<f64>, Option<Vec<String>>), IoError> {
    let parallel = opts.parallel;
    let file = std::fs::File::open(path).map_err(|e| IoError::io(path, e))?;
    let file_len = file.metadata().map_err(|e| IoError::io(path, e))?.len();
    let (lay, head) = layout_from_file(path, &file, file_len, opts)?;
    let ncols = lay.ncols;
    let first_line_no = lay.first_data.map_or(0, |o| line_number(&head, o));
    let body_line = line_number(&head, lay.body_start);
    drop(head);

    // Pass 1: block boundaries, chunks, and data lines per chunk.
    let mut blocks = Vec::new();
    let mut buf = Vec::new();
    let (mut offset, mut line) = (lay.body_start as u64, body_line);
    while offset < file_len {
        let remaining = (file_len - offset) as usize;
        let mut want = BLOCK_BYTES
            .load(std::sync::atomic::Ordering::Relaxed)
            .min(remaining);
        let len = loop {
            read_block(&file, path, &mut buf, offset, want)?;
            if want == remaining {
                break want;
            }
            if let Some(p) = memchr::memrchr(b'\n', &buf) {
                break p + 1;
            }
            want = want.saturating_mul(4).min(remaining); // a line longer than a block
        };
        let data = &buf[..len];
        let chunks = chunk_ranges(data, 0, parallel);
        let counted = map_chunks(&chunks, parallel, |s, e| count_data_lines(data, s, e));
        let newlines: u64 = counted.iter().map(|c| c.1).sum();
        let counts = counted.into_iter().map(|c| c.0).collect();
        blocks.push(Block {
            offset,
            len,
            first_line: line,
            chunks,
            counts,
        });
        offset += len as u64;
        line += newlines;
    }

    // Allocate the matrix and give every chunk its rows of every column.
    let nrows: usize = blocks.iter().flat_map(|b| &b.counts).sum();
    let mut mat = Mat::<f64>::zeros(nrows, ncols);
    let nchunks: usize = blocks.iter().map(|b| b.counts.len()).sum();
    let mut pieces: Vec<Vec<&mut [f64]>> =
        (0..nchunks).map(|_| Vec::with_capacity(ncols)).collect();
    for col in crate::dense::columns_mut(&mut mat) {
        let mut rest = col;
        for (k, &rows) in blocks.iter().flat_map(|b| &b.counts).enumerate() {
            let (a, b) = std::mem::take(&mut rest).split_at_mut(rows);
            pieces[k].push(a);
            rest = b;
        }
    }
    let mut per_block: Vec<Vec<Vec<&mut [f64]>>> = Vec::with_capacity(blocks.len());
    let mut it = pieces.into_iter();
    for b in &blocks {
        per_block.push(it.by_ref().take(b.counts.len()).collect());
    }

    // Pass 2: parse each block (in parallel chunks) while the next one is read.
    let parse_block =
        |b: &Block, data: &[u8], dests: Vec<Vec<&mut [f64]>>| -> Result<(), IoError> {
            let work = |(&(s, e), mut dest): (&(usize, usize), Vec<&mut [f64]>)| {
                parse_chunk(data, s, e, lay.delim, ncols, first_line_no, &mut dest)
            };
            let results: Vec<Result<(), TextError>> = if parallel && b.chunks.len() > 1 {
                use rayon::prelude::*;
                b.chunks.par_iter().zip(dests).map(work).collect()
            } else {
                b.chunks.iter().zip(dests).map(work).collect()
            };
            for r in results {
                r.map_err(|e| e.into_io_at(path, data, b.first_line, b.offset))?;
            }
            Ok(())
        };
    let mut next = Vec::new();
    if let Some(b) = blocks.first() {
        read_block(&file, path, &mut buf, b.offset, b.len)?;
    }
    for (k, dests) in per_block.into_iter().enumerate() {
        let b = &blocks[k];
        let (read, parsed) = match blocks.get(k + 1) {
            Some(nb) if parallel => rayon::join(
                || read_block(&file, path, &mut next, nb.offset, nb.len),
                || parse_block(b, &buf, dests),
            ),
            Some(nb) => {
                let parsed = parse_block(b, &buf, dests);
                (
                    read_block(&file, path, &mut next, nb.offset, nb.len),
                    parsed,
                )
            }
            None => (Ok(()), parse_block(b, &buf, dests)),
        };
        parsed?;
        read?;
        std::mem::swap(&mut buf, &mut next);
    }
    Ok((mat, lay.header))
}

/// Is this raw line (newline excluded, `\r` included) blank? Blank lines are skipped.
#[inline]
fn is_blank_line(line: &[u8]) -> bool {
    match line.first() {
        None => true,
        Some(b' ' | b'\t' | b'\r') => is_blank(line),
        _ => false,
    }
}

/// Non-blank lines and newlines in `data[start..end]`.
fn count_data_lines(data: &[u8], start: usize, end: usize) -> (usize, u64) {
    let (mut n, mut newlines) = (0, 0);
    let mut pos = start;
    while pos < end {
        let le = line_end(data, pos, end);
        n += usize::from(!is_blank_line(&data[pos..le]));
        newlines += u64::from(le < end);
        pos = le + 1;
    }
    (n, newlines)
}

/// Parses the lines in `data[start..end]` into `dest` (one slice per column, one entry per
/// non-blank line).
fn parse_chunk(
    data: &[u8],
    start: usize,
    end: usize,
    delim: Delim,
    ncols: usize,
    first_line_no: u64,
    dest: &mut [&mut [f64]],
) -> Result<(), TextError> {
    let mut row: Vec<f64> = Vec::with_capacity(ncols + 1);
    let mut r = 0usize;
    let mut pos = start;
    while pos < end {
        let le = line_end(data, pos, end);
        let raw = &data[pos..le];
        if !is_blank_line(raw) {
            let line = strip_cr(raw);
            row.clear();
            match delim {
                Delim::Byte(d) => parse_line_byte(line, pos, d, &mut row)?,
                Delim::Whitespace => parse_line_ws(line, pos, &mut row)?,
            }
            if row.len() != ncols {
                return Err(TextError::new(
                    pos,
                    None,
                    pos,
                    format!(
                        "line {{line}} has {} fields, expected {ncols} (as on line {first_line_no})",
                        row.len()
                    ),
                ));
            }
            for (d, &v) in dest.iter_mut().zip(&row) {
                d[r] = v;
            }
            r += 1;
        }
        pos = le + 1;
    }
    debug_assert!(dest.iter().all(|d| d.len() == r));
    Ok(())
}

fn bad_cell(line_start: usize, field: u64, p: usize, cell: &[u8]) -> TextError {
    TextError::new(
        line_start,
        Some(field),
        line_start + p,
        format!(
            "cannot parse '{}' as a number (field {field})",
            show(trim(cell))
        ),
    )
}

/// Parses one line whose fields are separated by the byte `d`.
#[inline]
fn parse_line_byte(
    line: &[u8],
    line_start: usize,
    d: u8,
    vals: &mut Vec<f64>,
) -> Result<(), TextError> {
    let len = line.len();
    let is_pad = |b: u8| b == b' ' || (b == b'\t' && d != b'\t');
    let mut p = 0usize;
    let mut field = 1u64;
    loop {
        while p < len && is_pad(line[p]) {
            p += 1;
        }
        // Fast path: a number followed by optional padding and the delimiter or the line end.
        if let Ok((v, n)) = fast_float2::parse_partial::<f64, _>(&line[p..]) {
            let mut q = p + n;
            while q < len && is_pad(line[q]) {
                q += 1;
            }
            if q == len {
                vals.push(v);
                return Ok(());
            }
            if line[q] == d {
                vals.push(v);
                p = q + 1;
                field += 1;
                continue;
            }
        }
        // Slow path: quoted numbers, missing values, errors.
        let fe = memchr::memchr(d, &line[p..]).map_or(len, |x| p + x);
        let cell = &line[p..fe];
        match parse_cell(cell) {
            Some(v) => vals.push(v),
            None => return Err(bad_cell(line_start, field, p, cell)),
        }
        if fe == len {
            return Ok(());
        }
        p = fe + 1;
        field += 1;
    }
}

/// Parses one line whose fields are separated by runs of spaces and tabs.
#[inline]
fn parse_line_ws(line: &[u8], line_start: usize, vals: &mut Vec<f64>) -> Result<(), TextError> {
    let len = line.len();
    let is_ws = |b: u8| b == b' ' || b == b'\t';
    let mut p = 0usize;
    let mut field = 1u64;
    loop {
        while p < len && is_ws(line[p]) {
            p += 1;
        }
        if p == len {
            return Ok(());
        }
        if let Ok((v, n)) = fast_float2::parse_partial::<f64, _>(&line[p..]) {
            let q = p + n;
            if q == len || is_ws(line[q]) {
                vals.push(v);
                p = q;
                field += 1;
                continue;
            }
        }
        let fe = line[p..]
            .iter()
            .position(|&b| is_ws(b))
            .map_or(len, |x| p + x);
        let cell = &line[p..fe];
        match parse_cell(cell) {
            Some(v) => vals.push(v),
            None => return Err(bad_cell(line_start, field, p, cell)),
        }
        p = fe;
        field += 1;
    }
}
