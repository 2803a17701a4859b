//! `lowrank mf`: fit, cross-validate, evaluate and query recommender models.

use std::path::Path;
use std::time::Instant;

use lowrank_io::{
    read_model, read_ratings, write_model, DuplicateRule, IdMap, OutputDir, RatingsFile,
    RatingsOptions, SavedModel, TrainingData,
};
use lowrank_mf::{
    cross_validate, fit, k_folds, ranking_metrics, rmse_mae, split, top_n, Basis, Hyper, MfError,
    Model, ModelKind, Ratings, Solver, SplitKind,
};
use serde_json::json;

use super::Global;
use crate::args::{
    DuplicatesArg, HyperArgs, MfCommand, MfCvArgs, MfEvalArgs, MfFitArgs, MfRecommendArgs,
    MfSimilarArgs, ModelArg, RatingsInput, SolverArg, SplitArg,
};
use crate::failure::{Failure, INPUT, INTERNAL, NUMERICAL, USAGE};
use crate::progress::Bar;
use crate::report;

pub(crate) fn run(c: MfCommand, g: &Global) -> Result<(), Failure> {
    match c {
        MfCommand::Fit(a) => fit_cmd(a, g),
        MfCommand::Cv(a) => cv_cmd(a, g),
        MfCommand::Eval(a) => eval_cmd(a, g),
        MfCommand::Recommend(a) => recommend_cmd(a, g),
        MfCommand::Similar(a) => similar_cmd(a, g),
    }
}

impl From<MfError> for Failure {
    fn from(e: MfError) -> Self {
        let code = match e {
            MfError::InvalidParameter { .. } => USAGE,
            MfError::EmptyTraining(_) | MfError::Split(_) => INPUT,
            MfError::Diverged { .. } => NUMERICAL,
            _ => INTERNAL,
        };
        Failure::new(code, e.into())
    }
}

fn parse_scale(s: &str) -> Result<(f64, f64), Failure> {
    let bad = || Failure::usage(format!("--scale '{s}': give LO,HI with LO < HI, e.g. 1,5"));
    let (a, b) = s.split_once(',').ok_or_else(bad)?;
    let lo: f64 = a.trim().parse().map_err(|_| bad())?;
    let hi: f64 = b.trim().parse().map_err(|_| bad())?;
    if !(lo < hi && lo.is_finite() && hi.is_finite()) {
        return Err(bad());
    }
    Ok((lo, hi))
}

fn ratings_options(a: &RatingsInput) -> Result<RatingsOptions, Failure> {
    let delimiter = super::parse_delimiter(a.delimiter.as_deref())?;
    Ok(RatingsOptions {
        delimiter,
        header: match (a.header, a.no_header) {
            (true, _) => lowrank_io::HeaderMode::Present,
            (_, true) => lowrank_io::HeaderMode::Absent,
            _ => lowrank_io::HeaderMode::Auto,
        },
        duplicates: match a.duplicates {
            DuplicatesArg::Last => DuplicateRule::Last,
            DuplicatesArg::Mean => DuplicateRule::Mean,
            DuplicatesArg::Error => DuplicateRule::Error,
        },
        scale: a.scale.as_deref().map(parse_scale).transpose()?,
        known_users: None,
        known_items: None,
    })
}

/// Moves the columns out of the file (a 20M-rating file is 240 MB of columns: no copies).
fn take_ratings(f: &mut RatingsFile) -> Result<Ratings, Failure> {
    Ok(Ratings::new(
        std::mem::take(&mut f.users),
        std::mem::take(&mut f.items),
        std::mem::take(&mut f.ratings),
        f.timestamps.take(),
        f.user_ids.len(),
        f.item_ids.len(),
    )?)
}

/// Memory a fit needs beyond the ratings already read: per-rating indexes and SGD blocks,
/// and three copies of the factors (state, best epoch, the model evaluated each epoch).
/// bayes-mf instead keeps every stored sample: `(epochs − burn_in)/thin` copies of the
/// factors, plus the current sample and a running prediction per rating.
fn fit_memory_estimate(r: &Ratings, h: &Hyper) -> u64 {
    let per_rating = 12 /* columns */ + 8 /* user+item index */ + 12 /* SGD blocks */ + 12 /* split copy */;
    if h.model == ModelKind::BayesMf {
        let samples = (h.epochs.saturating_sub(h.burn_in) / h.thin.max(1)) as u64;
        let k = h.rank.max(1) as u64;
        // 16 bytes per rating: the running prediction sums of the train and validation sets.
        return r.len() as u64 * (per_rating + 16)
            + (r.n_users + r.n_items) as u64 * ((samples + 1) * k * 8 + 40);
    }
    let k = h.rank.max(1) as u64 * if h.model == ModelKind::SvdPp { 2 } else { 1 };
    r.len() as u64 * per_rating + (r.n_users + r.n_items) as u64 * (k * 8 * 3 + 24)
}

