//! Small dense helpers shared by the solvers.

use crate::SvdError;
use dyn_stack::{MemBuffer, MemStack};
use faer::diag::Diag;
use faer::linalg::evd::{self_adjoint_evd, self_adjoint_evd_scratch, ComputeEigenvectors};
use faer::prelude::{Reborrow, ReborrowMut};
use faer::{Mat, MatMut, MatRef, Par};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// A portable, seeded generator: ChaCha8 gives the same stream on every platform.
pub(crate) fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream);
    r
}

/// An `rows × cols` standard Gaussian matrix, filled column by column from `rng`.
pub(crate) fn gaussian(rows: usize, cols: usize, rng: &mut ChaCha8Rng) -> Mat<f64> {
    let mut m = Mat::<f64>::zeros(rows, cols);
    for j in 0..cols {
        for x in m.as_mut().col_mut(j).iter_mut() {
            *x = StandardNormal.sample(rng);
        }
    }
    m
}

/// An orthonormal basis of the range of `y` (same shape as `y`).
///
/// # Algorithm
/// CholeskyQR2 (Fukaya et al. 2014): `R = chol(yᵀy)`, `Q = y·R⁻¹`, done twice. Both steps are
/// GEMMs, so this is several times faster than Householder QR on tall-skinny blocks and
/// deterministic across thread counts. Squaring the condition number limits it to
/// `cond(y) ≲ 1e6`: above that (columns nearly parallel after power iterations, or a rank-
/// deficient block) it falls back to Gram–Schmidt with reorthogonalization, column by column,
/// which replaces numerically dependent columns by fresh orthogonal directions.
pub(crate) fn orthonormalize(y: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    if y.ncols() == 0 {
        return Mat::zeros(y.nrows(), 0);
    }
    if let Some(q1) = cholesky_qr_step(y, par) {
        if let Some(q2) = cholesky_qr_step(q1.as_ref(), par) {
            return q2;
        }
    }
    gram_schmidt(y, par)
}

/// An orthonormal basis of the part of `span(y)` orthogonal to `blocks` (each orthonormal,
/// and mutually orthogonal). Columns of `y` that lie (numerically) inside `span(blocks)` are
/// dropped rather than replaced, so the result may have fewer columns than `y`, or none: the
/// caller's subspace is then invariant. The result is orthogonal to every block to rounding.
pub(crate) fn extend_orthonormal_basis(
    y: MatRef<'_, f64>,
    blocks: &[Mat<f64>],
    par: Par,
) -> Mat<f64> {
    let project = |x: &mut Mat<f64>| {
        for b in blocks {
            let h = product(b.transpose(), x.as_ref(), par);
            let corr = product(b.as_ref(), h.as_ref(), par);
            *x -= &corr;
        }
    };
    let before: Vec<f64> = (0..y.ncols()).map(|c| norm2(y.subcols(c, 1))).collect();
    let mut cand = y.to_owned();
    project(&mut cand);
    project(&mut cand);
    let keep: Vec<usize> = (0..y.ncols())
        .filter(|&c| norm2(cand.as_ref().subcols(c, 1)) > 1e-10 * before[c] && before[c] > 0.0)
        .collect();
    if keep.is_empty() {
        return Mat::zeros(y.nrows(), 0);
    }
    let cand = Mat::<f64>::from_fn(y.nrows(), keep.len(), |i, j| cand[(i, keep[j])]);
    let Some(mut q) = svqb(cand.as_ref(), par) else {
        return Mat::zeros(y.nrows(), 0);
    };
    // Normalising amplifies what rounding left along the blocks: project and orthonormalize
    // once more.
    project(&mut q);
    svqb(q.as_ref(), par).unwrap_or_else(|| Mat::zeros(y.nrows(), 0))
}

/// SVQB (Stathopoulos & Wu 2002): orthonormalize through the eigendecomposition of the scaled
/// Gram matrix, dropping the directions whose eigenvalue is below `1e-14` of the largest
/// (numerically dependent combinations). Two GEMMs and a small symmetric eigensolve; `None`
/// when nothing independent is left.
fn svqb(x: MatRef<'_, f64>, par: Par) -> Option<Mat<f64>> {
    let l = x.ncols();
    let mut g = Mat::<f64>::zeros(l, l);
    mul(g.as_mut(), x.transpose(), x, par);
    let scale: Vec<f64> = (0..l)
        .map(|i| {
            if g[(i, i)] > 0.0 {
                1.0 / g[(i, i)].sqrt()
            } else {
                0.0
            }
        })
        .collect();
    let gs = Mat::<f64>::from_fn(l, l, |i, j| g[(i, j)] * scale[i] * scale[j]);
    let (lambda, v) = symmetric_eigen(gs.as_ref()).ok()?;
    let top = lambda.first().copied().unwrap_or(0.0);
    let kept: Vec<usize> = (0..l)
        .filter(|&i| lambda[i] > 1e-14 * top && lambda[i] > 0.0)
        .collect();
    if kept.is_empty() {
        return None;
    }
    // Q = X·D·V_kept·Λ_kept^{-1/2}
    let coef = Mat::<f64>::from_fn(l, kept.len(), |i, j| {
        scale[i] * v[(i, kept[j])] / lambda[kept[j]].sqrt()
    });
    Some(product(x, coef.as_ref(), par))
}

/// One CholeskyQR step, or `None` when `y` is too ill-conditioned for it.
fn cholesky_qr_step(y: MatRef<'_, f64>, par: Par) -> Option<Mat<f64>> {
    let r = gram_cholesky(y, par)?;
    Some(product(y, upper_inverse(r.as_ref()).as_ref(), par))
}

/// The upper-triangular `R` with `RᵀR = yᵀy` (the `R` of a QR factorization of `y`, up to the
/// signs of its rows), or `None` when a pivot falls below `10⁻¹²` of the largest diagonal entry
/// of `yᵀy`: a column whose part outside the previous ones is under `10⁻⁶` of the largest
/// column norm (this covers `cond(y)` above about 10⁶, where the Gram matrix loses the small
/// singular values, and also well-conditioned columns of very different scales).
pub(crate) fn gram_cholesky(y: MatRef<'_, f64>, par: Par) -> Option<Mat<f64>> {
    let l = y.ncols();
    let mut g = Mat::<f64>::zeros(l, l);
    mul(g.as_mut(), y.transpose(), y, par);
    cholesky_upper(g.as_ref())
}

/// The upper-triangular `R` with `RᵀR = g` for the Gram matrix `g = yᵀy` of some `y`, or `None`
/// on the pivot test of [`gram_cholesky`].
pub(crate) fn cholesky_upper(g: MatRef<'_, f64>) -> Option<Mat<f64>> {
    let l = g.ncols();
    // Cholesky G = RᵀR, R upper triangular, stored in `r`.
    let mut r = Mat::<f64>::zeros(l, l);
    let mut max_diag = 0.0f64;
    for j in 0..l {
        let mut d = g[(j, j)];
        for p in 0..j {
            d -= r[(p, j)] * r[(p, j)];
        }
        max_diag = max_diag.max(g[(j, j)]);
        if !(d > 1e-12 * max_diag) || !d.is_finite() {
            return None; // cond(y) above ~1e6
        }
        let rjj = d.sqrt();
        r[(j, j)] = rjj;
        for i in j + 1..l {
            let mut x = g[(j, i)];
            for p in 0..j {
                x -= r[(p, j)] * r[(p, i)];
            }
            r[(j, i)] = x / rjj;
        }
    }
    Some(r)
}

