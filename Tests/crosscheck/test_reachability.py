"""Who is still there to be reached, checked from outside.

`churnkit train --actions` tallies, per stage and days of silence, how many
snapshot customers showed activity of their own within the horizon after
the snapshot; `churnkit recommend` scales each action's gain by that share.
Both are recomputed here from the raw log with pandas: the snapshot grid,
each customer's stage (latest event with a stage, ties to the later stage),
silence (days since their last event that is not an action), activity in
the window after (any event but an action, the churn event included), and
then every planned customer's chance and net value."""
import json
import os
import subprocess

import numpy as np
import pandas as pd

from test_features import CHURNKIT, ROOT

EVENTS = os.path.join(ROOT, "training-data", "events.csv")
CUSTOMERS = os.path.join(ROOT, "training-data", "customers.csv")
DAY = 86_400_000_000
BIN_ENDS = [7, 14, 30, 60, 90, 180, 365]
NEVER_DAYS = 3650.0


def log():
    frame = pd.read_csv(EVENTS, dtype={"customer_id": str})
    stamps = pd.to_datetime(frame["timestamp"], utc=True)
    frame["t"] = (stamps - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta(microseconds=1)
    return frame


def silence_bin(days):
    return int(np.searchsorted(BIN_ENDS, days, side="right"))


def snapshot(frame, T, stages, actions, churn_event):
    """Per customer seen by T and not churned by then: stage index (or -1),
    silence in days."""
    before = frame[frame["t"] <= T]
    churned = set(before.loc[before["event"] == churn_event, "customer_id"])
    before = before[~before["customer_id"].isin(churned)]
    own = before[~before["event"].isin(actions) & (before["event"] != churn_event)]
    last_own = own.groupby("customer_id")["t"].max()
    staged = before[before["stage"].isin(stages)].copy()
    staged["s"] = staged["stage"].map({s: i for i, s in enumerate(stages)})
    latest = staged.sort_values(["t", "s"]).groupby("customer_id").tail(1).set_index("customer_id")["s"]
    customers = pd.Index(before["customer_id"].unique())
    silence = ((T - last_own.reindex(customers)) / DAY).fillna(NEVER_DAYS).clip(upper=NEVER_DAYS)
    return pd.DataFrame({"stage": latest.reindex(customers).fillna(-1).astype(int), "silence": silence})


def test_the_reachability_table_and_the_scaled_plan_match_a_direct_computation(quickstart_model, tmp_path):
    model = json.load(open(quickstart_model["model"]))["model"]
    uplift = model["uplift"]
    reach = uplift["reachability"]
    stages = uplift["stages"]
    actions = [a["id"] for a in uplift["catalog"]["actions"]]
    horizon, window = uplift["horizonDays"], uplift["windowDays"]
    frame = log()
    types = sorted(set(frame["event"]) - set(actions) - {"cancel"})
    assert sorted(f.removeprefix("days_since_last_") for f in reach["silenceFeatures"]) == types

    # The tally, from every snapshot of the grid.
    start, end = frame["t"].min(), frame["t"].max()
    first = (start // DAY + 60) * DAY + DAY - 1
    last = end - horizon * DAY - window * DAY
    rows = np.zeros((len(stages), len(BIN_ENDS) + 1), dtype=int)
    active = np.zeros_like(rows)
    pooled_rows = np.zeros(len(BIN_ENDS) + 1, dtype=int)
    pooled_active = np.zeros_like(pooled_rows)
    for T in range(first, last + 1, window * DAY):
        snap = snapshot(frame, T, stages, actions, "cancel")
        after = frame[(frame["t"] > T) & (frame["t"] <= T + horizon * DAY) & ~frame["event"].isin(actions)]
        seen = snap.index.isin(set(after["customer_id"]))
        for (stage, silence), hit in zip(snap.itertuples(index=False), seen):
            b = silence_bin(silence)
            pooled_rows[b] += 1
            pooled_active[b] += hit
            if stage >= 0:
                rows[stage, b] += 1
                active[stage, b] += hit
    assert rows.tolist() == reach["rows"]
    assert active.tolist() == reach["active"]
    assert pooled_rows.tolist() == reach["pooledRows"]
    assert pooled_active.tolist() == reach["pooledActive"]
    # Prospects silent a month are gone; paying customers are not.
    awareness, retention = stages.index("awareness"), stages.index("retention")
    assert active[awareness, 3] / rows[awareness, 3] < 0.05
    assert active[retention, 3] / rows[retention, 3] > 0.95

    # The plan: every customer's chance from the table, and the chosen
    # action's net value scaled by it.
    def chance(stage, silence):
        b = silence_bin(silence)
        if stage < 0:
            return pooled_active[b] / pooled_rows[b] if pooled_rows[b] >= 20 else 1.0
        for c in range(b, -1, -1):
            if rows[stage, c] >= 20:
                return active[stage, c] / rows[stage, c]
        return 1.0

    plan = tmp_path / "plan.csv"
    subprocess.run([CHURNKIT, "recommend", "--model", quickstart_model["model"], "--events", EVENTS,
                    "--customers", CUSTOMERS, "--as-of", "2025-12-30", "--out", plan],
                   check=True, capture_output=True, cwd=ROOT)
    planned = pd.read_csv(plan, dtype={"customer_id": str}).set_index("customer_id")
    as_of = int(pd.Timestamp("2025-12-30T23:59:59.999999Z").value // 1000)
    snap = snapshot(frame, as_of, stages, actions, "cancel").reindex(planned.index)
    expected = np.array([chance(s, d) for s, d in snap.itertuples(index=False)])
    np.testing.assert_allclose(planned["reachable"], expected, rtol=0, atol=1e-12)
    assert (expected < 0.5).sum() > 1000  # the sample's silent prospects
    costs = {a["id"]: a["cost"] for a in uplift["catalog"]["actions"]}
    given = planned[planned["action"] != "none"]
    assert len(given) > 100
    np.testing.assert_allclose(
        given["expected_net_value"],
        given["reachable"] * given["expected_uplift"] * given["value"] - given["action"].map(costs), rtol=1e-9)
