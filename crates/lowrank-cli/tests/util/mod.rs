//! Helpers for the `lowrank` CLI integration tests: running the binary in a scratch directory,
//! fixture paths, a tiny `.npy` reader/writer, and small numeric checks.

#![allow(dead_code, unreachable_pub)]

use assert_cmd::Command;
use serde_json::Value;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// Absolute path of the repository's `testdata/` folder.
pub fn testdata_root() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    p.canonicalize()
        .unwrap_or_else(|e| panic!("testdata folder {}: {e}", p.display()))
}

/// Absolute path of a fixture, as a `String` (so it can go straight into an argument list).
pub fn td(rel: &str) -> String {
    let p = testdata_root().join(rel);
    assert!(p.exists(), "fixture {} is missing", p.display());
    p.to_str().expect("UTF-8 fixture path").to_string()
}

/// A fresh scratch directory, used as the current directory of one command.
pub fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("lowrank-cli-test-")
        .tempdir()
        .expect("create a temporary directory")
}

/// What one run of `lowrank` did.
#[derive(Debug)]
pub struct Out {
    pub cmdline: String,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    fn describe(&self) -> String {
        format!(
            "command: {}\nexit code: {:?}\n--- stderr ---\n{}\n--- stdout ---\n{}",
            self.cmdline,
            self.code,
            self.stderr,
            truncate(&self.stdout, 3000)
        )
    }

    /// Asserts the exit code; returns `self` for chaining.
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(expected),
            "unexpected exit code\n{}",
            self.describe()
        );
        self
    }

    /// Asserts the command succeeded.
    #[track_caller]
    pub fn ok(&self) -> &Self {
        self.code(0)
    }

    /// Asserts stderr contains every one of `needles`.
    #[track_caller]
    pub fn stderr_has(&self, needles: &[&str]) -> &Self {
        for n in needles {
            assert!(
                self.stderr.contains(n),
                "stderr does not contain {n:?}\n{}",
                self.describe()
            );
        }
        self
    }

    /// Asserts stderr contains every one of `needles`, ignoring case.
    #[track_caller]
    pub fn stderr_has_ci(&self, needles: &[&str]) -> &Self {
        let low = self.stderr.to_lowercase();
        for n in needles {
            assert!(
                low.contains(&n.to_lowercase()),
                "stderr does not contain {n:?} (any case)\n{}",
                self.describe()
            );
        }
        self
    }

    /// Asserts stderr names each number as a whole number (not as part of a longer one).
    #[track_caller]
    pub fn stderr_has_numbers(&self, numbers: &[u64]) -> &Self {
        let found = numbers_in(&self.stderr);
        for n in numbers {
            assert!(
                found.contains(n),
                "stderr does not name the number {n}\n{}",
                self.describe()
            );
        }
        self
    }

    /// Asserts stdout contains every one of `needles`.
    #[track_caller]
    pub fn stdout_has(&self, needles: &[&str]) -> &Self {
        for n in needles {
            assert!(
                self.stdout.contains(n),
                "stdout does not contain {n:?}\n{}",
                self.describe()
            );
        }
        self
    }

    /// Stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{}", self.describe()))
    }
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Every maximal run of ASCII digits in `text`, as numbers.
pub fn numbers_in(text: &str) -> Vec<u64> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|t| !t.is_empty())
        .filter_map(|t| t.parse().ok())
        .collect()
}

/// Runs `lowrank ARGS` with `cwd` as the current directory. Whatever the outcome, stderr must not
/// show a panic, and the process must not die from a signal.
#[track_caller]
pub fn lowrank<I, A>(cwd: &Path, args: I) -> Out
where
    I: IntoIterator<Item = A>,
    A: AsRef<OsStr>,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let cmdline = std::iter::once("lowrank".to_string())
        .chain(args.iter().map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ");
    let output = Command::cargo_bin("lowrank")
        .expect("the lowrank binary is built")
        .current_dir(cwd)
        .args(&args)
        .env_remove("RAYON_NUM_THREADS")
        .output()
        .expect("run lowrank");
    let out = Out {
        cmdline,
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        !out.stderr.contains("panicked"),
        "lowrank panicked\n{}",
        out.describe()
    );
    assert!(
        out.code.is_some(),
        "lowrank was killed by a signal\n{}",
        out.describe()
    );
    out
}

