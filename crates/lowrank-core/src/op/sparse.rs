use super::{check_apply, LinearOperator, OpError, StorageKind};
use faer::prelude::{Reborrow, ReborrowMut};
use faer::{MatMut, MatRef, Par};
use rayon::prelude::*;

/// A sparse matrix in compressed sparse row (CSR) form: the format every reader produces.
///
/// Column indices are `u32` (4 bytes instead of 8 per non-zero: sparse products are limited by
/// memory bandwidth, so smaller indices are faster as well as smaller). Rows are sorted by column
/// and hold no duplicates; explicit zeros are kept (they are part of the file's structure).
///
/// Products never densify the matrix. `A·X` is parallel over row blocks; `Aᵀ·X` scatters each
/// of a fixed number of row blocks into its own accumulator and sums the accumulators in a fixed
/// order, so results are bit-identical whatever the thread count.
#[derive(Clone, Debug, PartialEq)]
pub struct CsrMatrix {
    nrows: usize,
    ncols: usize,
    row_ptr: Vec<usize>,
    col_idx: Vec<u32>,
    values: Vec<f64>,
}

/// What to do with repeated `(row, col)` entries when building from triplets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DuplicatePolicy {
    /// Add them up (Matrix Market and SciPy's convention).
    Sum,
    /// Keep the last one given.
    Last,
    /// Refuse the input.
    Error,
}

/// Why a sparse matrix could not be built.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum SparseBuildError {
    /// An index is outside the declared shape.
    #[error("entry {entry}: index ({row}, {col}) is outside the {nrows}x{ncols} matrix")]
    OutOfBounds {
        /// Position of the entry in the input (0-based).
        entry: usize,
        /// Row index (0-based).
        row: usize,
        /// Column index (0-based).
        col: usize,
        /// Declared rows.
        nrows: usize,
        /// Declared columns.
        ncols: usize,
    },
    /// The same position appears twice under [`DuplicatePolicy::Error`].
    #[error("entry ({row}, {col}) appears more than once")]
    Duplicate {
        /// Row index (0-based).
        row: usize,
        /// Column index (0-based).
        col: usize,
    },
    /// More columns than a `u32` index can address.
    #[error("{ncols} columns exceed the supported maximum of {}", u32::MAX)]
    TooManyColumns {
        /// Declared columns.
        ncols: usize,
    },
    /// The CSR arrays are inconsistent.
    #[error("invalid CSR structure: {0}")]
    InvalidStructure(String),
}

/// Columns of `X` per pass of `A·X` (a panel of X rows stays in cache).
const APPLY_PANEL: usize = 8;
/// Columns per pass of `A·X` when at least this many remain: fewer passes over A.
const WIDE_APPLY_PANEL: usize = 16;
/// Columns per fused `AᵀA·X` pass.
const GRAM_PANEL: usize = 4;
/// Target non-zeros per parallel block of `A·X`.
const ROW_BLOCK_NNZ: usize = 1 << 15;
/// Upper bound on the scatter blocks of `Aᵀ·X`; fixed by the shape, never by the thread count.
const MAX_TRANSPOSE_BLOCKS: usize = 4;
/// Non-zeros per scatter block of `Aᵀ·X` before another block is worth its accumulator. At
/// 2¹⁸, W6's tf-idf matrix (3·10⁵ non-zeros) had a single block, so half of each `A·(Aᵀx)`
/// ran on one thread; with four blocks its products take 0.37–0.40 ms instead of 0.60–0.72.
const TRANSPOSE_BLOCK_NNZ: usize = 1 << 16;
/// Memory the `Aᵀ·X` accumulators may use; wider blocks are processed in column panels.
const TRANSPOSE_ACCUMULATOR_BYTES: usize = 8 << 20;

