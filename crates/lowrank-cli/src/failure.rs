//! Failures and their exit codes (documented in `lowrank --help`).

use lowrank_core::SvdError;
use lowrank_io::{IoError, NonFiniteError};
use std::fmt::Write;

/// A failed command: what to print and which exit code to return.
#[derive(Debug)]
pub(crate) struct Failure {
    code: u8,
    error: anyhow::Error,
}

pub(crate) const USAGE: u8 = 2;
pub(crate) const INPUT: u8 = 3;
pub(crate) const REFUSED: u8 = 4;
pub(crate) const NUMERICAL: u8 = 5;
pub(crate) const OUTPUT: u8 = 6;
/// `lowrank drift`: the change between two decompositions exceeds a threshold.
pub(crate) const DRIFT: u8 = 7;
pub(crate) const INTERNAL: u8 = 1;

impl Failure {
    pub(crate) fn new(code: u8, error: anyhow::Error) -> Self {
        Self { code, error }
    }
    pub(crate) fn usage(msg: impl Into<String>) -> Self {
        Self::new(USAGE, anyhow::anyhow!(msg.into()))
    }
    pub(crate) fn refused(msg: impl Into<String>) -> Self {
        Self::new(REFUSED, anyhow::anyhow!(msg.into()))
    }
    /// Writing results failed.
    pub(crate) fn output(error: lowrank_io::IoError) -> Self {
        let code = match error {
            IoError::OutputExists { .. } => REFUSED,
            _ => OUTPUT,
        };
        Self::new(code, error.into())
    }
    pub(crate) fn internal(error: anyhow::Error) -> Self {
        Self::new(INTERNAL, error)
    }
    pub(crate) fn code(&self) -> u8 {
        self.code
    }
    /// The error and its context chain, outermost first.
    pub(crate) fn message(&self) -> String {
        let mut s = self.error.to_string();
        for cause in self.error.chain().skip(1) {
            let c = cause.to_string();
            if !s.contains(&c) {
                let _ = write!(s, ": {c}");
            }
        }
        s
    }
    pub(crate) fn is_broken_pipe(&self) -> bool {
        self.error.chain().any(|c| {
            c.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
        })
    }
}

impl From<IoError> for Failure {
    fn from(e: IoError) -> Self {
        let code = match e {
            IoError::OutputExists { .. } => REFUSED,
            _ => INPUT,
        };
        Self::new(code, e.into())
    }
}

impl From<SvdError> for Failure {
    fn from(e: SvdError) -> Self {
        let code = match e {
            SvdError::InvalidParameter { .. } | SvdError::RankTooLarge { .. } => USAGE,
            SvdError::EmptyMatrix { .. } => INPUT,
            SvdError::WouldExceedMemory { .. } => REFUSED,
            SvdError::NoConvergence { .. } | SvdError::DenseKernel | SvdError::NonFinite { .. } => {
                NUMERICAL
            }
            _ => INTERNAL,
        };
        Self::new(code, e.into())
    }
}

/// NaN/Inf in the input, with the hint that NaNs usually mean missing values.
pub(crate) fn non_finite(path: &std::path::Path, e: NonFiniteError) -> Failure {
    let hint = if e.first_value.is_nan() {
        "\nIf NaN (or empty cells) mark missing values, impute them first, or — for ratings with \
         missing entries — fit a regularized factorization to the observed entries only \
         (`lowrank mf fit`)."
    } else {
        "\nInfinite values cannot be decomposed; check the data for overflow or division by zero."
    };
    Failure::new(INPUT, anyhow::anyhow!("{}: {e}{hint}", path.display()))
}
