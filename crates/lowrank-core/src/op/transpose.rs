use super::{LinearOperator, OpError, StorageKind};
use faer::{MatMut, MatRef, Par};

/// `Aᵀ` as an operator: `apply` and `apply_transpose` swap roles. Solvers that prefer a tall
/// operator use it on wide input; the singular triplets of `Aᵀ` are those of `A` with `U` and
/// `V` exchanged.
pub struct Transposed<O> {
    inner: O,
}

impl<O: LinearOperator> Transposed<O> {
    /// Wraps `inner`.
    pub fn new(inner: O) -> Self {
        Self { inner }
    }
}

impl<O: LinearOperator> LinearOperator for Transposed<O> {
    fn nrows(&self) -> usize {
        self.inner.ncols()
    }
    fn ncols(&self) -> usize {
        self.inner.nrows()
    }
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>, par: Par) -> Result<(), OpError> {
        self.inner.apply_transpose(out, rhs, par)
    }
    fn apply_transpose(
        &self,
        out: MatMut<'_, f64>,
        rhs: MatRef<'_, f64>,
        par: Par,
    ) -> Result<(), OpError> {
        self.inner.apply(out, rhs, par)
    }
    fn column_norms_sq(&self) -> Option<Vec<f64>> {
        self.inner.row_norms_sq()
    }
    fn row_norms_sq(&self) -> Option<Vec<f64>> {
        self.inner.column_norms_sq()
    }
    fn frobenius_norm_sq(&self) -> Option<f64> {
        self.inner.frobenius_norm_sq()
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
        self.inner.as_dense().map(|a| a.transpose())
    }
    fn describe(&self) -> String {
        format!("transpose({})", self.inner.describe())
    }
}

/// Operators behind references and boxes are operators too, so wrappers can borrow and
/// commands can choose the operator at run time.
macro_rules! forward_operator {
    ($($ty:ty),*) => {$(
        impl<T: LinearOperator + ?Sized> LinearOperator for $ty {
            fn nrows(&self) -> usize {
                (**self).nrows()
            }
            fn ncols(&self) -> usize {
                (**self).ncols()
            }
            fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>, par: Par) -> Result<(), OpError> {
                (**self).apply(out, rhs, par)
            }
            fn apply_transpose(
                &self,
                out: MatMut<'_, f64>,
                rhs: MatRef<'_, f64>,
                par: Par,
            ) -> Result<(), OpError> {
                (**self).apply_transpose(out, rhs, par)
            }
            fn apply_gram(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>, par: Par) -> Result<(), OpError> {
                (**self).apply_gram(out, rhs, par)
            }
            fn has_fused_gram(&self) -> bool {
                (**self).has_fused_gram()
            }
            fn apply_gram_with_image(
                &self,
                gram: MatMut<'_, f64>,
                image: Option<MatMut<'_, f64>>,
                rhs: MatRef<'_, f64>,
                par: Par,
            ) -> Result<(), OpError> {
                (**self).apply_gram_with_image(gram, image, rhs, par)
            }
            fn apply_shifted_gram(
                &self,
                gram: MatMut<'_, f64>,
                image: Option<MatMut<'_, f64>>,
                rhs: MatRef<'_, f64>,
                shift: &[f64],
                par: Par,
            ) -> Result<(), OpError> {
                (**self).apply_shifted_gram(gram, image, rhs, shift, par)
            }
            fn apply_small_shifted_gram(
                &self,
                gram: MatMut<'_, f64>,
                image: Option<MatMut<'_, f64>>,
                rhs: MatRef<'_, f64>,
                shift: &[f64],
                par: Par,
            ) -> Result<(), OpError> {
                (**self).apply_small_shifted_gram(gram, image, rhs, shift, par)
            }
            fn column_norms_sq(&self) -> Option<Vec<f64>> {
                (**self).column_norms_sq()
            }
            fn row_norms_sq(&self) -> Option<Vec<f64>> {
                (**self).row_norms_sq()
            }
            fn frobenius_norm_sq(&self) -> Option<f64> {
                (**self).frobenius_norm_sq()
            }
            fn storage_bytes(&self) -> usize {
                (**self).storage_bytes()
            }
            fn workspace_bytes(&self, block_cols: usize) -> usize {
                (**self).workspace_bytes(block_cols)
            }
            fn storage_kind(&self) -> StorageKind {
                (**self).storage_kind()
            }
            fn stored_entries(&self) -> usize {
                (**self).stored_entries()
            }
            fn as_dense(&self) -> Option<MatRef<'_, f64>> {
                (**self).as_dense()
            }
            fn describe(&self) -> String {
                (**self).describe()
            }
        }
    )*};
}

forward_operator!(&T, Box<T>);
