//! `lowrank drift`: how much did a decomposition change between two runs? Principal angles,
//! matched components, spectrum and energy change, checked against thresholds (exit code 7).

use super::store::{store_failure, Mode};
use super::Global;
use crate::failure::{self, Failure};
use crate::progress::Bar;
use crate::report::Tool;
use clap::Args;
use faer::Mat;
use lowrank_core::drift::{compare, Drift, DriftError, DriftThresholds, Factorization, Verdict};
use lowrank_io::{Matrix, OutputDir};
use lowrank_store::{Selector, Store};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Schema of `drift.json` (and of the `--json` summary).
pub(crate) const SCHEMA: &str = "lowrank.drift/1";

const DRIFT_HELP: &str = "\
RUN_A and RUN_B are result directories written by `lowrank svd --out` (U.npy, S.npy, V.npy,
report.json) or `lowrank pca --out` (components.npy, singular_values.npy, pca.json), for data
with the same columns, or two `lowrank mf fit` models (compared through the SVD of P·Qᵀ on the
users and items both know, matched by id). Compared over the first k components (default: the
smaller rank): principal angles between the right subspaces (and the left ones when both have
U with the same rows), the sign-insensitive Hungarian matching of components by |cosine|, the
relative change of the singular values, and the change of the energy retained.
Thresholds (--max-angle, --max-spectrum-change, --min-cosine) make the exit code 7 when one is
exceeded, after printing and writing the results. --out DIR writes drift.json (schema
lowrank.drift/1), drift.svg (spectra overlaid) and angles.svg, atomically.
With --store DIR, RUN_A and RUN_B are versions in that store: MODEL@3, MODEL@production,
MODEL@latest, or MODEL (its production alias); a blob whose checksum does not match is refused
(exit 3).

Examples (from the repository root):
  lowrank svd testdata/dense/lowrank_300x80.npy --rank 10 --out run_a/
  lowrank svd testdata/dense/lowrank_300x80.csv --rank 8 --method randomized --out run_b/
  lowrank drift run_a/ run_b/ --max-angle 1 --min-cosine 0.999
  lowrank drift run_a/ run_b/ -k 5 --json
  lowrank pca testdata/dense/lowrank_300x80.npy --components 5 --out pca_a/
  lowrank pca testdata/dense/lowrank_300x80.npy --components 5 --scale --out pca_b/
  lowrank drift pca_a/ pca_b/ --out drift/
  lowrank mf fit testdata/ratings/ratings_sample.tsv --rank 8 --out mf_a/
  lowrank mf fit testdata/ratings/ratings_sample.tsv --rank 8 --seed 1 --out mf_b/
  lowrank drift mf_a/ mf_b/ -k 3
  lowrank store put --store st/ --model demo run_a/
  lowrank store put --store st/ --model demo run_b/
  lowrank drift --store st/ demo@1 demo@latest --json";

/// Arguments of `lowrank drift`.
#[derive(Args, Debug)]
#[command(after_help = DRIFT_HELP)]
pub(crate) struct DriftArgs {
    /// The earlier (reference) result directory.
    #[arg(value_name = "RUN_A")]
    pub(crate) a: PathBuf,
    /// The later result directory, compared with RUN_A.
    #[arg(value_name = "RUN_B")]
    pub(crate) b: PathBuf,
    /// Compare the first K components (default: the smaller of the two ranks).
    #[arg(short = 'k', value_name = "K")]
    pub(crate) k: Option<usize>,
    /// Exit with code 7 when a principal angle (right or left subspace) exceeds DEG degrees.
    #[arg(long, value_name = "DEG")]
    pub(crate) max_angle: Option<f64>,
    /// Exit with code 7 when some max_i |σ_B,i − σ_A,i|/σ_A,i exceeds F (0.05 = 5%).
    #[arg(long, value_name = "F")]
    pub(crate) max_spectrum_change: Option<f64>,
    /// Exit with code 7 when a matched component's |cosine| is below C (1 = same axis).
    #[arg(long, value_name = "C")]
    pub(crate) min_cosine: Option<f64>,
    /// Output directory for drift.json, drift.svg and angles.svg (written atomically).
    #[arg(long, short, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Replace an existing output directory.
    #[arg(long)]
    pub(crate) force: bool,
    /// Read RUN_A and RUN_B from this store, as MODEL@VERSION, MODEL@ALIAS, MODEL@latest or
    /// MODEL (its `production` alias); every blob's checksum is verified on the way.
    #[arg(long, value_name = "DIR")]
    pub(crate) store: Option<PathBuf>,
}

