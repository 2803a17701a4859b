//! Reference tests for `bayes-mf` (BPMF by Gibbs sampling): planted low-rank ratings with
//! known noise against a test-tuned MAP fit and the oracle error, determinism across thread counts, and the stored
//! concatenated-factor model against a direct average of the individual samples.

use lowrank_mf::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// Planted ratings `3 + b_u + b_i + p_u·q_i + σ·noise` on a random `density` fraction of a
/// `users × items` grid, with the noiseless truth of every rating (the oracle's prediction).
struct Planted {
    ratings: Ratings,
    truth: Vec<f64>,
}

fn planted(users: usize, items: usize, k: usize, density: f64, noise: f64, seed: u64) -> Planted {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = Normal::new(0.0, 1.0).unwrap();
    // Entries of variance 1/√k: the interaction term has variance 1 whatever k.
    let f = 1.0 / (k as f64).powf(0.25);
    let p: Vec<f64> = (0..users * k).map(|_| n.sample(&mut rng) * f).collect();
    let q: Vec<f64> = (0..items * k).map(|_| n.sample(&mut rng) * f).collect();
    let bu: Vec<f64> = (0..users).map(|_| 0.3 * n.sample(&mut rng)).collect();
    let bi: Vec<f64> = (0..items).map(|_| 0.3 * n.sample(&mut rng)).collect();
    let (mut us, mut is, mut vs, mut truth) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for u in 0..users {
        for i in 0..items {
            if rng.random::<f64>() < density {
                let dot: f64 = (0..k).map(|d| p[u * k + d] * q[i * k + d]).sum();
                let t = 3.0 + bu[u] + bi[i] + dot;
                us.push(u as u32);
                is.push(i as u32);
                vs.push((t + noise * n.sample(&mut rng)) as f32);
                truth.push(t);
            }
        }
    }
    Planted {
        ratings: Ratings::new(us, is, vs, None, users, items).unwrap(),
        truth,
    }
}

fn rmse_of(pred: impl Iterator<Item = f64>, r: &Ratings) -> f64 {
    let sse: f64 = pred
        .zip(&r.values)
        .map(|(p, &v)| (p - v as f64).powi(2))
        .sum();
    (sse / r.len() as f64).sqrt()
}

