//! Models, their hyper-parameters, and prediction with fallbacks for unknown users and items.

use serde::{Deserialize, Serialize};

use crate::MfError;

/// Which model to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// Global mean plus regularized user and item biases.
    Baseline,
    /// Biases plus a rank-k inner product `p_u·q_i` ("Funk SVD").
    BiasedMf,
    /// Biased MF whose user vector also sums learned vectors of the items the user rated
    /// (Koren 2008), so *which* items were rated informs the prediction.
    #[serde(rename = "svdpp")]
    SvdPp,
    /// Confidence-weighted factorization of implicit feedback (Hu, Koren & Volinsky 2008).
    ImplicitAls,
    /// Bayesian biased MF fitted by Gibbs sampling (Salakhutdinov & Mnih 2008): the prediction
    /// averages many posterior samples, and the regularization is learned by hyper-priors, so
    /// no `λ` needs tuning. The fitted [`Model`] concatenates the kept samples (rank
    /// `samples × k`), which makes its inner products exactly the posterior average.
    ///
    /// ```
    /// use lowrank_mf::{fit, Hyper, ModelKind, Ratings};
    /// let r = Ratings::new(vec![0, 0, 1, 1, 2], vec![0, 1, 1, 2, 0], vec![5.0, 3.0, 4.0, 1.0, 4.0], None, 3, 3)?;
    /// // 12 sweeps, the first 4 discarded, every 2nd kept: 4 samples of rank 2.
    /// let hyper = Hyper { rank: 2, epochs: 12, burn_in: 4, thin: 2, ..Hyper::for_model(ModelKind::BayesMf) };
    /// let (model, summary) = fit(&r, None, &hyper, &mut |_| true)?;
    /// assert_eq!(model.rank, 4 * 2);
    /// assert_eq!(summary.history.len(), 12);
    /// assert!(model.predict(0, 2).0.is_finite());
    /// # Ok::<(), lowrank_mf::MfError>(())
    /// ```
    BayesMf,
}

impl ModelKind {
    /// The name used on the command line and in artifacts.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Baseline => "baseline",
            ModelKind::BiasedMf => "biased-mf",
            ModelKind::SvdPp => "svdpp",
            ModelKind::ImplicitAls => "implicit-als",
            ModelKind::BayesMf => "bayes-mf",
        }
    }
    /// Whether the model predicts ratings (evaluated by RMSE) rather than rankings.
    pub fn is_explicit(self) -> bool {
        !matches!(self, ModelKind::ImplicitAls)
    }
}

/// How the explicit models are trained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Solver {
    /// Stochastic gradient descent, block-partitioned so blocks run in parallel.
    Sgd,
    /// Alternating least squares: a closed-form regularized solve per user, then per item.
    Als,
}

/// Everything that defines a fit. Defaults are the ones `lowrank mf fit` uses (see
/// `docs/recommenders.md` for how they were chosen).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hyper {
    /// Model.
    pub model: ModelKind,
    /// Solver for the explicit models (implicit ALS always uses ALS with CG).
    pub solver: Solver,
    /// Number of latent factors.
    pub rank: usize,
    /// L2 strength on the factors.
    pub reg: f64,
    /// L2 strength on the biases.
    pub reg_bias: f64,
    /// SGD learning rate at epoch 1.
    pub lr: f64,
    /// Learning rate multiplier applied after every epoch (1 = constant).
    pub lr_decay: f64,
    /// Maximum number of epochs (full passes, or ALS sweeps).
    pub epochs: usize,
    /// Early stopping: stop after this many epochs without a better validation error (0 = off).
    /// The best epoch's model is kept, not the last one.
    pub patience: usize,
    /// Standard deviation of the initial factors.
    pub init_std: f64,
    /// Implicit feedback: confidence `1 + alpha·r`.
    pub alpha: f64,
    /// Implicit feedback: conjugate-gradient steps per user/item solve.
    pub cg_steps: usize,
    /// Predictions are clipped to this range (the rating scale), if set.
    pub clip: Option<(f64, f64)>,
    /// Seed of the initialisation and of the SGD order (bayes-mf: of every draw).
    pub seed: u64,
    /// bayes-mf: Gibbs sweeps discarded before samples are kept.
    #[serde(default)]
    pub burn_in: usize,
    /// bayes-mf: after the burn-in, every `thin`-th sweep is kept; the model stores
    /// `(epochs − burn_in)/thin` samples, so its factor count is that times `rank`.
    #[serde(default = "one")]
    pub thin: usize,
    /// bayes-mf: precision `α` of the rating noise, `r ~ N(prediction, 1/α)`.
    #[serde(default = "two")]
    pub noise_precision: f64,
}

