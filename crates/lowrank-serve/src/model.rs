//! The models the service answers with, loaded from the directories the CLI writes, and the
//! computations behind each route.
//!
//! Two families:
//! - **subspace models** (`lowrank pca --out`, `lowrank svd --out`): rows of `n_features`
//!   values are projected on `k` axes, reconstructed from them, or scored by the norm of what
//!   the axes miss. An SVD directory is served as a PCA model without centring or scaling whose
//!   axes are the right singular vectors: `project(x) = x·V` (for a training row this is
//!   `uᵢ·S`), `reconstruct(x) = x·V·Vᵀ`, `score(x) = ‖x − x·V·Vᵀ‖`.
//! - **recommenders** (`lowrank mf fit --out`): top-n unseen items for a user and similar items,
//!   by partial selection (no full sort of the catalogue).

use faer::{Mat, MatRef};
use lowrank_core::pca::PcaModel;
use lowrank_io::SavedModel;
use serde_json::Value;
use std::path::Path;

/// A model could not be loaded from its directory; the message names the file and what is
/// wrong with it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// A file is missing, unreadable, corrupted or inconsistent with the others.
    #[error("{dir}: not a servable model directory: {message}")]
    Invalid {
        /// The model directory.
        dir: String,
        /// What is wrong, naming the file.
        message: String,
    },
    /// A versioned store could not give the model: the alias is not set, the catalog cannot
    /// be read, or a blob is missing or corrupted (its checksum does not match).
    #[error("store {store}: {message}")]
    Store {
        /// The store directory.
        store: String,
        /// What is wrong (model, version, file, blob and hashes for a corrupted blob).
        message: String,
    },
}

fn invalid(dir: &Path, message: impl std::fmt::Display) -> LoadError {
    LoadError::Invalid {
        dir: dir.display().to_string(),
        message: message.to_string(),
    }
}

/// Which command wrote the model, and so which routes it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// `lowrank pca --out`: centred (optionally scaled, whitened) principal axes.
    Pca,
    /// `lowrank svd --out`: uncentred right singular vectors.
    Svd,
    /// `lowrank mf fit --out`: user and item factors.
    Recommender,
    /// `lowrank anomaly --out`: a PCA of normal rows and the score threshold.
    Anomaly,
}

impl ModelKind {
    /// Lower-case name used in JSON and metrics.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Pca => "pca",
            ModelKind::Svd => "svd",
            ModelKind::Recommender => "recommender",
            ModelKind::Anomaly => "anomaly",
        }
    }
}

/// The numerical part of a served model.
#[derive(Debug)]
pub enum Served {
    /// PCA, SVD or anomaly-detector axes (an SVD is stored as a PCA model with zero mean and no
    /// scaling).
    Subspace(Box<PcaModel>),
    /// A matrix-factorization recommender with its id maps and seen items.
    Recommender(Box<SavedModel>),
}

/// A model as loaded, with what the service reports about it.
#[derive(Debug)]
pub struct LoadedModel {
    /// Which command wrote it.
    pub kind: ModelKind,
    /// The model itself.
    pub served: Served,
    /// When the model was written (seconds since the Unix epoch), for the factor-age metric.
    pub created_unix: Option<f64>,
    /// Decomposition metrics from the model's report (reconstruction error, energy, residuals,
    /// RMSE), exported on `/metrics` as `lowrank_model_metric{name="…"}`.
    pub metrics: Vec<(String, f64)>,
    /// Anomaly models: rows whose score is strictly above this are flagged (`/score`).
    pub threshold: Option<f64>,
}

/// The file whose content identifies a model directory's version.
pub(crate) const MANIFESTS: [(&str, ModelKind); 4] = [
    ("pca.json", ModelKind::Pca),
    ("report.json", ModelKind::Svd),
    ("model.json", ModelKind::Recommender),
    ("anomaly.json", ModelKind::Anomaly),
];

/// Which manifest a directory has.
pub(crate) fn detect_kind(dir: &Path) -> Result<(ModelKind, &'static str), LoadError> {
    for (name, kind) in MANIFESTS {
        if dir.join(name).is_file() {
            return Ok((kind, name));
        }
    }
    Err(invalid(
        dir,
        "found none of pca.json (lowrank pca --out), report.json (lowrank svd --out), \
         model.json (lowrank mf fit --out) or anomaly.json (lowrank anomaly --out)",
    ))
}

