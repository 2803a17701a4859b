//! NumPy `.npy` files: versions 1.0, 2.0 and 3.0; float, integer and boolean dtypes of either
//! byte order; C or Fortran order; 0-, 1- or 2-dimensional.

use std::io::Read;
use std::path::Path;

use faer::{Mat, MatRef};

use crate::IoError;

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// The kind of element stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Float,
    Int,
    Uint,
    Bool,
}

/// A parsed `.npy` header.
#[derive(Clone, Debug)]
pub(crate) struct Header {
    pub kind: Kind,
    pub size: usize,
    pub big_endian: bool,
    pub fortran: bool,
    pub shape: Vec<usize>,
    /// The dtype as written, for messages.
    pub descr: String,
    /// Offset of the first data byte.
    pub data_offset: usize,
}

impl Header {
    /// `(rows, cols)`: a 1-D array is a column, a 0-D array is 1×1.
    pub(crate) fn dims(&self) -> (usize, usize) {
        match self.shape.as_slice() {
            [] => (1, 1),
            [n] => (*n, 1),
            [m, n] => (*m, *n),
            _ => unreachable!("checked when parsing"),
        }
    }

    fn shape_text(&self) -> String {
        let parts: Vec<String> = self.shape.iter().map(|d| d.to_string()).collect();
        if parts.len() == 1 {
            format!("({},)", parts[0])
        } else {
            format!("({})", parts.join(", "))
        }
    }
}

/// Minimum bytes needed to know the header length.
pub(crate) const PREAMBLE: usize = 12;

/// Parses the header from the start of the file. `file_len` is the whole file's size, for
/// truncation messages; `data` may hold just the header.
pub(crate) fn parse_header(path: &Path, data: &[u8], file_len: u64) -> Result<Header, IoError> {
    if data.len() < 8 || &data[..6] != MAGIC {
        let found = &data[..data.len().min(6)];
        return Err(IoError::at_byte(
            path,
            0,
            format!(
                "not a .npy file: expected the magic string \\x93NUMPY, found {}",
                escape(found)
            ),
        ));
    }
    let (major, minor) = (data[6], data[7]);
    let (len_bytes, utf8) = match major {
        1 => (2usize, false),
        2 => (4, false),
        3 => (4, true),
        _ => {
            return Err(IoError::unsupported(
                path,
                format!(".npy format version {major}.{minor} (supported: 1.0, 2.0, 3.0)"),
            ))
        }
    };
    let start = 8 + len_bytes;
    if data.len() < start {
        return Err(IoError::at_byte(
            path,
            file_len,
            format!(
                "truncated .npy header: the file ends at byte {file_len}, before the header length"
            ),
        ));
    }
    let hlen = if len_bytes == 2 {
        u16::from_le_bytes([data[8], data[9]]) as usize
    } else {
        u32::from_le_bytes([data[8], data[9], data[10], data[11]]) as usize
    };
    let data_offset = start + hlen;
    if data.len() < data_offset {
        return Err(IoError::at_byte(
            path,
            file_len.min(data.len() as u64),
            format!(
                "truncated .npy header: it declares {hlen} header bytes (ending at byte {data_offset}), \
                 but the file has only {file_len} bytes"
            ),
        ));
    }
    let raw = &data[start..data_offset];
    let text = if utf8 {
        std::str::from_utf8(raw).map_err(|e| {
            IoError::at_byte(
                path,
                (start + e.valid_up_to()) as u64,
                "the header is not valid UTF-8",
            )
        })?
    } else {
        if let Some(p) = raw.iter().position(|&b| b >= 0x80) {
            return Err(IoError::at_byte(
                path,
                (start + p) as u64,
                "the header is not ASCII (required by .npy versions 1.0 and 2.0)",
            ));
        }
        std::str::from_utf8(raw).expect("ASCII")
    };
    let bad = |msg: String| IoError::at_byte(path, start as u64, msg);
    let dict = match PyParser::new(text).value() {
        Ok(PyVal::Dict(d)) => d,
        Ok(_) => {
            return Err(bad(format!(
                "the header is not a dictionary: {}",
                text.trim()
            )))
        }
        Err(e) => {
            return Err(bad(format!(
                "cannot parse the header {:?}: {e}",
                text.trim()
            )))
        }
    };
    let get = |k: &str| dict.iter().find(|(key, _)| key == k).map(|(_, v)| v);
    let descr = match get("descr") {
        Some(PyVal::Str(s)) => s.clone(),
        Some(PyVal::List(_)) => {
            return Err(IoError::unsupported(
                path,
                "structured dtype (record array); save a plain numeric array",
            ))
        }
        _ => {
            return Err(bad(format!(
                "the header has no 'descr' string: {}",
                text.trim()
            )))
        }
    };
    let fortran = match get("fortran_order") {
        Some(PyVal::Bool(b)) => *b,
        _ => {
            return Err(bad(format!(
                "the header has no 'fortran_order' flag: {}",
                text.trim()
            )))
        }
    };
    let shape = match get("shape") {
        Some(PyVal::Tuple(items)) => {
            let mut dims = Vec::with_capacity(items.len());
            for it in items {
                match it {
                    PyVal::Int(n) => dims.push(usize::try_from(*n).map_err(|_| {
                        bad(format!("dimension {n} is too large for this machine"))
                    })?),
                    _ => {
                        return Err(bad(format!(
                            "the shape is not a tuple of integers: {}",
                            text.trim()
                        )))
                    }
                }
            }
            dims
        }
        _ => {
            return Err(bad(format!(
                "the header has no 'shape' tuple: {}",
                text.trim()
            )))
        }
    };
    if shape.len() > 2 {
        return Err(IoError::unsupported(
            path,
            format!(
                "a {}-dimensional array of shape {:?}; only 1-D and 2-D arrays are matrices",
                shape.len(),
                shape
            ),
        ));
    }
    let (kind, size, big_endian) = parse_descr(path, &descr)?;
    Ok(Header {
        kind,
        size,
        big_endian,
        fortran,
        shape,
        descr,
        data_offset,
    })
}

