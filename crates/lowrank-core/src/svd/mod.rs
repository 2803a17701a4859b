//! Singular value decompositions `A ≈ U·diag(σ)·Vᵀ`: exact, randomized and Lanczos, behind one
//! entry point, [`compute`].
//!
//! # The `auto` policy
//! [`Method::Auto`] resolves to a concrete method before any work starts, and the reason is
//! returned in [`SolveInfo::reason`]. The rules, in order (thresholds from the benchmarks in the
//! README):
//! 1. `k` (plus oversampling) reaches `min(m, n)`, or `min(m, n) ≤ 200`, and the dense
//!    matrix fits in memory → **exact**;
//! 2. sparse storage (or any non-dense operator) → **lanczos** (each product is cheap and
//!    memory-bound, so a Krylov method that needs few vectors and converges to a residual
//!    tolerance wins). Sparse row storage runs symmetric Lanczos on the normal operator of the
//!    *taller* orientation: on `AᵀA` when `m ≥ n`, and on `AAᵀ` through the transpose when the
//!    matrix is wider than tall (`U` and `V` exchanged afterwards, before the sign convention),
//!    so the basis lives in the shorter dimension and only one side is reorthogonalized; when
//!    the requested triplets are too small for the squared operator to certify, Golub–Kahan
//!    bidiagonalization of `A` itself runs instead. `SolveInfo::variant` says which ran;
//! 3. dense storage → **randomized** with power iterations stopped by the spectrum estimate
//!    (each GEMM pass is efficient, so a block method wins).
//!
//! # Sign convention
//! Every singular pair `(uᵢ, vᵢ)` is determined up to a common sign. lowrank makes the entry of
//! `uᵢ` with the largest magnitude positive (the first such entry on ties), flipping `vᵢ` with
//! it — scikit-learn's `svd_flip` rule. With `U` not computed, `vᵢ` follows the same rule.

mod exact;
pub(crate) mod gram_block;
mod gram_lanczos;
mod lanczos;
pub(crate) mod linalg;
mod randomized;
mod rank;
mod sign;

pub use rank::{choose_rank, RankSpec};
pub use sign::apply_sign_convention;

use crate::memory::{dense_bytes, Bytes};
use crate::op::{LinearOperator, StorageKind};
use crate::{Observer, SvdError};
use faer::{Mat, Par};
use std::time::{Duration, Instant};

/// Which algorithm computes the decomposition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Choose from shape, storage and rank (see the module docs).
    Auto,
    /// Dense thin SVD of the whole matrix (faer). Materialises non-dense operators.
    Exact,
    /// Randomized range finder with power iterations (Halko, Martinsson & Tropp 2011).
    Randomized,
    /// Golub–Kahan–Lanczos bidiagonalization with full reorthogonalization and thick restarts.
    Lanczos,
}

impl Method {
    /// Lower-case name used in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Method::Auto => "auto",
            Method::Exact => "exact",
            Method::Randomized => "randomized",
            Method::Lanczos => "lanczos",
        }
    }
}

/// Whether singular vectors are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Vectors {
    /// `U` and `V` as well as `σ`.
    Both,
    /// Only `σ` (cheaper for the exact method).
    None,
}

/// How the randomized method builds its subspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RangeFinder {
    /// Subspace (power) iteration, re-orthonormalised after every product.
    Subspace,
    /// Block Krylov: keeps every power-iteration block (more accurate for the same passes,
    /// `q+1` times the memory).
    BlockKrylov,
}

/// Power iterations of the randomized method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PowerIterations {
    /// Exactly this many.
    Fixed(usize),
    /// Iterate until the top-k singular value estimates change by less than the tolerance
    /// between two passes (the spectrum estimate decides), at most `max`.
    Auto {
        /// Upper bound.
        max: usize,
    },
}

