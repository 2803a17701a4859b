//! `lowrank anomaly`: score rows by their residual against a low-rank (PCA) fit of normal
//! data, flag those above a threshold calibrated on the normal data, write scores, flagged
//! rows, a report and a picture atomically.

use super::{load, Global};
use crate::args::{InputArgs, ReadFlags};
use crate::failure::{self, Failure};
use crate::progress::Bar;
use crate::report::Tool;
use clap::Args;
use faer::{Mat, Par};
use lowrank_core::anomaly::{
    fit_with, AnomalyError, AnomalyFit, AnomalyParams, ComponentSpec, Detection, ThresholdRule,
    DEFAULT_QUANTILE, DEFAULT_VARIANCE,
};
use lowrank_core::pca::PcaError;
use lowrank_core::svd::{Method, SvdParams};
use lowrank_io::{Loaded, Matrix, OutputDir};
use lowrank_plot::Chart;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Schema of `anomaly.json`.
pub(crate) const SCHEMA: &str = "lowrank.anomaly/1";

const ANOMALY_HELP: &str =
    "Rows are samples (e.g. time windows), columns features (e.g. metrics). A PCA is fitted to
the normal rows (--train; without it, to the scored rows themselves, so anomalies contaminate
the fit). score = ‖(I − V_k·V_kᵀ)·z‖, z the centred (with --scale, standardised) row: the
norm of the residual; its square is the Q statistic (SPE). k: --components K, or the smallest
reaching --variance F of the variance (default 0.9). Threshold on the training scores:
--quantile Q (default 0.99) or --robust-z Z ((score − median)/(1.4826·MAD) > Z). Rows are
numbered from 0 (data rows, header excluded). --out DIR writes scores.csv, flagged.csv,
anomaly.json, scores.svg and the model (components.npy, mean.npy, singular_values.npy, scale.npy
with --scale; servable by `lowrank serve`) atomically; without --out the flagged rows are printed.

Examples (from the repository root):
  lowrank anomaly testdata/anomaly/windows.csv --train testdata/anomaly/normal.csv --scale
  lowrank anomaly testdata/anomaly/windows.csv --train testdata/anomaly/normal.csv --scale \\
    --out scores/
  lowrank anomaly testdata/anomaly/windows.csv --scale --robust-z 3.5 --components 3 --json";

/// Arguments of `lowrank anomaly`.
#[derive(Args, Debug)]
#[command(after_help = ANOMALY_HELP)]
pub(crate) struct AnomalyArgs {
    /// Rows to score (samples × features): .csv, .npy, .mtx, ...
    pub(crate) input: PathBuf,
    #[command(flatten)]
    pub(crate) read: ReadFlags,
    /// Normal rows to learn from (same columns); default: the scored rows themselves.
    #[arg(long, value_name = "FILE")]
    pub(crate) train: Option<PathBuf>,
    /// Rank of the normal subspace.
    #[arg(long, short = 'k', value_name = "K")]
    pub(crate) components: Option<usize>,
    /// Smallest rank reaching this cumulative explained variance fraction (default 0.9).
    #[arg(long, value_name = "F", conflicts_with = "components")]
    pub(crate) variance: Option<f64>,
    /// Threshold: this quantile of the training scores (default 0.99).
    #[arg(long, value_name = "Q")]
    pub(crate) quantile: Option<f64>,
    /// Threshold: robust z-score of the training scores, (score − median)/(1.4826·MAD) > Z.
    #[arg(
        long,
        value_name = "Z",
        conflicts_with = "quantile",
        allow_negative_numbers = true
    )]
    pub(crate) robust_z: Option<f64>,
    /// Standardise every column (training standard deviation) before the PCA: use it when
    /// the columns have different units.
    #[arg(long)]
    pub(crate) scale: bool,
    /// Output directory (written atomically).
    #[arg(long, short, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Replace an existing output directory.
    #[arg(long)]
    pub(crate) force: bool,
}

