//! `lowrank store`: a versioned, content-addressed store of run directories (put, list, show,
//! promote, rollback, gc, verify, get). All store logic lives in `lowrank-store`; this module
//! parses arguments, draws progress, prints summaries and maps errors to exit codes.

use super::Global;
use crate::failure::{self, Failure};
use crate::progress::Bar;
use clap::{Args, Subcommand};
use lowrank_store::{
    AliasMove, Progress, RunMeta, Selector, Store, StoreError, VersionInfo, DEFAULT_ALIAS,
};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Schema of the JSON that `lowrank store ... --json` prints.
pub(crate) const SCHEMA: &str = "lowrank.store/1";

/// Environment variable naming the store when `--store` is not given.
const STORE_ENV: &str = "LOWRANK_STORE";
/// The store when neither `--store` nor `$LOWRANK_STORE` is given (relative to the current
/// directory).
const DEFAULT_STORE: &str = "lowrank-store";
/// Test hook (documented in docs/store.md): milliseconds `put` sleeps after writing every blob
/// and before its catalog transaction, announced on stderr, so that a test can kill it there.
const PAUSE_ENV: &str = "LOWRANK_STORE_TEST_PAUSE_BEFORE_COMMIT_MS";

const STORE_HELP: &str = "\
The store (--store DIR, else $LOWRANK_STORE, else ./lowrank-store) keeps every file of a run
directory as a blob named by its SHA-256, and a catalog (SQLite) of models, versions, their
metadata (kind, input checksums, seed, parameters, metrics, tool version) and aliases. `put`
creates the store if needed. Versions are numbered 1, 2, ... per model. A blob whose bytes do
not match its checksum is never served: `get`, `promote` and `verify` fail with exit code 3.
`gc --keep N` keeps the newest N versions of each model, and always the version an alias
points to (and the one `rollback` would return to). Layout and guarantees: docs/store.md.

Examples (from the repository root):
  lowrank svd testdata/dense/lowrank_300x80.npy --rank 5 --out run1/
  lowrank pca testdata/dense/lowrank_300x80.npy --components 5 --out run2/
  lowrank store put --store st/ --model demo run1/
  lowrank store put --store st/ --model demo run2/
  lowrank store promote --store st/ --model demo --version 1
  lowrank store promote --store st/ --model demo --latest
  lowrank store list --store st/
  lowrank store rollback --store st/ --model demo
  lowrank store show --store st/ --model demo --alias production --json
  lowrank store get --store st/ --model demo --alias production --out served/
  lowrank store verify --store st/
  lowrank store put --store st/ --model demo run2/
  lowrank store gc --store st/ --keep 1";

