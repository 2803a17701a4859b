//! PCA against an exact eigendecomposition of the covariance matrix, sparse against dense,
//! transform / inverse-transform round trips, whitening, and bad input.
//!
//! Tolerances: on the exact path both sides are backward-stable dense factorizations of the
//! same data (SVD of `Xc` vs. symmetric eigendecomposition of `XcᵀXc/(n−1)`), so eigenvalues
//! agree to about `ε·λ₁` absolute; the test spectrum has `λ₁/λ_min` below 10⁴, which keeps the
//! *relative* error of every eigenvalue below ~10⁻¹², and we ask for 1e-10. Eigenvectors move by
//! about `ε·λ₁/gap`; the smallest relative gap of the planted geometric spectrum is ~0.4, so
//! 1e-9 (absolute, per entry) leaves a wide margin. Lanczos runs to a residual of 1e-10·σ₁,
//! giving σ to about that relative accuracy: 1e-8 on the variances.

#![allow(clippy::needless_range_loop)] // index loops over parallel arrays read best here

use faer::{Mat, MatRef, Par, Side};
use lowrank_core::op::{CsrMatrix, DenseOp, DuplicatePolicy, LinearOperator};
use lowrank_core::pca::{fit, fit_with, ComponentSpec, PcaError, PcaModel, PcaParams, PcaSolver};
use lowrank_core::svd::{Method, SvdParams};
use lowrank_core::NoObserver;
use lowrank_testkit::{planted, spectra};

const M: usize = 80;
const N: usize = 12;

/// A full-rank planted 80×12 matrix with column means 5 + 3j.
fn data() -> Mat<f64> {
    let (a, _, _) = planted(M, N, &spectra::geometric(N, 10.0, 3.0), 7);
    Mat::<f64>::from_fn(M, N, |i, j| a[(i, j)] + 5.0 + 3.0 * j as f64)
}

fn params(components: ComponentSpec, method: Method) -> PcaParams {
    PcaParams {
        components,
        svd: SvdParams {
            method,
            ..SvdParams::default()
        },
        ..PcaParams::default()
    }
}

/// Eigenvalues (descending) and eigenvectors (as rows, sign-normalised) of the covariance of
/// `x` (optionally of its standardised columns, `ddof = 0` scaling).
fn reference(x: MatRef<'_, f64>, scale: bool) -> (Vec<f64>, Mat<f64>) {
    let (m, n) = (x.nrows(), x.ncols());
    let mut xc = x.to_owned();
    for j in 0..n {
        let mu = xc.col(j).iter().sum::<f64>() / m as f64;
        xc.col_mut(j).iter_mut().for_each(|v| *v -= mu);
        if scale {
            let sd = (xc.col(j).iter().map(|v| v * v).sum::<f64>() / m as f64).sqrt();
            xc.col_mut(j).iter_mut().for_each(|v| *v /= sd);
        }
    }
    let c = Mat::<f64>::from_fn(n, n, |i, j| {
        xc.col(i)
            .iter()
            .zip(xc.col(j).iter())
            .map(|(a, b)| a * b)
            .sum::<f64>()
            / (m - 1) as f64
    });
    let eig = c.self_adjoint_eigen(Side::Lower).unwrap();
    let s = eig.S().column_vector();
    let u = eig.U();
    let vals: Vec<f64> = (0..n).rev().map(|i| s[i]).collect();
    let mut vecs = Mat::<f64>::from_fn(n, n, |r, c| u[(c, n - 1 - r)]);
    for r in 0..n {
        let mut best = 0;
        for c in 0..n {
            if vecs[(r, c)].abs() > vecs[(r, best)].abs() {
                best = c;
            }
        }
        if vecs[(r, best)] < 0.0 {
            vecs.row_mut(r).iter_mut().for_each(|v| *v = -*v);
        }
    }
    (vals, vecs)
}

fn max_abs_diff(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> f64 {
    assert_eq!((a.nrows(), a.ncols()), (b.nrows(), b.ncols()));
    let mut d: f64 = 0.0;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            d = d.max((a[(i, j)] - b[(i, j)]).abs());
        }
    }
    d
}

fn check_against_reference(model: &PcaModel, vals: &[f64], vecs: &Mat<f64>, tol_val: f64) {
    let k = model.n_components();
    for i in 0..k {
        let rel = (model.explained_variance[i] - vals[i]).abs() / vals[i];
        assert!(
            rel < tol_val,
            "component {i}: variance {} vs {} (rel {rel:e})",
            model.explained_variance[i],
            vals[i]
        );
    }
    let total: f64 = vals.iter().sum();
    assert!((model.total_variance - total).abs() < 1e-12 * total);
    for i in 0..k {
        let r = model.explained_variance_ratio[i];
        assert!((r - vals[i] / total).abs() < tol_val * r.max(1e-3));
    }
    let d = max_abs_diff(model.components.as_ref(), vecs.as_ref().subrows(0, k));
    assert!(d < 1e-9, "components differ by {d:e}");
}

