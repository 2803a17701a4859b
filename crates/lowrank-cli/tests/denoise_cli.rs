//! End-to-end tests of `lowrank denoise`: the output directory and `denoise.json`, figures
//! recomputed by hand from the files written, per-channel processing of colour images, the
//! matrix path against an independent truncated SVD, the known-noise threshold, bad input with
//! its exit codes (and no output left behind), and the examples of `lowrank denoise --help`.
//!
//! `testdata/images/coins_noisy.png` is made by the ignored test `make_noisy_fixture` (see
//! `testdata/images/README.md`); `noisy_fixture_is_reproducible` checks the committed file
//! against a fresh run of the same recipe.

mod util;

use faer::Mat;
use lowrank_core::denoise::{denoise, lambda_star, DenoiseParams, RankRule};
use lowrank_io::image::{quantize, read_image, write_png};
use std::path::Path;
use util::*;

const CLEAN: &str = "images/coins.png";
const NOISY: &str = "images/coins_noisy.png";
const RGB: &str = "images/chelsea.png";
const DENSE_NPY: &str = "dense/lowrank_300x80.npy";
/// Standard deviation of the noise added to `coins.png`, in 0..255 pixel units.
const NOISE_SIGMA: f64 = 20.0;
/// Seed of that noise (`lowrank_testkit::gaussian`).
const NOISE_SEED: u64 = 2026;

/// `coins.png` plus N(0, 20²) noise, rounded and clamped to 8 bits.
fn noisy_coins() -> Mat<f64> {
    let clean = read_image(Path::new(&td(CLEAN))).unwrap();
    let c = &clean.channels[0];
    let z = lowrank_testkit::gaussian(c.nrows(), c.ncols(), NOISE_SEED);
    let noisy = Mat::<f64>::from_fn(c.nrows(), c.ncols(), |i, j| {
        c[(i, j)] + NOISE_SIGMA * z[(i, j)]
    });
    quantize(noisy.as_ref())
}

/// Writes `testdata/images/coins_noisy.png`. Run once by hand:
/// `cargo test -p lowrank-cli --test denoise_cli make_noisy_fixture -- --ignored`.
#[test]
#[ignore = "writes the committed fixture"]
fn make_noisy_fixture() {
    let out = testdata_root().join(NOISY);
    write_png(&out, &[noisy_coins().as_ref()]).unwrap();
}

#[test]
fn noisy_fixture_is_reproducible() {
    let committed = read_image(Path::new(&td(NOISY))).unwrap();
    let fresh = noisy_coins();
    let c = &committed.channels[0];
    assert_eq!(c.shape(), fresh.shape());
    // The Gaussian sampler is deterministic; a libm difference in its rare `ln`/`exp` tail
    // steps could move a sample by an ulp and a pixel by 1 at a rounding boundary, so allow
    // that for a handful of pixels but nothing more.
    let mut off_by_one = 0;
    for j in 0..c.ncols() {
        for i in 0..c.nrows() {
            let d = (c[(i, j)] - fresh[(i, j)]).abs();
            assert!(d <= 1.0, "pixel ({i}, {j}) differs by {d}");
            off_by_one += (d > 0.0) as usize;
        }
    }
    assert!(off_by_one <= 10, "{off_by_one} pixels differ");
}

