//! `lowrank serve`: the HTTP service (`lowrank_serve`) over one model directory or one alias of
//! a versioned store.

use super::Global;
use crate::failure::{self, Failure};
use clap::Args;
use lowrank_serve::{AppState, Config, DirSource, ModelSource, StoreSource};
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const SERVE_HELP: &str = "Serves one model under /v1/models/NAME: PCA/SVD models answer POST \
/project, /reconstruct and /score; `anomaly --out` models answer the same, /score with \
`flagged` against their threshold; `mf fit` models answer GET /recommend and /similar. Also GET \
/v1/models, /healthz, /readyz, /metrics (Prometheus) and /v1/openapi.json. Prints `listening on \
ADDR` on stdout once bound; SIGTERM or Ctrl-C stops it after in-flight requests finish.

Sources: --dir RUN_DIR (a directory written with --out), or --store DIR --model NAME (the \
version that --alias, default `production`, points to in a `lowrank store`).
Hot swap: --store is polled every --poll-ms (default 1000): `lowrank store promote` or \
`rollback` switches the service atomically; requests in flight finish on the version they \
started with. With --dir, replace the directory (e.g. `lowrank pca ... --out DIR --force`), then \
POST /v1/admin/reload, or set --poll-ms. A version that fails to load (a corrupted blob, a \
missing file) is never served: the previous one stays live and the failure is counted.
Admin token: from the LOWRANK_TOKEN environment variable or --token-file (never a flag value).
See docs/serve.md; a Grafana dashboard is in deploy/grafana/.

Examples (from the repository root; the `serve` lines run until stopped):
  lowrank pca testdata/dense/lowrank_300x80.npy -k 5 --out pca_model/
  lowrank serve --dir pca_model/ --model demo --addr 127.0.0.1:0 --poll-ms 1000
  lowrank store put --store st/ --model demo pca_model/
  lowrank store promote --store st/ --model demo --latest
  lowrank serve --store st/ --model demo --addr 127.0.0.1:0";

/// Arguments of `lowrank serve`.
#[derive(Args, Debug)]
#[command(after_help = SERVE_HELP)]
pub(crate) struct ServeArgs {
    /// Model directory written by `lowrank pca|svd|anomaly|mf fit --out`.
    #[arg(long, value_name = "RUN_DIR", conflicts_with = "store")]
    pub(crate) dir: Option<PathBuf>,
    /// Versioned store (`lowrank store`): serve the version --alias points to, and follow it.
    #[arg(long, value_name = "DIR")]
    pub(crate) store: Option<PathBuf>,
    /// With --store: the alias to serve and follow (default: production).
    #[arg(long, value_name = "ALIAS")]
    pub(crate) alias: Option<String>,
    /// Name the model is served under: /v1/models/NAME/... (with --store, also the model's
    /// name in the store).
    #[arg(long, value_name = "NAME")]
    pub(crate) model: String,
    /// Address to listen on; port 0 picks a free port (printed on stdout).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(crate) addr: SocketAddr,
    /// Largest request body in bytes (larger ones get 413).
    #[arg(long, default_value_t = 8 << 20, value_name = "BYTES")]
    pub(crate) max_body: usize,
    /// Requests computing at once; more wait up to --queue-timeout-ms, then get 503
    /// (default: twice the number of cores).
    #[arg(long, value_name = "N")]
    pub(crate) max_concurrency: Option<usize>,
    /// How long a request may wait for a compute slot.
    #[arg(long, default_value_t = 2000, value_name = "MS")]
    pub(crate) queue_timeout_ms: u64,
    /// Most rows per project/reconstruct/score request.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub(crate) max_rows: usize,
    /// Check the source for a new version this often; 0 turns polling off (then only
    /// POST /v1/admin/reload swaps). Default: 1000 with --store, off with --dir.
    #[arg(long, value_name = "MS")]
    pub(crate) poll_ms: Option<u64>,
    /// File holding the bearer token for admin routes (else LOWRANK_TOKEN; else they are open).
    #[arg(long, value_name = "PATH")]
    pub(crate) token_file: Option<PathBuf>,
}

