//! Atomic writers, output directories, safetensors, formats and memory estimates.

use std::path::Path;

use faer::Mat;
use lowrank_io::{
    check_finite, estimate_memory, write_atomic, write_npy, write_safetensors,
    write_safetensors_with_metadata, Format, IoError, Matrix, OutputDir, ReadOptions,
};

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn output_dir_dropped_without_commit_leaves_nothing() {
    let root = tempfile::tempdir().unwrap();
    let target = root.path().join("result");
    {
        let out = OutputDir::create(&target, false).unwrap();
        assert!(out.path().exists());
        assert_ne!(out.path(), target.as_path());
        assert_eq!(
            out.path().parent(),
            Some(root.path()),
            "temp dir is a sibling"
        );
        write_atomic(&out.file("half.json"), b"{}").unwrap();
        write_npy(&out.path().join("u.npy"), Mat::<f64>::zeros(2, 2).as_ref()).unwrap();
        // An error happens here: `out` is dropped.
    }
    assert!(!target.exists());
    assert!(
        entries(root.path()).is_empty(),
        "{:?}",
        entries(root.path())
    );
}

#[test]
fn output_dir_commit_and_refusal() {
    let root = tempfile::tempdir().unwrap();
    let target = root.path().join("nested/result");
    let out = OutputDir::create(&target, false).unwrap();
    std::fs::write(out.file("a.txt"), "first").unwrap();
    assert!(
        !target.exists(),
        "nothing under the final name before commit"
    );
    assert_eq!(out.commit().unwrap(), target);
    assert_eq!(
        std::fs::read_to_string(target.join("a.txt")).unwrap(),
        "first"
    );
    // Exists, no force: refused up front, old output untouched.
    let e = OutputDir::create(&target, false).unwrap_err();
    assert!(matches!(e, IoError::OutputExists { .. }), "{e:?}");
    assert!(e.to_string().contains("already exists"), "{e}");
    assert_eq!(
        std::fs::read_to_string(target.join("a.txt")).unwrap(),
        "first"
    );
    // Force, but dropped: the old output survives.
    {
        let out = OutputDir::create(&target, true).unwrap();
        std::fs::write(out.file("b.txt"), "second").unwrap();
    }
    assert_eq!(entries(&target), ["a.txt"]);
    // Force and commit: replaced entirely, nothing left aside.
    let out = OutputDir::create(&target, true).unwrap();
    std::fs::write(out.file("b.txt"), "second").unwrap();
    out.commit().unwrap();
    assert_eq!(entries(&target), ["b.txt"]);
    assert_eq!(entries(&root.path().join("nested")), ["result"]);
}

#[test]
fn output_dir_replaces_a_file_with_force() {
    let root = tempfile::tempdir().unwrap();
    let target = root.path().join("out");
    std::fs::write(&target, "a file").unwrap();
    assert!(matches!(
        OutputDir::create(&target, false),
        Err(IoError::OutputExists { .. })
    ));
    let out = OutputDir::create(&target, true).unwrap();
    std::fs::write(out.file("x"), "y").unwrap();
    out.commit().unwrap();
    assert!(target.is_dir());
    assert_eq!(entries(root.path()), ["out"]);
}

#[test]
fn write_atomic_replaces_and_leaves_no_temp_files() {
    let root = tempfile::tempdir().unwrap();
    let p = root.path().join("f.bin");
    write_atomic(&p, b"one").unwrap();
    write_atomic(&p, b"two").unwrap();
    assert_eq!(std::fs::read(&p).unwrap(), b"two");
    assert_eq!(entries(root.path()), ["f.bin"]);
    // Failure (missing directory): reported with the path, nothing created.
    let bad = root.path().join("missing/dir/f.bin");
    let e = write_atomic(&bad, b"x").unwrap_err();
    assert!(matches!(e, IoError::Io { .. }), "{e:?}");
    assert_eq!(entries(root.path()), ["f.bin"]);
}

#[test]
fn safetensors_round_trip() {
    let root = tempfile::tempdir().unwrap();
    let p = root.path().join("f.safetensors");
    let u = Mat::from_fn(5, 3, |i, j| (i * 3 + j) as f64 + 0.5);
    let s = Mat::from_fn(3, 1, |i, _| 10.0 - i as f64);
    write_safetensors_with_metadata(
        &p,
        &[("U", u.as_ref()), ("S", s.as_ref()), ("Vt", u.transpose())],
        &[("rank", "3")],
    )
    .unwrap();
    let bytes = std::fs::read(&p).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let t = st.tensor("U").unwrap();
    assert_eq!(t.dtype(), safetensors::Dtype::F64);
    assert_eq!(t.shape(), [5, 3]);
    let vals: Vec<f64> = t
        .data()
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let want: Vec<f64> = (0..15).map(|k| k as f64 + 0.5).collect();
    assert_eq!(vals, want, "row-major");
    let vt = st.tensor("Vt").unwrap();
    assert_eq!(vt.shape(), [3, 5]);
    let first = f64::from_le_bytes(vt.data()[8..16].try_into().unwrap());
    assert_eq!(first, u[(1, 0)]);
    assert_eq!(st.tensor("S").unwrap().shape(), [3, 1]);
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    assert_eq!(
        meta.metadata()
            .as_ref()
            .unwrap()
            .get("rank")
            .map(String::as_str),
        Some("3")
    );
    // Duplicate names are refused.
    let e = write_safetensors(&p, &[("A", u.as_ref()), ("A", u.as_ref())]).unwrap_err();
    assert!(e.to_string().contains("two tensors are named 'A'"), "{e}");
}