/// Which command wrote a result directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunKind {
    Svd,
    Pca,
    Mf,
}

impl RunKind {
    fn name(self) -> &'static str {
        match self {
            RunKind::Svd => "svd",
            RunKind::Pca => "pca",
            RunKind::Mf => "mf",
        }
    }
}

/// One side of the comparison, read from disk.
struct Run {
    dir: PathBuf,
    kind: RunKind,
    sigma: Vec<f64>,
    left: Option<Mat<f64>>,
    /// `n × k`, one vector (axis) per column.
    right: Mat<f64>,
    energy_retained: Option<f64>,
    input_path: Option<String>,
    input_sha256: Option<String>,
    centered: bool,
    scaled: bool,
    /// The raw factors of a recommender model, turned into `sigma`/`left`/`right` by
    /// [`align_mf`] once both sides are known (their users and items must be matched by id).
    mf: Option<MfFactors>,
}

/// User and item factors with their ids.
struct MfFactors {
    users: Vec<String>,
    items: Vec<String>,
    /// `n_users × rank`.
    p: Mat<f64>,
    /// `n_items × rank`.
    q: Mat<f64>,
}

impl Run {
    fn factorization(&self) -> Factorization<'_> {
        Factorization {
            singular_values: &self.sigma,
            left: self.left.as_ref().map(|u| u.as_ref()),
            right: self.right.as_ref(),
            energy_retained: self.energy_retained,
        }
    }

    fn describe(&self) -> Value {
        json!({
            "path": self.dir.display().to_string(),
            "kind": self.kind.name(),
            "components": self.right.ncols(),
            "n_features": self.right.nrows(),
            "n_samples": self.left.as_ref().map(|u| u.nrows()),
            "centered": self.centered,
            "scaled": self.scaled,
            "energy_retained": self.energy_retained,
            "input": {"path": self.input_path, "sha256": self.input_sha256},
        })
    }
}

pub(crate) fn run(a: DriftArgs, g: &Global) -> Result<(), Failure> {
    let thresholds = DriftThresholds {
        max_angle_degrees: a.max_angle,
        max_spectrum_change: a.max_spectrum_change,
        min_cosine: a.min_cosine,
    };
    thresholds.check().map_err(|e| match e {
        DriftError::InvalidParameter {
            name,
            value,
            expected,
        } => Failure::usage(format!(
            "--{} {value}: expected {expected}",
            name.replace(' ', "-")
        )),
        e => Failure::usage(e.to_string()),
    })?;
    if a.k == Some(0) {
        return Err(Failure::usage("-k must be at least 1"));
    }
    // Refuse an existing output before doing any work.
    if let Some(out) = &a.out {
        if !a.force && std::fs::symlink_metadata(out).is_ok() {
            return Err(lowrank_io::IoError::OutputExists { path: out.clone() }.into());
        }
    }
    let mut bar = Bar::new(g.quiet);
    bar.phase("reading RUN_A");
    let (dir_a, _guard_a) = resolve(&a.a, a.store.as_deref())?;
    let mut run_a = load_run(&dir_a)?;
    bar.phase("reading RUN_B");
    let (dir_b, _guard_b) = resolve(&a.b, a.store.as_deref())?;
    let mut run_b = load_run(&dir_b)?;
    if let Some(store) = &a.store {
        // Name the store versions, not their temporary copies.
        run_a.dir = PathBuf::from(format!("store {}: {}", store.display(), a.a.display()));
        run_b.dir = PathBuf::from(format!("store {}: {}", store.display(), a.b.display()));
    }
    bar.phase("comparing");
    let (run_a, run_b, mf_notes) = align_mf(run_a, run_b)?;
    let drift = compare(&run_a.factorization(), &run_b.factorization(), a.k)
        .map_err(|e| drift_failure(e, &run_a, &run_b))?;
    let verdict = drift.verdict(&thresholds);
    let mut notes = notes(&run_a, &run_b);
    notes.extend(mf_notes);

    let files: Vec<String> = if a.out.is_some() {
        vec!["drift.json".into(), "drift.svg".into(), "angles.svg".into()]
    } else {
        Vec::new()
    };
    // One document for both the file and `--json`.
    let doc = document(
        &run_a,
        &run_b,
        &drift,
        &thresholds,
        &verdict,
        &notes,
        &files,
    );
    if let Some(out) = &a.out {
        bar.phase("writing");
        let dir = OutputDir::create(out, a.force).map_err(Failure::output)?;
        let bytes = serde_json::to_vec_pretty(&doc).map_err(|e| Failure::internal(e.into()))?;
        lowrank_io::write_atomic(&dir.file("drift.json"), &bytes).map_err(Failure::output)?;
        lowrank_io::write_atomic(
            &dir.file("drift.svg"),
            spectra_chart(&run_a, &run_b, &drift).as_bytes(),
        )
        .map_err(Failure::output)?;
        lowrank_io::write_atomic(
            &dir.file("angles.svg"),
            angles_chart(&drift, &thresholds).as_bytes(),
        )
        .map_err(Failure::output)?;
        dir.commit().map_err(Failure::output)?;
    }
    bar.finish();

    if g.json {
        crate::report::print_json(&doc)?;
    } else {
        crate::report::print_text(&summary(
            &run_a,
            &run_b,
            &drift,
            &verdict,
            &notes,
            a.out.as_deref(),
            &files,
        ))?;
    }
    if verdict.within() {
        Ok(())
    } else {
        let what: Vec<String> = verdict.exceeded.iter().map(describe_exceeded).collect();
        Err(Failure::new(
            failure::DRIFT,
            anyhow::anyhow!(
                "drift above threshold between {} and {}: {}",
                run_a.dir.display(),
                run_b.dir.display(),
                what.join("; ")
            ),
        ))
    }
}

