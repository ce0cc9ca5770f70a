"""Cross-check: the `cox_risk` feature family on CDNOW (the public log
lifetimes ships), churn by 90 days of silence, cutoffs 1997-09-30 and
1997-12-31.

- Cox's model is fitted point-in-time: on the features 90 days before the
  earliest cutoff and each customer's days to churn after that, followed up
  to the earliest cutoff only. Its coefficients and its Breslow baseline at
  90 days equal lifelines' fit on the same covariates with the durations a
  direct pandas computation of the churn definition gives (1e-6).
- Nothing after the earliest cutoff changes it: the log cut there gives the
  same fit.
- `cox_risk_90d` at each cutoff is 1 − exp(−H₀(90) · exp(β·(x − x̄))) of the
  row's own features (1e-12), and scoring with the resolved spec never refits.
"""
import json

import numpy as np
import pandas as pd
import pytest
import subprocess

from test_clv import DATASETS, MAPPING
from test_features import CHURNKIT, ROOT
from test_survival import TIGHT, churn_times_by_silence

from lifelines import CoxPHFitter
from sklearn.metrics import roc_auc_score


def features(log, out, *options):
    r = subprocess.run([CHURNKIT, "features", "--events", log, *MAPPING, "--horizon", "90d",
                        "--churn-definition", "inactivity", "--out", out, *options],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return pd.read_csv(out, dtype={"customer_id": str})


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory):
    work = tmp_path_factory.mktemp("cox-feature")
    raw = pd.read_csv(DATASETS / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str, "date": str})
    raw.to_csv(work / "cdnow.csv", index=False)
    raw[raw.date <= "19970930"].to_csv(work / "cdnow-to-september.csv", index=False)
    (work / "spec.json").write_text(json.dumps({"cox_risk": {}}))
    table = features(work / "cdnow.csv", work / "f.csv", "--cutoffs", "1997-09-30,1997-12-31",
                     "--spec", work / "spec.json", "--spec-out", work / "resolved.json")
    resolved = json.loads((work / "resolved.json").read_text())
    return work, raw, table, resolved


def test_cox_is_lifelines_fit_on_the_features_before_the_first_cutoff(cdnow):
    work, raw, _, resolved = cdnow
    cox = resolved["cox_risk"]
    assert cox["horizon_days"] == 90 and cox["fitted_at"].startswith("1997-07-02")
    assert cox["fitted_through"].startswith("1997-09-30")
    base = {k: v for k, v in resolved.items() if k != "cox_risk"}
    (work / "base.json").write_text(json.dumps(base))
    covariates = features(work / "cdnow.csv", work / "at-fit.csv", "--cutoff", "1997-07-02",
                          "--spec", work / "base.json").set_index("customer_id")
    raw["time"] = pd.to_datetime(raw.date, format="%Y%m%d")
    times = churn_times_by_silence(raw[raw.time <= "1997-09-30"], pd.Timestamp("1997-07-02 23:59:59.999999"),
                                   pd.Timedelta(days=90), pd.Timestamp("1997-09-30 23:59:59.999999"),
                                   dates_only=True)
    ids = [c for c in covariates.index if c in times]
    assert len(ids) > 3000
    table = covariates.loc[ids, cox["covariates"]].copy()
    table["duration"] = [times[c][0] for c in ids]
    table["churned"] = [times[c][1] for c in ids]
    assert table.churned.sum() > 500
    theirs = CoxPHFitter().fit(table, "duration", "churned", fit_options=TIGHT)
    assert list(theirs.params_.index) == cox["covariates"]
    assert np.max(np.abs(np.array(cox["coefficients"]) - theirs.params_.to_numpy())) < 1e-6
    assert np.max(np.abs(np.array(cox["means"]) - table[cox["covariates"]].mean().to_numpy())) < 1e-9
    baseline = theirs.baseline_cumulative_hazard_.iloc[:, 0]
    assert abs(cox["baseline_cumulative_hazard"] - baseline[baseline.index <= 90].iloc[-1]) < 1e-6


def test_nothing_after_the_first_cutoff_changes_the_fit(cdnow):
    work, _, _, resolved = cdnow
    features(work / "cdnow-to-september.csv", work / "cut.csv", "--cutoff", "1997-09-30",
             "--spec", work / "spec.json", "--spec-out", work / "resolved-cut.json")
    cut = json.loads((work / "resolved-cut.json").read_text())["cox_risk"]
    for key in ("covariates", "fitted_at", "fitted_through"):
        assert cut[key] == resolved["cox_risk"][key]
    for key in ("coefficients", "means"):
        assert np.allclose(cut[key], resolved["cox_risk"][key], rtol=1e-12, atol=0)
    assert abs(cut["baseline_cumulative_hazard"] / resolved["cox_risk"]["baseline_cumulative_hazard"] - 1) < 1e-12


def test_each_rows_value_is_the_models_probability_of_its_features(cdnow):
    work, _, table, resolved = cdnow
    cox = resolved["cox_risk"]
    x = table[cox["covariates"]].to_numpy()
    linear = (x - np.array(cox["means"])) @ np.array(cox["coefficients"])
    expected = 1 - np.exp(-cox["baseline_cumulative_hazard"] * np.exp(linear))
    assert set(table.cutoff.str[:10]) == {"1997-09-30", "1997-12-31"}
    assert np.max(np.abs(table["cox_risk_90d"].to_numpy() - expected)) < 1e-12
    # It ranks the next 90 days' churners above the rest at both cutoffs
    # (AUC 0.665 and 0.664 alone; the label is about half churners).
    for _, rows in table[table.label.notna()].groupby("cutoff"):
        assert roc_auc_score(rows.label, rows.cox_risk_90d) > 0.64
    # Scoring with the resolved spec evaluates the stored fit, never refits.
    again = features(work / "cdnow-to-september.csv", work / "again.csv", "--cutoff", "1997-09-30",
                     "--spec", work / "resolved.json")
    first = table[table.cutoff.str.startswith("1997-09-30")].set_index("customer_id")["cox_risk_90d"]
    assert np.allclose(again.set_index("customer_id")["cox_risk_90d"], first.loc[again.customer_id], rtol=0,
                       atol=1e-15)
