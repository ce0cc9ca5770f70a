"""An independent implementation of ChurnKit's default feature set
(docs/features.md), in polars, used to cross-check `churnkit features`.

reference_features(events_csv, customers_csv, cutoff_date, horizon_days,
churn_event) -> (feature names, {customer_id: [values]}, {customer_id: label})
"""
from datetime import date, datetime, timezone

import polars as pl

DAY = 86_400_000_000
NEVER = 3650.0
WINDOWS = [7, 30, 90, 365]
TREND = 30
SENTIMENT_WINDOWS = [30, 90]
STAGES = ["awareness", "consideration", "purchase", "onboarding", "retention", "advocacy", "churned"]
RARE = 10


def micros(d: datetime) -> int:
    return (d - datetime(1970, 1, 1, tzinfo=timezone.utc)) // __import__("datetime").timedelta(microseconds=1)


def end_of_day(day: str) -> int:
    d = date.fromisoformat(day)
    return micros(datetime(d.year, d.month, d.day, tzinfo=timezone.utc)) + DAY - 1


def load_events(path: str) -> pl.DataFrame:
    df = pl.read_csv(path, schema_overrides={"amount": pl.Float64, "sentiment": pl.Float64,
                                             "customer_id": pl.String, "channel": pl.String, "stage": pl.String})
    return df.with_columns(
        pl.col("timestamp").str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_zone="UTC")
        .dt.epoch("us").alias("t"))


def trend(recent: float, previous: float) -> float:
    scale = abs(recent) + abs(previous)
    return (recent - previous) / scale if scale > 0 else 0.0