fn dense(l: &Loaded) -> Result<Mat<f64>, Failure> {
    Ok(match &l.matrix {
        Matrix::Dense(d) => d.clone(),
        Matrix::Sparse(s) => lowrank_core::op::to_dense(s, Par::Seq)
            .map_err(|e| Failure::from(lowrank_core::SvdError::from(e)))?,
    })
}

fn anomaly_failure(e: AnomalyError, train: &Path, scored: &Path) -> Failure {
    match e {
        AnomalyError::InvalidParameter { .. }
        | AnomalyError::NoResidual { .. }
        | AnomalyError::Pca(PcaError::TooManyComponents { .. })
        | AnomalyError::Pca(PcaError::InvalidParameter { .. }) => {
            Failure::new(failure::USAGE, anyhow::anyhow!("{}: {e}", train.display()))
        }
        AnomalyError::Pca(PcaError::Svd(s)) => s.into(),
        AnomalyError::ShapeMismatch { got, expected } => Failure::new(
            failure::INPUT,
            anyhow::anyhow!(
                "{} has {got} columns but the training data {} has {expected}: the columns \
                 must be the same metrics in the same order",
                scored.display(),
                train.display()
            ),
        ),
        _ => Failure::new(failure::INPUT, anyhow::anyhow!("{}: {e}", train.display())),
    }
}