#[test]
fn formats_from_paths_and_names() {
    let cases = [
        ("a.npy", Some(Format::Npy)),
        ("a.CSV", Some(Format::Delimited)),
        ("a.tsv", Some(Format::Delimited)),
        ("a.txt", Some(Format::Delimited)),
        ("a.dat", Some(Format::Delimited)),
        ("a.mtx", Some(Format::MatrixMarket)),
        ("a.mm", Some(Format::MatrixMarket)),
        ("a.triplets", Some(Format::Triplets)),
        ("a.coo", Some(Format::Triplets)),
        ("a.ijv", Some(Format::Triplets)),
        ("a.parquet", None),
        ("noext", None),
    ];
    for (p, f) in cases {
        assert_eq!(Format::from_path(Path::new(p)), f, "{p}");
    }
    for f in [
        Format::Npy,
        Format::Delimited,
        Format::MatrixMarket,
        Format::Triplets,
    ] {
        assert_eq!(Format::parse_name(f.name()), Some(f));
        assert_eq!(Format::parse_name(&f.to_string().to_uppercase()), Some(f));
    }
    assert_eq!(Format::parse_name("csv"), Some(Format::Delimited));
    assert_eq!(Format::parse_name("mtx"), Some(Format::MatrixMarket));
    assert_eq!(Format::parse_name("xlsx"), None);
}

#[test]
fn compressed_and_unknown_files_are_refused_clearly() {
    let root = tempfile::tempdir().unwrap();
    let p = root.path().join("a.mtx");
    std::fs::write(&p, [0x1f, 0x8b, 8, 0, 0, 0]).unwrap();
    let e = lowrank_io::read_matrix(&p, &ReadOptions::default()).unwrap_err();
    assert!(e.to_string().contains("compressed"), "{e}");
    let p = root.path().join("a.weird");
    std::fs::write(&p, "1 2\n").unwrap();
    let e = lowrank_io::read_matrix(&p, &ReadOptions::default()).unwrap_err();
    assert!(e.to_string().contains("cannot tell the format"), "{e}");
    let e = lowrank_io::read_matrix(&root.path().join("none.csv"), &ReadOptions::default())
        .unwrap_err();
    assert!(
        matches!(e, IoError::Io { .. }) && e.to_string().contains("none.csv"),
        "{e}"
    );
}

#[test]
fn npy_estimate_reads_only_the_header() {
    let root = tempfile::tempdir().unwrap();
    let p = root.path().join("big.npy");
    // A header claiming a huge array, with no data: the estimate must not care.
    let header = "{'descr': '<f4', 'fortran_order': True, 'shape': (100000, 3000), }";
    let mut dict = header.to_string();
    while (10 + dict.len() + 1) % 64 != 0 {
        dict.push(' ');
    }
    dict.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    bytes.extend_from_slice(dict.as_bytes());
    std::fs::write(&p, &bytes).unwrap();
    let e = estimate_memory(&p, &ReadOptions::default()).unwrap();
    assert_eq!(
        (e.nrows, e.ncols, e.entries),
        (Some(100_000), Some(3000), Some(300_000_000))
    );
    assert_eq!(e.bytes, 2_400_000_000, "f64 after conversion");
    assert!(e.peak_bytes >= e.bytes);
    // Reading it fails cleanly.
    let msg = lowrank_io::read_matrix(&p, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("truncated"), "{msg}");
}

#[test]
fn check_finite_on_sparse_and_dense() {
    let mut d = Mat::<f64>::zeros(3, 3);
    d[(2, 0)] = f64::INFINITY;
    let e = check_finite(&Matrix::Dense(d)).unwrap_err();
    assert_eq!((e.count, e.first_row, e.first_col), (1, 2, 0));
    assert_eq!(
        e.to_string(),
        "the matrix has 1 non-finite entry (first: inf at row 3, column 1, 1-based)"
    );
    let s = lowrank_core::op::CsrMatrix::from_triplets(
        3,
        4,
        &[2, 1, 1],
        &[0, 3, 1],
        &[f64::NAN, f64::NEG_INFINITY, 1.0],
        lowrank_core::op::DuplicatePolicy::Sum,
    )
    .unwrap();
    let e = check_finite(&Matrix::Sparse(s)).unwrap_err();
    assert_eq!((e.count, e.first_row, e.first_col), (2, 1, 3));
    assert!(e.first_value == f64::NEG_INFINITY);
    let io: IoError = e.into();
    assert!(io.to_string().contains("-inf at row 2, column 4"), "{io}");
}
