//! Blocked Householder bidiagonalization of a large real matrix (LAPACK `dgebrd`/`dlabrd`).
//!
//! lowrank patch. The unblocked reduction in `bidiag.rs` applies each pair of reflectors to the
//! whole trailing matrix as it goes, so every step reads and writes the trailing matrix once and
//! reads it again for the right-hand product. Once the matrix no longer fits in cache that is
//! memory traffic, not arithmetic: 2000×2000 took 1.2–1.4 s on 2 threads. The blocked form reads
//! the trailing matrix twice per step (two matrix–vector products, with our own kernels: four or
//! eight columns per pass, each output entry computed by one thread) and never writes it inside
//! a panel: the reflectors of a panel of `NB` columns are accumulated in `X` and `Y` and applied
//! with one GEMM (inner dimension `2·NB`) at the end of the panel. 2000×2000 now takes
//! 0.72–0.84 s.
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
pub(crate) fn use_blocked<T: ComplexField>(a: MatRef<'_, T>) -> bool {
	let (m, n) = a.shape();
	T::IS_NATIVE_F64 && core::mem::size_of::<T>() == 8 && a.row_stride() == 1 && m >= n && n >= 256
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
	// Inside the lock, faer's thread pool keeps its workers spinning between the two
	// half-products of each step instead of parking them: 4000 hand-offs for 2000×2000, and
	// with rayon's sleep/wake each cost enough to add about 20% (0.75 s → 0.95 s).
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
		// Y(j+1:N, j) = τq·(A(j:M, j+1:N)ᵀ·u − Y(j+1:N, 0:j)·(A(j:M,0:j)ᵀ·u) − A(0:j, j+1:N)ᵀ·(X(j:M,0:j)ᵀ·u))
		{
			let ar = a.rb();
			let u = ar.col(j).subrows(j, mm - j);
			let (y_left, y_right) = y.rb_mut().split_at_col_mut(j);
			let mut ycol = y_right.col_mut(0).subrows_mut(j + 1, nn - j - 1);
			gemv_t(ycol.rb_mut(), ar.submatrix(j, j + 1, mm - j, nn - j - 1), u, 1.0, false, par);
			if j > 0 {
				let mut t = tmp.rb_mut().subrows_mut(0, j);
				gemv_t(t.rb_mut(), ar.submatrix(j, 0, mm - j, j), u, 1.0, false, Par::Seq);
				gemv_n(ycol.rb_mut(), y_left.rb().submatrix(j + 1, 0, nn - j - 1, j), t.rb(), -1.0, true, Par::Seq);
				gemv_t(t.rb_mut(), x.rb().submatrix(j, 0, mm - j, j), u, 1.0, false, Par::Seq);
				gemv_t(ycol.rb_mut(), ar.submatrix(0, j + 1, j, nn - j - 1), t.rb(), -1.0, true, Par::Seq);
			}
			for v in ycol.rb_mut().iter_mut() {
				*v *= tauq;
			}
		}
		// Row j: A(j, j+1:N) −= Y(j+1:N, 0:j+1)·A(j, 0:j+1)ᵀ + A(0:j, j+1:N)ᵀ·X(j, 0:j)ᵀ,
		// worked on in a contiguous copy.
		let len = nn - j - 1;
		let mut r = row.rb_mut().subrows_mut(0, len);
		for (k, v) in r.rb_mut().iter_mut().enumerate() {
			*v = a[(j, j + 1 + k)];
		}
		{
			let ar = a.rb();
			gemv_n(r.rb_mut(), y.rb().submatrix(j + 1, 0, len, j + 1), ar.row(j).subcols(0, j + 1).transpose(), -1.0, true, Par::Seq);
			if j > 0 {
				gemv_t(r.rb_mut(), ar.submatrix(0, j + 1, j, len), x.rb().row(j).subcols(0, j).transpose(), -1.0, true, Par::Seq);
			}
		}
		// Right reflector from the row.
		let mut head = r[0];
		let info = make_householder_in_place(&mut head, r.rb_mut().subrows_mut(1, len - 1));
		tau_right[j] = info.tau;
		let taup = info.tau.recip();
		e[j] = head;
		r[0] = 1.0;
		for (k, v) in r.rb().iter().enumerate() {
			a[(j, j + 1 + k)] = *v;
		}
		// X(j+1:M, j) = τp·(A(j+1:M, j+1:N)·v − A(j+1:M, 0:j+1)·(Y(j+1:N, 0:j+1)ᵀ·v) − X(j+1:M, 0:j)·(A(0:j, j+1:N)·v))
		{
			let ar = a.rb();
			let v = r.rb();
			let (x_left, x_right) = x.rb_mut().split_at_col_mut(j);
			let mut xcol = x_right.col_mut(0).subrows_mut(j + 1, mm - j - 1);
			gemv_n(xcol.rb_mut(), ar.submatrix(j + 1, j + 1, mm - j - 1, len), v, 1.0, false, par);
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
