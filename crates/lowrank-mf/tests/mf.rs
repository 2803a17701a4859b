//! Reference tests for the factorization models: planted low-rank ratings with known noise,
//! hand-computed baselines and metrics, split invariants, determinism, bad input.

use lowrank_mf::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// Ratings `μ + b_u + b_i + p_u·q_i + noise` on a random `density` fraction of a
/// `users × items` grid; factor entries have variance `1/√k`, so the interaction term has
/// variance 1 whatever `k`.
fn planted(users: usize, items: usize, k: usize, density: f64, noise: f64, seed: u64) -> Ratings {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = Normal::new(0.0, 1.0).unwrap();
    let f = 1.0 / (k as f64).powf(0.25);
    let p: Vec<f64> = (0..users * k).map(|_| n.sample(&mut rng) * f).collect();
    let q: Vec<f64> = (0..items * k).map(|_| n.sample(&mut rng) * f).collect();
    let bu: Vec<f64> = (0..users).map(|_| 0.3 * n.sample(&mut rng)).collect();
    let bi: Vec<f64> = (0..items).map(|_| 0.3 * n.sample(&mut rng)).collect();
    let (mut us, mut is, mut vs) = (Vec::new(), Vec::new(), Vec::new());
    for u in 0..users {
        for i in 0..items {
            if rng.random::<f64>() < density {
                let dot: f64 = (0..k).map(|d| p[u * k + d] * q[i * k + d]).sum();
                let r = 3.0 + bu[u] + bi[i] + dot + noise * n.sample(&mut rng);
                us.push(u as u32);
                is.push(i as u32);
                vs.push(r as f32);
            }
        }
    }
    Ratings::new(us, is, vs, None, users, items).unwrap()
}

fn holdout(r: &Ratings, seed: u64) -> (Ratings, Ratings) {
    let s = split(r, SplitKind::Random, 0.2, seed).unwrap();
    (r.subset(&s.train), r.subset(&s.test))
}

#[test]
fn biased_mf_recovers_planted_ratings_to_the_noise_level() {
    // 300×200, rank 3, 25% observed (15k ratings), noise σ = 0.1: a well-regularized rank-3
    // fit predicts held-out ratings to about the noise level; the baseline cannot (the
    // interaction term has variance ≈ 1 — its RMSE stays near 1).
    let r = planted(300, 200, 3, 0.25, 0.1, 1);
    let (train, test) = holdout(&r, 2);
    let base = Hyper {
        model: ModelKind::Baseline,
        epochs: 5,
        ..Hyper::default()
    };
    let (bm, _) = fit(&train, None, &base, &mut |_| true).unwrap();
    let base_rmse = rmse_mae(&bm, &test).0;
    assert!(base_rmse > 0.7, "baseline RMSE {base_rmse}");
    for solver in [Solver::Sgd, Solver::Als] {
        let h = Hyper {
            rank: 3,
            reg: 0.01,
            lr: 0.02,
            lr_decay: 1.0,
            epochs: if solver == Solver::Als { 15 } else { 150 },
            solver,
            ..Hyper::default()
        };
        let (m, s) = fit(&train, None, &h, &mut |_| true).unwrap();
        let test_rmse = rmse_mae(&m, &test).0;
        assert!(
            test_rmse < 0.2,
            "{solver:?}: held-out RMSE {test_rmse} (noise 0.1, baseline {base_rmse}); train {:?}",
            s.history.last()
        );
    }
}

#[test]
fn regularization_closes_the_validation_gap() {
    // Few ratings per user and a large rank: without regularization the model memorises the
    // training ratings (small train error, large validation error); with it, validation error
    // drops.
    let r = planted(200, 150, 2, 0.08, 0.3, 3);
    let (train, test) = holdout(&r, 4);
    let run = |reg: f64| {
        let h = Hyper {
            rank: 40,
            reg,
            lr: 0.02,
            lr_decay: 1.0,
            epochs: 200,
            init_std: 0.1,
            ..Hyper::default()
        };
        let (m, _) = fit(&train, None, &h, &mut |_| true).unwrap();
        (rmse_mae(&m, &train).0, rmse_mae(&m, &test).0)
    };
    let (tr0, te0) = run(0.0);
    let (tr1, te1) = run(0.1);
    assert!(
        te0 - tr0 > 0.3,
        "unregularized gap: train {tr0}, test {te0}"
    );
    assert!(
        te1 < te0 - 0.1,
        "regularized test {te1} vs unregularized {te0}"
    );
    assert!(
        te1 - tr1 < te0 - tr0,
        "gap did not shrink: {tr1}/{te1} vs {tr0}/{te0}"
    );
}