fn model_kind(m: ModelArg) -> ModelKind {
    match m {
        ModelArg::Baseline => ModelKind::Baseline,
        ModelArg::BiasedMf => ModelKind::BiasedMf,
        ModelArg::Svdpp => ModelKind::SvdPp,
        ModelArg::ImplicitAls => ModelKind::ImplicitAls,
        ModelArg::BayesMf => ModelKind::BayesMf,
    }
}

/// The model's defaults, overridden by the flags given.
fn hyper_from(a: &HyperArgs) -> Result<Hyper, Failure> {
    let kind = model_kind(a.model);
    let mut h = Hyper::for_model(kind);
    if let Some(s) = a.solver {
        if kind != ModelKind::BiasedMf {
            return Err(Failure::usage(format!(
                "--solver applies to biased-mf only ({} has one solver)",
                kind.name()
            )));
        }
        h.solver = match s {
            SolverArg::Sgd => Solver::Sgd,
            SolverArg::Als => Solver::Als,
        };
        if h.solver == Solver::Als && a.reg.is_none() {
            // Weighted-λ ALS regularizes per rating; this λ gave the ALS optimum in the CV runs.
            h.reg = 0.12;
        }
        if h.solver == Solver::Als && a.epochs.is_none() {
            h.epochs = 10;
        }
    }
    if kind == ModelKind::Baseline && a.rank.is_some() {
        return Err(Failure::usage(
            "--rank does not apply to the baseline model (it has no factors)",
        ));
    }
    let bayes_only = [
        ("--burn-in", a.burn_in.is_some()),
        ("--thin", a.thin.is_some()),
        ("--noise-precision", a.noise_precision.is_some()),
    ];
    let not_bayes = [
        ("--reg", a.reg.is_some()),
        ("--reg-bias", a.reg_bias.is_some()),
        ("--lr", a.lr.is_some()),
        ("--lr-decay", a.lr_decay.is_some()),
        ("--alpha", a.alpha.is_some()),
    ];
    if kind == ModelKind::BayesMf {
        if let Some((flag, _)) = not_bayes.iter().find(|(_, given)| *given) {
            return Err(Failure::usage(format!(
                "{flag} does not apply to bayes-mf: its regularization is learned by the \
                 hyper-priors and it has no learning rate (its options are --rank, --epochs, \
                 --burn-in, --thin, --noise-precision, --init-std)"
            )));
        }
    } else if let Some((flag, _)) = bayes_only.iter().find(|(_, given)| *given) {
        return Err(Failure::usage(format!(
            "{flag} applies to bayes-mf only (--model bayes-mf)"
        )));
    }
    macro_rules! set {
        ($f:ident) => {
            if let Some(v) = a.$f {
                h.$f = v;
            }
        };
    }
    set!(rank);
    set!(reg);
    set!(reg_bias);
    set!(lr);
    set!(lr_decay);
    set!(epochs);
    set!(init_std);
    set!(alpha);
    set!(burn_in);
    set!(thin);
    set!(noise_precision);
    h.seed = a.seed;
    h.validate()?;
    Ok(h)
}

fn read_input(a: &RatingsInput, bar: &mut Bar) -> Result<(RatingsFile, f64), Failure> {
    let opts = ratings_options(a)?;
    bar.phase(&format!("reading {}", a.ratings.display()));
    let t = Instant::now();
    let f = read_ratings(&a.ratings, &opts)?;
    Ok((f, t.elapsed().as_secs_f64()))
}

/// Items each user rated in `r`, as sorted lists in compressed form.
fn seen_lists(r: &Ratings) -> (Vec<u64>, Vec<u32>) {
    let index = r.by_user();
    let mut ptr = Vec::with_capacity(r.n_users + 1);
    let mut items = Vec::with_capacity(r.len());
    ptr.push(0u64);
    for u in 0..r.n_users {
        let start = items.len();
        items.extend(index.group(u).iter().map(|&p| r.items[p as usize]));
        items[start..].sort_unstable();
        ptr.push(items.len() as u64);
    }
    (ptr, items)
}

