//! The fused pass `BᵀB·X` (and `B·X`) over a row range of a column-major dense matrix, for
//! `B = A − 1·shiftᵀ`, as AVX-512 register-tiled kernels (x86-64 only; elsewhere, and on CPUs
//! without AVX-512F, [`super::dense`] runs the same pass with faer's GEMM).
//!
//! # Why our own kernel here
//! The pass is two small GEMMs per block of rows (`Yₖ = Bₖ·X`, `G += Bₖᵀ·Yₖ`) on a copy of the
//! block that sits in L2. faer runs those GEMMs at close to the machine's peak, but the copy
//! reads the block from memory, and nothing overlaps that read with the arithmetic: on W5
//! (100000×1000, 32 vectors) the read took a quarter of each pass. The kernel below prefetches
//! the *next* block's rows from inside the second GEMM's inner loop, one cache line per step,
//! so the memory traffic runs under the arithmetic (prefetching during the first GEMM instead
//! was 5% slower: the lines arrived too early and some were evicted before the copy). Both
//! GEMMs are the same micro-kernel: `MR ≤ 6` rows of the output (each `8·NV ≤ 32` wide,
//! `≤ 24` accumulators in registers) updated by `broadcast(bᵢ) · row(vᵢ)` per step. In cache
//! it runs at about 94% of the core's peak; a W5 pass went from 194 ms (faer) to 140–145 ms.
//!
//! When the caller knows the shift is small against every column's spread (PCA's means, via
//! `Centered::with_means_and_spread`, or PCA's first pass, from sampled rows checked against the
//! exact statistics afterwards), the GEMMs read `A` in place and the shift enters as
//! rank-one corrections, which saves writing and rereading the copy (W5: about 9 ms of a
//! 146 ms pass).
//!
//! Results are deterministic: every range is computed the same way whatever thread runs it,
//! and the order of every sum is fixed by the shapes.
#![allow(unsafe_code)]
// Off x86-64 only `available()` (false) is used.
#![cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]

use faer::{MatMut, MatRef};

/// Rows per block: the shifted copy (`BLOCK_ROWS × n` doubles; 512 KiB for `n = 1000`) stays
/// in L2 between the two GEMMs.
pub(super) const BLOCK_ROWS: usize = 64;
/// Output rows per micro-kernel tile.
const MR: usize = 6;
/// Columns per column chunk (four AVX-512 vectors).
const CHUNK: usize = 32;

/// Whether this CPU runs the kernel (AVX-512F, detected once).
pub(super) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static DETECTED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *DETECTED.get_or_init(|| std::arch::is_x86_feature_detected!("avx512f"))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `dst = src − shift`, returning `(Σ dst, Σ dst²)`: the shifted copy of a column segment with
/// the column statistics of the shifted values (in eight fixed lanes, so the loop vectorizes
/// and the order of the sums is fixed by the length).
#[inline(always)]
pub(super) fn shifted_copy_with_sums(dst: &mut [f64], src: &[f64], shift: f64) -> (f64, f64) {
    let mut t = [0.0f64; 8];
    let mut q = [0.0f64; 8];
    let mut dc = dst.chunks_exact_mut(8);
    let mut sc = src.chunks_exact(8);
    for (d, v) in (&mut dc).zip(&mut sc) {
        for l in 0..8 {
            let e = v[l] - shift;
            d[l] = e;
            t[l] += e;
            q[l] += e * e;
        }
    }
    for (l, (d, v)) in dc
        .into_remainder()
        .iter_mut()
        .zip(sc.remainder())
        .enumerate()
    {
        let e = v - shift;
        *d = e;
        t[l] += e;
        q[l] += e * e;
    }
    (fold_lanes8(&t), fold_lanes8(&q))
}

/// The eight lanes of a sum added pairwise, in a fixed order.
#[inline(always)]
pub(super) fn fold_lanes8(x: &[f64]) -> f64 {
    ((x[0] + x[4]) + (x[2] + x[6])) + ((x[1] + x[5]) + (x[3] + x[7]))
}

