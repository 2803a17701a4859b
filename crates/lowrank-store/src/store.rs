//! The store itself: blobs on disk, the catalog in SQLite, and the operations on both.

use crate::error::StoreError;
use crate::meta::RunMeta;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// File name of the catalog database inside the store directory.
pub const CATALOG: &str = "catalog.sqlite";
/// File that `put` locks shared and `gc` locks exclusively, so that `gc` never removes the
/// blobs of a `put` that has not committed yet.
pub const LOCK_FILE: &str = "store.lock";
/// The alias `promote` moves when none is given.
pub const DEFAULT_ALIAS: &str = "production";
/// Version of the catalog schema this code reads and writes (SQLite `user_version`).
pub const CATALOG_SCHEMA_VERSION: i64 = 1;
/// How long a writer waits for another's transaction before giving up (the busy timeout).
/// Writes hold the database lock only for one short transaction, so this is generous.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);
const COPY_BUFFER: usize = 1 << 20;

const SCHEMA_SQL: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (key, value) VALUES ('generation', 0);
CREATE TABLE IF NOT EXISTS models (
    name TEXT PRIMARY KEY,
    next_version INTEGER NOT NULL,
    created_unix INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY,
    model TEXT NOT NULL REFERENCES models(name),
    version INTEGER NOT NULL,
    created_unix INTEGER NOT NULL,
    kind TEXT NOT NULL,
    report_file TEXT NOT NULL,
    schema TEXT NOT NULL,
    tool_version TEXT,
    seed INTEGER,
    inputs TEXT NOT NULL,
    parameters TEXT NOT NULL,
    metrics TEXT NOT NULL,
    source TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    UNIQUE (model, version)
);
CREATE TABLE IF NOT EXISTS files (
    version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    PRIMARY KEY (version_id, path)
);
CREATE INDEX IF NOT EXISTS files_by_blob ON files (sha256);
CREATE TABLE IF NOT EXISTS aliases (
    model TEXT NOT NULL REFERENCES models(name),
    alias TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_unix INTEGER NOT NULL,
    PRIMARY KEY (model, alias)
);
CREATE TABLE IF NOT EXISTS alias_history (
    id INTEGER PRIMARY KEY,
    model TEXT NOT NULL,
    alias TEXT NOT NULL,
    action TEXT NOT NULL,
    from_version INTEGER,
    to_version INTEGER NOT NULL,
    undone INTEGER NOT NULL DEFAULT 0,
    at_unix INTEGER NOT NULL
);
";

/// Which version of a model an operation means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// The highest version number.
    Latest,
    /// One version number.
    Version(u64),
    /// The version an alias points to.
    Alias(String),
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Latest => write!(f, "latest"),
            Self::Version(v) => write!(f, "version {v}"),
            Self::Alias(a) => write!(f, "alias {a:?}"),
        }
    }
}

/// One file of a stored version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileRecord {
    /// Path inside the run directory, `/`-separated.
    pub path: String,
    /// SHA-256 of the content (the blob's name).
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// A stored version and its metadata, as the catalog has it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionInfo {
    /// Model name.
    pub model: String,
    /// Version number, 1, 2, ... per model; never reused, even after `gc`.
    pub version: u64,
    /// When it was put (seconds since the Unix epoch).
    pub created_unix: u64,
    /// What the run is, from its report.
    pub meta: RunMeta,
    /// The run directory it was put from (as given).
    pub source: String,
    /// Its files, sorted by path.
    pub files: Vec<FileRecord>,
    /// Total bytes of its files.
    pub bytes: u64,
    /// Aliases that point to it now.
    pub aliases: Vec<String>,
}

/// A model and its aliases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelInfo {
    /// Model name.
    pub name: String,
    /// Versions stored now.
    pub versions: Vec<u64>,
    /// Alias name → version.
    pub aliases: BTreeMap<String, u64>,
}

/// One move of an alias.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AliasEvent {
    /// `promote` or `rollback`.
    pub action: String,
    /// Version before (none for the first promotion).
    pub from: Option<u64>,
    /// Version after.
    pub to: u64,
    /// When (seconds since the Unix epoch).
    pub at_unix: u64,
    /// A promotion later undone by `rollback`.
    pub undone: bool,
}

/// What `promote` or `rollback` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AliasMove {
    /// Model.
    pub model: String,
    /// Alias.
    pub alias: String,
    /// Version before.
    pub from: Option<u64>,
    /// Version now.
    pub to: u64,
    /// Catalog generation after the move (see [`Store::generation`]).
    pub generation: u64,
}

/// What `put` stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PutOutcome {
    /// Model.
    pub model: String,
    /// The new version number.
    pub version: u64,
    /// Files stored.
    pub files: usize,
    /// Their total size.
    pub bytes: u64,
    /// Blobs written now (the others were already in the store and were checked).
    pub new_blobs: usize,
}

/// Progress of a `put` or `verify`, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// Bytes done of the total.
    Bytes {
        /// Done so far.
        done: u64,
        /// Total.
        total: u64,
    },
    /// `put` wrote every blob and is about to run its one catalog transaction.
    Committing,
}

/// A blob with a problem, and who uses it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BlobProblem {
    /// The blob's name (its expected SHA-256).
    pub sha256: String,
    /// Where it is (or should be) on disk.
    pub path: PathBuf,
    /// SHA-256 of the bytes found (none when missing or unreadable).
    pub actual: Option<String>,
    /// `model@version:file` of every file that references it.
    pub used_by: Vec<String>,
}

