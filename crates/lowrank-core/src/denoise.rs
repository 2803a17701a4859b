//! Denoising and compression by a truncated SVD, with the rank chosen by the Gavish–Donoho
//! optimal hard threshold, by an energy fraction, or given.
//!
//! The model is `Y = X + σZ`: an `m × n` signal `X` of low rank plus white noise of standard
//! deviation `σ` per entry. [`denoise`] keeps the singular triplets of `Y` above a threshold and
//! returns `X̂ = U_k·Σ_k·V_kᵀ`, together with the figures that say how it went ([`Denoised`]).
//!
//! # Algorithm
//! One exact (dense) SVD of `Y`, `O(mn·min(m, n))`. Every singular value is needed: the
//! unknown-noise threshold is a multiple of their *median*, which no truncated method provides,
//! so [`Method::Exact`] is used whatever the size.
//!
//! With `β = min(m, n)/max(m, n)` and `n₊ = max(m, n)`:
//! - known `σ`: `τ = λ*(β)·√n₊·σ`, with [`lambda_star`]
//!   `λ*(β) = sqrt(2(β+1) + 8β/((β+1) + sqrt(β² + 14β + 1)))` (`4/√3` for a square matrix);
//! - unknown `σ`: `τ = ω(β)·median(sᵢ)`, with [`omega`] `ω(β) = λ*(β)/sqrt(μ_β)` and `μ_β` the
//!   median of the Marchenko–Pastur distribution of ratio `β` ([`mp_median`], computed by
//!   integrating the density and bisecting — not the paper's cubic fit [`omega_cubic`]).
//!
//! The noise level is always estimated, `σ̂ = median(sᵢ)/sqrt(n₊·μ_β)`, and reported.
//! The threshold is optimal for the asymptotic mean squared error among all hard thresholds
//! (it beats truncation at the bulk edge `(1 + √β)·√n₊·σ`), and signal singular values below
//! `β^{1/4}·√n₊·σ` cannot be detected by any method of this kind.
//!
//! # Errors
//! A matrix with fewer than 2 rows or columns, a non-finite entry, a rank above `min(m, n)`,
//! an energy fraction outside `(0, 1]`, a noise level that is not positive, or an SVD failure
//! ([`DenoiseError`]).
//!
//! # References
//! M. Gavish and D. L. Donoho, "The optimal hard threshold for singular values is 4/√3",
//! *IEEE Trans. Inf. Theory* 60(8), 2014, pp. 5040–5053.
//!
//! ```
//! use faer::Mat;
//! use lowrank_core::denoise::{denoise, DenoiseParams, RankRule};
//!
//! // A rank-one 60×40 signal (σ₁ ≈ 800) plus Gaussian noise of σ = 0.1 (threshold ≈ 1.6).
//! let noise = lowrank_testkit::gaussian(60, 40, 1);
//! let y = Mat::<f64>::from_fn(60, 40, |i, j| {
//!     ((i + 1) as f64).sqrt() * ((j + 1) as f64).ln_1p() + 0.1 * noise[(i, j)]
//! });
//! let out = denoise(y.as_ref(), &DenoiseParams::default()).unwrap();
//! assert_eq!(out.rank, 1);
//! assert!(out.threshold.unwrap() < out.singular_values[0]);
//! assert!((out.sigma_estimate - 0.1).abs() < 0.02);
//! assert!(out.compression_ratio.unwrap() > 20.0);
//! ```

use crate::op::DenseOp;
use crate::svd::{compute, Method, RankSpec, SvdParams, Vectors};
use crate::{NoObserver, Observer, SvdError};
use faer::{Mat, MatRef, Par};

/// Where the noise level comes from in the Gavish–Donoho rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NoiseLevel {
    /// Estimated from the median singular value.
    Unknown,
    /// Known standard deviation of each entry's noise, in the data's units (> 0).
    Known(f64),
}

/// How many singular triplets to keep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RankRule {
    /// Keep every singular value above the Gavish–Donoho optimal hard threshold.
    GavishDonoho(NoiseLevel),
    /// The smallest `k` with `Σᵢ≤ₖ sᵢ² ≥ fraction·‖Y‖_F²`, `fraction` in `(0, 1]`.
    Energy(f64),
    /// Exactly `k` (`0 ≤ k ≤ min(m, n)`; `0` gives the zero matrix).
    Fixed(usize),
}

