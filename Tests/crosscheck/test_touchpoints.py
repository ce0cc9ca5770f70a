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
from statsmodels.stats.proportion import proportion_confint

from test_features import CHURNKIT, ROOT

SHOP = pathlib.Path(importlib.util.find_spec("retentioneering").origin).parent / "datasets/data/simple-onlineshop.csv"


def sessions_of(gap_seconds):
    """The log sorted by user and time (file order breaking ties), with a
    session number that changes after a silence longer than the gap."""
    raw = pd.read_csv(SHOP, dtype={"user_id": str})
    raw["t"] = pd.to_datetime(raw.timestamp)
    raw["order"] = np.arange(len(raw))
    raw = raw.sort_values(["user_id", "t", "order"], kind="stable").reset_index(drop=True)
    new_user = raw.user_id != raw.user_id.shift()
    gap = (raw.t - raw.t.shift()).dt.total_seconds()
    raw["session"] = (new_user | (gap > gap_seconds)).cumsum()
    return raw


def pandas_graph(gap_seconds, raw=None):
    """The transition table by the definition, in pandas (sessions cut at
    the gap, or those `raw`'s session column gives)."""
    raw = sessions_of(gap_seconds) if raw is None else raw
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
    graph = json.loads(r.stdout)["graph"]
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


