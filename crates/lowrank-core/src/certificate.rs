//! The quality certificate of a decomposition: measured, not assumed.
//!
//! Every figure is computed from the operator and the returned factors, so it holds whatever
//! algorithm produced them. Residuals are relative to `σ₁`.

use crate::op::LinearOperator;
use crate::svd::linalg::{fold_lanes, LANES};
use crate::svd::Svd;
use crate::SvdError;
use faer::linalg::matmul::matmul;
use faer::prelude::{Reborrow, ReborrowMut};
use faer::{Accum, Mat, MatRef, Par};

/// How the reconstruction error was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorMethod {
    /// `A − UΣVᵀ` formed block by block (dense input): accurate to rounding.
    Direct,
    /// `‖A‖² − 2·tr(ΣUᵀAV) + ‖UΣVᵀ‖²` from products with `A`: exact in exact arithmetic, but
    /// relative errors below about `1e-7` are lost to cancellation (reported as a bound).
    GramIdentity,
}

/// Quality figures of one decomposition.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Certificate {
    /// `‖A·vᵢ − σᵢ·uᵢ‖ / σ₁` per triplet.
    pub residual_av: Vec<f64>,
    /// `‖Aᵀ·uᵢ − σᵢ·vᵢ‖ / σ₁` per triplet.
    pub residual_atu: Vec<f64>,
    /// The largest of both residual lists.
    pub max_residual: f64,
    /// `‖A − UΣVᵀ‖_F / ‖A‖_F`.
    pub relative_error: f64,
    /// When the Gram identity was used: the smallest relative error it can resolve.
    pub relative_error_floor: f64,
    /// How `relative_error` was computed.
    pub relative_error_method: ErrorMethod,
    /// `Σσᵢ² / ‖A‖_F²`.
    pub energy_retained: f64,
    /// `‖A‖_F`.
    pub frobenius_norm: f64,
    /// `‖UᵀU − I‖_F`.
    pub orthogonality_loss_u: f64,
    /// `‖VᵀV − I‖_F`.
    pub orthogonality_loss_v: f64,
}

/// Workspace of the residual products: panels of as many columns as fit, so a dense `A` is
/// streamed from memory once per panel rather than once per few vectors. The workspace is also
/// held to an eighth of the operator's own storage: a pass over a sparse matrix is cheap, and
/// with the products' own buffers (row-major copies, scatter accumulators) a full `m × k` block
/// of `A·V` took W3 (60 MiB input) to a peak of 141 MiB, against the 129 MiB its target allows.
const CERTIFICATE_WORKSPACE_BYTES: usize = 64 << 20;
/// Fewest columns per residual product.
const CERTIFICATE_MIN_PANEL: usize = 4;

/// Dense inputs up to this many entries get the direct reconstruction error.
const DIRECT_ERROR_MAX_ENTRIES: usize = 400_000_000;

/// Measures residuals, reconstruction error, energy and orthogonality of `svd` against `op`.
///
/// Costs one product with `A` and one with `Aᵀ` on blocks of `k` vectors, plus `O(mnk)` for the
/// direct error of dense input.
pub fn certify(
    op: &dyn LinearOperator,
    svd: &Svd,
    par: Par,
) -> Result<Option<Certificate>, SvdError> {
    certify_impl(op, svd, None, par)
}

/// As [`certify`], with `A·V` already formed by the caller (the covariance PCA has it from its
/// Rayleigh–Ritz step, as `(A·V₀)·W`): only the product with `Aᵀ` is computed here, so the
/// figures are still measured against `A`.
///
/// # Errors
/// As [`certify`]; `av` must be `m × k`.
pub fn certify_with_av(
    op: &dyn LinearOperator,
    svd: &Svd,
    av: MatRef<'_, f64>,
    par: Par,
) -> Result<Option<Certificate>, SvdError> {
    if av.nrows() != op.nrows() || av.ncols() != svd.s.len() {
        return Err(SvdError::Operator(crate::op::OpError::ShapeMismatch {
            what: "A·V given to the certificate",
            expected_rows: op.nrows(),
            expected_cols: svd.s.len(),
            rows: av.nrows(),
            cols: av.ncols(),
        }));
    }
    certify_impl(op, svd, Some(av), par)
}