/// Sorted names of the entries of a directory (hidden ones included).
pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read_dir {}: {e}", dir.display()))
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    v.sort();
    v
}

/// Asserts `dir` holds exactly `names` (in any order).
#[track_caller]
pub fn assert_entries(dir: &Path, names: &[&str]) {
    let mut want: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(entries(dir), want, "contents of {}", dir.display());
}

/// Reads and parses a JSON file.
#[track_caller]
pub fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// A JSON array of numbers as `Vec<f64>`.
#[track_caller]
pub fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array, got {v}"))
        .iter()
        .map(|x| {
            x.as_f64()
                .unwrap_or_else(|| panic!("expected a number, got {x}"))
        })
        .collect()
}

/// A JSON number.
#[track_caller]
pub fn num(v: &Value) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("expected a number, got {v}"))
}

/// Largest relative difference `|a_i − b_i| / |b_i|` (the lengths must match).
#[track_caller]
pub fn max_rel_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "lengths differ: {a:?} vs {b:?}");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs())
        .fold(0.0, f64::max)
}

/// Asserts every `a_i` agrees with `b_i` to `tol` relative.
#[track_caller]
pub fn assert_close(what: &str, a: &[f64], b: &[f64], tol: f64) {
    let d = max_rel_diff(a, b);
    assert!(
        d <= tol,
        "{what}: relative difference {d:.3e} > {tol:.0e}\n got       {a:?}\n reference {b:?}"
    );
}

/// A `.npy` array read back (any of `<f8`/`<f4`, C or Fortran order), data in C order.
#[derive(Debug, Clone)]
pub struct Npy {
    pub descr: String,
    pub fortran_order: bool,
    pub shape: Vec<usize>,
    /// Row-major (C order) values.
    pub data: Vec<f64>,
}

impl Npy {
    /// Rows of a 2-d array.
    pub fn nrows(&self) -> usize {
        self.shape[0]
    }
    /// Columns of a 2-d array.
    pub fn ncols(&self) -> usize {
        self.shape[1]
    }
    /// Element `(i, j)` of a 2-d array.
    pub fn at(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.shape[1] + j]
    }
}

fn header_value<'a>(header: &'a str, key: &str) -> &'a str {
    let k = format!("'{key}':");
    let at = header
        .find(&k)
        .unwrap_or_else(|| panic!("npy header {header:?} has no {key}"));
    header[at + k.len()..].trim_start()
}

/// Minimal `.npy` reader for the fixtures and the factor files the CLI writes.
#[track_caller]
pub fn read_npy(path: &Path) -> Npy {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    assert!(
        bytes.len() >= 10 && &bytes[..6] == b"\x93NUMPY",
        "{}: not an .npy file",
        path.display()
    );
    let (hlen, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => (
            u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize,
            12,
        ),
        v => panic!("{}: npy version {v}", path.display()),
    };
    assert_eq!(
        (start + hlen) % 16,
        0,
        "{}: data offset is not 16-byte aligned",
        path.display()
    );
    let header = std::str::from_utf8(&bytes[start..start + hlen]).expect("ASCII npy header");
    let descr_v = header_value(header, "descr");
    let descr = descr_v[1..].split('\'').next().unwrap().to_string();
    let fortran_order = header_value(header, "fortran_order").starts_with("True");
    let shape_v = header_value(header, "shape");
    let close = shape_v.find(')').expect("shape tuple");
    let shape: Vec<usize> = shape_v[1..close]
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| t.parse().expect("shape entry"))
        .collect();
    let body = &bytes[start + hlen..];
    let count: usize = shape.iter().product();
    let raw: Vec<f64> = match descr.as_str() {
        "<f8" => body
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect(),
        "<f4" => body
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()) as f64)
            .collect(),
        d => panic!(
            "{}: dtype {d} not supported by the test reader",
            path.display()
        ),
    };
    let width = if descr == "<f8" { 8 } else { 4 };
    assert_eq!(
        body.len(),
        count * width,
        "{}: {} data bytes for shape {shape:?}",
        path.display(),
        body.len()
    );
    let data = if fortran_order && shape.len() == 2 {
        let (m, n) = (shape[0], shape[1]);
        let mut c = vec![0.0; m * n];
        for j in 0..n {
            for i in 0..m {
                c[i * n + j] = raw[j * m + i];
            }
        }
        c
    } else {
        raw
    };
    Npy {
        descr,
        fortran_order,
        shape,
        data,
    }
}

