//! PCA of a tall dense matrix through its covariance: `C = A_cᵀA_c` formed once (half the flops
//! of a GEMM, by symmetry), eigendecomposed, then one Rayleigh–Ritz step on `A_c` itself.
//!
//! Why the last step: the eigenvalues of `C` are `σ²`, so taking `σ = √λ` would carry the
//! rounding of `C` (about `ε·σ₁²`) into small `σ` — the squared condition number. Projecting
//! instead, `Y = A_c·V₀` and a thin SVD `Y = UΣWᵀ`, gives `σ` and `U` from products with `A`
//! and rotates the axes to `V = V₀W`; errors in `σ` are then second order in the angle between
//! `span(V₀)` and the true subspace. The certificate measures that angle through
//! `‖Aᵀuᵢ − σᵢvᵢ‖`, which is computed from `A`, not from `C`.

use crate::op::LinearOperator;
use crate::svd::linalg;
use crate::svd::{choose_rank, PhaseTime, RankSpec, Svd};
use crate::{Observer, Progress, SvdError};
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::prelude::{Reborrow, ReborrowMut};
use faer::{Accum, Mat, MatMut, MatRef, Par};
use std::ops::ControlFlow;
use std::time::Instant;

/// Rows of `A` per pass of the accumulation: the centred copy of a block (`rows × n` doubles)
/// is a few MiB for `n ≤ 1000`, and the inner dimension of each GEMM is long enough for full
/// speed.
const ROW_BLOCK: usize = 4096;
/// Rows whose mean shifts the data before accumulating (see [`gram_centred`]).
const SHIFT_ROWS: usize = 4096;

/// The column means and covariance (unnormalised) of a dense matrix.
pub(super) struct Gram {
    /// Column means.
    pub(super) mean: Vec<f64>,
    /// `A_cᵀA_c`, both triangles filled.
    pub(super) c: Mat<f64>,
}

/// `A_cᵀA_c` and the column means in one pass over `A`.
///
/// The data are shifted by `s`, the mean of the first [`SHIFT_ROWS`] rows, and
/// `C = Σ (a − s)(a − s)ᵀ − m·d·dᵀ` with `d = mean − s`. Shifting by a nearby point keeps the
/// correction small (`|d|² ≈ var/4096` for rows in random order), so few digits cancel — unlike
/// `AᵀA − m·μμᵀ` when the means dwarf the spread — and one pass replaces two.
pub(super) fn gram_centred(
    a: MatRef<'_, f64>,
    par: Par,
    observer: &mut dyn Observer,
) -> Result<Gram, SvdError> {
    let (m, n) = a.shape();
    let head = SHIFT_ROWS.min(m);
    let shift: Vec<f64> = (0..n)
        .map(|j| a.col(j).subrows(0, head).iter().sum::<f64>() / head as f64)
        .collect();
    let mut c = Mat::<f64>::zeros(n, n);
    let mut sums = vec![0.0f64; n];
    let mut buf = Mat::<f64>::zeros(ROW_BLOCK.min(m), n);
    let blocks = m.div_ceil(ROW_BLOCK) as u64;
    let mut r0 = 0;
    let mut done = 0u64;
    while r0 < m {
        let rows = ROW_BLOCK.min(m - r0);
        let mut b = buf.as_mut().subrows_mut(0, rows);
        centre_block(b.rb_mut(), a.subrows(r0, rows), &shift, &mut sums, par);
        accumulate(c.as_mut(), b.rb(), par);
        r0 += rows;
        done += 1;
        if let ControlFlow::Break(()) = observer.progress(&Progress {
            phase: "covariance",
            done,
            total: blocks,
        }) {
            return Err(SvdError::Cancelled);
        }
    }
    let mf = m as f64;
    let d: Vec<f64> = sums.iter().map(|s| s / mf).collect();
    for j in 0..n {
        for i in j..n {
            let v = c[(i, j)] - mf * d[i] * d[j];
            c[(i, j)] = v;
            c[(j, i)] = v;
        }
    }
    let mean = shift.iter().zip(&d).map(|(s, d)| s + d).collect();
    Ok(Gram { mean, c })
}

/// `dst = src − shift` column by column, adding each column's sum to `sums` (each column summed
/// sequentially, so the bits do not depend on the thread count).
fn centre_block(
    dst: MatMut<'_, f64>,
    src: MatRef<'_, f64>,
    shift: &[f64],
    sums: &mut [f64],
    par: Par,
) {
    let centre = |j: usize, col: &mut [f64]| -> f64 {
        let sj = shift[j];
        let mut acc = 0.0;
        for (d, &x) in col.iter_mut().zip(src.col(j).iter()) {
            *d = x - sj;
            acc += *d;
        }
        acc
    };
    let rows = dst.nrows();
    let mut cols: Vec<(usize, &mut [f64])> = Vec::with_capacity(dst.ncols());
    let mut rest = dst;
    for j in 0..src.ncols() {
        let (left, right) = rest.split_at_col_mut(1);
        let col = left
            .col_mut(0)
            .try_as_col_major_mut()
            .expect("contiguous column");
        let slice = col.as_slice_mut();
        cols.push((j, &mut slice[..rows]));
        rest = right;
    }
    let col_sums: Vec<f64> = match par {
        Par::Seq => cols.into_iter().map(|(j, c)| centre(j, c)).collect(),
        _ => {
            use rayon::prelude::*;
            cols.into_par_iter().map(|(j, c)| centre(j, c)).collect()
        }
    };
    for (s, x) in sums.iter_mut().zip(col_sums) {
        *s += x;
    }
}

