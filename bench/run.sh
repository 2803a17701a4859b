#!/usr/bin/env bash
# Side-by-side benchmark: lowrank against NumPy/SciPy/scikit-learn on the shared workloads,
# in one sitting on one machine, reported as ratios.
#
#   bash bench/run.sh                 # W1,W2,W3, 3 rounds each
#   ONLY=W3 REPEAT=5 bash bench/run.sh
#   ONLY=W5,W6 bash bench/run.sh      # PCA and LSA (issue 4)
#
# Installs the pinned peer tools into .bench/venv (PyPI wheels), writes the workload files into
# .bench/data (about 1.35 GB, git-ignored; generated once), builds lowrank in release mode, then
# runs lowrank-bench (compute time, no parsing), the peers, and end-to-end CLI runs (parsing
# included, peak memory), and prints one comparison table. Needs ../shared/bench (the kit) or
# BENCH_KIT pointing at it.
set -euo pipefail
cd "$(dirname "$0")/.."
KIT=${BENCH_KIT:-../shared/bench}
DATA=${BENCH_DATA:-.bench/data}
VENV=${BENCH_VENV:-.bench/venv}
ONLY=${ONLY:-W1,W2,W3}
REPEAT=${REPEAT:-3}
if [ ! -f "$KIT/peers.py" ]; then
  echo "bench/run.sh: the benchmark kit is not at $KIT (set BENCH_KIT)" >&2
  exit 2
fi
mkdir -p "$DATA"
BENCH_VENV="$VENV" bash "$KIT/setup.sh" >&2
"$VENV/bin/python" "$KIT/gen_workloads.py" "$DATA" >&2
cargo build --release -q -p lowrank-cli -p lowrank-bench
echo "## lowrank (compute only)"
./target/release/lowrank-bench "$DATA" --only "$ONLY" --repeat "$REPEAT" --json "$DATA/lowrank.json"
echo
echo "## end to end (CLI: parse + compute + certificate + write)"
e2e() {
  local name=$1; shift
  ./target/release/lowrank svd "$@" --json --quiet | python3 bench/e2e_row.py "$name"
}
echo "| run | method | read s | compute s | certificate s | total s | input MiB | peak RSS MiB | peak RSS while computing MiB | max residual |"
echo "|---|---|---|---|---|---|---|---|---|---|"
case ",$ONLY," in *,W1,*) e2e "W1 2000² exact" "$DATA/w1_square_2000.npy" --method exact --rank 2000 ;; esac
case ",$ONLY," in *,W2,*) e2e "W2 top-50" "$DATA/w2_lowrank_20000x2000.npy" --rank 50 ;; esac
case ",$ONLY," in *,W3,*) e2e "W3 top-20" "$DATA/w3_sparse_200000x50000.mtx" --rank 20 ;; esac
case ",$ONLY," in *,W5,*)
  echo
  echo "W5 end to end: \`lowrank pca w5_pca_100000x1000.npy --components 50\`"
  ./target/release/lowrank pca "$DATA/w5_pca_100000x1000.npy" --components 50 --json --quiet |
    python3 -c 'import json,sys; d=json.load(sys.stdin); t=d["timings"]; print("read %.3f s, fit %.3f s (solver %s)" % (t["read_seconds"], t["fit_seconds"], d["solver"]))' ;;
esac
case ",$ONLY," in *,W6,*)
  echo
  echo "W6 end to end: \`lowrank lsa fortunes --topics 100 --tol 1e-10\` (reading the 14,397 files included)"
  ./target/release/lowrank lsa "$DATA/fortunes" --topics 100 --tol 1e-10 --json --quiet |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps(d.get("timings", d.get("timing"))))' ;;
esac
echo
echo "## peers"
"$VENV/bin/python" "$KIT/peers.py" "$DATA" --only "$ONLY" --repeat "$REPEAT"
echo
echo "## ratios (peer median / lowrank median, same sitting)"
python3 bench/compare.py "$DATA/lowrank.json" "$DATA/peers.json"