fn one() -> usize {
    1
}

fn two() -> f64 {
    2.0
}

impl Default for Hyper {
    fn default() -> Self {
        Hyper {
            model: ModelKind::BiasedMf,
            solver: Solver::Sgd,
            rank: 64,
            reg: 0.1,
            reg_bias: 0.01,
            lr: 0.01,
            lr_decay: 1.0,
            epochs: 45,
            patience: 5,
            init_std: 0.05,
            alpha: 20.0,
            cg_steps: 3,
            clip: None,
            seed: 0,
            burn_in: 0,
            thin: 1,
            noise_precision: 2.0,
        }
    }
}

impl Hyper {
    /// The defaults for `model` — what `lowrank mf fit --model NAME` uses with no other
    /// option. Chosen by cross-validation on the training part of MovieLens-100k fold 1 only
    /// (see `docs/recommenders.md`).
    pub fn for_model(model: ModelKind) -> Hyper {
        let base = Hyper::default();
        match model {
            ModelKind::Baseline => Hyper {
                model,
                rank: 0,
                reg_bias: 0.01,
                epochs: 10,
                ..base
            },
            ModelKind::BiasedMf => base,
            ModelKind::SvdPp => Hyper {
                model,
                rank: 64,
                reg: 0.1,
                lr: 0.007,
                lr_decay: 1.0,
                epochs: 22,
                ..base
            },
            ModelKind::ImplicitAls => Hyper {
                model,
                solver: Solver::Als,
                rank: 64,
                reg: 0.1,
                alpha: 20.0,
                epochs: 15,
                ..base
            },
            ModelKind::BayesMf => Hyper {
                model,
                rank: 16,
                epochs: 200,
                burn_in: 50,
                thin: 2,
                noise_precision: 1.5,
                init_std: 0.1,
                patience: 0,
                ..base
            },
        }
    }

    /// Checks every parameter's range.
    pub fn validate(&self) -> Result<(), MfError> {
        let bad = |name, value: String, expected| {
            Err(MfError::InvalidParameter {
                name,
                value,
                expected,
            })
        };
        if self.model != ModelKind::Baseline && self.rank == 0 {
            return bad("rank", "0".into(), "at least 1");
        }
        if self.rank > 4096 {
            return bad("rank", self.rank.to_string(), "at most 4096");
        }
        for (name, v) in [("reg", self.reg), ("reg-bias", self.reg_bias)] {
            if !(v >= 0.0 && v.is_finite()) {
                return bad(name, v.to_string(), "a finite number ≥ 0");
            }
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return bad("lr", self.lr.to_string(), "a finite number > 0");
        }
        if !(self.lr_decay > 0.0 && self.lr_decay <= 1.0) {
            return bad("lr-decay", self.lr_decay.to_string(), "a number in (0, 1]");
        }
        if self.epochs == 0 {
            return bad("epochs", "0".into(), "at least 1");
        }
        if !(self.init_std >= 0.0 && self.init_std.is_finite()) {
            return bad("init-std", self.init_std.to_string(), "a finite number ≥ 0");
        }
        if !(self.alpha >= 0.0 && self.alpha.is_finite()) {
            return bad("alpha", self.alpha.to_string(), "a finite number ≥ 0");
        }
        if self.cg_steps == 0 {
            return bad("cg-steps", "0".into(), "at least 1");
        }
        if self.thin == 0 {
            return bad("thin", "0".into(), "at least 1");
        }
        if !(self.noise_precision > 0.0 && self.noise_precision <= 1e6) {
            return bad(
                "noise-precision",
                self.noise_precision.to_string(),
                "a number in (0, 1e6]",
            );
        }
        if self.model == ModelKind::BayesMf && self.epochs < self.burn_in + self.thin {
            return bad(
                "epochs",
                format!(
                    "{} (burn-in {}, thin {})",
                    self.epochs, self.burn_in, self.thin
                ),
                "at least burn-in + thin, so that one sample is kept",
            );
        }
        if let Some((lo, hi)) = self.clip {
            if !(lo < hi && lo.is_finite() && hi.is_finite()) {
                return bad("scale", format!("{lo}..{hi}"), "a finite range low < high");
            }
        }
        Ok(())
    }
}

