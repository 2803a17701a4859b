//! Fit time of biased-MF SGD on the MovieLens-100k folds of the benchmark kit (issue 3's
//! speed target), without the rest of `lowrank-bench --only W4` (cross-validation grids).
//!
//! `cargo bench -p lowrank-mf --bench sgd_w4 -- [DATA_DIR] [ROUNDS]` (default `.bench/data`
//! at the workspace root, 5 rounds). Prints the median fit seconds per fold and the mean
//! test RMSE with Surprise SVD's settings and with the `biased-mf` defaults. Under
//! `cargo test --benches` (no `--bench` flag) it does nothing, so test runs stay fast; it
//! also does nothing when the folds have not been generated (`bash bench/mf.sh`).
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use lowrank_mf::{fit, rmse_mae, Hyper, ModelKind, Ratings, Solver};

/// Users, items and ratings of one file.
type Columns = (Vec<u32>, Vec<u32>, Vec<f32>);

/// Reads `user\titem\trating` lines, numbering ids with the maps given.
fn load(
    path: &Path,
    users: &mut HashMap<String, u32>,
    items: &mut HashMap<String, u32>,
) -> Result<Columns, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let (mut u, mut i, mut r) = (Vec::new(), Vec::new(), Vec::new());
    for (n, line) in text.lines().enumerate() {
        let mut f = line.split('\t');
        let (Some(us), Some(is), Some(rs)) = (f.next(), f.next(), f.next()) else {
            return Err(format!(
                "{}:{}: expected user, item, rating",
                path.display(),
                n + 1
            ));
        };
        let next = users.len() as u32;
        u.push(*users.entry(us.to_string()).or_insert(next));
        let next = items.len() as u32;
        i.push(*items.entry(is.to_string()).or_insert(next));
        r.push(
            rs.trim()
                .parse()
                .map_err(|e| format!("{}:{}: rating '{rs}': {e}", path.display(), n + 1))?,
        );
    }
    Ok((u, i, r))
}

/// One fold's training and test ratings over one id map (test-only ids are unknown).
fn fold(dir: &Path, f: usize) -> Result<(Ratings, Ratings), String> {
    let (mut users, mut items) = (HashMap::new(), HashMap::new());
    let (tu, ti, tr) = load(
        &dir.join(format!("w4_fold{f}_train.tsv")),
        &mut users,
        &mut items,
    )?;
    let (nu, ni) = (users.len(), items.len());
    let (vu, vi, vr) = load(
        &dir.join(format!("w4_fold{f}_test.tsv")),
        &mut users,
        &mut items,
    )?;
    let train = Ratings::new(tu, ti, tr, None, nu, ni).map_err(|e| e.to_string())?;
    let test =
        Ratings::new(vu, vi, vr, None, users.len(), items.len()).map_err(|e| e.to_string())?;
    Ok((train, test))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Median fit seconds per fold over `rounds` × 5 fits, and the mean test RMSE.
fn run(name: &str, folds: &[(Ratings, Ratings)], h: &Hyper, rounds: usize) -> Result<(), String> {
    let mut times = Vec::new();
    let mut rmse = Vec::new();
    for round in 0..rounds {
        for (train, test) in folds {
            let t = Instant::now();
            let (model, _) = fit(train, None, h, &mut |_| true).map_err(|e| e.to_string())?;
            times.push(t.elapsed().as_secs_f64());
            if round == 0 {
                rmse.push(rmse_mae(&model, test).0);
            }
        }
    }
    let mean_rmse = rmse.iter().sum::<f64>() / rmse.len() as f64;
    let min = times.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "{name}: fit {:.4} s per fold (median of {}, min {min:.4}), test RMSE {mean_rmse:.4}",
        median(&mut times),
        folds.len() * rounds
    );
    Ok(())
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        return Ok(());
    }
    let rest: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let dir = rest
        .first()
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.bench/data"));
    let rounds: usize = match rest.get(1) {
        Some(s) => s.parse().map_err(|e| format!("ROUNDS '{s}': {e}"))?,
        None => 5,
    };
    if !dir.join("w4_fold1_train.tsv").exists() {
        eprintln!(
            "{}: no W4 folds (run `bash bench/mf.sh` to generate them); skipping",
            dir.display()
        );
        return Ok(());
    }
    let folds: Vec<(Ratings, Ratings)> =
        (1..=5).map(|f| fold(&dir, f)).collect::<Result<_, _>>()?;
    // Surprise's SVD defaults: 100 factors, 20 epochs, lr 0.005, reg 0.02 on factors and
    // biases, N(0, 0.1) initialisation, constant learning rate (as `lowrank-bench` W4).
    let surprise = Hyper {
        model: ModelKind::BiasedMf,
        solver: Solver::Sgd,
        rank: 100,
        epochs: 20,
        lr: 0.005,
        lr_decay: 1.0,
        reg: 0.02,
        reg_bias: 0.02,
        init_std: 0.1,
        patience: 0,
        clip: Some((1.0, 5.0)),
        ..Hyper::default()
    };
    run("Surprise SVD settings", &folds, &surprise, rounds)?;
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| e.to_string())?;
    one.install(|| run("Surprise SVD settings, 1 thread", &folds, &surprise, rounds))?;
    let defaults = Hyper {
        clip: Some((1.0, 5.0)),
        ..Hyper::for_model(ModelKind::BiasedMf)
    };
    run("biased-mf defaults", &folds, &defaults, rounds)?;
    Ok(())
}
