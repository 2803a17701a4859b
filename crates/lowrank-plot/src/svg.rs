//! Low-level SVG text helpers: escaping and compact, always-finite numbers.

use std::fmt;

/// A pixel coordinate written with at most one decimal; a non-finite value is written as `0`
/// so that no `NaN` or `inf` can ever reach the output.
#[derive(Debug, Clone, Copy)]
pub(crate) struct N(pub(crate) f64);

impl fmt::Display for N {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = if self.0.is_finite() {
            self.0.clamp(-1e7, 1e7)
        } else {
            0.0
        };
        let tenths = (v * 10.0).round() as i64;
        if tenths == 0 {
            f.write_str("0")
        } else if tenths % 10 == 0 {
            write!(f, "{}", tenths / 10)
        } else {
            let sign = if tenths < 0 { "-" } else { "" };
            let a = tenths.unsigned_abs();
            write!(f, "{sign}{}.{}", a / 10, a % 10)
        }
    }
}

/// Escapes text for use in XML character data and attribute values. Characters that XML 1.0
/// does not allow (most control characters) are dropped; line breaks become spaces.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Estimated advance width of `s` in pixels at font size `size` (sans-serif, a little generous).
pub(crate) fn text_width(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * 0.6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_compact_and_finite() {
        assert_eq!(N(12.0).to_string(), "12");
        assert_eq!(N(12.34).to_string(), "12.3");
        assert_eq!(N(-0.04).to_string(), "0");
        assert_eq!(N(-3.25).to_string(), "-3.3");
        assert_eq!(N(-0.5).to_string(), "-0.5");
        assert_eq!(N(f64::NAN).to_string(), "0");
        assert_eq!(N(f64::INFINITY).to_string(), "0");
    }

    #[test]
    fn escaping() {
        assert_eq!(
            esc("a<b & \"c\" > 'd'"),
            "a&lt;b &amp; &quot;c&quot; &gt; &#39;d&#39;"
        );
        assert_eq!(esc("x\u{1}y\nz"), "xy z");
    }
}