fn fit_cmd(a: MfFitArgs, g: &Global) -> Result<(), Failure> {
    let mut hyper = hyper_from(&a.hyper)?;
    hyper.patience = match (hyper.model, a.patience) {
        // Early stopping does not apply to a sampler: its prediction averages every kept
        // sample, and more samples only refine it.
        (ModelKind::BayesMf, Some(p)) if p > 0 => {
            return Err(Failure::usage(format!(
                "--patience {p}: early stopping does not apply to bayes-mf (the prediction \
                 averages every kept sample); set the chain length with --epochs and --burn-in"
            )))
        }
        (ModelKind::BayesMf, _) => 0,
        (_, p) => p.unwrap_or(5),
    };
    if let Some(f) = a.holdout {
        if !(f > 0.0 && f < 1.0) {
            return Err(Failure::usage(format!(
                "--holdout {f}: give a fraction between 0 and 1"
            )));
        }
    }
    let out = match &a.out {
        Some(p) => Some(OutputDir::create(p, a.force).map_err(Failure::output)?),
        None => None,
    };
    let mut bar = Bar::new(g.quiet);
    let (mut file, read_seconds) = read_input(&a.input, &mut bar)?;
    let all = take_ratings(&mut file)?;
    let limit = super::parse_memory_limit(a.max_memory.as_deref())?;
    let need = fit_memory_estimate(&all, &hyper);
    if need > limit {
        return Err(Failure::refused(format!(
            "training {} on {} ratings ({} users, {} items) needs an estimated {} of memory, above the limit of {}; lower --rank or raise --max-memory",
            hyper.model.name(), all.len(), all.n_users, all.n_items,
            lowrank_core::memory::Bytes(need), lowrank_core::memory::Bytes(limit)
        )));
    }
    let (n_all, n_users, n_items) = (all.len(), all.n_users, all.n_items);
    let peak_read = crate::system::peak_rss();
    crate::system::reset_peak_rss();
    let (train, valid) = match a.holdout {
        Some(f) => {
            let kind = match a.split {
                SplitArg::Random => SplitKind::Random,
                SplitArg::PerUser => SplitKind::PerUser,
                SplitArg::Time => SplitKind::Time,
            };
            let s = split(&all, kind, f, hyper.seed)?;
            (all.subset(&s.train), Some(all.subset(&s.test)))
        }
        None => (all, None),
    };
    if train.is_empty() {
        return Err(MfError::EmptyTraining(format!(" ({})", a.input.ratings.display())).into());
    }
    if hyper.model.is_explicit() && hyper.clip.is_none() {
        hyper.clip = Some(match a.input.scale.as_deref() {
            Some(s) => parse_scale(s)?,
            None => {
                let (lo, hi) = train
                    .values
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                        (l.min(v as f64), h.max(v as f64))
                    });
                if lo < hi {
                    (lo, hi)
                } else {
                    (lo - 1.0, hi + 1.0)
                }
            }
        });
    }
    let epochs = hyper.epochs;
    let t = Instant::now();
    let mut epoch_bar = bar.counter("training epochs", epochs as u64);
    let (model, summary) = fit(&train, valid.as_ref(), &hyper, &mut |e| {
        epoch_bar.set(e.epoch as u64, &epoch_message(e));
        true
    })?;
    drop(epoch_bar);
    let fit_seconds = t.elapsed().as_secs_f64();
    let peak_fit = crate::system::peak_rss();
    let best = &summary.history[summary.best_epoch - 1];
    let (valid_rmse, valid_mae) = match (&valid, model.kind.is_explicit()) {
        (Some(v), true) => {
            let (r, m) = rmse_mae(&model, v);
            (Some(r), Some(m))
        }
        _ => (None, None),
    };
    let ranking = match (&valid, model.kind.is_explicit()) {
        (Some(v), false) => Some(ranking_metrics(&model, &train.by_user(), &train, v, 10)),
        _ => None,
    };
    let metrics = json!({
        "train_rmse": best.train_rmse,
        "valid_rmse": valid_rmse,
        "valid_mae": valid_mae,
        "valid_ranking": ranking,
        "valid_metric": summary.valid_metric,
        "best_epoch": summary.best_epoch,
        "epochs_run": summary.history.len(),
        "stopped_early": summary.stopped_early,
        "train_seconds": summary.train_seconds,
        "ratings_per_second": summary.ratings_per_second,
        "history": summary.history,
    });
    let model_rank = model.rank;
    let mut written = None;
    if let Some(dir) = out {
        bar.phase("writing the model");
        let mut extra = Vec::new();
        if !summary.history.is_empty() {
            let svg = learning_curve(&summary, hyper.model);
            lowrank_io::write_atomic(&dir.file("learning_curve.svg"), svg.as_bytes())
                .map_err(Failure::output)?;
            extra.push("learning_curve.svg");
        }
        let (seen_ptr, seen_items) = seen_lists(&train);
        let saved = SavedModel {
            model,
            users: file.user_ids.clone(),
            items: file.item_ids.clone(),
            seen_ptr,
            seen_items,
        };
        let training = TrainingData {
            path: a.input.ratings.display().to_string(),
            sha256: file.sha256.clone(),
            ratings: train.len() as u64,
            duplicates: file.duplicates,
        };
        write_model(&dir, &saved, &hyper, training, metrics.clone(), &extra)
            .map_err(Failure::output)?;
        written = Some(dir.commit().map_err(Failure::output)?);
    }
    bar.finish();
    let peak_total = peak_fit.max(crate::system::peak_rss()).max(peak_read);
    let summary_json = json!({
        "command": "mf fit",
        "model": hyper.model.name(),
        "hyper": hyper,
        "ratings": {"file": a.input.ratings.display().to_string(), "lines": file.lines,
                    "ratings": n_all, "users": n_users, "items": n_items,
                    "duplicates": file.duplicates, "sha256": file.sha256,
                    "train": train.len(), "validation": valid.as_ref().map(|v| v.len())},
        "metrics": metrics,
        "timings": {"read_seconds": read_seconds, "fit_seconds": fit_seconds},
        "memory": {"estimated_fit_bytes": need, "limit_bytes": limit,
                   "peak_rss_bytes": peak_total, "peak_rss_fit_bytes": peak_fit},
        "out": written.as_ref().map(|p| p.display().to_string()),
    });
    if g.json {
        return report::print_json(&summary_json);
    }
    let mut s = String::new();
    use std::fmt::Write;
    let _ = writeln!(
        s,
        "{}: {} ratings, {} users, {} items{}",
        a.input.ratings.display(),
        n_all,
        n_users,
        n_items,
        if file.duplicates > 0 {
            format!(
                " ({} duplicate (user, item) line{} merged by the '{}' rule)",
                file.duplicates,
                if file.duplicates == 1 { "" } else { "s" },
                format!("{:?}", a.input.duplicates).to_lowercase()
            )
        } else {
            String::new()
        }
    );
    if hyper.model == ModelKind::BayesMf {
        let _ = writeln!(
            s,
            "model bayes-mf rank {} sweeps {} burn-in {} thin {} noise-precision {}: {} samples \
             averaged, stored as {} factors{}",
            hyper.rank,
            hyper.epochs,
            hyper.burn_in,
            hyper.thin,
            hyper.noise_precision,
            (hyper.epochs - hyper.burn_in) / hyper.thin,
            model_rank,
            valid.as_ref().map_or(String::new(), |v| format!(
                ", validation {} ratings (running posterior mean)",
                v.len()
            ))
        );
    } else {
        let _ = writeln!(
            s,
            "model {} rank {} reg {} reg-bias {} lr {} epochs {}{}",
            hyper.model.name(),
            hyper.rank,
            hyper.reg,
            hyper.reg_bias,
            hyper.lr,
            hyper.epochs,
            valid.as_ref().map_or(String::new(), |v| format!(
                ", validation {} ratings (patience {})",
                v.len(),
                hyper.patience
            ))
        );
    }
    let _ = writeln!(
        s,
        "{:>6} {:>12} {:>12}",
        "epoch",
        "train rmse",
        format!("valid {}", summary.valid_metric)
    );
    let h = &summary.history;
    for e in h
        .iter()
        .filter(|e| e.epoch <= 3 || e.epoch + 3 > h.len() || e.epoch == summary.best_epoch)
    {
        let _ = writeln!(
            s,
            "{:>6} {:>12} {:>12}{}",
            e.epoch,
            e.train_rmse.map_or("–".into(), |v| format!("{v:.4}")),
            e.valid.map_or("–".into(), |v| format!("{v:.4}")),
            if e.epoch == summary.best_epoch && valid.is_some() {
                "  ← best (kept)"
            } else {
                ""
            }
        );
    }
    if summary.stopped_early {
        let _ = writeln!(
            s,
            "stopped early after epoch {} (no better validation error for {} epochs)",
            h.len(),
            hyper.patience
        );
    }
    let _ = writeln!(
        s,
        "trained in {:.2} s ({:.1} M ratings/s)",
        summary.train_seconds,
        summary.ratings_per_second / 1e6
    );
    if let Some(p) = written {
        let _ = writeln!(
            s,
            "wrote {} (model.json, factors, id maps, learning_curve.svg)",
            p.display()
        );
    }
    report::print_text(&s)
}

