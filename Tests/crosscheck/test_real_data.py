"""Real-data acceptance: public logs that ChurnKit did not generate, each run
end to end with only a column mapping and default options.

- CDNOW (the PyPI package `lifetimes`): date-only `YYYYMMDD` timestamps,
  one event type, amounts; also as a tab-separated export.
- lifetimes' `example_transactions.csv`: `YYYY-MM-DD HH:MM:SS` timestamps,
  one event type, no amounts.
- a subscription log from the churn simulator of "Fighting Churn with
  Data" (PyPI `fightchurn`; `churnsim_log.py` drives it): `YYYY-MM-DD
  HH:MM:SS` timestamps, eight behaviour types, `subscribe` with revenue and
  an explicit `cancel`, few churners for many features.

Each must validate, build features, train with defaults (the default fit
converges to statsmodels' maximum-likelihood coefficients on the features it
keeps), score, export SQL that SQLite runs to the same probabilities, and
reach a time-holdout AUC no worse than scikit-learn's LogisticRegression on
the same features minus 0.005. docs/real-data.md has the commands and figures.
"""
import csv
import json
import os
import pathlib
import sqlite3
import subprocess
import tempfile

import duckdb
import lifetimes.datasets

import churnsim_log
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from test_features import CHURNKIT, ROOT

DATASETS = pathlib.Path(lifetimes.datasets.__file__).parent
KEYS = ("customer_id", "cutoff", "label")


def ck(*args, ok=True):
    run = subprocess.run([CHURNKIT, *map(str, args)], capture_output=True, text=True, cwd=ROOT)
    if ok:
        assert run.returncode == 0, run.stderr
    return run


def cdnow(work, separator=","):
    raw = pd.read_csv(DATASETS / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str, "date": str})
    path = work / ("cdnow.tsv" if separator == "\t" else "cdnow.csv")
    raw.to_csv(path, index=False, sep=separator)
    mapping = ["--id-column", "customer_id", "--time-column", "date", "--time-format", "yyyyMMdd",
               "--event-name", "purchase", "--amount-column", "dollar_value"]
    return path, mapping, len(raw)


def cdnow_tsv(work):
    """The same log as a tab-separated export; the delimiter is found from
    the header line."""
    return cdnow(work, separator="\t")


def example_transactions(work):
    path = DATASETS / "example_transactions.csv"
    return path, ["--id-column", "id", "--time-column", "date", "--event-name", "purchase"], 15273


def subscriptions(work):
    path = work / "churnsim.csv"
    if not path.exists():
        churnsim_log.write(path, first_month=250, per_month=40, overrides=("transition.churn.offset=3",))
    mapping = ["--id-column", "account_id", "--time-column", "event_time", "--event-column", "event_type"]
    return path, mapping, sum(1 for _ in open(path)) - 1


# How each log's labels are defined (the default, churn by inactivity, unless given).
CHURN = {"subscriptions": ["--churn-definition", "event:cancel"]}


# (name, loader, training cutoff, later cutoff for the time holdout, horizon)
LOGS = [
    ("cdnow", cdnow, "1997-06-30", "1997-09-30", "90d"),
    ("example_transactions", example_transactions, "2014-06-30", "2014-09-30", "90d"),
    ("cdnow_tsv", cdnow_tsv, "1997-06-30", "1997-09-30", "90d"),
    ("subscriptions", subscriptions, "2020-06-30", "2020-09-30", "60d"),
]


@pytest.fixture(scope="module")
def work():
    return pathlib.Path(tempfile.mkdtemp())


def read_features(path):
    frame = pd.read_csv(path, dtype={"customer_id": str})
    labelled = frame[frame["label"].notna()]
    names = [c for c in frame.columns if c not in KEYS]
    return labelled, names


