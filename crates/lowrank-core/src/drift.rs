//! How much did a decomposition change? Principal angles, matched components and the change of
//! the singular spectrum between two factorizations of data with the same columns.
//!
//! A model retrained on new data (or with another seed, method or rank) has new singular
//! vectors whose signs and order may change even when nothing real did, so comparing the
//! vectors entry by entry says little. [`compare`] measures what is invariant:
//!
//! - **Principal angles** `0 ≤ θ₁ ≤ … ≤ θ_k ≤ π/2` between `span(V_A[:, :k])` and
//!   `span(V_B[:, :k])` (and between the left subspaces when both factorizations have `U` with
//!   the same number of rows). `θ_k = 0` means the same subspace, `π/2` a direction of one that
//!   is orthogonal to all of the other.
//! - **Matched components**: the pairing of the `k` columns of `V_A` with those of `V_B` that
//!   maximises the total `|cosine|` (sign-insensitive: `v` and `−v` are the same axis), found
//!   by the Hungarian algorithm (exact optimum, `O(k³)`), so a swap of two close components or a
//!   sign flip is not reported as drift.
//! - **Spectrum change**, index by index over the common `k`: `max_i |σ_B,i − σ_A,i|/σ_A,i` and
//!   `‖σ_B − σ_A‖₂/‖σ_A‖₂` (a zero `σ_A,i` gives `0` if `σ_B,i` is zero too, `+∞` otherwise).
//! - **Energy retained** (`‖A_k‖_F²/‖A‖_F²`) of each side and its change, when both have it.
//!
//! [`DriftThresholds`] turn the figures into a [`Verdict`] listing every limit exceeded.
//!
//! # Algorithm
//! Each basis is first orthonormalized (thin SVD; a numerically rank-deficient basis is an
//! error). With orthonormal `Q_A`, `Q_B` (`n × k`), the singular values of `Q_AᵀQ_B` are the
//! cosines of the angles, and those of `(I − Q_AQ_Aᵀ)Q_B` their sines (Björck & Golub 1973).
//! The cosine loses everything below `θ ≈ 1e-8` (`cos θ = 1 − θ²/2` rounds to 1), so angles
//! with `cos² θ ≥ ½` come from the sines, the others from the cosines, as
//! `scipy.linalg.subspace_angles` does (Knyazev & Argentati 2002). The absolute error is then a
//! few `ε` for every angle. Cost: `O(n·k²)` for the products and SVDs, plus `O(k³)` for the
//! matching. All products run sequentially, so results do not depend on the thread count.
//!
//! # Errors
//! [`DriftError`]: different numbers of columns (features) in `V_A` and `V_B`, a `k` outside
//! `1..=min(k_A, k_B)`, non-finite factors or singular values, singular values that do not
//! match the number of vectors, or a rank-deficient basis.
//!
//! # References
//! - Å. Björck, G. H. Golub, *Numerical methods for computing angles between linear
//!   subspaces*, Math. Comp. 27 (1973).
//! - A. V. Knyazev, M. E. Argentati, *Principal angles between subspaces in an A-based scalar
//!   product*, SIAM J. Sci. Comput. 23 (2002).
//! - H. W. Kuhn, *The Hungarian method for the assignment problem*, Naval Res. Logist. 2 (1955).
//!
//! ```
//! use faer::Mat;
//! use lowrank_core::drift::{compare, DriftThresholds, Factorization};
//!
//! // Two runs that found the same two axes of R³, in the other order and with a sign flipped.
//! let v_a = Mat::<f64>::from_fn(3, 2, |i, j| if i == j { 1.0 } else { 0.0 });
//! let v_b = Mat::<f64>::from_fn(3, 2, |i, j| if i == 1 - j && i < 2 { -1.0 } else { 0.0 });
//! let a = Factorization::new(&[3.0, 1.0], v_a.as_ref());
//! let b = Factorization::new(&[3.3, 1.0], v_b.as_ref());
//! let drift = compare(&a, &b, None).unwrap();
//! assert!(drift.right.max_angle_degrees < 1e-12);
//! assert_eq!(drift.matches[0].b_index, 1);
//! assert!((drift.min_matched_cosine - 1.0).abs() < 1e-15);
//! assert!((drift.spectrum.max_relative_change - 0.1).abs() < 1e-12);
//! let verdict = drift.verdict(&DriftThresholds { max_spectrum_change: Some(0.05), ..Default::default() });
//! assert_eq!(verdict.exceeded.len(), 1);
//! ```

use crate::svd::linalg::{product, small_svd};
use crate::SvdError;
use faer::{Mat, MatRef, Par};

/// One side of the comparison: singular values and vectors of a factorization
/// `A ≈ U·diag(σ)·Vᵀ` (or a PCA: `V` holds the axes as columns, `U` is absent).
#[derive(Debug, Clone, Copy)]
pub struct Factorization<'a> {
    /// Singular values, descending (one per column of `right`).
    pub singular_values: &'a [f64],
    /// Left singular vectors (`m × k`), if the factorization kept them.
    pub left: Option<MatRef<'a, f64>>,
    /// Right singular vectors / principal axes (`n × k`, one per column).
    pub right: MatRef<'a, f64>,
    /// `‖A_k‖_F²/‖A‖_F²` (or the cumulative explained variance ratio of a PCA), if known.
    pub energy_retained: Option<f64>,
}

impl<'a> Factorization<'a> {
    /// A factorization with right vectors only and no energy figure.
    pub fn new(singular_values: &'a [f64], right: MatRef<'a, f64>) -> Self {
        Self {
            singular_values,
            left: None,
            right,
            energy_retained: None,
        }
    }
}

