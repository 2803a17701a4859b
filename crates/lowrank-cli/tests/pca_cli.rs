//! End-to-end tests of `lowrank pca`: the model directory `fit` writes and its `pca.json`,
//! agreement of `transform` with the library and with the stored variances, the
//! inverse-transform round trip, bad input with its exit codes, and the examples printed by
//! `lowrank pca --help`.
//!
//! Every command runs in its own temporary directory (its current directory), with absolute
//! paths to the fixtures in `testdata/`. Every run also checks that stderr shows no panic.

mod util;

use faer::Mat;
use lowrank_core::op::DenseOp;
use lowrank_core::pca::{fit, ComponentSpec, PcaParams};
use lowrank_core::svd::{Method, SvdParams};
use serde_json::Value;
use std::path::Path;
use util::*;

const DENSE_NPY: &str = "dense/lowrank_300x80.npy";

fn dense_fixture() -> Mat<f64> {
    let a = read_npy(Path::new(&td(DENSE_NPY)));
    assert_eq!(a.shape, vec![300, 80]);
    Mat::<f64>::from_fn(a.nrows(), a.ncols(), |i, j| a.at(i, j))
}

fn npy_mat(path: &Path) -> Mat<f64> {
    let a = read_npy(path);
    assert_eq!(a.shape.len(), 2, "{} is not 2-D", path.display());
    Mat::<f64>::from_fn(a.nrows(), a.ncols(), |i, j| a.at(i, j))
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

fn max_abs_diff(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
    assert_eq!((a.nrows(), a.ncols()), (b.nrows(), b.ncols()));
    let mut d: f64 = 0.0;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            d = d.max((a[(i, j)] - b[(i, j)]).abs());
        }
    }
    d
}

#[test]
fn fit_writes_the_model_directory_and_json() {
    let dir = scratch();
    let out = lowrank(
        dir.path(),
        [
            "pca",
            &td(DENSE_NPY),
            "--components",
            "7",
            "--out",
            "pca",
            "--quiet",
        ],
    );
    out.ok().stdout_has(&["explained variance", "cumulative"]);
    let model = dir.path().join("pca");
    assert_entries(
        &model,
        &[
            "components.npy",
            "mean.npy",
            "explained_variance.npy",
            "explained_variance_ratio.npy",
            "singular_values.npy",
            "pca.json",
            "scree.svg",
            "projection.svg",
        ],
    );
    let j = read_json(&model.join("pca.json"));
    assert_eq!(j["schema"], "lowrank.pca.model/1");
    assert_eq!(j["n_samples"], 300);
    assert_eq!(j["n_features"], 80);
    assert_eq!(j["components"], 7);
    assert_eq!(j["scale"], false);
    assert_eq!(j["whiten"], false);
    let ev = f64s(&j["explained_variance"]);
    let ratio = f64s(&j["explained_variance_ratio"]);
    let cum = f64s(&j["cumulative_explained_variance_ratio"]);
    assert_eq!(ev.len(), 7);
    assert_eq!(ratio.len(), 7);
    assert_eq!(cum.len(), 7);
    assert!(is_sha256_hex(j["input"]["sha256"].as_str().unwrap()));
    assert!(j["tool"]["version"].is_string());
    assert!(j["svd"]["method"].is_string());
    // Ratios relative to the total variance of all components.
    let total = num(&j["total_variance"]);
    for i in 0..7 {
        assert!((ratio[i] - ev[i] / total).abs() <= 1e-12 * ratio[i].max(1e-300));
    }
    assert!(cum[6] < 1.0 && (cum[6] - ratio.iter().sum::<f64>()).abs() < 1e-12);
    // The library on the same data gives the same variances.
    let x = dense_fixture();
    let lib = fit(
        &DenseOp::new(x.as_ref()),
        &PcaParams {
            components: ComponentSpec::Count(7),
            svd: SvdParams {
                method: Method::Exact,
                ..SvdParams::default()
            },
            ..PcaParams::default()
        },
    )
    .unwrap();
    assert_close("explained variance", &ev, &lib.explained_variance, 1e-10);
    assert_close("total variance", &[total], &[lib.total_variance], 1e-12);
    let comps = read_npy(&model.join("components.npy"));
    assert_eq!(comps.shape, vec![7, 80]);
    let ev_file = read_npy(&model.join("explained_variance.npy"));
    assert_eq!(ev_file.shape, vec![7]);
    assert_same_floats("explained_variance.npy", &ev_file.data, &ev);
    for svg in ["scree.svg", "projection.svg"] {
        let text = std::fs::read_to_string(model.join(svg)).unwrap();
        assert!(
            text.starts_with("<svg") && text.ends_with("</svg>"),
            "{svg}"
        );
    }
    // --json prints the same document.
    let out = lowrank(
        dir.path(),
        ["pca", &td(DENSE_NPY), "-k", "7", "--json", "--quiet"],
    );
    let printed: Value = out.ok().json();
    assert_eq!(printed["schema"], "lowrank.pca.model/1");
    assert_same_floats(
        "--json explained_variance",
        &f64s(&printed["explained_variance"]),
        &ev,
    );
}