pub(crate) fn run(a: AnomalyArgs, g: &Global) -> Result<(), Failure> {
    if let Some(out) = &a.out {
        if !a.force && std::fs::symlink_metadata(out).is_ok() {
            return Err(lowrank_io::IoError::OutputExists { path: out.clone() }.into());
        }
    }
    let threshold = match (a.quantile, a.robust_z) {
        (Some(q), _) => ThresholdRule::Quantile(q),
        (None, Some(z)) => ThresholdRule::RobustZ(z),
        (None, None) => ThresholdRule::Quantile(DEFAULT_QUANTILE),
    };
    match threshold {
        ThresholdRule::Quantile(q) if !(q > 0.0 && q < 1.0) => {
            return Err(Failure::usage(format!(
                "--quantile {q}: give a fraction strictly between 0 and 1 (e.g. 0.99)"
            )))
        }
        ThresholdRule::RobustZ(z) if !(z > 0.0 && z.is_finite()) => {
            return Err(Failure::usage(format!(
                "--robust-z {z}: give a positive number (e.g. 3.5)"
            )))
        }
        _ => {}
    }
    if let Some(f) = a.variance {
        if !(f > 0.0 && f <= 1.0) {
            return Err(Failure::usage(format!(
                "--variance {f}: give a fraction in (0, 1] (e.g. 0.9)"
            )));
        }
    }
    if a.components == Some(0) {
        return Err(Failure::usage("--components 0: give at least 1"));
    }
    let components = match (a.components, a.variance) {
        (Some(k), _) => ComponentSpec::Count(k),
        (None, Some(f)) => ComponentSpec::VarianceRatio(f),
        (None, None) => ComponentSpec::VarianceRatio(DEFAULT_VARIANCE),
    };

    let mut bar = Bar::new(g.quiet);
    let scored_in = load(
        &InputArgs {
            input: a.input.clone(),
            read: a.read.clone(),
        },
        &mut bar,
    )?;
    let train_in = match &a.train {
        Some(t) => Some(load(
            &InputArgs {
                input: t.clone(),
                read: a.read.clone(),
            },
            &mut bar,
        )?),
        None => None,
    };
    let train_path = a.train.clone().unwrap_or_else(|| a.input.clone());
    let scored = dense(&scored_in.loaded)?;
    let train = match &train_in {
        Some(t) => dense(&t.loaded)?,
        None => scored.clone(),
    };
    let train_loaded = train_in.as_ref().map_or(&scored_in.loaded, |t| &t.loaded);
    if train.ncols() != scored.ncols() {
        return Err(anomaly_failure(
            AnomalyError::ShapeMismatch {
                got: scored.ncols(),
                expected: train.ncols(),
            },
            &train_path,
            &a.input,
        ));
    }
    if let (Some(tn), Some(sn)) = (&train_loaded.column_names, &scored_in.loaded.column_names) {
        if let Some(j) = (0..tn.len().min(sn.len())).find(|&j| tn[j] != sn[j]) {
            return Err(Failure::new(
                failure::INPUT,
                anyhow::anyhow!(
                    "column {} (0-based) is \"{}\" in {} but \"{}\" in {}: the columns must be \
                     the same metrics in the same order",
                    j,
                    sn[j],
                    a.input.display(),
                    tn[j],
                    train_path.display()
                ),
            ));
        }
    }
    let threads = rayon::current_num_threads();
    let params = AnomalyParams {
        components,
        scale: a.scale,
        threshold,
        svd: SvdParams {
            method: Method::Exact,
            par: if threads > 1 {
                Par::rayon(threads)
            } else {
                Par::Seq
            },
            memory_limit: Some(scored_in.memory_limit),
            ..SvdParams::default()
        },
    };
    bar.phase("fitting the normal subspace");
    let start = std::time::Instant::now();
    let fitted = fit_with(train.as_ref(), &params, &mut bar).map_err(|e| match e {
        AnomalyError::Pca(PcaError::TooFewSamples { n_samples }) => Failure::new(
            failure::INPUT,
            anyhow::anyhow!(
                "{}: the normal data has {n_samples} row(s); a PCA needs at least 2",
                train_path.display()
            ),
        ),
        AnomalyError::Pca(PcaError::ConstantColumn { column, value }) => {
            let name = train_loaded
                .column_names
                .as_ref()
                .and_then(|n| n.get(column))
                .map(|n| format!(" (\"{n}\")"))
                .unwrap_or_default();
            Failure::new(
                failure::INPUT,
                anyhow::anyhow!(
                    "{}: column {column}{name} is constant (every value is {value}): it cannot \
                     be scaled; drop it or run without --scale",
                    train_path.display()
                ),
            )
        }
        e => anomaly_failure(e, &train_path, &a.input),
    })?;
    let fit_seconds = start.elapsed().as_secs_f64();
    let detection = fitted
        .model
        .detect(scored.as_ref())
        .map_err(|e| anomaly_failure(e, &train_path, &a.input))?;
    let timings = json!({
        "read_seconds": scored_in.read_seconds + train_in.as_ref().map_or(0.0, |t| t.read_seconds),
        "fit_seconds": fit_seconds,
        "score_seconds": start.elapsed().as_secs_f64() - fit_seconds,
    });
    let ctx = Ctx {
        scored_path: &a.input,
        scored: &scored_in.loaded,
        train_path: a.train.as_deref(),
        train: train_in.as_ref().map(|t| &t.loaded),
        components: &components,
    };
    let mut outputs: Vec<String> = Vec::new();
    let mut doc = report(&fitted, &detection, &ctx, &[]);
    doc["timings"] = timings.clone();
    if let Some(out) = &a.out {
        bar.phase("writing");
        let dir = OutputDir::create(out, a.force).map_err(Failure::output)?;
        outputs = write_outputs(&dir, &fitted, &detection).map_err(Failure::output)?;
        outputs.push("anomaly.json".into());
        doc = report(&fitted, &detection, &ctx, &outputs);
        doc["timings"] = timings;
        let bytes = serde_json::to_vec_pretty(&doc).map_err(|e| Failure::internal(e.into()))?;
        lowrank_io::write_atomic(&dir.file("anomaly.json"), &bytes).map_err(Failure::output)?;
        dir.commit().map_err(Failure::output)?;
    }
    bar.finish();
    if g.json {
        crate::report::print_json(&doc)
    } else {
        crate::report::print_text(&summary(&fitted, &detection, &a, &outputs))
    }
}

