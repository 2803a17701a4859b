//! End-to-end tests of `lowrank store`: the put/list/show/promote/rollback/gc/verify/get round
//! trip, corrupt and missing blobs (reported by verify, never served), real concurrent
//! processes (puts racing each other and a promote), `kill -9` in the middle of a put, bad
//! input with its exit codes, and the examples printed by `lowrank store --help`.
//!
//! Each test works in its own temporary directory; every `lowrank` run through `util::lowrank`
//! also checks that stderr shows no panic. Concurrent and killed processes are spawned with
//! `std::process::Command` on the real binary.

mod util;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use util::*;

const DENSE_NPY: &str = "dense/lowrank_300x80.npy";
const PAUSE_ENV: &str = "LOWRANK_STORE_TEST_PAUSE_BEFORE_COMMIT_MS";

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("lowrank")
}

/// An SVD run directory `name` in `dir` (rank `k`).
fn svd_run(dir: &Path, name: &str, k: usize) -> PathBuf {
    lowrank(
        dir,
        [
            "svd",
            &td(DENSE_NPY),
            "--rank",
            &k.to_string(),
            "--out",
            name,
        ],
    )
    .ok();
    dir.join(name)
}

fn store_json(dir: &Path, args: &[&str]) -> Value {
    let mut a: Vec<&str> = vec!["store"];
    a.extend_from_slice(args);
    a.push("--json");
    let out = lowrank(dir, &a);
    out.ok();
    out.json()
}

