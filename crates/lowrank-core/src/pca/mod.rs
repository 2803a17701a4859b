//! Principal component analysis on top of the truncated SVD.
//!
//! [`fit`] centres the data by its column means — implicitly, through [`Centered`], so a sparse
//! matrix is never densified — optionally scales every column to unit variance (through
//! [`ColumnScaled`]), and takes a truncated SVD of the result: the right singular vectors are
//! the principal axes, `σᵢ²/(n_samples − 1)` the explained variances (scikit-learn's
//! denominator).
//!
//! # Conventions
//! - **Explained variance ratio** is relative to the total variance of *all* components,
//!   `Σⱼ varⱼ = ‖A_c‖_F²/(n_samples − 1)`, computed from the column statistics (not from the
//!   kept components only), so it is comparable across choices of `k`.
//! - **Scaling** (`scale = true`) divides every centred column by its standard deviation with
//!   the `n_samples` denominator (scikit-learn's `StandardScaler`, `ddof = 0`); a constant column
//!   cannot be scaled and is an error naming it ([`PcaError::ConstantColumn`]).
//! - **Signs**: every axis (row of [`PcaModel::components`]) has its entry of largest magnitude
//!   positive (the first such entry on ties); the training scores flip with it.
//! - **Whitening** divides each coordinate by `sqrt(explained_variance)`, so the training
//!   coordinates have unit variance (`n − 1` denominator); a component with zero variance gives
//!   zero coordinates instead of a division by zero.
//! - [`ComponentSpec::Auto`] keeps the smallest number of components whose cumulative ratio
//!   reaches [`AUTO_VARIANCE_RATIO`] (0.95), at most [`AUTO_MAX_COMPONENTS`]; when the cap is
//!   hit first the SVD's notes say so.
//!
//! ```
//! use faer::Mat;
//! use lowrank_core::pca::{fit, ComponentSpec, PcaParams};
//!
//! // Points on the line y = 2x (plus an offset): one component explains everything.
//! let x = Mat::<f64>::from_fn(5, 2, |i, j| (i as f64) * (j as f64 + 1.0) + 10.0);
//! let params = PcaParams { components: ComponentSpec::Count(1), ..PcaParams::default() };
//! let model = fit(&lowrank_core::op::DenseOp::new(x.as_ref()), &params).unwrap();
//! assert!((model.mean[0] - 12.0).abs() < 1e-12);
//! assert!((model.explained_variance_ratio[0] - 1.0).abs() < 1e-12);
//! let coords = model.transform(x.as_ref()).unwrap();
//! let back = model.inverse_transform(coords.as_ref()).unwrap();
//! assert!((back[(4, 1)] - x[(4, 1)]).abs() < 1e-12);
//! ```

mod covariance;

use crate::certificate::{certify, certify_with_av, certify_with_products, Certificate};
use crate::memory::Bytes;
use crate::op::{shift_is_small, Centered, ColumnScaled, LinearOperator, OpError, StorageKind};
use crate::svd::gram_block;
use crate::svd::linalg::lane_sum;
use crate::svd::{compute, Method, RankSpec, SolveInfo, SvdOutput, SvdParams, Vectors};
use crate::{NoObserver, Observer, SvdError};
use faer::{Mat, MatMut, MatRef, Par};
use std::time::Instant;

/// Cumulative explained variance ratio [`ComponentSpec::Auto`] aims for.
pub const AUTO_VARIANCE_RATIO: f64 = 0.95;
/// Most components [`ComponentSpec::Auto`] keeps.
pub const AUTO_MAX_COMPONENTS: usize = 100;

/// How many components to keep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ComponentSpec {
    /// Exactly `k` (`1 ≤ k ≤ min(n_samples, n_features)`).
    Count(usize),
    /// The smallest `k` whose cumulative explained variance ratio is at least this, in `(0, 1]`.
    VarianceRatio(f64),
    /// `VarianceRatio(AUTO_VARIANCE_RATIO)` with at most [`AUTO_MAX_COMPONENTS`] components.
    Auto,
}

/// Basis columns beyond the wanted components that `auto` requires of the budget before it
/// tries block Lanczos: W5's 50 components need 96 columns in all.
const AUTO_LANCZOS_ROOM: usize = 64;
/// The lanczos solver's least basis cap (otherwise `4k`) before it hands over to the svd solver.
const LANCZOS_MIN_CAP: usize = 256;

/// Features up to which [`PcaSolver::Auto`] uses the covariance (scikit-learn's threshold):
/// forming and eigendecomposing an `n × n` matrix costs `O(m·n² + n³)`, cheaper than an SVD of
/// the data only while `n` is small.
pub const COVARIANCE_MAX_FEATURES: usize = 1000;
/// Samples per feature from which [`PcaSolver::Auto`] uses the covariance (scikit-learn's rule).
pub const COVARIANCE_MIN_ASPECT: usize = 10;