fn epoch_message(e: &lowrank_mf::EpochStats) -> String {
    match (e.train_rmse, e.valid) {
        (Some(t), Some(v)) => format!("epoch {}: train {t:.4} valid {v:.4}", e.epoch),
        (Some(t), None) => format!("epoch {}: train {t:.4}", e.epoch),
        (None, Some(v)) => format!("epoch {}: valid {v:.4}", e.epoch),
        _ => format!("epoch {}", e.epoch),
    }
}

/// Train and validation error per epoch, with the kept epoch marked.
fn learning_curve(summary: &lowrank_mf::FitSummary, kind: ModelKind) -> String {
    let h = &summary.history;
    let (title, y) = if kind.is_explicit() {
        ("Learning curve: RMSE per epoch", "RMSE")
    } else {
        ("Learning curve: validation NDCG@10 per epoch", "NDCG@10")
    };
    let mut chart = lowrank_plot::Chart::new(title, "epoch", y);
    let train: Vec<(f64, f64)> = h
        .iter()
        .filter_map(|e| e.train_rmse.map(|v| (e.epoch as f64, v)))
        .collect();
    if !train.is_empty() {
        chart = chart.line_and_points("train", train);
    }
    let valid: Vec<(f64, f64)> = h
        .iter()
        .filter_map(|e| e.valid.map(|v| (e.epoch as f64, v)))
        .collect();
    if !valid.is_empty() {
        chart = chart.line_and_points("validation", valid);
        chart = chart.vline(
            summary.best_epoch as f64,
            format!("best epoch {}", summary.best_epoch),
        );
    }
    chart.to_svg()
}