struct Ctx<'a> {
    scored_path: &'a Path,
    scored: &'a Loaded,
    train_path: Option<&'a Path>,
    train: Option<&'a Loaded>,
    components: &'a ComponentSpec,
}

fn input_json(path: &Path, l: &Loaded) -> Value {
    json!({
        "path": path.display().to_string(),
        "format": l.format.to_string(),
        "sha256": l.sha256,
        "rows": l.matrix.nrows(),
        "columns": l.matrix.ncols(),
    })
}

fn report(f: &AnomalyFit, d: &Detection, c: &Ctx<'_>, files: &[String]) -> Value {
    let m = &f.model;
    let flagged: Vec<Value> = d
        .flagged
        .iter()
        .map(|&i| {
            json!({
                "row": i,
                "score": d.scores[i],
                "robust_z": d.robust_z.as_ref().map(|z| z[i]),
            })
        })
        .collect();
    let selection = match c.components {
        ComponentSpec::Count(k) => json!({"kind": "count", "components": k}),
        ComponentSpec::VarianceRatio(r) => json!({"kind": "variance_ratio", "ratio": r}),
        ComponentSpec::Auto => json!({"kind": "auto"}),
    };
    json!({
        "schema": SCHEMA,
        "tool": Tool::current(),
        "inputs": {
            "scored": input_json(c.scored_path, c.scored),
            "train": match (c.train_path, c.train) {
                (Some(p), Some(l)) => input_json(p, l),
                _ => Value::Null,
            },
            "trained_on_scored_rows": c.train.is_none(),
        },
        "columns": c.scored.column_names,
        "score": "norm of the residual after projection on the top-k axes (its square is the Q statistic / SPE)",
        "row_numbering": "0-based data rows (header excluded)",
        "n_features": m.pca.n_features,
        "components": m.n_components(),
        "component_selection": selection,
        "scale": m.pca.scale.is_some(),
        "explained_variance_ratio": m.pca.explained_variance_ratio,
        "cumulative_explained_variance_ratio": m.pca.cumulative_ratio().last(),
        "threshold": {
            "rule": m.rule.name(),
            "parameter": m.rule.parameter(),
            "value": m.threshold,
            "training_median": m.median,
            "training_mad": m.mad,
        },
        "counts": {
            "training_rows": f.training_scores.len(),
            "training_flagged": f.training_flagged,
            "scored_rows": d.scores.len(),
            "flagged": d.flagged.len(),
        },
        "flagged": flagged,
        "svd": {
            "method": f.info.method.name(),
            "variant": f.info.variant,
            "reason": f.info.reason,
            "notes": f.info.notes,
        },
        "files": files,
    })
}

fn write_outputs(
    dir: &OutputDir,
    f: &AnomalyFit,
    d: &Detection,
) -> Result<Vec<String>, lowrank_io::IoError> {
    let th = f.model.threshold;
    let z = |i: usize| {
        d.robust_z
            .as_ref()
            .map(|z| format!("{:.6}", z[i]))
            .unwrap_or_default()
    };
    let mut scores = String::from("row,score,robust_z,flagged\n");
    for (i, s) in d.scores.iter().enumerate() {
        let _ = writeln!(scores, "{i},{s:.9e},{},{}", z(i), u8::from(*s > th));
    }
    lowrank_io::write_atomic(&dir.file("scores.csv"), scores.as_bytes())?;
    let mut flagged = String::from("rank,row,score,robust_z\n");
    for (r, &i) in d.flagged.iter().enumerate() {
        let _ = writeln!(flagged, "{},{i},{:.9e},{}", r + 1, d.scores[i], z(i));
    }
    lowrank_io::write_atomic(&dir.file("flagged.csv"), flagged.as_bytes())?;
    lowrank_io::write_atomic(&dir.file("scores.svg"), scores_chart(f, d).as_bytes())?;
    let mut files: Vec<String> = vec![
        "scores.csv".into(),
        "flagged.csv".into(),
        "scores.svg".into(),
    ];
    // The model's parts, so `lowrank serve` (and the store) can score new rows with exactly
    // this fit: the axes, the centring and scaling, and the singular values (for drift).
    let pca = &f.model.pca;
    lowrank_io::write_npy(&dir.file("components.npy"), pca.components.as_ref())?;
    lowrank_io::write_npy_vec(&dir.file("mean.npy"), &pca.mean)?;
    lowrank_io::write_npy_vec(&dir.file("singular_values.npy"), &pca.singular_values)?;
    files.extend([
        "components.npy".into(),
        "mean.npy".into(),
        "singular_values.npy".into(),
    ]);
    if let Some(s) = &pca.scale {
        lowrank_io::write_npy_vec(&dir.file("scale.npy"), s)?;
        files.push("scale.npy".into());
    }
    Ok(files)
}

