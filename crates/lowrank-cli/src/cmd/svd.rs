//! `lowrank svd`: decompose, certify, write atomically.

use super::{load, Global};
use crate::args::{MethodArg, OutputFormat, RangeFinderArg, SvdArgs};
use crate::failure::Failure;
use crate::progress::Bar;
use crate::report::{
    self, InputInfo, MemoryInfo, Params, RankInfo, Report, ResultInfo, Timings, Tool,
};
use crate::system;
use faer::{Mat, Par};
use lowrank_core::certificate::certify;
use lowrank_core::op::{Centered, DenseOp, LinearOperator};
use lowrank_core::svd::{
    compute, Method, PowerIterations, RangeFinder, RankSpec, SvdParams, Vectors,
};
use lowrank_io::{Matrix, OutputDir};
use std::fmt::Write as _;
use std::time::Instant;

/// Default bound on ranks chosen by energy or error.
const DEFAULT_MAX_RANK: usize = 1000;

pub(crate) fn run(a: SvdArgs, g: &Global) -> Result<(), Failure> {
    let total_start = Instant::now();
    validate_flags(&a)?;
    // Refuse an existing output before doing any work.
    if let Some(out) = &a.out {
        if !a.force && std::fs::symlink_metadata(out).is_ok() {
            return Err(lowrank_io::IoError::OutputExists { path: out.clone() }.into());
        }
    }
    let mut bar = Bar::new(g.quiet);
    let input = load(&a.input, &mut bar)?;
    let loaded = &input.loaded;
    let (m, n) = (loaded.matrix.nrows(), loaded.matrix.ncols());
    if m == 0 || n == 0 {
        return Err(Failure::new(
            crate::failure::INPUT,
            anyhow::anyhow!(
                "{}: the matrix is empty ({m}x{n}): there is nothing to decompose",
                a.input.input.display()
            ),
        ));
    }
    let threads = rayon::current_num_threads();
    let par = if threads > 1 {
        Par::rayon(threads)
    } else {
        Par::Seq
    };

    let base: Box<dyn LinearOperator + '_> = match &loaded.matrix {
        Matrix::Dense(d) => Box::new(DenseOp::new(d.as_ref())),
        Matrix::Sparse(s) => Box::new(s),
    };
    let op: Box<dyn LinearOperator + '_> = if a.center {
        Box::new(Centered::new(base, par).map_err(lowrank_core::SvdError::from)?)
    } else {
        base
    };

    let min_dim = m.min(n);
    let (rank, rank_info, tol) = rank_spec(&a, min_dim);
    let params = SvdParams {
        rank,
        method: match a.method {
            MethodArg::Auto => Method::Auto,
            MethodArg::Exact => Method::Exact,
            MethodArg::Randomized => Method::Randomized,
            MethodArg::Lanczos => Method::Lanczos,
        },
        vectors: if a.values_only {
            Vectors::None
        } else {
            Vectors::Both
        },
        oversamples: a.oversamples,
        power_iterations: power_iterations(&a.power_iters)?,
        range_finder: match a.range_finder {
            RangeFinderArg::Krylov => RangeFinder::BlockKrylov,
            RangeFinderArg::Subspace => RangeFinder::Subspace,
        },
        tol,
        max_restarts: a.max_restarts,
        seed: a.seed,
        par,
        memory_limit: Some(
            input
                .memory_limit
                .saturating_sub(loaded.matrix.memory_bytes()),
        ),
    };

    let peak_after_read = system::peak_rss();
    let compute_peak_tracked = system::reset_peak_rss();
    let compute_start = Instant::now();
    let output = compute(op.as_ref(), &params, &mut bar)?;
    let compute_seconds = compute_start.elapsed().as_secs_f64();
    bar.phase("certificate");
    let cert_start = Instant::now();
    let certificate = certify(op.as_ref(), &output.svd, par)?;
    let certificate_seconds = cert_start.elapsed().as_secs_f64();
    let peak_compute = if compute_peak_tracked {
        system::peak_rss()
    } else {
        None
    };

    let write_start = Instant::now();
    let mut report = Report {
        schema: report::SCHEMA,
        tool: Tool::current(),
        input: InputInfo {
            path: a.input.input.display().to_string(),
            format: loaded.format.to_string(),
            sha256: loaded.sha256.clone(),
            file_bytes: loaded.bytes_read,
            nrows: m,
            ncols: n,
            storage: if loaded.matrix.is_sparse() {
                "sparse"
            } else {
                "dense"
            },
            stored_entries: loaded.matrix.stored_entries(),
            density: loaded.matrix.stored_entries() as f64 / (m as f64 * n as f64),
            centered: a.center,
        },
        params: Params {
            method_requested: params.method.name(),
            rank: rank_info,
            tol,
            oversamples: params.oversamples,
            power_iterations: a.power_iters.clone(),
            range_finder: match a.range_finder {
                RangeFinderArg::Krylov => "block_krylov",
                RangeFinderArg::Subspace => "subspace",
            },
            max_restarts: a.max_restarts,
            values_only: a.values_only,
            seed: a.seed,
            threads,
        },
        result: ResultInfo::new(&output.info, &output.svd.s),
        certificate,
        timings: Timings {
            read_seconds: input.read_seconds,
            compute_seconds,
            phases: output.info.phases.clone(),
            certificate_seconds,
            write_seconds: 0.0,
            total_seconds: 0.0,
        },
        memory: MemoryInfo {
            input_bytes: loaded.matrix.memory_bytes(),
            estimated_job_bytes: output.info.estimated_memory_bytes,
            limit_bytes: input.memory_limit,
            peak_rss_bytes: None,
            peak_rss_compute_bytes: peak_compute,
        },
        outputs: Vec::new(),
    };

    if let Some(out) = &a.out {
        bar.phase("writing");
        let dir = OutputDir::create(out, a.force).map_err(Failure::output)?;
        report.outputs =
            write_factors(&dir, &output.svd, loaded, a.output_format).map_err(Failure::output)?;
        report.outputs.push("report.json".to_string());
        report.timings.write_seconds = write_start.elapsed().as_secs_f64();
        report.timings.total_seconds = total_start.elapsed().as_secs_f64();
        report.memory.peak_rss_bytes = overall_peak(peak_after_read);
        let json = serde_json::to_vec_pretty(&report).map_err(|e| Failure::internal(e.into()))?;
        lowrank_io::write_atomic(&dir.file("report.json"), &json).map_err(Failure::output)?;
        dir.commit().map_err(Failure::output)?;
    } else {
        report.timings.total_seconds = total_start.elapsed().as_secs_f64();
        report.memory.peak_rss_bytes = overall_peak(peak_after_read);
    }
    bar.finish();

    if g.json {
        report::print_json(&report)
    } else {
        report::print_text(&human_summary(&report, a.out.as_deref()))
    }
}

