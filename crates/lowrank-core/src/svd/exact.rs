//! Exact (dense) SVD.
//!
//! # Algorithm
//! faer's thin SVD: Householder bidiagonalization (`O(mn·min(m,n))`), then divide-and-conquer
//! on the bidiagonal. Non-dense operators are materialised first (`A·I` in column blocks), which
//! is why the memory admission counts `m·n` doubles for them.
//!
//! # References
//! Golub & Van Loan, *Matrix Computations*, 4th ed., §8.6.

use super::{PhaseClock, Solved, SvdParams, Vectors};
use crate::op::{to_dense, LinearOperator};
use crate::{Observer, Progress, SvdError};
use dyn_stack::{MemBuffer, MemStack};
use faer::diag::Diag;
use faer::linalg::svd::{svd, svd_scratch, ComputeSvdVectors};
use faer::{Mat, MatRef, Par};
use std::ops::ControlFlow;

pub(crate) fn solve(
    op: &dyn LinearOperator,
    params: &SvdParams,
    observer: &mut dyn Observer,
) -> Result<Solved, SvdError> {
    let mut clock = PhaseClock::new();
    let total = 1;
    if observer
        .progress(&Progress {
            phase: "exact svd",
            done: 0,
            total,
        })
        .is_break()
    {
        return Err(SvdError::Cancelled);
    }
    let materialised;
    let a = match op.as_dense() {
        Some(a) => a,
        None => {
            materialised = to_dense(op, params.par)?;
            clock.lap("materialize");
            materialised.as_ref()
        }
    };
    let (s, u, v) = dense_svd(a, params.vectors, params.par)?;
    clock.lap("dense svd");
    if let ControlFlow::Break(()) = observer.progress(&Progress {
        phase: "exact svd",
        done: 1,
        total,
    }) {
        return Err(SvdError::Cancelled);
    }
    let r = s.len();
    Ok(Solved {
        variant: if params.vectors == super::Vectors::Both {
            "faer thin SVD"
        } else {
            "faer singular values only"
        }
        .to_string(),
        svd: super::Svd { s, u, v },
        matvecs: 0,
        iterations: 0,
        subspace_dim: r,
        converged: true,
        phases: clock.finish(),
    })
}

/// Thin SVD of a dense matrix with an explicit parallelism, values only on request.
pub(crate) fn dense_svd(
    a: MatRef<'_, f64>,
    vectors: Vectors,
    par: Par,
) -> Result<(Vec<f64>, Option<Mat<f64>>, Option<Mat<f64>>), SvdError> {
    let (m, n) = a.shape();
    let r = m.min(n);
    let mut s = Diag::<f64>::zeros(r);
    let want = match vectors {
        Vectors::Both => ComputeSvdVectors::Thin,
        Vectors::None => ComputeSvdVectors::No,
    };
    let mut u = (vectors == Vectors::Both).then(|| Mat::<f64>::zeros(m, r));
    let mut v = (vectors == Vectors::Both).then(|| Mat::<f64>::zeros(n, r));
    // Entries near the ends of the f64 range are scaled by a power of two first (exact), as
    // LAPACK's gesdd does: the kernel squares values (the bidiagonal divide and conquer's
    // secular equation, the blocked reduction's fused pass), which would overflow or underflow.
    let mut amax = 0.0f64;
    for j in 0..n {
        for v in a.col(j).iter() {
            amax = amax.max(v.abs());
        }
    }
    let moderate = (2f64.powi(-200)..=2f64.powi(200)).contains(&amax);
    let exponent = if amax > 0.0 && amax.is_finite() && !moderate {
        (-(amax.log2().round() as i32)).clamp(-1000, 1000)
    } else {
        0
    };
    let scaled = (exponent != 0).then(|| {
        let f = 2f64.powi(exponent);
        Mat::<f64>::from_fn(m, n, |i, j| a[(i, j)] * f)
    });
    let a = scaled.as_ref().map_or(a, |s| s.as_ref());
    let mut buf = MemBuffer::new(svd_scratch::<f64>(
        m,
        n,
        want,
        want,
        par,
        Default::default(),
    ));
    svd(
        a,
        s.as_mut(),
        u.as_mut().map(|u| u.as_mut()),
        v.as_mut().map(|v| v.as_mut()),
        par,
        MemStack::new(&mut buf),
        Default::default(),
    )
    .map_err(|_| SvdError::DenseKernel)?;
    let undo = 2f64.powi(-exponent);
    let s: Vec<f64> = s.column_vector().iter().map(|x| x * undo).collect();
    Ok((s, u, v))
}