/// Where a run reference points. Today every reference is a result directory; a store
/// reference (`--store DIR model@v3`) will resolve to the version's directory here.
/// A result directory: the path given, or a store version written (checksums verified) into a
/// temporary directory that lives as long as the returned guard.
fn resolve(
    reference: &Path,
    store: Option<&Path>,
) -> Result<(PathBuf, Option<tempfile::TempDir>), Failure> {
    let Some(store_dir) = store else {
        return Ok((reference.to_path_buf(), None));
    };
    let text = reference.to_string_lossy();
    let (model, selector) = match text.split_once('@') {
        None => (text.as_ref(), Selector::Alias("production".into())),
        Some((m, "latest")) => (m, Selector::Latest),
        Some((m, v)) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => (
            m,
            Selector::Version(
                v.parse()
                    .map_err(|_| Failure::usage(format!("{text}: version {v} is too large")))?,
            ),
        ),
        Some((m, alias)) => (m, Selector::Alias(alias.to_string())),
    };
    let st = Store::open(store_dir).map_err(|e| store_failure(e, Mode::Reading))?;
    let loaded = st
        .load(model, &selector)
        .map_err(|e| store_failure(e, Mode::Reading))?;
    let tmp = tempfile::Builder::new()
        .prefix("lowrank-drift-")
        .tempdir()
        .map_err(|e| {
            Failure::internal(anyhow::anyhow!("cannot create a temporary directory: {e}"))
        })?;
    for f in &loaded.files {
        let path = tmp.path().join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Failure::internal(anyhow::anyhow!("{}: {e}", parent.display())))?;
        }
        std::fs::write(&path, &f.bytes)
            .map_err(|e| Failure::internal(anyhow::anyhow!("{}: {e}", path.display())))?;
    }
    Ok((tmp.path().to_path_buf(), Some(tmp)))
}

fn input_error(dir: &Path, msg: impl std::fmt::Display) -> Failure {
    Failure::new(failure::INPUT, anyhow::anyhow!("{}: {msg}", dir.display()))
}

/// Reads a result directory written by `lowrank svd --out` or `lowrank pca --out`.
fn load_run(dir: &Path) -> Result<Run, Failure> {
    let meta = std::fs::metadata(dir)
        .map_err(|e| input_error(dir, format!("cannot open the result directory: {e}")))?;
    if !meta.is_dir() {
        return Err(input_error(
            dir,
            "is a file, not a result directory (give the directory written by `lowrank svd \
             --out` or `lowrank pca --out`)",
        ));
    }
    if dir.join("report.json").is_file() {
        load_svd(dir)
    } else if dir.join("pca.json").is_file() {
        load_pca(dir)
    } else if dir.join("model.json").is_file() {
        load_mf(dir)
    } else {
        Err(input_error(
            dir,
            "not a recognised result directory: it has none of report.json (`lowrank svd \
             --out`), pca.json (`lowrank pca --out`) or model.json (`lowrank mf fit --out`)",
        ))
    }
}

