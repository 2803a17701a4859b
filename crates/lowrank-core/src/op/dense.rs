use super::{check_apply, gram_kernel, LinearOperator, OpError, StorageKind};
use faer::linalg::matmul::matmul;
use faer::prelude::{Reborrow, ReborrowMut};
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

    /// The checked shifted pass; `read_in_place` only for shifts small against the spread.
    fn shifted_gram(
        &self,
        gram: MatMut<'_, f64>,
        image: Option<MatMut<'_, f64>>,
        rhs: MatRef<'_, f64>,
        shift: &[f64],
        par: Par,
        read_in_place: bool,
    ) -> Result<(), OpError> {
        check_gram(self, &gram, image.as_ref(), rhs)?;
        super::check_shapes(
            "shift",
            MatRef::from_column_major_slice(shift, shift.len(), 1),
            self.a.ncols(),
            1,
        )?;
        fused_gram(
            self.a,
            Some(shift),
            gram,
            image,
            rhs,
            par,
            Kernel::Best,
            None,
            read_in_place,
        );
        Ok(())
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
    fn apply_gram_with_image(
        &self,
        gram: MatMut<'_, f64>,
        image: Option<MatMut<'_, f64>>,
        rhs: MatRef<'_, f64>,
        par: Par,
    ) -> Result<(), OpError> {
        check_gram(self, &gram, image.as_ref(), rhs)?;
        fused_gram(
            self.a,
            None,
            gram,
            image,
            rhs,
            par,
            Kernel::Best,
            None,
            false,
        );
        Ok(())
    }
    fn apply_shifted_gram(
        &self,
        gram: MatMut<'_, f64>,
        image: Option<MatMut<'_, f64>>,
        rhs: MatRef<'_, f64>,
        shift: &[f64],
        par: Par,
    ) -> Result<(), OpError> {
        self.shifted_gram(gram, image, rhs, shift, par, false)
    }
    fn apply_small_shifted_gram(
        &self,
        gram: MatMut<'_, f64>,
        image: Option<MatMut<'_, f64>>,
        rhs: MatRef<'_, f64>,
        shift: &[f64],
        par: Par,
    ) -> Result<(), OpError> {
        self.shifted_gram(gram, image, rhs, shift, par, true)
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

fn check_gram(
    op: &DenseOp<'_>,
    gram: &MatMut<'_, f64>,
    image: Option<&MatMut<'_, f64>>,
    rhs: MatRef<'_, f64>,
) -> Result<(), OpError> {
    let (m, n) = op.a.shape();
    super::check_shapes("rhs", rhs, n, rhs.ncols())?;
    super::check_shapes("gram", gram.rb(), n, rhs.ncols())?;
    if let Some(image) = image {
        super::check_shapes("image", image.rb(), m, rhs.ncols())?;
    }
    Ok(())
}

/// Rows of `A` copied (and shifted) into a contiguous buffer per step of [`fused_gram`]: the
/// buffer, `rows × n` doubles, stays in L2 for `n` up to a few thousand, so the second product
/// reads it from cache instead of memory.
const GRAM_ROW_BLOCK: usize = 128;
/// At most this many row ranges, each summed into its own partial `AᵀA·X`; the ranges depend
/// on the shape only, and the partials are added in range order, so the bits do not depend on
/// the thread count.
const GRAM_MAX_RANGES: usize = 32;
/// Fewest rows per range (for short matrices, fewer ranges).
const GRAM_MIN_RANGE_ROWS: usize = 1024;

/// Which implementation runs the fused pass.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kernel {
    /// The AVX-512 kernel when the CPU has it and `A` is column-major, faer's GEMM otherwise.
    Best,
    /// faer's GEMM (what other CPUs run; tests compare the two).
    #[cfg_attr(not(test), allow(dead_code))]
    Faer,
}

/// Whether the AVX-512 kernel runs the fused pass over `a` (and so honours `read_in_place`):
/// it reads column-major storage with columns at non-negative offsets (a view with reversed
/// columns, or row-major storage, goes through faer, which always copies).
pub(crate) fn kernel_takes(a: MatRef<'_, f64>) -> bool {
    gram_kernel::available() && a.row_stride() == 1 && a.col_stride() >= 0
}

/// `gram = BᵀB·X` and optionally `image = B·X` for `B = A − 1·shiftᵀ`, reading `A` once: each
/// block of rows is copied, shifted, into a cache-resident buffer `Bₖ`, then `Yₖ = Bₖ·X` and
/// `gram += Bₖᵀ·Yₖ` are two small GEMMs on that buffer. Both products see the shifted numbers,
/// as an explicitly centred matrix would. With `sums` (length `2n`), each column's sum and sum
/// of squares of the shifted values are returned too, summed range by range in a fixed order.
/// `read_in_place` lets the AVX-512 kernel read `A` without the shifted copy (see
/// `gram_kernel::range_partial`; for shifts small against the columns' spread only).
#[allow(clippy::too_many_arguments)]
pub(crate) fn fused_gram(
    a: MatRef<'_, f64>,
    shift: Option<&[f64]>,
    mut gram: MatMut<'_, f64>,
    image: Option<MatMut<'_, f64>>,
    x: MatRef<'_, f64>,
    par: Par,
    kernel: Kernel,
    sums: Option<&mut [f64]>,
    read_in_place: bool,
) {
    use rayon::prelude::*;
    let (m, n) = a.shape();
    let b = x.ncols();
    if let Some(s) = sums.as_deref() {
        assert_eq!(
            s.len(),
            2 * n,
            "column sums and sums of squares of n columns"
        );
    }
    let want_sums = sums.is_some();
    if m == 0 || n == 0 || b == 0 {
        gram.fill(0.0);
        if let Some(mut image) = image {
            image.fill(0.0);
        }
        if let Some(s) = sums {
            // The statistics still need their pass when there is nothing to multiply.
            s.fill(0.0);
            for j in 0..n {
                for i in 0..m {
                    let e = a[(i, j)] - shift.map_or(0.0, |s| s[j]);
                    s[j] += e;
                    s[n + j] += e * e;
                }
            }
        }
        return;
    }
    let range_rows = m
        .div_ceil(GRAM_MAX_RANGES)
        .max(GRAM_MIN_RANGE_ROWS)
        .next_multiple_of(GRAM_ROW_BLOCK);
    let ranges = m.div_ceil(range_rows);
    let packed =
        (kernel == Kernel::Best && kernel_takes(a)).then(|| gram_kernel::PackedRhs::new(x));
    // Each range returns its partial Gram matrix and, when asked, its column sums.
    type Partial = (faer::Mat<f64>, Vec<f64>);
    let range = |r0: usize, rows: usize, image: Option<MatMut<'_, f64>>| -> Partial {
        let mut range_sums = if want_sums {
            vec![0.0; 2 * n]
        } else {
            Vec::new()
        };
        let acc = want_sums.then_some(range_sums.as_mut_slice());
        if let Some(packed) = packed.as_ref() {
            let p =
                gram_kernel::range_partial(a, shift, r0, rows, image, packed, acc, read_in_place);
            let width = b.next_multiple_of(8);
            return (
                faer::Mat::from_fn(n, b, |j, c| p[j * width + c]),
                range_sums,
            );
        }
        let mut acc = acc;
        let mut partial = faer::Mat::<f64>::zeros(n, b);
        let mut buf = faer::Mat::<f64>::zeros(GRAM_ROW_BLOCK.min(rows), n);
        let mut local = faer::Mat::<f64>::zeros(GRAM_ROW_BLOCK.min(rows), b);
        let mut image = image;
        let mut i = 0;
        while i < rows {
            let h = GRAM_ROW_BLOCK.min(rows - i);
            let mut blk = buf.as_mut().subrows_mut(0, h);
            let src = a.subrows(r0 + i, h);
            copy_shifted(blk.rb_mut(), src, shift, acc.as_deref_mut());
            let mut y = match image.as_mut() {
                Some(img) => img.rb_mut().subrows_mut(i, h),
                None => local.as_mut().subrows_mut(0, h),
            };
            matmul(y.rb_mut(), Accum::Replace, blk.rb(), x, 1.0, Par::Seq);
            matmul(
                partial.as_mut(),
                Accum::Add,
                blk.rb().transpose(),
                y.rb(),
                1.0,
                Par::Seq,
            );
            i += h;
        }
        (partial, range_sums)
    };
    let partials: Vec<Partial> = match (image, par) {
        (Some(image), Par::Seq) => {
            let mut image = image;
            (0..ranges)
                .map(|r| {
                    let r0 = r * range_rows;
                    let rows = range_rows.min(m - r0);
                    range(r0, rows, Some(image.rb_mut().subrows_mut(r0, rows)))
                })
                .collect()
        }
        (Some(image), _) => image
            .par_row_chunks_mut(range_rows)
            .enumerate()
            .map(|(r, chunk)| {
                let rows = chunk.nrows();
                range(r * range_rows, rows, Some(chunk))
            })
            .collect(),
        (None, Par::Seq) => (0..ranges)
            .map(|r| range(r * range_rows, range_rows.min(m - r * range_rows), None))
            .collect(),
        (None, _) => (0..ranges)
            .into_par_iter()
            .map(|r| range(r * range_rows, range_rows.min(m - r * range_rows), None))
            .collect(),
    };
    gram.copy_from(&partials[0].0);
    for p in &partials[1..] {
        gram += &p.0;
    }
    if let Some(s) = sums {
        // In range order, as the Gram matrix: fixed by the shape, not the thread count.
        s.copy_from_slice(&partials[0].1);
        for p in &partials[1..] {
            for (t, v) in s.iter_mut().zip(&p.1) {
                *t += v;
            }
        }
    }
}

