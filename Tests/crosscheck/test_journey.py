"""Cross-check: the stage model's linear algebra against numpy/scipy, from
the JSON `churnkit journey` writes — the fundamental matrix, churn-within
probabilities, advocacy-before-churn and e^(Qt) — to 1e-10."""
import json
import os
import subprocess
import tempfile

import numpy as np
from scipy.linalg import expm

from test_features import CHURNKIT, ROOT


def test_absorbing_chain_and_expm_match_numpy_and_scipy():
    out = os.path.join(tempfile.mkdtemp(), "journey.json")
    subprocess.run([CHURNKIT, "journey", "--events", "training-data/events.csv", "--churn-definition", "event:cancel",
                    "--inactivity", "60d", "--model-out", out], check=True, capture_output=True, cwd=ROOT)
    doc = json.load(open(out))
    model = doc["model"]
    p = np.array(model["transitionMatrix"])
    q = np.array(model["generator"])
    k = len(model["stages"]) - 1
    assert np.allclose(p.sum(axis=1), 1, atol=1e-12)
    assert np.allclose(q.sum(axis=1), 0, atol=1e-12)
    a = model["absorption"]
    n = np.linalg.inv(np.eye(k) - p[:k, :k])
    assert np.max(np.abs(np.array(a["fundamentalMatrix"]) - n) / np.maximum(np.abs(n), 1)) < 1e-10
    assert np.max(np.abs(np.array(a["expectedPeriodsToChurn"]) - n.sum(axis=1)) / n.sum(axis=1)) < 1e-10
    for h, values in a["churnWithin"].items():
        ph = np.linalg.matrix_power(p, int(h))
        assert np.max(np.abs(np.array(values) - ph[:k, k])) < 1e-10
    adv = model["stages"].index("advocacy")
    others = [i for i in range(k) if i != adv]
    reach = np.linalg.solve(np.eye(len(others)) - p[np.ix_(others, others)], p[others, adv])
    ours = np.array(a["advocacyBeforeChurn"])
    assert np.max(np.abs(ours[others] - reach)) < 1e-10 and ours[adv] == 1
    for t, matrix in doc["continuousTimeTransition"].items():
        expected = expm(q * float(t))
        assert np.max(np.abs(np.array(matrix) - expected)) < 1e-10, t