fn escape(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "an empty file".into();
    }
    let mut s = String::from("\"");
    for &b in bytes {
        if b.is_ascii_graphic() || b == b' ' {
            s.push(b as char);
        } else {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    s.push('"');
    s
}

/// `(kind, item size, big endian)` from a dtype string such as `<f8`.
fn parse_descr(path: &Path, descr: &str) -> Result<(Kind, usize, bool), IoError> {
    let bytes = descr.as_bytes();
    let (order, rest) = match bytes.first() {
        Some(b'<' | b'>' | b'|' | b'=') => (bytes[0], &descr[1..]),
        _ => (b'=', descr),
    };
    let big = match order {
        b'>' => true,
        b'=' => cfg!(target_endian = "big"),
        _ => false,
    };
    let mut chars = rest.chars();
    let kind_char = chars.next().unwrap_or(' ');
    let size: Option<usize> = chars.as_str().parse().ok();
    let unsupported = |what: &str| {
        IoError::unsupported(
            path,
            format!(
                "dtype '{descr}' ({what}); supported: float64/float32 ('f8', 'f4'), \
                 integers ('i1'..'i8', 'u1'..'u8') and booleans ('b1'), either byte order"
            ),
        )
    };
    let kind = match kind_char {
        'f' => Kind::Float,
        'i' => Kind::Int,
        'u' => Kind::Uint,
        'b' | '?' => Kind::Bool,
        'c' => return Err(unsupported("complex numbers")),
        'O' => return Err(unsupported("Python objects")),
        'U' | 'S' | 'a' => return Err(unsupported("strings")),
        'M' | 'm' => return Err(unsupported("dates or time deltas")),
        'V' => return Err(unsupported("raw bytes")),
        _ => return Err(unsupported("unknown type")),
    };
    let size = size.ok_or_else(|| unsupported("no item size"))?;
    let ok = match kind {
        Kind::Float => matches!(size, 4 | 8),
        Kind::Int | Kind::Uint => matches!(size, 1 | 2 | 4 | 8),
        Kind::Bool => size == 1,
    };
    if !ok {
        let what = if kind == Kind::Float && size == 2 {
            "half precision"
        } else if kind == Kind::Float {
            "extended precision"
        } else {
            "item size"
        };
        return Err(unsupported(what));
    }
    Ok((kind, size, big))
}

/// Reads just the header of a `.npy` file (for memory estimates).
pub(crate) fn read_header_only(path: &Path) -> Result<Header, IoError> {
    let mut f = std::fs::File::open(path).map_err(|e| IoError::io(path, e))?;
    let file_len = f.metadata().map_err(|e| IoError::io(path, e))?.len();
    let mut buf = vec![0u8; PREAMBLE];
    let n = read_up_to(&mut f, &mut buf).map_err(|e| IoError::io(path, e))?;
    buf.truncate(n);
    if buf.len() >= 10 && &buf[..6] == MAGIC {
        let hlen = if buf[6] == 1 {
            u16::from_le_bytes([buf[8], buf[9]]) as usize
        } else if buf.len() >= 12 {
            u32::from_le_bytes([buf[8], buf[9], buf[10], buf[11]]) as usize
        } else {
            0
        };
        let total = if buf[6] == 1 { 10 + hlen } else { 12 + hlen };
        if total > buf.len() && total <= 64 << 20 {
            let have = buf.len();
            buf.resize(total, 0);
            let n = read_up_to(&mut f, &mut buf[have..]).map_err(|e| IoError::io(path, e))?;
            buf.truncate(have + n);
        }
    }
    parse_header(path, &buf, file_len)
}

fn read_up_to(f: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Checks that the data section has exactly the size the header implies; returns that size.
fn check_size(path: &Path, h: &Header, file_len: u64) -> Result<usize, IoError> {
    let (m, n) = h.dims();
    let too_large = || {
        IoError::at_byte(
            path,
            8,
            format!("shape {} overflows this machine's memory", h.shape_text()),
        )
    };
    let expected = m
        .checked_mul(n)
        .and_then(|c| c.checked_mul(h.size))
        .ok_or_else(too_large)?;
    let actual = file_len - h.data_offset as u64;
    if actual < expected as u64 {
        return Err(IoError::at_byte(
            path,
            file_len,
            format!(
                "truncated .npy file: shape {} of '{}' needs {expected} bytes of data from byte {}, \
                 but the file ends after {actual} ({file_len} bytes in total, expected {})",
                h.shape_text(),
                h.descr,
                h.data_offset,
                h.data_offset + expected
            ),
        ));
    }
    if actual > expected as u64 {
        return Err(IoError::at_byte(
            path,
            (h.data_offset + expected) as u64,
            format!(
                "{} unexpected bytes after the data: shape {} of '{}' needs {expected} bytes from \
                 byte {}, the file has {actual}",
                actual - expected as u64,
                h.shape_text(),
                h.descr,
                h.data_offset
            ),
        ));
    }
    Ok(expected)
}

/// Bytes read per step while streaming the data section.
const BLOCK_BYTES: usize = 8 << 20;

/// Reads a `.npy` file into a dense matrix, streaming the data section through a small buffer
/// (the file is never held in memory whole).
pub(crate) fn read_path(path: &Path, parallel: bool) -> Result<Mat<f64>, IoError> {
    let h = read_header_only(path)?;
    let file = std::fs::File::open(path).map_err(|e| IoError::io(path, e))?;
    let file_len = file.metadata().map_err(|e| IoError::io(path, e))?.len();
    check_size(path, &h, file_len)?;
    let (m, n) = h.dims();
    let mut mat = Mat::<f64>::zeros(m, n);
    if m == 0 || n == 0 {
        return Ok(mat);
    }
    // A single row or column is both C- and Fortran-ordered.
    let fortran = h.fortran || n == 1 || m == 1;
    let mut src = Source {
        file: &file,
        path,
        offset: h.data_offset as u64,
        buf: Vec::new(),
    };
    macro_rules! go {
        ($t:ty, $conv:expr) => {{
            const S: usize = std::mem::size_of::<$t>();
            let big = h.big_endian;
            let dec = move |b: &[u8]| -> f64 {
                let arr: [u8; S] = b.try_into().expect("item size");
                let v = if big {
                    <$t>::from_be_bytes(arr)
                } else {
                    <$t>::from_le_bytes(arr)
                };
                #[allow(clippy::redundant_closure_call)]
                ($conv)(v)
            };
            if fortran {
                stream_fortran(&mut src, &mut mat, S, dec)
            } else {
                stream_c(&mut src, &mut mat, S, parallel, dec)
            }
        }};
    }
    match (h.kind, h.size) {
        (Kind::Float, 8) => go!(f64, |v: f64| v),
        (Kind::Float, 4) => go!(f32, |v: f32| v as f64),
        (Kind::Int, 1) => go!(i8, |v: i8| v as f64),
        (Kind::Int, 2) => go!(i16, |v: i16| v as f64),
        (Kind::Int, 4) => go!(i32, |v: i32| v as f64),
        (Kind::Int, 8) => go!(i64, |v: i64| v as f64),
        (Kind::Uint, 1) => go!(u8, |v: u8| v as f64),
        (Kind::Uint, 2) => go!(u16, |v: u16| v as f64),
        (Kind::Uint, 4) => go!(u32, |v: u32| v as f64),
        (Kind::Uint, 8) => go!(u64, |v: u64| v as f64),
        (Kind::Bool, 1) => go!(u8, |v: u8| if v != 0 { 1.0 } else { 0.0 }),
        _ => unreachable!("checked in parse_descr"),
    }?;
    Ok(mat)
}

/// Sequential reads of the data section into a reused buffer.
struct Source<'a> {
    file: &'a std::fs::File,
    path: &'a Path,
    offset: u64,
    buf: Vec<u8>,
}

impl Source<'_> {
    /// The next `len` bytes.
    fn next(&mut self, len: usize) -> Result<&[u8], IoError> {
        self.buf.resize(len, 0);
        crate::read_exact_at(self.file, &mut self.buf, self.offset).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                IoError::at_byte(
                    self.path,
                    self.offset,
                    "the file became shorter while it was being read",
                )
            } else {
                IoError::io(self.path, e)
            }
        })?;
        self.offset += len as u64;
        Ok(&self.buf)
    }
}

