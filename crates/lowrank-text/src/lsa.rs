//! The LSA model: a truncated SVD of the tf-idf matrix, topics, and similarity queries.
//!
//! # Algorithm
//! `X ≈ U·Σ·Vᵀ` with `k` triplets (`X`: documents × terms, from [`crate::tfidf`]), computed by
//! [`lowrank_core::svd::compute`] (Lanczos for a sparse matrix under `auto`). Document
//! coordinates are `U·Σ` (scikit-learn's `TruncatedSVD.fit_transform`); a new text's tf-idf row
//! `q` folds in as `q·V`, which equals `U·Σ` for a training document. When there are more terms
//! than documents the engine decomposes `Xᵀ` (its fused Gram products need a tall operator)
//! and the factors are swapped back. Similarity is the cosine
//! of the coordinates. Signs follow the engine's convention (the largest entry of each `uᵢ` is
//! positive), so the top terms of a topic are the same on every run.
//!
//! # Errors
//! [`TextError::TooManyTopics`] when `k` exceeds the documents or terms, and SVD failures.

use crate::tfidf::{transform_text, TfidfParams, Vocabulary};
use crate::TextError;
use faer::Mat;
use lowrank_core::certificate::{certify, Certificate};
use lowrank_core::op::CsrMatrix;
use lowrank_core::svd::{compute, RankSpec, SolveInfo, SvdParams};
use lowrank_core::Observer;
use std::cmp::Ordering;
use std::time::Instant;

/// What to fit: the number of topics and the SVD settings (`rank` is overridden by `topics`).
#[derive(Debug, Clone)]
pub struct LsaParams {
    /// Number of topics `k`.
    pub topics: usize,
    /// SVD settings (method, tolerance, seed, parallelism).
    pub svd: SvdParams,
}

impl Default for LsaParams {
    fn default() -> Self {
        Self {
            topics: 100,
            svd: SvdParams::default(),
        }
    }
}

/// A fitted LSA model: all that queries need.
#[derive(Debug, Clone)]
pub struct LsaModel {
    /// Terms and idf of the corpus.
    pub vocabulary: Vocabulary,
    /// How texts are weighted (same as the corpus).
    pub tfidf: TfidfParams,
    /// `σ`, descending.
    pub singular_values: Vec<f64>,
    /// `V`: terms × k, the loading of every term on every topic.
    pub term_loadings: Mat<f64>,
    /// `U·Σ`: documents × k, the documents' coordinates in topic space.
    pub document_coordinates: Mat<f64>,
}

/// A fitted model plus how the SVD went.
#[derive(Debug, Clone)]
pub struct LsaFit {
    /// The model.
    pub model: LsaModel,
    /// Method, iterations, phases of the SVD.
    pub info: SolveInfo,
    /// Residuals and energy of the SVD, measured against the tf-idf matrix.
    pub certificate: Option<Certificate>,
    /// Wall time of the SVD.
    pub svd_seconds: f64,
    /// Wall time of the certificate (one more product with `X` and `Xᵀ`).
    pub certificate_seconds: f64,
}

/// One ranked document of a query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    /// Row of the document in the corpus.
    pub document: usize,
    /// Cosine similarity in topic space, in `[-1, 1]`.
    pub score: f64,
}

