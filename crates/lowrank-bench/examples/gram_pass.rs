//! Times one fused `A_cᵀA_c·X` pass (with the image `A_c·X` kept) over a dense 100000×1000
//! matrix, the shape of W5, for several block widths, against the two-product default:
//! `cargo run --release -p lowrank-bench --example gram_pass`.
use faer::{Mat, Par};
use lowrank_core::op::{Centered, DenseOp, LinearOperator};
use std::time::Instant;
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (m, n) = (100_000, 1000);
    let a = Mat::<f64>::from_fn(m, n, |i, j| {
        ((i * 7 + j * 13) % 17) as f64 / 17.0 + (j % 5) as f64
    });
    let par = Par::rayon(rayon::current_num_threads());
    let op = Centered::new(DenseOp::new(a.as_ref()), par)?;
    for b in [8, 16, 24, 32, 48] {
        let x = Mat::<f64>::from_fn(n, b, |i, j| ((i + j) % 5) as f64);
        let mut g = Mat::<f64>::zeros(n, b);
        let mut y = Mat::<f64>::zeros(m, b);
        let mut best = (f64::MAX, f64::MAX);
        for _ in 0..3 {
            let t = Instant::now();
            op.apply_gram_with_image(g.as_mut(), Some(y.as_mut()), x.as_ref(), par)?;
            best.0 = best.0.min(t.elapsed().as_secs_f64());
            let t = Instant::now();
            lowrank_core::op::shifted_gram_reference(
                &DenseOp::new(a.as_ref()),
                g.as_mut(),
                Some(y.as_mut()),
                x.as_ref(),
                op.means(),
                par,
            )?;
            best.1 = best.1.min(t.elapsed().as_secs_f64());
        }
        let gf = 4.0 * (m * n * b) as f64 / 1e9;
        println!(
            "b = {b:2}: fused {:.1} ms ({:.0} GF/s, {:.2} ms per vector) | two products {:.1} ms ({:.0} GF/s)",
            best.0 * 1e3, gf / best.0, best.0 * 1e3 / b as f64, best.1 * 1e3, gf / best.1
        );
    }
    Ok(())
}