/// Why two factorizations could not be compared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriftError {
    /// The right factors live in spaces of different dimension (different column counts of
    /// the data), so their subspaces cannot be compared.
    #[error(
        "the factorizations describe data with different numbers of columns: {what} has {a} \
         rows in A but {b} in B"
    )]
    DimensionMismatch {
        /// Which factor ("V (right vectors / axes)").
        what: &'static str,
        /// Rows of A's factor.
        a: usize,
        /// Rows of B's factor.
        b: usize,
    },
    /// A parameter is outside its documented range.
    #[error("invalid {name} = {value}: expected {expected}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// Value given.
        value: String,
        /// What is allowed.
        expected: String,
    },
    /// NaN or infinity in a factor.
    #[error(
        "factorization {side}: {what} has a non-finite value ({value}) at row {row}, column \
         {col} (0-based)"
    )]
    NonFinite {
        /// "A" or "B".
        side: &'static str,
        /// Which part ("V", "U", "singular values").
        what: &'static str,
        /// 0-based row.
        row: usize,
        /// 0-based column.
        col: usize,
        /// The value.
        value: f64,
    },
    /// The parts of one factorization do not fit together.
    #[error("factorization {side} is inconsistent: {message}")]
    Inconsistent {
        /// "A" or "B".
        side: &'static str,
        /// What does not fit.
        message: String,
    },
    /// A basis whose columns are (numerically) linearly dependent spans fewer than `k`
    /// dimensions, so its principal angles are undefined.
    #[error(
        "factorization {side}: the first {k} columns of {what} are linearly dependent \
         (condition number {condition:.3e}); they do not span a {k}-dimensional subspace"
    )]
    RankDeficient {
        /// "A" or "B".
        side: &'static str,
        /// "V" or "U".
        what: &'static str,
        /// Columns compared.
        k: usize,
        /// σ_max/σ_min of the basis.
        condition: f64,
    },
    /// A dense SVD failed.
    #[error(transparent)]
    Svd(#[from] SvdError),
}

/// Principal angles between two `k`-dimensional subspaces.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SubspaceAngles {
    /// The angles in radians, ascending.
    pub angles_radians: Vec<f64>,
    /// The largest angle in degrees (the one thresholds use).
    pub max_angle_degrees: f64,
    /// `‖sin Θ‖₂ = sin θ_k`: the distance between the orthogonal projectors on the subspaces.
    pub projection_distance: f64,
}

/// How one component of A was paired with one of B.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ComponentMatch {
    /// 0-based column of `V_A`.
    pub a_index: usize,
    /// 0-based column of `V_B` it was matched with.
    pub b_index: usize,
    /// `|cos|` of the angle between the two vectors (1 = same axis).
    pub cosine: f64,
    /// `v_B = −v_A` up to rotation: the run flipped the sign of this component.
    pub sign_flipped: bool,
    /// `σ_A` of the component.
    pub sigma_a: f64,
    /// `σ_B` of its match.
    pub sigma_b: f64,
}

/// Relative change of the singular spectrum over the common `k`, index by index.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SpectrumChange {
    /// `|σ_B,i − σ_A,i|/σ_A,i` for `i < k`.
    pub relative_changes: Vec<f64>,
    /// The largest of them.
    pub max_relative_change: f64,
    /// `‖σ_B − σ_A‖₂/‖σ_A‖₂` over the first `k`.
    pub relative_norm_change: f64,
}

/// Energy retained by each side and the change (`B − A`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct EnergyChange {
    /// Energy retained by A.
    pub a: f64,
    /// Energy retained by B.
    pub b: f64,
    /// `b − a`.
    pub change: f64,
}

/// Everything [`compare`] measured.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Drift {
    /// Components compared.
    pub k: usize,
    /// Components in A.
    pub k_a: usize,
    /// Components in B.
    pub k_b: usize,
    /// Angles between the right subspaces (axes).
    pub right: SubspaceAngles,
    /// Angles between the left subspaces, when both have `U` with the same number of rows.
    pub left: Option<SubspaceAngles>,
    /// Why the left subspaces were not compared (when `left` is `None`).
    pub left_skipped: Option<String>,
    /// The optimal sign-insensitive pairing of the first `k` components, by A's index.
    pub matches: Vec<ComponentMatch>,
    /// The smallest matched `|cosine|`.
    pub min_matched_cosine: f64,
    /// Change of the singular values.
    pub spectrum: SpectrumChange,
    /// Change of the energy retained, when both sides know it.
    pub energy_retained: Option<EnergyChange>,
}

/// Limits above which a drift counts as significant; `None` means "no limit".
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct DriftThresholds {
    /// Largest allowed principal angle, in degrees (right and, when measured, left).
    pub max_angle_degrees: Option<f64>,
    /// Largest allowed `max_i |σ_B,i − σ_A,i|/σ_A,i`.
    pub max_spectrum_change: Option<f64>,
    /// Smallest allowed matched `|cosine|`.
    pub min_cosine: Option<f64>,
}

impl DriftThresholds {
    /// Checks every limit is a number in its range (angle in `[0, 90]`, spectrum change `≥ 0`,
    /// cosine in `[0, 1]`).
    ///
    /// ```
    /// use lowrank_core::drift::DriftThresholds;
    /// let bad = DriftThresholds { min_cosine: Some(1.5), ..Default::default() };
    /// assert!(bad.check().is_err());
    /// assert!(DriftThresholds::default().check().is_ok());
    /// ```
    pub fn check(&self) -> Result<(), DriftError> {
        let bad = |name: &'static str, v: f64, expected: &str| DriftError::InvalidParameter {
            name,
            value: v.to_string(),
            expected: expected.to_string(),
        };
        if let Some(v) = self.max_angle_degrees {
            if !(0.0..=90.0).contains(&v) {
                return Err(bad("max angle", v, "degrees in [0, 90]"));
            }
        }
        if let Some(v) = self.max_spectrum_change {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(bad("max spectrum change", v, "a finite number ≥ 0"));
            }
        }
        if let Some(v) = self.min_cosine {
            if !(0.0..=1.0).contains(&v) {
                return Err(bad("min cosine", v, "a number in [0, 1]"));
            }
        }
        Ok(())
    }
}