/// The result of [`Store::verify`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyReport {
    /// `ok`, or what SQLite's integrity check says about the catalog.
    pub catalog: String,
    /// Referenced blobs read and hashed.
    pub blobs_checked: usize,
    /// Their bytes.
    pub bytes_checked: u64,
    /// Blobs whose bytes do not match their name.
    pub corrupt: Vec<BlobProblem>,
    /// Blobs the catalog references that are not on disk.
    pub missing: Vec<BlobProblem>,
    /// Blobs no version references (left by an interrupted `put`, or by one in flight); `gc`
    /// removes them. Harmless.
    pub unreferenced: Vec<String>,
    /// Temporary files left by interrupted `put`s; `gc` removes them. Harmless.
    pub temporary_files: usize,
}

impl VerifyReport {
    /// True when nothing referenced is damaged and the catalog is sound.
    pub fn is_clean(&self) -> bool {
        self.catalog == "ok" && self.corrupt.is_empty() && self.missing.is_empty()
    }
}

/// What `gc` removed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GcReport {
    /// `(model, version)` of the versions removed.
    pub removed_versions: Vec<(String, u64)>,
    /// Blobs deleted from disk.
    pub removed_blobs: usize,
    /// Their bytes.
    pub freed_bytes: u64,
    /// Temporary files of interrupted `put`s deleted.
    pub removed_temporary_files: usize,
}

/// One file of a loaded version, with bytes whose checksum was verified.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedFile {
    /// Path inside the run.
    pub path: String,
    /// Its SHA-256 (checked against the bytes).
    pub sha256: String,
    /// The content.
    pub bytes: Vec<u8>,
}

/// A version in memory: every blob read and its checksum verified.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedVersion {
    /// Catalog record.
    pub info: VersionInfo,
    /// Its files, in the catalog's order.
    pub files: Vec<LoadedFile>,
}

impl LoadedVersion {
    /// The content of `path`, if the version has that file.
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|f| f.path == path)
            .map(|f| f.bytes.as_slice())
    }
}

/// A store directory, opened: see the crate documentation for the layout and the guarantees.
///
/// One `Store` holds one SQLite connection; it is `Send` but not `Sync` (a server keeps one
/// per worker, or one behind a mutex). Any number of processes may open the same directory.
#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    conn: Connection,
}

/// Hex of a digest.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Checks a model or alias name: it becomes part of messages and may become part of URLs.
pub fn check_name(what: &'static str, name: &str) -> Result<(), StoreError> {
    const EXPECTED: &str =
        "1 to 64 characters among letters, digits, '.', '_' and '-', not starting with '.' or '-'";
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(['.', '-'])
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidName {
            what,
            value: name.to_string(),
            expected: EXPECTED,
        })
    }
}

/// SHA-256 of a file, streamed.
fn hash_file(path: &Path) -> Result<(String, u64), std::io::Error> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; COPY_BUFFER];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((hex(&h.finalize()), n))
}

/// Makes a rename or a new file in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