/// Everything that controls [`denoise`].
#[derive(Debug, Clone)]
pub struct DenoiseParams {
    /// Rank rule; default Gavish–Donoho with unknown noise.
    pub rule: RankRule,
    /// Parallelism of the SVD and of the reconstruction.
    pub par: Par,
    /// Refuse the SVD when its estimated memory exceeds this many bytes.
    pub memory_limit: Option<u64>,
}

impl Default for DenoiseParams {
    fn default() -> Self {
        Self {
            rule: RankRule::GavishDonoho(NoiseLevel::Unknown),
            par: Par::Seq,
            memory_limit: None,
        }
    }
}

/// Why a matrix could not be denoised.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DenoiseError {
    /// Fewer than 2 rows or columns: there is no noise bulk to separate a signal from.
    #[error(
        "denoising needs at least 2 rows and 2 columns; the matrix is {nrows}x{ncols} (a single \
         row or column is its own rank-1 approximation, so nothing can be told apart from noise)"
    )]
    TooSmall {
        /// Rows.
        nrows: usize,
        /// Columns.
        ncols: usize,
    },
    /// A NaN or infinite entry.
    #[error(
        "entry at row {row}, column {col} (1-based) is {value}: denoising needs finite values"
    )]
    NonFinite {
        /// 1-based row.
        row: usize,
        /// 1-based column.
        col: usize,
        /// The value.
        value: f64,
    },
    /// More triplets requested than the matrix has.
    #[error(
        "rank {requested} is larger than min(rows, columns) = {max} of the {nrows}x{ncols} matrix"
    )]
    RankTooLarge {
        /// Requested.
        requested: usize,
        /// Largest possible.
        max: usize,
        /// Rows.
        nrows: usize,
        /// Columns.
        ncols: usize,
    },
    /// A parameter is outside its documented range.
    #[error("invalid {name} = {value}: expected {expected}")]
    InvalidParameter {
        /// Parameter name as the user knows it.
        name: &'static str,
        /// Value given.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },
    /// Two matrices that must have the same shape do not.
    #[error("{what} is {got_rows}x{got_cols}, but it must match the {rows}x{cols} input")]
    ShapeMismatch {
        /// What was compared ("reference").
        what: &'static str,
        /// Its rows.
        got_rows: usize,
        /// Its columns.
        got_cols: usize,
        /// Rows expected.
        rows: usize,
        /// Columns expected.
        cols: usize,
    },
    /// The SVD failed.
    #[error(transparent)]
    Svd(#[from] SvdError),
}

/// The result of [`denoise`]: the estimate and the figures that describe it.
#[derive(Debug, Clone)]
pub struct Denoised {
    /// `X̂ = U_k·Σ_k·V_kᵀ` (`m × n`).
    pub estimate: Mat<f64>,
    /// Every singular value of the input, descending (`min(m, n)` of them).
    pub singular_values: Vec<f64>,
    /// Triplets kept.
    pub rank: usize,
    /// The hard threshold applied (Gavish–Donoho rules only).
    pub threshold: Option<f64>,
    /// Noise level estimated from the median singular value, `median(s)/sqrt(n₊·μ_β)`.
    pub sigma_estimate: f64,
    /// `β = min(m, n)/max(m, n)`.
    pub beta: f64,
    /// Median of the Marchenko–Pastur distribution of ratio `β`.
    pub mp_median: f64,
    /// `Σᵢ≤ₖ sᵢ² / Σ sᵢ²` (1 for the zero matrix).
    pub energy_kept: f64,
    /// `m·n / (k·(m + n + 1))`: numbers in the matrix over numbers stored by the rank-`k`
    /// factors; `None` when `k = 0`.
    pub compression_ratio: Option<f64>,
    /// Things the caller should know (an asymptotic rule on a small matrix, no signal found).
    pub notes: Vec<String>,
}

/// `λ*(β)`, the optimal hard threshold for a known noise level in units of `√n₊·σ`
/// (Gavish & Donoho 2014, eq. (11)); `4/√3` at `β = 1`.
///
/// ```
/// let l = lowrank_core::denoise::lambda_star(1.0);
/// assert!((l - 4.0 / 3f64.sqrt()).abs() < 1e-15);
/// ```
pub fn lambda_star(beta: f64) -> f64 {
    let b1 = beta + 1.0;
    (2.0 * b1 + 8.0 * beta / (b1 + (beta * beta + 14.0 * beta + 1.0).sqrt())).sqrt()
}

/// Median of the Marchenko–Pastur distribution with ratio `β ∈ (0, 1]` (variance 1, support
/// `[(1 − √β)², (1 + √β)²]`).
///
/// The density `sqrt((b − x)(x − a))/(2πβx)` is integrated after the substitution
/// `x = (a + b)/2 − (b − a)/2·cos φ`, which removes the square-root endpoints and leaves a
/// smooth integrand (composite Simpson, 2048 panels: error far below `1e-10`); the median is
/// found by bisection on `φ` (60 steps). `μ_1 = 2(1 − cos φ₁)` with `φ₁ + sin φ₁ = π/2`,
/// about `0.6528`.
///
/// Values of `β` outside `(0, 1]` are clamped into it.
///
/// ```
/// let mu = lowrank_core::denoise::mp_median(1.0);
/// assert!((mu - 0.652_79).abs() < 1e-4);
/// ```
pub fn mp_median(beta: f64) -> f64 {
    let beta = if beta.is_finite() {
        beta.clamp(1e-12, 1.0)
    } else {
        1.0
    };
    let a = (1.0 - beta.sqrt()).powi(2);
    let b = (1.0 + beta.sqrt()).powi(2);
    let (mid, half) = ((a + b) / 2.0, (b - a) / 2.0);
    // d(CDF)/dφ = half²·sin²φ / (2πβ·x(φ)); at β = 1 (a = 0) the ratio sin²φ/x stays finite.
    let integrand = |phi: f64| {
        let x = mid - half * phi.cos();
        if x <= 0.0 {
            // φ = 0 with a = 0 (β = 1): half²·sin²φ/x → 2·half as φ → 0.
            return 2.0 * half / (2.0 * std::f64::consts::PI * beta);
        }
        let s = phi.sin();
        half * half * s * s / (2.0 * std::f64::consts::PI * beta * x)
    };
    let cdf = |phi_end: f64| simpson(integrand, 0.0, phi_end, 2048);
    let (mut lo, mut hi) = (0.0, std::f64::consts::PI);
    for _ in 0..60 {
        let m = 0.5 * (lo + hi);
        if cdf(m) < 0.5 {
            lo = m;
        } else {
            hi = m;
        }
    }
    mid - half * (0.5 * (lo + hi)).cos()
}

fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, panels: usize) -> f64 {
    let n = panels + panels % 2;
    let h = (b - a) / n as f64;
    let mut acc = f(a) + f(b);
    for i in 1..n {
        let w = if i % 2 == 1 { 4.0 } else { 2.0 };
        acc += w * f(a + i as f64 * h);
    }
    acc * h / 3.0
}

