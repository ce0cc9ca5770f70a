#!/usr/bin/env bash
# Benchmark of decision quality: the next-best-action plan judged by the true
# effects in truth.json, beside the oracle (the same assignment with the true
# uplifts), "treat the highest risk" and random treatment, in the same run.
# Each learner (hazard, the default, and the S-learner) on the shipped sample
# and on a 20,000-customer generated set (seed 7), at two dates with the
# fast truth; then the exact truth (every customer replayed in the
# generator; 2,000 futures on the sample, 1,000 on the larger set) on both
# sets as of 2025-12-30.
#   bench/nba.sh            (about 20 minutes on 2 cores, most of it the exact truth)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product churnkit >&2
ck=.build/release/churnkit
mkdir -p bench/out
[ -f bench/out/gen20k/events.csv ] || "$ck" generate --customers 20000 --seed 7 --out bench/out/gen20k >&2
for data in training-data bench/out/gen20k; do
  for learner in hazard s; do
    model=bench/out/nba-$(basename "$data")-$learner.json
    "$ck" train --events "$data/events.csv" --customers "$data/customers.csv" --cutoff 2025-06-30 --horizon 90d \
      --churn-definition event:cancel --spec models/feature-spec.json --l2 1 --holdout 0.3 \
      --actions models/actions.json --learner "$learner" --out "$model" > /dev/null
    for asof in 2025-09-30 2025-12-30; do
      echo "== $data, learner $learner, as of $asof, capacities of models/actions.json"
      "$ck" recommend --model "$model" --events "$data/events.csv" --customers "$data/customers.csv" \
        --as-of "$asof" --truth "$data/truth.json" | sed -n '/True value/,$p'
    done
  done
done
for data in training-data bench/out/gen20k; do
  for learner in hazard s; do
    echo "== $data, learner $learner, as of 2025-12-30, exact truth (each customer replayed; futures to choose and, independent, to value)"
    "$ck" recommend --model bench/out/nba-$(basename "$data")-$learner.json --events "$data/events.csv" \
      --customers "$data/customers.csv" --as-of 2025-12-30 --truth "$data/truth.json" \
      --truth-method simulate --truth-replications "$([ "$data" = training-data ] && echo 2000 || echo 1000)" | sed -n '/True value/,$p'
  done
done
