use super::*;
use faer::{Mat, Par};

fn sample_csr() -> (CsrMatrix, Mat<f64>) {
    // 5x4 with an empty row, an empty column, duplicates and unsorted input.
    let rows = [0, 0, 2, 4, 4, 1, 2, 0];
    let cols = [3, 0, 1, 2, 0, 0, 1, 3];
    let vals = [1.0, 2.0, -3.0, 4.0, 5.0, 6.0, 0.5, 10.0];
    let csr = CsrMatrix::from_triplets(5, 4, &rows, &cols, &vals, DuplicatePolicy::Sum).unwrap();
    let mut dense = Mat::<f64>::zeros(5, 4);
    for ((&r, &c), &v) in rows.iter().zip(&cols).zip(&vals) {
        dense[(r, c)] += v;
    }
    (csr, dense)
}

fn assert_close(a: &Mat<f64>, b: &Mat<f64>, tol: f64) {
    assert_eq!(a.shape(), b.shape());
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            assert!(
                (a[(i, j)] - b[(i, j)]).abs() <= tol,
                "({i},{j}): {} vs {}",
                a[(i, j)],
                b[(i, j)]
            );
        }
    }
}

#[test]
fn triplets_sum_duplicates_and_sort_rows() {
    let (csr, dense) = sample_csr();
    assert_eq!(csr.nnz(), 6); // (0,3) and (2,1) were duplicated
    assert_eq!(csr.row_ptr(), &[0, 2, 3, 4, 4, 6]);
    assert_eq!(csr.col_idx(), &[0, 3, 0, 1, 0, 2]);
    assert_eq!(to_dense(&csr, Par::Seq).unwrap(), dense);
}

#[test]
fn duplicate_policies() {
    let r = [0, 0];
    let c = [1, 1];
    let v = [1.0, 2.0];
    let last = CsrMatrix::from_triplets(1, 2, &r, &c, &v, DuplicatePolicy::Last).unwrap();
    assert_eq!(last.values(), &[2.0]);
    let err = CsrMatrix::from_triplets(1, 2, &r, &c, &v, DuplicatePolicy::Error).unwrap_err();
    assert_eq!(err, SparseBuildError::Duplicate { row: 0, col: 1 });
    let oob = CsrMatrix::from_triplets(1, 2, &[0], &[2], &[1.0], DuplicatePolicy::Sum).unwrap_err();
    assert!(matches!(oob, SparseBuildError::OutOfBounds { col: 2, .. }));
}

#[test]
fn sparse_products_match_dense_for_every_block_width() {
    let (csr, dense) = sample_csr();
    let d = DenseOp::new(dense.as_ref());
    // Every compile-time panel width of `A·X` (1–8 and 16), and wider blocks split into panels.
    for b in [1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 20, 25] {
        let x = Mat::<f64>::from_fn(4, b, |i, j| (i * 7 + j * 3) as f64 * 0.25 - 1.0);
        let y = Mat::<f64>::from_fn(5, b, |i, j| (i * 5 + j) as f64 * 0.5 - 2.0);
        for par in [Par::Seq, Par::rayon(2)] {
            let mut out_s = Mat::zeros(5, b);
            let mut out_d = Mat::zeros(5, b);
            csr.apply(out_s.as_mut(), x.as_ref(), par).unwrap();
            d.apply(out_d.as_mut(), x.as_ref(), par).unwrap();
            assert_close(&out_s, &out_d, 1e-12);
            let mut t_s = Mat::zeros(4, b);
            let mut t_d = Mat::zeros(4, b);
            csr.apply_transpose(t_s.as_mut(), y.as_ref(), par).unwrap();
            d.apply_transpose(t_d.as_mut(), y.as_ref(), par).unwrap();
            assert_close(&t_s, &t_d, 1e-12);
        }
    }
}

