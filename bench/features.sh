#!/usr/bin/env bash
# Benchmark: features and labels at one cutoff from the 10M-event generated
# file — ChurnKit beside polars computing the same feature set (checked equal
# on the shipped sample first), whole processes, median of 3, same run.
#   bench/features.sh
source "$(dirname "$0")/setup.sh"
ck=".build/release/churnkit features --events $data/events.csv --customers $data/customers.csv --cutoff 2025-06-30 --horizon 90d --churn-definition event:cancel --out bench/out/churnkit.csv"
pl=".venv/bin/python bench/polars_features.py $data/events.csv $data/customers.csv 2025-06-30 90 bench/out/polars.csv"
# Same computation: on the sample, the peer's output must equal ChurnKit's.
.build/release/churnkit features --events training-data/events.csv --customers training-data/customers.csv \
  --cutoff 2025-06-30 --horizon 90d --churn-definition event:cancel --out bench/out/sample.csv 2>/dev/null
.venv/bin/python bench/polars_features.py training-data/events.csv training-data/customers.csv 2025-06-30 90 \
  bench/out/sample-polars.csv --check bench/out/sample.csv
echo "file: $data/events.csv, $(stat -c %s "$data/events.csv") bytes; cores: $(nproc)"
echo
.venv/bin/python bench/compare.py --runs 3 --bytes "$(stat -c %s "$data/events.csv")" --peer polars \
  "polars=$pl" "churnkit=$ck"
