//! Training: the epoch loop shared by every model, with validation, early stopping (the best
//! epoch is kept), a learning-rate schedule and divergence checks; and the per-model sweeps.
//!
//! # Determinism
//! Every sweep is deterministic whatever the thread count: SGD runs on a fixed 8×8 grid of
//! user-range × item-range blocks, and the 8 blocks of one diagonal (disjoint users and
//! items) run in parallel, each in its own seeded order (Gemulla et al. 2011, "DSGD"); ALS
//! solves each user (item) independently.

use std::time::Instant;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;

use crate::data::{Index, Ratings};
use crate::linalg::{add_outer_lower, axpy, cholesky_solve, symmetrize};
use crate::metrics::ranking_metrics;
use crate::model::{dot, Hyper, Model, ModelKind, Solver};
use crate::MfError;

/// Blocks per side of the SGD grid (fixed, so results do not depend on the thread count).
const GRID: usize = 8;

/// One epoch's figures.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EpochStats {
    /// 1-based epoch.
    pub epoch: usize,
    /// Learning rate used in this epoch (SGD).
    pub lr: f64,
    /// RMSE on the training ratings (explicit models). For the SGD models it is the running
    /// error of the epoch — each rating's error just before its update, as LIBMF reports —
    /// which costs nothing and sits slightly above the end-of-epoch error.
    pub train_rmse: Option<f64>,
    /// Validation figure: RMSE (explicit) or NDCG@10 (implicit).
    pub valid: Option<f64>,
    /// Wall time of the epoch including evaluation.
    pub seconds: f64,
}

/// What a fit did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FitSummary {
    /// Per-epoch history.
    pub history: Vec<EpochStats>,
    /// The epoch whose model was kept (the best validation epoch, or the last).
    pub best_epoch: usize,
    /// Whether early stopping ended the run before `epochs`.
    pub stopped_early: bool,
    /// Name of the validation figure (`rmse` or `ndcg@10`).
    pub valid_metric: &'static str,
    /// Training time (sweeps only, without evaluation).
    pub train_seconds: f64,
    /// Ratings processed per second of training time.
    pub ratings_per_second: f64,
}

/// Parameters being learned.
#[derive(Clone)]
struct State {
    mu: f64,
    bu: Vec<f64>,
    bi: Vec<f64>,
    p: Vec<f64>,
    q: Vec<f64>,
    /// SVD++ implicit item vectors.
    y: Vec<f64>,
    k: usize,
}

