//! The handlers. Compute runs in `spawn_blocking` after taking a compute slot, on the model
//! `Arc` loaded when the request started (a swap mid-request does not affect it).

use crate::model::{self, ModelKind, Served};
use crate::state::{now_unix, AppState, Live};
use crate::ApiError;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use faer::Mat;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

/// The OpenAPI description, kept in the repository next to the crate.
pub const OPENAPI: &str = include_str!("../openapi.json");

pub(crate) async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

pub(crate) async fn readyz(State(s): State<AppState>) -> Result<Json<Value>, ApiError> {
    if s.ready.load(std::sync::atomic::Ordering::SeqCst) {
        Ok(Json(
            json!({"status": "ready", "model": s.config.model_name, "version": s.live().version}),
        ))
    } else {
        Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the server is shutting down",
        ))
    }
}

pub(crate) async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

pub(crate) async fn metrics(State(s): State<AppState>) -> Response {
    let mut out = String::new();
    s.metrics.render(&mut out);
    let live = s.live();
    let name = crate::metrics::escape(&s.config.model_name);
    let ver = crate::metrics::escape(&live.version);
    let _ = writeln!(
        out,
        "# HELP lowrank_model_info The live model: name, version and kind (value 1).\n\
         # TYPE lowrank_model_info gauge\n\
         lowrank_model_info{{model=\"{name}\",version=\"{ver}\",kind=\"{}\"}} 1",
        live.model.kind.name()
    );
    let _ = writeln!(
        out,
        "# HELP lowrank_model_loaded_timestamp_seconds When the live version was loaded.\n\
         # TYPE lowrank_model_loaded_timestamp_seconds gauge\n\
         lowrank_model_loaded_timestamp_seconds{{model=\"{name}\"}} {}",
        live.loaded_unix
    );
    if let Ok(v) = live.version.parse::<u64>() {
        let _ = writeln!(
            out,
            "# HELP lowrank_model_version The live version number (store mode).\n\
             # TYPE lowrank_model_version gauge\n\
             lowrank_model_version{{model=\"{name}\"}} {v}"
        );
    }
    if let Some(d) = s.metrics.drift() {
        let _ = writeln!(
            out,
            "# HELP lowrank_model_drift_max_angle_degrees Largest principal angle between the \
             live version's axes and those of the version it replaced (leading min(k) axes).\n\
             # TYPE lowrank_model_drift_max_angle_degrees gauge\n\
             lowrank_model_drift_max_angle_degrees{{model=\"{name}\"}} {d}"
        );
    }
    if let Some(c) = live.model.created_unix {
        let _ = writeln!(
            out,
            "# HELP lowrank_model_age_seconds Age of the live factors (since the model was written).\n\
             # TYPE lowrank_model_age_seconds gauge\n\
             lowrank_model_age_seconds{{model=\"{name}\"}} {}",
            (now_unix() - c).max(0.0)
        );
    }
    let _ = writeln!(
        out,
        "# HELP lowrank_model_metric Decomposition metrics from the live model's report.\n\
         # TYPE lowrank_model_metric gauge"
    );
    for (metric, v) in &live.model.metrics {
        let _ = writeln!(
            out,
            "lowrank_model_metric{{model=\"{name}\",name=\"{}\"}} {v}",
            crate::metrics::escape(metric)
        );
    }
    let _ = writeln!(
        out,
        "# HELP lowrank_ready 1 while the service accepts traffic, 0 once shutdown began.\n\
         # TYPE lowrank_ready gauge\nlowrank_ready {}",
        u8::from(s.ready.load(std::sync::atomic::Ordering::SeqCst))
    );
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

fn describe(name: &str, live: &Live) -> Value {
    let m = &live.model;
    let mut v = json!({
        "name": name,
        "kind": m.kind.name(),
        "version": live.version,
        "loaded_unix": live.loaded_unix,
        "created_unix": m.created_unix,
        "metrics": m.metrics.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
    });
    match &m.served {
        Served::Subspace(p) => {
            v["n_features"] = json!(p.n_features);
            v["components"] = json!(p.n_components());
            v["centered"] = json!(matches!(m.kind, ModelKind::Pca | ModelKind::Anomaly));
            if let Some(t) = m.threshold {
                v["threshold"] = json!(t);
            }
            v["scaled"] = json!(p.scale.is_some());
            v["whiten"] = json!(p.whiten);
        }
        Served::Recommender(r) => {
            v["model_kind"] = json!(r.model.kind.name());
            v["rank"] = json!(r.model.rank);
            v["n_users"] = json!(r.model.n_users);
            v["n_items"] = json!(r.model.n_items);
        }
    }
    v
}

pub(crate) async fn list_models(State(s): State<AppState>) -> Result<Json<Value>, ApiError> {
    let live = s.live();
    let mut d = describe(&s.config.model_name, &live);
    d["live"] = json!(true);
    d["source"] = json!(s.source.describe());
    let served: Vec<Value> = s
        .history()
        .iter()
        .map(|r| json!({"version": r.version, "loaded_unix": r.loaded_unix, "live": r.version == live.version}))
        .collect();
    let source = s.source.clone();
    let catalog = tokio::task::spawn_blocking(move || source.versions())
        .await
        .map_err(ApiError::internal)?;
    match catalog {
        // A versioned source: every version it holds, the live one marked; `served` is what
        // this process has served (oldest first).
        Some(list) => {
            let list = list.map_err(|e| {
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "source_unavailable",
                    format!("cannot list the versions: {e}"),
                )
            })?;
            d["versions"] = json!(list
                .iter()
                .map(|v| {
                    let mut j = json!(v);
                    j["live"] = json!(v.version == live.version);
                    j
                })
                .collect::<Vec<_>>());
            d["served"] = json!(served);
        }
        None => d["versions"] = json!(served),
    }
    Ok(Json(json!({"models": [d]})))
}