/// How the principal axes are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PcaSolver {
    /// On dense input with `n_features ≤ 1000` and `n_samples ≥ 10·n_features` when the SVD
    /// method is `auto` (scikit-learn's `covariance_eigh` rule): [`PcaSolver::Lanczos`] with a
    /// budget of about half the covariance's flops (a basis of `n_features/8` columns to the
    /// nearest block of 16), when the components and 64 columns more fit in it and the
    /// features are not scaled, and
    /// [`PcaSolver::Covariance`] if it does not converge within that budget (or does not fit).
    /// Block Lanczos converges in a few passes when the spectrum has a gap after the wanted
    /// components (a signal plus noise), which is not known before it runs; the budget bounds
    /// what a miss costs. Otherwise [`PcaSolver::Svd`].
    #[default]
    Auto,
    /// Block Lanczos on the covariance operator `A_cᵀA_c`, never formed: on dense input each
    /// step is one pass over `A` with a block of 16 vectors, centring each row block as it is
    /// read (two products per step with `scale` or on sparse input), and keeps its products,
    /// so σ, `U` and the certificate need no further pass (see `svd::gram_block`). Fast when the spectrum has a gap after the wanted components (a
    /// signal plus noise); when it does not converge within `max(4k, 256)` basis columns (`k`
    /// at most 100 for a rank by variance) the
    /// [`PcaSolver::Svd`] solver runs instead, with a note.
    Lanczos,
    /// Eigendecomposition of the covariance `A_cᵀA_c` (formed in one pass over `A`), then one
    /// Rayleigh–Ritz step on `A_c` so the singular values come from `A`, not from their
    /// squares. Dense input only; costs about half a GEMM of `A` with itself.
    Covariance,
    /// The SVD of the implicitly centred operator, by `svd.method`.
    Svd,
}

impl PcaSolver {
    /// Lower-case name used in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            PcaSolver::Auto => "auto",
            PcaSolver::Lanczos => "lanczos",
            PcaSolver::Covariance => "covariance",
            PcaSolver::Svd => "svd",
        }
    }
}

/// Everything that controls a PCA fit.
#[derive(Debug, Clone)]
pub struct PcaParams {
    /// How many components.
    pub components: ComponentSpec,
    /// Scale every column to unit variance (`ddof = 0`) after centring.
    pub scale: bool,
    /// Whiten the coordinates (unit variance per component).
    pub whiten: bool,
    /// Covariance eigendecomposition or SVD.
    pub solver: PcaSolver,
    /// The SVD behind it (method, tolerance, seed, parallelism, memory limit). Its `rank` and
    /// `vectors` fields are set by [`fit`].
    pub svd: SvdParams,
}

impl Default for PcaParams {
    fn default() -> Self {
        Self {
            components: ComponentSpec::Auto,
            scale: false,
            whiten: false,
            solver: PcaSolver::Auto,
            svd: SvdParams::default(),
        }
    }
}

/// Why a PCA could not be fitted or applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PcaError {
    /// Fewer than two samples: a variance needs at least two.
    #[error(
        "PCA needs at least 2 samples (rows) to estimate a variance; the input has {n_samples}"
    )]
    TooFewSamples {
        /// Rows of the input.
        n_samples: usize,
    },
    /// More components than `min(n_samples, n_features)`.
    #[error(
        "{requested} components requested, but a {n_samples}x{n_features} input has at most \
         min(n_samples, n_features) = {max}"
    )]
    TooManyComponents {
        /// Requested.
        requested: usize,
        /// Largest possible.
        max: usize,
        /// Rows.
        n_samples: usize,
        /// Columns.
        n_features: usize,
    },
    /// A parameter is outside its documented range.
    #[error("invalid {name} = {value}: expected {expected}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// Value given.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },
    /// Scaling asked for, but a column is constant (zero variance).
    #[error(
        "column {column} (0-based) is constant (every value is {value}): it has no variance to \
         scale to 1; drop the column or fit without scaling"
    )]
    ConstantColumn {
        /// 0-based column index.
        column: usize,
        /// Its (mean) value.
        value: f64,
    },
    /// New rows have a different number of features (or coordinates) than the model.
    #[error("{what} have {got} columns, but the model expects {expected}")]
    ShapeMismatch {
        /// What was passed ("rows", "coordinates").
        what: &'static str,
        /// Columns given.
        got: usize,
        /// Columns expected.
        expected: usize,
    },
    /// The model's parts do not fit together.
    #[error("inconsistent PCA model: {0}")]
    InconsistentModel(String),
    /// The SVD failed.
    #[error(transparent)]
    Svd(#[from] SvdError),
}

impl From<OpError> for PcaError {
    fn from(e: OpError) -> Self {
        PcaError::Svd(SvdError::Operator(e))
    }
}

/// A fitted PCA: everything needed to project new rows and to map coordinates back.
#[derive(Debug, Clone)]
pub struct PcaModel {
    /// Rows of the training data.
    pub n_samples: usize,
    /// Columns of the training data.
    pub n_features: usize,
    /// Principal axes as rows (`k × n_features`), orthonormal.
    pub components: Mat<f64>,
    /// Singular values of the centred (and scaled) training matrix, descending.
    pub singular_values: Vec<f64>,
    /// `σᵢ² / (n_samples − 1)` per component.
    pub explained_variance: Vec<f64>,
    /// `explained_variance / total_variance` per component.
    pub explained_variance_ratio: Vec<f64>,
    /// Total variance of all components, `Σⱼ varⱼ` (`n − 1` denominator) of the centred (and
    /// scaled) data.
    pub total_variance: f64,
    /// Column means subtracted.
    pub mean: Vec<f64>,
    /// Column standard deviations divided by (`ddof = 0`), when scaling.
    pub scale: Option<Vec<f64>>,
    /// Whether coordinates are whitened.
    pub whiten: bool,
    /// Average variance of the discarded components (scikit-learn's `noise_variance_`):
    /// `(total − Σ kept)/(min(n_samples, n_features) − k)`, zero when nothing is discarded.
    pub noise_variance: f64,
}