/// `R⁻¹` of an upper-triangular `R` with a non-zero diagonal, by back substitution.
pub(crate) fn upper_inverse(r: MatRef<'_, f64>) -> Mat<f64> {
    let l = r.ncols();
    let mut rinv = Mat::<f64>::zeros(l, l);
    for j in 0..l {
        rinv[(j, j)] = 1.0 / r[(j, j)];
        for i in (0..j).rev() {
            let mut x = 0.0;
            for p in i + 1..=j {
                x += r[(i, p)] * rinv[(p, j)];
            }
            rinv[(i, j)] = -x / r[(i, i)];
        }
    }
    rinv
}

/// Grows `mat` to `ncols` columns of `nrows` rows (a matrix with columns keeps its row count),
/// the new columns zero. faer's `resize_with` writes them on one thread; here the columns are zeroed in
/// parallel, because on a large matrix the cost is the first touch of fresh pages (a page
/// fault each), not the writing (W5: 25 MB per block of images).
#[allow(unsafe_code)]
pub(crate) fn grow_zeroed(mat: &mut Mat<f64>, nrows: usize, ncols: usize, par: Par) {
    let old = mat.ncols();
    assert!(
        old == 0 || mat.nrows() == nrows,
        "grow_zeroed keeps the row count"
    );
    if ncols <= old {
        return;
    }
    let m = nrows;
    mat.reserve(m, ncols);
    let stride = usize::try_from(mat.col_stride()).expect("a matrix's column stride");
    // Raw addresses cross threads as integers; each column is written by one task.
    let base = mat.as_ptr_mut() as usize;
    let zero_column = |j: usize| {
        // SAFETY: `reserve` guarantees room for `ncols` columns `stride ≥ m` doubles apart, so
        // column `j < ncols` spans `[base + j·stride, base + j·stride + m)` inside the
        // allocation; distinct `j` are disjoint, and nothing else touches them until
        // `set_dims` below publishes them. All-zero bits are 0.0.
        unsafe {
            let col = (base as *mut f64).add(j * stride);
            std::ptr::write_bytes(col, 0, m);
        }
    };
    match par {
        Par::Seq => (old..ncols).for_each(zero_column),
        _ => {
            use rayon::prelude::*;
            (old..ncols).into_par_iter().for_each(zero_column);
        }
    }
    // SAFETY: the capacity holds `ncols` columns of `m` rows (reserved above); the old columns
    // (if any) already had `m` rows, and every new entry was initialized (zeroed) above.
    unsafe { mat.set_dims(m, ncols) };
}

/// `x[:, ..w.ncols()] ← x[:, ..w.nrows()]·w`, in place (`w` no wider than it is tall): rows in
/// fixed chunks, each multiplied into a small buffer and copied back, so no second `m × k`
/// matrix is allocated (on a large `x`, fresh pages cost more than the product) and the bits
/// do not depend on the thread count. Columns past `w.ncols()` are left as they were.
pub(crate) fn multiply_in_place(x: MatMut<'_, f64>, w: MatRef<'_, f64>, par: Par) {
    assert!(w.ncols() <= w.nrows() && w.nrows() <= x.ncols());
    crate::op::for_each_row_chunk(
        x,
        PANEL_ROWS,
        par,
        |(_, chunk): (usize, MatMut<'_, f64>)| multiply_chunk_in_place(chunk, w),
    );
}

/// One chunk of [`multiply_in_place`]: `chunk[:, ..w.ncols()] ← chunk[:, ..w.nrows()]·w`,
/// through a buffer of the chunk's rows, on this thread.
pub(crate) fn multiply_chunk_in_place(chunk: MatMut<'_, f64>, w: MatRef<'_, f64>) {
    let mut tmp = Mat::<f64>::zeros(chunk.nrows(), w.ncols());
    faer::linalg::matmul::matmul(
        tmp.as_mut(),
        faer::Accum::Replace,
        chunk.rb().subcols(0, w.nrows()),
        w,
        1.0,
        Par::Seq,
    );
    chunk.subcols_mut(0, w.ncols()).copy_from(&tmp);
}

/// Rows per chunk of the row-chunked passes ([`multiply_in_place`], [`row_chunks_with_gram`]):
/// a chunk of up to a few hundred columns stays in L2 between the steps made on it. Fixed, so
/// the bits do not depend on the thread count.
pub(crate) const PANEL_ROWS: usize = 1024;

/// Runs `f(chunk, side_chunk)` on the consecutive [`PANEL_ROWS`]-row chunks of `x` and of
/// `side` (same row count; any width, zero included), in parallel unless `par` is `Par::Seq`.
/// `f` leaves in each chunk of `x`'s first `k` columns the rows of some `Z`, and the result is
/// `ZᵀZ` (`k × k`), the chunks' Gram matrices added in chunk order. Forming `Z` and its Gram
/// matrix in one sweep reads each chunk once, while it is in cache, instead of a second pass
/// over `m × k` doubles.
pub(crate) fn row_chunks_with_gram(
    x: MatMut<'_, f64>,
    side: MatMut<'_, f64>,
    k: usize,
    par: Par,
    f: impl Fn(MatMut<'_, f64>, MatMut<'_, f64>) + Sync + Send,
) -> Mat<f64> {
    assert!(k <= x.ncols() && side.nrows() == x.nrows());
    let slot_len = (k * k).max(1);
    let mut grams = vec![0.0f64; x.nrows().div_ceil(PANEL_ROWS) * slot_len];
    let run = |mut chunk: MatMut<'_, f64>, side: MatMut<'_, f64>, slot: &mut [f64]| {
        f(chunk.rb_mut(), side);
        let z = chunk.rb().subcols(0, k);
        let g = MatMut::from_column_major_slice_mut(&mut slot[..k * k], k, k);
        faer::linalg::matmul::matmul(g, faer::Accum::Replace, z.transpose(), z, 1.0, Par::Seq);
    };
    if matches!(par, Par::Seq) {
        let (mut x, mut side) = (x, side);
        let m = x.nrows();
        for (start, slot) in (0..m).step_by(PANEL_ROWS).zip(grams.chunks_mut(slot_len)) {
            let len = PANEL_ROWS.min(m - start);
            run(
                x.rb_mut().subrows_mut(start, len),
                side.rb_mut().subrows_mut(start, len),
                slot,
            );
        }
    } else {
        use rayon::prelude::*;
        x.par_row_chunks_mut(PANEL_ROWS)
            .zip(side.par_row_chunks_mut(PANEL_ROWS))
            .zip(grams.par_chunks_mut(slot_len))
            .for_each(|((chunk, side), slot)| run(chunk, side, slot));
    }
    let mut g = Mat::<f64>::zeros(k, k);
    for slot in grams.chunks(slot_len) {
        g += faer::MatRef::from_column_major_slice(&slot[..k * k], k, k);
    }
    g
}

/// Column-by-column classical Gram–Schmidt, twice; dependent columns become fresh directions.
fn gram_schmidt(y: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    let (m, l) = y.shape();
    let mut q = y.to_owned();
    let mut fresh = rng(0x5eed, 99);
    for j in 0..l {
        let original = norm2(y.subcols(j, 1)).max(f64::MIN_POSITIVE);
        for attempt in 0..3 {
            for _ in 0..2 {
                let (done, mut rest) = q.as_mut().split_at_col_mut(j);
                let done = done.rb();
                if j > 0 {
                    let h = product(done.transpose(), rest.rb().subcols(0, 1), par);
                    let corr = product(done, h.as_ref(), par);
                    let mut col = rest.rb_mut().subcols_mut(0, 1);
                    col -= &corr;
                }
            }
            let nrm = norm2(q.as_ref().subcols(j, 1));
            if nrm > 1e-10 * original && nrm > 0.0 && attempt < 2 || nrm > 0.0 && attempt == 2 {
                let mut col = q.as_mut().col_mut(j);
                col *= faer::Scale(1.0 / nrm);
                break;
            }
            // Numerically dependent: replace by a random direction and orthogonalize again.
            let g = gaussian(m, 1, &mut fresh);
            q.as_mut().col_mut(j).copy_from(g.col(0));
        }
    }
    q
}

/// `out = a · b`.
pub(crate) fn mul(out: MatMut<'_, f64>, a: MatRef<'_, f64>, b: MatRef<'_, f64>, par: Par) {
    crate::op::det_matmul(out, a, b, par);
}

/// `a · b` as a new matrix.
pub(crate) fn product(a: MatRef<'_, f64>, b: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    let mut out = Mat::<f64>::zeros(a.nrows(), b.ncols());
    mul(out.as_mut(), a, b, par);
    out
}

/// Thin SVD of a small dense matrix, as (σ, U, V).
///
/// Sequential on purpose: faer's parallel SVD splits work by thread count, and these matrices
/// are small, so staying sequential keeps results bit-identical whatever `--threads` is.
pub(crate) fn small_svd(a: MatRef<'_, f64>) -> Result<(Vec<f64>, Mat<f64>, Mat<f64>), SvdError> {
    let (s, u, v) = super::exact::dense_svd(a, super::Vectors::Both, Par::Seq)?;
    Ok((
        s,
        u.expect("vectors requested"),
        v.expect("vectors requested"),
    ))
}

/// Partial sums per lane for the fixed-order reductions ([`lane_sum`], the certificate's
/// residuals): enough independent additions in flight to hide their latency, and two AVX-512
/// vectors wide.
pub(crate) const LANES: usize = 16;

/// The lanes of a fixed-order reduction added pairwise (lane `i` with lane `i + 8`, then
/// `i + 4`, …): the same bits whatever the thread count.
pub(crate) fn fold_lanes(mut acc: [f64; LANES]) -> f64 {
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            acc[i] += acc[i + width];
        }
    }
    acc[0]
}