/// Fits `params.topics` topics to a tf-idf matrix.
///
/// ```
/// use lowrank_text::{lsa, tfidf};
/// let docs = ["cats purr and cats meow", "a cat and a kitten purr", "kitten meow purr",
///             "stocks and bonds fall", "bonds and stocks rise", "markets of stocks fall"];
/// let p = tfidf::TfidfParams { min_df: tfidf::DfLimit::Count(1), ..Default::default() };
/// let t = tfidf::fit_transform(&docs, &p).unwrap();
/// let params = lsa::LsaParams { topics: 2, ..Default::default() };
/// let fit = lsa::fit(&t.matrix, t.vocabulary, p, &params, &mut lowrank_core::NoObserver).unwrap();
/// let best = fit.model.query("purring kitten meow", 1).unwrap();
/// assert!(best[0].document < 3); // a cat document
/// ```
///
/// # Errors
/// [`TextError::TooManyTopics`], [`TextError::InvalidParameter`] for zero topics, and
/// [`TextError::Svd`].
pub fn fit(
    matrix: &CsrMatrix,
    vocabulary: Vocabulary,
    tfidf: TfidfParams,
    params: &LsaParams,
    observer: &mut dyn Observer,
) -> Result<LsaFit, TextError> {
    let (m, n) = matrix.shape();
    let k = params.topics;
    if k == 0 {
        return Err(TextError::InvalidParameter {
            name: "topics",
            value: "0".into(),
            expected: "at least 1",
        });
    }
    if k > m.min(n) {
        return Err(TextError::TooManyTopics {
            topics: k,
            documents: m,
            terms: n,
        });
    }
    if vocabulary.len() != n {
        return Err(TextError::Internal(format!(
            "vocabulary has {} terms, matrix {n} columns",
            vocabulary.len()
        )));
    }
    let svd_params = SvdParams {
        rank: RankSpec::Fixed(k),
        ..params.svd.clone()
    };
    let start = Instant::now();
    // The engine runs Lanczos on the Gram matrix of the shorter side itself (through a
    // transposed view when the corpus has more terms than documents). An explicit transpose
    // here, which this function used to make, cost a pass over the non-zeros and ran the fused
    // one-pass product on term rows, whose uneven lengths made it 10–15% slower on W6 than the
    // two-pass `X·(Xᵀy)` the view uses.
    let out = compute(matrix, &svd_params, observer)?;
    let svd_seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let certificate = certify(matrix, &out.svd, params.svd.par)?;
    let certificate_seconds = start.elapsed().as_secs_f64();
    let svd = out.svd;
    let (Some(u), Some(v)) = (svd.u, svd.v) else {
        return Err(TextError::Internal("the SVD returned no vectors".into()));
    };
    let s = svd.s;
    let kk = s.len();
    let coords = Mat::from_fn(m, kk, |i, j| u[(i, j)] * s[j]);
    Ok(LsaFit {
        model: LsaModel {
            vocabulary,
            tfidf,
            singular_values: s,
            term_loadings: v,
            document_coordinates: coords,
        },
        info: out.info,
        certificate,
        svd_seconds,
        certificate_seconds,
    })
}

impl LsaModel {
    /// Number of topics.
    pub fn topics(&self) -> usize {
        self.singular_values.len()
    }

    /// Number of documents.
    pub fn documents(&self) -> usize {
        self.document_coordinates.nrows()
    }

    /// Checks that the parts fit together (for a model read back from files).
    ///
    /// # Errors
    /// [`TextError::InvalidModel`] saying which part disagrees.
    pub fn validate(&self) -> Result<(), TextError> {
        let k = self.topics();
        let bad = |s: String| Err(TextError::InvalidModel(s));
        let nt = self.vocabulary.len();
        if self.vocabulary.idf.len() != nt {
            return bad(format!(
                "{} idf values for {nt} terms",
                self.vocabulary.idf.len()
            ));
        }
        if self.term_loadings.nrows() != nt || self.term_loadings.ncols() != k {
            return bad(format!(
                "term loadings are {}x{}, expected {nt} terms x {k} topics",
                self.term_loadings.nrows(),
                self.term_loadings.ncols()
            ));
        }
        if self.document_coordinates.ncols() != k {
            return bad(format!(
                "document coordinates have {} columns, expected {k} topics",
                self.document_coordinates.ncols()
            ));
        }
        if let Some(w) = self.vocabulary.terms.windows(2).position(|w| w[0] >= w[1]) {
            return bad(format!(
                "terms not in strictly increasing order at line {} ({:?} then {:?})",
                w + 2,
                self.vocabulary.terms[w],
                self.vocabulary.terms[w + 1]
            ));
        }
        let finite = self.vocabulary.idf.iter().all(|x| x.is_finite())
            && self.singular_values.iter().all(|x| x.is_finite())
            && (0..k).all(|j| {
                self.term_loadings.col(j).iter().all(|x| x.is_finite())
                    && self
                        .document_coordinates
                        .col(j)
                        .iter()
                        .all(|x| x.is_finite())
            });
        if !finite {
            return bad("non-finite values".into());
        }
        Ok(())
    }