/// One limit that was exceeded.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Exceeded {
    /// Which limit: `max_angle_degrees`, `max_left_angle_degrees`, `max_spectrum_change`
    /// or `min_cosine`.
    pub threshold: &'static str,
    /// The measured value.
    pub value: f64,
    /// The limit.
    pub limit: f64,
}

/// The outcome of checking a [`Drift`] against [`DriftThresholds`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Verdict {
    /// Every limit exceeded (empty: within thresholds).
    pub exceeded: Vec<Exceeded>,
}

impl Verdict {
    /// No limit was exceeded.
    pub fn within(&self) -> bool {
        self.exceeded.is_empty()
    }
}

impl Drift {
    /// Which thresholds this drift exceeds. A non-finite measurement (an infinite spectrum
    /// change from a zero `σ_A`) exceeds any limit.
    pub fn verdict(&self, t: &DriftThresholds) -> Verdict {
        let mut exceeded = Vec::new();
        let mut above = |threshold, value: f64, limit: Option<f64>| {
            if let Some(limit) = limit {
                // NaN never passes.
                let within = value <= limit;
                if !within {
                    exceeded.push(Exceeded {
                        threshold,
                        value,
                        limit,
                    });
                }
            }
        };
        above(
            "max_angle_degrees",
            self.right.max_angle_degrees,
            t.max_angle_degrees,
        );
        if let Some(left) = &self.left {
            above(
                "max_left_angle_degrees",
                left.max_angle_degrees,
                t.max_angle_degrees,
            );
        }
        above(
            "max_spectrum_change",
            self.spectrum.max_relative_change,
            t.max_spectrum_change,
        );
        if let Some(min) = t.min_cosine {
            let within = self.min_matched_cosine >= min;
            if !within {
                exceeded.push(Exceeded {
                    threshold: "min_cosine",
                    value: self.min_matched_cosine,
                    limit: min,
                });
            }
        }
        Verdict { exceeded }
    }
}

/// Compares two factorizations over their first `k` components (`None`: `min(k_A, k_B)`).
///
/// See the [module documentation](self) for what is measured and how.
///
/// # Errors
/// [`DriftError::DimensionMismatch`] when `V_A` and `V_B` have different numbers of rows,
/// [`DriftError::InvalidParameter`] for `k` outside `1..=min(k_A, k_B)`,
/// [`DriftError::NonFinite`], [`DriftError::Inconsistent`] (singular values and vectors of
/// different counts, negative singular values) and [`DriftError::RankDeficient`].
///
/// ```
/// use faer::Mat;
/// use lowrank_core::drift::{compare, Factorization};
///
/// // span(e₁) against span(cos t·e₁ + sin t·e₂): one principal angle, t.
/// let t = 0.3f64;
/// let v_a = Mat::<f64>::from_fn(3, 1, |i, _| if i == 0 { 1.0 } else { 0.0 });
/// let v_b = Mat::<f64>::from_fn(3, 1, |i, _| [t.cos(), t.sin(), 0.0][i]);
/// let d = compare(&Factorization::new(&[2.0], v_a.as_ref()),
///                 &Factorization::new(&[2.0], v_b.as_ref()), Some(1)).unwrap();
/// assert!((d.right.angles_radians[0] - t).abs() < 1e-15);
/// assert!((d.min_matched_cosine - t.cos()).abs() < 1e-15);
/// ```
pub fn compare(
    a: &Factorization<'_>,
    b: &Factorization<'_>,
    k: Option<usize>,
) -> Result<Drift, DriftError> {
    check_side(a, "A")?;
    check_side(b, "B")?;
    let (k_a, k_b) = (a.right.ncols(), b.right.ncols());
    if a.right.nrows() != b.right.nrows() {
        return Err(DriftError::DimensionMismatch {
            what: "V (right vectors / axes)",
            a: a.right.nrows(),
            b: b.right.nrows(),
        });
    }
    let max_k = k_a.min(k_b);
    let k = k.unwrap_or(max_k);
    if k == 0 || k > max_k {
        return Err(DriftError::InvalidParameter {
            name: "k",
            value: k.to_string(),
            expected: format!(
                "1 ≤ k ≤ min(k_A, k_B) = {max_k} (A has {k_a} components, B has {k_b})"
            ),
        });
    }
    let v_a = a.right.subcols(0, k);
    let v_b = b.right.subcols(0, k);
    let right = subspace_angles_checked(v_a, v_b, ("A", "B"), "V")?;

    let (left, left_skipped) = match (a.left, b.left) {
        (Some(ua), Some(ub)) if ua.nrows() == ub.nrows() => (
            Some(subspace_angles_checked(
                ua.subcols(0, k),
                ub.subcols(0, k),
                ("A", "B"),
                "U",
            )?),
            None,
        ),
        (Some(ua), Some(ub)) => (
            None,
            Some(format!(
                "U has {} rows in A and {} in B (different samples)",
                ua.nrows(),
                ub.nrows()
            )),
        ),
        (None, None) => (None, Some("neither factorization has U".to_string())),
        (None, Some(_)) => (None, Some("A has no U".to_string())),
        (Some(_), None) => (None, Some("B has no U".to_string())),
    };

    let matches = match_components(v_a, v_b, &a.singular_values[..k], &b.singular_values[..k]);
    let min_matched_cosine = matches.iter().map(|m| m.cosine).fold(1.0f64, f64::min);
    let spectrum = spectrum_change(&a.singular_values[..k], &b.singular_values[..k]);
    let energy_retained = match (a.energy_retained, b.energy_retained) {
        (Some(ea), Some(eb)) => Some(EnergyChange {
            a: ea,
            b: eb,
            change: eb - ea,
        }),
        _ => None,
    };
    Ok(Drift {
        k,
        k_a,
        k_b,
        right,
        left,
        left_skipped,
        matches,
        min_matched_cosine,
        spectrum,
        energy_retained,
    })
}

