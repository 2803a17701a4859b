//! Matrix Market and triplet files streamed through many blocks: block edges must not change
//! entries, line numbers or the SHA-256, whether the entries go straight into CSR (general, in
//! row order) or are staged (unsorted, symmetric). (A separate test binary, because it shrinks
//! the block size globally.)

// Mirrored matrices are filled by (i, j) index.
#![allow(clippy::needless_range_loop)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use lowrank_core::op::{CsrMatrix, DuplicatePolicy};
use lowrank_io::{estimate_memory, read_matrix, IoError, Loaded, Matrix, ReadOptions};

/// Odd on purpose: block edges fall anywhere in a line.
const BLOCK: usize = (3 << 20) + 7;

fn setup() {
    lowrank_io::__set_text_block_bytes(BLOCK);
}

fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

fn read(p: &Path, parallel: bool) -> Result<Loaded, IoError> {
    let opts = ReadOptions {
        parallel,
        ..ReadOptions::default()
    };
    read_matrix(p, &opts)
}

fn sparse(l: &Loaded) -> &CsrMatrix {
    match &l.matrix {
        Matrix::Sparse(s) => s,
        Matrix::Dense(_) => panic!("sparse expected"),
    }
}

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// 1-based `(row, col, value)` entries of a `m x n` matrix, sorted by row then column, about
/// `per_row` per row; the values are short decimals (exact in text).
fn sorted_entries(m: usize, n: usize, per_row: u64, seed: u64) -> Vec<(usize, usize, f64)> {
    let mut rng = Rng(seed);
    let mut out = Vec::new();
    for i in 1..=m {
        let mut cols: Vec<usize> = (0..rng.below(2 * per_row + 1))
            .map(|_| rng.below(n as u64) as usize + 1)
            .collect();
        cols.sort_unstable();
        cols.dedup();
        for j in cols {
            let v = (rng.below(20_000) as f64 - 10_000.0) / 64.0;
            out.push((i, j, v));
        }
    }
    out
}

/// The expected CSR, built by the core from 0-based triplets (duplicates summed, mirrored for
/// symmetric input in file order).
fn expected(m: usize, n: usize, entries: &[(usize, usize, f64)], mirror: Option<f64>) -> CsrMatrix {
    let (mut r, mut c, mut v) = (Vec::new(), Vec::new(), Vec::new());
    for &(i, j, x) in entries {
        r.push(i - 1);
        c.push(j - 1);
        v.push(x);
        if let Some(sign) = mirror {
            if i != j {
                r.push(j - 1);
                c.push(i - 1);
                v.push(sign * x);
            }
        }
    }
    CsrMatrix::from_triplets(m, n, &r, &c, &v, DuplicatePolicy::Sum).unwrap()
}

/// A coordinate file: banner, a comment, the size line, then the entries; every `noise`-th
/// entry is preceded by a comment and a blank line, and lines end with CRLF when `crlf`.
fn coo_file(
    kind: &str,
    m: usize,
    n: usize,
    entries: &[(usize, usize, f64)],
    noise: Option<usize>,
    crlf: bool,
) -> String {
    let nl = if crlf { "\r\n" } else { "\n" };
    let mut s = format!("%%MatrixMarket matrix coordinate real {kind}{nl}% generated{nl}");
    let _ = write!(s, "{m} {n} {}{nl}", entries.len());
    for (k, &(i, j, v)) in entries.iter().enumerate() {
        if noise.is_some_and(|q| k % q == q - 1) {
            let _ = write!(s, "% a comment in the body{nl}  {nl}");
        }
        let _ = write!(s, "{i} {j} {v}{nl}");
    }
    s
}

fn line_of(text: &str, pos: usize) -> u64 {
    text[..pos].matches('\n').count() as u64 + 1
}

#[test]
fn sorted_general_file_goes_straight_to_csr_across_blocks() {
    setup();
    let dir = tempfile::tempdir().unwrap();
    let (m, n) = (60_000, 5_000);
    let entries = sorted_entries(m, n, 8, 1);
    let want = expected(m, n, &entries, None);
    for (name, noise, crlf) in [("plain.mtx", None, false), ("noisy.mtx", Some(997), true)] {
        let text = coo_file("general", m, n, &entries, noise, crlf);
        assert!(text.len() > 3 * BLOCK, "{} bytes", text.len());
        let p = write(dir.path(), name, text.as_bytes());
        for parallel in [true, false] {
            let l = read(&p, parallel).unwrap();
            assert_eq!(sparse(&l), &want, "{name} parallel={parallel}");
            assert_eq!(l.sha256, lowrank_io::sha256_file(&p).unwrap());
            assert_eq!(l.bytes_read, text.len() as u64);
        }
        // In row order: no staging in the estimate, and no whole-file term (only blocks).
        let e = estimate_memory(&p, &ReadOptions::default()).unwrap();
        assert_eq!(e.entries, Some(entries.len() as u64));
        assert!(e.peak_bytes >= e.bytes, "{e:?}");
        assert!(e.peak_bytes < e.bytes + 4 * BLOCK as u64, "{name}: {e:?}");
    }
}

