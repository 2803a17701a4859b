//! Triplet files: one `row column value` entry per line, separated by tabs, commas, semicolons
//! or whitespace; `#` starts a comment line; an optional header line. Row and column are ids
//! (any text, integers included), numbered in order of first appearance. Fields after the
//! third (a MovieLens timestamp, say) are ignored. Repeated `(row, column)` pairs are summed.
//!
//! The file is streamed in line-aligned blocks (never held whole): the lines of each block are
//! split and their values parsed in parallel chunks, then the ids are numbered in file order.

use std::collections::HashMap;
use std::path::Path;

use lowrank_core::op::CsrMatrix;

use crate::mtx::{csr_from_triplets, Symmetry};
use crate::text::{
    detect_delimiter, is_blank, line_end, parse_cell, read_head, sample_lines, show, skip_bom,
    split_fields, strip_cr, trim, unquote, Block, Delim, Stream, TextError,
};
use crate::{HeaderMode, IoError, ReadOptions};

/// Lines sampled to detect the delimiter and the header.
const SAMPLE_LINES: usize = 20;

/// The result of reading a triplet file.
pub(crate) struct TripletData {
    pub matrix: CsrMatrix,
    pub row_ids: Vec<String>,
    pub col_ids: Vec<String>,
    pub header: Option<Vec<String>>,
}

fn is_comment(line: &[u8]) -> bool {
    trim(line).first() == Some(&b'#')
}

/// What the first lines say: where the body starts, the delimiter, the header line.
struct Layout {
    start: usize,
    delim: Delim,
    /// File offset of the header line, if there is one.
    header_at: Option<u64>,
    header: Option<Vec<String>>,
}

fn layout(data: &[u8], start: usize, opts: &ReadOptions) -> Layout {
    let samples = sample_lines(data, start, SAMPLE_LINES, Some(b'#'));
    let delim = Delim::from_option(opts.delimiter).unwrap_or_else(|| {
        let lines: Vec<&[u8]> = samples.iter().map(|&(_, l)| l).collect();
        detect_delimiter(&lines)
    });
    let mut header_at = None;
    if let Some(&(off, line)) = samples.first() {
        let fields = split_fields(line, delim);
        let is_header = match opts.header {
            HeaderMode::Present => true,
            HeaderMode::Absent => false,
            // A header if the value column is not a number.
            HeaderMode::Auto => fields.len() >= 3 && parse_cell(fields[2]).is_none(),
        };
        if is_header {
            header_at = Some(off);
        }
    }
    let header = header_at.map(|off| {
        let e = line_end(data, off, data.len());
        split_fields(&data[off..e], delim)
            .iter()
            .map(|f| String::from_utf8_lossy(unquote(f)).into_owned())
            .collect::<Vec<_>>()
    });
    Layout {
        start,
        delim,
        header_at: header_at.map(|o| o as u64),
        header,
    }
}

/// One entry as found in a block: the id ranges (relative to the block) and the value.
struct Rec {
    row: (u32, u32),
    col: (u32, u32),
    val: f64,
}

/// Position of `sub` (a subslice of `data`) in `data`.
fn offset_in(data: &[u8], sub: &[u8]) -> usize {
    sub.as_ptr() as usize - data.as_ptr() as usize
}

/// Splits the lines of `blk.data[start..end]` into entries (cleared first).
fn parse_chunk(
    blk: &Block<'_>,
    start: usize,
    end: usize,
    lay: &Layout,
    out: &mut Vec<Rec>,
) -> Result<(), TextError> {
    out.clear();
    let data = blk.data;
    if data.len() > u32::MAX as usize {
        return Err(TextError::new(
            start,
            None,
            start,
            "a line is longer than 4 GiB".into(),
        ));
    }
    let mut pos = start;
    while pos < end {
        let le = line_end(data, pos, end);
        let ls = pos;
        pos = le + 1;
        if Some(blk.offset + ls as u64) == lay.header_at {
            continue;
        }
        let line = strip_cr(&data[ls..le]);
        if is_blank(line) || is_comment(line) {
            continue;
        }
        let mut fields = [&[][..]; 3];
        let mut n = 0usize;
        let mut offs = [0usize; 3];
        // Split without allocating; only the first three fields matter.
        let mut p = 0usize;
        match lay.delim {
            Delim::Byte(d) => {
                for f in line.split(|&b| b == d) {
                    if n < 3 {
                        fields[n] = f;
                        offs[n] = p;
                    }
                    n += 1;
                    p += f.len() + 1;
                }
            }
            Delim::Whitespace => {
                while p < line.len() {
                    while p < line.len() && (line[p] == b' ' || line[p] == b'\t') {
                        p += 1;
                    }
                    if p >= line.len() {
                        break;
                    }
                    let s = p;
                    while p < line.len() && line[p] != b' ' && line[p] != b'\t' {
                        p += 1;
                    }
                    if n < 3 {
                        fields[n] = &line[s..p];
                        offs[n] = s;
                    }
                    n += 1;
                }
            }
        }
        if n < 3 {
            return Err(TextError::new(
                ls,
                None,
                ls,
                format!("line has {n} fields, expected at least 3 (row, column, value)"),
            ));
        }
        let row_id = unquote(fields[0]);
        let col_id = unquote(fields[1]);
        for (k, id) in [row_id, col_id].iter().enumerate() {
            if id.is_empty() {
                return Err(TextError::new(
                    ls,
                    Some(k as u64 + 1),
                    ls + offs[k],
                    format!("empty {} id", if k == 0 { "row" } else { "column" }),
                ));
            }
        }
        let val = parse_cell(fields[2]).ok_or_else(|| {
            TextError::new(
                ls,
                Some(3),
                ls + offs[2],
                format!(
                    "cannot parse '{}' as a number (field 3, the value)",
                    show(trim(fields[2]))
                ),
            )
        })?;
        let range = |id: &[u8]| {
            let s = offset_in(data, id);
            (s as u32, (s + id.len()) as u32)
        };
        out.push(Rec {
            row: range(row_id),
            col: range(col_id),
            val,
        });
    }
    Ok(())
}