/// Principal angles (radians, ascending) between the column spans of `a` and `b`, both
/// `n × k` with linearly independent columns (they need not be orthonormal).
///
/// Accurate to a few `ε` in absolute terms for every angle, small ones included (see the
/// module's `# Algorithm`).
///
/// # Errors
/// Different shapes ([`DriftError::DimensionMismatch`] or [`DriftError::InvalidParameter`]),
/// non-finite entries, or linearly dependent columns ([`DriftError::RankDeficient`]).
///
/// ```
/// use faer::Mat;
/// use lowrank_core::drift::principal_angles;
///
/// // The x–y plane against the plane spanned by e₁ and (e₂ + e₃)/√2: angles 0 and 45°.
/// let a = Mat::<f64>::from_fn(3, 2, |i, j| if i == j { 1.0 } else { 0.0 });
/// let b = Mat::<f64>::from_fn(3, 2, |i, j| [[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]][i][j]);
/// let theta = principal_angles(a.as_ref(), b.as_ref()).unwrap();
/// assert!(theta[0].abs() < 1e-15);
/// assert!((theta[1] - std::f64::consts::FRAC_PI_4).abs() < 1e-15);
/// ```
pub fn principal_angles(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Result<Vec<f64>, DriftError> {
    if a.nrows() != b.nrows() {
        return Err(DriftError::DimensionMismatch {
            what: "basis",
            a: a.nrows(),
            b: b.nrows(),
        });
    }
    if a.ncols() != b.ncols() {
        return Err(DriftError::InvalidParameter {
            name: "basis columns",
            value: format!("{} and {}", a.ncols(), b.ncols()),
            expected: "the same number of columns in both bases".to_string(),
        });
    }
    check_finite(a, "A", "basis")?;
    check_finite(b, "B", "basis")?;
    Ok(subspace_angles_checked(a, b, ("A", "B"), "basis")?.angles_radians)
}

/// The thin SVD `U·diag(σ)·Vᵀ` of the product `P·Qᵀ` of two factor matrices (`m × r` and
/// `n × r`, e.g. the user and item factors of a recommender) without forming the `m × n`
/// product, so two factor models can be compared with [`compare`] like two SVDs. The result
/// has `min(m, n, r)` columns, σ descending.
///
/// # Algorithm
/// `P = U_P·S_P·W_Pᵀ` and `Q = U_Q·S_Q·W_Qᵀ` (thin SVDs), then the small SVD
/// `S_P·W_PᵀW_Q·S_Q = X·Σ·Yᵀ`, giving `U = U_P·X`, `V = U_Q·Y`. Cost `O((m + n)·r²)`.
///
/// # Errors
/// Different factor counts ([`DriftError::InvalidParameter`]), non-finite entries.
///
/// ```
/// use faer::Mat;
/// use lowrank_core::drift::product_svd;
///
/// // P·Qᵀ = 6·e₁e₂ᵀ: one singular value 6, u = ±e₁, v = ±e₂.
/// let p = Mat::<f64>::from_fn(3, 1, |i, _| if i == 0 { 2.0 } else { 0.0 });
/// let q = Mat::<f64>::from_fn(2, 1, |i, _| if i == 1 { 3.0 } else { 0.0 });
/// let svd = product_svd(p.as_ref(), q.as_ref()).unwrap();
/// let (s, u, v) = (&svd.singular_values, &svd.left, &svd.right);
/// assert!((s[0] - 6.0).abs() < 1e-14);
/// assert!((u[(0, 0)].abs() - 1.0).abs() < 1e-14 && (v[(1, 0)].abs() - 1.0).abs() < 1e-14);
/// ```
pub fn product_svd(p: MatRef<'_, f64>, q: MatRef<'_, f64>) -> Result<ProductSvd, DriftError> {
    if p.ncols() != q.ncols() {
        return Err(DriftError::InvalidParameter {
            name: "factor columns",
            value: format!("{} and {}", p.ncols(), q.ncols()),
            expected: "the same number of factors in P and Q".to_string(),
        });
    }
    check_finite(p, "P", "factors")?;
    check_finite(q, "Q", "factors")?;
    if p.ncols() == 0 || p.nrows() == 0 || q.nrows() == 0 {
        return Ok(ProductSvd {
            singular_values: Vec::new(),
            left: Mat::zeros(p.nrows(), 0),
            right: Mat::zeros(q.nrows(), 0),
        });
    }
    let par = Par::Seq;
    let (sp, up, wp) = small_svd(p)?;
    let (sq, uq, wq) = small_svd(q)?;
    let mut core = product(wp.transpose(), wq.as_ref(), par);
    for i in 0..core.nrows() {
        for j in 0..core.ncols() {
            core[(i, j)] *= sp[i] * sq[j];
        }
    }
    let (sigma, x, y) = small_svd(core.as_ref())?;
    let c = sigma.len();
    Ok(ProductSvd {
        left: product(up.as_ref(), x.subcols(0, c), par),
        right: product(uq.as_ref(), y.subcols(0, c), par),
        singular_values: sigma,
    })
}

/// The thin SVD of a product of factors, from [`product_svd`].
#[derive(Debug, Clone)]
pub struct ProductSvd {
    /// σ, descending.
    pub singular_values: Vec<f64>,
    /// Left singular vectors (`m × c`, spanning the rows of `P`'s side).
    pub left: Mat<f64>,
    /// Right singular vectors (`n × c`, spanning `Q`'s side).
    pub right: Mat<f64>,
}

/// Angles between the spans of two finite `n × k` bases of the same shape.
fn subspace_angles_checked(
    a: MatRef<'_, f64>,
    b: MatRef<'_, f64>,
    sides: (&'static str, &'static str),
    what: &'static str,
) -> Result<SubspaceAngles, DriftError> {
    let k = a.ncols();
    let qa = orthonormal_basis(a, sides.0, what)?;
    let qb = orthonormal_basis(b, sides.1, what)?;
    let par = Par::Seq;
    let cross = product(qa.transpose(), qb.as_ref(), par);
    let (cosines, _, _) = small_svd(cross.as_ref())?; // descending: angles ascending
    let projected = product(qa.as_ref(), cross.as_ref(), par);
    let residual = &qb - &projected; // (I − Q_A Q_Aᵀ) Q_B
    let (sines, _, _) = small_svd(residual.as_ref())?; // descending: angles descending
    let angles_radians: Vec<f64> = (0..k)
        .map(|i| {
            let c = cosines[i].clamp(0.0, 1.0);
            if c * c >= 0.5 {
                sines[k - 1 - i].clamp(0.0, 1.0).asin()
            } else {
                c.acos()
            }
        })
        .collect();
    // Mixing the two formulas can break the order by a rounding error at 45°.
    let mut angles_radians = angles_radians;
    angles_radians.sort_by(f64::total_cmp);
    let largest = angles_radians.last().copied().unwrap_or(0.0);
    Ok(SubspaceAngles {
        max_angle_degrees: largest.to_degrees(),
        projection_distance: largest.sin(),
        angles_radians,
    })
}

/// An orthonormal basis of `span(x)` (the left singular vectors), or an error when `x` is
/// numerically rank-deficient.
fn orthonormal_basis(
    x: MatRef<'_, f64>,
    side: &'static str,
    what: &'static str,
) -> Result<Mat<f64>, DriftError> {
    let (s, u, _) = small_svd(x)?;
    let k = x.ncols();
    let (largest, smallest) = (s[0], s[k - 1]);
    // Columns independent to working precision: the usual rank cut-off ε·max(n, k)·σ₁
    // (NumPy's matrix_rank), with a margin of 100 for the products that produced the factors.
    let cutoff = 100.0 * f64::EPSILON * x.nrows().max(k) as f64 * largest;
    let independent = smallest > cutoff;
    if !independent {
        return Err(DriftError::RankDeficient {
            side,
            what,
            k,
            condition: if smallest > 0.0 {
                largest / smallest
            } else {
                f64::INFINITY
            },
        });
    }
    Ok(u.subcols(0, k).to_owned())
}

/// The optimal sign-insensitive pairing of the columns of `a` with those of `b` (same shape).
fn match_components(
    a: MatRef<'_, f64>,
    b: MatRef<'_, f64>,
    sigma_a: &[f64],
    sigma_b: &[f64],
) -> Vec<ComponentMatch> {
    let k = a.ncols();
    let norms = |x: MatRef<'_, f64>| -> Vec<f64> {
        (0..k)
            .map(|j| crate::svd::linalg::norm2(x.subcols(j, 1)))
            .collect()
    };
    let (na, nb) = (norms(a), norms(b));
    let dots = product(a.transpose(), b, Par::Seq);
    let cos = |i: usize, j: usize| -> f64 {
        let d = na[i] * nb[j];
        if d > 0.0 {
            (dots[(i, j)] / d).clamp(-1.0, 1.0)
        } else {
            0.0
        }
    };
    let cost: Vec<Vec<f64>> = (0..k)
        .map(|i| (0..k).map(|j| 1.0 - cos(i, j).abs()).collect())
        .collect();
    let assignment = hungarian_min(&cost);
    assignment
        .iter()
        .enumerate()
        .map(|(i, &j)| {
            let c = cos(i, j);
            ComponentMatch {
                a_index: i,
                b_index: j,
                cosine: c.abs(),
                sign_flipped: c < 0.0,
                sigma_a: sigma_a[i],
                sigma_b: sigma_b[j],
            }
        })
        .collect()
}

