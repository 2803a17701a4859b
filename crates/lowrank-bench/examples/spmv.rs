//! Times the sparse kernels on one Matrix Market file: `cargo run --release -p lowrank-bench --example spmv -- FILE`.
use faer::{Mat, Par};
use lowrank_core::op::LinearOperator;
use lowrank_io::{read_matrix, Matrix, ReadOptions};
use std::time::Instant;
fn main() {
    if let Err(e) = run() {
        eprintln!("spmv: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: spmv FILE.mtx (a sparse Matrix Market file)")?;
    let t = Instant::now();
    let Matrix::Sparse(a) = read_matrix(path.as_ref(), &ReadOptions::default())?.matrix else {
        return Err(
            format!("{path}: a sparse (coordinate) matrix is needed, not a dense one").into(),
        );
    };
    println!("read {:.3} s", t.elapsed().as_secs_f64());
    let (m, n) = a.shape();
    let par = Par::rayon(rayon::current_num_threads());
    for b in [1usize, 8, 30, 100] {
        let x = Mat::<f64>::from_fn(n, b, |i, j| ((i + j) % 7) as f64);
        let y = Mat::<f64>::from_fn(m, b, |i, j| ((i + 3 * j) % 5) as f64);
        let mut ax = Mat::<f64>::zeros(m, b);
        let mut aty = Mat::<f64>::zeros(n, b);
        let reps = 10;
        let t = Instant::now();
        for _ in 0..reps {
            a.apply(ax.as_mut(), x.as_ref(), par)?;
        }
        let ta = t.elapsed().as_secs_f64() / reps as f64;
        let t = Instant::now();
        for _ in 0..reps {
            a.apply_transpose(aty.as_mut(), y.as_ref(), par)?;
        }
        let tt = t.elapsed().as_secs_f64() / reps as f64;
        for gb in [1usize, 2, 4] {
            if b != 1 {
                break;
            }
            let xg = Mat::<f64>::from_fn(n, gb, |i, j| ((i + j) % 7) as f64);
            let mut g = Mat::<f64>::zeros(n, gb);
            let t = Instant::now();
            for _ in 0..reps {
                a.apply_gram(g.as_mut(), xg.as_ref(), par)?;
            }
            println!(
                "fused AᵀA·X b={gb}: {:.2} ms",
                t.elapsed().as_secs_f64() / reps as f64 * 1e3
            );
        }
        if b == 1 {
            let mut g = Mat::<f64>::zeros(n, 1);
            let t = Instant::now();
            for _ in 0..reps {
                a.apply_gram(g.as_mut(), x.as_ref(), par)?;
            }
            println!(
                "fused AᵀA·x {:.2} ms",
                t.elapsed().as_secs_f64() / reps as f64 * 1e3
            );
        }
        println!(
            "b={b:3}: A·X {:.2} ms ({:.2} ms/vec), Aᵀ·Y {:.2} ms ({:.2} ms/vec)",
            ta * 1e3,
            ta * 1e3 / b as f64,
            tt * 1e3,
            tt * 1e3 / b as f64
        );
    }
    Ok(())
}