def test_kaplan_meier_retention_matches_lifelines():
    """Retention from each customer's first event to their cancel (censored
    at the end of the data), in whole days: every cohort's curve and 95%
    interval against lifelines' KaplanMeierFitter."""
    import polars as pl
    from lifelines import KaplanMeierFitter

    out = os.path.join(tempfile.mkdtemp(), "journey.json")
    subprocess.run([CHURNKIT, "journey", "--events", "training-data/events.csv", "--churn-definition", "event:cancel",
                    "--model-out", out], check=True, capture_output=True, cwd=ROOT)
    curves = {c["cohort"]: c["curve"] for c in json.load(open(out))["model"]["retention"]}

    events = pl.read_csv(os.path.join(ROOT, "training-data/events.csv"), columns=["customer_id", "timestamp", "event"])
    events = events.with_columns(pl.col("timestamp").str.to_datetime(time_zone="UTC"))
    end = events["timestamp"].max()
    per = events.group_by("customer_id").agg(
        pl.col("timestamp").min().alias("first"),
        pl.col("timestamp").filter(pl.col("event") == "cancel").min().alias("cancel"))
    per = per.with_columns(
        ((pl.col("cancel").fill_null(end) - pl.col("first")).dt.total_microseconds() // 86_400_000_000).alias("days"),
        pl.col("cancel").is_not_null().alias("churned"),
        (pl.col("first").dt.year().cast(pl.Utf8) + "-Q" + pl.col("first").dt.quarter().cast(pl.Utf8)).alias("cohort"))
    groups = {"all": per}
    for (cohort,), frame in per.group_by("cohort"):
        groups[cohort] = frame
    assert sorted(groups) == sorted(curves)
    for cohort, frame in groups.items():
        ours = curves[cohort]
        km = KaplanMeierFitter().fit(frame["days"].to_numpy(), frame["churned"].to_numpy())
        table = km.event_table
        at_event = table[table["observed"] > 0].index.to_numpy()
        assert ours["days"] == [int(d) for d in at_event], cohort
        assert ours["atRisk"] == table.loc[at_event, "at_risk"].astype(int).tolist()
        assert np.max(np.abs(np.array(ours["survival"]) - km.survival_function_.loc[at_event].to_numpy()[:, 0])) < 1e-12
        ci = km.confidence_interval_.loc[at_event].to_numpy()
        low, high = np.minimum(ci[:, 0], ci[:, 1]), np.maximum(ci[:, 0], ci[:, 1])
        inside = (np.array(ours["survival"]) > 0) & (np.array(ours["survival"]) < 1)
        assert np.max(np.abs(np.array(ours["lower"])[inside] - low[inside])) < 1e-10, cohort
        assert np.max(np.abs(np.array(ours["upper"])[inside] - high[inside])) < 1e-10, cohort


def test_removal_effects_match_numpy():
    """Pain points: churn within 365 days from the observed start mix, and
    each stage's removal effect (its churn flow turned into staying),
    recomputed with numpy from the JSON's matrix."""
    out = os.path.join(tempfile.mkdtemp(), "journey.json")
    subprocess.run([CHURNKIT, "journey", "--events", "training-data/events.csv", "--churn-definition", "event:cancel",
                    "--inactivity", "60d", "--model-out", out], check=True, capture_output=True, cwd=ROOT)
    model = json.load(open(out))["model"]
    pain = model["painPoints"]
    p = np.array(model["transitionMatrix"])
    k = len(model["stages"]) - 1
    start = np.array(pain["startDistribution"])
    assert abs(start.sum() - 1) < 1e-12

    def churn_within(chain):
        return float(start @ np.linalg.matrix_power(chain, pain["horizonPeriods"])[:k, k])

    base = churn_within(p)
    assert abs(pain["churnWithinHorizon"] - base) < 1e-10
    for i, row in enumerate(pain["stages"]):
        without = p.copy()
        without[i, i] += without[i, k]
        without[i, k] = 0
        assert abs(row["removalEffect"] - (base - churn_within(without)) / base) < 1e-9, row["stage"]
    # Last-touch churns in a stage add up to the customers who churned from it.
    for row in pain["stages"]:
        touches = [t for t in pain["touchpoints"] if t["stage"] == row["stage"]]
        assert sum(t["lastTouchChurns"] for t in touches) == row["churned"]
        assert abs(sum(t["eventShare"] for t in touches) - 1) < 1e-12


def test_segment_homogeneity_test_matches_scipy():
    """--segment plan: the likelihood-ratio statistic is twice the segments'
    log-likelihoods over the pooled one, its p-value scipy's chi-square
    survival, its degrees of freedom (segments − 1) × free cells."""
    from scipy import stats
    out = os.path.join(tempfile.mkdtemp(), "journey.json")
    subprocess.run([CHURNKIT, "journey", "--events", "training-data/events.csv", "--churn-definition", "event:cancel",
                    "--customers", "training-data/customers.csv", "--segment", "plan", "--bootstrap", "0",
                    "--model-out", out], check=True, capture_output=True, cwd=ROOT)
    doc = json.load(open(out))
    pooled, comparison = doc["model"], doc["segments"]
    segments = comparison["segments"]
    assert [s["name"] for s in segments] == sorted(s["name"] for s in segments)
    assert sum(s["customers"] for s in segments) == pooled["customers"]
    test = comparison["homogeneity"]
    statistic = 2 * (sum(s["model"]["logLikelihood"] for s in segments) - pooled["logLikelihood"])
    assert abs(test["statistic"] - statistic) < 1e-9 * abs(statistic)
    p = np.array(pooled["transitionMatrix"])
    free = sum(int((p[i] > 1e-6).sum()) - 1 for i in range(len(p) - 1))
    assert test["degreesOfFreedom"] == (len(segments) - 1) * free
    expected = stats.chi2.sf(test["statistic"], test["degreesOfFreedom"])
    assert abs(test["pValue"] - expected) <= 1e-12 * expected + 1e-300