/// Minimum-cost perfect assignment of a square cost matrix (rows to columns): the Hungarian
/// algorithm with potentials (Kuhn–Munkres, `O(k³)`). Returns the column of every row.
fn hungarian_min(cost: &[Vec<f64>]) -> Vec<usize> {
    let n = cost.len();
    // 1-based arrays, index 0 is the virtual start column.
    let mut u = vec![0.0f64; n + 1];
    let mut v = vec![0.0f64; n + 1];
    let mut row_of_col = vec![0usize; n + 1];
    let mut way = vec![0usize; n + 1];
    for row in 1..=n {
        row_of_col[0] = row;
        let mut col0 = 0usize;
        let mut min_slack = vec![f64::INFINITY; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[col0] = true;
            let r0 = row_of_col[col0];
            let mut delta = f64::INFINITY;
            let mut col1 = 0usize;
            for col in 1..=n {
                if used[col] {
                    continue;
                }
                let slack = cost[r0 - 1][col - 1] - u[r0] - v[col];
                if slack < min_slack[col] {
                    min_slack[col] = slack;
                    way[col] = col0;
                }
                if min_slack[col] < delta {
                    delta = min_slack[col];
                    col1 = col;
                }
            }
            for col in 0..=n {
                if used[col] {
                    u[row_of_col[col]] += delta;
                    v[col] -= delta;
                } else {
                    min_slack[col] -= delta;
                }
            }
            col0 = col1;
            if row_of_col[col0] == 0 {
                break;
            }
        }
        loop {
            let col1 = way[col0];
            row_of_col[col0] = row_of_col[col1];
            col0 = col1;
            if col0 == 0 {
                break;
            }
        }
    }
    let mut col_of_row = vec![0usize; n];
    for col in 1..=n {
        if row_of_col[col] != 0 {
            col_of_row[row_of_col[col] - 1] = col - 1;
        }
    }
    col_of_row
}

