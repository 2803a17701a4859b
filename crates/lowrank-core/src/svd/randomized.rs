//! Randomized SVD: a Gaussian sketch of the range of `A`, sharpened by power iterations.
//!
//! # Algorithm
//! With `ℓ = k + p` (oversampling `p`), draw a seeded Gaussian `Ω` (`n × ℓ`) and form
//! `Q = orth(A·Ω)`. Each power iteration computes `W = Aᵀ·Q`, then `Q = orth(A·orth(W))`;
//! re-orthonormalising after every product keeps the small singular directions from being
//! washed out by rounding. Finally `W = Aᵀ·Q = (QᵀA)ᵀ` is decomposed, `W = Ṽ·Σ·Ũᵀ`, giving
//! `U = Q·Ũ` and `V = Ṽ`. Each pass over `A` is a GEMM (dense) or a block sparse product.
//!
//! With [`PowerIterations::Auto`](super::PowerIterations) the singular values of `W` are
//! computed after every pass (cheap: `n × ℓ`) and iteration stops once the top-`k` change by
//! less than `tol` relative — the spectrum decides how many passes are needed, where a fixed
//! count either wastes passes (fast decay) or stops short (slow decay).
//!
//! The block Krylov variant keeps every block, orthogonal to the previous ones, and projects on
//! their span: for the same number of passes its error depends on `(σ_{k+1}/σ_k)` to a power
//! growing twice as fast (Musco & Musco 2015).
//!
//! # Errors
//! Operator failures, cancellation.
//!
//! # References
//! Halko, Martinsson & Tropp, *Finding structure with randomness*, SIAM Review 53 (2011).
//! Musco & Musco, *Randomized block Krylov methods for stronger and faster approximate SVD*,
//! NeurIPS 2015.

use super::linalg::{extend_orthonormal_basis, gaussian, orthonormalize, product, rng};
use super::{PhaseClock, PowerIterations, RangeFinder, Solved, Svd, SvdParams, Vectors};
use crate::op::LinearOperator;
use crate::{Observer, Progress, SvdError};
use faer::Mat;

/// Automatic block Krylov stops after this many iterations: each keeps another `ℓ` columns on
/// both sides, so memory grows with the count.
pub(crate) const MAX_AUTO_KRYLOV_ITERATIONS: usize = 8;

