//! Anomaly scores: the residual of each row against a low-rank (PCA) fit of normal data.
//!
//! [`fit`] learns a [`crate::pca`] model on rows known to be normal (for example telemetry time
//! windows × metrics) and calibrates a threshold on their scores; [`AnomalyModel::detect`]
//! scores new rows and flags those above it.
//!
//! # Score
//! For a row `x`, centred (and with `scale`, divided by the training standard deviations) as
//! in the PCA, `z = (x − μ)/s`, the score is the **norm** of its residual after projection on
//! the top-`k` principal axes `V_k`:
//!
//! ```text
//!     score(x) = ‖(I − V_k·V_kᵀ)·z‖
//! ```
//!
//! Its square is the *Q statistic* or *squared prediction error* (SPE) of process monitoring
//! (Jackson & Mudholkar 1979); the norm is reported because it has the units of the data and
//! a readable scale. Rows whose metrics keep the usual correlations score low even when they
//! are large (they lie in the normal subspace); a broken correlation or a spike in one metric
//! leaves the subspace and scores high. (A move *along* the normal subspace — all metrics up
//! together — is what Hotelling's T² sees, not this score.)
//!
//! # Rank
//! `k` is given ([`ComponentSpec::Count`]) or the smallest reaching a cumulative explained
//! variance fraction ([`ComponentSpec::VarianceRatio`]); the default, [`DEFAULT_VARIANCE`] = 0.9,
//! is the usual "cumulative percent variance" rule of PCA process monitoring (85–95%, Qin 2003):
//! high enough to keep the structure of normal data in the model, low enough to leave the noise
//! dimensions, where anomalies show, in the residual. `k` must be below the number of features:
//! with `k = n_features` every residual is zero.
//!
//! # Threshold
//! Calibrated on the training scores:
//! - [`ThresholdRule::Quantile`]`(q)` (default `q = 0.99`): the `q`-quantile (linear
//!   interpolation, NumPy's default), so about `1 − q` of fresh normal rows are flagged;
//! - [`ThresholdRule::RobustZ`]`(z)` (default `z = 3.5`, Iglewicz & Hoaglin 1993): flag rows
//!   with `(score − median)/(1.4826·MAD) > z`, median and MAD of the training scores. The
//!   factor 1.4826 makes the MAD a consistent estimate of the standard deviation for normal
//!   data.
//!
//! Without separate normal data, fit on the scored rows themselves: the anomalies then pull the
//! axes and the threshold towards themselves (contamination), which lowers their scores. The
//! robust-z rule suffers least from a few contaminated rows.
//!
//! # Errors
//! See [`AnomalyError`].
//!
//! ```
//! use faer::Mat;
//! use lowrank_core::anomaly::{fit, AnomalyParams, ThresholdRule};
//! use lowrank_core::pca::ComponentSpec;
//!
//! // Normal rows lie near the line y = 2x; a row off the line is an anomaly.
//! let normal = Mat::<f64>::from_fn(200, 2, |i, j| {
//!     let t = i as f64 / 10.0;
//!     let wiggle = ((i * 7919) % 13) as f64 / 100.0 - 0.06;
//!     if j == 0 { t } else { 2.0 * t + wiggle }
//! });
//! let params = AnomalyParams {
//!     components: ComponentSpec::Count(1),
//!     threshold: ThresholdRule::Quantile(0.99),
//!     ..AnomalyParams::default()
//! };
//! let model = fit(normal.as_ref(), &params).unwrap().model;
//! let rows = Mat::<f64>::from_fn(2, 2, |i, j| [[5.0, 10.0], [5.0, 4.0]][i][j]);
//! let found = model.detect(rows.as_ref()).unwrap();
//! assert_eq!(found.flagged, vec![1]);
//! assert!(found.scores[1] > 2.0 && found.scores[0] < model.threshold);
//! ```