fn model_for(s: &AppState, name: &str) -> Result<Arc<Live>, ApiError> {
    if name != s.config.model_name {
        return Err(ApiError::not_found(
            "unknown_model",
            format!(
                "no model named {name:?}; this server serves {:?}",
                s.config.model_name
            ),
        ));
    }
    Ok(s.live())
}

pub(crate) async fn get_model(
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let live = model_for(&s, &name)?;
    Ok(Json(describe(&name, &live)))
}

/// Body of `project` and `score`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RowsBody {
    rows: Vec<Vec<f64>>,
}

/// Body of `reconstruct`: rows to pass through the axes, or coordinates to map back.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReconstructBody {
    rows: Option<Vec<Vec<f64>>>,
    coords: Option<Vec<Vec<f64>>>,
}

fn json_rejection(r: JsonRejection) -> ApiError {
    match r {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with `Content-Type: application/json`",
        ),
        JsonRejection::JsonSyntaxError(e) => ApiError::bad_request(
            "malformed_json",
            format!("the body is not valid JSON: {}", source_text(&e)),
        ),
        JsonRejection::JsonDataError(e) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!(
                "the body is JSON but not the expected shape ({}): {}",
                "{\"rows\": [[number, …], …]}",
                source_text(&e)
            ),
        ),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the body is larger than the server's --max-body limit",
        ),
        other => ApiError::bad_request("bad_body", other.body_text()),
    }
}

/// The innermost cause (serde's message with line and column).
fn source_text(e: &dyn std::error::Error) -> String {
    let mut cur: &dyn std::error::Error = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// Checks a list of rows (count, width, finiteness) and packs it into a matrix.
pub(crate) fn to_matrix(
    rows: &[Vec<f64>],
    field: &str,
    width: usize,
    what: &str,
    max_rows: usize,
) -> Result<Mat<f64>, ApiError> {
    if rows.is_empty() {
        return Err(ApiError::bad_request(
            "empty_rows",
            format!("`{field}` is empty: send at least one row"),
        ));
    }
    if rows.len() > max_rows {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_rows",
            format!(
                "`{field}` has {} rows; at most {max_rows} per request",
                rows.len()
            ),
        ));
    }
    for (i, r) in rows.iter().enumerate() {
        if r.len() != width {
            return Err(ApiError::bad_request(
                "wrong_dimension",
                format!(
                    "{field}[{i}] has {} values, but the model expects {width} {what}",
                    r.len()
                ),
            ));
        }
        if let Some(j) = r.iter().position(|x| !x.is_finite()) {
            return Err(ApiError::bad_request(
                "non_finite",
                format!("{field}[{i}][{j}] is {}: values must be finite", r[j]),
            ));
        }
    }
    Ok(Mat::from_fn(rows.len(), width, |i, j| rows[i][j]))
}