def test_page_draws_the_graph_and_says_what_the_csv_says(tmp_path):
    """`--report`: the page renders in Chromium, no script, the graph drawn
    with its nodes and the 20 strongest transitions, and its sentences are
    the CSV's numbers; an event name that is markup stays text."""
    from test_journey_report import probe
    raw = pd.read_csv(SHOP, dtype={"user_id": str})
    raw.loc[raw.event == "product1", "event"] = "<script>alert(1)</script>"
    raw.to_csv(tmp_path / "shop.csv", index=False)
    r = subprocess.run([CHURNKIT, "touchpoints", "--events", tmp_path / "shop.csv", "--id-column", "user_id",
                        "--out", tmp_path / "t.csv", "--report", tmp_path / "t.html",
                        "--funnel", "catalog,cart,payment_done"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "t.html").read_text()
    shown = probe(text, str(tmp_path))
    assert shown["scripts"] == 1  # the probe's own
    assert shown["markupAsText"]
    graph = shown["charts"]["touchpoint-graph"]
    assert graph["width"] > 600 and graph["shapes"] >= 20 + 10
    t = pd.read_csv(tmp_path / "t.csv")
    inner = t[~t["from"].str.startswith("(") & ~t["to"].str.startswith("(") & (t["from"] != t["to"])].iloc[0]
    page = shown["text"]
    assert (f"The most taken step is {inner['from']} → {inner['to']}: {inner.transitions} times, "
            f"{100 * inner.share:.1f}% of the moves out of {inner['from']}, by {inner.customers} customers.") in page
    ends = t[(t["to"] == "(session end)") & (t["from"] != "(session start)") & (t.transitions >= 20)]
    top = ends.sort_values(["share", "transitions"], ascending=False).iloc[0]
    assert f"Sessions end most often after {top['from']} ({100 * top.share:.1f}% of its moves)" in page
    loop = t.sort_values("loops", ascending=False).iloc[0]
    assert f"The most frequent loop: {loop['from']} → {loop['to']} → {loop['from']}, {loop.loops} times" in page
    assert "The 20 strongest of %d transitions" % len(t) in page
    # The funnel: one bar per step, the end-to-end share with its interval.
    assert shown["charts"]["funnel-1"]["shapes"] >= 3
    reached, _ = pandas_funnel(["catalog", "cart", "payment_done"])
    low, high = proportion_confint(reached[-1], reached[0], alpha=0.05, method="wilson")
    assert (f"End to end, {100 * reached[-1] / reached[0]:.1f}% (95% interval {100 * low:.1f}% to "
            f"{100 * high:.1f}%)") in page


def pandas_funnel(steps, window=None, daily=False, user_filter=None):
    """Units reaching each step, and per Monday (or day) of entry the units
    entering and finishing: sessions (30-minute gaps), or users within
    `window`; only the users `user_filter` accepts, if given."""
    raw = sessions_of(1800)
    if user_filter is not None:
        raw = raw[raw.user_id.map(user_filter)]
    groups = raw.groupby("user_id" if window else "session", sort=False)
    reached, weeks = [0] * len(steps), {}
    for _, g in groups:
        events, times = list(g.event), list(g.t)
        if steps[0] not in events:
            continue
        i = events.index(steps[0])
        t0, depth = times[i], 1
        for e, t in zip(events[i + 1:], times[i + 1:]):
            if depth == len(steps) or (window and (t - t0).total_seconds() > window):
                break
            if e == steps[depth]:
                depth += 1
        for k in range(depth):
            reached[k] += 1
        monday = (t0.normalize() - pd.Timedelta(days=0 if daily else t0.weekday())).strftime("%Y-%m-%d")
        entered, done = weeks.get(monday, (0, 0))
        weeks[monday] = (entered + 1, done + (depth == len(steps)))
    return reached, weeks


@pytest.mark.parametrize("window, option", [(None, []), (7 * 86400, ["--funnel-window", "7d"])])
def test_funnels_equal_pandas(tmp_path, window, option):
    steps = ["catalog", "cart", "delivery_choice", "payment_choice", "payment_done"]
    r = subprocess.run([CHURNKIT, "touchpoints", "--events", SHOP, "--id-column", "user_id", "--funnel", ",".join(steps),
                        "--funnel", "cart,payment_done", *option, "--json"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    funnels = json.loads(r.stdout)["funnels"]
    assert [f["steps"] for f in funnels] == [steps, ["cart", "payment_done"]]
    for funnel in funnels:
        reached, weeks = pandas_funnel(funnel["steps"], window)
        assert funnel["reached"] == reached and funnel["unit"] == ("customers" if window else "sessions")
        assert {w["start"]: (w["reached"][0], w["reached"][-1]) for w in funnel["byPeriod"]} == weeks
        for k in range(1, len(reached)):
            c = funnel["conversion"][k]
            low, high = proportion_confint(reached[k], reached[k - 1], alpha=0.05, method="wilson")
            assert abs(c["share"] - reached[k] / reached[k - 1]) < 1e-15
            assert abs(c["lower95"] - low) < 1e-12 and abs(c["upper95"] - high) < 1e-12


def test_journey_page_draws_the_same_graph(tmp_path):
    """`journey --touchpoints` on the public clickstream (stages from a
    stage map, churn after 30 days of silence): the JSON carries the graph
    `touchpoints --json` gives, and the journey page draws it in Chromium."""
    from test_journey_report import probe
    (tmp_path / "stages.json").write_text(json.dumps({
        "stages": {"main": "awareness", "catalog": "awareness", "product1": "consideration",
                   "product2": "consideration", "cart": "consideration", "payment_done": "purchase"},
        "repeat": {"payment_done": "retention"}, "progression": "milestones"}))
    (tmp_path / "funnels.json").write_text(json.dumps(
        {"funnels": [{"name": "checkout", "steps": ["cart", "delivery_choice", "payment_done"]}]}))
    common = ["--events", SHOP, "--id-column", "user_id", "--session-gap", "2min",
              "--funnel", "catalog,cart,payment_done", "--funnels", tmp_path / "funnels.json"]
    r = subprocess.run([CHURNKIT, "journey", *common, "--stage-map", tmp_path / "stages.json",
                        "--inactivity", "30d", "--touchpoints", "--out", tmp_path / "j.html", "--json"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    alone = subprocess.run([CHURNKIT, "touchpoints", *common, "--json"], capture_output=True, text=True, cwd=ROOT)
    assert alone.returncode == 0, alone.stderr
    assert json.loads(r.stdout)["touchpoints"] == json.loads(alone.stdout)["graph"]
    # The funnels, the same as on the touchpoint page, named from the file.
    funnels = json.loads(r.stdout)["funnels"]
    assert funnels == json.loads(alone.stdout)["funnels"]
    assert [f.get("name") for f in funnels] == [None, "checkout"]
    expected, sessions = pandas_graph(120)
    assert json.loads(r.stdout)["touchpoints"]["sessions"] == sessions
    shown = probe((tmp_path / "j.html").read_text(), str(tmp_path))
    assert shown["charts"]["touchpoint-graph"]["shapes"] >= 20 + 10
    assert shown["charts"]["funnel-1"]["shapes"] >= 3 and shown["charts"]["funnel-2"]["shapes"] >= 3
    assert "Funnel: checkout (cart → delivery_choice → payment_done)" in shown["text"]
    assert "The 20 strongest of %d transitions between event types within sessions (a new session after 2.0 min of silence" \
        % len(expected) in shown["text"]
    # Without --touchpoints the option is a mistake, said so.
    r = subprocess.run([CHURNKIT, "journey", *common, "--stage-map", tmp_path / "stages.json",
                        "--out", tmp_path / "k.html"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 64 and "it only applies with --touchpoints" in r.stderr
    assert not (tmp_path / "k.html").exists()


def test_sessions_from_a_session_column(tmp_path):
    """`--session-column`: a session per customer and calendar day, given
    as a column, equals pandas on those sessions; the gap option is then
    refused, and so is the log on standard input."""
    raw = sessions_of(1800)
    raw["session"] = raw.user_id + "/" + raw.t.dt.strftime("%Y-%m-%d")
    raw[["user_id", "event", "timestamp", "session"]].sample(frac=1, random_state=3).to_csv(
        tmp_path / "shop.csv", index=False)
    r = subprocess.run([CHURNKIT, "touchpoints", "--events", tmp_path / "shop.csv", "--id-column", "user_id",
                        "--session-column", "session", "--out", tmp_path / "t.csv", "--json"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    graph = json.loads(r.stdout)["graph"]
    assert graph["sessionColumn"] == "session" and "sessions from the column session" in r.stderr
    expected, sessions = pandas_graph(None, raw)
    assert graph["sessions"] == sessions
    ours = pd.read_csv(tmp_path / "t.csv").set_index(["from", "to"])
    assert sorted(ours.index) == sorted(expected.index)
    e = expected.loc[ours.index]
    assert (ours.transitions == e.transitions).all() and (ours.loops == e.loops).all()
    assert (ours.customers == e.customers).all()
    r = subprocess.run([CHURNKIT, "touchpoints", "--events", tmp_path / "shop.csv", "--id-column", "user_id",
                        "--session-column", "session", "--session-gap", "1h"], capture_output=True, text=True)
    assert r.returncode == 64 and "give one or the other" in r.stderr
    r = subprocess.run([CHURNKIT, "touchpoints", "--events", tmp_path / "shop.csv", "--id-column", "user_id",
                        "--session-column", "sesion"], capture_output=True, text=True)
    assert r.returncode != 0 and "session" in r.stderr and "sesion" in r.stderr


def pandas_step_matrix(paths, steps, centre=None):
    """Share of paths at each step by event type, by the definition."""
    counts = {}
    kept = 0
    for events in paths:
        if centre is not None:
            if centre not in events:
                continue
            origin, numbers = events.index(centre), range(-steps, steps + 1)
        else:
            origin, numbers = 0, range(1, steps + 1)
        kept += 1
        for step in numbers:
            i = origin + step - (1 if centre is None else 0)
            label = "(not started)" if i < 0 else "(ended)" if i >= len(events) else events[i]
            counts.setdefault(label, {}).setdefault(step, 0)
            counts[label][step] += 1
    return {label: [by.get(s, 0) / kept for s in (range(-steps, steps + 1) if centre else range(1, steps + 1))]
            for label, by in counts.items()}, kept


@pytest.mark.parametrize("unit, centre", [("sessions", None), ("sessions", "cart"), ("customers", "payment_choice")])
def test_step_matrix_equals_pandas(tmp_path, unit, centre):
    args = [CHURNKIT, "touchpoints", "--events", SHOP, "--id-column", "user_id", "--step-matrix", "8",
            "--step-matrix-unit", unit, "--json", "--report", tmp_path / "t.html"]
    r = subprocess.run(args + (["--centre-on", centre] if centre else []), capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)["stepMatrix"]
    raw = sessions_of(1800)
    key = "session" if unit == "sessions" else "user_id"
    paths = [list(g.event) for _, g in raw.groupby(key, sort=False)]
    expected, kept = pandas_step_matrix(paths, 8, centre)
    assert m["paths"] == kept and m["unit"] == unit
    ours = {row["event"]: row["shares"] for row in m["rows"]}
    assert set(ours) == set(expected)
    for label, shares in expected.items():
        assert np.allclose(ours[label], shares, rtol=1e-12, atol=0), label
    # Every column adds up to 1; the page shows the table.
    assert np.allclose(np.sum([row["shares"] for row in m["rows"]], axis=0), 1)
    page = (tmp_path / "t.html").read_text()
    assert '<table id="step-matrix"' in page and "Step by step" in page


def test_funnels_by_day_and_by_segment_equal_pandas(tmp_path):
    """`--funnel-period day` and `--segment`: per day of entry and per
    segment, the counts pandas gives, each segment's end-to-end share with
    statsmodels' Wilson interval; the page has the segment table."""
    from test_touchpoint_changes import customers_table, platform
    users = sorted(pd.read_csv(SHOP, dtype={"user_id": str}).user_id.unique())
    customers_table(tmp_path / "customers.csv", users)
    steps = ["catalog", "cart", "payment_done"]
    r = subprocess.run([CHURNKIT, "touchpoints", "--events", SHOP, "--id-column", "user_id", "--funnel",
                        ",".join(steps), "--funnel-period", "day", "--customers", tmp_path / "customers.csv",
                        "--segment", "platform", "--json", "--report", tmp_path / "t.html"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    funnel = json.loads(r.stdout)["funnels"][0]
    _, days = pandas_funnel(steps, daily=True)
    assert funnel["period"] == "day"
    assert {d["start"]: (d["reached"][0], d["reached"][-1]) for d in funnel["byPeriod"]} == days
    assert funnel["segmentColumn"] == "platform"
    for segment in funnel["bySegment"]:
        reached, _ = pandas_funnel(steps, user_filter=lambda u: platform(u) == segment["name"])
        assert segment["reached"] == reached
        low, high = proportion_confint(reached[-1], reached[0], alpha=0.05, method="wilson")
        assert abs(segment["overall"]["lower95"] - low) < 1e-12 and abs(segment["overall"]["upper95"] - high) < 1e-12
    assert sorted(s["name"] for s in funnel["bySegment"]) == ["android", "ios", "web"]
    page = (tmp_path / "t.html").read_text()
    assert '<table class="segments">' in page and ">platform</th>" in page


@pytest.mark.parametrize("content, fragment", [
    ('{"funnels": [{"name": "a", "step": ["cart", "catalog"]}]}', "unknown key 'step'"),
    ('{"funnels": [{"name": "a"}]}', "steps"),
    ('{"funnels": [{"name": "a", "steps": ["cart", "chekout"]}]}', "'chekout' is not an event type of the log"),
    ('{"funnels": [{"name": "a", "steps": ["cart", "catalog"]}, {"name": "a", "steps": ["cart", "main"]}]}',
     "used twice"),
    ('{"funnels": [', "funnels.json"),
])
def test_a_bad_funnel_file_is_a_clear_error(tmp_path, content, fragment):
    (tmp_path / "funnels.json").write_text(content)
    r = subprocess.run([CHURNKIT, "touchpoints", "--events", SHOP, "--id-column", "user_id", "--funnels",
                        tmp_path / "funnels.json", "--out", tmp_path / "t.csv"], capture_output=True, text=True)
    assert r.returncode != 0 and fragment in r.stderr, r.stderr
    assert "Fatal" not in r.stderr and not (tmp_path / "t.csv").exists()