/// As [`certify`], with both products given: `A·V` (`m × k`) and `Aᵀ·U` (`n × k`), as a
/// solver that kept its products forms them (the block Lanczos PCA: linear combinations of
/// the products `A·qⱼ` and `AᵀA·qⱼ` it computed). The residuals make no product with `A` here;
/// the reconstruction error still reads a dense `A` (as in [`certify`]) unless the operator only
/// knows its norm.
///
/// # Errors
/// As [`certify`]; the shapes must match.
pub fn certify_with_products(
    op: &dyn LinearOperator,
    svd: &Svd,
    av: MatRef<'_, f64>,
    atu: MatRef<'_, f64>,
    par: Par,
) -> Result<Option<Certificate>, SvdError> {
    let k = svd.s.len();
    for (what, mat, rows) in [
        ("A·V given to the certificate", av, op.nrows()),
        ("Aᵀ·U given to the certificate", atu, op.ncols()),
    ] {
        if mat.nrows() != rows || mat.ncols() != k {
            return Err(SvdError::Operator(crate::op::OpError::ShapeMismatch {
                what,
                expected_rows: rows,
                expected_cols: k,
                rows: mat.nrows(),
                cols: mat.ncols(),
            }));
        }
    }
    certify_products(op, svd, Some(av), Some(atu), par)
}

fn certify_impl(
    op: &dyn LinearOperator,
    svd: &Svd,
    given_av: Option<MatRef<'_, f64>>,
    par: Par,
) -> Result<Option<Certificate>, SvdError> {
    certify_products(op, svd, given_av, None, par)
}

fn certify_products(
    op: &dyn LinearOperator,
    svd: &Svd,
    given_av: Option<MatRef<'_, f64>>,
    given_atu: Option<MatRef<'_, f64>>,
    par: Par,
) -> Result<Option<Certificate>, SvdError> {
    let (Some(u), Some(v)) = (&svd.u, &svd.v) else {
        return Ok(None);
    };
    let (m, n) = (op.nrows(), op.ncols());
    let k = svd.s.len();
    let fro_sq = match op.frobenius_norm_sq() {
        Some(f) => f,
        None => {
            let dense = crate::op::to_dense(op, par)?;
            dense.norm_l2().powi(2)
        }
    };
    let sigma1 = svd.s.first().copied().unwrap_or(0.0);
    let scale = if sigma1 > 0.0 { 1.0 / sigma1 } else { 1.0 };

    // Residuals in column panels: the workspace stays at a few vectors whatever k is.
    let mut residual_av = Vec::with_capacity(k);
    let mut residual_atu = Vec::with_capacity(k);
    let mut cross = 0.0; // Σ σᵢ·uᵢᵀ(A·vᵢ), for the Gram identity
    let workspace = CERTIFICATE_WORKSPACE_BYTES.min(op.storage_bytes() / 8);
    let panel = (workspace / (8 * m.max(n).max(1))).max(CERTIFICATE_MIN_PANEL);
    let mut c0 = 0;
    while c0 < k {
        let pb = panel.min(k - c0);
        // Given products are read in place; computed ones live for one panel.
        let computed_av = match given_av {
            Some(_) => None,
            None => {
                let mut av = Mat::<f64>::zeros(m, pb);
                op.apply(av.as_mut(), v.as_ref().subcols(c0, pb), par)?;
                Some(av)
            }
        };
        let av = match (given_av, computed_av.as_ref()) {
            (Some(g), _) => g.subcols(c0, pb),
            (None, Some(a)) => a.as_ref(),
            (None, None) => unreachable!("computed when not given"),
        };
        let sums = columns_par(pb, par, |c| {
            let i = c0 + c;
            let s = svd.s[i];
            residual_and_dot(av.col(c), u.col(i), s)
        });
        for (c, (res, dot)) in sums.into_iter().enumerate() {
            residual_av.push(res.sqrt() * scale);
            cross += svd.s[c0 + c] * dot;
        }
        drop(computed_av);
        let computed_atu = match given_atu {
            Some(_) => None,
            None => {
                let mut atu = Mat::<f64>::zeros(n, pb);
                op.apply_transpose(atu.as_mut(), u.as_ref().subcols(c0, pb), par)?;
                Some(atu)
            }
        };
        let atu = match (given_atu, computed_atu.as_ref()) {
            (Some(g), _) => g.subcols(c0, pb),
            (None, Some(a)) => a.as_ref(),
            (None, None) => unreachable!("computed when not given"),
        };
        for c in 0..pb {
            let i = c0 + c;
            let (res, _) = residual_and_dot(atu.col(c), v.col(i), svd.s[i]);
            residual_atu.push(res.sqrt() * scale);
        }
        c0 += pb;
    }
    let max_residual = residual_av
        .iter()
        .chain(&residual_atu)
        .fold(0.0f64, |a, &b| a.max(b));

    let gram_u = gram(u.as_ref(), par);
    let gram_v = gram(v.as_ref(), par);
    let energy: f64 = svd.s.iter().map(|s| s * s).sum();

    let (relative_error, floor, method) = match op.as_dense() {
        Some(a) if m.saturating_mul(n) <= DIRECT_ERROR_MAX_ENTRIES => (
            direct_error(a, svd, u, v, par) / fro_sq.sqrt().max(f64::MIN_POSITIVE),
            0.0,
            ErrorMethod::Direct,
        ),
        _ => {
            // ‖A − UΣVᵀ‖² = ‖A‖² − 2 Σ σᵢ uᵢᵀAvᵢ + Σᵢⱼ σᵢσⱼ (UᵀU)ᵢⱼ (VᵀV)ᵢⱼ.
            let mut recon = 0.0;
            for i in 0..k {
                for j in 0..k {
                    recon += svd.s[i] * svd.s[j] * gram_u[(i, j)] * gram_v[(i, j)];
                }
            }
            let err_sq = fro_sq - 2.0 * cross + recon;
            let floor_sq = 8.0 * f64::EPSILON * (k as f64 + 1.0);
            let rel = if fro_sq > 0.0 {
                (err_sq / fro_sq).max(0.0).sqrt()
            } else {
                0.0
            };
            (rel, floor_sq.sqrt(), ErrorMethod::GramIdentity)
        }
    };

    Ok(Some(Certificate {
        residual_av,
        residual_atu,
        max_residual,
        relative_error,
        relative_error_floor: floor,
        relative_error_method: method,
        energy_retained: if fro_sq > 0.0 { energy / fro_sq } else { 1.0 },
        frobenius_norm: fro_sq.sqrt(),
        orthogonality_loss_u: identity_distance(&gram_u),
        orthogonality_loss_v: identity_distance(&gram_v),
    }))
}

