//! `lowrank-bench DATA_DIR [--only W1,W2,W3] [--repeat N] [--json OUT]`
//!
//! Times lowrank on the files written by `../shared/bench/gen_workloads.py`, reporting the same
//! accuracy figures as `peers.py` (σ error against the reference file, both residuals relative to
//! σ*₁, the W2 Frobenius excess) and the same machine calibration (best of 5 1500² f64 GEMMs,
//! before and after), so the two tables can be set side by side. Compute time excludes parsing;
//! parse time is reported separately (end-to-end CLI runs are timed by `bench/run.sh`).

use anyhow::{bail, Context, Result};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use lowrank_core::certificate::certify;
use lowrank_core::op::{DenseOp, LinearOperator};
use lowrank_core::svd::{
    compute, Method, PowerIterations, RangeFinder, RankSpec, SvdParams, Vectors,
};
use lowrank_core::NoObserver;
use lowrank_io::{read_matrix, Matrix, ReadOptions};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Serialize, Clone)]
struct Row {
    workload: String,
    variant: String,
    times: Vec<f64>,
    median: f64,
    gemm_ratio: f64,
    sigma_error: f64,
    residual_av: f64,
    residual_atu: f64,
    frobenius_excess: Option<f64>,
    parse_seconds: f64,
    detail: String,
    /// Flop rate of the passes over A (dense only), as a fraction of the calibration GEMM's.
    gemm_fraction: Option<f64>,
    #[serde(skip)]
    pass_flop_rate: Option<f64>,
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 2 || args[1] == "--help" || args[1] == "-h" {
        eprintln!("usage: lowrank-bench DATA_DIR [--only W1,W2,W3] [--repeat N] [--json OUT]");
        std::process::exit(2);
    }
    let dir = PathBuf::from(&args[1]);
    let mut only = vec!["W1".to_string(), "W2".into(), "W3".into()];
    let mut repeat = 3usize;
    let mut json_out: Option<PathBuf> = None;
    let mut i = 2;
    while i < args.len() {
        match args[i].as_str() {
            "--only" => {
                only = args
                    .get(i + 1)
                    .context("--only needs a list")?
                    .split(',')
                    .map(|s| s.trim().to_uppercase())
                    .collect();
                i += 2;
            }
            "--repeat" => {
                repeat = args.get(i + 1).context("--repeat needs N")?.parse()?;
                i += 2;
            }
            "--json" => {
                json_out = Some(PathBuf::from(
                    args.get(i + 1).context("--json needs a path")?,
                ));
                i += 2;
            }
            other => bail!("unknown argument {other}"),
        }
    }
    let threads = rayon::current_num_threads();
    let par = if threads > 1 {
        Par::rayon(threads)
    } else {
        Par::Seq
    };
    eprintln!("lowrank-bench: {threads} threads, {repeat} rounds");
    let cal_before = calibrate(par);
    let mut rows = Vec::new();
    for w in &only {
        match w.as_str() {
            "W1" => rows.extend(w1(&dir, repeat, par)?),
            "W2" => rows.extend(w2(&dir, repeat, par)?),
            "W3" => rows.extend(w3(&dir, repeat, par)?),
            other => eprintln!("skipping {other}: not a workload of this benchmark"),
        }
    }
    let cal_after = calibrate(par);
    let cal = cal_before.min(cal_after);
    let gemm_rate = 2.0 * 1500f64.powi(3) / cal;
    for r in &mut rows {
        r.gemm_ratio = r.median / cal;
        r.gemm_fraction = r.pass_flop_rate.map(|f| f / gemm_rate);
    }
    println!("lowrank {} — {threads} threads; calibration GEMM 1500² f64 best-of-5: before {:.1} ms, after {:.1} ms\n", env!("CARGO_PKG_VERSION"), cal_before * 1e3, cal_after * 1e3);
    println!("| workload | variant | compute s, median (min–max) | ×GEMM | σ error | ‖Av−σu‖/σ₁ | ‖Aᵀu−σv‖/σ₁ | Frobenius excess | parse s | notes |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for r in &rows {
        let min = r.times.iter().copied().fold(f64::INFINITY, f64::min);
        let max = r.times.iter().copied().fold(0.0, f64::max);
        println!(
            "| {} | {} | {:.3} ({:.3}–{:.3}) | {:.1} | {:.1e} | {:.1e} | {:.1e} | {} | {:.3} | {} |",
            r.workload, r.variant, r.median, min, max, r.gemm_ratio, r.sigma_error, r.residual_av, r.residual_atu,
            r.frobenius_excess.map(|f| format!("{f:.1e}")).unwrap_or_else(|| "–".into()),
            r.parse_seconds,
            match r.gemm_fraction {
                Some(f) => format!("{}; passes over A at {:.0}% of GEMM throughput", r.detail, 100.0 * f),
                None => r.detail.clone(),
            }
        );
    }
    if let Some(p) = json_out {
        let doc = serde_json::json!({ "threads": threads, "calibration_gemm_s": [cal_before, cal_after], "rows": rows });
        std::fs::write(&p, serde_json::to_string_pretty(&doc)?)
            .with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(())
}

/// Best of 5 `C = A·B` with 1500×1500 f64 matrices, as `peers.py` does with NumPy.
fn calibrate(par: Par) -> f64 {
    let a = Mat::<f64>::from_fn(1500, 1500, |i, j| ((i * 7 + j * 13) % 17) as f64 / 17.0);
    let b = Mat::<f64>::from_fn(1500, 1500, |i, j| ((i * 5 + j * 3) % 11) as f64 / 11.0);
    let mut c = Mat::<f64>::zeros(1500, 1500);
    (0..5)
        .map(|_| {
            let t = Instant::now();
            matmul(c.as_mut(), Accum::Replace, a.as_ref(), b.as_ref(), 1.0, par);
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn load(path: &Path) -> Result<(Matrix, f64)> {
    let t = Instant::now();
    let l = read_matrix(path, &ReadOptions::default()).with_context(|| {
        format!(
            "reading {} (run bench/run.sh to generate the workloads)",
            path.display()
        )
    })?;
    Ok((l.matrix, t.elapsed().as_secs_f64()))
}

fn reference(path: &Path) -> Result<Vec<f64>> {
    let (m, _) = load(path)?;
    match m {
        Matrix::Dense(d) => Ok(d.col(0).iter().copied().collect()),
        Matrix::Sparse(_) => bail!("{} is not a dense vector", path.display()),
    }
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    s[s.len() / 2]
}

/// Times `params` on `op` `repeat` times, measures accuracy on the last result.
#[allow(clippy::too_many_arguments)]
fn measure(
    workload: &str,
    variant: &str,
    op: &dyn LinearOperator,
    params: &SvdParams,
    reference: &[f64],
    repeat: usize,
    parse_seconds: f64,
    frobenius_tail: Option<f64>,
) -> Result<Row> {
    let mut times = Vec::new();
    let mut last = None;
    for round in 0..repeat {
        let t = Instant::now();
        let out = compute(op, params, &mut NoObserver)?;
        times.push(t.elapsed().as_secs_f64());
        eprintln!(
            "  {workload} {variant} round {}: {:.3} s",
            round + 1,
            times[round]
        );
        last = Some(out);
    }
    let out = last.expect("at least one round");
    let s = &out.svd.s;
    let sigma_error = s
        .iter()
        .zip(reference)
        .map(|(a, b)| (a - b).abs() / b)
        .fold(0.0, f64::max);
    let (mut r_av, mut r_atu, mut excess) = (f64::NAN, f64::NAN, None);
    if out.svd.u.is_some() {
        let cert = certify(op, &out.svd, params.par)?.expect("vectors computed");
        // Rescale from σ̃₁ to the reference σ*₁, as peers.py does.
        let rescale = s[0] / reference[0];
        r_av = cert.residual_av.iter().copied().fold(0.0, f64::max) * rescale;
        r_atu = cert.residual_atu.iter().copied().fold(0.0, f64::max) * rescale;
        if let Some(tail) = frobenius_tail {
            excess = Some(cert.relative_error * cert.frobenius_norm / tail - 1.0);
        }
    }
    // Dense passes over A: 2·m·n flops per vector product, timed by the solver's phases.
    let pass_seconds: f64 = out
        .info
        .phases
        .iter()
        .filter(|p| p.phase == "products with A")
        .map(|p| p.seconds)
        .sum();
    let pass_flop_rate =
        (op.as_dense().is_some() && pass_seconds > 0.0 && out.info.method == Method::Randomized)
            .then(|| {
                2.0 * op.nrows() as f64 * op.ncols() as f64 * out.info.matvecs as f64 / pass_seconds
            });
    let detail = format!(
        "{} ({}; {} iterations, {} products, subspace {})",
        out.info.method.name(),
        if out.info.converged {
            "converged"
        } else {
            "not converged"
        },
        out.info.iterations,
        out.info.matvecs,
        out.info.subspace_dim
    );
    Ok(Row {
        workload: workload.into(),
        variant: variant.into(),
        median: median(&times),
        times,
        gemm_ratio: 0.0,
        sigma_error,
        residual_av: r_av,
        residual_atu: r_atu,
        frobenius_excess: excess,
        parse_seconds,
        detail,
        gemm_fraction: None,
        pass_flop_rate,
    })
}

fn dense(m: &Matrix) -> Result<DenseOp<'_>> {
    match m {
        Matrix::Dense(d) => Ok(DenseOp::new(d.as_ref())),
        Matrix::Sparse(_) => bail!("expected a dense matrix"),
    }
}

fn w1(dir: &Path, repeat: usize, par: Par) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for (shape, file, reff) in [
        ("2000x2000", "w1_square_2000.npy", "w1_square_sigma_ref.npy"),
        (
            "4000x1000",
            "w1_tall_4000x1000.npy",
            "w1_tall_sigma_ref.npy",
        ),
    ] {
        let (m, parse) = load(&dir.join(file))?;
        let reference = reference(&dir.join(reff))?;
        let op = dense(&m)?;
        let k = op.nrows().min(op.ncols());
        let base = SvdParams {
            rank: RankSpec::Fixed(k),
            method: Method::Exact,
            par,
            ..SvdParams::default()
        };
        rows.push(measure(
            &format!("W1 {shape}"),
            "exact thin U,σ,V",
            &op,
            &base,
            &reference,
            repeat,
            parse,
            None,
        )?);
        let values = SvdParams {
            vectors: Vectors::None,
            ..base.clone()
        };
        rows.push(measure(
            &format!("W1 {shape}"),
            "exact values only",
            &op,
            &values,
            &reference,
            repeat,
            parse,
            None,
        )?);
    }
    Ok(rows)
}

fn w2(dir: &Path, repeat: usize, par: Par) -> Result<Vec<Row>> {
    let (m, parse) = load(&dir.join("w2_lowrank_20000x2000.npy"))?;
    let reference = reference(&dir.join("w2_sigma_ref.npy"))?;
    let tail = reference[50..].iter().map(|s| s * s).sum::<f64>().sqrt();
    let op = dense(&m)?;
    let base = SvdParams {
        rank: RankSpec::Fixed(50),
        par,
        ..SvdParams::default()
    };
    let mut rows = vec![measure(
        "W2 top-50",
        "auto",
        &op,
        &base,
        &reference,
        repeat,
        parse,
        Some(tail),
    )?];
    let subspace = SvdParams {
        method: Method::Randomized,
        range_finder: RangeFinder::Subspace,
        ..base.clone()
    };
    rows.push(measure(
        "W2 top-50",
        "randomized subspace iteration, auto q",
        &op,
        &subspace,
        &reference,
        repeat,
        parse,
        Some(tail),
    )?);
    let fixed = SvdParams {
        method: Method::Randomized,
        range_finder: RangeFinder::Subspace,
        power_iterations: PowerIterations::Fixed(7),
        ..base.clone()
    };
    rows.push(measure(
        "W2 top-50",
        "randomized subspace iteration, q=7 (sklearn's scheme)",
        &op,
        &fixed,
        &reference,
        repeat,
        parse,
        Some(tail),
    )?);
    let lanczos = SvdParams {
        method: Method::Lanczos,
        ..base
    };
    rows.push(measure(
        "W2 top-50",
        "lanczos",
        &op,
        &lanczos,
        &reference,
        repeat,
        parse,
        Some(tail),
    )?);
    Ok(rows)
}

fn w3(dir: &Path, repeat: usize, par: Par) -> Result<Vec<Row>> {
    let (m, parse) = load(&dir.join("w3_sparse_200000x50000.mtx"))?;
    let reference = reference(&dir.join("w3_sigma_ref.npy"))?;
    let Matrix::Sparse(csr) = &m else {
        bail!("W3 should be sparse")
    };
    let base = SvdParams {
        rank: RankSpec::Fixed(20),
        par,
        ..SvdParams::default()
    };
    let mut rows = vec![measure(
        "W3 top-20",
        "auto",
        csr,
        &base,
        &reference,
        repeat,
        parse,
        None,
    )?];
    // The target's own accuracy bar: every triplet at relative residual ≤ 1e-8.
    let at_target = SvdParams { tol: 1e-8, ..base };
    rows.push(measure(
        "W3 top-20",
        "auto, tol 1e-8",
        csr,
        &at_target,
        &reference,
        repeat,
        parse,
        None,
    )?);
    let rand = SvdParams {
        method: Method::Randomized,
        ..base
    };
    rows.push(measure(
        "W3 top-20",
        "randomized",
        csr,
        &rand,
        &reference,
        repeat,
        parse,
        None,
    )?);
    Ok(rows)
}
