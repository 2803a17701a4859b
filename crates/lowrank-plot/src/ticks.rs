//! Axis ranges and "nice" tick values (1, 2 or 5 × 10^k), exactly formatted.

use crate::Scale;

/// A decimal number `q × 10^e`, kept exact so that tick labels never show rounding noise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dec {
    pub(crate) q: i64,
    pub(crate) e: i32,
}

impl Dec {
    pub(crate) fn value(self) -> f64 {
        if self.e >= 0 {
            self.q as f64 * 10f64.powi(self.e)
        } else {
            self.q as f64 / 10f64.powi(-self.e)
        }
    }

    /// `log10` of the value, exact in the exponent (usable below the smallest `f64`).
    fn log10(self) -> f64 {
        (self.q as f64).log10() + f64::from(self.e)
    }

    fn needs_sci(self) -> bool {
        let v = self.value().abs();
        self.q != 0 && !(1e-3..1e5).contains(&v)
    }
}

/// Formats `d` exactly: plain decimal (with `-e` decimals when `e < 0`) or, with `sci`,
/// scientific notation without trailing zeros (`1e-8`, `2.5e6`; exponent 0 is left out).
pub(crate) fn format_dec(d: Dec, sci: bool) -> String {
    if d.q == 0 {
        return "0".to_string();
    }
    let mut out = String::new();
    if d.q < 0 {
        out.push('-');
    }
    let digits = d.q.unsigned_abs().to_string();
    if sci {
        let trimmed = digits.trim_end_matches('0');
        let exp = i64::from(d.e) + digits.len() as i64 - 1;
        out.push_str(&trimmed[..1]);
        if trimmed.len() > 1 {
            out.push('.');
            out.push_str(&trimmed[1..]);
        }
        if exp != 0 {
            out.push('e');
            out.push_str(&exp.to_string());
        }
    } else if d.e >= 0 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', d.e as usize));
    } else {
        let frac = d.e.unsigned_abs() as usize;
        let padded = if digits.len() <= frac {
            "0".repeat(frac + 1 - digits.len()) + &digits
        } else {
            digits
        };
        let split = padded.len() - frac;
        out.push_str(&padded[..split]);
        out.push('.');
        out.push_str(&padded[split..]);
    }
    out
}

/// Labels for a set of ticks: scientific for all of them when any needs it, so an axis reads
/// consistently.
fn labels(ticks: &[Dec]) -> Vec<String> {
    let sci = ticks.iter().any(|d| d.needs_sci());
    ticks.iter().map(|&d| format_dec(d, sci)).collect()
}

/// Evenly spaced nice ticks `k·m·10^e` for `k` in `k_lo..=k_hi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Nice {
    pub(crate) k_lo: i64,
    pub(crate) k_hi: i64,
    /// Step mantissa: 1, 2 or 5.
    pub(crate) m: i64,
    /// Step exponent.
    pub(crate) e: i32,
}

impl Nice {
    pub(crate) fn ticks(&self) -> Vec<Dec> {
        (self.k_lo..=self.k_hi)
            .map(|k| Dec {
                q: k * self.m,
                e: self.e,
            })
            .collect()
    }

    #[cfg(test)]
    pub(crate) fn values(&self) -> Vec<f64> {
        self.ticks().into_iter().map(Dec::value).collect()
    }

    #[cfg(test)]
    pub(crate) fn step(&self) -> f64 {
        Dec {
            q: self.m,
            e: self.e,
        }
        .value()
    }
}

