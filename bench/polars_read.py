"""Peer for bench/csv-read: polars reads the events CSV into typed columns.

usage: polars_read.py FILE [string|categorical]

Float64 for amount and sentiment and the ISO-8601 timestamp parsed to
Datetime(us, UTC). The id and category columns are plain strings
("string", polars' fastest read) or dictionary-encoded ("categorical"),
which is what ChurnKit's reader produces (dense integer ids per column).
Prints one JSON line like churnkit-bench.
"""
import json
import os
import sys
import time

import polars as pl

path = sys.argv[1]
kind = sys.argv[2] if len(sys.argv) > 2 else "string"
text = pl.Categorical if kind == "categorical" else pl.String
start = time.perf_counter()
df = pl.read_csv(
    path,
    schema={
        "customer_id": text,
        "timestamp": pl.String,
        "event": text,
        "channel": text,
        "amount": pl.Float64,
        "sentiment": pl.Float64,
        "stage": text,
    },
)
df = df.with_columns(pl.col("timestamp").str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_zone="UTC"))
seconds = time.perf_counter() - start
print(json.dumps({"mode": "polars-" + kind, "seconds": seconds, "rows": df.height, "bytes": os.path.getsize(path),
                  "threads": pl.thread_pool_size(), "version": pl.__version__}))
