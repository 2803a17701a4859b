//! Blocked Householder bidiagonalization of a large real matrix (LAPACK `dgebrd`/`dlabrd`).
//!
//! lowrank patch. The unblocked reduction in `bidiag.rs` applies each pair of reflectors to the
//! whole trailing matrix as it goes, so every step reads and writes the trailing matrix once and
//! reads it again for the right-hand product. Once the matrix no longer fits in cache that is
//! memory traffic, not arithmetic: 2000×2000 took 1.2–1.4 s on 2 threads. The blocked form never
//! writes the trailing matrix inside a panel: the reflectors of a panel of `NB` columns are
//! accumulated in `X` and `Y` and applied with one GEMM (inner dimension `2·NB`) at the end of
//! the panel. `dlabrd` still reads the trailing matrix twice per step (`Aᵀ·u`, then `A·v`);
//! here each step reads it once (`FusedStep`, after Howell et al.'s BLAS 2.5 operators), the
//! columns split between the threads. 2000×2000 took 0.72–0.84 s with two reads per step and takes
//! 0.61–0.75 s with one.
//!
//! The output is laid out exactly as the unblocked reduction lays it out (and as LAPACK does):
//! `d` on the diagonal, `e` on the superdiagonal, the left reflectors' essential parts below the
//! diagonal, the right reflectors' essential parts right of the superdiagonal, and faer's
//! reflector coefficients (`tau` with `H = I − v·vᵀ/tau`) in the first rows of `H_left` and
//! `H_right`.
use crate::assert;
use crate::internal_prelude::*;
use linalg::householder::make_householder_in_place;
use linalg::matmul::matmul;

/// Panel width, as LAPACK's `ilaenv` default for `dgebrd`.
const NB: usize = 32;

/// Whether the blocked reduction should be used for `a` (`m×n`), a matrix of `T`.
///
/// Only for `f64` (faer's own dispatch flag), `m ≥ n` and unit row stride, which `svd` always
/// passes (it works on a column-major copy); other callers of the public `bidiag_in_place`
/// keep the unblocked reduction. Below 256 columns the two are equally fast (measured down to
/// 64), and the unblocked reduction, faer's own, is kept there too.
///
/// Also only when the entries are of moderate size (largest magnitude within `2^±400`, or
/// zero): the fused pass forms `A·row`, whose terms are products of two entries, so its
/// intermediate values scale with the square of the matrix. Matrices near the ends of the
/// `f64` range keep the unblocked reduction, whose intermediates scale linearly.
pub(crate) fn use_blocked<T: ComplexField>(a: MatRef<'_, T>) -> bool {
	let (m, n) = a.shape();
	let shaped = T::IS_NATIVE_F64 && core::mem::size_of::<T>() == 8 && a.row_stride() == 1 && m >= n && n >= 256;
	shaped && {
		let a: MatRef<'_, f64> = unsafe { core::mem::transmute(a) };
		let mut amax = 0.0f64;
		for j in 0..n {
			for v in a.col(j).iter() {
				amax = amax.max(v.abs());
			}
		}
		amax == 0.0 || (amax >= 2.0f64.powi(-400) && amax <= 2.0f64.powi(400))
	}
}

/// Reduces `a` (`m×n`, `m ≥ n`) to upper bidiagonal form in place.
///
/// `tau_left` (length `n`) and `tau_right` (length `n − 1`) receive faer's reflector
/// coefficients.
pub(crate) fn bidiag_blocked_f64(
	a: MatMut<'_, f64>,
	tau_left: RowMut<'_, f64>,
	tau_right: RowMut<'_, f64>,
	par: Par,
) {
	// Inside the lock, faer's thread pool keeps its workers spinning between the steps'
	// parallel passes instead of parking them: 2000 hand-offs for 2000×2000 (4000 when each
	// step made two products), and with rayon's sleep/wake each cost enough to add about 20%
	// (0.75 s → 0.95 s, measured with two products per step).
	// Only from outside the pool, which is the case measured. Nested inside a pool's task
	// (several SVDs at once) the products use plain rayon joins: faer itself never nests the
	// lock, and spinning helpers would only compete with the other tasks for the same threads.
	#[cfg(feature = "rayon")]
	if par.degree() > 1 && rayon::current_thread_index().is_none() {
		return spindle::with_lock(par.degree(), || bidiag_blocked_imp(a, tau_left, tau_right, par));
	}
	bidiag_blocked_imp(a, tau_left, tau_right, par)
}

