//! Vocabulary and tf-idf: documents → a sparse `documents × terms` matrix, scikit-learn's
//! `TfidfVectorizer` by default.
//!
//! # Algorithm
//! 1. Lowercase and tokenize every document ([`crate::tokenize`]), in parallel; count tokens in
//!    a per-document hash map of borrowed `&str` (no allocation per token).
//! 2. Merge the per-document counts into the corpus vocabulary with document frequencies `df`
//!    and total counts; drop stop words (before counting, as scikit-learn does).
//! 3. Keep terms with `min_df ≤ df ≤ max_df`, then the `max_features` most frequent in the whole
//!    corpus (ties broken by term order); sort the terms (code-point order).
//! 4. `idf = ln((1 + n) / (1 + df)) + 1` (smooth idf), weight raw counts (or `1 + ln(count)`
//!    with sublinear tf) by idf, and scale each row to unit 2-norm (rows of documents without
//!    any kept term stay zero: no division by zero, no NaN).
//!
//! Cost: linear in the text size plus `O(V log V)` for the sort. The row values are computed
//! in the same order as scikit-learn (sum of squares along the sorted row, then one division
//! per entry), so the matrix agrees with it to the last bit or so.

use crate::tokenize::{for_each_token, lowercase};
use crate::{stop_words, TextError};
use foldhash::{HashMap, HashMapExt};
use lowrank_core::op::CsrMatrix;
use rayon::prelude::*;

/// A document-frequency limit: an absolute count of documents or a fraction of the corpus.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DfLimit {
    /// This many documents.
    Count(usize),
    /// This fraction of the documents (`0 ≤ f ≤ 1`), as scikit-learn's float `min_df`/`max_df`.
    Fraction(f64),
}

impl DfLimit {
    /// The limit in documents for a corpus of `n` (a fraction is `f·n`, compared as a real).
    fn documents(self, n: usize) -> f64 {
        match self {
            DfLimit::Count(c) => c as f64,
            DfLimit::Fraction(f) => f * n as f64,
        }
    }
    fn check(self, name: &'static str) -> Result<(), TextError> {
        if let DfLimit::Fraction(f) = self {
            if !(0.0..=1.0).contains(&f) {
                return Err(TextError::InvalidParameter {
                    name,
                    value: f.to_string(),
                    expected: "a count of documents, or a fraction between 0 and 1",
                });
            }
        }
        Ok(())
    }
}

/// Which stop words are removed before counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopWords {
    /// None (scikit-learn's default).
    #[default]
    None,
    /// scikit-learn's English list ([`crate::stop_words::ENGLISH`]).
    English,
}

impl StopWords {
    #[inline]
    fn contains(self, token: &str) -> bool {
        match self {
            StopWords::None => false,
            StopWords::English => stop_words::is_english_stop_word(token),
        }
    }
}

/// How term counts become weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TermWeight {
    /// The raw count (scikit-learn's default).
    #[default]
    Raw,
    /// `1 + ln(count)` (`sublinear_tf=True`): repeated words count less.
    Sublinear,
}

/// Vocabulary limits and weighting. The default reproduces
/// `TfidfVectorizer(lowercase=True, min_df=2)`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TfidfParams {
    /// Keep terms found in at least this many documents.
    pub min_df: DfLimit,
    /// Keep terms found in at most this many documents.
    pub max_df: DfLimit,
    /// Keep at most this many terms, the most frequent in the corpus.
    pub max_features: Option<usize>,
    /// Stop words removed before counting.
    pub stop_words: StopWords,
    /// Raw or sublinear term frequency.
    pub term_weight: TermWeight,
}

impl Default for TfidfParams {
    fn default() -> Self {
        Self {
            min_df: DfLimit::Count(2),
            max_df: DfLimit::Fraction(1.0),
            max_features: None,
            stop_words: StopWords::None,
            term_weight: TermWeight::Raw,
        }
    }
}

impl TfidfParams {
    /// Checks every limit before any work.
    ///
    /// # Errors
    /// [`TextError::InvalidParameter`] naming the parameter.
    pub fn check(&self) -> Result<(), TextError> {
        self.min_df.check("min_df")?;
        self.max_df.check("max_df")?;
        if self.max_features == Some(0) {
            return Err(TextError::InvalidParameter {
                name: "max_features",
                value: "0".into(),
                expected: "at least 1",
            });
        }
        Ok(())
    }
}

