//! Lanczos on the normal operator `AᵀA`, for sparse row storage with a fused one-pass `AᵀA·x`.
//!
//! # Algorithm
//! Symmetric Lanczos with full reorthogonalization (Gram–Schmidt, repeated when needed) and
//! thick restarts (Wu & Simon 2000) on `G = AᵀA`, whose eigenpairs are `(σᵢ², vᵢ)`. The Krylov
//! space is the one Golub–Kahan builds for `V`, but each step costs **one** pass over the
//! matrix (`Σᵢ (aᵢ·x)·aᵢ`, each row read once) instead of two, and only `n`-vectors are
//! reorthogonalized. Wide input gets here through [`crate::op::Transposed`] (Lanczos on
//! `AAᵀ`, products `A·(Aᵀx)`, the caller swaps `U` and `V`). Convergence is tested from the
//! tridiagonal's eigenvectors, at steps spaced by extrapolating how fast the worst residual has
//! been falling: `‖G·yᵢ − θᵢyᵢ‖ = β_j·|S[j, i]|`, and since `uᵢ = A·vᵢ/σᵢ`,
//! `‖Aᵀuᵢ − σᵢvᵢ‖ = ‖G·vᵢ − σᵢ²vᵢ‖/σᵢ`, which must be `≤ tol·σ₁`.
//!
//! Squaring the matrix squares its condition: the residual floor is about `ε·σ₁²`, so a
//! triplet with `σᵢ/σ₁` below about `ε/tol` cannot be certified this way. The solver then
//! returns `None` and the caller runs Golub–Kahan–Lanczos instead.
//!
//! # References
//! Wu & Simon, *Thick-restart Lanczos method for large symmetric eigenvalue problems*, SIAM J.
//! Matrix Anal. Appl. 22 (2000); Golub & Van Loan, *Matrix Computations*, §10.1 and §10.4.

use super::linalg::{
    fresh_direction, gaussian, norm2, orthogonalize_against, product, reorthogonalize, rng,
    symmetric_eigen,
};
use super::{PhaseClock, Solved, Svd, SvdParams, Vectors};
use crate::op::LinearOperator;
use crate::{Observer, Progress, SvdError};
use faer::prelude::{Reborrow, ReborrowMut};
use faer::{Mat, Par};

/// Components along the basis, relative to `‖w‖`, below which the full reorthogonalization
/// pass is not applied. Every step still measures them (`Qᵀw`, one read of the basis); the
/// subtraction, a second read, would change each component by at most `8ε·‖w‖`, the order of
/// the rounding in `w` and in the dot products that measured it. Each stored vector is then
/// orthogonal to each earlier one to `8ε` instead of `~ε`, so `‖QᵀQ − I‖_F ≤ 8ε·d`.
///
/// On W6 (top-100, 300 steps) the components stay below `15ε` and the pass is skipped on 140 of
/// the 300 steps: Gram–Schmidt 0.23 s → 0.11–0.15 s, orthogonality of V 2.9e-14 → 3.0e-14, σ
/// and residuals unchanged. On W3, where one step amplifies rounding about a hundredfold (σ₁²
/// against the β's), it is skipped on 2 of 73.
const NEGLIGIBLE_LOSS: f64 = 8.0 * f64::EPSILON;

/// Working dimension: room for `k` and enough new directions that most problems converge
/// before the first restart.
fn working_dimension(k: usize, n: usize) -> usize {
    (k + (2 * k).max(60)).min(n)
}