#[test]
fn bayes_mf_untuned_matches_a_test_tuned_map_fit_on_planted_ratings() {
    // 200×150, true rank 3, 15% observed (≈4500 ratings, ≈18 per user in training), noise
    // σ = 0.5; both models get rank 10, more than the truth. With this little data per user an
    // unregularized point estimate memorises the noise, while BPMF's hyper-priors learn how
    // much to shrink and its prediction averages over the posterior.
    let (users, items, noise) = (200, 150, 0.5);
    let data = planted(users, items, 3, 0.15, noise, 11);
    let s = split(&data.ratings, SplitKind::Random, 0.2, 5).unwrap();
    let (train, test) = (data.ratings.subset(&s.train), data.ratings.subset(&s.test));
    // The oracle: the noiseless truth, whose error on the test set is the noise actually drawn
    // there (≈ σ).
    let oracle = rmse_of(s.test.iter().map(|&p| data.truth[p]), &test);
    let bayes = |rank: usize| {
        let h = Hyper {
            rank,
            epochs: 150,
            burn_in: 30,
            thin: 2,
            noise_precision: 1.0 / (noise * noise),
            ..Hyper::for_model(ModelKind::BayesMf)
        };
        let (model, summary) = fit(&train, Some(&test), &h, &mut |_| true).unwrap();
        let rmse = rmse_mae(&model, &test).0;
        // The running posterior-mean RMSE of the last sweep is the stored model's RMSE.
        let last = summary.history.last().unwrap().valid.unwrap();
        assert!((last - rmse).abs() < 1e-9, "{last} vs {rmse}");
        rmse
    };
    let (exact_rank, over_rank) = (bayes(3), bayes(10));
    // Reference: the best regularized point estimate (biased MF by ALS at the true rank), with
    // λ chosen on the test set itself — an optimistic figure no honest MAP fit can beat.
    let best_map = [0.02, 0.05, 0.1, 0.2]
        .iter()
        .map(|&reg| {
            let h = Hyper {
                model: ModelKind::BiasedMf,
                solver: Solver::Als,
                rank: 3,
                reg,
                epochs: 50,
                patience: 0,
                ..Hyper::default()
            };
            rmse_mae(&fit(&train, None, &h, &mut |_| true).unwrap().0, &test).0
        })
        .fold(f64::INFINITY, f64::min);
    let sgd = Hyper {
        model: ModelKind::BiasedMf,
        rank: 10,
        reg: 0.0,
        reg_bias: 0.0,
        lr: 0.02,
        epochs: 100,
        patience: 0,
        init_std: 0.1,
        ..Hyper::default()
    };
    let (sgd_model, _) = fit(&train, None, &sgd, &mut |_| true).unwrap();
    let sgd_rmse = rmse_mae(&sgd_model, &test).0;
    eprintln!(
        "oracle {oracle:.4}, best test-tuned ALS {best_map:.4}, bayes-mf rank 3 \
         {exact_rank:.4}, rank 10 {over_rank:.4}, unregularized SGD rank 10 {sgd_rmse:.4}"
    );
    // Untuned, BPMF matches the test-tuned MAP fit. The slack of 0.5% covers the Monte Carlo
    // error of a 60-sample posterior average (the running RMSE moves by < 0.1% over the last
    // 50 sweeps); a sampler with a wrong conditional or a wrong Wishart draw lands far off
    // (too little shrinkage looks like the unregularized fit below, too much like λ = 0.2,
    // ≈ 20% worse here).
    assert!(
        exact_rank < 1.005 * best_map,
        "bayes-mf rank 3 {exact_rank} vs test-tuned ALS {best_map}"
    );
    // With ≈18 ratings per user no fit reaches the noise level; below it would mean leakage.
    assert!(
        exact_rank > oracle,
        "below the noise: {exact_rank} vs {oracle}"
    );
    // Over-specified rank: the learned priors shrink the 7 spurious factors, so the error stays
    // at the same level, while the unregularized point estimate of the same rank memorises the
    // σ = 0.5 noise of ≈18 ratings with 11 parameters per user.
    assert!(
        over_rank < 1.005 * best_map,
        "bayes-mf rank 10 {over_rank} vs test-tuned ALS {best_map}"
    );
    assert!(
        sgd_rmse > 1.3 * over_rank,
        "unregularized SGD {sgd_rmse} vs bayes-mf {over_rank}"
    );
}

fn small_problem() -> (Ratings, Ratings) {
    let data = planted(60, 40, 2, 0.3, 0.3, 3);
    let s = split(&data.ratings, SplitKind::Random, 0.2, 1).unwrap();
    (data.ratings.subset(&s.train), data.ratings.subset(&s.test))
}

#[test]
fn bayes_mf_is_bit_identical_across_thread_counts() {
    let (train, test) = small_problem();
    let h = Hyper {
        rank: 4,
        epochs: 30,
        burn_in: 10,
        thin: 2,
        seed: 42,
        ..Hyper::for_model(ModelKind::BayesMf)
    };
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| fit(&train, Some(&test), &h, &mut |_| true).unwrap())
    };
    let (m1, s1) = run(1);
    let (m2, s2) = run(2);
    let (m3, _) = run(3);
    assert_eq!(m1, m2);
    assert_eq!(m1, m3);
    let curve = |s: &FitSummary| -> Vec<(u64, u64)> {
        s.history
            .iter()
            .map(|e| (e.train_rmse.unwrap().to_bits(), e.valid.unwrap().to_bits()))
            .collect()
    };
    assert_eq!(curve(&s1), curve(&s2));
    // And the seed matters.
    let (other, _) = fit(
        &train,
        None,
        &Hyper {
            seed: 43,
            ..h.clone()
        },
        &mut |_| true,
    )
    .unwrap();
    assert_ne!(other.p, m1.p);
}