/// ⟨A·x, y⟩ = ⟨x, Aᵀ·y⟩ for every operator: apply and apply_transpose are consistent.
#[test]
fn adjoint_identity_holds_for_every_operator() {
    let (csr, dense) = sample_csr();
    let x = Mat::<f64>::from_fn(4, 1, |i, _| 1.0 + i as f64);
    let y = Mat::<f64>::from_fn(5, 1, |i, _| 2.0 - i as f64 * 0.3);
    let scales = vec![1.0, 2.0, 0.5, -1.0];
    let ops: Vec<Box<dyn LinearOperator>> = vec![
        Box::new(DenseOp::new(dense.as_ref())),
        Box::new(csr.clone()),
        Box::new(Centered::new(csr.clone(), Par::Seq).unwrap()),
        Box::new(ColumnScaled::new(csr.clone(), scales).unwrap()),
    ];
    for op in &ops {
        let mut ax = Mat::zeros(5, 1);
        op.apply(ax.as_mut(), x.as_ref(), Par::Seq).unwrap();
        let mut aty = Mat::zeros(4, 1);
        op.apply_transpose(aty.as_mut(), y.as_ref(), Par::Seq)
            .unwrap();
        let lhs: f64 = ax
            .col(0)
            .iter()
            .zip(y.col(0).iter())
            .map(|(a, b)| a * b)
            .sum();
        let rhs: f64 = x
            .col(0)
            .iter()
            .zip(aty.col(0).iter())
            .map(|(a, b)| a * b)
            .sum();
        assert!(
            (lhs - rhs).abs() < 1e-12 * lhs.abs().max(1.0),
            "{}: {lhs} vs {rhs}",
            op.describe()
        );
        // The transposed operator swaps the roles exactly.
        let t = Transposed::new(op.as_ref());
        let mut t_out = Mat::zeros(4, 1);
        t.apply(t_out.as_mut(), y.as_ref(), Par::Seq).unwrap();
        assert_eq!(t_out, aty);
    }
}

#[test]
fn centered_equals_explicit_centering() {
    let (csr, dense) = sample_csr();
    let centered = Centered::new(csr, Par::Seq).unwrap();
    let mut explicit = dense.clone();
    for j in 0..4 {
        let mean: f64 = dense.col(j).iter().sum::<f64>() / 5.0;
        assert!((centered.means()[j] - mean).abs() < 1e-15);
        for i in 0..5 {
            explicit[(i, j)] -= mean;
        }
    }
    assert_close(&to_dense(&centered, Par::Seq).unwrap(), &explicit, 1e-13);
    let fro: f64 = explicit.norm_l2().powi(2);
    assert!((centered.frobenius_norm_sq().unwrap() - fro).abs() < 1e-12 * fro);
}

#[test]
fn scaled_and_norms_agree_with_dense() {
    let (csr, dense) = sample_csr();
    let scaled = ColumnScaled::new(csr.clone(), vec![2.0, 0.0, 1.0, -0.5]).unwrap();
    let explicit = Mat::<f64>::from_fn(5, 4, |i, j| dense[(i, j)] * [2.0, 0.0, 1.0, -0.5][j]);
    assert_close(&to_dense(&scaled, Par::Seq).unwrap(), &explicit, 1e-14);
    let d = DenseOp::new(dense.as_ref());
    assert_eq!(csr.column_norms_sq(), d.column_norms_sq());
    assert_eq!(csr.row_norms_sq(), d.row_norms_sq());
    assert_eq!(csr.transpose().transpose(), csr);
}

#[test]
fn shape_mismatch_is_an_error_not_a_panic() {
    let (csr, _) = sample_csr();
    let x = Mat::<f64>::zeros(3, 1);
    let mut out = Mat::<f64>::zeros(5, 1);
    assert!(matches!(
        csr.apply(out.as_mut(), x.as_ref(), Par::Seq),
        Err(OpError::ShapeMismatch { .. })
    ));
}

