//! Block Lanczos on the normal operator `G = AᵀA` with every product kept: the top
//! eigenvectors of a covariance without forming it, for tall dense input (PCA).
//!
//! # Algorithm
//! A block Krylov space of `G` is grown from a random block of `b` columns, one block per step,
//! and fully reorthogonalized (column by column, against the whole basis). On dense storage
//! each step is **one** pass over `A` ([`LinearOperator::apply_gram_with_image`] reads each row
//! block once for `A·Q` and `Aᵀ(A·Q)`, with implicit centring applied to the block as it is
//! read); other operators (sparse, column-scaled) make two products per step. Both products are
//! kept: `G·Q` (`n × dim`) and `A·Q` (`m × dim`).
//!
//! Keeping them makes everything after the passes free of further passes:
//! - Rayleigh–Ritz uses `H = Qᵀ(G·Q)` as computed, and the residual of each Ritz pair
//!   `‖G·y − θ·y‖ = ‖(G·Q)·s − θ·Q·s‖` is *measured* from the kept products (a linear
//!   combination of computed products), not estimated from a recurrence;
//! - the Ritz vectors' images are `A·V₀ = (A·Q)·S`, so σ and `U` come from a thin SVD of
//!   `A·V₀` (a Rayleigh–Ritz step on `A` itself, as the covariance solver does), not from
//!   `√θ`, which would carry the rounding of `G` (`ε·σ₁²`) into small σ;
//! - `Aᵀuᵢ = G·vᵢ/σᵢ` comes from the kept `G·Q` too, so the certificate's residuals cost no
//!   pass over `A` (except for a numerically zero σᵢ, whose arbitrary `uᵢ` gets a direct
//!   product).
//!
//! A step costs `4·m·n·b` flops as two GEMMs on a cache-resident row block, against `m·n²`
//! for forming the covariance: when the spectrum has a clear gap after the wanted components,
//! the space converges in a few blocks (W5, 100000×1000 to 50 components: 96 columns in six
//! passes of 16). When it does not converge within the caller's cap, the solver returns
//! [`Declined`] and the caller runs another solver; the same happens when the wanted triplets
//! are too small against σ₁ to be certified through `AᵀA` (the residual floor is about
//! `ε·σ₁²`).
//!
//! # References
//! Golub & Underwood, *The block Lanczos method for computing eigenvalues* (1977); Golub & Van
//! Loan, *Matrix Computations*, §10.3; Musco & Musco, *Randomized block Krylov methods for
//! stronger and faster approximate SVD* (NeurIPS 2015).

use super::linalg::{
    fresh_direction, gaussian, norm2, orthogonalize_against, orthonormalize, product, rng,
};
use super::{choose_rank, linalg, PhaseClock, PhaseTime, RankSpec, Svd, SvdParams};
use crate::op::LinearOperator;
use crate::{Observer, Progress, SvdError};
use faer::prelude::{Reborrow, ReborrowMut};
use faer::{Mat, Par};

/// Columns per block. A wider block runs the pass's two GEMMs at a higher flop rate (W5: 8.0,
/// 5.1, 4.4 ms per vector at 8, 16, 32), but a narrower one reaches a higher polynomial degree
/// for the same columns, so the space converges with fewer of them (W5 to 50 components: 96
/// columns at 16, 120 at 24, 128 at 32, 192 at 48). At 16 the passes take the least time in
/// all: 0.49 s against 0.55 s at 24 and 32.
pub(crate) const BLOCK: usize = 16;

/// What the solver returns: the triplets, and the products the certificate needs.
pub(crate) struct GramBlockSolution {
    /// σ, `U` and `V` (`k` triplets).
    pub(crate) svd: Svd,
    /// `A·V` (`m × k`), from the kept images.
    pub(crate) av: Mat<f64>,
    /// `Aᵀ·U` (`n × k`), from the kept products with `G`.
    pub(crate) atu: Mat<f64>,
    /// Basis columns when it converged.
    pub(crate) dim: usize,
    /// Products with single vectors (a pass with a block of `b` counts `2b`).
    pub(crate) matvecs: u64,
    /// Wall time per phase.
    pub(crate) phases: Vec<PhaseTime>,
}

