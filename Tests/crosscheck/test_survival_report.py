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
