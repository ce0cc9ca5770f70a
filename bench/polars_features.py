"""Peer for bench/features.sh: polars computes ChurnKit's default feature set
(docs/features.md) and churn labels at one cutoff, vectorised, and writes the
same CSV. `--check OURS.csv` compares its numbers with ChurnKit's output.

usage: polars_features.py EVENTS CUSTOMERS CUTOFF_DATE HORIZON_DAYS OUT.csv [--check OURS.csv]
"""
import sys
from datetime import date, datetime, timezone

import polars as pl

DAY = 86_400_000_000
NEVER = 3650.0
WINDOWS = [7, 30, 90, 365]
TREND = 30
SENTIMENT_WINDOWS = [30, 90]
STAGES = ["awareness", "consideration", "purchase", "onboarding", "retention", "advocacy", "churned"]
RARE = 10
CHURN = "cancel"


def end_of_day_micros(day: str) -> int:
    d = date.fromisoformat(day)
    return int(datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp()) * 1_000_000 + DAY - 1


def features(events_path, customers_path, cutoff, horizon_days):
    T = end_of_day_micros(cutoff)
    H = horizon_days * DAY
    ev = pl.scan_csv(events_path, schema={
        "customer_id": pl.String, "timestamp": pl.String, "event": pl.String, "channel": pl.String,
        "amount": pl.Float64, "sentiment": pl.Float64, "stage": pl.String,
    }).with_columns(pl.col("timestamp").str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_zone="UTC")
                    .dt.epoch("us").alias("t")).drop("timestamp").collect()
    data_end = ev["t"].max()
    hist = ev.filter(pl.col("t") <= T).with_columns((T - pl.col("t")).alias("age"))
    after = ev.filter((pl.col("t") > T) & (pl.col("t") <= T + H))
    types = sorted(t for t in hist["event"].unique().to_list() if t != CHURN)
    channels = sorted(c for c in hist["channel"].unique().to_list() if c is not None)
    # A lone type or channel would only repeat the overall features (docs/features.md).
    types = types if len(types) > 1 else []
    channels = channels if len(channels) > 1 else []

    age, t, event = pl.col("age"), pl.col("t"), pl.col("event")
    win = lambda w: age < w * DAY
    aggs = [t.min().alias("first"), t.max().alias("last"), (event == CHURN).any().alias("churned_before")]
    aggs += [win(w).sum().alias(f"count_{w}d") for w in WINDOWS]
    for e in types:
        aggs.append(t.filter(event == e).max().alias(f"last_{e}"))
        aggs += [((event == e) & win(w)).sum().alias(f"count_{e}_{w}d") for w in WINDOWS]
    for w in WINDOWS:
        aggs += [pl.col("amount").filter(win(w)).sum().alias(f"amount_sum_{w}d"),
                 pl.col("amount").filter(win(w)).count().alias(f"amount_n_{w}d")]
    recent, previous = age < TREND * DAY, (age >= TREND * DAY) & (age < 2 * TREND * DAY)
    aggs += [recent.sum().cast(pl.Int64).alias("tc_a"), previous.sum().cast(pl.Int64).alias("tc_b"),
             pl.col("amount").filter(recent).sum().alias("ta_a"),
             pl.col("amount").filter(previous).sum().alias("ta_b")]
    aggs += [(pl.col("channel") == c).sum().alias(f"ch_{c}") for c in channels]
    aggs.append(pl.col("channel").count().alias("ch_total"))
    for s in STAGES:
        aggs += [t.filter(pl.col("stage") == s).max().alias(f"st_max_{s}"),
                 t.filter(pl.col("stage") == s).min().alias(f"st_min_{s}")]
    sent = pl.col("sentiment")
    for w in SENTIMENT_WINDOWS:
        aggs += [sent.filter(win(w)).mean().alias(f"sentiment_mean_{w}d"),
                 sent.filter(win(w)).min().alias(f"sentiment_min_{w}d"),
                 sent.filter(win(w)).count().alias(f"sentiment_count_{w}d"),
                 (sent.filter(win(w)) < 0).sum().alias(f"sentiment_negative_{w}d")]
    g = hist.group_by("customer_id").agg(aggs).filter(~pl.col("churned_before"))

    # Latest sentiment (ties: the lowest).
    last_sent = (hist.filter(sent.is_not_null()).sort(["customer_id", "t", "sentiment"], descending=[False, True, False])
                 .group_by("customer_id", maintain_order=True).first().select("customer_id", pl.col("sentiment").alias("sentiment_last")))
    # Gaps between distinct active days in the last 365.
    days = (hist.filter(age // DAY < 365).select("customer_id", (age // DAY).alias("d")).unique()
            .sort(["customer_id", "d"]).with_columns(pl.col("d").diff().over("customer_id").alias("gap")))
    gaps = days.group_by("customer_id").agg(
        pl.col("d").count().alias("active_days_365d"), pl.col("d").min().alias("dmin"), pl.col("d").max().alias("dmax"),
        pl.col("gap").drop_nulls().alias("gaps"))
    gaps = gaps.with_columns(
        pl.when(pl.col("active_days_365d") >= 2).then((pl.col("dmax") - pl.col("dmin")) / (pl.col("active_days_365d") - 1))
        .otherwise(0.0).alias("gap_mean_days"))
    gaps = gaps.with_columns(
        pl.when(pl.col("active_days_365d") >= 2)
        .then(((pl.col("gaps").list.eval((pl.element() - pl.element().mean()) ** 2).list.sum()
                / pl.col("gaps").list.len()) ** 0.5)).otherwise(0.0).alias("gap_std_days"),
        pl.when(pl.col("active_days_365d") >= 2).then(pl.col("gaps").list.first() / pl.col("gap_mean_days"))
        .otherwise(0.0).alias("gap_last_over_mean"))
    g = g.join(last_sent, on="customer_id", how="left").join(
        gaps.select("customer_id", "active_days_365d", "gap_mean_days", "gap_std_days", "gap_last_over_mean"),
        on="customer_id", how="left")

    churn_after = after.filter(event == CHURN).select("customer_id").unique().with_columns(pl.lit(1).alias("c"))
    g = g.join(churn_after, on="customer_id", how="left")
    observed = data_end >= T + H
    g = g.with_columns(pl.when(pl.col("c") == 1).then(1).otherwise(0 if observed else None).alias("label"))

    days_expr = lambda col: (T - pl.col(col)) / DAY
    out = [days_expr("first").alias("days_since_first_event"), days_expr("last").alias("days_since_last_event")]
    out += [pl.col(f"count_{w}d").cast(pl.Float64) for w in WINDOWS]
    for e in types:
        out.append(pl.min_horizontal(days_expr(f"last_{e}"), pl.lit(NEVER)).fill_null(NEVER).alias(f"days_since_last_{e}"))
        out += [pl.col(f"count_{e}_{w}d").cast(pl.Float64) for w in WINDOWS]
    for w in WINDOWS:
        out += [pl.col(f"amount_sum_{w}d"),
                pl.when(pl.col(f"amount_n_{w}d") > 0).then(pl.col(f"amount_sum_{w}d") / pl.col(f"amount_n_{w}d"))
                .otherwise(0.0).alias(f"amount_mean_{w}d")]
    trend = lambda a, b: pl.when((pl.col(a).abs() + pl.col(b).abs()) > 0).then(
        (pl.col(a) - pl.col(b)) / (pl.col(a).abs() + pl.col(b).abs())).otherwise(0.0)
    out += [trend("tc_a", "tc_b").alias(f"trend_count_{TREND}d"), trend("ta_a", "ta_b").alias(f"trend_amount_{TREND}d")]
    out += [pl.col("active_days_365d").fill_null(0).cast(pl.Float64)] + [
        pl.col(c).fill_null(0.0) for c in ("gap_mean_days", "gap_std_days", "gap_last_over_mean")]
    out += [pl.when(pl.col("ch_total") > 0).then(pl.col(f"ch_{c}") / pl.col("ch_total")).otherwise(0.0)
            .alias(f"share_channel_{c}") for c in channels]
    latest = pl.max_horizontal([pl.col(f"st_max_{s}") for s in STAGES])
    current = pl.lit(None, dtype=pl.Int32)
    for i, s in enumerate(STAGES):  # later stages win ties
        current = pl.when(pl.col(f"st_max_{s}") == latest).then(pl.lit(i)).otherwise(current)
    g = g.with_columns(current.alias("cur"))
    out += [(pl.col("cur") == i).fill_null(False).cast(pl.Float64).alias(f"stage_{s}") for i, s in enumerate(STAGES)]
    other = pl.lit(None, dtype=pl.Int64)
    earliest_current = pl.lit(None, dtype=pl.Int64)
    for i, s in enumerate(STAGES):
        other = pl.max_horizontal(other, pl.when(pl.col("cur") != i).then(pl.col(f"st_max_{s}")))
        earliest_current = pl.when(pl.col("cur") == i).then(pl.col(f"st_min_{s}")).otherwise(earliest_current)
    since = pl.when(other.is_null()).then(earliest_current).otherwise(other)
    out.append(pl.when(pl.col("cur").is_null()).then(0.0).otherwise((T - since) / DAY).alias("days_in_stage"))
    for w in SENTIMENT_WINDOWS:
        out += [pl.col(f"sentiment_mean_{w}d").fill_null(0.0), pl.col(f"sentiment_min_{w}d").fill_null(0.0),
                pl.col(f"sentiment_count_{w}d").cast(pl.Float64), pl.col(f"sentiment_negative_{w}d").cast(pl.Float64)]
    out.append(pl.col("sentiment_last").fill_null(0.0))

    table = pl.read_csv(customers_path, infer_schema=False)
    statics = [pl.col("customer_id")]
    for col in [c for c in table.columns if c != "customer_id"]:
        if col == "signup_date":
            statics.append(((T - pl.col(col).str.to_date().cast(pl.Datetime("us")).dt.epoch("us")) / DAY).alias(f"{col}_days"))
            continue
        counts = table[col].value_counts()
        kept = sorted(v for v, n in zip(counts[col].to_list(), counts["count"].to_list()) if n >= RARE and v)
        statics += [(pl.col(col) == k).cast(pl.Float64).alias(f"{col}_{k}") for k in kept]
        statics.append((~pl.col(col).is_in(kept)).cast(pl.Float64).alias(f"{col}_other"))
    static = table.select(statics)
    result = g.select([pl.col("customer_id"), pl.lit(cutoff).alias("cutoff")] + out + [pl.col("label")])
    static_names = [c for c in static.columns if c != "customer_id"]
    result = result.join(static, on="customer_id", how="left").select(
        ["customer_id", "cutoff"] + result.columns[2:-1] + static_names + ["label"])
    return result.sort("customer_id")


def main():
    events, customers, cutoff, horizon, out = sys.argv[1:6]
    df = features(events, customers, cutoff, int(horizon))
    df.write_csv(out)
    if len(sys.argv) > 7 and sys.argv[6] == "--check":
        ours = pl.read_csv(sys.argv[7], infer_schema=False)
        assert ours.columns == df.columns, set(ours.columns) ^ set(df.columns)
        assert ours["customer_id"].to_list() == df["customer_id"].to_list()
        worst = 0.0
        for name in df.columns[2:-1]:
            pair = pl.DataFrame({"a": ours[name].cast(pl.Float64), "b": df[name].cast(pl.Float64)})
            diff = pair.select(((pl.col("a") - pl.col("b")).abs()
                                / pl.max_horizontal(pl.col("a").abs(), pl.col("b").abs(), pl.lit(1.0))).max()).item()
            if diff is None or diff != diff:
                raise AssertionError(f"{name}: missing values differ")
            worst = max(worst, diff)
        assert ours["label"].to_list() == [None if v is None else str(v) for v in df["label"].to_list()]
        print(f"polars peer agrees with churnkit: {len(df)} rows x {len(df.columns) - 3} features, max relative difference {worst:.2e}")
        assert worst < 1e-9


if __name__ == "__main__":
    main()
