#!/usr/bin/env bash
# Benchmark: the stage model to journey.json (and the journey map) from the
# 10M-event generated file, beside ChurnKit's own feature extraction on the
# same file (issue 6: "no slower than feature extraction"), whole processes,
# median of 3, same run.
#   bench/journey.sh
source "$(dirname "$0")/setup.sh"
journey=".build/release/churnkit journey --events $data/events.csv --churn-definition event:cancel --model-out bench/out/journey.json --out bench/out/journey.html"
features=".build/release/churnkit features --events $data/events.csv --customers $data/customers.csv --cutoff 2025-06-30 --horizon 90d --churn-definition event:cancel --out bench/out/churnkit.csv"
echo "file: $data/events.csv, $(stat -c %s "$data/events.csv") bytes; cores: $(nproc)"
echo
.venv/bin/python bench/compare.py --runs 3 --bytes "$(stat -c %s "$data/events.csv")" --peer features \
  "features=$features" "journey=$journey"
