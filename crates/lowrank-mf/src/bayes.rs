//! Bayesian probabilistic matrix factorization with biases (BPMF), fitted by Gibbs sampling.
//!
//! # Algorithm
//! Salakhutdinov & Mnih (2008). Each user has a vector `x_u = [p_u, b_u]` and each item a
//! vector `y_i = [q_i, b_i]` (the bias is one more factor column), and a rating is
//! `r_ui ~ N(μ + b_u + b_i + p_u·q_i, 1/α)` with `μ` the training mean and `α` the fixed
//! observation precision (`Hyper::noise_precision`). The user vectors share a Gaussian prior
//! `N(μ_U, Λ_U⁻¹)` whose mean and precision are themselves drawn from a Normal–Wishart
//! hyper-prior (`μ₀ = 0, β₀ = 2, ν₀ = k + 1, W₀ = I`); the items likewise. One sweep (one
//! "epoch") draws `(μ_U, Λ_U)` given the users, every user given the items (in parallel: they
//! are independent given the items), then the same for the items. Regularization is therefore
//! learned from the data instead of being a tuned `λ`, and the prediction — the average of
//! `μ + b_u + b_i + p_u·q_i` over the kept samples, clipped to the rating scale — integrates over
//! the factors' uncertainty instead of trusting one point estimate; that average is what makes
//! BPMF generalise better than a MAP fit of the same rank.
//!
//! Cost per sweep: `O(|R|·(k+1)² + (users + items)·(k+1)³)` — a `(k+1)×(k+1)` Gram matrix and
//! Cholesky factorization per user and per item, as in ALS.
//!
//! The first `burn_in` sweeps are discarded; after that, every `thin`-th sweep is kept, so a
//! fit of `epochs` sweeps keeps `S = ⌊(epochs − burn_in)/thin⌋` samples. Early stopping does
//! not apply (more samples only refine the average); `patience` must be 0.
//!
//! # Stored as an ordinary factor model
//! The average of `p_u^s·q_i^s` over the `S` kept samples equals the inner product of the
//! concatenations `P_u = [p_u^1, …, p_u^S]/√S` and `Q_i = [q_i^1, …, q_i^S]/√S`:
//! `P_u·Q_i = Σ_s p_u^s·q_i^s / S`. The biases enter linearly, so their average is exact too.
//! The fitted [`Model`] therefore has rank `S·k`, and prediction, `recommend`, `similar` and
//! the model artifact work unchanged (`similar` then compares items by their whole posterior
//! sample, which is the natural cosine for this model).
//!
//! # Determinism
//! Every draw comes from a ChaCha8 stream keyed by `(seed, sweep, side)` and numbered by the
//! user (item) index, and the parallel loops only write their own row: the same seed gives the
//! same bits whatever the thread count.
//!
//! # Errors
//! Invalid parameters (`patience > 0`, `epochs < burn_in + thin`, …) and a posterior precision
//! that is not positive definite (only possible with absurd scales: ratings or `α` so large
//! that the sums overflow) are reported as [`MfError::InvalidParameter`].
//!
//! # References
//! R. Salakhutdinov, A. Mnih, "Bayesian probabilistic matrix factorization using Markov chain
//! Monte Carlo", ICML 2008. Bartlett decomposition of the Wishart: A. Bartlett, 1933.

use std::time::Instant;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{ChiSquared, Distribution, Normal, StandardNormal};
use rayon::prelude::*;

use crate::data::{Index, Ratings};
use crate::linalg::{add_outer_lower, axpy, cholesky_solve, symmetrize};
use crate::model::{dot, Hyper, Model, ModelKind};
use crate::train::{EpochStats, FitSummary};
use crate::MfError;

/// Normal–Wishart hyper-prior strength on the prior mean (`β₀`).
const BETA0: f64 = 2.0;

/// Which side of the factorization a draw is for (it keys the random streams).
#[derive(Clone, Copy)]
enum Side {
    Users = 1,
    Items = 2,
}

/// Number of samples a fit with these parameters keeps: `⌊(epochs − burn_in)/thin⌋`.
pub(crate) fn kept_samples(h: &Hyper) -> usize {
    h.epochs.saturating_sub(h.burn_in) / h.thin.max(1)
}

/// Whether sweep `s` (1-based) is kept.
fn is_kept(h: &Hyper, s: usize) -> bool {
    s > h.burn_in && (s - h.burn_in).is_multiple_of(h.thin)
}