/// Writes the factors (and id maps) into the temporary output directory; returns the names.
fn write_factors(
    dir: &OutputDir,
    svd: &lowrank_core::svd::Svd,
    loaded: &lowrank_io::Loaded,
    format: OutputFormat,
) -> Result<Vec<String>, lowrank_io::IoError> {
    let mut outputs = Vec::new();
    match format {
        OutputFormat::Npy => {
            lowrank_io::write_npy_vec(&dir.file("S.npy"), &svd.s)?;
            outputs.push("S.npy".to_string());
            if let (Some(u), Some(v)) = (&svd.u, &svd.v) {
                lowrank_io::write_npy(&dir.file("U.npy"), u.as_ref())?;
                lowrank_io::write_npy(&dir.file("V.npy"), v.as_ref())?;
                outputs.extend(["U.npy".to_string(), "V.npy".to_string()]);
            }
        }
        OutputFormat::Safetensors => {
            let s_col = Mat::<f64>::from_fn(svd.s.len(), 1, |i, _| svd.s[i]);
            let mut tensors = vec![("S", s_col.as_ref())];
            if let (Some(u), Some(v)) = (&svd.u, &svd.v) {
                tensors.push(("U", u.as_ref()));
                tensors.push(("V", v.as_ref()));
            }
            lowrank_io::write_safetensors(&dir.file("factors.safetensors"), &tensors)?;
            outputs.push("factors.safetensors".to_string());
        }
    }
    for (name, ids) in [
        ("row_ids.txt", &loaded.row_ids),
        ("col_ids.txt", &loaded.col_ids),
    ] {
        if let Some(ids) = ids {
            let mut text = ids.join("\n");
            text.push('\n');
            lowrank_io::write_atomic(&dir.file(name), text.as_bytes())?;
            outputs.push(name.to_string());
        }
    }
    Ok(outputs)
}

