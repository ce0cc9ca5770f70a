"""Cross-check: `churnkit train --json` against statsmodels (maximum
likelihood: coefficients and standard errors) and scikit-learn (L2), on
seeded synthetic data written to CSV."""
import json
import os
import subprocess
import tempfile

import numpy as np
import pytest
import statsmodels.api as sm
from sklearn.linear_model import LogisticRegression

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHURNKIT = os.environ.get("CHURNKIT", os.path.join(ROOT, ".build", "debug", "churnkit"))


def dataset(n=3000, seed=1):
    rng = np.random.default_rng(seed)
    x = np.column_stack([
        rng.normal(0, 1, n),            # centred
        rng.normal(50, 20, n),          # large scale
        rng.poisson(2.0, n).astype(float),
        (rng.random(n) < 0.3).astype(float),
    ])
    beta = np.array([0.8, -0.03, 0.4, -1.1])
    p = 1 / (1 + np.exp(-(-0.5 + x @ beta)))
    y = (rng.random(n) < p).astype(float)
    return x, y


def write_csv(x, y):
    path = tempfile.NamedTemporaryFile(suffix=".csv", delete=False, mode="w")
    names = [f"f{j}" for j in range(x.shape[1])]
    path.write("customer_id," + ",".join(names) + ",label\n")
    for i in range(len(y)):
        path.write(f"c{i}," + ",".join(repr(float(v)) for v in x[i]) + f",{int(y[i])}\n")
    path.close()
    return path.name


def train(csv, *extra):
    out = subprocess.run([CHURNKIT, "train", "--features", csv, "--json", *extra],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def terms(report):
    return report["fit"]["terms"]


def rel(a, b):
    return np.max(np.abs(np.asarray(a) - np.asarray(b)) / np.maximum(np.abs(b), 1e-12))


@pytest.mark.parametrize("standardize", [True, False])
def test_maximum_likelihood_matches_statsmodels(standardize):
    x, y = dataset()
    csv = write_csv(x, y)
    fit = train(csv, *([] if standardize else ["--no-standardize"]))
    os.unlink(csv)
    ref = sm.Logit(y, sm.add_constant(x)).fit(method="newton", tol=1e-12, maxiter=100, disp=False)
    ours = [t["coefficient"] for t in terms(fit)]
    se = [t["standardError"] for t in terms(fit)]
    assert rel(ours, ref.params) < 1e-6
    assert rel(se, ref.bse) < 1e-4
    assert rel([t["pValue"] for t in terms(fit)], ref.pvalues) < 1e-4
    assert abs(fit["fit"]["logLikelihood"] - ref.llf) < 1e-8 * abs(ref.llf)
    assert abs(fit["fit"]["nullLogLikelihood"] - ref.llnull) < 1e-8 * abs(ref.llnull)
    cov = np.array(fit["fit"]["covariance"])
    assert rel(cov.ravel(), np.asarray(ref.cov_params()).ravel()) < 1e-4


@pytest.mark.parametrize("lam", [0.5, 10.0])
def test_l2_matches_scikit_learn(lam):
    x, y = dataset(seed=2)
    csv = write_csv(x, y)
    fit = train(csv, "--no-standardize", "--l2", str(lam))
    os.unlink(csv)
    ref = LogisticRegression(C=1 / lam, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(x, y)
    ours = [t["coefficient"] for t in terms(fit)]
    expected = np.concatenate([ref.intercept_, ref.coef_[0]])
    assert rel(ours, expected) < 1e-6
    assert any("penalisedInference" in json.dumps(w) for w in fit["fit"]["warnings"])


def test_balanced_class_weights_match_scikit_learn():
    x, y = dataset(n=2000, seed=3)
    y[np.arange(len(y)) % 3 != 0] = 0  # rarer positives
    csv = write_csv(x, y)
    fit = train(csv, "--no-standardize", "--l2", "1", "--class-weight", "balanced")
    os.unlink(csv)
    ref = LogisticRegression(C=1.0, class_weight="balanced", solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(x, y)
    assert rel([t["coefficient"] for t in terms(fit)], np.concatenate([ref.intercept_, ref.coef_[0]])) < 1e-6


@pytest.mark.parametrize("c,ratio", [(0.05, 0.5), (0.01, 0.9)])
def test_elastic_net_matches_scikit_learn(c, ratio):
    rng = np.random.default_rng(11)
    x = rng.normal(0, 1, (2000, 6))
    eta = -0.4 + x @ np.array([1.0, -0.6, 0.3, 0.0, 0.05, 0.0])
    y = (rng.random(2000) < 1 / (1 + np.exp(-eta))).astype(float)
    csv = write_csv(x, y)
    fit = train(csv, "--no-standardize", "--l1", repr(ratio / c), "--l2", repr((1 - ratio) / c))
    os.unlink(csv)
    ref = LogisticRegression(penalty="elasticnet", l1_ratio=ratio, C=c, solver="saga", tol=1e-12,
                             max_iter=200000).fit(x, y)
    ours = np.array([t["coefficient"] for t in terms(fit)])
    expected = np.concatenate([ref.intercept_, ref.coef_[0]])
    assert np.max(np.abs(ours - expected)) < 1e-4
    # Exact zeros where scikit-learn has them.
    assert set(np.flatnonzero(np.abs(expected[1:]) < 1e-8)) == set(np.flatnonzero(ours[1:] == 0))


def test_sample_weights_match_scikit_learn():
    x, y = dataset(n=1500, seed=4)
    w = np.random.default_rng(5).uniform(0.2, 3.0, len(y))
    path = tempfile.NamedTemporaryFile(suffix=".csv", delete=False, mode="w")
    path.write("customer_id,f0,f1,f2,f3,w,label\n")
    for i in range(len(y)):
        path.write(f"c{i}," + ",".join(repr(float(v)) for v in x[i]) + f",{float(w[i])!r},{int(y[i])}\n")
    path.close()
    fit = train(path.name, "--no-standardize", "--l2", "0.5", "--weight-column", "w")
    os.unlink(path.name)
    ref = LogisticRegression(C=2.0, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(x, y, sample_weight=w)
    assert rel([t["coefficient"] for t in terms(fit)], np.concatenate([ref.intercept_, ref.coef_[0]])) < 1e-6