/// Large enough to use several scatter blocks: the result must not depend on the thread count.
#[test]
fn sparse_transpose_product_is_bit_identical_across_thread_counts() {
    let (m, n) = (60_000, 3_000);
    let mut rows = Vec::new();
    let mut cols = Vec::new();
    let mut vals = Vec::new();
    let mut state = 12345u64;
    for i in 0..m {
        for _ in 0..12 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            rows.push(i);
            cols.push((state >> 33) as usize % n);
            vals.push(((state >> 11) % 1000) as f64 / 997.0 - 0.5);
        }
    }
    let csr = CsrMatrix::from_triplets(m, n, &rows, &cols, &vals, DuplicatePolicy::Sum).unwrap();
    assert!(csr.transpose_block_count() > 1);
    let y = Mat::<f64>::from_fn(m, 3, |i, j| ((i * 31 + j * 17) % 101) as f64 / 50.0 - 1.0);
    let mut seq = Mat::zeros(n, 3);
    let mut par = Mat::zeros(n, 3);
    csr.apply_transpose(seq.as_mut(), y.as_ref(), Par::Seq)
        .unwrap();
    csr.apply_transpose(par.as_mut(), y.as_ref(), Par::rayon(2))
        .unwrap();
    assert_eq!(seq, par);

    // The one-vector fused `AᵀA·x` has its own loop: same bits on any thread count, and the
    // same bits as the two products it replaces (the same row sums, skips and block order).
    let x = Mat::<f64>::from_fn(n, 1, |i, _| ((i * 13) % 29) as f64 / 14.0 - 1.0);
    let mut fused_seq = Mat::zeros(n, 1);
    let mut fused_par = Mat::zeros(n, 1);
    csr.apply_gram(fused_seq.as_mut(), x.as_ref(), Par::Seq)
        .unwrap();
    csr.apply_gram(fused_par.as_mut(), x.as_ref(), Par::rayon(2))
        .unwrap();
    assert_eq!(fused_seq, fused_par);
    let mut ax = Mat::zeros(m, 1);
    let mut two = Mat::zeros(n, 1);
    csr.apply(ax.as_mut(), x.as_ref(), Par::Seq).unwrap();
    csr.apply_transpose(two.as_mut(), ax.as_ref(), Par::Seq)
        .unwrap();
    assert_eq!(fused_seq, two);
}

/// Raw CSR arrays that break an invariant are an error naming it, never a slicing panic.
#[test]
fn inconsistent_csr_arrays_are_errors() {
    let err = |ptr: Vec<usize>, cols: Vec<u32>, ncols: usize| {
        let n = cols.len();
        CsrMatrix::new(ptr.len() - 1, ncols, ptr, cols, vec![1.0; n])
            .expect_err("inconsistent arrays must be rejected")
            .to_string()
    };
    // A row range past the end of col_idx, although the last entry is right.
    assert!(err(vec![0, 10, 3], vec![0, 1, 2], 4).contains("decreases at row 1"));
    assert!(err(vec![0, 2, 1, 3], vec![0, 1, 2], 4).contains("decreases at row 1"));
    assert!(err(vec![0, 2, 4], vec![0, 1, 2], 4).contains("does not span"));
    assert!(err(vec![0, 2, 3], vec![1, 0, 2], 4).contains("not strictly increasing"));
    assert!(err(vec![0, 2, 3], vec![0, 1, 4], 4).contains("(1, 4) is outside the 2x4 matrix"));
    let ok = CsrMatrix::new(2, 4, vec![0, 2, 3], vec![0, 3, 2], vec![1.0, 2.0, 3.0]);
    assert!(ok.is_ok());
}

#[test]
fn fused_gram_matches_two_products() {
    let (csr, dense) = sample_csr();
    let d = DenseOp::new(dense.as_ref());
    for b in 1..=6 {
        let x = Mat::<f64>::from_fn(4, b, |i, j| (i * 3 + j * 5) as f64 * 0.5 - 2.0);
        for par in [Par::Seq, Par::rayon(2)] {
            let mut fused = Mat::zeros(4, b);
            let mut plain = Mat::zeros(4, b);
            csr.apply_gram(fused.as_mut(), x.as_ref(), par).unwrap();
            d.apply_gram(plain.as_mut(), x.as_ref(), par).unwrap();
            assert_close(&fused, &plain, 1e-12);
        }
    }
}

/// Regression: a short, wide product (`QᵀY` in Rayleigh–Ritz) took a single GEMM when run
/// sequentially but summed fixed inner slices in parallel, so `--threads 1` and `--threads 2`
/// rounded differently. Both now follow the split chosen from the shapes.
#[test]
fn det_matmul_same_bits_sequential_and_parallel() {
    let q = Mat::<f64>::from_fn(9000, 6, |i, j| ((i * 7 + j * 13) % 101) as f64 * 0.01 - 0.5);
    let y = Mat::<f64>::from_fn(9000, 6, |i, j| (i as f64 * 0.37 + j as f64).cos());
    for (lhs, rhs) in [
        (q.as_ref().transpose(), y.as_ref()),
        (y.as_ref(), q.as_ref().subrows(0, 6)),
    ] {
        let mut seq = Mat::<f64>::zeros(lhs.nrows(), rhs.ncols());
        dense::det_matmul(seq.as_mut(), lhs, rhs, Par::Seq);
        for threads in [2, 3] {
            let mut par = Mat::<f64>::zeros(lhs.nrows(), rhs.ncols());
            dense::det_matmul(par.as_mut(), lhs, rhs, Par::rayon(threads));
            assert!(
                seq == par,
                "{threads} threads: {}x{}",
                lhs.nrows(),
                lhs.ncols()
            );
        }
        assert_close(&seq, &(lhs * rhs), 1e-9);
    }
}

