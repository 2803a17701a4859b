//! `lowrank pca`: fit a PCA model and write it atomically; `transform` / `inverse-transform`
//! with a saved model.

use super::{load, Global};
use crate::args::{InputArgs, MethodArg, PcaAction, PcaApplyArgs, PcaArgs, PcaSolverArg};
use crate::failure::{self, Failure};
use crate::progress::Bar;
use crate::report::Tool;
use faer::{Mat, Par};
use lowrank_core::op::{DenseOp, LinearOperator};
use lowrank_core::pca::{
    fit_with, ComponentSpec, PcaError, PcaFit, PcaModel, PcaParams, PcaSolver,
};
use lowrank_core::svd::{Method, SvdParams};
use lowrank_io::{Matrix, OutputDir};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Schema of `pca.json`.
pub(crate) const SCHEMA: &str = "lowrank.pca.model/1";

pub(crate) fn run(a: PcaArgs, g: &Global) -> Result<(), Failure> {
    match a.action {
        Some(PcaAction::Transform(t)) => apply(t, false),
        Some(PcaAction::InverseTransform(t)) => apply(t, true),
        None => fit_cmd(a, g),
    }
}

fn pca_failure(e: PcaError, column_names: Option<&[String]>) -> Failure {
    match e {
        PcaError::TooManyComponents { .. } | PcaError::InvalidParameter { .. } => {
            Failure::new(failure::USAGE, e.into())
        }
        PcaError::ConstantColumn { column, .. } => {
            let name = column_names
                .and_then(|n| n.get(column))
                .map(|n| format!(" (\"{n}\")"))
                .unwrap_or_default();
            Failure::new(failure::INPUT, anyhow::anyhow!("{e}{name}"))
        }
        PcaError::Svd(s) => s.into(),
        _ => Failure::new(failure::INPUT, e.into()),
    }
}

fn par() -> Par {
    let threads = rayon::current_num_threads();
    if threads > 1 {
        Par::rayon(threads)
    } else {
        Par::Seq
    }
}

fn fit_cmd(a: PcaArgs, g: &Global) -> Result<(), Failure> {
    let Some(input_path) = a.input.clone() else {
        return Err(Failure::usage(
            "no input: give a matrix file, or `transform` / `inverse-transform`",
        ));
    };
    if let Some(out) = &a.out {
        if !a.force && std::fs::symlink_metadata(out).is_ok() {
            return Err(lowrank_io::IoError::OutputExists { path: out.clone() }.into());
        }
    }
    let input_args = InputArgs {
        input: input_path.clone(),
        read: a.read.clone(),
    };
    let mut bar = Bar::new(g.quiet);
    let input = load(&input_args, &mut bar)?;
    let loaded = &input.loaded;
    let par = par();
    let op: Box<dyn LinearOperator + '_> = match &loaded.matrix {
        Matrix::Dense(d) => Box::new(DenseOp::new(d.as_ref())),
        Matrix::Sparse(s) => Box::new(s),
    };
    let components = match (a.components, a.variance) {
        (Some(k), _) => ComponentSpec::Count(k),
        (None, Some(f)) => ComponentSpec::VarianceRatio(f),
        (None, None) => ComponentSpec::Auto,
    };
    let params = PcaParams {
        components,
        scale: a.scale,
        whiten: a.whiten,
        solver: match a.solver {
            // An explicit --method asks for the SVD.
            PcaSolverArg::Auto if a.method != MethodArg::Auto => PcaSolver::Svd,
            PcaSolverArg::Auto => PcaSolver::Auto,
            PcaSolverArg::Covariance => PcaSolver::Covariance,
            PcaSolverArg::Lanczos => PcaSolver::Lanczos,
            PcaSolverArg::Svd => PcaSolver::Svd,
        },
        svd: SvdParams {
            method: match a.method {
                MethodArg::Auto => Method::Auto,
                MethodArg::Exact => Method::Exact,
                MethodArg::Randomized => Method::Randomized,
                MethodArg::Lanczos => Method::Lanczos,
            },
            tol: a.tol,
            seed: a.seed,
            par,
            memory_limit: Some(
                input
                    .memory_limit
                    .saturating_sub(loaded.matrix.memory_bytes()),
            ),
            ..SvdParams::default()
        },
    };
    let fit_start = std::time::Instant::now();
    let fitted = fit_with(op.as_ref(), &params, &mut bar).map_err(|e| match e {
        PcaError::TooFewSamples { .. } => Failure::new(
            failure::INPUT,
            anyhow::anyhow!("{}: {e}", input_path.display()),
        ),
        e => pca_failure(e, loaded.column_names.as_deref()),
    })?;
    // Fit time includes the column statistics, the SVD and its certificate.
    let timings = serde_json::json!({
        "read_seconds": input.read_seconds,
        "fit_seconds": fit_start.elapsed().as_secs_f64(),
    });
    let mut outputs: Vec<String> = Vec::new();
    let mut doc = model_json(&fitted, &components, &input_path, loaded, &[]);
    doc["timings"] = timings.clone();
    if let Some(out) = &a.out {
        bar.phase("writing");
        let dir = OutputDir::create(out, a.force).map_err(Failure::output)?;
        outputs = write_model(&dir, &fitted).map_err(Failure::output)?;
        outputs.push("pca.json".into());
        doc = model_json(&fitted, &components, &input_path, loaded, &outputs);
        doc["timings"] = timings;
        let bytes = serde_json::to_vec_pretty(&doc).map_err(|e| Failure::internal(e.into()))?;
        lowrank_io::write_atomic(&dir.file("pca.json"), &bytes).map_err(Failure::output)?;
        dir.commit().map_err(Failure::output)?;
    }
    bar.finish();
    if g.json {
        crate::report::print_json(&doc)
    } else {
        crate::report::print_text(&summary(&fitted, &input_path, a.out.as_deref(), &outputs))
    }
}

