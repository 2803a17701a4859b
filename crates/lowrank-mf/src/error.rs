//! Errors of the factorization core: what is wrong, in terms a user can act on.

/// Why a fit, a split or a prediction could not be done.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MfError {
    /// A parameter is out of its range.
    #[error("invalid {name} = {value}: expected {expected}")]
    InvalidParameter {
        /// Parameter name as the user writes it (`rank`, `reg`, ...).
        name: &'static str,
        /// The value given.
        value: String,
        /// What would be accepted.
        expected: &'static str,
    },
    /// Nothing to train on.
    #[error("the training set is empty{0}")]
    EmptyTraining(String),
    /// A split cannot be made from these ratings.
    #[error("cannot split: {0}")]
    Split(String),
    /// Training produced a non-finite value: the learning rate is too large for this data.
    #[error(
        "training diverged at epoch {epoch} ({what} became {value}); no model was written. \
         The learning rate {lr} is too large for this data: try --lr {suggest} or smaller"
    )]
    Diverged {
        /// 1-based epoch.
        epoch: usize,
        /// What became non-finite.
        what: &'static str,
        /// The offending value.
        value: f64,
        /// Learning rate in use.
        lr: f64,
        /// A smaller rate to try.
        suggest: f64,
    },
    /// The run was cancelled by its observer.
    #[error("cancelled")]
    Cancelled,
}