/// Nice ticks (step 1, 2 or 5 × 10^k) for the range `[lo, hi]`: the multiples of the step inside
/// the range, 4 to 8 of them (about 6 preferred, ties to the larger step). When every step gives
/// fewer than 4 or more than 8, the step with 3 inside is taken and one tick just outside the
/// range is added, on the nearer side but never across zero. `None` when the range is empty,
/// not finite, or too small or too large for `f64` steps.
pub(crate) fn nice_ticks(lo: f64, hi: f64) -> Option<Nice> {
    if !(lo.is_finite() && hi.is_finite() && hi > lo) {
        return None;
    }
    // A fifth of the span, computed without overflow.
    let raw = (hi / 2.0 - lo / 2.0) / 2.5;
    if !(raw > 0.0 && raw.is_finite()) {
        return None;
    }
    let e0 = raw.log10().floor() as i32;
    let mut best: Option<(i64, Nice)> = None;
    let mut few: Option<Nice> = None;
    // Steps in increasing order, so that ties go to the larger step and `few` is the smallest
    // step with fewer than 4 ticks.
    for e in e0 - 1..=e0 + 1 {
        for m in [1i64, 2, 5] {
            let step = Dec { q: m, e }.value();
            if !(step > 0.0 && step.is_finite()) {
                continue;
            }
            // A tick within rounding error of an end counts as inside.
            let (k_lo, k_hi) = ((lo / step - 1e-9).ceil(), (hi / step + 1e-9).floor());
            // Also rejects NaN; keeps k·m exact in f64.
            if !(k_lo.abs() < 1e15 && k_hi.abs() < 1e15) {
                continue;
            }
            let nice = Nice {
                k_lo: k_lo as i64,
                k_hi: k_hi as i64,
                m,
                e,
            };
            let n = nice.k_hi - nice.k_lo + 1;
            if (4..=8).contains(&n) {
                let score = (n - 6).abs();
                if best.is_none_or(|(s, _)| score <= s) {
                    best = Some((score, nice));
                }
            } else if n < 4 && few.is_none() {
                few = Some(nice);
            }
        }
    }
    let nice = match (best, few) {
        (Some((_, nice)), _) => nice,
        (None, Some(mut nice)) => {
            let step = Dec {
                q: nice.m,
                e: nice.e,
            }
            .value();
            while nice.k_hi - nice.k_lo + 1 < 4 {
                let (below, above) = (nice.k_lo - 1, nice.k_hi + 1);
                let below_ok = !(lo >= 0.0 && below < 0);
                let above_ok = !(hi <= 0.0 && above > 0);
                let gap_below = lo - below as f64 * step;
                let gap_above = above as f64 * step - hi;
                if below_ok && (!above_ok || gap_below < gap_above) {
                    nice.k_lo = below;
                } else {
                    nice.k_hi = above;
                }
            }
            nice
        }
        (None, None) => return None,
    };
    let ends = [
        Dec {
            q: nice.k_lo * nice.m,
            e: nice.e,
        },
        Dec {
            q: nice.k_hi * nice.m,
            e: nice.e,
        },
    ];
    ends.iter().all(|d| d.value().is_finite()).then_some(nice)
}

/// One labelled tick at position `t` (the value itself on a linear axis, its `log10` on a
/// logarithmic one).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tick {
    pub(crate) t: f64,
    pub(crate) label: String,
}

/// A numeric axis: its range and ticks, all in transformed coordinates (value or `log10`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Axis {
    pub(crate) scale: Scale,
    pub(crate) lo: f64,
    pub(crate) hi: f64,
    pub(crate) major: Vec<Tick>,
    /// Unlabelled minor tick positions.
    pub(crate) minor: Vec<f64>,
}

impl Axis {
    /// Builds the axis for data in `[lo, hi]` (finite; positive on a log axis).
    pub(crate) fn new(scale: Scale, lo: f64, hi: f64) -> Axis {
        match scale {
            Scale::Linear => linear_axis(lo, hi),
            Scale::Log10 => log_axis(lo, hi),
        }
    }

    /// Transformed coordinate of a data value.
    pub(crate) fn t(&self, v: f64) -> f64 {
        match self.scale {
            Scale::Linear => v,
            Scale::Log10 => v.log10(),
        }
    }

    /// Position of transformed coordinate `t` along the axis, 0 at `lo` and 1 at `hi`
    /// (computed without overflow for any finite values).
    pub(crate) fn frac_t(&self, t: f64) -> f64 {
        let span = self.hi / 2.0 - self.lo / 2.0;
        if span > 0.0 {
            (t / 2.0 - self.lo / 2.0) / span
        } else {
            0.5
        }
    }

    /// Position of data value `v` along the axis, 0 at `lo` and 1 at `hi`.
    #[cfg(test)]
    pub(crate) fn frac(&self, v: f64) -> f64 {
        self.frac_t(self.t(v))
    }
}

