//! k-fold cross-validation over a set of candidate hyper-parameters.
//!
//! Each candidate is trained on every fold's training part for its full `epochs`, and the
//! held-out fold's error is recorded after every epoch. The curves are averaged over folds and
//! the epoch count with the lowest mean error is chosen with the other parameters — the number
//! of epochs is a hyper-parameter like the others, picked on held-out data only. For
//! `bayes-mf` an epoch is a Gibbs sweep and the curve is the running posterior mean's error;
//! only chain lengths that keep at least one sample (`burn_in + thin` sweeps or more) are
//! candidates.

use std::time::Instant;

use crate::split::Split;
use crate::train::fit;
use crate::{Hyper, MfError, Ratings};

/// One candidate's cross-validated result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CvResult {
    /// The parameters, with `epochs` set to the chosen epoch count.
    pub hyper: Hyper,
    /// Mean held-out figure at the chosen epoch (RMSE, or NDCG@10 for implicit models).
    pub mean: f64,
    /// Standard deviation over folds at the chosen epoch.
    pub std: f64,
    /// Per-fold figure at the chosen epoch.
    pub folds: Vec<f64>,
    /// Mean training RMSE at the chosen epoch (explicit models): the gap to `mean` shows
    /// how much the model overfits.
    pub train_mean: Option<f64>,
    /// Wall time for all folds.
    pub seconds: f64,
}

/// Cross-validates every candidate on `folds`; results sorted best first.
pub fn cross_validate(
    ratings: &Ratings,
    folds: &[Split],
    candidates: &[Hyper],
    on_fit: &mut dyn FnMut(usize, usize),
) -> Result<Vec<CvResult>, MfError> {
    let mut out = Vec::with_capacity(candidates.len());
    for (c, hyper) in candidates.iter().enumerate() {
        let t0 = Instant::now();
        let explicit = hyper.model.is_explicit();
        let mut curves: Vec<Vec<f64>> = Vec::new();
        let mut train_curves: Vec<Vec<f64>> = Vec::new();
        for (f, fold) in folds.iter().enumerate() {
            on_fit(c, f);
            let train = ratings.subset(&fold.train);
            let test = ratings.subset(&fold.test);
            let h = Hyper {
                patience: 0,
                ..hyper.clone()
            };
            let (_, summary) = fit(&train, Some(&test), &h, &mut |_| true)?;
            curves.push(
                summary
                    .history
                    .iter()
                    .map(|e| e.valid.unwrap_or(f64::NAN))
                    .collect(),
            );
            train_curves.push(
                summary
                    .history
                    .iter()
                    .map(|e| e.train_rmse.unwrap_or(f64::NAN))
                    .collect(),
            );
        }
        let epochs = curves.iter().map(Vec::len).min().unwrap_or(0);
        let mean_at = |e: usize| curves.iter().map(|c| c[e]).sum::<f64>() / curves.len() as f64;
        // bayes-mf keeps no sample before `burn_in + thin` sweeps: a shorter chain is not a
        // valid candidate (its curve there is a single sample's error, not the model's).
        let first = if hyper.model == crate::ModelKind::BayesMf {
            (hyper.burn_in + hyper.thin - 1).min(epochs.saturating_sub(1))
        } else {
            0
        };
        let best = (first..epochs)
            .max_by(|&a, &b| {
                let (x, y) = (mean_at(a), mean_at(b));
                let ord = if explicit {
                    y.total_cmp(&x)
                } else {
                    x.total_cmp(&y)
                };
                // Prefer the earlier epoch on ties.
                ord.then(b.cmp(&a))
            })
            .unwrap_or(first);
        let per_fold: Vec<f64> = curves.iter().map(|c| c[best]).collect();
        let mean = mean_at(best);
        let std = (per_fold.iter().map(|x| (x - mean).powi(2)).sum::<f64>()
            / (per_fold.len().max(2) - 1) as f64)
            .sqrt();
        let train_mean = explicit
            .then(|| train_curves.iter().map(|c| c[best]).sum::<f64>() / train_curves.len() as f64);
        out.push(CvResult {
            hyper: Hyper {
                epochs: best + 1,
                ..hyper.clone()
            },
            mean,
            std,
            folds: per_fold,
            train_mean,
            seconds: t0.elapsed().as_secs_f64(),
        });
    }
    let explicit = candidates.first().is_none_or(|h| h.model.is_explicit());
    out.sort_by(|a, b| {
        if explicit {
            a.mean.total_cmp(&b.mean)
        } else {
            b.mean.total_cmp(&a.mean)
        }
    });
    Ok(out)
}
