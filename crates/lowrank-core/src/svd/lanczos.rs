//! Golub–Kahan–Lanczos bidiagonalization with full reorthogonalization and thick restarts.
//!
//! # Algorithm
//! From a seeded unit vector `v₀`, the recurrences
//! `αⱼuⱼ = A·vⱼ − βⱼ₋₁uⱼ₋₁` and `βⱼvⱼ₊₁ = Aᵀ·uⱼ − αⱼvⱼ` build orthonormal bases `U_d`, `V_d`
//! with `A·V_d = U_d·B_d` (`B_d` upper bidiagonal, `d` the working dimension). Every new vector
//! is reorthogonalized against all previous ones (classical Gram–Schmidt, repeated when needed),
//! so no spurious
//! copies of converged values appear. The SVD `B_d = P·Σ·Qᵀ` gives Ritz triplets
//! `(σᵢ, U_d·pᵢ, V_d·qᵢ)` whose residuals are known without further products:
//! `A·vᵢ − σᵢuᵢ = 0` and `‖Aᵀ·uᵢ − σᵢvᵢ‖ = β_d·|P[d−1, i]|`.
//!
//! When some requested triplet is above the tolerance, the method restarts *thickly*
//! (Baglama & Reichel 2005): the best `s` Ritz vectors are kept, the residual vector becomes
//! `v_s`, and `B` becomes `diag(σ₁..σ_s)` with the couplings `ρᵢ = β_d·P[d−1, i]` in column `s`;
//! Lanczos continues from there. Each restart costs `d − s` products with `A` and with `Aᵀ`, plus
//! `O((m + n)·d)` per vector for reorthogonalization.
//!
//! # Errors
//! [`SvdError::NoConvergence`] after `max_restarts` restarts, with the largest residual reached.
//!
//! # References
//! Golub & Kahan (1965); Baglama & Reichel, *Augmented implicitly restarted Lanczos
//! bidiagonalization methods*, SIAM J. Sci. Comput. 27 (2005); Wu & Simon, *Thick-restart
//! Lanczos method for large symmetric eigenvalue problems* (2000).

use super::linalg::{
    fresh_direction, gaussian, norm2, orthogonalize_against, product, rng, small_svd,
};
use super::{PhaseClock, Solved, Svd, SvdParams, Vectors};
use crate::op::{LinearOperator, Transposed};
use crate::{Observer, Progress, SvdError};
use faer::prelude::ReborrowMut;
use faer::{Mat, MatMut, MatRef};

/// The working dimension `d` for `k` requested triplets: room for `k` plus as many again (at
/// least 20) so each restart adds enough new directions.
pub(crate) fn working_dimension(k: usize, min_dim: usize) -> usize {
    (k + k.max(20)).min(min_dim)
}

pub(crate) fn solve(
    op: &dyn LinearOperator,
    k: usize,
    params: &SvdParams,
    observer: &mut dyn Observer,
) -> Result<Solved, SvdError> {
    let (m, n) = (op.nrows(), op.ncols());
    if op.has_fused_gram() {
        if n <= m {
            if let Some(solved) = super::gram_lanczos::solve(
                op,
                k,
                super::gram_lanczos::block_size(op, k),
                params,
                observer,
            )? {
                return Ok(solved);
            }
        } else {
            // Wider than tall: Lanczos on `AAᵀ` through the transpose (its `AᵀA`), which keeps
            // the basis in the shorter dimension and reorthogonalizes one side instead of two.
            // Its products are an `Aᵀ·x` then an `A·y` (one pass each over the sparse rows):
            // about the cost of the fused pass on such storage (W6: 0.78 ms against 0.67 ms),
            // and what Golub–Kahan pays per step anyway. The triplets of `Aᵀ` are those of `A`
            // with `U` and `V` exchanged.
            let transposed = Transposed::new(op);
            if let Some(mut solved) = super::gram_lanczos::solve(
                &transposed,
                k,
                super::gram_lanczos::block_size(&transposed, k),
                params,
                observer,
            )? {
                std::mem::swap(&mut solved.svd.u, &mut solved.svd.v);
                // Honest about the products: two passes (Aᵀ·x, then A·y), not the fused one.
                solved.variant = solved.variant.replace(
                    "on AᵀA with fused one-pass products",
                    "on AAᵀ (A wider than tall, through the transpose) with products A·(Aᵀx)",
                );
                return Ok(solved);
            }
        }
    }
    run(op, k, params, observer)
}