/// Everything that controls a decomposition. Start from `SvdParams::default()`.
#[derive(Debug, Clone)]
pub struct SvdParams {
    /// How many triplets.
    pub rank: RankSpec,
    /// Which algorithm.
    pub method: Method,
    /// Values only, or vectors too.
    pub vectors: Vectors,
    /// Extra sketch columns of the randomized method (`p`, default 10).
    pub oversamples: usize,
    /// Power iterations of the randomized method.
    pub power_iterations: PowerIterations,
    /// Subspace iteration or block Krylov.
    pub range_finder: RangeFinder,
    /// Convergence tolerance: Lanczos stops when every requested triplet has
    /// `‖Aᵀuᵢ − σᵢvᵢ‖ ≤ tol·σ₁`; the randomized method stops its power iterations when the
    /// top-k σ change by less than `tol` (relative). Default `1e-10`.
    pub tol: f64,
    /// Lanczos restarts allowed before giving up.
    pub max_restarts: usize,
    /// Seed of every random draw; the same seed gives the same bits.
    pub seed: u64,
    /// Parallelism handed to every product.
    pub par: Par,
    /// Refuse the job when its estimated memory exceeds this many bytes.
    pub memory_limit: Option<u64>,
}

impl Default for SvdParams {
    fn default() -> Self {
        Self {
            rank: RankSpec::Fixed(10),
            method: Method::Auto,
            vectors: Vectors::Both,
            oversamples: 10,
            power_iterations: PowerIterations::Auto { max: 20 },
            range_finder: RangeFinder::BlockKrylov,
            tol: 1e-10,
            max_restarts: 500,
            seed: 0,
            par: Par::Seq,
            memory_limit: None,
        }
    }
}

/// The decomposition: `σ` descending, and `U` (`m × k`), `V` (`n × k`) when computed.
#[derive(Debug, Clone)]
pub struct Svd {
    /// Singular values, descending.
    pub s: Vec<f64>,
    /// Left singular vectors as columns.
    pub u: Option<Mat<f64>>,
    /// Right singular vectors as columns.
    pub v: Option<Mat<f64>>,
}

impl Svd {
    /// Number of triplets.
    pub fn rank(&self) -> usize {
        self.s.len()
    }
    /// Keeps the first `k` triplets.
    pub fn truncate(&mut self, k: usize) {
        let k = k.min(self.s.len());
        self.s.truncate(k);
        // Copy only when columns are dropped: a copy of U doubles its memory for a moment.
        for m in [&mut self.u, &mut self.v].into_iter().flatten() {
            if m.ncols() > k {
                *m = m.as_ref().subcols(0, k).to_owned();
            }
        }
    }
}

/// Time spent in one phase of the computation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PhaseTime {
    /// Phase name.
    pub phase: String,
    /// Seconds.
    pub seconds: f64,
}

/// How the computation went: the method actually used and why, work done, and notes for the
/// user (method switches, a rank target not reached, …).
#[derive(Debug, Clone, serde::Serialize)]
pub struct SolveInfo {
    /// The method that ran.
    pub method: Method,
    /// Why that method (the `auto` policy's reasoning, or "requested").
    pub reason: String,
    /// Which form of the method ran (for example Lanczos on `AᵀA` with fused products).
    pub variant: String,
    /// Things the user should know.
    pub notes: Vec<String>,
    /// Wall time per phase.
    pub phases: Vec<PhaseTime>,
    /// Products of the operator with single vectors (a block of `b` counts `b`).
    pub matvecs: u64,
    /// Power iterations (randomized) or restarts (Lanczos) performed.
    pub iterations: usize,
    /// Subspace dimension of the final solve.
    pub subspace_dim: usize,
    /// Whether every requested triplet met the tolerance (always true for exact).
    pub converged: bool,
    /// Ranks tried by adaptive rank selection, in order.
    pub ranks_tried: Vec<usize>,
    /// The memory estimate the job was admitted with.
    pub estimated_memory_bytes: u64,
}

