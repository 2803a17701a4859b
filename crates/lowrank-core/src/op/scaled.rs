use super::{check_apply, LinearOperator, OpError, StorageKind};
use faer::prelude::ReborrowMut;
use faer::{Mat, MatMut, MatRef, Par};

/// `A·D`: every column `j` of `A` multiplied by `scales[j]` (unit-variance scaling for PCA, or
/// any diagonal weighting), applied on the fly.
pub struct ColumnScaled<O> {
    inner: O,
    scales: Vec<f64>,
}

impl<O: LinearOperator> ColumnScaled<O> {
    /// Wraps `inner`; `scales` must have one entry per column.
    pub fn new(inner: O, scales: Vec<f64>) -> Result<Self, OpError> {
        if scales.len() != inner.ncols() {
            return Err(OpError::ShapeMismatch {
                what: "scales",
                expected_rows: inner.ncols(),
                expected_cols: 1,
                rows: scales.len(),
                cols: 1,
            });
        }
        Ok(Self { inner, scales })
    }
    /// The column scale factors.
    pub fn scales(&self) -> &[f64] {
        &self.scales
    }
}

impl<O: LinearOperator> LinearOperator for ColumnScaled<O> {
    fn nrows(&self) -> usize {
        self.inner.nrows()
    }
    fn ncols(&self) -> usize {
        self.inner.ncols()
    }
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>, par: Par) -> Result<(), OpError> {
        check_apply(self, &out, rhs, false)?;
        let scaled = Mat::<f64>::from_fn(rhs.nrows(), rhs.ncols(), |i, j| {
            self.scales[i] * rhs[(i, j)]
        });
        self.inner.apply(out, scaled.as_ref(), par)
    }
    fn apply_transpose(
        &self,
        mut out: MatMut<'_, f64>,
        rhs: MatRef<'_, f64>,
        par: Par,
    ) -> Result<(), OpError> {
        check_apply(self, &out, rhs, true)?;
        self.inner.apply_transpose(out.rb_mut(), rhs, par)?;
        for c in 0..out.ncols() {
            for (o, s) in out.rb_mut().col_mut(c).iter_mut().zip(&self.scales) {
                *o *= s;
            }
        }
        Ok(())
    }
    fn column_norms_sq(&self) -> Option<Vec<f64>> {
        let norms = self.inner.column_norms_sq()?;
        Some(
            norms
                .iter()
                .zip(&self.scales)
                .map(|(n, s)| n * s * s)
                .collect(),
        )
    }
    fn storage_bytes(&self) -> usize {
        self.inner.storage_bytes() + self.scales.len() * 8
    }
    fn workspace_bytes(&self, block_cols: usize) -> usize {
        self.inner.workspace_bytes(block_cols) + self.inner.ncols() * block_cols * 8
    }
    fn storage_kind(&self) -> StorageKind {
        self.inner.storage_kind()
    }
    fn stored_entries(&self) -> usize {
        self.inner.stored_entries()
    }
    fn describe(&self) -> String {
        format!("column_scaled({})", self.inner.describe())
    }
}