/// The path of a factor file, which must exist.
fn factor_path(dir: &Path, name: &str) -> Result<PathBuf, Failure> {
    let path = dir.join(name);
    if !path.is_file() {
        return Err(input_error(dir, format!("{name} is missing")));
    }
    Ok(path)
}

fn non_finite(path: &Path, what: impl std::fmt::Display) -> Failure {
    Failure::new(
        failure::INPUT,
        anyhow::anyhow!(
            "{}: {what}; the factors of a result must be finite (was the run corrupted?)",
            path.display()
        ),
    )
}

fn read_npy(dir: &Path, name: &str) -> Result<Mat<f64>, Failure> {
    let path = factor_path(dir, name)?;
    let matrix = Matrix::Dense(lowrank_io::read_dense_npy(&path)?);
    // check_finite names the first bad entry's row and column.
    lowrank_io::check_finite(&matrix).map_err(|e| non_finite(&path, e))?;
    match matrix {
        Matrix::Dense(d) => Ok(d),
        Matrix::Sparse(_) => Err(input_error(dir, format!("{name} is not a dense array"))),
    }
}

fn read_vec(dir: &Path, name: &str) -> Result<Vec<f64>, Failure> {
    let path = factor_path(dir, name)?;
    let v = lowrank_io::read_npy_vector(&path)?;
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(non_finite(&path, format!("entry {} is {}", i + 1, v[i])));
    }
    Ok(v)
}

fn load_svd(dir: &Path) -> Result<Run, Failure> {
    let text = std::fs::read_to_string(dir.join("report.json"))
        .map_err(|e| input_error(dir, format!("cannot read report.json: {e}")))?;
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| input_error(dir, format!("report.json is not JSON: {e}")))?;
    let schema = doc.get("schema").and_then(Value::as_str).unwrap_or("");
    if schema != crate::report::SCHEMA {
        return Err(input_error(
            dir,
            format!(
                "report.json has schema {schema:?}, expected {:?} (a `lowrank svd --out` \
                 directory)",
                crate::report::SCHEMA
            ),
        ));
    }
    let outputs: Vec<&str> = doc
        .get("outputs")
        .and_then(Value::as_array)
        .map(|o| o.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if outputs.contains(&"factors.safetensors") {
        return Err(input_error(
            dir,
            "the factors were written with --format safetensors; drift reads .npy factors \
             (rerun `lowrank svd` with the default --format npy)",
        ));
    }
    let values_only = doc
        .pointer("/params/values_only")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if values_only || !dir.join("V.npy").exists() {
        return Err(input_error(
            dir,
            "has no singular vectors (V.npy is missing; was it written with --values-only?): \
             principal angles need the vectors",
        ));
    }
    let sigma = read_vec(dir, "S.npy")?;
    let right = read_npy(dir, "V.npy")?;
    let left = if dir.join("U.npy").exists() {
        Some(read_npy(dir, "U.npy")?)
    } else {
        None
    };
    if right.ncols() != sigma.len() {
        return Err(input_error(
            dir,
            format!(
                "V.npy has {} columns but S.npy has {} singular values",
                right.ncols(),
                sigma.len()
            ),
        ));
    }
    if let Some(u) = &left {
        if u.ncols() != sigma.len() {
            return Err(input_error(
                dir,
                format!(
                    "U.npy has {} columns but S.npy has {} singular values",
                    u.ncols(),
                    sigma.len()
                ),
            ));
        }
    }
    if let Some(n) = doc.pointer("/input/ncols").and_then(Value::as_u64) {
        if n as usize != right.nrows() {
            return Err(input_error(
                dir,
                format!(
                    "V.npy has {} rows but report.json says the input had {n} columns",
                    right.nrows()
                ),
            ));
        }
    }
    let energy_retained = doc
        .pointer("/certificate/energy_retained")
        .and_then(Value::as_f64);
    Ok(Run {
        dir: dir.to_path_buf(),
        kind: RunKind::Svd,
        sigma,
        left,
        right,
        energy_retained,
        input_path: doc
            .pointer("/input/path")
            .and_then(Value::as_str)
            .map(str::to_string),
        input_sha256: doc
            .pointer("/input/sha256")
            .and_then(Value::as_str)
            .map(str::to_string),
        centered: doc
            .pointer("/input/centered")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        scaled: false,
        mf: None,
    })
}

