//! Matrix input and output for `lowrank`.
//!
//! Readers ([`read_matrix`]) for NumPy `.npy`, delimited text (CSV, TSV, ...), Matrix Market and
//! `row column value` triplet files produce a dense [`faer::Mat`] or a sparse
//! [`CsrMatrix`], together with the SHA-256 of the file.
//! No reader holds a whole file in memory; text formats are parsed in parallel chunks; every
//! error names the file, line and column.
//! [`estimate_memory`] looks only at a file's header, so a caller can refuse a job before
//! reading it. Writers ([`write_npy`], [`write_safetensors`], [`write_atomic`]) and
//! [`OutputDir`] never leave half-written output behind.
//! [`read_ratings`] reads `user,item,rating[,timestamp]` files for the recommender, with
//! string ids numbered by [`IdMap`].

pub mod corpus;
mod delimited;
mod dense;
mod error;
pub mod image;
mod mtx;
mod npy;
mod ratings;
mod text;
mod triplets;
mod write;

use std::fmt;
use std::io::Read;
use std::path::Path;

use faer::Mat;
use lowrank_core::op::CsrMatrix;

mod mf_model;
pub use error::{IoError, NonFiniteError};
pub use mf_model::{
    read_manifest, read_model, write_model, FileEntry, ModelManifest, SavedModel, TrainingData,
    MODEL_SCHEMA,
};
pub use ratings::{
    read_id_map, read_ratings, write_id_map, DuplicateRule, IdMap, RatingsFile, RatingsOptions,
};
pub use write::{
    write_atomic, write_atomic_with, write_npy, write_npy_vec, write_safetensors,
    write_safetensors_with_metadata, OutputDir,
};

/// A matrix as read from a file: dense or sparse, as the format stores it.
#[derive(Debug, Clone)]
pub enum Matrix {
    /// Every entry stored (column-major).
    Dense(Mat<f64>),
    /// Compressed sparse rows; explicit zeros from the file are kept as stored entries.
    Sparse(CsrMatrix),
}

impl Matrix {
    /// Number of rows.
    pub fn nrows(&self) -> usize {
        match self {
            Matrix::Dense(m) => m.nrows(),
            Matrix::Sparse(s) => s.shape().0,
        }
    }

    /// Number of columns.
    pub fn ncols(&self) -> usize {
        match self {
            Matrix::Dense(m) => m.ncols(),
            Matrix::Sparse(s) => s.shape().1,
        }
    }

    /// Entries held in memory: `m·n` for dense, the stored non-zeros for sparse.
    pub fn stored_entries(&self) -> usize {
        match self {
            Matrix::Dense(m) => m.nrows() * m.ncols(),
            Matrix::Sparse(s) => s.nnz(),
        }
    }

    /// Is this the sparse variant?
    pub fn is_sparse(&self) -> bool {
        matches!(self, Matrix::Sparse(_))
    }

    /// Bytes used by the matrix's storage.
    pub fn memory_bytes(&self) -> u64 {
        match self {
            Matrix::Dense(m) => (m.nrows() * m.ncols()) as u64 * 8,
            Matrix::Sparse(s) => s.nnz() as u64 * 12 + (s.shape().0 as u64 + 1) * 8,
        }
    }
}

/// A file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// NumPy `.npy`.
    Npy,
    /// Dense delimited text: CSV, TSV, semicolon- or whitespace-separated.
    Delimited,
    /// Matrix Market `.mtx` (coordinate or array).
    MatrixMarket,
    /// `row column value` lines with arbitrary row/column ids.
    Triplets,
}

