#!/usr/bin/env bash
# Scale: features + training of the churn model on a generated log of about
# 100M events (3,120,000 customers), inside DuckDB (a file on disk, through
# `train --engine duckdb`) against in-process ChurnKit on the CSV file, and
# the feature query in local Spark over Parquet against `churnkit features`.
# Prints time and peak memory (the largest process: ChurnKit, DuckDB's shell
# or Spark's JVM) of each, and the projected time per billion events.
#   bench/scale.sh                          (about 25 minutes on 2 cores)
#   CUSTOMERS=312000 bench/scale.sh         (the 10M-event log, 3 minutes)
#   SPARK=0 bench/scale.sh                  (without Spark)
# Loading the CSV into DuckDB or Parquet is timed apart: it is a one-off.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
customers=${CUSTOMERS:-3120000}
ck=${CHURNKIT:-.build/release/churnkit}
big=bench/data/scale-$customers
if [ ! -f "$big/events.csv" ]; then
  "$ck" generate --customers "$customers" --seed 7 --out "$big" >&2
fi
events=$(($(wc -l <"$big/events.csv") - 1))
echo "log: $big/events.csv, $events events, $(du -h "$big/events.csv" | cut -f1)"
export PATH="$PWD/.venv/bin:$PATH"  # DuckDB's shell (duckdb-cli) and spark-submit
spec=bench/out/scale-spec.json
echo '{"interventions": ["discount_offer", "loyalty_call", "onboarding_help"]}' >"$spec"
options=(--cutoff 2025-06-30 --horizon 90d --churn-definition event:cancel --spec "$spec" --l2 1 --holdout 0.3)
measure() { # label, command…: one line "label: S s, peak M MB, N s per billion events"
  local label=$1
  shift
  if ! /usr/bin/time -o /tmp/churnkit-scale.time -f "%e %M" "$@" >/dev/null 2>/tmp/churnkit-scale.err; then
    cat /tmp/churnkit-scale.err >&2
    return 1
  fi
  local seconds kilobytes
  read -r seconds kilobytes </tmp/churnkit-scale.time
  python3 -c "s, kb, n = $seconds, $kilobytes, $events
print(f'$label: {s:.1f} s, peak {kb / 1024:.0f} MB, {s / n * 1e9 / 60:.0f} min per billion events')"
}
if [ ! -f "$big/events.duckdb" ]; then
  /usr/bin/time -f "load into DuckDB: %e s (one-off)" .venv/bin/python bench/scale_load.py duckdb "$big/events.csv" "$big/events.duckdb"
fi
measure "in-process train --events (CSV)" "$ck" train --events "$big/events.csv" "${options[@]}" \
  --out bench/out/scale-local.json
measure "train --engine duckdb" "$ck" train --engine duckdb --connection "$big/events.duckdb" \
  "${options[@]}" --out bench/out/scale-duckdb.json
.venv/bin/python - <<'PY'
import json
local, engine = (json.load(open(f"bench/out/scale-{k}.json"))["model"] for k in ("local", "duckdb"))
worst = max(abs(a["coefficient"] - b["coefficient"]) / max(1, abs(b["coefficient"]))
            for a, b in zip(engine["fit"]["terms"], local["fit"]["terms"]))
print(f"same terms: {[t['name'] for t in engine['fit']['terms']] == [t['name'] for t in local['fit']['terms']]}, "
      f"largest coefficient difference {worst:.1e}; {local['training']['rows']} training rows, "
      f"{len(local['features'])} features, {engine['fit']['iterations']} Newton steps")
PY
if [ "${SPARK:-1}" = 1 ]; then
  if [ ! -d "$big/events.parquet" ]; then
    /usr/bin/time -f "load into Parquet: %e s (one-off)" .venv/bin/python bench/scale_load.py parquet "$big/events.csv" "$big/events.parquet"
  fi
  "$ck" export --model bench/out/scale-local.json --format sql-features --dialect spark \
    --as-of 2025-06-30 >bench/out/scale-features-spark.sql
  measure "churnkit features (CSV)" "$ck" features --events "$big/events.csv" --spec "$spec" \
    --cutoff 2025-06-30 --horizon 90d --churn-definition event:cancel --out -
  measure "feature query in local Spark (Parquet), the Python driver" .venv/bin/python bench/scale_spark.py \
    "$big/events.parquet" bench/out/scale-features-spark.sql bench/out/scale-spark-jvm.txt
  echo "  Spark's JVM: peak $(cat bench/out/scale-spark-jvm.txt)"
fi