/// A fit and how it went: the model, the SVD's solve information and certificate (measured on
/// the centred, scaled operator), and the training coordinates.
#[derive(Debug, Clone)]
pub struct PcaFit {
    /// The model.
    pub model: PcaModel,
    /// How the SVD was computed.
    pub info: SolveInfo,
    /// Quality figures of the SVD of the centred (and scaled) matrix.
    pub certificate: Option<Certificate>,
    /// Coordinates of the training rows (`n_samples × k`), whitened when the model whitens;
    /// equal to `model.transform(training rows)` up to rounding.
    pub scores: Mat<f64>,
    /// The solver that ran ([`PcaSolver::Covariance`], [`PcaSolver::Lanczos`] or
    /// [`PcaSolver::Svd`]; never `Auto`).
    pub solver: PcaSolver,
}

/// Fits a PCA to the rows of `op` (samples × features). See [`fit_with`].
///
/// # Errors
/// As [`fit_with`].
pub fn fit(op: &dyn LinearOperator, params: &PcaParams) -> Result<PcaModel, PcaError> {
    Ok(fit_with(op, params, &mut NoObserver)?.model)
}

/// Fits a PCA to the rows of `op`, reporting progress to `observer`.
///
/// Cost: one pass for the column means, one for the column variances (free for dense and
/// sparse storage, which know their column norms), then the truncated SVD of the implicitly
/// centred operator and its certificate.
///
/// # Errors
/// Fewer than two samples, an empty matrix, more components than `min(n_samples, n_features)`,
/// a variance ratio outside `(0, 1]`, a constant column with `scale`, or any SVD failure.
pub fn fit_with(
    op: &dyn LinearOperator,
    params: &PcaParams,
    observer: &mut dyn Observer,
) -> Result<PcaFit, PcaError> {
    let (m, n) = (op.nrows(), op.ncols());
    if m < 2 {
        return Err(PcaError::TooFewSamples { n_samples: m });
    }
    if n == 0 {
        return Err(SvdError::EmptyMatrix { nrows: m, ncols: n }.into());
    }
    let min_dim = m.min(n);
    let rank = match params.components {
        ComponentSpec::Count(0) => {
            return Err(PcaError::InvalidParameter {
                name: "components",
                value: "0".into(),
                expected: "at least 1",
            })
        }
        ComponentSpec::Count(k) if k > min_dim => {
            return Err(PcaError::TooManyComponents {
                requested: k,
                max: min_dim,
                n_samples: m,
                n_features: n,
            })
        }
        ComponentSpec::Count(k) => RankSpec::Fixed(k),
        ComponentSpec::VarianceRatio(f) if !(f > 0.0 && f <= 1.0) => {
            return Err(PcaError::InvalidParameter {
                name: "variance ratio",
                value: f.to_string(),
                expected: "a fraction in (0, 1]",
            })
        }
        ComponentSpec::VarianceRatio(f) => RankSpec::Energy {
            fraction: f,
            max_rank: min_dim,
        },
        ComponentSpec::Auto => RankSpec::Energy {
            fraction: AUTO_VARIANCE_RATIO,
            max_rank: min_dim.min(AUTO_MAX_COMPONENTS),
        },
    };
    let par = params.svd.par;
    let dense = op.as_dense();
    let solver = match params.solver {
        PcaSolver::Covariance if dense.is_none() => {
            return Err(PcaError::InvalidParameter {
                name: "solver",
                value: "covariance".into(),
                expected: "dense input for the covariance solver (use the svd solver for sparse \
                           input, which is centred implicitly)",
            })
        }
        PcaSolver::Auto
            if dense.is_some()
                && params.svd.method == Method::Auto
                && n <= COVARIANCE_MAX_FEATURES
                && m >= COVARIANCE_MIN_ASPECT * n =>
        {
            PcaSolver::Covariance
        }
        PcaSolver::Auto => PcaSolver::Svd,
        s => s,
    };
    // Room for the wanted components and a few blocks more; past that, the SVD solver. A rank
    // by variance is not known beforehand: its basis is sized for at most
    // AUTO_MAX_COMPONENTS components (not min(m, n), which would make the cap all features).
    let lanczos_rank = match rank {
        RankSpec::Fixed(k) => k,
        _ => rank.max_rank().min(AUTO_MAX_COMPONENTS),
    }
    .min(min_dim);
    // `auto` on covariance ground first tries block Lanczos with a budget of half the
    // covariance's flops (a basis of `n/8` columns: `4mn` flops per column against `mn²`), when
    // that leaves room for the wanted components and 64 columns more; unscaled only, where
    // each step is one fused pass. A decline then costs at most half a covariance on top.
    let auto_lanczos_cap =
        (params.solver == PcaSolver::Auto && solver == PcaSolver::Covariance && !params.scale)
            .then(|| auto_lanczos_budget(n))
            .filter(|&cap| lanczos_rank + AUTO_LANCZOS_ROOM <= cap)
            .filter(|&cap| {
                let needed = gram_block::memory_bytes(m, n, cap, lanczos_rank);
                params.svd.memory_limit.is_none_or(|limit| needed <= limit)
            });
    let (solver, lanczos_cap, fallback) = match auto_lanczos_cap {
        Some(cap) => (PcaSolver::Lanczos, cap, PcaSolver::Covariance),
        None => (
            solver,
            (4 * lanczos_rank).max(LANCZOS_MIN_CAP).min(n),
            PcaSolver::Svd,
        ),
    };
    if solver == PcaSolver::Lanczos {
        let needed = gram_block::memory_bytes(m, n, lanczos_cap, lanczos_rank);
        if params.svd.memory_limit.is_some_and(|limit| needed > limit) {
            let why = format!(
                "the lanczos solver's basis ({lanczos_cap} columns, {}) would exceed the memory \
                 limit",
                Bytes(needed)
            );
            return lanczos_fallback(op, params, fallback, observer, why);
        }
    }

    // Column statistics: means and centred sums of squares (from the covariance's diagonal
    // when it is formed).
    let started = Instant::now();
    let mut first_pass = None;
    let (mean, centered_ss, mut covariance) = match (solver, dense) {
        (PcaSolver::Lanczos, Some(a)) if !params.scale => {
            let x0 = gram_block::start_block(n, lanczos_cap, &params.svd);
            match first_pass_with_stats(a, x0.as_ref(), lanczos_cap, par) {
                Some((mean, ss, pass)) => {
                    first_pass = Some(pass);
                    (mean, ss, None)
                }
                None => {
                    let (mean, ss) = column_stats(op, par)?;
                    (mean, ss, None)
                }
            }
        }
        (PcaSolver::Covariance, Some(a)) => {
            let needed = covariance_memory(m, n, rank.max_rank().min(min_dim));
            if let Some(limit) = params.svd.memory_limit {
                if needed > limit {
                    return Err(SvdError::WouldExceedMemory {
                        needed: Bytes(needed),
                        limit: Bytes(limit),
                    }
                    .into());
                }
            }
            let g = covariance::gram_centred(a, par, observer)?;
            let ss = (0..n).map(|j| g.c[(j, j)].max(0.0)).collect();
            (g.mean, ss, Some(g.c))
        }
        _ => {
            let (mean, ss) = column_stats(op, par)?;
            (mean, ss, None)
        }
    };
    let stats_seconds = started.elapsed().as_secs_f64();
    let stats_phase = if first_pass.is_some() {
        "column statistics and the first pass over A (one read)"
    } else {
        "column statistics"
    };
    let denom = (m - 1) as f64;
    let scale = if params.scale {
        let mut std = Vec::with_capacity(n);
        for (j, (&ss, &mu)) in centered_ss.iter().zip(&mean).enumerate() {
            if ss <= 64.0 * f64::EPSILON * m as f64 * mu * mu {
                return Err(PcaError::ConstantColumn {
                    column: j,
                    value: mu,
                });
            }
            std.push((ss / m as f64).sqrt());
        }
        Some(std)
    } else {
        None
    };
    // ‖A_c·D‖_F², the energy every ratio is relative to.
    let energy: f64 = match &scale {
        Some(s) => centered_ss
            .iter()
            .zip(s)
            .map(|(ss, sd)| ss / (sd * sd))
            .sum(),
        None => centered_ss.iter().sum(),
    };
    let total_variance = energy / denom;

    let centered = Centered::with_means_and_spread(op, mean.clone(), &centered_ss)?;
    let transformed: Box<dyn LinearOperator + '_> = match &scale {
        Some(s) => Box::new(ColumnScaled::new(
            centered,
            s.iter().map(|sd| 1.0 / sd).collect(),
        )?),
        None => Box::new(centered),
    };
    let wrapped = WithEnergy {
        inner: transformed.as_ref(),
        energy,
    };
    let svd_params = SvdParams {
        rank,
        vectors: Vectors::Both,
        ..params.svd.clone()
    };
    let mut given_av: Option<Mat<f64>> = None;
    let mut given_atu: Option<Mat<f64>> = None;
    let mut out = match covariance.as_mut() {
        None if solver == PcaSolver::Lanczos => {
            let t = Instant::now();
            let solved = gram_block::solve(
                &wrapped,
                rank,
                energy,
                &svd_params,
                lanczos_cap,
                first_pass.take(),
                observer,
            )?;
            let sol = match solved {
                Ok(sol) => sol,
                Err(declined) => {
                    let why = format!(
                        "block Lanczos on the covariance operator {} ({:.2} s spent)",
                        declined.describe(),
                        t.elapsed().as_secs_f64()
                    );
                    return lanczos_fallback(op, params, fallback, observer, why);
                }
            };
            let k = sol.svd.s.len();
            let mut phases = vec![crate::svd::PhaseTime {
                phase: stats_phase.into(),
                seconds: stats_seconds,
            }];
            phases.extend(sol.phases);
            given_av = Some(sol.av);
            given_atu = Some(sol.atu);
            SvdOutput {
                svd: sol.svd,
                info: SolveInfo {
                    method: Method::Lanczos,
                    reason: if fallback == PcaSolver::Covariance {
                        format!(
                            "dense input with n_samples ≥ {COVARIANCE_MIN_ASPECT}·n_features and \
                             n_features ≤ {COVARIANCE_MAX_FEATURES} (covariance ground), room \
                             for the components in a basis of {lanczos_cap} columns \
                             (n_features/8 to the nearest block: about half the covariance's \
                             flops): block Lanczos first, the covariance if it does not converge"
                        )
                    } else {
                        "the lanczos PCA solver was requested".into()
                    },
                    variant: format!(
                        "block Lanczos on the covariance operator A_cᵀA_c (never formed): {} \
                         basis columns in {} passes over A of {} vectors, products kept; \
                         Rayleigh–Ritz on A_c",
                        sol.dim,
                        sol.dim.div_ceil(gram_block::BLOCK),
                        gram_block::BLOCK
                    ),
                    notes: Vec::new(),
                    phases,
                    matvecs: sol.matvecs,
                    iterations: 0,
                    subspace_dim: sol.dim,
                    converged: true,
                    ranks_tried: vec![k],
                    estimated_memory_bytes: gram_block::memory_bytes(m, n, lanczos_cap, k),
                },
            }
        }
        Some(c) => {
            if let Some(sd) = &scale {
                for j in 0..n {
                    for i in 0..n {
                        c[(i, j)] /= sd[i] * sd[j];
                    }
                }
            }
            let mut notes = Vec::new();
            let mut phases = vec![crate::svd::PhaseTime {
                phase: "covariance".into(),
                seconds: stats_seconds,
            }];
            let (svd, av) =
                covariance::solve(&wrapped, c, energy, rank, par, &mut notes, &mut phases)?;
            given_av = Some(av);
            let k = svd.s.len();
            SvdOutput {
                svd,
                info: SolveInfo {
                    method: Method::Exact,
                    reason: format!(
                        "dense input with n_samples ≥ {COVARIANCE_MIN_ASPECT}·n_features and \
                         n_features ≤ {COVARIANCE_MAX_FEATURES}: the covariance is cheaper \
                         than any SVD of the data (scikit-learn's covariance_eigh rule)"
                    ),
                    variant: "covariance eigendecomposition, then Rayleigh–Ritz on the centred \
                              data"
                        .into(),
                    notes,
                    phases,
                    matvecs: k as u64,
                    iterations: 0,
                    subspace_dim: k,
                    converged: true,
                    ranks_tried: vec![k],
                    estimated_memory_bytes: covariance_memory(m, n, k),
                },
            }
        }
        None => compute(&wrapped, &svd_params, observer)?,
    };
    drop(covariance);
    // Sign convention on the axes: largest-|.| entry of each vᵢ positive, uᵢ flipped with it.
    if let (Some(u), Some(v)) = (out.svd.u.as_mut(), out.svd.v.as_mut()) {
        for i in 0..v.ncols() {
            let mut best = 0;
            let mut best_abs = -1.0;
            for r in 0..v.nrows() {
                let a = v[(r, i)].abs();
                if a > best_abs {
                    best_abs = a;
                    best = r;
                }
            }
            if v[(best, i)] < 0.0 {
                v.col_mut(i).iter_mut().for_each(|x| *x = -*x);
                u.col_mut(i).iter_mut().for_each(|x| *x = -*x);
                for given in [given_av.as_mut(), given_atu.as_mut()]
                    .into_iter()
                    .flatten()
                {
                    given.col_mut(i).iter_mut().for_each(|x| *x = -*x);
                }
            }
        }
    }
    let certificate = match (&given_av, &given_atu) {
        (Some(av), Some(atu)) => {
            certify_with_products(&wrapped, &out.svd, av.as_ref(), atu.as_ref(), par)?
        }
        (Some(av), None) => certify_with_av(&wrapped, &out.svd, av.as_ref(), par)?,
        _ => certify(&wrapped, &out.svd, par)?,
    };
    drop(given_atu);

    let s = out.svd.s.clone();
    let k = s.len();
    let explained_variance: Vec<f64> = s.iter().map(|x| x * x / denom).collect();
    let explained_variance_ratio: Vec<f64> = explained_variance
        .iter()
        .map(|e| {
            if total_variance > 0.0 {
                e / total_variance
            } else {
                0.0
            }
        })
        .collect();
    let kept: f64 = explained_variance.iter().sum();
    let noise_variance = if k < min_dim {
        ((total_variance - kept) / (min_dim - k) as f64).max(0.0)
    } else {
        0.0
    };
    let v = out.svd.v.take().ok_or(SvdError::NonFinite {
        phase: "the PCA axes (no right singular vectors)",
    })?;
    let u = out.svd.u.take().ok_or(SvdError::NonFinite {
        phase: "the PCA scores (no left singular vectors)",
    })?;
    let components = v.transpose().to_owned();
    // The scores are `A_c·V`: the solvers that formed that product hand it over (it is the
    // definition of the scores, and a fresh `m × k` matrix costs more than the copy saves).
    let scores = match given_av {
        Some(av) if !params.whiten => av,
        _ => Mat::<f64>::from_fn(m, k, |i, c| {
            if params.whiten {
                if s[c] > 0.0 {
                    u[(i, c)] * denom.sqrt()
                } else {
                    0.0
                }
            } else {
                u[(i, c)] * s[c]
            }
        }),
    };
    Ok(PcaFit {
        model: PcaModel {
            n_samples: m,
            n_features: n,
            components,
            singular_values: s,
            explained_variance,
            explained_variance_ratio,
            total_variance,
            mean,
            scale,
            whiten: params.whiten,
            noise_variance,
        },
        info: out.info,
        certificate,
        scores,
        solver,
    })
}