/// The terms kept, in sorted order, with their statistics: what a query needs to be weighted
/// like the corpus.
#[derive(Debug, Clone, PartialEq)]
pub struct Vocabulary {
    /// Terms in code-point order (the matrix columns).
    pub terms: Vec<String>,
    /// `ln((1 + n) / (1 + df)) + 1` per term.
    pub idf: Vec<f64>,
    /// Documents containing each term.
    pub df: Vec<u32>,
}

impl Vocabulary {
    /// Number of terms.
    pub fn len(&self) -> usize {
        self.terms.len()
    }
    /// Whether there are no terms.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
    /// Column of `term`, if kept.
    pub fn index(&self, term: &str) -> Option<usize> {
        self.terms.binary_search_by(|t| t.as_str().cmp(term)).ok()
    }
}

/// The tf-idf matrix and what produced it.
#[derive(Debug, Clone)]
pub struct Tfidf {
    /// `documents × terms`, rows of unit 2-norm (or zero).
    pub matrix: CsrMatrix,
    /// The columns.
    pub vocabulary: Vocabulary,
    /// Documents (row indices) without any kept term: their rows are zero.
    pub empty_documents: Vec<usize>,
    /// Distinct tokens before the limits (after stop words).
    pub tokens_before_limits: usize,
}

/// Builds the vocabulary and the tf-idf matrix of `documents` (one row per document, in the
/// order given).
///
/// ```
/// use lowrank_text::tfidf::{fit_transform, TfidfParams};
/// let docs = ["the cat sat", "the dog sat", "a cat and a dog"];
/// let t = fit_transform(&docs, &TfidfParams::default()).unwrap();
/// // min_df = 2 keeps the terms in two documents or more, sorted.
/// assert_eq!(t.vocabulary.terms, ["cat", "dog", "sat", "the"]);
/// assert_eq!(t.matrix.shape(), (3, 4));
/// // Row 0 = (cat, sat, the): all idf = ln(4/3)+1, so each entry is 1/√3.
/// assert!((t.matrix.values()[0] - 1.0 / 3f64.sqrt()).abs() < 1e-15);
/// ```
///
/// # Errors
/// An invalid parameter, an empty corpus, `max_df` below `min_df`, or no term left after the
/// limits ([`TextError`]).
pub fn fit_transform<S: AsRef<str> + Sync>(
    documents: &[S],
    params: &TfidfParams,
) -> Result<Tfidf, TextError> {
    params.check()?;
    let n = documents.len();
    if n == 0 {
        return Err(TextError::EmptyCorpus);
    }
    let min_docs = params.min_df.documents(n);
    let max_docs = params.max_df.documents(n);
    if max_docs < min_docs {
        return Err(TextError::DfLimits {
            min_df: min_docs,
            max_df: max_docs,
            documents: n,
        });
    }
    let stop = params.stop_words;

    // 1. Lowercase (borrowed when nothing changes) and count per document.
    let lowered: Vec<std::borrow::Cow<'_, str>> = documents
        .par_iter()
        .map(|d| lowercase(d.as_ref()))
        .collect();
    let per_doc: Vec<Vec<(&str, u32)>> = lowered
        .par_iter()
        .map_init(HashMap::<&str, u32>::new, |counts, text| {
            counts.clear();
            for_each_token(text, |t| {
                if !stop.contains(t) {
                    *counts.entry(t).or_insert(0) += 1;
                }
            });
            counts.iter().map(|(t, c)| (*t, *c)).collect()
        })
        .collect();

    // 2. Corpus vocabulary: ids in first-seen order, df and total counts.
    let mut ids: HashMap<&str, u32> = HashMap::with_capacity(1 << 15);
    let mut words: Vec<&str> = Vec::new();
    let mut df: Vec<u32> = Vec::new();
    let mut total: Vec<u64> = Vec::new();
    let mut doc_ids: Vec<Vec<(u32, u32)>> = Vec::with_capacity(n);
    for doc in &per_doc {
        let mut row = Vec::with_capacity(doc.len());
        for &(t, c) in doc {
            let id = *ids.entry(t).or_insert_with(|| {
                words.push(t);
                df.push(0);
                total.push(0);
                (words.len() - 1) as u32
            });
            df[id as usize] += 1;
            total[id as usize] += u64::from(c);
            row.push((id, c));
        }
        doc_ids.push(row);
    }
    let tokens_before_limits = words.len();

    // 3. Limits, then sorted order.
    let mut kept: Vec<u32> = (0..words.len() as u32)
        .filter(|&i| {
            let d = f64::from(df[i as usize]);
            d >= min_docs && d <= max_docs
        })
        .collect();
    if let Some(limit) = params.max_features {
        if kept.len() > limit {
            kept.sort_unstable_by(|&a, &b| {
                total[b as usize]
                    .cmp(&total[a as usize])
                    .then_with(|| words[a as usize].cmp(words[b as usize]))
            });
            kept.truncate(limit);
        }
    }
    if kept.is_empty() {
        return Err(TextError::NoTermsLeft {
            tokens: tokens_before_limits,
            documents: n,
        });
    }
    kept.sort_unstable_by(|&a, &b| words[a as usize].cmp(words[b as usize]));
    const DROPPED: u32 = u32::MAX;
    let mut column = vec![DROPPED; words.len()];
    for (c, &id) in kept.iter().enumerate() {
        column[id as usize] = c as u32;
    }
    let idf: Vec<f64> = kept
        .iter()
        .map(|&id| smooth_idf(n, df[id as usize] as usize))
        .collect();

    // 4. Rows: kept terms, sorted by column, weighted and normalised.
    let weight = params.term_weight;
    let rows: Vec<(Vec<u32>, Vec<f64>)> = doc_ids
        .par_iter()
        .map(|doc| {
            let mut entries: Vec<(u32, u32)> = doc
                .iter()
                .filter_map(|&(id, c)| {
                    let col = column[id as usize];
                    (col != DROPPED).then_some((col, c))
                })
                .collect();
            entries.sort_unstable_by_key(|e| e.0);
            let cols: Vec<u32> = entries.iter().map(|e| e.0).collect();
            let mut vals: Vec<f64> = entries
                .iter()
                .map(|&(col, c)| term_frequency(c, weight) * idf[col as usize])
                .collect();
            normalize_l2(&mut vals);
            (cols, vals)
        })
        .collect();
    let nnz: usize = rows.iter().map(|r| r.0.len()).sum();
    let mut row_ptr = Vec::with_capacity(n + 1);
    let mut col_idx = Vec::with_capacity(nnz);
    let mut values = Vec::with_capacity(nnz);
    let mut empty_documents = Vec::new();
    row_ptr.push(0);
    for (i, (c, v)) in rows.into_iter().enumerate() {
        if c.is_empty() {
            empty_documents.push(i);
        }
        col_idx.extend_from_slice(&c);
        values.extend_from_slice(&v);
        row_ptr.push(col_idx.len());
    }
    let matrix = CsrMatrix::new(n, kept.len(), row_ptr, col_idx, values)
        .map_err(|e| TextError::Internal(e.to_string()))?;
    let vocabulary = Vocabulary {
        terms: kept
            .iter()
            .map(|&id| words[id as usize].to_string())
            .collect(),
        idf,
        df: kept.iter().map(|&id| df[id as usize]).collect(),
    };
    Ok(Tfidf {
        matrix,
        vocabulary,
        empty_documents,
        tokens_before_limits,
    })
}