#[test]
fn matches_covariance_eigendecomposition_exact() {
    let x = data();
    let (vals, vecs) = reference(x.as_ref(), false);
    let model = fit(
        &DenseOp::new(x.as_ref()),
        &params(ComponentSpec::Count(5), Method::Exact),
    )
    .unwrap();
    assert_eq!(model.n_components(), 5);
    for j in 0..N {
        assert!((model.mean[j] - x.col(j).iter().sum::<f64>() / M as f64).abs() < 1e-12);
    }
    check_against_reference(&model, &vals, &vecs, 1e-10);
    // noise variance: the mean of the discarded eigenvalues.
    let noise = vals[5..].iter().sum::<f64>() / (N - 5) as f64;
    assert!((model.noise_variance - noise).abs() < 1e-10 * vals[0]);
}

#[test]
fn matches_covariance_eigendecomposition_truncated_methods() {
    let x = data();
    let (vals, vecs) = reference(x.as_ref(), false);
    for method in [Method::Lanczos, Method::Randomized] {
        let mut p = params(ComponentSpec::Count(3), method);
        p.svd.oversamples = 2;
        let model = fit(&DenseOp::new(x.as_ref()), &p).unwrap();
        let k = model.n_components();
        for i in 0..k {
            let rel = (model.explained_variance[i] - vals[i]).abs() / vals[i];
            assert!(rel < 1e-8, "{method:?} component {i}: rel {rel:e}");
        }
        let d = max_abs_diff(model.components.as_ref(), vecs.as_ref().subrows(0, k));
        assert!(d < 1e-6, "{method:?}: components differ by {d:e}");
    }
}

#[test]
fn scaled_matches_correlation_eigendecomposition() {
    let x = data();
    let (vals, vecs) = reference(x.as_ref(), true);
    let mut p = params(ComponentSpec::Count(N), Method::Exact);
    p.scale = true;
    let model = fit(&DenseOp::new(x.as_ref()), &p).unwrap();
    check_against_reference(&model, &vals, &vecs, 1e-10);
    // ddof = 0 scaling: total variance is n_features·m/(m−1).
    let expected = N as f64 * M as f64 / (M - 1) as f64;
    assert!((model.total_variance - expected).abs() < 1e-12 * expected);
    let scale = model.scale.as_ref().unwrap();
    assert_eq!(scale.len(), N);
}

#[test]
fn ratios_over_all_components_sum_to_one() {
    let x = data();
    let model = fit(
        &DenseOp::new(x.as_ref()),
        &params(ComponentSpec::Count(N), Method::Auto),
    )
    .unwrap();
    let sum: f64 = model.explained_variance_ratio.iter().sum();
    assert!((sum - 1.0).abs() < 1e-12, "sum {sum}");
    assert!((model.cumulative_ratio()[N - 1] - 1.0).abs() < 1e-12);
    assert_eq!(model.noise_variance, 0.0);
    // With fewer components the ratios are still relative to the whole variance.
    let small = fit(
        &DenseOp::new(x.as_ref()),
        &params(ComponentSpec::Count(2), Method::Auto),
    )
    .unwrap();
    for i in 0..2 {
        assert!(
            (small.explained_variance_ratio[i] - model.explained_variance_ratio[i]).abs() < 1e-12
        );
    }
    assert!(small.explained_variance_ratio.iter().sum::<f64>() < 0.99);
}

#[test]
fn variance_ratio_chooses_smallest_k() {
    let x = data();
    let (vals, _) = reference(x.as_ref(), false);
    let total: f64 = vals.iter().sum();
    for f in [0.5, 0.9, 0.99] {
        let mut acc = 0.0;
        let mut expected = 0;
        for (i, v) in vals.iter().enumerate() {
            acc += v / total;
            if acc >= f {
                expected = i + 1;
                break;
            }
        }
        for method in [Method::Exact, Method::Lanczos] {
            let model = fit(
                &DenseOp::new(x.as_ref()),
                &params(ComponentSpec::VarianceRatio(f), method),
            )
            .unwrap();
            assert_eq!(model.n_components(), expected, "f = {f}, {method:?}");
            assert!(model.cumulative_ratio()[expected - 1] >= f);
        }
    }
    let auto = fit(
        &DenseOp::new(x.as_ref()),
        &params(ComponentSpec::Auto, Method::Auto),
    )
    .unwrap();
    assert!(auto.cumulative_ratio().last().unwrap() >= &0.95);
    assert!(auto.n_components() == 1 || auto.cumulative_ratio()[auto.n_components() - 2] < 0.95);
}

/// A sparse 60×15 matrix (about 30% non-zeros) and its dense copy.
fn sparse_and_dense() -> (CsrMatrix, Mat<f64>) {
    let (m, n) = (60, 15);
    let g = lowrank_testkit::gaussian(m, n, 11);
    let dense = Mat::<f64>::from_fn(m, n, |i, j| {
        if (i * 7 + j * 13) % 10 < 3 {
            g[(i, j)] + 1.0 + j as f64 * 0.5
        } else {
            0.0
        }
    });
    let (mut r, mut c, mut v) = (vec![], vec![], vec![]);
    for i in 0..m {
        for j in 0..n {
            if dense[(i, j)] != 0.0 {
                r.push(i);
                c.push(j);
                v.push(dense[(i, j)]);
            }
        }
    }
    let csr = CsrMatrix::from_triplets(m, n, &r, &c, &v, DuplicatePolicy::Error).unwrap();
    (csr, dense)
}