/// `Σ f(xᵢ)` in [`LANES`] interleaved partial sums, folded by [`fold_lanes`]: a fixed order
/// that the compiler vectorizes. A single running sum is bound by the latency of each
/// addition (W5's column statistics took three times as long as reading the matrix).
pub(crate) fn lane_sum(xs: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let mut acc = [0.0f64; LANES];
    let mut chunks = xs.chunks_exact(LANES);
    for c in &mut chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += f(v);
        }
    }
    for (a, &v) in acc.iter_mut().zip(chunks.remainder()) {
        *a += f(v);
    }
    fold_lanes(acc)
}

/// Euclidean norm of a column, computed in a fixed order.
pub(crate) fn norm2(x: MatRef<'_, f64>) -> f64 {
    debug_assert_eq!(x.ncols(), 1);
    // One pass with eight partial sums, which the compiler vectorizes; the scaled two-pass
    // form below (one division per entry, a sequential sum) cost Lanczos several times more.
    // Its result is kept only when no square can have overflowed (the sum is finite) or lost
    // precision to underflow (squares below 1e-308 are negligible against a sum above 1e-200).
    if let Some(xs) = x.col(0).try_as_col_major() {
        let xs = xs.as_slice();
        let mut acc = [0.0f64; 8];
        let mut chunks = xs.chunks_exact(8);
        for c in &mut chunks {
            for (a, v) in acc.iter_mut().zip(c) {
                *a += v * v;
            }
        }
        for (a, v) in acc.iter_mut().zip(chunks.remainder()) {
            *a += v * v;
        }
        let ssq = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        if ssq.is_finite() && ssq > 1e-200 {
            return ssq.sqrt();
        }
    }
    // `f64::max` ignores NaN, so a NaN among zeros would give a zero norm below.
    if x.col(0).iter().any(|v| v.is_nan()) {
        return f64::NAN;
    }
    // Scaled to avoid overflow/underflow on extreme inputs (condition 1e12 and beyond).
    let scale = x.col(0).iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return scale;
    }
    let s: f64 = x.col(0).iter().map(|v| (v / scale) * (v / scale)).sum();
    scale * s.sqrt()
}

/// Full Gram–Schmidt of `x` against `basis`, returning the coefficients `basisᵀx` (summed over
/// the passes); a second pass runs when the first removed most of the norm (DGKS).
pub(crate) fn orthogonalize_against(
    x: MatMut<'_, f64>,
    basis: MatRef<'_, f64>,
    par: Par,
) -> Vec<f64> {
    reorthogonalize(x, basis, 0.0, par).unwrap_or_else(|| vec![0.0; basis.ncols()])
}

/// [`orthogonalize_against`], except that when the first pass finds every coefficient at most
/// `negligible·‖x‖`, `x` is left as it is and `None` returned: the subtraction would change
/// each component by no more than that, at the cost of a second read of the basis.
pub(crate) fn reorthogonalize(
    x: MatMut<'_, f64>,
    basis: MatRef<'_, f64>,
    negligible: f64,
    par: Par,
) -> Option<Vec<f64>> {
    with_contiguous_vector(x, basis, |x, cols| {
        orthogonalize_slice(x, cols, negligible, par)
    })
}

/// Runs `f` on the single column of `x` as a slice (copied in and out when it is strided) and
/// on the basis's columns as slices, for the Gram–Schmidt kernels.
fn with_contiguous_vector<R>(
    mut x: MatMut<'_, f64>,
    basis: MatRef<'_, f64>,
    f: impl FnOnce(&mut [f64], &[&[f64]]) -> R,
) -> R {
    with_contiguous_columns(basis, |cols| {
        if let Some(xs) = x.rb_mut().col_mut(0).try_as_col_major_mut() {
            return f(xs.as_slice_mut(), cols);
        }
        let mut xs: Vec<f64> = x.rb().col(0).iter().copied().collect();
        let result = f(&mut xs, cols);
        for (d, s) in x.col_mut(0).iter_mut().zip(&xs) {
            *d = *s;
        }
        result
    })
}

