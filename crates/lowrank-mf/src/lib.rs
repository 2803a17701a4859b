//! Regularized matrix factorization for recommenders — the matrix-completion side of lowrank.
//!
//! A ratings matrix has missing entries, so a plain SVD does not apply, and an unregularized
//! low-rank fit memorises the training ratings. This crate fits models that generalise:
//!
//! * [`ModelKind::Baseline`]: global mean + regularized user and item biases;
//! * [`ModelKind::BiasedMf`]: biases + `p_u·q_i`, by parallel block SGD or by ALS;
//! * [`ModelKind::SvdPp`]: biased MF plus the implicit signal of which items a user rated;
//! * [`ModelKind::ImplicitAls`]: confidence-weighted factorization of clicks/plays, solved by
//!   ALS with conjugate gradients, evaluated with ranking metrics;
//! * [`ModelKind::BayesMf`]: Bayesian biased MF by Gibbs sampling (BPMF), whose prediction
//!   averages posterior samples; stored as an ordinary factor model of rank `samples × k`.
//!
//! Training ([`fit`]) reports train and validation error per epoch, stops early with
//! patience and keeps the best epoch; [`cross_validate`] picks rank, regularization and the
//! epoch count on held-out folds. No I/O here: files and artifacts live in `lowrank-io` and
//! the CLI.
//!
//! ```
//! use lowrank_mf::{fit, Hyper, ModelKind, Ratings};
//! // Two users, three items.
//! let r = Ratings::new(vec![0, 0, 1, 1], vec![0, 1, 1, 2], vec![5.0, 3.0, 4.0, 1.0], None, 2, 3)?;
//! let hyper = Hyper { model: ModelKind::BiasedMf, rank: 2, epochs: 20, ..Hyper::default() };
//! let (model, summary) = fit(&r, None, &hyper, &mut |_| true)?;
//! assert_eq!(summary.history.len(), 20);
//! let (pred, _) = model.predict(0, 2);
//! assert!(pred.is_finite());
//! # Ok::<(), lowrank_mf::MfError>(())
//! ```

mod bayes;
mod cv;
mod data;
mod error;
mod linalg;
mod metrics;
mod model;
mod recommend;
mod split;
mod train;

pub use cv::{cross_validate, CvResult};
pub use data::{Index, Ratings};
pub use error::MfError;
pub use metrics::{ranking_metrics, rmse_mae, RankingMetrics};
pub use model::{Basis, Hyper, Model, ModelKind, Solver};
pub use recommend::{similar_items, top_n};
pub use split::{k_folds, split, Split, SplitKind};
pub use train::{fit, EpochStats, FitSummary};