#[test]
fn early_stopping_keeps_the_best_epoch_not_the_last() {
    let r = planted(200, 150, 2, 0.08, 0.3, 5);
    let (train, valid) = holdout(&r, 6);
    let h = Hyper {
        rank: 40,
        reg: 0.0,
        lr: 0.03,
        lr_decay: 1.0,
        epochs: 300,
        patience: 5,
        init_std: 0.1,
        ..Hyper::default()
    };
    let (m, s) = fit(&train, Some(&valid), &h, &mut |_| true).unwrap();
    assert!(s.stopped_early, "overfitting run should stop early");
    let best = s
        .history
        .iter()
        .map(|e| e.valid.unwrap())
        .fold(f64::INFINITY, f64::min);
    let at_best = s.history[s.best_epoch - 1].valid.unwrap();
    assert_eq!(best, at_best);
    assert_eq!(
        s.history.len(),
        s.best_epoch + 5,
        "patience 5 after the best epoch"
    );
    let kept = rmse_mae(&m, &valid).0;
    assert!(
        (kept - best).abs() < 1e-12,
        "kept model {kept}, best epoch {best}"
    );
    assert!(s.history.last().unwrap().valid.unwrap() > best);
}

#[test]
fn training_is_identical_whatever_the_thread_count() {
    let r = planted(120, 90, 3, 0.3, 0.1, 7);
    for model in [
        ModelKind::BiasedMf,
        ModelKind::SvdPp,
        ModelKind::ImplicitAls,
    ] {
        for solver in [Solver::Sgd, Solver::Als] {
            let h = Hyper {
                model,
                solver,
                rank: 8,
                epochs: 5,
                seed: 42,
                ..Hyper::default()
            };
            let run = |threads: usize| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap()
                    .install(|| fit(&r, None, &h, &mut |_| true).unwrap().0)
            };
            let (a, b) = (run(1), run(2));
            assert_eq!(a, b, "{model:?}/{solver:?}");
            let h2 = Hyper {
                seed: 43,
                ..h.clone()
            };
            let c = fit(&r, None, &h2, &mut |_| true).unwrap().0;
            assert_ne!(a.q, c.q, "a different seed must change the initialisation");
        }
    }
}

#[test]
fn a_diverging_learning_rate_is_an_error_not_a_nan_model() {
    let r = planted(50, 40, 2, 0.5, 0.1, 8);
    let h = Hyper {
        lr: 50.0,
        lr_decay: 1.0,
        epochs: 20,
        ..Hyper::default()
    };
    match fit(&r, None, &h, &mut |_| true) {
        Err(MfError::Diverged { lr, suggest, .. }) => {
            assert_eq!(lr, 50.0);
            assert!(suggest < lr);
        }
        other => panic!("expected divergence, got {:?}", other.map(|(_, s)| s)),
    }
}

#[test]
fn baseline_biases_match_the_closed_form() {
    // reg_bias = 0: after one sweep, b_i = mean over the item's ratings of r − μ (b_u = 0 at
    // the start), then b_u = mean over the user's ratings of r − μ − b_i.
    let r = Ratings::new(
        vec![0, 0, 1, 1, 2],
        vec![0, 1, 0, 2, 2],
        vec![5.0, 3.0, 4.0, 2.0, 1.0],
        None,
        3,
        3,
    )
    .unwrap();
    let h = Hyper {
        model: ModelKind::Baseline,
        reg_bias: 0.0,
        epochs: 1,
        ..Hyper::default()
    };
    let (m, _) = fit(&r, None, &h, &mut |_| true).unwrap();
    let mu = 3.0;
    assert!((m.global_mean - mu).abs() < 1e-12);
    let bi = [(5.0 + 4.0) / 2.0 - mu, 3.0 - mu, (2.0 + 1.0) / 2.0 - mu];
    for (got, want) in m.item_bias.iter().zip(bi) {
        assert!((got - want).abs() < 1e-12, "{:?}", m.item_bias);
    }
    let bu0 = ((5.0 - mu - bi[0]) + (3.0 - mu - bi[1])) / 2.0;
    assert!((m.user_bias[0] - bu0).abs() < 1e-12);
}