/// Lower triangle of `C += BᵀB` (a SYRK: half the flops of the full product). faer's kernel
/// splits the output, never the inner dimension, across threads, so every entry is summed in the
/// same order whatever the thread count (checked by a test).
fn accumulate(c: MatMut<'_, f64>, b: MatRef<'_, f64>, par: Par) {
    triangular::matmul(
        c,
        BlockStructure::TriangularLower,
        Accum::Add,
        b.transpose(),
        BlockStructure::Rectangular,
        b,
        BlockStructure::Rectangular,
        1.0,
        par,
    );
}

/// Top triplets of `op` (the centred, maybe scaled matrix whose covariance is `c`): eigenvectors
/// of `c`, then Rayleigh–Ritz on `op`. `energy` is `‖op‖_F²` (for rank by variance). Also
/// returns `op·V`, formed from the Rayleigh–Ritz product, for the certificate.
pub(super) fn solve(
    op: &dyn LinearOperator,
    c: &Mat<f64>,
    energy: f64,
    rank: RankSpec,
    par: Par,
    notes: &mut Vec<String>,
    phases: &mut Vec<PhaseTime>,
) -> Result<(Svd, Mat<f64>), SvdError> {
    let (m, n) = (op.nrows(), op.ncols());
    let t = Instant::now();
    // Sequential, so the bits do not depend on the thread count (n ≤ a few thousand here).
    let (vals, vecs) = linalg::symmetric_eigen(c.as_ref())?;
    // Rounding can make tiny eigenvalues negative.
    let sigma_est: Vec<f64> = vals.iter().map(|l| l.max(0.0).sqrt()).collect();
    phases.push(PhaseTime {
        phase: "covariance eigendecomposition".into(),
        seconds: t.elapsed().as_secs_f64(),
    });
    let k = match choose_rank(&sigma_est, energy, rank, true) {
        Some(k) => k,
        None => {
            let k = rank.max_rank().min(m.min(n));
            notes.push(format!(
                "{} was not reached within {k} components; kept {k}",
                rank.describe()
            ));
            k
        }
    }
    .max(1);
    let v0 = vecs.as_ref().subcols(0, k);

    // Rayleigh–Ritz: Y = op·V₀ = Q·R (CholeskyQR2, deterministic), R = U_R·Σ·Wᵀ.
    let t = Instant::now();
    let mut y = Mat::<f64>::zeros(m, k);
    op.apply(y.as_mut(), v0, par)?;
    let q = linalg::orthonormalize(y.as_ref(), par);
    let r = linalg::product(q.as_ref().transpose(), y.as_ref(), par);
    let (s, ur, w) = linalg::small_svd(r.as_ref())?;
    // A·V = (A·V₀)·W: the certificate's product with A, for free.
    let av = linalg::product(y.as_ref(), w.as_ref(), par);
    drop(y);
    if s.iter().any(|x| !x.is_finite()) {
        return Err(SvdError::NonFinite {
            phase: "the Rayleigh–Ritz singular values",
        });
    }
    let u = linalg::product(q.as_ref(), ur.as_ref(), par);
    let v = linalg::product(v0, w.as_ref(), Par::Seq);
    phases.push(PhaseTime {
        phase: "rayleigh-ritz".into(),
        seconds: t.elapsed().as_secs_f64(),
    });
    Ok((
        Svd {
            s,
            u: Some(u),
            v: Some(v),
        },
        av,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NoObserver;

    #[test]
    fn gram_bits_do_not_depend_on_threads() {
        for (m, n) in [(9000, 12), (5000, 300)] {
            let a = Mat::<f64>::from_fn(m, n, |i, j| {
                ((i * 7 + j * 13) % 101) as f64 * 0.01 + (i as f64 * 0.37 + j as f64).cos()
            });
            let g1 = gram_centred(a.as_ref(), Par::Seq, &mut NoObserver).unwrap();
            for t in [2, 3] {
                let g2 = gram_centred(a.as_ref(), Par::rayon(t), &mut NoObserver).unwrap();
                let same = (0..n)
                    .all(|j| (0..n).all(|i| g1.c[(i, j)].to_bits() == g2.c[(i, j)].to_bits()));
                assert!(same, "{m}x{n}, {t} threads");
            }
        }
    }
}
