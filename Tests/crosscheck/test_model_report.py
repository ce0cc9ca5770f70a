"""`churnkit report`: the model report renders in headless Chromium with
every chart drawn and names from the data shown as text, and the numbers in
its sentences are recomputed here from the model's own scores on a public
log (CDNOW): the AUC (scikit-learn), its DeLong interval (an independent
implementation), the gains, the expected calibration error and the
cost-optimal threshold."""
import html
import json
import os
import pathlib
import re
import subprocess
import tempfile

import lifetimes.datasets
import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score

from test_features import CHURNKIT, ROOT
from test_journey_report import MARKUP, chromium, png_pixels, probe, small_log

CHARTS = ["roc", "pr", "calibration", "gains", "scores", "coefficients", "drift"]
MAPPING = ["--id-column", "customer_id", "--time-column", "date", "--time-format", "yyyyMMdd",
           "--event-name", "purchase", "--amount-column", "dollar_value"]


def ck(*args):
    run = subprocess.run([CHURNKIT, *map(str, args)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_report_renders_in_chromium_with_every_chart_and_escaped_names():
    work = tempfile.mkdtemp()
    events, model, page = (os.path.join(work, n) for n in ("events.csv", "model.json", "report.html"))
    small_log(events)  # an event type and a channel named with the markup
    ck("train", "--events", events, "--cutoff", "2024-01-20", "--horizon", "30d", "--churn-definition", "event:cancel",
       "--l2", "1", "--out", model)
    ck("report", "--model", model, "--events", events, "--cutoff", "2024-01-25", "--out", page,
       "--title", "Report " + MARKUP, "--contact-cost", "1", "--saved-value", "10")
    text = open(page, encoding="utf-8").read()
    assert "<script" not in text.lower()
    assert html.escape(MARKUP, quote=False) in text

    png = os.path.join(work, "report.png")
    run = subprocess.run(chromium() + ["--enable-logging=stderr", "--v=0", "--window-size=1100,3000",
                                       "--screenshot=" + png, "file://" + page],
                         capture_output=True, text=True, timeout=120)
    assert os.path.exists(png), run.stderr[-2000:]
    assert [line for line in run.stderr.splitlines() if "CONSOLE" in line] == []
    width, height, pixels = png_pixels(png)
    assert (width, height) == (1100, 3000)
    assert sum(1 for b in pixels[::7] if b < 128) > 1000

    r = probe(text, work)
    assert sorted(r["charts"]) == sorted(CHARTS)
    for chart in CHARTS:
        box = r["charts"][chart]
        assert box["width"] > 100 and box["height"] > 40 and box["shapes"] >= 4, (chart, box)
    assert r["scripts"] == 1  # only the probe
    assert r["title"] == "Report " + MARKUP
    assert MARKUP in r["text"]  # a feature named after the event type, shown as text


def delong(scores, labels):
    """DeLong's AUC and standard error, from the placements (Sun & Xu 2014's
    midrank formulation, written here from the paper)."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    m, n = len(pos), len(neg)
    tz = rankdata(np.concatenate([pos, neg]))
    tx, ty = rankdata(pos), rankdata(neg)
    v10 = (tz[:m] - tx) / n
    v01 = 1 - (tz[m:] - ty) / m
    return v10.mean(), np.sqrt(v10.var(ddof=1) / m + v01.var(ddof=1) / n)


def test_report_numbers_are_recomputed_from_the_scores_on_cdnow():
    work = pathlib.Path(tempfile.mkdtemp())
    raw = pd.read_csv(pathlib.Path(lifetimes.datasets.__file__).parent / "CDNOW_master.txt", sep=r"\s+",
                      dtype={"customer_id": str, "date": str})
    raw.to_csv(work / "cdnow.csv", index=False)
    common = ["--events", work / "cdnow.csv", *MAPPING]
    ck("train", *common, "--cutoff", "1997-06-30", "--horizon", "90d", "--churn-definition", "inactivity", "--l2", "1",
       "--out", work / "model.json")
    figures = json.loads(ck("report", "--model", work / "model.json", *common, "--cutoff", "1997-09-30",
                            "--out", work / "report.html", "--contact-cost", "2", "--saved-value", "15", "--json"))
    ck("score", "--model", work / "model.json", *common, "--as-of", "1997-09-30", "--out", work / "scores.csv")
    ck("features", *common, "--cutoff", "1997-09-30", "--horizon", "90d", "--churn-definition", "inactivity",
       "--out", work / "features.csv")
    labels = pd.read_csv(work / "features.csv", dtype={"customer_id": str})[["customer_id", "label"]]
    scores = pd.read_csv(work / "scores.csv", dtype={"customer_id": str})
    data = labels.merge(scores[["customer_id", "churn_probability"]], on="customer_id")
    p, y = data["churn_probability"].to_numpy(), data["label"].to_numpy()
    assert figures["count"] == len(y) == 4195 and figures["positives"] == y.sum()

    assert abs(figures["rocAUC"] - roc_auc_score(y, p)) < 1e-12
    auc, se = delong(p, y)
    assert abs(figures["rocAUC"] - auc) < 1e-12 and abs(figures["aucStandardError"] - se) < 1e-12
    assert abs(figures["aucLower95"] - (auc - 1.96 * se)) < 1e-12

    # Gains: the churners among the riskiest share, ties at the boundary
    # shared out in proportion (none straddle it here, so plain counting).
    order = np.argsort(-p, kind="stable")
    for share, key in [(0.1, "gainTop10"), (0.3, "gainTop30")]:
        k = share * len(p)
        assert p[order[int(np.floor(k)) - 1]] != p[order[int(np.floor(k))]] or k != int(k)
        whole = int(np.floor(k))
        gained = y[order[:whole]].sum() + (k - whole) * y[order[whole]] if k > whole else y[order[:whole]].sum()
        assert abs(figures[key] - gained / y.sum()) < 1e-9, key

    # Expected calibration error over deciles (numpy's array_split of the
    # scores in ascending order).
    ascending = np.argsort(p, kind="stable")
    ece = sum(len(b) * abs(p[b].mean() - y[b].mean()) for b in np.array_split(ascending, 10)) / len(p)
    assert abs(figures["expectedCalibrationError"] - ece) < 1e-12

    # The cut that pays best: 15 per churner flagged − 2 per customer flagged.
    best = max(((15 * y[p >= t].sum() - 2 * (p >= t).sum(), t) for t in np.unique(p)), key=lambda v: (v[0], v[1]))
    assert abs(figures["bestValue"] - best[0]) < 1e-9 and abs(figures["bestThreshold"] - best[1]) < 1e-15  # the CSV has 16 digits
    assert figures["bestFlagged"] == (p >= best[1]).sum()

    # The sentences say these numbers.
    text = " ".join(figures["sentences"])
    assert f"{100 * auc:.1f}% of the time (95% interval {100 * (auc - 1.96 * se):.1f}%" in text
    assert f"hold {100 * figures['gainTop10']:.1f}% of the churners" in text
    assert f"off by {100 * ece:.1f} percentage points" in text
    assert f"contacting the {figures['bestFlagged']} customers" in text

    # The captions: medians by outcome, the riskiest 10% (the cut at the
    # first distinct score that flags at least a tenth), the bands.
    page = html.unescape((work / "report.html").read_text())
    assert (f"The median predicted churn probability is {100 * np.median(p[y == 1]):.1f}% for those who churned "
            f"and {100 * np.median(p[y == 0]):.1f}% for those who stayed.") in page
    cut = np.sort(p)[::-1][int(np.ceil(0.1 * len(p))) - 1]
    flagged = p >= cut
    assert (f"Among the riskiest 10%, {100 * y[flagged].mean():.1f}% are churners, against "
            f"{100 * y.mean():.1f}% of all customers.") in page


def test_train_report_shows_the_holdout_beside_the_training_rows():
    """`train --report`: the page is of the holdout, with the training rows'
    ROC curve and calibration beside; both AUCs are the model file's. From a
    feature table too; and the page is written with the model or not at all."""
    work = pathlib.Path(tempfile.mkdtemp())
    events = os.path.join(ROOT, "training-data", "events.csv")
    customers = os.path.join(ROOT, "training-data", "customers.csv")
    ck("train", "--events", events, "--customers", customers, "--cutoff", "2025-06-30", "--horizon", "90d",
       "--churn-definition", "event:cancel", "--holdout", "0.3", "--l2", "1", "--out", work / "model.json",
       "--report", work / "report.html")
    training = json.loads((work / "model.json").read_text())["model"]["training"]
    page = (work / "report.html").read_text()
    assert f"training, AUC {training['metrics']['rocAUC']:.3f}" in page
    assert f"against {training['holdoutMetrics']['rocAUC']:.3f} on the holdout here" in page
    assert f"{training['holdoutMetrics']['count']} labelled customers" in page
    assert page.count('fill="#888"') == 10  # the training deciles on the calibration chart

    ck("features", "--events", events, "--customers", customers, "--cutoff", "2025-06-30", "--horizon", "90d",
       "--churn-definition", "event:cancel", "--out", work / "features.csv")
    ck("train", "--features", work / "features.csv", "--holdout", "0.3", "--l2", "1", "--out", work / "table.json",
       "--report", work / "table.html")
    table = json.loads((work / "table.json").read_text())["model"]["training"]
    assert f"training, AUC {table['metrics']['rocAUC']:.3f}" in (work / "table.html").read_text()

    refused = subprocess.run([CHURNKIT, "train", "--features", work / "features.csv", "--l2", "1",
                              "--report", work / "alone.html"], capture_output=True, text=True)
    assert refused.returncode != 0 and "--out" in refused.stderr and not (work / "alone.html").exists()


def test_report_of_a_model_with_actions_draws_qini_and_policies_and_the_plan_score_makes():
    """The shipped model has actions: the page adds the Qini curves and the
    policy values stored from its uplift holdout, and the plan's action mix
    on this data, which counts what `churnkit score` recommends."""
    work = pathlib.Path(tempfile.mkdtemp())
    model = os.path.join(ROOT, "models", "churn-model.json")
    events = os.path.join(ROOT, "training-data", "events.csv")
    customers = os.path.join(ROOT, "training-data", "customers.csv")
    figures = json.loads(ck("report", "--model", model, "--events", events, "--customers", customers,
                            "--cutoff", "2025-09-30", "--out", work / "report.html", "--json"))
    page = (work / "report.html").read_text()
    r = probe(page, str(work))
    assert sorted(r["charts"]) == sorted(CHARTS + ["qini", "uplift", "policies"])
    for chart in r["charts"].values():
        assert chart["width"] > 100 and chart["height"] > 40 and chart["shapes"] >= 4, chart
    uplift = json.loads(open(model).read())["model"]["uplift"]
    plan = next(p for p in uplift["evaluation"]["policies"] if p["policy"] == "recommended")
    assert (f"the recommended plan is worth {plan['netValuePerCustomer']:.2f} per customer against doing nothing "
            f"(95% interval {plan['lower95']:.2f} to {plan['upper95']:.2f})") in figures["sentences"][-1]
    for a in uplift["evaluation"]["actions"]:
        assert f"{a['action']} {a['qiniCoefficient']:.3f}" in page

    ck("score", "--model", model, "--events", events, "--customers", customers, "--as-of", "2025-09-30",
       "--out", work / "scores.csv")
    scores = pd.read_csv(work / "scores.csv")
    assert len(scores) == figures["count"]  # every scored customer is labelled at this cutoff
    counts = scores["next_best_action"].value_counts()
    treated = int(counts.drop("none", errors="ignore").sum())
    mix = re.search(r"the plan treats (\d+) of (\d+) customers \([^)]*\): ([^.]*)\.", html.unescape(page))
    assert mix and int(mix.group(1)) == treated and int(mix.group(2)) == len(scores)
    for part in mix.group(3).split(", "):
        action, n = part.rsplit(" ", 1)
        assert int(n) == int(counts.get(action, 0)), part


def test_report_action_mix_by_segment_counts_scores_decisions_by_plan():
    work = pathlib.Path(tempfile.mkdtemp())
    model = os.path.join(ROOT, "models", "churn-model.json")
    events = os.path.join(ROOT, "training-data", "events.csv")
    customers = os.path.join(ROOT, "training-data", "customers.csv")
    ck("report", "--model", model, "--events", events, "--customers", customers, "--cutoff", "2025-09-30",
       "--out", work / "report.html")
    ck("score", "--model", model, "--events", events, "--customers", customers, "--as-of", "2025-09-30",
       "--out", work / "scores.csv")
    page = (work / "report.html").read_text()
    table = re.search(r'<table class="action-mix"><thead><tr><th>plan</th>(.*?)</thead><tbody>(.*?)</tbody>', page, re.S)
    actions = re.findall(r"<th>(.*?)</th>", table.group(1))
    shown = {m[0]: list(map(int, re.findall(r"<td>(\d+)</td>", m[1])))
             for m in re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', table.group(2))}
    scores = pd.read_csv(work / "scores.csv").merge(pd.read_csv(customers)[["customer_id", "plan"]], on="customer_id")
    expected = scores.groupby("plan")["next_best_action"].value_counts().unstack(fill_value=0)
    assert set(shown) == set(expected.index)
    for plan, counts in shown.items():
        assert counts == [int(expected.loc[plan].get(a, 0)) for a in actions], plan
