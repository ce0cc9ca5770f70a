"""Cross-check: `churnkit clv` against lifetimes on CDNOW (the public log
lifetimes ships), calibration to 1997-09-30, daily periods.

- the repeat-purchase summary (frequency, recency, T, monetary value) equals
  lifetimes' `summary_data_from_transaction_data` customer for customer;
- the BG/NBD and Gamma-Gamma parameters are lifetimes' own fits (1e-4;
  lifetimes' optimiser stops at its tolerance), and ChurnKit's
  log-likelihood is at least as high;
- at ChurnKit's parameters, lifetimes' own formulas give the same P(alive),
  expected purchases in 90 days, expected spend and 12-month discounted CLV
  for every customer (1e-9).
"""
import json
import pathlib
import subprocess

import lifetimes.datasets
import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data

from test_features import CHURNKIT, ROOT

DATASETS = pathlib.Path(lifetimes.datasets.__file__).parent
MAPPING = ["--id-column", "customer_id", "--time-column", "date", "--time-format", "yyyyMMdd",
           "--event-name", "purchase", "--amount-column", "dollar_value"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    work = tmp_path_factory.mktemp("clv")
    raw = pd.read_csv(DATASETS / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str, "date": str})
    raw.to_csv(work / "cdnow.csv", index=False)
    r = subprocess.run([CHURNKIT, "clv", "--events", work / "cdnow.csv", *MAPPING, "--as-of", "1997-09-30",
                        "--out", work / "clv.csv", "--json"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    ours = pd.read_csv(work / "clv.csv", dtype={"customer_id": str}).set_index("customer_id")
    fit = json.loads(r.stdout)
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    summary = summary_data_from_transaction_data(raw, "customer_id", "date", monetary_value_col="dollar_value",
                                                 observation_period_end="1997-09-30", freq="D")
    return ours, fit, summary


def test_summary_equals_lifetimes(runs):
    ours, _, summary = runs
    assert len(ours) == len(summary) == 23570
    s = summary.loc[ours.index]
    for column, theirs in [("frequency", "frequency"), ("recency", "recency"), ("T", "T")]:
        assert (ours[column].to_numpy() == s[theirs].to_numpy()).all(), column
    assert np.allclose(ours["monetary_value"], s["monetary_value"], rtol=1e-12, atol=1e-12)


def test_parameters_are_lifetimes_fits(runs):
    ours, fit, summary = runs
    bgf = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    b = fit["bgnbd"]
    mine = np.array([b["r"], b["alpha"], b["a"], b["b"]])
    theirs = bgf.params_[["r", "alpha", "a", "b"]].to_numpy()
    assert np.max(np.abs(mine / theirs - 1)) < 1e-4, (mine, theirs)
    # The maximum: lifetimes' log-likelihood at our parameters is no lower than at its own.
    assert b["logLikelihood"] >= -bgf._negative_log_likelihood(
        np.log(theirs), summary["frequency"], summary["recency"], summary["T"], np.ones(len(summary)), 0.0
    ) * len(summary) - 1e-6
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    ggf = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    g = fit["gammaGamma"]
    mine = np.array([g["p"], g["q"], g["v"]])
    theirs = ggf.params_[["p", "q", "v"]].to_numpy()
    assert np.max(np.abs(mine / theirs - 1)) < 1e-4, (mine, theirs)


def test_predictions_equal_lifetimes_formulas_at_our_parameters(runs):
    ours, fit, summary = runs
    s = summary.loc[ours.index]
    b, g = fit["bgnbd"], fit["gammaGamma"]
    bgf = BetaGeoFitter()
    bgf.params_ = pd.Series({"r": b["r"], "alpha": b["alpha"], "a": b["a"], "b": b["b"]})
    bgf.predict = bgf.conditional_expected_number_of_purchases_up_to_time  # as fit() sets it
    ggf = GammaGammaFitter()
    ggf.params_ = pd.Series({"p": g["p"], "q": g["q"], "v": g["v"]})
    x, tx, T, m = s["frequency"], s["recency"], s["T"], s["monetary_value"]
    close = lambda a, e: np.max(np.abs(np.asarray(a) - np.asarray(e)) / np.maximum(1e-12, np.abs(np.asarray(e))))
    assert close(ours["p_alive"], bgf.conditional_probability_alive(x, tx, T)) < 1e-9
    assert close(ours["expected_purchases_90d"],
                 bgf.conditional_expected_number_of_purchases_up_to_time(90, x, tx, T)) < 1e-9
    spend = ggf.conditional_expected_average_profit(x, m)
    assert close(ours["expected_average_spend"], spend) < 1e-9
    clv = ggf.customer_lifetime_value(bgf, x, tx, T, m, time=12, discount_rate=0.01, freq="D")
    assert close(ours["clv"], clv) < 1e-9