impl CsrMatrix {
    /// Builds from raw CSR arrays, checking every invariant.
    pub fn new(
        nrows: usize,
        ncols: usize,
        row_ptr: Vec<usize>,
        col_idx: Vec<u32>,
        values: Vec<f64>,
    ) -> Result<Self, SparseBuildError> {
        if ncols > u32::MAX as usize {
            return Err(SparseBuildError::TooManyColumns { ncols });
        }
        let bad = |s: String| Err(SparseBuildError::InvalidStructure(s));
        if row_ptr.len() != nrows + 1 {
            return bad(format!(
                "row_ptr has {} entries, expected {}",
                row_ptr.len(),
                nrows + 1
            ));
        }
        if row_ptr[0] != 0 || row_ptr[nrows] != col_idx.len() || col_idx.len() != values.len() {
            return bad("row_ptr does not span col_idx/values".into());
        }
        // Non-decreasing first: with the ends checked above, every row's range is then inside
        // `col_idx` (a row range past the end must be an error, not a slicing panic).
        if let Some(i) = (0..nrows).find(|&i| row_ptr[i] > row_ptr[i + 1]) {
            return bad(format!("row_ptr decreases at row {i}"));
        }
        for i in 0..nrows {
            let (s, e) = (row_ptr[i], row_ptr[i + 1]);
            let cols = &col_idx[s..e];
            for w in cols.windows(2) {
                if w[0] >= w[1] {
                    return bad(format!("row {i}: columns not strictly increasing"));
                }
            }
            if let Some(&c) = cols.last() {
                if c as usize >= ncols {
                    return Err(SparseBuildError::OutOfBounds {
                        entry: e - 1,
                        row: i,
                        col: c as usize,
                        nrows,
                        ncols,
                    });
                }
            }
        }
        Ok(Self {
            nrows,
            ncols,
            row_ptr,
            col_idx,
            values,
        })
    }

    /// Builds from `(row, col, value)` triplets (0-based) in any order.
    ///
    /// Runs in `O(nnz + m)` time with a counting sort by row, then sorts each row by column.
    pub fn from_triplets(
        nrows: usize,
        ncols: usize,
        rows: &[usize],
        cols: &[usize],
        values: &[f64],
        duplicates: DuplicatePolicy,
    ) -> Result<Self, SparseBuildError> {
        assert!(
            rows.len() == cols.len() && cols.len() == values.len(),
            "triplet arrays differ"
        );
        if ncols > u32::MAX as usize {
            return Err(SparseBuildError::TooManyColumns { ncols });
        }
        let nnz = values.len();
        let mut row_ptr = vec![0usize; nrows + 1];
        for (entry, (&r, &c)) in rows.iter().zip(cols).enumerate() {
            if r >= nrows || c >= ncols {
                return Err(SparseBuildError::OutOfBounds {
                    entry,
                    row: r,
                    col: c,
                    nrows,
                    ncols,
                });
            }
            row_ptr[r + 1] += 1;
        }
        for i in 0..nrows {
            row_ptr[i + 1] += row_ptr[i];
        }
        let mut next = row_ptr.clone();
        let mut col_idx = vec![0u32; nnz];
        let mut vals = vec![0.0f64; nnz];
        // Stable scatter: entries of one row keep their input order, which makes `Last` well defined.
        for ((&r, &c), &v) in rows.iter().zip(cols).zip(values) {
            let p = next[r];
            col_idx[p] = c as u32;
            vals[p] = v;
            next[r] += 1;
        }
        Self::finish_rows(nrows, ncols, row_ptr, col_idx, vals, duplicates)
    }

    /// Sorts each row by column and merges duplicates, compacting in place.
    fn finish_rows(
        nrows: usize,
        ncols: usize,
        row_ptr: Vec<usize>,
        mut col_idx: Vec<u32>,
        mut vals: Vec<f64>,
        duplicates: DuplicatePolicy,
    ) -> Result<Self, SparseBuildError> {
        let mut out_ptr = vec![0usize; nrows + 1];
        let mut write = 0usize;
        let mut perm: Vec<(u32, usize)> = Vec::new();
        let mut tmp_vals: Vec<f64> = Vec::new();
        for i in 0..nrows {
            let (s, e) = (row_ptr[i], row_ptr[i + 1]);
            let sorted = col_idx[s..e].windows(2).all(|w| w[0] < w[1]);
            if sorted {
                col_idx.copy_within(s..e, write);
                vals.copy_within(s..e, write);
                write += e - s;
            } else {
                perm.clear();
                perm.extend(col_idx[s..e].iter().enumerate().map(|(k, &c)| (c, s + k)));
                perm.sort_by_key(|&(c, k)| (c, k)); // stable by input position
                tmp_vals.clear();
                tmp_vals.extend(perm.iter().map(|&(_, k)| vals[k]));
                let mut last_col: Option<u32> = None;
                for (idx, &(c, _)) in perm.iter().enumerate() {
                    let v = tmp_vals[idx];
                    if last_col == Some(c) {
                        match duplicates {
                            DuplicatePolicy::Sum => vals[write - 1] += v,
                            DuplicatePolicy::Last => vals[write - 1] = v,
                            DuplicatePolicy::Error => {
                                return Err(SparseBuildError::Duplicate {
                                    row: i,
                                    col: c as usize,
                                })
                            }
                        }
                    } else {
                        col_idx[write] = c;
                        vals[write] = v;
                        write += 1;
                        last_col = Some(c);
                    }
                }
            }
            out_ptr[i + 1] = write;
        }
        col_idx.truncate(write);
        vals.truncate(write);
        col_idx.shrink_to_fit();
        vals.shrink_to_fit();
        Ok(Self {
            nrows,
            ncols,
            row_ptr: out_ptr,
            col_idx,
            values: vals,
        })
    }

