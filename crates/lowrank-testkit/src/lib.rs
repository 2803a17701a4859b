//! Test helpers shared by the lowrank crates: matrices with known singular values, spectra
//! families, and sign-invariant comparisons.

use faer::Mat;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// A seeded Gaussian matrix.
pub fn gaussian(rows: usize, cols: usize, seed: u64) -> Mat<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut m = Mat::<f64>::zeros(rows, cols);
    for j in 0..cols {
        for i in 0..rows {
            m[(i, j)] = StandardNormal.sample(&mut rng);
        }
    }
    m
}

/// A random `rows × cols` matrix with orthonormal columns (`cols ≤ rows`).
pub fn orthonormal(rows: usize, cols: usize, seed: u64) -> Mat<f64> {
    assert!(cols <= rows);
    gaussian(rows, cols, seed).qr().compute_thin_Q()
}

/// `U·diag(s)·Vᵀ` with random orthonormal `U` (`m × r`), `V` (`n × r`), `r = s.len()`.
/// Returns the matrix and the factors, so tests can compare against the planted truth.
pub fn planted(m: usize, n: usize, s: &[f64], seed: u64) -> (Mat<f64>, Mat<f64>, Mat<f64>) {
    let r = s.len();
    assert!(r <= m.min(n), "spectrum longer than min(m, n)");
    let u = orthonormal(m, r, seed);
    let v = orthonormal(n, r, seed.wrapping_add(1_000_003));
    let us = Mat::<f64>::from_fn(m, r, |i, j| u[(i, j)] * s[j]);
    let a = &us * v.transpose();
    (a, u, v)
}

/// Spectra families with known singular values (descending).
pub mod spectra {
    /// `σᵢ = top·exp(−i/decay)`.
    pub fn geometric(r: usize, top: f64, decay: f64) -> Vec<f64> {
        (0..r).map(|i| top * (-(i as f64) / decay).exp()).collect()
    }
    /// All equal.
    pub fn flat(r: usize, value: f64) -> Vec<f64> {
        vec![value; r]
    }
    /// Groups of nearly equal values: `groups` clusters of `size`, separated by factors of 10,
    /// spread by `spread` relative inside a cluster.
    pub fn clustered(groups: usize, size: usize, spread: f64) -> Vec<f64> {
        let mut s = Vec::new();
        for g in 0..groups {
            let base = 10f64.powi(-(g as i32));
            for j in 0..size {
                s.push(base * (1.0 - spread * j as f64));
            }
        }
        s
    }
    /// Log-spaced from 1 down to `1/cond`.
    pub fn conditioned(r: usize, cond: f64) -> Vec<f64> {
        if r == 1 {
            return vec![1.0];
        }
        (0..r)
            .map(|i| cond.powf(-(i as f64) / (r as f64 - 1.0)))
            .collect()
    }
}

/// Largest relative error `|σᵢ − σ*ᵢ| / σ*₁` over the common prefix.
pub fn max_sigma_error(s: &[f64], reference: &[f64]) -> f64 {
    let top = reference
        .first()
        .copied()
        .unwrap_or(1.0)
        .max(f64::MIN_POSITIVE);
    s.iter()
        .zip(reference)
        .map(|(a, b)| (a - b).abs() / top)
        .fold(0.0, f64::max)
}

/// `‖sin Θ‖₂` between the column spaces of two orthonormal bases of equal width:
/// `sqrt(1 − σ_min(XᵀY)²)`. Sign and rotation invariant.
pub fn subspace_distance(x: faer::MatRef<'_, f64>, y: faer::MatRef<'_, f64>) -> f64 {
    let c = x.transpose() * y;
    let s = c.singular_values().expect("small SVD");
    let smin = s.iter().copied().fold(f64::INFINITY, f64::min).min(1.0);
    (1.0 - smin * smin).max(0.0).sqrt()
}

/// Path of a file in the repository's `testdata/` folder.
pub fn testdata(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel)
}