fn bidiag_blocked_imp(
	a: MatMut<'_, f64>,
	tau_left: RowMut<'_, f64>,
	tau_right: RowMut<'_, f64>,
	par: Par,
) {
	let mut a = a;
	let mut tau_left = tau_left;
	let mut tau_right = tau_right;
	let (m, n) = a.shape();
	assert!(m >= n);
	let mut x = Mat::<f64>::zeros(m, NB);
	let mut y = Mat::<f64>::zeros(n, NB);
	// The update's operands, [U X] and [Y V]ᵀ; allocated once, since fresh megabyte buffers
	// for every panel would each be mapped and faulted in anew.
	let mut lhs = Mat::<f64>::zeros(m, 2 * NB);
	let mut rhs = Mat::<f64>::zeros(2 * NB, n);
	let mut d = alloc::vec![0.0f64; n];
	let mut e = alloc::vec![0.0f64; n];
	let mut p = 0;
	while p < n {
		let b = Ord::min(NB, n - p);
		labrd_panel(
			a.rb_mut().submatrix_mut(p, p, m - p, n - p),
			x.rb_mut().submatrix_mut(p, 0, m - p, b),
			y.rb_mut().submatrix_mut(p, 0, n - p, b),
			&mut d[p..p + b],
			&mut e[p..p + b],
			tau_left.rb_mut().subcols_mut(p, b),
			tau_right.rb_mut().subcols_mut(p, Ord::min(b, (n - 1).saturating_sub(p))),
			par,
		);
		let q = p + b;
		if q < n {
			// A22 -= U_panel · Y_belowᵀ + X_below · V_panel, with the reflectors' unit entries
			// still in place (the last right reflector's unit sits in column q).
			let (left, right) = a.rb_mut().split_at_col_mut(q);
			let (top, a22) = right.split_at_row_mut(q);
			// One GEMM of inner dimension 2b instead of two of b: the trailing matrix is read
			// and written once per panel. (Here b = NB: only the last panel can be narrower.)
			let mut l = lhs.rb_mut().submatrix_mut(0, 0, m - q, 2 * b);
			let mut r = rhs.rb_mut().submatrix_mut(0, 0, 2 * b, n - q);
			l.rb_mut().subcols_mut(0, b).copy_from(left.rb().submatrix(q, p, m - q, b));
			l.rb_mut().subcols_mut(b, b).copy_from(x.rb().submatrix(q, 0, m - q, b));
			r.rb_mut().subrows_mut(0, b).copy_from(y.rb().submatrix(q, 0, n - q, b).transpose());
			r.rb_mut().subrows_mut(b, b).copy_from(top.rb().subrows(p, b));
			matmul(a22, Accum::Add, l.rb(), r.rb(), -1.0, par);
		}
		for j in p..q {
			a[(j, j)] = d[j];
			if j + 1 < n {
				a[(j, j + 1)] = e[j];
			}
		}
		p = q;
	}
}

