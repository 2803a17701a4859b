//! Point reduction for long series, in pixel coordinates.

use std::collections::HashSet;

/// Series with at most this many points are drawn as they are.
pub(crate) const MAX_POINTS: usize = 4000;

/// Reduces a polyline (pixel coordinates, in drawing order) that has more than [`MAX_POINTS`]
/// points: each run of consecutive points in the same pixel column is replaced by its first,
/// lowest, highest and last point, in their original order. The drawn line covers the same
/// pixels, and the result has at most four points per column (a line whose x values go back
/// and forth can keep more than that in all).
pub(crate) fn thin_line(pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
    if pts.len() <= MAX_POINTS {
        return pts.to_vec();
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < pts.len() {
        let col = pts[i].0.floor();
        let (mut lo, mut hi) = (i, i);
        let mut j = i + 1;
        while j < pts.len() && pts[j].0.floor() == col {
            if pts[j].1 < pts[lo].1 {
                lo = j;
            }
            if pts[j].1 > pts[hi].1 {
                hi = j;
            }
            j += 1;
        }
        let mut keep = [i, lo, hi, j - 1];
        keep.sort_unstable();
        let mut last = usize::MAX;
        for k in keep {
            if k != last {
                out.push(pts[k]);
                last = k;
            }
        }
        i = j;
    }
    out
}

/// Reduces a scatter of more than [`MAX_POINTS`] points (pixel coordinates) to the first point
/// in each `cell`×`cell` pixel square; with markers wider than a cell the picture barely changes.
pub(crate) fn thin_scatter(pts: &[(f64, f64)], cell: f64) -> Vec<(f64, f64)> {
    if pts.len() <= MAX_POINTS {
        return pts.to_vec();
    }
    let mut seen = HashSet::new();
    pts.iter()
        .copied()
        .filter(|&(x, y)| seen.insert(((x / cell).floor() as i64, (y / cell).floor() as i64)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn noisy_curve(n: usize, width: f64) -> Vec<(f64, f64)> {
        let mut seed = 12345u64;
        (0..n)
            .map(|i| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let noise = (seed >> 33) as f64 / (1u64 << 31) as f64 - 0.5;
                let x = 50.0 + width * i as f64 / n as f64;
                (x, 200.0 + 80.0 * (i as f64 / 3000.0).sin() + 30.0 * noise)
            })
            .collect()
    }

    #[test]
    fn short_lines_are_untouched() {
        let pts = noisy_curve(MAX_POINTS, 600.0);
        assert_eq!(thin_line(&pts), pts);
    }

    #[test]
    fn thinning_keeps_column_extremes_and_bounds_the_count() {
        let width = 630.0;
        let pts = noisy_curve(100_000, width);
        let out = thin_line(&pts);
        assert!(
            out.len() <= 4 * (width as usize + 1),
            "{} points",
            out.len()
        );
        assert!(out.len() <= MAX_POINTS);
        // Per column: the same minimum and maximum, and the same first and last point.
        let mut cols: HashMap<i64, Vec<(f64, f64)>> = HashMap::new();
        for &p in &pts {
            cols.entry(p.0.floor() as i64).or_default().push(p);
        }
        let mut kept: HashMap<i64, Vec<(f64, f64)>> = HashMap::new();
        for &p in &out {
            kept.entry(p.0.floor() as i64).or_default().push(p);
        }
        assert_eq!(cols.len(), kept.len());
        for (c, all) in &cols {
            let k = &kept[c];
            let min = |v: &[(f64, f64)]| v.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
            let max = |v: &[(f64, f64)]| v.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(min(all), min(k));
            assert_eq!(max(all), max(k));
            assert_eq!(all.first(), k.first());
            assert_eq!(all.last(), k.last());
        }
        // The output is a subsequence of the input.
        let mut it = pts.iter();
        for p in &out {
            assert!(it.any(|q| q == p));
        }
    }

    #[test]
    fn scatter_thinning_keeps_one_point_per_cell() {
        let pts: Vec<(f64, f64)> = (0..300 * 170)
            .map(|i| ((i % 300) as f64, (i / 300) as f64))
            .collect();
        let out = thin_scatter(&pts, 2.0);
        assert_eq!(out.len(), 150 * 85);
        assert_eq!(out[0], pts[0]);
    }
}