/// A decomposition and how it was obtained.
#[derive(Debug, Clone)]
pub struct SvdOutput {
    /// The triplets.
    pub svd: Svd,
    /// How it went.
    pub info: SolveInfo,
}

/// Internal result of one solver call at a fixed rank.
pub(crate) struct Solved {
    pub(crate) svd: Svd,
    pub(crate) variant: String,
    pub(crate) matvecs: u64,
    pub(crate) iterations: usize,
    pub(crate) subspace_dim: usize,
    pub(crate) converged: bool,
    pub(crate) phases: Vec<PhaseTime>,
}

pub(crate) struct PhaseClock {
    start: Instant,
    phases: Vec<PhaseTime>,
}

impl PhaseClock {
    pub(crate) fn new() -> Self {
        Self {
            start: Instant::now(),
            phases: Vec::new(),
        }
    }
    pub(crate) fn lap(&mut self, phase: &str) {
        let now = Instant::now();
        let d: Duration = now - self.start;
        self.start = now;
        if let Some(p) = self.phases.iter_mut().find(|p| p.phase == phase) {
            p.seconds += d.as_secs_f64();
        } else {
            self.phases.push(PhaseTime {
                phase: phase.to_string(),
                seconds: d.as_secs_f64(),
            });
        }
    }
    pub(crate) fn finish(self) -> Vec<PhaseTime> {
        self.phases
    }
}

/// Computes a (truncated) SVD of `op` as `params` say.
///
/// # Errors
/// Invalid parameters, a rank larger than `min(m, n)`, an empty matrix, a job above the memory
/// limit (refused before it starts), non-convergence of Lanczos, a failed operator product, or
/// cancellation by the observer.
pub fn compute(
    op: &dyn LinearOperator,
    params: &SvdParams,
    observer: &mut dyn Observer,
) -> Result<SvdOutput, SvdError> {
    let (m, n) = (op.nrows(), op.ncols());
    if m == 0 || n == 0 {
        return Err(SvdError::EmptyMatrix { nrows: m, ncols: n });
    }
    validate(params, m, n)?;
    let min_dim = m.min(n);
    let mut notes = Vec::new();
    let (method, reason) = resolve_method(op, params, &mut notes);
    let estimated = estimate_memory(op, params, method);
    if let Some(limit) = params.memory_limit {
        if estimated > limit {
            return Err(SvdError::WouldExceedMemory {
                needed: Bytes(estimated),
                limit: Bytes(limit),
            });
        }
    }

    let total_energy = op.frobenius_norm_sq();
    let mut ranks_tried = Vec::new();
    let solve_at = |k: usize, obs: &mut dyn Observer| -> Result<Solved, SvdError> {
        match method {
            Method::Exact => exact::solve(op, params, obs),
            Method::Randomized => randomized::solve(op, k, params, obs),
            Method::Lanczos => lanczos::solve(op, k, params, obs),
            Method::Auto => unreachable!("auto is resolved first"),
        }
    };

    let mut solved;
    let chosen;
    match params.rank {
        RankSpec::Fixed(k) => {
            ranks_tried.push(k);
            solved = solve_at(k, observer)?;
            chosen = k.min(solved.svd.rank());
        }
        spec => {
            // Grow the subspace geometrically until the criterion is met inside it: the total
            // work is at most about twice that of the final solve.
            let max_rank = spec.max_rank().min(min_dim);
            let mut k = if method == Method::Exact {
                max_rank
            } else {
                16.min(max_rank)
            };
            loop {
                ranks_tried.push(k);
                solved = solve_at(k, observer)?;
                let total =
                    total_energy.unwrap_or_else(|| solved.svd.s.iter().map(|s| s * s).sum());
                let complete = method == Method::Exact || k >= min_dim;
                match choose_rank(&solved.svd.s, total, spec, complete) {
                    Some(r) => {
                        chosen = r;
                        break;
                    }
                    None if k >= max_rank => {
                        notes.push(format!(
                            "the {} target was not reached within --max-rank {max_rank}; \
                             returning rank {max_rank}",
                            spec.describe()
                        ));
                        chosen = max_rank.min(solved.svd.rank());
                        break;
                    }
                    None => k = (2 * k).min(max_rank),
                }
            }
        }
    }
    if !solved.converged && method == Method::Randomized {
        notes.push(format!(
            "power iterations stopped at their cap ({}) before the singular value estimates settled \
             to {:e}: the spectrum decays slowly around k here; the certificate gives the accuracy \
             reached (use --method lanczos for a guaranteed residual)",
            solved.iterations, params.tol
        ));
    }
    solved.svd.truncate(chosen);
    apply_sign_convention(&mut solved.svd);
    if solved.svd.s.iter().any(|s| !s.is_finite()) {
        return Err(SvdError::NonFinite {
            phase: "the decomposition",
        });
    }
    Ok(SvdOutput {
        svd: solved.svd,
        info: SolveInfo {
            method,
            reason,
            variant: solved.variant,
            notes,
            phases: solved.phases,
            matvecs: solved.matvecs,
            iterations: solved.iterations,
            subspace_dim: solved.subspace_dim,
            converged: solved.converged,
            ranks_tried,
            estimated_memory_bytes: estimated,
        },
    })
}