    /// Number of stored entries (explicit zeros included).
    pub fn nnz(&self) -> usize {
        self.values.len()
    }
    /// Row pointer array (`m + 1` entries).
    pub fn row_ptr(&self) -> &[usize] {
        &self.row_ptr
    }
    /// Column index of every stored entry.
    pub fn col_idx(&self) -> &[u32] {
        &self.col_idx
    }
    /// Value of every stored entry.
    pub fn values(&self) -> &[f64] {
        &self.values
    }
    /// Mutable values (the structure is fixed).
    pub fn values_mut(&mut self) -> &mut [f64] {
        &mut self.values
    }
    /// Shape `(m, n)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.nrows, self.ncols)
    }
    /// The transpose, as a new CSR matrix (a CSC view of `self`).
    pub fn transpose(&self) -> CsrMatrix {
        let mut ptr = vec![0usize; self.ncols + 1];
        for &c in &self.col_idx {
            ptr[c as usize + 1] += 1;
        }
        for j in 0..self.ncols {
            ptr[j + 1] += ptr[j];
        }
        let mut next = ptr.clone();
        let mut cols = vec![0u32; self.nnz()];
        let mut vals = vec![0.0; self.nnz()];
        for i in 0..self.nrows {
            for p in self.row_ptr[i]..self.row_ptr[i + 1] {
                let j = self.col_idx[p] as usize;
                cols[next[j]] = i as u32;
                vals[next[j]] = self.values[p];
                next[j] += 1;
            }
        }
        CsrMatrix {
            nrows: self.ncols,
            ncols: self.nrows,
            row_ptr: ptr,
            col_idx: cols,
            values: vals,
        }
    }

    /// Row blocks of about `target` non-zeros (at least one row each), as row ranges.
    fn row_blocks(&self, count: usize) -> Vec<(usize, usize)> {
        let count = count.max(1);
        let nnz = self.nnz();
        let mut blocks = Vec::with_capacity(count);
        let mut start = 0;
        for b in 1..=count {
            let end = if b == count {
                self.nrows
            } else {
                let target = nnz * b / count;
                self.row_ptr
                    .partition_point(|&p| p < target)
                    .clamp(start, self.nrows)
            };
            if end > start || b == count {
                blocks.push((start, end));
            }
            start = end;
        }
        blocks
    }

    fn rows_per_block(&self) -> usize {
        (self.nrows * ROW_BLOCK_NNZ / self.nnz().max(1)).max(64)
    }

    /// `y = A·x` for one vector: a dot product per row, four partial sums for instruction-level
    /// parallelism (a fixed order, so still deterministic).
    fn spmv(&self, x: &[f64], par: Par) -> Vec<f64> {
        let mut y = vec![0.0; self.nrows];
        let rows_per_block = self.rows_per_block();
        let kernel = |(blk, ys): (usize, &mut [f64])| {
            let first = blk * rows_per_block;
            for (local, yi) in ys.iter_mut().enumerate() {
                *yi = self.row_dot(first + local, x);
            }
        };
        if parallel(par) {
            y.par_chunks_mut(rows_per_block)
                .enumerate()
                .for_each(kernel);
        } else {
            y.chunks_mut(rows_per_block).enumerate().for_each(kernel);
        }
        y
    }

    /// `out = A·X` for a row-major panel `x` of `pb` columns, written straight into the
    /// column-major `out` (row blocks in parallel; no second copy of the result).
    fn spmm_panel(&self, out: MatMut<'_, f64>, x: &[f64], pb: usize, par: Par) {
        match pb {
            1 => self.spmm_fixed::<1>(out, x, par),
            2 => self.spmm_fixed::<2>(out, x, par),
            3 => self.spmm_fixed::<3>(out, x, par),
            4 => self.spmm_fixed::<4>(out, x, par),
            5 => self.spmm_fixed::<5>(out, x, par),
            6 => self.spmm_fixed::<6>(out, x, par),
            7 => self.spmm_fixed::<7>(out, x, par),
            8 => self.spmm_fixed::<8>(out, x, par),
            _ => self.spmm_fixed::<WIDE_APPLY_PANEL>(out, x, par),
        }
    }

    /// [`Self::spmm_panel`] with the panel width known at compile time: each non-zero is one
    /// fixed-length multiply-add over a row of `x` (one cache line at `B = 8`), which the
    /// compiler keeps in registers; a run-time width cost W3's `U = A·V` (20 columns) 4×.
    #[allow(unsafe_code)]
    fn spmm_fixed<const B: usize>(&self, out: MatMut<'_, f64>, x: &[f64], par: Par) {
        assert!(x.len() >= self.ncols * B);
        let rows_per_block = self.rows_per_block();
        let kernel = |(blk, mut chunk): (usize, MatMut<'_, f64>)| {
            let first = blk * rows_per_block;
            for local in 0..chunk.nrows() {
                let i = first + local;
                let (s, e) = (self.row_ptr[i], self.row_ptr[i + 1]);
                let mut acc = [0.0f64; B];
                for (&j, &v) in self.col_idx[s..e].iter().zip(&self.values[s..e]) {
                    let j = j as usize * B;
                    debug_assert!(j + B <= x.len());
                    // SAFETY: every stored column index is below `ncols` (checked when the
                    // matrix is built) and `x.len() ≥ ncols·B` is asserted above.
                    let xr = unsafe { x.get_unchecked(j..j + B) };
                    for c in 0..B {
                        acc[c] += v * xr[c];
                    }
                }
                for (c, &a) in acc.iter().enumerate() {
                    chunk[(local, c)] = a;
                }
            }
        };
        super::for_each_row_chunk(out, rows_per_block, par, kernel);
    }

    /// `Aᵀ·Y` for a panel of `B` columns of `Y`, left as a row-major `n × B` array in
    /// `accumulators[0][..n·B]`: each row block of A scatters `B` multiply-adds per non-zero
    /// into its own accumulator (one per block, reset here, reused across panels), and the
    /// accumulators are summed in block order (deterministic).
    #[allow(unsafe_code)]
    fn scatter_panel<const B: usize>(
        &self,
        blocks: &[(usize, usize)],
        y: MatRef<'_, f64>,
        par: Par,
        accumulators: &mut [Vec<f64>],
    ) {
        debug_assert_eq!(accumulators.len(), blocks.len());
        let n = self.ncols;
        let scatter = |&(r0, r1): &(usize, usize), acc: &mut Vec<f64>| {
            acc.clear();
            acc.resize(n * B, 0.0);
            for i in r0..r1 {
                let mut yrow = [0.0f64; B];
                for (c, r) in yrow.iter_mut().enumerate() {
                    *r = y[(i, c)];
                }
                let (s, e) = (self.row_ptr[i], self.row_ptr[i + 1]);
                for (&j, &v) in self.col_idx[s..e].iter().zip(&self.values[s..e]) {
                    let j = j as usize * B;
                    debug_assert!(j + B <= acc.len());
                    // SAFETY: every stored column index is below `ncols` (checked when the
                    // matrix is built), and `acc` has `ncols·B` entries.
                    let ar = unsafe { acc.get_unchecked_mut(j..j + B) };
                    for c in 0..B {
                        ar[c] += v * yrow[c];
                    }
                }
            }
        };
        if parallel(par) {
            blocks
                .par_iter()
                .zip(accumulators.par_iter_mut())
                .for_each(|(block, acc)| scatter(block, acc));
        } else {
            blocks
                .iter()
                .zip(accumulators.iter_mut())
                .for_each(|(block, acc)| scatter(block, acc));
        }
        add_into_first(accumulators, n * B, par);
    }

    /// `Σᵢ coef(i)·aᵢ` over the rows `aᵢ` of A (an n-vector): each fixed row block scatters
    /// into its own accumulator, and the accumulators are summed in block order, so the result
    /// does not depend on the thread count.
    fn scatter_reduce(&self, par: Par, coef: impl Fn(usize) -> f64 + Sync) -> Vec<f64> {
        let n = self.ncols;
        let blocks = self.row_blocks(self.transpose_block_count());
        let scatter = |&(r0, r1): &(usize, usize)| {
            let mut acc = vec![0.0; n];
            for i in r0..r1 {
                let c = coef(i);
                if c == 0.0 {
                    continue;
                }
                self.row_axpy(i, c, &mut acc);
            }
            acc
        };
        scatter_and_sum(&blocks, par, scatter)
    }

    /// `AᵀA·X` for a row-major panel of `B` columns in one pass: each row's `B` dot products,
    /// then its scatter, while the row is in cache. Block accumulators are summed in block
    /// order (deterministic).
    fn gram_panel<const B: usize>(&self, x: &[f64], par: Par) -> Vec<f64> {
        let n = self.ncols;
        let blocks = self.row_blocks(self.transpose_block_count());
        let scatter = |&(r0, r1): &(usize, usize)| {
            let mut acc = vec![0.0; n * B];
            for i in r0..r1 {
                let (s, e) = (self.row_ptr[i], self.row_ptr[i + 1]);
                let cols = &self.col_idx[s..e];
                let vals = &self.values[s..e];
                let mut t = [0.0f64; B];
                for (&j, &v) in cols.iter().zip(vals) {
                    let xr = &x[j as usize * B..j as usize * B + B];
                    for c in 0..B {
                        t[c] += v * xr[c];
                    }
                }
                for (&j, &v) in cols.iter().zip(vals) {
                    let ar = &mut acc[j as usize * B..j as usize * B + B];
                    for c in 0..B {
                        ar[c] += v * t[c];
                    }
                }
            }
            acc
        };
        scatter_and_sum(&blocks, par, scatter)
    }

    /// `AᵀA·x` for one vector, `Σᵢ (aᵢ·x)·aᵢ`: each row's dot product, then its scatter while
    /// the row is in cache, in one loop per fixed row block (summed in block order). The same
    /// arithmetic as [`Self::scatter_reduce`] with [`Self::row_dot`], without their per-row
    /// checks: on W3 those cost about 6% of this latency-bound product (5 runs each, A/B).
    fn gram_vector(&self, x: &[f64], par: Par) -> Vec<f64> {
        assert!(x.len() >= self.ncols);
        let n = self.ncols;
        let blocks = self.row_blocks(self.transpose_block_count());
        let (ptr, cols, vals) = (&self.row_ptr, &self.col_idx[..], &self.values[..]);
        let scatter = |&(r0, r1): &(usize, usize)| {
            let mut acc = vec![0.0; n];
            assert!(r1 < ptr.len());
            for i in r0..r1 {
                // SAFETY: `i + 1 ≤ r1 < ptr.len()`; `ptr` is non-decreasing and ends at
                // `nnz = cols.len() = vals.len()` (checked when the matrix is built), so
                // `p < e ≤ nnz`; every stored column index is below `ncols`, and
                // `x.len() ≥ ncols`, `acc.len() = ncols`.
                #[allow(unsafe_code)]
                unsafe {
                    let (s, e) = (*ptr.get_unchecked(i), *ptr.get_unchecked(i + 1));
                    let t = dot_range(cols, vals, s, e, x);
                    if t != 0.0 {
                        axpy_range(cols, vals, s, e, t, &mut acc);
                    }
                }
            }
            acc
        };
        scatter_and_sum(&blocks, par, scatter)
    }

    /// Dot product of row `i` with `x`.
    ///
    /// The gathers skip bounds checks: every stored column index is below `ncols` (checked when
    /// the matrix is built, and the fields are private), and `x.len() ≥ ncols` is asserted here.
    /// The checks cost about a third of the time of this memory-bound loop.
    #[inline(always)]
    fn row_dot(&self, i: usize, x: &[f64]) -> f64 {
        assert!(x.len() >= self.ncols);
        let (s, e) = (self.row_ptr[i], self.row_ptr[i + 1]);
        // SAFETY: `row_ptr` is non-decreasing and ends at `nnz = col_idx.len() = values.len()`,
        // and every stored column index is below `ncols ≤ x.len()` (checked when the matrix
        // is built; the fields are private).
        #[allow(unsafe_code)]
        unsafe {
            dot_range(&self.col_idx, &self.values, s, e, x)
        }
    }

    /// `acc += c·aᵢ` for row `i`; the scatter skips bounds checks for the reason given at
    /// [`Self::row_dot`].
    #[inline(always)]
    fn row_axpy(&self, i: usize, c: f64, acc: &mut [f64]) {
        assert!(acc.len() >= self.ncols);
        let (s, e) = (self.row_ptr[i], self.row_ptr[i + 1]);
        // SAFETY: as in `row_dot`, with `acc.len() ≥ ncols`.
        #[allow(unsafe_code)]
        unsafe {
            axpy_range(&self.col_idx, &self.values, s, e, c, acc)
        }
    }

    /// Scatter blocks of `Aᵀ·X`: each needs enough non-zeros to pay for its accumulator, so
    /// at least [`TRANSPOSE_BLOCK_NNZ`] and at least `8·ncols` (an accumulator costs two passes
    /// over `ncols` doubles, zeroing and summing, against one multiply-add per non-zero).
    /// W6's 3·10⁵ non-zeros over 15,517 columns got four blocks at `ncols` per block and two at
    /// `8·ncols`: its products `A·(Aᵀx)` in the solve went from 0.134 to 0.124 s, the solve from
    /// 0.345 to 0.326 s (medians of 8 interleaved runs). W3 keeps four.
    pub(crate) fn transpose_block_count(&self) -> usize {
        (self.nnz() / TRANSPOSE_BLOCK_NNZ.max(8 * self.ncols)).clamp(1, MAX_TRANSPOSE_BLOCKS)
    }
}

