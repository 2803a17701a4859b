//! Error and ranking metrics.

use rayon::prelude::*;

use crate::data::{Index, Ratings};
use crate::model::Model;
use crate::recommend::top_n;

/// RMSE and MAE of the model's predictions on `ratings` (unknown users/items use the
/// fallbacks). Summed in fixed chunks, so the result does not depend on the thread count.
pub fn rmse_mae(model: &Model, ratings: &Ratings) -> (f64, f64) {
    if ratings.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    const CHUNK: usize = 4096;
    let sums: Vec<(f64, f64)> = (0..ratings.len().div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let (mut se, mut ae) = (0.0, 0.0);
            for p in c * CHUNK..((c + 1) * CHUNK).min(ratings.len()) {
                let (pred, _) = model.predict(ratings.users[p] as usize, ratings.items[p] as usize);
                let e = ratings.values[p] as f64 - pred;
                se += e * e;
                ae += e.abs();
            }
            (se, ae)
        })
        .collect();
    let (se, ae) = sums
        .iter()
        .fold((0.0, 0.0), |(a, b), (c, d)| (a + c, b + d));
    let n = ratings.len() as f64;
    ((se / n).sqrt(), ae / n)
}

/// Ranking quality at a cut-off, averaged over the test users.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RankingMetrics {
    /// Cut-off `k`.
    pub k: usize,
    /// Mean fraction of the top-k that are test items.
    pub precision: f64,
    /// Mean fraction of the user's test items found in the top-k.
    pub recall: f64,
    /// Mean normalized discounted cumulative gain (binary relevance).
    pub ndcg: f64,
    /// Test users evaluated (known to the model, with at least one test item).
    pub users: usize,
}

/// Precision, recall and NDCG at `k` of the model's recommendations (items already in
/// `train` excluded) against the items of each user in `test`.
pub fn ranking_metrics(
    model: &Model,
    train_by_user: &Index,
    train: &Ratings,
    test: &Ratings,
    k: usize,
) -> RankingMetrics {
    let test_by_user = Index::build_for(&test.users, model.n_users.max(test.n_users));
    let users: Vec<usize> = (0..model.n_users)
        .filter(|&u| test_by_user.count(u) > 0 && model.knows_user(u))
        .collect();
    let per_user: Vec<(f64, f64, f64)> = users
        .par_iter()
        .map(|&u| {
            let mut seen: Vec<u32> = train_by_user
                .group(u)
                .iter()
                .map(|&p| train.items[p as usize])
                .collect();
            seen.sort_unstable();
            let mut relevant: Vec<u32> = test_by_user
                .group(u)
                .iter()
                .map(|&p| test.items[p as usize])
                .filter(|i| seen.binary_search(i).is_err())
                .collect();
            relevant.sort_unstable();
            relevant.dedup();
            if relevant.is_empty() {
                return (f64::NAN, f64::NAN, f64::NAN);
            }
            let top = top_n(model, Some(u), &seen, k);
            let hits: Vec<bool> = top
                .iter()
                .map(|&(i, _)| relevant.binary_search(&(i as u32)).is_ok())
                .collect();
            let nhit = hits.iter().filter(|&&h| h).count() as f64;
            let dcg: f64 = hits
                .iter()
                .enumerate()
                .filter(|(_, &h)| h)
                .map(|(r, _)| 1.0 / ((r + 2) as f64).log2())
                .sum();
            let idcg: f64 = (0..relevant.len().min(k))
                .map(|r| 1.0 / ((r + 2) as f64).log2())
                .sum();
            (nhit / k as f64, nhit / relevant.len() as f64, dcg / idcg)
        })
        .collect();
    let valid: Vec<&(f64, f64, f64)> = per_user.iter().filter(|t| t.0.is_finite()).collect();
    let n = valid.len().max(1) as f64;
    // `+ 0.0` turns the −0.0 of an empty float sum into 0.
    RankingMetrics {
        k,
        precision: valid.iter().map(|t| t.0).sum::<f64>() / n + 0.0,
        recall: valid.iter().map(|t| t.1).sum::<f64>() / n + 0.0,
        ndcg: valid.iter().map(|t| t.2).sum::<f64>() / n + 0.0,
        users: valid.len(),
    }
}
