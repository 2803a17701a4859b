//! Measures `put`, `load` (every checksum verified) and `verify` on run directories of
//! 16 KiB to 256 MiB, and concurrent puts from several threads; prints a table and writes the
//! chart `docs/img/store_throughput.svg` (run from the repository root):
//!
//! ```text
//! cargo run --release -p lowrank-store --example store_throughput
//! ```
//!
//! Each figure is the best of 3 runs. The store lives in a temporary directory on the same
//! disk as `/tmp`; `put` syncs every blob and the catalog (SQLite `synchronous = FULL`), so the
//! small-run figure is dominated by fsync latency, the large ones by hashing and copying.

use lowrank_store::{RunMeta, Selector, Store};
use std::path::Path;
use std::time::Instant;

fn make_run(dir: &Path, bytes: usize, seed: u64) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("report.json"),
        r#"{"schema": "lowrank.svd.report/1", "params": {"seed": 0}}"#,
    )
    .unwrap();
    // xorshift bytes: nothing deduplicates between runs.
    let mut x = seed | 1;
    let mut data = Vec::with_capacity(bytes + 8);
    while data.len() < bytes {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.extend_from_slice(&x.to_le_bytes());
    }
    data.truncate(bytes);
    std::fs::write(dir.join("U.npy"), &data).unwrap();
}

fn best_of<F: FnMut() -> f64>(n: usize, mut f: F) -> f64 {
    (0..n).map(|_| f()).fold(f64::INFINITY, f64::min)
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("st");
    let store = Store::init(&root).unwrap();
    let sizes: [usize; 5] = [16 << 10, 1 << 20, 16 << 20, 64 << 20, 256 << 20];
    let mib = |b: usize| b as f64 / (1 << 20) as f64;
    let (mut put_pts, mut load_pts, mut verify_pts) = (Vec::new(), Vec::new(), Vec::new());
    println!("size (MiB)  put (s)   put MiB/s  load MiB/s  verify MiB/s");
    let mut seed = 1u64;
    for &size in &sizes {
        let put_s = best_of(3, || {
            seed += 1;
            let run = tmp.path().join(format!("run{seed}"));
            make_run(&run, size, seed);
            let meta = RunMeta::read(&run).unwrap();
            let t = Instant::now();
            store.put("bench", &run, &meta, &mut |_| {}).unwrap();
            let s = t.elapsed().as_secs_f64();
            std::fs::remove_dir_all(&run).unwrap();
            s
        });
        let load_s = best_of(3, || {
            let t = Instant::now();
            let v = store.load("bench", &Selector::Latest).unwrap();
            assert!(v.file("U.npy").unwrap().len() == size);
            t.elapsed().as_secs_f64()
        });
        // verify re-hashes every stored blob; keep only this size's versions.
        store.gc(1).unwrap();
        let verify_s = best_of(3, || {
            let t = Instant::now();
            assert!(store.verify(&mut |_| {}).unwrap().is_clean());
            t.elapsed().as_secs_f64()
        });
        let m = mib(size);
        println!(
            "{m:>10.3}  {put_s:>7.4}  {:>10.1}  {:>10.1}  {:>12.1}",
            m / put_s,
            m / load_s,
            m / verify_s
        );
        put_pts.push((m, m / put_s));
        load_pts.push((m, m / load_s));
        verify_pts.push((m, m / verify_s));
    }
    // Concurrent writers: small runs, each thread with its own connection.
    for threads in [1usize, 2, 4] {
        const EACH: usize = 20;
        let runs: Vec<_> = (0..threads * EACH)
            .map(|i| {
                let r = tmp.path().join(format!("c{threads}-{i}"));
                make_run(&r, 16 << 10, 1000 + i as u64 + 100_000 * threads as u64);
                r
            })
            .collect();
        let t = Instant::now();
        std::thread::scope(|s| {
            for chunk in runs.chunks(EACH) {
                let root = root.clone();
                s.spawn(move || {
                    let st = Store::open(&root).unwrap();
                    for r in chunk {
                        let meta = RunMeta::read(r).unwrap();
                        st.put("conc", r, &meta, &mut |_| {}).unwrap();
                    }
                });
            }
        });
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{threads} writer thread(s): {} puts of 16 KiB in {secs:.3} s = {:.0} puts/s",
            threads * EACH,
            (threads * EACH) as f64 / secs
        );
    }
    let n = store.list(Some("conc")).unwrap().len();
    assert_eq!(n, 140, "every concurrent put is in the catalog");
    let svg = lowrank_plot::Chart::new(
        "lowrank store: throughput by run size (best of 3; put syncs every blob)",
        "run size (MiB)",
        "MiB/s",
    )
    .line_and_points("put (hash + copy + fsync + commit)", put_pts)
    .line_and_points("load (read + verify SHA-256)", load_pts)
    .line_and_points("verify (re-hash every blob)", verify_pts)
    .log_x()
    .log_y()
    .to_svg();
    let out = Path::new("docs/img/store_throughput.svg");
    if out.parent().is_some_and(Path::is_dir) {
        std::fs::write(out, svg).unwrap();
        println!("wrote {}", out.display());
    } else {
        println!("docs/img not found: run from the repository root to write the chart");
    }
}