/// One panel of `dlabrd`: reduces the first `b` rows and columns of `a` (the trailing matrix,
/// `M×N`) and returns the `X` (`M×b`) and `Y` (`N×b`) with which the rest of `a` must be
/// updated: `A ← A − U·Yᵀ − X·V`. The reflectors' unit entries are left in `a`; `d` and `e`
/// hold the bidiagonal.
#[allow(clippy::too_many_arguments)]
fn labrd_panel(
	a: MatMut<'_, f64>,
	x: MatMut<'_, f64>,
	y: MatMut<'_, f64>,
	d: &mut [f64],
	e: &mut [f64],
	tau_left: RowMut<'_, f64>,
	tau_right: RowMut<'_, f64>,
	par: Par,
) {
	let mut a = a;
	let mut x = x;
	let mut y = y;
	let mut tau_left = tau_left;
	let mut tau_right = tau_right;
	let (mm, nn) = a.shape();
	let b = x.ncols();
	let mut tmp = Col::<f64>::zeros(b + 1);
	let mut row = Col::<f64>::zeros(nn);
	let mut h = Col::<f64>::zeros(nn);
	let mut c = Col::<f64>::zeros(nn);
	let mut w_parts = alloc::vec![0.0f64; Ord::max(par.degree(), 1) * mm];
	for j in 0..b {
		// Column j: A(j:M, j) −= A(j:M, 0:j)·Y(j, 0:j)ᵀ + X(j:M, 0:j)·A(0:j, j).
		if j > 0 {
			let (left, mut right) = a.rb_mut().split_at_col_mut(j);
			let mut col = right.rb_mut().col_mut(0);
			let (above, mut below) = col.rb_mut().split_at_row_mut(j);
			gemv_n(below.rb_mut(), left.rb().subrows(j, mm - j), y.rb().row(j).subcols(0, j).transpose(), -1.0, true, Par::Seq);
			gemv_n(below.rb_mut(), x.rb().submatrix(j, 0, mm - j, j), above.rb(), -1.0, true, Par::Seq);
		}
		// Left reflector from A(j:M, j).
		let mut head = a[(j, j)];
		let info = make_householder_in_place(
			&mut head,
			a.rb_mut().col_mut(j).subrows_mut(j + 1, mm - j - 1),
		);
		tau_left[j] = info.tau;
		let tauq = info.tau.recip();
		d[j] = head;
		if j + 1 >= nn {
			continue;
		}
		a[(j, j)] = 1.0;
		// One pass over the trailing columns gives Y(j+1:N, j), the row and A(j+1:M, j+1:N)·row
		// (see `fused_pass`). With
		//   h = Y(j+1:N, 0:j)·(A(j:M, 0:j)ᵀ·u) + A(0:j, j+1:N)ᵀ·(X(j:M, 0:j)ᵀ·u),
		//   c = A(j, j+1:N) − Y(j+1:N, 0:j)·A(j, 0:j)ᵀ − A(0:j, j+1:N)ᵀ·X(j, 0:j)ᵀ,
		// column k of the trailing matrix gives
		//   Y(j+1+k, j) = τq·(A(j:M, j+1+k)ᵀ·u − h_k)   and   row_k = c_k − Y(j+1+k, j),
		// which is the row update of `dlabrd` (its term Y(·, j)·A(j, j) has A(j, j) = 1).
		let len = nn - j - 1;
		{
			let ar = a.rb();
			let u = ar.col(j).subrows(j, mm - j);
			let mut hk = h.rb_mut().subrows_mut(0, len);
			let mut ck = c.rb_mut().subrows_mut(0, len);
			for (k, v) in ck.rb_mut().iter_mut().enumerate() {
				*v = ar[(j, j + 1 + k)];
			}
			if j > 0 {
				let mut t = tmp.rb_mut().subrows_mut(0, j);
				gemv_t(t.rb_mut(), ar.submatrix(j, 0, mm - j, j), u, 1.0, false, Par::Seq);
				gemv_n(hk.rb_mut(), y.rb().submatrix(j + 1, 0, len, j), t.rb(), 1.0, false, Par::Seq);
				gemv_t(t.rb_mut(), x.rb().submatrix(j, 0, mm - j, j), u, 1.0, false, Par::Seq);
				gemv_t(hk.rb_mut(), ar.submatrix(0, j + 1, j, len), t.rb(), 1.0, true, Par::Seq);
				gemv_n(ck.rb_mut(), y.rb().submatrix(j + 1, 0, len, j), ar.row(j).subcols(0, j).transpose(), -1.0, true, Par::Seq);
				gemv_t(ck.rb_mut(), ar.submatrix(0, j + 1, j, len), x.rb().row(j).subcols(0, j).transpose(), -1.0, true, Par::Seq);
			} else {
				hk.fill(0.0);
			}
			let cols = column_slices(ar.submatrix(j, j + 1, mm - j, len));
			let u = u.try_as_col_major().expect("columns of `a` are contiguous").as_slice();
			let ycol = y
				.rb_mut()
				.col_mut(j)
				.subrows_mut(j + 1, len)
				.try_as_col_major_mut()
				.expect("columns of Y are contiguous")
				.as_slice_mut();
			let r = row.rb_mut().subrows_mut(0, len).try_as_col_major_mut().expect("a Col is contiguous").as_slice_mut();
			let leaves = fused_leaves(len, mm - j, par);
			let w = &mut w_parts[..leaves * (mm - j - 1)];
			fused_pass(
				leaves,
				FusedStep {
					cols: &cols,
					u,
					h: hk.rb().try_as_col_major().expect("a Col is contiguous").as_slice(),
					c: ck.rb().try_as_col_major().expect("a Col is contiguous").as_slice(),
					tauq,
					ycol,
					r,
					w,
				},
				par,
			);
		}
		let mut r = row.rb_mut().subrows_mut(0, len);
		// Right reflector from the row: v = (row − β·e₀)·hinv, with v₀ = 1.
		let r0 = r[0];
		let mut head = r0;
		let info = make_householder_in_place(&mut head, r.rb_mut().subrows_mut(1, len - 1));
		tau_right[j] = info.tau;
		let taup = info.tau.recip();
		e[j] = head;
		r[0] = 1.0;
		for (k, v) in r.rb().iter().enumerate() {
			a[(j, j + 1 + k)] = *v;
		}
		// X(j+1:M, j) = τp·(A(j+1:M, j+1:N)·v − A(j+1:M, 0:j+1)·(Y(j+1:N, 0:j+1)ᵀ·v) − X(j+1:M, 0:j)·(A(0:j, j+1:N)·v)),
		// where A(j+1:M, j+1:N)·v = (Σ w + (1/hinv − row₀)·A(j+1:M, j+1))·hinv: the pass
		// multiplied by the row, whose first entry became 1/hinv in v's scale. No reflector
		// (τ = ∞, so τp = 0) leaves X(·, j) zero, as the product by τp would.
		{
			let ar = a.rb();
			let v = r.rb();
			let (x_left, x_right) = x.rb_mut().split_at_col_mut(j);
			let mut xcol = x_right.col_mut(0).subrows_mut(j + 1, mm - j - 1);
			if taup == 0.0 {
				xcol.fill(0.0);
				continue;
			}
			let hinv = info.head_with_beta_inv;
			let coef0 = hinv.recip() - r0;
			let mw = mm - j - 1;
			let leaves = fused_leaves(len, mm - j, par);
			let a0 = ar.col(j + 1).subrows(j + 1, mw);
			for (i, xv) in xcol.rb_mut().iter_mut().enumerate() {
				let mut s = w_parts[i];
				for l in 1..leaves {
					s += w_parts[l * mw + i];
				}
				*xv = (s + coef0 * a0[i]) * hinv;
			}
			let mut t = tmp.rb_mut().subrows_mut(0, j + 1);
			gemv_t(t.rb_mut(), y.rb().submatrix(j + 1, 0, len, j + 1), v, 1.0, false, Par::Seq);
			gemv_n(xcol.rb_mut(), ar.submatrix(j + 1, 0, mm - j - 1, j + 1), t.rb(), -1.0, true, Par::Seq);
			if j > 0 {
				let mut t = tmp.rb_mut().subrows_mut(0, j);
				gemv_n(t.rb_mut(), ar.submatrix(0, j + 1, j, len), v, 1.0, false, Par::Seq);
				gemv_n(xcol.rb_mut(), x_left.rb().submatrix(j + 1, 0, mm - j - 1, j), t.rb(), -1.0, true, Par::Seq);
			}
			for v in xcol.rb_mut().iter_mut() {
				*v *= taup;
			}
		}
	}
}