/// `Σ vals[p]·x[cols[p]]` over `p` in `s..e`, with four partial sums (a fixed order, so
/// deterministic). Index loops over unchecked reads: iterator adaptors and per-element checks
/// cost this latency-bound loop about 10% on W3.
///
/// # Safety
/// `s ≤ e ≤ cols.len() = vals.len()`, and `cols[p] < x.len()` for every `p` in `s..e`.
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn dot_range(cols: &[u32], vals: &[f64], s: usize, e: usize, x: &[f64]) -> f64 {
    debug_assert!(s <= e && e <= cols.len() && cols.len() == vals.len());
    debug_assert!(cols[s..e].iter().all(|&c| (c as usize) < x.len()));
    // SAFETY: the caller's contract above.
    let term = |p: usize| unsafe {
        *vals.get_unchecked(p) * *x.get_unchecked(*cols.get_unchecked(p) as usize)
    };
    let (mut a0, mut a1, mut a2, mut a3) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let mut p = s;
    while p + 4 <= e {
        a0 += term(p);
        a1 += term(p + 1);
        a2 += term(p + 2);
        a3 += term(p + 3);
        p += 4;
    }
    while p < e {
        a0 += term(p);
        p += 1;
    }
    (a0 + a1) + (a2 + a3)
}

/// `acc[cols[p]] += c·vals[p]` over `p` in `s..e`.
///
/// # Safety
/// `s ≤ e ≤ cols.len() = vals.len()`, and `cols[p] < acc.len()` for every `p` in `s..e`.
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn axpy_range(cols: &[u32], vals: &[f64], s: usize, e: usize, c: f64, acc: &mut [f64]) {
    debug_assert!(s <= e && e <= cols.len() && cols.len() == vals.len());
    debug_assert!(cols[s..e].iter().all(|&j| (j as usize) < acc.len()));
    for p in s..e {
        // SAFETY: the caller's contract above.
        unsafe {
            let j = *cols.get_unchecked(p) as usize;
            *acc.get_unchecked_mut(j) += *vals.get_unchecked(p) * c;
        }
    }
}