fn load_pca(dir: &Path) -> Result<Run, Failure> {
    let model = super::pca::load_model(dir)?;
    // components.npy holds the axes as rows; NaN there is named by component and feature.
    let c = &model.components;
    for i in 0..c.nrows() {
        for j in 0..c.ncols() {
            if !c[(i, j)].is_finite() {
                return Err(input_error(
                    dir,
                    format!(
                        "components.npy has a non-finite value ({}) at row {} (component), \
                         column {} (feature), 1-based",
                        c[(i, j)],
                        i + 1,
                        j + 1
                    ),
                ));
            }
        }
    }
    if let Some(i) = model.singular_values.iter().position(|s| !s.is_finite()) {
        return Err(input_error(
            dir,
            format!(
                "singular_values.npy has a non-finite value ({}) at entry {} (1-based)",
                model.singular_values[i],
                i + 1
            ),
        ));
    }
    let text = std::fs::read_to_string(dir.join("pca.json"))
        .map_err(|e| input_error(dir, format!("cannot read pca.json: {e}")))?;
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| input_error(dir, format!("pca.json is not JSON: {e}")))?;
    let ratio_sum: f64 = model.explained_variance_ratio.iter().sum();
    Ok(Run {
        dir: dir.to_path_buf(),
        kind: RunKind::Pca,
        right: c.transpose().to_owned(),
        sigma: model.singular_values.clone(),
        left: None,
        energy_retained: ratio_sum.is_finite().then_some(ratio_sum),
        input_path: doc
            .pointer("/input/path")
            .and_then(Value::as_str)
            .map(str::to_string),
        input_sha256: doc
            .pointer("/input/sha256")
            .and_then(Value::as_str)
            .map(str::to_string),
        centered: true,
        scaled: model.scale.is_some(),
        mf: None,
    })
}

/// A recommender model directory (`lowrank mf fit --out`): its user and item factors.
fn load_mf(dir: &Path) -> Result<Run, Failure> {
    let (saved, manifest) = lowrank_io::read_model(dir)?;
    let m = &saved.model;
    if m.rank == 0 {
        return Err(input_error(
            dir,
            "is a baseline model (biases only, rank 0): it has no factors to compare",
        ));
    }
    let r = m.rank;
    let p = Mat::<f64>::from_fn(m.n_users, r, |i, j| m.p[i * r + j]);
    let q = Mat::<f64>::from_fn(m.n_items, r, |i, j| m.q[i * r + j]);
    for (name, f) in [("user_factors.npy", &p), ("item_factors.npy", &q)] {
        for i in 0..f.nrows() {
            for j in 0..f.ncols() {
                if !f[(i, j)].is_finite() {
                    return Err(input_error(
                        dir,
                        format!(
                            "{name} has a non-finite value ({}) at row {}, column {} (1-based)",
                            f[(i, j)],
                            i + 1,
                            j + 1
                        ),
                    ));
                }
            }
        }
    }
    Ok(Run {
        dir: dir.to_path_buf(),
        kind: RunKind::Mf,
        sigma: Vec::new(),
        left: None,
        right: Mat::zeros(q.nrows(), 0),
        energy_retained: None,
        input_path: Some(manifest.training.path.clone()),
        input_sha256: Some(manifest.training.sha256.clone()),
        centered: false,
        scaled: false,
        mf: Some(MfFactors {
            users: saved.users.ids().to_vec(),
            items: saved.items.ids().to_vec(),
            p,
            q,
        }),
    })
}