/// Arguments of `lowrank store`.
#[derive(Args, Debug)]
#[command(after_help = STORE_HELP)]
pub(crate) struct StoreArgs {
    #[command(subcommand)]
    action: StoreAction,
    /// Store directory (default: $LOWRANK_STORE, else ./lowrank-store).
    #[arg(long, global = true, value_name = "DIR")]
    store: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum StoreAction {
    /// Store a run directory (from svd, pca, mf fit, denoise, lsa, ridge, anomaly) as the next
    /// version of a model.
    #[command(after_help = STORE_HELP)]
    Put {
        /// Model name (letters, digits, '.', '_', '-').
        #[arg(long)]
        model: String,
        /// Run directory, as written by `lowrank ... --out DIR`.
        run_dir: PathBuf,
    },
    /// Models and their versions (with --model, only that model's).
    #[command(after_help = STORE_HELP)]
    List {
        /// Only this model.
        #[arg(long)]
        model: Option<String>,
    },
    /// One version's metadata, files and the alias history (default: the latest version).
    // `--version V` means a store version here, not the tool's version.
    #[command(after_help = STORE_HELP, disable_version_flag = true)]
    Show {
        /// Model name.
        #[arg(long)]
        model: String,
        #[command(flatten)]
        which: Which,
    },
    /// Point an alias at a version, atomically; its blobs are verified first.
    // `--version V` means a store version here, not the tool's version.
    #[command(after_help = STORE_HELP, disable_version_flag = true)]
    Promote {
        /// Model name.
        #[arg(long)]
        model: String,
        /// Alias to move.
        #[arg(long, default_value = DEFAULT_ALIAS)]
        alias: String,
        /// The highest version.
        #[arg(long, conflicts_with = "version", required_unless_present = "version")]
        latest: bool,
        /// This version number.
        #[arg(long, value_name = "V")]
        version: Option<u64>,
    },
    /// Move an alias back to where it was before its last promotion.
    #[command(after_help = STORE_HELP)]
    Rollback {
        /// Model name.
        #[arg(long)]
        model: String,
        /// Alias to move back.
        #[arg(long, default_value = DEFAULT_ALIAS)]
        alias: String,
    },
    /// Remove old versions (keeping the newest N of each model and every aliased one), then
    /// unreferenced blobs and leftovers of interrupted puts.
    #[command(after_help = STORE_HELP)]
    Gc {
        /// Versions to keep per model, newest first.
        #[arg(long, value_name = "N")]
        keep: usize,
    },
    /// Check the catalog and re-hash every referenced blob; exit 3 if anything is damaged.
    #[command(after_help = STORE_HELP)]
    Verify,
    /// Write a version's files (every checksum verified) into a new directory.
    // `--version V` means a store version here, not the tool's version.
    #[command(after_help = STORE_HELP, disable_version_flag = true)]
    Get {
        /// Model name.
        #[arg(long)]
        model: String,
        #[command(flatten)]
        which: Which,
        /// Output directory (written atomically).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Replace --out if it exists.
        #[arg(long)]
        force: bool,
    },
}

/// Which version: --version V or --alias A (default: the latest).
#[derive(Args, Debug)]
struct Which {
    /// Version number (default: the latest).
    #[arg(long, value_name = "V", conflicts_with = "alias")]
    version: Option<u64>,
    /// The version this alias points to.
    #[arg(long)]
    alias: Option<String>,
}

impl Which {
    fn selector(&self) -> Selector {
        match (&self.version, &self.alias) {
            (Some(v), _) => Selector::Version(*v),
            (None, Some(a)) => Selector::Alias(a.clone()),
            (None, None) => Selector::Latest,
        }
    }
}

/// Whether the command writes to the store: then an I/O or catalog failure is an output error.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Reading,
    Writing,
}

/// Exit code of a store error: names or versions that do not exist are usage errors, damaged
/// blobs and unusable run directories input errors, an impossible rollback a refusal.
pub(crate) fn store_failure(e: StoreError, mode: Mode) -> Failure {
    let code = match &e {
        StoreError::InvalidName { .. }
        | StoreError::UnknownModel { .. }
        | StoreError::UnknownVersion { .. }
        | StoreError::UnknownAlias { .. } => failure::USAGE,
        StoreError::NothingToRollBack { .. } | StoreError::RollbackTargetRemoved { .. } => {
            failure::REFUSED
        }
        StoreError::Io { .. } | StoreError::Catalog { .. } if mode == Mode::Writing => {
            failure::OUTPUT
        }
        _ => failure::INPUT,
    };
    Failure::new(code, e.into())
}

fn store_dir(a: &StoreArgs) -> PathBuf {
    a.store
        .clone()
        .or_else(|| std::env::var_os(STORE_ENV).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_STORE))
}

pub(crate) fn run(a: StoreArgs, g: &Global) -> Result<(), Failure> {
    let dir = store_dir(&a);
    let open = || Store::open(&dir).map_err(|e| store_failure(e, Mode::Reading));
    match a.action {
        StoreAction::Put { model, run_dir } => put(&dir, &model, &run_dir, g),
        StoreAction::List { model } => list(&open()?, model.as_deref(), g),
        StoreAction::Show { model, which } => show(&open()?, &model, &which.selector(), g),
        StoreAction::Promote {
            model,
            alias,
            latest: _,
            version,
        } => {
            let selector = version.map_or(Selector::Latest, Selector::Version);
            let mut bar = Bar::new(g.quiet);
            bar.phase("verifying the version's blobs");
            let moved = open()?
                .promote(&model, &alias, &selector)
                .map_err(|e| store_failure(e, Mode::Writing))?;
            bar.finish();
            print_move("promoted", &moved, g)
        }
        StoreAction::Rollback { model, alias } => {
            let moved = open()?
                .rollback(&model, &alias)
                .map_err(|e| store_failure(e, Mode::Writing))?;
            print_move("rolled back", &moved, g)
        }
        StoreAction::Gc { keep } => gc(&open()?, keep, g),
        StoreAction::Verify => verify(&open()?, g),
        StoreAction::Get {
            model,
            which,
            out,
            force,
        } => get(&open()?, &model, &which.selector(), &out, force, g),
    }
}