/// Scores over row index, the threshold as a horizontal line, flagged rows as points.
pub(crate) fn scores_chart(f: &AnomalyFit, d: &Detection) -> String {
    let m = &f.model;
    let rule = match m.rule {
        ThresholdRule::Quantile(q) => format!("{q} quantile of training scores"),
        ThresholdRule::RobustZ(z) => format!("robust z > {z}"),
    };
    Chart::new(
        format!(
            "Residual scores (k = {}): {} of {} rows flagged",
            m.n_components(),
            d.flagged.len(),
            d.scores.len()
        ),
        "row",
        "score ‖(I − V_k·V_kᵀ)·z‖",
    )
    .line(
        "score",
        d.scores.iter().enumerate().map(|(i, s)| (i as f64, *s)),
    )
    .points(
        "flagged",
        d.flagged.iter().map(|&i| (i as f64, d.scores[i])),
    )
    .hline(
        m.threshold,
        format!("threshold {:.3} ({rule})", m.threshold),
    )
    .to_svg()
}

fn summary(f: &AnomalyFit, d: &Detection, a: &AnomalyArgs, outputs: &[String]) -> String {
    let m = &f.model;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "scored      {} ({} rows x {} columns)",
        a.input.display(),
        d.scores.len(),
        m.pca.n_features
    );
    match &a.train {
        Some(t) => {
            let _ = writeln!(
                s,
                "trained on  {} ({} rows)",
                t.display(),
                f.training_scores.len()
            );
        }
        None => {
            let _ = writeln!(
                s,
                "trained on  the scored rows themselves (anomalies among them contaminate the fit)"
            );
        }
    }
    let _ = writeln!(
        s,
        "subspace    k = {} ({:.1}% of the variance{})",
        m.n_components(),
        100.0 * m.pca.cumulative_ratio().last().copied().unwrap_or(0.0),
        if m.pca.scale.is_some() {
            ", scaled columns"
        } else {
            ""
        }
    );
    let rule = match m.rule {
        ThresholdRule::Quantile(q) => format!("{q} quantile of the training scores"),
        ThresholdRule::RobustZ(z) => format!(
            "median {:.4} + {z}·1.4826·MAD {:.4} of the training scores",
            m.median, m.mad
        ),
    };
    let _ = writeln!(s, "threshold   {:.6} ({rule})", m.threshold);
    let _ = writeln!(
        s,
        "flagged     {} of {} rows ({} of {} training rows)",
        d.flagged.len(),
        d.scores.len(),
        f.training_flagged,
        f.training_scores.len()
    );
    if let Some(o) = &a.out {
        let _ = writeln!(s, "written     {} ({})", o.display(), outputs.join(", "));
    } else if !d.flagged.is_empty() {
        let _ = writeln!(s, "\n{:>8}  {:>14}  {:>10}", "row", "score", "robust z");
        for &i in &d.flagged {
            let z = d
                .robust_z
                .as_ref()
                .map(|z| format!("{:.2}", z[i]))
                .unwrap_or_else(|| "-".into());
            let _ = writeln!(s, "{i:>8}  {:>14.6}  {z:>10}", d.scores[i]);
        }
    }
    s
}