pub(crate) fn solve(
    op: &dyn LinearOperator,
    k: usize,
    params: &SvdParams,
    observer: &mut dyn Observer,
) -> Result<Solved, SvdError> {
    let (m, n) = (op.nrows(), op.ncols());
    let min_dim = m.min(n);
    let par = params.par;
    let l = (k + params.oversamples).min(min_dim);
    let krylov = params.range_finder == RangeFinder::BlockKrylov;
    let (max_iters, auto) = match params.power_iterations {
        PowerIterations::Fixed(q) => (q, false),
        PowerIterations::Auto { max } if krylov => (max.min(MAX_AUTO_KRYLOV_ITERATIONS), true),
        PowerIterations::Auto { max } => (max, true),
    };
    let mut clock = PhaseClock::new();
    let mut matvecs = 0u64;

    let omega = gaussian(n, l, &mut rng(params.seed, 0));
    let mut y = Mat::<f64>::zeros(m, l);
    clock.lap("sketch");
    op.apply(y.as_mut(), omega.as_ref(), par)?;
    matvecs += l as u64;
    drop(omega);
    clock.lap("products with A");
    // `basis` holds the orthonormal blocks Q_0..Q_t (only the last one for subspace iteration);
    // `projected` holds Aᵀ·Q_i for each of them, so that Wᵀ = QᵀA is never recomputed.
    let mut basis: Vec<Mat<f64>> = vec![orthonormalize(y.as_ref(), par)];
    let mut projected: Vec<Mat<f64>> = Vec::new();
    clock.lap("orthonormalization");

    let mut iterations = 0;
    let mut previous: Option<Vec<f64>> = None;
    let mut converged = !auto;
    loop {
        let q = basis.last().expect("one block at least");
        let mut w = Mat::<f64>::zeros(n, q.ncols());
        clock.lap("orthonormalization");
        op.apply_transpose(w.as_mut(), q.as_ref(), par)?;
        clock.lap("products with A");
        matvecs += q.ncols() as u64;
        if !krylov {
            projected.clear();
        }
        projected.push(w);
        let done = if auto {
            let s = top_values(&projected, k)?;
            if let Some(prev) = &previous {
                let change = s
                    .iter()
                    .zip(prev)
                    .map(|(a, b)| {
                        if s[0] > 0.0 {
                            (a - b).abs() / s[0]
                        } else {
                            0.0
                        }
                    })
                    .fold(0.0, f64::max);
                converged = change <= params.tol;
            }
            previous = Some(s);
            clock.lap("spectrum estimate");
            converged || iterations == max_iters
        } else {
            iterations == max_iters
        };
        // A Krylov basis as wide as min(m, n) holds the whole range: Rayleigh–Ritz is exact.
        let width: usize = basis.iter().map(|b| b.ncols()).sum();
        let room = min_dim - width.min(min_dim);
        if krylov && room == 0 {
            converged = true;
            break;
        }
        if done {
            break;
        }
        let total = max_iters as u64;
        if observer
            .progress(&Progress {
                phase: "power iterations",
                done: iterations as u64,
                total,
            })
            .is_break()
        {
            return Err(SvdError::Cancelled);
        }
        // Next block: Q_{t+1} = orth(A·orth(Aᵀ Q_t)), made orthogonal to the earlier blocks.
        let z = orthonormalize(projected.last().expect("just pushed").as_ref(), par);
        clock.lap("orthonormalization");
        let mut y = Mat::<f64>::zeros(m, z.ncols());
        op.apply(y.as_mut(), z.as_ref(), par)?;
        matvecs += z.ncols() as u64;
        clock.lap("products with A");
        drop(z);
        if krylov {
            // Only the directions that are new: once the Krylov space nears the numerical rank
            // of A, what is left of `y` after projection is rounding noise, and must not enter
            // the basis (it would not be orthogonal to the earlier blocks).
            let cols = room.min(y.ncols());
            let next = extend_orthonormal_basis(y.as_ref().subcols(0, cols), &basis, par);
            if next.ncols() == 0 {
                converged = true; // the Krylov space is invariant: Rayleigh–Ritz is exact
                break;
            }
            basis.push(next);
        } else {
            basis[0] = orthonormalize(y.as_ref(), par);
        }
        iterations += 1;
        clock.lap("orthonormalization");
    }

    // Rayleigh–Ritz on the final subspace: W = AᵀQ = Ṽ Σ Ũᵀ.
    let width: usize = projected.iter().map(|w| w.ncols()).sum();
    let w = concat_columns(&projected, n, width);
    let (s, u, v) = super::exact::dense_svd(w.as_ref(), params.vectors, faer::Par::Seq)?;
    let keep = k.min(s.len());
    let (u, v) = match (u, v) {
        (Some(small_u), Some(small_v)) => {
            // W = small_u Σ small_vᵀ, so V = small_u and U = Q·small_v.
            let q = concat_columns(&basis, m, width);
            let u = product(q.as_ref(), small_v.as_ref().subcols(0, keep), par);
            (Some(u), Some(small_u.as_ref().subcols(0, keep).to_owned()))
        }
        _ => (None, None),
    };
    debug_assert!(params.vectors == Vectors::None || u.is_some());
    clock.lap("rayleigh-ritz");
    let mut s = s;
    s.truncate(keep);
    Ok(Solved {
        variant: format!(
            "{} with {} power iterations{}",
            if krylov {
                "block Krylov"
            } else {
                "subspace iteration"
            },
            iterations,
            if auto {
                " (stopped by the spectrum estimate)"
            } else {
                ""
            }
        ),
        svd: Svd { s, u, v },
        matvecs,
        iterations,
        subspace_dim: width,
        converged,
        phases: clock.finish(),
    })
}

/// The top-`k` singular values of `[W_0 … W_t]` (values only).
fn top_values(projected: &[Mat<f64>], k: usize) -> Result<Vec<f64>, SvdError> {
    let n = projected[0].nrows();
    let width = projected.iter().map(|w| w.ncols()).sum();
    let w = concat_columns(projected, n, width);
    let (mut s, _, _) = super::exact::dense_svd(w.as_ref(), Vectors::None, faer::Par::Seq)?;
    s.truncate(k);
    Ok(s)
}

fn concat_columns(blocks: &[Mat<f64>], rows: usize, width: usize) -> Mat<f64> {
    if blocks.len() == 1 {
        return blocks[0].clone();
    }
    let mut out = Mat::<f64>::zeros(rows, width);
    let mut c = 0;
    for b in blocks {
        out.as_mut().subcols_mut(c, b.ncols()).copy_from(b.as_ref());
        c += b.ncols();
    }
    out
}
