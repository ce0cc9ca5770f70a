"""Peer for bench/csv-read: polars reads the events CSV into typed columns.

Strings for ids and categories, Float64 for amount and sentiment, and the
ISO-8601 timestamp parsed to Datetime(us, UTC) -- the same typed result
ChurnKit's reader produces (ChurnKit interns the strings as well).
Prints one JSON line like churnkit-bench.
"""
import json
import os
import sys
import time

import polars as pl

path = sys.argv[1]
start = time.perf_counter()
df = pl.read_csv(
    path,
    schema={
        "customer_id": pl.String,
        "timestamp": pl.String,
        "event": pl.String,
        "channel": pl.String,
        "amount": pl.Float64,
        "sentiment": pl.Float64,
        "stage": pl.String,
    },
)
df = df.with_columns(pl.col("timestamp").str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_zone="UTC"))
seconds = time.perf_counter() - start
print(json.dumps({"mode": "polars", "seconds": seconds, "rows": df.height, "bytes": os.path.getsize(path),
                  "threads": pl.thread_pool_size(), "version": pl.__version__}))