/// `ln((1 + n) / (1 + df)) + 1`, computed as scikit-learn does (one division, then the log).
pub fn smooth_idf(n_documents: usize, df: usize) -> f64 {
    ((n_documents as f64 + 1.0) / (df as f64 + 1.0)).ln() + 1.0
}

#[inline]
fn term_frequency(count: u32, weight: TermWeight) -> f64 {
    match weight {
        TermWeight::Raw => f64::from(count),
        TermWeight::Sublinear => 1.0 + f64::from(count).ln(),
    }
}

/// Scales to unit 2-norm as scikit-learn's `normalize` does (sum of squares in order, square
/// root, one division per entry); a zero vector stays zero.
pub(crate) fn normalize_l2(values: &mut [f64]) {
    let norm = values.iter().map(|v| v * v).sum::<f64>().sqrt();
    if norm > 0.0 {
        for v in values {
            *v /= norm;
        }
    }
}

/// The tf-idf row of a new text with a fitted vocabulary: `(column, weight)` sorted by column,
/// unit 2-norm; empty when no token of the text is in the vocabulary.
///
/// ```
/// use lowrank_text::tfidf::{fit_transform, transform_text, TfidfParams};
/// let t = fit_transform(&["red apple", "green apple", "red car"], &TfidfParams::default()).unwrap();
/// let row = transform_text("Apple, apple and a BANANA", &t.vocabulary, &TfidfParams::default());
/// assert_eq!(row, vec![(0, 1.0)]); // only "apple" (column 0) is known
/// ```
pub fn transform_text(
    text: &str,
    vocabulary: &Vocabulary,
    params: &TfidfParams,
) -> Vec<(usize, f64)> {
    let lower = lowercase(text);
    let mut counts: HashMap<usize, u32> = HashMap::new();
    for_each_token(&lower, |t| {
        if params.stop_words.contains(t) {
            return;
        }
        if let Some(c) = vocabulary.index(t) {
            *counts.entry(c).or_insert(0) += 1;
        }
    });
    let mut entries: Vec<(usize, u32)> = counts.into_iter().collect();
    entries.sort_unstable_by_key(|e| e.0);
    let mut vals: Vec<f64> = entries
        .iter()
        .map(|&(c, n)| term_frequency(n, params.term_weight) * vocabulary.idf[c])
        .collect();
    normalize_l2(&mut vals);
    entries.iter().map(|e| e.0).zip(vals).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dense(t: &Tfidf) -> Vec<Vec<f64>> {
        let (m, n) = t.matrix.shape();
        let mut d = vec![vec![0.0; n]; m];
        let (rp, ci, v) = (t.matrix.row_ptr(), t.matrix.col_idx(), t.matrix.values());
        for i in 0..m {
            for p in rp[i]..rp[i + 1] {
                d[i][ci[p] as usize] = v[p];
            }
        }
        d
    }

    /// Reference computed by hand from the formula (scikit-learn 1.9.1 gives the same:
    /// `TfidfVectorizer(min_df=1).fit_transform(docs)`).
    #[test]
    fn matches_the_formula_on_a_tiny_corpus() {
        let docs = [
            "apple apple banana",
            "banana cherry",
            "cherry cherry cherry date",
        ];
        let p = TfidfParams {
            min_df: DfLimit::Count(1),
            ..TfidfParams::default()
        };
        let t = fit_transform(&docs, &p).unwrap();
        assert_eq!(t.vocabulary.terms, ["apple", "banana", "cherry", "date"]);
        let idf = |df: f64| (4.0f64 / (1.0 + df)).ln() + 1.0;
        let row0 = [2.0 * idf(1.0), idf(2.0), 0.0, 0.0];
        let norm0 = (row0[0] * row0[0] + row0[1] * row0[1]).sqrt();
        let d = dense(&t);
        for j in 0..4 {
            // Same operations in the same order: equal to rounding (one ulp of slack).
            assert!((d[0][j] - row0[j] / norm0).abs() <= 2.0 * f64::EPSILON);
        }
        for row in &d {
            let s: f64 = row.iter().map(|v| v * v).sum();
            assert!((s - 1.0).abs() < 1e-14);
        }
    }

    #[test]
    fn limits_and_stop_words() {
        let docs = ["the cat", "the dog", "the cat and the bird"];
        let p = TfidfParams {
            min_df: DfLimit::Count(1),
            max_df: DfLimit::Fraction(0.9),
            ..TfidfParams::default()
        };
        let t = fit_transform(&docs, &p).unwrap();
        // "the" is in 3/3 > 0.9·3 documents.
        assert_eq!(t.vocabulary.terms, ["and", "bird", "cat", "dog"]);
        let p = TfidfParams {
            min_df: DfLimit::Count(1),
            stop_words: StopWords::English,
            max_features: Some(2),
            ..TfidfParams::default()
        };
        let t = fit_transform(&docs, &p).unwrap();
        // Stop words "the", "and" gone; cat (2) then bird/dog (1 each, "bird" first by order).
        assert_eq!(t.vocabulary.terms, ["bird", "cat"]);
        // Row 1 ("the dog") keeps no term: a zero row, listed, and no NaN anywhere.
        assert_eq!(t.empty_documents, [1]);
        assert!(t.matrix.values().iter().all(|v| v.is_finite()));
    }

    #[test]
    fn bad_inputs_are_refused() {
        let none: [&str; 0] = [];
        assert!(matches!(
            fit_transform(&none, &TfidfParams::default()),
            Err(TextError::EmptyCorpus)
        ));
        assert!(matches!(
            fit_transform(&["", "  ", "a ! ?"], &TfidfParams::default()),
            Err(TextError::NoTermsLeft { .. })
        ));
        let p = TfidfParams {
            max_df: DfLimit::Fraction(1.5),
            ..TfidfParams::default()
        };
        assert!(matches!(
            fit_transform(&["aa bb"], &p),
            Err(TextError::InvalidParameter { name: "max_df", .. })
        ));
        let p = TfidfParams {
            min_df: DfLimit::Count(3),
            max_df: DfLimit::Count(2),
            ..TfidfParams::default()
        };
        assert!(matches!(
            fit_transform(&["aa bb"], &p),
            Err(TextError::DfLimits { .. })
        ));
    }
}
