//! The core's one error type.

use crate::op::OpError;

/// Why a decomposition could not be computed. Every variant says what is wrong with numbers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SvdError {
    /// A parameter is outside its documented range.
    #[error("invalid {name} = {value}: expected {expected}")]
    InvalidParameter {
        /// Parameter name as the user knows it.
        name: &'static str,
        /// The value given.
        value: String,
        /// What is allowed.
        expected: String,
    },
    /// The requested rank exceeds `min(m, n)`.
    #[error(
        "rank {requested} is larger than min(rows, columns) = {max} of the {nrows}x{ncols} matrix"
    )]
    RankTooLarge {
        /// Requested rank.
        requested: usize,
        /// Largest possible rank.
        max: usize,
        /// Rows.
        nrows: usize,
        /// Columns.
        ncols: usize,
    },
    /// The matrix has no rows or no columns.
    #[error("the matrix is empty ({nrows}x{ncols}): there is nothing to decompose")]
    EmptyMatrix {
        /// Rows.
        nrows: usize,
        /// Columns.
        ncols: usize,
    },
    /// An iterative solver did not reach its tolerance.
    #[error(
        "no convergence after {iterations} iterations: largest relative residual {max_residual:.3e} \
         (tolerance {tolerance:.1e}); allow more restarts (--max-restarts) or a looser --tol"
    )]
    NoConvergence {
        /// Iterations (restarts) performed.
        iterations: usize,
        /// Largest residual reached, relative to σ₁.
        max_residual: f64,
        /// Tolerance asked for.
        tolerance: f64,
    },
    /// The job would need more memory than allowed.
    #[error(
        "this job needs an estimated {needed} of memory, above the limit of {limit}; \
         lower the rank, use a truncated method, or raise --max-memory"
    )]
    WouldExceedMemory {
        /// Estimated need, human readable.
        needed: crate::memory::Bytes,
        /// Limit, human readable.
        limit: crate::memory::Bytes,
    },
    /// The dense SVD kernel failed (it does not converge on NaN input, for instance).
    #[error("the dense SVD kernel did not converge (does the matrix contain NaN or Inf?)")]
    DenseKernel,
    /// A non-finite value appeared during the computation.
    #[error(
        "a non-finite value appeared during {phase}; the input may contain NaN/Inf or overflow"
    )]
    NonFinite {
        /// Where it appeared.
        phase: &'static str,
    },
    /// The observer asked to stop.
    #[error("cancelled")]
    Cancelled,
    /// An operator product failed.
    #[error(transparent)]
    Operator(#[from] OpError),
}