#[test]
fn unsorted_and_symmetric_files_are_staged_across_blocks() {
    setup();
    let dir = tempfile::tempdir().unwrap();
    let (m, n) = (50_000, 50_000);
    let mut entries = sorted_entries(m, n, 10, 2);
    // In order for several blocks, then out of order (a late swap), plus duplicates.
    let k = entries.len() * 3 / 4;
    entries.swap(k, k + 5_000);
    entries.push((17, 3, 0.25));
    entries.push((17, 3, 0.5));
    entries.push((1, 1, -2.0));
    let text = coo_file("general", m, n, &entries, Some(1_009), false);
    assert!(text.len() > 3 * BLOCK);
    let p = write(dir.path(), "unsorted.mtx", text.as_bytes());
    let want = expected(m, n, &entries, None);
    for parallel in [true, false] {
        let l = read(&p, parallel).unwrap();
        assert_eq!(sparse(&l), &want, "parallel={parallel}");
    }
    let e = estimate_memory(&p, &ReadOptions::default()).unwrap();
    assert!(e.peak_bytes >= e.bytes, "{e:?}");
    // The swap is past the sampled start: the estimate takes the file as sorted, so the
    // staging is not counted. (An unsorted start is, below.)

    // Symmetric and skew-symmetric: the lower triangle, mirrored.
    let lower: Vec<(usize, usize, f64)> = entries
        .iter()
        .map(|&(i, j, v)| (i.max(j), i.min(j), v))
        .collect();
    for (kind, sign) in [("symmetric", 1.0), ("skew-symmetric", -1.0)] {
        let lower: Vec<_> = if sign < 0.0 {
            lower.iter().copied().filter(|&(i, j, _)| i != j).collect()
        } else {
            lower.clone()
        };
        let text = coo_file(kind, m, n, &lower, None, false);
        let p = write(dir.path(), "sym.mtx", text.as_bytes());
        let want = expected(m, n, &lower, Some(sign));
        for parallel in [true, false] {
            let l = read(&p, parallel).unwrap();
            assert_eq!(sparse(&l), &want, "{kind} parallel={parallel}");
            assert_eq!(l.sha256, lowrank_io::sha256_file(&p).unwrap());
        }
        // Staged: the estimate counts the triplets.
        let e = estimate_memory(&p, &ReadOptions::default()).unwrap();
        assert!(e.peak_bytes >= e.bytes + 16 * lower.len() as u64, "{e:?}");
    }
}

#[test]
fn errors_deep_in_the_file_have_exact_lines() {
    setup();
    let dir = tempfile::tempdir().unwrap();
    let (m, n) = (60_000, 5_000);
    let entries = sorted_entries(m, n, 8, 3);
    let good = coo_file("general", m, n, &entries, Some(2_003), false);

    // A bad value in a late block.
    let k = entries.len() - 1_234;
    let (i, j, v) = entries[k];
    let needle = format!("\n{i} {j} {v}\n");
    let at = good.find(&needle).unwrap() + 1;
    let bad = format!(
        "{}{i} {j} 1.5e\n{}",
        &good[..at],
        &good[at + needle.len() - 1..]
    );
    let line = line_of(&bad, at);
    let p = write(dir.path(), "bad.mtx", bad.as_bytes());
    for parallel in [true, false] {
        let e = read(&p, parallel).unwrap_err();
        match &e {
            IoError::Format {
                line: l,
                column,
                byte_offset,
                ..
            } => {
                assert_eq!((*l, *column), (Some(line), Some(3)), "{e}");
                let value_at = at + format!("{i} {j} ").len();
                assert_eq!(*byte_offset, Some(value_at as u64), "{e}");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            e.to_string().contains(&format!(
                "bad.mtx:{line}:3: expected a number, found '1.5e'"
            )),
            "{e}"
        );
    }

    // An index out of range in a late block.
    let oob = format!(
        "{}{i} {} {v}\n{}",
        &good[..at],
        n + 1,
        &good[at + needle.len() - 1..]
    );
    let p = write(dir.path(), "oob.mtx", oob.as_bytes());
    let msg = read(&p, true).unwrap_err().to_string();
    assert!(
        msg.contains(&format!(
            "oob.mtx:{line}:2: column index {} is out of range: the header declares {n} columns",
            n + 1
        )),
        "{msg}"
    );

    // More entries than declared: the first extra one is named, in a late block.
    let declared = entries.len() - 10_000;
    let size_line = format!("{m} {n} {}\n", entries.len());
    let more = good.replacen(&size_line, &format!("{m} {n} {declared}\n"), 1);
    let (fi, fj, fv) = entries[declared];
    let extra_at = more.find(&format!("\n{fi} {fj} {fv}\n")).unwrap() + 1;
    let p = write(dir.path(), "more.mtx", more.as_bytes());
    for parallel in [true, false] {
        let e = read(&p, parallel).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains(&format!(
                "more.mtx:{}: header (line 3) declares {declared} entries, file has {}: this \
                 line holds the first extra one",
                line_of(&more, extra_at),
                entries.len()
            )),
            "{msg}"
        );
        match e {
            IoError::Format { byte_offset, .. } => {
                assert_eq!(byte_offset, Some(extra_at as u64))
            }
            other => panic!("{other:?}"),
        }
    }

    // Fewer entries than declared.
    let fewer = good.replacen(&size_line, &format!("{m} {n} {}\n", entries.len() + 3), 1);
    let p = write(dir.path(), "fewer.mtx", fewer.as_bytes());
    let msg = read(&p, true).unwrap_err().to_string();
    assert!(
        msg.contains(&format!(
            "fewer.mtx:3: header declares {} entries, file has {}",
            entries.len() + 3,
            entries.len()
        )),
        "{msg}"
    );
}