#[test]
fn sparse_input_matches_its_dense_copy() {
    let (csr, dense) = sparse_and_dense();
    let (vals, vecs) = reference(dense.as_ref(), false);
    for scale in [false, true] {
        let mut p = params(ComponentSpec::Count(6), Method::Exact);
        p.scale = scale;
        let d = fit(&DenseOp::new(dense.as_ref()), &p).unwrap();
        let s = fit(&csr, &p).unwrap();
        for i in 0..6 {
            let rel =
                (d.explained_variance[i] - s.explained_variance[i]).abs() / d.explained_variance[i];
            assert!(rel < 1e-10, "scale={scale} component {i}: rel {rel:e}");
        }
        assert!((d.total_variance - s.total_variance).abs() < 1e-10 * d.total_variance);
        let diff = max_abs_diff(d.components.as_ref(), s.components.as_ref());
        assert!(diff < 1e-9, "scale={scale}: components differ by {diff:e}");
        for j in 0..15 {
            assert!((d.mean[j] - s.mean[j]).abs() < 1e-12);
        }
        if !scale {
            check_against_reference(&s, &vals, &vecs, 1e-10);
        }
    }
    // Lanczos on the implicitly centred sparse operator (never densified).
    let p = params(ComponentSpec::Count(3), Method::Lanczos);
    let fitted = fit_with(&csr, &p, &mut NoObserver).unwrap();
    assert_eq!(fitted.info.method, Method::Lanczos);
    for i in 0..3 {
        let rel = (fitted.model.explained_variance[i] - vals[i]).abs() / vals[i];
        assert!(rel < 1e-8, "lanczos component {i}: rel {rel:e}");
    }
}

#[test]
fn transform_inverse_round_trip_full_rank() {
    let x = data();
    for (scale, whiten) in [(false, false), (true, false), (false, true), (true, true)] {
        let mut p = params(ComponentSpec::Count(N), Method::Exact);
        p.scale = scale;
        p.whiten = whiten;
        let fitted = fit_with(&DenseOp::new(x.as_ref()), &p, &mut NoObserver).unwrap();
        let coords = fitted.model.transform(x.as_ref()).unwrap();
        // The training scores returned by the fit are the same coordinates.
        let d = max_abs_diff(coords.as_ref(), fitted.scores.as_ref());
        assert!(
            d < 1e-10,
            "scale={scale} whiten={whiten}: scores differ by {d:e}"
        );
        let back = fitted.model.inverse_transform(coords.as_ref()).unwrap();
        let d = max_abs_diff(back.as_ref(), x.as_ref());
        assert!(
            d < 1e-10,
            "scale={scale} whiten={whiten}: round trip off by {d:e}"
        );
    }
}

#[test]
fn whitened_coordinates_have_unit_variance() {
    let x = data();
    let mut p = params(ComponentSpec::Count(5), Method::Exact);
    p.whiten = true;
    let model = fit(&DenseOp::new(x.as_ref()), &p).unwrap();
    let y = model.transform(x.as_ref()).unwrap();
    for c in 0..5 {
        let mean = y.col(c).iter().sum::<f64>() / M as f64;
        let var = y.col(c).iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (M - 1) as f64;
        assert!(mean.abs() < 1e-12, "component {c}: mean {mean:e}");
        assert!((var - 1.0).abs() < 1e-10, "component {c}: variance {var}");
    }
    // Uncorrelated too.
    let cov01 = y
        .col(0)
        .iter()
        .zip(y.col(1).iter())
        .map(|(a, b)| a * b)
        .sum::<f64>()
        / (M - 1) as f64;
    assert!(cov01.abs() < 1e-10);
}

