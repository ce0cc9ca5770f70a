"""Cross-check: `churnkit touchpoints` against a direct pandas computation
on a public clickstream — the online shop log retentioneering ships (3,751
users, 32,283 events with microsecond times, no stages).

Sessions are cut after 30 minutes of silence (and, in a second run, after
2 minutes); every transition between consecutive events of a session, from
the session's start and to its end, is counted by pandas with its share of
the transitions out of its first event, its distinct users, the median
seconds between the two events and the A → B → A loops; ChurnKit's CSV
equals it edge for edge.
"""
import importlib.util
import json
import pathlib
import subprocess

import numpy as np
import pandas as pd
import pytest

from test_features import CHURNKIT, ROOT

SHOP = pathlib.Path(importlib.util.find_spec("retentioneering").origin).parent / "datasets/data/simple-onlineshop.csv"


def pandas_graph(gap_seconds):
    """The transition table by the definition, in pandas."""
    raw = pd.read_csv(SHOP, dtype={"user_id": str})
    raw["t"] = pd.to_datetime(raw.timestamp)
    raw["order"] = np.arange(len(raw))
    raw = raw.sort_values(["user_id", "t", "order"], kind="stable").reset_index(drop=True)
    new_user = raw.user_id != raw.user_id.shift()
    gap = (raw.t - raw.t.shift()).dt.total_seconds()
    raw["session"] = (new_user | (gap > gap_seconds)).cumsum()
    rows = []
    for _, s in raw.groupby("session", sort=False):
        events, times, user = list(s.event), list(s.t), s.user_id.iloc[0]
        rows.append(("(session start)", events[0], None, user, False))
        for i in range(1, len(events)):
            loop = i >= 2 and events[i] == events[i - 2] and events[i] != events[i - 1]
            rows.append((events[i - 1], events[i], (times[i] - times[i - 1]).total_seconds(), user, False))
            if loop:
                rows.append((events[i - 2], events[i - 1], None, user, True))
        rows.append((events[-1], "(session end)", None, user, False))
    pairs = pd.DataFrame(rows, columns=["from", "to", "seconds", "user", "loop"])
    moves = pairs[~pairs.loop]
    table = moves.groupby(["from", "to"]).agg(transitions=("user", "size"), customers=("user", "nunique"),
                                               median_seconds=("seconds", "median"))
    table["share"] = table.transitions / table.groupby(level="from").transitions.transform("sum")
    table["loops"] = pairs[pairs.loop].groupby(["from", "to"]).size().reindex(table.index).fillna(0).astype(int)
    return table, raw.session.nunique()


@pytest.mark.parametrize("gap, option", [(1800, "30min"), (120, "2min")])
def test_transitions_equal_pandas_on_a_public_clickstream(tmp_path, gap, option):
    r = subprocess.run([CHURNKIT, "touchpoints", "--events", SHOP, "--id-column", "user_id", "--session-gap", option,
                        "--out", tmp_path / "t.csv", "--json"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    graph = json.loads(r.stdout)
    expected, sessions = pandas_graph(gap)
    assert graph["sessions"] == sessions and graph["customers"] == 3751 and graph["events"] == 32283
    ours = pd.read_csv(tmp_path / "t.csv").set_index(["from", "to"])
    assert sorted(ours.index) == sorted(expected.index)
    e = expected.loc[ours.index]
    assert (ours.transitions == e.transitions).all() and (ours.customers == e.customers).all()
    assert (ours.loops == e.loops).all()
    assert np.allclose(ours.share, e.share, rtol=1e-12, atol=0)
    timed = e.median_seconds.notna()
    assert (ours.median_seconds.notna() == timed).all()
    assert np.allclose(ours.median_seconds[timed], e.median_seconds[timed], rtol=1e-9, atol=1e-6)
    # Sorted by transitions, strongest first; every session ends somewhere.
    assert list(ours.transitions) == sorted(ours.transitions, reverse=True)
    assert ours.xs("(session end)", level="to").transitions.sum() == sessions
    assert "Where sessions end" in r.stderr and "payment_done" in r.stderr


def test_bad_session_gap_is_a_clear_error(tmp_path):
    r = subprocess.run([CHURNKIT, "touchpoints", "--events", SHOP, "--id-column", "user_id", "--session-gap", "30m"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 64
    assert "Invalid value '30m' for '--session-gap': expected a positive time" in r.stderr