#[test]
fn a_lying_header_does_not_reserve_memory() {
    setup();
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "lie.mtx",
        b"%%MatrixMarket matrix coordinate real general\n4000000000 4000000000 1000000000000000\n1 1 1\n2 2 2\n",
    );
    let msg = read(&p, true).unwrap_err().to_string();
    assert!(
        msg.contains("lie.mtx:2: header declares 1000000000000000 entries, file has 2"),
        "{msg}"
    );
    let p = write(
        dir.path(),
        "lie_array.mtx",
        b"%%MatrixMarket matrix array real general\n3000000000 3000000000\n1\n2\n",
    );
    let msg = read(&p, true).unwrap_err().to_string();
    assert!(
        msg.contains(
            "declares 9000000000000000000 values (3000000000x3000000000 general), file has 2"
        ),
        "{msg}"
    );
}

#[test]
fn arrays_across_blocks() {
    setup();
    let dir = tempfile::tempdir().unwrap();
    let (m, n) = (2_500, 300);
    let mut rng = Rng(4);
    let vals: Vec<f64> = (0..m * n)
        .map(|_| (rng.below(1 << 20) as f64 - 524_288.0) / 1024.0)
        .collect();
    let mut text = format!("%%MatrixMarket matrix array real general\n% c\n{m} {n}\n");
    for (k, v) in vals.iter().enumerate() {
        // Mostly one value per line, sometimes three, and some comments.
        let sep = if k % 3 == 2 || k % 5 == 0 { "\n" } else { " " };
        let _ = write!(text, "{v}{sep}");
        if k % 50_021 == 0 && sep == "\n" {
            text.push_str("% note\n");
        }
    }
    assert!(text.len() > 3 * BLOCK, "{}", text.len());
    let p = write(dir.path(), "array.mtx", text.as_bytes());
    for parallel in [true, false] {
        let l = read(&p, parallel).unwrap();
        let Matrix::Dense(d) = &l.matrix else {
            panic!("dense expected")
        };
        assert_eq!((d.nrows(), d.ncols()), (m, n));
        for j in 0..n {
            for i in 0..m {
                assert_eq!(d[(i, j)], vals[j * m + i], "({i}, {j})");
            }
        }
    }
    // Symmetric and skew-symmetric arrays: the (strictly) lower triangle by columns.
    let k = 900;
    for (kind, skew) in [("symmetric", false), ("skew-symmetric", true)] {
        let mut text = format!("%%MatrixMarket matrix array real {kind}\n{k} {k}\n");
        let mut want = vec![vec![0.0; k]; k];
        let mut c = 0u64;
        for j in 0..k {
            for i in (if skew { j + 1 } else { j })..k {
                c += 1;
                let v = c as f64 / 4.0;
                want[i][j] = v;
                want[j][i] = if skew && i != j { -v } else { v };
                let _ = writeln!(text, "{v}");
            }
        }
        let p = write(dir.path(), "sym_array.mtx", text.as_bytes());
        let l = read(&p, true).unwrap();
        let Matrix::Dense(d) = &l.matrix else {
            panic!("dense expected")
        };
        for (i, row) in want.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                assert_eq!(d[(i, j)], v, "{kind} ({i}, {j})");
            }
        }
    }
    // Too many values: the line holding the first extra one.
    let text = "%%MatrixMarket matrix array real general\n2 2\n1 2\n3\n4 5 6\n";
    let p = write(dir.path(), "extra.mtx", text.as_bytes());
    let msg = read(&p, true).unwrap_err().to_string();
    assert!(
        msg.contains("extra.mtx:5: header (line 2) declares 4 values (2x2 general), file has 6"),
        "{msg}"
    );
}