/// A trained model: biases and factors over dense user/item indices.
///
/// Factors are row-major (`p[u*rank..(u+1)*rank]`). For SVD++ the implicit part is folded in:
/// `p` holds `p_u + |N(u)|^-½ Σ_{j∈N(u)} y_j` for the training users, which is exactly the
/// vector the prediction uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Model kind.
    pub kind: ModelKind,
    /// Number of factors (0 for the baseline).
    pub rank: usize,
    /// Mean training rating (0 for implicit feedback).
    pub global_mean: f64,
    /// User biases (empty for implicit feedback).
    pub user_bias: Vec<f64>,
    /// Item biases (empty for implicit feedback).
    pub item_bias: Vec<f64>,
    /// User factors, `n_users × rank`, row-major.
    pub p: Vec<f64>,
    /// Item factors, `n_items × rank`, row-major.
    pub q: Vec<f64>,
    /// Number of users.
    pub n_users: usize,
    /// Number of items.
    pub n_items: usize,
    /// Clip range of predictions.
    pub clip: Option<(f64, f64)>,
    /// Training interactions per item: the ranking for users the model does not know. An item
    /// with none is unknown to the model (its factors were never trained).
    pub popularity: Vec<f64>,
    /// Training ratings per user; a user with none is unknown to the model.
    pub user_count: Vec<f64>,
}

/// What a prediction rested on: unknown users and items fall back to what is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// User and item known: the full model.
    Model,
    /// Unknown user: global mean + item bias (explicit) or item popularity (implicit).
    ItemOnly,
    /// Unknown item: global mean + user bias.
    UserOnly,
    /// Neither known: the global mean.
    GlobalMean,
}

impl Model {
    /// Whether user `u` had training ratings (an index may exist for a user seen only in a
    /// validation split: its factors were never trained).
    pub fn knows_user(&self, u: usize) -> bool {
        u < self.n_users && self.user_count.get(u).is_none_or(|&c| c > 0.0)
    }
    /// Whether item `i` had training ratings.
    pub fn knows_item(&self, i: usize) -> bool {
        i < self.n_items && self.popularity.get(i).is_none_or(|&c| c > 0.0)
    }

    /// User `u`'s factor row.
    pub fn user_factors(&self, u: usize) -> &[f64] {
        &self.p[u * self.rank..(u + 1) * self.rank]
    }
    /// Item `i`'s factor row.
    pub fn item_factors(&self, i: usize) -> &[f64] {
        &self.q[i * self.rank..(i + 1) * self.rank]
    }

    /// Predicted rating (explicit) or preference score (implicit) of user `u` for item `i`.
    /// Indices at or beyond the model's counts are unknown and use the documented fallback.
    pub fn predict(&self, u: usize, i: usize) -> (f64, Basis) {
        let (ku, ki) = (self.knows_user(u), self.knows_item(i));
        let (raw, basis) = if !self.kind.is_explicit() {
            let basis = match (ku, ki) {
                (true, true) => Basis::Model,
                (false, true) => Basis::ItemOnly,
                (true, false) => Basis::UserOnly,
                (false, false) => Basis::GlobalMean,
            };
            let score = if ku && ki {
                dot(self.user_factors(u), self.item_factors(i))
            } else {
                0.0
            };
            (score, basis)
        } else {
            let bu = if ku && !self.user_bias.is_empty() {
                self.user_bias[u]
            } else {
                0.0
            };
            let bi = if ki && !self.item_bias.is_empty() {
                self.item_bias[i]
            } else {
                0.0
            };
            let inter = if ku && ki && self.rank > 0 {
                dot(self.user_factors(u), self.item_factors(i))
            } else {
                0.0
            };
            let basis = match (ku, ki) {
                (true, true) => Basis::Model,
                (false, true) => Basis::ItemOnly,
                (true, false) => Basis::UserOnly,
                (false, false) => Basis::GlobalMean,
            };
            (self.global_mean + bu + bi + inter, basis)
        };
        (self.clip_value(raw), basis)
    }

    pub(crate) fn clip_value(&self, x: f64) -> f64 {
        match self.clip {
            Some((lo, hi)) if self.kind.is_explicit() => x.clamp(lo, hi),
            _ => x,
        }
    }
}

/// Dot product in a fixed order: 16 partial sums, so that with 4-lane vectors four independent
/// accumulator chains hide the add latency (a single chain made SGD latency-bound).
#[inline(always)]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    const W: usize = 16;
    let mut acc = [0.0f64; W];
    let (ca, cb) = (a.chunks_exact(W), b.chunks_exact(W));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..W {
            acc[l] += x[l] * y[l];
        }
    }
    for (l, (x, y)) in ra.iter().zip(rb).enumerate() {
        acc[l] += x * y;
    }
    let mut s = [0.0f64; 4];
    for l in 0..4 {
        s[l] = (acc[l] + acc[l + 4]) + (acc[l + 8] + acc[l + 12]);
    }
    (s[0] + s[1]) + (s[2] + s[3])
}