fn put(dir: &Path, model: &str, run_dir: &Path, g: &Global) -> Result<(), Failure> {
    lowrank_store::check_name("model", model).map_err(|e| store_failure(e, Mode::Reading))?;
    let meta = RunMeta::read(run_dir).map_err(|e| store_failure(e, Mode::Reading))?;
    let store = Store::init(dir).map_err(|e| store_failure(e, Mode::Writing))?;
    let pause_ms: Option<u64> = std::env::var(PAUSE_ENV).ok().and_then(|v| v.parse().ok());
    let mut bar = Bar::new(g.quiet);
    let outcome = {
        let mut counter = bar.counter("storing blobs", PERMILLE);
        let mut on_progress = |p: Progress| match p {
            Progress::Bytes { done, total } => counter.set(
                permille(done, total),
                &format!("storing blobs ({})", human_bytes(total)),
            ),
            Progress::Committing => {
                if let Some(ms) = pause_ms {
                    eprintln!("{PAUSE_ENV}: pausing {ms} ms before the catalog transaction");
                    std::thread::sleep(std::time::Duration::from_millis(ms));
                }
            }
            _ => {}
        };
        store
            .put(model, run_dir, &meta, &mut on_progress)
            .map_err(|e| match e {
                e @ (StoreError::Io { .. } | StoreError::NotARegularFile { .. })
                    if !io_path_in(&e, dir) =>
                {
                    store_failure(e, Mode::Reading)
                }
                e => store_failure(e, Mode::Writing),
            })?
    };
    bar.finish();
    if g.json {
        return crate::report::print_json(&json!({
            "schema": SCHEMA,
            "action": "put",
            "store": dir.display().to_string(),
            "put": outcome,
            "meta": meta,
        }));
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "stored      {} version {} ({} run from {}, schema {})",
        outcome.model,
        outcome.version,
        meta.kind,
        run_dir.display(),
        meta.schema
    );
    let _ = writeln!(
        s,
        "files       {} ({}), {} new blob(s)",
        outcome.files,
        human_bytes(outcome.bytes),
        outcome.new_blobs
    );
    for (role, sha) in &meta.inputs {
        let _ = writeln!(s, "input       {role} sha256 {sha}");
    }
    if let Some(seed) = meta.seed {
        let _ = writeln!(s, "seed        {seed}");
    }
    let _ = writeln!(s, "store       {}", dir.display());
    crate::report::print_text(&s)
}

/// Is the path of an I/O error inside the store (a write failure) rather than the run dir?
fn io_path_in(e: &StoreError, dir: &Path) -> bool {
    match e {
        StoreError::Io { path, .. } | StoreError::NotARegularFile { path } => path.starts_with(dir),
        _ => true,
    }
}

fn list(store: &Store, model: Option<&str>, g: &Global) -> Result<(), Failure> {
    let versions = store
        .list(model)
        .map_err(|e| store_failure(e, Mode::Reading))?;
    let models = store
        .models()
        .map_err(|e| store_failure(e, Mode::Reading))?;
    let generation = store
        .generation()
        .map_err(|e| store_failure(e, Mode::Reading))?;
    if g.json {
        let models: Vec<_> = models
            .iter()
            .filter(|m| model.is_none_or(|n| n == m.name))
            .collect();
        return crate::report::print_json(&json!({
            "schema": SCHEMA,
            "action": "list",
            "store": store.root().display().to_string(),
            "generation": generation,
            "models": models,
            "versions": versions,
        }));
    }
    let mut s = String::new();
    if versions.is_empty() {
        let _ = writeln!(s, "no versions in {}", store.root().display());
        return crate::report::print_text(&s);
    }
    let _ = writeln!(
        s,
        "{:<16} {:>7}  {:<8} {:<20} {:>5} {:>10}  aliases",
        "model", "version", "kind", "created (UTC)", "files", "size"
    );
    for v in &versions {
        let _ = writeln!(
            s,
            "{:<16} {:>7}  {:<8} {:<20} {:>5} {:>10}  {}",
            v.model,
            v.version,
            v.meta.kind,
            utc(v.created_unix),
            v.files.len(),
            human_bytes(v.bytes),
            v.aliases.join(", ")
        );
    }
    crate::report::print_text(&s)
}