@pytest.mark.parametrize("name,loader,cutoff,later,horizon", LOGS)
def test_defaults_work_end_to_end(work, name, loader, cutoff, later, horizon):
    events, mapping, rows = loader(work)
    summary = json.loads(ck("validate", events, *mapping, "--json").stdout)
    assert summary["validRows"] == rows

    features = work / f"{name}-features.csv"
    ck("features", "--events", events, *mapping, *CHURN.get(name, []), "--cutoff", later, "--horizon", horizon,
       "--out", features)
    frame, names = read_features(features)
    assert len(frame) > 300 and 0 < frame["label"].mean() < 1

    # Training with default options succeeds on the events and on the table.
    ck("train", "--events", events, *mapping, *CHURN.get(name, []), "--cutoff", later, "--horizon", horizon,
       "--out", work / f"{name}-e.json")
    model_path = work / f"{name}.json"
    trained = ck("train", "--features", features, "--out", model_path, "--json")
    report = json.loads(trained.stdout)
    fit = report["fit"]
    assert fit["converged"], trained.stderr
    assert "did not converge" not in trained.stderr

    # The kept features' coefficients are statsmodels' maximum likelihood.
    kept = [t["name"] for t in fit["terms"][1:]]
    dropped = [d["name"] for d in fit.get("dropped", [])]
    assert sorted(kept + dropped) == sorted(names)
    ours = np.array([t["coefficient"] for t in fit["terms"]])
    if fit["l2"] == 0:
        reference = sm.Logit(frame["label"].to_numpy(), sm.add_constant(frame[kept].to_numpy())).fit(disp=0, maxiter=100)
        ours_se = np.array([t["standardError"] for t in fit["terms"]])
        assert np.allclose(ours, reference.params, rtol=1e-6, atol=1e-9), np.abs(ours - reference.params).max()
        assert np.allclose(ours_se, reference.bse, rtol=1e-4)
    else:
        # Few events per feature: the penalty was chosen by cross-validation
        # (and said so); the fit is scikit-learn's ridge on standardised
        # columns with C = 1/λ.
        assert "chosen by 5-fold cross-validation" in trained.stderr
        peer = make_pipeline(StandardScaler(), LogisticRegression(C=1 / fit["l2"], tol=1e-12, max_iter=100000))
        x = frame[kept].to_numpy()
        peer.fit(x, frame["label"].to_numpy())
        ours_p = 1 / (1 + np.exp(-(ours[0] + x @ ours[1:])))
        assert np.abs(ours_p - peer.predict_proba(x)[:, 1]).max() < 1e-6

    # Scoring the table, and the exported SQL run by SQLite, agree.
    scores = work / f"{name}-scores.csv"
    ck("score", "--model", model_path, "--features", features, "--out", scores)
    with open(scores) as f:
        scored = {r["customer_id"]: float(r["churn_probability"]) for r in csv.DictReader(f)}
    sql = ck("export", "--model", model_path, "--format", "sql", "--dialect", "sqlite").stdout
    db = sqlite3.connect(":memory:")
    table = pd.read_csv(features, dtype={"customer_id": str})
    table.to_sql("features", db, index=False)
    result = db.execute(sql).fetchall()
    assert len(result) == len(scored) == len(table)
    for customer, p, _ in result:
        assert abs(p - scored[customer]) <= 1e-9 * max(p, 1e-300), (customer, p, scored[customer])


@pytest.mark.parametrize("name,loader,cutoff,later,horizon", LOGS)
def test_time_holdout_auc_is_at_least_scikit_learns(work, name, loader, cutoff, later, horizon):
    events, mapping, _ = loader(work)
    train_features, test_features = work / f"{name}-train.csv", work / f"{name}-test.csv"
    for at, out in [(cutoff, train_features), (later, test_features)]:
        ck("features", "--events", events, *mapping, *CHURN.get(name, []), "--cutoff", at, "--horizon", horizon,
           "--out", out)
    model = work / f"{name}-time.json"
    ck("train", "--events", events, *mapping, *CHURN.get(name, []), "--cutoff", cutoff, "--horizon", horizon,
       "--out", model)
    evaluation = json.loads(ck("evaluate", "--model", model, "--events", events, *mapping, "--cutoff", later,
                               "--json").stdout)
    ours = evaluation["metrics"]["rocAUC"]
    train, names = read_features(train_features)
    test, _ = read_features(test_features)
    peer = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    peer.fit(train[names].to_numpy(), train["label"].to_numpy())
    theirs = roc_auc_score(test["label"], peer.predict_proba(test[names].to_numpy())[:, 1])
    print(f"{name}: time-holdout AUC churnkit {ours:.4f}, scikit-learn {theirs:.4f}")
    assert ours >= theirs - 0.005


def test_a_date_only_log_keeps_its_last_day(work):
    """CDNOW ends on 1998-06-30 (a date): a 273-day horizon from 1997-09-30
    is observed by the end of that day, so labels exist."""
    events, mapping, _ = cdnow(work)
    run = ck("features", "--events", events, *mapping, "--cutoff", "1997-09-30", "--horizon", "273d",
             "--out", work / "trap.csv", "--json")
    summary = json.loads(run.stdout)
    (at,) = summary["cutoffs"]
    assert at["censored"] == 0 and at["churned"] > 10000
    assert summary["latestLabelledCutoff"] == "1997-09-30"
    assert "the data ends 1998-06-30 (end of day)" in run.stderr
    # One day later the labels cannot be known: the error says why and what to do.
    late = ck("train", "--events", events, *mapping, "--cutoff", "1997-10-01", "--horizon", "273d",
              "--out", work / "late.json", ok=False)
    assert late.returncode == 1
    assert "labels for 273d exist up to cutoff 1997-09-30" in late.stderr
    assert not (work / "late.json").exists()


