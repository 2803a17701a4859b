//! Recommender model artifacts: a directory with factors, biases, id maps, the training
//! interactions (to exclude seen items), hyper-parameters, metrics and checksums.
//!
//! ```text
//! model/
//!   model.json          manifest: schema, kind, sizes, hyper-parameters, metrics, training-data
//!                       checksum, tool version, and the SHA-256 of every other file
//!   user_factors.npy    n_users × rank (f64)       item_factors.npy   n_items × rank
//!   user_bias.npy       n_users (explicit models)  item_bias.npy      n_items
//!   popularity.npy      training interactions per item (the fallback ranking)
//!   seen_ptr.npy        n_users + 1 offsets (u8)   seen_items.npy     items each user rated (u4)
//!   users.txt items.txt the original ids, one per line, in index order
//!   learning_curve.svg  (when written by the CLI)
//! ```
//! The directory is assembled under a temporary name and renamed into place. Loading checks
//! the schema, every file's checksum and every shape, and refuses the artifact with a message
//! naming the file otherwise.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lowrank_mf::{Hyper, Model, ModelKind};
use serde::{Deserialize, Serialize};

use crate::ratings::{read_id_map, write_id_map, IdMap};
use crate::write::{write_atomic_with, write_npy, write_npy_vec, OutputDir};
use crate::{sha256_file, IoError};

/// Schema name and version of `model.json`.
pub const MODEL_SCHEMA: &str = "lowrank.mf.model/1";

/// Where the training data came from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TrainingData {
    /// Path as given.
    pub path: String,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Ratings used for training (after the split).
    pub ratings: u64,
    /// Duplicate (user, item) pairs merged when reading.
    pub duplicates: u64,
}

/// One stored file's checksum.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    /// SHA-256 of the content.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// `model.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModelManifest {
    /// Always [`MODEL_SCHEMA`].
    pub schema: String,
    /// Version of lowrank that wrote it.
    pub tool_version: String,
    /// Seconds since the Unix epoch.
    pub created_unix: u64,
    /// Model kind.
    pub kind: ModelKind,
    /// Number of factors.
    pub rank: usize,
    /// Number of users.
    pub n_users: usize,
    /// Number of items.
    pub n_items: usize,
    /// Mean training rating.
    pub global_mean: f64,
    /// Prediction clip range (the rating scale).
    pub clip: Option<(f64, f64)>,
    /// Hyper-parameters of the fit.
    pub hyper: Hyper,
    /// Training data provenance.
    pub training: TrainingData,
    /// Metrics and learning curve, as the CLI reports them.
    pub metrics: serde_json::Value,
    /// Checksums of the other files.
    pub files: BTreeMap<String, FileEntry>,
}

/// A model with its id maps and the items each user rated in training.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedModel {
    /// The fitted model.
    pub model: Model,
    /// User ids in index order.
    pub users: IdMap,
    /// Item ids in index order.
    pub items: IdMap,
    /// `seen_items[seen_ptr[u]..seen_ptr[u+1]]` are the items user `u` rated, ascending.
    pub seen_ptr: Vec<u64>,
    /// See `seen_ptr`.
    pub seen_items: Vec<u32>,
}

impl SavedModel {
    /// Items user `u` rated in training (ascending).
    pub fn seen(&self, u: usize) -> &[u32] {
        if u + 1 >= self.seen_ptr.len() {
            return &[];
        }
        &self.seen_items[self.seen_ptr[u] as usize..self.seen_ptr[u + 1] as usize]
    }
}