/// How many parts the fused pass over a `rows × len` trailing matrix is split into: one per
/// thread when the matrix is large enough, each part with its own partial `w`. The split
/// depends only on the shape and the thread count, so a thread count gives the same bits.
fn fused_leaves(len: usize, rows: usize, par: Par) -> usize {
	let threads = par.degree();
	if threads > 1 && len >= 8 && len * rows >= PAR_MIN_ENTRIES {
		Ord::min(threads, len / 4)
	} else {
		1
	}
}

/// Runs `step` split into `leaves` parts by columns (multiples of four), each part writing its
/// own slice of `step.w` (`leaves` vectors of `rows − 1`).
fn fused_pass(leaves: usize, step: FusedStep<'_>, par: Par) {
	if leaves > 1 {
		let left = leaves / 2;
		let ncols = step.cols.len();
		let mid = (ncols * left / leaves + 3) / 4 * 4;
		let mid = Ord::min(mid, ncols);
		let mw = step.w.len() / leaves;
		let FusedStep { cols, u, h, c, tauq, ycol, r, w } = step;
		let (y0, y1) = ycol.split_at_mut(mid);
		let (r0, r1) = r.split_at_mut(mid);
		let (w0, w1) = w.split_at_mut(left * mw);
		let s0 = FusedStep { cols: &cols[..mid], u, h: &h[..mid], c: &c[..mid], tauq, ycol: y0, r: r0, w: w0 };
		let s1 = FusedStep { cols: &cols[mid..], u, h: &h[mid..], c: &c[mid..], tauq, ycol: y1, r: r1, w: w1 };
		#[cfg(feature = "rayon")]
		{
			crate::utils::thread::join_raw(|par| fused_pass(left, s0, par), |par| fused_pass(leaves - left, s1, par), par);
			return;
		}
		#[cfg(not(feature = "rayon"))]
		{
			let _ = par;
			fused_pass(left, s0, Par::Seq);
			fused_pass(leaves - left, s1, Par::Seq);
			return;
		}
	}
	pulp::Arch::new().dispatch(step);
}

