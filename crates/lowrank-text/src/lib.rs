//! # lowrank-text
//!
//! Latent semantic analysis for lowrank: a tokenizer ([`tokenize`], scikit-learn's default
//! rule), vocabulary limits and tf-idf into a sparse `documents × terms`
//! [`CsrMatrix`](lowrank_core::op::CsrMatrix) ([`tfidf`], scikit-learn's `TfidfVectorizer` by
//! default), and the LSA model ([`lsa`]: truncated SVD, top terms per topic, similarity
//! queries). No file I/O: documents come in as strings.
//!
//! ```
//! use lowrank_text::{lsa, tfidf};
//! let docs = ["goal match team", "team coach goal", "match referee team",
//!             "court judge law", "law lawyer court", "judge verdict law"];
//! let p = tfidf::TfidfParams { min_df: tfidf::DfLimit::Count(1), ..Default::default() };
//! let t = tfidf::fit_transform(&docs, &p).unwrap();
//! let fit = lsa::fit(&t.matrix, t.vocabulary, p, &lsa::LsaParams { topics: 2, ..Default::default() },
//!                    &mut lowrank_core::NoObserver).unwrap();
//! let hits = fit.model.query("the judge and the lawyer", 3).unwrap();
//! assert!(hits.iter().all(|h| h.document >= 3)); // the three law documents
//! ```

pub mod lsa;
pub mod stop_words;
pub mod tfidf;
pub mod tokenize;

use lowrank_core::SvdError;

/// Why a text analysis could not be done.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// A parameter is out of range.
    #[error("invalid {name} = {value}: expected {expected}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// Its value.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },
    /// No documents at all.
    #[error("the corpus has no documents")]
    EmptyCorpus,
    /// `max_df` allows fewer documents than `min_df` requires.
    #[error(
        "max_df ({max_df} documents) is below min_df ({min_df} documents) for {documents} \
         documents: no term can be kept"
    )]
    DfLimits {
        /// `min_df` in documents.
        min_df: f64,
        /// `max_df` in documents.
        max_df: f64,
        /// Corpus size.
        documents: usize,
    },
    /// Every term was removed by the limits (or the documents hold no tokens).
    #[error(
        "no terms left: {tokens} distinct tokens in {documents} documents, none within the \
         min_df/max_df/max_features limits (tokens are runs of 2+ letters, digits or _)"
    )]
    NoTermsLeft {
        /// Distinct tokens before the limits.
        tokens: usize,
        /// Corpus size.
        documents: usize,
    },
    /// More topics than the matrix has rows or columns.
    #[error(
        "{topics} topics requested, but the tf-idf matrix has {documents} documents and {terms} \
         terms: at most {} topics",
        documents.min(terms)
    )]
    TooManyTopics {
        /// Requested topics.
        topics: usize,
        /// Documents (rows).
        documents: usize,
        /// Terms (columns).
        terms: usize,
    },
    /// A query text without any vocabulary term.
    #[error("the query has no term of the model's vocabulary, so no similarity can be computed")]
    NoKnownTerms,
    /// A saved model's parts do not fit together.
    #[error("inconsistent model: {0}")]
    InvalidModel(String),
    /// The SVD failed.
    #[error(transparent)]
    Svd(#[from] SvdError),
    /// A broken internal invariant (a bug).
    #[error("internal error: {0}")]
    Internal(String),
}
