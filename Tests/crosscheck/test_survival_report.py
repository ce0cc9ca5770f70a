"""`survival --report`: the survival page renders in headless Chromium with
both charts drawn, and its sentences say what lifelines and the model file
say, on CDNOW (public): the Kaplan–Meier median and survival at the horizon
(lifelines' KaplanMeierFitter), the three profiles' survival from the fitted
Cox model (recomputed from the model file and the fitted table), the
concordance and the log-rank test."""
import html

import json
import re
import subprocess
import tempfile
import pathlib

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter

from test_clv import DATASETS, MAPPING
from test_features import CHURNKIT
from test_journey_report import probe


def test_survival_report_says_what_the_fit_and_lifelines_say():
    work = pathlib.Path(tempfile.mkdtemp())
    raw = pd.read_csv(DATASETS / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str, "date": str})
    raw.to_csv(work / "cdnow.csv", index=False)
    run = subprocess.run([CHURNKIT, "survival", "--events", work / "cdnow.csv", *MAPPING, "--cutoff", "1997-09-30",
                          "--horizon", "90d", "--by", "days_since_last_event", "--out", work / "model.json",
                          "--table-out", work / "table.csv", "--report", work / "report.html"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    page = (work / "report.html").read_text()
    assert "<script" not in page.lower()
    r = probe(page, str(work))
    assert sorted(r["charts"]) == ["kaplan-meier", "profiles"]
    for chart in r["charts"].values():
        assert chart["width"] > 100 and chart["shapes"] >= 6, chart
    sentences = [html.unescape(s) for s in re.findall(
        r"<li>(.*?)</li>", re.search(r'<ul class="summary" id="summary">(.*?)</ul>', page, re.S).group(1))]

    table = pd.read_csv(work / "table.csv", dtype={"customer_id": str})
    km = KaplanMeierFitter().fit(table["duration"], table["churned"])
    at90 = km.survival_function_at_times(90).iloc[0]
    assert sentences[0] == (f"Half of the {len(table)} customers followed had churned by day {km.median_survival_time_:.0f}; "
                            f"at day 90, {100 * at90:.1f}% were still active.")

    model = json.loads((work / "model.json").read_text())["survivalModel"]
    fit = model["fit"]
    names = [t["name"] for t in fit["terms"]]
    beta = np.array([t["coefficient"] for t in fit["terms"]])
    risk = (table[names].to_numpy() - np.array(fit["means"])) @ beta
    order = np.argsort(risk, kind="stable")
    days, hazard = np.array(fit["baselineDays"]), np.array(fit["baselineCumulativeHazard"])
    h90 = hazard[days <= 90][-1]
    pick = lambda q: risk[order[int(q * (len(risk) - 1))]]
    low, high = np.exp(-h90 * np.exp(pick(0.1))), np.exp(-h90 * np.exp(pick(0.9)))
    assert sentences[1] == (f"By the model, a lower-risk customer (10th percentile) is still active at day 90 with "
                            f"probability {100 * low:.1f}%, a higher-risk one (90th percentile) with {100 * high:.1f}%.")
    assert f"{100 * fit['concordance']:.1f}% of the time" in sentences[2]
    test = model["logRank"]
    assert f"log-rank χ² {test['statistic']:.1f} on {test['degreesOfFreedom']} degrees of freedom" in sentences[3]


def test_score_adds_the_survival_models_figures(tmp_path):
    """`score --survival-model S --within 30d,60d`: each scored customer's
    churn within 30 and 60 days and expected active days are the ones
    `survival --model S --predict-out` gives them at the same date (CDNOW,
    models trained at 1997-06-30, scored at 1997-09-30); CSV and JSON Lines."""
    raw = pd.read_csv(DATASETS / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str, "date": str})
    raw.to_csv(tmp_path / "cdnow.csv", index=False)
    common = ["--events", tmp_path / "cdnow.csv", *MAPPING]
    for args in (["train", "--cutoff", "1997-06-30", "--horizon", "90d", "--churn-definition", "inactivity", "--l2", "1",
                  "--out", tmp_path / "churn.json"],
                 ["survival", "--cutoff", "1997-06-30", "--horizon", "90d", "--out", tmp_path / "survival.json"],
                 ["survival", "--model", tmp_path / "survival.json", "--cutoff", "1997-09-30", "--within", "30d,60d",
                  "--predict-out", tmp_path / "predicted.csv"],
                 ["score", "--model", tmp_path / "churn.json", "--as-of", "1997-09-30", "--survival-model",
                  tmp_path / "survival.json", "--within", "30d,60d", "--out", tmp_path / "scores.csv"],
                 ["score", "--model", tmp_path / "churn.json", "--as-of", "1997-09-30", "--survival-model",
                  tmp_path / "survival.json", "--within", "30d,60d", "--format", "jsonl", "--out", tmp_path / "scores.jsonl"]):
        run = subprocess.run([CHURNKIT, args[0], *common, *args[1:]], capture_output=True, text=True)
        assert run.returncode == 0, (args[0], run.stderr)
    predicted = pd.read_csv(tmp_path / "predicted.csv", dtype={"customer_id": str}).set_index("customer_id")
    scores = pd.read_csv(tmp_path / "scores.csv", dtype={"customer_id": str}).set_index("customer_id")
    span = [c for c in predicted.columns if c.startswith("expected_active_days_")]
    columns = ["churn_within_30d", "churn_within_60d"] + span
    assert list(scores.columns[-3:]) == columns
    both = scores.index.intersection(predicted.index)
    assert len(both) > 4000
    for c in columns:
        assert np.allclose(scores.loc[both, c], predicted.loc[both, c], rtol=1e-12, atol=0), c
    assert scores.loc[scores.index.difference(predicted.index), columns].isna().all().all()
    lines = [json.loads(line) for line in (tmp_path / "scores.jsonl").read_text().splitlines()]
    assert len(lines) == len(scores)
    for line in lines[:200]:
        for c in columns:
            want = predicted[c].get(line["customer_id"])
            assert (line[c] is None) if want is None else abs(line[c] - want) <= 1e-12 * max(1, abs(want)), (line, c)
