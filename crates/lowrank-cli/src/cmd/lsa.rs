//! `lowrank lsa`: latent semantic analysis of a text corpus (tf-idf, truncated SVD, topics),
//! written as a model directory; `lowrank lsa query` ranks the documents most similar to a text.

use super::Global;
use crate::args::MethodArg;
use crate::failure::{self, Failure};
use crate::progress::Bar;
use crate::report::Tool;
use clap::{Args, Subcommand, ValueEnum};
use faer::{Mat, Par};
use lowrank_core::svd::{Method, SvdParams};
use lowrank_io::corpus::{read_corpus, Corpus};
use lowrank_io::{Matrix, OutputDir};
use lowrank_text::lsa::{fit, LsaFit, LsaModel, LsaParams};
use lowrank_text::tfidf::{
    fit_transform, DfLimit, StopWords, TermWeight, Tfidf, TfidfParams, Vocabulary,
};
use lowrank_text::TextError;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Schema of `lsa.json`.
pub(crate) const SCHEMA: &str = "lowrank.lsa.model/1";
/// Schema of the `lsa query --json` output.
pub(crate) const QUERY_SCHEMA: &str = "lowrank.lsa.query/1";

const LSA_HELP: &str =
    "CORPUS is a folder (every non-hidden file below it, recursively, one document each,
named by its relative path, in sorted order; invalid UTF-8 is replaced by U+FFFD and reported)
or a JSON-lines file ({\"id\": ..., \"text\": \"...\"} per line; id optional, defaults to the line).
Tokens: runs of 2+ letters, digits or _ after lowercasing (scikit-learn's default). Weights:
count (or 1+ln(count) with --sublinear-tf) x idf, idf = ln((1+n)/(1+df)) + 1, rows of unit
2-norm: the defaults reproduce scikit-learn's TfidfVectorizer(min_df=2).
--min-df/--max-df take a count of documents (2) or a fraction of the corpus (0.5).
--out DIR writes lsa.json, vocabulary.tsv (term, idf, df), documents.txt, V.npy (terms x k),
S.npy (k), document_coordinates.npy (U*S, documents x k), topics.txt, topics.svg and
documents.svg, atomically. `lsa query DIR TEXT` ranks documents by cosine similarity of
their topic coordinates to the text's (its tf-idf row times V).

Examples (from the repository root):
  lowrank lsa testdata/corpus/fortunes --topics 10 --stop-words english --out lsa/
  lowrank lsa query lsa/ \"the judge and the lawyer in court\" -n 5
  lowrank lsa testdata/corpus/fortunes_small.jsonl --topics 3 --min-df 1 --json
  lowrank lsa testdata/corpus/fortunes --topics 20 --max-df 0.5 --sublinear-tf --out lsa20/";

/// `lowrank lsa CORPUS ...` fits a model; `lowrank lsa query MODEL TEXT` uses one.
#[derive(Args, Debug)]
#[command(
    after_help = LSA_HELP,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub(crate) struct LsaArgs {
    #[command(subcommand)]
    pub(crate) action: Option<LsaAction>,
    /// Corpus: a folder of text files, or a JSON-lines file.
    #[arg(required = true)]
    pub(crate) input: Option<PathBuf>,
    /// Number of topics (singular triplets).
    #[arg(long, short = 'k', default_value_t = 100, value_name = "K")]
    pub(crate) topics: usize,
    /// Keep terms found in at least this many documents (a count, or a fraction like 0.01).
    #[arg(long, default_value = "2", value_name = "DF")]
    pub(crate) min_df: String,
    /// Keep terms found in at most this many documents (a count, or a fraction like 0.5).
    #[arg(long, default_value = "1.0", value_name = "DF")]
    pub(crate) max_df: String,
    /// Keep only the N terms most frequent in the corpus (after the df limits).
    #[arg(long, value_name = "N")]
    pub(crate) max_features: Option<usize>,
    /// Remove stop words before counting (scikit-learn's English list of 318 words).
    #[arg(long, value_enum, default_value = "none", value_name = "LIST")]
    pub(crate) stop_words: StopWordsArg,
    /// Weight terms by 1 + ln(count) instead of the count.
    #[arg(long)]
    pub(crate) sublinear_tf: bool,
    /// SVD algorithm (auto: Lanczos for the sparse tf-idf matrix).
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) method: MethodArg,
    /// Convergence tolerance: residuals ‖Xᵀu − σv‖ ≤ T·σ₁ (σ are then accurate to about T²).
    #[arg(long, default_value_t = 1e-6, value_name = "T")]
    pub(crate) tol: f64,
    /// Seed of the random start; the same seed gives the same bytes.
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// Terms listed per topic (in lsa.json, topics.txt and the summary).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub(crate) top_terms: usize,
    /// Output model directory (written atomically).
    #[arg(long, short, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Replace an existing output directory.
    #[arg(long)]
    pub(crate) force: bool,
}

/// Stop-word lists.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopWordsArg {
    /// Keep every token.
    None,
    /// scikit-learn's English list.
    English,
}

/// Using a saved LSA model.
#[derive(Subcommand, Debug)]
pub(crate) enum LsaAction {
    /// The documents most similar to a text, by cosine similarity in topic space.
    #[command(after_help = LSA_HELP)]
    Query(LsaQueryArgs),
}

/// `lowrank lsa query MODEL TEXT -n N`.
#[derive(Args, Debug)]
pub(crate) struct LsaQueryArgs {
    /// Model directory written by `lowrank lsa CORPUS --out DIR`.
    pub(crate) model: PathBuf,
    /// The text to match (quote it).
    pub(crate) text: String,
    /// Number of documents to list.
    #[arg(long = "top", short = 'n', default_value_t = 10, value_name = "N")]
    pub(crate) n: usize,
}

pub(crate) fn run(a: LsaArgs, g: &Global) -> Result<(), Failure> {
    match a.action {
        Some(LsaAction::Query(q)) => query_cmd(q, g),
        None => fit_cmd(a, g),
    }
}

fn par() -> Par {
    let threads = rayon::current_num_threads();
    if threads > 1 {
        Par::rayon(threads)
    } else {
        Par::Seq
    }
}

/// `--min-df`/`--max-df`: an integer is a count of documents, a real in [0, 1] a fraction.
fn parse_df(s: &str, flag: &str) -> Result<DfLimit, Failure> {
    if let Ok(c) = s.parse::<usize>() {
        return Ok(DfLimit::Count(c));
    }
    match s.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(DfLimit::Fraction(f)),
        _ => Err(Failure::usage(format!(
            "{flag} {s}: give a count of documents (like 2) or a fraction between 0 and 1 \
             (like 0.5)"
        ))),
    }
}

