"""Cross-check: `churnkit survival` against lifelines and statsmodels.

- On lifelines' Rossi recidivism data (public, tied weeks): Cox coefficients,
  classical standard errors, partial log-likelihood, concordance and the
  Breslow baseline cumulative hazard equal lifelines' (fitted to a tight
  tolerance); robust (sandwich) standard errors equal statsmodels' PHReg with
  one group per row (lifelines' own robust errors order tied rows by sort
  position, so they are compared on data without ties); Kaplan–Meier,
  Nelson–Aalen and the log-rank test equal lifelines'.
- With a ridge penalty: lifelines' `penalizer` (theirs per row, ours in total).
- From an event log (the shipped sample with a churn event and a holdout,
  and the public CDNOW log with churn by inactivity, dates only): every
  customer's days to churn or censoring equal a direct pandas computation of
  the definition, and the fit on the training rows equals lifelines' on the
  table ChurnKit wrote, holdout concordance included.
"""
import json
import pathlib
import subprocess

import lifetimes.datasets
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from lifelines import CoxPHFitter, KaplanMeierFitter, NelsonAalenFitter
from lifelines.datasets import load_rossi
from lifelines.statistics import logrank_test
from lifelines.utils import concordance_index

from test_clv import DATASETS, MAPPING as CDNOW_MAPPING
from test_features import CHURNKIT, ROOT

TIGHT = {"precision": 1e-14, "r_precision": 1e-16, "max_steps": 200}


def load_model(path):
    return json.loads(pathlib.Path(path).read_text())["survivalModel"]