/// Two recommender models are compared as the SVDs of their predictions `P·Qᵀ` (biases
/// left out) on the users and items both know, matched by id (A's order). Any other pairing
/// with a recommender model is refused.
fn align_mf(mut a: Run, mut b: Run) -> Result<(Run, Run, Vec<String>), Failure> {
    let (fa, fb) = match (a.mf.take(), b.mf.take()) {
        (None, None) => return Ok((a, b, Vec::new())),
        (Some(fa), Some(fb)) => (fa, fb),
        (Some(_), None) | (None, Some(_)) => {
            let (mf, other) = if a.kind == RunKind::Mf {
                (&a, &b)
            } else {
                (&b, &a)
            };
            return Err(Failure::new(
                failure::INPUT,
                anyhow::anyhow!(
                    "{} is a recommender model and {} a `lowrank {}` result: drift compares \
                     two recommender models, or two svd/pca results",
                    mf.dir.display(),
                    other.dir.display(),
                    other.kind.name()
                ),
            ));
        }
    };
    let common = |ids_a: &[String], ids_b: &[String]| -> Vec<(usize, usize)> {
        let index_b: std::collections::HashMap<&str, usize> = ids_b
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .collect();
        ids_a
            .iter()
            .enumerate()
            .filter_map(|(i, id)| index_b.get(id.as_str()).map(|&j| (i, j)))
            .collect()
    };
    let users = common(&fa.users, &fb.users);
    let items = common(&fa.items, &fb.items);
    for (what, pairs) in [("users", &users), ("items", &items)] {
        if pairs.is_empty() {
            return Err(Failure::new(
                failure::INPUT,
                anyhow::anyhow!(
                    "{} and {} have no {what} in common: their factors cannot be compared",
                    a.dir.display(),
                    b.dir.display()
                ),
            ));
        }
    }
    let rows = |m: &Mat<f64>, pairs: &[(usize, usize)], side_b: bool| {
        Mat::<f64>::from_fn(pairs.len(), m.ncols(), |i, j| {
            let (ia, ib) = pairs[i];
            m[(if side_b { ib } else { ia }, j)]
        })
    };
    let mut notes = Vec::new();
    if users.len() != fa.users.len()
        || users.len() != fb.users.len()
        || items.len() != fa.items.len()
        || items.len() != fb.items.len()
    {
        notes.push(format!(
            "compared on the {} users and {} items both models know (A has {} and {}, B has \
             {} and {})",
            users.len(),
            items.len(),
            fa.users.len(),
            fa.items.len(),
            fb.users.len(),
            fb.items.len()
        ));
    }
    notes.push(
        "recommender models are compared through the SVD of their predictions P·Qᵀ (biases \
         left out); U spans the users, V the items"
            .to_string(),
    );
    for (run, f, side_b) in [(&mut a, &fa, false), (&mut b, &fb, true)] {
        let p = rows(&f.p, &users, side_b);
        let q = rows(&f.q, &items, side_b);
        let svd = lowrank_core::drift::product_svd(p.as_ref(), q.as_ref())
            .map_err(|e| input_error(&run.dir, e))?;
        run.sigma = svd.singular_values;
        run.left = Some(svd.left);
        run.right = svd.right;
    }
    Ok((a, b, notes))
}

fn drift_failure(e: DriftError, a: &Run, b: &Run) -> Failure {
    let dir_of = |side: &str| if side == "A" { &a.dir } else { &b.dir };
    match e {
        DriftError::DimensionMismatch { .. } => Failure::new(
            failure::INPUT,
            anyhow::anyhow!(
                "{} and {} cannot be compared: the first was fitted to data with {} columns, \
                 the second to data with {} (drift compares decompositions of the same \
                 features)",
                a.dir.display(),
                b.dir.display(),
                a.right.nrows(),
                b.right.nrows()
            ),
        ),
        DriftError::InvalidParameter { name: "k", .. } => Failure::usage(format!(
            "-k: {e} ({} has {} components, {} has {})",
            a.dir.display(),
            a.right.ncols(),
            b.dir.display(),
            b.right.ncols()
        )),
        DriftError::NonFinite { side, .. }
        | DriftError::Inconsistent { side, .. }
        | DriftError::RankDeficient { side, .. } => input_error(dir_of(side), format!("{e}")),
        DriftError::Svd(s) => s.into(),
        e => Failure::new(failure::INPUT, e.into()),
    }
}

/// Things the figures cannot say by themselves.
fn notes(a: &Run, b: &Run) -> Vec<String> {
    let mut notes = Vec::new();
    if a.kind != b.kind {
        notes.push(format!(
            "A is a {} result and B a {} result: singular values of a PCA are those of the \
             centred data",
            a.kind.name(),
            b.kind.name()
        ));
    } else if a.centered != b.centered {
        notes.push("one run centred the data and the other did not".to_string());
    }
    if a.scaled != b.scaled {
        notes.push(
            "one PCA scaled the columns to unit variance and the other did not: the axes live \
             in differently scaled feature spaces"
                .to_string(),
        );
    }
    if let (Some(x), Some(y)) = (&a.input_sha256, &b.input_sha256) {
        if x == y {
            notes.push(
                "both runs read the same input (same SHA-256): any drift comes from the settings \
                 (method, seed, rank, scaling)"
                    .to_string(),
            );
        }
    }
    notes
}