/// The dense fused pass (`A_cᵀA_c·X` and `A_c·X` from one read of each row block, the shift
/// subtracted as the block is copied) against the same products formed explicitly from the
/// centred matrix, for shapes around the row-block (128) and range (1024) boundaries and block
/// widths 1–9; and bit-identical whatever the thread count (the ranges depend on the shape).
/// Tolerance: both sides sum `m` products of entries of size ≤ 4 against vectors of size ≤ 1,
/// in different orders, so they agree to a few `ε·m·max|entry|²·‖x‖₁` — 1e-10 relative to the
/// largest entry of the result leaves a margin of 10³ here.
#[test]
fn dense_fused_gram_matches_explicitly_centred_products() {
    for (m, n) in [(1, 3), (127, 5), (128, 7), (129, 2), (1500, 9), (3001, 17)] {
        let a = Mat::<f64>::from_fn(m, n, |i, j| {
            ((i * 31 + j * 17) % 23) as f64 / 7.0 + j as f64 * 0.5
        });
        let shift: Vec<f64> = (0..n).map(|j| 1.0 + 0.25 * j as f64).collect();
        let ac = Mat::<f64>::from_fn(m, n, |i, j| a[(i, j)] - shift[j]);
        for b in [1, 4, 9] {
            let x = Mat::<f64>::from_fn(n, b, |i, j| ((i * 5 + j * 3) % 11) as f64 / 11.0 - 0.4);
            let mut y_ref = Mat::<f64>::zeros(m, b);
            let mut g_ref = Mat::<f64>::zeros(n, b);
            faer::linalg::matmul::matmul(
                y_ref.as_mut(),
                faer::Accum::Replace,
                ac.as_ref(),
                x.as_ref(),
                1.0,
                Par::Seq,
            );
            faer::linalg::matmul::matmul(
                g_ref.as_mut(),
                faer::Accum::Replace,
                ac.transpose(),
                y_ref.as_ref(),
                1.0,
                Par::Seq,
            );
            let scale = g_ref.norm_max().max(1.0);
            let op = DenseOp::new(a.as_ref());
            let mut first: Option<(Mat<f64>, Mat<f64>)> = None;
            for par in [Par::Seq, Par::rayon(2), Par::rayon(3)] {
                let mut g = Mat::<f64>::zeros(n, b);
                let mut y = Mat::<f64>::zeros(m, b);
                op.apply_shifted_gram(g.as_mut(), Some(y.as_mut()), x.as_ref(), &shift, par)
                    .unwrap();
                assert_close(&g, &g_ref, 1e-10 * scale);
                assert_close(&y, &y_ref, 1e-10 * y_ref.norm_max().max(1.0));
                // Without the image, and through the Centered wrapper with these means.
                let mut g2 = Mat::<f64>::zeros(n, b);
                let centred = Centered::with_means(op, shift.clone()).unwrap();
                centred.apply_gram(g2.as_mut(), x.as_ref(), par).unwrap();
                assert!(
                    g2 == g,
                    "{m}x{n}, b = {b}: image or not, the gram must be the same bits"
                );
                match &first {
                    None => first = Some((g, y)),
                    Some((g0, y0)) => assert!(
                        *g0 == g && *y0 == y,
                        "{m}x{n}, b = {b}: bits differ across thread counts"
                    ),
                }
            }
            // No shift: A itself.
            let mut g = Mat::<f64>::zeros(n, b);
            op.apply_gram_with_image(g.as_mut(), None, x.as_ref(), Par::rayon(2))
                .unwrap();
            let mut ax = Mat::<f64>::zeros(m, b);
            let mut g_plain = Mat::<f64>::zeros(n, b);
            faer::linalg::matmul::matmul(
                ax.as_mut(),
                faer::Accum::Replace,
                a.as_ref(),
                x.as_ref(),
                1.0,
                Par::Seq,
            );
            faer::linalg::matmul::matmul(
                g_plain.as_mut(),
                faer::Accum::Replace,
                a.transpose(),
                ax.as_ref(),
                1.0,
                Par::Seq,
            );
            assert_close(&g, &g_plain, 1e-10 * g_plain.norm_max().max(1.0));
        }
    }
    // Wrong shapes are errors, not panics.
    let a = Mat::<f64>::zeros(10, 3);
    let op = DenseOp::new(a.as_ref());
    let x = Mat::<f64>::zeros(3, 2);
    let mut g = Mat::<f64>::zeros(3, 2);
    let mut bad_image = Mat::<f64>::zeros(9, 2);
    assert!(op
        .apply_gram_with_image(g.as_mut(), Some(bad_image.as_mut()), x.as_ref(), Par::Seq)
        .is_err());
    assert!(op
        .apply_shifted_gram(g.as_mut(), None, x.as_ref(), &[1.0, 2.0], Par::Seq)
        .is_err());
}

