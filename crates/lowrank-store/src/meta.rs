//! What a run directory is: its report file, read with `serde_json::Value` so that the store
//! does not depend on the crates that wrote it, and the metadata a catalog row keeps.

use crate::error::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// One report file the store recognises, and where its fields live (JSON pointers).
struct ReportKind {
    file: &'static str,
    kind: &'static str,
    schema_prefix: &'static str,
    parameters: &'static [&'static str],
    metrics: &'static [&'static str],
}

/// Recognised reports, in the order they are looked for. The schema prefix must match, so a
/// stray `model.json` of another program is not taken for a recommender manifest.
const REPORTS: &[ReportKind] = &[
    ReportKind {
        file: "report.json",
        kind: "svd",
        schema_prefix: "lowrank.svd.report/",
        parameters: &["/params"],
        metrics: &[
            "/result/rank",
            "/result/singular_values",
            "/result/converged",
            "/result/method",
            "/certificate/max_residual",
            "/certificate/relative_error",
            "/certificate/energy_retained",
            "/timings/total_seconds",
        ],
    },
    ReportKind {
        file: "pca.json",
        kind: "pca",
        schema_prefix: "lowrank.pca.model/",
        parameters: &[
            "/component_selection",
            "/scale",
            "/whiten",
            "/solver",
            "/svd/method",
        ],
        metrics: &[
            "/components",
            "/n_samples",
            "/n_features",
            "/explained_variance_ratio",
            "/total_variance",
            "/noise_variance",
            "/svd/certificate/max_residual",
            "/timings/fit_seconds",
        ],
    },
    ReportKind {
        file: "model.json",
        kind: "mf",
        schema_prefix: "lowrank.mf.model/",
        parameters: &["/hyper"],
        metrics: &["/rank", "/n_users", "/n_items", "/global_mean", "/metrics"],
    },
    ReportKind {
        file: "denoise.json",
        kind: "denoise",
        schema_prefix: "lowrank.denoise/",
        parameters: &["/rank_rule"],
        metrics: &[
            "/shape",
            "/rank_total",
            "/compression_ratio",
            "/against_input",
            "/against_reference",
        ],
    },
    ReportKind {
        file: "lsa.json",
        kind: "lsa",
        schema_prefix: "lowrank.lsa.model/",
        parameters: &["/parameters"],
        metrics: &["/documents", "/vocabulary_size", "/nnz", "/singular_values"],
    },
    ReportKind {
        file: "ridge.json",
        kind: "ridge",
        schema_prefix: "lowrank.ridge/",
        parameters: &["/intercept", "/method", "/grid"],
        metrics: &["/chosen", "/gcv", "/tsvd/gcv_rank"],
    },
    ReportKind {
        file: "anomaly.json",
        kind: "anomaly",
        schema_prefix: "lowrank.anomaly/",
        parameters: &[
            "/component_selection",
            "/scale",
            "/threshold/rule",
            "/threshold/parameter",
        ],
        metrics: &["/components", "/threshold/value", "/counts"],
    },
];

/// Where seeds are recorded, by report kind (first found wins).
const SEED_POINTERS: &[&str] = &[
    "/params/seed",
    "/parameters/seed",
    "/hyper/seed",
    "/seed",
    "/svd/seed",
];

/// The report files `put` recognises, in the order they are looked for.
pub fn recognised_reports() -> Vec<&'static str> {
    REPORTS.iter().map(|r| r.file).collect()
}

/// What the catalog keeps about a run, taken from the run directory's report.
///
/// Kept apart from [`crate::Store::put`] so that a caller can read (and show, or refuse) the
/// metadata before anything is written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    /// `svd`, `pca`, `mf`, `denoise`, `lsa`, `ridge` or `anomaly`.
    pub kind: String,
    /// The report file the metadata came from (`report.json`, `pca.json`, ...).
    pub report_file: String,
    /// The report's `schema` field, e.g. `lowrank.svd.report/1`.
    pub schema: String,
    /// Version of lowrank that wrote the run, if the report says.
    pub tool_version: Option<String>,
    /// SHA-256 of each input, by role (`input`, `a`, `b`, `training`, `scored`, ...).
    pub inputs: BTreeMap<String, String>,
    /// Random seed of the run, if it has one.
    pub seed: Option<u64>,
    /// Parameters of the run (an object; shape depends on the kind).
    pub parameters: Value,
    /// Key figures of the run (an object; shape depends on the kind).
    pub metrics: Value,
    /// Checksums the run declares for its own files (the recommender manifest does), checked
    /// by `put` against the bytes it stores (not kept in the catalog).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub declared_checksums: BTreeMap<String, String>,
}