/// Basis columns `auto` allows block Lanczos before the covariance: `n/8` to the nearest block
/// (at least one), about half the covariance's flops (`4mn` per column against `mn²`).
fn auto_lanczos_budget(n: usize) -> usize {
    let b = gram_block::BLOCK;
    ((n / 8 + b / 2) / b).max(1).saturating_mul(b).min(n)
}

/// The `fallback` solver's fit (the svd solver, or the covariance when `auto` tried Lanczos
/// first), with a note saying why the lanczos solver handed over to it.
fn lanczos_fallback(
    op: &dyn LinearOperator,
    params: &PcaParams,
    fallback: PcaSolver,
    observer: &mut dyn Observer,
    why: String,
) -> Result<PcaFit, PcaError> {
    let svd = PcaParams {
        solver: fallback,
        ..params.clone()
    };
    let mut fit = fit_with(op, &svd, observer)?;
    fit.info
        .notes
        .push(format!("{why}; used the {} solver", fit.solver.name()));
    Ok(fit)
}

/// Bytes the covariance solver allocates besides the input: `C` and its eigenvectors (`2n²`),
/// a centred block of rows, and `Y`, `Q`, `U` (`3mk`).
fn covariance_memory(m: usize, n: usize, k: usize) -> u64 {
    8 * (2 * n * n + 4096 * n + 3 * m * k) as u64
}