/// Fortran order: the data is the columns one after the other.
fn stream_fortran(
    src: &mut Source<'_>,
    mat: &mut Mat<f64>,
    size: usize,
    dec: impl Fn(&[u8]) -> f64,
) -> Result<(), IoError> {
    let m = mat.nrows();
    let per_read = (BLOCK_BYTES / size).max(1);
    let mut cols = crate::dense::columns_mut(mat);
    let count = m * cols.len();
    let mut e = 0usize;
    while e < count {
        let e1 = (e + per_read).min(count);
        let buf = src.next((e1 - e) * size)?;
        let mut k = e;
        while k < e1 {
            let (j, i) = (k / m, k % m);
            let take = (m - i).min(e1 - k);
            let bytes = &buf[(k - e) * size..(k - e + take) * size];
            for (x, b) in cols[j][i..i + take]
                .iter_mut()
                .zip(bytes.chunks_exact(size))
            {
                *x = dec(b);
            }
            k += take;
        }
        e = e1;
    }
    Ok(())
}

/// C order: blocks of whole rows, transposed into the columns in cache-sized tiles.
fn stream_c(
    src: &mut Source<'_>,
    mat: &mut Mat<f64>,
    size: usize,
    parallel: bool,
    dec: impl Fn(&[u8]) -> f64 + Sync,
) -> Result<(), IoError> {
    const TILE: usize = 64;
    let (m, n) = (mat.nrows(), mat.ncols());
    let row_bytes = n * size;
    let rows_per = (BLOCK_BYTES / row_bytes).max(1);
    let mut cols = crate::dense::columns_mut(mat);
    let mut i0 = 0;
    while i0 < m {
        let i1 = (i0 + rows_per).min(m);
        let buf = src.next((i1 - i0) * row_bytes)?;
        // One task per group of TILE columns; rows in tiles of TILE inside it.
        let work = |(jb, group): (usize, &mut [&mut [f64]])| {
            let j0 = jb * TILE;
            let mut r0 = i0;
            while r0 < i1 {
                let r1 = (r0 + TILE).min(i1);
                for (dj, col) in group.iter_mut().enumerate() {
                    let j = j0 + dj;
                    for (i, x) in (r0..r1).zip(col[r0..r1].iter_mut()) {
                        let at = ((i - i0) * n + j) * size;
                        *x = dec(&buf[at..at + size]);
                    }
                }
                r0 = r1;
            }
        };
        if parallel && n >= 2 * TILE {
            use rayon::prelude::*;
            cols.par_chunks_mut(TILE).enumerate().for_each(work);
        } else {
            cols.chunks_mut(TILE).enumerate().for_each(work);
        }
        i0 = i1;
    }
    Ok(())
}