/// `ω(β) = λ*(β)/sqrt(μ_β)`: the unknown-noise threshold is `ω(β)·median(sᵢ)`. About `2.858`
/// for a square matrix.
///
/// ```
/// let w = lowrank_core::denoise::omega(1.0);
/// assert!((w - 2.858).abs() < 1e-3);
/// ```
pub fn omega(beta: f64) -> f64 {
    lambda_star(beta) / mp_median(beta).sqrt()
}

/// The paper's cubic fit `ω(β) ≈ 0.56β³ − 0.95β² + 1.82β + 1.43`, kept only to compare
/// [`omega`] against; [`denoise`] never uses it.
///
/// ```
/// let (w, c) = (lowrank_core::denoise::omega(0.5), lowrank_core::denoise::omega_cubic(0.5));
/// assert!((w - c).abs() < 0.02);
/// ```
pub fn omega_cubic(beta: f64) -> f64 {
    0.56 * beta.powi(3) - 0.95 * beta.powi(2) + 1.82 * beta + 1.43
}

/// `m·n / (k·(m + n + 1))`, or `None` for `k = 0`.
///
/// ```
/// assert_eq!(lowrank_core::denoise::compression_ratio(100, 100, 1), Some(10000.0 / 201.0));
/// ```
pub fn compression_ratio(m: usize, n: usize, k: usize) -> Option<f64> {
    (k > 0).then(|| (m as f64 * n as f64) / (k as f64 * (m + n + 1) as f64))
}

/// Median of the values (mean of the two middle ones for an even count); `0` when empty.
fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