/// The random stream of one (sweep, side, row); `row = None` is the hyper-prior draw.
fn stream(seed: u64, sweep: usize, side: Side, row: Option<usize>) -> ChaCha8Rng {
    let key = seed
        ^ (sweep as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (side as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
    let mut rng = ChaCha8Rng::seed_from_u64(key);
    rng.set_stream(row.map_or(0, |r| r as u64 + 1));
    rng
}

/// A draw of a Gaussian prior `N(mean, Λ⁻¹)`, kept as `Λ` and `Λ·mean`.
struct Prior {
    precision: Vec<f64>,
    precision_mean: Vec<f64>,
}

/// Fits BPMF; called by [`crate::fit`] for [`ModelKind::BayesMf`], after it has validated
/// `hyper` and checked that `train` is not empty. `valid`, if given, is scored after every
/// sweep with the running posterior mean (the current sample's prediction during burn-in).
pub(crate) fn fit(
    train: &Ratings,
    valid: Option<&Ratings>,
    hyper: &Hyper,
    on_epoch: &mut dyn FnMut(&EpochStats) -> bool,
) -> Result<(Model, FitSummary), MfError> {
    if hyper.patience > 0 {
        return Err(MfError::InvalidParameter {
            name: "patience",
            value: hyper.patience.to_string(),
            expected: "0: early stopping does not apply to bayes-mf (its prediction averages \
                       every kept sample, and more samples only refine it)",
        });
    }
    let k = hyper.rank;
    let d = k + 1;
    let kept = kept_samples(hyper);
    let by_user = train.by_user();
    let by_item = train.by_item();
    let mu = train.mean();
    let alpha = hyper.noise_precision;

    let mut rng = ChaCha8Rng::seed_from_u64(hyper.seed);
    let init = Normal::new(0.0, hyper.init_std).expect("validated std");
    let mut init_rows = |n: usize, index: &Index| -> Vec<f64> {
        let mut v = vec![0.0; n * d];
        for (g, row) in v.chunks_mut(d).enumerate() {
            for x in &mut row[..k] {
                *x = init.sample(&mut rng);
            }
            if index.count(g) == 0 {
                row.iter_mut().for_each(|x| *x = 0.0);
            }
        }
        v
    };
    let mut users = init_rows(train.n_users, &by_user);
    let mut items = init_rows(train.n_items, &by_item);

    // Accumulated samples, laid out as the final model: row u is [p_u^1, …, p_u^S].
    let width = kept * k;
    let mut p_all = vec![0.0; train.n_users * width];
    let mut q_all = vec![0.0; train.n_items * width];
    let mut bu_sum = vec![0.0; train.n_users];
    let mut bi_sum = vec![0.0; train.n_items];
    let mut train_eval = RunningEval::new(train, train.n_users, train.n_items, &by_user, &by_item);
    let mut valid_eval =
        valid.map(|v| RunningEval::new(v, train.n_users, train.n_items, &by_user, &by_item));

    let mut history = Vec::with_capacity(hyper.epochs);
    let mut train_seconds = 0.0;
    let mut taken = 0usize;
    for sweep in 1..=hyper.epochs {
        let t0 = Instant::now();
        let prior = sample_prior(&users, &by_user, d, hyper.seed, sweep, Side::Users)?;
        sample_side(
            &mut users,
            &by_user,
            &items,
            &train.items,
            &train.values,
            mu,
            alpha,
            &prior,
            hyper.seed,
            sweep,
            Side::Users,
        )?;
        let prior = sample_prior(&items, &by_item, d, hyper.seed, sweep, Side::Items)?;
        sample_side(
            &mut items,
            &by_item,
            &users,
            &train.users,
            &train.values,
            mu,
            alpha,
            &prior,
            hyper.seed,
            sweep,
            Side::Items,
        )?;
        let keep = is_kept(hyper, sweep);
        if keep {
            store_sample(&mut p_all, &mut bu_sum, &users, k, width, taken);
            store_sample(&mut q_all, &mut bi_sum, &items, k, width, taken);
            taken += 1;
        }
        train_seconds += t0.elapsed().as_secs_f64();
        let sample = Sample {
            mu,
            users: &users,
            items: &items,
            k,
        };
        let train_rmse = train_eval.update(&sample, keep, hyper.clip);
        let valid_rmse = valid_eval
            .as_mut()
            .map(|e| e.update(&sample, keep, hyper.clip));
        let stats = EpochStats {
            epoch: sweep,
            lr: 0.0,
            train_rmse: Some(train_rmse),
            valid: valid_rmse,
            seconds: t0.elapsed().as_secs_f64(),
        };
        let go_on = on_epoch(&stats);
        history.push(stats);
        if !go_on {
            return Err(MfError::Cancelled);
        }
    }
    debug_assert_eq!(taken, kept);
    // P_u·Q_i = Σ_s p_u^s·q_i^s / S: scale both sides by 1/√S.
    let scale = 1.0 / (kept as f64).sqrt();
    p_all.par_iter_mut().for_each(|x| *x *= scale);
    q_all.par_iter_mut().for_each(|x| *x *= scale);
    let inv = 1.0 / kept as f64;
    bu_sum.iter_mut().for_each(|x| *x *= inv);
    bi_sum.iter_mut().for_each(|x| *x *= inv);
    let model = Model {
        kind: ModelKind::BayesMf,
        rank: width,
        global_mean: mu,
        user_bias: bu_sum,
        item_bias: bi_sum,
        p: p_all,
        q: q_all,
        n_users: train.n_users,
        n_items: train.n_items,
        clip: hyper.clip,
        popularity: (0..train.n_items)
            .map(|i| by_item.count(i) as f64)
            .collect(),
        user_count: (0..train.n_users)
            .map(|u| by_user.count(u) as f64)
            .collect(),
    };
    let processed = train.len() as f64 * history.len() as f64;
    Ok((
        model,
        FitSummary {
            best_epoch: history.len(),
            history,
            stopped_early: false,
            valid_metric: "rmse",
            train_seconds,
            ratings_per_second: processed / train_seconds.max(1e-12),
        },
    ))
}

/// Copies sample number `s` of the factors into its block of columns and adds the biases.
fn store_sample(
    all: &mut [f64],
    bias_sum: &mut [f64],
    rows: &[f64],
    k: usize,
    width: usize,
    s: usize,
) {
    let d = k + 1;
    all.par_chunks_mut(width.max(1))
        .zip(bias_sum.par_iter_mut())
        .zip(rows.par_chunks(d))
        .for_each(|((dst, b), row)| {
            dst[s * k..(s + 1) * k].copy_from_slice(&row[..k]);
            *b += row[k];
        });
}

/// Draws `(μ, Λ)` of one side from its Normal–Wishart posterior given the current vectors of
/// the rows that have ratings (rows without any are not part of the model).
fn sample_prior(
    rows: &[f64],
    index: &Index,
    d: usize,
    seed: u64,
    sweep: usize,
    side: Side,
) -> Result<Prior, MfError> {
    let mut rng = stream(seed, sweep, side, None);
    let active: Vec<&[f64]> = rows
        .chunks(d)
        .enumerate()
        .filter(|(g, _)| index.count(*g) > 0)
        .map(|(_, r)| r)
        .collect();
    let n = active.len() as f64;
    let mut mean = vec![0.0; d];
    for r in &active {
        axpy(&mut mean, 1.0, r);
    }
    mean.iter_mut().for_each(|x| *x /= n.max(1.0));
    // W*⁻¹ = W₀⁻¹ + Σ (x − x̄)(x − x̄)ᵀ + β₀N/(β₀+N) x̄x̄ᵀ, with W₀ = I and μ₀ = 0.
    let mut w_inv = vec![0.0; d * d];
    let mut centred = vec![0.0; d];
    for r in &active {
        for j in 0..d {
            centred[j] = r[j] - mean[j];
        }
        add_outer_lower(&mut w_inv, &centred, 1.0, d);
    }
    add_outer_lower(&mut w_inv, &mean, BETA0 * n / (BETA0 + n), d);
    for j in 0..d {
        w_inv[j * d + j] += 1.0;
    }
    symmetrize(&mut w_inv, d);
    let nu = d as f64 + n;
    let beta = BETA0 + n;
    let mu_star: Vec<f64> = mean.iter().map(|m| n * m / beta).collect();
    // W*⁻¹ = R Rᵀ. With L = R⁻ᵀ, L Lᵀ = W*, and Λ = L A Aᵀ Lᵀ ~ Wishart(W*, ν) when A is the
    // Bartlett factor: lower triangular, A_jj = √χ²(ν − j), A_ij ~ N(0, 1) below.
    let mut r_chol = w_inv;
    if !cholesky_lower(&mut r_chol, d) {
        return Err(not_positive_definite(sweep, side, None));
    }
    let mut a = vec![0.0; d * d];
    for j in 0..d {
        let chi = ChiSquared::new(nu - j as f64).expect("ν − j > 0 since ν ≥ d");
        a[j * d + j] = chi.sample(&mut rng).sqrt();
        for i in j + 1..d {
            a[i * d + j] = StandardNormal.sample(&mut rng);
        }
    }
    // B = R⁻ᵀ A (solve Rᵀ B = A column by column); Λ = B Bᵀ.
    let mut b = a.clone();
    for c in 0..d {
        for i in (0..d).rev() {
            let mut s = b[i * d + c];
            for m in i + 1..d {
                s -= r_chol[m * d + i] * b[m * d + c];
            }
            b[i * d + c] = s / r_chol[i * d + i];
        }
    }
    let mut precision = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..=i {
            let s = dot(&b[i * d..(i + 1) * d], &b[j * d..(j + 1) * d]);
            precision[i * d + j] = s;
            precision[j * d + i] = s;
        }
    }
    // μ ~ N(μ*, (βΛ)⁻¹): (βΛ)⁻¹ = B⁻ᵀB⁻¹/β and B⁻ᵀ = R A⁻ᵀ, so μ = μ* + R (A⁻ᵀ ε)/√β.
    let mut e: Vec<f64> = (0..d).map(|_| StandardNormal.sample(&mut rng)).collect();
    for i in (0..d).rev() {
        let mut s = e[i];
        for m in i + 1..d {
            s -= a[m * d + i] * e[m];
        }
        e[i] = s / a[i * d + i];
    }
    let mut prior_mean = mu_star;
    let sb = 1.0 / beta.sqrt();
    for i in 0..d {
        let s: f64 = (0..=i).map(|m| r_chol[i * d + m] * e[m]).sum();
        prior_mean[i] += s * sb;
    }
    let precision_mean: Vec<f64> = (0..d)
        .map(|i| dot(&precision[i * d..(i + 1) * d], &prior_mean))
        .collect();
    Ok(Prior {
        precision,
        precision_mean,
    })
}

/// Draws every row of one side from its Gaussian conditional given the other side:
/// precision `Λ + α Σ z zᵀ`, mean `(Λ + α Σ z zᵀ)⁻¹ (Λμ + α Σ z t)` with `z = [other, 1]` and
/// `t = r − μ − (other's bias)`.
#[allow(clippy::too_many_arguments)]
fn sample_side(
    rows: &mut [f64],
    index: &Index,
    other: &[f64],
    other_of: &[u32],
    values: &[f32],
    mu: f64,
    alpha: f64,
    prior: &Prior,
    seed: u64,
    sweep: usize,
    side: Side,
) -> Result<(), MfError> {
    let d = prior.precision_mean.len();
    let k = d - 1;
    rows.par_chunks_mut(d).enumerate().try_for_each_init(
        || (vec![0.0; d * d], vec![0.0; d], vec![0.0; d]),
        |(a, h, z), (g, row)| {
            let group = index.group(g);
            if group.is_empty() {
                return Ok(());
            }
            // Rank-1 updates of the lower triangle: measured faster than gathering the
            // regressors by feature and taking one dot product per Gram entry (k ≤ 32).
            a.iter_mut().for_each(|x| *x = 0.0);
            h.iter_mut().for_each(|x| *x = 0.0);
            for &pos in group {
                let pos = pos as usize;
                let o = other_of[pos] as usize;
                let y = &other[o * d..(o + 1) * d];
                z[..k].copy_from_slice(&y[..k]);
                z[k] = 1.0;
                let t = values[pos] as f64 - mu - y[k];
                add_outer_lower(a, z, 1.0, d);
                axpy(h, t, z);
            }
            for i in 0..d {
                for j in 0..=i {
                    a[i * d + j] = alpha * a[i * d + j] + prior.precision[i * d + j];
                }
                h[i] = alpha * h[i] + prior.precision_mean[i];
            }
            symmetrize(a, d);
            // h ← mean; a ← L with L Lᵀ the posterior precision.
            if !cholesky_solve(a, h, d) {
                return Err(not_positive_definite(sweep, side, Some(g)));
            }
            // x = mean + L⁻ᵀ ε has covariance L⁻ᵀL⁻¹ = (L Lᵀ)⁻¹.
            let mut rng = stream(seed, sweep, side, Some(g));
            for zi in z.iter_mut() {
                *zi = StandardNormal.sample(&mut rng);
            }
            for i in (0..d).rev() {
                let mut s = z[i];
                for m in i + 1..d {
                    s -= a[m * d + i] * z[m];
                }
                z[i] = s / a[i * d + i];
            }
            for i in 0..d {
                row[i] = h[i] + z[i];
            }
            if row.iter().any(|x| !x.is_finite()) {
                return Err(not_positive_definite(sweep, side, Some(g)));
            }
            Ok(())
        },
    )
}

fn not_positive_definite(sweep: usize, side: Side, row: Option<usize>) -> MfError {
    let what = match (side, row) {
        (Side::Users, Some(g)) => format!("the posterior of user index {g}"),
        (Side::Items, Some(g)) => format!("the posterior of item index {g}"),
        (Side::Users, None) => "the users' hyper-prior".into(),
        (Side::Items, None) => "the items' hyper-prior".into(),
    };
    MfError::InvalidParameter {
        name: "noise-precision",
        value: format!(
            "(at sweep {sweep}, {what} had a precision matrix that is not positive definite \
             or a non-finite draw)"
        ),
        expected: "a smaller observation precision, or ratings on a moderate scale",
    }
}

/// Cholesky factorization in place: the lower triangle of row-major `a` becomes `L` with
/// `L Lᵀ = a`. Returns false if `a` is not positive definite.
fn cholesky_lower(a: &mut [f64], n: usize) -> bool {
    for j in 0..n {
        let mut s = a[j * n + j];
        for m in 0..j {
            s -= a[j * n + m] * a[j * n + m];
        }
        if !(s > 0.0 && s.is_finite()) {
            return false;
        }
        let s = s.sqrt();
        a[j * n + j] = s;
        for i in j + 1..n {
            let mut t = a[i * n + j];
            for m in 0..j {
                t -= a[i * n + m] * a[j * n + m];
            }
            a[i * n + j] = t / s;
        }
        for i in 0..j {
            a[i * n + j] = 0.0;
        }
    }
    true
}

/// One Gibbs sample: the current user and item vectors.
struct Sample<'a> {
    mu: f64,
    users: &'a [f64],
    items: &'a [f64],
    k: usize,
}

