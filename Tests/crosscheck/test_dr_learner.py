"""The doubly robust learner (`train --learner dr`), checked from outside on
a generated log with behaviour-dependent effects (3,000 customers):
- every training row's pseudo-outcome is the AIPW formula of its own
  nuisance figures, computed here with numpy;
- those figures are cross-fitted: each fold's churn models without and with
  the action and its propensity model, fitted here with scikit-learn on the
  other folds' rows (same standardisation and L2 penalty), give the same
  probabilities;
- each action's effect is the least-squares fit of the pseudo-outcomes on
  the features the lasso kept, with statsmodels' HC0 covariance;
- its plan beats treating the highest risk and random treatment by the true effects."""
import csv
import json
import os
import subprocess
import tempfile

import numpy as np
import pytest
import statsmodels.api as sm
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from test_features import CHURNKIT, ROOT

L2 = 10.0  # train's --uplift-l2 default
CLIP = 0.01


@pytest.fixture(scope="module")
def dr_run():
    work = tempfile.mkdtemp()
    subprocess.run([CHURNKIT, "generate", "--customers", "3000", "--seed", "5", "--action-effects", "behavioural",
                    "--out", work], check=True, capture_output=True)
    run = subprocess.run(
        [CHURNKIT, "train", "--events", f"{work}/events.csv", "--customers", f"{work}/customers.csv",
         "--cutoff", "2025-06-30", "--horizon", "90d", "--churn-definition", "event:cancel",
         "--spec", "models/feature-spec.json", "--l2", "1", "--actions", "models/actions.json",
         "--learner", "dr", "--pseudo-outcomes-out", f"{work}/psi.csv", "--out", f"{work}/dr.json"],
        cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    rows = list(csv.DictReader(open(f"{work}/psi.csv")))
    model = json.load(open(f"{work}/dr.json"))["model"]
    return {"work": work, "rows": rows, "model": model, "report": run.stdout + run.stderr}


def columns(rows, features):
    return np.array([[float(r[f]) for f in features] for r in rows])


def test_pseudo_outcomes_are_the_aipw_formula(dr_run):
    rows = dr_run["rows"]
    assert len(rows) > 1000
    t = np.array([float(r["treated"]) for r in rows])
    y = np.array([float(r["churned"]) for r in rows])
    mu0, mu1, e = (np.array([float(r[c]) for r in rows]) for c in ("churn_without", "churn_with", "propensity"))
    psi = mu0 - mu1 + (1 - t) * (y - mu0) / (1 - e) - t * (y - mu1) / e
    assert np.allclose(psi, [float(r["pseudo_outcome"]) for r in rows], rtol=1e-12, atol=1e-12)
    assert (e >= CLIP).all() and (e <= 1 - CLIP).all()
    # Every row's nuisance figures were fitted without its customer's fold.
    fold_of = {}
    for r in rows:
        assert fold_of.setdefault((r["customer_id"], r["action"]), r["fold"]) == r["fold"]


def test_nuisance_models_are_cross_fitted_as_scikit_learn_fits_them(dr_run):
    rows, model = dr_run["rows"], dr_run["model"]
    features = model["features"]
    action = "discount_offer"
    part = [r for r in rows if r["action"] == action]
    x = columns(part, features)
    t = np.array([int(r["treated"]) for r in part])
    y = np.array([int(r["churned"]) for r in part])
    fold = np.array([int(r["fold"]) for r in part])

    def fitted(train, labels, test):
        scaler = StandardScaler().fit(x[train])
        fit = LogisticRegression(C=1 / L2, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(scaler.transform(x[train]), labels)
        return fit.predict_proba(scaler.transform(x[test]))[:, 1]

    checked = 0
    for k in sorted(set(fold)):
        train, test = fold != k, fold == k
        without = fitted(train & (t == 0), y[train & (t == 0)], test)
        with_action = fitted(train & (t == 1), y[train & (t == 1)], test)
        propensity = np.clip(fitted(train, t[train], test), CLIP, 1 - CLIP)
        ours = [r for r, keep in zip(part, test) if keep]
        assert np.allclose(without, [float(r["churn_without"]) for r in ours], atol=1e-6)
        assert np.allclose(with_action, [float(r["churn_with"]) for r in ours], atol=1e-6)
        assert np.allclose(propensity, [float(r["propensity"]) for r in ours], atol=1e-6)
        checked += len(ours)
    assert checked == len(part)


def test_effects_are_the_refit_on_the_kept_features_with_hc0_errors(dr_run):
    rows, model = dr_run["rows"], dr_run["model"]
    actions = [a["id"] for a in model["uplift"]["catalog"]["actions"]]
    for a, effect in enumerate(model["uplift"]["dr"]["effects"]):
        if effect is None:
            continue
        part = [r for r in rows if r["action"] == actions[a]]
        design = sm.add_constant(columns(part, effect["features"]), has_constant="add")
        fit = sm.OLS(np.array([float(r["pseudo_outcome"]) for r in part]), design).fit(cov_type="HC0")
        ours = np.array([effect["intercept"], *effect["coefficients"]])
        assert np.allclose(ours, fit.params, rtol=1e-6, atol=1e-9), actions[a]
        assert np.allclose(np.array(effect["covariance"]), fit.cov_params(), rtol=1e-5, atol=1e-12), actions[a]


def test_the_hazard_judge_refuses_latent_effects_and_the_dr_plan_beats_simple_rules(dr_run):
    assert dr_run["model"]["uplift"]["learner"] == "dr"
    work = dr_run["work"]
    judge = [CHURNKIT, "recommend", "--model", f"{work}/dr.json", "--events", f"{work}/events.csv",
             "--customers", f"{work}/customers.csv", "--as-of", "2025-12-30", "--truth", f"{work}/truth.json",
             "--json"]
    refused = subprocess.run(judge, capture_output=True, text=True, cwd=ROOT)
    assert refused.returncode != 0 and "--truth-method simulate" in refused.stderr, refused.stderr
    run = subprocess.run(judge + ["--truth-method", "simulate", "--truth-replications", "300"],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    policies = {p["policy"]: p["trueNetValue"] for p in json.loads(run.stdout)["truth"]["policies"]}
    assert policies["recommended"] > policies["treat the highest risk"], policies
    assert policies["recommended"] > policies["random"], policies
