#!/usr/bin/env python3
"""Ratio table from lowrank-bench's JSON and peers.py's JSON (same sitting).

Usage: python3 bench/compare.py LOWRANK.json PEERS.json
"""
import json
import sys

ours = json.load(open(sys.argv[1]))
peers = json.load(open(sys.argv[2]))

def our(workload, variant):
    for r in ours["rows"]:
        if r["workload"] == workload and r["variant"] == variant:
            return r
    return None

def peer(workload, matrix_prefix, tool_prefix):
    for r in peers["rows"]:
        if r["workload"] == workload and r["matrix"].startswith(matrix_prefix) and r["tool"].startswith(tool_prefix):
            return r
    return None

PAIRS = [
    # (label, our workload, our variant, peer workload, peer matrix, peer tool, target ratio)
    ("W1 2000² thin U,σ,V", "W1 2000x2000", "exact thin U,σ,V", "W1", "2000x2000", "numpy.linalg.svd thin", 1.0),
    ("W1 2000² values only", "W1 2000x2000", "exact values only", "W1", "2000x2000", "numpy.linalg.svd values", 1.0),
    ("W1 4000×1000 thin U,σ,V", "W1 4000x1000", "exact thin U,σ,V", "W1", "4000x1000", "numpy.linalg.svd thin", 1.0),
    ("W1 4000×1000 values only", "W1 4000x1000", "exact values only", "W1", "4000x1000", "numpy.linalg.svd values", 1.0),
    ("W2 top-50 vs sklearn randomized_svd defaults", "W2 top-50", "auto", "W2", "20000x2000", "sklearn randomized_svd defaults", 3.0),
    ("W2 top-50 vs scipy svds ARPACK", "W2 top-50", "auto", "W2", "20000x2000", "scipy svds ARPACK", None),
    ("W3 top-20 vs scipy svds ARPACK", "W3 top-20", "auto", "W3", "200000x50000", "scipy svds ARPACK", 3.0),
    ("W3 top-20 vs scipy svds PROPACK", "W3 top-20", "auto", "W3", "200000x50000", "scipy svds PROPACK", 2.0),
    ("W3 top-20, tol 1e-8 (the target's residual bar) vs scipy svds ARPACK", "W3 top-20", "auto, tol 1e-8", "W3", "200000x50000", "scipy svds ARPACK", 3.0),
    ("W3 top-20, tol 1e-8 vs scipy svds PROPACK", "W3 top-20", "auto, tol 1e-8", "W3", "200000x50000", "scipy svds PROPACK", 2.0),
]

print("| comparison | lowrank s | peer s | ratio (peer/lowrank) | target | met | lowrank σ err | peer σ err | lowrank max residual | peer max residual |")
print("|---|---|---|---|---|---|---|---|---|---|")
for label, ow, ov, pw, pm, pt, target in PAIRS:
    o, p = our(ow, ov), peer(pw, pm, pt)
    if o is None or p is None:
        continue
    ratio = p["median_s"] / o["median"]
    met = "–" if target is None else ("yes" if ratio >= target else "no")
    res = [x for x in (o["residual_av"], o["residual_atu"]) if x is not None and x == x]
    ores = max(res) if res else float("nan")
    pres = max(p.get("resid_Av") or 0.0, p.get("resid_ATu") or 0.0)
    print(f"| {label} | {o['median']:.3f} | {p['median_s']:.3f} | {ratio:.2f}× | "
          f"{'' if target is None else f'≥ {target:g}×'} | {met} | {o['sigma_error']:.1e} | "
          f"{p['sigma_max_rel_err']:.1e} | {ores:.1e} | {pres:.1e} |")
cal_o = min(ours["calibration_gemm_s"])
cal_p = peers["gemm_s_best"]
print(f"\nCalibration GEMM 1500² f64 (best): lowrank/faer {cal_o*1e3:.1f} ms, NumPy/OpenBLAS {cal_p*1e3:.1f} ms.")