fn to_rows(m: &Mat<f64>) -> Vec<Vec<f64>> {
    (0..m.nrows())
        .map(|i| (0..m.ncols()).map(|j| m[(i, j)]).collect())
        .collect()
}

fn wrong_kind(name: &str, kind: ModelKind, route: &str) -> ApiError {
    let hint = match kind {
        ModelKind::Recommender => "it answers /recommend and /similar",
        _ => "it answers /project, /reconstruct and /score",
    };
    ApiError::bad_request(
        "wrong_model_kind",
        format!(
            "model {name:?} is a {} model: {route} does not apply ({hint})",
            kind.name()
        ),
    )
}

/// Waits for a compute slot (bounded by `queue_timeout`), then runs `f` on the blocking pool.
async fn compute<T: Send + 'static>(
    s: &AppState,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let permit =
        match tokio::time::timeout(s.config.queue_timeout, s.slots.clone().acquire_owned()).await {
            Ok(Ok(p)) => p,
            _ => {
                s.metrics
                    .overloaded
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "overloaded",
                    format!(
                        "all {} compute slots stayed busy for {} ms; retry later",
                        s.config.max_concurrency,
                        s.config.queue_timeout.as_millis()
                    ),
                ));
            }
        };
    tokio::task::spawn_blocking(move || {
        let out = f();
        drop(permit);
        out
    })
    .await
    .map_err(ApiError::internal)
}

/// Runs `f` on the live model's axes in a compute slot. The handlers check the kind (with
/// [`subspace`]) before parsing the body, so the other kind cannot reach here.
async fn on_subspace<T: Send + 'static>(
    s: &AppState,
    live: &Arc<Live>,
    f: impl FnOnce(&lowrank_core::pca::PcaModel) -> T + Send + 'static,
) -> Result<T, ApiError> {
    let l = live.clone();
    compute(s, move || match &l.model.served {
        Served::Subspace(p) => f(p),
        Served::Recommender(_) => unreachable!("the handler checked the model kind"),
    })
    .await
}

/// Runs `f` on the live recommender in a compute slot (kind checked by the handler).
async fn on_recommender<T: Send + 'static>(
    s: &AppState,
    live: &Arc<Live>,
    f: impl FnOnce(&lowrank_io::SavedModel) -> T + Send + 'static,
) -> Result<T, ApiError> {
    let l = live.clone();
    compute(s, move || match &l.model.served {
        Served::Recommender(saved) => f(saved),
        Served::Subspace(_) => unreachable!("the handler checked the model kind"),
    })
    .await
}

fn subspace<'a>(
    live: &'a Live,
    name: &str,
    route: &str,
) -> Result<&'a lowrank_core::pca::PcaModel, ApiError> {
    match &live.model.served {
        Served::Subspace(p) => Ok(p),
        Served::Recommender(_) => Err(wrong_kind(name, live.model.kind, route)),
    }
}

pub(crate) async fn project(
    State(s): State<AppState>,
    Path(name): Path<String>,
    body: Result<Json<RowsBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let live = model_for(&s, &name)?;
    let Json(body) = body.map_err(json_rejection)?;
    let p = subspace(&live, &name, "/project")?;
    let x = to_matrix(
        &body.rows,
        "rows",
        p.n_features,
        "features",
        s.config.max_rows,
    )?;
    let coords = on_subspace(&s, &live, move |p| to_rows(&model::project(p, x.as_ref()))).await?;
    Ok(Json(
        json!({"model": name, "version": live.version, "coords": coords}),
    ))
}