def reference_features(events_csv, customers_csv, cutoff_date, horizon_days, churn_event):
    T = end_of_day(cutoff_date)
    H = horizon_days * DAY
    ev = load_events(events_csv)
    data_end = ev["t"].max()
    hist = ev.filter(pl.col("t") <= T).with_columns(((T - pl.col("t"))).alias("age"))
    after = ev.filter((pl.col("t") > T) & (pl.col("t") <= T + H))

    churned_before = set(hist.filter(pl.col("event") == churn_event)["customer_id"].to_list())
    churn_after = set(after.filter(pl.col("event") == churn_event)["customer_id"].to_list())
    customers = sorted(set(hist["customer_id"].to_list()) - churned_before, key=lambda s: s.encode())
    observed = data_end >= T + H
    labels = {c: (1 if c in churn_after else (0 if observed else None)) for c in customers}

    types = sorted(t for t in set(hist["event"].to_list()) if t != churn_event)
    channels = sorted(set(hist["channel"].drop_nulls().to_list()))

    names = ["days_since_first_event", "days_since_last_event"] + [f"count_{w}d" for w in WINDOWS]
    for e in types:
        names.append(f"days_since_last_{e}")
        names += [f"count_{e}_{w}d" for w in WINDOWS]
    for w in WINDOWS:
        names += [f"amount_sum_{w}d", f"amount_mean_{w}d"]
    names += [f"trend_count_{TREND}d", f"trend_amount_{TREND}d",
              "active_days_365d", "gap_mean_days", "gap_std_days", "gap_last_over_mean"]
    names += [f"share_channel_{c}" for c in channels]
    names += [f"stage_{s}" for s in STAGES] + ["days_in_stage"]
    for w in SENTIMENT_WINDOWS:
        names += [f"sentiment_mean_{w}d", f"sentiment_min_{w}d", f"sentiment_count_{w}d", f"sentiment_negative_{w}d"]
    names.append("sentiment_last")

    # Static attributes from the customers table.
    table = pl.read_csv(customers_csv, infer_schema=False)
    static_names, static_values = static_features(table, T)
    names += static_names

    rows = {}
    by_customer = {c: g for (c,), g in hist.group_by(["customer_id"])}
    for c in customers:
        g = by_customer[c]
        t = g["t"].to_list()
        age = g["age"].to_list()
        ev_types = g["event"].to_list()
        amount = g["amount"].to_list()
        chan = g["channel"].to_list()
        stage = g["stage"].to_list()
        sent = g["sentiment"].to_list()
        v = [(T - min(t)) / DAY, (T - max(t)) / DAY]
        v += [float(sum(1 for a in age if a < w * DAY)) for w in WINDOWS]
        for e in types:
            times = [ti for ti, x in zip(t, ev_types) if x == e]
            v.append(min((T - max(times)) / DAY, NEVER) if times else NEVER)
            v += [float(sum(1 for a, x in zip(age, ev_types) if x == e and a < w * DAY)) for w in WINDOWS]
        for w in WINDOWS:
            xs = [m for m, a in zip(amount, age) if m is not None and a < w * DAY]
            v += [float(sum(xs)), (sum(xs) / len(xs)) if xs else 0.0]
        recent = [a < TREND * DAY for a in age]
        previous = [TREND * DAY <= a < 2 * TREND * DAY for a in age]
        v.append(trend(sum(recent), sum(previous)))
        v.append(trend(sum(m for m, r in zip(amount, recent) if r and m is not None),
                       sum(m for m, p in zip(amount, previous) if p and m is not None)))
        days = sorted({a // DAY for a in age if a // DAY < 365})
        v.append(float(len(days)))
        if len(days) >= 2:
            gaps = [b - a for a, b in zip(days, days[1:])]
            mean = (days[-1] - days[0]) / len(gaps)
            std = (sum((x - mean) ** 2 for x in gaps) / len(gaps)) ** 0.5
            v += [mean, std, gaps[0] / mean]
        else:
            v += [0.0, 0.0, 0.0]
        with_channel = [x for x in chan if x is not None]
        v += [(with_channel.count(ch) / len(with_channel)) if with_channel else 0.0 for ch in channels]
        latest = {s: max((ti for ti, x in zip(t, stage) if x == s), default=None) for s in STAGES}
        current = None
        for i, s in enumerate(STAGES):
            if latest[s] is not None and (current is None or latest[s] >= latest[STAGES[current]]):
                current = i
        v += [1.0 if i == current else 0.0 for i in range(len(STAGES))]
        if current is None:
            v.append(0.0)
        else:
            others = [latest[s] for i, s in enumerate(STAGES) if i != current and latest[s] is not None]
            since = max(others) if others else min(ti for ti, x in zip(t, stage) if x == STAGES[current])
            v.append((T - since) / DAY)
        for w in SENTIMENT_WINDOWS:
            xs = [x for x, a in zip(sent, age) if x is not None and a < w * DAY]
            v += [sum(xs) / len(xs) if xs else 0.0, min(xs) if xs else 0.0, float(len(xs)),
                  float(sum(1 for x in xs if x < 0))]
        with_sentiment = [(ti, x) for ti, x in zip(t, sent) if x is not None]
        if with_sentiment:
            last_time = max(ti for ti, _ in with_sentiment)
            v.append(min(x for ti, x in with_sentiment if ti == last_time))
        else:
            v.append(0.0)
        v += static_values.get(c, static_values[None])
        rows[c] = v
    return names, rows, labels


def static_features(table: pl.DataFrame, T: int):
    """customers.csv of the generator: signup_date (a date) and three categoricals."""
    names, per_customer = [], {}
    columns = [c for c in table.columns if c != "customer_id"]
    encoders = []
    for col in columns:
        values = [v.strip() if v is not None else "" for v in table[col].to_list()]
        present = [v for v in values if v]
        if present and all(_is_number(v) for v in present):
            raise NotImplementedError("numeric static columns are not in the generated data")
        if present and all(_is_date(v) for v in present):
            names.append(f"{col}_days")
            encoders.append(("date", col, None))
            continue
        counts = {}
        for v in values:
            counts[v] = counts.get(v, 0) + 1
        kept = sorted(k for k, n in counts.items() if n >= RARE and k)
        names += [f"{col}_{k}" for k in kept] + [f"{col}_other"]
        encoders.append(("categorical", col, kept))
    ids = table["customer_id"].to_list()
    for r, cid in enumerate(ids):
        vals = []
        for kind, col, kept in encoders:
            raw = (table[col][r] or "").strip()
            if kind == "date":
                d = date.fromisoformat(raw)
                vals.append((T - micros(datetime(d.year, d.month, d.day, tzinfo=timezone.utc))) / DAY)
            else:
                vals += [1.0 if raw == k else 0.0 for k in kept] + [0.0 if raw in kept else 1.0]
        per_customer.setdefault(cid, vals)
    missing = []
    for kind, col, kept in encoders:
        missing += [0.0] if kind == "date" else [0.0] * len(kept) + [1.0]
    per_customer[None] = missing
    return names, per_customer


def _is_number(v):
    try:
        float(v)
        return True
    except ValueError:
        return False


def _is_date(v):
    try:
        date.fromisoformat(v)
        return len(v) == 10
    except ValueError:
        return False