/// How often `--store` is polled when --poll-ms is not given: one indexed catalog read per
/// poll, so a promotion is live within a second at negligible cost.
const DEFAULT_STORE_POLL_MS: u64 = 1000;

fn token(a: &ServeArgs) -> Result<Option<String>, Failure> {
    let raw = match &a.token_file {
        Some(p) => Some(std::fs::read_to_string(p).map_err(|e| {
            Failure::new(
                failure::INPUT,
                anyhow::anyhow!("--token-file {}: {e}", p.display()),
            )
        })?),
        None => std::env::var("LOWRANK_TOKEN").ok(),
    };
    match raw.map(|t| t.trim().to_string()) {
        Some(t) if t.is_empty() => Err(Failure::usage(
            "the admin token is empty (LOWRANK_TOKEN or --token-file): give a non-empty token or none",
        )),
        Some(t) if t.chars().any(|c| c.is_whitespace() || c.is_control()) => Err(Failure::usage(
            "the admin token contains whitespace or control characters",
        )),
        t => Ok(t),
    }
}

pub(crate) fn run(a: ServeArgs, g: &Global) -> Result<(), Failure> {
    if a.dir.is_none() && a.store.is_none() {
        return Err(Failure::usage(
            "give the model with --dir RUN_DIR or --store DIR (and --model NAME)",
        ));
    }
    if a.alias.is_some() && a.store.is_none() {
        return Err(Failure::usage(
            "--alias applies to --store only (a --dir model has no aliases)",
        ));
    }
    if a.model.is_empty() || a.model.contains('/') {
        return Err(Failure::usage(format!(
            "--model {:?}: give a non-empty name without '/'",
            a.model
        )));
    }
    for (name, v) in [
        ("--max-body", a.max_body),
        ("--max-rows", a.max_rows),
        ("--max-concurrency", a.max_concurrency.unwrap_or(1)),
    ] {
        if v == 0 {
            return Err(Failure::usage(format!("{name} must be at least 1")));
        }
    }
    let token = token(&a)?;
    let defaults = Config::default();
    let config = Config {
        model_name: a.model.clone(),
        max_body_bytes: a.max_body,
        max_concurrency: a.max_concurrency.unwrap_or(defaults.max_concurrency),
        queue_timeout: Duration::from_millis(a.queue_timeout_ms),
        max_rows: a.max_rows,
        poll: a
            .poll_ms
            .or(a.store.as_ref().map(|_| DEFAULT_STORE_POLL_MS))
            .filter(|&ms| ms > 0)
            .map(Duration::from_millis),
        token: token.clone(),
        ..defaults
    };
    let source: Arc<dyn ModelSource> = match (&a.store, &a.dir) {
        (Some(store), _) => Arc::new(
            StoreSource::open(
                store,
                &a.model,
                a.alias.as_deref().unwrap_or(lowrank_store::DEFAULT_ALIAS),
            )
            .map_err(|e| Failure::new(failure::INPUT, e.into()))?,
        ),
        (None, Some(dir)) => Arc::new(DirSource::new(dir)),
        (None, None) => unreachable!("checked above"),
    };
    let described = source.describe();
    // An unloadable start version (corrupted blob, missing file, alias not set) is an input
    // error: the service does not start without a verified model.
    let state =
        AppState::new(config, source).map_err(|e| Failure::new(failure::INPUT, e.into()))?;
    let quiet = g.quiet;
    let addr = a.addr;
    lowrank_serve::run_blocking(addr, state.clone(), |bound| {
        if token.is_none() && !quiet {
            eprintln!(
                "lowrank serve: no admin token (LOWRANK_TOKEN or --token-file): POST \
                 /v1/admin/reload is open to anyone who can reach {bound}"
            );
        }
        if !quiet {
            let live = state.live();
            eprintln!(
                "lowrank serve: model {:?} ({}, version {}) from {}",
                a.model,
                live.model.kind.name(),
                live.version,
                described
            );
        }
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on {bound}");
        let _ = out.flush();
    })
    .map_err(|e| match e {
        lowrank_serve::RunError::Bind { .. } => Failure::new(failure::REFUSED, e.into()),
        e => Failure::internal(e.into()),
    })?;
    if !g.quiet {
        eprintln!("lowrank serve: stopped");
    }
    Ok(())
}
