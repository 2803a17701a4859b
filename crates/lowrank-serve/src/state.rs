//! The service's shared state: configuration, the model source, the live model behind an
//! atomically swapped `Arc`, metrics and the compute slots.

use crate::metrics::Metrics;
use crate::model::LoadedModel;
use crate::source::ModelSource;
use crate::ApiError;
use arc_swap::ArcSwap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Semaphore;

/// Limits and options of the service. Start from `Config::default()`.
#[derive(Debug, Clone)]
pub struct Config {
    /// Name the model is served under (`/v1/models/{name}/…`).
    pub model_name: String,
    /// Largest request body accepted, in bytes (413 above it).
    pub max_body_bytes: usize,
    /// Requests computing at the same time; more wait up to `queue_timeout`, then get 503.
    pub max_concurrency: usize,
    /// How long a request may wait for a compute slot.
    pub queue_timeout: Duration,
    /// Most rows in one `project` / `reconstruct` / `score` request.
    pub max_rows: usize,
    /// Largest `n` for `recommend` / `similar`.
    pub max_n: usize,
    /// Poll the source for a new version this often (`None`: only `POST /v1/admin/reload`).
    pub poll: Option<Duration>,
    /// Bearer token required by admin routes; `None` leaves them open (the CLI warns).
    pub token: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            model_name: "default".into(),
            max_body_bytes: 8 << 20,
            max_concurrency: 2 * std::thread::available_parallelism().map_or(1, |n| n.get()),
            queue_timeout: Duration::from_secs(2),
            max_rows: 10_000,
            max_n: 1000,
            poll: None,
            token: None,
        }
    }
}

/// The model being served and its version.
#[derive(Debug)]
pub struct Live {
    /// Version id from the source.
    pub version: String,
    /// The model.
    pub model: LoadedModel,
    /// When it was loaded (seconds since the Unix epoch).
    pub loaded_unix: f64,
}

/// One version this process has served.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VersionRecord {
    /// Version id.
    pub version: String,
    /// When it became live (seconds since the Unix epoch).
    pub loaded_unix: f64,
}

/// What a reload did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReloadOutcome {
    /// Version live before.
    pub previous: String,
    /// Version live now.
    pub version: String,
    /// Whether the live model was replaced.
    pub changed: bool,
}

/// Shared by every handler: one `Clone` struct of `Arc`s.
#[derive(Clone)]
pub struct AppState {
    pub(crate) config: Arc<Config>,
    pub(crate) source: Arc<dyn ModelSource>,
    pub(crate) live: Arc<ArcSwap<Live>>,
    pub(crate) history: Arc<Mutex<Vec<VersionRecord>>>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) slots: Arc<Semaphore>,
    pub(crate) ready: Arc<AtomicBool>,
    /// Serialises reloads (poller and admin route) so two loads never race.
    pub(crate) reloading: Arc<tokio::sync::Mutex<Option<String>>>,
}

/// Versions kept in `/v1/models`.
const HISTORY: usize = 20;

pub(crate) fn now_unix() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl AppState {
    /// Loads the source's current model (blocking: call before starting the runtime's
    /// server, or from `spawn_blocking`).
    ///
    /// # Errors
    /// When the model cannot be loaded: the service does not start without one.
    pub fn new(config: Config, source: Arc<dyn ModelSource>) -> Result<Self, crate::LoadError> {
        let (version, model) = source.current()?;
        let metrics = Metrics::default();
        metrics.loads.fetch_add(1, Ordering::Relaxed);
        let live = Live {
            version: version.clone(),
            model,
            loaded_unix: now_unix(),
        };
        let record = VersionRecord {
            version,
            loaded_unix: live.loaded_unix,
        };
        Ok(Self {
            slots: Arc::new(Semaphore::new(config.max_concurrency.max(1))),
            config: Arc::new(config),
            source,
            live: Arc::new(ArcSwap::from_pointee(live)),
            history: Arc::new(Mutex::new(vec![record])),
            metrics: Arc::new(metrics),
            ready: Arc::new(AtomicBool::new(true)),
            reloading: Arc::new(tokio::sync::Mutex::new(None)),
        })
    }

    /// The live model; requests keep the `Arc` they got, so a swap never disturbs them.
    pub fn live(&self) -> Arc<Live> {
        self.live.load_full()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The metrics registry.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Versions served so far, oldest first.
    pub fn history(&self) -> Vec<VersionRecord> {
        self.history
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Marks the service as not ready (shutdown begun): `/readyz` answers 503.
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::SeqCst);
    }

    /// Loads the source's current version if it differs from the live one and swaps it in.
    /// A model that fails to load is never served: the previous one stays live.
    ///
    /// # Errors
    /// The load error (also counted in `lowrank_model_load_failures_total`).
    pub async fn reload(&self) -> Result<ReloadOutcome, ApiError> {
        self.reload_inner(false).await
    }

    /// As [`reload`](Self::reload), but skips a version that already failed to load (the
    /// poller: one log line per bad version, not one per tick).
    pub(crate) async fn reload_inner(&self, skip_failed: bool) -> Result<ReloadOutcome, ApiError> {
        let mut last_failed = self.reloading.lock().await;
        let previous = self.live().version.clone();
        let source = self.source.clone();
        let fail = |e: String| {
            ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "reload_failed",
                e,
            )
        };
        let version = tokio::task::spawn_blocking(move || source.version())
            .await
            .map_err(ApiError::internal)?
            .map_err(|e| fail(e.to_string()))?;
        if version == previous {
            return Ok(ReloadOutcome {
                version: previous.clone(),
                previous,
                changed: false,
            });
        }
        if skip_failed && last_failed.as_deref() == Some(version.as_str()) {
            return Err(fail(format!("version {version} already failed to load")));
        }
        let source = self.source.clone();
        let old = self.live();
        // The drift is measured off the request path, with the load.
        let loaded = tokio::task::spawn_blocking(move || {
            source.current().map(|(version, model)| {
                let drift = crate::model::drift_max_angle_degrees(&old.model, &model);
                (version, model, drift)
            })
        })
        .await
        .map_err(ApiError::internal)?;
        match loaded {
            Ok((version, model, drift)) => {
                let live = Live {
                    version: version.clone(),
                    model,
                    loaded_unix: now_unix(),
                };
                let record = VersionRecord {
                    version: version.clone(),
                    loaded_unix: live.loaded_unix,
                };
                self.live.store(Arc::new(live));
                self.metrics.set_drift(drift);
                self.metrics.loads.fetch_add(1, Ordering::Relaxed);
                self.metrics.swaps.fetch_add(1, Ordering::Relaxed);
                let mut h = self.history.lock().unwrap_or_else(|p| p.into_inner());
                h.push(record);
                if h.len() > HISTORY {
                    h.remove(0);
                }
                *last_failed = None;
                match drift {
                    Some(d) => eprintln!(
                        "lowrank serve: now serving version {version} (was {previous}); \
                         subspace drift {d:.3}°"
                    ),
                    None => {
                        eprintln!("lowrank serve: now serving version {version} (was {previous})")
                    }
                }
                Ok(ReloadOutcome {
                    changed: version != previous,
                    previous,
                    version,
                })
            }
            Err(e) => {
                self.metrics.load_failures.fetch_add(1, Ordering::Relaxed);
                eprintln!(
                    "lowrank serve: new version {version} not loaded, still serving {previous}: {e}"
                );
                *last_failed = Some(version);
                Err(fail(e.to_string()))
            }
        }
    }
}