fn spec_json(c: &ComponentSpec) -> Value {
    match c {
        ComponentSpec::Count(k) => json!({"kind": "count", "components": k}),
        ComponentSpec::VarianceRatio(f) => json!({"kind": "variance_ratio", "ratio": f}),
        ComponentSpec::Auto => json!({
            "kind": "auto",
            "ratio": lowrank_core::pca::AUTO_VARIANCE_RATIO,
            "max_components": lowrank_core::pca::AUTO_MAX_COMPONENTS,
        }),
    }
}

fn model_json(
    f: &PcaFit,
    spec: &ComponentSpec,
    path: &Path,
    loaded: &lowrank_io::Loaded,
    files: &[String],
) -> Value {
    let m = &f.model;
    let cert = f.certificate.as_ref().map(|c| {
        json!({
            "max_residual": c.max_residual,
            "relative_error": c.relative_error,
            "energy_retained": c.energy_retained,
            "orthogonality_loss_u": c.orthogonality_loss_u,
            "orthogonality_loss_v": c.orthogonality_loss_v,
        })
    });
    json!({
        "schema": SCHEMA,
        "tool": Tool::current(),
        "input": {
            "path": path.display().to_string(),
            "format": loaded.format.to_string(),
            "sha256": loaded.sha256,
            "storage": if loaded.matrix.is_sparse() { "sparse" } else { "dense" },
            "stored_entries": loaded.matrix.stored_entries(),
        },
        "n_samples": m.n_samples,
        "n_features": m.n_features,
        "components": m.n_components(),
        "component_selection": spec_json(spec),
        "centered": true,
        "scale": m.scale.is_some(),
        "whiten": m.whiten,
        "explained_variance": m.explained_variance,
        "explained_variance_ratio": m.explained_variance_ratio,
        "cumulative_explained_variance_ratio": m.cumulative_ratio(),
        "total_variance": m.total_variance,
        "noise_variance": m.noise_variance,
        "singular_values": m.singular_values,
        "solver": f.solver.name(),
        "svd": {
            "method": f.info.method.name(),
            "reason": f.info.reason,
            "variant": f.info.variant,
            "notes": f.info.notes,
            "converged": f.info.converged,
            "matvecs": f.info.matvecs,
            "phases": f.info.phases.iter().map(|p| json!({"phase": p.phase, "seconds": p.seconds})).collect::<Vec<_>>(),
            "certificate": cert,
        },
        "files": files,
    })
}

