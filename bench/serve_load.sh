#!/usr/bin/env bash
# Load test of `lowrank serve` (loopback only, bounded): throughput and p50/p90/p99 latency for
#   recommend  GET  /v1/models/m/recommend?user=…&n=10  on 100k items × 64 factors (1000 users)
#   project    POST /v1/models/m/project, one 1000-feature row, 32 components
# with 1, 2 and 4 closed-loop keep-alive clients (the server runs in the same process on all
# cores, so the clients' own work competes with it: the figures are conservative).
#
#   bash bench/serve_load.sh                     # 5 s per run, at most 100 000 requests per run
#   SECONDS_PER_RUN=10 CLIENTS=2 bash bench/serve_load.sh
#   SVG=docs/img/serve_latency.svg bash bench/serve_load.sh   # also redraw the README picture
#
# Results: a markdown table on stdout and .bench/serve_load.json. Each run stops at whichever
# comes first, SECONDS_PER_RUN or MAX_REQUESTS; the whole script takes about
# 6 × SECONDS_PER_RUN seconds plus the build.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
MAX_REQUESTS=${MAX_REQUESTS:-100000}
CLIENTS=${CLIENTS:-1,2,4}
ITEMS=${ITEMS:-100000}
FACTORS=${FACTORS:-64}
FEATURES=${FEATURES:-1000}
mkdir -p .bench
cargo build --release -q -p lowrank-serve --example loadgen
echo "## lowrank serve load test ($(nproc) CPUs, $SECONDS_PER_RUN s or $MAX_REQUESTS requests per run)"
echo
args=(--seconds "$SECONDS_PER_RUN" --max-requests "$MAX_REQUESTS" --clients "$CLIENTS"
      --items "$ITEMS" --factors "$FACTORS" --features "$FEATURES" --json .bench/serve_load.json)
if [[ -n "${SVG:-}" ]]; then args+=(--svg "$SVG"); fi
exec target/release/examples/loadgen "${args[@]}"