/// Loads a model directory written by `lowrank pca|svd|mf fit --out`, checking every part.
///
/// ```
/// use lowrank_serve::model::{load_dir, project, ModelKind, Served};
///
/// // An SVD directory with V = [e1 e2] (3 features, 2 axes): x·V keeps x's first two values.
/// let dir = tempfile::tempdir().unwrap();
/// let v = faer::Mat::<f64>::from_fn(3, 2, |i, j| if i == j { 1.0 } else { 0.0 });
/// lowrank_io::write_npy(&dir.path().join("V.npy"), v.as_ref()).unwrap();
/// lowrank_io::write_npy_vec(&dir.path().join("S.npy"), &[2.0, 1.0]).unwrap();
/// std::fs::write(dir.path().join("report.json"),
///     r#"{"input": {"centered": false, "nrows": 4, "ncols": 3}}"#).unwrap();
/// let loaded = load_dir(dir.path()).unwrap();
/// assert_eq!(loaded.kind, ModelKind::Svd);
/// let Served::Subspace(m) = &loaded.served else { unreachable!() };
/// let x = faer::Mat::<f64>::from_fn(1, 3, |_, j| j as f64 + 1.0);
/// let c = project(m, x.as_ref());
/// assert_eq!((c[(0, 0)], c[(0, 1)]), (1.0, 2.0));
/// ```
pub fn load_dir(dir: &Path) -> Result<LoadedModel, LoadError> {
    let (kind, manifest) = detect_kind(dir)?;
    let text = std::fs::read_to_string(dir.join(manifest))
        .map_err(|e| invalid(dir, format!("cannot read {manifest}: {e}")))?;
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| invalid(dir, format!("{manifest} is not JSON: {e}")))?;
    let created_unix = std::fs::metadata(dir.join(manifest))
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs_f64());
    match kind {
        ModelKind::Pca => load_pca(dir, &doc).map(|m| LoadedModel {
            kind,
            metrics: pick(&doc["svd"]["certificate"], CERT_METRICS)
                .into_iter()
                .chain(
                    doc["cumulative_explained_variance_ratio"]
                        .as_array()
                        .and_then(|a| a.last())
                        .and_then(Value::as_f64)
                        .map(|v| ("explained_variance_ratio".to_string(), v)),
                )
                .collect(),
            served: Served::Subspace(Box::new(m)),
            created_unix,
            threshold: None,
        }),
        ModelKind::Svd => load_svd(dir, &doc).map(|m| LoadedModel {
            kind,
            metrics: pick(&doc["certificate"], CERT_METRICS),
            served: Served::Subspace(Box::new(m)),
            created_unix,
            threshold: None,
        }),
        ModelKind::Anomaly => load_anomaly(dir, &doc).map(|(m, threshold)| LoadedModel {
            kind,
            metrics: [
                ("threshold", Some(threshold)),
                (
                    "explained_variance_ratio",
                    doc["cumulative_explained_variance_ratio"].as_f64(),
                ),
                (
                    "training_flagged_fraction",
                    match (
                        doc["counts"]["training_flagged"].as_f64(),
                        doc["counts"]["training_rows"].as_f64(),
                    ) {
                        (Some(f), Some(n)) if n > 0.0 => Some(f / n),
                        _ => None,
                    },
                ),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
            .collect(),
            served: Served::Subspace(Box::new(m)),
            created_unix,
            threshold: Some(threshold),
        }),
        ModelKind::Recommender => {
            let (saved, man) = lowrank_io::read_model(dir).map_err(|e| invalid(dir, e))?;
            let metrics = pick(&man.metrics, &["train_rmse", "valid_rmse", "valid_mae"]);
            Ok(LoadedModel {
                kind,
                served: Served::Recommender(Box::new(saved)),
                created_unix: Some(man.created_unix as f64),
                metrics,
                threshold: None,
            })
        }
    }
}

