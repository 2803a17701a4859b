//! Linear operators: the one abstraction every truncated solver is written against.
//!
//! An operator is anything that can multiply a block of vectors by `A` and by `Aᵀ`. Dense and
//! sparse matrices, implicit centering, column scaling and transposition all implement
//! [`LinearOperator`]; later inputs (out-of-core, distributed) only have to implement it too.
//!
//! `apply` returns a `Result` so that an operator backed by a file or a network can report
//! failure; this is why the trait is ours and not faer's `BiLinOp`.

mod centered;
mod dense;
mod gram_kernel;
mod scaled;
mod sparse;
mod transpose;

pub(crate) use centered::shift_is_small;
pub use centered::Centered;
pub(crate) use dense::det_matmul;
pub use dense::DenseOp;
pub(crate) use dense::{fused_gram_with_sums, kernel_takes};
pub use scaled::ColumnScaled;
pub use sparse::{CsrMatrix, DuplicatePolicy, SparseBuildError};
pub use transpose::Transposed;

use faer::{Mat, MatMut, MatRef, Par};

/// Why an operator product failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpError {
    /// The block shapes passed to `apply` do not match the operator.
    #[error(
        "shape mismatch in {what}: expected {expected_rows}x{expected_cols}, got {rows}x{cols}"
    )]
    ShapeMismatch {
        /// Which argument was wrong.
        what: &'static str,
        /// Expected rows.
        expected_rows: usize,
        /// Expected columns.
        expected_cols: usize,
        /// Actual rows.
        rows: usize,
        /// Actual columns.
        cols: usize,
    },
    /// The operator's backing storage failed (an out-of-core source, for example).
    #[error("operator backend failed: {0}")]
    Backend(String),
}

/// What kind of storage backs an operator; used by the `auto` solver policy and in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageKind {
    /// All entries stored.
    Dense,
    /// Only non-zeros stored.
    Sparse,
}

