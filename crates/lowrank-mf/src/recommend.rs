//! Top-n recommendations and similar items, by partial selection (no full sort of all items).

use crate::model::{dot, Model};
use crate::MfError;

/// The `n` best-scored items for user `u` that are not in `seen` (sorted ascending), best
/// first, ties broken by item index. An unknown user (`None` or an index the model does not
/// know) gets the most popular items of the training data.
pub fn top_n(model: &Model, user: Option<usize>, seen: &[u32], n: usize) -> Vec<(usize, f64)> {
    let known = user.filter(|&u| model.knows_user(u));
    let score = |i: usize| -> f64 {
        match known {
            Some(u) => {
                let inter = if model.rank > 0 {
                    dot(model.user_factors(u), model.item_factors(i))
                } else {
                    0.0
                };
                let bias = model.item_bias.get(i).copied().unwrap_or(0.0);
                // Unclipped: clipping would tie every item above the top of the scale.
                inter + bias
            }
            None => model.popularity.get(i).copied().unwrap_or(0.0),
        }
    };
    // Items without training ratings have untrained factors: the model never recommends them.
    let mut cand: Vec<(usize, f64)> = (0..model.n_items)
        .filter(|&i| known.is_none() || model.knows_item(i))
        .filter(|i| seen.binary_search(&(*i as u32)).is_err())
        .map(|i| (i, score(i)))
        .collect();
    select_best(&mut cand, n);
    if known.is_some() {
        let base = model.global_mean
            + known
                .and_then(|u| model.user_bias.get(u).copied())
                .unwrap_or(0.0);
        if model.kind.is_explicit() {
            for c in &mut cand {
                c.1 = model.clip_value(c.1 + base);
            }
        }
    }
    cand
}

/// Keeps the `n` largest scores, sorted best first (ties: lower index first).
fn select_best(cand: &mut Vec<(usize, f64)>, n: usize) {
    let better = |a: &(usize, f64), b: &(usize, f64)| {
        b.1.partial_cmp(&a.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.0.cmp(&b.0))
    };
    if n < cand.len() {
        if n == 0 {
            cand.clear();
            return;
        }
        cand.select_nth_unstable_by(n - 1, better);
        cand.truncate(n);
    }
    cand.sort_by(better);
}

/// The `n` items most similar to `item` by cosine similarity of the item factors.
pub fn similar_items(model: &Model, item: usize, n: usize) -> Result<Vec<(usize, f64)>, MfError> {
    if model.rank == 0 {
        return Err(MfError::InvalidParameter {
            name: "model",
            value: model.kind.name().into(),
            expected: "a model with item factors (the baseline has none)",
        });
    }
    if !model.knows_item(item) {
        return Err(MfError::InvalidParameter {
            name: "item",
            value: item.to_string(),
            expected: "an item the model was trained on",
        });
    }
    let norm = |i: usize| dot(model.item_factors(i), model.item_factors(i)).sqrt();
    let target = model.item_factors(item);
    let tn = norm(item);
    let mut cand: Vec<(usize, f64)> = (0..model.n_items)
        .filter(|&i| i != item && model.knows_item(i))
        .map(|i| {
            let d = tn * norm(i);
            (
                i,
                if d > 0.0 {
                    dot(target, model.item_factors(i)) / d
                } else {
                    0.0
                },
            )
        })
        .collect();
    select_best(&mut cand, n);
    Ok(cand)
}