impl RunMeta {
    /// Reads the first recognised report of `dir`.
    ///
    /// # Errors
    /// [`StoreError::NoReport`] if none is there, [`StoreError::BadReport`] if it is not JSON
    /// or lacks a `schema` of the expected family.
    pub fn read(dir: &Path) -> Result<Self, StoreError> {
        if !dir.is_dir() {
            return Err(StoreError::NotADirectory {
                path: dir.to_path_buf(),
            });
        }
        for r in REPORTS {
            let path = dir.join(r.file);
            let text = match std::fs::read(&path) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(StoreError::Io { path, source: e }),
            };
            let doc: Value = serde_json::from_slice(&text).map_err(|e| StoreError::BadReport {
                path: path.clone(),
                message: format!("not JSON: {e}"),
            })?;
            return Self::from_report(r.file, &doc)
                .map_err(|message| StoreError::BadReport { path, message });
        }
        Err(StoreError::NoReport {
            dir: dir.to_path_buf(),
            looked_for: recognised_reports().join(", "),
        })
    }

    /// Metadata from a parsed report named `file`; `Err` says what is wrong with it.
    ///
    /// ```
    /// let doc = serde_json::json!({
    ///     "schema": "lowrank.svd.report/1",
    ///     "tool": {"name": "lowrank", "version": "0.1.0"},
    ///     "input": {"sha256": "ab12"},
    ///     "params": {"seed": 7, "rank": {"criterion": "fixed", "k": 5}},
    ///     "result": {"rank": 5},
    /// });
    /// let m = lowrank_store::RunMeta::from_report("report.json", &doc).unwrap();
    /// assert_eq!((m.kind.as_str(), m.seed), ("svd", Some(7)));
    /// assert_eq!(m.inputs["input"], "ab12");
    /// ```
    pub fn from_report(file: &str, doc: &Value) -> Result<Self, String> {
        let r = REPORTS
            .iter()
            .find(|r| r.file == file)
            .ok_or_else(|| format!("{file} is not a report the store recognises"))?;
        let schema = doc
            .get("schema")
            .and_then(Value::as_str)
            .ok_or_else(|| "no \"schema\" field".to_string())?;
        if !schema.starts_with(r.schema_prefix) {
            return Err(format!(
                "schema {schema:?} is not a {} report (expected {}N)",
                r.kind, r.schema_prefix
            ));
        }
        let tool_version = doc
            .pointer("/tool/version")
            .or_else(|| doc.get("tool_version"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut inputs = BTreeMap::new();
        for key in ["input", "training", "corpus"] {
            if let Some(s) = doc
                .pointer(&format!("/{key}/sha256"))
                .and_then(Value::as_str)
            {
                inputs.insert(key.to_string(), s.to_string());
            }
        }
        if let Some(Value::Object(m)) = doc.get("inputs") {
            for (role, v) in m {
                if let Some(s) = v.get("sha256").and_then(Value::as_str) {
                    inputs.insert(role.clone(), s.to_string());
                }
            }
        }
        let seed = SEED_POINTERS
            .iter()
            .find_map(|p| doc.pointer(p).and_then(Value::as_u64));
        let mut declared_checksums = BTreeMap::new();
        if r.kind == "mf" {
            if let Some(Value::Object(files)) = doc.get("files") {
                for (name, entry) in files {
                    if let Some(s) = entry.get("sha256").and_then(Value::as_str) {
                        declared_checksums.insert(name.clone(), s.to_string());
                    }
                }
            }
        }
        Ok(Self {
            kind: r.kind.to_string(),
            report_file: r.file.to_string(),
            schema: schema.to_string(),
            tool_version,
            inputs,
            seed,
            parameters: pick(doc, r.parameters),
            metrics: pick(doc, r.metrics),
            declared_checksums,
        })
    }
}

/// The values at `pointers`, as one object. A single pointer to an object is taken whole.
fn pick(doc: &Value, pointers: &[&str]) -> Value {
    if let [p] = pointers {
        if let Some(v @ Value::Object(_)) = doc.pointer(p) {
            return v.clone();
        }
    }
    let mut out = Map::new();
    for p in pointers {
        if let Some(v) = doc.pointer(p) {
            if !v.is_null() {
                out.insert(p.trim_start_matches('/').replace('/', "."), v.clone());
            }
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mf_manifest_gives_seed_training_checksum_and_file_checksums() {
        let doc = json!({
            "schema": "lowrank.mf.model/1", "tool_version": "0.1.0", "rank": 4,
            "hyper": {"seed": 42, "rank": 4}, "training": {"sha256": "cd"},
            "metrics": {"rmse": 0.9}, "files": {"user_factors.npy": {"sha256": "ef", "bytes": 8}},
        });
        let m = RunMeta::from_report("model.json", &doc).unwrap();
        assert_eq!(m.kind, "mf");
        assert_eq!(m.seed, Some(42));
        assert_eq!(m.tool_version.as_deref(), Some("0.1.0"));
        assert_eq!(m.inputs["training"], "cd");
        assert_eq!(m.declared_checksums["user_factors.npy"], "ef");
        assert_eq!(m.parameters, json!({"seed": 42, "rank": 4}));
        assert_eq!(m.metrics["metrics"]["rmse"], json!(0.9));
    }

    #[test]
    fn ridge_inputs_by_role_and_wrong_schema_refused() {
        let doc = json!({
            "schema": "lowrank.ridge/1",
            "inputs": {"a": {"sha256": "aa"}, "b": {"sha256": "bb"}},
            "chosen": {"lambda": 0.5},
        });
        let m = RunMeta::from_report("ridge.json", &doc).unwrap();
        assert_eq!(m.inputs.len(), 2);
        assert_eq!(m.inputs["b"], "bb");
        assert_eq!(m.metrics["chosen"]["lambda"], json!(0.5));
        let err = RunMeta::from_report("pca.json", &doc).unwrap_err();
        assert!(
            err.contains("lowrank.ridge/1") && err.contains("pca"),
            "{err}"
        );
        let err = RunMeta::from_report("pca.json", &json!({})).unwrap_err();
        assert!(err.contains("schema"), "{err}");
    }
}