fn describe_exceeded(e: &lowrank_core::drift::Exceeded) -> String {
    match e.threshold {
        "max_angle_degrees" => format!(
            "largest principal angle (V) {}° > --max-angle {}",
            fmt_degrees(e.value),
            e.limit
        ),
        "max_left_angle_degrees" => format!(
            "largest principal angle (U) {}° > --max-angle {}",
            fmt_degrees(e.value),
            e.limit
        ),
        "max_spectrum_change" => format!(
            "largest relative change of a singular value {:.4e} > --max-spectrum-change {}",
            e.value, e.limit
        ),
        "min_cosine" => format!(
            "smallest matched |cosine| {:.6} < --min-cosine {}",
            e.value, e.limit
        ),
        other => format!("{other}: {} vs {}", e.value, e.limit),
    }
}

fn angles_json(s: &lowrank_core::drift::SubspaceAngles) -> Value {
    json!({
        "angles_degrees": s.angles_radians.iter().map(|t| t.to_degrees()).collect::<Vec<_>>(),
        "angles_radians": s.angles_radians,
        "max_angle_degrees": s.max_angle_degrees,
        "projection_distance": s.projection_distance,
    })
}

#[allow(clippy::too_many_arguments)]
fn document(
    a: &Run,
    b: &Run,
    d: &Drift,
    t: &DriftThresholds,
    v: &Verdict,
    notes: &[String],
    files: &[String],
) -> Value {
    json!({
        "schema": SCHEMA,
        "tool": Tool::current(),
        "a": a.describe(),
        "b": b.describe(),
        "k": d.k,
        "right": angles_json(&d.right),
        "left": d.left.as_ref().map(angles_json),
        "left_skipped": d.left_skipped,
        "matching": {
            "method": "hungarian (maximum total |cosine|, sign-insensitive)",
            "min_cosine": d.min_matched_cosine,
            "swaps": d.matches.iter().filter(|m| m.a_index != m.b_index).count(),
            "sign_flips": d.matches.iter().filter(|m| m.sign_flipped).count(),
            "components": d.matches,
        },
        "spectrum": {
            "sigma_a": a.sigma[..d.k],
            "sigma_b": b.sigma[..d.k],
            "relative_changes": d.spectrum.relative_changes,
            "max_relative_change": d.spectrum.max_relative_change,
            "relative_norm_change": d.spectrum.relative_norm_change,
        },
        "energy_retained": d.energy_retained,
        "thresholds": t,
        "verdict": {
            "within_thresholds": v.within(),
            "exceeded": v.exceeded,
            "exit_code": if v.within() { 0 } else { failure::DRIFT },
        },
        "notes": notes,
        "files": files,
    })
}

#[allow(clippy::too_many_arguments)]
fn summary(
    a: &Run,
    b: &Run,
    d: &Drift,
    v: &Verdict,
    notes: &[String],
    out: Option<&Path>,
    files: &[String],
) -> String {
    let mut s = String::new();
    for (label, r) in [("A", a), ("B", b)] {
        let _ = writeln!(
            s,
            "{label}           {} ({}, {} components, {} {})",
            r.dir.display(),
            r.kind.name(),
            r.right.ncols(),
            r.right.nrows(),
            if r.kind == RunKind::Mf {
                "items"
            } else {
                "features"
            }
        );
    }
    let _ = writeln!(s, "compared    first {} components", d.k);
    let _ = writeln!(
        s,
        "angles V    max {}°, all (degrees): {}",
        fmt_degrees(d.right.max_angle_degrees),
        degrees_list(&d.right.angles_radians)
    );
    match (&d.left, &d.left_skipped) {
        (Some(l), _) => {
            let _ = writeln!(
                s,
                "angles U    max {}°, all (degrees): {}",
                fmt_degrees(l.max_angle_degrees),
                degrees_list(&l.angles_radians)
            );
        }
        (None, Some(why)) => {
            let _ = writeln!(s, "angles U    not compared: {why}");
        }
        (None, None) => {}
    }
    let swaps = d.matches.iter().filter(|m| m.a_index != m.b_index).count();
    let flips = d.matches.iter().filter(|m| m.sign_flipped).count();
    let _ = writeln!(
        s,
        "matching    min |cos| {:.8} (Hungarian); {swaps} reordered, {flips} sign flips",
        d.min_matched_cosine
    );
    let _ = writeln!(
        s,
        "spectrum    max rel. change {:.3e}, ‖σ_B − σ_A‖/‖σ_A‖ {:.3e}",
        d.spectrum.max_relative_change, d.spectrum.relative_norm_change
    );
    if let Some(e) = &d.energy_retained {
        let _ = writeln!(s, "energy      {:.6} → {:.6} ({:+.2e})", e.a, e.b, e.change);
    }
    for n in notes {
        let _ = writeln!(s, "note        {n}");
    }
    let _ = writeln!(
        s,
        "\n{:>4}  {:>7}  {:>12}  {:>4}  {:>13}  {:>13}  {:>10}",
        "A", "match B", "|cosine|", "flip", "σ_A", "σ_B", "rel. Δσ"
    );
    for (i, m) in d.matches.iter().enumerate().take(30) {
        let _ = writeln!(
            s,
            "{:>4}  {:>7}  {:>12.8}  {:>4}  {:>13.6e}  {:>13.6e}  {:>10.3e}",
            m.a_index + 1,
            m.b_index + 1,
            m.cosine,
            if m.sign_flipped { "yes" } else { "" },
            a.sigma[i],
            b.sigma[i],
            d.spectrum.relative_changes[i]
        );
    }
    if d.matches.len() > 30 {
        let _ = writeln!(s, "… ({} more in --json)", d.matches.len() - 30);
    }
    let _ = writeln!(s);
    if v.within() {
        let _ = writeln!(s, "verdict     within thresholds");
    } else {
        for e in &v.exceeded {
            let _ = writeln!(s, "verdict     EXCEEDED: {}", describe_exceeded(e));
        }
    }
    if let Some(o) = out {
        let _ = writeln!(s, "written     {} ({})", o.display(), files.join(", "));
    }
    s
}

