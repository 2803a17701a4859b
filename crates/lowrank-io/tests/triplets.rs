//! Triplet files with string and integer ids.

use std::path::{Path, PathBuf};

use lowrank_io::{read_matrix, Format, HeaderMode, IoError, Loaded, Matrix, ReadOptions};

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

fn get(l: &Loaded, row: &str, col: &str) -> Option<f64> {
    let i = l.row_ids.as_ref()?.iter().position(|r| r == row)?;
    let j = l.col_ids.as_ref()?.iter().position(|c| c == col)?;
    let Matrix::Sparse(s) = &l.matrix else {
        panic!("triplets read as sparse")
    };
    (s.row_ptr()[i]..s.row_ptr()[i + 1])
        .find(|&k| s.col_idx()[k] as usize == j)
        .map(|k| s.values()[k])
}

#[test]
fn string_ids_in_order_of_first_appearance() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "r.triplets",
        "# ratings\nuser\titem\trating\nalice\tbook\t5\nbob\tfilm\t3\nalice\tfilm\t4\n\ncarol\tbook\t1.5\nbob\tfilm\t1\n",
    );
    let l = read_matrix(&p, &ReadOptions::default()).unwrap();
    assert_eq!(l.format, Format::Triplets);
    assert_eq!(l.row_ids.as_deref().unwrap(), ["alice", "bob", "carol"]);
    assert_eq!(l.col_ids.as_deref().unwrap(), ["book", "film"]);
    assert_eq!(
        l.column_names.as_deref().unwrap(),
        ["user", "item", "rating"]
    );
    assert_eq!(
        (
            l.matrix.nrows(),
            l.matrix.ncols(),
            l.matrix.stored_entries()
        ),
        (3, 2, 4)
    );
    assert_eq!(get(&l, "alice", "book"), Some(5.0));
    assert_eq!(get(&l, "bob", "film"), Some(4.0), "duplicates are summed");
    assert_eq!(get(&l, "alice", "film"), Some(4.0));
    assert_eq!(get(&l, "carol", "book"), Some(1.5));
    assert_eq!(get(&l, "carol", "film"), None);
}

#[test]
fn integer_ids_comma_and_whitespace_extra_columns() {
    let dir = tempfile::tempdir().unwrap();
    // MovieLens-style: user item rating timestamp (the timestamp is ignored).
    let p = write(
        dir.path(),
        "u.coo",
        "196 242 3 881250949\n186 302 3 891717742\n196 302 1 878887116\n",
    );
    let l = read_matrix(&p, &ReadOptions::default()).unwrap();
    assert_eq!(l.column_names, None);
    assert_eq!(l.row_ids.as_deref().unwrap(), ["196", "186"]);
    assert_eq!(l.col_ids.as_deref().unwrap(), ["242", "302"]);
    assert_eq!(get(&l, "196", "302"), Some(1.0));
    let p = write(dir.path(), "c.ijv", "r1,c1,1e3\nr2,c1,-2\n");
    let l = read_matrix(&p, &ReadOptions::default()).unwrap();
    assert_eq!(get(&l, "r1", "c1"), Some(1000.0));
    assert_eq!(get(&l, "r2", "c1"), Some(-2.0));
}

#[test]
fn bad_value_reports_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "bad.triplets",
        "a b 1\n# comment\nb c 2\nc d x7\n",
    );
    let e = read_matrix(&p, &ReadOptions::default()).unwrap_err();
    match &e {
        IoError::Format { line, column, .. } => assert_eq!((*line, *column), (Some(4), Some(3))),
        other => panic!("{other:?}"),
    }
    assert!(
        e.to_string()
            .contains("bad.triplets:4:3: cannot parse 'x7' as a number"),
        "{e}"
    );
    let p = write(dir.path(), "short.triplets", "a b 1\nb c\n");
    let e = read_matrix(&p, &ReadOptions::default()).unwrap_err();
    assert!(
        e.to_string()
            .contains("short.triplets:2: line has 2 fields"),
        "{e}"
    );
}

#[test]
fn header_modes() {
    let dir = tempfile::tempdir().unwrap();
    // A numeric-looking header must be declared.
    let p = write(dir.path(), "h.triplets", "1 2 3\n10 20 1\n");
    let opts = ReadOptions {
        header: HeaderMode::Present,
        ..ReadOptions::default()
    };
    let l = read_matrix(&p, &opts).unwrap();
    assert_eq!(l.matrix.stored_entries(), 1);
    assert_eq!(l.row_ids.as_deref().unwrap(), ["10"]);
    let l = read_matrix(&p, &ReadOptions::default()).unwrap();
    assert_eq!(l.matrix.stored_entries(), 2);
    // Format chosen by name for an unknown extension.
    let p = write(dir.path(), "ratings.data", "u1 i1 2\n");
    assert!(read_matrix(&p, &ReadOptions::default()).is_err());
    let opts = ReadOptions {
        format: Format::parse_name("triplets"),
        ..ReadOptions::default()
    };
    assert_eq!(read_matrix(&p, &opts).unwrap().matrix.stored_entries(), 1);
}