fn linear_axis(lo: f64, hi: f64) -> Axis {
    let mag = lo.abs().max(hi.abs());
    let (mut l, mut h) = if hi - lo <= mag * 1e-9 {
        // One value (or values equal to 9 digits): a symmetric range around it.
        if mag == 0.0 {
            (-1.0, 1.0)
        } else {
            (lo - 0.1 * mag, hi + 0.1 * mag)
        }
    } else {
        // 4% padding on each side, but never across zero.
        let pad = (hi / 2.0 - lo / 2.0) * 0.08;
        let mut l = lo - pad;
        let mut h = hi + pad;
        if lo >= 0.0 && l < 0.0 {
            l = 0.0;
        }
        if hi <= 0.0 && h > 0.0 {
            h = 0.0;
        }
        (l, h)
    };
    if !l.is_finite() {
        l = lo;
    }
    if !h.is_finite() {
        h = hi;
    }
    match nice_ticks(l, h) {
        Some(nice) => {
            let ticks = nice.ticks();
            let labels = labels(&ticks);
            Axis {
                scale: Scale::Linear,
                lo: l.min(ticks[0].value()),
                hi: h.max(ticks[ticks.len() - 1].value()),
                major: ticks
                    .iter()
                    .zip(labels)
                    .map(|(d, label)| Tick {
                        t: d.value(),
                        label,
                    })
                    .collect(),
                minor: Vec::new(),
            }
        }
        None => fallback_axis(Scale::Linear, l, h),
    }
}

/// Two ticks at the ends, for ranges no nice step can describe (extreme magnitudes).
fn fallback_axis(scale: Scale, l: f64, h: f64) -> Axis {
    let label = |t: f64| {
        let v = match scale {
            Scale::Linear => t,
            Scale::Log10 => 10f64.powf(t),
        };
        if v.is_finite() {
            format!("{v:.3e}")
        } else {
            format!("1e{}", t.round())
        }
    };
    let (l, h) = if h > l { (l, h) } else { (l - 1.0, l + 1.0) };
    Axis {
        scale,
        lo: l,
        hi: h,
        major: vec![
            Tick {
                t: l,
                label: label(l),
            },
            Tick {
                t: h,
                label: label(h),
            },
        ],
        minor: Vec::new(),
    }
}

/// Tick schemes for log axes, finest first: mantissas within each decade and the decade stride.
const LOG_SCHEMES: [(&[i64], i64); 12] = [
    (&[1, 2, 3, 4, 5, 6, 7, 8, 9], 1),
    (&[1, 2, 5], 1),
    (&[1], 1),
    (&[1], 2),
    (&[1], 3),
    (&[1], 4),
    (&[1], 5),
    (&[1], 10),
    (&[1], 20),
    (&[1], 25),
    (&[1], 50),
    (&[1], 100),
];

/// Candidates `c·10^p` (`c` in `mants`, `p` a multiple of `stride`) whose log lies in `[a, b]`.
fn log_candidates(a: f64, b: f64, mants: &[i64], stride: i64) -> Vec<Dec> {
    let p_lo = (a.floor() as i64 - 1).div_euclid(stride) * stride;
    let p_hi = b.ceil() as i64 + 1;
    let mut out = Vec::new();
    let mut p = p_lo;
    while p <= p_hi {
        for &c in mants {
            let d = Dec { q: c, e: p as i32 };
            let t = d.log10();
            if t >= a - 1e-12 && t <= b + 1e-12 {
                out.push(d);
            }
        }
        p += stride;
    }
    out
}