def survival(*arguments):
    r = subprocess.run([CHURNKIT, "survival", *map(str, arguments)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return r


def lifelines_fit(table, names, duration="duration", event="churned", **options):
    return CoxPHFitter(**options).fit(table[[duration, event, *names]], duration, event, fit_options=TIGHT)


def assert_fit_equals(model, theirs, table):
    fit = model["fit"]
    names = [t["name"] for t in fit["terms"]]
    coefficients = np.array([t["coefficient"] for t in fit["terms"]])
    errors = np.array([t["standardError"] for t in fit["terms"]])
    assert list(theirs.params_.index) == names
    assert np.max(np.abs(coefficients - theirs.params_.to_numpy())) < 1e-6
    assert np.max(np.abs(errors / theirs.standard_errors_.to_numpy() - 1)) < 1e-4
    assert abs(fit["logLikelihood"] - theirs.log_likelihood_) < 1e-6
    assert abs(fit["concordance"] - theirs.concordance_index_) < 1e-9


@pytest.fixture(scope="module")
def rossi(tmp_path_factory):
    work = tmp_path_factory.mktemp("rossi")
    data = load_rossi()
    data.to_csv(work / "rossi.csv", index=False)
    survival("--features", work / "rossi.csv", "--duration-column", "week", "--churned-column", "arrest",
             "--by", "fin", "--curves-out", work / "curves.csv", "--out", work / "model.json")
    return data, load_model(work / "model.json"), pd.read_csv(work / "curves.csv"), work


def test_rossi_fit_equals_lifelines(rossi):
    data, model, _, _ = rossi
    names = [t["name"] for t in model["fit"]["terms"]]
    assert names == ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
    theirs = lifelines_fit(data, names, "week", "arrest")
    assert_fit_equals(model, theirs, data)
    assert model["fit"]["converged"]


def test_rossi_baseline_equals_lifelines(rossi):
    data, model, _, _ = rossi
    theirs = lifelines_fit(data, [t["name"] for t in model["fit"]["terms"]], "week", "arrest")
    baseline = theirs.baseline_cumulative_hazard_.iloc[:, 0]
    days = np.array(model["fit"]["baselineDays"])
    at_churn_days = baseline.loc[days].to_numpy()
    assert np.max(np.abs(np.array(model["fit"]["baselineCumulativeHazard"]) - at_churn_days)) < 1e-6
    assert set(days) == set(data.loc[data.arrest == 1, "week"])


def test_rossi_robust_errors_equal_statsmodels(rossi):
    data, model, _, _ = rossi
    names = [t["name"] for t in model["fit"]["terms"]]
    ph = sm.PHReg(data["week"].to_numpy(), data[names].to_numpy(), status=data["arrest"].to_numpy(), ties="efron")
    result = ph.fit(groups=np.arange(len(data)))
    robust = np.array([t["robustStandardError"] for t in model["fit"]["terms"]])
    assert np.max(np.abs(robust / result.bse - 1)) < 1e-6


def test_robust_errors_equal_lifelines_without_ties(tmp_path):
    rng = np.random.default_rng(3)
    n = 400
    x = rng.normal(size=(n, 3))
    hazard = np.exp(x @ np.array([0.8, -0.5, 0.0]))
    durations = rng.exponential(1 / hazard) * 100
    censor = rng.uniform(0, 150, size=n)
    table = pd.DataFrame(x, columns=["a", "b", "c"])
    table["duration"] = np.minimum(durations, censor)
    table["churned"] = (durations <= censor).astype(int)
    table.to_csv(tmp_path / "t.csv", index=False)
    survival("--features", tmp_path / "t.csv", "--robust", "--out", tmp_path / "m.json")
    model = load_model(tmp_path / "m.json")
    theirs = CoxPHFitter().fit(table, "duration", "churned", robust=True, fit_options=TIGHT)
    robust = np.array([t["robustStandardError"] for t in model["fit"]["terms"]])
    assert np.max(np.abs(robust / theirs.standard_errors_.to_numpy() - 1)) < 1e-6
    # --robust: z and p from the robust errors, as lifelines' summary.
    z = np.array([t["z"] for t in model["fit"]["terms"]])
    assert np.max(np.abs(z - theirs.summary["z"].to_numpy())) < 1e-6
    # The planted coefficients lie within their intervals.
    for term, truth in zip(model["fit"]["terms"], [0.8, -0.5, 0.0]):
        assert term["lower95"] < truth < term["upper95"], term


def test_rossi_curves_and_logrank_equal_lifelines(rossi):
    data, model, curves, _ = rossi
    for group, rows in [("all", data), ("0", data[data.fin == 0]), ("1", data[data.fin == 1])]:
        ours = curves[curves.group.astype(str) == group].set_index("day")
        km = KaplanMeierFitter().fit(rows.week, rows.arrest)
        na = NelsonAalenFitter().fit(rows.week, rows.arrest)
        days = ours.index.to_numpy()
        assert np.allclose(ours["survival"], km.survival_function_.iloc[:, 0].loc[days], atol=1e-12)
        ci = km.confidence_interval_survival_function_.loc[days]
        assert np.allclose(ours["survival_lower"], ci.iloc[:, 0], atol=1e-9)
        assert np.allclose(ours["survival_upper"], ci.iloc[:, 1], atol=1e-9)
        assert np.allclose(ours["cumulative_hazard"], na.cumulative_hazard_.iloc[:, 0].loc[days], atol=1e-12)
        hci = na.confidence_interval_cumulative_hazard_.loc[days]
        assert np.allclose(ours["hazard_lower"], hci.iloc[:, 0], atol=1e-9)
        assert np.allclose(ours["hazard_upper"], hci.iloc[:, 1], atol=1e-9)
    a, b = data[data.fin == 0], data[data.fin == 1]
    test = logrank_test(a.week, b.week, a.arrest, b.arrest)
    assert abs(model["logRank"]["statistic"] - test.test_statistic) < 1e-9
    assert abs(model["logRank"]["pValue"] - test.p_value) < 1e-9


def test_ridge_penalty_equals_lifelines_penalizer(rossi):
    data, _, _, work = rossi
    survival("--features", work / "rossi.csv", "--duration-column", "week", "--churned-column", "arrest",
             "--l2", "0.5", "--out", work / "ridge.json")
    model = load_model(work / "ridge.json")
    names = [t["name"] for t in model["fit"]["terms"]]
    # lifelines' penalty is n · penalizer/2 · ‖β·s‖² with s the sample standard deviation
    # (per row, n − 1 in s); --l2 is the total, with the population one, as train's.
    n = len(data)
    theirs = lifelines_fit(data, names, "week", "arrest", penalizer=0.5 * (n - 1) / n**2)
    coefficients = np.array([t["coefficient"] for t in model["fit"]["terms"]])
    assert np.max(np.abs(coefficients - theirs.params_.to_numpy())) < 1e-6
    unpenalised = load_model(work / "model.json")["fit"]["terms"]
    # The penalty shrinks: the coefficients' norm on the standardised scale drops.
    scale = data[names].std(ddof=0).to_numpy()
    before = np.array([t["coefficient"] for t in unpenalised]) * scale
    assert np.linalg.norm(coefficients * scale) < np.linalg.norm(before)


# --- From event logs -------------------------------------------------------


def churn_times_by_event(events, cutoff, churn, end):
    """Days from the cutoff to the first churn event after it, else to the
    end of the data, for customers with an event by the cutoff and no churn
    event by then."""
    seen = events[events.time <= cutoff]
    eligible = set(seen.customer_id) - set(seen.loc[seen.event == churn, "customer_id"])
    later = events[(events.time > cutoff) & (events.event == churn)].groupby("customer_id").time.min()
    rows = {}
    for c in eligible:
        if c in later.index:
            rows[c] = ((later[c] - cutoff) / pd.Timedelta(days=1), 1)
        else:
            rows[c] = ((end - cutoff) / pd.Timedelta(days=1), 0)
    return rows


def churn_times_by_silence(events, cutoff, horizon, end, dates_only):
    """Churn is the first silence longer than the horizon from the last
    activity by the cutoff on, dated when the silence reaches the horizon."""
    rows = {}
    for c, times in events.groupby("customer_id").time:
        times = np.sort(times.to_numpy())
        before = times[times <= cutoff]
        if len(before) == 0 or before[-1] <= cutoff - horizon:
            continue
        last, outcome = before[-1], None
        for t in times[times > cutoff]:
            if t - last > horizon:
                outcome = (last + horizon, 1)
                break
            last = t
        if outcome is None:
            outcome = (last + horizon, 1) if end - last >= horizon else (end, 0)
        days = (outcome[0] - cutoff) / np.timedelta64(1, "D")
        rows[c] = (np.ceil(days) if dates_only else days, outcome[1])
    return rows


def assert_times_equal(table, expected):
    assert len(table) == len(expected)
    mine = table.set_index("customer_id")
    for c, (days, churned) in expected.items():
        assert mine.at[c, "churned"] == churned, c
        assert abs(mine.at[c, "duration"] - days) < 1e-6, (c, mine.at[c, "duration"], days)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    work = tmp_path_factory.mktemp("survival-sample")
    survival("--events", "training-data/events.csv", "--customers", "training-data/customers.csv",
             "--cutoff", "2025-03-31", "--horizon", "90d", "--churn-definition", "event:cancel",
             "--holdout", "0.3", "--out", work / "model.json", "--table-out", work / "table.csv")
    table = pd.read_csv(work / "table.csv", dtype={"customer_id": str})
    return load_model(work / "model.json"), table, work / "model.json"


def test_sample_churn_times_follow_the_definition(sample):
    _, table, _ = sample
    events = pd.read_csv(pathlib.Path(ROOT) / "training-data/events.csv", dtype={"customer_id": str})
    events["time"] = pd.to_datetime(events.timestamp, utc=True).dt.tz_localize(None)
    cutoff = pd.Timestamp("2025-03-31 23:59:59.999999")
    expected = churn_times_by_event(events, cutoff, "cancel", events.time.max())
    assert_times_equal(table, expected)
    assert table.churned.sum() > 500


def test_sample_fit_and_holdout_equal_lifelines(sample):
    model, table, _ = sample
    names = [t["name"] for t in model["fit"]["terms"]]
    training = table[table.set == "training"]
    assert model["training"]["rows"] == len(training)
    theirs = lifelines_fit(training, names)
    assert_fit_equals(model, theirs, training)
    held = table[table.set == "holdout"]
    risk = theirs.predict_partial_hazard(held[names])
    assert abs(model["training"]["holdoutConcordance"] - concordance_index(held.duration, -risk, held.churned)) < 1e-9
    # What was set aside is said, with a reason for each.
    reasons = {d["name"]: d["reason"] for d in model["fit"]["dropped"]}
    assert reasons["plan_standard"] == "aliased" and reasons["stage_churned"] == "constant"


def test_cdnow_churn_by_silence(tmp_path):
    raw = pd.read_csv(DATASETS / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str, "date": str})
    raw.to_csv(tmp_path / "cdnow.csv", index=False)
    survival("--events", tmp_path / "cdnow.csv", *CDNOW_MAPPING, "--cutoff", "1997-09-30", "--horizon", "90d",
             "--out", tmp_path / "model.json", "--table-out", tmp_path / "table.csv")
    table = pd.read_csv(tmp_path / "table.csv", dtype={"customer_id": str})
    raw["time"] = pd.to_datetime(raw.date, format="%Y%m%d")
    cutoff = pd.Timestamp("1997-09-30 23:59:59.999999")
    end = raw.time.max() + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    expected = churn_times_by_silence(raw, cutoff, pd.Timedelta(days=90), end, dates_only=True)
    assert_times_equal(table, expected)
    model = load_model(tmp_path / "model.json")
    names = [t["name"] for t in model["fit"]["terms"]]
    assert_fit_equals(model, lifelines_fit(table, names), table)


def test_predictions_equal_lifelines_on_a_later_cutoff(sample, tmp_path):
    """A saved model predicts at a later cutoff: the features there (built by
    `churnkit features` with the model's own spec) through lifelines' fit of
    the same training table give the same partial hazards and churn
    probabilities; the expected active days are the area under each step
    survival curve, summed directly."""
    model, table, saved = sample
    (tmp_path / "spec.json").write_text(json.dumps(model["featureSpec"]))
    survival("--model", saved, "--events", "training-data/events.csv", "--customers", "training-data/customers.csv",
             "--cutoff", "2025-09-30", "--within", "30d,90d", "--predict-out", tmp_path / "predictions.csv")
    r = subprocess.run([CHURNKIT, "features", "--events", "training-data/events.csv", "--customers",
                        "training-data/customers.csv", "--spec", tmp_path / "spec.json", "--cutoff", "2025-09-30",
                        "--horizon", "90d", "--churn-definition", "event:cancel", "--out", tmp_path / "later.csv"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    ours = pd.read_csv(tmp_path / "predictions.csv", dtype={"customer_id": str}).set_index("customer_id")
    later = pd.read_csv(tmp_path / "later.csv", dtype={"customer_id": str}).set_index("customer_id")
    assert list(ours.index) == list(later.index) and len(ours) > 3000
    names = [t["name"] for t in model["fit"]["terms"]]
    theirs = lifelines_fit(table[table.set == "training"], names)
    hazard = theirs.predict_partial_hazard(later[names]).to_numpy()
    assert np.max(np.abs(ours["partial_hazard"].to_numpy() / hazard - 1)) < 1e-6
    # Breslow's baseline is a step function; lifelines' predict_survival_function(times=…)
    # interpolates it linearly between churn times, so its own baseline is read as steps.
    baseline = theirs.baseline_cumulative_hazard_.iloc[:, 0]
    for h in (30, 90):
        at = baseline[baseline.index <= h].iloc[-1]
        expected = 1 - np.exp(-at * hazard)
        assert np.max(np.abs(ours[f"churn_within_{h}d"].to_numpy() - expected)) < 1e-6
    span = int(np.floor(model["fit"]["longestFollowUp"]))
    days = np.array(model["fit"]["baselineDays"])
    steps = np.concatenate([[0], days[days <= span], [span]])
    cumulative = np.concatenate([[0], np.array(model["fit"]["baselineCumulativeHazard"])[days <= span]])
    curves = np.exp(-np.outer(ours["partial_hazard"].to_numpy(), cumulative))
    area = (curves * np.diff(steps)).sum(axis=1)
    assert np.max(np.abs(ours[f"expected_active_days_{span}d"].to_numpy() - area)) < 1e-6


def test_bad_inputs_get_located_errors(sample, tmp_path):
    """Each mistake: the exit code and a message that says what and where;
    no output file written."""
    _, _, saved = sample
    edited = json.loads(pathlib.Path(saved).read_text())
    edited["survivalModel"]["fit"]["terms"][0]["coefficient"] += 1
    (tmp_path / "edited.json").write_text(json.dumps(edited))
    rows = "duration,churned,x\n3,1,0.5\n4,,0.1\n"
    (tmp_path / "empty-flag.csv").write_text(rows)
    (tmp_path / "negative.csv").write_text("duration,churned,x\n3,1,0.5\n-4,0,0.1\n5,1,0.2\n")
    (tmp_path / "good.csv").write_text("duration,churned,x\n3,1,0.5\n4,0,0.1\n5,1,0.2\n6,0,0.9\n")
    later = ["--events", "training-data/events.csv", "--customers", "training-data/customers.csv",
             "--cutoff", "2025-09-30", "--predict-out", tmp_path / "p.csv"]
    cases = [
        (["survival", "--model", tmp_path / "edited.json", *later], 1,
         "edited.json is damaged: its checksum does not match its contents"),
        (["survival", "--model", saved, *later, "--within", "400d"], 64,
         "the model saw customers followed for 273 days at most"),
        (["score", "--model", saved, "--events", "training-data/events.csv", "--out", tmp_path / "p.csv"], 1,
         "is not a ChurnKit model file: it has no model.formatVersion"),
        (["survival", "--features", tmp_path / "empty-flag.csv", "--out", tmp_path / "p.csv"], 1,
         "empty-flag.csv:3:2: the churn flag 'churned' is empty"),
        (["survival", "--features", tmp_path / "negative.csv", "--out", tmp_path / "p.csv"], 1,
         "negative.csv:3: duration '-4.0' is not a number ≥ 0"),
        (["survival", "--features", tmp_path / "good.csv", "--by", "y", "--out", tmp_path / "p.csv"], 1,
         "no covariate 'y' to group by, nor a one-hot family 'y_…'; the covariates are: x"),
        (["survival", "--events", "-", "--cutoff", "2025-03-31", "--horizon", "90d", "--out", tmp_path / "p.csv"], 1,
         "survival reads the event log twice"),
    ]
    for arguments, status, fragment in cases:
        r = subprocess.run([CHURNKIT, *map(str, arguments)], capture_output=True, text=True, cwd=ROOT,
                           stdin=subprocess.DEVNULL)
        assert r.returncode == status, (arguments, r.stderr)
        assert fragment in r.stderr, (fragment, r.stderr)
        assert not (tmp_path / "p.csv").exists()


def test_holdout_brier_scores_equal_scikit_survival(sample):
    """The integrated Brier score of the saved fit on the held-out customers
    (its survival curves rebuilt from the model file) and of the training
    Kaplan–Meier curve, both by scikit-survival over days 1–90."""
    from sksurv.metrics import integrated_brier_score
    from sksurv.nonparametric import kaplan_meier_estimator
    from sksurv.util import Surv

    model, table, _ = sample
    fit, training = model["fit"], model["training"]
    assert training["brierDays"] == 90
    names = [t["name"] for t in fit["terms"]]
    fitted, held = table[table.set == "training"], table[table.set == "holdout"]
    y_train = Surv.from_arrays(fitted.churned.astype(bool), fitted.duration)
    y_test = Surv.from_arrays(held.churned.astype(bool), held.duration)
    times = np.arange(1, 91, dtype=float)
    beta = np.array([t["coefficient"] for t in fit["terms"]])
    hazard = np.exp((held[names].to_numpy() - np.array(fit["means"])) @ beta)
    days = np.array(fit["baselineDays"])
    cumulative = np.array(fit["baselineCumulativeHazard"])
    at = np.array([cumulative[days <= t][-1] if (days <= t).any() else 0.0 for t in times])
    estimate = np.exp(-np.outer(hazard, at))
    assert abs(training["holdoutIntegratedBrierScore"] - integrated_brier_score(y_train, y_test, estimate, times)) < 1e-9
    km_times, km = kaplan_meier_estimator(fitted.churned.astype(bool), fitted.duration)
    reference = np.array([km[km_times <= t][-1] if (km_times <= t).any() else 1.0 for t in times])
    reference = np.tile(reference, (len(held), 1))
    assert abs(training["holdoutBrierReference"] - integrated_brier_score(y_train, y_test, reference, times)) < 1e-9


def test_brier_score_weights_random_censoring_as_scikit_survival(tmp_path):
    """Censoring spread over time (not only at the end of the data): the
    inverse-probability weights matter, and still equal scikit-survival's."""
    from sksurv.metrics import integrated_brier_score
    from sksurv.util import Surv

    rng = np.random.default_rng(8)
    n = 600
    x = rng.normal(size=(n, 2))
    times = rng.exponential(30 / np.exp(x @ np.array([0.7, -0.3])))
    censor = rng.uniform(5, 80, size=n)
    data = pd.DataFrame(x, columns=["a", "b"])
    data["duration"] = np.round(np.minimum(times, censor), 3)
    data["churned"] = (times <= censor).astype(int)
    data.to_csv(tmp_path / "t.csv", index=False)
    survival("--features", tmp_path / "t.csv", "--holdout", "0.3", "--out", tmp_path / "m.json",
             "--table-out", tmp_path / "table.csv")
    model = load_model(tmp_path / "m.json")
    table = pd.read_csv(tmp_path / "table.csv")
    fitted, held = table[table.set == "training"], table[table.set == "holdout"]
    days = model["training"]["brierDays"]
    assert days == min(int(np.ceil(held.duration.max())) - 1, int(np.floor(model["fit"]["longestFollowUp"])))
    grid = np.arange(1, days + 1, dtype=float)
    fit = model["fit"]
    beta = np.array([t["coefficient"] for t in fit["terms"]])
    hazard = np.exp((held[["a", "b"]].to_numpy() - np.array(fit["means"])) @ beta)
    base_days, cumulative = np.array(fit["baselineDays"]), np.array(fit["baselineCumulativeHazard"])
    at = np.array([cumulative[base_days <= t][-1] if (base_days <= t).any() else 0.0 for t in grid])
    estimate = np.exp(-np.outer(hazard, at))
    y_train = Surv.from_arrays(fitted.churned.astype(bool), fitted.duration)
    y_test = Surv.from_arrays(held.churned.astype(bool), held.duration)
    expected = integrated_brier_score(y_train, y_test, estimate, grid)
    assert abs(model["training"]["holdoutIntegratedBrierScore"] - expected) < 1e-9
    assert model["training"]["holdoutIntegratedBrierScore"] < model["training"]["holdoutBrierReference"]


def test_curves_by_a_customers_category_equal_lifelines(tmp_path):
    """`--by plan`: a customers-table column, one-hot in the features, grouped
    by its categories; the log-rank test against lifelines' multivariate one
    and each group's Kaplan–Meier median against lifelines'."""
    from lifelines.statistics import multivariate_logrank_test
    survival("--events", "training-data/events.csv", "--customers", "training-data/customers.csv",
             "--cutoff", "2025-03-31", "--horizon", "90d", "--churn-definition", "event:cancel", "--by", "plan",
             "--out", tmp_path / "m.json", "--table-out", tmp_path / "t.csv")
    model = load_model(tmp_path / "m.json")
    table = pd.read_csv(tmp_path / "t.csv", float_precision="round_trip")
    family = [c for c in table.columns if c.startswith("plan_")]
    plan = table[family].idxmax(axis=1).str.removeprefix("plan_")
    assert sorted(c["group"] for c in model["curves"][1:]) == sorted(plan.unique())
    test = multivariate_logrank_test(table.duration, plan, table.churned)
    assert abs(model["logRank"]["statistic"] - test.test_statistic) < 1e-9
    assert model["logRank"]["degreesOfFreedom"] == len(plan.unique()) - 1
    for named in model["curves"][1:]:
        rows = table[plan == named["group"]]
        km = KaplanMeierFitter().fit(rows.duration, rows.churned)
        ours = named["curve"]
        assert np.allclose(ours["survival"], km.survival_function_.iloc[:, 0].loc[ours["days"]], atol=1e-12)


def test_curves_by_quartiles_of_a_continuous_covariate(tmp_path):
    """`--by` a covariate with many values groups it by its quartiles
    (numpy's linear quantiles); on CDNOW the log-rank test equals lifelines'
    on the same groups, and churn comes sooner the longer the silence."""
    from lifelines.statistics import multivariate_logrank_test
    raw = pd.read_csv(DATASETS / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str, "date": str})
    raw.to_csv(tmp_path / "cdnow.csv", index=False)
    survival("--events", tmp_path / "cdnow.csv", *CDNOW_MAPPING, "--cutoff", "1997-09-30", "--horizon", "90d",
             "--by", "days_since_last_event", "--out", tmp_path / "m.json", "--table-out", tmp_path / "t.csv")
    model = load_model(tmp_path / "m.json")
    table = pd.read_csv(tmp_path / "t.csv", float_precision="round_trip")
    x = table.days_since_last_event.to_numpy()
    edges = np.quantile(x, [0.25, 0.5, 0.75])
    group = np.searchsorted(edges, x, side="left")
    test = multivariate_logrank_test(table.duration, group, table.churned)
    assert abs(model["logRank"]["statistic"] - test.test_statistic) < 1e-9 * test.test_statistic
    assert [c["group"][:2] for c in model["curves"][1:]] == ["Q1", "Q2", "Q3", "Q4"]
    sizes = [c["curve"]["customers"] for c in model["curves"][1:]]
    assert sizes == [int((group == k).sum()) for k in range(4)]
    medians = [c["curve"]["days"][next(i for i, s in enumerate(c["curve"]["survival"]) if s <= 0.5)]
               for c in model["curves"][1:]]
    assert medians == sorted(medians, reverse=True)