/// The whole run's peak: the larger of the mark before the compute reset and the one since.
fn overall_peak(before: Option<u64>) -> Option<u64> {
    match (before, system::peak_rss()) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn validate_flags(a: &SvdArgs) -> Result<(), Failure> {
    if a.max_rank == Some(0) {
        return Err(Failure::usage("--max-rank must be at least 1"));
    }
    if a.rank.is_none()
        && a.energy.is_none()
        && a.max_error.is_none()
        && a.tol.is_none()
        && !a.values_only
    {
        return Err(Failure::usage(
            "no rank given: use --rank K, --energy E, --max-error E or --tol T (or --values-only for all singular values)",
        ));
    }
    if a.output_format == OutputFormat::Safetensors && a.out.is_none() {
        return Err(Failure::usage("--format safetensors needs --out"));
    }
    Ok(())
}

/// The rank criterion, its report form, and the convergence tolerance.
fn rank_spec(a: &SvdArgs, min_dim: usize) -> (RankSpec, RankInfo, f64) {
    let max_rank = a.max_rank.unwrap_or(DEFAULT_MAX_RANK).min(min_dim).max(1);
    const DEFAULT_TOL: f64 = 1e-10;
    if let Some(k) = a.rank {
        return (
            RankSpec::Fixed(k),
            RankInfo::Fixed { k },
            a.tol.unwrap_or(DEFAULT_TOL),
        );
    }
    if let Some(f) = a.energy {
        return (
            RankSpec::Energy {
                fraction: f,
                max_rank,
            },
            RankInfo::Energy {
                fraction: f,
                max_rank,
            },
            a.tol.unwrap_or(DEFAULT_TOL),
        );
    }
    if let Some(e) = a.max_error.or(a.tol) {
        let tol = if a.max_error.is_some() {
            a.tol.unwrap_or(DEFAULT_TOL)
        } else {
            DEFAULT_TOL
        };
        return (
            RankSpec::Tolerance {
                rel_error: e,
                max_rank,
            },
            RankInfo::Error {
                rel_error: e,
                max_rank,
            },
            tol,
        );
    }
    // --values-only with no rank: every singular value.
    (
        RankSpec::Fixed(min_dim),
        RankInfo::Fixed { k: min_dim },
        a.tol.unwrap_or(DEFAULT_TOL),
    )
}

fn power_iterations(s: &str) -> Result<PowerIterations, Failure> {
    if s.eq_ignore_ascii_case("auto") {
        return Ok(PowerIterations::Auto { max: 20 });
    }
    s.parse::<usize>().map(PowerIterations::Fixed).map_err(|_| {
        Failure::usage(format!(
            "--power-iters '{s}': give a whole number or `auto`"
        ))
    })
}

fn human_summary(r: &Report, out: Option<&std::path::Path>) -> String {
    let mut s = String::new();
    let res = &r.result;
    let _ = writeln!(
        s,
        "input       {} ({} {} x {}, {} stored entries)",
        r.input.path, r.input.storage, r.input.nrows, r.input.ncols, r.input.stored_entries
    );
    let _ = writeln!(s, "method      {} ({})", res.method, res.method_reason);
    let _ = writeln!(s, "variant     {}", res.variant);
    for note in &res.notes {
        let _ = writeln!(s, "note        {note}");
    }
    let _ = writeln!(s, "rank        {}", res.rank);
    let shown: Vec<String> = res
        .singular_values
        .iter()
        .take(10)
        .map(|x| format!("{x:.6e}"))
        .collect();
    let more = if res.rank > 10 {
        format!(" … ({} more)", res.rank - 10)
    } else {
        String::new()
    };
    let _ = writeln!(s, "sigma       {}{more}", shown.join(" "));
    if let Some(c) = &r.certificate {
        let _ = writeln!(
            s,
            "residual    max {:.2e} (‖Av−σu‖, ‖Aᵀu−σv‖ relative to σ₁)",
            c.max_residual
        );
        let _ = writeln!(s, "rel. error  {:.6e} (‖A−UΣVᵀ‖_F/‖A‖_F)", c.relative_error);
        let _ = writeln!(s, "energy      {:.6}", c.energy_retained);
        let _ = writeln!(
            s,
            "orthogonal  U {:.1e}, V {:.1e} (‖QᵀQ−I‖_F)",
            c.orthogonality_loss_u, c.orthogonality_loss_v
        );
    }
    let _ = writeln!(
        s,
        "time        read {:.3} s, compute {:.3} s, certificate {:.3} s, total {:.3} s",
        r.timings.read_seconds,
        r.timings.compute_seconds,
        r.timings.certificate_seconds,
        r.timings.total_seconds
    );
    if let Some(p) = r.memory.peak_rss_bytes {
        let compute = r
            .memory
            .peak_rss_compute_bytes
            .map(|c| format!(", {} while computing", lowrank_core::memory::Bytes(c)))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "memory      peak {}{compute} (input {})",
            lowrank_core::memory::Bytes(p),
            lowrank_core::memory::Bytes(r.memory.input_bytes)
        );
    }
    if let Some(o) = out {
        let _ = writeln!(s, "written     {} ({})", o.display(), r.outputs.join(", "));
    }
    s
}