/// The bytes of an `.npy` v1.0 file: magic, header dict padded to 64 bytes, then `data`.
pub fn npy_bytes(descr: &str, fortran_order: bool, shape: &str, data: &[u8]) -> Vec<u8> {
    let mut header = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
        if fortran_order { "True" } else { "False" }
    );
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

/// `‖A − U·diag(S)·Vᵀ‖_F / ‖A‖_F` from the factor files.
pub fn reconstruction_error(a: &Npy, u: &Npy, s: &[f64], v: &Npy) -> f64 {
    let (m, n) = (a.nrows(), a.ncols());
    let (mut err, mut norm) = (0.0, 0.0);
    for i in 0..m {
        for j in 0..n {
            let x: f64 = s
                .iter()
                .enumerate()
                .map(|(l, sl)| u.at(i, l) * sl * v.at(j, l))
                .sum();
            let aij = a.at(i, j);
            err += (aij - x) * (aij - x);
            norm += aij * aij;
        }
    }
    (err / norm).sqrt()
}

/// Largest entry of `|QᵀQ − I|` for a tall matrix with orthonormal columns.
pub fn orthogonality_loss(q: &Npy) -> f64 {
    let (m, k) = (q.nrows(), q.ncols());
    let mut worst: f64 = 0.0;
    for a in 0..k {
        for b in 0..k {
            let dot: f64 = (0..m).map(|i| q.at(i, a) * q.at(i, b)).sum();
            let target = if a == b { 1.0 } else { 0.0 };
            worst = worst.max((dot - target).abs());
        }
    }
    worst
}

/// Is `s` a 64-character lowercase hex string?
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Asserts two lists of floats are equal up to a few ulps: the same values, one list read back
/// from JSON (serde_json's default float parser, without `float_roundtrip`, may be one ulp off).
#[track_caller]
pub fn assert_same_floats(what: &str, a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ: {a:?} vs {b:?}");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= 4.0 * f64::EPSILON * y.abs(),
            "{what}: entry {i} differs: {x:?} vs {y:?}\n {a:?}\n {b:?}"
        );
    }
}

/// Runs `--help` examples in order, as written, in the (empty, scratch) directory `dir`, where a
/// `testdata` symlink is made (later examples may use what earlier ones wrote). Each must exit 0; one with
/// `--out DIR` must have written `written(words, DIR)`; one with `--json` must print JSON; with
/// `require_stdout`, each must print something. Returns the failures.
pub fn run_help_examples(
    dir: &Path,
    examples: &[String],
    require_stdout: bool,
    written: impl Fn(&[&str], &Path) -> PathBuf,
) -> Vec<String> {
    std::os::unix::fs::symlink(testdata_root(), dir.join("testdata")).unwrap();
    let mut failures = Vec::new();
    for ex in examples {
        let words: Vec<&str> = ex.split_whitespace().skip(1).collect();
        let out = lowrank(dir, &words);
        if out.code != Some(0) {
            failures.push(format!(
                "{ex}\n  exit {:?}: {}",
                out.code,
                out.stderr.trim()
            ));
            continue;
        }
        if let Some(i) = words.iter().position(|w| *w == "--out") {
            let expected = written(&words, &dir.join(words[i + 1]));
            if !expected.exists() {
                failures.push(format!("{ex}\n  no {}", expected.display()));
            }
        }
        if words.contains(&"--json") {
            if let Err(e) = serde_json::from_str::<Value>(&out.stdout) {
                failures.push(format!("{ex}\n  stdout is not JSON: {e}"));
            }
        }
        if require_stdout && out.stdout.trim().is_empty() {
            failures.push(format!("{ex}\n  printed nothing"));
        }
    }
    failures
}