fn validate(params: &SvdParams, m: usize, n: usize) -> Result<(), SvdError> {
    let min_dim = m.min(n);
    let invalid = |name, value: String, expected: &str| {
        Err(SvdError::InvalidParameter {
            name,
            value,
            expected: expected.to_string(),
        })
    };
    match params.rank {
        RankSpec::Fixed(0) => return invalid("rank", "0".into(), "a rank of at least 1"),
        RankSpec::Fixed(k) if k > min_dim => {
            return Err(SvdError::RankTooLarge {
                requested: k,
                max: min_dim,
                nrows: m,
                ncols: n,
            })
        }
        RankSpec::Energy { fraction, .. } if !(fraction > 0.0 && fraction <= 1.0) => {
            return invalid("energy", fraction.to_string(), "a fraction in (0, 1]")
        }
        RankSpec::Tolerance { rel_error, .. } if !(rel_error >= 0.0 && rel_error < 1.0) => {
            return invalid(
                "error tolerance",
                rel_error.to_string(),
                "a relative error in [0, 1)",
            )
        }
        RankSpec::Energy { max_rank: 0, .. } | RankSpec::Tolerance { max_rank: 0, .. } => {
            return invalid("max-rank", "0".into(), "at least 1")
        }
        _ => {}
    }
    if params.oversamples > 10_000 {
        return invalid(
            "oversamples",
            params.oversamples.to_string(),
            "at most 10000",
        );
    }
    if !(params.tol > 0.0 && params.tol < 1.0) {
        return invalid("tol", params.tol.to_string(), "a tolerance in (0, 1)");
    }
    if let PowerIterations::Fixed(q) = params.power_iterations {
        if q > 1000 {
            return invalid("power-iters", q.to_string(), "at most 1000");
        }
    }
    Ok(())
}

/// Dense materialisation is worth it below this many entries even for sparse input.
const SMALL_MIN_DIM: usize = 200;

