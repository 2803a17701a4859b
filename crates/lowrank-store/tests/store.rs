//! Behaviour of the store library: alias history and rollback, retention, generation counter,
//! integrity checks on load, concurrent writers (threads with their own connections), catalog
//! version checks. The CLI tests (`crates/lowrank-cli/tests/store_cli.rs`) cover real
//! concurrent processes and `kill -9`.

use lowrank_store::{RunMeta, Selector, Store, StoreError};
use std::path::{Path, PathBuf};

/// A minimal SVD run directory with one file whose content is `tag`.
fn run(dir: &Path, name: &str, tag: &str) -> PathBuf {
    let r = dir.join(name);
    std::fs::create_dir_all(&r).unwrap();
    std::fs::write(
        r.join("report.json"),
        r#"{"schema": "lowrank.svd.report/1", "tool": {"version": "0.1.0"},
            "input": {"sha256": "ab"}, "params": {"seed": 3}, "result": {"rank": 2}}"#,
    )
    .unwrap();
    std::fs::write(r.join("S.npy"), tag.as_bytes()).unwrap();
    r
}

fn put(store: &Store, model: &str, r: &Path) -> u64 {
    let meta = RunMeta::read(r).unwrap();
    store.put(model, r, &meta, &mut |_| {}).unwrap().version
}

#[test]
fn rollback_walks_back_through_promotions_and_gc_keeps_what_rollback_needs() {
    let d = tempfile::tempdir().unwrap();
    let store = Store::init(&d.path().join("st")).unwrap();
    for i in 1..=4 {
        let r = run(d.path(), &format!("r{i}"), &format!("v{i}"));
        assert_eq!(put(&store, "m", &r), i);
    }
    for v in 1..=3 {
        store
            .promote("m", "production", &Selector::Version(v))
            .unwrap();
    }
    // gc keeps the promoted version (3) and its rollback target (2), nothing else.
    let g = store.gc(0).unwrap();
    assert_eq!(
        g.removed_versions,
        vec![("m".to_string(), 4), ("m".to_string(), 1)]
    );
    // One blob per removed version (their S.npy); report.json is shared by all.
    assert_eq!(g.removed_blobs, 2);
    assert_eq!(store.rollback("m", "production").unwrap().to, 2);
    match store.rollback("m", "production") {
        Err(StoreError::RollbackTargetRemoved { version: 1, .. }) => {}
        other => panic!("expected RollbackTargetRemoved for version 1, got {other:?}"),
    }
    assert_eq!(store.alias("m", "production").unwrap(), Some(2));
    let h = store.history("m", "production").unwrap();
    let undone: Vec<bool> = h.iter().map(|e| e.undone).collect();
    assert_eq!(undone, [false, false, true, false]);
    // A second alias is independent of the first.
    store.promote("m", "staging", &Selector::Latest).unwrap();
    assert_eq!(store.alias("m", "staging").unwrap(), Some(3));
    assert_eq!(store.alias("m", "production").unwrap(), Some(2));
}

#[test]
fn generation_moves_on_every_change_and_only_then() {
    let d = tempfile::tempdir().unwrap();
    let store = Store::init(&d.path().join("st")).unwrap();
    let r = run(d.path(), "r", "x");
    let g0 = store.generation().unwrap();
    put(&store, "m", &r);
    let g1 = store.generation().unwrap();
    assert!(g1 > g0);
    store.list(None).unwrap();
    store.load("m", &Selector::Latest).unwrap();
    store.verify(&mut |_| {}).unwrap();
    assert_eq!(store.generation().unwrap(), g1, "reads do not move it");
    let moved = store.promote("m", "production", &Selector::Latest).unwrap();
    assert!(moved.generation > g1);
    assert_eq!(moved.generation, store.generation().unwrap());
    // Promoting to where the alias already is changes nothing.
    let again = store.promote("m", "production", &Selector::Latest).unwrap();
    assert_eq!(again.generation, moved.generation);
    // Another handle (as a server would have) sees the change.
    let other = Store::open(&d.path().join("st")).unwrap();
    put(&store, "m", &r);
    assert_eq!(other.generation().unwrap(), moved.generation + 1);
}