#[test]
fn unknown_users_and_items_fall_back_to_biases() {
    let r = planted(30, 20, 2, 0.5, 0.1, 9);
    let h = Hyper {
        rank: 2,
        epochs: 3,
        ..Hyper::default()
    };
    let (m, _) = fit(&r, None, &h, &mut |_| true).unwrap();
    let (p, b) = m.predict(1000, 3);
    assert_eq!(b, Basis::ItemOnly);
    assert!((p - (m.global_mean + m.item_bias[3])).abs() < 1e-12);
    let (p, b) = m.predict(2, 1000);
    assert_eq!(b, Basis::UserOnly);
    assert!((p - (m.global_mean + m.user_bias[2])).abs() < 1e-12);
    assert_eq!(m.predict(1000, 1000), (m.global_mean, Basis::GlobalMean));
    // Unknown users are recommended the most popular items.
    let top = top_n(&m, None, &[], 3);
    let mut pop: Vec<(usize, f64)> = m.popularity.iter().copied().enumerate().collect();
    pop.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    assert_eq!(
        top.iter().map(|t| t.0).collect::<Vec<_>>(),
        pop[..3].iter().map(|t| t.0).collect::<Vec<_>>()
    );
}

#[test]
fn top_n_and_similar_items_against_brute_force() {
    let r = planted(60, 80, 4, 0.3, 0.1, 10);
    let h = Hyper {
        rank: 4,
        epochs: 10,
        ..Hyper::default()
    };
    let (m, _) = fit(&r, None, &h, &mut |_| true).unwrap();
    let seen = vec![1u32, 5, 7];
    let top = top_n(&m, Some(3), &seen, 10);
    let mut all: Vec<(usize, f64)> = (0..80)
        .filter(|i| !seen.contains(&(*i as u32)))
        .map(|i| (i, m.predict(3, i).0))
        .collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    assert_eq!(top.len(), 10);
    for (t, a) in top.iter().zip(&all) {
        assert_eq!(t.0, a.0);
        assert!((t.1 - a.1).abs() < 1e-9);
    }
    let sim = similar_items(&m, 0, 5).unwrap();
    let cos = |i: usize| {
        let (a, b) = (m.item_factors(0), m.item_factors(i));
        let d: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        d / (a.iter().map(|x| x * x).sum::<f64>().sqrt()
            * b.iter().map(|x| x * x).sum::<f64>().sqrt())
    };
    let mut brute: Vec<(usize, f64)> = (1..80).map(|i| (i, cos(i))).collect();
    brute.sort_by(|a, b| b.1.total_cmp(&a.1));
    assert_eq!(
        sim.iter().map(|s| s.0).collect::<Vec<_>>(),
        brute[..5].iter().map(|s| s.0).collect::<Vec<_>>()
    );
    assert!(sim.iter().all(|s| s.0 != 0 && s.1 <= 1.0 + 1e-12));
    let base = Hyper {
        model: ModelKind::Baseline,
        epochs: 1,
        ..Hyper::default()
    };
    let (bm, _) = fit(&r, None, &base, &mut |_| true).unwrap();
    assert!(similar_items(&bm, 0, 5).is_err());
}

