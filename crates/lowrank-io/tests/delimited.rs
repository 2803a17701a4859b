//! Dense delimited text: delimiters, headers, missing values, error positions.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use faer::Mat;
use lowrank_io::{
    check_finite, estimate_memory, read_matrix, Format, HeaderMode, IoError, Loaded, Matrix,
    ReadOptions,
};

fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

fn read(path: &Path) -> Result<Loaded, IoError> {
    read_matrix(path, &ReadOptions::default())
}

fn dense(l: &Loaded) -> &Mat<f64> {
    match &l.matrix {
        Matrix::Dense(m) => m,
        Matrix::Sparse(_) => panic!("delimited text reads as dense"),
    }
}

fn rows(m: &Mat<f64>) -> Vec<Vec<f64>> {
    (0..m.nrows())
        .map(|i| (0..m.ncols()).map(|j| m[(i, j)]).collect())
        .collect()
}

#[test]
fn comma_with_header_detected() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "a.csv", b"x,y,\"z z\"\n1,2,3\n4.5,-5e-1,6\n");
    let l = read(&p).unwrap();
    assert_eq!(l.format, Format::Delimited);
    assert_eq!(
        l.column_names,
        Some(vec!["x".into(), "y".into(), "z z".into()])
    );
    assert_eq!(
        rows(dense(&l)),
        vec![vec![1.0, 2.0, 3.0], vec![4.5, -0.5, 6.0]]
    );
    assert_eq!(l.bytes_read, 28);
}

#[test]
fn no_header_when_first_line_is_numeric() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "a.csv", b"1,2\n3,4\n");
    let l = read(&p).unwrap();
    assert_eq!(l.column_names, None);
    assert_eq!(rows(dense(&l)), vec![vec![1.0, 2.0], vec![3.0, 4.0]]);
    // Forcing a header consumes the first line.
    let opts = ReadOptions {
        header: HeaderMode::Present,
        ..ReadOptions::default()
    };
    let l = read_matrix(&p, &opts).unwrap();
    assert_eq!(l.column_names, Some(vec!["1".into(), "2".into()]));
    assert_eq!(rows(dense(&l)), vec![vec![3.0, 4.0]]);
    // Forcing no header makes a textual first line an error.
    let p = write(dir.path(), "b.csv", b"a,b\n3,4\n");
    let opts = ReadOptions {
        header: HeaderMode::Absent,
        ..ReadOptions::default()
    };
    let msg = read_matrix(&p, &opts).unwrap_err().to_string();
    assert!(
        msg.ends_with("b.csv:1:1: cannot parse 'a' as a number (field 1)"),
        "{msg}"
    );
}

#[test]
fn delimiters_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let want = vec![vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]];
    for (name, text) in [
        ("tab.tsv", &b"a\tb\tc\n1\t2\t3\n4\t5\t6\n"[..]),
        ("comma.csv", b"1,2,3\n4,5,6\n"),
        ("semi.csv", b"1;2;3\n4;5;6\n"),
        ("space.txt", b"  1  2 3\n4 5     6  \n"),
        ("mixed_ws.dat", b"1\t 2 3\n4 5\t\t6\n"),
        ("padded.csv", b" 1 , 2,3 \n4,  5 ,6\n"),
    ] {
        let p = write(dir.path(), name, text);
        assert_eq!(rows(dense(&read(&p).unwrap())), want, "{name}");
    }
    // An explicit delimiter wins.
    let p = write(dir.path(), "pipe.txt", b"1|2|3\n4|5|6\n");
    let opts = ReadOptions {
        delimiter: Some(b'|'),
        ..ReadOptions::default()
    };
    assert_eq!(rows(dense(&read_matrix(&p, &opts).unwrap())), want);
}

#[test]
fn missing_values_and_infinities() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "m.csv",
        b"a,b,c\n1,,NaN\nNA,nan,inf\n-inf,+2,\"3\"\n",
    );
    let l = read(&p).unwrap();
    let m = dense(&l);
    assert_eq!((m.nrows(), m.ncols()), (3, 3));
    assert_eq!(m[(0, 0)], 1.0);
    assert!(m[(0, 1)].is_nan() && m[(0, 2)].is_nan() && m[(1, 0)].is_nan() && m[(1, 1)].is_nan());
    assert_eq!(m[(1, 2)], f64::INFINITY);
    assert_eq!(m[(2, 0)], f64::NEG_INFINITY);
    assert_eq!((m[(2, 1)], m[(2, 2)]), (2.0, 3.0));
    let err = check_finite(&l.matrix).unwrap_err();
    assert_eq!(err.count, 6);
    assert_eq!((err.first_row, err.first_col), (0, 1));
    assert_eq!(
        err.to_string(),
        "the matrix has 6 non-finite entries (first: NaN at row 1, column 2, 1-based)"
    );
    let ok = read(&write(dir.path(), "ok.csv", b"1,2\n3,4\n")).unwrap();
    assert!(check_finite(&ok.matrix).is_ok());
}

#[test]
fn crlf_bom_and_blank_lines() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "w.csv",
        b"\xEF\xBB\xBFx,y\r\n1,2\r\n\r\n3,4\r\n\r\n  \n\n",
    );
    let l = read(&p).unwrap();
    assert_eq!(l.column_names, Some(vec!["x".into(), "y".into()]));
    assert_eq!(rows(dense(&l)), vec![vec![1.0, 2.0], vec![3.0, 4.0]]);
    // No trailing newline at all.
    let p = write(dir.path(), "n.csv", b"1,2\n3,4");
    assert_eq!(
        rows(dense(&read(&p).unwrap())),
        vec![vec![1.0, 2.0], vec![3.0, 4.0]]
    );
}