fn run(
    op: &dyn LinearOperator,
    k: usize,
    params: &SvdParams,
    observer: &mut dyn Observer,
) -> Result<Solved, SvdError> {
    let (m, n) = (op.nrows(), op.ncols());
    let min_dim = m.min(n);
    let d = working_dimension(k, min_dim);
    let par = params.par;
    let mut clock = PhaseClock::new();
    let mut random = rng(params.seed, 1);

    let mut vb = Mat::<f64>::zeros(n, d + 1);
    let mut ub = Mat::<f64>::zeros(m, d);
    let mut b = Mat::<f64>::zeros(d, d);
    // Start in the range of Aᵀ (v₀ = Aᵀg): a random vector in Rⁿ has a component in the null
    // space of A that no Krylov step can remove, which would cap the accuracy when d = min(m, n).
    let g = gaussian(m, 1, &mut random);
    let mut start = Mat::<f64>::zeros(n, 1);
    op.apply_transpose(start.as_mut(), g.as_ref(), par)?;
    let mut matvecs = 1u64;
    let nrm = norm2(start.as_ref());
    if nrm > 0.0 && nrm.is_finite() {
        vb.as_mut().col_mut(0).copy_from(start.col(0) * (1.0 / nrm));
    } else {
        // A = 0 (or Aᵀg = 0 by chance): any unit vector will do.
        let g = gaussian(n, 1, &mut random);
        let nrm = norm2(g.as_ref());
        vb.as_mut().col_mut(0).copy_from(g.col(0) * (1.0 / nrm));
    }

    let mut kept = 0usize;
    let mut restarts = 0usize;
    let mut norm_estimate = 0.0f64;
    let mut beta_d = 0.0f64;
    let mut u = Mat::<f64>::zeros(m, 1);
    let mut v = Mat::<f64>::zeros(n, 1);
    let breakdown = |scale: f64| (m.max(n) as f64).sqrt() * f64::EPSILON * scale;

    loop {
        for j in kept..d {
            // Left vector: αⱼuⱼ = A·vⱼ − (couplings to earlier u's).
            op.apply(u.as_mut(), vb.as_ref().subcols(j, 1), par)?;
            matvecs += 1;
            if j > 0 {
                if j == kept {
                    for i in 0..kept {
                        let rho = b[(i, kept)];
                        axpy(u.as_mut(), -rho, ub.as_ref().subcols(i, 1));
                    }
                } else {
                    let beta = b[(j - 1, j)];
                    axpy(u.as_mut(), -beta, ub.as_ref().subcols(j - 1, 1));
                }
            }
            orthogonalize_against(u.as_mut(), ub.as_ref().subcols(0, j), par);
            let mut alpha = norm2(u.as_ref());
            norm_estimate = norm_estimate.max(alpha);
            if alpha <= breakdown(norm_estimate) {
                // Invariant subspace: continue with a fresh direction orthogonal to the basis.
                alpha = 0.0;
                fresh_direction(u.as_mut(), ub.as_ref().subcols(0, j), &mut random, par);
            } else {
                u *= faer::Scale(1.0 / alpha);
            }
            b[(j, j)] = alpha;
            ub.as_mut().col_mut(j).copy_from(u.col(0));

            // Right vector: βⱼvⱼ₊₁ = Aᵀ·uⱼ − αⱼvⱼ.
            op.apply_transpose(v.as_mut(), u.as_ref(), par)?;
            matvecs += 1;
            axpy(v.as_mut(), -alpha, vb.as_ref().subcols(j, 1));
            orthogonalize_against(v.as_mut(), vb.as_ref().subcols(0, j + 1), par);
            let mut beta = norm2(v.as_ref());
            norm_estimate = norm_estimate.max(beta);
            if beta <= breakdown(norm_estimate) {
                beta = 0.0;
                fresh_direction(v.as_mut(), vb.as_ref().subcols(0, j + 1), &mut random, par);
            } else {
                v *= faer::Scale(1.0 / beta);
            }
            vb.as_mut().col_mut(j + 1).copy_from(v.col(0));
            if j + 1 < d {
                b[(j, j + 1)] = beta;
            } else {
                // β_d couples the basis to the next direction; it sizes every residual.
                beta_d = beta;
            }
        }
        clock.lap("lanczos steps");

        let (sigma, p, q) = small_svd(b.as_ref())?;
        let sigma1 = sigma.first().copied().unwrap_or(0.0);
        let residual = |i: usize| beta_d.abs() * p[(d - 1, i)].abs();
        let worst = (0..k).map(residual).fold(0.0, f64::max);
        let converged = worst <= params.tol * sigma1 || sigma1 == 0.0;
        clock.lap("ritz");
        if observer
            .progress(&Progress {
                phase: "lanczos restarts",
                done: restarts as u64,
                total: params.max_restarts as u64,
            })
            .is_break()
        {
            return Err(SvdError::Cancelled);
        }
        if converged {
            let keep = k.min(sigma.len());
            let (u_out, v_out) = match params.vectors {
                Vectors::Both => (
                    Some(product(ub.as_ref(), p.as_ref().subcols(0, keep), par)),
                    Some(product(
                        vb.as_ref().subcols(0, d),
                        q.as_ref().subcols(0, keep),
                        par,
                    )),
                ),
                Vectors::None => (None, None),
            };
            clock.lap("ritz vectors");
            let mut s = sigma;
            s.truncate(keep);
            return Ok(Solved {
                variant: format!(
                    "Golub–Kahan bidiagonalization, full reorthogonalization, {restarts} restarts"
                ),
                svd: Svd {
                    s,
                    u: u_out,
                    v: v_out,
                },
                matvecs,
                iterations: restarts,
                subspace_dim: d,
                converged: true,
                phases: clock.finish(),
            });
        }
        if restarts >= params.max_restarts {
            return Err(SvdError::NoConvergence {
                iterations: restarts,
                max_residual: worst / sigma1,
                tolerance: params.tol,
            });
        }

        // Thick restart: keep the best `kept` Ritz pairs, the residual direction becomes v_kept.
        kept = (k + (d - k) / 2).min(d - 1).max(k.min(d - 1));
        let new_v = product(vb.as_ref().subcols(0, d), q.as_ref().subcols(0, kept), par);
        let new_u = product(ub.as_ref(), p.as_ref().subcols(0, kept), par);
        let residual_direction = vb.col(d).to_owned();
        vb.as_mut().subcols_mut(0, kept).copy_from(&new_v);
        vb.as_mut().col_mut(kept).copy_from(&residual_direction);
        ub.as_mut().subcols_mut(0, kept).copy_from(&new_u);
        b.fill(0.0);
        for i in 0..kept {
            b[(i, i)] = sigma[i];
            b[(i, kept)] = beta_d * p[(d - 1, i)];
        }
        restarts += 1;
        clock.lap("restart");
    }
}

/// `y += a·x` for single columns.
fn axpy(mut y: MatMut<'_, f64>, a: f64, x: MatRef<'_, f64>) {
    if a == 0.0 {
        return;
    }
    for (yi, xi) in y.rb_mut().col_mut(0).iter_mut().zip(x.col(0).iter()) {
        *yi += a * xi;
    }
}
