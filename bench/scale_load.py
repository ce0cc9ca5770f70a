"""One-off loads for bench/scale.sh: the generated events CSV into a DuckDB
file (table `events`, amounts and sentiment as DOUBLE) or a Parquet folder."""
import sys
import time

kind, source, target = sys.argv[1:4]
started = time.time()
if kind == "duckdb":
    import duckdb
    con = duckdb.connect(target)
    con.execute(f"""CREATE TABLE events AS SELECT customer_id, "timestamp", event, channel,
        TRY_CAST(amount AS DOUBLE) AS amount, TRY_CAST(sentiment AS DOUBLE) AS sentiment, stage
        FROM read_csv('{source}', header = true, all_varchar = true)""")
    con.close()
else:
    import duckdb
    duckdb.sql(f"""COPY (SELECT customer_id, "timestamp", event, channel,
        TRY_CAST(amount AS DOUBLE) AS amount, TRY_CAST(sentiment AS DOUBLE) AS sentiment, stage
        FROM read_csv('{source}', header = true, all_varchar = true))
        TO '{target}' (FORMAT PARQUET, PER_THREAD_OUTPUT true)""")
print(f"{kind}: {time.time() - started:.1f} s", file=sys.stderr)
