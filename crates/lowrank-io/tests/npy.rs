//! `.npy` reading and writing, against files written by NumPy itself and hand-made edge cases.

use std::path::{Path, PathBuf};

use faer::Mat;
use lowrank_io::{read_matrix, write_npy, write_npy_vec, Format, IoError, Matrix, ReadOptions};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/io")
        .join(name)
}

fn dense(path: &Path) -> Mat<f64> {
    let loaded = read_matrix(path, &ReadOptions::default()).unwrap();
    assert_eq!(loaded.format, Format::Npy);
    match loaded.matrix {
        Matrix::Dense(m) => m,
        Matrix::Sparse(_) => panic!("npy must read as dense"),
    }
}

/// The base matrix of the fixtures: `a[i, j] = (4i + j) * 0.5 - 1.25`.
fn base(i: usize, j: usize) -> f64 {
    (4 * i + j) as f64 * 0.5 - 1.25
}

fn assert_base(m: &Mat<f64>) {
    assert_eq!((m.nrows(), m.ncols()), (3, 4));
    for i in 0..3 {
        for j in 0..4 {
            assert_eq!(m[(i, j)], base(i, j), "entry ({i}, {j})");
        }
    }
}

/// Builds a version 1.0 `.npy` file by hand.
fn npy_bytes(header: &str, data: &[u8]) -> Vec<u8> {
    let mut dict = header.to_string();
    while (10 + dict.len() + 1) % 64 != 0 {
        dict.push(' ');
    }
    dict.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.extend_from_slice(data);
    out
}

fn read_err(bytes: &[u8]) -> IoError {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.npy");
    std::fs::write(&p, bytes).unwrap();
    read_matrix(&p, &ReadOptions::default()).unwrap_err()
}

#[test]
fn numpy_written_files_read_exactly() {
    for name in [
        "c_f8.npy",
        "fortran_f4.npy",
        "big_endian_f8.npy",
        "v2_f8.npy",
        "v3_f8.npy",
    ] {
        let m = dense(&fixture(name));
        assert_base(&m);
    }
    let ints = dense(&fixture("int32.npy"));
    for i in 0..3 {
        for j in 0..4 {
            assert_eq!(ints[(i, j)], (4 * i + j) as f64 - 5.0);
        }
    }
    let v = dense(&fixture("vec_f8.npy"));
    assert_eq!((v.nrows(), v.ncols()), (3, 1), "a 1-D array is a column");
    assert_eq!([v[(0, 0)], v[(1, 0)], v[(2, 0)]], [1.5, -2.0, 3.25]);
    let b = dense(&fixture("bool.npy"));
    assert_eq!(
        [b[(0, 0)], b[(0, 1)], b[(1, 0)], b[(1, 1)]],
        [1.0, 0.0, 0.0, 1.0]
    );
}

#[test]
fn writer_matches_numpy_byte_for_byte() {
    let m = Mat::from_fn(3, 4, base);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ours.npy");
    write_npy(&p, m.as_ref()).unwrap();
    assert_eq!(
        std::fs::read(&p).unwrap(),
        std::fs::read(fixture("c_f8.npy")).unwrap()
    );
}

#[test]
fn round_trip_is_bit_identical() {
    let (m, n) = (257, 131);
    let mut x = Mat::from_fn(m, n, |i, j| {
        ((i * 7919 + j * 104729) as f64).sin() * 1e3 / (1.0 + j as f64)
    });
    x[(3, 4)] = f64::MIN_POSITIVE / 3.0; // subnormal
    x[(5, 6)] = -0.0;
    x[(7, 8)] = f64::MAX;
    x[(9, 10)] = f64::NAN;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.npy");
    write_npy(&p, x.as_ref()).unwrap();
    for parallel in [true, false] {
        let opts = ReadOptions {
            parallel,
            ..ReadOptions::default()
        };
        let Matrix::Dense(y) = read_matrix(&p, &opts).unwrap().matrix else {
            panic!()
        };
        assert_eq!((y.nrows(), y.ncols()), (m, n));
        for j in 0..n {
            for i in 0..m {
                assert_eq!(y[(i, j)].to_bits(), x[(i, j)].to_bits(), "({i}, {j})");
            }
        }
    }
    // A transposed (row-major) view is written in its logical order.
    let pt = dir.path().join("xt.npy");
    write_npy(&pt, x.transpose()).unwrap();
    let yt = dense(&pt);
    assert_eq!((yt.nrows(), yt.ncols()), (n, m));
    assert_eq!(yt[(4, 3)].to_bits(), x[(3, 4)].to_bits());
    assert_eq!(yt[(130, 256)], x[(256, 130)]);
    // No temporary files are left next to the output.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn large_c_order_and_fortran_order_agree() {
    // Big enough for the parallel tiled conversion; few and many columns.
    // 1100x1100 (9.7 MB) spans several read blocks, with a block edge inside a column.
    for (m, n) in [(70_000usize, 3usize), (300, 700), (1100, 1100)] {
        let vals: Vec<f64> = (0..m * n).map(|k| k as f64 * 0.25 - 7.0).collect();
        let c_bytes: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
        let mut f_bytes = Vec::with_capacity(m * n * 8);
        for j in 0..n {
            for i in 0..m {
                f_bytes.extend_from_slice(&vals[i * n + j].to_le_bytes());
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let pc = dir.path().join("c.npy");
        let pf = dir.path().join("f.npy");
        let hc = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({m}, {n}), }}");
        let hf = format!("{{'descr': '<f8', 'fortran_order': True, 'shape': ({m}, {n}), }}");
        std::fs::write(&pc, npy_bytes(&hc, &c_bytes)).unwrap();
        std::fs::write(&pf, npy_bytes(&hf, &f_bytes)).unwrap();
        let (a, b) = (dense(&pc), dense(&pf));
        for (i, j) in [
            (0, 0),
            (1, n - 1),
            (m - 1, 0),
            (m / 2, n / 2),
            (m - 1, n - 1),
        ] {
            assert_eq!(a[(i, j)], vals[i * n + j]);
            assert_eq!(b[(i, j)], vals[i * n + j]);
        }
        assert!(a == b);
    }
}