fn resolve_method(
    op: &dyn LinearOperator,
    params: &SvdParams,
    notes: &mut Vec<String>,
) -> (Method, String) {
    let (m, n) = (op.nrows(), op.ncols());
    let min_dim = m.min(n);
    let dense_fits = params
        .memory_limit
        .is_none_or(|l| exact_memory(m, n, params.vectors) <= l);
    let k_close = |k: usize| k.saturating_add(params.oversamples) >= min_dim || 2 * k >= min_dim;
    match params.method {
        Method::Auto => {
            if dense_fits {
                if min_dim <= SMALL_MIN_DIM {
                    return (
                        Method::Exact,
                        format!(
                            "min(m, n) = {min_dim} ≤ {SMALL_MIN_DIM}: the exact SVD is cheapest"
                        ),
                    );
                }
                if let RankSpec::Fixed(k) = params.rank {
                    if k_close(k) {
                        return (Method::Exact, format!("k = {k} (plus {} oversamples) is close to min(m, n) = {min_dim}: a truncated method would do more work than the exact SVD", params.oversamples));
                    }
                }
            }
            match op.storage_kind() {
                StorageKind::Sparse if op.has_fused_gram() && n > m => (
                    Method::Lanczos,
                    format!("sparse input, wider than tall ({m}×{n}): Lanczos on AAᵀ through the transpose (basis in the shorter dimension, one side reorthogonalized) needs few cheap sparse products and converges every triplet to the tolerance"),
                ),
                StorageKind::Sparse => (
                    Method::Lanczos,
                    "sparse input: Lanczos bidiagonalization needs few cheap sparse products and converges every triplet to the tolerance".into(),
                ),
                StorageKind::Dense => (
                    Method::Randomized,
                    "dense input, k small against min(m, n): a randomized block method makes the few passes over A as efficient GEMMs".into(),
                ),
            }
        }
        Method::Randomized | Method::Lanczos => {
            if let RankSpec::Fixed(k) = params.rank {
                if k_close(k) && dense_fits {
                    notes.push(format!(
                        "switched from {} to exact: k = {k} (plus {} oversamples) is close to min(m, n) = {min_dim}, where a truncated method is slower and less accurate than the exact SVD",
                        params.method.name(),
                        params.oversamples
                    ));
                    return (
                        Method::Exact,
                        "truncated method asked for k close to min(m, n)".into(),
                    );
                }
            }
            (params.method, "requested".into())
        }
        Method::Exact => (Method::Exact, "requested".into()),
    }
}

fn exact_memory(m: usize, n: usize, vectors: Vectors) -> u64 {
    let r = m.min(n);
    let copy = dense_bytes(m, n);
    match vectors {
        // The kernel bidiagonalises a copy, and keeps U, V and its own workspace.
        Vectors::Both => copy * 2 + dense_bytes(m, r) + dense_bytes(n, r) + dense_bytes(r, r) * 2,
        Vectors::None => copy * 2 + dense_bytes(r, 4),
    }
}

/// The memory a job will need on top of the operator itself (which is already loaded), in bytes.
pub fn estimate_memory(op: &dyn LinearOperator, params: &SvdParams, method: Method) -> u64 {
    let (m, n) = (op.nrows(), op.ncols());
    let min_dim = m.min(n);
    let k = params.rank.max_rank().min(min_dim);
    match method {
        Method::Exact | Method::Auto => {
            let materialise = if op.as_dense().is_some() {
                0
            } else {
                dense_bytes(m, n)
            };
            materialise + exact_memory(m, n, params.vectors)
        }
        Method::Randomized => {
            let l = (k + params.oversamples).min(min_dim);
            let blocks = match (params.range_finder, params.power_iterations) {
                (RangeFinder::BlockKrylov, PowerIterations::Fixed(q)) => q + 1,
                (RangeFinder::BlockKrylov, PowerIterations::Auto { max }) => {
                    max.min(randomized::MAX_AUTO_KRYLOV_ITERATIONS) + 1
                }
                _ => 1,
            };
            dense_bytes(m + n, l) * (3 + blocks as u64)
                + dense_bytes(l * blocks, l * blocks) * 2
                + op.workspace_bytes(l) as u64
        }
        Method::Lanczos => {
            let d = lanczos::working_dimension(k, min_dim);
            dense_bytes(m + n, d + 1) * 2 + dense_bytes(d, d) * 4 + op.workspace_bytes(1) as u64
        }
    }
}
