#!/usr/bin/env python3
"""Reads a `lowrank svd --json` report on stdin and prints one markdown row (bench/run.sh)."""
import json
import sys

name = sys.argv[1]
r = json.load(sys.stdin)
t, m = r["timings"], r["memory"]
mib = lambda b: (b or 0) / 2**20
print(f"| {name} | {r['result']['method']} | {t['read_seconds']:.3f} | {t['compute_seconds']:.3f} | "
      f"{t['certificate_seconds']:.3f} | {t['total_seconds']:.3f} | {mib(m['input_bytes']):.0f} | "
      f"{mib(m['peak_rss_bytes']):.0f} | {mib(m['peak_rss_compute_bytes']):.0f} | "
      f"{r['certificate']['max_residual']:.1e} |")