/// Fits a model on `train`, evaluating on `valid` after every epoch if given.
///
/// `on_epoch` sees each epoch's figures and may return `false` to cancel.
pub fn fit(
    train: &Ratings,
    valid: Option<&Ratings>,
    hyper: &Hyper,
    on_epoch: &mut dyn FnMut(&EpochStats) -> bool,
) -> Result<(Model, FitSummary), MfError> {
    hyper.validate()?;
    if train.is_empty() {
        return Err(MfError::EmptyTraining(String::new()));
    }
    if hyper.model == ModelKind::BayesMf {
        return crate::bayes::fit(train, valid, hyper, on_epoch);
    }
    let explicit = hyper.model.is_explicit();
    let k = if hyper.model == ModelKind::Baseline {
        0
    } else {
        hyper.rank
    };
    let by_user = train.by_user();
    let by_item = train.by_item();
    let mut rng = ChaCha8Rng::seed_from_u64(hyper.seed);
    let normal = Normal::new(0.0, hyper.init_std.max(0.0)).expect("finite std");
    let mut draw = || normal.sample(&mut rng);
    let sgd = hyper.model == ModelKind::BiasedMf && hyper.solver == Solver::Sgd;
    // SGD's factors are drawn straight into single precision (the same draws, rounded): an f64
    // copy next to them would add half again to the peak memory on large problems.
    let mut grid = sgd.then(|| {
        let factors = SgdFactors {
            p: (0..train.n_users * k).map(|_| draw() as f32).collect(),
            q: (0..train.n_items * k).map(|_| draw() as f32).collect(),
        };
        (SgdGrid::new(train, &by_user, &by_item, hyper.seed), factors)
    });
    let mut init = |len: usize| -> Vec<f64> {
        if sgd {
            Vec::new()
        } else {
            (0..len).map(|_| draw()).collect()
        }
    };
    let mut st = State {
        mu: if explicit { train.mean() } else { 0.0 },
        bu: vec![0.0; train.n_users],
        bi: vec![0.0; train.n_items],
        p: init(train.n_users * k),
        q: init(train.n_items * k),
        y: if hyper.model == ModelKind::SvdPp {
            init(train.n_items * k)
        } else {
            Vec::new()
        },
        k,
    };
    if !explicit {
        // Implicit ALS solves users first; start users at zero and items small.
        st.p.iter_mut().for_each(|v| *v = 0.0);
    }
    let popularity: Vec<f64> = (0..train.n_items)
        .map(|i| by_item.count(i) as f64)
        .collect();

    let mut history = Vec::new();
    let mut best: Option<(f64, usize, State)> = None;
    let mut since_best = 0usize;
    let mut lr = hyper.lr;
    let mut train_seconds = 0.0;
    let mut stopped_early = false;
    let higher_is_better = !explicit;
    for epoch in 1..=hyper.epochs {
        let t0 = Instant::now();
        // SGD sweeps return the running squared error (each rating's error just before its
        // update, as LIBMF reports it): the training curve then costs nothing extra.
        let running_sse: Option<f64> = match (hyper.model, hyper.solver) {
            (ModelKind::Baseline, _) => {
                baseline_sweep(train, &by_user, &by_item, &mut st, hyper);
                None
            }
            (ModelKind::BiasedMf, Solver::Sgd) => {
                let epoch_seed = hyper.seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                let (grid, factors) = grid.as_mut().expect("built for SGD");
                Some(grid.sweep(factors, &mut st, hyper, lr, epoch_seed))
            }
            (ModelKind::BiasedMf, Solver::Als) => {
                als_sweep(train, &by_user, &by_item, &mut st, hyper);
                None
            }
            (ModelKind::SvdPp, _) => {
                let epoch_seed = hyper.seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                Some(svdpp_sweep(train, &by_user, &mut st, hyper, lr, epoch_seed))
            }
            (ModelKind::ImplicitAls, _) => {
                implicit_sweep(train, &by_user, &by_item, &mut st, hyper);
                None
            }
            (ModelKind::BayesMf, _) => unreachable!("bayes-mf is fitted by crate::bayes::fit"),
        };
        let need_model = valid.is_some() || (explicit && running_sse.is_none());
        // SGD works on its own single-precision copy of the factors; the f64 state is brought
        // up to date only when a model is evaluated, and after the last epoch.
        if let (Some((_, factors)), true) = (&grid, need_model) {
            factors.widen_into(&mut st);
        }
        let swept = t0.elapsed().as_secs_f64();
        train_seconds += swept;
        let non_finite = match (&grid, need_model) {
            // A non-finite factor makes every later error non-finite, so the running error
            // catches it (at the latest one epoch on); the final state is checked in full.
            (Some(_), false) => running_sse
                .filter(|sse| !sse.is_finite())
                .map(|sse| ("training error", sse))
                .or_else(|| biases_non_finite(&st)),
            _ => state_non_finite(&st),
        };
        if let Some((what, value)) = non_finite {
            return Err(diverged(epoch, what, value, lr));
        }
        let model = need_model.then(|| to_model(&st, train, &by_user, hyper, &popularity));
        let train_rmse = if !explicit {
            None
        } else if let Some(sse) = running_sse {
            Some((sse / train.len() as f64).sqrt())
        } else {
            model.as_ref().map(|m| crate::metrics::rmse_mae(m, train).0)
        };
        if let Some(r) = train_rmse {
            if !r.is_finite() || r > 1e6 * (1.0 + rating_span(train)) {
                return Err(diverged(epoch, "training error", r, lr));
            }
        }
        let valid_score = valid.zip(model.as_ref()).map(|(v, model)| {
            if explicit {
                crate::metrics::rmse_mae(model, v).0
            } else {
                ranking_metrics(model, &by_user, train, v, 10).ndcg
            }
        });
        let stats = EpochStats {
            epoch,
            lr,
            train_rmse,
            valid: valid_score,
            seconds: t0.elapsed().as_secs_f64(),
        };
        let keep_going = on_epoch(&stats);
        history.push(stats);
        if !keep_going {
            return Err(MfError::Cancelled);
        }
        match valid_score {
            Some(s) => {
                let better = match &best {
                    None => true,
                    Some((b, _, _)) => {
                        if higher_is_better {
                            s > *b
                        } else {
                            s < *b
                        }
                    }
                };
                if better {
                    best = Some((s, epoch, st.clone()));
                    since_best = 0;
                } else {
                    since_best += 1;
                    if hyper.patience > 0 && since_best >= hyper.patience {
                        stopped_early = epoch < hyper.epochs;
                        break;
                    }
                }
            }
            None => best = None,
        }
        lr *= hyper.lr_decay;
    }
    let (best_epoch, final_state) = match best {
        Some((_, e, s)) => (e, s),
        None => {
            if let Some((blocks, factors)) = grid.take() {
                drop(blocks);
                factors.into_state(&mut st);
                if let Some((what, value)) = state_non_finite(&st) {
                    let last_lr = history.last().map_or(lr, |e| e.lr);
                    return Err(diverged(history.len(), what, value, last_lr));
                }
            }
            (history.len(), st)
        }
    };
    let model = into_model(final_state, train, &by_user, hyper, &popularity);
    let processed = train.len() as f64 * history.len() as f64;
    Ok((
        model,
        FitSummary {
            history,
            best_epoch,
            stopped_early,
            valid_metric: if explicit { "rmse" } else { "ndcg@10" },
            train_seconds,
            ratings_per_second: processed / train_seconds.max(1e-12),
        },
    ))
}

