#!/usr/bin/env bash
# Benchmark: the touchpoint transition table on a generated clickstream of
# 1.9 million page views (20,000 customers, `generate --clickstream`):
# `churnkit touchpoints --out` (reading, sessions at 30 minutes, every
# transition with count, share, customers, median time and loops, CSV out)
# against pandas doing the same vectorised (bench/touchpoints_peer.py),
# whole processes, in turns, in the same run; then `--changes --segment
# platform` on its own (no peer does that scan).
#   bench/touchpoints.sh
source "$(dirname "$0")/setup.sh"
clicks=bench/data/clickstream
if [ ! -f "$clicks/events.csv" ]; then
  .build/release/churnkit generate --clickstream --customers 20000 --out "$clicks" >&2
fi
log=$clicks/events.csv
echo "log: $(($(wc -l < "$log") - 1)) page views, $(wc -c < "$log") bytes; cores: $(nproc)"
.venv/bin/python bench/compare.py --runs 3 --bytes "$(wc -c < "$log")" --peer pandas \
  "churnkit=.build/release/churnkit touchpoints --events $log --out bench/out/touchpoints-churnkit.csv" \
  "pandas=.venv/bin/python bench/touchpoints_peer.py $log bench/out/touchpoints-pandas.csv"
# The two tables agree before the times mean anything.
.venv/bin/python - <<'PY'
import pandas as pd
a = pd.read_csv("bench/out/touchpoints-churnkit.csv").set_index(["from", "to"]).sort_index()
b = pd.read_csv("bench/out/touchpoints-pandas.csv").set_index(["from", "to"]).sort_index()
assert list(a.index) == list(b.index), "different transitions"
for column in ["transitions", "customers", "loops"]:
    assert (a[column] == b[column]).all(), column
assert ((a.share - b.share).abs() < 1e-12).all()
assert ((a.median_seconds - b.median_seconds).abs().fillna(0) < 1e-6).all()
print(f"tables agree: {len(a)} transitions")
PY
echo
echo "with --changes --customers --segment platform (every transition share, weekly and by segment):"
.venv/bin/python bench/compare.py --runs 3 --bytes "$(wc -c < "$log")" --peer churnkit \
  "churnkit=.build/release/churnkit touchpoints --events $log --changes --customers $clicks/customers.csv --segment platform --out bench/out/touchpoints-changes.csv"
