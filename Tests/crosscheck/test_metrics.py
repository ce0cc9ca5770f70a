"""Cross-check: the evaluation metrics `churnkit train` reports against
scikit-learn's, computed from the predictions ChurnKit writes."""
import json
import os
import subprocess
import tempfile

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, confusion_matrix, log_loss, roc_auc_score

from test_logistic import CHURNKIT, dataset, write_csv


def check(metrics, p, y):
    assert metrics["count"] == len(y) and metrics["positives"] == int(y.sum())
    assert abs(metrics["rocAUC"] - roc_auc_score(y, p)) < 1e-9
    assert abs(metrics["averagePrecision"] - average_precision_score(y, p)) < 1e-9
    assert abs(metrics["logLoss"] - log_loss(y, p)) < 1e-9
    assert abs(metrics["brierScore"] - brier_score_loss(y, p)) < 1e-9
    tn, fp, fn, tp = confusion_matrix(y, (p >= 0.5).astype(int), labels=[0, 1]).ravel()
    assert (metrics["truePositives"], metrics["falsePositives"], metrics["trueNegatives"], metrics["falseNegatives"]) == (tp, fp, tn, fn)
    order = np.lexsort((np.arange(len(p)), p))  # by score, ties in input order
    bins = [b for b in np.array_split(order, 10) if len(b)]
    for ours, members in zip(metrics["calibration"], bins):
        assert ours["count"] == len(members)
        assert abs(ours["meanPredicted"] - p[members].mean()) < 1e-12
        assert abs(ours["observedRate"] - y[members].mean()) < 1e-12
    top = order[-max(1, len(p) // 10):]
    assert abs(metrics["gainTopDecile"] - y[top].sum() / y.sum()) < 1e-12
    assert abs(metrics["liftTopDecile"] - y[top].mean() / y.mean()) < 1e-9


@pytest.mark.parametrize("round_to", [None, 2])
def test_metrics_match_scikit_learn(round_to):
    x, y = dataset(n=2500, seed=5)
    if round_to is not None:
        x = np.round(x, round_to)
        x[:, 1] = np.round(x[:, 1] / 10)  # coarse values: many tied scores
    csv = write_csv(x, y)
    predictions = tempfile.NamedTemporaryFile(suffix=".csv", delete=False).name
    out = subprocess.run([CHURNKIT, "train", "--features", csv, "--holdout", "0.3", "--json",
                          "--predictions-out", predictions], check=True, capture_output=True, text=True).stdout
    report = json.loads(out)
    df = pl.read_csv(predictions)
    os.unlink(csv)
    os.unlink(predictions)
    for name in ("training", "holdout"):
        part = df.filter(pl.col("set") == name)
        check(report[name], part["probability"].to_numpy(), part["label"].to_numpy().astype(float))
    # The holdout is split by customer and is about 30% of them.
    assert 0.25 < df.filter(pl.col("set") == "holdout").height / df.height < 0.35
