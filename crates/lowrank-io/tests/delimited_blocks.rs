//! Delimited text streamed through many small blocks: block edges must not change rows, line
//! numbers or values. (A separate test binary, because it shrinks the block size globally.)

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use faer::Mat;
use lowrank_io::{read_matrix, IoError, Matrix, ReadOptions};

const BLOCK: usize = 3 << 20;

fn setup() {
    lowrank_io::__set_text_block_bytes(BLOCK);
}

fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

fn dense(p: &Path, parallel: bool) -> Result<Mat<f64>, IoError> {
    let opts = ReadOptions {
        parallel,
        ..ReadOptions::default()
    };
    read_matrix(p, &opts).map(|l| match l.matrix {
        Matrix::Dense(m) => m,
        Matrix::Sparse(_) => panic!("dense expected"),
    })
}

/// A ~10 MB file: many blocks, several chunks per block, CRLF and blank lines throughout.
fn big_text(bad: Option<(usize, usize)>) -> (String, Vec<Vec<f64>>) {
    let ncols = 7;
    let mut text = String::from("a;b;c;d;e;f;g\r\n");
    let mut rows = Vec::new();
    for i in 0..220_000usize {
        if i % 9_973 == 0 {
            text.push_str("\r\n   \n");
        }
        let row: Vec<f64> = (0..ncols)
            .map(|j| ((i * 31 + j * 17) % 1000) as f64 / 8.0 - 60.0)
            .collect();
        for (j, v) in row.iter().enumerate() {
            if j > 0 {
                text.push(';');
            }
            if bad == Some((i, j)) {
                text.push_str("oops");
            } else {
                let _ = write!(text, "{v}");
            }
        }
        text.push_str("\r\n");
        rows.push(row);
    }
    (text, rows)
}

#[test]
fn many_blocks_read_exactly() {
    setup();
    let dir = tempfile::tempdir().unwrap();
    let (text, rows) = big_text(None);
    assert!(text.len() > 3 * BLOCK, "{} bytes", text.len());
    let p = write(dir.path(), "big.csv", text.as_bytes());
    for parallel in [true, false] {
        let m = dense(&p, parallel).unwrap();
        assert_eq!((m.nrows(), m.ncols()), (rows.len(), 7));
        for (i, row) in rows.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                assert_eq!(m[(i, j)], v, "({i}, {j})");
            }
        }
    }
}

#[test]
fn error_line_is_exact_across_blocks() {
    setup();
    let dir = tempfile::tempdir().unwrap();
    let bad_row = 201_234;
    let (text, _) = big_text(Some((bad_row, 6)));
    // Line of the bad row: count in the text itself.
    let pos = text.find("oops").unwrap();
    let line = text[..pos].matches('\n').count() as u64 + 1;
    let p = write(dir.path(), "bad.csv", text.as_bytes());
    for parallel in [true, false] {
        let e = dense(&p, parallel).unwrap_err();
        match &e {
            IoError::Format {
                line: l,
                column,
                byte_offset,
                ..
            } => {
                assert_eq!((*l, *column), (Some(line), Some(7)), "{e}");
                assert_eq!(*byte_offset, Some(pos as u64), "{e}");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            e.to_string()
                .contains(&format!("bad.csv:{line}:7: cannot parse 'oops'")),
            "{e}"
        );
    }
    // A ragged row deep in the file.
    let mut lines: Vec<&str> = text.split("\r\n").collect();
    lines[150_001] = "1;2;3";
    let ragged = lines.join("\r\n");
    let pos = ragged.find("\r\n1;2;3\r\n").unwrap() + 2;
    let line = ragged[..pos].matches('\n').count() as u64 + 1;
    let p = write(dir.path(), "ragged.csv", ragged.as_bytes());
    let msg = dense(&p, true).unwrap_err().to_string();
    assert!(
        msg.contains(&format!(":{line}: line {line} has 3 fields, expected 7")),
        "{msg}"
    );
}

#[test]
fn line_longer_than_a_block() {
    setup();
    let dir = tempfile::tempdir().unwrap();
    let ncols = 1_700_000; // "0.5," is 4 bytes: a 6.8 MB line
    let mut text = String::new();
    for r in 0..3 {
        let line: Vec<String> = (0..ncols)
            .map(|j| if j == r { "2".into() } else { "0.5".into() })
            .collect();
        text.push_str(&line.join(","));
        text.push('\n');
    }
    assert!(text.len() / 3 > BLOCK);
    let p = write(dir.path(), "wide.csv", text.as_bytes());
    let m = dense(&p, true).unwrap();
    assert_eq!((m.nrows(), m.ncols()), (3, ncols));
    assert_eq!(
        (m[(0, 0)], m[(1, 1)], m[(2, 2)], m[(2, ncols - 1)]),
        (2.0, 2.0, 2.0, 0.5)
    );
    let est = lowrank_io::estimate_memory(&p, &ReadOptions::default()).unwrap();
    assert_eq!(est.ncols, Some(ncols));
}
