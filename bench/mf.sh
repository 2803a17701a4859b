#!/usr/bin/env bash
# Recommender benchmarks: `lowrank mf fit` scaling on synthetic ratings, and W4 (MovieLens-100k,
# the kit's 5 folds) side by side with Surprise.
#
#   bash bench/mf.sh                          # both parts
#   PARTS=synthetic bash bench/mf.sh          # scaling only;  PARTS=w4: W4 only
#   SIZES=5m,10m REPEAT=5 bash bench/mf.sh
#
# synthetic: builds release, writes .bench/data/synthetic_{5m,10m,20m}.tsv if absent (gen_ratings,
#   seed 0; users and items grow with the ratings — 20 ratings per user, 100 per item on average —
#   so that peak memory per rating is a linearity check), then times
#   `lowrank mf fit FILE --rank 64 --epochs 10 --json --quiet` on each and prints one table.
#   Peak RSS is the CLI's own figure (VmHWM, JSON `memory.peak_rss_bytes`), cross-checked with
#   /usr/bin/time's maximum resident set size when that is installed.
# w4: lowrank-bench --only W4 (compute only, no parsing), peers.py --only W4 (Surprise), and
#   compare.py. peers.py runs in .bench/w4 (symlinks to the fold files) so that it writes its
#   peers.json there and leaves the W1-W3 one in .bench/data alone.
set -euo pipefail
cd "$(dirname "$0")/.."
KIT=${BENCH_KIT:-../shared/bench}
DATA=${BENCH_DATA:-.bench/data}
VENV=${BENCH_VENV:-.bench/venv}
PARTS=${PARTS:-synthetic,w4}
SIZES=${SIZES:-5m,10m,20m}
REPEAT=${REPEAT:-3}
RANK=${RANK:-64}
EPOCHS=${EPOCHS:-10}
mkdir -p "$DATA"
cargo build --release -q -p lowrank-cli -p lowrank-bench

case ",$PARTS," in *,synthetic,*)
  echo "## lowrank mf fit on synthetic ratings (rank $RANK, $EPOCHS epochs, $(nproc) CPUs)"
  echo
  TIMEV=
  if /usr/bin/time -f %M true >/dev/null 2>&1; then TIMEV=/usr/bin/time; fi
  echo "| file | ratings | users | items | file MiB | read s | fit s (wall) | train s (sweeps) | s per epoch | ratings/s | peak RSS MiB | peak RSS while fitting MiB | max RSS (time) MiB | estimated fit MiB | peak bytes per rating | train RMSE |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for size in ${SIZES//,/ }; do
    n=${size%m}
    ratings=$((n * 1000000))
    users=$((ratings / 20))
    items=$((ratings / 100))
    file="$DATA/synthetic_$size.tsv"
    if [ ! -f "$file" ]; then
      ./target/release/gen_ratings "$file.tmp" --users "$users" --items "$items" --ratings "$ratings" --seed 0 >&2
      mv "$file.tmp" "$file"
    fi
    out=$(mktemp)
    rss=$(mktemp)
    if [ -n "$TIMEV" ]; then
      "$TIMEV" -f %M -o "$rss" ./target/release/lowrank mf fit "$file" --rank "$RANK" --epochs "$EPOCHS" --json --quiet >"$out"
    else
      ./target/release/lowrank mf fit "$file" --rank "$RANK" --epochs "$EPOCHS" --json --quiet >"$out"
      echo "" >"$rss"
    fi
    python3 - "$out" "$rss" "$file" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
maxrss = open(sys.argv[2]).read().strip().splitlines()
maxrss = float(maxrss[-1]) * 1024 if maxrss and maxrss[-1].isdigit() else None
r, m, t, mem = d["ratings"], d["metrics"], d["timings"], d.get("memory") or {}
MiB = 2.0 ** 20
epochs = m["epochs_run"]
peak = mem.get("peak_rss_bytes")
fmt = lambda x, f="{:.0f}": "–" if x is None else f.format(x)
print(f"| {os.path.basename(sys.argv[3])} | {r['ratings']:,} | {r['users']:,} | {r['items']:,} | "
      f"{os.path.getsize(sys.argv[3]) / MiB:.0f} | {t['read_seconds']:.2f} | {t['fit_seconds']:.2f} | "
      f"{m['train_seconds']:.2f} | {m['train_seconds'] / epochs:.2f} | {m['ratings_per_second']:.3g} | "
      f"{fmt(peak and peak / MiB)} | {fmt(mem.get('peak_rss_fit_bytes') and mem['peak_rss_fit_bytes'] / MiB)} | "
      f"{fmt(maxrss and maxrss / MiB)} | {fmt(mem.get('estimated_fit_bytes') and mem['estimated_fit_bytes'] / MiB)} | "
      f"{fmt(peak and peak / r['ratings'], '{:.1f}')} | {fmt(m.get('train_rmse'), '{:.4f}')} |", flush=True)
PY
    rm -f "$out" "$rss"
  done
  echo
  echo "read s: parsing the file (CLI); fit s: the whole fit call (indexes, SGD grid, sweeps); train s: the"
  echo "SGD sweeps alone, which ratings/s is based on. Peak RSS: the CLI's VmHWM over the whole run."
  echo
;; esac

case ",$PARTS," in *,w4,*)
  if [ ! -f "$KIT/peers.py" ]; then
    echo "bench/mf.sh: the benchmark kit is not at $KIT (set BENCH_KIT)" >&2
    exit 2
  fi
  BENCH_VENV="$VENV" bash "$KIT/setup.sh" >&2
  "$VENV/bin/python" "$KIT/gen_workloads.py" "$DATA" >&2
  W4DIR=${W4DIR:-.bench/w4}
  mkdir -p "$W4DIR"
  for f in "$DATA"/w4_fold*_{train,test}.tsv; do
    ln -sf "$(realpath "$f")" "$W4DIR/$(basename "$f")"
  done
  echo "## W4 lowrank (fit only, no parsing)"
  ./target/release/lowrank-bench "$DATA" --only W4 --repeat "$REPEAT" --json "$W4DIR/lowrank.json"
  echo
  echo "## W4 peers (Surprise)"
  "$VENV/bin/python" "$KIT/peers.py" "$W4DIR" --only W4 --repeat "$REPEAT"
  echo
  echo "## W4 comparison (same sitting)"
  python3 bench/compare.py "$W4DIR/lowrank.json" "$W4DIR/peers.json"
;; esac
