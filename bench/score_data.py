"""Makes the scoring benchmark's input: N customers' feature rows, drawn
with replacement from the sample's real feature rows, with new ids.
usage: score_data.py SAMPLE_FEATURES.csv N OUT.csv"""
import sys

import numpy as np
import polars as pl

sample, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
df = pl.read_csv(sample, infer_schema_length=0)
rng = np.random.default_rng(3)
rows = df[rng.integers(0, len(df), n)]
rows = rows.with_columns(pl.Series("customer_id", [f"B{i:08d}" for i in range(n)]))
rows.write_csv(out)
