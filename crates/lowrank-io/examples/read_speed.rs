//! Reads a matrix file and prints how fast: `cargo run --release -p lowrank-io --example
//! read_speed -- PATH [--serial] [--repeat N]`.

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
            "--repeat" => repeat = args.next().and_then(|s| s.parse().ok()).unwrap_or(3),
            _ => path = Some(PathBuf::from(a)),
        }
    }
    let Some(path) = path else {
        eprintln!("usage: read_speed PATH [--serial] [--repeat N]");
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
    }
}