#[test]
fn ranking_metrics_by_hand() {
    // One user, 4 items; scores make the ranking 3, 2, 1, 0. Item 0 was seen in training.
    // Test items: 2 and 0 (0 is excluded as seen) → relevant {2}; top-2 = [3, 2].
    let model = Model {
        kind: ModelKind::ImplicitAls,
        rank: 1,
        global_mean: 0.0,
        user_bias: vec![],
        item_bias: vec![],
        p: vec![1.0],
        q: vec![4.0, 1.0, 2.0, 3.0],
        n_users: 1,
        n_items: 4,
        clip: None,
        popularity: vec![1.0, 1.0, 1.0, 1.0],
        user_count: vec![1.0],
    };
    let train = Ratings::new(vec![0], vec![0], vec![1.0], None, 1, 4).unwrap();
    let test = Ratings::new(vec![0, 0], vec![2, 0], vec![1.0, 1.0], None, 1, 4).unwrap();
    let m = ranking_metrics(&model, &train.by_user(), &train, &test, 2);
    assert_eq!(m.users, 1);
    assert!((m.precision - 0.5).abs() < 1e-12);
    assert!((m.recall - 1.0).abs() < 1e-12);
    // hit at rank 2: DCG = 1/log2(3); ideal = 1/log2(2) = 1.
    assert!((m.ndcg - 1.0 / 3f64.log2()).abs() < 1e-12, "{m:?}");
}

#[test]
fn implicit_als_ranks_a_users_cluster_first() {
    // 4 clusters of 25 users and 25 items; users interact with random items of their cluster.
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let (mut us, mut is, mut vs) = (Vec::new(), Vec::new(), Vec::new());
    for u in 0..100u32 {
        for i in 0..100u32 {
            if u / 25 == i / 25 && rng.random::<f64>() < 0.4 {
                us.push(u);
                is.push(i);
                vs.push(1.0 + rng.random_range(0..5) as f32);
            }
        }
    }
    let r = Ratings::new(us, is, vs, None, 100, 100).unwrap();
    let s = split(&r, SplitKind::PerUser, 0.3, 1).unwrap();
    let (train, test) = (r.subset(&s.train), r.subset(&s.test));
    let h = Hyper {
        model: ModelKind::ImplicitAls,
        rank: 8,
        reg: 0.1,
        alpha: 10.0,
        epochs: 10,
        ..Hyper::default()
    };
    let (m, summary) = fit(&train, Some(&test), &h, &mut |_| true).unwrap();
    let metrics = ranking_metrics(&m, &train.by_user(), &train, &test, 10);
    // Each user has ~10 interactions, 7 seen and 3 held out. Ranking the ~93 unseen items at
    // random finds 10/93 ≈ 11% of the held-out ones (precision ≈ 0.03); ranking the user's
    // cluster first — 18 unseen cluster items, 3 of them relevant — finds about 10/18 ≈ 56%
    // (precision ≈ 0.17).
    assert!(metrics.recall > 0.45, "{metrics:?}");
    assert!(metrics.precision > 0.12, "{metrics:?}");
    assert_eq!(summary.valid_metric, "ndcg@10");
}

#[test]
fn svdpp_learns_beyond_the_baseline() {
    let r = planted(150, 100, 3, 0.3, 0.1, 12);
    let (train, test) = holdout(&r, 13);
    let base = Hyper {
        model: ModelKind::Baseline,
        epochs: 5,
        ..Hyper::default()
    };
    let (bm, _) = fit(&train, None, &base, &mut |_| true).unwrap();
    let h = Hyper {
        model: ModelKind::SvdPp,
        rank: 3,
        reg: 0.02,
        lr: 0.01,
        lr_decay: 1.0,
        epochs: 60,
        ..Hyper::default()
    };
    let (m, _) = fit(&train, None, &h, &mut |_| true).unwrap();
    let (b, s) = (rmse_mae(&bm, &test).0, rmse_mae(&m, &test).0);
    assert!(s < 0.5 * b, "SVD++ {s} vs baseline {b}");
}