fn parallel(par: Par) -> bool {
    !matches!(par, Par::Seq)
}

/// Copies a column-major block into a row-major buffer (`rows × b`), writing the buffer in
/// order: the `b` columns are read as parallel streams, where writing each column with a stride
/// of `b` touched a new cache line per element (W3's `U = A·V`: 6 ms for 16 columns).
fn to_row_major(x: MatRef<'_, f64>) -> Vec<f64> {
    let mut out = Vec::new();
    to_row_major_into(x, &mut out);
    out
}

/// [`to_row_major`] into a buffer that keeps its allocation.
fn to_row_major_into(x: MatRef<'_, f64>, out: &mut Vec<f64>) {
    let (rows, b) = (x.nrows(), x.ncols());
    out.clear();
    out.reserve(rows * b);
    match (0..b)
        .map(|c| x.col(c).try_as_col_major().map(|col| col.as_slice()))
        .collect::<Option<Vec<&[f64]>>>()
    {
        Some(cols) => {
            for r in 0..rows {
                out.extend(cols.iter().map(|col| col[r]));
            }
        }
        None => {
            for r in 0..rows {
                out.extend((0..b).map(|c| x[(r, c)]));
            }
        }
    }
}

fn from_row_major(mut out: MatMut<'_, f64>, buf: &[f64]) {
    let b = out.ncols();
    for c in 0..b {
        for (r, o) in out.rb_mut().col_mut(c).iter_mut().enumerate() {
            *o = buf[r * b + c];
        }
    }
}