fn rating_span(r: &Ratings) -> f64 {
    let (lo, hi) = r
        .values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    (hi - lo).abs() as f64
}

/// The error for a non-finite value at `epoch`, trained with learning rate `lr`.
fn diverged(epoch: usize, what: &'static str, value: f64, lr: f64) -> MfError {
    MfError::Diverged {
        epoch,
        what,
        value,
        lr,
        suggest: lr / 10.0,
    }
}

fn biases_non_finite(st: &State) -> Option<(&'static str, f64)> {
    for (what, v) in [("user bias", &st.bu), ("item bias", &st.bi)] {
        if let Some(x) = v.iter().find(|x| !x.is_finite()) {
            return Some((what, *x));
        }
    }
    None
}

fn state_non_finite(st: &State) -> Option<(&'static str, f64)> {
    for (what, v) in [
        ("user factor", &st.p),
        ("item factor", &st.q),
        ("implicit item factor", &st.y),
        ("user bias", &st.bu),
        ("item bias", &st.bi),
    ] {
        if let Some(x) = v.iter().find(|x| !x.is_finite()) {
            return Some((what, *x));
        }
    }
    None
}

/// The model a state stands for (SVD++: implicit part folded into the user vectors).
fn to_model(
    st: &State,
    train: &Ratings,
    by_user: &Index,
    hyper: &Hyper,
    popularity: &[f64],
) -> Model {
    into_model(st.clone(), train, by_user, hyper, popularity)
}

/// Like [`to_model`], consuming the state: the final model reuses its factor memory instead of
/// holding a second copy (about 0.6 GB at 20M ratings, rank 64).
fn into_model(
    st: State,
    train: &Ratings,
    by_user: &Index,
    hyper: &Hyper,
    popularity: &[f64],
) -> Model {
    let k = st.k;
    let mut p = st.p;
    if hyper.model == ModelKind::SvdPp {
        let y = &st.y;
        p.par_chunks_mut(k.max(1)).enumerate().for_each(|(u, pu)| {
            let rated = by_user.group(u);
            if rated.is_empty() || k == 0 {
                return;
            }
            let norm = 1.0 / (rated.len() as f64).sqrt();
            for &pos in rated {
                let j = train.items[pos as usize] as usize;
                axpy(pu, norm, &y[j * k..(j + 1) * k]);
            }
        });
    }
    let explicit = hyper.model.is_explicit();
    Model {
        kind: hyper.model,
        rank: k,
        global_mean: st.mu,
        user_bias: if explicit { st.bu } else { Vec::new() },
        item_bias: if explicit { st.bi } else { Vec::new() },
        p,
        q: st.q,
        n_users: train.n_users,
        n_items: train.n_items,
        clip: hyper.clip,
        popularity: popularity.to_vec(),
        user_count: (0..train.n_users)
            .map(|u| by_user.count(u) as f64)
            .collect(),
    }
}