/// Removes from `x` its components along `basis` that exceed `negligible·‖x‖`, for a vector
/// expected to be nearly orthogonal already (a reorthogonalization): one read of the basis
/// measures every component, and the subtraction reads only the columns whose component is
/// kept, instead of the whole basis again. The components left are at most `negligible·‖x‖`
/// each. When the subtraction removes most of the norm (the vector was not nearly orthogonal
/// after all), the full Gram–Schmidt with the DGKS repetition follows. Returns how many
/// columns the selective subtraction took (the full pass, when it runs, takes them all).
///
/// On W6 the loss of orthogonality that partial reorthogonalization removes sits in few
/// columns: above `8ε·‖x‖` in 10–25% of them when the estimate asks for a pass, and in 2–5%
/// on the pass that follows it.
pub(crate) fn reorthogonalize_selected(
    x: MatMut<'_, f64>,
    basis: MatRef<'_, f64>,
    negligible: f64,
    par: Par,
) -> usize {
    with_contiguous_vector(x, basis, |x, cols| selected_slice(x, cols, negligible, par))
}

/// [`reorthogonalize_selected`] on a contiguous vector.
fn selected_slice(x: &mut [f64], cols: &[&[f64]], negligible: f64, par: Par) -> usize {
    let n = x.len();
    let par = if n * cols.len() < 1 << 16 {
        Par::Seq
    } else {
        par
    };
    let norm = |x: &[f64]| norm2(MatRef::from_column_major_slice(x, n, 1));
    let before = norm(x);
    let h = basis_dots(cols, x, par);
    let picked: Vec<usize> = (0..cols.len())
        .filter(|&i| h[i].abs() > negligible * before)
        .collect();
    let picked_cols: Vec<&[f64]> = picked.iter().map(|&i| cols[i]).collect();
    let picked_h: Vec<f64> = picked.iter().map(|&i| h[i]).collect();
    subtract_combination(x, &picked_cols, &picked_h, par);
    if norm(x) <= std::f64::consts::FRAC_1_SQRT_2 * before {
        orthogonalize_slice(x, cols, 0.0, par);
    }
    picked.len()
}

/// [`reorthogonalize`] on a contiguous vector. Hand-written kernels stream each basis
/// column once per pass with the chunk of `x` held in L1, where two GEMV calls reread `x` per
/// column and wrote a correction vector: W3's (n = 50,000) Gram–Schmidt went from 0.17–0.18 s
/// to 0.13 s. Small passes (the local step against the last two vectors) run on the calling
/// thread, as in `det_matmul`: waking the pool for them cost W6 three times the context
/// switches and slowed the sparse products that follow.
fn orthogonalize_slice(
    x: &mut [f64],
    cols: &[&[f64]],
    negligible: f64,
    par: Par,
) -> Option<Vec<f64>> {
    let n = x.len();
    let par = if n * cols.len() < 1 << 16 {
        Par::Seq
    } else {
        par
    };
    let norm = |x: &[f64]| norm2(MatRef::from_column_major_slice(x, n, 1));
    let mut total = vec![0.0; cols.len()];
    let mut before = norm(x);
    for pass in 0..3 {
        let h = basis_dots(cols, x, par);
        if pass == 0 && h.iter().all(|c| c.abs() <= negligible * before) {
            return None;
        }
        subtract_combination(x, cols, &h, par);
        for (t, hv) in total.iter_mut().zip(&h) {
            *t += hv;
        }
        let after = norm(x);
        if after > std::f64::consts::FRAC_1_SQRT_2 * before {
            break;
        }
        before = after;
    }
    Some(total)
}

pub(crate) fn fresh_direction(
    mut x: MatMut<'_, f64>,
    basis: MatRef<'_, f64>,
    random: &mut rand_chacha::ChaCha8Rng,
    par: Par,
) {
    for _ in 0..3 {
        let g = gaussian(x.nrows(), 1, random);
        x.copy_from(&g);
        orthogonalize_against(x.rb_mut(), basis, par);
        let nrm = norm2(x.rb());
        if nrm > 1e-8 {
            x *= faer::Scale(1.0 / nrm);
            return;
        }
    }
}

/// Eigenpairs of a small symmetric matrix, descending (sequential: bit-identical results).
pub(crate) fn symmetric_eigen(t: MatRef<'_, f64>) -> Result<(Vec<f64>, Mat<f64>), SvdError> {
    let n = t.nrows();
    let mut s = Diag::<f64>::zeros(n);
    let mut u = Mat::<f64>::zeros(n, n);
    let par = Par::Seq;
    let mut buf = MemBuffer::new(self_adjoint_evd_scratch::<f64>(
        n,
        ComputeEigenvectors::Yes,
        par,
        Default::default(),
    ));
    self_adjoint_evd(
        t,
        s.as_mut(),
        Some(u.as_mut()),
        par,
        MemStack::new(&mut buf),
        Default::default(),
    )
    .map_err(|_| SvdError::DenseKernel)?;
    // Ascending from faer; reverse to descending.
    let vals: Vec<f64> = s.column_vector().iter().rev().copied().collect();
    let vecs = Mat::<f64>::from_fn(n, n, |i, j| u[(i, n - 1 - j)]);
    Ok((vals, vecs))
}

