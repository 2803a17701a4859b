//! End-to-end tests of `lowrank ridge`: the output directory and `ridge.json`, the path against
//! direct solves of the normal equations on the committed ill-conditioned LSQ problem
//! (illc1033), multiple right-hand sides and λ = 0 on rank-deficient input, bad input with its
//! exit codes (and no output left behind), and the examples printed by `lowrank ridge --help`.

mod util;

use faer::linalg::solvers::Solve;
use faer::{Mat, Par};
use lowrank_core::op::{to_dense, DenseOp};
use lowrank_core::ridge::{fit, RidgeParams, Selection};
use std::path::Path;
use util::*;

const A: &str = "mtx/illc1033.mtx";
const B: &str = "mtx/illc1033_rhs1.mtx";

fn read_dense(path: &str) -> Mat<f64> {
    let l = lowrank_io::read_matrix(Path::new(path), &lowrank_io::ReadOptions::default()).unwrap();
    match l.matrix {
        lowrank_io::Matrix::Dense(d) => d,
        lowrank_io::Matrix::Sparse(s) => to_dense(&s, Par::Seq).unwrap(),
    }
}

fn npy_mat(path: &Path) -> Mat<f64> {
    let a = read_npy(path);
    let cols = if a.shape.len() == 2 { a.shape[1] } else { 1 };
    Mat::<f64>::from_fn(a.shape[0], cols, |i, j| a.data[i * cols + j])
}

fn write_f8(path: &Path, rows: usize, cols: usize, f: impl Fn(usize, usize) -> f64) {
    let mut data = Vec::new();
    for i in 0..rows {
        for j in 0..cols {
            data.extend_from_slice(&f(i, j).to_le_bytes());
        }
    }
    std::fs::write(
        path,
        npy_bytes("<f8", false, &format!("({rows}, {cols})"), &data),
    )
    .unwrap();
}

fn max_abs(m: &Mat<f64>) -> f64 {
    m.col_iter()
        .flat_map(|c| c.iter().copied())
        .fold(0.0, |a, x| a.max(x.abs()))
}

/// `(AᵀA + λI)⁻¹Aᵀb` by LU, independent of the SVD.
fn normal_equations(a: &Mat<f64>, b: &Mat<f64>, lambda: f64) -> Mat<f64> {
    let mut g = a.transpose() * a;
    for i in 0..a.ncols() {
        g[(i, i)] += lambda;
    }
    g.partial_piv_lu().solve(a.transpose() * b)
}