/// Baseline: one sweep of regularized alternating bias updates (closed form per user/item,
/// as Koren's baseline estimates): `b_i = Σ(r − μ − b_u)/(λ + n_i)`, then the users.
fn baseline_sweep(train: &Ratings, by_user: &Index, by_item: &Index, st: &mut State, h: &Hyper) {
    // λ is on the scale of a count of ratings here (Surprise's BaselineOnly uses 10 and 15);
    // reg_bias is scaled so the same flag works for both solvers: λ = reg_bias · 1000.
    let lam = h.reg_bias * 1000.0;
    let (mu, bu) = (st.mu, &st.bu);
    st.bi.par_iter_mut().enumerate().for_each(|(i, b)| {
        let g = by_item.group(i);
        let s: f64 = g
            .iter()
            .map(|&p| train.values[p as usize] as f64 - mu - bu[train.users[p as usize] as usize])
            .sum();
        *b = s / (lam + g.len() as f64);
    });
    let bi = &st.bi;
    st.bu.par_iter_mut().enumerate().for_each(|(u, b)| {
        let g = by_user.group(u);
        let s: f64 = g
            .iter()
            .map(|&p| train.values[p as usize] as f64 - mu - bi[train.items[p as usize] as usize])
            .sum();
        *b = s / (lam + g.len() as f64);
    });
}

/// Ratings packed by SGD block: `blocks[g*GRID + h]` holds the ratings of user range `g` and
/// item range `h`.
struct SgdGrid {
    user_cut: Vec<usize>,
    item_cut: Vec<usize>,
    blocks: Vec<Vec<(u32, u32, f32)>>,
}

/// `GRID + 1` cut points over `0..groups` with about equal numbers of ratings between them.
fn balanced_cuts(index: &Index, groups: usize) -> Vec<usize> {
    let total = index.positions.len().max(1);
    let mut cuts = vec![0usize];
    let mut g = 0usize;
    for b in 1..GRID {
        let target = total * b / GRID;
        while g < groups && index.ptr[g] < target {
            g += 1;
        }
        cuts.push(g.max(*cuts.last().expect("non-empty")));
    }
    cuts.push(groups);
    cuts
}

fn range_of(cuts: &[usize], x: usize) -> usize {
    // cuts is sorted; the block is the last cut ≤ x.
    cuts[1..GRID].partition_point(|&c| c <= x)
}

impl SgdGrid {
    /// Packs the ratings by block, each block in a seeded random order. The order is drawn once:
    /// reshuffling every epoch cost as much as a fifth of the training time on MovieLens, and
    /// the epochs still differ because the diagonals run in a new random order each epoch.
    fn new(train: &Ratings, by_user: &Index, by_item: &Index, seed: u64) -> SgdGrid {
        let user_cut = balanced_cuts(by_user, train.n_users);
        let item_cut = balanced_cuts(by_item, train.n_items);
        let mut blocks = vec![Vec::new(); GRID * GRID];
        for p in 0..train.len() {
            let (u, i) = (train.users[p], train.items[p]);
            let g = range_of(&user_cut, u as usize);
            let h = range_of(&item_cut, i as usize);
            blocks[g * GRID + h].push((u, i, train.values[p]));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5EED_B10C);
        for b in &mut blocks {
            b.shuffle(&mut rng);
        }
        SgdGrid {
            user_cut,
            item_cut,
            blocks,
        }
    }

    /// One epoch: `GRID` sub-epochs, each running the `GRID` blocks of one diagonal in
    /// parallel (they share no user and no item, so no locks and no races).
    fn sweep(
        &self,
        factors: &mut SgdFactors,
        st: &mut State,
        h: &Hyper,
        lr: f64,
        seed: u64,
    ) -> f64 {
        let k = st.k;
        let mu = st.mu;
        let (reg, reg_b) = (h.reg, h.reg_bias);
        let mut sse = 0.0;
        let mut diagonals: Vec<usize> = (0..GRID).collect();
        diagonals.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
        for s in diagonals {
            let users = split_ranges(&mut factors.p, &mut st.bu, &self.user_cut, k);
            let mut items = split_ranges(&mut factors.q, &mut st.bi, &self.item_cut, k);
            items.rotate_left(s);
            let block_sse: Vec<f64> = users
                .into_par_iter()
                .zip(items.into_par_iter())
                .enumerate()
                .map(|(g, ((p, bu), (q, bi)))| {
                    let hblk = (g + s) % GRID;
                    let block = &self.blocks[g * GRID + hblk];
                    if block.is_empty() {
                        return 0.0;
                    }
                    let (u0, i0) = (self.user_cut[g], self.item_cut[hblk]);
                    // Compiled for the CPU's vector extensions (AVX2/AVX-512) at run time.
                    pulp::Arch::new().dispatch(SgdBlock {
                        block,
                        p,
                        q,
                        bu,
                        bi,
                        u0,
                        i0,
                        k,
                        mu,
                        lr,
                        reg,
                        reg_b,
                    })
                })
                .collect();
            // Summed in block order: the same bits whatever the thread count.
            sse += block_sse.iter().sum::<f64>();
        }
        sse
    }
}