fn spectrum_change(sa: &[f64], sb: &[f64]) -> SpectrumChange {
    let rel = |a: f64, b: f64| -> f64 {
        if a > 0.0 {
            (b - a).abs() / a
        } else if b == a {
            0.0
        } else {
            f64::INFINITY
        }
    };
    let relative_changes: Vec<f64> = sa.iter().zip(sb).map(|(&a, &b)| rel(a, b)).collect();
    let max_relative_change = relative_changes.iter().copied().fold(0.0f64, f64::max);
    let diff: f64 = sa.iter().zip(sb).map(|(a, b)| (b - a) * (b - a)).sum();
    let norm_a: f64 = sa.iter().map(|a| a * a).sum();
    SpectrumChange {
        relative_changes,
        max_relative_change,
        relative_norm_change: rel(norm_a.sqrt(), norm_a.sqrt() + diff.sqrt()),
    }
}

fn check_finite(
    x: MatRef<'_, f64>,
    side: &'static str,
    what: &'static str,
) -> Result<(), DriftError> {
    for j in 0..x.ncols() {
        for i in 0..x.nrows() {
            let value = x[(i, j)];
            if !value.is_finite() {
                return Err(DriftError::NonFinite {
                    side,
                    what,
                    row: i,
                    col: j,
                    value,
                });
            }
        }
    }
    Ok(())
}