impl LinearOperator for CsrMatrix {
    fn nrows(&self) -> usize {
        self.nrows
    }
    fn ncols(&self) -> usize {
        self.ncols
    }

    fn apply(
        &self,
        mut out: MatMut<'_, f64>,
        rhs: MatRef<'_, f64>,
        par: Par,
    ) -> Result<(), OpError> {
        check_apply(self, &out, rhs, false)?;
        let b = rhs.ncols();
        if b == 0 || self.nrows == 0 {
            return Ok(());
        }
        // Column panels keep the gathered rows of X in cache (8 doubles = one cache line; 16 = two).
        // One row-major buffer serves every panel (fresh pages per panel cost more than the
        // copy).
        let mut buffer = Vec::new();
        let mut c0 = 0;
        while c0 < b {
            let pb = if b - c0 >= WIDE_APPLY_PANEL {
                WIDE_APPLY_PANEL
            } else {
                APPLY_PANEL.min(b - c0)
            };
            let panel = rhs.subcols(c0, pb);
            if pb == 1 {
                let x: Vec<f64> = panel.col(0).iter().copied().collect();
                let y = self.spmv(&x, par);
                for (o, v) in out.rb_mut().col_mut(c0).iter_mut().zip(&y) {
                    *o = *v;
                }
            } else {
                to_row_major_into(panel, &mut buffer);
                self.spmm_panel(out.rb_mut().subcols_mut(c0, pb), &buffer, pb, par);
            }
            c0 += pb;
        }
        Ok(())
    }