fn grey(path: &Path) -> Mat<f64> {
    let img = read_image(path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(img.channels.len(), 1);
    img.channels.into_iter().next().unwrap()
}

#[test]
fn denoises_the_noisy_image_and_figures_match_a_hand_computation() {
    let dir = scratch();
    let out = lowrank(
        dir.path(),
        [
            "denoise",
            &td(NOISY),
            "--reference",
            &td(CLEAN),
            "--out",
            "den",
            "-q",
        ],
    );
    out.ok().stdout_has(&["Gavish–Donoho", "PSNR", "den"]);
    let den = dir.path().join("den");
    assert_entries(
        &den,
        &["denoise.json", "denoised.png", "singular_values.svg"],
    );
    // Nothing else next to it (no temporary directory left behind).
    assert_entries(dir.path(), &["den"]);
    let j = read_json(&den.join("denoise.json"));
    assert_eq!(j["schema"], "lowrank.denoise/1");
    assert_eq!(j["input"]["kind"], "image");
    assert_eq!(j["shape"], serde_json::json!([303, 384]));
    let ch = &j["channels"][0];
    let s = f64s(&ch["singular_values"]);
    assert_eq!(s.len(), 303);
    let tau = num(&ch["threshold"]);
    let k = ch["rank"].as_u64().unwrap() as usize;
    assert_eq!(k, s.iter().filter(|&&x| x > tau).count());
    assert!((1..100).contains(&k), "rank {k}");
    // Unknown noise: τ = ω(β)·median(s), and σ̂ = median(s)/sqrt(n·μ_β).
    let mut sorted = s.clone();
    sorted.sort_by(f64::total_cmp);
    let med = sorted[151]; // 303 values: the 152nd smallest
    let gd = &j["gavish_donoho"];
    assert!((tau - num(&gd["omega"]) * med).abs() < 1e-9 * tau);
    let sigma_hat = num(&ch["sigma_estimate"]);
    assert!((sigma_hat - med / (384.0 * num(&gd["mp_median"])).sqrt()).abs() < 1e-9);
    // A real image is not exactly low-rank: its own spectrum lifts the median, so σ̂
    // over-estimates the noise (measured 23.96 for σ = 20). The clean image alone gives
    // σ̂_clean ≈ 9.1; the estimate must lie between σ and σ + σ̂_clean.
    let clean_alone = denoise(
        grey(Path::new(&td(CLEAN))).as_ref(),
        &DenoiseParams::default(),
    )
    .unwrap()
    .sigma_estimate;
    assert!(
        sigma_hat >= NOISE_SIGMA && sigma_hat <= NOISE_SIGMA + clean_alone,
        "σ̂ = {sigma_hat}, clean image alone {clean_alone}"
    );

    // PSNR and relative error by hand from the files.
    let clean = grey(Path::new(&td(CLEAN)));
    let noisy = grey(Path::new(&td(NOISY)));
    let result = grey(&den.join("denoised.png"));
    let (mut se, mut se_in, mut norm) = (0.0, 0.0, 0.0);
    for jx in 0..clean.ncols() {
        for i in 0..clean.nrows() {
            se += (result[(i, jx)] - clean[(i, jx)]).powi(2);
            se_in += (noisy[(i, jx)] - clean[(i, jx)]).powi(2);
            norm += clean[(i, jx)].powi(2);
        }
    }
    let count = (clean.nrows() * clean.ncols()) as f64;
    let psnr = 10.0 * (255.0f64 * 255.0 / (se / count)).log10();
    let psnr_in = 10.0 * (255.0f64 * 255.0 / (se_in / count)).log10();
    let r = &j["against_reference"];
    assert!((num(&r["psnr_db"]) - psnr).abs() < 1e-9, "{r}");
    assert!((num(&r["psnr_input_db"]) - psnr_in).abs() < 1e-9);
    assert!((num(&r["relative_error"]) - (se / norm).sqrt()).abs() < 1e-12);
    // The noise is σ = 20 (input PSNR 22.2 dB). Hard thresholding of a real photograph's
    // spectrum gains a modest amount (measured +1.85 dB); it must gain at least 1 dB.
    assert!(psnr > psnr_in + 1.0, "PSNR {psnr} vs input {psnr_in}");
    let svg = std::fs::read_to_string(den.join("singular_values.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("τ ="));
}

#[test]
fn colour_images_are_denoised_channel_by_channel() {
    let dir = scratch();
    let out = lowrank(
        dir.path(),
        ["denoise", &td(RGB), "--rank", "5", "--out", "rgb", "-q"],
    );
    out.ok();
    let j = read_json(&dir.path().join("rgb/denoise.json"));
    let names: Vec<&str> = j["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["red", "green", "blue"]);
    let written = read_image(&dir.path().join("rgb/denoised.png")).unwrap();
    let input = read_image(Path::new(&td(RGB))).unwrap();
    assert_eq!(written.channels.len(), 3);
    // Each channel is the rank-5 truncation of that channel alone (library call per channel,
    // rounded like the PNG); a mix-up of channels would differ by far more than one level.
    let params = DenoiseParams {
        rule: RankRule::Fixed(5),
        ..DenoiseParams::default()
    };
    for c in 0..3 {
        let expected = quantize(
            denoise(input.channels[c].as_ref(), &params)
                .unwrap()
                .estimate
                .as_ref(),
        );
        let mut worst: f64 = 0.0;
        for jx in 0..expected.ncols() {
            for i in 0..expected.nrows() {
                worst = worst.max((expected[(i, jx)] - written.channels[c][(i, jx)]).abs());
            }
        }
        // Rounding of a value within a few ulps of .5 may go either way: at most 1 level.
        assert!(worst <= 1.0, "channel {c}: {worst}");
        assert_eq!(j["channels"][c]["rank"], 5);
    }
    // Compression of 3 channels at rank 5: 3·300·451 / (15·(300 + 451 + 1)).
    let ratio = num(&j["compression_ratio"]);
    assert!((ratio - 3.0 * 300.0 * 451.0 / (15.0 * 752.0)).abs() < 1e-9);
}

fn write_f8(path: &Path, m: &Mat<f64>) {
    let mut data = Vec::new();
    for i in 0..m.nrows() {
        for j in 0..m.ncols() {
            data.extend_from_slice(&m[(i, j)].to_le_bytes());
        }
    }
    std::fs::write(
        path,
        npy_bytes(
            "<f8",
            false,
            &format!("({}, {})", m.nrows(), m.ncols()),
            &data,
        ),
    )
    .unwrap();
}

#[test]
fn matrix_input_matches_an_independent_truncated_svd() {
    let dir = scratch();
    let out = lowrank(
        dir.path(),
        ["denoise", &td(DENSE_NPY), "--out", "m", "--json", "-q"],
    );
    let j = out.ok().json();
    // The fixture is rank 10 plus N(0, 1e-3²) noise (testdata/make_small.py).
    assert_eq!(j["channels"][0]["rank"], 10);
    let sigma_hat = num(&j["channels"][0]["sigma_estimate"]);
    // Ten spikes out of 80 singular values shift the median up by ~1/16 of the bulk: 15%.
    assert!((sigma_hat - 1e-3).abs() < 0.15e-3, "σ̂ = {sigma_hat}");
    let a = read_npy(Path::new(&td(DENSE_NPY)));
    let a = Mat::<f64>::from_fn(a.nrows(), a.ncols(), |i, jx| a.at(i, jx));
    let svd = a.thin_svd().unwrap();
    let (u, s, v) = (svd.U(), svd.S().column_vector(), svd.V());
    let got = read_npy(&dir.path().join("m/denoised.npy"));
    let mut worst: f64 = 0.0;
    for i in 0..a.nrows() {
        for jx in 0..a.ncols() {
            let x: f64 = (0..10).map(|l| u[(i, l)] * s[l] * v[(jx, l)]).sum();
            worst = worst.max((x - got.at(i, jx)).abs());
        }
    }
    // Two backward-stable SVDs of the same matrix: entries agree to c·ε·σ₁ (σ₁ = 10).
    assert!(worst < 1e-12 * 10.0 * 100.0, "max difference {worst}");
}

#[test]
fn known_noise_threshold_is_lambda_star_root_n_sigma() {
    let dir = scratch();
    let (m, n, sigma) = (120, 200, 0.5);
    let s: Vec<f64> = [9.0, 7.0, 5.0, 4.0]
        .iter()
        .map(|x| x * (n as f64).sqrt() * sigma)
        .collect();
    let (x, _, _) = lowrank_testkit::planted(m, n, &s, 5);
    let z = lowrank_testkit::gaussian(m, n, 6);
    let y = Mat::<f64>::from_fn(m, n, |i, j| x[(i, j)] + sigma * z[(i, j)]);
    write_f8(&dir.path().join("y.npy"), &y);
    write_f8(&dir.path().join("x.npy"), &x);
    let j = lowrank(
        dir.path(),
        [
            "denoise",
            "y.npy",
            "--noise-sigma",
            "0.5",
            "--reference",
            "x.npy",
            "--json",
            "-q",
        ],
    )
    .ok()
    .json();
    let tau = num(&j["channels"][0]["threshold"]);
    let expected = lambda_star(0.6) * (n as f64).sqrt() * sigma;
    assert!((tau - expected).abs() < 1e-12 * expected);
    assert_eq!(j["channels"][0]["rank"], 4);
    let r = &j["against_reference"];
    assert!(num(&r["relative_error"]) < 0.5 * num(&r["relative_error_input"]));
}

#[test]
fn bad_input_exit_codes_and_no_output_left_behind() {
    let dir = scratch();
    let p = dir.path();
    let mut nan = Mat::<f64>::from_fn(6, 5, |i, j| (i + 2 * j) as f64);
    nan[(3, 2)] = f64::NAN;
    write_f8(&p.join("nan.npy"), &nan);
    write_f8(
        &p.join("row.npy"),
        &Mat::<f64>::from_fn(1, 9, |_, j| j as f64),
    );
    write_f8(
        &p.join("small.npy"),
        &Mat::<f64>::from_fn(6, 5, |i, j| (i * j) as f64),
    );
    let png = std::fs::read(td(CLEAN)).unwrap();
    std::fs::write(p.join("cut.png"), &png[..png.len() / 3]).unwrap();
    std::fs::write(p.join("fake.png"), b"GIF89a not really").unwrap();
    let inputs = ["cut.png", "fake.png", "nan.npy", "row.npy", "small.npy"];
    let run = |args: &[&str]| {
        let mut all = vec!["denoise"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--out", "o", "-q"]);
        let out = lowrank(p, &all);
        assert_entries(p, &inputs);
        out
    };
    run(&["nan.npy"])
        .code(3)
        .stderr_has(&["nan.npy", "NaN", "row 4, column 3"]);
    run(&["row.npy"])
        .code(3)
        .stderr_has(&["row.npy", "1x9", "at least 2 rows"]);
    run(&["small.npy", "--rank", "6"])
        .code(2)
        .stderr_has(&["rank 6", "min(rows, columns) = 5"]);
    run(&["small.npy", "--rank", "0"])
        .code(2)
        .stderr_has(&["--rank 0"]);
    for e in ["0", "1.5", "-0.2", "nan"] {
        run(&["small.npy", "--energy", e])
            .code(2)
            .stderr_has(&["energy", "(0, 1]"]);
    }
    run(&["small.npy", "--noise-sigma", "-1"])
        .code(2)
        .stderr_has(&["noise sigma"]);
    run(&["small.npy", "--rank", "2", "--energy", "0.9"]).code(2);
    run(&["cut.png"]).code(3).stderr_has(&["cut.png", "PNG"]);
    run(&["fake.png"]).code(3).stderr_has(&["fake.png"]);
    run(&[&td(NOISY), "--reference", &td(RGB)])
        .code(3)
        .stderr_has(&["chelsea.png", "451x300 rgb", "384x303 grey", "same shape"]);
    run(&[&td(NOISY), "--reference", "small.npy"])
        .code(3)
        .stderr_has(&["small.npy", "must be an image"]);
    run(&["small.npy", "--reference", "row.npy"])
        .code(3)
        .stderr_has(&["row.npy", "1x9 matrix", "6x5 matrix"]);
    // An existing output is refused and left alone.
    std::fs::create_dir(p.join("taken")).unwrap();
    lowrank(p, ["denoise", "small.npy", "--out", "taken", "-q"]).code(4);
    assert!(std::fs::read_dir(p.join("taken")).unwrap().next().is_none());
}

// ---------------------------------------------------------------------------------------------
// The examples in `--help` run as written.
// ---------------------------------------------------------------------------------------------

#[test]
fn denoise_help_examples_run_as_written() {
    let dir = scratch();
    let help = lowrank(dir.path(), ["denoise", "--help"]);
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
    let failures = run_help_examples(dir.path(), &examples, true, |_, out| {
        out.join("denoise.json")
    });
    assert!(
        failures.is_empty(),
        "failing examples:\n{}",
        failures.join("\n")
    );
}