#[test]
fn load_refuses_a_corrupt_blob_naming_file_and_both_hashes() {
    let d = tempfile::tempdir().unwrap();
    let store = Store::init(&d.path().join("st")).unwrap();
    let r = run(d.path(), "r", "the bytes");
    put(&store, "m", &r);
    let info = store.show("m", &Selector::Latest).unwrap();
    let s = info.files.iter().find(|f| f.path == "S.npy").unwrap();
    std::fs::write(store.blob_path(&s.sha256), b"the bytez").unwrap();
    match store.load("m", &Selector::Version(1)) {
        Err(StoreError::CorruptBlob {
            file,
            expected,
            actual,
            ..
        }) => {
            assert_eq!(file, "S.npy");
            assert_eq!(expected, s.sha256);
            assert_ne!(actual, expected);
            assert_eq!(actual.len(), 64);
        }
        other => panic!("expected CorruptBlob, got {other:?}"),
    }
    let v = store.verify(&mut |_| {}).unwrap();
    assert!(!v.is_clean());
    assert_eq!(v.corrupt.len(), 1);
    assert_eq!(v.corrupt[0].used_by, ["m@1:S.npy"]);
    assert!(store.promote("m", "production", &Selector::Latest).is_err());
    assert_eq!(store.alias("m", "production").unwrap(), None);
}

#[test]
fn threads_with_their_own_connections_lose_no_put() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("st");
    const THREADS: usize = 4;
    const EACH: usize = 6;
    let versions: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let root = root.clone();
                let base = d.path().to_path_buf();
                s.spawn(move || {
                    let store = Store::init(&root).unwrap();
                    (0..EACH)
                        .map(|i| {
                            let r = run(&base, &format!("t{t}-{i}"), &format!("{t}/{i}"));
                            put(&store, "m", &r)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut sorted = versions.clone();
    sorted.sort();
    assert_eq!(sorted, (1..=(THREADS * EACH) as u64).collect::<Vec<_>>());
    let store = Store::open(&root).unwrap();
    assert_eq!(store.list(Some("m")).unwrap().len(), THREADS * EACH);
    let v = store.verify(&mut |_| {}).unwrap();
    assert!(v.is_clean() && v.unreferenced.is_empty());
    assert_eq!(v.blobs_checked, THREADS * EACH + 1);
}

#[test]
fn a_catalog_from_another_schema_version_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("st");
    drop(Store::init(&root).unwrap());
    let conn = rusqlite::Connection::open(root.join(lowrank_store::CATALOG)).unwrap();
    conn.execute_batch("PRAGMA user_version = 99").unwrap();
    drop(conn);
    match Store::open(&root) {
        Err(e @ StoreError::CatalogVersion { found: 99, .. }) => {
            assert!(e.to_string().contains("schema version 99"), "{e}");
        }
        other => panic!("expected CatalogVersion, got {other:?}"),
    }
    match Store::open(&d.path().join("nothing")) {
        Err(StoreError::NotAStore { .. }) => {}
        other => panic!("expected NotAStore, got {other:?}"),
    }
}

#[test]
fn symlinks_in_a_run_directory_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let store = Store::init(&d.path().join("st")).unwrap();
    let r = run(d.path(), "r", "x");
    std::os::unix::fs::symlink("/etc/hostname", r.join("link")).unwrap();
    let meta = RunMeta::read(&r).unwrap();
    match store.put("m", &r, &meta, &mut |_| {}) {
        Err(e @ StoreError::NotARegularFile { .. }) => {
            assert!(e.to_string().contains("link"), "{e}")
        }
        other => panic!("expected NotARegularFile, got {other:?}"),
    }
    assert!(store.models().unwrap().is_empty());
}