/// `KEY=V1,V2` → values applied to a Hyper.
fn parse_grid(specs: &[String]) -> Result<Vec<(String, Vec<f64>)>, Failure> {
    let mut out = Vec::new();
    for s in specs {
        let (k, vs) = s
            .split_once('=')
            .ok_or_else(|| Failure::usage(format!("--grid '{s}': expected KEY=V1,V2,...")))?;
        let key = k.trim().replace('_', "-");
        if ![
            "rank",
            "reg",
            "reg-bias",
            "lr",
            "lr-decay",
            "epochs",
            "init-std",
            "alpha",
            "burn-in",
            "thin",
            "noise-precision",
        ]
        .contains(&key.as_str())
        {
            return Err(Failure::usage(format!(
                "--grid '{s}': unknown key '{key}' (rank, reg, reg-bias, lr, lr-decay, epochs, init-std, alpha, burn-in, thin, noise-precision)"
            )));
        }
        let vals: Result<Vec<f64>, _> = vs.split(',').map(|v| v.trim().parse::<f64>()).collect();
        let vals =
            vals.map_err(|_| Failure::usage(format!("--grid '{s}': values must be numbers")))?;
        if vals.is_empty() {
            return Err(Failure::usage(format!("--grid '{s}': no values")));
        }
        out.push((key, vals));
    }
    Ok(out)
}

fn apply(h: &mut Hyper, key: &str, v: f64) -> Result<(), Failure> {
    let int = |v: f64| -> Result<usize, Failure> {
        if v >= 0.0 && v.fract() == 0.0 {
            Ok(v as usize)
        } else {
            Err(Failure::usage(format!(
                "--grid {key}={v}: expected a whole number"
            )))
        }
    };
    match key {
        "rank" => h.rank = int(v)?,
        "reg" => h.reg = v,
        "reg-bias" => h.reg_bias = v,
        "lr" => h.lr = v,
        "lr-decay" => h.lr_decay = v,
        "epochs" => h.epochs = int(v)?,
        "init-std" => h.init_std = v,
        "alpha" => h.alpha = v,
        "burn-in" => h.burn_in = int(v)?,
        "thin" => h.thin = int(v)?,
        "noise-precision" => h.noise_precision = v,
        _ => unreachable!("keys checked in parse_grid"),
    }
    Ok(())
}