#[test]
fn transform_of_training_rows_matches_library_and_stored_variances() {
    let dir = scratch();
    lowrank(
        dir.path(),
        ["pca", &td(DENSE_NPY), "-k", "6", "--out", "pca", "-q"],
    )
    .ok();
    lowrank(
        dir.path(),
        [
            "pca",
            "transform",
            "pca",
            &td(DENSE_NPY),
            "--out",
            "coords.npy",
        ],
    )
    .ok();
    let coords = npy_mat(&dir.path().join("coords.npy"));
    assert_eq!((coords.nrows(), coords.ncols()), (300, 6));
    let x = dense_fixture();
    let lib = fit(
        &DenseOp::new(x.as_ref()),
        &PcaParams {
            components: ComponentSpec::Count(6),
            svd: SvdParams {
                method: Method::Exact,
                ..SvdParams::default()
            },
            ..PcaParams::default()
        },
    )
    .unwrap();
    let expected = lib.transform(x.as_ref()).unwrap();
    let scale = expected.col(0).iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let d = max_abs_diff(&coords, &expected);
    assert!(d <= 1e-10 * scale, "coords differ by {d:e}");
    // The coordinates' sample variances are the stored explained variances.
    let ev = read_npy(&dir.path().join("pca/explained_variance.npy")).data;
    for (c, ev_c) in ev.iter().enumerate() {
        let mean = coords.col(c).iter().sum::<f64>() / 300.0;
        let var = coords
            .col(c)
            .iter()
            .map(|v| (v - mean).powi(2))
            .sum::<f64>()
            / 299.0;
        assert!(
            (var - ev_c).abs() <= 1e-10 * ev_c,
            "component {c}: {var} vs {ev_c}"
        );
    }
}

#[test]
fn inverse_transform_round_trip_with_all_components() {
    let dir = scratch();
    lowrank(
        dir.path(),
        [
            "pca",
            &td(DENSE_NPY),
            "-k",
            "80",
            "--scale",
            "--whiten",
            "--out",
            "pca",
            "-q",
        ],
    )
    .ok();
    assert!(dir.path().join("pca/scale.npy").is_file());
    lowrank(
        dir.path(),
        ["pca", "transform", "pca", &td(DENSE_NPY), "--out", "c.npy"],
    )
    .ok();
    lowrank(
        dir.path(),
        [
            "pca",
            "inverse-transform",
            "pca",
            "c.npy",
            "--out",
            "rows.npy",
        ],
    )
    .ok();
    let rows = npy_mat(&dir.path().join("rows.npy"));
    let x = dense_fixture();
    let scale = x.col(0).iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let d = max_abs_diff(&rows, &x);
    assert!(d <= 1e-10 * scale.max(1.0), "round trip off by {d:e}");
    // Whitened training coordinates have unit variance.
    let c = npy_mat(&dir.path().join("c.npy"));
    for col in [0, 1, 40, 79] {
        let mean = c.col(col).iter().sum::<f64>() / 300.0;
        let var = c.col(col).iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 299.0;
        assert!((var - 1.0).abs() < 1e-8, "component {col}: variance {var}");
    }
}