impl PcaModel {
    /// Number of components kept.
    pub fn n_components(&self) -> usize {
        self.components.nrows()
    }

    /// Cumulative explained variance ratio per component.
    pub fn cumulative_ratio(&self) -> Vec<f64> {
        let mut acc = 0.0;
        self.explained_variance_ratio
            .iter()
            .map(|r| {
                acc += r;
                acc
            })
            .collect()
    }

    /// Checks that the parts fit together (after loading a saved model, for instance).
    ///
    /// # Errors
    /// [`PcaError::InconsistentModel`] naming the part with the wrong length.
    pub fn validate(&self) -> Result<(), PcaError> {
        let k = self.components.nrows();
        let n = self.n_features;
        let bad = |what: String| Err(PcaError::InconsistentModel(what));
        if self.components.ncols() != n {
            return bad(format!(
                "components have {} columns, n_features is {n}",
                self.components.ncols()
            ));
        }
        if self.mean.len() != n {
            return bad(format!(
                "mean has {} entries, expected {n}",
                self.mean.len()
            ));
        }
        if let Some(s) = &self.scale {
            if s.len() != n {
                return bad(format!("scale has {} entries, expected {n}", s.len()));
            }
            if let Some(j) = s.iter().position(|x| !x.is_finite() || *x <= 0.0) {
                return bad(format!("scale entry {j} is {}, not positive", s[j]));
            }
        }
        for (name, len) in [
            ("explained_variance", self.explained_variance.len()),
            ("singular_values", self.singular_values.len()),
            (
                "explained_variance_ratio",
                self.explained_variance_ratio.len(),
            ),
        ] {
            if len != k {
                return bad(format!("{name} has {len} entries, expected {k} components"));
            }
        }
        Ok(())
    }