/// Why the solver returned no triplets (the caller then runs another solver).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Declined {
    /// The basis reached the caller's cap (`dim` columns) before every wanted triplet met the
    /// tolerance.
    NotConverged {
        /// Basis columns built.
        dim: usize,
    },
    /// Triplet `index` is too small against σ₁ for its residual to be resolved through `AᵀA`
    /// (the floor is about `ε·σ₁²`).
    BelowFloor {
        /// 0-based triplet.
        index: usize,
    },
}

impl Declined {
    /// A sentence for the fit's notes.
    pub(crate) fn describe(self) -> String {
        match self {
            Declined::NotConverged { dim } => {
                format!("did not converge within {dim} basis columns")
            }
            Declined::BelowFloor { index } => format!(
                "cannot certify component {} to the tolerance through A_cᵀA_c (its σ is too \
                 small against σ₁: the residual floor is about ε·σ₁²)",
                index + 1
            ),
        }
    }
}

/// The first step's pass, made by the caller: PCA reads the column statistics off the same
/// pass over `A` (see `pca::first_pass_with_stats`), which saves a pass of its own.
pub(crate) struct FirstPass {
    /// `G·X₀` (`n × b`) for the start block [`start_block`] returns.
    pub(crate) gq: Mat<f64>,
    /// `A·X₀` (`m × b`), reserved for `max_dim` columns (`Mat::with_capacity`): the solver
    /// grows the same storage block by block.
    pub(crate) images: Mat<f64>,
}

/// The start block `X₀` (`n × b`, orthonormal) that [`solve`] uses for this `n`, cap and seed,
/// for a caller that makes the first pass itself ([`FirstPass`]).
pub(crate) fn start_block(n: usize, max_dim: usize, params: &SvdParams) -> Mat<f64> {
    let b = BLOCK.min(max_dim.min(n));
    let mut random = rng(params.seed, 4);
    orthonormalize(gaussian(n, b, &mut random).as_ref(), params.par)
}

/// Bytes the solver holds at its peak for a basis of `dim` columns and `k` triplets: the basis
/// and `G·Q` (`2n·dim`), the images (`m·dim`), the pass's per-range partials (at most 32 of `n × BLOCK`),
/// the projected matrix and its eigenvectors (`3·dim²`), and in the final step up to four
/// `m × k` matrices with five `n × k` ones. That is the robust path's count (`Y`, its
/// orthonormal basis, `U`, `A·V`); the usual one forms `Y` and `U` in the images' storage and
/// allocates only `A·V`, so this is an upper bound.
pub(crate) fn memory_bytes(m: usize, n: usize, dim: usize, k: usize) -> u64 {
    let doubles = (m + 2 * n) * dim + 32 * n * BLOCK + 3 * dim * dim + 4 * m * k + 5 * n * k;
    8 * doubles as u64
}