#[test]
fn bad_cell_reports_line_column_and_text() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "data.csv",
        b"a,b,c\n1,2,3\n4,5,6\n7,8,9\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,abc\n",
    );
    let e = read(&p).unwrap_err();
    match &e {
        IoError::Format { line, column, .. } => assert_eq!((*line, *column), (Some(12), Some(3))),
        other => panic!("{other:?}"),
    }
    let msg = e.to_string();
    assert!(
        msg.ends_with("data.csv:12:3: cannot parse 'abc' as a number (field 3)"),
        "{msg}"
    );
}

#[test]
fn ragged_row_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "r.csv", b"1,2,3\n4,5,6\n7,8\n");
    let msg = read(&p).unwrap_err().to_string();
    assert!(
        msg.contains("r.csv:3: line 3 has 2 fields, expected 3"),
        "{msg}"
    );
    let p = write(dir.path(), "r2.csv", b"1 2\n3 4 5\n");
    let msg = read(&p).unwrap_err().to_string();
    assert!(msg.contains(":2: line 2 has 3 fields, expected 2"), "{msg}");
    let p = write(dir.path(), "h.csv", b"a,b,c\n1,2\n");
    let msg = read(&p).unwrap_err().to_string();
    assert!(
        msg.contains("h.csv:2:") && msg.contains("header (line 1) has 3"),
        "{msg}"
    );
}

/// A large file parsed in many parallel chunks: the bad cell's line number must still be exact.
#[test]
fn deep_error_in_large_file_has_exact_line() {
    let dir = tempfile::tempdir().unwrap();
    let (n, ncols) = (200_000usize, 6usize);
    let bad_line = 173_457usize; // 1-based, counting the header
    let mut text = String::with_capacity(n * 60);
    text.push_str("c1,c2,c3,c4,c5,c6\n");
    for i in 0..n {
        if i % 50_000 == 7 {
            text.push('\n'); // blank lines shift line numbers but not rows
        }
        for j in 0..ncols {
            if j > 0 {
                text.push(',');
            }
            let _ = write!(text, "{}", (i * ncols + j) as f64 * 0.001);
        }
        text.push('\n');
    }
    // Replace one cell on a known line.
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let fields: Vec<&str> = lines[bad_line - 1].split(',').collect();
    let mut f: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
    f[4] = "1.2.3".into();
    lines[bad_line - 1] = f.join(",");
    let content = lines.join("\n") + "\n";
    let p = write(dir.path(), "big.csv", content.as_bytes());
    assert!(content.len() > 4 << 20, "big enough for several chunks");
    for parallel in [true, false] {
        let opts = ReadOptions {
            parallel,
            ..ReadOptions::default()
        };
        let e = read_matrix(&p, &opts).unwrap_err();
        match &e {
            IoError::Format { line, column, .. } => {
                assert_eq!((*line, *column), (Some(bad_line as u64), Some(5)), "{e}")
            }
            other => panic!("{other:?}"),
        }
        assert!(e.to_string().contains("cannot parse '1.2.3'"), "{e}");
    }
    // The same file without the bad cell reads identically in parallel and serially.
    lines[bad_line - 1] = f
        .iter()
        .enumerate()
        .map(|(k, s)| if k == 4 { "-1".to_string() } else { s.clone() })
        .collect::<Vec<_>>()
        .join(",");
    let content = lines.join("\n");
    let p = write(dir.path(), "big_ok.csv", content.as_bytes());
    let a = read_matrix(&p, &ReadOptions::default()).unwrap();
    let b = read_matrix(
        &p,
        &ReadOptions {
            parallel: false,
            ..ReadOptions::default()
        },
    )
    .unwrap();
    let (ma, mb) = (dense(&a), dense(&b));
    assert_eq!((ma.nrows(), ma.ncols()), (n, ncols));
    assert!(ma == mb);
    assert_eq!(ma[(0, 1)], 0.001);
    assert_eq!(ma[(n - 1, ncols - 1)], ((n * ncols - 1) as f64) * 0.001);
    // Row index of the edited line: header is line 1, and the blank lines before it (at rows
    // 7, 50007, 100007, 150007) are not rows.
    let edited_row = bad_line - 2 - 4;
    assert_eq!(ma[(edited_row, 4)], -1.0);
    assert_eq!(a.sha256, b.sha256);
    assert_eq!(a.sha256.len(), 64);
    // The estimate from the header lines is close to the truth.
    let est = estimate_memory(&p, &ReadOptions::default()).unwrap();
    assert_eq!(est.ncols, Some(ncols));
    let rows_est = est.nrows.unwrap() as f64;
    assert!(
        (rows_est / n as f64 - 1.0).abs() < 0.25,
        "estimated {rows_est} rows for {n}"
    );
    assert!(est.bytes >= (n * ncols * 8) as u64 / 2);
}

#[test]
fn header_only_and_empty_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "h.csv", b"a,b,c\n");
    let l = read(&p).unwrap();
    assert_eq!((l.matrix.nrows(), l.matrix.ncols()), (0, 3));
    let p = write(dir.path(), "e.csv", b"\n\n");
    let msg = read(&p).unwrap_err().to_string();
    assert!(msg.contains("no data"), "{msg}");
}