pub(crate) fn solve(
    op: &dyn LinearOperator,
    k: usize,
    params: &SvdParams,
    observer: &mut dyn Observer,
) -> Result<Option<Solved>, SvdError> {
    let (m, n) = (op.nrows(), op.ncols());
    let d = working_dimension(k, n);
    if d <= k {
        return Ok(None); // no room for a Krylov space: the caller's method handles it
    }
    let par = params.par;
    let mut clock = PhaseClock::new();
    let mut random = rng(params.seed, 2);

    let mut q = Mat::<f64>::zeros(n, d + 1);
    let mut t = Mat::<f64>::zeros(d, d);
    // Start in the range of Aᵀ, where all of G's non-null eigenvectors live.
    let g = gaussian(m, 1, &mut random);
    let mut start = Mat::<f64>::zeros(n, 1);
    op.apply_transpose(start.as_mut(), g.as_ref(), par)?;
    let mut matvecs = 1u64;
    let nrm = norm2(start.as_ref());
    if !(nrm > 0.0 && nrm.is_finite()) {
        return Ok(None); // A = 0 or Aᵀg vanished: leave it to the general method
    }
    q.as_mut().col_mut(0).copy_from(start.col(0) * (1.0 / nrm));

    let mut w = Mat::<f64>::zeros(n, 1);
    let mut kept = 0usize;
    let mut restarts = 0usize;
    let mut norm_estimate = 0.0f64;
    let mut broke_down = false;
    // Steps taken and, of those, steps whose full reorthogonalization pass was applied: the
    // report says how often the measured loss of orthogonality was more than rounding.
    let (mut steps, mut full_passes) = (0usize, 0usize);
    loop {
        let mut last: Option<(Vec<f64>, Mat<f64>, f64)> = None;
        let mut next_check = 0usize;
        let mut previous: Option<(usize, f64)> = None;
        for j in kept..d {
            clock.lap("lanczos steps");
            op.apply_gram(w.as_mut(), q.as_ref().subcols(j, 1), par)?;
            clock.lap("products with AᵀA");
            matvecs += 2;
            // The three-term recurrence first: `w` is mostly along the last two basis vectors
            // (after a restart, along all kept ones). With those removed, one pass over the
            // whole basis usually leaves `w` orthogonal to working precision, and the DGKS test
            // inside `reorthogonalize` repeats it only when it is not — about half the memory
            // traffic of two unconditional full passes. That pass is itself applied only when
            // what it measures is more than rounding (see `NEGLIGIBLE_LOSS`).
            let local = if j == kept { 0 } else { j - 1 };
            let near =
                orthogonalize_against(w.as_mut(), q.as_ref().subcols(local, j + 1 - local), par);
            // No coefficient recorded for a skipped pass: `w` keeps those components, and
            // the relation `G·Q = Q·T + β·q·eᵀ` holds with `T` as it is.
            let mut h = reorthogonalize(
                w.as_mut(),
                q.as_ref().subcols(0, j + 1),
                NEGLIGIBLE_LOSS,
                par,
            )
            .inspect(|_| full_passes += 1)
            .unwrap_or_else(|| vec![0.0; j + 1]);
            steps += 1;
            for (i, c) in near.iter().enumerate() {
                h[local + i] += c;
            }
            clock.lap("gram-schmidt");
            for i in 0..=j {
                t[(i, j)] = h[i];
                t[(j, i)] = h[i];
            }
            let mut beta = norm2(w.as_ref());
            norm_estimate = norm_estimate.max(h[j].abs()).max(beta);
            if beta <= (n as f64).sqrt() * f64::EPSILON * norm_estimate {
                // An invariant subspace: its Ritz values are exact, but a single Krylov
                // sequence holds one copy of each repeated value, so the other copies live in
                // the fresh directions that follow. Their Ritz residuals are zero too, so the
                // test below would stop too early: fill the working space first.
                broke_down = true;
                beta = 0.0;
                fresh_direction(w.as_mut(), q.as_ref().subcols(0, j + 1), &mut random, par);
            } else {
                w *= faer::Scale(1.0 / beta);
            }
            q.as_mut().col_mut(j + 1).copy_from(w.col(0));
            if j + 1 < d {
                t[(j, j + 1)] = beta;
                t[(j + 1, j)] = beta;
            }
            let size = j + 1;
            if size < k || (size < next_check || broke_down) && size < d {
                continue;
            }
            clock.lap("lanczos steps");
            let (theta, s) = symmetric_eigen(t.as_ref().submatrix(0, 0, size, size))?;
            clock.lap("convergence checks");
            let sigma: Vec<f64> = theta.iter().map(|x| x.max(0.0).sqrt()).collect();
            let sigma1 = sigma[0];
            let floor = 64.0 * f64::EPSILON * theta[0].max(norm_estimate);
            // A triplet this small relative to σ₁ cannot be certified through AᵀA.
            if (0..k).any(|i| params.tol * sigma1 * sigma[i] < floor) && sigma1 > 0.0 {
                return Ok(None);
            }
            // How far the worst requested triplet is from the tolerance decides when to look
            // again: each check costs a small eigendecomposition.
            let worst = (0..k)
                .map(|i| {
                    beta * s[(size - 1, i)].abs()
                        / (params.tol * sigma1 * sigma[i]).max(f64::MIN_POSITIVE)
                })
                .fold(0.0, f64::max);
            let converged = worst <= 1.0;
            let mut ahead = if worst > 1e4 {
                6
            } else if worst > 1e2 {
                3
            } else {
                1
            };
            // The worst residual falls about geometrically with the basis size: from the last
            // two checks, skip 60% of the way to where it would reach the tolerance. Checking
            // every few steps cost W6 (top-100, checks of size up to 290) 0.18 s of its 0.9 s;
            // the 60% keeps the overshoot past convergence to a few steps. Below size 100 a
            // check costs less than a step (W3: 5 ms in all), so it is not worth overshooting.
            if let (Some((prev_size, prev_worst)), true) = (previous, size >= 100) {
                if worst > 1.0 && prev_worst > worst && size > prev_size {
                    let rate = (prev_worst.ln() - worst.ln()) / (size - prev_size) as f64;
                    let jump = (0.6 * worst.ln() / rate).min(d as f64) as usize;
                    ahead = ahead.max(jump);
                }
            }
            previous = Some((size, worst));
            next_check = size + ahead;
            if converged {
                clock.lap("lanczos steps");
                let want_u = params.vectors == Vectors::Both;
                let svd = finish(op, q, want_u, &s, &sigma, size, k, par)?;
                matvecs += if params.vectors == Vectors::Both {
                    k as u64
                } else {
                    0
                };
                clock.lap("ritz vectors");
                return Ok(Some(Solved {
                    // Steps over all restarts: the final basis (`size`) is smaller after one.
                    variant: format!(
                        "symmetric Lanczos on AᵀA with fused one-pass products, {steps} steps{} \
                         (full reorthogonalization applied on {full_passes} of {steps})",
                        if restarts > 0 {
                            format!(" in {} cycles, final basis {size}", restarts + 1)
                        } else {
                            String::new()
                        }
                    ),
                    svd,
                    matvecs,
                    iterations: restarts,
                    subspace_dim: d,
                    converged: true,
                    phases: clock.finish(),
                }));
            }
            if observer
                .progress(&Progress {
                    phase: "lanczos (AᵀA) steps",
                    done: (restarts * d + size) as u64,
                    total: ((restarts + 1) * d) as u64,
                })
                .is_break()
            {
                return Err(SvdError::Cancelled);
            }
            last = Some((theta, s, beta));
        }
        clock.lap("lanczos steps");
        if restarts >= params.max_restarts {
            return Ok(None);
        }
        let (theta, s, beta_d) = last.expect("d ≥ k, so the last step was checked");
        // Thick restart: keep the best Ritz vectors; the residual direction continues.
        kept = (k + (d - k) / 2).min(d - 1);
        let ritz = product(q.as_ref().subcols(0, d), s.as_ref().subcols(0, kept), par);
        let residual_direction = q.col(d).to_owned();
        q.as_mut().subcols_mut(0, kept).copy_from(&ritz);
        q.as_mut().col_mut(kept).copy_from(&residual_direction);
        t.fill(0.0);
        for i in 0..kept {
            t[(i, i)] = theta[i];
            t[(i, kept)] = beta_d * s[(d - 1, i)];
            t[(kept, i)] = t[(i, kept)];
        }
        restarts += 1;
        clock.lap("restart");
    }
}