fn check_same_shape(
    estimate: MatRef<'_, f64>,
    reference: MatRef<'_, f64>,
) -> Result<(), DenoiseError> {
    if estimate.shape() != reference.shape() {
        return Err(DenoiseError::ShapeMismatch {
            what: "reference",
            got_rows: reference.nrows(),
            got_cols: reference.ncols(),
            rows: estimate.nrows(),
            cols: estimate.ncols(),
        });
    }
    Ok(())
}

/// `Σ (aᵢⱼ − bᵢⱼ)²` and `Σ bᵢⱼ²`, for error figures that combine several channels.
///
/// # Errors
/// [`DenoiseError::ShapeMismatch`] when the shapes differ.
pub fn squared_error(
    estimate: MatRef<'_, f64>,
    reference: MatRef<'_, f64>,
) -> Result<(f64, f64), DenoiseError> {
    check_same_shape(estimate, reference)?;
    let (mut err, mut norm) = (0.0, 0.0);
    for j in 0..reference.ncols() {
        for i in 0..reference.nrows() {
            let (a, b) = (estimate[(i, j)], reference[(i, j)]);
            err += (a - b) * (a - b);
            norm += b * b;
        }
    }
    Ok((err, norm))
}

/// `‖estimate − reference‖_F / ‖reference‖_F` (infinite for a zero reference and a non-zero
/// estimate, 0 when both are zero).
///
/// ```
/// use faer::Mat;
/// let r = Mat::<f64>::from_fn(2, 2, |i, j| (i + j) as f64 + 1.0); // ‖r‖² = 1+4+4+9 = 18
/// let e = Mat::<f64>::from_fn(2, 2, |i, j| r[(i, j)] + if i == 0 && j == 0 { 3.0 } else { 0.0 });
/// let rel = lowrank_core::denoise::relative_error(e.as_ref(), r.as_ref()).unwrap();
/// assert!((rel - 3.0 / 18f64.sqrt()).abs() < 1e-15);
/// ```
///
/// # Errors
/// [`DenoiseError::ShapeMismatch`] when the shapes differ.
pub fn relative_error(
    estimate: MatRef<'_, f64>,
    reference: MatRef<'_, f64>,
) -> Result<f64, DenoiseError> {
    let (err, norm) = squared_error(estimate, reference)?;
    Ok(if err == 0.0 { 0.0 } else { (err / norm).sqrt() })
}

/// Peak signal-to-noise ratio in dB, `10·log10(peak² / MSE)`, with `MSE` the mean of
/// `(estimate − reference)²` over all entries; `+∞` for identical matrices. For 8-bit images
/// `peak = 255`.
///
/// ```
/// use faer::Mat;
/// let r = Mat::<f64>::zeros(4, 4);
/// let e = Mat::<f64>::from_fn(4, 4, |_, _| 2.55); // MSE = 2.55², so PSNR = 20·log10(100) = 40
/// let p = lowrank_core::denoise::psnr(e.as_ref(), r.as_ref(), 255.0).unwrap();
/// assert!((p - 40.0).abs() < 1e-12);
/// ```
///
/// # Errors
/// [`DenoiseError::ShapeMismatch`] when the shapes differ.
pub fn psnr(
    estimate: MatRef<'_, f64>,
    reference: MatRef<'_, f64>,
    peak: f64,
) -> Result<f64, DenoiseError> {
    let (err, _) = squared_error(estimate, reference)?;
    let count = (reference.nrows() * reference.ncols()).max(1) as f64;
    Ok(psnr_from_mse(err / count, peak))
}

/// `10·log10(peak² / mse)`; `+∞` when `mse = 0`.
pub fn psnr_from_mse(mse: f64, peak: f64) -> f64 {
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (peak * peak / mse).log10()
    }
}

/// Checks the shape, the entries and the rule before any work (so a caller can validate
/// without computing).
///
/// # Errors
/// As [`denoise_with`], except SVD failures.
pub fn validate(nrows: usize, ncols: usize, rule: &RankRule) -> Result<(), DenoiseError> {
    if nrows < 2 || ncols < 2 {
        return Err(DenoiseError::TooSmall { nrows, ncols });
    }
    match *rule {
        RankRule::Fixed(k) if k > nrows.min(ncols) => Err(DenoiseError::RankTooLarge {
            requested: k,
            max: nrows.min(ncols),
            nrows,
            ncols,
        }),
        RankRule::Energy(f) if !(f > 0.0 && f <= 1.0) => Err(DenoiseError::InvalidParameter {
            name: "energy",
            value: f.to_string(),
            expected: "a fraction in (0, 1]",
        }),
        RankRule::GavishDonoho(NoiseLevel::Known(s)) if !(s.is_finite() && s > 0.0) => {
            Err(DenoiseError::InvalidParameter {
                name: "noise sigma",
                value: s.to_string(),
                expected: "a positive, finite standard deviation",
            })
        }
        _ => Ok(()),
    }
}

