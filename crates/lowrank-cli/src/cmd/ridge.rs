//! `lowrank ridge`: Tikhonov (ridge) least squares from one SVD — the whole regularization
//! path, λ by GCV or the L-curve, truncated SVD as an alternative — written atomically with
//! its pictures.

use super::{load, Global};
use crate::args::{InputArgs, ReadFlags};
use crate::failure::{self, Failure};
use crate::progress::Bar;
use crate::report::Tool;
use clap::{Args, ValueEnum};
use faer::Par;
use lowrank_core::op::{DenseOp, LinearOperator};
use lowrank_core::ridge::{
    fit_with, Choice, Intercept, LambdaGrid, Refinement, Regularization, RidgeError, RidgeFit,
    RidgeParams, Selection, DEFAULT_GRID_POINTS,
};
use lowrank_core::svd::SvdParams;
use lowrank_io::{Loaded, Matrix, OutputDir};
use lowrank_plot::Chart;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Schema of `ridge.json`.
pub(crate) const SCHEMA: &str = "lowrank.ridge/1";

const RIDGE_HELP: &str =
    "Solves min ‖A·x − b‖² + λ‖x‖² (λ multiplies the squared norm, as scikit-learn's
alpha) for every column of b, from one exact thin SVD of A (sparse A is densified after the
memory check). The path over the λ grid costs O(k) per λ; λ is chosen by GCV (refined by a
golden-section search), by the L-curve corner (--select lcurve) or fixed (--lambda). Singular
values ≤ rcond·σ₁ (default ε·max(m, n)) count as zero, so --lambda 0 is the pseudo-inverse.
--method tsvd keeps the first k triplets instead, k by GCV or --rank.
--out DIR writes x.npy (n×p), residuals.npy (m×p), intercept.npy (with --intercept),
path.csv, tsvd.csv, ridge.json, gcv.svg, lcurve.svg and path.svg, atomically.

Examples (from the repository root):
  lowrank ridge testdata/mtx/illc1033.mtx testdata/mtx/illc1033_rhs1.mtx --out ridge/
  lowrank ridge testdata/mtx/well1033.mtx testdata/mtx/well1033_rhs1.mtx --lambda 1e-3
  lowrank ridge testdata/mtx/illc1033.mtx testdata/mtx/illc1033_rhs1.mtx --method tsvd --json
  lowrank ridge testdata/mtx/illc1033.mtx testdata/mtx/illc1033_rhs1.mtx --select lcurve \\
    --lambdas 1e-10:1:60 --out lcurve/";

/// Regularization of the returned solution.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MethodChoice {
    /// Ridge: filter factors σ²/(σ² + λ).
    Tikhonov,
    /// Truncated SVD: the first k triplets.
    Tsvd,
}

/// How λ is chosen when not fixed.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SelectChoice {
    /// Minimum of generalized cross-validation.
    Gcv,
    /// Corner (largest curvature) of the L-curve.
    Lcurve,
}

/// Arguments of `lowrank ridge`.
#[derive(Args, Debug)]
#[command(after_help = RIDGE_HELP)]
pub(crate) struct RidgeArgs {
    /// The matrix A (m×n): .mtx, .npy, .csv, ...
    pub(crate) input: PathBuf,
    /// The right-hand side(s) b (m×p): a Matrix Market array or coordinate vector, .npy, .csv.
    pub(crate) rhs: PathBuf,
    #[command(flatten)]
    pub(crate) read: ReadFlags,
    /// Use this λ (≥ 0) instead of choosing one; the path is still computed for the pictures.
    #[arg(long, value_name = "L", allow_negative_numbers = true)]
    pub(crate) lambda: Option<f64>,
    /// The λ grid: `MIN:MAX:N` (N log-spaced values) or a comma list `0.01,0.1,1`.
    /// Default: 100 log-spaced values from max(1e-14·σ₁², σ_r²/100) to σ₁².
    #[arg(long, value_name = "SPEC", allow_hyphen_values = true)]
    pub(crate) lambdas: Option<String>,
    /// Regularization of the solution written (both paths are always reported).
    #[arg(long, value_enum, default_value = "tikhonov")]
    pub(crate) method: MethodChoice,
    /// How λ is chosen (Tikhonov without --lambda).
    #[arg(long, value_enum, default_value = "gcv", conflicts_with = "lambda")]
    pub(crate) select: SelectChoice,
    /// Truncated SVD: keep K triplets instead of choosing K by GCV.
    #[arg(long, value_name = "K")]
    pub(crate) rank: Option<usize>,
    /// Fit an unpenalised intercept (centre A and b), as scikit-learn's fit_intercept.
    #[arg(long)]
    pub(crate) intercept: bool,
    /// Relative cut-off: singular values ≤ RCOND·σ₁ count as zero (default ε·max(m, n)).
    #[arg(long, value_name = "RCOND")]
    pub(crate) rcond: Option<f64>,
    /// Output directory (written atomically).
    #[arg(long, short, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Replace an existing output directory.
    #[arg(long)]
    pub(crate) force: bool,
}