    /// The `n` terms with the largest loadings on `topic`, with their loadings.
    ///
    /// # Panics
    /// If `topic` is not below [`Self::topics`].
    pub fn top_terms(&self, topic: usize, n: usize) -> Vec<(&str, f64)> {
        let col = self.term_loadings.col(topic);
        let scores: Vec<f64> = col.iter().copied().collect();
        top_n(&scores, n)
            .into_iter()
            .map(|(i, w)| (self.vocabulary.terms[i].as_str(), w))
            .collect()
    }

    /// A short label of `topic`: its three top terms joined by `/`.
    pub fn topic_label(&self, topic: usize) -> String {
        self.top_terms(topic, 3)
            .iter()
            .map(|t| t.0)
            .collect::<Vec<_>>()
            .join("/")
    }

    /// A text's coordinates in topic space (`q·V`, `q` its tf-idf row), or `None` when no
    /// token of the text is in the vocabulary.
    pub fn fold_in(&self, text: &str) -> Option<Vec<f64>> {
        let row = transform_text(text, &self.vocabulary, &self.tfidf);
        if row.is_empty() {
            return None;
        }
        let k = self.topics();
        let mut q = vec![0.0; k];
        for (c, w) in row {
            for (j, qj) in q.iter_mut().enumerate() {
                *qj += w * self.term_loadings[(c, j)];
            }
        }
        Some(q)
    }

    /// The `n` documents most similar to `text` (cosine in topic space), best first; ties go
    /// to the lower document index. Selection, not a full sort: `O(documents·k + n log n)`.
    ///
    /// # Errors
    /// [`TextError::NoKnownTerms`] when no token of the text is in the vocabulary (the
    /// similarity would be undefined), [`TextError::InvalidParameter`] for `n = 0`.
    pub fn query(&self, text: &str, n: usize) -> Result<Vec<Match>, TextError> {
        if n == 0 {
            return Err(TextError::InvalidParameter {
                name: "n",
                value: "0".into(),
                expected: "at least 1",
            });
        }
        let q = self.fold_in(text).ok_or(TextError::NoKnownTerms)?;
        let qn = q.iter().map(|x| x * x).sum::<f64>().sqrt();
        let d = &self.document_coordinates;
        let mut dots = vec![0.0; d.nrows()];
        let mut norms = vec![0.0; d.nrows()];
        for (j, &qj) in q.iter().enumerate() {
            for (i, x) in d.col(j).iter().enumerate() {
                dots[i] += qj * x;
                norms[i] += x * x;
            }
        }
        // A document (or query) at the origin of topic space has similarity 0, not NaN.
        let scores: Vec<f64> = dots
            .iter()
            .zip(&norms)
            .map(|(dot, nn)| {
                let den = qn * nn.sqrt();
                if den > 0.0 {
                    (dot / den).clamp(-1.0, 1.0)
                } else {
                    0.0
                }
            })
            .collect();
        Ok(top_n(&scores, n)
            .into_iter()
            .map(|(document, score)| Match { document, score })
            .collect())
    }
}

