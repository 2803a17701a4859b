//! Serving from the versioned store (`lowrank serve --store DIR`): the live model is the
//! version an alias (`production` by default) points to. Promoting or rolling back moves the
//! alias; the poller notices it with one indexed catalog read and swaps the new version in.

use crate::model::{load_dir, LoadError, LoadedModel};
use crate::source::{ModelSource, SourceVersion};
use lowrank_store::{Selector, Store};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One model of a `lowrank store`, at one alias. Version ids are the store's version numbers.
///
/// Every load reads the version's blobs with their checksums verified
/// ([`Store::load`]): a corrupted or missing blob fails the load, so it is never served.
/// The verified bytes are written to a private temporary directory and read by the same
/// loader as `--dir` ([`load_dir`]), so both modes accept and check exactly the same models.
#[derive(Debug)]
pub struct StoreSource {
    root: PathBuf,
    model: String,
    alias: String,
    // `Store` holds one SQLite connection: `Send`, not `Sync`.
    store: Mutex<Store>,
}

impl StoreSource {
    /// Opens the store at `root` to serve `model` at `alias`.
    ///
    /// # Errors
    /// When the store cannot be opened (missing, not a store, another catalog schema) or the
    /// model or alias name is invalid.
    ///
    /// ```
    /// use lowrank_serve::{ModelSource, StoreSource};
    ///
    /// // A store that holds nothing: opened, but there is no version to serve.
    /// let dir = tempfile::tempdir().unwrap();
    /// lowrank_store::Store::init(&dir.path().join("st")).unwrap();
    /// let src = StoreSource::open(&dir.path().join("st"), "demo", "production").unwrap();
    /// let err = src.version().unwrap_err().to_string();
    /// assert!(err.contains("alias \"production\" of model \"demo\" is not set"), "{err}");
    /// ```
    pub fn open(root: &Path, model: &str, alias: &str) -> Result<Self, LoadError> {
        let err = |e: lowrank_store::StoreError| LoadError::Store {
            store: root.display().to_string(),
            message: e.to_string(),
        };
        lowrank_store::check_name("model", model).map_err(err)?;
        lowrank_store::check_name("alias", alias).map_err(err)?;
        let store = Store::open(root).map_err(err)?;
        Ok(Self {
            root: root.to_path_buf(),
            model: model.to_string(),
            alias: alias.to_string(),
            store: Mutex::new(store),
        })
    }

    fn err(&self, message: impl std::fmt::Display) -> LoadError {
        LoadError::Store {
            store: self.root.display().to_string(),
            message: message.to_string(),
        }
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The version the alias points to now.
    fn target(&self, store: &Store) -> Result<u64, LoadError> {
        store
            .alias(&self.model, &self.alias)
            .map_err(|e| self.err(e))?
            .ok_or_else(|| {
                self.err(format!(
                    "alias {:?} of model {:?} is not set: promote a version first \
                     (lowrank store promote --store {} --model {} --latest)",
                    self.alias,
                    self.model,
                    self.root.display(),
                    self.model
                ))
            })
    }
}

impl ModelSource for StoreSource {
    fn describe(&self) -> String {
        format!(
            "store {} (model {}, alias {})",
            self.root.display(),
            self.model,
            self.alias
        )
    }

    fn version(&self) -> Result<String, LoadError> {
        let store = self.store();
        self.target(&store).map(|v| v.to_string())
    }

    fn current(&self) -> Result<(String, LoadedModel), LoadError> {
        // The alias is resolved once and the version loaded by number: if it moves during the
        // load, the id still names what was loaded and the next poll sees the move.
        let loaded = {
            let store = self.store();
            let v = self.target(&store)?;
            store
                .load(&self.model, &Selector::Version(v))
                .map_err(|e| self.err(e))?
        };
        let tmp = tempfile::Builder::new()
            .prefix("lowrank-serve-")
            .tempdir()
            .map_err(|e| self.err(format!("cannot create a temporary directory: {e}")))?;
        for f in &loaded.files {
            // Paths come from the catalog; refuse anything that would leave the directory.
            let rel = Path::new(&f.path);
            if rel.is_absolute()
                || rel
                    .components()
                    .any(|c| !matches!(c, std::path::Component::Normal(_)))
            {
                return Err(self.err(format!(
                    "version {} has a file path {:?} that is not a plain relative path",
                    loaded.info.version, f.path
                )));
            }
            let p = tmp.path().join(rel);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| self.err(format!("{}: {e}", parent.display())))?;
            }
            std::fs::write(&p, &f.bytes).map_err(|e| self.err(format!("{}: {e}", p.display())))?;
        }
        let version = loaded.info.version;
        let mut model = load_dir(tmp.path()).map_err(|e| {
            let LoadError::Invalid { message, .. } = &e else {
                return self.err(e);
            };
            self.err(format!(
                "model {:?} version {version}: not a servable model: {message}",
                self.model
            ))
        })?;
        // The files' modification times are the copy's: the model's age is its put time,
        // unless its manifest declares when it was written (recommenders).
        if model
            .created_unix
            .is_none_or(|c| c > loaded.info.created_unix as f64)
        {
            model.created_unix = Some(loaded.info.created_unix as f64);
        }
        Ok((version.to_string(), model))
    }

    fn versions(&self) -> Option<Result<Vec<SourceVersion>, LoadError>> {
        let store = self.store();
        Some(
            store
                .list(Some(&self.model))
                .map_err(|e| self.err(e))
                .map(|list| {
                    list.into_iter()
                        .map(|v| SourceVersion {
                            version: v.version.to_string(),
                            kind: v.meta.kind.clone(),
                            created_unix: v.created_unix,
                            aliases: v.aliases.clone(),
                        })
                        .collect()
                }),
        )
    }
}