pub(crate) async fn reconstruct(
    State(s): State<AppState>,
    Path(name): Path<String>,
    body: Result<Json<ReconstructBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let live = model_for(&s, &name)?;
    let Json(body) = body.map_err(json_rejection)?;
    let p = subspace(&live, &name, "/reconstruct")?;
    let (x, from_coords) =
        match (&body.rows, &body.coords) {
            (Some(r), None) => (
                to_matrix(r, "rows", p.n_features, "features", s.config.max_rows)?,
                false,
            ),
            (None, Some(c)) => (
                to_matrix(
                    c,
                    "coords",
                    p.n_components(),
                    "coordinates (components)",
                    s.config.max_rows,
                )?,
                true,
            ),
            _ => return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                "give exactly one of `rows` (n_features values each) or `coords` (k values each)",
            )),
        };
    let rows = on_subspace(&s, &live, move |p| {
        to_rows(&if from_coords {
            model::from_coords(p, x.as_ref())
        } else {
            model::reconstruct(p, x.as_ref())
        })
    })
    .await?;
    Ok(Json(
        json!({"model": name, "version": live.version, "rows": rows}),
    ))
}

pub(crate) async fn score(
    State(s): State<AppState>,
    Path(name): Path<String>,
    body: Result<Json<RowsBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let live = model_for(&s, &name)?;
    let Json(body) = body.map_err(json_rejection)?;
    let p = subspace(&live, &name, "/score")?;
    let x = to_matrix(
        &body.rows,
        "rows",
        p.n_features,
        "features",
        s.config.max_rows,
    )?;
    let scores = on_subspace(&s, &live, move |p| model::score(p, x.as_ref())).await?;
    let mut out = json!({"model": name, "version": live.version, "scores": scores});
    // An anomaly detector also says which rows exceed its stored threshold (strictly above, as
    // `lowrank anomaly` flags them).
    if let Some(t) = live.model.threshold {
        out["threshold"] = json!(t);
        out["flagged"] = json!(scores.iter().map(|x| *x > t).collect::<Vec<_>>());
    }
    Ok(Json(out))
}

fn query_rejection(r: QueryRejection) -> ApiError {
    ApiError::bad_request(
        "invalid_query",
        format!("bad query string: {}", r.body_text()),
    )
}

fn param_n(q: &HashMap<String, String>, max: usize) -> Result<usize, ApiError> {
    match q.get("n") {
        None => Ok(10),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::bad_request(
                "invalid_parameter",
                format!("n={v:?}: expected an integer from 1 to {max}"),
            )),
        },
    }
}

fn required<'a>(q: &'a HashMap<String, String>, key: &str) -> Result<&'a str, ApiError> {
    q.get(key)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(
                "missing_parameter",
                format!("the query parameter `{key}` is required"),
            )
        })
}

fn items_json(saved: &lowrank_io::SavedModel, list: &[(usize, f64)]) -> Vec<Value> {
    list.iter()
        .map(|(i, sc)| json!({"item": saved.items.id(*i as u32), "score": sc}))
        .collect()
}

pub(crate) async fn recommend(
    State(s): State<AppState>,
    Path(name): Path<String>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let live = model_for(&s, &name)?;
    let Query(q) = q.map_err(query_rejection)?;
    if !matches!(live.model.served, Served::Recommender(_)) {
        return Err(wrong_kind(&name, live.model.kind, "/recommend"));
    }
    let user = required(&q, "user")?.to_string();
    let n = param_n(&q, s.config.max_n)?;
    let include_seen = match q.get("include_seen").map(String::as_str) {
        None | Some("false") | Some("0") => false,
        Some("true") | Some("1") => true,
        Some(v) => {
            return Err(ApiError::bad_request(
                "invalid_parameter",
                format!("include_seen={v:?}: expected true or false"),
            ))
        }
    };
    let u = user.clone();
    let (known, items) = on_recommender(&s, &live, move |saved| {
        // A user id may exist with no training ratings (all held out): unknown too, as in
        // `lowrank mf recommend`.
        let idx = saved
            .users
            .get(&u)
            .map(|i| i as usize)
            .filter(|&i| saved.model.knows_user(i));
        let seen: &[u32] = match (idx, include_seen) {
            (Some(i), false) => saved.seen(i),
            _ => &[],
        };
        let list = lowrank_mf::top_n(&saved.model, idx, seen, n);
        (idx.is_some(), items_json(saved, &list))
    })
    .await?;
    Ok(Json(json!({
        "model": name, "version": live.version, "user": user, "known_user": known,
        "basis": if known { "model" } else { "popularity (unknown user)" },
        "items": items,
    })))
}