/// The factor matrices SGD works on, in single precision (as LIBMF keeps them): half the
/// memory traffic and twice the lanes per SIMD register of `f64`. A rating's update is of order
/// `lr·e·q ≈ 10⁻⁴`, far above `f32`'s rounding of the factors (≈ 10⁻⁸); the error sums and
/// biases stay in `f64`. `State::p` and `State::q` stay empty during training and are filled
/// from these when a model is needed (validation, the saved model).
struct SgdFactors {
    p: Vec<f32>,
    q: Vec<f32>,
}

impl SgdFactors {
    fn widen_into(&self, st: &mut State) {
        for (dst, src) in [(&mut st.p, &self.p), (&mut st.q, &self.q)] {
            dst.clear();
            dst.extend(src.iter().map(|&x| x as f64));
        }
    }

    /// Like [`SgdFactors::widen_into`], freeing each single-precision matrix once converted.
    fn into_state(self, st: &mut State) {
        let widen = |v: Vec<f32>| v.into_iter().map(|x| x as f64).collect();
        st.p = widen(self.p);
        st.q = widen(self.q);
    }
}

/// One SGD block, compiled inside `pulp`'s dispatch for the CPU's widest vector instructions
/// with fused multiply-adds. The dot product and the update are written with `pulp`'s SIMD
/// registers: left to the auto-vectorizer, the 16-way dot product compiled to 128-bit
/// multiply-adds, masked loads and shuffles, and a W4 fold took about 10% longer on one
/// thread (best of several runs: 0.074 s against 0.067 s).
struct SgdBlock<'a> {
    block: &'a [(u32, u32, f32)],
    p: &'a mut [f32],
    q: &'a mut [f32],
    bu: &'a mut [f64],
    bi: &'a mut [f64],
    u0: usize,
    i0: usize,
    k: usize,
    mu: f64,
    lr: f64,
    reg: f64,
    reg_b: f64,
}

impl pulp::WithSimd for SgdBlock<'_> {
    type Output = f64;
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, simd: S) -> f64 {
        let SgdBlock {
            block,
            p,
            q,
            bu,
            bi,
            u0,
            i0,
            k,
            mu,
            lr,
            reg,
            reg_b,
        } = self;
        let mut sse = 0.0;
        // p ← p + lr·(e·q − reg·p) = shrink·p + (lr·e)·q: one multiply and one fused
        // multiply-add per element.
        let shrink = (1.0 - lr * reg) as f32;
        for &(u, i, r) in block {
            let (u, i) = (u as usize - u0, i as usize - i0);
            let pu = &mut p[u * k..(u + 1) * k];
            let qi = &mut q[i * k..(i + 1) * k];
            let e = r as f64 - (mu + bu[u] + bi[i] + dot_simd(simd, pu, qi) as f64);
            sse += e * e;
            bu[u] += lr * (e - reg_b * bu[u]);
            bi[i] += lr * (e - reg_b * bi[i]);
            sgd_step(simd, pu, qi, shrink, (lr * e) as f32);
        }
        sse
    }
}

/// The factor update of one rating, `p ← shrink·p + step·q` and `q ← shrink·q + step·p`
/// (with the old `p`), in whole SIMD registers and then a scalar tail.
#[inline(always)]
fn sgd_step<S: pulp::Simd>(simd: S, pu: &mut [f32], qi: &mut [f32], shrink: f32, step: f32) {
    let (ph, pt) = S::as_mut_simd_f32s(pu);
    let (qh, qt) = S::as_mut_simd_f32s(qi);
    let (shrink_v, step_v) = (simd.splat_f32s(shrink), simd.splat_f32s(step));
    for (a, b) in ph.iter_mut().zip(qh.iter_mut()) {
        let (pa, qb) = (*a, *b);
        *a = simd.mul_add_f32s(pa, shrink_v, simd.mul_f32s(step_v, qb));
        *b = simd.mul_add_f32s(qb, shrink_v, simd.mul_f32s(step_v, pa));
    }
    for (a, b) in pt.iter_mut().zip(qt.iter_mut()) {
        let (pa, qb) = (*a, *b);
        *a = pa.mul_add(shrink, step * qb);
        *b = qb.mul_add(shrink, step * pa);
    }
}