fn par() -> Par {
    let threads = rayon::current_num_threads();
    if threads > 1 {
        Par::rayon(threads)
    } else {
        Par::Seq
    }
}

/// `MIN:MAX:N` or `a,b,c`.
fn parse_grid(spec: &str) -> Result<Vec<f64>, Failure> {
    let bad = |why: String| Failure::usage(format!("--lambdas '{spec}': {why}"));
    let num = |t: &str| -> Result<f64, Failure> {
        let v: f64 = t
            .trim()
            .parse()
            .map_err(|_| bad(format!("'{t}' is not a number")))?;
        if !(v.is_finite() && v >= 0.0) {
            return Err(bad(format!("λ = {v}: every λ must be finite and ≥ 0")));
        }
        Ok(v)
    };
    let parts: Vec<&str> = spec.split(':').collect();
    match parts.len() {
        1 => spec.split(',').map(num).collect(),
        3 => {
            let (lo, hi) = (num(parts[0])?, num(parts[1])?);
            let n: usize = parts[2]
                .trim()
                .parse()
                .map_err(|_| bad(format!("'{}' is not a count", parts[2])))?;
            if !(lo > 0.0 && hi > lo && n >= 2) {
                return Err(bad(
                    "MIN:MAX:N needs 0 < MIN < MAX and N ≥ 2 (log-spaced values)".into(),
                ));
            }
            let (a, b) = (lo.ln(), hi.ln());
            Ok((0..n)
                .map(|i| (a + (b - a) * i as f64 / (n - 1) as f64).exp())
                .collect())
        }
        _ => Err(bad("give MIN:MAX:N or a comma-separated list".into())),
    }
}

fn ridge_failure(e: RidgeError, a: &Path, b: &Path) -> Failure {
    match e {
        RidgeError::ShapeMismatch { a_rows, b_rows } => Failure::new(
            failure::INPUT,
            anyhow::anyhow!(
                "{} has {b_rows} rows but {} has {a_rows}: the right-hand side needs one row \
                 per row of A",
                b.display(),
                a.display()
            ),
        ),
        RidgeError::InvalidParameter { .. } => Failure::new(failure::USAGE, e.into()),
        RidgeError::Svd(s) => s.into(),
        RidgeError::NonFinite { what, .. } => {
            let file = if what == "b" { b } else { a };
            Failure::new(failure::INPUT, anyhow::anyhow!("{}: {e}", file.display()))
        }
        _ => Failure::new(
            failure::INPUT,
            anyhow::anyhow!("{} with {}: {e}", a.display(), b.display()),
        ),
    }
}