#[test]
fn wrong_width_rows_are_refused_naming_both_numbers() {
    let dir = scratch();
    lowrank(
        dir.path(),
        ["pca", &td(DENSE_NPY), "-k", "3", "--out", "pca", "-q"],
    )
    .ok();
    write_f8(&dir.path().join("narrow.npy"), 5, 79, |i, j| (i + j) as f64);
    let out = lowrank(
        dir.path(),
        ["pca", "transform", "pca", "narrow.npy", "--out", "c.npy"],
    );
    out.code(3).stderr_has(&["79", "80", "narrow.npy"]);
    assert!(!dir.path().join("c.npy").exists());
    write_f8(&dir.path().join("coords.npy"), 5, 4, |i, j| (i + j) as f64);
    let out = lowrank(
        dir.path(),
        [
            "pca",
            "inverse-transform",
            "pca",
            "coords.npy",
            "--out",
            "r.npy",
        ],
    );
    out.code(3).stderr_has_numbers(&[4, 3]);
    // A directory that is not a model.
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let out = lowrank(
        dir.path(),
        [
            "pca",
            "transform",
            "empty",
            &td(DENSE_NPY),
            "--out",
            "x.npy",
        ],
    );
    out.code(3).stderr_has(&["pca.json"]);
}

#[test]
fn bad_input_exit_codes() {
    let dir = scratch();
    // A constant column with --scale: named.
    write_f8(&dir.path().join("const.npy"), 10, 3, |i, j| {
        if j == 1 {
            4.5
        } else {
            (i * (j + 2)) as f64 + (i * i) as f64 * 0.1
        }
    });
    let out = lowrank(dir.path(), ["pca", "const.npy", "-k", "2", "--scale", "-q"]);
    out.code(3).stderr_has(&["column 1", "constant"]);
    lowrank(dir.path(), ["pca", "const.npy", "-k", "2", "-q"]).ok();
    // A single sample.
    write_f8(&dir.path().join("one.npy"), 1, 4, |_, j| j as f64);
    lowrank(dir.path(), ["pca", "one.npy", "-k", "1", "-q"])
        .code(3)
        .stderr_has(&["at least 2 samples"]);
    // More components than features.
    lowrank(dir.path(), ["pca", &td(DENSE_NPY), "-k", "81", "-q"])
        .code(2)
        .stderr_has_numbers(&[81, 80]);
    // --components and --variance together.
    lowrank(
        dir.path(),
        ["pca", &td(DENSE_NPY), "-k", "3", "--variance", "0.9"],
    )
    .code(2);
    // An existing output is refused.
    std::fs::create_dir(dir.path().join("taken")).unwrap();
    lowrank(
        dir.path(),
        ["pca", &td(DENSE_NPY), "-k", "3", "--out", "taken", "-q"],
    )
    .code(4);
}

#[test]
fn sparse_input_fits_without_densifying_and_matches_dense_copy() {
    let dir = scratch();
    let out = lowrank(
        dir.path(),
        [
            "pca",
            &td("mtx/illc1850.mtx"),
            "-k",
            "4",
            "--method",
            "lanczos",
            "--json",
            "-q",
        ],
    );
    let j = out.ok().json();
    assert_eq!(j["input"]["storage"], "sparse");
    assert_eq!(j["svd"]["method"], "lanczos");
    let sparse_ev = f64s(&j["explained_variance"]);
    let exact = lowrank(
        dir.path(),
        [
            "pca",
            &td("mtx/illc1850.mtx"),
            "-k",
            "4",
            "--method",
            "exact",
            "--json",
            "-q",
        ],
    )
    .ok()
    .json();
    assert_close(
        "lanczos vs exact explained variance",
        &sparse_ev,
        &f64s(&exact["explained_variance"]),
        1e-8,
    );
}