/// The bytes of a `.npy` version 1.0 header for a little-endian `f64` array of `shape`.
fn header_bytes(shape: &[usize]) -> Vec<u8> {
    let shape_text = match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut dict = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape_text}, }}");
    // Pad with spaces so that the data starts on a 64-byte boundary, ending with a newline.
    let unpadded = 10 + dict.len() + 1;
    let pad = (64 - unpadded % 64) % 64;
    dict.push_str(&" ".repeat(pad));
    dict.push('\n');
    let mut out = Vec::with_capacity(10 + dict.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}

/// The `.npy` header for a matrix written in C order.
pub(crate) fn matrix_header(m: MatRef<'_, f64>) -> Vec<u8> {
    header_bytes(&[m.nrows(), m.ncols()])
}

/// The complete `.npy` file for a vector.
pub(crate) fn encode_vec(v: &[f64]) -> Vec<u8> {
    let mut out = header_bytes(&[v.len()]);
    out.reserve(v.len() * 8);
    for x in v {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out
}

/// A Python literal, as found in `.npy` headers.
#[derive(Debug, Clone, PartialEq)]
enum PyVal {
    Str(String),
    Int(u64),
    Bool(bool),
    None,
    Tuple(Vec<PyVal>),
    List(Vec<PyVal>),
    Dict(Vec<(String, PyVal)>),
}

/// A tiny recursive-descent parser for the literals NumPy writes in headers.
struct PyParser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> PyParser<'a> {
    fn new(s: &'a str) -> Self {
        PyParser {
            s: s.as_bytes(),
            pos: 0,
        }
    }

    fn ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.pos).copied()
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(format!(
                "expected '{}' at character {}",
                c as char, self.pos
            ))
        }
    }

    fn value(&mut self) -> Result<PyVal, String> {
        match self.peek() {
            Some(b'{') => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                        break;
                    }
                    let key = match self.value()? {
                        PyVal::Str(s) => s,
                        other => return Err(format!("dictionary key {other:?} is not a string")),
                    };
                    self.expect(b':')?;
                    let v = self.value()?;
                    items.push((key, v));
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {}
                        _ => return Err(format!("expected ',' or '}}' at character {}", self.pos)),
                    }
                }
                Ok(PyVal::Dict(items))
            }
            Some(open @ (b'(' | b'[')) => {
                self.pos += 1;
                let close = if open == b'(' { b')' } else { b']' };
                let mut items = Vec::new();
                loop {
                    if self.peek() == Some(close) {
                        self.pos += 1;
                        break;
                    }
                    items.push(self.value()?);
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(c) if c == close => {}
                        _ => {
                            return Err(format!(
                                "expected ',' or '{}' at character {}",
                                close as char, self.pos
                            ))
                        }
                    }
                }
                Ok(if open == b'(' {
                    PyVal::Tuple(items)
                } else {
                    PyVal::List(items)
                })
            }
            Some(q @ (b'\'' | b'"')) => {
                self.pos += 1;
                let start = self.pos;
                while self.pos < self.s.len() && self.s[self.pos] != q {
                    self.pos += 1;
                }
                if self.pos >= self.s.len() {
                    return Err("unterminated string".into());
                }
                let text = String::from_utf8_lossy(&self.s[start..self.pos]).into_owned();
                self.pos += 1;
                Ok(PyVal::Str(text))
            }
            Some(c) if c.is_ascii_digit() => {
                let start = self.pos;
                while self.pos < self.s.len() && self.s[self.pos].is_ascii_digit() {
                    self.pos += 1;
                }
                // Python 2 era headers may write long integers as `3L`.
                let digits = std::str::from_utf8(&self.s[start..self.pos]).expect("digits");
                if self.s.get(self.pos) == Some(&b'L') {
                    self.pos += 1;
                }
                digits
                    .parse()
                    .map(PyVal::Int)
                    .map_err(|_| format!("integer {digits} is too large"))
            }
            Some(_) => {
                let start = self.pos;
                while self.pos < self.s.len() && self.s[self.pos].is_ascii_alphabetic() {
                    self.pos += 1;
                }
                match &self.s[start..self.pos] {
                    b"True" => Ok(PyVal::Bool(true)),
                    b"False" => Ok(PyVal::Bool(false)),
                    b"None" => Ok(PyVal::None),
                    _ => Err(format!("unexpected text at character {start}")),
                }
            }
            None => Err("unexpected end of header".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_parser() {
        let d = PyParser::new("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }  ")
            .value()
            .unwrap();
        let PyVal::Dict(items) = d else { panic!() };
        assert_eq!(items[0], ("descr".into(), PyVal::Str("<f8".into())));
        assert_eq!(items[1], ("fortran_order".into(), PyVal::Bool(false)));
        assert_eq!(
            items[2],
            (
                "shape".into(),
                PyVal::Tuple(vec![PyVal::Int(3), PyVal::Int(4)])
            )
        );
        let d = PyParser::new("{'shape': (5,), 'x': [('a', '<f8')]}")
            .value()
            .unwrap();
        let PyVal::Dict(items) = d else { panic!() };
        assert_eq!(items[0].1, PyVal::Tuple(vec![PyVal::Int(5)]));
        assert!(PyParser::new("{'a': ").value().is_err());
    }

    #[test]
    fn header_is_aligned() {
        for shape in [vec![3usize, 4], vec![7], vec![123456789, 987654321]] {
            let h = header_bytes(&shape);
            assert_eq!(h.len() % 64, 0);
            assert_eq!(*h.last().unwrap(), b'\n');
        }
    }

    #[test]
    fn descr_kinds() {
        let p = Path::new("x.npy");
        assert_eq!(parse_descr(p, "<f8").unwrap(), (Kind::Float, 8, false));
        assert_eq!(parse_descr(p, ">f4").unwrap(), (Kind::Float, 4, true));
        assert_eq!(parse_descr(p, "|u1").unwrap(), (Kind::Uint, 1, false));
        assert_eq!(parse_descr(p, "|b1").unwrap(), (Kind::Bool, 1, false));
        let e = parse_descr(p, "<c16").unwrap_err().to_string();
        assert!(e.contains("complex"), "{e}");
        assert!(parse_descr(p, "|O")
            .unwrap_err()
            .to_string()
            .contains("objects"));
        assert!(parse_descr(p, "<f2")
            .unwrap_err()
            .to_string()
            .contains("half"));
    }
}