pub(crate) fn run(a: RidgeArgs, g: &Global) -> Result<(), Failure> {
    if let Some(out) = &a.out {
        if !a.force && std::fs::symlink_metadata(out).is_ok() {
            return Err(lowrank_io::IoError::OutputExists { path: out.clone() }.into());
        }
    }
    // Parameters are checked before any file is read.
    if let Some(l) = a.lambda {
        if !(l.is_finite() && l >= 0.0) {
            return Err(Failure::usage(format!(
                "--lambda {l}: λ must be finite and ≥ 0 (it multiplies ‖x‖²)"
            )));
        }
    }
    let grid = match &a.lambdas {
        Some(spec) => LambdaGrid::Given(parse_grid(spec)?),
        None => LambdaGrid::Auto {
            count: DEFAULT_GRID_POINTS,
        },
    };
    let (method, selection) =
        match (a.method, a.lambda, a.rank) {
            (MethodChoice::Tikhonov, _, Some(_)) => {
                return Err(Failure::usage(
                    "--rank is for --method tsvd; Tikhonov takes --lambda or chooses λ",
                ))
            }
            (MethodChoice::Tsvd, Some(_), _) => return Err(Failure::usage(
                "--lambda is for --method tikhonov; truncated SVD takes --rank or chooses k by GCV",
            )),
            (MethodChoice::Tsvd, None, _) if a.select == SelectChoice::Lcurve => {
                return Err(Failure::usage(
                    "--select lcurve is for --method tikhonov; truncated SVD chooses k by GCV",
                ))
            }
            (MethodChoice::Tikhonov, Some(l), None) => {
                (Regularization::Tikhonov, Selection::FixedLambda(l))
            }
            (MethodChoice::Tikhonov, None, None) => (
                Regularization::Tikhonov,
                match a.select {
                    SelectChoice::Gcv => Selection::Gcv,
                    SelectChoice::Lcurve => Selection::LCurve,
                },
            ),
            (MethodChoice::Tsvd, None, Some(k)) => {
                (Regularization::TruncatedSvd, Selection::FixedRank(k))
            }
            (MethodChoice::Tsvd, None, None) => (Regularization::TruncatedSvd, Selection::Gcv),
        };

    let mut bar = Bar::new(g.quiet);
    let a_in = load(
        &InputArgs {
            input: a.input.clone(),
            read: a.read.clone(),
        },
        &mut bar,
    )?;
    // b is read by its own extension (A's --input-format may not fit it).
    let b_in = load(
        &InputArgs {
            input: a.rhs.clone(),
            read: ReadFlags {
                max_memory: a.read.max_memory.clone(),
                ..ReadFlags::default()
            },
        },
        &mut bar,
    )?;
    let b = match &b_in.loaded.matrix {
        Matrix::Dense(d) => d.clone(),
        Matrix::Sparse(s) => lowrank_core::op::to_dense(s, Par::Seq)
            .map_err(|e| Failure::from(lowrank_core::SvdError::from(e)))?,
    };
    let loaded = &a_in.loaded;
    let op: Box<dyn LinearOperator + '_> = match &loaded.matrix {
        Matrix::Dense(d) => Box::new(DenseOp::new(d.as_ref())),
        Matrix::Sparse(s) => Box::new(s),
    };
    let par = par();
    let params = RidgeParams {
        method,
        selection,
        grid,
        refinement: Refinement::GoldenSection,
        intercept: if a.intercept {
            Intercept::Fit
        } else {
            Intercept::None
        },
        rcond: a.rcond,
        svd: SvdParams {
            par,
            memory_limit: Some(
                a_in.memory_limit
                    .saturating_sub(loaded.matrix.memory_bytes())
                    .saturating_sub(b_in.loaded.matrix.memory_bytes()),
            ),
            ..SvdParams::default()
        },
    };
    bar.phase("exact SVD and the regularization path");
    let start = std::time::Instant::now();
    let fitted = fit_with(op.as_ref(), b.as_ref(), &params, &mut bar)
        .map_err(|e| ridge_failure(e, &a.input, &a.rhs))?;
    let fit_seconds = start.elapsed().as_secs_f64();
    let timings = json!({
        "read_seconds": a_in.read_seconds + b_in.read_seconds,
        "svd_seconds": fitted.info.phases.iter().map(|p| p.seconds).sum::<f64>(),
        "fit_seconds": fit_seconds,
    });
    let inputs = (&a.input, loaded, &a.rhs, &b_in.loaded);
    let mut outputs: Vec<String> = Vec::new();
    let mut doc = report(&fitted, &params, inputs, &[]);
    doc["timings"] = timings.clone();
    if let Some(out) = &a.out {
        bar.phase("writing");
        let dir = OutputDir::create(out, a.force).map_err(Failure::output)?;
        outputs = write_outputs(&dir, &fitted).map_err(Failure::output)?;
        outputs.push("ridge.json".into());
        doc = report(&fitted, &params, inputs, &outputs);
        doc["timings"] = timings;
        let bytes = serde_json::to_vec_pretty(&doc).map_err(|e| Failure::internal(e.into()))?;
        lowrank_io::write_atomic(&dir.file("ridge.json"), &bytes).map_err(Failure::output)?;
        dir.commit().map_err(Failure::output)?;
    }
    bar.finish();
    if g.json {
        crate::report::print_json(&doc)
    } else {
        crate::report::print_text(&summary(&fitted, &a, &outputs))
    }
}

