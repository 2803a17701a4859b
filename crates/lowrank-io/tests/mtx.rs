//! Matrix Market: every real matrix in testdata/mtx checked against its README and against a
//! naive, independent parse; plus malformed files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lowrank_io::{estimate_memory, read_matrix, Format, IoError, Loaded, Matrix, ReadOptions};

fn mtx_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/mtx")
}

fn read(path: &Path) -> Result<Loaded, IoError> {
    read_matrix(path, &ReadOptions::default())
}

/// A naive reference parser: a map from (row, col) to the summed value, symmetric entries
/// mirrored. Deliberately simple and independent of the crate.
fn naive(path: &Path) -> (usize, usize, HashMap<(usize, usize), f64>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let banner = lines.next().unwrap().to_lowercase();
    let pattern = banner.contains("pattern");
    let symmetric = banner.contains(" symmetric");
    let skew = banner.contains("skew-symmetric");
    let array = banner.contains(" array ");
    let mut lines = lines.filter(|l| !l.trim().is_empty() && !l.starts_with('%'));
    let size: Vec<usize> = lines
        .next()
        .unwrap()
        .split_whitespace()
        .map(|t| t.parse().unwrap())
        .collect();
    let (m, n) = (size[0], size[1]);
    let mut map = HashMap::new();
    if array {
        let vals: Vec<f64> = lines.map(|l| l.trim().parse().unwrap()).collect();
        assert!(!symmetric, "the fixtures' arrays are general");
        for j in 0..n {
            for i in 0..m {
                map.insert((i, j), vals[j * m + i]);
            }
        }
        return (m, n, map);
    }
    for l in lines {
        let t: Vec<&str> = l.split_whitespace().collect();
        let (i, j): (usize, usize) = (
            t[0].parse::<usize>().unwrap() - 1,
            t[1].parse::<usize>().unwrap() - 1,
        );
        let v: f64 = if pattern { 1.0 } else { t[2].parse().unwrap() };
        *map.entry((i, j)).or_insert(0.0) += v;
        if (symmetric || skew) && i != j {
            *map.entry((j, i)).or_insert(0.0) += if skew { -v } else { v };
        }
    }
    (m, n, map)
}

fn frobenius_of(vals: impl Iterator<Item = f64>) -> f64 {
    vals.map(|v| v * v).sum::<f64>().sqrt()
}

/// (file, rows, cols, stored entries after symmetric expansion, dense?) from testdata/mtx/README.md.
const TABLE: &[(&str, usize, usize, usize, bool)] = &[
    ("well1033.mtx", 1033, 320, 4732, false),
    ("illc1033.mtx", 1033, 320, 4732, false),
    ("well1850.mtx", 1850, 712, 8758, false),
    ("illc1850.mtx", 1850, 712, 8758, false),
    ("illc1033_rhs1.mtx", 1033, 1, 1033, true),
    ("well1033_rhs1.mtx", 1033, 1, 1033, true),
    ("west0067.mtx", 67, 67, 294, false),
    ("lp_afiro.mtx", 27, 51, 102, false),
    ("karate.mtx", 34, 34, 156, false),
    ("LFAT5.mtx", 14, 14, 46, false),
    ("bcsstk13.mtx", 2003, 2003, 83883, false),
    ("cryg2500.mtx", 2500, 2500, 12349, false),
];

#[test]
fn every_fixture_matches_readme_and_naive_parse() {
    let mut seen = 0;
    for entry in std::fs::read_dir(mtx_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("mtx") {
            continue;
        }
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let &(_, m, n, nnz, is_dense) = TABLE
            .iter()
            .find(|t| t.0 == name)
            .unwrap_or_else(|| panic!("{name} is not in the test's table"));
        seen += 1;
        for parallel in [true, false] {
            let opts = ReadOptions {
                parallel,
                ..ReadOptions::default()
            };
            let loaded = read_matrix(&path, &opts).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(loaded.format, Format::MatrixMarket);
            let mat = &loaded.matrix;
            assert_eq!((mat.nrows(), mat.ncols()), (m, n), "{name} shape");
            assert_eq!(mat.stored_entries(), nnz, "{name} stored entries");
            assert_eq!(mat.is_sparse(), !is_dense, "{name} kind");
            let (rm, rn, reference) = naive(&path);
            assert_eq!((rm, rn), (m, n));
            assert_eq!(
                reference.len(),
                nnz,
                "{name}: naive parse disagrees with the README"
            );
            // Every entry equals the naive parse's, exactly.
            match mat {
                Matrix::Sparse(s) => {
                    for i in 0..m {
                        for k in s.row_ptr()[i]..s.row_ptr()[i + 1] {
                            let j = s.col_idx()[k] as usize;
                            assert_eq!(s.values()[k], reference[&(i, j)], "{name} ({i}, {j})");
                        }
                    }
                    let ours = frobenius_of(s.values().iter().copied());
                    let theirs = frobenius_of(reference.values().copied());
                    assert!(
                        (ours - theirs).abs() <= 1e-12 * theirs,
                        "{name}: {ours} vs {theirs}"
                    );
                }
                Matrix::Dense(d) => {
                    for (&(i, j), &v) in &reference {
                        assert_eq!(d[(i, j)], v, "{name} ({i}, {j})");
                    }
                }
            }
        }
    }
    assert_eq!(seen, TABLE.len(), "every fixture was read");
}

