"""Cross-check: `churnkit clv` against lifetimes on CDNOW (the public log
lifetimes ships), calibration to 1997-09-30, daily periods.

- the repeat-purchase summary (frequency, recency, T, monetary value) equals
  lifetimes' `summary_data_from_transaction_data` customer for customer;
- the BG/NBD and Gamma-Gamma parameters are lifetimes' own fits (1e-4;
  lifetimes' optimiser stops at its tolerance), and ChurnKit's
  log-likelihood is at least as high;
- at ChurnKit's parameters, lifetimes' own formulas give the same P(alive),
  expected purchases in 90 days, expected spend and 12-month discounted CLV
  for every customer (1e-9);
- the same for the Pareto/NBD model (`--model pareto-nbd`), whose parameters
  are compared with the maximum of lifetimes' own likelihood (its fit
  refined by Nelder-Mead: lifetimes stops where the likelihood is flat to
  its tolerance, up to 1e-4 away).
"""
import html
import json
import pathlib
import subprocess

import lifetimes.datasets
import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter
from scipy.optimize import minimize
from lifetimes.utils import summary_data_from_transaction_data

from test_features import CHURNKIT, ROOT

DATASETS = pathlib.Path(lifetimes.datasets.__file__).parent
MAPPING = ["--id-column", "customer_id", "--time-column", "date", "--time-format", "yyyyMMdd",
           "--event-name", "purchase", "--amount-column", "dollar_value"]


def central_gradient(theta, f):
    """∂f/∂θ by central differences of 10⁻⁵ (f vectorised over customers):
    parameters × customers."""
    rows = []
    for j in range(len(theta)):
        e = np.zeros(len(theta))
        e[j] = 1e-5
        rows.append((f(theta + e) - f(theta - e)) / 2e-5)
    return np.array(rows)


def run_clv(work, *options):
    """`churnkit clv` on CDNOW to 1997-09-30: the CSV and the --json fit."""
    r = subprocess.run([CHURNKIT, "clv", "--events", work / "cdnow.csv", *MAPPING, "--as-of", "1997-09-30",
                        "--out", work / "clv.csv", "--json", *options], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return pd.read_csv(work / "clv.csv", dtype={"customer_id": str}).set_index("customer_id"), json.loads(r.stdout)


@pytest.fixture(scope="module")
def cdnow_work(tmp_path_factory):
    work = tmp_path_factory.mktemp("clv")
    raw = pd.read_csv(DATASETS / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str, "date": str})
    raw.to_csv(work / "cdnow.csv", index=False)
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    summary = summary_data_from_transaction_data(raw, "customer_id", "date", monetary_value_col="dollar_value",
                                                 observation_period_end="1997-09-30", freq="D")
    return work, summary


@pytest.fixture(scope="module")
def runs(cdnow_work):
    work, summary = cdnow_work
    return *run_clv(work), summary


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