fn text_failure(e: TextError, corpus: &Path) -> Failure {
    match e {
        TextError::InvalidParameter { .. }
        | TextError::TooManyTopics { .. }
        | TextError::DfLimits { .. } => Failure::new(failure::USAGE, e.into()),
        TextError::EmptyCorpus | TextError::NoTermsLeft { .. } => {
            Failure::new(failure::INPUT, anyhow::anyhow!("{}: {e}", corpus.display()))
        }
        TextError::Svd(s) => s.into(),
        _ => Failure::new(failure::INPUT, e.into()),
    }
}

fn df_json(d: DfLimit) -> Value {
    match d {
        DfLimit::Count(c) => json!(c),
        DfLimit::Fraction(f) => json!(f),
    }
}

/// Everything `fit_cmd` measured, for lsa.json and the summaries.
struct Run<'a> {
    input: &'a Path,
    corpus: &'a Corpus,
    tfidf: &'a Tfidf,
    fit: &'a LsaFit,
    params: &'a TfidfParams,
    a: &'a LsaArgs,
    timings: Value,
}

fn fit_cmd(a: LsaArgs, g: &Global) -> Result<(), Failure> {
    let Some(input) = a.input.clone() else {
        return Err(Failure::usage(
            "no corpus: give a folder or a JSON-lines file, or `query`",
        ));
    };
    if let Some(out) = &a.out {
        if !a.force && std::fs::symlink_metadata(out).is_ok() {
            return Err(lowrank_io::IoError::OutputExists { path: out.clone() }.into());
        }
    }
    if a.topics == 0 {
        return Err(Failure::usage("--topics 0: give at least 1 topic"));
    }
    if a.top_terms == 0 {
        return Err(Failure::usage("--top-terms 0: give at least 1 term"));
    }
    if !(a.tol.is_finite() && a.tol > 0.0 && a.tol < 1.0) {
        return Err(Failure::usage(format!(
            "--tol {}: give a tolerance between 0 and 1 (exclusive)",
            a.tol
        )));
    }
    let params = TfidfParams {
        min_df: parse_df(&a.min_df, "--min-df")?,
        max_df: parse_df(&a.max_df, "--max-df")?,
        max_features: a.max_features,
        stop_words: match a.stop_words {
            StopWordsArg::None => StopWords::None,
            StopWordsArg::English => StopWords::English,
        },
        term_weight: if a.sublinear_tf {
            TermWeight::Sublinear
        } else {
            TermWeight::Raw
        },
    };
    params
        .check()
        .map_err(|e| Failure::new(failure::USAGE, e.into()))?;
    let total_start = Instant::now();
    let mut bar = Bar::new(g.quiet);
    bar.phase(&format!("reading {}", input.display()));
    let start = Instant::now();
    let corpus = read_corpus(&input)?;
    let read_seconds = start.elapsed().as_secs_f64();
    if !g.quiet && !corpus.lossy.is_empty() {
        eprintln!(
            "warning: {} file(s) of {} are not valid UTF-8 and were decoded with U+FFFD \
             replacements (first: {})",
            corpus.lossy.len(),
            input.display(),
            corpus.names[corpus.lossy[0]]
        );
    }
    bar.phase("tf-idf");
    let start = Instant::now();
    let tfidf = fit_transform(&corpus.texts, &params).map_err(|e| text_failure(e, &input))?;
    let tfidf_seconds = start.elapsed().as_secs_f64();
    if !g.quiet && !tfidf.empty_documents.is_empty() {
        eprintln!(
            "note: {} document(s) of {} have no term of the vocabulary and sit at the origin \
             of topic space (first: {})",
            tfidf.empty_documents.len(),
            input.display(),
            corpus.names[tfidf.empty_documents[0]]
        );
    }
    let (m, n) = tfidf.matrix.shape();
    if a.topics > m.min(n) {
        return Err(text_failure(
            TextError::TooManyTopics {
                topics: a.topics,
                documents: m,
                terms: n,
            },
            &input,
        ));
    }
    let lsa_params = LsaParams {
        topics: a.topics,
        svd: SvdParams {
            method: match a.method {
                MethodArg::Auto => Method::Auto,
                MethodArg::Exact => Method::Exact,
                MethodArg::Randomized => Method::Randomized,
                MethodArg::Lanczos => Method::Lanczos,
            },
            tol: a.tol,
            seed: a.seed,
            par: par(),
            memory_limit: Some(super::parse_memory_limit(None)?),
            ..SvdParams::default()
        },
    };
    let fitted = fit(
        &tfidf.matrix,
        tfidf.vocabulary.clone(),
        params.clone(),
        &lsa_params,
        &mut bar,
    )
    .map_err(|e| text_failure(e, &input))?;
    let mut timings = json!({
        "read_seconds": read_seconds,
        "tfidf_seconds": tfidf_seconds,
        "svd_seconds": fitted.svd_seconds,
        "certificate_seconds": fitted.certificate_seconds,
        "svd_phases": fitted.info.phases,
    });
    let mut files: Vec<String> = Vec::new();
    let mut run = Run {
        input: &input,
        corpus: &corpus,
        tfidf: &tfidf,
        fit: &fitted,
        params: &params,
        a: &a,
        timings: timings.clone(),
    };
    if let Some(out) = &a.out {
        bar.phase("writing");
        let start = Instant::now();
        let dir = OutputDir::create(out, a.force).map_err(Failure::output)?;
        files = write_model(&dir, &run).map_err(Failure::output)?;
        files.push("lsa.json".into());
        timings["write_seconds"] = json!(start.elapsed().as_secs_f64());
        timings["total_seconds"] = json!(total_start.elapsed().as_secs_f64());
        run.timings = timings.clone();
        let doc = model_json(&run, &files);
        let bytes = serde_json::to_vec_pretty(&doc).map_err(|e| Failure::internal(e.into()))?;
        lowrank_io::write_atomic(&dir.file("lsa.json"), &bytes).map_err(Failure::output)?;
        dir.commit().map_err(Failure::output)?;
    } else {
        timings["total_seconds"] = json!(total_start.elapsed().as_secs_f64());
        run.timings = timings;
    }
    bar.finish();
    if g.json {
        crate::report::print_json(&model_json(&run, &files))
    } else {
        crate::report::print_text(&summary(&run, &files))
    }
}

