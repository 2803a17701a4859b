//! A small Prometheus text-format encoder: counters and fixed-bucket histograms of requests
//! per route, method and status, plus the service's own counters. Hand-written to stay lean
//! (one mutex per recorded request is far below the cost of any route).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Upper bounds (seconds) of the latency histogram buckets: 0.25 ms to 10 s.
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Counts per bucket (not cumulative; made cumulative when rendered), sum and count.
#[derive(Debug, Clone, Default)]
struct Histogram {
    buckets: [u64; LATENCY_BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(b) = LATENCY_BUCKETS.iter().position(|&ub| seconds <= ub) {
            self.buckets[b] += 1;
        }
        self.sum += seconds;
        self.count += 1;
    }
}

/// Label set of one request series.
type Key = (String, String, u16);

/// Everything `/metrics` reports that is not read from the live model.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<Key, Histogram>>,
    /// Models loaded successfully (start-up and every swap).
    pub loads: AtomicU64,
    /// Load attempts that failed (the previous model stayed live).
    pub load_failures: AtomicU64,
    /// Times a new version replaced the live one.
    pub swaps: AtomicU64,
    /// Requests refused because all compute slots stayed busy.
    pub overloaded: AtomicU64,
    /// Largest principal angle (degrees) between the live version's axes and those of the
    /// version it replaced; `None` until a swap between comparable subspace models.
    drift_degrees: Mutex<Option<f64>>,
}

/// Every metric family `/metrics` can export (a dashboard may use only these; tested).
pub const EXPORTED: &[&str] = &[
    "lowrank_http_requests_total",
    "lowrank_http_request_duration_seconds",
    "lowrank_model_loads_total",
    "lowrank_model_load_failures_total",
    "lowrank_model_swaps_total",
    "lowrank_overloaded_total",
    "lowrank_model_info",
    "lowrank_model_version",
    "lowrank_model_loaded_timestamp_seconds",
    "lowrank_model_age_seconds",
    "lowrank_model_metric",
    "lowrank_model_drift_max_angle_degrees",
    "lowrank_ready",
];

/// Escapes a label value (backslash, quote, newline) as the text format requires.
pub fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    /// Records one finished request.
    pub fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let mut map = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        map.entry((route.to_string(), method.to_string(), status))
            .or_default()
            .observe(seconds);
    }

    /// Records the drift of the latest swap (or `None`: the versions were not comparable).
    pub fn set_drift(&self, degrees: Option<f64>) {
        *self.drift_degrees.lock().unwrap_or_else(|p| p.into_inner()) = degrees;
    }

    /// The drift of the latest swap, in degrees.
    pub fn drift(&self) -> Option<f64> {
        *self.drift_degrees.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Requests recorded so far for a route and status (for tests and the load generator).
    pub fn count(&self, route: &str, status: u16) -> u64 {
        let map = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        map.iter()
            .filter(|((r, _, s), _)| r == route && *s == status)
            .map(|(_, h)| h.count)
            .sum()
    }

    /// Appends the request series and the service counters in the text format.
    pub fn render(&self, out: &mut String) {
        let map = self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        out.push_str("# HELP lowrank_http_requests_total HTTP requests answered, by route, method and status.\n");
        out.push_str("# TYPE lowrank_http_requests_total counter\n");
        for ((route, method, status), h) in &map {
            let _ = writeln!(
                out,
                "lowrank_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {}",
                escape(route),
                escape(method),
                h.count
            );
        }
        out.push_str("# HELP lowrank_http_request_duration_seconds Time from request to response head, by route, method and status.\n");
        out.push_str("# TYPE lowrank_http_request_duration_seconds histogram\n");
        for ((route, method, status), h) in &map {
            let labels = format!(
                "route=\"{}\",method=\"{}\",status=\"{status}\"",
                escape(route),
                escape(method)
            );
            let mut acc = 0;
            for (ub, n) in LATENCY_BUCKETS.iter().zip(h.buckets) {
                acc += n;
                let _ = writeln!(
                    out,
                    "lowrank_http_request_duration_seconds_bucket{{{labels},le=\"{ub}\"}} {acc}"
                );
            }
            let _ = writeln!(
                out,
                "lowrank_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "lowrank_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "lowrank_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        for (name, help, v) in [
            (
                "lowrank_model_loads_total",
                "Models loaded successfully (start-up and swaps).",
                &self.loads,
            ),
            (
                "lowrank_model_load_failures_total",
                "Model loads that failed; the previous version stayed live.",
                &self.load_failures,
            ),
            (
                "lowrank_model_swaps_total",
                "Times a new version replaced the live model.",
                &self.swaps,
            ),
            (
                "lowrank_overloaded_total",
                "Requests refused with 503 because every compute slot stayed busy.",
                &self.overloaded,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", v.load(Ordering::Relaxed));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative_and_counts_match() {
        let m = Metrics::default();
        for s in [0.0001, 0.0004, 0.003, 20.0] {
            m.observe("/v1/x", "GET", 200, s);
        }
        m.observe("/v1/x", "GET", 404, 0.001);
        let mut out = String::new();
        m.render(&mut out);
        assert!(out.contains(
            "lowrank_http_requests_total{route=\"/v1/x\",method=\"GET\",status=\"200\"} 4"
        ));
        assert!(out.contains("status=\"200\",le=\"0.00025\"} 1"));
        assert!(out.contains("status=\"200\",le=\"0.0005\"} 2"));
        assert!(out.contains("status=\"200\",le=\"0.005\"} 3"));
        // 20 s is above every finite bucket: only +Inf and the count hold it.
        assert!(out.contains("status=\"200\",le=\"10\"} 3"));
        assert!(out.contains("status=\"200\",le=\"+Inf\"} 4"));
        assert!(out.contains("status=\"404\",le=\"+Inf\"} 1"));
        assert_eq!(m.count("/v1/x", 200), 4);
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