impl Format {
    /// The format implied by a file's extension (case-insensitive): `.npy`; `.csv`, `.tsv`,
    /// `.txt`, `.dat` (delimited); `.mtx`, `.mm` (Matrix Market); `.triplets`, `.coo`, `.ijv`.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "npy" => Some(Format::Npy),
            "csv" | "tsv" | "txt" | "dat" => Some(Format::Delimited),
            "mtx" | "mm" => Some(Format::MatrixMarket),
            "triplets" | "coo" | "ijv" => Some(Format::Triplets),
            _ => None,
        }
    }

    /// Parses a format name as given on a command line (case-insensitive): `npy`; `csv`,
    /// `tsv`, `delimited`; `mtx`, `mm`, `matrixmarket`; `triplets`, `coo`, `ijv`.
    pub fn parse_name(name: &str) -> Option<Format> {
        match name.to_ascii_lowercase().as_str() {
            "npy" => Some(Format::Npy),
            "csv" | "tsv" | "delimited" | "txt" => Some(Format::Delimited),
            "mtx" | "mm" | "matrixmarket" | "matrix-market" => Some(Format::MatrixMarket),
            "triplets" | "triplet" | "coo" | "ijv" => Some(Format::Triplets),
            _ => None,
        }
    }

    /// The canonical short name (`npy`, `csv`, `mtx`, `triplets`), accepted by
    /// [`Format::parse_name`].
    pub fn name(self) -> &'static str {
        match self {
            Format::Npy => "npy",
            Format::Delimited => "csv",
            Format::MatrixMarket => "mtx",
            Format::Triplets => "triplets",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether a delimited or triplet file starts with a header line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeaderMode {
    /// A header if any cell of the first line is not a number (for triplets: if the value
    /// field is not a number).
    #[default]
    Auto,
    /// The first line is a header.
    Present,
    /// There is no header.
    Absent,
}

/// How to read a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// The format; `None` = from the extension, else from the content (`.npy` magic or a
    /// Matrix Market banner).
    pub format: Option<Format>,
    /// Header line handling for delimited and triplet files.
    pub header: HeaderMode,
    /// Field delimiter for delimited and triplet files; `None` = detect (tab, semicolon,
    /// comma, else runs of whitespace). `Some(b' ')` means runs of whitespace.
    pub delimiter: Option<u8>,
    /// Parse and convert using all of rayon's threads.
    pub parallel: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            format: None,
            header: HeaderMode::Auto,
            delimiter: None,
            parallel: true,
        }
    }
}

/// A matrix read from a file, with what else the file said.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The matrix.
    pub matrix: Matrix,
    /// Row ids (triplet files), in index order.
    pub row_ids: Option<Vec<String>>,
    /// Column ids (triplet files), in index order.
    pub col_ids: Option<Vec<String>>,
    /// The header line's cells (delimited and triplet files with a header).
    pub column_names: Option<Vec<String>>,
    /// The format the file was read as.
    pub format: Format,
    /// Size of the file.
    pub bytes_read: u64,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
}

/// What a file will need in memory, from its header alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MemoryEstimate {
    /// Rows, if the header says (npy, Matrix Market) or they can be estimated (CSV).
    pub nrows: Option<usize>,
    /// Columns, if known.
    pub ncols: Option<usize>,
    /// Stored entries (exact for npy and Matrix Market general files; an estimate for
    /// delimited text and an upper bound for symmetric Matrix Market files).
    pub entries: Option<u64>,
    /// Bytes of the loaded matrix (dense `f64`, or CSR with `u32` column indices).
    pub bytes: u64,
    /// Estimated peak bytes while reading: `bytes` plus streaming buffers (no format holds the
    /// whole file) plus, for sparse files not already in CSR order, the staged triplets.
    pub peak_bytes: u64,
}

/// Resolves the format: the option, the extension, or the first bytes of the file.
fn resolve_format(path: &Path, opts: &ReadOptions, head: &[u8]) -> Result<Format, IoError> {
    if let Some(f) = opts.format {
        return Ok(f);
    }
    if head.starts_with(&[0x1f, 0x8b])
        || head.starts_with(b"BZh")
        || head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z'])
        || head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
    {
        return Err(IoError::unsupported(
            path,
            "the file is compressed (gzip, bzip2, xz or zstd); decompress it first",
        ));
    }
    if let Some(f) = Format::from_path(path) {
        return Ok(f);
    }
    if head.starts_with(b"\x93NUMPY") {
        return Ok(Format::Npy);
    }
    if head.len() >= 14 && head[..14].eq_ignore_ascii_case(b"%%MatrixMarket") {
        return Ok(Format::MatrixMarket);
    }
    Err(IoError::unsupported(
        path,
        "cannot tell the format from the file name; use the extension .npy, .csv/.tsv/.txt, \
         .mtx or .triplets, or name the format (npy, csv, mtx, triplets)",
    ))
}