    fn apply_transpose(
        &self,
        mut out: MatMut<'_, f64>,
        rhs: MatRef<'_, f64>,
        par: Par,
    ) -> Result<(), OpError> {
        check_apply(self, &out, rhs, true)?;
        let b = rhs.ncols();
        let n = self.ncols;
        if b == 0 || n == 0 {
            return Ok(());
        }
        if b == 1 {
            let y: Vec<f64> = rhs.col(0).iter().copied().collect();
            let x = self.scatter_reduce(par, |i| y[i]);
            for (o, v) in out.rb_mut().col_mut(0).iter_mut().zip(&x) {
                *o = *v;
            }
            return Ok(());
        }
        let blocks = self.row_blocks(self.transpose_block_count());
        let per_col = blocks.len() * n * 8;
        // At most `APPLY_PANEL` columns per pass, so that the kernel's width is a compile-time
        // constant (see `spmm_fixed`), and fewer when the accumulators would outgrow their budget.
        let panel = (TRANSPOSE_ACCUMULATOR_BYTES / per_col.max(1)).clamp(1, b.min(APPLY_PANEL));
        // The block accumulators are allocated once and reused by every panel: fresh pages
        // for each panel (4 MB at W6's 15,517 columns) cost more than the scatter (W6's
        // `U = A·V` for 100 columns: 24 ms).
        let mut accumulators: Vec<Vec<f64>> = vec![Vec::new(); blocks.len()];
        let mut col0 = 0;
        while col0 < b {
            let pb = panel.min(b - col0);
            let y = rhs.subcols(col0, pb);
            let acc = &mut accumulators;
            match pb {
                1 => self.scatter_panel::<1>(&blocks, y, par, acc),
                2 => self.scatter_panel::<2>(&blocks, y, par, acc),
                3 => self.scatter_panel::<3>(&blocks, y, par, acc),
                4 => self.scatter_panel::<4>(&blocks, y, par, acc),
                5 => self.scatter_panel::<5>(&blocks, y, par, acc),
                6 => self.scatter_panel::<6>(&blocks, y, par, acc),
                7 => self.scatter_panel::<7>(&blocks, y, par, acc),
                _ => self.scatter_panel::<APPLY_PANEL>(&blocks, y, par, acc),
            };
            from_row_major(
                out.rb_mut().subcols_mut(col0, pb),
                &accumulators[0][..n * pb],
            );
            col0 += pb;
        }
        Ok(())
    }

