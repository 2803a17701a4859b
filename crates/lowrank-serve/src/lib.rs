//! # lowrank-serve
//!
//! The HTTP service behind `lowrank serve`: a JSON API, versioned under `/v1`, that answers
//! with one named model loaded from a [`ModelSource`]: a [`DirSource`] (a directory written by
//! `lowrank pca|svd|anomaly|mf fit --out`) or a [`StoreSource`] (the version an alias points to
//! in a `lowrank store`, checksum-verified, followed as it is promoted or rolled back).
//!
//! - subspace models (PCA, SVD, anomaly detectors): `POST /v1/models/{name}/project`,
//!   `/reconstruct`, `/score` (anomaly detectors also say which rows exceed their threshold);
//! - recommenders: `GET /v1/models/{name}/recommend?user=…&n=…`, `/similar?item=…&n=…`;
//! - `GET /v1/models`, `/healthz`, `/readyz`, `/metrics` (Prometheus text), `/v1/openapi.json`;
//! - `POST /v1/admin/reload` (bearer token): load the source's new version and swap it in
//!   atomically; requests already running finish on the model they started with.
//!
//! [`router`] builds the routes over an [`AppState`]; [`serve`] runs them on a listener until
//! a shutdown future resolves, finishing in-flight requests first, and polls the source when
//! `Config::poll` is set. Each swap records the subspace drift between the two versions
//! (`lowrank_model_drift_max_angle_degrees`). Every error is an
//! [`ApiError`] sent as `{"error": {"code": "…", "message": "…"}}`. See `docs/serve.md`.
//!
//! ```
//! use lowrank_serve::{model::ModelKind, AppState, Config, DirSource};
//! use std::sync::Arc;
//!
//! // A directory that holds no model is refused with a message naming it.
//! let dir = std::env::temp_dir();
//! let err = AppState::new(Config::default(), Arc::new(DirSource::new(&dir))).err().unwrap();
//! assert!(err.to_string().contains("not a servable model directory"));
//! assert_eq!(ModelKind::Pca.name(), "pca");
//! ```

mod error;
pub mod metrics;
pub mod model;
mod routes;
mod source;
mod state;
mod store_source;

pub use error::ApiError;
pub use model::{LoadError, LoadedModel};
pub use routes::OPENAPI;
pub use source::{DirSource, ModelSource, SourceVersion};
pub use state::{AppState, Config, Live, ReloadOutcome, VersionRecord};
pub use store_source::StoreSource;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use std::future::Future;
use std::time::Instant;

/// Every route (method, path) the router serves; the OpenAPI file must describe each.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/v1/openapi.json"),
    ("get", "/v1/models"),
    ("get", "/v1/models/{name}"),
    ("post", "/v1/models/{name}/project"),
    ("post", "/v1/models/{name}/reconstruct"),
    ("post", "/v1/models/{name}/score"),
    ("get", "/v1/models/{name}/recommend"),
    ("get", "/v1/models/{name}/similar"),
    ("post", "/v1/admin/reload"),
];

/// The routes over `state`, with the body limit and the metrics middleware. Kept apart from
/// [`serve`] so tests can drive it without a socket.
///
/// ```
/// use lowrank_serve::{router, AppState, Config, DirSource};
/// use tower::ServiceExt;
///
/// # let dir = tempfile::tempdir().unwrap();
/// # let v = faer::Mat::<f64>::from_fn(3, 2, |i, j| if i == j { 1.0 } else { 0.0 });
/// # lowrank_io::write_npy(&dir.path().join("V.npy"), v.as_ref()).unwrap();
/// # lowrank_io::write_npy_vec(&dir.path().join("S.npy"), &[2.0, 1.0]).unwrap();
/// # std::fs::write(dir.path().join("report.json"), r#"{"input": {"centered": false}}"#).unwrap();
/// // `dir` holds a model written by `lowrank svd --out` (3 features, 2 axes).
/// let state = AppState::new(Config::default(), std::sync::Arc::new(DirSource::new(dir.path())))
///     .unwrap();
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// let resp = rt.block_on(router(state).oneshot(
///     axum::http::Request::post("/v1/models/default/project")
///         .header("content-type", "application/json")
///         .body(axum::body::Body::from(r#"{"rows": [[1, 2, 3]]}"#))
///         .unwrap(),
/// )).unwrap();
/// assert_eq!(resp.status(), 200);
/// ```
pub fn router(state: AppState) -> Router {
    let limit = state.config.max_body_bytes;
    Router::new()
        .route("/healthz", get(routes::healthz))
        .route("/readyz", get(routes::readyz))
        .route("/metrics", get(routes::metrics))
        .route("/v1/openapi.json", get(routes::openapi))
        .route("/v1/models", get(routes::list_models))
        .route("/v1/models/{name}", get(routes::get_model))
        .route("/v1/models/{name}/project", post(routes::project))
        .route("/v1/models/{name}/reconstruct", post(routes::reconstruct))
        .route("/v1/models/{name}/score", post(routes::score))
        .route("/v1/models/{name}/recommend", get(routes::recommend))
        .route("/v1/models/{name}/similar", get(routes::similar))
        .route("/v1/admin/reload", post(routes::reload))
        .fallback(routes::fallback)
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route exists but not for this method; see GET /v1/openapi.json",
            )
        })
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .with_state(state)
}

