//! The store's one error type: each variant says what is wrong and where.

use std::path::PathBuf;

/// Everything that can go wrong in the store.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The directory holds no catalog.
    #[error("{path}: not a lowrank store (no {catalog}); a first `put` creates one")]
    NotAStore {
        /// The store directory.
        path: PathBuf,
        /// The catalog file name looked for.
        catalog: &'static str,
    },
    /// A path that should be a directory is not one.
    #[error("{path}: not a directory")]
    NotADirectory {
        /// The path given.
        path: PathBuf,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The catalog database failed (unreadable, corrupt, or locked for too long).
    #[error("catalog {path}: {source}")]
    Catalog {
        /// The catalog file.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The catalog was written by an incompatible version of lowrank.
    #[error("catalog {path}: schema version {found}, this lowrank reads version {expected}")]
    CatalogVersion {
        /// The catalog file.
        path: PathBuf,
        /// Version found.
        found: i64,
        /// Version understood.
        expected: i64,
    },
    /// A model or alias name that cannot be used.
    #[error("{what} {value:?} is not a valid name: {expected}")]
    InvalidName {
        /// `model` or `alias`.
        what: &'static str,
        /// The name given.
        value: String,
        /// What a name may be.
        expected: &'static str,
    },
    /// The model has never been put.
    #[error("no model {model:?} in the store {store} (models: {known})")]
    UnknownModel {
        /// The model asked for.
        model: String,
        /// The store directory.
        store: PathBuf,
        /// The models the store has, comma-separated.
        known: String,
    },
    /// The model has no such version (never put, or removed by `gc`).
    #[error("model {model:?} has no version {version} (versions: {known})")]
    UnknownVersion {
        /// The model.
        model: String,
        /// The version asked for.
        version: u64,
        /// The versions the model has, comma-separated.
        known: String,
    },
    /// The alias was never set on this model.
    #[error("model {model:?} has no alias {alias:?} (promote a version first)")]
    UnknownAlias {
        /// The model.
        model: String,
        /// The alias.
        alias: String,
    },
    /// The run directory holds no report the store recognises.
    #[error("{dir}: no recognised report; a run directory written by lowrank holds one of: {looked_for}")]
    NoReport {
        /// The run directory.
        dir: PathBuf,
        /// The report file names looked for.
        looked_for: String,
    },
    /// The report is there but unusable.
    #[error("{path}: {message}")]
    BadReport {
        /// The report file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The run directory holds something other than regular files and folders.
    #[error("{path}: not a regular file (symbolic links and special files are not stored)")]
    NotARegularFile {
        /// The entry.
        path: PathBuf,
    },
    /// A run file does not match the checksum its own manifest declares.
    #[error("{path}: SHA-256 {actual} does not match {expected} declared in {manifest}; the run directory is damaged")]
    RunFileMismatch {
        /// The run file.
        path: PathBuf,
        /// The manifest that declares it.
        manifest: String,
        /// Declared checksum.
        expected: String,
        /// Checksum of the bytes on disk.
        actual: String,
    },
    /// The manifest names a file the run directory lacks.
    #[error("{path}: missing, but declared in {manifest}; the run directory is incomplete")]
    RunFileMissing {
        /// The missing file.
        path: PathBuf,
        /// The manifest that declares it.
        manifest: String,
    },
    /// A stored blob's bytes do not hash to its name: it is never served.
    #[error("corrupt blob {blob}: file {file:?} of model {model:?} version {version} should have SHA-256 {expected}, its bytes have {actual}")]
    CorruptBlob {
        /// Model of the version being loaded.
        model: String,
        /// Version being loaded.
        version: u64,
        /// The file's path inside the run.
        file: String,
        /// The blob on disk.
        blob: PathBuf,
        /// Checksum recorded in the catalog.
        expected: String,
        /// Checksum of the bytes on disk.
        actual: String,
    },
    /// A blob the catalog references is not on disk.
    #[error("missing blob {blob}: file {file:?} of model {model:?} version {version} (SHA-256 {expected})")]
    MissingBlob {
        /// Model of the version being loaded.
        model: String,
        /// Version being loaded.
        version: u64,
        /// The file's path inside the run.
        file: String,
        /// Where the blob should be.
        blob: PathBuf,
        /// Checksum recorded in the catalog.
        expected: String,
    },
    /// `rollback` with no earlier promotion to go back to.
    #[error("alias {alias:?} of model {model:?} has no earlier promotion to roll back to")]
    NothingToRollBack {
        /// The model.
        model: String,
        /// The alias.
        alias: String,
    },
    /// The alias's previous version was removed by `gc`.
    #[error(
        "alias {alias:?} of model {model:?} would roll back to version {version}, which gc removed"
    )]
    RollbackTargetRemoved {
        /// The model.
        model: String,
        /// The alias.
        alias: String,
        /// The removed version.
        version: u64,
    },
}

impl StoreError {
    /// Is this a damaged blob (corrupt or missing)? Callers map these to their integrity error.
    pub fn is_integrity(&self) -> bool {
        matches!(self, Self::CorruptBlob { .. } | Self::MissingBlob { .. })
    }
}