/// One step's pass over the trailing columns `cols` (rows `j..M`), after BLAS 2.5's fused
/// products (Howell et al., "Cache efficient bidiagonalization using BLAS 2.5 operators",
/// 2008): for each column, its dot product with `u` gives `Y(·, j)` and the row entry
/// `r_k`, and the column, still in cache, is added into `w += r_k·A(j+1:M, k)`. `dlabrd`
/// reads the trailing matrix twice per step (`Aᵀ·u`, then `A·v` once `v` is known); since
/// `A·v` is `A·row` up to a multiple of the first column and a scale, one read suffices.
struct FusedStep<'a> {
	cols: &'a [&'a [f64]],
	u: &'a [f64],
	h: &'a [f64],
	c: &'a [f64],
	tauq: f64,
	ycol: &'a mut [f64],
	r: &'a mut [f64],
	w: &'a mut [f64],
}

impl pulp::WithSimd for FusedStep<'_> {
	type Output = ();

	#[inline(always)]
	fn with_simd<S: pulp::Simd>(self, simd: S) {
		let FusedStep { cols, u, h, c, tauq, ycol, r, w } = self;
		w.fill(0.0);
		let mut k = 0;
		while k + 8 <= cols.len() {
			fused_group::<S, 8>(simd, &cols[k..k + 8], u, &h[k..k + 8], &c[k..k + 8], tauq, &mut ycol[k..k + 8], &mut r[k..k + 8], w);
			k += 8;
		}
		while k + 4 <= cols.len() {
			fused_group::<S, 4>(simd, &cols[k..k + 4], u, &h[k..k + 4], &c[k..k + 4], tauq, &mut ycol[k..k + 4], &mut r[k..k + 4], w);
			k += 4;
		}
		while k < cols.len() {
			fused_group::<S, 1>(simd, &cols[k..k + 1], u, &h[k..k + 1], &c[k..k + 1], tauq, &mut ycol[k..k + 1], &mut r[k..k + 1], w);
			k += 1;
		}
	}
}

