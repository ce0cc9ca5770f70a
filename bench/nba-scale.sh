#!/usr/bin/env bash
# How much data the next-best-action plan needs: the default (hazard) learner
# trained on generated sets of 20,000 and 40,000 customers, several seeds,
# each plan judged by the exact truth (every customer replayed in the
# generator, 1,000 futures to choose and, independent, 1,000 to value) as of
# 2025-12-30 with the catalog's capacities. Prints one line per set: plan /
# oracle, and the plan's true net value against "treat the highest risk".
# With EFFECTS=behavioural the sets come from `generate --action-effects behavioural`
# (effects that depend on latent satisfaction, tenure and usage, drawn per seed), and
# BUDGET=amount plans under a budget. Each line also says how many of the customers
# the plan treats get an action whose true effect on them is harmful.
#   bench/nba-scale.sh [seeds...]     (default seeds 7 11 23; about 5 minutes per 20k set and
#                                       10 per 40k set on 2 cores; CUSTOMERS="20000 40000" sets the sizes,
#                                       REPLICATIONS the futures per customer, 1000 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product churnkit >&2
ck=.build/release/churnkit
seeds=("${@:-7 11 23}")
mkdir -p bench/out
effects=${EFFECTS:-plan}
suffix=$([ "$effects" = plan ] && echo "" || echo "-$effects")
for customers in ${CUSTOMERS:-20000 40000}; do
  for seed in ${seeds[@]}; do
    d=bench/out/gen$((customers / 1000))k-s$seed$suffix
    [ -f "$d/events.csv" ] || "$ck" generate --customers "$customers" --seed "$seed" --action-effects "$effects" --out "$d" >&2
    model=bench/out/nba-$(basename "$d")-hazard.json
    "$ck" train --events "$d/events.csv" --customers "$d/customers.csv" --cutoff 2025-06-30 --horizon 90d \
      --churn-definition event:cancel --spec models/feature-spec.json --l2 1 --holdout 0.3 \
      --actions models/actions.json --out "$model" > /dev/null 2>&1
    result=$("$ck" recommend --model "$model" --events "$d/events.csv" --customers "$d/customers.csv" \
      --as-of 2025-12-30 --truth "$d/truth.json" --truth-method simulate --truth-replications "${REPLICATIONS:-1000}" \
      --out "$model.plan.csv" --truth-out "$model.truth.csv" ${BUDGET:+--budget "$BUDGET"} | sed -n '/True value/,$p')
    reach=$(grep -o 'reaches [0-9.-]*%' <<< "$result")
    plan=$(awk '/^  recommended/ {print $NF}' <<< "$result")
    risk=$(awk '/^  treat the highest risk/ {print $NF}' <<< "$result")
    harmed=$(python3 bench/nba_harmed.py "$model.plan.csv" "$model.truth.csv")
    echo "$customers customers, seed $seed${BUDGET:+, budget $BUDGET}: plan $reach of the oracle; true net value $plan against $risk for treat the highest risk; $harmed"
  done
done
