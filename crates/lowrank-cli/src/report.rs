//! `report.json`: the record of one run (schema documented in `docs/report.md`).

use crate::failure::Failure;
use lowrank_core::certificate::Certificate;
use lowrank_core::svd::{PhaseTime, SolveInfo};
use serde::Serialize;
use std::io::Write;

/// Bumped on any incompatible change of the report layout.
pub(crate) const SCHEMA: &str = "lowrank.svd.report/1";

#[derive(Serialize)]
pub(crate) struct Report {
    pub(crate) schema: &'static str,
    pub(crate) tool: Tool,
    pub(crate) input: InputInfo,
    pub(crate) params: Params,
    pub(crate) result: ResultInfo,
    pub(crate) certificate: Option<Certificate>,
    pub(crate) timings: Timings,
    pub(crate) memory: MemoryInfo,
    pub(crate) outputs: Vec<String>,
}

#[derive(Serialize)]
pub(crate) struct Tool {
    pub(crate) name: &'static str,
    pub(crate) version: &'static str,
}

impl Tool {
    pub(crate) fn current() -> Self {
        Self {
            name: "lowrank",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

#[derive(Serialize)]
pub(crate) struct InputInfo {
    pub(crate) path: String,
    pub(crate) format: String,
    pub(crate) sha256: String,
    pub(crate) file_bytes: u64,
    pub(crate) nrows: usize,
    pub(crate) ncols: usize,
    pub(crate) storage: &'static str,
    pub(crate) stored_entries: usize,
    pub(crate) density: f64,
    pub(crate) centered: bool,
}

#[derive(Serialize)]
pub(crate) struct Params {
    pub(crate) method_requested: &'static str,
    pub(crate) rank: RankInfo,
    pub(crate) tol: f64,
    pub(crate) oversamples: usize,
    pub(crate) power_iterations: String,
    pub(crate) range_finder: &'static str,
    pub(crate) max_restarts: usize,
    pub(crate) values_only: bool,
    pub(crate) seed: u64,
    pub(crate) threads: usize,
}

#[derive(Serialize)]
#[serde(tag = "criterion", rename_all = "snake_case")]
pub(crate) enum RankInfo {
    Fixed { k: usize },
    Energy { fraction: f64, max_rank: usize },
    Error { rel_error: f64, max_rank: usize },
}

#[derive(Serialize)]
pub(crate) struct ResultInfo {
    pub(crate) method: &'static str,
    pub(crate) method_reason: String,
    pub(crate) variant: String,
    pub(crate) notes: Vec<String>,
    pub(crate) rank: usize,
    pub(crate) singular_values: Vec<f64>,
    pub(crate) converged: bool,
    pub(crate) iterations: usize,
    pub(crate) matvecs: u64,
    pub(crate) subspace_dim: usize,
    pub(crate) ranks_tried: Vec<usize>,
    pub(crate) sign_convention: &'static str,
}

impl ResultInfo {
    pub(crate) fn new(info: &SolveInfo, s: &[f64]) -> Self {
        Self {
            method: info.method.name(),
            method_reason: info.reason.clone(),
            variant: info.variant.clone(),
            notes: info.notes.clone(),
            rank: s.len(),
            singular_values: s.to_vec(),
            converged: info.converged,
            iterations: info.iterations,
            matvecs: info.matvecs,
            subspace_dim: info.subspace_dim,
            ranks_tried: info.ranks_tried.clone(),
            sign_convention: "largest-magnitude entry of each u_i is positive",
        }
    }
}

#[derive(Serialize)]
pub(crate) struct Timings {
    pub(crate) read_seconds: f64,
    pub(crate) compute_seconds: f64,
    pub(crate) phases: Vec<PhaseTime>,
    pub(crate) certificate_seconds: f64,
    pub(crate) write_seconds: f64,
    pub(crate) total_seconds: f64,
}

#[derive(Serialize)]
pub(crate) struct MemoryInfo {
    pub(crate) input_bytes: u64,
    pub(crate) estimated_job_bytes: u64,
    pub(crate) limit_bytes: u64,
    pub(crate) peak_rss_bytes: Option<u64>,
    /// Peak resident memory from the end of reading to the end of the certificate.
    pub(crate) peak_rss_compute_bytes: Option<u64>,
}

fn stdout_failure(e: std::io::Error) -> Failure {
    Failure::new(
        crate::failure::INTERNAL,
        anyhow::Error::new(e).context("writing to stdout"),
    )
}

/// Pretty JSON on stdout.
pub(crate) fn print_json<T: Serialize>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Failure::internal(e.into()))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").map_err(stdout_failure)
}

/// Text on stdout (a closed pipe is reported as such, and treated as success by `main`).
pub(crate) fn print_text(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).map_err(stdout_failure)
}
