//! End-to-end tests of `lowrank lsa` and `lowrank lsa query`: the model directory, the "known
//! topics" test on a small real corpus (`testdata/corpus/fortunes`, four folders), agreement
//! with an independent dense tf-idf + SVD, scikit-learn's tf-idf on the full benchmark corpus
//! (skipped when the benchmark data are absent), bad inputs, and the `--help` examples.

mod util;

use faer::Mat;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use util::*;

/// The small corpus: 4 folders × 40 fortunes (computers, food, law, startrek).
const CORPUS: &str = "corpus/fortunes";
const TOPICS: [&str; 4] = ["computers", "food", "law", "startrek"];

fn fit_small(dir: &Path, extra: &[&str]) -> PathBuf {
    let mut args = vec![
        "lsa".to_string(),
        td(CORPUS),
        "--topics".into(),
        "10".into(),
        "--stop-words".into(),
        "english".into(),
        "--out".into(),
        "m".into(),
        "-q".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    lowrank(dir, &args).ok();
    dir.join("m")
}

fn names(model: &Path) -> Vec<String> {
    std::fs::read_to_string(model.join("documents.txt"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn folder(name: &str) -> &str {
    name.split('/').next().unwrap()
}

// ---------------------------------------------------------------------------------------------
// LSA on a small corpus with known topics
// ---------------------------------------------------------------------------------------------

#[test]
fn lsa_on_a_small_corpus_with_known_topics() {
    let dir = scratch();
    let model = fit_small(dir.path(), &[]);
    let names = names(&model);
    assert_eq!(names.len(), 160);
    let coords = read_npy(&model.join("document_coordinates.npy"));
    assert_eq!((coords.nrows(), coords.ncols()), (160, 10));
    // Nearest neighbour of every document (cosine in topic space, itself excluded): how often
    // does it come from the same folder? Chance is 1/4 (four folders of 40). scikit-learn
    // 1.9.1 (TfidfVectorizer(min_df=2, stop_words="english") + TruncatedSVD(10)) gives 0.76 on
    // this corpus; the folders overlap (a fortune about a lawyer's computer...), so 1.0 is not
    // expected. 0.6 is far above chance (a binomial(160, 1/4) exceeds 0.4 with p < 1e-4).
    let k = coords.ncols();
    let unit: Vec<Vec<f64>> = (0..160)
        .map(|i| {
            let r: Vec<f64> = (0..k).map(|j| coords.at(i, j)).collect();
            let n = r.iter().map(|x| x * x).sum::<f64>().sqrt();
            r.iter().map(|x| x / n).collect()
        })
        .collect();
    let mut same = 0;
    for i in 0..160 {
        let nn = (0..160)
            .filter(|&j| j != i)
            .max_by(|&a, &b| {
                let da: f64 = (0..k).map(|c| unit[i][c] * unit[a][c]).sum();
                let db: f64 = (0..k).map(|c| unit[i][c] * unit[b][c]).sum();
                da.total_cmp(&db)
            })
            .unwrap();
        same += usize::from(folder(&names[i]) == folder(&names[nn]));
    }
    let purity = same as f64 / 160.0;
    assert!(purity >= 0.6, "nearest-neighbour purity {purity}");

    // Queries made of a topic's words return documents of that topic.
    for (text, topic) in [
        ("captain kirk spock stardate enterprise", "startrek"),
        ("the lawyer and the judge in court", "law"),
        ("eat chocolate food cook dinner", "food"),
        ("computer program programmer bug software", "computers"),
    ] {
        let out = lowrank(dir.path(), ["lsa", "query", "m", text, "-n", "5", "--json"]);
        out.ok();
        let doc = out.json();
        assert_eq!(doc["schema"], "lowrank.lsa.query/1");
        let matches = doc["matches"].as_array().unwrap();
        assert_eq!(matches.len(), 5);
        let hits = matches
            .iter()
            .filter(|m| folder(m["name"].as_str().unwrap()) == topic)
            .count();
        assert!(hits >= 4, "{text:?}: {hits}/5 from {topic}: {matches:?}");
        let scores: Vec<f64> = matches.iter().map(|m| num(&m["score"])).collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
        assert!(scores.iter().all(|s| (-1.0..=1.0).contains(s)));
    }
    // Text output names the documents.
    lowrank(dir.path(), ["lsa", "query", "m", "spock kirk", "-n", "3"])
        .ok()
        .stdout_has(&["rank", "score", "startrek/"]);
}

// ---------------------------------------------------------------------------------------------
// The model against an independent dense tf-idf and a dense SVD (faer)
// ---------------------------------------------------------------------------------------------

/// tf-idf written directly from the definition (scikit-learn's formula), dense.
fn reference_tfidf(texts: &[String], min_df: usize) -> (Vec<String>, Mat<f64>) {
    let docs: Vec<Vec<String>> = texts
        .iter()
        .map(|t| {
            t.to_lowercase()
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .filter(|w| w.chars().count() >= 2)
                .map(str::to_string)
                .collect()
        })
        .collect();
    let mut df: HashMap<&str, usize> = HashMap::new();
    for d in &docs {
        let mut seen: Vec<&str> = d.iter().map(String::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        for w in seen {
            *df.entry(w).or_default() += 1;
        }
    }
    let mut terms: Vec<&str> = df
        .iter()
        .filter(|(_, &c)| c >= min_df)
        .map(|(w, _)| *w)
        .collect();
    terms.sort_unstable();
    let n = texts.len() as f64;
    let mut x = Mat::<f64>::zeros(docs.len(), terms.len());
    for (i, d) in docs.iter().enumerate() {
        for w in d {
            if let Ok(j) = terms.binary_search(&w.as_str()) {
                x[(i, j)] += 1.0;
            }
        }
        for (j, t) in terms.iter().enumerate() {
            x[(i, j)] *= ((1.0 + n) / (1.0 + df[t] as f64)).ln() + 1.0;
        }
        let norm = (0..terms.len())
            .map(|j| x[(i, j)] * x[(i, j)])
            .sum::<f64>()
            .sqrt();
        if norm > 0.0 {
            for j in 0..terms.len() {
                x[(i, j)] /= norm;
            }
        }
    }
    (terms.into_iter().map(str::to_string).collect(), x)
}

#[test]
fn model_matches_a_dense_reference() {
    let dir = scratch();
    // Default vectorizer (no stop words), Lanczos forced so the truncated path is tested.
    let out = lowrank(
        dir.path(),
        [
            "lsa",
            &td(CORPUS),
            "-k",
            "8",
            "--method",
            "lanczos",
            "--tol",
            "1e-10",
            "--out",
            "m",
            "--json",
        ],
    );
    out.ok();
    let summary = out.json();
    let model = dir.path().join("m");
    let saved = read_json(&model.join("lsa.json"));
    assert_eq!(saved["schema"], "lowrank.lsa.model/1");
    assert_eq!(saved["singular_values"], summary["singular_values"]);
    for key in ["read_seconds", "tfidf_seconds", "svd_seconds"] {
        assert!(num(&saved["timings"][key]) >= 0.0, "{key}");
    }
    let texts: Vec<String> = names(&model)
        .iter()
        .map(|n| std::fs::read_to_string(testdata_root().join(CORPUS).join(n)).unwrap())
        .collect();
    let (terms, x) = reference_tfidf(&texts, 2);
    let vocab: Vec<String> = std::fs::read_to_string(model.join("vocabulary.tsv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect();
    assert_eq!(vocab, terms);
    assert_eq!(saved["vocabulary_size"], terms.len());
    let nnz = (0..x.nrows())
        .flat_map(|i| (0..x.ncols()).map(move |j| (i, j)))
        .filter(|&(i, j)| x[(i, j)] != 0.0)
        .count();
    assert_eq!(saved["nnz"], nnz);

    let svd = x.thin_svd().unwrap();
    let sref: Vec<f64> = svd.S().column_vector().iter().take(8).copied().collect();
    let s = f64s(&saved["singular_values"]);
    // Lanczos at tol 1e-10 (residuals ≤ 1e-10·σ₁) gives σ to about 1e-20·σ₁ in exact
    // arithmetic; both SVDs carry rounding of ~1e-15·σ₁ (σ₁ ≈ 2, 160×~800): 1e-12 leaves margin.
    for (a, b) in s.iter().zip(&sref) {
        assert!((a - b).abs() < 1e-12, "σ {s:?} vs {sref:?}");
    }
    // U·Σ and V match the dense factors up to the sign of each pair (σ are distinct here).
    let v = read_npy(&model.join("V.npy"));
    let c = read_npy(&model.join("document_coordinates.npy"));
    let (uref, vref) = (svd.U(), svd.V());
    for j in 0..8 {
        let sign = if (0..v.nrows())
            .map(|i| v.at(i, j) * vref[(i, j)])
            .sum::<f64>()
            < 0.0
        {
            -1.0
        } else {
            1.0
        };
        // Vector errors ~ residual / gap; gaps here are ≥ 1e-2·σ₁, so 1e-7 is generous.
        for i in 0..v.nrows() {
            assert!((v.at(i, j) - sign * vref[(i, j)]).abs() < 1e-7);
        }
        for i in 0..c.nrows() {
            assert!((c.at(i, j) - sign * uref[(i, j)] * sref[j]).abs() < 1e-7);
        }
    }
    let cert = &saved["svd"]["certificate"];
    assert!(num(&cert["max_residual"]) < 1e-9, "{cert}");
    for f in [
        "vocabulary.tsv",
        "documents.txt",
        "V.npy",
        "S.npy",
        "document_coordinates.npy",
        "topics.txt",
        "topics.svg",
        "documents.svg",
        "lsa.json",
    ] {
        assert!(model.join(f).exists(), "{f}");
    }
    let topics = std::fs::read_to_string(model.join("topics.txt")).unwrap();
    assert_eq!(topics.lines().count(), 8);
    let svg = std::fs::read_to_string(model.join("documents.svg")).unwrap();
    for t in TOPICS {
        assert!(svg.contains(t), "legend lacks {t}");
    }
}

#[test]
fn jsonl_corpus_names_documents_by_id() {
    let dir = scratch();
    let out = lowrank(
        dir.path(),
        [
            "lsa",
            &td("corpus/fortunes_small.jsonl"),
            "--topics",
            "3",
            "--min-df",
            "1",
            "--out",
            "j",
            "--json",
        ],
    );
    out.ok();
    assert_eq!(out.json()["documents"], 20);
    let n = names(&dir.path().join("j"));
    assert_eq!(n[0], "computers/00001.txt");
    assert_eq!(n.len(), 20);
}

// ---------------------------------------------------------------------------------------------
// scikit-learn's tf-idf and ARPACK's σ on the full benchmark corpus (W6)
// ---------------------------------------------------------------------------------------------

fn bench_data() -> Option<PathBuf> {
    let p = std::env::var_os("LOWRANK_BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.bench/data"));
    let needed = ["fortunes", "w6_tfidf.mtx", "w6_vocab.txt", "w6_docs.txt"];
    if needed.iter().all(|f| p.join(f).exists()) {
        Some(p)
    } else {
        eprintln!(
            "SKIPPED: benchmark data not found in {} (set LOWRANK_BENCH_DATA or run the W6 \
             generator, see shared/bench/README.md)",
            p.display()
        );
        None
    }
}

#[test]
fn tfidf_reproduces_sklearn_on_the_w6_corpus() {
    let Some(data) = bench_data() else { return };
    let corpus = lowrank_io::corpus::read_folder(&data.join("fortunes")).unwrap();
    let docs: Vec<String> = std::fs::read_to_string(data.join("w6_docs.txt"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(corpus.names, docs, "document order");
    let t = lowrank_text::tfidf::fit_transform(
        &corpus.texts,
        &lowrank_text::tfidf::TfidfParams::default(),
    )
    .unwrap();
    let vocab: Vec<String> = std::fs::read_to_string(data.join("w6_vocab.txt"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(t.vocabulary.len(), 15517);
    assert_eq!(t.vocabulary.terms, vocab);
    let reference = lowrank_io::read_matrix(
        &data.join("w6_tfidf.mtx"),
        &lowrank_io::ReadOptions::default(),
    )
    .unwrap();
    let lowrank_io::Matrix::Sparse(r) = reference.matrix else {
        panic!("w6_tfidf.mtx is not sparse")
    };
    assert_eq!(r.shape(), t.matrix.shape());
    assert_eq!(t.matrix.nnz(), 301_756);
    assert_eq!(r.row_ptr(), t.matrix.row_ptr());
    assert_eq!(r.col_idx(), t.matrix.col_idx());
    let max_diff = r
        .values()
        .iter()
        .zip(t.matrix.values())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    eprintln!("max |lowrank - sklearn| over the tf-idf values: {max_diff:e}");
    // Same operations in the same order; only the logarithm (numpy's vs the system libm) can
    // differ by an ulp, which moves a unit-norm row's entries by a few 1e-16.
    assert!(max_diff <= 1e-15, "max abs difference {max_diff:e}");
}

#[test]
fn lsa_sigma_matches_arpack_on_the_w6_corpus() {
    let Some(data) = bench_data() else { return };
    let sref_path = data.join("w6_sigma_ref.npy");
    if !sref_path.exists() {
        eprintln!("SKIPPED: {} not found", sref_path.display());
        return;
    }
    let dir = scratch();
    let corpus = data.join("fortunes");
    let out = lowrank(
        dir.path(),
        ["lsa", corpus.to_str().unwrap(), "--topics", "100", "--json"],
    );
    out.ok();
    let doc: Value = out.json();
    assert_eq!(doc["vocabulary_size"], 15517);
    assert_eq!(doc["nnz"], 301_756);
    let s = f64s(&doc["singular_values"]);
    let sref = read_npy(&sref_path).data;
    assert_eq!(s.len(), 100);
    // ARPACK (tol=0) is accurate to rounding; the default --tol 1e-6 bounds the residuals by
    // 1e-6·σ₁, so σ are accurate to about (1e-6)²·σ₁/gap: 1e-8 relative is the task's target.
    let err = max_rel_diff(&s, &sref[..100]);
    eprintln!("max relative σ error vs ARPACK: {err:e}");
    assert!(err < 1e-8, "σ error {err:e}");
    for key in ["read_seconds", "tfidf_seconds", "svd_seconds"] {
        assert!(doc["timings"][key].is_f64(), "{key}");
    }
}

// ---------------------------------------------------------------------------------------------
// Bad inputs
// ---------------------------------------------------------------------------------------------

fn write(dir: &Path, rel: &str, content: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

#[test]
fn empty_corpus_and_documents_without_terms() {
    let dir = scratch();
    let d = dir.path();
    std::fs::create_dir_all(d.join("empty/sub")).unwrap();
    write(d, "empty/.hidden", b"hidden files do not count");
    lowrank(d, ["lsa", "empty", "-k", "2"])
        .code(3)
        .stderr_has(&["empty", "no documents"]);
    // Documents, but no token of two or more word characters.
    write(d, "blank/a.txt", b"");
    write(d, "blank/b.txt", b"a . b ! ?");
    lowrank(d, ["lsa", "blank", "-k", "1"])
        .code(3)
        .stderr_has(&["blank", "no terms left"]);
    let jsonl = d.join("empty.jsonl");
    std::fs::write(&jsonl, "\n\n").unwrap();
    lowrank(d, ["lsa", "empty.jsonl", "-k", "1"])
        .code(3)
        .stderr_has(&["empty.jsonl", "no documents"]);
}

#[test]
fn empty_documents_stay_at_the_origin_without_nan() {
    let dir = scratch();
    let d = dir.path();
    write(d, "c/1.txt", b"apple banana cherry");
    write(d, "c/2.txt", b"apple banana");
    write(d, "c/3.txt", b"");
    write(d, "c/4.txt", b"cherry date date");
    write(d, "c/5.txt", b"\xff\xfe not utf-8 apple");
    let out = lowrank(
        d,
        [
            "lsa", "c", "-k", "2", "--min-df", "1", "--out", "m", "--json",
        ],
    );
    out.ok().stderr_has(&["3.txt", "not valid UTF-8", "5.txt"]);
    let doc = out.json();
    assert_eq!(doc["corpus"]["empty_documents"], 1);
    assert_eq!(doc["corpus"]["lossy_utf8_documents"][0], "5.txt");
    let c = read_npy(&d.join("m/document_coordinates.npy"));
    assert!(c.data.iter().all(|x| x.is_finite()));
    // A zero row of X has u = Xv/σ = 0 in exact arithmetic; the dense SVD leaves rounding
    // (~1e-16 for this 5×4 matrix of unit rows).
    assert!(
        (0..2).all(|j| c.at(2, j).abs() < 1e-12),
        "empty document at the origin: {:?}",
        (c.at(2, 0), c.at(2, 1))
    );
    let q = lowrank(d, ["lsa", "query", "m", "apple", "-n", "5", "--json"]);
    q.ok();
    let m = q.json()["matches"].as_array().unwrap().clone();
    assert_eq!(m.len(), 5);
    assert!(m.iter().all(|x| num(&x["score"]).is_finite()));
    // A query without any vocabulary word has no similarity at all.
    lowrank(d, ["lsa", "query", "m", "zebra xylophone"])
        .code(3)
        .stderr_has(&["zebra xylophone", "vocabulary"]);
}

#[test]
fn more_topics_than_documents_or_terms() {
    let dir = scratch();
    let d = dir.path();
    write(d, "c/1.txt", b"apple banana cherry date");
    write(d, "c/2.txt", b"apple banana cherry date egg");
    write(d, "c/3.txt", b"egg fig");
    lowrank(d, ["lsa", "c", "-k", "4", "--min-df", "1"])
        .code(2)
        .stderr_has(&["4 topics", "3 documents", "at most 3"]);
    lowrank(d, ["lsa", "c", "-k", "3", "--min-df", "3"])
        .code(3)
        .stderr_has(&["no terms left"]);
    lowrank(d, ["lsa", "c", "-k", "0"])
        .code(2)
        .stderr_has(&["--topics 0"]);
    // As many topics as documents: allowed (exact SVD).
    lowrank(d, ["lsa", "c", "-k", "3", "--min-df", "1"]).ok();
}

#[test]
fn malformed_json_lines_name_file_and_line() {
    let dir = scratch();
    let d = dir.path();
    let cases: [(&str, &str, &[&str]); 4] = [
        (
            "bad.jsonl",
            "{\"id\": 1, \"text\": \"apple pie\"}\n{\"id\": 2, \"text\": \"apple\n",
            &["bad.jsonl:2:", "not a JSON object"],
        ),
        (
            "notext.jsonl",
            "{\"id\": 1, \"text\": \"apple pie\"}\n\n{\"id\": 3, \"body\": \"x\"}\n",
            &["notext.jsonl:3", "missing field \"text\""],
        ),
        (
            "dup.jsonl",
            "{\"id\": \"a\", \"text\": \"apple\"}\n{\"id\": \"a\", \"text\": \"pie\"}\n",
            &["dup.jsonl:2", "already used on line 1"],
        ),
        (
            "num.jsonl",
            "{\"id\": 1, \"text\": 42}\n",
            &["num.jsonl:1", "must be a string"],
        ),
    ];
    for (name, content, needles) in cases {
        std::fs::write(d.join(name), content).unwrap();
        lowrank(d, ["lsa", name, "-k", "1", "--out", "o"])
            .code(3)
            .stderr_has(needles);
        assert!(!d.join("o").exists(), "no output after a failure");
    }
}

#[test]
fn bad_flags_and_model_directories() {
    let dir = scratch();
    let d = dir.path();
    let corpus = td(CORPUS);
    for (flag, value, needle) in [
        ("--min-df", "abc", "--min-df abc"),
        ("--max-df", "1.5", "--max-df 1.5"),
        ("--tol", "0", "--tol 0"),
        ("--max-features", "0", "max_features"),
    ] {
        lowrank(d, ["lsa", &corpus, "-k", "2", flag, value])
            .code(2)
            .stderr_has(&[needle]);
    }
    lowrank(
        d,
        [
            "lsa", &corpus, "-k", "2", "--min-df", "50", "--max-df", "10",
        ],
    )
    .code(2)
    .stderr_has(&["max_df", "min_df"]);
    lowrank(d, ["lsa", "missing_dir", "-k", "2"])
        .code(3)
        .stderr_has(&["missing_dir"]);
    // An existing output is not replaced without --force.
    lowrank(d, ["lsa", &corpus, "-k", "2", "--out", "m", "-q"]).ok();
    lowrank(d, ["lsa", &corpus, "-k", "2", "--out", "m"])
        .code(4)
        .stderr_has(&["already exists"]);
    lowrank(
        d,
        ["lsa", &corpus, "-k", "3", "--out", "m", "--force", "-q"],
    )
    .ok();
    assert_eq!(read_npy(&d.join("m/S.npy")).data.len(), 3);
    // Query on something that is not a model, or a damaged one.
    lowrank(d, ["lsa", "query", "nowhere", "apple"])
        .code(3)
        .stderr_has(&["nowhere", "not a usable LSA model"]);
    std::fs::write(d.join("m/documents.txt"), "only one name\n").unwrap();
    lowrank(d, ["lsa", "query", "m", "computer"])
        .code(3)
        .stderr_has(&["documents.txt", "160 rows"]);
    lowrank(d, ["lsa", "query", "m", "computer", "-n", "0"]).code(2);
}

// ---------------------------------------------------------------------------------------------
// The examples in `--help` run as written.
// ---------------------------------------------------------------------------------------------

/// Splits a command line on spaces, keeping "double-quoted" words together.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

#[test]
fn lsa_help_examples_run_as_written() {
    let dir = scratch();
    let help = lowrank(dir.path(), ["lsa", "--help"]);
    help.ok();
    let examples: Vec<String> = help
        .stdout
        .lines()
        .filter(|l| l.starts_with("  lowrank "))
        .map(str::to_string)
        .collect();
    assert!(examples.len() >= 4, "examples: {examples:?}");
    assert!(examples.iter().any(|e| e.contains("lsa query")));
    let query_help = lowrank(dir.path(), ["lsa", "query", "--help"]);
    query_help.ok();
    for ex in &examples {
        assert!(ex.len() < 95, "example line too long: {ex}");
        assert!(
            query_help.stdout.contains(ex.as_str()),
            "query --help lacks {ex}"
        );
    }
    std::os::unix::fs::symlink(testdata_root(), dir.path().join("testdata")).unwrap();
    for ex in &examples {
        let words = shell_words(ex);
        let out = lowrank(dir.path(), &words[1..]);
        assert_eq!(out.code, Some(0), "{ex}\n{}", out.stderr);
        if let Some(i) = words.iter().position(|w| w == "--out") {
            assert!(
                dir.path().join(&words[i + 1]).join("lsa.json").exists(),
                "{ex}"
            );
        }
        if words.iter().any(|w| w == "--json") {
            serde_json::from_str::<Value>(&out.stdout).unwrap();
        } else {
            assert!(!out.stdout.trim().is_empty(), "{ex} printed nothing");
        }
    }
}