def test_exports_as_people_make_them(work):
    """The raw whitespace-aligned CDNOW file reads as the CSV conversion
    does; a Parquet file is refused by name, with a conversion command."""
    _, mapping, rows = cdnow(work)
    raw = ck("validate", DATASETS / "CDNOW_master.txt", *mapping, "--json")
    converted = ck("validate", work / "cdnow.csv", *mapping, "--json")
    a, b = json.loads(raw.stdout), json.loads(converted.stdout)
    assert a["validRows"] == b["validRows"] == rows
    assert a["customers"] == b["customers"] and a["amount"] == b["amount"]
    parquet = work / "cdnow.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{work / 'cdnow.csv'}')) TO '{parquet}' (FORMAT PARQUET)")
    refused = ck("validate", parquet, *mapping, ok=False)
    assert refused.returncode == 1
    assert "looks like a Parquet file" in refused.stderr and "duckdb -c" in refused.stderr


@pytest.mark.parametrize("name,loader,cutoff,later,horizon", LOGS[:2])
def test_the_journey_invents_no_number(work, name, loader, cutoff, later, horizon):
    """On a log without stages: a banner says they were inferred, only stages
    someone was seen in appear, shares stay within 0–100%, the matrix's rows
    are distributions, and where the flow and the matrix disagree the page
    says why."""
    events, mapping, _ = loader(work)
    page, document = work / f"{name}-journey.html", work / f"{name}-journey.json"
    ck("journey", "--events", events, *mapping, "--inactivity", horizon, "--bootstrap", "5",
       "--out", page, "--model-out", document)
    journey = json.loads(document.read_text())
    model = journey["model"]
    html = page.read_text()
    assert journey["stageNote"] and 'id="stage-note"' in html
    assert model["stages"][-1] == "churned"
    for profile in model["profiles"][:-1]:
        assert profile["customersReached"] > 0, profile["stage"]
    for row in model["transitionMatrix"]:
        assert all(0 <= p <= 1 for p in row) and abs(sum(row) - 1) < 1e-9
    import re
    shares = [float(s) for s in re.findall(r"(\d+(?:\.\d+)?)% of", html)]
    assert shares and all(0 <= s <= 100 for s in shares), max(shares)
    churned = len(model["stages"]) - 1
    for s, row in enumerate(model["transitionMatrix"][:-1]):
        if model["moves"][s][churned] > 0 and row[churned] < 0.00005:
            assert journey["flowNote"] and journey["flowNote"] in html.replace("&#39;", "'")


@pytest.mark.parametrize("active_within,days", [(None, 90), ("365d", 365)])
def test_active_within_sets_who_is_already_churned(work, active_within, days):
    """With churn by inactivity, the sample at T is the customers with a
    purchase in the `--active-within` days before T (default: the horizon),
    counted independently with pandas."""
    events, mapping, _ = cdnow(work)
    extra = [] if active_within is None else ["--active-within", active_within]
    out = work / f"active-{days}.csv"
    ck("features", "--events", events, *mapping, "--cutoff", "1997-09-30", "--horizon", "90d", *extra, "--out", out)
    ours = set(pd.read_csv(out, dtype={"customer_id": str})["customer_id"])
    log = pd.read_csv(events, dtype={"customer_id": str, "date": str})
    day = pd.to_datetime(log["date"], format="%Y%m%d")
    cutoff_end = pd.Timestamp("1997-10-01")  # the end of 1997-09-30
    recent = log[(day < cutoff_end) & (day >= cutoff_end - pd.Timedelta(days=days))]
    assert ours == set(recent["customer_id"])
    # A model remembers it: scoring builds the same sample.
    model = work / f"active-{days}.json"
    ck("train", "--events", events, *mapping, "--cutoff", "1997-09-30", "--horizon", "90d", *extra, "--out", model)
    scores = work / f"active-{days}-scores.csv"
    ck("score", "--model", model, "--events", events, *mapping, "--as-of", "1997-09-30", "--out", scores)
    assert set(pd.read_csv(scores, dtype={"customer_id": str})["customer_id"]) == ours


