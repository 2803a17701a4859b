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
    let s: Vec<f64> = s.column_vector().iter().copied().collect();
    Ok((s, u, v))
}