/// [`reorthogonalize`] for each column of `w` at once: every pass reads the basis once for all
/// columns instead of once per column (the memory traffic that dominates Gram–Schmidt for a
/// basis much larger than the cache). Each column is treated as [`reorthogonalize`] treats a
/// vector (with sums in chunks of another size, so not the same bits): its own skip test on
/// the first pass, its own DGKS test for a second pass. Columns are not orthogonalized against
/// each other. A single column goes through
/// [`reorthogonalize`] itself (the same bits).
pub(crate) fn reorthogonalize_block(
    mut w: MatMut<'_, f64>,
    basis: MatRef<'_, f64>,
    negligible: f64,
    par: Par,
) -> Vec<Option<Vec<f64>>> {
    let bw = w.ncols();
    if bw == 1 {
        return vec![reorthogonalize(w, basis, negligible, par)];
    }
    with_contiguous_columns(basis, |cols| {
        let n = w.nrows();
        let par = if n * cols.len() * bw < 1 << 16 {
            Par::Seq
        } else {
            par
        };
        let mut xs: Vec<Vec<f64>> = (0..bw)
            .map(|c| w.rb().col(c).iter().copied().collect())
            .collect();
        let norm = |x: &[f64]| norm2(MatRef::from_column_major_slice(x, n, 1));
        let mut totals: Vec<Option<Vec<f64>>> = vec![Some(vec![0.0; cols.len()]); bw];
        let mut before: Vec<f64> = xs.iter().map(|x| norm(x)).collect();
        let mut active: Vec<usize> = (0..bw).collect();
        for pass in 0..3 {
            if active.is_empty() {
                break;
            }
            let h = {
                let views: Vec<&[f64]> = active.iter().map(|&c| xs[c].as_slice()).collect();
                basis_dots_multi(cols, &views, par)
            };
            let mut still = Vec::with_capacity(active.len());
            let mut subtract: Vec<(usize, &[f64])> = Vec::with_capacity(active.len());
            debug_assert!(
                active.windows(2).all(|p| p[0] < p[1]),
                "the split below needs order"
            );
            for (a, &c) in active.iter().enumerate() {
                let hc = &h[a];
                if pass == 0 && hc.iter().all(|v| v.abs() <= negligible * before[c]) {
                    totals[c] = None;
                    continue;
                }
                subtract.push((c, hc.as_slice()));
            }
            {
                let mut targets: Vec<(&mut [f64], &[f64])> = Vec::with_capacity(subtract.len());
                let mut rest: &mut [Vec<f64>] = &mut xs;
                let mut offset = 0;
                for &(c, hc) in &subtract {
                    let (head, tail) = rest.split_at_mut(c - offset + 1);
                    targets.push((head[c - offset].as_mut_slice(), hc));
                    rest = tail;
                    offset = c + 1;
                }
                subtract_combination_multi(&mut targets, cols, par);
            }
            for &(c, hc) in &subtract {
                if let Some(total) = totals[c].as_mut() {
                    for (t, v) in total.iter_mut().zip(hc) {
                        *t += v;
                    }
                }
                let after = norm(&xs[c]);
                if after <= std::f64::consts::FRAC_1_SQRT_2 * before[c] {
                    still.push(c);
                }
                before[c] = after;
            }
            active = still;
        }
        for (c, x) in xs.iter().enumerate() {
            if totals[c].is_some() {
                for (d, v) in w.rb_mut().col_mut(c).iter_mut().zip(x) {
                    *d = *v;
                }
            }
        }
        totals
    })
}

/// Rows per chunk of the multi-vector Gram–Schmidt kernels: the chunk of a basis of about a
/// hundred columns (0.8 MiB) stays in L2 while each vector reads it.
const GS_MULTI_CHUNK: usize = 1024;

/// `Qᵀxₜ` for several vectors, each chunk of the basis read from memory once: per chunk, the
/// single-vector kernel runs for each `xₜ` in turn on the cached chunk. Partials are summed in
/// chunk order (deterministic).
fn basis_dots_multi(cols: &[&[f64]], xs: &[&[f64]], par: Par) -> Vec<Vec<f64>> {
    use rayon::prelude::*;
    let n = xs.first().map_or(0, |x| x.len());
    let chunks = n.div_ceil(GS_MULTI_CHUNK).max(1);
    let partial = |i: usize| -> Vec<Vec<f64>> {
        let (r0, r1) = (i * GS_MULTI_CHUNK, ((i + 1) * GS_MULTI_CHUNK).min(n));
        xs.iter()
            .map(|x| {
                pulp::Arch::new().dispatch(ChunkDots {
                    cols,
                    x: &x[r0..r1],
                    r0,
                    r1,
                })
            })
            .collect()
    };
    let partials: Vec<Vec<Vec<f64>>> = if matches!(par, Par::Seq) {
        (0..chunks).map(partial).collect()
    } else {
        (0..chunks).into_par_iter().map(partial).collect()
    };
    let mut h = vec![vec![0.0; cols.len()]; xs.len()];
    for p in &partials {
        for (ht, pt) in h.iter_mut().zip(p) {
            for (a, b) in ht.iter_mut().zip(pt) {
                *a += b;
            }
        }
    }
    h
}

/// `xₜ ← xₜ − Q·hₜ` for several vectors, chunk by chunk so each chunk of the basis is read from
/// memory once.
fn subtract_combination_multi(targets: &mut [(&mut [f64], &[f64])], cols: &[&[f64]], par: Par) {
    use rayon::prelude::*;
    let Some(n) = targets.first().map(|(x, _)| x.len()) else {
        return;
    };
    let chunks = n.div_ceil(GS_MULTI_CHUNK);
    // Split every vector into its chunks, then regroup by chunk.
    let mut by_chunk: Vec<Vec<(&mut [f64], &[f64])>> = (0..chunks).map(|_| Vec::new()).collect();
    for (x, h) in targets.iter_mut() {
        for (i, xc) in x.chunks_mut(GS_MULTI_CHUNK).enumerate() {
            by_chunk[i].push((xc, *h));
        }
    }
    let run = |(i, group): (usize, &mut Vec<(&mut [f64], &[f64])>)| {
        for (xc, h) in group.iter_mut() {
            pulp::Arch::new().dispatch(ChunkSubtract {
                cols,
                h,
                x: xc,
                r0: i * GS_MULTI_CHUNK,
            });
        }
    };
    if matches!(par, Par::Seq) {
        by_chunk.iter_mut().enumerate().for_each(run);
    } else {
        by_chunk.par_iter_mut().enumerate().for_each(run);
    }
}

/// Rows per chunk of the Gram–Schmidt kernels: a chunk of `x` (16 KiB) stays in L1 while the
/// basis columns stream past it. Fixed, so results do not depend on the thread count.
const GS_CHUNK: usize = 2048;

/// Runs `f` on the columns of `basis` as slices. The kernels take contiguous columns; every
/// caller passes views of a `Mat` or a `Basis`, which have them, and other layouts are copied
/// rather than served by a second implementation.
fn with_contiguous_columns<R>(basis: MatRef<'_, f64>, f: impl FnOnce(&[&[f64]]) -> R) -> R {
    if let Some(cols) = contiguous_columns(basis) {
        return f(&cols);
    }
    let owned = basis.to_owned();
    let cols: Vec<&[f64]> = (0..owned.ncols()).map(|c| owned.col_as_slice(c)).collect();
    f(&cols)
}

/// Columns of a column-major matrix as slices, if its columns are contiguous.
fn contiguous_columns<'a>(q: MatRef<'a, f64>) -> Option<Vec<&'a [f64]>> {
    (0..q.ncols())
        .map(|c| q.col(c).try_as_col_major().map(|col| col.as_slice()))
        .collect()
}

/// `Qᵀx` for a basis given by its columns: each fixed chunk of rows gives partial dot products
/// (four columns per pass over the chunk of `x`), summed in chunk order.
fn basis_dots(cols: &[&[f64]], x: &[f64], par: Par) -> Vec<f64> {
    use rayon::prelude::*;
    let n = x.len();
    let chunks = n.div_ceil(GS_CHUNK).max(1);
    let partial = |i: usize| -> Vec<f64> {
        let (r0, r1) = (i * GS_CHUNK, ((i + 1) * GS_CHUNK).min(n));
        pulp::Arch::new().dispatch(ChunkDots {
            cols,
            x: &x[r0..r1],
            r0,
            r1,
        })
    };
    let partials: Vec<Vec<f64>> = if matches!(par, Par::Seq) {
        (0..chunks).map(partial).collect()
    } else {
        (0..chunks).into_par_iter().map(partial).collect()
    };
    let mut h = vec![0.0; cols.len()];
    for p in &partials {
        for (a, b) in h.iter_mut().zip(p) {
            *a += b;
        }
    }
    h
}

