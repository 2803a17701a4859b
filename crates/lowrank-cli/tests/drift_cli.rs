//! End-to-end tests of `lowrank drift`: two `lowrank svd` (or `lowrank pca`) runs on the
//! committed fixture and on a perturbed copy written here, the figures checked against a
//! reference computed in the test with faer from the factor files, the exit code 7 of a
//! threshold, matching of permuted and sign-flipped factors, bad inputs with their exit codes,
//! and the examples printed by `lowrank drift --help`.
//!
//! Every command runs in its own temporary directory, with absolute paths to the fixtures.

mod util;

use faer::Mat;
use serde_json::Value;
use std::path::Path;
use util::*;

const DENSE_NPY: &str = "dense/lowrank_300x80.npy";

fn npy_mat(path: &Path) -> Mat<f64> {
    let a = read_npy(path);
    assert_eq!(a.shape.len(), 2, "{} is not 2-D", path.display());
    Mat::<f64>::from_fn(a.nrows(), a.ncols(), |i, j| a.at(i, j))
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

/// The fixture plus a deterministic perturbation of size `eps` per entry.
fn perturbed_fixture(dir: &Path, eps: f64) -> String {
    let a = npy_mat(Path::new(&td(DENSE_NPY)));
    let p = Mat::<f64>::from_fn(a.nrows(), a.ncols(), |i, j| {
        a[(i, j)] + eps * (((i * 7 + j * 13) % 11) as f64 - 5.0) / 5.0
    });
    let path = dir.join("perturbed.npy");
    write_f8(&path, &p);
    path.to_str().unwrap().to_string()
}

fn svd_run(dir: &Path, input: &str, rank: usize, out: &str, extra: &[&str]) {
    let mut args = vec!["svd", input, "--rank"];
    let r = rank.to_string();
    args.push(&r);
    args.extend_from_slice(&["--out", out, "-q"]);
    args.extend_from_slice(extra);
    lowrank(dir, &args).ok();
}

/// Reference cosines and sines of the principal angles between span(va) and span(vb)
/// (orthonormal columns): singular values of `vaᵀvb` and of `vb − va·vaᵀvb`, by faer.
fn reference_cos_sin(va: &Mat<f64>, vb: &Mat<f64>) -> (Vec<f64>, Vec<f64>) {
    let cross = va.transpose() * vb;
    let residual = vb - va * &cross;
    let mut cos = cross.singular_values().unwrap(); // descending
    let mut sin = residual.singular_values().unwrap(); // descending
    cos.truncate(va.ncols());
    sin.truncate(va.ncols());
    (cos, sin)
}

fn sub(m: &Mat<f64>, k: usize) -> Mat<f64> {
    m.as_ref().subcols(0, k).to_owned()
}

#[test]
fn perturbed_data_gives_the_reference_angles_spectrum_and_energy() {
    let dir = scratch();
    let d = dir.path();
    let perturbed = perturbed_fixture(d, 2e-3);
    svd_run(d, &td(DENSE_NPY), 6, "a", &[]);
    svd_run(d, &perturbed, 6, "b", &[]);
    let out = lowrank(d, ["drift", "a", "b", "--json", "-q"]);
    let j = out.ok().json();
    assert_eq!(j["schema"], "lowrank.drift/1");
    assert_eq!(j["k"], 6);
    assert_eq!(j["verdict"]["within_thresholds"], true);

    // Angles: cos θ and sin θ agree with the singular values of VₐᵀV_b and (I − VₐVₐᵀ)V_b
    // computed here. Both sides are backward stable to a few ε on O(1) quantities, and the
    // factor files round-trip bit for bit, so 1e-13 absolute is ~500 ε of room.
    for (side, file) in [("right", "V.npy"), ("left", "U.npy")] {
        let va = sub(&npy_mat(&d.join("a").join(file)), 6);
        let vb = sub(&npy_mat(&d.join("b").join(file)), 6);
        let (cos, sin) = reference_cos_sin(&va, &vb);
        let theta = f64s(&j[side]["angles_radians"]); // ascending
        assert_eq!(theta.len(), 6);
        for i in 0..6 {
            assert!(
                (theta[i].cos() - cos[i]).abs() < 1e-13,
                "{side} angle {i}: cos {} vs {}",
                theta[i].cos(),
                cos[i]
            );
            assert!(
                (theta[i].sin() - sin[5 - i]).abs() < 1e-13,
                "{side} angle {i}: sin {} vs {}",
                theta[i].sin(),
                sin[5 - i]
            );
        }
        // The perturbation is real: the angles are well above rounding, yet small.
        let max_deg = num(&j[side]["max_angle_degrees"]);
        assert!(max_deg > 1e-4 && max_deg < 1.0, "{side}: {max_deg}°");
    }

    // Spectrum change from the S.npy files directly.
    let sa = read_npy(&d.join("a/S.npy")).data;
    let sb = read_npy(&d.join("b/S.npy")).data;
    let rel: Vec<f64> = sa.iter().zip(&sb).map(|(a, b)| (b - a).abs() / a).collect();
    let max_rel = rel.iter().copied().fold(0.0, f64::max);
    assert_same_floats(
        "relative changes",
        &f64s(&j["spectrum"]["relative_changes"]),
        &rel,
    );
    assert!((num(&j["spectrum"]["max_relative_change"]) - max_rel).abs() <= 1e-15);
    let diff: f64 = sa.iter().zip(&sb).map(|(a, b)| (b - a) * (b - a)).sum();
    let norm: f64 = sa.iter().map(|a| a * a).sum();
    // Same three sums in another order: a few ulps.
    assert!(
        (num(&j["spectrum"]["relative_norm_change"]) - (diff / norm).sqrt()).abs()
            < 1e-12 * (diff / norm).sqrt()
    );

    // Energy retained: taken from each report.json.
    let ea = num(&read_json(&d.join("a/report.json"))["certificate"]["energy_retained"]);
    let eb = num(&read_json(&d.join("b/report.json"))["certificate"]["energy_retained"]);
    assert_eq!(num(&j["energy_retained"]["a"]), ea);
    assert_eq!(num(&j["energy_retained"]["b"]), eb);
    assert_eq!(num(&j["energy_retained"]["change"]), eb - ea);

    // Matching: the perturbation is small next to the spectral gaps, so every component keeps
    // its place and its cosine is the reference |vₐᵢ·v_bᵢ|.
    let va = npy_mat(&d.join("a/V.npy"));
    let vb = npy_mat(&d.join("b/V.npy"));
    for (i, m) in j["matching"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        assert_eq!(m["a_index"], i);
        assert_eq!(m["b_index"], i);
        let dot: f64 = (0..80).map(|r| va[(r, i)] * vb[(r, i)]).sum();
        assert!((num(&m["cosine"]) - dot.abs()).abs() < 1e-14);
    }
}

#[test]
fn thresholds_set_exit_code_7_after_writing_the_results() {
    let dir = scratch();
    let d = dir.path();
    let perturbed = perturbed_fixture(d, 2e-3);
    svd_run(d, &td(DENSE_NPY), 6, "a", &[]);
    svd_run(d, &perturbed, 6, "b", &[]);
    let first = lowrank(d, ["drift", "a", "b", "--json", "-q"]);
    let j = first.ok().json();
    let measured = num(&j["right"]["max_angle_degrees"]);
    let left = num(&j["left"]["max_angle_degrees"]);
    let largest = measured.max(left);

    // A limit just above both measured angles passes, with the other limits generous too.
    let above = format!("{}", largest * 1.01);
    lowrank(
        d,
        [
            "drift",
            "a",
            "b",
            "--max-angle",
            &above,
            "--min-cosine",
            "0.99",
            "--max-spectrum-change",
            "0.5",
            "-q",
        ],
    )
    .ok()
    .stdout_has(&["within thresholds"]);

    // A limit below the right-subspace angle: exit 7, the JSON still printed and written.
    let below = format!("{}", measured * 0.5);
    let out = lowrank(
        d,
        [
            "drift",
            "a",
            "b",
            "--max-angle",
            &below,
            "--json",
            "--out",
            "report",
            "-q",
        ],
    );
    out.code(7)
        .stderr_has(&["drift above threshold", "--max-angle", "a", "b"]);
    let j = out.json();
    assert_eq!(j["verdict"]["within_thresholds"], false);
    assert_eq!(j["verdict"]["exit_code"], 7);
    assert_eq!(
        j["verdict"]["exceeded"][0]["threshold"],
        "max_angle_degrees"
    );
    assert_entries(
        &d.join("report"),
        &["drift.json", "drift.svg", "angles.svg"],
    );
    let written = read_json(&d.join("report/drift.json"));
    assert_eq!(written["verdict"], j["verdict"]);
    assert_eq!(written["files"][0], "drift.json");
    for svg in ["drift.svg", "angles.svg"] {
        let text = std::fs::read_to_string(d.join("report").join(svg)).unwrap();
        assert!(
            text.starts_with("<svg") || text.starts_with("<?xml"),
            "{svg}"
        );
    }

    // The spectrum and cosine limits, one at a time.
    let max_rel = num(&j["spectrum"]["max_relative_change"]);
    let tight = format!("{}", max_rel * 0.5);
    lowrank(
        d,
        ["drift", "a", "b", "--max-spectrum-change", &tight, "-q"],
    )
    .code(7)
    .stderr_has(&["--max-spectrum-change"]);
    lowrank(d, ["drift", "a", "b", "--min-cosine", "1", "-q"])
        .code(7)
        .stderr_has(&["--min-cosine"]);
}

/// Factors with columns swapped and a sign flipped are the same decomposition: zero angles,
/// cosines 1, the swap and the flip reported.
#[test]
fn permuted_and_sign_flipped_factors_match_with_cosine_one() {
    let dir = scratch();
    let d = dir.path();
    svd_run(d, &td(DENSE_NPY), 4, "a", &[]);
    let b = d.join("b");
    std::fs::create_dir(&b).unwrap();
    for f in ["report.json", "S.npy"] {
        std::fs::copy(d.join("a").join(f), b.join(f)).unwrap();
    }
    // Column j of B is column perm[j] of A, times sign[j]; S stays descending (it is compared
    // index by index), as a run that found the same values but other vectors would write.
    let perm = [1usize, 0, 2, 3];
    let sign = [1.0, 1.0, -1.0, 1.0];
    for f in ["U.npy", "V.npy"] {
        let m = npy_mat(&d.join("a").join(f));
        let p = Mat::<f64>::from_fn(m.nrows(), 4, |i, j| sign[j] * m[(i, perm[j])]);
        write_f8(&b.join(f), &p);
    }
    let j = lowrank(d, ["drift", "a", "b", "--json", "--min-cosine", "0.999999"])
        .ok()
        .json();
    assert!(num(&j["right"]["max_angle_degrees"]) < 1e-10);
    assert!(num(&j["left"]["max_angle_degrees"]) < 1e-10);
    assert_eq!(j["matching"]["swaps"], 2);
    assert_eq!(j["matching"]["sign_flips"], 1);
    let comps = j["matching"]["components"].as_array().unwrap();
    let b_of: Vec<u64> = comps
        .iter()
        .map(|c| c["b_index"].as_u64().unwrap())
        .collect();
    assert_eq!(b_of, vec![1, 0, 2, 3]);
    assert_eq!(comps[2]["sign_flipped"], true);
    assert!((num(&j["matching"]["min_cosine"]) - 1.0).abs() < 1e-14);
}

#[test]
fn pca_pair_compares_axes_against_the_reference() {
    let dir = scratch();
    let d = dir.path();
    let perturbed = perturbed_fixture(d, 2e-3);
    for (input, out) in [(td(DENSE_NPY), "pa"), (perturbed, "pb")] {
        lowrank(d, ["pca", &input, "--components", "5", "--out", out, "-q"]).ok();
    }
    let out = lowrank(d, ["drift", "pa", "pb", "--json", "-q"]);
    let j = out.ok().json();
    assert_eq!(j["a"]["kind"], "pca");
    assert_eq!(j["left"], Value::Null);
    assert!(j["left_skipped"].as_str().unwrap().contains("neither"));
    // components.npy holds the axes as rows.
    let va = npy_mat(&d.join("pa/components.npy")).transpose().to_owned();
    let vb = npy_mat(&d.join("pb/components.npy")).transpose().to_owned();
    let (cos, _) = reference_cos_sin(&va, &vb);
    let theta = f64s(&j["right"]["angles_radians"]);
    for i in 0..5 {
        // As above: a few ε on both sides.
        assert!((theta[i].cos() - cos[i]).abs() < 1e-13);
    }
    // Energy retained of a PCA: the sum of its explained variance ratios.
    let ratios = read_npy(&d.join("pa/explained_variance_ratio.npy")).data;
    let sum: f64 = ratios.iter().sum();
    assert!((num(&j["energy_retained"]["a"]) - sum).abs() < 1e-15);

    // An SVD against a PCA of the same features works, with a note.
    svd_run(d, &td(DENSE_NPY), 5, "s", &[]);
    lowrank(d, ["drift", "s", "pa", "-q"])
        .ok()
        .stdout_has(&["note", "centred"]);
}

#[test]
fn bad_inputs_name_the_problem_with_the_documented_code() {
    let dir = scratch();
    let d = dir.path();
    svd_run(d, &td(DENSE_NPY), 4, "a", &[]);
    // Missing directory, a file, an unrelated directory.
    lowrank(d, ["drift", "a", "nowhere"])
        .code(3)
        .stderr_has(&["nowhere", "cannot open"]);
    std::fs::write(d.join("file.txt"), "x").unwrap();
    lowrank(d, ["drift", "file.txt", "a"])
        .code(3)
        .stderr_has(&["file.txt", "not a result directory"]);
    std::fs::create_dir(d.join("empty")).unwrap();
    lowrank(d, ["drift", "a", "empty"])
        .code(3)
        .stderr_has(&["empty", "report.json", "pca.json"]);

    // Different number of columns.
    let a = npy_mat(Path::new(&td(DENSE_NPY)));
    let narrow = a.as_ref().subcols(0, 60).to_owned();
    write_f8(&d.join("narrow.npy"), &narrow);
    svd_run(d, d.join("narrow.npy").to_str().unwrap(), 4, "n", &[]);
    lowrank(d, ["drift", "a", "n"])
        .code(3)
        .stderr_has(&["cannot be compared", "columns"])
        .stderr_has_numbers(&[80, 60]);

    // A missing factor file and a NaN in one.
    let copy = |name: &str| {
        let t = d.join(name);
        std::fs::create_dir(&t).unwrap();
        for f in ["report.json", "S.npy", "U.npy", "V.npy"] {
            std::fs::copy(d.join("a").join(f), t.join(f)).unwrap();
        }
        t
    };
    let missing = copy("missing");
    std::fs::remove_file(missing.join("S.npy")).unwrap();
    lowrank(d, ["drift", "a", "missing"])
        .code(3)
        .stderr_has(&["missing", "S.npy"]);
    let nan = copy("nan");
    let mut v = npy_mat(&nan.join("V.npy"));
    v[(17, 2)] = f64::NAN;
    write_f8(&nan.join("V.npy"), &v);
    lowrank(d, ["drift", "a", "nan"])
        .code(3)
        .stderr_has(&["V.npy", "NaN"])
        .stderr_has_numbers(&[18, 3]); // reported 1-based, as every input error

    // Singular values without vectors.
    lowrank(
        d,
        [
            "svd",
            &td(DENSE_NPY),
            "--values-only",
            "--out",
            "vals",
            "-q",
        ],
    )
    .ok();
    lowrank(d, ["drift", "a", "vals"])
        .code(3)
        .stderr_has(&["vals", "values-only"]);

    // Bad flags: usage errors naming the flag.
    lowrank(d, ["drift", "a", "a", "-k", "5"])
        .code(2)
        .stderr_has(&["-k", "4"]);
    lowrank(d, ["drift", "a", "a", "-k", "0"]).code(2);
    lowrank(d, ["drift", "a", "a", "--max-angle", "100"])
        .code(2)
        .stderr_has(&["--max-angle", "100"]);
    lowrank(d, ["drift", "a", "a", "--min-cosine", "1.5"])
        .code(2)
        .stderr_has(&["--min-cosine"]);
    lowrank(d, ["drift", "a", "a", "--max-spectrum-change", "NaN"])
        .code(2)
        .stderr_has(&["--max-spectrum-change"]);

    // An existing output is refused before any work, and left alone.
    std::fs::create_dir(d.join("taken")).unwrap();
    lowrank(d, ["drift", "a", "a", "--out", "taken"]).code(4);
    assert_entries(&d.join("taken"), &[]);
    lowrank(d, ["drift", "a", "a", "--out", "taken", "--force", "-q"]).ok();
    assert_entries(&d.join("taken"), &["drift.json", "drift.svg", "angles.svg"]);
}

#[test]
fn drift_help_examples_run_as_written() {
    let dir = scratch();
    let help = lowrank(dir.path(), ["drift", "--help"]);
    help.ok();
    let examples: Vec<String> = help
        .stdout
        .lines()
        .filter(|l| l.starts_with("  lowrank "))
        .map(str::to_string)
        .collect();
    assert!(examples.len() >= 5, "examples: {examples:?}");
    assert!(examples.iter().any(|e| e.contains("drift")));
    for ex in &examples {
        assert!(ex.len() < 95, "example line too long: {ex}");
    }
    let failures = run_help_examples(dir.path(), &examples, false, |words, out| {
        match words.first() {
            Some(&"drift") => out.join("drift.json"),
            Some(&"pca") => out.join("pca.json"),
            Some(&"mf") => out.join("model.json"),
            _ => out.join("report.json"),
        }
    });
    assert!(
        failures.is_empty(),
        "failing examples:\n{}",
        failures.join("\n")
    );
}

/// Ids in index order, one per line.
fn ids(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Two recommender models, B trained without the first 400 ratings (fewer users and items, in
/// another order): compared on the users and items both know, through the SVD of P·Qᵀ. The
/// reference aligns the ids here, forms P·Qᵀ explicitly and takes faer's SVD of it.
#[test]
fn two_recommender_models_are_compared_on_common_users_and_items() {
    let dir = scratch();
    let d = dir.path();
    let text = std::fs::read_to_string(td("ratings/ratings_sample.tsv")).unwrap();
    let later: String = text.lines().skip(400).map(|l| format!("{l}\n")).collect();
    std::fs::write(d.join("later.tsv"), later).unwrap();
    let later_path = d.join("later.tsv").to_str().unwrap().to_string();
    for (input, out) in [(td("ratings/ratings_sample.tsv"), "ma"), (later_path, "mb")] {
        lowrank(d, ["mf", "fit", &input, "--rank", "6", "--out", out, "-q"]).ok();
    }
    let out = lowrank(d, ["drift", "ma", "mb", "--json", "-q"]);
    let j = out.ok().json();
    assert_eq!(j["a"]["kind"], "mf");
    assert_eq!(j["k"], 6);
    let notes = j["notes"].to_string();
    assert!(notes.contains("compared on the"), "{notes}");

    let (ua, ub) = (ids(&d.join("ma/users.txt")), ids(&d.join("mb/users.txt")));
    let (ia, ib) = (ids(&d.join("ma/items.txt")), ids(&d.join("mb/items.txt")));
    let pairs = |a: &[String], b: &[String]| -> Vec<(usize, usize)> {
        a.iter()
            .enumerate()
            .filter_map(|(i, id)| b.iter().position(|x| x == id).map(|k| (i, k)))
            .collect()
    };
    let (users, items) = (pairs(&ua, &ub), pairs(&ia, &ib));
    assert!(
        users.len() < ua.len() && items.len() < ia.len(),
        "B must know fewer"
    );
    let mut v_ref = Vec::new();
    for (side, name, b_side) in [("sigma_a", "ma", false), ("sigma_b", "mb", true)] {
        let p = npy_mat(&d.join(name).join("user_factors.npy"));
        let q = npy_mat(&d.join(name).join("item_factors.npy"));
        let pick = |pr: &(usize, usize)| if b_side { pr.1 } else { pr.0 };
        let x = Mat::<f64>::from_fn(users.len(), items.len(), |r, c| {
            let (u, i) = (pick(&users[r]), pick(&items[c]));
            (0..6).map(|l| p[(u, l)] * q[(i, l)]).sum()
        });
        let svd = x.thin_svd().unwrap();
        let s_ref: Vec<f64> = (0..6).map(|l| svd.S().column_vector()[l]).collect();
        // Both are backward-stable SVDs of the same rank-6 matrix: a few ε·σ₁ apart
        // (1e-12·σ₁ leaves room for the larger dimension of the explicit one).
        let got = f64s(&j["spectrum"][side]);
        for l in 0..6 {
            assert!(
                (got[l] - s_ref[l]).abs() < 1e-12 * s_ref[0],
                "{side}: {got:?} vs {s_ref:?}"
            );
        }
        v_ref.push(svd.V().subcols(0, 6).to_owned());
    }
    // The top-6 subspace is the whole (rank-6) row space, far from σ₇ = 0: the reference V
    // spans it to a few ε, so the cosines agree to 1e-12.
    let (cos, _) = reference_cos_sin(&v_ref[0], &v_ref[1]);
    let theta = f64s(&j["right"]["angles_radians"]);
    for l in 0..6 {
        assert!(
            (theta[l].cos() - cos[l]).abs() < 1e-12,
            "{theta:?} vs {cos:?}"
        );
    }

    // A recommender model against an SVD result is refused.
    svd_run(d, &td(DENSE_NPY), 4, "s", &[]);
    lowrank(d, ["drift", "ma", "s"])
        .code(3)
        .stderr_has(&["ma", "recommender model", "s"]);
}

/// `--store`: two versions of a model compare exactly as their directories do, and a version
/// with a damaged blob is refused (exit 3) rather than compared.
#[test]
fn store_versions_compare_like_their_directories() {
    let dir = scratch();
    let input = perturbed_fixture(dir.path(), 1e-3);
    svd_run(dir.path(), &td(DENSE_NPY), 10, "a", &[]);
    svd_run(dir.path(), &input, 10, "b", &[]);
    for run in ["a", "b"] {
        lowrank(
            dir.path(),
            [
                "store", "put", "--store", "st", "--model", "demo", run, "-q",
            ],
        )
        .ok();
    }
    let direct = lowrank(dir.path(), ["drift", "a", "b", "--json", "-q"])
        .ok()
        .json();
    let stored = lowrank(
        dir.path(),
        [
            "drift",
            "--store",
            "st",
            "demo@1",
            "demo@latest",
            "--json",
            "-q",
        ],
    )
    .ok()
    .json();
    for key in ["right", "left", "spectrum", "matching", "energy_retained"] {
        assert_eq!(direct[key], stored[key], "{key} differs");
    }
    assert!(direct["right"]["angles_degrees"].is_array(), "{direct}");
    assert_eq!(stored["b"]["path"], "store st: demo@latest");
    // Damage one blob of version 2 (its V.npy) on disk.
    let show = lowrank(
        dir.path(),
        [
            "store",
            "show",
            "--store",
            "st",
            "--model",
            "demo",
            "--version",
            "2",
            "--json",
        ],
    )
    .ok()
    .json();
    let files = show["version"]["files"].as_array().expect("files in show");
    let v = files
        .iter()
        .find(|f| f["path"] == "V.npy")
        .expect("V.npy stored");
    let sha = v["sha256"].as_str().unwrap();
    let blob = dir
        .path()
        .join("st/blobs/sha256")
        .join(&sha[..2])
        .join(&sha[2..]);
    let mut bytes = std::fs::read(&blob).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55;
    std::fs::write(&blob, bytes).unwrap();
    lowrank(
        dir.path(),
        ["drift", "--store", "st", "demo@1", "demo@2", "--json"],
    )
    .code(3)
    .stderr_has(&["V.npy"]);
    // Unknown model or version: a usage error.
    lowrank(dir.path(), ["drift", "--store", "st", "demo@1", "nope@1"]).code(2);
    lowrank(dir.path(), ["drift", "--store", "st", "demo@1", "demo@9"]).code(2);
}