/// Dot product in SIMD registers with fused multiply-adds and two accumulators; the tail
/// (rank not a multiple of the register width) goes through one masked load. The summation
/// order is fixed for a given register width, so results are the same on every run and
/// thread count, but may differ in the last bits between AVX2 and AVX-512 machines.
#[inline(always)]
fn dot_simd<S: pulp::Simd>(simd: S, a: &[f32], b: &[f32]) -> f32 {
    let (ah, at) = S::as_simd_f32s(a);
    let (bh, bt) = S::as_simd_f32s(b);
    let zero = simd.splat_f32s(0.0);
    let (mut s0, mut s1) = (zero, zero);
    let (ca, cb) = (ah.chunks_exact(2), bh.chunks_exact(2));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        s0 = simd.mul_add_f32s(x[0], y[0], s0);
        s1 = simd.mul_add_f32s(x[1], y[1], s1);
    }
    for (x, y) in ra.iter().zip(rb) {
        s0 = simd.mul_add_f32s(*x, *y, s0);
    }
    if !at.is_empty() {
        let (x, y) = (simd.partial_load_f32s(at), simd.partial_load_f32s(bt));
        s1 = simd.mul_add_f32s(x, y, s1);
    }
    simd.reduce_sum_f32s(simd.add_f32s(s0, s1))
}

/// Splits factor rows and biases at the cut points into disjoint mutable ranges.
fn split_ranges<'a, T>(
    mut f: &'a mut [T],
    mut b: &'a mut [f64],
    cuts: &[usize],
    k: usize,
) -> Vec<(&'a mut [T], &'a mut [f64])> {
    let mut out = Vec::with_capacity(GRID);
    for w in cuts.windows(2) {
        let n = w[1] - w[0];
        let (fh, ft) = std::mem::take(&mut f).split_at_mut(n * k);
        let (bh, bt) = std::mem::take(&mut b).split_at_mut(n);
        out.push((fh, bh));
        f = ft;
        b = bt;
    }
    out
}

/// Biased MF by ALS with weighted-λ regularization (Zhou et al. 2008): each user solves
/// `min Σ_i (r − μ − b_i − b_u − p_u·q_i)² + λ n_u ‖p_u‖² + λ_b n_u b_u²` in closed form
/// (unknowns `[p_u, b_u]`), then each item likewise.
fn als_sweep(train: &Ratings, by_user: &Index, by_item: &Index, st: &mut State, h: &Hyper) {
    let k = st.k;
    let mu = st.mu;
    let solve_side = |rows: &mut [f64],
                      bias: &mut [f64],
                      index: &Index,
                      other_f: &[f64],
                      other_b: &[f64],
                      other_of: &[u32]| {
        let n = k + 1;
        rows.par_chunks_mut(k.max(1))
            .zip(bias.par_iter_mut())
            .enumerate()
            .for_each_init(
                || (vec![0.0; n * n], vec![0.0; n], vec![0.0; n]),
                |(a, rhs, z), (g, (row, b))| {
                    let group = index.group(g);
                    if group.is_empty() {
                        return;
                    }
                    a.iter_mut().for_each(|x| *x = 0.0);
                    rhs.iter_mut().for_each(|x| *x = 0.0);
                    for &pos in group {
                        let pos = pos as usize;
                        let o = other_of[pos] as usize;
                        z[..k].copy_from_slice(&other_f[o * k..(o + 1) * k]);
                        z[k] = 1.0;
                        let t = train.values[pos] as f64 - mu - other_b[o];
                        add_outer_lower(a, z, 1.0, n);
                        axpy(rhs, t, z);
                    }
                    let cnt = group.len() as f64;
                    for d in 0..k {
                        a[d * n + d] += h.reg * cnt;
                    }
                    a[k * n + k] += h.reg_bias * cnt + 1e-12;
                    symmetrize(a, n);
                    if cholesky_solve(a, rhs, n) {
                        row[..k].copy_from_slice(&rhs[..k]);
                        *b = rhs[k];
                    }
                },
            );
    };
    let items = &train.items;
    solve_side(&mut st.p, &mut st.bu, by_user, &st.q, &st.bi, items);
    let users = &train.users;
    solve_side(&mut st.q, &mut st.bi, by_item, &st.p, &st.bu, users);
}