fn finite(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        Value::Null
    }
}

fn choice_json(c: &Option<Choice>, f: &RidgeFit) -> Value {
    match c {
        None => Value::Null,
        Some(c) => json!({
            "lambda": c.lambda,
            "value": finite(c.value),
            "grid_lambda": c.grid_lambda,
            "grid_index": c.grid_index,
            "at_grid_edge": c.at_grid_edge,
            "residual_norm": c.residual_norm,
            "solution_norm": c.solution_norm,
            "dof": f.solver.dof(c.lambda),
        }),
    }
}

fn input_json(path: &Path, l: &Loaded) -> Value {
    json!({
        "path": path.display().to_string(),
        "format": l.format.to_string(),
        "sha256": l.sha256,
        "storage": if l.matrix.is_sparse() { "sparse" } else { "dense" },
        "rows": l.matrix.nrows(),
        "columns": l.matrix.ncols(),
    })
}

/// The solution's own figures: residual from A itself, norm, dof.
fn solution_figures(f: &RidgeFit) -> (f64, f64, f64) {
    let r = f.residuals.norm_l2();
    let x = f.coefficients.norm_l2();
    let dof = match (f.chosen.lambda, f.chosen.rank) {
        (Some(l), _) => f.solver.dof(l),
        (None, Some(k)) => k as f64 + if f.intercept.is_some() { 1.0 } else { 0.0 },
        (None, None) => f64::NAN,
    };
    (r, x, dof)
}

fn report(
    f: &RidgeFit,
    params: &RidgeParams,
    (a_path, a, b_path, b): (&PathBuf, &Loaded, &PathBuf, &Loaded),
    files: &[String],
) -> Value {
    let s = f.solver.singular_values();
    let rank = f.solver.rank();
    let cert = f.certificate.as_ref().map(|c| {
        json!({
            "max_residual": c.max_residual,
            "relative_error": c.relative_error,
            "relative_error_method": c.relative_error_method,
            "relative_error_floor": c.relative_error_floor,
            "orthogonality_loss_u": c.orthogonality_loss_u,
            "orthogonality_loss_v": c.orthogonality_loss_v,
        })
    });
    let how = match f.chosen.selection {
        Selection::Gcv => "gcv",
        Selection::LCurve => "lcurve",
        Selection::FixedLambda(_) => "fixed_lambda",
        Selection::FixedRank(_) => "fixed_rank",
    };
    let (rn, xn, dof) = solution_figures(f);
    let grid: Vec<f64> = f.path.iter().map(|p| p.lambda).collect();
    json!({
        "schema": SCHEMA,
        "tool": Tool::current(),
        "inputs": { "a": input_json(a_path, a), "b": input_json(b_path, b) },
        "rows": a.matrix.nrows(),
        "columns": a.matrix.ncols(),
        "right_hand_sides": f.coefficients.ncols(),
        "convention": "min ‖A·x − b‖² + λ‖x‖² per column of b; norms are Frobenius over the columns",
        "intercept": f.intercept,
        "method": f.chosen.method.name(),
        "chosen": {
            "how": how,
            "lambda": f.chosen.lambda,
            "rank": f.chosen.rank,
            "residual_norm": rn,
            "solution_norm": xn,
            "dof": finite(dof),
        },
        "grid": {
            "source": match params.grid { LambdaGrid::Auto { .. } => "auto", LambdaGrid::Given(_) => "given" },
            "count": grid.len(),
            "min": grid.first(),
            "max": grid.last(),
        },
        "gcv": choice_json(&f.gcv, f),
        "lcurve_corner": choice_json(&f.lcurve_corner, f),
        "tsvd": {
            "gcv_rank": f.tsvd_gcv_rank,
            "gcv": f.tsvd_gcv_rank.and_then(|k| f.tsvd_path[k].gcv),
            "residual_norm": f.tsvd_gcv_rank.map(|k| f.tsvd_path[k].residual_norm),
            "solution_norm": f.tsvd_gcv_rank.map(|k| f.tsvd_path[k].solution_norm),
        },
        "svd": {
            "method": f.info.method.name(),
            "variant": f.info.variant,
            "reason": f.info.reason,
            "notes": f.info.notes,
            "sigma_max": s.first(),
            "sigma_min": s.last(),
            "numerical_rank": rank,
            "rcond": params.rcond.unwrap_or(f64::EPSILON * a.matrix.nrows().max(a.matrix.ncols()) as f64),
            "cutoff": f.solver.cutoff(),
            "condition_number": if rank > 0 { finite(s[0] / s[rank - 1]) } else { Value::Null },
            "outside_range_norm": f.solver.outside_range_sq().sqrt(),
            "certificate": cert,
        },
        "files": files,
    })
}

