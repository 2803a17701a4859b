//! Train/test splits: random, per-user holdout, by time, and k folds. All seeded.
//!
//! A split returns rating positions, so the caller keeps one copy of the data.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::{MfError, Ratings};

/// Positions of the training and the test ratings.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Training positions.
    pub train: Vec<usize>,
    /// Test positions.
    pub test: Vec<usize>,
}

/// How a test set is carved out of the ratings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SplitKind {
    /// A uniformly random fraction of all ratings.
    Random,
    /// The same fraction of each user's ratings (users with one rating stay in training).
    PerUser,
    /// The most recent fraction of ratings by timestamp: train on the past, test on the future.
    Time,
}

fn check_fraction(fraction: f64) -> Result<(), MfError> {
    if fraction > 0.0 && fraction < 1.0 {
        Ok(())
    } else {
        Err(MfError::InvalidParameter {
            name: "holdout fraction",
            value: fraction.to_string(),
            expected: "a fraction strictly between 0 and 1",
        })
    }
}

/// Splits off `fraction` of the ratings as a test set.
pub fn split(
    ratings: &Ratings,
    kind: SplitKind,
    fraction: f64,
    seed: u64,
) -> Result<Split, MfError> {
    check_fraction(fraction)?;
    let n = ratings.len();
    if n < 2 {
        return Err(MfError::Split(format!(
            "{n} rating(s): at least two are needed to hold some out"
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let s = match kind {
        SplitKind::Random => {
            let mut perm: Vec<usize> = (0..n).collect();
            perm.shuffle(&mut rng);
            let n_test = ((n as f64 * fraction).round() as usize).clamp(1, n - 1);
            let mut test = perm[..n_test].to_vec();
            let mut train = perm[n_test..].to_vec();
            test.sort_unstable();
            train.sort_unstable();
            Split { train, test }
        }
        SplitKind::PerUser => {
            let index = ratings.by_user();
            let (mut train, mut test) = (Vec::new(), Vec::new());
            for u in 0..ratings.n_users {
                let mut group: Vec<usize> = index.group(u).iter().map(|&p| p as usize).collect();
                group.shuffle(&mut rng);
                // Every user keeps at least one training rating: a user known only from the
                // test set would measure the fallback, not the model.
                let n_test = if group.len() < 2 {
                    0
                } else {
                    ((group.len() as f64 * fraction).round() as usize).clamp(1, group.len() - 1)
                };
                test.extend_from_slice(&group[..n_test]);
                train.extend_from_slice(&group[n_test..]);
            }
            if test.is_empty() {
                return Err(MfError::Split(
                    "no user has two or more ratings, so a per-user holdout has nothing to hold out"
                        .into(),
                ));
            }
            train.sort_unstable();
            test.sort_unstable();
            Split { train, test }
        }
        SplitKind::Time => {
            let Some(times) = &ratings.times else {
                return Err(MfError::Split(
                    "a time split needs timestamps (a fourth column user,item,rating,timestamp)"
                        .into(),
                ));
            };
            let mut order: Vec<usize> = (0..n).collect();
            // Ties keep file order, so the split is deterministic.
            order.sort_by_key(|&p| (times[p], p));
            let n_test = ((n as f64 * fraction).round() as usize).clamp(1, n - 1);
            let cut = n - n_test;
            let mut train = order[..cut].to_vec();
            let mut test = order[cut..].to_vec();
            train.sort_unstable();
            test.sort_unstable();
            Split { train, test }
        }
    };
    Ok(s)
}

/// `k` folds over a seeded permutation: fold `f` tests on the `f`-th contiguous chunk.
pub fn k_folds(n: usize, k: usize, seed: u64) -> Result<Vec<Split>, MfError> {
    if k < 2 || k > n {
        return Err(MfError::InvalidParameter {
            name: "folds",
            value: k.to_string(),
            expected: "at least 2 and at most the number of ratings",
        });
    }
    let mut perm: Vec<usize> = (0..n).collect();
    perm.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    Ok((0..k)
        .map(|f| {
            let (a, b) = (f * n / k, (f + 1) * n / k);
            let mut test = perm[a..b].to_vec();
            let mut train: Vec<usize> = perm[..a].iter().chain(&perm[b..]).copied().collect();
            test.sort_unstable();
            train.sort_unstable();
            Split { train, test }
        })
        .collect())
}
