#!/usr/bin/env bash
# Time and peak memory of `train --actions` on the 10M-event, 312,000-customer
# bench log: the churn model, then uplift learned from every customer (the
# snapshot dates read a block at a time). No peer runs this job; the figure
# to compare with is the one before (an 11.7% sample of customers: 69 s,
# 3.1 GB) in docs/benchmarks.md.
#   bench/uplift-memory.sh        (about 5 minutes on 2 cores)
set -euo pipefail
source "$(dirname "$0")/setup.sh"
/usr/bin/time -f "train --actions: %e s wall, peak %M KB" .build/release/churnkit train \
  --events "$data/events.csv" --customers "$data/customers.csv" --cutoff 2025-06-30 --horizon 90d \
  --churn-definition event:cancel --spec models/feature-spec.json --l2 1 --holdout 0.3 \
  --actions models/actions.json --out bench/out/uplift-10m.json 2>&1 >/dev/null | grep -E "train --actions|error"
python3 - <<'PY'
import json
u = json.load(open("bench/out/uplift-10m.json"))["model"]["uplift"]
for a in u["evaluation"]["actions"]:
    print(f'{a["action"]}: {a["treatedRows"]} treated, {a["controlRows"]} controls on the holdout')
PY