    /// Coordinates of `rows` (`r × n_features`) on the axes: `((X − mean)/scale)·Vᵀ`, divided
    /// by `sqrt(explained_variance)` per component when whitening.
    ///
    /// # Errors
    /// [`PcaError::ShapeMismatch`] when `rows` does not have `n_features` columns.
    pub fn transform(&self, rows: MatRef<'_, f64>) -> Result<Mat<f64>, PcaError> {
        if rows.ncols() != self.n_features {
            return Err(PcaError::ShapeMismatch {
                what: "rows",
                got: rows.ncols(),
                expected: self.n_features,
            });
        }
        let xc = Mat::<f64>::from_fn(rows.nrows(), rows.ncols(), |i, j| {
            let c = rows[(i, j)] - self.mean[j];
            match &self.scale {
                Some(s) => c / s[j],
                None => c,
            }
        });
        let mut y = &xc * self.components.transpose();
        if self.whiten {
            for (c, ev) in self.explained_variance.iter().enumerate() {
                let f = if *ev > 0.0 { 1.0 / ev.sqrt() } else { 0.0 };
                y.col_mut(c).iter_mut().for_each(|x| *x *= f);
            }
        }
        Ok(y)
    }

    /// Rows back from coordinates (`r × k`): `coords·V` (times `sqrt(explained_variance)` when
    /// whitening), times `scale`, plus `mean`. Exact inverse of [`transform`](Self::transform)
    /// when `k = n_features`; otherwise the projection onto the kept axes.
    ///
    /// # Errors
    /// [`PcaError::ShapeMismatch`] when `coords` does not have `k` columns.
    pub fn inverse_transform(&self, coords: MatRef<'_, f64>) -> Result<Mat<f64>, PcaError> {
        let k = self.n_components();
        if coords.ncols() != k {
            return Err(PcaError::ShapeMismatch {
                what: "coordinates",
                got: coords.ncols(),
                expected: k,
            });
        }
        let mut c = coords.to_owned();
        if self.whiten {
            for (j, ev) in self.explained_variance.iter().enumerate() {
                let f = ev.max(0.0).sqrt();
                c.col_mut(j).iter_mut().for_each(|x| *x *= f);
            }
        }
        let mut x = &c * &self.components;
        for j in 0..self.n_features {
            let (s, mu) = (self.scale.as_ref().map_or(1.0, |s| s[j]), self.mean[j]);
            x.col_mut(j).iter_mut().for_each(|v| *v = *v * s + mu);
        }
        Ok(x)
    }
}

/// Column means and centred sums of squares `Σᵢ (aᵢⱼ − μⱼ)²`.
///
/// Dense storage: two passes over the columns (exact to rounding). Otherwise the means come
/// from `Aᵀ·1/m` and the sums of squares from the operator's column norms, `‖aⱼ‖² − m·μⱼ²`
/// (cheap; loses digits only for columns whose mean dwarfs their spread), or — for operators
/// without column norms — from blocks of 64 materialised columns.
fn column_stats(op: &dyn LinearOperator, par: Par) -> Result<(Vec<f64>, Vec<f64>), OpError> {
    let (m, n) = (op.nrows(), op.ncols());
    if let Some(d) = op.as_dense() {
        return Ok(dense_stats(d, par));
    }
    let mut sums = Mat::<f64>::zeros(n, 1);
    let ones = Mat::<f64>::from_fn(m, 1, |_, _| 1.0);
    op.apply_transpose(sums.as_mut(), ones.as_ref(), par)?;
    let mean: Vec<f64> = sums.col(0).iter().map(|s| s / m as f64).collect();
    if let Some(norms) = op.column_norms_sq() {
        let ss = norms
            .iter()
            .zip(&mean)
            .map(|(s, mu)| (s - m as f64 * mu * mu).max(0.0))
            .collect();
        return Ok((mean, ss));
    }
    const BLOCK: usize = 64;
    let mut ss = vec![0.0; n];
    let mut start = 0;
    while start < n {
        let width = BLOCK.min(n - start);
        let mut eye = Mat::<f64>::zeros(n, width);
        for c in 0..width {
            eye[(start + c, c)] = 1.0;
        }
        let mut block = Mat::<f64>::zeros(m, width);
        op.apply(block.as_mut(), eye.as_ref(), par)?;
        let (_, s) = dense_stats(block.as_ref(), Par::Seq);
        ss[start..start + width].copy_from_slice(&s);
        start += width;
    }
    Ok((mean, ss))
}