/// SVD++ by SGD, one user at a time (the implicit vectors `y_j` of all the user's items move
/// together, so users cannot run in parallel without races). The gradient of the implicit
/// part is accumulated over the user's ratings and applied once per user, which costs
/// `O(|N(u)|·k)` per user instead of per rating.
fn svdpp_sweep(
    train: &Ratings,
    by_user: &Index,
    st: &mut State,
    h: &Hyper,
    lr: f64,
    seed: u64,
) -> f64 {
    let k = st.k;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut users: Vec<usize> = (0..train.n_users)
        .filter(|&u| by_user.count(u) > 0)
        .collect();
    users.shuffle(&mut rng);
    let mut z = vec![0.0; k];
    let mut pz = vec![0.0; k];
    let mut grad = vec![0.0; k];
    let mut order: Vec<u32> = Vec::new();
    let mut sse = 0.0;
    for u in users {
        let rated = by_user.group(u);
        let norm = 1.0 / (rated.len() as f64).sqrt();
        z.iter_mut().for_each(|x| *x = 0.0);
        for &pos in rated {
            let j = train.items[pos as usize] as usize;
            axpy(&mut z, norm, &st.y[j * k..(j + 1) * k]);
        }
        grad.iter_mut().for_each(|x| *x = 0.0);
        order.clear();
        order.extend_from_slice(rated);
        order.shuffle(&mut rng);
        for &pos in &order {
            let pos = pos as usize;
            let i = train.items[pos] as usize;
            let r = train.values[pos] as f64;
            let pu = &mut st.p[u * k..(u + 1) * k];
            for d in 0..k {
                pz[d] = pu[d] + z[d];
            }
            let qi = &mut st.q[i * k..(i + 1) * k];
            let e = r - (st.mu + st.bu[u] + st.bi[i] + dot(&pz, qi));
            sse += e * e;
            st.bu[u] += lr * (e - h.reg_bias * st.bu[u]);
            st.bi[i] += lr * (e - h.reg_bias * st.bi[i]);
            for d in 0..k {
                let (pd, qd) = (pu[d], qi[d]);
                grad[d] += e * qd;
                pu[d] += lr * (e * qd - h.reg * pd);
                qi[d] += lr * (e * pz[d] - h.reg * qd);
            }
        }
        // y_j ← y_j + lr·(|N(u)|^-½ Σ_r e_r q_i − λ y_j): the summed per-rating gradients of the
        // implicit part, with the shrinkage applied once per user.
        for &pos in rated {
            let j = train.items[pos as usize] as usize;
            let yj = &mut st.y[j * k..(j + 1) * k];
            for d in 0..k {
                yj[d] += lr * (norm * grad[d] - h.reg * yj[d]);
            }
        }
    }
    sse
}