/// The shifted fused pass (`image = B·X`, `gram = Bᵀ·image` for `B = a − 1·shiftᵀ`) that also
/// returns each column's `Σ bᵢⱼ` and `Σ bᵢⱼ²` in `sums[j]` and `sums[n + j]`, read off the
/// copy of each row block the pass makes anyway (PCA's column statistics without a pass of
/// their own). With `read_in_place`, the AVX-512 kernel reads `a` in place and the statistics
/// off each row block just before its first GEMM; the caller must then know the shift to be
/// small against every column's spread (see [`super::Centered`]'s in-place reading).
#[allow(clippy::too_many_arguments)]
pub(crate) fn fused_gram_with_sums(
    a: MatRef<'_, f64>,
    shift: &[f64],
    gram: MatMut<'_, f64>,
    image: MatMut<'_, f64>,
    x: MatRef<'_, f64>,
    par: Par,
    sums: &mut [f64],
    read_in_place: bool,
) {
    fused_gram(
        a,
        Some(shift),
        gram,
        Some(image),
        x,
        par,
        Kernel::Best,
        Some(sums),
        read_in_place,
    );
}

/// `dst = src − 1·shiftᵀ` (a plain copy without a shift), on contiguous column slices when
/// `src` has them so the loop vectorizes; with `sums` (length `2n`), each column's sum and sum
/// of squares of the shifted values are added into `sums[j]` and `sums[n + j]`.
fn copy_shifted(
    mut dst: MatMut<'_, f64>,
    src: MatRef<'_, f64>,
    shift: Option<&[f64]>,
    mut sums: Option<&mut [f64]>,
) {
    let n = src.ncols();
    for j in 0..n {
        let sj = shift.map_or(0.0, |s| s[j]);
        let mut d = dst.rb_mut().col_mut(j);
        let (t, q) = match (
            d.rb_mut().try_as_col_major_mut(),
            src.col(j).try_as_col_major(),
        ) {
            (Some(d), Some(c)) if sums.is_some() => {
                gram_kernel::shifted_copy_with_sums(d.as_slice_mut(), c.as_slice(), sj)
            }
            (Some(d), Some(c)) => {
                for (d, &v) in d.as_slice_mut().iter_mut().zip(c.as_slice()) {
                    *d = v - sj;
                }
                (0.0, 0.0)
            }
            _ => {
                let (mut t, mut q) = (0.0, 0.0);
                for (d, &v) in d.iter_mut().zip(src.col(j).iter()) {
                    *d = v - sj;
                    t += *d;
                    q += *d * *d;
                }
                (t, q)
            }
        };
        if let Some(acc) = sums.as_deref_mut() {
            acc[j] += t;
            acc[n + j] += q;
        }
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
        super::for_each_row_chunk(out, block, par, run);
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
