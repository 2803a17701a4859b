use super::{check_apply, LinearOperator, OpError, StorageKind};
use faer::prelude::ReborrowMut;
use faer::{Mat, MatMut, MatRef, Par};

/// `A − 1·μᵀ`: `A` with its column means subtracted, without ever forming the centred matrix.
///
/// `(A − 1μᵀ)·X = A·X − 1·(μᵀX)` and `(A − 1μᵀ)ᵀ·Y = AᵀY − μ·(1ᵀY)`: one product with `A`
/// plus a rank-one correction, so a sparse matrix stays sparse (this is how PCA runs on sparse
/// and out-of-core input).
pub struct Centered<O> {
    inner: O,
    means: Vec<f64>,
    /// Every mean within 16 standard deviations of its column: the fused pass may read dense
    /// storage in place ([`LinearOperator::apply_small_shifted_gram`]).
    small_means: bool,
}

/// How far (in standard deviations) a column's mean may lie from zero for the fused pass to
/// read the data in place: the rank-one corrections then cost at most `log₂ 17 ≈ 4` bits.
const SMALL_MEAN_SPREADS: f64 = 16.0;

/// Whether a shift is small enough against a column's spread (`√(centred_sum_sq/m)`) for the
/// fused pass to read the column in place (within [`SMALL_MEAN_SPREADS`] standard deviations).
pub(crate) fn shift_is_small(shift: f64, centred_sum_sq: f64, m: usize) -> bool {
    shift.is_finite()
        && shift.abs() <= SMALL_MEAN_SPREADS * (centred_sum_sq / m.max(1) as f64).sqrt()
}

impl<O: LinearOperator> Centered<O> {
    /// Centres `inner` by its own column means (one pass of `Aᵀ·1`).
    pub fn new(inner: O, par: Par) -> Result<Self, OpError> {
        let m = inner.nrows();
        let mut sums = Mat::<f64>::zeros(inner.ncols(), 1);
        let ones = Mat::<f64>::from_fn(m, 1, |_, _| 1.0);
        inner.apply_transpose(sums.as_mut(), ones.as_ref(), par)?;
        let scale = if m == 0 { 0.0 } else { 1.0 / m as f64 };
        let means = sums.col(0).iter().map(|s| s * scale).collect();
        Ok(Self {
            inner,
            means,
            small_means: false,
        })
    }

    /// Centres `inner` by given means (for example the training means of a saved model).
    pub fn with_means(inner: O, means: Vec<f64>) -> Result<Self, OpError> {
        if means.len() != inner.ncols() {
            return Err(OpError::ShapeMismatch {
                what: "means",
                expected_rows: inner.ncols(),
                expected_cols: 1,
                rows: means.len(),
                cols: 1,
            });
        }
        Ok(Self {
            inner,
            means,
            small_means: false,
        })
    }

    /// Centres `inner` by its column means, given with each column's centred sum of squares
    /// `Σᵢ (aᵢⱼ − μⱼ)²` (PCA's column statistics). When every mean lies within 16 standard
    /// deviations of zero, dense storage's fused pass reads the data in place instead of a
    /// centred copy of each row block. The sums must be those of `inner`'s own data (other
    /// data's spread would not bound the digits the corrections cost), hence crate-only.
    pub(crate) fn with_means_and_spread(
        inner: O,
        means: Vec<f64>,
        centred_sums_sq: &[f64],
    ) -> Result<Self, OpError> {
        let mut c = Self::with_means(inner, means)?;
        let m = c.inner.nrows();
        c.small_means = centred_sums_sq.len() == c.means.len()
            && c.means
                .iter()
                .zip(centred_sums_sq)
                .all(|(&mu, &ss)| shift_is_small(mu, ss, m));
        Ok(c)
    }

    /// The column means subtracted.
    pub fn means(&self) -> &[f64] {
        &self.means
    }
}

impl<O: LinearOperator> LinearOperator for Centered<O> {
    fn nrows(&self) -> usize {
        self.inner.nrows()
    }
    fn ncols(&self) -> usize {
        self.inner.ncols()
    }
    fn apply(
        &self,
        mut out: MatMut<'_, f64>,
        rhs: MatRef<'_, f64>,
        par: Par,
    ) -> Result<(), OpError> {
        check_apply(self, &out, rhs, false)?;
        self.inner.apply(out.rb_mut(), rhs, par)?;
        for c in 0..rhs.ncols() {
            let shift: f64 = self
                .means
                .iter()
                .zip(rhs.col(c).iter())
                .map(|(m, x)| m * x)
                .sum();
            for o in out.rb_mut().col_mut(c).iter_mut() {
                *o -= shift;
            }
        }
        Ok(())
    }
    fn apply_transpose(
        &self,
        mut out: MatMut<'_, f64>,
        rhs: MatRef<'_, f64>,
        par: Par,
    ) -> Result<(), OpError> {
        check_apply(self, &out, rhs, true)?;
        self.inner.apply_transpose(out.rb_mut(), rhs, par)?;
        for c in 0..rhs.ncols() {
            let total: f64 = rhs.col(c).iter().sum();
            for (o, m) in out.rb_mut().col_mut(c).iter_mut().zip(&self.means) {
                *o -= m * total;
            }
        }
        Ok(())
    }
    /// `A_cᵀA_c·X` through the inner operator's shifted product: one pass over dense storage,
    /// with the means subtracted from each row block before either product (or, for means
    /// small against the spread, applied as rank-one corrections to both).
    fn apply_gram(
        &self,
        out: MatMut<'_, f64>,
        rhs: MatRef<'_, f64>,
        par: Par,
    ) -> Result<(), OpError> {
        self.apply_gram_with_image(out, None, rhs, par)
    }
    fn apply_gram_with_image(
        &self,
        gram: MatMut<'_, f64>,
        image: Option<MatMut<'_, f64>>,
        rhs: MatRef<'_, f64>,
        par: Par,
    ) -> Result<(), OpError> {
        if self.small_means {
            return self
                .inner
                .apply_small_shifted_gram(gram, image, rhs, &self.means, par);
        }
        self.inner
            .apply_shifted_gram(gram, image, rhs, &self.means, par)
    }
    fn column_norms_sq(&self) -> Option<Vec<f64>> {
        // ‖a_j − μ_j·1‖² = ‖a_j‖² − m·μ_j²; clamp the rounding of a (near-)constant column.
        let m = self.inner.nrows() as f64;
        let norms = self.inner.column_norms_sq()?;
        Some(
            norms
                .iter()
                .zip(&self.means)
                .map(|(s, mu)| (s - m * mu * mu).max(0.0))
                .collect(),
        )
    }
    fn storage_bytes(&self) -> usize {
        self.inner.storage_bytes() + self.means.len() * 8
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
    fn describe(&self) -> String {
        format!("centered({})", self.inner.describe())
    }
}