/// Lower-case hex of a digest.
pub(crate) fn hex(digest: &[u8]) -> String {
    let mut s = String::with_capacity(2 * digest.len());
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// SHA-256 of a file's contents, lower-case hex (streamed; the file is not held in memory).
pub fn sha256_file(path: &Path) -> Result<String, IoError> {
    use sha2::Digest;
    let mut f = std::fs::File::open(path).map_err(|e| IoError::io(path, e))?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| IoError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// Reads a matrix file.
///
/// No format holds the file whole. `.npy` and delimited text are streamed straight into the
/// matrix through small buffers while another thread computes the SHA-256 of the file; Matrix
/// Market and triplet files are streamed in line-aligned blocks (4 MiB, two in memory at a
/// time), each hashed and the next one read while it is parsed. A general Matrix Market file
/// whose entries are sorted by row goes straight into the CSR arrays; other sparse files keep
/// their `(row, column, value)` triplets (`u32`, `u32`, `f64`) until they are sorted into CSR.
/// Text is parsed in parallel chunks when `opts.parallel`.
///
/// Dense formats (`.npy`, delimited text, Matrix Market `array`) give [`Matrix::Dense`];
/// Matrix Market `coordinate` and triplet files give [`Matrix::Sparse`]. Missing values in
/// delimited text (empty cells, `NA`, `NaN`) are read as NaN: use [`check_finite`] to refuse
/// them.
pub fn read_matrix(path: &Path, opts: &ReadOptions) -> Result<Loaded, IoError> {
    let (head, file_len) = read_prefix(path, 16)?;
    let format = resolve_format(path, opts, &head)?;
    if matches!(format, Format::Npy | Format::Delimited) {
        // Dense formats stream the file straight into the matrix, never holding it whole;
        // another thread hashes the file.
        let parse = || -> Result<(Mat<f64>, Option<Vec<String>>), IoError> {
            match format {
                Format::Npy => Ok((npy::read_path(path, opts.parallel)?, None)),
                _ => delimited::read_path(path, opts),
            }
        };
        let (sha256, parsed) = if opts.parallel {
            rayon::join(|| sha256_file(path), parse)
        } else {
            (sha256_file(path), parse())
        };
        let (mat, column_names) = parsed?;
        return Ok(Loaded {
            matrix: Matrix::Dense(mat),
            row_ids: None,
            col_ids: None,
            column_names,
            format,
            bytes_read: file_len,
            sha256: sha256?,
        });
    }
    // Sparse formats stream the file in blocks, hashing it on the way.
    let mut loaded = Loaded {
        matrix: Matrix::Dense(Mat::zeros(0, 0)),
        row_ids: None,
        col_ids: None,
        column_names: None,
        format,
        bytes_read: file_len,
        sha256: String::new(),
    };
    match format {
        Format::Npy | Format::Delimited => unreachable!("streamed above"),
        Format::MatrixMarket => {
            let (matrix, sha256) = mtx::read_path(path, opts.parallel)?;
            loaded.matrix = match matrix {
                mtx::MtxMatrix::Sparse(s) => Matrix::Sparse(s),
                mtx::MtxMatrix::Dense(d) => Matrix::Dense(d),
            };
            loaded.sha256 = sha256;
        }
        Format::Triplets => {
            let (t, sha256) = triplets::read_path(path, opts)?;
            loaded.matrix = Matrix::Sparse(t.matrix);
            loaded.row_ids = Some(t.row_ids);
            loaded.col_ids = Some(t.col_ids);
            loaded.column_names = t.header;
            loaded.sha256 = sha256;
        }
    }
    Ok(loaded)
}

/// Sets the block size used to stream text files (delimited text: default 32 MiB; Matrix
/// Market and triplets: default 4 MiB). For tests that need many blocks from small files; not
/// part of the stable API.
#[doc(hidden)]
pub fn __set_text_block_bytes(n: usize) {
    delimited::set_block_bytes(n);
    text::set_stream_block_bytes(n);
}

/// Reads exactly `buf.len()` bytes at `offset` (positioned read; the file cursor is untouched
/// on Unix).
#[cfg(unix)]
pub(crate) fn read_exact_at(f: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, buf, offset)
}

/// Reads exactly `buf.len()` bytes at `offset`.
#[cfg(not(unix))]
pub(crate) fn read_exact_at(
    mut f: &std::fs::File,
    buf: &mut [u8],
    offset: u64,
) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom};
    f.seek(SeekFrom::Start(offset))?;
    f.read_exact(buf)
}

