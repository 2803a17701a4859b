#!/usr/bin/env python3
"""Writes the small dense and triplet fixtures in testdata/ (run from anywhere; numpy needed).

Deterministic (default_rng(2026)); the files are committed, this script documents how they were
made: python3 testdata/make_small.py
"""
import os
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(2026)
m, n, r = 300, 80, 10
U = np.linalg.qr(rng.standard_normal((m, r)))[0]
V = np.linalg.qr(rng.standard_normal((n, r)))[0]
s = 10.0 * 0.7 ** np.arange(r)
A = (U * s) @ V.T + 1e-3 * rng.standard_normal((m, n))
np.save(os.path.join(here, "dense", "lowrank_300x80.npy"), A)
np.save(os.path.join(here, "dense", "lowrank_300x80_fortran_f32.npy"), np.asfortranarray(A.astype(np.float32)))
np.save(os.path.join(here, "dense", "lowrank_300x80_sigma.npy"), np.linalg.svd(A, compute_uv=False))
with open(os.path.join(here, "dense", "lowrank_300x80.csv"), "w") as f:
    f.write(",".join(f"x{j}" for j in range(n)) + "\n")
    for row in A:
        f.write(",".join(repr(float(x)) for x in row) + "\n")
# Ratings-like triplets with string ids and a header.
users = [f"user_{i:03d}" for i in range(40)]
items = [f"item_{chr(65 + j % 26)}{j // 26}" for j in range(30)]
with open(os.path.join(here, "triplets", "ratings_small.tsv"), "w") as f:
    f.write("user\titem\trating\n")
    for u in range(40):
        for it in rng.choice(30, size=8, replace=False):
            f.write(f"{users[u]}\t{items[it]}\t{int(rng.integers(1, 6))}\n")
print("wrote testdata/dense and testdata/triplets")