    /// `AᵀA·x` in one pass over the rows: `Σᵢ (aᵢ·x)·aᵢ`, reading each row once for both
    /// products, which halves the memory traffic of a normal-equations step.
    fn apply_gram(
        &self,
        mut out: MatMut<'_, f64>,
        rhs: MatRef<'_, f64>,
        par: Par,
    ) -> Result<(), OpError> {
        super::check_shapes("rhs", rhs, self.ncols, rhs.ncols())?;
        super::check_shapes("out", out.rb(), self.ncols, rhs.ncols())?;
        let b = rhs.ncols();
        let mut c0 = 0;
        while c0 < b {
            let pb = GRAM_PANEL.min(b - c0);
            let x = to_row_major(rhs.subcols(c0, pb));
            let g = match pb {
                1 => self.gram_vector(&x, par),
                2 => self.gram_panel::<2>(&x, par),
                3 => self.gram_panel::<3>(&x, par),
                _ => self.gram_panel::<4>(&x, par),
            };
            from_row_major(out.rb_mut().subcols_mut(c0, pb), &g);
            c0 += pb;
        }
        Ok(())
    }
    fn has_fused_gram(&self) -> bool {
        true
    }
    fn column_norms_sq(&self) -> Option<Vec<f64>> {
        let mut out = vec![0.0; self.ncols];
        for (&j, &v) in self.col_idx.iter().zip(&self.values) {
            out[j as usize] += v * v;
        }
        Some(out)
    }
    fn row_norms_sq(&self) -> Option<Vec<f64>> {
        Some(
            (0..self.nrows)
                .map(|i| {
                    self.values[self.row_ptr[i]..self.row_ptr[i + 1]]
                        .iter()
                        .map(|v| v * v)
                        .sum()
                })
                .collect(),
        )
    }
    fn frobenius_norm_sq(&self) -> Option<f64> {
        Some(self.values.iter().map(|v| v * v).sum())
    }
    fn storage_bytes(&self) -> usize {
        self.row_ptr.len() * 8 + self.col_idx.len() * 4 + self.values.len() * 8
    }
    fn workspace_bytes(&self, block_cols: usize) -> usize {
        let acc = self.transpose_block_count() * self.ncols * 8;
        let panel = (TRANSPOSE_ACCUMULATOR_BYTES / acc.max(1)).clamp(1, block_cols.max(1));
        (self.nrows + self.ncols) * block_cols * 8 * 2 + acc * panel * 2
    }
    fn storage_kind(&self) -> StorageKind {
        StorageKind::Sparse
    }
    fn stored_entries(&self) -> usize {
        self.nnz()
    }
    fn describe(&self) -> String {
        format!(
            "sparse CSR {}x{} ({} stored entries)",
            self.nrows,
            self.ncols,
            self.nnz()
        )
    }
}

/// Runs `scatter` on every row block (in parallel when allowed) and sums the block
/// accumulators in block order, so the result is bit-identical whatever the thread count.
fn scatter_and_sum(
    blocks: &[(usize, usize)],
    par: Par,
    scatter: impl Fn(&(usize, usize)) -> Vec<f64> + Sync,
) -> Vec<f64> {
    let partials: Vec<Vec<f64>> = if parallel(par) {
        blocks.par_iter().map(&scatter).collect()
    } else {
        blocks.iter().map(&scatter).collect()
    };
    sum_in_block_order(partials, par)
}

/// Adds the first `len` entries of the other accumulators into the first one, in block order
/// (parallel over slices), as [`sum_in_block_order`] does without giving up the allocations.
fn add_into_first(accumulators: &mut [Vec<f64>], len: usize, par: Par) {
    let Some((first, rest)) = accumulators.split_first_mut() else {
        return;
    };
    let reduce = |(idx, t): (usize, &mut [f64])| {
        let (off, width) = (idx * 4096, t.len());
        for part in rest.iter() {
            for (a, &p) in t.iter_mut().zip(&part[off..off + width]) {
                *a += p;
            }
        }
    };
    if parallel(par) {
        first[..len]
            .par_chunks_mut(4096)
            .enumerate()
            .for_each(reduce);
    } else {
        first[..len].chunks_mut(4096).enumerate().for_each(reduce);
    }
}

/// Sums the per-block accumulators in block order (parallel over slices of the output), so
/// the result is bit-identical whatever the number of threads.
fn sum_in_block_order(partials: Vec<Vec<f64>>, par: Par) -> Vec<f64> {
    let mut parts = partials.into_iter();
    let mut total = parts.next().unwrap_or_default();
    let rest: Vec<Vec<f64>> = parts.collect();
    let reduce = |(idx, t): (usize, &mut [f64])| {
        let off = idx * 4096;
        let len = t.len();
        for part in &rest {
            for (a, &p) in t.iter_mut().zip(&part[off..off + len]) {
                *a += p;
            }
        }
    };
    if parallel(par) {
        total.par_chunks_mut(4096).enumerate().for_each(reduce);
    } else {
        total.chunks_mut(4096).enumerate().for_each(reduce);
    }
    total
}
