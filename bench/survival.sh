#!/usr/bin/env bash
# Benchmark: Cox proportional hazards (Efron ties) on a 200,000 × 20 table
# with tied whole-day durations: `churnkit survival --features` (reading,
# fit, classical and robust standard errors, concordance, curves) against
# lifelines' CoxPHFitter (reading and fit, classical errors), whole
# processes, in turns, in the same run; then both with robust errors on the
# first 20,000 rows (lifelines' score residuals take time quadratic in the
# rows: hours on the whole table).
#   bench/survival.sh
source "$(dirname "$0")/setup.sh"
table=bench/data/survival-200k.csv
[ -f "$table" ] || .venv/bin/python bench/survival_data.py 200000 20 "$table"
echo "table: 200,000 customers × 20 covariates, $(wc -c < "$table") bytes; cores: $(nproc)"
.venv/bin/python bench/compare.py --runs 3 --bytes "$(wc -c < "$table")" --peer lifelines \
  "churnkit=.build/release/churnkit survival --features $table --out -" \
  "lifelines=.venv/bin/python bench/survival_peer.py $table"
small=bench/data/survival-20k.csv
[ -f "$small" ] || head -n 20001 "$table" > "$small"
echo
echo "robust standard errors, 20,000 rows:"
.venv/bin/python bench/compare.py --runs 3 --bytes "$(wc -c < "$small")" --peer lifelines-robust \
  "churnkit=.build/release/churnkit survival --features $small --robust --out -" \
  "lifelines-robust=.venv/bin/python bench/survival_peer.py $small robust"