/// Top eigenpairs of `AᵀA` as triplets of `A`, for `spec` (a fixed rank, or the smallest rank
/// reaching an energy or error target against `energy = ‖A‖_F²`), every triplet to
/// `‖Aᵀuᵢ − σᵢvᵢ‖ ≤ tol·σ₁`. [`Declined`] when the basis reaches `max_dim` columns first (unless
/// they are all `n`: the space is then complete and the answer exact), or the triplets cannot be
/// certified through `AᵀA`.
pub(crate) fn solve(
    op: &dyn LinearOperator,
    spec: RankSpec,
    energy: f64,
    params: &SvdParams,
    max_dim: usize,
    first: Option<FirstPass>,
    observer: &mut dyn Observer,
) -> Result<Result<GramBlockSolution, Declined>, SvdError> {
    let (m, n) = (op.nrows(), op.ncols());
    let par = params.par;
    let max_dim = max_dim.min(n);
    let b = BLOCK.min(max_dim);
    if b == 0 || matches!(spec, RankSpec::Fixed(k) if k > max_dim) {
        return Ok(Err(Declined::NotConverged { dim: 0 }));
    }
    let mut clock = PhaseClock::new();
    let mut random = rng(params.seed, 4);
    // The basis and `G·Q` (n × cap each, small next to A) are stored whole. The images `A·Q`
    // (m × cap, large) are reserved for the cap but only initialized block by block as they
    // come, so pages past the last block are never touched; the final step then forms `Y` and
    // `U` in their storage. Fresh pages are expensive on virtual machines (W5: zeroing the
    // images for the cap up front, or gathering them into new matrices, each cost 0.3–0.5 s).
    let mut q = Mat::<f64>::zeros(n, max_dim);
    q.as_mut()
        .subcols_mut(0, b)
        .copy_from(orthonormalize(gaussian(n, b, &mut random).as_ref(), par));
    let mut gq = Mat::<f64>::zeros(n, max_dim);
    let (mut images, mut first_gq) = match first {
        Some(FirstPass { gq, images }) => {
            assert!(
                gq.shape() == (n, b) && images.shape() == (m, b),
                "the first pass is of the start block"
            );
            (images, Some(gq))
        }
        None => (Mat::<f64>::with_capacity(m, max_dim), None),
    };
    let mut h = Mat::<f64>::zeros(0, 0);
    let mut matvecs = 0u64;
    let mut norm_estimate = 0.0f64;
    let mut bj = b;
    clock.lap("start");
    loop {
        let d0 = h.nrows();
        let dim = d0 + bj;
        match first_gq.take() {
            Some(g) => gq.as_mut().subcols_mut(0, bj).copy_from(&g),
            None => {
                linalg::grow_zeroed(&mut images, m, dim, par);
                op.apply_gram_with_image(
                    gq.as_mut().subcols_mut(d0, bj),
                    Some(images.as_mut().subcols_mut(d0, bj)),
                    q.as_ref().subcols(d0, bj),
                    par,
                )?;
            }
        }
        matvecs += 2 * bj as u64;
        clock.lap("passes over A (AᵀA·Q and A·Q)");
        // H grows by the new block's columns `Qᵀ·(G·Q_j)` (each entry computed once) and their
        // mirror; the new diagonal block is symmetrized.
        let c = product(
            q.as_ref().subcols(0, dim).transpose(),
            gq.as_ref().subcols(d0, bj),
            Par::Seq,
        );
        let mut grown = Mat::<f64>::zeros(dim, dim);
        grown.as_mut().submatrix_mut(0, 0, d0, d0).copy_from(&h);
        for j in 0..bj {
            for i in 0..dim {
                grown[(i, d0 + j)] = c[(i, j)];
                grown[(d0 + j, i)] = c[(i, j)];
            }
        }
        for i in 0..bj {
            for j in 0..i {
                let avg = 0.5 * (c[(d0 + i, j)] + c[(d0 + j, i)]);
                grown[(d0 + i, d0 + j)] = avg;
                grown[(d0 + j, d0 + i)] = avg;
            }
        }
        h = grown;

        let (theta, s) = linalg::symmetric_eigen(h.as_ref())?;
        norm_estimate = norm_estimate.max(theta[0].abs());
        let sigma: Vec<f64> = theta.iter().map(|t| t.max(0.0).sqrt()).collect();
        let complete = dim >= n;
        let wanted = match spec {
            RankSpec::Fixed(k) if k > dim => None,
            _ => choose_rank(&sigma, energy, spec, complete),
        };
        if let Some(k) = wanted.filter(|&k| k <= dim && k > 0) {
            let sk = s.as_ref().subcols(0, k);
            let v0 = product(q.as_ref().subcols(0, dim), sk, par);
            let gv0 = product(gq.as_ref().subcols(0, dim), sk, par);
            let sigma1 = sigma[0];
            let floor = 64.0 * f64::EPSILON * norm_estimate;
            let mut converged = true;
            for i in 0..k {
                let res = (0..n)
                    .map(|r| {
                        let d = gv0[(r, i)] - theta[i] * v0[(r, i)];
                        d * d
                    })
                    .sum::<f64>()
                    .sqrt();
                // ‖Aᵀuᵢ − σᵢvᵢ‖ = ‖G·vᵢ − σᵢ²·vᵢ‖/σᵢ must be ≤ tol·σ₁.
                let bound = params.tol * sigma1 * sigma[i];
                if bound < floor && sigma1 > 0.0 {
                    // A bound under the rounding floor of G cannot be certified, even when the
                    // measured residual happens to fall below it (the measurement's own error
                    // is at the floor). Ritz values only grow towards the true ones, so the
                    // verdict waits until the residual is near the floor (θᵢ has settled) or
                    // the space can grow no further.
                    if res <= 100.0 * floor || complete || dim >= max_dim {
                        return Ok(Err(Declined::BelowFloor { index: i }));
                    }
                    converged = false;
                    break;
                }
                if res > bound {
                    converged = false;
                    break;
                }
            }
            clock.lap("rayleigh-ritz checks");
            if converged {
                drop(gq);
                drop(q);
                let solution = finish(op, images, &s, k, v0, gv0, par)?;
                clock.lap("ritz vectors");
                return Ok(Ok(GramBlockSolution {
                    dim,
                    matvecs,
                    phases: clock.finish(),
                    ..solution
                }));
            }
        } else {
            clock.lap("rayleigh-ritz checks");
        }
        if complete || dim >= max_dim {
            return Ok(Err(Declined::NotConverged { dim }));
        }
        if observer
            .progress(&Progress {
                phase: "block lanczos (AᵀA) passes",
                done: dim as u64,
                total: max_dim as u64,
            })
            .is_break()
        {
            return Err(SvdError::Cancelled);
        }
        // The next block: the columns of G·Q_j made orthogonal to the basis one by one (with a
        // second pass when the first removed most of the norm). A column whose remainder is
        // tiny *relative to the column* still carries the Krylov space's information (here, the
        // noise-side components of the signal's eigenvectors): only a remainder at rounding
        // level against ‖G‖ is replaced, by a random direction orthogonal to everything.
        let applied = bj;
        // The last block may be narrower: the cap, or all of the features (then the space is
        // complete and the Rayleigh–Ritz step exact).
        bj = b.min(max_dim - dim);
        for c in 0..bj {
            let col = dim + c;
            let mut w = gq.as_ref().subcols(d0 + c.min(applied - 1), 1).to_owned();
            let (done, mut rest) = q.as_mut().split_at_col_mut(col);
            orthogonalize_against(w.as_mut(), done.rb(), par);
            let nrm = norm2(w.as_ref());
            let mut target = rest.rb_mut().subcols_mut(0, 1);
            if nrm > (n as f64).sqrt() * f64::EPSILON * norm_estimate && nrm.is_finite() {
                target.copy_from(w.as_ref() * faer::Scale(1.0 / nrm));
            } else {
                fresh_direction(target, done.rb(), &mut random, par);
            }
        }
        clock.lap("reorthogonalization");
    }
}