/// Version numbers of `model`, from `store list --json`.
fn versions(dir: &Path, model: &str) -> Vec<u64> {
    let j = store_json(dir, &["list", "--store", "st", "--model", model]);
    j["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_u64().unwrap())
        .collect()
}

fn alias_of(dir: &Path, model: &str) -> Option<u64> {
    let j = store_json(dir, &["list", "--store", "st"]);
    j["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == model)
        .and_then(|m| m["aliases"]["production"].as_u64())
}

/// Files of a directory (recursively, relative paths) with their bytes.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Blob files on disk under `st/blobs/sha256`.
fn blob_count(dir: &Path) -> usize {
    let base = dir.join("st/blobs/sha256");
    std::fs::read_dir(&base)
        .map(|r| {
            r.map(|h| std::fs::read_dir(h.unwrap().path()).unwrap().count())
                .sum()
        })
        .unwrap_or(0)
}

fn blob_path(dir: &Path, sha: &str) -> PathBuf {
    dir.join("st/blobs/sha256").join(&sha[..2]).join(&sha[2..])
}

// ---------------------------------------------------------------------------------------------
// Round trip
// ---------------------------------------------------------------------------------------------

#[test]
fn store_round_trip_put_list_show_promote_rollback_get_gc_verify() {
    let d = scratch();
    let dir = d.path();
    let run1 = svd_run(dir, "run1", 3);
    lowrank(
        dir,
        ["pca", &td(DENSE_NPY), "--components", "4", "--out", "run2"],
    )
    .ok();
    let report = read_json(&run1.join("report.json"));

    // put: metadata comes from the run's report.
    let p1 = store_json(dir, &["put", "--store", "st", "--model", "demo", "run1"]);
    assert_eq!(p1["put"]["version"], 1);
    assert_eq!(p1["put"]["files"], 4);
    assert_eq!(p1["meta"]["kind"], "svd");
    assert_eq!(p1["meta"]["inputs"]["input"], report["input"]["sha256"]);
    assert_eq!(p1["meta"]["seed"], report["params"]["seed"]);
    assert_eq!(p1["meta"]["tool_version"], report["tool"]["version"]);
    assert_eq!(
        p1["meta"]["metrics"]["result.singular_values"],
        report["result"]["singular_values"]
    );
    let p2 = store_json(dir, &["put", "--store", "st", "--model", "demo", "run2"]);
    assert_eq!(p2["put"]["version"], 2);
    assert_eq!(p2["meta"]["kind"], "pca");
    assert_eq!(p2["meta"]["metrics"]["components"], 4);
    // Same content again: a new version, no new blob.
    let p3 = store_json(dir, &["put", "--store", "st", "--model", "demo", "run1"]);
    assert_eq!(p3["put"]["version"], 3);
    assert_eq!(p3["put"]["new_blobs"], 0);
    store_json(dir, &["put", "--store", "st", "--model", "other", "run2"]);
    assert_eq!(versions(dir, "demo"), [1, 2, 3]);
    assert_eq!(versions(dir, "other"), [1]);

    // show: the files and their checksums, default latest.
    let show = store_json(dir, &["show", "--store", "st", "--model", "demo"]);
    assert_eq!(show["version"]["version"], 3);
    let files = show["version"]["files"].as_array().unwrap();
    let names: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(names, ["S.npy", "U.npy", "V.npy", "report.json"]);
    for f in files {
        assert!(is_sha256_hex(f["sha256"].as_str().unwrap()));
        let on_disk = std::fs::read(run1.join(f["path"].as_str().unwrap())).unwrap();
        assert_eq!(f["bytes"].as_u64().unwrap(), on_disk.len() as u64);
    }

    // promote / rollback move the alias; history is kept.
    let m = store_json(
        dir,
        &[
            "promote",
            "--store",
            "st",
            "--model",
            "demo",
            "--version",
            "2",
        ],
    );
    assert_eq!(
        (m["move"]["from"].clone(), m["move"]["to"].clone()),
        (Value::Null, 2.into())
    );
    let m = store_json(
        dir,
        &["promote", "--store", "st", "--model", "demo", "--latest"],
    );
    assert_eq!(
        (m["move"]["from"].as_u64(), m["move"]["to"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(alias_of(dir, "demo"), Some(3));
    let r = store_json(dir, &["rollback", "--store", "st", "--model", "demo"]);
    assert_eq!(
        (r["move"]["from"].as_u64(), r["move"]["to"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(alias_of(dir, "demo"), Some(2));
    // The first promotion has nothing before it.
    lowrank(
        dir,
        ["store", "rollback", "--store", "st", "--model", "demo"],
    )
    .code(4)
    .stderr_has(&["production", "demo", "no earlier promotion"]);
    assert_eq!(alias_of(dir, "demo"), Some(2));
    let show = store_json(
        dir,
        &[
            "show",
            "--store",
            "st",
            "--model",
            "demo",
            "--alias",
            "production",
        ],
    );
    assert_eq!(show["version"]["version"], 2);
    let actions: Vec<&str> = show["alias_history"]["production"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["promote", "promote", "rollback"]);

    // get: the bytes come back identical (and the output is a complete directory).
    lowrank(
        dir,
        [
            "store",
            "get",
            "--store",
            "st",
            "--model",
            "demo",
            "--alias",
            "production",
            "--out",
            "served",
        ],
    )
    .ok();
    assert_eq!(tree(&dir.join("served")), tree(&dir.join("run2")));
    lowrank(
        dir,
        [
            "store",
            "get",
            "--store",
            "st",
            "--model",
            "demo",
            "--version",
            "1",
            "--out",
            "served",
        ],
    )
    .code(4);

    // gc --keep 1: demo keeps 3 (newest) and 2 (production); 1 goes. Blobs of 1 are shared
    // with 3, so none is deleted; `other` keeps its only version.
    let blobs_before = blob_count(dir);
    let g = store_json(dir, &["gc", "--store", "st", "--keep", "1"]);
    assert_eq!(
        g["gc"]["removed_versions"],
        serde_json::json!([["demo", 1]])
    );
    assert_eq!(g["gc"]["removed_blobs"], 0);
    assert_eq!(blob_count(dir), blobs_before);
    assert_eq!(versions(dir, "demo"), [2, 3]);
    // keep 0: only the promoted version survives, and the blobs only version 3 used go.
    let g = store_json(dir, &["gc", "--store", "st", "--keep", "0"]);
    assert_eq!(
        g["gc"]["removed_versions"],
        serde_json::json!([["demo", 3], ["other", 1]])
    );
    assert_eq!(versions(dir, "demo"), [2]);
    // run1's 4 files are referenced by nobody now; run2's 8 files are still used by demo@2.
    assert_eq!(g["gc"]["removed_blobs"], 4);
    assert_eq!(blob_count(dir), 8);
    lowrank(
        dir,
        [
            "store",
            "show",
            "--store",
            "st",
            "--model",
            "demo",
            "--version",
            "1",
        ],
    )
    .code(2)
    .stderr_has(&["no version 1", "versions: 2"]);
    let v = store_json(dir, &["verify", "--store", "st"]);
    assert_eq!(v["clean"], true);
    assert_eq!(v["verify"]["blobs_checked"], 8);
    lowrank(
        dir,
        [
            "store", "get", "--store", "st", "--model", "demo", "--out", "again",
        ],
    )
    .ok();
    assert_eq!(tree(&dir.join("again")), tree(&dir.join("run2")));
    // Version numbers are never reused after gc.
    let p = store_json(dir, &["put", "--store", "st", "--model", "demo", "run1"]);
    assert_eq!(p["put"]["version"], 4);
}

#[test]
fn store_default_location_is_env_then_lowrank_store() {
    let d = scratch();
    let dir = d.path();
    svd_run(dir, "run1", 2);
    lowrank(dir, ["store", "put", "--model", "m", "run1"]).ok();
    assert!(dir.join("lowrank-store/catalog.sqlite").is_file());
    let out = Command::new(bin())
        .current_dir(dir)
        .env("LOWRANK_STORE", dir.join("elsewhere"))
        .args(["store", "put", "--model", "m", "run1"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("elsewhere/catalog.sqlite").is_file());
    // The first store still has one version only.
    lowrank(
        dir,
        ["store", "list", "--store", "lowrank-store", "--model", "m"],
    )
    .ok()
    .stdout_has(&["m  "]);
}

// ---------------------------------------------------------------------------------------------
// Damaged blobs are reported and never served
// ---------------------------------------------------------------------------------------------

#[test]
fn corrupt_blob_is_reported_by_verify_and_refused_by_get_and_promote() {
    let d = scratch();
    let dir = d.path();
    svd_run(dir, "run1", 3);
    store_json(dir, &["put", "--store", "st", "--model", "demo", "run1"]);
    store_json(
        dir,
        &["promote", "--store", "st", "--model", "demo", "--latest"],
    );
    // Same files under another model, not promoted yet.
    store_json(dir, &["put", "--store", "st", "--model", "other", "run1"]);
    let show = store_json(dir, &["show", "--store", "st", "--model", "demo"]);
    let s_sha = show["version"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "S.npy")
        .unwrap()["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let blob = blob_path(dir, &s_sha);
    let mut bytes = std::fs::read(&blob).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01; // one bit of the last singular value
    std::fs::write(&blob, &bytes).unwrap();

    let out = lowrank(dir, ["store", "verify", "--store", "st"]);
    out.code(3).stderr_has(&[
        "corrupt blob",
        &blob.strip_prefix(dir).unwrap().display().to_string(),
        &s_sha,
        "demo@1:S.npy",
        "other@1:S.npy",
    ]);
    assert!(out.stdout.contains("1 corrupt"), "{}", out.stdout);
    let v = lowrank(dir, ["store", "verify", "--store", "st", "--json"]);
    v.code(3);
    let j = v.json();
    assert_eq!(j["clean"], false);
    let bad = &j["verify"]["corrupt"][0];
    assert_eq!(bad["sha256"], s_sha.as_str());
    assert!(is_sha256_hex(bad["actual"].as_str().unwrap()));
    assert_ne!(bad["actual"], bad["sha256"]);

    // get (promote-then-load): refused, naming the file, expected and actual hash; no output.
    let actual = bad["actual"].as_str().unwrap().to_string();
    lowrank(
        dir,
        [
            "store",
            "get",
            "--store",
            "st",
            "--model",
            "demo",
            "--alias",
            "production",
            "--out",
            "served",
        ],
    )
    .code(3)
    .stderr_has(&["corrupt blob", "\"S.npy\"", &s_sha, &actual]);
    assert!(!dir.join("served").exists());
    // A damaged version cannot be promoted either.
    lowrank(
        dir,
        [
            "store", "promote", "--store", "st", "--model", "other", "--latest",
        ],
    )
    .code(3)
    .stderr_has(&["S.npy", &s_sha]);
    assert_eq!(alias_of(dir, "other"), None);

    // A missing blob is reported too.
    let u_sha = show["version"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "U.npy")
        .unwrap()["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::remove_file(blob_path(dir, &u_sha)).unwrap();
    lowrank(dir, ["store", "verify", "--store", "st"])
        .code(3)
        .stderr_has(&["missing blob", &u_sha, "demo@1:U.npy", "other@1:U.npy"]);

    // Putting the same run again repairs the damaged blob (it is re-hashed, not trusted).
    store_json(dir, &["put", "--store", "st", "--model", "demo", "run1"]);
    let v = store_json(dir, &["verify", "--store", "st"]);
    assert_eq!(v["clean"], true);
    lowrank(
        dir,
        [
            "store",
            "get",
            "--store",
            "st",
            "--model",
            "demo",
            "--version",
            "1",
            "--out",
            "v1",
        ],
    )
    .ok();
    assert_eq!(tree(&dir.join("v1")), tree(&dir.join("run1")));
}

// ---------------------------------------------------------------------------------------------
// Concurrency: real processes
// ---------------------------------------------------------------------------------------------

/// `n` run directories sharing three files with `base` and each with one file of its own.
fn variant_runs(dir: &Path, base: &Path, n: usize) -> Vec<PathBuf> {
    (0..n)
        .map(|i| {
            let r = dir.join(format!("var{i}"));
            std::fs::create_dir(&r).unwrap();
            for f in ["report.json", "S.npy", "U.npy", "V.npy"] {
                std::fs::copy(base.join(f), r.join(f)).unwrap();
            }
            std::fs::write(r.join("note.txt"), format!("variant {i}\n")).unwrap();
            r
        })
        .collect()
}

fn spawn_store(dir: &Path, args: &[&str]) -> std::process::Child {
    Command::new(bin())
        .current_dir(dir)
        .arg("store")
        .args(args)
        .args(["--store", "st", "--json", "--quiet"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(child: std::process::Child, what: &str) -> Value {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{what}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn concurrent_puts_from_real_processes_lose_nothing() {
    let d = scratch();
    let dir = d.path();
    let base = svd_run(dir, "base", 3);
    const ROUNDS: usize = 8;
    const AT_ONCE: usize = 3;
    let runs = variant_runs(dir, &base, ROUNDS * AT_ONCE);
    let mut got = Vec::new();
    for round in 0..ROUNDS {
        // The first round also races the creation of the store itself.
        let children: Vec<_> = (0..AT_ONCE)
            .map(|k| {
                let run = runs[round * AT_ONCE + k].to_str().unwrap().to_string();
                spawn_store(dir, &["put", "--model", "demo", &run])
            })
            .collect();
        for (k, c) in children.into_iter().enumerate() {
            let j = finish(c, &format!("round {round} put {k}"));
            got.push(j["put"]["version"].as_u64().unwrap());
        }
    }
    got.sort();
    let expected: Vec<u64> = (1..=(ROUNDS * AT_ONCE) as u64).collect();
    assert_eq!(got, expected, "each put got its own version number");
    assert_eq!(versions(dir, "demo"), expected);
    let v = store_json(dir, &["verify", "--store", "st"]);
    assert_eq!(v["clean"], true);
    assert_eq!(v["verify"]["unreferenced"], serde_json::json!([]));
    // 4 shared files + one note per run, each stored once.
    assert_eq!(blob_count(dir), 4 + ROUNDS * AT_ONCE);
    // Every version loads, with its own note.
    for (i, run) in runs.iter().enumerate().step_by(7) {
        let version = {
            let j = store_json(dir, &["list", "--store", "st", "--model", "demo"]);
            j["versions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|v| v["source"] == run.to_str().unwrap())
                .unwrap()["version"]
                .as_u64()
                .unwrap()
        };
        let out = format!("got{i}");
        lowrank(
            dir,
            [
                "store",
                "get",
                "--store",
                "st",
                "--model",
                "demo",
                "--version",
                &version.to_string(),
                "--out",
                &out,
            ],
        )
        .ok();
        assert_eq!(tree(&dir.join(&out)), tree(run));
    }
}

#[test]
fn put_racing_promote_and_gc_corrupts_nothing() {
    let d = scratch();
    let dir = d.path();
    let base = svd_run(dir, "base", 3);
    let runs = variant_runs(dir, &base, 10);
    store_json(
        dir,
        &[
            "put",
            "--store",
            "st",
            "--model",
            "demo",
            runs[0].to_str().unwrap(),
        ],
    );
    store_json(
        dir,
        &["promote", "--store", "st", "--model", "demo", "--latest"],
    );
    for (i, run) in runs.iter().enumerate().skip(1) {
        let put = spawn_store(dir, &["put", "--model", "demo", run.to_str().unwrap()]);
        let promote = spawn_store(dir, &["promote", "--model", "demo", "--latest"]);
        // Every third round a gc joins in: it must wait for the put, and keep what is promoted.
        let gc = (i % 3 == 0).then(|| spawn_store(dir, &["gc", "--keep", "2"]));
        let p = finish(put, &format!("put {i}"));
        let m = finish(promote, &format!("promote {i}"));
        if let Some(g) = gc {
            finish(g, &format!("gc {i}"));
        }
        let to = m["move"]["to"].as_u64().unwrap();
        let new = p["put"]["version"].as_u64().unwrap();
        // The promote saw either the version before the put, or the put's version.
        assert!(
            to == new || to + 1 == new,
            "round {i}: promoted {to}, put {new}"
        );
        let current = alias_of(dir, "demo").unwrap();
        assert!(versions(dir, "demo").contains(&current), "round {i}");
    }
    let v = store_json(dir, &["verify", "--store", "st"]);
    assert_eq!(v["clean"], true);
    assert_eq!(v["verify"]["temporary_files"], 0);
    lowrank(
        dir,
        [
            "store",
            "get",
            "--store",
            "st",
            "--model",
            "demo",
            "--alias",
            "production",
            "--out",
            "prod",
        ],
    )
    .ok();
}

// ---------------------------------------------------------------------------------------------
// kill -9 during a put
// ---------------------------------------------------------------------------------------------

#[test]
fn kill_9_before_the_catalog_transaction_leaves_previous_versions_intact() {
    let d = scratch();
    let dir = d.path();
    let base = svd_run(dir, "base", 3);
    let runs = variant_runs(dir, &base, 2);
    store_json(
        dir,
        &[
            "put",
            "--store",
            "st",
            "--model",
            "demo",
            runs[0].to_str().unwrap(),
        ],
    );
    store_json(
        dir,
        &["promote", "--store", "st", "--model", "demo", "--latest"],
    );

    // The test hook pauses the put after every blob is written and synced, just before its one
    // catalog transaction, and says so on stderr: the kill lands exactly there.
    let mut child = Command::new(bin())
        .current_dir(dir)
        .env(PAUSE_ENV, "60000")
        .args([
            "store", "put", "--store", "st", "--model", "demo", "--quiet",
        ])
        .arg(&runs[1])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains(PAUSE_ENV), "unexpected stderr: {line}");
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success());

    // The catalog is as before; the new run's own blob is there but unreferenced.
    assert_eq!(versions(dir, "demo"), [1]);
    assert_eq!(alias_of(dir, "demo"), Some(1));
    let v = store_json(dir, &["verify", "--store", "st"]);
    assert_eq!(v["clean"], true);
    assert_eq!(v["verify"]["unreferenced"].as_array().unwrap().len(), 1);
    lowrank(
        dir,
        [
            "store",
            "get",
            "--store",
            "st",
            "--model",
            "demo",
            "--alias",
            "production",
            "--out",
            "prod",
        ],
    )
    .ok();
    assert_eq!(tree(&dir.join("prod")), tree(&runs[0]));
    // gc removes the leftover; the store keeps working.
    let g = store_json(dir, &["gc", "--store", "st", "--keep", "5"]);
    assert_eq!(g["gc"]["removed_blobs"], 1);
    let p = store_json(
        dir,
        &[
            "put",
            "--store",
            "st",
            "--model",
            "demo",
            runs[1].to_str().unwrap(),
        ],
    );
    assert_eq!(p["put"]["version"], 2);
    let v = store_json(dir, &["verify", "--store", "st"]);
    assert_eq!(
        (v["clean"].clone(), v["verify"]["unreferenced"].clone()),
        (Value::Bool(true), serde_json::json!([]))
    );
}

#[test]
fn kill_9_at_arbitrary_points_of_a_large_put_never_damages_the_store() {
    let d = scratch();
    let dir = d.path();
    let base = svd_run(dir, "base", 3);
    store_json(
        dir,
        &[
            "put",
            "--store",
            "st",
            "--model",
            "demo",
            base.to_str().unwrap(),
        ],
    );
    store_json(
        dir,
        &["promote", "--store", "st", "--model", "demo", "--latest"],
    );
    // A 48 MiB file (xorshift bytes, so nothing compresses or deduplicates) makes the put take
    // long enough for kills to land while blobs are being copied and synced.
    let big = dir.join("big");
    std::fs::create_dir(&big).unwrap();
    std::fs::copy(base.join("report.json"), big.join("report.json")).unwrap();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut data = Vec::with_capacity(48 << 20);
    while data.len() < 48 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.extend_from_slice(&x.to_le_bytes());
    }
    std::fs::write(big.join("weights.bin"), &data).unwrap();
    drop(data);
    // First, how long an uninterrupted put takes, to spread the kills over it.
    let t = Instant::now();
    store_json(
        dir,
        &[
            "put",
            "--store",
            "st",
            "--model",
            "timing",
            big.to_str().unwrap(),
        ],
    );
    let full = t.elapsed();
    let mut committed = 0;
    for i in 0..8u32 {
        // Blob files already in the store are re-hashed rather than re-copied; start each try
        // from a state where `weights.bin` must be written again.
        store_json(dir, &["gc", "--store", "st", "--keep", "0"]);
        let before = versions(dir, "demo");
        let mut child = spawn_store(dir, &["put", "--model", "demo", big.to_str().unwrap()]);
        std::thread::sleep(full.mul_f64(f64::from(i) / 8.0) + Duration::from_millis(5));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        let after = versions(dir, "demo");
        // Either the put committed (one more version) or nothing changed.
        if status.success() || after.len() > before.len() {
            committed += 1;
            assert_eq!(after.len(), before.len() + 1, "try {i}");
        } else {
            assert_eq!(after, before, "try {i}");
        }
        let v = store_json(dir, &["verify", "--store", "st"]);
        assert_eq!(v["clean"], true, "try {i}: {v}");
        assert_eq!(alias_of(dir, "demo"), Some(1), "try {i}");
    }
    // At least one kill must have landed before the commit, or the test tested nothing.
    assert!(
        committed < 8,
        "every put finished before its kill (full put: {full:?})"
    );
    lowrank(
        dir,
        [
            "store",
            "get",
            "--store",
            "st",
            "--model",
            "demo",
            "--version",
            "1",
            "--out",
            "v1",
        ],
    )
    .ok();
    assert_eq!(tree(&dir.join("v1")), tree(&base));
    let g = store_json(dir, &["gc", "--store", "st", "--keep", "0"]);
    assert!(g["gc"].is_object());
    let v = store_json(dir, &["verify", "--store", "st"]);
    assert_eq!(v["verify"]["unreferenced"], serde_json::json!([]));
    assert_eq!(v["verify"]["temporary_files"], 0);
}

// ---------------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------------

#[test]
fn bad_input_gives_clear_errors_and_documented_exit_codes() {
    let d = scratch();
    let dir = d.path();
    svd_run(dir, "run1", 2);
    std::fs::create_dir(dir.join("empty")).unwrap();
    lowrank(
        dir,
        ["store", "put", "--store", "st", "--model", "m", "empty"],
    )
    .code(3)
    .stderr_has(&[
        "empty",
        "no recognised report",
        "report.json",
        "pca.json",
        "model.json",
    ]);
    lowrank(
        dir,
        ["store", "put", "--store", "st", "--model", "m", "nowhere"],
    )
    .code(3)
    .stderr_has(&["nowhere", "not a directory"]);
    lowrank(
        dir,
        [
            "store", "put", "--store", "st", "--model", "bad/name", "run1",
        ],
    )
    .code(2)
    .stderr_has(&["\"bad/name\"", "not a valid name"]);
    // Nothing was created by the failed puts.
    assert!(!dir.join("st").exists());
    lowrank(dir, ["store", "list", "--store", "st"])
        .code(3)
        .stderr_has(&["st", "not a lowrank store"]);

    // A report of the wrong family under a recognised name.
    std::fs::create_dir(dir.join("fake")).unwrap();
    std::fs::write(
        dir.join("fake/pca.json"),
        r#"{"schema": "something.else/1"}"#,
    )
    .unwrap();
    lowrank(
        dir,
        ["store", "put", "--store", "st", "--model", "m", "fake"],
    )
    .code(3)
    .stderr_has(&["pca.json", "something.else/1"]);
    std::fs::write(dir.join("fake/pca.json"), "{ not json").unwrap();
    lowrank(
        dir,
        ["store", "put", "--store", "st", "--model", "m", "fake"],
    )
    .code(3)
    .stderr_has(&["pca.json", "not JSON"]);
    // A recommender manifest whose declared checksum does not match its file.
    std::fs::create_dir(dir.join("mf")).unwrap();
    std::fs::write(
        dir.join("mf/model.json"),
        format!(
            r#"{{"schema": "lowrank.mf.model/1", "files": {{"item_factors.npy": {{"sha256": "{}", "bytes": 3}}}}}}"#,
            "0".repeat(64)
        ),
    )
    .unwrap();
    std::fs::write(dir.join("mf/item_factors.npy"), b"abc").unwrap();
    lowrank(dir, ["store", "put", "--store", "st", "--model", "m", "mf"])
        .code(3)
        .stderr_has(&["item_factors.npy", &"0".repeat(64), "model.json", "damaged"]);

    lowrank(
        dir,
        ["store", "put", "--store", "st", "--model", "m", "run1"],
    )
    .ok();
    lowrank(dir, ["store", "show", "--store", "st", "--model", "nope"])
        .code(2)
        .stderr_has(&["\"nope\"", "models: m"]);
    lowrank(
        dir,
        [
            "store",
            "show",
            "--store",
            "st",
            "--model",
            "m",
            "--version",
            "7",
        ],
    )
    .code(2)
    .stderr_has(&["no version 7", "versions: 1"]);
    lowrank(
        dir,
        [
            "store",
            "show",
            "--store",
            "st",
            "--model",
            "m",
            "--alias",
            "production",
        ],
    )
    .code(2)
    .stderr_has(&["no alias \"production\""]);
    lowrank(dir, ["store", "rollback", "--store", "st", "--model", "m"])
        .code(2)
        .stderr_has(&["no alias"]);
    lowrank(
        dir,
        [
            "store",
            "promote",
            "--store",
            "st",
            "--model",
            "m",
            "--latest",
            "--version",
            "1",
        ],
    )
    .code(2);
    lowrank(dir, ["store", "promote", "--store", "st", "--model", "m"]).code(2);
    lowrank(dir, ["store", "gc", "--store", "st"]).code(2);
    lowrank(dir, ["store", "gc", "--store", "st", "--keep", "-1"]).code(2);
}

// ---------------------------------------------------------------------------------------------
// The examples in `--help` run as written.
// ---------------------------------------------------------------------------------------------

#[test]
fn store_help_examples_run_as_written() {
    let d = scratch();
    let help = lowrank(d.path(), ["store", "--help"]);
    help.ok();
    let examples: Vec<String> = help
        .stdout
        .lines()
        .filter(|l| l.starts_with("  lowrank "))
        .map(str::to_string)
        .collect();
    assert!(examples.len() >= 10, "examples: {examples:?}");
    for ex in &examples {
        assert!(ex.len() < 95, "example line too long: {ex}");
    }
    for sub in [
        "put", "list", "show", "promote", "rollback", "gc", "verify", "get",
    ] {
        assert!(
            examples
                .iter()
                .any(|e| e.starts_with(&format!("  lowrank store {sub} "))),
            "no example of `store {sub}`"
        );
    }
    let failures = run_help_examples(d.path(), &examples, true, |words, out| {
        out.join(if words[0] == "pca" {
            "pca.json"
        } else {
            "report.json"
        })
    });
    assert!(
        failures.is_empty(),
        "failing examples:\n{}",
        failures.join("\n")
    );
    // The examples leave a clean store: production is version 1 after the rollback, gc kept it.
    let dir = d.path();
    assert_eq!(alias_of(dir, "demo"), Some(1));
    // gc --keep 1 kept the newest (3) and the promoted (1) versions, and removed 2.
    assert_eq!(versions(dir, "demo"), [1, 3]);
}