fn log_axis(lo: f64, hi: f64) -> Axis {
    let (mut a, mut b) = (lo.log10(), hi.log10());
    if !(a.is_finite() && b.is_finite()) {
        return fallback_axis(Scale::Log10, 0.0, 1.0);
    }
    if b - a < 1e-9 {
        a -= 0.5;
        b += 0.5;
    } else {
        let pad = 0.04 * (b - a);
        a -= pad;
        b += pad;
    }
    // Less than a decade: evenly spaced nice values, placed on the log scale.
    if b - a < 1.0 {
        if let Some(nice) = nice_ticks(10f64.powf(a), 10f64.powf(b)) {
            let ticks = nice.ticks();
            if ticks[0].q > 0 && ticks.iter().all(|d| d.value() > 0.0) {
                let labels = labels(&ticks);
                return Axis {
                    scale: Scale::Log10,
                    lo: a.min(ticks[0].log10()),
                    hi: b.max(ticks[ticks.len() - 1].log10()),
                    major: ticks
                        .iter()
                        .zip(labels)
                        .map(|(d, label)| Tick {
                            t: d.log10(),
                            label,
                        })
                        .collect(),
                    minor: Vec::new(),
                };
            }
        }
    }
    // Otherwise the finest scheme with at most 8 ticks inside the padded data range.
    let mut chosen = None;
    for (mants, stride) in LOG_SCHEMES {
        let ticks = log_candidates(a, b, mants, stride);
        if ticks.len() <= 8 {
            chosen = Some((ticks, mants.len() == 1, stride));
            break;
        }
    }
    let Some((ticks, decades_only, stride)) = chosen else {
        return fallback_axis(Scale::Log10, a, b);
    };
    let minor = if decades_only && stride == 1 {
        log_candidates(a, b, &[2, 3, 4, 5, 6, 7, 8, 9], 1)
            .into_iter()
            .map(Dec::log10)
            .collect()
    } else if decades_only {
        log_candidates(a, b, &[1], 1)
            .into_iter()
            .filter(|d| i64::from(d.e).rem_euclid(stride) != 0)
            .map(Dec::log10)
            .collect()
    } else {
        Vec::new()
    };
    let labels = labels(&ticks);
    Axis {
        scale: Scale::Log10,
        lo: a,
        hi: b,
        major: ticks
            .iter()
            .zip(labels)
            .map(|(d, label)| Tick {
                t: d.log10(),
                label,
            })
            .collect(),
        minor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn nice_ticks_rmse_range() {
        let nice = nice_ticks(0.87, 0.95).unwrap();
        assert!(close(nice.step(), 0.02), "step {}", nice.step());
        let v = nice.values();
        assert_eq!(v, vec![0.88, 0.9, 0.92, 0.94]);
        let labels = labels(&nice.ticks());
        assert_eq!(labels, ["0.88", "0.90", "0.92", "0.94"]);
        // Ends that are ticks up to rounding count as inside.
        assert_eq!(
            nice_ticks(2.7, 3.3).unwrap().values(),
            [2.7, 2.8, 2.9, 3.0, 3.1, 3.2, 3.3]
        );
        // Epochs 1..60 padded, and 0..100k padded: round numbers, no wasted axis.
        assert_eq!(
            nice_ticks(0.0, 62.4).unwrap().values(),
            [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
        );
        let v = nice_ticks(0.0, 104_000.0).unwrap().values();
        assert_eq!(v, [0.0, 20_000.0, 40_000.0, 60_000.0, 80_000.0, 100_000.0]);
    }

    #[test]
    fn nice_ticks_properties_over_many_ranges() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut rnd = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..20_000 {
            let scale = 10f64.powf(rnd() * 40.0 - 20.0);
            let lo = (rnd() - 0.5) * scale * 10.0;
            let hi = lo + rnd() * scale + scale * 1e-6;
            let nice = nice_ticks(lo, hi).unwrap_or_else(|| panic!("no ticks for {lo}..{hi}"));
            let v = nice.values();
            assert!((4..=8).contains(&v.len()), "{lo}..{hi}: {v:?}");
            // Inside the range, but for at most one added tick when only 3 fit.
            let eps = 1e-9 * nice.step();
            let outside = v.iter().filter(|&&t| t < lo - eps || t > hi + eps).count();
            assert!(
                outside == 0 || (outside == 1 && v.len() == 4),
                "{lo}..{hi}: {v:?}"
            );
            assert!([1, 2, 5].contains(&nice.m));
            // Every label parses back to its tick value.
            for (d, label) in nice.ticks().iter().zip(labels(&nice.ticks())) {
                let parsed: f64 = label.parse().unwrap();
                assert!(close(parsed, d.value()), "{label} vs {}", d.value());
            }
        }
    }

    #[test]
    fn nice_ticks_rejects_bad_ranges() {
        assert!(nice_ticks(1.0, 1.0).is_none());
        assert!(nice_ticks(2.0, 1.0).is_none());
        assert!(nice_ticks(f64::NAN, 1.0).is_none());
        assert!(nice_ticks(0.0, f64::INFINITY).is_none());
    }

    #[test]
    fn formatting() {
        let f = |q, e, sci| format_dec(Dec { q, e }, sci);
        assert_eq!(f(88, -2, false), "0.88");
        assert_eq!(f(100, -2, false), "1.00");
        assert_eq!(f(-5, -1, false), "-0.5");
        assert_eq!(f(5, -4, false), "0.0005");
        assert_eq!(f(25, 2, false), "2500");
        assert_eq!(f(0, -3, true), "0");
        assert_eq!(f(1, -8, true), "1e-8");
        assert_eq!(f(15, 5, true), "1.5e6");
        assert_eq!(f(40, -5, true), "4e-4");
        assert_eq!(f(-2, 0, true), "-2");
        // Mixed magnitudes on one axis: all scientific.
        let l = labels(&[Dec { q: 0, e: 5 }, Dec { q: 5, e: 4 }, Dec { q: 10, e: 4 }]);
        assert_eq!(l, ["0", "5e4", "1e5"]);
    }

    #[test]
    fn linear_axis_pads_degenerate_ranges() {
        for v in [0.0, 5.0, -3.0, 1e-12, 1e200] {
            let ax = linear_axis(v, v);
            assert!(ax.lo < v && ax.hi > v, "{v}: {ax:?}");
            assert!((4..=8).contains(&ax.major.len()));
        }
        // Non-negative data never gets a negative axis.
        let ax = linear_axis(0.0, 7.3);
        assert_eq!(ax.lo, 0.0);
        assert!(ax.hi >= 7.3);
    }

    #[test]
    fn linear_axis_survives_extremes() {
        let ax = linear_axis(-f64::MAX, f64::MAX);
        assert!(ax.lo.is_finite() && ax.hi.is_finite() && ax.hi > ax.lo);
        assert!(ax.frac(f64::MAX).is_finite());
        let ax = linear_axis(0.0, f64::MIN_POSITIVE / 1e10);
        assert!(
            ax.lo.is_finite() && ax.hi.is_finite() && ax.hi > ax.lo,
            "{ax:?}"
        );
    }

    fn is_power_of_ten(label: &str) -> bool {
        let v: f64 = label.parse().unwrap();
        let l = v.log10();
        // Loose enough for subnormal powers of ten such as 1e-320.
        (l - l.round()).abs() < 1e-4
    }

    #[test]
    fn log_ticks_wide_ranges_are_powers_of_ten() {
        for (lo, hi) in [
            (1e-8, 1.0),
            (3e-5, 2e3),
            (1e-300, 1e300),
            (1e-320, 1.0),
            (0.02, 70.0),
        ] {
            let ax = log_axis(lo, hi);
            assert!((2..=8).contains(&ax.major.len()), "{lo}..{hi}: {ax:?}");
            for t in &ax.major {
                assert!(is_power_of_ten(&t.label), "{lo}..{hi}: {}", t.label);
                assert!(t.t >= ax.lo - 1e-9 && t.t <= ax.hi + 1e-9);
            }
            assert!(ax.frac(lo) >= 0.0 && ax.frac(hi) <= 1.0);
        }
        let labels: Vec<_> = log_axis(1e-8, 1.0)
            .major
            .into_iter()
            .map(|t| t.label)
            .collect();
        assert_eq!(labels, ["1e-8", "1e-6", "1e-4", "1e-2", "1"]);
        let labels: Vec<_> = log_axis(0.02, 70.0)
            .major
            .into_iter()
            .map(|t| t.label)
            .collect();
        assert_eq!(labels, ["0.1", "1", "10"]);
    }

    #[test]
    fn log_ticks_narrow_ranges_use_nice_values() {
        // Two decades: 1-2-5.
        let labels: Vec<_> = log_axis(0.3, 40.0)
            .major
            .into_iter()
            .map(|t| t.label)
            .collect();
        assert_eq!(labels, ["0.5", "1", "2", "5", "10", "20"]);
        // Less than a decade: evenly spaced values.
        let ax = log_axis(0.8, 1.3);
        assert!((4..=8).contains(&ax.major.len()), "{ax:?}");
        // One value.
        let ax = log_axis(5.0, 5.0);
        assert!(ax.lo < 5f64.log10() && ax.hi > 5f64.log10());
        assert!(ax.major.len() >= 2);
    }
}