/// `X` (`n × b`) row-major, its width padded with zeros to a multiple of 8.
pub(super) struct PackedRhs {
    data: Vec<f64>,
    n: usize,
    b: usize,
    width: usize,
}

impl PackedRhs {
    pub(super) fn new(x: MatRef<'_, f64>) -> Self {
        let (n, b) = x.shape();
        let width = b.next_multiple_of(8);
        let mut data = vec![0.0; n * width];
        for c in 0..b {
            for (r, v) in x.col(c).iter().enumerate() {
                data[r * width + c] = *v;
            }
        }
        Self { data, n, b, width }
    }
}

/// One row range `[r0, r0 + rows)` of the pass: writes `B·X` for those rows into `image`
/// (`rows × b`) when given, and returns that range's `Bᵀ(B·X)` as an `n × width` row-major
/// partial sum. `a` must be column-major (unit row stride); `shift`, when given, has length `n`.
/// With `sums` (length `2n`), each column's `Σ bᵢⱼ` and `Σ bᵢⱼ²` over the range are added into
/// `sums[j]` and `sums[n + j]` (the column statistics, read off the copy the pass makes anyway,
/// or off the block in cache just before the first GEMM reads it in place).
/// With `in_place`, the GEMMs read `A` where it is instead of a shifted copy,
/// and the shift enters as rank-one corrections: `B·X = A·X − 1·(shiftᵀX)` (folded into each
/// block's `Y`) and `BᵀY = AᵀY − shift·(1ᵀY)` (once per range). That saves writing and
/// rereading the copy (about 6% of a W5 pass) but costs `log₂(1 + |shiftⱼ|/spreadⱼ)` bits, so
/// callers ask for it only when the shift is small against every column's spread.
///
/// # Panics
/// On inconsistent shapes, a non-unit row stride or a negative column stride (callers check
/// [`available`] and the layout first), or when called on a CPU without AVX-512F.
#[allow(clippy::too_many_arguments)]
pub(super) fn range_partial(
    a: MatRef<'_, f64>,
    shift: Option<&[f64]>,
    r0: usize,
    rows: usize,
    image: Option<MatMut<'_, f64>>,
    x: &PackedRhs,
    sums: Option<&mut [f64]>,
    in_place: bool,
) -> Vec<f64> {
    let (m, n) = a.shape();
    assert!(available(), "the AVX-512 Gram kernel needs AVX-512F");
    assert!(sums.as_ref().is_none_or(|s| s.len() == 2 * n));
    assert_eq!(
        a.row_stride(),
        1,
        "the Gram kernel reads column-major storage"
    );
    assert!(r0 + rows <= m && x.n == n);
    assert!(shift.is_none_or(|s| s.len() == n));
    if let Some(img) = image.as_ref() {
        assert_eq!(img.shape(), (rows, x.b));
    }
    if n == 0 || rows == 0 {
        // Nothing to read: `B·X` is zero and `Bᵀ(B·X)` empty (no buffer offsets are formed).
        if let Some(mut img) = image {
            img.fill(0.0);
        }
        return vec![0.0; n * x.width];
    }
    let col_stride = usize::try_from(a.col_stride()).expect("columns at non-negative offsets");
    #[cfg(target_arch = "x86_64")]
    // SAFETY: AVX-512F is available (asserted above); every pointer offset the kernel forms is
    // inside `a` (rows `r0..r0 + rows` of columns `0..n`, the bounds checked above), inside the
    // buffers it allocates with the sizes it indexes, or only prefetched (no access).
    unsafe {
        avx512::range_partial(
            a.as_ptr(),
            col_stride,
            n,
            shift,
            r0,
            rows,
            image,
            x,
            sums,
            in_place,
        )
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (col_stride, image, sums, in_place);
        unreachable!("available() is false off x86-64")
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{PackedRhs, BLOCK_ROWS, CHUNK, MR};
    use core::arch::x86_64::*;
    use faer::prelude::ReborrowMut;
    use faer::MatMut;

    /// See [`super::range_partial`]. `a` points at entry `(0, 0)` of a column-major matrix
    /// whose columns are `col_stride` apart.
    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn range_partial(
        a: *const f64,
        col_stride: usize,
        n: usize,
        shift: Option<&[f64]>,
        r0: usize,
        rows: usize,
        mut image: Option<MatMut<'_, f64>>,
        x: &PackedRhs,
        sums: Option<&mut [f64]>,
        in_place: bool,
    ) -> Vec<f64> {
        let width = x.width;
        let ld = BLOCK_ROWS.min(rows).max(1);
        let mut partial = vec![0.0f64; n * width];
        let mut block = vec![0.0f64; if in_place { 0 } else { ld * n }];
        // With statistics: per-column lanes for the whole range (the same sums whether the
        // block is then copied or read in place).
        let mut lanes = vec![[0.0f64; 16]; if sums.is_some() { n } else { 0 }];
        let mut y = vec![0.0f64; ld * width];
        // Reading in place: `shiftᵀX`, subtracted from every row of each block's `Y`, and the
        // running `1ᵀY` of the range for `Bᵀ·Y = Aᵀ·Y − shift·(1ᵀY)`.
        let sx: Vec<f64> = match (in_place, shift) {
            (true, Some(sh)) => {
                let mut v = vec![0.0f64; width];
                for (sj, row) in sh.iter().zip(x.data.chunks_exact(width)) {
                    for (t, xv) in v.iter_mut().zip(row) {
                        *t += sj * xv;
                    }
                }
                v
            }
            _ => Vec::new(),
        };
        let mut ysum = vec![0.0f64; width];
        let mut i = 0;
        while i < rows {
            let h = ld.min(rows - i);
            let start = r0 + i;
            // The shifted copy, column by column (contiguous reads and writes); none when
            // reading in place.
            let copied = if in_place { 0 } else { n };
            for (j, lane) in lanes.iter_mut().enumerate() {
                shifted_sums_into(
                    a.add(j * col_stride + start),
                    h,
                    shift.map_or(0.0, |s| s[j]),
                    lane,
                );
            }
            for j in 0..copied {
                let src = core::slice::from_raw_parts(a.add(j * col_stride + start), h);
                let dst = &mut block[j * ld..j * ld + h];
                let s = shift.map_or(0.0, |s| s[j]);
                for (d, v) in dst.iter_mut().zip(src) {
                    *d = v - s;
                }
            }
            // Lines of the next block, prefetched during the second GEMM: the tile of columns
            // `j0..j0 + mr` fetches those columns' lines, one per step of its loop (the lines
            // arrive just before the copy, or the first GEMM when reading in place, reads them).
            let next_h = ld.min(rows - i - h);
            let lines = if next_h == 0 {
                0
            } else {
                next_h.div_ceil(8) + 1
            };
            // Y = B·X, one row tile after another, for each column chunk.
            for c0 in (0..width).step_by(CHUNK) {
                let nv = ((width - c0) / 8).min(CHUNK / 8);
                let mut t0 = 0;
                while t0 < h {
                    let mr = MR.min(h - t0);
                    tile(
                        mr,
                        nv,
                        Tile {
                            out: y.as_mut_ptr().add(t0 * width + c0),
                            out_stride: width,
                            accumulate: false,
                            bcast: if in_place {
                                a.add(start + t0)
                            } else {
                                block.as_ptr().add(t0)
                            },
                            bcast_row: 1,
                            bcast_step: if in_place { col_stride } else { ld },
                            vecs: x.data.as_ptr().add(c0),
                            vecs_step: width,
                            steps: n,
                            prefetch: None,
                        },
                    );
                    t0 += mr;
                }
            }
            if !sx.is_empty() {
                for r in 0..h {
                    for c in 0..width {
                        let v = y[r * width + c] - sx[c];
                        y[r * width + c] = v;
                        ysum[c] += v;
                    }
                }
            }
            if let Some(img) = image.as_mut() {
                for c in 0..x.b {
                    let mut col = img.as_mut().col_mut(c).subrows_mut(i, h);
                    match col.rb_mut().try_as_col_major_mut() {
                        Some(dst) => {
                            let src = y[c..].iter().step_by(width);
                            for (d, v) in dst.as_slice_mut().iter_mut().zip(src) {
                                *d = *v;
                            }
                        }
                        None => {
                            for r in 0..h {
                                col[r] = y[r * width + c];
                            }
                        }
                    }
                }
            }
            // G += Bᵀ·Y: tiles of `MR` columns of B (rows of G).
            for c0 in (0..width).step_by(CHUNK) {
                let nv = ((width - c0) / 8).min(CHUNK / 8);
                let mut j0 = 0;
                while j0 < n {
                    let mr = MR.min(n - j0);
                    tile(
                        mr,
                        nv,
                        Tile {
                            out: partial.as_mut_ptr().add(j0 * width + c0),
                            out_stride: width,
                            accumulate: true,
                            bcast: if in_place {
                                a.add(j0 * col_stride + start)
                            } else {
                                block.as_ptr().add(j0 * ld)
                            },
                            bcast_row: if in_place { col_stride } else { ld },
                            bcast_step: 1,
                            vecs: y.as_ptr().add(c0),
                            vecs_step: width,
                            steps: h,
                            prefetch: (c0 == 0 && lines > 0).then(|| Walk {
                                start: a.wrapping_add(j0 * col_stride + start + h),
                                lines,
                                col_stride,
                                count: lines * mr,
                            }),
                        },
                    );
                    j0 += mr;
                }
            }
            i += h;
        }
        if let Some(acc) = sums {
            for (j, lane) in lanes.iter().enumerate() {
                acc[j] += super::fold_lanes8(&lane[..8]);
                acc[n + j] += super::fold_lanes8(&lane[8..]);
            }
        }
        if let (false, Some(sh)) = (sx.is_empty(), shift) {
            for j in 0..n {
                for c in 0..width {
                    partial[j * width + c] -= sh[j] * ysum[c];
                }
            }
        }
        partial
    }

    /// Adds `Σ (srcᵢ − shift)` and `Σ (srcᵢ − shift)²` over `src[..h]` into the eight lanes
    /// `lanes[..8]` and `lanes[8..]` (element `i` into lane `i mod 8`): column statistics kept
    /// in lanes across a range's row blocks and folded once per range, in an order fixed by
    /// the shape. Written with intrinsics: the compiler left the portable loop scalar (a W5
    /// pass with statistics took 40 ms longer than without).
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn shifted_sums_into(src: *const f64, h: usize, shift: f64, lanes: &mut [f64; 16]) {
        let s = _mm512_set1_pd(shift);
        let mut t = _mm512_loadu_pd(lanes.as_ptr());
        let mut q = _mm512_loadu_pd(lanes.as_ptr().add(8));
        let mut i = 0;
        while i + 8 <= h {
            let e = _mm512_sub_pd(_mm512_loadu_pd(src.add(i)), s);
            t = _mm512_add_pd(t, e);
            q = _mm512_add_pd(q, _mm512_mul_pd(e, e));
            i += 8;
        }
        if i < h {
            // The remainder's lanes only (the others add zero).
            let mask: __mmask8 = (1u8 << (h - i)) - 1;
            let e = _mm512_maskz_sub_pd(mask, _mm512_maskz_loadu_pd(mask, src.add(i)), s);
            t = _mm512_add_pd(t, e);
            q = _mm512_add_pd(q, _mm512_mul_pd(e, e));
        }
        _mm512_storeu_pd(lanes.as_mut_ptr(), t);
        _mm512_storeu_pd(lanes.as_mut_ptr().add(8), q);
    }

    /// One micro-kernel call: `out[r][0..8·nv] (+)= Σₛ bcast[r·bcast_row + s·bcast_step] ·
    /// vecs[s·vecs_step + 0..8·nv]` for `r < mr`, `s < steps`.
    struct Tile {
        out: *mut f64,
        out_stride: usize,
        accumulate: bool,
        bcast: *const f64,
        bcast_row: usize,
        bcast_step: usize,
        vecs: *const f64,
        vecs_step: usize,
        steps: usize,
        /// Cache lines to prefetch, one per step (never read).
        prefetch: Option<Walk>,
    }

    /// A walk over cache lines: `lines` consecutive lines of a column, then the same lines of
    /// the next column (`col_stride` doubles further), `count` lines in all.
    #[derive(Clone, Copy)]
    struct Walk {
        start: *const f64,
        lines: usize,
        col_stride: usize,
        count: usize,
    }

    /// Dispatches to the monomorphized kernel for `mr ≤ 6` rows and `nv ≤ 4` vectors.
    #[target_feature(enable = "avx512f")]
    unsafe fn tile(mr: usize, nv: usize, t: Tile) {
        macro_rules! by_nv {
            ($m:literal) => {
                match nv {
                    1 => kernel::<$m, 1>(&t),
                    2 => kernel::<$m, 2>(&t),
                    3 => kernel::<$m, 3>(&t),
                    _ => kernel::<$m, 4>(&t),
                }
            };
        }
        match mr {
            1 => by_nv!(1),
            2 => by_nv!(2),
            3 => by_nv!(3),
            4 => by_nv!(4),
            5 => by_nv!(5),
            _ => by_nv!(6),
        }
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn kernel<const R: usize, const V: usize>(t: &Tile) {
        let mut acc = [[_mm512_setzero_pd(); V]; R];
        if t.accumulate {
            for (r, row) in acc.iter_mut().enumerate() {
                for (v, a) in row.iter_mut().enumerate() {
                    *a = _mm512_loadu_pd(t.out.add(r * t.out_stride + 8 * v));
                }
            }
        }
        match t.prefetch {
            Some(w) => {
                let ahead = w.count.min(t.steps);
                let (mut col, mut line) = (w.start, 0);
                for s in 0..ahead {
                    _mm_prefetch::<_MM_HINT_T0>(col.wrapping_add(8 * line) as *const i8);
                    line += 1;
                    if line == w.lines {
                        line = 0;
                        col = col.wrapping_add(w.col_stride);
                    }
                    step::<R, V>(&mut acc, t, s);
                }
                for s in ahead..t.steps {
                    step::<R, V>(&mut acc, t, s);
                }
            }
            None => {
                for s in 0..t.steps {
                    step::<R, V>(&mut acc, t, s);
                }
            }
        }
        for (r, row) in acc.iter().enumerate() {
            for (v, a) in row.iter().enumerate() {
                _mm512_storeu_pd(t.out.add(r * t.out_stride + 8 * v), *a);
            }
        }
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn step<const R: usize, const V: usize>(
        acc: &mut [[__m512d; V]; R],
        t: &Tile,
        s: usize,
    ) {
        let vp = t.vecs.add(s * t.vecs_step);
        let mut vs = [_mm512_setzero_pd(); V];
        for (v, x) in vs.iter_mut().enumerate() {
            *x = _mm512_loadu_pd(vp.add(8 * v));
        }
        let bp = t.bcast.add(s * t.bcast_step);
        for (r, row) in acc.iter_mut().enumerate() {
            let b = _mm512_set1_pd(*bp.add(r * t.bcast_row));
            for (a, x) in row.iter_mut().zip(&vs) {
                *a = _mm512_fmadd_pd(b, *x, *a);
            }
        }
    }
}