#[test]
fn long_header_comments() {
    setup();
    let dir = tempfile::tempdir().unwrap();
    // More than the first 1 MiB the header is looked for in.
    let mut text = String::from("%%MatrixMarket matrix coordinate real general\n");
    for k in 0..60_000 {
        let _ = writeln!(text, "% comment line {k} of a long preamble");
    }
    let comment_lines = 60_001;
    assert!(text.len() > 2 << 20);
    text.push_str("3 3 2\n1 1 1.5\n3 2 x\n");
    let p = write(dir.path(), "long.mtx", text.as_bytes());
    let msg = read(&p, true).unwrap_err().to_string();
    assert!(
        msg.contains(&format!(
            "long.mtx:{}:3: expected a number",
            comment_lines + 3
        )),
        "{msg}"
    );
    let text = text.replace("3 2 x", "3 2 -4");
    let p = write(dir.path(), "long.mtx", text.as_bytes());
    let l = read(&p, true).unwrap();
    assert_eq!(sparse(&l).values(), &[1.5, -4.0]);
    let e = estimate_memory(&p, &ReadOptions::default()).unwrap();
    assert_eq!((e.nrows, e.ncols, e.entries), (Some(3), Some(3), Some(2)));
}

#[test]
fn triplets_across_blocks() {
    setup();
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(5);
    let mut text = String::from("user\titem\trating\ttime\n");
    let mut seen_u = Vec::new();
    let mut seen_i = Vec::new();
    let mut sums = std::collections::HashMap::new();
    let mut bad_line = 0;
    for k in 0..400_000u64 {
        if k % 10_007 == 0 {
            text.push_str("# comment\n\n");
        }
        let u = format!("u{}", rng.below(30_000));
        let i = format!("item-{}", rng.below(2_000));
        let r = (rng.below(10) + 1) as f64 / 2.0;
        if !seen_u.contains(&u) && seen_u.len() < 50 {
            seen_u.push(u.clone());
        }
        if !seen_i.contains(&i) && seen_i.len() < 50 {
            seen_i.push(i.clone());
        }
        *sums.entry((u.clone(), i.clone())).or_insert(0.0) += r;
        if k == 390_000 {
            bad_line = text.matches('\n').count() + 1;
        }
        let _ = writeln!(text, "{u}\t{i}\t{r}\t{}", 880_000_000 + k);
    }
    assert!(text.len() > 3 * BLOCK, "{}", text.len());
    let p = write(dir.path(), "ratings.tsv", text.as_bytes());
    let opts = |parallel| ReadOptions {
        format: Some(lowrank_io::Format::Triplets),
        parallel,
        ..ReadOptions::default()
    };
    for parallel in [true, false] {
        let l = read_matrix(&p, &opts(parallel)).unwrap();
        let rows = l.row_ids.as_ref().unwrap();
        let cols = l.col_ids.as_ref().unwrap();
        assert_eq!(&rows[..50], &seen_u[..], "ids in order of first appearance");
        assert_eq!(&cols[..50], &seen_i[..]);
        let s = sparse(&l);
        assert_eq!(s.nnz(), sums.len());
        for i in 0..s.shape().0 {
            for k in s.row_ptr()[i]..s.row_ptr()[i + 1] {
                let key = (rows[i].clone(), cols[s.col_idx()[k] as usize].clone());
                assert_eq!(s.values()[k], sums[&key]);
            }
        }
        assert_eq!(
            l.column_names.as_deref().unwrap(),
            ["user", "item", "rating", "time"]
        );
        assert_eq!(l.sha256, lowrank_io::sha256_file(&p).unwrap());
    }
    // An error deep in the file names its line.
    let mut lines: Vec<&str> = text.split('\n').collect();
    lines[bad_line - 1] = "u1\titem-1\tfive\t0";
    let bad = lines.join("\n");
    let p = write(dir.path(), "bad.tsv", bad.as_bytes());
    let msg = read_matrix(&p, &opts(true)).unwrap_err().to_string();
    assert!(
        msg.contains(&format!(
            "bad.tsv:{bad_line}:3: cannot parse 'five' as a number"
        )),
        "{msg}"
    );
}