/// Records each request's route (the matched pattern, not the raw path), method, status and
/// latency.
async fn track(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().to_string();
    let resp = next.run(req).await;
    s.metrics.observe(
        &route,
        &method,
        resp.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    resp
}

/// Serves `state` on `listener` until `shutdown` resolves, then stops accepting, marks the
/// service not ready and lets in-flight requests finish. Polls the source for new versions
/// when `Config::poll` is set.
///
/// # Errors
/// When accepting connections fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let poller = state.config.poll.map(|every| {
        let s = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                // Failures are logged and counted inside; the live model stays.
                let _ = s.reload_inner(true).await;
            }
        })
    });
    let s = state.clone();
    let result = axum::serve(listener, router(state))
        .with_graceful_shutdown(async move {
            shutdown.await;
            s.set_ready(false);
        })
        .await;
    if let Some(p) = poller {
        p.abort();
    }
    result
}

/// Why [`run_blocking`] stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// The address could not be bound (in use, not local, no permission).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// Accepting connections failed.
    #[error("the server failed: {0}")]
    Serve(std::io::Error),
}

/// For synchronous callers (the CLI): starts a multi-threaded runtime, binds `addr`, calls
/// `on_bound` with the bound address (port 0 picks one), and serves until SIGTERM/SIGINT.
///
/// # Errors
/// See [`RunError`].
pub fn run_blocking(
    addr: std::net::SocketAddr,
    state: AppState,
    on_bound: impl FnOnce(std::net::SocketAddr),
) -> Result<(), RunError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(RunError::Runtime)?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| RunError::Bind { addr, source })?;
        let bound = listener
            .local_addr()
            .map_err(|source| RunError::Bind { addr, source })?;
        on_bound(bound);
        serve(listener, state, shutdown_signal())
            .await
            .map_err(RunError::Serve)
    })
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openapi_describes_every_route() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).expect("openapi.json parses");
        for (method, path) in ROUTES {
            assert!(
                doc["paths"][path][method].is_object(),
                "openapi.json does not describe {} {path}",
                method.to_uppercase()
            );
        }
        // And nothing undocumented-but-described: every described path is served.
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for method in ops.as_object().unwrap().keys() {
                assert!(
                    ROUTES.contains(&(method.as_str(), path.as_str())),
                    "openapi.json describes {method} {path}, which the router does not serve"
                );
            }
        }
    }

    /// A 3-feature, 2-axis SVD directory (`report.json`, `V.npy`, `S.npy`).
    fn svd_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let v = faer::Mat::<f64>::from_fn(3, 2, |i, j| f64::from(u8::from(i == j)));
        lowrank_io::write_npy(&dir.path().join("V.npy"), v.as_ref()).unwrap();
        lowrank_io::write_npy_vec(&dir.path().join("S.npy"), &[2.0, 1.0]).unwrap();
        let report = serde_json::json!({"input": {"centered": false, "nrows": 4, "ncols": 3}});
        std::fs::write(dir.path().join("report.json"), report.to_string()).unwrap();
        dir
    }

    fn project_request(rows: &str) -> axum::http::Request<axum::body::Body> {
        axum::http::Request::post("/v1/models/default/project")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(format!("{{\"rows\": {rows}}}")))
            .unwrap()
    }

    async fn body_json(r: Response) -> serde_json::Value {
        let b = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        serde_json::from_slice(&b).unwrap()
    }

    /// With every compute slot taken, a request waits `queue_timeout` and gets a JSON 503 with
    /// `Retry-After`; once the slot is free it is answered. The rows project on V = [e1 e2].
    #[tokio::test]
    async fn busy_slots_give_503_then_service_resumes() {
        use tower::ServiceExt;
        let dir = svd_dir();
        let config = Config {
            max_concurrency: 1,
            queue_timeout: std::time::Duration::from_millis(50),
            ..Config::default()
        };
        let state = AppState::new(config, std::sync::Arc::new(DirSource::new(dir.path()))).unwrap();
        let held = state.slots.clone().try_acquire_owned().unwrap();
        let r = router(state.clone())
            .oneshot(project_request("[[1, 2, 3]]"))
            .await
            .unwrap();
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()["retry-after"], "1");
        assert_eq!(body_json(r).await["error"]["code"], "overloaded");
        drop(held);
        let r = router(state.clone())
            .oneshot(project_request("[[1, 2, 3]]"))
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(
            body_json(r).await["coords"],
            serde_json::json!([[1.0, 2.0]])
        );
        assert_eq!(
            state.metrics().count("/v1/models/{name}/project", 503),
            1,
            "the 503 is counted under its route"
        );
        assert_eq!(
            state
                .metrics()
                .overloaded
                .load(std::sync::atomic::Ordering::Relaxed),
            1
        );
    }

    /// `/readyz` turns 503 once shutdown begins, while `/healthz` stays 200.
    #[tokio::test]
    async fn readiness_follows_shutdown() {
        use tower::ServiceExt;
        let dir = svd_dir();
        let state = AppState::new(
            Config::default(),
            std::sync::Arc::new(DirSource::new(dir.path())),
        )
        .unwrap();
        let get = |p: &str| {
            axum::http::Request::get(p)
                .body(axum::body::Body::empty())
                .unwrap()
        };
        let r = router(state.clone()).oneshot(get("/readyz")).await.unwrap();
        assert_eq!(r.status(), 200);
        state.set_ready(false);
        let r = router(state.clone()).oneshot(get("/readyz")).await.unwrap();
        assert_eq!(r.status(), 503);
        assert_eq!(body_json(r).await["error"]["code"], "shutting_down");
        let r = router(state).oneshot(get("/healthz")).await.unwrap();
        assert_eq!(r.status(), 200);
    }
}