fn cv_cmd(a: MfCvArgs, g: &Global) -> Result<(), Failure> {
    let base = hyper_from(&a.hyper)?;
    let grid = parse_grid(&a.grid)?;
    let mut candidates = vec![base.clone()];
    for (key, values) in &grid {
        let mut next = Vec::new();
        for c in &candidates {
            for &v in values {
                let mut h = c.clone();
                apply(&mut h, key, v)?;
                h.validate()?;
                next.push(h);
            }
        }
        candidates = next;
    }
    if let Some(n) = a.random {
        use rand::seq::SliceRandom;
        use rand::SeedableRng;
        if n == 0 {
            return Err(Failure::usage("--random must be at least 1"));
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(base.seed);
        candidates.shuffle(&mut rng);
        candidates.truncate(n);
    }
    let out = match &a.out {
        Some(p) => Some(OutputDir::create(p, a.force).map_err(Failure::output)?),
        None => None,
    };
    let mut bar = Bar::new(g.quiet);
    let (mut file, _) = read_input(&a.input, &mut bar)?;
    let mut all = take_ratings(&mut file)?;
    if all.is_empty() {
        return Err(MfError::EmptyTraining(String::new()).into());
    }
    let clip = match a.input.scale.as_deref() {
        Some(s) => Some(parse_scale(s)?),
        None => {
            let (lo, hi) = all
                .values
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                    (l.min(v as f64), h.max(v as f64))
                });
            (lo < hi).then_some((lo, hi))
        }
    };
    for c in &mut candidates {
        if c.model.is_explicit() {
            c.clip = clip;
        }
    }
    all.times = None;
    let folds = k_folds(all.len(), a.folds, base.seed)?;
    let total = (candidates.len() * folds.len()) as u64;
    let mut counter = bar.counter("cross-validation fits", total);
    let nf = folds.len();
    let t = Instant::now();
    let results = cross_validate(&all, &folds, &candidates, &mut |c, f| {
        counter.set(
            (c * nf + f) as u64,
            &format!(
                "candidate {}/{}, fold {}/{}",
                c + 1,
                candidates.len(),
                f + 1,
                nf
            ),
        );
    })?;
    drop(counter);
    let seconds = t.elapsed().as_secs_f64();
    let keys: Vec<&str> = grid.iter().map(|(k, _)| k.as_str()).collect();
    let value_of = |h: &Hyper, k: &str| -> String {
        match k {
            "rank" => h.rank.to_string(),
            "reg" => h.reg.to_string(),
            "reg-bias" => h.reg_bias.to_string(),
            "lr" => h.lr.to_string(),
            "lr-decay" => h.lr_decay.to_string(),
            "epochs" => h.epochs.to_string(),
            "init-std" => h.init_std.to_string(),
            "alpha" => h.alpha.to_string(),
            "burn-in" => h.burn_in.to_string(),
            "thin" => h.thin.to_string(),
            "noise-precision" => h.noise_precision.to_string(),
            _ => String::new(),
        }
    };
    let metric = if base.model.is_explicit() {
        "rmse"
    } else {
        "ndcg@10"
    };
    let doc = json!({
        "command": "mf cv",
        "model": base.model.name(),
        "folds": nf,
        "metric": metric,
        "seconds": seconds,
        "ratings": {"file": a.input.ratings.display().to_string(), "sha256": file.sha256, "ratings": all.len()},
        "results": results,
    });
    if let Some(dir) = out {
        let bytes = serde_json::to_vec_pretty(&doc).map_err(|e| Failure::internal(e.into()))?;
        lowrank_io::write_atomic(&dir.file("cv.json"), &bytes).map_err(Failure::output)?;
        dir.commit().map_err(Failure::output)?;
    }
    bar.finish();
    if g.json {
        return report::print_json(&doc);
    }
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} candidates × {} folds of {} ({} ratings) in {:.1} s; sorted by validation {metric}",
        results.len(),
        nf,
        base.model.name(),
        all.len(),
        seconds
    );
    let mut header = String::from("| # |");
    for k in &keys {
        let _ = write!(header, " {k} |");
    }
    let _ = write!(
        header,
        " epochs (chosen) | validation {metric} (mean ± sd) | train rmse | seconds |"
    );
    let _ = writeln!(s, "{header}");
    let _ = writeln!(
        s,
        "{}",
        header
            .chars()
            .map(|c| if c == '|' { '|' } else { '-' })
            .collect::<String>()
    );
    for (i, r) in results.iter().enumerate() {
        let mut row = format!("| {} |", i + 1);
        for k in &keys {
            if *k != "epochs" {
                let _ = write!(row, " {} |", value_of(&r.hyper, k));
            } else {
                let _ = write!(row, " (max) |");
            }
        }
        let _ = write!(
            row,
            " {} | {:.4} ± {:.4} | {} | {:.1} |",
            r.hyper.epochs,
            r.mean,
            r.std,
            r.train_mean.map_or("–".into(), |v| format!("{v:.4}")),
            r.seconds
        );
        let _ = writeln!(s, "{row}");
    }
    if let Some(best) = results.first() {
        let _ = writeln!(
            s,
            "best: --model {} --rank {} --reg {} --reg-bias {} --lr {} --lr-decay {} --epochs {}",
            best.hyper.model.name(),
            best.hyper.rank,
            best.hyper.reg,
            best.hyper.reg_bias,
            best.hyper.lr,
            best.hyper.lr_decay,
            best.hyper.epochs
        );
    }
    report::print_text(&s)
}