fn show(store: &Store, model: &str, selector: &Selector, g: &Global) -> Result<(), Failure> {
    let v = store
        .show(model, selector)
        .map_err(|e| store_failure(e, Mode::Reading))?;
    let aliases = store
        .models()
        .map_err(|e| store_failure(e, Mode::Reading))?
        .into_iter()
        .find(|m| m.name == model)
        .map(|m| m.aliases)
        .unwrap_or_default();
    let mut history = serde_json::Map::new();
    for alias in aliases.keys() {
        let h = store
            .history(model, alias)
            .map_err(|e| store_failure(e, Mode::Reading))?;
        history.insert(alias.clone(), json!(h));
    }
    if g.json {
        return crate::report::print_json(&json!({
            "schema": SCHEMA,
            "action": "show",
            "store": store.root().display().to_string(),
            "version": v,
            "alias_history": history,
        }));
    }
    crate::report::print_text(&describe(&v, &history))
}

fn describe(v: &VersionInfo, history: &serde_json::Map<String, Value>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "model       {} version {}", v.model, v.version);
    let _ = writeln!(
        s,
        "kind        {} ({}, schema {})",
        v.meta.kind, v.meta.report_file, v.meta.schema
    );
    let _ = writeln!(s, "created     {} UTC", utc(v.created_unix));
    let _ = writeln!(s, "from        {}", v.source);
    if let Some(t) = &v.meta.tool_version {
        let _ = writeln!(s, "tool        lowrank {t}");
    }
    for (role, sha) in &v.meta.inputs {
        let _ = writeln!(s, "input       {role} sha256 {sha}");
    }
    if let Some(seed) = v.meta.seed {
        let _ = writeln!(s, "seed        {seed}");
    }
    let _ = writeln!(s, "parameters  {}", v.meta.parameters);
    let _ = writeln!(s, "metrics     {}", v.meta.metrics);
    if !v.aliases.is_empty() {
        let _ = writeln!(s, "aliases     {}", v.aliases.join(", "));
    }
    let _ = writeln!(
        s,
        "files       {} ({})",
        v.files.len(),
        human_bytes(v.bytes)
    );
    for f in &v.files {
        let _ = writeln!(
            s,
            "  {:<32} {:>10}  {}",
            f.path,
            human_bytes(f.bytes),
            f.sha256
        );
    }
    for (alias, events) in history {
        let _ = writeln!(s, "history of alias {alias}:");
        for e in events.as_array().into_iter().flatten() {
            let from = e["from"]
                .as_u64()
                .map_or("-".to_string(), |v| v.to_string());
            let _ = writeln!(
                s,
                "  {}  {:<9} {} -> {}{}",
                utc(e["at_unix"].as_u64().unwrap_or(0)),
                e["action"].as_str().unwrap_or(""),
                from,
                e["to"],
                if e["undone"].as_bool() == Some(true) {
                    " (undone)"
                } else {
                    ""
                }
            );
        }
    }
    s
}

fn print_move(what: &str, m: &AliasMove, g: &Global) -> Result<(), Failure> {
    if g.json {
        return crate::report::print_json(&json!({
            "schema": SCHEMA,
            "action": if what == "promoted" { "promote" } else { "rollback" },
            "move": m,
        }));
    }
    let from = m
        .from
        .map_or("(unset)".to_string(), |v| format!("version {v}"));
    crate::report::print_text(&format!(
        "{what:<11} {} alias {}: {from} -> version {}\n",
        m.model, m.alias, m.to
    ))
}

fn gc(store: &Store, keep: usize, g: &Global) -> Result<(), Failure> {
    let r = store
        .gc(keep)
        .map_err(|e| store_failure(e, Mode::Writing))?;
    if g.json {
        return crate::report::print_json(&json!({
            "schema": SCHEMA,
            "action": "gc",
            "keep": keep,
            "gc": r,
        }));
    }
    let removed: Vec<String> = r
        .removed_versions
        .iter()
        .map(|(m, v)| format!("{m}@{v}"))
        .collect();
    crate::report::print_text(&format!(
        "removed     {} version(s){}\nblobs       {} deleted ({})\ntemporary   {} leftover file(s) deleted\n",
        removed.len(),
        if removed.is_empty() {
            String::new()
        } else {
            format!(": {}", removed.join(", "))
        },
        r.removed_blobs,
        human_bytes(r.freed_bytes),
        r.removed_temporary_files
    ))
}

