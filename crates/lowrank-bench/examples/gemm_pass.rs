//! Times one pass over a dense 20000x2000 matrix with 60 vectors: faer's parallel GEMM vs the
//! deterministic row-blocked product the DenseOp uses.
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use lowrank_core::op::{DenseOp, LinearOperator};
use std::time::Instant;
fn main() {
    let (m, n, l) = (20000, 2000, 60);
    let a = Mat::<f64>::from_fn(m, n, |i, j| ((i * 7 + j * 13) % 17) as f64 / 17.0);
    let z = Mat::<f64>::from_fn(n, l, |i, j| ((i + j) % 5) as f64);
    let q = Mat::<f64>::from_fn(m, l, |i, j| ((i + 2 * j) % 3) as f64);
    let par = Par::rayon(rayon::current_num_threads());
    let op = DenseOp::new(a.as_ref());
    let mut y = Mat::<f64>::zeros(m, l);
    let mut w = Mat::<f64>::zeros(n, l);
    for _ in 0..2 {
        let t = Instant::now();
        matmul(y.as_mut(), Accum::Replace, a.as_ref(), z.as_ref(), 1.0, par);
        let t1 = t.elapsed().as_secs_f64();
        let t = Instant::now();
        matmul(
            w.as_mut(),
            Accum::Replace,
            a.transpose(),
            q.as_ref(),
            1.0,
            par,
        );
        let t2 = t.elapsed().as_secs_f64();
        let t = Instant::now();
        op.apply(y.as_mut(), z.as_ref(), par).unwrap();
        let t3 = t.elapsed().as_secs_f64();
        let t = Instant::now();
        op.apply_transpose(w.as_mut(), q.as_ref(), par).unwrap();
        let t4 = t.elapsed().as_secs_f64();
        let gf = 2.0 * (m * n * l) as f64 / 1e9;
        println!("faer A·Z {:.1} ms ({:.0} GF/s), Aᵀ·Q {:.1} ms ({:.0} GF/s) | DenseOp A·Z {:.1} ms ({:.0} GF/s), Aᵀ·Q {:.1} ms ({:.0} GF/s)", t1*1e3, gf/t1, t2*1e3, gf/t2, t3*1e3, gf/t3, t4*1e3, gf/t4);
    }
}
