//! Small dense kernels for the per-user and per-item solves (k ≤ a few hundred): allocation-free,
//! sequential, so the parallel loops over users stay deterministic.

/// Solves `A x = b` for symmetric positive definite `A` (row-major `n×n`, overwritten by its
/// Cholesky factor). Returns false if `A` is not positive definite.
pub(crate) fn cholesky_solve(a: &mut [f64], b: &mut [f64], n: usize) -> bool {
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        if d.is_nan() || d <= 0.0 || !d.is_finite() {
            return false;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / d;
        }
    }
    // L y = b
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= a[i * n + k] * b[k];
        }
        b[i] = s / a[i * n + i];
    }
    // Lᵀ x = y
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= a[k * n + i] * b[k];
        }
        b[i] = s / a[i * n + i];
    }
    true
}

/// `a += w · x xᵀ` on the lower triangle of row-major `n×n` `a`.
#[inline]
pub(crate) fn add_outer_lower(a: &mut [f64], x: &[f64], w: f64, n: usize) {
    for i in 0..n {
        let wx = w * x[i];
        let row = &mut a[i * n..i * n + i + 1];
        for (r, &xj) in row.iter_mut().zip(&x[..=i]) {
            *r += wx * xj;
        }
    }
}

/// Copies the lower triangle to the upper one.
pub(crate) fn symmetrize(a: &mut [f64], n: usize) {
    for i in 0..n {
        for j in 0..i {
            a[j * n + i] = a[i * n + j];
        }
    }
}

/// `y += a·x` for `y`, `x` slices.
#[inline]
pub(crate) fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_a_known_system() {
        // A = [[4,2,0],[2,5,1],[0,1,3]], x = [1,-1,2] → b = A x.
        let a0 = [4.0, 2.0, 0.0, 2.0, 5.0, 1.0, 0.0, 1.0, 3.0];
        let x = [1.0, -1.0, 2.0];
        let mut b: Vec<f64> = (0..3)
            .map(|i| (0..3).map(|j| a0[i * 3 + j] * x[j]).sum())
            .collect();
        let mut a = a0;
        assert!(cholesky_solve(&mut a, &mut b, 3));
        for (bi, xi) in b.iter().zip(x) {
            assert!((bi - xi).abs() < 1e-12, "{b:?}");
        }
        let mut singular = [1.0, 1.0, 1.0, 1.0];
        assert!(!cholesky_solve(&mut singular, &mut [1.0, 2.0], 2));
    }
}