/// Column statistics read off block Lanczos's first pass over dense `a`: one read of `A`
/// instead of two. The pass reads `A` in place when the AVX-512 kernel runs it and the sampled
/// rows put every shift within 16 sample deviations of zero, and centres a copy of each row
/// block otherwise.
///
/// The pass centres on a provisional shift `s` (the mean of up to 1024 rows in 16 evenly spaced
/// runs, cheap to read) and sums the shifted values `B = A − 1·sᵀ` and their squares per column.
/// With `d = Bᵀ1/m`, the mean is `μ = s + d`, the centred sums of squares are `Σ bᵢⱼ² − m·dⱼ²`,
/// and the exact products follow from the pass's by rank-one corrections, since
/// `A_c = B − 1·dᵀ` and `Bᵀ1 = m·d`:
/// `A_c·X₀ = B·X₀ − 1·(X₀ᵀd)ᵀ` and `A_cᵀA_c·X₀ = BᵀB·X₀ − m·d·(X₀ᵀd)ᵀ`.
/// Those subtractions lose digits only when `d` is large against the spread; `None` (the
/// caller then makes the exact two-pass statistics and the solver its own first pass) when some
/// column has `m·dⱼ² > Σ (aᵢⱼ − μⱼ)²` — the sample mean more than a standard deviation off —
/// or a sum is not finite; and also when the pass read `A` in place but the exact spread of some
/// column puts its shift farther out than the in-place reading allows (the sample was more
/// spread than the column).
fn first_pass_with_stats(
    a: MatRef<'_, f64>,
    x0: MatRef<'_, f64>,
    max_dim: usize,
    par: Par,
) -> Option<(Vec<f64>, Vec<f64>, gram_block::FirstPass)> {
    let (m, n) = a.shape();
    let b = x0.ncols();
    let sample = sampled_stats(a, par);
    let shift = sample.means;
    // The pass reads `A` in place when the sample says every shift is small against its
    // column's spread; the exact statistics check that after the pass.
    let in_place = crate::op::kernel_takes(a)
        && shift
            .iter()
            .zip(&sample.centred_sums_sq)
            .all(|(&s, &ss)| shift_is_small(s, ss, sample.rows));
    let mut images = Mat::<f64>::with_capacity(m, max_dim.max(b));
    crate::svd::linalg::grow_zeroed(&mut images, m, b, par);
    let mut gq = Mat::<f64>::zeros(n, b);
    let mut sums = vec![0.0; 2 * n];
    crate::op::fused_gram_with_sums(
        a,
        &shift,
        gq.as_mut(),
        images.as_mut(),
        x0,
        par,
        &mut sums,
        in_place,
    );
    let mf = m as f64;
    let d: Vec<f64> = sums[..n].iter().map(|t| t / mf).collect();
    let mut ss = Vec::with_capacity(n);
    for j in 0..n {
        let correction = mf * d[j] * d[j];
        let centred = sums[n + j] - correction;
        // A constant column whose sample mean is a few ulps off has `Σ b² = m·d²` exactly:
        // its centred values are zero either way, so an offset at rounding level passes.
        let rounding = mf * (8.0 * f64::EPSILON * shift[j]).powi(2);
        if !(centred.is_finite() && correction.is_finite()) || correction > centred.max(rounding) {
            return None;
        }
        ss.push(centred.max(0.0));
    }
    // A sample that called a shift small when it is not (its rows less spread than the
    // column): the products read in place may have lost more digits than allowed.
    if in_place
        && !shift
            .iter()
            .zip(&ss)
            .all(|(&s, &ss)| shift_is_small(s, ss, m))
    {
        return None;
    }
    let mean: Vec<f64> = shift.iter().zip(&d).map(|(s, d)| s + d).collect();
    // X₀ᵀd, then the two rank-one corrections.
    let xd: Vec<f64> = (0..b)
        .map(|c| x0.col(c).iter().zip(&d).map(|(x, d)| x * d).sum())
        .collect();
    for c in 0..b {
        for j in 0..n {
            gq[(j, c)] -= mf * d[j] * xd[c];
        }
        let col = images.as_mut().col_mut(c);
        let col = col
            .try_as_col_major_mut()
            .expect("an owned matrix's column");
        let sub = xd[c];
        match par {
            Par::Seq => col.as_slice_mut().iter_mut().for_each(|v| *v -= sub),
            _ => {
                use rayon::prelude::*;
                col.as_slice_mut()
                    .par_chunks_mut(1 << 14)
                    .for_each(|chunk| chunk.iter_mut().for_each(|v| *v -= sub));
            }
        }
    }
    Some((mean, ss, gram_block::FirstPass { gq, images }))
}