fn write_model(dir: &OutputDir, f: &PcaFit) -> Result<Vec<String>, lowrank_io::IoError> {
    let m = &f.model;
    let mut out = Vec::new();
    lowrank_io::write_npy(&dir.file("components.npy"), m.components.as_ref())?;
    out.push("components.npy".to_string());
    lowrank_io::write_npy_vec(&dir.file("mean.npy"), &m.mean)?;
    out.push("mean.npy".into());
    if let Some(s) = &m.scale {
        lowrank_io::write_npy_vec(&dir.file("scale.npy"), s)?;
        out.push("scale.npy".into());
    }
    for (name, v) in [
        ("explained_variance.npy", &m.explained_variance),
        ("explained_variance_ratio.npy", &m.explained_variance_ratio),
        ("singular_values.npy", &m.singular_values),
    ] {
        lowrank_io::write_npy_vec(&dir.file(name), v)?;
        out.push(name.into());
    }
    let bars: Vec<(String, f64)> = m
        .explained_variance_ratio
        .iter()
        .enumerate()
        .map(|(i, r)| ((i + 1).to_string(), *r))
        .collect();
    let total = m.cumulative_ratio().last().copied().unwrap_or(0.0);
    let scree = lowrank_plot::bar_chart(
        &format!(
            "Explained variance ratio ({} components, {:.1}% in total)",
            m.n_components(),
            100.0 * total
        ),
        "component",
        "explained variance ratio",
        &bars,
        false,
    );
    lowrank_io::write_atomic(&dir.file("scree.svg"), scree.as_bytes())?;
    out.push("scree.svg".into());
    let s = &f.scores;
    let chart = if s.ncols() >= 2 {
        lowrank_plot::Chart::new("Training rows on the first two components", "PC1", "PC2")
            .points("rows", (0..s.nrows()).map(|i| (s[(i, 0)], s[(i, 1)])))
    } else {
        lowrank_plot::Chart::new("Training rows on the first component", "row", "PC1")
            .points("rows", (0..s.nrows()).map(|i| (i as f64, s[(i, 0)])))
    };
    lowrank_io::write_atomic(&dir.file("projection.svg"), chart.to_svg().as_bytes())?;
    out.push("projection.svg".into());
    Ok(out)
}

fn summary(f: &PcaFit, input: &Path, out: Option<&Path>, outputs: &[String]) -> String {
    let m = &f.model;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "input       {} ({} samples x {} features)",
        input.display(),
        m.n_samples,
        m.n_features
    );
    let _ = writeln!(
        s,
        "solver      {}; method {}, {} ({})",
        f.solver.name(),
        f.info.method.name(),
        f.info.variant,
        f.info.reason
    );
    for note in &f.info.notes {
        let _ = writeln!(s, "note        {note}");
    }
    let _ = writeln!(
        s,
        "centered    yes; scaled {}; whitened {}",
        if m.scale.is_some() { "yes" } else { "no" },
        if m.whiten { "yes" } else { "no" }
    );
    let _ = writeln!(s, "total var.  {:.6e}", m.total_variance);
    let _ = writeln!(
        s,
        "\n{:>9}  {:>20}  {:>10}  {:>10}",
        "component", "explained variance", "ratio", "cumulative"
    );
    for (i, ((ev, r), c)) in m
        .explained_variance
        .iter()
        .zip(&m.explained_variance_ratio)
        .zip(m.cumulative_ratio())
        .enumerate()
    {
        let _ = writeln!(s, "{:>9}  {:>20.6e}  {:>10.6}  {:>10.6}", i + 1, ev, r, c);
    }
    if let Some(c) = &f.certificate {
        let _ = writeln!(
            s,
            "\nresidual    max {:.2e} (relative to σ₁ of the centred matrix)",
            c.max_residual
        );
    }
    if let Some(o) = out {
        let _ = writeln!(s, "written     {} ({})", o.display(), outputs.join(", "));
    }
    s
}

// ---------------------------------------------------------------------------------------------
// transform / inverse-transform
// ---------------------------------------------------------------------------------------------

fn model_error(dir: &Path, msg: impl std::fmt::Display) -> Failure {
    Failure::new(
        failure::INPUT,
        anyhow::anyhow!("{}: not a usable PCA model directory: {msg}", dir.display()),
    )
}

fn read_npy(dir: &Path, name: &str) -> Result<Mat<f64>, Failure> {
    lowrank_io::read_dense_npy(&dir.join(name)).map_err(|e| model_error(dir, e))
}