const CERT_METRICS: &[&str] = &[
    "relative_error",
    "energy_retained",
    "max_residual",
    "orthogonality_loss_u",
    "orthogonality_loss_v",
];

fn pick(v: &Value, names: &[&str]) -> Vec<(String, f64)> {
    names
        .iter()
        .filter_map(|n| v.get(n).and_then(Value::as_f64).map(|x| (n.to_string(), x)))
        .collect()
}

fn read_npy(dir: &Path, name: &str) -> Result<Mat<f64>, LoadError> {
    lowrank_io::read_dense_npy(&dir.join(name)).map_err(|e| invalid(dir, e))
}

fn read_vec(dir: &Path, name: &str) -> Result<Vec<f64>, LoadError> {
    lowrank_io::read_npy_vector(&dir.join(name)).map_err(|e| invalid(dir, e))
}

fn check_finite(dir: &Path, name: &str, m: MatRef<'_, f64>) -> Result<(), LoadError> {
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            if !m[(i, j)].is_finite() {
                return Err(invalid(
                    dir,
                    format!("{name} has {} at row {i}, column {j}", m[(i, j)]),
                ));
            }
        }
    }
    Ok(())
}

fn load_pca(dir: &Path, doc: &Value) -> Result<PcaModel, LoadError> {
    const SCHEMA: &str = "lowrank.pca.model/1";
    let schema = doc["schema"].as_str().unwrap_or("");
    if schema != SCHEMA {
        return Err(invalid(
            dir,
            format!("pca.json has schema {schema:?}, expected {SCHEMA:?}"),
        ));
    }
    let get = |k: &str| {
        doc[k]
            .as_u64()
            .map(|v| v as usize)
            .ok_or_else(|| invalid(dir, format!("pca.json has no {k}")))
    };
    let (n_samples, n_features, k) = (get("n_samples")?, get("n_features")?, get("components")?);
    let components = read_npy(dir, "components.npy")?;
    if components.nrows() != k || components.ncols() != n_features {
        return Err(invalid(
            dir,
            format!(
                "components.npy is {}x{}, pca.json says {k} components x {n_features} features",
                components.nrows(),
                components.ncols()
            ),
        ));
    }
    check_finite(dir, "components.npy", components.as_ref())?;
    let scaled = doc["scale"].as_bool().unwrap_or(false);
    let model = PcaModel {
        n_samples,
        n_features,
        components,
        singular_values: read_vec(dir, "singular_values.npy")?,
        explained_variance: read_vec(dir, "explained_variance.npy")?,
        explained_variance_ratio: read_vec(dir, "explained_variance_ratio.npy")?,
        total_variance: doc["total_variance"].as_f64().unwrap_or(f64::NAN),
        mean: read_vec(dir, "mean.npy")?,
        scale: if scaled {
            Some(read_vec(dir, "scale.npy")?)
        } else {
            None
        },
        whiten: doc["whiten"].as_bool().unwrap_or(false),
        noise_variance: doc["noise_variance"].as_f64().unwrap_or(0.0),
    };
    model.validate().map_err(|e| invalid(dir, e))?;
    if let Some(j) = model.mean.iter().position(|x| !x.is_finite()) {
        return Err(invalid(dir, format!("mean.npy entry {j} is not finite")));
    }
    Ok(model)
}