/// The fused pass on both implementations (the AVX-512 kernel where this CPU has it, and
/// faer's GEMM, which other CPUs run) against the explicitly centred products, for shapes
/// around the kernel's boundaries: its row blocks (64), tiles (6 rows) and column chunks (32
/// wide, vectors of 8), with widths that are and are not multiples of 8, and a transposed
/// (row-major) view, which the kernel leaves to faer. Same tolerance argument as above.
#[test]
fn dense_fused_gram_kernel_matches_faer_and_reference() {
    use dense::{fused_gram, Kernel};
    for (m, n) in [
        (1, 1),
        (5, 7),
        (63, 13),
        (64, 6),
        (65, 11),
        (200, 40),
        (1300, 23),
    ] {
        let a = Mat::<f64>::from_fn(m, n, |i, j| {
            ((i * 29 + j * 13) % 19) as f64 / 5.0 + j as f64 * 0.25
        });
        let shift: Vec<f64> = (0..n).map(|j| 0.5 + 0.25 * j as f64).collect();
        let ac = Mat::<f64>::from_fn(m, n, |i, j| a[(i, j)] - shift[j]);
        let at = a.transpose().to_owned();
        // The same matrix seen through reversed columns (a negative column stride).
        let reversed = Mat::<f64>::from_fn(m, n, |i, j| a[(i, n - 1 - j)]);
        for b in [1, 7, 8, 9, 31, 32, 33, 40, 64] {
            let x = Mat::<f64>::from_fn(n, b, |i, j| ((i * 7 + j * 3) % 13) as f64 / 13.0 - 0.45);
            let y_ref = &ac * &x;
            let g_ref = ac.transpose() * &y_ref;
            let tol_g = 1e-10 * g_ref.norm_max().max(1.0);
            let tol_y = 1e-10 * y_ref.norm_max().max(1.0);
            for kernel in [Kernel::Best, Kernel::Faer] {
                for view in [a.as_ref(), at.transpose(), reversed.as_ref().reverse_cols()] {
                    let mut g = Mat::<f64>::from_fn(n, b, |_, _| f64::NAN);
                    let mut y = Mat::<f64>::from_fn(m, b, |_, _| f64::NAN);
                    let mut sums = vec![f64::NAN; 2 * n];
                    fused_gram(
                        view,
                        Some(&shift),
                        g.as_mut(),
                        Some(y.as_mut()),
                        x.as_ref(),
                        Par::rayon(2),
                        kernel,
                        Some(&mut sums),
                        false,
                    );
                    assert_close(&g, &g_ref, tol_g);
                    assert_close(&y, &y_ref, tol_y);
                    // The column statistics of the shifted values, read off the same pass.
                    for j in 0..n {
                        let col = ac.col(j);
                        let (t, q) = (col.sum(), col.iter().map(|v| v * v).sum::<f64>());
                        assert!(
                            (sums[j] - t).abs() <= 1e-12 * q.sqrt().max(1.0) * m as f64
                                && (sums[n + j] - q).abs() <= 1e-12 * q.max(1.0),
                            "{m}x{n}, b = {b}, {kernel:?}: column {j} sums {} {} against {t} {q}",
                            sums[j],
                            sums[n + j]
                        );
                    }
                    let mut g_only = Mat::<f64>::zeros(n, b);
                    fused_gram(
                        view,
                        Some(&shift),
                        g_only.as_mut(),
                        None,
                        x.as_ref(),
                        Par::Seq,
                        kernel,
                        None,
                        false,
                    );
                    assert!(
                        g_only == g,
                        "{m}x{n}, b = {b}, {kernel:?}: image or not, same bits"
                    );
                    // Reading A in place, the shift as rank-one corrections (the means here
                    // are within a few spreads of zero, as the caller guarantees), with the
                    // statistics read off each block before its first GEMM: the same sums,
                    // bit for bit, as with the copy.
                    let mut g_in = Mat::<f64>::from_fn(n, b, |_, _| f64::NAN);
                    let mut y_in = Mat::<f64>::from_fn(m, b, |_, _| f64::NAN);
                    let mut sums_in = vec![f64::NAN; 2 * n];
                    fused_gram(
                        view,
                        Some(&shift),
                        g_in.as_mut(),
                        Some(y_in.as_mut()),
                        x.as_ref(),
                        Par::rayon(2),
                        kernel,
                        Some(&mut sums_in),
                        true,
                    );
                    assert_close(&g_in, &g_ref, tol_g);
                    assert_close(&y_in, &y_ref, tol_y);
                    assert!(
                        sums_in == sums,
                        "{m}x{n}, b = {b}, {kernel:?}: in place, the same sums"
                    );
                    let mut g_in_only = Mat::<f64>::zeros(n, b);
                    fused_gram(
                        view,
                        Some(&shift),
                        g_in_only.as_mut(),
                        None,
                        x.as_ref(),
                        Par::Seq,
                        kernel,
                        None,
                        true,
                    );
                    assert!(
                        g_in_only == g_in,
                        "{m}x{n}, b = {b}, {kernel:?}, in place: image or not, same bits"
                    );
                }
            }
        }
    }
    // No columns: the image is zero and the Gram product empty, on either implementation.
    let empty = Mat::<f64>::zeros(70, 0);
    for kernel in [Kernel::Best, Kernel::Faer] {
        let x = Mat::<f64>::zeros(0, 40);
        let mut g = Mat::<f64>::zeros(0, 40);
        let mut y = Mat::<f64>::from_fn(70, 40, |_, _| f64::NAN);
        fused_gram(
            empty.as_ref(),
            None,
            g.as_mut(),
            Some(y.as_mut()),
            x.as_ref(),
            Par::rayon(2),
            kernel,
            None,
            false,
        );
        assert!(
            y.col_iter().all(|c| c.iter().all(|&v| v == 0.0)),
            "{kernel:?}"
        );
    }
}