fn model_json(r: &Run<'_>, files: &[String]) -> Value {
    let f = r.fit;
    let m = &f.model;
    let cert = f.certificate.as_ref().map(|c| {
        json!({
            "max_residual": c.max_residual,
            "residual_av": c.residual_av,
            "residual_atu": c.residual_atu,
            "relative_error": c.relative_error,
            "relative_error_floor": c.relative_error_floor,
            "energy_retained": c.energy_retained,
            "frobenius_norm": c.frobenius_norm,
            "orthogonality_loss_u": c.orthogonality_loss_u,
            "orthogonality_loss_v": c.orthogonality_loss_v,
        })
    });
    let topics: Vec<Value> = (0..m.topics())
        .map(|j| {
            json!({
                "topic": j + 1,
                "label": m.topic_label(j),
                "singular_value": m.singular_values[j],
                "terms": m.top_terms(j, r.a.top_terms).iter()
                    .map(|(t, w)| json!({"term": t, "loading": w}))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    let (docs, terms) = r.tfidf.matrix.shape();
    let nnz = r.tfidf.matrix.nnz();
    json!({
        "schema": SCHEMA,
        "tool": Tool::current(),
        "corpus": {
            "path": r.input.display().to_string(),
            "source": r.corpus.source,
            "bytes": r.corpus.bytes,
            "lossy_utf8_documents": r.corpus.lossy.iter().map(|&i| &r.corpus.names[i])
                .collect::<Vec<_>>(),
            "empty_documents": r.tfidf.empty_documents.len(),
        },
        "documents": docs,
        "vocabulary_size": terms,
        "tokens_before_limits": r.tfidf.tokens_before_limits,
        "nnz": nnz,
        "density": nnz as f64 / (docs as f64 * terms as f64),
        "parameters": {
            "topics": r.a.topics,
            "min_df": df_json(r.params.min_df),
            "max_df": df_json(r.params.max_df),
            "max_features": r.params.max_features,
            "stop_words": r.params.stop_words,
            "sublinear_tf": r.params.term_weight == TermWeight::Sublinear,
            "lowercase": true,
            "token_pattern": r"(?u)\b\w\w+\b",
            "smooth_idf": true,
            "norm": "l2",
            "method": f.info.method.name(),
            "tol": r.a.tol,
            "seed": r.a.seed,
            "top_terms": r.a.top_terms,
        },
        "singular_values": m.singular_values,
        "topics": topics,
        "timings": r.timings,
        "svd": {
            "method": f.info.method.name(),
            "reason": f.info.reason,
            "variant": f.info.variant,
            "notes": f.info.notes,
            "converged": f.info.converged,
            "matvecs": f.info.matvecs,
            "iterations": f.info.iterations,
            "certificate": cert,
        },
        "files": files,
    })
}

/// Document names one per line; line breaks inside a name (possible in JSON ids) are escaped.
fn names_text(names: &[String]) -> String {
    let mut s = String::with_capacity(names.len() * 16);
    for n in names {
        s.push_str(
            &n.replace('\\', "\\\\")
                .replace('\n', "\\n")
                .replace('\r', "\\r"),
        );
        s.push('\n');
    }
    s
}

fn unescape_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn topics_text(m: &LsaModel, n: usize) -> String {
    let mut s = String::new();
    for j in 0..m.topics() {
        let terms: Vec<&str> = m.top_terms(j, n).iter().map(|t| t.0).collect();
        let _ = writeln!(
            s,
            "topic {:>3}  σ = {:<10.4}  {}",
            j + 1,
            m.singular_values[j],
            terms.join(" ")
        );
    }
    s
}

/// The top-level folder of a document name (its group in the documents plot).
fn group_of(name: &str) -> &str {
    name.split_once('/').map(|p| p.0).unwrap_or("")
}

fn write_model(dir: &OutputDir, r: &Run<'_>) -> Result<Vec<String>, lowrank_io::IoError> {
    let m = &r.fit.model;
    let mut out = Vec::new();
    let mut vocab = String::with_capacity(m.vocabulary.len() * 24);
    vocab.push_str("term\tidf\tdf\n");
    for ((t, idf), df) in m
        .vocabulary
        .terms
        .iter()
        .zip(&m.vocabulary.idf)
        .zip(&m.vocabulary.df)
    {
        // `{:?}` on f64 round-trips exactly.
        let _ = writeln!(vocab, "{t}\t{idf:?}\t{df}");
    }
    lowrank_io::write_atomic(&dir.file("vocabulary.tsv"), vocab.as_bytes())?;
    out.push("vocabulary.tsv".to_string());
    lowrank_io::write_atomic(
        &dir.file("documents.txt"),
        names_text(&r.corpus.names).as_bytes(),
    )?;
    out.push("documents.txt".into());
    lowrank_io::write_npy(&dir.file("V.npy"), m.term_loadings.as_ref())?;
    out.push("V.npy".into());
    lowrank_io::write_npy_vec(&dir.file("S.npy"), &m.singular_values)?;
    out.push("S.npy".into());
    lowrank_io::write_npy(
        &dir.file("document_coordinates.npy"),
        m.document_coordinates.as_ref(),
    )?;
    out.push("document_coordinates.npy".into());
    lowrank_io::write_atomic(
        &dir.file("topics.txt"),
        topics_text(m, r.a.top_terms).as_bytes(),
    )?;
    out.push("topics.txt".into());
    let bars: Vec<(String, f64)> = (0..m.topics())
        .map(|j| {
            let label = if m.topics() <= 12 {
                format!(
                    "{} {}",
                    j + 1,
                    m.top_terms(j, 1).first().map_or("", |t| t.0)
                )
            } else {
                (j + 1).to_string()
            };
            (label, m.singular_values[j])
        })
        .collect();
    let chart = lowrank_plot::bar_chart(
        &format!(
            "Singular values of the tf-idf matrix ({} documents x {} terms)",
            m.documents(),
            m.vocabulary.len()
        ),
        "topic",
        "singular value",
        &bars,
        false,
    );
    lowrank_io::write_atomic(&dir.file("topics.svg"), chart.as_bytes())?;
    out.push("topics.svg".into());
    if m.topics() >= 2 {
        lowrank_io::write_atomic(&dir.file("documents.svg"), documents_svg(r).as_bytes())?;
        out.push("documents.svg".into());
    }
    Ok(out)
}

/// Documents on the first two topics, one series per top-level folder (up to 10 folders).
fn documents_svg(r: &Run<'_>) -> String {
    let m = &r.fit.model;
    let c = &m.document_coordinates;
    let names = &r.corpus.names;
    let mut groups: Vec<&str> = names.iter().map(|n| group_of(n)).collect();
    groups.sort_unstable();
    groups.dedup();
    let x_label = format!("topic 1 ({})", m.topic_label(0));
    let y_label = format!("topic 2 ({})", m.topic_label(1));
    let mut chart = lowrank_plot::Chart::new(
        "Documents in topic space (coordinates U·Σ)",
        &x_label,
        &y_label,
    );
    if groups.len() >= 2 && groups.len() <= 10 {
        for g in groups {
            chart = chart.points(
                g,
                (0..c.nrows())
                    .filter(|&i| group_of(&names[i]) == g)
                    .map(|i| (c[(i, 0)], c[(i, 1)])),
            );
        }
    } else {
        chart = chart.points("documents", (0..c.nrows()).map(|i| (c[(i, 0)], c[(i, 1)])));
    }
    chart.to_svg()
}

fn summary(r: &Run<'_>, files: &[String]) -> String {
    let f = r.fit;
    let m = &f.model;
    let mut s = String::new();
    let (docs, terms) = r.tfidf.matrix.shape();
    let _ = writeln!(
        s,
        "corpus      {} ({} documents, {} bytes)",
        r.input.display(),
        docs,
        r.corpus.bytes
    );
    let _ = writeln!(
        s,
        "tf-idf      {} terms ({} distinct tokens before limits), {} non-zeros",
        terms,
        r.tfidf.tokens_before_limits,
        r.tfidf.matrix.nnz()
    );
    let _ = writeln!(
        s,
        "svd         {} ({}), {} topics",
        f.info.method.name(),
        f.info.reason,
        m.topics()
    );
    for note in &f.info.notes {
        let _ = writeln!(s, "note        {note}");
    }
    let t = &r.timings;
    let secs = |k: &str| t.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
    let _ = writeln!(
        s,
        "time        read {:.3} s, tf-idf {:.3} s, svd {:.3} s",
        secs("read_seconds"),
        secs("tfidf_seconds"),
        secs("svd_seconds")
    );
    if let Some(c) = &f.certificate {
        let _ = writeln!(
            s,
            "residual    max {:.2e} (relative to σ₁); energy retained {:.4}",
            c.max_residual, c.energy_retained
        );
    }
    let _ = writeln!(s, "\n{}", topics_text(m, r.a.top_terms.min(8)).trim_end());
    if let Some(o) = &r.a.out {
        let _ = writeln!(s, "\nwritten     {} ({})", o.display(), files.join(", "));
    }
    s
}

// ---------------------------------------------------------------------------------------------
// query
// ---------------------------------------------------------------------------------------------

fn model_error(dir: &Path, msg: impl std::fmt::Display) -> Failure {
    Failure::new(
        failure::INPUT,
        anyhow::anyhow!("{}: not a usable LSA model directory: {msg}", dir.display()),
    )
}

fn read_dense(dir: &Path, name: &str) -> Result<Mat<f64>, Failure> {
    let opts = lowrank_io::ReadOptions {
        format: Some(lowrank_io::Format::Npy),
        ..lowrank_io::ReadOptions::default()
    };
    let loaded =
        lowrank_io::read_matrix(&dir.join(name), &opts).map_err(|e| model_error(dir, e))?;
    match loaded.matrix {
        Matrix::Dense(d) => Ok(d),
        Matrix::Sparse(_) => Err(model_error(dir, format!("{name} is not dense"))),
    }
}

fn read_text(dir: &Path, name: &str) -> Result<String, Failure> {
    std::fs::read_to_string(dir.join(name))
        .map_err(|e| model_error(dir, format!("cannot read {name}: {e}")))
}

/// A saved model with its document names.
struct Saved {
    model: LsaModel,
    names: Vec<String>,
}

fn df_from_json(v: Option<&Value>, dir: &Path, name: &str) -> Result<DfLimit, Failure> {
    match v {
        Some(Value::Number(x)) if x.is_u64() => {
            Ok(DfLimit::Count(x.as_u64().unwrap_or(0) as usize))
        }
        Some(Value::Number(x)) => Ok(DfLimit::Fraction(x.as_f64().unwrap_or(f64::NAN))),
        _ => Err(model_error(
            dir,
            format!("lsa.json has no parameters.{name}"),
        )),
    }
}

fn load_model(dir: &Path) -> Result<Saved, Failure> {
    let doc: Value = serde_json::from_str(&read_text(dir, "lsa.json")?)
        .map_err(|e| model_error(dir, format!("lsa.json is not JSON: {e}")))?;
    let schema = doc.get("schema").and_then(Value::as_str).unwrap_or("");
    if schema != SCHEMA {
        return Err(model_error(
            dir,
            format!("lsa.json has schema {schema:?}, expected {SCHEMA:?}"),
        ));
    }
    let p = doc
        .get("parameters")
        .ok_or_else(|| model_error(dir, "lsa.json has no parameters"))?;
    let tfidf = TfidfParams {
        min_df: df_from_json(p.get("min_df"), dir, "min_df")?,
        max_df: df_from_json(p.get("max_df"), dir, "max_df")?,
        max_features: p
            .get("max_features")
            .and_then(Value::as_u64)
            .map(|v| v as usize),
        stop_words: match p.get("stop_words").and_then(Value::as_str) {
            Some("english") => StopWords::English,
            Some("none") => StopWords::None,
            other => {
                return Err(model_error(
                    dir,
                    format!("lsa.json: unknown stop_words {other:?}"),
                ))
            }
        },
        term_weight: if p.get("sublinear_tf").and_then(Value::as_bool) == Some(true) {
            TermWeight::Sublinear
        } else {
            TermWeight::Raw
        },
    };
    let vocab_text = read_text(dir, "vocabulary.tsv")?;
    let mut vocabulary = Vocabulary {
        terms: Vec::new(),
        idf: Vec::new(),
        df: Vec::new(),
    };
    for (i, line) in vocab_text.lines().enumerate().skip(1) {
        let bad = || {
            model_error(
                dir,
                format!("vocabulary.tsv:{}: expected term, idf, df", i + 1),
            )
        };
        let mut f = line.split('\t');
        let (Some(t), Some(idf), Some(df), None) = (f.next(), f.next(), f.next(), f.next()) else {
            return Err(bad());
        };
        vocabulary.terms.push(t.to_string());
        vocabulary.idf.push(idf.parse().map_err(|_| bad())?);
        vocabulary.df.push(df.parse().map_err(|_| bad())?);
    }
    let s = read_dense(dir, "S.npy")?;
    let singular_values: Vec<f64> = if s.ncols() == 1 {
        s.col(0).iter().copied().collect()
    } else {
        s.row(0).iter().copied().collect()
    };
    let model = LsaModel {
        vocabulary,
        tfidf,
        singular_values,
        term_loadings: read_dense(dir, "V.npy")?,
        document_coordinates: read_dense(dir, "document_coordinates.npy")?,
    };
    model.validate().map_err(|e| model_error(dir, e))?;
    let names: Vec<String> = read_text(dir, "documents.txt")?
        .lines()
        .map(unescape_name)
        .collect();
    if names.len() != model.documents() {
        return Err(model_error(
            dir,
            format!(
                "documents.txt has {} names, document_coordinates.npy {} rows",
                names.len(),
                model.documents()
            ),
        ));
    }
    Ok(Saved { model, names })
}

fn query_cmd(q: LsaQueryArgs, g: &Global) -> Result<(), Failure> {
    if q.n == 0 {
        return Err(Failure::usage("-n 0: ask for at least 1 document"));
    }
    let saved = load_model(&q.model)?;
    let matches = saved.model.query(&q.text, q.n).map_err(|e| match e {
        TextError::NoKnownTerms => Failure::new(
            failure::INPUT,
            anyhow::anyhow!(
                "query {:?}: none of its words is in the vocabulary of {} ({} terms), so no \
                 similarity can be computed",
                q.text,
                q.model.display(),
                saved.model.vocabulary.len()
            ),
        ),
        e => text_failure(e, &q.model),
    })?;
    let coords = saved.model.fold_in(&q.text).unwrap_or_default();
    let best_topic = coords
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .map(|(j, _)| j);
    if g.json {
        let doc = json!({
            "schema": QUERY_SCHEMA,
            "model": q.model.display().to_string(),
            "query": q.text,
            "strongest_topic": best_topic.map(|j| json!({
                "topic": j + 1,
                "label": saved.model.topic_label(j),
                "coordinate": coords[j],
            })),
            "matches": matches.iter().enumerate().map(|(r, m)| json!({
                "rank": r + 1,
                "document": m.document,
                "name": saved.names[m.document],
                "score": m.score,
            })).collect::<Vec<_>>(),
        });
        crate::report::print_json(&doc)
    } else {
        let mut s = String::new();
        let _ = writeln!(s, "query       {:?}", q.text);
        if let Some(j) = best_topic {
            let _ = writeln!(s, "topic       {} ({})", j + 1, saved.model.topic_label(j));
        }
        let _ = writeln!(s, "\n{:>4}  {:>7}  document", "rank", "score");
        for (r, m) in matches.iter().enumerate() {
            let _ = writeln!(
                s,
                "{:>4}  {:>7.4}  {}",
                r + 1,
                m.score,
                saved.names[m.document]
            );
        }
        crate::report::print_text(&s)
    }
}