/// Denoises `y`: see [`denoise_with`].
///
/// # Errors
/// As [`denoise_with`].
pub fn denoise(y: MatRef<'_, f64>, params: &DenoiseParams) -> Result<Denoised, DenoiseError> {
    denoise_with(y, params, &mut NoObserver)
}

/// Denoises `y` by keeping the singular triplets the rule selects, reporting the SVD's progress
/// to `observer`.
///
/// # Errors
/// [`DenoiseError::TooSmall`] (fewer than 2 rows or columns), [`DenoiseError::NonFinite`],
/// [`DenoiseError::RankTooLarge`], [`DenoiseError::InvalidParameter`] (energy outside
/// `(0, 1]`, noise level not positive), or an SVD failure (memory limit, cancellation).
pub fn denoise_with(
    y: MatRef<'_, f64>,
    params: &DenoiseParams,
    observer: &mut dyn Observer,
) -> Result<Denoised, DenoiseError> {
    let (m, n) = y.shape();
    validate(m, n, &params.rule)?;
    for j in 0..n {
        for i in 0..m {
            let v = y[(i, j)];
            if !v.is_finite() {
                return Err(DenoiseError::NonFinite {
                    row: i + 1,
                    col: j + 1,
                    value: v,
                });
            }
        }
    }
    let min_dim = m.min(n);
    let max_dim = m.max(n);
    // Exact on purpose: the unknown-noise threshold needs the median of *all* singular values,
    // which a truncated (randomized/Lanczos) solver never sees.
    let svd_params = SvdParams {
        rank: RankSpec::Fixed(min_dim),
        method: Method::Exact,
        vectors: Vectors::Both,
        par: params.par,
        memory_limit: params.memory_limit,
        ..SvdParams::default()
    };
    let out = compute(&DenseOp::new(y), &svd_params, observer)?;
    let s = out.svd.s;
    let beta = min_dim as f64 / max_dim as f64;
    let mu = mp_median(beta);
    let med = median(&s);
    let sigma_estimate = med / (max_dim as f64 * mu).sqrt();
    let total: f64 = s.iter().map(|x| x * x).sum();
    let mut notes = Vec::new();

    let (rank, threshold) = match params.rule {
        RankRule::Fixed(k) => (k, None),
        RankRule::Energy(f) => {
            let target = f * total;
            let mut acc = 0.0;
            let mut k = s.len();
            for (i, x) in s.iter().enumerate() {
                acc += x * x;
                // Tolerate rounding in the running sum, so fraction 1 stops at the last
                // non-zero value rather than overshooting.
                if acc >= target * (1.0 - 4.0 * f64::EPSILON * s.len() as f64) {
                    k = i + 1;
                    break;
                }
            }
            (if total == 0.0 { 0 } else { k }, None)
        }
        RankRule::GavishDonoho(noise) => {
            let tau = match noise {
                NoiseLevel::Known(sigma) => lambda_star(beta) * (max_dim as f64).sqrt() * sigma,
                NoiseLevel::Unknown => omega(beta) * med,
            };
            let k = s.iter().take_while(|&&x| x > tau).count();
            if min_dim < 20 {
                notes.push(format!(
                    "the Gavish–Donoho threshold is asymptotic; with min(rows, columns) = \
                     {min_dim} (< 20) it is only a rough guide"
                ));
            }
            if k == 0 {
                notes.push(
                    "no singular value is above the threshold: the input looks like pure noise, \
                     and the estimate is the zero matrix"
                        .to_string(),
                );
            }
            if k == min_dim {
                notes.push(
                    "every singular value is above the threshold: no noise was removed (the \
                     noise level may be much lower than the signal's smallest singular value)"
                        .to_string(),
                );
            }
            (k, Some(tau))
        }
    };
    let kept: f64 = s[..rank].iter().map(|x| x * x).sum();
    let energy_kept = if total > 0.0 { kept / total } else { 1.0 };

    let u = out.svd.u.ok_or(SvdError::NonFinite {
        phase: "denoising (no left singular vectors)",
    })?;
    let v = out.svd.v.ok_or(SvdError::NonFinite {
        phase: "denoising (no right singular vectors)",
    })?;
    let mut estimate = Mat::<f64>::zeros(m, n);
    if rank > 0 {
        let us = Mat::<f64>::from_fn(m, rank, |i, c| u[(i, c)] * s[c]);
        // Deterministic whatever the thread count (the split depends on the shape only).
        crate::op::det_matmul(
            estimate.as_mut(),
            us.as_ref(),
            v.as_ref().subcols(0, rank).transpose(),
            params.par,
        );
    }
    Ok(Denoised {
        estimate,
        singular_values: s,
        rank,
        threshold,
        sigma_estimate,
        beta,
        mp_median: mu,
        energy_kept,
        compression_ratio: compression_ratio(m, n, rank),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lowrank_testkit::{gaussian, planted};

    #[test]
    fn lambda_star_matches_published_values() {
        // 4/√3 for square matrices (the paper's title); λ*(β) → √2 as β → 0 (eq. (11)).
        assert!((lambda_star(1.0) - 4.0 / 3f64.sqrt()).abs() < 1e-15);
        assert!((lambda_star(1.0) - 2.3094).abs() < 1e-4);
        assert!((lambda_star(1e-12) - 2f64.sqrt()).abs() < 1e-6);
        // λ*(0.5) by hand: sqrt(3 + 4/(1.5 + sqrt(8.25))) = 1.97860 (4 more digits than needed).
        assert!((lambda_star(0.5) - 1.978_599).abs() < 1e-5);
    }

    #[test]
    fn mp_median_of_a_square_matrix_matches_the_closed_form() {
        // β = 1: CDF(x = 4 sin²θ) = (2θ + sin 2θ)/π, so the median is 2(1 − cos φ) with
        // φ + sin φ = π/2; solve that scalar equation by Newton independently of mp_median.
        let mut phi: f64 = 0.8;
        for _ in 0..50 {
            phi -= (phi + phi.sin() - std::f64::consts::FRAC_PI_2) / (1.0 + phi.cos());
        }
        let closed = 2.0 * (1.0 - phi.cos());
        // Simpson with 2048 panels on a smooth integrand and 60 bisection steps: ~1e-12.
        assert!((mp_median(1.0) - closed).abs() < 1e-9, "{}", mp_median(1.0));
        assert!((closed - 0.6528).abs() < 1e-4);
        assert!((omega(1.0) - 2.858).abs() < 1e-3, "{}", omega(1.0));
    }

    #[test]
    fn mp_median_integrates_to_the_median_of_samples() {
        // The median of the eigenvalues of WᵀW/n for a Gaussian 400×1000 W (β = 0.4) sits at
        // μ_β up to O(1/n) finite-size effects; 1% is ~5 standard errors at this size.
        let (m, n) = (400, 1000);
        let w = gaussian(m, n, 7);
        let s = crate::svd::compute(
            &DenseOp::new(w.as_ref()),
            &SvdParams {
                rank: RankSpec::Fixed(m),
                method: Method::Exact,
                vectors: Vectors::None,
                ..SvdParams::default()
            },
            &mut NoObserver,
        )
        .unwrap()
        .svd
        .s;
        let eig: Vec<f64> = s.iter().map(|x| x * x / n as f64).collect();
        let mu = mp_median(0.4);
        assert!(
            (median(&eig) - mu).abs() < 0.01 * mu,
            "{} vs {mu}",
            median(&eig)
        );
    }

    #[test]
    fn omega_agrees_with_the_cubic_fit() {
        // The paper gives the cubic as an approximation "within 0.02" of ω(β) (Sec. 3); check
        // it across (0, 1] so a wrong μ_β (e.g. a slip in the density) would show.
        for i in 1..=20 {
            let beta = i as f64 / 20.0;
            let (w, c) = (omega(beta), omega_cubic(beta));
            assert!((w - c).abs() < 0.02, "β = {beta}: ω = {w}, cubic {c}");
        }
    }

    #[test]
    fn median_of_even_and_odd_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    /// The asymptotic squared error of hard thresholding at `λ` (in units of `√n₊·σ`) for a
    /// signal with normalised singular values `x` (Gavish & Donoho 2014, Lemma 4 / eq. (8)),
    /// relative to `Σ x²`.
    fn amse_relative(x: &[f64], beta: f64, lambda: f64) -> f64 {
        let mut err = 0.0;
        for &xi in x {
            let y = if xi > beta.powf(0.25) {
                ((xi + 1.0 / xi) * (xi + beta / xi)).sqrt()
            } else {
                1.0 + beta.sqrt()
            };
            if y > lambda {
                let x4 = xi.powi(4);
                let cc =
                    ((x4 - beta) / (x4 + beta * xi * xi) * (x4 - beta) / (x4 + xi * xi)).sqrt();
                err += y * y + xi * xi - 2.0 * xi * y * cc;
            } else {
                err += xi * xi;
            }
        }
        (err / x.iter().map(|v| v * v).sum::<f64>()).sqrt()
    }

    #[test]
    fn recovers_a_planted_low_rank_signal_at_the_gavish_donoho_rate() {
        let (m, n, sigma) = (200, 300, 1.0);
        // Ten singular values from 2.5 to 7 times √n·σ: all well above the detection limit
        // β^{1/4}·√n·σ ≈ 15.7 and the threshold λ*·√n·σ ≈ 36.5.
        let scale = (n as f64).sqrt() * sigma;
        let x_norm: Vec<f64> = (0..10).map(|i| 2.5 + 0.5 * i as f64).rev().collect();
        let s: Vec<f64> = x_norm.iter().map(|x| x * scale).collect();
        let (x, _, _) = planted(m, n, &s, 11);
        let noise = gaussian(m, n, 12);
        let y = Mat::<f64>::from_fn(m, n, |i, j| x[(i, j)] + sigma * noise[(i, j)]);
        let noisy_err = relative_error(y.as_ref(), x.as_ref()).unwrap();

        let unknown = denoise(y.as_ref(), &DenoiseParams::default()).unwrap();
        let known = denoise(
            y.as_ref(),
            &DenoiseParams {
                rule: RankRule::GavishDonoho(NoiseLevel::Known(sigma)),
                ..DenoiseParams::default()
            },
        )
        .unwrap();
        assert_eq!(unknown.rank, 10);
        assert_eq!(known.rank, 10);
        // σ̂ from the median: the ten spikes shift the median of 200 values by about 10/200
        // quantile steps (~2%); 4% allows for that and for sampling.
        assert!(
            (unknown.sigma_estimate - sigma).abs() < 0.04 * sigma,
            "σ̂ = {}",
            unknown.sigma_estimate
        );

        // Oracle: the best truncation rank of Y, chosen knowing X.
        let svd = crate::svd::compute(
            &DenseOp::new(y.as_ref()),
            &SvdParams {
                rank: RankSpec::Fixed(m),
                method: Method::Exact,
                ..SvdParams::default()
            },
            &mut NoObserver,
        )
        .unwrap()
        .svd;
        let (u, v) = (svd.u.unwrap(), svd.v.unwrap());
        let mut partial = Mat::<f64>::zeros(m, n);
        let mut oracle = relative_error(partial.as_ref(), x.as_ref()).unwrap();
        for k in 0..30 {
            for j in 0..n {
                for i in 0..m {
                    partial[(i, j)] += u[(i, k)] * svd.s[k] * v[(j, k)];
                }
            }
            oracle = oracle.min(relative_error(partial.as_ref(), x.as_ref()).unwrap());
        }
        let err = relative_error(unknown.estimate.as_ref(), x.as_ref()).unwrap();
        let err_known = relative_error(known.estimate.as_ref(), x.as_ref()).unwrap();
        // Same rank, same truncation.
        assert!((err - err_known).abs() < 1e-12);
        // Measured (seeds 11/12): GD 0.2684 = oracle 0.2684, noisy 0.902, asymptotic 0.2695.
        // Within 2% of the oracle truncation.
        assert!(err <= 1.02 * oracle, "GD {err} vs oracle {oracle}");
        // Far below the noise: a rank-k projection keeps about k(m+n)/(mn) ≈ 8% of the noise
        // energy (error ratio ≈ 0.29) plus the signal's own bias; 0.4 leaves room for the bias.
        assert!(err < 0.4 * noisy_err, "GD {err} vs noisy {noisy_err}");
        // Against the asymptotic prediction: finite-size fluctuations of the recovered
        // subspaces are O(1/√min(m, n)) ≈ 7% of each component's error, and they average over
        // the ten components: 5% of the total.
        let predicted = amse_relative(&x_norm, m as f64 / n as f64, lambda_star(2.0 / 3.0));
        assert!(
            (err - predicted).abs() < 0.05 * predicted,
            "relative error {err} vs asymptotic {predicted}"
        );
    }

    #[test]
    fn rank_rules_and_figures() {
        let (y, _, _) = planted(30, 20, &[5.0, 3.0, 1.0], 3);
        let fixed = denoise(
            y.as_ref(),
            &DenoiseParams {
                rule: RankRule::Fixed(2),
                ..DenoiseParams::default()
            },
        )
        .unwrap();
        assert_eq!(fixed.rank, 2);
        assert!((fixed.energy_kept - 34.0 / 35.0).abs() < 1e-12);
        assert_eq!(fixed.compression_ratio, Some(600.0 / (2.0 * 51.0)));
        // Eckart–Young: the error of the rank-2 truncation is σ₃.
        let (e2, _) = squared_error(fixed.estimate.as_ref(), y.as_ref()).unwrap();
        assert!((e2.sqrt() - 1.0).abs() < 1e-12);
        let energy = denoise(
            y.as_ref(),
            &DenoiseParams {
                rule: RankRule::Energy(0.9),
                ..DenoiseParams::default()
            },
        )
        .unwrap();
        // 25/35 = 0.714 < 0.9 ≤ 34/35.
        assert_eq!(energy.rank, 2);
        let zero = denoise(
            y.as_ref(),
            &DenoiseParams {
                rule: RankRule::Fixed(0),
                ..DenoiseParams::default()
            },
        )
        .unwrap();
        assert_eq!(zero.compression_ratio, None);
        assert!(zero.estimate.norm_l2() == 0.0);
    }

    #[test]
    fn bad_inputs_are_named() {
        let ok = Mat::<f64>::from_fn(5, 4, |i, j| (i * j) as f64);
        let row = Mat::<f64>::from_fn(1, 9, |_, j| j as f64);
        assert!(matches!(
            denoise(row.as_ref(), &DenoiseParams::default()),
            Err(DenoiseError::TooSmall { nrows: 1, ncols: 9 })
        ));
        let mut nan = ok.clone();
        nan[(2, 3)] = f64::NAN;
        let e = denoise(nan.as_ref(), &DenoiseParams::default()).unwrap_err();
        assert!(
            matches!(e, DenoiseError::NonFinite { row: 3, col: 4, .. }),
            "{e}"
        );
        let rule = |rule| DenoiseParams {
            rule,
            ..DenoiseParams::default()
        };
        let e = denoise(ok.as_ref(), &rule(RankRule::Fixed(5))).unwrap_err();
        assert!(
            e.to_string().contains("rank 5") && e.to_string().contains("= 4"),
            "{e}"
        );
        for f in [0.0, 1.5, f64::NAN, -0.1] {
            assert!(matches!(
                denoise(ok.as_ref(), &rule(RankRule::Energy(f))),
                Err(DenoiseError::InvalidParameter { name: "energy", .. })
            ));
        }
        for s in [0.0, -1.0, f64::INFINITY] {
            assert!(denoise(
                ok.as_ref(),
                &rule(RankRule::GavishDonoho(NoiseLevel::Known(s)))
            )
            .is_err());
        }
        let other = Mat::<f64>::zeros(4, 5);
        let e = psnr(ok.as_ref(), other.as_ref(), 255.0).unwrap_err();
        assert!(
            e.to_string().contains("4x5") && e.to_string().contains("5x4"),
            "{e}"
        );
    }

    #[test]
    fn psnr_matches_a_hand_computation() {
        // Errors 1, 2, 0, 3 over 4 entries: MSE = 14/4 = 3.5; PSNR = 10·log10(255²/3.5).
        let r = Mat::<f64>::from_fn(2, 2, |i, j| (10 * i + j) as f64);
        let d = [[1.0, 2.0], [0.0, -3.0]];
        let e = Mat::<f64>::from_fn(2, 2, |i, j| r[(i, j)] + d[i][j]);
        let p = psnr(e.as_ref(), r.as_ref(), 255.0).unwrap();
        assert!((p - 10.0 * (65025.0f64 / 3.5).log10()).abs() < 1e-12);
        assert!((p - 42.690_12).abs() < 1e-5);
        assert_eq!(psnr(r.as_ref(), r.as_ref(), 255.0).unwrap(), f64::INFINITY);
    }
}
