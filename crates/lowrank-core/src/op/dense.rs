use super::{check_apply, LinearOperator, OpError, StorageKind};
use faer::linalg::matmul::matmul;
use faer::prelude::ReborrowMut;
use faer::{Accum, MatMut, MatRef, Par};

/// A dense matrix viewed as an operator. Products are faer GEMMs.
#[derive(Clone, Copy)]
pub struct DenseOp<'a> {
    a: MatRef<'a, f64>,
}

impl<'a> DenseOp<'a> {
    /// Wraps a dense matrix (any strides).
    pub fn new(a: MatRef<'a, f64>) -> Self {
        Self { a }
    }
}

impl LinearOperator for DenseOp<'_> {
    fn nrows(&self) -> usize {
        self.a.nrows()
    }
    fn ncols(&self) -> usize {
        self.a.ncols()
    }
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>, par: Par) -> Result<(), OpError> {
        check_apply(self, &out, rhs, false)?;
        det_matmul(out, self.a, rhs, par);
        Ok(())
    }
    fn apply_transpose(
        &self,
        out: MatMut<'_, f64>,
        rhs: MatRef<'_, f64>,
        par: Par,
    ) -> Result<(), OpError> {
        check_apply(self, &out, rhs, true)?;
        det_matmul(out, self.a.transpose(), rhs, par);
        Ok(())
    }
    fn column_norms_sq(&self) -> Option<Vec<f64>> {
        Some(
            (0..self.a.ncols())
                .map(|j| sum_sq(self.a.col(j).iter().copied()))
                .collect(),
        )
    }
    fn row_norms_sq(&self) -> Option<Vec<f64>> {
        let mut rows = vec![0.0; self.a.nrows()];
        for j in 0..self.a.ncols() {
            for (r, x) in rows.iter_mut().zip(self.a.col(j).iter()) {
                *r += x * x;
            }
        }
        Some(rows)
    }
    fn storage_bytes(&self) -> usize {
        self.a.nrows() * self.a.ncols() * 8
    }
    fn storage_kind(&self) -> StorageKind {
        StorageKind::Dense
    }
    fn as_dense(&self) -> Option<MatRef<'_, f64>> {
        Some(self.a)
    }
    fn describe(&self) -> String {
        format!("dense {}x{}", self.a.nrows(), self.a.ncols())
    }
}

/// Sum of squares in a fixed order (deterministic).
pub(crate) fn sum_sq(it: impl Iterator<Item = f64>) -> f64 {
    it.map(|x| x * x).sum()
}

/// Output rows per parallel block of [`det_matmul`] (at least; fixed by the shape).
const MIN_ROW_BLOCK: usize = 64;
/// Inner-dimension slice per partial product when the output is too small to split.
const INNER_BLOCK: usize = 4_096;

/// `out = lhs · rhs`, parallel but bit-identical whatever the thread count.
///
/// faer's own parallel kernels may split work by thread count (and so round differently); here
/// the split depends only on the shapes: output rows in fixed blocks, each block a sequential
/// GEMM; or, when the output is a few rows deep but the inner dimension is long (`Qᵀx` in
/// Gram–Schmidt), fixed slices of the inner dimension summed in order.
pub(crate) fn det_matmul(
    out: faer::MatMut<'_, f64>,
    lhs: MatRef<'_, f64>,
    rhs: MatRef<'_, f64>,
    par: Par,
) {
    let (m, k) = (lhs.nrows(), lhs.ncols());
    let b = rhs.ncols();
    let parallel = !matches!(par, Par::Seq);
    if m * k * b < 1 << 16 {
        matmul(out, Accum::Replace, lhs, rhs, 1.0, Par::Seq);
        return;
    }
    use rayon::prelude::*;
    // The split is chosen from the shapes alone and run sequentially or in parallel: the same
    // partial products, summed in the same order, either way.
    if m >= 2 * MIN_ROW_BLOCK {
        let block = m.div_ceil(64).next_multiple_of(16).max(MIN_ROW_BLOCK);
        let run = |(i, chunk): (usize, faer::MatMut<'_, f64>)| {
            let rows = chunk.nrows();
            matmul(
                chunk,
                Accum::Replace,
                lhs.subrows(i * block, rows),
                rhs,
                1.0,
                Par::Seq,
            );
        };
        if parallel {
            out.par_row_chunks_mut(block).enumerate().for_each(run);
        } else {
            let mut out = out;
            let mut r0 = 0;
            let mut i = 0;
            while r0 < m {
                let rows = block.min(m - r0);
                run((i, out.rb_mut().subrows_mut(r0, rows)));
                r0 += rows;
                i += 1;
            }
        }
    } else if k >= 2 * INNER_BLOCK {
        let slices = k.div_ceil(INNER_BLOCK);
        let partial = |s: usize| {
            let start = s * INNER_BLOCK;
            let len = INNER_BLOCK.min(k - start);
            let mut p = faer::Mat::<f64>::zeros(m, b);
            matmul(
                p.as_mut(),
                Accum::Replace,
                lhs.subcols(start, len),
                rhs.subrows(start, len),
                1.0,
                Par::Seq,
            );
            p
        };
        let partials: Vec<faer::Mat<f64>> = if parallel {
            (0..slices).into_par_iter().map(partial).collect()
        } else {
            (0..slices).map(partial).collect()
        };
        let mut out = out;
        out.copy_from(&partials[0]);
        for p in &partials[1..] {
            out += p;
        }
    } else {
        matmul(out, Accum::Replace, lhs, rhs, 1.0, Par::Seq);
    }
}