/// Ids numbered in order of first appearance.
#[derive(Default)]
struct Ids {
    map: HashMap<Box<[u8]>, u32>,
}

impl Ids {
    /// Index of `id`, adding it if it is new.
    fn intern(&mut self, id: &[u8]) -> u32 {
        if let Some(&k) = self.map.get(id) {
            return k;
        }
        let k = self.map.len() as u32;
        self.map.insert(id.into(), k);
        k
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    fn into_strings(self) -> Vec<String> {
        let mut out = vec![String::new(); self.map.len()];
        for (id, k) in self.map {
            out[k as usize] = String::from_utf8_lossy(&id).into_owned();
        }
        out
    }
}

/// Reads a triplet file, streaming it in blocks, and computes the SHA-256 of the file on the
/// way.
pub(crate) fn read_path(path: &Path, opts: &ReadOptions) -> Result<(TripletData, String), IoError> {
    use sha2::Digest;
    let file = std::fs::File::open(path).map_err(|e| IoError::io(path, e))?;
    let len = file.metadata().map_err(|e| IoError::io(path, e))?.len();
    let stream = Stream {
        path,
        file: &file,
        len,
        parallel: opts.parallel,
    };
    // The first lines (whole ones, enough to sample) give the delimiter and the header.
    let (head, lay) = read_head(&stream, |head, whole| {
        let cut = if whole {
            head.len()
        } else {
            memchr::memrchr(b'\n', head).map_or(0, |p| p + 1)
        };
        let start = skip_bom(head).min(cut);
        let enough =
            sample_lines(&head[..cut], start, SAMPLE_LINES, Some(b'#')).len() == SAMPLE_LINES;
        (whole || enough).then(|| Ok(layout(&head[..cut], start, opts)))
    })?;
    let mut hasher = sha2::Sha256::new();
    hasher.update(&head[..lay.start]);
    drop(head);

    let (mut row_ids, mut col_ids) = (Ids::default(), Ids::default());
    let mut rows: Vec<u32> = Vec::new();
    let mut cols: Vec<u32> = Vec::new();
    let mut vals: Vec<f64> = Vec::new();
    stream.for_each_block(
        lay.start as u64,
        &mut hasher,
        |blk, s, e, out: &mut Vec<Rec>| parse_chunk(blk, s, e, &lay, out),
        |blk, results, chunks| {
            for (k, r) in results.into_iter().enumerate() {
                r.map_err(|e| stream.error_in(blk, e))?;
                for rec in &chunks[k] {
                    let id = |(s, e): (u32, u32)| &blk.data[s as usize..e as usize];
                    rows.push(row_ids.intern(id(rec.row)));
                    cols.push(col_ids.intern(id(rec.col)));
                    vals.push(rec.val);
                }
            }
            Ok(())
        },
    )?;
    let (m, n) = (row_ids.len(), col_ids.len());
    let matrix =
        csr_from_triplets(m, n, rows, cols, vals, Symmetry::General).map_err(|source| {
            IoError::Sparse {
                path: path.to_path_buf(),
                source,
            }
        })?;
    let data = TripletData {
        matrix,
        row_ids: row_ids.into_strings(),
        col_ids: col_ids.into_strings(),
        header: lay.header,
    };
    Ok((data, crate::hex(&hasher.finalize())))
}
