#!/usr/bin/env bash
# Benchmark: read a 10M-row generated events CSV into typed columns.
# ChurnKit's reader (churnkit-bench ingest) beside polars' read_csv (string and
# categorical id columns) and wc -l,
# in the same run, median of 3 whole-process runs. Prints a Markdown table.
#   bench/csv-read.sh            (about 2 minutes, plus data generation once)
source "$(dirname "$0")/setup.sh"
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
