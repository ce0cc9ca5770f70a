#!/usr/bin/env bash
# Benchmark: score 1M customers from a feature file to a scores CSV —
# churnkit score --features beside numpy + polars doing the same arithmetic
# (probability, band, top-3 reasons) and I/O, same run, median of 3.
# ChurnKit also writes a plain-language sentence per reason; the peer does not.
#   bench/score.sh
source "$(dirname "$0")/setup.sh"
out=bench/out/score
mkdir -p "$out"
if [ ! -f "$out/features-1m.csv" ]; then
  .build/release/churnkit train --events training-data/events.csv --customers training-data/customers.csv \
    --cutoff 2025-06-30 --horizon 90d --churn-definition event:cancel --l2 1 --spec bench/score-spec.json \
    --out "$out/model.json" > /dev/null 2>&1
  .build/release/churnkit features --events training-data/events.csv --customers training-data/customers.csv \
    --cutoff 2025-06-30 --horizon 90d --churn-definition event:cancel --spec bench/score-spec.json \
    --out "$out/sample.csv" 2>/dev/null
  .venv/bin/python bench/score_data.py "$out/sample.csv" 1000000 "$out/features-1m.csv"
fi
bytes=$(stat -c %s "$out/features-1m.csv")
echo "input: 1,000,000 rows, $(head -1 "$out/features-1m.csv" | tr ',' '\n' | wc -l) columns, $bytes bytes; cores: $(nproc)"
echo
.venv/bin/python bench/compare.py --runs 3 --bytes "$bytes" --peer "numpy+polars" \
  "numpy+polars=.venv/bin/python bench/score_peer.py $out/model.json $out/features-1m.csv $out/peer.csv" \
  "churnkit=.build/release/churnkit score --model $out/model.json --features $out/features-1m.csv --out $out/churnkit.csv 2>/dev/null"