use crate::op::DenseOp;
pub use crate::pca::ComponentSpec;
use crate::pca::{fit_with as pca_fit, PcaError, PcaModel, PcaParams};
use crate::svd::{Method, SolveInfo, SvdParams};
use crate::{NoObserver, Observer, SvdError};
use faer::MatRef;

/// Default cumulative explained variance fraction of the normal subspace.
pub const DEFAULT_VARIANCE: f64 = 0.9;
/// Default quantile of the training scores used as threshold.
pub const DEFAULT_QUANTILE: f64 = 0.99;
/// Default robust z-score threshold (Iglewicz & Hoaglin's 3.5).
pub const DEFAULT_ROBUST_Z: f64 = 3.5;
/// `1/Φ⁻¹(3/4)`: scales the MAD to a standard deviation for normal data.
pub const MAD_SCALE: f64 = 1.4826;

/// How the threshold is set from the training scores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ThresholdRule {
    /// The `q`-quantile of the training scores, `0 < q < 1`.
    Quantile(f64),
    /// `median + z·1.4826·MAD` of the training scores, `z > 0`.
    RobustZ(f64),
}

impl ThresholdRule {
    /// Lower-case name for reports.
    pub fn name(self) -> &'static str {
        match self {
            ThresholdRule::Quantile(_) => "quantile",
            ThresholdRule::RobustZ(_) => "robust_z",
        }
    }
    /// The rule's parameter (`q` or `z`).
    pub fn parameter(self) -> f64 {
        match self {
            ThresholdRule::Quantile(q) | ThresholdRule::RobustZ(q) => q,
        }
    }
}

/// Everything that controls an anomaly model. Start from `AnomalyParams::default()`.
#[derive(Debug, Clone)]
pub struct AnomalyParams {
    /// Rank of the normal subspace ([`ComponentSpec::Auto`] is treated as
    /// `VarianceRatio(DEFAULT_VARIANCE)`).
    pub components: ComponentSpec,
    /// Scale every metric to unit variance (`ddof = 0`) before the PCA: needed when the metrics
    /// have different units.
    pub scale: bool,
    /// Threshold rule.
    pub threshold: ThresholdRule,
    /// The SVD behind the PCA (exact by default: training sets of telemetry are narrow).
    pub svd: SvdParams,
}

impl Default for AnomalyParams {
    fn default() -> Self {
        Self {
            components: ComponentSpec::VarianceRatio(DEFAULT_VARIANCE),
            scale: false,
            threshold: ThresholdRule::Quantile(DEFAULT_QUANTILE),
            svd: SvdParams {
                method: Method::Exact,
                ..SvdParams::default()
            },
        }
    }
}

/// Why an anomaly model could not be fitted or applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnomalyError {
    /// A NaN or infinite entry.
    #[error("{what} has a non-finite value {value} at row {row}, column {col} (0-based)")]
    NonFinite {
        /// "training data" or "rows".
        what: &'static str,
        /// 0-based row.
        row: usize,
        /// 0-based column.
        col: usize,
        /// The value.
        value: f64,
    },
    /// Scored rows do not have the training data's number of columns.
    #[error(
        "the scored rows have {got} columns but the model was trained on {expected}: the \
         metrics must be the same, in the same order"
    )]
    ShapeMismatch {
        /// Columns given.
        got: usize,
        /// Columns of the training data.
        expected: usize,
    },
    /// The rank leaves no residual.
    #[error(
        "{k} components for {n_features} features leave no residual to score (every score \
         would be 0): use fewer components or a lower variance fraction"
    )]
    NoResidual {
        /// Components chosen.
        k: usize,
        /// Features.
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
    /// The robust z-score is undefined.
    #[error(
        "the median absolute deviation of the training scores is 0 (more than half of them \
         equal {median}): the robust z-score is undefined; use a quantile threshold"
    )]
    ZeroMad {
        /// The median score.
        median: f64,
    },
    /// The PCA failed (too few rows, too many components, a constant column with scaling, …).
    #[error(transparent)]
    Pca(#[from] PcaError),
}