impl Sample<'_> {
    /// The sample's (unclipped) prediction, with the same fallbacks as [`Model::predict`].
    fn predict(&self, u: usize, i: usize, ku: bool, ki: bool) -> f64 {
        let d = self.k + 1;
        let mut x = self.mu;
        if ku {
            x += self.users[u * d + self.k];
        }
        if ki {
            x += self.items[i * d + self.k];
        }
        if ku && ki {
            x += dot(
                &self.users[u * d..u * d + self.k],
                &self.items[i * d..i * d + self.k],
            );
        }
        x
    }
}

/// The running posterior-mean RMSE on a fixed set of ratings.
struct RunningEval<'a> {
    ratings: &'a Ratings,
    /// Per rating: whether its user and item are known to the model.
    known: Vec<(bool, bool)>,
    sum: Vec<f64>,
    count: usize,
}

impl<'a> RunningEval<'a> {
    fn new(
        ratings: &'a Ratings,
        n_users: usize,
        n_items: usize,
        by_user: &Index,
        by_item: &Index,
    ) -> Self {
        let known = (0..ratings.len())
            .map(|p| {
                let (u, i) = (ratings.users[p] as usize, ratings.items[p] as usize);
                (
                    u < n_users && by_user.count(u) > 0,
                    i < n_items && by_item.count(i) > 0,
                )
            })
            .collect();
        RunningEval {
            ratings,
            known,
            sum: vec![0.0; ratings.len()],
            count: 0,
        }
    }

    /// Adds the sample to the average if it is kept, and returns the RMSE of the clipped
    /// average (of the sample alone while nothing is kept yet).
    fn update(&mut self, s: &Sample<'_>, keep: bool, clip: Option<(f64, f64)>) -> f64 {
        let r = self.ratings;
        let clipped = |x: f64| clip.map_or(x, |(lo, hi)| x.clamp(lo, hi));
        if keep {
            self.count += 1;
        }
        let count = self.count;
        let sse: f64 = self
            .sum
            .par_iter_mut()
            .enumerate()
            .map(|(p, acc)| {
                let (ku, ki) = self.known[p];
                let x = s.predict(r.users[p] as usize, r.items[p] as usize, ku, ki);
                let pred = if keep {
                    *acc += x;
                    *acc / count as f64
                } else if count > 0 {
                    *acc / count as f64
                } else {
                    x
                };
                let e = r.values[p] as f64 - clipped(pred);
                e * e
            })
            .collect::<Vec<f64>>()
            .iter()
            .sum();
        (sse / r.len().max(1) as f64).sqrt()
    }
}