struct ChunkDots<'a> {
    cols: &'a [&'a [f64]],
    x: &'a [f64],
    r0: usize,
    r1: usize,
}

impl pulp::WithSimd for ChunkDots<'_> {
    type Output = Vec<f64>;
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, simd: S) -> Vec<f64> {
        let ChunkDots { cols, x, r0, r1 } = self;
        let mut out = vec![0.0; cols.len()];
        let (xh, xt) = S::as_simd_f64s(x);
        let zero = simd.splat_f64s(0.0);
        let mut c = 0;
        while c + 4 <= cols.len() {
            let qs: [(&[S::f64s], &[f64]); 4] =
                std::array::from_fn(|t| S::as_simd_f64s(&cols[c + t][r0..r1]));
            let mut acc = [zero; 4];
            for (i, xv) in xh.iter().enumerate() {
                for t in 0..4 {
                    acc[t] = simd.mul_add_f64s(qs[t].0[i], *xv, acc[t]);
                }
            }
            if !xt.is_empty() {
                let xv = simd.partial_load_f64s(xt);
                for t in 0..4 {
                    acc[t] = simd.mul_add_f64s(simd.partial_load_f64s(qs[t].1), xv, acc[t]);
                }
            }
            for t in 0..4 {
                out[c + t] = simd.reduce_sum_f64s(acc[t]);
            }
            c += 4;
        }
        while c < cols.len() {
            let (qh, qt) = S::as_simd_f64s(&cols[c][r0..r1]);
            let mut acc = zero;
            for (qv, xv) in qh.iter().zip(xh) {
                acc = simd.mul_add_f64s(*qv, *xv, acc);
            }
            if !xt.is_empty() {
                let xv = simd.partial_load_f64s(xt);
                acc = simd.mul_add_f64s(simd.partial_load_f64s(qt), xv, acc);
            }
            out[c] = simd.reduce_sum_f64s(acc);
            c += 1;
        }
        out
    }
}

/// `x ← x − Q·h` for a basis given by its columns, in fixed chunks of rows, four columns per
/// pass over each chunk of `x`.
fn subtract_combination(x: &mut [f64], cols: &[&[f64]], h: &[f64], par: Par) {
    use rayon::prelude::*;
    let run = |(i, xc): (usize, &mut [f64])| {
        pulp::Arch::new().dispatch(ChunkSubtract {
            cols,
            h,
            x: xc,
            r0: i * GS_CHUNK,
        })
    };
    if matches!(par, Par::Seq) {
        x.chunks_mut(GS_CHUNK).enumerate().for_each(run);
    } else {
        x.par_chunks_mut(GS_CHUNK).enumerate().for_each(run);
    }
}

struct ChunkSubtract<'a> {
    cols: &'a [&'a [f64]],
    h: &'a [f64],
    x: &'a mut [f64],
    r0: usize,
}

impl pulp::WithSimd for ChunkSubtract<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, simd: S) {
        let ChunkSubtract { cols, h, x, r0 } = self;
        let r1 = r0 + x.len();
        let (xh, xt) = S::as_mut_simd_f64s(x);
        let mut c = 0;
        while c + 4 <= cols.len() {
            let qs: [(&[S::f64s], &[f64]); 4] =
                std::array::from_fn(|t| S::as_simd_f64s(&cols[c + t][r0..r1]));
            let hs: [S::f64s; 4] = std::array::from_fn(|t| simd.splat_f64s(-h[c + t]));
            for (i, xv) in xh.iter_mut().enumerate() {
                let mut v = *xv;
                for t in 0..4 {
                    v = simd.mul_add_f64s(qs[t].0[i], hs[t], v);
                }
                *xv = v;
            }
            for (i, xv) in xt.iter_mut().enumerate() {
                let mut v = *xv;
                for t in 0..4 {
                    v = qs[t].1[i].mul_add(-h[c + t], v);
                }
                *xv = v;
            }
            c += 4;
        }
        while c < cols.len() {
            let (qh, qt) = S::as_simd_f64s(&cols[c][r0..r1]);
            let hv = simd.splat_f64s(-h[c]);
            for (xv, qv) in xh.iter_mut().zip(qh) {
                *xv = simd.mul_add_f64s(*qv, hv, *xv);
            }
            for (xv, qv) in xt.iter_mut().zip(qt) {
                *xv = qv.mul_add(-h[c], *xv);
            }
            c += 1;
        }
    }
}

#[cfg(test)]
mod gs_kernel_tests {
    use super::*;

    /// An orthonormal `n × amounts.len()` basis `q`, a vector `x` orthogonal to it, its norm,
    /// and `y = x + Σ_c amounts[c]·‖x‖·q_c`: known components planted along the basis.
    fn planted_components(
        n: usize,
        amounts: &[f64],
        seed: u64,
    ) -> (Mat<f64>, Mat<f64>, f64, Mat<f64>) {
        let q = orthonormalize(
            gaussian(n, amounts.len(), &mut rng(seed, 1)).as_ref(),
            Par::Seq,
        );
        let mut x = gaussian(n, 1, &mut rng(seed, 2));
        orthogonalize_against(x.as_mut(), q.as_ref(), Par::Seq);
        let nx = norm2(x.as_ref());
        let mut y = x.clone();
        for (c, &amount) in amounts.iter().enumerate() {
            for i in 0..n {
                y[(i, 0)] += amount * nx * q[(i, c)];
            }
        }
        (q, x, nx, y)
    }

    /// `reorthogonalize` leaves a vector whose components along the basis are all within the
    /// threshold exactly as it was, and otherwise removes them as `orthogonalize_against` does.
    #[test]
    fn reorthogonalize_skips_only_negligible_components() {
        // Components of 1e-13 relative: above 8ε (1.8e-15), below 1e-12.
        let (q, _, nx, mut y) = planted_components(3000, &[1e-13; 5], 1);
        let before = y.clone();
        assert!(reorthogonalize(y.as_mut(), q.as_ref(), 1e-12, Par::Seq).is_none());
        assert_eq!(y, before);
        let h = reorthogonalize(y.as_mut(), q.as_ref(), 8.0 * f64::EPSILON, Par::rayon(2))
            .expect("components of 1e-13 are above 8ε");
        for c in 0..5 {
            assert!(
                (h[c] / nx - 1e-13).abs() < 1e-15,
                "coefficient {c}: {:e}",
                h[c] / nx
            );
        }
        let left = q.transpose() * &y;
        for c in 0..5 {
            assert!(left[(c, 0)].abs() <= 4.0 * f64::EPSILON * nx);
        }
    }