fn check_side(f: &Factorization<'_>, side: &'static str) -> Result<(), DriftError> {
    check_finite(f.right, side, "V")?;
    if let Some(u) = f.left {
        check_finite(u, side, "U")?;
        if u.ncols() != f.right.ncols() {
            return Err(DriftError::Inconsistent {
                side,
                message: format!("U has {} columns but V has {}", u.ncols(), f.right.ncols()),
            });
        }
    }
    if f.singular_values.len() != f.right.ncols() {
        return Err(DriftError::Inconsistent {
            side,
            message: format!(
                "{} singular values for {} vectors",
                f.singular_values.len(),
                f.right.ncols()
            ),
        });
    }
    for (i, &s) in f.singular_values.iter().enumerate() {
        if !s.is_finite() {
            return Err(DriftError::NonFinite {
                side,
                what: "singular values",
                row: i,
                col: 0,
                value: s,
            });
        }
        if s < 0.0 {
            return Err(DriftError::Inconsistent {
                side,
                message: format!("singular value {i} (0-based) is negative ({s})"),
            });
        }
    }
    if f.right.nrows() < f.right.ncols() {
        return Err(DriftError::Inconsistent {
            side,
            message: format!(
                "V has {} columns in a space of dimension {}: at most {} independent vectors",
                f.right.ncols(),
                f.right.nrows(),
                f.right.nrows()
            ),
        });
    }
    if let Some(e) = f.energy_retained {
        if !e.is_finite() {
            return Err(DriftError::NonFinite {
                side,
                what: "energy retained",
                row: 0,
                col: 0,
                value: e,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::svd::linalg::{gaussian, rng};

    /// `2k` orthonormal columns in `Rⁿ` (the left singular vectors of a Gaussian matrix),
    /// split into `V_A` (first k) and `W` (next k, orthogonal to `V_A`).
    fn basis_and_complement(n: usize, k: usize, seed: u64) -> (Mat<f64>, Mat<f64>) {
        let g = gaussian(n, 2 * k, &mut rng(seed, 0));
        let (_, q, _) = small_svd(g.as_ref()).unwrap();
        (q.subcols(0, k).to_owned(), q.subcols(k, k).to_owned())
    }

    /// `V_B = V_A·diag(cos θ) + W·diag(sin θ)`: its principal angles to `V_A` are exactly θ.
    fn rotated(va: &Mat<f64>, w: &Mat<f64>, theta: &[f64]) -> Mat<f64> {
        Mat::<f64>::from_fn(va.nrows(), va.ncols(), |i, j| {
            va[(i, j)] * theta[j].cos() + w[(i, j)] * theta[j].sin()
        })
    }

    /// Constructed angles come back, tiny ones included. Tolerance: the rotated basis is itself
    /// rounded (each entry carries a relative error ε), so its true angles differ from θ by
    /// O(√n·ε) ≈ 1e-15; the sine formula adds a few ε more. 1e-13 absolute leaves room for that
    /// and still fails for the cosine formula at θ = 1e-8 (error 1e-8), checked below.
    #[test]
    fn known_rotations_are_recovered_even_when_tiny() {
        let (n, k) = (60, 5);
        let (va, w) = basis_and_complement(n, k, 7);
        for theta in [
            vec![1e-8, 2e-8, 3e-8, 5e-8, 1e-7],
            vec![1e-12, 1e-10, 1e-6, 1e-3, 0.1],
            vec![0.2, 0.5, 0.785, 0.786, 1.2],
            vec![1.0, 1.3, 1.5, 1.55, std::f64::consts::FRAC_PI_2],
        ] {
            let vb = rotated(&va, &w, &theta);
            let got = principal_angles(va.as_ref(), vb.as_ref()).unwrap();
            let mut want = theta.clone();
            want.sort_by(f64::total_cmp);
            for (g, t) in got.iter().zip(&want) {
                assert!((g - t).abs() < 1e-13, "angle {g:e} vs {t:e} ({theta:?})");
            }
            // The cosine alone would have lost the small angles: arccos(cos(1e-8)) = 0.
            if theta[0] == 1e-8 {
                assert_eq!(theta[0].cos().acos(), 0.0);
            }
        }
    }

    /// Left and right subspaces both compared; the drift reports the largest angle in degrees.
    #[test]
    fn left_and_right_angles_and_degrees() {
        let (va, wv) = basis_and_complement(40, 3, 1);
        let (ua, wu) = basis_and_complement(70, 3, 2);
        let vb = rotated(&va, &wv, &[0.01, 0.02, 0.03]);
        let ub = rotated(&ua, &wu, &[0.0, 0.0, 0.2]);
        let s = [5.0, 3.0, 1.0];
        let a = Factorization {
            singular_values: &s,
            left: Some(ua.as_ref()),
            right: va.as_ref(),
            energy_retained: Some(0.9),
        };
        let b = Factorization {
            singular_values: &s,
            left: Some(ub.as_ref()),
            right: vb.as_ref(),
            energy_retained: Some(0.85),
        };
        let d = compare(&a, &b, None).unwrap();
        assert!((d.right.max_angle_degrees - 0.03f64.to_degrees()).abs() < 1e-11);
        let left = d.left.as_ref().unwrap();
        assert!((left.max_angle_degrees - 0.2f64.to_degrees()).abs() < 1e-11);
        assert!((left.projection_distance - 0.2f64.sin()).abs() < 1e-13);
        // Each rotated vector is matched with its origin: cos θ_j (the W parts are orthogonal
        // to every column of V_A).
        for (m, t) in d.matches.iter().zip([0.01f64, 0.02, 0.03]) {
            assert_eq!(m.a_index, m.b_index);
            assert!((m.cosine - t.cos()).abs() < 1e-14);
        }
        let e = d.energy_retained.unwrap();
        assert!((e.change + 0.05).abs() < 1e-15);
        let v = d.verdict(&DriftThresholds {
            max_angle_degrees: Some(5.0),
            ..Default::default()
        });
        assert_eq!(v.exceeded.len(), 1);
        assert_eq!(v.exceeded[0].threshold, "max_left_angle_degrees");
    }

    /// Identical inputs: every figure is zero (or one for the cosines), to rounding.
    #[test]
    fn identical_inputs_give_zero_drift() {
        let (va, _) = basis_and_complement(30, 4, 3);
        let s = [4.0, 3.0, 2.0, 1.0];
        let a = Factorization::new(&s, va.as_ref());
        let d = compare(&a, &a, None).unwrap();
        assert!(d.right.angles_radians.iter().all(|t| *t < 1e-14));
        assert_eq!(d.spectrum.max_relative_change, 0.0);
        assert_eq!(d.spectrum.relative_norm_change, 0.0);
        assert!((d.min_matched_cosine - 1.0).abs() < 1e-14);
        assert!(d.matches.iter().all(|m| m.a_index == m.b_index));
        assert!(d
            .verdict(&DriftThresholds {
                max_angle_degrees: Some(1e-6),
                max_spectrum_change: Some(0.0),
                min_cosine: Some(0.999_999),
            })
            .within());
    }

    /// Permuted and sign-flipped columns are the same components: cosines 1, the permutation
    /// recovered, flips reported, angles zero.
    #[test]
    fn permutations_and_sign_flips_match_with_cosine_one() {
        let (va, _) = basis_and_complement(25, 5, 4);
        let perm = [3usize, 0, 4, 1, 2]; // column j of B is column perm[j] of A
        let signs = [1.0, -1.0, -1.0, 1.0, -1.0];
        let vb = Mat::<f64>::from_fn(25, 5, |i, j| signs[j] * va[(i, perm[j])]);
        let sa = [5.0, 4.0, 3.0, 2.0, 1.0];
        let d = compare(
            &Factorization::new(&sa, va.as_ref()),
            &Factorization::new(&sa, vb.as_ref()),
            None,
        )
        .unwrap();
        assert!(d.right.max_angle_degrees < 1e-12);
        for m in &d.matches {
            assert_eq!(perm[m.b_index], m.a_index);
            assert!((m.cosine - 1.0).abs() < 1e-14);
            assert_eq!(m.sign_flipped, signs[m.b_index] < 0.0);
        }
    }

    /// The Hungarian pairing against brute force over all permutations (the reference) on
    /// random cost matrices: the totals agree to rounding.
    #[test]
    fn hungarian_is_optimal_against_brute_force() {
        fn permutations(n: usize) -> Vec<Vec<usize>> {
            if n == 0 {
                return vec![vec![]];
            }
            let mut out = Vec::new();
            for p in permutations(n - 1) {
                for pos in 0..=p.len() {
                    let mut q = p.clone();
                    q.insert(pos, n - 1);
                    out.push(q);
                }
            }
            out
        }
        for (seed, n) in [(1u64, 1usize), (2, 2), (3, 4), (4, 6), (5, 7), (6, 7)] {
            let g = gaussian(n, n, &mut rng(seed, 1));
            let cost: Vec<Vec<f64>> = (0..n)
                .map(|i| (0..n).map(|j| g[(i, j)].abs()).collect())
                .collect();
            let total = |p: &[usize]| p.iter().enumerate().map(|(i, &j)| cost[i][j]).sum::<f64>();
            let best = permutations(n)
                .iter()
                .map(|p| total(p))
                .fold(f64::INFINITY, f64::min);
            let got = hungarian_min(&cost);
            let mut seen = got.clone();
            seen.sort_unstable();
            assert_eq!(seen, (0..n).collect::<Vec<_>>());
            assert!((total(&got) - best).abs() < 1e-12, "n = {n}");
        }
    }

    /// Spectrum figures by hand: σ_A = (4, 2), σ_B = (5, 2) → max 0.25, norm 1/√20.
    #[test]
    fn spectrum_change_by_hand() {
        let c = spectrum_change(&[4.0, 2.0], &[5.0, 2.0]);
        assert_eq!(c.relative_changes, vec![0.25, 0.0]);
        assert!((c.relative_norm_change - 1.0 / 20f64.sqrt()).abs() < 1e-15);
        let z = spectrum_change(&[1.0, 0.0], &[1.0, 1e-3]);
        assert!(z.max_relative_change.is_infinite());
    }

    #[test]
    fn bad_inputs_are_errors() {
        let (va, _) = basis_and_complement(10, 3, 5);
        let s = [3.0, 2.0, 1.0];
        let a = Factorization::new(&s, va.as_ref());
        // Different ambient dimension.
        let (vb, _) = basis_and_complement(11, 3, 6);
        let b = Factorization::new(&s, vb.as_ref());
        assert!(matches!(
            compare(&a, &b, None),
            Err(DriftError::DimensionMismatch { a: 10, b: 11, .. })
        ));
        // k too large, k = 0.
        assert!(matches!(
            compare(&a, &a, Some(4)),
            Err(DriftError::InvalidParameter { name: "k", .. })
        ));
        assert!(compare(&a, &a, Some(0)).is_err());
        // NaN, with its position.
        let mut bad = va.clone();
        bad[(7, 2)] = f64::NAN;
        let e = compare(&a, &Factorization::new(&s, bad.as_ref()), None).unwrap_err();
        assert!(matches!(
            e,
            DriftError::NonFinite {
                side: "B",
                what: "V",
                row: 7,
                col: 2,
                ..
            }
        ));
        // Singular values that do not fit.
        assert!(matches!(
            compare(&Factorization::new(&s[..2], va.as_ref()), &a, None),
            Err(DriftError::Inconsistent { side: "A", .. })
        ));
        // A repeated column.
        let dup = Mat::<f64>::from_fn(10, 3, |i, j| va[(i, j.min(1))]);
        assert!(matches!(
            compare(&a, &Factorization::new(&s, dup.as_ref()), None),
            Err(DriftError::RankDeficient { side: "B", .. })
        ));
        // Thresholds out of range.
        for t in [
            DriftThresholds {
                max_angle_degrees: Some(f64::NAN),
                ..Default::default()
            },
            DriftThresholds {
                max_spectrum_change: Some(-1.0),
                ..Default::default()
            },
        ] {
            assert!(t.check().is_err());
        }
    }

    /// `product_svd` against the SVD of the explicitly formed product (the reference):
    /// singular values to 1e-13 relative (both backward stable: a few ε·‖P‖‖Q‖ absolute, and
    /// the σ here are within a factor 100 of σ₁), subspaces to 1e-11 radians (the smallest gap
    /// between the σ is ≥ 0.05·σ₁, so perturbation theory allows ~ε/0.05).
    #[test]
    fn product_svd_matches_the_svd_of_the_formed_product() {
        let p = gaussian(40, 4, &mut rng(11, 0));
        let mut q = gaussian(25, 4, &mut rng(12, 0));
        for j in 0..4 {
            for i in 0..25 {
                q[(i, j)] *= [8.0, 4.0, 2.0, 1.0][j];
            }
        }
        let out = product_svd(p.as_ref(), q.as_ref()).unwrap();
        let (s, u, v) = (out.singular_values, out.left, out.right);
        let formed = product(p.as_ref(), q.transpose(), Par::Seq);
        let (s_ref, u_ref, v_ref) = small_svd(formed.as_ref()).unwrap();
        assert_eq!(s.len(), 4);
        for i in 0..4 {
            assert!(
                (s[i] - s_ref[i]).abs() < 1e-13 * s_ref[0],
                "{s:?} vs {s_ref:?}"
            );
        }
        let a_u = principal_angles(u.as_ref(), u_ref.subcols(0, 4)).unwrap();
        let a_v = principal_angles(v.as_ref(), v_ref.subcols(0, 4)).unwrap();
        assert!(a_u[3] < 1e-11 && a_v[3] < 1e-11, "{a_u:?} {a_v:?}");
        // Column by column too (each σ is simple): |cos| = 1.
        for j in 0..4 {
            let dot: f64 = (0..25).map(|i| v[(i, j)] * v_ref[(i, j)]).sum();
            assert!((dot.abs() - 1.0).abs() < 1e-12);
        }
    }

    /// Different k: compared over the common prefix, and `k` chooses fewer.
    #[test]
    fn different_ranks_use_the_common_prefix() {
        let (q, _) = basis_and_complement(20, 6, 8);
        let sa = [6.0, 5.0, 4.0, 3.0, 2.0, 1.0];
        let a = Factorization::new(&sa, q.as_ref());
        let b = Factorization::new(&sa[..4], q.subcols(0, 4));
        let d = compare(&a, &b, None).unwrap();
        assert_eq!((d.k, d.k_a, d.k_b), (4, 6, 4));
        assert!(d.right.max_angle_degrees < 1e-12);
        assert_eq!(compare(&a, &b, Some(2)).unwrap().matches.len(), 2);
    }
}