/// Regular files under `dir`, as (`/`-separated relative path, absolute path), sorted.
fn run_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, StoreError> {
    let mut out = Vec::new();
    let mut stack = vec![(String::new(), dir.to_path_buf())];
    while let Some((prefix, d)) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(io_err(&d))? {
            let entry = entry.map_err(io_err(&d))?;
            let path = entry.path();
            let name = entry
                .file_name()
                .to_str()
                .map(str::to_string)
                .ok_or_else(|| StoreError::BadReport {
                    path: path.clone(),
                    message: "file name is not UTF-8".into(),
                })?;
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let ft = entry.file_type().map_err(io_err(&path))?;
            if ft.is_dir() {
                stack.push((rel, path));
            } else if ft.is_file() {
                out.push((rel, path));
            } else {
                return Err(StoreError::NotARegularFile { path });
            }
        }
    }
    out.sort();
    Ok(out)
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Store {
    /// Opens an existing store.
    ///
    /// # Errors
    /// [`StoreError::NotAStore`] if `dir` has no catalog; [`StoreError::CatalogVersion`] if
    /// another version of lowrank wrote it.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        if !dir.join(CATALOG).is_file() {
            return Err(StoreError::NotAStore {
                path: dir.to_path_buf(),
                catalog: CATALOG,
            });
        }
        let store = Self::connect(dir)?;
        match store.user_version()? {
            CATALOG_SCHEMA_VERSION => Ok(store),
            // A store whose creation was interrupted: finish it.
            0 => Self::init(dir),
            found => Err(StoreError::CatalogVersion {
                path: dir.join(CATALOG),
                found,
                expected: CATALOG_SCHEMA_VERSION,
            }),
        }
    }

    /// Opens the store in `dir`, creating it (and `dir`) if needed. Safe to call from several
    /// processes at once: creation happens under the store's exclusive lock.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = lowrank_store::Store::init(&dir.path().join("st")).unwrap();
    /// assert!(store.models().unwrap().is_empty());
    /// assert_eq!(store.generation().unwrap(), 0);
    /// ```
    pub fn init(dir: &Path) -> Result<Self, StoreError> {
        for d in [dir.to_path_buf(), dir.join("blobs/sha256"), dir.join("tmp")] {
            std::fs::create_dir_all(&d).map_err(io_err(&d))?;
        }
        if dir.join(CATALOG).is_file() {
            let store = Self::connect(dir)?;
            if store.user_version()? == CATALOG_SCHEMA_VERSION {
                return Ok(store);
            }
        }
        let lock = Self::lock_file(dir)?;
        lock.lock().map_err(io_err(&dir.join(LOCK_FILE)))?;
        let store = Self::connect(dir)?;
        match store.user_version()? {
            0 => {
                let path = dir.join(CATALOG);
                let cat = |source| StoreError::Catalog {
                    path: path.clone(),
                    source,
                };
                // WAL: readers never block the writer and a killed writer leaves the last
                // committed state readable.
                let mode: String = store
                    .conn
                    .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
                    .map_err(cat)?;
                debug_assert_eq!(mode.to_lowercase(), "wal");
                let tx = store.write_tx()?;
                tx.execute_batch(SCHEMA_SQL).map_err(cat)?;
                tx.execute_batch(&format!("PRAGMA user_version = {CATALOG_SCHEMA_VERSION}"))
                    .map_err(cat)?;
                tx.commit().map_err(cat)?;
                sync_dir(dir)?;
            }
            CATALOG_SCHEMA_VERSION => {}
            found => {
                return Err(StoreError::CatalogVersion {
                    path: dir.join(CATALOG),
                    found,
                    expected: CATALOG_SCHEMA_VERSION,
                })
            }
        }
        drop(lock);
        Ok(store)
    }

    fn connect(dir: &Path) -> Result<Self, StoreError> {
        let path = dir.join(CATALOG);
        let cat = |source| StoreError::Catalog {
            path: path.clone(),
            source,
        };
        let conn = Connection::open(&path).map_err(cat)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(cat)?;
        // FULL: a committed put survives power loss, not only a killed process.
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;")
            .map_err(cat)?;
        Ok(Self {
            root: dir.to_path_buf(),
            conn,
        })
    }

    fn lock_file(dir: &Path) -> Result<File, StoreError> {
        let path = dir.join(LOCK_FILE);
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err(&path))
    }

    fn user_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.cat(e))
    }

    fn cat(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Catalog {
            path: self.root.join(CATALOG),
            source,
        }
    }

    /// A write transaction that takes the database's write lock at once (waiting up to the
    /// busy timeout), so two writers never deadlock upgrading read locks.
    fn write_tx(&self) -> Result<Transaction<'_>, StoreError> {
        Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.cat(e))
    }

    fn bump_generation(&self, tx: &Transaction<'_>) -> Result<u64, StoreError> {
        tx.execute(
            "UPDATE meta SET value = value + 1 WHERE key = 'generation'",
            [],
        )
        .map_err(|e| self.cat(e))?;
        self.read_generation(tx)
    }

    fn read_generation(&self, conn: &Connection) -> Result<u64, StoreError> {
        conn.query_row("SELECT value FROM meta WHERE key = 'generation'", [], |r| {
            r.get::<_, i64>(0)
        })
        .map(|g| g as u64)
        .map_err(|e| self.cat(e))
    }

    /// The store directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the blob with this checksum lives: `blobs/sha256/ab/cdef…`.
    pub fn blob_path(&self, sha256: &str) -> PathBuf {
        let (head, tail) = sha256.split_at(2.min(sha256.len()));
        self.root.join("blobs/sha256").join(head).join(tail)
    }

    /// A counter raised by every change of the catalog (put, promote, rollback, gc). A server
    /// polls it cheaply and re-resolves its alias only when it moved.
    pub fn generation(&self) -> Result<u64, StoreError> {
        self.read_generation(&self.conn)
    }

    /// Stores the files of `run_dir` as a new version of `model` and returns what was stored.
    ///
    /// Every file is copied to a temporary file while hashed, synced, and renamed to its blob
    /// name; then one catalog transaction records the version and its files. A process killed
    /// before that transaction leaves only unreferenced blobs (removed by [`Store::gc`]); the
    /// catalog is untouched. Files whose checksum the run's own manifest declares are checked.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// let run = dir.path().join("run");
    /// std::fs::create_dir(&run).unwrap();
    /// std::fs::write(run.join("report.json"), r#"{"schema": "lowrank.svd.report/1"}"#).unwrap();
    /// std::fs::write(run.join("S.npy"), b"not really npy").unwrap();
    /// let store = lowrank_store::Store::init(&dir.path().join("st")).unwrap();
    /// let meta = lowrank_store::RunMeta::read(&run).unwrap();
    /// let put = store.put("demo", &run, &meta, &mut |_| {}).unwrap();
    /// assert_eq!((put.version, put.files), (1, 2));
    /// let v = store.load("demo", &lowrank_store::Selector::Latest).unwrap();
    /// assert_eq!(v.file("S.npy"), Some(&b"not really npy"[..]));
    /// ```
    pub fn put(
        &self,
        model: &str,
        run_dir: &Path,
        meta: &RunMeta,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<PutOutcome, StoreError> {
        check_name("model", model)?;
        if !run_dir.is_dir() {
            return Err(StoreError::NotADirectory {
                path: run_dir.to_path_buf(),
            });
        }
        let files = run_files(run_dir)?;
        for declared in meta.declared_checksums.keys() {
            if !files.iter().any(|(rel, _)| rel == declared) {
                return Err(StoreError::RunFileMissing {
                    path: run_dir.join(declared),
                    manifest: meta.report_file.clone(),
                });
            }
        }
        let mut total = 0u64;
        for (_, p) in &files {
            total += std::fs::metadata(p).map_err(io_err(p))?.len();
        }
        // Held until the catalog transaction commits: gc waits for it, so it never deletes a
        // blob this put has written but not yet recorded.
        let lock = Self::lock_file(&self.root)?;
        lock.lock_shared()
            .map_err(io_err(&self.root.join(LOCK_FILE)))?;
        let mut records = Vec::with_capacity(files.len());
        let mut done = 0u64;
        let mut new_blobs = 0usize;
        progress(Progress::Bytes { done, total });
        for (rel, path) in &files {
            let (sha, bytes, fresh) = self.store_blob(path, &mut |k| {
                progress(Progress::Bytes {
                    done: done + k,
                    total,
                })
            })?;
            done += bytes;
            new_blobs += usize::from(fresh);
            if let Some(expected) = meta.declared_checksums.get(rel) {
                if *expected != sha {
                    return Err(StoreError::RunFileMismatch {
                        path: path.clone(),
                        manifest: meta.report_file.clone(),
                        expected: expected.clone(),
                        actual: sha,
                    });
                }
            }
            records.push(FileRecord {
                path: rel.clone(),
                sha256: sha,
                bytes,
            });
        }
        progress(Progress::Committing);
        let tx = self.write_tx()?;
        let now = now_unix() as i64;
        let c = |e| self.cat(e);
        tx.execute(
            "INSERT OR IGNORE INTO models (name, next_version, created_unix) VALUES (?1, 1, ?2)",
            params![model, now],
        )
        .map_err(c)?;
        let version: i64 = tx
            .query_row(
                "SELECT next_version FROM models WHERE name = ?1",
                [model],
                |r| r.get(0),
            )
            .map_err(c)?;
        let json = |v: &Value| serde_json::to_string(v).unwrap_or_else(|_| "null".into());
        let inputs = serde_json::to_string(&meta.inputs).unwrap_or_else(|_| "{}".into());
        tx.execute(
            "INSERT INTO versions (model, version, created_unix, kind, report_file, schema,
                 tool_version, seed, inputs, parameters, metrics, source, bytes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                model,
                version,
                now,
                meta.kind,
                meta.report_file,
                meta.schema,
                meta.tool_version,
                meta.seed.map(|s| s as i64),
                inputs,
                json(&meta.parameters),
                json(&meta.metrics),
                run_dir.display().to_string(),
                done as i64,
            ],
        )
        .map_err(c)?;
        let id = tx.last_insert_rowid();
        {
            let mut ins = tx
                .prepare(
                    "INSERT INTO files (version_id, path, sha256, bytes) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(c)?;
            for r in &records {
                ins.execute(params![id, r.path, r.sha256, r.bytes as i64])
                    .map_err(c)?;
            }
        }
        tx.execute(
            "UPDATE models SET next_version = ?1 WHERE name = ?2",
            params![version + 1, model],
        )
        .map_err(c)?;
        self.bump_generation(&tx)?;
        tx.commit().map_err(c)?;
        drop(lock);
        Ok(PutOutcome {
            model: model.to_string(),
            version: version as u64,
            files: records.len(),
            bytes: done,
            new_blobs,
        })
    }

    /// Copies `src` into the blob area; returns (sha256, bytes, whether a new blob was written).
    /// An existing blob of the same name is re-hashed and replaced if damaged.
    fn store_blob(
        &self,
        src: &Path,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(String, u64, bool), StoreError> {
        let tmp_dir = self.root.join("tmp");
        let tmp = tmp_dir.join(format!(
            "put-{}-{}-{}",
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        ));
        let result = (|| {
            let mut input = File::open(src).map_err(io_err(src))?;
            let mut out = File::create(&tmp).map_err(io_err(&tmp))?;
            let mut h = Sha256::new();
            let mut buf = vec![0u8; COPY_BUFFER];
            let mut n = 0u64;
            loop {
                let k = input.read(&mut buf).map_err(io_err(src))?;
                if k == 0 {
                    break;
                }
                h.update(&buf[..k]);
                out.write_all(&buf[..k]).map_err(io_err(&tmp))?;
                n += k as u64;
                progress(n);
            }
            out.sync_all().map_err(io_err(&tmp))?;
            drop(out);
            let sha = hex(&h.finalize());
            let blob = self.blob_path(&sha);
            if let Ok((existing, _)) = hash_file(&blob) {
                if existing == sha {
                    std::fs::remove_file(&tmp).map_err(io_err(&tmp))?;
                    return Ok((sha, n, false));
                }
            }
            let parent = blob.parent().unwrap_or(&self.root).to_path_buf();
            std::fs::create_dir_all(&parent).map_err(io_err(&parent))?;
            std::fs::rename(&tmp, &blob).map_err(io_err(&blob))?;
            sync_dir(&parent)?;
            Ok((sha, n, true))
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    /// Every model with its versions and aliases, by name.
    pub fn models(&self) -> Result<Vec<ModelInfo>, StoreError> {
        let c = |e| self.cat(e);
        let tx = self.conn.unchecked_transaction().map_err(c)?;
        let names: Vec<String> = {
            let mut st = tx
                .prepare("SELECT name FROM models ORDER BY name")
                .map_err(c)?;
            let rows = st
                .query_map([], |r| r.get(0))
                .map_err(c)?
                .collect::<Result<_, _>>()
                .map_err(c)?;
            rows
        };
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            out.push(ModelInfo {
                versions: self.version_numbers(&tx, &name)?,
                aliases: self.aliases_of(&tx, &name)?,
                name,
            });
        }
        Ok(out)
    }

    fn version_numbers(&self, conn: &Connection, model: &str) -> Result<Vec<u64>, StoreError> {
        let c = |e| self.cat(e);
        let mut st = conn
            .prepare("SELECT version FROM versions WHERE model = ?1 ORDER BY version")
            .map_err(c)?;
        let v: Vec<i64> = st
            .query_map([model], |r| r.get(0))
            .map_err(c)?
            .collect::<Result<_, _>>()
            .map_err(c)?;
        Ok(v.into_iter().map(|x| x as u64).collect())
    }

    fn aliases_of(
        &self,
        conn: &Connection,
        model: &str,
    ) -> Result<BTreeMap<String, u64>, StoreError> {
        let c = |e| self.cat(e);
        let mut st = conn
            .prepare("SELECT alias, version FROM aliases WHERE model = ?1")
            .map_err(c)?;
        let rows: Vec<(String, i64)> = st
            .query_map([model], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(c)?
            .collect::<Result<_, _>>()
            .map_err(c)?;
        Ok(rows.into_iter().map(|(a, v)| (a, v as u64)).collect())
    }

    fn known_models(&self, conn: &Connection) -> Result<String, StoreError> {
        let c = |e| self.cat(e);
        let mut st = conn
            .prepare("SELECT name FROM models ORDER BY name")
            .map_err(c)?;
        let names: Vec<String> = st
            .query_map([], |r| r.get(0))
            .map_err(c)?
            .collect::<Result<_, _>>()
            .map_err(c)?;
        Ok(if names.is_empty() {
            "none".into()
        } else {
            names.join(", ")
        })
    }

    /// The version number `selector` means for `model`, read in `conn`'s transaction.
    fn resolve_in(
        &self,
        conn: &Connection,
        model: &str,
        selector: &Selector,
    ) -> Result<u64, StoreError> {
        check_name("model", model)?;
        let c = |e| self.cat(e);
        let exists: Option<i64> = conn
            .query_row("SELECT 1 FROM models WHERE name = ?1", [model], |r| {
                r.get(0)
            })
            .optional()
            .map_err(c)?;
        if exists.is_none() {
            return Err(StoreError::UnknownModel {
                model: model.to_string(),
                store: self.root.clone(),
                known: self.known_models(conn)?,
            });
        }
        let known = |conn| -> Result<String, StoreError> {
            let v = self.version_numbers(conn, model)?;
            Ok(if v.is_empty() {
                "none".into()
            } else {
                v.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
            })
        };
        match selector {
            Selector::Latest => {
                let v: Option<i64> = conn
                    .query_row(
                        "SELECT MAX(version) FROM versions WHERE model = ?1",
                        [model],
                        |r| r.get(0),
                    )
                    .map_err(c)?;
                v.map(|v| v as u64)
                    .ok_or_else(|| StoreError::UnknownVersion {
                        model: model.to_string(),
                        version: 0,
                        known: "none".into(),
                    })
            }
            Selector::Version(n) => {
                let v: Option<i64> = conn
                    .query_row(
                        "SELECT version FROM versions WHERE model = ?1 AND version = ?2",
                        params![model, *n as i64],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(c)?;
                match v {
                    Some(v) => Ok(v as u64),
                    None => Err(StoreError::UnknownVersion {
                        model: model.to_string(),
                        version: *n,
                        known: known(conn)?,
                    }),
                }
            }
            Selector::Alias(a) => {
                check_name("alias", a)?;
                let v: Option<i64> = conn
                    .query_row(
                        "SELECT version FROM aliases WHERE model = ?1 AND alias = ?2",
                        params![model, a],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(c)?;
                v.map(|v| v as u64).ok_or_else(|| StoreError::UnknownAlias {
                    model: model.to_string(),
                    alias: a.clone(),
                })
            }
        }
    }

    /// The version number `selector` means for `model` now.
    pub fn resolve(&self, model: &str, selector: &Selector) -> Result<u64, StoreError> {
        self.resolve_in(&self.conn, model, selector)
    }

    /// The version an alias points to, or `None` if it is not set (cheap: one indexed read).
    pub fn alias(&self, model: &str, alias: &str) -> Result<Option<u64>, StoreError> {
        self.conn
            .query_row(
                "SELECT version FROM aliases WHERE model = ?1 AND alias = ?2",
                params![model, alias],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map(|v| v.map(|v| v as u64))
            .map_err(|e| self.cat(e))
    }

    fn version_info(
        &self,
        conn: &Connection,
        model: &str,
        version: u64,
    ) -> Result<VersionInfo, StoreError> {
        let c = |e| self.cat(e);
        type Row = (
            i64,
            i64,
            String,
            String,
            String,
            Option<String>,
            Option<i64>,
            String,
            String,
            String,
            String,
            i64,
        );
        let row: Row = conn
            .query_row(
                "SELECT id, created_unix, kind, report_file, schema, tool_version, seed, inputs,
                        parameters, metrics, source, bytes
                 FROM versions WHERE model = ?1 AND version = ?2",
                params![model, version as i64],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                        r.get(8)?,
                        r.get(9)?,
                        r.get(10)?,
                        r.get(11)?,
                    ))
                },
            )
            .map_err(c)?;
        let (
            id,
            created,
            kind,
            report_file,
            schema,
            tool_version,
            seed,
            inputs,
            parameters,
            metrics,
            source,
            bytes,
        ) = row;
        let files: Vec<FileRecord> = {
            let mut st = conn
                .prepare(
                    "SELECT path, sha256, bytes FROM files WHERE version_id = ?1 ORDER BY path",
                )
                .map_err(c)?;
            let rows = st
                .query_map([id], |r| {
                    Ok(FileRecord {
                        path: r.get(0)?,
                        sha256: r.get(1)?,
                        bytes: r.get::<_, i64>(2)? as u64,
                    })
                })
                .map_err(c)?
                .collect::<Result<_, _>>()
                .map_err(c)?;
            rows
        };
        let aliases = self
            .aliases_of(conn, model)?
            .into_iter()
            .filter(|(_, v)| *v == version)
            .map(|(a, _)| a)
            .collect();
        Ok(VersionInfo {
            model: model.to_string(),
            version,
            created_unix: created as u64,
            meta: RunMeta {
                kind,
                report_file,
                schema,
                tool_version,
                inputs: serde_json::from_str(&inputs).unwrap_or_default(),
                seed: seed.map(|s| s as u64),
                parameters: serde_json::from_str(&parameters).unwrap_or(Value::Null),
                metrics: serde_json::from_str(&metrics).unwrap_or(Value::Null),
                declared_checksums: BTreeMap::new(),
            },
            source,
            files,
            bytes: bytes as u64,
            aliases,
        })
    }

    /// The catalog record of one version.
    pub fn show(&self, model: &str, selector: &Selector) -> Result<VersionInfo, StoreError> {
        let tx = self.conn.unchecked_transaction().map_err(|e| self.cat(e))?;
        let v = self.resolve_in(&tx, model, selector)?;
        self.version_info(&tx, model, v)
    }

    /// Every version of `model` (or of every model), oldest first, from one consistent
    /// snapshot of the catalog.
    pub fn list(&self, model: Option<&str>) -> Result<Vec<VersionInfo>, StoreError> {
        let c = |e| self.cat(e);
        let tx = self.conn.unchecked_transaction().map_err(c)?;
        if let Some(m) = model {
            // Names the model in the error if it does not exist.
            let exists: Option<i64> = tx
                .query_row("SELECT 1 FROM models WHERE name = ?1", [m], |r| r.get(0))
                .optional()
                .map_err(c)?;
            if exists.is_none() {
                check_name("model", m)?;
                return Err(StoreError::UnknownModel {
                    model: m.to_string(),
                    store: self.root.clone(),
                    known: self.known_models(&tx)?,
                });
            }
        }
        let rows: Vec<(String, i64)> = {
            let mut st = tx
                .prepare(
                    "SELECT model, version FROM versions WHERE ?1 IS NULL OR model = ?1
                     ORDER BY model, version",
                )
                .map_err(c)?;
            let rows = st
                .query_map([model], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(c)?
                .collect::<Result<_, _>>()
                .map_err(c)?;
            rows
        };
        rows.into_iter()
            .map(|(m, v)| self.version_info(&tx, &m, v as u64))
            .collect()
    }

    /// Moves of one alias, oldest first.
    pub fn history(&self, model: &str, alias: &str) -> Result<Vec<AliasEvent>, StoreError> {
        let c = |e| self.cat(e);
        let mut st = self
            .conn
            .prepare(
                "SELECT action, from_version, to_version, at_unix, undone FROM alias_history
                 WHERE model = ?1 AND alias = ?2 ORDER BY id",
            )
            .map_err(c)?;
        let rows = st
            .query_map(params![model, alias], |r| {
                Ok(AliasEvent {
                    action: r.get(0)?,
                    from: r.get::<_, Option<i64>>(1)?.map(|v| v as u64),
                    to: r.get::<_, i64>(2)? as u64,
                    at_unix: r.get::<_, i64>(3)? as u64,
                    undone: r.get::<_, i64>(4)? != 0,
                })
            })
            .map_err(c)?
            .collect::<Result<_, _>>()
            .map_err(c)?;
        Ok(rows)
    }

    /// Points `alias` of `model` at the version `selector` means, in one transaction, after
    /// checking every blob of that version (a damaged version is never promoted). The move is
    /// recorded so that [`Store::rollback`] can undo it.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let run = dir.path().join("run");
    /// # std::fs::create_dir(&run).unwrap();
    /// # std::fs::write(run.join("report.json"), r#"{"schema": "lowrank.svd.report/1"}"#).unwrap();
    /// use lowrank_store::{RunMeta, Selector, Store};
    /// let store = Store::init(&dir.path().join("st")).unwrap();
    /// let meta = RunMeta::read(&run).unwrap();
    /// store.put("demo", &run, &meta, &mut |_| {}).unwrap();
    /// store.put("demo", &run, &meta, &mut |_| {}).unwrap();
    /// store.promote("demo", "production", &Selector::Version(1)).unwrap();
    /// let moved = store.promote("demo", "production", &Selector::Latest).unwrap();
    /// assert_eq!((moved.from, moved.to), (Some(1), 2));
    /// let back = store.rollback("demo", "production").unwrap();
    /// assert_eq!(back.to, 1);
    /// assert_eq!(store.alias("demo", "production").unwrap(), Some(1));
    /// ```
    pub fn promote(
        &self,
        model: &str,
        alias: &str,
        selector: &Selector,
    ) -> Result<AliasMove, StoreError> {
        check_name("alias", alias)?;
        let candidate = self.resolve(model, selector)?;
        // Hash outside the write transaction: other writers are not held up meanwhile.
        self.load_version(model, candidate)?;
        let c = |e| self.cat(e);
        let tx = self.write_tx()?;
        // Resolved again inside the transaction: `latest` may have moved, and gc may have
        // removed the version since; if either happened, the checked version is not promoted.
        let to = self.resolve_in(&tx, model, selector)?;
        if to != candidate {
            drop(tx);
            return self.promote(model, alias, selector);
        }
        let from: Option<u64> = tx
            .query_row(
                "SELECT version FROM aliases WHERE model = ?1 AND alias = ?2",
                params![model, alias],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map_err(c)?
            .map(|v| v as u64);
        if from == Some(to) {
            let generation = self.read_generation(&tx)?;
            return Ok(AliasMove {
                model: model.into(),
                alias: alias.into(),
                from,
                to,
                generation,
            });
        }
        let now = now_unix() as i64;
        tx.execute(
            "INSERT INTO aliases (model, alias, version, updated_unix) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (model, alias) DO UPDATE SET version = ?3, updated_unix = ?4",
            params![model, alias, to as i64, now],
        )
        .map_err(c)?;
        tx.execute(
            "INSERT INTO alias_history (model, alias, action, from_version, to_version, at_unix)
             VALUES (?1, ?2, 'promote', ?3, ?4, ?5)",
            params![model, alias, from.map(|v| v as i64), to as i64, now],
        )
        .map_err(c)?;
        let generation = self.bump_generation(&tx)?;
        tx.commit().map_err(c)?;
        Ok(AliasMove {
            model: model.into(),
            alias: alias.into(),
            from,
            to,
            generation,
        })
    }

    /// Undoes the last promotion of `alias` that is still in force: the alias goes back to the
    /// version it pointed at before. Repeated calls walk further back.
    pub fn rollback(&self, model: &str, alias: &str) -> Result<AliasMove, StoreError> {
        check_name("alias", alias)?;
        let c = |e| self.cat(e);
        let tx = self.write_tx()?;
        let current = self.resolve_in(&tx, model, &Selector::Alias(alias.to_string()))?;
        let last: Option<(i64, Option<i64>)> = tx
            .query_row(
                "SELECT id, from_version FROM alias_history
                 WHERE model = ?1 AND alias = ?2 AND action = 'promote' AND undone = 0
                 ORDER BY id DESC LIMIT 1",
                params![model, alias],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(c)?;
        let nothing = || StoreError::NothingToRollBack {
            model: model.into(),
            alias: alias.into(),
        };
        let (row, target) = match last {
            Some((row, Some(target))) => (row, target as u64),
            _ => return Err(nothing()),
        };
        let exists: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM versions WHERE model = ?1 AND version = ?2",
                params![model, target as i64],
                |r| r.get(0),
            )
            .optional()
            .map_err(c)?;
        if exists.is_none() {
            return Err(StoreError::RollbackTargetRemoved {
                model: model.into(),
                alias: alias.into(),
                version: target,
            });
        }
        let now = now_unix() as i64;
        tx.execute(
            "UPDATE aliases SET version = ?3, updated_unix = ?4 WHERE model = ?1 AND alias = ?2",
            params![model, alias, target as i64, now],
        )
        .map_err(c)?;
        tx.execute("UPDATE alias_history SET undone = 1 WHERE id = ?1", [row])
            .map_err(c)?;
        tx.execute(
            "INSERT INTO alias_history (model, alias, action, from_version, to_version, at_unix)
             VALUES (?1, ?2, 'rollback', ?3, ?4, ?5)",
            params![model, alias, current as i64, target as i64, now],
        )
        .map_err(c)?;
        let generation = self.bump_generation(&tx)?;
        tx.commit().map_err(c)?;
        Ok(AliasMove {
            model: model.into(),
            alias: alias.into(),
            from: Some(current),
            to: target,
            generation,
        })
    }

    /// Reads every file of a version into memory, verifying each blob's checksum.
    ///
    /// # Errors
    /// [`StoreError::CorruptBlob`] naming the file, the expected and the actual hash, or
    /// [`StoreError::MissingBlob`]: damaged bytes are never returned.
    pub fn load(&self, model: &str, selector: &Selector) -> Result<LoadedVersion, StoreError> {
        let v = self.resolve(model, selector)?;
        self.load_version(model, v)
    }

    fn load_version(&self, model: &str, version: u64) -> Result<LoadedVersion, StoreError> {
        let tx = self.conn.unchecked_transaction().map_err(|e| self.cat(e))?;
        let info = self.version_info(&tx, model, version)?;
        drop(tx);
        let mut files = Vec::with_capacity(info.files.len());
        for f in &info.files {
            let blob = self.blob_path(&f.sha256);
            let bytes = match std::fs::read(&blob) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(StoreError::MissingBlob {
                        model: model.into(),
                        version,
                        file: f.path.clone(),
                        blob,
                        expected: f.sha256.clone(),
                    })
                }
                Err(e) => return Err(io_err(&blob)(e)),
            };
            let actual = hex(&Sha256::digest(&bytes));
            if actual != f.sha256 {
                return Err(StoreError::CorruptBlob {
                    model: model.into(),
                    version,
                    file: f.path.clone(),
                    blob,
                    expected: f.sha256.clone(),
                    actual,
                });
            }
            files.push(LoadedFile {
                path: f.path.clone(),
                sha256: f.sha256.clone(),
                bytes,
            });
        }
        Ok(LoadedVersion { info, files })
    }

    /// Blob names on disk (directory listing), sorted.
    fn blobs_on_disk(&self) -> Result<Vec<(String, PathBuf)>, StoreError> {
        let base = self.root.join("blobs/sha256");
        let mut out = Vec::new();
        let heads = match std::fs::read_dir(&base) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(io_err(&base)(e)),
        };
        for head in heads {
            let head = head.map_err(io_err(&base))?;
            let hp = head.path();
            if !hp.is_dir() {
                continue;
            }
            let hn = head.file_name().to_string_lossy().into_owned();
            for e in std::fs::read_dir(&hp).map_err(io_err(&hp))? {
                let e = e.map_err(io_err(&hp))?;
                out.push((format!("{hn}{}", e.file_name().to_string_lossy()), e.path()));
            }
        }
        out.sort();
        Ok(out)
    }

    fn temp_files(&self) -> Result<Vec<PathBuf>, StoreError> {
        let tmp = self.root.join("tmp");
        match std::fs::read_dir(&tmp) {
            Ok(r) => r
                .map(|e| e.map(|e| e.path()).map_err(io_err(&tmp)))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(io_err(&tmp)(e)),
        }
    }

    /// Checks the catalog (SQLite's integrity check) and every referenced blob (read and
    /// hashed). Does not lock out writers; blobs of a `put` in flight may be listed as
    /// unreferenced.
    pub fn verify(&self, progress: &mut dyn FnMut(Progress)) -> Result<VerifyReport, StoreError> {
        let c = |e| self.cat(e);
        let catalog: String = {
            let mut st = self.conn.prepare("PRAGMA integrity_check").map_err(c)?;
            let lines: Vec<String> = st
                .query_map([], |r| r.get(0))
                .map_err(c)?
                .collect::<Result<_, _>>()
                .map_err(c)?;
            lines.join("; ")
        };
        let mut uses: BTreeMap<String, (u64, Vec<String>)> = BTreeMap::new();
        {
            let mut st = self
                .conn
                .prepare(
                    "SELECT f.sha256, f.bytes, v.model, v.version, f.path FROM files f
                     JOIN versions v ON v.id = f.version_id ORDER BY v.model, v.version, f.path",
                )
                .map_err(c)?;
            let rows = st
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                })
                .map_err(c)?;
            for row in rows {
                let (sha, bytes, model, version, path) = row.map_err(c)?;
                let e = uses.entry(sha).or_insert((bytes as u64, Vec::new()));
                e.1.push(format!("{model}@{version}:{path}"));
            }
        }
        let total: u64 = uses.values().map(|(b, _)| *b).sum();
        let mut report = VerifyReport {
            catalog,
            blobs_checked: 0,
            bytes_checked: 0,
            corrupt: Vec::new(),
            missing: Vec::new(),
            unreferenced: Vec::new(),
            temporary_files: self.temp_files()?.len(),
        };
        let mut done = 0u64;
        for (sha, (bytes, used_by)) in &uses {
            let path = self.blob_path(sha);
            match hash_file(&path) {
                Ok((actual, _)) => {
                    report.blobs_checked += 1;
                    report.bytes_checked += bytes;
                    if actual != *sha {
                        report.corrupt.push(BlobProblem {
                            sha256: sha.clone(),
                            path,
                            actual: Some(actual),
                            used_by: used_by.clone(),
                        });
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    report.missing.push(BlobProblem {
                        sha256: sha.clone(),
                        path,
                        actual: None,
                        used_by: used_by.clone(),
                    })
                }
                Err(e) => return Err(io_err(&path)(e)),
            }
            done += bytes;
            progress(Progress::Bytes { done, total });
        }
        report.unreferenced = self
            .blobs_on_disk()?
            .into_iter()
            .map(|(name, _)| name)
            .filter(|name| !uses.contains_key(name))
            .collect();
        Ok(report)
    }

    /// Keeps the newest `keep` versions of every model, plus every version an alias points to
    /// and the one each alias would roll back to; removes the other versions from the catalog,
    /// then deletes blobs no version references and temporary files of interrupted puts.
    ///
    /// Holds the store's exclusive lock, so it waits for `put`s in flight to commit.
    pub fn gc(&self, keep: usize) -> Result<GcReport, StoreError> {
        let lock = Self::lock_file(&self.root)?;
        lock.lock().map_err(io_err(&self.root.join(LOCK_FILE)))?;
        let c = |e| self.cat(e);
        let tx = self.write_tx()?;
        let mut protected: BTreeSet<(String, u64)> = BTreeSet::new();
        {
            let mut st = tx
                .prepare("SELECT model, version FROM aliases")
                .map_err(c)?;
            for r in st
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                .map_err(c)?
            {
                let (m, v) = r.map_err(c)?;
                protected.insert((m, v as u64));
            }
            // The version each alias's rollback would go to.
            let mut st = tx
                .prepare(
                    "SELECT h.model, h.from_version FROM alias_history h
                     WHERE h.action = 'promote' AND h.undone = 0 AND h.from_version IS NOT NULL
                       AND h.id = (SELECT MAX(id) FROM alias_history g WHERE g.model = h.model
                                   AND g.alias = h.alias AND g.action = 'promote' AND g.undone = 0)",
                )
                .map_err(c)?;
            for r in st
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                .map_err(c)?
            {
                let (m, v) = r.map_err(c)?;
                protected.insert((m, v as u64));
            }
        }
        let all: Vec<(String, i64)> = {
            let mut st = tx
                .prepare("SELECT model, version FROM versions ORDER BY model, version DESC")
                .map_err(c)?;
            let rows = st
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(c)?
                .collect::<Result<_, _>>()
                .map_err(c)?;
            rows
        };
        let mut removed_versions = Vec::new();
        let mut rank: BTreeMap<String, usize> = BTreeMap::new();
        for (m, v) in all {
            let r = rank.entry(m.clone()).or_insert(0);
            *r += 1;
            let v = v as u64;
            if *r <= keep || protected.contains(&(m.clone(), v)) {
                continue;
            }
            tx.execute(
                "DELETE FROM versions WHERE model = ?1 AND version = ?2",
                params![m, v as i64],
            )
            .map_err(c)?;
            removed_versions.push((m, v));
        }
        if !removed_versions.is_empty() {
            self.bump_generation(&tx)?;
        }
        let referenced: BTreeSet<String> = {
            let mut st = tx.prepare("SELECT DISTINCT sha256 FROM files").map_err(c)?;
            let rows = st
                .query_map([], |r| r.get(0))
                .map_err(c)?
                .collect::<Result<_, _>>()
                .map_err(c)?;
            rows
        };
        tx.commit().map_err(c)?;
        let mut report = GcReport {
            removed_versions,
            removed_blobs: 0,
            freed_bytes: 0,
            removed_temporary_files: 0,
        };
        // Under the exclusive lock no put is between writing blobs and committing, so a blob
        // no version references now is garbage, and so is every temporary file.
        for (name, path) in self.blobs_on_disk()? {
            if referenced.contains(&name) {
                continue;
            }
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            std::fs::remove_file(&path).map_err(io_err(&path))?;
            report.removed_blobs += 1;
            report.freed_bytes += size;
        }
        for path in self.temp_files()? {
            std::fs::remove_file(&path).map_err(io_err(&path))?;
            report.removed_temporary_files += 1;
        }
        drop(lock);
        Ok(report)
    }
}
