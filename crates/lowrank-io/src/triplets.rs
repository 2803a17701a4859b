//! Triplet files: one `row column value` entry per line, separated by tabs, commas, semicolons
//! or whitespace; `#` starts a comment line; an optional header line. Row and column are ids
//! (any text, integers included), numbered in order of first appearance. Fields after the
//! third (a MovieLens timestamp, say) are ignored. Repeated `(row, column)` pairs are summed.

use std::collections::HashMap;
use std::path::Path;

use lowrank_core::op::{CsrMatrix, DuplicatePolicy};

use crate::text::{
    detect_delimiter, is_blank, line_end, line_number, parse_cell, sample_lines, show, skip_bom,
    split_fields, strip_cr, trim, unquote, Delim,
};
use crate::{HeaderMode, IoError, ReadOptions};

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

/// Index of `id`, adding it if it is new.
fn intern<'a>(map: &mut HashMap<&'a [u8], u32>, ids: &mut Vec<&'a [u8]>, id: &'a [u8]) -> u32 {
    if let Some(&k) = map.get(id) {
        return k;
    }
    let k = ids.len() as u32;
    map.insert(id, k);
    ids.push(id);
    k
}

pub(crate) fn read(path: &Path, data: &[u8], opts: &ReadOptions) -> Result<TripletData, IoError> {
    let start = skip_bom(data);
    let samples = sample_lines(data, start, 20, Some(b'#'));
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

    let mut row_map: HashMap<&[u8], u32> = HashMap::new();
    let mut col_map: HashMap<&[u8], u32> = HashMap::new();
    let mut row_ids: Vec<&[u8]> = Vec::new();
    let mut col_ids: Vec<&[u8]> = Vec::new();
    let est = data.len() / 16;
    let mut rows: Vec<usize> = Vec::with_capacity(est);
    let mut cols: Vec<usize> = Vec::with_capacity(est);
    let mut vals: Vec<f64> = Vec::with_capacity(est);
    let mut pos = start;
    while pos < data.len() {
        let le = line_end(data, pos, data.len());
        let ls = pos;
        pos = le + 1;
        if Some(ls) == header_at {
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
        match delim {
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
            return Err(IoError::at_line(
                path,
                line_number(data, ls),
                None,
                Some(ls as u64),
                format!("line has {n} fields, expected at least 3 (row, column, value)"),
            ));
        }
        let row_id = unquote(fields[0]);
        let col_id = unquote(fields[1]);
        for (k, id) in [row_id, col_id].iter().enumerate() {
            if id.is_empty() {
                return Err(IoError::at_line(
                    path,
                    line_number(data, ls),
                    Some(k as u64 + 1),
                    Some((ls + offs[k]) as u64),
                    format!("empty {} id", if k == 0 { "row" } else { "column" }),
                ));
            }
        }
        let v = parse_cell(fields[2]).ok_or_else(|| {
            IoError::at_line(
                path,
                line_number(data, ls),
                Some(3),
                Some((ls + offs[2]) as u64),
                format!(
                    "cannot parse '{}' as a number (field 3, the value)",
                    show(trim(fields[2]))
                ),
            )
        })?;
        rows.push(intern(&mut row_map, &mut row_ids, row_id) as usize);
        cols.push(intern(&mut col_map, &mut col_ids, col_id) as usize);
        vals.push(v);
    }
    let (m, n) = (row_ids.len(), col_ids.len());
    let matrix = CsrMatrix::from_triplets(m, n, &rows, &cols, &vals, DuplicatePolicy::Sum)
        .map_err(|source| IoError::Sparse {
            path: path.to_path_buf(),
            source,
        })?;
    let to_strings = |ids: Vec<&[u8]>| {
        ids.into_iter()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect()
    };
    Ok(TripletData {
        matrix,
        row_ids: to_strings(row_ids),
        col_ids: to_strings(col_ids),
        header,
    })
}