fn write_outputs(dir: &OutputDir, f: &RidgeFit) -> Result<Vec<String>, lowrank_io::IoError> {
    let mut out = Vec::new();
    lowrank_io::write_npy(&dir.file("x.npy"), f.coefficients.as_ref())?;
    out.push("x.npy".to_string());
    lowrank_io::write_npy(&dir.file("residuals.npy"), f.residuals.as_ref())?;
    out.push("residuals.npy".into());
    if let Some(c) = &f.intercept {
        lowrank_io::write_npy_vec(&dir.file("intercept.npy"), c)?;
        out.push("intercept.npy".into());
    }
    let opt = |v: Option<f64>| v.map(|x| format!("{x:e}")).unwrap_or_default();
    let mut csv = String::from("lambda,residual_norm,solution_norm,dof,gcv,curvature\n");
    for p in &f.path {
        let _ = writeln!(
            csv,
            "{:e},{:e},{:e},{:e},{},{}",
            p.lambda,
            p.residual_norm,
            p.solution_norm,
            p.dof,
            opt(p.gcv),
            opt(p.curvature)
        );
    }
    lowrank_io::write_atomic(&dir.file("path.csv"), csv.as_bytes())?;
    out.push("path.csv".into());
    let mut csv = String::from("k,residual_norm,solution_norm,gcv\n");
    for t in &f.tsvd_path {
        let _ = writeln!(
            csv,
            "{},{:e},{:e},{}",
            t.k,
            t.residual_norm,
            t.solution_norm,
            opt(t.gcv)
        );
    }
    lowrank_io::write_atomic(&dir.file("tsvd.csv"), csv.as_bytes())?;
    out.push("tsvd.csv".into());
    for (name, svg) in [
        ("gcv.svg", gcv_chart(f)),
        ("lcurve.svg", lcurve_chart(f)),
        ("path.svg", path_chart(f)),
    ] {
        lowrank_io::write_atomic(&dir.file(name), svg.as_bytes())?;
        out.push(name.into());
    }
    Ok(out)
}

fn chosen_label(f: &RidgeFit) -> String {
    match (f.chosen.lambda, f.chosen.rank, f.chosen.selection) {
        (Some(l), _, Selection::Gcv) => format!("GCV λ = {l:.3e}"),
        (Some(l), _, Selection::LCurve) => format!("L-curve corner λ = {l:.3e}"),
        (Some(l), _, _) => format!("fixed λ = {l:.3e}"),
        (None, Some(k), _) => format!("TSVD k = {k}"),
        _ => String::new(),
    }
}

/// GCV against λ, log-log, with the chosen λ marked.
pub(crate) fn gcv_chart(f: &RidgeFit) -> String {
    let pts: Vec<(f64, f64)> = f
        .path
        .iter()
        .filter_map(|p| p.gcv.map(|g| (p.lambda, g)))
        .collect();
    let mut c = Chart::new(
        "Generalized cross-validation over the λ grid",
        "λ",
        "GCV(λ) = m‖r‖²/(m − dof)²",
    )
    .log_x()
    .log_y()
    .line("GCV", pts);
    if let Some(g) = &f.gcv {
        c = c.points("GCV minimum", [(g.lambda, g.value)]);
    }
    if let Some(l) = f.chosen.lambda {
        c = c.vline(l, chosen_label(f));
    }
    c.to_svg()
}