/// Writes `saved` into the (temporary) output directory with its manifest; extra files already
/// written there (e.g. a picture) are listed in `extra` and checksummed too.
pub fn write_model(
    dir: &OutputDir,
    saved: &SavedModel,
    hyper: &Hyper,
    training: TrainingData,
    metrics: serde_json::Value,
    extra: &[&str],
) -> Result<ModelManifest, IoError> {
    let m = &saved.model;
    let k = m.rank;
    let mut names: Vec<String> = Vec::new();
    let mut mat = |name: &str, rows: usize, data: &[f64]| -> Result<(), IoError> {
        // A view of the row-major factors: no second copy of them while writing.
        let a = faer::MatRef::from_row_major_slice(data, rows, k);
        write_npy(&dir.file(name), a)?;
        names.push(name.into());
        Ok(())
    };
    mat("user_factors.npy", m.n_users, &m.p)?;
    mat("item_factors.npy", m.n_items, &m.q)?;
    let mut vecs = vec![("popularity.npy", &m.popularity)];
    if m.kind.is_explicit() {
        vecs.push(("user_bias.npy", &m.user_bias));
        vecs.push(("item_bias.npy", &m.item_bias));
    }
    for (name, v) in vecs {
        write_npy_vec(&dir.file(name), v)?;
        names.push(name.into());
    }
    write_uint_npy(
        &dir.file("seen_ptr.npy"),
        "<u8",
        saved.seen_ptr.len(),
        |w| {
            for v in &saved.seen_ptr {
                w.write_all(&v.to_le_bytes())?;
            }
            Ok(())
        },
    )?;
    write_uint_npy(
        &dir.file("seen_items.npy"),
        "<u4",
        saved.seen_items.len(),
        |w| {
            for v in &saved.seen_items {
                w.write_all(&v.to_le_bytes())?;
            }
            Ok(())
        },
    )?;
    write_id_map(&dir.file("users.txt"), &saved.users)?;
    write_id_map(&dir.file("items.txt"), &saved.items)?;
    names.extend(["seen_ptr.npy", "seen_items.npy", "users.txt", "items.txt"].map(String::from));
    names.extend(extra.iter().map(|s| s.to_string()));
    let mut files = BTreeMap::new();
    for name in names {
        let path = dir.file(&name);
        let bytes = std::fs::metadata(&path)
            .map_err(|e| IoError::io(&path, e))?
            .len();
        files.insert(
            name,
            FileEntry {
                sha256: sha256_file(&path)?,
                bytes,
            },
        );
    }
    let manifest = ModelManifest {
        schema: MODEL_SCHEMA.into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        created_unix: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        kind: m.kind,
        rank: k,
        n_users: m.n_users,
        n_items: m.n_items,
        global_mean: m.global_mean,
        clip: m.clip,
        hyper: hyper.clone(),
        training,
        metrics,
        files,
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| IoError::Serialize {
        path: dir.file("model.json"),
        message: e.to_string(),
    })?;
    crate::write::write_atomic(&dir.file("model.json"), &json)?;
    Ok(manifest)
}

fn write_uint_npy(
    path: &Path,
    descr: &str,
    len: usize,
    body: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), IoError> {
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({len},), }}");
    let pad = (64 - (10 + dict.len() + 1) % 64) % 64;
    dict.push_str(&" ".repeat(pad));
    dict.push('\n');
    write_atomic_with(path, |w| {
        w.write_all(b"\x93NUMPY\x01\x00")?;
        w.write_all(&(dict.len() as u16).to_le_bytes())?;
        w.write_all(dict.as_bytes())?;
        body(w)
    })
}

fn corrupt(path: &Path, message: impl Into<String>) -> IoError {
    IoError::Format {
        path: path.to_path_buf(),
        line: None,
        column: None,
        byte_offset: None,
        message: message.into(),
    }
}

/// Reads the manifest only (no checksum verification of the other files).
pub fn read_manifest(dir: &Path) -> Result<ModelManifest, IoError> {
    let path = dir.join("model.json");
    let text = std::fs::read(&path).map_err(|e| IoError::io(&path, e))?;
    let value: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|e| corrupt(&path, format!("not a model manifest: {e}")))?;
    match value.get("schema").and_then(|s| s.as_str()) {
        Some(MODEL_SCHEMA) => {}
        Some(other) => {
            return Err(corrupt(
                &path,
                format!("schema '{other}' is not '{MODEL_SCHEMA}' (written by another lowrank version, or not a recommender model)"),
            ))
        }
        None => return Err(corrupt(&path, "no schema field: not a lowrank model directory")),
    }
    serde_json::from_value(value).map_err(|e| corrupt(&path, format!("malformed manifest: {e}")))
}

