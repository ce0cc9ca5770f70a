#!/usr/bin/env bash
# Benchmark: customer lifetime value on CDNOW (the 69,659-purchase log
# lifetimes ships; 23,570 customers), calibration to 1997-09-30: `churnkit
# clv` (reading, summary, BG/NBD or Pareto/NBD and Gamma-Gamma fits, every
# customer's P(alive), expected purchases, spend and 12-month CLV, CSV out)
# against lifetimes doing the same, whole processes, in turns, in the same run.
#   bench/clv.sh
source "$(dirname "$0")/setup.sh"
log=bench/data/cdnow.csv
if [ ! -f "$log" ]; then
  .venv/bin/python - "$log" <<'PY'
import pathlib, sys
import lifetimes.datasets
import pandas as pd
folder = pathlib.Path(lifetimes.datasets.__file__).parent
raw = pd.read_csv(folder / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str, "date": str})
raw.to_csv(sys.argv[1], index=False)
PY
fi
mapping="--id-column customer_id --time-column date --time-format yyyyMMdd --event-name purchase --amount-column dollar_value"
echo "log: CDNOW, $(($(wc -l < "$log") - 1)) purchases, $(wc -c < "$log") bytes; cores: $(nproc)"
for model in bg-nbd pareto-nbd; do
  echo
  echo "$model:"
  .venv/bin/python bench/compare.py --runs 3 --bytes "$(wc -c < "$log")" --peer lifetimes \
    "churnkit=.build/release/churnkit clv --events $log $mapping --as-of 1997-09-30 --model $model --out bench/out/clv-churnkit.csv" \
    "lifetimes=.venv/bin/python bench/clv_peer.py $log 1997-09-30 $model bench/out/clv-lifetimes.csv"
done