    /// `reorthogonalize_selected` subtracts exactly the components above the threshold and
    /// leaves the others as they were; a vector mostly inside the basis gets the full
    /// Gram–Schmidt instead.
    #[test]
    fn reorthogonalize_selected_removes_only_the_components_above_the_threshold() {
        // n·columns ≥ 2¹⁶, so the two-thread leg below runs in parallel.
        let n = 12_000;
        // Columns 1 and 4 carry 1e-10 relative, above the threshold; the others 1e-13, below
        // it but far above rounding, so that subtracting them would show.
        let negligible = 1e-12;
        let planted = [1e-13, 1e-10, 1e-13, 1e-13, 1e-10, 1e-13];
        let (q, x, nx, y) = planted_components(n, &planted, 2);
        for par in [Par::Seq, Par::rayon(2)] {
            let mut z = y.clone();
            let count = reorthogonalize_selected(z.as_mut(), q.as_ref(), negligible, par);
            assert_eq!(count, 2);
            let left = q.transpose() * &z;
            for (c, &amount) in planted.iter().enumerate() {
                let got = left[(c, 0)] / nx;
                if amount > negligible {
                    assert!(got.abs() <= 4.0 * f64::EPSILON, "column {c}: {got:e} left");
                } else {
                    assert!(
                        (got - amount).abs() <= 4.0 * f64::EPSILON,
                        "column {c}: {got:e}, planted {amount:e}"
                    );
                }
            }
        }
        // Mostly along the basis: everything above rounding goes, as in the full pass.
        let mut w = x.clone();
        for i in 0..n {
            w[(i, 0)] = 1e-3 * w[(i, 0)] + nx * (q[(i, 0)] + q[(i, 3)]);
        }
        let count = reorthogonalize_selected(w.as_mut(), q.as_ref(), negligible, Par::Seq);
        assert!(count >= 2);
        let left = q.transpose() * &w;
        let nw = norm2(w.as_ref());
        for c in 0..6 {
            assert!(left[(c, 0)].abs() <= 4.0 * f64::EPSILON * nw, "column {c}");
        }
    }

    /// The one-pass norm and its scaled fallback, at every scale: each must be within the
    /// worst-case rounding of a sum of `n` squares, `(n/2 + 2)·ε` relative, of the norm
    /// accumulated with `hypot`, which cannot overflow or underflow. Overflow (∞) or underflow
    /// (0) would miss by orders of magnitude.
    #[test]
    fn norm2_is_accurate_at_every_scale() {
        for n in [1usize, 7, 8, 9, 1000] {
            for scale in [0.0, 1e-300, 1e-160, 1e-100, 1.0, 1e100, 1e160, 1e300] {
                let mut r = rng(n as u64, 7);
                let g = gaussian(n, 1, &mut r);
                let x = Mat::<f64>::from_fn(n, 1, |i, _| g[(i, 0)] * scale);
                let reference = x.col(0).iter().fold(0.0f64, |acc, v| acc.hypot(*v));
                let got = norm2(x.as_ref());
                let tol = (n as f64 / 2.0 + 2.0) * f64::EPSILON * reference;
                assert!(
                    (got - reference).abs() <= tol,
                    "n {n} scale {scale:e}: {got:e} vs {reference:e}"
                );
                // A strided view (a row of the transpose) takes the scaled path.
                let xt = x.transpose().to_owned();
                let strided = norm2(xt.as_ref().row(0).transpose().as_mat());
                assert!(
                    (strided - reference).abs() <= tol,
                    "strided n {n} scale {scale:e}: {strided:e} vs {reference:e}"
                );
            }
        }
        for fill in [1.0, 0.0] {
            let with_nan = Mat::<f64>::from_fn(9, 1, |i, _| if i == 4 { f64::NAN } else { fill });
            assert!(norm2(with_nan.as_ref()).is_nan(), "NaN among {fill}s");
        }
    }

    /// Lengths around the SIMD width and the chunk size, and column counts around the 4-column
    /// groups: the kernels must equal the plain formulas to rounding, and give the same bits
    /// sequentially and in parallel.
    #[test]
    fn gram_schmidt_kernels_match_the_plain_formulas() {
        for n in [1usize, 7, 8, 9, 2047, 2048, 2049, 5000] {
            for j in [0usize, 1, 3, 4, 5, 9] {
                let mut r = rng(n as u64, j as u64);
                let q = gaussian(n, j, &mut r);
                let x0 = gaussian(n, 1, &mut r);
                let x: Vec<f64> = x0.col(0).iter().copied().collect();
                let cols = contiguous_columns(q.as_ref()).expect("a Mat has contiguous columns");
                let h = basis_dots(&cols, &x, Par::rayon(2));
                assert_eq!(h, basis_dots(&cols, &x, Par::Seq), "n {n} j {j}");
                for c in 0..j {
                    let exact: f64 = (0..n).map(|i| q[(i, c)] * x[i]).sum();
                    let magnitude: f64 = (0..n).map(|i| (q[(i, c)] * x[i]).abs()).sum();
                    // Any summation order is within n·ε·Σ|q_i x_i| of the exact sum (Higham
                    // §3.1); the plain sum's own error is as large, hence the factor 2.
                    let tol = 2.0 * n as f64 * f64::EPSILON * magnitude;
                    assert!((h[c] - exact).abs() <= tol, "n {n} j {j} c {c}");
                }
                let mut par_x = x.clone();
                subtract_combination(&mut par_x, &cols, &h, Par::rayon(2));
                let mut seq_x = x.clone();
                subtract_combination(&mut seq_x, &cols, &h, Par::Seq);
                assert_eq!(par_x, seq_x, "n {n} j {j}");
                for i in 0..n {
                    let plain: f64 = x[i] - (0..j).map(|c| q[(i, c)] * h[c]).sum::<f64>();
                    let magnitude: f64 =
                        x[i].abs() + (0..j).map(|c| (q[(i, c)] * h[c]).abs()).sum::<f64>();
                    let tol = 2.0 * (j + 1) as f64 * f64::EPSILON * magnitude;
                    assert!((par_x[i] - plain).abs() <= tol, "n {n} j {j} row {i}");
                }
            }
        }
    }

