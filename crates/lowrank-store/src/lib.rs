//! Versioned, content-addressed store of lowrank results.
//!
//! A run directory written by `lowrank svd`, `pca`, `mf fit`, `denoise`, `lsa`, `ridge` or
//! `anomaly` is put into the store as a new *version* of a named *model*. Every file becomes a
//! blob named by its SHA-256; a catalog (SQLite, in WAL mode) records the versions, their
//! metadata read from the run's report (kind, schema, tool version, input checksums, seed,
//! parameters, key metrics) and their files. A named alias per model (`production` by default)
//! is moved by `promote` and moved back by `rollback`, each in one transaction.
//!
//! ```text
//! STORE/
//!   catalog.sqlite          catalog (+ -wal, -shm while in use)
//!   store.lock              put: shared lock; gc: exclusive lock
//!   blobs/sha256/ab/cdef…   content, named by its SHA-256 (first two hex digits = folder)
//!   tmp/                    blobs being written; leftovers of killed puts (gc removes them)
//! ```
//!
//! Guarantees: a blob whose bytes do not hash to its name is never returned ([`Store::load`]
//! and [`Store::promote`] refuse it; [`Store::verify`] reports it). Concurrent writers lose
//! nothing (SQLite serialises the short catalog transactions). A process killed during `put`
//! leaves the catalog as it was, plus unreferenced blobs that [`Store::gc`] removes.
//! For a server: [`Store::models`], [`Store::resolve`], [`Store::load`], and
//! [`Store::generation`] or [`Store::alias`] to poll cheaply whether an alias moved.
//!
//! ```
//! use lowrank_store::{RunMeta, Selector, Store};
//! let dir = tempfile::tempdir().unwrap();
//! let run = dir.path().join("run");
//! std::fs::create_dir(&run).unwrap();
//! std::fs::write(run.join("pca.json"), r#"{"schema": "lowrank.pca.model/1", "components": 3}"#)
//!     .unwrap();
//! let store = Store::init(&dir.path().join("store")).unwrap();
//! let put = store.put("demo", &run, &RunMeta::read(&run).unwrap(), &mut |_| {}).unwrap();
//! store.promote("demo", "production", &Selector::Version(put.version)).unwrap();
//! let loaded = store.load("demo", &Selector::Alias("production".into())).unwrap();
//! assert_eq!(loaded.info.meta.kind, "pca");
//! assert!(store.verify(&mut |_| {}).unwrap().is_clean());
//! ```

// Errors carry the file, the model, the version and both checksums so that messages say what
// is wrong and where; they are built only on failure, never on a hot path, so their size
// does not matter.
#![allow(clippy::result_large_err)]

mod error;
mod meta;
mod store;

pub use error::StoreError;
pub use meta::{recognised_reports, RunMeta};
pub use store::{
    check_name, AliasEvent, AliasMove, BlobProblem, FileRecord, GcReport, LoadedFile,
    LoadedVersion, ModelInfo, Progress, PutOutcome, Selector, Store, VerifyReport, VersionInfo,
    CATALOG, CATALOG_SCHEMA_VERSION, DEFAULT_ALIAS, LOCK_FILE,
};