/// A fitted anomaly model: the normal subspace and the threshold.
#[derive(Debug, Clone)]
pub struct AnomalyModel {
    /// The PCA of the normal data (not whitened).
    pub pca: PcaModel,
    /// How the threshold was set.
    pub rule: ThresholdRule,
    /// Rows scoring strictly above this are flagged.
    pub threshold: f64,
    /// Median of the training scores.
    pub median: f64,
    /// Median absolute deviation of the training scores (unscaled).
    pub mad: f64,
}

/// A fit: the model, the training scores and how the SVD went.
#[derive(Debug, Clone)]
pub struct AnomalyFit {
    /// The model.
    pub model: AnomalyModel,
    /// Scores of the training rows.
    pub training_scores: Vec<f64>,
    /// Training rows above the threshold (about `1 − q` of them with a quantile rule).
    pub training_flagged: usize,
    /// How the PCA's SVD was computed.
    pub info: SolveInfo,
}

/// Scores of a set of rows and which are flagged.
#[derive(Debug, Clone)]
pub struct Detection {
    /// Score of every row, in input order.
    pub scores: Vec<f64>,
    /// Robust z-score of every row against the training median and MAD (`None` when the MAD
    /// is 0).
    pub robust_z: Option<Vec<f64>>,
    /// Indices of the flagged rows, highest score first (ties by index).
    pub flagged: Vec<usize>,
}

fn check_finite(what: &'static str, x: MatRef<'_, f64>) -> Result<(), AnomalyError> {
    for i in 0..x.nrows() {
        for j in 0..x.ncols() {
            let v = x[(i, j)];
            if !v.is_finite() {
                return Err(AnomalyError::NonFinite {
                    what,
                    row: i,
                    col: j,
                    value: v,
                });
            }
        }
    }
    Ok(())
}

/// Fits an anomaly model on normal rows. See [`fit_with`].
///
/// # Errors
/// As [`fit_with`].
pub fn fit(train: MatRef<'_, f64>, params: &AnomalyParams) -> Result<AnomalyFit, AnomalyError> {
    fit_with(train, params, &mut NoObserver)
}

/// Fits an anomaly model on normal rows (`n_samples × n_features`), reporting the SVD's
/// progress to `observer`: the PCA, the training scores, and the threshold from them.
///
/// # Errors
/// [`AnomalyError::NonFinite`] for NaN/Inf; [`AnomalyError::InvalidParameter`] for `q` outside
/// `(0, 1)` or `z ≤ 0`; [`AnomalyError::NoResidual`] when `k ≥ n_features`;
/// [`AnomalyError::ZeroMad`] for a robust-z rule on training scores with zero MAD; the PCA's
/// errors ([`PcaError::TooFewSamples`] for a single row, [`PcaError::TooManyComponents`], …).
pub fn fit_with(
    train: MatRef<'_, f64>,
    params: &AnomalyParams,
    observer: &mut dyn Observer,
) -> Result<AnomalyFit, AnomalyError> {
    match params.threshold {
        ThresholdRule::Quantile(q) if !(q > 0.0 && q < 1.0) => {
            return Err(AnomalyError::InvalidParameter {
                name: "quantile",
                value: q.to_string(),
                expected: "a fraction strictly between 0 and 1",
            })
        }
        ThresholdRule::RobustZ(z) if !(z > 0.0 && z.is_finite()) => {
            return Err(AnomalyError::InvalidParameter {
                name: "robust z",
                value: z.to_string(),
                expected: "a positive finite number",
            })
        }
        _ => {}
    }
    check_finite("the training data", train)?;
    let n_features = train.ncols();
    if let ComponentSpec::Count(k) = params.components {
        if k >= n_features && k <= train.nrows().min(n_features) {
            return Err(AnomalyError::NoResidual { k, n_features });
        }
    }
    let components = match params.components {
        ComponentSpec::Auto => ComponentSpec::VarianceRatio(DEFAULT_VARIANCE),
        c => c,
    };
    let pca_params = PcaParams {
        components,
        scale: params.scale,
        whiten: false,
        svd: params.svd.clone(),
        ..PcaParams::default()
    };
    let fitted = pca_fit(&DenseOp::new(train), &pca_params, observer)?;
    let k = fitted.model.n_components();
    if k >= n_features {
        return Err(AnomalyError::NoResidual { k, n_features });
    }
    let training_scores = residual_norms(&fitted.model, train)?;
    let median = median(&training_scores);
    let mad = median_abs_deviation(&training_scores, median);
    let threshold = match params.threshold {
        ThresholdRule::Quantile(q) => quantile(&training_scores, q),
        ThresholdRule::RobustZ(z) => {
            if mad.is_nan() || mad <= 0.0 {
                return Err(AnomalyError::ZeroMad { median });
            }
            median + z * MAD_SCALE * mad
        }
    };
    let training_flagged = training_scores.iter().filter(|&&s| s > threshold).count();
    Ok(AnomalyFit {
        model: AnomalyModel {
            pca: fitted.model,
            rule: params.threshold,
            threshold,
            median,
            mad,
        },
        training_scores,
        training_flagged,
        info: fitted.info,
    })
}