/// Degrees readable at both ends: fixed point from 0.001°, scientific below.
fn fmt_degrees(d: f64) -> String {
    if d == 0.0 || d >= 1e-3 {
        format!("{d:.4}")
    } else {
        format!("{d:.3e}")
    }
}

fn degrees_list(angles: &[f64]) -> String {
    let shown: Vec<String> = angles
        .iter()
        .take(10)
        .map(|t| format!("{:.3e}", t.to_degrees()))
        .collect();
    let more = if angles.len() > 10 {
        format!(" … ({} more)", angles.len() - 10)
    } else {
        String::new()
    };
    format!("{}{more}", shown.join(" "))
}

/// Both spectra on a log axis (zero singular values cannot be drawn and are left out).
fn spectra_chart(a: &Run, b: &Run, d: &Drift) -> String {
    let pts = |s: &[f64]| -> Vec<(f64, f64)> {
        s.iter()
            .enumerate()
            .filter(|(_, v)| **v > 0.0)
            .map(|(i, v)| ((i + 1) as f64, *v))
            .collect()
    };
    let name = |r: &Run, label: &str| {
        let dir = r.dir.display().to_string();
        format!("{label}: {}", dir.trim_end_matches('/'))
    };
    lowrank_plot::Chart::new(
        format!(
            "Singular values of A and B (k = {}, max rel. change {:.2e})",
            d.k, d.spectrum.max_relative_change
        ),
        "component",
        "singular value",
    )
    .log_y()
    .line_and_points(name(a, "A"), pts(&a.sigma))
    .line_and_points(name(b, "B"), pts(&b.sigma))
    .vline(d.k as f64, "k")
    .to_svg()
}

/// Principal angles in degrees, with the --max-angle limit when given.
fn angles_chart(d: &Drift, t: &DriftThresholds) -> String {
    let pts = |angles: &[f64]| -> Vec<(f64, f64)> {
        angles
            .iter()
            .enumerate()
            .map(|(i, a)| ((i + 1) as f64, a.to_degrees()))
            .collect()
    };
    let mut chart = lowrank_plot::Chart::new(
        format!(
            "Principal angles between the top-{} subspaces (ascending)",
            d.k
        ),
        "angle index",
        "angle (degrees)",
    )
    .line_and_points("right (V)", pts(&d.right.angles_radians));
    if let Some(l) = &d.left {
        chart = chart.line_and_points("left (U)", pts(&l.angles_radians));
    }
    if let Some(m) = t.max_angle_degrees {
        chart = chart.hline(m, "--max-angle");
    }
    // Angles often span decades (signal components stable to 1e-7°, noise ones not): a log
    // axis shows both, when no angle is zero (and a zero limit would not be drawable).
    let all: Vec<f64> = d
        .right
        .angles_radians
        .iter()
        .chain(d.left.iter().flat_map(|l| l.angles_radians.iter()))
        .copied()
        .collect();
    let smallest = all.iter().copied().fold(f64::INFINITY, f64::min);
    let largest = all.iter().copied().fold(0.0f64, f64::max);
    if smallest > 0.0 && largest > 100.0 * smallest && t.max_angle_degrees != Some(0.0) {
        chart = chart.log_y();
    }
    chart.to_svg()
}