/// Reads up to `max` bytes from the start of a file.
fn read_prefix(path: &Path, max: usize) -> Result<(Vec<u8>, u64), IoError> {
    let f = std::fs::File::open(path).map_err(|e| IoError::io(path, e))?;
    let len = f.metadata().map_err(|e| IoError::io(path, e))?.len();
    let mut buf = Vec::with_capacity(max.min(len as usize));
    f.take(max as u64)
        .read_to_end(&mut buf)
        .map_err(|e| IoError::io(path, e))?;
    Ok((buf, len))
}

/// Reads a dense `.npy` array (a factor or a model part written by `lowrank`), sequentially:
/// these files are small, and several are read at once by servers.
///
/// # Errors
/// An unreadable or malformed file.
pub fn read_dense_npy(path: &Path) -> Result<Mat<f64>, IoError> {
    let opts = ReadOptions {
        format: Some(Format::Npy),
        parallel: false,
        ..ReadOptions::default()
    };
    match read_matrix(path, &opts)?.matrix {
        Matrix::Dense(d) => Ok(d),
        // `.npy` files are always read densely; kept for exhaustiveness.
        Matrix::Sparse(_) => Err(IoError::Format {
            path: path.to_path_buf(),
            line: None,
            column: None,
            byte_offset: None,
            message: "not a dense array".into(),
        }),
    }
}

/// Reads a 1-D `.npy` array, or a 2-D one with a single row or column, as a vector.
///
/// # Errors
/// As [`read_dense_npy`], or an array that is not a vector (its shape is named).
pub fn read_npy_vector(path: &Path) -> Result<Vec<f64>, IoError> {
    let m = read_dense_npy(path)?;
    if m.ncols() != 1 && m.nrows() != 1 {
        return Err(IoError::Format {
            path: path.to_path_buf(),
            line: None,
            column: None,
            byte_offset: None,
            message: format!("shape {}x{}, expected a vector", m.nrows(), m.ncols()),
        });
    }
    Ok(if m.ncols() == 1 {
        m.col(0).iter().copied().collect()
    } else {
        m.row(0).iter().copied().collect()
    })
}