fn load_model(
    path: &Path,
    bar: &mut Bar,
) -> Result<(SavedModel, lowrank_io::ModelManifest), Failure> {
    bar.phase(&format!("loading {}", path.display()));
    Ok(read_model(path)?)
}

fn eval_cmd(a: MfEvalArgs, g: &Global) -> Result<(), Failure> {
    let mut bar = Bar::new(g.quiet);
    let (saved, man) = load_model(&a.model, &mut bar)?;
    let mut opts = ratings_options(&a.input)?;
    opts.known_users = Some(saved.users.clone());
    opts.known_items = Some(saved.items.clone());
    bar.phase(&format!("reading {}", a.input.ratings.display()));
    let mut file = read_ratings(&a.input.ratings, &opts)?;
    let test = take_ratings(&mut file)?;
    let m = &saved.model;
    let mut basis = [0u64; 4];
    for p in 0..test.len() {
        let (_, b) = m.predict(test.users[p] as usize, test.items[p] as usize);
        basis[match b {
            Basis::Model => 0,
            Basis::ItemOnly => 1,
            Basis::UserOnly => 2,
            Basis::GlobalMean => 3,
        }] += 1;
    }
    let doc = if m.kind.is_explicit() {
        let (rmse, mae) = rmse_mae(m, &test);
        json!({"command": "mf eval", "model": a.model.display().to_string(), "kind": m.kind.name(),
               "ratings": test.len(), "rmse": rmse, "mae": mae,
               "predictions": {"model": basis[0], "unknown_user": basis[1], "unknown_item": basis[2], "unknown_both": basis[3]}})
    } else {
        let train = seen_ratings(&saved);
        let r = ranking_metrics(m, &train.by_user(), &train, &test, a.at);
        json!({"command": "mf eval", "model": a.model.display().to_string(), "kind": m.kind.name(),
               "ratings": test.len(), "k": a.at, "precision": r.precision, "recall": r.recall, "ndcg": r.ndcg,
               "users_evaluated": r.users,
               "predictions": {"model": basis[0], "unknown_user": basis[1], "unknown_item": basis[2], "unknown_both": basis[3]}})
    };
    let _ = man;
    bar.finish();
    if g.json {
        return report::print_json(&doc);
    }
    let s = if m.kind.is_explicit() {
        format!(
            "{} ratings: RMSE {:.4}, MAE {:.4}\npredictions: {} by the model, {} unknown user (item bias), {} unknown item (user bias), {} both unknown (global mean)\n",
            test.len(), doc["rmse"].as_f64().unwrap_or(f64::NAN), doc["mae"].as_f64().unwrap_or(f64::NAN), basis[0], basis[1], basis[2], basis[3]
        )
    } else {
        format!(
            "{} interactions, {} users evaluated: precision@{k} {:.4}, recall@{k} {:.4}, NDCG@{k} {:.4}\n",
            test.len(), doc["users_evaluated"], doc["precision"].as_f64().unwrap_or(f64::NAN),
            doc["recall"].as_f64().unwrap_or(f64::NAN), doc["ndcg"].as_f64().unwrap_or(f64::NAN), k = a.at
        )
    };
    report::print_text(&s)
}

