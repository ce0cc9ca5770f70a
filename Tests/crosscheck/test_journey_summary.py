"""The journey page's parts for a CX team, against independent computations:
the emotion curve's intervals are statsmodels' cluster-robust standard
errors of each stage's mean sentiment (clustered by customer); the summary's
sentences say what the model's numbers say; each pain point names the
catalog's actions for its stage."""
import html
import json
import os
import re
import subprocess
import tempfile

import numpy as np
import pandas as pd
import statsmodels.api as sm

from test_features import CHURNKIT, ROOT

EVENTS = os.path.join(ROOT, "training-data", "events.csv")
CATALOG = os.path.join(ROOT, "models", "actions.json")


def journey(*extra):
    work = tempfile.mkdtemp()
    page, model = os.path.join(work, "journey.html"), os.path.join(work, "journey.json")
    subprocess.run([CHURNKIT, "journey", "--events", EVENTS, "--churn-definition", "event:cancel", "--out", page,
                    "--model-out", model, *extra], check=True, capture_output=True)
    return open(page, encoding="utf-8").read(), json.load(open(model))["model"]


def test_emotion_curve_intervals_are_cluster_robust_errors():
    _, model = journey()
    events = pd.read_csv(EVENTS, dtype={"customer_id": str})
    rated = events[events["sentiment"].notna() & events["stage"].notna()]
    checked = 0
    for profile in model["profiles"]:
        rows = rated[rated["stage"] == profile["stage"]]
        if profile.get("meanSentiment") is None:
            assert len(rows) == 0
            continue
        assert profile["sentimentEvents"] == len(rows)
        fit = sm.OLS(rows["sentiment"].to_numpy(), np.ones(len(rows))).fit(
            cov_type="cluster", cov_kwds={"groups": pd.factorize(rows["customer_id"])[0]})
        assert abs(profile["meanSentiment"] - fit.params[0]) < 1e-12
        assert abs(profile["sentimentStandardError"] - fit.bse[0]) < 1e-12 * max(1, fit.bse[0]) + 1e-15, profile["stage"]
        checked += 1
    assert checked >= 3


def test_summary_sentences_say_the_models_numbers():
    page, model = journey()
    summary = [html.unescape(s) for s in re.findall(r"<li>(.*?)</li>", re.search(
        r'<ul class="summary" id="summary">(.*?)</ul>', page, re.S).group(1))]
    stages = model["painPoints"]["stages"]
    total = sum(s["churned"] for s in stages)
    top = max(stages, key=lambda s: s["churned"])
    assert summary[0] == (f"Most customers are lost in {top['stage']}: {top['churned']} of the {total} churns came "
                          f"after it ({100 * top['churned'] / total:.1f}%).")
    ranked = [p for p in model["painPoints"]["ranked"] if p["customers"] >= 0.5][:3]
    for k, p in enumerate(ranked):
        what = f"{p['touchpoint']} in {p['stage']}" if p.get("touchpoint") else f"the {p['stage']} stage"
        assert f"{k + 1}. {what} ({p['customers']:.0f} customers)" in summary[1]
    a = model["absorption"]
    horizon = min((int(h) for h in a["churnWithin"]), key=lambda h: abs(h * model["periodDays"] - 90))
    p = a["churnWithin"][str(horizon)]
    reached = [i for i, s in enumerate(a["transientStages"]) if model["profiles"][i]["customersReached"] > 0]
    high, low = max(reached, key=lambda i: p[i]), min(reached, key=lambda i: p[i])
    assert summary[2] == (f"Within {horizon * model['periodDays']} days the model expects {100 * p[high]:.1f}% of the "
                          f"customers now in {a['transientStages'][high]} to churn, against {100 * p[low]:.1f}% of those "
                          f"in {a['transientStages'][low]}.")


def test_pain_points_name_the_catalogs_actions_for_their_stage():
    page, model = journey("--actions", CATALOG)
    catalog = json.load(open(CATALOG))
    items = re.findall(r'<ol class="pain">(.*?)</ol>', page, re.S)[0]
    for point, li in zip(model["painPoints"]["ranked"], re.findall(r"<li>(.*?)</li>", items, re.S)):
        allowed = [a["id"] for a in (catalog["actions"] if isinstance(catalog, dict) else catalog)
                   if not a.get("eligible_stages") or point["stage"] in a["eligible_stages"]]
        if allowed:
            assert f"Actions for this stage: {', '.join(allowed)}." in html.unescape(li), (point["stage"], li)
        else:
            assert "No action in the catalog is for this stage." in li


def test_each_segment_view_tells_its_own_chains_story():
    """`--segment plan`: one folded view per plan, whose summary is built
    from that plan's chain in the JSON, not the whole log's."""
    work = tempfile.mkdtemp()
    page, doc = os.path.join(work, "journey.html"), os.path.join(work, "journey.json")
    subprocess.run([CHURNKIT, "journey", "--events", EVENTS, "--churn-definition", "event:cancel", "--out", page,
                    "--customers", os.path.join(ROOT, "training-data", "customers.csv"), "--segment", "plan",
                    "--model-out", doc], check=True, capture_output=True)
    text, segments = open(page, encoding="utf-8").read(), json.load(open(doc))["segments"]["segments"]
    views = re.findall(r'<details class="segment" id="segment-(\d+)"><summary>plan = ([^<]*) \((\d+) customers\)'
                       r'</summary>\s*<ul class="summary" id="segment-\1-summary"><li>(.*?)</li>', text, re.S)
    assert [(v[1], int(v[2])) for v in views] == [(s["name"], s["customers"]) for s in segments]
    for view, segment in zip(views, segments):
        stages = segment["model"]["painPoints"]["stages"]
        total = sum(s["churned"] for s in stages)
        top = max(stages, key=lambda s: s["churned"])
        assert html.unescape(view[3]) == (f"Most customers are lost in {top['stage']}: {top['churned']} of the {total} "
                                          f"churns came after it ({100 * top['churned'] / total:.1f}%).")


def test_summary_says_when_the_chain_routes_churn_through_another_stage():
    """CDNOW (public), stages from event types: 14,572 customers churned
    after last being seen in purchase, but the fitted chain sends purchase
    through retention first, so the pain points put that churn under
    retention; the summary says so instead of leaving the two to contradict."""
    from test_clv import DATASETS, MAPPING
    work = tempfile.mkdtemp()
    raw = pd.read_csv(DATASETS / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str, "date": str})
    raw.to_csv(os.path.join(work, "cdnow.csv"), index=False)
    page, doc = os.path.join(work, "journey.html"), os.path.join(work, "journey.json")
    subprocess.run([CHURNKIT, "journey", "--events", os.path.join(work, "cdnow.csv"), *MAPPING, "--inactivity", "180d",
                    "--out", page, "--model-out", doc], check=True, capture_output=True)
    model = json.load(open(doc))["model"]
    stages, moves, matrix = model["stages"], model["moves"], model["transitionMatrix"]
    churned = len(stages) - 1
    quiet = [s for s in range(churned) if moves[s][churned] > 0 and matrix[s][churned] < 0.00005]
    assert quiet, "CDNOW's purchase stage churns only through retention in the fitted chain"
    s = quiet[0]
    nxt = max((t for t in range(churned) if t != s), key=lambda t: matrix[s][t])
    text = html.unescape(open(page, encoding="utf-8").read())
    assert (f"Read the pain points with the flow: {moves[s][churned]} customers churned after last being seen in "
            f"{stages[s]}, but the fitted day-by-day chain sends {stages[s]} customers through {stages[nxt]} before "
            f"they churn, so the pain points count that churn under {stages[nxt]}.") in text