/// `FusedStep` for `G` columns at once: their dot products with `u`, then `w += Σ r_t·col_t`
/// (rows 1..), while the columns are still in cache.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn fused_group<S: pulp::Simd, const G: usize>(
	simd: S,
	cols: &[&[f64]],
	u: &[f64],
	h: &[f64],
	c: &[f64],
	tauq: f64,
	ycol: &mut [f64],
	r: &mut [f64],
	w: &mut [f64],
) {
	let (uh, ut) = S::as_simd_f64s(u);
	let zero = simd.splat_f64s(0.0);
	let qs: [(&[S::f64s], &[f64]); G] = core::array::from_fn(|t| S::as_simd_f64s(cols[t]));
	let mut acc = [zero; G];
	for (i, uv) in uh.iter().enumerate() {
		for t in 0..G {
			acc[t] = simd.mul_add_f64s(qs[t].0[i], *uv, acc[t]);
		}
	}
	if !ut.is_empty() {
		let uv = simd.partial_load_f64s(ut);
		for t in 0..G {
			acc[t] = simd.mul_add_f64s(simd.partial_load_f64s(qs[t].1), uv, acc[t]);
		}
	}
	let mut rs = [0.0f64; G];
	for t in 0..G {
		let yv = tauq * (simd.reduce_sum_f64s(acc[t]) - h[t]);
		ycol[t] = yv;
		rs[t] = c[t] - yv;
		r[t] = rs[t];
	}
	let (wh, wt) = S::as_mut_simd_f64s(w);
	let ps: [(&[S::f64s], &[f64]); G] = core::array::from_fn(|t| S::as_simd_f64s(&cols[t][1..]));
	let vs: [S::f64s; G] = core::array::from_fn(|t| simd.splat_f64s(rs[t]));
	for (i, wv) in wh.iter_mut().enumerate() {
		let mut s0 = *wv;
		let mut s1 = zero;
		for t in 0..G {
			if t % 2 == 0 {
				s0 = simd.mul_add_f64s(ps[t].0[i], vs[t], s0);
			} else {
				s1 = simd.mul_add_f64s(ps[t].0[i], vs[t], s1);
			}
		}
		*wv = simd.add_f64s(s0, s1);
	}
	for (i, wv) in wt.iter_mut().enumerate() {
		let mut s0 = *wv;
		let mut s1 = 0.0;
		for t in 0..G {
			if t % 2 == 0 {
				s0 = ps[t].1[i].mul_add(rs[t], s0);
			} else {
				s1 = ps[t].1[i].mul_add(rs[t], s1);
			}
		}
		*wv = s0 + s1;
	}
}

/// Below this many matrix entries a product runs on one thread.
const PAR_MIN_ENTRIES: usize = 96 * 96;

/// Columns of `a` as slices (`a` must have unit row stride).
fn column_slices<'a>(a: MatRef<'a, f64>) -> Vec<&'a [f64]> {
	(0..a.ncols())
		.map(|c| {
			a.col(c)
				.try_as_col_major()
				.expect("use_blocked admits only unit row stride")
				.as_slice()
		})
		.collect()
}

