//! Dense layout helpers: column slices of a `faer::Mat`, blocked row-major ↔ column-major copies.

use faer::{Mat, MatRef};

/// Every column of `mat` as a mutable slice (faer's owned matrices are column-major with unit
/// row stride).
pub(crate) fn columns_mut(mat: &mut Mat<f64>) -> Vec<&mut [f64]> {
    mat.as_mut()
        .col_iter_mut()
        .map(|c| {
            c.try_as_col_major_mut()
                .expect("owned faer columns are contiguous")
                .as_slice_mut()
        })
        .collect()
}

/// Rows per block so that one block of `ncols` values stays in the L2 cache.
fn block_rows(ncols: usize) -> usize {
    (32_768 / ncols.max(1)).clamp(4, 1024)
}

/// Writes `m` row by row (C order) as little-endian `f64` bytes into `out`.
pub(crate) fn write_row_major_le(m: MatRef<'_, f64>, out: &mut Vec<u8>) {
    let (nrows, ncols) = (m.nrows(), m.ncols());
    let start = out.len();
    out.resize(start + nrows * ncols * 8, 0);
    if nrows == 0 || ncols == 0 {
        return;
    }
    let buf = &mut out[start..];
    let row_bytes = ncols * 8;
    let block = block_rows(ncols);
    let fill = |(bi, chunk): (usize, &mut [u8])| {
        let r0 = bi * block;
        let rows_here = chunk.len() / row_bytes;
        for j in 0..ncols {
            let col = m.col(j);
            for k in 0..rows_here {
                let v = col[r0 + k];
                let at = k * row_bytes + j * 8;
                chunk[at..at + 8].copy_from_slice(&v.to_le_bytes());
            }
        }
    };
    if nrows * ncols >= 1 << 16 {
        use rayon::prelude::*;
        buf.par_chunks_mut(block * row_bytes)
            .enumerate()
            .for_each(fill);
    } else {
        buf.chunks_mut(block * row_bytes).enumerate().for_each(fill);
    }
}

/// Counts the non-finite entries of a dense matrix and finds the first one in row-major order.
pub(crate) fn non_finite(m: MatRef<'_, f64>) -> Option<(u64, usize, usize, f64)> {
    use rayon::prelude::*;
    // Per column: (count, first row, value); then the first in row-major order is the one with
    // the smallest (row, column).
    let per_col: Vec<(u64, usize, f64)> = (0..m.ncols())
        .into_par_iter()
        .map(|j| {
            let col = m.col(j);
            let mut count = 0u64;
            let mut first = (usize::MAX, 0.0);
            for i in 0..m.nrows() {
                let v = col[i];
                if !v.is_finite() {
                    if count == 0 {
                        first = (i, v);
                    }
                    count += 1;
                }
            }
            (count, first.0, first.1)
        })
        .collect();
    let total: u64 = per_col.iter().map(|c| c.0).sum();
    if total == 0 {
        return None;
    }
    let (j, &(_, i, v)) = per_col
        .iter()
        .enumerate()
        .filter(|(_, c)| c.0 > 0)
        .min_by_key(|(j, c)| (c.1, *j))
        .expect("total > 0");
    Some((total, i, j, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_major_round_trip() {
        let (m, n) = (1001, 37);
        let src: Vec<f64> = (0..m * n).map(|k| k as f64 * 0.5).collect();
        let mat = Mat::<f64>::from_fn(m, n, |i, j| src[i * n + j]);
        for i in [0, 1, 500, 1000] {
            for j in [0, 5, 36] {
                assert_eq!(mat[(i, j)], src[i * n + j]);
            }
        }
        let mut out = Vec::new();
        write_row_major_le(mat.as_ref(), &mut out);
        let back: Vec<f64> = out
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
            .collect();
        assert_eq!(back, src);
    }

    #[test]
    fn non_finite_first_in_reading_order() {
        let mut mat = Mat::<f64>::zeros(5, 4);
        mat[(3, 0)] = f64::NAN;
        mat[(1, 3)] = f64::INFINITY;
        mat[(1, 2)] = f64::NEG_INFINITY;
        let (count, i, j, v) = non_finite(mat.as_ref()).unwrap();
        assert_eq!((count, i, j), (3, 1, 2));
        assert_eq!(v, f64::NEG_INFINITY);
        assert!(non_finite(Mat::<f64>::zeros(3, 3).as_ref()).is_none());
    }
}