/// `(‖p − s·b‖², pᵀb)` in [`LANES`] interleaved partial sums folded by [`fold_lanes`]: a fixed
/// order (the same bits on any thread count) that the compiler vectorizes, where one running
/// sum was bound by the latency of its additions.
fn residual_and_dot(p: faer::ColRef<'_, f64>, b: faer::ColRef<'_, f64>, s: f64) -> (f64, f64) {
    let (mut res, mut dot) = ([0.0f64; LANES], [0.0f64; LANES]);
    match (p.try_as_col_major(), b.try_as_col_major()) {
        (Some(p), Some(b)) => {
            let (p, b) = (p.as_slice(), b.as_slice());
            let mut pc = p.chunks_exact(LANES);
            let mut bc = b.chunks_exact(LANES);
            for (x, y) in (&mut pc).zip(&mut bc) {
                for l in 0..LANES {
                    let d = x[l] - s * y[l];
                    res[l] += d * d;
                    dot[l] += x[l] * y[l];
                }
            }
            for (l, (x, y)) in pc.remainder().iter().zip(bc.remainder()).enumerate() {
                let d = x - s * y;
                res[l] += d * d;
                dot[l] += x * y;
            }
        }
        _ => {
            for (x, y) in p.iter().zip(b.iter()) {
                let d = x - s * y;
                res[0] += d * d;
                dot[0] += x * y;
            }
        }
    }
    (fold_lanes(res), fold_lanes(dot))
}

/// `f(c)` for `c < count`, on the pool when `par` allows; results in column order.
fn columns_par<T: Send>(count: usize, par: Par, f: impl Fn(usize) -> T + Sync + Send) -> Vec<T> {
    match par {
        Par::Seq => (0..count).map(f).collect(),
        _ => {
            use rayon::prelude::*;
            (0..count).into_par_iter().map(f).collect()
        }
    }
}

fn gram(x: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    let mut g = Mat::<f64>::zeros(x.ncols(), x.ncols());
    crate::op::det_matmul(g.as_mut(), x.transpose(), x, par);
    g
}

fn identity_distance(g: &Mat<f64>) -> f64 {
    let mut s = 0.0;
    for j in 0..g.ncols() {
        for i in 0..g.nrows() {
            let d = g[(i, j)] - if i == j { 1.0 } else { 0.0 };
            s += d * d;
        }
    }
    s.sqrt()
}

/// `‖A − UΣVᵀ‖_F` formed in row blocks, so the dense residual is never held whole.
fn direct_error(a: MatRef<'_, f64>, svd: &Svd, u: &Mat<f64>, v: &Mat<f64>, par: Par) -> f64 {
    let (m, n) = a.shape();
    let k = svd.s.len();
    let us = Mat::<f64>::from_fn(m, k, |i, j| u[(i, j)] * svd.s[j]);
    let block = (4_000_000 / n.max(1)).clamp(1, m.max(1));
    let mut total = 0.0;
    let mut r0 = 0;
    let mut tmp = Mat::<f64>::zeros(block, n);
    while r0 < m {
        let rows = block.min(m - r0);
        let mut t = tmp.as_mut().subrows_mut(0, rows);
        t.copy_from(a.subrows(r0, rows));
        matmul(
            t.rb_mut(),
            Accum::Add,
            us.as_ref().subrows(r0, rows),
            v.transpose(),
            -1.0,
            par,
        );
        for j in 0..n {
            total += t.rb().col(j).iter().map(|x| x * x).sum::<f64>();
        }
        r0 += rows;
    }
    total.sqrt()
}