/// `Centered::with_means_and_spread` lets dense storage read the data in place (the means as
/// rank-one corrections) only when every mean is within 16 standard deviations of zero: far
/// from zero the corrections would cancel digits (here a mean of 10⁸ with a spread of about 1
/// would lose about 27 bits), and the centred copy keeps the products exact to rounding.
#[test]
fn centred_gram_reads_in_place_only_when_the_means_are_small() {
    let (m, n, b) = (700, 40, 8);
    for offset in [0.3, 1e8] {
        let a = Mat::<f64>::from_fn(m, n, |i, j| {
            offset + ((i * 37 + j * 11) % 23) as f64 / 7.0 - 1.5
        });
        let mean: Vec<f64> = (0..n)
            .map(|j| a.col(j).iter().sum::<f64>() / m as f64)
            .collect();
        // Centred explicitly: the differences of nearby doubles are exact.
        let ac = Mat::<f64>::from_fn(m, n, |i, j| a[(i, j)] - mean[j]);
        let ss: Vec<f64> = (0..n)
            .map(|j| ac.col(j).iter().map(|v| v * v).sum())
            .collect();
        let x = Mat::<f64>::from_fn(n, b, |i, j| ((i * 5 + j * 3) % 11) as f64 / 11.0 - 0.4);
        let g_ref = ac.transpose() * (&ac * &x);
        let op = Centered::with_means_and_spread(DenseOp::new(a.as_ref()), mean, &ss).unwrap();
        let mut g = Mat::<f64>::zeros(n, b);
        op.apply_gram(g.as_mut(), x.as_ref(), Par::rayon(2))
            .unwrap();
        assert_close(&g, &g_ref, 1e-12 * g_ref.norm_max());
    }
}