    /// The block form treats each column as `reorthogonalize` treats it alone: the same skip
    /// decision, the same coefficients to rounding, and a result orthogonal to the basis; its
    /// bits do not depend on the thread count.
    #[test]
    fn reorthogonalize_block_matches_one_column_at_a_time() {
        let n = 5000;
        let q = orthonormalize(gaussian(n, 40, &mut rng(3, 1)).as_ref(), Par::Seq);
        let g = gaussian(n, 3, &mut rng(3, 2));
        let mut w = g.clone();
        // Column 1 already orthogonal to the basis plus components of 1e-17 relative (below
        // 8ε, so skipped); columns 0 and 2 have large components.
        let mut c1 = g.subcols(1, 1).to_owned();
        orthogonalize_against(c1.as_mut(), q.as_ref(), Par::Seq);
        let n1 = norm2(c1.as_ref());
        for i in 0..n {
            c1[(i, 0)] += 1e-17 * n1 * q[(i, 5)];
        }
        w.as_mut().col_mut(1).copy_from(c1.col(0));
        let negligible = 8.0 * f64::EPSILON;
        let mut seq = w.clone();
        let block = reorthogonalize_block(seq.as_mut(), q.as_ref(), negligible, Par::Seq);
        let mut par = w.clone();
        let block_par = reorthogonalize_block(par.as_mut(), q.as_ref(), negligible, Par::rayon(2));
        assert_eq!(block, block_par, "coefficients depend on the thread count");
        assert!(seq == par, "vectors depend on the thread count");
        for c in 0..3 {
            let mut single = w.subcols(c, 1).to_owned();
            let one = reorthogonalize(single.as_mut(), q.as_ref(), negligible, Par::Seq);
            assert_eq!(
                block[c].is_none(),
                one.is_none(),
                "column {c}: skip decision"
            );
            assert_eq!(
                block[c].is_none(),
                c == 1,
                "column {c}: skip expected only on 1"
            );
            if let (Some(b), Some(o)) = (&block[c], &one) {
                let scale = norm2(w.subcols(c, 1));
                for (x, y) in b.iter().zip(o) {
                    assert!(
                        (x - y).abs() <= 1e-14 * scale,
                        "column {c}: {x} against {y}"
                    );
                }
                let left = product(q.transpose(), seq.subcols(c, 1), Par::Seq);
                let worst = left.col(0).iter().fold(0.0f64, |m, v| m.max(v.abs()));
                assert!(
                    worst <= 1e-14 * scale,
                    "column {c}: component {worst:e} left"
                );
            } else {
                assert!(
                    seq.col(c) == w.col(c),
                    "a skipped column must be left as it was"
                );
            }
        }
    }
}

#[cfg(test)]
mod in_place_tests {
    use super::*;

    /// Growing in steps keeps the old columns, zeroes the new ones (whatever the allocation
    /// held), and gives the shape asked for, on one thread or several.
    #[test]
    fn grow_zeroed_keeps_old_columns_and_zeroes_new_ones() {
        for par in [Par::Seq, Par::rayon(2)] {
            let (m, cap) = (1000, 7);
            let mut mat = Mat::<f64>::with_capacity(m, cap);
            grow_zeroed(&mut mat, m, 3, par);
            assert_eq!(mat.shape(), (m, 3));
            assert!(mat.col_iter().all(|c| c.iter().all(|&x| x == 0.0)));
            for j in 0..3 {
                mat.col_mut(j)
                    .iter_mut()
                    .enumerate()
                    .for_each(|(i, x)| *x = (i + 10 * j) as f64);
            }
            grow_zeroed(&mut mat, m, 7, par);
            assert_eq!(mat.shape(), (m, 7));
            for j in 0..7 {
                for i in 0..m {
                    let want = if j < 3 { (i + 10 * j) as f64 } else { 0.0 };
                    assert_eq!(mat[(i, j)], want, "({i}, {j})");
                }
            }
            // Past the reserved capacity it reallocates and still keeps the contents.
            grow_zeroed(&mut mat, m, 9, par);
            assert_eq!(mat.shape(), (m, 9));
            assert_eq!(mat[(999, 2)], (999 + 20) as f64);
            assert!(mat.col(8).iter().all(|&x| x == 0.0));
        }
    }

    /// `x[:, ..c] ← x[:, ..r]·w` against the product formed out of place, over several row
    /// chunks (1024 rows each) and with columns past `w` left alone; the same bits on 1 and 3
    /// threads.
    #[test]
    fn multiply_in_place_matches_the_product_and_leaves_other_columns() {
        let (m, ncols) = (2500, 6);
        let x0 = Mat::<f64>::from_fn(m, ncols, |i, j| ((i * 7 + j * 3) % 11) as f64 - 5.0);
        let w = Mat::<f64>::from_fn(4, 3, |i, j| (i as f64 + 1.0) / (j as f64 + 2.0));
        let want = x0.as_ref().subcols(0, 4) * &w;
        let mut first: Option<Mat<f64>> = None;
        for par in [Par::Seq, Par::rayon(3)] {
            let mut x = x0.clone();
            multiply_in_place(x.as_mut(), w.as_ref(), par);
            for j in 0..3 {
                for i in 0..m {
                    assert!((x[(i, j)] - want[(i, j)]).abs() <= 1e-12 * want.norm_max());
                }
            }
            for j in 3..ncols {
                assert!(x.col(j).iter().zip(x0.col(j).iter()).all(|(a, b)| a == b));
            }
            match &first {
                None => first = Some(x),
                Some(f) => assert!(*f == x, "bits differ across thread counts"),
            }
        }
    }

    /// One sweep forms `Z` in each chunk (here `Z = X·W` into the first columns, with `side`
    /// receiving `2·Z`) and returns `ZᵀZ`: against the Gram matrix of the product formed out of
    /// place, over three row chunks, the same bits on 1 and 3 threads; a zero-width side works.
    #[test]
    fn row_chunks_with_gram_returns_the_gram_matrix_of_what_it_formed() {
        let (m, l, k) = (2500, 5, 3);
        let x0 = Mat::<f64>::from_fn(m, l, |i, j| ((i * 5 + j * 7) % 13) as f64 - 6.0);
        let w = Mat::<f64>::from_fn(l, k, |i, j| (i as f64 - 1.5) / (j as f64 + 1.0));
        let z = &x0 * &w;
        let want = z.transpose() * &z;
        let mut first: Option<(Mat<f64>, Mat<f64>, Mat<f64>)> = None;
        for par in [Par::Seq, Par::rayon(3)] {
            let mut x = x0.clone();
            let mut side = Mat::<f64>::zeros(m, k);
            let g = row_chunks_with_gram(x.as_mut(), side.as_mut(), k, par, |mut c, mut s| {
                let t = c.rb().subcols(0, l) * &w;
                c.rb_mut().subcols_mut(0, k).copy_from(&t);
                s.copy_from(&t * faer::Scale(2.0));
            });
            assert!((&g - &want).norm_max() <= 1e-12 * want.norm_max());
            assert!((x.as_ref().subcols(0, k) - &z).norm_max() <= 1e-12 * z.norm_max());
            assert!((&side - &z * faer::Scale(2.0)).norm_max() <= 1e-12 * z.norm_max());
            match &first {
                None => first = Some((g, x, side)),
                Some(f) => assert!(
                    f.0 == g && f.1 == x && f.2 == side,
                    "bits differ across thread counts"
                ),
            }
            let mut none = Mat::<f64>::zeros(m, 0);
            let mut y = x0.clone();
            let g0 = row_chunks_with_gram(y.as_mut(), none.as_mut(), l, par, |_, _| {});
            let want0 = x0.transpose() * &x0;
            assert!((&g0 - &want0).norm_max() <= 1e-12 * want0.norm_max());
        }
    }
}