// ---------------------------------------------------------------------------------------------
// The examples in `--help` run as written.
// ---------------------------------------------------------------------------------------------

#[test]
fn pca_help_examples_run_as_written() {
    let dir = scratch();
    let help = lowrank(dir.path(), ["pca", "--help"]);
    help.ok();
    let examples: Vec<String> = help
        .stdout
        .lines()
        .filter(|l| l.starts_with("  lowrank "))
        .map(str::to_string)
        .collect();
    assert!(examples.len() >= 5, "examples: {examples:?}");
    for ex in &examples {
        assert!(ex.len() < 95, "example line too long: {ex}");
    }
    // `transform`/`inverse-transform` write the file given to --out; a fit writes a directory.
    let failures = run_help_examples(dir.path(), &examples, false, |words, out| {
        if words.get(1).is_some_and(|w| w.contains("transform")) {
            out.to_path_buf()
        } else {
            out.join("pca.json")
        }
    });
    assert!(
        failures.is_empty(),
        "failing examples:\n{}",
        failures.join("\n")
    );
}

/// Tall dense input (1000 samples × 20 features) takes the covariance solver; its variances
/// match the library's exact SVD path to 1e-10 (both are accurate to rounding: see
/// `lowrank-core/tests/pca.rs`). `--method` or `--solver svd` keep the SVD; sparse input with
/// `--solver covariance` is a usage error.
#[test]
fn tall_dense_input_uses_the_covariance_solver() {
    let dir = scratch();
    let tall = dir.path().join("tall.npy");
    let f = |i: usize, j: usize| {
        ((i * 31 + j * 17) % 97) as f64 / 97.0 * (j as f64 + 1.0) + (i as f64 * 0.01).sin() + 3.0
    };
    write_f8(&tall, 1000, 20, f);
    let x = Mat::<f64>::from_fn(1000, 20, f);
    let reference = fit(
        &DenseOp::new(x.as_ref()),
        &PcaParams {
            components: ComponentSpec::Count(5),
            svd: SvdParams {
                method: Method::Exact,
                ..SvdParams::default()
            },
            ..PcaParams::default()
        },
    )
    .unwrap();
    let tall_s = tall.to_str().unwrap();
    let out = lowrank(dir.path(), ["pca", tall_s, "-k", "5", "--json", "--quiet"]);
    let doc = out.ok().json();
    assert_eq!(doc["solver"], "covariance", "{doc}");
    for (a, b) in explained_variance(&doc)
        .iter()
        .zip(&reference.explained_variance)
    {
        assert!((a - b).abs() <= 1e-10 * b, "{a} vs {b}");
    }
    for extra in [["--method", "exact"], ["--solver", "svd"]] {
        let out = lowrank(
            dir.path(),
            [
                "pca", tall_s, "-k", "5", "--json", "--quiet", extra[0], extra[1],
            ],
        );
        assert_eq!(out.ok().json()["solver"], "svd");
    }
    // The lanczos solver (20 features: one block spans them, so the answer is exact).
    let out = lowrank(
        dir.path(),
        [
            "pca", tall_s, "-k", "5", "--json", "--quiet", "--solver", "lanczos",
        ],
    );
    let doc = out.ok().json();
    assert_eq!(doc["solver"], "lanczos", "{doc}");
    for (a, b) in explained_variance(&doc)
        .iter()
        .zip(&reference.explained_variance)
    {
        assert!((a - b).abs() <= 1e-10 * b, "lanczos: {a} vs {b}");
    }
    lowrank(
        dir.path(),
        [
            "pca",
            &td("mtx/illc1850.mtx"),
            "-k",
            "3",
            "--solver",
            "covariance",
        ],
    )
    .code(2)
    .stderr_has(&["covariance", "dense"]);
}

/// The `explained_variance` list of a `pca --json` summary.
fn explained_variance(doc: &Value) -> Vec<f64> {
    doc["explained_variance"]
        .as_array()
        .expect("explained_variance is a list")
        .iter()
        .map(|v| v.as_f64().expect("a number"))
        .collect()
}