/// Rayleigh–Ritz on `A` from the kept images: `Y = A·V₀ = (A·Q)·S_k = Q_Y·R`, `R = U_R·Σ·Wᵀ`,
/// so `V = V₀·W`, `A·V = Y·W`, `U = Q_Y·U_R` and `Aᵀ·U = (G·V₀)·W·Σ⁻¹`.
///
/// `R` comes from a Cholesky factorization of `YᵀY`: `Y`'s columns are graded (norms near
/// σᵢ) but nearly orthogonal, since `V₀` already holds the Ritz vectors, so `R` and its σ are
/// as accurate as a Householder QR's. Then `U = A·V·Σ⁻¹` is made orthonormal to rounding by
/// one CholeskyQR step: its columns' orthogonality was ε·cond(Y)², and is ε after it.
///
/// Three sweeps over row chunks do it, each chunk in cache while it is worked on (W5: 57 ms,
/// against 79 ms for four separate products and two Gram matrices): `Y` with `YᵀY`, formed in the
/// images' own storage; `A·V` (the one new `m × k` matrix) with `U₀ = A·V·Σ⁻¹` in `Y`'s storage
/// and `U₀ᵀU₀`; and `U = U₀·R₂⁻¹`. When `Y` or `U₀` is too ill-conditioned for its Gram matrix,
/// the robust orthonormalization takes over.
fn finish(
    op: &dyn LinearOperator,
    mut images: Mat<f64>,
    s: &Mat<f64>,
    k: usize,
    v0: Mat<f64>,
    gv0: Mat<f64>,
    par: Par,
) -> Result<GramBlockSolution, SvdError> {
    let m = images.nrows();
    let sk = s.as_ref().subcols(0, k);
    let mut none = Mat::<f64>::zeros(m, 0);
    let gram_y =
        linalg::row_chunks_with_gram(images.as_mut(), none.as_mut(), k, par, |chunk, _| {
            linalg::multiply_chunk_in_place(chunk, sk)
        });
    images.truncate(m, k);
    let mut y = images;
    let non_finite = || SvdError::NonFinite {
        phase: "the Rayleigh–Ritz singular values",
    };
    let lean = match linalg::cholesky_upper(gram_y.as_ref()) {
        Some(r) => {
            let (sv, _, w) = linalg::small_svd(r.as_ref())?;
            if sv.iter().any(|x| !x.is_finite()) {
                return Err(non_finite());
            }
            Some((sv, w))
        }
        None => None,
    };
    let lean = lean.filter(|(sv, _)| sv.iter().all(|&x| x > 0.0));
    let (sv, w, u, av) = match lean {
        Some((sv, w)) => {
            // The new matrix is grown by columns in parallel: its cost is the first touch of
            // fresh pages (W5: 21 ms for 40 MB on one thread).
            let mut av = Mat::<f64>::with_capacity(m, k);
            linalg::grow_zeroed(&mut av, m, k, par);
            let inv_sigma: Vec<f64> = sv.iter().map(|x| 1.0 / x).collect();
            let gram_u0 =
                linalg::row_chunks_with_gram(y.as_mut(), av.as_mut(), k, par, |mut y, mut av| {
                    linalg::mul(av.rb_mut(), y.rb(), w.as_ref(), Par::Seq);
                    for (j, &scale) in inv_sigma.iter().enumerate() {
                        for (dst, src) in
                            y.rb_mut().col_mut(j).iter_mut().zip(av.rb().col(j).iter())
                        {
                            *dst = src * scale;
                        }
                    }
                });
            let u = match linalg::cholesky_upper(gram_u0.as_ref()) {
                Some(r2) => {
                    let r2inv = linalg::upper_inverse(r2.as_ref());
                    linalg::multiply_in_place(y.as_mut(), r2inv.as_ref(), par);
                    y
                }
                None => orthonormalize(y.as_ref(), par),
            };
            (sv, w, u, av)
        }
        None => {
            let qy = orthonormalize(y.as_ref(), par);
            let r = product(qy.transpose(), y.as_ref(), par);
            let (sv, ur, w) = linalg::small_svd(r.as_ref())?;
            if sv.iter().any(|x| !x.is_finite()) {
                return Err(non_finite());
            }
            let u = product(qy.as_ref(), ur.as_ref(), par);
            drop(qy);
            let av = product(y.as_ref(), w.as_ref(), par);
            (sv, w, u, av)
        }
    };
    let v = product(v0.as_ref(), w.as_ref(), Par::Seq);
    let gv = product(gv0.as_ref(), w.as_ref(), Par::Seq);
    // Aᵀuᵢ = G·vᵢ/σᵢ where σᵢ is resolvable; a (numerically) zero σ has an arbitrary uᵢ, whose
    // product is taken directly.
    let tiny =
        f64::EPSILON * (op.nrows().max(op.ncols()) as f64) * sv.first().copied().unwrap_or(0.0);
    let mut atu = Mat::<f64>::zeros(op.ncols(), k);
    for i in 0..k {
        if sv[i] > tiny {
            for r in 0..op.ncols() {
                atu[(r, i)] = gv[(r, i)] / sv[i];
            }
        } else {
            op.apply_transpose(
                atu.as_mut().subcols_mut(i, 1),
                u.as_ref().subcols(i, 1),
                par,
            )?;
        }
    }
    Ok(GramBlockSolution {
        svd: Svd {
            s: sv,
            u: Some(u),
            v: Some(v),
        },
        av,
        atu,
        dim: 0,
        matvecs: 0,
        phases: Vec::new(),
    })
}
