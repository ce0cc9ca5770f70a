"""The peer of `churnkit touchpoints --out`: the same transition table in
pandas, vectorised (read, sort by customer and time, cut sessions at 30
minutes of silence, every move within a session with the session's start
and end, then per transition: count, share of the moves out of its first
event, customers, median seconds, A → B → A loops), written as CSV.

usage: touchpoints_peer.py EVENTS OUT
"""
import sys

import numpy as np
import pandas as pd

events, out = sys.argv[1], sys.argv[2]
raw = pd.read_csv(events, usecols=["customer_id", "timestamp", "event"], dtype={"customer_id": str, "event": str})
raw["t"] = pd.to_datetime(raw.timestamp, utc=True, format="ISO8601")
raw["order"] = np.arange(len(raw))
raw = raw.sort_values(["customer_id", "t", "order"], kind="stable").reset_index(drop=True)
same_customer = raw.customer_id == raw.customer_id.shift()
gap = (raw.t - raw.t.shift()).dt.total_seconds()
raw["session"] = (~same_customer | (gap > 1800)).cumsum()
next_in_session = raw.session.shift(-1) == raw.session
first_in_session = raw.session != raw.session.shift()
moves = pd.DataFrame({
    "from": raw.event, "to": raw.event.shift(-1).where(next_in_session, "(session end)"),
    "customer": raw.customer_id,
    "seconds": (raw.t.shift(-1) - raw.t).dt.total_seconds().where(next_in_session)})
starts = pd.DataFrame({"from": "(session start)", "to": raw.event[first_in_session],
                       "customer": raw.customer_id[first_in_session], "seconds": np.nan})
# A → B → A: the event two back is the same, the one between differs, all in one session.
back2 = raw.event.shift(2)
loop = (raw.session == raw.session.shift(2)) & (raw.event == back2) & (raw.event != raw.event.shift(1))
loops = pd.DataFrame({"from": back2[loop], "to": raw.event.shift(1)[loop]}).value_counts().rename("loops")
all_moves = pd.concat([starts, moves], ignore_index=True)
table = all_moves.groupby(["from", "to"]).agg(
    transitions=("customer", "size"), customers=("customer", "nunique"), median_seconds=("seconds", "median"))
table["share"] = table.transitions / table.groupby(level="from").transitions.transform("sum")
table = table.join(loops, how="left").fillna({"loops": 0}).astype({"loops": int})
table = table.reset_index().sort_values(["transitions", "from", "to"], ascending=[False, True, True])
table[["from", "to", "transitions", "share", "customers", "median_seconds", "loops"]].to_csv(out, index=False)