/// The L-curve (‖r‖, ‖x‖), log-log, with the chosen point and the corner marked.
pub(crate) fn lcurve_chart(f: &RidgeFit) -> String {
    let mut c = Chart::new(
        "L-curve: solution norm against residual norm as λ varies",
        "residual norm ‖A·x − b‖",
        "solution norm ‖x‖",
    )
    .log_x()
    .log_y()
    .line(
        "L-curve",
        f.path.iter().map(|p| (p.residual_norm, p.solution_norm)),
    );
    if let Some(k) = &f.lcurve_corner {
        c = c.points(
            format!("corner λ = {:.3e}", k.lambda),
            [(k.residual_norm, k.solution_norm)],
        );
    }
    let (rn, xn, _) = solution_figures(f);
    c = c.points(format!("chosen: {}", chosen_label(f)), [(rn, xn)]);
    c.to_svg()
}

/// The largest coefficients (of the first right-hand side) along λ, with the chosen λ marked.
pub(crate) fn path_chart(f: &RidgeFit) -> String {
    let lambdas: Vec<f64> = f.path.iter().map(|p| p.lambda).collect();
    let n = f.coefficients.nrows();
    let mut idx: Vec<usize> = (0..n).collect();
    let x0: Vec<f64> = f.coefficients.col(0).iter().copied().collect();
    idx.sort_by(|&a, &b| x0[b].abs().total_cmp(&x0[a].abs()).then(a.cmp(&b)));
    const SHOWN: usize = 6;
    idx.truncate(SHOWN);
    let title = if n <= SHOWN {
        "Coefficients along the regularization path".to_string()
    } else {
        format!("The {SHOWN} largest of {n} coefficients along the regularization path")
    };
    let mut c = Chart::new(title, "λ", "coefficient x_j(λ)").log_x();
    for j in idx {
        let ys = f.solver.coefficient_path(&lambdas, j, 0);
        c = c.line(format!("x[{j}]"), lambdas.iter().copied().zip(ys));
    }
    if let Some(l) = f.chosen.lambda {
        c = c.vline(l, chosen_label(f));
    }
    c.to_svg()
}

fn summary(f: &RidgeFit, a: &RidgeArgs, outputs: &[String]) -> String {
    let mut s = String::new();
    let s_vals = f.solver.singular_values();
    let _ = writeln!(
        s,
        "A           {} ({} x {})",
        a.input.display(),
        f.residuals.nrows(),
        f.coefficients.nrows()
    );
    let _ = writeln!(
        s,
        "b           {} ({} right-hand side(s))",
        a.rhs.display(),
        f.coefficients.ncols()
    );
    let rank = f.solver.rank();
    if rank > 0 {
        let _ = writeln!(
            s,
            "svd         exact; σ₁ = {:.6e}, σ_min kept = {:.6e}, rank {rank} of {}, cond {:.3e}",
            s_vals[0],
            s_vals[rank - 1],
            s_vals.len(),
            s_vals[0] / s_vals[rank - 1]
        );
    } else {
        let _ = writeln!(s, "svd         A is zero: x = 0");
    }
    if let Some(g) = &f.gcv {
        let _ = writeln!(
            s,
            "gcv         λ = {:.6e} (GCV {:.6e}){}",
            g.lambda,
            g.value,
            match (g.at_grid_edge, g.grid_index) {
                (false, _) => "",
                (true, 0) =>
                    "  [smallest λ of the grid: the data ask for (almost) no regularization]",
                (true, _) => "  [largest λ of the grid: widen --lambdas]",
            }
        );
    }
    if let Some(c) = &f.lcurve_corner {
        let _ = writeln!(
            s,
            "l-curve     corner λ = {:.6e} (curvature {:.3})",
            c.lambda, c.value
        );
    }
    if let Some(k) = f.tsvd_gcv_rank {
        let _ = writeln!(s, "tsvd        GCV k = {k}");
    }
    let (rn, xn, dof) = solution_figures(f);
    let _ = writeln!(
        s,
        "chosen      {} ({})",
        chosen_label(f),
        f.chosen.method.name()
    );
    let _ = writeln!(
        s,
        "solution    ‖A·x − b‖ = {rn:.6e}, ‖x‖ = {xn:.6e}, dof = {dof:.3}"
    );
    if let Some(c) = &f.intercept {
        let _ = writeln!(s, "intercept   {c:?}");
    }
    if let Some(o) = &a.out {
        let _ = writeln!(s, "written     {} ({})", o.display(), outputs.join(", "));
    }
    s
}