/// A real `m × n` linear operator acting on blocks of vectors.
///
/// Implementations must be deterministic: the same inputs give the same bits whatever the
/// parallelism passed in `par` (work is split into blocks fixed by the shape, not by the thread
/// count).
pub trait LinearOperator: Send + Sync {
    /// Number of rows `m`.
    fn nrows(&self) -> usize;
    /// Number of columns `n`.
    fn ncols(&self) -> usize;
    /// `out = A · rhs`, with `rhs` of shape `n × b` and `out` of shape `m × b` (overwritten).
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>, par: Par) -> Result<(), OpError>;
    /// `out = Aᵀ · rhs`, with `rhs` of shape `m × b` and `out` of shape `n × b` (overwritten).
    fn apply_transpose(
        &self,
        out: MatMut<'_, f64>,
        rhs: MatRef<'_, f64>,
        par: Par,
    ) -> Result<(), OpError>;
    /// `out = AᵀA · rhs` (`n × b`): the normal-equations operator of Lanczos on `AᵀA`.
    /// The default makes two products; storage that can do it in one pass overrides it.
    fn apply_gram(
        &self,
        out: MatMut<'_, f64>,
        rhs: MatRef<'_, f64>,
        par: Par,
    ) -> Result<(), OpError> {
        let mut tmp = Mat::<f64>::zeros(self.nrows(), rhs.ncols());
        self.apply(tmp.as_mut(), rhs, par)?;
        self.apply_transpose(out, tmp.as_ref(), par)
    }
    /// Whether [`apply_gram`](Self::apply_gram) costs one pass over the data instead of two.
    fn has_fused_gram(&self) -> bool {
        false
    }
    /// `gram = AᵀA · rhs` and, when asked, `image = A · rhs` (`m × b`), for solvers that keep
    /// the images to form `A·V` later without another pass. The default makes the two products;
    /// dense storage reads each row block once for both.
    fn apply_gram_with_image(
        &self,
        gram: MatMut<'_, f64>,
        image: Option<MatMut<'_, f64>>,
        rhs: MatRef<'_, f64>,
        par: Par,
    ) -> Result<(), OpError> {
        match image {
            Some(mut image) => {
                self.apply(image.as_mut(), rhs, par)?;
                self.apply_transpose(gram, image.as_ref(), par)
            }
            None => self.apply_gram(gram, rhs, par),
        }
    }
    /// As [`apply_gram_with_image`](Self::apply_gram_with_image) for the shifted matrix
    /// `B = A − 1·shiftᵀ` (`shift` has length `n`): `gram = BᵀB·rhs`, `image = B·rhs`.
    ///
    /// This is how [`Centered`] fuses its products: dense storage subtracts the shift from each
    /// row block as it reads it, so both products see the centred numbers (no cancellation
    /// between `AᵀA` and `m·μμᵀ`). The default makes two products with rank-one corrections.
    fn apply_shifted_gram(
        &self,
        gram: MatMut<'_, f64>,
        image: Option<MatMut<'_, f64>>,
        rhs: MatRef<'_, f64>,
        shift: &[f64],
        par: Par,
    ) -> Result<(), OpError> {
        shifted_gram_reference(self, gram, image, rhs, shift, par)
    }
    /// [`apply_shifted_gram`](Self::apply_shifted_gram) for a shift the caller knows to be small
    /// against every column's spread (`|shiftⱼ| ≤ 16·stdⱼ`, as [`Centered::with_means_and_spread`]
    /// checks): dense storage may then read `A` in place and correct both products by rank-one
    /// terms instead of copying each shifted row block, which loses at most about four bits.
    /// The default is `apply_shifted_gram`.
    fn apply_small_shifted_gram(
        &self,
        gram: MatMut<'_, f64>,
        image: Option<MatMut<'_, f64>>,
        rhs: MatRef<'_, f64>,
        shift: &[f64],
        par: Par,
    ) -> Result<(), OpError> {
        self.apply_shifted_gram(gram, image, rhs, shift, par)
    }
    /// Squared Euclidean norms of the columns, if cheap to compute.
    fn column_norms_sq(&self) -> Option<Vec<f64>> {
        None
    }
    /// Squared Euclidean norms of the rows, if cheap to compute.
    fn row_norms_sq(&self) -> Option<Vec<f64>> {
        None
    }
    /// `‖A‖_F²`, the total energy used for rank-by-energy and error tolerances.
    fn frobenius_norm_sq(&self) -> Option<f64> {
        self.column_norms_sq().map(|c| c.iter().sum())
    }
    /// Bytes held by the operator's own storage (a hint for memory admission).
    fn storage_bytes(&self) -> usize;
    /// Extra bytes one product with a block of `block_cols` vectors allocates.
    fn workspace_bytes(&self, block_cols: usize) -> usize {
        let _ = block_cols;
        0
    }
    /// Dense or sparse backing, for the `auto` policy.
    fn storage_kind(&self) -> StorageKind;
    /// Stored entries (`m·n` for dense operators).
    fn stored_entries(&self) -> usize {
        self.nrows() * self.ncols()
    }
    /// The matrix itself when it is stored densely, so exact solvers can skip materialising it.
    fn as_dense(&self) -> Option<MatRef<'_, f64>> {
        None
    }
    /// A short description for reports (`"dense 2000x2000"`, `"centered(sparse ...)"`).
    fn describe(&self) -> String;
}

/// `BᵀB·rhs` (and `B·rhs`) for `B = A − 1·shiftᵀ` from one product with `A` and one with `Aᵀ`:
/// `B·X = A·X − 1·(shiftᵀX)`, `BᵀY = AᵀY − shift·(1ᵀY)`. The default of
/// [`LinearOperator::apply_shifted_gram`], public so tests and benchmarks can compare a fused
/// implementation with it.
///
/// # Errors
/// Shape mismatches, or a failed product.
pub fn shifted_gram_reference<O: LinearOperator + ?Sized>(
    op: &O,
    mut gram: MatMut<'_, f64>,
    image: Option<MatMut<'_, f64>>,
    rhs: MatRef<'_, f64>,
    shift: &[f64],
    par: Par,
) -> Result<(), OpError> {
    check_shapes(
        "shift",
        MatRef::from_column_major_slice(shift, shift.len(), 1),
        op.ncols(),
        1,
    )?;
    let mut local;
    let mut y = match image {
        Some(image) => image,
        None => {
            local = Mat::<f64>::zeros(op.nrows(), rhs.ncols());
            local.as_mut()
        }
    };
    op.apply(y.as_mut(), rhs, par)?;
    for c in 0..rhs.ncols() {
        let offset: f64 = shift
            .iter()
            .zip(rhs.col(c).iter())
            .map(|(s, x)| s * x)
            .sum();
        for v in y.as_mut().col_mut(c).iter_mut() {
            *v -= offset;
        }
    }
    op.apply_transpose(gram.as_mut(), y.as_ref(), par)?;
    for c in 0..rhs.ncols() {
        let total: f64 = y.as_ref().col(c).iter().sum();
        for (g, s) in gram.as_mut().col_mut(c).iter_mut().zip(shift) {
            *g -= s * total;
        }
    }
    Ok(())
}