/// Column statistics of a sample of rows: a provisional centre and how far the sample spreads
/// around it.
struct SampleStats {
    /// Column means of the sample.
    means: Vec<f64>,
    /// `Σ (aᵢⱼ − meanⱼ)²` over the sample's rows.
    centred_sums_sq: Vec<f64>,
    /// Rows in the sample.
    rows: usize,
}

/// Statistics of up to 1024 rows of `a`: all of them when there are no more, otherwise 16
/// runs of 64 consecutive rows spread evenly over the matrix (a drift along the rows still
/// shows in the sample). Only a provisional centre: see [`first_pass_with_stats`].
fn sampled_stats(a: MatRef<'_, f64>, par: Par) -> SampleStats {
    const RUNS: usize = 16;
    const RUN: usize = 64;
    let m = a.nrows();
    let starts: Vec<usize> = if m <= RUNS * RUN {
        vec![0]
    } else {
        (0..RUNS).map(|r| r * (m - RUN) / (RUNS - 1)).collect()
    };
    let len = if m <= RUNS * RUN { m } else { RUN };
    let rows = starts.len() * len;
    // Each column on its own, in a fixed order: the same bits on any number of threads.
    let column = |j: usize| {
        let col = a.col(j);
        let total: f64 = starts
            .iter()
            .map(|&s| col.subrows(s, len).iter().sum::<f64>())
            .sum();
        let mean = total / rows as f64;
        let ss: f64 = starts
            .iter()
            .map(|&s| {
                col.subrows(s, len)
                    .iter()
                    .map(|x| (x - mean) * (x - mean))
                    .sum::<f64>()
            })
            .sum();
        (mean, ss)
    };
    let stats: Vec<(f64, f64)> = match par {
        Par::Seq => (0..a.ncols()).map(column).collect(),
        _ => {
            use rayon::prelude::*;
            (0..a.ncols()).into_par_iter().map(column).collect()
        }
    };
    let (means, centred_sums_sq) = stats.into_iter().unzip();
    SampleStats {
        means,
        centred_sums_sq,
        rows,
    }
}

fn dense_stats(d: MatRef<'_, f64>, par: Par) -> (Vec<f64>, Vec<f64>) {
    let m = d.nrows() as f64;
    // Each column is summed on its own, in order: the same bits on any number of threads.
    let column = |j: usize| {
        let col = d.col(j);
        match col.try_as_col_major() {
            Some(c) => {
                let xs = c.as_slice();
                let mu = lane_sum(xs, |x| x) / m;
                (mu, lane_sum(xs, |x| (x - mu) * (x - mu)))
            }
            None => {
                let mu = col.iter().sum::<f64>() / m;
                (mu, col.iter().map(|x| (x - mu) * (x - mu)).sum::<f64>())
            }
        }
    };
    let stats: Vec<(f64, f64)> = match par {
        Par::Seq => (0..d.ncols()).map(column).collect(),
        _ => {
            use rayon::prelude::*;
            (0..d.ncols()).into_par_iter().map(column).collect()
        }
    };
    stats.into_iter().unzip()
}

/// An operator whose `‖·‖_F²` is known more accurately than it can compute itself (the
/// centred sums of squares above), so rank-by-variance and the certificate use it.
struct WithEnergy<'a> {
    inner: &'a dyn LinearOperator,
    energy: f64,
}

impl LinearOperator for WithEnergy<'_> {
    fn nrows(&self) -> usize {
        self.inner.nrows()
    }
    fn ncols(&self) -> usize {
        self.inner.ncols()
    }
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>, par: Par) -> Result<(), OpError> {
        self.inner.apply(out, rhs, par)
    }
    fn apply_transpose(
        &self,
        out: MatMut<'_, f64>,
        rhs: MatRef<'_, f64>,
        par: Par,
    ) -> Result<(), OpError> {
        self.inner.apply_transpose(out, rhs, par)
    }
    fn apply_gram(
        &self,
        out: MatMut<'_, f64>,
        rhs: MatRef<'_, f64>,
        par: Par,
    ) -> Result<(), OpError> {
        self.inner.apply_gram(out, rhs, par)
    }
    fn has_fused_gram(&self) -> bool {
        self.inner.has_fused_gram()
    }
    fn apply_gram_with_image(
        &self,
        gram: MatMut<'_, f64>,
        image: Option<MatMut<'_, f64>>,
        rhs: MatRef<'_, f64>,
        par: Par,
    ) -> Result<(), OpError> {
        self.inner.apply_gram_with_image(gram, image, rhs, par)
    }
    fn apply_shifted_gram(
        &self,
        gram: MatMut<'_, f64>,
        image: Option<MatMut<'_, f64>>,
        rhs: MatRef<'_, f64>,
        shift: &[f64],
        par: Par,
    ) -> Result<(), OpError> {
        self.inner.apply_shifted_gram(gram, image, rhs, shift, par)
    }
    fn column_norms_sq(&self) -> Option<Vec<f64>> {
        self.inner.column_norms_sq()
    }
    fn row_norms_sq(&self) -> Option<Vec<f64>> {
        self.inner.row_norms_sq()
    }
    fn frobenius_norm_sq(&self) -> Option<f64> {
        Some(self.energy)
    }
    fn storage_bytes(&self) -> usize {
        self.inner.storage_bytes()
    }
    fn workspace_bytes(&self, block_cols: usize) -> usize {
        self.inner.workspace_bytes(block_cols)
    }
    fn storage_kind(&self) -> StorageKind {
        self.inner.storage_kind()
    }
    fn stored_entries(&self) -> usize {
        self.inner.stored_entries()
    }
    fn as_dense(&self) -> Option<MatRef<'_, f64>> {
        self.inner.as_dense()
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
}