#[test]
fn write_npy_vec_is_one_dimensional() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.npy");
    write_npy_vec(&p, &[3.0, 2.0, 1.0]).unwrap();
    let bytes = std::fs::read(&p).unwrap();
    let header = String::from_utf8_lossy(&bytes[10..128]);
    assert!(header.contains("'shape': (3,)"), "{header}");
    assert!(header.contains("'descr': '<f8'"), "{header}");
    let m = dense(&p);
    assert_eq!((m.nrows(), m.ncols(), m[(2, 0)]), (3, 1, 1.0));
}

#[test]
fn truncated_file_reports_byte_offset_and_sizes() {
    let full = std::fs::read(fixture("c_f8.npy")).unwrap();
    assert_eq!(full.len(), 128 + 96);
    let e = read_err(&full[..200]);
    let msg = e.to_string();
    assert!(
        matches!(
            e,
            IoError::Format {
                byte_offset: Some(200),
                ..
            }
        ),
        "{e:?}"
    );
    assert!(msg.contains("bad.npy: byte 200:"), "{msg}");
    assert!(msg.contains("truncated"), "{msg}");
    assert!(
        msg.contains("96 bytes") && msg.contains("72"),
        "expected vs actual sizes: {msg}"
    );
    // Cut inside the header.
    let msg = read_err(&full[..50]).to_string();
    assert!(msg.contains("truncated .npy header"), "{msg}");
}

#[test]
fn trailing_garbage_is_an_error() {
    let mut bytes = std::fs::read(fixture("c_f8.npy")).unwrap();
    bytes.extend_from_slice(b"extra");
    let msg = read_err(&bytes).to_string();
    assert!(msg.contains("5 unexpected bytes"), "{msg}");
    assert!(msg.contains("byte 224"), "{msg}");
}

#[test]
fn bad_magic_is_an_error() {
    let mut bytes = std::fs::read(fixture("c_f8.npy")).unwrap();
    bytes[1] = b'X';
    let e = read_err(&bytes);
    let msg = e.to_string();
    assert!(
        msg.contains("byte 0") && msg.contains("not a .npy file"),
        "{msg}"
    );
    assert!(msg.contains("\\x93XUMPY"), "shows what was found: {msg}");
}

#[test]
fn unsupported_dtypes_and_shapes_are_clear() {
    let e = read_matrix(&fixture("complex.npy"), &ReadOptions::default()).unwrap_err();
    assert!(matches!(e, IoError::Unsupported { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("<c16") && msg.contains("complex"), "{msg}");
    let msg = read_matrix(&fixture("three_d.npy"), &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("3-dimensional"), "{msg}");
    let msg = read_err(&npy_bytes(
        "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }",
        &[0; 8],
    ))
    .to_string();
    assert!(msg.contains("objects"), "{msg}");
    let msg = read_err(&npy_bytes(
        "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }",
        &[0; 8],
    ))
    .to_string();
    assert!(msg.contains("structured"), "{msg}");
}

#[test]
fn other_integer_and_float_types() {
    // int8, uint16 big-endian, int64, float32 little-endian, 0-d scalar.
    let cases: Vec<(&str, Vec<u8>, Vec<f64>)> = vec![
        ("|i1", vec![0xff, 0x02], vec![-1.0, 2.0]),
        (">u2", vec![0x01, 0x00, 0xff, 0xff], vec![256.0, 65535.0]),
        (
            "<i8",
            [(-3i64).to_le_bytes(), 5i64.to_le_bytes()].concat(),
            vec![-3.0, 5.0],
        ),
        (
            "<f4",
            [1.5f32.to_le_bytes(), (-0.25f32).to_le_bytes()].concat(),
            vec![1.5, -0.25],
        ),
    ];
    for (descr, data, want) in cases {
        let h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (1, 2), }}");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.npy");
        std::fs::write(&p, npy_bytes(&h, &data)).unwrap();
        let m = dense(&p);
        assert_eq!((m.nrows(), m.ncols()), (1, 2), "{descr}");
        assert_eq!(vec![m[(0, 0)], m[(0, 1)]], want, "{descr}");
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("scalar.npy");
    let h = "{'descr': '<f8', 'fortran_order': False, 'shape': (), }";
    std::fs::write(&p, npy_bytes(h, &7.5f64.to_le_bytes())).unwrap();
    let m = dense(&p);
    assert_eq!((m.nrows(), m.ncols(), m[(0, 0)]), (1, 1, 7.5));
}

#[test]
fn format_is_sniffed_without_extension() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("matrix.bin");
    std::fs::copy(fixture("c_f8.npy"), &p).unwrap();
    let loaded = read_matrix(&p, &ReadOptions::default()).unwrap();
    assert_eq!(loaded.format, Format::Npy);
    let Matrix::Dense(m) = loaded.matrix else {
        panic!()
    };
    assert_base(&m);
}