/// Indices of the `n` largest scores, descending, ties by index: a selection then a sort of
/// the `n` chosen.
fn top_n(scores: &[f64], n: usize) -> Vec<(usize, f64)> {
    let order = |a: &usize, b: &usize| -> Ordering {
        scores[*b]
            .partial_cmp(&scores[*a])
            .unwrap_or(Ordering::Equal)
            .then(a.cmp(b))
    };
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    let n = n.min(idx.len());
    if n == 0 {
        return Vec::new();
    }
    if n < idx.len() {
        idx.select_nth_unstable_by(n - 1, order);
        idx.truncate(n);
    }
    idx.sort_unstable_by(order);
    idx.into_iter().map(|i| (i, scores[i])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfidf::{fit_transform, DfLimit};
    use faer::Mat;
    use lowrank_core::NoObserver;

    #[test]
    fn top_n_selects_like_a_full_sort() {
        let scores: Vec<f64> = (0..1000)
            .map(|i| ((i * 7919) % 1013) as f64 / 7.0)
            .collect();
        let mut full: Vec<usize> = (0..scores.len()).collect();
        full.sort_by(|a, b| scores[*b].partial_cmp(&scores[*a]).unwrap().then(a.cmp(b)));
        for n in [1, 5, 999, 1000, 2000] {
            let got: Vec<usize> = top_n(&scores, n).iter().map(|x| x.0).collect();
            assert_eq!(got, full[..n.min(1000)]);
        }
    }

    /// The model's σ and coordinates against a dense SVD of the same matrix computed with faer.
    #[test]
    fn agrees_with_a_dense_svd() {
        let docs = [
            "apple banana apple fruit",
            "banana fruit salad",
            "fruit apple pie",
            "car engine wheel",
            "engine oil car",
            "wheel car road",
            "road trip car fruit",
        ];
        let p = TfidfParams {
            min_df: DfLimit::Count(1),
            ..TfidfParams::default()
        };
        let t = fit_transform(&docs, &p).unwrap();
        let (m, n) = t.matrix.shape();
        let mut dense = Mat::<f64>::zeros(m, n);
        let (rp, ci, v) = (t.matrix.row_ptr(), t.matrix.col_idx(), t.matrix.values());
        for i in 0..m {
            for q in rp[i]..rp[i + 1] {
                dense[(i, ci[q] as usize)] = v[q];
            }
        }
        let reference = dense.thin_svd().unwrap();
        let params = LsaParams {
            topics: 3,
            ..LsaParams::default()
        };
        let fit = fit(&t.matrix, t.vocabulary, p, &params, &mut NoObserver).unwrap();
        let sref = reference.S().column_vector();
        for j in 0..3 {
            // Dense and truncated SVDs of a 7×n matrix with norm ≈ √7: both at ~1e-15·σ₁;
            // 1e-12 leaves room for the Lanczos tolerance (1e-10·σ₁ on residuals, squared on σ).
            assert!((fit.model.singular_values[j] - sref[j]).abs() < 1e-12);
        }
        // A training document folded in lands on its own coordinates (q·V = U·Σ row).
        let q = fit.model.fold_in(docs[3]).unwrap();
        for (j, qj) in q.iter().enumerate() {
            assert!((qj - fit.model.document_coordinates[(3, j)]).abs() < 1e-12);
        }
        let best = fit.model.query("engine car", 3).unwrap();
        assert!(best.iter().all(|b| (3..=6).contains(&b.document)));
        assert!(fit.model.validate().is_ok());
        assert!(matches!(
            fit.model.query("zzz qqq", 3),
            Err(TextError::NoKnownTerms)
        ));
    }

    #[test]
    fn too_many_topics_is_refused() {
        let p = TfidfParams {
            min_df: DfLimit::Count(1),
            ..TfidfParams::default()
        };
        let t = fit_transform(&["aa bb cc", "bb cc dd"], &p).unwrap();
        let params = LsaParams {
            topics: 3,
            ..LsaParams::default()
        };
        let e = fit(&t.matrix, t.vocabulary, p, &params, &mut NoObserver).unwrap_err();
        assert!(matches!(
            e,
            TextError::TooManyTopics {
                topics: 3,
                documents: 2,
                terms: 4
            }
        ));
    }
}
