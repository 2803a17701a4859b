//! Every Matrix Market and triplet fixture, and some malformed files, read through blocks of a
//! few dozen bytes (one or a few lines each, some lines longer than a block) give the same
//! matrices, hashes and error messages as with the default blocks. (A separate test binary with
//! a single test, because it changes the block size globally.)

use std::path::{Path, PathBuf};

use lowrank_io::{read_matrix, Format, ReadOptions};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// Everything a read says, as text (matrices through their Debug form).
fn outcome(p: &Path, parallel: bool) -> String {
    let opts = ReadOptions {
        parallel,
        format: match p.extension().and_then(|e| e.to_str()) {
            Some("tsv") => Some(Format::Triplets),
            _ => None,
        },
        ..ReadOptions::default()
    };
    match read_matrix(p, &opts) {
        Ok(l) => format!(
            "{:?} {:?} {:?} {:?} {} {}",
            l.matrix, l.row_ids, l.col_ids, l.column_names, l.sha256, l.bytes_read
        ),
        Err(e) => format!("error: {e}"),
    }
}

#[test]
fn tiny_blocks_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(testdata().join("mtx"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "mtx"))
        .collect();
    files.push(testdata().join("triplets/ratings_small.tsv"));
    let cases: &[(&str, &str)] = &[
        (
            "more.mtx",
            "%%MatrixMarket matrix coordinate real general\n% c\n3 3 2\n1 1 1\n\n% x\n2 2 2\n3 3 3\n1 2 5\n",
        ),
        (
            "fewer.mtx",
            "%%MatrixMarket matrix coordinate real general\n3 3 4\n1 1 1\n2 2 2\n",
        ),
        (
            "late_bad.mtx",
            "%%MatrixMarket matrix coordinate pattern general\n3 3 4\n1 1\n1 2\n2 3\n3 0\n",
        ),
        (
            "unsorted.mtx",
            "%%MatrixMarket matrix coordinate integer general\r\n2 3 5\r\n1 1 1\r\n1 3 4\r\n2 1 7\r\n1 2 2\r\n1 3 -1\r\n",
        ),
        (
            "long_line.mtx",
            "%%MatrixMarket matrix coordinate real general\n% a comment line that is longer than a tiny block, by some margin, surely\n2 2 2\n1 1 0.100000000000000000000000000000000000000000000000000000000000000000000000000001\n2 2 2e0\n",
        ),
        (
            "array.mtx",
            "%%MatrixMarket matrix array real general\n2 3\n1 2\n3\n% c\n4 5 6\n",
        ),
        (
            "array_more.mtx",
            "%%MatrixMarket matrix array real general\n2 2\n1 2\n3\n4 5\n",
        ),
        (
            "bad.tsv",
            "u\ti\tr\nalice\tbook\t1\nbob\tbook\t2\n# c\nbob\tfilm\tx\n",
        ),
        ("short.tsv", "alice\tbook\t1\nbob\tbook\n"),
    ];
    for (name, text) in cases {
        files.push(dir.path().join(name));
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let reference: Vec<String> = files.iter().map(|p| outcome(p, true)).collect();
    for block in [1, 13, 61, 4096] {
        lowrank_io::__set_text_block_bytes(block);
        for parallel in [true, false] {
            for (p, want) in files.iter().zip(&reference) {
                assert_eq!(
                    &outcome(p, parallel),
                    want,
                    "{} with {block}-byte blocks",
                    p.display()
                );
            }
        }
    }
    lowrank_io::__set_text_block_bytes(32 << 20);
    // The malformed files did fail, with their lines.
    let errors: Vec<&String> = reference
        .iter()
        .filter(|r| r.starts_with("error"))
        .collect();
    assert_eq!(errors.len(), 6, "{errors:#?}");
    assert!(
        reference.iter().any(|r| r.contains(
            "more.mtx:8: header (line 3) declares 2 entries, file has 4: this line holds the first extra one"
        )),
        "{errors:#?}"
    );
    assert!(
        reference
            .iter()
            .any(|r| r.contains("late_bad.mtx:6:2: column index 0 is out of range")),
        "{errors:#?}"
    );
    assert!(
        reference
            .iter()
            .any(|r| r.contains("bad.tsv:5:3: cannot parse 'x' as a number")),
        "{errors:#?}"
    );
}
