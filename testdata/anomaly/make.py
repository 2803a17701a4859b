#!/usr/bin/env python3
"""Generates the anomaly-detection fixtures in this folder (see README.md).

Telemetry of one service in 5-minute windows: 12 metrics driven by three latent factors
(traffic with a daily cycle, a batch-job activity, a slow cache-warmth factor) plus independent
noise per metric. `normal.csv` is 2000 normal windows (about a week); `windows.csv` is the 600
windows that follow, with planted anomalies listed in `labels.csv` and README.md.

Deterministic: numpy's PCG64 generator with seed 20261124. Written with numpy 2.4.6:

    python3 testdata/anomaly/make.py
"""

import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261124
PERIOD = 288  # 5-minute windows per day

METRICS = [
    "cpu_pct", "load_avg", "mem_pct", "req_rate", "resp_ms", "err_rate",
    "net_in_mbps", "net_out_mbps", "disk_read_mbps", "disk_write_mbps",
    "cache_hit_pct", "queue_len",
]
# Baseline, loadings on (traffic, batch, cache) and noise standard deviation per metric.
BASE = np.array([35.0, 2.0, 55.0, 800.0, 120.0, 2.0, 40.0, 90.0, 20.0, 15.0, 92.0, 5.0])
LOAD = np.array([
    [20.0, 8.0, 0.0],     # cpu_pct: traffic and batch
    [1.5, 1.0, 0.0],      # load_avg
    [4.0, 6.0, -2.0],     # mem_pct
    [500.0, 0.0, 0.0],    # req_rate: traffic
    [25.0, 10.0, -15.0],  # resp_ms: traffic, batch, slower with a cold cache
    [0.8, 0.0, -0.4],     # err_rate
    [30.0, 0.0, 0.0],     # net_in_mbps
    [70.0, 0.0, 0.0],     # net_out_mbps
    [0.0, 15.0, -6.0],    # disk_read_mbps: batch, and misses when the cache is cold
    [0.0, 12.0, 0.0],     # disk_write_mbps: batch
    [0.0, -1.0, 4.0],     # cache_hit_pct
    [3.0, 1.0, -1.0],     # queue_len
])
NOISE = np.array([2.0, 0.15, 1.0, 30.0, 6.0, 0.15, 2.0, 4.0, 1.5, 1.2, 0.5, 0.5])


def ar1(rng, n, phi, sd):
    x = np.zeros(n)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + rng.normal(0.0, sd)
    return x


def simulate(rng, start, n):
    t = np.arange(start, start + n)
    day = 2 * np.pi * (t % PERIOD) / PERIOD
    traffic = np.sin(day - np.pi / 2) + 0.3 * np.sin(2 * day) + ar1(rng, n, 0.9, 0.15)
    batch = ar1(rng, n, 0.95, 0.3)
    cache = ar1(rng, n, 0.98, 0.2)
    f = np.stack([traffic, batch, cache], axis=1)
    x = BASE + f @ LOAD.T + rng.normal(size=(n, len(METRICS))) * NOISE
    return x, traffic


def col(name):
    return METRICS.index(name)


def main():
    rng = np.random.Generator(np.random.PCG64(SEED))
    normal, _ = simulate(rng, 0, 2000)
    win, traffic = simulate(rng, 2000, 600)
    labels = []

    # 1. Spike: the error rate jumps by 3 (20 noise standard deviations) for 3 windows.
    for r in range(50, 53):
        win[r, col("err_rate")] += 3.0
        labels.append((r, "spike: err_rate +3"))
    # 2. Broken correlation: outbound traffic stops following requests (a CDN takes over),
    #    during the busiest windows of the day.
    busy = 150 + int(np.argmax(traffic[150:250]))
    for r in range(busy - 5, busy + 5):
        win[r, col("net_out_mbps")] = BASE[col("net_out_mbps")] - 50.0
        labels.append((r, "broken correlation: net_out_mbps decoupled from req_rate"))
    # 3. Stuck CPU: a runaway process holds cpu_pct at 97% while traffic is low.
    quiet = 300 + int(np.argmin(traffic[300:400]))
    for r in range(quiet - 3, quiet + 3):
        win[r, col("cpu_pct")] = 97.0
        labels.append((r, "broken correlation: cpu_pct stuck at 97 while traffic is low"))
    # 4. Latency without load: resp_ms triples with normal traffic, batch and cache.
    for r in range(450, 454):
        win[r, col("resp_ms")] *= 3.0
        labels.append((r, "latency: resp_ms x3 with normal load"))

    header = ",".join(METRICS)
    np.savetxt(os.path.join(HERE, "normal.csv"), normal, fmt="%.4g", delimiter=",",
               header=header, comments="")
    np.savetxt(os.path.join(HERE, "windows.csv"), win, fmt="%.4g", delimiter=",",
               header=header, comments="")
    with open(os.path.join(HERE, "labels.csv"), "w") as f:
        f.write("row,kind\n")
        for r, kind in sorted(labels):
            f.write(f"{r},{kind}\n")


if __name__ == "__main__":
    main()