def test_training_on_stacked_cutoffs(work):
    """`train --cutoffs` stacks snapshots; the customer holdout keeps each
    customer's rows on one side, and the model records every cutoff."""
    events, mapping, _ = cdnow(work)
    model = work / "stacked.json"
    run = ck("train", "--events", events, *mapping, "--cutoffs", "1997-03-31,1997-06-30", "--horizon", "90d",
             "--holdout", "0.3", "--out", model, "--json")
    report = json.loads(run.stdout)
    saved = json.loads(model.read_text())["model"]["training"]
    assert saved["cutoffs"] == ["1997-03-31", "1997-06-30"]
    features = work / "stacked.csv"
    ck("features", "--events", events, *mapping, "--cutoffs", "1997-03-31,1997-06-30", "--horizon", "90d",
       "--out", features)
    frame = pd.read_csv(features, dtype={"customer_id": str})
    labelled = frame[frame["label"].notna()]
    assert report["training"]["count"] + report["holdout"]["count"] == len(labelled)
    assert saved["rows"] == report["training"]["count"]
    # The feature table trained the same way splits by customer too.
    predictions = work / "stacked-predictions.csv"
    ck("train", "--features", features, "--holdout", "0.3", "--predictions-out", predictions)
    sides = pd.read_csv(predictions, dtype={"key": str}).groupby("key")["set"].nunique()
    assert (sides == 1).all()


def test_a_later_batch_is_not_a_shift_for_tenure(work):
    """Scoring half a year after training, the tenure has moved with the
    calendar: it is reported as such, not as a shifted feature."""
    events, mapping, _ = cdnow(work)
    model = work / "drift.json"
    ck("train", "--events", events, *mapping, "--cutoff", "1997-03-31", "--horizon", "90d", "--out", model)
    run = ck("score", "--model", model, "--events", events, *mapping, "--as-of", "1997-12-31",
             "--out", work / "drift.csv", "--json")
    drift = {d["name"]: d for d in json.loads(run.stdout)["featureDrift"]}
    tenure = drift["days_since_first_event"]
    assert tenure["stabilityIndex"] > 0.2 and not tenure["shifted"] and tenure["movesWithCalendar"]
    assert not any(d.get("movesWithCalendar") for name, d in drift.items() if name != "days_since_first_event")


def test_a_feature_table_model_checks_the_columns_it_scores(work):
    """A model trained on a feature table (default options: the penalty is
    chosen when events per feature are few) scores a later table; a column
    it does not know is a located error unless named as not a feature."""
    events, mapping, _ = cdnow(work)
    train, later = work / "table-train.csv", work / "table-later.csv"
    for cutoff, path in (("1997-06-30", train), ("1997-09-30", later)):
        ck("features", "--events", events, *mapping, "--cutoff", cutoff, "--horizon", "90d", "--out", path)
    model = work / "table.json"
    ck("train", "--features", train, "--out", model)
    lines = later.read_text().splitlines()
    extra = work / "table-extra.csv"  # a column inserted third, the values' text untouched
    extra.write_text("".join(",".join(f.split(",")[:2] + [n] + f.split(",")[2:]) + "\n"
                             for f, n in zip(lines, ["segment_note"] + ["x"] * len(lines))))
    refused = ck("score", "--model", model, "--features", extra, "--out", work / "never.csv", ok=False)
    assert refused.returncode == 1 and not (work / "never.csv").exists()
    assert f"{extra}:1:3: column 'segment_note' is not one of the model's features" in refused.stderr
    kept = ck("score", "--model", model, "--features", extra, "--ignore-columns", "segment_note", "--out", "-")
    plain = ck("score", "--model", model, "--features", later, "--out", "-")
    assert kept.stdout == plain.stdout and plain.stdout.count("\n") == len(lines)


def test_the_journey_ends_where_the_data_does(work):
    """A date-only log ends with its last day: --observed-until that day is
    the default, and a time before the last event is refused."""
    events, mapping, _ = cdnow(work)
    common = ["journey", "--events", events, *mapping, "--inactivity", "90d", "--bootstrap", "0"]
    default = ck(*common, "--json").stdout
    assert ck(*common, "--observed-until", "1998-06-30", "--json").stdout == default
    later = json.loads(ck(*common, "--observed-until", "1998-07-30", "--json").stdout)["model"]
    assert sum(later["daysInStage"]) > sum(json.loads(default)["model"]["daysInStage"])
    early = ck(*common, "--observed-until", "1998-06-29", "--json", ok=False)
    assert early.returncode == 1 and "is before the last event" in early.stderr