/// An anomaly detector (`anomaly.json` and the model parts `lowrank anomaly --out` writes):
/// the PCA it scores with, and its threshold.
fn load_anomaly(dir: &Path, doc: &Value) -> Result<(PcaModel, f64), LoadError> {
    const SCHEMA: &str = "lowrank.anomaly/1";
    let schema = doc["schema"].as_str().unwrap_or("");
    if schema != SCHEMA {
        return Err(invalid(
            dir,
            format!("anomaly.json has schema {schema:?}, expected {SCHEMA:?}"),
        ));
    }
    if !dir.join("components.npy").is_file() {
        return Err(invalid(
            dir,
            "components.npy is missing: the directory was written by a `lowrank anomaly` that \
             did not save the model; run it again with --out",
        ));
    }
    let get = |k: &str| {
        doc[k]
            .as_u64()
            .map(|v| v as usize)
            .ok_or_else(|| invalid(dir, format!("anomaly.json has no {k}")))
    };
    let (n_features, k) = (get("n_features")?, get("components")?);
    let threshold = doc["threshold"]["value"]
        .as_f64()
        .filter(|t| t.is_finite())
        .ok_or_else(|| invalid(dir, "anomaly.json has no finite threshold.value"))?;
    let components = read_npy(dir, "components.npy")?;
    if components.nrows() != k || components.ncols() != n_features {
        return Err(invalid(
            dir,
            format!(
                "components.npy is {}x{}, anomaly.json says {k} components x {n_features} \
                 features",
                components.nrows(),
                components.ncols()
            ),
        ));
    }
    check_finite(dir, "components.npy", components.as_ref())?;
    let singular_values = read_vec(dir, "singular_values.npy")?;
    let n_samples = doc["counts"]["training_rows"].as_u64().unwrap_or(0) as usize;
    let explained_variance: Vec<f64> = singular_values
        .iter()
        .map(|s| s * s / (n_samples.max(2) - 1) as f64)
        .collect();
    let ratio: Vec<f64> = doc["explained_variance_ratio"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    let scaled = doc["scale"].as_bool().unwrap_or(false);
    let model = PcaModel {
        n_samples,
        n_features,
        components,
        total_variance: f64::NAN,
        explained_variance_ratio: if ratio.len() == k {
            ratio
        } else {
            vec![f64::NAN; k]
        },
        explained_variance,
        singular_values,
        mean: read_vec(dir, "mean.npy")?,
        scale: if scaled {
            Some(read_vec(dir, "scale.npy")?)
        } else {
            None
        },
        whiten: false,
        noise_variance: 0.0,
    };
    model.validate().map_err(|e| invalid(dir, e))?;
    if let Some(j) = model.mean.iter().position(|x| !x.is_finite()) {
        return Err(invalid(dir, format!("mean.npy entry {j} is not finite")));
    }
    Ok((model, threshold))
}

fn load_svd(dir: &Path, doc: &Value) -> Result<PcaModel, LoadError> {
    if doc["input"]["centered"].as_bool() == Some(true) {
        return Err(invalid(
            dir,
            "the SVD was computed with --center, but report.json does not keep the column \
             means, so new rows cannot be centred; fit `lowrank pca` instead",
        ));
    }
    if !dir.join("V.npy").is_file() {
        return Err(invalid(
            dir,
            "V.npy is missing (an SVD run with --values-only or --output-format safetensors \
             cannot be served)",
        ));
    }
    let v = read_npy(dir, "V.npy")?;
    let s = read_vec(dir, "S.npy")?;
    let (n, k) = (v.nrows(), v.ncols());
    if s.len() != k {
        return Err(invalid(
            dir,
            format!("S.npy has {} values but V.npy has {k} columns", s.len()),
        ));
    }
    if let Some(cols) = doc["input"]["ncols"].as_u64() {
        if cols as usize != n {
            return Err(invalid(
                dir,
                format!("V.npy has {n} rows, report.json says the input had {cols} columns"),
            ));
        }
    }
    check_finite(dir, "V.npy", v.as_ref())?;
    let energy = doc["certificate"]["frobenius_norm"]
        .as_f64()
        .map(|f| f * f)
        .unwrap_or_else(|| s.iter().map(|x| x * x).sum());
    let ev: Vec<f64> = s.iter().map(|x| x * x).collect();
    let model = PcaModel {
        n_samples: doc["input"]["nrows"].as_u64().unwrap_or(0) as usize,
        n_features: n,
        components: v.transpose().to_owned(),
        explained_variance_ratio: ev
            .iter()
            .map(|e| if energy > 0.0 { e / energy } else { 0.0 })
            .collect(),
        explained_variance: ev,
        singular_values: s,
        total_variance: energy,
        mean: vec![0.0; n],
        scale: None,
        whiten: false,
        noise_variance: 0.0,
    };
    model.validate().map_err(|e| invalid(dir, e))?;
    Ok(model)
}

/// Coordinates of `rows` on the model's axes (`PcaModel::transform`).
pub fn project(m: &PcaModel, rows: MatRef<'_, f64>) -> Mat<f64> {
    // Shapes were checked by the caller; transform fails only on a shape mismatch.
    m.transform(rows)
        .unwrap_or_else(|_| Mat::zeros(rows.nrows(), 0))
}

/// Rows rebuilt from their projection: `inverse_transform(transform(rows))`.
pub fn reconstruct(m: &PcaModel, rows: MatRef<'_, f64>) -> Mat<f64> {
    let c = project(m, rows);
    m.inverse_transform(c.as_ref())
        .unwrap_or_else(|_| Mat::zeros(rows.nrows(), 0))
}

/// Rows rebuilt from given coordinates (`inverse_transform`).
pub fn from_coords(m: &PcaModel, coords: MatRef<'_, f64>) -> Mat<f64> {
    m.inverse_transform(coords)
        .unwrap_or_else(|_| Mat::zeros(coords.nrows(), 0))
}

/// Anomaly score of each row: `‖z − z·VᵀV‖` with `z` the centred (scaled) row, the norm of
/// what the axes miss (its square is the Q statistic / SPE), as `lowrank anomaly` scores.
/// Whitening does not change it.
pub fn score(m: &PcaModel, rows: MatRef<'_, f64>) -> Vec<f64> {
    let z = Mat::<f64>::from_fn(rows.nrows(), rows.ncols(), |i, j| {
        let c = rows[(i, j)] - m.mean[j];
        m.scale.as_ref().map_or(c, |s| c / s[j])
    });
    let coords = &z * m.components.transpose();
    let back = &coords * &m.components;
    (0..z.nrows())
        .map(|i| {
            (0..z.ncols())
                .map(|j| {
                    let r = z[(i, j)] - back[(i, j)];
                    r * r
                })
                .sum::<f64>()
                .sqrt()
        })
        .collect()
}

/// Largest principal angle, in degrees, between the axes of two subspace models (PCA, SVD,
/// anomaly) over their leading `min(k_old, k_new)` axes: how far a new version's subspace
/// moved from the one it replaces (0° = same subspace, 90° = an axis orthogonal to all the
/// old ones). `None` when either is a recommender or they have different feature counts
/// (nothing comparable).
///
/// ```
/// use lowrank_core::pca::PcaModel;
/// use lowrank_serve::model::{drift_max_angle_degrees, LoadedModel, ModelKind, Served};
///
/// // Axes [e1 e2] against [e1, (e2 + e3)/√2] in 3 features: the planes meet at 45°.
/// let axes = |c: [[f64; 3]; 2]| LoadedModel {
///     kind: ModelKind::Svd,
///     served: Served::Subspace(Box::new(PcaModel {
///         n_samples: 4, n_features: 3,
///         components: faer::Mat::from_fn(2, 3, |i, j| c[i][j]),
///         singular_values: vec![2.0, 1.0], explained_variance: vec![4.0, 1.0],
///         explained_variance_ratio: vec![0.8, 0.2], total_variance: 5.0,
///         mean: vec![0.0; 3], scale: None, whiten: false, noise_variance: 0.0,
///     })),
///     created_unix: None, metrics: vec![], threshold: None,
/// };
/// let h = std::f64::consts::FRAC_1_SQRT_2;
/// let old = axes([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]);
/// let new = axes([[1.0, 0.0, 0.0], [0.0, h, h]]);
/// let d = drift_max_angle_degrees(&old, &new).unwrap();
/// assert!((d - 45.0).abs() < 1e-12);
/// ```
pub fn drift_max_angle_degrees(old: &LoadedModel, new: &LoadedModel) -> Option<f64> {
    let (Served::Subspace(a), Served::Subspace(b)) = (&old.served, &new.served) else {
        return None;
    };
    if a.n_features != b.n_features {
        return None;
    }
    let k = a.n_components().min(b.n_components());
    if k == 0 {
        return None;
    }
    let va = a.components.as_ref().subrows(0, k).transpose();
    let vb = b.components.as_ref().subrows(0, k).transpose();
    let angles = lowrank_core::drift::principal_angles(va, vb).ok()?;
    angles
        .iter()
        .copied()
        .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))))
        .map(f64::to_degrees)
}