#[test]
fn constant_column_with_scale_is_an_error_naming_it() {
    let mut x = data();
    x.col_mut(4).iter_mut().for_each(|v| *v = 7.25);
    let mut p = params(ComponentSpec::Count(3), Method::Exact);
    p.scale = true;
    let err = fit(&DenseOp::new(x.as_ref()), &p).unwrap_err();
    assert!(
        matches!(err, PcaError::ConstantColumn { column: 4, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("column 4") && msg.contains("7.25"), "{msg}");
    // Without scaling a constant column is fine.
    p.scale = false;
    assert!(fit(&DenseOp::new(x.as_ref()), &p).is_ok());
    // The same on sparse storage: an all-zero (never stored) column 3.
    let (csr, dense) = sparse_and_dense();
    let (mut r, mut c, mut v) = (vec![], vec![], vec![]);
    for i in 0..dense.nrows() {
        for j in 0..dense.ncols() {
            if j != 3 && dense[(i, j)] != 0.0 {
                r.push(i);
                c.push(j);
                v.push(dense[(i, j)]);
            }
        }
    }
    let holed =
        CsrMatrix::from_triplets(csr.nrows(), csr.ncols(), &r, &c, &v, DuplicatePolicy::Error)
            .unwrap();
    p.scale = true;
    let err = fit(&holed, &p).unwrap_err();
    assert!(
        matches!(err, PcaError::ConstantColumn { column: 3, .. }),
        "{err:?}"
    );
}

#[test]
fn single_sample_is_an_error() {
    let x = Mat::<f64>::from_fn(1, 5, |_, j| j as f64);
    let err = fit(
        &DenseOp::new(x.as_ref()),
        &params(ComponentSpec::Count(1), Method::Auto),
    )
    .unwrap_err();
    assert!(
        matches!(err, PcaError::TooFewSamples { n_samples: 1 }),
        "{err:?}"
    );
    assert!(err.to_string().contains("at least 2 samples"));
}

#[test]
fn too_many_components_is_an_error() {
    let x = data();
    let err = fit(
        &DenseOp::new(x.as_ref()),
        &params(ComponentSpec::Count(N + 1), Method::Auto),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            PcaError::TooManyComponents {
                requested: 13,
                max: 12,
                ..
            }
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("13") && msg.contains("12"), "{msg}");
    // Zero components and a bad ratio are refused too.
    assert!(fit(
        &DenseOp::new(x.as_ref()),
        &params(ComponentSpec::Count(0), Method::Auto)
    )
    .is_err());
    assert!(fit(
        &DenseOp::new(x.as_ref()),
        &params(ComponentSpec::VarianceRatio(1.5), Method::Auto)
    )
    .is_err());
}

#[test]
fn transform_checks_widths() {
    let x = data();
    let model = fit(
        &DenseOp::new(x.as_ref()),
        &params(ComponentSpec::Count(3), Method::Exact),
    )
    .unwrap();
    let wrong = Mat::<f64>::zeros(4, N + 2);
    let err = model.transform(wrong.as_ref()).unwrap_err();
    assert!(err.to_string().contains("14") && err.to_string().contains("12"));
    let wrong = Mat::<f64>::zeros(4, 5);
    assert!(model.inverse_transform(wrong.as_ref()).is_err());
    model.validate().unwrap();
}

// ---- The covariance solver (tall dense input) ----
//
// Tolerances: C = XcᵀXc is formed with rounding about ε·m·‖Xc‖² per entry, so its eigenvectors
// are off by about ε·m·λ₁/gap (~1e-12 here: m ≤ 6000, λ₁/gap below 100); the Rayleigh–Ritz step
// takes σ from Xc·V₀, which makes the variances second order in that angle — as accurate as the
// exact SVD path, so the same 1e-10 (variances, relative) and 1e-9 (axes) as above.

/// A tall planted matrix (`m × 12`) with column means `offset + 3j`.
fn tall(m: usize, offset: f64, seed: u64) -> Mat<f64> {
    let (a, _, _) = planted(
        m,
        N,
        &spectra::geometric(N, 10.0 * (m as f64).sqrt(), 3.0),
        seed,
    );
    Mat::<f64>::from_fn(m, N, |i, j| a[(i, j)] + offset + 3.0 * j as f64)
}

#[test]
fn auto_uses_the_covariance_for_tall_dense_input_and_matches_the_eigendecomposition() {
    let x = tall(400, 5.0, 21);
    let (vals, vecs) = reference(x.as_ref(), false);
    let f = fit_with(
        &DenseOp::new(x.as_ref()),
        &params(ComponentSpec::Count(5), Method::Auto),
        &mut NoObserver,
    )
    .unwrap();
    assert_eq!(f.solver, PcaSolver::Covariance);
    check_against_reference(&f.model, &vals, &vecs, 1e-10);
    for j in 0..N {
        let mu = x.col(j).iter().sum::<f64>() / 400.0;
        assert!((f.model.mean[j] - mu).abs() < 1e-12 * mu.abs());
    }
    let cert = f.certificate.unwrap();
    assert!(
        cert.max_residual < 1e-12,
        "residual {:e}",
        cert.max_residual
    );
    // Scores are the centred rows projected on the axes.
    let coords = f.model.transform(x.as_ref()).unwrap();
    assert!(max_abs_diff(coords.as_ref(), f.scores.as_ref()) < 1e-9 * vals[0].sqrt());
    // A square-ish or explicitly-methoded input keeps the SVD.
    let g = fit_with(
        &DenseOp::new(x.as_ref()),
        &params(ComponentSpec::Count(5), Method::Exact),
        &mut NoObserver,
    )
    .unwrap();
    assert_eq!(g.solver, PcaSolver::Svd);
    let short = data();
    let h = fit_with(
        &DenseOp::new(short.as_ref()),
        &params(ComponentSpec::Count(5), Method::Auto),
        &mut NoObserver,
    )
    .unwrap();
    assert_eq!(h.solver, PcaSolver::Svd);
}

#[test]
fn covariance_solver_scaled_and_by_variance_ratio() {
    let x = tall(500, 2.0, 22);
    let mut p = params(ComponentSpec::Count(4), Method::Auto);
    p.solver = PcaSolver::Covariance;
    p.scale = true;
    let (vals, vecs) = reference(x.as_ref(), true);
    let model = fit(&DenseOp::new(x.as_ref()), &p).unwrap();
    check_against_reference(&model, &vals, &vecs, 1e-10);
    // Rank by variance ratio: the same k as the exact SVD path.
    for f in [0.5, 0.9, 0.99] {
        let mut pc = params(ComponentSpec::VarianceRatio(f), Method::Auto);
        pc.solver = PcaSolver::Covariance;
        let c = fit(&DenseOp::new(x.as_ref()), &pc).unwrap();
        let e = fit(
            &DenseOp::new(x.as_ref()),
            &params(ComponentSpec::VarianceRatio(f), Method::Exact),
        )
        .unwrap();
        assert_eq!(c.n_components(), e.n_components(), "f = {f}");
    }
}

/// Means of 1e6 against a spread of about 1: forming `XᵀX − m·μμᵀ` would cancel about 12
/// digits. The solver shifts by the mean of the first 4096 rows, so with 6000 rows the
/// correction is tiny and the variances stay accurate to the same 1e-10.
#[test]
fn covariance_solver_survives_large_means() {
    let x = tall(6000, 1e6, 23);
    let (vals, vecs) = reference(x.as_ref(), false);
    let mut p = params(ComponentSpec::Count(6), Method::Auto);
    p.solver = PcaSolver::Covariance;
    let model = fit(&DenseOp::new(x.as_ref()), &p).unwrap();
    check_against_reference(&model, &vals, &vecs, 1e-10);
}

#[test]
fn covariance_solver_gives_the_same_bits_on_any_thread_count() {
    let x = tall(9000, 3.0, 24);
    let run = |par: Par| {
        let mut p = params(ComponentSpec::Count(6), Method::Auto);
        p.svd.par = par;
        let f = fit_with(&DenseOp::new(x.as_ref()), &p, &mut NoObserver).unwrap();
        assert_eq!(f.solver, PcaSolver::Covariance);
        f.model
    };
    let one = run(Par::Seq);
    for threads in [2, 3] {
        let other = run(Par::rayon(threads));
        let bits = |m: &PcaModel| -> Vec<u64> {
            let mut b: Vec<u64> = m.explained_variance.iter().map(|v| v.to_bits()).collect();
            b.extend(m.mean.iter().map(|v| v.to_bits()));
            for j in 0..m.components.ncols() {
                b.extend(m.components.col(j).iter().map(|v| v.to_bits()));
            }
            b
        };
        let mb = |m: &PcaModel| m.mean.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        let eb = |m: &PcaModel| {
            m.explained_variance
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>()
        };
        assert!(mb(&one) == mb(&other), "{threads} threads: means differ");
        assert!(
            eb(&one) == eb(&other),
            "{threads} threads: variances differ {:?} {:?}",
            one.explained_variance,
            other.explained_variance
        );
        assert!(bits(&one) == bits(&other), "{threads} threads differ");
    }
}

#[test]
fn covariance_solver_refuses_sparse_input() {
    let (csr, _) = sparse_and_dense();
    let mut p = params(ComponentSpec::Count(3), Method::Auto);
    p.solver = PcaSolver::Covariance;
    let e = fit(&csr, &p).unwrap_err();
    assert!(
        matches!(e, PcaError::InvalidParameter { name: "solver", .. }),
        "{e}"
    );
}

// The lanczos solver: block Lanczos on the covariance operator (never formed), then
// Rayleigh–Ritz on the centred data from the kept images.

/// `m × n`: a planted rank-20 signal (σ decaying by a factor `e^(1/3.8) ≈ 1.3` per component,
/// from `10·√m`), noise of size 1e-3 and column means `4 + j/10`.
fn signal_plus_noise(m: usize, n: usize, seed: u64) -> Mat<f64> {
    let (a, _, _) = planted(
        m,
        n,
        &spectra::geometric(20, 10.0 * (m as f64).sqrt(), 3.8),
        seed,
    );
    let noise = lowrank_testkit::gaussian(m, n, seed + 1);
    Mat::<f64>::from_fn(m, n, |i, j| {
        a[(i, j)] + 1e-3 * noise[(i, j)] + 4.0 + j as f64 / 10.0
    })
}

fn lanczos_params(k: usize, tol: f64) -> PcaParams {
    let mut p = params(ComponentSpec::Count(k), Method::Auto);
    p.solver = PcaSolver::Lanczos;
    p.svd.tol = tol;
    p
}

/// Against the exact eigendecomposition of the covariance. With `tol = 1e-12` every triplet has
/// `‖A_cᵀuᵢ − σᵢvᵢ‖ ≤ 1e-12·σ₁`, so an axis is off by at most that over the relative gap
/// `σᵢ·(1 − 1/1.3²)`: with `σ₈/σ₁ = 1.3⁻⁷` that is 1.5e-11 (we ask for 1e-9), and the variances,
/// from a Rayleigh–Ritz step on `A_c`, are second order in it (we ask for 1e-10 as for the other
/// solvers). The eight wanted triplets are within `σ₁/σ₈ ≈ 6` of each other, well above the
/// `ε·σ₁²` floor under which the solver would decline.
#[test]
fn lanczos_solver_matches_the_eigendecomposition() {
    let x = signal_plus_noise(3000, 300, 31);
    let (vals, vecs) = reference(x.as_ref(), false);
    let f = fit_with(
        &DenseOp::new(x.as_ref()),
        &lanczos_params(8, 1e-12),
        &mut NoObserver,
    )
    .unwrap();
    assert_eq!(f.solver, PcaSolver::Lanczos, "{:?}", f.info.notes);
    assert!(
        f.info.variant.contains("block Lanczos"),
        "{}",
        f.info.variant
    );
    check_against_reference(&f.model, &vals, &vecs, 1e-10);
    let coords = f.model.transform(x.as_ref()).unwrap();
    assert!(max_abs_diff(coords.as_ref(), f.scores.as_ref()) < 1e-9 * vals[0].sqrt());
    // By variance ratio: the same number of components as the exact SVD path.
    for frac in [0.5, 0.9, 0.99] {
        let mut p = lanczos_params(1, 1e-10);
        p.components = ComponentSpec::VarianceRatio(frac);
        let l = fit_with(&DenseOp::new(x.as_ref()), &p, &mut NoObserver).unwrap();
        assert_eq!(l.solver, PcaSolver::Lanczos, "{frac}: {:?}", l.info.notes);
        let e = fit(
            &DenseOp::new(x.as_ref()),
            &params(ComponentSpec::VarianceRatio(frac), Method::Exact),
        )
        .unwrap();
        assert_eq!(l.model.n_components(), e.n_components(), "fraction {frac}");
    }
}

/// The certificate comes from the products the solver kept, not from fresh passes: it must
/// still be what explicit products with the centred matrix give. Both are sums of the same
/// terms in different orders, so they agree to rounding (about `ε·√m·‖A‖` relative to σ₁,
/// 1e-14 here), far below the residuals (up to the 1e-10 tolerance) they certify.
#[test]
fn lanczos_solver_certificate_matches_explicit_residuals() {
    let x = signal_plus_noise(2000, 300, 32);
    let f = fit_with(
        &DenseOp::new(x.as_ref()),
        &lanczos_params(10, 1e-10),
        &mut NoObserver,
    )
    .unwrap();
    assert_eq!(f.solver, PcaSolver::Lanczos);
    let cert = f.certificate.as_ref().unwrap();
    let (m, n) = x.shape();
    let xc = Mat::<f64>::from_fn(m, n, |i, j| x[(i, j)] - f.model.mean[j]);
    let s = &f.model.singular_values;
    let v = f.model.components.transpose().to_owned();
    // U from the scores: scores = U·Σ.
    let u = Mat::<f64>::from_fn(m, s.len(), |i, c| f.scores[(i, c)] / s[c]);
    let av = &xc * &v;
    let atu = xc.transpose() * &u;
    for i in 0..s.len() {
        let r_av = (0..m)
            .map(|r| (av[(r, i)] - s[i] * u[(r, i)]).powi(2))
            .sum::<f64>()
            .sqrt()
            / s[0];
        let r_atu = (0..n)
            .map(|r| (atu[(r, i)] - s[i] * v[(r, i)]).powi(2))
            .sum::<f64>()
            .sqrt()
            / s[0];
        assert!(
            (r_av - cert.residual_av[i]).abs() < 1e-13,
            "{i}: ‖Av − σu‖ {r_av:e} vs {:e}",
            cert.residual_av[i]
        );
        assert!(
            (r_atu - cert.residual_atu[i]).abs() < 1e-13,
            "{i}: ‖Aᵀu − σv‖ {r_atu:e} vs {:e}",
            cert.residual_atu[i]
        );
        assert!(
            r_atu <= 1e-10 + 1e-13,
            "{i}: residual {r_atu:e} above the tolerance"
        );
    }
    assert!(cert.orthogonality_loss_u < 1e-12 && cert.orthogonality_loss_v < 1e-12);
}

#[test]
fn lanczos_solver_gives_the_same_bits_on_any_thread_count() {
    let x = signal_plus_noise(5000, 260, 33);
    let run = |par: Par| {
        let mut p = lanczos_params(6, 1e-10);
        p.svd.par = par;
        let f = fit_with(&DenseOp::new(x.as_ref()), &p, &mut NoObserver).unwrap();
        assert_eq!(f.solver, PcaSolver::Lanczos);
        let mut bits: Vec<u64> = f
            .model
            .explained_variance
            .iter()
            .map(|v| v.to_bits())
            .collect();
        for j in 0..f.model.components.ncols() {
            bits.extend(f.model.components.col(j).iter().map(|v| v.to_bits()));
        }
        for j in 0..f.scores.ncols() {
            bits.extend(f.scores.col(j).iter().map(|v| v.to_bits()));
        }
        bits
    };
    let one = run(Par::Seq);
    for threads in [2, 3] {
        assert!(one == run(Par::rayon(threads)), "{threads} threads differ");
    }
}

/// Pure noise has no gap after the wanted components: the basis reaches its cap (256 columns
/// of 1200) before the top 10 settle, and the SVD solver takes over, saying so.
#[test]
fn lanczos_solver_falls_back_to_the_svd_without_a_gap() {
    let noise = lowrank_testkit::gaussian(2400, 1200, 34);
    let f = declined_fit(
        noise.as_ref(),
        lanczos_params(10, 1e-10),
        "did not converge within 256 basis columns",
    );
    // The fallback's answer is as good as the SVD solver's own.
    let mut p = params(ComponentSpec::Count(10), Method::Auto);
    p.solver = PcaSolver::Svd;
    let g = fit_with(&DenseOp::new(noise.as_ref()), &p, &mut NoObserver).unwrap();
    assert_eq!(f.model.explained_variance, g.model.explained_variance);
}

/// Components far below σ₁ (here σ₈/σ₁ = e^(−7/1.3) ≈ 0.005, so a residual of 1e-12·σ₁·σ₈ is
/// under the `ε·σ₁²` rounding of `A_cᵀA_c`) cannot be certified through the covariance
/// operator: the solver declines, the SVD solver runs on `A_c` itself, and the notes say why.
#[test]
fn lanczos_solver_declines_components_below_its_floor() {
    let (a, _, _) = planted(3000, 300, &spectra::geometric(20, 500.0, 1.3), 35);
    let x = Mat::<f64>::from_fn(3000, 300, |i, j| a[(i, j)] + 2.0);
    declined_fit(
        x.as_ref(),
        lanczos_params(8, 1e-12),
        "cannot certify component",
    );
}

/// A fit the lanczos solver hands over to the svd solver, with a note containing `why`.
fn declined_fit(x: MatRef<'_, f64>, params: PcaParams, why: &str) -> lowrank_core::pca::PcaFit {
    let f = fit_with(&DenseOp::new(x), &params, &mut NoObserver).unwrap();
    assert_eq!(f.solver, PcaSolver::Svd);
    assert!(
        f.info.notes.iter().any(|n| n.contains(why)),
        "{:?}",
        f.info.notes
    );
    f
}

/// With few features the basis reaches all of them (four blocks of 16 and one of 6 for 70 features):
/// the space is then complete and the Rayleigh–Ritz step exact, even for pure noise, which has
/// no gap for the Krylov space to exploit. Same 1e-10 / 1e-9 as the exact solvers.
#[test]
fn lanczos_solver_is_exact_when_the_basis_spans_every_feature() {
    let noise = lowrank_testkit::gaussian(600, 70, 36);
    let x = Mat::<f64>::from_fn(600, 70, |i, j| noise[(i, j)] + j as f64);
    let (vals, vecs) = reference(x.as_ref(), false);
    let f = fit_with(
        &DenseOp::new(x.as_ref()),
        &lanczos_params(5, 1e-10),
        &mut NoObserver,
    )
    .unwrap();
    assert_eq!(f.solver, PcaSolver::Lanczos, "{:?}", f.info.notes);
    assert_eq!(f.info.subspace_dim, 70);
    check_against_reference(&f.model, &vals, &vecs, 1e-10);
}

/// Block Lanczos reads the column statistics off its first pass: the pass centres its copy on
/// the mean of 1024 sampled rows (16 runs of 64) and the exact mean, sums of squares and
/// products follow by rank-one corrections. A column whose sampled rows mislead (the sample
/// mean more than a standard deviation off) sends it back to the exact two-pass statistics.
/// Both must give the eigendecomposition's answer, here under an offset of 10⁴ that the
/// corrections must not lose digits to; the phases say which ran. The same holds when the pass
/// reads `A` in place (means near zero) and when the sample makes that look safer than it is.
#[test]
fn lanczos_reads_the_statistics_off_its_first_pass_unless_the_sample_misleads() {
    let (m, n) = (8000, 800);
    let mut x = signal_plus_noise(m, n, 43);
    for j in 0..n {
        for i in 0..m {
            x[(i, j)] += 1e4;
        }
    }
    // A constant column: its sample mean may be off by rounding, which must not count as a
    // misleading sample.
    for i in 0..m {
        x[(i, 5)] = 0.1;
    }
    let mut p = params(ComponentSpec::Count(6), Method::Auto);
    p.solver = PcaSolver::Lanczos;
    let fused = "column statistics and the first pass over A (one read)";
    let exact_mean = |x: &Mat<f64>, j: usize| x.col(j).iter().sum::<f64>() / m as f64;

    let f = fit_with(&DenseOp::new(x.as_ref()), &p, &mut NoObserver).unwrap();
    assert_eq!(f.solver, PcaSolver::Lanczos, "{:?}", f.info.notes);
    assert!(
        f.info.phases.iter().any(|ph| ph.phase == fused),
        "{:?}",
        f.info.phases
    );
    let (vals, vecs) = reference(x.as_ref(), false);
    check_against_reference(&f.model, &vals, &vecs, 1e-10);
    for j in 0..n {
        let mu = exact_mean(&x, j);
        // Relative to the offset (the constant column 0.1 is summed inexactly by the reference).
        assert!((f.model.mean[j] - mu).abs() <= 1e-13 * 1e4, "mean {j}");
    }

    // Column 3 shifted by 100 everywhere except on the sampled runs: the sample mean is off by
    // about 87, its standard deviation is about 33.
    let sampled =
        |i: usize| (0..16).any(|r| (r * (m - 64) / 15..r * (m - 64) / 15 + 64).contains(&i));
    for i in (0..m).filter(|&i| !sampled(i)) {
        x[(i, 3)] += 100.0;
    }
    let g = fit_with(&DenseOp::new(x.as_ref()), &p, &mut NoObserver).unwrap();
    assert_eq!(g.solver, PcaSolver::Lanczos, "{:?}", g.info.notes);
    assert!(
        g.info
            .phases
            .iter()
            .any(|ph| ph.phase == "column statistics"),
        "{:?}",
        g.info.phases
    );
    let (vals, vecs) = reference(x.as_ref(), false);
    check_against_reference(&g.model, &vals, &vecs, 1e-10);
    assert!((g.model.mean[3] - exact_mean(&x, 3)).abs() <= 1e-13 * 1e4);

    // Means near zero: the first pass reads A in place, which the sample allows when every
    // sampled mean is within 16 sampled standard deviations of zero, and the exact statistics
    // must confirm. Column 7 is 1000 everywhere except on the sampled rows, where it
    // alternates 1000 ± 100: the sample sees a mean 10 deviations out, the whole column 28
    // (its deviation is 100·√(1024/8000) ≈ 36), so the fit falls back to the exact statistics.
    let mut y = signal_plus_noise(m, n, 44);
    for j in 0..n {
        for i in 0..m {
            y[(i, j)] -= 4.0 + j as f64 / 10.0;
        }
    }
    let h = fit_with(&DenseOp::new(y.as_ref()), &p, &mut NoObserver).unwrap();
    assert!(
        h.info.phases.iter().any(|ph| ph.phase == fused),
        "{:?}",
        h.info.phases
    );
    let (vals, vecs) = reference(y.as_ref(), false);
    check_against_reference(&h.model, &vals, &vecs, 1e-10);
    for i in 0..m {
        y[(i, 7)] = if sampled(i) {
            1000.0 + if i % 2 == 0 { 100.0 } else { -100.0 }
        } else {
            1000.0
        };
    }
    let e = fit_with(&DenseOp::new(y.as_ref()), &p, &mut NoObserver).unwrap();
    assert!(
        e.info
            .phases
            .iter()
            .any(|ph| ph.phase == "column statistics"),
        "{:?}",
        e.info.phases
    );
    let (vals, vecs) = reference(y.as_ref(), false);
    check_against_reference(&e.model, &vals, &vecs, 1e-10);
}

/// `auto` on covariance ground (tall, dense, ≤ 1000 features) with room for the components in
/// a basis of `n/8` columns to the nearest block (96 for 800 features) tries block Lanczos
/// first: on a signal plus noise it converges and
/// matches the eigendecomposition (same tolerances as the lanczos solver's test above: the
/// default `tol` 1e-10 against gaps of a factor 1.3); on pure noise (no gap) it cannot converge
/// within that budget and the covariance solver answers, saying why. Too few features for the
/// budget (the 12-feature tests above) keep the covariance directly.
#[test]
fn auto_tries_block_lanczos_within_half_the_covariance_then_the_covariance() {
    let x = signal_plus_noise(8000, 800, 41);
    let (vals, vecs) = reference(x.as_ref(), false);
    let f = fit_with(
        &DenseOp::new(x.as_ref()),
        &params(ComponentSpec::Count(6), Method::Auto),
        &mut NoObserver,
    )
    .unwrap();
    assert_eq!(f.solver, PcaSolver::Lanczos, "{:?}", f.info.notes);
    assert!(
        f.info.reason.contains("block Lanczos first"),
        "{}",
        f.info.reason
    );
    assert!(f.info.subspace_dim <= 96, "basis {}", f.info.subspace_dim);
    check_against_reference(&f.model, &vals, &vecs, 1e-10);

    let noise = lowrank_testkit::gaussian(8000, 800, 42);
    let (vals, vecs) = reference(noise.as_ref(), false);
    let g = fit_with(
        &DenseOp::new(noise.as_ref()),
        &params(ComponentSpec::Count(6), Method::Auto),
        &mut NoObserver,
    )
    .unwrap();
    assert_eq!(g.solver, PcaSolver::Covariance, "{:?}", g.info.notes);
    assert!(
        g.info
            .notes
            .iter()
            .any(|n| n.contains("did not converge") && n.contains("covariance")),
        "{:?}",
        g.info.notes
    );
    // Noise has no gap: the axes are ill-determined, the variances are not.
    for (a, b) in g.model.explained_variance.iter().zip(&vals) {
        assert!((a - b).abs() <= 1e-10 * b, "{a} vs {b}");
    }
    let _ = vecs;

    // Scaling to unit variance makes two products per step: the covariance directly.
    let mut scaled = params(ComponentSpec::Count(6), Method::Auto);
    scaled.scale = true;
    let h = fit_with(&DenseOp::new(x.as_ref()), &scaled, &mut NoObserver).unwrap();
    assert_eq!(h.solver, PcaSolver::Covariance);
}