/// `y ← aᵀ·u`: one dot product per column, four columns per pass over `u`; the columns are
/// split between the threads, so each entry is computed by exactly one of them.
fn gemv_t(y: ColMut<'_, f64>, a: MatRef<'_, f64>, u: ColRef<'_, f64>, alpha: f64, add: bool, par: Par) {
	let mut y = y;
	let y = y
		.rb_mut()
		.try_as_col_major_mut()
		.expect("outputs are columns of X, Y, A or contiguous buffers")
		.as_slice_mut();
	let copy: Vec<f64>;
	let u = match u.try_as_col_major() {
		Some(u) => u.as_slice(),
		None => {
			copy = u.iter().copied().collect();
			&copy
		},
	};
	let cols = column_slices(a);
	gemv_t_split(y, &cols, u, alpha, add, par);
}

fn gemv_t_split(y: &mut [f64], cols: &[&[f64]], u: &[f64], alpha: f64, add: bool, par: Par) {
	let threads = par.degree();
	if threads > 1 && cols.len() >= 8 && cols.len() * u.len() >= PAR_MIN_ENTRIES {
		let mid = (cols.len() / 2 + 3) / 4 * 4;
		let (y0, y1) = y.split_at_mut(mid);
		let (c0, c1) = cols.split_at(mid);
		#[cfg(feature = "rayon")]
		{
			crate::utils::thread::join_raw(
				|par| gemv_t_split(y0, c0, u, alpha, add, par),
				|par| gemv_t_split(y1, c1, u, alpha, add, par),
				par,
			);
			return;
		}
	}
	pulp::Arch::new().dispatch(Dots { y, cols, u, alpha, add });
}

struct Dots<'a> {
	y: &'a mut [f64],
	cols: &'a [&'a [f64]],
	u: &'a [f64],
	alpha: f64,
	add: bool,
}

impl pulp::WithSimd for Dots<'_> {
	type Output = ();

	#[inline(always)]
	fn with_simd<S: pulp::Simd>(self, simd: S) {
		let Dots { y, cols, u, alpha, add } = self;
		let mut put = |c: usize, v: f64| {
			y[c] = if add { y[c] + alpha * v } else { alpha * v };
		};
		let (uh, ut) = S::as_simd_f64s(u);
		let zero = simd.splat_f64s(0.0);
		let mut c = 0;
		while c + 4 <= cols.len() {
			let qs: [(&[S::f64s], &[f64]); 4] =
				core::array::from_fn(|t| S::as_simd_f64s(cols[c + t]));
			let mut acc = [zero; 4];
			for (i, uv) in uh.iter().enumerate() {
				for t in 0..4 {
					acc[t] = simd.mul_add_f64s(qs[t].0[i], *uv, acc[t]);
				}
			}
			if !ut.is_empty() {
				let uv = simd.partial_load_f64s(ut);
				for t in 0..4 {
					acc[t] = simd.mul_add_f64s(simd.partial_load_f64s(qs[t].1), uv, acc[t]);
				}
			}
			for t in 0..4 {
				put(c + t, simd.reduce_sum_f64s(acc[t]));
			}
			c += 4;
		}
		while c < cols.len() {
			let (qh, qt) = S::as_simd_f64s(cols[c]);
			let mut acc = zero;
			for (qv, uv) in qh.iter().zip(uh) {
				acc = simd.mul_add_f64s(*qv, *uv, acc);
			}
			if !ut.is_empty() {
				let uv = simd.partial_load_f64s(ut);
				acc = simd.mul_add_f64s(simd.partial_load_f64s(qt), uv, acc);
			}
			put(c, simd.reduce_sum_f64s(acc));
			c += 1;
		}
	}
}

/// `x ← a·v`: the rows are split between the threads; each thread sweeps all columns, four
/// per pass over its part of `x`, which stays in L1.
fn gemv_n(x: ColMut<'_, f64>, a: MatRef<'_, f64>, v: ColRef<'_, f64>, alpha: f64, add: bool, par: Par) {
	let mut x = x;
	let x = x
		.rb_mut()
		.try_as_col_major_mut()
		.expect("outputs are columns of X, Y, A or contiguous buffers")
		.as_slice_mut();
	let v: Vec<f64> = v.iter().map(|v| alpha * v).collect();
	let cols = column_slices(a);
	gemv_n_split(x, 0, &cols, &v, add, par);
}