/// Runs `f((index, chunk))` on the consecutive `rows`-row chunks of `out` (the last may be
/// shorter), in parallel unless `par` is `Par::Seq`. The chunks depend on the shape only, so a
/// kernel that writes each chunk from its own rows gives the same bits on any thread count.
pub(crate) fn for_each_row_chunk(
    out: MatMut<'_, f64>,
    rows: usize,
    par: Par,
    f: impl Fn((usize, MatMut<'_, f64>)) + Sync + Send,
) {
    use faer::prelude::ReborrowMut;
    use rayon::prelude::*;
    if matches!(par, Par::Seq) {
        let mut out = out;
        let m = out.nrows();
        let (mut start, mut index) = (0, 0);
        while start < m {
            let len = rows.min(m - start);
            f((index, out.rb_mut().subrows_mut(start, len)));
            start += len;
            index += 1;
        }
    } else {
        out.par_row_chunks_mut(rows).enumerate().for_each(f);
    }
}

pub(crate) fn check_shapes(
    what: &'static str,
    m: MatRef<'_, f64>,
    rows: usize,
    cols: usize,
) -> Result<(), OpError> {
    if m.nrows() != rows || m.ncols() != cols {
        return Err(OpError::ShapeMismatch {
            what,
            expected_rows: rows,
            expected_cols: cols,
            rows: m.nrows(),
            cols: m.ncols(),
        });
    }
    Ok(())
}

/// Checks the shapes of an `apply` call: `rhs` is `n × b` and `out` is `m × b`.
pub(crate) fn check_apply(
    op: &(impl LinearOperator + ?Sized),
    out: &MatMut<'_, f64>,
    rhs: MatRef<'_, f64>,
    transpose: bool,
) -> Result<(), OpError> {
    let (out_rows, rhs_rows) = if transpose {
        (op.ncols(), op.nrows())
    } else {
        (op.nrows(), op.ncols())
    };
    check_shapes("rhs", rhs, rhs_rows, rhs.ncols())?;
    if rhs.nrows() != rhs_rows {
        return Err(OpError::ShapeMismatch {
            what: "rhs",
            expected_rows: rhs_rows,
            expected_cols: rhs.ncols(),
            rows: rhs.nrows(),
            cols: rhs.ncols(),
        });
    }
    if out.nrows() != out_rows || out.ncols() != rhs.ncols() {
        return Err(OpError::ShapeMismatch {
            what: "out",
            expected_rows: out_rows,
            expected_cols: rhs.ncols(),
            rows: out.nrows(),
            cols: out.ncols(),
        });
    }
    Ok(())
}

/// Materialises any operator as a dense matrix, `block` columns at a time (`A · I`).
///
/// Used by the exact solver on non-dense operators; the caller is responsible for memory
/// admission (`m·n·8` bytes).
pub fn to_dense(op: &dyn LinearOperator, par: Par) -> Result<Mat<f64>, OpError> {
    if let Some(d) = op.as_dense() {
        return Ok(d.to_owned());
    }
    let (m, n) = (op.nrows(), op.ncols());
    let mut out = Mat::<f64>::zeros(m, n);
    // Materialise through the transpose when it is the short side, so each block is one pass.
    const BLOCK: usize = 64;
    let mut start = 0;
    while start < n {
        let width = BLOCK.min(n - start);
        let mut eye = Mat::<f64>::zeros(n, width);
        for c in 0..width {
            eye[(start + c, c)] = 1.0;
        }
        op.apply(out.as_mut().subcols_mut(start, width), eye.as_ref(), par)?;
        start += width;
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