/// Loads and verifies a model directory: every file's checksum, then every shape.
pub fn read_model(dir: &Path) -> Result<(SavedModel, ModelManifest), IoError> {
    let man = read_manifest(dir)?;
    for (name, entry) in &man.files {
        let path = dir.join(name);
        let found = sha256_file(&path)?;
        if found != entry.sha256 {
            return Err(corrupt(
                &path,
                format!(
                    "checksum mismatch (model.json says {}, the file has {}): the artifact is corrupted or was modified; refusing to load it",
                    short(&entry.sha256),
                    short(&found)
                ),
            ));
        }
    }
    let need = |name: &str| -> Result<PathBuf, IoError> {
        if man.files.contains_key(name) {
            Ok(dir.join(name))
        } else {
            Err(corrupt(
                &dir.join("model.json"),
                format!("the manifest does not list {name}"),
            ))
        }
    };
    let k = man.rank;
    let read_mat = |name: &str, rows: usize, cols: usize| -> Result<Vec<f64>, IoError> {
        let path = need(name)?;
        let m = crate::npy::read_path(&path, true)?;
        if m.nrows() != rows || (m.ncols() != cols && rows * cols > 0) {
            return Err(corrupt(
                &path,
                format!(
                    "shape {}×{} does not match the manifest ({rows}×{cols})",
                    m.nrows(),
                    m.ncols()
                ),
            ));
        }
        let mut out = Vec::with_capacity(rows * cols);
        for i in 0..rows {
            for j in 0..cols {
                out.push(m[(i, j)]);
            }
        }
        Ok(out)
    };
    let p = read_mat("user_factors.npy", man.n_users, k)?;
    let q = read_mat("item_factors.npy", man.n_items, k)?;
    let popularity = read_mat("popularity.npy", man.n_items, 1)?;
    let (user_bias, item_bias) = if man.kind.is_explicit() {
        (
            read_mat("user_bias.npy", man.n_users, 1)?,
            read_mat("item_bias.npy", man.n_items, 1)?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let seen_ptr: Vec<u64> = read_mat("seen_ptr.npy", man.n_users + 1, 1)?
        .into_iter()
        .map(|v| v as u64)
        .collect();
    let seen_path = need("seen_items.npy")?;
    let seen_items: Vec<u32> = crate::npy::read_path(&seen_path, true)?
        .col(0)
        .iter()
        .map(|&v| v as u32)
        .collect();
    let bad_ptr = seen_ptr.windows(2).any(|w| w[0] > w[1])
        || seen_ptr.first() != Some(&0)
        || seen_ptr.last().copied() != Some(seen_items.len() as u64)
        || seen_items.iter().any(|&i| i as usize >= man.n_items);
    if bad_ptr {
        return Err(corrupt(
            &seen_path,
            "the seen-item lists are inconsistent with seen_ptr.npy",
        ));
    }
    let users = read_id_map(&need("users.txt")?)?;
    let items = read_id_map(&need("items.txt")?)?;
    if users.len() != man.n_users || items.len() != man.n_items {
        return Err(corrupt(
            &dir.join("model.json"),
            format!(
                "{} user ids and {} item ids for a model of {} users and {} items",
                users.len(),
                items.len(),
                man.n_users,
                man.n_items
            ),
        ));
    }
    let model = Model {
        kind: man.kind,
        rank: k,
        global_mean: man.global_mean,
        user_bias,
        item_bias,
        p,
        q,
        n_users: man.n_users,
        n_items: man.n_items,
        clip: man.clip,
        popularity,
        user_count: seen_ptr.windows(2).map(|w| (w[1] - w[0]) as f64).collect(),
    };
    Ok((
        SavedModel {
            model,
            users,
            items,
            seen_ptr,
            seen_items,
        },
        man,
    ))
}

fn short(h: &str) -> &str {
    &h[..h.len().min(16)]
}