/// `‖(I − V_kV_kᵀ)·z‖` per row, `z` the centred (scaled) row.
fn residual_norms(pca: &PcaModel, rows: MatRef<'_, f64>) -> Result<Vec<f64>, AnomalyError> {
    let coords = pca.transform(rows)?;
    let back = &coords * &pca.components;
    Ok((0..rows.nrows())
        .map(|i| {
            let mut s = 0.0;
            for j in 0..rows.ncols() {
                let mut z = rows[(i, j)] - pca.mean[j];
                if let Some(sc) = &pca.scale {
                    z /= sc[j];
                }
                let r = z - back[(i, j)];
                s += r * r;
            }
            s.sqrt()
        })
        .collect())
}

impl AnomalyModel {
    /// Number of components of the normal subspace.
    pub fn n_components(&self) -> usize {
        self.pca.n_components()
    }

    /// Scores of `rows` (`r × n_features`): the norm of each row's residual.
    ///
    /// # Errors
    /// [`AnomalyError::ShapeMismatch`] for the wrong number of columns,
    /// [`AnomalyError::NonFinite`] for NaN/Inf.
    pub fn score(&self, rows: MatRef<'_, f64>) -> Result<Vec<f64>, AnomalyError> {
        if rows.ncols() != self.pca.n_features {
            return Err(AnomalyError::ShapeMismatch {
                got: rows.ncols(),
                expected: self.pca.n_features,
            });
        }
        check_finite("the scored rows", rows)?;
        residual_norms(&self.pca, rows)
    }

    /// Scores `rows` and flags those above the threshold, highest score first.
    ///
    /// # Errors
    /// As [`score`](Self::score).
    pub fn detect(&self, rows: MatRef<'_, f64>) -> Result<Detection, AnomalyError> {
        let scores = self.score(rows)?;
        let robust_z = (self.mad > 0.0).then(|| {
            scores
                .iter()
                .map(|s| (s - self.median) / (MAD_SCALE * self.mad))
                .collect()
        });
        let mut flagged: Vec<usize> = (0..scores.len())
            .filter(|&i| scores[i] > self.threshold)
            .collect();
        flagged.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        Ok(Detection {
            scores,
            robust_z,
            flagged,
        })
    }
}

/// Median (mean of the two middle values for an even count); 0 for an empty slice.
pub fn median(x: &[f64]) -> f64 {
    quantile(x, 0.5)
}