#[test]
fn writes_the_output_directory_and_report() {
    let dir = scratch();
    let out = lowrank(dir.path(), ["ridge", &td(A), &td(B), "--out", "r", "-q"]);
    out.ok().stdout_has(&["gcv", "λ =", "written"]);
    let r = dir.path().join("r");
    assert_entries(
        &r,
        &[
            "x.npy",
            "residuals.npy",
            "path.csv",
            "tsvd.csv",
            "ridge.json",
            "gcv.svg",
            "lcurve.svg",
            "path.svg",
        ],
    );
    let j = read_json(&r.join("ridge.json"));
    assert_eq!(j["schema"], "lowrank.ridge/1");
    assert_eq!(j["rows"], 1033);
    assert_eq!(j["columns"], 320);
    assert_eq!(j["method"], "tikhonov");
    assert_eq!(j["chosen"]["how"], "gcv");
    assert_eq!(j["grid"]["count"], 100);
    assert_eq!(j["svd"]["numerical_rank"], 320);
    // σ₁ and the condition number against the reference values in testdata/mtx/README.md
    // (numpy.linalg.svd, 10 digits quoted).
    assert!((num(&j["svd"]["sigma_max"]) - 2.1443545113).abs() < 1e-9);
    assert!((num(&j["svd"]["condition_number"]) / 1.889e4 - 1.0).abs() < 1e-3);
    assert!(num(&j["svd"]["certificate"]["max_residual"]) < 1e-12);
    let lambda = num(&j["chosen"]["lambda"]);
    assert_eq!(lambda, num(&j["gcv"]["lambda"]));
    // The GCV minimum is no larger than any grid value in path.csv.
    let csv = std::fs::read_to_string(r.join("path.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("lambda,residual_norm,solution_norm,dof,gcv,curvature")
    );
    let gcvs: Vec<f64> = lines
        .map(|l| l.split(',').nth(4).unwrap().parse().unwrap())
        .collect();
    assert_eq!(gcvs.len(), 100);
    let gmin = gcvs.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(num(&j["gcv"]["value"]) <= gmin * (1.0 + 1e-12));
    // x.npy solves the ridge problem at the chosen λ, and residuals.npy = b − A·x.
    let a = read_dense(&td(A));
    let b = read_dense(&td(B));
    let x = npy_mat(&r.join("x.npy"));
    assert_eq!(x.shape(), (320, 1));
    let res = npy_mat(&r.join("residuals.npy"));
    let direct_res = &b - &a * &x;
    assert!(max_abs(&(&res - &direct_res)) <= 1e-12 * max_abs(&b));
    let rn = num(&j["chosen"]["residual_norm"]);
    assert!((rn - direct_res.norm_l2()).abs() <= 1e-12 * rn);
    for svg in ["gcv.svg", "lcurve.svg", "path.svg"] {
        let text = std::fs::read_to_string(r.join(svg)).unwrap();
        assert!(
            text.starts_with("<svg") && text.ends_with("</svg>"),
            "{svg}"
        );
        assert!(!text.contains("NaN"), "{svg}");
    }
}

/// The SVD path against direct solves of `(AᵀA + λI)x = Aᵀb` on the committed illc1033
/// (cond(A) = 1.9e4, so cond(AᵀA) = 3.6e8), at λ spanning the default grid.
#[test]
fn path_matches_normal_equations_on_illc1033() {
    let a = read_dense(&td(A));
    let b = read_dense(&td(B));
    let f = fit(
        &DenseOp::new(a.as_ref()),
        b.as_ref(),
        &RidgeParams {
            selection: Selection::FixedLambda(0.0),
            ..RidgeParams::default()
        },
    )
    .unwrap();
    let s = f.solver.singular_values();
    let (s1, sn) = (s[0], s[s.len() - 1]);
    for &l in &[1e-9, 1e-7, 1e-5, 1e-3, 1e-1, 4.0] {
        let x = f.solver.coefficients(l).unwrap();
        let d = normal_equations(&a, &b, l);
        // First-order perturbation bound for both solutions: backward errors of size ε·‖A‖
        // and ε·‖b‖ move x by at most cond·ε·‖x‖ + ε·σ₁·‖b‖/(σ_n² + λ), with
        // cond = (σ₁² + λ)/(σ_n² + λ) (2e8 at λ = 1e-9); LU on AᵀA + λI attains it, the SVD
        // path stays below. The factor 10 covers the growth constants of both factorizations
        // (measured: err/(ε·(…)) from 0.01 at λ = 1e-9 to 4.7 at λ = 4).
        let cond = (s1 * s1 + l) / (sn * sn + l);
        let tol = 10.0 * f64::EPSILON * (cond * max_abs(&d) + s1 * b.norm_l2() / (sn * sn + l));
        let err = max_abs(&(&x - &d));
        assert!(err <= tol, "λ = {l:e}: {err:e} > {tol:e} (cond {cond:.1e})");
        // The closed-form residual norm against the residual formed with A.
        let rn = (&a * &x - &b).norm_l2();
        assert!(
            (f.solver.residual_norm(l) - rn).abs() <= 1e-10 * rn,
            "λ = {l:e}"
        );
    }
    // The CLI at a fixed λ writes the same solution.
    let dir = scratch();
    lowrank(
        dir.path(),
        [
            "ridge",
            &td(A),
            &td(B),
            "--lambda",
            "1e-5",
            "--out",
            "r",
            "-q",
        ],
    )
    .ok();
    let x = npy_mat(&dir.path().join("r/x.npy"));
    let d = normal_equations(&a, &b, 1e-5);
    let cond = (s1 * s1 + 1e-5) / (sn * sn + 1e-5);
    let tol = 10.0 * f64::EPSILON * (cond * max_abs(&d) + s1 * b.norm_l2() / (sn * sn + 1e-5));
    assert!(max_abs(&(&x - &d)) <= tol);
    let j = read_json(&dir.path().join("r/ridge.json"));
    assert_eq!(j["chosen"]["how"], "fixed_lambda");
    assert_eq!(num(&j["chosen"]["lambda"]), 1e-5);
}

#[test]
fn multiple_right_hand_sides_and_lambda_zero_on_rank_deficient_input() {
    let dir = scratch();
    // Rank 3 in 40×8 (planted), two right-hand sides.
    let s = [4.0, 2.0, 1.0];
    let (a, u, v) = lowrank_testkit::planted(40, 8, &s, 5);
    let b = lowrank_testkit::gaussian(40, 2, 6);
    write_f8(&dir.path().join("a.npy"), 40, 8, |i, j| a[(i, j)]);
    write_f8(&dir.path().join("b.npy"), 40, 2, |i, j| b[(i, j)]);
    let out = lowrank(
        dir.path(),
        ["ridge", "a.npy", "b.npy", "--lambda", "0", "--json", "-q"],
    );
    let j = out.ok().json();
    assert_eq!(j["right_hand_sides"], 2);
    assert_eq!(j["svd"]["numerical_rank"], 3);
    lowrank(
        dir.path(),
        [
            "ridge", "a.npy", "b.npy", "--lambda", "0", "--out", "r", "-q",
        ],
    )
    .ok();
    let x = npy_mat(&dir.path().join("r/x.npy"));
    assert_eq!(x.shape(), (8, 2));
    // The minimum-norm least-squares solution A⁺b from the planted factors.
    let pinv = Mat::<f64>::from_fn(8, 40, |i, k| {
        (0..3).map(|l| v[(i, l)] * u[(k, l)] / s[l]).sum()
    });
    let expect = &pinv * &b;
    assert!(x.col_iter().all(|c| c.iter().all(|v| v.is_finite())));
    // σ₃/σ₁ = 1/4: the pseudo-inverse is perfectly conditioned on the kept subspace.
    assert!(max_abs(&(&x - &expect)) <= 1e-12 * max_abs(&expect));
    // A wide problem (m < n) with GCV works too.
    let w = lowrank_testkit::gaussian(10, 30, 9);
    write_f8(&dir.path().join("w.npy"), 10, 30, |i, j| w[(i, j)]);
    write_f8(&dir.path().join("bw.npy"), 10, 1, |i, _| i as f64);
    lowrank(dir.path(), ["ridge", "w.npy", "bw.npy", "-q"]).ok();
}

#[test]
fn bad_inputs_give_clear_errors_and_no_output() {
    let dir = scratch();
    let d = dir.path();
    // b with the wrong number of rows: both files and both counts named.
    write_f8(&d.join("b5.npy"), 5, 1, |i, _| i as f64);
    lowrank(d, ["ridge", &td(A), "b5.npy", "--out", "o", "-q"])
        .code(3)
        .stderr_has(&["b5.npy", "illc1033.mtx"])
        .stderr_has_numbers(&[5, 1033]);
    // NaN in A (CSV), named with its position.
    std::fs::write(d.join("nan.csv"), "1,2\n3,NaN\n5,6\n").unwrap();
    std::fs::write(d.join("b3.csv"), "1\n2\n3\n").unwrap();
    lowrank(d, ["ridge", "nan.csv", "b3.csv", "--out", "o", "-q"])
        .code(3)
        .stderr_has(&["nan.csv"])
        .stderr_has_ci(&["nan"]);
    // NaN in b.
    std::fs::write(d.join("a3.csv"), "1,2\n3,4\n5,7\n").unwrap();
    std::fs::write(d.join("bnan.csv"), "1\nNaN\n3\n").unwrap();
    lowrank(d, ["ridge", "a3.csv", "bnan.csv", "--out", "o", "-q"])
        .code(3)
        .stderr_has(&["bnan.csv"]);
    // Negative λ, a bad grid, --rank with Tikhonov: usage errors before reading anything.
    lowrank(d, ["ridge", &td(A), &td(B), "--lambda", "-1", "--out", "o"])
        .code(2)
        .stderr_has(&["--lambda", "-1"]);
    lowrank(
        d,
        [
            "ridge",
            &td(A),
            &td(B),
            "--lambdas",
            "1:0.1:5",
            "--out",
            "o",
        ],
    )
    .code(2)
    .stderr_has(&["--lambdas"]);
    lowrank(
        d,
        ["ridge", &td(A), &td(B), "--lambdas", "0.1,-2", "--out", "o"],
    )
    .code(2)
    .stderr_has(&["-2"]);
    lowrank(d, ["ridge", &td(A), &td(B), "--rank", "5", "--out", "o"])
        .code(2)
        .stderr_has(&["--rank", "tsvd"]);
    // A TSVD rank above min(m, n).
    lowrank(
        d,
        [
            "ridge",
            &td(A),
            &td(B),
            "--method",
            "tsvd",
            "--rank",
            "321",
            "--out",
            "o",
        ],
    )
    .code(2)
    .stderr_has_numbers(&[321]);
    // A single row: GCV needs at least 2.
    std::fs::write(d.join("a1.csv"), "1,2,3\n").unwrap();
    std::fs::write(d.join("b1.csv"), "4\n").unwrap();
    lowrank(d, ["ridge", "a1.csv", "b1.csv", "--out", "o", "-q"])
        .code(3)
        .stderr_has(&["at least 2 rows"]);
    // ... but a fixed λ works on it.
    lowrank(d, ["ridge", "a1.csv", "b1.csv", "--lambda", "0.1", "-q"]).ok();
    // A missing file.
    lowrank(d, ["ridge", "missing.mtx", &td(B), "--out", "o"]).code(3);
    // Nothing was left behind by any failure.
    assert!(!d.join("o").exists());
    let leftovers: Vec<String> = entries(d)
        .into_iter()
        .filter(|e| e.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
    // An existing output is refused without --force.
    std::fs::create_dir(d.join("taken")).unwrap();
    lowrank(d, ["ridge", &td(A), &td(B), "--out", "taken", "-q"]).code(4);
}

#[test]
fn ridge_help_examples_run_as_written() {
    let dir = scratch();
    let help = lowrank(dir.path(), ["ridge", "--help"]);
    help.ok();
    // Join continuation lines ending in a backslash.
    let mut examples: Vec<String> = Vec::new();
    let mut pending: Option<String> = None;
    for line in help.stdout.lines() {
        if let Some(mut p) = pending.take() {
            p.push(' ');
            p.push_str(line.trim().trim_end_matches('\\').trim());
            if line.trim_end().ends_with('\\') {
                pending = Some(p);
            } else {
                examples.push(p);
            }
            continue;
        }
        if line.starts_with("  lowrank ") {
            assert!(line.len() < 95, "example line too long: {line}");
            let l = line.trim_end();
            if let Some(stripped) = l.strip_suffix('\\') {
                pending = Some(stripped.trim_end().to_string());
            } else {
                examples.push(l.to_string());
            }
        }
    }
    assert!(examples.len() >= 4, "examples: {examples:?}");
    let failures = run_help_examples(dir.path(), &examples, true, |_, out| out.join("ridge.json"));
    assert!(
        failures.is_empty(),
        "failing examples:\n{}",
        failures.join("\n")
    );
}
