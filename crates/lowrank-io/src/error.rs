//! Error types: every error names the file and, where it can, the line, column and byte offset.

use std::fmt;
use std::path::{Path, PathBuf};

use lowrank_core::op::SparseBuildError;

/// Why reading or writing a matrix failed.
///
/// The `Display` form is meant for users: it starts with the file and the position in it,
/// e.g. `data.csv:12:3: cannot parse 'abc' as a number` (path, 1-based line, 1-based field) or
/// `x.npy: byte 80: ...`, then says what is wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IoError {
    /// The operating system refused an operation (open, read, write, rename, ...).
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file's content is malformed.
    #[error("{}", format_location(path, *line, *column, *byte_offset, message))]
    Format {
        /// The file.
        path: PathBuf,
        /// 1-based line, for text formats.
        line: Option<u64>,
        /// 1-based column: the field number within the line for delimited text formats.
        column: Option<u64>,
        /// 0-based byte offset in the file, where known (always given for binary formats).
        byte_offset: Option<u64>,
        /// What is wrong.
        message: String,
    },
    /// The file is well formed but uses a feature this reader does not support.
    #[error("{}: unsupported: {message}", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What is not supported.
        message: String,
    },
    /// The output already exists and replacing it was not allowed.
    #[error("{} already exists (refusing to overwrite it without --force)", path.display())]
    OutputExists {
        /// The existing output.
        path: PathBuf,
    },
    /// The entries read could not form a sparse matrix.
    #[error("{}: {source}", path.display())]
    Sparse {
        /// The file.
        path: PathBuf,
        /// Why the sparse matrix could not be built.
        #[source]
        source: SparseBuildError,
    },
    /// The matrix holds NaN or infinite entries.
    #[error(transparent)]
    NonFinite(#[from] NonFiniteError),
    /// A value could not be serialized (for example two safetensors with the same name).
    #[error("{}: {message}", path.display())]
    Serialize {
        /// The output file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl IoError {
    /// The file this error is about, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            IoError::Io { path, .. }
            | IoError::Format { path, .. }
            | IoError::Unsupported { path, .. }
            | IoError::OutputExists { path }
            | IoError::Sparse { path, .. }
            | IoError::Serialize { path, .. } => Some(path),
            IoError::NonFinite(_) => None,
        }
    }

    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        IoError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn unsupported(path: &Path, message: impl Into<String>) -> Self {
        IoError::Unsupported {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }

    /// A format error at a byte offset, with no line information (binary formats).
    pub(crate) fn at_byte(path: &Path, byte_offset: u64, message: impl Into<String>) -> Self {
        IoError::Format {
            path: path.to_path_buf(),
            line: None,
            column: None,
            byte_offset: Some(byte_offset),
            message: message.into(),
        }
    }

    /// A format error in a text file.
    pub(crate) fn at_line(
        path: &Path,
        line: u64,
        column: Option<u64>,
        byte_offset: Option<u64>,
        message: impl Into<String>,
    ) -> Self {
        IoError::Format {
            path: path.to_path_buf(),
            line: Some(line),
            column,
            byte_offset,
            message: message.into(),
        }
    }

    /// A format error about the whole file.
    pub(crate) fn format(path: &Path, message: impl Into<String>) -> Self {
        IoError::Format {
            path: path.to_path_buf(),
            line: None,
            column: None,
            byte_offset: None,
            message: message.into(),
        }
    }
}

fn format_location(
    path: &Path,
    line: Option<u64>,
    column: Option<u64>,
    byte_offset: Option<u64>,
    message: &str,
) -> String {
    let mut s = path.display().to_string();
    match (line, column) {
        (Some(l), Some(c)) => s.push_str(&format!(":{l}:{c}")),
        (Some(l), None) => s.push_str(&format!(":{l}")),
        (None, _) => {
            if let Some(b) = byte_offset {
                s.push_str(&format!(": byte {b}"));
            }
        }
    }
    s.push_str(": ");
    s.push_str(message);
    s
}

/// A matrix holds NaN or infinite entries (see [`crate::check_finite`]).
///
/// Positions are 0-based in the fields and 1-based in the `Display` form:
/// `the matrix has 3 non-finite entries (first: NaN at row 4, column 2, 1-based)`.
/// "First" is in row-major (reading) order.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub struct NonFiniteError {
    /// How many entries are NaN or ±∞.
    pub count: u64,
    /// Row of the first one (0-based).
    pub first_row: usize,
    /// Column of the first one (0-based).
    pub first_col: usize,
    /// Its value (NaN, inf or -inf).
    pub first_value: f64,
}

impl fmt::Display for NonFiniteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.first_value.is_nan() {
            "NaN"
        } else if self.first_value > 0.0 {
            "inf"
        } else {
            "-inf"
        };
        let noun = if self.count == 1 { "entry" } else { "entries" };
        write!(
            f,
            "the matrix has {} non-finite {noun} (first: {what} at row {}, column {}, 1-based)",
            self.count,
            self.first_row + 1,
            self.first_col + 1
        )
    }
}