def test_standard_errors_are_the_inverse_information_and_the_delta_method(runs, cdnow_work):
    """The fits' covariances (`--json` logCovariance) are the inverse of the
    observed information that autograd differentiates exactly from
    lifetimes' own likelihoods, at our parameters (1e-5); the parameters'
    standard errors printed are their square roots by the delta method
    (lifetimes' `standard_errors_`); and each customer's `clv_se` is
    √(∇ᵀΣ∇) with the gradient of lifetimes' `customer_lifetime_value` by
    central differences in the log-parameters, the two fits independent."""
    from autograd import hessian
    ours, fit, summary = runs
    s = summary.loc[ours.index]
    b, g = fit["bgnbd"], fit["gammaGamma"]
    x, tx, T, m = s["frequency"].to_numpy(), s["recency"].to_numpy(), s["T"].to_numpy(), s["monetary_value"].to_numpy()
    n = len(s)
    theta_b = np.log([b["r"], b["alpha"], b["a"], b["b"]])
    h = hessian(BetaGeoFitter._negative_log_likelihood)(theta_b, x, tx, T, np.ones(n), 0.0)
    cov_b = np.linalg.inv(h) / n
    assert np.max(np.abs(np.array(b["logCovariance"]) - cov_b) / np.sqrt(np.outer(np.diag(cov_b), np.diag(cov_b)))) < 1e-5
    repeat = (x > 0) & (m > 0)
    theta_g = np.log([g["p"], g["q"], g["v"]])
    h = hessian(GammaGammaFitter._negative_log_likelihood)(theta_g, x[repeat], m[repeat], np.ones(repeat.sum()), 0.0)
    cov_g = np.linalg.inv(h) / repeat.sum()
    assert np.max(np.abs(np.array(g["logCovariance"]) - cov_g) / np.sqrt(np.outer(np.diag(cov_g), np.diag(cov_g)))) < 1e-5

    def models(tb, tg):
        bgf, ggf = BetaGeoFitter(), GammaGammaFitter()
        bgf.params_ = pd.Series(dict(zip(["r", "alpha", "a", "b"], np.exp(tb))))
        bgf.predict = bgf.conditional_expected_number_of_purchases_up_to_time
        ggf.params_ = pd.Series(dict(zip(["p", "q", "v"], np.exp(tg))))
        return bgf, ggf

    pick = np.arange(0, n, 97)  # 243 customers: every kind of history
    xs, txs, Ts, ms = (pd.Series(a[pick]) for a in (x, tx, T, m))

    def clv(tb, tg):
        bgf, ggf = models(tb, tg)
        return ggf.customer_lifetime_value(bgf, xs, txs, Ts, ms, time=12, discount_rate=0.01, freq="D").to_numpy()

    gb = central_gradient(theta_b, lambda t: clv(t, theta_g))
    gg = central_gradient(theta_g, lambda t: clv(theta_b, t))
    se = np.sqrt(np.einsum("ic,ij,jc->c", gb, cov_b, gb) + np.einsum("ic,ij,jc->c", gg, cov_g, gg))
    mine = ours["clv_se"].to_numpy()[pick]
    assert np.max(np.abs(mine / se - 1)) < 1e-5, (mine[:5], se[:5])
    # The summary prints the parameters' standard errors, lifetimes' way.
    r = subprocess.run([CHURNKIT, "clv", "--events", cdnow_work[0] / "cdnow.csv", *MAPPING, "--as-of", "1997-09-30",
                        "--out", "-"], capture_output=True, text=True)
    expected = np.exp(theta_b) * np.sqrt(np.diag(cov_b))
    line = next(l for l in r.stderr.splitlines() if "standard errors" in l and " a " in l)
    printed = dict(zip(line.split()[2::2], map(float, line.split()[3::2])))
    assert np.allclose([printed[k] for k in ["r", "alpha", "a", "b"]], expected, rtol=1e-3), (printed, expected)


def test_pareto_nbd_is_the_maximum_of_lifetimes_likelihood_and_predicts_with_its_formulas(cdnow_work):
    work, summary = cdnow_work
    ours, fit = run_clv(work, "--model", "pareto-nbd")
    assert "bgnbd" not in fit
    p = fit["paretoNBD"]
    mine = np.array([p["r"], p["alpha"], p["s"], p["beta"]])
    x, tx, T = summary["frequency"], summary["recency"], summary["T"]
    weights = np.ones(len(summary))
    negative = lambda log_params: ParetoNBDFitter._negative_log_likelihood(np.exp(log_params), x, tx, T, weights, 0.0)
    start = ParetoNBDFitter().fit(x, tx, T).params_[["r", "alpha", "s", "beta"]].to_numpy()
    refined = minimize(negative, np.log(start), method="Nelder-Mead",
                       options=dict(xatol=1e-10, fatol=1e-10, maxiter=20000, maxfev=40000))
    theirs = np.exp(refined.x)
    assert np.max(np.abs(mine / theirs - 1)) < 1e-4, (mine, theirs)
    assert abs(p["logLikelihood"] - (-negative(np.log(mine)))) < 1e-6
    assert p["logLikelihood"] >= -refined.fun - 1e-6
    pnbd = ParetoNBDFitter()
    pnbd.params_ = pd.Series({"r": p["r"], "alpha": p["alpha"], "s": p["s"], "beta": p["beta"]})
    pnbd.predict = pnbd.conditional_expected_number_of_purchases_up_to_time  # as fit() sets it
    _, ggf = lifetimes_models(None, fit["gammaGamma"])
    s = summary.loc[ours.index]
    x, tx, T, m = s["frequency"], s["recency"], s["T"], s["monetary_value"]
    close = lambda a, e: np.max(np.abs(np.asarray(a) - np.asarray(e)) / np.maximum(1e-12, np.abs(np.asarray(e))))
    assert close(ours["p_alive"], pnbd.conditional_probability_alive(x, tx, T)) < 1e-9
    assert close(ours["expected_purchases_90d"],
                 pnbd.conditional_expected_number_of_purchases_up_to_time(90, x, tx, T)) < 1e-9
    clv = ggf.customer_lifetime_value(pnbd, x, tx, T, m, time=12, discount_rate=0.01, freq="D")
    assert close(ours["clv"], clv) < 1e-9


