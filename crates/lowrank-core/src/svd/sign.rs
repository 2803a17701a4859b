//! The deterministic sign convention (see the module docs of [`crate::svd`]).

use super::Svd;

/// Flips each pair `(uᵢ, vᵢ)` so that the largest-magnitude entry of `uᵢ` (first on ties) is
/// positive; `vᵢ` decides when `U` was not computed.
pub fn apply_sign_convention(svd: &mut Svd) {
    let k = svd.s.len();
    for i in 0..k {
        let reference = svd.u.as_ref().or(svd.v.as_ref());
        let Some(r) = reference else { return };
        let mut best = 0.0f64;
        let mut sign = 1.0;
        for &x in r.col(i).iter() {
            if x.abs() > best {
                best = x.abs();
                sign = x.signum();
            }
        }
        if sign < 0.0 {
            for m in [&mut svd.u, &mut svd.v].into_iter().flatten() {
                for x in m.as_mut().col_mut(i).iter_mut() {
                    *x = -*x;
                }
            }
        }
    }
}