/// `V = Q·S[:, :k]`, `σ`, and `U = A·V·Σ⁻¹` (columns with `σ = 0` get an orthonormal
/// completion instead).
#[allow(clippy::too_many_arguments)]
fn finish(
    op: &dyn LinearOperator,
    q: Mat<f64>,
    want_u: bool,
    s: &Mat<f64>,
    sigma: &[f64],
    size: usize,
    k: usize,
    par: Par,
) -> Result<Svd, SvdError> {
    let values = sigma[..k].to_vec();
    if !want_u {
        return Ok(Svd {
            s: values,
            u: None,
            v: None,
        });
    };
    let v = product(
        q.as_ref().subcols(0, size),
        s.as_ref().submatrix(0, 0, size, k),
        par,
    );
    // The basis goes before U (m×k) is allocated: the two are never held at once, which keeps
    // the peak at input + basis or input + factors, whichever is larger.
    drop(q);
    let mut u = Mat::<f64>::zeros(op.nrows(), k);
    op.apply(u.as_mut(), v.as_ref(), par)?;
    let tiny = f64::EPSILON * (op.nrows().max(op.ncols()) as f64) * sigma[0];
    let mut random = rng(0, 3);
    for i in 0..k {
        if sigma[i] > tiny {
            let mut col = u.as_mut().col_mut(i);
            col *= faer::Scale(1.0 / sigma[i]);
        } else {
            let (done, mut rest) = u.as_mut().split_at_col_mut(i);
            fresh_direction(rest.rb_mut().subcols_mut(0, 1), done.rb(), &mut random, par);
        }
    }
    Ok(Svd {
        s: values,
        u: Some(u),
        v: Some(v),
    })
}
