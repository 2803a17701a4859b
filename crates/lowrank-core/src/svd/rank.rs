//! Choosing the rank from the spectrum.

/// How many triplets to return.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RankSpec {
    /// Exactly `k`.
    Fixed(usize),
    /// The smallest `k` with `Σᵢ≤ₖ σᵢ² ≥ fraction·‖A‖_F²`, at most `max_rank`.
    Energy {
        /// Fraction of `‖A‖_F²` to retain, in `(0, 1]`.
        fraction: f64,
        /// Upper bound on `k`.
        max_rank: usize,
    },
    /// The smallest `k` with `‖A − A_k‖_F ≤ rel_error·‖A‖_F`, at most `max_rank`.
    Tolerance {
        /// Relative Frobenius error allowed, in `[0, 1)`.
        rel_error: f64,
        /// Upper bound on `k`.
        max_rank: usize,
    },
}

impl RankSpec {
    /// The largest rank this spec can ask for.
    pub fn max_rank(&self) -> usize {
        match *self {
            RankSpec::Fixed(k) => k,
            RankSpec::Energy { max_rank, .. } | RankSpec::Tolerance { max_rank, .. } => max_rank,
        }
    }
    /// Human-readable criterion for notes and reports.
    pub fn describe(&self) -> String {
        match *self {
            RankSpec::Fixed(k) => format!("rank {k}"),
            RankSpec::Energy { fraction, .. } => format!("energy {fraction}"),
            RankSpec::Tolerance { rel_error, .. } => format!("relative error {rel_error}"),
        }
    }
}

/// The smallest rank meeting `spec` among the computed values `s` (descending), given the total
/// energy `‖A‖_F²`. `complete` says that `s` holds every singular value, so the discarded energy
/// can be summed directly (exact, free of the cancellation in `‖A‖² − Σσ²`).
///
/// Returns `None` when the criterion is not met by any prefix of `s`.
pub fn choose_rank(s: &[f64], total_energy: f64, spec: RankSpec, complete: bool) -> Option<usize> {
    match spec {
        RankSpec::Fixed(k) => Some(k.min(s.len())),
        RankSpec::Energy { fraction, max_rank } => {
            let target = fraction * total_energy;
            let mut acc = 0.0;
            for (i, x) in s.iter().enumerate().take(max_rank) {
                acc += x * x;
                if acc >= target * (1.0 - 4.0 * f64::EPSILON) {
                    return Some(i + 1);
                }
            }
            None
        }
        RankSpec::Tolerance {
            rel_error,
            max_rank,
        } => {
            let allowed = rel_error * rel_error * total_energy;
            if complete {
                // Tail sums from the smallest value up: accurate even for tiny tolerances.
                let mut tail = vec![0.0; s.len() + 1];
                for i in (0..s.len()).rev() {
                    tail[i] = tail[i + 1] + s[i] * s[i];
                }
                (1..=s.len().min(max_rank)).find(|&k| tail[k] <= allowed)
            } else {
                let mut acc = 0.0;
                for (i, x) in s.iter().enumerate().take(max_rank) {
                    acc += x * x;
                    if total_energy - acc <= allowed {
                        return Some(i + 1);
                    }
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn energy_picks_smallest_prefix() {
        let s = [3.0, 2.0, 1.0]; // energies 9, 4, 1 of 14
        let spec = |f| RankSpec::Energy {
            fraction: f,
            max_rank: 3,
        };
        assert_eq!(choose_rank(&s, 14.0, spec(0.5), true), Some(1));
        assert_eq!(choose_rank(&s, 14.0, spec(9.0 / 14.0), true), Some(1));
        assert_eq!(choose_rank(&s, 14.0, spec(0.65), true), Some(2));
        assert_eq!(choose_rank(&s, 14.0, spec(1.0), true), Some(3));
        // Only part of the spectrum known, and the target lies beyond it.
        assert_eq!(choose_rank(&s[..1], 14.0, spec(0.9), false), None);
    }

    #[test]
    fn tolerance_uses_the_tail() {
        let s = [1.0, 1e-9, 1e-12];
        let total = 1.0 + 1e-18 + 1e-24;
        let spec = |t| RankSpec::Tolerance {
            rel_error: t,
            max_rank: 3,
        };
        assert_eq!(choose_rank(&s, total, spec(1e-8), true), Some(1));
        assert_eq!(choose_rank(&s, total, spec(1e-10), true), Some(2));
        assert_eq!(choose_rank(&s, total, spec(0.0), true), Some(3));
    }
}