def test_a_cancel_event_is_pointed_out_under_inactivity_churn(work):
    """The subscription log has a 'cancel' event: labelling by inactivity
    says it could be the churn definition; labelling by it says nothing."""
    events, mapping, _ = subscriptions(work)
    args = ["features", "--events", events, *mapping, "--cutoff", "2020-06-30", "--horizon", "60d", "--out", "-"]
    hint = "--churn-definition event:cancel labels churn by it"
    assert hint in ck(*args).stderr
    assert hint not in ck(*args, "--churn-definition", "event:cancel").stderr


def test_next_best_action_on_a_log_without_stages(work):
    """`train --actions` on the subscription simulator's log, which has no
    stage column, with a randomly given `email` (a separate interventions
    file, 30% of accounts a month, no effect): the customer value's lifetime
    comes from a constant daily churn hazard — churns per account-day at
    risk, from each account's first event of its own to its cancel or the
    cutoff, recomputed here with pandas — every scored account's value is
    its revenue per day times Σ ((1 − h) v)^t, and the plan, judged by the
    model's own holdout, gives no email (it does nothing)."""
    path, mapping, _ = subscriptions(work)
    log = pd.read_csv(path, dtype={"account_id": str})
    log["t"] = pd.to_datetime(log["event_time"])
    first = log.groupby("account_id")["t"].min()
    rng = np.random.default_rng(3)
    emails = []
    for account, start in first.items():
        month = start
        while month < pd.Timestamp("2020-12-31"):
            if rng.random() < 0.3:
                emails.append((account, (month + pd.Timedelta(seconds=int(rng.integers(0, 30 * 86400)))).strftime(
                    "%Y-%m-%d %H:%M:%S"), "email"))
            month += pd.Timedelta(days=30)
    pd.DataFrame(emails, columns=["account_id", "event_time", "action"]).to_csv(work / "emails.csv", index=False)
    (work / "email-spec.json").write_text('{"interventions": ["email"]}')
    (work / "email.json").write_text('[{"id": "email", "cost": 1}]')
    common = [*mapping, "--interventions", work / "emails.csv"]
    run = ck("train", "--events", path, *common, "--spec", work / "email-spec.json", "--cutoff", "2020-06-30",
             "--horizon", "60d", "--churn-definition", "event:cancel", "--actions", work / "email.json",
             "--out", work / "email-model.json")
    assert "every customer (no stages)" in run.stdout
    value = json.load(open(work / "email-model.json"))["model"]["uplift"]["value"]
    # The hazard, from the log up to the training cutoff.
    cutoff = pd.Timestamp("2020-06-30 23:59:59.999999")
    own = log[log["t"] <= cutoff]
    start = own.groupby("account_id")["t"].min()
    cancel = log[log["event_type"] == "cancel"].groupby("account_id")["t"].min().reindex(start.index)
    stop = cancel.where(cancel <= cutoff, cutoff)
    days = ((stop - start).dt.total_seconds() / 86400).clip(lower=0).sum()
    hazard = (cancel <= cutoff).sum() / days
    assert value["dailyChurnHazard"] == pytest.approx(hazard, rel=1e-9)
    q = (1 - hazard) * np.exp(-np.log1p(0.01) / 30)
    expected_days = q * (1 - q ** value["horizonDays"]) / (1 - q)
    assert value["expectedDaysWithoutStage"] == pytest.approx(expected_days, rel=1e-9)
    scores = work / "email-scores.csv"
    ck("score", "--model", work / "email-model.json", "--events", path, *common, "--as-of", "2020-12-31",
       "--out", scores)
    scored = pd.read_csv(scores, dtype={"customer_id": str}).set_index("customer_id")
    before = log[log["t"] <= pd.Timestamp("2020-12-31 23:59:59.999999")]
    year = before[before["t"] > pd.Timestamp("2020-12-31 23:59:59.999999") - pd.Timedelta(days=365)]
    revenue = year.groupby("account_id")["amount"].sum().reindex(scored.index).fillna(0)
    tenure = ((pd.Timestamp("2020-12-31 23:59:59.999999") - before.groupby("account_id")["t"].min())
              .dt.total_seconds() / 86400).reindex(scored.index)
    per_day = revenue.clip(lower=0) / tenure.clip(lower=30, upper=365)
    np.testing.assert_allclose(scored["customer_value"], per_day * expected_days, rtol=1e-6)
    assert (scored["customer_value"] > 0).mean() > 0.9
    assert (scored["next_best_action"] == "none").all()