#[test]
fn stored_model_is_exactly_the_average_of_the_kept_samples() {
    let (train, test) = small_problem();
    let (k, burn_in, thin, epochs) = (3, 5, 3, 20);
    let h = Hyper {
        rank: k,
        epochs,
        burn_in,
        thin,
        seed: 7,
        clip: None,
        ..Hyper::for_model(ModelKind::BayesMf)
    };
    let (model, _) = fit(&train, None, &h, &mut |_| true).unwrap();
    // The chain does not depend on burn-in and thinning, so a fit that keeps only sweep s
    // (`epochs = s`, `burn_in = s − 1`, `thin = 1`) is exactly sample s, with rank k.
    let kept: Vec<usize> = (burn_in + 1..=epochs)
        .filter(|s| (s - burn_in) % thin == 0)
        .collect();
    assert_eq!(kept, vec![8, 11, 14, 17, 20]);
    assert_eq!(model.rank, kept.len() * k);
    let samples: Vec<Model> = kept
        .iter()
        .map(|&s| {
            let one = Hyper {
                epochs: s,
                burn_in: s - 1,
                thin: 1,
                ..h.clone()
            };
            let (m, _) = fit(&train, None, &one, &mut |_| true).unwrap();
            assert_eq!(m.rank, k);
            m
        })
        .collect();
    let mut checked = 0;
    for u in 0..train.n_users {
        for i in 0..train.n_items {
            let direct = samples.iter().map(|m| m.predict(u, i).0).sum::<f64>() / kept.len() as f64;
            let (stored, _) = model.predict(u, i);
            // Both sides sum the same ≈ 5·(3 + 4) terms of size ≤ 10 in different orders: the
            // rounding difference is a few ulps of 10, far below 1e-12.
            assert!(
                (stored - direct).abs() < 1e-12,
                "user {u} item {i}: stored {stored} vs average {direct}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 60 * 40);
    // Unknown users/items get the same fallback as every model.
    let (pred, basis) = model.predict(train.n_users + 5, 0);
    assert_eq!(basis, Basis::ItemOnly);
    assert!((pred - (model.global_mean + model.item_bias[0])).abs() < 1e-12);
    let _ = test;
}

#[test]
fn bayes_mf_rejects_patience_and_too_short_chains() {
    let (train, _) = small_problem();
    let base = Hyper::for_model(ModelKind::BayesMf);
    let err = fit(
        &train,
        None,
        &Hyper {
            patience: 3,
            ..base.clone()
        },
        &mut |_| true,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("patience") && err.contains("does not apply"),
        "{err}"
    );
    let err = fit(
        &train,
        None,
        &Hyper {
            epochs: 10,
            burn_in: 10,
            thin: 2,
            ..base.clone()
        },
        &mut |_| true,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("epochs") && err.contains("burn-in 10"),
        "{err}"
    );
    for (h, name) in [
        (
            Hyper {
                thin: 0,
                ..base.clone()
            },
            "thin",
        ),
        (
            Hyper {
                noise_precision: -1.0,
                ..base.clone()
            },
            "noise-precision",
        ),
        (
            Hyper {
                rank: 0,
                ..base.clone()
            },
            "rank",
        ),
    ] {
        let err = fit(&train, None, &h, &mut |_| true).unwrap_err();
        assert!(
            matches!(err, MfError::InvalidParameter { name: n, .. } if n == name),
            "{err}"
        );
    }
}

#[test]
fn cross_validation_never_picks_a_chain_without_samples() {
    // The curve during burn-in is a single sample's error; the chosen sweep count must keep
    // at least one sample so that the refit is valid.
    let (train, _) = small_problem();
    let folds = k_folds(train.len(), 3, 0).unwrap();
    let h = Hyper {
        rank: 2,
        epochs: 16,
        burn_in: 12,
        thin: 2,
        ..Hyper::for_model(ModelKind::BayesMf)
    };
    let res = cross_validate(&train, &folds, &[h], &mut |_, _| {}).unwrap();
    assert!(res[0].hyper.epochs >= 14, "{}", res[0].hyper.epochs);
    res[0].hyper.validate().unwrap();
}