pub(crate) async fn similar(
    State(s): State<AppState>,
    Path(name): Path<String>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let live = model_for(&s, &name)?;
    let Query(q) = q.map_err(query_rejection)?;
    let Served::Recommender(saved) = &live.model.served else {
        return Err(wrong_kind(&name, live.model.kind, "/similar"));
    };
    let item = required(&q, "item")?.to_string();
    let n = param_n(&q, s.config.max_n)?;
    let Some(idx) = saved
        .items
        .get(&item)
        .map(|i| i as usize)
        .filter(|&i| saved.model.knows_item(i))
    else {
        return Err(ApiError::not_found(
            "unknown_item",
            format!("item {item:?} is not in model {name:?} (or has no training ratings)"),
        ));
    };
    if saved.model.rank == 0 {
        return Err(ApiError::bad_request(
            "wrong_model_kind",
            format!("model {name:?} is a baseline without item factors: no similar items"),
        ));
    }
    let items = on_recommender(&s, &live, move |saved| {
        lowrank_mf::similar_items(&saved.model, idx, n).map(|list| items_json(saved, &list))
    })
    .await?
    .map_err(ApiError::internal)?;
    Ok(Json(json!({
        "model": name, "version": live.version, "item": item, "basis": "cosine", "items": items,
    })))
}

/// Constant-time comparison of the presented token with the configured one.
fn token_matches(given: &[u8], want: &[u8]) -> bool {
    given.len() == want.len()
        && given
            .iter()
            .zip(want)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

pub(crate) fn authorize(s: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(want) = &s.config.token else {
        return Ok(());
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this route needs `Authorization: Bearer <token>`",
        )),
        Some(t) if token_matches(t.trim().as_bytes(), want.as_bytes()) => Ok(()),
        Some(_) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "the bearer token is wrong",
        )),
    }
}

pub(crate) async fn reload(
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    authorize(&s, &headers)?;
    let out = s.reload().await?;
    Ok(Json(json!(out)))
}

pub(crate) async fn fallback() -> ApiError {
    ApiError::not_found("no_route", "no such route; see GET /v1/openapi.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_checked_with_positions() {
        let e = to_matrix(&[vec![1.0, 2.0], vec![1.0]], "rows", 2, "features", 10).unwrap_err();
        assert_eq!(e.code, "wrong_dimension");
        assert!(e.message.contains("rows[1] has 1 values"), "{}", e.message);
        // JSON cannot carry NaN, but a client library could still hand one to a future
        // binary format: the check is kept and named.
        let e = to_matrix(&[vec![1.0, f64::NAN]], "rows", 2, "features", 10).unwrap_err();
        assert_eq!(e.code, "non_finite");
        assert!(e.message.contains("rows[0][1] is NaN"), "{}", e.message);
        let e = to_matrix(&[], "rows", 2, "features", 10).unwrap_err();
        assert_eq!(e.code, "empty_rows");
        let e = to_matrix(&vec![vec![0.0; 2]; 11], "rows", 2, "features", 10).unwrap_err();
        assert_eq!(e.status, StatusCode::PAYLOAD_TOO_LARGE);
        let m = to_matrix(&[vec![1.0, 2.0], vec![3.0, 4.0]], "rows", 2, "features", 10).unwrap();
        assert_eq!(m[(1, 0)], 3.0);
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(token_matches(b"secret", b"secret"));
        assert!(!token_matches(b"secreT", b"secret"));
        assert!(!token_matches(b"secret1", b"secret"));
        assert!(!token_matches(b"", b"secret"));
    }
}