fn verify(store: &Store, g: &Global) -> Result<(), Failure> {
    let mut bar = Bar::new(g.quiet);
    let report = {
        let mut counter = bar.counter("verifying blobs", PERMILLE);
        store
            .verify(&mut |p| {
                if let Progress::Bytes { done, total } = p {
                    counter.set(permille(done, total), "verifying blobs");
                }
            })
            .map_err(|e| store_failure(e, Mode::Reading))?
    };
    bar.finish();
    if g.json {
        crate::report::print_json(&json!({
            "schema": SCHEMA,
            "action": "verify",
            "store": store.root().display().to_string(),
            "clean": report.is_clean(),
            "verify": report,
        }))?;
    } else {
        let mut s = String::new();
        let _ = writeln!(s, "catalog     {}", report.catalog);
        let _ = writeln!(
            s,
            "blobs       {} checked ({}), {} corrupt, {} missing",
            report.blobs_checked,
            human_bytes(report.bytes_checked),
            report.corrupt.len(),
            report.missing.len()
        );
        if !report.unreferenced.is_empty() || report.temporary_files > 0 {
            let _ = writeln!(
                s,
                "garbage     {} unreferenced blob(s), {} temporary file(s) (harmless; `gc` removes them)",
                report.unreferenced.len(),
                report.temporary_files
            );
        }
        crate::report::print_text(&s)?;
    }
    if report.is_clean() {
        return Ok(());
    }
    let mut msg = format!("store {} is damaged:", store.root().display());
    if report.catalog != "ok" {
        let _ = write!(msg, "\n  catalog integrity check: {}", report.catalog);
    }
    for p in &report.corrupt {
        let _ = write!(
            msg,
            "\n  corrupt blob {}: expected SHA-256 {}, found {} (used by {})",
            p.path.display(),
            p.sha256,
            p.actual.as_deref().unwrap_or("?"),
            p.used_by.join(", ")
        );
    }
    for p in &report.missing {
        let _ = write!(
            msg,
            "\n  missing blob {}: SHA-256 {} (used by {})",
            p.path.display(),
            p.sha256,
            p.used_by.join(", ")
        );
    }
    Err(Failure::new(failure::INPUT, anyhow::anyhow!(msg)))
}

fn get(
    store: &Store,
    model: &str,
    selector: &Selector,
    out: &Path,
    force: bool,
    g: &Global,
) -> Result<(), Failure> {
    if !force && std::fs::symlink_metadata(out).is_ok() {
        return Err(lowrank_io::IoError::OutputExists {
            path: out.to_path_buf(),
        }
        .into());
    }
    let loaded = store
        .load(model, selector)
        .map_err(|e| store_failure(e, Mode::Reading))?;
    let dir = lowrank_io::OutputDir::create(out, force).map_err(Failure::output)?;
    for f in &loaded.files {
        let path = dir.file(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                Failure::new(
                    failure::OUTPUT,
                    anyhow::anyhow!("{}: {e}", parent.display()),
                )
            })?;
        }
        lowrank_io::write_atomic(&path, &f.bytes).map_err(Failure::output)?;
    }
    dir.commit().map_err(Failure::output)?;
    let v = &loaded.info;
    if g.json {
        return crate::report::print_json(&json!({
            "schema": SCHEMA,
            "action": "get",
            "model": v.model,
            "version": v.version,
            "out": out.display().to_string(),
            "files": v.files,
        }));
    }
    crate::report::print_text(&format!(
        "written     {} version {} to {} ({} files, {}, every checksum verified)\n",
        v.model,
        v.version,
        out.display(),
        v.files.len(),
        human_bytes(v.bytes)
    ))
}

/// The bar counts thousandths: the byte total is known only once the work starts.
const PERMILLE: u64 = 1000;

fn permille(done: u64, total: u64) -> u64 {
    if total == 0 {
        PERMILLE
    } else {
        (done.min(total) as u128 * PERMILLE as u128 / total as u128) as u64
    }
}

fn human_bytes(b: u64) -> String {
    lowrank_core::memory::Bytes(b).to_string()
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) from Unix seconds (Howard Hinnant's civil-from-days).
fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::utc;

    #[test]
    fn utc_dates_match_known_instants() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        // 2000-02-29 12:34:56 UTC, a leap day (date -u -d @951827696).
        assert_eq!(utc(951_827_696), "2000-02-29 12:34:56");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20");
    }
}
