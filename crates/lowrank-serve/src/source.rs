//! Where the live model comes from. The service asks its [`ModelSource`] for a cheap version
//! id (to notice a promotion) and, when it changed, for the model itself. Two sources:
//! [`DirSource`] (a run directory) and [`crate::StoreSource`] (an alias in a versioned store).

use crate::model::{detect_kind, load_dir, LoadError, LoadedModel};
use std::path::{Path, PathBuf};

/// A source of one named model whose content may change while the service runs.
pub trait ModelSource: Send + Sync + 'static {
    /// What the source is (for messages and `/v1/models`), e.g. the directory.
    fn describe(&self) -> String;

    /// The version id of what [`current`](Self::current) would load now. Must be cheap: it is
    /// polled every `--poll-ms`.
    ///
    /// # Errors
    /// When the source cannot be read (the model is then kept as it is).
    fn version(&self) -> Result<String, LoadError>;

    /// The current version id and the model, fully loaded and verified.
    ///
    /// # Errors
    /// When a part is missing, corrupted or inconsistent: such a model is never served.
    fn current(&self) -> Result<(String, LoadedModel), LoadError>;

    /// Every version the source holds (a store: its catalog), for `/v1/models`; `None` for a
    /// source that keeps only one (a directory).
    fn versions(&self) -> Option<Result<Vec<SourceVersion>, LoadError>> {
        None
    }
}

/// One version held by a versioned source, as `/v1/models` lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SourceVersion {
    /// Version id (the same id [`ModelSource::version`] returns).
    pub version: String,
    /// What wrote it (`pca`, `svd`, `mf`, `anomaly`, ...).
    pub kind: String,
    /// When it was stored (seconds since the Unix epoch).
    pub created_unix: u64,
    /// Aliases pointing to it now (e.g. `production`).
    pub aliases: Vec<String>,
}

/// A model directory written by `lowrank pca|svd|mf fit --out`. Its version id is the
/// SHA-256 of its manifest (`pca.json`, `report.json` or `model.json`), which changes with
/// every fit (timings, checksums), so replacing the directory (`--force`) is noticed.
#[derive(Debug, Clone)]
pub struct DirSource {
    dir: PathBuf,
}

impl DirSource {
    /// A source reading `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

fn short(sha: &str) -> String {
    sha.chars().take(16).collect()
}

impl ModelSource for DirSource {
    fn describe(&self) -> String {
        self.dir.display().to_string()
    }

    fn version(&self) -> Result<String, LoadError> {
        let (_, manifest) = detect_kind(&self.dir)?;
        lowrank_io::sha256_file(&self.dir.join(manifest))
            .map(|s| short(&s))
            .map_err(|e| LoadError::Invalid {
                dir: self.describe(),
                message: e.to_string(),
            })
    }

    fn current(&self) -> Result<(String, LoadedModel), LoadError> {
        // Version before and after the load: a directory replaced in between would pair one
        // version's id with another's content, so retry once and then give up.
        for _ in 0..2 {
            let before = self.version()?;
            let model = load_dir(&self.dir)?;
            if self.version()? == before {
                return Ok((before, model));
            }
        }
        Err(LoadError::Invalid {
            dir: self.describe(),
            message: "the directory changed twice while it was being loaded; try again".into(),
        })
    }
}