#[test]
fn splits_keep_their_promises() {
    let mut r = planted(50, 40, 2, 0.5, 0.1, 14);
    let n = r.len();
    let s = split(&r, SplitKind::Random, 0.25, 1).unwrap();
    assert_eq!(s.train.len() + s.test.len(), n);
    assert_eq!(s.test.len(), (n as f64 * 0.25).round() as usize);
    assert_eq!(s, split(&r, SplitKind::Random, 0.25, 1).unwrap(), "seeded");
    // Per user: every user with ≥ 2 ratings keeps at least one in training and gives one.
    let s = split(&r, SplitKind::PerUser, 0.2, 1).unwrap();
    let (tr, te) = (r.subset(&s.train), r.subset(&s.test));
    let (bt, bv) = (tr.by_user(), te.by_user());
    for u in 0..50 {
        let total = bt.count(u) + bv.count(u);
        if total >= 2 {
            assert!(bt.count(u) >= 1 && bv.count(u) >= 1, "user {u}");
        }
    }
    // Time: no test rating is older than a training rating.
    assert!(
        split(&r, SplitKind::Time, 0.2, 1).is_err(),
        "no timestamps yet"
    );
    r.times = Some((0..n as i64).map(|t| (t * 7919) % 1000).collect());
    let s = split(&r, SplitKind::Time, 0.2, 1).unwrap();
    let t = r.times.as_ref().unwrap();
    let newest_train = s.train.iter().map(|&p| t[p]).max().unwrap();
    let oldest_test = s.test.iter().map(|&p| t[p]).min().unwrap();
    assert!(newest_train <= oldest_test);
    // k folds partition the ratings.
    let folds = k_folds(n, 5, 3).unwrap();
    let mut seen = vec![0; n];
    for f in &folds {
        assert_eq!(f.train.len() + f.test.len(), n);
        for &p in &f.test {
            seen[p] += 1;
        }
    }
    assert!(seen.iter().all(|&c| c == 1));
    assert!(split(&r, SplitKind::Random, 1.0, 1).is_err());
    assert!(k_folds(n, 1, 0).is_err());
}

#[test]
fn bad_parameters_are_rejected_with_their_name() {
    let r = planted(20, 20, 2, 0.5, 0.1, 15);
    let cases = [
        Hyper {
            rank: 0,
            ..Hyper::default()
        },
        Hyper {
            reg: -0.1,
            ..Hyper::default()
        },
        Hyper {
            reg_bias: f64::NAN,
            ..Hyper::default()
        },
        Hyper {
            lr: 0.0,
            ..Hyper::default()
        },
        Hyper {
            epochs: 0,
            ..Hyper::default()
        },
    ];
    for (h, name) in cases
        .iter()
        .zip(["rank", "reg", "reg-bias", "lr", "epochs"])
    {
        match fit(&r, None, h, &mut |_| true) {
            Err(MfError::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
            other => panic!("{name}: {:?}", other.map(|_| ())),
        }
    }
    let empty = Ratings::new(vec![], vec![], vec![], None, 3, 3).unwrap();
    assert!(matches!(
        fit(&empty, None, &Hyper::default(), &mut |_| true),
        Err(MfError::EmptyTraining(_))
    ));
    assert!(Ratings::new(vec![0], vec![5], vec![1.0], None, 1, 3).is_err());
    assert!(Ratings::new(vec![0], vec![0], vec![f32::NAN], None, 1, 3).is_err());
}

#[test]
fn cross_validation_prefers_the_sensible_candidate_and_picks_epochs() {
    let r = planted(150, 100, 2, 0.2, 0.2, 16);
    let folds = k_folds(r.len(), 3, 0).unwrap();
    let good = Hyper {
        rank: 2,
        reg: 0.02,
        lr: 0.02,
        lr_decay: 1.0,
        epochs: 40,
        ..Hyper::default()
    };
    let crushed = Hyper {
        reg: 5.0,
        ..good.clone()
    };
    let res = cross_validate(&r, &folds, &[crushed.clone(), good.clone()], &mut |_, _| {}).unwrap();
    assert_eq!(res[0].hyper.reg, 0.02);
    assert!(res[0].mean < res[1].mean);
    assert!(res[0].hyper.epochs >= 1 && res[0].hyper.epochs <= 40);
    assert_eq!(res[0].folds.len(), 3);
    assert!(res[0].train_mean.unwrap() <= res[0].mean + 1e-9);
}