#[test]
fn explicit_zeros_are_kept() {
    let l = read(&mtx_dir().join("illc1033.mtx")).unwrap();
    let Matrix::Sparse(s) = &l.matrix else {
        panic!()
    };
    assert_eq!(s.nnz(), 4732);
    assert_eq!(s.values().iter().filter(|&&v| v == 0.0).count(), 13);
    let l = read(&mtx_dir().join("illc1850.mtx")).unwrap();
    let Matrix::Sparse(s) = &l.matrix else {
        panic!()
    };
    assert_eq!(s.values().iter().filter(|&&v| v == 0.0).count(), 122);
}

#[test]
fn pattern_symmetric_karate_is_a_symmetric_adjacency() {
    let l = read(&mtx_dir().join("karate.mtx")).unwrap();
    let Matrix::Sparse(s) = &l.matrix else {
        panic!()
    };
    assert_eq!(s.nnz(), 156);
    assert!(s.values().iter().all(|&v| v == 1.0));
    assert!(*s == s.transpose(), "symmetric expansion");
    // Node 1 (0-based 0) has degree 16 in Zachary's karate club.
    assert_eq!(s.row_ptr()[1] - s.row_ptr()[0], 16);
}

#[test]
fn sha256_matches_readme() {
    let readme = std::fs::read_to_string(mtx_dir().join("README.md")).unwrap();
    let mut checked = 0;
    for line in readme.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.len() == 2 && parts[0].len() == 64 && parts[1].ends_with(".mtx") {
            let l = read(&mtx_dir().join(parts[1])).unwrap();
            assert_eq!(l.sha256, parts[0], "{}", parts[1]);
            assert_eq!(
                l.bytes_read,
                std::fs::metadata(mtx_dir().join(parts[1])).unwrap().len()
            );
            assert_eq!(
                lowrank_io::sha256_file(&mtx_dir().join(parts[1])).unwrap(),
                parts[0]
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 12);
}

#[test]
fn estimate_comes_from_the_size_line() {
    let e = estimate_memory(&mtx_dir().join("bcsstk13.mtx"), &ReadOptions::default()).unwrap();
    assert_eq!((e.nrows, e.ncols), (Some(2003), Some(2003)));
    // Symmetric: an upper bound of twice the stored entries.
    assert_eq!(e.entries, Some(2 * 42943));
    assert!(e.bytes >= 83883 * 12);
    let e = estimate_memory(
        &mtx_dir().join("illc1033_rhs1.mtx"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(
        (e.nrows, e.ncols, e.entries, e.bytes),
        (Some(1033), Some(1), Some(1033), 1033 * 8)
    );
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

fn err_of(content: &str) -> IoError {
    let dir = tempfile::tempdir().unwrap();
    read(&write(dir.path(), "bad.mtx", content)).unwrap_err()
}

#[test]
fn fewer_or_more_entries_than_declared() {
    let e =
        err_of("%%MatrixMarket matrix coordinate real general\n% c\n3 3 4\n1 1 1\n2 2 2\n3 3 3\n");
    let msg = e.to_string();
    assert!(
        msg.contains("bad.mtx:3: header declares 4 entries, file has 3"),
        "{msg}"
    );
    let e = err_of("%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1\n2 2 2\n\n3 3 3\n");
    let msg = e.to_string();
    assert!(
        msg.contains("bad.mtx:6:") && msg.contains("declares 2 entries, file has 3"),
        "{msg}"
    );
    let e = err_of("%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n");
    assert!(e.to_string().contains("declares 4 values"), "{e}");
}

#[test]
fn count_mismatch_in_a_real_file() {
    // Drop the last entry of illc1033: "header declares 4732 entries, file has 4731".
    let text = std::fs::read_to_string(mtx_dir().join("illc1033.mtx")).unwrap();
    let cut = text.trim_end().rfind('\n').unwrap();
    let msg = err_of(&text[..cut + 1]).to_string();
    assert!(
        msg.contains("header declares 4732 entries, file has 4731"),
        "{msg}"
    );
}

#[test]
fn index_out_of_range_names_the_line() {
    let e =
        err_of("%%MatrixMarket matrix coordinate real general\n%\n3 3 3\n1 1 1\n2 4 2\n3 3 3\n");
    match &e {
        IoError::Format { line, column, .. } => assert_eq!((*line, *column), (Some(5), Some(2))),
        other => panic!("{other:?}"),
    }
    assert!(
        e.to_string().contains("column index 4 is out of range"),
        "{e}"
    );
    let e = err_of("%%MatrixMarket matrix coordinate pattern general\n3 3 2\n0 1\n1 1\n");
    assert!(
        e.to_string()
            .contains("bad.mtx:3:1: row index 0 is out of range"),
        "{e}"
    );
}

#[test]
fn deep_error_in_large_file_has_exact_line() {
    let n = 300_000;
    let mut s = String::from("%%MatrixMarket matrix coordinate real general\n% big\n");
    s.push_str(&format!("{n} 10 {n}\n"));
    for i in 1..=n {
        if i == 271_828 {
            s.push_str(&format!("{i} 3 0x1F\n"));
        } else {
            s.push_str(&format!("{i} {} {}.5\n", i % 10 + 1, i));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "big.mtx", &s);
    let e = read(&p).unwrap_err();
    match &e {
        IoError::Format { line, column, .. } => {
            assert_eq!((*line, *column), (Some(271_828 + 3), Some(3)), "{e}")
        }
        other => panic!("{other:?}"),
    }
    assert!(
        e.to_string().contains("expected a number, found '0x1F'"),
        "{e}"
    );
}

#[test]
fn bad_banner_and_unsupported_fields() {
    let e = err_of("%%MatrixMarkt matrix coordinate real general\n1 1 1\n1 1 1\n");
    assert!(
        e.to_string()
            .contains("bad.mtx:1: not a Matrix Market file"),
        "{e}"
    );
    let e = err_of("%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n");
    assert!(matches!(e, IoError::Unsupported { .. }), "{e:?}");
    assert!(e.to_string().contains("complex"), "{e}");
    let e = err_of("%%MatrixMarket matrix coordinate real hermitian\n1 1 1\n1 1 1\n");
    assert!(matches!(e, IoError::Unsupported { .. }), "{e:?}");
    let e = err_of("%%MatrixMarket matrix coordinate real general\n3 x 3\n");
    assert!(
        e.to_string().contains("bad.mtx:2:2: malformed size line"),
        "{e}"
    );
    let e = err_of("%%MatrixMarket matrix coordinate real general\n3 3\n");
    assert!(e.to_string().contains("expected 3 integers"), "{e}");
    let e = err_of("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 abc\n");
    assert!(
        e.to_string()
            .contains("bad.mtx:3:3: expected a number, found 'abc'"),
        "{e}"
    );
}

#[test]
fn small_cases_symmetric_skew_duplicates_unsorted() {
    let dir = tempfile::tempdir().unwrap();
    let get = |l: &Loaded, i: usize, j: usize| -> f64 {
        match &l.matrix {
            Matrix::Sparse(s) => (s.row_ptr()[i]..s.row_ptr()[i + 1])
                .find(|&k| s.col_idx()[k] as usize == j)
                .map_or(0.0, |k| s.values()[k]),
            Matrix::Dense(d) => d[(i, j)],
        }
    };
    // Skew-symmetric.
    let l = read(&write(
        dir.path(),
        "skew.mtx",
        "%%MatrixMarket matrix coordinate real skew-symmetric\n3 3 2\n2 1 5\n3 2 -1.5\n",
    ))
    .unwrap();
    assert_eq!(l.matrix.stored_entries(), 4);
    assert_eq!(
        (get(&l, 1, 0), get(&l, 0, 1), get(&l, 2, 1), get(&l, 1, 2)),
        (5.0, -5.0, -1.5, 1.5)
    );
    // Duplicates are summed; unsorted input; integer field; CRLF; tabs.
    let l = read(&write(
        dir.path(),
        "dup.mtx",
        "%%MatrixMarket matrix coordinate integer general\r\n2 3 4\r\n2\t3\t7\r\n1 1 1\r\n2 3 -2\r\n1 2 4\r\n",
    ))
    .unwrap();
    assert_eq!(l.matrix.stored_entries(), 3);
    assert_eq!(
        (get(&l, 1, 2), get(&l, 0, 0), get(&l, 0, 1)),
        (5.0, 1.0, 4.0)
    );
    // Symmetric array.
    let l = read(&write(
        dir.path(),
        "sa.mtx",
        "%%MatrixMarket matrix array real symmetric\n2 2\n1\n2\n3\n",
    ))
    .unwrap();
    assert!(!l.matrix.is_sparse());
    assert_eq!(
        (get(&l, 0, 0), get(&l, 1, 0), get(&l, 0, 1), get(&l, 1, 1)),
        (1.0, 2.0, 2.0, 3.0)
    );
    // Empty matrix.
    let l = read(&write(
        dir.path(),
        "z.mtx",
        "%%MatrixMarket matrix coordinate real general\n4 5 0\n",
    ))
    .unwrap();
    assert_eq!(
        (
            l.matrix.nrows(),
            l.matrix.ncols(),
            l.matrix.stored_entries()
        ),
        (4, 5, 0)
    );
}