/// Estimates the memory a file will need once loaded, from its header alone (the `.npy`
/// header, the Matrix Market size line, or the first lines of a delimited file scaled to the
/// file size), without reading the body.
pub fn estimate_memory(path: &Path, opts: &ReadOptions) -> Result<MemoryEstimate, IoError> {
    let (head, file_len) = read_prefix(path, 1 << 20)?;
    let format = resolve_format(path, opts, &head[..head.len().min(16)])?;
    let est = match format {
        Format::Npy => {
            let h = npy::read_header_only(path)?;
            let (m, n) = h.dims();
            let entries = (m as u64).saturating_mul(n as u64);
            let bytes = entries.saturating_mul(8);
            MemoryEstimate {
                nrows: Some(m),
                ncols: Some(n),
                entries: Some(entries),
                bytes,
                // The data is streamed through a small buffer.
                peak_bytes: bytes.saturating_add(16 << 20),
            }
        }
        Format::MatrixMarket => {
            let file = std::fs::File::open(path).map_err(|e| IoError::io(path, e))?;
            let stream = text::Stream {
                path,
                file: &file,
                len: file_len,
                parallel: opts.parallel,
            };
            // The header only (more than `head` if the comments are long, never the body).
            let (head, h) = mtx::read_header(&stream)?;
            let stream_bytes = mtx::streaming_bytes(&h, file_len);
            match h.layout {
                mtx::Layout::Coordinate => {
                    let mirrored = h.symmetry != mtx::Symmetry::General;
                    let entries = if mirrored {
                        h.entries.saturating_mul(2)
                    } else {
                        h.entries
                    };
                    let bytes = entries
                        .saturating_mul(12)
                        .saturating_add((h.nrows as u64 + 1) * 8);
                    // A general file in row order is read straight into the CSR arrays; others
                    // (judged from the entries in the header's prefix) keep (u32, u32, f64)
                    // triplets and row counts while the CSR arrays are built.
                    let staging = if !mirrored && mtx::prefix_in_row_order(&head, &h) {
                        0
                    } else {
                        h.entries
                            .saturating_mul(16)
                            .saturating_add((h.nrows as u64 + 1) * 16)
                    };
                    MemoryEstimate {
                        nrows: Some(h.nrows),
                        ncols: Some(h.ncols),
                        entries: Some(entries),
                        bytes,
                        peak_bytes: bytes.saturating_add(staging).saturating_add(stream_bytes),
                    }
                }
                mtx::Layout::Array => {
                    let entries = (h.nrows as u64).saturating_mul(h.ncols as u64);
                    let bytes = entries.saturating_mul(8);
                    MemoryEstimate {
                        nrows: Some(h.nrows),
                        ncols: Some(h.ncols),
                        entries: Some(entries),
                        bytes,
                        // Values go straight into the matrix.
                        peak_bytes: bytes.saturating_add(stream_bytes),
                    }
                }
            }
        }
        Format::Delimited => {
            let mut head = head;
            let mut lay = delimited::layout(path, &head, opts)?;
            let cut = |head: &[u8], lay: &delimited::Layout| {
                lay.first_data
                    .is_some_and(|o| memchr::memchr(b'\n', &head[o..]).is_none())
            };
            if (head.len() as u64) < file_len && cut(&head, &lay) {
                // Lines longer than the prefix (very wide files): look further.
                head = read_prefix(path, 64 << 20)?.0;
                lay = delimited::layout(path, &head, opts)?;
            }
            // Average data-line length over the complete lines of the sample.
            let mut lines = 0u64;
            let mut sampled_bytes = 0u64;
            let mut pos = lay.first_data.unwrap_or(head.len());
            while pos < head.len() && lines < 10_000 {
                match memchr::memchr(b'\n', &head[pos..]) {
                    Some(p) => {
                        lines += 1;
                        sampled_bytes += p as u64 + 1;
                        pos += p + 1;
                    }
                    None => {
                        if head.len() as u64 == file_len {
                            lines += 1;
                            sampled_bytes += (head.len() - pos) as u64;
                        }
                        break;
                    }
                }
            }
            let body = file_len.saturating_sub(lay.body_start as u64);
            let rows = if lines == 0 {
                0
            } else if head.len() as u64 == file_len {
                // The whole file was sampled: count the data lines exactly (blank lines too,
                // so this is an upper bound).
                lines
            } else {
                body.div_ceil((sampled_bytes / lines).max(1))
            };
            let entries = rows.saturating_mul(lay.ncols as u64);
            let bytes = entries.saturating_mul(8);
            MemoryEstimate {
                nrows: usize::try_from(rows).ok(),
                ncols: Some(lay.ncols),
                entries: Some(entries),
                bytes,
                // The matrix plus two 32 MiB streaming buffers.
                peak_bytes: bytes.saturating_add(64 << 20),
            }
        }
        Format::Triplets => {
            // Roughly one entry per 12 bytes of text is a safe over-estimate for typical files.
            let entries = file_len / 12 + 1;
            let bytes = entries.saturating_mul(12);
            // The file is streamed (two blocks and the parsed entries of one: 24 bytes per entry);
            // (u32, u32, f64) triplets are kept until sorted into CSR; the distinct ids are
            // copied (allow half the text for them).
            let block = (text::stream_block_bytes() as u64).min(file_len);
            let stream_bytes = block.saturating_mul(2).saturating_add(block / 12 * 24);
            MemoryEstimate {
                nrows: None,
                ncols: None,
                entries: Some(entries),
                bytes,
                peak_bytes: bytes
                    .saturating_add(entries.saturating_mul(16))
                    .saturating_add(file_len / 2)
                    .saturating_add(stream_bytes),
            }
        }
    };
    Ok(est)
}

/// Checks that every stored entry is finite.
///
/// Returns the number of NaN and infinite entries and the first one in row-major order.
pub fn check_finite(m: &Matrix) -> Result<(), NonFiniteError> {
    match m {
        Matrix::Dense(d) => match dense::non_finite(d.as_ref()) {
            None => Ok(()),
            Some((count, first_row, first_col, first_value)) => Err(NonFiniteError {
                count,
                first_row,
                first_col,
                first_value,
            }),
        },
        Matrix::Sparse(s) => {
            let vals = s.values();
            let count = vals.iter().filter(|v| !v.is_finite()).count() as u64;
            if count == 0 {
                return Ok(());
            }
            let k = vals.iter().position(|v| !v.is_finite()).expect("count > 0");
            let row = s.row_ptr().partition_point(|&p| p <= k) - 1;
            Err(NonFiniteError {
                count,
                first_row: row,
                first_col: s.col_idx()[k] as usize,
                first_value: vals[k],
            })
        }
    }
}
