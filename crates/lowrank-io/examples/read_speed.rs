//! Reads a matrix file and prints how fast, and the process's peak resident memory:
//! `cargo run --release -p lowrank-io --example read_speed -- PATH [--serial] [--repeat N]
//! [--format NAME]`.
//!
//! The peak (`VmHWM` from `/proc/self/status`, Linux only) covers every repetition; each read's
//! matrix is dropped before the next one starts, so it is the peak of one read.

use std::path::PathBuf;
use std::time::Instant;

use lowrank_io::{estimate_memory, read_matrix, Matrix, ReadOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let mut path = None;
    let mut opts = ReadOptions::default();
    let mut repeat = 3usize;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--serial" => opts.parallel = false,
            "--format" => {
                opts.format = args.next().and_then(|s| lowrank_io::Format::parse_name(&s));
            }
            "--repeat" => repeat = args.next().and_then(|s| s.parse().ok()).unwrap_or(3),
            _ => path = Some(PathBuf::from(a)),
        }
    }
    let Some(path) = path else {
        eprintln!("usage: read_speed PATH [--serial] [--repeat N] [--format NAME]");
        std::process::exit(2);
    };
    let t = Instant::now();
    match estimate_memory(&path, &opts) {
        Ok(e) => println!(
            "estimate ({:.1} ms): {e:?}",
            t.elapsed().as_secs_f64() * 1e3
        ),
        Err(e) => println!("estimate failed: {e}"),
    }
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        let loaded = match read_matrix(&path, &opts) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        };
        let secs = t.elapsed().as_secs_f64();
        let mb = loaded.bytes_read as f64 / 1e6;
        let kind = match &loaded.matrix {
            Matrix::Dense(_) => "dense",
            Matrix::Sparse(_) => "sparse",
        };
        println!(
            "{}: {} {}x{} {kind}, {} stored entries, {mb:.1} MB in {secs:.3} s = {:.0} MB/s (sha256 {}..., {} threads)",
            path.display(),
            loaded.format,
            loaded.matrix.nrows(),
            loaded.matrix.ncols(),
            loaded.matrix.stored_entries(),
            mb / secs,
            &loaded.sha256[..12],
            if opts.parallel { rayon::current_num_threads() } else { 1 },
        );
        if let Some(hwm) = status_kib("VmHWM") {
            println!(
                "  matrix {:.1} MB; process peak RSS so far {:.1} MB",
                loaded.matrix.memory_bytes() as f64 / 1e6,
                hwm as f64 * 1024.0 / 1e6
            );
        }
    }
}

/// A `kB` field of `/proc/self/status` (`VmHWM` = peak resident set), if there is one.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| {
        l.strip_prefix(field)
            .is_some_and(|rest| rest.starts_with(':'))
    })?;
    line[field.len() + 1..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}