def lifetimes_models(b, g):
    """lifetimes' fitters carrying given parameters (to use its formulas)."""
    bgf = BetaGeoFitter()
    if b is not None:
        bgf.params_ = pd.Series({"r": b["r"], "alpha": b["alpha"], "a": b["a"], "b": b["b"]})
        bgf.predict = bgf.conditional_expected_number_of_purchases_up_to_time
    ggf = GammaGammaFitter()
    ggf.params_ = pd.Series({"p": g["p"], "q": g["q"], "v": g["v"]})
    return bgf, ggf


def lifetimes_summary(raw, as_of):
    return summary_data_from_transaction_data(raw[raw["date"] <= as_of], "customer_id", "date",
                                              monetary_value_col="dollar_value", observation_period_end=as_of,
                                              freq="D")


@pytest.fixture(scope="module")
def feature_runs(tmp_path_factory):
    """`churnkit features` with the `repeat_purchase` family at two cutoffs
    (the models fitted at the earlier one only), and a model trained with
    it at 1997-06-30."""
    work = tmp_path_factory.mktemp("clv-features")
    raw = pd.read_csv(DATASETS / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str, "date": str})
    raw.to_csv(work / "cdnow.csv", index=False)
    (work / "spec.json").write_text(json.dumps({"repeat_purchase": {}}))
    r = subprocess.run([CHURNKIT, "features", "--events", work / "cdnow.csv", *MAPPING,
                        "--cutoffs", "1997-06-30,1997-09-30", "--horizon", "90d", "--churn-definition", "inactivity",
                        "--spec", work / "spec.json", "--spec-out", work / "resolved.json", "--out", work / "f.csv"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    features = pd.read_csv(work / "f.csv", dtype={"customer_id": str})
    resolved = json.loads((work / "resolved.json").read_text())["repeat_purchase"]
    return work, raw, features, resolved


def test_repeat_purchase_models_are_fitted_at_the_earliest_cutoff_only(feature_runs):
    _, raw, _, resolved = feature_runs
    assert resolved["fitted_through"] == "1997-06-30" and resolved["purchase_event"] == "purchase"
    summary = lifetimes_summary(raw, "1997-06-30")
    k = resolved["parameters"]
    bgf = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    mine = np.array([k["r"], k["alpha"], k["a"], k["b"]])
    assert np.max(np.abs(mine / bgf.params_[["r", "alpha", "a", "b"]].to_numpy() - 1)) < 1e-4
    # Gamma-Gamma at this cutoff took the damped Newton steps to converge.
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    ggf = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    mine = np.array([k["p"], k["q"], k["v"]])
    assert np.max(np.abs(mine / ggf.params_[["p", "q", "v"]].to_numpy() - 1)) < 1e-4, (mine, ggf.params_)


@pytest.mark.parametrize("cutoff", ["1997-06-30", "1997-09-30"])
def test_repeat_purchase_features_equal_lifetimes_formulas(feature_runs, cutoff):
    """At each cutoff, the customer's history up to it under the models
    fitted at the earliest one: P(alive), expected purchases, CLV."""
    _, raw, features, resolved = feature_runs
    rows = features[features["cutoff"] == cutoff].set_index("customer_id")
    assert len(rows) > 4000
    s = lifetimes_summary(raw, cutoff).loc[rows.index]
    k = resolved["parameters"]
    bgf, ggf = lifetimes_models(k, k)
    x, tx, T, m = s["frequency"], s["recency"], s["T"], s["monetary_value"]
    close = lambda a, e: np.max(np.abs(np.asarray(a) - np.asarray(e)) / np.maximum(1e-12, np.abs(np.asarray(e))))
    assert close(rows["p_alive"], bgf.conditional_probability_alive(x, tx, T)) < 1e-9
    assert close(rows["expected_purchases_90d"],
                 bgf.conditional_expected_number_of_purchases_up_to_time(90, x, tx, T)) < 1e-9
    clv = ggf.customer_lifetime_value(bgf, x, tx, T, m, time=12, discount_rate=0.01, freq="D")
    assert close(rows["clv"], clv) < 1e-9
    assert "no_purchase_yet" not in rows.columns  # every CDNOW customer bought on their first day


def test_scoring_with_a_resolved_spec_never_refits(feature_runs):
    work, _, features, resolved = feature_runs
    r = subprocess.run([CHURNKIT, "features", "--events", work / "cdnow.csv", *MAPPING, "--cutoff", "1997-09-30",
                        "--horizon", "90d", "--churn-definition", "inactivity", "--spec", work / "resolved.json",
                        "--spec-out", work / "again.json", "--out", work / "g.csv"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads((work / "again.json").read_text())["repeat_purchase"] == resolved
    again = pd.read_csv(work / "g.csv", dtype={"customer_id": str})
    before = features[features["cutoff"] == "1997-09-30"].reset_index(drop=True)
    assert np.array_equal(again[["p_alive", "expected_purchases_90d", "clv"]].to_numpy(),
                          before[["p_alive", "expected_purchases_90d", "clv"]].to_numpy())


def test_churn_model_with_these_features_beats_bgnbd_and_log_rfm_on_the_holdout(feature_runs):
    """Issue 20's goal on CDNOW: trained at 1997-06-30 (labels inside the
    calibration period), tested at 1997-09-30 on the holdout period: the
    churn model with `repeat_purchase` and `log1p` ranks next-90-day churn
    better than BG/NBD's own P(no purchase in 90 days) fitted on the whole
    calibration period and than scikit-learn's logistic regression on
    log(1 + RFM)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.preprocessing import StandardScaler
    work, raw, features, _ = feature_runs
    (work / "goal.json").write_text(json.dumps({"repeat_purchase": {}, "log1p": True}))
    common = [*MAPPING, "--horizon", "90d", "--churn-definition", "inactivity"]
    subprocess.run([CHURNKIT, "train", "--events", work / "cdnow.csv", *common, "--cutoff", "1997-06-30",
                    "--l2", "1", "--spec", work / "goal.json", "--out", work / "model.json"], check=True,
                   capture_output=True)
    subprocess.run([CHURNKIT, "score", "--model", work / "model.json", "--events", work / "cdnow.csv", *MAPPING,
                    "--as-of", "1997-09-30", "--out", work / "scores.csv"], check=True, capture_output=True)
    test = features[features["cutoff"] == "1997-09-30"][["customer_id", "label"]]
    train = features[features["cutoff"] == "1997-06-30"][["customer_id", "label"]]
    scores = pd.read_csv(work / "scores.csv", dtype={"customer_id": str})
    test = test.merge(scores[["customer_id", "churn_probability"]], on="customer_id")
    ours = roc_auc_score(test["label"], test["churn_probability"])

    s9 = lifetimes_summary(raw, "1997-09-30")
    bgf = BetaGeoFitter().fit(s9["frequency"], s9["recency"], s9["T"])
    c = s9.loc[test["customer_id"]]
    alive = np.asarray(bgf.conditional_probability_alive(c["frequency"], c["recency"], c["T"]))
    r, alpha = bgf.params_["r"], bgf.params_["alpha"]
    none_if_alive = ((alpha + c["T"].to_numpy()) / (alpha + c["T"].to_numpy() + 90)) ** (r + c["frequency"].to_numpy())
    bgnbd = roc_auc_score(test["label"], (1 - alive) + alive * none_if_alive)

    rfm = ["frequency", "recency", "T", "monetary_value"]
    a = train.join(lifetimes_summary(raw, "1997-06-30"), on="customer_id")
    b = test.join(s9, on="customer_id")
    scaler = StandardScaler().fit(np.log1p(a[rfm].to_numpy()))
    lr = LogisticRegression(C=1.0, max_iter=5000).fit(scaler.transform(np.log1p(a[rfm].to_numpy())), a["label"])
    sklearn = roc_auc_score(b["label"], lr.predict_proba(scaler.transform(np.log1p(b[rfm].to_numpy())))[:, 1])
    print(f"holdout AUC: churnkit {ours:.4f}, BG/NBD {bgnbd:.4f}, scikit-learn log-RFM {sklearn:.4f}")
    assert ours > bgnbd and ours > sklearn, (ours, bgnbd, sklearn)


# Fader & Hardie (2007), "How to project customer retention", Table 1: of
# 1,000 customers of each kind, how many were still subscribed at the start
# of years 1 to 8; the paper's fits on these counts.
PUBLISHED = {
    "regular": ([1000, 631, 468, 382, 326, 289, 262, 241], (0.704, 1.182)),
    "high end": ([1000, 869, 743, 653, 593, 551, 517, 491], (0.668, 3.806)),
}


def published_log(path, alive):
    """An event log with exactly the published lifetimes: everyone signs up
    on 2000-01-01; the ones lost in year t cancel 100 days into it; 7 years
    of 365 days later the rest are still subscribed."""
    start = pd.Timestamp("2000-01-01T09:00:00Z")
    rows = []
    for k in range(alive[0]):
        cid = f"c{k:04d}"
        rows.append((cid, start, "signup", 10.0))
        for t in range(1, 8):
            if alive[t] <= k < alive[t - 1]:
                rows.append((cid, start + pd.Timedelta(days=365 * (t - 1) + 100), "cancel", None))
    frame = pd.DataFrame(rows, columns=["customer_id", "timestamp", "event", "amount"])
    frame["timestamp"] = frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    frame.to_csv(path, index=False)
    return (start + pd.Timedelta(days=7 * 365)).strftime("%Y-%m-%d")


@pytest.mark.parametrize("kind", PUBLISHED)
def test_shifted_beta_geometric_recovers_the_published_fit(tmp_path, kind):
    from scipy.optimize import minimize
    from scipy.special import betaln, hyp2f1
    alive, paper = PUBLISHED[kind]
    as_of = published_log(tmp_path / "log.csv", alive)
    r = subprocess.run([CHURNKIT, "clv", "--events", tmp_path / "log.csv", "--as-of", as_of, "--churn-event", "cancel",
                        "--period", "365d", "--discount-rate", "0.01", "--out", tmp_path / "clv.csv", "--json"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    fit = json.loads(r.stdout)["shiftedBetaGeometric"]
    mine = np.array([fit["alpha"], fit["beta"]])
    assert np.allclose(mine, paper, atol=5e-4), (mine, paper)  # the paper's three decimals
    # The maximum, by an independent optimiser on the same counts.
    lost = -np.diff(np.asarray(alive, float))

    def nll(p):
        a, b = np.exp(p)
        t = np.arange(1, 8)
        return -(np.sum(lost * (betaln(a + 1, b + t - 1) - betaln(a, b))) + alive[-1] * (betaln(a, b + 7) - betaln(a, b)))
    best = minimize(nll, np.log(paper), method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-13, "maxiter": 20000})
    assert np.max(np.abs(mine / np.exp(best.x) - 1)) < 1e-6, (mine, np.exp(best.x))
    assert fit["logLikelihood"] >= -best.fun - 1e-9
    # Each survivor (7 renewals): the renewal probability and Fader &
    # Hardie's (2010) discounted expected residual lifetime in closed form,
    # d the yearly rate compounded from 1% a month.
    a, b = mine
    table = pd.read_csv(tmp_path / "clv.csv")
    assert (table["churned"] == 0).sum() == alive[-1] and (table["churned"] == 1).sum() == alive[0] - alive[-1]
    stay = table[table["churned"] == 0]
    assert (stay["periods"] == 7).all()
    d = 1.01 ** (365 / 30) - 1
    n = 7
    derl = (b + n) / (a + b + n) * hyp2f1(1, b + n + 1, a + b + n + 1, 1 / (1 + d))
    assert np.allclose(stay["renewal_probability"], (b + n) / (a + b + n), rtol=1e-12)
    assert np.allclose(stay["derl"], derl, rtol=1e-10)
    assert np.allclose(stay["clv"], 10.0 / 8 * derl, rtol=1e-10)  # 10 paid over 8 periods begun
    assert table.loc[table["churned"] == 1, ["renewal_probability", "derl", "clv"]].isna().all().all()


def test_clv_report_renders_and_says_what_the_csv_says(tmp_path):
    """`clv --report`: the page renders in Chromium with its three charts,
    and its sentences are the CSV's numbers: the customers with P(alive)
    below a half, and the share of the total CLV the top 20% hold."""
    from test_journey_report import probe
    raw = pd.read_csv(DATASETS / "CDNOW_master.txt", sep=r"\s+", dtype={"customer_id": str, "date": str})
    raw.to_csv(tmp_path / "cdnow.csv", index=False)
    r = subprocess.run([CHURNKIT, "clv", "--events", tmp_path / "cdnow.csv", *MAPPING, "--as-of", "1997-09-30",
                        "--out", tmp_path / "clv.csv", "--report", tmp_path / "clv.html"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    page = (tmp_path / "clv.html").read_text()
    shown = probe(page, str(tmp_path))
    assert sorted(shown["charts"]) == ["clv", "p-alive", "value-concentration"]
    for chart in shown["charts"].values():
        assert chart["width"] > 100 and chart["shapes"] >= 6, chart
    table = pd.read_csv(tmp_path / "clv.csv", dtype={"customer_id": str})
    gone = int((table["p_alive"] < 0.5).sum())
    assert f"{gone} of {len(table)} customers ({100 * gone / len(table):.1f}%) are more likely gone" in page
    values = np.sort(table["clv"].to_numpy())[::-1]
    top = values[: int(0.2 * len(values) + 0.5)].sum() / values.sum()
    assert f"The top 20% of customers hold {100 * top:.1f}% of the expected value over the next 12 months " \
           f"({values.sum():.0f} in all" in html.unescape(page)


def test_a_repeat_purchase_spec_values_customers_by_their_clv(tmp_path):
    """With the `repeat_purchase` family in the spec (a non-contractual
    business), next best action values each customer by the BG/NBD ×
    Gamma-Gamma `clv` feature — the same number `features` writes — with its
    standard error from both fits' covariances (the delta method, computed
    here from the resolved spec by numpy on the customers' purchase
    summaries), and `recommend` says so with the discount rate."""
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"interventions": ["discount_offer", "loyalty_call", "onboarding_help"],
                                "stage_churn": {}, "repeat_purchase": {"discount_rate": 0.02}}))
    data = ["--events", "training-data/events.csv", "--customers", "training-data/customers.csv"]
    model, resolved = tmp_path / "model.json", tmp_path / "resolved.json"
    subprocess.run([CHURNKIT, "train", *data, "--cutoff", "2025-06-30", "--horizon", "90d", "--churn-definition",
                    "event:cancel", "--spec", spec, "--l2", "1", "--actions", "models/actions.json",
                    "--out", model], check=True, capture_output=True, cwd=ROOT)
    saved = json.loads(model.read_text())["model"]
    value = saved["uplift"]["value"]
    resolved.write_text(json.dumps(saved["featureSpec"]))
    assert value["source"] == "feature" and value["feature"] == "clv" and value["monthlyDiscountRate"] == 0.02
    scores = tmp_path / "scores.csv"
    subprocess.run([CHURNKIT, "score", "--model", model, *data, "--as-of", "2025-12-30", "--out", scores],
                   check=True, capture_output=True, cwd=ROOT)
    features = tmp_path / "features.csv"
    subprocess.run([CHURNKIT, "features", *data, "--cutoff", "2025-12-30", "--horizon", "90d", "--spec", resolved, "--out", features],
                   check=True, capture_output=True, cwd=ROOT)
    ours = pd.read_csv(scores).set_index("customer_id")
    clv = pd.read_csv(features).set_index("customer_id")["clv"]
    # `features` keeps the customers whose 90-day label is observed or censored
    # at the end of the data; `score` every customer active at the as-of day.
    both = ours.index.intersection(clv.index)
    assert len(both) > 1000 and (clv.loc[both] > 0).sum() > 500, (len(both), len(ours), len(clv))
    assert np.allclose(ours.loc[both, "customer_value"], clv.loc[both], rtol=1e-12, atol=1e-9)
    check_clv_standard_errors(ours, saved["featureSpec"]["repeat_purchase"], "2025-12-30", monthly_rate=0.02)
    r = subprocess.run([CHURNKIT, "recommend", "--model", model, *data, "--as-of", "2025-12-30", "--budget", "2000",
                        "--out", tmp_path / "plan.csv"], check=True, capture_output=True, text=True, cwd=ROOT)
    assert ("Customer value: the repeat-purchase models' lifetime value (feature 'clv': BG/NBD × Gamma-Gamma), "
            "discounted at 2.0% a month") in r.stdout


def check_clv_standard_errors(scores, family, as_of, monthly_rate):
    """Each scored customer's `customer_value_se` against the delta method
    on BG/NBD's common-dropout limit (the sample's fit) × Gamma-Gamma, from
    their purchase days to the end of `as_of`: first P(alive) and the value
    themselves, to show the summaries are the same."""
    k = family["parameters"]
    assert "a" not in k and len(k["log_covariance"]) == 3 and len(k["spend_log_covariance"]) == 3
    ev = pd.read_csv(pathlib.Path(ROOT) / "training-data" / "events.csv", usecols=["customer_id", "timestamp", "event", "amount"])
    ev = ev[ev.event == "purchase"]
    ev["day"] = pd.to_datetime(ev.timestamp).dt.tz_localize(None).dt.floor("D")
    ev = ev[ev.day <= pd.Timestamp(as_of)]
    days = ev.groupby(["customer_id", "day"]).amount.sum(min_count=1).fillna(0).reset_index()
    first = days.groupby("customer_id").day.transform("min")
    days["repeat"] = days.day > first
    g = days.groupby("customer_id")
    x = g.repeat.sum().astype(float)
    tx = (g.day.max() - g.day.min()).dt.days.astype(float)
    T = (pd.Timestamp(as_of) - g.day.min()).dt.days.astype(float)
    spend = days[days.repeat].groupby("customer_id").amount.sum().reindex(x.index, fill_value=0.0)
    m = np.where(x > 0, spend / x.where(x > 0, 1), 0.0)

    def purchases(theta, t):
        r, alpha, odds = np.exp(theta)
        pi = odds / (1 + odds)
        dead = np.where(x > 0, odds * ((alpha + T) / (alpha + tx)) ** (r + x), 0.0)
        return (1 - ((alpha + T) / (alpha + T + pi * t)) ** (r + x)) / pi / (1 + dead), 1 / (1 + dead)

    def spend_per_purchase(theta):
        p, q, v = np.exp(theta)
        return p * (v + x * m) / (p * x + q - 1)

    def discounted(theta):
        cumulative = [purchases(theta, 30.0 * month)[0] for month in range(13)]
        return sum((cumulative[j] - cumulative[j - 1]) / (1 + monthly_rate) ** j for j in range(1, 13))

    tb = np.log([k["r"], k["alpha"], k["common_dropout"] / (1 - k["common_dropout"])])
    tg = np.log([k["p"], k["q"], k["v"]])
    clv = spend_per_purchase(tg) * discounted(tb)
    both = scores.index.intersection(x.index)
    assert len(both) > 1000
    close = lambda a, e: np.max(np.abs(np.asarray(a) - np.asarray(e)) / np.maximum(1e-9, np.abs(np.asarray(e))))
    assert close(scores.loc[both, "customer_value"], clv.loc[both]) < 1e-9

    gb = central_gradient(tb, lambda t: spend_per_purchase(tg) * discounted(t))
    gg = central_gradient(tg, lambda t: spend_per_purchase(t) * discounted(tb))
    cb, cg = np.array(k["log_covariance"]), np.array(k["spend_log_covariance"])
    se = pd.Series(np.sqrt(np.einsum("ic,ij,jc->c", gb, cb, gb) + np.einsum("ic,ij,jc->c", gg, cg, gg)), index=x.index)
    assert close(scores.loc[both, "customer_value_se"], se.loc[both]) < 1e-5
    # Customers with no purchase yet have no value and no standard error.
    assert scores.loc[scores.index.difference(x.index), "customer_value_se"].isna().all()
    treated = scores[scores.next_best_action != "none"]
    assert len(treated) > 0 and np.allclose(treated.expected_net_value_se,
                                            treated.reachable * treated.expected_uplift.abs()
                                            * treated.customer_value_se, rtol=1e-9)


def test_subscription_report_renders_and_says_what_the_csv_says(tmp_path):
    """`clv --churn-event --report` on the published 'regular' cohort of Fader
    & Hardie (2007): the page renders in Chromium with the renewal, CLV and
    concentration charts, and its sentences are the CSV's numbers."""
    from test_journey_report import probe
    alive, _ = PUBLISHED["regular"]
    as_of = published_log(tmp_path / "log.csv", alive)
    r = subprocess.run([CHURNKIT, "clv", "--events", tmp_path / "log.csv", "--as-of", as_of, "--churn-event", "cancel",
                        "--period", "365d", "--out", tmp_path / "sbg.csv", "--report", tmp_path / "sbg.html"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    page = html.unescape((tmp_path / "sbg.html").read_text())
    shown = probe((tmp_path / "sbg.html").read_text(), str(tmp_path))
    assert sorted(shown["charts"]) == ["clv", "renewal", "value-concentration"]
    for chart in shown["charts"].values():
        assert chart["width"] > 100 and chart["shapes"] >= 6, chart
    table = pd.read_csv(tmp_path / "sbg.csv")
    active = table[table.churned == 0]
    assert len(active) == alive[-1]
    renewal = active.renewal_probability
    assert (f"{len(table) - len(active)} of {len(table)} customers had left ('cancel') by {as_of}; the "
            f"{len(active)} still subscribed renew with a median probability of {100 * renewal.median():.1f}% a period "
            f"({100 * renewal.min():.1f}% to {100 * renewal.max():.1f}%)") in page
    values = np.sort(active.clv.to_numpy())[::-1]
    top = values[: int(0.2 * len(values) + 0.5)].sum() / values.sum()
    assert f"The top 20% of subscribers hold {100 * top:.1f}% of the expected value over their expected remaining " \
           f"lifetime ({values.sum():.0f} in all" in page


def test_feature_sql_computes_the_repeat_purchase_features_on_cdnow(feature_runs):
    """On the public log: a churn model trained with `repeat_purchase` at
    1997-06-30, its feature SQL run in DuckDB over CDNOW's purchases at
    1997-09-30 gives `churnkit features`' values (1e-9), the hypergeometric
    series summed in SQL."""
    import duckdb
    work = feature_runs[0]
    model = work / "sql-model.json"
    r = subprocess.run([CHURNKIT, "train", "--events", work / "cdnow.csv", *MAPPING, "--cutoff", "1997-06-30",
                        "--horizon", "90d", "--churn-definition", "inactivity", "--spec", work / "spec.json",
                        "--l2", "1", "--out", model], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    saved = json.loads(model.read_text())["model"]
    (work / "sql-spec.json").write_text(json.dumps(saved["featureSpec"]))
    r = subprocess.run([CHURNKIT, "features", "--events", work / "cdnow.csv", *MAPPING, "--cutoff", "1997-09-30",
                        "--horizon", "90d", "--churn-definition", "inactivity", "--spec", work / "sql-spec.json",
                        "--out", work / "sql-features.csv"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    ours = pd.read_csv(work / "sql-features.csv", dtype={"customer_id": str})
    query = subprocess.run([CHURNKIT, "export", "--model", model, "--format", "sql-features", "--dialect", "duckdb",
                            "--as-of", "1997-09-30"], check=True, capture_output=True, text=True).stdout
    con = duckdb.connect()
    con.execute(f"""CREATE TABLE events AS SELECT customer_id,
        strftime(strptime(date, '%Y%m%d'), '%Y-%m-%dT%H:%M:%SZ') AS "timestamp", 'purchase' AS event,
        CAST(NULL AS VARCHAR) AS channel, CAST(dollar_value AS DOUBLE) AS amount, CAST(NULL AS DOUBLE) AS sentiment,
        CAST(NULL AS VARCHAR) AS stage
        FROM read_csv('{work / "cdnow.csv"}', header=true, all_varchar=true)""")
    cursor = con.execute(query)
    columns = [d[0] for d in cursor.description]
    theirs = pd.DataFrame(cursor.fetchall(), columns=columns)
    assert columns == list(ours.columns[:-1]) and {"p_alive", "expected_purchases_90d", "clv"} <= set(columns)
    assert len(theirs) == len(ours) > 4000 and (theirs.customer_id.to_numpy() == ours.customer_id.to_numpy()).all()
    for name in columns[2:]:
        a, e = theirs[name].to_numpy(dtype=float), ours[name].to_numpy(dtype=float)
        assert np.max(np.abs(a - e) / np.maximum(1.0, np.abs(e))) <= 1e-9, name
