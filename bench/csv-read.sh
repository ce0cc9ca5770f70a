#!/usr/bin/env bash
# Benchmark: read a 10M-row generated events CSV into typed columns.
# ChurnKit's reader (churnkit-bench ingest) beside polars' read_csv (string and
# categorical id columns) and wc -l,
# in the same run, median of 3 whole-process runs. Prints a Markdown table.
#   bench/csv-read.sh            (about 2 minutes, plus data generation once)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
scripts/bootstrap
scripts/python-env
swift build -c release --product churnkit >&2
swift build -c release --product churnkit-bench >&2
data=bench/data/10m
if [ ! -f "$data/events.csv" ]; then
  .build/release/churnkit generate --customers 312000 --seed 7 --out "$data" >&2
fi
file="$data/events.csv"
bytes=$(stat -c %s "$file")
echo "file: $file, $(wc -l < "$file") lines, $bytes bytes"
echo "BLAS: $(.build/release/churnkit --version | sed -n 2p)"
echo "polars: $(.venv/bin/python -c 'import polars; print(polars.__version__, "threads", polars.thread_pool_size())')"
echo "cores: $(nproc)"
echo
.venv/bin/python bench/compare.py --runs 3 --bytes "$bytes" --peer polars \
  "wc -l=wc -l $file" \
  "polars=.venv/bin/python bench/polars_read.py $file string" \
  "polars categorical=.venv/bin/python bench/polars_read.py $file categorical" \
  "churnkit=.build/release/churnkit-bench ingest $file" \
  "churnkit validate=.build/release/churnkit validate $file --json"