fn read_vec(dir: &Path, name: &str) -> Result<Vec<f64>, Failure> {
    lowrank_io::read_npy_vector(&dir.join(name)).map_err(|e| model_error(dir, e))
}

/// Reads and checks a model directory written by `lowrank pca --out`.
pub(crate) fn load_model(dir: &Path) -> Result<PcaModel, Failure> {
    let json_path = dir.join("pca.json");
    let text = std::fs::read_to_string(&json_path)
        .map_err(|e| model_error(dir, format!("cannot read pca.json: {e}")))?;
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| model_error(dir, format!("pca.json is not JSON: {e}")))?;
    let schema = doc.get("schema").and_then(Value::as_str).unwrap_or("");
    if schema != SCHEMA {
        return Err(model_error(
            dir,
            format!("pca.json has schema {schema:?}, expected {SCHEMA:?}"),
        ));
    }
    let get_usize = |k: &str| {
        doc.get(k)
            .and_then(Value::as_u64)
            .map(|v| v as usize)
            .ok_or_else(|| model_error(dir, format!("pca.json has no {k}")))
    };
    let (n_samples, n_features, k) = (
        get_usize("n_samples")?,
        get_usize("n_features")?,
        get_usize("components")?,
    );
    let whiten = doc.get("whiten").and_then(Value::as_bool).unwrap_or(false);
    let scaled = doc.get("scale").and_then(Value::as_bool).unwrap_or(false);
    let total_variance = doc
        .get("total_variance")
        .and_then(Value::as_f64)
        .unwrap_or(f64::NAN);
    let noise_variance = doc
        .get("noise_variance")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    let components = read_npy(dir, "components.npy")?;
    if components.nrows() != k || components.ncols() != n_features {
        return Err(model_error(
            dir,
            format!(
                "components.npy is {}x{}, pca.json says {k} components x {n_features} features",
                components.nrows(),
                components.ncols()
            ),
        ));
    }
    let model = PcaModel {
        n_samples,
        n_features,
        components,
        singular_values: read_vec(dir, "singular_values.npy")?,
        explained_variance: read_vec(dir, "explained_variance.npy")?,
        explained_variance_ratio: read_vec(dir, "explained_variance_ratio.npy")?,
        total_variance,
        mean: read_vec(dir, "mean.npy")?,
        scale: if scaled {
            Some(read_vec(dir, "scale.npy")?)
        } else {
            None
        },
        whiten,
        noise_variance,
    };
    model.validate().map_err(|e| model_error(dir, e))?;
    Ok(model)
}

fn apply(t: PcaApplyArgs, inverse: bool) -> Result<(), Failure> {
    if !t.force && std::fs::symlink_metadata(&t.out).is_ok() {
        return Err(lowrank_io::IoError::OutputExists {
            path: t.out.clone(),
        }
        .into());
    }
    let model = load_model(&t.model)?;
    let input_args = InputArgs {
        input: t.input.clone(),
        read: crate::args::ReadFlags {
            input_format: t.input_format,
            ..Default::default()
        },
    };
    let mut bar = Bar::new(true);
    let input = load(&input_args, &mut bar)?;
    let x = match input.loaded.matrix {
        Matrix::Dense(d) => d,
        Matrix::Sparse(s) => lowrank_core::op::to_dense(&s, Par::Seq)
            .map_err(|e| Failure::from(lowrank_core::SvdError::from(e)))?,
    };
    let (expected, what) = if inverse {
        (model.n_components(), "components (coordinates)")
    } else {
        (model.n_features, "features")
    };
    if x.ncols() != expected {
        return Err(Failure::new(
            failure::INPUT,
            anyhow::anyhow!(
                "{} has {} columns, but the model in {} has {expected} {what}",
                t.input.display(),
                x.ncols(),
                t.model.display()
            ),
        ));
    }
    let y = if inverse {
        model.inverse_transform(x.as_ref())
    } else {
        model.transform(x.as_ref())
    }
    .map_err(|e| pca_failure(e, None))?;
    let out: PathBuf = t.out.clone();
    lowrank_io::write_npy(&out, y.as_ref()).map_err(Failure::output)?;
    Ok(())
}