/// The training interactions stored in the model, as ratings (values 1).
fn seen_ratings(s: &SavedModel) -> Ratings {
    let mut users = Vec::with_capacity(s.seen_items.len());
    for u in 0..s.model.n_users {
        users.extend(std::iter::repeat_n(u as u32, s.seen(u).len()));
    }
    Ratings {
        users,
        items: s.seen_items.clone(),
        values: vec![1.0; s.seen_items.len()],
        times: None,
        n_users: s.model.n_users,
        n_items: s.model.n_items,
    }
}

fn print_items(
    g: &Global,
    doc: serde_json::Value,
    header: String,
    items: &IdMap,
    list: &[(usize, f64)],
    score: &str,
) -> Result<(), Failure> {
    if g.json {
        return report::print_json(&doc);
    }
    use std::fmt::Write;
    let mut s = header;
    let _ = writeln!(s, "{:>4}  {:<20} {:>10}", "rank", "item", score);
    for (r, (i, v)) in list.iter().enumerate() {
        let _ = writeln!(s, "{:>4}  {:<20} {:>10.4}", r + 1, items.id(*i as u32), v);
    }
    report::print_text(&s)
}

fn check_n(n: usize) -> Result<(), Failure> {
    if n == 0 {
        return Err(Failure::usage("-n must be at least 1"));
    }
    Ok(())
}

fn recommend_cmd(a: MfRecommendArgs, g: &Global) -> Result<(), Failure> {
    check_n(a.n)?;
    let mut bar = Bar::new(g.quiet);
    let (saved, _) = load_model(&a.model, &mut bar)?;
    bar.finish();
    // A user id may exist with no training ratings (all held out): that user is unknown too.
    let user = saved
        .users
        .get(&a.user)
        .map(|u| u as usize)
        .filter(|&u| saved.model.knows_user(u));
    let seen: &[u32] = match (user, a.include_seen) {
        (Some(u), false) => saved.seen(u),
        _ => &[],
    };
    let list = top_n(&saved.model, user, seen, a.n);
    let basis = if user.is_some() {
        "model"
    } else {
        "popularity (unknown user)"
    };
    let doc = json!({"command": "mf recommend", "user": a.user, "known_user": user.is_some(), "basis": basis,
        "items": list.iter().map(|(i, s)| json!({"item": saved.items.id(*i as u32), "score": s})).collect::<Vec<_>>()});
    let header = match user {
        Some(u) => format!(
            "top {} {}items for user {} ({} rated in training):\n",
            list.len(),
            if a.include_seen { "" } else { "unseen " },
            a.user,
            saved.seen(u).len()
        ),
        None => format!(
            "user {} is not in the model: the {} most popular items instead\n",
            a.user,
            list.len()
        ),
    };
    let score = if user.is_some() && saved.model.kind.is_explicit() {
        "predicted"
    } else if user.is_some() {
        "score"
    } else {
        "ratings"
    };
    print_items(g, doc, header, &saved.items, &list, score)
}

fn similar_cmd(a: MfSimilarArgs, g: &Global) -> Result<(), Failure> {
    check_n(a.n)?;
    let mut bar = Bar::new(g.quiet);
    let (saved, _) = load_model(&a.model, &mut bar)?;
    bar.finish();
    let m: &Model = &saved.model;
    let known = saved
        .items
        .get(&a.item)
        .filter(|&i| saved.model.knows_item(i as usize));
    let (list, header, basis) = match known {
        Some(i) => {
            let list = lowrank_mf::similar_items(m, i as usize, a.n)?;
            (
                list,
                format!(
                    "items most similar to {} (cosine of item factors):\n",
                    a.item
                ),
                "cosine",
            )
        }
        None => {
            let list = top_n(m, None, &[], a.n);
            let header = format!(
                "item {} is not in the model: the {} most popular items instead\n",
                a.item,
                list.len()
            );
            (list, header, "popularity (unknown item)")
        }
    };
    let doc = json!({"command": "mf similar", "item": a.item, "basis": basis,
        "items": list.iter().map(|(i, s)| json!({"item": saved.items.id(*i as u32), "score": s})).collect::<Vec<_>>()});
    print_items(
        g,
        doc,
        header,
        &saved.items,
        &list,
        if basis == "cosine" {
            "cosine"
        } else {
            "ratings"
        },
    )
}
