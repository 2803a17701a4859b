//! What the machine offers: physical memory, peak resident memory, byte-size parsing.

use std::fs;

/// Total physical memory in bytes (Linux `/proc/meminfo`), if known.
pub(crate) fn physical_memory() -> Option<u64> {
    let text = fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The default `--max-memory`: 75% of physical memory, leaving room for the OS and page cache
/// so a job is refused rather than OOM-killed. 8 GiB when the total is unknown.
pub(crate) fn default_memory_limit() -> u64 {
    physical_memory().map(|t| t / 4 * 3).unwrap_or(8 << 30)
}

/// Peak resident set size of this process so far (`VmHWM`), in bytes.
pub(crate) fn peak_rss() -> Option<u64> {
    let text = fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Resets the peak-RSS mark (Linux: writing 5 to `/proc/self/clear_refs`), so that the next
/// [`peak_rss`] reading covers only what follows. Returns whether it worked.
pub(crate) fn reset_peak_rss() -> bool {
    fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Parses `"8G"`, `"512M"`, `"1.5GiB"`, `"1000000"` (bytes), `"60%"` (of physical memory).
pub(crate) fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    if let Some(p) = t.strip_suffix('%') {
        let pct: f64 = p
            .trim()
            .parse()
            .map_err(|_| format!("'{s}' is not a percentage"))?;
        if !(pct > 0.0 && pct <= 100.0) {
            return Err(format!("'{s}': a percentage must be in (0, 100]"));
        }
        let total = physical_memory().ok_or("physical memory is unknown on this system")?;
        return Ok((total as f64 * pct / 100.0) as u64);
    }
    let lower = t.to_ascii_lowercase();
    let split = lower
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(lower.len());
    let (num, unit) = lower.split_at(split);
    let value: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a size (try 8G, 512M)"))?;
    let mult: f64 = match unit.trim() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024f64.powi(4),
        _ => {
            return Err(format!(
                "'{s}': unknown unit '{unit}' (use K, M, G, T or %)"
            ))
        }
    };
    if !(value >= 0.0) || !value.is_finite() {
        return Err(format!("'{s}' is not a valid size"));
    }
    Ok((value * mult) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("1000").unwrap(), 1000);
        assert_eq!(parse_bytes("2K").unwrap(), 2048);
        assert_eq!(parse_bytes("1.5GiB").unwrap(), 3 << 29);
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("5X").is_err());
        assert!(parse_bytes("150%").is_err());
    }
}