/// Implicit-feedback ALS (Hu, Koren & Volinsky 2008) with a few warm-started conjugate-gradient
/// steps per solve instead of a Cholesky factorization (Takács, Pilászy & Tikk 2011): each
/// user minimises `Σ_i c_ui (p_ui − x·y_i)² + λ‖x‖²` over all items, with `c = 1 + α r` on the
/// observed ones and `p = 1` there, `0` elsewhere; `YᵀY` is shared by all users.
fn implicit_sweep(train: &Ratings, by_user: &Index, by_item: &Index, st: &mut State, h: &Hyper) {
    let k = st.k;
    let side = |x: &mut [f64], index: &Index, y: &[f64], other_of: &[u32]| {
        let n_other = y.len() / k;
        let mut yty = vec![0.0; k * k];
        for o in 0..n_other {
            add_outer_lower(&mut yty, &y[o * k..(o + 1) * k], 1.0, k);
        }
        symmetrize(&mut yty, k);
        x.par_chunks_mut(k).enumerate().for_each_init(
            || (vec![0.0; k], vec![0.0; k], vec![0.0; k], vec![0.0; k]),
            |(r, pdir, ap, b), (g, xu)| {
                let group = index.group(g);
                // b = Σ c_ui y_i over observed i
                b.iter_mut().for_each(|v| *v = 0.0);
                for &pos in group {
                    let pos = pos as usize;
                    let o = other_of[pos] as usize;
                    let c = 1.0 + h.alpha * train.values[pos] as f64;
                    axpy(b, c, &y[o * k..(o + 1) * k]);
                }
                let apply = |v: &[f64], out: &mut [f64]| {
                    for i in 0..k {
                        out[i] = dot(&yty[i * k..(i + 1) * k], v) + h.reg * v[i];
                    }
                    for &pos in group {
                        let pos = pos as usize;
                        let o = other_of[pos] as usize;
                        let yo = &y[o * k..(o + 1) * k];
                        let w = h.alpha * train.values[pos] as f64 * dot(yo, v);
                        axpy(out, w, yo);
                    }
                };
                apply(xu, ap);
                for i in 0..k {
                    r[i] = b[i] - ap[i];
                }
                pdir.copy_from_slice(r);
                let mut rr = dot(r, r);
                for _ in 0..h.cg_steps {
                    if rr < 1e-20 {
                        break;
                    }
                    apply(pdir, ap);
                    let pap = dot(pdir, ap);
                    if pap.is_nan() || pap <= 0.0 {
                        break;
                    }
                    let alpha = rr / pap;
                    axpy(xu, alpha, pdir);
                    axpy(r, -alpha, ap);
                    let rr_new = dot(r, r);
                    let beta = rr_new / rr;
                    for i in 0..k {
                        pdir[i] = r[i] + beta * pdir[i];
                    }
                    rr = rr_new;
                }
            },
        );
    };
    let items = &train.items;
    side(&mut st.p, by_user, &st.q, items);
    let users = &train.users;
    side(&mut st.q, by_item, &st.p, users);
}

#[cfg(test)]
mod sgd_kernel_tests {
    use super::{dot_simd, sgd_step};

    /// Runs the SGD kernels' building blocks with the CPU's widest SIMD, as `SgdBlock` does.
    struct Kernels<'a> {
        a: &'a [f32],
        b: &'a [f32],
        shrink: f32,
        step: f32,
    }

    impl pulp::WithSimd for Kernels<'_> {
        type Output = (f32, Vec<f32>, Vec<f32>);
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, simd: S) -> Self::Output {
            let (mut p, mut q) = (self.a.to_vec(), self.b.to_vec());
            let d = dot_simd(simd, self.a, self.b);
            sgd_step(simd, &mut p, &mut q, self.shrink, self.step);
            (d, p, q)
        }
    }

    /// Every length from 0 to 40 covers empty rows, rows shorter than one register, whole
    /// registers, odd register counts and masked tails for both AVX2 (4) and AVX-512 (8).
    #[test]
    fn simd_dot_and_update_match_the_scalar_formulas() {
        for k in 0..=40usize {
            let a: Vec<f32> = (0..k)
                .map(|j| ((j * 7 + 3) % 11) as f32 / 3.0 - 1.5)
                .collect();
            let b: Vec<f32> = (0..k)
                .map(|j| ((j * 5 + 1) % 13) as f32 / 4.0 - 1.2)
                .collect();
            let (shrink, step) = (0.9999, -0.0123);
            let (d, p, q) = pulp::Arch::new().dispatch(Kernels {
                a: &a,
                b: &b,
                shrink,
                step,
            });
            // Reference in f64: each f32 product is exact there.
            let exact: f64 = a.iter().zip(&b).map(|(x, y)| *x as f64 * *y as f64).sum();
            let magnitude: f64 = a
                .iter()
                .zip(&b)
                .map(|(x, y)| (*x as f64 * *y as f64).abs())
                .sum();
            // Any summation order of k products is within k·ε·Σ|a_j b_j| of the exact sum
            // (Higham, "Accuracy and Stability", §3.1), with ε of f32 here.
            let tol = 2.0 * (k as f64) * f32::EPSILON as f64 * magnitude;
            assert!((d as f64 - exact).abs() <= tol, "k {k}: {d} vs {exact}");
            // Same fused multiply-adds as the scalar form, so equal to the last bit.
            for (j, (x, y)) in a.iter().zip(&b).enumerate() {
                assert_eq!(p[j], x.mul_add(shrink, step * y), "k {k}, p[{j}]");
                assert_eq!(q[j], y.mul_add(shrink, step * x), "k {k}, q[{j}]");
            }
        }
    }
}