fn gemv_n_split(x: &mut [f64], r0: usize, cols: &[&[f64]], v: &[f64], add: bool, par: Par) {
	let threads = par.degree();
	if threads > 1 && x.len() >= 64 && x.len() * cols.len() >= PAR_MIN_ENTRIES {
		let mid = (x.len() / 2 + 7) / 8 * 8;
		let (x0, x1) = x.split_at_mut(mid);
		#[cfg(feature = "rayon")]
		{
			crate::utils::thread::join_raw(
				|par| gemv_n_split(x0, r0, cols, v, add, par),
				|par| gemv_n_split(x1, r0 + mid, cols, v, add, par),
				par,
			);
			return;
		}
	}
	if !add {
		x.fill(0.0);
	}
	pulp::Arch::new().dispatch(Combination { x, r0, cols, v });
}

struct Combination<'a> {
	x: &'a mut [f64],
	r0: usize,
	cols: &'a [&'a [f64]],
	v: &'a [f64],
}

impl pulp::WithSimd for Combination<'_> {
	type Output = ();

	#[inline(always)]
	fn with_simd<S: pulp::Simd>(self, simd: S) {
		let Combination { x, r0, cols, v } = self;
		let r1 = r0 + x.len();
		let (xh, xt) = S::as_mut_simd_f64s(x);
		let mut c = 0;
		while c + 8 <= cols.len() {
			let qs: [(&[S::f64s], &[f64]); 8] =
				core::array::from_fn(|t| S::as_simd_f64s(&cols[c + t][r0..r1]));
			let vs: [S::f64s; 8] = core::array::from_fn(|t| simd.splat_f64s(v[c + t]));
			for (i, xv) in xh.iter_mut().enumerate() {
				let mut s0 = *xv;
				let mut s1 = simd.mul_f64s(qs[4].0[i], vs[4]);
				for t in 0..4 {
					s0 = simd.mul_add_f64s(qs[t].0[i], vs[t], s0);
				}
				for t in 5..8 {
					s1 = simd.mul_add_f64s(qs[t].0[i], vs[t], s1);
				}
				*xv = simd.add_f64s(s0, s1);
			}
			for (i, xv) in xt.iter_mut().enumerate() {
				let mut s0 = *xv;
				let mut s1 = qs[4].1[i] * v[c + 4];
				for t in 0..4 {
					s0 = qs[t].1[i].mul_add(v[c + t], s0);
				}
				for t in 5..8 {
					s1 = qs[t].1[i].mul_add(v[c + t], s1);
				}
				*xv = s0 + s1;
			}
			c += 8;
		}
		while c + 4 <= cols.len() {
			let qs: [(&[S::f64s], &[f64]); 4] =
				core::array::from_fn(|t| S::as_simd_f64s(&cols[c + t][r0..r1]));
			let vs: [S::f64s; 4] = core::array::from_fn(|t| simd.splat_f64s(v[c + t]));
			for (i, xv) in xh.iter_mut().enumerate() {
				let mut s = *xv;
				for t in 0..4 {
					s = simd.mul_add_f64s(qs[t].0[i], vs[t], s);
				}
				*xv = s;
			}
			for (i, xv) in xt.iter_mut().enumerate() {
				let mut s = *xv;
				for t in 0..4 {
					s = qs[t].1[i].mul_add(v[c + t], s);
				}
				*xv = s;
			}
			c += 4;
		}
		while c < cols.len() {
			let (qh, qt) = S::as_simd_f64s(&cols[c][r0..r1]);
			let vv = simd.splat_f64s(v[c]);
			for (xv, qv) in xh.iter_mut().zip(qh) {
				*xv = simd.mul_add_f64s(*qv, vv, *xv);
			}
			for (xv, qv) in xt.iter_mut().zip(qt) {
				*xv = qv.mul_add(v[c], *xv);
			}
			c += 1;
		}
	}
}
