//! Fits one configuration on the 5 MovieLens-100k folds written by the benchmark kit and prints
//! the test RMSE per fold: `cargo run --release -p lowrank-mf --example folds -- DATA_DIR [key=value ...]`.
//! Keys: model, solver, rank, reg, reg_bias, lr, lr_decay, epochs, init_std, seed.
use std::collections::HashMap;
use std::time::Instant;

use lowrank_mf::{fit, rmse_mae, Hyper, ModelKind, Ratings, Solver};

fn load(
    path: &str,
    users: &mut HashMap<String, u32>,
    items: &mut HashMap<String, u32>,
) -> (Vec<u32>, Vec<u32>, Vec<f32>) {
    let text = std::fs::read_to_string(path).expect("read fold");
    let (mut u, mut i, mut r) = (Vec::new(), Vec::new(), Vec::new());
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let n = users.len() as u32;
        u.push(*users.entry(f[0].to_string()).or_insert(n));
        let n = items.len() as u32;
        i.push(*items.entry(f[1].to_string()).or_insert(n));
        r.push(f[2].parse().expect("rating"));
    }
    (u, i, r)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = &args[0];
    let mut h = Hyper {
        clip: Some((1.0, 5.0)),
        ..Hyper::default()
    };
    for kv in &args[1..] {
        let (k, v) = kv.split_once('=').expect("key=value");
        match k {
            "model" => {
                h.model = match v {
                    "baseline" => ModelKind::Baseline,
                    "svdpp" => ModelKind::SvdPp,
                    _ => ModelKind::BiasedMf,
                }
            }
            "solver" => h.solver = if v == "als" { Solver::Als } else { Solver::Sgd },
            "rank" => h.rank = v.parse().unwrap(),
            "reg" => h.reg = v.parse().unwrap(),
            "reg_bias" => h.reg_bias = v.parse().unwrap(),
            "lr" => h.lr = v.parse().unwrap(),
            "lr_decay" => h.lr_decay = v.parse().unwrap(),
            "epochs" => h.epochs = v.parse().unwrap(),
            "init_std" => h.init_std = v.parse().unwrap(),
            "seed" => h.seed = v.parse().unwrap(),
            _ => panic!("unknown key {k}"),
        }
    }
    h.patience = 0;
    let mut total = 0.0;
    let mut curves: Vec<Vec<f64>> = Vec::new();
    let t_all = Instant::now();
    let mut fit_s = 0.0;
    for f in 1..=5 {
        let (mut users, mut items) = (HashMap::new(), HashMap::new());
        let (tu, ti, tr) = load(
            &format!("{dir}/w4_fold{f}_train.tsv"),
            &mut users,
            &mut items,
        );
        let (vu, vi, vr) = load(
            &format!("{dir}/w4_fold{f}_test.tsv"),
            &mut users,
            &mut items,
        );
        let (nu, ni) = (users.len(), items.len());
        let train = Ratings::new(tu, ti, tr, None, nu, ni).unwrap();
        let test = Ratings::new(vu, vi, vr, None, nu, ni).unwrap();
        let t = Instant::now();
        let valid = if std::env::var_os("NOVALID").is_some() {
            None
        } else {
            Some(&test)
        };
        let (model, s) = fit(&train, valid, &h, &mut |_| true).unwrap();
        fit_s += t.elapsed().as_secs_f64();
        let _ = model;
        let last = rmse_mae(&model, &test).0;
        total += last;
        curves.push(
            s.history
                .iter()
                .map(|e| e.valid.unwrap_or(f64::NAN))
                .collect(),
        );
        eprintln!(
            "fold {f}: rmse {last:.4} train {:.4} fit {:.3} s ({:.1} M ratings/s)",
            s.history.last().unwrap().train_rmse.unwrap(),
            s.train_seconds,
            s.ratings_per_second / 1e6
        );
    }
    let e = curves[0].len();
    let mean: Vec<f64> = (0..e)
        .map(|i| curves.iter().map(|c| c[i]).sum::<f64>() / 5.0)
        .collect();
    let (be, bv) = mean
        .iter()
        .enumerate()
        .fold((0, f64::MAX), |a, (i, &v)| if v < a.1 { (i, v) } else { a });
    println!("{:?} mean rmse (last epoch) {:.4}; best epoch {} mean {:.4}; fit {:.3} s/fold; all {:.1} s", h, total / 5.0, be + 1, bv, fit_s / 5.0, t_all.elapsed().as_secs_f64());
}