/// `median(|xᵢ − center|)`, not scaled.
pub fn median_abs_deviation(x: &[f64], center: f64) -> f64 {
    let d: Vec<f64> = x.iter().map(|v| (v - center).abs()).collect();
    median(&d)
}

/// The `q`-quantile with linear interpolation between order statistics (NumPy's default,
/// `method="linear"`): position `q·(n − 1)` in the sorted values. 0 for an empty slice.
pub fn quantile(x: &[f64], q: f64) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    v[lo] + (pos - lo as f64) * (v[hi] - v[lo])
}

/// Robust z-scores `(xᵢ − median)/(1.4826·MAD)` of a vector against its own median and MAD;
/// `None` when the MAD is 0.
///
/// ```
/// // median 3, |x − 3| = (2, 1, 0, 1, 7) → MAD 1.
/// let z = lowrank_core::anomaly::robust_z(&[1.0, 2.0, 3.0, 4.0, 10.0]).unwrap();
/// assert!((z[4] - 7.0 / 1.4826).abs() < 1e-12);
/// ```
pub fn robust_z(x: &[f64]) -> Option<Vec<f64>> {
    let m = median(x);
    let mad = median_abs_deviation(x, m);
    (mad > 0.0).then(|| x.iter().map(|v| (v - m) / (MAD_SCALE * mad)).collect())
}

impl From<SvdError> for AnomalyError {
    fn from(e: SvdError) -> Self {
        AnomalyError::Pca(PcaError::Svd(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Mat;
    use lowrank_testkit::gaussian;

    /// Rows from a 3-factor model in 10 dimensions plus isotropic noise.
    fn factor_rows(rows: usize, seed: u64, loadings: &Mat<f64>) -> Mat<f64> {
        let f = gaussian(rows, 3, seed);
        let e = gaussian(rows, 10, seed + 1000);
        let mut x = &f * loadings.transpose();
        for i in 0..rows {
            for j in 0..10 {
                x[(i, j)] += 0.3 * e[(i, j)] + j as f64;
            }
        }
        x
    }

    #[test]
    fn scores_equal_independent_projection_residuals() {
        let loadings = gaussian(10, 3, 5);
        let train = factor_rows(500, 1, &loadings);
        let params = AnomalyParams {
            components: ComponentSpec::Count(3),
            ..AnomalyParams::default()
        };
        let f = fit(train.as_ref(), &params).unwrap();
        // Reference: eigendecomposition of the sample covariance, computed here.
        let mean: Vec<f64> = (0..10)
            .map(|j| train.col(j).iter().sum::<f64>() / 500.0)
            .collect();
        let xc = Mat::<f64>::from_fn(500, 10, |i, j| train[(i, j)] - mean[j]);
        let cov = xc.transpose() * &xc;
        let eig = cov.self_adjoint_eigen(faer::Side::Lower).unwrap();
        // faer returns ascending eigenvalues: the top 3 are the last columns.
        let u = eig.U();
        let vk = Mat::<f64>::from_fn(10, 3, |i, c| u[(i, 9 - c)]);
        let test = factor_rows(50, 77, &loadings);
        let got = f.model.score(test.as_ref()).unwrap();
        for (i, g) in got.iter().enumerate() {
            let z = Mat::<f64>::from_fn(10, 1, |j, _| test[(i, j)] - mean[j]);
            let r = &z - &vk * (vk.transpose() * &z);
            let expect = r.norm_l2();
            // Eigenvalue gaps are large (factors vs noise 0.09): the subspaces agree to
            // ~1e-13, so the residual norms to 1e-11 relative.
            assert!(
                (g - expect).abs() <= 1e-11 * expect,
                "row {i}: {g} vs {expect}"
            );
        }
        // Training scores likewise.
        assert_eq!(f.training_scores.len(), 500);
    }

    #[test]
    fn quantile_threshold_gives_the_false_alarm_rate_on_fresh_normal_data() {
        let loadings = gaussian(10, 3, 9);
        let train = factor_rows(4000, 3, &loadings);
        let q = 0.95;
        let params = AnomalyParams {
            components: ComponentSpec::Count(3),
            threshold: ThresholdRule::Quantile(q),
            ..AnomalyParams::default()
        };
        let f = fit(train.as_ref(), &params).unwrap();
        let fresh = factor_rows(20000, 4, &loadings);
        let d = f.model.detect(fresh.as_ref()).unwrap();
        let rate = d.flagged.len() as f64 / 20000.0;
        // The threshold is a quantile estimated from 4000 rows (std of the coverage
        // √(q(1−q)/4000) ≈ 0.0034) and the rate is counted on 20000 (std 0.0015): ±0.015 is
        // about 4 standard deviations.
        assert!((rate - 0.05).abs() < 0.015, "false-alarm rate {rate}");
        assert_eq!(f.training_flagged, 200);
        // Flagged rows come sorted by score.
        for w in d.flagged.windows(2) {
            assert!(d.scores[w[0]] >= d.scores[w[1]]);
        }
    }

    #[test]
    fn robust_z_by_hand() {
        // x = (1, 2, 3, 4, 100, 5, 6): median 4; |x − 4| = (3, 2, 1, 0, 96, 1, 2) → MAD 2.
        let x = [1.0, 2.0, 3.0, 4.0, 100.0, 5.0, 6.0];
        assert_eq!(median(&x), 4.0);
        assert_eq!(median_abs_deviation(&x, 4.0), 2.0);
        let z = robust_z(&x).unwrap();
        assert!((z[4] - 96.0 / (1.4826 * 2.0)).abs() < 1e-12);
        assert!((z[0] + 3.0 / (1.4826 * 2.0)).abs() < 1e-12);
        // Even count: the median averages the middle pair; the quantile interpolates.
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!((quantile(&[0.0, 10.0, 20.0, 30.0, 40.0], 0.9) - 36.0).abs() < 1e-12);
        assert!(robust_z(&[2.0, 2.0, 2.0, 5.0]).is_none());
    }

    #[test]
    fn bad_inputs_are_refused() {
        let loadings = gaussian(10, 3, 1);
        let train = factor_rows(50, 1, &loadings);
        let p = |c| AnomalyParams {
            components: c,
            ..AnomalyParams::default()
        };
        assert!(matches!(
            fit(train.as_ref(), &p(ComponentSpec::Count(10))),
            Err(AnomalyError::NoResidual {
                k: 10,
                n_features: 10
            })
        ));
        assert!(matches!(
            fit(train.as_ref(), &p(ComponentSpec::Count(11))),
            Err(AnomalyError::Pca(PcaError::TooManyComponents { .. }))
        ));
        let one = train.as_ref().subrows(0, 1);
        assert!(matches!(
            fit(one, &p(ComponentSpec::Count(1))),
            Err(AnomalyError::Pca(PcaError::TooFewSamples { n_samples: 1 }))
        ));
        let mut nan = train.clone();
        nan[(3, 2)] = f64::NAN;
        assert!(matches!(
            fit(nan.as_ref(), &AnomalyParams::default()),
            Err(AnomalyError::NonFinite { row: 3, col: 2, .. })
        ));
        let bad_q = AnomalyParams {
            threshold: ThresholdRule::Quantile(1.0),
            ..AnomalyParams::default()
        };
        assert!(matches!(
            fit(train.as_ref(), &bad_q),
            Err(AnomalyError::InvalidParameter {
                name: "quantile",
                ..
            })
        ));
        let m = fit(train.as_ref(), &p(ComponentSpec::Count(3)))
            .unwrap()
            .model;
        let narrow = gaussian(4, 9, 1);
        assert!(matches!(
            m.score(narrow.as_ref()),
            Err(AnomalyError::ShapeMismatch {
                got: 9,
                expected: 10
            })
        ));
    }
}
